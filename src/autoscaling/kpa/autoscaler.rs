//! `autoscaler.Scale` (`pkg/autoscaler/scaling/autoscaler.go`): from the stable and panic
//! averages to a desired pod count, with the panic mode that never scales down, the rate
//! limits relative to the ready pods, the scale-down delay, and the excess burst capacity
//! that decides whether the activator stays in the request path. Then the KPA
//! reconciler's rules for the last pod (`handleScaleToZero`, `pkg/reconciler/autoscaling/
//! kpa/scaler.go`) and `applyBounds` (min/max scale).
//!
//! The per-revision memory Knative keeps in its `autoscaler` struct (panic start, the
//! largest panic count, the delay window) is `AutoscalerState`, which the caller keeps.

use std::collections::VecDeque;

use super::config::DeciderSpec;
use super::TICK_INTERVAL;
use crate::units::{SimDuration, SimTime};

/// `MinActivators`: a revision always gets at least two activators.
pub(crate) const MIN_ACTIVATORS: i32 = 2;

/// `max.TimeWindow`: the largest value recorded over the last `duration`, in buckets of
/// the tick interval, kept as a descending-maxima queue. The window ends at the newest
/// record, not at a clock.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DelayWindow {
    size: i64,
    duration: SimDuration,
    /// (bucket index, value), values strictly descending from the front.
    entries: VecDeque<(i64, i32)>,
}

impl DelayWindow {
    pub(crate) fn new(duration: SimDuration) -> Self {
        let g = TICK_INTERVAL.0;
        DelayWindow {
            size: duration.0.div_ceil(g).max(1) as i64,
            duration,
            entries: VecDeque::new(),
        }
    }
    pub(crate) fn record(&mut self, now: SimTime, value: i32) {
        let idx = (now.0 / TICK_INTERVAL.0) as i64;
        while self.entries.back().is_some_and(|&(_, v)| v <= value) {
            self.entries.pop_back();
        }
        while self.entries.front().is_some_and(|&(i, _)| idx - i >= self.size) {
            self.entries.pop_front();
        }
        self.entries.push_back((idx, value));
    }
    pub(crate) fn current(&self) -> i32 {
        self.entries.front().map_or(0, |&(_, v)| v)
    }
}

/// The autoscaler's memory between ticks, one per revision.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct AutoscalerState {
    /// When panic mode last began or was extended; `None` when not panicking.
    panic_time: Option<SimTime>,
    /// The largest count decided while panicking: panic never goes below it.
    max_panic_pods: i32,
    delay_window: Option<DelayWindow>,
}

impl AutoscalerState {
    /// `newAutoscaler`: a restarted autoscaler has lost its metric history, so with more
    /// than one ready pod it starts in panic mode at the current scale rather than scale
    /// down on thin data.
    pub(crate) fn new(ready_pods: u32, now: SimTime) -> Self {
        AutoscalerState {
            panic_time: (ready_pods > 1).then_some(now),
            max_panic_pods: ready_pods as i32,
            delay_window: None,
        }
    }
    pub(crate) fn panicking(&self) -> bool {
        self.panic_time.is_some()
    }
}

/// Why `scale` chose its count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScaleReason {
    /// No stat within the stable window (`ErrNoData`): no decision.
    NoData,
    /// ceil(stable / target).
    Stable,
    /// Limited by `max-scale-up-rate` × ready pods.
    ScaleUpRateLimited,
    /// Limited by ready pods / `max-scale-down-rate`.
    ScaleDownRateLimited,
    /// Raised to `activation-scale`.
    ActivationScale,
    /// In panic mode, the larger of the stable and panic counts.
    Panic,
    /// In panic mode, held at the largest panic count (no scale-down while panicking).
    PanicHold,
    /// Held at the largest count of the scale-down delay window.
    ScaleDownDelayed,
}

/// `ScaleResult`, with the mode and the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScaleResult {
    pub desired_pod_count: i32,
    /// Negative: not enough spare capacity for the burst, the activator goes in the path;
    /// -1 with TBC -1: always in the path.
    pub excess_burst_capacity: i32,
    pub num_activators: i32,
    pub scale_valid: bool,
    pub panicking: bool,
    pub reason: ScaleReason,
}

