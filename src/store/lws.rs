//! A LeaderWorkerSet and the pods its controller made.

use super::{LeaderWorkerSetId, PodId};
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

super::objects::named_with_labels!(LeaderWorkerSet);
