//! The report's plots, drawn from the report alone (so a saved report.json can be drawn
//! again) as SVG with plotters' SVG backend: text stays SVG text, so no font library is
//! needed.

use super::model::{ModelReport, Report, WorkloadRecord};
use indexmap::IndexMap;
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::{BTreeMap, BTreeSet};

/// One drawn plot: its file name under `plots/`, a title, the SVG text.
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    pub file: String,
    pub title: String,
    pub svg: String,
}

/// A plot that could not be drawn, and why; the reports go on without it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("plot {file} not drawn: {reason}")]
pub struct PlotError {
    /// Its file name under `plots/`.
    pub file: String,
    /// What plotters said.
    pub reason: String,
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type DrawResult = Result<(), Box<dyn std::error::Error>>;

const WIDTH: u32 = 900;
const FONT: &str = "sans-serif";

/// Colours that stay apart in print and for the common colour-vision deficiencies
/// (Okabe and Ito's palette), then plotters' own.
fn colour(i: usize) -> RGBColor {
    const OKABE_ITO: [RGBColor; 7] = [
        RGBColor(0, 114, 178),
        RGBColor(230, 159, 0),
        RGBColor(0, 158, 115),
        RGBColor(204, 121, 167),
        RGBColor(86, 180, 233),
        RGBColor(213, 94, 0),
        RGBColor(240, 228, 66),
    ];
    match OKABE_ITO.get(i) {
        Some(c) => *c,
        None => {
            let c = Palette99::pick(i).to_rgba();
            RGBColor(c.0, c.1, c.2)
        }
    }
}

fn draw(file: String, title: String, height: u32, body: impl FnOnce(&Area) -> DrawResult) -> Result<Plot, PlotError> {
    let mut svg = String::new();
    match draw_svg(&mut svg, height, body) {
        Ok(()) => Ok(Plot { file, title, svg }),
        Err(e) => Err(PlotError {
            file,
            reason: e.to_string(),
        }),
    }
}

/// Draws into `svg`; the backend is gone, and the text complete, when this returns.
fn draw_svg(svg: &mut String, height: u32, body: impl FnOnce(&Area) -> DrawResult) -> DrawResult {
    let root = SVGBackend::with_string(svg, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE)?;
    body(&root)?;
    root.present()?;
    Ok(())
}

fn minutes(s: f64) -> f64 {
    s / 60.0
}

/// A file-name-safe form of a name.
fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' })
        .collect()
}

/// Every plot the report has data for, in the order the HTML report shows them, and the
/// plots that it has data for but that could not be drawn.
pub fn all(report: &Report) -> (Vec<Plot>, Vec<PlotError>) {
    let mut out = gpu_allocation(report);
    out.extend(gantt(report));
    for (name, m) in &report.models {
        out.extend(latency_cdf(name, m));
        out.extend(latency_over_time(name, m));
    }
    for isvc in &report.inference_services {
        out.extend(replicas_over_time(report, isvc));
    }
    out.extend(gpu_busy_by_node(report));
    out.extend(cost_by_pool(report));
    let mut plots = Vec::new();
    let mut errors = Vec::new();
    for p in out {
        match p {
            Ok(p) => plots.push(p),
            Err(e) => errors.push(e),
        }
    }
    (plots, errors)
}

/// The GPU resource's entry among a flavor's or workload's resources.
fn gpu_resource<V>(resources: &IndexMap<String, V>) -> Option<&V> {
    resources
        .iter()
        .find(|(r, _)| crate::api::core::is_gpu(r))
        .map(|(_, v)| v)
}

/// A workload's state transitions: (seconds, state).
fn history(w: &WorkloadRecord) -> Vec<(f64, &str)> {
    w.history.iter().map(|e| (e.t_s, e.state.as_str())).collect()
}

/// Intervals in which a workload holds quota: from admission to finish, eviction's end
/// or requeue, from its state history.
fn quota_intervals(w: &WorkloadRecord, end: f64) -> Vec<(f64, f64)> {
    let holds = |s: &str| matches!(s, "Admitted" | "Ready" | "Evicted");
    let history = history(w);
    let mut out = Vec::new();
    let mut since = None;
    for (t, s) in history {
        match (holds(s), since) {
            (true, None) => since = Some(t),
            (false, Some(a)) => {
                out.push((a, t));
                since = None;
            }
            _ => {}
        }
    }
    // Still holding at its last change: until it ended (evicted, then gone with its
    // pod), or to the end of the run.
    if let Some(a) = since {
        out.push((a, w.finished_s.unwrap_or(end).clamp(a, end.max(a))));
    }
    out
}

/// Per series (a model, or a ClusterQueue): intervals (from, to, GPUs) in which it holds a
/// flavor's GPUs.
type Holdings = BTreeMap<String, Intervals>;

/// (from, to, GPUs).
type Intervals = Vec<(f64, f64, f64)>;

/// Series stacked one by one; beyond this many, owners are grouped by ClusterQueue and the
/// smallest queues into one "other".
const MAX_SERIES: usize = 8;

/// Columns drawn at most: a day of a fleet changes its allocation every few seconds, and
/// a plot of that many rectangles opens in no browser.
const MAX_COLUMNS: usize = 1500;

