//! Kueue's fair sharing (`pkg/cache/scheduler/fair_sharing.go`, `pkg/scheduler/preemption`'s
//! fair strategy): each node of a cohort tree has a dominant resource share (DRS), the
//! largest fraction of what its parent could lend it that it borrows of any resource,
//! divided by its `fairSharing.weight`. Admission favours the lowest share after
//! admission; preemption takes from the nodes with the highest shares, as far as the
//! configured strategies allow.

use super::cache::{FlavorResource, Node, Snapshot};
use super::preemption::{self, Admitted, Candidate, Preemptor, Reason, Target};
use crate::api::kueue::FairSharingStrategy;
use std::cmp::Ordering as Cmp;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

#[cfg(test)]
mod conformance;

/// A dominant resource share (Kueue's `DRS`): the unweighted ratio (per mille of what
/// the parent could lend), the node's weight, and whether it borrows at all (a node may
/// borrow what its parent has nothing lendable of, at ratio 0). Ordered as `CompareDRS`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Share {
    weight: f64,
    ratio: f64,
    borrowing: bool,
}

impl Default for Share {
    /// The share of a node within its quota, of weight 1.
    fn default() -> Share {
        Share::of(1.0)
    }
}

impl Share {
    fn of(weight: f64) -> Share {
        Share {
            weight,
            ratio: 0.0,
            borrowing: false,
        }
    }

    /// Whether the node uses more than its subtree quota of anything (`IsBorrowing`).
    pub(crate) fn is_borrowing(self) -> bool {
        self.borrowing
    }

    /// A weight of 0 makes any non-zero share infinite (`zeroWeightBorrows`).
    fn zero_weight_borrows(self) -> bool {
        self.weight == 0.0 && self.ratio != 0.0
    }

    /// `PreciseWeightedShare`.
    pub(crate) fn weighted(self) -> f64 {
        if self.ratio == 0.0 {
            0.0
        } else if self.weight == 0.0 {
            f64::INFINITY
        } else {
            self.ratio / self.weight
        }
    }

    /// `roundedWeightedShare`: the weighted share rounded up, `i64::MAX` when infinite.
    #[cfg(test)]
    pub(crate) fn rounded(self) -> i64 {
        if self.zero_weight_borrows() {
            i64::MAX
        } else {
            self.weighted().ceil() as i64
        }
    }
}

impl Ord for Share {
    /// `CompareDRS`: infinite shares above all others, compared by their unweighted
    /// ratios; the others by weighted share.
    fn cmp(&self, other: &Share) -> Cmp {
        match (self.zero_weight_borrows(), other.zero_weight_borrows()) {
            (true, true) => self.ratio.total_cmp(&other.ratio),
            (true, false) => Cmp::Greater,
            (false, true) => Cmp::Less,
            (false, false) => self.weighted().total_cmp(&other.weighted()),
        }
    }
}

impl PartialOrd for Share {
    fn partial_cmp(&self, other: &Share) -> Option<Cmp> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Share {
    fn eq(&self, other: &Share) -> bool {
        self.cmp(other) == Cmp::Equal
    }
}

impl Eq for Share {}

/// The ClusterQueue's dominant resource share as the snapshot stands
/// (`DominantResourceShare`). Zero without a cohort or when within nominal quota.
pub(crate) fn dominant_resource_share(snapshot: &Snapshot, cq: &str) -> Share {
    node_share(snapshot, Node::Queue(cq))
}

/// Whether the node uses beyond its subtree quota of any of these (flavor, resource)s
/// (`DRS.IsBorrowingOn`); a root never does.
pub(crate) fn borrows_on<'f>(
    snapshot: &Snapshot,
    node: Node,
    frs: impl IntoIterator<Item = &'f FlavorResource>,
) -> bool {
    snapshot.parent(node).is_some()
        && frs
            .into_iter()
            .any(|fr| snapshot.usage_of(node, fr) > snapshot.subtree_quota(node, fr))
}

