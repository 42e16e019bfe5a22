//! Diagnosis of a run: wait-for graphs and deadlocks.

pub(crate) mod deadlock;
