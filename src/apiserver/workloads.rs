//! Writes to Kueue's Workloads: creation (linked to what it stands for), the status
//! changes Kueue's controllers make, and Workload objects given as input.

use super::{record, record_routine};
use crate::api::workload::WorkloadObject;
use crate::engine::action::{Eviction, WorkloadWrite};
use crate::engine::change::Change;
use crate::store::{
    Admission, EvictionEvent, PodSet, PodSetAssignment, Store, Workload, WorkloadId, WorkloadSource, WorkloadState,
};
use crate::units::Stamp;

fn object(w: &Workload) -> String {
    format!("Workload {}/{}", w.namespace, w.name)
}

/// The object a Workload stands for, as events name it: its pod (a pod group's first),
/// its Job or its framework object; none for a Workload given as input.
fn owner_object(store: &Store, w: &Workload) -> Option<String> {
    match w.source {
        WorkloadSource::Pod(_) | WorkloadSource::PodGroup(_) => Some(format!("Pod {}/{}", w.namespace, w.pod_name)),
        WorkloadSource::Job(j) => store.jobs.get(j).map(|j| format!("Job {}/{}", j.namespace, j.name)),
        WorkloadSource::Framework(f) => store
            .frameworks
            .get(f)
            .map(|f| format!("{} {}/{}", f.kind.as_str(), f.namespace, f.name)),
        WorkloadSource::Snapshot { .. } => None,
    }
}

pub(super) fn create(store: &mut Store, mut w: Workload) -> Vec<Change> {
    if let WorkloadSource::PodGroup(g) = w.source {
        if store.pod_groups.get(g).is_none_or(|g| g.workload.is_some()) {
            return Vec::new();
        }
    }
    let id: WorkloadId = store.alloc();
    w.uid = id;
    w.set_state(store.now, WorkloadState::Pending);
    match w.source {
        WorkloadSource::Pod(pod) => {
            if let Some(p) = store.pods.get_mut(pod) {
                p.workload = Some(id);
            }
        }
        WorkloadSource::Job(job) => {
            if let Some(j) = store.jobs.get_mut(job) {
                j.workload = Some(id);
            }
        }
        WorkloadSource::PodGroup(g) => {
            let pods = match store.pod_groups.get_mut(g) {
                Some(group) => {
                    group.workload = Some(id);
                    group.pods.clone()
                }
                None => Default::default(),
            };
            for p in pods {
                if let Some(p) = store.pods.get_mut(p) {
                    p.workload = Some(id);
                }
            }
        }
        WorkloadSource::Framework(f) => {
            if let Some(f) = store.frameworks.get_mut(f) {
                f.workload = Some(id);
            }
        }
        WorkloadSource::Snapshot { .. } => {}
    }
    // Kueue's integration posts `CreatedWorkload` on the object the Workload stands for.
    if let Some(owner) = owner_object(store, &w) {
        record(
            store,
            "CreatedWorkload",
            owner,
            format!("Created Workload: {}/{}", w.namespace, w.name),
        );
    }
    store.workloads.insert(id, w);
    vec![Change::WorkloadCreated(id)]
}

