//! Reports: report.json (schema `gpuaas-sim/report/v1`), report.md, report.html, plots and
//! the terminal summary.

pub mod compare;
pub(crate) mod cost;
pub(crate) mod faults;
pub mod html;
pub(crate) mod json;
pub mod junit;
pub mod limit;
pub mod markdown;
pub mod model;
pub(crate) mod monthly;
pub mod plots;
pub(crate) mod read;
pub mod summary;

pub use model::{Report, SCHEMA};
pub use plots::PlotError;
pub use read::ReadError;

use crate::units::SimTime;
use std::path::Path;

/// Writes a file whole or not at all: a partial report is never left behind.
pub fn write_atomic(path: &Path, content: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, content)
        .and_then(|_| std::fs::rename(&tmp, path))
        .inspect_err(|_| {
            // A full disk or a path that is a folder: the file is not written, and no
            // part-way copy of it is left beside it either.
            let _ = std::fs::remove_file(&tmp);
        })
}

/// What [`write_all`] wrote besides the three reports.
#[derive(Debug)]
pub struct Written {
    /// Plots drawn into `plots/`: none for a run with nothing to draw (no nodes, no
    /// workloads, no requests).
    pub plots: usize,
    /// Plots that could not be drawn, left out of the reports, for the caller to warn about.
    pub not_drawn: Vec<PlotError>,
}

/// Writes report.json, report.md, report.html and `plots/*.svg` into `dir`, removing plots
/// of an earlier run that this one does not draw.
pub fn write_all(dir: &Path, report: &Report) -> std::io::Result<Written> {
    write_all_with(dir, report, plots::all(report))
}

/// [`write_all`] with plots already drawn — from the whole report, before `--report-limit`
/// cut its lists (a plot of the listed workloads alone would show a fleet nearly idle).
pub fn write_all_with(
    dir: &Path,
    report: &Report,
    (plots, errors): (Vec<plots::Plot>, Vec<plots::PlotError>),
) -> std::io::Result<Written> {
    let plot_dir = dir.join("plots");
    if !plots.is_empty() {
        std::fs::create_dir_all(&plot_dir)?;
    }
    if plot_dir.is_dir() {
        for entry in std::fs::read_dir(&plot_dir)? {
            let path = entry?.path();
            let ours = path.extension().is_some_and(|e| e == "svg");
            let drawn = plots
                .iter()
                .any(|p| path.file_name().is_some_and(|f| f == p.file.as_str()));
            if ours && !drawn {
                std::fs::remove_file(path)?;
            }
        }
    }
    for p in &plots {
        write_atomic(&plot_dir.join(&p.file), &p.svg)?;
    }
    let json = serde_json::to_string_pretty(report).map_err(std::io::Error::other)?;
    write_atomic(&dir.join("report.json"), &(json + "\n"))?;
    write_atomic(&dir.join("report.md"), &markdown::render(report, &plots))?;
    write_atomic(&dir.join("report.html"), &html::render(report, &plots))?;
    Ok(Written {
        plots: plots.len(),
        not_drawn: errors,
    })
}

/// Simulated wall-clock: runs start at a fixed instant so timestamps are reproducible.
pub fn timestamp(t: SimTime) -> String {
    let s = t.0 / 1000;
    let (d, rem) = (s / 86400, s % 86400);
    format!(
        "2026-01-{:02}T{:02}:{:02}:{:02}Z",
        1 + d,
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// The sum of `xs`, 0 (not -0, which `Iterator::sum` gives for none) when empty: a report
/// never reads "-0".
pub(crate) fn total(xs: impl IntoIterator<Item = f64>) -> f64 {
    xs.into_iter().fold(0.0, |a, x| a + x)
}

pub(crate) fn secs(t: SimTime) -> f64 {
    t.as_secs_f64()
}

/// A number as report.json writes it (`30.0`, `1e-7`; `null` when not finite), for the
/// text reports that quote report.json's figures.
pub(crate) fn json_number(x: f64) -> String {
    serde_json::Value::from(x).to_string()
}

/// [`json_number`], or `null` for none.
pub(crate) fn json_opt(x: Option<f64>) -> String {
    x.map_or_else(|| "null".to_string(), json_number)
}
