//! Every write to the store, as a request to the API server. Controllers and components
//! are pure over the store: they read it and return actions; timeline commands are
//! actions too. The applier (`crate::apiserver`) carries them out, one at a time.

use crate::api::apps::{DeploymentSpec, Strategy};
use crate::api::core::{PodTemplate, Taint, Toleration};
use crate::api::meta::Labels;
use crate::cluster::kubelet::Startup;
use crate::faults::{Fault, FaultId};
use crate::manifest::objects::Object;
use crate::store::{
    Admission, DeploymentId, Environment, JobId, LeaderWorkerSetId, LogEvent, NodeReady, ObjectKey, PodId,
    ReplicaSetId, StartPhase, Workload, WorkloadId,
};
use crate::units::{SimDuration, SimTime};

#[derive(Debug, Clone)]
pub(crate) enum Action {
    /// KServe creates an InferenceService's predictor Deployment.
    CreateDeployment {
        namespace: String,
        name: String,
        owner_isvc: String,
        labels: Labels,
        annotations: Labels,
        spec: DeploymentSpec,
    },
    Deployment(DeploymentId, DeploymentWrite),
    /// KServe remembers the minReplicas it last applied, so only changes propagate.
    MarkIsvcMinReplicasApplied {
        key: ObjectKey,
        min_replicas: Option<i32>,
    },
    CreateReplicaSet {
        deployment: DeploymentId,
        template: PodTemplate,
        hash: String,
        replicas: i32,
        revision: u64,
    },
    /// The Deployment controller scales one of its ReplicaSets (and records it).
    ScaleReplicaSet {
        id: ReplicaSetId,
        replicas: i32,
    },
    /// The ReplicaSet controller creates one more pod from its template.
    CreatePod {
        replicaset: ReplicaSetId,
    },
    /// The Job controller creates one more pod from the Job's template.
    CreateJobPod {
        job: JobId,
    },
    /// The LeaderWorkerSet controller creates pod `worker` (0: the leader) of group `group`.
    CreateLwsPod {
        lws: LeaderWorkerSetId,
        group: i32,
        worker: i32,
    },
    Pod(PodId, PodWrite),
    Job(JobId, JobWrite),
    /// A framework's controller creates child Job `index` of its group `group`.
    CreateFrameworkJob {
        framework: crate::store::FrameworkId,
        group: usize,
        index: u32,
    },
    Framework(crate::store::FrameworkId, FrameworkWrite),
    /// Kueue's integrations create a Workload for what they manage.
    CreateWorkload(Box<Workload>),
    Workload(WorkloadId, WorkloadWrite),
    /// A user's object (initial manifests, `oc apply`, `oc patch`): created or replaced,
    /// with its document kept for later patches.
    Apply {
        object: Box<Object>,
        manifest: Option<Box<StoredManifest>>,
    },
    /// `oc scale deployment`.
    ScaleDeployment {
        id: DeploymentId,
        replicas: i32,
    },
    /// `oc scale replicaset`: a user's write, no event.
    SetReplicaSetReplicas {
        id: ReplicaSetId,
        replicas: i32,
    },
    /// `oc label` / `oc annotate`: the object's whole new map.
    SetMetadata {
        target: MetadataTarget,
        field: MetadataField,
        values: Labels,
    },
    /// `oc adm cordon` / `uncordon`.
    Cordon {
        node: String,
        unschedulable: bool,
    },
    /// `oc delete` of a kind whose dependents the garbage collector then deletes.
    DeleteReplicaSet {
        id: ReplicaSetId,
        grace: Option<SimDuration>,
    },
    DeleteDeployment {
        id: DeploymentId,
        grace: Option<SimDuration>,
    },
    DeleteInferenceService {
        key: ObjectKey,
        grace: Option<SimDuration>,
    },
    /// A Kubernetes event a component records (or a timeline command's log line).
    Event(LogEvent),
    /// The node lifecycle controllers' writes to a Node.
    Node(String, NodeWrite),
    /// A fault strikes, ends, or is credited with a pod it struck.
    Fault(FaultWrite),
    /// Autoscaler objects and their status.
    Autoscaling(AutoscalingWrite),
}

