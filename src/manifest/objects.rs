//! Decoding a raw document into one of the kinds the simulation knows.

use super::error::{InputError, Loc};
use super::load::RawObject;
use super::yaml::Node;
use crate::api::apps::DeploymentObject;
use crate::api::core::{NodeObject, PodSpec, PriorityClass};
use crate::api::kserve::{InferenceService, ServingRuntime};
use crate::api::kueue::{ClusterQueue, Cohort, LocalQueue, ResourceFlavor, WorkloadPriorityClass};
use crate::api::llmisvc::Derived;
use crate::api::meta::{Labels, ObjectMeta};

pub(crate) const DEFAULT_NAMESPACE: &str = "default";

#[derive(Debug, Clone)]
pub struct PodObject {
    pub meta: ObjectMeta,
    pub spec: PodSpec,
}

/// A decoded `HorizontalPodAutoscaler` (its model is the simulator's own).
#[derive(Debug, Clone)]
pub struct HpaManifest(pub(crate) Box<crate::autoscaling::hpa::manifest::HorizontalPodAutoscaler>);

/// A decoded KEDA `ScaledObject`.
#[derive(Debug, Clone)]
pub struct ScaledObjectManifest(pub(crate) Box<crate::autoscaling::keda::scaled_object::ScaledObject>);

#[derive(Debug, Clone)]
pub enum Object {
    Namespace {
        name: String,
        labels: Labels,
    },
    Node(NodeObject),
    ResourceFlavor(ResourceFlavor),
    ClusterQueue(ClusterQueue),
    Cohort(Cohort),
    Topology(crate::api::kueue::Topology),
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
    /// A JobSet, PyTorchJob, TrainJob, RayJob or RayCluster.
    Framework {
        namespace: String,
        framework: Box<crate::api::frameworks::FrameworkObject>,
    },
    /// A ClusterTrainingRuntime (namespace empty) or a TrainingRuntime.
    TrainingRuntime {
        namespace: String,
        runtime: Box<crate::api::frameworks::TrainingRuntime>,
    },
    Workload {
        namespace: String,
        workload: Box<crate::api::workload::WorkloadObject>,
    },
    /// An `autoscaling/v2` HorizontalPodAutoscaler.
    HorizontalPodAutoscaler {
        namespace: String,
        hpa: HpaManifest,
        loc: Loc,
    },
    /// A KEDA `ScaledObject` (the kind's own name).
    #[allow(clippy::enum_variant_names)]
    ScaledObject {
        namespace: String,
        scaled_object: ScaledObjectManifest,
        loc: Loc,
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
            | Object::Framework { namespace, .. }
            | Object::TrainingRuntime { namespace, .. }
            | Object::Workload { namespace, .. }
            | Object::HorizontalPodAutoscaler { namespace, .. }
            | Object::ScaledObject { namespace, .. } => namespace,
            _ => "",
        }
    }
}

/// Kinds we know but do not simulate yet; they are listed, never fatal.
const NOT_YET: &[&str] = &[
    "HardwareProfile",
    "AcceleratorProfile",
    "StatefulSet",
    "ClusterServingRuntime",
    "TFJob",
    "MPIJob",
    "XGBoostJob",
    "PaddleJob",
    "JAXJob",
    "Notebook",
    "RayService",
];

/// The API groups whose kinds the simulator knows, with every kind each serves (simulated
/// or not). A kind these groups do not serve is a typo, not an object to skip: the API
/// server would answer `no matches for kind`.
const GROUP_KINDS: &[(&str, &[&str])] = &[
    (
        "",
        &[
            "Namespace",
            "Node",
            "Pod",
            "Service",
            "ConfigMap",
            "Secret",
            "ServiceAccount",
            "PersistentVolumeClaim",
            "PersistentVolume",
            "Endpoints",
            "Event",
            "LimitRange",
            "ResourceQuota",
            "ReplicationController",
            "PodTemplate",
            "Binding",
            "List",
        ],
    ),
    (
        "apps",
        &[
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "ReplicaSet",
            "ControllerRevision",
        ],
    ),
    ("batch", &["Job", "CronJob"]),
    ("autoscaling", &["HorizontalPodAutoscaler"]),
    (
        "keda.sh",
        &[
            "ScaledObject",
            "ScaledJob",
            "TriggerAuthentication",
            "ClusterTriggerAuthentication",
        ],
    ),
    ("scheduling.k8s.io", &["PriorityClass"]),
    (
        "kueue.x-k8s.io",
        &[
            "ResourceFlavor",
            "ClusterQueue",
            "LocalQueue",
            "WorkloadPriorityClass",
            "Workload",
            "Cohort",
            "AdmissionCheck",
            "ProvisioningRequestConfig",
            "MultiKueueCluster",
            "MultiKueueConfig",
            "Topology",
        ],
    ),
    (
        "serving.kserve.io",
        &[
            "InferenceService",
            "ServingRuntime",
            "LLMInferenceService",
            "ClusterServingRuntime",
            "InferenceGraph",
            "TrainedModel",
            "ClusterStorageContainer",
            "LLMInferenceServiceConfig",
            "LocalModelCache",
            "LocalModelNode",
            "LocalModelNodeGroup",
        ],
    ),
    ("leaderworkerset.x-k8s.io", &["LeaderWorkerSet"]),
    ("jobset.x-k8s.io", &["JobSet"]),
    (
        "kubeflow.org",
        &[
            "PyTorchJob",
            "TFJob",
            "MPIJob",
            "XGBoostJob",
            "PaddleJob",
            "JAXJob",
            "Notebook",
        ],
    ),
    (
        "trainer.kubeflow.org",
        &["TrainJob", "ClusterTrainingRuntime", "TrainingRuntime"],
    ),
    ("ray.io", &["RayJob", "RayCluster", "RayService"]),
    ("gpuaas-sim", &["Scenario"]),
];

