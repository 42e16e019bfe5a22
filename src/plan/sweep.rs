//! `gpuaas-sim sweep`: the cartesian product of `--set` values over one scenario, each
//! point run with several seeds, in parallel, summarized per point.
//!
//! Points are numbered in the order of the product (the last `--set` varies fastest) and
//! runs are collected in that order, so the results do not depend on how many threads ran
//! them. A shard (`--shard I/N`) runs the points whose number is I modulo N; each point's
//! seeds run in one shard, so merging shards recomputes nothing and gives the very bytes a
//! single machine writes.

use super::setting::Setting;
use super::stats::Estimate;
use crate::manifest::error::{InputError, InputErrors, Loc};
use crate::report::Report;
use crate::scenario::run::{Inputs, Prepared};
use indexmap::IndexMap;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering};

pub const SCHEMA: &str = "gpuaas-sim/sweep/v1";

/// Hours in the month that monthly figures use: 8,760 / 12, the reports' own month.
pub const HOURS_PER_MONTH: f64 = crate::report::monthly::HOURS_PER_MONTH;

/// What to sweep.
pub struct Grid {
    pub inputs: Inputs,
    pub settings: Vec<Setting>,
    pub seeds: usize,
    pub shard: Option<Shard>,
    /// The catalog every point runs with (the bundled one, `--catalog`'s files over it).
    pub catalog: std::sync::Arc<crate::catalog::Catalog>,
    /// `--catalog`'s folder, which a sweep Job must carry too.
    pub catalog_dir: Option<std::path::PathBuf>,
    /// `--capacity`: also measure this service's capacity at every run.
    pub capacity: Option<super::capacity::ProbeOptions>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// `I/N` with 0 ≤ I < N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (i, n) = text.split_once('/').ok_or_else(|| format!("`{text}` is not I/N"))?;
        let index: usize = i.trim().parse().map_err(|_| format!("`{i}` is not a whole number"))?;
        let count: usize = n.trim().parse().map_err(|_| format!("`{n}` is not a whole number"))?;
        if count == 0 || index >= count {
            return Err(format!("{index}/{count}: I runs from 0 to N-1, and N is at least 1"));
        }
        Ok(Shard { index, count })
    }
}

/// One point's settings, prepared for each of its seeds.
pub struct PreparedPoint {
    pub index: usize,
    pub values: Vec<String>,
    pub runs: Vec<Prepared>,
}

