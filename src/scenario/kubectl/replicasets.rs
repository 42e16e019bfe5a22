//! ReplicaSets: listed, scaled, labeled, annotated and deleted.

use super::meta::{controller_ref, uid, Meta};
use super::{Columns, Delete, ManifestOf, Metadata, MetadataOf, Resource, Scale};
use crate::api::meta::Labels;
use crate::engine::action::{Action, MetadataTarget};
use crate::scenario::printers::{age, template_wide};
use crate::store::{ReplicaSet, Store};
use crate::units::SimDuration;
use serde_json::{json, Value};

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
    const MANIFEST: ManifestOf<Self> = manifest;

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

/// The ReplicaSet as the API server returns it: the Deployment's revision annotations,
/// its owner, its selector with the `pod-template-hash`, and its pods counted.
fn manifest(store: &Store, r: &ReplicaSet) -> Value {
    let deployment = r.deployment.and_then(|d| store.deployments.get(d));
    let mut annotations = r.annotations.clone();
    annotations.insert("deployment.kubernetes.io/revision".into(), r.revision.to_string());
    if let Some(d) = deployment {
        annotations.insert(
            "deployment.kubernetes.io/desired-replicas".into(),
            d.spec.replicas.to_string(),
        );
    }
    let mut metadata = Meta {
        name: &r.name,
        namespace: &r.namespace,
        labels: &r.labels,
        annotations: &annotations,
        created: r.created,
        uid: &uid("ReplicaSet", &r.namespace, &r.name),
    }
    .to_json(store);
    if let Some(d) = deployment {
        let owner = controller_ref(
            "apps/v1",
            "Deployment",
            &d.name,
            &uid("Deployment", &d.namespace, &d.name),
        );
        metadata.insert("ownerReferences".into(), json!([owner]));
    }
    let mut selector = r.template.labels.clone();
    selector.insert("pod-template-hash".into(), r.template_hash.clone());
    let mut template_labels = r.template.labels.clone();
    template_labels.insert("pod-template-hash".into(), r.template_hash.clone());
    let spec = json!({
        "replicas": r.replicas,
        "selector": {"matchLabels": selector},
        "template": {
            "metadata": {"annotations": r.template.annotations, "labels": template_labels},
            "spec": r.template.spec.to_json(),
        },
    });
    let pods: Vec<_> = r
        .pods
        .iter()
        .filter_map(|p| store.pods.get(*p))
        .filter(|p| !p.is_terminating())
        .collect();
    let min_ready = SimDuration::from_secs(deployment.map_or(0, |d| d.spec.min_ready_seconds));
    let ready = pods.iter().filter(|p| p.is_ready()).count();
    let available = pods.iter().filter(|p| p.is_available(min_ready, store.now)).count();
    let mut status = serde_json::Map::new();
    if available > 0 {
        status.insert("availableReplicas".into(), json!(available));
    }
    status.insert("fullyLabeledReplicas".into(), json!(pods.len()));
    status.insert("observedGeneration".into(), json!(1));
    if ready > 0 {
        status.insert("readyReplicas".into(), json!(ready));
    }
    status.insert("replicas".into(), json!(pods.len()));
    super::meta::object("apps/v1", "ReplicaSet", metadata, spec, Some(Value::Object(status)))
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
