//! Executing timeline commands against the simulated cluster, answering as `oc` would.
//! A command is a client of the API server: it reads the store and submits writes as
//! actions, like any other. What differs between kinds is asked of the kind
//! (`Kind::kubectl`); each verb here is the same for all of them.

use super::command::{Command, GetOptions, KvChanges, PatchType, Selection, Targets, Verb};
use super::follow::{Follower, Listed, Rollout, Wait, Watch};
use super::kubectl::events::{self, EventQuery};
use super::kubectl::{deployments, Columns, Kind, Output, Query};
use super::logs::ServingLogs;
use super::oc_error::OcError;
use crate::api::meta::Labels;
use crate::engine::action::{Action, MetadataField, PodWrite, StoredManifest};
use crate::engine::Engine;
use crate::manifest::error::Loc;
use crate::manifest::load::RawObject;
use crate::manifest::objects::{decode, Object};
use crate::manifest::yaml::Node;
use crate::store::{ObjectKey, PodId, Store};
use crate::units::SimDuration;

/// One document of a timeline `apply -f` file, decoded when the scenario is prepared: a
/// fleet's timeline applies a hundred thousand Jobs, and their parsed YAML is not kept.
#[derive(Debug, Clone)]
pub struct ApplyDoc {
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) object: Object,
    /// The document as JSON with its namespace, for the kinds the store keeps it for.
    pub(crate) doc: Option<serde_json::Value>,
    /// The file it came from.
    pub(crate) file: std::sync::Arc<str>,
}

impl ApplyDoc {
    pub(crate) fn of(raw: &RawObject, object: Object) -> ApplyDoc {
        let doc = crate::apiserver::keeps_manifest(&raw.kind).then(|| manifest_doc(raw, &object));
        ApplyDoc {
            kind: raw.kind.clone(),
            name: raw.name(),
            object,
            doc,
            file: raw.doc.loc.file.clone(),
        }
    }
}

/// The document as the store keeps it: its JSON, with the namespace it was applied in.
fn manifest_doc(raw: &RawObject, obj: &Object) -> serde_json::Value {
    let ns = obj.namespace();
    let mut doc = raw.doc.to_json();
    if !ns.is_empty() {
        if let Some(m) = doc.get_mut("metadata").and_then(|m| m.as_object_mut()) {
            m.insert("namespace".into(), serde_json::Value::String(ns.to_string()));
        }
    }
    doc
}

/// What a command printed at its instant, and the follower that prints the rest of a
/// command that follows time (`oc get -w`, `oc wait`, `oc rollout status`).
pub(crate) struct Executed {
    pub output: String,
    pub follower: Option<Follower>,
}

/// Runs one command and returns what `oc` would print. `serving` is the request side,
/// for what a serving pod's log says of its requests.
pub(crate) fn execute(
    engine: &mut Engine,
    serving: &dyn ServingLogs,
    cmd: &Command,
    apply_objects: &[ApplyDoc],
    loc: &Loc,
) -> Executed {
    let ns = cmd.namespace.clone().unwrap_or_else(|| "default".into());
    let mut oc = Oc {
        engine,
        serving,
        ns: &ns,
        out: Vec::new(),
        follower: None,
    };
    if let Err(e) = oc.run(cmd, apply_objects, loc) {
        oc.out.push(e.to_string());
    }
    Executed {
        output: oc.out.join("\n"),
        follower: oc.follower,
    }
}

/// Whether a `get` is of events alone: they take `--field-selector` and `--sort-by`.
fn events_only(kinds: &[Kind]) -> bool {
    kinds == [Kind::Event]
}

/// An `oc get events`' query from its flags.
fn event_query<'a>(names: &'a [String], options: &GetOptions, output: &Output) -> EventQuery<'a> {
    EventQuery {
        names,
        fields: options.fields.clone(),
        sort_by: options.sort_by,
        output: output.clone(),
    }
}

