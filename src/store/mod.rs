//! The store: what the API server holds — every object of the simulated cluster, each kind
//! with its name index, the Kubernetes events recorded so far, and the documents users
//! applied. Everyone reads it; only the API server's applier (`crate::apiserver`) writes
//! it, because only the engine holds it mutably and hands it to nothing else.

mod apps;
mod autoscaling;
mod batch;
mod events;
mod fault;
mod framework;
mod ids;
mod kserve;
mod lws;
mod node;
mod nodes;
mod objects;
mod pod;
mod workload;

pub use apps::{Deployment, ReplicaSet};
pub use autoscaling::{AutoscalerOwner, HpaObject, HpaStatus, ScaledObjectObject, ScaledObjectStatus, ScalingDecision};
pub use batch::Job;
pub use events::EventLog;
pub(crate) use events::EVENT_TTL;
pub use fault::{DepartedNode, Environment, FaultRecord, PodOwner};
pub use framework::{Framework, TrainingRuntimes};
pub use ids::{
    DeploymentId, FrameworkId, Id, JobId, LeaderWorkerSetId, ObjectKey, PodGroupId, PodId, ReplicaSetId, WorkloadId,
};
pub use kserve::InferenceServiceState;
pub use lws::LeaderWorkerSet;
pub use node::{GpuAllocationPeak, Node, NodeReady};
pub(crate) use nodes::FitView;
pub use nodes::Nodes;
pub use objects::{Named, Objects};
pub use pod::{ColdStart, CrashState, Pod, StartMark, StartPhase};
pub use workload::{
    Admission, EvictionEvent, PodGroup, PodSet, PodSetAssignment, TopologyAssignment, TopologyRequest, Workload,
    WorkloadSource, WorkloadState,
};

use crate::api::core::PriorityClass;
use crate::api::kserve::ServingRuntime;
use crate::api::kueue::{ClusterQueue, Cohort, LocalQueue, ResourceFlavor, WorkloadPriorityClass};
use crate::api::meta::Labels;
use crate::catalog::Catalog;
use crate::units::SimTime;
use std::collections::BTreeMap;

/// A user's manifest as JSON text: a fleet applies a hundred thousand Jobs, and kept as
/// text each costs its length rather than a tree of maps; read back when a command needs
/// it (`oc patch`, `get -o yaml`).
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest(Box<str>);

impl Manifest {
    pub(crate) fn new(doc: &serde_json::Value) -> Manifest {
        Manifest(doc.to_string().into_boxed_str())
    }

    /// The document (it was written from one, so it always reads back).
    pub fn doc(&self) -> serde_json::Value {
        serde_json::from_str(&self.0).unwrap_or_default()
    }
}

/// A line of the run's event log: a Kubernetes event, or a timeline command.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEvent {
    pub t: SimTime,
    pub kind: String,
    pub object: String,
    pub message: String,
}

