//! Kueue's scheduler (`pkg/scheduler`): each cycle takes the head of every ClusterQueue
//! and nominates it against a snapshot of the cache (flavors, and preemption targets when
//! it only fits by preempting); entries are then processed, those that fit without
//! borrowing first, then by priority, then FIFO: what still fits is admitted (updating the
//! snapshot), a preempting entry evicts its targets and waits for their quota, the rest
//! are requeued per queueing strategy.

use super::cache::{FlavorResource, Snapshot};
use super::flavorassigner::{assign, Assignment, Mode};
use super::preemption::{self, Candidate, Preemptor, Target};
use super::queue::{QueueKey, QueueManager};
use super::POD_SET;
use crate::api::core::ResourceList;
use crate::api::kueue::QueueingStrategy;
use crate::engine::action::Action;
use crate::engine::world::{Admission, Uid, Workload, World};
use crate::units::Quantity;
use std::collections::BTreeSet;

pub const REASON_PENDING: &str = "Pending";
pub const REASON_INADMISSIBLE: &str = "Inadmissible";

/// One nominated head.
struct Entry<'w> {
    cq: String,
    key: QueueKey,
    workload: &'w Workload,
    requests: ResourceList,
    assignment: Assignment,
    targets: Vec<Target>,
}

impl Entry<'_> {
    fn usage(&self) -> Vec<(FlavorResource, Quantity)> {
        usage_of(&self.assignment.flavors, &self.requests)
    }
}

fn usage_of(
    flavors: &std::collections::BTreeMap<String, String>,
    requests: &ResourceList,
) -> Vec<(FlavorResource, Quantity)> {
    flavors
        .iter()
        .map(|(r, f)| ((f.clone(), r.clone()), requests.get(r)))
        .collect()
}

/// Admitted workloads, as preemption candidates.
fn admitted(world: &World) -> Vec<Candidate> {
    world
        .workloads
        .values()
        .filter(|w| w.finished_at.is_none())
        .filter_map(|w| {
            let a = w.admission.as_ref()?;
            Some(Candidate {
                uid: w.uid,
                cluster_queue: a.cluster_queue.clone(),
                priority: w.priority,
                queued: w.queue_timestamp,
                admitted: w.admitted_at.unwrap_or(w.created),
                usage: usage_of(&a.flavors, &a.usage),
                evicted: w.evicted_at.is_some(),
            })
        })
        .collect()
}

/// Runs scheduling cycles until no ClusterQueue has an untried head.
pub fn schedule(world: &World, qm: &mut QueueManager) -> Vec<Action> {
    let mut actions = Vec::new();
    let mut snapshot = Snapshot::new(world.cluster_queues.values(), &world.usage);
    let mut running = admitted(world);
    loop {
        let names: Vec<String> = qm.queues.keys().cloned().collect();
        let heads: Vec<(String, QueueKey)> = names
            .iter()
            .filter_map(|cq| qm.pop_head(cq).map(|k| (cq.clone(), k)))
            .collect();
        if heads.is_empty() {
            break;
        }
        let mut entries = Vec::new();
        for (cq_name, key) in heads {
            qm.decisions += 1;
            if let Some(e) = nominate(world, qm, &mut snapshot, &running, &mut actions, cq_name, key) {
                entries.push(e);
            }
        }
        entries.sort_by(|a, b| {
            a.assignment
                .borrows
                .cmp(&b.assignment.borrows)
                .then(b.workload.priority.cmp(&a.workload.priority))
                .then(a.workload.queue_timestamp.cmp(&b.workload.queue_timestamp))
                .then(a.key.cmp(&b.key))
        });
        let mut preempted_this_cycle: BTreeSet<Uid> = BTreeSet::new();
        for e in entries {
            process(
                world,
                qm,
                &mut snapshot,
                &mut running,
                &mut actions,
                &mut preempted_this_cycle,
                e,
            );
        }
    }
    actions
}

fn pending(w: &Workload, reason: &str, message: String) -> Option<Action> {
    (w.pending_message.as_deref() != Some(message.as_str()) || w.pending_reason.as_deref() != Some(reason)).then(|| {
        Action::SetWorkloadPending {
            uid: w.uid,
            reason: reason.into(),
            message,
        }
    })
}

