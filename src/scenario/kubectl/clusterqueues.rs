//! Kueue ClusterQueues: listed, described and patched.

use super::events::events_section;
use super::meta::{condition, uid, Meta};
use super::{stored_manifest, Columns, Describe, ManifestOf, Patch, PatchBase, Query, Resource};
use crate::api::kueue::{BorrowWithinCohort, ClusterQueue, ResourceGroup};
use crate::api::meta::{LabelSelector, Labels};
use crate::engine::Engine;
use crate::scenario::oc_error::OcError;
use crate::scenario::printers::{admitted_in, indent, pending_in};
use crate::store::Store;
use crate::units::{Quantity, SimTime};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub(crate) struct ClusterQueues;

impl Resource for ClusterQueues {
    type Object<'s> = &'s ClusterQueue;
    const NAMES: &'static [&'static str] = &["clusterqueue", "clusterqueues", "cq"];
    const RESOURCE: &'static str = "clusterqueue.kueue.x-k8s.io";
    const CLUSTER_SCOPED: bool = true;
    const HEADER: &'static [&'static str] = &["NAME", "COHORT", "PENDING WORKLOADS"];
    const HEADER_WIDE: &'static [&'static str] =
        &["NAME", "COHORT", "STRATEGY", "PENDING WORKLOADS", "ADMITTED WORKLOADS"];
    const DESCRIBE: Option<Describe<Self>> = Some(describe);
    const PATCH: Option<Patch<Self>> = Some(patch);
    const MANIFEST: ManifestOf<Self> = manifest;

    fn objects(store: &Store) -> impl Iterator<Item = &ClusterQueue> {
        store.cluster_queues.values()
    }
    fn named<'s>(store: &'s Store, _: &str, name: &str) -> Option<&'s ClusterQueue> {
        store.cluster_queues.get(name)
    }
    fn namespace(_: Self::Object<'_>) -> &str {
        ""
    }
    fn name(cq: Self::Object<'_>) -> &str {
        &cq.name
    }
    fn row(store: &Store, cq: &ClusterQueue, columns: Columns) -> Vec<String> {
        let pending = pending_in(store, &cq.name).to_string();
        let cohort = cq.cohort.clone().unwrap_or_default();
        match columns {
            Columns::Default => vec![cq.name.clone(), cohort, pending],
            Columns::Wide => vec![
                cq.name.clone(),
                cohort,
                format!("{:?}", cq.queueing_strategy),
                pending,
                admitted_in(store, &cq.name).to_string(),
            ],
        }
    }
    /// By name only: ClusterQueues carry no labels here, and `get` has always listed them
    /// whatever the selector.
    fn listed(cq: &ClusterQueue, q: &Query) -> bool {
        q.names_match(&cq.name)
    }
}

/// `resourceGroups` as Kueue's API writes them.
pub(super) fn resource_groups(groups: &[ResourceGroup]) -> Value {
    let groups: Vec<Value> = groups
        .iter()
        .map(|g| {
            let flavors: Vec<Value> = g
                .flavors
                .iter()
                .map(|f| {
                    let resources: Vec<Value> = f
                        .resources
                        .iter()
                        .map(|r| {
                            let mut m = Map::new();
                            if let Some(b) = r.borrowing_limit {
                                m.insert("borrowingLimit".into(), json!(b.to_string()));
                            }
                            if let Some(l) = r.lending_limit {
                                m.insert("lendingLimit".into(), json!(l.to_string()));
                            }
                            m.insert("name".into(), json!(r.name));
                            m.insert("nominalQuota".into(), json!(r.nominal.to_string()));
                            Value::Object(m)
                        })
                        .collect();
                    json!({"name": f.name, "resources": resources})
                })
                .collect();
            json!({"coveredResources": g.covered, "flavors": flavors})
        })
        .collect();
    Value::Array(groups)
}

