//! The `gpuaas-sim/v1alpha1` Scenario document.

use super::command::{parse_command, Command};
use crate::manifest::error::{did_you_mean, InputError, Loc};
use crate::manifest::yaml::Node;
use crate::units::{SimDuration, SimTime};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct NodePool {
    pub name: String,
    pub instance_type: String,
    pub count: u32,
    pub labels: crate::api::meta::Labels,
    pub taints: Vec<crate::api::core::Taint>,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub at: SimTime,
    pub text: String,
    pub command: Command,
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq)]
pub enum When {
    At(SimTime),
    By(SimTime),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Comparison {
    Below(f64),
    Above(f64),
    Equals(f64),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExpectKind {
    WorkloadState {
        workload: String,
        namespace: Option<String>,
        state: crate::store::WorkloadState,
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
    pub text: String,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub file: PathBuf,
    pub duration: SimDuration,
    pub seed: u64,
    pub include: Vec<PathBuf>,
    pub node_pools: Vec<NodePool>,
    pub timeline: Vec<TimelineEntry>,
    pub expect: Vec<Expectation>,
    pub notes: Vec<String>,
    pub traffic: Vec<super::traffic::TrafficEntry>,
    pub slo: Vec<crate::serving::metrics::SloTerm>,
    /// Width of the per-window latency summaries.
    pub metrics_window: SimDuration,
    pub fidelity: crate::serving::replica::Fidelity,
    /// Kueue's Configuration (`spec.kueue`): fair sharing.
    pub kueue: crate::api::kueue::KueueConfig,
    /// How long a Job's pods run when the Job has no `gpuaas-sim.io/run-time`.
    pub job_run_time: SimDuration,
}

pub const DEFAULT_METRICS_WINDOW: SimDuration = SimDuration(60_000);

pub const DEFAULT_JOB_RUN_TIME: SimDuration = SimDuration(3_600_000);

pub const DEFAULT_DURATION: SimDuration = SimDuration(3_600_000);

const SPEC_KEYS: &[&str] = &[
    "duration",
    "seed",
    "include",
    "nodePools",
    "traffic",
    "slo",
    "metricsWindow",
    "fidelity",
    "kueue",
    "jobRunTime",
    "timeline",
    "expect",
];

fn time_of(node: &Node, duration: SimDuration) -> Result<SimTime, InputError> {
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

impl Scenario {
    pub fn decode(doc: &Node, file: &Path) -> Result<Scenario, InputError> {
        let name = doc
            .path(&["metadata", "name"])
            .map(|n| n.as_str().map(str::to_string))
            .transpose()?
            .unwrap_or_else(|| {
                file.file_stem()
                    .map(|s| s.to_string_lossy().to_string())
                    .unwrap_or_else(|| "scenario".into())
            });
        let empty = Node::synthetic(doc.loc.clone(), crate::manifest::yaml::Value::Map(vec![]));
        let spec = doc.get("spec").unwrap_or(&empty);
        for (k, _) in spec.entries()? {
            let key = k.as_str()?;
            if !SPEC_KEYS.contains(&key) {
                return Err(InputError::at(
                    k.loc.clone(),
                    format!(
                        "unknown Scenario field `spec.{key}`{}",
                        did_you_mean(key, SPEC_KEYS.iter().copied())
                    ),
                )
                .hint(format!("known fields: {}", SPEC_KEYS.join(", "))));
            }
        }
        let duration = match spec.get("duration") {
            Some(d) => {
                let v = crate::api::meta::duration(d)?;
                if v.0 == 0 {
                    return Err(InputError::at(d.loc.clone(), "duration must be positive").hint("e.g. duration: 40m"));
                }
                v
            }
            None => DEFAULT_DURATION,
        };
        let seed = match spec.get("seed") {
            Some(s) => {
                let v = s.as_i64()?;
                if v < 0 {
                    return Err(InputError::at(s.loc.clone(), "seed must be 0 or more"));
                }
                v as u64
            }
            None => 1,
        };
        let base = file.parent().unwrap_or(Path::new("."));
        let mut include = Vec::new();
        for i in spec.get("include").map(|i| i.items()).transpose()?.unwrap_or(&[]) {
            let rel = i.as_str()?;
            let p = base.join(rel);
            if !p.exists() {
                return Err(InputError::at(
                    i.loc.clone(),
                    format!("include `{rel}` not found (looked for {})", p.display()),
                )
                .hint("paths in include are relative to the Scenario file"));
            }
            include.push(p);
        }
        let mut pools = Vec::new();
        for p in spec.get("nodePools").map(|p| p.items()).transpose()?.unwrap_or(&[]) {
            let count = match p.get("count") {
                Some(c) => {
                    let v = c.as_i64()?;
                    if !(0..=100_000).contains(&v) {
                        return Err(InputError::at(c.loc.clone(), format!("node count {v} is out of range"))
                            .hint("use 0 to 100000"));
                    }
                    v as u32
                }
                None => 1,
            };
            pools.push(NodePool {
                name: crate::api::meta::req_str(p, "name", "node pool")?,
                instance_type: crate::api::meta::req_str(p, "instanceType", "node pool")?,
                count,
                labels: crate::api::meta::string_map(p.get("labels"))?,
                taints: match p.get("taints") {
                    Some(t) => t
                        .items()?
                        .iter()
                        .map(crate::api::core::Taint::decode)
                        .collect::<Result<_, _>>()?,
                    None => Vec::new(),
                },
                loc: p.get("instanceType").map(|n| n.loc.clone()).unwrap_or(p.loc.clone()),
            });
        }
        let mut traffic = super::traffic::decode_traffic(spec.get("traffic"), base, duration)?;
        let mut timeline = Vec::new();
        for e in spec.get("timeline").map(|t| t.items()).transpose()?.unwrap_or(&[]) {
            let at_node = e.get("at").ok_or_else(|| {
                InputError::at(e.loc.clone(), "timeline entry has no `at`").hint("e.g. {at: 10m, run: \"oc get pods\"}")
            })?;
            let at = time_of(at_node, duration)?;
            if let Some(change) = e.get("traffic") {
                super::traffic::apply_rate_change(&mut traffic, at, change)?;
                continue;
            }
            let run = e.get("run").ok_or_else(|| {
                InputError::at(e.loc.clone(), "timeline entry has no `run`")
                    .hint("give the oc/kubectl command line to run, or a traffic change {target: x, rate: 6/s}")
            })?;
            let text = run.as_str()?.to_string();
            let command = parse_command(&text).map_err(|m| InputError::at(run.loc.clone(), m.message).hint(m.hint))?;
            timeline.push(TimelineEntry {
                at,
                text,
                command,
                loc: run.loc.clone(),
            });
        }
        timeline.sort_by_key(|e| e.at);
        traffic.iter_mut().for_each(|t| t.apply_bursts());
        let slo = super::traffic::decode_slo(spec.get("slo"))?;
        let metrics_window = match spec.get("metricsWindow") {
            Some(w) => {
                let v = crate::api::meta::duration(w)?;
                if v.0 < 1000 {
                    return Err(InputError::at(w.loc.clone(), "metricsWindow must be at least 1s")
                        .hint("e.g. metricsWindow: 1m"));
                }
                v
            }
            None => DEFAULT_METRICS_WINDOW,
        };
        let fidelity = match spec.get("fidelity") {
            None => crate::serving::replica::Fidelity::Fast,
            Some(f) => crate::serving::replica::Fidelity::parse(f.as_str()?).ok_or_else(|| {
                InputError::at(f.loc.clone(), "fidelity is fast or step")
                    .hint("fast: closed-form decode runs; step: every engine step")
            })?,
        };
        let kueue = spec
            .get("kueue")
            .map(crate::api::kueue::KueueConfig::decode)
            .transpose()?
            .unwrap_or_default();
        let job_run_time = match spec.get("jobRunTime") {
            Some(n) => {
                let d = crate::api::meta::duration(n)?;
                if d.0 == 0 {
                    return Err(
                        InputError::at(n.loc.clone(), "jobRunTime must be positive").hint("e.g. jobRunTime: 2h")
                    );
                }
                d
            }
            None => DEFAULT_JOB_RUN_TIME,
        };
        let notes = Vec::new();
        let mut expect = Vec::new();
        for e in spec.get("expect").map(|t| t.items()).transpose()?.unwrap_or(&[]) {
            expect.push(decode_expectation(e, duration)?);
        }
        Ok(Scenario {
            name,
            file: file.to_path_buf(),
            duration,
            seed,
            include,
            node_pools: pools,
            timeline,
            expect,
            notes,
            traffic,
            slo,
            metrics_window,
            fidelity,
            kueue,
            job_run_time,
        })
    }
}

fn number(n: &Node) -> Result<f64, InputError> {
    n.as_f64()
}

fn decode_expectation(e: &Node, duration: SimDuration) -> Result<Expectation, InputError> {
    let text = serde_json::to_string(&e.to_json()).unwrap_or_default();
    let when = match (e.get("at"), e.get("by")) {
        (Some(a), None) => When::At(time_of(a, duration)?),
        (None, Some(b)) => When::By(time_of(b, duration)?),
        (Some(_), Some(_)) => {
            return Err(InputError::at(
                e.loc.clone(),
                "an expectation takes `at:` or `by:`, not both",
            ))
        }
        (None, None) => When::At(SimTime(duration.0)),
    };
    let kind = if let Some(w) = e.get("workload") {
        let state_node = e.get("state").ok_or_else(|| {
            InputError::at(e.loc.clone(), "workload expectation has no `state`")
                .hint("state: Pending | Admitted | Ready | Evicted | Finished | Absent")
        })?;
        let s = state_node.as_str()?;
        let state = crate::store::WorkloadState::parse(s).ok_or_else(|| {
            InputError::at(state_node.loc.clone(), format!("unknown workload state `{s}`"))
                .hint("expected Pending, Admitted, Ready, Evicted, Finished or Absent")
        })?;
        if matches!(when, When::By(_)) && state.progress().is_none() {
            // `by:` climbs the Pending < Admitted < Ready ladder; other states are plain facts.
        }
        ExpectKind::WorkloadState {
            workload: w.as_str()?.to_string(),
            namespace: e.get("namespace").map(|n| n.as_str().map(str::to_string)).transpose()?,
            state,
        }
    } else if let Some(d) = e.get("deadlock") {
        match d.as_str()? {
            "none" => ExpectKind::Deadlock { detected: false },
            "detected" => ExpectKind::Deadlock { detected: true },
            other => {
                return Err(
                    InputError::at(d.loc.clone(), format!("unknown deadlock expectation `{other}`"))
                        .hint("expected none or detected"),
                )
            }
        }
    } else if let Some(m) = e.get("metric") {
        let cmp = if let Some(v) = e.get("below") {
            Comparison::Below(number(v)?)
        } else if let Some(v) = e.get("above") {
            Comparison::Above(number(v)?)
        } else if let Some(v) = e.get("equals") {
            Comparison::Equals(number(v)?)
        } else {
            return Err(InputError::at(
                e.loc.clone(),
                "metric expectation needs `below`, `above` or `equals`",
            ));
        };
        ExpectKind::Metric {
            path: m.as_str()?.to_string(),
            cmp,
        }
    } else {
        return Err(
            InputError::at(e.loc.clone(), "expectation names no `workload`, `deadlock` or `metric`")
                .hint("e.g. {at: 11m, workload: devstral-2, state: Pending}"),
        );
    };
    Ok(Expectation {
        when,
        kind,
        text,
        loc: e.loc.clone(),
    })
}
