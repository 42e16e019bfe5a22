//! One poll of a ScaledObject, every `pollingInterval`: the scale handler's trigger
//! states with fallback (`getScaledObjectState`, `pkg/fallback/fallback.go`), the pause
//! annotations (`handlePause` in the ScaledObject controller), and the executor's
//! `RequestScale` (`pkg/scaling/executor/scale_scaledobjects.go`).
//!
//! KEDA itself only moves the target between idle and running: activation (0 or
//! `idleReplicaCount` → `max(minReplicaCount, 1)`) when a trigger is active, deactivation
//! (→ `idleReplicaCount` or `minReplicaCount`) once no trigger has been active for
//! `cooldownPeriod` (or, never active, `initialCooldownPeriod` after creation). Between 1
//! and N the generated HPA decides, on the metric values this poll serves it — which, on
//! fallback, are made up so the HPA lands on `fallback.replicas`.

use super::prometheus::{metric_name, metrics_and_activity, to_milli, QueryResult, ScalerError};
use super::scaled_object::{FallbackBehavior, MetricTargetType, ScaledObject, Scaler};
use crate::units::SimTime;
use std::collections::BTreeMap;

/// What KEDA keeps in the ScaledObject's status between polls.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ScaledObjectState {
    /// `metadata.creationTimestamp`, for `initialCooldownPeriod`.
    pub created_at: SimTime,
    /// `status.lastActiveTime`: the last poll at which a trigger was active and the
    /// target was running (or was just activated).
    pub last_active_time: Option<SimTime>,
    /// `status.health[<metric>].numberOfFailures`: consecutive failures per metric,
    /// counted only while a fallback is configured.
    pub failures: BTreeMap<String, i32>,
    /// The `Paused` condition is true.
    pub paused: bool,
    /// The `Fallback` condition is true.
    pub fallback_active: bool,
}

/// `ConditionType` of a ScaledObject (`condition_types.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConditionType {
    Ready,
    Active,
    Fallback,
    Paused,
}

/// `metav1.ConditionStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConditionStatus {
    True,
    False,
    Unknown,
}

/// The condition reasons KEDA sets in these paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// Ready=True: "ScaledObject is defined correctly and is ready for scaling".
    ScaledObjectReady,
    /// Ready=False: no trigger active and one failed, without a fallback.
    TriggerError,
    /// Ready=Unknown: a trigger active while another failed.
    PartialTriggerError,
    /// Active=True.
    ScalerActive,
    /// Active=False.
    ScalerNotActive,
    /// Active=False while the cooldown has not passed.
    ScalerCooldown,
    /// Fallback=True: a metric failed more than `failureThreshold` times in a row.
    FallbackExists,
    /// Fallback=False.
    NoFallbackFound,
    /// Paused=True.
    ScaledObjectPaused,
    /// Paused=False after the annotations are removed.
    ScaledObjectUnpaused,
}

impl Reason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Reason::ScaledObjectReady => "ScaledObjectReady",
            Reason::TriggerError => "TriggerError",
            Reason::PartialTriggerError => "PartialTriggerError",
            Reason::ScalerActive => "ScalerActive",
            Reason::ScalerNotActive => "ScalerNotActive",
            Reason::ScalerCooldown => "ScalerCooldown",
            Reason::FallbackExists => "FallbackExists",
            Reason::NoFallbackFound => "NoFallbackFound",
            Reason::ScaledObjectPaused => "ScaledObjectPaused",
            Reason::ScaledObjectUnpaused => "ScaledObjectUnpaused",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Condition {
    pub kind: ConditionType,
    pub status: ConditionStatus,
    pub reason: Reason,
}

/// The event reasons of `pkg/eventreason` KEDA records in these paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventReason {
    KEDAScaleTargetActivated,
    KEDAScaleTargetDeactivated,
    KEDAScalerFailed,
    ScaledObjectPaused,
    ScaledObjectUnpaused,
    ScaledObjectFallbackActivated,
    ScaledObjectFallbackDeactivated,
}

impl EventReason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EventReason::KEDAScaleTargetActivated => "KEDAScaleTargetActivated",
            EventReason::KEDAScaleTargetDeactivated => "KEDAScaleTargetDeactivated",
            EventReason::KEDAScalerFailed => "KEDAScalerFailed",
            EventReason::ScaledObjectPaused => "ScaledObjectPaused",
            EventReason::ScaledObjectUnpaused => "ScaledObjectUnpaused",
            EventReason::ScaledObjectFallbackActivated => "ScaledObjectFallbackActivated",
            EventReason::ScaledObjectFallbackDeactivated => "ScaledObjectFallbackDeactivated",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Event {
    /// `Warning` rather than `Normal`.
    pub warning: bool,
    pub reason: EventReason,
    pub message: String,
}

