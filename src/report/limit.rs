//! Reports that stay readable at fleet scale: the Workloads in figures (always written),
//! and `--report-limit`, which cuts the two lists that grow with the work — the event log
//! and the Workloads — to a length a browser opens, saying what it cut.

use super::model::{Cut, QueueWorkloads, Report, Spread, WorkloadRecord, WorkloadSummary};
use super::secs;
use crate::scenario::usage::QueueUsage;
use crate::units::{Quantity, SimTime};
use indexmap::IndexMap;
use std::collections::BTreeMap;

/// The default `--report-limit`.
pub const DEFAULT_LIMIT: usize = 1000;

/// Nearest-rank percentiles and the largest of `values` (all zero when there are none).
fn spread(mut values: Vec<f64>) -> Spread {
    if values.is_empty() {
        return Spread::default();
    }
    values.sort_by(f64::total_cmp);
    let rank = |p: f64| {
        let i = ((p / 100.0) * values.len() as f64).ceil() as usize;
        values.get(i.clamp(1, values.len()) - 1).copied().unwrap_or_default()
    };
    Spread {
        p50: rank(50.0),
        p95: rank(95.0),
        max: values.last().copied().unwrap_or_default(),
    }
}

/// Every workload counted: by final state, evictions, time Pending, per ClusterQueue.
pub(crate) fn workload_summary(workloads: &[WorkloadRecord]) -> WorkloadSummary {
    let mut by_state: BTreeMap<&str, u64> = BTreeMap::new();
    let mut per_queue: BTreeMap<&str, (QueueWorkloads, Vec<f64>, Vec<f64>)> = BTreeMap::new();
    // Both are whole milliseconds: so is the difference, without the float's dust.
    let to_ready = |w: &WorkloadRecord| w.ready_s.map(|r| ((r - w.created_s) * 1000.0).round() / 1000.0);
    for w in workloads {
        *by_state.entry(w.state.as_str()).or_default() += 1;
        if let Some(cq) = &w.cluster_queue {
            let (q, pending, ready) = per_queue.entry(cq.as_str()).or_default();
            q.workloads += 1;
            q.finished += u64::from(w.state == "Finished");
            q.evictions += w.evictions.len() as u64;
            pending.push(w.pending_s);
            ready.extend(to_ready(w));
        }
    }
    WorkloadSummary {
        total: workloads.len() as u64,
        by_state: by_state.into_iter().map(|(k, n)| (k.to_string(), n)).collect(),
        evictions: workloads.iter().map(|w| w.evictions.len() as u64).sum(),
        pending_s: spread(workloads.iter().map(|w| w.pending_s).collect()),
        to_ready_s: spread(workloads.iter().filter_map(to_ready).collect()),
        by_cluster_queue: per_queue
            .into_iter()
            .map(|(name, (mut q, pending, ready))| {
                q.pending_s = spread(pending);
                q.to_ready_s = spread(ready);
                (name.to_string(), q)
            })
            .collect(),
    }
}

/// Cuts the event log to its first `limit` events (counting all of them by reason) and
/// the Workloads to the `limit` that took longest from creation to Ready — one never
/// Ready counts until the end — (ties: the earlier created), kept in creation order.
/// Nothing changes when both are within the limit.
pub fn limit(report: &mut Report, limit: usize) {
    // What the report was built with already cut (events, usage samples) stays said.
    let mut cut = report.truncated.take().unwrap_or_default();
    cut.limit = limit as u64;
    if report.events.len() > limit {
        let mut by_reason: BTreeMap<&str, u64> = BTreeMap::new();
        for e in &report.events {
            *by_reason.entry(e.kind.as_str()).or_default() += 1;
        }
        let by_reason: IndexMap<String, u64> = by_reason.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
        cut.events = Some(Cut {
            written: limit as u64,
            total: report.events.len() as u64,
            by_reason,
        });
        report.events.truncate(limit);
    }
    if report.workloads.len() > limit {
        let total = report.workloads.len();
        let end = report.duration_s;
        // (wait, creation order): the longest waits first, the earlier created of equals.
        let mut waits: Vec<(f64, usize)> = report
            .workloads
            .iter()
            .enumerate()
            .map(|(i, w)| (w.ready_s.unwrap_or(end) - w.created_s, i))
            .collect();
        waits.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let kept: std::collections::BTreeSet<usize> = waits.into_iter().take(limit).map(|(_, i)| i).collect();
        let mut i = 0;
        report.workloads.retain(|_| {
            i += 1;
            kept.contains(&(i - 1))
        });
        cut.workloads = Some(Cut {
            written: limit as u64,
            total: total as u64,
            by_reason: IndexMap::new(),
        });
    }
    if cut.events.is_some() || cut.workloads.is_some() || cut.usage_samples.is_some() {
        report.truncated = Some(cut);
    }
}

