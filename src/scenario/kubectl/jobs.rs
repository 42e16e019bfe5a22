//! batch/v1 Jobs: listed only.

use super::{Columns, Resource};
use crate::api::meta::Labels;
use crate::scenario::printers::age;
use crate::store::{Job, Store};
use crate::units::human_duration;

pub(crate) struct Jobs;

impl Resource for Jobs {
    type Object<'s> = &'s Job;
    const NAMES: &'static [&'static str] = &["job", "jobs"];
    const RESOURCE: &'static str = "job.batch";
    const HEADER: &'static [&'static str] = &["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"];

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
