//! The queue manager (`pkg/queue`): per ClusterQueue, a heap of pending workloads ordered
//! by priority, then queue-order timestamp, then creation; and the inadmissible set that
//! BestEffortFIFO parks workloads in until something in the ClusterQueue changes; and
//! BestEffortFIFO's sticky head, the preemptor that keeps its place until it is admitted.

use crate::api::kueue::QueueingStrategy;
use crate::store::{Workload, WorkloadId};
use crate::units::Stamp;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

/// A pending Workload's place in its queue: priority, then queue-order timestamp, then
/// creation order (Kueue leaves ties to its heap; creation order keeps a snapshot's
/// `creationTimestamp` order and is stable). Fields compare in this order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct QueueKey {
    pub(crate) priority: Reverse<i32>,
    pub(crate) timestamp: Stamp,
    pub(crate) workload: WorkloadId,
    pub(crate) name: String,
}

pub(crate) fn key_of(w: &Workload) -> QueueKey {
    QueueKey {
        priority: Reverse(w.priority),
        timestamp: w.queue_timestamp,
        workload: w.uid,
        name: w.name.clone(),
    }
}

#[derive(Debug, Default, Clone)]
pub(crate) struct ClusterQueueQueue {
    pub active: BTreeSet<QueueKey>,
    pub inadmissible: BTreeSet<QueueKey>,
    /// StrictFIFO: the head did not fit; nothing is tried until the queue is requeued.
    pub blocked: bool,
    /// BestEffortFIFO's sticky head (Kueue's `preemptorWorkload`, Kueue#6947): the workload
    /// that issued preemptions stays first in its queue until it is admitted or deleted,
    /// so a head that can never fit cannot take the freed quota's turn and send the
    /// victims back in, over and over.
    pub sticky: Option<QueueKey>,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct QueueManager {
    pub queues: BTreeMap<String, ClusterQueueQueue>,
    /// Workloads whose LocalQueue or ClusterQueue does not exist (yet).
    pub orphans: BTreeSet<WorkloadId>,
    /// Admission decisions taken (a head admitted or found not to fit), for benchmarks.
    pub decisions: u64,
}

impl QueueManager {
    pub(crate) fn push(&mut self, cq: &str, w: &Workload) {
        let q = self.queues.entry(cq.to_string()).or_default();
        let key = key_of(w);
        q.inadmissible.remove(&key);
        // The sticky head follows its workload through a priority change.
        if let Some(sticky) = q.sticky.as_mut().filter(|s| s.workload == w.uid) {
            q.active.remove(sticky);
            q.inadmissible.remove(sticky);
            *sticky = key.clone();
        }
        q.active.insert(key);
        // The new workload may sort before a blocked StrictFIFO head.
        q.blocked = false;
    }

    pub(crate) fn remove(&mut self, cq: &str, w: &Workload) {
        if let Some(q) = self.queues.get_mut(cq) {
            let k = key_of(w);
            // A deleted StrictFIFO head no longer blocks the workloads behind it.
            if q.active.first() == Some(&k) {
                q.blocked = false;
            }
            q.active.remove(&k);
            q.inadmissible.remove(&k);
            if q.sticky.as_ref().is_some_and(|s| s.workload == w.uid) {
                q.sticky = None;
            }
        }
        self.orphans.remove(&w.uid);
    }

    /// Takes the head of a ClusterQueue for this scheduling cycle.
    pub(crate) fn pop_head(&mut self, cq: &str) -> Option<QueueKey> {
        let q = self.queues.get_mut(cq)?;
        if q.blocked {
            return None;
        }
        if let Some(sticky) = q.sticky.as_ref().filter(|s| q.active.contains(*s)) {
            let head = sticky.clone();
            q.active.remove(&head);
            return Some(head);
        }
        q.active.pop_first()
    }

    /// Puts back a head that did not fit, as `RequeueIfNotPresent` does per strategy.
    pub(crate) fn requeue_not_fitting(&mut self, cq: &str, key: QueueKey, strategy: QueueingStrategy) {
        let q = self.queues.entry(cq.to_string()).or_default();
        match strategy {
            QueueingStrategy::StrictFIFO => {
                q.active.insert(key);
                q.blocked = true;
            }
            QueueingStrategy::BestEffortFIFO => {
                q.inadmissible.insert(key);
            }
        }
    }

    /// Puts a head back among the active workloads for the next cycle.
    pub(crate) fn requeue_now(&mut self, cq: &str, key: QueueKey) {
        self.queues.entry(cq.to_string()).or_default().active.insert(key);
    }

