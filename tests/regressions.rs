//! Behaviours that once diverged from Kubernetes, Kueue or KServe, each as a scenario.

mod common;
use common::*;
use gpuaas_sim::store::WorkloadState;

fn demo(timeline: &str, expect: &str) -> gpuaas_sim::Completed {
    let base = repo().join("scenarios/gpuaas-demo");
    let s = format!(
        "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: r}}\nspec:\n  duration: 30m\n  include: [{}/manifests/]\n  timeline:\n{timeline}  expect:\n{expect}",
        base.display()
    );
    let dir = folder(&[("s.yaml", &s)]);
    let done = simulate(&dir.path().join("s.yaml"));
    for o in &done.outcomes {
        assert!(o.passed, "{} — {}", o.expectation.text, o.detail);
    }
    done
}

fn plain(manifests: &str, spec_tail: &str) -> gpuaas_sim::Completed {
    let s = format!("apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: r}}\nspec:\n  include: [m.yaml]\n{NODE_POOLS}{spec_tail}");
    let dir = folder(&[("m.yaml", manifests), ("s.yaml", &s)]);
    simulate(&dir.path().join("s.yaml"))
}

fn pod(name: &str, gpus: u32, tolerations: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: private-ai}}\nspec:\n  tolerations: {tolerations}\n  containers: [{{name: c, image: i, resources: {{limits: {{cpu: \"1\", memory: 1Gi, nvidia.com/gpu: \"{gpus}\"}}}}}}]\n"
    )
}

const GPU_TOL: &str = "[{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]";

#[test]
fn naming_an_object_twice_is_not_a_crash() {
    let done = demo(
        "    - {at: 1m, run: \"oc delete deployment granite-8b-agent-predictor granite-8b-agent-predictor -n private-ai\"}\n",
        "    - {at: end, workload: mistral-3-int4, state: Ready}\n",
    );
    assert!(done.result.transcript[0].output.contains("deleted"));
}

#[test]
fn deleting_a_blocked_strict_fifo_head_unblocks_the_queue() {
    let strict = CLUSTER.replace(
        "namespaceSelector: {}",
        "namespaceSelector: {}\n  queueingStrategy: StrictFIFO",
    );
    let m = format!(
        "{strict}{}{}{}",
        pod("a-holder", 4, GPU_TOL),
        pod("b-big", 4, GPU_TOL),
        pod("c-small", 1, GPU_TOL)
    );
    let done = plain(&m, "  duration: 10m\n  timeline:\n    - {at: 2m, run: \"oc delete pod b-big -n private-ai\"}\n  expect:\n    - {at: 1m, workload: c-small, state: Pending}\n    - {by: 3m, workload: c-small, state: Admitted}\n");
    assert!(
        done.all_expectations_hold(),
        "{:?}",
        done.outcomes.iter().map(|o| &o.detail).collect::<Vec<_>>()
    );
}

#[test]
fn re_applying_a_node_keeps_its_capacity_and_pods() {
    let base = repo().join("scenarios/gpuaas-demo/manifests/cluster/nodes.yaml");
    let done = demo(
        &format!("    - {{at: 9m, run: \"oc apply -f {}\"}}\n    - {{at: 10m, run: \"oc scale deployment mistral-3-bf16-predictor -n private-ai --replicas=0\"}}\n    - {{at: 10m, run: \"oc scale deployment gpt-oss-20b-predictor -n private-ai --replicas=1\"}}\n", base.display()),
        "    - {by: 25m, workload: gpt-oss-20b, state: Ready}\n",
    );
    assert!(done.report.utilization.gpu_hours_capacity > 2.0);
}

#[test]
fn patching_a_deployment_keeps_what_earlier_commands_changed() {
    let done = demo(
        "    - {at: 1m, run: \"oc scale deployment granite-8b-agent-predictor -n private-ai --replicas=1\"}\n    - {at: 2m, run: \"oc patch deployment granite-8b-agent-predictor -n private-ai --type merge -p '{\\\"metadata\\\":{\\\"labels\\\":{\\\"team\\\":\\\"rag\\\"}}}'\"}\n",
        "    - {at: 3m, workload: granite-8b-agent, state: Pending}\n",
    );
    let d = done
        .result
        .engine
        .store()
        .deployment("private-ai", "granite-8b-agent-predictor")
        .unwrap();
    assert_eq!(d.spec.replicas, 1);
    assert_eq!(d.labels.get("team").map(String::as_str), Some("rag"));
}

#[test]
fn rollout_restart_of_a_predictor_rolls_it() {
    let done = demo(
        "    - {at: 10m, run: \"oc rollout restart deployment/mistral-3-int4-predictor -n private-ai\"}\n",
        "    - {at: 25m, workload: mistral-3-int4, state: Ready}\n    - {at: end, deadlock: none}\n",
    );
    let w = done.result.engine.store();
    let d = w.deployment("private-ai", "mistral-3-int4-predictor").unwrap();
    assert_eq!(
        w.replicasets_of(d.uid).len(),
        2,
        "a new ReplicaSet for the restarted template"
    );
    assert!(d
        .spec
        .template
        .annotations
        .contains_key("kubectl.kubernetes.io/restartedAt"));
}

#[test]
fn a_deleted_predictor_deployment_is_recreated_by_kserve() {
    demo(
        "    - {at: 10m, run: \"oc delete deployment mistral-3-int4-predictor -n private-ai\"}\n",
        "    - {at: 10m15s, workload: mistral-3-int4, state: Pending}\n    - {by: 11m, workload: mistral-3-int4, state: Admitted}\n    - {at: 20m, workload: mistral-3-int4, state: Ready}\n",
    );
}

#[test]
fn a_terminating_quota_holder_means_no_deadlock() {
    let variant = repo().join("scenarios/gpuaas-demo/variants/mistral-3-int4-rollingupdate.yaml");
    demo(
        &format!("    - {{at: 8m, run: \"oc apply -f {}\"}}\n    - {{at: 10m, run: \"oc scale deployment mistral-3-bf16-predictor -n private-ai --replicas=0\"}}\n    - {{at: 10m, run: \"oc annotate isvc mistral-3-int4 -n private-ai a=b\"}}\n", variant.display()),
        "    - {by: end, deadlock: none}\n    - {at: 20m, workload: mistral-3-int4, state: Ready}\n",
    );
}

#[test]
fn a_pods_quota_limits_the_number_of_pods() {
    let q = CLUSTER
        .replace(
            "coveredResources: [cpu, memory, nvidia.com/gpu]",
            "coveredResources: [cpu, memory, nvidia.com/gpu, pods]",
        )
        .replace(
            "            - {name: nvidia.com/gpu, nominalQuota: 1}\n",
            "            - {name: nvidia.com/gpu, nominalQuota: 1}\n            - {name: pods, nominalQuota: 0}\n",
        )
        .replace(
            "            - {name: nvidia.com/gpu, nominalQuota: 4}\n",
            "            - {name: nvidia.com/gpu, nominalQuota: 4}\n            - {name: pods, nominalQuota: 1}\n",
        );
    let done = plain(
        &format!("{q}{}{}", pod("a", 1, GPU_TOL), pod("b", 1, GPU_TOL)),
        "  duration: 2m\n",
    );
    let states: Vec<WorkloadState> = ["a", "b"]
        .iter()
        .map(|n| {
            done.result
                .engine
                .store()
                .workloads
                .values()
                .find(|w| w.owner == *n)
                .unwrap()
                .current_state()
        })
        .collect();
    assert_eq!(states, [WorkloadState::Ready, WorkloadState::Pending]);
}

#[test]
fn a_wildcard_toleration_tolerates_a_cordon() {
    let m = format!(
        "{}{}",
        CLUSTER.replace(
            "name: default, namespace: private-ai",
            "name: other, namespace: private-ai"
        ),
        pod("everywhere", 1, "[{operator: Exists}]")
    );
    let done = plain(&m, "  duration: 2m\n  timeline:\n    - {at: 0s, run: \"oc adm cordon gpu-1x-0\"}\n    - {at: 0s, run: \"oc adm cordon gpu-4x-0\"}\n");
    let p = done.result.engine.store().pod("private-ai", "everywhere").unwrap();
    assert!(p.node.is_some(), "{:?}", p.unschedulable);
}

#[test]
fn label_with_a_selector_is_a_command_not_bad_input() {
    let done = demo(
        "    - {at: 1m, run: \"oc label pods -n private-ai -l serving.kserve.io/inferenceservice=mistral-3-int4 tier=gpu\"}\n",
        "    - {at: end, workload: mistral-3-int4, state: Ready}\n",
    );
    assert!(
        done.result.transcript[0].output.ends_with("labeled"),
        "{}",
        done.result.transcript[0].output
    );
}

#[test]
fn a_local_queue_cannot_move_to_another_cluster_queue() {
    let dir = folder(&[("lq.yaml", "apiVersion: kueue.x-k8s.io/v1beta1\nkind: LocalQueue\nmetadata: {name: default, namespace: private-ai}\nspec: {clusterQueue: rhoai-main-queue}\n")]);
    let base = repo().join("scenarios/gpuaas-demo");
    let other = "apiVersion: kueue.x-k8s.io/v1beta1\nkind: ClusterQueue\nmetadata: {name: other}\nspec: {namespaceSelector: {}}\n---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: LocalQueue\nmetadata: {name: default, namespace: private-ai}\nspec: {clusterQueue: other}\n";
    std::fs::write(dir.path().join("move.yaml"), other).unwrap();
    let s = format!(
        "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: r}}\nspec:\n  duration: 5m\n  include: [{}/manifests/]\n  timeline:\n    - {{at: 1m, run: \"oc apply -f move.yaml\"}}\n",
        base.display()
    );
    std::fs::write(dir.path().join("s.yaml"), s).unwrap();
    let done = simulate(&dir.path().join("s.yaml"));
    assert!(
        done.result.transcript[0].output.contains("field is immutable"),
        "{}",
        done.result.transcript[0].output
    );
}

#[test]
fn wide_output_of_deployments_and_replicasets_names_containers_and_selector() {
    let done = demo(
        "    - {at: 5m, run: \"oc get deployment mistral-3-int4-predictor -n private-ai -o wide\"}\n    - {at: 5m, run: \"oc get rs -n private-ai -l app=isvc.mistral-3-int4-predictor -o wide\"}\n",
        "    - {at: end, workload: mistral-3-int4, state: Ready}\n",
    );
    let t = &done.result.transcript;
    assert!(t[0].output.starts_with("NAME"), "{}", t[0].output);
    assert!(
        t[0].output.contains("CONTAINERS") && t[0].output.contains("kserve-container,modelcar"),
        "{}",
        t[0].output
    );
    assert!(t[1].output.contains("pod-template-hash="), "{}", t[1].output);
}

/// A GPU node that no pod ever uses, in a run with traffic: `run --out` once panicked
/// drawing GPU-hours per node, whose rows then differed in their layers. Every report is
/// written, and the spare node's bar shows it busy for none of its hours.
#[test]
fn a_spare_gpu_node_in_a_run_with_traffic_gets_every_report() {
    let service = "---\napiVersion: serving.kserve.io/v1alpha1\nkind: LLMInferenceService\nmetadata: {name: granite, namespace: private-ai, labels: {kueue.x-k8s.io/queue-name: default}}\nspec:\n  model: {uri: hf://ibm-granite/granite-3.1-8b-instruct}\n  replicas: 1\n  template:\n    containers:\n      - name: main\n        image: quay.io/example/vllm:latest\n        args: [\"--max-model-len=8192\"]\n        resources:\n          limits: {cpu: \"1\", memory: 1Gi, nvidia.com/gpu: \"1\"}\n";
    // Two 1-GPU nodes and one replica: one node stays empty.
    let scenario = "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {name: spare}\nspec:\n  include: [m.yaml]\n  nodePools:\n    - {name: gpu-1x, instanceType: g6.4xlarge, count: 2, taints: [{key: nvidia.com/gpu, value: \"true\", effect: NoSchedule}]}\n  duration: 15m\n  traffic:\n    - {target: granite, start: 10m, rate: 1/s, prompt_tokens: 500, output_tokens: 100}\n";
    let m = format!("{CLUSTER}{service}");
    let dir = folder(&[("m.yaml", &m), ("s.yaml", scenario)]);
    let out = dir.path().join("out");
    let run = bin()
        .args(["run", "-q", "--out"])
        .arg(&out)
        .arg(dir.path().join("s.yaml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "every plot is drawn: {stderr}");
    for file in [
        "report.json",
        "report.md",
        "report.html",
        "plots/gpu-busy-by-node.svg",
        "plots/latency-cdf-granite.svg",
        "plots/cost-by-node-pool.svg",
    ] {
        assert!(out.join(file).is_file(), "{file} not written");
    }
    let svg = std::fs::read_to_string(out.join("plots/gpu-busy-by-node.svg")).unwrap();
    // The text elements' contents: node names and the legend's layers.
    let texts: Vec<&str> = svg
        .split("<text")
        .skip(1)
        .filter_map(|t| Some(t[t.find('>')? + 1..t.find("</text>")?].trim()))
        .collect();
    for text in ["gpu-1x-0", "gpu-1x-1", "capacity", "allocated", "busy"] {
        assert!(
            texts.contains(&text),
            "{text} missing from gpu-busy-by-node.svg: {texts:?}"
        );
    }
    let report = std::fs::read_to_string(out.join("report.json")).unwrap();
    let report = gpuaas_sim::report::Report::from_json_str(&report).unwrap();
    let busy_nodes: Vec<&str> = report
        .utilization
        .gpu_busy
        .iter()
        .flat_map(|b| &b.pods)
        .map(|p| p.node.as_str())
        .collect();
    assert_eq!(busy_nodes.len(), 1, "one engine pod: {busy_nodes:?}");
}

/// The demo with `traffic` entries and `timeline` entries (indented as list items).
fn demo_traffic(traffic: &str, timeline: &str) -> Result<gpuaas_sim::Completed, String> {
    let base = repo().join("scenarios/gpuaas-demo");
    let s = format!(
        "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: r}}\nspec:\n  duration: 20m\n  include: [{}/manifests/]\n  traffic:\n{traffic}  timeline:\n{timeline}",
        base.display()
    );
    let dir = folder(&[("s.yaml", &s)]);
    let mut prepared = gpuaas_sim::scenario::run::discover(&[dir.path().join("s.yaml")]).map_err(|e| e.to_string())?;
    gpuaas_sim::simulate(prepared.remove(0)).map_err(|e| e.to_string())
}

/// A rate change may name the namespace of traffic that does not (its service's name is
/// unique): it was refused with `no spec.traffic entry targets `mistral-3-int4` (did you
/// mean `mistral-3-int4`?)`. A namespace where the service is not is still refused.
#[test]
fn a_rate_change_naming_the_namespace_reaches_traffic_that_does_not() {
    let traffic = "    - {target: mistral-3-int4, start: 8m, rate: 1/s, prompt_tokens: 200, output_tokens: 50}\n";
    let change =
        |ns: &str| format!("    - {{at: 12m, traffic: {{target: mistral-3-int4, namespace: {ns}, rate: 0/s}}}}\n");
    let done = demo_traffic(traffic, &change("private-ai")).unwrap_or_else(|e| panic!("{e}"));
    let requests = done.report.models["mistral-3-int4"].requests;
    // About 4 minutes at 1/s, then none: the change applied.
    assert!((180..=300).contains(&requests), "{requests} requests");
    let refused = demo_traffic(traffic, &change("elsewhere"))
        .err()
        .expect("a namespace without the service");
    assert!(
        refused.contains("no InferenceService `mistral-3-int4` in namespace elsewhere"),
        "{refused}"
    );
}

/// A burst that starts before the traffic does (or before a timeline rate change) used
/// to leave the stream silent after it, and the arrival draw then searched for an
/// arrival up to 10⁹ s ahead: the run hung for minutes.
#[test]
fn a_burst_before_the_traffic_starts_leaves_the_traffic_after_it() {
    let traffic = "    - {target: mistral-3-int4, start: 8m, rate: 1/s, prompt_tokens: 200, output_tokens: 50,\n       bursts: [{at: 7m, for: 2m, factor: 2}]}\n";
    let done =
        demo_traffic(traffic, "    - {at: 1m, run: \"oc get pods -n private-ai\"}\n").unwrap_or_else(|e| panic!("{e}"));
    let requests = done.report.models["mistral-3-int4"].requests;
    // A minute at 2/s, then eleven at 1/s: about 780.
    assert!((680..=880).contains(&requests), "{requests} requests");
}

/// Kueue#6947 as the simulator met it: `w3` reclaims the quota a borrowing Job holds,
/// but when that quota comes back a parked workload ranked before `w3` (`w4`, which can
/// never fit) is the head again, and the Job takes the quota once more; `w3` evicts it
/// again, and so on. With instant controllers (the Job's pod never started) this looped
/// within one instant and the run never ended. Kueue's sticky ClusterQueue head keeps
/// the preemptor the head of its BestEffortFIFO queue until it is admitted.
#[test]
fn a_preempting_head_keeps_its_place_until_it_is_admitted() {
    let cq = |name: &str, gpus: u32, preemption: &str| {
        format!("---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: ClusterQueue\nmetadata: {{name: {name}}}\nspec:\n  cohort: all\n  namespaceSelector: {{}}\n{preemption}  resourceGroups:\n    - coveredResources: [cpu, memory, nvidia.com/gpu]\n      flavors:\n        - name: gpu\n          resources: [{{name: cpu, nominalQuota: 100}}, {{name: memory, nominalQuota: 1000Gi}}, {{name: nvidia.com/gpu, nominalQuota: {gpus}}}]\n")
    };
    let team = |ns: &str, cq: &str| {
        format!("---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: LocalQueue\nmetadata: {{name: default, namespace: {ns}}}\nspec: {{clusterQueue: {cq}}}\n")
    };
    let pod = |name: &str, gpus: u32| {
        format!("---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: team-a}}\nspec:\n  containers: [{{name: c, image: i, resources: {{limits: {{cpu: \"1\", memory: 1Gi, nvidia.com/gpu: \"{gpus}\"}}}}}}]\n")
    };
    let job = "---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: w1, namespace: team-b, annotations: {gpuaas-sim.io/run-time: 1h}}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: i, resources: {limits: {cpu: \"1\", memory: 1Gi, nvidia.com/gpu: \"3\"}}}]\n";
    let m = format!(
        "apiVersion: kueue.x-k8s.io/v1beta1\nkind: ResourceFlavor\nmetadata: {{name: gpu}}\n{}{}{}{}{job}{}{}",
        cq("a", 3, "  preemption: {reclaimWithinCohort: Any}\n"),
        cq("b", 0, ""),
        team("team-a", "a"),
        team("team-b", "b"),
        pod("w4", 4),
        pod("w3", 3),
    );
    let s = "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {name: r}\nspec:\n  duration: 5m\n  include: [m.yaml]\n  nodePools: [{name: n, instanceType: g6.48xlarge, count: 1}]\n  expect:\n    - {at: 1m, workload: w3, state: Ready}\n    - {at: 1m, workload: w1, state: Pending}\n    - {at: 1m, workload: w4, state: Pending}\n";
    let dir = folder(&[("m.yaml", &m), ("s.yaml", s)]);
    let done = simulate(&dir.path().join("s.yaml"));
    for o in &done.outcomes {
        assert!(o.passed, "{} — {}", o.expectation.text, o.detail);
    }
    // The Job was preempted once, not over and over.
    let preempted = done
        .result
        .engine
        .store()
        .events
        .iter()
        .filter(|e| e.kind == "Preempted")
        .count();
    assert_eq!(preempted, 1);
}
