//! The engine's side of LeaderWorkerSets: storing them and creating their pods. Under
//! Kueue each group is a pod group (Kueue's LeaderWorkerSet integration: one Workload per
//! group, admitted all or nothing).

use super::world::{LeaderWorkerSet, Uid};
use super::Engine;
use crate::api::lws::LeaderWorkerSetObject;
use crate::controllers::leaderworkerset::{pod_name, GROUP_INDEX_LABEL, NAME_LABEL, WORKER_INDEX_LABEL};
use crate::kueue::{POD_GROUP_NAME_LABEL, POD_GROUP_TOTAL_COUNT_ANNOTATION, QUEUE_NAME_LABEL};

impl Engine {
    pub(crate) fn apply_lws(&mut self, namespace: String, lws: LeaderWorkerSetObject) {
        let key = (namespace.clone(), lws.meta.name.clone());
        let uid = match self.world.lws_index.get(&key) {
            Some(&uid) => {
                // replicas may change; the templates are taken as they are.
                let l = self.world.leader_worker_sets.get_mut(&uid).expect("indexed");
                l.spec = lws;
                uid
            }
            None => {
                let uid = self.world.alloc_uid();
                let l = LeaderWorkerSet {
                    uid,
                    k8s_uid: super::ids::uid(&mut self.rngs.names),
                    namespace,
                    name: lws.meta.name.clone(),
                    labels: lws.meta.labels.clone(),
                    spec: lws,
                    created: self.world.now,
                    pods: Default::default(),
                };
                self.world.leader_worker_sets.insert(uid, l);
                self.world.lws_index.insert(key, uid);
                uid
            }
        };
        self.queues.lws.insert(uid);
    }

    pub(crate) fn create_lws_pod(&mut self, lws: Uid, group: i32, worker: i32) {
        let Some(l) = self.world.leader_worker_sets.get(&lws) else {
            return;
        };
        let name = pod_name(&l.name, group, worker);
        if self.world.pod_index.contains_key(&(l.namespace.clone(), name.clone())) {
            return;
        }
        let mut template = match (&l.spec.leader_template, worker) {
            (Some(t), 0) => t.clone(),
            _ => l.spec.worker_template.clone(),
        };
        template.labels.insert(NAME_LABEL.into(), l.name.clone());
        template.labels.insert(GROUP_INDEX_LABEL.into(), group.to_string());
        template.labels.insert(WORKER_INDEX_LABEL.into(), worker.to_string());
        if let Some(queue) = self.world.queue_for(&l.namespace, &l.labels) {
            let workload = super::ids::workload_name_for_owner(
                "LeaderWorkerSet",
                "leaderworkerset.x-k8s.io",
                &format!("{}-{group}", l.name),
                &l.k8s_uid,
            );
            template.labels.insert(QUEUE_NAME_LABEL.into(), queue);
            template.labels.insert(POD_GROUP_NAME_LABEL.into(), workload);
            template
                .annotations
                .insert(POD_GROUP_TOTAL_COUNT_ANNOTATION.into(), l.spec.size.to_string());
        }
        let ns = l.namespace.clone();
        let pod = self.create_pod(ns, name, template, None, None);
        if let Some(p) = self.world.pods.get_mut(&pod) {
            p.owner_lws = Some(lws);
        }
        if let Some(l) = self.world.leader_worker_sets.get_mut(&lws) {
            l.pods.insert(pod);
        }
    }
}
