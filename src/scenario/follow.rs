//! The timeline commands that follow time: `oc get -w`, `oc wait` and `oc rollout
//! status`. Each runs at its instant like any command and prints what it prints then;
//! what it prints later comes from a follower, which reads the cluster after every settled
//! instant (it never writes, and it schedules nothing: a run gives the same figures with or
//! without it) and stamps each line with the instant it appeared. A deadline that falls
//! between two instants (`--timeout`, `--request-timeout`) is met at its own instant: the
//! cluster does not change between instants, so what held just before it held then.
//!
//! A follower does not hold up the timeline: the entries after it run at their own
//! instants, as if typed in another terminal.

use super::command::{Selection, WaitFor, WaitRequest};
use super::kubectl::deployments::deployment_status;
use super::kubectl::events::{self, EventQuery, FieldSelector};
use super::kubectl::{Columns, Kind, Output, Query};
use super::oc_error::OcError;
use crate::store::{Store, WorkloadState};
use crate::units::{SimDuration, SimTime};
use std::collections::BTreeMap;

/// A line a follower printed after its command's own output.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowLine {
    /// The instant it appeared.
    pub t: SimTime,
    pub line: String,
}

/// A line as it appears: the command it continues (its place in the transcript) and the
/// line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NewLine {
    pub command: usize,
    pub line: FollowLine,
}

/// A command still printing.
#[derive(Debug, Clone)]
pub(crate) enum Follower {
    Watch(Watch),
    Wait(Wait),
    Rollout(Rollout),
    Logs(super::logs::LogFollow),
}

/// The followers of a run.
#[derive(Debug, Default)]
pub(crate) struct Followers {
    active: Vec<(usize, Follower)>,
    fresh: Vec<NewLine>,
}

impl Followers {
    /// Follows command `command` (its place in the transcript) from now on.
    pub(crate) fn add(&mut self, command: usize, follower: Follower) {
        self.active.push((command, follower));
    }

    /// The cluster has settled at `store.now`: each follower prints what it sees, and
    /// those done stop. Their lines go to `out(command, line)`.
    pub(crate) fn after_instant(
        &mut self,
        store: &Store,
        serving: &dyn super::logs::ServingLogs,
        out: &mut dyn FnMut(usize, FollowLine),
    ) {
        let fresh = &mut self.fresh;
        self.active.retain_mut(|(command, f)| {
            let (lines, done) = f.step(store, serving);
            for line in lines {
                fresh.push(NewLine {
                    command: *command,
                    line: line.clone(),
                });
                out(*command, line);
            }
            !done
        });
    }

    /// Nothing has changed since the last instant up to `t` (a paced run's clock, or the
    /// run's end): the deadlines up to `t` fall due.
    pub(crate) fn until(&mut self, t: SimTime, out: &mut dyn FnMut(usize, FollowLine)) {
        let fresh = &mut self.fresh;
        self.active.retain_mut(|(command, f)| {
            let (lines, done) = f.deadline(t, true);
            for line in lines {
                fresh.push(NewLine {
                    command: *command,
                    line: line.clone(),
                });
                out(*command, line);
            }
            !done
        });
    }

    /// The lines printed since the last call, in the order they appeared: what a live
    /// rehearsal shows as it goes.
    pub(crate) fn drain_new_lines(&mut self) -> Vec<NewLine> {
        std::mem::take(&mut self.fresh)
    }
}

impl Follower {
    /// The lines it prints at `store.now`, and whether it is done.
    fn step(&mut self, store: &Store, serving: &dyn super::logs::ServingLogs) -> (Vec<FollowLine>, bool) {
        let now = store.now;
        // A deadline passed since the last instant came first.
        let (mut lines, done) = self.deadline(now, false);
        if done {
            return (lines, true);
        }
        let (more, done) = match self {
            Follower::Watch(w) => w.step(store),
            Follower::Wait(w) => w.step(store),
            Follower::Rollout(r) => r.step(store),
            Follower::Logs(l) => l.step(store, serving),
        };
        lines.extend(more.into_iter().map(|line| FollowLine { t: now, line }));
        (lines, done)
    }

    /// What falls due before `t`, or at `t` too when `t` has been looked at already (a
    /// deadline at an instant leaves the instant's state a chance first).
    fn deadline(&mut self, t: SimTime, at_too: bool) -> (Vec<FollowLine>, bool) {
        let (at, line) = match self {
            Follower::Watch(w) => (w.until, None),
            // kubectl follows a log until the container ends (or Ctrl-C).
            Follower::Logs(_) => (None, None),
            Follower::Wait(w) => (Some(w.deadline), Some(w.timeout_message())),
            Follower::Rollout(r) => (r.deadline, Some("error: timed out waiting for the condition".into())),
        };
        match at {
            Some(at) if at < t || (at_too && at == t) => {
                (line.map(|line| FollowLine { t: at, line }).into_iter().collect(), true)
            }
            _ => (Vec::new(), false),
        }
    }
}

