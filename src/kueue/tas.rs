//! Topology-aware scheduling (`pkg/cache/scheduler/tas_flavor_snapshot.go` and the topology
//! ungater, `pkg/controller/tas`): a pod set that asks for it is placed on the nodes of its
//! topology-aware flavor, grouped by the Topology's levels (a block, a rack, a node): all in
//! one domain of a level (`podset-required-topology`), in one if possible and else in as
//! few as possible (`podset-preferred-topology`), or on any nodes that hold them
//! (`podset-unconstrained-topology`, and every pod set of a ClusterQueue whose flavors are
//! all topology-aware). Required and preferred pick the tightest domain that fits (Kueue's
//! BestFit), unconstrained the least free one (LeastFreeCapacity). Admitted, the pods are
//! created gated (`kueue.x-k8s.io/topology`) and ungated one by one onto their node.

use crate::api::core::{PodSpec, ResourceList, TaintEffect, Toleration};
use crate::api::kueue::{ResourceFlavor, HOSTNAME_LABEL};
use crate::api::meta::Labels;
use crate::engine::action::{Action, PodWrite};
use crate::store::{PodId, Store, TopologyAssignment, TopologyRequest, Workload};
use crate::units::Quantity;
use std::collections::BTreeMap;

pub(crate) const TOPOLOGY_GATE: &str = "kueue.x-k8s.io/topology";
pub(crate) const PODSET_LABEL: &str = "kueue.x-k8s.io/podset";
const REQUIRED: &str = crate::api::kueue::TOPOLOGY_ANNOTATIONS[0];
const PREFERRED: &str = crate::api::kueue::TOPOLOGY_ANNOTATIONS[1];
const UNCONSTRAINED: &str = crate::api::kueue::TOPOLOGY_ANNOTATIONS[2];

/// The pod set's request, from its pod template's annotations (Kueue's webhook refuses
/// more than one of them, as the manifest loader does here).
pub(crate) fn topology_request(annotations: &Labels) -> Option<TopologyRequest> {
    if let Some(level) = annotations.get(REQUIRED) {
        return Some(TopologyRequest::Required(level.clone()));
    }
    if let Some(level) = annotations.get(PREFERRED) {
        return Some(TopologyRequest::Preferred(level.clone()));
    }
    annotations
        .get(UNCONSTRAINED)
        .filter(|v| *v == "true")
        .map(|_| TopologyRequest::Unconstrained)
}

/// One node of a topology-aware flavor, with its domain at each level.
#[derive(Debug, Clone)]
struct TasNode {
    name: String,
    values: Vec<String>,
    labels: Labels,
    taints: Vec<crate::api::core::Taint>,
    /// Allocatable less what its pods, and the admitted pods not yet bound there, hold.
    free: ResourceList,
    /// Allocatable less what pods outside topology-aware Workloads hold (Kueue's
    /// "simulate empty": what preemption could make free).
    free_empty: ResourceList,
}

/// A topology-aware flavor's nodes as a scheduling pass sees them.
#[derive(Debug, Clone)]
pub(crate) struct TasFlavor {
    topology: String,
    levels: Vec<String>,
    nodes: Vec<TasNode>,
}

/// The topology-aware flavors of the cluster, for one scheduling pass.
#[derive(Debug, Clone, Default)]
pub(crate) struct TasSnapshot {
    flavors: BTreeMap<String, TasFlavor>,
}

