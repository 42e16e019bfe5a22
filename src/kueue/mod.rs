//! Kueue, laid out as Kueue's own packages: the pod and Job integrations (webhooks and
//! reconcilers), the Workload controller (`workload`), the queue manager, the cache of
//! quota usage, flavor assignment, preemption, fair sharing and the scheduler. The
//! `Kueue` component owns their state: configuration, cache, queues, and the work the
//! integrations and the scheduler have to do.

pub(crate) mod cache;
pub(crate) mod fairsharing;
pub(crate) mod flavorassigner;
pub(crate) mod framework;
pub(crate) mod job;
pub(crate) mod pod;
pub(crate) mod preemption;
pub(crate) mod queue;
pub(crate) mod scheduler;
pub(crate) mod tas;
mod workload;

pub(crate) use workload::KueueTimer;

use crate::api::kueue::KueueConfig;
use crate::controllers::WorkQueue;
use crate::engine::action::Action;
use crate::engine::change::Change;
use crate::engine::components::{Component, Cx};
use crate::store::{JobId, PodId, Store};
use cache::Cache;
use queue::QueueManager;

pub(crate) const QUEUE_NAME_LABEL: &str = "kueue.x-k8s.io/queue-name";
pub(crate) const PRIORITY_CLASS_LABEL: &str = "kueue.x-k8s.io/priority-class";
pub(crate) const ADMISSION_GATE: &str = "kueue.x-k8s.io/admission";
pub(crate) const MANAGED_LABEL: &str = "kueue.x-k8s.io/managed";
pub(crate) const POD_SET: &str = "main";
pub(crate) const POD_GROUP_NAME_LABEL: &str = "kueue.x-k8s.io/pod-group-name";
pub(crate) const POD_GROUP_TOTAL_COUNT_ANNOTATION: &str = "kueue.x-k8s.io/pod-group-total-count";

/// Kueue's state in a run.
#[derive(Debug, Default)]
pub(crate) struct Kueue {
    pub(crate) config: KueueConfig,
    /// Admitted usage per ClusterQueue, flavor and resource.
    pub(crate) cache: Cache,
    /// Pending Workloads per ClusterQueue, and those whose queue does not exist yet.
    pub(crate) queues: QueueManager,
    /// Pods the pod integration reconciles next.
    pods: WorkQueue<PodId>,
    /// Jobs the Job integration reconciles next.
    jobs: WorkQueue<JobId>,
    /// JobSets, PyTorchJobs, TrainJobs, RayJobs and RayClusters their integrations
    /// reconcile next.
    frameworks: WorkQueue<crate::store::FrameworkId>,
    /// Pods gated for their topology domain, for the topology ungater.
    topology: WorkQueue<PodId>,
    /// Something changed that may let a pending Workload in: a scheduling pass is due.
    schedule: bool,
}

impl Kueue {
    pub(crate) fn new(config: KueueConfig) -> Kueue {
        Kueue {
            config,
            ..Kueue::default()
        }
    }

    /// One of Kueue's timers is due.
    pub(crate) fn on_timer(&mut self, cx: &mut Cx, timer: KueueTimer) -> Vec<Action> {
        workload::on_timer(self, cx, timer)
    }

    /// `waitForPodsReady.blockAdmission`.
    pub(crate) fn blocks_admission(&self) -> bool {
        self.config
            .wait_for_pods_ready
            .as_ref()
            .is_some_and(|c| c.block_admission)
    }

    /// Quota changed in `cq`: its inadmissible workloads, and those of every ClusterQueue
    /// in its cohort tree (which may borrow or reclaim it), get another chance.
    fn requeue_cluster_queue(&mut self, store: &Store, cq: &str) {
        match cohort_root(store, cq) {
            Some(root) => {
                for q in store.cluster_queues.values() {
                    if cohort_root(store, &q.name).as_deref() == Some(root.as_str()) {
                        self.queues.requeue_all(&q.name);
                    }
                }
            }
            None => self.queues.requeue_all(cq),
        }
        self.queues.requeue_all(cq);
        self.schedule = true;
    }

    fn requeue_all_cluster_queues(&mut self, store: &Store) {
        let names: Vec<String> = self.queues.queues.keys().cloned().collect();
        for n in names {
            self.requeue_cluster_queue(store, &n);
        }
        self.schedule = true;
    }
}

/// The root of the cohort tree a ClusterQueue is in (its cohort when that has no Cohort
/// object or no parent); a cycle stops the walk at the cohort seen twice.
fn cohort_root(store: &Store, cq: &str) -> Option<String> {
    let mut at = store.cluster_queues.get(cq)?.cohort.clone()?;
    let mut seen = std::collections::BTreeSet::new();
    while let Some(p) = store.cohorts.get(&at).and_then(|c| c.parent.clone()) {
        if !seen.insert(at.clone()) {
            break;
        }
        at = p;
    }
    Some(at)
}

impl Component for Kueue {
    fn on_change(&mut self, cx: &mut Cx, change: &Change) -> Vec<Action> {
        workload::on_change(self, cx, change)
    }

    /// The Job integration first, then the pod integration, then a scheduling pass.
    fn reconcile_next(&mut self, cx: &mut Cx) -> Option<Vec<Action>> {
        if let Some(j) = self.jobs.pop() {
            return Some(job::reconcile(cx.store, j));
        }
        if let Some(f) = self.frameworks.pop() {
            return Some(framework::reconcile(cx.store, f));
        }
        if let Some(p) = self.topology.pop() {
            return Some(tas::ungate(cx.store, p));
        }
        if let Some(p) = self.pods.pop() {
            return Some(pod::reconcile(cx.store, p));
        }
        if self.schedule {
            self.schedule = false;
            return Some(scheduler::schedule(
                cx.store,
                &mut self.cache,
                &self.config,
                &mut self.queues,
            ));
        }
        None
    }
}