/// Everything that exists in the simulated cluster at the current instant.
#[derive(Debug)]
pub struct Store {
    /// The instant the store stands at: the kernel's clock, copied at every instant.
    pub now: SimTime,
    /// The instance types and model cards nodes and pods are described by (read-only,
    /// shared with the scenario that prepared the run).
    pub catalog: std::sync::Arc<Catalog>,
    pub namespaces: BTreeMap<String, Labels>,
    pub nodes: Nodes,
    pub flavors: BTreeMap<String, ResourceFlavor>,
    pub cluster_queues: BTreeMap<String, ClusterQueue>,
    /// Kueue `Cohort` objects by name (cohorts named only by ClusterQueues have none).
    pub cohorts: BTreeMap<String, Cohort>,
    /// Kueue `Topology` objects by name.
    pub topologies: BTreeMap<String, crate::api::kueue::Topology>,
    pub local_queues: BTreeMap<ObjectKey, LocalQueue>,
    pub workload_priority_classes: BTreeMap<String, WorkloadPriorityClass>,
    pub priority_classes: BTreeMap<String, PriorityClass>,
    pub runtimes: BTreeMap<ObjectKey, ServingRuntime>,
    pub isvcs: BTreeMap<ObjectKey, InferenceServiceState>,
    pub deployments: Objects<Deployment>,
    pub replicasets: Objects<ReplicaSet>,
    pub pods: Objects<Pod>,
    pub workloads: Objects<Workload>,
    /// The instant (Unix seconds) the Workload objects given as input were taken at, which
    /// the run starts at: their times as written are printed back as written.
    pub snapshot_taken_at: Option<f64>,
    pub jobs: Objects<Job>,
    /// JobSets, PyTorchJobs, TrainJobs, RayJobs and RayClusters.
    pub frameworks: Objects<Framework>,
    pub training_runtimes: TrainingRuntimes,
    pub pod_groups: Objects<PodGroup>,
    pub leader_worker_sets: Objects<LeaderWorkerSet>,
    pub hpas: BTreeMap<ObjectKey, HpaObject>,
    pub scaled_objects: BTreeMap<ObjectKey, ScaledObjectObject>,
    /// Every autoscaler decision that changed a target's replicas, in order.
    pub scaling_decisions: Vec<ScalingDecision>,
    /// Manifest documents of user-applied objects by (kind, namespace, name), for patch.
    pub manifests: BTreeMap<(String, String, String), Manifest>,
    /// Kubernetes events and timeline commands, in the order they happened.
    pub events: EventLog,
    /// Nodes deleted during the run, for the bill.
    pub departed_nodes: Vec<DepartedNode>,
    /// The most GPUs allocated to pods at once so far, for the report's headroom.
    pub gpu_allocation_peak: Option<GpuAllocationPeak>,
    /// The faults injected so far and what they struck.
    pub faults: Vec<FaultRecord>,
    /// Model storage and the image registry, as faults leave them.
    pub environment: Environment,
    next_id: u64,
}

impl Store {
    pub fn new(catalog: impl Into<std::sync::Arc<Catalog>>) -> Store {
        Store {
            now: SimTime::ZERO,
            catalog: catalog.into(),
            namespaces: BTreeMap::new(),
            nodes: Nodes::default(),
            flavors: BTreeMap::new(),
            cluster_queues: BTreeMap::new(),
            cohorts: BTreeMap::new(),
            topologies: BTreeMap::new(),
            local_queues: BTreeMap::new(),
            workload_priority_classes: BTreeMap::new(),
            priority_classes: BTreeMap::new(),
            runtimes: BTreeMap::new(),
            isvcs: BTreeMap::new(),
            deployments: Objects::default(),
            replicasets: Objects::default(),
            pods: Objects::default(),
            workloads: Objects::default(),
            snapshot_taken_at: None,
            jobs: Objects::default(),
            frameworks: Objects::default(),
            training_runtimes: TrainingRuntimes::default(),
            pod_groups: Objects::default(),
            leader_worker_sets: Objects::default(),
            hpas: BTreeMap::new(),
            scaled_objects: BTreeMap::new(),
            scaling_decisions: Vec::new(),
            manifests: BTreeMap::new(),
            events: EventLog::default(),
            departed_nodes: Vec::new(),
            gpu_allocation_peak: None,
            faults: Vec::new(),
            environment: Environment::default(),
            next_id: 1,
        }
    }

    /// A fresh id of any kind, from the one counter all kinds share.
    pub(crate) fn alloc<T>(&mut self) -> Id<T> {
        let id = Id::from_raw(self.next_id);
        self.next_id += 1;
        id
    }

    /// The pods that run a Workload: its pod, its Job's or its group's.
    pub(crate) fn pods_of(&self, w: &Workload) -> Vec<PodId> {
        match w.source {
            WorkloadSource::Pod(p) => vec![p],
            WorkloadSource::Job(j) => self
                .jobs
                .get(j)
                .map(|j| j.pods.iter().copied().collect())
                .unwrap_or_default(),
            WorkloadSource::PodGroup(g) => self
                .pod_groups
                .get(g)
                .map(|g| g.pods.iter().copied().collect())
                .unwrap_or_default(),
            WorkloadSource::Framework(f) => self
                .frameworks
                .get(f)
                .map(|f| {
                    f.children
                        .iter()
                        .filter_map(|(_, j)| self.jobs.get(*j))
                        .flat_map(|j| j.pods.iter().copied())
                        .collect()
                })
                .unwrap_or_default(),
            WorkloadSource::Snapshot { .. } => Vec::new(),
        }
    }

