//! Helpers shared by the integration tests: write a scenario folder, run it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gpuaas-sim"))
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Writes `files` (relative path, content) into a fresh temporary folder.
pub fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, content) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    dir
}

pub fn simulate(path: &Path) -> gpuaas_sim::Completed {
    let mut prepared = gpuaas_sim::scenario::run::discover(&[path.to_path_buf()]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(prepared.len(), 1, "one scenario expected");
    let done = gpuaas_sim::simulate(prepared.remove(0)).unwrap_or_else(|e| panic!("{e}"));
    let store = done.result.engine.store();
    assert!(
        store.pods.indexes_consistent()
            && store.deployments.indexes_consistent()
            && store.replicasets.indexes_consistent()
            && store.jobs.indexes_consistent()
            && store.leader_worker_sets.indexes_consistent(),
        "the store's indexes drifted from its objects"
    );
    done
}

/// The demo's cluster and queue, written the way the seed writes them.
pub const CLUSTER: &str = r#"
apiVersion: kueue.x-k8s.io/v1beta1
kind: ResourceFlavor
metadata: {name: nvidia-l4-1gpu}
spec:
  nodeLabels: {node.kubernetes.io/instance-type: g6.4xlarge}
  tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
---
apiVersion: kueue.x-k8s.io/v1beta1
kind: ResourceFlavor
metadata: {name: nvidia-l4-4gpu}
spec:
  nodeLabels: {node.kubernetes.io/instance-type: g6.12xlarge}
  tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
---
apiVersion: kueue.x-k8s.io/v1beta1
kind: ClusterQueue
metadata: {name: rhoai-main-queue}
spec:
  namespaceSelector: {}
  resourceGroups:
    - coveredResources: [cpu, memory, nvidia.com/gpu]
      flavors:
        - name: nvidia-l4-1gpu
          resources:
            - {name: cpu, nominalQuota: 16}
            - {name: memory, nominalQuota: 64Gi}
            - {name: nvidia.com/gpu, nominalQuota: 1}
        - name: nvidia-l4-4gpu
          resources:
            - {name: cpu, nominalQuota: 48}
            - {name: memory, nominalQuota: 192Gi}
            - {name: nvidia.com/gpu, nominalQuota: 4}
---
apiVersion: kueue.x-k8s.io/v1beta1
kind: LocalQueue
metadata: {name: default, namespace: private-ai}
spec: {clusterQueue: rhoai-main-queue}
"#;

pub const NODE_POOLS: &str = r#"
  nodePools:
    - {name: gpu-4x, instanceType: g6.12xlarge, count: 1, taints: [{key: nvidia.com/gpu, value: "true", effect: NoSchedule}]}
    - {name: gpu-1x, instanceType: g6.4xlarge, count: 1, taints: [{key: nvidia.com/gpu, value: "true", effect: NoSchedule}]}
"#;

/// A `chat` namespace with a vLLM ServingRuntime, for the autoscaling stories.
pub const CHAT_RUNTIME: &str = r#"
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
"#;

/// An InferenceService of Llama 3.1 8B on one L4 in `chat`, in this deployment mode, with
/// these extra annotations (`, key: value`) and predictor fields (indented lines).
pub fn chat_isvc(mode: &str, name: &str, annotations: &str, predictor: &str) -> String {
    format!(
        r#"---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: {name}
  namespace: chat
  annotations: {{serving.kserve.io/deploymentMode: {mode}{annotations}}}
spec:
  predictor:
{predictor}    tolerations: [{{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}}]
    model:
      modelFormat: {{name: vLLM}}
      runtime: vllm-runtime
      storageUri: oci://registry.redhat.io/rhelai1/modelcar-llama-3-1-8b-instruct:1.5
      args: [--max-model-len=8192]
      resources:
        requests: {{cpu: "4", memory: 32Gi, nvidia.com/gpu: "1"}}
        limits: {{cpu: "4", memory: 32Gi, nvidia.com/gpu: "1"}}
"#
    )
}

/// Runs these manifests on one g6.12xlarge (4 L4s, tainted for GPU pods) with the rest of
/// the Scenario's spec as given.
pub fn run_on_l4s(manifests: &str, spec_tail: &str) -> gpuaas_sim::Completed {
    let scenario = format!(
        "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: story}}\nspec:\n  include: [m.yaml]\n  nodePools:\n    - {{name: l4, instanceType: g6.12xlarge, count: 1, taints: [{{key: nvidia.com/gpu, value: \"true\", effect: NoSchedule}}]}}\n{spec_tail}"
    );
    let dir = folder(&[("m.yaml", manifests), ("s.yaml", &scenario)]);
    simulate(&dir.path().join("s.yaml"))
}
