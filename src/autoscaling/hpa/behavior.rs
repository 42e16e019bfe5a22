//! From the metrics' proposal to the replica count the controller writes
//! (`pkg/controller/podautoscaler/horizontal.go`): the min/max clamp, the `behavior`
//! scaling rules (rate policies over the scale events of their periods, stabilization
//! windows over the recent recommendations), the legacy normalization of an HPA without
//! `behavior`, and the condition reasons the controller reports, so a report can say why.
//!
//! The defaults are those of `pkg/apis/autoscaling/v2/defaults.go`. The controller's
//! per-HPA memory (recommendations, scale-up and scale-down events) is `HpaHistory`,
//! which the caller keeps, one per HPA.

use super::replica_calculator::Tolerances;
use crate::units::{SimDuration, SimTime};

/// `HPAScalingPolicyType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScalingPolicyType {
    /// Add or remove at most `value` pods per period.
    Pods,
    /// Add or remove at most `value` percent of the pods at the period's start.
    Percent,
}

/// `HPAScalingPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScalingPolicy {
    pub kind: ScalingPolicyType,
    pub value: i32,
    pub period_seconds: i32,
}

/// `ScalingPolicySelect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SelectPolicy {
    /// `Max`: the policy allowing the largest change.
    Max,
    /// `Min`: the policy allowing the smallest change.
    Min,
    /// `Disabled`: no scaling in this direction.
    Disabled,
}

/// `HPAScalingRules` for one direction. As written, any field may be unset; after
/// `scale_up_rules` / `scale_down_rules` all are set except the scale-down window, which
/// the controller fills from `--horizontal-pod-autoscaler-downscale-stabilization`.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ScalingRules {
    pub stabilization_window_seconds: Option<i32>,
    pub select_policy: Option<SelectPolicy>,
    pub policies: Option<Vec<ScalingPolicy>>,
    /// `tolerance` (KEP-4951, feature gate `HPAConfigurableTolerance`).
    pub tolerance: Option<f64>,
}

/// `HorizontalPodAutoscalerBehavior`, defaulted.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HpaBehavior {
    pub scale_up: ScalingRules,
    pub scale_down: ScalingRules,
}

impl HpaBehavior {
    /// `SetDefaults_HorizontalPodAutoscalerBehavior` for an HPA that has a `behavior`.
    pub(crate) fn defaulted(scale_up: Option<&ScalingRules>, scale_down: Option<&ScalingRules>) -> Self {
        HpaBehavior {
            scale_up: scale_up_rules(scale_up),
            scale_down: scale_down_rules(scale_down),
        }
    }
}

/// `GenerateHPAScaleUpRules`: unset fields from the default, which keeps the pre-behavior
/// rate — the larger of 4 pods and 100% per 15 s, no stabilization.
pub(crate) fn scale_up_rules(rules: Option<&ScalingRules>) -> ScalingRules {
    let defaults = ScalingRules {
        stabilization_window_seconds: Some(0),
        select_policy: Some(SelectPolicy::Max),
        policies: Some(vec![
            ScalingPolicy {
                kind: ScalingPolicyType::Pods,
                value: 4,
                period_seconds: 15,
            },
            ScalingPolicy {
                kind: ScalingPolicyType::Percent,
                value: 100,
                period_seconds: 15,
            },
        ]),
        tolerance: None,
    };
    merged(rules, defaults)
}

/// `GenerateHPAScaleDownRules`: 100% per 15 s; the stabilization window stays unset.
pub(crate) fn scale_down_rules(rules: Option<&ScalingRules>) -> ScalingRules {
    let defaults = ScalingRules {
        stabilization_window_seconds: None,
        select_policy: Some(SelectPolicy::Max),
        policies: Some(vec![ScalingPolicy {
            kind: ScalingPolicyType::Percent,
            value: 100,
            period_seconds: 15,
        }]),
        tolerance: None,
    };
    merged(rules, defaults)
}

/// `copyHPAScalingRules`: the set fields of `from` over `to`.
fn merged(from: Option<&ScalingRules>, to: ScalingRules) -> ScalingRules {
    let Some(from) = from else { return to };
    ScalingRules {
        stabilization_window_seconds: from.stabilization_window_seconds.or(to.stabilization_window_seconds),
        select_policy: from.select_policy.or(to.select_policy),
        policies: from.policies.clone().or(to.policies),
        tolerance: from.tolerance.or(to.tolerance),
    }
}

