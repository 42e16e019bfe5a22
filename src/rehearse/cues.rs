//! `gpuaas-sim rehearse SCENARIO --cues`: the presenter's cue sheet. The scenario runs as
//! `run` runs it, under a pacer that never waits and only watches. After each timeline
//! command it follows what the command set off — the pods it adds or removes, the quota
//! their Workloads give back, the pending Workloads Kueue admits on that quota — until all
//! of it has settled, and writes per command what to wait for, when that comes, why it
//! takes that long (Kueue's steps, then the kubelet's start-up plan, the one the report's
//! cold starts list) and what `oc get pods` shows at that instant.

use crate::analysis::deadlock::{self, Found};
use crate::cluster::kubelet::Step;
use crate::engine::RunError;
use crate::scenario::command::{parse_command, Command, Targets, Verb};
use crate::scenario::kubectl::Kind;
use crate::scenario::run::{run_paced, Moment, Paced, Pacer, Pacing, Prepared};
use crate::store::{PodId, Store, Workload, WorkloadId, WorkloadState};
use crate::units::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// The cue sheet of `prepared`'s run, as Markdown.
pub fn cue_sheet(prepared: Prepared) -> Result<String, RunError> {
    let mut sheet = CueSheet::new(&prepared);
    let progress = crate::progress::Progress::default();
    match run_paced(prepared, &progress, Some(&mut sheet))? {
        Paced::Finished(_) => Ok(sheet.render()),
        // Only a pacer stops a run, and this one never does.
        Paced::Stopped { at } => Err(RunError::Stopped { at }),
    }
}

/// What a command changes, followed until it settles.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Unit {
    /// A Deployment's pods (an InferenceService's predictor among them).
    Deployment { namespace: String, name: String },
    /// A Workload with no Deployment behind it: a Job's, a framework's, a bare pod's.
    Workload(WorkloadId),
}

/// The state a unit is awaited in.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Wants {
    /// All its replicas Ready in the current ReplicaSet, no other pod left (a scale, or a
    /// rollout when `rollout`: the new ReplicaSet's pods Ready, the old ones gone).
    Replicas { replicas: i32, rollout: bool },
    /// Its pods gone (a Deployment deleted, or one scaled to zero).
    Gone,
    /// The Workload Ready (its pods all Ready) or already Finished.
    WorkloadReady,
    /// The Workload Finished (deleted, its quota given back).
    WorkloadFinished,
}

/// A unit awaited, and every pod it had since the command.
#[derive(Debug, Clone)]
struct Watched {
    unit: Unit,
    wants: Wants,
    /// The model it serves (the InferenceService) or, failing that, its own name.
    label: String,
    pods: BTreeSet<PodId>,
}

/// How a cue's wait ended: reached, or the run's end came first.
#[derive(Debug, Clone)]
struct Outcome {
    at: SimTime,
    reached: bool,
    /// What is not there yet (empty when reached).
    statuses: Vec<String>,
    view: String,
}

/// The next command that changes something came before the awaited state: what the
/// presenter sees when moving on.
#[derive(Debug, Clone)]
struct Closed {
    at: SimTime,
    /// The last instant settled before it: what the view shows (its AGE column too).
    seen: SimTime,
    by: String,
    statuses: Vec<String>,
    view: String,
}

/// One timeline command's cue.
struct Cue {
    at: SimTime,
    text: String,
    command: Command,
    /// What its targets were just before it ran (a pod deleted with no grace is gone
    /// after).
    before: Vec<Unit>,
    /// Set once it ran: nothing to wait for, and why.
    nothing: Option<String>,
    ran: bool,
    watched: Vec<Watched>,
    /// Watched units Kueue admitted on the quota this command's pods gave back.
    helped: Vec<Watched>,
    released: BTreeSet<WorkloadId>,
    deadlock: Option<(SimTime, Found)>,
    closed: Option<Closed>,
    outcome: Option<Outcome>,
    /// `oc get pods` in the command's namespace: its text and the parsed command.
    view: Option<(String, Command)>,
}

impl Cue {
    fn open(&self) -> bool {
        self.ran && self.nothing.is_none() && self.outcome.is_none()
    }
    fn all_watched(&self) -> impl Iterator<Item = &Watched> {
        self.watched.iter().chain(&self.helped)
    }
}

/// A pod as seen while it lived.
#[derive(Debug, Clone)]
struct PodLog {
    name: String,
    created: SimTime,
    workload: Option<WorkloadId>,
    node: Option<String>,
    scheduled: Option<SimTime>,
    /// The kubelet's start-up plan, as the report's cold starts list it.
    steps: Vec<Step>,
    ready: Option<SimTime>,
    deletion: Option<(SimTime, SimDuration)>,
    gone: Option<SimTime>,
}

/// A Workload as seen while followed.
#[derive(Debug, Clone)]
struct WorkloadLog {
    name: String,
    owner: String,
    history: Vec<(SimTime, WorkloadState)>,
    /// Kueue's message when it was last seen pending.
    pending: Option<String>,
    /// What it held when last admitted: "4 nvidia.com/gpu in flavor f of ClusterQueue q".
    quota: Option<String>,
}

impl WorkloadLog {
    /// When it entered `state` at or after `from`.
    fn entered(&self, state: WorkloadState, from: SimTime) -> Option<SimTime> {
        self.history
            .iter()
            .find(|(t, s)| *s == state && *t >= from)
            .map(|(t, _)| *t)
    }

    /// When Kueue admitted it at or after `from`.
    fn admitted(&self, from: SimTime) -> Option<SimTime> {
        admissions(&self.history).find(|t| *t >= from)
    }
}

/// The instants Kueue admitted a Workload: entries into Admitted from anything but Ready
/// (a Ready Workload whose pod stops being ready goes back to Admitted, unadmitted by
/// nobody).
fn admissions(history: &[(SimTime, WorkloadState)]) -> impl Iterator<Item = SimTime> + '_ {
    let before = std::iter::once(None).chain(history.iter().map(|(_, s)| Some(*s)));
    history.iter().zip(before).filter_map(|((t, s), before)| {
        (*s == WorkloadState::Admitted && before != Some(WorkloadState::Ready)).then_some(*t)
    })
}

