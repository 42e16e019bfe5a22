//! KServe's autoscaler reconciler for a RawDeployment predictor
//! (`reconcilers/autoscaler`, `reconcilers/hpa`, `reconcilers/keda`): by the
//! `serving.kserve.io/autoscalerClass` annotation it keeps an HPA (`hpa`, the default),
//! a KEDA ScaledObject (`keda`), or nothing (`external`, `none`), named after the
//! predictor Deployment and owned by the InferenceService.
//!
//! A Serverless predictor gets none of these from KServe: Knative scales it. With the KPA
//! class (the default) nothing is created here (`controllers::knative` is the KPA); with
//! Knative's HPA class (`hpa.autoscaling.knative.dev`) the HPA Knative's HPA reconciler
//! would make is kept here, as KServe's `hpa` class builds it but with no upper bound
//! when `maxReplicas` is unset (Knative's `MakeHPA`).

use crate::api::kserve::{AutoscalerClass, DeploymentMode, InferenceService, IsvcMetric, KnativeClass};
use crate::autoscaling::hpa::behavior::{HpaBehavior, HpaSpec};
use crate::autoscaling::hpa::manifest::{HorizontalPodAutoscaler, MetricSpec, MetricTarget, TargetRef};
use crate::autoscaling::keda::prometheus::PrometheusMetadata;
use crate::autoscaling::keda::scaled_object::{
    MetricTargetType, ScaleTargetRef, ScaledObject, ScaledObjectSpec, Scaler, Trigger,
};
use crate::engine::action::{Action, AutoscalingWrite};
use crate::store::{AutoscalerOwner, ObjectKey, Store};

/// `constants.DefaultMinReplicas`.
const DEFAULT_MIN_REPLICAS: i32 = 1;
/// `constants.DefaultCPUUtilization`.
const DEFAULT_CPU_UTILIZATION: i32 = 80;