/// Per GPU flavor: GPUs held over time, stacked by owner (the model) — or, with more owners
/// than a plot can tell apart, by ClusterQueue — against the sum of the ClusterQueues'
/// nominal quotas of that flavor.
fn gpu_allocation(report: &Report) -> Vec<Result<Plot, PlotError>> {
    let end = report.duration_s;
    let mut quota: BTreeMap<String, f64> = BTreeMap::new();
    for cq in &report.cluster_queues {
        for (flavor, res) in &cq.quota {
            if let Some(q) = gpu_resource(res) {
                *quota.entry(flavor.clone()).or_default() += q.0;
            }
        }
    }
    let mut holders: Vec<Holder> = Vec::new();
    for w in &report.workloads {
        let gpus = w.gpus as f64;
        let flavor = w.flavors.values().find_map(gpu_resource);
        let (Some(flavor), true) = (flavor, gpus > 0.0) else {
            continue;
        };
        let cq = w.cluster_queue.as_deref().unwrap_or("(none)");
        holders.push((flavor, &w.owner, cq, quota_intervals(w, end), gpus));
    }
    let flavors: BTreeSet<&String> = quota.keys().chain(holders.iter().map(|h| h.0)).collect();
    flavors
        .into_iter()
        .map(|flavor| {
            let mine: Vec<_> = holders.iter().filter(|h| h.0 == flavor).collect();
            let owners: BTreeSet<&str> = mine.iter().map(|h| h.1).collect();
            let (by, series) = if owners.len() <= MAX_SERIES {
                ("model", group(&mine, |h| h.1.to_string()))
            } else {
                ("ClusterQueue", top_and_other(group(&mine, |h| h.2.to_string())))
            };
            let q = quota.get(flavor).copied().unwrap_or(0.0);
            let title = format!("GPUs allocated in flavor {flavor}, by {by}, against quota");
            draw(
                format!("gpu-allocation-{}.svg", slug(flavor)),
                title.clone(),
                340,
                |root| stacked_allocation(root, &title, &series, q, end),
            )
        })
        .collect()
}

/// A workload holding GPUs: (flavor, owner, ClusterQueue, intervals, GPUs).
type Holder<'r> = (&'r String, &'r str, &'r str, Vec<(f64, f64)>, f64);

/// The holders' intervals by the series `key` puts each in.
fn group(holders: &[&Holder], key: impl Fn(&Holder) -> String) -> Holdings {
    let mut out = Holdings::new();
    for h in holders {
        out.entry(key(h))
            .or_default()
            .extend(h.3.iter().map(|(a, b)| (*a, *b, h.4)));
    }
    out
}

/// The `MAX_SERIES - 1` series holding the most GPU-seconds, and the rest as one "other".
fn top_and_other(series: Holdings) -> Holdings {
    if series.len() <= MAX_SERIES {
        return series;
    }
    let weight = |ivs: &Intervals| ivs.iter().map(|(a, b, g)| (b - a) * g).sum::<f64>();
    let mut ranked: Vec<(String, Intervals)> = series.into_iter().collect();
    // Heaviest first; equal weights by name, so the choice does not depend on the map.
    ranked.sort_by(|a, b| weight(&b.1).total_cmp(&weight(&a.1)).then_with(|| a.0.cmp(&b.0)));
    let rest = ranked.split_off(MAX_SERIES - 1);
    let mut out: Holdings = ranked.into_iter().collect();
    let others = rest.len();
    out.insert(
        format!("other ({others} ClusterQueues)"),
        rest.into_iter().flat_map(|(_, ivs)| ivs).collect(),
    );
    out
}

/// The run cut wherever a series' holding starts or ends: per slice (from, to), every
/// series' GPUs in series order, so that they stack. One sweep over the sorted starts and
/// ends, so the cost is the intervals' (n log n), not intervals × slices.
fn slices(owners: &Holdings, end: f64) -> Vec<(f64, f64, Vec<f64>)> {
    // (instant, series, GPUs gained or released)
    let mut changes: Vec<(f64, usize, f64)> = Vec::new();
    for (i, ivs) in owners.values().enumerate() {
        for (a, b, g) in ivs {
            if a < b {
                changes.push((*a, i, *g));
                changes.push((*b, i, -g));
            }
        }
    }
    changes.sort_by(|x, y| x.0.total_cmp(&y.0));
    let mut cuts: Vec<f64> = vec![0.0, end];
    cuts.extend(changes.iter().map(|c| c.0));
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    let mut held = vec![0.0; owners.len()];
    let mut next = changes.iter().peekable();
    cuts.iter()
        .zip(cuts.iter().skip(1))
        .map(|(from, to)| {
            // Everything that starts or ends at or before this slice's start is in force.
            while let Some((_, i, g)) = next.next_if(|c| c.0 <= *from) {
                if let Some(h) = held.get_mut(*i) {
                    *h += g;
                }
            }
            // Sums of whole GPUs: clear the float dust of many additions.
            let per = held
                .iter()
                .map(|g: &f64| if g.abs() < 1e-9 { 0.0 } else { *g })
                .collect();
            (*from, *to, per)
        })
        .collect()
}

/// At most `MAX_COLUMNS` columns over [0, end]: each the time-weighted mean of the slices
/// within it, so the area under each series (its GPU-seconds) is kept. Fewer slices stay
/// as they are.
fn columns(slices: Vec<(f64, f64, Vec<f64>)>, end: f64) -> (Vec<(f64, f64, Vec<f64>)>, bool) {
    if slices.len() <= MAX_COLUMNS || end <= 0.0 {
        return (slices, false);
    }
    let n = slices.first().map_or(0, |s| s.2.len());
    let width = end / MAX_COLUMNS as f64;
    let mut out: Vec<(f64, f64, Vec<f64>)> = (0..MAX_COLUMNS)
        .map(|c| (c as f64 * width, (c + 1) as f64 * width, vec![0.0; n]))
        .collect();
    for (a, b, per) in &slices {
        let first = ((a / width) as usize).min(MAX_COLUMNS - 1);
        let last = ((b / width) as usize).min(MAX_COLUMNS - 1);
        for col in out.iter_mut().take(last + 1).skip(first) {
            let overlap = b.min(col.1) - a.max(col.0);
            if overlap > 0.0 {
                for (sum, g) in col.2.iter_mut().zip(per) {
                    *sum += g * overlap / width;
                }
            }
        }
    }
    (out, true)
}

