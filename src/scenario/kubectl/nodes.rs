//! Nodes: listed, described, labeled and annotated (cordon and drain are verbs of their own).

use super::meta::{timestamp, uid, Meta};
use super::{Columns, Describe, ManifestOf, Metadata, MetadataOf, Resource};
use crate::api::meta::Labels;
use crate::engine::action::MetadataTarget;
use crate::engine::Engine;
use crate::scenario::printers::age;
use crate::store::{Node, NodeReady, Store};
use serde_json::{json, Map, Value};

pub(crate) struct Nodes;

/// The Kubernetes version every simulated kubelet reports.
const KUBELET_VERSION: &str = "v1.33.5";

impl Resource for Nodes {
    type Object<'s> = &'s Node;
    const NAMES: &'static [&'static str] = &["node", "nodes", "no"];
    const RESOURCE: &'static str = "node";
    const CLUSTER_SCOPED: bool = true;
    const HEADER: &'static [&'static str] = &["NAME", "STATUS", "ROLES", "AGE", "VERSION"];
    const HEADER_WIDE: &'static [&'static str] = &[
        "NAME",
        "STATUS",
        "ROLES",
        "AGE",
        "VERSION",
        "INTERNAL-IP",
        "EXTERNAL-IP",
        "OS-IMAGE",
        "KERNEL-VERSION",
        "CONTAINER-RUNTIME",
    ];
    const DESCRIBE: Option<Describe<Self>> = Some(describe);
    const METADATA: Option<MetadataOf<Self>> = Some(metadata);
    const MANIFEST: ManifestOf<Self> = manifest;

    fn objects(store: &Store) -> impl Iterator<Item = &Node> {
        store.nodes.values()
    }
    fn named<'s>(store: &'s Store, _: &str, name: &str) -> Option<&'s Node> {
        store.nodes.get(name)
    }
    fn namespace(_: Self::Object<'_>) -> &str {
        ""
    }
    fn name(n: Self::Object<'_>) -> &str {
        &n.name
    }
    fn labels(n: Self::Object<'_>) -> &Labels {
        &n.labels
    }
    fn row(store: &Store, n: &Node, columns: Columns) -> Vec<String> {
        let status = if n.unschedulable {
            "Ready,SchedulingDisabled"
        } else {
            "Ready"
        };
        let mut roles: Vec<&str> = n
            .labels
            .keys()
            .filter_map(|k| k.strip_prefix("node-role.kubernetes.io/"))
            .collect();
        roles.sort();
        let roles = if roles.is_empty() {
            "<none>".to_string()
        } else {
            roles.join(",")
        };
        let mut row = vec![
            n.name.clone(),
            status.into(),
            roles,
            age(store, n.created),
            KUBELET_VERSION.into(),
        ];
        if columns == Columns::Wide {
            // kubectl's `<none>` and `<unknown>` where the node reports nothing: the
            // simulation knows no OS image or kernel.
            row.extend([
                internal_ip(&n.name).unwrap_or_else(|| "<none>".into()),
                "<none>".into(),
                "<unknown>".into(),
                "<unknown>".into(),
                CONTAINER_RUNTIME.into(),
            ]);
        }
        row
    }
}

/// The container runtime OpenShift's nodes run (`nodeInfo.containerRuntimeVersion`).
const CONTAINER_RUNTIME: &str = "cri-o://1.33.5";

/// The address an EC2 node's private DNS name spells (`ip-10-0-31-12.…` is 10.0.31.12).
fn internal_ip(name: &str) -> Option<String> {
    let host = name.split('.').next()?.strip_prefix("ip-")?;
    let parts: Vec<&str> = host.split('-').collect();
    let valid = parts.len() == 4 && parts.iter().all(|p| p.parse::<u8>().is_ok());
    valid.then(|| parts.join("."))
}

fn metadata(n: &Node) -> Metadata {
    Metadata {
        target: MetadataTarget::Node(n.name.clone()),
        labels: n.labels.clone(),
        annotations: n.annotations.clone(),
    }
}

