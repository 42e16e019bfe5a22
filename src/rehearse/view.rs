//! What the audience of a rehearsal sees at the current instant, as one JSON document: the
//! live page (`live.html`) draws it, `/state` returns it.
//!
//! The shape (`/state`, and each `state` event of `/events`):
//!
//! ```text
//! {
//!   "scenario": "handover",
//!   "clock": {"now_ms": 725000, "now": "00:12:05", "end_ms": 2700000, "end": "00:45:00",
//!             "speed": 600.0, "paused": false, "finished": false},
//!   "pods": [{"namespace", "name", "ready", "status", "restarts", "age", "node"}],
//!   "pods_total": 5,
//!   "workloads": [{"namespace", "name", "queue", "reserved_in", "admitted", "finished", "age"}],
//!   "quota": [{"cluster_queue", "cohort", "flavor", "resource", "nominal", "borrowing_limit",
//!              "usage", "nominal_value", "borrowing_limit_value", "usage_value"}],
//!   "serving": [{"namespace", "model", "ready_replicas", "in_flight", "held",
//!                "ttft_count", "ttft_p50_ms", "ttft_p95_ms"}],
//!   "timeline": {"total": 14, "next": 7, "next_at_ms": 725000, "countdown_ms": 40000,
//!                "entries": [{"index", "at_ms", "at", "command", "done"}]},
//!   "outputs": [{"at_ms", "at", "command", "output"}]
//! }
//! ```
//!
//! Pods and workloads are `oc get pods -A -o wide` and `oc get workloads -A` as the
//! printers print them (the cells are the very strings, so STATUS reads as `oc` shows it);
//! `admitted` and `finished` are `True` or empty, as there. Quota is per ClusterQueue,
//! flavor and resource: the text as `oc describe clusterqueue` prints it, and the amounts
//! as numbers for bars (`borrowing_limit` null when none is set). `ttft_*` are over the
//! requests whose first token came in the last simulated minute (null when none). The
//! lists are capped (`MAX_PODS`, `TIMELINE_BEFORE`/`TIMELINE_AFTER`, `OUTPUTS`) so that a
//! fleet's snapshot stays small enough to send several times a second.

use crate::engine::Engine;
use crate::scenario::document::TimelineEntry;
use crate::scenario::kubectl::{Columns, Kind, Query, Row};
use crate::scenario::run::Transcript;
use crate::scenario::serve::ModelLive;
use crate::units::{Quantity, SimTime};
use serde_json::{json, Value};

/// Pods listed at most; `pods_total` says how many there are.
pub(crate) const MAX_PODS: usize = 500;
/// Timeline entries listed before the next one and from it on.
pub(crate) const TIMELINE_BEFORE: usize = 20;
pub(crate) const TIMELINE_AFTER: usize = 50;
/// The last command outputs listed.
pub(crate) const OUTPUTS: usize = 8;

/// What a snapshot is built from: the simulation at the current instant and how the
/// rehearsal plays it.
pub(crate) struct Frame<'a> {
    pub engine: &'a Engine,
    pub scenario: &'a str,
    /// The rehearsal's clock: the instant done last, or later while the clock runs on
    /// towards the next one.
    pub now: SimTime,
    pub end: SimTime,
    /// The scenario's timeline and the index of the next entry to run (its length when
    /// all have run).
    pub timeline: &'a [TimelineEntry],
    pub next: usize,
    /// Every command run so far with its output.
    pub transcript: &'a [Transcript],
    /// `LiveServing::recent` at the current instant.
    pub serving: &'a [ModelLive],
    pub speed: f64,
    pub paused: bool,
    /// The rehearsal has ended: nothing more will change.
    pub finished: bool,
}

/// The document described at the top of this file.
pub(crate) fn snapshot(f: &Frame) -> Value {
    let now = f.now;
    let (pods, pods_total) = pods(f.engine);
    json!({
        "scenario": f.scenario,
        "clock": {
            "now_ms": now.0,
            "now": now.to_string(),
            "end_ms": f.end.0,
            "end": f.end.to_string(),
            "speed": f.speed,
            "paused": f.paused,
            "finished": f.finished,
        },
        "pods": pods,
        "pods_total": pods_total,
        "workloads": workloads(f.engine),
        "quota": quota(f.engine),
        "serving": f.serving.iter().map(serving).collect::<Vec<_>>(),
        "timeline": timeline(f.timeline, f.next, now),
        "outputs": outputs(f.transcript),
    })
}

