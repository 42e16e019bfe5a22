//! The HorizontalPodAutoscaler controller (`pkg/controller/podautoscaler`): every sync
//! period it reads each HPA's target Deployment and pods, asks the metrics APIs for the
//! pods' metrics (here: what Prometheus has scraped — cAdvisor's CPU counter for the
//! resource metrics API, the vLLM series for the custom metrics API, a KEDA trigger's
//! query for KEDA's external metrics), computes each metric's proposal with the replica
//! calculator, and writes the count `behavior` allows to the Deployment's scale.

use crate::autoscaling::hpa::behavior::{reconcile, tolerances_for, HpaHistory, RescaleReason};
use crate::autoscaling::hpa::manifest::{MetricSpec, MetricTarget};
use crate::autoscaling::hpa::replica_calculator::{
    external_metric_replicas, external_per_pod_replicas, plain_metric_replicas, resource_utilization_replicas,
    CalcError, CalculatorConfig, PodPhase, PodState, ReadyCondition, Sample, SampleKind,
};
use crate::autoscaling::hpa::{
    HORIZONTAL_POD_AUTOSCALER_DOWNSCALE_STABILIZATION, HORIZONTAL_POD_AUTOSCALER_SYNC_PERIOD,
    HORIZONTAL_POD_AUTOSCALER_TOLERANCE,
};
use crate::engine::action::{Action, AutoscalingWrite};
use crate::engine::change::Change;
use crate::engine::components::{Component, Cx, Timer};
use crate::monitoring::tsdb::{Tsdb, LOOKBACK_DELTA};
use crate::store::{HpaStatus, LogEvent, ObjectKey, Pod, ScalingDecision, Store};
use crate::units::{SimDuration, SimTime};
use std::collections::BTreeMap;

/// An HPA's sync is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HpaSync(pub(crate) ObjectKey);

/// The controller's memory per HPA (its recommendations and scale events).
#[derive(Default)]
pub(crate) struct HorizontalPodAutoscalerController {
    histories: BTreeMap<ObjectKey, HpaHistory>,
}

impl Component for HorizontalPodAutoscalerController {
    fn on_change(&mut self, cx: &mut Cx, change: &Change) -> Vec<Action> {
        if let Change::Hpa(key) = change {
            if cx.store.hpas.contains_key(key) {
                if !self.histories.contains_key(key) {
                    // A new HPA is synced at once, then every sync period.
                    self.histories.insert(key.clone(), HpaHistory::default());
                    cx.at(cx.now(), Timer::Hpa(HpaSync(key.clone())));
                }
            } else {
                self.histories.remove(key);
            }
        }
        Vec::new()
    }
}

impl HorizontalPodAutoscalerController {
    pub(crate) fn on_timer(&mut self, cx: &mut Cx, HpaSync(key): HpaSync) -> Vec<Action> {
        let Some(history) = self.histories.get_mut(&key) else {
            return Vec::new();
        };
        let Some(hpa) = cx.store.hpas.get(&key) else {
            return Vec::new();
        };
        let actions = sync(cx.store, cx.metrics, &key, hpa, history, cx.now());
        cx.after(HORIZONTAL_POD_AUTOSCALER_SYNC_PERIOD, Timer::Hpa(HpaSync(key)));
        actions
    }
}

/// A metric's proposal, or why it has none.
struct Proposal {
    replicas: i32,
    /// `kubectl get hpa`'s TARGETS entry: current/target.
    shown: String,
    /// The metric and its value, for the decision record.
    value: String,
}

fn event(store: &Store, key: &ObjectKey, reason: &str, message: String) -> Action {
    Action::Event(LogEvent {
        t: store.now,
        kind: reason.into(),
        object: format!("HorizontalPodAutoscaler {}/{}", key.namespace, key.name),
        message,
    })
}

