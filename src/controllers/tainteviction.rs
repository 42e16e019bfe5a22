//! The taint eviction controller (`pkg/controller/tainteviction`): a pod on a node with
//! a `NoExecute` taint it does not tolerate is deleted; one that tolerates it for
//! `tolerationSeconds` is deleted that long after the taint was added. Every pod
//! tolerates `node.kubernetes.io/not-ready` and `unreachable` for 300 s unless it says
//! otherwise (the DefaultTolerationSeconds admission plugin adds those tolerations).

use super::nodelifecycle::{NOT_READY_TAINT, UNREACHABLE_TAINT};
use crate::api::core::{Taint, TaintEffect};
use crate::engine::action::{Action, FaultWrite, PodWrite};
use crate::engine::change::Change;
use crate::engine::components::{Component, Cx, Timer};
use crate::store::{Node, Pod, PodId};
use crate::units::{SimDuration, SimTime};
use std::collections::BTreeMap;

/// DefaultTolerationSeconds' `--default-not-ready-toleration-seconds` and
/// `--default-unreachable-toleration-seconds`.
pub(crate) const DEFAULT_TOLERATION_SECONDS: i64 = 300;

/// Check this pod for eviction now.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EvictionDue(PodId);

#[derive(Debug, Default)]
pub(crate) struct TaintEvictionController {
    /// When each node's NoExecute taints were added, by node and taint key.
    added: BTreeMap<String, BTreeMap<String, SimTime>>,
}

/// When a pod must leave a node with these NoExecute taints (added at these times):
/// at once for a taint it does not tolerate, else when the shortest `tolerationSeconds`
/// of the tolerations it uses runs out; never if it tolerates them all for ever.
pub(crate) fn eviction_time(pod: &Pod, taints: &[(&Taint, SimTime)]) -> Option<SimTime> {
    let mut due: Option<SimTime> = None;
    for (taint, added) in taints {
        let matching: Vec<Option<i64>> = pod
            .spec
            .tolerations
            .iter()
            .filter(|t| t.tolerates(taint))
            .map(|t| t.toleration_seconds)
            .collect();
        let seconds = if matching.is_empty() {
            let defaulted = taint.key == NOT_READY_TAINT || taint.key == UNREACHABLE_TAINT;
            if defaulted {
                Some(DEFAULT_TOLERATION_SECONDS)
            } else {
                Some(0)
            }
        } else if matching.iter().any(Option::is_none) {
            None
        } else {
            matching.into_iter().flatten().min()
        };
        if let Some(s) = seconds {
            let at = *added + SimDuration::from_secs(s.max(0) as u64);
            due = Some(due.map_or(at, |d| d.min(at)));
        }
    }
    due
}

impl TaintEvictionController {
    fn no_execute<'n>(&self, node: &'n Node) -> Vec<(&'n Taint, SimTime)> {
        let added = self.added.get(&node.name);
        node.taints
            .iter()
            .filter(|t| t.effect == TaintEffect::NoExecute)
            .map(|t| (t, added.and_then(|a| a.get(&t.key)).copied().unwrap_or_default()))
            .collect()
    }

    fn watch_pod(&self, cx: &mut Cx, pod: PodId) {
        let store = cx.store;
        let Some(p) = store.pods.get(pod).filter(|p| p.deletion.is_none()) else {
            return;
        };
        let Some(node) = p.node.as_ref().and_then(|n| store.nodes.get(n)) else {
            return;
        };
        if let Some(at) = eviction_time(p, &self.no_execute(node)) {
            cx.at(at, Timer::TaintEviction(EvictionDue(pod)));
        }
    }

    pub(crate) fn on_timer(&mut self, cx: &mut Cx, EvictionDue(pod): EvictionDue) -> Vec<Action> {
        let store = cx.store;
        let Some(p) = store.pods.get(pod).filter(|p| p.deletion.is_none()) else {
            return Vec::new();
        };
        let Some(node) = p.node.as_ref().and_then(|n| store.nodes.get(n)) else {
            return Vec::new();
        };
        // The taints may have gone, or changed, since the timer was set.
        match eviction_time(p, &self.no_execute(node)) {
            Some(at) if at <= cx.now() => {}
            _ => return Vec::new(),
        }
        let mut actions = Vec::new();
        if let Some(fault) = node.down_cause {
            actions.push(Action::Fault(FaultWrite::Struck { fault, pod }));
        }
        actions.push(Action::event(
            cx.now(),
            "TaintManagerEviction",
            format!("Pod {}/{}", p.namespace, p.name),
            format!("Marking for deletion Pod {}/{}", p.namespace, p.name),
        ));
        actions.push(Action::Pod(pod, PodWrite::Delete { grace: None }));
        actions
    }
}

