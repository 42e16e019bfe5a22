//! Kueue's scheduler (`pkg/scheduler`): each cycle takes the head of every ClusterQueue
//! and nominates it against a snapshot of the cache (flavors, and preemption targets when
//! it only fits by preempting); entries are then processed, those that fit without
//! borrowing first, then by priority, then FIFO: what still fits is admitted (updating the
//! snapshot), a preempting entry evicts its targets and waits for their quota, the rest
//! are requeued per queueing strategy.

use super::cache::Cache;
use super::cache::{FlavorResource, Node, Snapshot};
use super::fairsharing::{self, Share};
use super::flavorassigner::podset_reducer::PodSetReducer;
use super::flavorassigner::{assign, Assignment, Mode, PodSetRequest, PreemptionMode, PreemptionOracle};
use super::preemption::{self, Admitted, Candidate, Preemptor, Target};
use super::queue::{QueueKey, QueueManager};
use super::tas::TasSnapshot;
use crate::api::kueue::{KueueConfig, QueueingStrategy, ReclaimWithinCohort};
use crate::engine::action::{Action, Eviction, WorkloadWrite};
use crate::store::{Store, Workload, WorkloadId, WorkloadSource};
use crate::units::Quantity;
use std::collections::{BTreeMap, BTreeSet};

/// How Kueue's message for a workload waiting on its preemption victims reads.
pub(crate) const PENDING_PREEMPTION: &str = "Pending the preemption of";

pub(crate) const REASON_PENDING: &str = "Pending";
pub(crate) const REASON_INADMISSIBLE: &str = "Inadmissible";

/// One nominated head.
struct Entry<'w> {
    cq: String,
    key: QueueKey,
    workload: &'w Workload,
    assignment: Assignment,
    targets: Vec<Target>,
}

impl Entry<'_> {
    fn usage(&self) -> Vec<(FlavorResource, Quantity)> {
        self.assignment.usage()
    }
}

/// What became of an entry in its cycle.
enum Processed {
    Admitted,
    /// Evicting `issued` new victims (maybe none: its targets are already going).
    Preempting {
        issued: usize,
    },
    /// Parked per queueing strategy until something in its cohort changes.
    Parked,
    /// Lost what it was nominated with to an earlier entry of the cycle.
    NoLongerFits,
}

/// Per-cycle state: the snapshot holds, besides admissions, what preempting entries
/// reserve for this cycle only.
struct Cycle {
    preempted: BTreeSet<WorkloadId>,
    reserved: Vec<(String, FlavorResource, Quantity)>,
}

fn blocks_admission(config: &KueueConfig) -> bool {
    config.wait_for_pods_ready.as_ref().is_some_and(|c| c.block_admission)
}

/// `waitForPodsReady.blockAdmission`: while an admitted Workload's pods are not all
/// Ready, the scheduler admits nothing (Kueue's `PodsReadyForAllAdmittedWorkloads`).
fn admission_blocked(store: &Store, admitted: &Admitted, config: &KueueConfig) -> bool {
    if !blocks_admission(config) {
        return false;
    }
    admitted.all().filter(|c| !c.evicted).any(|c| {
        store
            .workloads
            .get(c.uid)
            .is_some_and(|w| w.ready_at.is_none() && !matches!(w.source, WorkloadSource::Snapshot { .. }))
    })
}

/// The admitted workloads as a pass sees them: the cache's, plus what the pass admits and
/// minus what it evicts. The pass's own changes are undone when it ends (the actions it
/// returns make them for good, through the Workload event handlers), so the cache follows
/// the store alone.
struct Running<'c> {
    admitted: &'c mut Admitted,
    pushed: Vec<WorkloadId>,
    evicted: Vec<WorkloadId>,
}

