//! Kueue's fair sharing (`pkg/cache/fair_sharing.go`, `pkg/scheduler/preemption`'s
//! fair strategy): each ClusterQueue of a cohort has a dominant resource share (DRS),
//! the largest fraction of the cohort's lendable quota it borrows of any resource,
//! divided by its `fairSharing.weight`. Admission favours the lowest share after
//! admission; preemption takes from the ClusterQueues with the highest shares, as far as
//! the configured strategies allow.

use super::cache::{FlavorResource, Node, Snapshot};
use super::preemption::{self, Admitted, Candidate, Preemptor, Reason, Target};
use crate::api::kueue::FairSharingStrategy;
use crate::units::Quantity;
use std::collections::{BTreeMap, BTreeSet};

/// A dominant resource share (Kueue's `DRS`): the largest per-mille ratio of what a node
/// borrows of a resource to what its parent could lend it, and the node's
/// `fairSharing.weight`. Compared as Kueue's `CompareDRS` compares them, in floating
/// point as Kueue computes them: by the ratio over the weight, a borrowing node of weight
/// 0 above every other and, among those, by the ratio alone (so that two of them still
/// tell which borrows more).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Share {
    ratio: f64,
    weight: f64,
}

impl Share {
    pub(crate) const ZERO: Share = Share {
        ratio: 0.0,
        weight: 1.0,
    };

    fn is_zero(&self) -> bool {
        self.ratio == 0.0
    }

    fn zero_weight_borrows(&self) -> bool {
        self.weight == 0.0 && !self.is_zero()
    }

    /// `PreciseWeightedShare`.
    fn weighted(&self) -> f64 {
        if self.is_zero() {
            0.0
        } else if self.weight == 0.0 {
            f64::INFINITY
        } else {
            self.ratio / self.weight
        }
    }

    /// `roundedWeightedShare`: the weighted share rounded up, `i64::MAX` for a borrowing
    /// node of weight 0.
    #[cfg(test)]
    pub(crate) fn rounded(&self) -> i64 {
        if self.zero_weight_borrows() {
            i64::MAX
        } else {
            self.weighted().ceil() as i64
        }
    }
}

impl Ord for Share {
    fn cmp(&self, other: &Share) -> std::cmp::Ordering {
        use std::cmp::Ordering::{Greater, Less};
        match (self.zero_weight_borrows(), other.zero_weight_borrows()) {
            (true, true) => self.ratio.total_cmp(&other.ratio),
            (true, false) => Greater,
            (false, true) => Less,
            (false, false) => self.weighted().total_cmp(&other.weighted()),
        }
    }
}

