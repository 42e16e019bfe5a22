//! Kueue Cohorts: listed, described and patched. Only Cohort objects are listed; a cohort
//! that ClusterQueues name without an object exists in Kueue's cache, not in the API.

use super::meta::{uid, Meta};
use super::{stored_manifest, Columns, Describe, ManifestOf, Patch, PatchBase, Query, Resource};
use crate::api::kueue::Cohort;
use crate::api::meta::Labels;
use crate::engine::Engine;
use crate::scenario::oc_error::OcError;
use crate::scenario::printers::indent;
use crate::store::Store;
use crate::units::SimTime;
use serde_json::{json, Map, Value};

pub(crate) struct Cohorts;

impl Resource for Cohorts {
    type Object<'s> = &'s Cohort;
    const NAMES: &'static [&'static str] = &["cohort", "cohorts"];
    const RESOURCE: &'static str = "cohort.kueue.x-k8s.io";
    const CLUSTER_SCOPED: bool = true;
    const HEADER: &'static [&'static str] = &["NAME", "PARENT"];
    const DESCRIBE: Option<Describe<Self>> = Some(describe);
    const PATCH: Option<Patch<Self>> = Some(patch);
    const MANIFEST: ManifestOf<Self> = manifest;

    fn objects(store: &Store) -> impl Iterator<Item = &Cohort> {
        store.cohorts.values()
    }
    fn named<'s>(store: &'s Store, _: &str, name: &str) -> Option<&'s Cohort> {
        store.cohorts.get(name)
    }
    fn namespace(_: Self::Object<'_>) -> &str {
        ""
    }
    fn name(c: Self::Object<'_>) -> &str {
        &c.name
    }
    fn row(_: &Store, c: &Cohort, _: Columns) -> Vec<String> {
        vec![c.name.clone(), c.parent.clone().unwrap_or_default()]
    }
    /// By name only, as ClusterQueues.
    fn listed(c: &Cohort, q: &Query) -> bool {
        q.names_match(&c.name)
    }
}

/// The Cohort as the API server returns it: its parent and its quotas.
fn manifest(store: &Store, c: &Cohort) -> Value {
    let no_labels = Labels::new();
    let metadata = Meta {
        name: &c.name,
        namespace: "",
        labels: &no_labels,
        annotations: &no_labels,
        created: SimTime::ZERO,
        uid: &uid("Cohort", "", &c.name),
    }
    .to_json(store);
    let mut spec = Map::new();
    if let Some(p) = &c.parent {
        spec.insert("parentName".into(), json!(p));
    }
    spec.insert(
        "resourceGroups".into(),
        super::clusterqueues::resource_groups(&c.resource_groups),
    );
    super::meta::object("kueue.x-k8s.io/v1beta2", "Cohort", metadata, Value::Object(spec), None)
}

/// The document the Cohort was applied with.
fn patch(store: &Store, c: &Cohort) -> Result<PatchBase, OcError> {
    stored_manifest(store, "Cohort", "", &c.name)
}

/// Its parent, its quotas, and the ClusterQueues and Cohorts right below it.
fn describe(engine: &Engine, c: &Cohort) -> String {
    let store = engine.store();
    let mut o = format!(
        "Name:         {}\nNamespace:    \nLabels:       <none>\nAnnotations:  <none>\nAPI Version:  kueue.x-k8s.io/v1beta2\nKind:         Cohort\nSpec:\n",
        c.name
    );
    if let Some(p) = &c.parent {
        indent(&mut o, 1, "Parent Name", p);
    }
    indent(&mut o, 1, "Resource Groups", "");
    for g in &c.resource_groups {
        indent(&mut o, 2, "Covered Resources", &g.covered.join(", "));
        indent(&mut o, 2, "Flavors", "");
        for f in &g.flavors {
            indent(&mut o, 3, "Name", &f.name);
            indent(&mut o, 3, "Resources", "");
            for r in &f.resources {
                if let Some(b) = r.borrowing_limit {
                    indent(&mut o, 4, "Borrowing Limit", &b.to_string());
                }
                if let Some(l) = r.lending_limit {
                    indent(&mut o, 4, "Lending Limit", &l.to_string());
                }
                indent(&mut o, 4, "Name", &r.name);
                indent(&mut o, 4, "Nominal Quota", &r.nominal.to_string());
            }
        }
    }
    let children: Vec<&str> = store
        .cohorts
        .values()
        .filter(|k| k.parent.as_deref() == Some(c.name.as_str()))
        .map(|k| k.name.as_str())
        .collect();
    let queues: Vec<&str> = store
        .cluster_queues
        .values()
        .filter(|q| q.cohort.as_deref() == Some(c.name.as_str()))
        .map(|q| q.name.as_str())
        .collect();
    let list = |v: &[&str]| {
        if v.is_empty() {
            "<none>".to_string()
        } else {
            v.join(", ")
        }
    };
    indent(&mut o, 0, "Child Cohorts", &list(&children));
    indent(&mut o, 0, "Child ClusterQueues", &list(&queues));
    o
}
