//! batch/v1 Jobs: listed only.

use super::meta::{condition, controller_ref, timestamp, Meta};
use super::{Columns, ManifestOf, Resource};
use crate::api::meta::Labels;
use crate::scenario::printers::age;
use crate::store::{Job, Store};
use crate::units::human_duration;
use serde_json::{json, Map, Value};

pub(crate) struct Jobs;

impl Resource for Jobs {
    type Object<'s> = &'s Job;
    const NAMES: &'static [&'static str] = &["job", "jobs"];
    const RESOURCE: &'static str = "job.batch";
    const HEADER: &'static [&'static str] = &["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"];
    const MANIFEST: ManifestOf<Self> = manifest;

    fn objects(store: &Store) -> impl Iterator<Item = &Job> {
        store.jobs.values().filter(|j| j.visible)
    }
    fn named<'s>(store: &'s Store, ns: &str, name: &str) -> Option<&'s Job> {
        store.jobs.named(ns, name).filter(|j| j.visible)
    }
    fn namespace(j: Self::Object<'_>) -> &str {
        &j.namespace
    }
    fn name(j: Self::Object<'_>) -> &str {
        &j.name
    }
    fn labels(j: Self::Object<'_>) -> &Labels {
        &j.labels
    }
    fn row(store: &Store, j: &Job, _: Columns) -> Vec<String> {
        let status = if j.completed_at.is_some() {
            "Complete"
        } else if j.spec.suspend {
            "Suspended"
        } else {
            "Running"
        };
        // From the first start to completion, or to now while it runs.
        let duration = j
            .started_at
            .map(|s| human_duration(j.completed_at.unwrap_or(store.now).since(s)))
            .unwrap_or_default();
        vec![
            j.name.clone(),
            status.to_string(),
            format!("{}/{}", j.succeeded, j.spec.completions),
            duration,
            age(store, j.created),
        ]
    }
}

/// The Job as the API server returns it: its spec (suspended while Kueue holds it), its
/// owner (a JobSet's, a RayJob's), and the status the Job controller writes — pods
/// active and succeeded, start and completion, `Suspended` and `Complete`.
fn manifest(store: &Store, j: &Job) -> Value {
    let annotations = crate::api::meta::Labels::new();
    let mut metadata = Meta {
        name: &j.name,
        namespace: &j.namespace,
        labels: &j.labels,
        annotations: &annotations,
        created: j.created,
        uid: &j.k8s_uid,
    }
    .to_json(store);
    if let Some(f) = j.owner_framework.and_then(|(f, _)| store.frameworks.get(f)) {
        let api = super::frameworks::api_version(f.kind);
        metadata.insert(
            "ownerReferences".into(),
            json!([controller_ref(api, f.kind.as_str(), &f.name, &f.k8s_uid)]),
        );
    }
    let spec = json!({
        "backoffLimit": 6,
        "completionMode": if j.indexed_names { "Indexed" } else { "NonIndexed" },
        "completions": j.spec.completions,
        "parallelism": j.spec.parallelism,
        "suspend": j.spec.suspend,
        "template": {
            "metadata": {"annotations": j.spec.template.annotations, "labels": j.spec.template.labels},
            "spec": j.spec.template.spec.to_json(),
        },
    });
    let active = j
        .pods
        .iter()
        .filter_map(|p| store.pods.get(*p))
        .filter(|p| !p.is_terminating())
        .collect::<Vec<_>>();
    let mut status = Map::new();
    if !active.is_empty() {
        status.insert("active".into(), json!(active.len()));
    }
    let mut conditions = Vec::new();
    if j.spec.suspend {
        conditions.push(condition(
            store,
            "Suspended",
            true,
            "JobSuspended",
            "Job suspended",
            j.created,
        ));
    }
    if let Some(done) = j.completed_at {
        conditions.push(condition(
            store,
            "SuccessCriteriaMet",
            true,
            "CompletionsReached",
            "Reached expected number of succeeded pods",
            done,
        ));
        conditions.push(condition(
            store,
            "Complete",
            true,
            "CompletionsReached",
            "Reached expected number of succeeded pods",
            done,
        ));
        status.insert("completionTime".into(), json!(timestamp(store, done)));
    }
    if !conditions.is_empty() {
        status.insert("conditions".into(), Value::Array(conditions));
    }
    status.insert("ready".into(), json!(active.iter().filter(|p| p.is_ready()).count()));
    if let Some(start) = j.started_at {
        status.insert("startTime".into(), json!(timestamp(store, start)));
    }
    if j.succeeded > 0 {
        status.insert("succeeded".into(), json!(j.succeeded));
    }
    super::meta::object("batch/v1", "Job", metadata, spec, Some(Value::Object(status)))
}
