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
/// and `get_mut`, which keep the order and the totals.
#[derive(Debug, Default)]
pub struct Nodes {
    map: BTreeMap<String, Node>,
    /// The names in map order.
    order: Vec<String>,
    totals: GpuTotals,
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
    }
}

impl Nodes {
    pub(crate) fn insert(&mut self, node: Node) {
        let name = node.name.clone();
        self.totals.add(GpuTotals::of(&node));
        if let Some(old) = self.map.insert(name.clone(), node) {
            self.totals.sub(GpuTotals::of(&old));
        } else if let Err(i) = self.order.binary_search(&name) {
            self.order.insert(i, name);
        }
    }

    pub(crate) fn remove(&mut self, name: &str) -> Option<Node> {
        let node = self.map.remove(name)?;
        self.totals.sub(GpuTotals::of(&node));
        if let Ok(i) = self.order.binary_search_by(|n| n.as_str().cmp(name)) {
            self.order.remove(i);
        }
        Some(node)
    }

    /// The node named `name`, to change: the totals follow when the guard goes.
    pub(crate) fn get_mut(&mut self, name: &str) -> Option<NodeMut<'_>> {
        let node = self.map.get_mut(name)?;
        let before = GpuTotals::of(node);
        Some(NodeMut {
            node,
            totals: &mut self.totals,
            before,
        })
    }

    /// The nodes in name order from the `start`-th (taken modulo their number), wrapping
    /// around: kube-scheduler's scan from its rotating start.
    pub(crate) fn from_index(&self, start: usize) -> impl Iterator<Item = &Node> + '_ {
        let first = self.order.get(start.checked_rem(self.order.len()).unwrap_or(0));
        let (after, before) = match first {
            Some(f) => (self.map.range::<String, _>(f..), self.map.range::<String, _>(..f)),
            None => (self.map.range::<String, _>(..), self.map.range::<String, _>(..)),
        };
        let wrap = first.is_some();
        after.map(|(_, n)| n).chain(before.filter(move |_| wrap).map(|(_, n)| n))
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
        let names = |start| nodes.from_index(start).map(|n| n.name.as_str()).collect::<Vec<_>>().join("");
        // (start, order scanned): by index into the sorted names, modulo their number.
        let cases = [(0, "abcd"), (1, "bcda"), (3, "dabc"), (4, "abcd"), (6, "cdab")];
        for (start, want) in cases {
            assert_eq!(names(start), want, "start {start}");
        }
        nodes.remove("b");
        assert_eq!(names(1), "cda");
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
    }
}
