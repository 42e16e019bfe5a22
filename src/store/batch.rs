//! batch/v1 Jobs and what the Job controller and Kueue's job integration track.

use super::{FrameworkId, JobId, PodId, WorkloadId};
use crate::api::meta::Labels;
use crate::manifest::error::Loc;
use crate::units::{SimDuration, SimTime};
use std::collections::BTreeSet;

/// A batch/v1 Job and what its controller and Kueue's job integration track.
#[derive(Debug, Clone)]
pub struct Job {
    pub uid: JobId,
    pub k8s_uid: String,
    pub namespace: String,
    pub name: String,
    pub labels: Labels,
    pub spec: crate::api::batch::JobSpec,
    pub created: SimTime,
    /// How long each pod runs once Ready.
    pub run_time: SimDuration,
    /// Pods (not yet gone) the Job owns.
    pub pods: BTreeSet<PodId>,
    pub succeeded: i32,
    /// Progress saved by checkpoints: a restarted pod runs only the rest.
    pub saved: SimDuration,
    pub completed_at: Option<SimTime>,
    /// First unsuspended (`status.startTime`).
    pub started_at: Option<SimTime>,
    pub workload: Option<WorkloadId>,
    pub loc: Option<Loc>,
    /// The framework (JobSet, RayJob, …) whose controller runs this Job, and the index of
    /// its group there; such a Job has no Workload of its own.
    pub owner_framework: Option<(FrameworkId, usize)>,
    /// Pods named `<job>-<index>` (a PyTorchJob's `<job>-worker-0`), else `<job>-<random>`.
    pub indexed_names: bool,
    /// An object users see (`oc get jobs`), not only its framework's pods.
    pub visible: bool,
    /// `spec.parallelism` as written, restored when Kueue stops a partially admitted Job.
    pub written_parallelism: i32,
}

impl Job {
    /// A new Job of `spec`, its pods running `run_time` each: nothing run yet, no Workload,
    /// a user's object (no framework owns it).
    pub(crate) fn new(
        (uid, k8s_uid): (JobId, String),
        namespace: String,
        name: String,
        labels: Labels,
        spec: crate::api::batch::JobSpec,
        run_time: SimDuration,
        now: SimTime,
    ) -> Job {
        Job {
            uid,
            k8s_uid,
            namespace,
            name,
            labels,
            written_parallelism: spec.parallelism,
            spec,
            created: now,
            run_time,
            pods: Default::default(),
            succeeded: 0,
            saved: SimDuration::ZERO,
            completed_at: None,
            started_at: None,
            workload: None,
            loc: None,
            owner_framework: None,
            indexed_names: false,
            visible: true,
        }
    }

    /// Pods still wanted: parallelism, at most what completions still need.
    pub(crate) fn wanted(&self) -> i32 {
        self.spec.parallelism.min(self.spec.completions - self.succeeded).max(0)
    }
}

super::objects::named_with_labels!(Job);