/// A Workload object given as input (a cluster snapshot): a pending one queues as any
/// Workload does; an admitted one (`status.admission`) holds its quota from the start, as
/// it does in the cluster the snapshot was taken from. Neither has pods.
pub(super) fn apply_snapshot(
    store: &mut Store,
    warnings: &mut Vec<String>,
    namespace: String,
    o: WorkloadObject,
) -> Vec<Change> {
    let now = store.now;
    let priority = o.priority.unwrap_or_else(|| {
        o.priority_class
            .as_ref()
            .and_then(|c| store.workload_priority_classes.get(c))
            .map(|c| c.value)
            .unwrap_or(0)
    });
    let mut w = Workload {
        namespace: namespace.clone(),
        name: o.meta.name.clone(),
        queue_name: o.queue_name.clone(),
        pod_name: o.meta.name.clone(),
        owner: o.meta.name.clone(),
        priority,
        priority_class: o.priority_class.clone(),
        ..Workload::queued(WorkloadSource::Snapshot { run_time: o.run_time }, now)
    };
    if o.snapshot_at.is_some() {
        store.snapshot_taken_at = o.snapshot_at;
    }
    let (created, reserved) = o.written_offsets();
    if let Some(c) = created {
        w.queue_timestamp = Stamp(c);
    }
    w.quota_reserved_written = reserved.map(Stamp).filter(|_| o.admission.is_some());
    w.set_pod_sets(
        o.pod_sets
            .iter()
            .map(|ps| PodSet {
                min_count: ps.min_count,
                topology_request: crate::kueue::tas::topology_request(&ps.template.annotations),
                ..PodSet::new(ps.name.clone(), ps.count, ps.template.spec.clone())
            })
            .collect(),
    );
    let Some(adm) = o.admission else {
        return create(store, w);
    };
    if !store.cluster_queues.contains_key(&adm.cluster_queue) {
        warnings.push(format!(
            "Workload {namespace}/{} is admitted in ClusterQueue {}, which does not exist; it queues instead",
            o.meta.name, adm.cluster_queue
        ));
        return create(store, w);
    }
    let id: WorkloadId = store.alloc();
    w.uid = id;
    w.set_state(now, WorkloadState::Admitted);
    w.admission = Some(Admission {
        cluster_queue: adm.cluster_queue.clone(),
        pod_set_assignments: adm
            .pod_set_assignments
            .into_iter()
            .map(|a| PodSetAssignment {
                name: a.name,
                flavors: a.flavors,
                resource_usage: a.resource_usage,
                count: a.count,
                topology_assignment: a
                    .topology
                    .map(|(levels, domains)| crate::store::TopologyAssignment { levels, domains }),
            })
            .collect(),
    });
    w.admitted_at = Some(now);
    record(
        store,
        "Normal",
        format!("Workload {namespace}/{}", w.name),
        format!("Admitted in ClusterQueue {} (from the snapshot)", adm.cluster_queue),
    );
    store.workloads.insert(id, w);
    vec![Change::WorkloadAdmitted { id, snapshot: true }]
}

