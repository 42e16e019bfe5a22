//! vLLM serving: engine arguments, GPU memory and KV-cache capacity.

pub mod args;
pub(crate) mod exporter;
pub mod memory;
pub mod metrics;
pub(crate) mod recent;
#[cfg(test)]
mod reference;
pub mod replica;
pub(crate) mod rounding;
pub mod router;
pub mod service;
pub mod steptime;
pub(crate) mod timers;