impl PartialOrd for Share {
    fn partial_cmp(&self, other: &Share) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Share {
    fn eq(&self, other: &Share) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Share {}

/// The ClusterQueue's dominant resource share as the snapshot stands
/// (`DominantResourceShare`). Zero without a cohort or when within nominal quota.
pub(crate) fn dominant_resource_share(snapshot: &Snapshot, cq: &str) -> Share {
    node_share(snapshot, Node::Queue(cq))
}

/// A node's dominant resource share (`dominantResourceShare`): of each resource, what it
/// uses beyond its subtree quota (summed over flavors) per mille of what its parent could
/// lend it, the largest of them, with its weight. Zero for a root, for a node within its
/// subtree quota and for one borrowing only what its parent has nothing of to lend; for a
/// cohort, its usage is what its children take from it.
pub(crate) fn node_share(snapshot: &Snapshot, node: Node) -> Share {
    let Some(parent) = snapshot.parent(node) else {
        return Share::ZERO;
    };
    let (frs, weight): (Vec<&FlavorResource>, Quantity) = match node {
        Node::Queue(q) => match snapshot.queue(q) {
            Some(q) => (q.quotas.keys().collect(), q.weight),
            None => return Share::ZERO,
        },
        Node::Cohort(c) => match snapshot.cohort(c) {
            Some(c) => (c.subtree.keys().collect(), c.weight),
            None => return Share::ZERO,
        },
    };
    let weight = weight.milli() as f64 / 1000.0;
    let mut borrowing: BTreeMap<&str, i128> = BTreeMap::new();
    for fr in frs {
        let b = (snapshot.usage_of(node, fr) - snapshot.subtree_quota(node, fr)).milli();
        if b > 0 {
            *borrowing.entry(fr.resource.as_str()).or_default() += b;
        }
    }
    if borrowing.is_empty() {
        return Share { ratio: 0.0, weight };
    }
    let lendable = lendable_from(snapshot, parent);
    let mut ratio: f64 = 0.0;
    for (resource, b) in borrowing {
        let lr = lendable.get(resource).copied().unwrap_or(0);
        if lr > 0 {
            ratio = ratio.max(b as f64 * 1000.0 / lr as f64);
        }
    }
    Share { ratio, weight }
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

/// Candidates grouped by ClusterQueue, each group in preemption order, and the order in
/// which ClusterQueues are visited (`TargetClusterQueueOrdering` on a flat cohort): the
/// member with the highest share among those that still have candidates and borrow,
/// the preemptor's own ClusterQueue included while it has candidates.
struct Ordering<'c> {
    preemptor_cq: String,
    by_queue: BTreeMap<String, Vec<&'c Candidate>>,
    pruned: BTreeSet<String>,
}

impl<'c> Ordering<'c> {
    fn new(preemptor_cq: &str, candidates: &[&'c Candidate]) -> Self {
        let mut by_queue: BTreeMap<String, Vec<&Candidate>> = BTreeMap::new();
        for c in candidates {
            by_queue.entry(c.cluster_queue.clone()).or_default().push(c);
        }
        Ordering {
            preemptor_cq: preemptor_cq.to_string(),
            by_queue,
            pruned: BTreeSet::new(),
        }
    }

    fn has_workload(&self, cq: &str) -> bool {
        self.by_queue.get(cq).is_some_and(|v| !v.is_empty())
    }

    fn pop(&mut self, cq: &str) -> Option<&'c Candidate> {
        let v = self.by_queue.get_mut(cq)?;
        (!v.is_empty()).then(|| v.remove(0))
    }

    /// The next ClusterQueue to take a candidate from, or none when all are pruned.
    fn next(&mut self, snapshot: &Snapshot) -> Option<String> {
        let q = snapshot.queue(&self.preemptor_cq)?;
        if q.cohort.is_none() {
            return self.has_workload(&self.preemptor_cq).then(|| self.preemptor_cq.clone());
        }
        // Every ClusterQueue of the tree, by its own share (Kueue orders a hierarchy by
        // the shares along the paths from their common ancestor; see the README).
        let members: Vec<String> = snapshot
            .root_of(&self.preemptor_cq)
            .map(|r| snapshot.subtree_queues(r).into_iter().map(str::to_string).collect())
            .unwrap_or_default();
        let mut best: Option<(Share, String)> = None;
        for m in members {
            if self.pruned.contains(&m) {
                continue;
            }
            let drs = dominant_resource_share(snapshot, &m);
            if (drs == Share::ZERO && m != self.preemptor_cq) || !self.has_workload(&m) {
                self.pruned.insert(m);
            } else if best.as_ref().is_none_or(|(b, _)| drs >= *b) {
                best = Some((drs, m));
            }
        }
        best.map(|(_, m)| m)
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
    let mut ordering = Ordering::new(own, candidates);
    let mut retry = Vec::new();
    // `FairSharingPreemptWithinNominal` (beta, on in v0.19): a preemptor whose
    // ClusterQueue, with it admitted, stays within its quota of every (flavor, resource)
    // needing preemption reclaims from the others whatever their shares.
    let within_nominal = p
        .needs
        .iter()
        .all(|fr| snapshot.usage_of(Node::Queue(own), fr) <= snapshot.subtree_quota(Node::Queue(own), fr));
    while let Some(cq) = ordering.next(snapshot) {
        if cq == own || within_nominal {
            let c = ordering.pop(&cq).expect("has a workload");
            preemption::remove(snapshot, c);
            let reason = if cq == own {
                Reason::ClusterQueue
            } else {
                Reason::CohortReclamation
            };
            targets.push((c, reason));
            if fits_for_fair_sharing(p, snapshot) {
                return (true, retry);
            }
            continue;
        }
        let preemptor_new = dominant_resource_share(snapshot, own);
        let target_old = dominant_resource_share(snapshot, &cq);
        while let Some(c) = ordering.pop(&cq) {
            preemption::remove(snapshot, c);
            let target_new = dominant_resource_share(snapshot, &cq);
            if allows(strategy, preemptor_new, target_old, target_new) {
                targets.push((c, Reason::CohortFairSharing));
                if fits_for_fair_sharing(p, snapshot) {
                    return (true, retry);
                }
                // The shares moved: the next ClusterQueue may be another one.
                break;
            }
            preemption::add(snapshot, c);
            retry.push(c);
        }
    }
    (false, retry)
}

/// Rule S2-b over the candidates the first strategy refused, one per ClusterQueue
/// (`runSecondFsStrategy`).
fn second_strategy<'c>(
    p: &Preemptor,
    snapshot: &mut Snapshot,
    retry: &[&'c Candidate],
    targets: &mut Vec<Chosen<'c>>,
) -> bool {
    let own = p.cluster_queue.name.as_str();
    let mut ordering = Ordering::new(own, retry);
    while let Some(cq) = ordering.next(snapshot) {
        let preemptor_new = dominant_resource_share(snapshot, own);
        let target_old = dominant_resource_share(snapshot, &cq);
        if allows(
            FairSharingStrategy::LessThanInitialShare,
            preemptor_new,
            target_old,
            Share::ZERO,
        ) {
            let c = ordering.pop(&cq).expect("has a workload");
            preemption::remove(snapshot, c);
            targets.push((c, Reason::CohortFairSharing));
            if fits_for_fair_sharing(p, snapshot) {
                return true;
            }
        }
        ordering.pruned.insert(cq);
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
    if candidates.is_empty() || strategies.is_empty() {
        return Vec::new();
    }
    preemption::order(&mut candidates, &p.cluster_queue.name);
    let own = p.cluster_queue.name.clone();
    // Shares are compared with the incoming workload admitted.
    for (fr, q) in &p.requests {
        snapshot.add_usage(&own, fr, *q);
    }
    let mut chosen: Vec<Chosen> = Vec::new();
    let (mut fits, retry) = first_strategy(p, snapshot, &candidates, strategies[0], &mut chosen);
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
    //! Cases named as in `TestFairPreemptions` of Kueue's
    //! `pkg/scheduler/preemption/preemption_fair_test.go`, with its ClusterQueues `a`, `b`,
    //! `c` (3 cpu each, LowerPriority / Any / borrowWithinCohort LowerPriority below -3)
    //! and `preemptible` (0 cpu) in cohort `all`. Kueue v0.13 gives every cohort target
    //! the reason `CohortFairSharing`; later releases call those taken while the
    //! preemptor stays within its nominal quota `CohortReclamation`.
    use super::*;
    use crate::api::kueue::{
        BorrowWithinCohort, ClusterQueue, FlavorQuotas, Preemption, QueueingStrategy, ReclaimWithinCohort,
        ResourceGroup, ResourceQuota, WithinClusterQueue,
    };
    use crate::manifest::error::Loc;
    use crate::store::WorkloadId;
    use FairSharingStrategy::*;

    fn cpu(milli: i64) -> Quantity {
        Quantity::from_milli(milli as i128)
    }

    fn fr() -> FlavorResource {
        FlavorResource::new("default", "cpu")
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

    /// Kueue's `baseCQs`.
    fn base() -> Vec<ClusterQueue> {
        let p = Preemption {
            within_cluster_queue: WithinClusterQueue::LowerPriority,
            reclaim_within_cohort: ReclaimWithinCohort::Any,
            borrow_within_cohort: BorrowWithinCohort::LowerPriority {
                max_priority_threshold: Some(-3),
            },
        };
        vec![
            queue("a", Some("all"), 3000, 1000, p),
            queue("b", Some("all"), 3000, 1000, p),
            queue("c", Some("all"), 3000, 1000, p),
            queue("preemptible", Some("all"), 0, 1000, Preemption::default()),
        ]
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

    /// (name, ClusterQueue, milli-cpu, priority), all admitted at the same instant, so
    /// that list order breaks ties as Kueue's UIDs do.
    type Admitted<'a> = (&'a str, &'a str, i64, i32);

    /// Repeats `unitWl` (1 cpu, priority 0) for each name, in ClusterQueue `cq`.
    fn units<'a>(cq: &'a str, names: &[&'a str]) -> Vec<Admitted<'a>> {
        names.iter().map(|n| (*n, cq, 1000, 0)).collect()
    }

    struct Case<'a> {
        name: &'a str,
        queues: Vec<ClusterQueue>,
        strategies: Vec<FairSharingStrategy>,
        admitted: Vec<Admitted<'a>>,
        /// (ClusterQueue, milli-cpu, priority)
        incoming: (&'a str, i64, i32),
        want: Vec<(&'a str, Reason)>,
    }

    fn run(case: &Case) -> Vec<(String, Reason)> {
        let mut used = Vec::new();
        let mut candidates = Vec::new();
        for (i, (_, cq, c, prio)) in case.admitted.iter().enumerate() {
            used.push(((*cq, "default", "cpu"), cpu(*c)));
            candidates.push(Candidate {
                uid: WorkloadId::from_raw(i as u64 + 1),
                cluster_queue: cq.to_string(),
                priority: *prio,
                queued: crate::units::Stamp(0),
                admitted: crate::units::Stamp(0),
                usage: vec![(fr(), cpu(*c))],
                evicted: false,
            });
        }
        let usage = crate::kueue::cache::usage_from(used);
        let mut snapshot = Snapshot::new(case.queues.iter(), &usage).with_fair_sharing(Some(case.strategies.clone()));
        let before = snapshot.clone();
        let (cq_name, c, prio) = case.incoming;
        let cq = case.queues.iter().find(|q| q.name == cq_name).unwrap();
        let p = Preemptor {
            cluster_queue: cq,
            priority: prio,
            queued: crate::units::Stamp(1000),
            requests: vec![(fr(), cpu(c))],
            needs: [fr()].into(),
        };
        let t = targets(
            &p,
            &mut snapshot,
            &preemption::Admitted::new(candidates),
            &case.strategies,
        );
        assert_eq!(snapshot, before, "{}: the snapshot is left as it was", case.name);
        let mut names: Vec<(String, Reason)> = t
            .into_iter()
            .map(|t| (case.admitted[(t.uid.raw() - 1) as usize].0.to_string(), t.reason))
            .collect();
        names.sort_by(|a, b| a.0.cmp(&b.0));
        names
    }

    #[test]
    fn fair_preemption_cases() {
        use Reason::*;
        let both = vec![LessThanOrEqualToFinalShare, LessThanInitialShare];
        let cat = |parts: Vec<Vec<Admitted<'static>>>| parts.concat();
        let cases = vec![
            Case {
                name: "reclaim nominal from user using the most",
                queues: base(),
                strategies: both.clone(),
                admitted: cat(vec![
                    units("a", &["a1", "a2", "a3"]),
                    units("b", &["b1", "b2", "b3", "b4", "b5"]),
                    units("c", &["c1"]),
                ]),
                incoming: ("c", 1000, 0),
                want: vec![("b1", CohortReclamation)],
            },
            Case {
                name: "can reclaim from queue using less, if taking the latest workload from user using the most isn't enough",
                queues: base(),
                strategies: both.clone(),
                admitted: vec![("a1", "a", 3000, 0), ("a2", "a", 1000, 0), ("b1", "b", 2000, 0), ("b2", "b", 3000, 0)],
                incoming: ("c", 3000, 0),
                want: vec![("a1", CohortReclamation)],
            },
            Case {
                name: "reclaim borrowable quota from user using the most",
                queues: base(),
                strategies: both.clone(),
                admitted: cat(vec![
                    units("a", &["a1", "a2", "a3"]),
                    units("b", &["b1", "b2", "b3", "b4", "b5"]),
                    units("c", &["c1"]),
                ]),
                incoming: ("a", 1000, 0),
                want: vec![("b1", CohortFairSharing)],
            },
            Case {
                name: "preempt one from each CQ borrowing",
                queues: base(),
                strategies: both.clone(),
                admitted: vec![
                    ("a1", "a", 500, 0),
                    ("a2", "a", 500, 0),
                    ("a3", "a", 3000, 0),
                    ("b1", "b", 500, 0),
                    ("b2", "b", 500, 0),
                    ("b3", "b", 3000, 0),
                ],
                incoming: ("c", 2000, 0),
                want: vec![("a1", CohortReclamation), ("b1", CohortReclamation)],
            },
            Case {
                name: "can't preempt when everyone under nominal",
                queues: base(),
                strategies: both.clone(),
                admitted: cat(vec![
                    units("a", &["a1", "a2", "a3"]),
                    units("b", &["b1", "b2", "b3"]),
                    units("c", &["c1", "c2", "c3"]),
                ]),
                incoming: ("c", 1000, 0),
                want: vec![],
            },
            Case {
                name: "can't preempt when it would switch the imbalance",
                queues: base(),
                strategies: both.clone(),
                admitted: cat(vec![
                    units("a", &["a1", "a2", "a3"]),
                    units("b", &["b1", "b2", "b3", "b4", "b5"]),
                ]),
                incoming: ("a", 2000, 0),
                want: vec![],
            },
            Case {
                name: "can preempt lower priority workloads from same CQ",
                queues: base(),
                strategies: both.clone(),
                admitted: cat(vec![
                    vec![("a1_low", "a", 1000, -1), ("a2_low", "a", 1000, -1)],
                    units("a", &["a3", "a4"]),
                    units("b", &["b1", "b2", "b3", "b4", "b5"]),
                ]),
                incoming: ("a", 2000, 0),
                want: vec![("a1_low", ClusterQueue), ("a2_low", ClusterQueue)],
            },
            Case {
                name: "can preempt a combination of same CQ and highest user",
                queues: base(),
                strategies: both.clone(),
                admitted: cat(vec![
                    vec![("a_low", "a", 1000, -1)],
                    units("a", &["a2", "a3"]),
                    units("b", &["b1", "b2", "b3", "b4", "b5", "b6"]),
                ]),
                incoming: ("a", 2000, 0),
                want: vec![("a_low", ClusterQueue), ("b1", CohortFairSharing)],
            },
            Case {
                name: "preempt huge workload if there is no other option, as long as the target CQ gets a lower share",
                queues: base(),
                strategies: both.clone(),
                admitted: vec![("b1", "b", 9000, 0)],
                incoming: ("a", 2000, 0),
                want: vec![("b1", CohortReclamation)],
            },
            Case {
                name: "can't preempt huge workload if the incoming is also huge",
                queues: base(),
                strategies: both.clone(),
                admitted: vec![("a1", "a", 2000, 0), ("b1", "b", 7000, 0)],
                incoming: ("a", 5000, 0),
                want: vec![],
            },
            Case {
                name: "can't preempt 2 smaller workloads if the incoming is huge",
                queues: base(),
                strategies: both.clone(),
                admitted: vec![("b1", "b", 2000, 0), ("b2", "b", 2000, 0), ("b3", "b", 3000, 0)],
                incoming: ("a", 6000, 0),
                want: vec![],
            },
            Case {
                name: "preempt from target and others even if over nominal",
                queues: base(),
                strategies: both.clone(),
                admitted: vec![
                    ("a1_low", "a", 2000, -1),
                    ("a2_low", "a", 1000, -1),
                    ("b1", "b", 3000, 0),
                    ("b2", "b", 3000, 0),
                ],
                incoming: ("a", 4000, 0),
                want: vec![("a1_low", ClusterQueue), ("b1", CohortFairSharing)],
            },
            Case {
                name: "prefer to preempt workloads that don't make the target CQ have the biggest share",
                queues: base(),
                strategies: both.clone(),
                admitted: vec![
                    ("b1", "b", 2000, 0),
                    ("b2", "b", 1000, 0),
                    ("b3", "b", 2000, 0),
                    ("c1", "c", 1000, 0),
                ],
                incoming: ("a", 3500, 0),
                want: vec![("b2", CohortFairSharing)],
            },
            Case {
                name: "preempt from different cluster queues if the end result has a smaller max share",
                queues: base(),
                strategies: both.clone(),
                admitted: vec![
                    ("b1", "b", 2000, 0),
                    ("b2", "b", 2500, 0),
                    ("c1", "c", 2000, 0),
                    ("c2", "c", 2500, 0),
                ],
                incoming: ("a", 3500, 0),
                want: vec![("b1", CohortFairSharing), ("c1", CohortFairSharing)],
            },
            Case {
                name: "scenario above does not flap",
                queues: base(),
                strategies: both.clone(),
                admitted: vec![("a1", "a", 3500, 0), ("b2", "b", 2500, 0), ("c2", "c", 2500, 0)],
                incoming: ("b", 2000, 0),
                want: vec![],
            },
            Case {
                name: "cannot preempt if it would make the candidate CQ go under nominal after preempting one element",
                queues: base(),
                strategies: both.clone(),
                admitted: vec![("b1", "b", 3000, 0), ("b2", "b", 3000, 0), ("c1", "c", 3000, 0)],
                incoming: ("a", 4000, 0),
                want: vec![],
            },
            Case {
                name: "workloads under priority threshold not capriciously preempted",
                queues: base(),
                strategies: both.clone(),
                admitted: cat(vec![
                    units("a", &["a1", "a2", "a3"]),
                    units("b", &["b1", "b2", "b3"]),
                    vec![
                        ("preemptible1", "preemptible", 1000, -3),
                        ("preemptible2", "preemptible", 1000, -3),
                        ("preemptible3", "preemptible", 1000, -3),
                    ],
                ]),
                incoming: ("a", 2000, 0),
                want: vec![],
            },
            Case {
                name: "preempt lower priority first, even if big",
                queues: base(),
                strategies: vec![LessThanInitialShare],
                admitted: vec![("a1", "a", 3000, 0), ("b_low", "b", 5000, 0), ("b_high", "b", 1000, 1)],
                incoming: ("a", 1000, 0),
                want: vec![("b_low", CohortFairSharing)],
            },
            Case {
                name: "preempt workload that doesn't transfer the imbalance, even if high priority",
                queues: base(),
                strategies: vec![LessThanOrEqualToFinalShare],
                admitted: vec![("a1", "a", 3000, 0), ("b_low", "b", 5000, 0), ("b_high", "b", 1000, 1)],
                incoming: ("a", 1000, 0),
                want: vec![("b_high", CohortFairSharing)],
            },
            Case {
                name: "CQ with higher weight can preempt more",
                queues: weighted(&[("a", 2000), ("b", 1000), ("c", 1000)]),
                strategies: both.clone(),
                admitted: cat(vec![
                    units("a", &["a1", "a2", "a3"]),
                    units("b", &["b1", "b2", "b3", "b4", "b5", "b6"]),
                ]),
                incoming: ("a", 2000, 0),
                want: vec![("b1", CohortFairSharing), ("b2", CohortFairSharing)],
            },
            Case {
                name: "can preempt anything borrowing from CQ with 0 weight",
                queues: weighted(&[("a", 1000), ("b", 0), ("c", 1000)]),
                strategies: both.clone(),
                admitted: cat(vec![
                    units("a", &["a1", "a2", "a3"]),
                    units("b", &["b1", "b2", "b3", "b4", "b5", "b6"]),
                ]),
                incoming: ("a", 3000, 0),
                want: vec![
                    ("b1", CohortFairSharing),
                    ("b2", CohortFairSharing),
                    ("b3", CohortFairSharing),
                ],
            },
            Case {
                name: "can't preempt nominal from CQ with 0 weight",
                queues: weighted(&[("a", 1000), ("b", 0)]),
                strategies: both.clone(),
                admitted: cat(vec![units("a", &["a1", "a2", "a3"]), units("b", &["b1", "b2", "b3"])]),
                incoming: ("a", 1000, 0),
                want: vec![],
            },
            Case {
                name: "can preempt within cluster queue when no cohort",
                queues: vec![queue(
                    "a",
                    None,
                    1000,
                    1000,
                    Preemption {
                        within_cluster_queue: WithinClusterQueue::LowerPriority,
                        ..Default::default()
                    },
                )],
                strategies: both.clone(),
                admitted: units("a", &["a1"]),
                incoming: ("a", 1000, 1000),
                want: vec![("a1", ClusterQueue)],
            },
        ];
        for case in &cases {
            let want: Vec<(String, Reason)> = case.want.iter().map(|(n, r)| (n.to_string(), *r)).collect();
            assert_eq!(run(case), want, "TestFairPreemptions/{}", case.name);
        }
    }

    #[test]
    fn dominant_resource_share_follows_kueue() {
        // (case, usage of a and b in milli-cpu, weight of a in milli, share of a)
        // Kueue rounds the weighted share up (`roundedWeightedShare`).
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
