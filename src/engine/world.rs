//! The simulated cluster's state: what the API server would hold, plus the indexes the
//! controllers need. Controllers read it; only the engine's action applier writes it.

use crate::api::apps::DeploymentSpec;
use crate::api::core::{NodeObject, PodSpec, PodTemplate, PriorityClass, ResourceList, Taint};
use crate::api::kserve::{InferenceService, ServingRuntime};
use crate::api::kueue::{ClusterQueue, FlavorName, LocalQueue, ResourceFlavor, WorkloadPriorityClass};
use crate::api::meta::Labels;
use crate::catalog::Catalog;
use crate::manifest::error::Loc;
use crate::units::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};

pub type Uid = u64;
pub type NsName = (String, String);

#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    pub labels: Labels,
    pub taints: Vec<Taint>,
    pub unschedulable: bool,
    pub allocatable: ResourceList,
    pub requested: ResourceList,
    pub pods: BTreeSet<Uid>,
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
    pub fn account(&mut self, now: SimTime) {
        let gpus: i128 = self
            .requested
            .0
            .iter()
            .filter(|(r, _)| r.ends_with("/gpu"))
            .map(|(_, q)| q.value_ceil())
            .sum();
        self.gpu_ms_allocated += (gpus.max(0) as u128) * (now.since(self.accounted_until).0 as u128);
        self.accounted_until = now;
    }
    pub fn gpu_capacity(&self) -> i128 {
        self.allocatable
            .0
            .iter()
            .filter(|(r, _)| r.ends_with("/gpu"))
            .map(|(_, q)| q.value_ceil())
            .sum()
    }
}

