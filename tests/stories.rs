//! Scenario-shaped tests: given these manifests and these commands, at this time this
//! workload is in this state, for this reason.

mod common;
use common::*;
use gpuaas_sim::store::WorkloadState;

fn run(manifests: &str, spec_tail: &str) -> gpuaas_sim::Completed {
    let scenario = format!("apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: story}}\nspec:\n  include: [m.yaml]\n{NODE_POOLS}{spec_tail}");
    let dir = folder(&[("m.yaml", manifests), ("s.yaml", &scenario)]);
    simulate(&dir.path().join("s.yaml"))
}

fn pod(name: &str, gpus: u32, extra_labels: &str, tolerate: bool) -> String {
    let tol = if tolerate {
        "  tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]\n"
    } else {
        ""
    };
    format!(
        "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: private-ai\n  labels: {{{extra_labels}}}\nspec:\n{tol}  containers:\n    - name: main\n      image: busybox\n      resources:\n        limits: {{cpu: \"1\", memory: 1Gi, nvidia.com/gpu: \"{gpus}\"}}\n"
    )
}

fn workload<'a>(done: &'a gpuaas_sim::Completed, owner: &str) -> &'a gpuaas_sim::store::Workload {
    done.result
        .engine
        .store()
        .workloads
        .values()
        .find(|w| w.owner == owner)
        .unwrap_or_else(|| panic!("no workload for {owner}"))
}

fn state(done: &gpuaas_sim::Completed, owner: &str) -> (WorkloadState, Option<String>) {
    let w = workload(done, owner);
    (w.current_state(), w.pending_message.clone())
}

#[test]
fn over_quota_pod_is_pending_with_kueues_message() {
    // Same priority, same instant: creation order decides (Kueue v0.13 leaves such ties to
    // its heap; later releases compare UIDs).
    let m = format!(
        "{CLUSTER}{}{}",
        pod("a-first", 4, "", true),
        pod("b-second", 4, "", true)
    );
    let done = run(&m, "  duration: 5m\n");
    assert_eq!(state(&done, "a-first").0, WorkloadState::Ready);
    let (st, msg) = state(&done, "b-second");
    assert_eq!(st, WorkloadState::Pending);
    assert_eq!(
        msg.as_deref(),
        Some("couldn't assign flavors to pod set main: insufficient quota for nvidia.com/gpu in flavor nvidia-l4-1gpu, previously considered podsets requests (0) + current podset request (4) > maximum capacity (1), insufficient unused quota for nvidia.com/gpu in flavor nvidia-l4-4gpu, 4 more needed")
    );
    let p = done.result.engine.store().pod("private-ai", "b-second").unwrap();
    assert_eq!(p.status(), "SchedulingGated");
}

#[test]
fn pod_without_a_queue_meets_kube_scheduler_not_kueue() {
    // No LocalQueue named default in this namespace and no queue label: not managed.
    let m = format!(
        "{}{}",
        CLUSTER.replace(
            "name: default, namespace: private-ai",
            "name: team, namespace: private-ai"
        ),
        pod("stray", 1, "", false)
    );
    let done = run(&m, "  duration: 2m\n");
    let p = done.result.engine.store().pod("private-ai", "stray").unwrap();
    assert_eq!(p.status(), "Pending");
    assert_eq!(
        p.unschedulable.as_deref(),
        Some("0/2 nodes are available: 2 node(s) had untolerated taint {nvidia.com/gpu: true}. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.")
    );
}

#[test]
fn higher_workload_priority_is_admitted_first() {
    let wpc =
        "---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: WorkloadPriorityClass\nmetadata: {name: high}\nvalue: 1000\n";
    // Both 4-GPU pods wait while `holder` runs; when it goes, the high-priority one wins
    // although it was created later.
    let m = format!(
        "{CLUSTER}{wpc}{}{}{}",
        pod("holder", 4, "", true),
        pod("first-come", 4, "", true),
        pod("important", 4, "kueue.x-k8s.io/priority-class: high", true)
    );
    let done = run(
        &m,
        "  duration: 10m\n  timeline:\n    - {at: 2m, run: \"oc delete pod holder -n private-ai\"}\n",
    );
    assert_eq!(state(&done, "important").0, WorkloadState::Ready);
    assert_eq!(state(&done, "first-come").0, WorkloadState::Pending);
}

#[test]
fn strict_fifo_head_blocks_smaller_workloads() {
    let strict = CLUSTER.replace(
        "namespaceSelector: {}",
        "namespaceSelector: {}\n  queueingStrategy: StrictFIFO",
    );
    let m = format!(
        "{strict}{}{}{}",
        pod("holder", 4, "", true),
        pod("big-next", 4, "", true),
        pod("small", 1, "", true)
    );
    let done = run(&m, "  duration: 5m\n");
    // `small` would fit in the 1-GPU flavor, but the StrictFIFO head (big-next) blocks it.
    assert_eq!(state(&done, "small").0, WorkloadState::Pending);
    let best = run(
        &format!(
            "{CLUSTER}{}{}{}",
            pod("holder", 4, "", true),
            pod("big-next", 4, "", true),
            pod("small", 1, "", true)
        ),
        "  duration: 5m\n",
    );
    assert_eq!(
        state(&best, "small").0,
        WorkloadState::Ready,
        "BestEffortFIFO lets it through"
    );
}

#[test]
fn namespace_selector_rejects_foreign_namespaces() {
    let m = format!(
        "{}{}",
        CLUSTER.replace("namespaceSelector: {}", "namespaceSelector: {matchLabels: {team: ai}}"),
        pod("p", 1, "", true)
    );
    let done = run(&m, "  duration: 2m\n");
    let (st, msg) = state(&done, "p");
    assert_eq!(st, WorkloadState::Pending);
    assert_eq!(
        msg.as_deref(),
        Some("workload namespace doesn't match ClusterQueue selector")
    );
}

