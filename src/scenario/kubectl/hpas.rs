//! autoscaling/v2 HorizontalPodAutoscalers: listed, described and deleted, printed as
//! kubectl prints them (`printHorizontalPodAutoscaler` and `formatHPAMetrics` of
//! `pkg/printers/internalversion`, `describeHorizontalPodAutoscalerV2` of
//! `kubectl/pkg/describe`).
//!
//! The controller keeps each metric's current value as text (`HpaStatus::targets`,
//! `current/target`); the current half is read back from it, the target half and the
//! metric's kind from the spec, as kubectl reads `status.currentMetrics[i]` beside
//! `spec.metrics[i]`.

use super::events::describe_events;
use super::meta::{controller_ref, timestamp, uid, Meta};
use super::{stored_manifest, Columns, Delete, Describe, ManifestOf, Patch, PatchBase, Resource};
use crate::autoscaling::hpa::behavior::{HpaBehavior, Reason, ScalingPolicyType, ScalingRules, SelectPolicy};
use crate::autoscaling::hpa::manifest::{MetricSpec, MetricTarget};
use crate::engine::action::{Action, AutoscalingWrite};
use crate::engine::Engine;
use crate::scenario::oc_error::OcError;
use crate::scenario::printers::{age, annotations_multiline, labels_multiline, quantity, rfc1123z, tabbed};
use crate::store::AutoscalerOwner;
use crate::store::{HpaObject, ObjectKey, Store};
use crate::units::{Quantity, SimDuration};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub(crate) struct HorizontalPodAutoscalers;

impl Resource for HorizontalPodAutoscalers {
    type Object<'s> = &'s HpaObject;
    const NAMES: &'static [&'static str] = &["horizontalpodautoscaler", "horizontalpodautoscalers", "hpa"];
    const RESOURCE: &'static str = "horizontalpodautoscaler.autoscaling";
    const HEADER: &'static [&'static str] = &["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"];
    const DESCRIBE: Option<Describe<Self>> = Some(describe);
    const DELETE: Option<Delete<Self>> = Some(delete);
    const PATCH: Option<Patch<Self>> = Some(patch);
    const MANIFEST: ManifestOf<Self> = manifest;

    fn objects(store: &Store) -> impl Iterator<Item = &HpaObject> {
        store.hpas.values()
    }
    fn named<'s>(store: &'s Store, ns: &str, name: &str) -> Option<&'s HpaObject> {
        store.hpas.get(&ObjectKey::new(ns, name))
    }
    fn namespace(h: Self::Object<'_>) -> &str {
        &h.namespace
    }
    fn name(h: Self::Object<'_>) -> &str {
        &h.hpa.name
    }
    fn labels(h: Self::Object<'_>) -> &crate::api::meta::Labels {
        &h.hpa.labels
    }
    /// `-o wide` adds nothing: kubectl's HPA columns have no wide ones.
    fn row(store: &Store, h: &HpaObject, _: Columns) -> Vec<String> {
        vec![
            h.hpa.name.clone(),
            format!("{}/{}", h.hpa.target.kind, h.hpa.target.name),
            format_metrics(h),
            min_replicas(h).to_string(),
            h.hpa.spec.max_replicas.to_string(),
            h.status.current_replicas.to_string(),
            age(store, h.created),
        ]
    }
}

/// The API server defaults `minReplicas` to 1.
fn min_replicas(h: &HpaObject) -> i32 {
    h.hpa.spec.min_replicas.unwrap_or(1)
}

/// The grace period means nothing to an HPA: it goes at once (and its owner, if it has
/// one, makes it again at its next reconcile).
fn delete(h: &HpaObject, _: Option<SimDuration>) -> Action {
    Action::Autoscaling(AutoscalingWrite::DeleteHpa(ObjectKey::new(
        h.namespace.as_str(),
        h.hpa.name.as_str(),
    )))
}

/// The current value of metric `i` as the controller last wrote it (`12%`, `3`, `500m`,
/// or `12% (60m)` with the raw average); `None` while unknown.
fn current(h: &HpaObject, i: usize) -> Option<&str> {
    let (cur, _) = h.status.targets.get(i)?.split_once('/')?;
    Some(cur.trim()).filter(|c| !c.is_empty() && !c.starts_with("<unknown>"))
}

