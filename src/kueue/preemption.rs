//! Classical preemption (`pkg/scheduler/preemption`): which admitted workloads a pending
//! one may evict so that it fits, per its ClusterQueue's `withinClusterQueue`,
//! `reclaimWithinCohort` and `borrowWithinCohort` policies, choosing the fewest in
//! Kueue's candidate order.

use super::cache::{FlavorResource, Node, Snapshot};

mod hierarchical;
pub(crate) use hierarchical::path;
#[cfg(test)]
mod conformance;
use crate::api::kueue::{ClusterQueue, ReclaimWithinCohort, WithinClusterQueue};
use crate::store::WorkloadId;
use crate::units::{Quantity, Stamp};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// An admitted workload as preemption sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Candidate {
    pub uid: WorkloadId,
    pub cluster_queue: String,
    pub priority: i32,
    /// Queue-order timestamp (for `LowerOrNewerEqualPriority`).
    pub queued: Stamp,
    /// When its quota was reserved: the most recent go first.
    pub admitted: Stamp,
    pub usage: Vec<(FlavorResource, Quantity)>,
    /// Already being evicted (its pods terminating, its quota not yet released).
    pub evicted: bool,
}

/// Admitted workloads per ClusterQueue, as Kueue's cache holds them, so that a search
/// looks only at the queues it may take from. Each keeps a bit set of the (flavor,
/// resource) pairs it uses, so that matching what a preemptor needs compares no strings.
/// Within a queue they are kept by id, so iteration order does not depend on the order
/// in which they were admitted.
#[derive(Debug, Clone, Default)]
pub(crate) struct Admitted {
    by_queue: BTreeMap<String, BTreeMap<WorkloadId, (Candidate, u64)>>,
    queue_of: HashMap<WorkloadId, String>,
    /// Bit i of a mask stands for `bits[i]`; pairs past 63 share the last bit.
    bits: Vec<FlavorResource>,
}

impl Admitted {
    #[cfg(test)]
    pub(crate) fn new(candidates: impl IntoIterator<Item = Candidate>) -> Admitted {
        let mut a = Admitted::default();
        for c in candidates {
            a.push(c);
        }
        a
    }

    fn bit(&mut self, fr: &FlavorResource) -> u64 {
        let i = match self.bits.iter().position(|b| b == fr) {
            Some(i) => i,
            None => {
                self.bits.push(fr.clone());
                self.bits.len() - 1
            }
        };
        1 << i.min(63)
    }

    /// The bits of `frs`; a pair no admitted workload uses has none.
    fn mask_of(&self, frs: &BTreeSet<FlavorResource>) -> u64 {
        frs.iter()
            .filter_map(|fr| self.bits.iter().position(|b| b == fr))
            .fold(0, |m, i| m | 1 << i.min(63))
    }

    /// Adds `c`, replacing the candidate of the same workload if there is one.
    pub(crate) fn push(&mut self, c: Candidate) {
        self.remove(c.uid);
        let mut mask = 0;
        for (fr, q) in &c.usage {
            if !q.is_zero() {
                mask |= self.bit(fr);
            }
        }
        self.queue_of.insert(c.uid, c.cluster_queue.clone());
        self.by_queue
            .entry(c.cluster_queue.clone())
            .or_default()
            .insert(c.uid, (c, mask));
    }

    pub(crate) fn remove(&mut self, uid: WorkloadId) -> Option<Candidate> {
        let cq = self.queue_of.remove(&uid)?;
        let queue = self.by_queue.get_mut(&cq)?;
        let removed = queue.remove(&uid).map(|(c, _)| c);
        if queue.is_empty() {
            self.by_queue.remove(&cq);
        }
        removed
    }

