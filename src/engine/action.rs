//! What controllers ask the engine to do. Controllers are pure: they read the world and
//! return actions; the engine applies them, like writes to the API server.

use super::world::{Admission, Uid, Workload};
use crate::api::apps::DeploymentSpec;
use crate::api::core::{PodTemplate, Toleration};
use crate::api::meta::Labels;
use crate::units::SimDuration;

#[derive(Debug, Clone)]
pub enum Action {
    CreateDeployment {
        namespace: String,
        name: String,
        owner_isvc: String,
        labels: Labels,
        annotations: Labels,
        spec: DeploymentSpec,
    },
    /// KServe's update of a predictor Deployment it owns (replicas only when set).
    UpdateDeployment {
        uid: Uid,
        labels: Labels,
        annotations: Labels,
        template: PodTemplate,
        strategy: crate::api::apps::Strategy,
        replicas: Option<i32>,
    },
    MarkIsvcMinReplicasApplied {
        namespace: String,
        name: String,
        min_replicas: Option<i32>,
    },
    CreateReplicaSet {
        deployment: Uid,
        template: PodTemplate,
        hash: String,
        replicas: i32,
        revision: u64,
    },
    ScaleReplicaSet {
        uid: Uid,
        replicas: i32,
    },
    CreatePod {
        replicaset: Uid,
    },
    DeletePod {
        uid: Uid,
        grace: Option<SimDuration>,
    },
    CreateWorkload(Box<Workload>),
    AdmitWorkload {
        uid: Uid,
        admission: Admission,
    },
    SetWorkloadPending {
        uid: Uid,
        reason: String,
        message: String,
    },
    /// Kueue removes its gate and injects the flavor's node labels and tolerations.
    UngatePod {
        uid: Uid,
        node_selector: Labels,
        tolerations: Vec<Toleration>,
    },
    /// Kueue's eviction of an admitted workload (preemption): its pods are terminated and
    /// its quota returns when they are gone.
    EvictWorkload {
        uid: Uid,
        reason: String,
        message: String,
    },
    FinishWorkload {
        uid: Uid,
        reason: String,
    },
    Bind {
        pod: Uid,
        node: String,
    },
    /// The Job controller creates one more pod from the Job's template.
    CreateJobPod {
        job: Uid,
    },
    /// The LeaderWorkerSet controller creates pod `worker` (0: the leader) of group `group`.
    CreateLwsPod {
        lws: Uid,
        group: i32,
        worker: i32,
    },
    /// Enough of the Job's pods succeeded.
    CompleteJob {
        job: Uid,
    },
    /// Kueue unsuspends an admitted Job, injecting the flavors' placement.
    StartJob {
        job: Uid,
        node_selector: Labels,
        tolerations: Vec<Toleration>,
    },
    /// Kueue suspends the Job of an evicted Workload; the Job controller stops its pods.
    StopJob {
        job: Uid,
    },
    /// Kueue clears an evicted Workload's quota reservation once its Job is stopped, and
    /// queues it again.
    RequeueWorkload {
        uid: Uid,
    },
    MarkUnschedulable {
        pod: Uid,
        message: String,
    },
}
