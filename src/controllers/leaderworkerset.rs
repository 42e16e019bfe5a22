//! The LeaderWorkerSet controller, reduced to what scheduling sees: group `i` is a leader
//! pod `<name>-<i>` and workers `<name>-<i>-<j>`; missing pods are created (a preempted
//! group comes back whole once its pods are gone), groups beyond `replicas` are deleted.
//! The leader and worker StatefulSets it manages in reality are not modelled.

use super::WorkQueue;
use crate::engine::action::{Action, PodWrite};
use crate::engine::change::Change;
use crate::engine::components::{Component, Cx};
use crate::store::{LeaderWorkerSetId, Store};

pub(crate) const NAME_LABEL: &str = "leaderworkerset.sigs.k8s.io/name";
pub(crate) const GROUP_INDEX_LABEL: &str = "leaderworkerset.sigs.k8s.io/group-index";
pub(crate) const WORKER_INDEX_LABEL: &str = "leaderworkerset.sigs.k8s.io/worker-index";

pub(crate) fn pod_name(lws: &str, group: i32, worker: i32) -> String {
    if worker == 0 {
        format!("{lws}-{group}")
    } else {
        format!("{lws}-{group}-{worker}")
    }
}

pub(crate) fn reconcile(store: &Store, id: LeaderWorkerSetId) -> Vec<Action> {
    let Some(lws) = store.leader_worker_sets.get(id) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for group in 0..lws.spec.replicas {
        for worker in 0..lws.spec.size {
            if !store
                .pods
                .name_taken(&lws.namespace, &pod_name(&lws.name, group, worker))
            {
                out.push(Action::CreateLwsPod { lws: id, group, worker });
            }
        }
    }
    for p in lws.pods.iter().filter_map(|p| store.pods.get(*p)) {
        let group: i32 = p
            .labels
            .get(GROUP_INDEX_LABEL)
            .and_then(|g| g.parse().ok())
            .unwrap_or(0);
        if group >= lws.spec.replicas && p.deletion.is_none() {
            out.push(Action::Pod(p.uid, PodWrite::Delete { grace: None }));
        }
    }
    out
}

/// The LeaderWorkerSet controller: its sets, woken by their own changes and their pods' ends.
#[derive(Default)]
pub(crate) struct LeaderWorkerSetController {
    queue: WorkQueue<LeaderWorkerSetId>,
}

impl Component for LeaderWorkerSetController {
    fn on_change(&mut self, cx: &mut Cx, change: &Change) -> Vec<Action> {
        match change {
            Change::LeaderWorkerSet(id) => self.queue.add(*id),
            Change::PodTerminating(p) => self.queue.extend(cx.store.pods.get(*p).and_then(|p| p.owner_lws)),
            Change::PodRemoved { pod, .. } => self.queue.extend(pod.owner_lws),
            _ => {}
        }
        Vec::new()
    }

    fn reconcile_next(&mut self, cx: &mut Cx) -> Option<Vec<Action>> {
        self.queue.pop().map(|id| reconcile(cx.store, id))
    }
}
