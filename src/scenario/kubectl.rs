//! `oc get` and `oc describe`: read-only answers about the simulated state.

use super::command::Kind;
use super::oc_error::OcError;
use super::printers::{self, table};
use crate::api::meta::{LabelSelector, Labels};
use crate::engine::Engine;
use crate::store::ObjectKey;

pub(crate) fn not_found(kind: Kind, name: &str) -> OcError {
    let plural = match kind {
        Kind::Pod => "pods".to_string(),
        Kind::Node => "nodes".to_string(),
        k => {
            let r = k.resource();
            let (base, group) = r.split_once('.').unwrap_or((r, ""));
            format!("{base}s.{group}")
        }
    };
    OcError::NotFound {
        plural,
        name: name.to_string(),
    }
}

pub(crate) fn get(
    engine: &Engine,
    kind: Kind,
    ns: Option<&str>,
    names: &[String],
    selector: Option<&str>,
    wide: bool,
) -> Result<String, OcError> {
    let w = engine.store();
    let sel = selector
        .map(LabelSelector::parse_cli)
        .transpose()
        .map_err(|e| OcError::Client(e.to_string()))?;
    let keep = |name: &str, labels: &Labels, obj_ns: &str| {
        (names.is_empty() || names.iter().any(|n| n == name))
            && sel.as_ref().is_none_or(|s| s.matches(labels))
            && ns.is_none_or(|n| n == obj_ns || kind.cluster_scoped())
    };
    let with_ns =
        |mut header: Vec<&'static str>, rows: Vec<(String, Vec<String>)>| -> (Vec<&'static str>, Vec<Vec<String>>) {
            if ns.is_none() && !kind.cluster_scoped() {
                header.insert(0, "NAMESPACE");
                (
                    header,
                    rows.into_iter()
                        .map(|(n, mut r)| {
                            r.insert(0, n);
                            r
                        })
                        .collect(),
                )
            } else {
                (header, rows.into_iter().map(|(_, r)| r).collect())
            }
        };
    let (header, rows): (Vec<&str>, Vec<Vec<String>>) = match kind {
        Kind::Pod => {
            let rows = w
                .pods
                .values()
                .filter(|p| keep(&p.name, &p.labels, &p.namespace))
                .map(|p| (p.namespace.clone(), printers::pod_row(w, p, wide)))
                .collect();
            with_ns(
                if wide {
                    printers::POD_HEADER_WIDE.to_vec()
                } else {
                    printers::POD_HEADER.to_vec()
                },
                sorted(rows),
            )
        }
        Kind::Workload => {
            let rows = w
                .workloads
                .values()
                .filter(|x| x.finished_at.is_none() && keep(&x.name, &Labels::new(), &x.namespace))
                .map(|x| (x.namespace.clone(), printers::workload_row(w, x)))
                .collect();
            with_ns(printers::WORKLOAD_HEADER.to_vec(), sorted(rows))
        }
        Kind::ClusterQueue => {
            let (h, r) = printers::clusterqueue_rows(w, wide);
            (
                h,
                r.into_iter()
                    .filter(|r| names.is_empty() || names.contains(&r[0]))
                    .collect(),
            )
        }
        Kind::LocalQueue => {
            let rows = printers::localqueue_rows(w, ns);
            let h = if ns.is_none() {
                vec![
                    "NAMESPACE",
                    "NAME",
                    "CLUSTERQUEUE",
                    "PENDING WORKLOADS",
                    "ADMITTED WORKLOADS",
                ]
            } else {
                vec!["NAME", "CLUSTERQUEUE", "PENDING WORKLOADS", "ADMITTED WORKLOADS"]
            };
            let idx = if ns.is_none() { 1 } else { 0 };
            (
                h,
                rows.into_iter()
                    .filter(|r| names.is_empty() || names.contains(&r[idx]))
                    .collect(),
            )
        }
        Kind::InferenceService => {
            let rows = w
                .isvcs
                .values()
                .filter(|s| keep(&s.isvc.meta.name, &s.isvc.meta.labels, &s.namespace))
                .map(|s| {
                    let n = &s.isvc.meta.name;
                    let ready = w
                        .deployment(&s.namespace, &crate::controllers::inferenceservice::predictor_name(n))
                        .is_some_and(|d| printers::deployment_available(w, d));
                    (
                        s.namespace.clone(),
                        vec![
                            n.clone(),
                            format!("http://{n}-predictor.{}.svc.cluster.local", s.namespace),
                            if ready { "True".into() } else { "False".into() },
                            String::new(),
                            String::new(),
                            String::new(),
                            String::new(),
                            printers::age(w, s.created),
                        ],
                    )
                })
                .collect();
            with_ns(
                vec![
                    "NAME",
                    "URL",
                    "READY",
                    "PREV",
                    "LATEST",
                    "PREVROLLEDOUTREVISION",
                    "LATESTREADYREVISION",
                    "AGE",
                ],
                sorted(rows),
            )
        }
        Kind::Deployment => {
            let rows = w
                .deployments
                .values()
                .filter(|d| keep(&d.name, &d.labels, &d.namespace))
                .map(|d| {
                    let st = printers::deployment_status(w, d);
                    let mut row = vec![
                        d.name.clone(),
                        format!("{}/{}", st.ready, d.spec.replicas),
                        st.updated.to_string(),
                        st.available.to_string(),
                        printers::age(w, d.created),
                    ];
                    if wide {
                        row.extend(printers::template_wide(&d.spec.template, &d.spec.selector.match_labels));
                    }
                    (d.namespace.clone(), row)
                })
                .collect();
            let mut h = vec!["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"];
            if wide {
                h.extend(["CONTAINERS", "IMAGES", "SELECTOR"]);
            }
            with_ns(h, sorted(rows))
        }
        Kind::Job => {
            let rows = w
                .jobs
                .values()
                .filter(|j| keep(&j.name, &j.labels, &j.namespace))
                .map(|j| {
                    let status = if j.completed_at.is_some() {
                        "Complete"
                    } else if j.spec.suspend {
                        "Suspended"
                    } else {
                        "Running"
                    };
                    let duration = j
                        .started_at
                        .map(|s| crate::units::human_duration(j.completed_at.unwrap_or(w.now).since(s)))
                        .unwrap_or_default();
                    let row = vec![
                        j.name.clone(),
                        status.to_string(),
                        format!("{}/{}", j.succeeded, j.spec.completions),
                        duration,
                        printers::age(w, j.created),
                    ];
                    (j.namespace.clone(), row)
                })
                .collect();
            with_ns(vec!["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"], sorted(rows))
        }
        Kind::ReplicaSet => {
            let rows = w
                .replicasets
                .values()
                .filter(|r| keep(&r.name, &r.labels, &r.namespace))
                .map(|r| {
                    let pods: Vec<_> = r
                        .pods
                        .iter()
                        .filter_map(|p| w.pods.get(*p))
                        .filter(|p| !p.is_terminating())
                        .collect();
                    let ready = pods.iter().filter(|p| p.is_ready()).count();
                    let mut row = vec![
                        r.name.clone(),
                        r.replicas.to_string(),
                        pods.len().to_string(),
                        ready.to_string(),
                        printers::age(w, r.created),
                    ];
                    if wide {
                        let mut sel = r.template.labels.clone();
                        sel.insert("pod-template-hash".into(), r.template_hash.clone());
                        row.extend(printers::template_wide(&r.template, &sel));
                    }
                    (r.namespace.clone(), row)
                })
                .collect();
            let mut h = vec!["NAME", "DESIRED", "CURRENT", "READY", "AGE"];
            if wide {
                h.extend(["CONTAINERS", "IMAGES", "SELECTOR"]);
            }
            with_ns(h, sorted(rows))
        }
        Kind::Node => {
            let rows = w
                .nodes
                .values()
                .filter(|n| keep(&n.name, &n.labels, ""))
                .map(|n| {
                    let status = if n.unschedulable {
                        "Ready,SchedulingDisabled"
                    } else {
                        "Ready"
                    };
                    let mut roles: Vec<&str> = n
                        .labels
                        .keys()
                        .filter_map(|k| k.strip_prefix("node-role.kubernetes.io/"))
                        .collect();
                    roles.sort();
                    let roles = if roles.is_empty() {
                        "<none>".to_string()
                    } else {
                        roles.join(",")
                    };
                    (
                        String::new(),
                        vec![
                            n.name.clone(),
                            status.into(),
                            roles,
                            printers::age(w, n.created),
                            "v1.33.5".into(),
                        ],
                    )
                })
                .collect();
            (
                vec!["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
                sorted(rows).into_iter().map(|(_, r)| r).collect(),
            )
        }
        Kind::ServingRuntime => {
            let rows = w
                .runtimes
                .iter()
                .filter(|(k, r)| keep(&r.meta.name, &r.meta.labels, &k.namespace))
                .map(|(k, r)| {
                    (
                        k.namespace.clone(),
                        vec![
                            r.meta.name.clone(),
                            r.model_formats.first().map(|f| f.0.clone()).unwrap_or_default(),
                            r.containers.first().map(|c| c.name.clone()).unwrap_or_default(),
                            String::new(),
                        ],
                    )
                })
                .collect();
            with_ns(
                vec!["NAME", "DISABLED", "MODELTYPE", "CONTAINERS", "AGE"][..4].to_vec(),
                sorted(rows),
            )
        }
        Kind::ResourceFlavor => (
            vec!["NAME", "AGE"],
            w.flavors
                .keys()
                .map(|n| vec![n.clone(), printers::age(w, crate::units::SimTime::ZERO)])
                .collect(),
        ),
    };
    if rows.is_empty() {
        if !names.is_empty() {
            return Err(not_found(kind, &names[0]));
        }
        return Ok(match ns {
            Some(n) if !kind.cluster_scoped() => format!("No resources found in {n} namespace."),
            _ => "No resources found".into(),
        });
    }
    let h: Vec<&str> = header.to_vec();
    Ok(table(&h, &rows).trim_end().to_string())
}

