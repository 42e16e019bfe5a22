//! An `autoscaling/v2` `HorizontalPodAutoscaler` manifest as the controller reads it:
//! the scale target, min and max, the metrics with their targets, and `behavior`,
//! defaulted as `pkg/apis/autoscaling/v2/defaults.go` does (minReplicas 1; no metrics:
//! 80% CPU; a `behavior` written has its unset rules filled in, none stays none).
//! What the API server's validation refuses is refused here, with the field path.

use super::behavior::{HpaBehavior, HpaSpec};
use crate::autoscaling::keda::scaled_object::{decode_rules, json_type, object, opt_i32, string, DecodeError};
use crate::units::Quantity;
use serde_json::Value;
use std::collections::BTreeMap;

/// `MetricTarget`, values in thousandths as the controller compares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MetricTarget {
    /// `averageUtilization`: percent of the pods' requests.
    Utilization(i32),
    /// `averageValue`: per pod.
    AverageValue(i64),
    /// `value`: the whole metric.
    Value(i64),
}

/// One `MetricSpec`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MetricSpec {
    /// `Resource`: `cpu` or `memory` of the pods, from the resource metrics API.
    Resource { name: String, target: MetricTarget },
    /// `Pods`: a per-pod metric from the custom metrics API (an adapter over Prometheus).
    Pods {
        metric: String,
        selector: BTreeMap<String, String>,
        target: MetricTarget,
    },
    /// `External`: a metric not tied to pods (KEDA's `s<i>-<scaler>`, or Prometheus').
    External {
        metric: String,
        selector: BTreeMap<String, String>,
        target: MetricTarget,
    },
}

impl MetricSpec {
    /// How `kubectl get hpa` names it in the TARGETS column.
    pub(crate) fn label(&self) -> String {
        match self {
            MetricSpec::Resource { name, .. } => format!("{name} resource utilization"),
            MetricSpec::Pods { metric, .. } => format!("pods metric {metric}"),
            MetricSpec::External { metric, .. } => format!("external metric {metric}"),
        }
    }
}

/// `scaleTargetRef`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TargetRef {
    pub api_version: String,
    pub kind: String,
    pub name: String,
}

/// A `HorizontalPodAutoscaler` as written (and defaulted).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HorizontalPodAutoscaler {
    pub name: String,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub target: TargetRef,
    pub spec: HpaSpec,
    pub metrics: Vec<MetricSpec>,
}

/// `DefaultCPUUtilization` of the v2 defaults, when `metrics` is empty.
pub(crate) const DEFAULT_CPU_UTILIZATION: i32 = 80;

fn quantity_milli(v: &Value, path: &str) -> Result<i64, DecodeError> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => {
            return Err(DecodeError::WrongType {
                path: path.into(),
                expected: "a quantity",
                found: json_type(other),
                fix: "write a Kubernetes quantity such as 10, 500m or 1.5",
            })
        }
    };
    let q = Quantity::parse(&text).map_err(|_| DecodeError::Invalid {
        path: path.into(),
        value: text.clone(),
        problem: "not a Kubernetes quantity",
        fix: "write a Kubernetes quantity such as 10, 500m or 1.5",
    })?;
    i64::try_from(q.milli()).map_err(|_| DecodeError::Invalid {
        path: path.into(),
        value: text,
        problem: "too large",
        fix: "use a smaller target",
    })
}

/// The API server's `must be positive` for a target value.
fn positive(milli: i64, path: &str) -> Result<i64, DecodeError> {
    if milli > 0 {
        Ok(milli)
    } else {
        Err(DecodeError::Invalid {
            path: path.into(),
            value: format!("{}", milli as f64 / 1000.0),
            problem: "not positive (the API server refuses it)",
            fix: "give a target above 0",
        })
    }
}

