//! report.html: the whole run in one self-contained page (inline SVG and CSS, no script, no
//! network), for a browser or a CI artifact viewer.

use super::model::{Cost, Report};
use super::plots::Plot;
use super::summary::{clock, models_table, queues_table, workloads_table};
use std::fmt::Write;

pub(crate) fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const STYLE: &str = r#"
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 960px; padding: 1em 1.5em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.6em; }
pre { background: #f6f8fa; padding: 0.6em 0.8em; overflow-x: auto; font-size: 0.85em; border-radius: 4px; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f0f3f6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pass { color: #0a6b3d; font-weight: 600; }
.fail { color: #b3261e; font-weight: 600; }
.muted { color: #666; }
figure { margin: 1em 0; }
figure svg { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #444; }
nav a { margin-right: 0.8em; }
.verdict { display: inline-block; padding: 0.2em 0.6em; border-radius: 4px; color: #fff; }
.verdict.pass { background: #0a6b3d; }
.verdict.fail { background: #b3261e; }
"#;

fn section(o: &mut String, id: &str, title: &str) {
    let _ = writeln!(o, "<h2 id=\"{id}\">{}</h2>", escape(title));
}

fn pre(o: &mut String, text: &str) {
    let _ = writeln!(o, "<pre>{}</pre>", escape(text));
}

fn money(x: f64) -> String {
    format!("${x:.2}")
}

fn num(x: f64, digits: usize) -> String {
    format!("{x:.digits$}")
}

/// A figure that only some runs have (traffic's), `-` when this one has none.
fn or_dash(v: Option<f64>, show: impl Fn(f64) -> String) -> String {
    v.map_or_else(|| "-".into(), show)
}

pub fn render(report: &Report, plots: &[Plot]) -> String {
    let mut o = String::new();
    header(&mut o, report);
    section(&mut o, "summary", "Summary");
    summary(&mut o, report);
    section(&mut o, "plots", "Plots");
    figures(&mut o, plots);
    section(&mut o, "timeline", "Timeline");
    timeline(&mut o, report);
    section(&mut o, "deadlocks", "Deadlocks");
    deadlocks(&mut o, report);
    if !report.faults.is_empty() {
        section(&mut o, "faults", "Faults");
        pre(&mut o, &super::summary::faults_table(report));
        o.push_str("<ul>\n");
        for f in &report.faults {
            let _ = writeln!(o, "<li>{}: {}</li>", escape(&f.fault_type), escape(&f.description));
        }
        o.push_str("</ul>\n");
    }
    section(&mut o, "expectations", "Expectations");
    expectations(&mut o, report);
    section(&mut o, "cost", "Cost");
    cost(&mut o, &report.cost);
    if report.monthly.is_some() {
        section(&mut o, "monthly", "Monthly");
        monthly(&mut o, report);
    }
    if !report.cold_starts.is_empty() {
        section(&mut o, "cold-starts", "Model start-up");
        cold_starts(&mut o, report);
    }
    let inputs = &report.inputs;
    if !inputs.skipped.is_empty() || !inputs.warnings.is_empty() {
        section(&mut o, "inputs", "Inputs not simulated, and warnings");
        skipped_inputs(&mut o, report);
    }
    o.push_str("</body>\n</html>\n");
    o
}

/// The document's head, the title with the expectations' verdict, and the navigation.
fn header(o: &mut String, report: &Report) {
    let name = report.scenario.as_str();
    let _ = writeln!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{} — gpuaas-sim report</title>\n<style>{STYLE}</style>\n</head>\n<body>",
        escape(name)
    );
    let expectations = &report.expectations;
    let failed = expectations.iter().filter(|e| !e.passed).count();
    let _ = write!(
        o,
        "<h1>Scenario <code>{}</code></h1>\n<p class=\"muted\">Seed {}, {} simulated, report schema <code>{}</code>.",
        escape(name),
        report.seed,
        clock(report.duration_s),
        escape(&report.schema)
    );
    if !expectations.is_empty() {
        let (class, text) = if failed == 0 {
            (
                "pass",
                format!("{} of {} expectations hold", expectations.len(), expectations.len()),
            )
        } else {
            (
                "fail",
                format!("{failed} of {} expectations failed", expectations.len()),
            )
        };
        let _ = write!(o, " <span class=\"verdict {class}\">{text}</span>");
    }
    o.push_str("</p>\n<nav><a href=\"#summary\">Summary</a><a href=\"#plots\">Plots</a><a href=\"#timeline\">Timeline</a><a href=\"#deadlocks\">Deadlocks</a><a href=\"#expectations\">Expectations</a><a href=\"#cost\">Cost</a>");
    if report.monthly.is_some() {
        o.push_str("<a href=\"#monthly\">Monthly</a>");
    }
    o.push_str("</nav>\n");
}

fn summary(o: &mut String, report: &Report) {
    o.push_str("<p>Workloads (times are simulated HH:MM:SS from the start):</p>\n");
    if let Some(note) = super::limit::note(report) {
        let _ = writeln!(o, "<p class=\"muted\">{}</p>", escape(&note));
    }
    if report.workload_summary.total as usize > super::summary::SUMMARY_ROWS {
        o.push_str("<p>By ClusterQueue, all of them:</p>\n");
        pre(o, &super::summary::queue_workloads_table(report));
    }
    pre(o, &workloads_table(report, usize::MAX));
    o.push_str("<p>Quota at the end:</p>\n");
    pre(o, &queues_table(report));
    if report.inference_services.iter().any(|s| s.model_card.is_some()) {
        o.push_str("<p>Model cards (which card each InferenceService ran as, and why):</p>\n");
        pre(o, &super::summary::model_cards_table(report));
        for w in super::summary::model_card_warnings(report) {
            let _ = writeln!(o, "<p class=\"fail\">WARNING: {}</p>", escape(&w));
        }
    }
    if !report.models.is_empty() {
        o.push_str("<p>Requests (latencies in milliseconds over completed requests):</p>\n");
        pre(o, &models_table(report));
    }
    let u = &report.utilization;
    let _ = writeln!(
        o,
        "<p>GPU-hours allocated: {} of {} ({}%).</p>",
        num(u.gpu_hours_allocated, 2),
        num(u.gpu_hours_capacity, 2),
        num(u.gpu_allocated_fraction * 100.0, 0)
    );
}

/// The plots inline, each with an anchor named after its file.
fn figures(o: &mut String, plots: &[Plot]) {
    if plots.is_empty() {
        o.push_str("<p class=\"muted\">Nothing to plot.</p>\n");
    }
    for p in plots {
        let _ = writeln!(
            o,
            "<figure id=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>",
            escape(p.file.trim_end_matches(".svg")),
            p.svg.trim(),
            escape(&p.title)
        );
    }
}

fn timeline(o: &mut String, report: &Report) {
    if report.timeline.is_empty() {
        o.push_str("<p class=\"muted\">No commands.</p>\n");
    } else {
        o.push_str("<p class=\"muted\">Numbers match the lines in the workloads chart.</p>\n");
    }
    let cut = super::limit::timeline_cut(report);
    for (i, t) in report.timeline.iter().enumerate() {
        let _ = writeln!(
            o,
            "<h3>{}. {} <code>{}</code></h3>",
            i + 1,
            clock(t.t_s),
            escape(&t.command)
        );
        pre(o, &t.output_with_follow(&super::limit::shown_output(&t.output, cut)));
    }
}

fn deadlocks(o: &mut String, report: &Report) {
    if report.deadlocks.is_empty() {
        o.push_str("<p>None.</p>\n");
    }
    for d in &report.deadlocks {
        let resolved = match d.resolved_s {
            None => "not resolved by the end".to_string(),
            Some(s) => format!("resolved at {}", clock(s)),
        };
        let _ = writeln!(
            o,
            "<p><strong>Detected at {}</strong>, {}.</p>\n<p>{}</p>\n<p><strong>Fix:</strong> {}</p>",
            clock(d.detected_s),
            escape(&resolved),
            escape(&d.description),
            escape(&d.fix)
        );
    }
}

fn expectations(o: &mut String, report: &Report) {
    let expectations = &report.expectations;
    if expectations.is_empty() {
        o.push_str("<p class=\"muted\">The scenario states none.</p>\n");
        return;
    }
    o.push_str("<table>\n<tr><th>result</th><th>expectation</th><th>detail</th><th>location</th></tr>\n");
    for e in expectations {
        let (class, text) = if e.passed { ("pass", "pass") } else { ("fail", "FAIL") };
        let name = e
            .name
            .as_ref()
            .map(|n| format!("{}<br>", escape(n)))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "<tr><td class=\"{class}\">{text}</td><td>{name}<code>{}</code></td><td>{}</td><td class=\"muted\">{}</td></tr>",
            escape(&e.expect),
            escape(&e.detail),
            escape(&e.location)
        );
    }
    o.push_str("</table>\n");
}

/// Each pod's start-up steps, its name and binding time on the first row only.
fn cold_starts(o: &mut String, report: &Report) {
    o.push_str("<table>\n<tr><th>pod</th><th>bound at</th><th>step</th><th>seconds</th></tr>\n");
    for c in &report.cold_starts {
        for (i, s) in c.steps.iter().enumerate() {
            let (pod, at) = if i == 0 {
                (c.pod.clone(), clock(c.bound_s))
            } else {
                (String::new(), String::new())
            };
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{at}</td><td>{}</td><td class=\"num\">{}</td></tr>",
                escape(&pod),
                escape(&s.step),
                num(s.seconds, 1)
            );
        }
        let _ = writeln!(
            o,
            "<tr><td></td><td></td><td><strong>total</strong></td><td class=\"num\"><strong>{}</strong></td></tr>",
            num(c.total_s, 1)
        );
    }
    o.push_str("</table>\n");
}

fn skipped_inputs(o: &mut String, report: &Report) {
    let inputs = &report.inputs;
    o.push_str("<ul>\n");
    for s in &inputs.skipped {
        let _ = writeln!(
            o,
            "<li>{} <code>{}</code> ({}): {}</li>",
            escape(&s.kind),
            escape(&s.name),
            escape(&s.location),
            escape(&s.note)
        );
    }
    for w in &inputs.warnings {
        let _ = writeln!(o, "<li>{}</li>", escape(w));
    }
    o.push_str("</ul>\n");
}

fn cost(o: &mut String, c: &Cost) {
    let _ = writeln!(
        o,
        "<p>Total {} for {} h at on-demand prices of {}.</p>\n<table>\n<tr><th>node pool</th><th>instance type</th><th>nodes</th><th>node-hours</th><th>spend</th><th>GPU-hours</th><th>allocated</th><th>idle GPU spend</th></tr>",
        money(c.total_usd),
        num(c.hours, 2),
        escape(&c.price_date)
    );
    for (pool, p) in &c.by_node_pool {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(pool),
            escape(&p.instance_type),
            p.nodes,
            num(p.node_hours, 2),
            money(p.usd),
            num(p.gpu_hours_capacity, 2),
            num(p.gpu_hours_allocated, 2),
            money(p.idle_usd)
        );
    }
    o.push_str("</table>\n<ul>\n");
    let g = &c.gpu_hours;
    let _ = writeln!(
        o,
        "<li>GPU-hours: {} offered, {} allocated, {} busy in engine steps.</li>\n<li>Idle spend (GPUs allocated to no pod): {}.</li>\n<li>Allocated to engines but not busy: {}.</li>\n<li>Per million output tokens: {}.</li>\n</ul>",
        num(g.capacity, 2),
        num(g.allocated, 2),
        or_dash(g.busy, |x| num(x, 2)),
        money(c.idle_usd),
        or_dash(c.allocated_not_busy_usd, money),
        or_dash(c.usd_per_million_output_tokens, money)
    );
}

/// The run as a month of the same usage: spend, GPUs allocated and busy, headroom.
fn monthly(o: &mut String, report: &Report) {
    use super::summary::{dollars, gpus, percent};
    let Some(m) = &report.monthly else { return };
    let c = &report.cost;
    let _ = writeln!(
        o,
        "<p>The run's spend rate ({} over {} h) for {} hours (8,760 ÷ 12), at the on-demand prices of {}.</p>\n<table>\n<tr><th>figure</th><th>per month</th></tr>",
        money(c.total_usd),
        num(c.hours, 2),
        num(m.hours_per_month, 0),
        escape(&c.price_date)
    );
    let row = |o: &mut String, figure: &str, usd: String| {
        let _ = writeln!(o, "<tr><td>{}</td><td class=\"num\">{}</td></tr>", escape(figure), usd);
    };
    row(o, "nodes", dollars(m.usd));
    row(o, "idle GPUs (allocated to no pod)", dollars(m.idle_usd));
    row(
        o,
        "allocated to engines but not busy",
        or_dash(m.allocated_not_busy_usd, dollars),
    );
    for (pool, usd) in &m.by_node_pool {
        let types = c
            .by_node_pool
            .get(pool)
            .map(|p| p.instance_type.as_str())
            .unwrap_or("-");
        row(o, &format!("node pool {pool} ({types})"), dollars(*usd));
    }
    for (isvc, usd) in &m.by_inference_service {
        row(o, &format!("InferenceService {isvc} GPUs"), dollars(*usd));
    }
    o.push_str("</table>\n");
    let g = &m.gpus;
    let _ = writeln!(
        o,
        "<p>GPUs on average over the run: {} offered, {} allocated ({}), {} busy in engine steps ({} of allocated).</p>",
        gpus(g.offered),
        gpus(g.allocated),
        percent(Some(g.allocated_fraction)),
        or_dash(g.busy, gpus),
        percent(g.busy_fraction)
    );
    if let Some(p) = &m.allocation_peak {
        let _ = writeln!(
            o,
            "<p>Allocation peak: {} of {} allocatable GPUs allocated at {}, {} never allocated then.</p>",
            p.gpus_allocated,
            p.gpus_allocatable,
            clock(p.t_s),
            p.gpus_unallocated
        );
    }
    if m.models.is_empty() {
        return;
    }
    o.push_str("<table>\n<tr><th>model</th><th>GPUs</th><th>GPU cost per month</th><th>busy</th><th>busiest window</th><th>its busy share</th><th>busy headroom</th><th>KV-cache peak</th><th>KV-cache headroom</th><th>most waiting</th><th>KV-cache preemptions</th></tr>\n");
    for (name, x) in &m.models {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(name),
            gpus(x.gpus_allocated),
            dollars(x.usd),
            percent(x.busy_fraction),
            x.peak_busy_window_s.map_or_else(|| "-".into(), clock),
            percent(x.peak_busy_fraction),
            percent(x.busy_headroom),
            percent(x.peak_kv_cache_usage),
            percent(x.kv_cache_headroom),
            x.peak_waiting,
            x.kv_cache_preemptions
        );
    }
    o.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_the_run_is_escaped() {
        use crate::report::model::{ExpectationRecord, PoolCost, TimelineEntry};
        let report = Report {
            scenario: "a<b".into(),
            timeline: vec![TimelineEntry {
                t_s: 60.0,
                command: "oc get pods -l 'a=b'".into(),
                output: "<none> & more".into(),
                ..Default::default()
            }],
            expectations: vec![ExpectationRecord {
                name: Some("gate <main>".into()),
                expect: "x < y".into(),
                passed: false,
                detail: "\"quoted\"".into(),
                location: "s.yaml:3:5".into(),
            }],
            cost: Cost {
                by_node_pool: [(
                    "p&q".to_string(),
                    PoolCost {
                        usd: 1.5,
                        ..Default::default()
                    },
                )]
                .into_iter()
                .collect(),
                ..Default::default()
            },
            ..Default::default()
        };
        let html = render(&report, &[]);
        for want in [
            "a&lt;b",
            "&lt;none&gt; &amp; more",
            "oc get pods -l &#39;a=b&#39;",
            "x &lt; y",
            "gate &lt;main&gt;<br>",
            "&quot;quoted&quot;",
            "p&amp;q",
            "1 of 1 expectations failed",
        ] {
            assert!(html.contains(want), "{want} missing");
        }
        assert!(!html.contains("<none>"));
        assert!(!html.contains("<script"), "the page runs no script");
    }
}