impl TasSnapshot {
    /// The flavors with a `topologyName` whose Topology exists, and their Ready,
    /// schedulable nodes that carry the flavor's labels and every level's label.
    pub(crate) fn build(store: &Store) -> TasSnapshot {
        let mut out = TasSnapshot::default();
        let tas_flavors: Vec<(&ResourceFlavor, &crate::api::kueue::Topology)> = store
            .flavors
            .values()
            .filter_map(|f| {
                let t = store.topologies.get(f.topology_name.as_ref()?)?;
                Some((f, t))
            })
            .collect();
        if tas_flavors.is_empty() {
            return out;
        }
        let (held, unbound) = tas_usage(store);
        for (f, t) in tas_flavors {
            let nodes = store
                .nodes
                .values()
                .filter(|n| !n.unschedulable && n.ready == crate::store::NodeReady::True)
                .filter(|n| f.node_labels.iter().all(|(k, v)| n.labels.get(k) == Some(v)))
                .filter_map(|n| {
                    let values: Option<Vec<String>> = t.levels.iter().map(|l| n.labels.get(l).cloned()).collect();
                    let mut free = minus(&n.allocatable, &n.requested);
                    if let Some(u) = unbound.get(&n.name) {
                        free = minus(&free, u);
                    }
                    let mut non_tas = n.requested.clone();
                    if let Some(h) = held.get(&n.name) {
                        non_tas = minus(&non_tas, h);
                    }
                    Some(TasNode {
                        name: n.name.clone(),
                        values: values?,
                        labels: n.labels.clone(),
                        taints: n.taints.clone(),
                        free,
                        free_empty: minus(&n.allocatable, &non_tas),
                    })
                })
                .collect();
            out.flavors.insert(
                f.name.clone(),
                TasFlavor {
                    topology: t.name.clone(),
                    levels: t.levels.clone(),
                    nodes,
                },
            );
        }
        out
    }

    pub(crate) fn flavor(&self, name: &str) -> Option<&TasFlavor> {
        self.flavors.get(name)
    }

    /// A pod set admitted in this pass takes its nodes' room.
    pub(crate) fn reserve(&mut self, a: &TopologyAssignment, per_pod: &ResourceList) {
        for (values, count) in &a.domains {
            let Some(node) = values.last() else { continue };
            let used = per_pod.times(i64::from(*count));
            for f in self.flavors.values_mut() {
                for n in f.nodes.iter_mut().filter(|n| n.name == *node) {
                    n.free = minus(&n.free, &used);
                }
            }
        }
    }
}

/// Per node: what the pods of topology-aware Workloads hold there, and what their admitted
/// pods not yet bound there will (`TAS usage` of the cache).
fn tas_usage(store: &Store) -> (BTreeMap<String, ResourceList>, BTreeMap<String, ResourceList>) {
    let (mut held, mut unbound) = (
        BTreeMap::<String, ResourceList>::new(),
        BTreeMap::<String, ResourceList>::new(),
    );
    for w in store.workloads.values().filter(|w| w.finished_at.is_none()) {
        let Some(a) = &w.admission else { continue };
        for psa in &a.pod_set_assignments {
            let Some(ta) = &psa.topology_assignment else { continue };
            let Some(ps) = w.pod_sets.iter().find(|p| p.name == psa.name) else {
                continue;
            };
            let mut bound: BTreeMap<String, u32> = BTreeMap::new();
            for p in store.pods_of(w).iter().filter_map(|p| store.pods.get(*p)) {
                let in_set = p.labels.get(PODSET_LABEL).is_none_or(|s| *s == psa.name);
                if let (Some(node), true, None) = (&p.node, in_set, p.deletion) {
                    *bound.entry(node.clone()).or_default() += 1;
                    held.entry(node.clone()).or_default().add(&ps.per_pod);
                }
            }
            for (values, count) in &ta.domains {
                let Some(node) = values.last() else { continue };
                let left = count.saturating_sub(bound.get(node).copied().unwrap_or(0));
                if left > 0 {
                    unbound
                        .entry(node.clone())
                        .or_default()
                        .add(&ps.per_pod.times(i64::from(left)));
                }
            }
        }
    }
    (held, unbound)
}

fn minus(a: &ResourceList, b: &ResourceList) -> ResourceList {
    let mut out = a.clone();
    for (k, q) in &b.0 {
        let v = out.0.entry(k.clone()).or_default();
        *v -= *q;
    }
    out
}

