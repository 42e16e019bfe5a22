//! Classical preemption through the cohort tree (`pkg/scheduler/preemption/classical`:
//! `hierarchical_preemption.go`, `candidate_generator.go`, and `classicalPreemptions`).
//!
//! Candidates come in three kinds. Those in the preemptor's own ClusterQueue, per
//! `withinClusterQueue`. Those elsewhere in the tree over which the preemptor has a
//! hierarchical advantage: walking up from the preemptor, once a subtree's quota holds its
//! request, every workload using that subtree's quota from outside the preemptor's path
//! may go whatever its priority (reclamation). The others, per `reclaimWithinCohort`
//! priorities and `borrowWithinCohort`. Subtrees within their quota are never searched:
//! nothing there is borrowed.

use super::{
    fits, order_key, reclaim_satisfies, remove, restore_after_fill_back, satisfies, Admitted, Candidate, Classified,
    OrderKey, Preemptor, Reason, Target,
};
use crate::api::kueue::{BorrowWithinCohort, ReclaimWithinCohort, WithinClusterQueue};
use crate::kueue::cache::{Node, Snapshot};
use std::cmp::Reverse;

/// How a candidate may be preempted (`preemptionVariant`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// In the preemptor's ClusterQueue.
    WithinQueue,
    /// The preemptor is closer to the quota the candidate uses.
    HierarchicalReclaim,
    /// Only if the preemptor borrows nothing once it is admitted.
    ReclaimWithoutBorrowing,
    /// Even while the preemptor borrows (`borrowWithinCohort`).
    ReclaimWhileBorrowing,
}

impl Variant {
    fn reason(self) -> Reason {
        match self {
            Variant::WithinQueue => Reason::ClusterQueue,
            Variant::HierarchicalReclaim | Variant::ReclaimWithoutBorrowing => Reason::CohortReclamation,
            Variant::ReclaimWhileBorrowing => Reason::CohortReclaimWhileBorrowing,
        }
    }
}

/// A candidate, how it may go, and the root of the subtree it was found in (its lowest
/// common ancestor with the preemptor).
#[derive(Debug, Clone, Copy)]
struct Elem<'c, 's> {
    c: &'c Candidate,
    lca: Option<&'s str>,
    variant: Variant,
}

/// Which list a candidate is in: hierarchical, priority, same queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum List {
    Hierarchy,
    Priority,
    SameQueue,
}

/// `borrowWithinCohort`: forbidden, or allowed up to a priority threshold.
fn borrow_within_cohort(p: &Preemptor) -> Option<Option<i32>> {
    match p.cluster_queue.preemption.borrow_within_cohort {
        BorrowWithinCohort::Never => None,
        BorrowWithinCohort::LowerPriority { max_priority_threshold } => Some(max_priority_threshold),
    }
}

/// `classifyPreemptionVariant`; `None` where the policy forbids it.
fn classify(p: &Preemptor, c: &Candidate, advantage: bool) -> Option<Variant> {
    let cq = p.cluster_queue;
    let own = c.cluster_queue == cq.name;
    let allowed = if own {
        satisfies(cq.preemption.within_cluster_queue, p, c)
    } else {
        reclaim_satisfies(cq.preemption.reclaim_within_cohort, p, c)
    };
    if !allowed {
        return None;
    }
    if own {
        return Some(Variant::WithinQueue);
    }
    if advantage {
        return Some(Variant::HierarchicalReclaim);
    }
    let Some(threshold) = borrow_within_cohort(p) else {
        return Some(Variant::ReclaimWithoutBorrowing);
    };
    let above = c.priority >= p.priority || threshold.is_some_and(|t| c.priority > t);
    Some(if above {
        Variant::ReclaimWithoutBorrowing
    } else {
        Variant::ReclaimWhileBorrowing
    })
}

/// The candidates of one ClusterQueue (`getCandidatesFromCQ`).
fn from_queue<'c, 's>(
    p: &Preemptor,
    admitted: &'c Admitted,
    cq: &str,
    lca: Option<&'s str>,
    advantage: bool,
    out: &mut Vec<Elem<'c, 's>>,
) {
    for c in admitted.using(cq, &p.needs) {
        if let Some(variant) = classify(p, c, advantage) {
            out.push(Elem { c, lca, variant });
        }
    }
}

/// Candidates over the tree, walking up from the preemptor's parent; the first list holds
/// those it has a hierarchical advantage over (`collectCandidatesForHierarchicalReclaim`).
fn tree_candidates<'c, 's>(
    p: &Preemptor,
    snapshot: &'s Snapshot,
    admitted: &'c Admitted,
) -> (Vec<Elem<'c, 's>>, Vec<Elem<'c, 's>>) {
    let (mut hierarchy, mut priority) = (Vec::new(), Vec::new());
    let cq = p.cluster_queue;
    let me = Node::Queue(&cq.name);
    if snapshot.parent(me).is_none() || cq.preemption.reclaim_within_cohort == ReclaimWithinCohort::Never {
        return (hierarchy, priority);
    }
    let (mut advantage, mut remaining) = snapshot.fit_in_quota(me, &p.requests);
    let mut previous: Option<&str> = None;
    for subtree in snapshot.ancestors(me) {
        let out = if advantage { &mut hierarchy } else { &mut priority };
        collect_in_subtree(p, snapshot, admitted, subtree, previous, advantage, out);
        let (fits, rest) = snapshot.fit_in_quota(Node::Cohort(subtree), &remaining);
        remaining = rest;
        // Once a subtree holds the request, the preemptor is closer to its quota than any
        // workload using it from outside: the advantage holds for every larger subtree.
        advantage |= fits;
        previous = Some(subtree);
    }
    (hierarchy, priority)
}

