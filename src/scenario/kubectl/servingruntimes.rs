//! KServe ServingRuntimes: listed only.

use super::meta::{uid, Meta};
use super::{Columns, ManifestOf, Resource};
use crate::api::kserve::ServingRuntime;
use crate::api::meta::Labels;
use crate::store::{ObjectKey, Store};
use crate::units::SimTime;
use serde_json::{json, Map, Value};

pub(crate) struct ServingRuntimes;

impl Resource for ServingRuntimes {
    /// The store's key holds the runtime's namespace, which its manifest may leave out.
    type Object<'s> = (&'s ObjectKey, &'s ServingRuntime);
    const NAMES: &'static [&'static str] = &["servingruntime", "servingruntimes"];
    const RESOURCE: &'static str = "servingruntime.serving.kserve.io";
    const HEADER: &'static [&'static str] = &["NAME", "DISABLED", "MODELTYPE", "CONTAINERS", "AGE"];
    const MANIFEST: ManifestOf<Self> = manifest;

    fn objects(store: &Store) -> impl Iterator<Item = (&ObjectKey, &ServingRuntime)> {
        store.runtimes.iter()
    }
    fn named<'s>(store: &'s Store, ns: &str, name: &str) -> Option<(&'s ObjectKey, &'s ServingRuntime)> {
        store.runtimes.get_key_value(&ObjectKey::new(ns, name))
    }
    fn namespace((key, _): Self::Object<'_>) -> &str {
        &key.namespace
    }
    fn name((_, r): Self::Object<'_>) -> &str {
        &r.meta.name
    }
    fn labels((_, r): Self::Object<'_>) -> &Labels {
        &r.meta.labels
    }
    /// KServe's printer columns: `.spec.disabled` (unset), the first model format, the
    /// first container; the store keeps no creation time for runtimes: their age is the
    /// run's.
    fn row(store: &Store, (_, r): Self::Object<'_>, _: Columns) -> Vec<String> {
        vec![
            r.meta.name.clone(),
            String::new(),
            r.model_formats.first().map(|f| f.0.clone()).unwrap_or_default(),
            r.containers.first().map(|c| c.name.clone()).unwrap_or_default(),
            crate::scenario::printers::age(store, SimTime::ZERO),
        ]
    }
    /// A runtime whose manifest names no namespace answers to any `-n`; the writes then
    /// refuse it as not simulated rather than not found.
    fn selectable((_, r): Self::Object<'_>, ns: &str) -> bool {
        r.meta.namespace.as_deref().unwrap_or(ns) == ns
    }
}

/// The runtime as the API server returns it: its model formats, containers and
/// scheduling constraints. KServe writes no status for it.
fn manifest(store: &Store, (key, r): (&ObjectKey, &ServingRuntime)) -> Value {
    let metadata = Meta {
        name: &r.meta.name,
        namespace: &key.namespace,
        labels: &r.meta.labels,
        annotations: &r.meta.annotations,
        created: SimTime::ZERO,
        uid: &uid("ServingRuntime", &key.namespace, &r.meta.name),
    }
    .to_json(store);
    let mut spec = Map::new();
    spec.insert(
        "containers".into(),
        Value::Array(r.containers.iter().map(|c| c.to_json()).collect()),
    );
    if !r.node_selector.is_empty() {
        spec.insert("nodeSelector".into(), json!(r.node_selector));
    }
    let formats: Vec<Value> = r
        .model_formats
        .iter()
        .map(|(name, auto)| json!({"autoSelect": auto, "name": name}))
        .collect();
    spec.insert("supportedModelFormats".into(), Value::Array(formats));
    if !r.tolerations.is_empty() {
        spec.insert(
            "tolerations".into(),
            Value::Array(r.tolerations.iter().map(|t| t.to_json()).collect()),
        );
    }
    super::meta::object(
        "serving.kserve.io/v1alpha1",
        "ServingRuntime",
        metadata,
        Value::Object(spec),
        None,
    )
}
