//! Requests through whole scenarios: the fast mode agrees with the step-by-step reference,
//! every request is accounted for, and one replica serving one request at a time is the
//! M/G/1 queue of queueing theory.

mod common;

use gpuaas_sim::catalog::Catalog;
use gpuaas_sim::serving::metrics::Metric;
use gpuaas_sim::serving::replica::{Fidelity, Limits};
use gpuaas_sim::serving::router::RouterPolicy;
use gpuaas_sim::serving::service::{simulate, ReplicaSpan, ServiceSpec, REPLICA_TERMINATED};
use gpuaas_sim::serving::steptime::{Batch, StepCost};
use gpuaas_sim::traffic::arrivals::{Interarrival, RateSchedule};
use gpuaas_sim::traffic::source::{Pattern, TrafficSpec};
use gpuaas_sim::traffic::tokens::LengthDist;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const TRAFFIC_SCENARIOS: &[&str] = &[
    "scenarios/gpuaas-demo/handover.yaml",
    "scenarios/capacity/capacity.yaml",
];

fn run(
    path: &str,
    fidelity: Fidelity,
    tweak: impl Fn(&mut gpuaas_sim::scenario::run::Prepared),
) -> gpuaas_sim::Completed {
    let mut prepared = gpuaas_sim::scenario::run::discover(&[common::repo().join(path)]).unwrap();
    let mut p = prepared.remove(0);
    p.scenario.fidelity = fidelity;
    tweak(&mut p);
    gpuaas_sim::simulate(p).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn fast_mode_agrees_with_the_step_reference_on_bundled_traffic_scenarios() {
    for path in TRAFFIC_SCENARIOS {
        let fast = run(path, Fidelity::Fast, |_| {});
        let step = run(path, Fidelity::Step, |_| {});
        let models = &fast.report.models;
        assert!(!models.is_empty(), "{path} has traffic");
        for (name, m) in models {
            let s = &step.report.models[name];
            assert_eq!(m.requests, s.requests, "{path} {name}: the same arrivals");
            for (metric, fast, step) in [
                ("ttft_ms", &m.ttft_ms, &s.ttft_ms),
                ("tpot_ms", &m.tpot_ms, &s.tpot_ms),
                ("e2e_ms", &m.e2e_ms, &s.e2e_ms),
            ] {
                for (q, a, b) in [
                    ("p50", fast.p50, step.p50),
                    ("p95", fast.p95, step.p95),
                    ("p99", fast.p99, step.p99),
                ] {
                    let (Some(a), Some(b)) = (a, b) else {
                        continue;
                    };
                    assert!(
                        (a - b).abs() <= 0.01 * b,
                        "{path} {name} {metric} {q}: fast {a} vs step {b}"
                    );
                }
            }
        }
    }
}

/// completed + failed + in flight = arrived, per model, in both fidelities; with traffic
/// heavy enough that scale-down catches requests on the terminating replica.
#[test]
fn every_request_is_completed_failed_or_in_flight() {
    let heavier = |p: &mut gpuaas_sim::scenario::run::Prepared| {
        for t in &mut p.scenario.traffic {
            if let Pattern::Trace { speed, .. } = &mut t.spec.pattern {
                *speed = 1.0;
            }
        }
    };
    let mut saw_terminated = false;
    for path in TRAFFIC_SCENARIOS {
        for fidelity in [Fidelity::Fast, Fidelity::Step] {
            let done = run(path, fidelity, heavier);
            for ((ns, name), [arrived, completed, failed, in_flight]) in &done.result.served.accounts {
                assert!(*arrived > 0, "{ns}/{name} received traffic");
                assert_eq!(
                    completed + failed + in_flight,
                    *arrived,
                    "{path} {fidelity:?} {ns}/{name}: {completed} completed + {failed} failed + {in_flight} in flight"
                );
                let m = &done.report.models[name.as_str()];
                assert_eq!(m.requests, *arrived);
                let by_reason: u64 = m.failed_by_reason.values().sum();
                assert_eq!(by_reason, *failed, "every failure has a reason");
                saw_terminated |= m.failed_by_reason.get(REPLICA_TERMINATED).copied().unwrap_or(0) > 0;
            }
        }
    }
    assert!(
        saw_terminated,
        "the handover's scale-down fails requests still on the terminating replica"
    );
}

/// One Llama-3.1-8B replica on an H100 with `--max-num-seqs=1`: an M/G/1 queue whose
/// service time is one prefill step plus one decode step per further output token.
fn mg1_case(prompt: LengthDist, output: LengthDist, rho: f64, requests: f64) -> (f64, f64) {
    let c = Catalog::bundled();
    let card = c.model("llama-3.1-8b-instruct-bf16").unwrap();
    let arch = card.architecture.as_ref().unwrap();
    let gpu = c.gpu("H100-SXM").unwrap();
    let args = gpuaas_sim::serving::args::VllmArgs {
        max_num_seqs: Some(1),
        ..Default::default()
    };
    let cost = StepCost::new(card, arch, gpu, &args, &c.vllm);
    let service =
        |p: u32, o: u32| cost.time(&Batch::prefill(p as u64)) + cost.decode_run(1, p as u64 + 1, o as u64 - 1);
    // Moments of the service time from its own draws (independent of the run's seed).
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let n = 2_000_000;
    let (mut s1, mut s2) = (0.0, 0.0);
    for _ in 0..n {
        let s = service(prompt.sample(&mut rng), output.sample(&mut rng));
        s1 += s;
        s2 += s * s;
    }
    let (es, es2) = (s1 / n as f64, s2 / n as f64);
    let lambda = rho / es;
    let traffic = TrafficSpec {
        pattern: Pattern::Synthetic {
            arrival: Interarrival::Poisson,
            rates: RateSchedule::constant(lambda),
            prompt,
            output,
        },
        start_s: 0.0,
        stop_s: Some(requests / lambda),
        prefix: None,
    };
    let spec = ServiceSpec {
        spans: vec![ReplicaSpan {
            pod: "replica".into(),
            node: "node".into(),
            gpus: 1,
            ready_s: 0.0,
            stop_s: None,
            gone_s: None,
            dead_s: None,
            cost,
            limits: Limits {
                block_size: 16,
                num_blocks: 100_000,
                max_num_seqs: 1,
                max_num_batched_tokens: 8192,
                prefix_caching: false,
            },
            max_model_len: 131_072,
        }],
        traffic: vec![(&traffic, 0)],
        router: RouterPolicy::Random,
        timeout_s: 30.0,
        slo: vec![],
        window_s: 3600.0,
        end_s: requests / lambda * 1.5,
        fidelity: Fidelity::Fast,
        seed: 5,
        attribution: Vec::new(),
    };
    let result = simulate(&spec);
    assert_eq!(result.in_flight, 0);
    let simulated = result.metrics.mean_s(Metric::Queue).unwrap();
    let pollaczek_khinchine = lambda * es2 / (2.0 * (1.0 - rho));
    (simulated, pollaczek_khinchine)
}

#[test]
fn one_request_at_a_time_is_an_mg1_queue() {
    let fixed = || (LengthDist::Fixed(512), LengthDist::Fixed(200));
    let lognormal = || {
        (
            LengthDist::LogNormal { mean: 512.0, sd: 256.0 },
            LengthDist::LogNormal { mean: 200.0, sd: 150.0 },
        )
    };
    for (label, lengths) in [
        ("fixed", fixed as fn() -> (LengthDist, LengthDist)),
        ("lognormal", lognormal),
    ] {
        for rho in [0.5, 0.8] {
            let (p, o) = lengths();
            let (sim, pk) = mg1_case(p, o, rho, 500_000.0);
            let err = (sim - pk).abs() / pk;
            eprintln!(
                "M/G/1 {label} rho={rho}: simulated Wq {sim:.4} s, Pollaczek-Khinchine {pk:.4} s ({:.2}%)",
                err * 100.0
            );
            assert!(err < 0.02, "{label} rho={rho}: simulated {sim} vs P-K {pk}");
        }
    }
}

#[test]
fn traffic_to_an_unknown_service_is_a_located_error() {
    let dir = common::folder(&[(
        "s.yaml",
        "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {name: t}\nspec:\n  traffic:\n    - {target: nope, rate: 1/s, prompt_tokens: 10, output_tokens: 10}\n",
    )]);
    let out = common::bin()
        .arg("run")
        .arg(dir.path().join("s.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("s.yaml:6:16: traffic target: no InferenceService `nope`"),
        "{err}"
    );
}

/// The demo's handover, as its audience would see it: BF16 requests fail with 503 only
/// while BF16 has no ready replica, and the report keeps Devstral's cold start step by step.
#[test]
fn handover_fails_bf16_requests_only_during_its_outage_and_reports_the_cold_start() {
    let done = run("scenarios/gpuaas-demo/handover.yaml", Fidelity::Fast, |_| {});
    let r = &done.report;
    let outage = &r
        .inference_services
        .iter()
        .find(|i| i.name == "mistral-3-bf16")
        .unwrap()
        .outages[0];
    let (from, to) = (outage.from_s, outage.to_s.unwrap());
    assert_eq!(from, 720.0, "the scale-down at 12:00 removes the endpoint");
    let bf16 = &r.models["mistral-3-bf16"];
    assert!(bf16.failed_by_reason["no_ready_replica_503"] > 1000);
    for w in &bf16.windows {
        let t = w.t_s;
        if w.failed > 0 {
            // A request failing at t arrived 30 s earlier, inside the outage.
            assert!(
                t + 60.0 > from + 30.0 && t <= to + 30.0,
                "failures in the window at {t}s"
            );
        }
    }
    assert_eq!(r.models["mistral-3-int4"].failed, 0, "INT4 keeps serving");
    let devstral = r
        .cold_starts
        .iter()
        .find(|c| c.pod.starts_with("devstral-2-predictor"))
        .expect("Devstral's cold start is reported after its pod is gone");
    assert_eq!(devstral.bound_s, 750.0);
    let steps: Vec<&str> = devstral.steps.iter().map(|s| s.step.as_str()).collect();
    assert_eq!(
        steps,
        [
            "download 47.1 GB (s3)",
            "container start",
            "load weights into 4 GPU(s)",
            "engine start (compile + CUDA graphs)",
            "readiness probe"
        ]
    );
}

/// The capacity scenario doubles its rate every five minutes from the timeline: arrivals
/// per minute follow the steps.
#[test]
fn timeline_rate_changes_drive_the_arrivals() {
    let done = run("scenarios/capacity/capacity.yaml", Fidelity::Fast, |_| {});
    let windows = &done.report.models["llama-h100"].windows;
    let arrived_in = |minute: f64| {
        windows
            .iter()
            .find(|w| w.t_s == minute * 60.0)
            .map(|w| w.arrived as f64)
            .unwrap_or(0.0)
    };
    // (minute, requests per second in force)
    for (minute, rate) in [
        (12.0, 1.0),
        (17.0, 2.0),
        (22.0, 4.0),
        (27.0, 8.0),
        (32.0, 16.0),
        (37.0, 32.0),
    ] {
        let got = arrived_in(minute) / 60.0;
        assert!(
            (got - rate).abs() < 0.25 * rate + 0.3,
            "minute {minute}: {got}/s, expected {rate}/s"
        );
    }
    assert_eq!(arrived_in(5.0), 0.0, "no arrivals before start: 10m");
}
