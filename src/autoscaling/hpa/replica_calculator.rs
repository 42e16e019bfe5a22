//! The replica calculator of `pkg/controller/podautoscaler/replica_calculator.go`: from
//! the pods of the scale target and their metric samples, the replica count one metric
//! asks for.
//!
//! Per-pod metrics (`Resource` with `averageUtilization` or `averageValue`, `Pods` with
//! `averageValue`) go through the pod grouping of `groupPods`: pods being deleted or
//! failed are ignored, pending pods are unready, pods without a sample are missing, and
//! for cpu a sample taken too soon after the pod started or became ready makes the pod
//! unready too. The usage ratio over the ready pods decides the direction; missing pods
//! then count at the target (scale-down) or 0 (scale-up), unready pods at 0 on a
//! scale-up, and the recomputed ratio may only confirm the direction, never reverse it.
//! `Object` and `External` metrics use one value for the whole target.
//!
//! Integer arithmetic where Go's is integer (utilization percent and averages truncate),
//! f64 where Go's is float64 (ratios, `math.Ceil`), so the same inputs give the same
//! counts.

use super::{
    HORIZONTAL_POD_AUTOSCALER_CPU_INITIALIZATION_PERIOD, HORIZONTAL_POD_AUTOSCALER_INITIAL_READINESS_DELAY,
    HORIZONTAL_POD_AUTOSCALER_TOLERANCE,
};
use crate::units::{SimDuration, SimTime};
use thiserror::Error;

/// `Tolerances`: how far the usage ratio may stray below and above 1.0 before the
/// calculator proposes a change.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Tolerances {
    pub scale_down: f64,
    pub scale_up: f64,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances::uniform(HORIZONTAL_POD_AUTOSCALER_TOLERANCE)
    }
}

impl Tolerances {
    pub(crate) fn uniform(tolerance: f64) -> Self {
        Tolerances {
            scale_down: tolerance,
            scale_up: tolerance,
        }
    }

    /// `isWithin`: `1 - scaleDown <= ratio <= 1 + scaleUp`.
    pub(crate) fn is_within(self, usage_ratio: f64) -> bool {
        (1.0 - self.scale_down) <= usage_ratio && usage_ratio <= (1.0 + self.scale_up)
    }
}

/// The controller-wide settings the calculator reads (`NewReplicaCalculator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CalculatorConfig {
    pub cpu_initialization_period: SimDuration,
    pub delay_of_initial_readiness_status: SimDuration,
}

impl Default for CalculatorConfig {
    fn default() -> Self {
        CalculatorConfig {
            cpu_initialization_period: HORIZONTAL_POD_AUTOSCALER_CPU_INITIALIZATION_PERIOD,
            delay_of_initial_readiness_status: HORIZONTAL_POD_AUTOSCALER_INITIAL_READINESS_DELAY,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PodPhase {
    Pending,
    Running,
    /// A Job's pod that ran to completion (a Deployment's pods never do).
    #[allow(dead_code)]
    Succeeded,
    Failed,
}

/// The pod's `Ready` condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReadyCondition {
    pub ready: bool,
    pub last_transition: SimTime,
}

/// One metric sample of a pod: its value in thousandths (as `MilliValue`), when it was
/// taken and over which window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sample {
    pub value: i64,
    pub timestamp: SimTime,
    pub window: SimDuration,
}

/// A pod of the scale target as the calculator sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PodState {
    pub phase: PodPhase,
    /// `deletionTimestamp` is set.
    pub deleting: bool,
    /// `None`: the pod has no `Ready` condition yet.
    pub ready: Option<ReadyCondition>,
    /// `status.startTime`.
    pub start_time: Option<SimTime>,
    /// `None`: the metrics API returned nothing for this pod.
    pub sample: Option<Sample>,
    /// The pod's request for the metric's resource, in thousandths; needed only for
    /// `averageUtilization`.
    pub request: Option<i64>,
}

/// Which samples the cpu start-up checks of `groupPods` apply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SampleKind {
    /// A `Resource` metric for `cpu`.
    Cpu,
    /// Any other resource, or a `Pods` metric: a running pod's sample counts whatever its
    /// readiness.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum CalcError {
    #[error("no pods returned by selector while calculating replica count")]
    NoPods,
    #[error("did not receive metrics for targeted pods (pods might be unready)")]
    NoMetricsForTargetedPods,
    #[error("missing request for the resource in pod #{0}")]
    MissingRequest(usize),
    #[error("no metrics returned matched known pods")]
    NoMetricsMatchedKnownPods,
}

/// The proposal of an `averageUtilization` metric: replicas, the utilization percent of
/// the ready pods' requests, and their raw average (`currentAverageValue`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UtilizationProposal {
    pub replicas: i32,
    pub utilization: i32,
    pub raw_average: i64,
}

/// The proposal of a value metric: replicas and the usage reported in the HPA's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UsageProposal {
    pub replicas: i32,
    pub usage: i64,
}

