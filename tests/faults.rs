//! Fault stories on the demo's cluster: given these manifests and this fault, the node,
//! its pods, Kueue's Workloads and the services' clients go through what Kubernetes'
//! own controllers would put them through, and the report says what the fault did.
//!
//! The demo: `ip-10-0-31-12` (4 × L4) serves Mistral BF16 (storage download, 450 s cold
//! start), `ip-10-0-47-201` (1 × L4) serves Mistral INT4 (ModelCar image).

mod common;
use common::*;
use gpuaas_sim::store::WorkloadState;

const BIG: &str = "ip-10-0-31-12.us-east-2.compute.internal";
const SMALL: &str = "ip-10-0-47-201.us-east-2.compute.internal";

fn run(spec_tail: &str) -> gpuaas_sim::Completed {
    let manifests = repo().join("scenarios/gpuaas-demo/manifests");
    let scenario = format!(
        "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: fault}}\nspec:\n  seed: 7\n  include: [{}]\n{spec_tail}",
        manifests.display()
    );
    let dir = folder(&[("s.yaml", &scenario)]);
    simulate(&dir.path().join("s.yaml"))
}

/// The times (seconds) of the events of `kind` about objects containing `object`.
fn times(done: &gpuaas_sim::Completed, kind: &str, object: &str) -> Vec<f64> {
    done.result
        .engine
        .store()
        .events
        .iter()
        .filter(|e| e.kind == kind && e.object.contains(object))
        .map(|e| e.t.as_secs_f64())
        .collect()
}

fn bf16_states(done: &gpuaas_sim::Completed) -> Vec<(f64, WorkloadState)> {
    done.result
        .engine
        .store()
        .workloads
        .values()
        .filter(|w| w.owner == "mistral-3-bf16")
        .flat_map(|w| w.history.iter().map(|(t, s)| (t.as_secs_f64(), *s)))
        .collect()
}

#[test]
fn a_lost_node_goes_not_ready_after_the_grace_period_and_its_pods_are_collected() {
    let done = run(&format!(
        "  duration: 30m\n  faults:\n    - {{at: 10m, type: NodeLost, node: {BIG}}}\n"
    ));
    // node-monitor-grace-period 50 s; the cloud controller's next 5 s round; PodGC's
    // rounds every 20 s from the start, a 40 s quarantine.
    assert_eq!(times(&done, "NodeNotReady", &format!("Node {BIG}")), vec![650.0]);
    assert_eq!(
        times(&done, "NodeNotReady", "Pod private-ai/mistral-3-bf16"),
        vec![650.0]
    );
    assert_eq!(times(&done, "DeletingNode", BIG), vec![655.0]);
    assert_eq!(times(&done, "DeletionByPodGC", "mistral-3-bf16"), vec![700.0]);
    // The replacement pod's Workload is admitted again at once, but no node fits it.
    let store = done.result.engine.store();
    assert!(!store.nodes.contains_key(BIG));
    let states = bf16_states(&done);
    assert!(states.contains(&(700.0, WorkloadState::Finished)), "{states:?}");
    assert!(states.contains(&(700.0, WorkloadState::Admitted)), "{states:?}");
    assert!(!states.iter().any(|(t, s)| *t > 700.0 && *s == WorkloadState::Ready));
    let f = &done.report.faults[0];
    assert_eq!(f.fault_type, "NodeLost");
    assert_eq!(f.pods_struck.len(), 1);
    assert_eq!(f.replacement_pods.len(), 1);
    assert_eq!(f.workloads_readmitted.len(), 1);
    assert_eq!(f.replacements_ready_s, None);
    // INT4 on the other node serves on.
    let int4 = store
        .pods
        .values()
        .find(|p| p.name.starts_with("mistral-3-int4"))
        .unwrap();
    assert!(int4.is_ready() && int4.node.as_deref() == Some(SMALL));
    // The lost node is billed until its Node object went.
    let lost = done.report.nodes.iter().find(|n| n.name == BIG).unwrap();
    assert_eq!(lost.deleted_s, Some(655.0));
}