/// `Scale`. `ready_pods` is the ready endpoint count (0 when there are none);
/// `observed` is (stable, panic) from `MetricWindows::stable_and_panic`, `None` for no
/// data.
pub(crate) fn scale(
    spec: &DeciderSpec,
    state: &mut AutoscalerState,
    ready_pods: u32,
    observed: Option<(f64, f64)>,
    now: SimTime,
) -> ScaleResult {
    let Some((stable, panic)) = observed else {
        return ScaleResult {
            desired_pod_count: 0,
            excess_burst_capacity: 0,
            num_activators: MIN_ACTIVATORS,
            scale_valid: false,
            panicking: state.panicking(),
            reason: ScaleReason::NoData,
        };
    };
    // Rate limits are relative to at least one pod, so scale from zero can start.
    let ready = (ready_pods as f64).max(1.0);
    // ceil: a conservative rate (e.g. 1.1 × 2) still allows one more pod.
    let max_scale_up = (spec.max_scale_up_rate * ready).ceil();
    // An unreachable revision (another takes the traffic) may drop straight down.
    let max_scale_down = if spec.reachable {
        (ready / spec.max_scale_down_rate).floor()
    } else {
        0.0
    };

    let dspc = (stable / spec.target_value).ceil();
    let dppc = (panic / spec.target_value).ceil();
    let mut desired_stable = dspc.max(max_scale_down).min(max_scale_up) as i32;
    let mut desired_panic = dppc.max(max_scale_down).min(max_scale_up) as i32;
    let mut reason = if dspc > max_scale_up {
        ScaleReason::ScaleUpRateLimited
    } else if dspc < max_scale_down {
        ScaleReason::ScaleDownRateLimited
    } else {
        ScaleReason::Stable
    };
    if spec.activation_scale > 1 {
        if dspc > 0.0 && spec.activation_scale > desired_stable {
            desired_stable = spec.activation_scale;
            reason = ScaleReason::ActivationScale;
        }
        if dppc > 0.0 && spec.activation_scale > desired_panic {
            desired_panic = spec.activation_scale;
        }
    }

    let over_threshold = dppc / ready >= spec.panic_threshold;
    if over_threshold {
        // Begin panicking, or extend the panic.
        state.panic_time = Some(now);
    } else if state.panic_time.is_some_and(|pt| pt + spec.stable_window < now) {
        // The surge has had a whole stable window to reach the stable average.
        state.panic_time = None;
        state.max_panic_pods = 0;
    }

    let mut desired = desired_stable;
    if state.panic_time.is_some() {
        // Stable can exceed panic in edge cases; provision for the larger.
        desired = desired.max(desired_panic);
        reason = ScaleReason::Panic;
        if desired > state.max_panic_pods {
            state.max_panic_pods = desired;
        } else if desired < state.max_panic_pods {
            reason = ScaleReason::PanicHold;
        }
        desired = state.max_panic_pods;
    }

    // The delay window: a scale-down takes effect only after the whole delay at the lower
    // count. Not applied to an unreachable revision, which scales down at once
    // (`TestAutoscalerScaleDownDelayNotReachable`).
    if spec.scale_down_delay > SimDuration::ZERO && spec.reachable {
        let w = state
            .delay_window
            .get_or_insert_with(|| DelayWindow::new(spec.scale_down_delay));
        if w.duration != spec.scale_down_delay {
            *w = DelayWindow::new(spec.scale_down_delay);
        }
        w.record(now, desired);
        let delayed = w.current();
        if delayed != desired {
            desired = delayed;
            reason = ScaleReason::ScaleDownDelayed;
        }
    }

    // EBC = total capacity − target burst capacity − observed panic value.
    let tbc = spec.target_burst_capacity;
    let (ebc, num_act) = if tbc == 0.0 {
        (0.0, MIN_ACTIVATORS)
    } else if tbc > 0.0 {
        let tot_cap = ready_pods as f64 * spec.total_value;
        let act = ((tot_cap + tbc) / spec.activator_capacity)
            .ceil()
            .max(MIN_ACTIVATORS as f64) as i32;
        ((tot_cap - tbc - panic).floor(), act)
    } else {
        let act = (ready_pods as f64 * spec.total_value / spec.activator_capacity)
            .ceil()
            .max(MIN_ACTIVATORS as f64) as i32;
        (-1.0, act)
    };

    ScaleResult {
        desired_pod_count: desired,
        excess_burst_capacity: ebc as i32,
        num_activators: num_act,
        scale_valid: true,
        panicking: state.panicking(),
        reason,
    }
}

