//! The cluster path at fleet scale, on the generated fleet of `gpuaas_sim::bench::fleet`
//! (p4de.24xlarge nodes, ten ClusterQueues in one cohort, Jobs of 1–8 GPUs and 5–35 min
//! arriving over a day at about 78% of the GPU-hours): 100 nodes with 10,000 Jobs and
//! 1,000 nodes with 100,000 Jobs, each run alone (`run -q`) and with its report written
//! (`run --out`: report.json, report.md, report.html and the plots). Inputs are read and
//! validated inside the measurement, as `run` does.
//!
//! `cargo bench --bench fleet`; `FLEET_SIZES=100` for the small size only.

use criterion::{criterion_group, criterion_main, Criterion};
use gpuaas_sim::bench::fleet::Fleet;
use gpuaas_sim::scenario::run::discover;
use std::path::Path;
use std::time::Duration;

fn run(scenario: &Path, out: Option<&Path>) -> u64 {
    let prepared = discover(&[scenario.to_path_buf()])
        .expect("the generated fleet is valid")
        .remove(0);
    let done = gpuaas_sim::simulate(prepared).expect("the fleet runs");
    if let Some(dir) = out {
        let mut report = done.report;
        // As `run --out` does: the plots from every workload, then the lists cut.
        let drawn = gpuaas_sim::report::plots::all(&report);
        gpuaas_sim::report::limit::limit(&mut report, gpuaas_sim::report::limit::DEFAULT_LIMIT);
        gpuaas_sim::report::write_all_with(dir, &report, drawn).expect("the report is written");
        return report.workload_summary.total;
    }
    done.report.workload_summary.total
}

fn fleet(c: &mut Criterion) {
    let sizes: Vec<u32> = std::env::var("FLEET_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![100, 1000]);
    let mut group = c.benchmark_group("fleet");
    // A 100,000-Job day takes seconds: ten samples, no longer than they take.
    group.sample_size(10).measurement_time(Duration::from_secs(5));
    for nodes in sizes {
        let dir = tempfile::tempdir().expect("temp dir");
        let fleet = Fleet::loaded(nodes);
        let scenario = fleet.write(dir.path()).expect("fleet written");
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).expect("out dir");
        let jobs = fleet.jobs;
        group.bench_function(format!("{nodes} nodes, {jobs} Jobs: run"), |b| {
            b.iter(|| assert_eq!(run(&scenario, None), u64::from(jobs)))
        });
        group.bench_function(format!("{nodes} nodes, {jobs} Jobs: run with report"), |b| {
            b.iter(|| assert_eq!(run(&scenario, Some(&out)), u64::from(jobs)))
        });
    }
    group.finish();
}

criterion_group!(benches, fleet);
criterion_main!(benches);