/// A node's dominant resource share (`dominantResourceShare`): of each resource, what it
/// uses beyond its subtree quota (summed over flavors) per mille of what its parent could
/// lend it, the largest of them, per unit of weight. Zero for a root and for a node
/// within its subtree quota; for a cohort, its usage is what its children take from it.
pub(crate) fn node_share(snapshot: &Snapshot, node: Node) -> Share {
    let (frs, weight): (Vec<&FlavorResource>, f64) = match node {
        Node::Queue(q) => match snapshot.queue(q) {
            Some(q) => (q.quotas.keys().collect(), weight_of(q.weight)),
            None => return Share::default(),
        },
        Node::Cohort(c) => match snapshot.cohort(c) {
            Some(c) => (c.subtree.keys().collect(), weight_of(c.weight)),
            None => return Share::default(),
        },
    };
    let mut drs = Share::of(weight);
    let Some(parent) = snapshot.parent(node) else {
        return drs;
    };
    let mut borrowing: BTreeMap<&str, i128> = BTreeMap::new();
    for fr in frs {
        let b = (snapshot.usage_of(node, fr) - snapshot.subtree_quota(node, fr)).milli();
        if b > 0 {
            *borrowing.entry(fr.resource.as_str()).or_default() += b;
        }
    }
    if borrowing.is_empty() {
        return drs;
    }
    drs.borrowing = true;
    let lendable = lendable_from(snapshot, parent);
    for (resource, b) in borrowing {
        let lr = lendable.get(resource).copied().unwrap_or(0);
        if lr > 0 {
            drs.ratio = drs.ratio.max(b as f64 * 1000.0 / lr as f64);
        }
    }
    drs
}

fn weight_of(q: crate::units::Quantity) -> f64 {
    q.milli() as f64 / 1000.0
}

/// What `cohort` could lend a child, per resource name (summed over the flavors of its
/// root's subtree quota), in milli-units (`calculateLendable`).
fn lendable_from<'s>(snapshot: &'s Snapshot, cohort: &str) -> BTreeMap<&'s str, i128> {
    let root = snapshot
        .ancestors(Node::Cohort(cohort))
        .last()
        .copied()
        .unwrap_or(cohort);
    let mut out: BTreeMap<&str, i128> = BTreeMap::new();
    let Some(r) = snapshot.cohort(root) else { return out };
    for fr in r.subtree.keys() {
        *out.entry(fr.resource.as_str()).or_default() +=
            snapshot.potential_available_at(Node::Cohort(cohort), fr).milli();
    }
    out
}

fn allows(strategy: FairSharingStrategy, preemptor_new: Share, target_old: Share, target_new: Share) -> bool {
    match strategy {
        FairSharingStrategy::LessThanOrEqualToFinalShare => preemptor_new <= target_new,
        FairSharingStrategy::LessThanInitialShare => preemptor_new < target_old,
    }
}

/// The order in which ClusterQueues give up candidates (`TargetClusterQueueOrdering`):
/// from the root down, into the child with the highest share among those that borrow
/// and still have candidates (a cohort on the preemptor's path, or the preemptor's own
/// ClusterQueue, also when not borrowing), until a ClusterQueue is reached. Children
/// found not to qualify are pruned for good; the search ends once the root is.
struct Ordering<'c> {
    preemptor_cq: String,
    /// The cohorts above the preemptor, its parent first.
    path: Vec<String>,
    by_queue: BTreeMap<String, VecDeque<&'c Candidate>>,
    pruned_queues: BTreeSet<String>,
    pruned_cohorts: BTreeSet<String>,
}

impl<'c> Ordering<'c> {
    /// Candidates grouped by ClusterQueue, each group keeping the order given.
    fn new(snapshot: &Snapshot, preemptor_cq: &str, candidates: &[&'c Candidate]) -> Self {
        let mut by_queue: BTreeMap<String, VecDeque<&Candidate>> = BTreeMap::new();
        for c in candidates {
            by_queue.entry(c.cluster_queue.clone()).or_default().push_back(c);
        }
        Ordering {
            preemptor_cq: preemptor_cq.to_string(),
            path: snapshot
                .ancestors(Node::Queue(preemptor_cq))
                .into_iter()
                .map(str::to_string)
                .collect(),
            by_queue,
            pruned_queues: BTreeSet::new(),
            pruned_cohorts: BTreeSet::new(),
        }
    }

    fn has_workload(&self, cq: &str) -> bool {
        self.by_queue.get(cq).is_some_and(|v| !v.is_empty())
    }

    fn head(&self, cq: &str) -> Option<&'c Candidate> {
        self.by_queue.get(cq).and_then(|v| v.front().copied())
    }

