//! Executing timeline commands against the simulated cluster, answering as `oc` would.

use super::command::{Command, Kind, PatchType, Selection, Targets, Verb};
use super::kubectl::{describe, get, not_found};
use crate::api::meta::{LabelSelector, Labels};
use crate::engine::world::{Uid, World};
use crate::engine::Engine;
use crate::manifest::error::Loc;
use crate::manifest::load::RawObject;
use crate::manifest::objects::{decode, Object};
use crate::manifest::yaml::Node;
use crate::units::SimDuration;

/// Names of objects of `kind` in `ns` the selection picks.
fn select(world: &World, kind: Kind, ns: &str, sel: &Selection) -> Result<Vec<String>, String> {
    let candidates: Vec<(String, Labels)> = match kind {
        Kind::Deployment => world
            .deployments
            .values()
            .filter(|d| d.namespace == ns)
            .map(|d| (d.name.clone(), d.labels.clone()))
            .collect(),
        Kind::Job => world
            .jobs
            .values()
            .filter(|j| j.namespace == ns)
            .map(|j| (j.name.clone(), j.labels.clone()))
            .collect(),
        Kind::ReplicaSet => world
            .replicasets
            .values()
            .filter(|r| r.namespace == ns)
            .map(|r| {
                let mut l = r.template.labels.clone();
                l.insert("pod-template-hash".into(), r.template_hash.clone());
                (r.name.clone(), l)
            })
            .collect(),
        Kind::Pod => world
            .pods
            .values()
            .filter(|p| p.namespace == ns)
            .map(|p| (p.name.clone(), p.labels.clone()))
            .collect(),
        Kind::InferenceService => world
            .isvcs
            .values()
            .filter(|s| s.namespace == ns)
            .map(|s| (s.isvc.meta.name.clone(), s.isvc.meta.labels.clone()))
            .collect(),
        Kind::Node => world
            .nodes
            .values()
            .map(|n| (n.name.clone(), n.labels.clone()))
            .collect(),
        Kind::ClusterQueue => world
            .cluster_queues
            .keys()
            .map(|n| (n.clone(), Labels::new()))
            .collect(),
        Kind::LocalQueue => world
            .local_queues
            .values()
            .filter(|l| l.namespace == ns)
            .map(|l| (l.name.clone(), Labels::new()))
            .collect(),
        Kind::Workload => world
            .workloads
            .values()
            .filter(|w| w.namespace == ns && w.finished_at.is_none())
            .map(|w| (w.name.clone(), Labels::new()))
            .collect(),
        Kind::ServingRuntime => world
            .runtimes
            .values()
            .filter(|r| r.meta.namespace.as_deref().unwrap_or(ns) == ns)
            .map(|r| (r.meta.name.clone(), r.meta.labels.clone()))
            .collect(),
        Kind::ResourceFlavor => world.flavors.keys().map(|n| (n.clone(), Labels::new())).collect(),
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
            let s = LabelSelector::parse_cli(l).map_err(|e| format!("error: {e}"))?;
            Ok(candidates
                .into_iter()
                .filter(|(_, labels)| s.matches(labels))
                .map(|(n, _)| n)
                .collect())
        }
    }
}

fn apply_kv(map: &mut Labels, changes: &[(String, Option<String>)], overwrite: bool, what: &str) -> Result<(), String> {
    for (k, v) in changes {
        if let (Some(old), Some(new)) = (map.get(k), v) {
            if old != new && !overwrite {
                return Err(format!("error: --overwrite is false but found the following declared {what}(s): '{k}' already has a value ({old})"));
            }
        }
    }
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
    Ok(())
}