/// How many pods of `per_pod` fit in `free` (`pods` counts one per pod).
fn pods_that_fit(free: &ResourceList, per_pod: &ResourceList) -> u32 {
    let mut fit = u32::MAX;
    for (r, q) in per_pod.0.iter().filter(|(_, q)| !q.is_zero()) {
        let have = free.get(r);
        let n = if have <= Quantity::ZERO {
            0
        } else {
            (have.milli() / q.milli().max(1)) as u64
        };
        fit = fit.min(u32::try_from(n).unwrap_or(u32::MAX));
    }
    if free.0.contains_key("pods") {
        let pods = free.get("pods").milli() / 1000;
        fit = fit.min(u32::try_from(pods.max(0)).unwrap_or(u32::MAX));
    }
    fit
}

/// Whether the pod may run on the node at all: its node selector, required affinity, and
/// the node's NoSchedule/NoExecute taints against its and the flavor's tolerations.
fn feasible(node: &TasNode, spec: &PodSpec, flavor_tolerations: &[Toleration]) -> bool {
    spec.node_selector.iter().all(|(k, v)| node.labels.get(k) == Some(v))
        && spec.affinity.as_ref().is_none_or(|a| a.matches(&node.labels))
        && node.taints.iter().all(|t| {
            !matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute)
                || spec
                    .tolerations
                    .iter()
                    .chain(flavor_tolerations)
                    .any(|tol| tol.tolerates(t))
        })
}

/// A domain of one level: its values down to that level, its capacity in pods, its nodes.
#[derive(Debug, Clone)]
struct Domain {
    values: Vec<String>,
    capacity: u32,
    nodes: Vec<usize>,
}

/// What one placement needs.
pub(crate) struct Placement<'a> {
    pub request: &'a TopologyRequest,
    pub spec: &'a PodSpec,
    pub flavor_tolerations: &'a [Toleration],
    pub per_pod: &'a ResourceList,
    pub count: u32,
    /// Pods of the Workload's earlier pod sets placed in this pass, per node.
    pub assumed: &'a BTreeMap<String, ResourceList>,
    /// Ignore what topology-aware Workloads hold (could preemption make room at all?).
    pub simulate_empty: bool,
}

impl TasFlavor {
    /// The level index a request names; None when the flavor's Topology lacks it.
    pub(crate) fn level_of(&self, request: &TopologyRequest) -> Option<usize> {
        match request {
            TopologyRequest::Required(l) | TopologyRequest::Preferred(l) => self.levels.iter().position(|x| x == l),
            TopologyRequest::Unconstrained => self.levels.len().checked_sub(1),
        }
    }

    /// Kueue's `FindTopologyAssignment`: the pods per node, or Kueue's reason why not.
    pub(crate) fn place(&self, p: &Placement) -> Result<TopologyAssignment, String> {
        let Some(level) = self.level_of(p.request) else {
            return Err(format!("no requested topology level: {}", requested_level(p.request)));
        };
        let capacity: Vec<u32> = self
            .nodes
            .iter()
            .map(|n| {
                if !feasible(n, p.spec, p.flavor_tolerations) {
                    return 0;
                }
                let mut free = if p.simulate_empty {
                    n.free_empty.clone()
                } else {
                    n.free.clone()
                };
                if let Some(a) = p.assumed.get(&n.name) {
                    free = minus(&free, a);
                }
                pods_that_fit(&free, p.per_pod)
            })
            .collect();
        let best_fit = !matches!(p.request, TopologyRequest::Unconstrained);
        let required = matches!(p.request, TopologyRequest::Required(_));
        let chosen = self.find_level(level, p.count, &capacity, best_fit, required)?;
        // Down to the nodes: within each chosen domain, the fewest nodes (the tightest
        // that holds the rest, BestFit; the least free first, LeastFreeCapacity).
        let mut domains: Vec<(Vec<String>, u32)> = Vec::new();
        for (d, take) in chosen {
            let mut nodes: Vec<Domain> = d
                .nodes
                .iter()
                .map(|&i| Domain {
                    values: self.nodes.get(i).map(|n| n.values.clone()).unwrap_or_default(),
                    capacity: capacity.get(i).copied().unwrap_or(0),
                    nodes: vec![i],
                })
                .filter(|n| n.capacity > 0)
                .collect();
            sort_domains(&mut nodes, best_fit);
            for (n, c) in fill(&nodes, take, best_fit) {
                domains.push((n.values.clone(), c));
            }
        }
        domains.sort();
        Ok(TopologyAssignment {
            levels: self.levels.clone(),
            domains,
        })
    }