impl Running<'_> {
    fn push(&mut self, c: Candidate) {
        self.pushed.push(c.uid);
        self.admitted.push(c);
    }

    /// Marks `uid` as being evicted; false when it already was (or is unknown).
    fn evict(&mut self, uid: WorkloadId) -> bool {
        match self.admitted.get_mut(uid) {
            Some(c) if !c.evicted => {
                c.evicted = true;
                self.evicted.push(uid);
                true
            }
            _ => false,
        }
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        for uid in self.pushed.drain(..) {
            self.admitted.remove(uid);
        }
        for uid in self.evicted.drain(..) {
            if let Some(c) = self.admitted.get_mut(uid) {
                c.evicted = false;
            }
        }
    }
}

/// Runs scheduling cycles until no ClusterQueue has an untried head.
///
/// Kueue retries a workload waiting for its victims (and one that lost its quota to an
/// earlier entry) in the next cycle, so it stays its ClusterQueue's head; here such
/// cycles follow while the previous one admitted or evicted something, and after a cycle
/// that changed nothing the pass ends with them still at the head, to be retried when
/// something changes (their victims' quota released, a new workload).
pub(crate) fn schedule(store: &Store, cache: &mut Cache, config: &KueueConfig, qm: &mut QueueManager) -> Vec<Action> {
    cache.refresh(store);
    debug_assert!(
        cache.admitted_consistent(store),
        "Kueue's cache lost step with the store"
    );
    if admission_blocked(store, &cache.admitted, config) {
        return Vec::new();
    }
    let mut pass = Pass {
        store,
        qm,
        snapshot: Snapshot::with_cohorts(store.cluster_queues.values(), store.cohorts.values(), &cache.usage)
            .with_fair_sharing(config.fair_sharing.clone()),
        running: Running {
            admitted: &mut cache.admitted,
            pushed: Vec::new(),
            evicted: Vec::new(),
        },
        actions: Vec::new(),
        tas: TasSnapshot::build(store),
    };
    while let Some(cycle) = pass.cycle() {
        // Parked heads uncover the next ones; only when every head is back for a retry
        // and nothing moved would the next cycle repeat this one.
        if !cycle.progress && cycle.all_retried {
            break;
        }
        // With blockAdmission the next cycle waits for what this one admitted to be Ready.
        if cycle.admitted_any && blocks_admission(config) {
            break;
        }
    }
    pass.actions
}

/// One scheduling pass: what its cycles read (the store) and carry from one to the next
/// (the queues, the snapshot of the cache, the admitted workloads as preemption
/// candidates, the actions decided).
struct Pass<'w, 'q> {
    store: &'w Store,
    qm: &'q mut QueueManager,
    snapshot: Snapshot,
    running: Running<'q>,
    actions: Vec<Action>,
    /// The topology-aware flavors' nodes, less what this pass admitted onto them.
    tas: TasSnapshot,
}

/// How a cycle went.
struct CycleOutcome {
    /// Something was admitted or an eviction issued.
    progress: bool,
    admitted_any: bool,
    /// Every head is back at the head of its queue for another try.
    all_retried: bool,
}