fn sync(
    store: &Store,
    metrics: &Tsdb,
    key: &ObjectKey,
    obj: &crate::store::HpaObject,
    history: &mut HpaHistory,
    now: SimTime,
) -> Vec<Action> {
    let hpa = &obj.hpa;
    let mut out = Vec::new();
    let deployment = (hpa.target.kind == "Deployment")
        .then(|| store.deployment(&key.namespace, &hpa.target.name))
        .flatten();
    let Some(deployment) = deployment else {
        let status = HpaStatus {
            conditions: vec![("AbleToScale".into(), false, "FailedGetScale".into())],
            ..obj.status.clone()
        };
        if obj.status.conditions != status.conditions {
            out.push(event(
                store,
                key,
                "FailedGetScale",
                format!(
                    "{} {}/{} not found (the simulator scales Deployments)",
                    hpa.target.kind, key.namespace, hpa.target.name
                ),
            ));
        }
        out.push(Action::Autoscaling(AutoscalingWrite::HpaStatus(key.clone(), status)));
        return out;
    };
    // Two HPAs over the same pods would undo each other's writes: the controller refuses
    // to scale with either (`validateAndParseSelector`).
    let rivals: Vec<&str> = store
        .hpas
        .iter()
        .filter(|(k, h)| {
            k.namespace == key.namespace && h.hpa.target.kind == hpa.target.kind && h.hpa.target.name == hpa.target.name
        })
        .map(|(k, _)| k.name.as_str())
        .collect();
    if rivals.len() > 1 {
        let message = format!(
            "pods by selector of Deployment {} are controlled by multiple HPAs: [{}]",
            hpa.target.name,
            rivals.join(" ")
        );
        let status = HpaStatus {
            conditions: vec![
                ("AbleToScale".into(), true, "SucceededGetScale".into()),
                ("ScalingActive".into(), false, "AmbiguousSelector".into()),
            ],
            ..obj.status.clone()
        };
        if obj.status.conditions != status.conditions {
            out.push(event(store, key, "AmbiguousSelector", message));
        }
        out.push(Action::Autoscaling(AutoscalingWrite::HpaStatus(key.clone(), status)));
        return out;
    }
    let current = deployment.spec.replicas;
    let pods: Vec<&Pod> = store.pods_of_deployment(deployment.uid).collect();
    let tolerances = tolerances_for(hpa.spec.behavior.as_ref(), HORIZONTAL_POD_AUTOSCALER_TOLERANCE);
    let config = CalculatorConfig::default();
    let min = hpa.spec.min_replicas.unwrap_or(1);
    // Metrics are read only for a target within [min, max]; at zero with a minimum
    // above zero, autoscaling is disabled (the target was scaled to zero by hand).
    if (current == 0 && min != 0) || current > hpa.spec.max_replicas || current < min {
        let decision = reconcile(
            &hpa.spec,
            history,
            current,
            current,
            HORIZONTAL_POD_AUTOSCALER_DOWNSCALE_STABILIZATION,
            now,
        );
        return finish(
            store,
            key,
            obj,
            deployment,
            current,
            decision,
            "no metric read".into(),
            Vec::new(),
            None,
            now,
        );
    }

    // Each metric with its proposal (in spec order: the first wins a tie, as in Kubernetes).
    let proposals: Vec<(&MetricSpec, Result<Proposal, String>)> = hpa
        .metrics
        .iter()
        .map(|m| {
            (
                m,
                propose(store, metrics, key, m, &pods, current, tolerances, config, now),
            )
        })
        .collect();
    let targets: Vec<String> = proposals
        .iter()
        .map(|(m, p)| match p {
            Ok(p) => p.shown.clone(),
            Err(_) => format!("<unknown>/{}", target_text(m)),
        })
        .collect();
    let invalid = proposals.iter().filter(|(_, p)| p.is_err()).count();
    let best = proposals
        .iter()
        .enumerate()
        .filter_map(|(i, (m, p))| p.as_ref().ok().map(|p| (i, *m, p)))
        .max_by_key(|(i, _, p)| (p.replicas, std::cmp::Reverse(*i)));
    let Some((_, best_metric, best)) = best else {
        // No metric could be computed: the controller does not scale.
        let (why, failed_reason) = proposals
            .iter()
            .find_map(|(m, p)| {
                let reason = match m {
                    MetricSpec::Resource { .. } => "FailedGetResourceMetric",
                    MetricSpec::Pods { .. } => "FailedGetPodsMetric",
                    MetricSpec::External { .. } => "FailedGetExternalMetric",
                };
                p.as_ref().err().map(|e| (e.clone(), reason))
            })
            .unwrap_or_default();
        let status = HpaStatus {
            current_replicas: current,
            desired_replicas: current,
            last_scale_time: obj.status.last_scale_time,
            targets,
            conditions: vec![
                ("AbleToScale".into(), true, "SucceededGetScale".into()),
                ("ScalingActive".into(), false, failed_reason.into()),
            ],
        };
        if obj.status.conditions != status.conditions {
            out.push(event(
                store,
                key,
                "FailedComputeMetricsReplicas",
                format!(
                    "invalid metrics ({invalid} invalid out of {}), first error is: {why}",
                    hpa.metrics.len()
                ),
            ));
        }
        out.push(Action::Autoscaling(AutoscalingWrite::HpaStatus(key.clone(), status)));
        return out;
    };
    // With a metric missing, the controller does not scale down on the others.
    let proposed = if invalid > 0 && best.replicas < current {
        current
    } else {
        best.replicas
    };
    let decision = reconcile(
        &hpa.spec,
        history,
        current,
        proposed,
        HORIZONTAL_POD_AUTOSCALER_DOWNSCALE_STABILIZATION,
        now,
    );
    let targets_now = targets;
    let label = best_metric.label();
    let value = best.value.clone();
    finish(
        store,
        key,
        obj,
        deployment,
        current,
        decision,
        value,
        targets_now,
        Some(label),
        now,
    )
}

