//! Kueue Workloads: listed and described while they are not finished.

use super::events::events_section;
use super::{Columns, Describe, ManifestOf, Resource};
use crate::engine::Engine;
use crate::scenario::printers::rfc3339_unix;
use crate::scenario::printers::{age, indent};
use crate::store::{Store, Workload, WorkloadSource};
use crate::units::Stamp;
use serde_json::{json, Map, Value};

pub(crate) struct Workloads;

impl Resource for Workloads {
    type Object<'s> = &'s Workload;
    const NAMES: &'static [&'static str] = &["workload", "workloads", "wl"];
    const RESOURCE: &'static str = "workload.kueue.x-k8s.io";
    const HEADER: &'static [&'static str] = &["NAME", "QUEUE", "RESERVED IN", "ADMITTED", "FINISHED", "AGE"];
    const DESCRIBE: Option<Describe<Self>> = Some(describe);
    const MANIFEST: ManifestOf<Self> = manifest;

    /// Unfinished ones, and finished ones whose owner still exists: Kueue keeps a Job's,
    /// a JobSet's… Workload, `Finished`, while the object stands (a pod's goes with the pod,
    /// its owner for the garbage collector); a Workload given as input has no owner.
    fn objects(store: &Store) -> impl Iterator<Item = &Workload> {
        store.workloads.values().filter(|w| {
            w.finished_at.is_none()
                || match w.source {
                    WorkloadSource::Job(j) => store.jobs.contains(j),
                    WorkloadSource::Framework(f) => store.frameworks.contains(f),
                    WorkloadSource::Snapshot { .. } => true,
                    WorkloadSource::Pod(_) | WorkloadSource::PodGroup(_) => false,
                }
        })
    }
    fn named<'s>(store: &'s Store, ns: &str, name: &str) -> Option<&'s Workload> {
        Self::objects(store).find(|w| w.namespace == ns && w.name == name)
    }
    fn namespace(w: Self::Object<'_>) -> &str {
        &w.namespace
    }
    fn name(w: Self::Object<'_>) -> &str {
        &w.name
    }
    fn row(store: &Store, w: &Workload, _: Columns) -> Vec<String> {
        let flag = |set: bool| if set { "True".to_string() } else { String::new() };
        vec![
            w.name.clone(),
            w.queue_name.clone(),
            w.admission
                .as_ref()
                .map(|a| a.cluster_queue.clone())
                .unwrap_or_default(),
            flag(w.admission.is_some()),
            flag(w.finished_at.is_some()),
            age(store, w.created),
        ]
    }
}

/// A time of the run as the cluster's clock reads it: Unix seconds, from the instant the
/// Workload objects given as input were taken at (else the simulation's calendar,
/// 2026-01-01T00:00:00Z at the start).
fn wall_clock(store: &Store, at: Stamp) -> String {
    const CALENDAR_START: f64 = 1_767_225_600.0;
    let origin = store.snapshot_taken_at.unwrap_or(CALENDAR_START);
    rfc3339_unix((origin + at.0 as f64 / 1000.0).round() as i64)
}

