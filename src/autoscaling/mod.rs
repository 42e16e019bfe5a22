//! Autoscalers' decision cores, as pure functions over what they are given.
//!
//! `hpa`: the HorizontalPodAutoscaler of `pkg/controller/podautoscaler` (autoscaling/v2) —
//! the replica calculator and the `behavior` normalization.
//!
//! `keda`: KEDA's `ScaledObject` (kedacore/keda v2) — the manifest decoder with KEDA's
//! defaults and webhook checks, the `prometheus` trigger, the per-poll decision
//! (activation 0 → 1, cooldown and deactivation to idle, pause annotations, fallback) and
//! the `keda-hpa-<name>` HPA it hands 1..N to, built from `hpa`'s types.
//!
//! `kpa`: the Knative Pod Autoscaler of knative/serving `pkg/autoscaler` — the
//! `config-autoscaler` defaults and `autoscaling.knative.dev/*` annotations, the stable and
//! panic window averages, `autoscaler.Scale` and the last-pod rules of scale to zero.
//!
//! Nothing here reads or writes the store: an autoscaler component gathers the pods, the
//! metric samples and its own history, and asks these functions what to do.

pub(crate) mod hpa;
pub(crate) mod keda;
pub(crate) mod kpa;