/// A current value as kubectl prints it: a percentage as it is, a quantity canonical
/// (`Quantity.String()`), and so the raw average after a percentage (`12% (60m)`).
fn canonical(cur: &str) -> String {
    if let Some((short, raw)) = cur.split_once(" (") {
        let raw = raw.strip_suffix(')').unwrap_or(raw);
        return format!("{} ({})", canonical(short), canonical(raw));
    }
    if cur.ends_with('%') {
        return cur.to_string();
    }
    match Quantity::parse(cur) {
        Ok(q) => quantity(q.milli() as i64),
        Err(_) => cur.to_string(),
    }
}

/// A current value as kubectl's TARGETS shows it: without the raw average.
fn current_short(cur: &str) -> String {
    canonical(cur.split(" (").next().unwrap_or(cur))
}

/// A target's value: a utilization in percent, a quantity otherwise.
fn target_text(t: &MetricTarget) -> String {
    match t {
        MetricTarget::Utilization(p) => format!("{p}%"),
        MetricTarget::AverageValue(v) | MetricTarget::Value(v) => quantity(*v),
    }
}

/// `formatHPAMetrics`: `current/target` for each metric (`cpu: 12%/80%` for a
/// resource, ` (avg)` after an External metric's per-pod target), `<unknown>` before the
/// controller has a value; at most two, then `+ N more...`.
fn format_metrics(h: &HpaObject) -> String {
    const MAX: usize = 2;
    if h.hpa.metrics.is_empty() {
        return "<none>".into();
    }
    let list: Vec<String> = h
        .hpa
        .metrics
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let cur = current(h, i).map_or_else(|| "<unknown>".to_string(), current_short);
            match m {
                MetricSpec::Resource { name, target } => format!("{name}: {cur}/{}", target_text(target)),
                MetricSpec::Pods { target, .. } => format!("{cur}/{}", target_text(target)),
                MetricSpec::External {
                    target: target @ MetricTarget::AverageValue(_),
                    ..
                } => format!("{cur}/{} (avg)", target_text(target)),
                MetricSpec::External { target, .. } => format!("{cur}/{}", target_text(target)),
            }
        })
        .collect();
    let count = list.len();
    let shown = list[..count.min(MAX)].join(", ");
    if count > MAX {
        format!("{shown} + {} more...", count - MAX)
    } else {
        shown
    }
}

/// Go's `%q` of a metric name.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `describeHorizontalPodAutoscalerV2`.
fn describe(engine: &Engine, h: &HpaObject) -> String {
    let store = engine.store();
    let hpa = &h.hpa;
    let mut o = String::new();
    o.push_str(&format!("Name:\t{}\nNamespace:\t{}\n", hpa.name, h.namespace));
    o.push_str(&labels_multiline("Labels", &hpa.labels));
    o.push_str(&annotations_multiline(
        "Annotations",
        &manifest_annotations(store, "HorizontalPodAutoscaler", &h.namespace, &hpa.name),
    ));
    o.push_str(&format!("CreationTimestamp:\t{}\n", rfc1123z(h.created)));
    o.push_str(&format!("Reference:\t{}/{}\n", hpa.target.kind, hpa.target.name));
    o.push_str("Metrics:\t( current / target )\n");
    for (i, m) in hpa.metrics.iter().enumerate() {
        let cur = current(h, i).map_or_else(|| "<unknown>".to_string(), canonical);
        match m {
            MetricSpec::Resource {
                name,
                target: MetricTarget::Utilization(p),
            } => o.push_str(&format!(
                "  resource {name} on pods  (as a percentage of request):\t{cur} / {p}%\n"
            )),
            MetricSpec::Resource { name, target } => o.push_str(&format!(
                "  resource {name} on pods:\t{cur} / {}\n",
                target_text(target)
            )),
            MetricSpec::Pods { metric, target, .. } => o.push_str(&format!(
                "  {} on pods:\t{cur} / {}\n",
                quoted(metric),
                target_text(target)
            )),
            MetricSpec::External {
                metric,
                target: target @ MetricTarget::AverageValue(_),
                ..
            } => o.push_str(&format!(
                "  {} (target average value):\t{cur} / {}\n",
                quoted(metric),
                target_text(target)
            )),
            MetricSpec::External { metric, target, .. } => o.push_str(&format!(
                "  {} (target value):\t{cur} / {}\n",
                quoted(metric),
                target_text(target)
            )),
        }
    }
    o.push_str(&format!("Min replicas:\t{}\n", min_replicas(h)));
    o.push_str(&format!("Max replicas:\t{}\n", hpa.spec.max_replicas));
    if let Some(b) = &hpa.spec.behavior {
        behavior(&mut o, b);
    }
    o.push_str(&format!(
        "{} pods:\t{} current / {} desired\n",
        hpa.target.kind, h.status.current_replicas, h.status.desired_replicas
    ));
    if !h.status.conditions.is_empty() {
        o.push_str("Conditions:\n  Type\tStatus\tReason\tMessage\n  ----\t------\t------\t-------\n");
        for (ty, status, reason) in &h.status.conditions {
            let status = if *status { "True" } else { "False" };
            o.push_str(&format!(
                "  {ty}\t{status}\t{reason}\t{}\n",
                condition_message(store, h, reason)
            ));
        }
    }
    o.push_str(&describe_events(
        store,
        "HorizontalPodAutoscaler",
        &h.namespace,
        &hpa.name,
    ));
    tabbed(&o)
}

