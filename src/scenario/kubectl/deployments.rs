//! Deployments: listed, scaled, restarted, labeled, annotated, patched and deleted.

use super::meta::{controller_ref, timestamp, uid, Meta};
use super::{find, Columns, Delete, ManifestOf, Metadata, MetadataOf, Patch, PatchBase, Resource, Scale};
use crate::api::apps::Strategy;
use crate::api::meta::Labels;
use crate::controllers::deployment::resolve_fenceposts;
use crate::engine::action::{Action, DeploymentWrite, MetadataTarget};
use crate::scenario::oc_error::OcError;
use crate::scenario::printers::{age, template_wide};
use crate::store::{Deployment, Store};
use crate::units::{SimDuration, SimTime};
use serde_json::{json, Value};

pub(crate) struct Deployments;

impl Resource for Deployments {
    type Object<'s> = &'s Deployment;
    const NAMES: &'static [&'static str] = &["deployment", "deployments", "deploy"];
    const RESOURCE: &'static str = "deployment.apps";
    const HEADER: &'static [&'static str] = &["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"];
    const HEADER_WIDE: &'static [&'static str] = &[
        "NAME",
        "READY",
        "UP-TO-DATE",
        "AVAILABLE",
        "AGE",
        "CONTAINERS",
        "IMAGES",
        "SELECTOR",
    ];
    const SCALE: Option<Scale<Self>> = Some(scale);
    const METADATA: Option<MetadataOf<Self>> = Some(metadata);
    const DELETE: Option<Delete<Self>> = Some(delete);
    const PATCH: Option<Patch<Self>> = Some(patch);
    const MANIFEST: ManifestOf<Self> = manifest;

    fn objects(store: &Store) -> impl Iterator<Item = &Deployment> {
        store.deployments.values()
    }
    fn named<'s>(store: &'s Store, ns: &str, name: &str) -> Option<&'s Deployment> {
        store.deployment(ns, name)
    }
    fn namespace(d: Self::Object<'_>) -> &str {
        &d.namespace
    }
    fn name(d: Self::Object<'_>) -> &str {
        &d.name
    }
    fn labels(d: Self::Object<'_>) -> &Labels {
        &d.labels
    }
    fn row(store: &Store, d: &Deployment, columns: Columns) -> Vec<String> {
        let st = deployment_status(store, d);
        let mut row = vec![
            d.name.clone(),
            format!("{}/{}", st.ready, d.spec.replicas),
            st.updated.to_string(),
            st.available.to_string(),
            age(store, d.created),
        ];
        if columns == Columns::Wide {
            row.extend(template_wide(&d.spec.template, &d.spec.selector.match_labels));
        }
        row
    }
}

fn scale(d: &Deployment, replicas: i32) -> Action {
    Action::ScaleDeployment { id: d.uid, replicas }
}

fn metadata(d: &Deployment) -> Metadata {
    Metadata {
        target: MetadataTarget::Deployment(d.uid),
        labels: d.labels.clone(),
        annotations: d.annotations.clone(),
    }
}

fn delete(d: &Deployment, grace: Option<SimDuration>) -> Action {
    Action::DeleteDeployment { id: d.uid, grace }
}

/// The live object, not the manifest it came from: scale, restart and annotate have
/// changed it since.
fn patch(_: &Store, d: &Deployment) -> Result<PatchBase, OcError> {
    Ok(PatchBase {
        kind: "Deployment",
        doc: crate::scenario::render::deployment(d),
    })
}

/// The Deployment as the API server returns it: its spec, its owner (the
/// InferenceService whose predictor it is), and the status the Deployment controller
/// writes — replica counts and the Available and Progressing conditions.
fn manifest(store: &Store, d: &Deployment) -> Value {
    let mut doc = crate::scenario::render::deployment(d);
    let mut metadata = Meta {
        name: &d.name,
        namespace: &d.namespace,
        labels: &d.labels,
        annotations: &d.annotations,
        created: d.created,
        uid: &uid("Deployment", &d.namespace, &d.name),
    }
    .to_json(store);
    metadata.insert("generation".into(), json!(d.next_revision.max(1)));
    if let Some(isvc) = &d.owner_isvc {
        let owner = controller_ref(
            "serving.kserve.io/v1beta1",
            "InferenceService",
            isvc,
            &uid("InferenceService", &d.namespace, isvc),
        );
        metadata.insert("ownerReferences".into(), json!([owner]));
    }
    doc["metadata"] = Value::Object(metadata);
    let st = deployment_status(store, d);
    let replicas = store
        .replicasets_of(d.uid)
        .into_iter()
        .flat_map(|rs| rs.pods.iter())
        .filter_map(|p| store.pods.get(*p))
        .filter(|p| !p.is_terminating())
        .count();
    let conditions: Vec<Value> = deployment_conditions(store, d)
        .into_iter()
        .map(|c| {
            let at = timestamp(store, c.at);
            json!({"lastTransitionTime": at, "lastUpdateTime": at, "message": c.message,
                   "reason": c.reason, "status": if c.status { "True" } else { "False" }, "type": c.ty})
        })
        .collect();
    let mut status = serde_json::Map::new();
    if st.available > 0 {
        status.insert("availableReplicas".into(), json!(st.available));
    }
    status.insert("conditions".into(), Value::Array(conditions));
    status.insert("observedGeneration".into(), json!(d.next_revision.max(1)));
    if st.ready > 0 {
        status.insert("readyReplicas".into(), json!(st.ready));
    }
    if replicas > 0 {
        status.insert("replicas".into(), json!(replicas));
    }
    let unavailable = d.spec.replicas - st.available;
    if unavailable > 0 {
        status.insert("unavailableReplicas".into(), json!(unavailable));
    }
    if st.updated > 0 {
        status.insert("updatedReplicas".into(), json!(st.updated));
    }
    doc["status"] = Value::Object(status);
    doc
}

