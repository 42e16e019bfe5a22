//! The Scenario's `expect:` entries: their forms and how they are read.
//!
//! An entry names one subject (`workload`, `service`, `deadlock` or `metric`), says what is
//! expected of it (a state, or a measure with `below`, `above` or `equals`), when (`at:` or
//! `by:`, default the end) and, optionally, its `name:`. Everything else is refused with its
//! location, so that a gate never passes because a key it was meant to check was misspelt.

use crate::manifest::error::{did_you_mean, InputError, Loc};
use crate::manifest::yaml::{Node, Value};
use crate::units::{SimDuration, SimTime};

#[derive(Debug, Clone, PartialEq)]
pub enum When {
    At(SimTime),
    By(SimTime),
}

impl When {
    pub fn instant(&self) -> SimTime {
        match *self {
            When::At(t) | When::By(t) => t,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Comparison {
    Below(f64),
    Above(f64),
    Equals(f64),
}

impl Comparison {
    pub fn holds(&self, v: f64) -> bool {
        match *self {
            Comparison::Below(x) => v < x,
            Comparison::Above(x) => v > x,
            Comparison::Equals(x) => (v - x).abs() < 1e-9,
        }
    }
    /// The bound written as the entry wrote it: `below 30m`, `equals 0`.
    pub(crate) fn describe(&self, unit: Unit) -> String {
        let (word, x) = match *self {
            Comparison::Below(x) => ("below", x),
            Comparison::Above(x) => ("above", x),
            Comparison::Equals(x) => ("equal to", x),
        };
        format!("{word} {}", unit.show(x))
    }
}

/// What a measure counts, and so how its bounds are written and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Written as a duration (`30m`), held in seconds.
    Duration,
    /// A whole number of events or requests.
    Count,
    /// A share from 0 to 1.
    Fraction,
}

impl Unit {
    pub(crate) fn show(self, x: f64) -> String {
        match self {
            // Bounds and measures are whole milliseconds, so the rounding is exact.
            Unit::Duration => SimDuration((x * 1000.0).round().max(0.0) as u64).to_string(),
            Unit::Count => format!("{x}"),
            Unit::Fraction => format!("{x:.4}")
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string(),
        }
    }
}

/// A number measured on the workloads an expectation names, up to its instant.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkloadMeasure {
    /// `pending`: time spent Pending, every stretch together (the longest of the matching
    /// workloads).
    Pending,
    /// `evictions`: how many times Kueue evicted them (all matching workloads together),
    /// of one reason when `reason` is given: the `Evicted` condition's (`Preempted`,
    /// `PodsReadyTimeout`) or the `Preempted` condition's (`InCohortReclamation`…).
    Evictions { reason: Option<String> },
    /// `time_to_ready`: from creation to the pods' first Ready (the slowest of the
    /// matching workloads).
    TimeToReady,
}

/// A number measured on an InferenceService, or on the requests sent to it.
#[derive(Debug, Clone, PartialEq)]
pub enum ServiceMeasure {
    /// `downtime`: time without a ready replica after it first served, up to the instant.
    Downtime,
    /// `failed`: requests that failed over the run, of one reason when given
    /// (`no_ready_replica_503`…).
    Failed { reason: Option<String> },
    /// `slo_attainment`: the share of requests that met every SLO term over the run.
    SloAttainment,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExpectKind {
    WorkloadState {
        workload: String,
        namespace: Option<String>,
        state: crate::store::WorkloadState,
    },
    Workload {
        workload: String,
        namespace: Option<String>,
        measure: WorkloadMeasure,
        cmp: Comparison,
    },
    Service {
        service: String,
        namespace: Option<String>,
        measure: ServiceMeasure,
        cmp: Comparison,
    },
    Deadlock {
        detected: bool,
    },
    Metric {
        path: String,
        cmp: Comparison,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    pub when: When,
    pub kind: ExpectKind,
    /// Its `name:`: the JUnit test case's name, shown by `check`.
    pub name: Option<String>,
    /// The entry as written, in JSON.
    pub text: String,
    pub loc: Loc,
}

impl Expectation {
    /// What `check` and JUnit call it: its name, else the entry as written.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.text)
    }
}

/// What an entry may be about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subject {
    Workload,
    Service,
    Deadlock,
    Metric,
}

impl Subject {
    fn key(self) -> &'static str {
        match self {
            Subject::Workload => "workload",
            Subject::Service => "service",
            Subject::Deadlock => "deadlock",
            Subject::Metric => "metric",
        }
    }
}

