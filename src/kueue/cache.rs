//! Kueue's cache (`pkg/cache`): each ClusterQueue's quotas and admitted usage per
//! (flavor, resource), and what its cohort lends it. A snapshot is taken at the start of a
//! scheduling cycle and updated as the cycle admits and preempts.
//!
//! Capacity follows Kueue's resource nodes: a member lends its nominal quota to the cohort
//! except what its `lendingLimit` keeps back (its guaranteed quota); the cohort's capacity
//! is the sum of what its members lend, its usage the sum of what each member uses beyond
//! its guaranteed quota. A member may use its guaranteed quota, plus what the cohort has
//! left, capped by its `borrowingLimit` above its nominal quota.

use super::preemption::{Admitted, Candidate};
use crate::api::kueue::{ClusterQueue, FairSharingStrategy, FlavorName};
use crate::store::{Admission, Store, Workload, WorkloadId};
use crate::units::{Quantity, Stamp};
use std::collections::{BTreeMap, BTreeSet};

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

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Quota {
    pub nominal: Quantity,
    pub borrowing_limit: Option<Quantity>,
    pub lending_limit: Option<Quantity>,
}

impl Quota {
    /// Nominal quota kept back from the cohort.
    fn guaranteed(&self) -> Quantity {
        match self.lending_limit {
            Some(l) => (self.nominal - l).max(Quantity::ZERO),
            None => Quantity::ZERO,
        }
    }
    /// Nominal quota lent to the cohort.
    fn lent(&self) -> Quantity {
        self.nominal - self.guaranteed()
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct QueueSnapshot {
    pub cohort: Option<String>,
    /// `fairSharing.weight`.
    pub weight: Quantity,
    pub quotas: BTreeMap<FlavorResource, Quota>,
    pub usage: BTreeMap<FlavorResource, Quantity>,
}

impl QueueSnapshot {
    pub(crate) fn quota(&self, fr: &FlavorResource) -> Quota {
        self.quotas.get(fr).copied().unwrap_or_default()
    }
    pub(crate) fn used(&self, fr: &FlavorResource) -> Quantity {
        self.usage.get(fr).copied().unwrap_or_default()
    }
    /// Usage that counts against the cohort: beyond the guaranteed quota.
    fn used_in_cohort(&self, fr: &FlavorResource) -> Quantity {
        (self.used(fr) - self.quota(fr).guaranteed()).max(Quantity::ZERO)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Snapshot {
    pub queues: BTreeMap<String, QueueSnapshot>,
    /// Cohort name → member ClusterQueues, in name order.
    pub cohorts: BTreeMap<String, Vec<String>>,
    /// Kueue's fair sharing, when enabled: its preemption strategies in order.
    pub fair_sharing: Option<Vec<FairSharingStrategy>>,
}

impl Snapshot {
    /// The cache as the ClusterQueues and their admitted usage stand.
    pub(crate) fn new<'a>(cluster_queues: impl IntoIterator<Item = &'a ClusterQueue>, usage: &QuotaUsage) -> Snapshot {
        let mut s = Snapshot::default();
        for cq in cluster_queues {
            let mut q = QueueSnapshot {
                cohort: cq.cohort.clone(),
                weight: cq.fair_sharing_weight,
                ..Default::default()
            };
            for g in &cq.resource_groups {
                for f in &g.flavors {
                    for r in &f.resources {
                        q.quotas.insert(
                            FlavorResource::new(f.name.as_str(), r.name.as_str()),
                            Quota {
                                nominal: r.nominal,
                                borrowing_limit: r.borrowing_limit,
                                lending_limit: r.lending_limit,
                            },
                        );
                    }
                }
            }
            if let Some(c) = &cq.cohort {
                s.cohorts.entry(c.clone()).or_default().push(cq.name.clone());
            }
            s.queues.insert(cq.name.clone(), q);
        }
        for (cq, used) in usage {
            if let Some(q) = s.queues.get_mut(cq) {
                for (fr, u) in used {
                    *q.usage.entry(fr.clone()).or_default() += *u;
                }
            }
        }
        s
    }

    /// The same snapshot under Kueue's fair sharing (`None`: disabled).
    pub(crate) fn with_fair_sharing(mut self, strategies: Option<Vec<FairSharingStrategy>>) -> Snapshot {
        self.fair_sharing = strategies;
        self
    }

    pub(crate) fn queue(&self, cq: &str) -> Option<&QueueSnapshot> {
        self.queues.get(cq)
    }

    pub(crate) fn add_usage(&mut self, cq: &str, fr: &FlavorResource, q: Quantity) {
        if let Some(s) = self.queues.get_mut(cq) {
            *s.usage.entry(fr.clone()).or_default() += q;
        }
    }

    pub(crate) fn remove_usage(&mut self, cq: &str, fr: &FlavorResource, q: Quantity) {
        if let Some(s) = self.queues.get_mut(cq) {
            let u = s.usage.entry(fr.clone()).or_default();
            *u = (*u - q).max(Quantity::ZERO);
            // No entry for no usage, so that equal usage compares equal.
            if u.is_zero() {
                s.usage.remove(fr);
            }
        }
    }

    fn members(&self, cohort: &str) -> impl Iterator<Item = &QueueSnapshot> {
        self.cohorts
            .get(cohort)
            .into_iter()
            .flatten()
            .filter_map(|m| self.queues.get(m))
    }

    /// What the members of `cohort` lend of `fr`.
    pub(crate) fn cohort_capacity(&self, cohort: &str, fr: &FlavorResource) -> Quantity {
        self.members(cohort).map(|m| m.quota(fr).lent()).sum()
    }

    /// What the members of `cohort` use of the lent capacity.
    pub(crate) fn cohort_usage(&self, cohort: &str, fr: &FlavorResource) -> Quantity {
        self.members(cohort).map(|m| m.used_in_cohort(fr)).sum()
    }

    /// How much more of `fr` the ClusterQueue may admit now.
    pub(crate) fn available(&self, cq: &str, fr: &FlavorResource) -> Quantity {
        self.capacity(cq, fr, false)
    }

    /// How much of `fr` the ClusterQueue could ever hold, were nothing else using the
    /// cohort: beyond it a request never fits ("… > maximum capacity").
    pub(crate) fn potential_available(&self, cq: &str, fr: &FlavorResource) -> Quantity {
        self.capacity(cq, fr, true)
    }

    fn capacity(&self, cq: &str, fr: &FlavorResource, potential: bool) -> Quantity {
        let Some(q) = self.queues.get(cq) else {
            return Quantity::ZERO;
        };
        let quota = q.quota(fr);
        let used = if potential { Quantity::ZERO } else { q.used(fr) };
        let Some(cohort) = &q.cohort else {
            return (quota.nominal - used).max(Quantity::ZERO);
        };
        let guaranteed = quota.guaranteed();
        let local = (guaranteed - used).max(Quantity::ZERO);
        let capacity = self.cohort_capacity(cohort, fr);
        // Not clamped: an over-used cohort (after a quota cut) eats into what the member
        // keeps back, and only the member's total is floored at zero, as Kueue does.
        let mut from_cohort = if potential {
            capacity
        } else {
            capacity - self.cohort_usage(cohort, fr)
        };
        if let Some(limit) = quota.borrowing_limit {
            // Lent quota plus the borrowing limit, less what it already takes from the
            // cohort.
            let used_in_cohort = (used - guaranteed).max(Quantity::ZERO);
            let cap = quota.lent() + limit - used_in_cohort;
            from_cohort = from_cohort.min(cap);
        }
        (local + from_cohort).max(Quantity::ZERO)
    }

    /// Usage of `fr` above the nominal quota.
    pub(crate) fn borrowed(&self, cq: &str, fr: &FlavorResource) -> Quantity {
        self.queues
            .get(cq)
            .map(|q| (q.used(fr) - q.quota(fr).nominal).max(Quantity::ZERO))
            .unwrap_or_default()
    }

    /// How far up the cohort tree `val` more of `fr` would come from, and whether a subtree
    /// below the root could take it back (`FindHeightOfLowestSubtreeThatFits`): 0 when it
    /// fits the ClusterQueue's nominal quota (then reclaiming within the cohort is possible
    /// when it has one), else the cohort's height, 1 for a cohort of ClusterQueues.
    pub(crate) fn borrowing_height(&self, cq: &str, fr: &FlavorResource, val: Quantity) -> (u32, bool) {
        let Some(q) = self.queues.get(cq) else {
            return (0, false);
        };
        let borrowing = q.used(fr) + val > q.quota(fr).nominal;
        match (&q.cohort, borrowing) {
            (None, _) => (0, false),
            (Some(_), false) => (0, true),
            (Some(_), true) => (1, false),
        }
    }

    /// Whether admitting `extra` of `fr` would take the ClusterQueue above its nominal quota.
    pub(crate) fn would_borrow(&self, cq: &str, fr: &FlavorResource, extra: Quantity) -> bool {
        self.queues
            .get(cq)
            .is_some_and(|q| q.used(fr) + extra > q.quota(fr).nominal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(v: i64) -> Quantity {
        Quantity::from_units(v)
    }

    fn fr() -> FlavorResource {
        FlavorResource::new("default", "nvidia.com/gpu")
    }

    /// A ClusterQueue `(name, nominal, borrowingLimit, lendingLimit, usage)`.
    type Member<'a> = (&'a str, i64, Option<i64>, Option<i64>, i64);

    /// ClusterQueues in cohort "all".
    fn cohort(members: &[Member]) -> Snapshot {
        let mut s = Snapshot::default();
        for (name, nominal, borrow, lend, used) in members {
            let mut q = QueueSnapshot {
                cohort: Some("all".into()),
                ..Default::default()
            };
            q.quotas.insert(
                fr(),
                Quota {
                    nominal: n(*nominal),
                    borrowing_limit: borrow.map(n),
                    lending_limit: lend.map(n),
                },
            );
            q.usage.insert(fr(), n(*used));
            s.queues.insert(name.to_string(), q);
            s.cohorts.entry("all".into()).or_default().push(name.to_string());
        }
        s
    }

    #[test]
    fn available_quota_follows_borrowing_and_lending_limits() {
        // (case, members, queue asked about, available, potential)
        let cases: Vec<(&str, Vec<Member>, &str, i64, i64)> = vec![
            (
                "idle cohort lends everything",
                vec![("a", 4, None, None, 0), ("b", 4, None, None, 0)],
                "a",
                8,
                8,
            ),
            (
                "own usage first",
                vec![("a", 4, None, None, 3), ("b", 4, None, None, 0)],
                "a",
                5,
                8,
            ),
            (
                "the other member borrowed",
                vec![("a", 4, None, None, 0), ("b", 4, None, None, 6)],
                "a",
                2,
                8,
            ),
            (
                "borrowing limit caps",
                vec![("a", 4, Some(1), None, 0), ("b", 4, None, None, 0)],
                "a",
                5,
                5,
            ),
            (
                "borrowing limit counts what is borrowed",
                vec![("a", 4, Some(2), None, 5), ("b", 4, None, None, 0)],
                "a",
                1,
                6,
            ),
            (
                "lending limit keeps quota back",
                vec![("a", 4, None, None, 0), ("b", 4, None, Some(1), 0)],
                "a",
                5,
                5,
            ),
            (
                "kept-back quota stays the lender's",
                vec![("a", 4, None, None, 0), ("b", 4, None, Some(1), 0)],
                "b",
                8,
                8,
            ),
            (
                "guaranteed usage does not reach the cohort",
                vec![("a", 4, None, None, 0), ("b", 4, None, Some(1), 3)],
                "a",
                5,
                5,
            ),
            (
                "over-borrowed cohort: nothing left",
                vec![("a", 2, None, None, 2), ("b", 2, None, None, 2)],
                "a",
                0,
                4,
            ),
            (
                "an over-used cohort eats into kept-back quota",
                vec![("a", 4, None, Some(2), 0), ("b", 2, None, None, 5)],
                "a",
                1,
                6,
            ),
        ];
        for (case, members, q, want, potential) in cases {
            let s = cohort(&members);
            assert_eq!(s.available(q, &fr()), n(want), "{case}: available");
            assert_eq!(s.potential_available(q, &fr()), n(potential), "{case}: potential");
        }
    }

    #[test]
    fn a_queue_without_cohort_has_its_nominal_quota() {
        let mut s = cohort(&[("a", 4, Some(10), None, 1)]);
        s.queues.get_mut("a").unwrap().cohort = None;
        assert_eq!(s.available("a", &fr()), n(3));
        assert_eq!(s.potential_available("a", &fr()), n(4));
    }

    #[test]
    fn usage_moves_and_borrowing_shows() {
        let mut s = cohort(&[("a", 4, None, None, 3), ("b", 4, None, None, 0)]);
        assert!(!s.would_borrow("a", &fr(), n(1)));
        assert!(s.would_borrow("a", &fr(), n(2)));
        s.add_usage("a", &fr(), n(3));
        assert_eq!(s.borrowed("a", &fr()), n(2));
        assert_eq!(s.cohort_usage("all", &fr()), n(6));
        assert_eq!(s.available("b", &fr()), n(2));
        s.remove_usage("a", &fr(), n(6));
        assert_eq!(s.available("b", &fr()), n(8));
    }
}
