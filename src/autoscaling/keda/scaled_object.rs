//! The `ScaledObject` spec (`apis/keda/v1alpha1/scaledobject_types.go`) as typed values
//! with KEDA's defaults, and its decoder from the JSON a manifest loads to.
//!
//! The decoder refuses what KEDA's CRD schema or its admission webhook
//! (`scaledobject_webhook.go`: `CheckReplicaCountBoundsAreValid`, `CheckFallbackValid`)
//! would refuse, so that a scenario cannot run a ScaledObject a real cluster would not
//! admit. Each error names the field path and says how to fix it. Only the `prometheus`
//! trigger is simulated.

use super::prometheus::PrometheusMetadata;
use super::{
    DEFAULT_COOLDOWN_PERIOD, DEFAULT_HPA_MIN_REPLICAS, DEFAULT_INITIAL_COOLDOWN_PERIOD, DEFAULT_MAX_REPLICA_COUNT,
    DEFAULT_POLLING_INTERVAL, FORCE_ACTIVATION_ANNOTATION, PAUSED_ANNOTATION, PAUSED_REPLICAS_ANNOTATION,
    PAUSED_SCALE_IN_ANNOTATION, PAUSED_SCALE_OUT_ANNOTATION,
};
use crate::autoscaling::hpa::behavior::{ScalingPolicy, ScalingPolicyType, ScalingRules, SelectPolicy};
use crate::units::SimDuration;
use serde_json::Value;
use std::collections::BTreeMap;
use thiserror::Error;

/// `ScaleTarget`. KEDA's `ParseGVKR` fills an empty `apiVersion`/`kind` with
/// `apps/v1` `Deployment`; the decoder does the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScaleTargetRef {
    pub name: String,
    pub api_version: String,
    pub kind: String,
}

/// `MetricTargetType` of a trigger's External metric. `Utilization` is refused for
/// External metrics (`ErrScalerUnsupportedUtilizationMetricType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MetricTargetType {
    /// The default: the metric is divided over the target's replicas.
    AverageValue,
    /// The metric is compared, whole, with the target.
    Value,
}

/// A trigger's scaler and its metadata; only `prometheus` here.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scaler {
    Prometheus(PrometheusMetadata),
}

/// `ScaleTriggers`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Trigger {
    /// `name`, optional: used in events and `triggersActivity`.
    pub name: Option<String>,
    pub metric_type: MetricTargetType,
    pub scaler: Scaler,
}

/// `fallback.behavior`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FallbackBehavior {
    /// `static` (the default): exactly `fallback.replicas`.
    Static,
    /// `currentReplicas`: hold the current count.
    CurrentReplicas,
    /// `currentReplicasIfHigher`: the larger of the current count and `fallback.replicas`.
    CurrentReplicasIfHigher,
    /// `currentReplicasIfLower`: the smaller of the two.
    CurrentReplicasIfLower,
}

/// `Fallback`: what the HPA is made to ask for once a trigger's metric has failed more
/// than `failureThreshold` times in a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fallback {
    pub failure_threshold: i32,
    pub replicas: i32,
    pub behavior: FallbackBehavior,
}

/// `advanced.horizontalPodAutoscalerConfig.behavior`, as written (unset fields stay
/// unset; the HPA core defaults them).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct BehaviorSpec {
    pub scale_up: Option<ScalingRules>,
    pub scale_down: Option<ScalingRules>,
}

/// `ScaledObjectSpec`, with the optional fields kept optional where KEDA's code tells
/// "unset" from "0" (`minReplicaCount`, `idleReplicaCount`); the accessors give the
/// defaulted values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ScaledObjectSpec {
    pub scale_target_ref: ScaleTargetRef,
    pub polling_interval: Option<SimDuration>,
    pub initial_cooldown_period: Option<SimDuration>,
    pub cooldown_period: Option<SimDuration>,
    pub idle_replica_count: Option<i32>,
    pub min_replica_count: Option<i32>,
    pub max_replica_count: Option<i32>,
    /// `advanced.horizontalPodAutoscalerConfig.name`.
    pub hpa_name: Option<String>,
    /// `advanced.horizontalPodAutoscalerConfig.behavior`.
    pub behavior: Option<BehaviorSpec>,
    pub triggers: Vec<Trigger>,
    pub fallback: Option<Fallback>,
}

/// A `keda.sh/v1alpha1` `ScaledObject`: the metadata the decision reads and the spec.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ScaledObject {
    pub name: String,
    pub namespace: String,
    pub annotations: BTreeMap<String, String>,
    pub spec: ScaledObjectSpec,
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