/// `tolerancesForHpa` with `HPAConfigurableTolerance` on: a direction's own tolerance,
/// else the controller's.
pub(crate) fn tolerances_for(behavior: Option<&HpaBehavior>, controller_tolerance: f64) -> Tolerances {
    let own = |rules: fn(&HpaBehavior) -> &ScalingRules| {
        behavior.and_then(|b| rules(b).tolerance).unwrap_or(controller_tolerance)
    };
    Tolerances {
        scale_down: own(|b| &b.scale_down),
        scale_up: own(|b| &b.scale_up),
    }
}

/// The HPA's condition types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConditionType {
    AbleToScale,
    ScalingActive,
    ScalingLimited,
}

impl ConditionType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ConditionType::AbleToScale => "AbleToScale",
            ConditionType::ScalingActive => "ScalingActive",
            ConditionType::ScalingLimited => "ScalingLimited",
        }
    }
}

/// The reasons the controller gives its conditions, with their messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    SucceededGetScale,
    SucceededRescale,
    ScalingDisabled,
    ValidMetricFound,
    ReadyForNewScale,
    ScaleUpStabilized,
    ScaleDownStabilized,
    ScaleUpLimit,
    ScaleDownLimit,
    TooManyReplicas,
    TooFewReplicas,
    DesiredWithinRange,
}

impl Reason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Reason::SucceededGetScale => "SucceededGetScale",
            Reason::SucceededRescale => "SucceededRescale",
            Reason::ScalingDisabled => "ScalingDisabled",
            Reason::ValidMetricFound => "ValidMetricFound",
            Reason::ReadyForNewScale => "ReadyForNewScale",
            Reason::ScaleUpStabilized => "ScaleUpStabilized",
            Reason::ScaleDownStabilized => "ScaleDownStabilized",
            Reason::ScaleUpLimit => "ScaleUpLimit",
            Reason::ScaleDownLimit => "ScaleDownLimit",
            Reason::TooManyReplicas => "TooManyReplicas",
            Reason::TooFewReplicas => "TooFewReplicas",
            Reason::DesiredWithinRange => "DesiredWithinRange",
        }
    }

    pub(crate) fn message(self) -> &'static str {
        match self {
            Reason::SucceededGetScale => "the HPA controller was able to get the target's current scale",
            Reason::SucceededRescale => "the HPA controller was able to update the target scale",
            Reason::ScalingDisabled => "scaling is disabled since the replica count of the target is zero",
            Reason::ValidMetricFound => "the HPA was able to successfully calculate a replica count",
            Reason::ReadyForNewScale => "recommended size matches current size",
            Reason::ScaleUpStabilized => {
                "recent recommendations were lower than current one, applying the lowest recent recommendation"
            }
            Reason::ScaleDownStabilized => {
                "recent recommendations were higher than current one, applying the highest recent recommendation"
            }
            Reason::ScaleUpLimit => "the desired replica count is increasing faster than the maximum scale rate",
            Reason::ScaleDownLimit => "the desired replica count is decreasing faster than the maximum scale rate",
            Reason::TooManyReplicas => "the desired replica count is more than the maximum replica count",
            Reason::TooFewReplicas => "the desired replica count is less than the minimum replica count",
            Reason::DesiredWithinRange => "the desired count is within the acceptable range",
        }
    }
}

/// One condition as the controller sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Condition {
    pub kind: ConditionType,
    pub status: bool,
    pub reason: Reason,
}

/// `timestampedRecommendation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Recommendation {
    pub replicas: i32,
    pub timestamp: SimTime,
}

/// `timestampedScaleEvent`: a rescale by `replica_change` pods (positive in both
/// directions; scale-ups and scale-downs are kept apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScaleEvent {
    pub replica_change: i32,
    pub timestamp: SimTime,
    pub outdated: bool,
}

/// What the controller remembers of one HPA between syncs: its recent recommendations
/// and its scale events (`recommendations`, `scaleUpEvents`, `scaleDownEvents`).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct HpaHistory {
    pub recommendations: Vec<Recommendation>,
    pub scale_up_events: Vec<ScaleEvent>,
    pub scale_down_events: Vec<ScaleEvent>,
}

fn seconds(s: i32) -> SimDuration {
    SimDuration::from_secs(s.max(0) as u64)
}

