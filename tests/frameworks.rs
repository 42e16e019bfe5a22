//! Stories of the batch frameworks under Kueue: given these manifests, the framework's
//! Workload has these pod sets, its controller runs these Jobs and pods, and it ends so.

mod common;
use common::{folder, simulate};

const CLUSTER: &str = r#"
apiVersion: kueue.x-k8s.io/v1beta2
kind: ResourceFlavor
metadata: {name: a100}
spec:
  nodeLabels: {node.kubernetes.io/instance-type: p4de.24xlarge}
  tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: ClusterQueue
metadata: {name: research}
spec:
  namespaceSelector: {}
  resourceGroups:
    - coveredResources: [cpu, memory, nvidia.com/gpu]
      flavors:
        - name: a100
          resources: [{name: cpu, nominalQuota: 96}, {name: memory, nominalQuota: 1000Gi}, {name: nvidia.com/gpu, nominalQuota: 8}]
---
apiVersion: v1
kind: Namespace
metadata: {name: ml}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: LocalQueue
metadata: {name: default, namespace: ml}
spec: {clusterQueue: research}
"#;

fn scenario(duration: &str, timeline: &str) -> String {
    format!(
        "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: story}}\nspec:\n  include: [m.yaml]\n  duration: {duration}\n  nodePools:\n    - {{name: a100, instanceType: p4de.24xlarge, count: 1, taints: [{{key: nvidia.com/gpu, value: \"true\", effect: NoSchedule}}]}}\n  timeline:\n{timeline}"
    )
}

fn run(manifests: &str, duration: &str, timeline: &str) -> gpuaas_sim::Completed {
    let m = format!("{CLUSTER}---\n{manifests}");
    let dir = folder(&[("m.yaml", &m), ("s.yaml", &scenario(duration, timeline))]);
    simulate(&dir.path().join("s.yaml"))
}

fn output<'a>(done: &'a gpuaas_sim::Completed, command: &str) -> &'a str {
    &done
        .result
        .transcript
        .iter()
        .find(|t| t.command.contains(command))
        .unwrap_or_else(|| panic!("{command} not run"))
        .output
}

const GPU_POD: &str = "{spec: {containers: [{name: c, image: i, resources: {limits: {cpu: \"4\", memory: 32Gi, nvidia.com/gpu: \"1\"}}}]}}";
const CPU_POD: &str = "{spec: {tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}], containers: [{name: c, image: i, resources: {limits: {cpu: \"2\", memory: 8Gi}}}]}}";

/// A JobSet of a driver and two worker replicas of 2 pods: a Workload with pod sets
/// `driver` (1) and `workers` (4); the JobSet controller's Jobs `<jobset>-<rjob>-<index>`
/// run once Kueue admits it, and the JobSet completes when all of them have.
#[test]
fn a_jobset_runs_a_job_per_replica_and_completes_with_them() {
    let js = format!(
        "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata: {{name: sweep, namespace: ml, labels: {{kueue.x-k8s.io/queue-name: default}}, annotations: {{gpuaas-sim.io/run-time: 10m}}}}\nspec:\n  replicatedJobs:\n    - {{name: driver, template: {{spec: {{template: {CPU_POD}}}}}}}\n    - {{name: workers, replicas: 2, template: {{spec: {{parallelism: 2, completions: 2, template: {GPU_POD}}}}}}}\n"
    );
    let done = run(
        &js,
        "20m",
        "    - {at: 2m, run: \"oc get jobs -n ml\"}\n    - {at: 2m, run: \"oc get jobsets -n ml\"}\n    - {at: 15m, run: \"oc get jobsets -n ml\"}\n    - {at: 15m, run: \"oc get workloads -n ml\"}\n",
    );
    let store = done.result.engine.store();
    let w = store
        .workloads
        .values()
        .find(|w| w.owner == "sweep")
        .expect("a Workload");
    let sets: Vec<(&str, u32)> = w.pod_sets.iter().map(|p| (p.name.as_str(), p.count)).collect();
    assert_eq!(sets, [("driver", 1), ("workers", 4)]);
    assert!(w.name.starts_with("jobset-sweep-"), "{}", w.name);
    assert!(w.finished_at.is_some(), "the Workload finishes with the JobSet");
    let jobs = output(&done, "get jobs");
    for name in ["sweep-driver-0 ", "sweep-workers-0 ", "sweep-workers-1 "] {
        assert!(jobs.lines().any(|l| l.starts_with(name)), "{name} in\n{jobs}");
    }
    assert!(output(&done, "get jobsets").contains("Running"));
    let later = &done.result.transcript[2].output;
    assert!(later.contains("Completed"), "{later}");
    // Kueue keeps the finished Workload while the JobSet stands.
    let workloads = &done.result.transcript[3].output;
    assert!(
        workloads
            .lines()
            .any(|l| l.starts_with("jobset-sweep-") && l.contains("True")),
        "{workloads}"
    );
}

