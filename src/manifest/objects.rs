//! Decoding a raw document into one of the kinds the simulation knows.

use super::error::{InputError, Loc};
use super::load::RawObject;
use super::yaml::Node;
use crate::api::apps::DeploymentObject;
use crate::api::core::{NodeObject, PodSpec, PriorityClass};
use crate::api::kserve::{InferenceService, ServingRuntime};
use crate::api::kueue::{ClusterQueue, LocalQueue, ResourceFlavor, WorkloadPriorityClass};
use crate::api::llmisvc::Derived;
use crate::api::meta::{Labels, ObjectMeta};

pub(crate) const DEFAULT_NAMESPACE: &str = "default";

#[derive(Debug, Clone)]
pub struct PodObject {
    pub meta: ObjectMeta,
    pub spec: PodSpec,
}

#[derive(Debug, Clone)]
pub enum Object {
    Namespace {
        name: String,
        labels: Labels,
    },
    Node(NodeObject),
    ResourceFlavor(ResourceFlavor),
    ClusterQueue(ClusterQueue),
    LocalQueue(LocalQueue),
    WorkloadPriorityClass(WorkloadPriorityClass),
    PriorityClass(PriorityClass),
    ServingRuntime {
        namespace: String,
        runtime: ServingRuntime,
    },
    InferenceService {
        namespace: String,
        isvc: InferenceService,
        raw: serde_json::Value,
        loc: Loc,
    },
    Deployment {
        namespace: String,
        deployment: DeploymentObject,
        loc: Loc,
    },
    Pod {
        namespace: String,
        pod: PodObject,
        loc: Loc,
    },
    Job {
        namespace: String,
        job: crate::api::batch::JobObject,
        loc: Loc,
    },
    LeaderWorkerSet {
        namespace: String,
        lws: crate::api::lws::LeaderWorkerSetObject,
    },
    Workload {
        namespace: String,
        workload: Box<crate::api::workload::WorkloadObject>,
    },
    /// A kind that does not affect the simulation (Route, Secret…) or is not simulated yet.
    Skipped {
        kind: String,
        name: String,
        loc: Loc,
        note: &'static str,
    },
    Scenario(Node),
}

impl Object {
    /// The namespace of a namespaced object; empty for cluster-scoped ones.
    pub fn namespace(&self) -> &str {
        match self {
            Object::LocalQueue(l) => &l.namespace,
            Object::InferenceService { namespace, .. }
            | Object::Deployment { namespace, .. }
            | Object::ServingRuntime { namespace, .. }
            | Object::Pod { namespace, .. }
            | Object::Job { namespace, .. }
            | Object::LeaderWorkerSet { namespace, .. }
            | Object::Workload { namespace, .. } => namespace,
            _ => "",
        }
    }
}

/// Kinds we know but do not simulate yet; they are listed, never fatal.
const NOT_YET: &[&str] = &[
    "HardwareProfile",
    "AcceleratorProfile",
    "Cohort",
    "StatefulSet",
    "ClusterServingRuntime",
];

fn expect_group(raw: &RawObject, groups: &[&str]) -> Result<(), InputError> {
    let group = raw.api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    if groups.contains(&group) {
        Ok(())
    } else {
        let want: Vec<String> = groups
            .iter()
            .map(|g| {
                if g.is_empty() {
                    "v1".to_string()
                } else {
                    format!("{g}/…")
                }
            })
            .collect();
        Err(InputError::at(
            raw.doc
                .get("apiVersion")
                .map(|n| n.loc.clone())
                .unwrap_or(raw.doc.loc.clone()),
            format!("apiVersion `{}` does not serve kind {}", raw.api_version, raw.kind),
        )
        .hint(format!("expected apiVersion {}", want.join(" or "))))
    }
}

fn namespace_of(raw: &RawObject, meta: &ObjectMeta) -> String {
    raw.namespace_override
        .clone()
        .or_else(|| meta.namespace.clone())
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_string())
}

pub(crate) fn decode(raw: &RawObject) -> Result<Object, InputError> {
    let doc = &raw.doc;
    if raw.kind == "Scenario" && raw.api_version.starts_with("gpuaas-sim/") {
        return Ok(Object::Scenario(doc.clone()));
    }
    let Some((_, group, decode_kind)) = KINDS.iter().find(|(kind, ..)| *kind == raw.kind) else {
        let note = if NOT_YET.contains(&raw.kind.as_str()) {
            "not simulated in this version"
        } else {
            "does not affect scheduling"
        };
        return Ok(Object::Skipped {
            kind: raw.kind.clone(),
            name: raw.name(),
            loc: doc.loc.clone(),
            note,
        });
    };
    expect_group(raw, &[group])?;
    decode_kind(raw)
}

/// Decodes a document of one kind, its API group already checked.
type DecodeKind = fn(&RawObject) -> Result<Object, InputError>;

