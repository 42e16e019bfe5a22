//! report.md: the run in text, for reading in a repository or a CI artifact.

use super::model::Report;
use super::summary::{queues_table, workloads_table};
use super::{json_number, json_opt};

fn money(x: f64) -> String {
    format!("${x:.2}")
}

fn hours(x: f64) -> String {
    format!("{x:.2}")
}

/// A figure that only some runs have (traffic's), `-` when this one has none.
fn or_dash(v: Option<f64>, show: impl Fn(f64) -> String) -> String {
    v.map_or_else(|| "-".into(), show)
}

/// The text report; `plots` are linked from `plots/`, where they are written beside it.
pub fn render(report: &Report, plots: &[super::plots::Plot]) -> String {
    let mut o = String::new();
    o.push_str(&format!("# Scenario `{}`\n\n", report.scenario));
    o.push_str(&format!(
        "Seed {}, {} s simulated. Schema `{}`.\n\n",
        report.seed,
        json_number(report.duration_s),
        report.schema
    ));
    if !plots.is_empty() {
        o.push_str("## Plots\n\n");
        for p in plots {
            o.push_str(&format!("![{}](plots/{})\n\n", p.title, p.file));
        }
    }
    o.push_str("## Workloads\n\nTimes are simulated `HH:MM:SS` from the start of the run.\n\n");
    if let Some(note) = super::limit::note(report) {
        o.push_str(&format!("{note}\n\n"));
    }
    if report.workload_summary.total as usize > super::summary::SUMMARY_ROWS {
        o.push_str("By ClusterQueue, all of them:\n\n```\n");
        o.push_str(&super::summary::queue_workloads_table(report));
        o.push_str("```\n\n");
    }
    o.push_str("```\n");
    o.push_str(&workloads_table(report, usize::MAX));
    o.push_str("```\n\n## Quota at the end\n\n```\n");
    o.push_str(&queues_table(report));
    o.push_str("```\n\n");
    inference_services(&mut o, report);
    o.push_str("## Timeline\n\n");
    let cut = super::limit::timeline_cut(report);
    for t in &report.timeline {
        let at = crate::units::SimTime((t.t_s * 1000.0) as u64);
        o.push_str(&format!(
            "**{at}** `{}`\n\n```\n{}\n```\n\n",
            t.command,
            t.output_with_follow(&super::limit::shown_output(&t.output, cut))
        ));
    }
    deadlocks(&mut o, report);
    if !report.faults.is_empty() {
        o.push_str("## Faults\n\n```\n");
        o.push_str(&super::summary::faults_table(report));
        o.push_str("```\n\n");
        for f in &report.faults {
            o.push_str(&format!("- {}: {}\n", f.fault_type, f.description));
        }
        o.push('\n');
    }
    if !report.models.is_empty() {
        requests(&mut o, report);
    }
    scaling(&mut o, report);
    cold_starts(&mut o, report);
    utilization_and_cost(&mut o, report);
    monthly(&mut o, report);
    if !report.expectations.is_empty() {
        o.push_str("\n## Expectations\n\n| result | expectation | detail |\n|---|---|---|\n");
        for e in &report.expectations {
            let name = e.name.as_ref().map(|n| format!("{n}: ")).unwrap_or_default();
            o.push_str(&format!(
                "| {} | {name}`{}` | {} |\n",
                if e.passed { "pass" } else { "FAIL" },
                e.expect,
                e.detail
            ));
        }
    }
    if !report.inputs.skipped.is_empty() {
        o.push_str("\n## Skipped inputs\n\n");
        for s in &report.inputs.skipped {
            o.push_str(&format!("- {} `{}` ({}): {}\n", s.kind, s.name, s.location, s.note));
        }
    }
    o
}

