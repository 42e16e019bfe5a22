//! Classical preemption (`pkg/scheduler/preemption`): which admitted workloads a pending
//! one may evict so that it fits, per its ClusterQueue's `withinClusterQueue`,
//! `reclaimWithinCohort` and `borrowWithinCohort` policies, choosing the fewest in
//! Kueue's candidate order.

use super::cache::{FlavorResource, Snapshot};
use crate::api::kueue::{BorrowWithinCohort, ClusterQueue, ReclaimWithinCohort, WithinClusterQueue};
use crate::engine::world::Uid;
use crate::units::{Quantity, SimTime};
use std::collections::BTreeSet;

/// An admitted workload as preemption sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub uid: Uid,
    pub cluster_queue: String,
    pub priority: i32,
    /// Queue-order timestamp (for `LowerOrNewerEqualPriority`).
    pub queued: SimTime,
    /// When its quota was reserved: the most recent go first.
    pub admitted: SimTime,
    pub usage: Vec<(FlavorResource, Quantity)>,
    /// Already being evicted (its pods terminating, its quota not yet released).
    pub evicted: bool,
}

/// The workload asking for room.
#[derive(Debug, Clone, PartialEq)]
pub struct Preemptor<'a> {
    pub cluster_queue: &'a ClusterQueue,
    pub priority: i32,
    pub queued: SimTime,
    /// Its whole request per (flavor, resource), as assigned.
    pub requests: Vec<(FlavorResource, Quantity)>,
    /// The (flavor, resource) pairs that need preemption to fit.
    pub needs: BTreeSet<FlavorResource>,
}

/// Why a workload is preempted: Kueue's `Preempted` condition reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    InClusterQueue,
    InCohortReclamation,
    InCohortReclaimWhileBorrowing,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::InClusterQueue => "InClusterQueue",
            Reason::InCohortReclamation => "InCohortReclamation",
            Reason::InCohortReclaimWhileBorrowing => "InCohortReclaimWhileBorrowing",
        }
    }
    /// The words of the eviction message.
    pub fn human(self) -> &'static str {
        match self {
            Reason::InClusterQueue => "prioritization in the ClusterQueue",
            Reason::InCohortReclamation => "reclamation within the cohort",
            Reason::InCohortReclaimWhileBorrowing => "reclamation within the cohort while borrowing",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub uid: Uid,
    pub reason: Reason,
}

fn uses_needed(c: &Candidate, needs: &BTreeSet<FlavorResource>) -> bool {
    c.usage.iter().any(|(fr, q)| !q.is_zero() && needs.contains(fr))
}

fn is_borrowing(snapshot: &Snapshot, cq: &str, needs: &BTreeSet<FlavorResource>) -> bool {
    needs.iter().any(|fr| !snapshot.borrowed(cq, fr).is_zero())
}

/// Admitted workloads the preemptor's policies allow it to evict (`findCandidates`).
fn find_candidates<'c>(p: &Preemptor, snapshot: &Snapshot, admitted: &'c [Candidate]) -> Vec<&'c Candidate> {
    let cq = p.cluster_queue;
    let mut out = Vec::new();
    let within = cq.preemption.within_cluster_queue;
    if within != WithinClusterQueue::Never {
        let same_priority_ok = within == WithinClusterQueue::LowerOrNewerEqualPriority;
        out.extend(admitted.iter().filter(|c| {
            c.cluster_queue == cq.name
                && (c.priority < p.priority || (c.priority == p.priority && same_priority_ok && p.queued < c.queued))
                && uses_needed(c, &p.needs)
        }));
    }
    let reclaim = cq.preemption.reclaim_within_cohort;
    if let (Some(cohort), true) = (&cq.cohort, reclaim != ReclaimWithinCohort::Never) {
        let members = snapshot.cohorts.get(cohort).cloned().unwrap_or_default();
        for member in members {
            // Quota is reclaimed only from members that borrow what is needed.
            if member == cq.name || !is_borrowing(snapshot, &member, &p.needs) {
                continue;
            }
            out.extend(admitted.iter().filter(|c| {
                c.cluster_queue == member
                    && (reclaim == ReclaimWithinCohort::Any || c.priority < p.priority)
                    && uses_needed(c, &p.needs)
            }));
        }
    }
    out
}

/// Kueue's `CandidatesOrdering`: workloads already being evicted, then those in other
/// ClusterQueues, then lower priority, then the most recently admitted, then by UID.
fn order(candidates: &mut [&Candidate], cq: &str) {
    candidates.sort_by(|a, b| {
        b.evicted
            .cmp(&a.evicted)
            .then((a.cluster_queue == cq).cmp(&(b.cluster_queue == cq)))
            .then(a.priority.cmp(&b.priority))
            .then(b.admitted.cmp(&a.admitted))
            .then(a.uid.cmp(&b.uid))
    });
}

