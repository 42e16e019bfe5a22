//! What faults did, as the API server saw it happen: which pods each fault struck, which
//! pods and Workloads replaced them, and the state of the world outside the cluster
//! (model storage, the image registry) that kubelets meet when they start pods.

use super::{JobId, LeaderWorkerSetId, PodId, ReplicaSetId, WorkloadId};
use crate::faults::FaultId;
use crate::units::SimTime;
use std::collections::{BTreeMap, BTreeSet};

/// Who replaces a struck pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PodOwner {
    ReplicaSet(ReplicaSetId),
    Job(JobId),
    LeaderWorkerSet(LeaderWorkerSetId),
}

/// One injected fault and its consequences so far.
#[derive(Debug, Clone)]
pub struct FaultRecord {
    pub id: FaultId,
    pub at: SimTime,
    pub type_name: &'static str,
    pub node: Option<String>,
    pub description: String,
    pub random: bool,
    /// When it ended on its own (a NotReady node back, storage back).
    pub ended_at: Option<SimTime>,
    /// Pods it struck (`namespace/name`), in the order they were struck.
    pub pods: Vec<String>,
    pub(crate) struck: BTreeSet<PodId>,
    /// Struck pods per owner not yet replaced by a new pod.
    pub(crate) owed: BTreeMap<PodOwner, u32>,
    /// Pods created to replace struck ones.
    pub replacements: Vec<String>,
    pub(crate) replacement_ids: BTreeSet<PodId>,
    /// When the last replacement became Ready.
    pub replaced_ready_at: Option<SimTime>,
    /// Jobs whose pods it struck: their Workloads' later admissions are re-admissions.
    pub(crate) jobs: BTreeSet<JobId>,
    /// Workloads admitted again because of it (a replacement pod's, or a struck Job's
    /// after an eviction).
    pub readmitted: Vec<WorkloadId>,
    /// Kueue evictions of the Workloads it struck.
    pub evictions: u32,
    pub(crate) workloads: BTreeSet<WorkloadId>,
}

/// The world outside the cluster, as faults leave it.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// Model storage is this many times slower, because of this fault.
    pub storage_slow: Option<(f64, FaultId)>,
    /// Model storage cannot be reached, because of this fault.
    pub storage_down: Option<FaultId>,
    /// Image pulls fail (of images containing the pattern, or all).
    pub pulls_failing: Option<(Option<String>, FaultId)>,
}

impl Environment {
    /// The fault that makes pulling `image` fail now, if any.
    pub(crate) fn pull_fails(&self, image: &str) -> Option<FaultId> {
        match &self.pulls_failing {
            Some((None, f)) => Some(*f),
            Some((Some(p), f)) if image.contains(p.as_str()) => Some(*f),
            _ => None,
        }
    }
}

/// A Node object that was deleted, kept for the bill.
#[derive(Debug, Clone)]
pub struct DepartedNode {
    pub node: super::Node,
    pub deleted_at: SimTime,
}
