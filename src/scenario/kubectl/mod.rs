//! The kinds `oc` knows in a timeline and what it does with each. Every kind is one
//! [`Resource`] impl in a module of its own (its names, how its objects are found, its
//! `get` columns, its `describe`, and which writes the simulation carries out on it); the
//! parser and the verbs reach it from the runtime [`Kind`] through [`Kind::kubectl`], the
//! one place that maps a `Kind` to its impl.

mod clusterqueues;
pub(crate) mod deployments;
mod get;
mod inferenceservices;
mod jobs;
mod localqueues;
mod nodes;
mod pods;
mod replicasets;
mod resourceflavors;
mod select;
mod servingruntimes;
mod workloads;

pub(crate) use get::Columns;
pub(crate) use get::Query;

use super::command::Selection;
use super::oc_error::OcError;
use crate::api::meta::Labels;
use crate::engine::action::{Action, MetadataField, MetadataTarget};
use crate::engine::Engine;
use crate::store::Store;
use crate::units::SimDuration;

/// A kind a timeline command names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pod,
    Deployment,
    ReplicaSet,
    InferenceService,
    Workload,
    ClusterQueue,
    LocalQueue,
    Node,
    ServingRuntime,
    ResourceFlavor,
    Job,
}

impl Kind {
    pub(crate) const ALL: [Kind; 11] = [
        Kind::Pod,
        Kind::Deployment,
        Kind::ReplicaSet,
        Kind::InferenceService,
        Kind::Workload,
        Kind::ClusterQueue,
        Kind::LocalQueue,
        Kind::Node,
        Kind::ServingRuntime,
        Kind::ResourceFlavor,
        Kind::Job,
    ];

    /// What `oc` does with the kind's objects.
    pub(crate) fn kubectl(self) -> &'static dyn Kubectl {
        match self {
            Kind::Pod => &pods::Pods,
            Kind::Deployment => &deployments::Deployments,
            Kind::ReplicaSet => &replicasets::ReplicaSets,
            Kind::InferenceService => &inferenceservices::InferenceServices,
            Kind::Workload => &workloads::Workloads,
            Kind::ClusterQueue => &clusterqueues::ClusterQueues,
            Kind::LocalQueue => &localqueues::LocalQueues,
            Kind::Node => &nodes::Nodes,
            Kind::ServingRuntime => &servingruntimes::ServingRuntimes,
            Kind::ResourceFlavor => &resourceflavors::ResourceFlavors,
            Kind::Job => &jobs::Jobs,
        }
    }

    /// The kind a command line names, in any case and with or without its API group
    /// (`deployments.apps`).
    pub fn parse(s: &str) -> Option<Kind> {
        let base = s.split('.').next().unwrap_or(s).to_lowercase();
        Kind::ALL
            .into_iter()
            .find(|k| k.kubectl().names().contains(&base.as_str()))
    }

    /// The resource name kubectl prints in messages (`deployment.apps/x scaled`).
    pub fn resource(self) -> &'static str {
        self.kubectl().resource()
    }
}

/// The labels of objects that have none in the simulation.
static NO_LABELS: Labels = Labels::new();

