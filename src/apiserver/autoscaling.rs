//! Writes of autoscaler objects: HPAs and ScaledObjects (a user's, or those KServe and
//! KEDA create), their status, and the record of scaling decisions.

use crate::engine::action::AutoscalingWrite;
use crate::engine::change::Change;
use crate::store::{AutoscalerOwner, HpaObject, ObjectKey, ScaledObjectObject, Store};

pub(super) fn write(store: &mut Store, write: AutoscalingWrite) -> Vec<Change> {
    match write {
        AutoscalingWrite::PutHpa { namespace, hpa, owner } => put_hpa(store, namespace, *hpa, owner),
        AutoscalingWrite::DeleteHpa(key) => match store.hpas.remove(&key) {
            Some(_) => vec![Change::Hpa(key)],
            None => Vec::new(),
        },
        AutoscalingWrite::HpaStatus(key, status) => {
            if let Some(h) = store.hpas.get_mut(&key) {
                h.status = status;
            }
            Vec::new()
        }
        AutoscalingWrite::PutScaledObject { scaled_object, owner } => put_scaled_object(store, *scaled_object, owner),
        AutoscalingWrite::DeleteScaledObject(key) => match store.scaled_objects.remove(&key) {
            Some(_) => vec![Change::ScaledObject(key)],
            None => Vec::new(),
        },
        AutoscalingWrite::ScaledObjectStatus(key, status) => {
            if let Some(s) = store.scaled_objects.get_mut(&key) {
                s.status = status;
            }
            Vec::new()
        }
        AutoscalingWrite::Decision(d) => {
            store.scaling_decisions.push(d);
            Vec::new()
        }
    }
}

/// Creates or replaces an HPA; a replaced one keeps its creation time and status.
pub(super) fn put_hpa(
    store: &mut Store,
    namespace: String,
    hpa: crate::autoscaling::hpa::manifest::HorizontalPodAutoscaler,
    owner: AutoscalerOwner,
) -> Vec<Change> {
    let key = ObjectKey::new(namespace.as_str(), hpa.name.as_str());
    if let Some(existing) = store.hpas.get_mut(&key) {
        if existing.hpa == hpa && existing.owner == owner {
            return Vec::new();
        }
        existing.hpa = hpa;
        existing.owner = owner;
    } else {
        let created = store.now;
        store.hpas.insert(
            key.clone(),
            HpaObject {
                hpa,
                namespace,
                owner,
                created,
                status: Default::default(),
            },
        );
    }
    vec![Change::Hpa(key)]
}

/// Creates or replaces a ScaledObject; a replaced one keeps its creation time and status.
pub(super) fn put_scaled_object(
    store: &mut Store,
    scaled_object: crate::autoscaling::keda::scaled_object::ScaledObject,
    owner: AutoscalerOwner,
) -> Vec<Change> {
    let key = ObjectKey::new(scaled_object.namespace.as_str(), scaled_object.name.as_str());
    if let Some(existing) = store.scaled_objects.get_mut(&key) {
        if existing.scaled_object == scaled_object && existing.owner == owner {
            return Vec::new();
        }
        existing.scaled_object = scaled_object;
        existing.owner = owner;
    } else {
        let created = store.now;
        store.scaled_objects.insert(
            key.clone(),
            ScaledObjectObject {
                scaled_object,
                owner,
                created,
                status: Default::default(),
            },
        );
    }
    vec![Change::ScaledObject(key)]
}