fn stacked_allocation(root: &Area, title: &str, owners: &Holdings, quota: f64, end: f64) -> DrawResult {
    let (slices, averaged) = columns(slices(owners, end), end);
    let top = (slices
        .iter()
        .map(|s| s.2.iter().sum::<f64>())
        .fold(quota, f64::max)
        .max(1.0)
        * 1.15)
        .ceil();
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 22))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(44)
        .build_cartesian_2d(0.0..minutes(end).max(1.0), 0.0..top)?;
    chart
        .configure_mesh()
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .x_desc(if averaged {
            "minutes (each column the mean over its width)"
        } else {
            "minutes"
        })
        .y_desc("GPUs")
        // Whole GPUs only: one tick per GPU while they fit, else plotters' own.
        .y_labels(if top <= 16.0 { top as usize + 1 } else { 10 })
        .y_label_formatter(&|v| {
            if v.fract() == 0.0 {
                format!("{v:.0}")
            } else {
                String::new()
            }
        })
        .draw()?;
    for (i, name) in owners.keys().enumerate() {
        let c = colour(i);
        let rects = slices.iter().filter_map(|(a, b, per)| {
            let base: f64 = per.iter().take(i).sum();
            let mine = per.get(i).copied().filter(|g| *g > 0.0)?;
            Some(Rectangle::new(
                [(minutes(*a), base), (minutes(*b), base + mine)],
                c.mix(0.85).filled(),
            ))
        });
        chart
            .draw_series(rects)?
            .label(name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled()));
    }
    if quota > 0.0 {
        chart
            .draw_series(LineSeries::new(
                [(0.0, quota), (minutes(end), quota)],
                BLACK.stroke_width(2),
            ))?
            .label(format!("nominal quota ({quota:.0})"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 12, y)], BLACK.stroke_width(2)));
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

const GANTT_ROWS: usize = 40;

type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// Names left of rows drawn top-down (row i spans y ∈ [n − i − 1, n − i]), placed in
/// pixels: plotters' own tick labels fall where its tick algorithm puts them.
fn row_labels(root: &Area, chart: &Chart, labels: &[String], n: f64) -> DrawResult {
    let style = TextStyle::from((FONT, 15).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
    let x0 = chart.x_range().start;
    for (i, label) in labels.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(x0, n - i as f64 - 0.5));
        root.draw(&Text::new(label.clone(), (px - 8, py), style.clone()))?;
    }
    Ok(())
}

/// The legend box every plot draws, at `position`.
fn legend<'a, 'b: 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, CT>,
    position: SeriesLabelPosition,
) -> DrawResult {
    chart
        .configure_series_labels()
        .label_font((FONT, 15))
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// The colour of a workload state in the Gantt chart.
/// A Workload's `Admitted` state means its pods are loading the first time, and
/// terminating (or restarting) once it has been Ready.
fn state_colour(state: &str, was_ready: bool) -> Option<(RGBColor, &'static str)> {
    match (state, was_ready) {
        ("Pending", _) => Some((RGBColor(190, 190, 190), "pending")),
        ("Admitted", false) => Some((RGBColor(230, 159, 0), "admitted, pods loading")),
        ("Admitted", true) => Some((RGBColor(213, 94, 0), "not ready: terminating or restarting")),
        ("Ready", _) => Some((RGBColor(0, 158, 115), "ready")),
        ("Evicted", _) => Some((RGBColor(204, 121, 167), "evicted, pods terminating")),
        _ => None,
    }
}

/// One row per workload (the first 40 created), coloured by state, with the timeline's
/// commands as numbered vertical lines.
fn gantt(report: &Report) -> Option<Result<Plot, PlotError>> {
    let end = report.duration_s;
    let workloads = &report.workloads;
    if workloads.is_empty() {
        return None;
    }
    let shown: Vec<&WorkloadRecord> = workloads.iter().take(GANTT_ROWS).collect();
    let hidden = workloads.len() - shown.len();
    let commands: Vec<f64> = report.timeline.iter().map(|t| t.t_s).collect();
    let mut title = if hidden > 0 {
        format!("Workloads over time (first {GANTT_ROWS}; {hidden} more not shown)")
    } else {
        "Workloads over time".to_string()
    };
    if command_instants(&commands) > MAX_COMMAND_LINES {
        title.push_str(" — timeline commands not drawn");
    }
    // Rows of the chart below the workloads hold the legend; one above, the command numbers.
    const LEGEND_ROWS: f64 = 5.0;
    let height = 130 + 26 * (shown.len() as u32 + 5);
    Some(draw("workloads.svg".into(), title.clone(), height, |root| {
        let labels: Vec<String> = shown
            .iter()
            .map(|w| {
                let name = if w.pod.is_empty() { &w.name } else { &w.pod };
                name.chars().take(44).collect()
            })
            .collect();
        let n = shown.len() as f64;
        let mut chart = ChartBuilder::on(root)
            .caption(&title, (FONT, 22))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(290)
            .build_cartesian_2d(0.0..minutes(end).max(1.0), -LEGEND_ROWS..n + 1.0)?;
        chart
            .configure_mesh()
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 16))
            .x_desc("minutes (numbered lines: timeline commands)")
            .y_labels(0)
            .disable_y_mesh()
            .draw()?;
        row_labels(root, &chart, &labels, n)?;
        state_bars(&mut chart, &shown, end)?;
        // A fleet's timeline applies its work minute by minute: that many lines would
        // cover the rows, so they are drawn only for a timeline a reader can follow.
        if command_instants(&commands) <= MAX_COMMAND_LINES {
            command_lines(&mut chart, &commands, n)?;
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    }))
}

/// Timeline instants drawn at most as numbered lines in the workloads chart.
const MAX_COMMAND_LINES: usize = 60;

/// The distinct instants of the timeline's commands.
fn command_instants(commands: &[f64]) -> usize {
    commands.iter().map(|t| t.to_bits()).collect::<BTreeSet<u64>>().len()
}

/// Each workload's row, a bar per state it was in; a state's first bar labels the legend.
fn state_bars(chart: &mut Chart, shown: &[&WorkloadRecord], end: f64) -> DrawResult {
    let n = shown.len() as f64;
    let mut seen = BTreeSet::new();
    for (row, w) in shown.iter().enumerate() {
        let y = n - row as f64 - 1.0;
        let history = history(w);
        let mut was_ready = false;
        for (i, (t, s)) in history.iter().enumerate() {
            let until = history.get(i + 1).map_or(end, |n| n.0);
            // A requeued workload loads afresh.
            was_ready &= *s != "Pending";
            let Some((c, label)) = state_colour(s, was_ready) else {
                continue;
            };
            was_ready |= *s == "Ready";
            let first = seen.insert(label);
            let series = chart.draw_series(std::iter::once(Rectangle::new(
                [(minutes(*t), y + 0.15), (minutes(until), y + 0.85)],
                c.filled(),
            )))?;
            if first {
                series
                    .label(label)
                    .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled()));
            }
        }
    }
    Ok(())
}

