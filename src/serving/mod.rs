//! vLLM serving: engine arguments, GPU memory and KV-cache capacity.

pub mod args;
pub mod engine;
pub mod memory;
pub mod metrics;
pub mod replica;
pub mod rounding;
pub mod router;
pub mod service;
pub mod steptime;
pub mod timers;