    fn pop(&mut self, cq: &str) -> Option<&'c Candidate> {
        self.by_queue.get_mut(cq)?.pop_front()
    }

    /// `DropQueue`: no more candidates from this ClusterQueue.
    fn drop_queue(&mut self, cq: &str) {
        self.pruned_queues.insert(cq.to_string());
    }

    /// The next ClusterQueue to take a candidate from, or none when the search is over.
    /// The caller pops a candidate or drops the queue before asking again.
    fn next(&mut self, snapshot: &Snapshot) -> Option<String> {
        let own = self.preemptor_cq.clone();
        let Some(root) = self.path.last().cloned() else {
            let open = !self.pruned_queues.contains(&own) && self.has_workload(&own);
            return open.then_some(own);
        };
        // Each round descends once; one that finds nothing has pruned a node, so the
        // rounds are bounded by the size of the tree.
        while !self.pruned_cohorts.contains(&root) {
            if let Some(cq) = self.next_target(snapshot, &root) {
                return Some(cq);
            }
        }
        None
    }

    /// One descent from `cohort` (`nextTarget`); none when it only pruned.
    fn next_target(&mut self, snapshot: &Snapshot, cohort: &str) -> Option<String> {
        let node = snapshot.cohort(cohort)?;
        let best_queue = self.best_queue(snapshot, &node.child_queues);
        let best_cohort = self.best_cohort(snapshot, &node.child_cohorts);
        let cohort_wins = match (&best_queue, &best_cohort) {
            (_, None) => false,
            (None, Some(_)) => true,
            // On a tie the cohort goes first: the most unfair node within it is chosen.
            (Some((q, _)), Some((c, _))) => c >= q,
        };
        if let Some((_, c)) = best_cohort.filter(|_| cohort_wins) {
            return self.next_target(snapshot, &c);
        }
        if best_queue.is_none() {
            // Nothing left below: the cohort is done with.
            self.pruned_cohorts.insert(cohort.to_string());
        }
        best_queue.map(|(_, q)| q)
    }

    /// The child ClusterQueue with the highest share, pruning those that do not borrow
    /// (other than the preemptor's) or have no candidates left. Equal shares go to the
    /// one whose next candidate comes first in `CandidatesOrdering`.
    fn best_queue(&mut self, snapshot: &Snapshot, queues: &[String]) -> Option<(Share, String)> {
        let mut best: Option<(Share, String)> = None;
        for cq in queues {
            if self.pruned_queues.contains(cq) {
                continue;
            }
            let drs = dominant_resource_share(snapshot, cq);
            if (!drs.is_borrowing() && *cq != self.preemptor_cq) || !self.has_workload(cq) {
                self.pruned_queues.insert(cq.clone());
                continue;
            }
            let better = match &best {
                None => true,
                Some((b, _)) if drs > *b => true,
                Some((b, name)) if drs == *b => self.head_first(cq, name),
                Some(_) => false,
            };
            if better {
                best = Some((drs, cq.clone()));
            }
        }
        best
    }

    /// Whether `a`'s next candidate comes before `b`'s.
    fn head_first(&self, a: &str, b: &str) -> bool {
        match (self.head(a), self.head(b)) {
            (Some(x), Some(y)) => {
                let own = self.preemptor_cq.as_str();
                preemption::order_key(x, x.cluster_queue == own) < preemption::order_key(y, y.cluster_queue == own)
            }
            _ => false,
        }
    }

    /// The child cohort with the highest share (the last of equals), pruning those that
    /// do not borrow and are not on the preemptor's path.
    fn best_cohort(&mut self, snapshot: &Snapshot, cohorts: &[String]) -> Option<(Share, String)> {
        let mut best: Option<(Share, String)> = None;
        for c in cohorts {
            if self.pruned_cohorts.contains(c) {
                continue;
            }
            let drs = node_share(snapshot, Node::Cohort(c));
            if !drs.is_borrowing() && !self.path.contains(c) {
                self.pruned_cohorts.insert(c.clone());
            } else if best.as_ref().is_none_or(|(b, _)| drs >= *b) {
                best = Some((drs, c.clone()));
            }
        }
        best
    }

    /// The shares compared for a target ClusterQueue (`ComputeShares`): those of the
    /// preemptor's and the target's almost least common ancestors, the children of
    /// their lowest common cohort on either side.
    fn shares(&self, snapshot: &Snapshot, target: &str) -> (Share, Share) {
        let (mine, theirs) = self.almost_lcas(snapshot, target);
        (node_share(snapshot, mine), node_share(snapshot, theirs))
    }

    /// The target's almost least common ancestor's share once `c` is gone
    /// (`ComputeTargetShareAfterRemoval`).
    fn target_share_without(&self, snapshot: &mut Snapshot, target: &str, c: &Candidate) -> Share {
        preemption::remove(snapshot, c);
        let (_, theirs) = self.almost_lcas(snapshot, target);
        let share = node_share(snapshot, theirs);
        preemption::add(snapshot, c);
        share
    }

    fn almost_lcas<'a>(&'a self, snapshot: &'a Snapshot, target: &'a str) -> (Node<'a>, Node<'a>) {
        let theirs = snapshot.ancestors(Node::Queue(target));
        let lca = theirs.iter().find(|a| self.path.iter().any(|p| p == *a)).copied();
        let below = |own: Node<'a>, path: Vec<&'a str>| -> Node<'a> {
            let mut child = own;
            for a in path {
                if Some(a) == lca {
                    break;
                }
                child = Node::Cohort(a);
            }
            child
        };
        let mine = below(
            Node::Queue(&self.preemptor_cq),
            self.path.iter().map(String::as_str).collect(),
        );
        (mine, below(Node::Queue(target), theirs))
    }
}

