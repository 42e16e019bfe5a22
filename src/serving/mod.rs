//! vLLM serving: engine arguments, GPU memory and KV-cache capacity.

pub mod args;
pub mod engine;
pub mod memory;
pub mod replica;
pub mod steptime;