/// A command that only reads (`get`, `describe`), run without writing anything: a
/// rehearsal's watch panel. `None` for a command that writes.
pub(crate) fn read(engine: &Engine, cmd: &Command) -> Option<String> {
    let ns = cmd.namespace.as_deref().unwrap_or("default");
    let mut out = Vec::new();
    let done = match &cmd.verb {
        // A panel shows the table as it stands: a watch's `-w` changes nothing there.
        Verb::Get {
            kinds,
            names,
            selector,
            output,
            options,
        } => {
            let scope = if cmd.all_namespaces { None } else { Some(ns) };
            let printed = match events_only(kinds) {
                true => events::get(engine.store(), scope, &event_query(names, options, output)),
                false => Query::new(scope, names, selector.as_deref(), (**output).clone())
                    .and_then(|q| super::kubectl::get(engine.store(), kinds, &q)),
            };
            printed.map(|printed| out.push(printed))
        }
        Verb::Describe { kind, names, selector } => describe(engine, ns, *kind, names, selector.as_deref(), &mut out),
        _ => return None,
    };
    if let Err(e) = done {
        out.push(e.to_string());
    }
    Some(out.join("\n"))
}

/// `describe`: the objects named, or every one in the namespace when none is, each
/// description pushed as it is made (what was printed stays printed when one fails).
fn describe(
    engine: &Engine,
    ns: &str,
    kind: Kind,
    names: &[String],
    selector: Option<&str>,
    out: &mut Vec<String>,
) -> Result<(), OcError> {
    let kubectl = kind.kubectl();
    let names = match selector {
        Some(sel) => kubectl.select(engine.store(), ns, &Selection::Labels(sel.to_string()))?,
        None if names.is_empty() => kubectl.select(engine.store(), ns, &Selection::All)?,
        None => names.to_vec(),
    };
    if names.is_empty() {
        out.push(format!("No resources found in {ns} namespace."));
    }
    for n in names {
        out.push(kubectl.describe(engine, ns, &n)?);
    }
    Ok(())
}

/// One command as it runs: what it talks to, its namespace, and what it printed so far,
/// which stays printed when a later object fails, as with kubectl.
struct Oc<'a> {
    engine: &'a mut Engine,
    serving: &'a dyn ServingLogs,
    /// `-n`, else `default`.
    ns: &'a str,
    out: Vec<String>,
    follower: Option<Follower>,
}

