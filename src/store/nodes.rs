//! The nodes by name, with what kube-scheduler and the bill need kept in step on every
//! write: the nodes in name order (so the scheduler's rotating start is an index), each
//! node's free GPUs beside them (so a scan passes over full nodes without touching them),
//! and the fleet's GPU totals (so the allocation peak is checked at each binding without
//! summing every node).

use super::node::{GpuAllocationPeak, Node};
use crate::units::{Quantity, SimTime};
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// The fleet's GPUs, summed over nodes as `GpuAllocationPeak::of` sums them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct GpuTotals {
    allocated: i128,
    allocatable: i128,
    unallocated: i128,
}

impl GpuTotals {
    fn of(n: &Node) -> GpuTotals {
        let (requested, offered) = (n.requested.gpus().max(0), n.gpu_capacity().max(0));
        GpuTotals {
            allocated: requested,
            allocatable: offered,
            unallocated: (offered - requested).max(0),
        }
    }
    fn add(&mut self, o: GpuTotals) {
        self.allocated += o.allocated;
        self.allocatable += o.allocatable;
        self.unallocated += o.unallocated;
    }
    fn sub(&mut self, o: GpuTotals) {
        self.allocated -= o.allocated;
        self.allocatable -= o.allocatable;
        self.unallocated -= o.unallocated;
    }
}

/// Nodes by name. Writes go through `insert`, `remove` and `get_mut`, which keep the
/// order, the free GPUs and the totals.
#[derive(Debug, Default)]
pub struct Nodes {
    /// In name order, so that kube-scheduler's rotating start is an index.
    nodes: Vec<Node>,
    /// Per node, in the same order: allocatable GPUs minus those its pods request, so that
    /// kube-scheduler passes over a full node without reading its resource lists.
    free_gpus: Vec<i128>,
    /// Per node, in the same order: the number of its last write (from one counter for
    /// all), so that a reader can tell a node it has seen from one that changed since.
    versions: Vec<u64>,
    /// Per node, in the same order: what kube-scheduler's filters read, as numbers.
    views: Vec<FitView>,
    /// Resource names by the numbers the views use.
    resources: Vec<String>,
    /// Written whenever a node is added or removed (positions shift).
    layout: u64,
    writes: u64,
    totals: GpuTotals,
}

fn free_gpus(n: &Node) -> i128 {
    n.allocatable.gpus() - n.requested.gpus()
}

/// What kube-scheduler's filters read of a node, kept as numbers so that a scan over a
/// fleet compares integers rather than resource names and labels.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct FitView {
    /// (resource number, allocatable, requested), in number order.
    pub(crate) amounts: Vec<(u16, Quantity, Quantity)>,
    /// Its `pods` capacity (zero: none given) and its pods.
    pub(crate) max_pods: Quantity,
    pub(crate) pods: usize,
    /// A digest of what the node's other filters read — cordon, taints, labels — so a
    /// verdict on them can be kept until it changes.
    pub(crate) spec: u64,
}

impl FitView {
    fn of(n: &Node, resources: &mut Vec<String>) -> FitView {
        let mut amounts: Vec<(u16, Quantity, Quantity)> = Vec::new();
        for (r, q) in &n.allocatable.0 {
            amounts.push((number(resources, r), *q, n.requested.get(r)));
        }
        for (r, q) in &n.requested.0 {
            if !n.allocatable.0.contains_key(r) {
                amounts.push((number(resources, r), Quantity::ZERO, *q));
            }
        }
        amounts.sort_by_key(|a| a.0);
        // SipHash with fixed keys: the same digest on every run.
        let mut h = std::hash::DefaultHasher::new();
        n.unschedulable.hash(&mut h);
        for t in &n.taints {
            (&t.key, &t.value, t.effect as u8).hash(&mut h);
        }
        n.labels.hash(&mut h);
        FitView {
            amounts,
            max_pods: n.allocatable.get("pods"),
            pods: n.pods.len(),
            spec: h.finish(),
        }
    }

    /// The allocatable and requested amounts of resource `number` (zero when it has none).
    pub(crate) fn amounts_of(&self, number: Option<u16>) -> (Quantity, Quantity) {
        number
            .and_then(|k| self.amounts.iter().find(|a| a.0 == k))
            .map_or((Quantity::ZERO, Quantity::ZERO), |a| (a.1, a.2))
    }
}

/// `name`'s number, given one if it has none.
fn number(resources: &mut Vec<String>, name: &str) -> u16 {
    match resources.iter().position(|r| r == name) {
        Some(i) => i as u16,
        None => {
            resources.push(name.to_string());
            (resources.len() - 1) as u16
        }
    }
}