/// Go's `t.After(now - window)`.
fn within(t: SimTime, window: SimDuration, now: SimTime) -> bool {
    t + window > now
}

/// Go's `t.Before(now - window)`.
fn older_than(t: SimTime, window: SimDuration, now: SimTime) -> bool {
    t + window < now
}

/// `getReplicasChangePerPeriod`: the pods the events of the last `period_seconds` added
/// (or removed).
pub(crate) fn replicas_change_per_period(period_seconds: i32, events: &[ScaleEvent], now: SimTime) -> i32 {
    events
        .iter()
        .filter(|e| within(e.timestamp, seconds(period_seconds), now))
        .map(|e| e.replica_change)
        .sum()
}

/// `calculateScaleUpLimitWithScalingRules`: the most replicas the policies allow now.
pub(crate) fn scale_up_limit_with_scaling_rules(
    current_replicas: i32,
    scale_up_events: &[ScaleEvent],
    scale_down_events: &[ScaleEvent],
    rules: &ScalingRules,
    now: SimTime,
) -> i32 {
    let select = rules.select_policy.unwrap_or(SelectPolicy::Max);
    let (mut result, pick): (i32, fn(i32, i32) -> i32) = match select {
        SelectPolicy::Disabled => return current_replicas,
        SelectPolicy::Min => (i32::MAX, i32::min),
        SelectPolicy::Max => (i32::MIN, i32::max),
    };
    for policy in rules.policies.as_deref().unwrap_or_default() {
        let added = replicas_change_per_period(policy.period_seconds, scale_up_events, now);
        let deleted = replicas_change_per_period(policy.period_seconds, scale_down_events, now);
        let period_start = current_replicas - added + deleted;
        let proposed = match policy.kind {
            ScalingPolicyType::Pods => period_start + policy.value,
            // Rounded up, or a small percent of few pods would never add one.
            ScalingPolicyType::Percent => {
                (period_start as f64 * (1.0 + policy.value as f64 / 100.0)).ceil() as i32
            }
        };
        result = pick(result, proposed);
    }
    result
}

/// `calculateScaleDownLimitWithBehaviors`: the fewest replicas the policies allow now.
pub(crate) fn scale_down_limit_with_behaviors(
    current_replicas: i32,
    scale_up_events: &[ScaleEvent],
    scale_down_events: &[ScaleEvent],
    rules: &ScalingRules,
    now: SimTime,
) -> i32 {
    let select = rules.select_policy.unwrap_or(SelectPolicy::Max);
    let (mut result, pick): (i32, fn(i32, i32) -> i32) = match select {
        SelectPolicy::Disabled => return current_replicas,
        SelectPolicy::Min => (i32::MIN, i32::max),
        SelectPolicy::Max => (i32::MAX, i32::min),
    };
    for policy in rules.policies.as_deref().unwrap_or_default() {
        let added = replicas_change_per_period(policy.period_seconds, scale_up_events, now);
        let deleted = replicas_change_per_period(policy.period_seconds, scale_down_events, now);
        let period_start = current_replicas - added + deleted;
        let proposed = match policy.kind {
            ScalingPolicyType::Pods => period_start - policy.value,
            // Truncated toward zero, as Go's int32() conversion.
            ScalingPolicyType::Percent => (period_start as f64 * (1.0 - policy.value as f64 / 100.0)) as i32,
        };
        result = pick(result, proposed);
    }
    result
}

/// `scaleUpLimitFactor` and `scaleUpLimitMinimum`: without `behavior`, one sync may at
/// most double the replicas, or go to 4.
const SCALE_UP_LIMIT_FACTOR: f64 = 2.0;
const SCALE_UP_LIMIT_MINIMUM: f64 = 4.0;

/// `calculateScaleUpLimit`.
pub(crate) fn scale_up_limit(current_replicas: i32) -> i32 {
    (SCALE_UP_LIMIT_FACTOR * current_replicas as f64).max(SCALE_UP_LIMIT_MINIMUM) as i32
}

/// `convertDesiredReplicasWithRules`: the clamp of an HPA without `behavior`.
pub(crate) fn convert_desired_replicas_with_rules(
    current_replicas: i32,
    desired_replicas: i32,
    min_replicas: i32,
    max_replicas: i32,
) -> (i32, Reason) {
    let limit = scale_up_limit(current_replicas);
    let (maximum_allowed, limiting) = if max_replicas > limit {
        (limit, Reason::ScaleUpLimit)
    } else {
        (max_replicas, Reason::TooManyReplicas)
    };
    if desired_replicas < min_replicas {
        (min_replicas, Reason::TooFewReplicas)
    } else if desired_replicas > maximum_allowed {
        (maximum_allowed, limiting)
    } else {
        (desired_replicas, Reason::DesiredWithinRange)
    }
}