/// A vertical line per moment the timeline ran commands, numbered above the rows
/// (`3–5` for several at once).
fn command_lines(chart: &mut Chart, commands: &[f64], n: f64) -> DrawResult {
    let mut at: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, t) in commands.iter().enumerate() {
        at.entry(t.to_bits()).or_default().push(i + 1);
    }
    for (k, (bits, idx)) in at.into_iter().enumerate() {
        let x = minutes(f64::from_bits(bits));
        chart.draw_series(LineSeries::new([(x, 0.0), (x, n)], BLUE.mix(0.5).stroke_width(1)))?;
        let label = match (idx.first(), idx.last()) {
            (Some(a), Some(b)) if a != b => format!("{a}–{b}"),
            (Some(a), _) => a.to_string(),
            _ => continue,
        };
        // Staggered on two levels so that close commands stay readable.
        chart.draw_series(std::iter::once(Text::new(
            label,
            (x, n + 0.9 - 0.45 * (k % 2) as f64),
            (FONT, 15).into_font().color(&BLUE),
        )))?;
    }
    Ok(())
}

/// TTFT, TPOT and E2E distributions of one model, from the report's `cdf` points.
fn latency_cdf(name: &str, m: &ModelReport) -> Option<Result<Plot, PlotError>> {
    let series: Vec<(&str, Vec<(f64, f64)>)> = [("TTFT", &m.ttft_ms), ("TPOT", &m.tpot_ms), ("E2E", &m.e2e_ms)]
        .into_iter()
        .filter_map(|(label, summary)| {
            let pts: Vec<(f64, f64)> = summary
                .cdf
                .as_ref()?
                .iter()
                .map(|(fraction, ms)| (ms.max(0.01), *fraction))
                .collect();
            (!pts.is_empty()).then_some((label, pts))
        })
        .collect();
    if series.is_empty() {
        return None;
    }
    let lo = series.iter().flat_map(|s| &s.1).map(|p| p.0).fold(f64::MAX, f64::min);
    let hi = series.iter().flat_map(|s| &s.1).map(|p| p.0).fold(0.0, f64::max);
    let title = format!("{name}: latency distribution");
    Some(draw(
        format!("latency-cdf-{}.svg", slug(name)),
        title.clone(),
        340,
        |root| {
            let mut chart = ChartBuilder::on(root)
                .caption(&title, (FONT, 22))
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(44)
                .build_cartesian_2d((lo * 0.8..hi * 1.25).log_scale(), 0.0..1.0)?;
            chart
                .configure_mesh()
                .label_style((FONT, 15))
                .axis_desc_style((FONT, 16))
                .x_desc("milliseconds (log scale)")
                .y_desc("fraction of requests")
                .x_label_formatter(&|v| format!("{v:.0}"))
                .draw()?;
            for (i, (label, pts)) in series.iter().enumerate() {
                let c = colour(i);
                chart
                    .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))?
                    .label(*label)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 12, y)], c.stroke_width(2)));
            }
            legend(&mut chart, SeriesLabelPosition::LowerRight)
        },
    ))
}

/// Which latency of a window a line shows.
type Pick = fn(&WindowRow) -> Option<f64>;

/// One metrics window as the latency-over-time plot shows it.
struct WindowRow {
    from: f64,
    to: f64,
    ttft_p95: Option<f64>,
    e2e_p95: Option<f64>,
    /// Most requests waiting for a batch slot at once (the queue depth).
    waiting_max: f64,
    /// Requests arrived and not yet completed or failed, at the window's end.
    in_system: f64,
}

/// Per metrics window: p95 TTFT and E2E above; below, the queue depth (most requests
/// waiting for a batch slot) as bars and the requests in the system as a line.
fn latency_over_time(name: &str, m: &ModelReport) -> Option<Result<Plot, PlotError>> {
    let rows = window_rows(m);
    let x0 = rows.first()?.from;
    let x1 = rows.last()?.to;
    let top_ms = rows
        .iter()
        .flat_map(|r| [r.ttft_p95, r.e2e_p95])
        .flatten()
        .fold(1.0, f64::max)
        * 1.15;
    let top_n = rows.iter().map(|r| r.in_system.max(r.waiting_max)).fold(1.0, f64::max) * 1.15;
    let title = format!("{name}: p95 latency and queue depth per window");
    Some(draw(
        format!("latency-over-time-{}.svg", slug(name)),
        title.clone(),
        500,
        |root| {
            let (upper, lower) = root.split_vertically(300);
            let mut chart = ChartBuilder::on(&upper)
                .caption(&title, (FONT, 22))
                .margin(12)
                .x_label_area_size(24)
                .y_label_area_size(60)
                .build_cartesian_2d(x0..x1, 0.0..top_ms)?;
            latency_panel(&mut chart, &rows, top_ms)?;
            let mut chart = ChartBuilder::on(&lower)
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(60)
                .build_cartesian_2d(x0..x1, 0.0..top_n)?;
            queue_panel(&mut chart, &rows)
        },
    ))
}

/// The model's metrics windows in minutes, with the requests in the system carried from
/// window to window.
fn window_rows(m: &ModelReport) -> Vec<WindowRow> {
    let windows = &m.windows;
    let starts: Vec<f64> = windows.iter().map(|w| w.t_s).collect();
    // Windows with nothing in them are left out of the report: the narrowest gap is the width.
    let width = starts
        .iter()
        .zip(starts.iter().skip(1))
        .map(|(a, b)| b - a)
        .filter(|d| *d > 0.0)
        .fold(f64::MAX, f64::min);
    let width = if width == f64::MAX { 60.0 } else { width };
    let mut in_system = 0.0;
    windows
        .iter()
        .zip(&starts)
        .map(|(w, t)| {
            in_system += w.arrived as f64 - w.completed as f64 - w.failed as f64;
            WindowRow {
                from: minutes(*t),
                to: minutes(t + width),
                ttft_p95: w.ttft_p95_ms,
                e2e_p95: w.e2e_p95_ms,
                waiting_max: w.waiting_max as f64,
                in_system,
            }
        })
        .collect()
}