const SUBJECTS: [Subject; 4] = [Subject::Workload, Subject::Service, Subject::Deadlock, Subject::Metric];

/// A measure key: whose it is, its unit, the reasons it may be narrowed to, and whether
/// it only exists for the whole run.
struct MeasureKey {
    key: &'static str,
    subject: Subject,
    unit: Unit,
    reasons: &'static [&'static str],
    whole_run: bool,
    example: &'static str,
}

/// Kueue's eviction reasons as the simulator records them: the `Evicted` condition's, then
/// the `Preempted` condition's.
pub(crate) const EVICTION_REASONS: &[&str] = &[
    "Preempted",
    "PodsReadyTimeout",
    "InClusterQueue",
    "InCohortReclamation",
    "InCohortReclaimWhileBorrowing",
    "InCohortFairSharing",
];

/// Kueue's other eviction reasons, which nothing in the simulation causes: an expectation
/// about them could only ever count zero.
const UNSIMULATED_EVICTION_REASONS: &[&str] = &[
    "AdmissionCheck",
    "ClusterQueueStopped",
    "LocalQueueStopped",
    "Deactivated",
    "InactiveWorkload",
    "MaximumExecutionTimeExceeded",
];

const FAILURE_REASONS: &[&str] = &[
    crate::serving::service::NO_READY_REPLICA,
    crate::serving::service::REPLICA_TERMINATED,
    crate::serving::service::REPLICA_UNREACHABLE,
    crate::serving::service::CONTEXT_TOO_LONG,
    crate::serving::service::BACKLOG_LIMIT,
];

const MEASURES: &[MeasureKey] = &[
    MeasureKey {
        key: "pending",
        subject: Subject::Workload,
        unit: Unit::Duration,
        reasons: &[],
        whole_run: false,
        example: "{workload: nightly, pending: {below: 30m}}",
    },
    MeasureKey {
        key: "evictions",
        subject: Subject::Workload,
        unit: Unit::Count,
        reasons: EVICTION_REASONS,
        whole_run: false,
        example: "{workload: nightly, evictions: {equals: 0}}",
    },
    MeasureKey {
        key: "time_to_ready",
        subject: Subject::Workload,
        unit: Unit::Duration,
        reasons: &[],
        whole_run: false,
        example: "{workload: devstral-2, time_to_ready: {below: 10m}}",
    },
    MeasureKey {
        key: "downtime",
        subject: Subject::Service,
        unit: Unit::Duration,
        reasons: &[],
        whole_run: false,
        example: "{service: mistral-3-int4, downtime: {below: 5m}}",
    },
    MeasureKey {
        key: "failed",
        subject: Subject::Service,
        unit: Unit::Count,
        reasons: FAILURE_REASONS,
        whole_run: true,
        example: "{service: mistral-3-int4, failed: {below: 10, reason: no_ready_replica_503}}",
    },
    MeasureKey {
        key: "slo_attainment",
        subject: Subject::Service,
        unit: Unit::Fraction,
        reasons: &[],
        whole_run: true,
        example: "{service: mistral-3-int4, slo_attainment: {above: 0.99}}",
    },
];

/// Keys every form takes.
const COMMON_KEYS: &[&str] = &["name", "at", "by"];
const COMPARISONS: &[&str] = &["below", "above", "equals"];

fn measure_key(key: &str) -> Option<&'static MeasureKey> {
    MEASURES.iter().find(|m| m.key == key)
}

/// The keys of a subject's form besides the common ones.
fn form_keys(subject: Subject) -> Vec<&'static str> {
    let mut keys = vec![subject.key()];
    match subject {
        Subject::Workload => keys.extend(["namespace", "state"]),
        Subject::Service => keys.push("namespace"),
        Subject::Deadlock => {}
        Subject::Metric => keys.extend(COMPARISONS),
    }
    keys.extend(MEASURES.iter().filter(|m| m.subject == subject).map(|m| m.key));
    keys
}

fn all_keys() -> Vec<&'static str> {
    let mut keys: Vec<&str> = COMMON_KEYS.to_vec();
    for s in SUBJECTS {
        for k in form_keys(s) {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    keys
}

/// What the rest of the Scenario tells about an expectation: when the run ends, whether it
/// states an SLO, and which services its traffic reaches.
pub(crate) struct Context<'a> {
    pub duration: SimDuration,
    pub has_slo: bool,
    /// Each traffic stream's target and namespace, where given.
    pub traffic: Vec<(&'a str, Option<&'a str>)>,
}

