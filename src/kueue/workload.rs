//! Kueue's Workload controller and event handlers (`pkg/controller/core/workload_controller.go`
//! with the cache and queue updates its watches make): a new Workload goes to its
//! ClusterQueue's queue (or waits as an orphan until its queues exist); an admitted one
//! holds quota in the cache and starts its pods through its integration; an evicted one is
//! stopped and, once its pods are gone, requeued; a finished one releases its quota.
//!
//! `waitForPodsReady`: an admitted Workload whose pods are not all Ready within the timeout
//! is evicted with reason `PodsReadyTimeout`; it queues again after base × 2^(n−1)
//! seconds, ordered by its eviction time unless `requeuingStrategy.timestamp` is
//! `Creation`, and is deactivated once it has been requeued more than `backoffLimitCount`
//! times.

use super::scheduler::REASON_INADMISSIBLE;
use super::Kueue;
use crate::engine::action::{Action, Eviction, PodWrite, RequeueState, WorkloadWrite};
use crate::engine::change::{Change, GroupAfter};
use crate::engine::components::{Cx, Timer};
use crate::store::{LogEvent, ObjectKey, PodId, Store, Workload, WorkloadId, WorkloadSource, WorkloadState};
use crate::units::SimTime;

/// What Kueue's controllers wait for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum KueueTimer {
    /// `waitForPodsReady.timeout` after the admission at `admitted_at` (stale if the
    /// Workload was admitted again since).
    PodsReadyTimeout { workload: WorkloadId, admitted_at: SimTime },
    /// A Workload's requeuing back-off is over.
    RequeueDue(WorkloadId),
    /// A snapshot Workload's run time since admission is over.
    SnapshotDone(WorkloadId),
    /// `waitForPodsReady.recoveryTimeout` after its pods stopped being all Ready at
    /// `since` (stale if they were Ready again since).
    RecoveryTimeout { workload: WorkloadId, since: SimTime },
}