/// The sweep's result, as `sweep.json` holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepResult {
    pub schema: String,
    pub scenario: String,
    /// SHA-1 of the inputs as read (documents, not file paths), so that shards of different
    /// inputs are never merged.
    pub inputs_sha1: String,
    pub settings: Vec<SettingRecord>,
    pub seeds: Vec<u64>,
    /// Points in the whole grid.
    pub points_total: usize,
    /// Set on a shard's result; absent on a whole sweep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    pub points: Vec<PointResult>,
    /// Points no other point beats on both monthly cost and the worst model's TTFT p95
    /// (both means), cheapest first.
    pub pareto: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingRecord {
    pub path: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointResult {
    pub index: usize,
    /// The value of each setting, by its path.
    pub settings: IndexMap<String, String>,
    pub runs: usize,
    /// Runs whose `expect:` entries all held (the scenario's own checks); absent when the
    /// scenario has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expectations_held: Option<usize>,
    /// Runs that stopped with an error, with the error.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    pub metrics: IndexMap<String, Estimate>,
}

/// Every point's inputs, prepared before anything runs: a value that makes any point
/// invalid stops the sweep with its location and the setting that gave it.
pub fn prepare(grid: &Grid) -> Result<Vec<PreparedPoint>, InputErrors> {
    let total = points_total(&grid.settings);
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for index in 0..total {
        if let Some(s) = grid.shard {
            if index % s.count != s.index {
                continue;
            }
        }
        let values = values_of(&grid.settings, index);
        match prepare_point(grid, &values).and_then(|runs| {
            // `--capacity` must name a service with traffic at every point.
            if let (Some(c), Some(first)) = (&grid.capacity, runs.first()) {
                super::capacity::service_key(first, c.service.as_deref())
                    .map_err(|e| InputErrors(vec![InputError::at(Loc::file("--capacity"), e)]))?;
            }
            Ok(runs)
        }) {
            Ok(runs) => out.push(PreparedPoint { index, values, runs }),
            Err(e) => {
                let with: Vec<String> = grid
                    .settings
                    .iter()
                    .zip(&values)
                    .map(|(s, v)| format!("{}={v}", s.path))
                    .collect();
                for mut err in e.0 {
                    // A path that leads nowhere does so at every point: say it once, as is.
                    if !matches!(err.loc.file.as_ref(), "--set" | "--capacity") {
                        err.message = format!("{} (with {})", err.message, with.join(", "));
                    }
                    if !errors.contains(&err) {
                        errors.push(err);
                    }
                }
            }
        }
        // One bad value usually breaks every point it is in: stop at a screenful.
        if errors.len() >= 20 {
            break;
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(InputErrors(errors))
    }
}

/// Points in the grid: the product of the settings' value counts.
pub fn points_total(settings: &[Setting]) -> usize {
    settings.iter().map(|s| s.values.len()).product()
}

/// The values of point `index`, the last setting varying fastest.
fn values_of(settings: &[Setting], mut index: usize) -> Vec<String> {
    let mut values = vec![String::new(); settings.len()];
    for (i, s) in settings.iter().enumerate().rev() {
        // `Setting::parse` refuses an empty value list, so n ≥ 1.
        let n = s.values.len().max(1);
        // `values` has one slot per setting, and `i` counts the settings.
        values[i] = s.values.get(index % n).cloned().unwrap_or_default();
        index /= n;
    }
    values
}

fn prepare_point(grid: &Grid, values: &[String]) -> Result<Vec<Prepared>, InputErrors> {
    let mut inputs = grid.inputs.clone();
    {
        let mut scenarios = inputs.scenarios_mut();
        let Some(sc) = scenarios.first_mut() else {
            return Err(InputErrors(vec![InputError::at(
                Loc::file("sweep"),
                "the inputs hold no Scenario document",
            )
            .hint(
                "sweep one Scenario file (kind: Scenario); its include: names the manifests",
            )]));
        };
        for (s, v) in grid.settings.iter().zip(values) {
            s.apply(sc.scenario, sc.included, v).map_err(|e| InputErrors(vec![e]))?;
        }
    }
    let prepared = inputs.prepare_with(&grid.catalog)?;
    let Some(base) = prepared.into_iter().next() else {
        return Err(InputErrors(vec![InputError::at(
            Loc::file("sweep"),
            "no scenario to run",
        )]));
    };
    let first = base.scenario.seed;
    Ok((0..grid.seeds as u64)
        .map(|k| {
            let mut p = base.clone();
            p.scenario.seed = first.wrapping_add(k);
            p
        })
        .collect())
}

/// Runs every prepared point's seeds on `jobs` threads (all cores when 0); `done` counts
/// finished runs for a progress display.
pub fn run(grid: &Grid, points: Vec<PreparedPoint>, jobs: usize, done: &AtomicUsize) -> Result<SweepResult, String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| format!("cannot start {jobs} threads: {e}"))?;
    let seeds: Vec<u64> = points
        .first()
        .map(|p| p.runs.iter().map(|r| r.scenario.seed).collect())
        .unwrap_or_default();
    let scenario = points
        .first()
        .and_then(|p| p.runs.first())
        .map(|r| r.scenario.name.clone())
        .unwrap_or_default();
    let runs: Vec<(usize, usize, Prepared)> = points
        .iter()
        .enumerate()
        .flat_map(|(pi, p)| p.runs.iter().cloned().enumerate().map(move |(si, r)| (pi, si, r)))
        .collect();
    let outcomes: Vec<Result<Outcome, String>> = pool.install(|| {
        runs.into_par_iter()
            .map(|(_, _, prepared)| {
                let outcome = crate::simulate(prepared).map_err(|e| e.to_string()).map(|c| {
                    let held = c.all_expectations_hold();
                    let capacity = grid.capacity.as_ref().map(|opts| capacity_metrics(&c, opts));
                    (c.report, held, capacity)
                });
                done.fetch_add(1, Ordering::Relaxed);
                outcome
            })
            .collect()
    });
    let mut outcomes = outcomes.into_iter();
    let mut results = Vec::new();
    for p in &points {
        let mine: Vec<_> = outcomes.by_ref().take(p.runs.len()).collect();
        results.push(summarize(grid, p, mine));
    }
    let mut result = SweepResult {
        schema: SCHEMA.into(),
        scenario,
        inputs_sha1: fingerprint(&grid.inputs),
        settings: grid
            .settings
            .iter()
            .map(|s| SettingRecord {
                path: s.path.clone(),
                values: s.values.clone(),
            })
            .collect(),
        seeds,
        points_total: points_total(&grid.settings),
        shard: grid.shard,
        points: results,
        pareto: Vec::new(),
    };
    result.pareto = pareto(&result.points);
    Ok(result)
}