impl Component for TaintEvictionController {
    fn on_change(&mut self, cx: &mut Cx, change: &Change) -> Vec<Action> {
        match change {
            Change::NodeTainted { node } => {
                let Some(n) = cx.store.nodes.get(node) else {
                    return Vec::new();
                };
                let now = cx.now();
                let added = self.added.entry(node.clone()).or_default();
                added.retain(|k, _| {
                    n.taints
                        .iter()
                        .any(|t| &t.key == k && t.effect == TaintEffect::NoExecute)
                });
                for t in n.taints.iter().filter(|t| t.effect == TaintEffect::NoExecute) {
                    added.entry(t.key.clone()).or_insert(now);
                }
                let pods: Vec<PodId> = n.pods.iter().copied().collect();
                for p in pods {
                    self.watch_pod(cx, p);
                }
            }
            Change::PodBound(p) => self.watch_pod(cx, *p),
            Change::NodeDeleted { node } => {
                self.added.remove(node);
            }
            _ => {}
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::core::{PodTemplate, Toleration};

    fn pod(tolerations: Vec<Toleration>) -> Pod {
        let mut t = PodTemplate::default();
        t.spec.tolerations = tolerations;
        Pod::new(
            PodId::from_raw(1),
            String::new(),
            "ns".into(),
            "p".into(),
            t,
            SimTime::ZERO,
        )
    }

    fn toleration(key: &str, seconds: Option<i64>) -> Toleration {
        Toleration {
            key: Some(key.into()),
            exists: true,
            value: String::new(),
            effect: Some(TaintEffect::NoExecute),
            toleration_seconds: seconds,
        }
    }

    #[test]
    fn pods_leave_tainted_nodes_when_their_tolerations_run_out() {
        let unreachable = Taint {
            key: UNREACHABLE_TAINT.into(),
            value: String::new(),
            effect: TaintEffect::NoExecute,
        };
        let other = Taint {
            key: "maintenance".into(),
            value: String::new(),
            effect: TaintEffect::NoExecute,
        };
        let t0 = SimTime(10_000);
        // (case, tolerations, taints, expected eviction time in ms)
        type Case<'t> = (&'static str, Vec<Toleration>, Vec<&'t Taint>, Option<u64>);
        let cases: Vec<Case> = vec![
            (
                "default 300 s for unreachable",
                vec![],
                vec![&unreachable],
                Some(310_000),
            ),
            (
                "own tolerationSeconds",
                vec![toleration(UNREACHABLE_TAINT, Some(30))],
                vec![&unreachable],
                Some(40_000),
            ),
            (
                "tolerated for ever",
                vec![toleration(UNREACHABLE_TAINT, None)],
                vec![&unreachable],
                None,
            ),
            (
                "an untolerated taint evicts at once",
                vec![],
                vec![&other],
                Some(10_000),
            ),
            (
                "the shortest wins",
                vec![
                    toleration(UNREACHABLE_TAINT, Some(600)),
                    toleration("maintenance", Some(60)),
                ],
                vec![&unreachable, &other],
                Some(70_000),
            ),
        ];
        for (case, tolerations, taints, want) in cases {
            let with_times: Vec<(&Taint, SimTime)> = taints.into_iter().map(|t| (t, t0)).collect();
            let got = eviction_time(&pod(tolerations), &with_times).map(|t| t.0);
            assert_eq!(got, want, "{case}");
        }
    }
}
