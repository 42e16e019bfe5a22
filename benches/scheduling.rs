//! Scheduling throughput: one Kueue admission pass over 10,000 pending workloads (one
//! ClusterQueue; and 20 ClusterQueues in a cohort with preemption), a 1,000-node /
//! 20,000-pod churn, and the seed's handover scenario end to end.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use gpuaas_sim::bench::KueuePass;
use gpuaas_sim::scenario::run::discover;
use gpuaas_sim::units::Quantity;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn write_scenario(dir: &Path, nodes: u32, gpu_quota: u32, timeline: &str, replicas: u32, duration: &str) -> PathBuf {
    let manifests = format!(
        r#"apiVersion: kueue.x-k8s.io/v1beta1
kind: ResourceFlavor
metadata: {{name: l4}}
spec: {{nodeLabels: {{node.kubernetes.io/instance-type: g6.12xlarge}}}}
---
apiVersion: kueue.x-k8s.io/v1beta1
kind: ClusterQueue
metadata: {{name: fleet}}
spec:
  namespaceSelector: {{}}
  resourceGroups:
    - coveredResources: [cpu, memory, nvidia.com/gpu]
      flavors:
        - name: l4
          resources:
            - {{name: cpu, nominalQuota: 1000000}}
            - {{name: memory, nominalQuota: 100000Gi}}
            - {{name: nvidia.com/gpu, nominalQuota: {gpu_quota}}}
---
apiVersion: kueue.x-k8s.io/v1beta1
kind: LocalQueue
metadata: {{name: default, namespace: batch}}
spec: {{clusterQueue: fleet}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: churn, namespace: batch}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: churn}}}}
  template:
    metadata: {{labels: {{app: churn}}}}
    spec:
      containers: [{{name: c, image: i, resources: {{limits: {{cpu: "1", memory: 4Gi, nvidia.com/gpu: "1"}}}}}}]
"#
    );
    let scenario = format!(
        "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: bench}}\nspec:\n  duration: {duration}\n  include: [m.yaml]\n  nodePools: [{{name: n, instanceType: g6.12xlarge, count: {nodes}}}]\n  timeline:\n{timeline}"
    );
    std::fs::write(dir.join("m.yaml"), manifests).unwrap();
    let p = dir.join("s.yaml");
    std::fs::write(&p, scenario).unwrap();
    p
}

fn prepared(path: &Path) -> gpuaas_sim::scenario::run::Prepared {
    discover(&[path.to_path_buf()]).unwrap().remove(0)
}

