//! kube-scheduler: filter nodes (NodeUnschedulable, TaintToleration, NodeAffinity,
//! NodeResourcesFit, in the default plugin order), score the feasible ones with
//! LeastAllocated, bind; explain unschedulable pods as `FitError` does.

use crate::api::core::{ResourceList, Taint, TaintEffect};
use crate::engine::action::{Action, PodWrite};
use crate::engine::change::Change;
use crate::engine::components::{Component, Cx};
use crate::engine::kernel::{rng_stream, Stream};
use crate::store::{FitView, Node, Pod, PodId, Store};
use crate::units::{Quantity, SimTime};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Why one node cannot take the pod; several `Insufficient` reasons may apply at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Filtered<'n> {
    Unschedulable,
    /// An untolerated taint's key and value.
    Taint(&'n str, &'n str),
    Affinity,
    /// The pod's requests the node has too little of: bit i for the i-th in name order.
    Insufficient(u64),
    TooManyPods,
}

impl Filtered<'_> {
    fn reasons(&self, requests: &ResourceList) -> Vec<String> {
        match self {
            Filtered::Unschedulable => vec!["node(s) were unschedulable".into()],
            Filtered::Taint(k, v) => vec![format!("node(s) had untolerated taint {{{k}: {v}}}")],
            Filtered::Affinity => vec!["node(s) didn't match Pod's node affinity/selector".into()],
            Filtered::Insufficient(short) => requests
                .0
                .keys()
                .enumerate()
                .filter(|(i, _)| short & (1u64 << (*i).min(63)) != 0)
                .map(|(_, r)| format!("Insufficient {r}"))
                .collect(),
            Filtered::TooManyPods => vec!["Too many pods".into()],
        }
    }
    /// Whether evicting lower-priority pods could help (only for resource shortage).
    fn preemption_could_help(&self) -> bool {
        matches!(self, Filtered::Insufficient(_) | Filtered::TooManyPods)
    }
}

/// A `Filtered` kept past the scan that found it: the taint by its place on the node.
#[derive(Debug, Clone, Copy)]
enum Rejected {
    Unschedulable,
    Taint(usize),
    Affinity,
    Insufficient(u64),
    TooManyPods,
}

impl Rejected {
    fn of(f: Filtered, node: &Node) -> Rejected {
        match f {
            Filtered::Unschedulable => Rejected::Unschedulable,
            Filtered::Taint(k, v) => Rejected::Taint(
                node.taints
                    .iter()
                    .position(|t| t.key == k && t.value == v)
                    .unwrap_or(usize::MAX),
            ),
            Filtered::Affinity => Rejected::Affinity,
            Filtered::Insufficient(short) => Rejected::Insufficient(short),
            Filtered::TooManyPods => Rejected::TooManyPods,
        }
    }

    /// As `filter` said it, for `node` as it was then (its version unchanged).
    fn filtered(self, node: &Node) -> Option<Filtered<'_>> {
        Some(match self {
            Rejected::Unschedulable => Filtered::Unschedulable,
            Rejected::Taint(i) => {
                let t = node.taints.get(i)?;
                Filtered::Taint(&t.key, &t.value)
            }
            Rejected::Affinity => Filtered::Affinity,
            Rejected::Insufficient(short) => Filtered::Insufficient(short),
            Rejected::TooManyPods => Filtered::TooManyPods,
        })
    }
}

/// Why each node turned a pod down the last time none fitted it, with each node's version
/// then. An unschedulable pod is tried again whenever a pod leaves some node, and on a
/// fleet most nodes have not changed since: those keep their verdict, and only the nodes
/// written since are filtered again. The decisions and messages are the same as filtering
/// every node every time.
#[derive(Debug)]
pub(crate) struct Rejections {
    layout: u64,
    /// Per node position: (its version when filtered, why it was filtered).
    why: Vec<(u64, Rejected)>,
}

impl Rejections {
    /// The verdict on node `i` if it has not been written since.
    fn still(&self, store: &Store, i: usize) -> Option<Rejected> {
        if self.layout != store.nodes.layout() {
            return None;
        }
        let (version, why) = self.why.get(i)?;
        (*version == store.nodes.version_at(i)).then_some(*why)
    }
}

pub(crate) fn filter<'n>(node: &'n Node, pod: &Pod, requests: &ResourceList) -> Option<Filtered<'n>> {
    static_filter(node, pod).or_else(|| fit_filter(node, requests))
}