/// The pacer that writes the cue sheet.
struct CueSheet {
    name: String,
    seed: u64,
    end: SimTime,
    cues: Vec<Cue>,
    /// Transcript entries matched to their cues so far.
    matched: usize,
    pods: BTreeMap<PodId, PodLog>,
    workloads: BTreeMap<WorkloadId, WorkloadLog>,
    /// Which command's released quota each helped Workload was admitted on: (cue, whose).
    admitted_on: BTreeMap<WorkloadId, (usize, WorkloadId)>,
}

impl CueSheet {
    fn new(prepared: &Prepared) -> CueSheet {
        let s = &prepared.scenario;
        CueSheet {
            name: s.name.clone(),
            seed: s.seed,
            end: SimTime(s.duration.0),
            cues: s
                .timeline
                .iter()
                .map(|e| Cue {
                    at: e.at,
                    text: e.text.clone(),
                    command: e.command.clone(),
                    before: Vec::new(),
                    nothing: None,
                    ran: false,
                    watched: Vec::new(),
                    helped: Vec::new(),
                    released: BTreeSet::new(),
                    deadlock: None,
                    closed: None,
                    outcome: None,
                    view: None,
                })
                .collect(),
            matched: 0,
            pods: BTreeMap::new(),
            workloads: BTreeMap::new(),
            admitted_on: BTreeMap::new(),
        }
    }
}

impl Pacer for CueSheet {
    fn ahead(&mut self, moment: &Moment<'_>, next: SimTime) -> Pacing {
        let store = moment.engine.store();
        let mut closing: Option<String> = None;
        for cue in self.cues.iter_mut().filter(|c| c.at == next && !c.ran) {
            cue.before = targets_of(store, &cue.command);
            if closing.is_none() && changes(&cue.command.verb) {
                closing = Some(cue.text.clone());
            }
        }
        // The presenter moves on at the next command that changes something: what the
        // cues still waiting look like then, before it runs.
        if let Some(by) = closing {
            for cue in self
                .cues
                .iter_mut()
                .filter(|c| c.open() && c.at < next && c.closed.is_none())
            {
                cue.closed = Some(Closed {
                    at: next,
                    seen: store.now,
                    by: by.clone(),
                    statuses: statuses(store, cue, &self.workloads),
                    view: view_of(moment, cue),
                });
            }
        }
        Pacing::Go
    }

    fn after_instant(&mut self, moment: &Moment<'_>) {
        let now = moment.engine.now();
        let store = moment.engine.store();
        for t in moment.transcript.iter().skip(self.matched) {
            let found = self
                .cues
                .iter()
                .position(|c| !c.ran && c.at == t.t && c.text == t.command);
            if let Some(i) = found {
                self.ran(i, store, &t.output);
            }
        }
        self.matched = moment.transcript.len();
        if !self.cues.iter().any(Cue::open) {
            return;
        }
        self.observe(store, now);
        self.releases(store, now);
        self.deadlocks(store, now);
        for cue in self.cues.iter_mut().filter(|c| c.open()) {
            let reached = cue.all_watched().all(|w| settled(store, w));
            if reached || now >= self.end {
                cue.outcome = Some(Outcome {
                    at: now,
                    reached,
                    statuses: if reached {
                        Vec::new()
                    } else {
                        statuses(store, cue, &self.workloads)
                    },
                    view: view_of(moment, cue),
                });
            }
        }
    }
}

/// Whether a verb changes the cluster (`get` and `describe` only read).
fn changes(verb: &Verb) -> bool {
    !matches!(verb, Verb::Get { .. } | Verb::Describe { .. })
}

/// Why a command has nothing to wait for, before looking at what it did.
fn nothing_by_verb(verb: &Verb) -> Option<&'static str> {
    match verb {
        Verb::Get { .. } | Verb::Describe { .. } => Some("it only reads"),
        Verb::Cordon { .. } => Some("it only marks the node unschedulable; the pods on it keep running"),
        Verb::Uncordon { .. } => Some("it only lets new pods onto the node"),
        Verb::Label { .. } => Some("a label changes no pod template, so nothing restarts"),
        _ => None,
    }
}

/// The first line of what `oc` printed, when `oc` or the API server refused the command
/// (nothing before it changed: it is the first line).
fn refused(output: &str) -> Option<&str> {
    let first = output.lines().next()?.trim();
    let refusal = first.starts_with("Error from server")
        || first.starts_with("error:")
        || (first.starts_with("The ") && first.contains(" is invalid: "));
    refusal.then_some(first)
}

impl CueSheet {
    /// Cue `i`'s command has run (its instant is settled): what it is awaited for.
    fn ran(&mut self, i: usize, store: &Store, output: &str) {
        let now = store.now;
        let Some(cue) = self.cues.get_mut(i) else { return };
        cue.ran = true;
        if let Some(why) = nothing_by_verb(&cue.command.verb) {
            cue.nothing = Some(why.to_string());
            return;
        }
        if let Some(line) = refused(output) {
            cue.nothing = Some(format!("`oc` refused it, nothing changed: {line}"));
            return;
        }
        let mut units = std::mem::take(&mut cue.before);
        for u in targets_of(store, &cue.command) {
            if !units.contains(&u) {
                units.push(u);
            }
        }
        // `apply -f` names no target on its line: what it changed at once stands for it.
        if units.is_empty() || matches!(cue.command.verb, Verb::Apply { .. }) {
            for u in changed_at(store, now, cue.command.namespace.as_deref()) {
                if !units.contains(&u) {
                    units.push(u);
                }
            }
        }
        if units.is_empty() {
            cue.nothing = Some("no pod or Workload changed when it ran".into());
            return;
        }
        let deletes = matches!(cue.command.verb, Verb::Delete { .. });
        cue.watched = units.into_iter().map(|unit| watched(store, unit, deletes)).collect();
        let ns = cue
            .command
            .namespace
            .clone()
            .or_else(|| cue.watched.iter().find_map(|w| unit_namespace(store, &w.unit)));
        let text = match (&ns, cue.command.all_namespaces) {
            (_, true) | (None, _) => "oc get pods -A".to_string(),
            (Some(ns), false) => format!("oc get pods -n {ns}"),
        };
        cue.view = parse_command(&text).ok().map(|c| (text, c));
    }