/// What one run gives a point: its report, whether its expectations held, and the
/// capacity figures when asked.
type Outcome = (Report, bool, Option<Result<Vec<(String, f64)>, String>>);

/// `--capacity`: the service's capacity within the SLO and its saturation, per replica and
/// per GPU, as `capacity` measures them.
fn capacity_metrics(
    done: &crate::Completed,
    opts: &super::capacity::ProbeOptions,
) -> Result<Vec<(String, f64)>, String> {
    let (_, probe) = super::capacity::probe_of(done, opts)?;
    let c = probe.search();
    let replicas = probe.replicas.len().max(1) as f64;
    let gpus: f64 = probe.replicas.iter().map(|r| r.gpus.max(1) as f64).sum();
    let mut m = vec![
        ("capacity.saturation_rps".to_string(), c.saturation_rps),
        (
            "capacity.saturation_output_tokens_per_s".to_string(),
            c.saturation_output_tokens_per_s,
        ),
    ];
    if let Some(r) = c.slo_rps {
        m.push(("capacity.slo_rps".into(), r));
        m.push(("capacity.slo_rps_per_replica".into(), r / replicas));
        m.push(("capacity.slo_rps_per_gpu".into(), r / gpus));
    }
    Ok(m)
}

fn summarize(grid: &Grid, p: &PreparedPoint, outcomes: Vec<Result<Outcome, String>>) -> PointResult {
    let mut series: IndexMap<String, Vec<f64>> = IndexMap::new();
    let mut held = 0;
    let mut expects = false;
    let mut errors = Vec::new();
    for (seed, o) in p.runs.iter().map(|r| r.scenario.seed).zip(outcomes) {
        match o {
            Ok((report, ok, capacity)) => {
                held += usize::from(ok);
                expects |= !report.expectations.is_empty();
                let capacity = match capacity {
                    Some(Ok(m)) => m,
                    Some(Err(e)) => {
                        errors.push(format!("seed {seed}: capacity: {e}"));
                        Vec::new()
                    }
                    None => Vec::new(),
                };
                for (name, v) in metrics(&report).into_iter().chain(capacity) {
                    series.entry(name).or_default().push(v);
                }
            }
            Err(e) => errors.push(format!("seed {seed}: {e}")),
        }
    }
    PointResult {
        index: p.index,
        settings: grid
            .settings
            .iter()
            .map(|s| s.path.clone())
            .zip(p.values.iter().cloned())
            .collect(),
        runs: p.runs.len(),
        expectations_held: expects.then_some(held),
        errors,
        metrics: series
            .into_iter()
            .filter_map(|(k, v)| Estimate::of(&v).map(|e| (k, e)))
            .collect(),
    }
}

