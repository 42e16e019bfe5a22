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
