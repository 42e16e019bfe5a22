//! KServe's InferenceService (v1beta1) and ServingRuntime (v1alpha1).

use super::apps::Strategy;
use super::core::{Container, NodeAffinity, ResourceList, Toleration};
use super::meta::{opt_str, string_list, string_map, Labels, ObjectMeta};
use crate::manifest::error::{InputError, Loc};
use crate::manifest::yaml::Node;

#[derive(Debug, Clone, PartialEq)]
pub struct ServingRuntime {
    pub meta: ObjectMeta,
    pub containers: Vec<Container>,
    pub node_selector: Labels,
    pub tolerations: Vec<Toleration>,
    pub affinity: Option<NodeAffinity>,
    pub model_formats: Vec<(String, bool)>,
}

impl ServingRuntime {
    pub fn decode(doc: &Node) -> Result<ServingRuntime, InputError> {
        let meta = ObjectMeta::decode(doc)?;
        let spec = doc
            .get("spec")
            .ok_or_else(|| InputError::at(doc.loc.clone(), "ServingRuntime has no spec"))?;
        let containers = match spec.get("containers") {
            Some(c) => c
                .items()?
                .iter()
                .map(Container::decode)
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        if containers.is_empty() {
            return Err(InputError::at(spec.loc.clone(), "ServingRuntime has no containers")
                .hint("add spec.containers with a kserve-container"));
        }
        let mut formats = Vec::new();
        if let Some(f) = spec.get("supportedModelFormats") {
            for item in f.items()? {
                formats.push((
                    opt_str(item, "name")?.unwrap_or_default(),
                    item.get("autoSelect")
                        .map(|a| a.as_bool())
                        .transpose()?
                        .unwrap_or(false),
                ));
            }
        }
        Ok(ServingRuntime {
            meta,
            containers,
            node_selector: string_map(spec.get("nodeSelector"))?,
            tolerations: match spec.get("tolerations") {
                Some(t) => t.items()?.iter().map(Toleration::decode).collect::<Result<_, _>>()?,
                None => Vec::new(),
            },
            affinity: NodeAffinity::decode(spec)?,
            model_formats: formats,
        })
    }
}

/// Where the model's weights come from; decides how a replica's start-up is spent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// `oci://` ModelCar image, pulled by the node and cached there.
    Oci(String),
    /// `s3://` or a `storage:` data connection, downloaded by the storage initializer.
    S3(String),
    Pvc(String),
    /// `hf://` and other schemes, downloaded like S3.
    Other(String),
}

impl ModelSource {
    pub fn path(&self) -> &str {
        match self {
            ModelSource::Oci(p) | ModelSource::S3(p) | ModelSource::Pvc(p) | ModelSource::Other(p) => p,
        }
    }
    pub fn kind(&self) -> &'static str {
        match self {
            ModelSource::Oci(_) => "oci",
            ModelSource::S3(_) => "s3",
            ModelSource::Pvc(_) => "pvc",
            ModelSource::Other(_) => "download",
        }
    }
}

/// `serving.kserve.io/autoscalerClass`: who scales a RawDeployment predictor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoscalerClass {
    /// The default: an `autoscaling/v2` HPA on `scaleMetric`/`scaleTarget` (cpu, 80%).
    Hpa,
    /// A KEDA ScaledObject from `autoScaling.metrics`.
    Keda,
    /// Something outside KServe scales it; KServe creates nothing.
    External,
    /// Nothing scales it.
    None,
}

impl AutoscalerClass {
    /// The annotation's value.
    pub fn name(self) -> &'static str {
        match self {
            AutoscalerClass::Hpa => "hpa",
            AutoscalerClass::Keda => "keda",
            AutoscalerClass::External => "external",
            AutoscalerClass::None => "none",
        }
    }
}

pub const AUTOSCALER_CLASS_ANNOTATION: &str = "serving.kserve.io/autoscalerClass";

