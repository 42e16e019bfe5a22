//! What every object's manifest shares (`oc get -o yaml|json|jsonpath`): its metadata,
//! its owners, its status conditions, and times on the cluster's clock.

use crate::api::meta::Labels;
use crate::store::Store;
use crate::units::{SimTime, Stamp};
use serde_json::{json, Map, Value};

/// The simulation's calendar: time zero is 2026-01-01T00:00:00Z (Unix seconds).
const CALENDAR_START: f64 = 1_767_225_600.0;

/// A time of the run as the cluster's clock reads it (RFC 3339): from the instant the
/// Workload objects given as input were taken at, else from the simulation's calendar.
pub(crate) fn timestamp(store: &Store, at: impl Into<Stamp>) -> String {
    let origin = store.snapshot_taken_at.unwrap_or(CALENDAR_START);
    let at: Stamp = at.into();
    crate::scenario::printers::rfc3339_unix((origin + at.0 as f64 / 1000.0).round() as i64)
}

/// A stable UID for an object the store names but keeps none for: a UUID's shape, from
/// the object's kind and key, so that it is the same on every run.
pub(crate) fn uid(kind: &str, namespace: &str, name: &str) -> String {
    let digest = sha1_smol::Sha1::from(format!("{kind}/{namespace}/{name}"))
        .digest()
        .to_string();
    // A SHA-1 digest is 40 hex characters: the slices below stay inside it.
    format!(
        "{}-{}-{}-{}-{}",
        &digest[0..8],
        &digest[8..12],
        &digest[12..16],
        &digest[16..20],
        &digest[20..32]
    )
}

/// `metadata` as the API server returns it: name, namespace (none for a cluster-scoped
/// object), labels and annotations when there are any, creation time and UID.
pub(crate) struct Meta<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
    pub labels: &'a Labels,
    pub annotations: &'a Labels,
    pub created: SimTime,
    pub uid: &'a str,
}

impl Meta<'_> {
    pub(crate) fn to_json(&self, store: &Store) -> Map<String, Value> {
        let mut m = Map::new();
        if !self.annotations.is_empty() {
            m.insert("annotations".into(), json!(self.annotations));
        }
        m.insert("creationTimestamp".into(), json!(timestamp(store, self.created)));
        if !self.labels.is_empty() {
            m.insert("labels".into(), json!(self.labels));
        }
        m.insert("name".into(), json!(self.name));
        if !self.namespace.is_empty() {
            m.insert("namespace".into(), json!(self.namespace));
        }
        m.insert("uid".into(), json!(self.uid));
        m
    }
}

/// An `ownerReferences` entry of the object's controller.
pub(crate) fn controller_ref(api_version: &str, kind: &str, name: &str, uid: &str) -> Value {
    json!({
        "apiVersion": api_version,
        "blockOwnerDeletion": true,
        "controller": true,
        "kind": kind,
        "name": name,
        "uid": uid,
    })
}

/// A status condition (`metav1.Condition`'s fields; reason and message left out when
/// empty, as controllers leave them).
pub(crate) fn condition(store: &Store, ty: &str, status: bool, reason: &str, message: &str, at: SimTime) -> Value {
    let mut c = Map::new();
    c.insert("lastTransitionTime".into(), json!(timestamp(store, at)));
    if !message.is_empty() {
        c.insert("message".into(), json!(message));
    }
    if !reason.is_empty() {
        c.insert("reason".into(), json!(reason));
    }
    c.insert("status".into(), json!(if status { "True" } else { "False" }));
    c.insert("type".into(), json!(ty));
    Value::Object(c)
}

/// The object's manifest: `apiVersion`, `kind`, `metadata`, `spec`, and `status` when
/// there is one.
pub(crate) fn object(
    api_version: &str,
    kind: &str,
    metadata: Map<String, Value>,
    spec: Value,
    status: Option<Value>,
) -> Value {
    let mut o = Map::new();
    o.insert("apiVersion".into(), json!(api_version));
    o.insert("kind".into(), json!(kind));
    o.insert("metadata".into(), Value::Object(metadata));
    o.insert("spec".into(), spec);
    if let Some(s) = status {
        o.insert("status".into(), s);
    }
    Value::Object(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_are_stable_and_shaped_as_uuids() {
        let a = uid("Deployment", "team", "web");
        assert_eq!(a, uid("Deployment", "team", "web"));
        assert_ne!(a, uid("Deployment", "team", "api"));
        let lengths: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(lengths, [8, 4, 4, 4, 12], "{a}");
    }
}
