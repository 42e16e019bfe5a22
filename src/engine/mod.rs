//! The discrete-event engine: integer simulated time, an event queue with deterministic
//! tie-breaking, seeded RNG streams, controller work queues, and the run loop that
//! settles all controllers at each instant.

pub mod action;
pub mod apply;
pub mod ids;
pub mod jobs;
pub mod lws;
pub mod podsready;
pub mod snapshot;
pub mod world;

use crate::kueue::queue::QueueManager;
use crate::units::{SimDuration, SimTime};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};
use world::{NsName, Uid, World};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum EventKind {
    /// The scenario's timeline entry with this index.
    Timeline(usize),
    /// A pod finished start-up step `step` (stale if the pod's epoch moved on).
    PodStep { pod: Uid, step: usize },
    /// A terminating pod's grace period is over.
    PodGone { pod: Uid },
    /// A scenario checkpoint (an `at:` expectation); nothing happens but an observation.
    Checkpoint,
    /// A crash-looping pod's back-off is over.
    PodRestart { pod: Uid },
    /// A Deployment's pod has now been Ready for minReadySeconds.
    ResyncDeployment { deployment: Uid },
    /// A Job's pod has run its course and exits with success.
    PodRunDone { pod: Uid },
    /// A snapshot Workload's run time since admission is over.
    WorkloadDone { workload: Uid },
    /// `waitForPodsReady.timeout` after the admission at `admitted_at` (stale if the
    /// Workload was admitted again since).
    PodsReadyTimeout { workload: Uid, admitted_at: SimTime },
    /// A Workload's requeuing back-off is over.
    RequeueDue { workload: Uid },
}

/// A line of the run's event log (Kubernetes events and timeline commands).
#[derive(Debug, Clone, PartialEq)]
pub struct LogEvent {
    pub t: SimTime,
    pub kind: String,
    pub object: String,
    pub message: String,
}

/// Controller work queues, deduplicated and drained in a fixed order.
#[derive(Debug, Default)]
pub struct WorkQueues {
    pub isvc: BTreeSet<NsName>,
    pub deployment: BTreeSet<Uid>,
    pub replicaset: BTreeSet<Uid>,
    pub kueue_pod: BTreeSet<Uid>,
    pub job: BTreeSet<Uid>,
    pub lws: BTreeSet<Uid>,
    pub kueue_job: BTreeSet<Uid>,
    pub kueue_scheduler: bool,
    pub schedule: BTreeSet<(Reverse<i32>, SimTime, Uid)>,
    pub unschedulable: BTreeSet<Uid>,
    /// kube-scheduler's rotating start index over nodes.
    pub next_start_node: usize,
}

/// Independent random streams so that, say, a new pod name does not shift the
/// scheduler's tie-breaks.
pub struct Rngs {
    pub names: ChaCha8Rng,
    pub scheduler: ChaCha8Rng,
}

impl Rngs {
    pub fn new(seed: u64) -> Rngs {
        let stream = |n: u64| {
            let mut r = ChaCha8Rng::seed_from_u64(seed);
            r.set_stream(n);
            r
        };
        Rngs {
            names: stream(1),
            scheduler: stream(2),
        }
    }
}

pub struct Engine {
    pub world: World,
    pub queues: WorkQueues,
    pub kueue: QueueManager,
    pub rngs: Rngs,
    pub log: Vec<LogEvent>,
    pub warnings: Vec<String>,
    events: BinaryHeap<Reverse<(SimTime, u64, EventKind)>>,
    seq: u64,
    /// Total reconcile calls, for benchmarks and runaway detection.
    pub reconciles: u64,
}

/// What drives a run from outside the cluster: the scenario's timeline and observers.
pub trait Driver {
    fn on_timeline(&mut self, engine: &mut Engine, index: usize);
    /// Called once the instant `engine.world.now` has settled.
    fn after_instant(&mut self, engine: &mut Engine);
}

const SETTLE_LIMIT: u64 = 50_000_000;

impl Engine {
    pub fn new(world: World, seed: u64) -> Engine {
        Engine {
            world,
            queues: WorkQueues::default(),
            kueue: QueueManager::default(),
            rngs: Rngs::new(seed),
            log: Vec::new(),
            warnings: Vec::new(),
            events: BinaryHeap::new(),
            seq: 0,
            reconciles: 0,
        }
    }

