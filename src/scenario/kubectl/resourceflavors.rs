//! Kueue ResourceFlavors: listed and patched.

use super::meta::{uid, Meta};
use super::{stored_manifest, Columns, ManifestOf, Patch, PatchBase, Query, Resource};
use crate::api::kueue::ResourceFlavor;
use crate::api::meta::Labels;
use crate::scenario::oc_error::OcError;
use crate::scenario::printers::age;
use crate::store::Store;
use crate::units::SimTime;
use serde_json::{json, Map, Value};

pub(crate) struct ResourceFlavors;

impl Resource for ResourceFlavors {
    type Object<'s> = &'s ResourceFlavor;
    const NAMES: &'static [&'static str] = &["resourceflavor", "resourceflavors", "rf"];
    const RESOURCE: &'static str = "resourceflavor.kueue.x-k8s.io";
    const CLUSTER_SCOPED: bool = true;
    const HEADER: &'static [&'static str] = &["NAME", "AGE"];
    const PATCH: Option<Patch<Self>> = Some(patch);
    const MANIFEST: ManifestOf<Self> = manifest;

    fn objects(store: &Store) -> impl Iterator<Item = &ResourceFlavor> {
        store.flavors.values()
    }
    fn named<'s>(store: &'s Store, _: &str, name: &str) -> Option<&'s ResourceFlavor> {
        store.flavors.get(name)
    }
    fn namespace(_: Self::Object<'_>) -> &str {
        ""
    }
    fn name(f: Self::Object<'_>) -> &str {
        &f.name
    }
    /// The store keeps no creation time for flavors: their age is the run's.
    fn row(store: &Store, f: &ResourceFlavor, _: Columns) -> Vec<String> {
        vec![f.name.clone(), age(store, SimTime::ZERO)]
    }
    /// By name only: flavors carry no labels here.
    fn listed(f: &ResourceFlavor, q: &Query) -> bool {
        q.names_match(&f.name)
    }
}

/// The flavor as the API server returns it: the node labels and taints it stands for,
/// the tolerations it adds, its topology. Kueue writes no status for it.
fn manifest(store: &Store, f: &ResourceFlavor) -> Value {
    let no_labels = Labels::new();
    let mut metadata = Meta {
        name: &f.name,
        namespace: "",
        labels: &no_labels,
        annotations: &no_labels,
        created: SimTime::ZERO,
        uid: &uid("ResourceFlavor", "", &f.name),
    }
    .to_json(store);
    metadata.insert("finalizers".into(), json!(["kueue.x-k8s.io/resource-in-use"]));
    let mut spec = Map::new();
    if !f.node_labels.is_empty() {
        spec.insert("nodeLabels".into(), json!(f.node_labels));
    }
    if !f.node_taints.is_empty() {
        let taints: Vec<Value> = f
            .node_taints
            .iter()
            .map(|t| json!({"effect": t.effect.as_str(), "key": t.key, "value": t.value}))
            .collect();
        spec.insert("nodeTaints".into(), Value::Array(taints));
    }
    if !f.tolerations.is_empty() {
        spec.insert(
            "tolerations".into(),
            Value::Array(f.tolerations.iter().map(|t| t.to_json()).collect()),
        );
    }
    if let Some(t) = &f.topology_name {
        spec.insert("topologyName".into(), json!(t));
    }
    super::meta::object(
        "kueue.x-k8s.io/v1beta2",
        "ResourceFlavor",
        metadata,
        Value::Object(spec),
        None,
    )
}

/// The document the flavor was applied with.
fn patch(store: &Store, f: &ResourceFlavor) -> Result<PatchBase, OcError> {
    stored_manifest(store, "ResourceFlavor", "", &f.name)
}
