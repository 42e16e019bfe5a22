//! Evaluating a Scenario's `expect:` entries against a finished run.
//!
//! A failed expectation says why, from what the run recorded: a workload's state history,
//! its evictions (who evicted it, when, for which of Kueue's reasons) and Kueue's pending
//! message at the instant; a service's outages; the requests' failures and SLO terms.

use super::document::{Comparison, ExpectKind, Expectation, ServiceMeasure, Unit, When, WorkloadMeasure};
use crate::analysis::deadlock::Deadlock;
use crate::manifest::error::did_you_mean;
use crate::report::model::{InferenceServiceRecord, ModelReport, Report};
use crate::store::{EvictionEvent, Store, Workload, WorkloadSource, WorkloadState};
use crate::units::SimTime;
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct Outcome {
    pub expectation: Expectation,
    pub passed: bool,
    pub detail: String,
}

/// A name matches a workload, its pod, its owner InferenceService or Deployment.
pub fn matches(w: &Workload, name: &str, ns: Option<&str>) -> bool {
    ns.is_none_or(|n| n == w.namespace)
        && (w.name == name || w.owner == name || w.pod_name == name || format!("{}-predictor", w.owner) == name)
}

/// Each workload's state at `t`; with `why`, what brought a workload there when it was
/// evicted or is pending (a failed expectation's reason).
fn describe_states(store: &Store, ws: &[&Workload], t: SimTime, why: bool) -> String {
    if ws.is_empty() {
        return "no matching workload ever existed".into();
    }
    ws.iter()
        .map(|w| {
            let story = if why { story(store, w, t) } else { String::new() };
            if story.is_empty() {
                format!("{} was {}", w.name, w.state_at(t).as_str())
            } else {
                format!("{} was {} ({story})", w.name, w.state_at(t).as_str())
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn workload_outcome(store: &Store, when: &When, name: &str, ns: Option<&str>, state: WorkloadState) -> (bool, String) {
    let ws: Vec<&Workload> = store.workloads.values().filter(|w| matches(w, name, ns)).collect();
    match *when {
        When::At(t) => {
            let passed = if state == WorkloadState::Absent {
                ws.iter().all(|w| matches!(w.state_at(t), WorkloadState::Absent))
            } else {
                ws.iter().any(|w| w.state_at(t) == state)
            };
            (passed, format!("at {t}: {}", describe_states(store, &ws, t, !passed)))
        }
        When::By(t) => {
            let reached = |w: &&Workload| {
                w.history
                    .iter()
                    .filter(|(at, _)| *at <= t)
                    .find(|(_, s)| match (s.progress(), state.progress()) {
                        (Some(a), Some(b)) => a >= b,
                        _ => *s == state,
                    })
                    .map(|(at, _)| *at)
            };
            let first = ws.iter().filter_map(reached).min();
            match first {
                Some(at) => (true, format!("reached {} at {at}", state.as_str())),
                None => (
                    false,
                    format!(
                        "not {} by {t}: {}",
                        state.as_str(),
                        describe_states(store, &ws, t, true)
                    ),
                ),
            }
        }
    }
}

/// How a preemption reason reads after "evicted at T by W".
fn preempting(reason: Option<&str>) -> &'static str {
    match reason {
        Some("InClusterQueue") => "preempting within the ClusterQueue by priority",
        Some("InCohortReclamation") => "reclaiming within the cohort",
        Some("InCohortReclaimWhileBorrowing") => "reclaiming within the cohort while borrowing",
        Some("InCohortFairSharing") => "preempting for fair sharing within the cohort",
        _ => "preempting",
    }
}

/// One eviction in words: when, by whom, for which of Kueue's reasons.
fn eviction(store: &Store, e: &EvictionEvent) -> String {
    match e.preemptor {
        Some(p) => {
            let by = store.workloads.get(p).map_or_else(
                || format!("workload {p}"),
                |p| format!("{}/{}", p.namespace, p.pod_name),
            );
            let reason = e.preemption_reason.as_deref().unwrap_or(&e.reason);
            format!(
                "evicted at {} by {by} {} ({reason})",
                e.at,
                preempting(e.preemption_reason.as_deref())
            )
        }
        None if e.reason == "PodsReadyTimeout" => format!(
            "evicted at {}: its pods were not all Ready within the PodsReady timeout (PodsReadyTimeout)",
            e.at
        ),
        None => format!("evicted at {} ({}): {}", e.at, e.reason, e.message),
    }
}

/// What became of a workload after an eviction at `from`, up to `until`: requeued,
/// admitted again, Ready again, or gone with its pod.
fn aftermath(w: &Workload, from: SimTime, until: SimTime) -> Vec<String> {
    let mut out = Vec::new();
    // What follows the eviction's own entry, including what happened at the same instant
    // (a Job's Workload is requeued as soon as it is evicted).
    let after = w
        .history
        .iter()
        .position(|(at, s)| *at == from && *s == WorkloadState::Evicted)
        .map_or(w.history.len(), |i| i + 1);
    let later: Vec<&(SimTime, WorkloadState)> = w
        .history
        .iter()
        .skip(after)
        .take_while(|(at, _)| *at <= until)
        .collect();
    // It ended while evicted, its state staying Evicted: a pod's Workload goes with its pod.
    if later.is_empty() {
        if let Some(end) = w.finished_at.filter(|f| *f >= from && *f <= until) {
            out.push(ended(w, end));
        }
    }
    for (at, s) in later {
        match s {
            WorkloadState::Pending => out.push(format!("requeued at {at}")),
            WorkloadState::Admitted => out.push(format!("admitted again at {at}")),
            WorkloadState::Ready => {
                out.push(format!("Ready again at {at}"));
                break;
            }
            WorkloadState::Finished => {
                out.push(ended(w, *at));
                break;
            }
            WorkloadState::Evicted | WorkloadState::Absent => break,
        }
    }
    out
}

/// How a workload's end at `at` reads.
fn ended(w: &Workload, at: SimTime) -> String {
    match w.source {
        // Kueue's pod integration: the Workload ends with its pod, and the owner's
        // replacement pod queues as a new Workload.
        WorkloadSource::Pod(_) | WorkloadSource::PodGroup(_) => {
            format!("ended at {at} with its pod; a replacement queues as a new workload")
        }
        _ => format!("finished at {at}"),
    }
}

/// Kueue's last pending message for a workload at or before `t`, from the event log.
fn pending_message(store: &Store, w: &Workload, t: SimTime) -> Option<String> {
    let object = format!("Workload {}/{}", w.namespace, w.name);
    let since = w
        .history
        .iter()
        .take_while(|(at, _)| *at <= t)
        .filter(|(_, s)| *s != WorkloadState::Pending)
        .last()
        .map_or(SimTime(0), |(at, _)| *at);
    store
        .events
        .iter()
        .take_while(|e| e.t <= t)
        .filter(|e| {
            e.t >= since
                && e.object == object
                && matches!(e.kind.as_str(), "Pending" | "Inadmissible" | "WorkloadDeactivated")
        })
        .last()
        .map(|e| e.message.clone())
}

/// Why a workload is where it is at `t`: each eviction up to then with who evicted it and
/// what followed, and Kueue's pending message when it is pending. Empty when it was
/// never evicted and is not pending.
fn story(store: &Store, w: &Workload, t: SimTime) -> String {
    let evictions: Vec<&EvictionEvent> = w.evictions.iter().filter(|e| e.at <= t).collect();
    let mut parts = Vec::new();
    for (i, e) in evictions.iter().enumerate() {
        let until = evictions.get(i + 1).map_or(t, |next| next.at);
        parts.push(eviction(store, e));
        parts.extend(aftermath(w, e.at, until));
    }
    if w.state_at(t) == WorkloadState::Pending {
        if let Some(m) = pending_message(store, w, t) {
            parts.push(format!("pending at {t}: {m}"));
        }
    }
    parts.join("; ")
}

/// The matching workloads that existed by `t`, or why there are none.
fn existing<'s>(store: &'s Store, name: &str, ns: Option<&str>, t: SimTime) -> Result<Vec<&'s Workload>, String> {
    let ws: Vec<&Workload> = store
        .workloads
        .values()
        .filter(|w| matches(w, name, ns) && w.created <= t)
        .collect();
    if ws.is_empty() {
        let later = store
            .workloads
            .values()
            .filter(|w| matches(w, name, ns))
            .map(|w| w.created)
            .min();
        if let Some(first) = later {
            return Err(format!(
                "no workload matching `{name}` existed by {t} (the first was created at {first})"
            ));
        }
        let names: std::collections::BTreeSet<&str> = store.workloads.values().map(|w| w.owner.as_str()).collect();
        return Err(format!(
            "no workload matching `{name}` ever existed{}",
            did_you_mean(name, names.iter().copied())
        ));
    }
    Ok(ws)
}

/// `pending`, `evictions` and `time_to_ready` of the workloads a name matches.
fn workload_measure(
    store: &Store,
    t: SimTime,
    name: &str,
    ns: Option<&str>,
    measure: &WorkloadMeasure,
    cmp: &Comparison,
) -> (bool, String) {
    let ws = match existing(store, name, ns, t) {
        Ok(ws) => ws,
        Err(why) => return (false, why),
    };
    match measure {
        WorkloadMeasure::Pending => pending_outcome(store, &ws, t, cmp),
        WorkloadMeasure::Evictions { reason } => evictions_outcome(store, &ws, t, reason.as_deref(), cmp),
        WorkloadMeasure::TimeToReady => time_to_ready_outcome(store, &ws, t, cmp),
    }
}

/// The longest time pending among the workloads, with its stretches and their causes
/// when that is too long (or too short).
fn pending_outcome(store: &Store, ws: &[&Workload], t: SimTime, cmp: &Comparison) -> (bool, String) {
    let Some(w) = ws.iter().max_by_key(|w| (w.pending_time(t), std::cmp::Reverse(w.uid))) else {
        return (false, format!("no matching workload existed by {t}"));
    };
    let total = w.pending_time(t);
    let passed = cmp.holds(total.as_secs_f64());
    let mut detail = format!("{} was pending {total} in total by {t}", w.name);
    if ws.len() > 1 {
        detail.push_str(&format!(" (the longest of {} matching workloads)", ws.len()));
    }
    if !passed {
        detail.push_str(&format!(", not {}", cmp.describe(Unit::Duration)));
        let spans: Vec<String> = w
            .pending_spans(t)
            .iter()
            .map(|(from, until)| {
                let still = if *until == t && w.state_at(t) == WorkloadState::Pending {
                    " and still at the instant"
                } else {
                    ""
                };
                format!("{from}–{until} ({}){still}", until.since(*from))
            })
            .collect();
        if !spans.is_empty() {
            detail.push_str(&format!(": pending {}", spans.join(", ")));
        }
        let why = story(store, w, t);
        if !why.is_empty() {
            detail.push_str(&format!("; {why}"));
        }
    }
    (passed, detail)
}

/// Whether an eviction is of the reason asked for: the `Evicted` condition's reason or,
/// for a preemption, the `Preempted` condition's.
fn of_reason(e: &EvictionEvent, reason: Option<&str>) -> bool {
    reason.is_none_or(|r| e.reason == r || e.preemption_reason.as_deref() == Some(r))
}

fn evictions_outcome(
    store: &Store,
    ws: &[&Workload],
    t: SimTime,
    reason: Option<&str>,
    cmp: &Comparison,
) -> (bool, String) {
    let evicted: Vec<(&Workload, &EvictionEvent)> = ws
        .iter()
        .flat_map(|w| w.evictions.iter().map(move |e| (*w, e)))
        .filter(|(_, e)| e.at <= t && of_reason(e, reason))
        .collect();
    let n = evicted.len();
    let passed = cmp.holds(n as f64);
    let of = reason.map(|r| format!(" ({r})")).unwrap_or_default();
    let noun = if n == 1 { "eviction" } else { "evictions" };
    let mut detail = format!("{n} {noun}{of} by {t}");
    if !passed {
        detail.push_str(&format!(", not {}", cmp.describe(Unit::Count)));
    }
    let told: Vec<String> = evicted
        .iter()
        .enumerate()
        .map(|(i, (w, e))| {
            let until = evicted
                .get(i + 1)
                .filter(|(next, _)| next.uid == w.uid)
                .map_or(t, |(_, next)| next.at);
            let mut parts = vec![format!("{} {}", w.name, eviction(store, e))];
            parts.extend(aftermath(w, e.at, until));
            parts.join("; ")
        })
        .collect();
    if !told.is_empty() {
        detail.push_str(&format!(": {}", told.join("; ")));
    }
    (passed, detail)
}

fn time_to_ready_outcome(store: &Store, ws: &[&Workload], t: SimTime, cmp: &Comparison) -> (bool, String) {
    // A workload still there and never Ready has no time to Ready yet: the expectation
    // cannot hold for it. One that ended without being Ready (a preempted pod's, replaced
    // by a new workload) is left out, as its replacement is matched instead.
    let unready: Vec<&&Workload> = ws
        .iter()
        .filter(|w| w.first_ready(t).is_none() && w.finished_at.is_none_or(|f| f > t))
        .collect();
    if !unready.is_empty() {
        let told: Vec<String> = unready
            .iter()
            .map(|w| {
                let why = story(store, w, t);
                let state = w.state_at(t).as_str();
                let created = w.created;
                if why.is_empty() {
                    format!("{} was not Ready by {t} (created at {created}, {state})", w.name)
                } else {
                    format!("{} was not Ready by {t} (created at {created}, {state}: {why})", w.name)
                }
            })
            .collect();
        return (false, told.join("; "));
    }
    let slowest = ws
        .iter()
        .filter_map(|w| w.first_ready(t).map(|r| (r.since(w.created), *w)))
        .max_by_key(|(d, w)| (*d, std::cmp::Reverse(w.uid)));
    let Some((d, w)) = slowest else {
        return (false, format!("no matching workload was ever Ready by {t}"));
    };
    let passed = cmp.holds(d.as_secs_f64());
    let mut detail = format!(
        "{} was Ready {d} after its creation (created at {}, Ready at {})",
        w.name,
        w.created,
        w.created + d
    );
    if ws.len() > 1 {
        detail.push_str(&format!("; the slowest of {} matching workloads", ws.len()));
    }
    if !passed {
        detail.push_str(&format!("; not {}", cmp.describe(Unit::Duration)));
        let why = story(store, w, t);
        if !why.is_empty() {
            detail.push_str(&format!(": {why}"));
        }
    }
    (passed, detail)
}

/// The one record of `items` a service name (and namespace) picks, or why there is none.
fn pick<'r, T>(
    items: impl Iterator<Item = (&'r str, &'r str, &'r T)>,
    service: &str,
    ns: Option<&str>,
    what: &str,
) -> Result<&'r T, String> {
    let all: Vec<(&str, &str, &T)> = items.collect();
    let found: Vec<&(&str, &str, &T)> = all
        .iter()
        .filter(|(name, namespace, _)| *name == service && ns.is_none_or(|n| n == *namespace))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.2),
        [] => {
            let elsewhere: Vec<&str> = all
                .iter()
                .filter(|(n, _, _)| *n == service)
                .map(|(_, ns, _)| *ns)
                .collect();
            let near = if elsewhere.is_empty() {
                let names: std::collections::BTreeSet<&str> = all.iter().map(|(n, _, _)| *n).collect();
                did_you_mean(service, names)
            } else {
                format!(" (it is in namespace {})", elsewhere.join(", "))
            };
            Err(format!(
                "no {what} `{service}`{}{near}",
                ns.map(|n| format!(" in namespace {n}")).unwrap_or_default(),
            ))
        }
        several => Err(format!(
            "{what} `{service}` exists in namespaces {}; give `namespace:`",
            several.iter().map(|(_, n, _)| *n).collect::<Vec<_>>().join(", ")
        )),
    }
}