/// Whether the preemptor fits, its own usage (added for share computations) set aside.
fn fits_for_fair_sharing(p: &Preemptor, snapshot: &mut Snapshot) -> bool {
    let cq = &p.cluster_queue.name;
    for (fr, q) in &p.requests {
        snapshot.remove_usage(cq, fr, *q);
    }
    let fits = preemption::fits(p, snapshot, true);
    for (fr, q) in &p.requests {
        snapshot.add_usage(cq, fr, *q);
    }
    fits
}

type Chosen<'c> = (&'c Candidate, Reason);

/// Whether the preemptor, its workload included, uses at most its nominal quota of every
/// pair that needs preemption (`queueWithinNominalInResourcesNeedingPreemption`): it may
/// then reclaim what it is entitled to whatever the shares (`FairSharingPreemptWithinNominal`,
/// on by default).
fn preemptor_within_nominal(p: &Preemptor, snapshot: &Snapshot) -> bool {
    let cq = &p.cluster_queue.name;
    p.needs
        .iter()
        .all(|fr| !snapshot.would_borrow(cq, fr, crate::units::Quantity::ZERO))
}

/// Takes `c` from the snapshot as a target; whether the preemptor then fits.
fn take<'c>(
    p: &Preemptor,
    snapshot: &mut Snapshot,
    c: &'c Candidate,
    reason: Reason,
    targets: &mut Vec<Chosen<'c>>,
) -> bool {
    preemption::remove(snapshot, c);
    targets.push((c, reason));
    fits_for_fair_sharing(p, snapshot)
}

/// Whether no candidate of the target can pass either strategy (`fsStrategyUnsatisfiable`):
/// an infinite preemptor share is never below a finite one.
fn unsatisfiable(preemptor_new: Share, target_old: Share) -> bool {
    preemptor_new.weighted().is_infinite() && !target_old.weighted().is_infinite()
}

/// Rule S2-a or S2-b over the ordering (`runFirstFsStrategy`). Returns whether the
/// preemptor fits, and the candidates the strategy refused, for the second strategy.
fn first_strategy<'c>(
    p: &Preemptor,
    snapshot: &mut Snapshot,
    candidates: &[&'c Candidate],
    strategy: FairSharingStrategy,
    targets: &mut Vec<Chosen<'c>>,
) -> (bool, Vec<&'c Candidate>) {
    let own = p.cluster_queue.name.as_str();
    let mut ordering = Ordering::new(snapshot, own, candidates);
    let within_nominal = preemptor_within_nominal(p, snapshot);
    let mut retry = Vec::new();
    while let Some(cq) = ordering.next(snapshot) {
        if cq == own || within_nominal {
            let Some(c) = ordering.pop(&cq) else { break };
            let reason = if cq == own {
                Reason::ClusterQueue
            } else {
                Reason::CohortReclamation
            };
            if take(p, snapshot, c, reason, targets) {
                return (true, retry);
            }
            continue;
        }
        let (preemptor_new, target_old) = ordering.shares(snapshot, &cq);
        if unsatisfiable(preemptor_new, target_old) {
            while let Some(c) = ordering.pop(&cq) {
                retry.push(c);
            }
            continue;
        }
        while let Some(c) = ordering.pop(&cq) {
            let target_new = ordering.target_share_without(snapshot, &cq, c);
            if !allows(strategy, preemptor_new, target_old, target_new) {
                retry.push(c);
                continue;
            }
            if take(p, snapshot, c, Reason::CohortFairSharing, targets) {
                return (true, retry);
            }
            // The shares moved: the next ClusterQueue may be another one.
            break;
        }
    }
    (false, retry)
}

