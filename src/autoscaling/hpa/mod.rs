//! The HorizontalPodAutoscaler's decision core (`pkg/controller/podautoscaler`,
//! autoscaling/v2): `replica_calculator` turns metric samples into a proposed replica
//! count, `behavior` turns that proposal into the count the controller writes, with the
//! condition reasons it reports.
//!
//! The controller's command-line defaults (`pkg/controller/podautoscaler/config/v1alpha1`)
//! are named after their flags below.
//!
//! Kept as Kubernetes has it: a recommendation exactly a stabilization window old still
//! counts without `behavior` and no longer counts with it. Assumed: a per-direction
//! `behavior.scale{Up,Down}.tolerance` applies (Kubernetes honours it only with the alpha
//! `HPAConfigurableTolerance` gate). Not modelled: a Ready condition of `Unknown`,
//! per-container metrics, and "no scale-down while any metric is invalid" (the caller
//! passes the largest proposal).

pub(crate) mod behavior;
pub(crate) mod manifest;
pub(crate) mod replica_calculator;

use crate::units::SimDuration;

/// `--horizontal-pod-autoscaler-sync-period` (default 15s): how often the controller
/// reconciles every HPA.
pub(crate) const HORIZONTAL_POD_AUTOSCALER_SYNC_PERIOD: SimDuration = SimDuration(15_000);

/// `--horizontal-pod-autoscaler-tolerance` (default 0.1): the minimum change, either way,
/// in the ratio of current to desired metric value for the controller to act. A
/// per-direction `behavior.scale{Up,Down}.tolerance` overrides it (KEP-4951).
pub(crate) const HORIZONTAL_POD_AUTOSCALER_TOLERANCE: f64 = 0.1;

/// `--horizontal-pod-autoscaler-cpu-initialization-period` (default 5m): for this long
/// after a pod starts, its CPU sample is skipped unless the pod is ready and the sample
/// was taken a whole metric window after it became ready.
pub(crate) const HORIZONTAL_POD_AUTOSCALER_CPU_INITIALIZATION_PERIOD: SimDuration = SimDuration(5 * 60_000);

/// `--horizontal-pod-autoscaler-initial-readiness-delay` (default 30s): after the CPU
/// initialization period, a not-ready pod's CPU sample is skipped if the pod's readiness
/// last changed within this delay of its start (it has never been ready).
pub(crate) const HORIZONTAL_POD_AUTOSCALER_INITIAL_READINESS_DELAY: SimDuration = SimDuration(30_000);

/// `--horizontal-pod-autoscaler-downscale-stabilization` (default 5m): the scale-down
/// stabilization window of an HPA whose `behavior.scaleDown.stabilizationWindowSeconds`
/// is unset, and the window of an HPA without `behavior`.
pub(crate) const HORIZONTAL_POD_AUTOSCALER_DOWNSCALE_STABILIZATION: SimDuration = SimDuration(5 * 60_000);
