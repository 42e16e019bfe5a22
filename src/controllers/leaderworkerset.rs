//! The LeaderWorkerSet controller, reduced to what scheduling sees: group `i` is a leader
//! pod `<name>-<i>` and workers `<name>-<i>-<j>`; missing pods are created (a preempted
//! group comes back whole once its pods are gone), groups beyond `replicas` are deleted.
//! The leader and worker StatefulSets it manages in reality are not modelled.

use crate::engine::action::Action;
use crate::engine::world::{Uid, World};

pub const NAME_LABEL: &str = "leaderworkerset.sigs.k8s.io/name";
pub const GROUP_INDEX_LABEL: &str = "leaderworkerset.sigs.k8s.io/group-index";
pub const WORKER_INDEX_LABEL: &str = "leaderworkerset.sigs.k8s.io/worker-index";

pub fn pod_name(lws: &str, group: i32, worker: i32) -> String {
    if worker == 0 {
        format!("{lws}-{group}")
    } else {
        format!("{lws}-{group}-{worker}")
    }
}

pub fn reconcile(world: &World, uid: Uid) -> Vec<Action> {
    let Some(lws) = world.leader_worker_sets.get(&uid) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for group in 0..lws.spec.replicas {
        for worker in 0..lws.spec.size {
            let key = (lws.namespace.clone(), pod_name(&lws.name, group, worker));
            if !world.pod_index.contains_key(&key) {
                out.push(Action::CreateLwsPod {
                    lws: uid,
                    group,
                    worker,
                });
            }
        }
    }
    for p in lws.pods.iter().filter_map(|p| world.pods.get(p)) {
        let group: i32 = p
            .labels
            .get(GROUP_INDEX_LABEL)
            .and_then(|g| g.parse().ok())
            .unwrap_or(0);
        if group >= lws.spec.replicas && p.deletion.is_none() {
            out.push(Action::DeletePod {
                uid: p.uid,
                grace: None,
            });
        }
    }
    out
}