/// One trigger's outcome this poll.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TriggerOutcome {
    /// `s<i>-prometheus`.
    pub metric_name: String,
    /// What KEDA's metrics server serves the HPA for this metric, in milli-units: the
    /// scaler's value, or the fallback's; `None` when the HPA gets an error.
    pub served_milli: Option<i64>,
    /// Active (above `activationThreshold`, or falling back).
    pub active: bool,
    pub error: Option<ScalerError>,
    pub fallback: bool,
}

/// The poll's decision.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PollDecision {
    /// The count KEDA writes to the target's scale subresource, if it writes one.
    pub scale_to: Option<i32>,
    /// Paused: the scale loop stops and the HPA is deleted until the pause ends.
    pub hpa_deleted: bool,
    pub is_active: bool,
    pub is_error: bool,
    pub triggers: Vec<TriggerOutcome>,
    pub conditions: Vec<Condition>,
    pub events: Vec<Event>,
}

impl PollDecision {
    /// The condition of one type, if this poll set it.
    #[cfg(test)]
    pub(crate) fn condition(&self, kind: ConditionType) -> Option<Condition> {
        self.conditions.iter().copied().find(|c| c.kind == kind)
    }
}

fn set_condition(conditions: &mut Vec<Condition>, kind: ConditionType, status: ConditionStatus, reason: Reason) {
    let condition = Condition { kind, status, reason };
    match conditions.iter_mut().find(|c| c.kind == kind) {
        Some(existing) => *existing = condition,
        None => conditions.push(condition),
    }
}

/// `doFallback`: the value served in place of a failed metric so that the HPA computes
/// the fallback count — the count times the target for `AverageValue`; for `Value`,
/// divided by the ready replicas first (none ready: the fallback fails).
fn fallback_value_milli(
    so: &ScaledObject,
    metric_type: MetricTargetType,
    target_milli: i64,
    current_replicas: i32,
    ready_replicas: i32,
) -> Option<i64> {
    let fallback = so.spec.fallback?;
    let mut replicas = match fallback.behavior {
        FallbackBehavior::Static => fallback.replicas,
        FallbackBehavior::CurrentReplicas => current_replicas,
        FallbackBehavior::CurrentReplicasIfHigher => current_replicas.max(fallback.replicas),
        FallbackBehavior::CurrentReplicasIfLower => current_replicas.min(fallback.replicas),
    } as f64;
    if metric_type == MetricTargetType::Value {
        if ready_replicas <= 0 {
            return None;
        }
        replicas /= ready_replicas as f64;
    }
    // `int64(normalisationValue*1000*replicas)`: truncated.
    Some((target_milli as f64 * replicas) as i64)
}