/// `NormalizationArg`, less the key (the history is the HPA's own) and the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NormalizationArg {
    pub min_replicas: i32,
    pub max_replicas: i32,
    pub current_replicas: i32,
    pub desired_replicas: i32,
}

/// The normalized count and the two conditions normalization sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Normalized {
    pub desired_replicas: i32,
    pub able_to_scale: Condition,
    pub scaling_limited: Condition,
}

impl HpaHistory {
    /// `recordInitialRecommendation`: the first sync remembers the current count, so a
    /// fresh HPA does not scale down at once.
    pub(crate) fn record_initial_recommendation(&mut self, current_replicas: i32, now: SimTime) {
        if self.recommendations.is_empty() {
            self.recommendations.push(Recommendation {
                replicas: current_replicas,
                timestamp: now,
            });
        }
    }

    /// Replaces the last recommendation the predicate calls old, or appends.
    fn record(&mut self, old: impl Fn(&Recommendation) -> bool, replicas: i32, now: SimTime) {
        let new = Recommendation {
            replicas,
            timestamp: now,
        };
        match self.recommendations.iter().rposition(old) {
            Some(i) => self.recommendations[i] = new,
            None => self.recommendations.push(new),
        }
    }

    /// `stabilizeRecommendation` (no `behavior`): the highest recommendation of the
    /// downscale window, this one included.
    pub(crate) fn stabilize_recommendation(
        &mut self,
        prenormalized_desired_replicas: i32,
        downscale_window: SimDuration,
        now: SimTime,
    ) -> i32 {
        let max_recommendation = self
            .recommendations
            .iter()
            .filter(|r| !older_than(r.timestamp, downscale_window, now))
            .map(|r| r.replicas)
            .fold(prenormalized_desired_replicas, i32::max);
        self.record(
            |r| older_than(r.timestamp, downscale_window, now),
            prenormalized_desired_replicas,
            now,
        );
        max_recommendation
    }

    /// `stabilizeRecommendationWithBehaviors`: the current count brought up to the lowest
    /// recommendation of the scale-up window and down to the highest of the scale-down
    /// window (each including this one); this unstabilized recommendation is remembered.
    pub(crate) fn stabilize_recommendation_with_behaviors(
        &mut self,
        args: NormalizationArg,
        up_window: SimDuration,
        down_window: SimDuration,
        now: SimTime,
    ) -> (i32, Reason) {
        let mut up_recommendation = args.desired_replicas;
        let mut down_recommendation = args.desired_replicas;
        for r in &self.recommendations {
            if within(r.timestamp, up_window, now) {
                up_recommendation = up_recommendation.min(r.replicas);
            }
            if within(r.timestamp, down_window, now) {
                down_recommendation = down_recommendation.max(r.replicas);
            }
        }
        let mut recommendation = args.current_replicas;
        if recommendation < up_recommendation {
            recommendation = up_recommendation;
        }
        if recommendation > down_recommendation {
            recommendation = down_recommendation;
        }
        self.record(
            |r| older_than(r.timestamp, up_window, now) && older_than(r.timestamp, down_window, now),
            args.desired_replicas,
            now,
        );
        let reason = if args.desired_replicas >= args.current_replicas {
            Reason::ScaleUpStabilized
        } else {
            Reason::ScaleDownStabilized
        };
        (recommendation, reason)
    }

