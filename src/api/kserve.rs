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
    /// The URI as KServe hands it to the storage initializer.
    pub fn uri(&self) -> String {
        match self {
            ModelSource::Oci(p) => format!("oci://{p}"),
            ModelSource::S3(p) => format!("s3://{p}"),
            ModelSource::Pvc(p) => format!("pvc://{p}"),
            ModelSource::Other(p) => p.clone(),
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
    /// The field `source` was written in (`storageUri` or `storage.path`), to name it.
    pub source_key: &'static str,
    pub args: Vec<String>,
    pub requests: ResourceList,
    pub limits: ResourceList,
    /// `timeout`: KServe's `TimeoutSeconds`, the Knative revision's `timeoutSeconds`
    /// (Serverless mode only).
    pub timeout_seconds: Option<u64>,
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
        let (source, source_key) = if let Some(uri) = model_field("storageUri") {
            let u = uri.as_str()?;
            (Some(classify_uri(u)), "storageUri")
        } else if let Some(st) = model_field("storage") {
            let path = opt_str(st, "path")?.unwrap_or_default();
            (Some(ModelSource::S3(path)), "storage.path")
        } else {
            (None, "")
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
            source_key,
            args: string_list(model_field("args"))?,
            requests: ResourceList::decode(res.and_then(|r| r.get("requests")))?,
            limits: ResourceList::decode(res.and_then(|r| r.get("limits")))?,
            timeout_seconds: match pred.get("timeout") {
                None => None,
                Some(n) => {
                    let v = n.as_i64()?;
                    if !(0..=MAX_REVISION_TIMEOUT_SECONDS as i64).contains(&v) {
                        return Err(InputError::at(
                            n.loc.clone(),
                            format!("timeout {v} is outside [0, {MAX_REVISION_TIMEOUT_SECONDS}] seconds"),
                        )
                        .hint("Knative refuses a revision timeoutSeconds above max-revision-timeout-seconds (600)"));
                    }
                    Some(v as u64)
                }
            },
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
        let isvc = InferenceService { meta, predictor };
        if isvc.deployment_mode() == DeploymentMode::Serverless {
            validate_serverless(doc, pred, &isvc)?;
        } else {
            validate_autoscaler_class(doc, pred, &isvc)?;
        }
        Ok(isvc)
    }
}

/// What KServe's webhook refuses of a RawDeployment predictor's autoscaling: an unknown
/// `autoscalerClass`, and the `keda` class without an External metric to make a trigger of
/// (KEDA refuses a ScaledObject without triggers).
fn validate_autoscaler_class(doc: &Node, pred: &Node, isvc: &InferenceService) -> Result<(), InputError> {
    let at_annotation = || {
        doc.path(&["metadata", "annotations", AUTOSCALER_CLASS_ANNOTATION])
            .map(|n| n.loc.clone())
            .unwrap_or(doc.loc.clone())
    };
    match isvc.autoscaler_class() {
        Err(why) => Err(InputError::at(at_annotation(), why)
            .hint("KServe's autoscaler classes for RawDeployment are hpa (the default), keda, external and none")),
        Ok(AutoscalerClass::Keda)
            if !isvc
                .predictor
                .autoscaling_metrics
                .iter()
                .any(|m| matches!(m, IsvcMetric::External { .. })) =>
        {
            Err(InputError::at(
                pred.get("autoScaling").map(|n| n.loc.clone()).unwrap_or(pred.loc.clone()),
                "autoscalerClass keda needs an External metric in spec.predictor.autoScaling.metrics; KEDA refuses a ScaledObject without triggers",
            )
            .hint("add autoScaling: {metrics: [{type: External, external: {metric: {backend: prometheus, query: …}, target: {type: Value, value: 5}}}]}"))
        }
        Ok(_) => Ok(()),
    }
}

/// `serving.kserve.io/deploymentMode`.
pub const DEPLOYMENT_MODE_ANNOTATION: &str = "serving.kserve.io/deploymentMode";

/// How KServe runs a predictor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeploymentMode {
    /// `RawDeployment` (now `Standard`): a Deployment, scaled by `autoscalerClass`.
    /// The simulator's default when the annotation is absent or not a mode it knows
    /// (KServe falls back to its configured `defaultDeploymentMode`).
    RawDeployment,
    /// `Serverless` (now `Knative`): a Knative Service, scaled by Knative's autoscaler.
    Serverless,
}