    /// The admitted workloads of one ClusterQueue, with their masks.
    fn with_masks<'a>(&'a self, cq: &str) -> impl Iterator<Item = &'a (Candidate, u64)> + 'a {
        self.by_queue.get(cq).into_iter().flat_map(|q| q.values())
    }

    /// Every admitted workload, by ClusterQueue name, then id.
    pub(crate) fn all(&self) -> impl Iterator<Item = &Candidate> + '_ {
        self.by_queue.values().flat_map(|q| q.values().map(|(c, _)| c))
    }

    pub(crate) fn get(&self, uid: WorkloadId) -> Option<&Candidate> {
        let cq = self.queue_of.get(&uid)?;
        self.by_queue.get(cq)?.get(&uid).map(|(c, _)| c)
    }

    pub(crate) fn get_mut(&mut self, uid: WorkloadId) -> Option<&mut Candidate> {
        let cq = self.queue_of.get(&uid)?;
        self.by_queue.get_mut(cq)?.get_mut(&uid).map(|(c, _)| c)
    }

    /// The candidates of `cq` that use one of the needed pairs (`WorkloadUsesResources`).
    fn using<'a>(&'a self, cq: &str, needs: &BTreeSet<FlavorResource>) -> impl Iterator<Item = &'a Candidate> + 'a {
        let needed = self.mask_of(needs);
        // Past 63 pairs a shared bit is only a hint: confirm with the names.
        let exact = self.bits.len() <= 63;
        let needs = (!exact).then(|| needs.clone());
        self.with_masks(cq)
            .filter(move |(c, m)| m & needed != 0 && needs.as_ref().is_none_or(|n| uses_needed(c, n)))
            .map(|(c, _)| c)
    }
}

/// The workload asking for room.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Preemptor<'a> {
    pub cluster_queue: &'a ClusterQueue,
    pub priority: i32,
    pub queued: Stamp,
    /// Its whole request per (flavor, resource), as assigned.
    pub requests: Vec<(FlavorResource, Quantity)>,
    /// The (flavor, resource) pairs that need preemption to fit.
    pub needs: BTreeSet<FlavorResource>,
}

/// Why a workload is preempted: Kueue's `Preempted` condition reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    ClusterQueue,
    CohortReclamation,
    CohortReclaimWhileBorrowing,
    CohortFairSharing,
}

impl Reason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Reason::ClusterQueue => "InClusterQueue",
            Reason::CohortReclamation => "InCohortReclamation",
            Reason::CohortReclaimWhileBorrowing => "InCohortReclaimWhileBorrowing",
            Reason::CohortFairSharing => "InCohortFairSharing",
        }
    }
    /// The words of the eviction message.
    pub(crate) fn human(self) -> &'static str {
        match self {
            Reason::ClusterQueue => "prioritization in the ClusterQueue",
            Reason::CohortReclamation => "reclamation within the cohort",
            Reason::CohortReclaimWhileBorrowing => "reclamation within the cohort while borrowing",
            Reason::CohortFairSharing => "Fair Sharing within the cohort",
        }
    }
}

/// The message of a preempted workload's `Evicted` and `Preempted` conditions
/// (`preemptionMessage`): who preempts it, why, and both ClusterQueues' paths.
pub(crate) fn message(
    uid: impl std::fmt::Display,
    job_uid: impl std::fmt::Display,
    reason: Reason,
    preemptor_path: &str,
    preemptee_path: &str,
) -> String {
    format!(
        "Preempted to accommodate a workload (UID: {uid}, JobUID: {job_uid}) due to {}; preemptor path: {preemptor_path}; preemptee path: {preemptee_path}",
        reason.human()
    )
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Target {
    pub uid: WorkloadId,
    pub reason: Reason,
}

fn uses_needed(c: &Candidate, needs: &BTreeSet<FlavorResource>) -> bool {
    c.usage.iter().any(|(fr, q)| !q.is_zero() && needs.contains(fr))
}

/// Whether the ClusterQueue uses more than its nominal quota of a needed pair
/// (`cqIsBorrowing`): only a ClusterQueue in a cohort can.
fn is_borrowing(snapshot: &Snapshot, cq: &str, needs: &BTreeSet<FlavorResource>) -> bool {
    snapshot.parent(Node::Queue(cq)).is_some() && needs.iter().any(|fr| !snapshot.borrowed(cq, fr).is_zero())
}

/// Whether a preemption policy lets the preemptor evict `c` (`SatisfiesPreemptionPolicy`).
pub(crate) fn satisfies(policy: WithinClusterQueue, p: &Preemptor, c: &Candidate) -> bool {
    match policy {
        WithinClusterQueue::Never => false,
        WithinClusterQueue::LowerPriority => c.priority < p.priority,
        WithinClusterQueue::LowerOrNewerEqualPriority => {
            c.priority < p.priority || (c.priority == p.priority && p.queued < c.queued)
        }
    }
}

/// `reclaimWithinCohort` as a preemption policy.
pub(crate) fn reclaim_satisfies(policy: ReclaimWithinCohort, p: &Preemptor, c: &Candidate) -> bool {
    match policy {
        ReclaimWithinCohort::Never => false,
        ReclaimWithinCohort::LowerPriority => c.priority < p.priority,
        ReclaimWithinCohort::Any => true,
    }
}

/// Admitted workloads the preemptor's policies allow it to evict (`findCandidates`): in
/// its own ClusterQueue, and in every ClusterQueue of its cohort tree that borrows what
/// it needs.
pub(crate) fn find_candidates<'c>(p: &Preemptor, snapshot: &Snapshot, admitted: &'c Admitted) -> Vec<&'c Candidate> {
    let cq = p.cluster_queue;
    let mut out = Vec::new();
    let within = cq.preemption.within_cluster_queue;
    out.extend(admitted.using(&cq.name, &p.needs).filter(|c| satisfies(within, p, c)));
    let reclaim = cq.preemption.reclaim_within_cohort;
    if reclaim == ReclaimWithinCohort::Never {
        return out;
    }
    let Some(root) = snapshot.root_of(&cq.name) else {
        return out;
    };
    for member in snapshot.subtree_queues(root) {
        // Quota is reclaimed only from ClusterQueues that borrow what is needed.
        if member == cq.name || !is_borrowing(snapshot, member, &p.needs) {
            continue;
        }
        out.extend(
            admitted
                .using(member, &p.needs)
                .filter(|c| reclaim_satisfies(reclaim, p, c)),
        );
    }
    out
}