    /// Logs every pod of the units still awaited, and the pods logged before that are gone.
    fn observe(&mut self, store: &Store, now: SimTime) {
        for cue in self.cues.iter_mut().filter(|c| c.open()) {
            for w in cue.watched.iter_mut().chain(cue.helped.iter_mut()) {
                w.pods.extend(pods_of_unit(store, &w.unit));
            }
        }
        let wanted: BTreeSet<PodId> = self
            .cues
            .iter()
            .filter(|c| c.open())
            .flat_map(|c| c.all_watched().flat_map(|w| w.pods.iter().copied()))
            .collect();
        for id in wanted {
            let Some(p) = store.pods.get(id) else {
                if let Some(log) = self.pods.get_mut(&id) {
                    log.gone.get_or_insert(now);
                    // Its Workload finishes as it goes: that is the quota coming back.
                    let w = log.workload.and_then(|w| store.workloads.get(w));
                    if let (Some(w), Some(wl)) = (w, log.workload.and_then(|w| self.workloads.get_mut(&w))) {
                        log_workload(wl, w);
                    }
                }
                continue;
            };
            let log = self.pods.entry(id).or_insert_with(|| PodLog {
                name: p.name.clone(),
                created: p.created,
                workload: None,
                node: None,
                scheduled: None,
                steps: Vec::new(),
                ready: None,
                deletion: None,
                gone: None,
            });
            log.workload = log.workload.or(p.workload);
            log.node = p.node.clone().or(log.node.take());
            log.scheduled = log.scheduled.or(p.scheduled_at);
            if log.steps.is_empty() {
                log.steps = p.startup.clone();
            }
            log.ready = log.ready.or(p.ready_at);
            log.deletion = log.deletion.or(p.deletion);
            if let Some(w) = log.workload.and_then(|w| store.workloads.get(w)) {
                let wl = self.workloads.entry(w.uid).or_insert_with(|| WorkloadLog {
                    name: w.name.clone(),
                    owner: w.owner.clone(),
                    history: Vec::new(),
                    pending: None,
                    quota: None,
                });
                log_workload(wl, w);
            }
        }
        for cue in self.cues.iter().filter(|c| c.open()) {
            for w in cue.all_watched() {
                if let Unit::Workload(id) = &w.unit {
                    if let Some(wl) = store.workloads.get(*id) {
                        let log = self.workloads.entry(*id).or_insert_with(|| WorkloadLog {
                            name: wl.name.clone(),
                            owner: wl.owner.clone(),
                            history: Vec::new(),
                            pending: None,
                            quota: None,
                        });
                        log_workload(log, wl);
                    }
                }
            }
        }
    }

    /// Quota a cue's pods gave back at this instant, and the pending Workloads Kueue
    /// admitted on it at once: those are awaited too.
    fn releases(&mut self, store: &Store, now: SimTime) {
        for i in 0..self.cues.len() {
            let Some(cue) = self.cues.get(i).filter(|c| c.open()) else {
                continue;
            };
            let own: BTreeSet<WorkloadId> = cue
                .watched
                .iter()
                .flat_map(|w| w.pods.iter())
                .filter_map(|p| self.pods.get(p).and_then(|l| l.workload))
                .chain(cue.watched.iter().filter_map(|w| match w.unit {
                    Unit::Workload(id) => Some(id),
                    Unit::Deployment { .. } => None,
                }))
                .collect();
            let fresh: Vec<WorkloadId> = own
                .iter()
                .copied()
                .filter(|w| !cue.released.contains(w))
                .filter(|w| {
                    store.workloads.get(*w).is_some_and(|w| {
                        w.history
                            .iter()
                            .any(|(t, s)| *t == now && *s == WorkloadState::Finished)
                    })
                })
                .collect();
            let Some(&by) = fresh.first() else { continue };
            let admitted: Vec<&Workload> = store
                .workloads
                .values()
                .filter(|w| !own.contains(&w.uid) && admitted_now_after_pending(w, now))
                .collect();
            let mut helped = Vec::new();
            for w in admitted {
                let unit = unit_of_workload(store, w);
                let known =
                    cue.all_watched().any(|x| x.unit == unit) || helped.iter().any(|x: &Watched| x.unit == unit);
                if !known {
                    helped.push(watched(store, unit, false));
                }
                self.admitted_on.entry(w.uid).or_insert((i, by));
            }
            if let Some(cue) = self.cues.get_mut(i) {
                cue.released.extend(fresh);
                cue.helped.extend(helped);
            }
        }
    }

    /// A deadlock the detector finds among a cue's Deployments: it will not settle by
    /// itself.
    fn deadlocks(&mut self, store: &Store, now: SimTime) {
        let deployments = self
            .cues
            .iter()
            .filter(|c| c.open() && c.deadlock.is_none())
            .any(|c| c.all_watched().any(|w| matches!(w.unit, Unit::Deployment { .. })));
        if !deployments {
            return;
        }
        let found = deadlock::detect(store);
        if found.is_empty() {
            return;
        }
        for cue in self.cues.iter_mut().filter(|c| c.open() && c.deadlock.is_none()) {
            let hit = found.iter().find(|f| {
                cue.all_watched().any(|w| match &w.unit {
                    Unit::Deployment { namespace, name } => f.deployments.contains(&format!("{namespace}/{name}")),
                    Unit::Workload(_) => false,
                })
            });
            if let Some(f) = hit {
                cue.deadlock = Some((now, f.clone()));
            }
        }
    }
}