/// NodeUnschedulable, TaintToleration and NodeAffinity: what the node's cordon, taints and
/// labels say, whatever its load.
fn static_filter<'n>(node: &'n Node, pod: &Pod) -> Option<Filtered<'n>> {
    if node.unschedulable {
        // NodeUnschedulable treats a cordon as the taint node.kubernetes.io/unschedulable:NoSchedule.
        let cordon = Taint {
            key: "node.kubernetes.io/unschedulable".into(),
            value: String::new(),
            effect: TaintEffect::NoSchedule,
        };
        if !pod.spec.tolerations.iter().any(|t| t.tolerates(&cordon)) {
            return Some(Filtered::Unschedulable);
        }
    }
    if let Some(t) = node.taints.iter().find(|t| {
        matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute)
            && !pod.spec.tolerations.iter().any(|tol| tol.tolerates(t))
    }) {
        return Some(Filtered::Taint(&t.key, &t.value));
    }
    if !pod.spec.matches_node_selection(&node.labels) {
        return Some(Filtered::Affinity);
    }
    None
}

/// NodeResourcesFit: the node's `pods` capacity, then each resource the pod requests.
fn fit_filter<'n>(node: &'n Node, requests: &ResourceList) -> Option<Filtered<'n>> {
    // NodeResourcesFit counts pods against the node's `pods` capacity.
    let max_pods = node.allocatable.get("pods");
    if !max_pods.is_zero() && node.pods.len() as i128 >= max_pods.value_ceil() {
        return Some(Filtered::TooManyPods);
    }
    // The three lists are sorted by name: one walk through each finds every amount.
    let mut allocatable = node.allocatable.0.iter().peekable();
    let mut requested = node.requested.0.iter().peekable();
    let mut short = 0u64;
    for (i, (r, q)) in requests.0.iter().enumerate() {
        let has = amount_of(&mut allocatable, r);
        let used = amount_of(&mut requested, r);
        if !q.is_zero() && *q > has - used {
            short |= 1 << i.min(63);
        }
    }
    (short != 0).then_some(Filtered::Insufficient(short))
}

/// The amount of `name` in a list walked in name order, advancing past smaller names; zero
/// when the list has none.
fn amount_of<'a>(
    list: &mut std::iter::Peekable<impl Iterator<Item = (&'a String, &'a Quantity)>>,
    name: &str,
) -> Quantity {
    while list.next_if(|(k, _)| k.as_str() < name).is_some() {}
    match list.peek() {
        Some((k, q)) if k.as_str() == name => **q,
        _ => Quantity::ZERO,
    }
}

/// A pod's requests by the node views' resource numbers (in name order, as `Filtered`'s
/// bits count them), for a scan that compares integers.
struct PodFit {
    requests: Vec<(Option<u16>, Quantity)>,
    cpu: (Option<u16>, Quantity),
    memory: (Option<u16>, Quantity),
}

impl PodFit {
    fn of(store: &Store, requests: &ResourceList) -> PodFit {
        let number = |r: &str| store.nodes.resource_number(r);
        PodFit {
            requests: requests.0.iter().map(|(r, q)| (number(r), *q)).collect(),
            cpu: (number("cpu"), requests.get("cpu")),
            memory: (number("memory"), requests.get("memory")),
        }
    }

    /// `fit_filter` on the node's view.
    fn filter(&self, view: &FitView) -> Option<Filtered<'static>> {
        if !view.max_pods.is_zero() && view.pods as i128 >= view.max_pods.value_ceil() {
            return Some(Filtered::TooManyPods);
        }
        let mut short = 0u64;
        for (i, (number, q)) in self.requests.iter().enumerate() {
            let (has, used) = view.amounts_of(*number);
            if !q.is_zero() && *q > has - used {
                short |= 1 << i.min(63);
            }
        }
        (short != 0).then_some(Filtered::Insufficient(short))
    }

    /// `score` on the node's view.
    fn score(&self, view: &FitView) -> i64 {
        let mut sum = 0i64;
        let mut n = 0i64;
        for (number, asked) in [self.cpu, self.memory] {
            let (has, used) = view.amounts_of(number);
            let cap = has.milli();
            if cap <= 0 {
                continue;
            }
            let used = (used + asked).milli();
            sum += (((cap - used).max(0)) * 100 / cap) as i64;
            n += 1;
        }
        if n == 0 {
            0
        } else {
            sum / n
        }
    }
}