/// An entry's keys with their key and value nodes.
type Entries<'n> = [(&'n str, &'n Node, &'n Node)];

/// The entry's keys with their nodes, null values included (a key written with nothing
/// after it is still a key the user meant).
fn keys(e: &Node) -> Result<Vec<(&str, &Node, &Node)>, InputError> {
    if !matches!(e.value, Value::Map(_)) {
        return Err(e.type_error("a mapping such as {at: 11m, workload: devstral-2, state: Pending}"));
    }
    e.entries()?.iter().map(|(k, v)| Ok((k.as_str()?, k, v))).collect()
}

/// A key's (key node, value node), when the entry has it.
fn get<'n>(entries: &Entries<'n>, key: &str) -> Option<(&'n Node, &'n Node)> {
    entries.iter().find(|(k, _, _)| *k == key).map(|(_, k, v)| (*k, *v))
}

/// A key's value, which must be written.
fn value<'n>(e: &Node, entries: &Entries<'n>, key: &str) -> Result<&'n Node, InputError> {
    match get(entries, key) {
        Some((_, v)) if !v.is_null() => Ok(v),
        Some((k, _)) => Err(InputError::at(k.loc.clone(), format!("`{key}` has no value"))
            .hint("e.g. {at: 11m, workload: devstral-2, state: Pending}")),
        None => Err(InputError::at(e.loc.clone(), format!("the expectation has no `{key}`"))),
    }
}

pub(crate) fn decode(e: &Node, cx: &Context<'_>) -> Result<Expectation, InputError> {
    let text = serde_json::to_string(&e.to_json()).unwrap_or_default();
    let entries = keys(e)?;
    check_known(&entries)?;
    let subject = subject(e, &entries)?;
    let when = decode_when(cx.duration, get(&entries, "at"), get(&entries, "by"))?;
    let name = get(&entries, "name").map(|(_, n)| decode_name(n)).transpose()?;
    let kind = match subject {
        Subject::Workload | Subject::Service => measured(e, subject, &entries, &when, cx)?,
        Subject::Deadlock => deadlock_expectation(value(e, &entries, "deadlock")?)?,
        Subject::Metric => metric_expectation(e, &entries)?,
    };
    Ok(Expectation {
        when,
        kind,
        name,
        text,
        loc: e.loc.clone(),
    })
}

/// Every key is one some form takes.
fn check_known(entries: &Entries<'_>) -> Result<(), InputError> {
    let known = all_keys();
    let Some((key, k, _)) = entries.iter().find(|(key, _, _)| !known.contains(key)) else {
        return Ok(());
    };
    let hint = if *key == "model" {
        "name the InferenceService with `service:` (report.json's `models` are keyed by it), e.g. {service: chat, slo_attainment: {above: 0.99}}".to_string()
    } else {
        format!("an expectation takes {}", known.join(", "))
    };
    Err(InputError::at(
        k.loc.clone(),
        format!(
            "unknown expectation key `{key}`{}",
            did_you_mean(key, known.iter().copied())
        ),
    )
    .hint(hint))
}

/// The one subject the entry is about; every other key must belong to its form.
fn subject(e: &Node, entries: &Entries<'_>) -> Result<Subject, InputError> {
    let subjects: Vec<(Subject, &Node)> = SUBJECTS
        .iter()
        .filter_map(|s| get(entries, s.key()).map(|(k, _)| (*s, k)))
        .collect();
    let subject = match subjects.as_slice() {
        [] => return Err(no_subject(e, entries)),
        [one] => one.0,
        [first, second, ..] => {
            return Err(InputError::at(
                second.1.loc.clone(),
                format!(
                    "an expectation is about one thing: `{}` or `{}`, not both",
                    first.0.key(),
                    second.0.key()
                ),
            )
            .hint("write one entry for each"))
        }
    };
    let allowed = form_keys(subject);
    match entries
        .iter()
        .find(|(key, _, _)| !COMMON_KEYS.contains(key) && !allowed.contains(key))
    {
        Some((key, k, _)) => Err(misplaced(subject, key, k)),
        None => Ok(subject),
    }
}