/// One poll at `now`. `results` holds what each trigger's query returned, in trigger
/// order; `current_replicas` is the target's `spec.replicas` and `ready_replicas` its
/// ready pods (read only by a `Value` fallback). `state` is updated as KEDA updates the
/// ScaledObject's status.
pub(crate) fn poll(
    so: &ScaledObject,
    state: &mut ScaledObjectState,
    results: &[QueryResult],
    current_replicas: i32,
    ready_replicas: i32,
    now: SimTime,
) -> PollDecision {
    let mut decision = PollDecision {
        scale_to: None,
        hpa_deleted: false,
        is_active: false,
        is_error: false,
        triggers: Vec::new(),
        conditions: Vec::new(),
        events: Vec::new(),
    };
    let target = &so.spec.scale_target_ref;
    let target_text = format!("{} {}/{}", target.kind, so.namespace, target.name);

    // Pause: the controller stops the scale loop, deletes the HPA and, with a paused
    // count, scales the target to it; `paused: true` freezes the current count.
    if so.need_to_be_paused_by_annotation() {
        set_condition(
            &mut decision.conditions,
            ConditionType::Paused,
            ConditionStatus::True,
            Reason::ScaledObjectPaused,
        );
        if !state.paused {
            decision.events.push(Event {
                warning: false,
                reason: EventReason::ScaledObjectPaused,
                message: "ScaledObject is paused".into(),
            });
        }
        state.paused = true;
        decision.hpa_deleted = true;
        decision.scale_to = so.paused_replica_count().filter(|&n| n != current_replicas);
        return decision;
    }
    if state.paused {
        set_condition(
            &mut decision.conditions,
            ConditionType::Paused,
            ConditionStatus::False,
            Reason::ScaledObjectUnpaused,
        );
        decision.events.push(Event {
            warning: false,
            reason: EventReason::ScaledObjectUnpaused,
            message: "pause annotation removed for ScaledObject".into(),
        });
        state.paused = false;
    }

    // getScaledObjectState: every trigger, with fallback.
    let fallback = so.spec.fallback;
    let mut active_triggers = Vec::new();
    let mut fallback_active = false;
    for (i, (trigger, result)) in so.spec.triggers.iter().zip(results).enumerate() {
        let Scaler::Prometheus(meta) = &trigger.scaler;
        let name = metric_name(i);
        let mut outcome = TriggerOutcome {
            metric_name: name.clone(),
            served_milli: None,
            active: false,
            error: None,
            fallback: false,
        };
        match metrics_and_activity(meta, *result) {
            Ok((value, active)) => {
                if fallback.is_some() {
                    state.failures.insert(name.clone(), 0);
                }
                outcome.served_milli = Some(to_milli(value));
                outcome.active = active;
            }
            Err(err) => {
                let over_threshold = fallback.is_some_and(|f| {
                    let failures = state.failures.entry(name.clone()).or_insert(0);
                    *failures += 1;
                    *failures > f.failure_threshold
                });
                let served = if over_threshold {
                    fallback_value_milli(
                        so,
                        trigger.metric_type,
                        to_milli(meta.threshold),
                        current_replicas,
                        ready_replicas,
                    )
                } else {
                    None
                };
                match served {
                    Some(v) => {
                        outcome.served_milli = Some(v);
                        outcome.active = true;
                        outcome.fallback = true;
                        fallback_active = true;
                    }
                    None => {
                        outcome.error = Some(err);
                        decision.is_error = true;
                        decision.events.push(Event {
                            warning: true,
                            reason: EventReason::KEDAScalerFailed,
                            message: err.message().into(),
                        });
                    }
                }
            }
        }
        if outcome.active {
            decision.is_active = true;
            active_triggers.push(name);
        }
        decision.triggers.push(outcome);
    }
    if let Some(f) = fallback {
        let exceeded = state.failures.values().any(|&n| n > f.failure_threshold);
        let (status, reason) = if exceeded {
            (ConditionStatus::True, Reason::FallbackExists)
        } else {
            (ConditionStatus::False, Reason::NoFallbackFound)
        };
        set_condition(&mut decision.conditions, ConditionType::Fallback, status, reason);
    }
    if fallback_active && !state.fallback_active {
        decision.events.push(Event {
            warning: false,
            reason: EventReason::ScaledObjectFallbackActivated,
            message: "ScaledObject fallback is active".into(),
        });
    } else if !fallback_active && state.fallback_active {
        decision.events.push(Event {
            warning: false,
            reason: EventReason::ScaledObjectFallbackDeactivated,
            message: "ScaledObject fallback is no longer active".into(),
        });
    }
    state.fallback_active = fallback_active;

    request_scale(
        so,
        state,
        &mut decision,
        &active_triggers,
        &target_text,
        current_replicas,
        now,
    );
    decision
}