/// The verdicts of the cordon, taint and affinity filters on each node for pods of one
/// set of constraints (node selector, affinity, tolerations — Kueue gives every pod of a
/// flavor the same), each kept while the node's labels, taints and cordon stay as they
/// were: a scan then reads no labels of a node it has seen.
pub(crate) struct StaticVerdicts {
    selector: crate::api::meta::Labels,
    affinity: Option<crate::api::core::NodeAffinity>,
    tolerations: Vec<crate::api::core::Toleration>,
    layout: u64,
    /// Per node position: (the node's spec digest, the verdict).
    verdicts: Vec<Option<(u64, Option<Rejected>)>>,
}

impl StaticVerdicts {
    fn for_pod(pod: &Pod) -> StaticVerdicts {
        StaticVerdicts {
            selector: pod.spec.node_selector.clone(),
            affinity: pod.spec.affinity.clone(),
            tolerations: pod.spec.tolerations.clone(),
            layout: u64::MAX,
            verdicts: Vec::new(),
        }
    }

    fn fits(&self, pod: &Pod) -> bool {
        self.selector == pod.spec.node_selector
            && self.affinity == pod.spec.affinity
            && self.tolerations == pod.spec.tolerations
    }

    /// `static_filter` of the node at position `i`, from the one kept when its spec is
    /// unchanged.
    fn verdict<'n>(&mut self, store: &Store, i: usize, node: &'n Node, pod: &Pod) -> Option<Filtered<'n>> {
        if self.layout != store.nodes.layout() {
            self.layout = store.nodes.layout();
            self.verdicts = vec![None; store.nodes.len()];
        }
        let spec = store.nodes.view_at(i).map_or(0, |v| v.spec);
        if let Some(Some((kept, why))) = self.verdicts.get(i) {
            if *kept == spec {
                return why.and_then(|r| r.filtered(node));
            }
        }
        let f = static_filter(node, pod);
        if let Some(slot) = self.verdicts.get_mut(i) {
            *slot = Some((spec, f.map(|f| Rejected::of(f, node))));
        }
        f
    }
}

/// `filter` from the node's view and the kept static verdicts (checked against `filter` in
/// debug builds).
fn filter_by_view<'n>(
    store: &'n Store,
    statics: &mut StaticVerdicts,
    fit: &PodFit,
    pod: &Pod,
    i: usize,
    node: &'n Node,
) -> Option<Filtered<'n>> {
    let fast = statics
        .verdict(store, i, node, pod)
        .or_else(|| store.nodes.view_at(i).and_then(|v| fit.filter(v)));
    debug_assert_eq!(fast, filter(node, pod, &pod.requests), "node {}", node.name);
    fast
}

/// The constraint sets kept at most: past it the oldest goes.
const STATIC_VERDICT_SETS: usize = 32;

/// `FitError.Error()` with the preemption post-filter summary, from why each node was
/// filtered. The nodes are counted by reason first and the words written once per reason,
/// so a fleet's failure costs a count per node, not a message.
pub(crate) fn fit_error<'n>(
    total: usize,
    filtered: impl IntoIterator<Item = Filtered<'n>>,
    requests: &ResourceList,
) -> String {
    let mut by_reason: BTreeMap<Filtered, usize> = BTreeMap::new();
    for f in filtered {
        *by_reason.entry(f).or_default() += 1;
    }
    let mut hist: BTreeMap<String, usize> = BTreeMap::new();
    let mut pre: BTreeMap<&str, usize> = BTreeMap::new();
    for (f, n) in &by_reason {
        for r in f.reasons(requests) {
            *hist.entry(r).or_default() += n;
        }
        let p = if f.preemption_could_help() {
            "No preemption victims found for incoming pod"
        } else {
            "Preemption is not helpful for scheduling"
        };
        *pre.entry(p).or_default() += n;
    }
    let join = |items: Vec<String>| {
        let mut v = items;
        v.sort();
        v.join(", ")
    };
    let main = join(hist.iter().map(|(r, n)| format!("{n} {r}")).collect());
    let post = join(pre.iter().map(|(r, n)| format!("{n} {r}")).collect());
    format!("0/{total} nodes are available: {main}. preemption: 0/{total} nodes are available: {post}.")
}

