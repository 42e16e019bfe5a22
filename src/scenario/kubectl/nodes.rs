//! Nodes: listed, described, labeled and annotated (cordon and drain are verbs of their own).

use super::{Columns, Describe, Metadata, MetadataOf, Resource};
use crate::api::meta::Labels;
use crate::engine::action::MetadataTarget;
use crate::engine::Engine;
use crate::scenario::printers::age;
use crate::store::{Node, Store};

pub(crate) struct Nodes;

/// The Kubernetes version every simulated kubelet reports.
const KUBELET_VERSION: &str = "v1.33.5";

impl Resource for Nodes {
    type Object<'s> = &'s Node;
    const NAMES: &'static [&'static str] = &["node", "nodes", "no"];
    const RESOURCE: &'static str = "node";
    const CLUSTER_SCOPED: bool = true;
    const HEADER: &'static [&'static str] = &["NAME", "STATUS", "ROLES", "AGE", "VERSION"];
    const DESCRIBE: Option<Describe<Self>> = Some(describe);
    const METADATA: Option<MetadataOf<Self>> = Some(metadata);

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
    fn row(store: &Store, n: &Node, _: Columns) -> Vec<String> {
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
        vec![
            n.name.clone(),
            status.into(),
            roles,
            age(store, n.created),
            KUBELET_VERSION.into(),
        ]
    }
}

fn metadata(n: &Node) -> Metadata {
    Metadata {
        target: MetadataTarget::Node(n.name.clone()),
        labels: n.labels.clone(),
        annotations: n.annotations.clone(),
    }
}

/// Whether it takes new pods, and what its pods request of what it has.
fn describe(_: &Engine, n: &Node) -> String {
    let mut o = format!("Name:               {}\nUnschedulable:      {}\nAllocated resources:\n  Resource           Requests    Allocatable\n", n.name, n.unschedulable);
    for (r, q) in &n.allocatable.0 {
        o.push_str(&format!("  {r:<18} {:<11} {q}\n", n.requested.get(r).to_string()));
    }
    o
}
