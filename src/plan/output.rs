//! What a sweep writes: `sweep.json` (the schema), `sweep.csv` (one row per point) and
//! `sweep.html` (a cost vs. latency plot with the Pareto front, and the table).

use super::sweep::SweepResult;
use crate::report::html::escape;
use crate::report::write_atomic;
use std::path::Path;

/// `sweep.json`: pretty JSON, newline-terminated.
pub fn json(r: &SweepResult) -> String {
    // A sweep result is strings and finite numbers, always serializable.
    let mut s = serde_json::to_string_pretty(r).unwrap_or_default();
    s.push('\n');
    s
}

/// Every metric name any point has, in first-seen order.
fn metric_names(r: &SweepResult) -> Vec<String> {
    let mut names: indexmap::IndexSet<String> = indexmap::IndexSet::new();
    for p in &r.points {
        names.extend(p.metrics.keys().cloned());
    }
    names.into_iter().collect()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `sweep.csv`: a point per row — its index, its settings, runs, runs whose expectations
/// held, then each metric's mean and 95% interval (empty where not measured).
pub fn csv(r: &SweepResult) -> String {
    let names = metric_names(r);
    let mut head: Vec<String> = vec!["point".into()];
    head.extend(r.settings.iter().map(|s| csv_field(&s.path)));
    head.extend(["runs".into(), "expectations_held".into(), "pareto".into()]);
    for n in &names {
        head.extend([
            csv_field(n),
            csv_field(&format!("{n}.ci95_low")),
            csv_field(&format!("{n}.ci95_high")),
        ]);
    }
    let mut out = head.join(",");
    out.push('\n');
    for p in &r.points {
        let mut row = vec![p.index.to_string()];
        row.extend(
            r.settings
                .iter()
                .map(|s| csv_field(p.settings.get(&s.path).map(String::as_str).unwrap_or(""))),
        );
        row.extend([
            p.runs.to_string(),
            p.expectations_held.map(|h| h.to_string()).unwrap_or_default(),
            r.pareto.contains(&p.index).to_string(),
        ]);
        for n in &names {
            match p.metrics.get(n) {
                Some(e) => {
                    row.push(e.mean.to_string());
                    match e.ci95 {
                        Some([lo, hi]) => row.extend([lo.to_string(), hi.to_string()]),
                        None => row.extend([String::new(), String::new()]),
                    }
                }
                None => row.extend([String::new(), String::new(), String::new()]),
            }
        }
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

fn fmt(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// The scatter of monthly cost against the worst model's TTFT p95, the frontier joined.
fn plot(r: &SweepResult) -> String {
    // (index, latency, cost, on the front, serves its traffic)
    let pts: Vec<(usize, f64, f64, bool, bool)> = r
        .points
        .iter()
        .filter_map(|p| {
            Some((
                p.index,
                p.metrics.get("worst_ttft_p95_ms")?.mean,
                p.metrics.get("cost_per_month_usd")?.mean,
                r.pareto.contains(&p.index),
                super::sweep::serves(p),
            ))
        })
        .collect();
    if pts.is_empty() {
        return "<p>No point served requests with a cost: nothing to plot.</p>".into();
    }
    let (w, h, m) = (720.0, 420.0, 60.0);
    // Latency on a log scale: saturated points sit orders of magnitude above the rest.
    let lx = |v: f64| v.max(1e-3).log10();
    let (x0, x1) = pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
        (a.min(lx(p.1)), b.max(lx(p.1)))
    });
    let y1 = pts.iter().fold(0.0, |b: f64, p| b.max(p.2));
    let pad = |a: f64, b: f64| {
        if (b - a).abs() < 1e-9 {
            (a - 0.5, b + 0.5)
        } else {
            (a - (b - a) * 0.05, b + (b - a) * 0.05)
        }
    };
    // Cost from zero up: a cheaper point sits visibly lower, never below the axis.
    let ((x0, x1), (y0, y1)) = (pad(x0, x1), (0.0, if y1 > 0.0 { y1 * 1.05 } else { 1.0 }));
    let sx = |v: f64| m + (lx(v) - x0) / (x1 - x0) * (w - 2.0 * m);
    let sy = |v: f64| h - m - (v - y0) / (y1 - y0) * (h - 2.0 * m);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"monthly cost against worst TTFT p95\">\n"
    );
    s.push_str(&format!(
        "<line x1=\"{m}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#444\"/><line x1=\"{m}\" y1=\"{m}\" x2=\"{m}\" y2=\"{}\" stroke=\"#444\"/>\n",
        h - m,
        w - m,
        h - m,
        h - m
    ));
    for k in (x0.ceil() as i32)..=(x1.floor() as i32) {
        let v = 10f64.powi(k);
        let x = sx(v);
        s.push_str(&format!(
            "<line x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{}\" stroke=\"#ddd\"/><text x=\"{x:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{} ms</text>\n",
            h - m,
            m,
            h - m + 16.0,
            fmt(v)
        ));
    }
    for k in 0..=4 {
        let v = y0 + (y1 - y0) * k as f64 / 4.0;
        let y = sy(v);
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">${}</text>\n",
            m - 4.0,
            y + 4.0,
            fmt(v)
        ));
    }
    s.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">worst model's TTFT p95 (log scale)</text>\n<text x=\"14\" y=\"{}\" font-size=\"12\" transform=\"rotate(-90 14 {})\" text-anchor=\"middle\">cost per month (USD)</text>\n",
        w / 2.0,
        h - 14.0,
        h / 2.0,
        h / 2.0
    ));
    let front: Vec<String> = r
        .pareto
        .iter()
        .filter_map(|i| pts.iter().find(|p| p.0 == *i))
        .map(|p| format!("{:.1},{:.1}", sx(p.1), sy(p.2)))
        .collect();
    if front.len() > 1 {
        s.push_str(&format!(
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#c0392b\" stroke-width=\"1.5\"/>\n",
            front.join(" ")
        ));
    }
    for (i, x, y, on, serves) in &pts {
        let (fill, r_) = match (on, serves) {
            (true, _) => ("#c0392b", 5),
            (false, true) => ("#2c7fb8", 4),
            (false, false) => ("#bbbbbb", 4),
        };
        let note = if *serves {
            ""
        } else {
            " — leaves over 1% of a model's requests failed or queued"
        };
        s.push_str(&format!(
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r_}\" fill=\"{fill}\"><title>point {i}: ${} per month, TTFT p95 {} ms{note}</title></circle>\n",
            sx(*x),
            sy(*y),
            fmt(*y),
            fmt(*x)
        ));
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\">{i}</text>\n",
            sx(*x) + 6.0,
            sy(*y) - 4.0
        ));
    }
    s.push_str("</svg>\n");
    s
}

