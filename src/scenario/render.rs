//! Rendering simulated objects back into manifest JSON, so that `patch` can operate on
//! objects the controllers created (KServe's predictor Deployments).

use crate::api::apps::Strategy;
use crate::api::core::{Container, PodSpec, ResourceList};
use crate::api::meta::SelectorOp;
use crate::store::Deployment;
use serde_json::{json, Map, Value};

fn resources(r: &ResourceList) -> Value {
    Value::Object(
        r.0.iter()
            .map(|(k, q)| (k.clone(), Value::String(q.to_string())))
            .collect(),
    )
}

fn container(c: &Container) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(c.name));
    if !c.image.is_empty() {
        m.insert("image".into(), json!(c.image));
    }
    if !c.args.is_empty() {
        m.insert("args".into(), json!(c.args));
    }
    let mut res = Map::new();
    if !c.requests.0.is_empty() {
        res.insert("requests".into(), resources(&c.requests));
    }
    if !c.limits.0.is_empty() {
        res.insert("limits".into(), resources(&c.limits));
    }
    if !res.is_empty() {
        m.insert("resources".into(), Value::Object(res));
    }
    Value::Object(m)
}

pub(crate) fn pod_spec(s: &PodSpec) -> Value {
    let mut m = Map::new();
    m.insert(
        "containers".into(),
        Value::Array(s.containers.iter().map(container).collect()),
    );
    if !s.init_containers.is_empty() {
        m.insert(
            "initContainers".into(),
            Value::Array(s.init_containers.iter().map(container).collect()),
        );
    }
    if !s.node_selector.is_empty() {
        m.insert("nodeSelector".into(), json!(s.node_selector));
    }
    if !s.tolerations.is_empty() {
        let tols: Vec<Value> = s
            .tolerations
            .iter()
            .map(|t| {
                let mut x = Map::new();
                if let Some(k) = &t.key {
                    x.insert("key".into(), json!(k));
                }
                x.insert("operator".into(), json!(if t.exists { "Exists" } else { "Equal" }));
                if !t.exists {
                    x.insert("value".into(), json!(t.value));
                }
                if let Some(e) = t.effect {
                    x.insert("effect".into(), json!(e.as_str()));
                }
                Value::Object(x)
            })
            .collect();
        m.insert("tolerations".into(), Value::Array(tols));
    }
    if let Some(a) = &s.affinity {
        let terms: Vec<Value> = a
            .terms
            .iter()
            .map(|t| {
                let exprs: Vec<Value> = t
                    .iter()
                    .map(|r| {
                        let op = match r.operator {
                            SelectorOp::In => "In",
                            SelectorOp::NotIn => "NotIn",
                            SelectorOp::Exists => "Exists",
                            SelectorOp::DoesNotExist => "DoesNotExist",
                            SelectorOp::Gt => "Gt",
                            SelectorOp::Lt => "Lt",
                        };
                        json!({"key": r.key, "operator": op, "values": r.values})
                    })
                    .collect();
                json!({"matchExpressions": exprs})
            })
            .collect();
        m.insert(
            "affinity".into(),
            json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}}),
        );
    }
    if let Some(p) = &s.priority_class_name {
        m.insert("priorityClassName".into(), json!(p));
    }
    m.insert(
        "terminationGracePeriodSeconds".into(),
        json!(s.termination_grace_seconds),
    );
    Value::Object(m)
}

pub(crate) fn deployment(d: &Deployment) -> Value {
    let strategy = match d.spec.strategy {
        Strategy::Recreate => json!({"type": "Recreate"}),
        Strategy::RollingUpdate {
            max_surge,
            max_unavailable,
        } => json!({
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": max_surge.to_string(), "maxUnavailable": max_unavailable.to_string()}
        }),
    };
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": d.name, "namespace": d.namespace, "labels": d.labels, "annotations": d.annotations},
        "spec": {
            "replicas": d.spec.replicas,
            "selector": {"matchLabels": d.spec.selector.match_labels},
            "strategy": strategy,
            "minReadySeconds": d.spec.min_ready_seconds,
            "paused": d.spec.paused,
            "template": {
                "metadata": {"labels": d.spec.template.labels, "annotations": d.spec.template.annotations},
                "spec": pod_spec(&d.spec.template.spec)
            }
        }
    })
}

/// One direction's `HPAScalingRules`, the fields that are set.
pub(crate) fn scaling_rules(r: &crate::autoscaling::hpa::behavior::ScalingRules) -> Value {
    use crate::autoscaling::hpa::behavior::{ScalingPolicyType, SelectPolicy};
    let mut m = Map::new();
    if let Some(policies) = &r.policies {
        let ps: Vec<Value> = policies
            .iter()
            .map(|p| {
                let ty = match p.kind {
                    ScalingPolicyType::Pods => "Pods",
                    ScalingPolicyType::Percent => "Percent",
                };
                json!({"periodSeconds": p.period_seconds, "type": ty, "value": p.value})
            })
            .collect();
        m.insert("policies".into(), Value::Array(ps));
    }
    if let Some(s) = r.select_policy {
        let s = match s {
            SelectPolicy::Max => "Max",
            SelectPolicy::Min => "Min",
            SelectPolicy::Disabled => "Disabled",
        };
        m.insert("selectPolicy".into(), json!(s));
    }
    if let Some(w) = r.stabilization_window_seconds {
        m.insert("stabilizationWindowSeconds".into(), json!(w));
    }
    if let Some(t) = r.tolerance {
        m.insert("tolerance".into(), json!(t.to_string()));
    }
    Value::Object(m)
}

