//! Stories for Kueue's hierarchical cohorts: Cohort objects above ClusterQueues, quota
//! borrowed through the tree and reclaimed by a team closer to it.

mod common;
use common::{folder, simulate};

/// An organisation root cohort with 4 GPUs of its own, two departments (research with 2
/// more GPUs of shared pool, product with none) and one team ClusterQueue in each.
const TREE: &str = r#"
apiVersion: kueue.x-k8s.io/v1beta2
kind: ResourceFlavor
metadata: {name: gpu}
---
apiVersion: v1
kind: Namespace
metadata: {name: ml}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: Cohort
metadata: {name: org}
spec:
  resourceGroups:
    - coveredResources: [nvidia.com/gpu]
      flavors: [{name: gpu, resources: [{name: nvidia.com/gpu, nominalQuota: 4}]}]
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: Cohort
metadata: {name: research}
spec:
  parentName: org
  resourceGroups:
    - coveredResources: [nvidia.com/gpu]
      flavors: [{name: gpu, resources: [{name: nvidia.com/gpu, nominalQuota: 2}]}]
---
apiVersion: kueue.x-k8s.io/v1beta1
kind: Cohort
metadata: {name: product}
spec: {parentName: org}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: ClusterQueue
metadata: {name: team-a}
spec:
  cohortName: research
  namespaceSelector: {}
  preemption: {withinClusterQueue: LowerPriority, reclaimWithinCohort: Any}
  resourceGroups:
    - coveredResources: [nvidia.com/gpu]
      flavors: [{name: gpu, resources: [{name: nvidia.com/gpu, nominalQuota: 2}]}]
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: ClusterQueue
metadata: {name: team-b}
spec:
  cohortName: product
  namespaceSelector: {}
  preemption: {withinClusterQueue: LowerPriority, reclaimWithinCohort: Any}
  resourceGroups:
    - coveredResources: [nvidia.com/gpu]
      flavors: [{name: gpu, resources: [{name: nvidia.com/gpu, nominalQuota: 4}]}]
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: LocalQueue
metadata: {name: a, namespace: ml}
spec: {clusterQueue: team-a}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: LocalQueue
metadata: {name: b, namespace: ml}
spec: {clusterQueue: team-b}
"#;

fn workload(name: &str, queue: &str, gpus: u32, priority: i32, created: &str) -> String {
    format!(
        "---\napiVersion: kueue.x-k8s.io/v1beta2\nkind: Workload\nmetadata: {{name: {name}, namespace: ml, creationTimestamp: \"{created}\"}}\nspec:\n  queueName: {queue}\n  priority: {priority}\n  podSets:\n    - name: main\n      count: 1\n      template: {{spec: {{containers: [{{name: c, image: i, resources: {{requests: {{nvidia.com/gpu: \"{gpus}\"}}}}}}]}}}}\n"
    )
}

fn scenario(timeline: &str) -> String {
    format!("apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: story}}\nspec:\n  include: [m.yaml]\n  duration: 3m\n  timeline:\n{timeline}")
}

/// Given team-a borrowing through the tree (its own 2 GPUs, research's 2, the org's 4 and
/// 2 of team-b's idle ones: two Workloads of 5 GPUs each), when team-b submits 4 GPUs of
/// its own nominal quota, Kueue reclaims them: team-b is closer to that quota than team-a, so
/// the lower-priority of team-a's Workloads is evicted whatever its priority against
/// team-b's, with the paths of both ClusterQueues in the message; the other one stays.
#[test]
fn a_team_reclaims_its_quota_borrowed_through_the_cohort_tree() {
    let m = format!(
        "{TREE}{}{}",
        workload("a-high", "a", 5, 10, "2026-11-23T10:00:00Z"),
        workload("a-low", "a", 5, 5, "2026-11-23T10:00:01Z"),
    );
    let b = workload("b-train", "b", 4, 0, "2026-11-23T10:01:00Z");
    let dir = folder(&[
        ("m.yaml", &m),
        ("b.yaml", &b),
        (
            "s.yaml",
            &scenario(
                "    - {at: 30s, run: \"oc get cohorts\"}\n    - {at: 1m, run: \"oc apply -f b.yaml\"}\n    - {at: 2m, run: \"oc describe cohort org\"}\n",
            ),
        ),
    ]);
    let done = simulate(&dir.path().join("s.yaml"));
    let store = done.result.engine.store();
    let find = |name: &str| store.workloads.values().find(|w| w.name == name).unwrap();
    let uid_b = find("b-train").uid;
    let evicted: Vec<&str> = store
        .workloads
        .values()
        .filter(|w| !w.evictions.is_empty())
        .map(|w| w.name.as_str())
        .collect();
    assert_eq!(evicted, ["a-low"]);
    let e = &find("a-low").evictions[0];
    assert_eq!(e.preemption_reason.as_deref(), Some("InCohortReclamation"));
    assert!(
        e.message
            .starts_with(&format!("Preempted to accommodate a workload (UID: {uid_b}, JobUID: ")),
        "{}",
        e.message
    );
    assert!(
        e.message.ends_with(
            "due to reclamation within the cohort; preemptor path: /org/product/team-b; preemptee path: /org/research/team-a"
        ),
        "{}",
        e.message
    );
    assert!(find("a-high").admission.is_some(), "the other borrower keeps its GPUs");
    assert!(find("b-train").admission.is_some(), "team-b got its nominal quota back");
    let get = &done.result.transcript[0].output;
    for line in ["NAME       PARENT", "org", "product    org", "research   org"] {
        assert!(get.contains(line), "`{line}` missing from\n{get}");
    }
    let describe = &done.result.transcript[2].output;
    assert!(describe.contains("Child Cohorts:  product, research"), "{describe}");
}

/// A cycle of Cohort parents leaves the ClusterQueues under it inactive: nothing there is
/// admitted, the report's inputs warn, and the Workload says why it waits.
#[test]
fn a_cycle_of_cohorts_admits_nothing_and_warns() {
    let cyclic = TREE.replace(
        "metadata: {name: org}\nspec:\n",
        "metadata: {name: org}\nspec:\n  parentName: research\n",
    );
    let m = format!("{cyclic}{}", workload("a-1", "a", 1, 0, "2026-11-23T10:00:00Z"));
    let dir = folder(&[
        ("m.yaml", &m),
        ("s.yaml", &scenario("    - {at: 1m, run: \"oc get cohorts\"}\n")),
    ]);
    let done = simulate(&dir.path().join("s.yaml"));
    let store = done.result.engine.store();
    let w = store.workloads.values().find(|w| w.name == "a-1").unwrap();
    assert!(w.admission.is_none());
    assert_eq!(w.pending_message.as_deref(), Some("ClusterQueue team-a is inactive"));
    let warnings = done.result.engine.warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("form a cycle (org → research → org)") && w.contains("(team-a, team-b)")),
        "{warnings:?}"
    );
}