/// The upper panel: p95 TTFT and E2E per window, as lines with a dot per window.
fn latency_panel<'a, 'b: 'a>(chart: &mut Chart<'a, 'b>, rows: &[WindowRow], top_ms: f64) -> DrawResult {
    // Long waits read better in seconds.
    let (scale, unit) = if top_ms >= 10_000.0 {
        (1000.0, "p95 s")
    } else {
        (1.0, "p95 ms")
    };
    chart
        .configure_mesh()
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .y_desc(unit)
        .y_label_formatter(&|v| format!("{:.0}", v / scale))
        .draw()?;
    let series: [(&str, Pick); 2] = [("TTFT p95", |r| r.ttft_p95), ("E2E p95", |r| r.e2e_p95)];
    for (i, (label, pick)) in series.into_iter().enumerate() {
        let c = colour(i);
        for (k, run) in unbroken_runs(rows, pick).iter().enumerate() {
            let drawn = chart.draw_series(LineSeries::new(run.iter().copied(), c.stroke_width(2)))?;
            if k == 0 {
                drawn
                    .label(label)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 12, y)], c.stroke_width(2)));
            }
            chart.draw_series(run.iter().map(|p| Circle::new(*p, 2, c.filled())))?;
        }
    }
    legend(chart, SeriesLabelPosition::UpperLeft)
}

/// The points of one latency at the windows' middles, in runs: a window without
/// completions breaks the line rather than bridging it.
fn unbroken_runs(rows: &[WindowRow], pick: Pick) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for r in rows {
        match (pick(r), runs.last_mut()) {
            (Some(v), Some(run)) => run.push(((r.from + r.to) / 2.0, v)),
            (Some(v), None) => runs.push(vec![((r.from + r.to) / 2.0, v)]),
            (None, _) => runs.push(Vec::new()),
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

/// The lower panel: the queue depth per window as bars, the requests in the system as a
/// line.
fn queue_panel<'a, 'b: 'a>(chart: &mut Chart<'a, 'b>, rows: &[WindowRow]) -> DrawResult {
    chart
        .configure_mesh()
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .x_desc("minutes")
        .y_desc("requests")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    let bars = colour(4);
    chart
        .draw_series(
            rows.iter()
                .map(|r| Rectangle::new([(r.from, 0.0), (r.to, r.waiting_max)], bars.mix(0.7).filled())),
        )?
        .label("waiting for a batch slot (most at once)")
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], bars.filled()));
    let line = colour(5);
    chart
        .draw_series(LineSeries::new(
            rows.iter().map(|r| (r.to, r.in_system)),
            line.stroke_width(2),
        ))?
        .label("in the system (window end)")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 12, y)], line.stroke_width(2)));
    legend(chart, SeriesLabelPosition::UpperLeft)
}

/// A step line through `(t_s, value)` changes up to `end` (minutes on the x axis).
fn steps(points: &[(f64, f64)], end: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for (i, (t, v)) in points.iter().enumerate() {
        if i > 0 {
            out.push((minutes(*t), points[i - 1].1));
        }
        out.push((minutes(*t), *v));
    }
    if let Some((_, v)) = points.last() {
        out.push((minutes(end), *v));
    }
    out
}

/// An autoscaled service: the replicas its predictor asked for and those ready, over
/// time, above its request rate per metrics window. Drawn for services whose replicas an
/// autoscaler changed.
fn replicas_over_time(report: &Report, isvc: &super::model::InferenceServiceRecord) -> Option<Result<Plot, PlotError>> {
    let target = format!("{}/{}-predictor", isvc.namespace, isvc.name);
    if !report.scaling_decisions.iter().any(|d| d.target == target) {
        return None;
    }
    let end = report.duration_s;
    let desired: Vec<(f64, f64)> = isvc
        .desired_replicas_over_time
        .iter()
        .map(|d| (d.t_s, d.desired as f64))
        .collect();
    let ready: Vec<(f64, f64)> = isvc
        .ready_replicas_over_time
        .iter()
        .map(|r| (r.t_s, r.ready as f64))
        .collect();
    let top = desired.iter().chain(&ready).map(|p| p.1).fold(1.0, f64::max) + 1.0;
    let model = report
        .models
        .iter()
        .find(|(k, m)| m.namespace == isvc.namespace && (**k == isvc.name || k.ends_with(&format!("/{}", isvc.name))))
        .map(|(_, m)| m);
    let rates: Vec<(f64, f64, f64)> = model
        .map(|m| {
            window_rows(m)
                .iter()
                .zip(&m.windows)
                .map(|(r, w)| (r.from, r.to, w.arrived as f64 / ((r.to - r.from) * 60.0).max(1e-9)))
                .collect()
        })
        .unwrap_or_default();
    let top_rate = rates.iter().map(|r| r.2).fold(0.1, f64::max) * 1.15;
    let title = format!("{}: replicas asked for and ready, and the request rate", isvc.name);
    let x1 = minutes(end);
    Some(draw(
        format!("replicas-over-time-{}.svg", slug(&isvc.name)),
        title.clone(),
        480,
        |root| {
            let (upper, lower) = root.split_vertically(300);
            let mut chart = ChartBuilder::on(&upper)
                .caption(&title, (FONT, 22))
                .margin(12)
                .x_label_area_size(24)
                .y_label_area_size(60)
                .build_cartesian_2d(0.0..x1, 0.0..top)?;
            chart
                .configure_mesh()
                .label_style((FONT, 15))
                .axis_desc_style((FONT, 16))
                .y_desc("replicas")
                .y_labels(top as usize + 1)
                .y_label_formatter(&|v| format!("{v:.0}"))
                .draw()?;
            for (i, (label, points)) in [("asked for (Deployment replicas)", &desired), ("ready", &ready)]
                .into_iter()
                .enumerate()
            {
                let c = colour(i);
                chart
                    .draw_series(LineSeries::new(steps(points, end), c.stroke_width(2)))?
                    .label(label)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 12, y)], c.stroke_width(2)));
            }
            let decisions = colour(3);
            chart.draw_series(
                report
                    .scaling_decisions
                    .iter()
                    .filter(|d| d.target == target)
                    .map(|d| Circle::new((minutes(d.t_s), d.to as f64), 3, decisions.filled())),
            )?;
            legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
            let mut chart = ChartBuilder::on(&lower)
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(60)
                .build_cartesian_2d(0.0..x1, 0.0..top_rate)?;
            chart
                .configure_mesh()
                .label_style((FONT, 15))
                .axis_desc_style((FONT, 16))
                .x_desc("minutes")
                .y_desc("requests/s")
                .y_label_formatter(&|v| format!("{v:.1}"))
                .draw()?;
            let bars = colour(4);
            chart
                .draw_series(
                    rates
                        .iter()
                        .map(|(a, b, r)| Rectangle::new([(*a, 0.0), (*b, *r)], bars.mix(0.7).filled())),
                )?
                .label("arrivals per second (metrics window)")
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], bars.filled()));
            legend(&mut chart, SeriesLabelPosition::UpperLeft)
        },
    ))
}