fn fits(p: &Preemptor, snapshot: &Snapshot, allow_borrowing: bool) -> bool {
    let cq = &p.cluster_queue.name;
    p.requests
        .iter()
        .all(|(fr, q)| (allow_borrowing || !snapshot.would_borrow(cq, fr, *q)) && *q <= snapshot.available(cq, fr))
}

fn remove(snapshot: &mut Snapshot, c: &Candidate) {
    for (fr, q) in &c.usage {
        snapshot.remove_usage(&c.cluster_queue, fr, *q);
    }
}

fn add(snapshot: &mut Snapshot, c: &Candidate) {
    for (fr, q) in &c.usage {
        snapshot.add_usage(&c.cluster_queue, fr, *q);
    }
}

/// Removes candidates in order until the preemptor fits, then puts back, from the last
/// but one towards the first, every one it fits without (`minimalPreemptions` and
/// `fillBackWorkloads`). Leaves the snapshot as it found it.
fn minimal(
    p: &Preemptor,
    snapshot: &mut Snapshot,
    candidates: &[&Candidate],
    allow_borrowing: bool,
    borrow_threshold: Option<i32>,
) -> Vec<(Target, Candidate)> {
    let cq = &p.cluster_queue.name;
    let mut targets: Vec<(Target, Candidate)> = Vec::new();
    let mut fit = false;
    for c in candidates {
        let reason = if c.cluster_queue == *cq {
            Reason::InClusterQueue
        } else if borrow_threshold.is_some_and(|t| c.priority < t) {
            Reason::InCohortReclaimWhileBorrowing
        } else {
            Reason::InCohortReclamation
        };
        // A member that no longer borrows (after earlier removals) keeps the rest.
        if c.cluster_queue != *cq && !is_borrowing(snapshot, &c.cluster_queue, &p.needs) {
            continue;
        }
        remove(snapshot, c);
        targets.push((Target { uid: c.uid, reason }, (*c).clone()));
        if fits(p, snapshot, allow_borrowing) {
            fit = true;
            break;
        }
    }
    if !fit {
        for (_, c) in &targets {
            add(snapshot, c);
        }
        return Vec::new();
    }
    let mut i = targets.len().saturating_sub(1);
    while i > 0 {
        i -= 1;
        add(snapshot, &targets[i].1);
        if fits(p, snapshot, allow_borrowing) {
            // Kueue moves the last target into the freed place (i stays below the end).
            let last = targets.pop().expect("non-empty");
            targets[i] = last;
        } else {
            remove(snapshot, &targets[i].1);
        }
    }
    for (_, c) in &targets {
        add(snapshot, c);
    }
    targets
}

/// The workloads to evict so that the preemptor fits, or none when it cannot
/// (`Preemptor.GetTargets`).
pub fn targets(p: &Preemptor, snapshot: &mut Snapshot, admitted: &[Candidate]) -> Vec<Target> {
    let cq = p.cluster_queue;
    let mut candidates = find_candidates(p, snapshot, admitted);
    if candidates.is_empty() {
        return Vec::new();
    }
    order(&mut candidates, &cq.name);
    let same_queue: Vec<&Candidate> = candidates
        .iter()
        .copied()
        .filter(|c| c.cluster_queue == cq.name)
        .collect();
    let done = |t: Vec<(Target, Candidate)>| t.into_iter().map(|(t, _)| t).collect::<Vec<Target>>();
    if same_queue.len() == candidates.len() {
        // Nothing to reclaim elsewhere: preempt its own workloads, borrowing if need be.
        return done(minimal(p, snapshot, &candidates, true, None));
    }
    let under_nominal = p.needs.iter().all(|fr| {
        let q = snapshot.queue(&cq.name);
        q.is_some_and(|q| q.used(fr) < q.quota(fr).nominal)
    });
    if let BorrowWithinCohort::LowerPriority { max_priority_threshold } = cq.preemption.borrow_within_cohort {
        // Borrowing while preempting elsewhere: only below the threshold (and below the
        // preemptor's own priority).
        let threshold = max_priority_threshold.map_or(p.priority, |t| t.saturating_add(1).min(p.priority));
        if !under_nominal {
            candidates.retain(|c| c.cluster_queue == cq.name || c.priority < threshold);
        }
        return done(minimal(p, snapshot, &candidates, true, Some(threshold)));
    }
    // Reclaiming from the cohort happens only without borrowing.
    if under_nominal {
        let t = minimal(p, snapshot, &candidates, false, None);
        if !t.is_empty() {
            return done(t);
        }
    }
    done(minimal(p, snapshot, &same_queue, true, None))
}