/// The API server's bounds on `behavior`: a stabilization window of at most an hour, a
/// policy period of at most 30 minutes.
fn check_rules(rules: &crate::autoscaling::hpa::behavior::ScalingRules, path: &str) -> Result<(), DecodeError> {
    if let Some(w) = rules.stabilization_window_seconds.filter(|w| *w > 3600) {
        return Err(DecodeError::Invalid {
            path: format!("{path}.stabilizationWindowSeconds"),
            value: w.to_string(),
            problem: "above 3600 (the API server refuses it)",
            fix: "use at most 3600 seconds",
        });
    }
    for (i, p) in rules.policies.iter().flatten().enumerate() {
        if p.period_seconds > 1800 {
            return Err(DecodeError::Invalid {
                path: format!("{path}.policies[{i}].periodSeconds"),
                value: p.period_seconds.to_string(),
                problem: "above 1800 (the API server refuses it)",
                fix: "use 1 to 1800 seconds",
            });
        }
    }
    Ok(())
}

fn decode_target(v: &Value, path: &str, allowed: &[&str]) -> Result<MetricTarget, DecodeError> {
    let map = object(
        v,
        path,
        "a target has type and averageUtilization, averageValue or value",
    )?;
    let kind = map
        .get("type")
        .map(|t| string(t, &format!("{path}.type"), "use Utilization, AverageValue or Value"))
        .transpose()?
        .ok_or_else(|| DecodeError::Missing {
            path: format!("{path}.type"),
            fix: "set type: Utilization, AverageValue or Value",
        })?;
    if !allowed.contains(&kind.as_str()) {
        return Err(DecodeError::Invalid {
            path: format!("{path}.type"),
            value: kind,
            problem: "not a target type this metric source takes",
            fix: match allowed {
                ["AverageValue"] => "a Pods metric takes AverageValue",
                ["AverageValue", "Value"] => "an External metric takes AverageValue or Value",
                _ => "a Resource metric takes Utilization or AverageValue",
            },
        });
    }
    let field = |key: &str, fix: &'static str| {
        map.get(key).ok_or_else(|| DecodeError::Missing {
            path: format!("{path}.{key}"),
            fix,
        })
    };
    match kind.as_str() {
        "Utilization" => {
            let percent = opt_i32(map, path, "averageUtilization", 1)?.ok_or_else(|| DecodeError::Missing {
                path: format!("{path}.averageUtilization"),
                fix: "give the percent of the pods' requests to aim for, e.g. 80",
            })?;
            Ok(MetricTarget::Utilization(percent))
        }
        "AverageValue" => {
            let v = field("averageValue", "give the per-pod value to aim for, e.g. 5")?;
            let key = format!("{path}.averageValue");
            Ok(MetricTarget::AverageValue(positive(quantity_milli(v, &key)?, &key)?))
        }
        _ => {
            let v = field("value", "give the value to aim for")?;
            let key = format!("{path}.value");
            Ok(MetricTarget::Value(positive(quantity_milli(v, &key)?, &key)?))
        }
    }
}

fn decode_selector(v: Option<&Value>, path: &str) -> Result<BTreeMap<String, String>, DecodeError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(BTreeMap::new());
    };
    let map = object(v, path, "a selector has matchLabels")?;
    if map.contains_key("matchExpressions") {
        return Err(DecodeError::Invalid {
            path: format!("{path}.matchExpressions"),
            value: "matchExpressions".into(),
            problem: "not simulated in a metric selector",
            fix: "select the series with matchLabels",
        });
    }
    let mut out = BTreeMap::new();
    if let Some(labels) = map.get("matchLabels") {
        let lpath = format!("{path}.matchLabels");
        for (k, v) in object(labels, &lpath, "matchLabels maps label names to values")? {
            out.insert(
                k.clone(),
                string(v, &format!("{lpath}.{k}"), "label values are strings")?,
            );
        }
    }
    Ok(out)
}

