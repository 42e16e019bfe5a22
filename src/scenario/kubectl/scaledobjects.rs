//! KEDA ScaledObjects (`keda.sh/v1alpha1`): listed with the printer columns of KEDA's
//! CRD (`config/crd/bases/keda.sh_scaledobjects.yaml`), described as kubectl describes
//! a custom resource (its generic describer), deleted.

use super::events::describe_events;
use super::{stored_manifest, Columns, Delete, Describe, ManifestOf, Patch, PatchBase, Resource};
use crate::api::meta::Labels;
use crate::autoscaling::keda::prometheus::metric_name;
use crate::autoscaling::keda::scaled_object::ScaledObject;
use crate::engine::action::{Action, AutoscalingWrite};
use crate::engine::Engine;
use crate::scenario::oc_error::OcError;
use crate::scenario::printers::{age, annotations_multiline, labels_multiline, rfc3339, tabbed, unstructured};
use crate::store::{ObjectKey, ScaledObjectObject, Store};
use crate::units::SimDuration;
use serde_json::{json, Map, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;

pub(crate) struct ScaledObjects;

/// A ScaledObject with the manifest a user applied it from, if one did: its labels are
/// there (the simulation's object keeps none).
#[derive(Clone, Copy)]
pub(crate) struct Applied<'s> {
    object: &'s ScaledObjectObject,
    manifest: Option<&'s crate::store::Manifest>,
}

impl Applied<'_> {
    fn labels(&self) -> BTreeMap<String, String> {
        self.manifest
            .map(crate::store::Manifest::doc)
            .as_ref()
            .and_then(|m| m.pointer("/metadata/labels"))
            .and_then(Value::as_object)
            .map(|l| {
                l.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn applied<'s>(store: &'s Store, object: &'s ScaledObjectObject) -> Applied<'s> {
    let so = &object.scaled_object;
    Applied {
        object,
        manifest: store
            .manifests
            .get(&("ScaledObject".to_string(), so.namespace.clone(), so.name.clone())),
    }
}

impl Resource for ScaledObjects {
    type Object<'s> = Applied<'s>;
    const NAMES: &'static [&'static str] = &["scaledobject", "scaledobjects", "so"];
    const RESOURCE: &'static str = "scaledobject.keda.sh";
    const HEADER: &'static [&'static str] = &[
        "NAME",
        "SCALETARGETKIND",
        "SCALETARGETNAME",
        "MIN",
        "MAX",
        "READY",
        "ACTIVE",
        "FALLBACK",
        "PAUSED",
        "TRIGGERS",
        "AUTHENTICATIONS",
        "AGE",
    ];
    const DESCRIBE: Option<Describe<Self>> = Some(describe);
    const DELETE: Option<Delete<Self>> = Some(delete);
    const PATCH: Option<Patch<Self>> = Some(patch);
    const MANIFEST: ManifestOf<Self> = manifest;

    fn objects(store: &Store) -> impl Iterator<Item = Applied<'_>> {
        store.scaled_objects.values().map(move |o| applied(store, o))
    }
    fn named<'s>(store: &'s Store, ns: &str, name: &str) -> Option<Applied<'s>> {
        store
            .scaled_objects
            .get(&ObjectKey::new(ns, name))
            .map(|o| applied(store, o))
    }
    fn namespace(a: Self::Object<'_>) -> &str {
        &a.object.scaled_object.namespace
    }
    fn name(a: Self::Object<'_>) -> &str {
        &a.object.scaled_object.name
    }
    fn label_set(a: Self::Object<'_>) -> Cow<'_, Labels> {
        Cow::Owned(a.labels())
    }
    /// The CRD's columns, each a JSONPath into the object: empty where the field is
    /// unset (`minReplicaCount` not written, a status KEDA has not written yet).
    fn row(store: &Store, a: Applied<'_>, _: Columns) -> Vec<String> {
        let s = a.object;
        let so = &s.scaled_object;
        let opt = |n: Option<i32>| n.map(|n| n.to_string()).unwrap_or_default();
        let reconciled = reconciled(s);
        let status_text = |cell: String| if reconciled { cell } else { String::new() };
        let mut row = vec![
            so.name.clone(),
            status_text(scale_target_kind(so)),
            so.spec.scale_target_ref.name.clone(),
            opt(so.spec.min_replica_count),
            opt(so.spec.max_replica_count),
        ];
        row.extend(conditions(s).iter().map(|c| status_text(c.status.to_string())));
        row.push(status_text(triggers_types(so)));
        row.push(String::new());
        row.push(age(store, s.created));
        row
    }
}