fn sorted(mut rows: Vec<(String, Vec<String>)>) -> Vec<(String, Vec<String>)> {
    rows.sort_by(|a, b| (&a.0, &a.1[0]).cmp(&(&b.0, &b.1[0])));
    rows
}

pub(crate) fn describe(engine: &Engine, kind: Kind, ns: &str, name: &str) -> Result<String, OcError> {
    let w = engine.store();
    let log = &w.events;
    match kind {
        Kind::Workload => {
            let wl = w
                .workloads
                .values()
                .find(|x| x.namespace == ns && x.name == name && x.finished_at.is_none())
                .ok_or_else(|| not_found(kind, name))?;
            Ok(printers::describe_workload(w, log, wl))
        }
        Kind::ClusterQueue => {
            printers::describe_clusterqueue(w, engine.kueue(), log, name).ok_or_else(|| not_found(kind, name))
        }
        Kind::Pod => {
            let p = w.pod(ns, name).ok_or_else(|| not_found(kind, name))?;
            Ok(printers::describe_pod(w, log, p))
        }
        Kind::LocalQueue => {
            let l = w
                .local_queues
                .get(&ObjectKey::new(ns, name))
                .ok_or_else(|| not_found(kind, name))?;
            let rows = printers::localqueue_rows(w, Some(ns));
            let row = rows.into_iter().find(|r| r[0] == name).unwrap_or_default();
            Ok(format!(
                "Name:         {name}\nNamespace:    {ns}\nAPI Version:  kueue.x-k8s.io/v1beta1\nKind:         LocalQueue\nSpec:\n  Cluster Queue:  {}\nStatus:\n  Admitted Workloads:  {}\n  Pending Workloads:   {}\n",
                l.cluster_queue,
                row.get(3).cloned().unwrap_or_default(),
                row.get(2).cloned().unwrap_or_default()
            ))
        }
        Kind::Node => {
            let n = w.nodes.get(name).ok_or_else(|| not_found(kind, name))?;
            let mut o = format!("Name:               {name}\nUnschedulable:      {}\nAllocated resources:\n  Resource           Requests    Allocatable\n", n.unschedulable);
            for (r, q) in &n.allocatable.0 {
                o.push_str(&format!("  {r:<18} {:<11} {q}\n", n.requested.get(r).to_string()));
            }
            Ok(o)
        }
        _ => Err(OcError::Client(format!(
            "describe {} is not supported",
            kind.resource()
        ))),
    }
}
