//! Deployments: listed, scaled, restarted, labeled, annotated, patched and deleted.

use super::{find, Columns, Delete, Metadata, MetadataOf, Patch, PatchBase, Resource, Scale};
use crate::api::apps::Strategy;
use crate::api::meta::Labels;
use crate::controllers::deployment::resolve_fenceposts;
use crate::engine::action::{Action, DeploymentWrite, MetadataTarget};
use crate::scenario::oc_error::OcError;
use crate::scenario::printers::{age, template_wide};
use crate::store::{Deployment, Store};
use crate::units::SimDuration;

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
