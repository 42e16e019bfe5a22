//! Writes to Deployments and ReplicaSets.

use super::record;
use crate::api::apps::DeploymentSpec;
use crate::api::core::PodTemplate;
use crate::api::meta::Labels;
use crate::engine::action::{DeploymentUpdate, DeploymentWrite};
use crate::engine::change::Change;
use crate::store::{Deployment, DeploymentId, ObjectKey, ReplicaSet, ReplicaSetId, Store};
use crate::units::SimDuration;

/// A Deployment as it is first stored: revision 1, its template hashed.
pub(super) fn new_deployment(
    store: &mut Store,
    namespace: String,
    name: String,
    labels: Labels,
    annotations: Labels,
    spec: DeploymentSpec,
) -> (DeploymentId, Deployment) {
    let id = store.alloc();
    let mut d = Deployment {
        uid: id,
        namespace,
        name,
        labels,
        annotations,
        spec,
        owner_isvc: None,
        created: store.now,
        collision_count: 0,
        next_revision: 1,
        loc: None,
        template_hash: String::new(),
    };
    d.refresh_hash();
    (id, d)
}

pub(super) fn create_deployment(
    store: &mut Store,
    namespace: String,
    name: String,
    owner_isvc: String,
    labels: Labels,
    annotations: Labels,
    spec: DeploymentSpec,
) -> Vec<Change> {
    let (id, mut d) = new_deployment(store, namespace.clone(), name.clone(), labels, annotations, spec);
    d.owner_isvc = Some(owner_isvc);
    store.deployments.insert(id, d);
    record(
        store,
        "Normal",
        format!("InferenceService {namespace}/{}", name.trim_end_matches("-predictor")),
        format!("created Deployment {name}"),
    );
    vec![Change::Deployment(id)]
}

pub(super) fn write_deployment(store: &mut Store, id: DeploymentId, write: DeploymentWrite) -> Vec<Change> {
    if let DeploymentWrite::Update(u) = &write {
        store.deployments.set_labels(id, u.labels.clone());
    }
    let Some(d) = store.deployments.get_mut(id) else {
        return Vec::new();
    };
    match write {
        DeploymentWrite::Update(update) => {
            let DeploymentUpdate {
                annotations,
                template,
                strategy,
                replicas,
                ..
            } = *update;
            d.annotations = annotations;
            d.spec.template = template;
            d.spec.strategy = strategy;
            if let Some(r) = replicas {
                d.spec.replicas = r;
            }
            d.refresh_hash();
            vec![Change::Deployment(id)]
        }
        DeploymentWrite::Restart { stamp } => {
            d.spec
                .template
                .annotations
                .insert("kubectl.kubernetes.io/restartedAt".into(), stamp);
            d.refresh_hash();
            let mut changes = vec![Change::Deployment(id)];
            // KServe reconciles the Deployments it owns back to what it wants.
            if let Some(o) = &d.owner_isvc {
                changes.push(Change::PredictorChanged {
                    isvc: ObjectKey::new(d.namespace.as_str(), o.as_str()),
                });
            }
            changes
        }
    }
}

pub(super) fn scale_deployment(store: &mut Store, id: DeploymentId, replicas: i32) -> Vec<Change> {
    match store.deployments.get_mut(id) {
        Some(d) => {
            d.spec.replicas = replicas;
            vec![Change::Deployment(id)]
        }
        None => Vec::new(),
    }
}

pub(super) fn create_replica_set(
    store: &mut Store,
    deployment: DeploymentId,
    template: PodTemplate,
    hash: String,
    replicas: i32,
    revision: u64,
) -> Vec<Change> {
    let Some(d) = store.deployments.get(deployment) else {
        return Vec::new();
    };
    let (ns, name) = (d.namespace.clone(), format!("{}-{}", d.name, hash));
    let dep_name = d.name.clone();
    let id = store.alloc();
    let mut labels = template.labels.clone();
    labels.insert("pod-template-hash".into(), hash.clone());
    store.replicasets.insert(
        id,
        ReplicaSet {
            uid: id,
            namespace: ns.clone(),
            name: name.clone(),
            deployment: Some(deployment),
            labels,
            annotations: Labels::new(),
            template,
            template_hash: hash,
            replicas,
            revision,
            created: store.now,
            pods: Default::default(),
        },
    );
    // The Deployment controller posts the creation only of a replica set it scales up.
    if replicas > 0 {
        record(
            store,
            "ScalingReplicaSet",
            format!("Deployment {ns}/{dep_name}"),
            format!("Scaled up replica set {name} from 0 to {replicas}"),
        );
    }
    vec![Change::ReplicaSet {
        id,
        deployment: Some(deployment),
    }]
}

/// A ReplicaSet's new size; `by_controller`: the Deployment controller scaled it and
/// records so (a user's `oc scale` records nothing).
pub(super) fn scale_replica_set(
    store: &mut Store,
    id: ReplicaSetId,
    replicas: i32,
    by_controller: bool,
) -> Vec<Change> {
    let Some(rs) = store.replicasets.get_mut(id) else {
        return Vec::new();
    };
    let from = rs.replicas;
    rs.replicas = replicas;
    let (ns, name, dep) = (rs.namespace.clone(), rs.name.clone(), rs.deployment);
    if let (true, Some(d)) = (by_controller, dep) {
        let dn = store.deployments.get(d).map(|d| d.name.clone()).unwrap_or_default();
        let verb = if replicas > from { "up" } else { "down" };
        record(
            store,
            "ScalingReplicaSet",
            format!("Deployment {ns}/{dn}"),
            format!("Scaled {verb} replica set {name} from {from} to {replicas}"),
        );
    }
    vec![Change::ReplicaSet { id, deployment: dep }]
}

/// Deletes a ReplicaSet; the garbage collector deletes its pods.
pub(super) fn delete_replica_set(store: &mut Store, id: ReplicaSetId, grace: Option<SimDuration>) -> Vec<Change> {
    let Some(rs) = store.replicasets.remove(id) else {
        return Vec::new();
    };
    for p in &rs.pods {
        if let Some(pod) = store.pods.get_mut(*p) {
            pod.owner_rs = None;
        }
    }
    vec![Change::ReplicaSetDeleted {
        pods: rs.pods.into_iter().collect(),
        deployment: rs.deployment,
        grace,
    }]
}

/// Deletes a Deployment; the garbage collector deletes its ReplicaSets, and KServe makes
/// a predictor it owns again.
pub(super) fn delete_deployment(store: &mut Store, id: DeploymentId, grace: Option<SimDuration>) -> Vec<Change> {
    let Some(d) = store.deployments.remove(id) else {
        return Vec::new();
    };
    let mut changes = vec![Change::DeploymentDeleted { id, grace }];
    if let Some(o) = d.owner_isvc {
        changes.push(Change::PredictorChanged {
            isvc: ObjectKey::new(d.namespace, o),
        });
    }
    changes
}