fn log_workload(log: &mut WorkloadLog, w: &Workload) {
    log.history.clone_from(&w.history);
    if w.is_pending() {
        if let Some(m) = &w.pending_message {
            log.pending = Some(m.clone());
        }
    }
    if let Some(a) = &w.admission {
        let gpus: Vec<String> = a
            .flavor_usage()
            .into_iter()
            .filter(|((_, r), q)| crate::api::core::is_gpu(r) && !q.is_zero())
            .map(|((f, r), q)| format!("{q} {r} in flavor {f}"))
            .collect();
        let held = if gpus.is_empty() {
            "its quota".to_string()
        } else {
            gpus.join(", ")
        };
        log.quota = Some(format!("{held} of ClusterQueue {}", a.cluster_queue));
    }
}

/// Admitted at `now` after having waited: Kueue found it room at this instant.
fn admitted_now_after_pending(w: &Workload, now: SimTime) -> bool {
    admissions(&w.history).any(|t| t == now) && w.history.iter().any(|(t, s)| *s == WorkloadState::Pending && *t < now)
}

/// What the command's targets stand for: the Deployments behind them, else their
/// Workloads.
fn targets_of(store: &Store, cmd: &Command) -> Vec<Unit> {
    let ns = cmd.namespace.as_deref().unwrap_or("default");
    let targets: &Targets = match &cmd.verb {
        Verb::Scale { targets, .. }
        | Verb::Annotate { targets, .. }
        | Verb::Label { targets, .. }
        | Verb::Patch { targets, .. }
        | Verb::RolloutRestart { targets }
        | Verb::Delete { targets, .. } => targets,
        Verb::Drain { node } | Verb::Cordon { node } | Verb::Uncordon { node } => {
            let pods = store.nodes.get(node).map(|n| n.pods.clone()).unwrap_or_default();
            return dedup(pods.iter().filter_map(|p| unit_of_pod(store, *p)));
        }
        _ => return Vec::new(),
    };
    let Ok(names) = targets.kind.kubectl().select(store, ns, &targets.selection) else {
        return Vec::new();
    };
    let mut units = Vec::new();
    for name in &names {
        match targets.kind {
            Kind::Deployment => units.push(Unit::Deployment {
                namespace: ns.to_string(),
                name: name.clone(),
            }),
            Kind::InferenceService => units.extend(
                store
                    .deployments
                    .values()
                    .filter(|d| d.namespace == ns && d.owner_isvc.as_deref() == Some(name.as_str()))
                    .map(|d| Unit::Deployment {
                        namespace: ns.to_string(),
                        name: d.name.clone(),
                    }),
            ),
            Kind::ReplicaSet => {
                let rs = store.replicasets.named(ns, name);
                units.extend(
                    rs.into_iter()
                        .flat_map(|r| r.pods.iter())
                        .filter_map(|p| unit_of_pod(store, *p)),
                );
            }
            Kind::Pod => units.extend(store.pods.id_of(ns, name).and_then(|p| unit_of_pod(store, p))),
            Kind::Node => {
                let pods = store.nodes.get(name).map(|n| n.pods.clone()).unwrap_or_default();
                units.extend(pods.iter().filter_map(|p| unit_of_pod(store, *p)));
            }
            // A Job, a framework's object, a Workload: the Workloads it stands for.
            _ => units.extend(
                store
                    .workloads
                    .values()
                    .filter(|w| w.namespace == ns && (w.owner == *name || w.name == *name))
                    .map(|w| unit_of_workload(store, w)),
            ),
        }
    }
    dedup(units.into_iter())
}

/// What changed at once at `now`: pods created, removed, bound or deleted, and Workloads
/// created or changing state (an `apply -f`, or a command on objects with no pods).
fn changed_at(store: &Store, now: SimTime, ns: Option<&str>) -> Vec<Unit> {
    let in_ns = |n: &str| ns.is_none_or(|ns| ns == n);
    let pods = store
        .pods
        .values()
        .filter(|p| in_ns(&p.namespace))
        .filter(|p| p.created == now || p.scheduled_at == Some(now) || p.deletion.is_some_and(|(t, _)| t == now))
        .filter_map(|p| unit_of_pod(store, p.uid));
    let workloads = store
        .workloads
        .values()
        .filter(|w| in_ns(&w.namespace))
        .filter(|w| w.created == now || w.history.iter().any(|(t, _)| *t == now))
        .map(|w| unit_of_workload(store, w));
    dedup(pods.chain(workloads))
}

fn dedup(units: impl Iterator<Item = Unit>) -> Vec<Unit> {
    let mut out: Vec<Unit> = Vec::new();
    for u in units {
        if !out.contains(&u) {
            out.push(u);
        }
    }
    out
}

fn unit_of_pod(store: &Store, pod: PodId) -> Option<Unit> {
    let p = store.pods.get(pod)?;
    if let Some(d) = store.deployment_of_pod(p) {
        return Some(Unit::Deployment {
            namespace: d.namespace.clone(),
            name: d.name.clone(),
        });
    }
    p.workload.map(Unit::Workload)
}

fn unit_of_workload(store: &Store, w: &Workload) -> Unit {
    store
        .pods_of(w)
        .first()
        .and_then(|p| store.pods.get(*p))
        .and_then(|p| store.deployment_of_pod(p))
        .map(|d| Unit::Deployment {
            namespace: d.namespace.clone(),
            name: d.name.clone(),
        })
        .unwrap_or(Unit::Workload(w.uid))
}

fn unit_namespace(store: &Store, unit: &Unit) -> Option<String> {
    match unit {
        Unit::Deployment { namespace, .. } => Some(namespace.clone()),
        Unit::Workload(id) => store.workloads.get(*id).map(|w| w.namespace.clone()),
    }
}

fn pods_of_unit(store: &Store, unit: &Unit) -> Vec<PodId> {
    match unit {
        Unit::Deployment { namespace, name } => store
            .deployment(namespace, name)
            .map(|d| store.pods_of_deployment(d.uid).map(|p| p.uid).collect())
            .unwrap_or_default(),
        Unit::Workload(id) => store.workloads.get(*id).map(|w| store.pods_of(w)).unwrap_or_default(),
    }
}