pub(super) fn write(store: &mut Store, id: WorkloadId, write: WorkloadWrite) -> Vec<Change> {
    let now = store.now;
    let Some(w) = store.workloads.get_mut(id) else {
        return Vec::new();
    };
    match write {
        WorkloadWrite::Admit(admission) => {
            let wait = crate::units::Stamp::from(now).since(w.queue_timestamp);
            let msg = format!(
                "Quota reserved in ClusterQueue {}, wait time since queued was {:.0}s",
                admission.cluster_queue,
                wait.as_secs_f64()
            );
            w.admission = Some(admission);
            w.admitted_at = Some(now);
            w.pending_message = None;
            w.pending_reason = None;
            w.set_state(now, WorkloadState::Admitted);
            let obj = object(w);
            let admitted = format!(
                "Admitted by ClusterQueue {}, wait time since reservation was 0s",
                w.admission.as_ref().map_or("", |a| a.cluster_queue.as_str())
            );
            record(store, "QuotaReserved", obj.clone(), msg);
            // Without admission checks Kueue admits as it reserves.
            record_routine(store, "Admitted", obj, admitted);
            super::faults::note_admitted(store, id);
            vec![Change::WorkloadAdmitted { id, snapshot: false }]
        }
        WorkloadWrite::Pending { reason, message } => {
            if w.pending_message.as_deref() == Some(&message) {
                return Vec::new();
            }
            w.pending_message = Some(message.clone());
            w.pending_reason = Some(reason.clone());
            let obj = object(w);
            record(store, &reason, obj, message);
            Vec::new()
        }
        WorkloadWrite::Evict(why) => {
            if w.evicted_at.is_some() || w.finished_at.is_some() {
                return Vec::new();
            }
            if let Eviction::PodsReadyTimeout { requeue, .. } = &why {
                w.requeue_count = requeue.count;
                match requeue.requeue_at {
                    Some(at) => w.requeue_at = Some(at),
                    None => w.deactivated = true,
                }
                w.queue_timestamp = requeue.queue_timestamp;
            }
            w.evicted_at = Some(now);
            // Readmitted later, its quota is reserved anew.
            w.quota_reserved_written = None;
            w.set_state(now, WorkloadState::Evicted);
            w.evictions.push(match &why {
                Eviction::Preempted {
                    reason,
                    message,
                    preemptor,
                } => EvictionEvent {
                    at: now,
                    reason: "Preempted".into(),
                    preemption_reason: Some(reason.clone()),
                    preemptor: Some(*preemptor),
                    message: message.clone(),
                },
                Eviction::PodsReadyTimeout { message, .. } => EvictionEvent {
                    at: now,
                    reason: "PodsReadyTimeout".into(),
                    preemption_reason: None,
                    preemptor: None,
                    message: message.clone(),
                },
            });
            let obj = object(w);
            match why {
                Eviction::Preempted { reason, message, .. } => {
                    record(store, "Preempted", obj.clone(), format!("{message} ({reason})"));
                    record(store, "EvictedDueToPreempted", obj, message);
                }
                Eviction::PodsReadyTimeout { message, .. } => {
                    record(store, "EvictedDueToPodsReadyTimeout", obj, message);
                }
            }
            super::faults::note_evicted(store, id);
            vec![Change::WorkloadEvicted(id)]
        }
        WorkloadWrite::Finish { .. } if w.finished_at.is_some() => Vec::new(),
        WorkloadWrite::Finish { reason } => {
            w.finished_at = Some(now);
            // An evicted Workload that ends before it is requeued — a preempted pod's,
            // whose replacement queues as a new Workload — ended because Kueue evicted it:
            // its state stays Evicted, with the eviction's reason. Finished is for a
            // Workload whose pods completed or were deleted (a scale-down, a deletion).
            if w.current_state() != WorkloadState::Evicted {
                w.set_state(now, WorkloadState::Finished);
            }
            // Only flavor assignment reads the pod template, and a finished Workload is
            // never assigned again: a fleet's finished Workloads keep their records only.
            for ps in &mut w.pod_sets {
                ps.template = Default::default();
            }
            vec![Change::WorkloadFinished {
                workload: Box::new(w.clone()),
                reason,
            }]
        }
        WorkloadWrite::UnsetQuotaReservation => {
            let Some(adm) = w.admission.take() else {
                return Vec::new();
            };
            w.admitted_at = None;
            w.evicted_at = None;
            w.ready_at = None;
            w.set_state(now, WorkloadState::Pending);
            let obj = object(w);
            record(
                store,
                "Normal",
                obj,
                format!("Quota released in ClusterQueue {}; requeued", adm.cluster_queue),
            );
            vec![Change::WorkloadRequeued { id, released: adm }]
        }
        WorkloadWrite::PodsReady => {
            w.ready_at.get_or_insert(now);
            w.set_state(now, WorkloadState::Ready);
            vec![Change::WorkloadPodsReady]
        }
        WorkloadWrite::PodsNotReady => {
            if w.current_state() == WorkloadState::Ready {
                w.set_state(now, WorkloadState::Admitted);
            }
            Vec::new()
        }
        WorkloadWrite::Priority { priority, class } => {
            let old = w.priority;
            w.priority = priority;
            w.priority_class = class;
            let obj = object(w);
            record(
                store,
                "Normal",
                obj,
                format!("Priority changed from {old} to {priority}"),
            );
            Vec::new()
        }
        WorkloadWrite::ClearPendingMessage => {
            w.pending_message = None;
            Vec::new()
        }
        WorkloadWrite::Deactivate { limit } => {
            let message = format!(
                "The workload is deactivated due to exceeding the maximum number of re-queuing retries ({limit})"
            );
            w.pending_message = Some(message.clone());
            w.pending_reason = Some("Deactivated".into());
            w.set_state(now, WorkloadState::Pending);
            let obj = object(w);
            record(store, "WorkloadDeactivated", obj, message);
            Vec::new()
        }
        WorkloadWrite::BackingOff { until } => {
            w.pending_message = Some(format!("Requeuing after back-off at {until}"));
            Vec::new()
        }
        WorkloadWrite::BackoffOver { announce } => {
            w.requeue_at = None;
            if announce {
                let obj = object(w);
                record(
                    store,
                    "Requeued",
                    obj,
                    "The back-off after the PodsReady timeout is over",
                );
            }
            Vec::new()
        }
    }
}
