//! Executing timeline commands against the simulated cluster, answering as `oc` would.
//! A command is a client of the API server: it reads the store and submits writes as
//! actions, like any other.

use super::command::{Command, Kind, PatchType, Selection, Targets, Verb};
use super::kubectl::{describe, get, not_found};
use super::oc_error::OcError;
use crate::api::meta::{LabelSelector, Labels};
use crate::engine::action::{Action, DeploymentWrite, MetadataField, MetadataTarget, PodWrite, StoredManifest};
use crate::engine::Engine;
use crate::manifest::error::Loc;
use crate::manifest::load::RawObject;
use crate::manifest::objects::{decode, Object};
use crate::manifest::yaml::Node;
use crate::store::{ObjectKey, PodId, Store};
use crate::units::SimDuration;

/// Names of objects of `kind` in `ns` the selection picks.
fn select(store: &Store, kind: Kind, ns: &str, sel: &Selection) -> Result<Vec<String>, OcError> {
    let candidates: Vec<(String, Labels)> = match kind {
        Kind::Deployment => store
            .deployments
            .values()
            .filter(|d| d.namespace == ns)
            .map(|d| (d.name.clone(), d.labels.clone()))
            .collect(),
        Kind::Job => store
            .jobs
            .values()
            .filter(|j| j.namespace == ns)
            .map(|j| (j.name.clone(), j.labels.clone()))
            .collect(),
        Kind::ReplicaSet => store
            .replicasets
            .values()
            .filter(|r| r.namespace == ns)
            .map(|r| (r.name.clone(), r.labels.clone()))
            .collect(),
        Kind::Pod => store
            .pods
            .values()
            .filter(|p| p.namespace == ns)
            .map(|p| (p.name.clone(), p.labels.clone()))
            .collect(),
        Kind::InferenceService => store
            .isvcs
            .values()
            .filter(|s| s.namespace == ns)
            .map(|s| (s.isvc.meta.name.clone(), s.isvc.meta.labels.clone()))
            .collect(),
        Kind::Node => store
            .nodes
            .values()
            .map(|n| (n.name.clone(), n.labels.clone()))
            .collect(),
        Kind::ClusterQueue => store
            .cluster_queues
            .keys()
            .map(|n| (n.clone(), Labels::new()))
            .collect(),
        Kind::LocalQueue => store
            .local_queues
            .values()
            .filter(|l| l.namespace == ns)
            .map(|l| (l.name.clone(), Labels::new()))
            .collect(),
        Kind::Workload => store
            .workloads
            .values()
            .filter(|w| w.namespace == ns && w.finished_at.is_none())
            .map(|w| (w.name.clone(), Labels::new()))
            .collect(),
        Kind::ServingRuntime => store
            .runtimes
            .values()
            .filter(|r| r.meta.namespace.as_deref().unwrap_or(ns) == ns)
            .map(|r| (r.meta.name.clone(), r.meta.labels.clone()))
            .collect(),
        Kind::ResourceFlavor => store.flavors.keys().map(|n| (n.clone(), Labels::new())).collect(),
    };
    match sel {
        Selection::Names(names) => {
            let mut out: Vec<String> = Vec::new();
            for n in names {
                if !candidates.iter().any(|(c, _)| c == n) {
                    return Err(not_found(kind, n));
                }
                if !out.contains(n) {
                    out.push(n.clone());
                }
            }
            Ok(out)
        }
        Selection::All => Ok(candidates.into_iter().map(|(n, _)| n).collect()),
        Selection::Labels(l) => {
            let s = LabelSelector::parse_cli(l).map_err(|e| OcError::Client(e.to_string()))?;
            Ok(candidates
                .into_iter()
                .filter(|(_, labels)| s.matches(labels))
                .map(|(n, _)| n)
                .collect())
        }
    }
}

