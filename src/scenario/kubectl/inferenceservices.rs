//! KServe InferenceServices: listed, labeled, annotated, patched and deleted. They have no
//! scale subresource: `oc scale inferenceservice` is refused as the API server refuses it.

use super::deployments::deployment_available;
use super::{Columns, Delete, Metadata, MetadataOf, Patch, PatchBase, Resource};
use crate::api::meta::Labels;
use crate::controllers::inferenceservice::predictor_name;
use crate::engine::action::{Action, MetadataTarget};
use crate::scenario::oc_error::OcError;
use crate::scenario::printers::age;
use crate::store::{InferenceServiceState, ObjectKey, Store};
use crate::units::SimDuration;

pub(crate) struct InferenceServices;

impl Resource for InferenceServices {
    type Object<'s> = &'s InferenceServiceState;
    const NAMES: &'static [&'static str] = &["inferenceservice", "inferenceservices", "isvc"];
    const RESOURCE: &'static str = "inferenceservice.serving.kserve.io";
    const HEADER: &'static [&'static str] = &[
        "NAME",
        "URL",
        "READY",
        "PREV",
        "LATEST",
        "PREVROLLEDOUTREVISION",
        "LATESTREADYREVISION",
        "AGE",
    ];
    const METADATA: Option<MetadataOf<Self>> = Some(metadata);
    const DELETE: Option<Delete<Self>> = Some(delete);
    const PATCH: Option<Patch<Self>> = Some(patch);

    fn objects(store: &Store) -> impl Iterator<Item = &InferenceServiceState> {
        store.isvcs.values()
    }
    fn named<'s>(store: &'s Store, ns: &str, name: &str) -> Option<&'s InferenceServiceState> {
        store.isvcs.get(&ObjectKey::new(ns, name))
    }
    fn namespace(s: Self::Object<'_>) -> &str {
        &s.namespace
    }
    fn name(s: Self::Object<'_>) -> &str {
        &s.isvc.meta.name
    }
    fn labels(s: Self::Object<'_>) -> &Labels {
        &s.isvc.meta.labels
    }
    /// Raw deployments have no revisions: those columns stay empty.
    fn row(store: &Store, s: &InferenceServiceState, _: Columns) -> Vec<String> {
        let n = &s.isvc.meta.name;
        let ready = store
            .deployment(&s.namespace, &predictor_name(n))
            .is_some_and(|d| deployment_available(store, d));
        vec![
            n.clone(),
            format!("http://{n}-predictor.{}.svc.cluster.local", s.namespace),
            if ready { "True".into() } else { "False".into() },
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            age(store, s.created),
        ]
    }
}

fn key(s: &InferenceServiceState) -> ObjectKey {
    ObjectKey::new(s.namespace.as_str(), s.isvc.meta.name.as_str())
}

fn metadata(s: &InferenceServiceState) -> Metadata {
    let meta = &s.isvc.meta;
    Metadata {
        target: MetadataTarget::InferenceService(key(s)),
        labels: meta.labels.clone(),
        annotations: meta.annotations.clone(),
    }
}

fn delete(s: &InferenceServiceState, grace: Option<SimDuration>) -> Action {
    Action::DeleteInferenceService { key: key(s), grace }
}

/// The document as last applied, which the store keeps with the service.
fn patch(_: &Store, s: &InferenceServiceState) -> Result<PatchBase, OcError> {
    Ok(PatchBase {
        kind: "InferenceService",
        doc: s.raw.clone(),
    })
}
