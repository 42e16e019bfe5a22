//! The terminal summary of a run.

use super::model::{Amount, Report, Spread};
use crate::scenario::printers::report_table as table;

/// Seconds from the start as HH:MM:SS.
pub(crate) fn clock(s: f64) -> String {
    crate::units::SimTime((s * 1000.0).round() as u64).to_string()
}

fn t(s: Option<f64>) -> String {
    s.map_or_else(|| "-".into(), clock)
}

/// A report amount shown as a Kubernetes quantity (memory as Gi, not bytes).
fn quantity(a: Option<Amount>) -> String {
    match a {
        Some(Amount(f)) => crate::units::Quantity::from_milli((f * 1000.0).round() as i128).to_string(),
        None => "-".into(),
    }
}

/// Rows of the terminal summary's workloads table; the documents list every workload the
/// report has.
pub(crate) const SUMMARY_ROWS: usize = 40;

pub(crate) fn workloads_table(report: &Report, max_rows: usize) -> String {
    let rows: Vec<Vec<String>> = report
        .workloads
        .iter()
        .take(max_rows)
        .map(|w| {
            vec![
                w.owner.clone(),
                w.gpus.to_string(),
                clock(w.created_s),
                t(w.admitted_s),
                t(w.ready_s),
                t(w.finished_s),
                w.state.clone(),
                w.message
                    .clone()
                    .or_else(|| why_not_ready(report, w))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    table(
        &[
            "OWNER", "GPUS", "CREATED", "ADMITTED", "READY", "FINISHED", "STATE", "REASON",
        ],
        &rows,
    )
}

/// Why an admitted workload's pods are not Ready at the end: kube-scheduler's message for a
/// pod no node takes, vLLM's error for an engine that cannot start, else the pod's status.
fn why_not_ready(report: &Report, w: &super::model::WorkloadRecord) -> Option<String> {
    if w.state != "Admitted" {
        return None;
    }
    // A pod-integration Workload names its pod; a Job's pods are `<job>-<suffix>`.
    let prefix = format!("{}-", w.pod);
    let pods: Vec<&super::model::PodRecord> = report
        .pods
        .iter()
        .filter(|p| p.namespace == w.namespace && (p.name == w.pod || p.name.starts_with(&prefix)))
        .collect();
    if let Some(m) = pods.iter().find_map(|p| p.unschedulable.as_ref()) {
        return Some(format!("FailedScheduling: {m}"));
    }
    if let Some(e) = pods.iter().find_map(|p| p.error.as_ref()) {
        return Some(e.clone());
    }
    pods.iter()
        .find(|p| p.status != "Running")
        .map(|p| format!("pod {} is {}", p.name, p.status))
}

/// Every workload counted per ClusterQueue: finished, evicted, time Pending (Kueue's
/// wait) and time to Ready (Kueue's, kube-scheduler's and the start-up).
pub(crate) fn queue_workloads_table(report: &Report) -> String {
    let s = &report.workload_summary;
    let secs = |x: f64| format!("{x:.0}");
    let row = |name: &str, workloads: u64, finished: u64, evictions: u64, pending: &Spread, ready: &Spread| {
        vec![
            name.to_string(),
            workloads.to_string(),
            finished.to_string(),
            evictions.to_string(),
            secs(pending.p95),
            secs(pending.max),
            secs(ready.p50),
            secs(ready.p95),
            secs(ready.max),
        ]
    };
    let finished = s.by_state.get("Finished").copied().unwrap_or(0);
    let rows: Vec<Vec<String>> = s
        .by_cluster_queue
        .iter()
        .map(|(name, q)| row(name, q.workloads, q.finished, q.evictions, &q.pending_s, &q.to_ready_s))
        .chain(std::iter::once(row(
            "(all)",
            s.total,
            finished,
            s.evictions,
            &s.pending_s,
            &s.to_ready_s,
        )))
        .collect();
    table(
        &[
            "CLUSTERQUEUE",
            "WORKLOADS",
            "FINISHED",
            "EVICTIONS",
            "PENDING p95 s",
            "PENDING max s",
            "TO READY p50 s",
            "TO READY p95 s",
            "TO READY max s",
        ],
        &rows,
    )
}

pub(crate) fn queues_table(report: &Report) -> String {
    let mut rows = Vec::new();
    for cq in &report.cluster_queues {
        for (flavor, res) in &cq.quota {
            for (r, q) in res {
                let used = cq.usage.get(flavor).and_then(|u| u.get(r)).copied();
                rows.push(vec![
                    cq.name.clone(),
                    flavor.clone(),
                    r.clone(),
                    format!("{}/{}", quantity(used), quantity(Some(*q))),
                ]);
            }
        }
    }
    table(&["CLUSTERQUEUE", "FLAVOR", "RESOURCE", "USED/QUOTA (end)"], &rows)
}

fn ms(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.0}")).unwrap_or_else(|| "-".into())
}

pub(crate) fn models_table(report: &Report) -> String {
    let mut rows = Vec::new();
    for (name, m) in &report.models {
        let slo = m.slo.as_ref().and_then(|s| s.attainment);
        rows.push(vec![
            name.clone(),
            m.requests.to_string(),
            m.completed.to_string(),
            m.failed.to_string(),
            m.in_flight_at_end.to_string(),
            format!("{}/{}", ms(m.ttft_ms.p50), ms(m.ttft_ms.p95)),
            format!("{}/{}", ms(m.tpot_ms.p50), ms(m.tpot_ms.p95)),
            format!("{}/{}", ms(m.e2e_ms.p50), ms(m.e2e_ms.p95)),
            format!("{:.0}", m.output_tokens_per_s),
            slo.map(|a| format!("{:.1}%", a * 100.0)).unwrap_or_else(|| "-".into()),
        ]);
    }
    table(
        &[
            "MODEL",
            "REQUESTS",
            "COMPLETED",
            "FAILED",
            "IN-FLIGHT",
            "TTFT p50/p95 ms",
            "TPOT p50/p95 ms",
            "E2E p50/p95 ms",
            "OUT TOK/S",
            "SLO MET",
        ],
        &rows,
    )
}

/// The model card each InferenceService ran as, and why (the annotation, or the storage
/// URI and the card's pattern it matched).
pub(crate) fn model_cards_table(report: &Report) -> String {
    let rows: Vec<Vec<String>> = report
        .inference_services
        .iter()
        .map(|s| {
            vec![
                format!("{}/{}", s.namespace, s.name),
                s.model_card.clone().unwrap_or_else(|| "-".into()),
                s.model_card_match.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    table(&["INFERENCESERVICE", "MODEL CARD", "CHOSEN BY"], &rows)
}

/// A warning per InferenceService whose storage URI matched its card only in part.
pub(crate) fn model_card_warnings(report: &Report) -> Vec<String> {
    report
        .inference_services
        .iter()
        .filter_map(|s| {
            let why = s.model_card_warning.as_ref()?;
            Some(format!(
                "{}/{} runs as model card {} but matched it only in part: {why}; add a card for this checkpoint (models.yaml of --catalog DIR, or `catalog: models:` in the Scenario) or name one with the annotation gpuaas-sim.io/model",
                s.namespace,
                s.name,
                s.model_card.as_deref().unwrap_or("-")
            ))
        })
        .collect()
}

/// One line per fault: what struck what, what replaced it, what the clients saw.
pub(crate) fn faults_table(report: &Report) -> String {
    let rows: Vec<Vec<String>> = report
        .faults
        .iter()
        .map(|f| {
            let services: Vec<String> = f
                .services
                .iter()
                .map(|s| {
                    format!(
                        "{}: {:.0}s down, {} failed{}",
                        s.service,
                        s.downtime_s,
                        s.failed_requests,
                        s.recovered_s
                            .map(|r| format!(", back at {}", clock(r)))
                            .unwrap_or_else(|| ", not back".into())
                    )
                })
                .collect();
            vec![
                clock(f.at_s),
                f.fault_type.clone(),
                f.node.clone().unwrap_or_else(|| "-".into()),
                f.pods_struck.len().to_string(),
                format!("{} ({} Ready)", f.replacement_pods.len(), t(f.replacements_ready_s)),
                f.workloads_readmitted.len().to_string(),
                f.evictions.to_string(),
                if services.is_empty() {
                    "-".into()
                } else {
                    services.join("; ")
                },
            ]
        })
        .collect();
    table(
        &[
            "AT",
            "FAULT",
            "NODE",
            "PODS STRUCK",
            "REPLACED",
            "READMITTED",
            "EVICTIONS",
            "SERVICES",
        ],
        &rows,
    )
}

pub fn render(report: &Report) -> String {
    let mut o = String::new();
    o.push_str(&format!(
        "scenario {} (seed {}, {} simulated)\n\n",
        report.scenario,
        report.seed,
        crate::units::SimDuration((report.duration_s * 1000.0) as u64)
    ));
    o.push_str("Workloads (times are simulated HH:MM:SS):\n");
    o.push_str(&workloads_table(report, SUMMARY_ROWS));
    let listed = report.workloads.len();
    if listed > SUMMARY_ROWS {
        o.push_str(&format!(
            "… the first {SUMMARY_ROWS} of the {listed} the report lists (run --out writes them all to report.md)\n"
        ));
    }
    if let Some(note) = super::limit::note(report) {
        o.push_str(&format!("{note}\n"));
    }
    if report.workload_summary.total as usize > SUMMARY_ROWS {
        o.push_str("\nWorkloads by ClusterQueue (all of them):\n");
        o.push_str(&queue_workloads_table(report));
    }
    o.push_str("\nQuota:\n");
    o.push_str(&queues_table(report));
    if report.inference_services.iter().any(|s| s.model_card.is_some()) {
        o.push_str("\nModel cards:\n");
        o.push_str(&model_cards_table(report));
        for w in model_card_warnings(report) {
            o.push_str(&format!("WARNING: {w}\n"));
        }
    }
    if report.deadlocks.is_empty() {
        o.push_str("\nDeadlocks: none\n");
    } else {
        o.push_str("\nDeadlocks:\n");
        for d in &report.deadlocks {
            o.push_str(&format!(
                "  at {} (resolved: {}): {}\n    fix: {}\n",
                clock(d.detected_s),
                t(d.resolved_s),
                d.description,
                d.fix
            ));
        }
    }
    if !report.faults.is_empty() {
        o.push_str("\nFaults:\n");
        o.push_str(&faults_table(report));
    }
    if !report.models.is_empty() {
        o.push_str("\nRequests (latencies over completed requests):\n");
        o.push_str(&models_table(report));
        for (name, m) in &report.models {
            if !m.failed_by_reason.is_empty() {
                let why: Vec<String> = m.failed_by_reason.iter().map(|(k, v)| format!("{v} {k}")).collect();
                o.push_str(&format!("  {name} failures: {}\n", why.join(", ")));
            }
        }
        if let Some(b) = &report.utilization.gpu_busy {
            o.push_str(&format!(
                "GPU busy serving: {:.2} of {:.2} allocated GPU-hours ({:.1}%)\n",
                b.gpu_hours_busy,
                b.gpu_hours_allocated,
                b.busy_fraction * 100.0
            ));
        }
    }
    let (u, c) = (&report.utilization, &report.cost);
    o.push_str(&format!(
        "\nGPU allocation: {:.2} of {:.2} GPU-hours ({:.0}%); cost ${:.2} (on-demand prices of {})\n",
        u.gpu_hours_allocated,
        u.gpu_hours_capacity,
        u.gpu_allocated_fraction * 100.0,
        c.total_usd,
        c.price_date
    ));
    let mut spend = format!("Idle GPUs (allocated to no pod) cost ${:.2}", c.idle_usd);
    if let Some(x) = c.allocated_not_busy_usd {
        spend.push_str(&format!("; allocated to engines but not busy ${x:.2}"));
    }
    if let Some(x) = c.usd_per_million_output_tokens {
        spend.push_str(&format!("; ${x:.2} per million output tokens"));
    }
    o.push_str(&spend);
    o.push('\n');
    if let Some(line) = monthly_line(report) {
        o.push_str(&line);
        o.push('\n');
    }
    let ex = &report.expectations;
    if !ex.is_empty() {
        let passed = ex.iter().filter(|e| e.passed).count();
        o.push_str(&format!("\nExpectations: {passed}/{} hold\n", ex.len()));
        for e in ex.iter().filter(|e| !e.passed) {
            let name = e.name.as_ref().map(|n| format!("{n}: ")).unwrap_or_default();
            o.push_str(&format!("  FAILED {}: {name}{} — {}\n", e.location, e.expect, e.detail));
        }
    }
    for w in &report.inputs.warnings {
        o.push_str(&format!("note: {w}\n"));
    }
    o
}

/// Whole dollars with thousands separators (`$64,145`): a month extrapolated from a run is
/// no more precise than that.
pub(crate) fn dollars(x: f64) -> String {
    let whole = x.round().abs() as u64;
    let digits = whole.to_string();
    let mut o = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            o.push(',');
        }
        o.push(c);
    }
    let sign = if x.round() < 0.0 { "-" } else { "" };
    format!("{sign}${o}")
}

/// A mean GPU count: whole when it is, else two decimals.
pub(crate) fn gpus(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

/// A share as a percentage with one decimal, `-` when not measured.
pub(crate) fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |x| format!("{:.1}%", x * 100.0))
}

/// The run as a month in one line: the spend at its rate, the GPUs allocated and busy, and
/// headroom (the fleet's at its allocation peak, each model's in its busiest window).
pub(crate) fn monthly_line(report: &Report) -> Option<String> {
    let m = report.monthly.as_ref()?;
    let g = &m.gpus;
    let mut o = format!(
        "≈ {}/month at this usage ({:.0} h, on-demand prices of {}), GPUs {} allocated of {} offered",
        dollars(m.usd),
        m.hours_per_month,
        report.cost.price_date,
        gpus(g.allocated),
        gpus(g.offered),
    );
    if let Some(b) = g.busy_fraction {
        o.push_str(&format!(", {} busy", percent(Some(b))));
    }
    let mut headroom = Vec::new();
    if let Some(p) = &m.allocation_peak {
        headroom.push(format!(
            "{} GPUs unallocated at the allocation peak ({} of {} allocated)",
            p.gpus_unallocated, p.gpus_allocated, p.gpus_allocatable
        ));
    }
    // The busy headroom alone would call any engine under steady traffic full; the
    // KV-cache headroom and the queue say whether it was.
    let share = |x: Option<f64>| x.map_or_else(|| "-".into(), |x| format!("{:.0}%", x * 100.0));
    let models: Vec<String> = m
        .models
        .iter()
        .filter(|(_, x)| x.busy_headroom.is_some() || x.kv_cache_headroom.is_some())
        .map(|(name, x)| {
            format!(
                "{name} {} busy, {} KV cache, {} waiting at most",
                share(x.busy_headroom),
                share(x.kv_cache_headroom),
                x.peak_waiting
            )
        })
        .collect();
    if !models.is_empty() {
        headroom.push(models.join("; "));
    }
    if !headroom.is_empty() {
        o.push_str(&format!("; headroom: {}", headroom.join("; ")));
    }
    Some(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_counts_read_as_a_planner_writes_them() {
        // (dollars, text)
        for (x, want) in [
            (0.0, "$0"),
            (999.4, "$999"),
            (1000.0, "$1,000"),
            (64145.49, "$64,145"),
            (1234567.0, "$1,234,567"),
            (-1500.0, "-$1,500"),
        ] {
            assert_eq!(dollars(x), want, "{x}");
        }
        for (x, want) in [(8.0, "8"), (3.75, "3.75"), (0.0, "0")] {
            assert_eq!(gpus(x), want, "{x}");
        }
        assert_eq!(percent(Some(0.3125)), "31.2%");
        assert_eq!(percent(None), "-");
    }

    #[test]
    fn the_monthly_line_says_only_what_was_measured() {
        use crate::report::model::{AllocationPeak, ModelMonthly, Monthly, MonthlyGpus};
        let mut report = Report::default();
        assert_eq!(monthly_line(&report), None, "a run of no length has no month");
        report.cost.price_date = "2026-09".into();
        report.monthly = Some(Monthly {
            hours_per_month: 730.0,
            usd: 23360.0,
            gpus: MonthlyGpus {
                offered: 16.0,
                allocated: 8.0,
                ..Default::default()
            },
            ..Default::default()
        });
        assert_eq!(
            monthly_line(&report).as_deref(),
            Some("≈ $23,360/month at this usage (730 h, on-demand prices of 2026-09), GPUs 8 allocated of 16 offered")
        );
        if let Some(m) = report.monthly.as_mut() {
            m.gpus.busy_fraction = Some(0.31);
            m.allocation_peak = Some(AllocationPeak {
                t_s: 60.0,
                gpus_allocated: 10,
                gpus_allocatable: 16,
                gpus_unallocated: 6,
            });
            m.models.insert(
                "chat".into(),
                ModelMonthly {
                    busy_headroom: Some(0.2),
                    kv_cache_headroom: Some(0.65),
                    peak_waiting: 3,
                    ..Default::default()
                },
            );
        }
        let line = monthly_line(&report).unwrap_or_default();
        assert!(
            line.ends_with(
                "8 allocated of 16 offered, 31.0% busy; headroom: 6 GPUs unallocated at the allocation peak \
                 (10 of 16 allocated); chat 20% busy, 65% KV cache, 3 waiting at most"
            ),
            "{line}"
        );
    }
}
