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
    let obj = match raw.kind.as_str() {
        "Scenario" if raw.api_version.starts_with("gpuaas-sim/") => Object::Scenario(doc.clone()),
        "Namespace" => {
            expect_group(raw, &[""])?;
            let meta = ObjectMeta::decode(doc)?;
            Object::Namespace {
                name: meta.name,
                labels: meta.labels,
            }
        }
        "Node" => {
            expect_group(raw, &[""])?;
            Object::Node(NodeObject::decode(doc)?)
        }
        "ResourceFlavor" => {
            expect_group(raw, &["kueue.x-k8s.io"])?;
            Object::ResourceFlavor(ResourceFlavor::decode(doc)?)
        }
        "ClusterQueue" => {
            expect_group(raw, &["kueue.x-k8s.io"])?;
            Object::ClusterQueue(ClusterQueue::decode(doc)?)
        }
        "LocalQueue" => {
            expect_group(raw, &["kueue.x-k8s.io"])?;
            let meta = ObjectMeta::decode(doc)?;
            Object::LocalQueue(LocalQueue::decode(doc, namespace_of(raw, &meta))?)
        }
        "WorkloadPriorityClass" => {
            expect_group(raw, &["kueue.x-k8s.io"])?;
            Object::WorkloadPriorityClass(WorkloadPriorityClass::decode(doc)?)
        }
        "PriorityClass" => {
            expect_group(raw, &["scheduling.k8s.io"])?;
            Object::PriorityClass(PriorityClass::decode(doc)?)
        }
        "ServingRuntime" => {
            expect_group(raw, &["serving.kserve.io"])?;
            let runtime = ServingRuntime::decode(doc)?;
            Object::ServingRuntime {
                namespace: namespace_of(raw, &runtime.meta),
                runtime,
            }
        }
        "InferenceService" => {
            expect_group(raw, &["serving.kserve.io"])?;
            let isvc = InferenceService::decode(doc)?;
            Object::InferenceService {
                namespace: namespace_of(raw, &isvc.meta),
                raw: doc.to_json(),
                isvc,
                loc: doc.loc.clone(),
            }
        }
        "Deployment" => {
            expect_group(raw, &["apps"])?;
            let deployment = DeploymentObject::decode(doc)?;
            Object::Deployment {
                namespace: namespace_of(raw, &deployment.meta),
                deployment,
                loc: doc.loc.clone(),
            }
        }
        "Pod" => {
            expect_group(raw, &[""])?;
            let meta = ObjectMeta::decode(doc)?;
            let spec = doc
                .get("spec")
                .ok_or_else(|| InputError::at(doc.loc.clone(), "Pod has no spec").hint("add spec.containers"))?;
            Object::Pod {
                namespace: namespace_of(raw, &meta),
                pod: PodObject {
                    meta,
                    spec: PodSpec::decode(spec)?,
                },
                loc: doc.loc.clone(),
            }
        }
        "Workload" => {
            expect_group(raw, &["kueue.x-k8s.io"])?;
            let workload = crate::api::workload::WorkloadObject::decode(doc)?;
            Object::Workload {
                namespace: namespace_of(raw, &workload.meta),
                workload: Box::new(workload),
            }
        }
        "LLMInferenceService" => {
            expect_group(raw, &["serving.kserve.io"])?;
            let svc = crate::api::llmisvc::LlmInferenceServiceObject::decode(doc)?;
            let namespace = namespace_of(raw, &svc.meta);
            match svc.derive() {
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
            }
        }
        "LeaderWorkerSet" => {
            expect_group(raw, &["leaderworkerset.x-k8s.io"])?;
            let lws = crate::api::lws::LeaderWorkerSetObject::decode(doc)?;
            Object::LeaderWorkerSet {
                namespace: namespace_of(raw, &lws.meta),
                lws,
            }
        }
        "Job" => {
            expect_group(raw, &["batch"])?;
            let job = crate::api::batch::JobObject::decode(doc)?;
            Object::Job {
                namespace: namespace_of(raw, &job.meta),
                job,
                loc: doc.loc.clone(),
            }
        }
        k if NOT_YET.contains(&k) => Object::Skipped {
            kind: k.to_string(),
            name: raw.name(),
            loc: doc.loc.clone(),
            note: "not simulated in this version",
        },
        k => Object::Skipped {
            kind: k.to_string(),
            name: raw.name(),
            loc: doc.loc.clone(),
            note: "does not affect scheduling",
        },
    };
    Ok(obj)
}
