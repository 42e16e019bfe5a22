//! The monthly figures of a report follow from what the run measured: its spend rate for
//! 730 hours, its GPUs allocated and busy, and headroom within [0, 1].

mod common;
use common::*;
use gpuaas_sim::report::model::Report;

/// One Llama 3.1 8B replica on one L4 of a g6.12xlarge (four L4s) and a one-GPU pod beside
/// it; `rate` requests a second for 10 minutes (no traffic when 0).
fn run(rate: f64) -> gpuaas_sim::Completed {
    let manifests = format!(
        "{CHAT_RUNTIME}{}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: notebook, namespace: chat}}\nspec:\n  tolerations: [{{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}}]\n  containers:\n    - name: main\n      image: quay.io/jupyter:latest\n      resources:\n        requests: {{cpu: \"1\", memory: 4Gi, nvidia.com/gpu: \"1\"}}\n        limits: {{nvidia.com/gpu: \"1\"}}\n",
        chat_isvc("RawDeployment", "chat", "", "")
    );
    let traffic = if rate > 0.0 {
        format!("  traffic:\n    - {{target: chat, start: 5m, stop: 15m, rate: {rate}/s, prompt_tokens: 1000, output_tokens: 200}}\n")
    } else {
        String::new()
    };
    run_on_l4s(&manifests, &format!("  duration: 20m\n{traffic}"))
}

/// Within what rounding `total_usd` to cents and the month to cents allows.
fn near(got: f64, want: f64, hours: f64) -> bool {
    (got - want).abs() <= 0.005 * 730.0 / hours + 0.005
}

#[test]
fn a_month_is_the_runs_spend_rate_for_730_hours() {
    let done = run(2.0);
    let r: &Report = &done.report;
    let m = r.monthly.as_ref().expect("a run of 20 minutes has a month");
    let (c, hours) = (&r.cost, r.cost.hours);
    assert_eq!(m.hours_per_month, 730.0);
    assert_eq!(hours, 20.0 / 60.0);
    // One node, there the whole run: its hourly price × 730, to the cent.
    let price = r.nodes[0].price_per_hour_usd.expect("g6.12xlarge is priced");
    assert_eq!(m.usd, (price * 730.0 * 100.0).round() / 100.0, "{m:#?}");
    // The same as the run's bill ÷ its hours × 730, up to the cents of the bill.
    assert!(
        near(m.usd, c.total_usd / hours * 730.0, hours),
        "{} against {}",
        m.usd,
        c.total_usd
    );
    assert!(near(m.idle_usd, c.idle_usd / hours * 730.0, hours), "{m:#?}");
    let not_busy = c.allocated_not_busy_usd.expect("with traffic");
    assert!(
        near(
            m.allocated_not_busy_usd.unwrap_or(-1.0),
            not_busy / hours * 730.0,
            hours
        ),
        "{m:#?}"
    );
    assert_eq!(m.by_node_pool.get("l4"), Some(&m.usd));
    assert_eq!(m.by_instance_type.get("g6.12xlarge"), Some(&m.usd));
    let isvc = &r.inference_services[0];
    let chat_usd = m.by_inference_service.get("chat/chat").copied().unwrap_or(-1.0);
    assert!(
        near(chat_usd, isvc.gpu_cost_usd.unwrap_or(0.0) / hours * 730.0, hours),
        "{m:#?}"
    );

    // GPUs: four offered; the replica and the notebook hold one each from the first
    // minutes; busy is part of allocated, as in `utilization`.
    let g = &m.gpus;
    assert_eq!(g.offered, 4.0);
    assert!(g.allocated > 1.5 && g.allocated <= 2.0, "{g:?}");
    let busy = g.busy.expect("with traffic");
    assert!(busy > 0.0 && busy <= g.allocated, "{g:?}");
    assert_eq!(
        g.busy_fraction,
        r.utilization.gpu_busy.as_ref().map(|b| b.busy_fraction)
    );
    assert!(g.allocated_fraction <= 1.0, "{g:?}");

    // The served model: its busiest window's share is the largest of its windows', its
    // headroom the rest of it.
    let x = m.models.get("chat").expect("chat served");
    let model = &r.models["chat"];
    let peak = model.windows.iter().filter_map(|w| w.busy_fraction).fold(0.0, f64::max);
    assert_eq!(x.peak_busy_fraction, Some(peak));
    let headroom = x.busy_headroom.expect("measured");
    assert!((0.0..=1.0).contains(&headroom), "{x:?}");
    assert!((headroom - (1.0 - peak)).abs() < 1e-9, "{x:?}");
    assert!(x.busy_fraction.is_some_and(|b| b > 0.0 && b <= 1.0), "{x:?}");
    assert!(
        x.busy_fraction <= x.peak_busy_fraction,
        "the run's share is no busier than its busiest window"
    );
    assert_eq!(
        x.gpus_allocated,
        ((isvc.gpu_hours_allocated.unwrap_or(0.0) / hours) * 100.0).round() / 100.0
    );
    let kv = x.peak_kv_cache_usage.expect("a replica ran");
    assert!(kv > 0.0 && kv <= 1.0, "{x:?}");
    let kv_headroom = x.kv_cache_headroom.expect("a replica ran");
    assert!((kv_headroom - (1.0 - kv)).abs() < 1e-9, "{x:?}");
    assert_eq!(
        x.peak_waiting,
        model.windows.iter().map(|w| w.waiting_max).max().unwrap_or(0)
    );

    // The fleet: two of four GPUs allocated at the peak, two never.
    let p = m.allocation_peak.as_ref().expect("pods held GPUs");
    assert_eq!(
        (p.gpus_allocated, p.gpus_allocatable, p.gpus_unallocated),
        (2, 4, 2),
        "{p:?}"
    );

    // Read back, the month is the same.
    let text = serde_json::to_string_pretty(r).unwrap_or_default();
    let back = Report::from_json_str(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back.monthly.as_ref(), Some(m));
}