/// A workload's `state` or one measure of a workload or service, with its bound.
fn measured(
    e: &Node,
    subject: Subject,
    entries: &Entries<'_>,
    when: &When,
    cx: &Context<'_>,
) -> Result<ExpectKind, InputError> {
    let namespace = match get(entries, "namespace") {
        Some(_) => Some(value(e, entries, "namespace")?.as_str()?.to_string()),
        None => None,
    };
    let target = value(e, entries, subject.key())?.as_str()?.to_string();
    let measures: Vec<&(&str, &Node, &Node)> = entries
        .iter()
        .filter(|(k, _, _)| *k == "state" || measure_key(k).is_some())
        .collect();
    let (key, k, v) = match measures.as_slice() {
        [] => return Err(no_measure(subject, e)),
        [one] => **one,
        [first, second, ..] => {
            return Err(InputError::at(
                second.1.loc.clone(),
                format!("one measure per expectation: `{}` and `{}` are two", first.0, second.0),
            )
            .hint("write one entry for each"))
        }
    };
    let Some(m) = measure_key(key) else {
        return Ok(ExpectKind::WorkloadState {
            workload: target,
            namespace,
            state: decode_state(k, v)?,
        });
    };
    let (cmp, reason) = decode_bound(m, k, v)?;
    if m.whole_run && when.instant() != SimTime(cx.duration.0) {
        let at = get(entries, "at")
            .or(get(entries, "by"))
            .map_or(e.loc.clone(), |(k, _)| k.loc.clone());
        return Err(InputError::at(
            at,
            format!("`{key}` is measured over the whole run, so it has no earlier instant"),
        )
        .hint("leave out `at:` and `by:`, or write `at: end`"));
    }
    check_service(m, k, &target, namespace.as_deref(), cx)?;
    Ok(match key {
        "pending" => workload(target, namespace, WorkloadMeasure::Pending, cmp),
        "evictions" => workload(target, namespace, WorkloadMeasure::Evictions { reason }, cmp),
        "time_to_ready" => workload(target, namespace, WorkloadMeasure::TimeToReady, cmp),
        "downtime" => service(target, namespace, ServiceMeasure::Downtime, cmp),
        "failed" => service(target, namespace, ServiceMeasure::Failed { reason }, cmp),
        _ => service(target, namespace, ServiceMeasure::SloAttainment, cmp),
    })
}

fn workload(workload: String, namespace: Option<String>, measure: WorkloadMeasure, cmp: Comparison) -> ExpectKind {
    ExpectKind::Workload {
        workload,
        namespace,
        measure,
        cmp,
    }
}

fn service(service: String, namespace: Option<String>, measure: ServiceMeasure, cmp: Comparison) -> ExpectKind {
    ExpectKind::Service {
        service,
        namespace,
        measure,
        cmp,
    }
}

/// `{metric: path.in.report, below: x}`, or `above:` or `equals:`.
fn metric_expectation(e: &Node, entries: &Entries<'_>) -> Result<ExpectKind, InputError> {
    let path = value(e, entries, "metric")?.as_str()?.to_string();
    let bounds: Vec<&(&str, &Node, &Node)> = entries.iter().filter(|(k, _, _)| COMPARISONS.contains(k)).collect();
    let cmp = match bounds.as_slice() {
        [(key, _, v)] => comparison(key, number(v)?),
        [] => {
            return Err(
                InputError::at(e.loc.clone(), "metric expectation needs `below`, `above` or `equals`")
                    .hint("e.g. {metric: inference_services.mistral-3-int4.downtime_s, below: 300}"),
            )
        }
        [_, (_, k, _), ..] => {
            return Err(
                InputError::at(k.loc.clone(), "give one of `below`, `above` or `equals`")
                    .hint("for a range, write two entries"),
            )
        }
    };
    Ok(ExpectKind::Metric { path, cmp })
}

/// An instant of the run: `end`, or a duration from its start no later than the end.
pub(crate) fn time_of(node: &Node, duration: SimDuration) -> Result<SimTime, InputError> {
    let s = node.as_str()?;
    if s == "end" {
        return Ok(SimTime(duration.0));
    }
    let d = crate::api::meta::duration(node)?;
    if d > duration {
        return Err(InputError::at(
            node.loc.clone(),
            format!("time {s} is after the end of the scenario ({duration})"),
        )
        .hint("raise spec.duration or move this entry earlier"));
    }
    Ok(SimTime(d.0))
}

fn decode_when(
    duration: SimDuration,
    at: Option<(&Node, &Node)>,
    by: Option<(&Node, &Node)>,
) -> Result<When, InputError> {
    match (at, by) {
        (Some((_, a)), None) => Ok(When::At(time_of(a, duration)?)),
        (None, Some((_, b))) => Ok(When::By(time_of(b, duration)?)),
        (Some(_), Some((k, _))) => Err(
            InputError::at(k.loc.clone(), "an expectation takes `at:` or `by:`, not both")
                .hint("`at:` is about the instant itself, `by:` about any instant up to it"),
        ),
        (None, None) => Ok(When::At(SimTime(duration.0))),
    }
}