/// A kind that is a typo of one the simulator knows, or that its API group does not serve.
fn unknown_kind(raw: &RawObject) -> Option<InputError> {
    let group = raw.api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    let at = raw
        .doc
        .get("kind")
        .map(|n| n.loc.clone())
        .unwrap_or(raw.doc.loc.clone());
    if let Some((_, kinds)) = GROUP_KINDS.iter().find(|(g, _)| *g == group) {
        if kinds.contains(&raw.kind.as_str()) {
            return None;
        }
        let shown = if group.is_empty() { "v1" } else { group };
        return Some(
            InputError::at(
                at,
                format!(
                    "{shown} has no kind `{}`{}",
                    raw.kind,
                    super::error::did_you_mean(&raw.kind, kinds.iter().copied())
                ),
            )
            .hint("the API server would answer `no matches for kind`; fix the kind or its apiVersion"),
        );
    }
    // Another group: only a near miss of a simulated kind is surely a typo.
    let simulated = KINDS.iter().map(|(k, ..)| *k).chain(["Scenario"]);
    let near = super::error::closest(&raw.kind, simulated).into_iter().find(|k| {
        let (a, b) = (k.to_ascii_lowercase(), raw.kind.to_ascii_lowercase());
        a == b || super::error::edit_distance(&a, &b) <= 2
    })?;
    Some(
        InputError::at(at, format!("kind `{}` is not known (did you mean `{near}`?)", raw.kind))
            .hint(format!("`{near}` is served by {}", group_of(near))),
    )
}

/// The apiVersion group a simulated kind is served by, as users write it.
fn group_of(kind: &str) -> String {
    GROUP_KINDS
        .iter()
        .find(|(_, kinds)| kinds.contains(&kind))
        .map(|(g, _)| {
            if g.is_empty() {
                "v1".to_string()
            } else {
                format!("{g}/…")
            }
        })
        .unwrap_or_default()
}

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
        if let Some(e) = unknown_kind(raw) {
            return Err(e);
        }
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
    if *group == "kueue.x-k8s.io" {
        expect_kueue_version(raw)?;
    }
    decode_kind(raw)
}

/// The versions Kueue v0.19 serves: v1beta2, and the deprecated v1beta1.
fn expect_kueue_version(raw: &RawObject) -> Result<(), InputError> {
    let version = raw.api_version.rsplit_once('/').map(|(_, v)| v).unwrap_or("");
    if matches!(version, "v1beta1" | "v1beta2") {
        return Ok(());
    }
    Err(InputError::at(
        raw.doc
            .get("apiVersion")
            .map(|n| n.loc.clone())
            .unwrap_or(raw.doc.loc.clone()),
        format!("Kueue v0.19 does not serve {}", raw.api_version),
    )
    .hint("write kueue.x-k8s.io/v1beta2 (or the deprecated kueue.x-k8s.io/v1beta1)"))
}

use super::strict::Schema;