impl Oc<'_> {
    fn run(&mut self, cmd: &Command, apply_objects: &[ApplyDoc], loc: &Loc) -> Result<(), OcError> {
        match &cmd.verb {
            Verb::Scale { targets, replicas } => self.scale(targets, *replicas),
            Verb::Annotate {
                targets,
                changes,
                overwrite,
            } => self.edit_metadata(
                targets,
                &MetadataEdit::new(MetadataField::Annotations, changes, *overwrite),
            ),
            Verb::Label {
                targets,
                changes,
                overwrite,
            } => self.edit_metadata(targets, &MetadataEdit::new(MetadataField::Labels, changes, *overwrite)),
            Verb::Patch {
                targets,
                patch,
                patch_type,
            } => self.patch(targets, patch, *patch_type, loc),
            Verb::RolloutRestart { targets } => self.rollout_restart(targets),
            Verb::Apply { .. } => self.apply(apply_objects),
            Verb::Delete { targets, grace_seconds } => self.delete(targets, *grace_seconds),
            Verb::Get {
                kinds,
                names,
                selector,
                output,
                options,
            } => {
                let scope = if cmd.all_namespaces { None } else { Some(self.ns) };
                match (options.watch, kinds.first()) {
                    (Some(timeout), Some(kind)) => {
                        let columns = match **output {
                            Output::Table(c) => c,
                            _ => Columns::Default,
                        };
                        let listed = Listed {
                            kind: *kind,
                            namespace: scope.map(str::to_string),
                            names: names.clone(),
                            selector: selector.clone(),
                            columns,
                            fields: options.fields.clone(),
                        };
                        self.watch(listed, timeout)
                    }
                    _ if events_only(kinds) => {
                        let printed = events::get(self.engine.store(), scope, &event_query(names, options, output))?;
                        self.out.push(printed);
                        Ok(())
                    }
                    _ => self.get(
                        kinds,
                        &Query::new(scope, names, selector.as_deref(), (**output).clone())?,
                    ),
                }
            }
            Verb::Logs(req) => {
                let mut follow = None;
                let follows = req.follow.then_some(&mut follow);
                let lines = crate::scenario::logs::logs(self.engine.store(), self.serving, self.ns, req, follows)?;
                self.out.extend(lines);
                self.follower = follow.map(Follower::Logs);
                Ok(())
            }
            Verb::Wait(req) => {
                let (lines, follower) = Wait::start(self.engine.store(), self.ns, req)?;
                self.out.extend(lines);
                self.follower = follower.map(Follower::Wait);
                Ok(())
            }
            Verb::RolloutStatus { name, timeout } => {
                let (lines, follower) = Rollout::start(self.engine.store(), self.ns, name, *timeout)?;
                self.out.extend(lines);
                self.follower = follower.map(Follower::Rollout);
                Ok(())
            }
            Verb::Describe { kind, names, selector } => self.describe(*kind, names, selector.as_deref()),
            Verb::Cordon { node } => self.cordon(node),
            Verb::Uncordon { node } => self.uncordon(node),
            Verb::Drain { node } => self.drain(node),
        }
    }

    fn select(&self, targets: &Targets) -> Result<Vec<String>, OcError> {
        targets
            .kind
            .kubectl()
            .select(self.engine.store(), self.ns, &targets.selection)
    }

    fn scale(&mut self, targets: &Targets, replicas: i32) -> Result<(), OcError> {
        let kind = targets.kind.kubectl();
        let names = self.select(targets)?;
        // The API server has no scale subresource for the kind, whatever the objects.
        if !kind.scales() {
            return Err(OcError::NoSuchResource);
        }
        for name in names {
            let action = kind.scale(self.engine.store(), self.ns, &name, replicas)?;
            self.engine.submit(action);
            self.out.push(format!("{}/{name} scaled", kind.resource()));
        }
        Ok(())
    }

    fn edit_metadata(&mut self, targets: &Targets, edit: &MetadataEdit) -> Result<(), OcError> {
        let kind = targets.kind.kubectl();
        for name in self.select(targets)? {
            let m = kind.metadata(self.engine.store(), self.ns, &name, edit.field)?;
            let current = match edit.field {
                MetadataField::Labels => &m.labels,
                MetadataField::Annotations => &m.annotations,
            };
            let values = edit.apply(current)?;
            self.engine.submit(Action::SetMetadata {
                target: m.target,
                field: edit.field,
                values,
            });
            let done = match edit.field {
                MetadataField::Labels => "labeled",
                MetadataField::Annotations => "annotated",
            };
            self.out.push(format!("{}/{name} {done}", kind.resource()));
        }
        Ok(())
    }

    fn patch(&mut self, targets: &Targets, patch: &str, ty: PatchType, loc: &Loc) -> Result<(), OcError> {
        let p: serde_json::Value = serde_json::from_str(patch).map_err(|e| OcError::Client(e.to_string()))?;
        for name in self.select(targets)? {
            self.patch_object(targets.kind, &name, &p, ty, loc)?;
            self.out.push(format!("{}/{name} patched", targets.kind.resource()));
        }
        Ok(())
    }

    /// Patches the object's document and applies the result as a manifest, which the API
    /// server validates like any other.
    fn patch_object(
        &mut self,
        kind: Kind,
        name: &str,
        patch: &serde_json::Value,
        ty: PatchType,
        loc: &Loc,
    ) -> Result<(), OcError> {
        let base = kind.kubectl().patch_base(self.engine.store(), self.ns, name)?;
        let mut doc = base.doc;
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
            kind: base.kind.to_string(),
            doc: Node::from_json(&doc, loc),
            namespace_override: None,
        };
        let obj = decode(&raw).map_err(|e| OcError::Invalid {
            kind: base.kind.into(),
            name: name.into(),
            message: e.message,
        })?;
        apply_raw(self.engine, &raw, obj);
        Ok(())
    }

    /// Only Deployments restart (the parser refuses other kinds).
    fn rollout_restart(&mut self, targets: &Targets) -> Result<(), OcError> {
        let stamp = crate::report::timestamp(self.engine.now());
        let selected = Kind::Deployment
            .kubectl()
            .select(self.engine.store(), self.ns, &targets.selection)?;
        for name in selected {
            let action = deployments::restart(self.engine.store(), self.ns, &name, stamp.clone())?;
            self.engine.submit(action);
            self.out.push(format!("deployment.apps/{name} restarted"));
        }
        Ok(())
    }

    fn apply(&mut self, apply_objects: &[ApplyDoc]) -> Result<(), OcError> {
        for d in apply_objects {
            check_immutable(self.engine.store(), &d.object)?;
            let existed = object_exists(self.engine.store(), &d.object);
            let label = format!("{}/{}", d.kind.to_lowercase(), d.name);
            self.engine.submit(Action::Apply {
                object: Box::new(d.object.clone()),
                manifest: d.doc.clone().map(|doc| {
                    Box::new(StoredManifest {
                        kind: d.kind.clone(),
                        namespace: d.object.namespace().to_string(),
                        name: d.name.clone(),
                        doc,
                    })
                }),
            });
            self.out
                .push(format!("{label} {}", if existed { "configured" } else { "created" }));
        }
        Ok(())
    }

    fn delete(&mut self, targets: &Targets, grace_seconds: Option<u64>) -> Result<(), OcError> {
        let kind = targets.kind.kubectl();
        for name in self.select(targets)? {
            let grace = grace_seconds.map(SimDuration::from_secs);
            let action = kind.delete(self.engine.store(), self.ns, &name, grace)?;
            self.engine.submit(action);
            if grace_seconds == Some(0) {
                self.out.push("Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.".into());
            }
            // kubectl names the resource without its group here (`deployment "x" deleted`).
            let resource = kind.resource();
            let short = resource.split('.').next().unwrap_or(resource);
            self.out.push(format!("{short} \"{name}\" deleted"));
        }
        Ok(())
    }

    /// `oc get -w`: the table now (nothing when nothing is listed yet), then a follower.
    fn watch(&mut self, listed: Listed, timeout: Option<SimDuration>) -> Result<(), OcError> {
        let store = self.engine.store();
        let shown = listed.shown(store)?;
        if !shown.rows.is_empty() {
            self.out.push(shown.table());
        }
        let until = timeout.map(|t| store.now + t);
        self.follower = Some(Follower::Watch(Watch::new(listed, &shown, until)));
        Ok(())
    }

    fn get(&mut self, kinds: &[Kind], query: &Query) -> Result<(), OcError> {
        let printed = super::kubectl::get(self.engine.store(), kinds, query)?;
        self.out.push(printed);
        Ok(())
    }

    /// The objects named, or every one in the namespace when none is.
    fn describe(&mut self, kind: Kind, names: &[String], selector: Option<&str>) -> Result<(), OcError> {
        describe(self.engine, self.ns, kind, names, selector, &mut self.out)
    }

    fn cordon(&mut self, node: &str) -> Result<(), OcError> {
        self.set_unschedulable(node, true)?;
        self.out.push(format!("node/{node} cordoned"));
        Ok(())
    }

    fn uncordon(&mut self, node: &str) -> Result<(), OcError> {
        self.set_unschedulable(node, false)?;
        self.out.push(format!("node/{node} uncordoned"));
        Ok(())
    }

    fn set_unschedulable(&mut self, node: &str, unschedulable: bool) -> Result<(), OcError> {
        if !self.engine.store().nodes.contains_key(node) {
            return Err(Kind::Node.kubectl().not_found(node));
        }
        self.engine.submit(Action::Cordon {
            node: node.to_string(),
            unschedulable,
        });
        Ok(())
    }

    /// Cordons the node and evicts its pods, which go through their grace period.
    fn drain(&mut self, node: &str) -> Result<(), OcError> {
        let store = self.engine.store();
        let n = store
            .nodes
            .get(node)
            .ok_or_else(|| Kind::Node.kubectl().not_found(node))?;
        let pods: Vec<(PodId, String, String)> = n
            .pods
            .iter()
            .filter_map(|p| store.pods.get(*p))
            .map(|p| (p.uid, p.namespace.clone(), p.name.clone()))
            .collect();
        self.cordon(node)?;
        for (id, pod_ns, name) in pods {
            self.engine.submit(Action::Pod(id, PodWrite::Delete { grace: None }));
            self.out.push(format!("evicting pod {pod_ns}/{name}"));
        }
        self.out.push(format!("node/{node} drained"));
        Ok(())
    }
}