/// Rule S2-b over the candidates the first strategy refused, at most one per
/// ClusterQueue (`runSecondFsStrategy`).
fn second_strategy<'c>(
    p: &Preemptor,
    snapshot: &mut Snapshot,
    retry: &[&'c Candidate],
    targets: &mut Vec<Chosen<'c>>,
) -> bool {
    let own = p.cluster_queue.name.as_str();
    let mut ordering = Ordering::new(snapshot, own, retry);
    while let Some(cq) = ordering.next(snapshot) {
        let (preemptor_new, target_old) = ordering.shares(snapshot, &cq);
        // The rule does not depend on the candidate: the first one goes, if any.
        let candidate = ordering.pop(&cq);
        if let Some(c) = candidate.filter(|_| preemptor_new < target_old) {
            if take(p, snapshot, c, Reason::CohortFairSharing, targets) {
                return true;
            }
        }
        ordering.drop_queue(&cq);
    }
    false
}

/// The workloads to evict so that the preemptor fits under fair sharing, or none
/// (`fairPreemptions`). Leaves the snapshot as it found it.
pub(crate) fn targets(
    p: &Preemptor,
    snapshot: &mut Snapshot,
    admitted: &Admitted,
    strategies: &[FairSharingStrategy],
) -> Vec<Target> {
    let mut candidates = preemption::find_candidates(p, snapshot, admitted);
    let Some(&first) = strategies.first() else {
        return Vec::new();
    };
    if candidates.is_empty() {
        return Vec::new();
    }
    preemption::order(&mut candidates, &p.cluster_queue.name);
    let own = p.cluster_queue.name.clone();
    // Shares are compared with the incoming workload admitted.
    for (fr, q) in &p.requests {
        snapshot.add_usage(&own, fr, *q);
    }
    let mut chosen: Vec<Chosen> = Vec::new();
    let (mut fits, retry) = first_strategy(p, snapshot, &candidates, first, &mut chosen);
    if !fits && strategies.len() > 1 {
        fits = second_strategy(p, snapshot, &retry, &mut chosen);
    }
    for (fr, q) in &p.requests {
        snapshot.remove_usage(&own, fr, *q);
    }
    for (c, _) in &chosen {
        preemption::add(snapshot, c);
    }
    if !fits {
        return Vec::new();
    }
    preemption::fill_back(p, snapshot, chosen, true)
}

#[cfg(test)]
mod tests {
    //! Dominant resource shares; the preemption table of `TestFairPreemptions` is in
    //! `conformance`.
    use super::*;
    use crate::api::kueue::{
        ClusterQueue, FlavorQuotas, Preemption, QueueingStrategy, ReclaimWithinCohort, ResourceGroup, ResourceQuota,
        WithinClusterQueue,
    };
    use crate::manifest::error::Loc;
    use crate::units::Quantity;

    fn cpu(milli: i64) -> Quantity {
        Quantity::from_milli(milli as i128)
    }

    fn queue(name: &str, cohort: Option<&str>, nominal: i64, weight: i64, preemption: Preemption) -> ClusterQueue {
        ClusterQueue {
            name: name.into(),
            cohort: cohort.map(str::to_string),
            namespace_selector: None,
            queueing_strategy: QueueingStrategy::BestEffortFIFO,
            resource_groups: vec![ResourceGroup {
                covered: vec!["cpu".into()],
                flavors: vec![FlavorQuotas {
                    name: "default".into(),
                    resources: vec![ResourceQuota {
                        name: "cpu".into(),
                        nominal: cpu(nominal),
                        borrowing_limit: None,
                        lending_limit: None,
                    }],
                    loc: Loc::file("t"),
                }],
            }],
            preemption,
            flavor_fungibility: Default::default(),
            fair_sharing_weight: cpu(weight),
            stopped: false,
            loc: Loc::file("t"),
        }
    }

    /// `a`, `b` and `c` without borrowWithinCohort, with the given weights (milli).
    fn weighted(weights: &[(&str, i64)]) -> Vec<ClusterQueue> {
        let p = Preemption {
            within_cluster_queue: WithinClusterQueue::LowerPriority,
            reclaim_within_cohort: ReclaimWithinCohort::Any,
            ..Default::default()
        };
        weights
            .iter()
            .map(|(n, w)| queue(n, Some("all"), 3000, *w, p))
            .collect()
    }