/// A metric target as autoscaling/v2 writes it.
fn target_json(t: &MetricTarget) -> Value {
    match t {
        MetricTarget::Utilization(p) => json!({"averageUtilization": p, "type": "Utilization"}),
        MetricTarget::AverageValue(v) => json!({"averageValue": quantity(*v), "type": "AverageValue"}),
        MetricTarget::Value(v) => json!({"type": "Value", "value": quantity(*v)}),
    }
}

/// A metric's `selector`, when it has one.
fn metric_id(metric: &str, selector: &BTreeMap<String, String>) -> Value {
    if selector.is_empty() {
        json!({ "name": metric })
    } else {
        json!({"name": metric, "selector": {"matchLabels": selector}})
    }
}

/// The HPA as the API server returns it (autoscaling/v2): its owner (KServe's
/// InferenceService, KEDA's ScaledObject), its spec, and the status the controller
/// writes — replicas, last scale and conditions.
fn manifest(store: &Store, h: &HpaObject) -> Value {
    let hpa = &h.hpa;
    let annotations = manifest_annotations(store, "HorizontalPodAutoscaler", &h.namespace, &hpa.name);
    let mut metadata = Meta {
        name: &hpa.name,
        namespace: &h.namespace,
        labels: &hpa.labels,
        annotations: &annotations,
        created: h.created,
        uid: &uid("HorizontalPodAutoscaler", &h.namespace, &hpa.name),
    }
    .to_json(store);
    let owner = match &h.owner {
        AutoscalerOwner::User => None,
        AutoscalerOwner::InferenceService(isvc) => Some(controller_ref(
            "serving.kserve.io/v1beta1",
            "InferenceService",
            isvc,
            &uid("InferenceService", &h.namespace, isvc),
        )),
        AutoscalerOwner::ScaledObject(so) => Some(controller_ref(
            "keda.sh/v1alpha1",
            "ScaledObject",
            so,
            &uid("ScaledObject", &h.namespace, so),
        )),
    };
    if let Some(o) = owner {
        metadata.insert("ownerReferences".into(), json!([o]));
    }
    let metrics: Vec<Value> = hpa
        .metrics
        .iter()
        .map(|m| match m {
            MetricSpec::Resource { name, target } => {
                json!({"resource": {"name": name, "target": target_json(target)}, "type": "Resource"})
            }
            MetricSpec::Pods { metric, selector, target } => {
                json!({"pods": {"metric": metric_id(metric, selector), "target": target_json(target)}, "type": "Pods"})
            }
            MetricSpec::External { metric, selector, target } => {
                json!({"external": {"metric": metric_id(metric, selector), "target": target_json(target)}, "type": "External"})
            }
        })
        .collect();
    let mut spec = Map::new();
    if let Some(b) = &hpa.spec.behavior {
        spec.insert(
            "behavior".into(),
            json!({
                "scaleDown": crate::scenario::render::scaling_rules(&b.scale_down),
                "scaleUp": crate::scenario::render::scaling_rules(&b.scale_up),
            }),
        );
    }
    spec.insert("maxReplicas".into(), json!(hpa.spec.max_replicas));
    spec.insert("metrics".into(), Value::Array(metrics));
    spec.insert("minReplicas".into(), json!(min_replicas(h)));
    spec.insert(
        "scaleTargetRef".into(),
        json!({"apiVersion": hpa.target.api_version, "kind": hpa.target.kind, "name": hpa.target.name}),
    );
    let mut status = Map::new();
    let conditions: Vec<Value> = h
        .status
        .conditions
        .iter()
        .map(|(ty, ok, reason)| {
            json!({"lastTransitionTime": timestamp(store, h.created), "message": condition_message(store, h, reason),
                   "reason": reason, "status": if *ok { "True" } else { "False" }, "type": ty})
        })
        .collect();
    if !conditions.is_empty() {
        status.insert("conditions".into(), Value::Array(conditions));
    }
    status.insert("currentReplicas".into(), json!(h.status.current_replicas));
    status.insert("desiredReplicas".into(), json!(h.status.desired_replicas));
    if let Some(t) = h.status.last_scale_time {
        status.insert("lastScaleTime".into(), json!(timestamp(store, t)));
    }
    super::meta::object(
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        metadata,
        Value::Object(spec),
        Some(Value::Object(status)),
    )
}