    /// `convertDesiredReplicasWithBehaviorRate`: the rate policies and min/max.
    pub(crate) fn convert_desired_replicas_with_behavior_rate(
        &self,
        args: NormalizationArg,
        behavior: &HpaBehavior,
        now: SimTime,
    ) -> (i32, Reason) {
        let NormalizationArg {
            min_replicas,
            max_replicas,
            current_replicas,
            desired_replicas,
        } = args;
        if desired_replicas > current_replicas {
            let limit = scale_up_limit_with_scaling_rules(
                current_replicas,
                &self.scale_up_events,
                &self.scale_down_events,
                &behavior.scale_up,
                now,
            )
            // No further scale-up until the recent scale-ups age out of their periods.
            .max(current_replicas);
            let (maximum_allowed, limiting) = if max_replicas > limit {
                (limit, Reason::ScaleUpLimit)
            } else {
                (max_replicas, Reason::TooManyReplicas)
            };
            if desired_replicas > maximum_allowed {
                return (maximum_allowed, limiting);
            }
        } else if desired_replicas < current_replicas {
            let limit = scale_down_limit_with_behaviors(
                current_replicas,
                &self.scale_up_events,
                &self.scale_down_events,
                &behavior.scale_down,
                now,
            )
            .min(current_replicas);
            let (minimum_allowed, limiting) = if min_replicas < limit {
                (limit, Reason::ScaleDownLimit)
            } else {
                (min_replicas, Reason::TooFewReplicas)
            };
            if desired_replicas < minimum_allowed {
                return (minimum_allowed, limiting);
            }
        }
        (desired_replicas, Reason::DesiredWithinRange)
    }

    /// `normalizeDesiredReplicas` (no `behavior`) and
    /// `normalizeDesiredReplicasWithBehaviors`: stabilization, then the limits.
    /// `downscale_window` is `--horizontal-pod-autoscaler-downscale-stabilization`.
    pub(crate) fn normalize_desired_replicas(
        &mut self,
        behavior: Option<&HpaBehavior>,
        args: NormalizationArg,
        downscale_window: SimDuration,
        now: SimTime,
    ) -> Normalized {
        let prenormalized = args.desired_replicas;
        let (stabilized, stabilized_reason, (desired, limit_reason)) = match behavior {
            None => {
                let stabilized = self.stabilize_recommendation(prenormalized, downscale_window, now);
                let converted = convert_desired_replicas_with_rules(
                    args.current_replicas,
                    stabilized,
                    args.min_replicas,
                    args.max_replicas,
                );
                (stabilized, Reason::ScaleDownStabilized, converted)
            }
            Some(behavior) => {
                // `maybeInitScaleDownStabilizationWindow`.
                let up_window = seconds(behavior.scale_up.stabilization_window_seconds.unwrap_or(0));
                let down_window = behavior
                    .scale_down
                    .stabilization_window_seconds
                    .map(seconds)
                    .unwrap_or(downscale_window);
                let (stabilized, reason) =
                    self.stabilize_recommendation_with_behaviors(args, up_window, down_window, now);
                let converted = self.convert_desired_replicas_with_behavior_rate(
                    NormalizationArg {
                        desired_replicas: stabilized,
                        ..args
                    },
                    behavior,
                    now,
                );
                (stabilized, reason, converted)
            }
        };
        let able_to_scale = Condition {
            kind: ConditionType::AbleToScale,
            status: true,
            reason: if stabilized != prenormalized {
                stabilized_reason
            } else {
                Reason::ReadyForNewScale
            },
        };
        let scaling_limited = Condition {
            kind: ConditionType::ScalingLimited,
            status: desired != stabilized,
            reason: limit_reason,
        };
        Normalized {
            desired_replicas: desired,
            able_to_scale,
            scaling_limited,
        }
    }

    /// `storeScaleEvent`: remember a rescale for the rate policies (only with `behavior`),
    /// reusing the slot of an event older than the direction's longest policy period.
    pub(crate) fn store_scale_event(
        &mut self,
        behavior: Option<&HpaBehavior>,
        prev_replicas: i32,
        new_replicas: i32,
        now: SimTime,
    ) {
        let Some(behavior) = behavior else { return };
        let (events, rules, change) = if new_replicas > prev_replicas {
            (&mut self.scale_up_events, &behavior.scale_up, new_replicas - prev_replicas)
        } else {
            (&mut self.scale_down_events, &behavior.scale_down, prev_replicas - new_replicas)
        };
        // `getLongestPolicyPeriod` and `markScaleEventsOutdated`.
        let longest = rules
            .policies
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|p| p.period_seconds)
            .fold(0, i32::max);
        for event in events.iter_mut() {
            if older_than(event.timestamp, seconds(longest), now) {
                event.outdated = true;
            }
        }
        let new = ScaleEvent {
            replica_change: change,
            timestamp: now,
            outdated: false,
        };
        match events.iter().rposition(|e| e.outdated) {
            Some(i) => events[i] = new,
            None => events.push(new),
        }
    }
}

