//! The `gpuaas-sim/v1alpha1` Scenario document.

use super::command::{parse_command, Command};
use super::expectation::time_of;
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

// The `expect:` entries' forms live with their decoding; they are part of the document.
pub use super::expectation::{Comparison, ExpectKind, Expectation, ServiceMeasure, Unit, When, WorkloadMeasure};

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
    /// How often Prometheus scrapes the serving pods' metrics.
    pub scrape_interval: SimDuration,
    pub fidelity: crate::serving::replica::Fidelity,
    /// Kueue's Configuration (`spec.kueue`): fair sharing.
    pub kueue: crate::api::kueue::KueueConfig,
    /// How long a Job's pods run when the Job has no `gpuaas-sim.io/run-time`.
    pub job_run_time: SimDuration,
    /// Faults at given times, and random ones per node.
    pub faults: crate::faults::FaultsSpec,
    /// `spec.catalog`: the scenario's own catalog entries, laid over the bundled catalog
    /// (and `--catalog`'s) when the scenario is prepared.
    pub catalog: Option<Node>,
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
    "scrapeInterval",
    "fidelity",
    "kueue",
    "jobRunTime",
    "timeline",
    "expect",
    "faults",
    "catalog",
    "extends",
];

/// What a Scenario that `extends` another may add to it; the rest is the base's.
const EXTENDING_KEYS: &[&str] = &["extends", "timeline", "expect"];

/// How deep `extends` may chain before it is taken for a cycle.
const MAX_EXTENDS_DEPTH: usize = 8;

impl Scenario {
    pub fn decode(doc: &Node, file: &Path) -> Result<Scenario, InputError> {
        Scenario::decode_at(doc, file, 0)
    }

    fn decode_at(doc: &Node, file: &Path, depth: usize) -> Result<Scenario, InputError> {
        let empty = Node::synthetic(doc.loc.clone(), crate::manifest::yaml::Value::Map(vec![]));
        let spec = doc.get("spec").unwrap_or(&empty);
        check_spec_keys(spec)?;
        if let Some(base) = spec.get("extends") {
            return Scenario::decode_extending(doc, spec, base, file, depth);
        }
        let name = scenario_name(doc, file)?;
        let duration = DURATION.decode(spec)?;
        let seed = decode_seed(spec)?;
        let base = file.parent().unwrap_or(Path::new("."));
        let include = decode_include(spec, base)?;
        let node_pools = items(spec, "nodePools")?
            .iter()
            .map(decode_pool)
            .collect::<Result<_, _>>()?;
        let mut traffic = super::traffic::decode_traffic(spec.get("traffic"), base, duration)?;
        let mut faults = super::faults::decode_faults(spec.get("faults"), |n| time_of(n, duration))?;
        let timeline = decode_timeline(spec, duration, &mut traffic, &mut faults)?;
        faults.faults.sort_by_key(|f| f.at);
        traffic.iter_mut().for_each(|t| t.apply_bursts());
        let slo = super::traffic::decode_slo(spec.get("slo"))?;
        let metrics_window = METRICS_WINDOW.decode(spec)?;
        let scrape_interval = SCRAPE_INTERVAL.decode(spec)?;
        let fidelity = decode_fidelity(spec)?;
        let kueue = spec
            .get("kueue")
            .map(crate::api::kueue::KueueConfig::decode)
            .transpose()?
            .unwrap_or_default();
        let job_run_time = JOB_RUN_TIME.decode(spec)?;
        let expect = decode_expect(spec, duration, &traffic, &slo)?;
        Ok(Scenario {
            name,
            file: file.to_path_buf(),
            duration,
            seed,
            include,
            node_pools,
            timeline,
            expect,
            notes: Vec::new(),
            traffic,
            slo,
            metrics_window,
            scrape_interval,
            fidelity,
            kueue,
            job_run_time,
            faults,
            catalog: spec.get("catalog").cloned(),
        })
    }
}

