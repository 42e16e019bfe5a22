//! KServe InferenceServices: listed, labeled, annotated, patched and deleted. They have no
//! scale subresource: `oc scale inferenceservice` is refused as the API server refuses it.

use super::deployments::{deployment_available, deployment_conditions};
use super::events::describe_events;
use super::meta::{timestamp, uid, Meta};
use super::{Columns, Delete, Describe, ManifestOf, Metadata, MetadataOf, Patch, PatchBase, Resource};
use crate::api::kserve::DeploymentMode;
use crate::api::meta::Labels;
use crate::controllers::inferenceservice::predictor_name;
use crate::engine::action::{Action, MetadataTarget};
use crate::engine::Engine;
use crate::scenario::oc_error::OcError;
use crate::scenario::printers::{age, annotations_multiline, labels_multiline, tabbed, unstructured};
use crate::store::{InferenceServiceState, ObjectKey, Pod, StartPhase, Store, WorkloadState};
use crate::units::{SimDuration, SimTime};
use serde_json::{json, Map, Value};

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
    const DESCRIBE: Option<Describe<Self>> = Some(describe);
    const METADATA: Option<MetadataOf<Self>> = Some(metadata);
    const DELETE: Option<Delete<Self>> = Some(delete);
    const PATCH: Option<Patch<Self>> = Some(patch);
    const MANIFEST: ManifestOf<Self> = manifest;

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
        vec![
            n.clone(),
            url(s),
            predictor_ready(store, s).status.into(),
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

/// The predictor's address, as KServe writes it in status for a raw deployment.
fn url(s: &InferenceServiceState) -> String {
    format!(
        "http://{}-predictor.{}.svc.cluster.local",
        s.isvc.meta.name, s.namespace
    )
}

/// A KServe condition: status `True`, `False` or `Unknown`, with its reason.
struct KserveCondition {
    status: &'static str,
    reason: String,
    message: String,
    at: SimTime,
}

/// `PredictorReady` as KServe's `PropagateRawStatus` derives it from the predictor
/// Deployment: true once it is available (`NewReplicaSetAvailable` when the rollout is
/// done), false with the Deployment's reason (`MinimumReplicasUnavailable`) while its
/// pods are not — a preempted model's replacement pod waiting for quota included.
fn predictor_ready(store: &Store, s: &InferenceServiceState) -> KserveCondition {
    let Some(d) = store.deployment(&s.namespace, &predictor_name(&s.isvc.meta.name)) else {
        return KserveCondition {
            status: "Unknown",
            reason: String::new(),
            message: String::new(),
            at: s.created,
        };
    };
    let conditions = deployment_conditions(store, d);
    // The Deployment controller's two conditions, Available then Progressing.
    let [available, progressing, ..] = conditions.as_slice() else {
        return KserveCondition {
            status: "Unknown",
            reason: String::new(),
            message: String::new(),
            at: s.created,
        };
    };
    let pick = if !available.status || progressing.reason != "NewReplicaSetAvailable" {
        available
    } else {
        progressing
    };
    KserveCondition {
        status: if deployment_available(store, d) {
            "True"
        } else {
            "False"
        },
        reason: pick.reason.to_string(),
        message: pick.message.clone(),
        at: pick.at,
    }
}

/// The predictor's pods, not terminating, by name (as KServe lists them).
fn predictor_pods<'s>(store: &'s Store, s: &InferenceServiceState) -> Vec<&'s Pod> {
    let Some(d) = store.deployment(&s.namespace, &predictor_name(&s.isvc.meta.name)) else {
        return Vec::new();
    };
    let mut pods: Vec<&Pod> = store
        .replicasets_of(d.uid)
        .into_iter()
        .flat_map(|rs| rs.pods.iter())
        .filter_map(|p| store.pods.get(*p))
        .filter(|p| !p.is_terminating())
        .collect();
    pods.sort_by(|a, b| a.name.cmp(&b.name));
    pods
}

