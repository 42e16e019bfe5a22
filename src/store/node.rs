//! A Node as the scheduler and the cost report see it: labels, taints, allocatable and
//! what its pods request, with the GPU allocation integrated over time.

use super::PodId;
use crate::api::core::{NodeObject, ResourceList, Taint};
use crate::api::meta::Labels;
use crate::units::SimTime;
use std::collections::BTreeSet;

#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    pub labels: Labels,
    pub annotations: Labels,
    pub taints: Vec<Taint>,
    pub unschedulable: bool,
    pub allocatable: ResourceList,
    pub requested: ResourceList,
    pub pods: BTreeSet<PodId>,
    pub instance_type: Option<String>,
    pub created: SimTime,
    /// Images (ModelCars) already pulled onto this node.
    pub image_cache: BTreeSet<String>,
    /// Integral of requested GPUs over time (GPU·ms), for utilization and cost.
    pub gpu_ms_allocated: u128,
    pub accounted_until: SimTime,
}

impl Node {
    /// Brings the allocation integral up to `now`; call before `requested` changes.
    pub(crate) fn account(&mut self, now: SimTime) {
        let gpus = self.requested.gpus();
        self.gpu_ms_allocated += (gpus.max(0) as u128) * (now.since(self.accounted_until).0 as u128);
        self.accounted_until = now;
    }
    pub(crate) fn gpu_capacity(&self) -> i128 {
        self.allocatable.gpus()
    }
}

impl Node {
    pub(crate) fn from_object(o: NodeObject, now: SimTime) -> Node {
        Node {
            name: o.meta.name,
            labels: o.meta.labels,
            annotations: o.meta.annotations,
            taints: o.taints,
            unschedulable: o.unschedulable,
            allocatable: o.allocatable,
            requested: ResourceList::default(),
            pods: BTreeSet::new(),
            instance_type: o.instance_type,
            created: now,
            image_cache: BTreeSet::new(),
            gpu_ms_allocated: 0,
            accounted_until: now,
        }
    }
}