fn decode_metric(v: &Value, path: &str) -> Result<MetricSpec, DecodeError> {
    let map = object(v, path, "a metric has type and a source")?;
    let kind = map
        .get("type")
        .map(|t| string(t, &format!("{path}.type"), "use Resource, Pods or External"))
        .transpose()?
        .unwrap_or_default();
    let source = |key: &str| -> Result<&serde_json::Map<String, Value>, DecodeError> {
        let s = map.get(key).ok_or_else(|| DecodeError::Missing {
            path: format!("{path}.{key}"),
            fix: "a metric of this type needs its source",
        })?;
        object(s, &format!("{path}.{key}"), "the metric's source is a map")
    };
    let metric_name = |src: &serde_json::Map<String, Value>,
                       spath: &str|
     -> Result<(String, BTreeMap<String, String>), DecodeError> {
        let m = src.get("metric").ok_or_else(|| DecodeError::Missing {
            path: format!("{spath}.metric.name"),
            fix: "name the metric, e.g. vllm:num_requests_waiting",
        })?;
        let mpath = format!("{spath}.metric");
        let m = object(m, &mpath, "metric has name and an optional selector")?;
        let name = m
            .get("name")
            .map(|n| string(n, &format!("{mpath}.name"), "the metric's name is a string"))
            .transpose()?
            .ok_or_else(|| DecodeError::Missing {
                path: format!("{mpath}.name"),
                fix: "name the metric, e.g. vllm:num_requests_waiting",
            })?;
        Ok((name, decode_selector(m.get("selector"), &format!("{mpath}.selector"))?))
    };
    match kind.as_str() {
        "Resource" => {
            let src = source("resource")?;
            let spath = format!("{path}.resource");
            let name = src
                .get("name")
                .map(|n| string(n, &format!("{spath}.name"), "cpu or memory"))
                .transpose()?
                .unwrap_or_default();
            if name != "cpu" && name != "memory" {
                return Err(DecodeError::Invalid {
                    path: format!("{spath}.name"),
                    value: name,
                    problem: "not a resource the metrics server reports",
                    fix: "use cpu or memory",
                });
            }
            let target = src.get("target").ok_or_else(|| DecodeError::Missing {
                path: format!("{spath}.target"),
                fix: "set target.type: Utilization and target.averageUtilization",
            })?;
            let target = decode_target(target, &format!("{spath}.target"), &["Utilization", "AverageValue"])?;
            Ok(MetricSpec::Resource { name, target })
        }
        "Pods" => {
            let src = source("pods")?;
            let spath = format!("{path}.pods");
            let (metric, selector) = metric_name(src, &spath)?;
            let target = src.get("target").ok_or_else(|| DecodeError::Missing {
                path: format!("{spath}.target"),
                fix: "set target.type: AverageValue and target.averageValue",
            })?;
            let target = decode_target(target, &format!("{spath}.target"), &["AverageValue"])?;
            Ok(MetricSpec::Pods {
                metric,
                selector,
                target,
            })
        }
        "External" => {
            let src = source("external")?;
            let spath = format!("{path}.external");
            let (metric, selector) = metric_name(src, &spath)?;
            let target = src.get("target").ok_or_else(|| DecodeError::Missing {
                path: format!("{spath}.target"),
                fix: "set target.type: AverageValue (or Value) and its value",
            })?;
            let target = decode_target(target, &format!("{spath}.target"), &["AverageValue", "Value"])?;
            Ok(MetricSpec::External {
                metric,
                selector,
                target,
            })
        }
        "Object" | "ContainerResource" => Err(DecodeError::Invalid {
            path: format!("{path}.type"),
            value: kind,
            problem: "a metric source the simulator does not model",
            fix: "use Resource, Pods or External",
        }),
        other => Err(DecodeError::Invalid {
            path: format!("{path}.type"),
            value: other.into(),
            problem: "not a metric source type",
            fix: "use Resource, Pods or External",
        }),
    }
}