/// A label selector as the API writes it.
pub(super) fn selector(s: &LabelSelector) -> Value {
    let mut m = Map::new();
    if !s.match_expressions.is_empty() {
        let exprs: Vec<Value> = s
            .match_expressions
            .iter()
            .map(|r| json!({"key": r.key, "operator": r.operator.as_str(), "values": r.values}))
            .collect();
        m.insert("matchExpressions".into(), Value::Array(exprs));
    }
    if !s.match_labels.is_empty() {
        m.insert("matchLabels".into(), json!(s.match_labels));
    }
    Value::Object(m)
}

/// What the admitted, unfinished Workloads `pick` keeps hold, per flavor and resource.
pub(super) fn reserved(
    store: &Store,
    pick: impl Fn(&crate::store::Workload) -> bool,
) -> BTreeMap<(String, String), Quantity> {
    let mut usage: BTreeMap<(String, String), Quantity> = BTreeMap::new();
    for w in store.workloads.values().filter(|w| w.finished_at.is_none() && pick(w)) {
        if let Some(a) = &w.admission {
            for ((f, r), q) in a.flavor_usage() {
                *usage.entry((f.to_string(), r.to_string())).or_default() += q;
            }
        }
    }
    usage
}

/// The ClusterQueue as the API server returns it (kueue.x-k8s.io/v1beta2, Kueue's
/// defaults filled in), with the status Kueue writes: workloads pending, reserving and
/// admitted, what they hold per flavor (`flavorsReservation`, `flavorsUsage`, with what
/// is borrowed beyond the nominal quota), and `Active`.
fn manifest(store: &Store, cq: &ClusterQueue) -> Value {
    let no_labels = Labels::new();
    let metadata = Meta {
        name: &cq.name,
        namespace: "",
        labels: &no_labels,
        annotations: &no_labels,
        created: SimTime::ZERO,
        uid: &uid("ClusterQueue", "", &cq.name),
    }
    .to_json(store);
    let mut spec = Map::new();
    if let Some(c) = &cq.cohort {
        spec.insert("cohortName".into(), json!(c));
    }
    let f = &cq.flavor_fungibility;
    let mut fungibility = Map::new();
    if let Some(p) = f.preference {
        fungibility.insert("preference".into(), json!(format!("{p:?}")));
    }
    fungibility.insert("whenCanBorrow".into(), json!(format!("{:?}", f.when_can_borrow)));
    fungibility.insert("whenCanPreempt".into(), json!(format!("{:?}", f.when_can_preempt)));
    spec.insert("flavorFungibility".into(), Value::Object(fungibility));
    if let Some(sel) = &cq.namespace_selector {
        spec.insert("namespaceSelector".into(), selector(sel));
    }
    let borrow = match cq.preemption.borrow_within_cohort {
        BorrowWithinCohort::Never => json!({"policy": "Never"}),
        BorrowWithinCohort::LowerPriority {
            max_priority_threshold: Some(t),
        } => json!({"maxPriorityThreshold": t, "policy": "LowerPriority"}),
        BorrowWithinCohort::LowerPriority { .. } => json!({"policy": "LowerPriority"}),
    };
    spec.insert(
        "preemption".into(),
        json!({
            "borrowWithinCohort": borrow,
            "reclaimWithinCohort": format!("{:?}", cq.preemption.reclaim_within_cohort),
            "withinClusterQueue": format!("{:?}", cq.preemption.within_cluster_queue),
        }),
    );
    spec.insert("queueingStrategy".into(), json!(format!("{:?}", cq.queueing_strategy)));
    spec.insert("resourceGroups".into(), resource_groups(&cq.resource_groups));
    spec.insert("stopPolicy".into(), json!(if cq.stopped { "Hold" } else { "None" }));
    let held = reserved(store, |w| {
        w.admission.as_ref().is_some_and(|a| a.cluster_queue == cq.name)
    });
    let flavors: Vec<Value> = cq
        .resource_groups
        .iter()
        .flat_map(|g| g.flavors.iter())
        .map(|f| {
            let resources: Vec<Value> = f
                .resources
                .iter()
                .map(|r| {
                    let total = held.get(&(f.name.clone(), r.name.clone())).copied().unwrap_or_default();
                    let borrowed = (total - r.nominal).max(Quantity::ZERO);
                    json!({"borrowed": borrowed.to_string(), "name": r.name, "total": total.to_string()})
                })
                .collect();
            json!({"name": f.name, "resources": resources})
        })
        .collect();
    let active = if cq.stopped {
        condition(
            store,
            "Active",
            false,
            "Stopped",
            "Can't admit new workloads: is stopped",
            SimTime::ZERO,
        )
    } else {
        condition(store, "Active", true, "Ready", "Can admit new workloads", SimTime::ZERO)
    };
    let admitted = admitted_in(store, &cq.name);
    let status = json!({
        "admittedWorkloads": admitted,
        "conditions": [active],
        "flavorsReservation": flavors,
        "flavorsUsage": flavors,
        "pendingWorkloads": pending_in(store, &cq.name),
        "reservingWorkloads": admitted,
    });
    super::meta::object(
        "kueue.x-k8s.io/v1beta2",
        "ClusterQueue",
        metadata,
        Value::Object(spec),
        Some(status),
    )
}

