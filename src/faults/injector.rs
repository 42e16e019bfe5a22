//! The fault injector: strikes each planned fault at its time, and ends the ones that
//! last. It acts on the world outside the control plane only — kubelets, instances,
//! devices, storage and the registry — plus what a spot instance's termination handler
//! does with its two-minute notice (cordon and drain).

use super::{Fault, FaultId, FaultKind, SPOT_NOTICE};
use crate::engine::action::{Action, FaultWrite, PodWrite};
use crate::engine::components::{Cx, Timer};
use crate::store::Environment;

/// A fault's moment.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FaultTimer {
    Begin(FaultId),
    End(FaultId),
    /// A spot instance's notice has run out.
    Reclaim(FaultId),
}

#[derive(Debug, Default)]
pub(crate) struct FaultInjector {
    plan: Vec<Fault>,
}

impl FaultInjector {
    pub(crate) fn new(plan: Vec<Fault>) -> FaultInjector {
        FaultInjector { plan }
    }

    pub(crate) fn on_timer(&mut self, cx: &mut Cx, timer: FaultTimer) -> Vec<Action> {
        match timer {
            FaultTimer::Begin(id) => self.begin(cx, id),
            FaultTimer::End(id) => self.end(cx, id),
            FaultTimer::Reclaim(id) => match self.plan.get(id).and_then(|f| f.kind.node()) {
                Some(node) => vec![Action::Fault(FaultWrite::InstanceGone {
                    node: node.to_string(),
                    fault: id,
                })],
                None => Vec::new(),
            },
        }
    }

    fn begin(&mut self, cx: &mut Cx, id: FaultId) -> Vec<Action> {
        let Some(fault) = self.plan.get(id).cloned() else {
            return Vec::new();
        };
        let mut actions = vec![Action::Fault(FaultWrite::Begin {
            id,
            fault: Box::new(fault.clone()),
        })];
        if let Some(d) = fault.kind.duration() {
            cx.after(d, Timer::Faults(FaultTimer::End(id)));
        }
        let env = cx.store.environment.clone();
        match fault.kind {
            FaultKind::NodeNotReady { node, .. } => {
                actions.push(Action::Fault(FaultWrite::KubeletDown { node, fault: id }));
            }
            FaultKind::NodeLost { node } => {
                actions.push(Action::Fault(FaultWrite::InstanceGone { node, fault: id }));
            }
            FaultKind::SpotInterruption { node } => {
                actions.extend(drain(cx, &node, id));
                cx.after(SPOT_NOTICE, Timer::Faults(FaultTimer::Reclaim(id)));
            }
            FaultKind::GpuFailure { node, gpus, xid } => {
                actions.push(Action::Fault(FaultWrite::GpusFail {
                    node,
                    gpus,
                    xid,
                    fault: id,
                }));
            }
            FaultKind::StorageSlow { factor, .. } => {
                actions.push(Action::Fault(FaultWrite::Environment(Environment {
                    storage_slow: Some((factor, id)),
                    ..env
                })));
            }
            FaultKind::StorageUnavailable { .. } => {
                actions.push(Action::Fault(FaultWrite::Environment(Environment {
                    storage_down: Some(id),
                    ..env
                })));
            }
            FaultKind::ImagePullFailure { image, .. } => {
                actions.push(Action::Fault(FaultWrite::Environment(Environment {
                    pulls_failing: Some((image, id)),
                    ..env
                })));
            }
        }
        actions
    }

    fn end(&mut self, cx: &mut Cx, id: FaultId) -> Vec<Action> {
        let Some(fault) = self.plan.get(id) else {
            return Vec::new();
        };
        let mut actions = vec![Action::Fault(FaultWrite::End { id })];
        let mut env = cx.store.environment.clone();
        // A later fault of the same kind that took over stays in force.
        match &fault.kind {
            FaultKind::NodeNotReady { node, .. } => {
                let still_ours = cx.store.nodes.get(node).is_some_and(|n| n.down_cause == Some(id));
                if still_ours {
                    actions.push(Action::Fault(FaultWrite::KubeletUp { node: node.clone() }));
                }
                return actions;
            }
            FaultKind::StorageSlow { .. } if env.storage_slow.is_some_and(|(_, f)| f == id) => env.storage_slow = None,
            FaultKind::StorageUnavailable { .. } if env.storage_down == Some(id) => env.storage_down = None,
            FaultKind::ImagePullFailure { .. } if env.pulls_failing.as_ref().is_some_and(|(_, f)| *f == id) => {
                env.pulls_failing = None
            }
            _ => return actions,
        }
        actions.push(Action::Fault(FaultWrite::Environment(env)));
        actions
    }
}

/// The termination handler's reaction to the notice: cordon the node and evict its pods
/// (each with its own grace period), so their owners replace them elsewhere before the
/// instance goes.
fn drain(cx: &Cx, node: &str, id: FaultId) -> Vec<Action> {
    let Some(n) = cx.store.nodes.get(node).filter(|n| n.instance_running) else {
        return Vec::new();
    };
    let mut actions = vec![
        Action::event(
            cx.now(),
            "SpotInterruption",
            format!("Node {node}"),
            format!("Spot interruption notice: the instance terminates in {SPOT_NOTICE}; cordoning and draining"),
        ),
        Action::Cordon {
            node: node.to_string(),
            unschedulable: true,
        },
    ];
    for &p in &n.pods {
        let Some(pod) = cx.store.pods.get(p).filter(|p| p.deletion.is_none()) else {
            continue;
        };
        actions.push(Action::Fault(FaultWrite::Struck { fault: id, pod: p }));
        actions.push(Action::event(
            cx.now(),
            "Evicted",
            format!("Pod {}/{}", pod.namespace, pod.name),
            format!("Evicted by the node termination handler draining {node}"),
        ));
        actions.push(Action::Pod(p, PodWrite::Delete { grace: None }));
    }
    actions
}
