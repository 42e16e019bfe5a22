//! Kubernetes and KServe controllers, each a pure reconcile over the world.

pub mod deployment;
pub mod inferenceservice;
pub mod job;
pub mod leaderworkerset;
pub mod replicaset;