/// `groupPods`: the pods whose samples count (`metrics`, each with its pod's index), and
/// those unready, missing a sample, or ignored.
#[derive(Debug, Default)]
struct Groups {
    metrics: Vec<(usize, i64)>,
    unready: Vec<usize>,
    missing: Vec<usize>,
}

fn group_pods(pods: &[PodState], kind: SampleKind, now: SimTime, config: CalculatorConfig) -> Groups {
    let mut groups = Groups::default();
    for (i, pod) in pods.iter().enumerate() {
        if pod.deleting || pod.phase == PodPhase::Failed {
            continue; // ignored: neither counted nor filled in
        }
        if pod.phase == PodPhase::Pending {
            groups.unready.push(i);
            continue;
        }
        let Some(sample) = pod.sample else {
            groups.missing.push(i);
            continue;
        };
        if kind == SampleKind::Cpu {
            let unready = match (pod.ready, pod.start_time) {
                (Some(condition), Some(start)) => {
                    if start + config.cpu_initialization_period > now {
                        // Still initialising: the sample counts once the pod is ready
                        // and a whole window has been collected since it became so.
                        !condition.ready || sample.timestamp < condition.last_transition + sample.window
                    } else {
                        // Not ready and never been ready since it started.
                        !condition.ready && start + config.delay_of_initial_readiness_status > condition.last_transition
                    }
                }
                _ => true,
            };
            if unready {
                groups.unready.push(i);
                continue;
            }
        }
        groups.metrics.push((i, sample.value));
    }
    groups
}

fn ceil_i32(x: f64) -> i32 {
    x.ceil() as i32
}

/// `GetResourceUtilizationRatio`: the percent of the requests of the pods in `metrics`
/// that they use (truncated), its ratio to the target, and their average usage.
fn utilization_ratio(
    metrics: &[(usize, i64)],
    requests: &[i64],
    target_utilization: i32,
) -> Result<(f64, i32, i64), CalcError> {
    let metrics_total: i128 = metrics.iter().map(|&(_, v)| v as i128).sum();
    let requests_total: i128 = metrics.iter().map(|&(i, _)| requests[i] as i128).sum();
    if requests_total == 0 {
        return Err(CalcError::NoMetricsMatchedKnownPods);
    }
    let percent = (metrics_total * 100 / requests_total).clamp(i32::MIN as i128, i32::MAX as i128) as i32;
    let raw_average = (metrics_total / metrics.len() as i128) as i64;
    Ok((percent as f64 / target_utilization as f64, percent, raw_average))
}

/// `GetMetricUsageRatio`: the pods' average value (truncated) and its ratio to the target.
fn usage_ratio(metrics: &[(usize, i64)], target_usage: i64) -> (f64, i64) {
    let total: i128 = metrics.iter().map(|&(_, v)| v as i128).sum();
    let usage = (total / metrics.len() as i128) as i64;
    (usage as f64 / target_usage as f64, usage)
}

/// Whether the recomputed ratio is too small a change or reverses the first one's
/// direction: then the calculator keeps the current count.
fn keeps_current(tolerances: Tolerances, usage_ratio: f64, new_usage_ratio: f64) -> bool {
    tolerances.is_within(new_usage_ratio)
        || (usage_ratio < 1.0 && new_usage_ratio > 1.0)
        || (usage_ratio > 1.0 && new_usage_ratio < 1.0)
}

/// The count over the recomputed metrics, unless the number of pods in them would turn a
/// scale-down into an increase or a scale-up into a decrease.
fn rebalanced_replicas(current_replicas: i32, new_usage_ratio: f64, counted: usize) -> i32 {
    let new_replicas = ceil_i32(new_usage_ratio * counted as f64);
    if (new_usage_ratio < 1.0 && new_replicas > current_replicas)
        || (new_usage_ratio > 1.0 && new_replicas < current_replicas)
    {
        current_replicas
    } else {
        new_replicas
    }
}