/// A node being changed; dropping it brings the free GPUs and the fleet's totals up to
/// date.
pub(crate) struct NodeMut<'a> {
    node: &'a mut Node,
    totals: &'a mut GpuTotals,
    free: &'a mut i128,
    version: &'a mut u64,
    writes: &'a mut u64,
    view: &'a mut FitView,
    resources: &'a mut Vec<String>,
    before: GpuTotals,
}

impl Deref for NodeMut<'_> {
    type Target = Node;
    fn deref(&self) -> &Node {
        self.node
    }
}

impl std::ops::DerefMut for NodeMut<'_> {
    fn deref_mut(&mut self) -> &mut Node {
        self.node
    }
}

impl Drop for NodeMut<'_> {
    fn drop(&mut self) {
        self.totals.sub(self.before);
        self.totals.add(GpuTotals::of(self.node));
        *self.free = free_gpus(self.node);
        *self.writes += 1;
        *self.version = *self.writes;
        *self.view = FitView::of(self.node, self.resources);
    }
}

impl Nodes {
    fn index_of(&self, name: &str) -> Result<usize, usize> {
        self.nodes.binary_search_by(|n| n.name.as_str().cmp(name))
    }

    pub fn get(&self, name: &str) -> Option<&Node> {
        self.index_of(name).ok().and_then(|i| self.nodes.get(i))
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.index_of(name).is_ok()
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The nodes in name order.
    pub fn values(&self) -> std::slice::Iter<'_, Node> {
        self.nodes.iter()
    }

    /// (name, node) in name order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &Node)> + ExactSizeIterator + '_ {
        self.nodes.iter().map(|n| (&n.name, n))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator + '_ {
        self.nodes.iter().map(|n| &n.name)
    }

    /// Adds the node, or replaces the one of its name.
    pub(crate) fn insert(&mut self, node: Node) {
        self.totals.add(GpuTotals::of(&node));
        let free = free_gpus(&node);
        let view = FitView::of(&node, &mut self.resources);
        self.writes += 1;
        match self.index_of(&node.name) {
            // A position found in `nodes` is one of every list beside it: they are only
            // ever inserted into and removed from together, at the same position.
            Ok(i) => {
                let old = std::mem::replace(&mut self.nodes[i], node);
                self.totals.sub(GpuTotals::of(&old));
                self.free_gpus[i] = free;
                self.versions[i] = self.writes;
                self.views[i] = view;
            }
            Err(i) => {
                self.nodes.insert(i, node);
                self.free_gpus.insert(i, free);
                self.versions.insert(i, self.writes);
                self.views.insert(i, view);
                self.layout = self.writes;
            }
        }
    }

    pub(crate) fn remove(&mut self, name: &str) -> Option<Node> {
        let i = self.index_of(name).ok()?;
        self.free_gpus.remove(i);
        self.versions.remove(i);
        self.views.remove(i);
        self.writes += 1;
        self.layout = self.writes;
        let node = self.nodes.remove(i);
        self.totals.sub(GpuTotals::of(&node));
        Some(node)
    }

    /// The write that last added or removed a node: positions seen before it may name
    /// other nodes now.
    pub(crate) fn layout(&self) -> u64 {
        self.layout
    }

    /// What the filters read of the node at position `i`.
    pub(crate) fn view_at(&self, i: usize) -> Option<&FitView> {
        self.views.get(i)
    }

    /// The number the views give resource `name`; `None` when no node has it.
    pub(crate) fn resource_number(&self, name: &str) -> Option<u16> {
        self.resources.iter().position(|r| r == name).map(|i| i as u16)
    }

    /// The write that last changed the node at position `i`.
    pub(crate) fn version_at(&self, i: usize) -> u64 {
        self.versions.get(i).copied().unwrap_or(u64::MAX)
    }

    /// The node named `name`, to change: the free GPUs and totals follow when the guard
    /// goes.
    pub(crate) fn get_mut(&mut self, name: &str) -> Option<NodeMut<'_>> {
        let i = self.index_of(name).ok()?;
        let (node, free, version, view) = (
            self.nodes.get_mut(i)?,
            self.free_gpus.get_mut(i)?,
            self.versions.get_mut(i)?,
            self.views.get_mut(i)?,
        );
        let before = GpuTotals::of(node);
        Some(NodeMut {
            node,
            totals: &mut self.totals,
            free,
            version,
            writes: &mut self.writes,
            view,
            resources: &mut self.resources,
            before,
        })
    }

    /// The positions of the nodes in name order from the `start`-th (taken modulo their
    /// number), wrapping around, each with its free GPUs: kube-scheduler's scan from its
    /// rotating start. `node_at` gives the node.
    pub(crate) fn rotated_from(&self, start: usize) -> impl Iterator<Item = (usize, i128)> + '_ {
        let start = start.checked_rem(self.nodes.len()).unwrap_or(0);
        let (before, after) = self.free_gpus.split_at(start);
        let positions = (start..self.free_gpus.len()).chain(0..start);
        positions.zip(after.iter().chain(before).copied())
    }

    pub(crate) fn node_at(&self, i: usize) -> Option<&Node> {
        self.nodes.get(i)
    }

    /// The fleet's GPUs at `at`.
    pub(crate) fn gpus_at(&self, at: SimTime) -> GpuAllocationPeak {
        GpuAllocationPeak {
            at,
            allocated: self.totals.allocated,
            allocatable: self.totals.allocatable,
            unallocated: self.totals.unallocated,
        }
    }
}