    /// The domains of `level` with their capacities, sorted for the profile.
    fn domains_at(&self, level: usize, capacity: &[u32], best_fit: bool) -> Vec<Domain> {
        let mut by_values: BTreeMap<Vec<String>, Domain> = BTreeMap::new();
        for (i, n) in self.nodes.iter().enumerate() {
            let values: Vec<String> = n.values.iter().take(level + 1).cloned().collect();
            let d = by_values.entry(values.clone()).or_insert(Domain {
                values,
                capacity: 0,
                nodes: Vec::new(),
            });
            d.capacity = d.capacity.saturating_add(capacity.get(i).copied().unwrap_or(0));
            d.nodes.push(i);
        }
        let mut doms: Vec<Domain> = by_values.into_values().collect();
        sort_domains(&mut doms, best_fit);
        doms
    }

    /// Kueue's `findLevelWithFitDomains`: one domain of `level` that holds `count`, else
    /// (preferred) the level above, else several domains of the top level.
    fn find_level(
        &self,
        level: usize,
        count: u32,
        capacity: &[u32],
        best_fit: bool,
        required: bool,
    ) -> Result<Vec<(Domain, u32)>, String> {
        let doms = self.domains_at(level, capacity, best_fit);
        let Some(top) = doms.first() else {
            return Err(format!(
                "no topology domains at level: {}",
                self.levels.get(level).map_or("", |s| s.as_str())
            ));
        };
        if let Some(d) = best_domain(&doms, count, best_fit) {
            return Ok(vec![(d.clone(), count)]);
        }
        if required {
            return Err(self.not_fit(top.capacity, count));
        }
        if level > 0 && best_fit {
            return self.find_level(level - 1, count, capacity, best_fit, required);
        }
        let chosen = fill(&doms, count, best_fit);
        let placed: u32 = chosen.iter().map(|(_, c)| c).sum();
        if placed < count {
            return Err(self.not_fit(placed, count));
        }
        Ok(chosen.into_iter().map(|(d, c)| (d.clone(), c)).collect())
    }

    fn not_fit(&self, fit: u32, count: u32) -> String {
        if fit == 0 {
            format!(
                "topology \"{}\" doesn't allow to fit any of {count} pod(s)",
                self.topology
            )
        } else {
            format!(
                "topology \"{}\" allows to fit only {fit} out of {count} pod(s)",
                self.topology
            )
        }
    }
}

fn requested_level(r: &TopologyRequest) -> &str {
    match r {
        TopologyRequest::Required(l) | TopologyRequest::Preferred(l) => l,
        TopologyRequest::Unconstrained => HOSTNAME_LABEL,
    }
}

/// BestFit: most capacity first; LeastFreeCapacity: least first; then by values.
fn sort_domains(doms: &mut [Domain], best_fit: bool) {
    doms.sort_by(|a, b| {
        let by_cap = if best_fit {
            b.capacity.cmp(&a.capacity)
        } else {
            a.capacity.cmp(&b.capacity)
        };
        by_cap.then_with(|| a.values.cmp(&b.values))
    });
}

