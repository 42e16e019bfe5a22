//! Users' writes: manifests applied (at the start, by `oc apply` or `oc patch`), labels
//! and annotations, cordons, and deletions whose dependents the garbage collector takes.

use super::apps::new_deployment;
use super::pods::{create as create_pod_object, Owners};
use super::{batch, lws, workloads, ApiServer};
use crate::api::core::PodTemplate;
use crate::api::meta::Labels;
use crate::engine::action::{MetadataField, MetadataTarget, StoredManifest};
use crate::engine::change::Change;
use crate::manifest::objects::{Object, PodObject};
use crate::store::{InferenceServiceState, Node, ObjectKey, Store};
use crate::units::SimDuration;

/// The kinds whose applied document the store keeps: the simulation holds no document of
/// its own for them, so `oc patch` and `oc get` start from what was applied
/// (`scenario::kubectl`'s `stored_manifest` and `manifest_annotations`).
const PATCHED_FROM_MANIFEST: [&str; 5] = [
    "ClusterQueue",
    "LocalQueue",
    "ResourceFlavor",
    "HorizontalPodAutoscaler",
    "ScaledObject",
];

/// Whether the store keeps the document a `kind` was applied from.
pub(crate) fn keeps_manifest(kind: &str) -> bool {
    PATCHED_FROM_MANIFEST.contains(&kind)
}

/// Creates or replaces a user's object, keeping its document for later patches.
pub(super) fn apply(
    api: &mut ApiServer,
    store: &mut Store,
    obj: Object,
    manifest: Option<Box<StoredManifest>>,
) -> Vec<Change> {
    if let Some(m) = manifest {
        let StoredManifest {
            kind,
            namespace,
            name,
            doc,
        } = *m;
        // Only the kinds `oc` patches and prints from the document applied; a fleet's
        // hundred thousand Jobs keep nothing here.
        if keeps_manifest(&kind) {
            store
                .manifests
                .insert((kind, namespace, name), crate::store::Manifest::new(&doc));
        }
    }
    let now = store.now;
    match obj {
        Object::Namespace { name, labels } => {
            store.namespaces.insert(name, labels);
            vec![Change::Namespace]
        }
        Object::Node(mut n) => {
            store.catalog.complete_node(&mut n);
            if !store.nodes.contains_key(&n.meta.name) {
                store.nodes.insert(Node::from_object(n, now));
            } else if let Some(mut existing) = store.nodes.get_mut(&n.meta.name) {
                // An apply changes the node's spec and labels; its pods and accounting stay.
                existing.account(now);
                existing.labels = n.meta.labels;
                existing.annotations = n.meta.annotations;
                existing.taints = n.taints;
                existing.unschedulable = n.unschedulable;
                existing.allocatable = n.allocatable;
                existing.instance_type = n.instance_type;
            }
            vec![Change::Node]
        }
        Object::ResourceFlavor(f) => {
            store.flavors.insert(f.name.clone(), f);
            vec![Change::Flavor]
        }
        Object::ClusterQueue(cq) => {
            let name = cq.name.clone();
            store.cluster_queues.insert(name.clone(), cq);
            vec![Change::ClusterQueue { name }]
        }
        Object::Cohort(c) => {
            store.cohorts.insert(c.name.clone(), c);
            vec![Change::Cohort]
        }
        Object::Topology(t) => {
            store.topologies.insert(t.name.clone(), t);
            vec![Change::Flavor]
        }
        Object::LocalQueue(lq) => {
            store
                .local_queues
                .insert(ObjectKey::new(lq.namespace.as_str(), lq.name.as_str()), lq);
            vec![Change::LocalQueue]
        }
        Object::WorkloadPriorityClass(c) => {
            store.workload_priority_classes.insert(c.name.clone(), c);
            Vec::new()
        }
        Object::PriorityClass(c) => {
            store.priority_classes.insert(c.name.clone(), c);
            Vec::new()
        }
        Object::ServingRuntime { namespace, runtime } => {
            store
                .runtimes
                .insert(ObjectKey::new(namespace.as_str(), runtime.meta.name.as_str()), runtime);
            vec![Change::ServingRuntime { namespace }]
        }
        Object::InferenceService {
            namespace,
            isvc,
            raw,
            loc,
        } => {
            let key = ObjectKey::new(namespace.as_str(), isvc.meta.name.as_str());
            let (created, applied) = store
                .isvcs
                .get(&key)
                .map(|s| (s.created, s.applied_min_replicas))
                .unwrap_or((now, None));
            store.isvcs.insert(
                key.clone(),
                InferenceServiceState {
                    namespace,
                    isvc,
                    raw,
                    loc,
                    created,
                    applied_min_replicas: applied,
                },
            );
            vec![Change::InferenceService(key)]
        }
        Object::Deployment {
            namespace,
            deployment,
            loc,
        } => match store.deployments.id_of(&namespace, &deployment.meta.name) {
            Some(id) => {
                store.deployments.set_labels(id, deployment.meta.labels);
                let Some(d) = store.deployments.get_mut(id) else {
                    return Vec::new();
                };
                d.annotations = deployment.meta.annotations;
                d.spec = deployment.spec;
                d.refresh_hash();
                let mut changes = vec![Change::Deployment(id)];
                // KServe owns its predictor Deployments and reconciles them back.
                if let Some(o) = d.owner_isvc.clone() {
                    changes.push(Change::PredictorChanged {
                        isvc: ObjectKey::new(namespace, o),
                    });
                }
                changes
            }
            None => {
                let meta = deployment.meta;
                let (id, mut d) = new_deployment(
                    store,
                    namespace,
                    meta.name,
                    meta.labels,
                    meta.annotations,
                    deployment.spec,
                );
                d.loc = Some(loc);
                store.deployments.insert(id, d);
                vec![Change::Deployment(id)]
            }
        },
        Object::Pod {
            namespace,
            pod: PodObject { meta, spec },
            ..
        } => {
            if store.pod(&namespace, &meta.name).is_some() {
                api.warnings.push(format!(
                    "pod {namespace}/{} exists; pods are immutable, apply ignored",
                    meta.name
                ));
                return Vec::new();
            }
            let template = PodTemplate {
                labels: meta.labels,
                annotations: meta.annotations,
                spec,
            };
            create_pod_object(api, store, namespace, meta.name, template, Owners::default())
        }
        Object::Job { namespace, job, loc } => batch::apply(api, store, namespace, job, loc),
        Object::LeaderWorkerSet { namespace, lws } => lws::apply(api, store, namespace, lws),
        Object::Framework { namespace, framework } => super::frameworks::apply(api, store, namespace, *framework),
        Object::TrainingRuntime { namespace, runtime } => {
            if namespace.is_empty() {
                store
                    .training_runtimes
                    .cluster
                    .insert(runtime.meta.name.clone(), *runtime);
            } else {
                let key = (namespace, runtime.meta.name.clone());
                store.training_runtimes.namespaced.insert(key, *runtime);
            }
            Vec::new()
        }
        Object::Workload { namespace, workload } => {
            workloads::apply_snapshot(store, &mut api.warnings, namespace, *workload)
        }
        Object::HorizontalPodAutoscaler { namespace, hpa, .. } => {
            super::autoscaling::put_hpa(store, namespace, *hpa.0, crate::store::AutoscalerOwner::User)
        }
        Object::ScaledObject {
            namespace,
            mut scaled_object,
            ..
        } => {
            scaled_object.0.namespace = namespace;
            super::autoscaling::put_scaled_object(store, *scaled_object.0, crate::store::AutoscalerOwner::User)
        }
        Object::Skipped { .. } | Object::Scenario(_) => Vec::new(),
    }
}