impl ScaledObject {
    pub(crate) fn polling_interval(&self) -> SimDuration {
        self.spec.polling_interval.unwrap_or(DEFAULT_POLLING_INTERVAL)
    }
    pub(crate) fn cooldown_period(&self) -> SimDuration {
        self.spec.cooldown_period.unwrap_or(DEFAULT_COOLDOWN_PERIOD)
    }
    pub(crate) fn initial_cooldown_period(&self) -> SimDuration {
        self.spec
            .initial_cooldown_period
            .unwrap_or(DEFAULT_INITIAL_COOLDOWN_PERIOD)
    }
    /// `minReplicaCount`, 0 when unset (the executor's reading).
    pub(crate) fn min_replica_count(&self) -> i32 {
        self.spec.min_replica_count.unwrap_or(0)
    }
    /// `GetHPAMinReplicas`: an HPA cannot go below 1, so 0 or unset becomes 1.
    pub(crate) fn hpa_min_replicas(&self) -> i32 {
        match self.spec.min_replica_count {
            Some(min) if min > 0 => min,
            _ => DEFAULT_HPA_MIN_REPLICAS,
        }
    }
    /// `GetHPAMaxReplicas`.
    pub(crate) fn hpa_max_replicas(&self) -> i32 {
        self.spec.max_replica_count.unwrap_or(DEFAULT_MAX_REPLICA_COUNT)
    }
    /// `getIdleOrMinimumReplicaCount`: where deactivation takes the target, and whether
    /// that is the idle count.
    pub(crate) fn idle_or_minimum_replica_count(&self) -> (bool, i32) {
        match self.spec.idle_replica_count {
            Some(idle) => (true, idle),
            None => (false, self.min_replica_count()),
        }
    }
    /// `getBoolAnnotation`: present and not a Go bool counts as true, as in KEDA.
    fn bool_annotation(&self, key: &str) -> bool {
        self.annotations
            .get(key)
            .map(|v| parse_go_bool(v).unwrap_or(true))
            .unwrap_or(false)
    }
    /// `NeedToBePausedByAnnotation`: `paused-replicas` (any value) or `paused` true.
    pub(crate) fn need_to_be_paused_by_annotation(&self) -> bool {
        self.annotations.contains_key(PAUSED_REPLICAS_ANNOTATION) || self.bool_annotation(PAUSED_ANNOTATION)
    }
    pub(crate) fn need_to_pause_scale_in(&self) -> bool {
        self.bool_annotation(PAUSED_SCALE_IN_ANNOTATION)
    }
    pub(crate) fn need_to_pause_scale_out(&self) -> bool {
        self.bool_annotation(PAUSED_SCALE_OUT_ANNOTATION)
    }
    pub(crate) fn need_to_force_activation(&self) -> bool {
        self.bool_annotation(FORCE_ACTIVATION_ANNOTATION)
    }
    /// `GetPausedReplicaCount`; the decoder has already refused a value that is not an
    /// int32, so here a bad value reads as "no count".
    pub(crate) fn paused_replica_count(&self) -> Option<i32> {
        self.annotations
            .get(PAUSED_REPLICAS_ANNOTATION)
            .and_then(|v| v.parse::<i32>().ok())
    }
    /// `getHpaName`: `keda-hpa-<name>` unless `advanced.horizontalPodAutoscalerConfig.name`.
    pub(crate) fn hpa_name(&self) -> String {
        match &self.spec.hpa_name {
            Some(name) if !name.is_empty() => name.clone(),
            _ => format!("keda-hpa-{}", self.name),
        }
    }
}

/// Why a `ScaledObject` manifest is refused: the field path, what is wrong, and the fix.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum DecodeError {
    #[error("`{path}` is required; {fix}")]
    Missing { path: String, fix: &'static str },
    #[error("`{path}` must be {expected}, not {found}; {fix}")]
    WrongType {
        path: String,
        expected: &'static str,
        found: String,
        fix: &'static str,
    },
    #[error("`{path}` is `{value}`, {problem}; {fix}")]
    Invalid {
        path: String,
        value: String,
        problem: &'static str,
        fix: &'static str,
    },
    #[error("`{path}` is trigger type `{kind}`, which is not simulated; use a `prometheus` trigger")]
    UnsupportedTrigger { path: String, kind: String },
    /// `CheckReplicaCountBoundsAreValid` and `CheckFallbackValid`, as the webhook refuses.
    #[error("admission webhook \"vscaledobject.kb.io\" denied the request: {message}; {fix}")]
    Webhook { message: String, fix: &'static str },
}

/// The JSON type of a value, for error messages.
pub(crate) fn json_type(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string \"{s}\""),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a map".into(),
    }
}

pub(crate) fn object<'a>(
    v: &'a Value,
    path: &str,
    fix: &'static str,
) -> Result<&'a serde_json::Map<String, Value>, DecodeError> {
    v.as_object().ok_or_else(|| DecodeError::WrongType {
        path: path.into(),
        expected: "a map",
        found: json_type(v),
        fix,
    })
}

