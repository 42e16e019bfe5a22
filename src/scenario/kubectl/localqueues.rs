//! Kueue LocalQueues: listed, described and patched.

use super::meta::{condition, uid, Meta};
use super::{stored_manifest, Columns, Describe, ManifestOf, Patch, PatchBase, Query, Resource};
use crate::api::kueue::LocalQueue;
use crate::api::meta::Labels;
use crate::engine::Engine;
use crate::scenario::oc_error::OcError;
use crate::store::{ObjectKey, Store};
use crate::units::SimTime;
use serde_json::{json, Value};

pub(crate) struct LocalQueues;

impl Resource for LocalQueues {
    type Object<'s> = &'s LocalQueue;
    const NAMES: &'static [&'static str] = &["localqueue", "localqueues", "lq", "queue", "queues"];
    const RESOURCE: &'static str = "localqueue.kueue.x-k8s.io";
    const HEADER: &'static [&'static str] = &["NAME", "CLUSTERQUEUE", "PENDING WORKLOADS", "ADMITTED WORKLOADS"];
    const DESCRIBE: Option<Describe<Self>> = Some(describe);
    const PATCH: Option<Patch<Self>> = Some(patch);
    const MANIFEST: ManifestOf<Self> = manifest;

    fn objects(store: &Store) -> impl Iterator<Item = &LocalQueue> {
        store.local_queues.values()
    }
    fn named<'s>(store: &'s Store, ns: &str, name: &str) -> Option<&'s LocalQueue> {
        store.local_queues.get(&ObjectKey::new(ns, name))
    }
    fn namespace(l: Self::Object<'_>) -> &str {
        &l.namespace
    }
    fn name(l: Self::Object<'_>) -> &str {
        &l.name
    }
    fn row(store: &Store, l: &LocalQueue, _: Columns) -> Vec<String> {
        let counts = Counts::of(store, l);
        vec![
            l.name.clone(),
            l.cluster_queue.clone(),
            counts.pending.to_string(),
            counts.admitted.to_string(),
        ]
    }
    /// By name and namespace: LocalQueues carry no labels here, and `get` has always
    /// listed them whatever the selector.
    fn listed(l: &LocalQueue, q: &Query) -> bool {
        q.names_match(&l.name) && q.in_namespace(&l.namespace, false)
    }
}

/// The unfinished Workloads queued in a LocalQueue, waiting and admitted.
struct Counts {
    pending: usize,
    admitted: usize,
}

impl Counts {
    fn of(store: &Store, l: &LocalQueue) -> Counts {
        let mut counts = Counts {
            pending: 0,
            admitted: 0,
        };
        let mine = store
            .workloads
            .values()
            .filter(|w| w.namespace == l.namespace && w.queue_name == l.name && w.finished_at.is_none());
        for w in mine {
            match w.admission {
                Some(_) => counts.admitted += 1,
                None => counts.pending += 1,
            }
        }
        counts
    }
}

/// The LocalQueue as the API server returns it, with the status Kueue writes: its
/// workloads pending, reserving and admitted, what they hold per flavor, and `Active`.
fn manifest(store: &Store, l: &LocalQueue) -> Value {
    let no_labels = Labels::new();
    let metadata = Meta {
        name: &l.name,
        namespace: &l.namespace,
        labels: &no_labels,
        annotations: &no_labels,
        created: SimTime::ZERO,
        uid: &uid("LocalQueue", &l.namespace, &l.name),
    }
    .to_json(store);
    let counts = Counts::of(store, l);
    let held = super::clusterqueues::reserved(store, |w| w.namespace == l.namespace && w.queue_name == l.name);
    let mut by_flavor: std::collections::BTreeMap<&str, Vec<Value>> = Default::default();
    for ((f, r), q) in &held {
        by_flavor
            .entry(f.as_str())
            .or_default()
            .push(json!({"name": r, "total": q.to_string()}));
    }
    let flavors: Vec<Value> = by_flavor
        .into_iter()
        .map(|(f, resources)| json!({"name": f, "resources": resources}))
        .collect();
    let active = match store.cluster_queues.get(&l.cluster_queue) {
        Some(_) => condition(
            store,
            "Active",
            true,
            "Ready",
            "Can submit new workloads to localQueue",
            SimTime::ZERO,
        ),
        None => condition(
            store,
            "Active",
            false,
            "ClusterQueueDoesNotExist",
            "Can't submit new workloads to clusterQueue",
            SimTime::ZERO,
        ),
    };
    let status = json!({
        "admittedWorkloads": counts.admitted,
        "conditions": [active],
        "flavorUsage": flavors,
        "flavorsReservation": flavors,
        "pendingWorkloads": counts.pending,
        "reservingWorkloads": counts.admitted,
    });
    let spec = json!({"clusterQueue": l.cluster_queue, "stopPolicy": "None"});
    super::meta::object("kueue.x-k8s.io/v1beta2", "LocalQueue", metadata, spec, Some(status))
}

/// The document the LocalQueue was applied with.
fn patch(store: &Store, l: &LocalQueue) -> Result<PatchBase, OcError> {
    stored_manifest(store, "LocalQueue", &l.namespace, &l.name)
}

fn describe(engine: &Engine, l: &LocalQueue) -> String {
    let counts = Counts::of(engine.store(), l);
    format!(
        "Name:         {}\nNamespace:    {}\nAPI Version:  kueue.x-k8s.io/v1beta2\nKind:         LocalQueue\nSpec:\n  Cluster Queue:  {}\nStatus:\n  Admitted Workloads:  {}\n  Pending Workloads:   {}\n",
        l.name, l.namespace, l.cluster_queue, counts.admitted, counts.pending
    )
}