/// `name:`: a non-empty line of text, since it becomes a JUnit test case's name.
fn decode_name(n: &Node) -> Result<String, InputError> {
    let name = n.as_str()?.trim();
    if name.is_empty() || name.contains('\n') {
        return Err(
            InputError::at(n.loc.clone(), "an expectation's name is one line of text")
                .hint("e.g. name: nightly keeps its GPUs"),
        );
    }
    Ok(name.to_string())
}

/// An entry that names nothing to check: say which subject its keys need.
fn no_subject(e: &Node, entries: &Entries<'_>) -> InputError {
    let needs = entries.iter().find_map(|(key, k, _)| {
        let subject = match *key {
            "state" => Some(Subject::Workload),
            "below" | "above" | "equals" => Some(Subject::Metric),
            _ => measure_key(key).map(|m| m.subject),
        }?;
        Some((key, k, subject))
    });
    match needs {
        Some((key, k, subject)) => InputError::at(
            k.loc.clone(),
            format!("`{key}` needs a `{}:` to measure", subject.key()),
        )
        .hint(match subject {
            Subject::Workload => "e.g. {workload: nightly, pending: {below: 30m}}",
            Subject::Service => "e.g. {service: mistral-3-int4, downtime: {below: 5m}}",
            _ => "e.g. {metric: inference_services.mistral-3-int4.downtime_s, below: 300}",
        }),
        None => InputError::at(
            e.loc.clone(),
            "expectation names no `workload`, `service`, `deadlock` or `metric`",
        )
        .hint("e.g. {at: 11m, workload: devstral-2, state: Pending}"),
    }
}