/// `RequestScale` after the current count is read.
fn request_scale(
    so: &ScaledObject,
    state: &mut ScaledObjectState,
    decision: &mut PollDecision,
    active_triggers: &[String],
    target_text: &str,
    current_replicas: i32,
    now: SimTime,
) {
    let conditions = &mut decision.conditions;
    set_condition(
        conditions,
        ConditionType::Ready,
        ConditionStatus::True,
        Reason::ScaledObjectReady,
    );
    let min_replicas = so.min_replica_count();
    let idle = so.spec.idle_replica_count;
    let forced = so.need_to_force_activation();

    if decision.is_active || forced {
        set_condition(
            conditions,
            ConditionType::Active,
            ConditionStatus::True,
            Reason::ScalerActive,
        );
        if (idle.is_some() && current_replicas < min_replicas) || current_replicas == 0 {
            // scaleFromZeroOrIdle
            if so.need_to_pause_scale_out() {
                return;
            }
            let replicas = min_replicas.max(1);
            decision.scale_to = Some(replicas);
            let cause = if forced {
                "caused by forced activation annotation".to_owned()
            } else {
                format!("triggered by {}", active_triggers.join(";"))
            };
            decision.events.push(Event {
                warning: false,
                reason: EventReason::KEDAScaleTargetActivated,
                message: format!("Scaled {target_text} from {current_replicas} to {replicas}, {cause}"),
            });
            state.last_active_time = Some(now);
        } else if decision.is_error {
            set_condition(
                conditions,
                ConditionType::Ready,
                ConditionStatus::Unknown,
                Reason::PartialTriggerError,
            );
        } else {
            state.last_active_time = Some(now);
        }
        return;
    }

    set_condition(
        conditions,
        ConditionType::Active,
        ConditionStatus::False,
        Reason::ScalerNotActive,
    );
    let fallback = so.spec.fallback;
    if decision.is_error && fallback.is_some_and(|f| f.replicas != 0) {
        // Not to zero: the HPA takes the target to fallback.replicas once the threshold
        // is passed, which it could not do from 0.
    } else if decision.is_error && fallback.is_none() {
        set_condition(
            conditions,
            ConditionType::Ready,
            ConditionStatus::False,
            Reason::TriggerError,
        );
    } else if idle.is_some_and(|i| current_replicas > i) || (current_replicas > 0 && min_replicas == 0) {
        scale_to_zero_or_idle(so, state, decision, target_text, current_replicas, now);
    } else if idle.is_none() && current_replicas < min_replicas {
        decision.scale_to = Some(min_replicas);
    }
}

/// `scaleToZeroOrIdle`: once the cooldown since the last active poll has passed (or,
/// never active, the initial cooldown since creation), to the idle or minimum count.
/// Go's `Before` is strict: at exactly the end of the cooldown it still waits.
fn scale_to_zero_or_idle(
    so: &ScaledObject,
    state: &ScaledObjectState,
    decision: &mut PollDecision,
    target_text: &str,
    current_replicas: i32,
    now: SimTime,
) {
    if so.need_to_pause_scale_in() {
        return;
    }
    let cooled_down = match state.last_active_time {
        None => state.created_at + so.initial_cooldown_period() < now,
        Some(last) => last + so.cooldown_period() < now,
    };
    if cooled_down {
        let (_, replicas) = so.idle_or_minimum_replica_count();
        decision.scale_to = Some(replicas);
        decision.events.push(Event {
            warning: false,
            reason: EventReason::KEDAScaleTargetDeactivated,
            message: format!("Deactivated {target_text} from {current_replicas} to {replicas}"),
        });
    } else {
        set_condition(
            &mut decision.conditions,
            ConditionType::Active,
            ConditionStatus::False,
            Reason::ScalerCooldown,
        );
    }
}

#[cfg(test)]
mod tests {
    //! Cases named after the Go tests of `scale_scaledobjects_test.go`
    //! (`TestScaleToIdleReplicasWhenNotActive` → `scale_to_idle_replicas_when_not_active`)
    //! and `fallback_test.go`, where one exists; the rest cover the paths those tests reach
    //! only through KEDA's e2e suite (activation, cooldown, initial cooldown).
    use super::super::scaled_object::decode_scaled_object;
    use super::*;
    use crate::units::SimDuration;
    use serde_json::{json, Value};

    const NOW: SimTime = SimTime(10_000_000);
    const SECOND: u64 = 1_000;

    fn ago(seconds: u64) -> SimTime {
        SimTime(NOW.0 - seconds * SECOND)
    }

    /// A ScaledObject on Deployment `vllm` in `llm` with one prometheus trigger (threshold
    /// 10, activationThreshold 2) and the given spec fields and annotations.
    fn so(extra: Value, annotations: Value) -> ScaledObject {
        let mut spec = json!({
            "scaleTargetRef": {"name": "vllm"},
            "triggers": [{"type": "prometheus", "metadata": {
                "serverAddress": "http://prom:9090", "query": "sum(vllm:num_requests_waiting)",
                "threshold": "10", "activationThreshold": "2"}}]
        });
        for (k, v) in extra.as_object().unwrap() {
            spec[k] = v.clone();
        }
        decode_scaled_object(&json!({
            "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
            "metadata": {"name": "chat", "namespace": "llm", "annotations": annotations},
            "spec": spec
        }))
        .unwrap()
    }