/// Runs one command and returns what `oc` would print.
pub(crate) fn execute(engine: &mut Engine, cmd: &Command, apply_objects: &[RawObject], loc: &Loc) -> String {
    let ns = cmd.namespace.clone().unwrap_or_else(|| "default".into());
    let mut out = Vec::new();
    if let Err(e) = run_verb(engine, cmd, &ns, apply_objects, loc, &mut out) {
        out.push(e.to_string());
    }
    out.join("\n")
}

fn run_verb(
    engine: &mut Engine,
    cmd: &Command,
    ns: &str,
    apply_objects: &[RawObject],
    loc: &Loc,
    out: &mut Vec<String>,
) -> Result<(), OcError> {
    match &cmd.verb {
        Verb::Scale { targets, replicas } => scale(engine, ns, targets, *replicas, out),
        Verb::Annotate {
            targets,
            changes,
            overwrite,
        } => edit_metadata(
            engine,
            ns,
            targets,
            changes,
            *overwrite,
            MetadataField::Annotations,
            out,
        ),
        Verb::Label {
            targets,
            changes,
            overwrite,
        } => edit_metadata(engine, ns, targets, changes, *overwrite, MetadataField::Labels, out),
        Verb::Patch {
            targets,
            patch,
            patch_type,
        } => {
            let p: serde_json::Value = serde_json::from_str(patch).map_err(|e| OcError::Client(e.to_string()))?;
            for name in select(engine.store(), targets.kind, ns, &targets.selection)? {
                patch_object(engine, targets.kind, ns, &name, &p, *patch_type, loc)?;
                out.push(format!("{}/{name} patched", targets.kind.resource()));
            }
            Ok(())
        }
        Verb::RolloutRestart { targets } => {
            let stamp = crate::report::timestamp(engine.now());
            for name in select(engine.store(), Kind::Deployment, ns, &targets.selection)? {
                let id = engine
                    .store()
                    .deployments
                    .id_of(ns, &name)
                    .ok_or_else(|| not_found(Kind::Deployment, &name))?;
                engine.submit(Action::Deployment(
                    id,
                    DeploymentWrite::Restart { stamp: stamp.clone() },
                ));
                out.push(format!("deployment.apps/{name} restarted"));
            }
            Ok(())
        }
        Verb::Apply { .. } => {
            for raw in apply_objects {
                let obj = decode(raw).map_err(|e| OcError::Manifest(e.to_string()))?;
                if let Object::LocalQueue(lq) = &obj {
                    let key = ObjectKey::new(lq.namespace.as_str(), lq.name.as_str());
                    let current = engine.store().local_queues.get(&key);
                    if let Some(cur) = current.filter(|c| c.cluster_queue != lq.cluster_queue) {
                        return Err(OcError::Invalid {
                            kind: "LocalQueue".into(),
                            name: lq.name.clone(),
                            message: format!(
                                "spec.clusterQueue: Invalid value: \"{}\": field is immutable (currently {})",
                                lq.cluster_queue, cur.cluster_queue
                            ),
                        });
                    }
                }
                let existed = object_exists(engine.store(), &obj);
                let label = format!("{}/{}", raw.kind.to_lowercase(), raw.name());
                apply_raw(engine, raw, obj);
                out.push(format!("{label} {}", if existed { "configured" } else { "created" }));
            }
            Ok(())
        }
        Verb::Delete { targets, grace_seconds } => {
            for name in select(engine.store(), targets.kind, ns, &targets.selection)? {
                delete_object(
                    engine,
                    targets.kind,
                    ns,
                    &name,
                    grace_seconds.map(SimDuration::from_secs),
                )?;
                if grace_seconds == &Some(0) {
                    out.push("Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.".into());
                }
                let resource = targets.kind.resource();
                out.push(format!(
                    "{} \"{name}\" deleted",
                    resource.split('.').next().unwrap_or(resource)
                ));
            }
            Ok(())
        }
        Verb::Get {
            kind,
            names,
            selector,
            wide,
        } => {
            let scope = if cmd.all_namespaces { None } else { Some(ns) };
            out.push(get(engine, *kind, scope, names, selector.as_deref(), *wide)?);
            Ok(())
        }
        Verb::Describe { kind, names } => {
            let names = if names.is_empty() {
                select(engine.store(), *kind, ns, &Selection::All)?
            } else {
                names.clone()
            };
            for n in names {
                out.push(describe(engine, *kind, ns, &n)?);
            }
            Ok(())
        }
        Verb::Cordon { node, uncordon } => {
            if !engine.store().nodes.contains_key(node) {
                return Err(not_found(Kind::Node, node));
            }
            engine.submit(Action::Cordon {
                node: node.clone(),
                unschedulable: !uncordon,
            });
            out.push(format!(
                "node/{node} {}",
                if *uncordon { "uncordoned" } else { "cordoned" }
            ));
            Ok(())
        }
        Verb::Drain { node } => {
            let n = engine
                .store()
                .nodes
                .get(node)
                .ok_or_else(|| not_found(Kind::Node, node))?;
            let pods: Vec<(PodId, String, String)> = n
                .pods
                .iter()
                .filter_map(|p| engine.store().pods.get(*p))
                .map(|p| (p.uid, p.namespace.clone(), p.name.clone()))
                .collect();
            engine.submit(Action::Cordon {
                node: node.clone(),
                unschedulable: true,
            });
            out.push(format!("node/{node} cordoned"));
            for (id, pod_ns, name) in pods {
                engine.submit(Action::Pod(id, PodWrite::Delete { grace: None }));
                out.push(format!("evicting pod {pod_ns}/{name}"));
            }
            out.push(format!("node/{node} drained"));
            Ok(())
        }
    }
}