/// What an `oc get` lists, as the command asked for it.
#[derive(Debug, Clone)]
pub(crate) struct Listed {
    pub kind: Kind,
    /// None: every namespace.
    pub namespace: Option<String>,
    pub names: Vec<String>,
    pub selector: Option<String>,
    pub columns: Columns,
    pub fields: Option<FieldSelector>,
}

/// What `oc get` shows of a kind, as a watch compares it: the header and, per object in
/// kubectl's order, its (namespace, name) and its cells — NAMESPACE first when the query
/// spans namespaces.
#[derive(Debug, Clone, Default)]
pub(crate) struct Shown {
    pub header: Vec<&'static str>,
    pub rows: Vec<(String, String, Vec<String>)>,
}

impl Shown {
    /// The table as `oc get` prints it.
    pub(crate) fn table(&self) -> String {
        let rows: Vec<Vec<String>> = self.rows.iter().map(|(_, _, cells)| cells.clone()).collect();
        super::printers::table(&self.header, &rows).trim_end().to_string()
    }
}

impl Listed {
    /// What `oc get` shows now, or the error of an object asked for by name that is not
    /// there.
    pub(crate) fn shown(&self, store: &Store) -> Result<Shown, OcError> {
        let output = Output::Table(self.columns);
        let kubectl = self.kind.kubectl();
        let listing = if self.kind == Kind::Event {
            let q = EventQuery {
                names: &self.names,
                fields: self.fields.clone(),
                sort_by: None,
                output,
            };
            events::listing(store, self.namespace.as_deref(), &q)
        } else {
            let q = Query::new(self.namespace.as_deref(), &self.names, self.selector.as_deref(), output)?;
            kubectl.listing(store, &q)
        };
        if let Some(name) = listing.missing().first() {
            return Err(kubectl.not_found(name));
        }
        let spans = self.namespace.is_none() && !kubectl.cluster_scoped();
        let (header, rows) = listing.into_rows();
        let mut shown = Shown {
            header: header.to_vec(),
            rows: rows
                .into_iter()
                .map(|mut r| {
                    if spans {
                        r.cells.insert(0, r.namespace.clone());
                    }
                    (r.namespace, r.name, r.cells)
                })
                .collect(),
        };
        if spans {
            shown.header.insert(0, "NAMESPACE");
        }
        Ok(shown)
    }
}

/// `oc get -w`: after the table, a row each time a listed object's row changes, and the
/// last row again when it is gone (a watch's MODIFIED, ADDED and DELETED).
#[derive(Debug, Clone)]
pub(crate) struct Watch {
    listed: Listed,
    /// `--request-timeout`: when the watch ends.
    until: Option<SimTime>,
    /// The header, once printed.
    header_shown: bool,
    /// Each object's row as last printed, and the columns that change with the clock
    /// alone (AGE, LAST SEEN: no watch event moves them).
    last: BTreeMap<(String, String), Vec<String>>,
    clocked: Vec<usize>,
    /// The column widths printed so far.
    widths: Vec<usize>,
}

/// The columns that change as time passes, whatever the object does.
const CLOCKED: &[&str] = &["AGE", "LAST SEEN", "FIRST SEEN", "DURATION"];

impl Watch {
    /// A watch of what `shown` shows, as printed by the command at its instant.
    pub(crate) fn new(listed: Listed, shown: &Shown, until: Option<SimTime>) -> Watch {
        let header: Vec<String> = shown.header.iter().map(|h| h.to_string()).collect();
        let widths = if shown.rows.is_empty() {
            Vec::new()
        } else {
            widths_of(std::iter::once(header.as_slice()).chain(shown.rows.iter().map(|(_, _, c)| c.as_slice())))
        };
        Watch {
            widths,
            clocked: clocked(&shown.header),
            header_shown: !shown.rows.is_empty(),
            last: shown
                .rows
                .iter()
                .map(|(ns, n, cells)| ((ns.clone(), n.clone()), cells.clone()))
                .collect(),
            listed,
            until,
        }
    }

