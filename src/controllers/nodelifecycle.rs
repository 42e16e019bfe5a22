//! The node lifecycle controller (`pkg/controller/nodelifecycle`): a node whose kubelet
//! has not posted status for `node-monitor-grace-period` gets `Ready=Unknown`, the
//! `node.kubernetes.io/unreachable` taints (NoSchedule, and NoExecute for the taint
//! eviction controller) and its pods marked `Ready=False`, so they leave their Services'
//! endpoints. When the kubelet posts again, the node is Ready and the taints go.

use crate::api::core::{Taint, TaintEffect};
use crate::engine::action::{Action, FaultWrite, NodeWrite, PodWrite};
use crate::engine::change::Change;
use crate::engine::components::{Component, Cx, Timer};
use crate::store::NodeReady;
use crate::units::{SimDuration, SimTime};
use std::collections::BTreeMap;

/// `--node-monitor-grace-period`: 50 s since Kubernetes 1.32 (40 s before).
pub(crate) const NODE_MONITOR_GRACE_PERIOD: SimDuration = SimDuration(50_000);

pub(crate) const UNREACHABLE_TAINT: &str = "node.kubernetes.io/unreachable";
pub(crate) const NOT_READY_TAINT: &str = "node.kubernetes.io/not-ready";

/// The grace period of a node silent since `since` is over.
#[derive(Debug, Clone)]
pub(crate) struct GraceOver {
    node: String,
    since: SimTime,
}

#[derive(Debug, Default)]
pub(crate) struct NodeLifecycleController {
    /// Nodes whose kubelet is silent, and since when.
    silent_since: BTreeMap<String, SimTime>,
}

fn unreachable(effect: TaintEffect) -> Taint {
    Taint {
        key: UNREACHABLE_TAINT.into(),
        value: String::new(),
        effect,
    }
}

impl Component for NodeLifecycleController {
    fn on_change(&mut self, cx: &mut Cx, change: &Change) -> Vec<Action> {
        let Change::NodeHeartbeat { node, up } = change else {
            return Vec::new();
        };
        if !up {
            let now = cx.now();
            self.silent_since.insert(node.clone(), now);
            cx.after(
                NODE_MONITOR_GRACE_PERIOD,
                Timer::NodeLifecycle(GraceOver {
                    node: node.clone(),
                    since: now,
                }),
            );
            return Vec::new();
        }
        self.silent_since.remove(node);
        match cx.store.nodes.get(node) {
            Some(n) if n.ready != NodeReady::True => vec![
                Action::Node(node.clone(), NodeWrite::Ready(NodeReady::True)),
                Action::Node(
                    node.clone(),
                    NodeWrite::RemoveTaints(vec![UNREACHABLE_TAINT.into(), NOT_READY_TAINT.into()]),
                ),
            ],
            _ => Vec::new(),
        }
    }
}

impl NodeLifecycleController {
    pub(crate) fn on_timer(&mut self, cx: &mut Cx, timer: GraceOver) -> Vec<Action> {
        if self.silent_since.get(&timer.node) != Some(&timer.since) {
            return Vec::new();
        }
        let Some(n) = cx.store.nodes.get(&timer.node).filter(|n| !n.kubelet_up) else {
            return Vec::new();
        };
        let mut actions = vec![
            Action::Node(n.name.clone(), NodeWrite::Ready(NodeReady::Unknown)),
            Action::Node(
                n.name.clone(),
                NodeWrite::AddTaints(vec![
                    unreachable(TaintEffect::NoSchedule),
                    unreachable(TaintEffect::NoExecute),
                ]),
            ),
        ];
        for &p in &n.pods {
            let Some(pod) = cx.store.pods.get(p) else {
                continue;
            };
            if let Some(fault) = n.down_cause {
                actions.push(Action::Fault(FaultWrite::Struck { fault, pod: p }));
            }
            actions.push(Action::event(
                cx.now(),
                "NodeNotReady",
                format!("Pod {}/{}", pod.namespace, pod.name),
                "Node is not ready",
            ));
            actions.push(Action::Pod(p, PodWrite::NodeNotReady));
        }
        actions
    }
}

/// The cloud node lifecycle controller (cloud-provider's `node_lifecycle_controller`):
/// every `--node-monitor-period` it looks at the nodes that are not Ready and deletes
/// those whose instance no longer exists.
#[derive(Debug, Default)]
pub(crate) struct CloudNodeLifecycleController;

/// `--node-monitor-period` of the cloud controller manager.
pub(crate) const CLOUD_NODE_MONITOR_PERIOD: SimDuration = SimDuration(5_000);

/// The cloud node lifecycle controller looks at this node on its next round.
#[derive(Debug, Clone)]
pub(crate) struct CloudCheck(String);

impl Component for CloudNodeLifecycleController {
    fn on_change(&mut self, cx: &mut Cx, change: &Change) -> Vec<Action> {
        let node = match change {
            Change::NodeCondition { node } | Change::NodeHeartbeat { node, up: false } => node,
            _ => return Vec::new(),
        };
        let gone = cx
            .store
            .nodes
            .get(node)
            .is_some_and(|n| n.ready != NodeReady::True && !n.instance_running);
        if gone {
            // Its rounds run every period from the controller's start.
            let period = CLOUD_NODE_MONITOR_PERIOD.0;
            let next = SimTime((cx.now().0 / period + 1) * period);
            cx.at(next, Timer::CloudNodeLifecycle(CloudCheck(node.clone())));
        }
        Vec::new()
    }
}

impl CloudNodeLifecycleController {
    pub(crate) fn on_timer(&mut self, cx: &mut Cx, CloudCheck(node): CloudCheck) -> Vec<Action> {
        match cx.store.nodes.get(&node) {
            Some(n) if n.ready != NodeReady::True && !n.instance_running => vec![Action::Node(
                node.clone(),
                NodeWrite::Delete {
                    message: format!("Deleting node {node} because it does not exist in the cloud provider"),
                },
            )],
            _ => Vec::new(),
        }
    }
}