    /// Puts back a head that waits for the victims it preempted (`PendingPreemption`):
    /// active at once, and under BestEffortFIFO the sticky head of its queue.
    pub(crate) fn requeue_preempting(&mut self, cq: &str, key: QueueKey, strategy: QueueingStrategy) {
        let q = self.queues.entry(cq.to_string()).or_default();
        if strategy == QueueingStrategy::BestEffortFIFO {
            q.sticky = Some(key.clone());
        }
        q.active.insert(key);
    }

    /// `QueueInadmissibleWorkloads`: something changed (quota released, spec changed),
    /// so every parked workload gets another chance.
    pub(crate) fn requeue_all(&mut self, cq: &str) {
        if let Some(q) = self.queues.get_mut(cq) {
            let parked = std::mem::take(&mut q.inadmissible);
            q.active.extend(parked);
            q.blocked = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::core::ResourceList;

    fn wl(uid: u64, name: &str, priority: i32, ts: u64) -> Workload {
        Workload {
            uid: WorkloadId::from_raw(uid),
            namespace: "ns".into(),
            name: name.into(),
            queue_name: "q".into(),
            pod_name: name.into(),
            owner: name.into(),
            priority,
            requests: ResourceList::default(),
            ..Workload::queued(
                crate::store::WorkloadSource::Pod(crate::store::PodId::from_raw(uid)),
                crate::units::SimTime(ts),
            )
        }
    }

    #[test]
    fn heads_come_by_priority_then_fifo_then_creation() {
        let mut qm = QueueManager::default();
        let ws = [
            wl(1, "b", 0, 10),
            wl(2, "a", 0, 10),
            wl(3, "c", 100, 20),
            wl(4, "d", 0, 5),
        ];
        for w in &ws {
            qm.push("cq", w);
        }
        let order: Vec<String> = std::iter::from_fn(|| qm.pop_head("cq")).map(|k| k.name).collect();
        // b and a were queued at the same instant; b was created first.
        assert_eq!(order, ["c", "d", "b", "a"]);
    }

    #[test]
    fn best_effort_parks_and_strict_blocks() {
        let mut qm = QueueManager::default();
        qm.push("cq", &wl(1, "big", 0, 1));
        qm.push("cq", &wl(2, "small", 0, 2));
        let head = qm.pop_head("cq").unwrap();
        qm.requeue_not_fitting("cq", head.clone(), QueueingStrategy::BestEffortFIFO);
        assert_eq!(
            qm.pop_head("cq").unwrap().name,
            "small",
            "BestEffortFIFO lets the next one try"
        );

        let mut strict = QueueManager::default();
        strict.push("cq", &wl(1, "big", 0, 1));
        strict.push("cq", &wl(2, "small", 0, 2));
        let head = strict.pop_head("cq").unwrap();
        strict.requeue_not_fitting("cq", head, QueueingStrategy::StrictFIFO);
        assert!(strict.pop_head("cq").is_none(), "StrictFIFO head blocks the queue");
        strict.requeue_all("cq");
        assert_eq!(strict.pop_head("cq").unwrap().name, "big");
    }

    #[test]
    fn a_best_effort_preemptor_stays_the_head_until_it_leaves() {
        let mut qm = QueueManager::default();
        let (first, preemptor) = (wl(1, "first", 0, 1), wl(2, "preemptor", 0, 2));
        qm.push("cq", &first);
        qm.push("cq", &preemptor);
        let parked = qm.pop_head("cq").unwrap();
        qm.requeue_not_fitting("cq", parked, QueueingStrategy::BestEffortFIFO);
        let head = qm.pop_head("cq").unwrap();
        assert_eq!(head.name, "preemptor");
        qm.requeue_preempting("cq", head, QueueingStrategy::BestEffortFIFO);
        // Quota came back: the parked head returns, but the preemptor keeps its turn.
        qm.requeue_all("cq");
        let head = qm.pop_head("cq").unwrap();
        assert_eq!(head.name, "preemptor");
        qm.requeue_preempting("cq", head, QueueingStrategy::BestEffortFIFO);
        // Admitted: it leaves the queue, and the order is FIFO again.
        qm.pop_head("cq");
        qm.remove("cq", &preemptor);
        assert_eq!(qm.pop_head("cq").unwrap().name, "first");
    }

    #[test]
    fn a_strict_preemptor_is_not_sticky() {
        let mut qm = QueueManager::default();
        qm.push("cq", &wl(1, "low", 0, 2));
        qm.push("cq", &wl(2, "high", 10, 3));
        let head = qm.pop_head("cq").unwrap();
        qm.requeue_preempting("cq", head, QueueingStrategy::StrictFIFO);
        qm.push("cq", &wl(3, "higher", 20, 4));
        assert_eq!(qm.pop_head("cq").unwrap().name, "higher");
    }
}