/// The one domain to hold `count`: the tightest that does (BestFit), or the first that
/// does in least-free order.
fn best_domain(doms: &[Domain], count: u32, best_fit: bool) -> Option<&Domain> {
    let holding = doms.iter().filter(|d| d.capacity >= count);
    if best_fit {
        holding.min_by_key(|d| d.capacity)
    } else {
        holding.into_iter().next()
    }
}

/// Kueue's `updateCountsToMinimum`: domains in order, each taking what it holds, the
/// tightest that holds the rest taking the rest (BestFit).
fn fill(doms: &[Domain], count: u32, best_fit: bool) -> Vec<(&Domain, u32)> {
    let mut out: Vec<(&Domain, u32)> = Vec::new();
    let mut left = count;
    let mut used = vec![false; doms.len()];
    while left > 0 {
        let rest: Vec<(usize, &Domain)> = doms.iter().enumerate().filter(|(i, _)| !used[*i]).collect();
        let Some(&(first_i, first)) = rest.first() else { break };
        let (i, d) = if best_fit && first.capacity >= left {
            rest.iter()
                .filter(|(_, d)| d.capacity >= left)
                .min_by_key(|(_, d)| d.capacity)
                .copied()
                .unwrap_or((first_i, first))
        } else {
            (first_i, first)
        };
        if let Some(u) = used.get_mut(i) {
            *u = true;
        }
        let take = d.capacity.min(left);
        if take == 0 {
            break;
        }
        out.push((d, take));
        left -= take;
    }
    out
}

/// The topology ungater: a gated pod of an admitted topology-aware pod set goes to the
/// first node of the assignment that still wants pods of its pod set, with a node selector
/// for it, and loses the `kueue.x-k8s.io/topology` gate.
pub(crate) fn ungate(store: &Store, pod: PodId) -> Vec<Action> {
    let Some(p) = store.pods.get(pod) else {
        return Vec::new();
    };
    if p.deletion.is_some() || !p.spec.scheduling_gates.iter().any(|g| g == TOPOLOGY_GATE) {
        return Vec::new();
    }
    let workload = p.workload.or_else(|| {
        p.owner_job
            .and_then(|j| store.jobs.get(j))
            .and_then(|j| store.job_workload(j))
    });
    let Some(w) = workload.and_then(|w| store.workloads.get(w)) else {
        return Vec::new();
    };
    let pod_set = p
        .labels
        .get(PODSET_LABEL)
        .cloned()
        .unwrap_or_else(|| super::POD_SET.into());
    let Some(node) = next_node(store, w, &pod_set) else {
        return Vec::new();
    };
    vec![Action::Pod(
        pod,
        PodWrite::UngateTopology {
            node_selector: [(HOSTNAME_LABEL.to_string(), node)].into(),
        },
    )]
}

