//! Pods: listed, described, labeled, annotated and deleted.

use super::events::events_section;
use super::{Columns, Delete, Describe, Metadata, MetadataOf, Resource};
use crate::api::core::Toleration;
use crate::api::meta::Labels;
use crate::engine::action::{Action, MetadataTarget, PodWrite};
use crate::engine::Engine;
use crate::scenario::printers::age;
use crate::store::{Pod, Store};
use crate::units::SimDuration;

pub(crate) struct Pods;

impl Resource for Pods {
    type Object<'s> = &'s Pod;
    const NAMES: &'static [&'static str] = &["pod", "pods", "po"];
    const RESOURCE: &'static str = "pod";
    const HEADER: &'static [&'static str] = &["NAME", "READY", "STATUS", "RESTARTS", "AGE"];
    const HEADER_WIDE: &'static [&'static str] = &[
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
        "NOMINATED NODE",
        "READINESS GATES",
    ];
    const DESCRIBE: Option<Describe<Self>> = Some(describe);
    const METADATA: Option<MetadataOf<Self>> = Some(metadata);
    const DELETE: Option<Delete<Self>> = Some(delete);

    fn objects(store: &Store) -> impl Iterator<Item = &Pod> {
        store.pods.values()
    }
    fn named<'s>(store: &'s Store, ns: &str, name: &str) -> Option<&'s Pod> {
        store.pod(ns, name)
    }
    fn namespace(p: Self::Object<'_>) -> &str {
        &p.namespace
    }
    fn name(p: Self::Object<'_>) -> &str {
        &p.name
    }
    fn labels(p: Self::Object<'_>) -> &Labels {
        &p.labels
    }
    fn row(store: &Store, p: &Pod, columns: Columns) -> Vec<String> {
        let mut row = vec![
            p.name.clone(),
            format!("{}/{}", p.ready_containers(), p.container_count),
            p.status(),
            p.crash.restarts.to_string(),
            age(store, p.created),
        ];
        if columns == Columns::Wide {
            row.push(if p.node.is_some() {
                // A stable address per pod, in OpenShift's default pod network.
                format!("10.128.{}.{}", (p.uid.raw() / 250) % 250, p.uid.raw() % 250 + 2)
            } else {
                "<none>".into()
            });
            row.push(p.node.clone().unwrap_or_else(|| "<none>".into()));
            row.push("<none>".into());
            row.push("<none>".into());
        }
        row
    }
}

fn metadata(p: &Pod) -> Metadata {
    Metadata {
        target: MetadataTarget::Pod(p.uid),
        labels: p.labels.clone(),
        annotations: p.annotations.clone(),
    }
}

fn delete(p: &Pod, grace: Option<SimDuration>) -> Action {
    Action::Pod(p.uid, PodWrite::Delete { grace })
}

/// Continuation lines of a multi-line field line up under its first value.
const CONTINUATION: &str = "\n                  ";

fn describe(engine: &Engine, p: &Pod) -> String {
    let store = engine.store();
    let mut o = String::new();
    o.push_str(&format!(
        "Name:             {}\nNamespace:        {}\n",
        p.name, p.namespace
    ));
    o.push_str(&format!(
        "Priority:         0\nNode:             {}\n",
        p.node.clone().unwrap_or_else(|| "<none>".into())
    ));
    let labels: Vec<String> = p.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    o.push_str(&format!("Labels:           {}\n", labels.join(CONTINUATION)));
    o.push_str(&format!(
        "Status:           {}\n",
        if p.is_terminating() { "Terminating" } else { p.phase() }
    ));
    if !p.spec.scheduling_gates.is_empty() {
        o.push_str("Scheduling Gates:\n");
        for g in &p.spec.scheduling_gates {
            o.push_str(&format!("  {g}\n"));
        }
    }
    o.push_str(&containers(p));
    let ns: Vec<String> = p.spec.node_selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
    o.push_str(&format!("Node-Selectors:   {}\n", or_none(&ns)));
    let tol: Vec<String> = p.spec.tolerations.iter().map(toleration).collect();
    o.push_str(&format!("Tolerations:      {}\n", or_none(&tol)));
    o.push_str(&events_section(store, "Pod", &p.namespace, &p.name));
    o
}

/// The `Containers:` section: image, arguments and requests of each.
fn containers(p: &Pod) -> String {
    let mut o = String::from("Containers:\n");
    for c in &p.spec.containers {
        o.push_str(&format!("  {}:\n    Image:  {}\n", c.name, c.image));
        if !c.args.is_empty() {
            o.push_str("    Args:\n");
            for a in &c.args {
                o.push_str(&format!("      {a}\n"));
            }
        }
        let req = c.effective_requests();
        if !req.is_empty() {
            o.push_str("    Requests:\n");
            for (r, q) in &req.0 {
                o.push_str(&format!("      {r}:  {q}\n"));
            }
        }
    }
    o
}

/// A toleration as kubectl prints it: `key=value:Effect`, or `key op=Exists`.
fn toleration(t: &Toleration) -> String {
    let mut s = t.key.clone().unwrap_or_default();
    if !t.exists {
        s.push_str(&format!("={}", t.value));
    }
    if let Some(e) = t.effect {
        s.push_str(&format!(":{}", e.as_str()));
    } else if t.exists {
        s.push_str(" op=Exists");
    }
    s
}

fn or_none(lines: &[String]) -> String {
    if lines.is_empty() {
        "<none>".into()
    } else {
        lines.join(CONTINUATION)
    }
}