/// Writes a sync's outcome: the scale and its event and record when it rescales, and
/// the status either way.
#[allow(clippy::too_many_arguments)]
fn finish(
    store: &Store,
    key: &ObjectKey,
    obj: &crate::store::HpaObject,
    deployment: &crate::store::Deployment,
    current: i32,
    decision: crate::autoscaling::hpa::behavior::Decision,
    value: String,
    targets: Vec<String>,
    metric_label: Option<String>,
    now: SimTime,
) -> Vec<Action> {
    let mut out = Vec::new();
    let mut status = HpaStatus {
        current_replicas: current,
        desired_replicas: decision.desired_replicas,
        last_scale_time: obj.status.last_scale_time,
        targets,
        conditions: decision
            .conditions
            .iter()
            .map(|c| (c.kind.as_str().to_string(), c.status, c.reason.as_str().to_string()))
            .collect(),
    };
    if decision.rescale {
        let reason = match (decision.reason, metric_label) {
            (Some(RescaleReason::MetricAboveTarget), Some(label)) => format!("{label} above target"),
            (Some(r), _) => r.as_str().to_string(),
            (None, _) => "rescaled".to_string(),
        };
        status.last_scale_time = Some(now);
        out.push(Action::ScaleDeployment {
            id: deployment.uid,
            replicas: decision.desired_replicas,
        });
        out.push(event(
            store,
            key,
            "SuccessfulRescale",
            format!("New size: {}; reason: {reason}", decision.desired_replicas),
        ));
        out.push(Action::Autoscaling(AutoscalingWrite::Decision(ScalingDecision {
            t: now,
            autoscaler_kind: "HorizontalPodAutoscaler",
            autoscaler: format!("{}/{}", key.namespace, key.name),
            target: format!("{}/{}", key.namespace, deployment.name),
            from: current,
            to: decision.desired_replicas,
            metric: value,
            reason,
        })));
    }
    out.push(Action::Autoscaling(AutoscalingWrite::HpaStatus(key.clone(), status)));
    out
}

/// `kubectl get hpa`'s target half of a metric (`80%`, `5`, `10`).
fn target_text(m: &MetricSpec) -> String {
    let t = match m {
        MetricSpec::Resource { target, .. } | MetricSpec::Pods { target, .. } | MetricSpec::External { target, .. } => {
            target
        }
    };
    match t {
        MetricTarget::Utilization(p) => format!("{p}%"),
        MetricTarget::AverageValue(v) => format!("{} (avg)", milli_text(*v)),
        MetricTarget::Value(v) => milli_text(*v),
    }
}

