//! Writes to the batch frameworks' objects: the user's object through Kueue's webhook, the
//! child Jobs their controllers create, and Kueue's start and stop.

use super::{record, ApiServer};
use crate::api::frameworks::{FrameworkKind, FrameworkObject, Role};
use crate::engine::action::FrameworkWrite;
use crate::engine::change::Change;
use crate::store::{Framework, FrameworkId, Job, JobId, Store};
use crate::units::SimDuration;

/// How long a Ray cluster's pods run: until the cluster is stopped or deleted.
const FOREVER: SimDuration = SimDuration(u64::MAX / 4);

/// A framework object from a manifest or `oc apply`: Kueue's webhook suspends a queued one;
/// one that exists keeps its state (only its suspension follows the user's, when Kueue
/// does not manage it).
pub(super) fn apply(api: &mut ApiServer, store: &mut Store, namespace: String, mut o: FrameworkObject) -> Vec<Change> {
    let existing = store
        .frameworks
        .values()
        .find(|f| f.kind == o.kind && f.namespace == namespace && f.name == o.meta.name)
        .map(|f| f.uid);
    if let Some(id) = existing {
        let managed = store
            .frameworks
            .get(id)
            .is_some_and(crate::kueue::framework::is_managed);
        if let Some(f) = store.frameworks.get_mut(id) {
            if !managed {
                f.suspend = o.suspend;
            }
        }
        return vec![Change::Framework(id)];
    }
    if let Some((kind, name)) = o.runtime_ref.clone() {
        let runtime = if kind == "ClusterTrainingRuntime" {
            store.training_runtimes.cluster.get(&name)
        } else {
            store
                .training_runtimes
                .namespaced
                .get(&(namespace.clone(), name.clone()))
        };
        let Some(runtime) = runtime.cloned() else {
            api.warnings.push(format!(
                "TrainJob {namespace}/{} refers to {kind} {name}, which does not exist; it is not created",
                o.meta.name
            ));
            return Vec::new();
        };
        o.resolve_runtime(&runtime);
    }
    crate::kueue::framework::mutate_new(store, &namespace, &mut o);
    // KubeRay names a RayJob's cluster `<rayjob>-<random>`; its groups' Jobs follow.
    let cluster_name = (o.kind == FrameworkKind::RayJob)
        .then(|| format!("{}-{}", o.meta.name, super::names::random_suffix(&mut api.names, 5)));
    if let Some(c) = &cluster_name {
        for g in o.groups.iter_mut().filter(|g| g.role == Role::Service) {
            g.job_prefix = format!("{c}{}", g.job_prefix);
        }
    }
    let id: FrameworkId = store.alloc();
    let run_time = o.run_time.unwrap_or(api.default_job_run_time);
    let f = Framework {
        uid: id,
        k8s_uid: super::names::uid(&mut api.names),
        kind: o.kind,
        namespace,
        name: o.meta.name.clone(),
        labels: o.meta.labels,
        suspend: o.suspend,
        original: o.groups.clone(),
        groups: o.groups,
        run_time,
        checkpoint_interval: o.checkpoint_interval,
        ray: o.ray,
        cluster_name,
        children: Vec::new(),
        created: store.now,
        started_at: None,
        completed_at: None,
        workload: None,
    };
    store.frameworks.insert(id, f);
    vec![Change::Framework(id)]
}

/// The child Job `index` of group `g`, as the framework's controller creates it: a JobSet's
/// `<jobset>-<replicatedJob>-<index>`, a RayJob's submitter `<rayjob>`, the pods of a
/// PyTorchJob's replica type or a Ray group (a Job here, not an object users see).
pub(super) fn create_child_job(
    api: &mut ApiServer,
    store: &mut Store,
    id: FrameworkId,
    g: usize,
    index: u32,
) -> Vec<Change> {
    let Some(f) = store.frameworks.get(id).cloned() else {
        return Vec::new();
    };
    let f = &f;
    let Some(group) = f.groups.get(g) else {
        return Vec::new();
    };
    let name = match (f.kind, group.role) {
        (FrameworkKind::JobSet | FrameworkKind::TrainJob, _) => format!("{}-{index}", group.job_prefix),
        _ => group.job_prefix.clone(),
    };
    if store.jobs.id_of(&f.namespace, &name).is_some() {
        return Vec::new();
    }
    let mut template = group.template.clone();
    let labels = child_labels(f, &group.pod_set, index);
    template.labels.extend(labels.clone());
    let parallelism = i32::try_from(group.parallelism).unwrap_or(i32::MAX);
    let (run_time, checkpoint) = match group.role {
        Role::Service => (FOREVER, None),
        Role::Worker | Role::Submitter => (f.run_time, f.checkpoint_interval),
    };
    let namespace = f.namespace.clone();
    let (jid, k8s_uid): (JobId, String) = (store.alloc(), super::names::uid(&mut api.names));
    let spec = crate::api::batch::JobSpec {
        parallelism,
        completions: parallelism,
        suspend: f.suspend,
        template,
        run_time: Some(run_time),
        checkpoint_interval: checkpoint,
        min_parallelism: None,
    };
    let job = Job {
        owner_framework: Some((id, g)),
        indexed_names: group.indexed_names,
        visible: group.visible_jobs,
        ..Job::new((jid, k8s_uid), namespace, name, labels, spec, run_time, store.now)
    };
    store.jobs.insert(jid, job);
    if let Some(f) = store.frameworks.get_mut(id) {
        f.children.push((g, jid));
    }
    vec![Change::Job(jid), Change::Framework(id)]
}