/// `GetResourceReplicas`: a `Resource` metric with `averageUtilization` (percent of the
/// pods' requests).
pub(crate) fn resource_utilization_replicas(
    current_replicas: i32,
    target_utilization: i32,
    pods: &[PodState],
    kind: SampleKind,
    tolerances: Tolerances,
    config: CalculatorConfig,
    now: SimTime,
) -> Result<UtilizationProposal, CalcError> {
    if pods.is_empty() {
        return Err(CalcError::NoPods);
    }
    let Groups {
        mut metrics,
        unready,
        missing,
    } = group_pods(pods, kind, now, config);
    if metrics.is_empty() {
        return Err(CalcError::NoMetricsForTargetedPods);
    }
    let requests = pods
        .iter()
        .enumerate()
        .map(|(i, pod)| pod.request.ok_or(CalcError::MissingRequest(i)))
        .collect::<Result<Vec<i64>, _>>()?;
    let ready_pod_count = metrics.len();
    let (usage_ratio, utilization, raw_average) = utilization_ratio(&metrics, &requests, target_utilization)?;
    let proposal = |replicas| UtilizationProposal {
        replicas,
        utilization,
        raw_average,
    };

    let scale_up_with_unready = !unready.is_empty() && usage_ratio > 1.0;
    if !scale_up_with_unready && missing.is_empty() {
        if tolerances.is_within(usage_ratio) {
            return Ok(proposal(current_replicas));
        }
        return Ok(proposal(ceil_i32(usage_ratio * ready_pod_count as f64)));
    }

    if usage_ratio < 1.0 {
        // Scale-down: a missing pod uses all it requests, or the target if that is higher.
        let fallback_percent = 100.max(target_utilization) as i64;
        metrics.extend(missing.iter().map(|&i| (i, requests[i] * fallback_percent / 100)));
    } else if usage_ratio > 1.0 {
        metrics.extend(missing.iter().map(|&i| (i, 0)));
    }
    if scale_up_with_unready {
        metrics.extend(unready.iter().map(|&i| (i, 0)));
    }

    let (new_usage_ratio, _, _) = utilization_ratio(&metrics, &requests, target_utilization)?;
    if keeps_current(tolerances, usage_ratio, new_usage_ratio) {
        return Ok(proposal(current_replicas));
    }
    Ok(proposal(rebalanced_replicas(
        current_replicas,
        new_usage_ratio,
        metrics.len(),
    )))
}

/// `calcPlainMetricReplicas`: a `Pods` metric with `averageValue` (`GetMetricReplicas`,
/// `SampleKind::Other`) or a `Resource` metric with `averageValue`
/// (`GetRawResourceReplicas`, `SampleKind::Cpu` for cpu). Values and target in thousandths.
pub(crate) fn plain_metric_replicas(
    current_replicas: i32,
    target_usage: i64,
    pods: &[PodState],
    kind: SampleKind,
    tolerances: Tolerances,
    config: CalculatorConfig,
    now: SimTime,
) -> Result<UsageProposal, CalcError> {
    if pods.is_empty() {
        return Err(CalcError::NoPods);
    }
    let Groups {
        mut metrics,
        unready,
        missing,
    } = group_pods(pods, kind, now, config);
    if metrics.is_empty() {
        return Err(CalcError::NoMetricsForTargetedPods);
    }
    let ready_pod_count = metrics.len();
    let (usage_ratio, usage) = usage_ratio(&metrics, target_usage);
    let proposal = |replicas| UsageProposal { replicas, usage };

    let scale_up_with_unready = !unready.is_empty() && usage_ratio > 1.0;
    if !scale_up_with_unready && missing.is_empty() {
        if tolerances.is_within(usage_ratio) {
            return Ok(proposal(current_replicas));
        }
        return Ok(proposal(ceil_i32(usage_ratio * ready_pod_count as f64)));
    }

    if usage_ratio < 1.0 {
        // Scale-down: a missing pod uses exactly the target.
        metrics.extend(missing.iter().map(|&i| (i, target_usage)));
    } else if usage_ratio > 1.0 {
        metrics.extend(missing.iter().map(|&i| (i, 0)));
    }
    if scale_up_with_unready {
        metrics.extend(unready.iter().map(|&i| (i, 0)));
    }

    let (new_usage_ratio, _) = self::usage_ratio(&metrics, target_usage);
    if keeps_current(tolerances, usage_ratio, new_usage_ratio) {
        return Ok(proposal(current_replicas));
    }
    Ok(proposal(rebalanced_replicas(
        current_replicas,
        new_usage_ratio,
        metrics.len(),
    )))
}

/// `getReadyPodsCount`: running pods whose `Ready` condition is true.
pub(crate) fn ready_pods_count(pods: &[PodState]) -> Result<i64, CalcError> {
    if pods.is_empty() {
        return Err(CalcError::NoPods);
    }
    Ok(pods
        .iter()
        .filter(|p| p.phase == PodPhase::Running && p.ready.is_some_and(|c| c.ready))
        .count() as i64)
}

/// `getUsageRatioReplicaCount`: the ratio times the ready pods; from zero replicas, the
/// ratio alone (scale from zero, no tolerance).
fn usage_ratio_replica_count(
    current_replicas: i32,
    usage_ratio: f64,
    tolerances: Tolerances,
    pods: &[PodState],
) -> Result<i32, CalcError> {
    if current_replicas == 0 {
        return Ok(ceil_i32(usage_ratio));
    }
    if tolerances.is_within(usage_ratio) {
        return Ok(current_replicas);
    }
    let ready = ready_pods_count(pods)?;
    let replicas = usage_ratio * ready as f64;
    Ok(if replicas > i32::MAX as f64 {
        i32::MAX
    } else {
        ceil_i32(replicas)
    })
}