/// Checks the queue, assigns flavors and, when only preemption makes room, finds targets.
fn nominate<'w>(
    world: &'w World,
    qm: &mut QueueManager,
    snapshot: &mut Snapshot,
    running: &[Candidate],
    actions: &mut Vec<Action>,
    cq_name: String,
    key: QueueKey,
) -> Option<Entry<'w>> {
    let w = world.workloads.get(&key.3)?;
    let cq = world.cluster_queues.get(&cq_name)?;
    if cq.stopped {
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
        .is_some_and(|s| s.matches(&world.namespace_labels(&w.namespace)));
    if !ns_ok {
        actions.extend(pending(
            w,
            REASON_INADMISSIBLE,
            "Workload namespace doesn't match ClusterQueue selector".into(),
        ));
        qm.requeue_not_fitting(&cq_name, key, QueueingStrategy::BestEffortFIFO);
        return None;
    }
    let pod = world.pods.get(&w.pod)?;
    let mut requests = w.requests.clone();
    if cq.group_for("pods").is_some() {
        requests.0.insert("pods".into(), Quantity::from_units(1));
    }
    let assignment = assign(cq, &world.flavors, snapshot, POD_SET, &pod.spec, &requests);
    let mut targets = Vec::new();
    if assignment.mode == Mode::Preempt {
        let usage = usage_of(&assignment.flavors, &requests);
        let needs = usage
            .iter()
            .filter(|(fr, q)| *q > snapshot.available(&cq_name, fr))
            .map(|(fr, _)| fr.clone())
            .collect();
        let preemptor = Preemptor {
            cluster_queue: cq,
            priority: w.priority,
            queued: w.queue_timestamp,
            requests: usage,
            needs,
        };
        targets = preemption::targets(&preemptor, snapshot, running);
    }
    Some(Entry {
        cq: cq_name,
        key,
        workload: w,
        requests,
        assignment,
        targets,
    })
}

fn process(
    world: &World,
    qm: &mut QueueManager,
    snapshot: &mut Snapshot,
    running: &mut Vec<Candidate>,
    actions: &mut Vec<Action>,
    preempted_this_cycle: &mut BTreeSet<Uid>,
    e: Entry,
) {
    let w = e.workload;
    let strategy = world
        .cluster_queues
        .get(&e.cq)
        .map(|c| c.queueing_strategy)
        .unwrap_or(QueueingStrategy::BestEffortFIFO);
    match e.assignment.mode {
        Mode::NoFit => {
            actions.extend(pending(w, REASON_PENDING, e.assignment.message.clone()));
            qm.requeue_not_fitting(&e.cq, e.key, strategy);
        }
        Mode::Preempt if e.targets.is_empty() => {
            actions.extend(pending(w, REASON_PENDING, e.assignment.message.clone()));
            qm.requeue_not_fitting(&e.cq, e.key, strategy);
        }
        Mode::Preempt => {
            if e.targets.iter().any(|t| preempted_this_cycle.contains(&t.uid)) {
                // Another entry of this cycle is already making room with these.
                actions.extend(pending(
                    w,
                    REASON_PENDING,
                    "Workload has overlapping preemption targets with another workload".into(),
                ));
                qm.requeue_not_fitting(&e.cq, e.key, strategy);
                return;
            }
            let mut issued = 0;
            for t in &e.targets {
                preempted_this_cycle.insert(t.uid);
                let already = world.workloads.get(&t.uid).is_some_and(|v| v.evicted_at.is_some());
                if !already {
                    issued += 1;
                    actions.push(Action::EvictWorkload {
                        uid: t.uid,
                        reason: t.reason.as_str().into(),
                        message: format!(
                            "Preempted to accommodate a workload (UID: {}, JobUID: {}) due to {}",
                            w.uid,
                            w.pod,
                            t.reason.human()
                        ),
                    });
                }
            }
            let mut message = e.assignment.message.clone();
            if issued > 0 {
                message.push_str(&format!(". Pending the preemption of {issued} workload(s)"));
            }
            actions.extend(pending(w, REASON_PENDING, message));
            // It waits for the quota the evictions release, which requeues it.
            qm.requeue_not_fitting(&e.cq, e.key, strategy);
        }
        Mode::Fit => {
            let usage = e.usage();
            // Earlier entries of this cycle may have taken what it was nominated with.
            let still_fits = usage.iter().all(|(fr, q)| *q <= snapshot.available(&e.cq, fr));
            if !still_fits {
                actions.extend(pending(
                    w,
                    REASON_PENDING,
                    "Workload no longer fits after processing another workload".into(),
                ));
                // Tried again in the next cycle, against the new usage.
                qm.requeue_now(&e.cq, e.key);
                return;
            }
            for (fr, q) in &usage {
                snapshot.add_usage(&e.cq, fr, *q);
            }
            running.push(Candidate {
                uid: w.uid,
                cluster_queue: e.cq.clone(),
                priority: w.priority,
                queued: w.queue_timestamp,
                admitted: world.now,
                usage,
                evicted: false,
            });
            actions.push(Action::AdmitWorkload {
                uid: w.uid,
                admission: Admission {
                    cluster_queue: e.cq.clone(),
                    flavors: e.assignment.flavors.clone(),
                    usage: e.requests.clone(),
                },
            });
        }
    }
}
