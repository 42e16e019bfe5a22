//! Deadlock diagnosis on a wait-for graph of pods: a gated pod waits for the pods holding
//! the quota it needs; an old pod of a RollingUpdate waits for the new pods to become
//! Ready. A cycle with no terminating pod in it will never resolve by itself.

use crate::api::apps::Strategy;
use crate::controllers::deployment::resolve_fenceposts;
use crate::store::{Pod, PodId, Store};
use crate::units::SimTime;
use petgraph::algo::tarjan_scc;
use petgraph::graphmap::DiGraphMap;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub pods: BTreeSet<String>,
    pub deployments: BTreeSet<String>,
    pub description: String,
    pub fix: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Deadlock {
    pub detected: SimTime,
    pub resolved: Option<SimTime>,
    pub found: Found,
}

/// Flavors the pending message says are short of unused quota.
fn starved_flavors(message: &str) -> Vec<String> {
    message
        .split(", ")
        .filter_map(|part| {
            let rest = part.split("insufficient unused quota for ").nth(1)?;
            let after = rest.split(" in flavor ").nth(1)?;
            Some(after.split(',').next()?.trim().to_string())
        })
        .collect()
}

fn pod_ref(p: &Pod) -> String {
    format!("{}/{}", p.namespace, p.name)
}

pub(crate) fn detect(store: &Store) -> Vec<Found> {
    let mut g: DiGraphMap<PodId, ()> = DiGraphMap::new();
    let waited_on = add_rollout_edges(store, &mut g);
    if waited_on.is_empty() {
        return Vec::new();
    }
    let holders = quota_holders(store);
    let gated = add_quota_edges(store, &mut g, &waited_on, &holders);
    let mut out: Vec<Found> = tarjan_scc(&g)
        .iter()
        .filter_map(|scc| explain(store, scc, &gated))
        .collect();
    out.sort_by(|a, b| a.pods.cmp(&b.pods));
    out
}

/// Old pods of a stalled RollingUpdate wait for the new ReplicaSet's pods that are not
/// Ready; returns those waited for. Only pods someone waits for can close a cycle, so
/// quota edges are built for those alone.
fn add_rollout_edges(store: &Store, g: &mut DiGraphMap<PodId, ()>) -> BTreeSet<PodId> {
    let mut waited_on: BTreeSet<PodId> = BTreeSet::new();
    for d in store.deployments.values() {
        if !matches!(d.spec.strategy, Strategy::RollingUpdate { .. }) {
            continue;
        }
        let rss = store.replicasets_of(d.uid);
        if rss.len() < 2 {
            continue;
        }
        let hash = &d.template_hash;
        let Some(new_rs) = rss.iter().find(|r| &r.template_hash == hash) else {
            continue;
        };
        let waiting_new: Vec<PodId> = new_rs
            .pods
            .iter()
            .filter(|p| store.pods.get(**p).is_some_and(|p| !p.is_ready()))
            .copied()
            .collect();
        for old in rss.iter().filter(|r| r.uid != new_rs.uid && r.replicas > 0) {
            for o in &old.pods {
                for n in &waiting_new {
                    g.add_edge(*o, *n, ());
                    waited_on.insert(*n);
                }
            }
        }
    }
    waited_on
}

/// Pods holding quota, by ClusterQueue and flavor: those of the admitted, unfinished
/// workloads.
type Holders<'s> = BTreeMap<(&'s str, &'s str), Vec<PodId>>;

fn quota_holders(store: &Store) -> Holders<'_> {
    let mut holders: Holders = Default::default();
    for h in store.workloads.values().filter(|h| h.finished_at.is_none()) {
        if let Some(a) = &h.admission {
            let pods = store.pods_of(h);
            for f in a.flavor_names() {
                holders
                    .entry((a.cluster_queue.as_str(), f))
                    .or_default()
                    .extend(pods.iter().copied());
            }
        }
    }
    holders
}

/// Gated pods among `waited_on` wait for the holders of the quota they lack; returns the
/// pods that got such edges.
fn add_quota_edges(
    store: &Store,
    g: &mut DiGraphMap<PodId, ()>,
    waited_on: &BTreeSet<PodId>,
    holders: &Holders,
) -> BTreeSet<PodId> {
    let mut gated: BTreeSet<PodId> = BTreeSet::new();
    for pod_uid in waited_on {
        let Some(pod) = store.pods.get(pod_uid) else { continue };
        let Some(w) = pod.workload.and_then(|w| store.workloads.get(w)) else {
            continue;
        };
        let (true, Some(msg)) = (pod.is_gated() && w.is_pending(), &w.pending_message) else {
            continue;
        };
        let Some(cq) = store.cluster_queue_of(w) else {
            continue;
        };
        let blockers: Vec<PodId> = starved_flavors(msg)
            .iter()
            .flat_map(|f| holders.get(&(cq, f.as_str())).cloned().unwrap_or_default())
            .collect();
        // Admission needs only one flavor to free up: a terminating holder will release
        // its quota, so this pod is not stuck.
        if blockers
            .iter()
            .any(|h| store.pods.get(h).is_none_or(|p| p.is_terminating()))
        {
            continue;
        }
        for h in &blockers {
            g.add_edge(*pod_uid, *h, ());
            gated.insert(*pod_uid);
        }
    }
    gated
}