    fn step(&mut self, store: &Store) -> (Vec<String>, bool) {
        // A listing that fails now (an object asked for by name is gone) lists nothing.
        let listing = self.listed.shown(store).unwrap_or_default();
        if self.clocked.is_empty() && !listing.header.is_empty() {
            self.clocked = clocked(&listing.header);
        }
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut seen: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for (ns, name, cells) in listing.rows {
            let key = (ns, name);
            let changed = self
                .last
                .get(&key)
                .is_none_or(|before| self.masked(before) != self.masked(&cells));
            if changed {
                rows.push(cells.clone());
            }
            seen.insert(key, cells);
        }
        for (key, cells) in std::mem::take(&mut self.last) {
            if !seen.contains_key(&key) {
                rows.push(cells);
            }
        }
        self.last = seen;
        let mut lines = Vec::new();
        if !rows.is_empty() && !self.header_shown {
            // The first rows printed bring the header, as the table printer prints it once.
            self.header_shown = true;
            let header: Vec<String> = listing.header.iter().map(|h| h.to_string()).collect();
            // The header and the first rows are one block: their widths together.
            self.widths = widths_of(std::iter::once(header.as_slice()).chain(rows.iter().map(Vec::as_slice)));
            lines.push(line_of(&header, &mut self.widths));
        }
        lines.extend(rows.iter().map(|r| line_of(r, &mut self.widths)));
        (lines, false)
    }

    fn masked<'c>(&self, cells: &'c [String]) -> Vec<&'c str> {
        cells
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.clocked.contains(i))
            .map(|(_, c)| c.as_str())
            .collect()
    }
}

fn clocked(header: &[&str]) -> Vec<usize> {
    header
        .iter()
        .enumerate()
        .filter(|(_, h)| CLOCKED.contains(h))
        .map(|(i, _)| i)
        .collect()
}

/// The widths kubectl's tabwriter gives `rows`' cells: the widest text plus 3, at least
/// 6 (as `printers::table` pads them).
fn widths_of<'r>(rows: impl IntoIterator<Item = &'r [String]>) -> Vec<usize> {
    let mut widths = Vec::new();
    for row in rows {
        remember(&mut widths, row);
    }
    widths
}

fn remember(widths: &mut Vec<usize>, cells: &[String]) {
    for (i, c) in cells.iter().enumerate() {
        let w = (c.chars().count() + 3).max(super::printers::KUBECTL_MIN_WIDTH);
        match widths.get_mut(i) {
            Some(old) => *old = (*old).max(w),
            None => widths.push(w),
        }
    }
}

/// One row as kubectl's watch prints it: its tabwriter remembers the widths of what it
/// printed before (`RememberWidths`) and only widens them.
fn line_of(cells: &[String], widths: &mut Vec<usize>) -> String {
    remember(widths, cells);
    let mut out = String::new();
    for (i, c) in cells.iter().enumerate() {
        out.push_str(c);
        if i + 1 != cells.len() {
            let w = widths.get(i).copied().unwrap_or_default();
            out.push_str(&" ".repeat(w.saturating_sub(c.chars().count())));
        }
    }
    out.trim_end().to_string()
}

/// `oc wait`: the objects picked when it ran, each in turn, until its condition holds or
/// the timeout.
#[derive(Debug, Clone)]
pub(crate) struct Wait {
    kind: Kind,
    namespace: String,
    condition: WaitFor,
    /// The objects still waited for, in order.
    pending: Vec<String>,
    deadline: SimTime,
}