/// The name to show for a node: its first DNS label.
fn short_node(name: &str) -> String {
    name.split('.').next().unwrap_or(name).to_string()
}

/// Per node: GPU-hours it offered, allocated to pods, and busy in engine steps.
fn gpu_busy_by_node(report: &Report) -> Option<Result<Plot, PlotError>> {
    let mut busy: BTreeMap<&str, f64> = BTreeMap::new();
    for p in report.utilization.gpu_busy.iter().flat_map(|b| &b.pods) {
        *busy.entry(p.node.as_str()).or_default() += p.gpu_seconds_busy / 3600.0;
    }
    // With traffic every GPU node has a busy figure: one that held no engine pod was
    // busy for none of its hours.
    let with_busy = !busy.is_empty();
    let nodes: Vec<(String, f64, f64, Option<f64>)> = report
        .nodes
        .iter()
        .filter(|n| n.gpu_hours_capacity > 0.0)
        .map(|n| {
            (
                short_node(&n.name),
                n.gpu_hours_capacity,
                n.gpu_hours_allocated,
                with_busy.then(|| busy.get(n.name.as_str()).copied().unwrap_or(0.0)),
            )
        })
        .collect();
    if nodes.is_empty() {
        return None;
    }
    // A fleet's nodes do not fit one plot: the least allocated ones are where its idle
    // GPUs are, so those are drawn (in name order), and the title says how many.
    let total = nodes.len();
    let mut nodes = nodes;
    if total > NODE_BARS {
        let mut by_use: Vec<usize> = (0..total).collect();
        by_use.sort_by(|a, b| {
            let ratio = |i: usize| nodes.get(i).map_or(0.0, |n| n.2 / n.1.max(f64::MIN_POSITIVE));
            ratio(*a).total_cmp(&ratio(*b)).then(a.cmp(b))
        });
        let kept: BTreeSet<usize> = by_use.into_iter().take(NODE_BARS).collect();
        let mut i = 0;
        nodes.retain(|_| {
            i += 1;
            kept.contains(&(i - 1))
        });
    }
    let top = nodes.iter().map(|n| n.1).fold(0.0, f64::max).max(0.01) * 1.1;
    let title = match (with_busy, total > NODE_BARS) {
        (true, false) => "GPU-hours per node: capacity, allocated to pods, busy in engine steps".to_string(),
        (false, false) => "GPU-hours per node: capacity and allocated to pods".to_string(),
        (true, true) => {
            format!("GPU-hours of the {NODE_BARS} least allocated of {total} nodes: capacity, allocated, busy")
        }
        (false, true) => {
            format!("GPU-hours of the {NODE_BARS} least allocated of {total} nodes: capacity and allocated")
        }
    };
    let title = title.as_str();
    Some(horizontal_bars(
        "gpu-busy-by-node.svg",
        title,
        "GPU-hours",
        &nodes
            .iter()
            .map(|n| {
                let mut layers = vec![("capacity", n.1), ("allocated", n.2)];
                if let Some(b) = n.3 {
                    layers.push(("busy", b));
                }
                (n.0.clone(), layers)
            })
            .collect::<Vec<_>>(),
        top,
        |v| format!("{v:.1}"),
    ))
}

/// Nodes drawn at most in the per-node plot.
const NODE_BARS: usize = 40;

/// Per node pool: spend, and the part of it on GPUs allocated to no pod.
fn cost_by_pool(report: &Report) -> Option<Result<Plot, PlotError>> {
    let pools = &report.cost.by_node_pool;
    if pools.is_empty() {
        return None;
    }
    let bars: Vec<(String, Vec<(&str, f64)>)> = pools
        .iter()
        .map(|(name, p)| (name.clone(), vec![("spend", p.usd), ("idle GPUs", p.idle_usd)]))
        .collect();
    let top = pools.values().map(|p| p.usd).fold(0.0, f64::max).max(0.01) * 1.1;
    Some(horizontal_bars(
        "cost-by-node-pool.svg",
        "Spend per node pool (on-demand), and the part on idle GPUs",
        "US dollars",
        &bars,
        top,
        |v| format!("${v:.2}"),
    ))
}