impl Scenario {
    /// A Scenario that `extends` another (a recorded rehearsal): the base scenario with
    /// this one's timeline entries and expectations added, under this one's name if it
    /// gives one. Paths in the base stay relative to the base's file.
    fn decode_extending(
        doc: &Node,
        spec: &Node,
        base: &Node,
        file: &Path,
        depth: usize,
    ) -> Result<Scenario, InputError> {
        for (k, _) in spec.entries()? {
            let key = k.as_str()?;
            if !EXTENDING_KEYS.contains(&key) {
                return Err(InputError::at(k.loc.clone(), format!("`spec.{key}` cannot be set beside `extends`"))
                    .hint("a scenario that extends another adds only `timeline` and `expect` entries; change the base, or copy it"));
            }
        }
        if depth >= MAX_EXTENDS_DEPTH {
            return Err(InputError::at(
                base.loc.clone(),
                format!("`extends` chains more than {MAX_EXTENDS_DEPTH} scenarios deep"),
            )
            .hint("a scenario that extends itself, directly or through others, never ends"));
        }
        let rel = base.as_str()?;
        let path = lexically_normal(&file.parent().unwrap_or(Path::new(".")).join(rel));
        let not_found = |why: String| {
            InputError::at(base.loc.clone(), format!("extends: {rel}: {why}"))
                .hint("`extends` names a Scenario file, relative to this file")
        };
        if !path.is_file() {
            return Err(not_found(format!("no such file (looked for {})", path.display())));
        }
        let loaded = crate::manifest::load::load_paths(std::slice::from_ref(&path)).map_err(|e| {
            e.0.into_iter()
                .next()
                .unwrap_or_else(|| not_found("cannot be read".into()))
        })?;
        let mut scenarios = loaded.objects.iter().filter(|o| o.kind == "Scenario");
        let (Some(base_doc), None) = (scenarios.next(), scenarios.next()) else {
            return Err(not_found("holds no Scenario document, or more than one".into()));
        };
        let base_file = PathBuf::from(base_doc.doc.loc.file.as_ref());
        let mut scenario = Scenario::decode_at(&base_doc.doc, &base_file, depth + 1)?;
        if doc.get("metadata").and_then(|m| m.get("name")).is_some() {
            scenario.name = scenario_name(doc, file)?;
        }
        for e in items(spec, "timeline")? {
            if let Some(key) = ["traffic", "fault"].into_iter().find(|k| e.get(k).is_some()) {
                return Err(InputError::at(
                    e.loc.clone(),
                    format!("a `{key}` entry cannot be added by a scenario that extends another"),
                )
                .hint("add it to the base scenario; here, only `run` commands"));
            }
        }
        let timeline = decode_timeline(spec, scenario.duration, &mut [], &mut Default::default())?;
        // The base's entries first at a shared instant, as a rehearsal ran them.
        scenario.timeline.extend(timeline);
        scenario.timeline.sort_by_key(|e| e.at);
        let expect = decode_expect(spec, scenario.duration, &scenario.traffic, &scenario.slo)?;
        scenario.expect.extend(expect);
        Ok(scenario)
    }
}

/// `path` without `.` and with each `..` taking the folder before it where there is one,
/// so that a base reached through `rehearsals/../scenarios/x.yaml` is named
/// `scenarios/x.yaml` in locations, as when it is run on its own.
pub(crate) fn lexically_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out.iter().collect()
}

/// `metadata.name`, else the file's name without its extension.
/// `metadata.name`, a Kubernetes object name like any other (it also names the scenario's
/// report folder, so it can never be a path), else the file's stem.
fn scenario_name(doc: &Node, file: &Path) -> Result<String, InputError> {
    match doc.path(&["metadata", "name"]) {
        Some(n) => {
            let name = n.as_str()?;
            crate::api::meta::validate_dns_name(name, &n.loc)?;
            Ok(name.to_string())
        }
        None => Ok(file
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "scenario".into())),
    }
}

fn check_spec_keys(spec: &Node) -> Result<(), InputError> {
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
    Ok(())
}

/// The items of a list field of `spec`; none when it is absent.
fn items<'n>(spec: &'n Node, key: &str) -> Result<&'n [Node], InputError> {
    Ok(spec.get(key).map(|n| n.items()).transpose()?.unwrap_or(&[]))
}

/// A duration field of `spec` with a lower bound.
struct DurationField {
    key: &'static str,
    /// When the field is absent.
    default: SimDuration,
    min: SimDuration,
    /// The error (message, hint) at a value shorter than `min`.
    too_short: (&'static str, &'static str),
}

const DURATION: DurationField = DurationField {
    key: "duration",
    default: DEFAULT_DURATION,
    min: SimDuration(1),
    too_short: ("duration must be positive", "e.g. duration: 40m"),
};

const METRICS_WINDOW: DurationField = DurationField {
    key: "metricsWindow",
    default: DEFAULT_METRICS_WINDOW,
    min: SimDuration(1000),
    too_short: ("metricsWindow must be at least 1s", "e.g. metricsWindow: 1m"),
};

/// Prometheus' `scrape_interval` default is 1m; 15s is what kube-prometheus-stack and
/// OpenShift's user-workload monitoring configure, and what autoscaling guides assume.
pub const DEFAULT_SCRAPE_INTERVAL: SimDuration = SimDuration(15_000);

const SCRAPE_INTERVAL: DurationField = DurationField {
    key: "scrapeInterval",
    default: DEFAULT_SCRAPE_INTERVAL,
    min: SimDuration(1000),
    too_short: ("scrapeInterval must be at least 1s", "e.g. scrapeInterval: 15s"),
};

const JOB_RUN_TIME: DurationField = DurationField {
    key: "jobRunTime",
    default: DEFAULT_JOB_RUN_TIME,
    min: SimDuration(1),
    too_short: ("jobRunTime must be positive", "e.g. jobRunTime: 2h"),
};

