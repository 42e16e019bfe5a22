//! Kueue's topology-aware scheduling for GPU nodes: a flavor over a Topology of racks and
//! nodes, pod sets that must or should share a rack.

mod common;
use common::{folder, simulate};

const CLUSTER: &str = r#"
apiVersion: kueue.x-k8s.io/v1beta2
kind: Topology
metadata: {name: gpu-topo}
spec:
  levels:
    - nodeLabel: topology.kubernetes.io/rack
    - nodeLabel: kubernetes.io/hostname
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: ResourceFlavor
metadata: {name: h100}
spec:
  nodeLabels: {node.kubernetes.io/instance-type: p5.48xlarge}
  topologyName: gpu-topo
  tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: ClusterQueue
metadata: {name: train}
spec:
  namespaceSelector: {}
  resourceGroups:
    - coveredResources: [cpu, memory, nvidia.com/gpu]
      flavors:
        - name: h100
          resources: [{name: cpu, nominalQuota: 1000}, {name: memory, nominalQuota: 10000Gi}, {name: nvidia.com/gpu, nominalQuota: 64}]
---
apiVersion: v1
kind: Namespace
metadata: {name: ml}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: LocalQueue
metadata: {name: default, namespace: ml}
spec: {clusterQueue: train}
"#;

fn job(name: &str, pods: u32, annotation: &str) -> String {
    format!("apiVersion: batch/v1\nkind: Job\nmetadata: {{name: {name}, namespace: ml, annotations: {{gpuaas-sim.io/run-time: 1h}}}}\nspec:\n  parallelism: {pods}\n  completions: {pods}\n  template:\n    metadata:\n      annotations: {{{annotation}}}\n    spec:\n      containers: [{{name: c, image: i, resources: {{limits: {{cpu: \"8\", memory: 64Gi, nvidia.com/gpu: \"1\"}}}}}}]\n")
}

/// Two racks of two p5 nodes (8 H100 each); jobs applied one a minute.
fn run(jobs: &[(&str, String)]) -> gpuaas_sim::Completed {
    let mut timeline = String::new();
    let mut files: Vec<(String, String)> = vec![("m.yaml".into(), CLUSTER.into())];
    for (i, (name, text)) in jobs.iter().enumerate() {
        timeline.push_str(&format!("    - {{at: {}m, run: \"oc apply -f {name}.yaml\"}}\n", i + 1));
        files.push((format!("{name}.yaml"), text.clone()));
    }
    let s = format!("apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: tas}}\nspec:\n  include: [m.yaml]\n  duration: 10m\n  nodePools:\n    - {{name: rack-a, instanceType: p5.48xlarge, count: 2, labels: {{topology.kubernetes.io/rack: a}}, taints: [{{key: nvidia.com/gpu, value: \"true\", effect: NoSchedule}}]}}\n    - {{name: rack-b, instanceType: p5.48xlarge, count: 2, labels: {{topology.kubernetes.io/rack: b}}, taints: [{{key: nvidia.com/gpu, value: \"true\", effect: NoSchedule}}]}}\n  timeline:\n{timeline}");
    files.push(("s.yaml".into(), s));
    let refs: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let dir = folder(&refs);
    simulate(&dir.path().join("s.yaml"))
}

/// Each Job's pods and the racks of their nodes.
fn racks(done: &gpuaas_sim::Completed, owner: &str) -> Vec<String> {
    let store = done.result.engine.store();
    let mut out: Vec<String> = store
        .pods
        .values()
        .filter(|p| p.name.starts_with(&format!("{owner}-")))
        .filter_map(|p| p.node.clone())
        .map(|n| n.rsplit_once('-').map_or(n.clone(), |(r, _)| r.to_string()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// `podset-required-topology: rack`: all 12 pods in one rack, the next 12 in the other,
/// and 10 more wait with Kueue's message, though quota would allow them.
#[test]
fn a_required_rack_holds_all_of_a_pod_set_or_it_waits() {
    let required = "kueue.x-k8s.io/podset-required-topology: topology.kubernetes.io/rack";
    let done = run(&[
        ("train", job("train", 12, required)),
        ("big", job("big", 12, required)),
        ("huge", job("huge", 10, required)),
    ]);
    assert_eq!(racks(&done, "train"), ["rack-a"]);
    assert_eq!(racks(&done, "big"), ["rack-b"]);
    let store = done.result.engine.store();
    let huge = store.workloads.values().find(|w| w.owner == "huge").unwrap();
    assert!(huge.admission.is_none());
    assert_eq!(
        huge.pending_message.as_deref(),
        Some("couldn't assign flavors to pod set main: topology \"gpu-topo\" allows to fit only 4 out of 10 pod(s)")
    );
    let train = store.workloads.values().find(|w| w.owner == "train").unwrap();
    let t = train
        .admission
        .as_ref()
        .and_then(|a| a.pod_set_assignments[0].topology_assignment.clone())
        .unwrap();
    assert_eq!(
        t.domains,
        [
            (vec!["a".to_string(), "rack-a-0".to_string()], 8),
            (vec!["a".to_string(), "rack-a-1".to_string()], 4)
        ]
    );
}

/// `podset-preferred-topology: rack`: 20 pods cannot share a rack, so they spread.
#[test]
fn a_preferred_rack_spreads_when_no_rack_holds_the_pod_set() {
    let preferred = "kueue.x-k8s.io/podset-preferred-topology: topology.kubernetes.io/rack";
    let done = run(&[("wide", job("wide", 20, preferred))]);
    assert_eq!(racks(&done, "wide"), ["rack-a", "rack-b"]);
    let w = done
        .result
        .engine
        .store()
        .workloads
        .values()
        .find(|w| w.owner == "wide")
        .unwrap();
    assert!(w.ready_at.is_some(), "all 20 pods run");
}

/// In a ClusterQueue whose flavors are all topology-aware, a pod set without an annotation
/// is placed too (Kueue's implied unconstrained topology): on the least free nodes that
/// hold it.
#[test]
fn an_unannotated_pod_set_is_placed_node_by_node() {
    let done = run(&[("small", job("small", 6, "")), ("fill", job("fill", 3, ""))]);
    let store = done.result.engine.store();
    let t = |owner: &str| {
        store
            .workloads
            .values()
            .find(|w| w.owner == owner)
            .and_then(|w| w.admission.as_ref())
            .and_then(|a| a.pod_set_assignments[0].topology_assignment.clone())
            .expect("placed")
    };
    assert_eq!(t("small").domains.len(), 1, "6 pods fit one node");
    // `small` left 2 GPUs on its node, too few for 3: the next least free node takes them.
    assert_eq!(t("fill").domains.len(), 1);
    assert_ne!(t("fill").domains[0].0, t("small").domains[0].0);
}
