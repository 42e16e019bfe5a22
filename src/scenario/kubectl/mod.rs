//! The kinds `oc` knows in a timeline and what it does with each. Every kind is one
//! [`Resource`] impl in a module of its own (its names, how its objects are found, its
//! `get` columns, its `describe`, and which writes the simulation carries out on it); the
//! parser and the verbs reach it from the runtime [`Kind`] through [`Kind::kubectl`], the
//! one place that maps a `Kind` to its impl.

mod clusterqueues;
mod cohorts;
pub(crate) mod deployments;
pub(crate) mod events;
mod frameworks;
mod get;
mod hpas;
mod inferenceservices;
mod jobs;
pub(crate) mod jsonpath;
mod localqueues;
mod meta;
mod nodes;
mod pods;
mod replicasets;
mod resourceflavors;
mod scaledobjects;
mod select;
mod servingruntimes;
#[cfg(test)]
mod tests;
mod workloads;

pub(crate) use get::{get, Columns, Output, Query};

use super::command::Selection;
use super::oc_error::OcError;
use crate::api::meta::Labels;
use crate::engine::action::{Action, MetadataField, MetadataTarget};
use crate::engine::Engine;
use crate::store::Store;
use crate::units::SimDuration;
use std::borrow::Cow;

/// A kind a timeline command names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pod,
    Deployment,
    ReplicaSet,
    InferenceService,
    Workload,
    ClusterQueue,
    Cohort,
    LocalQueue,
    Node,
    ServingRuntime,
    ResourceFlavor,
    Job,
    HorizontalPodAutoscaler,
    ScaledObject,
    JobSet,
    PyTorchJob,
    TrainJob,
    RayJob,
    RayCluster,
    Event,
}

impl Kind {
    pub(crate) const ALL: [Kind; 20] = [
        Kind::Pod,
        Kind::Deployment,
        Kind::ReplicaSet,
        Kind::InferenceService,
        Kind::Workload,
        Kind::ClusterQueue,
        Kind::Cohort,
        Kind::LocalQueue,
        Kind::Node,
        Kind::ServingRuntime,
        Kind::ResourceFlavor,
        Kind::Job,
        Kind::HorizontalPodAutoscaler,
        Kind::ScaledObject,
        Kind::JobSet,
        Kind::PyTorchJob,
        Kind::TrainJob,
        Kind::RayJob,
        Kind::RayCluster,
        Kind::Event,
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
            Kind::Cohort => &cohorts::Cohorts,
            Kind::LocalQueue => &localqueues::LocalQueues,
            Kind::Node => &nodes::Nodes,
            Kind::ServingRuntime => &servingruntimes::ServingRuntimes,
            Kind::ResourceFlavor => &resourceflavors::ResourceFlavors,
            Kind::Job => &jobs::Jobs,
            Kind::HorizontalPodAutoscaler => &hpas::HorizontalPodAutoscalers,
            Kind::ScaledObject => &scaledobjects::ScaledObjects,
            Kind::JobSet => &frameworks::JobSets,
            Kind::PyTorchJob => &frameworks::PyTorchJobs,
            Kind::TrainJob => &frameworks::TrainJobs,
            Kind::RayJob => &frameworks::RayJobs,
            Kind::RayCluster => &frameworks::RayClusters,
            Kind::Event => &events::Events,
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
    /// `oc get -o yaml|json|name|jsonpath`: the object as the API server would return it.
    const MANIFEST: ManifestOf<Self>;

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
    /// The labels selectors match, for a kind whose objects do not hold them themselves
    /// (a ScaledObject's are in the manifest it was applied from).
    fn label_set(o: Self::Object<'_>) -> Cow<'_, Labels> {
        Cow::Borrowed(Self::labels(o))
    }
    /// Its `oc get` row, one cell per column of the header `columns` picks.
    fn row(store: &Store, o: Self::Object<'_>, columns: Columns) -> Vec<String>;
    /// Whether `oc get` lists the object: it has one of the names asked for (if any),
    /// matches the selector and is in the namespace asked for.
    fn listed(o: Self::Object<'_>, q: &Query) -> bool {
        q.names_match(Self::name(o))
            && q.selects(&Self::label_set(o))
            && q.in_namespace(Self::namespace(o), Self::CLUSTER_SCOPED)
    }
    /// Whether a write with `-n ns` can pick the object.
    fn selectable(o: Self::Object<'_>, ns: &str) -> bool {
        Self::CLUSTER_SCOPED || Self::namespace(o) == ns
    }
}

/// The object as `oc get -o yaml` prints it (its keys in any order: they are sorted).
pub(crate) type ManifestOf<R> = fn(&Store, <R as Resource>::Object<'_>) -> serde_json::Value;
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

/// One object's line of `oc get`: its namespace (empty for a cluster-scoped kind), its
/// name and its cells, one per column of the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    pub namespace: String,
    pub name: String,
    pub cells: Vec<String>,
}

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

/// `Error from server (NotFound)` for `name` of the resource, which kubectl names by its
/// plural, group included (`deployments.apps "x"`).
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

/// [`Resource`] for a kind known only when the command runs: what the parser and the
/// verbs call. Every `Resource` is one, through the impl below.
pub(crate) trait Kubectl: Sync {
    fn names(&self) -> &'static [&'static str];
    fn resource(&self) -> &'static str;
    /// Whether `oc describe` describes the kind.
    fn describes(&self) -> bool;
    /// Whether the kind has a scale subresource.
    fn scales(&self) -> bool;
    fn cluster_scoped(&self) -> bool;
    fn not_found(&self, name: &str) -> OcError;
    /// What `oc get` of this kind alone prints.
    #[cfg(test)]
    fn get(&self, store: &Store, q: &Query) -> Result<String, OcError>;
    /// The objects `oc get` lists, as rows or documents.
    fn listing(&self, store: &Store, q: &Query) -> get::Listing;
    /// What `get` would print as data: its header (NAMESPACE aside) and one row per
    /// object listed, in its order — for views that lay the table out themselves.
    fn rows(&self, store: &Store, q: &Query) -> (&'static [&'static str], Vec<Row>);
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
    fn cluster_scoped(&self) -> bool {
        R::CLUSTER_SCOPED
    }
    fn not_found(&self, name: &str) -> OcError {
        not_found(R::RESOURCE, name)
    }
    #[cfg(test)]
    fn get(&self, store: &Store, q: &Query) -> Result<String, OcError> {
        let kind = Kind::ALL.into_iter().filter(|k| k.resource() == R::RESOURCE);
        get::get(store, &kind.collect::<Vec<_>>(), q)
    }
    fn listing(&self, store: &Store, q: &Query) -> get::Listing {
        get::listing::<R>(store, q)
    }
    fn rows(&self, store: &Store, q: &Query) -> (&'static [&'static str], Vec<Row>) {
        get::listing::<R>(store, q).into_rows()
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
pub(super) fn stored_manifest(store: &Store, kind: &'static str, ns: &str, name: &str) -> Result<PatchBase, OcError> {
    let doc = store
        .manifests
        .get(&(kind.to_string(), ns.to_string(), name.to_string()))
        .map(crate::store::Manifest::doc)
        .ok_or_else(|| OcError::Client(format!("{name} has no stored manifest to patch")))?;
    Ok(PatchBase { kind, doc })
}
