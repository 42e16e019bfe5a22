//! The pod garbage collector (`pkg/controller/podgc`): every 20 s it looks for pods bound
//! to nodes that no longer exist, and force-deletes those still orphaned after a 40 s
//! quarantine — the only way pods of a lost node, which no kubelet will confirm, leave
//! the API.

use crate::engine::action::{Action, FaultWrite, PodWrite};
use crate::engine::change::Change;
use crate::engine::components::{Component, Cx, Timer};
use crate::store::PodId;
use crate::units::{SimDuration, SimTime};
use std::collections::BTreeMap;

/// `gcCheckPeriod`.
pub(crate) const GC_CHECK_PERIOD: SimDuration = SimDuration(20_000);
/// `quarantineTime` for orphaned pods.
pub(crate) const QUARANTINE_TIME: SimDuration = SimDuration(40_000);

/// A round of the collector is due.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GcRound;

#[derive(Debug, Default)]
pub(crate) struct PodGarbageCollector {
    /// Orphaned pods and when a round first found them so.
    quarantine: BTreeMap<PodId, SimTime>,
    /// A round is scheduled.
    scheduled: bool,
}

impl PodGarbageCollector {
    fn schedule(&mut self, cx: &mut Cx) {
        if !self.scheduled {
            self.scheduled = true;
            // Rounds run every period from the controller's start.
            let period = GC_CHECK_PERIOD.0;
            cx.at(SimTime((cx.now().0 / period + 1) * period), Timer::PodGc(GcRound));
        }
    }

    pub(crate) fn on_timer(&mut self, cx: &mut Cx, _: GcRound) -> Vec<Action> {
        self.scheduled = false;
        let store = cx.store;
        let now = cx.now();
        let orphans: Vec<PodId> = store
            .pods
            .values()
            .filter(|p| p.node.as_ref().is_some_and(|n| !store.nodes.contains_key(n)))
            .map(|p| p.uid)
            .collect();
        self.quarantine.retain(|p, _| orphans.contains(p));
        let mut actions = Vec::new();
        for p in orphans {
            let since = *self.quarantine.entry(p).or_insert(now);
            if now.since(since) < QUARANTINE_TIME {
                continue;
            }
            self.quarantine.remove(&p);
            let Some(pod) = store.pods.get(p) else { continue };
            let cause = pod.node.as_ref().and_then(|n| {
                store
                    .departed_nodes
                    .iter()
                    .rev()
                    .find(|d| &d.node.name == n)
                    .and_then(|d| d.node.down_cause)
            });
            if let Some(fault) = cause {
                actions.push(Action::Fault(FaultWrite::Struck { fault, pod: p }));
            }
            actions.push(Action::event(
                now,
                "DeletionByPodGC",
                format!("Pod {}/{}", pod.namespace, pod.name),
                "PodGC: node no longer exists",
            ));
            actions.push(Action::Pod(
                p,
                PodWrite::Delete {
                    grace: Some(SimDuration::ZERO),
                },
            ));
        }
        if !self.quarantine.is_empty() {
            self.schedule(cx);
        }
        actions
    }
}

impl Component for PodGarbageCollector {
    fn on_change(&mut self, cx: &mut Cx, change: &Change) -> Vec<Action> {
        if let Change::NodeDeleted { .. } = change {
            self.schedule(cx);
        }
        Vec::new()
    }
}
