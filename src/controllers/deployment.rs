//! The Deployment controller: ReplicaSets per pod-template hash, RollingUpdate with the
//! exact maxSurge/maxUnavailable arithmetic of `pkg/controller/deployment`, and Recreate.

use super::WorkQueue;
use crate::api::apps::Strategy;
use crate::api::core::PodTemplate;
use crate::engine::action::Action;
use crate::engine::change::Change;
use crate::engine::components::{Component, Cx, Timer};
use crate::store::{Deployment, DeploymentId, Pod, ReplicaSet, Store};
use crate::units::SimDuration;

/// Replica counts of one ReplicaSet as the rollout arithmetic sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RsCounts {
    /// spec.replicas
    pub replicas: i32,
    /// status.availableReplicas
    pub available: i32,
}

/// `ResolveFenceposts`: surge rounds up, unavailable rounds down; both zero → 1 unavailable.
pub(crate) fn resolve_fenceposts(strategy: Strategy, desired: i32) -> (i32, i32) {
    match strategy {
        Strategy::Recreate => (0, 0),
        Strategy::RollingUpdate {
            max_surge,
            max_unavailable,
        } => {
            let surge = max_surge.scaled(desired, true);
            let unavailable = max_unavailable.scaled(desired, false);
            if surge == 0 && unavailable == 0 {
                (0, 1)
            } else {
                (surge, unavailable)
            }
        }
    }
}

/// `NewRSNewReplicas` for RollingUpdate.
pub(crate) fn new_rs_new_replicas(desired: i32, max_surge: i32, total_current: i32, new_replicas: i32) -> i32 {
    let max_total = desired + max_surge;
    if total_current >= max_total {
        return new_replicas;
    }
    let scale_up = (max_total - total_current).min(desired - new_replicas);
    new_replicas + scale_up
}

/// One rolling-update reconcile: the new spec.replicas for the new RS and for each old
/// RS (old ones ordered oldest first), as `rolloutRolling` computes them.
pub(crate) fn rolling_step(strategy: Strategy, desired: i32, new: RsCounts, old: &[RsCounts]) -> (i32, Vec<i32>) {
    let (surge, max_unavailable_raw) = resolve_fenceposts(strategy, desired);
    let mut old_replicas: Vec<i32> = old.iter().map(|o| o.replicas).collect();
    let total: i32 = new.replicas + old_replicas.iter().sum::<i32>();

    // reconcileNewReplicaSet
    let new_target = if new.replicas >= desired {
        desired
    } else {
        new_rs_new_replicas(desired, surge, total, new.replicas)
    };
    if new_target != new.replicas {
        return (new_target, old_replicas);
    }

    // reconcileOldReplicaSets
    let old_pods: i32 = old_replicas.iter().sum();
    if old_pods == 0 {
        return (new.replicas, old_replicas);
    }
    let all_pods = new.replicas + old_pods;
    let max_unavailable = if desired == 0 {
        0
    } else {
        max_unavailable_raw.min(desired)
    };
    let min_available = desired - max_unavailable;
    let new_unavailable = new.replicas - new.available;
    let max_scaled_down = all_pods - min_available - new_unavailable;
    if max_scaled_down <= 0 {
        return (new.replicas, old_replicas);
    }
    // cleanupUnhealthyReplicas: old RSs with unavailable pods shrink first.
    let mut cleaned = 0;
    for (i, o) in old.iter().enumerate() {
        if cleaned >= max_scaled_down {
            break;
        }
        let spec = old_replicas[i];
        if spec == 0 || spec == o.available {
            continue;
        }
        let cut = (max_scaled_down - cleaned).min(spec - o.available);
        old_replicas[i] = spec - cut;
        cleaned += cut;
    }
    // scaleDownOldReplicaSetsForRollingUpdate
    let available: i32 = new.available
        + old
            .iter()
            .enumerate()
            .map(|(i, o)| o.available.min(old_replicas[i]))
            .sum::<i32>();
    if available > min_available {
        let total_down = available - min_available;
        let mut done = 0;
        for r in old_replicas.iter_mut() {
            if done >= total_down {
                break;
            }
            if *r == 0 {
                continue;
            }
            let cut = (*r).min(total_down - done);
            *r -= cut;
            done += cut;
        }
    }
    (new.replicas, old_replicas)
}

/// A stable textual dump of a pod template, the input of the template hash.
pub(crate) fn template_dump(t: &PodTemplate) -> String {
    format!("{t:?}")
}