#[test]
fn without_traffic_the_month_claims_no_busy_time() {
    let done = run(0.0);
    let m = done.report.monthly.as_ref().expect("a month");
    assert!(m.gpus.busy.is_none() && m.gpus.busy_fraction.is_none(), "{m:#?}");
    assert!(m.allocated_not_busy_usd.is_none(), "{m:#?}");
    assert!(m.models.is_empty() && m.by_inference_service.is_empty(), "{m:#?}");
    // What was measured is there: the spend and the allocation.
    assert!(m.usd > 0.0 && m.gpus.allocated > 0.0, "{m:#?}");
    let line = gpuaas_sim::report::summary::render(&done.report);
    assert!(line.contains("/month at this usage (730 h"), "{line}");
    assert!(!line.contains("% busy"), "no busy share without traffic: {line}");
}

#[test]
fn more_load_on_the_same_gpus_costs_the_same_month_with_less_headroom() {
    let (light, heavy) = (run(0.02), run(0.5));
    let month = |d: &gpuaas_sim::Completed| d.report.monthly.clone().expect("a month");
    let (a, b) = (month(&light), month(&heavy));
    assert_eq!(a.usd, b.usd, "the same node the same time");
    let busy = |m: &gpuaas_sim::report::model::Monthly| m.models["chat"].busy_fraction.unwrap_or(0.0);
    assert!(busy(&b) > busy(&a), "{} against {}", busy(&b), busy(&a));
    // Both headrooms shrink: the engine steps more of its busiest window, and the batch
    // holds more of the KV cache at its peak.
    for headroom in [
        |x: &gpuaas_sim::report::model::ModelMonthly| x.busy_headroom,
        |x: &gpuaas_sim::report::model::ModelMonthly| x.kv_cache_headroom,
    ] {
        let (x, y) = (headroom(&a.models["chat"]), headroom(&b.models["chat"]));
        assert!(y.unwrap_or(1.0) < x.unwrap_or(0.0), "{y:?} against {x:?}");
    }
    let c = gpuaas_sim::report::compare::compare(&light.report, &heavy.report, &Default::default());
    let row = |metric: &str| {
        c.rows
            .iter()
            .find(|r| r.metric == metric)
            .unwrap_or_else(|| panic!("no row {metric}: {:#?}", c.rows))
            .clone()
    };
    assert_eq!(
        row("cost per month (730 h)").verdict,
        gpuaas_sim::report::compare::Verdict::Same
    );
    assert_eq!(
        row("chat GPU busy fraction (of allocated)").verdict,
        gpuaas_sim::report::compare::Verdict::Better
    );
}