/// A unit as the command left it: what it is awaited in.
fn watched(store: &Store, unit: Unit, deletes: bool) -> Watched {
    let (wants, label) = match &unit {
        Unit::Deployment { namespace, name } => match store.deployment(namespace, name) {
            Some(d) => {
                let replicas = d.spec.replicas.max(0);
                // A rollout when pods of an older ReplicaSet are still there.
                let rollout = replicas > 0
                    && store
                        .pods_of_deployment(d.uid)
                        .any(|p| !on_current(store, p, &d.template_hash));
                let label = d.owner_isvc.clone().unwrap_or_else(|| name.clone());
                let wants = if replicas == 0 {
                    Wants::Gone
                } else {
                    Wants::Replicas { replicas, rollout }
                };
                (wants, label)
            }
            None => (Wants::Gone, name.clone()),
        },
        Unit::Workload(id) => {
            let label = store
                .workloads
                .get(*id)
                .map(|w| {
                    if w.owner.is_empty() {
                        w.name.clone()
                    } else {
                        w.owner.clone()
                    }
                })
                .unwrap_or_default();
            let gone = deletes || store.workloads.get(*id).is_none_or(|w| w.finished_at.is_some());
            let wants = if gone {
                Wants::WorkloadFinished
            } else {
                Wants::WorkloadReady
            };
            (wants, label)
        }
    };
    Watched {
        pods: pods_of_unit(store, &unit).into_iter().collect(),
        unit,
        wants,
        label,
    }
}

/// Whether the pod belongs to the Deployment's current ReplicaSet.
fn on_current(store: &Store, p: &crate::store::Pod, hash: &str) -> bool {
    p.owner_rs
        .and_then(|r| store.replicasets.get(r))
        .is_some_and(|r| r.template_hash == hash)
}

/// Whether the unit is in the state it is awaited in.
fn settled(store: &Store, w: &Watched) -> bool {
    match (&w.unit, w.wants) {
        (Unit::Deployment { namespace, name }, Wants::Replicas { replicas, .. }) => {
            let Some(d) = store.deployment(namespace, name) else {
                return false;
            };
            let pods: Vec<&crate::store::Pod> = store.pods_of_deployment(d.uid).collect();
            pods.len() == replicas as usize
                && pods
                    .iter()
                    .all(|p| p.is_ready() && on_current(store, p, &d.template_hash))
        }
        (Unit::Deployment { .. }, _) => {
            w.pods.iter().all(|p| store.pods.get(*p).is_none()) && pods_of_unit(store, &w.unit).is_empty()
        }
        (Unit::Workload(id), wants) => store.workloads.get(*id).is_none_or(|wl| match wants {
            Wants::WorkloadFinished => wl.current_state() == WorkloadState::Finished,
            _ => matches!(wl.current_state(), WorkloadState::Ready | WorkloadState::Finished),
        }),
    }
}

/// What a cue still waits for, one line per pod or Workload not there yet.
fn statuses(store: &Store, cue: &Cue, logs: &BTreeMap<WorkloadId, WorkloadLog>) -> Vec<String> {
    let mut out = Vec::new();
    let pending = |wl: Option<WorkloadId>| -> String {
        let Some(w) = wl.and_then(|w| store.workloads.get(w)) else {
            return String::new();
        };
        if !w.is_pending() {
            return String::new();
        }
        let since = w
            .history
            .iter()
            .rev()
            .find(|(_, s)| *s == WorkloadState::Pending)
            .map(|(t, _)| *t)
            .unwrap_or(w.created);
        let why = w
            .pending_message
            .clone()
            .or_else(|| logs.get(&w.uid).and_then(|l| l.pending.clone()))
            .unwrap_or_else(|| "waiting for its turn".into());
        format!(" — Kueue: Pending since {}: {why}", clock(since))
    };
    for w in cue.all_watched().filter(|w| !settled(store, w)) {
        match &w.unit {
            Unit::Deployment { namespace, name } => {
                let Some(d) = store.deployment(namespace, name) else {
                    out.push(format!("deployment `{name}` deleted; its pods still terminating"));
                    continue;
                };
                let pods: Vec<&crate::store::Pod> = store.pods_of_deployment(d.uid).collect();
                let want = d.spec.replicas.max(0) as usize;
                if pods.len() < want {
                    out.push(format!(
                        "deployment `{name}`: {} of {want} pod(s) created so far",
                        pods.len()
                    ));
                }
                for p in pods {
                    if p.is_ready() && on_current(store, p, &d.template_hash) && want > 0 {
                        continue;
                    }
                    let mut line = format!("pod `{}` {}", p.name, p.status());
                    if let Some((t, _)) = p.deletion {
                        let _ = write!(line, " since {}", clock(t));
                    } else if p.is_ready() {
                        line += ", of the old ReplicaSet";
                    }
                    line += &pending(p.workload);
                    out.push(line);
                }
            }
            Unit::Workload(id) => {
                let Some(wl) = store.workloads.get(*id) else { continue };
                out.push(format!(
                    "Workload `{}` {}{}",
                    wl.name,
                    wl.current_state().as_str(),
                    pending(Some(*id))
                ));
            }
        }
    }
    out
}

/// `oc get pods` in the cue's namespace now.
fn view_of(moment: &Moment<'_>, cue: &Cue) -> String {
    cue.view
        .as_ref()
        .and_then(|(_, c)| crate::scenario::execute::read(moment.engine, c))
        .unwrap_or_default()
}

/// An instant as a presenter's clock shows it: whole seconds.
fn clock(t: SimTime) -> String {
    SimTime(t.0 / 1000 * 1000).to_string()
}