/// `oc label` or `oc annotate`: `key=value` sets, `key-` removes, and an existing
/// different value needs `--overwrite`.
struct MetadataEdit<'a> {
    field: MetadataField,
    changes: &'a KvChanges,
    overwrite: bool,
}

impl<'a> MetadataEdit<'a> {
    fn new(field: MetadataField, changes: &'a KvChanges, overwrite: bool) -> MetadataEdit<'a> {
        MetadataEdit {
            field,
            changes,
            overwrite,
        }
    }

    /// The whole new map.
    fn apply(&self, map: &Labels) -> Result<Labels, OcError> {
        let what = match self.field {
            MetadataField::Labels => "label",
            MetadataField::Annotations => "annotation",
        };
        for (k, v) in self.changes {
            if let (Some(old), Some(new)) = (map.get(k), v) {
                if old != new && !self.overwrite {
                    return Err(OcError::Client(format!(
                        "--overwrite is false but found the following declared {what}(s): '{k}' already has a value ({old})"
                    )));
                }
            }
        }
        let mut map = map.clone();
        for (k, v) in self.changes {
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
}

/// A LocalQueue's ClusterQueue cannot change: the API server refuses the apply.
fn check_immutable(store: &Store, obj: &Object) -> Result<(), OcError> {
    let Object::LocalQueue(lq) = obj else {
        return Ok(());
    };
    let key = ObjectKey::new(lq.namespace.as_str(), lq.name.as_str());
    match store.local_queues.get(&key) {
        Some(cur) if cur.cluster_queue != lq.cluster_queue => Err(OcError::Invalid {
            kind: "LocalQueue".into(),
            name: lq.name.clone(),
            message: format!(
                "spec.clusterQueue: Invalid value: \"{}\": field is immutable (currently {})",
                lq.cluster_queue, cur.cluster_queue
            ),
        }),
        _ => Ok(()),
    }
}

/// Whether `oc apply` finds the object there already (`configured`) or makes it
/// (`created`). Over every kind a manifest may hold, not only those `oc get` lists; a
/// Workload counts even when finished.
fn object_exists(store: &Store, obj: &Object) -> bool {
    match obj {
        Object::Node(n) => store.nodes.contains_key(&n.meta.name),
        Object::ResourceFlavor(f) => store.flavors.contains_key(&f.name),
        Object::ClusterQueue(c) => store.cluster_queues.contains_key(&c.name),
        Object::Cohort(c) => store.cohorts.contains_key(&c.name),
        Object::Topology(t) => store.topologies.contains_key(&t.name),
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
        Object::Framework { namespace, framework } => store
            .frameworks
            .values()
            .any(|f| f.kind == framework.kind && f.namespace == *namespace && f.name == framework.meta.name),
        Object::TrainingRuntime { namespace, runtime } => {
            if namespace.is_empty() {
                store.training_runtimes.cluster.contains_key(&runtime.meta.name)
            } else {
                store
                    .training_runtimes
                    .namespaced
                    .contains_key(&(namespace.clone(), runtime.meta.name.clone()))
            }
        }
        Object::LeaderWorkerSet { namespace, lws } => {
            store.leader_worker_sets.named(namespace, &lws.meta.name).is_some()
        }
        Object::Workload { namespace, workload } => store
            .workloads
            .values()
            .any(|w| w.namespace == *namespace && w.name == workload.meta.name),
        Object::HorizontalPodAutoscaler { namespace, hpa, .. } => store
            .hpas
            .contains_key(&ObjectKey::new(namespace.as_str(), hpa.0.name.as_str())),
        Object::ScaledObject {
            namespace,
            scaled_object,
            ..
        } => store
            .scaled_objects
            .contains_key(&ObjectKey::new(namespace.as_str(), scaled_object.0.name.as_str())),
        Object::Skipped { .. } | Object::Scenario(_) => false,
    }
}

/// Applies a decoded manifest object, keeping its document for later patches.
pub(crate) fn apply_raw(engine: &mut Engine, raw: &RawObject, obj: Object) {
    let ns = obj.namespace().to_string();
    let doc = manifest_doc(raw, &obj);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The map after the edit, as `k=v,k=v`, or kubectl's error.
    fn edit(changes: &[(&str, Option<&str>)], overwrite: bool) -> String {
        let current: Labels = [("team".to_string(), "a".to_string()), ("gone".into(), "x".into())].into();
        let changes: KvChanges = changes
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect();
        match MetadataEdit::new(MetadataField::Labels, &changes, overwrite).apply(&current) {
            Ok(map) => map
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(","),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_metadata_edit_sets_removes_and_needs_overwrite_to_change() {
        let refused =
            "error: --overwrite is false but found the following declared label(s): 'team' already has a value (a)";
        assert_eq!(edit(&[("new", Some("1"))], false), "gone=x,new=1,team=a");
        assert_eq!(edit(&[("gone", None)], false), "team=a");
        assert_eq!(edit(&[("absent", None)], false), "gone=x,team=a");
        assert_eq!(edit(&[("team", Some("a"))], false), "gone=x,team=a");
        assert_eq!(edit(&[("team", Some("b"))], false), refused);
        assert_eq!(edit(&[("new", Some("1")), ("team", Some("b"))], false), refused);
        assert_eq!(edit(&[("team", Some("b"))], true), "gone=x,team=b");
        assert_eq!(edit(&[("team", None)], false), "gone=x");
    }
}