#[test]
fn a_short_not_ready_spell_comes_back_without_evictions() {
    let done = run(&format!(
        "  duration: 30m\n  faults:\n    - {{at: 10m, type: NodeNotReady, node: {BIG}, for: 2m}}\n"
    ));
    assert_eq!(times(&done, "NodeNotReady", &format!("Node {BIG}")), vec![650.0]);
    assert_eq!(times(&done, "NodeReady", &format!("Node {BIG}")), vec![720.0]);
    assert!(times(&done, "TaintManagerEviction", "").is_empty());
    // PodsReady turned False (waiting for recovery) and True again: same Workload.
    let states = bf16_states(&done);
    assert!(states.contains(&(650.0, WorkloadState::Admitted)), "{states:?}");
    assert!(states.contains(&(720.0, WorkloadState::Ready)), "{states:?}");
    let store = done.result.engine.store();
    let node = store.nodes.get(BIG).expect("the big node");
    assert!(node.taints.iter().all(|t| t.key != "node.kubernetes.io/unreachable"));
    assert_eq!(done.report.faults[0].replacement_pods.len(), 0);
    assert_eq!(done.report.faults[0].ended_s, Some(720.0));
}

#[test]
fn a_long_not_ready_spell_evicts_after_the_default_toleration_and_the_pod_waits_for_its_kubelet() {
    let done = run(&format!(
        "  duration: 40m\n  faults:\n    - {{at: 10m, type: NodeNotReady, node: {BIG}, for: 15m}}\n"
    ));
    // Not ready at 650 s; the default 300 s toleration of node.kubernetes.io/unreachable
    // runs out at 950 s: the taint eviction controller deletes the pod, which stays
    // Terminating until its kubelet is back at 1,500 s and finishes it (30 s grace).
    assert_eq!(times(&done, "TaintManagerEviction", "mistral-3-bf16"), vec![950.0]);
    let f = &done.report.faults[0];
    assert_eq!(f.replacement_pods.len(), 1);
    let old = &f.pods_struck[0];
    let gone = done
        .result
        .engine
        .store()
        .events
        .iter()
        .filter(|e| e.object.ends_with(old.as_str()))
        .map(|e| (e.t.as_secs_f64(), e.kind.clone()))
        .collect::<Vec<_>>();
    assert!(gone.iter().any(|(t, k)| *t == 950.0 && k == "Killing"), "{gone:?}");
    // The replacement could only run once the node was back and the old pod gone.
    assert!(f.replacements_ready_s.is_some_and(|t| t > 1_500.0), "{f:?}");
}

#[test]
fn a_spot_interruption_drains_the_node_then_it_is_gone() {
    let done = run(&format!(
        "  duration: 30m\n  faults:\n    - {{at: 10m, type: SpotInterruption, node: {BIG}}}\n"
    ));
    assert_eq!(times(&done, "SpotInterruption", BIG), vec![600.0]);
    // Drained at the notice: the pod terminates with its grace period, at once replaced.
    assert_eq!(times(&done, "Killing", "mistral-3-bf16"), vec![600.0]);
    // Two minutes later the instance goes; NotReady 50 s after, deleted on the next round.
    assert_eq!(times(&done, "NodeNotReady", &format!("Node {BIG}")), vec![770.0]);
    assert_eq!(times(&done, "DeletingNode", BIG), vec![775.0]);
    let f = &done.report.faults[0];
    assert_eq!(f.replacement_pods.len(), 1);
    let store = done.result.engine.store();
    let replacement = store
        .pods
        .values()
        .find(|p| p.name.starts_with("mistral-3-bf16"))
        .unwrap();
    assert_eq!(replacement.node, None, "the cordoned node must not take it");
}

#[test]
fn a_failed_gpu_leaves_allocatable_and_crash_loops_its_pod() {
    let done = run(&format!(
        "  duration: 30m\n  faults:\n    - {{at: 10m, type: GPUFailure, node: {BIG}, gpus: 1, xid: 79}}\n"
    ));
    let store = done.result.engine.store();
    let node = store.nodes.get(BIG).expect("the big node");
    assert_eq!(node.allocatable.gpus(), 3);
    assert_eq!(node.failed_gpus, 1);
    let pod = store
        .pods
        .values()
        .find(|p| p.name.starts_with("mistral-3-bf16"))
        .unwrap();
    assert_eq!(pod.status(), "CrashLoopBackOff");
    assert!(pod.crash.restarts >= 3, "{}", pod.crash.restarts);
    let xid: Vec<_> = store.events.iter().filter(|e| e.message.contains("Xid")).collect();
    assert!(xid.iter().any(|e| e.message.contains("79, GPU has fallen off the bus")));
    let nodes = &done.report.nodes;
    assert_eq!(nodes.iter().find(|n| n.name == BIG).unwrap().failed_gpus, 1);
}

