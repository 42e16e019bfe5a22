//! Kueue: the pod integration (webhook + pod controller), the queue manager, the cache of
//! quota usage, flavor assignment and the scheduler, laid out as Kueue's own packages.

pub mod cache;
pub mod fairsharing;
pub mod flavorassigner;
pub mod job;
pub mod pod;
pub mod preemption;
pub mod queue;
pub mod scheduler;

pub const QUEUE_NAME_LABEL: &str = "kueue.x-k8s.io/queue-name";
pub const PRIORITY_CLASS_LABEL: &str = "kueue.x-k8s.io/priority-class";
pub const ADMISSION_GATE: &str = "kueue.x-k8s.io/admission";
pub const MANAGED_LABEL: &str = "kueue.x-k8s.io/managed";
pub const POD_SET: &str = "main";
pub const POD_GROUP_NAME_LABEL: &str = "kueue.x-k8s.io/pod-group-name";
pub const POD_GROUP_TOTAL_COUNT_ANNOTATION: &str = "kueue.x-k8s.io/pod-group-total-count";
