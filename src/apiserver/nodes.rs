//! Writes to Nodes by the control plane: the `Ready` condition, the taints the node
//! lifecycle controller manages, and deletion (the Node leaves the store; the bill keeps
//! it until then).

use super::record;
use crate::engine::action::NodeWrite;
use crate::engine::change::Change;
use crate::store::{DepartedNode, NodeReady, Store};

pub(super) fn write(store: &mut Store, name: &str, write: NodeWrite) -> Vec<Change> {
    let now = store.now;
    let Some(mut node) = store.nodes.get_mut(name) else {
        return Vec::new();
    };
    let obj = format!("Node {name}");
    match write {
        NodeWrite::Ready(ready) => {
            if node.ready == ready {
                return Vec::new();
            }
            node.ready = ready;
            drop(node);
            let status = match ready {
                NodeReady::True => "NodeReady",
                NodeReady::Unknown => "NodeNotReady",
            };
            record(store, status, obj, format!("Node {name} status is now: {status}"));
            vec![Change::NodeCondition { node: name.to_string() }]
        }
        NodeWrite::AddTaints(taints) => {
            let mut added = false;
            for t in taints {
                if !node.taints.iter().any(|x| x.key == t.key && x.effect == t.effect) {
                    node.taints.push(t);
                    added = true;
                }
            }
            if !added {
                return Vec::new();
            }
            vec![Change::Node, Change::NodeTainted { node: name.to_string() }]
        }
        NodeWrite::RemoveTaints(keys) => {
            let before = node.taints.len();
            node.taints.retain(|t| !keys.contains(&t.key));
            if node.taints.len() == before {
                return Vec::new();
            }
            vec![Change::Node, Change::NodeTainted { node: name.to_string() }]
        }
        NodeWrite::Delete { message } => {
            drop(node);
            let Some(mut node) = store.nodes.remove(name) else {
                return Vec::new();
            };
            node.account(now);
            store.departed_nodes.push(DepartedNode { node, deleted_at: now });
            record(store, "DeletingNode", obj, message);
            vec![Change::Node, Change::NodeDeleted { node: name.to_string() }]
        }
    }
}