/// The figures of one run that a sweep compares, in a fixed order; a figure the run did not
/// measure (no traffic, no cost) is left out rather than written as zero.
pub(crate) fn metrics(r: &Report) -> Vec<(String, f64)> {
    let mut m = Vec::new();
    let hours = r.cost.hours;
    if hours > 0.0 {
        // The report's own monthly figure (from unrounded spend) where it has one.
        let monthly = r
            .monthly
            .as_ref()
            .map_or(r.cost.total_usd / hours * HOURS_PER_MONTH, |m| m.usd);
        m.push(("cost_per_month_usd".into(), monthly));
        m.push(("gpus".into(), r.utilization.gpu_hours_capacity / hours));
    }
    m.push(("cost_usd".into(), r.cost.total_usd));
    m.push(("gpu_allocated_fraction".into(), r.utilization.gpu_allocated_fraction));
    if let Some(b) = &r.utilization.gpu_busy {
        m.push(("gpu_busy_fraction".into(), b.busy_fraction));
    }
    if let Some(u) = r.cost.usd_per_million_output_tokens {
        m.push(("usd_per_million_output_tokens".into(), u));
    }
    let worst = r
        .models
        .values()
        .filter_map(|s| s.ttft_ms.p95)
        .fold(None, |a: Option<f64>, b| Some(a.map_or(b, |a| a.max(b))));
    if let Some(w) = worst {
        m.push(("worst_ttft_p95_ms".into(), w));
    }
    for (name, s) in &r.models {
        let mut push = |k: &str, v: Option<f64>| {
            if let Some(v) = v {
                m.push((format!("models.{name}.{k}"), v));
            }
        };
        push("ttft_p50_ms", s.ttft_ms.p50);
        push("ttft_p95_ms", s.ttft_ms.p95);
        push("tpot_p95_ms", s.tpot_ms.p95);
        push("e2e_p95_ms", s.e2e_ms.p95);
        let ended = s.completed + s.failed;
        push("failed_fraction", (ended > 0).then(|| s.failed as f64 / ended as f64));
        push("output_tokens_per_s", Some(s.output_tokens_per_s));
        if let Some(slo) = &s.slo {
            push("slo_attainment", slo.attainment);
            push("goodput_rps", Some(slo.goodput_rps));
        }
    }
    if !r.workloads.is_empty() {
        let admitted = r.workloads.iter().filter(|w| w.admitted_s.is_some()).count();
        m.push(("workloads_admitted".into(), admitted as f64));
        let pending: Vec<f64> = r.workloads.iter().map(|w| w.pending_s).collect();
        m.push((
            "workload_pending_mean_s".into(),
            pending.iter().sum::<f64>() / pending.len() as f64,
        ));
        m.push((
            "workload_pending_max_s".into(),
            pending.iter().copied().fold(0.0, f64::max),
        ));
        let evictions: usize = r.workloads.iter().map(|w| w.evictions.len()).sum();
        m.push(("evictions".into(), evictions as f64));
    }
    m
}

/// A point whose runs leave more than this share of some model's requests failed or still
/// queued at the end is not serving its traffic: its latency percentiles describe only the
/// lucky requests, so it does not compete on the front.
pub const MAX_UNSERVED: f64 = 0.01;

/// Whether a point serves its traffic (see `MAX_UNSERVED`).
pub fn serves(p: &PointResult) -> bool {
    p.metrics
        .get("worst_unserved_fraction")
        .is_none_or(|e| e.mean <= MAX_UNSERVED)
}

/// Points on the cost / worst-TTFT-p95 frontier among those that serve their traffic,
/// cheapest first; ties broken by index.
pub(crate) fn pareto(points: &[PointResult]) -> Vec<usize> {
    let mut cands: Vec<(f64, f64, usize)> = points
        .iter()
        .filter(|p| serves(p))
        .filter_map(|p| {
            let c = p.metrics.get("cost_per_month_usd")?.mean;
            let l = p.metrics.get("worst_ttft_p95_ms")?.mean;
            Some((c, l, p.index))
        })
        .collect();
    cands.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut best = f64::INFINITY;
    let mut out = Vec::new();
    for (_, l, i) in cands {
        if l < best {
            best = l;
            out.push(i);
        }
    }
    out
}

/// A digest of the inputs' documents (not their paths), stable across machines.
pub(crate) fn fingerprint(inputs: &Inputs) -> String {
    let mut h = sha1_smol::Sha1::new();
    for doc in inputs.documents() {
        h.update(doc.to_json().to_string().as_bytes());
        h.update(b"\n");
    }
    h.digest().to_string()
}