/// The annotations of the manifest the object was applied from, if a user applied it.
pub(super) fn manifest_annotations(store: &Store, kind: &str, ns: &str, name: &str) -> BTreeMap<String, String> {
    store
        .manifests
        .get(&(kind.to_string(), ns.to_string(), name.to_string()))
        .map(crate::store::Manifest::doc)
        .as_ref()
        .and_then(|doc| doc.pointer("/metadata/annotations"))
        .and_then(|a| a.as_object())
        .map(|a| {
            a.iter()
                .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                .collect()
        })
        .unwrap_or_default()
}

/// `printDirectionBehavior` of each direction.
fn behavior(o: &mut String, b: &HpaBehavior) {
    o.push_str("Behavior:\n");
    for (direction, rules) in [("Scale Up", &b.scale_up), ("Scale Down", &b.scale_down)] {
        direction_behavior(o, direction, rules);
    }
}

fn direction_behavior(o: &mut String, direction: &str, rules: &ScalingRules) {
    o.push_str(&format!("  {direction}:\n"));
    if let Some(w) = rules.stabilization_window_seconds {
        o.push_str(&format!("    Stabilization Window: {w} seconds\n"));
    }
    let Some(policies) = rules.policies.as_ref().filter(|p| !p.is_empty()) else {
        return;
    };
    let select = match rules.select_policy.unwrap_or(SelectPolicy::Max) {
        SelectPolicy::Max => "Max",
        SelectPolicy::Min => "Min",
        SelectPolicy::Disabled => "Disabled",
    };
    o.push_str(&format!("    Select Policy: {select}\n    Policies:\n"));
    for p in policies {
        let kind = match p.kind {
            ScalingPolicyType::Pods => "Pods",
            ScalingPolicyType::Percent => "Percent",
        };
        o.push_str(&format!(
            "      - Type: {kind}\tValue: {}\tPeriod: {} seconds\n",
            p.value, p.period_seconds
        ));
    }
}

/// The message the controller gives a condition with this reason.
fn condition_message(store: &Store, h: &HpaObject, reason: &str) -> String {
    const REASONS: [Reason; 9] = [
        Reason::ScalingDisabled,
        Reason::ReadyForNewScale,
        Reason::ScaleUpStabilized,
        Reason::ScaleDownStabilized,
        Reason::ScaleUpLimit,
        Reason::ScaleDownLimit,
        Reason::TooManyReplicas,
        Reason::TooFewReplicas,
        Reason::DesiredWithinRange,
    ];
    match reason {
        "SucceededGetScale" => "the HPA controller was able to get the target's current scale".into(),
        "SucceededRescale" => format!(
            "the HPA controller was able to update the target scale to {}",
            h.status.desired_replicas
        ),
        "FailedGetScale" => {
            let t = &h.hpa.target;
            let group = t.api_version.rsplit_once('/').map_or("", |(g, _)| g);
            let plural = format!("{}s", t.kind.to_lowercase());
            let resource = if group.is_empty() {
                plural
            } else {
                format!("{plural}.{group}")
            };
            format!(
                "the HPA controller was unable to get the target's current scale: {resource} \"{}\" not found",
                t.name
            )
        }
        "ValidMetricFound" => format!(
            "the HPA was able to successfully calculate a replica count from {}",
            leading_metric(h)
        ),
        r if r.starts_with("FailedGet") => match first_metric_error(store, h) {
            Some(e) => format!("the HPA was unable to compute the replica count: {e}"),
            None => "the HPA was unable to compute the replica count".into(),
        },
        r => REASONS
            .iter()
            .find(|x| x.as_str() == r)
            .map_or_else(String::new, |x| x.message().to_string()),
    }
}

