//! Sweep throughput: points per second of a one-hour serving scenario (Llama 3.1 8B on one
//! H100, 5 requests/s), 8 points on one thread and on every core (`cargo bench --bench sweep`).

use criterion::{criterion_group, criterion_main, Criterion};
use gpuaas_sim::plan::{setting::Setting, sweep};
use std::sync::atomic::AtomicUsize;

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
  containers: [{name: kserve-container, image: quay.io/modh/vllm:rhoai-3.0-cuda, args: [--port=8080, --model=/mnt/models]}]
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: assistant
  namespace: chat
  annotations: {serving.kserve.io/deploymentMode: RawDeployment}
spec:
  predictor:
    minReplicas: 1
    maxReplicas: 1
    model:
      modelFormat: {name: vLLM}
      runtime: vllm-runtime
      storageUri: s3://models/llama-3.1-8b-instruct/
      args: [--max-model-len=8192]
      resources:
        requests: {cpu: "8", memory: 64Gi, nvidia.com/gpu: "1"}
        limits: {cpu: "8", memory: 64Gi, nvidia.com/gpu: "1"}
"#;

const SCENARIO: &str = "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {name: one-hour}\nspec:\n  duration: 70m\n  include: [m.yaml]\n  nodePools: [{name: h100, instanceType: p5.48xlarge, count: 1}]\n  traffic:\n    - {target: assistant, start: 10m, rate: 5/s, prompt_tokens: {dist: lognormal, mean: 1000, sd: 600}, output_tokens: {dist: lognormal, mean: 200, sd: 150}}\n  slo: {ttft_p95: 2s}\n";

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.yaml"), MANIFESTS).unwrap();
    std::fs::write(dir.path().join("s.yaml"), SCENARIO).unwrap();
    let inputs = gpuaas_sim::scenario::run::load_inputs(&[dir.path().join("s.yaml")]).unwrap();
    let grid = sweep::Grid {
        inputs,
        settings: vec![Setting::parse(
            "InferenceService/assistant:spec.predictor.model.args[--max-num-seqs]=16,32,64,128,256,512,768,1024",
            1,
        )
        .unwrap()],
        seeds: 1,
        shard: None,
        capacity: None,
        catalog: std::sync::Arc::new(gpuaas_sim::catalog::Catalog::bundled()),
        catalog_dir: None,
    };
    let mut g = c.benchmark_group("sweep");
    g.sample_size(10);
    for jobs in [1, 0] {
        let name = if jobs == 1 {
            "8 points, 1 thread"
        } else {
            "8 points, every core"
        };
        g.bench_function(name, |b| {
            b.iter(|| {
                let points = sweep::prepare(&grid).unwrap();
                sweep::run(&grid, points, jobs, &AtomicUsize::new(0)).unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
