//! The scheduler's snapshot of the cache (`pkg/cache/scheduler`'s `Snapshot`): quotas and
//! usage of every ClusterQueue and cohort, as Kueue's resource nodes over the cohort tree.
//!
//! Every node (ClusterQueue or cohort) has quotas per (flavor, resource), a subtree quota
//! and a usage. A ClusterQueue's subtree quota is its nominal quota; a cohort's is its own
//! nominal quota plus what each child lends it, the child's subtree quota less its local
//! quota (what its `lendingLimit` keeps back). A ClusterQueue's usage is what its admitted
//! workloads use; a cohort's is what its children use beyond their local quotas. Usage
//! moves up the tree as it is added and removed, only the part past a node's local quota.

use super::FlavorResource;
use super::QuotaUsage;
use crate::api::kueue::{ClusterQueue, Cohort, FairSharingStrategy, ResourceGroup};
use crate::units::Quantity;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Quota {
    pub nominal: Quantity,
    pub borrowing_limit: Option<Quantity>,
    pub lending_limit: Option<Quantity>,
}

/// The quotas of resource groups, per (flavor, resource).
fn quotas_of(groups: &[ResourceGroup]) -> BTreeMap<FlavorResource, Quota> {
    let mut quotas = BTreeMap::new();
    for g in groups {
        for f in &g.flavors {
            for r in &f.resources {
                quotas.insert(
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
    quotas
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct QueueSnapshot {
    /// Its parent cohort.
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
}

/// A cohort, with or without a Cohort object (an implicit one has no quotas and weight 1).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct CohortSnapshot {
    pub parent: Option<String>,
    /// `fairSharing.weight`.
    pub weight: Quantity,
    pub quotas: BTreeMap<FlavorResource, Quota>,
    /// `SubtreeQuota`: its own nominal quota plus what its children lend it.
    pub subtree: BTreeMap<FlavorResource, Quantity>,
    /// What its children use beyond their local quotas.
    pub usage: BTreeMap<FlavorResource, Quantity>,
    /// Child cohorts and ClusterQueues, in name order.
    pub child_cohorts: Vec<String>,
    pub child_queues: Vec<String>,
    /// The distance to its furthest leaf (`getNodeHeight`): 1 for a cohort of ClusterQueues.
    pub height: u32,
}

/// A node of the cohort tree: a ClusterQueue or a cohort, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Node<'a> {
    Queue(&'a str),
    Cohort(&'a str),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Snapshot {
    pub queues: BTreeMap<String, QueueSnapshot>,
    /// Every cohort named by a ClusterQueue, a Cohort object or a Cohort's parent.
    pub cohorts: BTreeMap<String, CohortSnapshot>,
    /// ClusterQueues under a cohort cycle: Kueue leaves them inactive.
    pub cyclic: BTreeSet<String>,
    /// Kueue's fair sharing, when enabled: its preemption strategies in order.
    pub fair_sharing: Option<Vec<FairSharingStrategy>>,
}

impl Snapshot {
    /// The cache as the ClusterQueues and their admitted usage stand, cohorts implicit.
    #[cfg(test)]
    pub(crate) fn new<'a>(cluster_queues: impl IntoIterator<Item = &'a ClusterQueue>, usage: &QuotaUsage) -> Snapshot {
        Snapshot::with_cohorts(cluster_queues, [], usage)
    }

    /// The cache as the ClusterQueues, the Cohort objects and the admitted usage stand.
    pub(crate) fn with_cohorts<'a>(
        cluster_queues: impl IntoIterator<Item = &'a ClusterQueue>,
        cohorts: impl IntoIterator<Item = &'a Cohort>,
        usage: &QuotaUsage,
    ) -> Snapshot {
        let queues = cluster_queues
            .into_iter()
            .map(|cq| {
                let q = QueueSnapshot {
                    cohort: cq.cohort.clone(),
                    weight: cq.fair_sharing_weight,
                    quotas: quotas_of(&cq.resource_groups),
                    usage: BTreeMap::new(),
                };
                (cq.name.clone(), q)
            })
            .collect();
        let cohorts = cohorts
            .into_iter()
            .map(|c| {
                let s = CohortSnapshot {
                    parent: c.parent.clone(),
                    weight: c.fair_sharing_weight,
                    quotas: quotas_of(&c.resource_groups),
                    ..Default::default()
                };
                (c.name.clone(), s)
            })
            .collect();
        Snapshot::build(queues, cohorts, usage)
    }

    /// The tree from its nodes' quotas and parents: implicit cohorts added, cycles cut
    /// (their ClusterQueues inactive), subtree quotas and heights computed leaves first,
    /// then the usage added from the ClusterQueues up.
    pub(crate) fn build(
        queues: BTreeMap<String, QueueSnapshot>,
        mut cohorts: BTreeMap<String, CohortSnapshot>,
        usage: &QuotaUsage,
    ) -> Snapshot {
        // Implicit cohorts: named as a parent without an object (Kueue's getOrCreateCohort).
        let named: Vec<String> = queues
            .values()
            .filter_map(|q| q.cohort.clone())
            .chain(cohorts.values().filter_map(|c| c.parent.clone()))
            .collect();
        for name in named {
            cohorts.entry(name).or_insert_with(|| CohortSnapshot {
                weight: Quantity::from_units(1),
                ..Default::default()
            });
        }
        // Cycles: a cohort whose chain of parents comes back on itself (Kueue's HasCycle)
        // gets no resources; its parent link is cut here so that every walk up ends.
        let cyclic_cohorts: BTreeSet<String> = cohorts.keys().filter(|c| has_cycle(&cohorts, c)).cloned().collect();
        for c in &cyclic_cohorts {
            if let Some(s) = cohorts.get_mut(c) {
                s.parent = None;
            }
        }
        let mut s = Snapshot {
            cyclic: queues
                .iter()
                .filter(|(_, q)| q.cohort.as_ref().is_some_and(|c| cyclic_cohorts.contains(c)))
                .map(|(n, _)| n.clone())
                .collect(),
            queues,
            cohorts,
            fair_sharing: None,
        };
        let parents: Vec<(String, String)> = s
            .cohorts
            .iter()
            .filter_map(|(n, c)| c.parent.clone().map(|p| (n.clone(), p)))
            .collect();
        for (child, parent) in parents {
            if let Some(p) = s.cohorts.get_mut(&parent) {
                p.child_cohorts.push(child);
            }
        }
        for (name, q) in &s.queues {
            if let Some(c) = q.cohort.as_ref().and_then(|c| s.cohorts.get_mut(c)) {
                c.child_queues.push(name.clone());
            }
        }
        // Leaves first: a cohort after all those below it.
        let mut order: Vec<(usize, String)> = s.cohorts.keys().map(|c| (s.depth(c), c.clone())).collect();
        order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, name) in order {
            s.accumulate(&name);
        }
        for (cq, used) in usage {
            for (fr, u) in used {
                s.add_usage(cq, fr, *u);
            }
        }
        s
    }

    /// A cohort's subtree quota and height from its children's (`updateCohortResourceNode`).
    fn accumulate(&mut self, name: &str) {
        let Some(c) = self.cohorts.get(name) else { return };
        let mut subtree: BTreeMap<FlavorResource, Quantity> =
            c.quotas.iter().map(|(fr, q)| (fr.clone(), q.nominal)).collect();
        let mut height = u32::from(!c.child_cohorts.is_empty() || !c.child_queues.is_empty());
        for child in &c.child_cohorts {
            let Some(cc) = self.cohorts.get(child) else { continue };
            height = height.max(cc.height + 1);
            for (fr, q) in &cc.subtree {
                *subtree.entry(fr.clone()).or_default() += *q - self.local_quota(Node::Cohort(child), fr);
            }
        }
        for child in &c.child_queues {
            let Some(q) = self.queues.get(child) else { continue };
            for (fr, quota) in &q.quotas {
                *subtree.entry(fr.clone()).or_default() += quota.nominal - self.local_quota(Node::Queue(child), fr);
            }
        }
        if let Some(c) = self.cohorts.get_mut(name) {
            c.subtree = subtree;
            c.height = height;
        }
    }

    /// How many cohorts lie above `cohort`.
    fn depth(&self, cohort: &str) -> usize {
        std::iter::successors(self.cohorts.get(cohort).and_then(|c| c.parent.as_deref()), |p| {
            self.cohorts.get(*p).and_then(|c| c.parent.as_deref())
        })
        .take(self.cohorts.len())
        .count()
    }

    /// The same snapshot under Kueue's fair sharing (`None`: disabled).
    pub(crate) fn with_fair_sharing(mut self, strategies: Option<Vec<FairSharingStrategy>>) -> Snapshot {
        self.fair_sharing = strategies;
        self
    }

    pub(crate) fn queue(&self, cq: &str) -> Option<&QueueSnapshot> {
        self.queues.get(cq)
    }

    pub(crate) fn cohort(&self, name: &str) -> Option<&CohortSnapshot> {
        self.cohorts.get(name)
    }

    /// Whether Kueue leaves the ClusterQueue inactive for a cycle among its cohorts.
    pub(crate) fn under_cycle(&self, cq: &str) -> bool {
        self.cyclic.contains(cq)
    }

    /// A node's parent cohort.
    pub(crate) fn parent<'s>(&'s self, node: Node<'_>) -> Option<&'s str> {
        match node {
            Node::Queue(q) => self.queues.get(q)?.cohort.as_deref(),
            Node::Cohort(c) => self.cohorts.get(c)?.parent.as_deref(),
        }
    }

    /// The cohorts above a node, its parent first, the root last (`PathParentToRoot`).
    pub(crate) fn ancestors<'s>(&'s self, node: Node<'_>) -> Vec<&'s str> {
        let mut path = Vec::new();
        let mut next = self.parent(node);
        while let Some(c) = next {
            // A cut cycle ends every walk; the bound guards against any other.
            if path.len() > self.cohorts.len() || !self.cohorts.contains_key(c) {
                break;
            }
            path.push(c);
            next = self.parent(Node::Cohort(c));
        }
        path
    }

    pub(crate) fn quota_of(&self, node: Node, fr: &FlavorResource) -> Quota {
        match node {
            Node::Queue(q) => self.queues.get(q).map(|q| q.quota(fr)),
            Node::Cohort(c) => self.cohorts.get(c).and_then(|c| c.quotas.get(fr).copied()),
        }
        .unwrap_or_default()
    }

    /// `SubtreeQuota`: a ClusterQueue's nominal quota, a cohort's with its children's.
    pub(crate) fn subtree_quota(&self, node: Node, fr: &FlavorResource) -> Quantity {
        match node {
            Node::Queue(_) => self.quota_of(node, fr).nominal,
            Node::Cohort(c) => self
                .cohorts
                .get(c)
                .and_then(|c| c.subtree.get(fr).copied())
                .unwrap_or_default(),
        }
    }

    pub(crate) fn usage_of(&self, node: Node, fr: &FlavorResource) -> Quantity {
        let usage = match node {
            Node::Queue(q) => self.queues.get(q).map(|q| &q.usage),
            Node::Cohort(c) => self.cohorts.get(c).map(|c| &c.usage),
        };
        usage.and_then(|u| u.get(fr).copied()).unwrap_or_default()
    }

    fn usage_mut(&mut self, node: Node) -> Option<&mut BTreeMap<FlavorResource, Quantity>> {
        match node {
            Node::Queue(q) => self.queues.get_mut(q).map(|q| &mut q.usage),
            Node::Cohort(c) => self.cohorts.get_mut(c).map(|c| &mut c.usage),
        }
    }

    /// The part of the subtree quota kept back from the parent by the `lendingLimit`
    /// (`localQuota`).
    pub(crate) fn local_quota(&self, node: Node, fr: &FlavorResource) -> Quantity {
        match self.quota_of(node, fr).lending_limit {
            Some(l) => (self.subtree_quota(node, fr) - l).max(Quantity::ZERO),
            None => Quantity::ZERO,
        }
    }

    /// Local quota not used yet (`LocalAvailable`).
    pub(crate) fn local_available(&self, node: Node, fr: &FlavorResource) -> Quantity {
        (self.local_quota(node, fr) - self.usage_of(node, fr)).max(Quantity::ZERO)
    }

    /// Whether `val` more would take the node past its subtree quota (`BorrowingWith`).
    pub(crate) fn borrowing_with(&self, node: Node, fr: &FlavorResource, val: Quantity) -> bool {
        self.subtree_quota(node, fr) < self.usage_of(node, fr) + val
    }

    /// Whether the node uses at most its subtree quota of every pair (`IsWithinNominalInResources`).
    pub(crate) fn within_nominal<'f>(&self, node: Node, frs: impl IntoIterator<Item = &'f FlavorResource>) -> bool {
        frs.into_iter()
            .all(|fr| self.subtree_quota(node, fr) >= self.usage_of(node, fr))
    }

    /// Whether the requests fit the node's subtree quota, and what of them its local quota
    /// leaves for its parent to hold (`QuantitiesFitInQuota`).
    pub(crate) fn fit_in_quota(
        &self,
        node: Node,
        requests: &[(FlavorResource, Quantity)],
    ) -> (bool, Vec<(FlavorResource, Quantity)>) {
        let mut fits = true;
        let mut remaining = Vec::with_capacity(requests.len());
        for (fr, v) in requests {
            if self.subtree_quota(node, fr) < self.usage_of(node, fr) + *v {
                fits = false;
            }
            remaining.push((fr.clone(), (*v - self.local_available(node, fr)).max(Quantity::ZERO)));
        }
        (fits, remaining)
    }

    /// Adds usage to a ClusterQueue and, past each node's local quota, to the cohorts above.
    pub(crate) fn add_usage(&mut self, cq: &str, fr: &FlavorResource, q: Quantity) {
        if !self.queues.contains_key(cq) {
            return;
        }
        let path: Vec<String> = self
            .ancestors(Node::Queue(cq))
            .into_iter()
            .map(str::to_string)
            .collect();
        let mut node = Node::Queue(cq);
        let mut v = q;
        let mut up = path.iter();
        loop {
            let local = self.local_available(node, fr);
            self.add_to(node, fr, v);
            match up.next() {
                Some(parent) if v > local => {
                    v -= local;
                    node = Node::Cohort(parent);
                }
                _ => break,
            }
        }
    }

    /// Takes usage from a ClusterQueue (never below zero there) and, of what it held in its
    /// parent, from the cohorts above.
    pub(crate) fn remove_usage(&mut self, cq: &str, fr: &FlavorResource, q: Quantity) {
        if !self.queues.contains_key(cq) {
            return;
        }
        let path: Vec<String> = self
            .ancestors(Node::Queue(cq))
            .into_iter()
            .map(str::to_string)
            .collect();
        let mut node = Node::Queue(cq);
        let mut v = q.min(self.usage_of(node, fr));
        let mut up = path.iter();
        loop {
            let stored = self.usage_of(node, fr) - self.local_quota(node, fr);
            self.add_to(node, fr, Quantity::ZERO - v);
            match up.next() {
                Some(parent) if stored > Quantity::ZERO => {
                    v = v.min(stored);
                    node = Node::Cohort(parent);
                }
                _ => break,
            }
        }
    }

    /// Moves a node's usage by `delta`, keeping no entry for no usage, so that equal usage
    /// compares equal.
    fn add_to(&mut self, node: Node, fr: &FlavorResource, delta: Quantity) {
        let Some(usage) = self.usage_mut(node) else { return };
        let u = usage.entry(fr.clone()).or_default();
        *u += delta;
        if u.is_zero() {
            usage.remove(fr);
        }
    }

    /// How much more of `fr` the ClusterQueue may admit now.
    pub(crate) fn available(&self, cq: &str, fr: &FlavorResource) -> Quantity {
        self.capacity(cq, fr, false).max(Quantity::ZERO)
    }

    /// How much of `fr` the ClusterQueue could ever hold, were nothing used anywhere
    /// (`potentialAvailable`): beyond it a request never fits ("… > maximum capacity").
    pub(crate) fn potential_available(&self, cq: &str, fr: &FlavorResource) -> Quantity {
        self.capacity(cq, fr, true)
    }

    /// `potentialAvailable` of any node.
    pub(crate) fn potential_available_at(&self, node: Node, fr: &FlavorResource) -> Quantity {
        self.capacity_at(node, fr, true)
    }

    /// Kueue's `available` (`potentialAvailable` when `potential`), from the root down to
    /// the ClusterQueue. Not clamped on the way: an over-used cohort (after a quota cut)
    /// eats into what the nodes below keep back.
    fn capacity(&self, cq: &str, fr: &FlavorResource, potential: bool) -> Quantity {
        if !self.queues.contains_key(cq) {
            return Quantity::ZERO;
        }
        self.capacity_at(Node::Queue(cq), fr, potential)
    }

    fn capacity_at(&self, node: Node, fr: &FlavorResource, potential: bool) -> Quantity {
        let mut chain: Vec<Node> = vec![node];
        chain.extend(self.ancestors(node).into_iter().map(Node::Cohort));
        let mut down = chain.into_iter().rev();
        let Some(root) = down.next() else {
            return Quantity::ZERO;
        };
        let mut avail = self.subtree_quota(root, fr);
        if !potential {
            avail -= self.usage_of(root, fr);
        }
        for node in down {
            let quota = self.quota_of(node, fr);
            if potential {
                avail += self.local_quota(node, fr);
                if let Some(limit) = quota.borrowing_limit {
                    avail = avail.min(self.subtree_quota(node, fr) + limit);
                }
                continue;
            }
            if let Some(limit) = quota.borrowing_limit {
                // What it lends its parent plus the borrowing limit, less what it already
                // takes from there.
                let local = self.local_quota(node, fr);
                let stored = self.subtree_quota(node, fr) - local;
                let used_in_parent = (self.usage_of(node, fr) - local).max(Quantity::ZERO);
                avail = avail.min(stored - used_in_parent + limit);
            }
            avail += self.local_available(node, fr);
        }
        avail
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
    /// fits the ClusterQueue's nominal quota (reclaiming is then possible when it has a
    /// cohort), else the height of the lowest cohort whose subtree quota holds it, the
    /// root's when none does.
    pub(crate) fn borrowing_height(&self, cq: &str, fr: &FlavorResource, val: Quantity) -> (u32, bool) {
        let node = Node::Queue(cq);
        let has_parent = self.parent(node).is_some();
        if !self.borrowing_with(node, fr, val) || !has_parent {
            return (0, has_parent);
        }
        let mut remaining = val - self.local_available(node, fr);
        let path = self.ancestors(node);
        for c in &path {
            let c = Node::Cohort(c);
            if !self.borrowing_with(c, fr, remaining) {
                return (self.height(c), self.parent(c).is_some());
            }
            remaining -= self.local_available(c, fr);
        }
        (path.last().map(|r| self.height(Node::Cohort(r))).unwrap_or(0), false)
    }

    fn height(&self, node: Node) -> u32 {
        match node {
            Node::Queue(_) => 0,
            Node::Cohort(c) => self.cohorts.get(c).map(|c| c.height).unwrap_or(0),
        }
    }

    /// Whether admitting `extra` of `fr` would take the ClusterQueue above its nominal quota.
    pub(crate) fn would_borrow(&self, cq: &str, fr: &FlavorResource, extra: Quantity) -> bool {
        self.queues
            .get(cq)
            .is_some_and(|q| q.used(fr) + extra > q.quota(fr).nominal)
    }

    /// The ClusterQueues of a cohort's subtree, in name order per level.
    pub(crate) fn subtree_queues(&self, cohort: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut stack = vec![cohort];
        let mut seen = 0;
        while let Some(c) = stack.pop() {
            seen += 1;
            let Some(s) = self.cohorts.get(c) else { continue };
            if seen > self.cohorts.len() {
                break;
            }
            out.extend(s.child_queues.iter().map(String::as_str));
            stack.extend(s.child_cohorts.iter().rev().map(String::as_str));
        }
        out
    }

    /// The root of the tree a ClusterQueue belongs to; none without a cohort.
    pub(crate) fn root_of(&self, cq: &str) -> Option<&str> {
        self.ancestors(Node::Queue(cq)).last().copied()
    }
}

/// Whether walking up from `cohort` comes back to a cohort already seen (`HasCycle`).
fn has_cycle(cohorts: &BTreeMap<String, CohortSnapshot>, cohort: &str) -> bool {
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut next = Some(cohort);
    while let Some(c) = next {
        if !seen.insert(c) {
            return true;
        }
        next = cohorts.get(c).and_then(|s| s.parent.as_deref());
    }
    false
}

#[cfg(test)]
mod tests;