/// Runs one command and returns what `oc` would print.
pub fn execute(engine: &mut Engine, cmd: &Command, apply_objects: &[RawObject], loc: &Loc) -> String {
    let ns = cmd.namespace.clone().unwrap_or_else(|| "default".into());
    let mut out = Vec::new();
    let result: Result<(), String> = (|| {
        match &cmd.verb {
            Verb::Scale { targets, replicas } => {
                if !matches!(targets.kind, Kind::Deployment | Kind::ReplicaSet) {
                    // InferenceService and the Kueue kinds have no scale subresource.
                    select(&engine.world, targets.kind, &ns, &targets.selection)?;
                    return Err(
                        "Error from server (NotFound): the server could not find the requested resource".into(),
                    );
                }
                for name in select(&engine.world, targets.kind, &ns, &targets.selection)? {
                    match targets.kind {
                        Kind::Deployment => {
                            let uid = *engine
                                .world
                                .deployment_index
                                .get(&(ns.clone(), name.clone()))
                                .ok_or_else(|| not_found(Kind::Deployment, &name))?;
                            engine.world.deployments.get_mut(&uid).unwrap().spec.replicas = *replicas;
                            engine.queues.deployment.insert(uid);
                        }
                        _ => {
                            let uid = *engine
                                .world
                                .replicaset_index
                                .get(&(ns.clone(), name.clone()))
                                .ok_or_else(|| not_found(Kind::ReplicaSet, &name))?;
                            engine.world.replicasets.get_mut(&uid).unwrap().replicas = *replicas;
                            engine.queues.replicaset.insert(uid);
                        }
                    }
                    out.push(format!("{}/{name} scaled", targets.kind.resource()));
                }
            }
            Verb::Annotate {
                targets,
                changes,
                overwrite,
            }
            | Verb::Label {
                targets,
                changes,
                overwrite,
            } => {
                let is_label = matches!(cmd.verb, Verb::Label { .. });
                let what = if is_label { "label" } else { "annotation" };
                for name in select(&engine.world, targets.kind, &ns, &targets.selection)? {
                    edit_meta(engine, targets.kind, &ns, &name, changes, *overwrite, is_label)?;
                    out.push(format!(
                        "{}/{name} {}",
                        targets.kind.resource(),
                        if is_label { "labeled" } else { "annotated" }
                    ));
                    let _ = what;
                }
            }
            Verb::Patch {
                targets,
                patch,
                patch_type,
            } => {
                let p: serde_json::Value = serde_json::from_str(patch).map_err(|e| format!("error: {e}"))?;
                for name in select(&engine.world, targets.kind, &ns, &targets.selection)? {
                    patch_object(engine, targets, &ns, &name, &p, *patch_type, loc)?;
                    out.push(format!("{}/{name} patched", targets.kind.resource()));
                }
            }
            Verb::RolloutRestart { targets } => {
                let stamp = crate::report::timestamp(engine.world.now);
                for name in select(&engine.world, Kind::Deployment, &ns, &targets.selection)? {
                    let uid = *engine
                        .world
                        .deployment_index
                        .get(&(ns.clone(), name.clone()))
                        .ok_or_else(|| not_found(Kind::Deployment, &name))?;
                    let d = engine.world.deployments.get_mut(&uid).unwrap();
                    d.spec
                        .template
                        .annotations
                        .insert("kubectl.kubernetes.io/restartedAt".into(), stamp.clone());
                    d.refresh_hash();
                    let owner = d.owner_isvc.clone();
                    engine.queues.deployment.insert(uid);
                    if let Some(o) = owner {
                        engine.queues.isvc.insert((ns.clone(), o));
                    }
                    out.push(format!("deployment.apps/{name} restarted"));
                }
            }
            Verb::Apply { .. } => {
                for raw in apply_objects {
                    let obj = decode(raw).map_err(|e| e.to_string())?;
                    if let Object::LocalQueue(lq) = &obj {
                        let current = engine.world.local_queues.get(&(lq.namespace.clone(), lq.name.clone()));
                        if let Some(cur) = current.filter(|c| c.cluster_queue != lq.cluster_queue) {
                            return Err(format!(
                                "The LocalQueue \"{}\" is invalid: spec.clusterQueue: Invalid value: \"{}\": field is immutable (currently {})",
                                lq.name, lq.cluster_queue, cur.cluster_queue
                            ));
                        }
                    }
                    let existed = object_exists(&engine.world, &obj);
                    let label = format!("{}/{}", raw.kind.to_lowercase(), raw.name());
                    apply_raw(engine, raw, obj);
                    out.push(format!("{label} {}", if existed { "configured" } else { "created" }));
                }
            }
            Verb::Delete { targets, grace_seconds } => {
                for name in select(&engine.world, targets.kind, &ns, &targets.selection)? {
                    delete_object(
                        engine,
                        targets.kind,
                        &ns,
                        &name,
                        grace_seconds.map(SimDuration::from_secs),
                    )?;
                    if grace_seconds == &Some(0) {
                        out.push("Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.".into());
                    }
                    out.push(format!(
                        "{} \"{name}\" deleted",
                        targets.kind.resource().split('.').next().unwrap()
                    ));
                }
            }
            Verb::Get {
                kind,
                names,
                selector,
                wide,
            } => {
                out.push(get(
                    engine,
                    *kind,
                    if cmd.all_namespaces { None } else { Some(&ns) },
                    names,
                    selector.as_deref(),
                    *wide,
                )?);
            }
            Verb::Describe { kind, names } => {
                let names = if names.is_empty() {
                    select(&engine.world, *kind, &ns, &Selection::All)?
                } else {
                    names.clone()
                };
                for n in names {
                    out.push(describe(engine, *kind, &ns, &n)?);
                }
            }
            Verb::Cordon { node, uncordon } => {
                let n = engine
                    .world
                    .nodes
                    .get_mut(node)
                    .ok_or_else(|| not_found(Kind::Node, node))?;
                n.unschedulable = !uncordon;
                if *uncordon {
                    engine.retry_unschedulable();
                }
                out.push(format!(
                    "node/{node} {}",
                    if *uncordon { "uncordoned" } else { "cordoned" }
                ));
            }
            Verb::Drain { node } => {
                let n = engine
                    .world
                    .nodes
                    .get_mut(node)
                    .ok_or_else(|| not_found(Kind::Node, node))?;
                n.unschedulable = true;
                let pods: Vec<Uid> = n.pods.iter().copied().collect();
                out.push(format!("node/{node} cordoned"));
                for p in pods {
                    let name = engine.world.pods[&p].name.clone();
                    engine.delete_pod(p, None);
                    out.push(format!(
                        "evicting pod {}/{name}",
                        engine
                            .world
                            .pods
                            .get(&p)
                            .map(|x| x.namespace.clone())
                            .unwrap_or(ns.clone())
                    ));
                }
                out.push(format!("node/{node} drained"));
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        out.push(e);
    }
    out.join("\n")
}

fn object_exists(world: &World, obj: &Object) -> bool {
    match obj {
        Object::Node(n) => world.nodes.contains_key(&n.meta.name),
        Object::ResourceFlavor(f) => world.flavors.contains_key(&f.name),
        Object::ClusterQueue(c) => world.cluster_queues.contains_key(&c.name),
        Object::LocalQueue(l) => world.local_queues.contains_key(&(l.namespace.clone(), l.name.clone())),
        Object::InferenceService { namespace, isvc, .. } => {
            world.isvcs.contains_key(&(namespace.clone(), isvc.meta.name.clone()))
        }
        Object::Deployment {
            namespace, deployment, ..
        } => world.deployment(namespace, &deployment.meta.name).is_some(),
        Object::ServingRuntime { namespace, runtime } => world
            .runtimes
            .contains_key(&(namespace.clone(), runtime.meta.name.clone())),
        Object::Pod { namespace, pod, .. } => world.pod(namespace, &pod.meta.name).is_some(),
        Object::Namespace { name, .. } => world.namespaces.contains_key(name),
        Object::PriorityClass(c) => world.priority_classes.contains_key(&c.name),
        Object::WorkloadPriorityClass(c) => world.workload_priority_classes.contains_key(&c.name),
        Object::Job { namespace, job, .. } => world
            .job_index
            .contains_key(&(namespace.clone(), job.meta.name.clone())),
        Object::LeaderWorkerSet { namespace, lws } => world
            .lws_index
            .contains_key(&(namespace.clone(), lws.meta.name.clone())),
        Object::Workload { namespace, workload } => world
            .workloads
            .values()
            .any(|w| w.namespace == *namespace && w.name == workload.meta.name),
        _ => false,
    }
}

/// Applies a decoded manifest object, keeping its document for later patches.
pub fn apply_raw(engine: &mut Engine, raw: &RawObject, obj: Object) {
    let ns = obj.namespace().to_string();
    let mut json = raw.doc.to_json();
    if !ns.is_empty() {
        if let Some(m) = json.get_mut("metadata").and_then(|m| m.as_object_mut()) {
            m.insert("namespace".into(), serde_json::Value::String(ns.clone()));
        }
    }
    engine.world.raw.insert((raw.kind.clone(), ns, raw.name()), json);
    engine.apply_object(obj);
}

fn edit_meta(
    engine: &mut Engine,
    kind: Kind,
    ns: &str,
    name: &str,
    changes: &[(String, Option<String>)],
    overwrite: bool,
    is_label: bool,
) -> Result<(), String> {
    let what = if is_label { "label" } else { "annotation" };
    let key = (ns.to_string(), name.to_string());
    match kind {
        Kind::Deployment => {
            let uid = *engine
                .world
                .deployment_index
                .get(&key)
                .ok_or_else(|| not_found(kind, name))?;
            let d = engine.world.deployments.get_mut(&uid).unwrap();
            // Metadata only: no rollout, as in Kubernetes.
            apply_kv(
                if is_label { &mut d.labels } else { &mut d.annotations },
                changes,
                overwrite,
                what,
            )?;
        }
        Kind::InferenceService => {
            let st = engine.world.isvcs.get_mut(&key).ok_or_else(|| not_found(kind, name))?;
            let m = if is_label {
                &mut st.isvc.meta.labels
            } else {
                &mut st.isvc.meta.annotations
            };
            apply_kv(m, changes, overwrite, what)?;
            let field = if is_label { "labels" } else { "annotations" };
            let map: serde_json::Map<String, serde_json::Value> = m
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect();
            if let Some(meta) = st.raw.get_mut("metadata").and_then(|x| x.as_object_mut()) {
                meta.insert(field.into(), serde_json::Value::Object(map));
            }
            // KServe copies ISVC metadata into the pod template: this rolls the predictor.
            engine.queues.isvc.insert(key);
        }
        Kind::Pod => {
            let uid = *engine.world.pod_index.get(&key).ok_or_else(|| not_found(kind, name))?;
            let p = engine.world.pods.get_mut(&uid).unwrap();
            apply_kv(
                if is_label { &mut p.labels } else { &mut p.annotations },
                changes,
                overwrite,
                what,
            )?;
            if is_label && changes.iter().any(|(k, _)| k == crate::kueue::PRIORITY_CLASS_LABEL) {
                engine.reprioritize_workload_of(uid);
            }
        }
        Kind::Node => {
            let n = engine.world.nodes.get_mut(name).ok_or_else(|| not_found(kind, name))?;
            if is_label {
                apply_kv(&mut n.labels, changes, overwrite, what)?;
                engine.retry_unschedulable();
            }
        }
        Kind::ReplicaSet => {}
        _ => {}
    }
    Ok(())
}

fn patch_object(
    engine: &mut Engine,
    targets: &Targets,
    ns: &str,
    name: &str,
    patch: &serde_json::Value,
    ty: PatchType,
    loc: &Loc,
) -> Result<(), String> {
    let (kind_name, raw_ns) = match targets.kind {
        Kind::Deployment => ("Deployment", ns),
        Kind::InferenceService => ("InferenceService", ns),
        Kind::ClusterQueue => ("ClusterQueue", ""),
        Kind::LocalQueue => ("LocalQueue", ns),
        Kind::ResourceFlavor => ("ResourceFlavor", ""),
        k => return Err(format!("error: patching {} is not simulated", k.resource())),
    };
    let mut doc = match targets.kind {
        Kind::Deployment => {
            // Patch the live object, not the manifest it came from: scale, restart and
            // annotate have changed it since.
            let d = engine
                .world
                .deployment(ns, name)
                .ok_or_else(|| not_found(Kind::Deployment, name))?;
            super::render::deployment(d)
        }
        Kind::InferenceService => engine
            .world
            .isvcs
            .get(&(ns.to_string(), name.to_string()))
            .ok_or_else(|| not_found(Kind::InferenceService, name))?
            .raw
            .clone(),
        _ => engine
            .world
            .raw
            .get(&(kind_name.to_string(), raw_ns.to_string(), name.to_string()))
            .cloned()
            .ok_or_else(|| format!("error: {name} has no stored manifest to patch"))?,
    };
    match ty {
        PatchType::Json => super::patch::json_patch(&mut doc, patch).map_err(|e| format!("error: {e}"))?,
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
    let obj = decode(&raw).map_err(|e| format!("The {kind_name} \"{name}\" is invalid: {}", e.message))?;
    apply_raw(engine, &raw, obj);
    Ok(())
}

fn delete_object(
    engine: &mut Engine,
    kind: Kind,
    ns: &str,
    name: &str,
    grace: Option<SimDuration>,
) -> Result<(), String> {
    let key = (ns.to_string(), name.to_string());
    match kind {
        Kind::Pod => {
            let uid = *engine.world.pod_index.get(&key).ok_or_else(|| not_found(kind, name))?;
            engine.delete_pod(uid, grace);
        }
        Kind::ReplicaSet => {
            let uid = *engine
                .world
                .replicaset_index
                .get(&key)
                .ok_or_else(|| not_found(kind, name))?;
            delete_replicaset(engine, uid, grace);
        }
        Kind::Deployment => {
            let uid = *engine
                .world
                .deployment_index
                .get(&key)
                .ok_or_else(|| not_found(kind, name))?;
            let owner = engine.world.deployments.get(&uid).and_then(|d| d.owner_isvc.clone());
            delete_deployment(engine, uid, grace);
            // KServe recreates a predictor Deployment it owns.
            if let Some(o) = owner {
                engine.queues.isvc.insert((ns.to_string(), o));
            }
        }
        Kind::InferenceService => {
            engine.world.isvcs.remove(&key);
            let dep = crate::controllers::inferenceservice::predictor_name(name);
            if let Some(uid) = engine.world.deployment_index.get(&(ns.to_string(), dep)).copied() {
                delete_deployment(engine, uid, grace);
            }
        }
        k => return Err(format!("error: deleting {} is not simulated", k.resource())),
    }
    Ok(())
}

fn delete_replicaset(engine: &mut Engine, uid: Uid, grace: Option<SimDuration>) {
    let Some(rs) = engine.world.replicasets.remove(&uid) else {
        return;
    };
    engine
        .world
        .replicaset_index
        .remove(&(rs.namespace.clone(), rs.name.clone()));
    for p in &rs.pods {
        if let Some(pod) = engine.world.pods.get_mut(p) {
            pod.owner_rs = None;
        }
        engine.delete_pod(*p, grace);
    }
    if let Some(d) = rs.deployment {
        engine.queues.deployment.insert(d);
    }
}

fn delete_deployment(engine: &mut Engine, uid: Uid, grace: Option<SimDuration>) {
    let Some(d) = engine.world.deployments.remove(&uid) else {
        return;
    };
    engine
        .world
        .deployment_index
        .remove(&(d.namespace.clone(), d.name.clone()));
    let rss: Vec<Uid> = engine
        .world
        .replicasets
        .values()
        .filter(|r| r.deployment == Some(uid))
        .map(|r| r.uid)
        .collect();
    for r in rss {
        delete_replicaset(engine, r, grace);
    }
}
