//! Scenarios: the Scenario document, the oc/kubectl timeline, expectations, and runs.

pub(crate) mod command;
pub mod document;
pub(crate) mod execute;
pub mod expect;
pub(crate) mod expectation;
pub(crate) mod faults;
pub mod follow;
pub(crate) mod kubectl;
pub(crate) mod logs;
mod oc_error;
pub(crate) mod patch;
pub(crate) mod printers;
pub(crate) mod render;
pub mod run;
pub(crate) mod serve;
pub(crate) mod traffic;
pub mod usage;
