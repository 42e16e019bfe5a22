//! The HPA KEDA generates for a ScaledObject (`newHPAForScaledObject` in
//! `controllers/keda/hpa.go`), as values the HPA core (`autoscaling::hpa`) takes: its
//! `HpaSpec` (min, max, defaulted behavior) and one External metric per trigger whose
//! proposal comes from `replica_calculator`.
//!
//! KEDA owns 0 ↔ 1 and the HPA owns 1..N, so the HPA's floor is `max(minReplicaCount, 1)`.

use super::prometheus::{metric_name, to_milli};
use super::scaled_object::{MetricTargetType, ScaleTargetRef, ScaledObject, Scaler};
use super::SCALED_OBJECT_OWNER_ANNOTATION;
use crate::autoscaling::hpa::behavior::{HpaBehavior, HpaSpec, ScalingRules, SelectPolicy};
#[cfg(test)]
use crate::autoscaling::hpa::replica_calculator::{
    external_metric_replicas, external_per_pod_replicas, CalcError, PodState, Tolerances, UsageProposal,
};

/// An External metric's target, in milli-units as the HPA compares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExternalTarget {
    /// `averageValue`: per replica.
    AverageValue(i64),
    /// `value`: the whole metric.
    Value(i64),
}

/// One `External` `MetricSpec` of the generated HPA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExternalMetric {
    /// `s<i>-prometheus`.
    pub name: String,
    /// The selector KEDA adds: `scaledobject.keda.sh/name: <ScaledObject's name>`.
    pub selector: (String, String),
    pub target: ExternalTarget,
}

impl ExternalMetric {
    /// The replica count this metric asks for, through the HPA core's calculator:
    /// `GetExternalPerPodMetricReplicas` for `AverageValue`, `GetExternalMetricReplicas`
    /// for `Value`. `value_milli` is what KEDA's metrics server serves for the metric
    /// (the scaler's value, or the fallback's). The HPA controller asks the calculator
    /// itself for every metric of every HPA; this checks KEDA's metrics against it.
    #[cfg(test)]
    pub(crate) fn replicas_for(
        &self,
        current_replicas: i32,
        value_milli: i64,
        pods: &[PodState],
        tolerances: Tolerances,
    ) -> Result<UsageProposal, CalcError> {
        match self.target {
            ExternalTarget::AverageValue(target) => Ok(external_per_pod_replicas(
                current_replicas,
                &[value_milli],
                target,
                tolerances,
            )),
            ExternalTarget::Value(target) => {
                external_metric_replicas(current_replicas, &[value_milli], target, pods, tolerances)
            }
        }
    }
}

/// The generated `HorizontalPodAutoscaler`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KedaHpa {
    /// `keda-hpa-<name>`, or `advanced.horizontalPodAutoscalerConfig.name`.
    pub name: String,
    pub namespace: String,
    pub scale_target_ref: ScaleTargetRef,
    pub spec: HpaSpec,
    /// In trigger order (KEDA sorts by metric type, and all of these are External).
    pub metrics: Vec<ExternalMetric>,
}

/// Sets a direction's `selectPolicy: Disabled`, as KEDA does for the pause-scale-in/out
/// annotations, keeping what else the user wrote.
fn disabled(rules: Option<ScalingRules>) -> Option<ScalingRules> {
    let mut rules = rules.unwrap_or_default();
    rules.select_policy = Some(SelectPolicy::Disabled);
    Some(rules)
}

/// `newHPAForScaledObject`: min `GetHPAMinReplicas`, max `GetHPAMaxReplicas`, one External
/// metric per trigger with the threshold as its `AverageValue` (or `Value`) target, and
/// `advanced.horizontalPodAutoscalerConfig.behavior` passed through — with scale-down or
/// scale-up disabled while `paused-scale-in` or `paused-scale-out` is set. No behavior
/// and no pause leaves the HPA on the legacy path (`behavior: None`).
pub(crate) fn new_hpa_for_scaled_object(so: &ScaledObject) -> KedaHpa {
    let mut behavior = so.spec.behavior.clone();
    if so.need_to_pause_scale_in() {
        let mut b = behavior.unwrap_or_default();
        b.scale_down = disabled(b.scale_down);
        behavior = Some(b);
    }
    if so.need_to_pause_scale_out() {
        let mut b = behavior.unwrap_or_default();
        b.scale_up = disabled(b.scale_up);
        behavior = Some(b);
    }
    let metrics = so
        .spec
        .triggers
        .iter()
        .enumerate()
        .map(|(i, trigger)| {
            let Scaler::Prometheus(meta) = &trigger.scaler;
            let threshold = to_milli(meta.threshold);
            ExternalMetric {
                name: metric_name(i),
                selector: (SCALED_OBJECT_OWNER_ANNOTATION.to_owned(), so.name.clone()),
                target: match trigger.metric_type {
                    MetricTargetType::AverageValue => ExternalTarget::AverageValue(threshold),
                    MetricTargetType::Value => ExternalTarget::Value(threshold),
                },
            }
        })
        .collect();
    KedaHpa {
        name: so.hpa_name(),
        namespace: so.namespace.clone(),
        scale_target_ref: so.spec.scale_target_ref.clone(),
        spec: HpaSpec {
            min_replicas: Some(so.hpa_min_replicas()),
            max_replicas: so.hpa_max_replicas(),
            behavior: behavior.map(|b| HpaBehavior::defaulted(b.scale_up.as_ref(), b.scale_down.as_ref())),
        },
        metrics,
    }
}