pub(crate) fn reconcile(store: &Store, uid: DeploymentId) -> Vec<Action> {
    let Some(d) = store.deployments.get(uid) else {
        return Vec::new();
    };
    debug_assert_eq!(
        d.template_hash,
        crate::apiserver::names::pod_template_hash(&template_dump(&d.spec.template), d.collision_count),
        "Deployment {} changed its template without refresh_hash()",
        d.name
    );
    let mut rss = store.replicasets_of(uid);
    rss.sort_by_key(|r| (r.created, r.uid));
    let new_rs = rss
        .iter()
        .find(|r| r.template_hash == d.template_hash && r.template == d.spec.template)
        .copied();
    let olds: Vec<_> = rss
        .iter()
        .filter(|r| Some(r.uid) != new_rs.map(|n| n.uid))
        .copied()
        .collect();
    let rollout = Rollout {
        store,
        uid,
        d,
        rss,
        new_rs,
        olds,
    };
    if d.spec.paused {
        return rollout.scale_paused();
    }
    match d.spec.strategy {
        Strategy::Recreate => rollout.recreate(),
        Strategy::RollingUpdate { .. } => rollout.rolling_update(),
    }
}

/// One Deployment and its ReplicaSets, as one reconcile sees them.
struct Rollout<'s> {
    store: &'s Store,
    uid: DeploymentId,
    d: &'s Deployment,
    /// All its ReplicaSets, oldest first.
    rss: Vec<&'s ReplicaSet>,
    /// The ReplicaSet of the current template, once made.
    new_rs: Option<&'s ReplicaSet>,
    /// The others, oldest first.
    olds: Vec<&'s ReplicaSet>,
}

impl Rollout<'_> {
    /// A paused Deployment still scales (`sync`), but does not roll out. Scaling is
    /// applied when a single ReplicaSet is active; proportional scaling of several
    /// active ReplicaSets is not modelled.
    fn scale_paused(&self) -> Vec<Action> {
        let active: Vec<_> = self.rss.iter().filter(|r| r.replicas > 0).collect();
        let target = match active.as_slice() {
            [one] => Some(**one),
            [] => self.new_rs.or(self.rss.last().copied()),
            _ => None,
        };
        target
            .filter(|t| t.replicas != self.d.spec.replicas)
            .map(|t| Action::ScaleReplicaSet {
                id: t.uid,
                replicas: self.d.spec.replicas,
            })
            .into_iter()
            .collect()
    }

    /// `rolloutRecreate`: the old ReplicaSets go to zero, and only once their pods are
    /// gone does the new one start.
    fn recreate(&self) -> Vec<Action> {
        let mut out = Vec::new();
        for o in &self.olds {
            if o.replicas > 0 {
                out.push(Action::ScaleReplicaSet { id: o.uid, replicas: 0 });
            }
        }
        // oldPodsRunning: terminating pods still count until they are gone.
        if !out.is_empty() || self.olds.iter().any(|o| !o.pods.is_empty()) {
            return out;
        }
        out.extend(self.new_rs_at(self.d.spec.replicas));
        out
    }

    /// `rolloutRolling`: the new ReplicaSet and the old ones step towards the template
    /// within maxSurge and maxUnavailable.
    fn rolling_update(&self) -> Vec<Action> {
        let counts = |rs: &ReplicaSet| RsCounts {
            replicas: rs.replicas,
            available: self.available(rs),
        };
        let old_counts: Vec<RsCounts> = self.olds.iter().map(|o| counts(o)).collect();
        let new_counts = self.new_rs.map(counts).unwrap_or(RsCounts {
            replicas: 0,
            available: 0,
        });
        let spec = &self.d.spec;
        let (new_target, old_targets) = rolling_step(spec.strategy, spec.replicas, new_counts, &old_counts);
        let mut out: Vec<Action> = self.new_rs_at(new_target).into_iter().collect();
        for (o, t) in self.olds.iter().zip(old_targets) {
            if o.replicas != t {
                out.push(Action::ScaleReplicaSet { id: o.uid, replicas: t });
            }
        }
        out
    }

    /// Creates the new ReplicaSet with `replicas`, or scales it to them.
    fn new_rs_at(&self, replicas: i32) -> Option<Action> {
        match self.new_rs {
            None => Some(Action::CreateReplicaSet {
                deployment: self.uid,
                template: self.d.spec.template.clone(),
                hash: self.d.template_hash.clone(),
                replicas,
                revision: self.rss.iter().map(|r| r.revision).max().unwrap_or(0) + 1,
            }),
            Some(n) if n.replicas != replicas => Some(Action::ScaleReplicaSet { id: n.uid, replicas }),
            _ => None,
        }
    }

    /// Pods of `rs` that have been Ready for the Deployment's `minReadySeconds`.
    fn available(&self, rs: &ReplicaSet) -> i32 {
        let min_ready = SimDuration::from_secs(self.d.spec.min_ready_seconds);
        rs.pods
            .iter()
            .filter(|p| {
                self.store
                    .pods
                    .get(**p)
                    .is_some_and(|p| p.is_available(min_ready, self.store.now))
            })
            .count() as i32
    }
}

/// The Deployment controller: its Deployments, woken by their own changes, their
/// ReplicaSets' and their pods', and again once a Ready pod has been Ready for
/// `minReadySeconds` (it then counts as available).
#[derive(Default)]
pub(crate) struct DeploymentController {
    queue: WorkQueue<DeploymentId>,
}