/// The Node as the API server returns it: its taints and cordon, and the status its
/// kubelet posts (capacity, allocatable — a failed GPU withdrawn —, the `Ready`
/// condition, which turns Unknown when the kubelet stops posting).
fn manifest(store: &Store, n: &Node) -> Value {
    let mut metadata = Meta {
        name: &n.name,
        namespace: "",
        labels: &n.labels,
        annotations: &n.annotations,
        created: n.created,
        uid: &uid("Node", "", &n.name),
    }
    .to_json(store);
    metadata.remove("namespace");
    let mut spec = Map::new();
    if !n.taints.is_empty() {
        let taints: Vec<Value> = n
            .taints
            .iter()
            .map(|t| {
                let mut m = Map::new();
                m.insert("effect".into(), json!(t.effect.as_str()));
                m.insert("key".into(), json!(t.key));
                if !t.value.is_empty() {
                    m.insert("value".into(), json!(t.value));
                }
                Value::Object(m)
            })
            .collect();
        spec.insert("taints".into(), Value::Array(taints));
    }
    if n.unschedulable {
        spec.insert("unschedulable".into(), json!(true));
    }
    let mut capacity = n.allocatable.clone();
    if n.failed_gpus > 0 {
        let gpu = capacity.0.keys().find(|r| crate::api::core::is_gpu(r)).cloned();
        if let Some(g) = gpu {
            let q = capacity.get(&g) + crate::units::Quantity::from_units(i64::from(n.failed_gpus));
            capacity.0.insert(g, q);
        }
    }
    let since = timestamp(store, n.created);
    let pressure = |ty: &str, reason: &str, message: &str| {
        json!({"lastHeartbeatTime": timestamp(store, store.now), "lastTransitionTime": since, "message": message,
               "reason": reason, "status": "False", "type": ty})
    };
    let ready = match n.ready {
        NodeReady::True => json!({"lastHeartbeatTime": timestamp(store, store.now), "lastTransitionTime": since,
            "message": "kubelet is posting ready status", "reason": "KubeletReady", "status": "True", "type": "Ready"}),
        NodeReady::Unknown => json!({"lastHeartbeatTime": since, "lastTransitionTime": timestamp(store, store.now),
            "message": "Kubelet stopped posting node status.", "reason": "NodeStatusUnknown", "status": "Unknown", "type": "Ready"}),
    };
    let status = json!({
        "allocatable": n.allocatable.to_json(),
        "capacity": capacity.to_json(),
        "conditions": [
            pressure("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            pressure("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            pressure("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            ready,
        ],
        "nodeInfo": {
            "architecture": "amd64",
            "containerRuntimeVersion": CONTAINER_RUNTIME,
            "kubeletVersion": KUBELET_VERSION,
            "operatingSystem": "linux",
        },
    });
    super::meta::object("v1", "Node", metadata, Value::Object(spec), Some(status))
}

/// Whether it takes new pods, and what its pods request of what it has.
fn describe(_: &Engine, n: &Node) -> String {
    let mut o = format!("Name:               {}\nUnschedulable:      {}\nAllocated resources:\n  Resource           Requests    Allocatable\n", n.name, n.unschedulable);
    for (r, q) in &n.allocatable.0 {
        o.push_str(&format!("  {r:<18} {:<11} {q}\n", n.requested.get(r).to_string()));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::internal_ip;

    #[test]
    fn an_ec2_private_dns_name_spells_its_address() {
        let cases = [
            ("ip-10-0-31-12.us-east-2.compute.internal", Some("10.0.31.12")),
            ("ip-10-0-47-201", Some("10.0.47.201")),
            ("ip-10-0-300-1.ec2.internal", None),
            ("gpu-node-0", None),
            ("ip-10-0-1", None),
        ];
        for (name, want) in cases {
            assert_eq!(internal_ip(name).as_deref(), want, "{name}");
        }
    }
}
