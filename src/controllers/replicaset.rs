//! The ReplicaSet controller: create or delete pods to match spec.replicas, deleting in
//! the order `getPodsToDelete` ranks them.

use super::WorkQueue;
use crate::engine::action::{Action, PodWrite};
use crate::engine::change::Change;
use crate::engine::components::{Component, Cx};
use crate::store::{Pod, ReplicaSetId, Store};

/// `ActivePodsWithRanks.Less`, reduced to the signals the simulation has: unassigned
/// before assigned, not running before running, not ready before ready, later-ready
/// before earlier-ready, newer before older.
fn deletion_rank(p: &Pod) -> impl Ord {
    (
        p.node.is_some(),
        p.phase() == "Running",
        p.is_ready(),
        std::cmp::Reverse(p.ready_at),
        std::cmp::Reverse(p.created),
        std::cmp::Reverse(p.uid),
    )
}

pub(crate) fn reconcile(store: &Store, id: ReplicaSetId) -> Vec<Action> {
    let Some(rs) = store.replicasets.get(id) else {
        return Vec::new();
    };
    let mut active: Vec<&Pod> = rs
        .pods
        .iter()
        .filter_map(|p| store.pods.get(*p))
        .filter(|p| !p.is_terminating())
        .collect();
    let diff = active.len() as i32 - rs.replicas;
    if diff < 0 {
        return (0..-diff).map(|_| Action::CreatePod { replicaset: id }).collect();
    }
    if diff > 0 {
        active.sort_by_key(|p| deletion_rank(p));
        return active
            .iter()
            .take(diff as usize)
            .map(|p| Action::Pod(p.uid, PodWrite::Delete { grace: None }))
            .collect();
    }
    Vec::new()
}

/// The ReplicaSet controller: its ReplicaSets, woken by their own changes and their pods'.
#[derive(Default)]
pub(crate) struct ReplicaSetController {
    queue: WorkQueue<ReplicaSetId>,
}

impl Component for ReplicaSetController {
    fn on_change(&mut self, cx: &mut Cx, change: &Change) -> Vec<Action> {
        match change {
            Change::ReplicaSet { id, .. } => self.queue.add(*id),
            Change::PodReady(p) | Change::PodTerminating(p) | Change::PodNotReady(p) | Change::PodReadyAgain(p) => {
                if let Some(rs) = cx.store.pods.get(*p).and_then(|p| p.owner_rs) {
                    self.queue.add(rs);
                }
            }
            Change::PodRemoved { pod, .. } => self.queue.extend(pod.owner_rs),
            _ => {}
        }
        Vec::new()
    }

    fn reconcile_next(&mut self, cx: &mut Cx) -> Option<Vec<Action>> {
        self.queue.pop().map(|id| reconcile(cx.store, id))
    }
}