/// The parts of an HPA's spec the decision reads.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HpaSpec {
    /// Defaulted to 1 when unset.
    pub min_replicas: Option<i32>,
    pub max_replicas: i32,
    /// Defaulted with `HpaBehavior::defaulted`; `None` is the legacy path.
    pub behavior: Option<HpaBehavior>,
}

/// Why the controller rescales (its `SuccessfulRescale` event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RescaleReason {
    AboveMaxReplicas,
    BelowMinReplicas,
    /// `<metric> above target`.
    MetricAboveTarget,
    AllMetricsBelowTarget,
}

impl RescaleReason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RescaleReason::AboveMaxReplicas => "Current number of replicas above Spec.MaxReplicas",
            RescaleReason::BelowMinReplicas => "Current number of replicas below Spec.MinReplicas",
            RescaleReason::MetricAboveTarget => "above target",
            RescaleReason::AllMetricsBelowTarget => "All metrics below target",
        }
    }
}

/// One sync's decision: the count to write (the current one when `rescale` is false),
/// why, and the conditions as the controller leaves them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decision {
    pub desired_replicas: i32,
    pub rescale: bool,
    pub reason: Option<RescaleReason>,
    pub conditions: Vec<Condition>,
}

/// Sets a condition in a list, as `setCondition` does (one per type).
fn set_condition(conditions: &mut Vec<Condition>, condition: Condition) {
    match conditions.iter_mut().find(|c| c.kind == condition.kind) {
        Some(existing) => *existing = condition,
        None => conditions.push(condition),
    }
}

/// `reconcileAutoscaler` from the scale subresource on, for a successful sync:
/// `current_replicas` is the target's `spec.replicas` and `metric_desired_replicas` the
/// largest proposal of the HPA's metrics (`computeReplicasForMetrics`), read only when
/// the current count lies within [min, max]. A rescale is recorded as a scale event.
pub(crate) fn reconcile(
    spec: &HpaSpec,
    history: &mut HpaHistory,
    current_replicas: i32,
    metric_desired_replicas: i32,
    downscale_window: SimDuration,
    now: SimTime,
) -> Decision {
    let mut conditions = Vec::new();
    set_condition(&mut conditions, Condition {
        kind: ConditionType::AbleToScale,
        status: true,
        reason: Reason::SucceededGetScale,
    });
    history.record_initial_recommendation(current_replicas, now);
    let min_replicas = spec.min_replicas.unwrap_or(1);

    let (desired, reason, rescale) = if current_replicas == 0 && min_replicas != 0 {
        set_condition(&mut conditions, Condition {
            kind: ConditionType::ScalingActive,
            status: false,
            reason: Reason::ScalingDisabled,
        });
        (0, None, false)
    } else if current_replicas > spec.max_replicas {
        (spec.max_replicas, Some(RescaleReason::AboveMaxReplicas), true)
    } else if current_replicas < min_replicas {
        (min_replicas, Some(RescaleReason::BelowMinReplicas), true)
    } else {
        set_condition(&mut conditions, Condition {
            kind: ConditionType::ScalingActive,
            status: true,
            reason: Reason::ValidMetricFound,
        });
        let proposed = metric_desired_replicas.max(0);
        let reason = match proposed.cmp(&current_replicas) {
            std::cmp::Ordering::Greater => Some(RescaleReason::MetricAboveTarget),
            std::cmp::Ordering::Less => Some(RescaleReason::AllMetricsBelowTarget),
            std::cmp::Ordering::Equal => None,
        };
        let normalized = history.normalize_desired_replicas(
            spec.behavior.as_ref(),
            NormalizationArg {
                min_replicas,
                max_replicas: spec.max_replicas,
                current_replicas,
                desired_replicas: proposed,
            },
            downscale_window,
            now,
        );
        set_condition(&mut conditions, normalized.able_to_scale);
        set_condition(&mut conditions, normalized.scaling_limited);
        let desired = normalized.desired_replicas;
        (desired, reason, desired != current_replicas)
    };

    if rescale {
        set_condition(&mut conditions, Condition {
            kind: ConditionType::AbleToScale,
            status: true,
            reason: Reason::SucceededRescale,
        });
        history.store_scale_event(spec.behavior.as_ref(), current_replicas, desired, now);
        Decision {
            desired_replicas: desired,
            rescale,
            reason,
            conditions,
        }
    } else {
        Decision {
            desired_replicas: current_replicas,
            rescale,
            reason,
            conditions,
        }
    }
}