    /// The Workload a Job's pods run under: its own, or its framework's (a JobSet's Jobs,
    /// a RayJob's cluster).
    pub(crate) fn job_workload(&self, j: &Job) -> Option<WorkloadId> {
        j.workload.or_else(|| {
            j.owner_framework
                .and_then(|(f, _)| self.frameworks.get(f))
                .and_then(|f| f.workload)
        })
    }

    /// Whether every pod of the Workload is Ready (Kueue's PodsReady); true for none.
    pub(crate) fn pods_of_workload_ready(&self, workload: Option<WorkloadId>) -> bool {
        let Some(w) = workload.and_then(|w| self.workloads.get(w)) else {
            return true;
        };
        let pods = self.pods_of(w);
        pods.len() >= w.pod_count() as usize && pods.iter().all(|p| self.pods.get(*p).is_some_and(|p| p.is_ready()))
    }

    /// Kueue's `job-uid`: the Kubernetes UID of the object the Workload is for.
    pub(crate) fn job_uid_of(&self, w: &Workload) -> &str {
        match w.source {
            WorkloadSource::Pod(p) => self.pods.get(p).map(|p| p.k8s_uid.as_str()),
            WorkloadSource::Job(j) => self.jobs.get(j).map(|j| j.k8s_uid.as_str()),
            // Kueue labels a group's Workload with the group's name.
            WorkloadSource::PodGroup(g) => self.pod_groups.get(g).map(|g| g.name.as_str()),
            WorkloadSource::Framework(f) => self.frameworks.get(f).map(|f| f.k8s_uid.as_str()),
            WorkloadSource::Snapshot { .. } => None,
        }
        .unwrap_or("")
    }

    pub(crate) fn namespace_labels(&self, ns: &str) -> Labels {
        let mut l = self.namespaces.get(ns).cloned().unwrap_or_default();
        l.insert("kubernetes.io/metadata.name".into(), ns.into());
        l
    }

    pub fn deployment(&self, ns: &str, name: &str) -> Option<&Deployment> {
        self.deployments.named(ns, name)
    }

    pub fn pod(&self, ns: &str, name: &str) -> Option<&Pod> {
        self.pods.named(ns, name)
    }

    /// The pods of a Deployment's ReplicaSets, through each ReplicaSet's pod index.
    pub(crate) fn pods_of_deployment(&self, dep: DeploymentId) -> impl Iterator<Item = &Pod> {
        self.replicasets
            .values()
            .filter(move |r| r.deployment == Some(dep))
            .flat_map(|r| r.pods.iter().filter_map(|id| self.pods.get(*id)))
    }

    pub fn replicasets_of(&self, dep: DeploymentId) -> Vec<&ReplicaSet> {
        self.replicasets
            .values()
            .filter(|r| r.deployment == Some(dep))
            .collect()
    }

    /// Who creates a replacement when the pod is gone.
    pub(crate) fn owner_of(&self, pod: &Pod) -> Option<PodOwner> {
        pod.owner_rs
            .map(PodOwner::ReplicaSet)
            .or(pod.owner_job.map(PodOwner::Job))
            .or(pod.owner_lws.map(PodOwner::LeaderWorkerSet))
    }

    /// The pod's owning Deployment, if any.
    pub(crate) fn deployment_of_pod(&self, pod: &Pod) -> Option<&Deployment> {
        let rs = self.replicasets.get(pod.owner_rs?)?;
        self.deployments.get(rs.deployment?)
    }

    /// The ClusterQueue a workload's LocalQueue points at, if both exist so far.
    pub(crate) fn cluster_queue_of(&self, w: &Workload) -> Option<&str> {
        self.local_queues
            .get(&ObjectKey::new(w.namespace.as_str(), w.queue_name.as_str()))
            .map(|l| l.cluster_queue.as_str())
    }

    /// The LocalQueue a pod in `ns` with these labels is queued in, if any: its
    /// `kueue.x-k8s.io/queue-name` label, else the namespace's `default` LocalQueue.
    pub(crate) fn queue_for(&self, ns: &str, labels: &Labels) -> Option<String> {
        match labels.get(crate::kueue::QUEUE_NAME_LABEL) {
            Some(q) if !q.is_empty() => Some(q.clone()),
            _ => self
                .local_queues
                .contains_key(&ObjectKey::new(ns, "default"))
                .then(|| "default".to_string()),
        }
    }
}