fn scale(
    engine: &mut Engine,
    ns: &str,
    targets: &Targets,
    replicas: i32,
    out: &mut Vec<String>,
) -> Result<(), OcError> {
    let names = select(engine.store(), targets.kind, ns, &targets.selection)?;
    for name in names {
        let store = engine.store();
        let action = match targets.kind {
            Kind::Deployment => Action::ScaleDeployment {
                id: store
                    .deployments
                    .id_of(ns, &name)
                    .ok_or_else(|| not_found(Kind::Deployment, &name))?,
                replicas,
            },
            Kind::ReplicaSet => Action::SetReplicaSetReplicas {
                id: store
                    .replicasets
                    .id_of(ns, &name)
                    .ok_or_else(|| not_found(Kind::ReplicaSet, &name))?,
                replicas,
            },
            // InferenceService and the Kueue kinds have no scale subresource.
            _ => return Err(OcError::NoSuchResource),
        };
        engine.submit(action);
        out.push(format!("{}/{name} scaled", targets.kind.resource()));
    }
    match targets.kind {
        Kind::Deployment | Kind::ReplicaSet => Ok(()),
        _ => Err(OcError::NoSuchResource),
    }
}

fn object_exists(store: &Store, obj: &Object) -> bool {
    match obj {
        Object::Node(n) => store.nodes.contains_key(&n.meta.name),
        Object::ResourceFlavor(f) => store.flavors.contains_key(&f.name),
        Object::ClusterQueue(c) => store.cluster_queues.contains_key(&c.name),
        Object::LocalQueue(l) => store
            .local_queues
            .contains_key(&ObjectKey::new(l.namespace.as_str(), l.name.as_str())),
        Object::InferenceService { namespace, isvc, .. } => store
            .isvcs
            .contains_key(&ObjectKey::new(namespace.as_str(), isvc.meta.name.as_str())),
        Object::Deployment {
            namespace, deployment, ..
        } => store.deployment(namespace, &deployment.meta.name).is_some(),
        Object::ServingRuntime { namespace, runtime } => store
            .runtimes
            .contains_key(&ObjectKey::new(namespace.as_str(), runtime.meta.name.as_str())),
        Object::Pod { namespace, pod, .. } => store.pod(namespace, &pod.meta.name).is_some(),
        Object::Namespace { name, .. } => store.namespaces.contains_key(name),
        Object::PriorityClass(c) => store.priority_classes.contains_key(&c.name),
        Object::WorkloadPriorityClass(c) => store.workload_priority_classes.contains_key(&c.name),
        Object::Job { namespace, job, .. } => store.jobs.named(namespace, &job.meta.name).is_some(),
        Object::LeaderWorkerSet { namespace, lws } => {
            store.leader_worker_sets.named(namespace, &lws.meta.name).is_some()
        }
        Object::Workload { namespace, workload } => store
            .workloads
            .values()
            .any(|w| w.namespace == *namespace && w.name == workload.meta.name),
        Object::Skipped { .. } | Object::Scenario(_) => false,
    }
}