/// `sweep.html`: self-contained (no external assets).
pub fn html(r: &SweepResult) -> String {
    let names = metric_names(r);
    let mut s = String::from("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
    s.push_str(&format!("<title>sweep of {}</title>\n", escape(&r.scenario)));
    s.push_str("<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}th{background:#f4f4f4}td.s{text-align:left}tr.front{background:#fdecea}small{color:#666}</style>\n</head><body>\n");
    s.push_str(&format!(
        "<h1>Sweep of {}</h1>\n<p>{} of {} point(s), {} seed(s) each ({}). Settings: {}.</p>\n",
        escape(&r.scenario),
        r.points.len(),
        r.points_total,
        r.seeds.len(),
        r.seeds.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
        r.settings
            .iter()
            .map(|x| format!("<code>{}</code> = {}", escape(&x.path), escape(&x.values.join(", "))))
            .collect::<Vec<_>>()
            .join("; ")
    ));
    s.push_str("<h2 id=\"plot\">Cost against latency</h2>\n<p>Each point: the mean over its seeds. Red: the Pareto front — no other point is both cheaper and faster. Grey: points that leave over 1% of some model's requests failed or still queued, whose percentiles describe only the requests served; they are not on the front.</p>\n");
    s.push_str(&plot(r));
    s.push_str("<h2 id=\"points\">Points</h2>\n<p>Means over seeds, with the 95% confidence interval below each.</p>\n<table>\n<tr><th>point</th>");
    for x in &r.settings {
        s.push_str(&format!("<th>{}</th>", escape(&x.path)));
    }
    s.push_str("<th>expectations held</th>");
    for n in &names {
        s.push_str(&format!("<th>{}</th>", escape(n)));
    }
    s.push_str("</tr>\n");
    for p in &r.points {
        let cls = if r.pareto.contains(&p.index) {
            " class=\"front\""
        } else {
            ""
        };
        s.push_str(&format!("<tr{cls}><td>{}</td>", p.index));
        for x in &r.settings {
            s.push_str(&format!(
                "<td class=\"s\">{}</td>",
                escape(p.settings.get(&x.path).map(String::as_str).unwrap_or(""))
            ));
        }
        match p.expectations_held {
            Some(h) => s.push_str(&format!("<td>{h}/{}</td>", p.runs)),
            None => s.push_str("<td>-</td>"),
        }
        for n in &names {
            match p.metrics.get(n) {
                Some(e) => {
                    s.push_str(&format!("<td>{}", fmt(e.mean)));
                    if let Some([lo, hi]) = e.ci95 {
                        s.push_str(&format!("<br><small>{}–{}</small>", fmt(lo), fmt(hi)));
                    }
                    s.push_str("</td>");
                }
                None => s.push_str("<td></td>"),
            }
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
    let errors: Vec<String> = r
        .points
        .iter()
        .flat_map(|p| p.errors.iter().map(move |e| format!("point {}: {}", p.index, e)))
        .collect();
    if !errors.is_empty() {
        s.push_str("<h2>Runs that stopped</h2>\n<ul>\n");
        for e in errors {
            s.push_str(&format!("<li>{}</li>\n", escape(&e)));
        }
        s.push_str("</ul>\n");
    }
    s.push_str("</body></html>\n");
    s
}

/// Writes the three files into `dir` (created if needed).
pub fn write(dir: &Path, r: &SweepResult) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    write_atomic(&dir.join("sweep.json"), &json(r))?;
    write_atomic(&dir.join("sweep.csv"), &csv(r))?;
    write_atomic(&dir.join("sweep.html"), &html(r))
}

/// The terminal's view: a line per point (the first 40), the frontier marked.
pub fn summary(r: &SweepResult) -> String {
    let mut s = format!(
        "sweep of {}: {} point(s) × {} seed(s)\n",
        r.scenario,
        r.points.len(),
        r.seeds.len()
    );
    let show =
        |p: &super::sweep::PointResult, k: &str| p.metrics.get(k).map(|e| fmt(e.mean)).unwrap_or_else(|| "-".into());
    s.push_str(&format!(
        "{:>5}  {:<48} {:>12} {:>14} {:>9} {:>8}\n",
        "point", "settings", "$/month", "worst TTFT p95", "GPU busy", "expect"
    ));
    for p in r.points.iter().take(40) {
        let settings: Vec<String> = p
            .settings
            .iter()
            .map(|(k, v)| format!("{}={v}", short_path(k)))
            .collect();
        let mark = if r.pareto.contains(&p.index) { "*" } else { " " };
        s.push_str(&format!(
            "{:>4}{mark}  {:<48} {:>12} {:>11} ms {:>9} {:>8}\n",
            p.index,
            settings.join(" "),
            show(p, "cost_per_month_usd"),
            show(p, "worst_ttft_p95_ms"),
            show(p, "gpu_busy_fraction"),
            p.expectations_held.map_or("-".into(), |h| format!("{h}/{}", p.runs)),
        ));
    }
    if r.points.len() > 40 {
        s.push_str(&format!("… {} more in sweep.csv\n", r.points.len() - 40));
    }
    for p in r.points.iter().filter(|p| !p.errors.is_empty()) {
        s.push_str(&format!("point {}: {}\n", p.index, p.errors.join("; ")));
    }
    s.push_str("* on the Pareto front of monthly cost and worst TTFT p95\n");
    s
}

/// A path's last two steps, enough to tell settings apart in a terminal line.
fn short_path(p: &str) -> String {
    let tail = p.rsplit(':').next().unwrap_or(p);
    let parts: Vec<&str> = tail.split('.').collect();
    if parts.len() <= 2 {
        tail.to_string()
    } else {
        parts[parts.len() - 2..].join(".")
    }
}