/// `getHPAMetrics`: the Resource metrics of `autoScaling.metrics`, else `scaleMetric`
/// (cpu by default) at `scaleTarget` (80% by default for cpu). KServe's HPA takes no
/// External metric: those need the `keda` class.
fn hpa_metrics(isvc: &InferenceService) -> Vec<MetricSpec> {
    let p = &isvc.predictor;
    if !p.autoscaling_metrics.is_empty() {
        return p
            .autoscaling_metrics
            .iter()
            .filter_map(|m| match m {
                IsvcMetric::Resource {
                    name,
                    utilization,
                    average_value,
                } => {
                    let target = match (name.as_str(), utilization, average_value) {
                        (_, Some(u), _) => MetricTarget::Utilization(*u),
                        (_, None, Some(v)) => MetricTarget::AverageValue(
                            crate::units::Quantity::parse(v).map(|q| q.milli() as i64).unwrap_or(0),
                        ),
                        ("cpu", None, None) => MetricTarget::Utilization(DEFAULT_CPU_UTILIZATION),
                        _ => return None,
                    };
                    Some(MetricSpec::Resource {
                        name: name.clone(),
                        target,
                    })
                }
                IsvcMetric::External { .. } => None,
            })
            .collect();
    }
    match p.scale_metric.as_deref().unwrap_or("cpu") {
        "cpu" => vec![MetricSpec::Resource {
            name: "cpu".into(),
            target: MetricTarget::Utilization(p.scale_target.unwrap_or(DEFAULT_CPU_UTILIZATION)),
        }],
        "memory" => p
            .scale_target
            .map(|t| MetricSpec::Resource {
                name: "memory".into(),
                target: MetricTarget::Utilization(t),
            })
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

/// `createHPA`: min at least 1, max at least min, an empty `behavior` (so the v2
/// defaults apply, not the legacy path).
fn desired_hpa(name: &str, deployment: &str, isvc: &InferenceService, knative: bool) -> HorizontalPodAutoscaler {
    let p = &isvc.predictor;
    let min = p
        .min_replicas
        .filter(|m| *m >= DEFAULT_MIN_REPLICAS)
        .unwrap_or(DEFAULT_MIN_REPLICAS);
    let max = match p.max_replicas.filter(|m| *m != 0) {
        // Knative's `MakeHPA`: no max-scale is no limit.
        None if knative => i32::MAX,
        m => m.unwrap_or(0).max(min),
    };
    HorizontalPodAutoscaler {
        name: deployment.to_string(),
        namespace: None,
        labels: [(
            crate::controllers::inferenceservice::ISVC_LABEL.to_string(),
            name.to_string(),
        )]
        .into(),
        target: TargetRef {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            name: deployment.to_string(),
        },
        spec: HpaSpec {
            min_replicas: Some(min),
            max_replicas: max,
            behavior: Some(HpaBehavior::defaulted(None, None)),
        },
        metrics: hpa_metrics(isvc),
    }
}

/// `createKedaScaledObject`: min `minReplicas` (1 when unset, 0 allowed), max at least
/// min, one Prometheus trigger per External metric.
fn desired_scaled_object(ns: &str, deployment: &str, isvc: &InferenceService) -> ScaledObject {
    let p = &isvc.predictor;
    let min = p.min_replicas.unwrap_or(DEFAULT_MIN_REPLICAS);
    let max = p.max_replicas.unwrap_or(0).max(min);
    let triggers = p
        .autoscaling_metrics
        .iter()
        .filter_map(|m| match m {
            IsvcMetric::External {
                server_address,
                query,
                value,
                namespace,
                ..
            } => Some(Trigger {
                name: None,
                // KServe passes either target as the trigger's threshold and leaves
                // metricType unset: KEDA's default, AverageValue (per replica).
                metric_type: MetricTargetType::AverageValue,
                scaler: Scaler::Prometheus(PrometheusMetadata {
                    server_address: server_address.clone(),
                    query: query.clone(),
                    threshold: *value,
                    activation_threshold: 0.0,
                    ignore_null_values: true,
                    namespace: namespace.clone(),
                }),
            }),
            IsvcMetric::Resource { .. } => None,
        })
        .collect();
    ScaledObject {
        name: deployment.to_string(),
        namespace: ns.to_string(),
        annotations: Default::default(),
        spec: ScaledObjectSpec {
            scale_target_ref: ScaleTargetRef {
                kind: "Deployment".into(),
                name: deployment.to_string(),
                api_version: "apps/v1".into(),
            },
            polling_interval: None,
            initial_cooldown_period: None,
            cooldown_period: None,
            idle_replica_count: None,
            min_replica_count: Some(min),
            max_replica_count: Some(max),
            hpa_name: None,
            behavior: None,
            triggers,
            fallback: None,
        },
    }
}

/// The autoscaler objects an InferenceService's predictor should have, as writes.
pub(crate) fn reconcile(store: &Store, key: &ObjectKey, isvc: &InferenceService, deployment: &str) -> Vec<Action> {
    let owner = AutoscalerOwner::InferenceService(key.name.clone());
    let knative = isvc.deployment_mode() == DeploymentMode::Serverless;
    let class = match (knative, isvc.knative_class()) {
        (false, _) => isvc.autoscaler_class().unwrap_or(AutoscalerClass::Hpa),
        (true, Some(KnativeClass::Hpa)) => AutoscalerClass::Hpa,
        (true, _) => AutoscalerClass::None,
    };
    let object_key = ObjectKey::new(key.namespace.as_str(), deployment);
    let owned_hpa = store.hpas.get(&object_key).is_some_and(|h| h.owner == owner);
    let owned_so = store.scaled_objects.get(&object_key).is_some_and(|s| s.owner == owner);
    let mut out = Vec::new();
    match class {
        AutoscalerClass::Hpa => {
            out.push(Action::Autoscaling(AutoscalingWrite::PutHpa {
                namespace: key.namespace.clone(),
                hpa: Box::new(desired_hpa(&key.name, deployment, isvc, knative)),
                owner: owner.clone(),
            }));
        }
        AutoscalerClass::Keda => {
            out.push(Action::Autoscaling(AutoscalingWrite::PutScaledObject {
                scaled_object: Box::new(desired_scaled_object(&key.namespace, deployment, isvc)),
                owner: owner.clone(),
            }));
        }
        AutoscalerClass::External | AutoscalerClass::None => {}
    }
    if owned_hpa && class != AutoscalerClass::Hpa {
        out.push(Action::Autoscaling(AutoscalingWrite::DeleteHpa(object_key.clone())));
    }
    if owned_so && class != AutoscalerClass::Keda {
        out.push(Action::Autoscaling(AutoscalingWrite::DeleteScaledObject(object_key)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn isvc(annotations: &str, predictor: &str) -> InferenceService {
        let text = format!(
            "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: m\n  annotations: {{{annotations}}}\nspec:\n  predictor:\n{predictor}    model: {{modelFormat: {{name: vLLM}}}}\n"
        );
        let doc = crate::manifest::yaml::parse_documents(&"m.yaml".into(), &text)
            .unwrap()
            .remove(0);
        InferenceService::decode(&doc.root).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn knatives_hpa_class_has_no_upper_bound_without_max_replicas() {
        let knative = isvc(
            "serving.kserve.io/deploymentMode: Serverless, autoscaling.knative.dev/class: hpa.autoscaling.knative.dev",
            "",
        );
        let h = desired_hpa("m", "m-predictor", &knative, true);
        assert_eq!((h.spec.min_replicas, h.spec.max_replicas), (Some(1), i32::MAX));
        let bounded = isvc(
            "serving.kserve.io/deploymentMode: Serverless, autoscaling.knative.dev/class: hpa.autoscaling.knative.dev",
            "    maxReplicas: 3\n",
        );
        assert_eq!(desired_hpa("m", "m-predictor", &bounded, true).spec.max_replicas, 3);
        // KServe's own hpa class: max is at least min.
        let raw = isvc("serving.kserve.io/deploymentMode: RawDeployment", "");
        assert_eq!(desired_hpa("m", "m-predictor", &raw, false).spec.max_replicas, 1);
    }
}