/// The kinds the simulation knows: each one's API group (empty for the core group), and
/// how it is decoded.
const KINDS: &[(&str, &str, DecodeKind)] = &[
    ("Namespace", "", |raw| {
        let meta = ObjectMeta::decode(&raw.doc)?;
        Ok(Object::Namespace {
            name: meta.name,
            labels: meta.labels,
        })
    }),
    ("Node", "", |raw| Ok(Object::Node(NodeObject::decode(&raw.doc)?))),
    ("ResourceFlavor", "kueue.x-k8s.io", |raw| {
        Ok(Object::ResourceFlavor(ResourceFlavor::decode(&raw.doc)?))
    }),
    ("ClusterQueue", "kueue.x-k8s.io", |raw| {
        Ok(Object::ClusterQueue(ClusterQueue::decode(&raw.doc)?))
    }),
    ("LocalQueue", "kueue.x-k8s.io", |raw| {
        let meta = ObjectMeta::decode(&raw.doc)?;
        Ok(Object::LocalQueue(LocalQueue::decode(
            &raw.doc,
            namespace_of(raw, &meta),
        )?))
    }),
    ("WorkloadPriorityClass", "kueue.x-k8s.io", |raw| {
        Ok(Object::WorkloadPriorityClass(WorkloadPriorityClass::decode(&raw.doc)?))
    }),
    ("PriorityClass", "scheduling.k8s.io", |raw| {
        Ok(Object::PriorityClass(PriorityClass::decode(&raw.doc)?))
    }),
    ("ServingRuntime", "serving.kserve.io", |raw| {
        let runtime = ServingRuntime::decode(&raw.doc)?;
        Ok(Object::ServingRuntime {
            namespace: namespace_of(raw, &runtime.meta),
            runtime,
        })
    }),
    ("InferenceService", "serving.kserve.io", |raw| {
        let isvc = InferenceService::decode(&raw.doc)?;
        Ok(Object::InferenceService {
            namespace: namespace_of(raw, &isvc.meta),
            raw: raw.doc.to_json(),
            isvc,
            loc: raw.doc.loc.clone(),
        })
    }),
    ("Deployment", "apps", |raw| {
        let deployment = DeploymentObject::decode(&raw.doc)?;
        Ok(Object::Deployment {
            namespace: namespace_of(raw, &deployment.meta),
            deployment,
            loc: raw.doc.loc.clone(),
        })
    }),
    ("Pod", "", decode_pod),
    ("Workload", "kueue.x-k8s.io", |raw| {
        let workload = crate::api::workload::WorkloadObject::decode(&raw.doc)?;
        Ok(Object::Workload {
            namespace: namespace_of(raw, &workload.meta),
            workload: Box::new(workload),
        })
    }),
    ("LLMInferenceService", "serving.kserve.io", decode_llm_inference_service),
    ("LeaderWorkerSet", "leaderworkerset.x-k8s.io", |raw| {
        let lws = crate::api::lws::LeaderWorkerSetObject::decode(&raw.doc)?;
        Ok(Object::LeaderWorkerSet {
            namespace: namespace_of(raw, &lws.meta),
            lws,
        })
    }),
    ("Job", "batch", |raw| {
        let job = crate::api::batch::JobObject::decode(&raw.doc)?;
        Ok(Object::Job {
            namespace: namespace_of(raw, &job.meta),
            job,
            loc: raw.doc.loc.clone(),
        })
    }),
];

fn decode_pod(raw: &RawObject) -> Result<Object, InputError> {
    let doc = &raw.doc;
    let meta = ObjectMeta::decode(doc)?;
    let spec = doc
        .get("spec")
        .ok_or_else(|| InputError::at(doc.loc.clone(), "Pod has no spec").hint("add spec.containers"))?;
    Ok(Object::Pod {
        namespace: namespace_of(raw, &meta),
        pod: PodObject {
            meta,
            spec: PodSpec::decode(spec)?,
        },
        loc: doc.loc.clone(),
    })
}

/// An LLMInferenceService becomes the workload KServe makes of it: a LeaderWorkerSet
/// across nodes, a Deployment on one, or nothing when its shape is not simulated.
fn decode_llm_inference_service(raw: &RawObject) -> Result<Object, InputError> {
    let doc = &raw.doc;
    let svc = crate::api::llmisvc::LlmInferenceServiceObject::decode(doc)?;
    let namespace = namespace_of(raw, &svc.meta);
    Ok(match svc.derive() {
        Derived::MultiNode(lws) => Object::LeaderWorkerSet { namespace, lws },
        Derived::SingleNode(deployment) => Object::Deployment {
            namespace,
            deployment,
            loc: doc.loc.clone(),
        },
        Derived::Unsupported(note) => Object::Skipped {
            kind: "LLMInferenceService".into(),
            name: raw.name(),
            loc: doc.loc.clone(),
            note,
        },
    })
}
