//! An InferenceService as applied, with what KServe's controller remembers of it.

use super::Named;
use crate::api::kserve::InferenceService;
use crate::manifest::error::Loc;
use crate::units::SimTime;

#[derive(Debug, Clone)]
pub struct InferenceServiceState {
    pub namespace: String,
    pub isvc: InferenceService,
    pub raw: serde_json::Value,
    pub loc: Loc,
    pub created: SimTime,
    /// minReplicas last applied to the Deployment, so only changes propagate.
    pub applied_min_replicas: Option<i32>,
}

impl Named for InferenceServiceState {
    fn namespace(&self) -> &str {
        &self.namespace
    }
    fn name(&self) -> &str {
        &self.isvc.meta.name
    }
}
