//! Reports: report.json (schema `gpuaas-sim/report/v1`), report.md and the terminal summary.

pub mod cost;
pub mod json;
pub mod markdown;
pub mod summary;

use crate::units::SimTime;

/// Simulated wall-clock: runs start at a fixed instant so timestamps are reproducible.
pub fn timestamp(t: SimTime) -> String {
    let s = t.0 / 1000;
    let (d, rem) = (s / 86400, s % 86400);
    format!(
        "2026-01-{:02}T{:02}:{:02}:{:02}Z",
        1 + d,
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

pub fn secs(t: SimTime) -> f64 {
    t.as_secs_f64()
}