/// `GetObjectMetricReplicas`: an `Object` metric with a `value` target. No object metrics
/// source is simulated (an HPA with an `Object` metric is refused at load); the
/// arithmetic is kept with the controller's table tests for when one is.
#[allow(dead_code)]
pub(crate) fn object_metric_replicas(
    current_replicas: i32,
    usage: i64,
    target_usage: i64,
    pods: &[PodState],
    tolerances: Tolerances,
) -> Result<UsageProposal, CalcError> {
    let usage_ratio = usage as f64 / target_usage as f64;
    let replicas = usage_ratio_replica_count(current_replicas, usage_ratio, tolerances, pods)?;
    Ok(UsageProposal { replicas, usage })
}

/// `GetObjectPerPodMetricReplicas`: an `Object` metric with an `averageValue` target —
/// the object's value shared over `status.replicas` (see `object_metric_replicas`).
#[allow(dead_code)]
pub(crate) fn object_per_pod_replicas(
    status_replicas: i32,
    usage: i64,
    target_average_usage: i64,
    tolerances: Tolerances,
) -> UsageProposal {
    let usage_ratio = usage as f64 / (target_average_usage as f64 * status_replicas as f64);
    let replicas = if tolerances.is_within(usage_ratio) {
        status_replicas
    } else {
        ceil_i32(usage as f64 / target_average_usage as f64)
    };
    UsageProposal {
        replicas,
        usage: (usage as f64 / status_replicas as f64).ceil() as i64,
    }
}

/// The sum of an external metric's series, capped at `i64::MAX`.
fn external_total(values: &[i64]) -> i64 {
    values.iter().fold(0i64, |total, &v| total.saturating_add(v))
}

/// `GetExternalMetricReplicas`: an `External` metric with a `value` target (the sum of
/// the selected series).
pub(crate) fn external_metric_replicas(
    current_replicas: i32,
    values: &[i64],
    target_usage: i64,
    pods: &[PodState],
    tolerances: Tolerances,
) -> Result<UsageProposal, CalcError> {
    let usage = external_total(values);
    let usage_ratio = usage as f64 / target_usage as f64;
    let replicas = usage_ratio_replica_count(current_replicas, usage_ratio, tolerances, pods)?;
    Ok(UsageProposal { replicas, usage })
}

/// `GetExternalPerPodMetricReplicas`: an `External` metric with an `averageValue` target.
pub(crate) fn external_per_pod_replicas(
    status_replicas: i32,
    values: &[i64],
    target_usage_per_pod: i64,
    tolerances: Tolerances,
) -> UsageProposal {
    let usage = external_total(values);
    let usage_ratio = usage as f64 / (target_usage_per_pod as f64 * status_replicas as f64);
    let replicas = if tolerances.is_within(usage_ratio) {
        status_replicas
    } else {
        let wanted = (usage as f64 / target_usage_per_pod as f64).ceil();
        if wanted > i32::MAX as f64 {
            i32::MAX
        } else {
            wanted as i32
        }
    };
    let usage = if usage as f64 >= i64::MAX as f64 {
        i64::MAX
    } else {
        (usage as f64 / status_replicas as f64).ceil() as i64
    };
    UsageProposal { replicas, usage }
}

#[cfg(test)]
mod tests {
    //! Cases named after the Go tests of `replica_calculator_test.go`
    //! (`TestReplicaCalcScaleUpUnreadyLessScale` → `scale_up_unready_less_scale`), with
    //! one container per pod: Go's pods have two, which doubles their raw values but not
    //! the utilization percent or the replica counts. Go's harness builds pods that are
    //! running and ready unless told otherwise; "hot" pods started within the cpu
    //! initialization period and became ready too recently for a full metric window.
    use super::*;

    const NOW: SimTime = SimTime(3_600_000);
    const WINDOW: SimDuration = SimDuration(60_000);
    /// Started ten minutes ago: past the cpu initialization period.
    const COOL: SimTime = SimTime(NOW.0 - 600_000);
    /// Started (and became ready) thirty seconds ago.
    const HOT: SimTime = SimTime(NOW.0 - 30_000);

    /// A running pod started at `start`, ready (or not) since then.
    fn pod(start: SimTime, ready: bool, level: Option<i64>, request: i64) -> PodState {
        PodState {
            phase: PodPhase::Running,
            deleting: false,
            ready: Some(ReadyCondition {
                ready,
                last_transition: start,
            }),
            start_time: Some(start),
            sample: level.map(|value| Sample {
                value,
                timestamp: NOW,
                window: WINDOW,
            }),
            request: Some(request),
        }
    }
    fn ready(level: i64) -> PodState {
        pod(COOL, true, Some(level), 1000)
    }
    fn unready(level: i64) -> PodState {
        pod(COOL, false, Some(level), 1000)
    }
    fn hot(level: i64) -> PodState {
        pod(HOT, true, Some(level), 1000)
    }
    fn missing() -> PodState {
        pod(COOL, true, None, 1000)
    }
    fn with_phase(mut p: PodState, phase: PodPhase) -> PodState {
        p.phase = phase;
        p
    }
    fn deleting(mut p: PodState) -> PodState {
        p.deleting = true;
        p
    }

    struct UtilizationCase {
        name: &'static str,
        current: i32,
        target: i32,
        pods: Vec<PodState>,
        expect: Result<UtilizationProposal, CalcError>,
    }

