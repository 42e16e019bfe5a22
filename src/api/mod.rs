//! Typed API objects, decoded from located YAML, mirroring the Kubernetes, Kueue and
//! KServe API groups.

pub mod apps;
pub mod batch;
pub mod core;
pub mod frameworks;
pub mod kserve;
pub mod kueue;
pub mod llmisvc;
pub mod lws;
pub mod meta;
pub mod workload;