/// A kind as `oc` sees it. Its objects are what the store lends (`Object`); the optional
/// verbs are functions on one object, absent where the simulation does not carry the
/// verb out, so that what a kind supports and how it does it are said in one place.
pub(crate) trait Resource: Sync + 'static {
    /// One object as the store lends it: a reference, or a key and a reference where the
    /// key holds what the object does not (a ServingRuntime's namespace).
    type Object<'s>: Copy;
    /// The names `oc` accepts: singular, plural and short names.
    const NAMES: &'static [&'static str];
    /// The resource in kubectl's messages, API group included (`deployment.apps`).
    const RESOURCE: &'static str;
    const CLUSTER_SCOPED: bool = false;
    /// `oc get`'s columns.
    const HEADER: &'static [&'static str];
    /// `oc get -o wide`'s columns.
    const HEADER_WIDE: &'static [&'static str] = Self::HEADER;
    /// `oc describe` of one object; the parser refuses `describe` of a kind without it.
    const DESCRIBE: Option<Describe<Self>> = None;
    /// `oc scale`: the write that sets the replicas; none where the kind has no scale
    /// subresource.
    const SCALE: Option<Scale<Self>> = None;
    /// `oc label` and `oc annotate`: the object to write and its current maps.
    const METADATA: Option<MetadataOf<Self>> = None;
    /// `oc delete` with a grace period (none: the object's own).
    const DELETE: Option<Delete<Self>> = None;
    /// `oc patch`: the document a patch applies to.
    const PATCH: Option<Patch<Self>> = None;

    /// Every object of the kind, in the store's order.
    fn objects(store: &Store) -> impl Iterator<Item = Self::Object<'_>>;
    /// The object `name` in `ns` (the namespace is ignored for a cluster-scoped kind).
    fn named<'s>(store: &'s Store, ns: &str, name: &str) -> Option<Self::Object<'s>>;
    /// Its namespace; empty for a cluster-scoped kind.
    fn namespace(o: Self::Object<'_>) -> &str;
    fn name(o: Self::Object<'_>) -> &str;
    /// The labels selectors match.
    fn labels(_: Self::Object<'_>) -> &Labels {
        &NO_LABELS
    }
    /// Its `oc get` row, one cell per column of the header `columns` picks.
    fn row(store: &Store, o: Self::Object<'_>, columns: Columns) -> Vec<String>;
    /// Whether `oc get` lists the object: it has one of the names asked for (if any),
    /// matches the selector and is in the namespace asked for.
    fn listed(o: Self::Object<'_>, q: &Query) -> bool {
        q.names_match(Self::name(o))
            && q.selects(Self::labels(o))
            && q.in_namespace(Self::namespace(o), Self::CLUSTER_SCOPED)
    }
    /// Whether a write with `-n ns` can pick the object.
    fn selectable(o: Self::Object<'_>, ns: &str) -> bool {
        Self::CLUSTER_SCOPED || Self::namespace(o) == ns
    }
}

/// How a kind describes one object.
pub(crate) type Describe<R> = fn(&Engine, <R as Resource>::Object<'_>) -> String;
/// The write that scales one object.
pub(crate) type Scale<R> = fn(<R as Resource>::Object<'_>, i32) -> Action;
/// The object `oc label` and `oc annotate` write, with its maps.
pub(crate) type MetadataOf<R> = fn(<R as Resource>::Object<'_>) -> Metadata;
/// The write that deletes one object with a grace period.
pub(crate) type Delete<R> = fn(<R as Resource>::Object<'_>, Option<SimDuration>) -> Action;
/// The document a patch of one object applies to.
pub(crate) type Patch<R> = fn(&Store, <R as Resource>::Object<'_>) -> Result<PatchBase, OcError>;

/// The object `oc label` or `oc annotate` writes, with its maps as they are.
pub(crate) struct Metadata {
    pub target: MetadataTarget,
    pub labels: Labels,
    pub annotations: Labels,
}

/// The document `oc patch` applies a patch to, and the manifest kind it decodes as.
pub(crate) struct PatchBase {
    pub kind: &'static str,
    pub doc: serde_json::Value,
}

/// `Error from server (NotFound)` for `name` of the resource (`deployments.apps "x"`).
fn not_found(resource: &str, name: &str) -> OcError {
    let plural = match resource.split_once('.') {
        Some((base, group)) => format!("{base}s.{group}"),
        None => format!("{resource}s"),
    };
    OcError::NotFound {
        plural,
        name: name.to_string(),
    }
}

/// A kind's [`Resource`] for a kind known only when the command runs.
pub(crate) trait Kubectl: Sync {
    fn names(&self) -> &'static [&'static str];
    fn resource(&self) -> &'static str;
    /// Whether `oc describe` describes the kind.
    fn describes(&self) -> bool;
    /// Whether the kind has a scale subresource.
    fn scales(&self) -> bool;
    fn not_found(&self, name: &str) -> OcError;
    /// `oc get`'s table, or its message when nothing matches.
    fn get(&self, store: &Store, q: &Query) -> Result<String, OcError>;
    /// Names of the objects in `ns` a write's selection picks.
    fn select(&self, store: &Store, ns: &str, selection: &Selection) -> Result<Vec<String>, OcError>;
    fn describe(&self, engine: &Engine, ns: &str, name: &str) -> Result<String, OcError>;
    fn scale(&self, store: &Store, ns: &str, name: &str, replicas: i32) -> Result<Action, OcError>;
    fn metadata(&self, store: &Store, ns: &str, name: &str, field: MetadataField) -> Result<Metadata, OcError>;
    fn delete(&self, store: &Store, ns: &str, name: &str, grace: Option<SimDuration>) -> Result<Action, OcError>;
    fn patch_base(&self, store: &Store, ns: &str, name: &str) -> Result<PatchBase, OcError>;
}

/// Looks the object up once the kind is known to support the verb, as kubectl refuses an
/// unsupported verb before it looks for the object.
fn find<'s, R: Resource>(store: &'s Store, ns: &str, name: &str) -> Result<R::Object<'s>, OcError> {
    R::named(store, ns, name).ok_or_else(|| not_found(R::RESOURCE, name))
}

impl<R: Resource> Kubectl for R {
    fn names(&self) -> &'static [&'static str] {
        R::NAMES
    }
    fn resource(&self) -> &'static str {
        R::RESOURCE
    }
    fn describes(&self) -> bool {
        R::DESCRIBE.is_some()
    }
    fn scales(&self) -> bool {
        R::SCALE.is_some()
    }
    fn not_found(&self, name: &str) -> OcError {
        not_found(R::RESOURCE, name)
    }
    fn get(&self, store: &Store, q: &Query) -> Result<String, OcError> {
        get::get::<R>(store, q)
    }
    fn select(&self, store: &Store, ns: &str, selection: &Selection) -> Result<Vec<String>, OcError> {
        select::select::<R>(store, ns, selection)
    }
    fn describe(&self, engine: &Engine, ns: &str, name: &str) -> Result<String, OcError> {
        let describe =
            R::DESCRIBE.ok_or_else(|| OcError::Client(format!("describe {} is not supported", R::RESOURCE)))?;
        Ok(describe(engine, find::<R>(engine.store(), ns, name)?))
    }
    fn scale(&self, store: &Store, ns: &str, name: &str, replicas: i32) -> Result<Action, OcError> {
        let scale = R::SCALE.ok_or(OcError::NoSuchResource)?;
        Ok(scale(find::<R>(store, ns, name)?, replicas))
    }
    fn metadata(&self, store: &Store, ns: &str, name: &str, field: MetadataField) -> Result<Metadata, OcError> {
        let metadata = R::METADATA.ok_or_else(|| {
            let verb = match field {
                MetadataField::Labels => "labeling",
                MetadataField::Annotations => "annotating",
            };
            OcError::NotSimulated(format!("{verb} {}", R::RESOURCE))
        })?;
        Ok(metadata(find::<R>(store, ns, name)?))
    }
    fn delete(&self, store: &Store, ns: &str, name: &str, grace: Option<SimDuration>) -> Result<Action, OcError> {
        let delete = R::DELETE.ok_or_else(|| OcError::NotSimulated(format!("deleting {}", R::RESOURCE)))?;
        Ok(delete(find::<R>(store, ns, name)?, grace))
    }
    fn patch_base(&self, store: &Store, ns: &str, name: &str) -> Result<PatchBase, OcError> {
        let patch = R::PATCH.ok_or_else(|| OcError::NotSimulated(format!("patching {}", R::RESOURCE)))?;
        patch(store, find::<R>(store, ns, name)?)
    }
}

/// The document a user applied, kept by the store for `oc patch` of kinds the simulation
/// keeps no document of its own for.
fn stored_manifest(store: &Store, kind: &'static str, ns: &str, name: &str) -> Result<PatchBase, OcError> {
    let doc = store
        .manifests
        .get(&(kind.to_string(), ns.to_string(), name.to_string()))
        .cloned()
        .ok_or_else(|| OcError::Client(format!("{name} has no stored manifest to patch")))?;
    Ok(PatchBase { kind, doc })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_of_every_kind_parses_to_it() {
        for kind in Kind::ALL {
            for name in kind.kubectl().names() {
                assert_eq!(Kind::parse(name), Some(kind), "{name}");
                assert_eq!(Kind::parse(&name.to_uppercase()), Some(kind), "{name}");
                let group = kind.resource().split_once('.').map_or("", |(_, g)| g);
                assert_eq!(Kind::parse(&format!("{name}.{group}")), Some(kind), "{name}.{group}");
            }
        }
        assert_eq!(Kind::parse("frobs"), None);
        assert_eq!(Kind::parse(""), None);
    }

    #[test]
    fn the_short_names_are_kubectls() {
        let cases = [
            ("po", Kind::Pod),
            ("deploy", Kind::Deployment),
            ("rs", Kind::ReplicaSet),
            ("isvc", Kind::InferenceService),
            ("wl", Kind::Workload),
            ("cq", Kind::ClusterQueue),
            ("lq", Kind::LocalQueue),
            ("queues", Kind::LocalQueue),
            ("no", Kind::Node),
            ("rf", Kind::ResourceFlavor),
            ("jobs", Kind::Job),
        ];
        for (name, kind) in cases {
            assert_eq!(Kind::parse(name), Some(kind), "{name}");
        }
    }

    #[test]
    fn not_found_reads_as_ocs() {
        let cases = [
            (Kind::Pod, "pods \"x\""),
            (Kind::Deployment, "deployments.apps \"x\""),
            (Kind::ReplicaSet, "replicasets.apps \"x\""),
            (Kind::InferenceService, "inferenceservices.serving.kserve.io \"x\""),
            (Kind::Workload, "workloads.kueue.x-k8s.io \"x\""),
            (Kind::ClusterQueue, "clusterqueues.kueue.x-k8s.io \"x\""),
            (Kind::LocalQueue, "localqueues.kueue.x-k8s.io \"x\""),
            (Kind::Node, "nodes \"x\""),
            (Kind::ServingRuntime, "servingruntimes.serving.kserve.io \"x\""),
            (Kind::ResourceFlavor, "resourceflavors.kueue.x-k8s.io \"x\""),
            (Kind::Job, "jobs.batch \"x\""),
        ];
        assert_eq!(cases.len(), Kind::ALL.len());
        for (kind, what) in cases {
            assert_eq!(
                kind.kubectl().not_found("x").to_string(),
                format!("Error from server (NotFound): {what} not found")
            );
        }
    }

    #[test]
    fn what_each_kind_supports() {
        // (kind, describe, scale, label, delete, patch), as the simulation carries them out.
        let cases = [
            (Kind::Pod, true, false, true, true, false),
            (Kind::Deployment, false, true, true, true, true),
            (Kind::ReplicaSet, false, true, true, true, false),
            (Kind::InferenceService, false, false, true, true, true),
            (Kind::Workload, true, false, false, false, false),
            (Kind::ClusterQueue, true, false, false, false, true),
            (Kind::LocalQueue, true, false, false, false, true),
            (Kind::Node, true, false, true, false, false),
            (Kind::ServingRuntime, false, false, false, false, false),
            (Kind::ResourceFlavor, false, false, false, false, true),
            (Kind::Job, false, false, false, false, false),
        ];
        let store = Store::new(crate::catalog::Catalog::bundled());
        for (kind, describe, scale, label, delete, patch) in cases {
            let k = kind.kubectl();
            assert_eq!(k.describes(), describe, "{kind:?}");
            assert_eq!(k.scales(), scale, "{kind:?}");
            // A supported write looks the object up and finds none; an unsupported one is
            // refused before.
            let refused = |r: Result<(), OcError>| !matches!(r, Err(OcError::NotFound { .. }));
            let m = k.metadata(&store, "ns", "x", MetadataField::Labels).map(|_| ());
            assert_eq!(refused(m), !label, "{kind:?}");
            assert_eq!(
                refused(k.delete(&store, "ns", "x", None).map(|_| ())),
                !delete,
                "{kind:?}"
            );
            assert_eq!(refused(k.patch_base(&store, "ns", "x").map(|_| ())), !patch, "{kind:?}");
        }
    }
}