/// `applyBounds`: min-scale below, max-scale above (0: unbounded).
pub(crate) fn apply_bounds(min: i32, max: i32, x: i32) -> i32 {
    if x < min {
        min
    } else if max > 0 && x > max {
        max
    } else {
        x
    }
}

/// The PodAutoscaler's `Active` condition, with when it last changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Activity {
    /// `Active=Unknown`: pods were asked for and are not all Ready yet (also a new PA's
    /// first state).
    Activating {
        since: SimTime,
    },
    Active {
        since: SimTime,
    },
    Inactive {
        since: SimTime,
    },
}

/// What the reconciler does with a decision (`handleScaleToZero`'s `(scale, apply)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LastPodStep {
    /// Apply this scale (0 removes the last pod).
    Scale(i32),
    /// Active for less than a stable window: apply 1 pod, look again after this long.
    KeepOne { requeue_after: SimDuration },
    /// Active for a whole stable window without traffic: mark the PA inactive (the
    /// activator goes in the path), change nothing yet.
    MarkInactive,
    /// Inactive, but not yet behind the activator for the grace period (or the activator
    /// is not in the path yet: `requeue_after` None, the probe's re-enqueue): want 0,
    /// change nothing yet.
    Wait { requeue_after: Option<SimDuration> },
    /// Leave the scale as it is until the last-pod retention has passed.
    Hold { requeue_after: SimDuration },
    /// Activating, within the activation timeout: the scale is unknown (-1), nothing is
    /// applied; look again when the timeout would be over.
    Activating { requeue_after: SimDuration },
}

/// Inputs to `handle_scale_to_zero`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LastPodInputs {
    pub enable_scale_to_zero: bool,
    pub stable_window: SimDuration,
    pub grace_period: SimDuration,
    pub pod_retention: SimDuration,
    /// The progress deadline plus `activationTimeoutBuffer`: a PA activating this long
    /// may go to zero.
    pub activation_timeout: SimDuration,
    pub activity: Activity,
    /// Since when the activator has been in the path (SKS in proxy mode), if it is.
    pub proxy_since: Option<SimTime>,
}

/// `handleScaleToZero`: the last pod goes only after the PA has been inactive for the
/// grace period (networking has put the activator in the path) and the pod retention,
/// or when it could not activate within the activation timeout.
pub(crate) fn handle_scale_to_zero(desired: i32, inp: &LastPodInputs, now: SimTime) -> LastPodStep {
    if desired != 0 {
        return LastPodStep::Scale(desired);
    }
    if !inp.enable_scale_to_zero {
        return LastPodStep::Scale(1);
    }
    match inp.activity {
        Activity::Activating { since } => {
            if now.since(since) >= inp.activation_timeout {
                LastPodStep::Scale(0)
            } else {
                LastPodStep::Activating {
                    requeue_after: inp.activation_timeout,
                }
            }
        }
        Activity::Active { since } => {
            let af = now.since(since);
            if af >= inp.stable_window {
                LastPodStep::MarkInactive
            } else {
                LastPodStep::KeepOne {
                    requeue_after: SimDuration(inp.stable_window.0 - af.0),
                }
            }
        }
        Activity::Inactive { since } => {
            let Some(proxy_since) = inp.proxy_since else {
                // The activator probe fails: not in the path yet.
                return LastPodStep::Wait { requeue_after: None };
            };
            let inactive_for = now.since(since);
            if inactive_for >= inp.grace_period.max(inp.pod_retention) {
                return LastPodStep::Scale(0);
            }
            if inp.pod_retention > SimDuration::ZERO && inactive_for < inp.pod_retention {
                return LastPodStep::Hold {
                    requeue_after: SimDuration(inp.pod_retention.0 - inactive_for.0),
                };
            }
            let proxied_for = now.since(proxy_since);
            if proxied_for >= inp.grace_period {
                LastPodStep::Scale(0)
            } else {
                LastPodStep::Wait {
                    requeue_after: Some(SimDuration(inp.grace_period.0 - proxied_for.0)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
