//! Evaluating a Scenario's `expect:` entries against a finished run.

use super::document::{Comparison, ExpectKind, Expectation, When};
use crate::analysis::deadlock::Deadlock;
use crate::store::{Store, Workload, WorkloadState};
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

fn describe_states(ws: &[&Workload], t: SimTime) -> String {
    if ws.is_empty() {
        return "no matching workload ever existed".into();
    }
    ws.iter()
        .map(|w| format!("{} was {}", w.name, w.state_at(t).as_str()))
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
            (passed, format!("at {t}: {}", describe_states(&ws, t)))
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
                    format!("not {} by {t}: {}", state.as_str(), describe_states(&ws, t)),
                ),
            }
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

pub fn evaluate(store: &Store, deadlocks: &[Deadlock], report: &Value, expectations: &[Expectation]) -> Vec<Outcome> {
    expectations
        .iter()
        .map(|e| {
            let (passed, detail) = match &e.kind {
                ExpectKind::WorkloadState {
                    workload,
                    namespace,
                    state,
                } => workload_outcome(store, &e.when, workload, namespace.as_deref(), *state),
                ExpectKind::Deadlock { detected } => deadlock_outcome(deadlocks, &e.when, *detected),
                ExpectKind::Metric { path, cmp } => match lookup(report, path).and_then(Value::as_f64) {
                    None => (false, format!("report.json has no number at `{path}`")),
                    Some(v) => {
                        let ok = match cmp {
                            Comparison::Below(x) => v < *x,
                            Comparison::Above(x) => v > *x,
                            Comparison::Equals(x) => (v - x).abs() < 1e-9,
                        };
                        (ok, format!("{path} = {v}"))
                    }
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
    use serde_json::json;

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