/// Applies a decoded manifest object, keeping its document for later patches.
pub(crate) fn apply_raw(engine: &mut Engine, raw: &RawObject, obj: Object) {
    let ns = obj.namespace().to_string();
    let mut doc = raw.doc.to_json();
    if !ns.is_empty() {
        if let Some(m) = doc.get_mut("metadata").and_then(|m| m.as_object_mut()) {
            m.insert("namespace".into(), serde_json::Value::String(ns.clone()));
        }
    }
    engine.submit(Action::Apply {
        object: Box::new(obj),
        manifest: Some(Box::new(StoredManifest {
            kind: raw.kind.clone(),
            namespace: ns,
            name: raw.name(),
            doc,
        })),
    });
}

/// Applies `changes` to `map` as kubectl does: `key=value` sets, `key-` removes, and an
/// existing different value needs `--overwrite`.
fn apply_kv(
    map: &Labels,
    changes: &[(String, Option<String>)],
    overwrite: bool,
    field: MetadataField,
) -> Result<Labels, OcError> {
    let what = match field {
        MetadataField::Labels => "label",
        MetadataField::Annotations => "annotation",
    };
    for (k, v) in changes {
        if let (Some(old), Some(new)) = (map.get(k), v) {
            if old != new && !overwrite {
                return Err(OcError::Client(format!(
                    "--overwrite is false but found the following declared {what}(s): '{k}' already has a value ({old})"
                )));
            }
        }
    }
    let mut map = map.clone();
    for (k, v) in changes {
        match v {
            Some(v) => {
                map.insert(k.clone(), v.clone());
            }
            None => {
                map.remove(k);
            }
        }
    }
    Ok(map)
}

fn edit_metadata(
    engine: &mut Engine,
    ns: &str,
    targets: &Targets,
    changes: &[(String, Option<String>)],
    overwrite: bool,
    field: MetadataField,
    out: &mut Vec<String>,
) -> Result<(), OcError> {
    let kind = targets.kind;
    for name in select(engine.store(), kind, ns, &targets.selection)? {
        let store = engine.store();
        let (target, labels, annotations) = match kind {
            Kind::Deployment => {
                let d = store.deployment(ns, &name).ok_or_else(|| not_found(kind, &name))?;
                (MetadataTarget::Deployment(d.uid), &d.labels, &d.annotations)
            }
            Kind::ReplicaSet => {
                let r = store
                    .replicasets
                    .named(ns, &name)
                    .ok_or_else(|| not_found(kind, &name))?;
                (MetadataTarget::ReplicaSet(r.uid), &r.labels, &r.annotations)
            }
            Kind::Pod => {
                let p = store.pod(ns, &name).ok_or_else(|| not_found(kind, &name))?;
                (MetadataTarget::Pod(p.uid), &p.labels, &p.annotations)
            }
            Kind::InferenceService => {
                let key = ObjectKey::new(ns, name.as_str());
                let s = store.isvcs.get(&key).ok_or_else(|| not_found(kind, &name))?;
                let meta = &s.isvc.meta;
                (MetadataTarget::InferenceService(key), &meta.labels, &meta.annotations)
            }
            Kind::Node => {
                let n = store.nodes.get(&name).ok_or_else(|| not_found(kind, &name))?;
                (MetadataTarget::Node(name.clone()), &n.labels, &n.annotations)
            }
            k => {
                let verb = match field {
                    MetadataField::Labels => "labeling",
                    MetadataField::Annotations => "annotating",
                };
                return Err(OcError::NotSimulated(format!("{verb} {}", k.resource())));
            }
        };
        let current = match field {
            MetadataField::Labels => labels,
            MetadataField::Annotations => annotations,
        };
        let values = apply_kv(current, changes, overwrite, field)?;
        engine.submit(Action::SetMetadata { target, field, values });
        let done = match field {
            MetadataField::Labels => "labeled",
            MetadataField::Annotations => "annotated",
        };
        out.push(format!("{}/{name} {done}", kind.resource()));
    }
    Ok(())
}

