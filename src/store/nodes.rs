//! The nodes by name, with what kube-scheduler and the bill need kept in step on every
//! write: the names in order (so the scheduler's rotating start is an index, found in
//! O(1)) and the fleet's GPU totals (so the allocation peak is checked at each binding
//! without summing every node).

use super::node::{GpuAllocationPeak, Node};
use crate::units::SimTime;
use std::collections::BTreeMap;
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

/// Nodes by name. Reads go through `Deref` to the map; writes through `insert`, `remove`
/// and `get_mut`, which keep the order, the free GPUs and the totals.
#[derive(Debug, Default)]
pub struct Nodes {
    map: BTreeMap<String, Node>,
    /// The names in map order.
    order: Vec<String>,
    /// Per node, in the same order: allocatable GPUs minus those its pods request, so that
    /// kube-scheduler passes over a full node without reading its resource lists.
    free_gpus: Vec<i128>,
    totals: GpuTotals,
}

fn free_gpus(n: &Node) -> i128 {
    n.allocatable.gpus() - n.requested.gpus()
}

impl Deref for Nodes {
    type Target = BTreeMap<String, Node>;
    fn deref(&self) -> &BTreeMap<String, Node> {
        &self.map
    }
}

/// A node being changed; dropping it brings the fleet's totals up to date.
pub(crate) struct NodeMut<'a> {
    node: &'a mut Node,
    totals: &'a mut GpuTotals,
    free: Option<&'a mut i128>,
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
        if let Some(f) = self.free.as_deref_mut() {
            *f = free_gpus(self.node);
        }
    }
}

impl Nodes {
    pub(crate) fn insert(&mut self, node: Node) {
        let name = node.name.clone();
        self.totals.add(GpuTotals::of(&node));
        let free = free_gpus(&node);
        match self.order.binary_search(&name) {
            Ok(i) => self.free_gpus[i] = free,
            Err(i) => {
                self.order.insert(i, name.clone());
                self.free_gpus.insert(i, free);
            }
        }
        if let Some(old) = self.map.insert(name, node) {
            self.totals.sub(GpuTotals::of(&old));
        }
    }

    pub(crate) fn remove(&mut self, name: &str) -> Option<Node> {
        let node = self.map.remove(name)?;
        self.totals.sub(GpuTotals::of(&node));
        if let Ok(i) = self.order.binary_search_by(|n| n.as_str().cmp(name)) {
            self.order.remove(i);
            self.free_gpus.remove(i);
        }
        Some(node)
    }

    /// The node named `name`, to change: the totals follow when the guard goes.
    pub(crate) fn get_mut(&mut self, name: &str) -> Option<NodeMut<'_>> {
        let node = self.map.get_mut(name)?;
        let before = GpuTotals::of(node);
        let free = match self.order.binary_search_by(|n| n.as_str().cmp(name)) {
            Ok(i) => self.free_gpus.get_mut(i),
            Err(_) => None,
        };
        Some(NodeMut {
            node,
            totals: &mut self.totals,
            free,
            before,
        })
    }

    /// The nodes in name order from the `start`-th (taken modulo their number), wrapping
    /// around, each with its free GPUs: kube-scheduler's scan from its rotating start.
    pub(crate) fn from_index(&self, start: usize) -> impl Iterator<Item = (&Node, i128)> + '_ {
        let start = start.checked_rem(self.order.len()).unwrap_or(0);
        let (after, before) = match self.order.get(start) {
            Some(f) => (self.map.range::<String, _>(f..), self.map.range::<String, _>(..f)),
            // No nodes: both ranges are empty.
            None => (self.map.range::<String, _>(..), self.map.range::<String, _>(..)),
        };
        // The map's ranges and the order list walk the same names.
        let (free_before, free_after) = self.free_gpus.split_at(start.min(self.free_gpus.len()));
        after
            .map(|(_, n)| n)
            .zip(free_after.iter().copied())
            .chain(before.map(|(_, n)| n).zip(free_before.iter().copied()))
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
        let names = |nodes: &Nodes, start| nodes.from_index(start).map(|(n, _)| n.name.as_str()).collect::<Vec<_>>().join("");
        // (start, order scanned): by index into the sorted names, modulo their number.
        let cases = [(0, "abcd"), (1, "bcda"), (3, "dabc"), (4, "abcd"), (6, "cdab")];
        for (start, want) in cases {
            assert_eq!(names(&nodes, start), want, "start {start}");
        }
        nodes.remove("b");
        assert_eq!(names(&nodes, 1), "cda");
        assert_eq!(Nodes::default().from_index(5).count(), 0);
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
        assert_eq!(nodes.gpus_at(SimTime::ZERO), GpuAllocationPeak::of(nodes.values(), SimTime::ZERO));
        assert_eq!(nodes.gpus_at(SimTime::ZERO).allocatable, 2);
        // The free GPUs the scan sees follow the writes: b now offers 2 and its pods ask 5.
        let free: Vec<(String, i128)> = nodes.from_index(0).map(|(n, f)| (n.name.clone(), f)).collect();
        assert_eq!(free, vec![("b".to_string(), 2)]);
        if let Some(mut b) = nodes.get_mut("b") {
            b.requested.add(&gpu(1));
        }
        assert_eq!(nodes.from_index(0).map(|(_, f)| f).collect::<Vec<_>>(), vec![1]);
    }
}