    fn util(replicas: i32, utilization: i32, raw_average: i64) -> Result<UtilizationProposal, CalcError> {
        Ok(UtilizationProposal {
            replicas,
            utilization,
            raw_average,
        })
    }

    #[test]
    fn resource_utilization_cases() {
        use PodPhase::*;
        let cases = vec![
            UtilizationCase {
                name: "scale_up",
                current: 3,
                target: 30,
                pods: vec![ready(300), ready(500), ready(700)],
                // 1500 of 3000 = 50%, ratio 5/3, ceil(5.0) = 5.
                expect: util(5, 50, 500),
            },
            UtilizationCase {
                name: "scale_up_unready_less_scale",
                current: 3,
                target: 30,
                pods: vec![unready(300), ready(500), ready(700)],
                // 1200 of 2000 = 60%, ratio 2; the unready pod at 0: 1200 of 3000 = 40%,
                // ratio 4/3, ceil(4.0) = 4.
                expect: util(4, 60, 600),
            },
            UtilizationCase {
                name: "scale_up_hot_cpu_less_scale",
                current: 3,
                target: 30,
                pods: vec![hot(300), ready(500), ready(700)],
                expect: util(4, 60, 600),
            },
            UtilizationCase {
                name: "scale_up_unready_no_scale",
                current: 3,
                target: 30,
                pods: vec![ready(400), unready(500), unready(700)],
                // 40%, ratio 4/3; the unready at 0: 400 of 3000 = 13%, ratio 0.43 —
                // the direction would reverse, so no change.
                expect: util(3, 40, 400),
            },
            UtilizationCase {
                name: "scale_hot_cpu_no_scale",
                current: 3,
                target: 30,
                pods: vec![
                    ready(400),
                    pod(HOT, false, Some(500), 1000),
                    pod(HOT, false, Some(700), 1000),
                ],
                expect: util(3, 40, 400),
            },
            UtilizationCase {
                name: "scale_up_ignores_failed_pods",
                current: 2,
                target: 30,
                pods: vec![
                    ready(500),
                    ready(700),
                    with_phase(pod(COOL, false, None, 1000), Failed),
                    with_phase(pod(COOL, false, None, 1000), Failed),
                ],
                // 60%, ratio 2, ceil(2 × 2) = 4; failed pods neither count nor fill in.
                expect: util(4, 60, 600),
            },
            UtilizationCase {
                name: "scale_up_ignores_deletion_pods",
                current: 2,
                target: 30,
                pods: vec![
                    ready(500),
                    ready(700),
                    deleting(pod(COOL, false, None, 1000)),
                    deleting(pod(COOL, false, None, 1000)),
                ],
                expect: util(4, 60, 600),
            },
            UtilizationCase {
                name: "scale_down",
                current: 5,
                target: 50,
                pods: vec![ready(100), ready(300), ready(500), ready(250), ready(250)],
                // 1400 of 5000 = 28%, ratio 0.56, ceil(2.8) = 3.
                expect: util(3, 28, 280),
            },
            UtilizationCase {
                name: "scale_down_exclude_unready_pods",
                current: 5,
                target: 50,
                pods: vec![ready(100), ready(300), ready(500), unready(250), unready(250)],
                // Unready pods are left out of a scale-down: 900 of 3000 = 30%,
                // ratio 0.6, ceil(0.6 × 3) = 2.
                expect: util(2, 30, 300),
            },
            UtilizationCase {
                name: "scale_down_exclude_unscheduled_pods",
                current: 5,
                target: 50,
                pods: vec![
                    ready(100),
                    with_phase(pod(COOL, false, None, 1000), Pending),
                    with_phase(pod(COOL, false, None, 1000), Pending),
                    with_phase(pod(COOL, false, None, 1000), Pending),
                    with_phase(pod(COOL, false, None, 1000), Pending),
                ],
                // 10%, ratio 0.2, ceil(0.2 × 1) = 1.
                expect: util(1, 10, 100),
            },
            UtilizationCase {
                name: "scale_down_ignore_hot_cpu_pods",
                current: 5,
                target: 50,
                pods: vec![ready(100), ready(300), ready(500), hot(250), hot(250)],
                expect: util(2, 30, 300),
            },
            UtilizationCase {
                name: "scale_down_ignores_failed_pods",
                current: 5,
                target: 50,
                pods: vec![
                    ready(100),
                    ready(300),
                    ready(500),
                    ready(250),
                    ready(250),
                    with_phase(pod(COOL, false, None, 1000), Failed),
                    with_phase(pod(COOL, false, None, 1000), Failed),
                ],
                expect: util(3, 28, 280),
            },
            UtilizationCase {
                name: "scale_down_ignores_deletion_pods",
                current: 5,
                target: 50,
                pods: vec![
                    ready(100),
                    ready(300),
                    ready(500),
                    ready(250),
                    ready(250),
                    deleting(pod(COOL, false, None, 1000)),
                    deleting(pod(COOL, false, None, 1000)),
                ],
                expect: util(3, 28, 280),
            },
            UtilizationCase {
                name: "tolerance",
                current: 3,
                target: 100,
                pods: vec![
                    pod(COOL, true, Some(1010), 900),
                    pod(COOL, true, Some(1030), 1000),
                    pod(COOL, true, Some(1020), 1100),
                ],
                // 3060 of 3000 = 102%: within 10%.
                expect: util(3, 102, 1020),
            },
            UtilizationCase {
                name: "missing_metrics",
                current: 4,
                target: 100,
                pods: vec![ready(400), ready(95), missing(), missing()],
                // 495 of 2000 = 24% (24.75 truncated); the missing at their requests:
                // 2495 of 4000 = 62%, ratio 0.62, ceil(2.48) = 3.
                expect: util(3, 24, 247),
            },
            UtilizationCase {
                name: "missing_metrics_no_change_eq",
                current: 2,
                target: 100,
                pods: vec![ready(1000), missing()],
                // Exactly 100%: the missing pod is filled in neither way; no change.
                expect: util(2, 100, 1000),
            },
            UtilizationCase {
                name: "missing_metrics_no_change_gt",
                current: 2,
                target: 100,
                pods: vec![ready(1900), missing()],
                // 190%; the missing at 0: 95% — reversed, no change.
                expect: util(2, 190, 1900),
            },
            UtilizationCase {
                name: "missing_metrics_no_change_lt",
                current: 2,
                target: 100,
                pods: vec![ready(600), missing()],
                // 60%; the missing at 100%: 80%, ceil(0.8 × 2) = 2.
                expect: util(2, 60, 600),
            },
            UtilizationCase {
                name: "missing_metrics_unready_change",
                current: 3,
                target: 50,
                pods: vec![unready(100), ready(450), missing()],
                // 45%, ratio 0.9 (but a pod is missing); the missing at 100%: 1450 of
                // 2000 = 72%, ratio 1.44 — reversed, no change.
                expect: util(3, 45, 450),
            },
            UtilizationCase {
                name: "missing_metrics_hot_cpu_no_change",
                current: 3,
                target: 50,
                pods: vec![hot(100), ready(450), missing()],
                expect: util(3, 45, 450),
            },
            UtilizationCase {
                name: "missing_metrics_unready_scale_up",
                current: 3,
                target: 50,
                pods: vec![unready(100), ready(2000), missing()],
                // 200%, ratio 4; missing and unready at 0: 2000 of 3000 = 66%,
                // ratio 1.32, ceil(3.96) = 4.
                expect: util(4, 200, 2000),
            },
            UtilizationCase {
                name: "missing_metrics_hot_cpu_scale_up",
                current: 3,
                target: 50,
                pods: vec![pod(HOT, false, Some(100), 1000), ready(2000), missing()],
                expect: util(4, 200, 2000),
            },
            UtilizationCase {
                name: "missing_metrics_unready_scale_down",
                current: 4,
                target: 50,
                pods: vec![unready(100), ready(100), ready(100), missing()],
                // 10%; the missing at 100%: 1200 of 3000 = 40%, ratio 0.8,
                // ceil(0.8 × 3) = 3 (the unready pod stays out).
                expect: util(3, 10, 100),
            },
            UtilizationCase {
                name: "missing_metrics_scale_down_target_over_100",
                current: 4,
                target: 300,
                pods: vec![
                    pod(COOL, false, Some(200), 1000),
                    pod(COOL, true, Some(100), 1000),
                    pod(COOL, true, Some(100), 2000),
                    pod(COOL, true, None, 2000),
                ],
                // 200 of 3000 = 6%; the missing at the 300% target: 6000, so 6200 of
                // 5000 = 124%, ratio 0.41, ceil(1.24) = 2.
                expect: util(2, 6, 100),
            },
            UtilizationCase {
                name: "during_rolling_update_with_max_surge",
                current: 2,
                target: 50,
                pods: vec![ready(100), ready(100), missing()],
                // 10%; the surge pod at 100%: 1200 of 3000 = 40%, ratio 0.8, but
                // ceil(0.8 × 3) = 3 would increase on a scale-down: no change.
                expect: util(2, 10, 100),
            },
            UtilizationCase {
                name: "empty_metrics",
                current: 4,
                target: 100,
                pods: vec![missing(), missing(), missing()],
                expect: Err(CalcError::NoMetricsForTargetedPods),
            },
            UtilizationCase {
                name: "empty_cpu_request",
                current: 1,
                target: 100,
                pods: vec![PodState {
                    request: None,
                    ..ready(200)
                }],
                expect: Err(CalcError::MissingRequest(0)),
            },
            UtilizationCase {
                name: "no_pods",
                current: 1,
                target: 100,
                pods: vec![],
                expect: Err(CalcError::NoPods),
            },
        ];
        for case in cases {
            let got = resource_utilization_replicas(
                case.current,
                case.target,
                &case.pods,
                SampleKind::Cpu,
                Tolerances::default(),
                CalculatorConfig::default(),
                NOW,
            );
            assert_eq!(got, case.expect, "{}", case.name);
        }
    }