fn delete(a: Applied<'_>, _: Option<SimDuration>) -> Action {
    let so = &a.object.scaled_object;
    Action::Autoscaling(AutoscalingWrite::DeleteScaledObject(ObjectKey::new(
        so.namespace.as_str(),
        so.name.as_str(),
    )))
}

/// Whether KEDA has reconciled the object: its status names the HPA it made.
fn reconciled(s: &ScaledObjectObject) -> bool {
    !s.status.hpa_name.is_empty()
}

/// `status.scaleTargetKind`: the target's `GVKString` (`apps/v1.Deployment`).
fn scale_target_kind(so: &ScaledObject) -> String {
    let t = &so.spec.scale_target_ref;
    let (group, version) = t.api_version.rsplit_once('/').unwrap_or(("", &t.api_version));
    format!("{group}/{version}.{}", t.kind)
}

/// `status.triggersTypes`: each trigger type once, in order.
fn triggers_types(so: &ScaledObject) -> String {
    if so.spec.triggers.is_empty() {
        String::new()
    } else {
        "prometheus".into()
    }
}

/// One of the ScaledObject's four conditions as its status holds it.
struct Condition {
    ty: &'static str,
    status: &'static str,
    reason: String,
    message: String,
}

/// Ready, Active, Fallback and Paused, as KEDA keeps them: what the last poll set, else
/// what they were initialized to (Unknown; Paused False), the Fallback False that the
/// controller sets for an object without a fallback.
fn conditions(s: &ScaledObjectObject) -> Vec<Condition> {
    let so = &s.scaled_object;
    ["Ready", "Active", "Fallback", "Paused"]
        .into_iter()
        .map(|ty| {
            if let Some((_, status, reason)) = s.status.conditions.iter().find(|(t, _, _)| t == ty) {
                let status = match status.as_str() {
                    "True" => "True",
                    "False" => "False",
                    _ => "Unknown",
                };
                return Condition {
                    ty,
                    status,
                    reason: reason.clone(),
                    message: condition_message(so, reason),
                };
            }
            let (status, reason) = match ty {
                "Fallback" if so.spec.fallback.is_none() => ("False", "NoFallbackFound"),
                "Paused" => ("False", ""),
                _ => ("Unknown", ""),
            };
            Condition {
                ty,
                status,
                reason: reason.into(),
                message: condition_message(so, reason),
            }
        })
        .collect()
}

/// The message KEDA gives a condition with this reason.
fn condition_message(so: &ScaledObject, reason: &str) -> String {
    match reason {
        "ScaledObjectReady" => "ScaledObject is defined correctly and is ready for scaling",
        "TriggerError" => "Triggers defined in ScaledObject are not working correctly",
        "PartialTriggerError" => "Some triggers defined in ScaledObject are not working correctly",
        "ScalerActive" if so.need_to_force_activation() => {
            "Scaling is performed because activation is being forced by annotation"
        }
        "ScalerActive" => "Scaling is performed because triggers are active",
        "ScalerNotActive" => "Scaling is not performed because triggers are not active",
        "ScalerCooldown" => "Scaler cooling down because triggers are not active",
        "FallbackExists" => "At least one trigger is falling back on this scaled object",
        "NoFallbackFound" => "No fallbacks are active on this scaled object",
        "ScaledObjectPaused" => "ScaledObject is paused",
        "ScaledObjectUnpaused" => "pause annotation removed for ScaledObject",
        _ => "",
    }
    .to_string()
}

/// The object as the API server would return it: the spec as applied (or as its owner
/// wrote it), the metadata the simulation knows, the status KEDA wrote.
fn object(a: Applied<'_>) -> Map<String, Value> {
    let s = a.object;
    let so = &s.scaled_object;
    let spec = a
        .manifest
        .map(crate::store::Manifest::doc)
        .and_then(|mut m| m.get_mut("spec").map(Value::take))
        .unwrap_or_else(|| crate::scenario::render::scaled_object_spec(so));
    let mut o = Map::new();
    o.insert("apiVersion".into(), json!("keda.sh/v1alpha1"));
    o.insert("kind".into(), json!("ScaledObject"));
    o.insert(
        "metadata".into(),
        json!({"creationTimestamp": rfc3339(s.created), "finalizers": ["finalizer.keda.sh"]}),
    );
    o.insert("spec".into(), spec);
    if reconciled(s) {
        o.insert("status".into(), Value::Object(status(s)));
    }
    o
}

