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
        behavior
            .and_then(|b| rules(b).tolerance)
            .unwrap_or(controller_tolerance)
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
            ScalingPolicyType::Percent => (period_start as f64 * (1.0 + policy.value as f64 / 100.0)).ceil() as i32,
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
            (
                &mut self.scale_up_events,
                &behavior.scale_up,
                new_replicas - prev_replicas,
            )
        } else {
            (
                &mut self.scale_down_events,
                &behavior.scale_down,
                prev_replicas - new_replicas,
            )
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
    set_condition(
        &mut conditions,
        Condition {
            kind: ConditionType::AbleToScale,
            status: true,
            reason: Reason::SucceededGetScale,
        },
    );
    history.record_initial_recommendation(current_replicas, now);
    let min_replicas = spec.min_replicas.unwrap_or(1);

    let (desired, reason, rescale) = if current_replicas == 0 && min_replicas != 0 {
        set_condition(
            &mut conditions,
            Condition {
                kind: ConditionType::ScalingActive,
                status: false,
                reason: Reason::ScalingDisabled,
            },
        );
        (0, None, false)
    } else if current_replicas > spec.max_replicas {
        (spec.max_replicas, Some(RescaleReason::AboveMaxReplicas), true)
    } else if current_replicas < min_replicas {
        (min_replicas, Some(RescaleReason::BelowMinReplicas), true)
    } else {
        set_condition(
            &mut conditions,
            Condition {
                kind: ConditionType::ScalingActive,
                status: true,
                reason: Reason::ValidMetricFound,
            },
        );
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
        set_condition(
            &mut conditions,
            Condition {
                kind: ConditionType::AbleToScale,
                status: true,
                reason: Reason::SucceededRescale,
            },
        );
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

#[cfg(test)]
mod tests {
    //! Cases named after the Go tests of `horizontal_test.go`: `TestScalingWithRules`
    //! (`convertDesiredReplicasWithBehaviorRate`, each case's name as there),
    //! `TestStoreScaleEvents`, `TestNormalizeDesiredReplicas` (the legacy downscale
    //! stabilization), and stabilization with behaviors; then whole syncs through
    //! `reconcile`. Go's `generateEventsUniformDistribution` puts event i of n in the
    //! middle of the i-th of n equal segments of the last `period` seconds, oldest first,
    //! its age truncated to whole seconds; `uniform` does the same.
    use super::*;

    const NOW: SimTime = SimTime(36_000_000);

    fn ago(seconds: u64) -> SimTime {
        SimTime(NOW.0 - seconds * 1000)
    }

    /// `generateScalingRules`: a Pods and/or a Percent policy (a zero value leaves it
    /// out), select Max.
    fn rules(pods: i32, pods_period: i32, percent: i32, percent_period: i32, window: i32) -> ScalingRules {
        let mut policies = Vec::new();
        if pods != 0 {
            policies.push(ScalingPolicy {
                kind: ScalingPolicyType::Pods,
                value: pods,
                period_seconds: pods_period,
            });
        }
        if percent != 0 {
            policies.push(ScalingPolicy {
                kind: ScalingPolicyType::Percent,
                value: percent,
                period_seconds: percent_period,
            });
        }
        ScalingRules {
            stabilization_window_seconds: Some(window),
            select_policy: Some(SelectPolicy::Max),
            policies: Some(policies),
            tolerance: None,
        }
    }

    fn uniform(changes: &[i32], period_seconds: u64) -> Vec<ScaleEvent> {
        let segment = period_seconds as f64 / changes.len() as f64;
        changes
            .iter()
            .enumerate()
            .map(|(i, &change)| {
                let age = (period_seconds as f64 - segment * (i + 1) as f64 + segment / 2.0) as u64;
                ScaleEvent {
                    replica_change: change,
                    timestamp: ago(age),
                    outdated: false,
                }
            })
            .collect()
    }

    struct RateCase {
        name: &'static str,
        up_events: Vec<ScaleEvent>,
        down_events: Vec<ScaleEvent>,
        min: i32,
        max: i32,
        up: Option<ScalingRules>,
        down: Option<ScalingRules>,
        current: i32,
        desired: i32,
        expect: (i32, Reason),
    }

    fn rate(name: &'static str, min: i32, max: i32, current: i32, desired: i32, expect: (i32, Reason)) -> RateCase {
        RateCase {
            name,
            up_events: vec![],
            down_events: vec![],
            min,
            max,
            up: None,
            down: None,
            current,
            desired,
            expect,
        }
    }

    #[test]
    fn scaling_with_rules() {
        use Reason::*;
        let r = rules;
        let u = uniform;
        let cases = vec![
            rate("prenormalized desired replicas within range", 3, 8, 5, 7, (7, DesiredWithinRange)),
            rate("prenormalized desired replicas < minReplicas", 2, 8, 3, 1, (2, TooFewReplicas)),
            rate(
                "prenormalized desired replicas within range when minReplicas is 0",
                0,
                10,
                1,
                0,
                (0, DesiredWithinRange),
            ),
            // Default up limit max(20 + 4, 2 × 20) = 40 is above maxReplicas 10.
            rate(
                "maxReplicas is the limit because maxReplicas < scaleUpLimit",
                1,
                10,
                20,
                1000,
                (10, TooManyReplicas),
            ),
            rate(
                "desired replica count is more than the maximum replica count",
                100,
                150,
                100,
                1000,
                (150, TooManyReplicas),
            ),
            // ceil(3 × 1.01) = 4.
            RateCase {
                up: Some(r(0, 0, 1, 60, 0)),
                ..rate(
                    "scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies",
                    1,
                    2000,
                    3,
                    1000,
                    (4, ScaleUpLimit),
                )
            },
            RateCase {
                down: Some(r(20, 60, 0, 0, 0)),
                ..rate(
                    "scaleDownLimit is the limit because scaleDownLimit > minReplicas with user defined policies",
                    3,
                    2000,
                    1000,
                    3,
                    (980, ScaleDownLimit),
                )
            },
            // max(10 + 4, 10 × 2) = 20.
            rate("scaleUp with default behavior", 1, 1000, 10, 50, (20, ScaleUpLimit)),
            RateCase {
                up: Some(r(100, 60, 100, 60, 0)),
                ..rate("scaleUp with pods policy larger than percent policy", 1, 1000, 10, 500, (110, ScaleUpLimit))
            },
            RateCase {
                up: Some(r(2, 60, 100, 60, 0)),
                ..rate("scaleUp with percent policy larger than pods policy", 1, 1000, 10, 500, (20, ScaleUpLimit))
            },
            RateCase {
                up: Some(r(100, 60, 0, 0, 0)),
                ..rate(
                    "scaleUp with spec MaxReplicas limitation with large pod policy",
                    1,
                    1000,
                    10,
                    50,
                    (50, DesiredWithinRange),
                )
            },
            RateCase {
                up: Some(r(30, 60, 0, 0, 0)),
                ..rate("scaleUp with pod policy limitation", 1, 1000, 10, 50, (40, ScaleUpLimit))
            },
            RateCase {
                up: Some(r(0, 0, 200, 60, 0)),
                ..rate("scaleUp with percent policy limitation", 1, 1000, 10, 50, (30, ScaleUpLimit))
            },
            // Select Max over scale-down policies is the lower count: min(100 - 20, 99).
            RateCase {
                down: Some(r(20, 60, 1, 60, 300)),
                ..rate("scaleDown with percent policy larger than pod policy", 1, 1000, 100, 2, (80, ScaleDownLimit))
            },
            RateCase {
                down: Some(r(2, 60, 1, 60, 300)),
                ..rate("scaleDown with pod policy larger than percent policy", 1, 1000, 100, 2, (98, ScaleDownLimit))
            },
            RateCase {
                down: Some(r(100, 60, 0, 0, 300)),
                ..rate(
                    "scaleDown with spec MinReplicas limitation with large pod policy",
                    1,
                    1000,
                    10,
                    0,
                    (1, TooFewReplicas),
                )
            },
            RateCase {
                down: Some(r(0, 0, 100, 60, 300)),
                ..rate(
                    "scaleDown with spec MinReplicas limitation with large percent policy",
                    5,
                    1000,
                    10,
                    2,
                    (5, TooFewReplicas),
                )
            },
            RateCase {
                down: Some(r(5, 60, 0, 0, 300)),
                ..rate("scaleDown with pod policy limitation", 1, 1000, 10, 2, (5, ScaleDownLimit))
            },
            RateCase {
                down: Some(r(0, 0, 50, 60, 300)),
                ..rate("scaleDown with percent policy limitation", 1, 1000, 10, 5, (5, DesiredWithinRange))
            },
            // Events 1, 5, 9 at 100, 60 and 20 s ago: only the 9 is within 60 s.
            RateCase {
                up_events: u(&[1, 5, 9], 120),
                up: Some(r(300, 60, 0, 0, 0)),
                ..rate(
                    "scaleUp with spec MaxReplicas limitation with large pod policy and events",
                    1,
                    200,
                    100,
                    500,
                    (200, TooManyReplicas),
                )
            },
            // 120 s ago there were 85; 85 + 5 = 90 < 100: hold at the current count.
            RateCase {
                up_events: u(&[1, 5, 9], 120),
                up: Some(r(5, 120, 0, 0, 0)),
                ..rate(
                    "scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events",
                    1,
                    1000,
                    100,
                    500,
                    (100, ScaleUpLimit),
                )
            },
            RateCase {
                up_events: u(&[1, 5, 9], 120),
                up: Some(r(150, 120, 0, 0, 0)),
                ..rate("scaleUp with pod policy and previous scale up events", 1, 1000, 100, 500, (235, ScaleUpLimit))
            },
            RateCase {
                up_events: u(&[1, 5, 9], 120),
                up: Some(r(0, 0, 200, 120, 0)),
                ..rate("scaleUp with percent policy and previous scale up events", 1, 1000, 100, 500, (255, ScaleUpLimit))
            },
            // 6 - 4 + 2 = 4 at the period's start, ceil(4 × 4) = 16.
            RateCase {
                up_events: u(&[4], 120),
                down_events: u(&[2], 120),
                up: Some(r(0, 0, 300, 300, 0)),
                ..rate(
                    "scaleUp with percent policy and previous scale up and down events",
                    1,
                    1000,
                    6,
                    24,
                    (16, ScaleUpLimit),
                )
            },
            RateCase {
                down_events: u(&[1, 5, 9], 120),
                ..rate("scaleDown with default policy and previous events", 1, 1000, 10, 5, (5, DesiredWithinRange))
            },
            RateCase {
                down_events: u(&[1, 5, 9], 120),
                down: Some(r(130, 120, 0, 0, 300)),
                ..rate(
                    "scaleDown with spec MinReplicas limitation with large pod policy and previous events",
                    5,
                    1000,
                    100,
                    0,
                    (5, TooFewReplicas),
                )
            },
            // 100 + 15 - 5 = 110, held at the current 100.
            RateCase {
                down_events: u(&[1, 5, 9], 120),
                down: Some(r(5, 120, 0, 0, 300)),
                ..rate("scaleDown with pod policy limitation and previous events", 1, 1000, 100, 2, (100, ScaleDownLimit))
            },
            // (100 + 12) × 50% = 56.
            RateCase {
                down_events: u(&[2, 4, 6], 120),
                down: Some(r(0, 0, 50, 120, 300)),
                ..rate(
                    "scaleDown with percent policy limitation and previous events",
                    1,
                    1000,
                    100,
                    0,
                    (56, ScaleDownLimit),
                )
            },
            // 10 - 2 + 4 = 12, × 50% = 6.
            RateCase {
                up_events: u(&[2], 120),
                down_events: u(&[4], 120),
                down: Some(r(0, 0, 50, 180, 0)),
                ..rate(
                    "scaleDown with percent policy and previous scale up and down events",
                    1,
                    1000,
                    10,
                    1,
                    (6, ScaleDownLimit),
                )
            },
            // (100 + 30) × 90% = 117 > 100: hold.
            RateCase {
                down_events: u(&[10, 10, 10], 120),
                down: Some(r(0, 0, 10, 120, 300)),
                ..rate(
                    "scaleDown with previous events preventing further scale down",
                    1,
                    1000,
                    100,
                    0,
                    (100, ScaleDownLimit),
                )
            },
            RateCase {
                down_events: u(&[10, 10, 10], 120),
                down: Some(r(0, 0, 1000, 120, 300)),
                ..rate(
                    "scaleDown with with previous events still allowing more scale down",
                    1,
                    1000,
                    10,
                    5,
                    (5, DesiredWithinRange),
                )
            },
            RateCase {
                up_events: u(&[8, 12, 9, 11], 120),
                up: Some(r(1000, 30, 100, 60, 0)),
                ..rate(
                    "check that events were marked 'outdated' for two different policies in the behavior for up",
                    1,
                    1000,
                    100,
                    200,
                    (200, DesiredWithinRange),
                )
            },
        ];
        for case in cases {
            let history = HpaHistory {
                recommendations: vec![],
                scale_up_events: case.up_events,
                scale_down_events: case.down_events,
            };
            let behavior = HpaBehavior::defaulted(case.up.as_ref(), case.down.as_ref());
            let got = history.convert_desired_replicas_with_behavior_rate(
                NormalizationArg {
                    min_replicas: case.min,
                    max_replicas: case.max,
                    current_replicas: case.current,
                    desired_replicas: case.desired,
                },
                &behavior,
                NOW,
            );
            assert_eq!(got, case.expect, "{}", case.name);
        }
    }

    #[test]
    fn select_policy_min_and_disabled() {
        // Select Min takes the policy allowing the smaller change; Disabled none at all.
        let mut up = rules(2, 60, 100, 60, 0);
        up.select_policy = Some(SelectPolicy::Min);
        assert_eq!(scale_up_limit_with_scaling_rules(10, &[], &[], &up, NOW), 12);
        let mut down = rules(2, 60, 50, 60, 0);
        down.select_policy = Some(SelectPolicy::Min);
        assert_eq!(scale_down_limit_with_behaviors(10, &[], &[], &down, NOW), 8);
        down.select_policy = Some(SelectPolicy::Max);
        assert_eq!(scale_down_limit_with_behaviors(10, &[], &[], &down, NOW), 5);
        // Go's TestCalculateScaleDownLimitWithBehaviors: 2 pods or 50% of 5, Min → 3.
        let mut go_case = rules(2, 60, 50, 60, 300);
        go_case.select_policy = Some(SelectPolicy::Min);
        assert_eq!(scale_down_limit_with_behaviors(5, &[], &[], &go_case, NOW), 3);

        let disabled = ScalingRules {
            select_policy: Some(SelectPolicy::Disabled),
            ..ScalingRules::default()
        };
        let behavior = HpaBehavior::defaulted(Some(&disabled), Some(&disabled));
        let history = HpaHistory::default();
        let arg = |desired| NormalizationArg {
            min_replicas: 1,
            max_replicas: 100,
            current_replicas: 10,
            desired_replicas: desired,
        };
        assert_eq!(
            history.convert_desired_replicas_with_behavior_rate(arg(50), &behavior, NOW),
            (10, Reason::ScaleUpLimit)
        );
        assert_eq!(
            history.convert_desired_replicas_with_behavior_rate(arg(2), &behavior, NOW),
            (10, Reason::ScaleDownLimit)
        );
    }

    #[test]
    fn defaults() {
        let up = scale_up_rules(None);
        assert_eq!(up.stabilization_window_seconds, Some(0));
        assert_eq!(up.select_policy, Some(SelectPolicy::Max));
        assert_eq!(
            up.policies,
            Some(vec![
                ScalingPolicy {
                    kind: ScalingPolicyType::Pods,
                    value: 4,
                    period_seconds: 15
                },
                ScalingPolicy {
                    kind: ScalingPolicyType::Percent,
                    value: 100,
                    period_seconds: 15
                },
            ])
        );
        let down = scale_down_rules(None);
        assert_eq!(down.stabilization_window_seconds, None);
        assert_eq!(
            down.policies,
            Some(vec![ScalingPolicy {
                kind: ScalingPolicyType::Percent,
                value: 100,
                period_seconds: 15
            }])
        );
        // A partial rule keeps what it sets and takes the rest from the default.
        let partial = ScalingRules {
            stabilization_window_seconds: Some(60),
            tolerance: Some(0.05),
            ..ScalingRules::default()
        };
        let merged = scale_down_rules(Some(&partial));
        assert_eq!(merged.stabilization_window_seconds, Some(60));
        assert_eq!(merged.policies, down.policies);
        assert_eq!(merged.select_policy, Some(SelectPolicy::Max));
        // Per-direction tolerance, else the controller's.
        let behavior = HpaBehavior::defaulted(None, Some(&partial));
        assert_eq!(
            tolerances_for(Some(&behavior), 0.1),
            Tolerances {
                scale_down: 0.05,
                scale_up: 0.1
            }
        );
        assert_eq!(tolerances_for(None, 0.1), Tolerances::uniform(0.1));
        // Without behavior: double, or at least 4.
        assert_eq!((scale_up_limit(1), scale_up_limit(3), scale_up_limit(100)), (4, 6, 200));
    }

    #[test]
    fn store_scale_events() {
        let ev = |change, age, outdated| ScaleEvent {
            replica_change: change,
            timestamp: ago(age),
            outdated,
        };
        // (name, rules, previous events, change within 60 s before, events after)
        type Case = (
            &'static str,
            Option<ScalingRules>,
            Vec<ScaleEvent>,
            i32,
            Vec<(i32, bool)>,
        );
        let cases: Vec<Case> = vec![
            ("empty entries with default behavior", None, vec![], 0, vec![]),
            (
                "empty entries with two-policy-behavior",
                Some(rules(10, 60, 100, 60, 0)),
                vec![],
                0,
                vec![(5, false)],
            ),
            (
                "one outdated entry to be kept untouched without behavior",
                None,
                vec![ev(7, 61, false)],
                0,
                vec![(7, false)],
            ),
            (
                "one outdated entry to be replaced with behavior",
                Some(rules(10, 60, 100, 60, 0)),
                vec![ev(7, 61, false)],
                0,
                vec![(5, false)],
            ),
            (
                "one actual entry to be not touched with behavior",
                Some(rules(10, 60, 100, 60, 0)),
                vec![ev(7, 58, false)],
                7,
                vec![(7, false), (5, false)],
            ),
            (
                "two entries, one of them to be replaced",
                Some(rules(10, 60, 0, 0, 0)),
                vec![ev(7, 61, false), ev(6, 59, false)],
                6,
                vec![(5, false), (6, false)],
            ),
            (
                "replace one entry, use policies with different periods",
                Some(rules(10, 60, 100, 30, 0)),
                vec![ev(8, 29, false), ev(6, 59, false), ev(7, 61, false), ev(9, 61, false)],
                14,
                vec![(8, false), (6, false), (7, true), (5, false)],
            ),
            (
                "two entries, both actual",
                Some(rules(10, 120, 100, 30, 0)),
                vec![ev(7, 58, false), ev(6, 59, false)],
                13,
                vec![(7, false), (6, false), (5, false)],
            ),
        ];
        for (name, up, previous, change_before, after) in cases {
            let behavior = up.map(|up| HpaBehavior::defaulted(Some(&up), None));
            let mut history = HpaHistory {
                scale_up_events: previous,
                ..HpaHistory::default()
            };
            assert_eq!(
                replicas_change_per_period(60, &history.scale_up_events, NOW),
                change_before,
                "{name}"
            );
            history.store_scale_event(behavior.as_ref(), 10, 15, NOW);
            let got: Vec<(i32, bool)> = history
                .scale_up_events
                .iter()
                .map(|e| (e.replica_change, e.outdated))
                .collect();
            assert_eq!(got, after, "{name}");
            assert!(history.scale_down_events.is_empty(), "{name}");
        }
    }

    #[test]
    fn normalize_desired_replicas_legacy_stabilization() {
        // `TestNormalizeDesiredReplicas`: the highest recommendation of the last 5 minutes;
        // a recommendation older than that makes room for the new one.
        let rec = |replicas, minutes: u64| Recommendation {
            replicas,
            timestamp: ago(minutes * 60),
        };
        let cases = vec![
            ("empty log", vec![], 5, 5, 1),
            ("stabilize", vec![rec(4, 2), rec(5, 1)], 3, 5, 3),
            ("no stabilize", vec![rec(1, 2), rec(2, 1)], 3, 3, 3),
            (
                "no stabilize - old recommendations",
                vec![rec(10, 10), rec(9, 9)],
                3,
                3,
                2,
            ),
            (
                "stabilize - old recommendations",
                vec![rec(10, 10), rec(4, 1), rec(5, 2), rec(9, 9)],
                3,
                5,
                4,
            ),
        ];
        for (name, recommendations, prenormalized, expected, log_length) in cases {
            let mut history = HpaHistory {
                recommendations,
                ..HpaHistory::default()
            };
            let got = history.stabilize_recommendation(prenormalized, SimDuration::from_secs(300), NOW);
            assert_eq!(got, expected, "{name}");
            assert_eq!(history.recommendations.len(), log_length, "{name}");
        }
    }

    #[test]
    fn stabilize_recommendation_with_behaviors() {
        let rec = |replicas, seconds| Recommendation {
            replicas,
            timestamp: ago(seconds),
        };
        let w = SimDuration::from_secs;
        // (name, recommendations, current, desired, up window, down window,
        //  expected, reason, log length)
        type Case = (
            &'static str,
            Vec<Recommendation>,
            i32,
            i32,
            u64,
            u64,
            i32,
            Reason,
            usize,
        );
        let cases: Vec<Case> = vec![
            (
                "empty recommendations for scaling down",
                vec![],
                5,
                3,
                0,
                300,
                3,
                Reason::ScaleDownStabilized,
                1,
            ),
            // The highest of the last 5 minutes (5) holds the count at 5.
            (
                "simple scale down stabilization",
                vec![rec(4, 60), rec(5, 120)],
                5,
                3,
                0,
                300,
                5,
                Reason::ScaleDownStabilized,
                3,
            ),
            // The lowest of the last 5 minutes (4) is as far up as it may go.
            (
                "simple scale up stabilization",
                vec![rec(4, 60), rec(5, 120)],
                1,
                7,
                300,
                300,
                4,
                Reason::ScaleUpStabilized,
                3,
            ),
            (
                "no scale down stabilization",
                vec![rec(4, 60), rec(5, 120)],
                5,
                3,
                0,
                0,
                3,
                Reason::ScaleDownStabilized,
                2,
            ),
            // Up to the lowest (2) and down to the highest (6): the current 4 stays.
            (
                "scale up and down stabilization, do not scale up when prenormalized rec goes down",
                vec![rec(2, 60), rec(6, 120)],
                4,
                3,
                300,
                300,
                4,
                Reason::ScaleDownStabilized,
                3,
            ),
            (
                "scale up and down stabilization, do not scale down when prenormalized rec goes up",
                vec![rec(2, 60), rec(6, 120)],
                4,
                5,
                300,
                300,
                4,
                Reason::ScaleUpStabilized,
                3,
            ),
            // The 10-minute-old one is outside both windows: its slot is reused.
            (
                "scale down stabilization, reuse one of obsolete recommendation element",
                vec![rec(10, 600), rec(4, 60)],
                5,
                3,
                0,
                300,
                4,
                Reason::ScaleDownStabilized,
                2,
            ),
        ];
        for (name, recommendations, current, desired, up, down, expected, reason, log_length) in cases {
            let mut history = HpaHistory {
                recommendations,
                ..HpaHistory::default()
            };
            let args = NormalizationArg {
                min_replicas: 1,
                max_replicas: 100,
                current_replicas: current,
                desired_replicas: desired,
            };
            let got = history.stabilize_recommendation_with_behaviors(args, w(up), w(down), NOW);
            assert_eq!(got, (expected, reason), "{name}");
            assert_eq!(history.recommendations.len(), log_length, "{name}");
            assert!(history.recommendations.contains(&Recommendation {
                replicas: desired,
                timestamp: NOW
            }));
        }
    }

    fn sync_every_period(
        spec: &HpaSpec,
        start_replicas: i32,
        metric: impl Fn(i32) -> i32,
        syncs: usize,
    ) -> Vec<(SimTime, Decision)> {
        let mut history = HpaHistory::default();
        let mut current = start_replicas;
        let mut out = Vec::new();
        for i in 0..syncs {
            let now = SimTime(i as u64 * super::super::HORIZONTAL_POD_AUTOSCALER_SYNC_PERIOD.0);
            let decision = reconcile(
                spec,
                &mut history,
                current,
                metric(current),
                super::super::HORIZONTAL_POD_AUTOSCALER_DOWNSCALE_STABILIZATION,
                now,
            );
            current = decision.desired_replicas;
            out.push((now, decision));
        }
        out
    }

    fn reason_of(decision: &Decision, kind: ConditionType) -> Option<(bool, Reason)> {
        decision
            .conditions
            .iter()
            .find(|c| c.kind == kind)
            .map(|c| (c.status, c.reason))
    }

    #[test]
    fn reconcile_out_of_range_and_disabled() {
        let spec = HpaSpec {
            min_replicas: Some(2),
            max_replicas: 10,
            behavior: None,
        };
        let mut history = HpaHistory::default();
        let window = SimDuration::from_secs(300);
        let above = reconcile(&spec, &mut history, 12, 50, window, NOW);
        assert_eq!(
            (above.desired_replicas, above.rescale, above.reason),
            (10, true, Some(RescaleReason::AboveMaxReplicas))
        );
        let below = reconcile(&spec, &mut HpaHistory::default(), 1, 50, window, NOW);
        assert_eq!(
            (below.desired_replicas, below.reason),
            (2, Some(RescaleReason::BelowMinReplicas))
        );
        // A target scaled to zero with minReplicas above zero is left alone.
        let disabled = reconcile(&spec, &mut HpaHistory::default(), 0, 50, window, NOW);
        assert_eq!((disabled.desired_replicas, disabled.rescale), (0, false));
        assert_eq!(
            reason_of(&disabled, ConditionType::ScalingActive),
            Some((false, Reason::ScalingDisabled))
        );
        assert_eq!(
            reason_of(&disabled, ConditionType::AbleToScale),
            Some((true, Reason::SucceededGetScale))
        );
    }

    #[test]
    fn scale_up_follows_default_behavior_rate() {
        // Default behavior: max(4 pods, 100%) per 15 s, and the previous sync's event is
        // exactly one period old at the next, so out of it: 1 → 5 → 10 → 20 → 40 → 80,
        // then maxReplicas.
        let spec = HpaSpec {
            min_replicas: None,
            max_replicas: 100,
            behavior: Some(HpaBehavior::defaulted(None, None)),
        };
        let run = sync_every_period(&spec, 1, |_| 1000, 7);
        let counts: Vec<i32> = run.iter().map(|(_, d)| d.desired_replicas).collect();
        assert_eq!(counts, vec![5, 10, 20, 40, 80, 100, 100]);
        let first = &run[0].1;
        assert_eq!(first.reason, Some(RescaleReason::MetricAboveTarget));
        assert_eq!(
            reason_of(first, ConditionType::ScalingLimited),
            Some((true, Reason::ScaleUpLimit))
        );
        assert_eq!(
            reason_of(first, ConditionType::AbleToScale),
            Some((true, Reason::SucceededRescale))
        );
        assert_eq!(
            reason_of(&run[5].1, ConditionType::ScalingLimited),
            Some((true, Reason::TooManyReplicas))
        );
        // At maxReplicas nothing more to do.
        assert!(!run[6].1.rescale);
    }

    #[test]
    fn scale_down_waits_for_the_stabilization_window() {
        // Metrics ask for 2 of 5 from the start; the highest recommendation of the last
        // 300 s is the initial 5 until it falls out of the window. The two paths draw the
        // window's edge differently: without behavior a recommendation counts until it is
        // strictly older than 300 s (`Before(cutoff)` drops it), so the scale-down comes
        // at 315 s; with behavior only those strictly newer than now - 300 s count
        // (`After(cutoff)`), so it comes at 300 s.
        for (behavior, at) in [(None, 315_000), (Some(HpaBehavior::defaulted(None, None)), 300_000)] {
            let spec = HpaSpec {
                min_replicas: Some(1),
                max_replicas: 10,
                behavior: behavior.clone(),
            };
            let run = sync_every_period(&spec, 5, |_| 2, 23);
            let first_rescale = run
                .iter()
                .find(|(_, d)| d.rescale)
                .map(|(t, d)| (*t, d.desired_replicas));
            assert_eq!(
                first_rescale,
                Some((SimTime(at), 2)),
                "behavior: {}",
                behavior.is_some()
            );
            let (_, held) = &run[1];
            assert_eq!((held.desired_replicas, held.rescale), (5, false));
            assert_eq!(
                reason_of(held, ConditionType::AbleToScale),
                Some((true, Reason::ScaleDownStabilized))
            );
            assert_eq!(
                reason_of(held, ConditionType::ScalingActive),
                Some((true, Reason::ValidMetricFound))
            );
        }
    }

    #[test]
    fn scale_down_limited_by_pods_policy_over_syncs() {
        // No stabilization, at most 1 pod per 60 s: 5 → 4 at 0 s, then held while the
        // event is within the period; a period counts events strictly after now - 60 s,
        // so the one at 0 s no longer counts at 60 s: 4 → 3 at 60 s, 3 → 2 at 120 s.
        let spec = HpaSpec {
            min_replicas: Some(1),
            max_replicas: 10,
            behavior: Some(HpaBehavior::defaulted(None, Some(&rules(1, 60, 0, 0, 0)))),
        };
        let run = sync_every_period(&spec, 5, |_| 1, 9);
        let counts: Vec<i32> = run.iter().map(|(_, d)| d.desired_replicas).collect();
        assert_eq!(counts, vec![4, 4, 4, 4, 3, 3, 3, 3, 2]);
        assert_eq!(
            reason_of(&run[1].1, ConditionType::ScalingLimited),
            Some((true, Reason::ScaleDownLimit))
        );
        assert_eq!(run[0].1.reason, Some(RescaleReason::AllMetricsBelowTarget));
    }

    #[test]
    fn condition_words_are_kubernetes_own() {
        // What `kubectl describe hpa` shows, so a report can quote it.
        let words: Vec<&str> = [
            Reason::ScaleUpLimit,
            Reason::ScaleDownLimit,
            Reason::TooManyReplicas,
            Reason::TooFewReplicas,
            Reason::DesiredWithinRange,
            Reason::ScaleUpStabilized,
            Reason::ScaleDownStabilized,
            Reason::ReadyForNewScale,
        ]
        .iter()
        .map(|r| r.as_str())
        .collect();
        assert_eq!(
            words,
            vec![
                "ScaleUpLimit",
                "ScaleDownLimit",
                "TooManyReplicas",
                "TooFewReplicas",
                "DesiredWithinRange",
                "ScaleUpStabilized",
                "ScaleDownStabilized",
                "ReadyForNewScale"
            ]
        );
        assert_eq!(
            [
                ConditionType::AbleToScale,
                ConditionType::ScalingActive,
                ConditionType::ScalingLimited
            ]
            .map(|c| c.as_str()),
            ["AbleToScale", "ScalingActive", "ScalingLimited"]
        );
        assert_eq!(
            Reason::ScaleDownLimit.message(),
            "the desired replica count is decreasing faster than the maximum scale rate"
        );
    }
}