/// Combines shard results into the result of the whole sweep.
pub fn merge(mut shards: Vec<(String, SweepResult)>) -> Result<SweepResult, String> {
    let Some((first_name, first)) = shards.first().cloned() else {
        return Err("no shard results given".into());
    };
    let Some(count) = first.shard.map(|s| s.count) else {
        return Err(format!("{first_name}: not a shard's result (it has no `shard`)"));
    };
    let mut seen = vec![None::<String>; count];
    for (name, s) in &shards {
        let same = s.schema == first.schema
            && s.scenario == first.scenario
            && s.inputs_sha1 == first.inputs_sha1
            && s.settings == first.settings
            && s.seeds == first.seeds
            && s.points_total == first.points_total;
        if !same {
            return Err(format!(
                "{name}: a shard of another sweep than {first_name} (scenario, inputs, settings or seeds differ)"
            ));
        }
        // Read from a file: an index past the count is a foreign or edited file, not a panic.
        let Some(sh) = s.shard.filter(|sh| sh.count == count && sh.index < count) else {
            return Err(format!("{name}: not a shard of {count} (as {first_name} is)"));
        };
        if let Some(other) = &seen[sh.index] {
            return Err(format!("{name}: shard {}/{count} given twice (also {other})", sh.index));
        }
        seen[sh.index] = Some(name.clone());
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(format!("shards missing: {}", missing.join(", ")));
    }
    let mut points: Vec<PointResult> = shards
        .iter_mut()
        .flat_map(|(_, s)| std::mem::take(&mut s.points))
        .collect();
    points.sort_by_key(|p| p.index);
    let mut merged = first;
    merged.shard = None;
    merged.pareto = pareto(&points);
    merged.points = points;
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(text: &str) -> Setting {
        Setting::parse(text, 1).unwrap()
    }

    #[test]
    fn the_last_setting_varies_fastest() {
        let s = vec![setting("a=1,2"), setting("b=x,y,z")];
        assert_eq!(points_total(&s), 6);
        let all: Vec<Vec<String>> = (0..6).map(|i| values_of(&s, i)).collect();
        let want = [["1", "x"], ["1", "y"], ["1", "z"], ["2", "x"], ["2", "y"], ["2", "z"]];
        for (got, want) in all.iter().zip(want) {
            assert_eq!(got, &want);
        }
    }

    #[test]
    fn shards_parse() {
        assert_eq!(Shard::parse("3/8"), Ok(Shard { index: 3, count: 8 }));
        for bad in ["8/8", "1", "a/2", "0/0", "-1/2"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    fn point(index: usize, cost: f64, ttft: f64) -> PointResult {
        let e = |v| Estimate {
            mean: v,
            ci95: None,
            n: 1,
        };
        PointResult {
            index,
            settings: IndexMap::new(),
            runs: 1,
            expectations_held: Some(1),
            errors: vec![],
            metrics: [
                ("cost_per_month_usd".to_string(), e(cost)),
                ("worst_ttft_p95_ms".to_string(), e(ttft)),
            ]
            .into_iter()
            .collect(),
        }
    }

    #[test]
    fn a_shard_index_past_its_count_is_refused_not_a_panic() {
        let shard = |index| SweepResult {
            schema: SCHEMA.into(),
            scenario: "s".into(),
            inputs_sha1: "x".into(),
            settings: vec![],
            seeds: vec![1],
            points_total: 2,
            shard: Some(Shard { index, count: 2 }),
            points: vec![],
            pareto: vec![],
        };
        let e = merge(vec![("a".into(), shard(0)), ("b".into(), shard(5))]).unwrap_err();
        assert!(e.contains("b: not a shard of 2"), "{e}");
        assert!(merge(vec![("a".into(), shard(0)), ("b".into(), shard(1))]).is_ok());
    }

    #[test]
    fn the_frontier_keeps_what_nothing_beats() {
        let points = vec![
            point(0, 100.0, 900.0),
            point(1, 200.0, 300.0),
            point(2, 150.0, 950.0), // dearer and slower than 0
            point(3, 400.0, 100.0),
            point(4, 400.0, 120.0), // same cost as 3, slower
            point(5, 100.0, 900.0), // ties 0: the first index stays
        ];
        assert_eq!(pareto(&points), vec![0, 1, 3]);
        // Cheapest and fastest, but leaving half its requests unserved: not on the front.
        let mut broken = point(6, 10.0, 10.0);
        broken.metrics.insert(
            "worst_unserved_fraction".into(),
            Estimate {
                mean: 0.5,
                ci95: None,
                n: 1,
            },
        );
        let mut with_broken = points.clone();
        with_broken.push(broken);
        assert_eq!(pareto(&with_broken), vec![0, 1, 3]);
    }
}