impl<'w> Pass<'w, '_> {
    /// One cycle, in the steps of Kueue's `schedule()`; `None` when no ClusterQueue has a
    /// head to try.
    fn cycle(&mut self) -> Option<CycleOutcome> {
        // 1. Get the heads from the queues.
        let names: Vec<String> = self.qm.queues.keys().cloned().collect();
        let heads: Vec<(String, QueueKey)> = names
            .iter()
            .filter_map(|cq| self.qm.pop_head(cq).map(|k| (cq.clone(), k)))
            .collect();
        if heads.is_empty() {
            return None;
        }
        let head_count = heads.len();
        // 2. Nominate them against the snapshot: flavors, and preemption targets when a
        // head fits only by preempting.
        let mut entries = Vec::new();
        for (cq_name, key) in heads {
            self.qm.decisions += 1;
            entries.extend(self.nominate(cq_name, key));
        }
        // 3. Order them: fair sharing's tournament (done entry by entry below), else
        // by borrowing level (non-borrowing first, then those borrowing from lower in the
        // cohort tree), then priority, then FIFO.
        let fair = self.snapshot.fair_sharing.is_some();
        if !fair {
            entries.sort_by(|a, b| {
                a.assignment
                    .borrowing
                    .cmp(&b.assignment.borrowing)
                    .then(b.workload.priority.cmp(&a.workload.priority))
                    .then(a.workload.queue_timestamp.cmp(&b.workload.queue_timestamp))
                    .then(a.key.cmp(&b.key))
            });
            entries.reverse();
        }
        // 4. Admit, preempt for or park each, in that order.
        let mut cycle = Cycle {
            preempted: BTreeSet::new(),
            reserved: Vec::new(),
        };
        let mut outcome = CycleOutcome {
            progress: false,
            admitted_any: false,
            all_retried: false,
        };
        let mut retry = Vec::new();
        loop {
            let e = if fair {
                if entries.is_empty() {
                    break;
                }
                entries.remove(fairest(&mut self.snapshot, &entries))
            } else {
                match entries.pop() {
                    Some(e) => e,
                    None => break,
                }
            };
            let (cq, key) = (e.cq.clone(), e.key.clone());
            match self.process(&mut cycle, e) {
                Processed::Admitted => {
                    outcome.progress = true;
                    outcome.admitted_any = true;
                }
                Processed::Preempting { issued } => {
                    outcome.progress |= issued > 0;
                    retry.push((cq, key, true));
                }
                Processed::NoLongerFits => retry.push((cq, key, false)),
                Processed::Parked => {}
            }
        }
        // 5. What preemptors held back was for this cycle only.
        for (cq, fr, q) in cycle.reserved {
            self.snapshot.remove_usage(&cq, &fr, q);
        }
        // 6. Requeue the heads that wait for their victims or lost their quota.
        outcome.all_retried = retry.len() == head_count;
        for (cq, key, preempting) in retry {
            let strategy = self.store.cluster_queues.get(&cq).map(|c| c.queueing_strategy);
            match strategy {
                Some(strategy) if preempting => self.qm.requeue_preempting(&cq, key, strategy),
                _ => self.qm.requeue_now(&cq, key),
            }
        }
        Some(outcome)
    }
}

/// Under fair sharing, the entry to process next (`fairSharingIterator`): an entry of a
/// ClusterQueue without cohort goes as it comes; otherwise a tournament over the cohort
/// tree of the first entry's ClusterQueue. Each cohort picks among its children's winners
/// by the child on that entry's path, with the entry admitted: first one whose child does
/// not borrow any (flavor, resource) the entry asks for (`FairSharingPrioritizeNonBorrowing`,
/// on by default in v0.19), then the lowest dominant resource share, then priority, then
/// FIFO. Shares are taken as the snapshot stands after the entries processed before.
fn fairest(snapshot: &mut Snapshot, entries: &[Entry]) -> usize {
    let Some(first) = entries.first() else { return 0 };
    if let Some(i) = entries
        .iter()
        .position(|e| snapshot.parent(Node::Queue(&e.cq)).is_none())
    {
        return i;
    }
    let Some(root) = snapshot.root_of(&first.cq).map(str::to_string) else {
        return 0;
    };
    // For each entry of the tree: at each cohort on its path, whether that cohort's child
    // the entry comes through borrows what the entry asks for, and that child's share.
    let mut shares: BTreeMap<(String, usize), (bool, Share)> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        if snapshot.root_of(&e.cq) != Some(root.as_str()) {
            continue;
        }
        let usage = e.usage();
        for (fr, q) in &usage {
            snapshot.add_usage(&e.cq, fr, *q);
        }
        let requested: Vec<&FlavorResource> = usage.iter().filter(|(_, q)| !q.is_zero()).map(|(fr, _)| fr).collect();
        let mut child = Node::Queue(&e.cq);
        let mut rank = (
            fairsharing::borrows_on(snapshot, child, requested.iter().copied()),
            fairsharing::dominant_resource_share(snapshot, &e.cq),
        );
        let ancestors: Vec<String> = snapshot
            .ancestors(Node::Queue(&e.cq))
            .into_iter()
            .map(str::to_string)
            .collect();
        for cohort in &ancestors {
            shares.insert((cohort.clone(), i), rank);
            child = Node::Cohort(cohort);
            rank = (
                fairsharing::borrows_on(snapshot, child, requested.iter().copied()),
                fairsharing::node_share(snapshot, child),
            );
        }
        for (fr, q) in &usage {
            snapshot.remove_usage(&e.cq, fr, *q);
        }
    }
    tournament(snapshot, entries, &shares, &root).unwrap_or(0)
}