/// LeastAllocated over cpu and memory (the default scoring resources), 0–100.
fn score(node: &Node, requests: &ResourceList) -> i64 {
    let mut sum = 0i64;
    let mut n = 0i64;
    for r in ["cpu", "memory"] {
        let cap = node.allocatable.get(r).milli();
        if cap <= 0 {
            continue;
        }
        let used = (node.requested.get(r) + requests.get(r)).milli();
        sum += (((cap - used).max(0)) * 100 / cap) as i64;
        n += 1;
    }
    if n == 0 {
        0
    } else {
        sum / n
    }
}

/// `numFeasibleNodesToFind` with the default `percentageOfNodesToScore`: in large
/// clusters kube-scheduler stops filtering once it has found this many feasible nodes.
pub(crate) fn feasible_nodes_to_find(total: usize) -> usize {
    const MIN_NODES: usize = 100;
    if total < MIN_NODES {
        return total;
    }
    let pct = (50usize.saturating_sub(total / 125)).max(5);
    (total * pct / 100).max(MIN_NODES)
}

/// Places one pod: a Bind to the best-scoring feasible node (ties broken by the seeded
/// stream, as kube-scheduler samples among equals), or the FailedScheduling message.
/// Filtering starts where the previous cycle stopped (`next_start`), as kube-scheduler
/// rotates through nodes.
fn schedule_one(
    store: &Store,
    pod: &Pod,
    rng: &mut ChaCha8Rng,
    next_start: &mut usize,
    before: Option<&Rejections>,
    statics: &mut StaticVerdicts,
) -> (Action, Option<Rejections>) {
    let requests = &pod.requests;
    let fit = PodFit::of(store, requests);
    let mut filter_fast = |i: usize, node| filter_by_view(store, statics, &fit, pod, i, node);
    let gpus = requests.gpus();
    let mut best: Option<(i64, &str)> = None;
    let mut ties = 0u32;
    let total = store.nodes.len();
    let want = feasible_nodes_to_find(total);
    let start = if total == 0 { 0 } else { *next_start % total };
    let mut feasible = 0;
    let mut visited = 0;
    for (i, free_gpus) in store.nodes.rotated_from(start) {
        if feasible >= want {
            break;
        }
        visited += 1;
        // A node without the GPUs fails NodeResourcesFit whatever else it checks; why it
        // was filtered matters only when no node fits, and is worked out then.
        if gpus > free_gpus || before.is_some_and(|b| b.still(store, i).is_some()) {
            continue;
        }
        let Some(node) = store.nodes.node_at(i).filter(|n| filter_fast(i, n).is_none()) else {
            continue;
        };
        feasible += 1;
        let s = store.nodes.view_at(i).map_or(0, |v| fit.score(v));
        debug_assert_eq!(s, score(node, requests));
        match best {
            Some((b, _)) if s < b => {}
            Some((b, _)) if s == b => {
                ties += 1;
                if rng.random_range(0..=ties) == 0 {
                    best = Some((s, &node.name));
                }
            }
            _ => {
                best = Some((s, &node.name));
                ties = 0;
            }
        }
    }
    *next_start = start + visited;
    match best {
        Some((_, n)) => (Action::Pod(pod.uid, PodWrite::Bind { node: n.to_string() }), None),
        None => {
            // No node fits, so every node was visited and filtered.
            let mut why = Vec::with_capacity(total);
            let mut filtered = Vec::with_capacity(total);
            for (i, node) in store.nodes.values().enumerate() {
                let f = match before.and_then(|b| b.still(store, i)) {
                    Some(r) => r.filtered(node),
                    None => filter_fast(i, node),
                };
                if let Some(f) = f {
                    why.push((store.nodes.version_at(i), Rejected::of(f, node)));
                    filtered.push(f);
                }
            }
            // A node that fitted after all (none can, or the scan would have taken it)
            // leaves positions unmatched: nothing is remembered then.
            let rejections = (why.len() == total).then(|| Rejections {
                layout: store.nodes.layout(),
                why,
            });
            let message = fit_error(total, filtered, requests);
            (Action::Pod(pod.uid, PodWrite::Unschedulable { message }), rejections)
        }
    }
}