/// `oc label` / `oc annotate`: the object's new map, validated by the caller.
pub(super) fn set_metadata(
    store: &mut Store,
    target: MetadataTarget,
    field: MetadataField,
    values: Labels,
) -> Vec<Change> {
    let pick = |labels: &mut Labels, annotations: &mut Labels| -> bool {
        let slot = match field {
            MetadataField::Labels => labels,
            MetadataField::Annotations => annotations,
        };
        let changed = *slot != values;
        *slot = values.clone();
        changed
    };
    // Labels of the indexed kinds go through the store's index.
    let labels = field == MetadataField::Labels;
    match target {
        // Metadata only: no rollout, as in Kubernetes.
        MetadataTarget::Deployment(id) if labels => {
            store.deployments.set_labels(id, values);
            Vec::new()
        }
        MetadataTarget::Deployment(id) => {
            if let Some(d) = store.deployments.get_mut(id) {
                d.annotations = values;
            }
            Vec::new()
        }
        MetadataTarget::ReplicaSet(id) if labels => {
            store.replicasets.set_labels(id, values);
            Vec::new()
        }
        MetadataTarget::ReplicaSet(id) => {
            if let Some(r) = store.replicasets.get_mut(id) {
                r.annotations = values;
            }
            Vec::new()
        }
        MetadataTarget::Pod(id) => {
            if !store.pods.contains(id) {
                return Vec::new();
            }
            if labels {
                store.pods.set_labels(id, values);
            } else if let Some(p) = store.pods.get_mut(id) {
                p.annotations = values;
            }
            match field {
                MetadataField::Labels => vec![Change::PodLabels(id)],
                MetadataField::Annotations => Vec::new(),
            }
        }
        MetadataTarget::InferenceService(key) => {
            let Some(st) = store.isvcs.get_mut(&key) else {
                return Vec::new();
            };
            let meta = &mut st.isvc.meta;
            pick(&mut meta.labels, &mut meta.annotations);
            let (name, map) = match field {
                MetadataField::Labels => ("labels", &meta.labels),
                MetadataField::Annotations => ("annotations", &meta.annotations),
            };
            let json: serde_json::Map<String, serde_json::Value> = map
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect();
            if let Some(m) = st.raw.get_mut("metadata").and_then(|x| x.as_object_mut()) {
                m.insert(name.into(), serde_json::Value::Object(json));
            }
            // KServe copies the InferenceService's metadata into the pod template: this
            // rolls the predictor.
            vec![Change::InferenceService(key)]
        }
        MetadataTarget::Node(name) => {
            let Some(mut n) = store.nodes.get_mut(&name) else {
                return Vec::new();
            };
            let n = &mut *n;
            pick(&mut n.labels, &mut n.annotations);
            match field {
                MetadataField::Labels => vec![Change::Node],
                MetadataField::Annotations => Vec::new(),
            }
        }
    }
}

pub(super) fn cordon(store: &mut Store, node: &str, unschedulable: bool) -> Vec<Change> {
    match store.nodes.get_mut(node) {
        Some(mut n) => {
            n.unschedulable = unschedulable;
            vec![Change::Cordon { unschedulable }]
        }
        None => Vec::new(),
    }
}

/// Deletes an InferenceService; the garbage collector deletes its predictor.
pub(super) fn delete_inference_service(store: &mut Store, key: ObjectKey, grace: Option<SimDuration>) -> Vec<Change> {
    match store.isvcs.remove(&key) {
        Some(_) => vec![Change::InferenceServiceDeleted { key, grace }],
        None => Vec::new(),
    }
}