/// Each InferenceService's model card and why it got it, its first Ready and downtime;
/// then a warning for each card its storage URI matched only in part.
fn inference_services(o: &mut String, report: &Report) {
    if report.inference_services.is_empty() {
        return;
    }
    o.push_str("## InferenceServices\n\n| InferenceService | model card | chosen by | first ready | downtime |\n|---|---|---|---|---|\n");
    for s in &report.inference_services {
        o.push_str(&format!(
            "| {}/{} | {} | {} | {} | {:.0} s |\n",
            s.namespace,
            s.name,
            s.model_card.as_deref().unwrap_or("-"),
            s.model_card_match.as_deref().unwrap_or("-").replace('|', "\\|"),
            s.first_ready_s.map_or_else(|| "-".into(), super::summary::clock),
            s.downtime_s
        ));
    }
    o.push('\n');
    for w in super::summary::model_card_warnings(report) {
        o.push_str(&format!("- **WARNING** {}\n", w.replace('|', "\\|")));
    }
    if report.inference_services.iter().any(|s| s.model_card_warning.is_some()) {
        o.push('\n');
    }
}

fn deadlocks(o: &mut String, report: &Report) {
    o.push_str("## Deadlocks\n\n");
    if report.deadlocks.is_empty() {
        o.push_str("None.\n\n");
    }
    for d in &report.deadlocks {
        o.push_str(&format!(
            "- detected at {} s, resolved at {}: {}\n  - **Fix:** {}\n",
            json_number(d.detected_s),
            json_opt(d.resolved_s),
            d.description,
            d.fix
        ));
    }
}

/// The models' latency table, then each model's SLO terms and failures by reason.
fn requests(o: &mut String, report: &Report) {
    o.push_str("\n## Requests\n\nLatencies in milliseconds over completed requests.\n\n```\n");
    o.push_str(&super::summary::models_table(report));
    o.push_str("```\n");
    for (name, m) in &report.models {
        for (k, t) in m.slo.iter().flat_map(|s| &s.terms) {
            o.push_str(&format!(
                "- {name} SLO `{k} <= {} ms`: actual {} ms, {} ({}% of requests within)\n",
                json_number(t.target_ms),
                json_opt(t.actual_ms),
                if t.met { "met" } else { "missed" },
                t.attainment
                    .map(|a| format!("{:.1}", a * 100.0))
                    .unwrap_or_else(|| "-".into())
            ));
        }
        for (k, v) in &m.failed_by_reason {
            o.push_str(&format!("- {name}: {v} requests failed with `{k}`\n"));
        }
        for (cause, w) in &m.capacity_waits {
            o.push_str(&format!(
                "- {name}: {} requests arrived while capacity was coming (`{cause}`), {} failed meanwhile\n",
                w.arrived, w.failed
            ));
        }
    }
}

/// The autoscalers' decisions, with the time each scale-up took to serve.
fn scaling(o: &mut String, report: &Report) {
    if report.scaling_decisions.is_empty() {
        return;
    }
    o.push_str(
        "\n## Scaling decisions\n\n| at | autoscaler | target | replicas | metric | reason | ready after |\n|---|---|---|---|---|---|---|\n",
    );
    for (i, d) in report.scaling_decisions.iter().enumerate() {
        let at = crate::units::SimTime((d.t_s * 1000.0).round() as u64);
        let lowered = report.scaling_decisions[i + 1..]
            .iter()
            .find(|n| n.target == d.target && n.to < d.to)
            .map(|n| crate::units::SimTime((n.t_s * 1000.0).round() as u64));
        o.push_str(&format!(
            "| {at} | {} {} | {} | {} → {} | {} | {} | {} |\n",
            d.autoscaler_kind,
            d.autoscaler,
            d.target,
            d.from,
            d.to,
            d.metric.replace('|', "\\|"),
            d.reason.replace('|', "\\|"),
            match (d.to > d.from, d.ready_after_s) {
                (true, Some(s)) => format!("{s:.0} s"),
                (true, None) => match lowered {
                    Some(t) => format!("lowered at {t} first"),
                    None => "not within the run".to_string(),
                },
                (false, _) => "-".to_string(),
            }
        ));
    }
}

/// Each pod's start-up steps, its name and binding time on the first row only.
fn cold_starts(o: &mut String, report: &Report) {
    o.push_str("\n## Model start-up (cold starts)\n\n| pod | bound at | step | seconds |\n|---|---|---|---|\n");
    for c in &report.cold_starts {
        for (i, s) in c.steps.iter().enumerate() {
            o.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                if i == 0 { c.pod.as_str() } else { "" },
                if i == 0 {
                    super::summary::clock(c.bound_s)
                } else {
                    String::new()
                },
                s.step,
                json_number(s.seconds)
            ));
        }
        o.push_str(&format!("| | | **total** | **{}** |\n", json_number(c.total_s)));
    }
}