#[cfg(test)]
mod tests {
    //! Mirrors `TestGetHPAReplicas` (`scaledobject_types_test.go`) for min/max, and the
    //! metric specs `getScaledObjectMetricSpecs` builds from `GetMetricSpecForScaling`
    //! (`TestPrometheusGetMetricSpecForScaling`).
    use super::super::scaled_object::decode_scaled_object;
    use super::*;
    use serde_json::json;

    fn so(spec_extra: serde_json::Value, annotations: serde_json::Value) -> ScaledObject {
        let mut spec = json!({
            "scaleTargetRef": {"name": "vllm"},
            "triggers": [
                {"type": "prometheus", "metadata": {"serverAddress": "http://prom:9090", "query": "sum(q)", "threshold": "10"}},
                {"type": "prometheus", "metricType": "Value", "metadata": {"serverAddress": "http://prom:9090", "query": "sum(r)", "threshold": "0.5"}}
            ]
        });
        for (k, v) in spec_extra.as_object().unwrap() {
            spec[k] = v.clone();
        }
        decode_scaled_object(&json!({
            "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
            "metadata": {"name": "chat", "namespace": "llm", "annotations": annotations},
            "spec": spec
        }))
        .unwrap()
    }

    #[test]
    fn get_hpa_replicas() {
        // (minReplicaCount, maxReplicaCount) → (HPA min, HPA max)
        let cases = [
            (json!({}), 1, 100),
            (json!({"minReplicaCount": 0}), 1, 100),
            (json!({"minReplicaCount": 2, "maxReplicaCount": 8}), 2, 8),
            (json!({"maxReplicaCount": 5}), 1, 5),
        ];
        for (extra, min, max) in cases {
            let hpa = new_hpa_for_scaled_object(&so(extra.clone(), json!({})));
            assert_eq!(hpa.spec.min_replicas, Some(min), "{extra}");
            assert_eq!(hpa.spec.max_replicas, max, "{extra}");
        }
    }

    #[test]
    fn prometheus_get_metric_spec_for_scaling() {
        let hpa = new_hpa_for_scaled_object(&so(json!({}), json!({})));
        assert_eq!(hpa.name, "keda-hpa-chat");
        assert_eq!(hpa.namespace, "llm");
        assert_eq!(hpa.scale_target_ref.kind, "Deployment");
        assert_eq!(hpa.scale_target_ref.name, "vllm");
        assert_eq!(hpa.spec.behavior, None);
        let owner = ("scaledobject.keda.sh/name".to_owned(), "chat".to_owned());
        assert_eq!(
            hpa.metrics,
            vec![
                ExternalMetric {
                    name: "s0-prometheus".into(),
                    selector: owner.clone(),
                    target: ExternalTarget::AverageValue(10_000)
                },
                ExternalMetric {
                    name: "s1-prometheus".into(),
                    selector: owner,
                    target: ExternalTarget::Value(500)
                },
            ]
        );
    }

    #[test]
    fn custom_hpa_name_and_behavior_passthrough() {
        let hpa = new_hpa_for_scaled_object(&so(
            json!({"advanced": {"horizontalPodAutoscalerConfig": {
                "name": "chat-hpa",
                "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60,
                    "policies": [{"type": "Pods", "value": 1, "periodSeconds": 30}]}}
            }}}),
            json!({}),
        ));
        assert_eq!(hpa.name, "chat-hpa");
        let b = hpa.spec.behavior.expect("behavior passed through");
        assert_eq!(b.scale_down.stabilization_window_seconds, Some(60));
        assert_eq!(b.scale_down.policies.as_ref().map(Vec::len), Some(1));
        // Unset scaleUp gets the HPA defaults (4 pods or 100% per 15s, no window).
        assert_eq!(b.scale_up.stabilization_window_seconds, Some(0));
        assert_eq!(b.scale_up.select_policy, Some(SelectPolicy::Max));
    }

    #[test]
    fn paused_scale_in_disables_hpa_scale_down() {
        let hpa = new_hpa_for_scaled_object(&so(json!({}), json!({"autoscaling.keda.sh/paused-scale-in": "true"})));
        let b = hpa.spec.behavior.expect("behavior set by the annotation");
        assert_eq!(b.scale_down.select_policy, Some(SelectPolicy::Disabled));
        assert_eq!(b.scale_up.select_policy, Some(SelectPolicy::Max));
    }

    #[test]
    fn average_value_target_feeds_external_per_pod_replicas() {
        // 35 queued requests over a per-replica target of 10 at 2 replicas → ceil(3.5) = 4.
        let hpa = new_hpa_for_scaled_object(&so(json!({}), json!({})));
        let p = hpa.metrics[0]
            .replicas_for(2, to_milli(35.0), &[], Tolerances::default())
            .unwrap();
        assert_eq!(p.replicas, 4);
        // Within the 10% tolerance: 21 over 2×10 keeps 2.
        let p = hpa.metrics[0]
            .replicas_for(2, to_milli(21.0), &[], Tolerances::default())
            .unwrap();
        assert_eq!(p.replicas, 2);
    }
}