/// kube-scheduler: its scheduling queue (by priority, then creation), the pods it found no
/// node for, where its next node scan starts, and its random stream.
pub(crate) struct KubeScheduler {
    active: BTreeSet<(Reverse<i32>, SimTime, PodId)>,
    unschedulable: BTreeSet<PodId>,
    /// What the last scan of each unschedulable pod found.
    rejections: HashMap<PodId, Rejections>,
    /// Static filter verdicts per set of pod constraints, the most recently used last.
    statics: Vec<StaticVerdicts>,
    next_start_node: usize,
    rng: ChaCha8Rng,
}

impl Default for KubeScheduler {
    fn default() -> Self {
        KubeScheduler::new(0)
    }
}

impl KubeScheduler {
    pub(crate) fn new(seed: u64) -> KubeScheduler {
        KubeScheduler {
            active: BTreeSet::new(),
            unschedulable: BTreeSet::new(),
            rejections: HashMap::new(),
            statics: Vec::new(),
            next_start_node: 0,
            rng: rng_stream(seed, Stream::Scheduler),
        }
    }

    fn enqueue(&mut self, store: &Store, id: PodId) {
        if let Some(p) = store.pods.get(id) {
            let prio = p
                .spec
                .priority_class_name
                .as_ref()
                .and_then(|c| store.priority_classes.get(c))
                .map(|c| c.value)
                .unwrap_or(0);
            self.active.insert((Reverse(prio), p.created, id));
        }
    }

    /// The cluster changed: the pods no node fitted get another try.
    fn retry_unschedulable(&mut self, store: &Store) {
        for p in std::mem::take(&mut self.unschedulable) {
            self.enqueue(store, p);
        }
    }
}