/// A value in thousandths as a quantity (`5`, `500m`).
fn milli_text(v: i64) -> String {
    if v % 1000 == 0 {
        format!("{}", v / 1000)
    } else {
        format!("{v}m")
    }
}

fn to_milli(v: f64) -> i64 {
    if v.is_finite() {
        (v * 1000.0).round().clamp(i64::MIN as f64, i64::MAX as f64) as i64
    } else {
        0
    }
}

/// A pod as the calculator sees it, with `sample` for the metric at hand.
fn pod_state(p: &Pod, sample: Option<Sample>, request: Option<i64>) -> PodState {
    PodState {
        phase: if p.node.is_none() {
            PodPhase::Pending
        } else {
            PodPhase::Running
        },
        deleting: p.deletion.is_some(),
        ready: Some(ReadyCondition {
            ready: p.is_ready(),
            last_transition: p.ready_at.or(p.scheduled_at).unwrap_or(p.created),
        }),
        start_time: p.scheduled_at,
        sample,
        request,
    }
}

/// The series names a metric asked of the custom or external metrics API may stand for:
/// the adapter in front of Prometheus commonly serves `vllm:x` as `vllm_x`.
fn metric_names(asked: &str) -> [String; 2] {
    [asked.to_string(), asked.replacen("vllm_", "vllm:", 1)]
}

/// The pod's latest value of `metric` (with `selector` labels) in thousandths.
fn pod_sample(db: &Tsdb, metric: &str, selector: &BTreeMap<String, String>, p: &Pod, now: SimTime) -> Option<Sample> {
    let names = metric_names(metric);
    let value = names
        .iter()
        .flat_map(|n| db.series_named(n))
        .filter(|s| s.label("namespace") == p.namespace && s.label("pod") == p.name)
        .filter(|s| selector.iter().all(|(k, v)| s.label(k) == v))
        .find_map(|s| s.instant(now, LOOKBACK_DELTA))?;
    Some(Sample {
        value: to_milli(value),
        timestamp: now,
        window: SimDuration(0),
    })
}

/// The pod's CPU use in millicores as the metrics server reports it: the rate between
/// the last two cAdvisor samples.
fn cpu_sample(db: &Tsdb, p: &Pod, now: SimTime) -> Option<Sample> {
    let series = db
        .series_named("container_cpu_usage_seconds_total")
        .find(|s| s.label("namespace") == p.namespace && s.label("pod") == p.name)?;
    let recent: Vec<(SimTime, f64)> = series.range(now, SimDuration(10 * 60_000)).collect();
    let [.., (t1, v1), (t2, v2)] = recent.as_slice() else {
        return None;
    };
    let window = SimDuration(t2.0.saturating_sub(t1.0));
    if window.0 == 0 {
        return None;
    }
    Some(Sample {
        value: to_milli((v2 - v1) / window.as_secs_f64()),
        timestamp: *t2,
        window,
    })
}

/// An External metric's value: a KEDA trigger's query (KEDA's metrics server runs it at
/// each request), else the sum of the series of that name and labels.
fn external_value(
    store: &Store,
    db: &Tsdb,
    key: &ObjectKey,
    metric: &str,
    selector: &BTreeMap<String, String>,
    now: SimTime,
) -> Result<f64, String> {
    if let Some(so_name) = selector.get(crate::autoscaling::keda::SCALED_OBJECT_OWNER_ANNOTATION) {
        let so = store
            .scaled_objects
            .get(&ObjectKey::new(key.namespace.as_str(), so_name.as_str()))
            .ok_or_else(|| format!("ScaledObject {so_name} not found"))?;
        return crate::controllers::keda::trigger_value(&so.scaled_object, metric, db, now);
    }
    let mut total = 0.0;
    let mut found = false;
    let mut names = metric_names(metric).to_vec();
    names.dedup();
    for name in &names {
        for s in db.series_named(name) {
            if selector.iter().all(|(k, v)| s.label(k) == v) {
                if let Some(v) = s.instant(now, LOOKBACK_DELTA) {
                    total += v;
                    found = true;
                }
            }
        }
    }
    found
        .then_some(total)
        .ok_or_else(|| format!("unable to get external metric {}/{metric}: no series", key.namespace))
}

