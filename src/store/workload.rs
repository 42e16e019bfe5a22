//! Kueue's Workload: what it asks for, where it was admitted, and its state over time.

use super::{JobId, Named, PodGroupId, PodId, WorkloadId};
use crate::api::core::{PodSpec, ResourceList};
use crate::api::kueue::FlavorName;
use crate::units::{SimDuration, SimTime, Stamp};
use std::collections::{BTreeMap, BTreeSet};

/// One of a Workload's pod sets (`spec.podSets[]`): `count` pods of one shape, assigned
/// flavors on its own.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PodSet {
    /// `main` for a Job or a pod, the role for the frameworks' (`leader`, `workers`,
    /// `head`, a replicated job's name…).
    pub name: String,
    pub count: u32,
    /// `minCount`: with partial admission, Kueue may admit as few as this many.
    pub min_count: Option<u32>,
    /// Where its pods must or should be placed together (Kueue's topology-aware
    /// scheduling), from the pod template's annotations.
    pub topology_request: Option<TopologyRequest>,
    /// The pods' spec, read by flavor assignment; dropped once the Workload finishes.
    pub template: PodSpec,
    /// What one pod requests (the template's requests, kept after the template is gone).
    pub per_pod: ResourceList,
}

impl PodSet {
    /// A pod set named `name` of `count` pods like `template`.
    pub fn new(name: impl Into<String>, count: u32, template: PodSpec) -> PodSet {
        PodSet {
            name: name.into(),
            count,
            min_count: None,
            topology_request: None,
            per_pod: template.requests(),
            template,
        }
    }

    /// What its `count` pods request together.
    pub fn requests(&self) -> ResourceList {
        self.per_pod.times(self.count as i64)
    }
}

/// How a pod set asks to be placed (`kueue.x-k8s.io/podset-required-topology`, `…-preferred-…`,
/// `…-unconstrained-…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopologyRequest {
    /// All pods in one domain of this level (a node label of the flavor's Topology).
    Required(String),
    /// In one domain of this level if possible, else of the level above, else spread.
    Preferred(String),
    /// Any nodes that hold them, placed node by node.
    Unconstrained,
}

/// Where Kueue placed a pod set's pods (`topologyAssignment`): pods per domain of `levels`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TopologyAssignment {
    pub levels: Vec<String>,
    /// (the domain's value at each level, pods there).
    pub domains: Vec<(Vec<String>, u32)>,
}

/// One pod set's share of an admission (`status.admission.podSetAssignments[]`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PodSetAssignment {
    pub name: String,
    /// Resource → flavor.
    pub flavors: BTreeMap<String, FlavorName>,
    /// What the admitted pods hold, all together (`resourceUsage`).
    pub resource_usage: ResourceList,
    /// Pods admitted (below the pod set's count under partial admission).
    pub count: u32,
    /// Its pods' domains, for a pod set placed by topology.
    pub topology_assignment: Option<TopologyAssignment>,
}

#[derive(Debug, Clone, Default, PartialEq)]
/// Where Kueue admitted a Workload: its ClusterQueue and, per pod set, a flavor per
/// resource and the quota it holds there.
pub struct Admission {
    pub cluster_queue: String,
    pub pod_set_assignments: Vec<PodSetAssignment>,
}

impl Admission {
    /// (flavor, resource, amount) over all pod sets, summed per (flavor, resource).
    pub fn flavor_usage(&self) -> BTreeMap<(&str, &str), crate::units::Quantity> {
        let mut usage: BTreeMap<(&str, &str), crate::units::Quantity> = BTreeMap::new();
        for ps in &self.pod_set_assignments {
            for (r, f) in &ps.flavors {
                *usage.entry((f.as_str(), r.as_str())).or_default() += ps.resource_usage.get(r);
            }
        }
        usage
    }

    /// The flavors it holds quota in, each once.
    pub fn flavor_names(&self) -> BTreeSet<&str> {
        self.pod_set_assignments
            .iter()
            .flat_map(|ps| ps.flavors.values().map(String::as_str))
            .collect()
    }

    /// The flavor of `resource` in the first pod set that has it.
    pub fn flavor_of(&self, resource: &str) -> Option<&FlavorName> {
        self.pod_set_assignments.iter().find_map(|ps| ps.flavors.get(resource))
    }

    /// Pods admitted, all pod sets together.
    pub fn pod_count(&self) -> u32 {
        self.pod_set_assignments.iter().map(|ps| ps.count).sum()
    }
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
    /// Its pod sets, in the order Kueue lists them.
    pub pod_sets: Vec<PodSet>,
    /// Top owner for reports: InferenceService, else Deployment, else the pod.
    pub owner: String,
    pub priority: i32,
    pub priority_class: Option<String>,
    pub requests: ResourceList,
    pub created: SimTime,
    /// Kueue's queue-order timestamp: creation, or the last eviction per
    /// `requeuingStrategy`; as written for a Workload object given as input.
    pub queue_timestamp: Stamp,
    /// When its quota was reserved, as a Workload object given as input says (its
    /// `QuotaReserved` condition's time); gone once it is evicted.
    pub quota_reserved_written: Option<Stamp>,
    pub admission: Option<Admission>,
    pub admitted_at: Option<SimTime>,
    pub pending_message: Option<String>,
    /// `Inadmissible` when its LocalQueue or ClusterQueue is missing or inactive, else `Pending`.
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
    /// A JobSet, PyTorchJob, TrainJob, RayJob or RayCluster: one Workload for all the pods
    /// of its child Jobs.
    Framework(super::FrameworkId),
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
            pod_sets: vec![PodSet::new(crate::kueue::POD_SET, 1, PodSpec::default())],
            owner: String::new(),
            priority: 0,
            priority_class: None,
            requests: ResourceList::default(),
            created: now,
            queue_timestamp: Stamp::from(now),
            quota_reserved_written: None,
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

    /// Pods it waits for: those admitted, else all its pod sets'.
    pub fn pod_count(&self) -> u32 {
        match &self.admission {
            Some(a) => a.pod_count(),
            None => self.pod_sets.iter().map(|ps| ps.count).sum(),
        }
    }

    /// Sets its pod sets and, from them, what it requests in all.
    pub(crate) fn set_pod_sets(&mut self, pod_sets: Vec<PodSet>) {
        let mut total = ResourceList::default();
        for ps in &pod_sets {
            total.add(&ps.requests());
        }
        self.requests = total;
        self.pod_sets = pod_sets;
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
