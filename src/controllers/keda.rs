//! KEDA's operator for ScaledObjects (`controllers/keda/scaledobject_controller.go` and
//! the scale loop of `pkg/scaling`): on a new ScaledObject it creates the HPA that scales
//! its target between 1 and N (`keda-hpa-<name>`), then polls its triggers every
//! `pollingInterval` — running each Prometheus query against what has been scraped —
//! and moves the target between zero (or `idleReplicaCount`) and `minReplicaCount` as
//! activity comes and goes, after `cooldownPeriod`.

use crate::autoscaling::hpa::manifest::{HorizontalPodAutoscaler, MetricSpec, MetricTarget, TargetRef};
use crate::autoscaling::keda::executor::{poll, ScaledObjectState};
use crate::autoscaling::keda::hpa::{new_hpa_for_scaled_object, ExternalTarget};
use crate::autoscaling::keda::prometheus::QueryResult;
use crate::autoscaling::keda::scaled_object::{ScaledObject, Scaler};
use crate::engine::action::{Action, AutoscalingWrite};
use crate::engine::change::Change;
use crate::engine::components::{Component, Cx, Timer};
use crate::monitoring::promql;
use crate::monitoring::tsdb::Tsdb;
use crate::store::{AutoscalerOwner, LogEvent, ObjectKey, ScaledObjectStatus, ScalingDecision, Store};
use crate::units::SimTime;
use std::collections::BTreeMap;

/// A ScaledObject's poll is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KedaPoll(pub(crate) ObjectKey);

/// KEDA's memory per ScaledObject (what it keeps in the object's status).
#[derive(Default)]
pub(crate) struct KedaOperator {
    states: BTreeMap<ObjectKey, ScaledObjectState>,
}

/// The generated HPA as an `autoscaling/v2` object in the store.
fn generated_hpa(so: &ScaledObject) -> HorizontalPodAutoscaler {
    let h = new_hpa_for_scaled_object(so);
    HorizontalPodAutoscaler {
        name: h.name,
        namespace: Some(h.namespace),
        labels: [("scaledobject.keda.sh/name".to_string(), so.name.clone())].into(),
        target: TargetRef {
            api_version: "apps/v1".into(),
            kind: h.scale_target_ref.kind.clone(),
            name: h.scale_target_ref.name.clone(),
        },
        spec: h.spec,
        metrics: h
            .metrics
            .into_iter()
            .map(|m| MetricSpec::External {
                metric: m.name,
                selector: [m.selector].into(),
                target: match m.target {
                    ExternalTarget::AverageValue(v) => MetricTarget::AverageValue(v),
                    ExternalTarget::Value(v) => MetricTarget::Value(v),
                },
            })
            .collect(),
    }
}

impl Component for KedaOperator {
    fn on_change(&mut self, cx: &mut Cx, change: &Change) -> Vec<Action> {
        let Change::ScaledObject(key) = change else {
            return Vec::new();
        };
        match cx.store.scaled_objects.get(key) {
            Some(obj) => {
                let so = &obj.scaled_object;
                if !self.states.contains_key(key) {
                    self.states.insert(
                        key.clone(),
                        ScaledObjectState {
                            created_at: obj.created,
                            ..Default::default()
                        },
                    );
                    cx.at(cx.now(), Timer::Keda(KedaPoll(key.clone())));
                }
                vec![Action::Autoscaling(AutoscalingWrite::PutHpa {
                    namespace: key.namespace.clone(),
                    hpa: Box::new(generated_hpa(so)),
                    owner: AutoscalerOwner::ScaledObject(so.name.clone()),
                })]
            }
            None => {
                self.states.remove(key);
                // Its HPA goes with it.
                cx.store
                    .hpas
                    .iter()
                    .filter(|(k, h)| {
                        k.namespace == key.namespace && h.owner == AutoscalerOwner::ScaledObject(key.name.clone())
                    })
                    .map(|(k, _)| Action::Autoscaling(AutoscalingWrite::DeleteHpa(k.clone())))
                    .collect()
            }
        }
    }
}

/// What a Prometheus trigger's query returns now, as the scaler reads it.
fn run_query(query: &str, db: &Tsdb, now: SimTime) -> QueryResult {
    match promql::query(query, db, now) {
        Err(_) => QueryResult::Failed,
        Ok(promql::Value::Scalar(v)) => QueryResult::Sample(v),
        Ok(v) => match v.samples() {
            [] => QueryResult::Empty,
            [(_, x)] => QueryResult::Sample(*x),
            _ => QueryResult::Multiple,
        },
    }
}