/// `status.modelStatus` as KServe's `PropagateModelStatus` writes it: the target
/// model's state from the first pod (Pending without pods or while it waits, Loading
/// while the storage initializer runs, Loaded once the service is ready, FailedToLoad
/// on a crash loop), and the state last loaded.
fn model_status(store: &Store, s: &InferenceServiceState, ready: bool) -> Value {
    let pods = predictor_pods(store, s);
    let ready_pods = pods.iter().filter(|p| p.is_ready()).count();
    let mut failure = None;
    let target = match pods.first() {
        _ if ready => "Loaded",
        None => "Pending",
        Some(p)
            if p.waiting
                .as_deref()
                .is_some_and(|w| w.starts_with("Init:") && w.contains("Error") || w == "Init:CrashLoopBackOff") =>
        {
            failure = Some(json!({"reason": "ModelLoadFailed", "message": "storage-initializer failed"}));
            "FailedToLoad"
        }
        Some(p) if p.start_phase == Some(StartPhase::Init) => "Loading",
        Some(p) if p.crash.backing_off => {
            let message = p.crash.failure.as_ref().map(|f| f.message.clone()).unwrap_or_default();
            failure = Some(json!({"reason": "ModelLoadFailed", "message": message}));
            "FailedToLoad"
        }
        Some(_) => "Pending",
    };
    // Loaded once: KServe keeps the active state while a new target loads.
    let owner = &s.isvc.meta.name;
    let loaded_before = store.workloads.values().any(|w| {
        w.namespace == s.namespace && &w.owner == owner && w.history.iter().any(|(_, st)| *st == WorkloadState::Ready)
    });
    let active = if ready || loaded_before { "Loaded" } else { "" };
    let transition = match target {
        "Loaded" => "UpToDate",
        "FailedToLoad" => "BlockedByFailedLoad",
        _ => "InProgress",
    };
    let mut m = Map::new();
    m.insert("copies".into(), json!({"failedCopies": 0, "totalCopies": ready_pods}));
    if let Some(f) = failure {
        m.insert("lastFailureInfo".into(), f);
    }
    m.insert(
        "states".into(),
        json!({"activeModelState": active, "targetModelState": target}),
    );
    m.insert("transitionStatus".into(), json!(transition));
    Value::Object(m)
}

/// The InferenceService as the API server returns it: the spec as applied, and the
/// status KServe writes — the address, the `IngressReady`, `PredictorReady` and `Ready`
/// conditions (Ready false with the predictor's reason while it is not), the model's
/// state.
fn manifest(store: &Store, s: &InferenceServiceState) -> Value {
    let meta = &s.isvc.meta;
    let name = &meta.name;
    let mut metadata = Meta {
        name,
        namespace: &s.namespace,
        labels: &meta.labels,
        annotations: &meta.annotations,
        created: s.created,
        uid: &uid("InferenceService", &s.namespace, name),
    }
    .to_json(store);
    metadata.insert("finalizers".into(), json!(["inferenceservice.finalizers"]));
    metadata.insert("generation".into(), json!(1));
    let spec = s.raw.get("spec").cloned().unwrap_or_else(|| json!({}));
    let predictor = predictor_ready(store, s);
    let ready = predictor.status == "True";
    let condition = |ty: &str, c: &KserveCondition| {
        let mut m = Map::new();
        m.insert("lastTransitionTime".into(), json!(timestamp(store, c.at)));
        if c.status != "True" && !c.message.is_empty() {
            m.insert("message".into(), json!(c.message));
        }
        if c.status != "True" && !c.reason.is_empty() {
            m.insert("reason".into(), json!(c.reason));
        }
        m.insert("status".into(), json!(c.status));
        m.insert("type".into(), json!(ty));
        Value::Object(m)
    };
    let ingress = KserveCondition {
        status: "True",
        reason: String::new(),
        message: String::new(),
        at: s.created,
    };
    let mut components = Map::new();
    if ready {
        components.insert("url".into(), json!(url(s)));
    }
    let mode = match s.isvc.deployment_mode() {
        DeploymentMode::Serverless => "Serverless",
        DeploymentMode::RawDeployment => "RawDeployment",
    };
    let status = json!({
        "address": {"url": url(s)},
        "components": {"predictor": components},
        "conditions": [
            condition("IngressReady", &ingress),
            condition("PredictorReady", &predictor),
            condition("Ready", &predictor),
        ],
        "deploymentMode": mode,
        "modelStatus": model_status(store, s, ready),
        "observedGeneration": 1,
        "url": url(s),
    });
    super::meta::object(
        "serving.kserve.io/v1beta1",
        "InferenceService",
        metadata,
        spec,
        Some(status),
    )
}

/// kubectl's generic describer of a custom resource: name, namespace, labels and
/// annotations, then the object's fields (metadata, spec, KServe's status), then its
/// events.
fn describe(engine: &Engine, s: &InferenceServiceState) -> String {
    let store = engine.store();
    let meta = &s.isvc.meta;
    let mut o = format!("Name:\t{}\nNamespace:\t{}\n", meta.name, s.namespace);
    o.push_str(&labels_multiline("Labels", &meta.labels));
    o.push_str(&annotations_multiline("Annotations", &meta.annotations));
    if let Value::Object(doc) = super::get::sorted(manifest(store, s)) {
        unstructured(
            &mut o,
            0,
            &doc,
            "",
            &[
                ".metadata.managedFields",
                ".metadata.name",
                ".metadata.namespace",
                ".metadata.labels",
                ".metadata.annotations",
            ],
        );
    }
    o.push_str(&describe_events(store, "InferenceService", &s.namespace, &meta.name));
    tabbed(&o)
}
