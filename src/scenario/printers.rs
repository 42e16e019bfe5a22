//! Look-alike `kubectl get` / `describe` output of the simulated state.

use crate::api::apps::Strategy;
use crate::controllers::deployment::resolve_fenceposts;
use crate::kueue::Kueue;
use crate::store::{Deployment, Pod, Store, Workload};
use crate::units::{human_duration, SimTime};

/// kubectl's tabwriter: min width 10, padding 3, last column unpadded.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let cols = header.len();
    let mut widths = vec![0usize; cols];
    for (i, h) in header.iter().enumerate() {
        widths[i] = h.len();
    }
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cols {
                out.push_str(c);
            } else {
                let w = (widths[i] + 3).max(10);
                out.push_str(c);
                out.push_str(&" ".repeat(w - c.chars().count()));
            }
        }
        while out.ends_with(' ') {
            out.pop();
        }
        out.push('\n');
    };
    line(header.to_vec(), &mut out);
    for r in rows {
        line(r.iter().map(String::as_str).collect(), &mut out);
    }
    out
}

pub(crate) fn age(store: &Store, created: SimTime) -> String {
    human_duration(store.now.since(created))
}

pub(crate) fn pod_row(store: &Store, p: &Pod, wide: bool) -> Vec<String> {
    let mut row = vec![
        p.name.clone(),
        format!("{}/{}", p.ready_containers(), p.container_count),
        p.status(),
        p.crash.restarts.to_string(),
        age(store, p.created),
    ];
    if wide {
        row.push(if p.node.is_some() {
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

/// `-o wide` columns of Deployments and ReplicaSets: containers, images, selector.
pub(crate) fn template_wide(t: &crate::api::core::PodTemplate, selector: &crate::api::meta::Labels) -> [String; 3] {
    let names: Vec<&str> = t.spec.containers.iter().map(|c| c.name.as_str()).collect();
    let images: Vec<&str> = t.spec.containers.iter().map(|c| c.image.as_str()).collect();
    let sel: Vec<String> = selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
    [names.join(","), images.join(","), sel.join(",")]
}

pub(crate) const POD_HEADER: &[&str] = &["NAME", "READY", "STATUS", "RESTARTS", "AGE"];
pub(crate) const POD_HEADER_WIDE: &[&str] = &[
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

pub(crate) fn workload_row(store: &Store, w: &Workload) -> Vec<String> {
    vec![
        w.name.clone(),
        w.queue_name.clone(),
        w.admission
            .as_ref()
            .map(|a| a.cluster_queue.clone())
            .unwrap_or_default(),
        if w.admission.is_some() {
            "True".into()
        } else {
            String::new()
        },
        if w.finished_at.is_some() {
            "True".into()
        } else {
            String::new()
        },
        age(store, w.created),
    ]
}
pub(crate) const WORKLOAD_HEADER: &[&str] = &["NAME", "QUEUE", "RESERVED IN", "ADMITTED", "FINISHED", "AGE"];

pub(crate) struct DeploymentStatus {
    pub replicas: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
}

pub(crate) fn deployment_status(store: &Store, d: &Deployment) -> DeploymentStatus {
    let rss = store.replicasets_of(d.uid);
    let hash = &d.template_hash;
    let mut s = DeploymentStatus {
        replicas: 0,
        updated: 0,
        ready: 0,
        available: 0,
    };
    for rs in rss {
        for p in rs.pods.iter().filter_map(|p| store.pods.get(p)) {
            if p.is_terminating() {
                continue;
            }
            s.replicas += 1;
            if &rs.template_hash == hash {
                s.updated += 1;
            }
            if p.is_ready() {
                s.ready += 1;
            }
            if p.is_available(
                crate::units::SimDuration::from_secs(d.spec.min_ready_seconds),
                store.now,
            ) {
                s.available += 1;
            }
        }
    }
    s
}

/// The Deployment's Available condition: enough pods available given maxUnavailable.
pub(crate) fn deployment_available(store: &Store, d: &Deployment) -> bool {
    let st = deployment_status(store, d);
    let max_unavailable = match d.spec.strategy {
        Strategy::Recreate => 0,
        s => resolve_fenceposts(s, d.spec.replicas).1.min(d.spec.replicas),
    };
    st.available >= d.spec.replicas - max_unavailable
}

pub(crate) fn clusterqueue_rows(store: &Store, wide: bool) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let header = if wide {
        vec!["NAME", "COHORT", "STRATEGY", "PENDING WORKLOADS", "ADMITTED WORKLOADS"]
    } else {
        vec!["NAME", "COHORT", "PENDING WORKLOADS"]
    };
    let rows = store
        .cluster_queues
        .values()
        .map(|cq| {
            let admitted = admitted_in(store, &cq.name);
            let mut r = vec![cq.name.clone(), cq.cohort.clone().unwrap_or_default()];
            if wide {
                r.push(format!("{:?}", cq.queueing_strategy));
            }
            r.push(pending_in(store, &cq.name).to_string());
            if wide {
                r.push(admitted.to_string());
            }
            r
        })
        .collect();
    (header, rows)
}

pub(crate) fn admitted_in(store: &Store, cq: &str) -> usize {
    store
        .workloads
        .values()
        .filter(|w| w.finished_at.is_none() && w.admission.as_ref().is_some_and(|a| a.cluster_queue == cq))
        .count()
}

pub(crate) fn pending_in(store: &Store, cq: &str) -> usize {
    store
        .workloads
        .values()
        .filter(|w| w.is_pending() && store.cluster_queue_of(w) == Some(cq))
        .count()
}

pub(crate) fn localqueue_rows(store: &Store, ns: Option<&str>) -> Vec<Vec<String>> {
    store
        .local_queues
        .values()
        .filter(|l| ns.is_none_or(|n| n == l.namespace))
        .map(|l| {
            let mine = |w: &&Workload| w.namespace == l.namespace && w.queue_name == l.name && w.finished_at.is_none();
            let pending = store
                .workloads
                .values()
                .filter(mine)
                .filter(|w| w.admission.is_none())
                .count();
            let admitted = store
                .workloads
                .values()
                .filter(mine)
                .filter(|w| w.admission.is_some())
                .count();
            let mut r = vec![
                l.name.clone(),
                l.cluster_queue.clone(),
                pending.to_string(),
                admitted.to_string(),
            ];
            if ns.is_none() {
                r.insert(0, l.namespace.clone());
            }
            r
        })
        .collect()
}

fn indent(out: &mut String, depth: usize, key: &str, value: &str) {
    out.push_str(&"  ".repeat(depth));
    out.push_str(&format!("{key}:"));
    if !value.is_empty() {
        out.push_str("  ");
        out.push_str(value);
    }
    out.push('\n');
}

fn events_section(store: &Store, log: &[crate::store::LogEvent], object: &str, from: &str) -> String {
    let rows: Vec<Vec<String>> = log
        .iter()
        .filter(|e| e.object == object)
        .map(|e| {
            let ty = if matches!(e.kind.as_str(), "Pending" | "FailedScheduling" | "Inadmissible") {
                "Warning"
            } else {
                "Normal"
            };
            vec![
                ty.to_string(),
                e.kind.clone(),
                human_duration(store.now.since(e.t)),
                from.to_string(),
                e.message.clone(),
            ]
        })
        .collect();
    if rows.is_empty() {
        return "Events:  <none>\n".into();
    }
    let mut t = table(&["Type", "Reason", "Age", "From", "Message"], &rows);
    let mut lines: Vec<String> = t.lines().map(|l| format!("  {l}")).collect();
    lines.insert(1, "  ----     ------   ----  ----             -------".into());
    t = lines.join("\n");
    format!("Events:\n{t}\n")
}

pub(crate) fn describe_workload(store: &Store, log: &[crate::store::LogEvent], w: &Workload) -> String {
    let mut o = String::new();
    o.push_str(&format!("Name:         {}\nNamespace:    {}\n", w.name, w.namespace));
    o.push_str(&format!(
        "Labels:       kueue.x-k8s.io/job-uid={}\n",
        store.job_uid_of(w)
    ));
    o.push_str("Annotations:  <none>\nAPI Version:  kueue.x-k8s.io/v1beta1\nKind:         Workload\n");
    o.push_str("Spec:\n");
    indent(&mut o, 1, "Active", "true");
    indent(&mut o, 1, "Pod Sets", "");
    indent(&mut o, 2, "Count", "1");
    indent(&mut o, 2, "Name", "main");
    indent(&mut o, 2, "Resources", "");
    for (r, q) in &w.requests.0 {
        indent(&mut o, 3, r, &q.to_string());
    }
    indent(&mut o, 1, "Priority", &w.priority.to_string());
    if let Some(pc) = &w.priority_class {
        indent(&mut o, 1, "Priority Class Name", pc);
    }
    indent(&mut o, 1, "Queue Name", &w.queue_name);
    o.push_str("Status:\n");
    if let Some(a) = &w.admission {
        indent(&mut o, 1, "Admission", "");
        indent(&mut o, 2, "Cluster Queue", &a.cluster_queue);
        indent(&mut o, 2, "Pod Set Assignments", "");
        indent(&mut o, 3, "Count", "1");
        indent(&mut o, 3, "Flavors", "");
        for (r, f) in &a.flavors {
            indent(&mut o, 4, r, f);
        }
        indent(&mut o, 3, "Name", "main");
    }
    indent(&mut o, 1, "Conditions", "");
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
    indent(&mut o, 2, "Message", &message);
    indent(&mut o, 2, "Reason", reason);
    indent(&mut o, 2, "Status", status);
    indent(
        &mut o,
        2,
        "Type",
        if w.finished_at.is_some() {
            "Finished"
        } else {
            "QuotaReserved"
        },
    );
    if w.admission.is_some() {
        indent(&mut o, 2, "Message", "The workload is admitted");
        indent(&mut o, 2, "Reason", "Admitted");
        indent(&mut o, 2, "Status", "True");
        indent(&mut o, 2, "Type", "Admitted");
    }
    o.push_str(&events_section(
        store,
        log,
        &format!("Workload {}/{}", w.namespace, w.name),
        "kueue-admission",
    ));
    o
}

pub(crate) fn describe_clusterqueue(
    store: &Store,
    kueue: &Kueue,
    log: &[crate::store::LogEvent],
    name: &str,
) -> Option<String> {
    let cq = store.cluster_queues.get(name)?;
    let mut o = String::new();
    o.push_str(&format!("Name:         {name}\nNamespace:    \nLabels:       <none>\nAnnotations:  <none>\nAPI Version:  kueue.x-k8s.io/v1beta1\nKind:         ClusterQueue\nSpec:\n"));
    if let Some(c) = &cq.cohort {
        indent(&mut o, 1, "Cohort", c);
    }
    indent(&mut o, 1, "Queueing Strategy", &format!("{:?}", cq.queueing_strategy));
    indent(&mut o, 1, "Resource Groups", "");
    for g in &cq.resource_groups {
        indent(&mut o, 2, "Covered Resources", &g.covered.join(", "));
        indent(&mut o, 2, "Flavors", "");
        for f in &g.flavors {
            indent(&mut o, 3, "Name", &f.name);
            indent(&mut o, 3, "Resources", "");
            for r in &f.resources {
                if let Some(b) = r.borrowing_limit {
                    indent(&mut o, 4, "Borrowing Limit", &b.to_string());
                }
                if let Some(l) = r.lending_limit {
                    indent(&mut o, 4, "Lending Limit", &l.to_string());
                }
                indent(&mut o, 4, "Name", &r.name);
                indent(&mut o, 4, "Nominal Quota", &r.nominal.to_string());
            }
        }
    }
    o.push_str("Status:\n");
    indent(&mut o, 1, "Admitted Workloads", &admitted_in(store, name).to_string());
    indent(&mut o, 1, "Flavors Usage", "");
    for g in &cq.resource_groups {
        for f in &g.flavors {
            indent(&mut o, 2, "Name", &f.name);
            indent(&mut o, 2, "Resources", "");
            for r in &f.resources {
                let total = kueue.cache.usage_of(name, &f.name, &r.name);
                let borrowed = (total - r.nominal).max(crate::units::Quantity::ZERO);
                indent(&mut o, 3, "Borrowed", &borrowed.to_string());
                indent(&mut o, 3, "Name", &r.name);
                indent(&mut o, 3, "Total", &total.to_string());
            }
        }
    }
    indent(&mut o, 1, "Pending Workloads", &pending_in(store, name).to_string());
    indent(&mut o, 1, "Reserving Workloads", &admitted_in(store, name).to_string());
    o.push_str(&events_section(store, log, &format!("ClusterQueue {name}"), "kueue"));
    Some(o)
}

pub(crate) fn describe_pod(store: &Store, log: &[crate::store::LogEvent], p: &Pod) -> String {
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
    o.push_str(&format!("Labels:           {}\n", labels.join("\n                  ")));
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
    o.push_str("Containers:\n");
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
    let ns: Vec<String> = p.spec.node_selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
    o.push_str(&format!(
        "Node-Selectors:   {}\n",
        if ns.is_empty() {
            "<none>".into()
        } else {
            ns.join("\n                  ")
        }
    ));
    let tol: Vec<String> = p
        .spec
        .tolerations
        .iter()
        .map(|t| {
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
        })
        .collect();
    o.push_str(&format!(
        "Tolerations:      {}\n",
        if tol.is_empty() {
            "<none>".into()
        } else {
            tol.join("\n                  ")
        }
    ));
    o.push_str(&events_section(
        store,
        log,
        &format!("Pod {}/{}", p.namespace, p.name),
        "default-scheduler",
    ));
    o
}