    pub fn now(&self) -> SimTime {
        self.world.now
    }

    pub fn schedule_at(&mut self, t: SimTime, kind: EventKind) {
        self.seq += 1;
        self.events.push(Reverse((t.max(self.world.now), self.seq, kind)));
    }

    pub fn schedule_in(&mut self, d: SimDuration, kind: EventKind) {
        let t = self.world.now + d;
        self.schedule_at(t, kind);
    }

    pub fn record(&mut self, kind: &str, object: impl Into<String>, message: impl Into<String>) {
        self.log.push(LogEvent {
            t: self.world.now,
            kind: kind.into(),
            object: object.into(),
            message: message.into(),
        });
    }

    /// Runs until the event queue is empty or the next event is past `until`; the
    /// clock then stands at `until`.
    pub fn run(&mut self, until: SimTime, driver: &mut dyn Driver) {
        self.settle();
        driver.after_instant(self);
        while let Some(Reverse((t, _, _))) = self.events.peek() {
            let t = *t;
            if t > until {
                break;
            }
            self.world.now = t;
            while let Some(Reverse((t2, _, _))) = self.events.peek() {
                if *t2 != t {
                    break;
                }
                let Reverse((_, _, kind)) = self.events.pop().unwrap();
                let is_command = matches!(kind, EventKind::Timeline(_));
                if is_command {
                    // A command sees everything that happened before it at this instant.
                    self.settle();
                }
                self.handle(kind, driver);
                if is_command {
                    self.settle();
                }
            }
            // Other events of one instant (pods becoming ready together) are reconciled
            // as one batch, as controllers' work queues coalesce them.
            self.settle();
            driver.after_instant(self);
            crate::progress::set(crate::progress::Phase::Cluster, t.as_secs_f64(), until.as_secs_f64());
        }
        self.world.now = until;
    }

    fn handle(&mut self, kind: EventKind, driver: &mut dyn Driver) {
        match kind {
            EventKind::Timeline(i) => driver.on_timeline(self, i),
            EventKind::PodStep { pod, step } => self.pod_step_done(pod, step),
            EventKind::PodGone { pod } => {
                if self.world.pods.get(&pod).is_some_and(|p| p.deletion.is_some()) {
                    self.remove_pod(pod);
                }
            }
            EventKind::Checkpoint => {}
            EventKind::PodRestart { pod } => self.restart_pod(pod),
            EventKind::ResyncDeployment { deployment } => {
                self.queues.deployment.insert(deployment);
            }
            EventKind::PodRunDone { pod } => self.pod_succeeded(pod),
            EventKind::WorkloadDone { workload } => self.snapshot_done(workload),
            EventKind::PodsReadyTimeout { workload, admitted_at } => self.pods_ready_timeout(workload, admitted_at),
            EventKind::RequeueDue { workload } => self.requeue_due(workload),
        }
    }

    /// Drains every controller's work queue until nothing is left to do.
    pub fn settle(&mut self) {
        loop {
            self.reconciles += 1;
            assert!(self.reconciles < SETTLE_LIMIT, "controllers did not settle");
            if let Some(k) = self.queues.isvc.pop_first() {
                let a = crate::controllers::inferenceservice::reconcile(&self.world, &k);
                self.apply_all(a);
                continue;
            }
            if let Some(u) = self.queues.deployment.pop_first() {
                let a = crate::controllers::deployment::reconcile(&self.world, u);
                self.apply_all(a);
                continue;
            }
            if let Some(u) = self.queues.replicaset.pop_first() {
                let a = crate::controllers::replicaset::reconcile(&self.world, u);
                self.apply_all(a);
                continue;
            }
            if let Some(u) = self.queues.job.pop_first() {
                let a = crate::controllers::job::reconcile(&self.world, u);
                self.apply_all(a);
                continue;
            }
            if let Some(u) = self.queues.lws.pop_first() {
                let a = crate::controllers::leaderworkerset::reconcile(&self.world, u);
                self.apply_all(a);
                continue;
            }
            if let Some(u) = self.queues.kueue_job.pop_first() {
                let a = crate::kueue::job::reconcile(&self.world, u);
                self.apply_all(a);
                continue;
            }
            if let Some(u) = self.queues.kueue_pod.pop_first() {
                let a = crate::kueue::pod::reconcile(&self.world, u);
                self.apply_all(a);
                continue;
            }
            if self.queues.kueue_scheduler {
                self.queues.kueue_scheduler = false;
                let a = crate::kueue::scheduler::schedule(&self.world, &mut self.kueue);
                self.apply_all(a);
                continue;
            }
            if let Some(k) = self.queues.schedule.pop_first() {
                let pod_uid = k.2;
                let Some(pod) = self.world.pods.get(&pod_uid) else {
                    continue;
                };
                if pod.node.is_some() || pod.is_gated() || pod.deletion.is_some() {
                    continue;
                }
                let a = crate::cluster::scheduler::schedule_one(
                    &self.world,
                    pod,
                    &mut self.rngs.scheduler,
                    &mut self.queues.next_start_node,
                );
                self.apply_all(vec![a]);
                continue;
            }
            break;
        }
    }