/// The document the ClusterQueue was applied with.
fn patch(store: &Store, cq: &ClusterQueue) -> Result<PatchBase, OcError> {
    stored_manifest(store, "ClusterQueue", "", &cq.name)
}

fn describe(engine: &Engine, cq: &ClusterQueue) -> String {
    let store = engine.store();
    let name = &cq.name;
    let mut o = String::new();
    o.push_str(&format!("Name:         {name}\nNamespace:    \nLabels:       <none>\nAnnotations:  <none>\nAPI Version:  kueue.x-k8s.io/v1beta2\nKind:         ClusterQueue\nSpec:\n"));
    spec(&mut o, cq);
    o.push_str("Status:\n");
    indent(&mut o, 1, "Admitted Workloads", &admitted_in(store, name).to_string());
    flavors_usage(&mut o, engine, cq);
    indent(&mut o, 1, "Pending Workloads", &pending_in(store, name).to_string());
    indent(&mut o, 1, "Reserving Workloads", &admitted_in(store, name).to_string());
    o.push_str(&events_section(store, "ClusterQueue", "", name));
    o
}

/// Cohort (v1beta2's `cohortName`), strategy, and the quota of each resource group.
fn spec(o: &mut String, cq: &ClusterQueue) {
    if let Some(c) = &cq.cohort {
        indent(o, 1, "Cohort Name", c);
    }
    indent(o, 1, "Queueing Strategy", &format!("{:?}", cq.queueing_strategy));
    indent(o, 1, "Resource Groups", "");
    for g in &cq.resource_groups {
        indent(o, 2, "Covered Resources", &g.covered.join(", "));
        indent(o, 2, "Flavors", "");
        for f in &g.flavors {
            indent(o, 3, "Name", &f.name);
            indent(o, 3, "Resources", "");
            for r in &f.resources {
                if let Some(b) = r.borrowing_limit {
                    indent(o, 4, "Borrowing Limit", &b.to_string());
                }
                if let Some(l) = r.lending_limit {
                    indent(o, 4, "Lending Limit", &l.to_string());
                }
                indent(o, 4, "Name", &r.name);
                indent(o, 4, "Nominal Quota", &r.nominal.to_string());
            }
        }
    }
}

/// What Kueue's cache counts in use per flavor and resource, and how much of it is
/// borrowed beyond the nominal quota.
fn flavors_usage(o: &mut String, engine: &Engine, cq: &ClusterQueue) {
    indent(o, 1, "Flavors Usage", "");
    for g in &cq.resource_groups {
        for f in &g.flavors {
            indent(o, 2, "Name", &f.name);
            indent(o, 2, "Resources", "");
            for r in &f.resources {
                let total = engine.kueue().cache.usage_of(&cq.name, &f.name, &r.name);
                let borrowed = (total - r.nominal).max(Quantity::ZERO);
                indent(o, 3, "Borrowed", &borrowed.to_string());
                indent(o, 3, "Name", &r.name);
                indent(o, 3, "Total", &total.to_string());
            }
        }
    }
}