/// The first node of the pod set's assignment with fewer of its pods (ungated, not being
/// deleted) than assigned.
pub(crate) fn next_node(store: &Store, w: &Workload, pod_set: &str) -> Option<String> {
    let a = w.admission.as_ref()?;
    let ta = a
        .pod_set_assignments
        .iter()
        .find(|ps| ps.name == pod_set)?
        .topology_assignment
        .as_ref()?;
    let mut placed: BTreeMap<&str, u32> = BTreeMap::new();
    for p in store.pods_of(w).iter().filter_map(|p| store.pods.get(*p)) {
        let in_set = p.labels.get(PODSET_LABEL).is_none_or(|s| s == pod_set);
        if !in_set || p.deletion.is_some() || p.spec.scheduling_gates.iter().any(|g| g == TOPOLOGY_GATE) {
            continue;
        }
        if let Some(n) = p.spec.node_selector.get(HOSTNAME_LABEL) {
            *placed.entry(n.as_str()).or_default() += 1;
        }
    }
    ta.domains.iter().find_map(|(values, count)| {
        let node = values.last()?;
        (placed.get(node.as_str()).copied().unwrap_or(0) < *count).then(|| node.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flavor(nodes: &[(&str, &str, &str, i64)]) -> TasFlavor {
        TasFlavor {
            topology: "gpu-topo".into(),
            levels: vec!["block".into(), "rack".into(), HOSTNAME_LABEL.into()],
            nodes: nodes
                .iter()
                .map(|(block, rack, name, gpus)| {
                    let free = ResourceList([("nvidia.com/gpu".to_string(), Quantity::from_units(*gpus))].into());
                    TasNode {
                        name: name.to_string(),
                        values: vec![block.to_string(), rack.to_string(), name.to_string()],
                        labels: Labels::new(),
                        taints: Vec::new(),
                        free: free.clone(),
                        free_empty: free,
                    }
                })
                .collect(),
        }
    }

    /// The domain choices of Kueue's BestFit and LeastFreeCapacity for GPU pods: pods per
    /// node, or the reason.
    #[test]
    fn domains_as_kueue_picks_them() {
        let one_gpu = ResourceList([("nvidia.com/gpu".to_string(), Quantity::from_units(1))].into());
        // Block a: racks a1 (4 + 4 free) and a2 (8); block b: rack b1 (8 + 8).
        let f = flavor(&[
            ("a", "a1", "n1", 4),
            ("a", "a1", "n2", 4),
            ("a", "a2", "n3", 8),
            ("b", "b1", "n4", 8),
            ("b", "b1", "n5", 8),
        ]);
        let required = |l: &str| TopologyRequest::Required(l.into());
        let preferred = |l: &str| TopologyRequest::Preferred(l.into());
        // (case, request, pods, result as (node, pods) or the message)
        type Want<'a> = Result<Vec<(&'a str, u32)>, &'a str>;
        let cases: Vec<(&str, TopologyRequest, u32, Want)> = vec![
            (
                "required rack: the tightest rack that holds 8",
                required("rack"),
                8,
                Ok(vec![("n1", 4), ("n2", 4)]),
            ),
            (
                "required node: the tightest node",
                required(HOSTNAME_LABEL),
                4,
                Ok(vec![("n1", 4)]),
            ),
            (
                "required block of 16: the first of two tight blocks",
                required("block"),
                16,
                Ok(vec![("n1", 4), ("n2", 4), ("n3", 8)]),
            ),
            (
                "required rack of 20: no rack holds it",
                required("rack"),
                20,
                Err("topology \"gpu-topo\" allows to fit only 16 out of 20 pod(s)"),
            ),
            (
                "preferred rack of 20: no rack, no block: spread over the blocks",
                preferred("rack"),
                20,
                Ok(vec![("n1", 4), ("n2", 4), ("n3", 8), ("n4", 4)]),
            ),
            (
                "preferred of 40: not enough anywhere",
                preferred("rack"),
                40,
                Err("topology \"gpu-topo\" allows to fit only 32 out of 40 pod(s)"),
            ),
            (
                "unconstrained: the least free node that holds them",
                TopologyRequest::Unconstrained,
                6,
                Ok(vec![("n3", 6)]),
            ),
        ];
        for (name, request, count, want) in cases {
            let got = f
                .place(&Placement {
                    request: &request,
                    spec: &PodSpec::default(),
                    flavor_tolerations: &[],
                    per_pod: &one_gpu,
                    count,
                    assumed: &BTreeMap::new(),
                    simulate_empty: false,
                })
                .map(|a| {
                    a.domains
                        .into_iter()
                        .map(|(v, c)| (v.last().cloned().unwrap_or_default(), c))
                        .collect::<Vec<_>>()
                });
            let want = want
                .map(|v| v.into_iter().map(|(n, c)| (n.to_string(), c)).collect::<Vec<_>>())
                .map_err(str::to_string);
            assert_eq!(got, want, "{name}");
        }
    }
}