/// One of a Deployment's conditions.
pub(crate) struct DeploymentCondition {
    pub ty: &'static str,
    pub status: bool,
    pub reason: &'static str,
    pub message: String,
    pub at: SimTime,
}

/// `Available` and `Progressing` as the Deployment controller sets them: available
/// since enough of its pods were ready (`MinimumReplicasAvailable`), or not
/// (`MinimumReplicasUnavailable`); its newest ReplicaSet done (`NewReplicaSetAvailable`)
/// or still rolling out (`ReplicaSetUpdated`).
pub(crate) fn deployment_conditions(store: &Store, d: &Deployment) -> Vec<DeploymentCondition> {
    let available = deployment_available(store, d);
    let pods: Vec<&crate::store::Pod> = store
        .replicasets_of(d.uid)
        .into_iter()
        .flat_map(|rs| rs.pods.iter())
        .filter_map(|p| store.pods.get(*p))
        .filter(|p| !p.is_terminating())
        .collect();
    let min_ready = SimDuration::from_secs(d.spec.min_ready_seconds);
    let mut ready_since: Vec<SimTime> = pods
        .iter()
        .filter(|p| p.is_available(min_ready, store.now))
        .filter_map(|p| p.ready_at.map(|r| r + min_ready))
        .collect();
    ready_since.sort();
    let st = deployment_status(store, d);
    let needed = (d.spec.replicas - (d.spec.replicas - st.available).max(0)).max(1) as usize;
    let available_at = if available {
        ready_since
            .get(needed.min(ready_since.len()).saturating_sub(1))
            .copied()
            .unwrap_or(d.created)
    } else {
        pods.iter().map(|p| p.created).max().unwrap_or(d.created).max(d.created)
    };
    let newest = store.replicasets_of(d.uid).into_iter().max_by_key(|rs| rs.revision);
    let rs_name = newest.map(|rs| rs.name.clone()).unwrap_or_default();
    let rolled_out = available && st.updated == d.spec.replicas;
    let rs_created = newest.map_or(d.created, |rs| rs.created);
    vec![
        DeploymentCondition {
            ty: "Available",
            status: available,
            reason: if available {
                "MinimumReplicasAvailable"
            } else {
                "MinimumReplicasUnavailable"
            },
            message: if available {
                "Deployment has minimum availability.".into()
            } else {
                "Deployment does not have minimum availability.".into()
            },
            at: available_at,
        },
        DeploymentCondition {
            ty: "Progressing",
            status: true,
            reason: if rolled_out {
                "NewReplicaSetAvailable"
            } else {
                "ReplicaSetUpdated"
            },
            message: if rolled_out {
                format!("ReplicaSet \"{rs_name}\" has successfully progressed.")
            } else {
                format!("ReplicaSet \"{rs_name}\" is progressing.")
            },
            at: if rolled_out {
                available_at.max(rs_created)
            } else {
                rs_created
            },
        },
    ]
}

/// `oc rollout restart`: a new `restartedAt` stamp in the pod template.
pub(crate) fn restart(store: &Store, ns: &str, name: &str, stamp: String) -> Result<Action, OcError> {
    let d = find::<Deployments>(store, ns, name)?;
    Ok(Action::Deployment(d.uid, DeploymentWrite::Restart { stamp }))
}

/// The replica counts of a Deployment's status.
pub(crate) struct DeploymentStatus {
    /// `status.replicas`: its pods that are not terminating.
    pub total: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
}

/// Counts the Deployment's pods that are not terminating, over all its ReplicaSets.
pub(crate) fn deployment_status(store: &Store, d: &Deployment) -> DeploymentStatus {
    let hash = &d.template_hash;
    let mut s = DeploymentStatus {
        total: 0,
        updated: 0,
        ready: 0,
        available: 0,
    };
    for rs in store.replicasets_of(d.uid) {
        for p in rs.pods.iter().filter_map(|p| store.pods.get(p)) {
            if p.is_terminating() {
                continue;
            }
            s.total += 1;
            if &rs.template_hash == hash {
                s.updated += 1;
            }
            if p.is_ready() {
                s.ready += 1;
            }
            if p.is_available(SimDuration::from_secs(d.spec.min_ready_seconds), store.now) {
                s.available += 1;
            }
        }
    }
    s
}

/// The Deployment's Available condition: enough pods available given maxUnavailable.
pub(crate) fn deployment_available(store: &Store, d: &Deployment) -> bool {
    let st = deployment_status(store, d);
    let max_unavailable = match d.spec.strategy {
        Strategy::Recreate => 0,
        s => resolve_fenceposts(s, d.spec.replicas).1.min(d.spec.replicas),
    };
    st.available >= d.spec.replicas - max_unavailable
}