#[allow(clippy::too_many_arguments)]
fn propose(
    store: &Store,
    db: &Tsdb,
    key: &ObjectKey,
    m: &MetricSpec,
    pods: &[&Pod],
    current: i32,
    tolerances: crate::autoscaling::hpa::replica_calculator::Tolerances,
    config: CalculatorConfig,
    now: SimTime,
) -> Result<Proposal, String> {
    let err = |e: CalcError| e.to_string();
    match m {
        MetricSpec::Resource { name, target } => {
            if name != "cpu" {
                return Err(format!(
                    "unable to get metrics for resource {name}: not reported by the simulated metrics server"
                ));
            }
            let states: Vec<PodState> = pods
                .iter()
                .map(|p| {
                    let request = p
                        .spec
                        .containers
                        .iter()
                        .map(|c| c.requests.get("cpu").milli() as i64)
                        .sum::<i64>();
                    pod_state(p, cpu_sample(db, p, now), (request > 0).then_some(request))
                })
                .collect();
            match target {
                MetricTarget::Utilization(percent) => {
                    let p = resource_utilization_replicas(
                        current,
                        *percent,
                        &states,
                        SampleKind::Cpu,
                        tolerances,
                        config,
                        now,
                    )
                    .map_err(err)?;
                    Ok(Proposal {
                        replicas: p.replicas,
                        // describe shows the raw average beside the percent; get drops it.
                        shown: format!("{}% ({})/{percent}%", p.utilization, milli_text(p.raw_average)),
                        value: format!("cpu {}% of requests (target {percent}%)", p.utilization),
                    })
                }
                MetricTarget::AverageValue(t) | MetricTarget::Value(t) => {
                    let p = plain_metric_replicas(current, *t, &states, SampleKind::Cpu, tolerances, config, now)
                        .map_err(err)?;
                    Ok(Proposal {
                        replicas: p.replicas,
                        shown: format!("{}/{}", milli_text(p.usage), milli_text(*t)),
                        value: format!("cpu {} (target {})", milli_text(p.usage), milli_text(*t)),
                    })
                }
            }
        }
        MetricSpec::Pods {
            metric,
            selector,
            target,
        } => {
            let t = match target {
                MetricTarget::AverageValue(t) | MetricTarget::Value(t) => *t,
                MetricTarget::Utilization(_) => return Err("a Pods metric has no utilization".into()),
            };
            let states: Vec<PodState> = pods
                .iter()
                .map(|p| pod_state(p, pod_sample(db, metric, selector, p, now), None))
                .collect();
            let p =
                plain_metric_replicas(current, t, &states, SampleKind::Other, tolerances, config, now).map_err(err)?;
            Ok(Proposal {
                replicas: p.replicas,
                shown: format!("{}/{}", milli_text(p.usage), milli_text(t)),
                value: format!("{metric} {} per pod (target {})", milli_text(p.usage), milli_text(t)),
            })
        }
        MetricSpec::External {
            metric,
            selector,
            target,
        } => {
            let v = to_milli(external_value(store, db, key, metric, selector, now)?);
            let states: Vec<PodState> = pods.iter().map(|p| pod_state(p, None, None)).collect();
            let (p, t, per_pod) = match target {
                MetricTarget::AverageValue(t) => (external_per_pod_replicas(current, &[v], *t, tolerances), *t, true),
                MetricTarget::Value(t) => (
                    external_metric_replicas(current, &[v], *t, &states, tolerances).map_err(err)?,
                    *t,
                    false,
                ),
                MetricTarget::Utilization(_) => return Err("an External metric has no utilization".into()),
            };
            Ok(Proposal {
                replicas: p.replicas,
                shown: format!(
                    "{}/{}{}",
                    milli_text(p.usage),
                    milli_text(t),
                    if per_pod { " (avg)" } else { "" }
                ),
                value: format!(
                    "{metric} {} (target {}{})",
                    milli_text(v),
                    milli_text(t),
                    if per_pod { " per replica" } else { "" }
                ),
            })
        }
    }
}
