//! What a write changed, as the API server's watchers see it. The applier returns the
//! changes of each action; the engine hands each to the components that watch its kind
//! (`components::WATCHES`), in that table's order.

use crate::store::{
    Admission, DeploymentId, JobId, LeaderWorkerSetId, ObjectKey, Pod, PodGroupId, PodId, ReplicaSetId, Workload,
    WorkloadId,
};
use crate::units::SimDuration;

#[derive(Debug, Clone)]
pub(crate) enum Change {
    /// A namespace was applied (its labels may now match a ClusterQueue's selector).
    Namespace,
    /// A node was added or its spec or labels changed.
    Node,
    /// A node was cordoned (`unschedulable`) or uncordoned.
    Cordon {
        unschedulable: bool,
    },
    Flavor,
    ClusterQueue {
        name: String,
    },
    /// A Cohort object was applied: quotas moved in its tree.
    Cohort,
    LocalQueue,
    /// A ServingRuntime in this namespace was applied.
    ServingRuntime {
        namespace: String,
    },
    /// An InferenceService was applied or its metadata changed.
    InferenceService(ObjectKey),
    /// An InferenceService was deleted: its predictor Deployment goes too.
    InferenceServiceDeleted {
        key: ObjectKey,
        grace: Option<SimDuration>,
    },
    /// A Deployment KServe owns was changed or deleted by someone else: KServe reconciles
    /// it back to what it wants.
    PredictorChanged {
        isvc: ObjectKey,
    },
    /// A Deployment's spec changed.
    Deployment(DeploymentId),
    /// A Deployment was deleted: its ReplicaSets go too.
    DeploymentDeleted {
        id: DeploymentId,
        grace: Option<SimDuration>,
    },
    /// A ReplicaSet was created or scaled.
    ReplicaSet {
        id: ReplicaSetId,
        deployment: Option<DeploymentId>,
    },
    /// A ReplicaSet was deleted: its pods go too.
    ReplicaSetDeleted {
        pods: Vec<PodId>,
        deployment: Option<DeploymentId>,
        grace: Option<SimDuration>,
    },
    /// A pod was created (maybe already bound to its `nodeName`).
    PodCreated(PodId),
    /// A pod joined its Kueue pod group: every member is looked at again.
    PodGroupJoined(PodGroupId),
    PodBound(PodId),
    PodUngated(PodId),
    PodReady(PodId),
    /// A pod's deletion started; its kubelet stops it within the grace period.
    PodTerminating(PodId),
    /// A pod object is gone, and where that leaves its Kueue pod group.
    PodRemoved {
        pod: Box<Pod>,
        group: GroupAfter,
    },
    /// A pod's labels changed (its Workload's priority class may have).
    PodLabels(PodId),
    /// A Job was created, or its spec or status changed.
    Job(JobId),
    /// A Job completed.
    JobCompleted(JobId),
    /// A framework object was created, started, stopped or completed.
    Framework(crate::store::FrameworkId),
    LeaderWorkerSet(LeaderWorkerSetId),
    WorkloadCreated(WorkloadId),
    /// Quota was reserved; `snapshot` when the Workload came admitted from the input.
    WorkloadAdmitted {
        id: WorkloadId,
        snapshot: bool,
    },
    WorkloadEvicted(WorkloadId),
    /// Finished (for `reason`): its quota, if it held any, is free.
    WorkloadFinished {
        workload: Box<Workload>,
        reason: String,
    },
    /// Its quota reservation was unset after an eviction; it queues again.
    WorkloadRequeued {
        id: WorkloadId,
        released: Admission,
    },
    /// All its pods are Ready.
    WorkloadPodsReady,
    /// A node's kubelet stopped (`up: false`) or resumed posting status.
    NodeHeartbeat {
        node: String,
        up: bool,
    },
    /// A node's `Ready` condition changed.
    NodeCondition {
        node: String,
    },
    /// A node's taints changed.
    NodeTainted {
        node: String,
    },
    /// A Node object was deleted.
    NodeDeleted {
        node: String,
    },
    /// GPUs of a node failed under these pods.
    GpusFailed {
        pods: Vec<PodId>,
        message: String,
    },
    /// The node lifecycle controller marked the pod `Ready=False`.
    PodNotReady(PodId),
    /// The pod's node reports it Ready again.
    PodReadyAgain(PodId),
    /// An HPA was created, replaced or deleted.
    Hpa(ObjectKey),
    /// A ScaledObject was created, replaced or deleted.
    ScaledObject(ObjectKey),
}