impl DurationField {
    fn decode(&self, spec: &Node) -> Result<SimDuration, InputError> {
        let Some(n) = spec.get(self.key) else {
            return Ok(self.default);
        };
        let v = crate::api::meta::duration(n)?;
        if v < self.min {
            let (message, hint) = self.too_short;
            return Err(InputError::at(n.loc.clone(), message).hint(hint));
        }
        Ok(v)
    }
}

fn decode_fidelity(spec: &Node) -> Result<crate::serving::replica::Fidelity, InputError> {
    match spec.get("fidelity") {
        None => Ok(crate::serving::replica::Fidelity::Fast),
        Some(f) => crate::serving::replica::Fidelity::parse(f.as_str()?).ok_or_else(|| {
            InputError::at(f.loc.clone(), "fidelity is fast or step")
                .hint("fast: closed-form decode runs; step: every engine step")
        }),
    }
}

fn decode_seed(spec: &Node) -> Result<u64, InputError> {
    let Some(s) = spec.get("seed") else {
        return Ok(1);
    };
    let v = s.as_i64()?;
    if v < 0 {
        return Err(InputError::at(s.loc.clone(), "seed must be 0 or more"));
    }
    Ok(v as u64)
}

/// `include` paths, relative to the Scenario file; each must exist.
fn decode_include(spec: &Node, base: &Path) -> Result<Vec<PathBuf>, InputError> {
    let mut include = Vec::new();
    for i in items(spec, "include")? {
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
    Ok(include)
}

/// The fields a node pool may have.
const POOL_KEYS: &[&str] = &["name", "instanceType", "count", "labels", "taints"];

fn decode_pool(p: &Node) -> Result<NodePool, InputError> {
    for (k, _) in p.entries()? {
        let key = k.as_str()?;
        if !POOL_KEYS.contains(&key) {
            return Err(InputError::at(
                k.loc.clone(),
                format!(
                    "unknown node pool field `{key}`{}",
                    did_you_mean(key, POOL_KEYS.iter().copied())
                ),
            )
            .hint(format!("a node pool has {}", POOL_KEYS.join(", "))));
        }
    }
    let count = match p.get("count") {
        Some(c) => {
            let v = c.as_i64()?;
            if !(0..=100_000).contains(&v) {
                return Err(
                    InputError::at(c.loc.clone(), format!("node count {v} is out of range")).hint("use 0 to 100000")
                );
            }
            v as u32
        }
        None => 1,
    };
    Ok(NodePool {
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
    })
}

/// The timeline's commands, sorted by time; its traffic changes are applied to `traffic`
/// as they are read instead.
fn decode_timeline(
    spec: &Node,
    duration: SimDuration,
    traffic: &mut [super::traffic::TrafficEntry],
    faults: &mut crate::faults::FaultsSpec,
) -> Result<Vec<TimelineEntry>, InputError> {
    let mut timeline = Vec::new();
    for e in items(spec, "timeline")? {
        let at_node = e.get("at").ok_or_else(|| {
            InputError::at(e.loc.clone(), "timeline entry has no `at`").hint("e.g. {at: 10m, run: \"oc get pods\"}")
        })?;
        let at = time_of(at_node, duration)?;
        if let Some(change) = e.get("traffic") {
            super::traffic::apply_rate_change(traffic, at, change)?;
            continue;
        }
        if let Some(fault) = e.get("fault") {
            super::traffic::check_keys(e, &["at", "fault"], "timeline fault entry")?;
            faults.faults.push(super::faults::decode_fault(fault, at, &[])?);
            continue;
        }
        let run = e.get("run").ok_or_else(|| {
            InputError::at(e.loc.clone(), "timeline entry has no `run`")
                .hint("give the oc/kubectl command line to run, a traffic change {target: x, rate: 6/s}, or a fault {type: NodeLost, node: x}")
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
    Ok(timeline)
}

/// The `expect:` entries, read against what the rest of the Scenario says (its end, its
/// SLO, its traffic); two entries may not share a name, as they would share a JUnit case.
fn decode_expect(
    spec: &Node,
    duration: SimDuration,
    traffic: &[super::traffic::TrafficEntry],
    slo: &[crate::serving::metrics::SloTerm],
) -> Result<Vec<Expectation>, InputError> {
    let cx = super::expectation::Context {
        duration,
        has_slo: !slo.is_empty(),
        traffic: traffic
            .iter()
            .map(|t| (t.target.as_str(), t.namespace.as_deref()))
            .collect(),
    };
    let mut expect: Vec<Expectation> = Vec::new();
    for e in items(spec, "expect")? {
        let x = super::expectation::decode(e, &cx)?;
        if let Some(name) = &x.name {
            if let Some(first) = expect.iter().find(|y| y.name.as_ref() == Some(name)) {
                return Err(InputError::at(
                    x.loc.clone(),
                    format!("two expectations are named `{name}` (the first at {})", first.loc),
                )
                .hint("each name is a JUnit test case: give each its own"));
            }
        }
        expect.push(x);
    }
    Ok(expect)
}
