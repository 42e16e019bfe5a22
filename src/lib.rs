//! gpuaas-sim: a discrete-event simulator of GPU-as-a-Service Kubernetes clusters.

#![warn(unreachable_pub)]

pub(crate) mod analysis;
pub mod api;
pub(crate) mod apiserver;
pub(crate) mod autoscaling;
#[doc(hidden)]
pub mod bench;
pub mod catalog;
pub(crate) mod cluster;
pub(crate) mod controllers;
pub mod engine;
pub mod faults;
pub(crate) mod kueue;
pub mod manifest;
pub(crate) mod monitoring;
pub mod plan;
pub mod progress;
pub mod rehearse;
pub mod report;
pub mod scenario;
pub mod serving;
pub mod store;
pub mod traffic;
pub mod units;

use scenario::run::{Prepared, RunResult};

/// A finished run with its evaluated expectations and report.
pub struct Completed {
    pub result: RunResult,
    pub outcomes: Vec<scenario::expect::Outcome>,
    pub report: report::Report,
}

impl Completed {
    pub fn all_expectations_hold(&self) -> bool {
        self.outcomes.iter().all(|o| o.passed)
    }
}

/// Runs a prepared scenario and evaluates its expectations. Metric expectations read
/// report.json's figures by path, so the report is built first, its JSON form evaluated,
/// and then the outcomes are stored in it.
pub fn simulate(prepared: Prepared) -> Result<Completed, engine::RunError> {
    simulate_with(prepared, &progress::Progress::default())
}

/// `simulate`, reporting how far it has got into `progress` (for a progress display).
pub fn simulate_with(prepared: Prepared, progress: &progress::Progress) -> Result<Completed, engine::RunError> {
    Ok(complete(scenario::run::run(prepared, progress)?))
}

/// A finished run's report with its expectations evaluated.
pub(crate) fn complete(result: scenario::run::RunResult) -> Completed {
    let mut report = report::json::build(&result);
    // A report always has a JSON form (its maps are keyed by strings); were it ever not
    // to, every metric expectation would fail saying it found no number. Only metric
    // expectations read it, and for a fleet it is a second copy of a large report.
    let reads_metrics = result
        .prepared
        .scenario
        .expect
        .iter()
        .any(|e| matches!(e.kind, scenario::expectation::ExpectKind::Metric { .. }));
    let as_json = if reads_metrics {
        serde_json::to_value(&report).unwrap_or_default()
    } else {
        serde_json::Value::Null
    };
    let outcomes = scenario::expect::evaluate(
        result.engine.store(),
        &result.deadlocks,
        &report,
        &as_json,
        &result.prepared.scenario.expect,
    );
    report.expectations = report::json::expectations(&outcomes);
    Completed {
        result,
        outcomes,
        report,
    }
}
