//! Scenarios: the Scenario document, the oc/kubectl timeline, expectations, and runs.

pub mod command;
pub mod document;
pub mod execute;
pub mod expect;
pub mod kubectl;
mod oc_error;
pub mod patch;
pub mod printers;
pub mod render;
pub mod run;
pub mod serve;
pub mod traffic;