    #[test]
    fn dominant_resource_share_follows_kueue() {
        // (case, usage of a and b in milli-cpu, weight of a in milli, share of a)
        // Shares rounded up as Kueue reports them (`roundedWeightedShare`).
        let cases: &[(&str, i64, i64, i64, i64)] = &[
            ("within nominal", 3000, 0, 1000, 0),
            ("one cpu over of nine lendable", 4000, 0, 1000, 112),
            ("weight 2 halves the share", 4000, 0, 2000, 56),
            ("weight 0 while borrowing", 4000, 0, 0, i64::MAX),
            ("weight 0 within nominal", 2000, 0, 0, 0),
            ("all lendable borrowed", 9000, 0, 1000, 667),
        ];
        for (name, a, b, weight, want) in cases {
            let queues = weighted(&[("a", *weight), ("b", 1000), ("c", 1000)]);
            let usage = crate::kueue::cache::usage_from([
                (("a", "default", "cpu"), cpu(*a)),
                (("b", "default", "cpu"), cpu(*b)),
            ]);
            let snapshot = Snapshot::new(queues.iter(), &usage);
            assert_eq!(dominant_resource_share(&snapshot, "a").rounded(), *want, "{name}");
        }
    }

    /// A Cohort object with `cpu` quota (milli) and an optional borrowing limit.
    fn cohort_object(
        name: &str,
        parent: Option<&str>,
        nominal: i64,
        borrowing: Option<i64>,
        weight: i64,
    ) -> crate::api::kueue::Cohort {
        let mut groups = queue(name, None, nominal, weight, Preemption::default()).resource_groups;
        groups[0].flavors[0].resources[0].borrowing_limit = borrowing.map(cpu);
        crate::api::kueue::Cohort {
            name: name.into(),
            parent: parent.map(str::to_string),
            resource_groups: groups,
            fair_sharing_weight: cpu(weight),
            loc: Loc::file("t"),
        }
    }

    /// The tree cases of `TestDominantResourceShare` (their gpu written as cpu here): a
    /// cohort's share is what it takes from its parent per mille of what the parent could
    /// lend it, per unit of its weight; a root's is 0.
    #[test]
    fn dominant_resource_share_of_cohorts() {
        // (case, cq nominal, child-cohort nominal, its borrowing limit, its weight, root
        // nominal, cq usage; shares of cq, child-cohort, root)
        type Case<'a> = (&'a str, i64, i64, Option<i64>, i64, i64, i64, (i64, i64, i64));
        let cases: [Case; 3] = [
            (
                "cohort has resource share",
                5000,
                0,
                None,
                2000,
                45000,
                10000,
                (100, 50, 0),
            ),
            (
                "resource share defined for resources only available at the root cohort",
                0,
                0,
                None,
                2000,
                50000,
                10000,
                (200, 100, 0),
            ),
            (
                "resource share affected by borrowing limit",
                0,
                0,
                Some(10000),
                1000,
                50000,
                10000,
                (1000, 200, 0),
            ),
        ];
        for (name, cq_nominal, child, borrowing, weight, root, used, want) in cases {
            let queues = [queue(
                "cq",
                Some("child-cohort"),
                cq_nominal,
                1000,
                Preemption::default(),
            )];
            let cohorts = [
                cohort_object("child-cohort", Some("root"), child, borrowing, weight),
                cohort_object("root", None, root, None, 1000),
            ];
            let usage = crate::kueue::cache::usage_from([(("cq", "default", "cpu"), cpu(used))]);
            let s = Snapshot::with_cohorts(queues.iter(), cohorts.iter(), &usage);
            let got = (
                dominant_resource_share(&s, "cq").rounded(),
                node_share(&s, Node::Cohort("child-cohort")).rounded(),
                node_share(&s, Node::Cohort("root")).rounded(),
            );
            assert_eq!(got, want, "TestDominantResourceShare/{name}");
        }
    }

    /// `TestCohortLendable`: what a cohort lends is what its members lend, per resource.
    #[test]
    fn cohort_lendable() {
        let mut cq1 = queue("cq1", Some("test-cohort"), 8000, 1000, Preemption::default());
        cq1.resource_groups[0].flavors[0].resources[0].lending_limit = Some(cpu(8000));
        let mut cq2 = queue("cq2", Some("test-cohort"), 2000, 1000, Preemption::default());
        cq2.resource_groups[0].flavors[0].resources[0].lending_limit = Some(cpu(2000));
        let s = Snapshot::new([&cq1, &cq2], &Default::default());
        let lendable = lendable_from(&s, "test-cohort");
        assert_eq!(lendable.get("cpu"), Some(&10_000));
    }
}