pub(crate) fn string(v: &Value, path: &str, fix: &'static str) -> Result<String, DecodeError> {
    v.as_str().map(str::to_owned).ok_or_else(|| DecodeError::WrongType {
        path: path.into(),
        expected: "a string",
        found: json_type(v),
        fix,
    })
}

/// An optional int32 field: absent or null is `None`.
pub(crate) fn opt_i32(
    map: &serde_json::Map<String, Value>,
    parent: &str,
    key: &str,
    min: i32,
) -> Result<Option<i32>, DecodeError> {
    let path = format!("{parent}.{key}");
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            let n = v
                .as_i64()
                .filter(|n| i32::try_from(*n).is_ok())
                .ok_or_else(|| DecodeError::WrongType {
                    path: path.clone(),
                    expected: "an integer",
                    found: json_type(v),
                    fix: "write a whole number without quotes",
                })?;
            if n < i64::from(min) {
                return Err(DecodeError::Invalid {
                    path,
                    value: n.to_string(),
                    problem: if min == 0 {
                        "below the CRD's minimum of 0"
                    } else {
                        "below the CRD's minimum of 1"
                    },
                    fix: "use a larger value or remove the field for KEDA's default",
                });
            }
            Ok(Some(n as i32))
        }
    }
}

/// An optional count of seconds, as a `SimDuration` (bounded by `SimDuration::MAX`).
fn opt_seconds(
    map: &serde_json::Map<String, Value>,
    parent: &str,
    key: &str,
    min: i32,
) -> Result<Option<SimDuration>, DecodeError> {
    Ok(opt_i32(map, parent, key, min)?.map(|s| SimDuration::from_secs(s as u64).min(SimDuration::MAX)))
}

/// A trigger metadata value: KEDA's metadata is `map[string]string`, so a number is
/// written quoted (`'100'`); an unquoted JSON number is accepted too.
fn metadata_number(meta: &serde_json::Map<String, Value>, parent: &str, key: &str) -> Result<Option<f64>, DecodeError> {
    let path = format!("{parent}.{key}");
    match meta.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) => match s.trim().parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(DecodeError::Invalid {
                path,
                value: s.clone(),
                problem: "not a number",
                fix: "write a number such as '100' or '0.5'",
            }),
        },
        Some(v) => Err(DecodeError::WrongType {
            path,
            expected: "a number",
            found: json_type(v),
            fix: "write a number such as '100' or '0.5'",
        }),
    }
}

fn metadata_string(
    meta: &serde_json::Map<String, Value>,
    parent: &str,
    key: &str,
) -> Result<Option<String>, DecodeError> {
    match meta.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => string(v, &format!("{parent}.{key}"), "quote the value").map(Some),
    }
}

fn metadata_bool(meta: &serde_json::Map<String, Value>, parent: &str, key: &str) -> Result<Option<bool>, DecodeError> {
    let path = format!("{parent}.{key}");
    match meta.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) => parse_go_bool(s).map(Some).ok_or_else(|| DecodeError::Invalid {
            path,
            value: s.clone(),
            problem: "not a boolean",
            fix: "write 'true' or 'false'",
        }),
        Some(v) => Err(DecodeError::WrongType {
            path,
            expected: "a boolean",
            found: json_type(v),
            fix: "write 'true' or 'false'",
        }),
    }
}

/// The `prometheus` scaler's metadata (`prometheusMetadata` in `prometheus_scaler.go`).
fn decode_prometheus(meta: &serde_json::Map<String, Value>, parent: &str) -> Result<PrometheusMetadata, DecodeError> {
    let required = |key: &str| -> Result<String, DecodeError> {
        match metadata_string(meta, parent, key)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(DecodeError::Missing {
                path: format!("{parent}.{key}"),
                fix: "the prometheus scaler needs serverAddress, query and threshold",
            }),
        }
    };
    let server_address = required("serverAddress")?;
    let query = required("query")?;
    let threshold = metadata_number(meta, parent, "threshold")?.ok_or_else(|| DecodeError::Missing {
        path: format!("{parent}.threshold"),
        fix: "the prometheus scaler needs serverAddress, query and threshold",
    })?;
    Ok(PrometheusMetadata {
        server_address,
        query,
        threshold,
        activation_threshold: metadata_number(meta, parent, "activationThreshold")?.unwrap_or(0.0),
        ignore_null_values: metadata_bool(meta, parent, "ignoreNullValues")?.unwrap_or(true),
        namespace: metadata_string(meta, parent, "namespace")?,
    })
}

