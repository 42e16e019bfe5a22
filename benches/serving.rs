//! Request throughput of the fast mode: one InferenceService with 100 Llama-3.1-8B
//! replicas on H100s, 24 simulated hours of Poisson chat traffic, on one core. Also
//! prints the peak heap of a run at a tenth of the rate and at the full rate: the
//! request count grows tenfold, memory must not.

use criterion::{criterion_group, criterion_main, Criterion};
use gpuaas_sim::catalog::Catalog;
use gpuaas_sim::serving::args::VllmArgs;
use gpuaas_sim::serving::memory::plan;
use gpuaas_sim::serving::replica::{Fidelity, Limits};
use gpuaas_sim::serving::router::RouterPolicy;
use gpuaas_sim::serving::service::{simulate, ReplicaSpan, ServiceSpec};
use gpuaas_sim::serving::steptime::StepCost;
use gpuaas_sim::traffic::arrivals::{Interarrival, RateSchedule};
use gpuaas_sim::traffic::source::{Pattern, TrafficSpec};
use gpuaas_sim::traffic::tokens::LengthDist;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts live and peak heap bytes.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const REPLICAS: usize = 100;
const HOURS: f64 = 24.0;

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
        prefix: None,
    }
}

fn spans() -> Vec<ReplicaSpan> {
    let c = Catalog::bundled();
    let card = c.model("llama-3.1-8b-instruct-bf16").unwrap();
    let arch = card.architecture.as_ref().unwrap();
    let gpu = c.gpu("H100-SXM").unwrap();
    let args = VllmArgs {
        max_model_len: Some(8192),
        ..Default::default()
    };
    let mem = plan(card, arch, gpu, 1, &args, &c.vllm).unwrap();
    (0..REPLICAS)
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

/// Runs the day and returns the number of requests.
fn day(rate_per_s: f64, router: RouterPolicy) -> u64 {
    let t = traffic(rate_per_s);
    let spec = ServiceSpec {
        spans: spans(),
        traffic: vec![(&t, 0)],
        router,
        timeout_s: 30.0,
        slo: vec![],
        window_s: 60.0,
        end_s: HOURS * 3600.0,
        fidelity: Fidelity::Fast,
        seed: 1,
        attribution: Vec::new(),
    };
    let r = simulate(&spec);
    r.metrics.arrived_count()
}

/// One request per second per replica: about 8.6 million requests.
const RATE: f64 = REPLICAS as f64;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("serving");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(60))
        .warm_up_time(Duration::from_secs(1));
    for router in [RouterPolicy::Random, RouterPolicy::LeastOutstanding] {
        g.bench_function(format!("100 replicas, 24 h Poisson, {}", router.name()), |b| {
            b.iter(|| day(RATE, router))
        });
    }
    g.finish();
    for router in [RouterPolicy::Random, RouterPolicy::LeastOutstanding] {
        let start = Instant::now();
        let n = day(RATE, router);
        let s = start.elapsed().as_secs_f64();
        println!(
            "{}: {n} requests in {s:.2} s = {:.2} million requests/s",
            router.name(),
            n as f64 / s / 1e6
        );
    }
    for rate in [RATE / 10.0, RATE] {
        PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
        let before = LIVE.load(Ordering::Relaxed);
        let n = day(rate, RouterPolicy::Random);
        let peak = PEAK.load(Ordering::Relaxed) - before;
        println!("{n} requests: peak heap {:.2} MiB", peak as f64 / 1048576.0);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
