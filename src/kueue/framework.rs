//! Kueue's integrations for the batch frameworks (`pkg/controller/jobs/jobset`,
//! `kubeflow/jobs/pytorchjob`, `trainjob`, `rayjob`, `raycluster`): the webhook suspends a
//! queued object at creation; the reconciler keeps one Workload with a pod set per
//! replicated job / replica type / Ray group, starts the object with each pod set's
//! flavors once admitted (`RunWithPodSetsInfo`), stops it when evicted and restores its
//! templates, releases the quota once its pods are gone, and finishes the Workload when the
//! object succeeds. Its child objects (a JobSet's Jobs, a RayJob's cluster and submitter)
//! get no Workload of their own.

use super::pod::{placement, priority_from};
use super::QUEUE_NAME_LABEL;
use crate::api::frameworks::FrameworkObject;
use crate::apiserver::names::workload_name_for_owner;
use crate::engine::action::{Action, FrameworkWrite, WorkloadWrite};
use crate::store::{Framework, FrameworkId, PodSet, Store, Workload, WorkloadSource};

/// The webhook's defaulting: the namespace's `default` LocalQueue when the object names
/// none, and `suspend: true` for a queued object.
pub(crate) fn mutate_new(store: &Store, namespace: &str, o: &mut FrameworkObject) {
    let Some(queue) = store.queue_for(namespace, &o.meta.labels) else {
        return;
    };
    o.meta.labels.insert(QUEUE_NAME_LABEL.into(), queue);
    o.suspend = true;
}

pub(crate) fn is_managed(f: &Framework) -> bool {
    f.labels.get(QUEUE_NAME_LABEL).is_some_and(|q| !q.is_empty())
}

/// Pods of its child Jobs not being deleted.
fn active_pods(store: &Store, f: &Framework) -> usize {
    f.children
        .iter()
        .filter_map(|(_, j)| store.jobs.get(*j))
        .flat_map(|j| j.pods.iter())
        .filter(|p| store.pods.get(**p).is_some_and(|p| p.deletion.is_none()))
        .count()
}

/// Its Workload: `<kind>-<name>-<hash>`, a pod set per group in the framework's order.
fn new_workload(store: &Store, f: &Framework) -> Workload {
    let first_class = f
        .original
        .iter()
        .find_map(|g| g.template.spec.priority_class_name.as_ref());
    let (priority, priority_class) = priority_from(store, &f.labels, first_class);
    let mut w = Workload {
        namespace: f.namespace.clone(),
        name: workload_name_for_owner(f.kind.as_str(), f.kind.group(), &f.name, &f.k8s_uid),
        queue_name: f.labels.get(QUEUE_NAME_LABEL).cloned().unwrap_or_default(),
        pod_name: f.name.clone(),
        owner: f.name.clone(),
        priority,
        priority_class,
        ..Workload::queued(WorkloadSource::Framework(f.uid), store.now)
    };
    w.set_pod_sets(
        f.original
            .iter()
            .map(|g| PodSet {
                topology_request: super::tas::topology_request(&g.template.annotations),
                ..PodSet::new(g.pod_set.clone(), g.count(), g.template.spec.clone())
            })
            .collect(),
    );
    w
}

/// Reconciles one framework object against its Workload.
pub(crate) fn reconcile(store: &Store, id: FrameworkId) -> Vec<Action> {
    let Some(f) = store.frameworks.get(id) else {
        return Vec::new();
    };
    if !is_managed(f) {
        return Vec::new();
    }
    let Some(w) = f.workload.and_then(|w| store.workloads.get(w)) else {
        if f.completed_at.is_none() {
            return vec![Action::CreateWorkload(Box::new(new_workload(store, f)))];
        }
        return Vec::new();
    };
    if w.finished_at.is_some() {
        return Vec::new();
    }
    if f.completed_at.is_some() {
        return vec![Action::Workload(
            w.uid,
            WorkloadWrite::Finish {
                reason: format!("{} finished", f.kind.as_str()),
            },
        )];
    }
    match (&w.admission, w.evicted_at, f.suspend) {
        (Some(adm), None, true) => {
            let placements = f
                .original
                .iter()
                .map(|g| {
                    let (node_selector, tolerations) = placement(store, adm, &g.pod_set, &g.template.spec);
                    let by_topology = adm
                        .pod_set_assignments
                        .iter()
                        .any(|ps| ps.name == g.pod_set && ps.topology_assignment.is_some());
                    (node_selector, tolerations, by_topology)
                })
                .collect();
            vec![Action::Framework(id, FrameworkWrite::Start { placements })]
        }
        (Some(_), Some(_), false) => vec![Action::Framework(id, FrameworkWrite::Stop)],
        (Some(_), Some(_), true) if active_pods(store, f) == 0 => {
            vec![Action::Workload(w.uid, WorkloadWrite::UnsetQuotaReservation)]
        }
        _ => Vec::new(),
    }
}