/// The labels the framework's controller puts on its Jobs and their pods.
fn child_labels(f: &Framework, pod_set: &str, index: u32) -> crate::api::meta::Labels {
    let mut l = crate::api::meta::Labels::new();
    match f.kind {
        FrameworkKind::JobSet | FrameworkKind::TrainJob => {
            l.insert("jobset.sigs.k8s.io/jobset-name".into(), f.name.clone());
            l.insert("jobset.sigs.k8s.io/replicatedjob-name".into(), pod_set.to_string());
            l.insert("jobset.sigs.k8s.io/job-index".into(), index.to_string());
        }
        FrameworkKind::PyTorchJob => {
            l.insert("training.kubeflow.org/job-name".into(), f.name.clone());
            l.insert("training.kubeflow.org/replica-type".into(), pod_set.to_string());
        }
        FrameworkKind::RayJob | FrameworkKind::RayCluster => {
            let cluster = f.ray_cluster_name();
            l.insert("ray.io/cluster".into(), cluster);
            let node_type = match pod_set {
                "head" => "head",
                "submitter" => "submitter",
                _ => "worker",
            };
            l.insert("ray.io/node-type".into(), node_type.into());
            if node_type == "worker" {
                l.insert("ray.io/group".into(), pod_set.to_string());
            }
        }
    }
    if f.kind == FrameworkKind::TrainJob {
        l.insert("trainer.kubeflow.org/trainjob-name".into(), f.name.clone());
    }
    l
}

pub(super) fn write(store: &mut Store, id: FrameworkId, write: FrameworkWrite) -> Vec<Change> {
    let now = store.now;
    let Some(f) = store.frameworks.get_mut(id) else {
        return Vec::new();
    };
    let obj = format!("{} {}/{}", f.kind.as_str(), f.namespace, f.name);
    match write {
        FrameworkWrite::Start { placements } => {
            if !f.suspend {
                return Vec::new();
            }
            f.suspend = false;
            f.started_at = Some(now);
            // `RunWithPodSetsInfo`: each pod set's flavors into its template, and the
            // `kueue.x-k8s.io/podset` label.
            for (group, (node_selector, tolerations, by_topology)) in f.groups.iter_mut().zip(placements) {
                group.template.spec.node_selector = node_selector;
                group.template.spec.tolerations = tolerations;
                if by_topology {
                    group
                        .template
                        .spec
                        .scheduling_gates
                        .push(crate::kueue::tas::TOPOLOGY_GATE.into());
                }
                group
                    .template
                    .labels
                    .insert("kueue.x-k8s.io/podset".into(), group.pod_set.clone());
            }
            let workload = f.workload;
            let message = super::batch::admitted_by(store, workload);
            record(store, "Started", obj, message);
        }
        FrameworkWrite::Stop => {
            if f.suspend {
                return Vec::new();
            }
            f.suspend = true;
            // `RestorePodSetsInfo`: the templates as written.
            let original = f.original.clone();
            for (group, orig) in f.groups.iter_mut().zip(original) {
                group.template = orig.template;
            }
            record(store, "Stopped", obj, "Suspended by Kueue: its Workload was evicted");
        }
        FrameworkWrite::Complete => {
            if f.completed_at.is_some() {
                return Vec::new();
            }
            f.completed_at = Some(now);
            let took = now.since(f.created);
            let what = match f.kind {
                FrameworkKind::RayJob => "the entrypoint finished",
                _ => "all its jobs completed",
            };
            record(
                store,
                "Completed",
                obj,
                format!("Succeeded: {what} ({took} after creation)"),
            );
        }
    }
    vec![Change::Framework(id)]
}