/// Knative's `autoscaling.knative.dev/class` on a Serverless predictor's revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnativeClass {
    /// `kpa.autoscaling.knative.dev` (the default): the Knative Pod Autoscaler.
    Kpa,
    /// `hpa.autoscaling.knative.dev`: Knative's HPA class, an `autoscaling/v2` HPA on
    /// cpu (or memory); run here as KServe's `hpa` autoscaler class.
    Hpa,
}

/// `hpa.autoscaling.knative.dev`.
pub const KNATIVE_HPA_CLASS: &str = "hpa.autoscaling.knative.dev";

/// `max-revision-timeout-seconds`' default: the largest revision `timeoutSeconds`.
pub const MAX_REVISION_TIMEOUT_SECONDS: u64 = 600;
/// `revision-timeout-seconds`' default: a revision's `timeoutSeconds` when unset, the
/// activator's limit on a request.
pub const DEFAULT_REVISION_TIMEOUT_SECONDS: u64 = 300;

/// `constants.DefaultMinReplicas`: KServe's `min-scale` when `minReplicas` is unset.
const DEFAULT_MIN_REPLICAS: i32 = 1;

/// Annotations KServe does not pass on to the Knative Service
/// (`ServiceAnnotationDisallowedList`): `min-scale` and `max-scale` come from
/// `minReplicas` and `maxReplicas` only.
const KNATIVE_DISALLOWED_ANNOTATIONS: &[&str] = &[
    "autoscaling.knative.dev/min-scale",
    "autoscaling.knative.dev/max-scale",
    "internal.serving.kserve.io/storage-initializer-sourceuri",
    "kubectl.kubernetes.io/last-applied-configuration",
    "serving.kserve.io/model-format",
];

impl InferenceService {
    /// `GetDeploymentMode`: the annotation's mode, `Serverless` or `Knative` for
    /// Knative; anything else runs as a RawDeployment here.
    pub fn deployment_mode(&self) -> DeploymentMode {
        match self
            .meta
            .annotations
            .get(DEPLOYMENT_MODE_ANNOTATION)
            .map(String::as_str)
        {
            Some("Serverless" | "Knative") => DeploymentMode::Serverless,
            _ => DeploymentMode::RawDeployment,
        }
    }

