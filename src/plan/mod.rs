//! Capacity planning: sweeps over a scenario's settings, the capacity of a serving
//! configuration, and recommendations.

pub mod capacity;
pub mod job;
pub mod output;
pub mod recommend;
pub mod recommend_out;
pub mod setting;
pub mod stats;
pub mod sweep;
