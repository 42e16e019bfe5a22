//! The batch frameworks' objects: JobSets, PyTorchJobs, TrainJobs, RayJobs, RayClusters,
//! listed with their state as their controllers report it.

use super::meta::{condition, timestamp, Meta};
use super::{Columns, ManifestOf, Resource};
use crate::api::frameworks::{ChildGroup, FrameworkKind, Role};
use crate::api::meta::Labels;
use crate::scenario::printers::age;
use crate::store::{Framework, Store};
use serde_json::{json, Map, Value};

/// The API version each kind is served in.
pub(super) fn api_version(kind: FrameworkKind) -> &'static str {
    match kind {
        FrameworkKind::JobSet => "jobset.x-k8s.io/v1alpha2",
        FrameworkKind::PyTorchJob => "kubeflow.org/v1",
        FrameworkKind::TrainJob => "trainer.kubeflow.org/v1alpha1",
        FrameworkKind::RayJob | FrameworkKind::RayCluster => "ray.io/v1",
    }
}

/// A group's pod template as the API writes it.
fn template(g: &ChildGroup) -> Value {
    json!({
        "metadata": {"annotations": g.template.annotations, "labels": g.template.labels},
        "spec": g.template.spec.to_json(),
    })
}

/// A Ray cluster's head and worker groups.
fn ray_cluster_spec(groups: &[&ChildGroup]) -> Map<String, Value> {
    let mut spec = Map::new();
    let mut workers = Vec::new();
    for g in groups.iter().filter(|g| g.role == Role::Service) {
        if g.pod_set == "head" {
            spec.insert("headGroupSpec".into(), json!({"template": template(g)}));
        } else {
            workers.push(json!({"groupName": g.pod_set, "replicas": g.count(), "template": template(g)}));
        }
    }
    spec.insert("workerGroupSpecs".into(), Value::Array(workers));
    spec
}

/// The object as the API server returns it: its groups in its own kind's spec, and the
/// status its controller writes, in the words that controller uses.
fn manifest(store: &Store, f: &Framework) -> Value {
    let annotations = Labels::new();
    let metadata = Meta {
        name: &f.name,
        namespace: &f.namespace,
        labels: &f.labels,
        annotations: &annotations,
        created: f.created,
        uid: &f.k8s_uid,
    }
    .to_json(store);
    let groups: Vec<&ChildGroup> = f.original.iter().collect();
    let mut spec = Map::new();
    let mut status = Map::new();
    let created = f.created;
    let done = f.completed_at;
    let running = !f.suspend && done.is_none();
    match f.kind {
        FrameworkKind::JobSet => {
            let jobs: Vec<Value> = groups
                .iter()
                .map(|g| {
                    json!({"name": g.pod_set, "replicas": g.jobs, "template": {"spec": {
                        "completions": g.parallelism, "parallelism": g.parallelism, "template": template(g)}}})
                })
                .collect();
            spec.insert("replicatedJobs".into(), Value::Array(jobs));
            spec.insert("suspend".into(), json!(f.suspend));
            let mut conditions = Vec::new();
            if f.suspend {
                conditions.push(condition(
                    store,
                    "Suspended",
                    true,
                    "SuspendedJobs",
                    "jobset is suspended",
                    created,
                ));
            }
            if let Some(t) = done {
                conditions.push(condition(
                    store,
                    "Completed",
                    true,
                    "AllJobsCompleted",
                    "jobset completed successfully",
                    t,
                ));
                status.insert("terminalState".into(), json!("Completed"));
            }
            status.insert("conditions".into(), Value::Array(conditions));
        }
        FrameworkKind::PyTorchJob => {
            let mut replicas = Map::new();
            for g in &groups {
                let mut name = g.pod_set.clone();
                if let Some(first) = name.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                replicas.insert(
                    name,
                    json!({"replicas": g.count(), "restartPolicy": "OnFailure", "template": template(g)}),
                );
            }
            spec.insert("pytorchReplicaSpecs".into(), Value::Object(replicas));
            spec.insert("runPolicy".into(), json!({"suspend": f.suspend}));
            let mut conditions = vec![condition(
                store,
                "Created",
                true,
                "PyTorchJobCreated",
                &format!("PyTorchJob {} is created.", f.name),
                created,
            )];
            if f.suspend {
                conditions.push(condition(
                    store,
                    "Suspended",
                    true,
                    "PyTorchJobSuspended",
                    &format!("PyTorchJob {} is suspended.", f.name),
                    created,
                ));
            } else if let Some(start) = f.started_at.filter(|_| running) {
                conditions.push(condition(
                    store,
                    "Running",
                    true,
                    "PyTorchJobRunning",
                    &format!("PyTorchJob {} is running.", f.name),
                    start,
                ));
            }
            if let Some(t) = done {
                conditions.push(condition(
                    store,
                    "Succeeded",
                    true,
                    "PyTorchJobSucceeded",
                    &format!("PyTorchJob {} is successfully completed.", f.name),
                    t,
                ));
            }
            status.insert("conditions".into(), Value::Array(conditions));
        }
        FrameworkKind::TrainJob => {
            let nodes: u32 = groups.iter().map(|g| g.count()).sum();
            spec.insert("suspend".into(), json!(f.suspend));
            spec.insert("trainer".into(), json!({ "numNodes": nodes }));
            let mut conditions = Vec::new();
            if f.suspend {
                conditions.push(condition(
                    store,
                    "Suspended",
                    true,
                    "Suspended",
                    "TrainJob is suspended",
                    created,
                ));
            }
            if let Some(t) = done {
                conditions.push(condition(
                    store,
                    "Complete",
                    true,
                    "JobsCompleted",
                    "TrainJob is completed",
                    t,
                ));
            }
            status.insert("conditions".into(), Value::Array(conditions));
        }
        FrameworkKind::RayJob => {
            let cluster = groups
                .iter()
                .filter(|g| g.role == Role::Service)
                .copied()
                .collect::<Vec<_>>();
            spec.insert("rayClusterSpec".into(), Value::Object(ray_cluster_spec(&cluster)));
            spec.insert("shutdownAfterJobFinishes".into(), json!(true));
            spec.insert("suspend".into(), json!(f.suspend));
            let deployment = state(store, f);
            let job_status = match (done, deployment) {
                (Some(_), _) => "SUCCEEDED",
                (None, "Running") => "RUNNING",
                _ => "PENDING",
            };
            if let Some(t) = done {
                status.insert("endTime".into(), json!(timestamp(store, t)));
            }
            status.insert("jobDeploymentStatus".into(), json!(deployment));
            status.insert("jobStatus".into(), json!(job_status));
            status.insert("rayClusterName".into(), json!(f.ray_cluster_name()));
            if let Some(start) = f.started_at {
                status.insert("startTime".into(), json!(timestamp(store, start)));
            }
        }
        FrameworkKind::RayCluster => {
            spec.extend(ray_cluster_spec(&groups));
            spec.insert("suspend".into(), json!(f.suspend));
            let state = state(store, f);
            if !state.is_empty() {
                status.insert("state".into(), json!(state));
            }
        }
    }
    super::meta::object(
        api_version(f.kind),
        f.kind.as_str(),
        metadata,
        Value::Object(spec),
        Some(Value::Object(status)),
    )
}

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
            const MANIFEST: ManifestOf<Self> = manifest;

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
