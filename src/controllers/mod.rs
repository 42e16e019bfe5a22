//! Kubernetes and KServe controllers, each a pure reconcile over the store with the work
//! queue it is woken through.

pub(crate) mod deployment;
pub(crate) mod frameworks;
pub(crate) mod garbagecollector;
pub(crate) mod inferenceservice;
pub(crate) mod job;
pub(crate) mod keda;
pub(crate) mod knative;
pub(crate) mod kserve_autoscaler;
pub(crate) mod leaderworkerset;
pub(crate) mod nodelifecycle;
pub(crate) mod podautoscaler;
pub(crate) mod podgc;
pub(crate) mod replicaset;
pub(crate) mod tainteviction;

use std::collections::BTreeSet;

/// A controller's work queue: keys to reconcile, each at most once, smallest first (so
/// the order never depends on the order they were queued in).
#[derive(Debug)]
pub(crate) struct WorkQueue<K>(BTreeSet<K>);

impl<K: Ord> Default for WorkQueue<K> {
    fn default() -> Self {
        WorkQueue(BTreeSet::new())
    }
}

impl<K: Ord> WorkQueue<K> {
    pub(crate) fn add(&mut self, key: K) {
        self.0.insert(key);
    }
    pub(crate) fn extend(&mut self, keys: impl IntoIterator<Item = K>) {
        self.0.extend(keys);
    }
    pub(crate) fn pop(&mut self) -> Option<K> {
        self.0.pop_first()
    }
}