/// The Workload as `oc get workload -o yaml` prints it (kueue.x-k8s.io/v1beta2): its pod
/// sets, priority, queue and, once admitted, its admission per pod set and the
/// `QuotaReserved` and `Admitted` conditions with the time its quota was reserved.
fn manifest(store: &Store, w: &Workload) -> Value {
    let pod_sets: Vec<Value> = w
        .pod_sets
        .iter()
        .map(|ps| {
            let mut p = Map::new();
            p.insert("name".into(), ps.name.clone().into());
            p.insert("count".into(), ps.count.into());
            if let Some(m) = ps.min_count {
                p.insert("minCount".into(), m.into());
            }
            p.insert("template".into(), json!({ "spec": ps.template.to_json() }));
            p.into()
        })
        .collect();
    let mut spec = Map::new();
    spec.insert("active".into(), (!w.deactivated).into());
    spec.insert("podSets".into(), pod_sets.into());
    spec.insert("priority".into(), w.priority.into());
    if let Some(class) = &w.priority_class {
        let (group, kind) = if store.workload_priority_classes.contains_key(class) {
            ("kueue.x-k8s.io", "WorkloadPriorityClass")
        } else {
            ("scheduling.k8s.io", "PriorityClass")
        };
        spec.insert(
            "priorityClassRef".into(),
            json!({"group": group, "kind": kind, "name": class}),
        );
    }
    spec.insert("queueName".into(), w.queue_name.clone().into());
    let mut status = Map::new();
    if let Some(a) = &w.admission {
        let assignments: Vec<Value> = a
            .pod_set_assignments
            .iter()
            .map(|ps| {
                let mut a = json!({
                    "count": ps.count,
                    "flavors": ps.flavors,
                    "name": ps.name,
                    "resourceUsage": ps.resource_usage.to_json(),
                });
                if let (Some(t), Some(map)) = (&ps.topology_assignment, a.as_object_mut()) {
                    map.insert("topologyAssignment".into(), topology_assignment(t));
                }
                a
            })
            .collect();
        status.insert(
            "admission".into(),
            json!({"clusterQueue": a.cluster_queue, "podSetAssignments": assignments}),
        );
        let reserved = w
            .quota_reserved_written
            .unwrap_or_else(|| Stamp::from(w.admitted_at.unwrap_or(w.created)));
        let at = wall_clock(store, reserved);
        let mut conditions = vec![
            json!({"lastTransitionTime": at, "message": format!("Quota reserved in ClusterQueue {}", a.cluster_queue),
                   "reason": "QuotaReserved", "status": "True", "type": "QuotaReserved"}),
            json!({"lastTransitionTime": at, "message": "The workload is admitted",
                   "reason": "Admitted", "status": "True", "type": "Admitted"}),
        ];
        // Evicted while its pods stop: Kueue keeps the quota reserved until they are gone.
        if w.evicted_at.is_some() {
            conditions.extend(eviction_conditions(store, w));
        }
        if let Some(done) = w.finished_at {
            conditions.push(json!({"lastTransitionTime": wall_clock(store, Stamp::from(done)),
                "message": "Job finished successfully", "reason": "Succeeded", "status": "True", "type": "Finished"}));
        }
        status.insert("conditions".into(), Value::Array(conditions));
    } else if w.pending_message.is_some() || !w.evictions.is_empty() {
        // Pending: since its creation, or since its last eviction, which its `Evicted` and
        // (for a preemption) `Preempted` conditions tell of.
        let last = w.evictions.last();
        let since = last.map_or(Stamp::from(w.created), |e| Stamp::from(e.at));
        let mut conditions = vec![json!({
            "lastTransitionTime": wall_clock(store, since),
            "message": w.pending_message.clone().unwrap_or_default(),
            "reason": w.pending_reason.as_deref().unwrap_or("Pending"),
            "status": "False",
            "type": "QuotaReserved",
        })];
        conditions.extend(eviction_conditions(store, w));
        status.insert("conditions".into(), Value::Array(conditions));
    }
    json!({
        "apiVersion": "kueue.x-k8s.io/v1beta2",
        "kind": "Workload",
        "metadata": {
            "creationTimestamp": wall_clock(store, w.queue_timestamp.min(Stamp::from(w.created))),
            "name": w.name,
            "namespace": w.namespace,
        },
        "spec": spec,
        "status": status,
    })
}

/// The `Evicted` condition of its last eviction, with `Preempted` for a preemption.
fn eviction_conditions(store: &Store, w: &Workload) -> Vec<Value> {
    let Some(e) = w.evictions.last() else {
        return Vec::new();
    };
    let at = wall_clock(store, Stamp::from(e.at));
    let mut conditions = vec![json!({
        "lastTransitionTime": at,
        "message": e.message,
        "reason": e.reason,
        "status": "True",
        "type": "Evicted",
    })];
    if let Some(reason) = &e.preemption_reason {
        conditions.push(json!({
            "lastTransitionTime": at,
            "message": e.message,
            "reason": reason,
            "status": "True",
            "type": "Preempted",
        }));
    }
    conditions
}

/// A topology assignment in v1beta2's form: one slice listing each domain's value at every
/// level and its pods.
fn topology_assignment(t: &crate::store::TopologyAssignment) -> Value {
    let per_level: Vec<Value> = (0..t.levels.len())
        .map(|i| {
            let roots: Vec<&str> = t
                .domains
                .iter()
                .map(|(values, _)| values.get(i).map_or("", |v| v.as_str()))
                .collect();
            json!({ "individual": { "roots": roots } })
        })
        .collect();
    let counts: Vec<u32> = t.domains.iter().map(|(_, c)| *c).collect();
    json!({
        "levels": t.levels,
        "slices": [{
            "domainCount": t.domains.len(),
            "podCounts": { "individual": counts },
            "valuesPerLevel": per_level,
        }],
    })
}

