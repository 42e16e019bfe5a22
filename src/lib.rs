//! gpuaas-sim: a discrete-event simulator of GPU-as-a-Service Kubernetes clusters.

pub mod analysis;
pub mod api;
pub mod apiserver;
#[doc(hidden)]
pub mod bench;
pub mod catalog;
pub mod cluster;
pub mod controllers;
pub mod engine;
pub mod kueue;
pub mod manifest;
pub mod progress;
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
    pub report: serde_json::Value,
}

impl Completed {
    pub fn all_expectations_hold(&self) -> bool {
        self.outcomes.iter().all(|o| o.passed)
    }
}

/// Runs a prepared scenario and evaluates its expectations. Metric expectations read
/// the report, so the report is built first and then completed with the outcomes.
pub fn simulate(prepared: Prepared) -> Result<Completed, engine::RunError> {
    let result = scenario::run::run(prepared)?;
    let draft = report::json::build(&result, &[]);
    let outcomes = scenario::expect::evaluate(
        result.engine.store(),
        &result.deadlocks,
        &draft,
        &result.prepared.scenario.expect,
    );
    let report = report::json::build(&result, &outcomes);
    Ok(Completed {
        result,
        outcomes,
        report,
    })
}