/// A removed pod's Kueue pod group, after the removal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupAfter {
    /// The pod was in no group.
    NoGroup,
    /// Other members remain.
    Remaining,
    /// It was the last member; the group's Workload, if it had one, ends with it.
    Emptied(Option<WorkloadId>),
}

/// A change's kind, the key of the watch table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChangeKind {
    Namespace,
    Node,
    Cordon,
    Flavor,
    ClusterQueue,
    Cohort,
    LocalQueue,
    ServingRuntime,
    InferenceService,
    InferenceServiceDeleted,
    PredictorChanged,
    Deployment,
    DeploymentDeleted,
    ReplicaSet,
    ReplicaSetDeleted,
    PodCreated,
    PodGroupJoined,
    PodBound,
    PodUngated,
    PodReady,
    PodTerminating,
    PodRemoved,
    PodLabels,
    Job,
    JobCompleted,
    Framework,
    LeaderWorkerSet,
    WorkloadCreated,
    WorkloadAdmitted,
    WorkloadEvicted,
    WorkloadFinished,
    WorkloadRequeued,
    WorkloadPodsReady,
    NodeHeartbeat,
    NodeCondition,
    NodeTainted,
    NodeDeleted,
    GpusFailed,
    PodNotReady,
    PodReadyAgain,
    Hpa,
    ScaledObject,
}

impl Change {
    pub(crate) fn kind(&self) -> ChangeKind {
        use ChangeKind as K;
        match self {
            Change::Namespace => K::Namespace,
            Change::Node => K::Node,
            Change::Cordon { .. } => K::Cordon,
            Change::Flavor => K::Flavor,
            Change::ClusterQueue { .. } => K::ClusterQueue,
            Change::Cohort => K::Cohort,
            Change::LocalQueue => K::LocalQueue,
            Change::ServingRuntime { .. } => K::ServingRuntime,
            Change::InferenceService(_) => K::InferenceService,
            Change::InferenceServiceDeleted { .. } => K::InferenceServiceDeleted,
            Change::PredictorChanged { .. } => K::PredictorChanged,
            Change::Deployment(_) => K::Deployment,
            Change::DeploymentDeleted { .. } => K::DeploymentDeleted,
            Change::ReplicaSet { .. } => K::ReplicaSet,
            Change::ReplicaSetDeleted { .. } => K::ReplicaSetDeleted,
            Change::PodCreated(_) => K::PodCreated,
            Change::PodGroupJoined(_) => K::PodGroupJoined,
            Change::PodBound(_) => K::PodBound,
            Change::PodUngated(_) => K::PodUngated,
            Change::PodReady(_) => K::PodReady,
            Change::PodTerminating(_) => K::PodTerminating,
            Change::PodRemoved { .. } => K::PodRemoved,
            Change::PodLabels(_) => K::PodLabels,
            Change::Job(_) => K::Job,
            Change::JobCompleted(_) => K::JobCompleted,
            Change::Framework(_) => K::Framework,
            Change::LeaderWorkerSet(_) => K::LeaderWorkerSet,
            Change::WorkloadCreated(_) => K::WorkloadCreated,
            Change::WorkloadAdmitted { .. } => K::WorkloadAdmitted,
            Change::WorkloadEvicted(_) => K::WorkloadEvicted,
            Change::WorkloadFinished { .. } => K::WorkloadFinished,
            Change::WorkloadRequeued { .. } => K::WorkloadRequeued,
            Change::WorkloadPodsReady => K::WorkloadPodsReady,
            Change::NodeHeartbeat { .. } => K::NodeHeartbeat,
            Change::NodeCondition { .. } => K::NodeCondition,
            Change::NodeTainted { .. } => K::NodeTainted,
            Change::NodeDeleted { .. } => K::NodeDeleted,
            Change::GpusFailed { .. } => K::GpusFailed,
            Change::PodNotReady(_) => K::PodNotReady,
            Change::PodReadyAgain(_) => K::PodReadyAgain,
            Change::Hpa(_) => K::Hpa,
            Change::ScaledObject(_) => K::ScaledObject,
        }
    }
}