    struct PlainCase {
        name: &'static str,
        current: i32,
        target: i64,
        kind: SampleKind,
        pods: Vec<PodState>,
        expect: Result<UsageProposal, CalcError>,
    }

    fn usage(replicas: i32, usage: i64) -> Result<UsageProposal, CalcError> {
        Ok(UsageProposal { replicas, usage })
    }

    #[test]
    fn plain_metric_cases() {
        use SampleKind::*;
        let cases = vec![
            PlainCase {
                name: "scale_up_cm",
                current: 3,
                target: 15000,
                kind: Other,
                pods: vec![ready(20000), ready(10000), ready(30000)],
                // Average 20000, ratio 4/3, ceil(4.0) = 4.
                expect: usage(4, 20000),
            },
            PlainCase {
                name: "scale_up_cm_unready_hot_cpu_no_less_scale",
                current: 3,
                target: 15000,
                kind: Other,
                pods: vec![ready(50000), ready(10000), pod(HOT, false, Some(30000), 1000)],
                // Readiness is a cpu matter: all three count, average 30000, ratio 2.
                expect: usage(6, 30000),
            },
            PlainCase {
                name: "scale_up_cm_unready_hot_cpu_scale_would_scale_down",
                current: 3,
                target: 15000,
                kind: Other,
                pods: vec![
                    pod(HOT, false, Some(50000), 1000),
                    ready(15000),
                    pod(HOT, false, Some(30000), 1000),
                ],
                // Average 31666, ratio 2.11, ceil(6.33) = 7.
                expect: usage(7, 31666),
            },
            PlainCase {
                name: "scale_down_cm",
                current: 5,
                target: 20000,
                kind: Other,
                pods: vec![ready(12000), ready(12000), ready(12000), ready(12000), ready(12000)],
                expect: usage(3, 12000),
            },
            PlainCase {
                name: "tolerance_cm",
                current: 3,
                target: 20000,
                kind: Other,
                pods: vec![ready(20000), ready(21000), ready(21000)],
                // Average 20666, ratio 1.033: within 10%.
                expect: usage(3, 20666),
            },
            PlainCase {
                name: "plain_metric_missing_metrics_scale_down",
                current: 4,
                target: 20000,
                kind: Other,
                pods: vec![ready(5000), ready(5000), missing(), missing()],
                // Average 5000, ratio 0.25; the missing at the target: 50000 / 4 =
                // 12500, ratio 0.625, ceil(2.5) = 3.
                expect: usage(3, 5000),
            },
            PlainCase {
                name: "plain_metric_missing_metrics_scale_up",
                current: 3,
                target: 10000,
                kind: Other,
                pods: vec![ready(30000), missing(), with_phase(missing(), PodPhase::Pending)],
                // Average 30000, ratio 3; missing and pending at 0: 10000 —
                // within tolerance, no change.
                expect: usage(3, 30000),
            },
            PlainCase {
                name: "raw_resource_scale_up_unready_less_scale",
                current: 3,
                target: 300,
                kind: Cpu,
                pods: vec![unready(300), ready(500), ready(700)],
                // As a cpu averageValue: average 600, ratio 2; the unready at 0:
                // 400, ratio 4/3, ceil(4.0) = 4.
                expect: usage(4, 600),
            },
        ];
        for case in cases {
            let got = plain_metric_replicas(
                case.current,
                case.target,
                &case.pods,
                case.kind,
                Tolerances::default(),
                CalculatorConfig::default(),
                NOW,
            );
            assert_eq!(got, case.expect, "{}", case.name);
        }
    }