fn decode_trigger(v: &Value, path: &str) -> Result<Trigger, DecodeError> {
    let map = object(v, path, "each trigger is a map with `type` and `metadata`")?;
    let kind = match map.get("type") {
        Some(t) => string(t, &format!("{path}.type"), "name the scaler, e.g. `type: prometheus`")?,
        None => {
            return Err(DecodeError::Missing {
                path: format!("{path}.type"),
                fix: "name the scaler, e.g. `type: prometheus`",
            })
        }
    };
    if kind != "prometheus" {
        return Err(DecodeError::UnsupportedTrigger {
            path: format!("{path}.type"),
            kind,
        });
    }
    let metric_type = match map.get("metricType") {
        None | Some(Value::Null) => MetricTargetType::AverageValue,
        Some(v) => match string(v, &format!("{path}.metricType"), "use AverageValue or Value")?.as_str() {
            "" | "AverageValue" => MetricTargetType::AverageValue,
            "Value" => MetricTargetType::Value,
            other => {
                return Err(DecodeError::Invalid {
                    path: format!("{path}.metricType"),
                    value: other.into(),
                    problem: "not a target type for an External metric",
                    fix: "use AverageValue (the default) or Value; Utilization is for cpu/memory only",
                })
            }
        },
    };
    let name = match map.get("name") {
        None | Some(Value::Null) => None,
        Some(v) => Some(string(v, &format!("{path}.name"), "quote the name")?).filter(|n| !n.is_empty()),
    };
    let meta_path = format!("{path}.metadata");
    let meta = match map.get("metadata") {
        Some(m) => object(m, &meta_path, "metadata is a map of strings")?,
        None => {
            return Err(DecodeError::Missing {
                path: meta_path,
                fix: "the prometheus scaler needs serverAddress, query and threshold",
            })
        }
    };
    Ok(Trigger {
        name,
        metric_type,
        scaler: Scaler::Prometheus(decode_prometheus(meta, &meta_path)?),
    })
}

pub(crate) fn decode_rules(v: &Value, path: &str) -> Result<ScalingRules, DecodeError> {
    let map = object(v, path, "see HPAScalingRules")?;
    let select_policy = match map.get("selectPolicy") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            match string(v, &format!("{path}.selectPolicy"), "use Max, Min or Disabled")?.as_str() {
                "Max" => SelectPolicy::Max,
                "Min" => SelectPolicy::Min,
                "Disabled" => SelectPolicy::Disabled,
                other => {
                    return Err(DecodeError::Invalid {
                        path: format!("{path}.selectPolicy"),
                        value: other.into(),
                        problem: "not a select policy",
                        fix: "use Max, Min or Disabled",
                    })
                }
            },
        ),
    };
    let policies = match map.get("policies") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let list = v.as_array().ok_or_else(|| DecodeError::WrongType {
                path: format!("{path}.policies"),
                expected: "a list",
                found: json_type(v),
                fix: "list policies as `- type: Pods, value: 4, periodSeconds: 60`",
            })?;
            let mut out = Vec::new();
            for (i, p) in list.iter().enumerate() {
                let ppath = format!("{path}.policies[{i}]");
                let pmap = object(p, &ppath, "a policy has type, value and periodSeconds")?;
                let kind = match pmap.get("type").and_then(Value::as_str) {
                    Some("Pods") => ScalingPolicyType::Pods,
                    Some("Percent") => ScalingPolicyType::Percent,
                    _ => {
                        return Err(DecodeError::Invalid {
                            path: format!("{ppath}.type"),
                            value: pmap.get("type").map(json_type).unwrap_or_else(|| "missing".into()),
                            problem: "not a policy type",
                            fix: "use Pods or Percent",
                        })
                    }
                };
                let value = opt_i32(pmap, &ppath, "value", 1)?.ok_or_else(|| DecodeError::Missing {
                    path: format!("{ppath}.value"),
                    fix: "give the number of pods or the percent",
                })?;
                let period_seconds =
                    opt_i32(pmap, &ppath, "periodSeconds", 1)?.ok_or_else(|| DecodeError::Missing {
                        path: format!("{ppath}.periodSeconds"),
                        fix: "give the policy's period in seconds (1 to 1800)",
                    })?;
                out.push(ScalingPolicy {
                    kind,
                    value,
                    period_seconds,
                });
            }
            Some(out)
        }
    };
    Ok(ScalingRules {
        stabilization_window_seconds: opt_i32(map, path, "stabilizationWindowSeconds", 0)?,
        select_policy,
        policies,
        tolerance: metadata_number(map, path, "tolerance")?,
    })
}