/// The winning entry of a cohort's subtree, if it has any.
fn tournament(
    snapshot: &Snapshot,
    entries: &[Entry],
    shares: &BTreeMap<(String, usize), (bool, Share)>,
    cohort: &str,
) -> Option<usize> {
    let c = snapshot.cohort(cohort)?;
    let mut contenders: Vec<usize> = Vec::new();
    // Bounded by the tree's height: a snapshot's cohort tree has no cycle.
    for child in &c.child_cohorts {
        contenders.extend(tournament(snapshot, entries, shares, child));
    }
    for q in &c.child_queues {
        contenders.extend(entries.iter().position(|e| e.cq == *q));
    }
    type Rank<'k> = (bool, Share, std::cmp::Reverse<i32>, crate::units::Stamp, &'k QueueKey);
    // Contenders are positions in `entries` (`position` above), so indexing cannot miss.
    let rank = |i: usize| -> Rank {
        let e = &entries[i];
        let (borrows, share) = shares
            .get(&(cohort.to_string(), i))
            .copied()
            .unwrap_or((false, Share::default()));
        (
            borrows,
            share,
            std::cmp::Reverse(e.workload.priority),
            e.workload.queue_timestamp,
            &e.key,
        )
    };
    contenders.into_iter().min_by(|a, b| rank(*a).cmp(&rank(*b)))
}

fn pending(w: &Workload, reason: &str, message: String) -> Option<Action> {
    (w.pending_message.as_deref() != Some(message.as_str()) || w.pending_reason.as_deref() != Some(reason)).then(|| {
        Action::Workload(
            w.uid,
            WorkloadWrite::Pending {
                reason: reason.into(),
                message,
            },
        )
    })
}