fn admission_pass(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    // 10,000 gated pods in a queue with no GPU quota: all pending.
    let path = write_scenario(
        dir.path(),
        1000,
        0,
        "    - {at: 1s, run: \"oc get clusterqueue\"}\n",
        10_000,
        "10s",
    );
    let done = gpuaas_sim::simulate(prepared(&path)).unwrap();
    // Then the quota arrives: one pass admits 4,000 and finds 6,000 that do not fit.
    let pass = KueuePass::after(done, |cq| {
        for g in &mut cq.resource_groups {
            for f in &mut g.flavors {
                for r in &mut f.resources {
                    if r.name == "nvidia.com/gpu" {
                        r.nominal = Quantity::from_units(4000);
                    }
                }
            }
        }
    });
    let mut g = c.benchmark_group("kueue");
    g.sample_size(20);
    g.bench_function("admission_pass_10k_pending", |b| {
        b.iter_batched(
            || pass.queues(),
            |q| {
                let outcome = pass.run(q);
                assert_eq!(outcome.decisions, 10_000);
                outcome
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// 20 teams of 200 GPUs in one cohort. Teams 0–9 run 400 workloads each, so the cohort
/// is full and half of it borrowed; every team then has 500 pending (teams 0–9's at
/// priority 1000 for odd teams). With preemption on, one pass over the 10,000 pending
/// workloads finds: teams 10–19 reclaiming from the borrowers, odd borrowing teams
/// preempting their own lower-priority workloads, even ones parking every head.
fn cohort_manifests(dir: &Path) -> PathBuf {
    let mut m = String::from(
        "apiVersion: kueue.x-k8s.io/v1beta1\nkind: ResourceFlavor\nmetadata: {name: l4}\nspec: {nodeLabels: {node.kubernetes.io/instance-type: g6.12xlarge}}\n---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: WorkloadPriorityClass\nmetadata: {name: high}\nvalue: 1000\n",
    );
    for t in 0..20 {
        let team = format!("team-{t:02}");
        m += &format!(
            "---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: ClusterQueue\nmetadata: {{name: {team}}}\nspec:\n  cohort: fleet\n  namespaceSelector: {{}}\n  resourceGroups:\n    - coveredResources: [cpu, memory, nvidia.com/gpu]\n      flavors:\n        - name: l4\n          resources:\n            - {{name: cpu, nominalQuota: 100000}}\n            - {{name: memory, nominalQuota: 100000Gi}}\n            - {{name: nvidia.com/gpu, nominalQuota: 200}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {team}}}\n---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: LocalQueue\nmetadata: {{name: default, namespace: {team}}}\nspec: {{clusterQueue: {team}}}\n"
        );
        let deployment = |name: &str, replicas: u32, labels: &str| {
            format!(
                "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {team}}}\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}{labels}}}}}\n    spec:\n      containers: [{{name: c, image: i, resources: {{limits: {{cpu: \"1\", memory: 4Gi, nvidia.com/gpu: \"1\"}}}}}}]\n"
            )
        };
        if t < 10 {
            m += &deployment("running", 400, "");
        }
        let high = if t < 10 && t % 2 == 1 {
            ", kueue.x-k8s.io/priority-class: high"
        } else {
            ""
        };
        m += &deployment("waiting", 0, high);
    }
    let timeline: String = (0..20)
        .map(|t| format!("    - {{at: 1s, run: \"oc scale deployment waiting -n team-{t:02} --replicas=500\"}}\n"))
        .collect();
    let scenario = format!(
        "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: bench}}\nspec:\n  duration: 5s\n  include: [m.yaml]\n  nodePools: [{{name: n, instanceType: g6.12xlarge, count: 1000}}]\n  timeline:\n{timeline}"
    );
    std::fs::write(dir.join("m.yaml"), m).unwrap();
    let p = dir.join("s.yaml");
    std::fs::write(&p, scenario).unwrap();
    p
}

fn cohort_admission_pass(c: &mut Criterion) {
    use gpuaas_sim::api::kueue::{ReclaimWithinCohort, WithinClusterQueue};
    let dir = tempfile::tempdir().unwrap();
    let done = gpuaas_sim::simulate(prepared(&cohort_manifests(dir.path()))).unwrap();
    // Preemption is switched on only now, so that the set-up run admitted without it.
    let pass = KueuePass::after(done, |cq| {
        cq.preemption.within_cluster_queue = WithinClusterQueue::LowerPriority;
        cq.preemption.reclaim_within_cohort = ReclaimWithinCohort::Any;
    });
    let pending = pass.pending();
    assert_eq!(pending, 10_000);
    let start = Instant::now();
    let outcome = pass.run(pass.queues());
    let wall = start.elapsed().as_secs_f64();
    eprintln!(
        "cohort pass: {pending} pending in 20 ClusterQueues: {} decisions ({} admitted, {} evictions issued) in {:.1} ms = {:.0} decisions/s",
        outcome.decisions,
        outcome.admitted,
        outcome.evictions,
        wall * 1000.0,
        outcome.decisions as f64 / wall
    );
    eprintln!("cohort pass, pending messages: {:?}", outcome.pending);
    let mut g = c.benchmark_group("kueue");
    g.sample_size(20);
    g.bench_function("cohort_preemption_pass_10k_pending_20_cqs", |b| {
        b.iter_batched(|| pass.queues(), |q| pass.run(q), BatchSize::LargeInput)
    });
    g.finish();
}

fn churn(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let timeline = [
        "    - {at: 1m, run: \"oc scale deployment churn -n batch --replicas=20000\"}",
        "    - {at: 20m, run: \"oc scale deployment churn -n batch --replicas=2000\"}",
        "    - {at: 40m, run: \"oc scale deployment churn -n batch --replicas=20000\"}",
        "    - {at: 60m, run: \"oc scale deployment churn -n batch --replicas=0\"}",
    ]
    .join("\n")
        + "\n";
    let path = write_scenario(dir.path(), 1000, 4000, &timeline, 0, "70m");
    let p = prepared(&path);
    // One measured run to report decisions per second alongside criterion's timing.
    let start = Instant::now();
    let done = gpuaas_sim::simulate(p.clone()).unwrap();
    let wall = start.elapsed().as_secs_f64();
    let decisions = gpuaas_sim::bench::kueue_decisions(&done);
    let binds = done
        .result
        .engine
        .store()
        .events
        .iter()
        .filter(|e| e.kind == "Scheduled")
        .count();
    eprintln!(
        "churn: {decisions} Kueue decisions + {binds} binds in {wall:.2}s = {:.0} scheduling decisions/s",
        (decisions as f64 + binds as f64) / wall
    );
    let mut g = c.benchmark_group("churn");
    g.sample_size(10);
    g.bench_function("1000_nodes_20000_pods", |b| b.iter(|| gpuaas_sim::simulate(p.clone())));
    g.finish();
}

fn seed_scenario(c: &mut Criterion) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/gpuaas-demo/handover.yaml");
    let p = prepared(&path);
    let start = Instant::now();
    let runs = 50;
    for _ in 0..runs {
        gpuaas_sim::simulate(p.clone()).unwrap();
    }
    let per_run = start.elapsed().as_secs_f64() / runs as f64;
    eprintln!(
        "handover: 45 min simulated in {:.2} ms = {:.0}x real time",
        per_run * 1000.0,
        2700.0 / per_run
    );
    c.bench_function("seed_handover_45min", |b| b.iter(|| gpuaas_sim::simulate(p.clone())));
}

criterion_group!(benches, admission_pass, cohort_admission_pass, churn, seed_scenario);
criterion_main!(benches);
