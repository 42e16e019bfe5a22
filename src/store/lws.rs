//! A LeaderWorkerSet and the pods its controller made.

use super::{LeaderWorkerSetId, Named, PodId};
use crate::api::meta::Labels;
use crate::units::SimTime;
use std::collections::BTreeSet;

/// A LeaderWorkerSet and the pods its controller made.
#[derive(Debug, Clone)]
pub struct LeaderWorkerSet {
    pub uid: LeaderWorkerSetId,
    pub k8s_uid: String,
    pub namespace: String,
    pub name: String,
    pub labels: Labels,
    pub spec: crate::api::lws::LeaderWorkerSetObject,
    pub created: SimTime,
    pub pods: BTreeSet<PodId>,
}

impl Named for LeaderWorkerSet {
    fn namespace(&self) -> &str {
        &self.namespace
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn labels(&self) -> Option<&crate::api::meta::Labels> {
        Some(&self.labels)
    }
}

impl super::objects::Labelled for LeaderWorkerSet {
    fn labels_of(&self) -> &crate::api::meta::Labels {
        &self.labels
    }
    fn labels_mut(&mut self) -> &mut crate::api::meta::Labels {
        &mut self.labels
    }
}
