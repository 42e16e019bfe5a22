//! Kueue's Workload: what it asks for, where it was admitted, and its state over time.

use super::{JobId, Named, PodGroupId, PodId, WorkloadId};
use crate::api::core::{PodSpec, ResourceList};
use crate::api::kueue::FlavorName;
use crate::units::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default)]
/// Where Kueue admitted a Workload: its ClusterQueue, a flavor per resource, and the
/// quota it holds there.
pub struct Admission {
    pub cluster_queue: String,
    /// Resource → flavor for the single `main` pod set.
    pub flavors: BTreeMap<String, FlavorName>,
    pub usage: ResourceList,
}

#[derive(Debug, Clone)]
pub struct Workload {
    pub uid: WorkloadId,
    pub namespace: String,
    pub name: String,
    pub queue_name: String,
    /// The object Kueue made this Workload for.
    pub source: WorkloadSource,
    /// The pod's name, or the Job's.
    pub pod_name: String,
    /// Pods in its single pod set, and their template (for flavor selection).
    pub pod_count: u32,
    pub template: PodSpec,
    /// Top owner for reports: InferenceService, else Deployment, else the pod.
    pub owner: String,
    pub priority: i32,
    pub priority_class: Option<String>,
    pub requests: ResourceList,
    pub created: SimTime,
    pub queue_timestamp: SimTime,
    pub admission: Option<Admission>,
    pub admitted_at: Option<SimTime>,
    pub pending_message: Option<String>,
    /// `Inadmissible` when the queue itself is missing or rejects the namespace.
    pub pending_reason: Option<String>,
    pub finished_at: Option<SimTime>,
    pub evicted_at: Option<SimTime>,
    /// Evictions for `PodsReadyTimeout` so far (Kueue's `requeueState.count`).
    pub requeue_count: u32,
    /// When the back-off after such an eviction ends (`requeueState.requeueAt`).
    pub requeue_at: Option<SimTime>,
    /// Deactivated (`spec.active: false`) after too many requeues: never admitted again.
    pub deactivated: bool,
    pub ready_at: Option<SimTime>,
    /// State transitions, for expectations about any past instant.
    pub history: Vec<(SimTime, WorkloadState)>,
    /// Every eviction, in order: kept after the Workload is requeued, so that an
    /// expectation can count them and say who evicted it and why.
    pub evictions: Vec<EvictionEvent>,
}

/// One eviction of a Workload, with Kueue's reasons as its status conditions carry them.
#[derive(Debug, Clone, PartialEq)]
pub struct EvictionEvent {
    pub at: SimTime,
    /// The `Evicted` condition's reason: `Preempted` or `PodsReadyTimeout`.
    pub reason: String,
    /// The `Preempted` condition's reason, for a preemption: `InClusterQueue`,
    /// `InCohortReclamation`, `InCohortReclaimWhileBorrowing` or `InCohortFairSharing`.
    pub preemption_reason: Option<String>,
    /// The Workload it made room for, for a preemption.
    pub preemptor: Option<WorkloadId>,
    /// Kueue's message.
    pub message: String,
}

/// What a Workload stands for: Kueue's pod integration (one pod) or its batch/Job one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadSource {
    Pod(PodId),
    Job(JobId),
    /// A pod group (`kueue.x-k8s.io/pod-group-name`): one Workload for all its pods.
    PodGroup(PodGroupId),
    /// A Workload object given as input (a cluster snapshot): it has no pods; admitted, it
    /// holds its quota, for `run_time` when given.
    Snapshot {
        run_time: Option<SimDuration>,
    },
}

impl Workload {
    /// A Workload created at `now` for `source`: pending, nothing reserved, one pod. The
    /// integration creating it fills in its identity, priority and requests.
    pub(crate) fn queued(source: WorkloadSource, now: SimTime) -> Workload {
        Workload {
            uid: WorkloadId::from_raw(0),
            namespace: String::new(),
            name: String::new(),
            queue_name: String::new(),
            source,
            pod_name: String::new(),
            pod_count: 1,
            template: PodSpec::default(),
            owner: String::new(),
            priority: 0,
            priority_class: None,
            requests: ResourceList::default(),
            created: now,
            queue_timestamp: now,
            admission: None,
            admitted_at: None,
            pending_message: None,
            pending_reason: None,
            finished_at: None,
            evicted_at: None,
            requeue_count: 0,
            requeue_at: None,
            deactivated: false,
            ready_at: None,
            history: Vec::new(),
            evictions: Vec::new(),
        }
    }

