//! Kueue's batch/Job integration (`pkg/controller/jobs/job` over `jobframework`): the
//! webhook suspends a queued Job at creation; the reconciler keeps one Workload per Job
//! (one pod set of `parallelism` pods), starts the Job when the Workload is admitted
//! (unsuspends it with the flavors' node labels and tolerations), stops it when the
//! Workload is evicted and requeues the Workload once no pod is active, and finishes the
//! Workload when the Job completes.

use super::pod::{placement, priority_from};
use super::{POD_SET, QUEUE_NAME_LABEL};
use crate::api::batch::JobObject;
use crate::apiserver::names::workload_name_for_owner;
use crate::engine::action::{Action, JobWrite, WorkloadWrite};
use crate::store::{Job, JobId, PodSet, Store, Workload, WorkloadSource};

/// The webhook's defaulting: a Job with a queue (label, or the namespace's `default`
/// LocalQueue) gets the queue label and starts suspended.
pub(crate) fn mutate_new_job(store: &Store, namespace: &str, job: &mut JobObject) {
    let Some(queue) = store.queue_for(namespace, &job.meta.labels) else {
        return;
    };
    job.meta.labels.insert(QUEUE_NAME_LABEL.into(), queue);
    job.spec.suspend = true;
}

pub(crate) fn is_managed(job: &Job) -> bool {
    job.labels.get(QUEUE_NAME_LABEL).is_some_and(|q| !q.is_empty())
}

fn active_pods(store: &Store, job: &Job) -> usize {
    job.pods
        .iter()
        .filter(|p| store.pods.get(**p).is_some_and(|p| p.deletion.is_none()))
        .count()
}

fn new_workload(store: &Store, job: &Job) -> Workload {
    let count = job.wanted().max(1) as u32;
    let (priority, priority_class) =
        priority_from(store, &job.labels, job.spec.template.spec.priority_class_name.as_ref());
    let mut w = Workload {
        namespace: job.namespace.clone(),
        name: workload_name_for_owner("Job", "batch", &job.name, &job.k8s_uid),
        queue_name: job.labels.get(QUEUE_NAME_LABEL).cloned().unwrap_or_default(),
        pod_name: job.name.clone(),
        owner: job.name.clone(),
        priority,
        priority_class,
        ..Workload::queued(WorkloadSource::Job(job.uid), store.now)
    };
    let mut pod_set = PodSet::new(POD_SET, count, job.spec.template.spec.clone());
    pod_set.topology_request = super::tas::topology_request(&job.spec.template.annotations);
    pod_set.min_count = job
        .spec
        .min_parallelism
        .and_then(|m| u32::try_from(m).ok())
        .filter(|m| *m < count);
    w.set_pod_sets(vec![pod_set]);
    w
}

/// Reconciles one Job against its Workload.
pub(crate) fn reconcile(store: &Store, id: JobId) -> Vec<Action> {
    let Some(job) = store.jobs.get(id) else {
        return Vec::new();
    };
    if !is_managed(job) {
        return Vec::new();
    }
    let Some(w) = job.workload.and_then(|w| store.workloads.get(w)) else {
        if job.completed_at.is_none() {
            return vec![Action::CreateWorkload(Box::new(new_workload(store, job)))];
        }
        return Vec::new();
    };
    if w.finished_at.is_some() {
        return Vec::new();
    }
    if job.completed_at.is_some() {
        return vec![Action::Workload(
            w.uid,
            WorkloadWrite::Finish {
                reason: "Job finished".into(),
            },
        )];
    }
    match (&w.admission, w.evicted_at, job.spec.suspend) {
        (Some(adm), None, true) => {
            let (node_selector, tolerations) = placement(store, adm, POD_SET, &job.spec.template.spec);
            // Partial admission: the Job runs as many pods at once as were admitted.
            let parallelism = job
                .spec
                .min_parallelism
                .and_then(|_| adm.pod_set_assignments.first())
                .map(|ps| i32::try_from(ps.count).unwrap_or(i32::MAX));
            let topology_pod_set = adm
                .pod_set_assignments
                .first()
                .filter(|ps| ps.topology_assignment.is_some())
                .map(|ps| ps.name.clone());
            vec![Action::Job(
                id,
                JobWrite::Start {
                    node_selector,
                    tolerations,
                    parallelism,
                    topology_pod_set,
                },
            )]
        }
        (Some(_), Some(_), false) => vec![Action::Job(id, JobWrite::Stop)],
        (Some(_), Some(_), true) if active_pods(store, job) == 0 => {
            vec![Action::Workload(w.uid, WorkloadWrite::UnsetQuotaReservation)]
        }
        _ => Vec::new(),
    }
}