/// Kueue's `CandidatesOrdering`: workloads already being evicted, then those in other
/// ClusterQueues, then lower priority, then the most recently admitted, then by UID.
pub(crate) fn order(candidates: &mut [&Candidate], cq: &str) {
    candidates.sort_by_cached_key(|c| order_key(c, c.cluster_queue == cq));
}

/// A candidate's place in `CandidatesOrdering`, smallest first.
pub(crate) type OrderKey = (std::cmp::Reverse<bool>, bool, i32, std::cmp::Reverse<Stamp>, WorkloadId);

pub(crate) fn order_key(c: &Candidate, in_preemptor_queue: bool) -> OrderKey {
    (
        std::cmp::Reverse(c.evicted),
        in_preemptor_queue,
        c.priority,
        std::cmp::Reverse(c.admitted),
        c.uid,
    )
}

pub(crate) fn fits(p: &Preemptor, snapshot: &Snapshot, allow_borrowing: bool) -> bool {
    let cq = &p.cluster_queue.name;
    p.requests
        .iter()
        .all(|(fr, q)| (allow_borrowing || !snapshot.would_borrow(cq, fr, *q)) && *q <= snapshot.available(cq, fr))
}

/// Takes an admitted workload's usage out of the snapshot.
pub(crate) fn remove(snapshot: &mut Snapshot, c: &Candidate) {
    for (fr, q) in &c.usage {
        snapshot.remove_usage(&c.cluster_queue, fr, *q);
    }
}

/// Puts an admitted workload's usage back into the snapshot.
pub(crate) fn add(snapshot: &mut Snapshot, c: &Candidate) {
    for (fr, q) in &c.usage {
        snapshot.add_usage(&c.cluster_queue, fr, *q);
    }
}

/// A candidate and the reason it would be preempted for.
pub(crate) type Classified<'c> = (&'c Candidate, Reason);

/// Drops every target the preemptor fits without, from the last but one towards the
/// first (`fillBackWorkloads`), the snapshot holding all targets' usage.
pub(crate) fn fill_back(
    p: &Preemptor,
    snapshot: &mut Snapshot,
    targets: Vec<Classified>,
    allow_borrowing: bool,
) -> Vec<Target> {
    for (c, _) in &targets {
        remove(snapshot, c);
    }
    restore_after_fill_back(p, snapshot, targets, allow_borrowing)
}

/// Fill-back with the targets' usage out of the snapshot; puts back what remains.
pub(crate) fn restore_after_fill_back(
    p: &Preemptor,
    snapshot: &mut Snapshot,
    mut targets: Vec<Classified>,
    allow_borrowing: bool,
) -> Vec<Target> {
    let mut i = targets.len().saturating_sub(1);
    while i > 0 {
        i -= 1;
        add(snapshot, targets[i].0);
        if fits(p, snapshot, allow_borrowing) {
            // Kueue moves the last target into the freed place (i stays below the end).
            let last = targets.pop().expect("non-empty");
            targets[i] = last;
        } else {
            remove(snapshot, targets[i].0);
        }
    }
    for (c, _) in &targets {
        add(snapshot, c);
    }
    targets
        .into_iter()
        .map(|(c, reason)| Target { uid: c.uid, reason })
        .collect()
}