    /// The pod of a pod-integration Workload.
    pub fn pod(&self) -> Option<PodId> {
        match self.source {
            WorkloadSource::Pod(p) => Some(p),
            _ => None,
        }
    }
    pub fn job(&self) -> Option<JobId> {
        match self.source {
            WorkloadSource::Job(j) => Some(j),
            _ => None,
        }
    }
}

/// The states a Scenario's `expect:` entries name, ordered Pending < Admitted < Ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WorkloadState {
    Pending,
    Admitted,
    Ready,
    Evicted,
    Finished,
    Absent,
}

impl WorkloadState {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadState::Pending => "Pending",
            WorkloadState::Admitted => "Admitted",
            WorkloadState::Ready => "Ready",
            WorkloadState::Evicted => "Evicted",
            WorkloadState::Finished => "Finished",
            WorkloadState::Absent => "Absent",
        }
    }
    pub fn parse(s: &str) -> Option<WorkloadState> {
        [
            WorkloadState::Pending,
            WorkloadState::Admitted,
            WorkloadState::Ready,
            WorkloadState::Evicted,
            WorkloadState::Finished,
            WorkloadState::Absent,
        ]
        .into_iter()
        .find(|st| st.as_str().eq_ignore_ascii_case(s))
    }
    /// Rank on the Pending < Admitted < Ready ladder `by:` expectations climb.
    pub fn progress(self) -> Option<u8> {
        match self {
            WorkloadState::Pending => Some(0),
            WorkloadState::Admitted => Some(1),
            WorkloadState::Ready => Some(2),
            _ => None,
        }
    }
}

impl Workload {
    pub(crate) fn state_at(&self, t: SimTime) -> WorkloadState {
        self.history
            .iter()
            .take_while(|(at, _)| *at <= t)
            .last()
            .map(|(_, s)| *s)
            .unwrap_or(WorkloadState::Absent)
    }
    pub fn current_state(&self) -> WorkloadState {
        self.history.last().map(|(_, s)| *s).unwrap_or(WorkloadState::Absent)
    }
    pub(crate) fn set_state(&mut self, t: SimTime, s: WorkloadState) {
        if self.history.last().map(|(_, x)| *x) != Some(s) {
            self.history.push((t, s));
        }
    }
    pub fn is_pending(&self) -> bool {
        self.admission.is_none() && self.finished_at.is_none()
    }

    /// Each stretch of time it spent Pending up to `t`: (from, until), where `until` is
    /// `t` itself for a stretch still going on then. Zero-length stretches (a requeue
    /// admitted at the same instant) are left out.
    pub fn pending_spans(&self, t: SimTime) -> Vec<(SimTime, SimTime)> {
        let mut spans = Vec::new();
        let mut states = self.history.iter().take_while(|(at, _)| *at <= t).peekable();
        while let Some((from, s)) = states.next() {
            let until = states.peek().map_or(t, |(next, _)| *next);
            if *s == WorkloadState::Pending && until > *from {
                spans.push((*from, until));
            }
        }
        spans
    }

    /// Its time Pending up to `t`, all stretches together.
    pub fn pending_time(&self, t: SimTime) -> SimDuration {
        SimDuration(
            self.pending_spans(t)
                .iter()
                .map(|(from, until)| until.since(*from).0)
                .sum(),
        )
    }

    /// When its pods were first all Ready, at or before `t`.
    pub fn first_ready(&self, t: SimTime) -> Option<SimTime> {
        self.history
            .iter()
            .take_while(|(at, _)| *at <= t)
            .find(|(_, s)| *s == WorkloadState::Ready)
            .map(|(at, _)| *at)
    }
}

/// Pods that Kueue admits together as one Workload, all or nothing.
#[derive(Debug, Clone)]
pub struct PodGroup {
    pub uid: PodGroupId,
    pub namespace: String,
    pub name: String,
    /// `kueue.x-k8s.io/pod-group-total-count`: the Workload is created once this many
    /// pods of the group exist.
    pub total: u32,
    pub pods: BTreeSet<PodId>,
    pub workload: Option<WorkloadId>,
}

impl Named for Workload {
    fn namespace(&self) -> &str {
        &self.namespace
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for PodGroup {
    fn namespace(&self) -> &str {
        &self.namespace
    }
    fn name(&self) -> &str {
        &self.name
    }
}