pub(super) fn on_change(k: &mut Kueue, cx: &mut Cx, change: &Change) -> Vec<Action> {
    let store = cx.store;
    match change {
        Change::Namespace | Change::Flavor | Change::Cohort => {
            k.requeue_all_cluster_queues(store);
            Vec::new()
        }
        Change::ClusterQueue { name } => {
            k.queues.queues.entry(name.clone()).or_default();
            let actions = requeue_orphans(k, store);
            k.requeue_cluster_queue(store, name);
            actions
        }
        Change::LocalQueue => requeue_orphans(k, store),
        Change::PodCreated(p) => {
            if store.pods.get(*p).is_some_and(super::pod::is_managed) {
                k.pods.add(*p);
            }
            let gated = store
                .pods
                .get(*p)
                .is_some_and(|p| p.spec.scheduling_gates.iter().any(|g| g == super::tas::TOPOLOGY_GATE));
            if gated {
                k.topology.add(*p);
            }
            Vec::new()
        }
        Change::PodGroupJoined(g) => {
            // Every member is reconciled again: the group may now be complete.
            if let Some(g) = store.pod_groups.get(*g) {
                k.pods.extend(g.pods.iter().copied());
            }
            Vec::new()
        }
        Change::PodTerminating(p) | Change::PodNotReady(p) => {
            let Some(pod) = store.pods.get(*p) else {
                return Vec::new();
            };
            k.jobs.extend(pod.owner_job);
            pods_not_ready(k, cx, *p)
        }
        Change::PodRemoved { pod, group } => {
            k.jobs.extend(pod.owner_job);
            let framework = pod
                .owner_job
                .and_then(|j| store.jobs.get(j))
                .and_then(|j| j.owner_framework);
            k.frameworks.extend(framework.map(|(f, _)| f));
            let finished = match group {
                // A group's Workload ends with the last of its pods.
                GroupAfter::Emptied(w) => w.map(|w| (w, "Pods deleted")),
                GroupAfter::Remaining => None,
                GroupAfter::NoGroup => pod.workload.map(|w| (w, "Pod deleted")),
            };
            finished
                .map(|(w, reason)| Action::Workload(w, WorkloadWrite::Finish { reason: reason.into() }))
                .into_iter()
                .collect()
        }
        Change::PodReady(p) | Change::PodReadyAgain(p) => pods_ready(store, *p),
        Change::PodLabels(p) => reprioritize(k, store, *p),
        Change::Job(j) | Change::JobCompleted(j) => {
            k.jobs.add(*j);
            Vec::new()
        }
        Change::Framework(f) => {
            k.frameworks.add(*f);
            Vec::new()
        }
        Change::WorkloadCreated(w) => queue_workload(k, store, *w),
        Change::WorkloadAdmitted { id, snapshot } => {
            k.cache.touch(*id);
            admitted(k, cx, *id, *snapshot)
        }
        Change::WorkloadEvicted(w) => {
            k.cache.touch(*w);
            stop(k, store, *w)
        }
        Change::WorkloadFinished { workload, reason } => {
            k.cache.touch(workload.uid);
            finished(k, store, workload, reason)
        }
        Change::WorkloadRequeued { id, released } => {
            k.cache.touch(*id);
            k.cache.release(released);
            let actions = requeue_after_backoff(k, cx, *id);
            k.requeue_cluster_queue(cx.store, &released.cluster_queue);
            actions
        }
        Change::WorkloadPodsReady => {
            // With blockAdmission, admissions held back for it may go.
            if k.blocks_admission() {
                k.schedule = true;
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

pub(super) fn on_timer(k: &mut Kueue, cx: &mut Cx, timer: KueueTimer) -> Vec<Action> {
    match timer {
        KueueTimer::PodsReadyTimeout { workload, admitted_at } => pods_ready_timeout(k, cx, workload, admitted_at),
        KueueTimer::RecoveryTimeout { workload, since } => recovery_timeout(k, cx, workload, since),
        KueueTimer::RequeueDue(id) => {
            let Some(w) = cx.store.workloads.get(id) else {
                return Vec::new();
            };
            if w.admission.is_some() || w.finished_at.is_some() || w.deactivated {
                return Vec::new();
            }
            let mut actions = vec![Action::Workload(id, WorkloadWrite::BackoffOver { announce: true })];
            actions.extend(queue_workload(k, cx.store, id));
            actions
        }
        KueueTimer::SnapshotDone(id) => {
            let now = cx.now();
            let Some(w) = cx.store.workloads.get(id) else {
                return Vec::new();
            };
            let WorkloadSource::Snapshot { run_time: Some(d) } = w.source else {
                return Vec::new();
            };
            let due = w.admitted_at.is_some_and(|a| a + d <= now) && w.evicted_at.is_none();
            if due && w.finished_at.is_none() {
                return vec![Action::Workload(
                    id,
                    WorkloadWrite::Finish {
                        reason: "Finished".into(),
                    },
                )];
            }
            Vec::new()
        }
    }
}

/// Routes a pending workload to its ClusterQueue, or parks it as an orphan with Kueue's
/// Inadmissible reason when its LocalQueue or ClusterQueue is missing.
fn queue_workload(k: &mut Kueue, store: &Store, id: WorkloadId) -> Vec<Action> {
    let Some(w) = store.workloads.get(id) else {
        return Vec::new();
    };
    let lq = store
        .local_queues
        .get(&ObjectKey::new(w.namespace.as_str(), w.queue_name.as_str()));
    let cq = match lq {
        None => Err(format!("LocalQueue {} doesn't exist", w.queue_name)),
        Some(l) if !store.cluster_queues.contains_key(&l.cluster_queue) => {
            Err(format!("ClusterQueue {} doesn't exist", l.cluster_queue))
        }
        Some(l) => Ok(l.cluster_queue.as_str()),
    };
    match cq {
        Err(message) => {
            k.queues.orphans.insert(id);
            vec![Action::Workload(
                id,
                WorkloadWrite::Pending {
                    reason: REASON_INADMISSIBLE.into(),
                    message,
                },
            )]
        }
        Ok(cq) => {
            k.queues.orphans.remove(&id);
            k.queues.push(cq, w);
            k.schedule = true;
            Vec::new()
        }
    }
}

/// A LocalQueue or ClusterQueue appeared: the orphans try their queues again.
fn requeue_orphans(k: &mut Kueue, store: &Store) -> Vec<Action> {
    let orphans: Vec<WorkloadId> = k.queues.orphans.iter().copied().collect();
    let mut actions = Vec::new();
    for o in orphans {
        if store.workloads.contains(o) {
            actions.push(Action::Workload(o, WorkloadWrite::ClearPendingMessage));
        }
        actions.extend(queue_workload(k, store, o));
    }
    actions
}

/// Quota reserved: the cache holds it, the integration starts the Workload's pods, and the
/// PodsReady clock (and a snapshot Workload's run time) starts.
fn admitted(k: &mut Kueue, cx: &mut Cx, id: WorkloadId, snapshot: bool) -> Vec<Action> {
    let store = cx.store;
    let Some(w) = store.workloads.get(id) else {
        return Vec::new();
    };
    if let Some(a) = &w.admission {
        k.cache.reserve(a);
    }
    match w.source {
        WorkloadSource::Pod(p) => k.pods.add(p),
        WorkloadSource::Job(j) => k.jobs.add(j),
        WorkloadSource::Framework(f) => k.frameworks.add(f),
        WorkloadSource::PodGroup(g) => {
            if let Some(g) = store.pod_groups.get(g) {
                k.pods.extend(g.pods.iter().copied());
            }
        }
        WorkloadSource::Snapshot { .. } => {}
    }
    if let WorkloadSource::Snapshot { run_time: Some(d) } = w.source {
        cx.after(d, Timer::Kueue(KueueTimer::SnapshotDone(id)));
    }
    // A snapshot's Workloads have no pods to wait for.
    if let (Some(cfg), false) = (
        &k.config.wait_for_pods_ready,
        matches!(w.source, WorkloadSource::Snapshot { .. }),
    ) {
        let admitted_at = w.admitted_at.unwrap_or(cx.now());
        cx.after(
            cfg.timeout,
            Timer::Kueue(KueueTimer::PodsReadyTimeout {
                workload: id,
                admitted_at,
            }),
        );
    }
    if snapshot {
        if let Some(a) = &w.admission {
            k.requeue_cluster_queue(store, &a.cluster_queue);
        }
    }
    Vec::new()
}

/// Evicted: the integration stops what runs. A pod's deletion, a Job's suspension; the
/// quota returns once the pods are gone. A snapshot's Workload has nothing running and
/// queues again at once.
fn stop(k: &mut Kueue, store: &Store, id: WorkloadId) -> Vec<Action> {
    let Some(w) = store.workloads.get(id) else {
        return Vec::new();
    };
    let delete = |p: PodId| Action::Pod(p, PodWrite::Delete { grace: None });
    match w.source {
        WorkloadSource::Pod(pod) => vec![delete(pod)],
        WorkloadSource::Job(job) => {
            k.jobs.add(job);
            Vec::new()
        }
        WorkloadSource::Framework(f) => {
            k.frameworks.add(f);
            Vec::new()
        }
        WorkloadSource::PodGroup(_) => store.pods_of(w).into_iter().map(delete).collect(),
        WorkloadSource::Snapshot { .. } => vec![Action::Workload(id, WorkloadWrite::UnsetQuotaReservation)],
    }
}

fn finished(k: &mut Kueue, store: &Store, w: &Workload, reason: &str) -> Vec<Action> {
    if let Some(adm) = &w.admission {
        k.cache.release(adm);
        let event = LogEvent {
            t: store.now,
            kind: "Normal".into(),
            object: format!("Workload {}/{}", w.namespace, w.name),
            message: format!("{reason}; quota released in ClusterQueue {}", adm.cluster_queue),
        };
        k.queues.remove(&adm.cluster_queue, w);
        k.requeue_cluster_queue(store, &adm.cluster_queue);
        return vec![Action::Event(event)];
    }
    match store.cluster_queue_of(w) {
        Some(cq) => {
            k.queues.remove(cq, w);
            // The workloads behind it (a StrictFIFO queue) may go now.
            k.schedule = true;
        }
        None => {
            k.queues.orphans.remove(&w.uid);
        }
    }
    Vec::new()
}

/// Whether a Ready pod makes its Workload's pods all Ready (Kueue's PodsReady): a Job's
/// once `pod_count` of its pods are, a pod's or a group's once all of them are.
fn pods_ready(store: &Store, p: PodId) -> Vec<Action> {
    let Some(pod) = store.pods.get(p) else {
        return Vec::new();
    };
    let mut actions = Vec::new();
    if let Some(j) = pod.owner_job.and_then(|j| store.jobs.get(j)) {
        if let Some(w) = store.job_workload(j).and_then(|w| store.workloads.get(w)) {
            // A Job's pods, or all the pods of a framework's child Jobs.
            let ready = store
                .pods_of(w)
                .iter()
                .filter(|p| store.pods.get(**p).is_some_and(|p| p.is_ready()))
                .count();
            if ready >= w.pod_count() as usize && w.evicted_at.is_none() {
                actions.push(Action::Workload(w.uid, WorkloadWrite::PodsReady));
            }
        }
    }
    if let Some(w) = pod.workload.filter(|w| store.workloads.contains(*w)) {
        if store.pods_of_workload_ready(Some(w)) {
            actions.push(Action::Workload(w, WorkloadWrite::PodsReady));
        }
    }
    actions
}

/// A pod of a running Workload stopped being Ready (it is terminating, or its node went
/// NotReady): the Workload's `PodsReady` turns False (`WaitForRecovery`), and with a
/// `recoveryTimeout` it has that long to recover.
fn pods_not_ready(k: &mut Kueue, cx: &mut Cx, p: PodId) -> Vec<Action> {
    let store = cx.store;
    let Some(pod) = store.pods.get(p) else {
        return Vec::new();
    };
    let job_workload = pod
        .owner_job
        .and_then(|j| store.jobs.get(j))
        .and_then(|j| store.job_workload(j));
    let Some(w) = pod.workload.or(job_workload).and_then(|w| store.workloads.get(w)) else {
        return Vec::new();
    };
    if w.current_state() != WorkloadState::Ready {
        return Vec::new();
    }
    let recovery = k.config.wait_for_pods_ready.as_ref().and_then(|c| c.recovery_timeout);
    if let Some(timeout) = recovery {
        let since = cx.now();
        cx.after(
            timeout,
            Timer::Kueue(KueueTimer::RecoveryTimeout { workload: w.uid, since }),
        );
    }
    vec![Action::Workload(w.uid, WorkloadWrite::PodsNotReady)]
}

/// A Workload waiting for recovery since `since` is still not Ready: evicted as for a
/// PodsReady timeout (underlying cause `WaitForRecovery`), requeued after the back-off.
fn recovery_timeout(k: &mut Kueue, cx: &mut Cx, id: WorkloadId, since: SimTime) -> Vec<Action> {
    let Some(cfg) = k.config.wait_for_pods_ready.clone() else {
        return Vec::new();
    };
    let now = cx.now();
    let Some(w) = cx.store.workloads.get(id) else {
        return Vec::new();
    };
    let waiting = w.history.last() == Some(&(since, WorkloadState::Admitted));
    if !waiting || w.admission.is_none() || w.evicted_at.is_some() || w.finished_at.is_some() {
        return Vec::new();
    }
    let requeue = next_requeue(&cfg, w, now);
    let message = format!(
        "Exceeded the PodsReady timeout {}/{} while waiting for recovery",
        w.namespace, w.name
    );
    vec![Action::Workload(
        id,
        WorkloadWrite::Evict(Eviction::PodsReadyTimeout { message, requeue }),
    )]
}

/// The requeuing state after a PodsReady eviction at `now`: the next back-off, or
/// deactivation past `backoffLimitCount`, and the queue-order timestamp it takes.
fn next_requeue(cfg: &crate::api::kueue::WaitForPodsReady, w: &Workload, now: SimTime) -> RequeueState {
    let count = w.requeue_count + 1;
    let deactivate = cfg.backoff_limit_count.is_some_and(|limit| count > limit);
    RequeueState {
        count,
        requeue_at: (!deactivate).then(|| now + cfg.backoff(count)),
        queue_timestamp: if cfg.requeue_by_creation {
            w.queue_timestamp
        } else {
            now.into()
        },
    }
}

/// A pod's priority label changed: its Workload takes the new priority (Kueue keeps a
/// Workload's priority in step with its `kueue.x-k8s.io/priority-class`), re-sorted in
/// its queue when pending; an admitted one keeps running and is judged by the new
/// priority in later preemptions.
fn reprioritize(k: &mut Kueue, store: &Store, pod: PodId) -> Vec<Action> {
    let Some(p) = store.pods.get(pod) else {
        return Vec::new();
    };
    let Some(w) = p.workload.and_then(|w| store.workloads.get(w)) else {
        return Vec::new();
    };
    let (priority, class) = super::pod::priority_of(store, p);
    if w.priority == priority && w.priority_class == class {
        return Vec::new();
    }
    let cq = store.cluster_queue_of(w);
    let queued = cq.filter(|c| w.is_pending() && k.queues.queues.contains_key(*c));
    if let Some(c) = queued {
        k.queues.remove(c, w);
        let mut moved = w.clone();
        moved.priority = priority;
        moved.priority_class = class.clone();
        k.queues.push(c, &moved);
    }
    k.schedule = true;
    // Its candidate's priority changes with the write.
    k.cache.touch(w.uid);
    vec![Action::Workload(w.uid, WorkloadWrite::Priority { priority, class })]
}

/// The timeout of the admission at `admitted_at` is over: evict unless all pods are Ready
/// (or the Workload was evicted, finished or admitted again meanwhile).
fn pods_ready_timeout(k: &mut Kueue, cx: &mut Cx, id: WorkloadId, admitted_at: SimTime) -> Vec<Action> {
    let Some(cfg) = k.config.wait_for_pods_ready.clone() else {
        return Vec::new();
    };
    let now = cx.now();
    let Some(w) = cx.store.workloads.get(id) else {
        return Vec::new();
    };
    let current = w.admission.is_some() && w.admitted_at == Some(admitted_at);
    if !current || w.evicted_at.is_some() || w.finished_at.is_some() || w.ready_at.is_some() {
        return Vec::new();
    }
    let requeue = next_requeue(&cfg, w, now);
    let message = format!("Exceeded the PodsReady timeout {}/{}", w.namespace, w.name);
    vec![Action::Workload(
        id,
        WorkloadWrite::Evict(Eviction::PodsReadyTimeout { message, requeue }),
    )]
}

/// Queues an evicted Workload again, now or when its back-off ends; a deactivated one
/// stays out of the queue.
fn requeue_after_backoff(k: &mut Kueue, cx: &mut Cx, id: WorkloadId) -> Vec<Action> {
    let Some(w) = cx.store.workloads.get(id) else {
        return Vec::new();
    };
    if w.deactivated {
        let limit = k
            .config
            .wait_for_pods_ready
            .as_ref()
            .and_then(|c| c.backoff_limit_count)
            .unwrap_or(0);
        return vec![Action::Workload(id, WorkloadWrite::Deactivate { limit })];
    }
    match w.requeue_at {
        Some(at) if at > cx.now() => {
            cx.at(at, Timer::Kueue(KueueTimer::RequeueDue(id)));
            vec![Action::Workload(id, WorkloadWrite::BackingOff { until: at })]
        }
        _ => {
            let mut actions = vec![Action::Workload(id, WorkloadWrite::BackoffOver { announce: false })];
            actions.extend(queue_workload(k, cx.store, id));
            actions
        }
    }
}