/// `oc get`'s rows of `kind` in every namespace, with the columns of `columns`.
fn get_rows(engine: &Engine, kind: Kind, columns: Columns) -> (&'static [&'static str], Vec<Row>) {
    match Query::new(None, &[], None, columns) {
        Ok(q) => kind.kubectl().rows(engine.store(), &q),
        // No selector is given, so nothing can be refused.
        Err(_) => (&[], Vec::new()),
    }
}

/// The row's cells under `columns` of the header, keyed by `keys`, with its namespace.
fn pick(header: &[&str], row: Row, fields: &[(&str, &str)]) -> Value {
    let mut o = serde_json::Map::new();
    o.insert("namespace".into(), row.namespace.into());
    for (key, column) in fields {
        let cell = header
            .iter()
            .position(|h| h == column)
            .and_then(|i| row.cells.get(i))
            .cloned()
            .unwrap_or_default();
        o.insert((*key).into(), cell.into());
    }
    o.into()
}

fn pods(engine: &Engine) -> (Vec<Value>, usize) {
    let (header, rows) = get_rows(engine, Kind::Pod, Columns::Wide);
    let total = rows.len();
    let fields = [
        ("name", "NAME"),
        ("ready", "READY"),
        ("status", "STATUS"),
        ("restarts", "RESTARTS"),
        ("age", "AGE"),
        ("node", "NODE"),
    ];
    let pods = rows
        .into_iter()
        .take(MAX_PODS)
        .map(|r| pick(header, r, &fields))
        .collect();
    (pods, total)
}

fn workloads(engine: &Engine) -> Vec<Value> {
    let (header, rows) = get_rows(engine, Kind::Workload, Columns::Default);
    let fields = [
        ("name", "NAME"),
        ("queue", "QUEUE"),
        ("reserved_in", "RESERVED IN"),
        ("admitted", "ADMITTED"),
        ("finished", "FINISHED"),
        ("age", "AGE"),
    ];
    rows.into_iter().map(|r| pick(header, r, &fields)).collect()
}

/// An amount as a number, for a bar: cores, bytes, GPUs.
fn value(q: Quantity) -> f64 {
    q.milli() as f64 / 1000.0
}

/// Each ClusterQueue's quota and what Kueue's cache counts in use, per flavor and
/// resource, in the order of its resource groups.
fn quota(engine: &Engine) -> Vec<Value> {
    let cache = &engine.kueue().cache;
    let mut out = Vec::new();
    for cq in engine.store().cluster_queues.values() {
        for f in cq.resource_groups.iter().flat_map(|g| &g.flavors) {
            for r in &f.resources {
                let usage = cache.usage_of(&cq.name, &f.name, &r.name);
                out.push(json!({
                    "cluster_queue": cq.name,
                    "cohort": cq.cohort,
                    "flavor": f.name,
                    "resource": r.name,
                    "nominal": r.nominal.to_string(),
                    "borrowing_limit": r.borrowing_limit.map(|b| b.to_string()),
                    "usage": usage.to_string(),
                    "nominal_value": value(r.nominal),
                    "borrowing_limit_value": r.borrowing_limit.map(value),
                    "usage_value": value(usage),
                }));
            }
        }
    }
    out
}

fn serving(m: &ModelLive) -> Value {
    json!({
        "namespace": m.namespace,
        "model": m.name,
        "ready_replicas": m.ready_replicas,
        "in_flight": m.on_replicas + m.held,
        "held": m.held,
        "ttft_count": m.ttft.map_or(0, |t| t.count),
        "ttft_p50_ms": m.ttft.map(|t| t.p50_ms),
        "ttft_p95_ms": m.ttft.map(|t| t.p95_ms),
    })
}

/// The entries around the next one, which have run, and the time to the next.
fn timeline(entries: &[TimelineEntry], next: usize, now: SimTime) -> Value {
    let next = next.min(entries.len());
    let from = next.saturating_sub(TIMELINE_BEFORE);
    let until = next.saturating_add(TIMELINE_AFTER).min(entries.len());
    let listed: Vec<Value> = entries
        .get(from..until)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, e)| {
            json!({
                "index": from + i,
                "at_ms": e.at.0,
                "at": e.at.to_string(),
                "command": e.text,
                "done": from + i < next,
            })
        })
        .collect();
    let upcoming = entries.get(next);
    json!({
        "total": entries.len(),
        "next": upcoming.map(|_| next),
        "next_at_ms": upcoming.map(|e| e.at.0),
        "countdown_ms": upcoming.map(|e| e.at.since(now).0),
        "entries": listed,
    })
}