fn decode_fallback(v: &Value, path: &str) -> Result<Fallback, DecodeError> {
    let map = object(v, path, "fallback has failureThreshold and replicas")?;
    let failure_threshold = opt_i32(map, path, "failureThreshold", i32::MIN)?.ok_or_else(|| DecodeError::Missing {
        path: format!("{path}.failureThreshold"),
        fix: "give the number of consecutive failures before falling back",
    })?;
    let replicas = opt_i32(map, path, "replicas", i32::MIN)?.ok_or_else(|| DecodeError::Missing {
        path: format!("{path}.replicas"),
        fix: "give the replica count to fall back to",
    })?;
    let behavior = match map.get("behavior") {
        None | Some(Value::Null) => FallbackBehavior::Static,
        Some(b) => match string(b, &format!("{path}.behavior"), "use static, currentReplicas, currentReplicasIfHigher or currentReplicasIfLower")?.as_str() {
            "" | "static" => FallbackBehavior::Static,
            "currentReplicas" => FallbackBehavior::CurrentReplicas,
            "currentReplicasIfHigher" => FallbackBehavior::CurrentReplicasIfHigher,
            "currentReplicasIfLower" => FallbackBehavior::CurrentReplicasIfLower,
            other => {
                return Err(DecodeError::Invalid {
                    path: format!("{path}.behavior"),
                    value: other.into(),
                    problem: "not a simulated fallback behavior",
                    fix: "use static, currentReplicas, currentReplicasIfHigher or currentReplicasIfLower (scalingModifiers is not simulated)",
                })
            }
        },
    };
    Ok(Fallback {
        failure_threshold,
        replicas,
        behavior,
    })
}

