//! Routing cost at scale: one InferenceService of Llama-3.1-8B replicas on H100s under
//! Poisson chat traffic of one request per second per replica, each router in turn, at 100
//! replicas (ten simulated hours) and at 1,000 (one simulated hour): about 3.6 million
//! requests either way. Requests share 64 prompt prefixes so that `prefix-aware`
//! follows its preferred replicas and spills when they are busy.

use criterion::{criterion_group, criterion_main, Criterion};
use gpuaas_sim::catalog::Catalog;
use gpuaas_sim::serving::args::VllmArgs;
use gpuaas_sim::serving::memory::plan;
use gpuaas_sim::serving::replica::{Fidelity, Limits};
use gpuaas_sim::serving::router::RouterPolicy;
use gpuaas_sim::serving::service::{simulate, ReplicaSpan, ServiceSpec};
use gpuaas_sim::serving::steptime::StepCost;
use gpuaas_sim::traffic::arrivals::{Interarrival, RateSchedule};
use gpuaas_sim::traffic::source::{Pattern, PrefixSharing, TrafficSpec};
use gpuaas_sim::traffic::tokens::LengthDist;
use std::time::{Duration, Instant};

const ROUTERS: [RouterPolicy; 4] = [
    RouterPolicy::Random,
    RouterPolicy::RoundRobin,
    RouterPolicy::LeastOutstanding,
    RouterPolicy::PrefixAware,
];

/// (replicas, simulated hours): the same number of requests at either size.
const SIZES: [(usize, f64); 2] = [(100, 10.0), (1000, 1.0)];

fn traffic(rate_per_s: f64) -> TrafficSpec {
    TrafficSpec {
        pattern: Pattern::Synthetic {
            arrival: Interarrival::Poisson,
            rates: RateSchedule::constant(rate_per_s),
            prompt: LengthDist::LogNormal {
                mean: 1000.0,
                sd: 600.0,
            },
            output: LengthDist::LogNormal { mean: 200.0, sd: 150.0 },
        },
        start_s: 0.0,
        stop_s: None,
        prefix: Some(PrefixSharing {
            groups: 64,
            tokens: 200,
        }),
    }
}

fn spans(n: usize) -> Vec<ReplicaSpan> {
    let c = Catalog::bundled();
    let card = c.model("llama-3.1-8b-instruct-bf16").unwrap();
    let arch = card.architecture.as_ref().unwrap();
    let gpu = c.gpu("H100-SXM").unwrap();
    let args = VllmArgs {
        max_model_len: Some(8192),
        ..Default::default()
    };
    let mem = plan(card, arch, gpu, 1, &args, &c.vllm).unwrap();
    (0..n)
        .map(|i| ReplicaSpan {
            pod: format!("replica-{i}"),
            node: format!("node-{}", i / 8),
            gpus: 1,
            ready_s: 0.0,
            stop_s: None,
            gone_s: None,
            dead_s: None,
            cost: StepCost::new(card, arch, gpu, &args, &c.vllm),
            limits: Limits {
                block_size: args.block_size,
                num_blocks: mem.num_blocks,
                max_num_seqs: mem.max_num_seqs,
                max_num_batched_tokens: mem.max_num_batched_tokens,
                prefix_caching: false,
            },
            max_model_len: mem.max_model_len,
        })
        .collect()
}

/// Runs the service and returns the number of requests.
fn run(replicas: usize, hours: f64, router: RouterPolicy) -> u64 {
    let t = traffic(replicas as f64);
    let spec = ServiceSpec {
        spans: spans(replicas),
        traffic: vec![(&t, 0)],
        router,
        timeout_s: 30.0,
        slo: vec![],
        window_s: 60.0,
        end_s: hours * 3600.0,
        fidelity: Fidelity::Fast,
        seed: 1,
        attribution: Vec::new(),
    };
    simulate(&spec).metrics.arrived_count()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("routing");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    for (replicas, hours) in SIZES {
        for router in ROUTERS {
            g.bench_function(format!("{replicas} replicas, {}", router.name()), |b| {
                b.iter(|| run(replicas, hours, router))
            });
        }
    }
    g.finish();
    // Requests per run, to turn criterion's times into requests per second.
    for (replicas, hours) in SIZES {
        let start = Instant::now();
        let n = run(replicas, hours, RouterPolicy::Random);
        let s = start.elapsed().as_secs_f64();
        println!("{replicas} replicas: {n} requests (random: {s:.2} s)");
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
