//! Writes to LeaderWorkerSets and the pods their controller creates. Under Kueue each
//! group is a pod group (Kueue's LeaderWorkerSet integration: one Workload per group,
//! admitted all or nothing).

use super::pods::{create as create_pod_object, Owners};
use super::ApiServer;
use crate::api::lws::LeaderWorkerSetObject;
use crate::controllers::leaderworkerset::{pod_name, GROUP_INDEX_LABEL, NAME_LABEL, WORKER_INDEX_LABEL};
use crate::engine::change::Change;
use crate::kueue::{POD_GROUP_NAME_LABEL, POD_GROUP_TOTAL_COUNT_ANNOTATION, QUEUE_NAME_LABEL};
use crate::store::{LeaderWorkerSet, LeaderWorkerSetId, Store};

pub(super) fn apply(
    api: &mut ApiServer,
    store: &mut Store,
    namespace: String,
    lws: LeaderWorkerSetObject,
) -> Vec<Change> {
    let id = match store.leader_worker_sets.id_of(&namespace, &lws.meta.name) {
        Some(id) => {
            // replicas may change; the templates are taken as they are.
            if let Some(l) = store.leader_worker_sets.get_mut(id) {
                l.spec = lws;
            }
            id
        }
        None => {
            let id = store.alloc();
            let l = LeaderWorkerSet {
                uid: id,
                k8s_uid: super::names::uid(&mut api.names),
                namespace,
                name: lws.meta.name.clone(),
                labels: lws.meta.labels.clone(),
                spec: lws,
                created: store.now,
                pods: Default::default(),
            };
            store.leader_worker_sets.insert(id, l);
            id
        }
    };
    vec![Change::LeaderWorkerSet(id)]
}

pub(super) fn create_pod(
    api: &mut ApiServer,
    store: &mut Store,
    lws: LeaderWorkerSetId,
    group: i32,
    worker: i32,
) -> Vec<Change> {
    let Some(l) = store.leader_worker_sets.get(lws) else {
        return Vec::new();
    };
    let name = pod_name(&l.name, group, worker);
    if store.pods.name_taken(&l.namespace, &name) {
        return Vec::new();
    }
    let mut template = match (&l.spec.leader_template, worker) {
        (Some(t), 0) => t.clone(),
        _ => l.spec.worker_template.clone(),
    };
    template.labels.insert(NAME_LABEL.into(), l.name.clone());
    template.labels.insert(GROUP_INDEX_LABEL.into(), group.to_string());
    template.labels.insert(WORKER_INDEX_LABEL.into(), worker.to_string());
    if let Some(queue) = store.queue_for(&l.namespace, &l.labels) {
        let workload = super::names::workload_name_for_owner(
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
    create_pod_object(
        api,
        store,
        ns,
        name,
        template,
        Owners {
            lws: Some(lws),
            ..Owners::default()
        },
    )
}
