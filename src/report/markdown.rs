//! report.md: the run in text, for reading in a repository or a CI artifact.

use super::summary::{queues_table, workloads_table};
use serde_json::Value;

/// The text report; `plots` are linked from `plots/`, where they are written beside it.
pub fn render(report: &Value, plots: &[super::plots::Plot]) -> String {
    let mut o = String::new();
    o.push_str(&format!(
        "# Scenario `{}`\n\n",
        report["scenario"].as_str().unwrap_or("")
    ));
    o.push_str(&format!(
        "Seed {}, {} s simulated. Schema `{}`.\n\n",
        report["seed"],
        report["duration_s"],
        report["schema"].as_str().unwrap_or("")
    ));
    if !plots.is_empty() {
        o.push_str("## Plots\n\n");
        for p in plots {
            o.push_str(&format!("![{}](plots/{})\n\n", p.title, p.file));
        }
    }
    o.push_str("## Workloads\n\nTimes are simulated `HH:MM:SS` from the start of the run.\n\n```\n");
    o.push_str(&workloads_table(report));
    o.push_str("```\n\n## Quota at the end\n\n```\n");
    o.push_str(&queues_table(report));
    o.push_str("```\n\n## Timeline\n\n");
    for t in report["timeline"].as_array().into_iter().flatten() {
        let at = crate::units::SimTime((t["t_s"].as_f64().unwrap_or(0.0) * 1000.0) as u64);
        o.push_str(&format!(
            "**{at}** `{}`\n\n```\n{}\n```\n\n",
            t["command"].as_str().unwrap_or(""),
            t["output"].as_str().unwrap_or("")
        ));
    }
    o.push_str("## Deadlocks\n\n");
    let dl = report["deadlocks"].as_array().cloned().unwrap_or_default();
    if dl.is_empty() {
        o.push_str("None.\n\n");
    }
    for d in dl {
        o.push_str(&format!(
            "- detected at {} s, resolved at {}: {}\n  - **Fix:** {}\n",
            d["detected_s"],
            d["resolved_s"],
            d["description"].as_str().unwrap_or(""),
            d["fix"].as_str().unwrap_or("")
        ));
    }
    if report["models"].as_object().is_some_and(|m| !m.is_empty()) {
        o.push_str("\n## Requests\n\nLatencies in milliseconds over completed requests.\n\n```\n");
        o.push_str(&super::summary::models_table(report));
        o.push_str("```\n");
        for (name, m) in report["models"].as_object().into_iter().flatten() {
            if let Some(terms) = m["slo"]["terms"].as_object() {
                for (k, t) in terms {
                    o.push_str(&format!(
                        "- {name} SLO `{k} <= {} ms`: actual {} ms, {} ({}% of requests within)\n",
                        t["target_ms"],
                        t["actual_ms"],
                        if t["met"] == true { "met" } else { "missed" },
                        t["attainment"]
                            .as_f64()
                            .map(|a| format!("{:.1}", a * 100.0))
                            .unwrap_or_else(|| "-".into())
                    ));
                }
            }
            for (k, v) in m["failed_by_reason"].as_object().into_iter().flatten() {
                o.push_str(&format!("- {name}: {v} requests failed with `{k}`\n"));
            }
        }
    }
    o.push_str("\n## Model start-up (cold starts)\n\n| pod | bound at | step | seconds |\n|---|---|---|---|\n");
    for c in report["cold_starts"].as_array().into_iter().flatten() {
        for (i, s) in c["steps"].as_array().into_iter().flatten().enumerate() {
            o.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                if i == 0 { c["pod"].as_str().unwrap_or("") } else { "" },
                if i == 0 {
                    super::summary::clock(&c["bound_s"])
                } else {
                    String::new()
                },
                s["step"].as_str().unwrap_or(""),
                s["seconds"]
            ));
        }
        o.push_str(&format!("| | | **total** | **{}** |\n", c["total_s"]));
    }
    let c = &report["cost"];
    let money = |v: &Value| v.as_f64().map_or("-".to_string(), |x| format!("${x:.2}"));
    let hours = |v: &Value| v.as_f64().map_or("-".to_string(), |x| format!("{x:.2}"));
    o.push_str(&format!(
        "\n## Utilization and cost\n\n- GPU-hours allocated: {:.2} of {:.2}\n- Cost: {} (on-demand prices of {})\n- GPU-hours busy in engine steps: {}\n- Idle spend (GPUs allocated to no pod): {}\n- Allocated to engines but not busy: {}\n- Per million output tokens: {}\n\n| node pool | instance type | nodes | node-hours | spend | idle GPU spend |\n|---|---|---|---|---|---|\n",
        report["utilization"]["gpu_hours_allocated"].as_f64().unwrap_or(0.0),
        report["utilization"]["gpu_hours_capacity"].as_f64().unwrap_or(0.0),
        money(&c["total_usd"]),
        c["price_date"].as_str().unwrap_or(""),
        hours(&c["gpu_hours"]["busy"]),
        money(&c["idle_usd"]),
        money(&c["allocated_not_busy_usd"]),
        money(&c["usd_per_million_output_tokens"]),
    ));
    for (pool, p) in c["by_node_pool"].as_object().into_iter().flatten() {
        o.push_str(&format!(
            "| {pool} | {} | {} | {} | {} | {} |\n",
            p["instance_type"].as_str().unwrap_or(""),
            p["nodes"],
            hours(&p["node_hours"]),
            money(&p["usd"]),
            money(&p["idle_usd"])
        ));
    }
    let ex = report["expectations"].as_array().cloned().unwrap_or_default();
    if !ex.is_empty() {
        o.push_str("\n## Expectations\n\n| result | expectation | detail |\n|---|---|---|\n");
        for e in ex {
            o.push_str(&format!(
                "| {} | `{}` | {} |\n",
                if e["passed"] == true { "pass" } else { "FAIL" },
                e["expect"].as_str().unwrap_or(""),
                e["detail"].as_str().unwrap_or("")
            ));
        }
    }
    let skipped = report["inputs"]["skipped"].as_array().cloned().unwrap_or_default();
    if !skipped.is_empty() {
        o.push_str("\n## Skipped inputs\n\n");
        for s in skipped {
            o.push_str(&format!(
                "- {} `{}` ({}): {}\n",
                s["kind"].as_str().unwrap_or(""),
                s["name"].as_str().unwrap_or(""),
                s["location"].as_str().unwrap_or(""),
                s["note"].as_str().unwrap_or("")
            ));
        }
    }
    o
}