fn patch_object(
    engine: &mut Engine,
    kind: Kind,
    ns: &str,
    name: &str,
    patch: &serde_json::Value,
    ty: PatchType,
    loc: &Loc,
) -> Result<(), OcError> {
    let (kind_name, raw_ns) = match kind {
        Kind::Deployment => ("Deployment", ns),
        Kind::InferenceService => ("InferenceService", ns),
        Kind::ClusterQueue => ("ClusterQueue", ""),
        Kind::LocalQueue => ("LocalQueue", ns),
        Kind::ResourceFlavor => ("ResourceFlavor", ""),
        k => return Err(OcError::NotSimulated(format!("patching {}", k.resource()))),
    };
    let store = engine.store();
    let mut doc = match kind {
        // Patch the live object, not the manifest it came from: scale, restart and
        // annotate have changed it since.
        Kind::Deployment => super::render::deployment(
            store
                .deployment(ns, name)
                .ok_or_else(|| not_found(Kind::Deployment, name))?,
        ),
        Kind::InferenceService => store
            .isvcs
            .get(&ObjectKey::new(ns, name))
            .ok_or_else(|| not_found(Kind::InferenceService, name))?
            .raw
            .clone(),
        _ => store
            .manifests
            .get(&(kind_name.to_string(), raw_ns.to_string(), name.to_string()))
            .cloned()
            .ok_or_else(|| OcError::Client(format!("{name} has no stored manifest to patch")))?,
    };
    match ty {
        PatchType::Json => super::patch::json_patch(&mut doc, patch).map_err(OcError::Client)?,
        PatchType::Merge | PatchType::Strategic => super::patch::merge_patch(&mut doc, patch),
    }
    let api_version = doc
        .get("apiVersion")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string();
    let raw = RawObject {
        api_version,
        kind: kind_name.to_string(),
        doc: Node::from_json(&doc, loc),
        namespace_override: None,
    };
    let obj = decode(&raw).map_err(|e| OcError::Invalid {
        kind: kind_name.into(),
        name: name.into(),
        message: e.message,
    })?;
    apply_raw(engine, &raw, obj);
    Ok(())
}

fn delete_object(
    engine: &mut Engine,
    kind: Kind,
    ns: &str,
    name: &str,
    grace: Option<SimDuration>,
) -> Result<(), OcError> {
    let store = engine.store();
    let action = match kind {
        Kind::Pod => Action::Pod(
            store.pods.id_of(ns, name).ok_or_else(|| not_found(kind, name))?,
            PodWrite::Delete { grace },
        ),
        Kind::ReplicaSet => Action::DeleteReplicaSet {
            id: store.replicasets.id_of(ns, name).ok_or_else(|| not_found(kind, name))?,
            grace,
        },
        Kind::Deployment => Action::DeleteDeployment {
            id: store.deployments.id_of(ns, name).ok_or_else(|| not_found(kind, name))?,
            grace,
        },
        Kind::InferenceService => Action::DeleteInferenceService {
            key: ObjectKey::new(ns, name),
            grace,
        },
        k => return Err(OcError::NotSimulated(format!("deleting {}", k.resource()))),
    };
    engine.submit(action);
    Ok(())
}