const TARGET: Schema = Schema::Map(&[
    ("type", Schema::Any),
    ("averageUtilization", Schema::Any),
    ("averageValue", Schema::Any),
    ("value", Schema::Any),
]);
const METRIC_ID: Schema = Schema::Map(&[("name", Schema::Any), ("selector", Schema::Any)]);
const POLICY: Schema = Schema::Map(&[
    ("type", Schema::Any),
    ("value", Schema::Any),
    ("periodSeconds", Schema::Any),
]);
const RULES: Schema = Schema::Map(&[
    ("stabilizationWindowSeconds", Schema::Any),
    ("selectPolicy", Schema::Any),
    ("policies", Schema::List(&POLICY)),
    ("tolerance", Schema::Any),
]);
const BEHAVIOR: Schema = Schema::Map(&[("scaleUp", RULES), ("scaleDown", RULES)]);

/// `autoscaling/v2` `HorizontalPodAutoscaler`.
const HPA_SCHEMA: Schema = Schema::Map(&[
    ("apiVersion", Schema::Any),
    ("kind", Schema::Any),
    ("metadata", Schema::Any),
    ("status", Schema::Any),
    (
        "spec",
        Schema::Map(&[
            (
                "scaleTargetRef",
                Schema::Map(&[
                    ("apiVersion", Schema::Any),
                    ("kind", Schema::Any),
                    ("name", Schema::Any),
                ]),
            ),
            ("minReplicas", Schema::Any),
            ("maxReplicas", Schema::Any),
            (
                "metrics",
                Schema::List(&Schema::Map(&[
                    ("type", Schema::Any),
                    ("resource", Schema::Map(&[("name", Schema::Any), ("target", TARGET)])),
                    ("pods", Schema::Map(&[("metric", METRIC_ID), ("target", TARGET)])),
                    ("external", Schema::Map(&[("metric", METRIC_ID), ("target", TARGET)])),
                    ("object", Schema::Any),
                    ("containerResource", Schema::Any),
                ])),
            ),
            ("behavior", BEHAVIOR),
        ]),
    ),
]);

/// `keda.sh/v1alpha1` `ScaledObject` (a trigger's `metadata` is the scaler's to read).
const SCALED_OBJECT_SCHEMA: Schema = Schema::Map(&[
    ("apiVersion", Schema::Any),
    ("kind", Schema::Any),
    ("metadata", Schema::Any),
    ("status", Schema::Any),
    (
        "spec",
        Schema::Map(&[
            (
                "scaleTargetRef",
                Schema::Map(&[
                    ("apiVersion", Schema::Any),
                    ("kind", Schema::Any),
                    ("name", Schema::Any),
                    ("envSourceContainerName", Schema::Any),
                ]),
            ),
            ("pollingInterval", Schema::Any),
            ("cooldownPeriod", Schema::Any),
            ("initialCooldownPeriod", Schema::Any),
            ("idleReplicaCount", Schema::Any),
            ("minReplicaCount", Schema::Any),
            ("maxReplicaCount", Schema::Any),
            (
                "advanced",
                Schema::Map(&[
                    ("restoreToOriginalReplicaCount", Schema::Any),
                    (
                        "horizontalPodAutoscalerConfig",
                        Schema::Map(&[("name", Schema::Any), ("behavior", BEHAVIOR)]),
                    ),
                    ("scalingModifiers", Schema::Any),
                ]),
            ),
            (
                "triggers",
                Schema::List(&Schema::Map(&[
                    ("type", Schema::Any),
                    ("name", Schema::Any),
                    ("metadata", Schema::Any),
                    ("metricType", Schema::Any),
                    ("authenticationRef", Schema::Any),
                    ("useCachedMetrics", Schema::Any),
                ])),
            ),
            (
                "fallback",
                Schema::Map(&[
                    ("failureThreshold", Schema::Any),
                    ("replicas", Schema::Any),
                    ("behavior", Schema::Any),
                ]),
            ),
        ]),
    ),
]);

/// The API server's strict validation: an unknown field of a manifest whose fields the
/// simulator all reads, at its line, with the closest known name.
fn strict(raw: &RawObject, json: &serde_json::Value, schema: &Schema) -> Result<(), InputError> {
    let Some((path, key, allowed)) = super::strict::unknown_field(json, schema, "") else {
        return Ok(());
    };
    let at = raw.doc.locate(&path);
    Err(InputError::at(
        at,
        format!(
            "{} has no field `{path}`{}",
            raw.kind,
            super::error::did_you_mean(&key, allowed.iter().copied())
        ),
    )
    .hint(format!("the fields here are: {}", allowed.join(", "))))
}