impl<'a> IntoIterator for &'a Nodes {
    type Item = (&'a String, &'a Node);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, Node>, fn(&'a Node) -> (&'a String, &'a Node)>;
    fn into_iter(self) -> Self::IntoIter {
        self.nodes.iter().map(|n| (&n.name, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::core::{NodeObject, ResourceList};
    use crate::api::meta::ObjectMeta;
    use crate::units::Quantity;

    fn gpu(n: i64) -> ResourceList {
        ResourceList([("nvidia.com/gpu".to_string(), Quantity::from_units(n))].into())
    }

    fn node(name: &str, gpus: i64) -> Node {
        Node::from_object(
            NodeObject {
                meta: ObjectMeta {
                    name: name.into(),
                    ..Default::default()
                },
                taints: Vec::new(),
                unschedulable: false,
                allocatable: gpu(gpus),
                instance_type: None,
            },
            SimTime::ZERO,
        )
    }

    #[test]
    fn rotation_starts_at_the_index_and_wraps() {
        let mut nodes = Nodes::default();
        for name in ["c", "a", "d", "b"] {
            nodes.insert(node(name, 8));
        }
        let names = |nodes: &Nodes, start| {
            nodes
                .rotated_from(start)
                .filter_map(|(i, _)| nodes.node_at(i))
                .map(|n| n.name.as_str())
                .collect::<Vec<_>>()
                .join("")
        };
        // (start, order scanned): by index into the sorted names, modulo their number.
        let cases = [(0, "abcd"), (1, "bcda"), (3, "dabc"), (4, "abcd"), (6, "cdab")];
        for (start, want) in cases {
            assert_eq!(names(&nodes, start), want, "start {start}");
        }
        nodes.remove("b");
        assert_eq!(names(&nodes, 1), "cda");
        assert_eq!(Nodes::default().rotated_from(5).count(), 0);
    }

    #[test]
    fn totals_follow_every_write() {
        let mut nodes = Nodes::default();
        nodes.insert(node("a", 8));
        nodes.insert(node("b", 4));
        if let Some(mut a) = nodes.get_mut("a") {
            a.requested.add(&gpu(6));
        }
        if let Some(mut b) = nodes.get_mut("b") {
            b.requested.add(&gpu(5)); // more than it offers
        }
        let summed = GpuAllocationPeak::of(nodes.values(), SimTime::ZERO);
        assert_eq!(nodes.gpus_at(SimTime::ZERO), summed);
        assert_eq!((summed.allocated, summed.allocatable, summed.unallocated), (11, 12, 2));
        nodes.remove("a");
        nodes.insert(node("b", 2)); // replaced
        assert_eq!(
            nodes.gpus_at(SimTime::ZERO),
            GpuAllocationPeak::of(nodes.values(), SimTime::ZERO)
        );
        assert_eq!(nodes.gpus_at(SimTime::ZERO).allocatable, 2);
        // The free GPUs the scan sees follow the writes: b now offers 2 and its pods ask 5.
        let free: Vec<(String, i128)> = nodes
            .rotated_from(0)
            .filter_map(|(i, f)| Some((nodes.node_at(i)?.name.clone(), f)))
            .collect();
        assert_eq!(free, vec![("b".to_string(), 2)]);
        if let Some(mut b) = nodes.get_mut("b") {
            b.requested.add(&gpu(1));
        }
        assert_eq!(nodes.rotated_from(0).map(|(_, f)| f).collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn a_write_gives_the_node_a_new_version_and_a_new_node_a_new_layout() {
        let mut nodes = Nodes::default();
        nodes.insert(node("a", 8));
        nodes.insert(node("c", 8));
        let (layout, a, c) = (nodes.layout(), nodes.version_at(0), nodes.version_at(1));
        drop(nodes.get_mut("a"));
        assert!(nodes.version_at(0) > a);
        assert_eq!((nodes.layout(), nodes.version_at(1)), (layout, c), "c untouched");
        nodes.insert(node("b", 8));
        assert!(nodes.layout() > layout);
        nodes.remove("b");
        let after_remove = nodes.layout();
        assert!(after_remove > layout);
        assert_eq!(nodes.version_at(1), c, "c keeps its version through others' changes");
    }
}