/// The candidates of a subtree's ClusterQueues that exceed their quota, skipping the
/// subtree already searched and any subtree within its quota (`collectCandidatesInSubtree`).
fn collect_in_subtree<'c, 's>(
    p: &Preemptor,
    snapshot: &'s Snapshot,
    admitted: &'c Admitted,
    root: &'s str,
    skip: Option<&str>,
    advantage: bool,
    out: &mut Vec<Elem<'c, 's>>,
) {
    let mut stack = vec![root];
    while let Some(at) = stack.pop() {
        let Some(c) = snapshot.cohort(at) else { continue };
        for child in &c.child_cohorts {
            if Some(child.as_str()) == skip || snapshot.within_nominal(Node::Cohort(child), &p.needs) {
                continue;
            }
            stack.push(child);
        }
        for child in &c.child_queues {
            if *child == p.cluster_queue.name || snapshot.within_nominal(Node::Queue(child), &p.needs) {
                continue;
            }
            from_queue(p, admitted, child, Some(root), advantage, out);
        }
    }
}

/// Whether a candidate may still go (`candidateIsValid`): not one only reclaimable without
/// borrowing when borrowing, and its ClusterQueue and the cohorts up to where it was found
/// still over their quota (earlier removals may have brought them back within).
fn valid(p: &Preemptor, snapshot: &Snapshot, e: &Elem, borrowing: bool) -> bool {
    if e.c.cluster_queue == p.cluster_queue.name {
        return true;
    }
    if borrowing && e.variant == Variant::ReclaimWithoutBorrowing {
        return false;
    }
    let cq = Node::Queue(&e.c.cluster_queue);
    if snapshot.within_nominal(cq, &p.needs) {
        return false;
    }
    for node in snapshot.ancestors(cq) {
        if Some(node) == e.lca {
            break;
        }
        if snapshot.within_nominal(Node::Cohort(node), &p.needs) {
            return false;
        }
    }
    true
}

/// Whether the preemptor uses less than its nominal quota of every needed pair.
fn under_nominal(p: &Preemptor, snapshot: &Snapshot) -> bool {
    let cq = &p.cluster_queue.name;
    p.needs
        .iter()
        .all(|fr| snapshot.queue(cq).is_some_and(|q| q.quota(fr).nominal > q.used(fr)))
}

/// A candidate's place: evicted ones first, then by list, then `CandidatesOrdering`.
type Key = (Reverse<bool>, List, OrderKey);

/// The workloads to evict so that the preemptor fits, or none when it cannot: candidates
/// tried in order, each removed until the preemptor fits, then those it fits without put
/// back (`classicalPreemptions`). Leaves the snapshot as it found it.
pub(super) fn targets(p: &Preemptor, snapshot: &mut Snapshot, admitted: &Admitted) -> Vec<Target> {
    let cq = p.cluster_queue;
    // Candidates are found on the snapshot as it stands; they do not borrow it.
    let view: &Snapshot = snapshot;
    let mut keyed: Vec<(Key, Elem)> = Vec::new();
    if cq.preemption.within_cluster_queue != WithinClusterQueue::Never {
        let mut same = Vec::new();
        from_queue(p, admitted, &cq.name, None, false, &mut same);
        keyed.extend(same.into_iter().map(|e| (key(e, List::SameQueue, true), e)));
    }
    let (hierarchy, priority) = tree_candidates(p, view, admitted);
    let no_others = hierarchy.is_empty() && priority.is_empty();
    let no_hierarchy = hierarchy.is_empty();
    keyed.extend(hierarchy.into_iter().map(|e| (key(e, List::Hierarchy, false), e)));
    keyed.extend(priority.into_iter().map(|e| (key(e, List::Priority, false), e)));
    if keyed.is_empty() {
        return Vec::new();
    }
    keyed.sort_by_key(|(k, _)| *k);
    // Owned copies of what the search needs, so that it may move usage in the snapshot.
    let order: Vec<(&Candidate, Option<String>, Variant)> = keyed
        .into_iter()
        .map(|(_, e)| (e.c, e.lca.map(str::to_string), e.variant))
        .collect();
    let forbidden = borrow_within_cohort(p).is_none();
    // Which attempts, borrowing or not, in which order.
    let attempts: &[bool] = if no_others || (forbidden && !under_nominal(p, snapshot)) {
        &[true]
    } else if forbidden && no_hierarchy {
        &[false, true]
    } else {
        &[true, false]
    };
    for &borrowing in attempts {
        let mut chosen: Vec<Classified> = Vec::new();
        for (c, lca, variant) in &order {
            let e = Elem {
                c,
                lca: lca.as_deref(),
                variant: *variant,
            };
            if !valid(p, snapshot, &e, borrowing) {
                continue;
            }
            remove(snapshot, c);
            chosen.push((c, variant.reason()));
            if fits(p, snapshot, borrowing) {
                return restore_after_fill_back(p, snapshot, chosen, borrowing);
            }
        }
        for (c, _) in &chosen {
            super::add(snapshot, c);
        }
    }
    Vec::new()
}

fn key(e: Elem, list: List, own: bool) -> Key {
    (Reverse(e.c.evicted), list, order_key(e.c, own))
}

/// The path of a ClusterQueue from the root of its tree, as Kueue's preemption messages
/// print it (`buildCQPath`): `/root/…/cohort/cq`, or `/cq` without a cohort.
pub(crate) fn path(snapshot: &Snapshot, cq: &str) -> String {
    let mut parts: Vec<&str> = snapshot.ancestors(Node::Queue(cq));
    parts.reverse();
    parts.push(cq);
    format!("/{}", parts.join("/"))
}