/// Decodes a `keda.sh/v1alpha1` `ScaledObject` manifest, defaulting as KEDA does and
/// refusing what its CRD schema or webhook refuses.
pub(crate) fn decode_scaled_object(manifest: &Value) -> Result<ScaledObject, DecodeError> {
    let root = object(manifest, "", "a ScaledObject manifest is a map")?;
    let api_version = root.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    let kind = root.get("kind").and_then(Value::as_str).unwrap_or_default();
    if api_version != "keda.sh/v1alpha1" || kind != "ScaledObject" {
        return Err(DecodeError::Invalid {
            path: "apiVersion/kind".into(),
            value: format!("{api_version}/{kind}"),
            problem: "not a KEDA ScaledObject",
            fix: "use `apiVersion: keda.sh/v1alpha1` and `kind: ScaledObject`",
        });
    }
    let meta = match root.get("metadata") {
        Some(m) => object(m, "metadata", "metadata is a map with name")?,
        None => {
            return Err(DecodeError::Missing {
                path: "metadata.name".into(),
                fix: "name the ScaledObject",
            })
        }
    };
    let name = match meta.get("name") {
        Some(n) => string(n, "metadata.name", "name the ScaledObject")?,
        None => {
            return Err(DecodeError::Missing {
                path: "metadata.name".into(),
                fix: "name the ScaledObject",
            })
        }
    };
    let namespace = match meta.get("namespace") {
        Some(n) => string(n, "metadata.namespace", "quote the namespace")?,
        None => "default".into(),
    };
    let mut annotations = BTreeMap::new();
    if let Some(a) = meta.get("annotations") {
        for (k, v) in object(a, "metadata.annotations", "annotations are a map of strings")? {
            annotations.insert(
                k.clone(),
                string(
                    v,
                    &format!("metadata.annotations.{k}"),
                    "annotation values are strings; quote it",
                )?,
            );
        }
    }
    if let Some(v) = annotations.get(PAUSED_REPLICAS_ANNOTATION) {
        if v.parse::<i32>().is_err() {
            return Err(DecodeError::Invalid {
                path: format!("metadata.annotations.{PAUSED_REPLICAS_ANNOTATION}"),
                value: v.clone(),
                problem: "not an integer replica count",
                fix: "write the count to hold the target at, e.g. '0'",
            });
        }
    }

    let spec = match root.get("spec") {
        Some(s) => object(s, "spec", "spec is a map")?,
        None => {
            return Err(DecodeError::Missing {
                path: "spec".into(),
                fix: "give scaleTargetRef and triggers",
            })
        }
    };
    let target_map = match spec.get("scaleTargetRef") {
        Some(t) => object(t, "spec.scaleTargetRef", "scaleTargetRef is a map with name")?,
        None => {
            return Err(DecodeError::Missing {
                path: "spec.scaleTargetRef".into(),
                fix: "name the Deployment to scale",
            })
        }
    };
    let target_field = |key: &str, default: &str| -> Result<String, DecodeError> {
        match target_map.get(key) {
            None | Some(Value::Null) => Ok(default.into()),
            Some(v) => Ok(Some(string(v, &format!("spec.scaleTargetRef.{key}"), "quote it")?)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| default.into())),
        }
    };
    let target_name = target_field("name", "")?;
    if target_name.is_empty() {
        return Err(DecodeError::Missing {
            path: "spec.scaleTargetRef.name".into(),
            fix: "name the Deployment to scale",
        });
    }
    let scale_target_ref = ScaleTargetRef {
        name: target_name,
        api_version: target_field("apiVersion", "apps/v1")?,
        kind: target_field("kind", "Deployment")?,
    };

    let mut hpa_name = None;
    let mut behavior = None;
    if let Some(adv) = spec.get("advanced") {
        let adv = object(adv, "spec.advanced", "advanced is a map")?;
        if adv.get("scalingModifiers").is_some_and(|m| !m.is_null()) {
            return Err(DecodeError::Invalid {
                path: "spec.advanced.scalingModifiers".into(),
                value: "set".into(),
                problem: "not simulated",
                fix: "remove scalingModifiers; each trigger then gets its own External metric",
            });
        }
        if let Some(cfg) = adv.get("horizontalPodAutoscalerConfig") {
            let path = "spec.advanced.horizontalPodAutoscalerConfig";
            let cfg = object(cfg, path, "a map with name and behavior")?;
            if let Some(n) = cfg.get("name") {
                hpa_name = Some(string(n, &format!("{path}.name"), "quote the HPA's name")?).filter(|n| !n.is_empty());
            }
            if let Some(b) = cfg.get("behavior") {
                let bpath = format!("{path}.behavior");
                let b = object(b, &bpath, "behavior has scaleUp and scaleDown")?;
                let rules = |key: &str| -> Result<Option<ScalingRules>, DecodeError> {
                    match b.get(key) {
                        None | Some(Value::Null) => Ok(None),
                        Some(r) => decode_rules(r, &format!("{bpath}.{key}")).map(Some),
                    }
                };
                behavior = Some(BehaviorSpec {
                    scale_up: rules("scaleUp")?,
                    scale_down: rules("scaleDown")?,
                });
            }
        }
    }

    let triggers_value = spec.get("triggers").ok_or_else(|| DecodeError::Missing {
        path: "spec.triggers".into(),
        fix: "add at least one trigger, e.g. a `prometheus` trigger",
    })?;
    let list = triggers_value.as_array().ok_or_else(|| DecodeError::WrongType {
        path: "spec.triggers".into(),
        expected: "a list",
        found: json_type(triggers_value),
        fix: "list the triggers under `triggers:`",
    })?;
    if list.is_empty() {
        return Err(DecodeError::Missing {
            path: "spec.triggers[0]".into(),
            fix: "add at least one trigger, e.g. a `prometheus` trigger",
        });
    }
    let triggers = list
        .iter()
        .enumerate()
        .map(|(i, t)| decode_trigger(t, &format!("spec.triggers[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;

    let fallback = match spec.get("fallback") {
        None | Some(Value::Null) => None,
        Some(f) => Some(decode_fallback(f, "spec.fallback")?),
    };

    let so = ScaledObject {
        name,
        namespace,
        annotations,
        spec: ScaledObjectSpec {
            scale_target_ref,
            polling_interval: opt_seconds(spec, "spec", "pollingInterval", 1)?,
            initial_cooldown_period: opt_seconds(spec, "spec", "initialCooldownPeriod", 0)?,
            cooldown_period: opt_seconds(spec, "spec", "cooldownPeriod", 0)?,
            idle_replica_count: opt_i32(spec, "spec", "idleReplicaCount", 0)?,
            min_replica_count: opt_i32(spec, "spec", "minReplicaCount", 0)?,
            max_replica_count: opt_i32(spec, "spec", "maxReplicaCount", 0)?,
            hpa_name,
            behavior,
            triggers,
            fallback,
        },
    };
    check_replica_count_bounds_are_valid(&so)?;
    check_fallback_valid(&so)?;
    Ok(so)
}

/// `CheckReplicaCountBoundsAreValid`: min ≤ max, and an idle count strictly below min —
/// so `idleReplicaCount` needs a `minReplicaCount` of at least 1 (an unset min reads 0,
/// a set one as the HPA's floor).
pub(crate) fn check_replica_count_bounds_are_valid(so: &ScaledObject) -> Result<(), DecodeError> {
    let min = if so.spec.min_replica_count.is_some() {
        so.hpa_min_replicas()
    } else {
        0
    };
    let max = so.hpa_max_replicas();
    if min > max {
        return Err(DecodeError::Webhook {
            message: format!("MinReplicaCount={min} must be less than MaxReplicaCount={max}"),
            fix: "raise spec.maxReplicaCount or lower spec.minReplicaCount",
        });
    }
    if let Some(idle) = so.spec.idle_replica_count {
        if idle >= min {
            return Err(DecodeError::Webhook {
                message: format!("IdleReplicaCount={idle} must be less than MinReplicaCount={min}"),
                fix: "set spec.minReplicaCount above spec.idleReplicaCount (idle is usually 0)",
            });
        }
    }
    Ok(())
}

/// `CheckFallbackValid`: both numbers ≥ 0. (KEDA's further rule, a non-cpu/memory
/// trigger, always holds here: every trigger is `prometheus`.)
pub(crate) fn check_fallback_valid(so: &ScaledObject) -> Result<(), DecodeError> {
    if let Some(f) = so.spec.fallback {
        if f.failure_threshold < 0 || f.replicas < 0 {
            return Err(DecodeError::Webhook {
                message: format!(
                    "FailureThreshold={} & Replicas={} must both be greater than or equal to 0",
                    f.failure_threshold, f.replicas
                ),
                fix: "set spec.fallback.failureThreshold and spec.fallback.replicas to 0 or more",
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! `TestCheckReplicaCountBoundsAreValid`, `TestCheckFallbackValid`,
    //! `TestNeedToBePausedByAnnotation` and `TestGetPausedReplicaCount`
    //! (`scaledobject_types_test.go`), and the decoder's own errors.
    use super::*;
    use serde_json::json;

    fn manifest(extra: Value) -> Value {
        let mut spec = json!({
            "scaleTargetRef": {"name": "vllm"},
            "triggers": [{"type": "prometheus", "metadata": {
                "serverAddress": "http://prom:9090", "query": "sum(q)", "threshold": "10"}}]
        });
        for (k, v) in extra.as_object().unwrap() {
            spec[k] = v.clone();
        }
        json!({"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
               "metadata": {"name": "chat"}, "spec": spec})
    }

    #[test]
    fn defaults() {
        let so = decode_scaled_object(&manifest(json!({}))).unwrap();
        assert_eq!(so.namespace, "default");
        assert_eq!(so.spec.scale_target_ref.api_version, "apps/v1");
        assert_eq!(so.spec.scale_target_ref.kind, "Deployment");
        assert_eq!(so.polling_interval(), SimDuration(30_000));
        assert_eq!(so.cooldown_period(), SimDuration(300_000));
        assert_eq!(so.initial_cooldown_period(), SimDuration::ZERO);
        assert_eq!(so.min_replica_count(), 0);
        assert_eq!(so.hpa_min_replicas(), 1);
        assert_eq!(so.hpa_max_replicas(), 100);
        assert_eq!(so.idle_or_minimum_replica_count(), (false, 0));
        assert_eq!(so.hpa_name(), "keda-hpa-chat");
        assert_eq!(so.spec.fallback, None);
        let Scaler::Prometheus(meta) = &so.spec.triggers[0].scaler;
        assert_eq!(meta.threshold, 10.0);
        assert_eq!(meta.activation_threshold, 0.0);
        assert!(meta.ignore_null_values);
        assert_eq!(so.spec.triggers[0].metric_type, MetricTargetType::AverageValue);
    }

    #[test]
    fn check_replica_count_bounds_are_valid() {
        let cases = [
            (
                "Valid: min 1, max 5, no idle",
                json!({"minReplicaCount": 1, "maxReplicaCount": 5}),
                None,
            ),
            (
                "Valid: min 1, max 5, idle 0",
                json!({"minReplicaCount": 1, "maxReplicaCount": 5, "idleReplicaCount": 0}),
                None,
            ),
            (
                "Invalid: min 2 > max 1",
                json!({"minReplicaCount": 2, "maxReplicaCount": 1}),
                Some("MinReplicaCount=2 must be less than MaxReplicaCount=1"),
            ),
            (
                "Invalid: idle 1 == min 1",
                json!({"minReplicaCount": 1, "maxReplicaCount": 5, "idleReplicaCount": 1}),
                Some("IdleReplicaCount=1 must be less than MinReplicaCount=1"),
            ),
            (
                "Invalid: idle 0 without min",
                json!({"idleReplicaCount": 0}),
                Some("IdleReplicaCount=0 must be less than MinReplicaCount=0"),
            ),
            (
                "Invalid: min above the default max",
                json!({"minReplicaCount": 101}),
                Some("MinReplicaCount=101 must be less than MaxReplicaCount=100"),
            ),
        ];
        for (name, extra, want) in cases {
            let got = decode_scaled_object(&manifest(extra));
            match want {
                None => assert!(got.is_ok(), "{name}: {got:?}"),
                Some(text) => {
                    let err = got.expect_err(name);
                    assert!(matches!(err, DecodeError::Webhook { .. }), "{name}");
                    assert!(err.to_string().contains(text), "{name}: {err}");
                }
            }
        }
    }

    #[test]
    fn check_fallback_valid() {
        let ok = decode_scaled_object(&manifest(
            json!({"fallback": {"failureThreshold": 3, "replicas": 6, "behavior": "currentReplicasIfHigher"}}),
        ))
        .unwrap();
        assert_eq!(
            ok.spec.fallback,
            Some(Fallback {
                failure_threshold: 3,
                replicas: 6,
                behavior: FallbackBehavior::CurrentReplicasIfHigher
            })
        );
        let err =
            decode_scaled_object(&manifest(json!({"fallback": {"failureThreshold": -1, "replicas": 6}}))).unwrap_err();
        assert!(err
            .to_string()
            .contains("FailureThreshold=-1 & Replicas=6 must both be greater than or equal to 0"));
        let err = decode_scaled_object(&manifest(json!({"fallback": {"replicas": 6}}))).unwrap_err();
        assert_eq!(
            err,
            DecodeError::Missing {
                path: "spec.fallback.failureThreshold".into(),
                fix: "give the number of consecutive failures before falling back"
            }
        );
    }

    #[test]
    fn decoder_errors_name_the_field() {
        let prom = |meta: Value| json!({"triggers": [{"type": "prometheus", "metadata": meta}]});
        let cases = [
            (
                prom(json!({"serverAddress": "http://p", "query": "q", "threshold": "ten"})),
                "`spec.triggers[0].metadata.threshold` is `ten`, not a number",
            ),
            (
                prom(json!({"serverAddress": "http://p", "query": "q", "threshold": true})),
                "`spec.triggers[0].metadata.threshold` must be a number",
            ),
            (
                prom(json!({"serverAddress": "http://p", "query": "q"})),
                "`spec.triggers[0].metadata.threshold` is required",
            ),
            (
                prom(json!({"query": "q", "threshold": "1"})),
                "`spec.triggers[0].metadata.serverAddress` is required",
            ),
            (
                prom(json!({"serverAddress": "http://p", "query": "q", "threshold": "1", "activationThreshold": "x"})),
                "`spec.triggers[0].metadata.activationThreshold` is `x`, not a number",
            ),
            (
                json!({"triggers": [{"type": "kafka", "metadata": {}}]}),
                "`spec.triggers[0].type` is trigger type `kafka`, which is not simulated; use a `prometheus` trigger",
            ),
            (
                json!({"triggers": [{"type": "prometheus", "metricType": "Utilization",
                    "metadata": {"serverAddress": "http://p", "query": "q", "threshold": "1"}}]}),
                "`spec.triggers[0].metricType` is `Utilization`",
            ),
            (json!({"triggers": []}), "`spec.triggers[0]` is required"),
            (
                json!({"minReplicaCount": "2"}),
                "`spec.minReplicaCount` must be an integer, not the string \"2\"",
            ),
            (
                json!({"pollingInterval": 0}),
                "`spec.pollingInterval` is `0`, below the CRD's minimum of 1",
            ),
            (json!({"scaleTargetRef": {}}), "`spec.scaleTargetRef.name` is required"),
        ];
        for (extra, want) in cases {
            let err = decode_scaled_object(&manifest(extra.clone())).expect_err(&extra.to_string());
            assert!(err.to_string().contains(want), "{extra}: {err}");
        }
        let wrong_kind = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler"});
        assert!(decode_scaled_object(&wrong_kind)
            .unwrap_err()
            .to_string()
            .contains("use `apiVersion: keda.sh/v1alpha1` and `kind: ScaledObject`"));
    }

    #[test]
    fn metadata_numbers_quoted_or_not_and_booleans() {
        let so = decode_scaled_object(&manifest(
            json!({"triggers": [{"type": "prometheus", "metricType": "Value",
            "metadata": {"serverAddress": "http://p", "query": "q", "threshold": 2.5,
                         "activationThreshold": "0.5", "ignoreNullValues": "false"}}]}),
        ))
        .unwrap();
        let Scaler::Prometheus(meta) = &so.spec.triggers[0].scaler;
        assert_eq!((meta.threshold, meta.activation_threshold), (2.5, 0.5));
        assert!(!meta.ignore_null_values);
        assert_eq!(so.spec.triggers[0].metric_type, MetricTargetType::Value);
    }

    #[test]
    fn need_to_be_paused_by_annotation_and_get_paused_replica_count() {
        let with = |annotations: Value| {
            let mut m = manifest(json!({}));
            m["metadata"]["annotations"] = annotations;
            decode_scaled_object(&m)
        };
        // (annotations, paused, paused count)
        let cases = [
            (json!({}), false, None),
            (json!({"autoscaling.keda.sh/paused": "true"}), true, None),
            (json!({"autoscaling.keda.sh/paused": "false"}), false, None),
            // Not a Go bool: KEDA reads it as true.
            (json!({"autoscaling.keda.sh/paused": "yes"}), true, None),
            (json!({"autoscaling.keda.sh/paused-replicas": "0"}), true, Some(0)),
            // paused-replicas wins over paused: false.
            (
                json!({"autoscaling.keda.sh/paused": "false", "autoscaling.keda.sh/paused-replicas": "2"}),
                true,
                Some(2),
            ),
        ];
        for (annotations, paused, count) in cases {
            let so = with(annotations.clone()).unwrap();
            assert_eq!(so.need_to_be_paused_by_annotation(), paused, "{annotations}");
            assert_eq!(so.paused_replica_count(), count, "{annotations}");
        }
        let err = with(json!({"autoscaling.keda.sh/paused-replicas": "two"})).unwrap_err();
        assert!(err
            .to_string()
            .contains("`metadata.annotations.autoscaling.keda.sh/paused-replicas` is `two`"));
    }
}
