//! Kueue's `waitForPodsReady` (the workload controller's PodsReady timeout and requeuing
//! back-off): an admitted Workload whose pods are not all Ready within the timeout is
//! evicted with reason `PodsReadyTimeout`; it queues again after base × 2^(n−1) seconds,
//! ordered by its eviction time unless `requeuingStrategy.timestamp` is `Creation`, and is
//! deactivated once it has been requeued more than `backoffLimitCount` times.

use super::world::{Source, Uid, WorkloadState};
use super::{Engine, EventKind};
use crate::units::SimTime;

/// Why Kueue evicts a Workload.
#[derive(Debug, Clone, PartialEq)]
pub enum Eviction {
    /// To make room for another (`Preempted`, with the preemption reason).
    Preempted { reason: String, message: String },
    /// Its pods were not all Ready in time.
    PodsReadyTimeout { message: String },
}

impl Engine {
    /// Starts the PodsReady clock of a Workload admitted now.
    pub(crate) fn watch_pods_ready(&mut self, uid: Uid) {
        let Some(cfg) = self.world.kueue_config.wait_for_pods_ready.clone() else {
            return;
        };
        let Some(w) = self.world.workloads.get(&uid) else {
            return;
        };
        // A snapshot's Workloads have no pods to wait for.
        if matches!(w.source, Source::Snapshot { .. }) {
            return;
        }
        let admitted_at = w.admitted_at.unwrap_or(self.world.now);
        self.schedule_in(
            cfg.timeout,
            EventKind::PodsReadyTimeout {
                workload: uid,
                admitted_at,
            },
        );
    }

    /// The timeout of the admission at `admitted_at` is over: evict unless all pods are
    /// Ready (or the Workload was evicted, finished or admitted again meanwhile).
    pub(crate) fn pods_ready_timeout(&mut self, uid: Uid, admitted_at: SimTime) {
        let Some(cfg) = self.world.kueue_config.wait_for_pods_ready.clone() else {
            return;
        };
        let now = self.world.now;
        let Some(w) = self.world.workloads.get_mut(&uid) else {
            return;
        };
        let current = w.admission.is_some() && w.admitted_at == Some(admitted_at);
        if !current || w.evicted_at.is_some() || w.finished_at.is_some() || w.ready_at.is_some() {
            return;
        }
        w.requeue_count += 1;
        let count = w.requeue_count;
        if cfg.backoff_limit_count.is_some_and(|limit| count > limit) {
            w.deactivated = true;
        } else {
            w.requeue_at = Some(now + cfg.backoff(count));
        }
        if !cfg.requeue_by_creation {
            w.queue_timestamp = now;
        }
        let message = format!("Exceeded the PodsReady timeout {}/{}", w.namespace, w.name);
        self.evict_workload(uid, Eviction::PodsReadyTimeout { message });
    }

    /// Queues an evicted Workload again, now or when its back-off ends; a deactivated one
    /// stays out of the queue.
    pub(crate) fn requeue_after_backoff(&mut self, uid: Uid) {
        let now = self.world.now;
        let Some(w) = self.world.workloads.get_mut(&uid) else {
            return;
        };
        let obj = format!("Workload {}/{}", w.namespace, w.name);
        if w.deactivated {
            let limit = self
                .world
                .kueue_config
                .wait_for_pods_ready
                .as_ref()
                .and_then(|c| c.backoff_limit_count)
                .unwrap_or(0);
            let message = format!(
                "The workload is deactivated due to exceeding the maximum number of re-queuing retries ({limit})"
            );
            w.pending_message = Some(message.clone());
            w.pending_reason = Some("Deactivated".into());
            w.set_state(now, WorkloadState::Pending);
            self.record("WorkloadDeactivated", obj, message);
            return;
        }
        match w.requeue_at {
            Some(at) if at > now => {
                w.pending_message = Some(format!("Requeuing after back-off at {at}"));
                self.schedule_at(at, EventKind::RequeueDue { workload: uid });
            }
            _ => {
                w.requeue_at = None;
                self.queue_workload(uid);
            }
        }
    }

    /// A Workload's back-off is over: it queues again.
    pub(crate) fn requeue_due(&mut self, uid: Uid) {
        let Some(w) = self.world.workloads.get_mut(&uid) else {
            return;
        };
        if w.admission.is_some() || w.finished_at.is_some() || w.deactivated {
            return;
        }
        w.requeue_at = None;
        let obj = format!("Workload {}/{}", w.namespace, w.name);
        self.record("Requeued", obj, "The back-off after the PodsReady timeout is over");
        self.queue_workload(uid);
    }

    /// A Workload became Ready: with `blockAdmission`, admissions held back for it may go.
    pub(crate) fn pods_ready_changed(&mut self) {
        if self
            .world
            .kueue_config
            .wait_for_pods_ready
            .as_ref()
            .is_some_and(|c| c.block_admission)
        {
            self.queues.kueue_scheduler = true;
        }
    }
}
