//! Request throughput with the loop closed: the serving benchmark's day (Llama-3.1-8B on
//! H100s, 24 simulated hours of Poisson chat traffic at 100 requests/s, about 8.6 million
//! requests) run as a whole Scenario — nodes, Kueue-less KServe predictor, the requests in
//! the cluster's event loop — once with no autoscaler (`autoscalerClass: none`, 100
//! replicas) and once under KEDA on `vllm:num_requests_running` with Prometheus scraping
//! every 15 s, on the requests running (16 per replica, 1–100 replicas). Prints simulated requests per second of each and the peak
//! heap at a tenth of the rate and at the full rate.

use criterion::{criterion_group, criterion_main, Criterion};
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

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

const MANIFESTS: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: chat}
---
apiVersion: serving.kserve.io/v1alpha1
kind: ServingRuntime
metadata: {name: vllm-runtime, namespace: chat}
spec:
  supportedModelFormats: [{name: vLLM, autoSelect: true}]
  containers:
    - name: kserve-container
      image: quay.io/modh/vllm:rhoai-3.0-cuda
      args: [--port=8080, --model=/mnt/models]
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: chat
  namespace: chat
  annotations: {serving.kserve.io/deploymentMode: RawDeployment, serving.kserve.io/autoscalerClass: CLASS}
spec:
  predictor:
    minReplicas: MIN
    maxReplicas: 100
    tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
    autoScaling:
      metrics:
        - type: External
          external:
            metric: {backend: prometheus, query: 'sum(vllm:num_requests_running{model_name="chat"})'}
            target: {type: Value, value: "16"}
    model:
      modelFormat: {name: vLLM}
      runtime: vllm-runtime
      storageUri: s3://models/llama-3.1-8b-instruct/
      args: [--max-model-len=8192]
      resources:
        requests: {cpu: "8", memory: 64Gi, nvidia.com/gpu: "1"}
        limits: {cpu: "8", memory: 64Gi, nvidia.com/gpu: "1"}
"#;

fn scenario(rate: f64) -> String {
    format!(
        r#"apiVersion: gpuaas-sim/v1alpha1
kind: Scenario
metadata: {{name: closed-loop}}
spec:
  duration: 24h
  seed: 1
  include: [m.yaml]
  nodePools:
    - {{name: h100, instanceType: p5.48xlarge, count: 13}}
  traffic:
    - {{target: chat, start: 10m, rate: {rate}/s,
       prompt_tokens: {{dist: lognormal, mean: 1000, sd: 600}}, output_tokens: {{dist: lognormal, mean: 200, sd: 150}}}}
"#
    )
}

fn prepare(dir: &Path, keda: bool, rate: f64) -> gpuaas_sim::scenario::run::Prepared {
    let manifests = MANIFESTS
        .replace("CLASS", if keda { "keda" } else { "none" })
        .replace("MIN", if keda { "1" } else { "100" });
    std::fs::write(dir.join("m.yaml"), manifests).unwrap();
    std::fs::write(dir.join("s.yaml"), scenario(rate)).unwrap();
    let mut p = gpuaas_sim::scenario::run::discover(&[dir.join("s.yaml")]).unwrap();
    p.remove(0)
}

/// Runs the day and returns the requests that arrived.
fn day(p: &gpuaas_sim::scenario::run::Prepared) -> u64 {
    let done = gpuaas_sim::simulate(p.clone()).unwrap();
    done.report.models.values().map(|m| m.requests).sum()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut g = c.benchmark_group("closed loop");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(60))
        .warm_up_time(Duration::from_secs(1));
    for keda in [false, true] {
        let sub = dir.path().join(if keda { "keda" } else { "none" });
        std::fs::create_dir_all(&sub).unwrap();
        let p = prepare(&sub, keda, 100.0);
        let name = if keda {
            "24 h at 100 req/s, KEDA and scrapes"
        } else {
            "24 h at 100 req/s, no autoscaler"
        };
        g.bench_function(name, |b| b.iter(|| day(&p)));
        let start = Instant::now();
        let n = day(&p);
        let s = start.elapsed().as_secs_f64();
        println!(
            "{name}: {n} requests in {s:.2} s = {:.2} million requests/s",
            n as f64 / s / 1e6
        );
    }
    g.finish();
    for rate in [10.0, 100.0] {
        let sub = dir.path().join(format!("mem-{rate}"));
        std::fs::create_dir_all(&sub).unwrap();
        let p = prepare(&sub, true, rate);
        PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
        let before = LIVE.load(Ordering::Relaxed);
        let n = day(&p);
        let peak = PEAK.load(Ordering::Relaxed) - before;
        println!("KEDA, {n} requests: peak heap {:.2} MiB", peak as f64 / 1048576.0);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
