//! The Knative Pod Autoscaler's decision core (knative/serving `pkg/autoscaler`):
//! `config` reads the `config-autoscaler` ConfigMap and a revision's
//! `autoscaling.knative.dev/*` annotations into the `DeciderSpec` the autoscaler decides
//! with; `aggregation` is the per-second buckets of observed concurrency (or RPS) and their
//! stable- and panic-window averages; `autoscaler` is `autoscaler.Scale` (stable and panic
//! modes, rate limits, the scale-down delay, excess burst capacity) and the KPA
//! reconciler's last-pod rules for scale to zero.
//!
//! Times are `SimTime`/`SimDuration` in integer milliseconds; Knative's own times are
//! wall-clock, bucketed to whole seconds, and `timeToIndex` below keeps that bucketing.
//!
//! Not confirmed from Knative's source, and chosen as its tests imply: the scale-down
//! delay window is skipped while the revision is unreachable
//! (`TestAutoscalerScaleDownDelayNotReachable` expects 0); `activation-scale` must be at least 1; "no data" means nothing
//! recorded within the stable window. Knative's buckets hold the revision's total, not a
//! per-pod figure. A modelling choice: the last-pod rules' activator probe succeeds as
//! soon as the caller has put the activator in the path (`proxy_since`).

pub(crate) mod aggregation;
pub(crate) mod autoscaler;
pub(crate) mod config;

use crate::units::SimDuration;

/// `config.BucketSize` (1s): the granularity of the metric buckets. One second means a
/// bucket's value is the sum of what was recorded in that second, never an average.
pub(crate) const BUCKET_SIZE: SimDuration = SimDuration(1_000);

/// `tickInterval` of `pkg/autoscaler/scaling/multiscaler.go` (2s): how often the
/// autoscaler calls `Scale` for every revision, and the granularity of the scale-down
/// delay window.
pub(crate) const TICK_INTERVAL: SimDuration = SimDuration(2_000);