impl Component for KubeScheduler {
    fn on_change(&mut self, cx: &mut Cx, change: &Change) -> Vec<Action> {
        let store = cx.store;
        match change {
            Change::Node | Change::Cordon { unschedulable: false } => self.retry_unschedulable(store),
            // A pod naming its node is bound at creation; a gated one waits for its gates.
            Change::PodCreated(p)
                if store
                    .pods
                    .get(*p)
                    .is_some_and(|p| !p.is_gated() && p.spec.node_name.is_none()) =>
            {
                self.enqueue(store, *p)
            }
            Change::PodUngated(p) => self.enqueue(store, *p),
            Change::PodRemoved { pod, .. } => {
                self.unschedulable.remove(&pod.uid);
                self.rejections.remove(&pod.uid);
                // Its resources are free again.
                if pod.node.is_some() {
                    self.retry_unschedulable(store);
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// One scheduling cycle: the queue's head is bound to a node or marked unschedulable.
    fn reconcile_next(&mut self, cx: &mut Cx) -> Option<Vec<Action>> {
        let (_, _, id) = self.active.pop_first()?;
        let Some(pod) = cx.store.pods.get(id) else {
            return Some(Vec::new());
        };
        if pod.node.is_some() || pod.is_gated() || pod.deletion.is_some() {
            return Some(Vec::new());
        }
        let before = self.rejections.remove(&id);
        let mut statics = match self.statics.iter().position(|s| s.fits(pod)) {
            Some(i) => self.statics.remove(i),
            None => StaticVerdicts::for_pod(pod),
        };
        let (action, rejections) = schedule_one(
            cx.store,
            pod,
            &mut self.rng,
            &mut self.next_start_node,
            before.as_ref(),
            &mut statics,
        );
        self.statics.push(statics);
        if self.statics.len() > STATIC_VERDICT_SETS {
            self.statics.remove(0);
        }
        if let Action::Pod(_, PodWrite::Unschedulable { .. }) = action {
            self.unschedulable.insert(id);
        }
        if let Some(r) = rejections {
            self.rejections.insert(id, r);
        }
        Some(vec![action])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::api::core::NodeObject;
    use crate::api::core::{PodSpec, Taint, Toleration};
    use crate::api::meta::ObjectMeta;
    use crate::units::{Quantity, SimTime};

    fn node(gpus: i64, taint: bool, unschedulable: bool) -> Node {
        let mut n = Node::from_object(
            NodeObject {
                meta: ObjectMeta {
                    name: "n".into(),
                    labels: [(
                        "node.kubernetes.io/instance-type".to_string(),
                        "g6.12xlarge".to_string(),
                    )]
                    .into(),
                    ..Default::default()
                },
                taints: if taint {
                    vec![Taint {
                        key: "nvidia.com/gpu".into(),
                        value: "true".into(),
                        effect: TaintEffect::NoSchedule,
                    }]
                } else {
                    vec![]
                },
                unschedulable,
                allocatable: ResourceList(
                    [
                        ("cpu".to_string(), Quantity::from_units(48)),
                        ("nvidia.com/gpu".to_string(), Quantity::from_units(gpus)),
                    ]
                    .into(),
                ),
                instance_type: None,
            },
            SimTime::ZERO,
        );
        n.requested = ResourceList([("nvidia.com/gpu".to_string(), Quantity::from_units(1))].into());
        n
    }

    fn pod(gpus: i64, tolerate: bool, selector: Option<&str>) -> Pod {
        let spec = PodSpec {
            tolerations: if tolerate {
                vec![Toleration {
                    key: Some("nvidia.com/gpu".into()),
                    exists: true,
                    value: String::new(),
                    effect: None,
                    toleration_seconds: None,
                }]
            } else {
                vec![]
            },
            node_selector: selector
                .map(|s| [("node.kubernetes.io/instance-type".to_string(), s.to_string())].into())
                .unwrap_or_default(),
            ..Default::default()
        };
        let template = crate::api::core::PodTemplate {
            spec,
            ..Default::default()
        };
        let mut p = Pod::new(
            PodId::from_raw(1),
            String::new(),
            "ns".into(),
            "p".into(),
            template,
            SimTime::ZERO,
        );
        p.requests = ResourceList([("nvidia.com/gpu".to_string(), Quantity::from_units(gpus))].into());
        p
    }

    #[test]
    fn filters_apply_in_plugin_order() {
        // (case, node gpus, tainted, cordoned, pod gpus, tolerates, nodeSelector, expected)
        type Case<'a> = (&'a str, i64, bool, bool, i64, bool, Option<&'a str>, Option<&'a str>);
        let cases: Vec<Case> = vec![
            ("fits", 4, true, false, 3, true, None, None),
            (
                "one GPU short",
                4,
                true,
                false,
                4,
                true,
                None,
                Some("Insufficient nvidia.com/gpu"),
            ),
            (
                "untolerated taint first",
                4,
                true,
                false,
                4,
                false,
                None,
                Some("node(s) had untolerated taint {nvidia.com/gpu: true}"),
            ),
            (
                "cordoned before all",
                4,
                true,
                true,
                1,
                false,
                None,
                Some("node(s) were unschedulable"),
            ),
            (
                "selector mismatch",
                4,
                false,
                false,
                1,
                false,
                Some("g6.4xlarge"),
                Some("node(s) didn't match Pod's node affinity/selector"),
            ),
            ("selector match", 4, false, false, 1, false, Some("g6.12xlarge"), None),
        ];
        for (name, ng, taint, cordon, pg, tol, sel, want) in cases {
            let p = pod(pg, tol, sel);
            let n = node(ng, taint, cordon);
            let got = filter(&n, &p, &p.requests).map(|f| f.reasons(&p.requests).join(", "));
            assert_eq!(got.as_deref(), want, "{name}");
        }
    }

    #[test]
    fn feasible_node_sampling_follows_percentage_of_nodes_to_score() {
        for (total, want) in [(3, 3), (99, 99), (100, 100), (1000, 420), (5000, 500), (10_000, 500)] {
            assert_eq!(feasible_nodes_to_find(total), want, "{total}");
        }
    }

    #[test]
    fn fit_error_reads_like_kube_scheduler() {
        let master = Taint {
            key: "node-role.kubernetes.io/master".into(),
            value: String::new(),
            effect: TaintEffect::NoSchedule,
        };
        // Requests in name order: cpu is bit 0, nvidia.com/gpu bit 1.
        let requests = ResourceList(
            [
                ("cpu".to_string(), Quantity::from_units(1)),
                ("nvidia.com/gpu".to_string(), Quantity::from_units(2)),
            ]
            .into(),
        );
        let msg = fit_error(
            3,
            [
                Filtered::Insufficient(0b10),
                Filtered::Taint(&master.key, &master.value),
                Filtered::Taint(&master.key, &master.value),
            ],
            &requests,
        );
        assert_eq!(
            msg,
            "0/3 nodes are available: 1 Insufficient nvidia.com/gpu, 2 node(s) had untolerated taint {node-role.kubernetes.io/master: }. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."
        );
    }
}