#[test]
fn unreachable_model_storage_crash_loops_the_storage_initializer_until_it_is_back() {
    // The scale-down at 1 s frees the node; the new pod's download meets the outage.
    let done = run(
        "  duration: 40m\n  faults:\n    - {at: 1m, type: StorageUnavailable, for: 10m}\n  timeline:\n    - {at: 2m, run: \"oc delete pod -n private-ai -l serving.kserve.io/inferenceservice=mistral-3-bf16\"}\n    - {at: 5m, run: \"oc get pods -n private-ai -l serving.kserve.io/inferenceservice=mistral-3-bf16\"}\n",
    );
    let out = &done.result.transcript[1].output;
    assert!(
        out.contains("Init:CrashLoopBackOff") || out.contains("Init:Error"),
        "{out}"
    );
    let store = done.result.engine.store();
    let pod = store
        .pods
        .values()
        .find(|p| p.name.starts_with("mistral-3-bf16"))
        .unwrap();
    assert!(pod.is_ready());
    // Ready only after the storage came back at 11m: download 369 s and the rest.
    assert!(pod.ready_at.unwrap().as_secs_f64() > 660.0 + 369.0);
    assert!(!done.report.faults[0].pods_struck.is_empty());
}

#[test]
fn slow_storage_stretches_the_download() {
    let fast = run("  duration: 30m\n");
    let slow = run("  duration: 30m\n  faults:\n    - {at: 0s, type: StorageSlow, factor: 2, for: 1h}\n");
    let ready = |d: &gpuaas_sim::Completed| {
        bf16_states(d)
            .into_iter()
            .find(|(_, s)| *s == WorkloadState::Ready)
            .map(|(t, _)| t)
            .unwrap()
    };
    // The 48 GB download (369.231 s) takes twice as long.
    let gap = ready(&slow) - ready(&fast);
    assert!((gap - 369.231).abs() < 0.01, "{gap}");
}

#[test]
fn a_failing_registry_holds_a_modelcar_pull_in_image_pull_back_off() {
    let done = run(
        "  duration: 30m\n  faults:\n    - {at: 0s, type: ImagePullFailure, image: modelcar, for: 5m}\n  timeline:\n    - {at: 1m, run: \"oc get pods -n private-ai -l serving.kserve.io/inferenceservice=mistral-3-int4\"}\n",
    );
    let out = &done.result.transcript[0].output;
    assert!(
        out.contains("Init:ImagePullBackOff") || out.contains("Init:ErrImagePull"),
        "{out}"
    );
    let store = done.result.engine.store();
    let pod = store
        .pods
        .values()
        .find(|p| p.name.starts_with("mistral-3-int4"))
        .unwrap();
    assert!(pod.is_ready());
    assert!(pod.ready_at.unwrap().as_secs_f64() > 300.0);
    // BF16 pulls no image matching `modelcar`: it is not held up.
    let f = &done.report.faults[0];
    assert!(
        f.pods_struck.iter().all(|p| p.contains("mistral-3-int4")),
        "{:?}",
        f.pods_struck
    );
}

#[test]
fn random_faults_are_drawn_per_node_and_reproducible() {
    let spec = "  duration: 30d\n  faults:\n    - random: {type: NodeNotReady, mtbf: 100h, for: 2m}\n";
    let a = run(spec);
    let b = run(spec);
    assert!(a.report.faults.len() >= 5, "{}", a.report.faults.len());
    assert!(a
        .report
        .faults
        .iter()
        .all(|f| f.random && f.fault_type == "NodeNotReady"));
    let json = |d: &gpuaas_sim::Completed| serde_json::to_string(&d.report).unwrap();
    assert_eq!(json(&a), json(&b));
}

#[test]
fn recovery_timeout_evicts_a_workload_whose_pods_do_not_come_back() {
    let done = run(&format!(
        "  duration: 40m\n  kueue:\n    waitForPodsReady: {{enable: true, timeout: 20m, recoveryTimeout: 3m}}\n  faults:\n    - {{at: 10m, type: NodeNotReady, node: {BIG}, for: 20m}}\n"
    ));
    // PodsReady False at 650 s (waiting for recovery); evicted 3 minutes later.
    let evicted = times(&done, "EvictedDueToPodsReadyTimeout", "mistral-3-bf16");
    assert_eq!(evicted, vec![830.0]);
    assert_eq!(done.report.faults[0].evictions, 1);
}