/// A duration for speaking: `7 min 53 s`, `5.9 s`, `1 h 2 min`.
fn spoken(d: SimDuration) -> String {
    let ms = d.0;
    // Tenths below ten seconds; whole seconds above, cut as `clock` cuts instants, so
    // that a wait from a whole second to an instant reads as their difference.
    if ms < 10_000 {
        let tenths = (ms + 50) / 100;
        return if tenths.is_multiple_of(10) {
            format!("{} s", tenths / 10)
        } else {
            format!("{}.{} s", tenths / 10, tenths % 10)
        };
    }
    let s = ms / 1000;
    let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    if s > 0 && h == 0 {
        parts.push(format!("{s} s"));
    }
    parts.join(" ")
}

/// Text for a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

impl CueSheet {
    fn render(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "# Cue sheet: {}\n", self.name);
        let _ = writeln!(
            o,
            "Scenario `{}`, seed {}, {} of simulated time: the run `gpuaas-sim run` makes. \
             For each timeline command, what to wait for before going on, when it comes, \
             why it takes that long, and what `oc get pods` shows then. Instants are the \
             scenario's clock.\n",
            self.name,
            self.seed,
            spoken(SimDuration(self.end.0))
        );
        if self.cues.is_empty() {
            o += "The timeline is empty: nothing to cue.\n";
            return o;
        }
        let waits: Vec<&Cue> = self.cues.iter().filter(|c| c.nothing.is_none() && c.ran).collect();
        if !waits.is_empty() {
            o += "| at | command | wait for | until | how long |\n|---|---|---|---|---|\n";
            for c in &waits {
                let (until, long) = match &c.outcome {
                    Some(out) if out.reached => (clock(out.at), spoken(out.at.since(c.at))),
                    Some(out) => (format!("not by {}", clock(out.at)), "—".to_string()),
                    None => ("—".to_string(), "—".to_string()),
                };
                let _ = writeln!(
                    o,
                    "| {} | `{}` | {} | {until} | {long} |",
                    clock(c.at),
                    cell(&c.text),
                    cell(&short_goal(c))
                );
            }
            o += "\n";
        }
        for (i, c) in self.cues.iter().enumerate() {
            self.render_cue(&mut o, i, c);
        }
        o
    }

    fn render_cue(&self, o: &mut String, i: usize, c: &Cue) {
        // A command with nothing to wait for is one line between the cues that matter.
        if let (true, Some(why)) = (c.ran, &c.nothing) {
            let _ = writeln!(o, "`{}` `{}` — nothing to wait for: {why}.\n", clock(c.at), c.text);
            return;
        }
        let _ = writeln!(o, "## {}\n\n```sh\n{}\n```\n", clock(c.at), c.text);
        if !c.ran {
            let _ = writeln!(o, "Not run: the scenario ended before it.\n");
            return;
        }
        let _ = writeln!(o, "**Wait for:** {}.\n", goal(c));
        let outcome = c.outcome.as_ref();
        // The time line, what is not there yet when the presenter must go on, and the
        // heading of the breakdown.
        let (statuses, heading) = match (outcome, &c.closed) {
            (Some(out), None) if out.reached => {
                let _ = writeln!(o, "**{}**, reached at {}:\n", spoken(out.at.since(c.at)), clock(out.at));
                (&[][..], None)
            }
            (Some(out), Some(cl)) if out.reached => {
                let _ = writeln!(
                    o,
                    "**{}**, reached at {} — not before the next command (`{}` at {}). Until that command:\n",
                    spoken(out.at.since(c.at)),
                    clock(out.at),
                    cl.by,
                    clock(cl.at)
                );
                (&cl.statuses[..], Some("How it gets there:"))
            }
            (Some(out), closed) => {
                let _ = writeln!(
                    o,
                    "**Not reached by {}**, the end of the run{}. Then:\n",
                    clock(out.at),
                    closed
                        .as_ref()
                        .map(|cl| format!(", nor before the next command (`{}` at {})", cl.by, clock(cl.at)))
                        .unwrap_or_default()
                );
                (&out.statuses[..], Some("What happened meanwhile:"))
            }
            (None, _) => {
                o.push_str("The run ended before it settled.\n\n");
                (&[][..], None)
            }
        };
        for s in statuses {
            let _ = writeln!(o, "- {s}");
        }
        if !statuses.is_empty() {
            o.push('\n');
        }
        if let Some((t, f)) = &c.deadlock {
            let _ = writeln!(
                o,
                "Deadlock detected at {}: {}\n\nFix: {}\n",
                clock(*t),
                f.description,
                f.fix
            );
        }
        if let Some(h) = heading {
            let _ = writeln!(o, "{h}\n");
        }
        let until = outcome.map_or(self.end, |out| out.at);
        let lines = self.breakdown(i, c, until, statuses.is_empty());
        if lines.is_empty() {
            o.push_str("- nothing changed: it was so already\n");
        }
        for l in lines {
            let _ = writeln!(o, "{l}");
        }
        o.push('\n');
        let Some((view, _)) = &c.view else { return };
        let (when, text) = match (outcome, &c.closed) {
            (Some(out), Some(cl)) if out.reached => {
                (format!("before the next command, as at {}", clock(cl.seen)), &cl.view)
            }
            (Some(out), _) if out.reached => (format!("at {}, when it is reached", clock(out.at)), &out.view),
            (Some(out), _) => (format!("at {}, the end", clock(out.at)), &out.view),
            (None, _) => return,
        };
        let _ = writeln!(o, "`{view}` {when}:\n\n```\n{}\n```\n", text.trim_end());
    }

    /// What happened to the cue's pods and Workloads from its command to `until`, in
    /// order: terminations and the quota they gave back, admissions, start-ups.
    /// Kueue's reasons for pending Workloads are left out (`reasons` false) where the
    /// cue has said them already.
    fn breakdown(&self, i: usize, c: &Cue, until: SimTime, reasons: bool) -> Vec<String> {
        // (instant, rank within the instant, the line and its nested step lines).
        let mut items: Vec<(SimTime, u8, String, Vec<String>)> = Vec::new();
        // A Workload's lines come once however many pods it has; a start-up plan is
        // listed once however many pods follow it.
        let mut said: BTreeSet<(WorkloadId, WorkloadState)> = BTreeSet::new();
        let mut plans: Vec<Vec<(String, SimDuration)>> = Vec::new();
        let in_cue = |t: SimTime| t >= c.at && t <= until;
        for w in c.all_watched() {
            for &id in &w.pods {
                let Some(p) = self.pods.get(&id) else { continue };
                let label = &w.label;
                let wl_id = p.workload.or(match w.unit {
                    Unit::Workload(id) => Some(id),
                    Unit::Deployment { .. } => None,
                });
                let wl = wl_id.and_then(|id| self.workloads.get(&id).map(|l| (id, l)));
                if let Some((t, grace)) = p.deletion.filter(|(t, _)| in_cue(*t)) {
                    let line = format!(
                        "`{}` {label}'s pod `{}` terminating: grace period {}",
                        clock(t),
                        p.name,
                        spoken(grace)
                    );
                    items.push((t, 0, line, Vec::new()));
                    if let Some(gone) = p.gone.filter(|g| *g <= until) {
                        let mut line = format!(
                            "`{}` pod `{}` gone after {}",
                            clock(gone),
                            p.name,
                            spoken(gone.since(t))
                        );
                        let finished =
                            wl.filter(|(_, l)| l.entered(WorkloadState::Finished, c.at).is_some_and(|f| f <= until));
                        if let Some((_, l)) = finished.filter(|(id, _)| said.insert((*id, WorkloadState::Finished))) {
                            let _ = write!(
                                line,
                                "; Workload `{}` Finished: quota released ({})",
                                l.name,
                                l.quota.as_deref().unwrap_or("its quota")
                            );
                        }
                        items.push((gone, 1, line, Vec::new()));
                    }
                }
                let admitted = wl.and_then(|(_, l)| l.admitted(c.at)).filter(|t| in_cue(*t));
                if in_cue(p.created) {
                    let mut line = format!("`{}` {label}'s pod `{}` created", clock(p.created), p.name);
                    let pending = wl.filter(|(_, l)| l.entered(WorkloadState::Pending, p.created).is_some());
                    let pending = pending.filter(|_| admitted != Some(p.created));
                    if let Some((_, l)) = pending.filter(|(id, _)| said.insert((*id, WorkloadState::Pending))) {
                        let _ = write!(line, "; its Workload `{}` Pending", l.name);
                        if reasons {
                            let _ = write!(line, ": {}", l.pending.as_deref().unwrap_or("waiting for quota"));
                        }
                    }
                    items.push((p.created, 2, line, Vec::new()));
                }
                if let (Some((id, l)), Some(a)) = (wl, admitted) {
                    if said.insert((id, WorkloadState::Admitted)) {
                        items.push((a, 3, self.admission(i, label, id, l, a), Vec::new()));
                    }
                }
                if let Some(s) = p.scheduled.filter(|s| in_cue(*s)) {
                    let node = p.node.as_deref().unwrap_or("a node");
                    let plan: Vec<(String, SimDuration)> =
                        p.steps.iter().map(|st| (st.name.clone(), st.duration)).collect();
                    let planned = s + SimDuration(plan.iter().map(|(_, d)| d.0).sum());
                    let mut line = format!("`{}` pod `{}` scheduled on `{node}`", clock(s), p.name);
                    let mut nested = Vec::new();
                    if plans.contains(&plan) {
                        line += "; the same start-up";
                    } else if !plan.is_empty() {
                        line += "; the kubelet's start-up:";
                        nested.extend(plan.iter().map(|(name, d)| format!("  - {name}: {}", spoken(*d))));
                        plans.push(plan);
                    }
                    if let Some(r) = p.ready.filter(|r| *r <= until && *r > planned) {
                        nested.push(format!(
                            "  - held up {} beyond the plan (restarts, back-offs or faults)",
                            spoken(r.since(planned))
                        ));
                    }
                    items.push((s, 4, line, nested));
                }
                if let Some(r) = p.ready.filter(|r| in_cue(*r)) {
                    items.push((r, 5, format!("`{}` pod `{}` Ready", clock(r), p.name), Vec::new()));
                }
            }
        }
        items.sort_by_key(|(t, rank, _, _)| (*t, *rank));
        let mut out = Vec::new();
        for (_, _, line, nested) in items {
            out.push(format!("- {line}"));
            out.extend(nested);
        }
        out
    }

    /// Kueue's admission of a Workload at `a`: how long it was pending, what it holds,
    /// and whose quota it got when a command's pods gave theirs back.
    fn admission(&self, i: usize, label: &str, id: WorkloadId, l: &WorkloadLog, a: SimTime) -> String {
        let mut line = format!("`{}` Kueue admits {label}'s Workload `{}`", clock(a), l.name);
        let since = l
            .history
            .iter()
            .rev()
            .find(|(t, s)| *t <= a && *s == WorkloadState::Pending);
        if let Some((t, _)) = since.filter(|(t, _)| *t < a) {
            let _ = write!(line, " after {} Pending", spoken(a.since(*t)));
        }
        let _ = write!(line, ": quota reserved ({})", l.quota.as_deref().unwrap_or("its quota"));
        if let Some((cue, by)) = self.admitted_on.get(&id) {
            let whose = self.workloads.get(by).map(|l| l.owner.clone()).unwrap_or_default();
            if *cue == i {
                let _ = write!(line, ", the quota {whose}'s pod gave back");
            } else if let Some(other) = self.cues.get(*cue) {
                let _ = write!(
                    line,
                    ", the quota {whose}'s pod gave back after `{}` at {}",
                    other.text,
                    clock(other.at)
                );
            }
        }
        line
    }
}

