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
    /// The `Ready` condition as the node lifecycle controller last set it.
    pub ready: NodeReady,
    /// The kubelet is posting status (false while it is down or the instance is gone).
    pub kubelet_up: bool,
    /// The cloud instance behind it still exists.
    pub instance_running: bool,
    /// The fault that took the kubelet down, while it is down.
    pub down_cause: Option<crate::faults::FaultId>,
    /// GPUs withdrawn from allocatable after an Xid error.
    pub failed_gpus: u32,
}

/// A node's `Ready` condition status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeReady {
    True,
    /// The kubelet stopped posting status for longer than the grace period.
    Unknown,
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
            ready: NodeReady::True,
            kubelet_up: true,
            instance_running: true,
            down_cause: None,
            failed_gpus: 0,
        }
    }
}
