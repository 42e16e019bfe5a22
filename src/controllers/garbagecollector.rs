//! The garbage collector: when an owner is deleted (with the default background
//! propagation), its dependents are deleted after it — an InferenceService's predictor
//! Deployment, a Deployment's ReplicaSets, a ReplicaSet's pods — with the grace period the
//! deletion asked for.

use crate::controllers::inferenceservice::predictor_name;
use crate::engine::action::{Action, PodWrite};
use crate::engine::change::Change;
use crate::engine::components::{Component, Cx};

#[derive(Default)]
pub(crate) struct GarbageCollector;

impl Component for GarbageCollector {
    fn on_change(&mut self, cx: &mut Cx, change: &Change) -> Vec<Action> {
        match change {
            Change::InferenceServiceDeleted { key, grace } => cx
                .store
                .deployments
                .id_of(&key.namespace, &predictor_name(&key.name))
                .map(|id| Action::DeleteDeployment { id, grace: *grace })
                .into_iter()
                .collect(),
            // The ReplicaSets still name the deleted Deployment as their owner.
            Change::DeploymentDeleted { id, grace } => cx
                .store
                .replicasets
                .values()
                .filter(|r| r.deployment == Some(*id))
                .map(|r| Action::DeleteReplicaSet {
                    id: r.uid,
                    grace: *grace,
                })
                .collect(),
            Change::ReplicaSetDeleted { pods, grace, .. } => pods
                .iter()
                .map(|p| Action::Pod(*p, PodWrite::Delete { grace: *grace }))
                .collect(),
            _ => Vec::new(),
        }
    }
}