/// The object with its name, namespace, labels and annotations, as `oc get -o yaml`
/// prints it.
fn manifest(store: &Store, a: Applied<'_>) -> Value {
    let so = &a.object.scaled_object;
    let mut o = object(a);
    if let Some(Value::Object(m)) = o.get_mut("metadata") {
        if !so.annotations.is_empty() {
            m.insert("annotations".into(), json!(so.annotations));
        }
        m.insert(
            "creationTimestamp".into(),
            json!(super::meta::timestamp(store, a.object.created)),
        );
        let labels = a.labels();
        if !labels.is_empty() {
            m.insert("labels".into(), json!(labels));
        }
        m.insert("name".into(), json!(so.name));
        m.insert("namespace".into(), json!(so.namespace));
        m.insert(
            "uid".into(),
            json!(super::meta::uid("ScaledObject", &so.namespace, &so.name)),
        );
    }
    Value::Object(o)
}

fn status(s: &ScaledObjectObject) -> Map<String, Value> {
    let so = &s.scaled_object;
    let t = &so.spec.scale_target_ref;
    let (group, version) = t.api_version.rsplit_once('/').unwrap_or(("", &t.api_version));
    let mut m = Map::new();
    m.insert("authenticationsTypes".into(), json!(""));
    let conditions: Vec<Value> = conditions(s)
        .into_iter()
        .map(|c| {
            let mut x = Map::new();
            if !c.message.is_empty() {
                x.insert("message".into(), json!(c.message));
            }
            if !c.reason.is_empty() {
                x.insert("reason".into(), json!(c.reason));
            }
            x.insert("status".into(), json!(c.status));
            x.insert("type".into(), json!(c.ty));
            Value::Object(x)
        })
        .collect();
    m.insert("conditions".into(), Value::Array(conditions));
    let metrics: Vec<String> = (0..so.spec.triggers.len()).map(metric_name).collect();
    if !metrics.is_empty() {
        m.insert("externalMetricNames".into(), json!(metrics));
    }
    m.insert("hpaName".into(), json!(s.status.hpa_name));
    if let Some(t) = s.status.last_active_time {
        m.insert("lastActiveTime".into(), json!(rfc3339(t)));
    }
    m.insert(
        "scaleTargetGVKR".into(),
        json!({
            "group": group,
            "kind": t.kind,
            "resource": format!("{}s", t.kind.to_lowercase()),
            "version": version,
        }),
    );
    m.insert("scaleTargetKind".into(), json!(scale_target_kind(so)));
    let types = triggers_types(so);
    if !types.is_empty() {
        m.insert("triggersTypes".into(), json!(types));
    }
    m
}

/// kubectl's generic describer: name, namespace, labels, annotations, then every field
/// of the object but those, then its events.
fn describe(engine: &Engine, a: Applied<'_>) -> String {
    let store = engine.store();
    let so = &a.object.scaled_object;
    let mut o = format!("Name:\t{}\nNamespace:\t{}\n", so.name, so.namespace);
    o.push_str(&labels_multiline("Labels", &a.labels()));
    o.push_str(&annotations_multiline("Annotations", &so.annotations));
    unstructured(
        &mut o,
        0,
        &object(a),
        "",
        &[
            ".metadata.managedFields",
            ".metadata.name",
            ".metadata.namespace",
            ".metadata.labels",
            ".metadata.annotations",
        ],
    );
    o.push_str(&describe_events(store, "ScaledObject", &so.namespace, &so.name));
    tabbed(&o)
}

/// The document a user applied the ScaledObject with; one KServe made is the
/// InferenceService's to change.
fn patch(store: &Store, a: Applied<'_>) -> Result<PatchBase, OcError> {
    let so = &a.object.scaled_object;
    match &a.object.owner {
        crate::store::AutoscalerOwner::InferenceService(isvc) => Err(OcError::Client(format!(
            "scaledobject {} is KServe's, for InferenceService {isvc}, which would write it back: patch the InferenceService's autoScaling instead",
            so.name
        ))),
        _ => stored_manifest(store, "ScaledObject", &so.namespace, &so.name),
    }
}