/// One entry of the predictor's `autoScaling.metrics`.
#[derive(Debug, Clone, PartialEq)]
pub enum IsvcMetric {
    /// `type: Resource`: cpu or memory, with `averageUtilization` (percent) or
    /// `averageValue`.
    Resource {
        name: String,
        utilization: Option<i32>,
        average_value: Option<String>,
    },
    /// `type: External` with `backend: prometheus`: a query and a target value.
    External {
        backend: String,
        server_address: String,
        query: String,
        /// The target, from `target.value` (or `averageValue`).
        value: f64,
        average: bool,
        namespace: Option<String>,
        loc: Loc,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct PredictorSpec {
    pub min_replicas: Option<i32>,
    pub max_replicas: Option<i32>,
    /// `scaleMetric` (cpu, memory, concurrency, rps) and `scaleTarget`.
    pub scale_metric: Option<String>,
    pub scale_target: Option<i32>,
    /// `autoScaling.metrics`.
    pub autoscaling_metrics: Vec<IsvcMetric>,
    pub strategy: Option<Strategy>,
    pub node_selector: Labels,
    pub tolerations: Vec<Toleration>,
    pub affinity: Option<NodeAffinity>,
    pub priority_class_name: Option<String>,
    pub termination_grace_seconds: Option<u64>,
    pub labels: Labels,
    pub annotations: Labels,
    pub model_format: Option<String>,
    pub runtime: Option<String>,
    pub source: Option<ModelSource>,
    pub args: Vec<String>,
    pub requests: ResourceList,
    pub limits: ResourceList,
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InferenceService {
    pub meta: ObjectMeta,
    pub predictor: PredictorSpec,
}

impl InferenceService {
    pub fn decode(doc: &Node) -> Result<InferenceService, InputError> {
        let meta = ObjectMeta::decode(doc)?;
        let pred = doc.path(&["spec", "predictor"]).ok_or_else(|| {
            InputError::at(doc.loc.clone(), "InferenceService has no spec.predictor")
                .hint("add spec.predictor.model with modelFormat, runtime and storageUri")
        })?;
        let model = pred.get("model");
        let model_field = |k: &str| model.and_then(|m| m.get(k));
        let source = if let Some(uri) = model_field("storageUri") {
            let u = uri.as_str()?;
            Some(classify_uri(u))
        } else if let Some(st) = model_field("storage") {
            let path = opt_str(st, "path")?.unwrap_or_default();
            Some(ModelSource::S3(path))
        } else {
            None
        };
        let replicas = |k: &str| -> Result<Option<i32>, InputError> {
            match pred.get(k) {
                None => Ok(None),
                Some(n) => {
                    let v = n.as_i64()?;
                    if v < 0 || v > i32::MAX as i64 {
                        return Err(
                            InputError::at(n.loc.clone(), format!("{k} {v} is out of range")).hint("use 0 or more")
                        );
                    }
                    Ok(Some(v as i32))
                }
            }
        };
        let res = model_field("resources");
        let predictor = PredictorSpec {
            min_replicas: replicas("minReplicas")?,
            max_replicas: replicas("maxReplicas")?,
            scale_metric: opt_str(pred, "scaleMetric")?,
            scale_target: pred
                .get("scaleTarget")
                .map(|n| n.as_i64().map(|v| v.clamp(0, i32::MAX as i64) as i32))
                .transpose()?,
            autoscaling_metrics: decode_autoscaling_metrics(pred.path(&["autoScaling", "metrics"]))?,
            strategy: pred
                .get("deploymentStrategy")
                .map(|s| Strategy::decode(Some(s)))
                .transpose()?,
            node_selector: string_map(pred.get("nodeSelector"))?,
            tolerations: match pred.get("tolerations") {
                Some(t) => t.items()?.iter().map(Toleration::decode).collect::<Result<_, _>>()?,
                None => Vec::new(),
            },
            affinity: NodeAffinity::decode(pred)?,
            priority_class_name: opt_str(pred, "priorityClassName")?,
            termination_grace_seconds: pred
                .get("terminationGracePeriodSeconds")
                .map(|g| g.as_i64().map(|v| v.max(0) as u64))
                .transpose()?,
            labels: string_map(pred.get("labels"))?,
            annotations: string_map(pred.get("annotations"))?,
            model_format: model_field("modelFormat")
                .map(|f| opt_str(f, "name"))
                .transpose()?
                .flatten(),
            runtime: model_field("runtime")
                .map(|r| r.as_str().map(str::to_string))
                .transpose()?,
            source,
            args: string_list(model_field("args"))?,
            requests: ResourceList::decode(res.and_then(|r| r.get("requests")))?,
            limits: ResourceList::decode(res.and_then(|r| r.get("limits")))?,
            loc: pred.loc.clone(),
        };
        if let (Some(min), Some(max)) = (predictor.min_replicas, predictor.max_replicas) {
            if max != 0 && min > max {
                return Err(InputError::at(
                    pred.loc.clone(),
                    format!("minReplicas {min} is greater than maxReplicas {max}"),
                )
                .hint("KServe's webhook rejects this; lower minReplicas or raise maxReplicas"));
            }
        }
        Ok(InferenceService { meta, predictor })
    }
}

/// `autoScaling.metrics`, refusing what KServe's webhook or the simulator cannot honour.
fn decode_autoscaling_metrics(node: Option<&Node>) -> Result<Vec<IsvcMetric>, InputError> {
    let Some(node) = node else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for m in node.items()? {
        let kind = opt_str(m, "type")?.unwrap_or_default();
        match kind.as_str() {
            "Resource" => {
                let r = m.get("resource").ok_or_else(|| {
                    InputError::at(m.loc.clone(), "a Resource metric has no `resource`")
                        .hint("add resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}")
                })?;
                let target = r.get("target");
                out.push(IsvcMetric::Resource {
                    name: opt_str(r, "name")?.unwrap_or_else(|| "cpu".into()),
                    utilization: target
                        .and_then(|t| t.get("averageUtilization"))
                        .map(|n| n.as_i64().map(|v| v.clamp(1, i32::MAX as i64) as i32))
                        .transpose()?,
                    average_value: target.map(|t| opt_str(t, "averageValue")).transpose()?.flatten(),
                });
            }
            "External" => {
                let e = m.get("external").ok_or_else(|| {
                    InputError::at(m.loc.clone(), "an External metric has no `external`").hint(
                        "add external: {metric: {backend: prometheus, query: …}, target: {type: Value, value: 5}}",
                    )
                })?;
                let metric = e.get("metric").ok_or_else(|| {
                    InputError::at(e.loc.clone(), "an External metric has no `metric`")
                        .hint("add metric: {backend: prometheus, serverAddress: …, query: …}")
                })?;
                let backend = opt_str(metric, "backend")?.unwrap_or_else(|| "prometheus".into());
                if backend != "prometheus" {
                    return Err(InputError::at(
                        metric
                            .get("backend")
                            .map(|n| n.loc.clone())
                            .unwrap_or(metric.loc.clone()),
                        format!("metric backend `{backend}` is not simulated"),
                    )
                    .hint("use backend: prometheus with a query over the vLLM metrics"));
                }
                let query_node = metric.get("query").ok_or_else(|| {
                    InputError::at(metric.loc.clone(), "an External metric has no `query`")
                        .hint("e.g. query: sum(vllm:num_requests_waiting{namespace=\"llm\"})")
                })?;
                let target = e.get("target");
                let number = |key: &str| -> Result<Option<f64>, InputError> {
                    let Some(n) = target.and_then(|t| t.get(key)) else {
                        return Ok(None);
                    };
                    let text = n
                        .as_str()
                        .map(str::to_string)
                        .or_else(|_| n.as_f64().map(|v| v.to_string()))?;
                    crate::units::Quantity::parse(&text)
                        .map(|q| Some(q.milli() as f64 / 1000.0))
                        .map_err(|e| {
                            InputError::at(n.loc.clone(), e.to_string()).hint("write a number such as 5 or 500m")
                        })
                };
                let (value, average) = match (number("value")?, number("averageValue")?) {
                    (Some(v), _) => (v, false),
                    (None, Some(v)) => (v, true),
                    (None, None) => {
                        return Err(InputError::at(e.loc.clone(), "an External metric has no target value")
                            .hint("add target: {type: Value, value: 5}"))
                    }
                };
                let query = query_node.as_str()?.to_string();
                if let Err(e) = crate::monitoring::promql::parse(&query) {
                    return Err(InputError::at(
                        query_node.loc.clone(),
                        format!("the query is not PromQL the simulator evaluates: {}", e.pointed(&query)),
                    )
                    .hint(e.hint.clone().unwrap_or_else(|| "fix the query".into())));
                }
                out.push(IsvcMetric::External {
                    backend,
                    server_address: opt_str(metric, "serverAddress")?.unwrap_or_default(),
                    query,
                    value,
                    average,
                    namespace: opt_str(metric, "namespace")?,
                    loc: query_node.loc.clone(),
                });
            }
            other => {
                return Err(InputError::at(
                    m.get("type").map(|n| n.loc.clone()).unwrap_or(m.loc.clone()),
                    format!("autoScaling metric type `{other}` is not simulated"),
                )
                .hint("use Resource (cpu) or External (prometheus)"))
            }
        }
    }
    Ok(out)
}

impl InferenceService {
    /// Who scales its predictor: the `serving.kserve.io/autoscalerClass` annotation,
    /// `hpa` when absent (KServe's default for RawDeployment).
    pub fn autoscaler_class(&self) -> Result<AutoscalerClass, String> {
        match self
            .meta
            .annotations
            .get(AUTOSCALER_CLASS_ANNOTATION)
            .map(String::as_str)
        {
            None | Some("hpa") => Ok(AutoscalerClass::Hpa),
            Some("keda") => Ok(AutoscalerClass::Keda),
            Some("external") => Ok(AutoscalerClass::External),
            Some("none") => Ok(AutoscalerClass::None),
            Some(other) => Err(format!("unknown autoscaler class type: {other}")),
        }
    }
}

fn classify_uri(uri: &str) -> ModelSource {
    let rest = |p: &str| uri[p.len()..].to_string();
    if uri.starts_with("oci://") {
        ModelSource::Oci(rest("oci://"))
    } else if uri.starts_with("s3://") {
        ModelSource::S3(rest("s3://"))
    } else if uri.starts_with("pvc://") {
        ModelSource::Pvc(rest("pvc://"))
    } else {
        ModelSource::Other(uri.to_string())
    }
}
