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

/// The instant the most GPUs were allocated to pods at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GpuAllocationPeak {
    pub at: SimTime,
    /// GPUs requested by the pods bound to the nodes.
    pub allocated: i128,
    /// GPUs the nodes offer pods (allocatable; a failed GPU is withdrawn).
    pub allocatable: i128,
    /// Per node, allocatable GPUs no pod requests, summed (a node whose pods hold more than
    /// it now offers, after a GPU failed, counts none).
    pub unallocated: i128,
}

impl GpuAllocationPeak {
    /// The fleet's GPUs at `at`.
    pub(crate) fn of<'a>(nodes: impl IntoIterator<Item = &'a Node>, at: SimTime) -> GpuAllocationPeak {
        let mut peak = GpuAllocationPeak {
            at,
            allocated: 0,
            allocatable: 0,
            unallocated: 0,
        };
        for n in nodes {
            let (requested, offered) = (n.requested.gpus().max(0), n.gpu_capacity().max(0));
            peak.allocated += requested;
            peak.allocatable += offered;
            peak.unallocated += (offered - requested).max(0);
        }
        peak
    }

    /// Whether `self` replaces `held` as the peak: more GPUs allocated, or as many with
    /// fewer left unallocated (the tighter moment is the one to plan for).
    pub(crate) fn exceeds(&self, held: Option<&GpuAllocationPeak>) -> bool {
        held.is_none_or(|h| (self.allocated, -self.unallocated) > (h.allocated, -h.unallocated))
    }
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
