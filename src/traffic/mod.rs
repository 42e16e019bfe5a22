//! Request traffic: arrival processes, token-length distributions, trace replay.

pub mod arrivals;
pub mod source;
pub mod tokens;
pub mod trace;
