//! Autoscalers' decision cores, as pure functions over what they are given.
//!
//! `hpa`: the HorizontalPodAutoscaler of `pkg/controller/podautoscaler` (autoscaling/v2) —
//! the replica calculator and the `behavior` normalization. Nothing here reads or writes
//! the store: an autoscaler component gathers the pods, the metric samples and its own
//! history, and asks these functions what to do.
//!
//! `kpa`: the Knative Pod Autoscaler of knative/serving `pkg/autoscaler` — the
//! `config-autoscaler` defaults and `autoscaling.knative.dev/*` annotations, the stable and
//! panic window averages, `autoscaler.Scale` and the last-pod rules of scale to zero.

// Called only from tests for now: the HPA component that calls it comes with in-loop serving metrics.
#![allow(dead_code)]

pub(crate) mod hpa;
pub(crate) mod kpa;