/// The awaited state in words: each unit, then those admitted on the quota it released.
fn goal(c: &Cue) -> String {
    let direct: Vec<String> = c.watched.iter().map(wanted).collect();
    let mut s = direct.join("; ");
    if !c.helped.is_empty() {
        let helped: Vec<String> = c.helped.iter().map(wanted).collect();
        let _ = write!(s, ", then, admitted on the quota that frees: {}", helped.join("; "));
    }
    s
}

/// The table's short form: what is last awaited.
fn short_goal(c: &Cue) -> String {
    let last: Vec<&Watched> = if c.helped.is_empty() {
        c.watched.iter().collect()
    } else {
        c.helped.iter().collect()
    };
    let names: Vec<String> = last.iter().map(|w| short(w)).collect();
    names.join(", ")
}

fn short(w: &Watched) -> String {
    match w.wants {
        Wants::Replicas { rollout: true, .. } => format!("{} rolled out", w.label),
        Wants::Replicas { .. } | Wants::WorkloadReady => format!("{} Ready", w.label),
        Wants::Gone | Wants::WorkloadFinished => format!("{} gone, quota released", w.label),
    }
}

fn wanted(w: &Watched) -> String {
    let what = match &w.unit {
        Unit::Deployment { name, .. } => format!("deployment `{name}`"),
        Unit::Workload(_) => "its Workload".to_string(),
    };
    match w.wants {
        Wants::Replicas {
            replicas,
            rollout: false,
        } => {
            format!("{} Ready ({what}: {replicas}/{replicas} pod(s) Ready)", w.label)
        }
        Wants::Replicas {
            replicas,
            rollout: true,
        } => format!(
            "{} rolled out ({what}: the new ReplicaSet's {replicas} pod(s) Ready, the old ones gone)",
            w.label
        ),
        Wants::Gone => format!(
            "{} gone ({what}: no pods left, their Workloads Finished, quota released)",
            w.label
        ),
        Wants::WorkloadReady => format!("{} Ready ({what}: every pod Ready)", w.label),
        Wants::WorkloadFinished => format!("{} gone ({what} Finished, quota released)", w.label),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_spoken_in_minutes_and_seconds() {
        let cases = [
            (0, "0 s"),
            (400, "0.4 s"),
            (5_000, "5 s"),
            (5_888, "5.9 s"),
            (9_960, "10 s"),
            (10_999, "10 s"),
            (112_500, "1 min 52 s"),
            (30_000, "30 s"),
            (60_000, "1 min"),
            (362_308, "6 min 2 s"),
            (473_196, "7 min 53 s"),
            (3_600_000, "1 h"),
            (3_723_000, "1 h 2 min"),
        ];
        for (ms, want) in cases {
            assert_eq!(spoken(SimDuration(ms)), want, "{ms} ms");
        }
    }

    #[test]
    fn instants_are_whole_seconds_of_the_scenario_clock() {
        let cases = [
            (0, "00:00:00"),
            (1_193_196, "00:19:53"),
            (720_000, "00:12:00"),
            (3_600_999, "01:00:00"),
        ];
        for (ms, want) in cases {
            assert_eq!(clock(SimTime(ms)), want, "{ms} ms");
        }
    }

    #[test]
    fn what_each_verb_awaits_before_looking_at_the_cluster() {
        let cases = [
            ("oc get pods -n a", Some("it only reads")),
            ("oc describe clusterqueue q", Some("it only reads")),
            (
                "oc cordon n1",
                Some("it only marks the node unschedulable; the pods on it keep running"),
            ),
            ("oc uncordon n1", Some("it only lets new pods onto the node")),
            (
                "oc label deployment d -n a x=y",
                Some("a label changes no pod template, so nothing restarts"),
            ),
            ("oc scale deployment d -n a --replicas=0", None),
            ("oc annotate inferenceservice i -n a k=v --overwrite", None),
            ("oc delete pod p -n a", None),
            ("oc drain n1", None),
        ];
        for (line, want) in cases {
            let c = parse_command(line).unwrap_or_else(|e| panic!("{line}: {}", e.message));
            assert_eq!(nothing_by_verb(&c.verb), want, "{line}");
            assert_eq!(
                changes(&c.verb),
                !line.contains(" get ") && !line.contains(" describe "),
                "{line}"
            );
        }
    }

    #[test]
    fn admissions_are_entries_into_admitted_from_anything_but_ready() {
        use WorkloadState::*;
        let t = |s: u64| SimTime(s * 1000);
        type History<'h> = &'h [(SimTime, WorkloadState)];
        let cases: [(History, &[SimTime]); 5] = [
            (&[(t(0), Pending), (t(0), Admitted), (t(60), Ready)], &[t(0)]),
            // Pending, then admitted on quota given back later.
            (&[(t(600), Pending), (t(750), Admitted), (t(1193), Ready)], &[t(750)]),
            // A Ready Workload whose pod is terminating is not admitted again.
            (
                &[
                    (t(0), Admitted),
                    (t(450), Ready),
                    (t(2400), Admitted),
                    (t(2430), Finished),
                ],
                &[t(0)],
            ),
            // Evicted, requeued, admitted again.
            (
                &[
                    (t(0), Admitted),
                    (t(10), Ready),
                    (t(20), Evicted),
                    (t(20), Pending),
                    (t(90), Admitted),
                ],
                &[t(0), t(90)],
            ),
            (&[(t(0), Pending)], &[]),
        ];
        for (history, want) in cases {
            assert_eq!(admissions(history).collect::<Vec<_>>(), want, "{history:?}");
        }
    }

    #[test]
    fn refusals_are_read_from_the_first_line() {
        let cases = [
            (
                "Error from server (NotFound): the server could not find the requested resource",
                Some("Error from server (NotFound): the server could not find the requested resource"),
            ),
            (
                "error: --overwrite is false but found the following declared annotation(s)",
                Some("error: --overwrite is false but found the following declared annotation(s)"),
            ),
            (
                "The Deployment \"d\" is invalid: spec.replicas: must be >= 0",
                Some("The Deployment \"d\" is invalid: spec.replicas: must be >= 0"),
            ),
            ("deployment.apps/d scaled", None),
            (
                "deployment.apps/a scaled\nError from server (NotFound): deployments.apps \"b\" not found",
                None,
            ),
            ("", None),
        ];
        for (output, want) in cases {
            assert_eq!(refused(output), want, "{output}");
        }
    }
}