    /// Created at 0, long ago; never active.
    fn fresh() -> ScaledObjectState {
        ScaledObjectState::default()
    }

    fn active_since(seconds: u64) -> ScaledObjectState {
        ScaledObjectState {
            last_active_time: Some(ago(seconds)),
            ..ScaledObjectState::default()
        }
    }

    struct Case {
        name: &'static str,
        extra: Value,
        annotations: Value,
        state: ScaledObjectState,
        result: QueryResult,
        current: i32,
        want_scale: Option<i32>,
        want_active: (ConditionStatus, Reason),
        want_events: Vec<EventReason>,
        /// `lastActiveTime` after the poll.
        want_last_active: Option<SimTime>,
    }

    #[test]
    fn request_scale_cases() {
        use ConditionStatus::{False, True};
        let cases = vec![
            Case {
                name: "activation from zero: 0 -> 1",
                extra: json!({}),
                annotations: json!({}),
                state: fresh(),
                result: QueryResult::Sample(5.0),
                current: 0,
                want_scale: Some(1),
                want_active: (True, Reason::ScalerActive),
                want_events: vec![EventReason::KEDAScaleTargetActivated],
                want_last_active: Some(NOW),
            },
            Case {
                name: "stays at zero at or below activationThreshold",
                extra: json!({}),
                annotations: json!({}),
                state: fresh(),
                result: QueryResult::Sample(2.0),
                current: 0,
                want_scale: None,
                want_active: (False, Reason::ScalerNotActive),
                want_events: vec![],
                want_last_active: None,
            },
            Case {
                name: "active with replicas leaves 1..N to the HPA and records lastActiveTime",
                extra: json!({}),
                annotations: json!({}),
                state: active_since(60),
                result: QueryResult::Sample(50.0),
                current: 4,
                want_scale: None,
                want_active: (True, Reason::ScalerActive),
                want_events: vec![],
                want_last_active: Some(NOW),
            },
            Case {
                name: "cooldown not elapsed keeps replicas",
                extra: json!({}),
                annotations: json!({}),
                state: active_since(100),
                result: QueryResult::Sample(0.0),
                current: 2,
                want_scale: None,
                want_active: (False, Reason::ScalerCooldown),
                want_events: vec![],
                want_last_active: Some(ago(100)),
            },
            Case {
                name: "cooldown exactly elapsed still waits (strict Before)",
                extra: json!({}),
                annotations: json!({}),
                state: active_since(300),
                result: QueryResult::Sample(0.0),
                current: 2,
                want_scale: None,
                want_active: (False, Reason::ScalerCooldown),
                want_events: vec![],
                want_last_active: Some(ago(300)),
            },
            Case {
                name: "cooldown elapsed scales to zero",
                extra: json!({}),
                annotations: json!({}),
                state: active_since(301),
                result: QueryResult::Sample(0.0),
                current: 2,
                want_scale: Some(0),
                want_active: (False, Reason::ScalerNotActive),
                want_events: vec![EventReason::KEDAScaleTargetDeactivated],
                want_last_active: Some(ago(301)),
            },
            Case {
                name: "custom cooldownPeriod",
                extra: json!({"cooldownPeriod": 30}),
                annotations: json!({}),
                state: active_since(31),
                result: QueryResult::Empty,
                current: 1,
                want_scale: Some(0),
                want_active: (False, Reason::ScalerNotActive),
                want_events: vec![EventReason::KEDAScaleTargetDeactivated],
                want_last_active: Some(ago(31)),
            },
            Case {
                name: "scale_to_idle_replicas_when_not_active",
                extra: json!({"idleReplicaCount": 0, "minReplicaCount": 2}),
                annotations: json!({}),
                state: active_since(400),
                result: QueryResult::Sample(0.0),
                current: 5,
                want_scale: Some(0),
                want_active: (False, Reason::ScalerNotActive),
                want_events: vec![EventReason::KEDAScaleTargetDeactivated],
                want_last_active: Some(ago(400)),
            },
            Case {
                name: "scale_from_idle_to_min_replicas_when_active",
                extra: json!({"idleReplicaCount": 0, "minReplicaCount": 2}),
                annotations: json!({}),
                state: active_since(400),
                result: QueryResult::Sample(5.0),
                current: 0,
                want_scale: Some(2),
                want_active: (True, Reason::ScalerActive),
                want_events: vec![EventReason::KEDAScaleTargetActivated],
                want_last_active: Some(NOW),
            },
            Case {
                name: "minReplicaCount > 0 is never taken to zero",
                extra: json!({"minReplicaCount": 2}),
                annotations: json!({}),
                state: active_since(4000),
                result: QueryResult::Sample(0.0),
                current: 3,
                want_scale: None,
                want_active: (False, Reason::ScalerNotActive),
                want_events: vec![],
                want_last_active: Some(ago(4000)),
            },
            Case {
                name: "scale_to_min_replicas_from_lower_initial_replica_count",
                extra: json!({"minReplicaCount": 5}),
                annotations: json!({}),
                state: fresh(),
                result: QueryResult::Sample(0.0),
                current: 1,
                want_scale: Some(5),
                want_active: (False, Reason::ScalerNotActive),
                want_events: vec![],
                want_last_active: None,
            },
            Case {
                name: "scale_from_min_replicas_when_active: from 0 to minReplicaCount",
                extra: json!({"minReplicaCount": 3}),
                annotations: json!({}),
                state: fresh(),
                result: QueryResult::Sample(9.0),
                current: 0,
                want_scale: Some(3),
                want_active: (True, Reason::ScalerActive),
                want_events: vec![EventReason::KEDAScaleTargetActivated],
                want_last_active: Some(NOW),
            },
            Case {
                name: "initialCooldownPeriod not passed since creation keeps replicas",
                extra: json!({"initialCooldownPeriod": 120}),
                annotations: json!({}),
                state: ScaledObjectState {
                    created_at: ago(60),
                    ..ScaledObjectState::default()
                },
                result: QueryResult::Sample(0.0),
                current: 1,
                want_scale: None,
                want_active: (False, Reason::ScalerCooldown),
                want_events: vec![],
                want_last_active: None,
            },
            Case {
                name: "initialCooldownPeriod passed since creation scales to zero",
                extra: json!({"initialCooldownPeriod": 120}),
                annotations: json!({}),
                state: ScaledObjectState {
                    created_at: ago(121),
                    ..ScaledObjectState::default()
                },
                result: QueryResult::Sample(0.0),
                current: 1,
                want_scale: Some(0),
                want_active: (False, Reason::ScalerNotActive),
                want_events: vec![EventReason::KEDAScaleTargetDeactivated],
                want_last_active: None,
            },
            Case {
                name: "no_scale_to_min_replicas_when_not_active_and_pause_scale_in_annotation_set",
                extra: json!({}),
                annotations: json!({"autoscaling.keda.sh/paused-scale-in": "true"}),
                state: active_since(4000),
                result: QueryResult::Sample(0.0),
                current: 2,
                want_scale: None,
                want_active: (False, Reason::ScalerNotActive),
                want_events: vec![],
                want_last_active: Some(ago(4000)),
            },
            Case {
                name: "scale_from_min_replicas_when_activation_forced",
                extra: json!({}),
                annotations: json!({"autoscaling.keda.sh/force-activation": "true"}),
                state: fresh(),
                result: QueryResult::Sample(0.0),
                current: 0,
                want_scale: Some(1),
                want_active: (True, Reason::ScalerActive),
                want_events: vec![EventReason::KEDAScaleTargetActivated],
                want_last_active: Some(NOW),
            },
            Case {
                name: "no_scale_from_min_replicas_when_active_and_paused_scale_out_annotation_set",
                extra: json!({}),
                annotations: json!({"autoscaling.keda.sh/paused-scale-out": "true"}),
                state: fresh(),
                result: QueryResult::Sample(50.0),
                current: 0,
                want_scale: None,
                want_active: (True, Reason::ScalerActive),
                want_events: vec![],
                want_last_active: None,
            },
        ];
        for c in cases {
            let so = so(c.extra, c.annotations);
            let mut state = c.state;
            let d = poll(&so, &mut state, &[c.result], c.current, c.current, NOW);
            assert_eq!(d.scale_to, c.want_scale, "{}: scale_to", c.name);
            let active = d.condition(ConditionType::Active).expect("Active condition set");
            assert_eq!((active.status, active.reason), c.want_active, "{}: Active", c.name);
            let ready = d.condition(ConditionType::Ready).expect("Ready condition set");
            assert_eq!(
                (ready.status, ready.reason),
                (True, Reason::ScaledObjectReady),
                "{}: Ready",
                c.name
            );
            let events: Vec<EventReason> = d.events.iter().map(|e| e.reason).collect();
            assert_eq!(events, c.want_events, "{}: events", c.name);
            assert_eq!(state.last_active_time, c.want_last_active, "{}: lastActiveTime", c.name);
        }
    }

