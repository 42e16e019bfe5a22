//! Workload objects given as input: pending ones queue as any Workload does; admitted
//! ones (`status.admission`) hold their quota from the start, as they do in the cluster the
//! snapshot was taken from. Neither has pods.

use super::world::{Admission, Source, Uid, Workload, WorkloadState};
use super::{Engine, EventKind};
use crate::api::workload::WorkloadObject;

impl Engine {
    pub(crate) fn apply_snapshot_workload(&mut self, namespace: String, o: WorkloadObject) {
        let now = self.world.now;
        let priority = o.priority.unwrap_or_else(|| {
            o.priority_class
                .as_ref()
                .and_then(|c| self.world.workload_priority_classes.get(c))
                .map(|c| c.value)
                .unwrap_or(0)
        });
        let pod_count = o.pod_sets.iter().map(|p| p.count).sum();
        let w = Workload {
            namespace: namespace.clone(),
            name: o.meta.name.clone(),
            queue_name: o.queue_name.clone(),
            pod_name: o.meta.name.clone(),
            pod_count,
            template: o.pod_sets[0].template.spec.clone(),
            owner: o.meta.name.clone(),
            priority,
            priority_class: o.priority_class.clone(),
            requests: o.requests(),
            ..Workload::queued(Source::Snapshot { run_time: o.run_time }, now)
        };
        let Some(adm) = o.admission else {
            self.create_workload(w);
            return;
        };
        if !self.world.cluster_queues.contains_key(&adm.cluster_queue) {
            self.warnings.push(format!(
                "Workload {namespace}/{} is admitted in ClusterQueue {}, which does not exist; it queues instead",
                o.meta.name, adm.cluster_queue
            ));
            self.create_workload(w);
            return;
        }
        let uid = self.world.alloc_uid();
        let mut w = w;
        w.uid = uid;
        w.set_state(now, WorkloadState::Admitted);
        let admission = Admission {
            cluster_queue: adm.cluster_queue.clone(),
            flavors: adm.flavors,
            usage: adm.usage,
        };
        admission.reserve(&mut self.world.usage);
        w.admission = Some(admission);
        w.admitted_at = Some(now);
        self.record(
            "Normal",
            format!("Workload {namespace}/{}", w.name),
            format!("Admitted in ClusterQueue {} (from the snapshot)", adm.cluster_queue),
        );
        self.world.workloads.insert(uid, w);
        self.snapshot_admitted(uid);
        self.requeue_cluster_queue(&adm.cluster_queue);
    }

    /// An admitted snapshot Workload with a run time finishes after it.
    pub(crate) fn snapshot_admitted(&mut self, uid: Uid) {
        if let Some(Source::Snapshot { run_time: Some(d) }) = self.world.workloads.get(&uid).map(|w| w.source) {
            self.schedule_in(d, EventKind::WorkloadDone { workload: uid });
        }
    }

    pub(crate) fn snapshot_done(&mut self, uid: Uid) {
        let now = self.world.now;
        let Some(w) = self.world.workloads.get(&uid) else {
            return;
        };
        let Source::Snapshot { run_time: Some(d) } = w.source else {
            return;
        };
        let due = w.admitted_at.is_some_and(|a| a + d <= now) && w.evicted_at.is_none();
        if due && w.finished_at.is_none() {
            self.finish_workload(uid, "Finished");
        }
    }
}