/// The status of a condition of an object now: `None` when the object is not there, the
/// condition's status (`"True"`, `"False"`) when it is; a condition the kind does not
/// have is never met.
fn condition_status(store: &Store, kind: Kind, ns: &str, name: &str, condition: &str) -> Option<Option<&'static str>> {
    let yes = |b: bool| Some(Some(if b { "True" } else { "False" }));
    let c = condition.to_lowercase();
    match kind {
        Kind::Pod => {
            let p = store.pod(ns, name)?;
            match c.as_str() {
                "podscheduled" => yes(p.node.is_some()),
                "initialized" => {
                    yes(p.node.is_some() && p.start_phase.is_some_and(|s| s != crate::store::StartPhase::Init))
                }
                "podreadytostartcontainers" => yes(p.start_phase.is_some()),
                "ready" | "containersready" => yes(p.is_ready()),
                _ => Some(None),
            }
        }
        Kind::Deployment => {
            let d = store.deployment(ns, name)?;
            match c.as_str() {
                "available" => yes(super::kubectl::deployments::deployment_available(store, d)),
                "progressing" => yes(true),
                _ => Some(None),
            }
        }
        Kind::InferenceService => {
            let s = store.isvcs.get(&crate::store::ObjectKey::new(ns, name))?;
            match c.as_str() {
                "ready" | "predictorready" => {
                    let d = store.deployment(
                        ns,
                        &crate::controllers::inferenceservice::predictor_name(&s.isvc.meta.name),
                    );
                    yes(d.is_some_and(|d| super::kubectl::deployments::deployment_available(store, d)))
                }
                _ => Some(None),
            }
        }
        Kind::Workload => {
            let w = store
                .workloads
                .values()
                .rfind(|w| w.namespace == ns && w.name == name)?;
            match c.as_str() {
                "quotareserved" | "admitted" => yes(w.admission.is_some() && w.finished_at.is_none()),
                "podsready" => yes(w.current_state() == WorkloadState::Ready),
                "finished" => yes(w.finished_at.is_some()),
                "evicted" => yes(w.evicted_at.is_some()),
                _ => Some(None),
            }
        }
        Kind::Job => {
            let j = store.jobs.named(ns, name).filter(|j| j.visible)?;
            match c.as_str() {
                "complete" => yes(j.completed_at.is_some()),
                "suspended" => yes(j.spec.suspend),
                _ => Some(None),
            }
        }
        Kind::Node => {
            let n = store.nodes.get(name)?;
            match c.as_str() {
                "ready" => yes(n.kubelet_up && n.instance_running),
                _ => Some(None),
            }
        }
        _ => Some(None),
    }
}

/// The kinds `oc wait --for=condition` reads conditions of.
pub(crate) const WAIT_KINDS: &[Kind] = &[
    Kind::Pod,
    Kind::Deployment,
    Kind::InferenceService,
    Kind::Workload,
    Kind::Job,
    Kind::Node,
];

impl Wait {
    /// `oc wait` at the store's instant: what it prints at once, and the follower that
    /// waits for the rest (none when nothing is left to wait for).
    pub(crate) fn start(store: &Store, ns: &str, req: &WaitRequest) -> Result<(Vec<String>, Option<Wait>), OcError> {
        let kubectl = req.kind.kubectl();
        let names = match &req.selection {
            Selection::Names(names) => {
                if req.condition == WaitFor::Delete {
                    // An object already gone is deleted: nothing to wait for.
                    names
                        .iter()
                        .filter(|n| kubectl.select(store, ns, &Selection::Names(vec![(*n).clone()])).is_ok())
                        .cloned()
                        .collect()
                } else {
                    kubectl.select(store, ns, &req.selection)?
                }
            }
            other => {
                let names = kubectl.select(store, ns, other)?;
                if names.is_empty() && req.condition != WaitFor::Delete {
                    return Err(OcError::Client("no matching resources found".into()));
                }
                names
            }
        };
        let mut w = Wait {
            kind: req.kind,
            namespace: ns.to_string(),
            condition: req.condition.clone(),
            pending: names,
            deadline: store.now + req.timeout,
        };
        let (mut lines, done) = w.step(store);
        if !done && req.timeout == SimDuration::ZERO {
            // Checked once: the first object not there yet fails it.
            let name = w.pending.first().cloned().unwrap_or_default();
            lines.push(format!("error: condition not met for {}/{name}", w.plural()));
            return Ok((lines, None));
        }
        Ok((lines, (!done).then_some(w)))
    }

    /// The resource's plural as the API names it (`pods`, `deployments`), the group left
    /// out as kubectl's timeout message leaves it.
    fn plural(&self) -> String {
        let r = self.kind.resource();
        format!("{}s", r.split('.').next().unwrap_or(r))
    }

    fn timeout_message(&self) -> String {
        let name = self.pending.first().cloned().unwrap_or_default();
        format!("error: timed out waiting for the condition on {}/{name}", self.plural())
    }

    /// Each object in turn whose condition holds now: `TYPE/NAME condition met`.
    fn step(&mut self, store: &Store) -> (Vec<String>, bool) {
        let mut lines = Vec::new();
        while let Some(name) = self.pending.first().cloned() {
            let met = match &self.condition {
                WaitFor::Delete => self
                    .kind
                    .kubectl()
                    .select(store, &self.namespace, &Selection::Names(vec![name.clone()]))
                    .is_err(),
                WaitFor::Condition { name: cond, value } => {
                    match condition_status(store, self.kind, &self.namespace, &name, cond) {
                        None => {
                            // Gone while waited for: the watch's precondition fails.
                            lines.push(self.kind.kubectl().not_found(&name).to_string());
                            return (lines, true);
                        }
                        Some(status) => status.is_some_and(|s| s.eq_ignore_ascii_case(value)),
                    }
                }
            };
            if !met {
                break;
            }
            lines.push(format!("{}/{name} condition met", self.kind.resource()));
            self.pending.remove(0);
        }
        let done = self.pending.is_empty();
        (lines, done)
    }
}

