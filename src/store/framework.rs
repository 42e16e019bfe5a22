//! The batch frameworks' objects (JobSet, PyTorchJob, TrainJob, RayJob, RayCluster) and
//! what their controllers and Kueue's integrations track.

use super::{FrameworkId, JobId, WorkloadId};
use crate::api::frameworks::{ChildGroup, FrameworkKind, RaySettings, TrainingRuntime};
use crate::api::meta::Labels;
use crate::units::{SimDuration, SimTime};

/// One framework object as the API server holds it.
#[derive(Debug, Clone)]
pub struct Framework {
    pub uid: FrameworkId,
    pub k8s_uid: String,
    pub kind: FrameworkKind,
    pub namespace: String,
    pub name: String,
    pub labels: Labels,
    /// `spec.suspend` (a PyTorchJob's `runPolicy.suspend`).
    pub suspend: bool,
    /// The pod sets and the child Jobs that run them, their templates as Kueue last set
    /// them (its flavors' node labels and tolerations while admitted).
    pub groups: Vec<ChildGroup>,
    /// The templates as written, restored when Kueue stops it.
    pub original: Vec<ChildGroup>,
    /// How long the work runs once its pods are Ready (a RayJob's entrypoint).
    pub run_time: SimDuration,
    pub checkpoint_interval: Option<SimDuration>,
    pub ray: Option<RaySettings>,
    /// A RayJob's cluster, KubeRay's `<rayjob>-<random>`.
    pub cluster_name: Option<String>,
    /// Its child Jobs, by group, in index order.
    pub children: Vec<(usize, JobId)>,
    pub created: SimTime,
    pub started_at: Option<SimTime>,
    /// Succeeded (all its workers, or its entrypoint); a RayCluster never does.
    pub completed_at: Option<SimTime>,
    pub workload: Option<WorkloadId>,
}

impl Framework {
    /// The Ray cluster it runs: a RayCluster's own name, a RayJob's generated one.
    pub fn ray_cluster_name(&self) -> String {
        self.cluster_name.clone().unwrap_or_else(|| self.name.clone())
    }

    /// The child Jobs of group `g`.
    pub fn children_of(&self, g: usize) -> impl Iterator<Item = JobId> + '_ {
        self.children.iter().filter(move |(i, _)| *i == g).map(|(_, j)| *j)
    }
}

super::objects::named_with_labels!(Framework);

/// The training runtimes TrainJobs refer to: cluster-scoped by name, namespaced by
/// (namespace, name).
#[derive(Debug, Clone, Default)]
pub struct TrainingRuntimes {
    pub cluster: std::collections::BTreeMap<String, TrainingRuntime>,
    pub namespaced: std::collections::BTreeMap<(String, String), TrainingRuntime>,
}