fn deployment(strategy: &str) -> String {
    format!(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web, namespace: private-ai}}\nspec:\n  replicas: 1\n  selector: {{matchLabels: {{app: web}}}}\n  strategy: {strategy}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      tolerations: [{{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}}]\n      containers: [{{name: c, image: i, resources: {{limits: {{cpu: \"1\", memory: 1Gi, nvidia.com/gpu: \"1\"}}}}}}]\n"
    )
}

#[test]
fn deployment_metadata_annotation_does_not_roll_but_template_change_does() {
    // Fill the 4-GPU flavor so the only free quota would be the web pod's own.
    let m = format!(
        "{CLUSTER}{}{}",
        pod("filler", 4, "", true),
        deployment("{type: RollingUpdate}")
    );
    let timeline =
        "  duration: 10m\n  timeline:\n    - {at: 2m, run: \"oc annotate deployment web -n private-ai team=ai\"}\n";
    let done = run(&m, timeline);
    assert_eq!(
        done.result.engine.store().replicasets.len(),
        1,
        "metadata annotation must not roll out"
    );
    assert!(done.result.deadlocks.is_empty());

    let restart = "  duration: 10m\n  timeline:\n    - {at: 2m, run: \"oc rollout restart deployment/web -n private-ai\"}\n  expect:\n    - {at: 3m, deadlock: detected}\n";
    let done = run(&m, restart);
    assert_eq!(
        done.result.engine.store().replicasets.len(),
        2,
        "template change rolls out"
    );
    assert!(
        done.all_expectations_hold(),
        "{:?}",
        done.outcomes.iter().map(|o| &o.detail).collect::<Vec<_>>()
    );
}

#[test]
fn max_surge_zero_rolls_through_full_quota() {
    let m = format!(
        "{CLUSTER}{}{}",
        pod("filler", 4, "", true),
        deployment("{type: RollingUpdate, rollingUpdate: {maxSurge: 0, maxUnavailable: 1}}")
    );
    let restart = "  duration: 10m\n  timeline:\n    - {at: 2m, run: \"oc rollout restart deployment/web -n private-ai\"}\n  expect:\n    - {at: end, deadlock: none}\n";
    let done = run(&m, restart);
    assert!(done.all_expectations_hold());
    let ready_new = done
        .result
        .engine
        .store()
        .pods
        .values()
        .filter(|p| p.is_ready() && p.name.starts_with("web-"))
        .count();
    assert_eq!(ready_new, 1);
    assert!(done
        .result
        .engine
        .store()
        .workloads
        .values()
        .filter(|w| w.owner == "web")
        .all(|w| !w.is_pending()));
}

#[test]
fn refused_commands_answer_like_the_api_server() {
    let m = CLUSTER.to_string();
    let done = run(
        &m,
        "  duration: 2m\n  timeline:\n    - {at: 1m, run: \"oc get pods -n private-ai\"}\n    - {at: 1m, run: \"oc scale deployment nope -n private-ai --replicas=1\"}\n    - {at: 1m, run: \"oc get clusterqueue\"}\n",
    );
    let t = &done.result.transcript;
    assert_eq!(t[0].output, "No resources found in private-ai namespace.");
    assert_eq!(
        t[1].output,
        "Error from server (NotFound): deployments.apps \"nope\" not found"
    );
    assert_eq!(
        t[2].output,
        "NAME               COHORT   PENDING WORKLOADS\nrhoai-main-queue            0"
    );
}

/// The seed's manual fix for a deadlocked rollout: force-delete the gated pod (its
/// ReplicaSet recreates it, gated again) and scale the stale ReplicaSet to zero; the old
/// pod's quota returns after its grace period and the new pod is admitted.
#[test]
fn seed_manual_fix_recovers_a_deadlocked_rollout() {
    let base = repo().join("scenarios/gpuaas-demo");
    let scenario = |extra: &str| {
        format!(
            "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: manual-fix}}\nspec:\n  duration: 30m\n  seed: 5\n  include: [{}/manifests/]\n  timeline:\n    - {{at: 8m, run: \"oc apply -f {}/variants/mistral-3-int4-rollingupdate.yaml\"}}\n    - {{at: 10m, run: \"oc annotate isvc mistral-3-int4 -n private-ai example.com/touched=yes\"}}\n{extra}",
            base.display(),
            base.display()
        )
    };
    let dir = folder(&[("s.yaml", &scenario(""))]);
    let first = simulate(&dir.path().join("s.yaml"));
    assert_eq!(first.result.deadlocks.len(), 1);
    let w = first.result.engine.store();
    let dep = w.deployment("private-ai", "mistral-3-int4-predictor").unwrap();
    let old_rs = w
        .replicasets_of(dep.uid)
        .into_iter()
        .find(|r| r.template_hash != dep.template_hash)
        .unwrap()
        .name
        .clone();
    let gated = first.result.deadlocks[0]
        .found
        .pods
        .iter()
        .find(|p| !p.contains(&old_rs))
        .unwrap()
        .split('/')
        .nth(1)
        .unwrap()
        .to_string();

    let fix = format!(
        "    - {{at: 12m, run: \"oc delete pod {gated} -n private-ai --force --grace-period=0\"}}\n    - {{at: 12m, run: \"oc scale rs/{old_rs} -n private-ai --replicas=0\"}}\n  expect:\n    - {{at: 11m, deadlock: detected}}\n    - {{at: 13m, deadlock: none}}\n    - {{at: 20m, workload: mistral-3-int4, state: Ready}}\n    - {{metric: cluster_queues.rhoai-main-queue.pending_workloads, equals: 0}}\n"
    );
    let dir = folder(&[("s.yaml", &scenario(&fix))]);
    let done = simulate(&dir.path().join("s.yaml"));
    for o in &done.outcomes {
        assert!(o.passed, "{} — {}", o.expectation.text, o.detail);
    }
    let t = &done.result.transcript;
    assert!(
        t[2].output.contains(&format!("pod \"{gated}\" deleted")),
        "{}",
        t[2].output
    );
    assert_eq!(t[3].output, format!("replicaset.apps/{old_rs} scaled"));
}

#[test]
fn patching_min_replicas_scales_the_predictor() {
    let base = repo().join("scenarios/gpuaas-demo");
    let s = format!(
        "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: p}}\nspec:\n  duration: 20m\n  include: [{}/manifests/]\n  timeline:\n    - {{at: 1m, run: \"oc patch inferenceservice granite-8b-agent -n private-ai --type merge -p '{{\\\"spec\\\":{{\\\"predictor\\\":{{\\\"minReplicas\\\":1}}}}}}'\"}}\n  expect:\n    - {{at: 59s, workload: granite-8b-agent, state: Absent}}\n    - {{by: 2m, workload: granite-8b-agent, state: Pending}}\n",
        base.display()
    );
    let dir = folder(&[("s.yaml", &s)]);
    let done = simulate(&dir.path().join("s.yaml"));
    for o in &done.outcomes {
        assert!(o.passed, "{} — {}", o.expectation.text, o.detail);
    }
    assert_eq!(
        done.result
            .engine
            .store()
            .deployment("private-ai", "granite-8b-agent-predictor")
            .unwrap()
            .spec
            .replicas,
        1
    );
}

/// A 24B model in BF16 asks for 4 GPUs but forgets --tensor-parallel-size: vLLM loads it
/// on one L4, runs out of memory, and the pod crash-loops with the kubelet's back-off.
#[test]
fn a_model_that_does_not_fit_crash_loops_with_vllms_error() {
    let base = repo().join("scenarios/gpuaas-demo");
    let isvc = "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: devstral-2, namespace: private-ai}\nspec:\n  predictor:\n    minReplicas: 1\n    deploymentStrategy: {type: Recreate}\n    tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]\n    model:\n      modelFormat: {name: vLLM}\n      runtime: vllm-runtime\n      storage: {key: minio-connection, path: devstral-small-2507/}\n      args: [--max-model-len=16384]\n      resources:\n        limits: {cpu: \"8\", memory: 48Gi, nvidia.com/gpu: \"4\"}\n";
    let s = format!(
        "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: oom}}\nspec:\n  duration: 30m\n  include: [{}/manifests/]\n  timeline:\n    - {{at: 1m, run: \"oc scale deployment mistral-3-bf16-predictor -n private-ai --replicas=0\"}}\n    - {{at: 2m, run: \"oc apply -f devstral.yaml\"}}\n    - {{at: 20m, run: \"oc get pods -n private-ai -l serving.kserve.io/inferenceservice=devstral-2\"}}\n  expect:\n    - {{by: 3m, workload: devstral-2, state: Admitted}}\n    - {{at: end, workload: devstral-2, state: Admitted}}\n",
        base.display()
    );
    let dir = folder(&[("s.yaml", &s), ("devstral.yaml", isvc)]);
    let done = simulate(&dir.path().join("s.yaml"));
    assert!(
        done.all_expectations_hold(),
        "{:?}",
        done.outcomes.iter().map(|o| &o.detail).collect::<Vec<_>>()
    );
    let pod = done
        .result
        .engine
        .store()
        .pods
        .values()
        .find(|p| p.name.starts_with("devstral-2-"))
        .unwrap();
    assert!(pod.crash.restarts >= 3, "restarts: {}", pod.crash.restarts);
    assert!(pod
        .crash
        .failure
        .as_ref()
        .unwrap()
        .message
        .starts_with("torch.OutOfMemoryError: CUDA out of memory."));
    let listing = &done.result.transcript[2].output;
    assert!(
        listing.contains("CrashLoopBackOff") || listing.contains("Running"),
        "{listing}"
    );
    let restarts_shown: u32 = listing
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .nth(3)
        .unwrap()
        .parse()
        .unwrap();
    assert!(restarts_shown >= 3, "{listing}");
}

fn run_with(files: &[(&str, &str)], spec_tail: &str) -> gpuaas_sim::Completed {
    let scenario = format!("apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: story}}\nspec:\n  include: [m.yaml]\n{NODE_POOLS}{spec_tail}");
    let mut all = files.to_vec();
    all.push(("s.yaml", &scenario));
    let dir = folder(&all);
    simulate(&dir.path().join("s.yaml"))
}

fn events<'a>(done: &'a gpuaas_sim::Completed, kind: &str) -> Vec<&'a gpuaas_sim::store::LogEvent> {
    done.result
        .engine
        .store()
        .events
        .iter()
        .filter(|e| e.kind == kind)
        .collect()
}

#[test]
fn a_higher_priority_pod_preempts_within_the_cluster_queue() {
    let cluster = CLUSTER.replace(
        "  namespaceSelector: {}\n",
        "  namespaceSelector: {}\n  preemption: {withinClusterQueue: LowerPriority}\n",
    );
    let wpc =
        "---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: WorkloadPriorityClass\nmetadata: {name: high}\nvalue: 1000\n";
    let m = format!("{cluster}{wpc}{}", pod("batch", 4, "", true));
    let urgent = pod("urgent", 4, "kueue.x-k8s.io/priority-class: high", true);
    let done = run_with(
        &[("m.yaml", &m), ("urgent.yaml", &urgent)],
        "  duration: 10m\n  timeline:\n    - {at: 2m, run: \"oc apply -f urgent.yaml\"}\n",
    );
    assert_eq!(state(&done, "urgent").0, WorkloadState::Ready);
    assert_eq!(state(&done, "batch").0, WorkloadState::Evicted);
    let preempted = events(&done, "Preempted");
    assert_eq!(preempted.len(), 1, "{preempted:?}");
    assert!(preempted[0].object.ends_with("/pod-batch") || preempted[0].object.contains("batch"));
    assert!(
        preempted[0]
            .message
            .contains("due to prioritization in the ClusterQueue; preemptor path: /")
            && preempted[0].message.ends_with(" (InClusterQueue)"),
        "{}",
        preempted[0].message
    );
    // The quota came back only when the preempted pod was gone (30 s grace period).
    let admitted = workload(&done, "urgent");
    assert_eq!(admitted.admitted_at.unwrap().as_secs_f64(), 150.0);
}

/// A preempted model's Workload says it was evicted, and why, wherever it is read: its
/// pod stopping, `oc get workloads -o jsonpath` shows Kueue's `Evicted` condition; once
/// the pod is gone the Workload's state stays Evicted, with Kueue's reason, in the run
/// and in report.json (Finished is for pods that ended on their own or were deleted).
#[test]
fn a_preempted_workload_stays_evicted_with_kueues_reason() {
    let cluster = CLUSTER.replace(
        "  namespaceSelector: {}\n",
        "  namespaceSelector: {}\n  preemption: {withinClusterQueue: LowerPriority}\n",
    );
    let wpc =
        "---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: WorkloadPriorityClass\nmetadata: {name: high}\nvalue: 1000\n";
    let m = format!("{cluster}{wpc}{}", pod("batch", 4, "", true));
    let urgent = pod("urgent", 4, "kueue.x-k8s.io/priority-class: high", true);
    let look = r#"oc get workloads -n private-ai -o jsonpath='{range .items[*]}{.spec.podSets[0].template.spec.containers[0].name}/{.metadata.name}: {.status.conditions[?(@.type=="Evicted")].reason}{"\n"}{end}'"#;
    let timeline = format!(
        "  duration: 10m\n  timeline:\n    - {{at: 2m, run: \"oc apply -f urgent.yaml\"}}\n    - {{at: 2m10s, run: '{}'}}\n    - {{at: 3m, run: \"oc get pods,workloads -n private-ai -o name\"}}\n",
        look.replace('\'', "''")
    );
    let done = run_with(&[("m.yaml", &m), ("urgent.yaml", &urgent)], &timeline);
    let batch = workload(&done, "batch");
    assert_eq!(batch.current_state(), WorkloadState::Evicted);
    assert!(batch.finished_at.is_some(), "its pod is gone");
    let t = &done.result.transcript;
    let evicted: Vec<&str> = t[1].output.lines().collect();
    assert_eq!(evicted.len(), 2, "{}", t[1].output);
    assert!(
        evicted
            .iter()
            .any(|l| l.contains("pod-batch-") && l.ends_with(": Preempted")),
        "{}",
        t[1].output
    );
    assert!(
        evicted.iter().any(|l| l.contains("pod-urgent-") && l.ends_with(": ")),
        "{}",
        t[1].output
    );
    // A minute later the preempted pod and its Workload are gone.
    assert!(!t[2].output.contains("batch"), "{}", t[2].output);
    assert!(
        t[2].output
            .lines()
            .any(|l| l.starts_with("workload.kueue.x-k8s.io/pod-urgent-")),
        "{}",
        t[2].output
    );
    let record = done
        .report
        .workloads
        .iter()
        .find(|w| w.owner == "batch")
        .expect("batch's record");
    assert_eq!(
        (record.state.as_str(), record.reason.as_deref()),
        ("Evicted", Some("Preempted"))
    );
    assert!(record.finished_s.is_some());
}

/// Two teams in one cohort with 4 GPUs each; team A borrows team B's idle GPUs, and B
/// reclaims them when it needs them.
fn cohort_cluster(reclaim: &str) -> String {
    let cq = |name: &str, extra: &str| {
        format!(
            "---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: ClusterQueue\nmetadata: {{name: {name}}}\nspec:\n  cohort: gpus\n  namespaceSelector: {{}}\n{extra}  resourceGroups:\n    - coveredResources: [cpu, memory, nvidia.com/gpu]\n      flavors:\n        - name: nvidia-l4-4gpu\n          resources:\n            - {{name: cpu, nominalQuota: 24}}\n            - {{name: memory, nominalQuota: 96Gi}}\n            - {{name: nvidia.com/gpu, nominalQuota: 4}}\n"
        )
    };
    let flavor = "apiVersion: kueue.x-k8s.io/v1beta1\nkind: ResourceFlavor\nmetadata: {name: nvidia-l4-4gpu}\nspec:\n  nodeLabels: {node.kubernetes.io/instance-type: g6.12xlarge}\n  tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]\n";
    let lq = |ns: &str, cq: &str| {
        format!("---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: LocalQueue\nmetadata: {{name: default, namespace: {ns}}}\nspec: {{clusterQueue: {cq}}}\n")
    };
    format!(
        "{flavor}{}{}{}{}",
        cq("team-a", ""),
        cq("team-b", &format!("  preemption: {{reclaimWithinCohort: {reclaim}}}\n")),
        lq("team-a", "team-a"),
        lq("team-b", "team-b")
    )
}

fn team_pod(ns: &str, name: &str, gpus: u32) -> String {
    pod(name, gpus, "", true).replace("namespace: private-ai", &format!("namespace: {ns}"))
}

#[test]
fn a_team_borrows_idle_gpus_and_the_lender_reclaims_them() {
    let m = format!("{}{}", cohort_cluster("Any"), team_pod("team-a", "a-own", 4));
    let a2 = team_pod("team-a", "a-borrowed", 4);
    let b = team_pod("team-b", "b-needs-its-gpus", 4);
    let nodes = "  nodePools:\n    - {name: gpu-4x, instanceType: g6.12xlarge, count: 3, taints: [{key: nvidia.com/gpu, value: \"true\", effect: NoSchedule}]}\n";
    let scenario = format!("apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: story}}\nspec:\n  include: [m.yaml]\n{nodes}  duration: 10m\n  timeline:\n    - {{at: 1m, run: \"oc apply -f a2.yaml\"}}\n    - {{at: 3m, run: \"oc apply -f b.yaml\"}}\n    - {{at: 2m30s, run: \"oc describe clusterqueue team-a\"}}\n");
    let dir = folder(&[("m.yaml", &m), ("a2.yaml", &a2), ("b.yaml", &b), ("s.yaml", &scenario)]);
    let done = simulate(&dir.path().join("s.yaml"));
    // Team A ran 8 GPUs on a 4-GPU quota: 4 borrowed.
    let describe = done
        .result
        .transcript
        .iter()
        .find(|o| o.command.contains("describe clusterqueue"))
        .map(|o| o.output.clone())
        .unwrap_or_default();
    assert!(describe.contains("Borrowed:  4"), "{describe}");
    let team_a = done.report.cluster_queues.iter().find(|c| c.name == "team-a").unwrap();
    let borrowed_over_time: Vec<f64> = team_a
        .usage_over_time
        .iter()
        .map(|s| {
            s.borrowed
                .get("nvidia-l4-4gpu")
                .and_then(|b| b.get("nvidia.com/gpu"))
                .map_or(0.0, |a| a.0)
        })
        .collect();
    assert!(borrowed_over_time.contains(&4.0), "{borrowed_over_time:?}");
    assert_eq!(borrowed_over_time.last(), Some(&0.0), "reclaimed by the end");
    assert_eq!(state(&done, "b-needs-its-gpus").0, WorkloadState::Ready);
    let preempted = events(&done, "Preempted");
    assert_eq!(preempted.len(), 1, "{preempted:?}");
    assert!(
        preempted[0]
            .message
            .contains("due to reclamation within the cohort; preemptor path: /")
            && preempted[0].message.ends_with(" (InCohortReclamation)"),
        "{}",
        preempted[0].message
    );
    // Kueue picks the most recently admitted of equal priority: the one that borrowed.
    assert_eq!(state(&done, "a-borrowed").0, WorkloadState::Evicted);
    assert_eq!(state(&done, "a-own").0, WorkloadState::Ready);
}

#[test]
fn without_a_reclaim_policy_the_lender_waits() {
    let m = format!(
        "{}{}{}",
        cohort_cluster("Never"),
        team_pod("team-a", "a-own", 4),
        team_pod("team-a", "a-borrowed", 4)
    );
    let b = team_pod("team-b", "b-needs-its-gpus", 4);
    let nodes = "  nodePools:\n    - {name: gpu-4x, instanceType: g6.12xlarge, count: 3, taints: [{key: nvidia.com/gpu, value: \"true\", effect: NoSchedule}]}\n";
    let scenario = format!("apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: story}}\nspec:\n  include: [m.yaml]\n{nodes}  duration: 10m\n  timeline:\n    - {{at: 3m, run: \"oc apply -f b.yaml\"}}\n");
    let dir = folder(&[("m.yaml", &m), ("b.yaml", &b), ("s.yaml", &scenario)]);
    let done = simulate(&dir.path().join("s.yaml"));
    let (st, msg) = state(&done, "b-needs-its-gpus");
    assert_eq!(st, WorkloadState::Pending);
    assert_eq!(
        msg.as_deref(),
        Some("couldn't assign flavors to pod set main: insufficient unused quota for nvidia.com/gpu in flavor nvidia-l4-4gpu, 4 more needed")
    );
    assert!(events(&done, "Preempted").is_empty());
}

#[test]
fn a_preemptor_waiting_for_its_victim_stays_at_the_head_of_its_queue() {
    let cluster = CLUSTER.replace(
        "  namespaceSelector: {}\n",
        "  namespaceSelector: {}\n  preemption: {withinClusterQueue: LowerPriority}\n",
    );
    let wpc =
        "---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: WorkloadPriorityClass\nmetadata: {name: high}\nvalue: 1000\n";
    let m = format!("{cluster}{wpc}{}", pod("batch", 3, "", true));
    let pinned = |p: String| {
        p.replace(
            "  containers:",
            "  nodeSelector: {node.kubernetes.io/instance-type: g6.12xlarge}\n  containers:",
        )
    };
    let later = format!(
        "{}{}",
        pod("urgent", 4, "kueue.x-k8s.io/priority-class: high", true),
        pinned(pod("small", 1, "", true))
    );
    let done = run_with(
        &[("m.yaml", &m), ("later.yaml", &later)],
        "  duration: 10m\n  timeline:\n    - {at: 2m, run: \"oc apply -f later.yaml\"}\n",
    );
    // While `batch` terminates, its GPU left free would fit `small`, but `urgent` keeps
    // the head of the queue (Kueue requeues a preemptor at once), so `small` never
    // slips in to be preempted in turn.
    assert_eq!(state(&done, "urgent").0, WorkloadState::Ready);
    assert_eq!(state(&done, "batch").0, WorkloadState::Evicted);
    let (st, msg) = state(&done, "small");
    assert_eq!(st, WorkloadState::Pending, "{msg:?}");
    assert_eq!(events(&done, "Preempted").len(), 1);
    let urgent = workload(&done, "urgent");
    assert_eq!(urgent.admitted_at.unwrap().as_secs_f64(), 150.0);
}

#[test]
fn raising_a_pending_workloads_priority_from_the_timeline_lets_it_preempt() {
    let cluster = CLUSTER.replace(
        "  namespaceSelector: {}\n",
        "  namespaceSelector: {}\n  preemption: {withinClusterQueue: LowerPriority}\n",
    );
    let wpc =
        "---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: WorkloadPriorityClass\nmetadata: {name: high}\nvalue: 1000\n";
    let m = format!(
        "{cluster}{wpc}{}{}",
        pod("a-holder", 4, "", true),
        pod("b-waiting", 4, "", true)
    );
    let done = run(
        &m,
        "  duration: 10m\n  timeline:\n    - {at: 2m, run: \"oc label pod b-waiting -n private-ai kueue.x-k8s.io/priority-class=high\"}\n",
    );
    let changed = events(&done, "Normal")
        .into_iter()
        .filter(|e| e.message == "Priority changed from 0 to 1000")
        .count();
    assert_eq!(changed, 1);
    assert_eq!(events(&done, "Preempted").len(), 1);
    assert_eq!(state(&done, "b-waiting").0, WorkloadState::Ready);
    assert_eq!(state(&done, "a-holder").0, WorkloadState::Evicted);
    let w = workload(&done, "b-waiting");
    assert_eq!((w.priority, w.admitted_at.unwrap().as_secs_f64()), (1000, 150.0));
}

/// After Kueue's `TestSchedule` cases "cannot borrow if cohort was assigned and would
/// result in overadmission" and "can borrow if cohort was assigned and will not result in
/// overadmission": ClusterQueues eng-alpha and eng-beta (50 cpu each) in one cohort; a
/// workload in each, nominated in the same cycle.
#[test]
fn borrowing_is_rechecked_after_earlier_admissions_of_the_cycle() {
    let cq = |name: &str| {
        format!("---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: ClusterQueue\nmetadata: {{name: {name}}}\nspec:\n  cohort: eng\n  namespaceSelector: {{}}\n  resourceGroups:\n    - coveredResources: [cpu]\n      flavors:\n        - name: on-demand\n          resources:\n            - {{name: cpu, nominalQuota: 50}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}}}\n---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: LocalQueue\nmetadata: {{name: default, namespace: {name}}}\nspec: {{clusterQueue: {name}}}\n")
    };
    let job = |ns: &str, name: &str, cpu: u32| {
        format!("---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  containers:\n    - name: main\n      image: busybox\n      resources:\n        requests: {{cpu: \"{cpu}\"}}\n")
    };
    let flavor = "apiVersion: kueue.x-k8s.io/v1beta1\nkind: ResourceFlavor\nmetadata: {name: on-demand}\n";
    // (Kueue case, beta's cpu, beta admitted?)
    for (case, beta_cpu, admitted) in [
        (
            "cannot borrow if cohort was assigned and would result in overadmission",
            56,
            false,
        ),
        (
            "can borrow if cohort was assigned and will not result in overadmission",
            55,
            true,
        ),
    ] {
        let m = format!(
            "{flavor}{}{}{}{}",
            cq("eng-alpha"),
            cq("eng-beta"),
            job("eng-alpha", "alpha", 45),
            job("eng-beta", "beta", beta_cpu)
        );
        let done = run(&m, "  duration: 1m\n");
        let beta = workload(&done, "beta");
        let alpha = workload(&done, "alpha");
        assert!(alpha.admission.is_some(), "{case}: alpha admitted");
        assert_eq!(beta.admission.is_some(), admitted, "{case}: {:?}", beta.pending_message);
        if !admitted {
            assert_eq!(
                beta.pending_message.as_deref(),
                Some("couldn't assign flavors to pod set main: insufficient unused quota for cpu in flavor on-demand, 1 more needed"),
                "{case}"
            );
        }
    }
}

/// After Kueue's `TestSchedule` case "with fair sharing: schedule workload with lowest
/// share first": eng-alpha and eng-beta (50 cpu each) and eng-shared (10 cpu, no
/// borrowing) in cohort eng; alpha runs at its nominal quota, beta borrows 5. When room
/// opens, beta's older 1-cpu workload and alpha's newer 5-cpu one compete: under fair
/// sharing alpha's share with its workload (5 of 110 lendable) is below beta's (6 of
/// 110), so alpha's goes first and fills the cohort; without it FIFO admits beta's.
#[test]
fn fair_sharing_admits_the_lowest_share_first() {
    let cq = |name: &str, nominal: u32, borrowing: &str| {
        format!("---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: ClusterQueue\nmetadata: {{name: {name}}}\nspec:\n  cohort: eng\n  namespaceSelector: {{}}\n  resourceGroups:\n    - coveredResources: [cpu]\n      flavors:\n        - name: on-demand\n          resources:\n            - {{name: cpu, nominalQuota: {nominal}{borrowing}}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}}}\n---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: LocalQueue\nmetadata: {{name: default, namespace: {name}}}\nspec: {{clusterQueue: {name}}}\n")
    };
    let job = |ns: &str, name: &str, cpu: u32| {
        format!("---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  containers:\n    - name: main\n      image: busybox\n      resources:\n        requests: {{cpu: \"{cpu}\"}}\n")
    };
    let flavor = "apiVersion: kueue.x-k8s.io/v1beta1\nkind: ResourceFlavor\nmetadata: {name: on-demand}\n";
    let m = format!(
        "{flavor}{}{}{}{}{}{}",
        cq("eng-alpha", 50, ""),
        cq("eng-beta", 50, ""),
        cq("eng-shared", 10, ", borrowingLimit: 0"),
        job("eng-alpha", "all-nominal", 50),
        job("eng-beta", "borrowing", 55),
        job("eng-shared", "blocker", 5)
    );
    for (fair, admitted, left) in [(true, "new", "older-new"), (false, "older-new", "new")] {
        let config = if fair {
            "  kueue: {fairSharing: {enable: true}}\n"
        } else {
            ""
        };
        let scenario = format!("apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: story}}\nspec:\n  include: [m.yaml]\n{config}  duration: 5m\n  timeline:\n    - {{at: 1m, run: \"oc apply -f older.yaml\"}}\n    - {{at: 2m, run: \"oc apply -f new.yaml\"}}\n    - {{at: 3m, run: \"oc delete pod blocker -n eng-shared\"}}\n");
        let dir = folder(&[
            ("m.yaml", &m),
            ("older.yaml", &job("eng-beta", "older-new", 1)),
            ("new.yaml", &job("eng-alpha", "new", 5)),
            ("s.yaml", &scenario),
        ]);
        let done = simulate(&dir.path().join("s.yaml"));
        let winner = workload(&done, admitted);
        assert_eq!(
            winner.admitted_at.map(|t| t.as_secs_f64()),
            Some(180.0),
            "fair sharing {fair}: {admitted} admitted when the blocker goes"
        );
        assert!(
            workload(&done, left).admission.is_none(),
            "fair sharing {fair}: {left} left pending"
        );
    }
}

/// After Kueue's `TestSchedule` case "multiple preemptions without borrowing":
/// other-alpha and other-beta (2 cpu each, `withinClusterQueue: LowerPriority`) in one
/// cohort, each full with a priority-0 workload; a priority-100 preemptor arrives in each.
/// Both preempt in the same cycle: the second fits once the first's target is counted out.
#[test]
fn two_preemptors_in_one_cohort_preempt_in_the_same_cycle() {
    let cq = |name: &str| {
        format!("---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: ClusterQueue\nmetadata: {{name: {name}}}\nspec:\n  cohort: other\n  namespaceSelector: {{}}\n  preemption: {{withinClusterQueue: LowerPriority}}\n  resourceGroups:\n    - coveredResources: [cpu]\n      flavors:\n        - name: default\n          resources:\n            - {{name: cpu, nominalQuota: 2}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}}}\n---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: LocalQueue\nmetadata: {{name: default, namespace: {name}}}\nspec: {{clusterQueue: {name}}}\n")
    };
    let job = |ns: &str, name: &str, class: &str| {
        format!("---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}, labels: {{kueue.x-k8s.io/priority-class: {class}}}}}\nspec:\n  containers:\n    - name: main\n      image: busybox\n      resources:\n        requests: {{cpu: \"2\"}}\n")
    };
    let classes = "apiVersion: kueue.x-k8s.io/v1beta1\nkind: ResourceFlavor\nmetadata: {name: default}\n---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: WorkloadPriorityClass\nmetadata: {name: zero}\nvalue: 0\n---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: WorkloadPriorityClass\nmetadata: {name: hundred}\nvalue: 100\n";
    let m = format!(
        "{classes}{}{}{}{}",
        cq("other-alpha"),
        cq("other-beta"),
        job("other-alpha", "a1", "zero"),
        job("other-beta", "b1", "zero")
    );
    let preemptors = format!(
        "{}{}",
        job("other-alpha", "preemptor-a", "hundred"),
        job("other-beta", "preemptor-b", "hundred")
    );
    // Running pods take their 30 s grace period to go, so a preemption in a later cycle
    // would show later.
    let scenario = "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {name: story}\nspec:\n  include: [m.yaml]\n  nodePools: [{name: cpu, instanceType: g6.4xlarge, count: 2}]\n  duration: 5m\n  timeline:\n    - {at: 1m, run: \"oc apply -f p.yaml\"}\n";
    let dir = folder(&[("m.yaml", &m), ("p.yaml", &preemptors), ("s.yaml", scenario)]);
    let done = simulate(&dir.path().join("s.yaml"));
    let preempted: Vec<(f64, &str)> = events(&done, "Preempted")
        .iter()
        .map(|e| (e.t.as_secs_f64(), e.object.as_str()))
        .collect();
    assert_eq!(preempted.len(), 2, "{preempted:?}");
    assert!(preempted.iter().all(|(t, _)| *t == 60.0), "{preempted:?}");
    for p in ["preemptor-a", "preemptor-b"] {
        assert_eq!(
            workload(&done, p).admitted_at.map(|t| t.as_secs_f64()),
            Some(90.0),
            "{p}"
        );
    }
}

/// A training Job (2 pods × 2 GPUs, 20 minutes) under Kueue is preempted by a
/// higher-priority serving pod, waits suspended, and runs again once the GPUs are free:
/// from the beginning, or from its last checkpoint when it declares an interval.
#[test]
fn a_preempted_training_job_restarts_from_the_beginning_or_its_checkpoint() {
    let cluster = CLUSTER.replace(
        "  namespaceSelector: {}\n",
        "  namespaceSelector: {}\n  preemption: {withinClusterQueue: LowerPriority}\n",
    );
    let wpc = "---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: WorkloadPriorityClass\nmetadata: {name: serving}\nvalue: 1000\n";
    let job = |annotations: &str| {
        format!("---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: train\n  namespace: private-ai\n  annotations: {{gpuaas-sim.io/run-time: 20m{annotations}}}\nspec:\n  parallelism: 2\n  completions: 2\n  template:\n    spec:\n      restartPolicy: Never\n      tolerations: [{{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}}]\n      containers:\n        - name: trainer\n          image: busybox\n          resources:\n            limits: {{cpu: \"1\", memory: 1Gi, nvidia.com/gpu: \"2\"}}\n")
    };
    let serve = pod("serve", 4, "kueue.x-k8s.io/priority-class: serving", true);
    for (annotations, saved_min) in [("", 0.0), (", gpuaas-sim.io/checkpoint-interval: 1m", 4.0)] {
        let m = format!("{cluster}{wpc}{}", job(annotations));
        let scenario = format!("apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: story}}\nspec:\n  include: [m.yaml]\n{NODE_POOLS}  duration: 1h\n  timeline:\n    - {{at: 5m, run: \"oc apply -f serve.yaml\"}}\n    - {{at: 10m, run: \"oc get jobs -n private-ai\"}}\n    - {{at: 15m, run: \"oc delete pod serve -n private-ai\"}}\n");
        let dir = folder(&[("m.yaml", &m), ("serve.yaml", &serve), ("s.yaml", &scenario)]);
        let done = simulate(&dir.path().join("s.yaml"));
        let at = |kind: &str, object: &str| -> Vec<f64> {
            events(&done, kind)
                .iter()
                .filter(|e| e.object.contains(object))
                .map(|e| e.t.as_secs_f64() / 60.0)
                .collect()
        };
        assert_eq!(at("Preempted", "job-train"), vec![5.0], "{annotations}");
        assert_eq!(at("Stopped", "Job private-ai/train"), vec![5.0], "{annotations}");
        // The serving pod's quota returns when it is gone, after its 30 s grace period.
        assert_eq!(at("Started", "Job private-ai/train"), vec![0.0, 15.5], "{annotations}");
        // The serving pod waits for the trainers' 30 s grace period, then starts.
        assert_eq!(
            workload(&done, "serve").admitted_at.map(|t| t.as_secs_f64()),
            Some(300.0)
        );
        let ready = at("Ready", "Pod private-ai/train-");
        let restarted = ready.iter().copied().filter(|t| *t >= 15.5).fold(0.0, f64::max);
        let completed = at("Completed", "Job private-ai/train");
        assert_eq!(completed.len(), 1, "{annotations}: {completed:?}");
        let ran = completed[0] - restarted;
        assert!(
            (ran - (20.0 - saved_min)).abs() < 1e-6,
            "{annotations}: ran {ran} min after restarting, expected {}",
            20.0 - saved_min
        );
        assert_eq!(workload(&done, "train").current_state(), WorkloadState::Finished);
        let jobs = &done
            .result
            .transcript
            .iter()
            .find(|o| o.command.contains("get jobs"))
            .unwrap()
            .output;
        assert!(
            jobs.contains("train   Suspended   0/2           10m        10m"),
            "{jobs}"
        );
    }
}

fn group_pod(name: &str, group: &str, total: u32, gpus: u32) -> String {
    pod(name, gpus, &format!("kueue.x-k8s.io/pod-group-name: {group}"), true).replace(
        "  namespace: private-ai\n",
        &format!("  namespace: private-ai\n  annotations: {{kueue.x-k8s.io/pod-group-total-count: \"{total}\"}}\n"),
    )
}

/// A Kueue pod group is one Workload, created once all its pods exist and admitted all
/// or nothing: two 2-GPU pods share the 4-GPU flavor; two 3-GPU pods never start, though
/// either alone would fit.
#[test]
fn a_pod_group_is_admitted_all_or_nothing() {
    let m = format!(
        "{CLUSTER}{}{}{}",
        group_pod("pair-0", "pair", 2, 2),
        group_pod("big-0", "big", 2, 3),
        group_pod("big-1", "big", 2, 3)
    );
    let scenario = format!("apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: story}}\nspec:\n  include: [m.yaml]\n{NODE_POOLS}  duration: 5m\n  timeline:\n    - {{at: 30s, run: \"oc get workloads -n private-ai\"}}\n    - {{at: 1m, run: \"oc apply -f pair-1.yaml\"}}\n    - {{at: 4m, run: \"oc get pods -n private-ai\"}}\n");
    let dir = folder(&[
        ("m.yaml", &m),
        ("pair-1.yaml", &group_pod("pair-1", "pair", 2, 2)),
        ("s.yaml", &scenario),
    ]);
    let done = simulate(&dir.path().join("s.yaml"));
    let output = |cmd: &str| {
        done.result
            .transcript
            .iter()
            .find(|o| o.command.contains(cmd))
            .map(|o| o.output.clone())
            .unwrap()
    };
    // Half a group has no Workload yet.
    let before = output("get workloads");
    assert!(!before.contains("pair"), "{before}");
    let pair = workload(&done, "pair");
    assert_eq!(pair.name, "pair");
    assert_eq!(pair.admitted_at.map(|t| t.as_secs_f64()), Some(60.0));
    assert_eq!(pair.requests.get("nvidia.com/gpu").value_ceil(), 4);
    assert_eq!(pair.current_state(), WorkloadState::Ready);
    let big = workload(&done, "big");
    assert!(big.admission.is_none());
    assert!(
        big.pending_message.as_deref().is_some_and(|m| m.contains(
            "previously considered podsets requests (0) + current podset request (6) > maximum capacity (4)"
        )),
        "{:?}",
        big.pending_message
    );
    let pods = output("get pods");
    for p in ["big-0", "big-1"] {
        assert!(
            pods.lines().any(|l| l.starts_with(p) && l.contains("SchedulingGated")),
            "{pods}"
        );
    }
    for p in ["pair-0", "pair-1"] {
        assert!(
            pods.lines().any(|l| l.starts_with(p) && l.contains("Running")),
            "{pods}"
        );
    }
}

fn leader_worker_set(replicas: u32) -> String {
    format!("---\napiVersion: leaderworkerset.x-k8s.io/v1\nkind: LeaderWorkerSet\nmetadata: {{name: llm, namespace: private-ai}}\nspec:\n  replicas: {replicas}\n  leaderWorkerTemplate:\n    size: 2\n    workerTemplate:\n      spec:\n        tolerations: [{{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}}]\n        containers:\n          - name: vllm\n            image: quay.io/example/vllm:latest\n            resources:\n              limits: {{cpu: \"1\", memory: 1Gi, nvidia.com/gpu: \"1\"}}\n")
}

/// Kueue's LeaderWorkerSet integration: each group (a leader and its worker) is one
/// Workload admitted all or nothing. A third group does not fit the 4-GPU flavor; though
/// the 1-GPU flavor has a free GPU, neither of its pods starts.
#[test]
fn each_leader_worker_group_is_one_workload() {
    let m = format!("{CLUSTER}{}", leader_worker_set(2));
    let scenario = format!("apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: story}}\nspec:\n  include: [m.yaml]\n{NODE_POOLS}  duration: 5m\n  timeline:\n    - {{at: 1m, run: \"oc apply -f lws3.yaml\"}}\n    - {{at: 2m, run: \"oc get pods -n private-ai\"}}\n");
    let dir = folder(&[
        ("m.yaml", &m),
        ("lws3.yaml", &leader_worker_set(3)),
        ("s.yaml", &scenario),
    ]);
    let done = simulate(&dir.path().join("s.yaml"));
    let workloads: Vec<_> = done.result.engine.store().workloads.values().collect();
    assert_eq!(
        workloads.len(),
        3,
        "{:?}",
        workloads.iter().map(|w| &w.name).collect::<Vec<_>>()
    );
    for (i, admitted) in [(0, true), (1, true), (2, false)] {
        let w = workloads
            .iter()
            .find(|w| w.name.starts_with(&format!("leaderworkerset-llm-{i}-")))
            .unwrap_or_else(|| panic!("no workload for group {i}"));
        assert_eq!(w.pod_count(), 2);
        assert_eq!(w.admission.is_some(), admitted, "group {i}: {:?}", w.pending_message);
        if !admitted {
            assert_eq!(
                w.pending_message.as_deref(),
                Some("couldn't assign flavors to pod set main: insufficient quota for nvidia.com/gpu in flavor nvidia-l4-1gpu, previously considered podsets requests (0) + current podset request (2) > maximum capacity (1), insufficient unused quota for nvidia.com/gpu in flavor nvidia-l4-4gpu, 2 more needed")
            );
        }
    }
    let pods = &done
        .result
        .transcript
        .iter()
        .find(|o| o.command.contains("get pods"))
        .unwrap()
        .output;
    for (p, status) in [
        ("llm-0 ", "Running"),
        ("llm-0-1 ", "Running"),
        ("llm-1 ", "Running"),
        ("llm-1-1 ", "Running"),
        ("llm-2 ", "SchedulingGated"),
        ("llm-2-1 ", "SchedulingGated"),
    ] {
        assert!(
            pods.lines().any(|l| l.starts_with(p) && l.contains(status)),
            "{p} {status}\n{pods}"
        );
    }
}

/// Kueue's `TestSchedule` case "with fair sharing: schedule workload with lowest share
/// first", stated as that test states it: Workload objects, two of them already admitted
/// (`status.admission`). eng-alpha runs its 50 cpu, eng-beta borrows 5; beta's
/// `older-new` (1 cpu, a minute older) and alpha's `new` (5 × 1 cpu) compete for the
/// cohort's last 5 cpu. Fair sharing admits `new`; without it FIFO admits `older-new` (Kueue's
/// `older_new`; API names take no underscores).
#[test]
fn workload_objects_state_a_scheduling_situation_as_kueues_tests_do() {
    let cq = |name: &str, nominal: u32, borrowing: &str| {
        format!("---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: ClusterQueue\nmetadata: {{name: {name}}}\nspec:\n  cohort: eng\n  namespaceSelector: {{}}\n  resourceGroups:\n    - coveredResources: [cpu]\n      flavors:\n        - name: on-demand\n          resources:\n            - {{name: cpu, nominalQuota: {nominal}{borrowing}}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}}}\n---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: LocalQueue\nmetadata: {{name: main, namespace: {name}}}\nspec: {{clusterQueue: {name}}}\n")
    };
    let workload = |ns: &str, name: &str, created: &str, count: u32, admitted: bool| {
        let status = if admitted {
            format!("status:\n  admission:\n    clusterQueue: {ns}\n    podSetAssignments:\n      - name: one\n        count: {count}\n        flavors: {{cpu: on-demand}}\n        resourceUsage: {{cpu: \"{count}\"}}\n")
        } else {
            String::new()
        };
        format!("---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: Workload\nmetadata: {{name: {name}, namespace: {ns}, creationTimestamp: \"{created}\"}}\nspec:\n  queueName: main\n  podSets:\n    - name: one\n      count: {count}\n      template:\n        spec:\n          containers: [{{name: c, image: i, resources: {{requests: {{cpu: \"1\"}}}}}}]\n{status}")
    };
    let m = format!(
        "apiVersion: kueue.x-k8s.io/v1beta1\nkind: ResourceFlavor\nmetadata: {{name: on-demand}}\n{}{}{}{}{}{}{}",
        cq("eng-alpha", 50, ""),
        cq("eng-beta", 50, ""),
        cq("eng-shared", 10, ", borrowingLimit: 0"),
        workload("eng-alpha", "all-nominal", "2026-11-23T09:00:00Z", 50, true),
        workload("eng-beta", "borrowing", "2026-11-23T09:00:00Z", 55, true),
        workload("eng-alpha", "new", "2026-11-23T10:00:00Z", 5, false),
        workload("eng-beta", "older-new", "2026-11-23T09:59:00Z", 1, false),
    );
    for (fair, admitted, left) in [(true, "new", "older-new"), (false, "older-new", "new")] {
        let config = if fair {
            "  kueue: {fairSharing: {enable: true}}\n"
        } else {
            ""
        };
        let scenario = format!("apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: story}}\nspec:\n  include: [m.yaml]\n{config}  duration: 1m\n");
        let dir = folder(&[("m.yaml", &m), ("s.yaml", &scenario)]);
        let done = simulate(&dir.path().join("s.yaml"));
        let find = |name: &str| {
            done.result
                .engine
                .store()
                .workloads
                .values()
                .find(|w| w.name == name)
                .unwrap()
        };
        for name in ["all-nominal", "borrowing", admitted] {
            assert!(find(name).admission.is_some(), "fair sharing {fair}: {name} admitted");
        }
        assert!(
            find(left).admission.is_none(),
            "fair sharing {fair}: {left} left pending"
        );
        assert_eq!(find("new").pod_count(), 5);
    }
}

fn single_node_llm_service(replicas: u32) -> String {
    format!("---\napiVersion: serving.kserve.io/v1alpha1\nkind: LLMInferenceService\nmetadata: {{name: granite, namespace: private-ai, labels: {{kueue.x-k8s.io/queue-name: default}}}}\nspec:\n  model: {{uri: hf://ibm-granite/granite-3.1-8b-instruct}}\n  replicas: {replicas}\n  template:\n    containers:\n      - name: main\n        image: quay.io/example/vllm:latest\n        args: [\"--max-model-len=8192\"]\n        resources:\n          limits: {{cpu: \"1\", memory: 1Gi, nvidia.com/gpu: \"1\"}}\n")
}

/// A single-node LLMInferenceService (no `spec.worker`) is KServe's Deployment
/// `<name>-kserve`; its pods queue in Kueue one by one, as any Deployment's do. Scaled
/// from 3 to 6 replicas on 5 GPUs, five run and the sixth waits for quota.
#[test]
fn a_single_node_llm_inference_service_is_a_deployment_of_queued_pods() {
    let m = format!("{CLUSTER}{}", single_node_llm_service(3));
    let scenario = format!("apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: story}}\nspec:\n  include: [m.yaml]\n{NODE_POOLS}  duration: 20m\n  timeline:\n    - {{at: 1m, run: \"oc apply -f six.yaml\"}}\n    - {{at: 19m, run: \"oc get deployments -n private-ai\"}}\n");
    let dir = folder(&[
        ("m.yaml", &m),
        ("six.yaml", &single_node_llm_service(6)),
        ("s.yaml", &scenario),
    ]);
    let done = simulate(&dir.path().join("s.yaml"));
    let world = done.result.engine.store();
    assert!(
        world.deployment("private-ai", "granite-kserve").is_some(),
        "KServe names the Deployment <name>-kserve"
    );
    let workloads: Vec<_> = world.workloads.values().collect();
    assert_eq!(workloads.len(), 6, "one Workload per pod");
    let admitted = workloads.iter().filter(|w| w.admission.is_some()).count();
    assert_eq!(admitted, 5, "five GPUs of quota");
    let pending = workloads.iter().find(|w| w.admission.is_none()).unwrap();
    assert!(
        pending
            .pending_message
            .as_deref()
            .is_some_and(|m| m.contains("insufficient unused quota for nvidia.com/gpu")),
        "{:?}",
        pending.pending_message
    );
    let deployments = &done
        .result
        .transcript
        .iter()
        .find(|o| o.command.contains("get deployments"))
        .unwrap()
        .output;
    assert!(
        deployments
            .lines()
            .any(|l| l.starts_with("granite-kserve ") && l.contains("5/6")),
        "{deployments}"
    );
}

/// An LLMInferenceService serves requests as an InferenceService does: KServe attaches the
/// model (`spec.model.uri`: a storage initializer for `hf://`), the `main` container's vLLM
/// arguments size the engine, and traffic names the service.
#[test]
fn an_llm_inference_service_downloads_its_model_and_serves_traffic() {
    let m = format!("{CLUSTER}{}", single_node_llm_service(1));
    let scenario = format!("apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: story}}\nspec:\n  include: [m.yaml]\n{NODE_POOLS}  duration: 30m\n  traffic:\n    - {{target: granite, start: 10m, rate: 1/s, prompt_tokens: 500, output_tokens: 100}}\n");
    let dir = folder(&[("m.yaml", &m), ("s.yaml", &scenario)]);
    let done = simulate(&dir.path().join("s.yaml"));
    let r = &done.report;
    let cold = &r.cold_starts[0];
    assert!(cold.pod.starts_with("granite-kserve-"), "{cold:?}");
    let first = &cold.steps[0].step;
    assert!(first.starts_with("download") && first.ends_with("(hf)"), "{first}");
    let pod = &r.pods[0];
    assert_eq!(pod.kv_cache_tokens.map(|t| t > 0), Some(true), "{pod:?}");
    let g = &r.models["granite"];
    // 20 minutes of Poisson arrivals at 1/s: 1,200 expected, within 3 standard deviations.
    assert!((1096..=1304).contains(&g.requests), "{g:?}");
    assert_eq!(g.failed, 0, "ready before its traffic: {g:?}");
    assert!(g.completed > 1100, "{g:?}");
    assert!(g.ttft_ms.p50.unwrap() < 1000.0, "{g:?}");
}

/// Kueue's `waitForPodsReady` on a Job whose quota exceeds what the nodes hold: 8 GPUs of
/// quota, one 4-GPU node. The Job (2 pods × 4 GPUs) is admitted, one pod runs, the other
/// cannot be placed; after the 2-minute timeout the Workload is evicted
/// (`PodsReadyTimeout`), requeued 60 s later, evicted again and, past `backoffLimitCount:
/// 1`, deactivated. Meanwhile `blockAdmission` holds back a 1-GPU pod that would fit.
#[test]
fn pods_ready_timeout_evicts_requeues_with_backoff_and_deactivates() {
    let cluster = CLUSTER.replace(
        "            - {name: nvidia.com/gpu, nominalQuota: 4}",
        "            - {name: nvidia.com/gpu, nominalQuota: 8}",
    );
    let job = "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: train\n  namespace: private-ai\n  labels: {kueue.x-k8s.io/queue-name: default}\nspec:\n  parallelism: 2\n  completions: 2\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: trainer\n          image: busybox\n          resources:\n            limits: {cpu: \"1\", memory: 1Gi, nvidia.com/gpu: \"4\"}\n";
    let small = pod("small", 1, "", true);
    let m = format!("{cluster}{job}");
    let scenario = format!("apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: story}}\nspec:\n  include: [m.yaml]\n{NODE_POOLS}  duration: 20m\n  kueue:\n    waitForPodsReady:\n      enable: true\n      timeout: 2m\n      requeuingStrategy: {{backoffLimitCount: 1, backoffBaseSeconds: 60}}\n  timeline:\n    - {{at: 30s, run: \"oc apply -f small.yaml\"}}\n");
    let dir = folder(&[("m.yaml", &m), ("small.yaml", &small), ("s.yaml", &scenario)]);
    let done = simulate(&dir.path().join("s.yaml"));
    let at = |kind: &str, object: &str| -> Vec<f64> {
        events(&done, kind)
            .iter()
            .filter(|e| e.object.contains(object))
            .map(|e| e.t.as_secs_f64())
            .collect()
    };
    // Admitted at 0; evicted at 2:00; its pods go (30 s grace) and the back-off of 60 s
    // runs from the eviction; admitted again at 3:00, evicted at 5:00, then deactivated.
    assert_eq!(at("EvictedDueToPodsReadyTimeout", "job-train"), vec![120.0, 300.0]);
    assert_eq!(at("QuotaReserved", "job-train"), vec![0.0, 180.0]);
    assert_eq!(at("WorkloadDeactivated", "job-train").len(), 1);
    let train = workload(&done, "train");
    assert_eq!(train.requeue_count, 2);
    assert!(train.deactivated && train.admission.is_none());
    let message = events(&done, "EvictedDueToPodsReadyTimeout")[0].message.clone();
    assert!(
        message.starts_with("Exceeded the PodsReady timeout private-ai/job-train-"),
        "{message}"
    );
    // blockAdmission: the 1-GPU pod, applied at 0:30, waits while the Job is admitted and
    // not ready; it goes when the first eviction lifts the block.
    assert_eq!(
        workload(&done, "small").admitted_at.map(|t| t.as_secs_f64()),
        Some(120.0)
    );
}

/// `waitForPodsReady` against the demo's models: Mistral BF16 needs 7.5 minutes to
/// download and load. With the 5-minute timeout its Workload is evicted before it is ever
/// Ready; the ReplicaSet's replacement pod is a new Workload with no back-off, so it loops.
/// With 10 minutes it serves at 7:30, and `blockAdmission` (on by default) admits INT4
/// only then.
#[test]
fn a_pods_ready_timeout_shorter_than_the_model_load_evicts_the_server_forever() {
    let base = repo().join("scenarios/gpuaas-demo/manifests");
    let run = |timeout: &str| {
        let s = format!("apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: wfpr}}\nspec:\n  duration: 30m\n  include: [{}/]\n  kueue:\n    waitForPodsReady: {{enable: true, timeout: {timeout}}}\n", base.display());
        let dir = folder(&[("s.yaml", &s)]);
        simulate(&dir.path().join("s.yaml"))
    };
    let owned = |done: &gpuaas_sim::Completed, owner: &str| -> Vec<(Option<f64>, Option<f64>)> {
        done.result
            .engine
            .store()
            .workloads
            .values()
            .filter(|w| w.owner == owner)
            .map(|w| {
                (
                    w.admitted_at.map(|t| t.as_secs_f64()),
                    w.ready_at.map(|t| t.as_secs_f64()),
                )
            })
            .collect()
    };
    let short = run("5m");
    let evictions = events(&short, "EvictedDueToPodsReadyTimeout");
    assert!(evictions.len() >= 4, "{evictions:?}");
    assert!(evictions.iter().all(|e| e.object.contains("mistral-3-bf16")));
    assert!(owned(&short, "mistral-3-bf16").iter().all(|(_, ready)| ready.is_none()));
    // INT4 goes once the first eviction lifts the block: Ready 3:52.5 later.
    assert_eq!(owned(&short, "mistral-3-int4"), vec![(Some(300.0), Some(532.5))]);

    let long = run("10m");
    assert!(events(&long, "EvictedDueToPodsReadyTimeout").is_empty());
    assert_eq!(owned(&long, "mistral-3-bf16"), vec![(Some(0.0), Some(450.231))]);
    assert_eq!(owned(&long, "mistral-3-int4"), vec![(Some(450.231), Some(682.731))]);
}

/// The gate users found lying: `nightly` borrows chat's GPUs, is evicted at 10:00 when
/// chat reclaims them and starts again from scratch at 30:30, yet `state: Admitted` by
/// 30m held. Evictions and time pending say what happened, and why.
#[test]
fn a_reclaimed_job_passes_a_state_gate_but_not_its_eviction_and_pending_gates() {
    let cq = |name: &str, extra: &str| {
        format!("---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: ClusterQueue\nmetadata: {{name: {name}}}\nspec:\n  cohort: gpus\n  namespaceSelector: {{}}\n{extra}  resourceGroups:\n    - coveredResources: [cpu, memory, nvidia.com/gpu]\n      flavors:\n        - name: nvidia-l4-4gpu\n          resources:\n            - {{name: cpu, nominalQuota: 24}}\n            - {{name: memory, nominalQuota: 96Gi}}\n            - {{name: nvidia.com/gpu, nominalQuota: 4}}\n")
    };
    let queue = |ns: &str| {
        format!("---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: LocalQueue\nmetadata: {{name: default, namespace: {ns}}}\nspec: {{clusterQueue: {ns}}}\n")
    };
    let flavor = "apiVersion: kueue.x-k8s.io/v1beta1\nkind: ResourceFlavor\nmetadata: {name: nvidia-l4-4gpu}\nspec:\n  nodeLabels: {node.kubernetes.io/instance-type: g6.12xlarge}\n  tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]\n";
    // Two pods of 4 GPUs on a 4-GPU quota: it borrows chat's four.
    let nightly = "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: nightly\n  namespace: research\n  annotations: {gpuaas-sim.io/run-time: 40m}\nspec:\n  parallelism: 2\n  completions: 2\n  template:\n    spec:\n      restartPolicy: Never\n      tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]\n      containers:\n        - name: trainer\n          image: busybox\n          resources:\n            limits: {cpu: \"1\", memory: 1Gi, nvidia.com/gpu: \"4\"}\n";
    let m = format!(
        "{flavor}{}{}{}{}{nightly}",
        cq("research", ""),
        cq("chat", "  preemption: {reclaimWithinCohort: Any}\n"),
        queue("research"),
        queue("chat")
    );
    let assistant = team_pod("chat", "assistant", 4);
    let scenario = "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {name: nightly}\nspec:\n  include: [m.yaml]\n  duration: 1h\n  nodePools:\n    - {name: gpu-4x, instanceType: g6.12xlarge, count: 3, taints: [{key: nvidia.com/gpu, value: \"true\", effect: NoSchedule}]}\n  timeline:\n    - {at: 10m, run: \"oc apply -f assistant.yaml\"}\n    - {at: 30m, run: \"oc delete pod assistant -n chat\"}\n  expect:\n    - {by: 30m, workload: nightly, state: Admitted}\n    - {name: nightly is never evicted, workload: nightly, evictions: {equals: 0}}\n    - {name: nightly waits under 15 minutes, workload: nightly, pending: {below: 15m}}\n    - {name: nightly admitted at 20m, at: 20m, workload: nightly, state: Admitted}\n    - {workload: nightly, evictions: {equals: 1, reason: InCohortReclamation}}\n";
    let dir = folder(&[("m.yaml", &m), ("assistant.yaml", &assistant), ("s.yaml", scenario)]);
    let done = simulate(&dir.path().join("s.yaml"));
    let outcome = |i: usize| {
        let o = &done.outcomes[i];
        (o.passed, o.detail.as_str())
    };
    // The old gate still holds: nightly was admitted at 0.
    assert_eq!(outcome(0), (true, "reached Admitted at 00:00:00"));
    let why = "evicted at 00:10:00 by chat/assistant reclaiming within the cohort (InCohortReclamation); requeued at 00:10:00; admitted again at 00:30:30; Ready again at 00:30:35";
    assert_eq!(
        outcome(1),
        (
            false,
            &*format!(
                "1 eviction by 01:00:00, not equal to 0: job-nightly-{} {why}",
                suffix(&done)
            )
        )
    );
    assert_eq!(
        outcome(2),
        (
            false,
            &*format!(
                "job-nightly-{} was pending 20m30s in total by 01:00:00, not below 15m: pending 00:10:00–00:30:30 (20m30s); {why}",
                suffix(&done)
            )
        )
    );
    // At 20m a state gate fails, saying who took the GPUs and what Kueue says now.
    let (passed, detail) = outcome(3);
    assert!(!passed);
    assert!(
        detail.contains("was Pending (evicted at 00:10:00 by chat/assistant reclaiming within the cohort (InCohortReclamation); requeued at 00:10:00; pending at 00:20:00: couldn't assign flavors to pod set main: insufficient unused quota for nvidia.com/gpu in flavor nvidia-l4-4gpu, 4 more needed)"),
        "{detail}"
    );
    assert!(outcome(4).0, "{}", outcome(4).1);
    // report.json tells the same: the eviction, its reasons and preemptor, the time pending.
    let w = done.report.workloads.iter().find(|w| w.owner == "nightly").unwrap();
    assert_eq!(w.pending_s, 1230.0);
    assert_eq!(w.evictions.len(), 1);
    let e = &w.evictions[0];
    assert_eq!((e.t_s, e.reason.as_str()), (600.0, "Preempted"));
    assert_eq!(e.preemption_reason.as_deref(), Some("InCohortReclamation"));
    assert!(
        e.preemptor
            .as_deref()
            .is_some_and(|p| p.starts_with("chat/pod-assistant-")),
        "{e:?}"
    );
    // JUnit names a named expectation's case by its name, and an unnamed one by the entry.
    let junit = gpuaas_sim::report::junit::render(&[("nightly".to_string(), done.outcomes.clone())]);
    for want in [
        "<testcase classname=\"nightly\" name=\"{&quot;by&quot;:&quot;30m&quot;,&quot;workload&quot;:&quot;nightly&quot;,&quot;state&quot;:&quot;Admitted&quot;}\"",
        "<testcase classname=\"nightly\" name=\"nightly is never evicted\"",
        "<testcase classname=\"nightly\" name=\"nightly waits under 15 minutes\"",
        "<failure message=\"1 eviction by 01:00:00, not equal to 0: job-nightly-",
    ] {
        assert!(junit.contains(want), "{want} missing from {junit}");
    }
    assert_eq!(
        done.report.expectations[1].name.as_deref(),
        Some("nightly is never evicted")
    );
}

/// The hash Kueue's Job integration puts after `job-nightly-`.
fn suffix(done: &gpuaas_sim::Completed) -> String {
    workload(done, "nightly")
        .name
        .trim_start_matches("job-nightly-")
        .to_string()
}