/// An autoscaler manifest's decode error, at the field it names.
fn located(raw: &RawObject, e: crate::autoscaling::keda::scaled_object::DecodeError) -> InputError {
    use crate::autoscaling::keda::scaled_object::DecodeError as D;
    let path = match &e {
        D::Missing { path, .. } | D::WrongType { path, .. } | D::Invalid { path, .. } => path.clone(),
        D::UnsupportedTrigger { path, .. } => path.clone(),
        D::Webhook { .. } => "spec".to_string(),
    };
    let path = if path == "apiVersion/kind" {
        "apiVersion".to_string()
    } else {
        path
    };
    InputError::at(raw.doc.locate(&path), e.to_string())
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
    ("Topology", "kueue.x-k8s.io", |raw| {
        Ok(Object::Topology(crate::api::kueue::Topology::decode(&raw.doc)?))
    }),
    ("Cohort", "kueue.x-k8s.io", |raw| {
        Ok(Object::Cohort(Cohort::decode(&raw.doc)?))
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
    ("HorizontalPodAutoscaler", "autoscaling", |raw| {
        let json = raw.doc.to_json();
        strict(raw, &json, &HPA_SCHEMA)?;
        let hpa = crate::autoscaling::hpa::manifest::decode_hpa(&json).map_err(|e| located(raw, e))?;
        let meta = ObjectMeta::decode(&raw.doc)?;
        Ok(Object::HorizontalPodAutoscaler {
            namespace: namespace_of(raw, &meta),
            hpa: HpaManifest(Box::new(hpa)),
            loc: raw.doc.loc.clone(),
        })
    }),
    ("ScaledObject", "keda.sh", |raw| {
        let json = raw.doc.to_json();
        strict(raw, &json, &SCALED_OBJECT_SCHEMA)?;
        let so = crate::autoscaling::keda::scaled_object::decode_scaled_object(&json).map_err(|e| located(raw, e))?;
        for (i, t) in so.spec.triggers.iter().enumerate() {
            let crate::autoscaling::keda::scaled_object::Scaler::Prometheus(meta) = &t.scaler;
            if let Err(e) = crate::monitoring::promql::parse(&meta.query) {
                return Err(InputError::at(
                    raw.doc.locate(&format!("spec.triggers[{i}].metadata.query")),
                    format!(
                        "the query is not PromQL the simulator evaluates:\n{}",
                        e.pointed(&meta.query)
                    ),
                )
                .hint(e.hint.clone().unwrap_or_else(|| "fix the query".into())));
            }
        }
        let meta = ObjectMeta::decode(&raw.doc)?;
        Ok(Object::ScaledObject {
            namespace: namespace_of(raw, &meta),
            scaled_object: ScaledObjectManifest(Box::new(so)),
            loc: raw.doc.loc.clone(),
        })
    }),
    ("LeaderWorkerSet", "leaderworkerset.x-k8s.io", |raw| {
        let lws = crate::api::lws::LeaderWorkerSetObject::decode(&raw.doc)?;
        Ok(Object::LeaderWorkerSet {
            namespace: namespace_of(raw, &lws.meta),
            lws,
        })
    }),
    ("JobSet", "jobset.x-k8s.io", |raw| {
        framework(raw, crate::api::frameworks::FrameworkObject::decode_jobset(&raw.doc)?)
    }),
    ("PyTorchJob", "kubeflow.org", |raw| {
        framework(
            raw,
            crate::api::frameworks::FrameworkObject::decode_pytorchjob(&raw.doc)?,
        )
    }),
    ("TrainJob", "trainer.kubeflow.org", |raw| {
        framework(raw, crate::api::frameworks::FrameworkObject::decode_trainjob(&raw.doc)?)
    }),
    ("RayJob", "ray.io", |raw| {
        framework(raw, crate::api::frameworks::FrameworkObject::decode_rayjob(&raw.doc)?)
    }),
    ("RayCluster", "ray.io", |raw| {
        framework(
            raw,
            crate::api::frameworks::FrameworkObject::decode_raycluster(&raw.doc)?,
        )
    }),
    ("ClusterTrainingRuntime", "trainer.kubeflow.org", |raw| {
        Ok(Object::TrainingRuntime {
            namespace: String::new(),
            runtime: Box::new(crate::api::frameworks::TrainingRuntime::decode(&raw.doc, true)?),
        })
    }),
    ("TrainingRuntime", "trainer.kubeflow.org", |raw| {
        let runtime = crate::api::frameworks::TrainingRuntime::decode(&raw.doc, false)?;
        Ok(Object::TrainingRuntime {
            namespace: namespace_of(raw, &runtime.meta),
            runtime: Box::new(runtime),
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

fn framework(raw: &RawObject, framework: crate::api::frameworks::FrameworkObject) -> Result<Object, InputError> {
    Ok(Object::Framework {
        namespace: namespace_of(raw, &framework.meta),
        framework: Box::new(framework),
    })
}

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