/// The workloads to evict so that the preemptor fits, or none when it cannot
/// (`Preemptor.GetTargets`, classical): see `hierarchical`.
pub(crate) fn targets(p: &Preemptor, snapshot: &mut Snapshot, admitted: &Admitted) -> Vec<Target> {
    hierarchical::targets(p, snapshot, admitted)
}

#[cfg(test)]
mod tests {
    //! Cases of our own on ClusterQueues like those of Kueue's `TestPreemption`
    //! (`standalone`, `c1`, `c2`, `lend1`, `lend2`); the upstream table is in
    //! `conformance::test_preemption`.
    use super::*;
    use crate::api::kueue::{FlavorQuotas, Preemption, QueueingStrategy, ResourceGroup, ResourceQuota};
    use crate::manifest::error::Loc;

    fn cpu(v: i64) -> Quantity {
        Quantity::from_units(v)
    }

    fn fr() -> FlavorResource {
        FlavorResource::new("default", "cpu")
    }

    fn cluster_queue(
        name: &str,
        cohort: Option<&str>,
        nominal: i64,
        borrowing_limit: Option<i64>,
        preemption: Preemption,
    ) -> ClusterQueue {
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
                        borrowing_limit: borrowing_limit.map(cpu),
                        lending_limit: None,
                    }],
                    loc: Loc::file("t"),
                }],
            }],
            preemption,
            flavor_fungibility: Default::default(),
            fair_sharing_weight: cpu(1),
            stopped: false,
            loc: Loc::file("t"),
        }
    }

    /// Kueue's `lend1`/`lend2`: 6 cpu in cohort-lend, lending at most `lending`.
    fn lender(name: &str, lending: i64) -> ClusterQueue {
        let mut q = cluster_queue(
            name,
            Some("cohort-lend"),
            6,
            None,
            Preemption {
                within_cluster_queue: WithinClusterQueue::LowerPriority,
                reclaim_within_cohort: ReclaimWithinCohort::LowerPriority,
                ..Default::default()
            },
        );
        q.resource_groups[0].flavors[0].resources[0].lending_limit = Some(cpu(lending));
        q
    }

    /// Kueue's test ClusterQueues.
    fn queues() -> Vec<ClusterQueue> {
        let lower = Preemption {
            within_cluster_queue: WithinClusterQueue::LowerPriority,
            ..Default::default()
        };
        vec![
            cluster_queue("standalone", None, 6, None, lower),
            cluster_queue(
                "c1",
                Some("cohort"),
                6,
                Some(6),
                Preemption {
                    within_cluster_queue: WithinClusterQueue::LowerPriority,
                    reclaim_within_cohort: ReclaimWithinCohort::LowerPriority,
                    ..Default::default()
                },
            ),
            cluster_queue(
                "c2",
                Some("cohort"),
                6,
                Some(0),
                Preemption {
                    within_cluster_queue: WithinClusterQueue::Never,
                    reclaim_within_cohort: ReclaimWithinCohort::Any,
                    ..Default::default()
                },
            ),
            lender("lend1", 4),
            lender("lend2", 2),
        ]
    }

    /// An admitted workload: (name, ClusterQueue, cpu, priority, admitted at second).
    type Admitted<'a> = (&'a str, &'a str, i64, i32, u64);

    /// Runs one case: the names of the targets, in name order.
    fn run(
        admitted: &[Admitted],
        incoming_cq: &str,
        incoming_cpu: i64,
        incoming_priority: i32,
    ) -> Vec<(String, Reason)> {
        let qs = queues();
        let mut used = Vec::new();
        let mut candidates = Vec::new();
        for (i, (_, cq, c, prio, at)) in admitted.iter().enumerate() {
            used.push(((*cq, "default", "cpu"), cpu(*c)));
            candidates.push(Candidate {
                uid: WorkloadId::from_raw(i as u64 + 1),
                cluster_queue: cq.to_string(),
                priority: *prio,
                queued: Stamp(*at as i64 * 1000),
                admitted: Stamp(*at as i64 * 1000),
                usage: vec![(fr(), cpu(*c))],
                evicted: false,
            });
        }
        let mut snapshot = Snapshot::new(qs.iter(), &crate::kueue::cache::usage_from(used));
        let before = snapshot.clone();
        let cq = qs.iter().find(|q| q.name == incoming_cq).unwrap();
        let needs = if cpu(incoming_cpu) > snapshot.available(incoming_cq, &fr()) {
            [fr()].into()
        } else {
            BTreeSet::new()
        };
        let p = Preemptor {
            cluster_queue: cq,
            priority: incoming_priority,
            queued: Stamp(1_000_000),
            requests: vec![(fr(), cpu(incoming_cpu))],
            needs,
        };
        let t = targets(&p, &mut snapshot, &super::Admitted::new(candidates));
        assert_eq!(snapshot, before, "the snapshot is left as it was");
        let mut names: Vec<(String, Reason)> = t
            .into_iter()
            .map(|t| (admitted[(t.uid.raw() - 1) as usize].0.to_string(), t.reason))
            .collect();
        names.sort_by(|a, b| a.0.cmp(&b.0));
        names
    }

    /// Cases of our own beside the upstream table in `conformance::test_preemption`.
    #[test]
    fn preemption_cases() {
        use Reason::*;
        // (case, admitted, incoming ClusterQueue, its cpu and priority, targets)
        type Case<'a> = (&'a str, Vec<Admitted<'a>>, &'a str, i64, i32, Vec<(&'a str, Reason)>);
        let cases: Vec<Case> = vec![
            (
                "only preempt the most recently admitted among equals",
                vec![("old", "standalone", 3, 0, 1), ("new", "standalone", 3, 0, 5)],
                "standalone",
                3,
                1,
                vec![("new", ClusterQueue)],
            ),
            (
                "reclaim only lower priority with LowerPriority",
                vec![("c2-high", "c2", 6, 1, 1), ("c2-higher", "c2", 6, 2, 1)],
                "c1",
                6,
                1,
                vec![],
            ),
            (
                "reclaim any priority with Any: lowest priority first",
                vec![("c1-high", "c1", 6, 2, 1), ("c1-higher", "c1", 6, 3, 1)],
                "c2",
                6,
                0,
                vec![("c1-high", CohortReclamation)],
            ),
            (
                "nothing fits beyond the quota a lender can ever reach",
                vec![
                    ("lend1-low", "lend1", 3, -1, 1),
                    ("lend2-mid", "lend2", 3, 0, 1),
                    ("lend2-high", "lend2", 4, 1, 1),
                ],
                "lend1",
                9,
                1,
                vec![],
            ),
        ];
        for (name, admitted, cq, c, prio, want) in cases {
            let want: Vec<(String, Reason)> = want.into_iter().map(|(n, r)| (n.to_string(), r)).collect();
            assert_eq!(run(&admitted, cq, c, prio), want, "{name}");
        }
    }

    /// After `TestCandidatesOrdering` ("evicted workload first", "workload from different
    /// CQ first", "old workloads last"): the order victims are tried in.
    #[test]
    fn candidates_ordering() {
        let c = |uid: u64, cq: &str, priority: i32, admitted: u64, evicted: bool| Candidate {
            uid: WorkloadId::from_raw(uid),
            cluster_queue: cq.into(),
            priority,
            queued: Stamp(0),
            admitted: Stamp(admitted as i64),
            usage: vec![],
            evicted,
        };
        // (case, candidates, expected uid order) with the preemptor in ClusterQueue "self".
        let cases = [
            (
                "evicted workload first",
                vec![c(1, "self", -1, 0, false), c(2, "self", 5, 0, true)],
                vec![2, 1],
            ),
            (
                "workload from different CQ first",
                vec![c(1, "self", -1, 0, false), c(2, "other", 5, 0, false)],
                vec![2, 1],
            ),
            (
                "old workloads last",
                vec![
                    c(1, "self", 0, 1000, false),
                    c(2, "self", 0, 9000, false),
                    c(3, "self", 0, 5000, false),
                ],
                vec![2, 3, 1],
            ),
        ];
        for (name, candidates, want) in cases {
            let mut refs: Vec<&Candidate> = candidates.iter().collect();
            order(&mut refs, "self");
            assert_eq!(refs.iter().map(|c| c.uid.raw()).collect::<Vec<_>>(), want, "{name}");
        }
    }
}
