//! Nodes, pods and the node-side components: kube-scheduler and the kubelet.

pub(crate) mod kubelet;
pub(crate) mod scheduler;