impl Node {
    pub fn from_object(o: NodeObject, now: SimTime) -> Node {
        Node {
            name: o.meta.name,
            labels: o.meta.labels,
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

/// A container that exits with an error is restarted with the kubelet's back-off.
#[derive(Debug, Clone, Default)]
pub struct CrashState {
    pub restarts: u32,
    pub backing_off: bool,
    /// Why the engine will not start (it fails again on every restart).
    pub failure: Option<crate::serving::memory::StartupFailure>,
    /// First step a restart runs again (init containers are not rerun).
    pub restart_from: usize,
}

/// The kubelet's crash-loop back-off: 10 s, doubling, at most 5 minutes.
pub fn crash_backoff(restarts: u32) -> SimDuration {
    SimDuration::from_secs((10u64 << restarts.saturating_sub(1).min(5)).min(300))
}

/// Where a pod is in its start-up, for kubectl's STATUS column and the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartPhase {
    /// Init container (storage-initializer / modelcar-init) downloading or pulling.
    Init,
    /// Container images being pulled / containers created.
    Creating,
    /// Containers running, model loading; readiness probe not yet passing.
    Starting,
    Ready,
}

#[derive(Debug, Clone)]
pub struct Pod {
    pub uid: Uid,
    pub k8s_uid: String,
    pub namespace: String,
    pub name: String,
    pub labels: Labels,
    pub annotations: Labels,
    pub spec: PodSpec,
    pub requests: ResourceList,
    pub owner_rs: Option<Uid>,
    pub owner_job: Option<Uid>,
    pub owner_lws: Option<Uid>,
    pub created: SimTime,
    pub node: Option<String>,
    pub scheduled_at: Option<SimTime>,
    pub start_phase: Option<StartPhase>,
    pub ready_at: Option<SimTime>,
    pub deletion: Option<(SimTime, SimDuration)>,
    pub unschedulable: Option<String>,
    /// Kueue's workload for this pod, once created.
    pub workload: Option<Uid>,
    /// The Kueue pod group it belongs to.
    pub pod_group: Option<Uid>,
    /// The start-up plan made at binding.
    pub startup: Vec<crate::cluster::kubelet::Step>,
    /// The vLLM engine's memory once it started (KV-cache capacity for serving).
    pub memory: Option<crate::serving::memory::MemoryPlan>,
    pub crash: CrashState,
    /// Number of app containers (sidecars included) for READY.
    pub container_count: usize,
}

impl Pod {
    pub fn is_gated(&self) -> bool {
        !self.spec.scheduling_gates.is_empty()
    }
    pub fn is_ready(&self) -> bool {
        self.ready_at.is_some() && self.deletion.is_none()
    }
    /// Ready for at least `min_ready` (the Deployment's minReadySeconds) at `now`.
    pub fn is_available(&self, min_ready: SimDuration, now: SimTime) -> bool {
        self.deletion.is_none() && self.ready_at.is_some_and(|r| r + min_ready <= now)
    }
    pub fn is_terminating(&self) -> bool {
        self.deletion.is_some()
    }
    /// kubectl's STATUS column.
    pub fn status(&self) -> String {
        if self.deletion.is_some() {
            return "Terminating".into();
        }
        if self.is_gated() {
            return "SchedulingGated".into();
        }
        if self.crash.backing_off {
            return "CrashLoopBackOff".into();
        }
        match (self.node.as_ref(), self.start_phase) {
            (None, _) => "Pending".into(),
            (Some(_), Some(StartPhase::Init)) => "Init:0/1".into(),
            (Some(_), Some(StartPhase::Creating)) | (Some(_), None) => "ContainerCreating".into(),
            (Some(_), Some(StartPhase::Starting | StartPhase::Ready)) => "Running".into(),
        }
    }
    pub fn ready_containers(&self) -> usize {
        match self.start_phase {
            Some(StartPhase::Ready) if self.deletion.is_none() => self.container_count,
            // The modelcar sidecar is ready as soon as it runs; vLLM only after loading.
            Some(StartPhase::Starting) => self.container_count.saturating_sub(1),
            _ => 0,
        }
    }
    pub fn phase(&self) -> &'static str {
        match self.start_phase {
            Some(StartPhase::Starting | StartPhase::Ready) => "Running",
            _ => "Pending",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Deployment {
    pub uid: Uid,
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
    pub fn refresh_hash(&mut self) {
        self.template_hash = crate::engine::ids::pod_template_hash(
            &crate::controllers::deployment::template_dump(&self.spec.template),
            self.collision_count,
        );
    }
}

#[derive(Debug, Clone)]
pub struct ReplicaSet {
    pub uid: Uid,
    pub namespace: String,
    pub name: String,
    pub deployment: Option<Uid>,
    pub template: PodTemplate,
    pub template_hash: String,
    pub replicas: i32,
    pub revision: u64,
    pub created: SimTime,
    pub pods: BTreeSet<Uid>,
}

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

#[derive(Debug, Clone, Default)]
pub struct Admission {
    pub cluster_queue: String,
    /// Resource → flavor for the single `main` pod set.
    pub flavors: BTreeMap<String, FlavorName>,
    pub usage: ResourceList,
}

/// Admitted usage per (ClusterQueue, flavor, resource).
pub type QuotaUsage = BTreeMap<(String, FlavorName, String), crate::units::Quantity>;

impl Admission {
    /// Adds this admission's usage to its ClusterQueue's (quota reserved).
    pub fn reserve(&self, usage: &mut QuotaUsage) {
        for (r, f) in &self.flavors {
            *usage
                .entry((self.cluster_queue.clone(), f.clone(), r.clone()))
                .or_default() += self.usage.get(r);
        }
    }
    /// Takes this admission's usage back out (quota released).
    pub fn release(&self, usage: &mut QuotaUsage) {
        for (r, f) in &self.flavors {
            if let Some(u) = usage.get_mut(&(self.cluster_queue.clone(), f.clone(), r.clone())) {
                *u -= self.usage.get(r);
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Workload {
    pub uid: Uid,
    pub namespace: String,
    pub name: String,
    pub queue_name: String,
    /// The object Kueue made this Workload for.
    pub source: Source,
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
}

/// What a Workload stands for: Kueue's pod integration (one pod) or its batch/Job one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Pod(Uid),
    Job(Uid),
    /// A pod group (`kueue.x-k8s.io/pod-group-name`): one Workload for all its pods.
    PodGroup(Uid),
    /// A Workload object given as input (a cluster snapshot): it has no pods; admitted, it
    /// holds its quota, for `run_time` when given.
    Snapshot {
        run_time: Option<SimDuration>,
    },
}

/// A LeaderWorkerSet and the pods its controller made.
#[derive(Debug, Clone)]
pub struct LeaderWorkerSet {
    pub uid: Uid,
    pub k8s_uid: String,
    pub namespace: String,
    pub name: String,
    pub labels: Labels,
    pub spec: crate::api::lws::LeaderWorkerSetObject,
    pub created: SimTime,
    pub pods: BTreeSet<Uid>,
}

/// Pods that Kueue admits together as one Workload, all or nothing.
#[derive(Debug, Clone)]
pub struct PodGroup {
    pub uid: Uid,
    pub namespace: String,
    pub name: String,
    /// `kueue.x-k8s.io/pod-group-total-count`: the Workload is created once this many
    /// pods of the group exist.
    pub total: u32,
    pub pods: BTreeSet<Uid>,
    pub workload: Option<Uid>,
}

impl Workload {
    /// A Workload created at `now` for `source`: pending, nothing reserved, one pod. The
    /// integration creating it fills in its identity, priority and requests.
    pub fn queued(source: Source, now: SimTime) -> Workload {
        Workload {
            uid: 0,
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
        }
    }

    /// The pod of a pod-integration Workload.
    pub fn pod(&self) -> Option<Uid> {
        match self.source {
            Source::Pod(p) => Some(p),
            _ => None,
        }
    }
    pub fn job(&self) -> Option<Uid> {
        match self.source {
            Source::Job(j) => Some(j),
            _ => None,
        }
    }
}

/// A batch/v1 Job and what its controller and Kueue's job integration track.
#[derive(Debug, Clone)]
pub struct Job {
    pub uid: Uid,
    pub k8s_uid: String,
    pub namespace: String,
    pub name: String,
    pub labels: Labels,
    pub spec: crate::api::batch::JobSpec,
    pub created: SimTime,
    /// How long each pod runs once Ready.
    pub run_time: SimDuration,
    /// Pods (not yet gone) the Job owns.
    pub pods: BTreeSet<Uid>,
    pub succeeded: i32,
    /// Progress saved by checkpoints: a restarted pod runs only the rest.
    pub saved: SimDuration,
    pub completed_at: Option<SimTime>,
    /// First unsuspended (`status.startTime`).
    pub started_at: Option<SimTime>,
    pub workload: Option<Uid>,
    pub loc: Option<Loc>,
}

impl Job {
    /// Pods still wanted: parallelism, at most what completions still need.
    pub fn wanted(&self) -> i32 {
        self.spec.parallelism.min(self.spec.completions - self.succeeded).max(0)
    }
}

/// The states of DESIGN.md's expectations, ordered Pending < Admitted < Ready.
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
    pub fn state_at(&self, t: SimTime) -> WorkloadState {
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
    pub fn set_state(&mut self, t: SimTime, s: WorkloadState) {
        if self.history.last().map(|(_, x)| *x) != Some(s) {
            self.history.push((t, s));
        }
    }
    pub fn is_pending(&self) -> bool {
        self.admission.is_none() && self.finished_at.is_none()
    }
}

/// Everything that exists in the simulated cluster at the current instant.
#[derive(Debug)]
pub struct World {
    pub now: SimTime,
    pub catalog: Catalog,
    pub namespaces: BTreeMap<String, Labels>,
    pub nodes: BTreeMap<String, Node>,
    pub flavors: BTreeMap<String, ResourceFlavor>,
    pub cluster_queues: BTreeMap<String, ClusterQueue>,
    pub local_queues: BTreeMap<NsName, LocalQueue>,
    pub workload_priority_classes: BTreeMap<String, WorkloadPriorityClass>,
    pub priority_classes: BTreeMap<String, PriorityClass>,
    pub runtimes: BTreeMap<NsName, ServingRuntime>,
    pub isvcs: BTreeMap<NsName, InferenceServiceState>,
    pub deployments: BTreeMap<Uid, Deployment>,
    pub deployment_index: BTreeMap<NsName, Uid>,
    pub replicasets: BTreeMap<Uid, ReplicaSet>,
    pub replicaset_index: BTreeMap<NsName, Uid>,
    pub pods: BTreeMap<Uid, Pod>,
    pub pod_index: BTreeMap<NsName, Uid>,
    pub workloads: BTreeMap<Uid, Workload>,
    pub jobs: BTreeMap<Uid, Job>,
    pub pod_groups: BTreeMap<Uid, PodGroup>,
    pub leader_worker_sets: BTreeMap<Uid, LeaderWorkerSet>,
    pub lws_index: BTreeMap<NsName, Uid>,
    pub pod_group_index: BTreeMap<NsName, Uid>,
    pub job_index: BTreeMap<NsName, Uid>,
    /// How long a Job's pods run when it does not say (`spec.jobRunTime`).
    pub default_job_run_time: SimDuration,
    /// Admitted usage per (ClusterQueue, flavor, resource).
    pub usage: QuotaUsage,
    /// Manifest documents of user-applied objects by (kind, namespace, name), for patch.
    pub raw: BTreeMap<(String, String, String), serde_json::Value>,
    /// Every model-serving pod's start-up plan, kept after the pod is gone.
    pub cold_starts: Vec<ColdStart>,
    /// Kueue's own configuration (fair sharing).
    pub kueue_config: crate::api::kueue::KueueConfig,
    next_uid: Uid,
}

/// A pod's start-up steps as planned when it was bound to a node.
#[derive(Debug, Clone)]
pub struct ColdStart {
    pub pod: String,
    pub namespace: String,
    pub node: String,
    pub bound: SimTime,
    pub steps: Vec<crate::cluster::kubelet::Step>,
    /// vLLM's start-up error, when the engine cannot start.
    pub failure: Option<String>,
}

impl World {
    /// The pods that run a Workload: its pod, or its Job's.
    pub fn pods_of(&self, w: &Workload) -> Vec<Uid> {
        match w.source {
            Source::Pod(p) => vec![p],
            Source::Job(j) => self
                .jobs
                .get(&j)
                .map(|j| j.pods.iter().copied().collect())
                .unwrap_or_default(),
            Source::PodGroup(g) => self
                .pod_groups
                .get(&g)
                .map(|g| g.pods.iter().copied().collect())
                .unwrap_or_default(),
            Source::Snapshot { .. } => Vec::new(),
        }
    }

    /// Whether every pod of the Workload is Ready (Kueue's PodsReady); true for none.
    pub fn pods_of_workload_ready(&self, workload: Option<Uid>) -> bool {
        let Some(w) = workload.and_then(|w| self.workloads.get(&w)) else {
            return true;
        };
        let pods = self.pods_of(w);
        pods.len() >= w.pod_count as usize && pods.iter().all(|p| self.pods.get(p).is_some_and(|p| p.is_ready()))
    }

    /// Kueue's `job-uid`: the Kubernetes UID of the object the Workload is for.
    pub fn job_uid_of(&self, w: &Workload) -> &str {
        match w.source {
            Source::Pod(p) => self.pods.get(&p).map(|p| p.k8s_uid.as_str()),
            Source::Job(j) => self.jobs.get(&j).map(|j| j.k8s_uid.as_str()),
            // Kueue labels a group's Workload with the group's name.
            Source::PodGroup(g) => self.pod_groups.get(&g).map(|g| g.name.as_str()),
            Source::Snapshot { .. } => None,
        }
        .unwrap_or("")
    }

    pub fn new(catalog: Catalog) -> World {
        World {
            now: SimTime::ZERO,
            catalog,
            namespaces: BTreeMap::new(),
            nodes: BTreeMap::new(),
            flavors: BTreeMap::new(),
            cluster_queues: BTreeMap::new(),
            local_queues: BTreeMap::new(),
            workload_priority_classes: BTreeMap::new(),
            priority_classes: BTreeMap::new(),
            runtimes: BTreeMap::new(),
            isvcs: BTreeMap::new(),
            deployments: BTreeMap::new(),
            deployment_index: BTreeMap::new(),
            replicasets: BTreeMap::new(),
            replicaset_index: BTreeMap::new(),
            pods: BTreeMap::new(),
            pod_index: BTreeMap::new(),
            workloads: BTreeMap::new(),
            jobs: BTreeMap::new(),
            pod_groups: BTreeMap::new(),
            leader_worker_sets: BTreeMap::new(),
            lws_index: BTreeMap::new(),
            pod_group_index: BTreeMap::new(),
            job_index: BTreeMap::new(),
            default_job_run_time: SimDuration::from_secs(3600),
            usage: BTreeMap::new(),
            raw: BTreeMap::new(),
            cold_starts: Vec::new(),
            kueue_config: Default::default(),
            next_uid: 1,
        }
    }

    pub fn alloc_uid(&mut self) -> Uid {
        let u = self.next_uid;
        self.next_uid += 1;
        u
    }

    pub fn namespace_labels(&self, ns: &str) -> Labels {
        let mut l = self.namespaces.get(ns).cloned().unwrap_or_default();
        l.insert("kubernetes.io/metadata.name".into(), ns.into());
        l
    }

    pub fn deployment(&self, ns: &str, name: &str) -> Option<&Deployment> {
        self.deployment_index
            .get(&(ns.to_string(), name.to_string()))
            .and_then(|u| self.deployments.get(u))
    }

    pub fn pod(&self, ns: &str, name: &str) -> Option<&Pod> {
        self.pod_index
            .get(&(ns.to_string(), name.to_string()))
            .and_then(|u| self.pods.get(u))
    }

    pub fn replicasets_of(&self, dep: Uid) -> Vec<&ReplicaSet> {
        self.replicasets
            .values()
            .filter(|r| r.deployment == Some(dep))
            .collect()
    }

    /// The pod's owning Deployment, if any.
    pub fn deployment_of_pod(&self, pod: &Pod) -> Option<&Deployment> {
        let rs = self.replicasets.get(&pod.owner_rs?)?;
        self.deployments.get(&rs.deployment?)
    }

    pub fn usage_of(&self, cq: &str, flavor: &str, resource: &str) -> crate::units::Quantity {
        self.usage
            .get(&(cq.to_string(), flavor.to_string(), resource.to_string()))
            .copied()
            .unwrap_or_default()
    }

    /// The ClusterQueue a workload's LocalQueue points at, if both exist so far.
    pub fn cluster_queue_of(&self, w: &Workload) -> Option<&str> {
        self.local_queues
            .get(&(w.namespace.clone(), w.queue_name.clone()))
            .map(|l| l.cluster_queue.as_str())
    }

    /// The LocalQueue a pod in `ns` with these labels is queued in, if any: its
    /// `kueue.x-k8s.io/queue-name` label, else the namespace's `default` LocalQueue.
    pub fn queue_for(&self, ns: &str, labels: &Labels) -> Option<String> {
        match labels.get(crate::kueue::QUEUE_NAME_LABEL) {
            Some(q) if !q.is_empty() => Some(q.clone()),
            _ => self
                .local_queues
                .contains_key(&(ns.to_string(), "default".to_string()))
                .then(|| "default".to_string()),
        }
    }
}