/// The last commands run and what they printed, oldest first.
fn outputs(transcript: &[Transcript]) -> Vec<Value> {
    transcript
        .iter()
        .skip(transcript.len().saturating_sub(OUTPUTS))
        .map(|t| {
            json!({
                "at_ms": t.t.0,
                "at": t.t.to_string(),
                "command": t.command,
                "output": t.output,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::run::RunResult;
    use crate::serving::recent::RecentTtft;
    use std::path::PathBuf;
    use std::sync::OnceLock;

    /// The bundled handover demo, run to its end once for the tests.
    fn handover() -> &'static RunResult {
        static RUN: OnceLock<Option<RunResult>> = OnceLock::new();
        let run = RUN.get_or_init(|| {
            let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/gpuaas-demo/handover.yaml");
            let prepared = crate::scenario::run::discover(&[path]).ok()?.pop()?;
            crate::scenario::run::run(prepared, &crate::progress::Progress::default()).ok()
        });
        match run {
            Some(r) => r,
            None => panic!("the handover demo does not run"),
        }
    }

    fn frame<'a>(r: &'a RunResult, next: usize, transcript: &'a [Transcript], serving: &'a [ModelLive]) -> Frame<'a> {
        Frame {
            engine: &r.engine,
            scenario: &r.prepared.scenario.name,
            now: r.engine.now(),
            end: SimTime(r.prepared.scenario.duration.0),
            timeline: &r.prepared.scenario.timeline,
            next,
            transcript,
            serving,
            speed: 600.0,
            paused: false,
            finished: true,
        }
    }

    #[test]
    fn pods_and_workloads_read_as_oc_prints_them() {
        let r = handover();
        let s = snapshot(&frame(r, r.prepared.scenario.timeline.len(), &r.transcript, &[]));
        assert_eq!(s["scenario"], "handover");
        assert_eq!(s["clock"]["now"], "00:45:00");
        assert_eq!(s["clock"]["finished"], true);
        // Each pod row holds the cells `oc get pods -A -o wide` prints, column for column.
        let printed = Query::new(None, &[], None, Columns::Wide)
            .and_then(|q| Kind::Pod.kubectl().get(r.engine.store(), &q))
            .unwrap_or_else(|e| panic!("{e}"));
        let pods = s["pods"].as_array().cloned().unwrap_or_default();
        assert!(!pods.is_empty());
        assert_eq!(s["pods_total"], pods.len());
        for p in &pods {
            let cells: Vec<&str> = ["namespace", "name", "ready", "status", "restarts", "age"]
                .iter()
                .filter_map(|k| p[*k].as_str())
                .collect();
            let line = printed
                .lines()
                .find(|l| l.split_whitespace().nth(1) == p["name"].as_str())
                .unwrap_or_else(|| panic!("{p} not printed"));
            let words: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(words.get(..6), Some(cells.as_slice()), "{line}");
            assert_eq!(words.get(7).copied(), p["node"].as_str(), "{line}");
        }
        assert!(pods.iter().any(|p| p["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("mistral-3-bf16-predictor-"))
            && p["status"] == "Running"
            && p["ready"] == "1/1"));
        // The demo's end: BF16 back (admitted again), Devstral's Workload finished and
        // gone with its pod.
        let workloads = s["workloads"].as_array().cloned().unwrap_or_default();
        let bf16 = workloads
            .iter()
            .find(|w| w["name"].as_str().is_some_and(|n| n.contains("mistral-3-bf16")))
            .unwrap_or_else(|| panic!("{workloads:?}"));
        assert_eq!(bf16["queue"], "default");
        assert_eq!(bf16["reserved_in"], "rhoai-main-queue");
        assert_eq!(bf16["admitted"], "True");
        assert_eq!(bf16["finished"], "");
        assert!(!workloads
            .iter()
            .any(|w| w["name"].as_str().is_some_and(|n| n.contains("devstral"))));
    }

    #[test]
    fn quota_is_per_flavor_with_kueues_usage() {
        let r = handover();
        let s = snapshot(&frame(r, 0, &[], &[]));
        let quota = s["quota"].as_array().cloned().unwrap_or_default();
        // As the run's summary shows: 4/4 GPUs of the 4-GPU flavor, 1/1 of the other.
        let gpus = |flavor: &str| {
            quota
                .iter()
                .find(|q| q["flavor"] == flavor && q["resource"] == "nvidia.com/gpu")
                .map(|q| {
                    (
                        q["usage_value"].clone(),
                        q["nominal_value"].clone(),
                        q["nominal"].clone(),
                    )
                })
        };
        assert_eq!(gpus("nvidia-l4-4gpu"), Some((json!(4.0), json!(4.0), json!("4"))));
        assert_eq!(gpus("nvidia-l4-1gpu"), Some((json!(1.0), json!(1.0), json!("1"))));
        let memory = quota
            .iter()
            .find(|q| q["flavor"] == "nvidia-l4-4gpu" && q["resource"] == "memory")
            .unwrap_or_else(|| panic!("{quota:?}"));
        assert_eq!(memory["nominal"], "192Gi");
        assert_eq!(memory["nominal_value"], json!(192.0 * 1024.0 * 1024.0 * 1024.0));
        assert_eq!(memory["cluster_queue"], "rhoai-main-queue");
        assert!(memory["borrowing_limit"].is_null());
    }

    #[test]
    fn the_timeline_says_what_has_run_and_counts_down_to_the_next() {
        let r = handover();
        let timeline = &r.prepared.scenario.timeline;
        // As if the clock stood at the end with the entry at 44m30s still to run.
        let next = timeline.len() - 1;
        let s = snapshot(&frame(r, next, &r.transcript, &[]));
        let t = &s["timeline"];
        assert_eq!(t["total"], timeline.len());
        assert_eq!(t["next"], next);
        assert_eq!(t["next_at_ms"], 2_670_000);
        // Past already: the countdown does not go below zero.
        assert_eq!(t["countdown_ms"], 0);
        let entries = t["entries"].as_array().cloned().unwrap_or_default();
        assert_eq!(entries.len(), timeline.len().min(TIMELINE_BEFORE + 1));
        assert!(entries
            .iter()
            .all(|e| e["done"] == (e["index"].as_u64() < Some(next as u64))));
        assert_eq!(entries.first().map(|e| e["at"].clone()), Some(json!("00:09:00")));
        let last = entries.last().cloned().unwrap_or_default();
        assert_eq!(
            last["command"],
            "oc scale inferenceservice --all -n private-ai --replicas=0"
        );
        // Nothing left: no next, no countdown.
        let done = snapshot(&frame(r, timeline.len(), &r.transcript, &[]));
        assert!(done["timeline"]["next"].is_null() && done["timeline"]["countdown_ms"].is_null());
        // The last outputs, oldest first.
        let outputs = s["outputs"].as_array().cloned().unwrap_or_default();
        assert_eq!(outputs.len(), OUTPUTS.min(r.transcript.len()));
        let last = r.transcript.last().map(|t| t.output.clone()).unwrap_or_default();
        assert_eq!(outputs.last().map(|o| o["output"].clone()), Some(json!(last)));
        assert!(outputs.last().and_then(|o| o["at"].as_str()) == Some("00:44:30"));
    }

    #[test]
    fn serving_gives_in_flight_and_ttft_or_null() {
        let r = handover();
        let live = [
            ModelLive {
                namespace: "private-ai".into(),
                name: "mistral-3-int4".into(),
                on_replicas: 3,
                held: 2,
                ready_replicas: 1,
                ttft: Some(RecentTtft {
                    count: 9,
                    p50_ms: 412.5,
                    p95_ms: 1830.0,
                }),
            },
            ModelLive {
                namespace: "private-ai".into(),
                name: "mistral-3-bf16".into(),
                on_replicas: 0,
                held: 0,
                ready_replicas: 0,
                ttft: None,
            },
        ];
        let s = snapshot(&frame(r, 0, &[], &live));
        assert_eq!(
            s["serving"],
            json!([
                {"namespace": "private-ai", "model": "mistral-3-int4", "ready_replicas": 1,
                 "in_flight": 5, "held": 2, "ttft_count": 9, "ttft_p50_ms": 412.5, "ttft_p95_ms": 1830.0},
                {"namespace": "private-ai", "model": "mistral-3-bf16", "ready_replicas": 0,
                 "in_flight": 0, "held": 0, "ttft_count": 0, "ttft_p50_ms": null, "ttft_p95_ms": null},
            ])
        );
    }
}