/// Writes of the autoscalers (and of KServe and KEDA, which create their HPAs).
#[derive(Debug, Clone)]
pub(crate) enum AutoscalingWrite {
    /// Creates or replaces an HPA.
    PutHpa {
        namespace: String,
        hpa: Box<crate::autoscaling::hpa::manifest::HorizontalPodAutoscaler>,
        owner: crate::store::AutoscalerOwner,
    },
    DeleteHpa(ObjectKey),
    HpaStatus(ObjectKey, crate::store::HpaStatus),
    /// Creates or replaces a ScaledObject.
    PutScaledObject {
        scaled_object: Box<crate::autoscaling::keda::scaled_object::ScaledObject>,
        owner: crate::store::AutoscalerOwner,
    },
    DeleteScaledObject(ObjectKey),
    ScaledObjectStatus(ObjectKey, crate::store::ScaledObjectStatus),
    /// A decision that changed a target's replicas, for the record.
    Decision(crate::store::ScalingDecision),
}

/// Writes to a Node by the control plane.
#[derive(Debug, Clone)]
pub(crate) enum NodeWrite {
    /// The `Ready` condition's new status.
    Ready(NodeReady),
    /// Taints the node lifecycle controller adds (with the time they were added).
    AddTaints(Vec<Taint>),
    /// Taints it removes, by key.
    RemoveTaints(Vec<String>),
    /// The cloud node lifecycle controller deletes a node whose instance is gone.
    Delete { message: String },
}

/// What a fault does to the world the cluster runs in.
#[derive(Debug, Clone)]
pub(crate) enum FaultWrite {
    /// The fault strikes (recorded, with its event).
    Begin { id: FaultId, fault: Box<Fault> },
    /// A fault with a duration is over.
    End { id: FaultId },
    /// The node's kubelet stops posting status.
    KubeletDown { node: String, fault: FaultId },
    /// It posts status again.
    KubeletUp { node: String },
    /// The node's instance is gone: its containers die now.
    InstanceGone { node: String, fault: FaultId },
    /// `gpus` GPUs of the node fail: allocatable shrinks and the pods on them crash.
    GpusFail {
        node: String,
        gpus: u32,
        xid: u32,
        fault: FaultId,
    },
    /// Model storage and the registry: the new state (`None` fields: healthy).
    Environment(Environment),
    /// The fault struck this pod (it is deleted, crashed or held up because of it).
    Struck { fault: FaultId, pod: PodId },
}

impl Action {
    /// A Kubernetes event recorded at `t`.
    pub(crate) fn event(t: SimTime, kind: &str, object: impl Into<String>, message: impl Into<String>) -> Action {
        Action::Event(LogEvent {
            t,
            kind: kind.into(),
            object: object.into(),
            message: message.into(),
        })
    }
}

/// A user's manifest document, kept by (kind, namespace, name) for `oc patch`.
#[derive(Debug, Clone)]
pub(crate) struct StoredManifest {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub doc: serde_json::Value,
}

/// Writes to a Deployment.
#[derive(Debug, Clone)]
pub(crate) enum DeploymentWrite {
    /// KServe's update of a predictor Deployment it owns.
    Update(Box<DeploymentUpdate>),
    /// `oc rollout restart`: a new `restartedAt` stamp in the pod template.
    Restart { stamp: String },
}

/// What KServe sets on a predictor Deployment it owns (replicas only when set).
#[derive(Debug, Clone)]
pub(crate) struct DeploymentUpdate {
    pub labels: Labels,
    pub annotations: Labels,
    pub template: PodTemplate,
    pub strategy: Strategy,
    pub replicas: Option<i32>,
}

/// Writes to a Pod.
#[derive(Debug, Clone)]
pub(crate) enum PodWrite {
    /// kube-scheduler's binding to a node.
    Bind { node: String },
    /// kube-scheduler found no node (`FailedScheduling`).
    Unschedulable { message: String },
    /// Kueue removes its gate and injects the flavor's node labels and tolerations.
    Ungate {
        node_selector: Labels,
        tolerations: Vec<Toleration>,
    },
    /// Kueue's topology ungater places the pod: its node selector gains its domain and the
    /// `kueue.x-k8s.io/topology` gate goes.
    UngateTopology { node_selector: Labels },
    /// The kubelet starts the pod on its node with this start-up plan.
    Start(Box<Startup>),
    /// The kubelet moved on to a start-up step shown as `phase`.
    Phase(StartPhase),
    /// Every start-up step is done: the readiness probe passes.
    Ready,
    /// The engine exited with `reason`; the kubelet restarts it after `backoff`.
    Crash {
        reason: &'static str,
        message: String,
        backoff: SimDuration,
    },
    /// The back-off is over: the container runs again from the step shown as `phase`.
    Restart { phase: Option<StartPhase> },
    /// The container exited 0 (a Job's pod): it counts and the pod is removed.
    Succeeded,
    /// Deletion: with a grace period for a pod a kubelet runs, at once otherwise.
    Delete { grace: Option<SimDuration> },
    /// The grace period is over: the pod object is gone.
    Remove,
    /// The node lifecycle controller sets `Ready=False`: the node stopped reporting.
    NodeNotReady,
    /// The node's kubelet reports the pod again (Ready again if it was).
    NodeReadyAgain,
    /// A container waits (`status` as kubectl shows it) after `reason`; none: it runs.
    Waiting {
        status: Option<String>,
        reason: &'static str,
        message: String,
    },
    /// Its GPU failed: every start of its engine now fails with `message`.
    DeviceFailed { message: String },
}

