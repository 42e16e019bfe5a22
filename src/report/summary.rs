//! The terminal summary of a run.

use super::json::SCHEMA;
use crate::scenario::printers::table;
use serde_json::Value;

/// Seconds from the start as HH:MM:SS.
pub fn clock(v: &Value) -> String {
    t(v)
}

fn t(v: &Value) -> String {
    match v.as_f64() {
        Some(s) => crate::units::SimTime((s * 1000.0).round() as u64).to_string(),
        None => "-".into(),
    }
}

/// A report number shown as a Kubernetes quantity (memory as Gi, not bytes).
fn quantity(v: &Value) -> String {
    match v.as_f64() {
        Some(f) => crate::units::Quantity::from_milli((f * 1000.0).round() as i128).to_string(),
        None => "-".into(),
    }
}

pub fn workloads_table(report: &Value) -> String {
    let rows: Vec<Vec<String>> = report["workloads"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|w| {
            vec![
                w["owner"].as_str().unwrap_or("").to_string(),
                w["gpus"].to_string(),
                t(&w["created_s"]),
                t(&w["admitted_s"]),
                t(&w["ready_s"]),
                t(&w["finished_s"]),
                w["state"].as_str().unwrap_or("").to_string(),
                w["message"].as_str().unwrap_or("").to_string(),
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

pub fn queues_table(report: &Value) -> String {
    let mut rows = Vec::new();
    for cq in report["cluster_queues"].as_array().into_iter().flatten() {
        for (flavor, res) in cq["quota"].as_object().into_iter().flatten() {
            for (r, q) in res.as_object().into_iter().flatten() {
                let used = &cq["usage"][flavor][r];
                rows.push(vec![
                    cq["name"].as_str().unwrap_or("").to_string(),
                    flavor.clone(),
                    r.clone(),
                    format!("{}/{}", quantity(used), quantity(q)),
                ]);
            }
        }
    }
    table(&["CLUSTERQUEUE", "FLAVOR", "RESOURCE", "USED/QUOTA (end)"], &rows)
}

fn ms(v: &Value) -> String {
    v.as_f64().map(|x| format!("{x:.0}")).unwrap_or_else(|| "-".into())
}

pub fn models_table(report: &Value) -> String {
    let mut rows = Vec::new();
    for (name, m) in report["models"].as_object().into_iter().flatten() {
        let slo = &m["slo"]["attainment"];
        rows.push(vec![
            name.clone(),
            m["requests"].to_string(),
            m["completed"].to_string(),
            m["failed"].to_string(),
            m["in_flight_at_end"].to_string(),
            format!("{}/{}", ms(&m["ttft_ms"]["p50"]), ms(&m["ttft_ms"]["p95"])),
            format!("{}/{}", ms(&m["tpot_ms"]["p50"]), ms(&m["tpot_ms"]["p95"])),
            format!("{}/{}", ms(&m["e2e_ms"]["p50"]), ms(&m["e2e_ms"]["p95"])),
            format!("{:.0}", m["output_tokens_per_s"].as_f64().unwrap_or(0.0)),
            slo.as_f64()
                .map(|a| format!("{:.1}%", a * 100.0))
                .unwrap_or_else(|| "-".into()),
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

pub fn render(report: &Value) -> String {
    debug_assert_eq!(report["schema"], SCHEMA);
    let mut o = String::new();
    o.push_str(&format!(
        "scenario {} (seed {}, {} simulated)\n\n",
        report["scenario"].as_str().unwrap_or(""),
        report["seed"],
        crate::units::SimDuration((report["duration_s"].as_f64().unwrap_or(0.0) * 1000.0) as u64)
    ));
    o.push_str("Workloads (times are simulated HH:MM:SS):\n");
    o.push_str(&workloads_table(report));
    o.push_str("\nQuota:\n");
    o.push_str(&queues_table(report));
    let dl = report["deadlocks"].as_array().cloned().unwrap_or_default();
    if dl.is_empty() {
        o.push_str("\nDeadlocks: none\n");
    } else {
        o.push_str("\nDeadlocks:\n");
        for d in dl {
            o.push_str(&format!(
                "  at {} (resolved: {}): {}\n    fix: {}\n",
                t(&d["detected_s"]),
                t(&d["resolved_s"]),
                d["description"].as_str().unwrap_or(""),
                d["fix"].as_str().unwrap_or("")
            ));
        }
    }
    if report["models"].as_object().is_some_and(|m| !m.is_empty()) {
        o.push_str("\nRequests (latencies over completed requests):\n");
        o.push_str(&models_table(report));
        for (name, m) in report["models"].as_object().into_iter().flatten() {
            let failed = m["failed_by_reason"].as_object().cloned().unwrap_or_default();
            if !failed.is_empty() {
                let why: Vec<String> = failed.iter().map(|(k, v)| format!("{v} {k}")).collect();
                o.push_str(&format!("  {name} failures: {}\n", why.join(", ")));
            }
        }
        let b = &report["utilization"]["gpu_busy"];
        if !b.is_null() {
            o.push_str(&format!(
                "GPU busy serving: {:.2} of {:.2} allocated GPU-hours ({:.1}%)\n",
                b["gpu_hours_busy"].as_f64().unwrap_or(0.0),
                b["gpu_hours_allocated"].as_f64().unwrap_or(0.0),
                b["busy_fraction"].as_f64().unwrap_or(0.0) * 100.0
            ));
        }
    }
    o.push_str(&format!(
        "\nGPU allocation: {:.2} of {:.2} GPU-hours ({:.0}%); cost ${:.2} ({})\n",
        report["utilization"]["gpu_hours_allocated"].as_f64().unwrap_or(0.0),
        report["utilization"]["gpu_hours_capacity"].as_f64().unwrap_or(0.0),
        report["utilization"]["gpu_allocated_fraction"].as_f64().unwrap_or(0.0) * 100.0,
        report["cost"]["total_usd"].as_f64().unwrap_or(0.0),
        report["cost"]["price_date"]
            .as_str()
            .map(|d| format!("on-demand prices of {d}"))
            .unwrap_or_default()
    ));
    let c = &report["cost"];
    let mut spend = format!(
        "Idle GPUs (allocated to no pod) cost ${:.2}",
        c["idle_usd"].as_f64().unwrap_or(0.0)
    );
    if let Some(x) = c["allocated_not_busy_usd"].as_f64() {
        spend.push_str(&format!("; allocated to engines but not busy ${x:.2}"));
    }
    if let Some(x) = c["usd_per_million_output_tokens"].as_f64() {
        spend.push_str(&format!("; ${x:.2} per million output tokens"));
    }
    o.push_str(&spend);
    o.push('\n');
    let ex = report["expectations"].as_array().cloned().unwrap_or_default();
    if !ex.is_empty() {
        let passed = ex.iter().filter(|e| e["passed"] == true).count();
        o.push_str(&format!("\nExpectations: {passed}/{} hold\n", ex.len()));
        for e in ex.iter().filter(|e| e["passed"] != true) {
            o.push_str(&format!(
                "  FAILED {}: {} — {}\n",
                e["location"].as_str().unwrap_or(""),
                e["expect"].as_str().unwrap_or(""),
                e["detail"].as_str().unwrap_or("")
            ));
        }
    }
    for w in report["inputs"]["warnings"].as_array().into_iter().flatten() {
        o.push_str(&format!("note: {}\n", w.as_str().unwrap_or("")));
    }
    o
}
