//! apps/v1 Deployments and ReplicaSets as the Deployment controller keeps them.

use super::{DeploymentId, PodId, ReplicaSetId};
use crate::api::apps::DeploymentSpec;
use crate::api::core::PodTemplate;
use crate::api::meta::Labels;
use crate::manifest::error::Loc;
use crate::units::SimTime;
use std::collections::BTreeSet;

#[derive(Debug, Clone)]
pub struct Deployment {
    pub uid: DeploymentId,
    pub namespace: String,
    pub name: String,
    pub labels: Labels,
    pub annotations: Labels,
    pub spec: DeploymentSpec,
    pub owner_isvc: Option<String>,
    pub created: SimTime,
    pub collision_count: u32,
    pub next_revision: u64,
    pub loc: Option<Loc>,
    /// `pod-template-hash` of the current template, kept up to date by `refresh_hash`.
    pub template_hash: String,
}

impl Deployment {
    /// Recomputes the template hash; call after any change to the pod template.
    pub(crate) fn refresh_hash(&mut self) {
        self.template_hash = crate::apiserver::names::pod_template_hash(
            &crate::controllers::deployment::template_dump(&self.spec.template),
            self.collision_count,
        );
    }
}

#[derive(Debug, Clone)]
pub struct ReplicaSet {
    pub uid: ReplicaSetId,
    pub namespace: String,
    pub name: String,
    pub deployment: Option<DeploymentId>,
    /// The template's labels and its `pod-template-hash`, as the Deployment controller
    /// labels the ReplicaSets it makes.
    pub labels: Labels,
    pub annotations: Labels,
    pub template: PodTemplate,
    pub template_hash: String,
    pub replicas: i32,
    pub revision: u64,
    pub created: SimTime,
    pub pods: BTreeSet<PodId>,
}

super::objects::named_with_labels!(Deployment, ReplicaSet);
