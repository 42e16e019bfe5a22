//! A Pod: its spec, where it runs, how far its start-up has got, and its owners.

use super::{JobId, LeaderWorkerSetId, PodGroupId, PodId, ReplicaSetId, WorkloadId};
use crate::api::core::{PodSpec, PodTemplate, ResourceList};
use crate::api::meta::Labels;
use crate::units::{SimDuration, SimTime};

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

/// A point of a pod's start-up as its kubelet reported it (see [`Pod::marks`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartMark {
    /// Start-up step `i` (an index into [`Pod::startup`]) began, or began again after a
    /// failed pull or storage initializer.
    Step(usize),
    /// The registry or the model storage failed the step running.
    Held,
    /// The pod became Ready.
    Ready,
    /// Its engine container exited with an error (a crash-loop restart follows).
    Crashed,
}

#[derive(Debug, Clone)]
pub struct Pod {
    pub uid: PodId,
    pub k8s_uid: String,
    pub namespace: String,
    pub name: String,
    pub labels: Labels,
    pub annotations: Labels,
    pub spec: PodSpec,
    pub requests: ResourceList,
    pub owner_rs: Option<ReplicaSetId>,
    pub owner_job: Option<JobId>,
    pub owner_lws: Option<LeaderWorkerSetId>,
    pub created: SimTime,
    pub node: Option<String>,
    pub scheduled_at: Option<SimTime>,
    pub start_phase: Option<StartPhase>,
    pub ready_at: Option<SimTime>,
    pub deletion: Option<(SimTime, SimDuration)>,
    pub unschedulable: Option<String>,
    /// Kueue's workload for this pod, once created.
    pub workload: Option<WorkloadId>,
    /// The Kueue pod group it belongs to.
    pub pod_group: Option<PodGroupId>,
    /// The start-up plan made at binding.
    pub startup: Vec<crate::cluster::kubelet::Step>,
    /// The start-up step running, an index into `startup` (what the kubelet's events
    /// name).
    pub step: usize,
    /// Its start-up as the kubelet reported it, oldest first, with the instants: what
    /// `oc logs` prints its containers' lines at.
    pub marks: Vec<(SimTime, StartMark)>,
    /// The vLLM engine's memory once it started (KV-cache capacity for serving).
    pub memory: Option<crate::serving::memory::MemoryPlan>,
    pub crash: CrashState,
    /// Number of app containers (sidecars included) for READY.
    pub container_count: usize,
    /// Marked `Ready=False` by the node lifecycle controller: its node stopped reporting.
    pub node_not_ready: bool,
    /// Its node's instance is gone: the containers died with it at this time, whatever
    /// the API still says.
    pub dead_since: Option<SimTime>,
    /// Why a container is waiting, as kubectl's STATUS shows it (`Init:ErrImagePull`…).
    pub waiting: Option<String>,
}

impl Pod {
    /// A pod as the API server first stores it: not yet owned, scheduled or started.
    pub(crate) fn new(
        uid: PodId,
        k8s_uid: String,
        namespace: String,
        name: String,
        template: PodTemplate,
        created: SimTime,
    ) -> Pod {
        Pod {
            uid,
            k8s_uid,
            namespace,
            name,
            requests: template.spec.requests(),
            container_count: template.spec.containers.len(),
            labels: template.labels,
            annotations: template.annotations,
            spec: template.spec,
            owner_rs: None,
            owner_job: None,
            owner_lws: None,
            created,
            node: None,
            scheduled_at: None,
            start_phase: None,
            ready_at: None,
            deletion: None,
            unschedulable: None,
            workload: None,
            pod_group: None,
            startup: Vec::new(),
            step: 0,
            marks: Vec::new(),
            memory: None,
            crash: CrashState::default(),
            node_not_ready: false,
            dead_since: None,
            waiting: None,
        }
    }

    pub(crate) fn is_gated(&self) -> bool {
        !self.spec.scheduling_gates.is_empty()
    }
    pub fn is_ready(&self) -> bool {
        self.ready_at.is_some() && self.deletion.is_none() && !self.node_not_ready
    }
    /// Ready for at least `min_ready` (the Deployment's minReadySeconds) at `now`.
    pub(crate) fn is_available(&self, min_ready: SimDuration, now: SimTime) -> bool {
        self.is_ready() && self.ready_at.is_some_and(|r| r + min_ready <= now)
    }
    pub(crate) fn is_terminating(&self) -> bool {
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
        if let Some(w) = &self.waiting {
            return w.clone();
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
    pub(crate) fn ready_containers(&self) -> usize {
        match self.start_phase {
            _ if self.node_not_ready => 0,
            Some(StartPhase::Ready) if self.deletion.is_none() => self.container_count,
            // The modelcar sidecar is ready as soon as it runs; vLLM only after loading.
            Some(StartPhase::Starting) => self.container_count.saturating_sub(1),
            _ => 0,
        }
    }
    pub(crate) fn phase(&self) -> &'static str {
        match self.start_phase {
            Some(StartPhase::Starting | StartPhase::Ready) => "Running",
            _ => "Pending",
        }
    }
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

super::objects::named_with_labels!(Pod);