/// A PyTorchJob's pods are `<job>-master-0` and `<job>-worker-N`, each pod set gets the
/// flavor's placement; evicted, its templates are restored (Kueue's `RestorePodSetsInfo`)
/// and its pods go.
#[test]
fn a_pytorchjob_is_stopped_and_its_templates_restored_when_evicted() {
    let pt = format!(
        "apiVersion: kubeflow.org/v1\nkind: PyTorchJob\nmetadata: {{name: pretrain, namespace: ml, annotations: {{gpuaas-sim.io/run-time: 1h}}}}\nspec:\n  pytorchReplicaSpecs:\n    Master: {{replicas: 1, template: {GPU_POD}}}\n    Worker: {{replicas: 3, template: {GPU_POD}}}\n"
    );
    // At 5m a higher-priority PyTorchJob wanting all 8 GPUs preempts it.
    let urgent = format!(
        "---\napiVersion: kueue.x-k8s.io/v1beta2\nkind: WorkloadPriorityClass\nmetadata: {{name: urgent}}\nvalue: 100\n---\napiVersion: kubeflow.org/v1\nkind: PyTorchJob\nmetadata: {{name: urgent, namespace: ml, labels: {{kueue.x-k8s.io/priority-class: urgent}}, annotations: {{gpuaas-sim.io/run-time: 1h}}}}\nspec:\n  pytorchReplicaSpecs:\n    Worker: {{replicas: 8, template: {GPU_POD}}}\n"
    );
    let preempting = CLUSTER.replace(
        "namespaceSelector: {}\n",
        "namespaceSelector: {}\n  preemption: {withinClusterQueue: LowerPriority}\n",
    );
    let m = format!("{preempting}---\n{pt}");
    let dir = folder(&[
        ("m.yaml", &m),
        ("urgent.yaml", &urgent),
        (
            "s.yaml",
            &scenario(
                "20m",
                "    - {at: 2m, run: \"oc get pods -n ml\"}\n    - {at: 5m, run: \"oc apply -f urgent.yaml\"}\n    - {at: 8m, run: \"oc get pytorchjobs -n ml\"}\n",
            ),
        ),
    ]);
    let done = simulate(&dir.path().join("s.yaml"));
    let pods = output(&done, "get pods");
    for name in [
        "pretrain-master-0 ",
        "pretrain-worker-0 ",
        "pretrain-worker-1 ",
        "pretrain-worker-2 ",
    ] {
        assert!(
            pods.lines().any(|l| l.starts_with(name) && l.contains("Running")),
            "{name} in\n{pods}"
        );
    }
    let store = done.result.engine.store();
    let f = store.frameworks.values().find(|f| f.name == "pretrain").unwrap();
    assert!(f.suspend, "suspended by Kueue");
    assert!(
        f.groups.iter().zip(&f.original).all(|(g, o)| g.template == o.template),
        "templates restored"
    );
    let states = output(&done, "get pytorchjobs");
    assert!(
        states
            .lines()
            .any(|l| l.starts_with("pretrain ") && l.contains("Suspended")),
        "{states}"
    );
    assert!(
        states
            .lines()
            .any(|l| l.starts_with("urgent ") && l.contains("Running")),
        "{states}"
    );
    let w = store.workloads.values().find(|w| w.owner == "pretrain").unwrap();
    assert_eq!(w.evictions.len(), 1, "preempted once");
}

