//! Kueue ClusterQueues: listed, described and patched.

use super::events::events_section;
use super::{stored_manifest, Columns, Describe, Patch, PatchBase, Query, Resource};
use crate::api::kueue::ClusterQueue;
use crate::engine::Engine;
use crate::scenario::oc_error::OcError;
use crate::scenario::printers::{admitted_in, indent, pending_in};
use crate::store::Store;
use crate::units::Quantity;

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
            Columns::Default | Columns::Yaml | Columns::Json => vec![cq.name.clone(), cohort, pending],
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