/// `oc rollout status deployment/NAME`: the status line each time it changes, until the
/// rollout is done (or the deployment goes, or the timeout).
#[derive(Debug, Clone)]
pub(crate) struct Rollout {
    namespace: String,
    name: String,
    deadline: Option<SimTime>,
    last: String,
}

impl Rollout {
    /// `oc rollout status` at the store's instant: its first line, and the follower for
    /// the rest unless the rollout is done.
    pub(crate) fn start(
        store: &Store,
        ns: &str,
        name: &str,
        timeout: Option<SimDuration>,
    ) -> Result<(Vec<String>, Option<Rollout>), OcError> {
        let (line, done) = rollout_status(store, ns, name).ok_or_else(|| Kind::Deployment.kubectl().not_found(name))?;
        let follower = (!done).then(|| Rollout {
            namespace: ns.to_string(),
            name: name.to_string(),
            deadline: timeout.map(|t| store.now + t),
            last: line.clone(),
        });
        Ok((vec![line], follower))
    }

    fn step(&mut self, store: &Store) -> (Vec<String>, bool) {
        let Some((line, done)) = rollout_status(store, &self.namespace, &self.name) else {
            return (vec!["error: object has been deleted".into()], true);
        };
        if line == self.last {
            return (Vec::new(), done);
        }
        self.last = line.clone();
        (vec![line], done)
    }
}

/// kubectl's `DeploymentStatusViewer`: the message for the Deployment's status now and
/// whether the rollout is done; none when it is not there.
fn rollout_status(store: &Store, ns: &str, name: &str) -> Option<(String, bool)> {
    let d = store.deployment(ns, name)?;
    let st = deployment_status(store, d);
    let want = d.spec.replicas;
    Some(if st.updated < want {
        (
            format!(
                "Waiting for deployment \"{name}\" rollout to finish: {} out of {want} new replicas have been updated...",
                st.updated
            ),
            false,
        )
    } else if st.total > st.updated {
        (
            format!(
                "Waiting for deployment \"{name}\" rollout to finish: {} old replicas are pending termination...",
                st.total - st.updated
            ),
            false,
        )
    } else if st.available < st.updated {
        (
            format!(
                "Waiting for deployment \"{name}\" rollout to finish: {} of {} updated replicas are available...",
                st.available, st.updated
            ),
            false,
        )
    } else {
        (format!("deployment \"{name}\" successfully rolled out"), true)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watch_line_keeps_the_widths_printed_before_and_only_widens_them() {
        let row = |cells: &[&str]| -> Vec<String> { cells.iter().map(|s| s.to_string()).collect() };
        let header = row(&["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
        let first = row(&[
            "devstral-2-predictor-76c5fd577c-x9k2p",
            "0/1",
            "SchedulingGated",
            "0",
            "0s",
        ]);
        let mut widths = widths_of([header.as_slice(), first.as_slice()]);
        assert_eq!(
            line_of(
                &row(&["devstral-2-predictor-76c5fd577c-x9k2p", "0/1", "Init:0/1", "0", "2m30s"]),
                &mut widths
            ),
            "devstral-2-predictor-76c5fd577c-x9k2p   0/1     Init:0/1          0          2m30s"
        );
        // A wider cell widens its column from then on.
        line_of(&row(&["x", "0/1", "ContainerStatusUnknown", "0", "1s"]), &mut widths);
        assert_eq!(
            line_of(&row(&["y", "1/1", "Running", "0", "3s"]), &mut widths),
            "y                                       1/1     Running                  0          3s"
        );
    }

    #[test]
    fn rows_that_differ_by_their_age_alone_are_not_printed_again() {
        let listing = Shown {
            header: vec!["NAME", "STATUS", "AGE"],
            rows: vec![("ns".into(), "a".into(), vec!["a".into(), "Running".into(), "5s".into()])],
        };
        let listed = Listed {
            kind: Kind::Pod,
            namespace: Some("ns".into()),
            names: Vec::new(),
            selector: None,
            columns: Columns::Default,
            fields: None,
        };
        let w = Watch::new(listed, &listing, None);
        let later = vec!["a".to_string(), "Running".into(), "9m".into()];
        let before = &listing.rows[0].2;
        assert_eq!(w.masked(before), w.masked(&later));
        let changed = vec!["a".to_string(), "Terminating".into(), "9m".into()];
        assert_ne!(w.masked(before), w.masked(&changed));
    }
}