    #[test]
    fn event_with_trigger_info() {
        let so = so(json!({}), json!({}));
        let d = poll(&so, &mut fresh(), &[QueryResult::Sample(5.0)], 0, 0, NOW);
        assert_eq!(
            d.events[0].message,
            "Scaled Deployment llm/vllm from 0 to 1, triggered by s0-prometheus"
        );
        assert!(!d.events[0].warning);
        let d = poll(&so, &mut active_since(301), &[QueryResult::Sample(0.0)], 3, 3, NOW);
        assert_eq!(d.events[0].message, "Deactivated Deployment llm/vllm from 3 to 0");
    }

    #[test]
    fn scale_to_paused_replicas_count() {
        let so = so(json!({}), json!({"autoscaling.keda.sh/paused-replicas": "3"}));
        let mut state = fresh();
        // Even an active trigger is not read: the scale loop is stopped.
        let d = poll(&so, &mut state, &[QueryResult::Sample(500.0)], 1, 1, NOW);
        assert_eq!(d.scale_to, Some(3));
        assert!(d.hpa_deleted);
        assert!(d.triggers.is_empty());
        let paused = d.condition(ConditionType::Paused).unwrap();
        assert_eq!(
            (paused.status, paused.reason),
            (ConditionStatus::True, Reason::ScaledObjectPaused)
        );
        assert_eq!(d.events.len(), 1);
        assert_eq!(d.events[0].reason, EventReason::ScaledObjectPaused);
        assert!(state.paused);
        // Already at the paused count, and already paused: nothing to write, no new event.
        let d = poll(&so, &mut state, &[QueryResult::Sample(500.0)], 3, 3, NOW);
        assert_eq!(d.scale_to, None);
        assert!(d.events.is_empty());
        // `paused: "true"` freezes the current count.
        let frozen = super::tests::so(json!({}), json!({"autoscaling.keda.sh/paused": "true"}));
        let d = poll(&frozen, &mut fresh(), &[QueryResult::Sample(0.0)], 4, 4, NOW);
        assert_eq!(d.scale_to, None);
        assert!(d.hpa_deleted);
        // `paused: "false"` does not pause; the unpause after a pause is reported.
        let unpaused = super::tests::so(json!({}), json!({"autoscaling.keda.sh/paused": "false"}));
        let d = poll(&unpaused, &mut state, &[QueryResult::Sample(5.0)], 3, 3, NOW);
        assert!(!d.hpa_deleted);
        assert_eq!(
            d.condition(ConditionType::Paused).map(|c| c.reason),
            Some(Reason::ScaledObjectUnpaused)
        );
        assert_eq!(d.events[0].reason, EventReason::ScaledObjectUnpaused);
        assert!(!state.paused);
    }

