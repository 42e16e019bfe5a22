//! Manifest loading: kustomization resource lists and namespace, folders, skipped kinds.

mod common;
use common::*;

#[test]
fn kustomization_namespace_and_resources_apply_and_other_kinds_are_listed() {
    let kust = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: private-ai\nresources:\n  - queue.yaml\n  - extra/\n";
    let queue = CLUSTER.replace(
        "metadata: {name: default, namespace: private-ai}",
        "metadata: {name: default, namespace: somewhere-else}",
    );
    let extra_kust = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [route.yaml, pod.yaml]\npatches: [{path: p.yaml}]\n";
    let route = "apiVersion: route.openshift.io/v1\nkind: Route\nmetadata: {name: granite}\nspec: {to: {kind: Service, name: x}}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n";
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  tolerations: [{key: nvidia.com/gpu, operator: Exists}]\n  containers: [{name: c, image: i, resources: {limits: {nvidia.com/gpu: \"1\", cpu: \"1\", memory: 1Gi}}}]\n";
    let scenario = format!("apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: k}}\nspec:\n  duration: 5m\n  include: [base/]\n{NODE_POOLS}  expect:\n    - {{at: end, workload: p, namespace: private-ai, state: Ready}}\n");
    let dir = folder(&[
        ("base/kustomization.yaml", kust),
        ("base/queue.yaml", &queue),
        ("base/extra/kustomization.yaml", extra_kust),
        ("base/extra/route.yaml", route),
        ("base/extra/pod.yaml", pod),
        ("s.yaml", &scenario),
    ]);
    let done = simulate(&dir.path().join("s.yaml"));
    assert!(
        done.all_expectations_hold(),
        "{:?}",
        done.outcomes.iter().map(|o| &o.detail).collect::<Vec<_>>()
    );
    // The kustomization's namespace overrides the one written in the LocalQueue.
    assert!(done
        .result
        .engine
        .store()
        .local_queues
        .contains_key(&gpuaas_sim::store::ObjectKey::new("private-ai", "default")));
    let skipped: Vec<&str> = done.report.inputs.skipped.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(skipped, ["Route", "Secret"]);
    let warnings = done.report.inputs.warnings.join("\n");
    assert!(warnings.contains("`patches` is not applied"), "{warnings}");
}

#[test]
fn a_plain_manifest_folder_runs_with_defaults() {
    let dir = folder(&[("cluster.yaml", CLUSTER), ("nodes.yaml", "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n  labels: {node.kubernetes.io/instance-type: g6.4xlarge}\n")]);
    let done = simulate(dir.path());
    assert_eq!(done.report.duration_s, 3600.0);
    let gpus = done
        .report
        .nodes
        .first()
        .and_then(|n| n.allocatable.get("nvidia.com/gpu"));
    assert_eq!(gpus.map(|a| a.0), Some(1.0));
}
