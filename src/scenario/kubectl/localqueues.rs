//! Kueue LocalQueues: listed, described and patched.

use super::{stored_manifest, Columns, Describe, Patch, PatchBase, Query, Resource};
use crate::api::kueue::LocalQueue;
use crate::engine::Engine;
use crate::scenario::oc_error::OcError;
use crate::store::{ObjectKey, Store};

pub(crate) struct LocalQueues;

impl Resource for LocalQueues {
    type Object<'s> = &'s LocalQueue;
    const NAMES: &'static [&'static str] = &["localqueue", "localqueues", "lq", "queue", "queues"];
    const RESOURCE: &'static str = "localqueue.kueue.x-k8s.io";
    const HEADER: &'static [&'static str] = &["NAME", "CLUSTERQUEUE", "PENDING WORKLOADS", "ADMITTED WORKLOADS"];
    const DESCRIBE: Option<Describe<Self>> = Some(describe);
    const PATCH: Option<Patch<Self>> = Some(patch);

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