    #[test]
    fn object_and_external_cases() {
        let three_ready = vec![ready(0), ready(0), ready(0)];
        let one_of_three_ready = vec![unready(0), ready(0), unready(0)];
        let five_ready = vec![ready(0); 5];
        let tol = Tolerances::default();
        type Outcome = Result<UsageProposal, CalcError>;
        let cases: Vec<(&str, Outcome, Outcome)> = vec![
            // Ratio 20000/15000 over three ready pods: ceil(4.0) = 4.
            (
                "scale_up_cm_object",
                object_metric_replicas(3, 20000, 15000, &three_ready, tol),
                usage(4, 20000),
            ),
            // Ratio 5 over the one ready pod (15 had the unready counted).
            (
                "scale_up_cm_object_ignores_unready_pods",
                object_metric_replicas(3, 50000, 10000, &one_of_three_ready, tol),
                usage(5, 50000),
            ),
            // 20000 over 3 × 5000: ceil(20000 / 5000) = 4; usage ceil(20000 / 3).
            (
                "scale_up_cm_per_pod_object",
                Ok(object_per_pod_replicas(3, 20000, 5000, tol)),
                usage(4, 6667),
            ),
            // 8600 / 4400 = 1.95 over the one ready pod: 2 (6 with the unready).
            (
                "scale_up_cm_external_ignores_unready_pods",
                external_metric_replicas(3, &[8600], 4400, &one_of_three_ready, tol),
                usage(2, 8600),
            ),
            (
                "scale_up_per_pod_cm_external",
                Ok(external_per_pod_replicas(3, &[8600], 2150, tol)),
                usage(4, 2867),
            ),
            (
                "scale_down_cm_object",
                object_metric_replicas(5, 12000, 20000, &five_ready, tol),
                usage(3, 12000),
            ),
            (
                "scale_down_per_pod_cm_object",
                Ok(object_per_pod_replicas(5, 6000, 2000, tol)),
                usage(3, 1200),
            ),
            // 8600 / 14334 = 0.59997, ceil(2.9999) = 3.
            (
                "scale_down_cm_external",
                external_metric_replicas(5, &[8600], 14334, &five_ready, tol),
                usage(3, 8600),
            ),
            // ceil(8600 / 2867) = ceil(2.9996) = 3.
            (
                "scale_down_per_pod_cm_external",
                Ok(external_per_pod_replicas(5, &[8600], 2867, tol)),
                usage(3, 1720),
            ),
            (
                "tolerance_cm_object",
                object_metric_replicas(3, 20666, 20000, &three_ready, tol),
                usage(3, 20666),
            ),
            // 20166 over 4 × 5000 = 1.008: within.
            (
                "tolerance_per_pod_cm_object",
                Ok(object_per_pod_replicas(4, 20166, 5000, tol)),
                usage(4, 5042),
            ),
            (
                "tolerance_cm_external",
                external_metric_replicas(3, &[8600], 8888, &three_ready, tol),
                usage(3, 8600),
            ),
            (
                "tolerance_per_pod_cm_external",
                Ok(external_per_pod_replicas(3, &[8600], 2900, tol)),
                usage(3, 2867),
            ),
            // From zero replicas the ratio alone decides: ceil(8600 / 4400) = 2, with no
            // pods to count.
            (
                "scale_up_cm_external_from_zero",
                external_metric_replicas(0, &[8600], 4400, &[], tol),
                usage(2, 8600),
            ),
            (
                "scale_to_zero_cm_external",
                external_metric_replicas(0, &[0], 4400, &[], tol),
                usage(0, 0),
            ),
        ];
        for (name, got, want) in cases {
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn configurable_tolerance() {
        // Ratio 4/3: a 10% tolerance scales up, a 50% scale-up tolerance does not, and a
        // scale-down tolerance has no say on a scale-up.
        let pods = vec![ready(20000), ready(10000), ready(30000)];
        let run = |tolerances| {
            plain_metric_replicas(
                3,
                15000,
                &pods,
                SampleKind::Other,
                tolerances,
                CalculatorConfig::default(),
                NOW,
            )
            .map(|p| p.replicas)
        };
        assert_eq!(run(Tolerances::default()), Ok(4));
        assert_eq!(
            run(Tolerances {
                scale_down: 0.1,
                scale_up: 0.5
            }),
            Ok(3)
        );
        assert_eq!(
            run(Tolerances {
                scale_down: 0.9,
                scale_up: 0.0
            }),
            Ok(4)
        );
        assert!(Tolerances::default().is_within(0.9) && Tolerances::default().is_within(1.1));
        assert!(!Tolerances::default().is_within(0.89) && !Tolerances::default().is_within(1.11));
    }

    #[test]
    fn cpu_readiness_after_initialization_period() {
        // Past the initialization period, a not-ready pod's sample is skipped only if it
        // has never been ready: its readiness last changed within the initial readiness
        // delay of its start. One that went unready later still counts.
        let never_ready = PodState {
            ready: Some(ReadyCondition {
                ready: false,
                last_transition: SimTime(COOL.0 + 10_000),
            }),
            ..ready(900)
        };
        let went_unready = PodState {
            ready: Some(ReadyCondition {
                ready: false,
                last_transition: SimTime(COOL.0 + 120_000),
            }),
            ..ready(900)
        };
        let config = CalculatorConfig::default();
        let tol = Tolerances::default();
        let run = |p: PodState| {
            resource_utilization_replicas(2, 50, &[ready(100), p], SampleKind::Cpu, tol, config, NOW).unwrap()
        };
        // Never ready: 10%, ratio 0.2, ceil(0.2 × 1) = 1.
        assert_eq!(
            run(never_ready),
            UtilizationProposal {
                replicas: 1,
                utilization: 10,
                raw_average: 100
            }
        );
        // Counted: 1000 of 2000 = 50%, exactly the target.
        assert_eq!(
            run(went_unready),
            UtilizationProposal {
                replicas: 2,
                utilization: 50,
                raw_average: 500
            }
        );
        // The same pod's sample as a non-cpu resource counts regardless.
        assert_eq!(
            resource_utilization_replicas(2, 50, &[ready(100), never_ready], SampleKind::Other, tol, config, NOW)
                .unwrap()
                .replicas,
            2
        );
    }
}
