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

    request_scale(so, state, &mut decision, &active_triggers, &target_text, current_replicas, now);
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
        set_condition(conditions, ConditionType::Active, ConditionStatus::True, Reason::ScalerActive);
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
        set_condition(conditions, ConditionType::Ready, ConditionStatus::False, Reason::TriggerError);
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