impl<'w> Pass<'w, '_> {
    /// Checks the queue, assigns flavors and, when only preemption makes room, finds targets.
    fn nominate(&mut self, cq_name: String, key: QueueKey) -> Option<Entry<'w>> {
        let store: &'w Store = self.store;
        let (qm, snapshot, running, actions, tas) = (
            &mut *self.qm,
            &mut self.snapshot,
            &*self.running.admitted,
            &mut self.actions,
            &self.tas,
        );
        let w = store.workloads.get(key.workload)?;
        let cq = store.cluster_queues.get(&cq_name)?;
        // Kueue leaves a ClusterQueue under a cycle of cohorts out of the snapshot, inactive.
        if cq.stopped || snapshot.under_cycle(&cq_name) {
            actions.extend(pending(
                w,
                REASON_INADMISSIBLE,
                format!("ClusterQueue {cq_name} is inactive"),
            ));
            qm.requeue_not_fitting(&cq_name, key, QueueingStrategy::BestEffortFIFO);
            return None;
        }
        let ns_ok = cq
            .namespace_selector
            .as_ref()
            .is_some_and(|s| s.matches(&store.namespace_labels(&w.namespace)));
        if !ns_ok {
            // `workload.ErrNamespaceMismatch`, under the scheduler's fallback reason
            // (`Misconfigured` only with `UnadmittedWorkloadsObservability`, off in v0.19).
            actions.extend(pending(
                w,
                REASON_PENDING,
                "workload namespace doesn't match ClusterQueue selector".into(),
            ));
            qm.requeue_not_fitting(&cq_name, key, QueueingStrategy::BestEffortFIFO);
            return None;
        }
        let full: Vec<u32> = w.pod_sets.iter().map(|ps| ps.count).collect();
        let (mut assignment, mut targets) = attempt(store, snapshot, tas, running, cq, w, &full);
        // Partial admission (`minCount`): the most pods, down to the minimum, that fit or
        // fit by preempting someone — tried only once the whole Workload does not.
        let admissible =
            |a: &Assignment, t: &[Target]| a.mode == Mode::Fit || (a.mode == Mode::Preempt && !t.is_empty());
        if !admissible(&assignment, &targets) {
            let full_counts: Vec<(u32, Option<u32>)> = w.pod_sets.iter().map(|ps| (ps.count, ps.min_count)).collect();
            if let Some(reducer) = PodSetReducer::new(&full_counts) {
                let found = reducer.search(|counts| {
                    let (a, t) = attempt(store, snapshot, tas, running, cq, w, counts);
                    admissible(&a, &t)
                });
                if let Some(counts) = found {
                    (assignment, targets) = attempt(store, snapshot, tas, running, cq, w, &counts);
                }
            }
        }
        Some(Entry {
            cq: cq_name,
            key,
            workload: w,
            assignment,
            targets,
        })
    }
}

/// The Workload's pod sets at `counts` pods, assigned flavors, with the preemption targets
/// when they fit only by preempting.
#[allow(clippy::too_many_arguments)]
fn attempt(
    store: &Store,
    snapshot: &mut Snapshot,
    tas: &TasSnapshot,
    running: &Admitted,
    cq: &crate::api::kueue::ClusterQueue,
    w: &Workload,
    counts: &[u32],
) -> (Assignment, Vec<Target>) {
    let counts_pods = cq.group_for("pods").is_some();
    let pod_sets: Vec<PodSetRequest> = w
        .pod_sets
        .iter()
        .zip(counts)
        .map(|(ps, &count)| {
            let mut requests = ps.per_pod.times(count as i64);
            if counts_pods {
                requests.0.insert("pods".into(), Quantity::from_units(count as i64));
            }
            PodSetRequest {
                name: &ps.name,
                spec: &ps.template,
                count,
                requests,
                topology: ps.topology_request.as_ref(),
            }
        })
        .collect();
    let mut oracle = Oracle {
        priority: w.priority,
        queued: w.queue_timestamp,
        running,
    };
    let assignment = assign(cq, &store.flavors, snapshot, &mut oracle, Some(tas), &pod_sets);
    let mut targets = Vec::new();
    if assignment.mode == Mode::Preempt {
        let usage = assignment.usage();
        let needs = usage
            .iter()
            .filter(|(fr, q)| *q > snapshot.available(&cq.name, fr))
            .map(|(fr, _)| fr.clone())
            .collect();
        let preemptor = Preemptor {
            cluster_queue: cq,
            priority: w.priority,
            queued: w.queue_timestamp,
            requests: usage,
            needs,
        };
        targets = match snapshot.fair_sharing.clone() {
            Some(strategies) => fairsharing::targets(&preemptor, snapshot, running, &strategies),
            None => preemption::targets(&preemptor, snapshot, running),
        };
    }
    (assignment, targets)
}

/// Kueue's preemption oracle: the real target search for one (flavor, resource), with the
/// borrowing judged once the targets are gone.
struct Oracle<'a> {
    priority: i32,
    queued: crate::units::Stamp,
    running: &'a Admitted,
}