fn utilization_and_cost(o: &mut String, report: &Report) {
    let (u, c) = (&report.utilization, &report.cost);
    o.push_str(&format!(
        "\n## Utilization and cost\n\n- GPU-hours allocated: {:.2} of {:.2}\n- Cost: {} (on-demand prices of {})\n- GPU-hours busy in engine steps: {}\n- Idle spend (GPUs allocated to no pod): {}\n- Allocated to engines but not busy: {}\n- Per million output tokens: {}\n\n| node pool | instance type | nodes | node-hours | spend | idle GPU spend |\n|---|---|---|---|---|---|\n",
        u.gpu_hours_allocated,
        u.gpu_hours_capacity,
        money(c.total_usd),
        c.price_date,
        or_dash(c.gpu_hours.busy, hours),
        money(c.idle_usd),
        or_dash(c.allocated_not_busy_usd, money),
        or_dash(c.usd_per_million_output_tokens, money),
    ));
    for (pool, p) in &c.by_node_pool {
        o.push_str(&format!(
            "| {pool} | {} | {} | {} | {} | {} |\n",
            p.instance_type,
            p.nodes,
            hours(p.node_hours),
            money(p.usd),
            money(p.idle_usd)
        ));
    }
}

/// The run as a month of the same usage: spend, GPUs allocated and busy, headroom.
fn monthly(o: &mut String, report: &Report) {
    use super::summary::{dollars, gpus, percent};
    let Some(m) = &report.monthly else { return };
    let c = &report.cost;
    o.push_str(&format!(
        "\n## Monthly\n\nThe run's spend rate ({} over {} h) for {:.0} hours (8,760 ÷ 12), at the on-demand prices of {}.\n\n| figure | per month |\n|---|---|\n| nodes | {} |\n| idle GPUs (allocated to no pod) | {} |\n| allocated to engines but not busy | {} |\n",
        money(c.total_usd),
        hours(c.hours),
        m.hours_per_month,
        c.price_date,
        dollars(m.usd),
        dollars(m.idle_usd),
        or_dash(m.allocated_not_busy_usd, dollars),
    ));
    for (pool, usd) in &m.by_node_pool {
        let types = c
            .by_node_pool
            .get(pool)
            .map(|p| p.instance_type.as_str())
            .unwrap_or("-");
        o.push_str(&format!("| node pool {pool} ({types}) | {} |\n", dollars(*usd)));
    }
    for (isvc, usd) in &m.by_inference_service {
        o.push_str(&format!("| InferenceService {isvc} GPUs | {} |\n", dollars(*usd)));
    }
    let g = &m.gpus;
    o.push_str(&format!(
        "\nGPUs on average over the run: {} offered, {} allocated ({}), {} busy in engine steps ({} of allocated).\n",
        gpus(g.offered),
        gpus(g.allocated),
        percent(Some(g.allocated_fraction)),
        or_dash(g.busy, gpus),
        percent(g.busy_fraction),
    ));
    if let Some(p) = &m.allocation_peak {
        o.push_str(&format!(
            "\nAllocation peak: {} of {} allocatable GPUs allocated at {}, {} never allocated then.\n",
            p.gpus_allocated,
            p.gpus_allocatable,
            super::summary::clock(p.t_s),
            p.gpus_unallocated
        ));
    }
    if m.models.is_empty() {
        return;
    }
    o.push_str(
        "\n| model | GPUs | GPU cost per month | busy | busiest window | its busy share | busy headroom | KV-cache peak | KV-cache headroom | most waiting | KV-cache preemptions |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for (name, x) in &m.models {
        o.push_str(&format!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            gpus(x.gpus_allocated),
            dollars(x.usd),
            percent(x.busy_fraction),
            x.peak_busy_window_s.map_or_else(|| "-".into(), super::summary::clock),
            percent(x.peak_busy_fraction),
            percent(x.busy_headroom),
            percent(x.peak_kv_cache_usage),
            percent(x.kv_cache_headroom),
            x.peak_waiting,
            x.kv_cache_preemptions
        ));
    }
}