/// A number as a trigger's metadata string holds it (`strconv.FormatFloat(v, 'f', -1)`).
fn metadata_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// A ScaledObject's `spec` as the API server holds it: the fields that are set, and
/// `fallback.behavior`, which the CRD defaults to `static`.
pub(crate) fn scaled_object_spec(so: &crate::autoscaling::keda::scaled_object::ScaledObject) -> Value {
    use crate::autoscaling::keda::scaled_object::{FallbackBehavior, MetricTargetType, Scaler};
    let s = &so.spec;
    let secs = |d: crate::units::SimDuration| json!(d.0 / 1000);
    let mut m = Map::new();
    let mut hpa_config = Map::new();
    if let Some(name) = &s.hpa_name {
        hpa_config.insert("name".into(), json!(name));
    }
    if let Some(b) = &s.behavior {
        let mut behavior = Map::new();
        if let Some(up) = &b.scale_up {
            behavior.insert("scaleUp".into(), scaling_rules(up));
        }
        if let Some(down) = &b.scale_down {
            behavior.insert("scaleDown".into(), scaling_rules(down));
        }
        hpa_config.insert("behavior".into(), Value::Object(behavior));
    }
    if !hpa_config.is_empty() {
        m.insert(
            "advanced".into(),
            json!({"horizontalPodAutoscalerConfig": Value::Object(hpa_config)}),
        );
    }
    if let Some(d) = s.cooldown_period {
        m.insert("cooldownPeriod".into(), secs(d));
    }
    if let Some(f) = &s.fallback {
        let behavior = match f.behavior {
            FallbackBehavior::Static => "static",
            FallbackBehavior::CurrentReplicas => "currentReplicas",
            FallbackBehavior::CurrentReplicasIfHigher => "currentReplicasIfHigher",
            FallbackBehavior::CurrentReplicasIfLower => "currentReplicasIfLower",
        };
        m.insert(
            "fallback".into(),
            json!({"behavior": behavior, "failureThreshold": f.failure_threshold, "replicas": f.replicas}),
        );
    }
    if let Some(n) = s.idle_replica_count {
        m.insert("idleReplicaCount".into(), json!(n));
    }
    if let Some(d) = s.initial_cooldown_period {
        m.insert("initialCooldownPeriod".into(), secs(d));
    }
    if let Some(n) = s.max_replica_count {
        m.insert("maxReplicaCount".into(), json!(n));
    }
    if let Some(n) = s.min_replica_count {
        m.insert("minReplicaCount".into(), json!(n));
    }
    if let Some(d) = s.polling_interval {
        m.insert("pollingInterval".into(), secs(d));
    }
    let t = &s.scale_target_ref;
    let mut target = Map::new();
    if (t.api_version.as_str(), t.kind.as_str()) != ("apps/v1", "Deployment") {
        target.insert("apiVersion".into(), json!(t.api_version));
        target.insert("kind".into(), json!(t.kind));
    }
    target.insert("name".into(), json!(t.name));
    m.insert("scaleTargetRef".into(), Value::Object(target));
    let triggers: Vec<Value> = s
        .triggers
        .iter()
        .map(|tr| {
            let Scaler::Prometheus(p) = &tr.scaler;
            let mut meta = Map::new();
            meta.insert("serverAddress".into(), json!(p.server_address));
            meta.insert("query".into(), json!(p.query));
            meta.insert("threshold".into(), json!(metadata_number(p.threshold)));
            if p.activation_threshold != 0.0 {
                meta.insert(
                    "activationThreshold".into(),
                    json!(metadata_number(p.activation_threshold)),
                );
            }
            if !p.ignore_null_values {
                meta.insert("ignoreNullValues".into(), json!("false"));
            }
            if let Some(ns) = &p.namespace {
                meta.insert("namespace".into(), json!(ns));
            }
            let mut x = Map::new();
            x.insert("metadata".into(), Value::Object(meta));
            if tr.metric_type == MetricTargetType::Value {
                x.insert("metricType".into(), json!("Value"));
            }
            if let Some(name) = &tr.name {
                x.insert("name".into(), json!(name));
            }
            x.insert("type".into(), json!("prometheus"));
            Value::Object(x)
        })
        .collect();
    m.insert("triggers".into(), Value::Array(triggers));
    Value::Object(m)
}