impl PreemptionOracle for Oracle<'_> {
    fn simulate(
        &mut self,
        snapshot: &mut Snapshot,
        cq: &crate::api::kueue::ClusterQueue,
        fr: &FlavorResource,
        val: Quantity,
    ) -> (PreemptionMode, u32) {
        let preemptor = Preemptor {
            cluster_queue: cq,
            priority: self.priority,
            queued: self.queued,
            requests: vec![(fr.clone(), val)],
            needs: [fr.clone()].into(),
        };
        let targets = match snapshot.fair_sharing.clone() {
            Some(strategies) => fairsharing::targets(&preemptor, snapshot, self.running, &strategies),
            None => preemption::targets(&preemptor, snapshot, self.running),
        };
        if targets.is_empty() {
            return (
                PreemptionMode::NoCandidates,
                snapshot.borrowing_height(&cq.name, fr, val).0,
            );
        }
        let victims: Vec<Candidate> = targets
            .iter()
            .filter_map(|t| self.running.get(t.uid).cloned())
            .collect();
        for v in &victims {
            preemption::remove(snapshot, v);
        }
        let borrow = snapshot.borrowing_height(&cq.name, fr, val).0;
        for v in &victims {
            preemption::add(snapshot, v);
        }
        let own = targets.iter().any(|t| t.reason == preemption::Reason::ClusterQueue);
        (
            if own {
                PreemptionMode::Preempt
            } else {
                PreemptionMode::Reclaim
            },
            borrow,
        )
    }
}

/// What a preemptor without targets holds back for this cycle (`resourcesToReserve`):
/// its nominal headroom, or up to its borrowing limit when it borrows.
fn to_reserve(snapshot: &Snapshot, cq: &str, e: &Entry, fr: &FlavorResource, q: Quantity) -> Quantity {
    let Some(s) = snapshot.queue(cq) else {
        return Quantity::ZERO;
    };
    let (quota, used) = (s.quota(fr), s.used(fr));
    if !e.assignment.borrows() {
        return q.min(quota.nominal - used).max(Quantity::ZERO);
    }
    match quota.borrowing_limit {
        Some(limit) => q.min(quota.nominal + limit - used).max(Quantity::ZERO),
        None => q,
    }
}

impl Pass<'_, '_> {
    /// Admits what still fits, issues a preempting entry's evictions (it then waits for their
    /// quota), parks the rest per queueing strategy.
    fn process(&mut self, cycle: &mut Cycle, e: Entry) -> Processed {
        let Some(cq) = self.store.cluster_queues.get(&e.cq) else {
            return Processed::Parked;
        };
        match e.assignment.mode {
            Mode::NoFit => return self.park(&e, cq.queueing_strategy, e.assignment.message.clone()),
            Mode::Preempt if e.targets.is_empty() => {
                // It holds back what it could have, so that entries after it in this cycle
                // do not take it, unless its ClusterQueue can always reclaim it.
                if cq.preemption.reclaim_within_cohort != ReclaimWithinCohort::Any {
                    for (fr, q) in &e.usage() {
                        let r = to_reserve(&self.snapshot, &e.cq, &e, fr, *q);
                        self.snapshot.add_usage(&e.cq, fr, r);
                        cycle.reserved.push((e.cq.clone(), fr.clone(), r));
                    }
                }
                return self.park(&e, cq.queueing_strategy, e.assignment.message.clone());
            }
            _ => {}
        }
        if e.targets.iter().any(|t| cycle.preempted.contains(&t.uid)) {
            let message = "Workload has overlapping preemption targets with another workload";
            return self.park(&e, cq.queueing_strategy, message.into());
        }
        let usage = e.usage();
        if !self.still_fits(cycle, &e, &usage) {
            let message = "Workload no longer fits after processing another workload";
            self.actions.extend(pending(e.workload, REASON_PENDING, message.into()));
            return Processed::NoLongerFits;
        }
        for (fr, q) in &usage {
            self.snapshot.add_usage(&e.cq, fr, *q);
        }
        if e.assignment.mode == Mode::Preempt {
            return self.preempt(cycle, &e, &usage);
        }
        self.admit(&e, usage);
        Processed::Admitted
    }