    /// The annotations of the Knative revision KServe makes for the predictor
    /// (`buildObjectMeta` and `createKnativeService`): the runtime's, the
    /// InferenceService's and the predictor's, in rising priority, without the ones KServe
    /// does not pass on; an `initial-scale` of the InferenceService that is not an integer,
    /// or is 0, dropped (`ValidateInitialScaleAnnotation`, with Knative's default
    /// `allow-zero-initial-scale: false`); then `SetAutoScalingAnnotations`: the class
    /// (KPA unless set), `target` from `scaleTarget`, `metric` from `scaleMetric`,
    /// `min-scale` from `minReplicas` (1 when unset), `max-scale` from a non-zero
    /// `maxReplicas`.
    pub fn revision_annotations(&self, runtime: Option<&Labels>) -> Labels {
        use crate::autoscaling::kpa::config::{annotation, KPA_CLASS};
        let mut isvc = self.meta.annotations.clone();
        if let Some(v) = isvc.get(annotation::INITIAL_SCALE) {
            if v.parse::<i32>().map_or(true, |i| i == 0) {
                isvc.remove(annotation::INITIAL_SCALE);
            }
        }
        let mut out = Labels::new();
        for src in [runtime.unwrap_or(&Labels::new()), &isvc, &self.predictor.annotations] {
            for (k, v) in src {
                if !KNATIVE_DISALLOWED_ANNOTATIONS.contains(&k.as_str()) {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
        let p = &self.predictor;
        out.entry(annotation::CLASS.into()).or_insert_with(|| KPA_CLASS.into());
        if let Some(t) = p.scale_target {
            out.insert(annotation::TARGET.into(), t.to_string());
        }
        if let Some(m) = &p.scale_metric {
            out.insert(annotation::METRIC.into(), m.clone());
        }
        out.insert(
            annotation::MIN_SCALE.into(),
            p.min_replicas.unwrap_or(DEFAULT_MIN_REPLICAS).to_string(),
        );
        if let Some(max) = p.max_replicas.filter(|m| *m != 0) {
            out.insert(annotation::MAX_SCALE.into(), max.to_string());
        }
        out
    }

    /// Who scales a Serverless predictor; `None` in RawDeployment mode or for a class
    /// the simulator does not run (refused at load).
    pub fn knative_class(&self) -> Option<KnativeClass> {
        if self.deployment_mode() != DeploymentMode::Serverless {
            return None;
        }
        let anns = self.revision_annotations(None);
        match anns
            .get(crate::autoscaling::kpa::config::annotation::CLASS)
            .map(String::as_str)
        {
            Some(crate::autoscaling::kpa::config::KPA_CLASS) | None => Some(KnativeClass::Kpa),
            Some(KNATIVE_HPA_CLASS) => Some(KnativeClass::Hpa),
            Some(_) => None,
        }
    }

    /// How long the activator holds a request of a Serverless predictor: the revision's
    /// `timeoutSeconds` (`timeout`, 300 s when unset; 0 for no limit).
    pub fn activator_timeout_s(&self) -> Option<f64> {
        match self
            .predictor
            .timeout_seconds
            .unwrap_or(DEFAULT_REVISION_TIMEOUT_SECONDS)
        {
            0 => None,
            t => Some(t as f64),
        }
    }
}

/// What KServe's webhook (`validateScalingKPACompExtension`) and Knative's
/// (`ValidateAnnotations`) refuse in a Serverless InferenceService, located at the field
/// or annotation that holds it.
fn validate_serverless(doc: &Node, pred: &Node, isvc: &InferenceService) -> Result<(), InputError> {
    use crate::autoscaling::kpa::config::{annotation, parse_annotations, KpaConfig, KpaConfigError, KPA_CLASS};
    // Where a revision annotation came from: the field KServe maps onto it, else the
    // predictor's annotation, else the InferenceService's.
    let loc_of = |key: &str| -> Loc {
        let field = match key {
            annotation::MIN_SCALE => pred.get("minReplicas"),
            annotation::MAX_SCALE => pred.get("maxReplicas"),
            annotation::TARGET => pred.get("scaleTarget"),
            annotation::METRIC => pred.get("scaleMetric"),
            _ => None,
        };
        field
            .or_else(|| pred.path(&["annotations", key]))
            .or_else(|| doc.path(&["metadata", "annotations", key]))
            .map(|n| n.loc.clone())
            .unwrap_or_else(|| pred.loc.clone())
    };
    let anns = isvc.revision_annotations(None);
    let class = anns.get(annotation::CLASS).map(String::as_str).unwrap_or(KPA_CLASS);
    if class != KPA_CLASS && class != KNATIVE_HPA_CLASS {
        return Err(InputError::at(
            loc_of(annotation::CLASS),
            format!("autoscaling.knative.dev/class `{class}` is not simulated"),
        )
        .hint("use kpa.autoscaling.knative.dev (the default) or hpa.autoscaling.knative.dev"));
    }
    if class == KNATIVE_HPA_CLASS {
        return Ok(());
    }
    if let Some(s) = pred.get("deploymentStrategy") {
        return Err(InputError::at(
            s.loc.clone(),
            "customizing deploymentStrategy is only supported for raw deployment mode",
        )
        .hint("KServe's webhook refuses it in Serverless mode; remove it, or use RawDeployment"));
    }
    let metric = isvc.predictor.scale_metric.as_deref().unwrap_or("concurrency");
    if metric != "concurrency" && metric != "rps" {
        return Err(InputError::at(
            loc_of(annotation::METRIC),
            format!("[{metric}] is not a supported metric"),
        )
        .hint("the KPA scales on concurrency or rps; for cpu, set autoscaling.knative.dev/class: hpa.autoscaling.knative.dev"));
    }
    if metric == "rps" && isvc.predictor.scale_target.is_some_and(|t| t < 1) {
        return Err(InputError::at(
            loc_of(annotation::TARGET),
            "the target for rps should be greater than 1",
        )
        .hint("KServe's webhook refuses it; use a scaleTarget of 1 or more"));
    }
    parse_annotations(&KpaConfig::default(), &anns).map_err(|e| {
        let key = match &e {
            KpaConfigError::Invalid { key, .. }
            | KpaConfigError::OutOfBounds { key, .. }
            | KpaConfigError::Generic { key, .. } => key.clone(),
        };
        InputError::at(loc_of(&key), e.to_string())
            .hint("Knative's webhook refuses the revision; the Knative Service is never created")
    })?;
    Ok(())
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
                        format!(
                            "the query is not PromQL the simulator evaluates:\n{}",
                            e.pointed(&query)
                        ),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn isvc(annotations: &str, predictor: &str) -> InferenceService {
        with_mode("Serverless", annotations, predictor)
    }

    fn with_mode(mode: &str, annotations: &str, predictor: &str) -> InferenceService {
        let text = format!(
            "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: m\n  annotations: {{serving.kserve.io/deploymentMode: {mode}{annotations}}}\nspec:\n  predictor:\n{predictor}    model: {{modelFormat: {{name: vLLM}}}}\n"
        );
        let doc = crate::manifest::yaml::parse_documents(&"m.yaml".into(), &text)
            .unwrap()
            .remove(0);
        InferenceService::decode(&doc.root).unwrap_or_else(|e| panic!("{e}"))
    }

    /// `SetAutoScalingAnnotations` and the disallowed list, as `createKnativeService`
    /// applies them.
    #[test]
    fn kserve_maps_its_fields_onto_the_revisions_knative_annotations() {
        let get = |i: &InferenceService, k: &str| i.revision_annotations(None).get(k).cloned();
        let plain = isvc(", autoscaling.knative.dev/min-scale: \"0\"", "");
        assert_eq!(plain.deployment_mode(), DeploymentMode::Serverless);
        assert_eq!(
            get(&plain, "autoscaling.knative.dev/class").as_deref(),
            Some("kpa.autoscaling.knative.dev")
        );
        // The InferenceService's own min-scale is dropped; minReplicas unset is 1.
        assert_eq!(get(&plain, "autoscaling.knative.dev/min-scale").as_deref(), Some("1"));
        assert_eq!(get(&plain, "autoscaling.knative.dev/max-scale"), None);
        let mapped = isvc(
            ", autoscaling.knative.dev/target: \"50\", autoscaling.knative.dev/initial-scale: \"0\"",
            "    minReplicas: 0\n    maxReplicas: 4\n    scaleTarget: 8\n    scaleMetric: rps\n    annotations: {autoscaling.knative.dev/window: 2m}\n",
        );
        let anns = mapped.revision_annotations(None);
        for (k, v) in [
            ("autoscaling.knative.dev/min-scale", "0"),
            ("autoscaling.knative.dev/max-scale", "4"),
            // scaleTarget wins over the annotation.
            ("autoscaling.knative.dev/target", "8"),
            ("autoscaling.knative.dev/metric", "rps"),
            ("autoscaling.knative.dev/window", "2m"),
        ] {
            assert_eq!(anns.get(k).map(String::as_str), Some(v), "{k}");
        }
        // An initial-scale of 0 is dropped (allow-zero-initial-scale is off).
        assert!(!anns.contains_key("autoscaling.knative.dev/initial-scale"));
        assert_eq!(mapped.activator_timeout_s(), Some(300.0));
        assert_eq!(mapped.knative_class(), Some(KnativeClass::Kpa));
        // KServe's current name for the mode, and the RawDeployment names.
        assert_eq!(
            with_mode("Knative", "", "").deployment_mode(),
            DeploymentMode::Serverless
        );
        for mode in ["RawDeployment", "Standard"] {
            let raw = with_mode(mode, "", "");
            assert_eq!(raw.deployment_mode(), DeploymentMode::RawDeployment);
            assert_eq!(raw.knative_class(), None);
        }
    }
}