/// Decodes an `autoscaling/v2` `HorizontalPodAutoscaler`.
pub(crate) fn decode_hpa(manifest: &Value) -> Result<HorizontalPodAutoscaler, DecodeError> {
    let root = object(manifest, "", "a HorizontalPodAutoscaler manifest is a map")?;
    let api_version = root.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    if api_version != "autoscaling/v2" {
        return Err(DecodeError::Invalid {
            path: "apiVersion".into(),
            value: api_version.into(),
            problem: if api_version == "autoscaling/v1" {
                "served, but the simulator reads HPAs in their autoscaling/v2 form"
            } else {
                "not a served HorizontalPodAutoscaler version"
            },
            fix: "write `apiVersion: autoscaling/v2` (v1's targetCPUUtilizationPercentage: N is metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: N}}}]; v2beta2 was removed in Kubernetes 1.26)",
        });
    }
    let meta = root
        .get("metadata")
        .map(|m| object(m, "metadata", "metadata has name"))
        .transpose()?;
    let name = meta
        .and_then(|m| m.get("name"))
        .map(|n| string(n, "metadata.name", "the name is a string"))
        .transpose()?
        .ok_or_else(|| DecodeError::Missing {
            path: "metadata.name".into(),
            fix: "name the HorizontalPodAutoscaler",
        })?;
    let namespace = meta
        .and_then(|m| m.get("namespace"))
        .map(|n| string(n, "metadata.namespace", "the namespace is a string"))
        .transpose()?;
    let mut labels = BTreeMap::new();
    if let Some(l) = meta.and_then(|m| m.get("labels")) {
        for (k, v) in object(l, "metadata.labels", "labels map names to values")? {
            labels.insert(
                k.clone(),
                string(v, &format!("metadata.labels.{k}"), "label values are strings")?,
            );
        }
    }
    let spec = root.get("spec").ok_or_else(|| DecodeError::Missing {
        path: "spec".into(),
        fix: "give spec.scaleTargetRef and spec.maxReplicas",
    })?;
    let spec = object(spec, "spec", "spec is a map")?;
    let target = spec.get("scaleTargetRef").ok_or_else(|| DecodeError::Missing {
        path: "spec.scaleTargetRef".into(),
        fix: "name the Deployment to scale: scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: …}",
    })?;
    let target = object(
        target,
        "spec.scaleTargetRef",
        "scaleTargetRef has apiVersion, kind and name",
    )?;
    let field = |key: &str| -> Result<String, DecodeError> {
        target
            .get(key)
            .map(|v| string(v, &format!("spec.scaleTargetRef.{key}"), "a string"))
            .transpose()?
            .ok_or_else(|| DecodeError::Missing {
                path: format!("spec.scaleTargetRef.{key}"),
                fix: "scaleTargetRef needs kind and name (apiVersion apps/v1)",
            })
    };
    let target = TargetRef {
        api_version: target
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("apps/v1")
            .to_string(),
        kind: field("kind")?,
        name: field("name")?,
    };
    let min_replicas = opt_i32(spec, "spec", "minReplicas", 0)?;
    let max_replicas = opt_i32(spec, "spec", "maxReplicas", 1)?.ok_or_else(|| DecodeError::Missing {
        path: "spec.maxReplicas".into(),
        fix: "give the most replicas the autoscaler may set",
    })?;
    if let Some(min) = min_replicas {
        if min > max_replicas {
            return Err(DecodeError::Invalid {
                path: "spec.minReplicas".into(),
                value: min.to_string(),
                problem: "greater than spec.maxReplicas",
                fix: "the API server refuses minReplicas above maxReplicas; lower it",
            });
        }
    }
    let behavior = match spec.get("behavior").filter(|b| !b.is_null()) {
        None => None,
        Some(b) => {
            let b = object(b, "spec.behavior", "behavior has scaleUp and scaleDown")?;
            let rules = |key: &str| {
                b.get(key)
                    .filter(|r| !r.is_null())
                    .map(|r| decode_rules(r, &format!("spec.behavior.{key}")))
                    .transpose()
            };
            let (up, down) = (rules("scaleUp")?, rules("scaleDown")?);
            if let Some(r) = &up {
                check_rules(r, "spec.behavior.scaleUp")?;
            }
            if let Some(r) = &down {
                check_rules(r, "spec.behavior.scaleDown")?;
            }
            Some(HpaBehavior::defaulted(up.as_ref(), down.as_ref()))
        }
    };
    let mut metrics = Vec::new();
    if let Some(list) = spec.get("metrics").filter(|m| !m.is_null()) {
        let items = list.as_array().ok_or_else(|| DecodeError::WrongType {
            path: "spec.metrics".into(),
            expected: "a list",
            found: json_type(list),
            fix: "list the metrics, each with type and its source",
        })?;
        for (i, m) in items.iter().enumerate() {
            metrics.push(decode_metric(m, &format!("spec.metrics[{i}]"))?);
        }
    }
    if metrics.is_empty() {
        metrics.push(MetricSpec::Resource {
            name: "cpu".into(),
            target: MetricTarget::Utilization(DEFAULT_CPU_UTILIZATION),
        });
    }
    Ok(HorizontalPodAutoscaler {
        name,
        namespace,
        labels,
        target,
        spec: HpaSpec {
            min_replicas: Some(min_replicas.unwrap_or(1)),
            max_replicas,
            // The v2 defaults fill in a behavior that is written; one left out stays
            // out, and the controller takes the legacy path.
            behavior,
        },
        metrics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hpa(spec: Value) -> Value {
        json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
               "metadata": {"name": "chat", "namespace": "llm"}, "spec": spec})
    }

    #[test]
    fn an_hpa_without_metrics_aims_at_80_percent_cpu_with_the_default_behavior() {
        let h = decode_hpa(&hpa(json!({
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "chat-predictor"},
            "maxReplicas": 4
        })))
        .unwrap();
        assert_eq!(h.spec.min_replicas, Some(1));
        assert_eq!(h.spec.behavior, None);
        assert_eq!(
            h.metrics,
            vec![MetricSpec::Resource {
                name: "cpu".into(),
                target: MetricTarget::Utilization(80)
            }]
        );
        assert_eq!(h.target.name, "chat-predictor");
    }

    #[test]
    fn metric_sources_decode_with_their_targets_in_thousandths() {
        let h = decode_hpa(&hpa(json!({
            "scaleTargetRef": {"kind": "Deployment", "name": "d"},
            "minReplicas": 2, "maxReplicas": 8,
            "metrics": [
                {"type": "Pods", "pods": {"metric": {"name": "vllm:num_requests_waiting"},
                                          "target": {"type": "AverageValue", "averageValue": "500m"}}},
                {"type": "External", "external": {"metric": {"name": "s0-prometheus",
                    "selector": {"matchLabels": {"scaledobject.keda.sh/name": "chat"}}},
                    "target": {"type": "Value", "value": 10}}}
            ]
        })))
        .unwrap();
        assert_eq!(h.spec.min_replicas, Some(2));
        assert_eq!(
            h.metrics[0],
            MetricSpec::Pods {
                metric: "vllm:num_requests_waiting".into(),
                selector: BTreeMap::new(),
                target: MetricTarget::AverageValue(500)
            }
        );
        let MetricSpec::External { selector, target, .. } = &h.metrics[1] else {
            panic!("{:?}", h.metrics[1]);
        };
        assert_eq!(*target, MetricTarget::Value(10_000));
        assert_eq!(
            selector.get("scaledobject.keda.sh/name").map(String::as_str),
            Some("chat")
        );
    }

    #[test]
    fn what_the_api_server_refuses_names_the_field() {
        let cases = [
            (
                json!({"scaleTargetRef": {"kind": "Deployment", "name": "d"}}),
                "spec.maxReplicas",
            ),
            (
                json!({"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "minReplicas": 5, "maxReplicas": 2}),
                "spec.minReplicas",
            ),
            (
                json!({"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 2,
                       "metrics": [{"type": "Object", "object": {}}]}),
                "spec.metrics[0].type",
            ),
            (
                json!({"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 2,
                       "metrics": [{"type": "Pods", "pods": {"metric": {"name": "x"},
                                    "target": {"type": "Utilization", "averageUtilization": 50}}}]}),
                "spec.metrics[0].pods.target.type",
            ),
            (
                json!({"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 2,
                       "metrics": [{"type": "Pods", "pods": {"metric": {"name": "x"},
                                    "target": {"type": "AverageValue", "averageValue": "-1"}}}]}),
                "spec.metrics[0].pods.target.averageValue",
            ),
            (
                json!({"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 2,
                       "behavior": {"scaleDown": {"stabilizationWindowSeconds": 4000}}}),
                "spec.behavior.scaleDown.stabilizationWindowSeconds",
            ),
            (
                json!({"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 2,
                       "metrics": [{"type": "Resource", "resource": {"name": "gpu",
                                    "target": {"type": "Utilization", "averageUtilization": 50}}}]}),
                "spec.metrics[0].resource.name",
            ),
        ];
        for (spec, path) in cases {
            let err = decode_hpa(&hpa(spec.clone())).unwrap_err();
            assert!(err.to_string().contains(&format!("`{path}`")), "{spec}: {err}");
        }
    }
}