fn describe(engine: &Engine, w: &Workload) -> String {
    let store = engine.store();
    let mut o = String::new();
    o.push_str(&format!("Name:         {}\nNamespace:    {}\n", w.name, w.namespace));
    o.push_str(&format!(
        "Labels:       kueue.x-k8s.io/job-uid={}\n",
        store.job_uid_of(w)
    ));
    o.push_str("Annotations:  <none>\nAPI Version:  kueue.x-k8s.io/v1beta2\nKind:         Workload\n");
    spec(&mut o, w);
    o.push_str("Status:\n");
    admission(&mut o, w);
    conditions(&mut o, w);
    o.push_str(&events_section(store, "Workload", &w.namespace, &w.name));
    o
}

/// Its pod sets, each with its count and its pods' requests.
fn spec(o: &mut String, w: &Workload) {
    o.push_str("Spec:\n");
    indent(o, 1, "Active", "true");
    indent(o, 1, "Pod Sets", "");
    for ps in &w.pod_sets {
        indent(o, 2, "Count", &ps.count.to_string());
        if let Some(m) = ps.min_count {
            indent(o, 2, "Min Count", &m.to_string());
        }
        indent(o, 2, "Name", &ps.name);
        indent(o, 2, "Resources", "");
        for (r, q) in &ps.per_pod.0 {
            indent(o, 3, r, &q.to_string());
        }
    }
    indent(o, 1, "Priority", &w.priority.to_string());
    if let Some(pc) = &w.priority_class {
        indent(o, 1, "Priority Class Name", pc);
    }
    indent(o, 1, "Queue Name", &w.queue_name);
}

/// The ClusterQueue and flavors the Workload was admitted to, if it was.
fn admission(o: &mut String, w: &Workload) {
    let Some(a) = &w.admission else {
        return;
    };
    indent(o, 1, "Admission", "");
    indent(o, 2, "Cluster Queue", &a.cluster_queue);
    indent(o, 2, "Pod Set Assignments", "");
    for ps in &a.pod_set_assignments {
        indent(o, 3, "Count", &ps.count.to_string());
        indent(o, 3, "Flavors", "");
        for (r, f) in &ps.flavors {
            indent(o, 4, r, f);
        }
        indent(o, 3, "Name", &ps.name);
        indent(o, 3, "Resource Usage", "");
        for (r, q) in &ps.resource_usage.0 {
            indent(o, 4, r, &q.to_string());
        }
    }
}

/// `QuotaReserved` (or `Finished`), then `Admitted` once admitted.
fn conditions(o: &mut String, w: &Workload) {
    indent(o, 1, "Conditions", "");
    let (status, reason, message) = match (&w.admission, w.finished_at) {
        (_, Some(_)) => ("True", "Succeeded", String::new()),
        (Some(a), None) => (
            "True",
            "QuotaReserved",
            format!("Quota reserved in ClusterQueue {}", a.cluster_queue),
        ),
        (None, None) => (
            "False",
            w.pending_reason.as_deref().unwrap_or("Pending"),
            w.pending_message.clone().unwrap_or_default(),
        ),
    };
    indent(o, 2, "Message", &message);
    indent(o, 2, "Reason", reason);
    indent(o, 2, "Status", status);
    let ty = if w.finished_at.is_some() {
        "Finished"
    } else {
        "QuotaReserved"
    };
    indent(o, 2, "Type", ty);
    if w.admission.is_some() {
        indent(o, 2, "Message", "The workload is admitted");
        indent(o, 2, "Reason", "Admitted");
        indent(o, 2, "Status", "True");
        indent(o, 2, "Type", "Admitted");
    }
    // Evicted, its pods stopping or gone: Kueue's reason, and the preemption's.
    if let Some(e) = w.evictions.last().filter(|_| w.evicted_at.is_some()) {
        indent(o, 2, "Message", &e.message);
        indent(o, 2, "Reason", &e.reason);
        indent(o, 2, "Status", "True");
        indent(o, 2, "Type", "Evicted");
        if let Some(reason) = &e.preemption_reason {
            indent(o, 2, "Message", &e.message);
            indent(o, 2, "Reason", reason);
            indent(o, 2, "Status", "True");
            indent(o, 2, "Type", "Preempted");
        }
    }
}