    /// Pending with `message`, requeued as its queueing strategy says.
    fn park(&mut self, e: &Entry, strategy: QueueingStrategy, message: String) -> Processed {
        self.actions.extend(pending(e.workload, REASON_PENDING, message));
        self.qm.requeue_not_fitting(&e.cq, e.key.clone(), strategy);
        Processed::Parked
    }

    /// Whether it fits against what earlier entries took, once its targets and those of the
    /// cycle's earlier preemptors are gone (Kueue's `fits` with the preempted workloads).
    fn still_fits(&mut self, cycle: &Cycle, e: &Entry, usage: &[(FlavorResource, Quantity)]) -> bool {
        let victims: Vec<Candidate> = if cycle.preempted.is_empty() && e.targets.is_empty() {
            Vec::new()
        } else {
            cycle
                .preempted
                .iter()
                .copied()
                .chain(e.targets.iter().map(|t| t.uid))
                .collect::<BTreeSet<WorkloadId>>()
                .into_iter()
                .filter_map(|uid| self.running.admitted.get(uid).cloned())
                .collect()
        };
        for v in &victims {
            preemption::remove(&mut self.snapshot, v);
        }
        let fits = usage.iter().all(|(fr, q)| *q <= self.snapshot.available(&e.cq, fr));
        for v in &victims {
            preemption::add(&mut self.snapshot, v);
        }
        fits
    }

    /// Evicts its targets not already going; it keeps its quota reserved for this cycle and
    /// waits, pending, for theirs.
    fn preempt(&mut self, cycle: &mut Cycle, e: &Entry, usage: &[(FlavorResource, Quantity)]) -> Processed {
        let w = e.workload;
        for (fr, q) in usage {
            cycle.reserved.push((e.cq.clone(), fr.clone(), *q));
        }
        let mut issued = 0;
        for t in &e.targets {
            cycle.preempted.insert(t.uid);
            if !self.running.evict(t.uid) {
                continue;
            }
            issued += 1;
            self.actions.push(Action::Workload(
                t.uid,
                WorkloadWrite::Evict(Eviction::Preempted {
                    reason: t.reason.as_str().into(),
                    message: preemption::message(
                        w.uid,
                        self.store.job_uid_of(w),
                        t.reason,
                        &preemption::path(&self.snapshot, &e.cq),
                        &self
                            .running
                            .admitted
                            .get(t.uid)
                            .map(|c| preemption::path(&self.snapshot, &c.cluster_queue))
                            .unwrap_or_else(|| "UNKNOWN".into()),
                    ),
                    preemptor: w.uid,
                }),
            ));
        }
        // Kueue counts the targets already being evicted too.
        let message = format!(
            "{}. {PENDING_PREEMPTION} {} workload(s)",
            e.assignment.message,
            e.targets.len()
        );
        self.actions.extend(pending(w, REASON_PENDING, message));
        Processed::Preempting { issued }
    }

    /// Quota reserved: it joins the admitted workloads later entries may preempt.
    fn admit(&mut self, e: &Entry, usage: Vec<(FlavorResource, Quantity)>) {
        let w = e.workload;
        self.running.push(Candidate {
            uid: w.uid,
            cluster_queue: e.cq.clone(),
            priority: w.priority,
            queued: w.queue_timestamp,
            admitted: crate::units::Stamp::from(self.store.now),
            usage,
            evicted: false,
        });
        for (ps, psf) in w.pod_sets.iter().zip(&e.assignment.pod_sets) {
            if let Some(t) = &psf.topology {
                self.tas.reserve(t, &ps.per_pod);
            }
        }
        self.actions.push(Action::Workload(
            w.uid,
            WorkloadWrite::Admit(e.assignment.admission(&e.cq)),
        ));
    }
}