/// A known key in the wrong form: say where it belongs.
fn misplaced(subject: Subject, key: &str, k: &Node) -> InputError {
    let (message, hint) = if let Some(m) = measure_key(key) {
        (
            format!(
                "`{key}` is measured on a `{}`, not a `{}`",
                m.subject.key(),
                subject.key()
            ),
            format!("e.g. {}", m.example),
        )
    } else if COMPARISONS.contains(&key) {
        (
            format!("`{key}` goes inside the measure in a `{}` expectation", subject.key()),
            "e.g. {workload: nightly, pending: {below: 30m}}".to_string(),
        )
    } else if key == "state" {
        (
            format!("`state` is a workload's, not a `{}`'s", subject.key()),
            "e.g. {at: 11m, workload: devstral-2, state: Pending}".to_string(),
        )
    } else {
        (
            format!("a `{}` expectation takes no `{key}`", subject.key()),
            format!(
                "it takes {}",
                COMMON_KEYS
                    .iter()
                    .copied()
                    .chain(form_keys(subject))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    };
    InputError::at(k.loc.clone(), message).hint(hint)
}

fn no_measure(subject: Subject, e: &Node) -> InputError {
    let measures: Vec<String> = MEASURES
        .iter()
        .filter(|m| m.subject == subject)
        .map(|m| format!("`{}`", m.key))
        .collect();
    match subject {
        Subject::Workload => InputError::at(
            e.loc.clone(),
            format!(
                "workload expectation has no `state` and no measure ({})",
                measures.join(", ")
            ),
        )
        .hint("e.g. {by: 25m, workload: devstral-2, state: Ready} or {workload: nightly, pending: {below: 30m}}"),
        _ => InputError::at(
            e.loc.clone(),
            format!("service expectation has no measure ({})", measures.join(", ")),
        )
        .hint("e.g. {service: mistral-3-int4, downtime: {below: 5m}}"),
    }
}

/// `state: Ready`. `by:` climbs the Pending < Admitted < Ready ladder; other states are
/// plain facts.
fn decode_state(k: &Node, v: &Node) -> Result<crate::store::WorkloadState, InputError> {
    if v.is_null() {
        return Err(InputError::at(k.loc.clone(), "`state` has no value")
            .hint("state: Pending | Admitted | Ready | Evicted | Finished | Absent"));
    }
    let s = v.as_str()?;
    crate::store::WorkloadState::parse(s).ok_or_else(|| {
        InputError::at(v.loc.clone(), format!("unknown workload state `{s}`"))
            .hint("expected Pending, Admitted, Ready, Evicted, Finished or Absent")
    })
}

/// `{deadlock: none}` or `{deadlock: detected}`.
fn deadlock_expectation(d: &Node) -> Result<ExpectKind, InputError> {
    match d.as_str()? {
        "none" => Ok(ExpectKind::Deadlock { detected: false }),
        "detected" => Ok(ExpectKind::Deadlock { detected: true }),
        other => Err(
            InputError::at(d.loc.clone(), format!("unknown deadlock expectation `{other}`"))
                .hint("expected none or detected"),
        ),
    }
}

fn comparison(key: &str, x: f64) -> Comparison {
    match key {
        "below" => Comparison::Below(x),
        "above" => Comparison::Above(x),
        _ => Comparison::Equals(x),
    }
}

fn number(n: &Node) -> Result<f64, InputError> {
    n.as_f64()
}

/// A measure's `{below|above|equals: X}`, with `reason:` where the measure has reasons.
fn decode_bound(m: &MeasureKey, k: &Node, v: &Node) -> Result<(Comparison, Option<String>), InputError> {
    let example = format!("e.g. {}", m.example);
    let key = m.key;
    if !matches!(v.value, Value::Map(_)) {
        return Err(InputError::at(
            v.loc.clone(),
            format!("`{key}` takes a comparison, not {}", v.kind_name()),
        )
        .hint(example));
    }
    let mut allowed: Vec<&str> = COMPARISONS.to_vec();
    if !m.reasons.is_empty() {
        allowed.push("reason");
    }
    let mut bounds = Vec::new();
    let mut reason = None;
    for (bk, bv) in v.entries()? {
        let b = bk.as_str()?;
        if b == "reason" && !m.reasons.is_empty() {
            reason = Some(decode_reason(m, bv)?);
        } else if COMPARISONS.contains(&b) {
            bounds.push((b, bk, bv));
        } else {
            let hint = if b == "reason" {
                format!("`{key}` has no reasons to choose from")
            } else {
                format!("`{key}` takes {}", allowed.join(", "))
            };
            return Err(InputError::at(
                bk.loc.clone(),
                format!(
                    "unknown key `{b}` in `{key}`{}",
                    did_you_mean(b, allowed.iter().copied())
                ),
            )
            .hint(hint));
        }
    }
    let (b, bk, bv) = match bounds.as_slice() {
        [one] => *one,
        [] => {
            return Err(
                InputError::at(k.loc.clone(), format!("`{key}` needs `below`, `above` or `equals`")).hint(example),
            )
        }
        [_, (_, second, _), ..] => {
            return Err(
                InputError::at(second.loc.clone(), "give one of `below`, `above` or `equals`")
                    .hint("for a range, write two entries"),
            )
        }
    };
    let x = bound_value(m.unit, key, bv)?;
    if b == "below" && x <= 0.0 {
        return Err(InputError::at(
            bk.loc.clone(),
            format!("no `{key}` is below {}: this could never hold", m.unit.show(x)),
        )
        .hint("to expect none, write equals: 0"));
    }
    if m.unit == Unit::Fraction && b == "above" && x >= 1.0 {
        return Err(InputError::at(
            bk.loc.clone(),
            format!("no `{key}` is above {}: this could never hold", m.unit.show(x)),
        )
        .hint("to expect every request, write equals: 1"));
    }
    Ok((comparison(b, x), reason))
}

/// A bound in the measure's unit: a duration in seconds, a whole count, or a share.
fn bound_value(unit: Unit, key: &str, v: &Node) -> Result<f64, InputError> {
    match unit {
        Unit::Duration => {
            let text = v.as_str()?;
            let d = SimDuration::parse(text).map_err(|_| {
                InputError::at(v.loc.clone(), format!("`{text}` is not a duration")).hint(format!(
                    "`{key}` is a time: write it with its unit, e.g. 30m, 90s or 1h30m"
                ))
            })?;
            Ok(d.as_secs_f64())
        }
        Unit::Count => {
            let n = v.as_i64().map_err(|_| {
                InputError::at(
                    v.loc.clone(),
                    format!("`{key}` is a count: `{}` is not a whole number", scalar(v)),
                )
                .hint("write a whole number such as 0, 1 or 10")
            })?;
            if n < 0 {
                return Err(
                    InputError::at(v.loc.clone(), format!("a count of `{key}` is never negative"))
                        .hint("write 0 or more"),
                );
            }
            Ok(n as f64)
        }
        Unit::Fraction => {
            let x = v.as_f64().map_err(|_| {
                InputError::at(
                    v.loc.clone(),
                    format!("`{key}` is a share: `{}` is not a number", scalar(v)),
                )
                .hint("write a number from 0 to 1, e.g. 0.99")
            })?;
            if !(0.0..=1.0).contains(&x) {
                return Err(
                    InputError::at(v.loc.clone(), format!("`{key}` is a share from 0 to 1, not {x}"))
                        .hint("e.g. 0.99 for 99%"),
                );
            }
            Ok(x)
        }
    }
}

fn scalar(v: &Node) -> String {
    match &v.value {
        Value::Scalar { text, .. } => text.clone(),
        _ => v.kind_name().to_string(),
    }
}

/// `reason:` of `evictions` (Kueue's reasons) or `failed` (report.json's failure reasons).
fn decode_reason(m: &MeasureKey, v: &Node) -> Result<String, InputError> {
    let r = v.as_str()?;
    if m.reasons.contains(&r) {
        return Ok(r.to_string());
    }
    let known = m.reasons.join(", ");
    if m.key == "evictions" {
        if let Some(base) = r.strip_prefix("EvictedDueTo").filter(|b| m.reasons.contains(b)) {
            return Err(InputError::at(
                v.loc.clone(),
                format!("`{r}` is the event's name; the eviction reason is `{base}`"),
            )
            .hint(format!("write reason: {base}")));
        }
        if UNSIMULATED_EVICTION_REASONS.contains(&r) {
            return Err(InputError::at(
                v.loc.clone(),
                format!("Kueue's `{r}` evictions are not simulated, so none could be counted"),
            )
            .hint(format!("the simulated reasons are {known}")));
        }
    }
    Err(InputError::at(
        v.loc.clone(),
        format!(
            "unknown `{}` reason `{r}`{}",
            m.key,
            did_you_mean(r, m.reasons.iter().copied())
        ),
    )
    .hint(format!("expected {known}")))
}

/// Request measures need requests: some traffic must reach the service, and SLO
/// attainment needs an SLO to attain.
fn check_service(
    m: &MeasureKey,
    k: &Node,
    service: &str,
    namespace: Option<&str>,
    cx: &Context<'_>,
) -> Result<(), InputError> {
    if !m.whole_run {
        return Ok(());
    }
    let reached = cx
        .traffic
        .iter()
        .any(|(t, ns)| *t == service && (namespace.is_none() || ns.is_none() || *ns == namespace));
    if !reached {
        let targets: Vec<&str> = cx.traffic.iter().map(|(t, _)| *t).collect();
        return Err(InputError::at(
            k.loc.clone(),
            format!(
                "`{}` counts requests, and no `traffic:` entry targets `{service}`{}",
                m.key,
                did_you_mean(service, targets.iter().copied())
            ),
        )
        .hint("add a traffic stream with target: the service's name, or measure `downtime`"));
    }
    if m.unit == Unit::Fraction && !cx.has_slo {
        return Err(
            InputError::at(k.loc.clone(), "`slo_attainment` needs the scenario to state an SLO")
                .hint("add e.g. spec.slo: {ttft_p95: 2s, tpot_p95: 100ms}"),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(entry: &str) -> Result<Node, String> {
        let file: std::sync::Arc<str> = std::sync::Arc::from("s.yaml");
        let docs = crate::manifest::yaml::parse_documents(&file, entry).map_err(|e| e.to_string())?;
        docs.into_iter()
            .next()
            .map(|d| d.root)
            .ok_or_else(|| "no document".into())
    }

    fn cx() -> Context<'static> {
        Context {
            duration: SimDuration(3_600_000),
            has_slo: true,
            traffic: vec![("chat", Some("private-ai"))],
        }
    }

    #[test]
    fn each_form_decodes_to_its_measure_and_bound() {
        // (entry, kind, instant in minutes)
        let cases: Vec<(&str, ExpectKind, u64)> = vec![
            (
                "{workload: nightly, pending: {below: 30m}}",
                ExpectKind::Workload {
                    workload: "nightly".into(),
                    namespace: None,
                    measure: WorkloadMeasure::Pending,
                    cmp: Comparison::Below(1800.0),
                },
                60,
            ),
            (
                "{by: 45m, workload: nightly, namespace: research, evictions: {equals: 0, reason: InCohortReclamation}}",
                ExpectKind::Workload {
                    workload: "nightly".into(),
                    namespace: Some("research".into()),
                    measure: WorkloadMeasure::Evictions {
                        reason: Some("InCohortReclamation".into()),
                    },
                    cmp: Comparison::Equals(0.0),
                },
                45,
            ),
            (
                "{at: 20m, workload: x, time_to_ready: {above: 1m30s}}",
                ExpectKind::Workload {
                    workload: "x".into(),
                    namespace: None,
                    measure: WorkloadMeasure::TimeToReady,
                    cmp: Comparison::Above(90.0),
                },
                20,
            ),
            (
                "{service: chat, downtime: {equals: 0}}",
                ExpectKind::Service {
                    service: "chat".into(),
                    namespace: None,
                    measure: ServiceMeasure::Downtime,
                    cmp: Comparison::Equals(0.0),
                },
                60,
            ),
            (
                "{at: end, service: chat, failed: {below: 10, reason: no_ready_replica_503}}",
                ExpectKind::Service {
                    service: "chat".into(),
                    namespace: None,
                    measure: ServiceMeasure::Failed {
                        reason: Some("no_ready_replica_503".into()),
                    },
                    cmp: Comparison::Below(10.0),
                },
                60,
            ),
            (
                "{service: chat, slo_attainment: {above: 0.99}}",
                ExpectKind::Service {
                    service: "chat".into(),
                    namespace: None,
                    measure: ServiceMeasure::SloAttainment,
                    cmp: Comparison::Above(0.99),
                },
                60,
            ),
            // The forms that existed before read as they did.
            (
                "{at: 11m, workload: devstral-2, state: Pending}",
                ExpectKind::WorkloadState {
                    workload: "devstral-2".into(),
                    namespace: None,
                    state: crate::store::WorkloadState::Pending,
                },
                11,
            ),
            (
                "{metric: a.b, above: 3}",
                ExpectKind::Metric {
                    path: "a.b".into(),
                    cmp: Comparison::Above(3.0),
                },
                60,
            ),
        ];
        for (entry, kind, minutes) in cases {
            let node = parse(entry).unwrap_or_else(|e| panic!("{entry}: {e}"));
            let e = decode(&node, &cx()).unwrap_or_else(|e| panic!("{entry}: {e}"));
            assert_eq!(e.kind, kind, "{entry}");
            assert_eq!(e.when.instant(), SimTime(minutes * 60_000), "{entry}");
            assert_eq!(e.name, None, "{entry}");
        }
    }

    #[test]
    fn any_value_in_any_key_decodes_or_is_refused_where_it_stands() {
        let entries = [
            "{name: n, at: 1m, workload: w, namespace: ns, pending: {below: 30m}}",
            "{by: 2m, workload: w, evictions: {equals: 0, reason: Preempted}}",
            "{workload: w, time_to_ready: {above: 1m}}",
            "{workload: w, state: Ready}",
            "{service: chat, downtime: {below: 5m}}",
            "{service: chat, failed: {below: 5, reason: replica_terminated}}",
            "{service: chat, slo_attainment: {above: 0.5}}",
            "{deadlock: none}",
            "{metric: a.b, equals: 1}",
        ];
        let values = [
            "",
            "null",
            "[]",
            "{}",
            "-1",
            "0",
            "1.5",
            "1e400",
            "NaN",
            ".inf",
            "end",
            "99999999999999999999h",
            "\"\"",
            "{below: }",
            "{below: -5m}",
            "{equals: [1]}",
            "{reason: Preempted}",
            "[{below: 1}]",
        ];
        let mut refused = 0;
        for entry in entries {
            let node = parse(entry).unwrap_or_else(|e| panic!("{entry}: {e}"));
            let Value::Map(map) = &node.value else {
                panic!("{entry} is not a mapping");
            };
            for (i, _) in map.iter().enumerate() {
                for v in values {
                    // The entry with its i-th key's value replaced, written back as YAML.
                    let parts: Vec<String> = map
                        .iter()
                        .enumerate()
                        .map(|(j, (k, val))| {
                            let key = k.as_str().unwrap_or("?");
                            if i == j {
                                format!("{key}: {v}")
                            } else {
                                format!("{key}: {}", val.to_json())
                            }
                        })
                        .collect();
                    let mutated = format!("{{{}}}", parts.join(", "));
                    let Ok(node) = parse(&mutated) else { continue };
                    if let Err(err) = decode(&node, &cx()) {
                        refused += 1;
                        assert!(err.loc.line >= 1 && err.loc.col >= 1, "{mutated}: {err}");
                        assert!(!err.message.is_empty(), "{mutated}");
                    }
                }
            }
        }
        assert!(
            refused > 100,
            "most mutations are malformed; only {refused} were refused"
        );
    }
}