/// Horizontal bars, one per row, each drawn as overlaid layers from largest to smallest.
/// A row without one of the layers is drawn without it.
fn horizontal_bars(
    file: &str,
    title: &str,
    x_desc: &str,
    rows: &[(String, Vec<(&str, f64)>)],
    top: f64,
    value: impl Fn(f64) -> String,
) -> Result<Plot, PlotError> {
    let n = rows.len() as f64;
    // Every row's layers, in the order they first appear.
    let mut layers: Vec<&str> = Vec::new();
    for (_, row) in rows {
        for (layer, _) in row {
            if !layers.contains(layer) {
                layers.push(layer);
            }
        }
    }
    // A band below the bars holds the legend, so it never covers one.
    let legend_rows = 0.25 + 0.6 * layers.len() as f64;
    let height = 110 + (36.0 * (n + legend_rows)) as u32;
    draw(file.into(), title.into(), height, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 22))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(200)
            .build_cartesian_2d(0.0..top * 1.08, -legend_rows..n)?;
        chart
            .configure_mesh()
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 16))
            .x_desc(x_desc)
            .y_labels(0)
            .disable_y_mesh()
            .draw()?;
        let names: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
        row_labels(root, &chart, &names, n)?;
        for (li, layer) in layers.iter().enumerate() {
            let c = match li {
                0 => RGBColor(200, 215, 230),
                1 => colour(0),
                _ => colour(2),
            };
            let inset = 0.12 + 0.08 * li as f64;
            chart
                .draw_series(rows.iter().enumerate().filter_map(|(row, r)| {
                    let y = n - row as f64 - 1.0;
                    let (_, v) = r.1.iter().find(|(l, _)| l == layer)?;
                    Some(Rectangle::new([(0.0, y + inset), (*v, y + 1.0 - inset)], c.filled()))
                }))?
                .label(*layer)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled()));
        }
        chart.draw_series(rows.iter().enumerate().map(|(row, r)| {
            let y = n - row as f64 - 0.5;
            let v = r.1.first().map_or(0.0, |l| l.1);
            Text::new(value(v), (v, y), (FONT, 15).into_font())
        }))?;
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::*;

    fn workload(history: &[(&str, f64)]) -> WorkloadRecord {
        WorkloadRecord {
            history: history
                .iter()
                .map(|(state, t)| StateChange {
                    t_s: *t,
                    state: state.to_string(),
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn quota_is_held_from_admission_to_finish_or_requeue() {
        // (history, end, intervals)
        let cases = [
            (
                vec![
                    ("Pending", 0.0),
                    ("Admitted", 10.0),
                    ("Ready", 50.0),
                    ("Finished", 90.0),
                ],
                100.0,
                vec![(10.0, 90.0)],
            ),
            (
                vec![
                    ("Pending", 0.0),
                    ("Admitted", 5.0),
                    ("Evicted", 20.0),
                    ("Pending", 30.0),
                    ("Admitted", 60.0),
                ],
                100.0,
                vec![(5.0, 30.0), (60.0, 100.0)],
            ),
            (vec![("Pending", 0.0)], 100.0, vec![]),
        ];
        for (history, end, want) in cases {
            assert_eq!(quota_intervals(&workload(&history), end), want, "{history:?}");
        }
    }

    #[test]
    fn slices_stack_each_series_where_its_intervals_hold() {
        // Intervals per series; the slices must agree with asking each series at every
        // slice's midpoint.
        let owners: Holdings = [
            ("a".to_string(), vec![(0.0, 10.0, 2.0), (5.0, 20.0, 1.0)]),
            ("b".to_string(), vec![(10.0, 10.0, 4.0), (12.0, 30.0, 4.0)]),
            ("c".to_string(), vec![]),
        ]
        .into_iter()
        .collect();
        let got = slices(&owners, 40.0);
        let cuts: Vec<(f64, f64)> = got.iter().map(|s| (s.0, s.1)).collect();
        assert_eq!(
            cuts,
            vec![
                (0.0, 5.0),
                (5.0, 10.0),
                (10.0, 12.0),
                (12.0, 20.0),
                (20.0, 30.0),
                (30.0, 40.0)
            ]
        );
        for (from, to, per) in &got {
            let mid = (from + to) / 2.0;
            let want: Vec<f64> = owners
                .values()
                .map(|ivs| {
                    ivs.iter()
                        .filter(|(a, b, _)| *a <= mid && mid < *b)
                        .map(|iv| iv.2)
                        .sum()
                })
                .collect();
            assert_eq!(per, &want, "slice {from}..{to}");
        }
    }

    #[test]
    fn many_slices_become_columns_that_keep_the_gpu_seconds() {
        let end = 3.0 * MAX_COLUMNS as f64;
        // A series toggling between 0 and 2 GPUs every second: three slices per column.
        let owners: Holdings = [(
            "a".to_string(),
            (0..3 * MAX_COLUMNS)
                .step_by(2)
                .map(|t| (t as f64, t as f64 + 1.0, 2.0))
                .collect(),
        )]
        .into_iter()
        .collect();
        let area = |s: &[(f64, f64, Vec<f64>)]| s.iter().map(|(a, b, p)| (b - a) * p[0]).sum::<f64>();
        let fine = slices(&owners, end);
        let before = area(&fine);
        let (cols, averaged) = columns(fine, end);
        assert!(averaged);
        assert_eq!(cols.len(), MAX_COLUMNS);
        assert!(
            (area(&cols) - before).abs() < 1e-6 * before,
            "{} vs {before}",
            area(&cols)
        );
        let few = slices(&owners, 10.0).into_iter().take(3).collect::<Vec<_>>();
        assert!(!columns(few, 10.0).1);
    }

    #[test]
    fn beyond_eight_series_the_lightest_share_one() {
        // Ten queues, queue i holding i + 1 GPUs for 10 s.
        let series: Holdings = (0..10)
            .map(|i| (format!("q{i}"), vec![(0.0, 10.0, i as f64 + 1.0)]))
            .collect();
        let top = top_and_other(series);
        let names: Vec<&str> = top.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            vec!["other (3 ClusterQueues)", "q3", "q4", "q5", "q6", "q7", "q8", "q9"]
        );
        assert_eq!(top["other (3 ClusterQueues)"].iter().map(|iv| iv.2).sum::<f64>(), 6.0);
    }

    fn resources(list: &[(&str, f64)]) -> Resources {
        list.iter().map(|(r, a)| (r.to_string(), Amount(*a))).collect()
    }

    fn latencies(cdf: &[(f64, f64)]) -> LatencySummary {
        LatencySummary {
            cdf: Some(cdf.to_vec()),
            ..Default::default()
        }
    }

    fn node(name: &str, capacity: f64, allocated: f64) -> NodeRecord {
        NodeRecord {
            name: name.into(),
            gpu_hours_capacity: capacity,
            gpu_hours_allocated: allocated,
            ..Default::default()
        }
    }

    fn busy_on(node: &str, seconds: f64) -> PodBusy {
        PodBusy {
            node: node.into(),
            gpu_seconds_busy: seconds,
            ..Default::default()
        }
    }

    #[test]
    fn a_report_draws_one_plot_per_flavor_model_and_view() {
        let timeline = [120.0, 120.0, 300.0].map(|t| TimelineEntry {
            t_s: t,
            ..Default::default()
        });
        let report = Report {
            duration_s: 600.0,
            timeline: timeline.to_vec(),
            cluster_queues: vec![ClusterQueueRecord {
                quota: [("l4".to_string(), resources(&[("cpu", 8.0), ("nvidia.com/gpu", 2.0)]))]
                    .into_iter()
                    .collect(),
                ..Default::default()
            }],
            workloads: vec![
                WorkloadRecord {
                    name: "w1".into(),
                    pod: "a-0".into(),
                    owner: "a".into(),
                    gpus: 1,
                    flavors: [(
                        "main".to_string(),
                        [("nvidia.com/gpu".to_string(), "l4".to_string())].into_iter().collect(),
                    )]
                    .into_iter()
                    .collect(),
                    ..workload(&[
                        ("Pending", 0.0),
                        ("Admitted", 0.0),
                        ("Ready", 60.0),
                        ("Admitted", 500.0),
                        ("Finished", 530.0),
                    ])
                },
                WorkloadRecord {
                    name: "w2".into(),
                    pod: "b-0".into(),
                    owner: "b".into(),
                    gpus: 2,
                    ..workload(&[("Pending", 0.0)])
                },
            ],
            models: [(
                "a".to_string(),
                ModelReport {
                    ttft_ms: latencies(&[(0.0, 10.0), (0.5, 20.0), (1.0, 90.0)]),
                    tpot_ms: latencies(&[(0.0, 0.0), (1.0, 5.0)]),
                    e2e_ms: latencies(&[(0.0, 100.0), (1.0, 900.0)]),
                    windows: vec![Window {
                        t_s: 60.0,
                        arrived: 5,
                        completed: 3,
                        ttft_p95_ms: Some(30.0),
                        e2e_p95_ms: Some(800.0),
                        ..Default::default()
                    }],
                    ..Default::default()
                },
            )]
            .into_iter()
            .collect(),
            nodes: vec![node("n-0.example", 0.5, 0.2)],
            utilization: Utilization {
                gpu_busy: Some(GpuBusy {
                    pods: vec![busy_on("n-0.example", 360.0)],
                    ..Default::default()
                }),
                ..Default::default()
            },
            cost: Cost {
                by_node_pool: [(
                    "gpu".to_string(),
                    PoolCost {
                        usd: 3.0,
                        idle_usd: 1.0,
                        ..Default::default()
                    },
                )]
                .into_iter()
                .collect(),
                ..Default::default()
            },
            ..Default::default()
        };
        let (plots, errors) = all(&report);
        assert_eq!(errors, []);
        let files: Vec<&str> = plots.iter().map(|p| p.file.as_str()).collect();
        assert_eq!(
            files,
            [
                "gpu-allocation-l4.svg",
                "workloads.svg",
                "latency-cdf-a.svg",
                "latency-over-time-a.svg",
                "gpu-busy-by-node.svg",
                "cost-by-node-pool.svg"
            ]
        );
        for p in &plots {
            assert!(
                p.svg.starts_with("<svg") && p.svg.trim_end().ends_with("</svg>"),
                "{}",
                p.file
            );
        }
        let text_of = |file: &str| {
            plots
                .iter()
                .find(|p| p.file == file)
                .map(|p| texts(&p.svg))
                .unwrap_or_default()
        };
        let gantt = text_of("workloads.svg");
        for text in [
            "a-0",
            "b-0",
            "1–2",
            "3",
            "ready",
            "pending",
            "admitted, pods loading",
            "not ready: terminating or restarting",
        ] {
            assert!(
                gantt.contains(&text.to_string()),
                "{text} missing from the Gantt chart: {gantt:?}"
            );
        }
        assert!(text_of("gpu-allocation-l4.svg").contains(&"nominal quota (2)".to_string()));
        assert!(
            text_of("gpu-busy-by-node.svg").contains(&"n-0".to_string()),
            "node names are shortened"
        );
    }

    /// A GPU node that held no engine pod in a run with traffic has no busy time: its
    /// bar shows capacity and allocation, busy at zero, wherever it comes in the list.
    #[test]
    fn a_gpu_node_without_engine_pods_is_drawn_busy_for_none_of_its_hours() {
        // (nodes in report order, the node with an engine pod)
        let cases = [
            (vec![node("idle", 1.0, 0.0), node("serving", 1.0, 1.0)], "serving"),
            (vec![node("serving", 1.0, 1.0), node("idle", 1.0, 0.0)], "serving"),
        ];
        for (nodes, serving) in cases {
            let report = Report {
                nodes,
                utilization: Utilization {
                    gpu_busy: Some(GpuBusy {
                        pods: vec![busy_on(serving, 1800.0)],
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                ..Default::default()
            };
            let plot = gpu_busy_by_node(&report).map(|p| p.map(|p| texts(&p.svg)));
            let Some(Ok(texts)) = plot else {
                panic!("no plot: {plot:?}");
            };
            for want in ["idle", "serving", "busy"] {
                assert!(texts.contains(&want.to_string()), "{want} missing: {texts:?}");
            }
        }
    }

    #[test]
    fn a_plot_that_cannot_be_drawn_says_which_and_why() {
        let e = draw("x.svg".into(), "x".into(), 100, |_| Err("no room".into()));
        assert_eq!(
            e.map_err(|e| e.to_string()),
            Err("plot x.svg not drawn: no room".to_string())
        );
    }

    /// The text elements' contents.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                let body = &t[t.find('>')? + 1..t.find("</text>")?];
                Some(body.trim().to_string())
            })
            .collect()
    }
}
