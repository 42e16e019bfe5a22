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