    #[test]
    fn trigger_error_without_fallback_sets_ready_false() {
        let so = so(json!({}), json!({}));
        let mut state = active_since(4000);
        let d = poll(&so, &mut state, &[QueryResult::Failed], 2, 2, NOW);
        // Not scaled to zero on an error, and no failure counting without a fallback.
        assert_eq!(d.scale_to, None);
        assert!(d.is_error);
        assert_eq!(d.triggers[0].served_milli, None);
        let ready = d.condition(ConditionType::Ready).unwrap();
        assert_eq!(
            (ready.status, ready.reason),
            (ConditionStatus::False, Reason::TriggerError)
        );
        assert_eq!(d.events[0].reason, EventReason::KEDAScalerFailed);
        assert!(d.events[0].warning);
        assert!(state.failures.is_empty());
    }

    #[test]
    fn partial_trigger_error_keeps_last_active_time() {
        let mut so = so(json!({}), json!({}));
        so.spec.triggers.push(so.spec.triggers[0].clone());
        let mut state = active_since(100);
        let d = poll(
            &so,
            &mut state,
            &[QueryResult::Sample(50.0), QueryResult::Failed],
            2,
            2,
            NOW,
        );
        assert_eq!(d.scale_to, None);
        let ready = d.condition(ConditionType::Ready).unwrap();
        assert_eq!(
            (ready.status, ready.reason),
            (ConditionStatus::Unknown, Reason::PartialTriggerError)
        );
        assert_eq!(state.last_active_time, Some(ago(100)));
    }

