//! Autoscalers as the API server holds them: HorizontalPodAutoscalers (written by users,
//! KServe or KEDA) and KEDA ScaledObjects, each with its status, and the record of every
//! scaling decision for the report.

use crate::autoscaling::hpa::manifest::HorizontalPodAutoscaler;
use crate::autoscaling::keda::scaled_object::ScaledObject;
use crate::units::SimTime;

/// Who made an autoscaler object: it goes when its owner goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AutoscalerOwner {
    /// Applied by a user.
    User,
    /// KServe's InferenceService controller, for this InferenceService.
    InferenceService(String),
    /// KEDA, for this ScaledObject.
    ScaledObject(String),
}

/// `HorizontalPodAutoscalerStatus`, what `oc get hpa` shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HpaStatus {
    pub current_replicas: i32,
    pub desired_replicas: i32,
    pub last_scale_time: Option<SimTime>,
    /// Each metric's current value as `kubectl get hpa` prints it (`3/5`, `12%/80%`,
    /// `<unknown>/80%`).
    pub targets: Vec<String>,
    /// (type, status, reason) as the controller last set them.
    pub conditions: Vec<(String, bool, String)>,
}

#[derive(Debug, Clone)]
pub struct HpaObject {
    pub(crate) hpa: HorizontalPodAutoscaler,
    pub namespace: String,
    pub owner: AutoscalerOwner,
    pub created: SimTime,
    pub status: HpaStatus,
}

/// A ScaledObject's status: active, the generated HPA, the conditions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScaledObjectStatus {
    pub active: bool,
    pub hpa_name: String,
    pub last_active_time: Option<SimTime>,
    pub conditions: Vec<(String, String, String)>,
}

#[derive(Debug, Clone)]
pub struct ScaledObjectObject {
    pub(crate) scaled_object: ScaledObject,
    pub owner: AutoscalerOwner,
    pub created: SimTime,
    pub status: ScaledObjectStatus,
}

/// One decision of an autoscaler that changed a target's replicas.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalingDecision {
    pub t: SimTime,
    /// `HorizontalPodAutoscaler`, `ScaledObject` or `KnativePodAutoscaler`.
    pub autoscaler_kind: &'static str,
    /// namespace/name of the autoscaler.
    pub autoscaler: String,
    /// namespace/name of the Deployment it scaled.
    pub target: String,
    pub from: i32,
    pub to: i32,
    /// The metric and its value as the autoscaler saw it (`vllm:num_requests_waiting 14
    /// (target 5)`), or why it had none.
    pub metric: String,
    /// The autoscaler's reason, in its own words.
    pub reason: String,
}
