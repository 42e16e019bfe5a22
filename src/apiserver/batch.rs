//! Writes to batch/v1 Jobs: the user's Job through Kueue's webhook, the pods the Job
//! controller creates, completion, and Kueue's suspend and resume.

use super::pods::{create as create_pod_object, generate_name, Owners};
use super::{record, ApiServer};
use crate::api::batch::JobObject;
use crate::api::core::PodTemplate;
use crate::engine::action::JobWrite;
use crate::engine::change::Change;
use crate::manifest::error::Loc;
use crate::store::{Job, JobId, Store};
use crate::units::SimDuration;

/// A Job from a manifest or `oc apply`: Kueue's webhook defaults it; a Job that exists
/// keeps its state (its spec is immutable but for suspend and parallelism).
pub(super) fn apply(
    api: &mut ApiServer,
    store: &mut Store,
    namespace: String,
    mut job: JobObject,
    loc: Loc,
) -> Vec<Change> {
    if let Some(id) = store.jobs.id_of(&namespace, &job.meta.name) {
        if let Some(j) = store.jobs.get_mut(id) {
            j.spec.parallelism = job.spec.parallelism;
            if !crate::kueue::job::is_managed(j) {
                j.spec.suspend = job.spec.suspend;
            }
        }
        return vec![Change::Job(id)];
    }
    crate::kueue::job::mutate_new_job(store, &namespace, &mut job);
    let id = store.alloc();
    let run_time = job.spec.run_time.unwrap_or(api.default_job_run_time);
    let k8s_uid = super::names::uid(&mut api.names);
    let j = Job {
        loc: Some(loc),
        ..Job::new(
            (id, k8s_uid),
            namespace,
            job.meta.name.clone(),
            job.meta.labels,
            job.spec,
            run_time,
            store.now,
        )
    };
    store.jobs.insert(id, j);
    vec![Change::Job(id)]
}

pub(super) fn create_pod(api: &mut ApiServer, store: &mut Store, job: JobId) -> Vec<Change> {
    let Some(j) = store.jobs.get(job) else {
        return Vec::new();
    };
    let mut template: PodTemplate = j.spec.template.clone();
    template
        .labels
        .insert("batch.kubernetes.io/job-name".into(), j.name.clone());
    template.labels.insert("job-name".into(), j.name.clone());
    let (ns, prefix) = (j.namespace.clone(), j.name.clone());
    let name = if j.indexed_names {
        // The training operator's `<job>-<type>-<index>`: the lowest index no pod has.
        (0..)
            .map(|i| format!("{prefix}-{i}"))
            .find(|n| !store.pods.name_taken(&ns, n))
            .unwrap_or_default()
    } else {
        generate_name(api, store, &ns, &prefix)
    };
    create_pod_object(
        api,
        store,
        ns,
        name,
        template,
        Owners {
            job: Some(job),
            ..Owners::default()
        },
    )
}

pub(super) fn write(store: &mut Store, id: JobId, write: JobWrite) -> Vec<Change> {
    let now = store.now;
    match write {
        JobWrite::Complete => {
            let Some(j) = store.jobs.get_mut(id) else {
                return Vec::new();
            };
            if j.completed_at.is_some() {
                return Vec::new();
            }
            j.completed_at = Some(now);
            let obj = format!("Job {}/{}", j.namespace, j.name);
            let took = now.since(j.created);
            record(
                store,
                "Completed",
                obj,
                format!("Job completed ({took} after creation)"),
            );
            vec![Change::JobCompleted(id)]
        }
        JobWrite::Start {
            node_selector,
            tolerations,
            parallelism,
            topology_pod_set,
        } => {
            let Some(j) = store.jobs.get_mut(id) else {
                return Vec::new();
            };
            j.spec.suspend = false;
            // Resuming resets `status.startTime`.
            j.started_at = Some(now);
            j.spec.template.spec.node_selector = node_selector;
            j.spec.template.spec.tolerations = tolerations;
            if let Some(p) = parallelism {
                j.spec.parallelism = p;
            }
            if let Some(ps) = topology_pod_set {
                let gates = &mut j.spec.template.spec.scheduling_gates;
                if !gates.iter().any(|g| g == crate::kueue::tas::TOPOLOGY_GATE) {
                    gates.push(crate::kueue::tas::TOPOLOGY_GATE.into());
                }
                j.spec
                    .template
                    .labels
                    .insert(crate::kueue::tas::PODSET_LABEL.into(), ps);
            }
            // A framework's own Jobs are resumed by its controller, which Kueue started.
            if j.owner_framework.is_none() {
                let obj = format!("Job {}/{}", j.namespace, j.name);
                let workload = j.workload;
                let message = admitted_by(store, workload);
                record(store, "Started", obj, message);
            }
            vec![Change::Job(id)]
        }
        JobWrite::Stop => stop(store, id),
    }
}

/// Suspends the Job; its running pods lose their progress back to the last checkpoint.
fn stop(store: &mut Store, id: JobId) -> Vec<Change> {
    let now = store.now;
    let Some(j) = store.jobs.get(id) else {
        return Vec::new();
    };
    let ran = j
        .pods
        .iter()
        .filter_map(|p| store.pods.get(*p))
        .filter(|p| p.deletion.is_none())
        .filter_map(|p| p.ready_at)
        .map(|r| now.since(r))
        .min();
    let Some(j) = store.jobs.get_mut(id) else {
        return Vec::new();
    };
    if let (Some(ran), Some(every)) = (ran, j.spec.checkpoint_interval) {
        let done = j.saved.0 + ran.0;
        j.saved = SimDuration((done / every.0 * every.0).min(j.run_time.0));
    }
    j.spec.suspend = true;
    // `RestorePodSetsInfo`: a partially admitted Job gets its parallelism back, and its
    // template loses the topology gate.
    j.spec.parallelism = j.written_parallelism;
    j.spec
        .template
        .spec
        .scheduling_gates
        .retain(|g| g != crate::kueue::tas::TOPOLOGY_GATE);
    if !j.visible {
        // The pods of a PyTorchJob's replica type or a Ray group: no Job to tell of.
        return vec![Change::Job(id)];
    }
    let obj = format!("Job {}/{}", j.namespace, j.name);
    let msg = match j.spec.checkpoint_interval {
        Some(_) => format!("Suspended; resumes from its checkpoint at {}", j.saved),
        None => "Suspended; its pods restart from the beginning".to_string(),
    };
    record(store, "Stopped", obj, msg);
    vec![Change::Job(id)]
}

/// Kueue's `Started` message: the ClusterQueue that admitted the Workload.
pub(super) fn admitted_by(store: &Store, workload: Option<crate::store::WorkloadId>) -> String {
    let cq = workload
        .and_then(|w| store.workloads.get(w))
        .and_then(|w| w.admission.as_ref())
        .map_or("", |a| a.cluster_queue.as_str());
    format!("Admitted by clusterQueue {cq}")
}