    /// `should return a normalised metric when number of failures are beyond threshold`,
    /// `should bump the number of failures when metrics call fails` and
    /// `should reset the health status when scaler metrics are available`, over polls.
    #[test]
    fn fallback_after_failure_threshold() {
        let so = so(json!({"fallback": {"failureThreshold": 3, "replicas": 6}}), json!({}));
        let mut state = active_since(4000);
        // Failures 1..=3: errors; not active, and not scaled to zero because of the fallback.
        for n in 1..=3 {
            let d = poll(&so, &mut state, &[QueryResult::Failed], 2, 2, NOW);
            assert_eq!(state.failures["s0-prometheus"], n);
            assert!(d.is_error && !d.is_active, "poll {n}");
            assert_eq!(d.scale_to, None, "poll {n}");
            assert_eq!(d.triggers[0].served_milli, None);
            assert_eq!(
                d.condition(ConditionType::Fallback).map(|c| c.reason),
                Some(Reason::NoFallbackFound)
            );
        }
        // The fourth failure passes the threshold: the HPA is served 6 × 10 so that it
        // computes 6 replicas; the trigger counts as active.
        let d = poll(&so, &mut state, &[QueryResult::Failed], 2, 2, NOW);
        assert!(d.is_active && !d.is_error);
        assert!(d.triggers[0].fallback);
        assert_eq!(d.triggers[0].served_milli, Some(60_000));
        let fb = d.condition(ConditionType::Fallback).unwrap();
        assert_eq!((fb.status, fb.reason), (ConditionStatus::True, Reason::FallbackExists));
        assert_eq!(
            d.events.iter().map(|e| e.reason).collect::<Vec<_>>(),
            vec![EventReason::ScaledObjectFallbackActivated]
        );
        assert_eq!(state.last_active_time, Some(NOW));
        // Fed to the generated HPA, the served value asks for fallback.replicas.
        let hpa = super::super::hpa::new_hpa_for_scaled_object(&so);
        let proposal = hpa.metrics[0]
            .replicas_for(
                2,
                60_000,
                &[],
                crate::autoscaling::hpa::replica_calculator::Tolerances::default(),
            )
            .unwrap();
        assert_eq!(proposal.replicas, 6);
        // A success resets the count and ends the fallback.
        let d = poll(&so, &mut state, &[QueryResult::Sample(30.0)], 6, 6, NOW);
        assert_eq!(state.failures["s0-prometheus"], 0);
        assert_eq!(d.triggers[0].served_milli, Some(30_000));
        assert_eq!(
            d.events.iter().map(|e| e.reason).collect::<Vec<_>>(),
            vec![EventReason::ScaledObjectFallbackDeactivated]
        );
        assert!(!state.fallback_active);
    }

    #[test]
    fn fallback_activates_a_target_at_zero() {
        let so = so(json!({"fallback": {"failureThreshold": 0, "replicas": 4}}), json!({}));
        let d = poll(&so, &mut fresh(), &[QueryResult::Failed], 0, 0, NOW);
        assert_eq!(d.scale_to, Some(1));
        assert_eq!(d.triggers[0].served_milli, Some(40_000));
    }

    #[test]
    fn fallback_behaviors() {
        // (behavior, current replicas) → served value for a target of 10 and replicas 4
        let cases = [
            ("static", 7, 40_000),
            ("currentReplicas", 7, 70_000),
            ("currentReplicasIfHigher", 7, 70_000),
            ("currentReplicasIfHigher", 2, 40_000),
            ("currentReplicasIfLower", 2, 20_000),
            ("currentReplicasIfLower", 7, 40_000),
        ];
        for (behavior, current, served) in cases {
            let so = so(
                json!({"fallback": {"failureThreshold": 0, "replicas": 4, "behavior": behavior}}),
                json!({}),
            );
            let d = poll(&so, &mut fresh(), &[QueryResult::Failed], current, current, NOW);
            assert_eq!(d.triggers[0].served_milli, Some(served), "{behavior} at {current}");
        }
    }

    #[test]
    fn polling_interval_default_and_override() {
        assert_eq!(so(json!({}), json!({})).polling_interval(), SimDuration(30_000));
        assert_eq!(
            so(json!({"pollingInterval": 5}), json!({})).polling_interval(),
            SimDuration(5_000)
        );
        assert_eq!(so(json!({}), json!({})).cooldown_period(), SimDuration(300_000));
    }
}
