//! The batch frameworks' objects: JobSets, PyTorchJobs, TrainJobs, RayJobs, RayClusters,
//! listed with their state as their controllers report it.

use super::{Columns, Resource};
use crate::api::frameworks::FrameworkKind;
use crate::api::meta::Labels;
use crate::scenario::printers::age;
use crate::store::{Framework, Store};

/// Its state in the words its own controller uses in status.
fn state(store: &Store, f: &Framework) -> &'static str {
    if f.completed_at.is_some() {
        return match f.kind {
            FrameworkKind::RayJob => "Complete",
            FrameworkKind::PyTorchJob => "Succeeded",
            _ => "Completed",
        };
    }
    if f.suspend {
        return "Suspended";
    }
    // KubeRay's cluster state (a RayJob's deployment status waits for the cluster).
    let ready = crate::controllers::frameworks::cluster_ready(store, f);
    match f.kind {
        FrameworkKind::RayJob if !ready => "Initializing",
        FrameworkKind::RayCluster if !ready => "",
        FrameworkKind::RayCluster => "ready",
        _ => "Running",
    }
}

macro_rules! framework_resource {
    ($name:ident, $kind:expr, $names:expr, $resource:expr) => {
        pub(crate) struct $name;

        impl Resource for $name {
            type Object<'s> = &'s Framework;
            const NAMES: &'static [&'static str] = $names;
            const RESOURCE: &'static str = $resource;
            const HEADER: &'static [&'static str] = &["NAME", "STATUS", "AGE"];

            fn objects(store: &Store) -> impl Iterator<Item = &Framework> {
                store.frameworks.values().filter(|f| f.kind == $kind)
            }
            fn named<'s>(store: &'s Store, ns: &str, name: &str) -> Option<&'s Framework> {
                Self::objects(store).find(|f| f.namespace == ns && f.name == name)
            }
            fn namespace(f: Self::Object<'_>) -> &str {
                &f.namespace
            }
            fn name(f: Self::Object<'_>) -> &str {
                &f.name
            }
            fn labels(f: Self::Object<'_>) -> &Labels {
                &f.labels
            }
            fn row(store: &Store, f: &Framework, _: Columns) -> Vec<String> {
                vec![f.name.clone(), state(store, f).to_string(), age(store, f.created)]
            }
        }
    };
}

framework_resource!(
    JobSets,
    FrameworkKind::JobSet,
    &["jobset", "jobsets"],
    "jobset.jobset.x-k8s.io"
);
framework_resource!(
    PyTorchJobs,
    FrameworkKind::PyTorchJob,
    &["pytorchjob", "pytorchjobs"],
    "pytorchjob.kubeflow.org"
);
framework_resource!(
    TrainJobs,
    FrameworkKind::TrainJob,
    &["trainjob", "trainjobs"],
    "trainjob.trainer.kubeflow.org"
);
framework_resource!(RayJobs, FrameworkKind::RayJob, &["rayjob", "rayjobs"], "rayjob.ray.io");
framework_resource!(
    RayClusters,
    FrameworkKind::RayCluster,
    &["raycluster", "rayclusters"],
    "raycluster.ray.io"
);
