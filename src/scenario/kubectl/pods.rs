//! Pods: listed, described, labeled, annotated and deleted.

use super::events::events_section;
use super::meta::{condition, controller_ref, timestamp, uid, Meta};
use super::{Columns, Delete, Describe, ManifestOf, Metadata, MetadataOf, Resource};
use crate::api::core::Toleration;
use crate::api::meta::Labels;
use crate::engine::action::{Action, MetadataTarget, PodWrite};
use crate::engine::Engine;
use crate::scenario::printers::age;
use crate::store::{Pod, StartPhase, Store};
use crate::units::{SimDuration, SimTime};
use serde_json::{json, Map, Value};

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
    const MANIFEST: ManifestOf<Self> = manifest;

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
            row.push(pod_ip(p).unwrap_or_else(|| "<none>".into()));
            row.push(p.node.clone().unwrap_or_else(|| "<none>".into()));
            row.push("<none>".into());
            row.push("<none>".into());
        }
        row
    }
}

/// A stable address per bound pod, in OpenShift's default pod network.
fn pod_ip(p: &Pod) -> Option<String> {
    p.node
        .as_ref()
        .map(|_| format!("10.128.{}.{}", (p.uid.raw() / 250) % 250, p.uid.raw() % 250 + 2))
}

/// The pod as the API server returns it: its owner, its spec with the node it is bound
/// to, and the status the kubelet writes — phase, conditions, and each container's state.
fn manifest(store: &Store, p: &Pod) -> Value {
    let mut metadata = Meta {
        name: &p.name,
        namespace: &p.namespace,
        labels: &p.labels,
        annotations: &p.annotations,
        created: p.created,
        uid: &p.k8s_uid,
    }
    .to_json(store);
    if let Some((owner, generate_name)) = owner(store, p) {
        metadata.insert("ownerReferences".into(), json!([owner]));
        if let Some(g) = generate_name {
            metadata.insert("generateName".into(), json!(g));
        }
    }
    if let Some((at, grace)) = p.deletion {
        metadata.insert("deletionGracePeriodSeconds".into(), json!(grace.0 / 1000));
        metadata.insert("deletionTimestamp".into(), json!(timestamp(store, at + grace)));
    }
    let mut spec = match p.spec.to_json() {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    if let Some(n) = &p.node {
        spec.insert("nodeName".into(), json!(n));
    }
    spec.insert("schedulerName".into(), json!("default-scheduler"));
    super::meta::object("v1", "Pod", metadata, Value::Object(spec), Some(status(store, p)))
}

/// The pod's controller (`ownerReferences`), and the `generateName` it was named from.
fn owner(store: &Store, p: &Pod) -> Option<(Value, Option<String>)> {
    if let Some(rs) = p.owner_rs.and_then(|r| store.replicasets.get(r)) {
        let reference = controller_ref(
            "apps/v1",
            "ReplicaSet",
            &rs.name,
            &uid("ReplicaSet", &rs.namespace, &rs.name),
        );
        return Some((reference, Some(format!("{}-", rs.name))));
    }
    if let Some(j) = p.owner_job.and_then(|j| store.jobs.get(j)) {
        // A framework's internal Job is not an object: its operator owns the pods.
        if let Some(f) = j
            .owner_framework
            .and_then(|(f, _)| store.frameworks.get(f))
            .filter(|_| !j.visible)
        {
            let api = super::frameworks::api_version(f.kind);
            return Some((controller_ref(api, f.kind.as_str(), &f.name, &f.k8s_uid), None));
        }
        let generate = (!j.indexed_names).then(|| format!("{}-", j.name));
        return Some((controller_ref("batch/v1", "Job", &j.name, &j.k8s_uid), generate));
    }
    let lws = p.owner_lws.and_then(|l| store.leader_worker_sets.get(l))?;
    let reference = controller_ref(
        "leaderworkerset.x-k8s.io/v1",
        "LeaderWorkerSet",
        &lws.name,
        &lws.k8s_uid,
    );
    Some((reference, None))
}

/// When the start-up's steps of `phases` were over, from the binding, as planned (no
/// later than now).
fn after_steps(store: &Store, p: &Pod, phases: &[StartPhase]) -> SimTime {
    let bound = p.scheduled_at.unwrap_or(p.created);
    let took: u64 = p
        .startup
        .iter()
        .filter(|s| phases.contains(&s.phase))
        .map(|s| s.duration.0)
        .sum();
    (bound + SimDuration(took)).min(store.now)
}

/// `status` as the kubelet and the scheduler write it.
fn status(store: &Store, p: &Pod) -> Value {
    let mut s = Map::new();
    let mut conditions = Vec::new();
    let engine = p.spec.engine_container().map(|c| c.name.clone());
    let init_names: Vec<&str> = p.spec.init_containers.iter().map(|c| c.name.as_str()).collect();
    let names: Vec<&str> = p.spec.containers.iter().map(|c| c.name.as_str()).collect();
    match (&p.node, p.scheduled_at) {
        (Some(_), Some(bound)) => {
            let initialized = !matches!(p.start_phase, None | Some(StartPhase::Init)) || init_names.is_empty();
            let init_done = after_steps(store, p, &[StartPhase::Init]);
            conditions.push(condition(store, "PodReadyToStartContainers", true, "", "", bound));
            conditions.push(if initialized {
                condition(store, "Initialized", true, "", "", init_done)
            } else {
                let message = format!("containers with incomplete status: [{}]", init_names.join(" "));
                condition(store, "Initialized", false, "ContainersNotInitialized", &message, bound)
            });
            let ready = p.is_ready();
            let unready: Vec<&str> = if p.ready_containers() > 0 && !ready {
                engine.iter().map(String::as_str).collect()
            } else {
                names.clone()
            };
            let message = format!("containers with unready status: [{}]", unready.join(" "));
            for ty in ["Ready", "ContainersReady"] {
                conditions.push(match p.ready_at {
                    Some(at) if ready => condition(store, ty, true, "", "", at),
                    Some(_) => condition(store, ty, false, "ContainersNotReady", &message, store.now),
                    None => condition(store, ty, false, "ContainersNotReady", &message, init_done),
                });
            }
            conditions.push(condition(store, "PodScheduled", true, "", "", bound));
        }
        _ if p.is_gated() => conditions.push(condition(
            store,
            "PodScheduled",
            false,
            "SchedulingGated",
            "Scheduling is blocked due to non-empty scheduling gates",
            p.created,
        )),
        _ => {
            if let Some(message) = &p.unschedulable {
                conditions.push(condition(
                    store,
                    "PodScheduled",
                    false,
                    "Unschedulable",
                    message,
                    p.created,
                ));
            }
        }
    }
    if !conditions.is_empty() {
        s.insert("conditions".into(), Value::Array(conditions));
    }
    if p.node.is_some() {
        let running_since = after_steps(store, p, &[StartPhase::Init, StartPhase::Creating]);
        let statuses: Vec<Value> = p
            .spec
            .containers
            .iter()
            .map(|c| {
                let is_engine = engine.as_deref() == Some(c.name.as_str());
                let (state, running) = container_state(store, p, running_since);
                let ready = running && (!is_engine || p.is_ready());
                json!({
                    "image": c.image,
                    "name": c.name,
                    "ready": ready,
                    "restartCount": if is_engine { p.crash.restarts } else { 0 },
                    "started": running,
                    "state": state,
                })
            })
            .collect();
        s.insert("containerStatuses".into(), Value::Array(statuses));
        if !p.spec.init_containers.is_empty() {
            s.insert("initContainerStatuses".into(), init_statuses(store, p));
        }
        let ip = pod_ip(p).unwrap_or_default();
        s.insert("podIP".into(), json!(ip));
        s.insert("podIPs".into(), json!([{ "ip": ip }]));
    }
    s.insert("phase".into(), json!(p.phase()));
    s.insert("qosClass".into(), json!(qos_class(p)));
    if let Some(bound) = p.scheduled_at {
        s.insert("startTime".into(), json!(timestamp(store, bound)));
    }
    Value::Object(s)
}

/// An app container's `state` and whether it runs: waiting while the init containers
/// run or the containers are created, on a crash loop or an image pull; running since
/// its start otherwise.
fn container_state(store: &Store, p: &Pod, since: SimTime) -> (Value, bool) {
    let waiting = |reason: &str| (json!({ "waiting": { "reason": reason } }), false);
    if let Some(w) = p.waiting.as_deref().filter(|w| !w.starts_with("Init:")) {
        return waiting(w);
    }
    if p.crash.backing_off {
        return waiting("CrashLoopBackOff");
    }
    match p.start_phase {
        None | Some(StartPhase::Init) => waiting("PodInitializing"),
        Some(StartPhase::Creating) => waiting("ContainerCreating"),
        Some(StartPhase::Starting | StartPhase::Ready) => {
            (json!({ "running": { "startedAt": timestamp(store, since) } }), true)
        }
    }
}

/// The init containers (the storage initializer): running or waiting while the pod
/// initializes, then terminated with exit code 0.
fn init_statuses(store: &Store, p: &Pod) -> Value {
    let bound = p.scheduled_at.unwrap_or(p.created);
    let done = after_steps(store, p, &[StartPhase::Init]);
    let statuses: Vec<Value> = p
        .spec
        .init_containers
        .iter()
        .map(|c| {
            let state = match (
                p.start_phase,
                p.waiting.as_deref().and_then(|w| w.strip_prefix("Init:")),
            ) {
                (None | Some(StartPhase::Init), Some(reason)) => json!({ "waiting": { "reason": reason } }),
                (None | Some(StartPhase::Init), None) => {
                    json!({ "running": { "startedAt": timestamp(store, bound) } })
                }
                _ => json!({ "terminated": {
                    "exitCode": 0,
                    "finishedAt": timestamp(store, done),
                    "reason": "Completed",
                    "startedAt": timestamp(store, bound),
                } }),
            };
            let finished = !matches!(p.start_phase, None | Some(StartPhase::Init));
            json!({
                "image": c.image,
                "name": c.name,
                "ready": finished,
                "restartCount": 0,
                "started": false,
                "state": state,
            })
        })
        .collect();
    Value::Array(statuses)
}

/// `Guaranteed` when every container's requests equal its limits for cpu and memory,
/// `BestEffort` when none asks for anything, `Burstable` otherwise; init containers count
/// (`GetPodQOS`), so a KServe storage initializer with requests below its limits makes
/// the pod Burstable.
fn qos_class(p: &Pod) -> &'static str {
    let containers: Vec<_> = p.spec.containers.iter().chain(&p.spec.init_containers).collect();
    if containers
        .iter()
        .all(|c| c.requests.0.is_empty() && c.limits.0.is_empty())
    {
        return "BestEffort";
    }
    let guaranteed = containers.iter().all(|c| {
        ["cpu", "memory"].iter().all(|r| {
            let limit = c.limits.0.get(*r);
            limit.is_some() && c.requests.0.get(*r).is_none_or(|q| Some(q) == limit)
        })
    });
    if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
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