    /// Moves unschedulable pods back to the active scheduling queue (cluster changed).
    pub fn retry_unschedulable(&mut self) {
        let pods = std::mem::take(&mut self.queues.unschedulable);
        for p in pods {
            self.enqueue_schedule(p);
        }
    }

    pub fn enqueue_schedule(&mut self, pod_uid: Uid) {
        if let Some(p) = self.world.pods.get(&pod_uid) {
            let prio = p
                .spec
                .priority_class_name
                .as_ref()
                .and_then(|c| self.world.priority_classes.get(c))
                .map(|c| c.value)
                .unwrap_or(0);
            self.queues.schedule.insert((Reverse(prio), p.created, pod_uid));
        }
    }

    /// Requeues parked workloads of a ClusterQueue and wakes the Kueue scheduler.
    /// A pod's priority label changed: its Workload takes the new priority (Kueue keeps a
    /// Workload's priority in step with its `kueue.x-k8s.io/priority-class`), re-sorted in
    /// its queue when pending; an admitted one keeps running and is judged by the new
    /// priority in later preemptions.
    pub fn reprioritize_workload_of(&mut self, pod: world::Uid) {
        let Some(p) = self.world.pods.get(&pod) else { return };
        let Some(wuid) = p.workload else { return };
        let (priority, class) = crate::kueue::pod::priority_of(&self.world, p);
        let Some(w) = self.world.workloads.get(&wuid) else {
            return;
        };
        if w.priority == priority && w.priority_class == class {
            return;
        }
        let old = w.clone();
        let cq = self.world.cluster_queue_of(&old).map(str::to_string);
        let queued = old.is_pending() && cq.as_ref().is_some_and(|c| self.kueue.queues.contains_key(c));
        if let (true, Some(c)) = (queued, &cq) {
            self.kueue.remove(c, &old);
        }
        let w = self.world.workloads.get_mut(&wuid).expect("looked up");
        w.priority = priority;
        w.priority_class = class;
        let w = w.clone();
        if let (true, Some(c)) = (queued, &cq) {
            self.kueue.push(c, &w);
        }
        self.record(
            "Normal",
            format!("Workload {}/{}", w.namespace, w.name),
            format!("Priority changed from {} to {priority}", old.priority),
        );
        self.queues.kueue_scheduler = true;
    }

    /// Quota changed in `cq`: its inadmissible workloads, and those of every ClusterQueue
    /// in its cohort (which may borrow or reclaim it), get another chance.
    pub fn requeue_cluster_queue(&mut self, cq: &str) {
        let cohort = self.world.cluster_queues.get(cq).and_then(|c| c.cohort.clone());
        let members: Vec<String> = match cohort {
            Some(c) => self
                .world
                .cluster_queues
                .values()
                .filter(|q| q.cohort.as_deref() == Some(c.as_str()))
                .map(|q| q.name.clone())
                .collect(),
            None => vec![cq.to_string()],
        };
        for m in members {
            self.kueue.requeue_all(&m);
        }
        self.kueue.requeue_all(cq);
        self.queues.kueue_scheduler = true;
    }

    pub fn requeue_all_cluster_queues(&mut self) {
        let names: Vec<String> = self.kueue.queues.keys().cloned().collect();
        for n in names {
            self.requeue_cluster_queue(&n);
        }
        self.queues.kueue_scheduler = true;
    }
}