impl DeploymentController {
    fn owner_of(store: &Store, pod: &Pod) -> Option<DeploymentId> {
        store.replicasets.get(pod.owner_rs?)?.deployment
    }

    /// The timer set at a pod's readiness is due.
    pub(crate) fn resync(&mut self, id: DeploymentId) {
        self.queue.add(id);
    }
}

impl Component for DeploymentController {
    fn on_change(&mut self, cx: &mut Cx, change: &Change) -> Vec<Action> {
        let store = cx.store;
        match change {
            Change::Deployment(id) => self.queue.add(*id),
            Change::ReplicaSet { deployment, .. } | Change::ReplicaSetDeleted { deployment, .. } => {
                self.queue.extend(*deployment)
            }
            Change::PodCreated(p) | Change::PodTerminating(p) | Change::PodNotReady(p) => self
                .queue
                .extend(store.pods.get(*p).and_then(|p| Self::owner_of(store, p))),
            Change::PodRemoved { pod, .. } => self.queue.extend(Self::owner_of(store, pod)),
            Change::PodReady(p) | Change::PodReadyAgain(p) => {
                let Some(d) = store
                    .pods
                    .get(*p)
                    .and_then(|p| Self::owner_of(store, p))
                    .and_then(|d| store.deployments.get(d))
                else {
                    return Vec::new();
                };
                self.queue.add(d.uid);
                if d.spec.min_ready_seconds > 0 {
                    let wait = SimDuration::from_secs(d.spec.min_ready_seconds);
                    cx.after(wait, Timer::Deployment(d.uid));
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn reconcile_next(&mut self, cx: &mut Cx) -> Option<Vec<Action>> {
        self.queue.pop().map(|id| reconcile(cx.store, id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::apps::IntOrPercent::{Int, Percent};

    fn rolling(s: crate::api::apps::IntOrPercent, u: crate::api::apps::IntOrPercent) -> Strategy {
        Strategy::RollingUpdate {
            max_surge: s,
            max_unavailable: u,
        }
    }

    #[test]
    fn fenceposts_round_surge_up_and_unavailable_down() {
        let cases = [
            (rolling(Percent(25), Percent(25)), 1, (1, 0)),
            (rolling(Percent(25), Percent(25)), 4, (1, 1)),
            (rolling(Percent(25), Percent(25)), 10, (3, 2)),
            (rolling(Int(0), Percent(10)), 5, (0, 1)), // both zero → 1 unavailable
            (rolling(Int(0), Int(1)), 1, (0, 1)),
            (rolling(Percent(50), Int(0)), 3, (2, 0)),
            (Strategy::Recreate, 3, (0, 0)),
        ];
        for (s, desired, want) in cases {
            assert_eq!(resolve_fenceposts(s, desired), want, "{s:?} x{desired}");
        }
    }

    #[test]
    fn rolling_steps_follow_the_deployment_controller() {
        let c = |replicas, available| RsCounts { replicas, available };
        let default = Strategy::DEFAULT_ROLLING;
        // (strategy, desired, new, olds, expected (new, olds))
        type Case = (Strategy, i32, RsCounts, Vec<RsCounts>, (i32, Vec<i32>));
        let cases: Vec<Case> = vec![
            // 1 replica, defaults: surge one new pod, keep the old one (maxUnavailable 0).
            (default, 1, c(0, 0), vec![c(1, 1)], (1, vec![1])),
            // ...and while the new pod is not available, the old one stays: the seed's deadlock.
            (default, 1, c(1, 0), vec![c(1, 1)], (1, vec![1])),
            // once the new pod is available the old one goes.
            (default, 1, c(1, 1), vec![c(1, 1)], (1, vec![0])),
            // maxSurge 0 / maxUnavailable 1: old pod goes first.
            (rolling(Int(0), Int(1)), 1, c(0, 0), vec![c(1, 1)], (0, vec![0])),
            (rolling(Int(0), Int(1)), 1, c(0, 0), vec![c(0, 0)], (1, vec![0])),
            // 4 replicas, defaults: surge 1, unavailable 1.
            (default, 4, c(0, 0), vec![c(4, 4)], (1, vec![4])),
            (default, 4, c(1, 0), vec![c(4, 4)], (1, vec![3])),
            // unhealthy old pods are cleaned up first, but only up to maxScaledDown (1 here).
            (default, 4, c(1, 0), vec![c(4, 2)], (1, vec![3])),
            // scale down of the new RS when desired shrinks.
            (default, 0, c(2, 2), vec![], (0, vec![])),
            // plain scale-up without a rollout.
            (default, 3, c(1, 1), vec![], (3, vec![])),
        ];
        for (i, (s, desired, new, olds, want)) in cases.into_iter().enumerate() {
            assert_eq!(rolling_step(s, desired, new, &olds), want, "case {i}");
        }
    }
}