fn clock(s: f64) -> SimTime {
    SimTime((s * 1000.0).round().max(0.0) as u64)
}

/// A service's outages up to `t`, clipped to it: (from, until) in seconds.
fn outages_until(isvc: &InferenceServiceRecord, t: SimTime) -> Vec<(f64, f64)> {
    let end = t.as_secs_f64();
    isvc.outages
        .iter()
        .filter(|o| o.from_s < end)
        .map(|o| (o.from_s, o.to_s.unwrap_or(end).min(end)))
        .collect()
}

fn describe_outages(outages: &[(f64, f64)]) -> String {
    outages
        .iter()
        .map(|(from, until)| {
            format!(
                "{}–{} ({})",
                clock(*from),
                clock(*until),
                clock(*until).since(clock(*from))
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The evictions of a service's workloads up to `t`: often why it went down.
fn service_evictions(store: &Store, service: &str, ns: Option<&str>, t: SimTime) -> Vec<String> {
    store
        .workloads
        .values()
        .filter(|w| matches(w, service, ns))
        .flat_map(|w| {
            w.evictions
                .iter()
                .filter(|e| e.at <= t)
                .map(move |e| format!("{} {}", w.name, eviction(store, e)))
        })
        .collect()
}

fn isvcs(report: &Report) -> impl Iterator<Item = (&str, &str, &InferenceServiceRecord)> {
    report
        .inference_services
        .iter()
        .map(|i| (i.name.as_str(), i.namespace.as_str(), i))
}

/// The models' entries by service name: report.json keys them by name, or by
/// `namespace/name` when two namespaces hold services of one name.
fn models(report: &Report) -> impl Iterator<Item = (&str, &str, &ModelReport)> {
    report.models.iter().map(|(key, m)| {
        let name = key
            .strip_prefix(m.namespace.as_str())
            .and_then(|k| k.strip_prefix('/'))
            .unwrap_or(key);
        (name, m.namespace.as_str(), m)
    })
}

fn service_measure(
    store: &Store,
    report: &Report,
    t: SimTime,
    service: &str,
    ns: Option<&str>,
    measure: &ServiceMeasure,
    cmp: &Comparison,
) -> (bool, String) {
    match measure {
        ServiceMeasure::Downtime => {
            let isvc = match pick(isvcs(report), service, ns, "InferenceService") {
                Ok(i) => i,
                Err(why) => return (false, why),
            };
            let Some(first) = isvc.first_ready_s.filter(|f| *f <= t.as_secs_f64()) else {
                return (
                    false,
                    format!("{service} never had a ready replica by {t}, so it has no downtime to measure"),
                );
            };
            let outages = outages_until(isvc, t);
            let down: f64 = outages.iter().map(|(from, until)| until - from).sum::<f64>() + 0.0;
            let passed = cmp.holds(down);
            let mut detail = format!(
                "{service} was down {} by {t} (first ready at {})",
                Unit::Duration.show(down),
                clock(first)
            );
            if !outages.is_empty() {
                detail.push_str(&format!(": no ready replica {}", describe_outages(&outages)));
            }
            if !passed {
                detail = format!("{detail}; not {}", cmp.describe(Unit::Duration));
                let evicted = service_evictions(store, service, ns, t);
                if !evicted.is_empty() {
                    detail.push_str(&format!("; {}", evicted.join("; ")));
                }
            }
            (passed, detail)
        }
        ServiceMeasure::Failed { reason } => {
            let m = match pick(models(report), service, ns, "service with traffic") {
                Ok(m) => m,
                Err(why) => return (false, why),
            };
            let n = match reason {
                Some(r) => m.failed_by_reason.get(r).copied().unwrap_or(0),
                None => m.failed,
            };
            let passed = cmp.holds(n as f64);
            let of = reason.as_ref().map(|r| format!(" with {r}")).unwrap_or_default();
            let mut detail = format!("{n} of {} requests to {service} failed{of}", m.requests);
            let by_reason: Vec<String> = m.failed_by_reason.iter().map(|(r, k)| format!("{r}: {k}")).collect();
            if !by_reason.is_empty() {
                detail.push_str(&format!(" ({})", by_reason.join(", ")));
            }
            if !passed {
                detail.push_str(&format!("; not {}", cmp.describe(Unit::Count)));
                if let Ok(isvc) = pick(isvcs(report), service, ns, "InferenceService") {
                    let outages = outages_until(isvc, t);
                    if !outages.is_empty() {
                        detail.push_str(&format!("; no ready replica {}", describe_outages(&outages)));
                    }
                }
            }
            (passed, detail)
        }
        ServiceMeasure::SloAttainment => {
            let m = match pick(models(report), service, ns, "service with traffic") {
                Ok(m) => m,
                Err(why) => return (false, why),
            };
            let Some(slo) = &m.slo else {
                return (false, format!("{service} has no SLO in report.json"));
            };
            let Some(a) = slo.attainment else {
                return (
                    false,
                    format!("no request to {service} completed or failed, so it has no SLO attainment"),
                );
            };
            let passed = cmp.holds(a);
            let mut detail = format!(
                "SLO attainment of {service} was {} ({} good of {} completed and {} failed requests)",
                Unit::Fraction.show(a),
                slo.good_requests,
                m.completed,
                m.failed
            );
            if !passed {
                detail.push_str(&format!(", not {}", cmp.describe(Unit::Fraction)));
                let terms: Vec<String> = slo
                    .terms
                    .iter()
                    .map(|(k, term)| {
                        let actual = term.actual_ms.map_or("none".to_string(), |x| format!("{x} ms"));
                        let met = if term.met { "met" } else { "missed" };
                        format!("{k} {actual} against {} ms, {met}", term.target_ms)
                    })
                    .collect();
                if !terms.is_empty() {
                    detail.push_str(&format!(": {}", terms.join("; ")));
                }
            }
            (passed, detail)
        }
    }
}

fn deadlock_outcome(deadlocks: &[Deadlock], when: &When, want_detected: bool) -> (bool, String) {
    let (active, t): (Vec<&Deadlock>, SimTime) = match *when {
        When::At(t) => (
            deadlocks
                .iter()
                .filter(|d| d.detected <= t && d.resolved.is_none_or(|r| r > t))
                .collect(),
            t,
        ),
        When::By(t) => (deadlocks.iter().filter(|d| d.detected <= t).collect(), t),
    };
    let detail = if active.is_empty() {
        format!("no deadlock at {t}")
    } else {
        format!(
            "deadlock detected at {}: {}",
            active[0].detected,
            active[0].found.pods.iter().cloned().collect::<Vec<_>>().join(", ")
        )
    };
    (active.is_empty() != want_detected, detail)
}

/// Looks up a dotted path in report.json; list items are addressed by index or by
/// their `name` field (`workloads.devstral-2.admitted_s`).
pub(crate) fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    let parts: Vec<&str> = path.split('.').collect();
    let mut i = 0;
    while i < parts.len() {
        let p = parts[i];
        cur = match cur {
            Value::Object(m) => {
                // Keys may themselves contain dots (e.g. nvidia.com/gpu): try longest first.
                let mut found = None;
                for j in (i..parts.len()).rev() {
                    let key = parts[i..=j].join(".");
                    if let Some(x) = m.get(&key) {
                        found = Some((x, j));
                        break;
                    }
                }
                let (x, j) = found?;
                i = j;
                x
            }
            Value::Array(a) => match p.parse::<usize>() {
                Ok(idx) => a.get(idx)?,
                Err(_) => a.iter().find(|x| {
                    x.get("name").and_then(Value::as_str) == Some(p)
                        || x.get("owner").and_then(Value::as_str) == Some(p)
                })?,
            },
            _ => return None,
        };
        i += 1;
    }
    Some(cur)
}

/// Evaluates every expectation: states and measures from the run's store, service
/// measures from the typed report, metrics from its JSON form.
pub fn evaluate(
    store: &Store,
    deadlocks: &[Deadlock],
    report: &Report,
    as_json: &Value,
    expectations: &[Expectation],
) -> Vec<Outcome> {
    expectations
        .iter()
        .map(|e| {
            let t = e.when.instant();
            let (passed, detail) = match &e.kind {
                ExpectKind::WorkloadState {
                    workload,
                    namespace,
                    state,
                } => workload_outcome(store, &e.when, workload, namespace.as_deref(), *state),
                ExpectKind::Workload {
                    workload,
                    namespace,
                    measure,
                    cmp,
                } => workload_measure(store, t, workload, namespace.as_deref(), measure, cmp),
                ExpectKind::Service {
                    service,
                    namespace,
                    measure,
                    cmp,
                } => service_measure(store, report, t, service, namespace.as_deref(), measure, cmp),
                ExpectKind::Deadlock { detected } => deadlock_outcome(deadlocks, &e.when, *detected),
                ExpectKind::Metric { path, cmp } => match lookup(as_json, path).and_then(Value::as_f64) {
                    None => (false, format!("report.json has no number at `{path}`")),
                    Some(v) => (cmp.holds(v), format!("{path} = {v}")),
                },
            };
            Outcome {
                expectation: e.clone(),
                passed,
                detail,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{Outage, Slo, SloTermRecord};
    use crate::store::{JobId, LogEvent, PodId, WorkloadId};
    use crate::units::SimDuration;
    use serde_json::json;

    const MIN: u64 = 60_000;

    fn at(min: u64, sec: u64) -> SimTime {
        SimTime(min * MIN + sec * 1000)
    }

    /// A workload of `source` with its state history and evictions, as the run would
    /// have recorded them.
    fn workload(
        store: &mut Store,
        (ns, name, owner): (&str, &str, &str),
        source: WorkloadSource,
        history: &[(SimTime, WorkloadState)],
        evictions: Vec<EvictionEvent>,
    ) -> WorkloadId {
        let id: WorkloadId = store.alloc();
        let w = Workload {
            uid: id,
            namespace: ns.into(),
            name: name.into(),
            owner: owner.into(),
            pod_name: owner.into(),
            history: history.to_vec(),
            evictions,
            ..Workload::queued(source, history.first().map_or(SimTime(0), |h| h.0))
        };
        store.workloads.insert(id, w);
        id
    }

    /// The story of the problem users found: `nightly`, admitted at 0, is evicted at 10:00
    /// by chat's assistant reclaiming its GPUs, and admitted again at 30:05; `slow` is
    /// admitted at 1:00 and never Ready; `flaky` is evicted by a PodsReady timeout.
    fn cluster() -> Store {
        use WorkloadState::*;
        let mut store = Store::new(crate::catalog::Catalog::bundled());
        let assistant = workload(
            &mut store,
            ("chat", "pod-assistant-1", "assistant"),
            WorkloadSource::Pod(PodId::from_raw(900)),
            &[(at(10, 0), Pending), (at(10, 0), Admitted), (at(10, 5), Ready)],
            vec![],
        );
        let nightly = [
            (at(0, 0), Pending),
            (at(0, 0), Admitted),
            (at(0, 5), Ready),
            (at(10, 0), Evicted),
            (at(10, 0), Pending),
            (at(30, 5), Admitted),
            (at(30, 10), Ready),
        ];
        workload(
            &mut store,
            ("research", "job-nightly-1", "nightly"),
            WorkloadSource::Job(JobId::from_raw(901)),
            &nightly,
            vec![EvictionEvent {
                at: at(10, 0),
                reason: "Preempted".into(),
                preemption_reason: Some("InCohortReclamation".into()),
                preemptor: Some(assistant),
                message: "Preempted to accommodate a workload (UID: 1, JobUID: 2) due to reclamation within the cohort"
                    .into(),
            }],
        );
        store.events.push(LogEvent {
            t: at(10, 0),
            kind: "Pending".into(),
            object: "Workload research/job-nightly-1".into(),
            message: "insufficient unused quota for nvidia.com/gpu in flavor l4, 4 more needed".into(),
        });
        workload(
            &mut store,
            ("research", "job-slow-1", "slow"),
            WorkloadSource::Job(JobId::from_raw(902)),
            &[(at(0, 0), Pending), (at(1, 0), Admitted)],
            vec![],
        );
        workload(
            &mut store,
            ("research", "job-flaky-1", "flaky"),
            WorkloadSource::Job(JobId::from_raw(903)),
            &[
                (at(0, 0), Pending),
                (at(0, 0), Admitted),
                (at(5, 0), Evicted),
                (at(5, 0), Pending),
            ],
            vec![EvictionEvent {
                at: at(5, 0),
                reason: "PodsReadyTimeout".into(),
                preemption_reason: None,
                preemptor: None,
                message: "Exceeded the PodsReady timeout research/job-flaky-1".into(),
            }],
        );
        store
    }

    /// `chat` went down from 12:00 to 38:00 and lost 1,884 of 2,648 requests to it.
    fn report() -> Report {
        let mut r = Report::default();
        r.inference_services.push(InferenceServiceRecord {
            name: "chat".into(),
            namespace: "private-ai".into(),
            first_ready_s: Some(450.0),
            downtime_s: 1560.0,
            outages: vec![Outage {
                from_s: 720.0,
                to_s: Some(2280.0),
            }],
            ..Default::default()
        });
        r.inference_services.push(InferenceServiceRecord {
            name: "idle".into(),
            namespace: "private-ai".into(),
            ..Default::default()
        });
        let slo = Slo {
            terms: [(
                "ttft_p95".to_string(),
                SloTermRecord {
                    target_ms: 2000.0,
                    actual_ms: Some(30000.0),
                    met: false,
                    attainment: Some(0.9),
                },
            )]
            .into_iter()
            .collect(),
            good_requests: 700,
            attainment: Some(700.0 / 2648.0),
            goodput_rps: 0.2,
        };
        r.models.insert(
            "chat".into(),
            ModelReport {
                namespace: "private-ai".into(),
                requests: 2648,
                completed: 764,
                failed: 1884,
                failed_by_reason: [("no_ready_replica_503".to_string(), 1884)].into_iter().collect(),
                slo: Some(slo),
                ..Default::default()
            },
        );
        r
    }

    fn decode(entry: &str) -> Expectation {
        let file: std::sync::Arc<str> = std::sync::Arc::from("s.yaml");
        let docs = crate::manifest::yaml::parse_documents(&file, entry).unwrap_or_else(|e| panic!("{e}"));
        let node = &docs.first().unwrap_or_else(|| panic!("no document in {entry}")).root;
        let cx = super::super::expectation::Context {
            duration: SimDuration(60 * MIN),
            has_slo: true,
            traffic: vec![("chat", None)],
        };
        super::super::expectation::decode(node, &cx).unwrap_or_else(|e| panic!("{entry}: {e}"))
    }

    #[test]
    fn each_form_measures_what_it_says_and_a_failure_says_why() {
        let store = cluster();
        let report = report();
        // (entry, holds, what the detail must say)
        let cases: &[(&str, bool, &str)] = &[
            // The gate users had: it passes, as it always did.
            ("{by: 30m, workload: nightly, state: Admitted}", true, "reached Admitted at 00:00:00"),
            // A state that fails says who evicted it and what Kueue says now.
            (
                "{at: 20m, workload: nightly, state: Admitted}",
                false,
                "job-nightly-1 was Pending (evicted at 00:10:00 by chat/assistant reclaiming within the cohort (InCohortReclamation); requeued at 00:10:00; pending at 00:20:00: insufficient unused quota",
            ),
            (
                "{by: 5m, workload: slow, state: Ready}",
                false,
                "not Ready by 00:05:00: job-slow-1 was Admitted",
            ),
            // pending: every stretch together, up to the instant.
            ("{workload: nightly, pending: {below: 30m}}", true, "pending 20m5s in total by 01:00:00"),
            (
                "{workload: nightly, pending: {below: 15m}}",
                false,
                "pending 20m5s in total by 01:00:00, not below 15m: pending 00:10:00–00:30:05 (20m5s); evicted at 00:10:00 by chat/assistant reclaiming within the cohort (InCohortReclamation); requeued at 00:10:00; admitted again at 00:30:05; Ready again at 00:30:10",
            ),
            (
                "{at: 20m, workload: nightly, pending: {equals: 10m}}",
                true,
                "pending 10m in total by 00:20:00",
            ),
            ("{by: 10m, workload: nightly, pending: {equals: 0}}", true, "pending 0s"),
            ("{workload: slow, pending: {above: 59s}}", true, "job-slow-1 was pending 1m"),
            // evictions: all of them, or of one reason at either of Kueue's two levels.
            (
                "{workload: nightly, evictions: {equals: 0}}",
                false,
                "1 eviction by 01:00:00, not equal to 0: job-nightly-1 evicted at 00:10:00 by chat/assistant reclaiming within the cohort (InCohortReclamation); requeued at 00:10:00; admitted again at 00:30:05",
            ),
            ("{at: 9m, workload: nightly, evictions: {equals: 0}}", true, "0 evictions by 00:09:00"),
            (
                "{workload: nightly, evictions: {equals: 1, reason: Preempted}}",
                true,
                "1 eviction (Preempted)",
            ),
            (
                "{workload: nightly, evictions: {equals: 1, reason: InCohortReclamation}}",
                true,
                "1 eviction (InCohortReclamation)",
            ),
            (
                "{workload: nightly, evictions: {equals: 0, reason: PodsReadyTimeout}}",
                true,
                "0 evictions (PodsReadyTimeout)",
            ),
            (
                "{workload: flaky, evictions: {below: 1}}",
                false,
                "job-flaky-1 evicted at 00:05:00: its pods were not all Ready within the PodsReady timeout (PodsReadyTimeout); requeued at 00:05:00",
            ),
            // A name that matches nothing never passes, whatever the bound.
            (
                "{workload: nigthly, evictions: {equals: 0}}",
                false,
                "no workload matching `nigthly` ever existed (did you mean `nightly`?)",
            ),
            (
                "{at: 5m, workload: assistant, evictions: {equals: 0}}",
                false,
                "no workload matching `assistant` existed by 00:05:00 (the first was created at 00:10:00)",
            ),
            // time_to_ready: creation to first Ready; never Ready fails and says where it is.
            (
                "{workload: nightly, time_to_ready: {below: 10s}}",
                true,
                "job-nightly-1 was Ready 5s after its creation",
            ),
            (
                "{workload: assistant, time_to_ready: {above: 1m}}",
                false,
                "Ready 5s after its creation (created at 00:10:00, Ready at 00:10:05); not above 1m",
            ),
            (
                "{workload: slow, time_to_ready: {below: 1h}}",
                false,
                "job-slow-1 was not Ready by 01:00:00 (created at 00:00:00, Admitted)",
            ),
            // downtime: outages after first serving, clipped to the instant.
            ("{service: chat, downtime: {below: 30m}}", true, "chat was down 26m by 01:00:00"),
            (
                "{at: 20m, service: chat, downtime: {equals: 8m}}",
                true,
                "no ready replica 00:12:00–00:20:00 (8m)",
            ),
            (
                "{service: chat, downtime: {below: 5m}}",
                false,
                "not below 5m",
            ),
            (
                "{service: idle, downtime: {below: 5m}}",
                false,
                "idle never had a ready replica by 01:00:00",
            ),
            (
                "{service: chta, downtime: {below: 5m}}",
                false,
                "no InferenceService `chta` (did you mean `chat`?)",
            ),
            (
                "{service: chat, namespace: team-a, downtime: {below: 5m}}",
                false,
                "no InferenceService `chat` in namespace team-a (it is in namespace private-ai)",
            ),
            // failed requests, in total or of one reason.
            (
                "{service: chat, failed: {below: 10}}",
                false,
                "1884 of 2648 requests to chat failed (no_ready_replica_503: 1884); not below 10; no ready replica 00:12:00–00:38:00 (26m)",
            ),
            (
                "{service: chat, failed: {equals: 0, reason: replica_terminated}}",
                true,
                "0 of 2648 requests to chat failed with replica_terminated",
            ),
            // SLO attainment, with the terms that missed.
            ("{service: chat, slo_attainment: {below: 0.5}}", true, "SLO attainment of chat was 0.2644"),
            (
                "{service: chat, slo_attainment: {above: 0.99}}",
                false,
                "not above 0.99: ttft_p95 30000 ms against 2000 ms, missed",
            ),
        ];
        for (entry, holds, says) in cases {
            let e = decode(entry);
            let out = evaluate(&store, &[], &report, &json!({}), std::slice::from_ref(&e));
            let o = out.first().unwrap_or_else(|| panic!("{entry}: no outcome"));
            assert_eq!(o.passed, *holds, "{entry}: {}", o.detail);
            assert!(o.detail.contains(says), "{entry}:\n  got  {}\n  want {says}", o.detail);
        }
    }

    #[test]
    fn a_name_labels_the_expectation() {
        let named = decode("{name: nightly keeps its GPUs, workload: nightly, evictions: {equals: 0}}");
        assert_eq!(named.name.as_deref(), Some("nightly keeps its GPUs"));
        assert_eq!(named.label(), "nightly keeps its GPUs");
        let plain = decode("{workload: nightly, evictions: {equals: 0}}");
        assert_eq!(plain.label(), plain.text);
    }

    #[test]
    fn pending_stretches_add_up_to_the_instant() {
        let store = cluster();
        let nightly = store
            .workloads
            .values()
            .find(|w| w.owner == "nightly")
            .unwrap_or_else(|| panic!("no nightly"));
        // (instant, stretches, total)
        let cases = [
            (at(5, 0), vec![], SimDuration(0)),
            (at(20, 0), vec![(at(10, 0), at(20, 0))], SimDuration(10 * MIN)),
            (at(60, 0), vec![(at(10, 0), at(30, 5))], SimDuration(20 * MIN + 5000)),
        ];
        for (t, spans, total) in cases {
            assert_eq!(nightly.pending_spans(t), spans, "at {t}");
            assert_eq!(nightly.pending_time(t), total, "at {t}");
        }
        assert_eq!(nightly.first_ready(at(60, 0)), Some(at(0, 5)));
    }

    #[test]
    fn report_paths_resolve_through_lists_and_dotted_keys() {
        let r = json!({"workloads": [{"name": "a", "owner": "devstral-2", "admitted_s": 12.0}],
                       "cluster_queues": [{"name": "q", "quota": {"nvidia-l4-4gpu": {"nvidia.com/gpu": 4}}}]});
        assert_eq!(lookup(&r, "workloads.devstral-2.admitted_s"), Some(&json!(12.0)));
        assert_eq!(lookup(&r, "workloads.0.name"), Some(&json!("a")));
        assert_eq!(
            lookup(&r, "cluster_queues.q.quota.nvidia-l4-4gpu.nvidia.com/gpu"),
            Some(&json!(4))
        );
        assert_eq!(lookup(&r, "nope"), None);
    }
}