/// At most `limit` of a queue's usage samples over a run of `end` seconds: in each of
/// `limit` equal spans, the sample with the most GPUs in use (the earliest of equals), so
/// the peaks a planner sizes for survive the cut.
pub(crate) fn peaks(samples: Vec<(SimTime, QueueUsage)>, limit: usize, end: f64) -> Vec<(SimTime, QueueUsage)> {
    if samples.len() <= limit || limit == 0 {
        return samples;
    }
    let gpus = |u: &QueueUsage| -> Quantity {
        u.iter()
            .filter(|(fr, _)| crate::api::core::is_gpu(&fr.resource))
            .fold(Quantity::ZERO, |a, (_, q)| a + *q)
    };
    let span = end.max(f64::MIN_POSITIVE) / limit as f64;
    let mut kept: Vec<(SimTime, QueueUsage)> = Vec::with_capacity(limit);
    let mut bucket_of_last = usize::MAX;
    for (t, u) in samples {
        let bucket = ((secs(t) / span) as usize).min(limit - 1);
        match kept.last_mut() {
            Some(last) if bucket == bucket_of_last => {
                if gpus(&u) > gpus(&last.1) {
                    *last = (t, u);
                }
            }
            _ => {
                kept.push((t, u));
                bucket_of_last = bucket;
            }
        }
    }
    kept
}

/// Timeline output lines report.md and report.html show in full; beyond them (a fleet's
/// timeline applies a minute's Jobs at a time, a line per Job) each command's output is
/// shown in its first `OUTPUT_LINES` lines. report.json keeps them all.
const TIMELINE_LINES: usize = 10_000;
const OUTPUT_LINES: usize = 20;

/// Whether the documents show the timeline's outputs in part.
pub(crate) fn timeline_cut(report: &Report) -> bool {
    report.timeline.iter().map(|t| t.output.lines().count()).sum::<usize>() > TIMELINE_LINES
}

/// A command's output as the documents show it: when `cut`, its first `OUTPUT_LINES` lines
/// and how many more report.json has.
pub(crate) fn shown_output(output: &str, cut: bool) -> std::borrow::Cow<'_, str> {
    let total = output.lines().count();
    if !cut || total <= OUTPUT_LINES {
        return std::borrow::Cow::Borrowed(output);
    }
    let mut shown: String = output.lines().take(OUTPUT_LINES).collect::<Vec<_>>().join("\n");
    shown.push_str(&format!("\n… {} more lines in report.json", total - OUTPUT_LINES));
    std::borrow::Cow::Owned(shown)
}