/// The error of the controller's last `FailedComputeMetricsReplicas` event.
fn first_metric_error(store: &Store, h: &HpaObject) -> Option<String> {
    let object = format!("HorizontalPodAutoscaler {}/{}", h.namespace, h.hpa.name);
    store
        .events
        .iter()
        .rev()
        .find(|e| e.object == object && e.kind == "FailedComputeMetricsReplicas")
        .map(|e| {
            e.message
                .split_once("first error is: ")
                .map_or(e.message.as_str(), |(_, err)| err)
                .to_string()
        })
}

/// The metric whose proposal the controller took, as it names it in `ValidMetricFound`:
/// the one furthest above its target (the largest proposal), the first on a tie.
fn leading_metric(h: &HpaObject) -> String {
    let ratio = |i: usize, m: &MetricSpec| -> Option<f64> {
        let cur = current(h, i)?;
        let cur = cur.split(" (").next().unwrap_or(cur);
        let (value, target) = match m {
            MetricSpec::Resource {
                target: MetricTarget::Utilization(p),
                ..
            } => (cur.strip_suffix('%')?.parse::<f64>().ok()?, f64::from(*p)),
            MetricSpec::Resource { target, .. }
            | MetricSpec::Pods { target, .. }
            | MetricSpec::External { target, .. } => {
                let t = match target {
                    MetricTarget::AverageValue(v) | MetricTarget::Value(v) => *v as f64,
                    MetricTarget::Utilization(p) => f64::from(*p),
                };
                (Quantity::parse(cur).ok()?.milli() as f64, t)
            }
        };
        (target > 0.0).then_some(value / target)
    };
    let best = h
        .hpa
        .metrics
        .iter()
        .enumerate()
        .filter_map(|(i, m)| ratio(i, m).map(|r| (i, r)))
        .fold(None, |best: Option<(usize, f64)>, (i, r)| match best {
            Some((_, b)) if b >= r => best,
            _ => Some((i, r)),
        })
        .map_or(0, |(i, _)| i);
    h.hpa.metrics.get(best).map(metric_name).unwrap_or_default()
}

/// How the controller names a metric (`metricNameProposal`).
fn metric_name(m: &MetricSpec) -> String {
    match m {
        MetricSpec::Resource {
            name,
            target: MetricTarget::Utilization(_),
        } => format!("{name} resource utilization (percentage of request)"),
        MetricSpec::Resource { name, .. } => format!("{name} resource"),
        MetricSpec::Pods { metric, .. } => format!("pods metric {metric}"),
        MetricSpec::External { metric, selector, .. } => {
            format!("external metric {metric}({})", go_label_selector(selector))
        }
    }
}

/// `%+v` of a `*metav1.LabelSelector` (its generated `String()`).
fn go_label_selector(labels: &BTreeMap<String, String>) -> String {
    if labels.is_empty() {
        return "nil".into();
    }
    let pairs: String = labels.iter().map(|(k, v)| format!("{k}: {v},")).collect();
    format!(
        "&LabelSelector{{MatchLabels:map[string]string{{{pairs}}},MatchExpressions:[]LabelSelectorRequirement{{}},}}"
    )
}

/// The document a user applied the HPA with. One KServe or KEDA made is theirs: they would
/// write their own spec back over a patch.
fn patch(store: &Store, h: &HpaObject) -> Result<PatchBase, OcError> {
    match &h.owner {
        AutoscalerOwner::User => stored_manifest(store, "HorizontalPodAutoscaler", &h.namespace, &h.hpa.name),
        AutoscalerOwner::InferenceService(isvc) => Err(OcError::Client(format!(
            "horizontalpodautoscaler {} is KServe's, for InferenceService {isvc}, which would write it back: patch the InferenceService's minReplicas, maxReplicas or scaleTarget instead",
            h.hpa.name
        ))),
        AutoscalerOwner::ScaledObject(so) => Err(OcError::Client(format!(
            "horizontalpodautoscaler {} is KEDA's, for ScaledObject {so}, which would write it back: patch the ScaledObject instead",
            h.hpa.name
        ))),
    }
}