/// The value KEDA's metrics server serves for the External metric `s<i>-prometheus` of
/// this ScaledObject: its trigger's query, run now.
pub(crate) fn trigger_value(so: &ScaledObject, metric: &str, db: &Tsdb, now: SimTime) -> Result<f64, String> {
    let index = metric
        .strip_prefix('s')
        .and_then(|r| r.split_once('-'))
        .and_then(|(i, _)| i.parse::<usize>().ok())
        .ok_or_else(|| format!("no metric {metric} on ScaledObject {}", so.name))?;
    let trigger = so
        .spec
        .triggers
        .get(index)
        .ok_or_else(|| format!("no trigger {index} on ScaledObject {}", so.name))?;
    let Scaler::Prometheus(meta) = &trigger.scaler;
    crate::autoscaling::keda::prometheus::execute_prom_query(meta, run_query(&meta.query, db, now))
        .map_err(|e| e.message().to_string())
}

impl KedaOperator {
    pub(crate) fn on_timer(&mut self, cx: &mut Cx, KedaPoll(key): KedaPoll) -> Vec<Action> {
        let Some(state) = self.states.get_mut(&key) else {
            return Vec::new();
        };
        let Some(obj) = cx.store.scaled_objects.get(&key) else {
            return Vec::new();
        };
        let so = &obj.scaled_object;
        let actions = poll_once(cx.store, cx.metrics, &key, so, state, cx.now());
        cx.after(so.polling_interval(), Timer::Keda(KedaPoll(key)));
        actions
    }
}

fn poll_once(
    store: &Store,
    db: &Tsdb,
    key: &ObjectKey,
    so: &ScaledObject,
    state: &mut ScaledObjectState,
    now: SimTime,
) -> Vec<Action> {
    let target = &so.spec.scale_target_ref;
    let Some(deployment) = store.deployment(&key.namespace, &target.name) else {
        return Vec::new();
    };
    let results: Vec<QueryResult> = so
        .spec
        .triggers
        .iter()
        .map(|t| {
            let Scaler::Prometheus(meta) = &t.scaler;
            run_query(&meta.query, db, now)
        })
        .collect();
    let current = deployment.spec.replicas;
    let ready = store
        .pods_of_deployment(deployment.uid)
        .filter(|p| p.is_ready())
        .count() as i32;
    let decision = poll(so, state, &results, current, ready, now);
    let mut out = Vec::new();
    for e in &decision.events {
        out.push(Action::Event(LogEvent {
            t: now,
            kind: e.reason.as_str().to_string(),
            object: format!("ScaledObject {}/{}", key.namespace, key.name),
            message: e.message.clone(),
        }));
    }
    if let Some(to) = decision.scale_to.filter(|&n| n != current) {
        let value = decision
            .triggers
            .iter()
            .map(|t| match t.served_milli {
                Some(v) => format!("{} {}", t.metric_name, v as f64 / 1000.0),
                None => format!("{} (no value)", t.metric_name),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let reason = if to > current {
            "a trigger became active".to_string()
        } else if state.last_active_time.is_none() {
            format!(
                "no trigger active since creation, initialCooldownPeriod {} over",
                so.initial_cooldown_period()
            )
        } else {
            format!("no trigger active for cooldownPeriod {}", so.cooldown_period())
        };
        out.push(Action::ScaleDeployment {
            id: deployment.uid,
            replicas: to,
        });
        out.push(Action::Autoscaling(AutoscalingWrite::Decision(ScalingDecision {
            t: now,
            autoscaler_kind: "ScaledObject",
            autoscaler: format!("{}/{}", key.namespace, key.name),
            target: format!("{}/{}", key.namespace, deployment.name),
            from: current,
            to,
            metric: value,
            reason,
        })));
    }
    out.push(Action::Autoscaling(AutoscalingWrite::ScaledObjectStatus(
        key.clone(),
        ScaledObjectStatus {
            active: decision.is_active,
            hpa_name: so.hpa_name(),
            last_active_time: state.last_active_time,
            conditions: decision
                .conditions
                .iter()
                .map(|c| {
                    (
                        format!("{:?}", c.kind),
                        format!("{:?}", c.status),
                        c.reason.as_str().to_string(),
                    )
                })
                .collect(),
        },
    )));
    out
}