/// A deadlock, when the cycle `scc` holds a gated pod and no terminating one (which
/// would break it by itself).
fn explain(store: &Store, scc: &[PodId], gated: &BTreeSet<PodId>) -> Option<Found> {
    if scc.len() < 2 || !scc.iter().any(|p| gated.contains(p)) {
        return None;
    }
    let pods: Vec<&Pod> = scc.iter().filter_map(|u| store.pods.get(u)).collect();
    if pods.iter().any(|p| p.is_terminating()) {
        return None;
    }
    let deployments: BTreeSet<String> = pods
        .iter()
        .filter_map(|p| store.deployment_of_pod(p))
        .map(|d| format!("{}/{}", d.namespace, d.name))
        .collect();
    let gated_pod = pods.iter().find(|p| gated.contains(&p.uid))?;
    let holder = pods.iter().find(|p| !gated.contains(&p.uid)).unwrap_or(gated_pod);
    let message = gated_pod
        .workload
        .and_then(|w| store.workloads.get(w))
        .and_then(|w| w.pending_message.clone())
        .unwrap_or_default();
    let description = format!(
        "Rolling update of {} is deadlocked: new pod {} is SchedulingGated by Kueue ({message}) because old pod {} still holds the quota, and the old pod is kept until the new one is Ready.{}",
        deployments.iter().next().cloned().unwrap_or_default(),
        pod_ref(gated_pod),
        pod_ref(holder),
        fencepost_arithmetic(store, gated_pod),
    );
    let old_rs = holder
        .owner_rs
        .and_then(|r| store.replicasets.get(r))
        .map(|r| r.name.clone())
        .unwrap_or_default();
    let fix = format!(
        "Use deploymentStrategy type: Recreate on the InferenceService (or RollingUpdate with maxSurge: 0, maxUnavailable: 1) so the old pod releases its quota first; to recover now: oc delete pod {} -n {} --force --grace-period=0 and oc scale rs/{old_rs} -n {} --replicas=0.",
        gated_pod.name, gated_pod.namespace, gated_pod.namespace
    );
    Some(Found {
        pods: pods.iter().map(|p| pod_ref(p)).collect(),
        deployments,
        description,
        fix,
    })
}

/// Why the rollout of the gated pod's Deployment must surge: its maxSurge and
/// maxUnavailable as they round for its replicas; empty for a Recreate one.
fn fencepost_arithmetic(store: &Store, gated_pod: &Pod) -> String {
    store
        .deployment_of_pod(gated_pod)
        .map(|d| match d.spec.strategy {
            Strategy::RollingUpdate { max_surge, max_unavailable } => {
                let (s, u) = resolve_fenceposts(d.spec.strategy, d.spec.replicas);
                format!(
                    " With {} replica(s), maxSurge {max_surge} rounds up to {s} and maxUnavailable {max_unavailable} rounds down to {u}: the rollout must start a new pod before it may stop an old one.",
                    d.spec.replicas
                )
            }
            Strategy::Recreate => String::new(),
        })
        .unwrap_or_default()
}

/// Updates the list of deadlocks seen so far with what is deadlocked now.
pub(crate) fn track(list: &mut Vec<Deadlock>, found: Vec<Found>, now: SimTime) {
    for d in list.iter_mut().filter(|d| d.resolved.is_none()) {
        if !found.iter().any(|f| f.pods == d.found.pods) {
            d.resolved = Some(now);
        }
    }
    for f in found {
        if !list.iter().any(|d| d.resolved.is_none() && d.found.pods == f.pods) {
            list.push(Deadlock {
                detected: now,
                resolved: None,
                found: f,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starved_flavors_come_from_kueue_messages() {
        let m = "couldn't assign flavors to pod set main: insufficient quota for nvidia.com/gpu in flavor a, previously considered podsets requests (0) + current podset request (4) > maximum capacity (1), insufficient unused quota for nvidia.com/gpu in flavor nvidia-l4-4gpu, 4 more needed";
        assert_eq!(starved_flavors(m), vec!["nvidia-l4-4gpu".to_string()]);
    }
}