fn rayjob(shutdown: bool) -> String {
    format!(
        "apiVersion: ray.io/v1\nkind: RayJob\nmetadata: {{name: tune, namespace: ml, annotations: {{gpuaas-sim.io/run-time: 10m}}}}\nspec:\n  entrypoint: python tune.py\n  shutdownAfterJobFinishes: {shutdown}\n  submitterPodTemplate: {CPU_POD}\n  rayClusterSpec:\n    headGroupSpec: {{template: {CPU_POD}}}\n    workerGroupSpecs:\n      - {{groupName: gpu, replicas: 2, template: {GPU_POD}}}\n"
    )
}

/// A RayJob: pod sets `head`, `gpu` and `submitter`; KubeRay starts the submitter once
/// every cluster pod is Ready; the RayJob, and its Workload, end with the entrypoint; with
/// `shutdownAfterJobFinishes: false` the cluster's pods keep running, their quota already
/// released.
#[test]
fn a_rayjob_submits_when_its_cluster_is_ready_and_may_leave_it_running() {
    for shutdown in [true, false] {
        let done = run(
            &rayjob(shutdown),
            "20m",
            "    - {at: 15m, run: \"oc get pods -n ml\"}\n",
        );
        let store = done.result.engine.store();
        let w = store.workloads.values().find(|w| w.owner == "tune").unwrap();
        let sets: Vec<&str> = w.pod_sets.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(sets, ["head", "gpu", "submitter"]);
        assert!(w.finished_at.is_some(), "finished with the entrypoint");
        let f = store.frameworks.values().find(|f| f.name == "tune").unwrap();
        let cluster = f.cluster_name.clone().unwrap();
        let submitter = store
            .jobs
            .values()
            .find(|j| j.name == "tune")
            .expect("the submitter Job");
        let cluster_ready = f
            .children
            .iter()
            .filter_map(|(_, j)| store.jobs.get(*j))
            .filter(|j| j.name != "tune")
            .map(|j| j.created)
            .max()
            .unwrap();
        assert!(submitter.created > cluster_ready, "submitted after the cluster came up");
        let pods = output(&done, "get pods");
        let running = pods
            .lines()
            .filter(|l| l.starts_with(&cluster) && l.contains("Running"))
            .count();
        assert_eq!(running, if shutdown { 0 } else { 3 }, "shutdown {shutdown}:\n{pods}");
    }
}

/// A RayCluster holds its quota for as long as it runs: it never finishes.
#[test]
fn a_raycluster_never_finishes() {
    let rc = format!(
        "apiVersion: ray.io/v1\nkind: RayCluster\nmetadata: {{name: lab, namespace: ml}}\nspec:\n  headGroupSpec: {{template: {CPU_POD}}}\n  workerGroupSpecs:\n    - {{groupName: gpu, replicas: 3, template: {GPU_POD}}}\n"
    );
    let done = run(&rc, "3h", "    - {at: 2h, run: \"oc get rayclusters -n ml\"}\n");
    let store = done.result.engine.store();
    let w = store.workloads.values().find(|w| w.owner == "lab").unwrap();
    assert!(w.admission.is_some() && w.finished_at.is_none());
    assert!(output(&done, "get rayclusters").contains("ready"));
}

/// A TrainJob whose runtime does not exist is refused at load, located, as Trainer's webhook
/// refuses it.
#[test]
fn a_trainjob_without_its_runtime_is_refused() {
    let tj = "apiVersion: trainer.kubeflow.org/v1alpha1\nkind: TrainJob\nmetadata: {name: t, namespace: ml}\nspec:\n  runtimeRef: {name: torch-distributed}\n";
    let m = format!("{CLUSTER}---\n{tj}");
    let dir = folder(&[
        ("m.yaml", &m),
        (
            "s.yaml",
            &scenario("5m", "    - {at: 1m, run: \"oc get trainjobs -n ml\"}\n"),
        ),
    ]);
    let err = match gpuaas_sim::scenario::run::discover(&[dir.path().join("s.yaml")]) {
        Ok(_) => panic!("a TrainJob without its runtime was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("m.yaml:")
            && err.contains("refers to ClusterTrainingRuntime `torch-distributed`, which is not defined"),
        "{err}"
    );
}