/// Writes to a Job (the Job controller's status, Kueue's suspend and resume).
#[derive(Debug, Clone)]
pub(crate) enum JobWrite {
    /// Enough of the Job's pods succeeded.
    Complete,
    /// Kueue unsuspends an admitted Job, injecting the flavors' placement.
    Start {
        node_selector: Labels,
        tolerations: Vec<Toleration>,
        /// Partial admission: the pods admitted, as `spec.parallelism`.
        parallelism: Option<i32>,
        /// Placed by topology: its pods are created gated (`kueue.x-k8s.io/topology`) and
        /// labelled with this pod set, for the topology ungater.
        topology_pod_set: Option<String>,
    },
    /// Kueue suspends the Job of an evicted Workload; the Job controller stops its pods.
    Stop,
}

/// Writes to a JobSet, PyTorchJob, TrainJob, RayJob or RayCluster.
#[derive(Debug, Clone)]
pub(crate) enum FrameworkWrite {
    /// Kueue's integration starts it: each group's pod template gets its pod set's flavors'
    /// node labels and tolerations (`RunWithPodSetsInfo`), and it is unsuspended.
    Start {
        placements: Vec<(Labels, Vec<Toleration>, bool)>,
    },
    /// Kueue suspends it (its Workload was evicted) and restores its templates.
    Stop,
    /// It succeeded: its workers, or its entrypoint, finished.
    Complete,
}

/// Writes to a Workload's status, as Kueue's controllers make them.
#[derive(Debug, Clone)]
pub(crate) enum WorkloadWrite {
    /// Quota reserved (`QuotaReserved` and `Admitted`).
    Admit(Admission),
    /// Not admitted, with the scheduler's reason and message.
    Pending {
        reason: String,
        message: String,
    },
    /// Evicted (its pods are then stopped; the quota returns when they are gone).
    Evict(Eviction),
    Finish {
        reason: String,
    },
    /// `UnsetQuotaReservation`: an evicted Workload's pods are gone; it queues again.
    UnsetQuotaReservation,
    /// All its pods are Ready (the `PodsReady` condition).
    PodsReady,
    /// A Ready Workload's pod is terminating.
    PodsNotReady,
    Priority {
        priority: i32,
        class: Option<String>,
    },
    /// Cleared so that a requeued orphan records its reason again.
    ClearPendingMessage,
    /// Requeued more than `backoffLimitCount` times: out of the queue for good.
    Deactivate {
        limit: u32,
    },
    /// Waiting for its requeuing back-off to end at `until`.
    BackingOff {
        until: SimTime,
    },
    /// The back-off is over (`announce`: record that it is requeued).
    BackoffOver {
        announce: bool,
    },
}

/// Why Kueue evicts a Workload.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Eviction {
    /// To make room for another (`Preempted`, with the preemption reason and the
    /// Workload it makes room for).
    Preempted {
        reason: String,
        message: String,
        preemptor: WorkloadId,
    },
    /// Its pods were not all Ready in time; `requeue` is its next requeuing state.
    PodsReadyTimeout { message: String, requeue: RequeueState },
}

/// Kueue's `requeueState` after a PodsReady timeout.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RequeueState {
    pub count: u32,
    /// When the back-off ends; none: deactivated instead.
    pub requeue_at: Option<SimTime>,
    /// The queue-order timestamp it takes (the eviction time unless ordered by creation).
    pub queue_timestamp: crate::units::Stamp,
}

/// The object `oc label` / `oc annotate` changes.
#[derive(Debug, Clone)]
pub(crate) enum MetadataTarget {
    Deployment(DeploymentId),
    ReplicaSet(ReplicaSetId),
    Pod(PodId),
    InferenceService(ObjectKey),
    Node(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MetadataField {
    Labels,
    Annotations,
}