/// One line saying what was cut, for the summary and the documents.
pub fn note(report: &Report) -> Option<String> {
    let t = report.truncated.as_ref()?;
    let mut parts = Vec::new();
    if let Some(w) = &t.workloads {
        parts.push(format!(
            "the {} of {} workloads that took longest to be Ready",
            w.written, w.total
        ));
    }
    if let Some(e) = &t.events {
        parts.push(format!("the first {} of {} events", e.written, e.total));
    }
    if let Some(u) = &t.usage_samples {
        parts.push(format!(
            "{} of {} quota usage samples (each span's peak)",
            u.written, u.total
        ));
    }
    Some(format!(
        "Listed: {} (--report-limit {}; --report-limit all lists everything). The figures count them all.",
        parts.join(" and "),
        t.limit
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{EventRecord, EvictionRecord};

    fn workload(name: &str, cq: &str, state: &str, pending_s: f64, evictions: usize) -> WorkloadRecord {
        WorkloadRecord {
            name: name.into(),
            cluster_queue: Some(cq.into()),
            state: state.into(),
            pending_s,
            // Ready 5 s after its wait.
            ready_s: Some(pending_s + 5.0),
            evictions: vec![EvictionRecord::default(); evictions],
            ..Default::default()
        }
    }

    #[test]
    fn usage_samples_keep_each_spans_peak() {
        use crate::kueue::cache::FlavorResource;
        let sample = |t_s: u64, gpus: i64| -> (SimTime, QueueUsage) {
            let u = [
                (
                    FlavorResource::new("a100", "nvidia.com/gpu"),
                    Quantity::from_units(gpus),
                ),
                (FlavorResource::new("a100", "cpu"), Quantity::from_units(100 - gpus)),
            ];
            (SimTime(t_s * 1000), u.into_iter().collect())
        };
        // (second, GPUs) over 40 s cut to 4 spans of 10 s: the most GPUs in each (cpu
        // does not count), the earliest of equals; an empty span has none.
        let samples = vec![
            sample(0, 1),
            sample(3, 5),
            sample(7, 5),
            sample(12, 2),
            sample(31, 0),
            sample(35, 0),
        ];
        let kept: Vec<u64> = peaks(samples.clone(), 4, 40.0)
            .iter()
            .map(|(t, _)| t.0 / 1000)
            .collect();
        assert_eq!(kept, vec![3, 12, 31]);
        assert_eq!(peaks(samples.clone(), 6, 40.0), samples, "within the limit");
    }

    #[test]
    fn long_command_outputs_are_shown_in_part() {
        let short = "job/a created\njob/b created";
        assert_eq!(shown_output(short, true), short);
        let long: String = (0..100).map(|i| format!("job/j{i} created\n")).collect();
        assert_eq!(
            shown_output(&long, false),
            long,
            "a timeline within the budget is shown whole"
        );
        let shown = shown_output(&long, true);
        assert_eq!(shown.lines().count(), OUTPUT_LINES + 1);
        assert!(shown.ends_with("… 80 more lines in report.json"), "{shown}");
        let timeline = |commands: usize| Report {
            timeline: (0..commands)
                .map(|_| crate::report::model::TimelineEntry {
                    output: long.clone(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        assert!(!timeline_cut(&timeline(100)));
        assert!(timeline_cut(&timeline(101)));
    }

    #[test]
    fn spreads_are_nearest_rank() {
        // (values, p50, p95, max)
        let cases: [(Vec<f64>, f64, f64, f64); 3] = [
            (vec![], 0.0, 0.0, 0.0),
            (vec![7.0], 7.0, 7.0, 7.0),
            ((1..=20).map(f64::from).collect(), 10.0, 19.0, 20.0),
        ];
        for (values, p50, p95, max) in cases {
            let s = spread(values.clone());
            assert_eq!((s.p50, s.p95, s.max), (p50, p95, max), "{values:?}");
        }
    }

    #[test]
    fn the_summary_counts_every_workload() {
        let all = vec![
            workload("a", "team-0", "Finished", 10.0, 1),
            workload("b", "team-0", "Pending", 300.0, 0),
            workload("c", "team-1", "Finished", 0.0, 2),
        ];
        let s = workload_summary(&all);
        assert_eq!(s.total, 3);
        assert_eq!(s.by_state.get("Finished"), Some(&2));
        assert_eq!(s.evictions, 3);
        assert_eq!(s.pending_s.max, 300.0);
        assert_eq!(s.to_ready_s.max, 305.0);
        let t0 = &s.by_cluster_queue["team-0"];
        assert_eq!(
            (t0.workloads, t0.finished, t0.evictions, t0.pending_s.max),
            (2, 1, 1, 300.0)
        );
    }

    #[test]
    fn the_limit_keeps_the_longest_waits_in_creation_order_and_the_first_events() {
        let mut report = Report {
            duration_s: 600.0,
            workloads: [5.0, 50.0, 1.0, 50.0, 20.0]
                .iter()
                .enumerate()
                .map(|(i, p)| workload(&format!("w{i}"), "q", "Finished", *p, 0))
                .collect(),
            events: ["Scheduled", "Started", "Scheduled"]
                .iter()
                .map(|k| EventRecord {
                    kind: k.to_string(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        let untouched = report.clone();
        limit(&mut report, 5);
        assert_eq!(report, untouched, "within the limit nothing is cut");
        limit(&mut report, 2);
        let names: Vec<&str> = report.workloads.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, vec!["w1", "w3"]);
        assert_eq!(report.events.len(), 2);
        let t = report.truncated.as_ref().expect("cut");
        let events = t.events.as_ref().expect("events cut");
        assert_eq!((events.written, events.total), (2, 3));
        assert_eq!(events.by_reason.get("Scheduled"), Some(&2));
        assert_eq!(t.workloads.as_ref().map(|w| w.total), Some(5));
        assert!(note(&report).is_some_and(|n| n.contains("the 2 of 5 workloads")));
        // One never Ready waits until the end: it goes first.
        let mut never = report.clone();
        never.workloads.push(WorkloadRecord {
            ready_s: None,
            created_s: 500.0,
            name: "late".into(),
            ..Default::default()
        });
        never.truncated = None;
        limit(&mut never, 1);
        // late waited 600 − 500 = 100 s, w1 55 s.
        assert_eq!(never.workloads[0].name, "late");
    }
}
