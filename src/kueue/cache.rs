//! Kueue's cache (`pkg/cache`): each ClusterQueue's admitted usage per (flavor,
//! resource) and its admitted workloads. A snapshot (`snapshot`) is taken at the start of
//! a scheduling cycle, with the quotas of the ClusterQueues and of the cohort tree, and
//! updated as the cycle admits and preempts.

use super::preemption::{Admitted, Candidate};
use crate::api::kueue::FlavorName;
use crate::store::{Admission, Store, Workload, WorkloadId};
use crate::units::{Quantity, Stamp};
use std::collections::{BTreeMap, BTreeSet};

mod snapshot;
pub(crate) use snapshot::{Node, Snapshot};

/// A (flavor, resource) pair, the unit of quota (Kueue's `resources.FlavorResource`).
/// Ordered by flavor, then resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct FlavorResource {
    pub(crate) flavor: FlavorName,
    pub(crate) resource: String,
}

impl FlavorResource {
    pub(crate) fn new(flavor: impl Into<FlavorName>, resource: impl Into<String>) -> FlavorResource {
        FlavorResource {
            flavor: flavor.into(),
            resource: resource.into(),
        }
    }
}

/// Admitted usage per ClusterQueue, per (flavor, resource).
pub(crate) type QuotaUsage = BTreeMap<String, BTreeMap<FlavorResource, Quantity>>;

/// Usage from ((ClusterQueue, flavor, resource), amount) entries, summed: for test tables.
#[cfg(test)]
pub(crate) fn usage_from<'a>(entries: impl IntoIterator<Item = ((&'a str, &'a str, &'a str), Quantity)>) -> QuotaUsage {
    let mut usage = QuotaUsage::new();
    for ((cq, flavor, resource), q) in entries {
        *usage
            .entry(cq.to_string())
            .or_default()
            .entry(FlavorResource::new(flavor, resource))
            .or_default() += q;
    }
    usage
}

/// The persistent cache: what the admitted Workloads of each ClusterQueue use, and the
/// admitted Workloads themselves as preemption candidates (Kueue's cache keeps each
/// ClusterQueue's workloads). Kueue's event handlers keep it in step with admissions and
/// releases; each scheduling cycle works on a `Snapshot` of the usage.
#[derive(Debug, Default, Clone)]
pub(crate) struct Cache {
    pub(crate) usage: QuotaUsage,
    /// Workloads holding quota (admitted, not finished), finished ones never among them,
    /// so a scheduling pass costs what runs, not what ever ran.
    pub(crate) admitted: Admitted,
    /// Workloads written since the last pass whose candidate may have changed (admitted,
    /// evicted, finished, requeued, a new priority): `refresh` rereads them.
    touched: BTreeSet<WorkloadId>,
}

impl Cache {
    /// `id` changed in the store: its candidate is reread before the next pass.
    pub(crate) fn touch(&mut self, id: WorkloadId) {
        self.touched.insert(id);
    }

    /// Rereads the workloads touched since the last pass.
    pub(crate) fn refresh(&mut self, store: &Store) {
        for id in std::mem::take(&mut self.touched) {
            match store.workloads.get(id).and_then(Candidate::of) {
                Some(c) => self.admitted.push(c),
                None => {
                    self.admitted.remove(id);
                }
            }
        }
    }

    /// Whether the admitted workloads are exactly those of the store (a check for tests:
    /// it reads every workload, so only debug builds call it).
    pub(crate) fn admitted_consistent(&self, store: &Store) -> bool {
        let index: Vec<&Candidate> = self.admitted.all().collect();
        let mut from_store: Vec<Candidate> = store.workloads.values().filter_map(Candidate::of).collect();
        from_store.sort_by(|a, b| (&a.cluster_queue, a.uid).cmp(&(&b.cluster_queue, b.uid)));
        index.len() == from_store.len() && index.iter().zip(&from_store).all(|(a, b)| *a == b)
    }

    /// Adds an admission's usage to its ClusterQueue's (quota reserved).
    pub(crate) fn reserve(&mut self, a: &Admission) {
        let used = self.usage.entry(a.cluster_queue.clone()).or_default();
        for ((f, r), q) in a.flavor_usage() {
            *used.entry(FlavorResource::new(f, r)).or_default() += q;
        }
    }

    /// Takes an admission's usage back out (quota released).
    pub(crate) fn release(&mut self, a: &Admission) {
        let Some(used) = self.usage.get_mut(&a.cluster_queue) else {
            return;
        };
        for ((f, r), q) in a.flavor_usage() {
            if let Some(u) = used.get_mut(&FlavorResource::new(f, r)) {
                *u -= q;
            }
        }
    }

    pub(crate) fn usage_of(&self, cq: &str, flavor: &str, resource: &str) -> Quantity {
        self.usage
            .get(cq)
            .and_then(|u| u.get(&FlavorResource::new(flavor, resource)))
            .copied()
            .unwrap_or_default()
    }
}

impl Candidate {
    /// A workload holding quota, as preemption sees it; `None` when it holds none.
    pub(crate) fn of(w: &Workload) -> Option<Candidate> {
        if w.finished_at.is_some() {
            return None;
        }
        let a = w.admission.as_ref()?;
        Some(Candidate {
            uid: w.uid,
            cluster_queue: a.cluster_queue.clone(),
            priority: w.priority,
            queued: w.queue_timestamp,
            admitted: w
                .quota_reserved_written
                .unwrap_or_else(|| Stamp::from(w.admitted_at.unwrap_or(w.created))),
            usage: a
                .flavor_usage()
                .into_iter()
                .map(|((f, r), q)| (FlavorResource::new(f, r), q))
                .collect(),
            evicted: w.evicted_at.is_some(),
        })
    }
}
