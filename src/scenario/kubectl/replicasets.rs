//! ReplicaSets: listed, scaled, labeled, annotated and deleted.

use super::{Columns, Delete, Metadata, MetadataOf, Resource, Scale};
use crate::api::meta::Labels;
use crate::engine::action::{Action, MetadataTarget};
use crate::scenario::printers::{age, template_wide};
use crate::store::{ReplicaSet, Store};
use crate::units::SimDuration;

pub(crate) struct ReplicaSets;

impl Resource for ReplicaSets {
    type Object<'s> = &'s ReplicaSet;
    const NAMES: &'static [&'static str] = &["replicaset", "replicasets", "rs"];
    const RESOURCE: &'static str = "replicaset.apps";
    const HEADER: &'static [&'static str] = &["NAME", "DESIRED", "CURRENT", "READY", "AGE"];
    const HEADER_WIDE: &'static [&'static str] = &[
        "NAME",
        "DESIRED",
        "CURRENT",
        "READY",
        "AGE",
        "CONTAINERS",
        "IMAGES",
        "SELECTOR",
    ];
    const SCALE: Option<Scale<Self>> = Some(scale);
    const METADATA: Option<MetadataOf<Self>> = Some(metadata);
    const DELETE: Option<Delete<Self>> = Some(delete);

    fn objects(store: &Store) -> impl Iterator<Item = &ReplicaSet> {
        store.replicasets.values()
    }
    fn named<'s>(store: &'s Store, ns: &str, name: &str) -> Option<&'s ReplicaSet> {
        store.replicasets.named(ns, name)
    }
    fn namespace(r: Self::Object<'_>) -> &str {
        &r.namespace
    }
    fn name(r: Self::Object<'_>) -> &str {
        &r.name
    }
    fn labels(r: Self::Object<'_>) -> &Labels {
        &r.labels
    }
    fn row(store: &Store, r: &ReplicaSet, columns: Columns) -> Vec<String> {
        let pods: Vec<_> = r
            .pods
            .iter()
            .filter_map(|p| store.pods.get(*p))
            .filter(|p| !p.is_terminating())
            .collect();
        let ready = pods.iter().filter(|p| p.is_ready()).count();
        let mut row = vec![
            r.name.clone(),
            r.replicas.to_string(),
            pods.len().to_string(),
            ready.to_string(),
            age(store, r.created),
        ];
        if columns == Columns::Wide {
            let mut selector = r.template.labels.clone();
            selector.insert("pod-template-hash".into(), r.template_hash.clone());
            row.extend(template_wide(&r.template, &selector));
        }
        row
    }
}

fn scale(r: &ReplicaSet, replicas: i32) -> Action {
    Action::SetReplicaSetReplicas { id: r.uid, replicas }
}

fn metadata(r: &ReplicaSet) -> Metadata {
    Metadata {
        target: MetadataTarget::ReplicaSet(r.uid),
        labels: r.labels.clone(),
        annotations: r.annotations.clone(),
    }
}

fn delete(r: &ReplicaSet, grace: Option<SimDuration>) -> Action {
    Action::DeleteReplicaSet { id: r.uid, grace }
}
