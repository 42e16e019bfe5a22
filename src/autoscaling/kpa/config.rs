//! What the KPA decides with: the `config-autoscaler` ConfigMap
//! (`pkg/autoscaler/config/config.go`, its defaults and `validate`), a revision's
//! `autoscaling.knative.dev/*` annotations (`pkg/apis/autoscaling/register.go`, validated
//! as `annotation_validation.go` does), and the two resolved together into the
//! `DeciderSpec` (`MakeDecider`, `ResolveMetricTarget`).
//!
//! Per-revision annotations override the cluster-wide ConfigMap; the rates, the grace
//! period, the default targets and `enable-scale-to-zero` exist only in the ConfigMap.

use std::collections::BTreeMap;

use super::aggregation::AggregationAlgorithm;
use super::BUCKET_SIZE;
use crate::units::SimDuration;

/// `GroupName`: the prefix of every KPA annotation.
#[allow(dead_code)]
pub(crate) const GROUP_NAME: &str = "autoscaling.knative.dev";

/// The annotation keys, after `register.go`'s `*AnnotationKey` constants (current,
/// kebab-case spellings).
pub(crate) mod annotation {
    pub(crate) const CLASS: &str = "autoscaling.knative.dev/class";
    pub(crate) const METRIC: &str = "autoscaling.knative.dev/metric";
    pub(crate) const TARGET: &str = "autoscaling.knative.dev/target";
    pub(crate) const TARGET_UTILIZATION_PERCENTAGE: &str = "autoscaling.knative.dev/target-utilization-percentage";
    pub(crate) const WINDOW: &str = "autoscaling.knative.dev/window";
    pub(crate) const PANIC_WINDOW_PERCENTAGE: &str = "autoscaling.knative.dev/panic-window-percentage";
    pub(crate) const PANIC_THRESHOLD_PERCENTAGE: &str = "autoscaling.knative.dev/panic-threshold-percentage";
    pub(crate) const MIN_SCALE: &str = "autoscaling.knative.dev/min-scale";
    pub(crate) const MAX_SCALE: &str = "autoscaling.knative.dev/max-scale";
    pub(crate) const INITIAL_SCALE: &str = "autoscaling.knative.dev/initial-scale";
    pub(crate) const ACTIVATION_SCALE: &str = "autoscaling.knative.dev/activation-scale";
    pub(crate) const SCALE_DOWN_DELAY: &str = "autoscaling.knative.dev/scale-down-delay";
    pub(crate) const SCALE_TO_ZERO_POD_RETENTION_PERIOD: &str =
        "autoscaling.knative.dev/scale-to-zero-pod-retention-period";
    pub(crate) const TARGET_BURST_CAPACITY: &str = "autoscaling.knative.dev/target-burst-capacity";
    pub(crate) const METRIC_AGGREGATION_ALGORITHM: &str = "autoscaling.knative.dev/metric-aggregation-algorithm";
}

/// `KPA`: the class value of the Knative Pod Autoscaler (the default class).
pub(crate) const KPA_CLASS: &str = "kpa.autoscaling.knative.dev";
/// `TargetMin`: the smallest target; small container concurrencies times small
/// utilizations can go below 1, but not to zero.
pub(crate) const TARGET_MIN: f64 = 0.01;
/// `WindowMin`: the autoscaler ticks every 2s, so a shorter stable window would let the
/// panic window miss data points entirely.
pub(crate) const WINDOW_MIN: SimDuration = SimDuration(6_000);
/// `WindowMax`: keeps the event horizon reasonable; also bounds the scale-down delay and
/// the last-pod retention.
pub(crate) const WINDOW_MAX: SimDuration = SimDuration(3_600_000);
pub(crate) const PANIC_WINDOW_PERCENTAGE_MIN: f64 = 1.0;
pub(crate) const PANIC_WINDOW_PERCENTAGE_MAX: f64 = 100.0;
/// `PanicThresholdPercentageMin`: a threshold as low as the target would panic forever,
/// and panic never scales down.
pub(crate) const PANIC_THRESHOLD_PERCENTAGE_MIN: f64 = 110.0;
pub(crate) const PANIC_THRESHOLD_PERCENTAGE_MAX: f64 = 1000.0;

/// `autoscaling.knative.dev/metric` for the KPA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum ScalingMetric {
    /// `concurrency`: requests in flight.
    #[default]
    Concurrency,
    /// `rps`: requests per second.
    Rps,
}

/// A ConfigMap key or annotation that does not hold an accepted value, named as Knative
/// names it, with the range its validation accepts.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum KpaConfigError {
    #[error("invalid value {value:?}: {key}")]
    Invalid { key: String, value: String },
    #[error("expected {range} for {key}, got {value:?}")]
    OutOfBounds { key: String, value: String, range: String },
    #[error("{key}: {message}")]
    Generic { key: String, message: String },
}

fn invalid(key: &str, value: &str) -> KpaConfigError {
    KpaConfigError::Invalid {
        key: key.to_string(),
        value: value.to_string(),
    }
}
fn out_of_bounds(key: &str, value: &str, range: impl Into<String>) -> KpaConfigError {
    KpaConfigError::OutOfBounds {
        key: key.to_string(),
        value: value.to_string(),
        range: range.into(),
    }
}
fn generic(key: &str, message: impl Into<String>) -> KpaConfigError {
    KpaConfigError::Generic {
        key: key.to_string(),
        message: message.into(),
    }
}

fn parse_f64(key: &str, v: &str) -> Result<f64, KpaConfigError> {
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .ok_or_else(|| invalid(key, v))
}
#[allow(dead_code)] // `config-autoscaler` is not read yet (its defaults apply)
fn parse_i32(key: &str, v: &str) -> Result<i32, KpaConfigError> {
    v.trim().parse::<i32>().map_err(|_| invalid(key, v))
}
#[allow(dead_code)] // `config-autoscaler` is not read yet (its defaults apply)
fn parse_bool(key: &str, v: &str) -> Result<bool, KpaConfigError> {
    // `strconv.ParseBool`'s spellings.
    match v.trim() {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(invalid(key, v)),
    }
}
/// A Go duration; a negative one (which `SimDuration` cannot hold) reads as invalid.
fn parse_duration(key: &str, v: &str) -> Result<SimDuration, KpaConfigError> {
    SimDuration::parse(v).map_err(|_| invalid(key, v))
}
fn whole_seconds(d: SimDuration) -> bool {
    d.0.is_multiple_of(1000)
}

/// The `config-autoscaler` ConfigMap (`autoscalerconfig.Config`), with its defaults.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KpaConfig {
    pub enable_scale_to_zero: bool,
    /// `container-concurrency-target-percentage` as a fraction (default 0.7).
    pub container_concurrency_target_fraction: f64,
    pub container_concurrency_target_default: f64,
    /// The utilization for metrics other than concurrency (0.7; not a ConfigMap key).
    pub target_utilization: f64,
    pub rps_target_default: f64,
    pub max_scale_up_rate: f64,
    pub max_scale_down_rate: f64,
    /// -1: the activator always stays in the path; 0: only when scaled to zero.
    pub target_burst_capacity: f64,
    pub panic_window_percentage: f64,
    pub activator_capacity: f64,
    pub panic_threshold_percentage: f64,
    pub stable_window: SimDuration,
    pub scale_to_zero_grace_period: SimDuration,
    pub scale_to_zero_pod_retention_period: SimDuration,
    pub scale_down_delay: SimDuration,
    pub allow_zero_initial_scale: bool,
    pub initial_scale: i32,
    /// 0: unlimited.
    pub max_scale: i32,
    pub max_scale_limit: i32,
}

impl Default for KpaConfig {
    /// `defaultConfig()`.
    fn default() -> Self {
        KpaConfig {
            enable_scale_to_zero: true,
            container_concurrency_target_fraction: 0.7,
            container_concurrency_target_default: 100.0,
            target_utilization: 0.7,
            rps_target_default: 200.0,
            max_scale_up_rate: 1000.0,
            max_scale_down_rate: 2.0,
            target_burst_capacity: 200.0,
            panic_window_percentage: 10.0,
            activator_capacity: 100.0,
            panic_threshold_percentage: 200.0,
            stable_window: SimDuration::from_secs(60),
            scale_to_zero_grace_period: SimDuration::from_secs(30),
            scale_to_zero_pod_retention_period: SimDuration::ZERO,
            scale_down_delay: SimDuration::ZERO,
            allow_zero_initial_scale: false,
            initial_scale: 1,
            max_scale: 0,
            max_scale_limit: 0,
        }
    }
}

// A scenario cannot give a `config-autoscaler` ConfigMap yet (its defaults apply); the
// parser and validation are kept with their tests for when it can.
#[allow(dead_code)]
impl KpaConfig {
    /// `NewConfigFromMap`: the defaults overridden by the ConfigMap's `data`, then
    /// `validate`. Unknown keys are ignored, as `cm.Parse` does.
    pub(crate) fn from_config_map(data: &BTreeMap<String, String>) -> Result<KpaConfig, KpaConfigError> {
        let mut c = KpaConfig::default();
        for (k, v) in data {
            let k = k.as_str();
            match k {
                "enable-scale-to-zero" => c.enable_scale_to_zero = parse_bool(k, v)?,
                "allow-zero-initial-scale" => c.allow_zero_initial_scale = parse_bool(k, v)?,
                "max-scale-up-rate" => c.max_scale_up_rate = parse_f64(k, v)?,
                "max-scale-down-rate" => c.max_scale_down_rate = parse_f64(k, v)?,
                "container-concurrency-target-percentage" => c.container_concurrency_target_fraction = parse_f64(k, v)?,
                "container-concurrency-target-default" => c.container_concurrency_target_default = parse_f64(k, v)?,
                "requests-per-second-target-default" => c.rps_target_default = parse_f64(k, v)?,
                "target-burst-capacity" => c.target_burst_capacity = parse_f64(k, v)?,
                "panic-window-percentage" => c.panic_window_percentage = parse_f64(k, v)?,
                "activator-capacity" => c.activator_capacity = parse_f64(k, v)?,
                "panic-threshold-percentage" => c.panic_threshold_percentage = parse_f64(k, v)?,
                "initial-scale" => c.initial_scale = parse_i32(k, v)?,
                "max-scale" => c.max_scale = parse_i32(k, v)?,
                "max-scale-limit" => c.max_scale_limit = parse_i32(k, v)?,
                "stable-window" => c.stable_window = parse_duration(k, v)?,
                "scale-down-delay" => c.scale_down_delay = parse_duration(k, v)?,
                "scale-to-zero-grace-period" => c.scale_to_zero_grace_period = parse_duration(k, v)?,
                "scale-to-zero-pod-retention-period" => c.scale_to_zero_pod_retention_period = parse_duration(k, v)?,
                _ => {}
            }
        }
        // Legacy: a value in (0, 1] is already a fraction; above 1 it is a percentage.
        if c.container_concurrency_target_fraction > 1.0 {
            c.container_concurrency_target_fraction /= 100.0;
        }
        c.validate()?;
        Ok(c)
    }

    /// `validate`.
    fn validate(&self) -> Result<(), KpaConfigError> {
        let v = |x: f64| x.to_string();
        if self.scale_to_zero_grace_period < WINDOW_MIN {
            return Err(out_of_bounds(
                "scale-to-zero-grace-period",
                &format!("{}ms", self.scale_to_zero_grace_period.0),
                "at least 6s",
            ));
        }
        if !whole_seconds(self.scale_down_delay) {
            return Err(generic(
                "scale-down-delay",
                "must be specified with at most second precision",
            ));
        }
        if self.target_burst_capacity < 0.0 && self.target_burst_capacity != -1.0 {
            return Err(out_of_bounds(
                "target-burst-capacity",
                &v(self.target_burst_capacity),
                "non-negative or -1 (for unlimited)",
            ));
        }
        let f = self.container_concurrency_target_fraction;
        if f <= 0.0 || f > 1.0 {
            return Err(out_of_bounds(
                "container-concurrency-target-percentage",
                &v(f),
                "(0, 100]",
            ));
        }
        if f * self.container_concurrency_target_default < TARGET_MIN {
            return Err(out_of_bounds(
                "container-concurrency-target-default",
                &v(self.container_concurrency_target_default),
                "a target concurrency (times the percentage) of at least 0.01",
            ));
        }
        if self.rps_target_default < TARGET_MIN {
            return Err(out_of_bounds(
                "requests-per-second-target-default",
                &v(self.rps_target_default),
                "at least 0.01",
            ));
        }
        if self.activator_capacity < 1.0 {
            return Err(out_of_bounds(
                "activator-capacity",
                &v(self.activator_capacity),
                "at least 1",
            ));
        }
        if self.max_scale_up_rate <= 1.0 {
            return Err(out_of_bounds(
                "max-scale-up-rate",
                &v(self.max_scale_up_rate),
                "greater than 1.0",
            ));
        }
        if self.max_scale_down_rate <= 1.0 {
            return Err(out_of_bounds(
                "max-scale-down-rate",
                &v(self.max_scale_down_rate),
                "greater than 1.0",
            ));
        }
        if self.stable_window < WINDOW_MIN || self.stable_window > WINDOW_MAX {
            return Err(out_of_bounds(
                "stable-window",
                &format!("{}ms", self.stable_window.0),
                "[6s; 1h]",
            ));
        }
        if !whole_seconds(self.stable_window) {
            return Err(generic(
                "stable-window",
                "must be specified with at most second precision",
            ));
        }
        let p = self.panic_window_percentage;
        if !(PANIC_WINDOW_PERCENTAGE_MIN..=PANIC_WINDOW_PERCENTAGE_MAX).contains(&p) {
            return Err(out_of_bounds("panic-window-percentage", &v(p), "[1, 100]"));
        }
        if self.initial_scale < 0 || (self.initial_scale == 0 && !self.allow_zero_initial_scale) {
            return Err(out_of_bounds(
                "initial-scale",
                &self.initial_scale.to_string(),
                "at least 0 (or at least 1 when allow-zero-initial-scale is false)",
            ));
        }
        if self.max_scale_limit < 0 {
            return Err(out_of_bounds(
                "max-scale-limit",
                &self.max_scale_limit.to_string(),
                "at least 0",
            ));
        }
        let min_max = if self.max_scale_limit > 0 { 1 } else { 0 };
        if self.max_scale < min_max || (self.max_scale_limit > 0 && self.max_scale > self.max_scale_limit) {
            return Err(out_of_bounds(
                "max-scale",
                &self.max_scale.to_string(),
                format!("[{min_max}, max-scale-limit({})]", self.max_scale_limit),
            ));
        }
        Ok(())
    }
}

/// A revision's `autoscaling.knative.dev/*` annotations, each `None` when absent.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct KpaAnnotations {
    pub metric: ScalingMetric,
    pub target: Option<f64>,
    /// As a fraction (the annotation is a percentage).
    pub target_utilization: Option<f64>,
    pub window: Option<SimDuration>,
    pub panic_window_percentage: Option<f64>,
    pub panic_threshold_percentage: Option<f64>,
    pub min_scale: i32,
    /// 0: unlimited.
    pub max_scale: Option<i32>,
    pub initial_scale: Option<i32>,
    pub activation_scale: Option<i32>,
    pub scale_down_delay: Option<SimDuration>,
    pub scale_to_zero_pod_retention_period: Option<SimDuration>,
    pub target_burst_capacity: Option<f64>,
    pub aggregation_algorithm: AggregationAlgorithm,
}

/// `getIntGE0`: an int32 of at least 0.
fn int_ge0(key: &str, v: &str) -> Result<i32, KpaConfigError> {
    match v.trim().parse::<i64>() {
        Ok(i) if (0..=i32::MAX as i64).contains(&i) => Ok(i as i32),
        Ok(_) => Err(out_of_bounds(key, v, "[0, 2147483647]")),
        Err(_) => Err(invalid(key, v)),
    }
}

fn float_in(key: &str, v: &str, lo: f64, hi: f64) -> Result<f64, KpaConfigError> {
    let f = parse_f64(key, v)?;
    if f < lo || f > hi {
        return Err(out_of_bounds(key, v, format!("[{lo}, {hi}]")));
    }
    Ok(f)
}

/// `ValidateAnnotations` and the `pa.*()` getters: reads the KPA annotations of a
/// revision, failing on the first that Knative's webhook would reject. `config` is
/// needed for `max-scale-limit` and `allow-zero-initial-scale`. The class is assumed to
/// be the KPA.
pub(crate) fn parse_annotations(
    config: &KpaConfig,
    anns: &BTreeMap<String, String>,
) -> Result<KpaAnnotations, KpaConfigError> {
    use annotation as a;
    let mut out = KpaAnnotations::default();
    let get = |k: &str| anns.get(k).map(String::as_str);
    if let Some(v) = get(a::CLASS) {
        if v != KPA_CLASS {
            return Err(out_of_bounds(a::CLASS, v, KPA_CLASS));
        }
    }
    if let Some(v) = get(a::METRIC) {
        out.metric = match v {
            "concurrency" => ScalingMetric::Concurrency,
            "rps" => ScalingMetric::Rps,
            _ => return Err(out_of_bounds(a::METRIC, v, "concurrency or rps")),
        };
    }
    if let Some(v) = get(a::TARGET) {
        match parse_f64(a::TARGET, v) {
            Ok(f) if f >= TARGET_MIN => out.target = Some(f),
            _ => return Err(out_of_bounds(a::TARGET, v, "at least 0.01")),
        }
    }
    if let Some(v) = get(a::TARGET_UTILIZATION_PERCENTAGE) {
        out.target_utilization = Some(float_in(a::TARGET_UTILIZATION_PERCENTAGE, v, 1.0, 100.0)? / 100.0);
    }
    if let Some(v) = get(a::PANIC_WINDOW_PERCENTAGE) {
        out.panic_window_percentage = Some(float_in(
            a::PANIC_WINDOW_PERCENTAGE,
            v,
            PANIC_WINDOW_PERCENTAGE_MIN,
            PANIC_WINDOW_PERCENTAGE_MAX,
        )?);
    }
    if let Some(v) = get(a::PANIC_THRESHOLD_PERCENTAGE) {
        out.panic_threshold_percentage = Some(float_in(
            a::PANIC_THRESHOLD_PERCENTAGE,
            v,
            PANIC_THRESHOLD_PERCENTAGE_MIN,
            PANIC_THRESHOLD_PERCENTAGE_MAX,
        )?);
    }
    if let Some(v) = get(a::TARGET_BURST_CAPACITY) {
        match parse_f64(a::TARGET_BURST_CAPACITY, v) {
            Ok(f) if f >= 0.0 || f == -1.0 => out.target_burst_capacity = Some(f),
            _ => {
                return Err(out_of_bounds(
                    a::TARGET_BURST_CAPACITY,
                    v,
                    "non-negative or -1 (for unlimited)",
                ))
            }
        }
    }
    if let Some(v) = get(a::WINDOW) {
        let d = parse_duration(a::WINDOW, v)?;
        if d < WINDOW_MIN || d > WINDOW_MAX {
            return Err(out_of_bounds(a::WINDOW, v, "[6s, 1h]"));
        }
        if !whole_seconds(d) {
            return Err(generic(a::WINDOW, "must be specified with at most second precision"));
        }
        out.window = Some(d);
    }
    if let Some(v) = get(a::SCALE_DOWN_DELAY) {
        let d = parse_duration(a::SCALE_DOWN_DELAY, v)?;
        if d > WINDOW_MAX {
            return Err(out_of_bounds(a::SCALE_DOWN_DELAY, v, "[0s, 1h]"));
        }
        if !whole_seconds(d) {
            return Err(generic(
                a::SCALE_DOWN_DELAY,
                "must be specified with at most second precision",
            ));
        }
        out.scale_down_delay = Some(d);
    }
    if let Some(v) = get(a::SCALE_TO_ZERO_POD_RETENTION_PERIOD) {
        let d = parse_duration(a::SCALE_TO_ZERO_POD_RETENTION_PERIOD, v)?;
        if d > WINDOW_MAX {
            return Err(out_of_bounds(a::SCALE_TO_ZERO_POD_RETENTION_PERIOD, v, "[0s, 1h]"));
        }
        out.scale_to_zero_pod_retention_period = Some(d);
    }
    if let Some(v) = get(a::MIN_SCALE) {
        out.min_scale = int_ge0(a::MIN_SCALE, v)?;
    }
    if let Some(v) = get(a::MAX_SCALE) {
        let max = int_ge0(a::MAX_SCALE, v)?;
        if max != 0 && max < out.min_scale {
            return Err(generic(
                a::MAX_SCALE,
                format!("max-scale={max} is less than min-scale={}", out.min_scale),
            ));
        }
        if config.max_scale_limit > 0 && (max == 0 || max > config.max_scale_limit) {
            return Err(out_of_bounds(
                a::MAX_SCALE,
                v,
                format!("[1, {}]", config.max_scale_limit),
            ));
        }
        out.max_scale = Some(max);
    }
    if let Some(v) = get(a::INITIAL_SCALE) {
        match v.trim().parse::<i32>() {
            Ok(i) if i > 0 || (i == 0 && config.allow_zero_initial_scale) => out.initial_scale = Some(i),
            _ => return Err(invalid(a::INITIAL_SCALE, v)),
        }
    }
    if let Some(v) = get(a::ACTIVATION_SCALE) {
        match v.trim().parse::<i32>() {
            Ok(i) if i >= 1 => out.activation_scale = Some(i),
            _ => return Err(out_of_bounds(a::ACTIVATION_SCALE, v, "[1, 2147483647]")),
        }
    }
    if let Some(v) = get(a::METRIC_AGGREGATION_ALGORITHM) {
        out.aggregation_algorithm = match v {
            "linear" => AggregationAlgorithm::Linear,
            "weightedExponential" | "weighted-exponential" => AggregationAlgorithm::WeightedExponential,
            _ => return Err(invalid(a::METRIC_AGGREGATION_ALGORITHM, v)),
        };
    }
    Ok(out)
}

/// `DeciderSpec`: everything `Scale` reads.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeciderSpec {
    pub scaling_metric: ScalingMetric,
    /// The per-pod value to aim for: target × utilization, at least `TARGET_MIN`.
    pub target_value: f64,
    /// The per-pod capacity: the target without the utilization.
    pub total_value: f64,
    pub target_burst_capacity: f64,
    pub activator_capacity: f64,
    /// As a ratio (2.0 for 200%).
    pub panic_threshold: f64,
    pub max_scale_up_rate: f64,
    pub max_scale_down_rate: f64,
    pub stable_window: SimDuration,
    pub scale_down_delay: SimDuration,
    pub initial_scale: i32,
    /// False while another revision takes the traffic: then no floor on scale-down.
    pub reachable: bool,
    /// 0 or 1: no effect.
    pub activation_scale: i32,
}

/// `ResolveMetricTarget`: (target, total). `container_concurrency` is the revision's hard
/// limit (0: none); an annotation target above it is capped at it.
pub(crate) fn resolve_metric_target(
    config: &KpaConfig,
    anns: &KpaAnnotations,
    container_concurrency: u32,
) -> (f64, f64) {
    let (mut total, mut tu) = match anns.metric {
        ScalingMetric::Rps => (config.rps_target_default, config.target_utilization),
        ScalingMetric::Concurrency => {
            let cc = if container_concurrency == 0 {
                config.container_concurrency_target_default
            } else {
                container_concurrency as f64
            };
            (cc, config.container_concurrency_target_fraction)
        }
    };
    if let Some(t) = anns.target {
        total = t;
        if anns.metric == ScalingMetric::Concurrency && container_concurrency != 0 {
            total = t.min(container_concurrency as f64);
        }
    }
    if let Some(u) = anns.target_utilization {
        tu = u;
    }
    ((total * tu).max(TARGET_MIN), total)
}

/// `StableWindow`: the annotation, else the ConfigMap.
pub(crate) fn stable_window(config: &KpaConfig, anns: &KpaAnnotations) -> SimDuration {
    anns.window.unwrap_or(config.stable_window)
}

/// The panic window (`MakeMetric`): the percentage of the stable window, rounded to a
/// whole bucket (half away from zero, as `Duration.Round`), and at least one bucket.
pub(crate) fn panic_window(config: &KpaConfig, anns: &KpaAnnotations) -> SimDuration {
    let pct = anns.panic_window_percentage.unwrap_or(config.panic_window_percentage);
    let raw = stable_window(config, anns).0 as f64 * pct / 100.0;
    let b = BUCKET_SIZE.0 as f64;
    let rounded = ((raw / b).round() * b) as u64;
    SimDuration(rounded.max(BUCKET_SIZE.0))
}

/// The last-pod retention: the annotation, else the ConfigMap.
pub(crate) fn last_pod_retention(config: &KpaConfig, anns: &KpaAnnotations) -> SimDuration {
    anns.scale_to_zero_pod_retention_period
        .unwrap_or(config.scale_to_zero_pod_retention_period)
}

/// `MakeDecider`.
pub(crate) fn make_decider_spec(
    config: &KpaConfig,
    anns: &KpaAnnotations,
    container_concurrency: u32,
    reachable: bool,
) -> DeciderSpec {
    let (target_value, total_value) = resolve_metric_target(config, anns, container_concurrency);
    DeciderSpec {
        scaling_metric: anns.metric,
        target_value,
        total_value,
        target_burst_capacity: anns.target_burst_capacity.unwrap_or(config.target_burst_capacity),
        activator_capacity: config.activator_capacity,
        panic_threshold: anns
            .panic_threshold_percentage
            .unwrap_or(config.panic_threshold_percentage)
            / 100.0,
        max_scale_up_rate: config.max_scale_up_rate,
        max_scale_down_rate: config.max_scale_down_rate,
        stable_window: stable_window(config, anns),
        scale_down_delay: anns.scale_down_delay.unwrap_or(config.scale_down_delay),
        initial_scale: anns.initial_scale.unwrap_or(config.initial_scale),
        reachable,
        activation_scale: anns.activation_scale.unwrap_or(1),
    }
}

#[cfg(test)]
mod tests {
    //! After `config_test.go` (`TestNewConfig`) and `annotation_validation_test.go`.
    use super::*;

    fn map(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn config_map_defaults_and_overrides() {
        let c = KpaConfig::from_config_map(&BTreeMap::new()).unwrap();
        assert_eq!(c, KpaConfig::default());
        assert_eq!(c.stable_window, SimDuration::from_secs(60));
        assert_eq!(c.target_burst_capacity, 200.0);
        let c = KpaConfig::from_config_map(&map(&[
            ("container-concurrency-target-percentage", "80"),
            ("stable-window", "2m"),
            ("enable-scale-to-zero", "false"),
            ("max-scale-up-rate", "10"),
        ]))
        .unwrap();
        assert_eq!(c.container_concurrency_target_fraction, 0.8);
        assert_eq!(c.stable_window, SimDuration::from_secs(120));
        assert!(!c.enable_scale_to_zero);
        assert_eq!(c.max_scale_up_rate, 10.0);
    }

    #[test]
    fn config_map_rejections_name_the_key() {
        let cases: &[(&str, &str, &str)] = &[
            ("max-scale-up-rate", "1", "max-scale-up-rate"),
            ("max-scale-down-rate", "0.5", "max-scale-down-rate"),
            ("stable-window", "5s", "stable-window"),
            ("stable-window", "6500ms", "stable-window"),
            ("scale-to-zero-grace-period", "5s", "scale-to-zero-grace-period"),
            ("target-burst-capacity", "-2", "target-burst-capacity"),
            ("panic-window-percentage", "101", "panic-window-percentage"),
            ("initial-scale", "0", "initial-scale"),
            ("enable-scale-to-zero", "yes", "enable-scale-to-zero"),
        ];
        for (k, v, want_key) in cases {
            let err = KpaConfig::from_config_map(&map(&[(k, v)])).unwrap_err();
            let key = match &err {
                KpaConfigError::Invalid { key, .. }
                | KpaConfigError::OutOfBounds { key, .. }
                | KpaConfigError::Generic { key, .. } => key.clone(),
            };
            assert_eq!(&key, want_key, "{k}={v}: {err}");
        }
    }

    #[test]
    fn annotations_parse_and_resolve() {
        let cfg = KpaConfig::default();
        let anns = parse_annotations(
            &cfg,
            &map(&[
                (annotation::METRIC, "rps"),
                (annotation::TARGET, "150"),
                (annotation::TARGET_UTILIZATION_PERCENTAGE, "80"),
                (annotation::WINDOW, "2m"),
                (annotation::PANIC_WINDOW_PERCENTAGE, "5"),
                (annotation::PANIC_THRESHOLD_PERCENTAGE, "150"),
                (annotation::MIN_SCALE, "2"),
                (annotation::MAX_SCALE, "10"),
                (annotation::SCALE_DOWN_DELAY, "5m"),
                (annotation::TARGET_BURST_CAPACITY, "-1"),
                (annotation::ACTIVATION_SCALE, "3"),
                (annotation::METRIC_AGGREGATION_ALGORITHM, "weightedExponential"),
            ]),
        )
        .unwrap();
        assert_eq!(anns.metric, ScalingMetric::Rps);
        assert_eq!((anns.min_scale, anns.max_scale), (2, Some(10)));
        let spec = make_decider_spec(&cfg, &anns, 0, true);
        assert!((spec.target_value - 120.0).abs() < 1e-9);
        assert_eq!(spec.total_value, 150.0);
        assert_eq!(spec.panic_threshold, 1.5);
        assert_eq!(spec.stable_window, SimDuration::from_secs(120));
        assert_eq!(spec.scale_down_delay, SimDuration::from_secs(300));
        assert_eq!(spec.target_burst_capacity, -1.0);
        assert_eq!(spec.activation_scale, 3);
        assert_eq!(panic_window(&cfg, &anns), SimDuration::from_secs(6));
        assert_eq!(anns.aggregation_algorithm, AggregationAlgorithm::WeightedExponential);
    }

    #[test]
    fn resolve_metric_target_defaults_and_container_concurrency_cap() {
        let cfg = KpaConfig::default();
        let none = KpaAnnotations::default();
        // Concurrency, no containerConcurrency: 100 × 0.7.
        let (t, total) = resolve_metric_target(&cfg, &none, 0);
        assert!((t - 70.0).abs() < 1e-9 && total == 100.0);
        // containerConcurrency 10 is the total.
        let (t, total) = resolve_metric_target(&cfg, &none, 10);
        assert!((t - 7.0).abs() < 1e-9 && total == 10.0);
        // An annotation target above containerConcurrency is capped at it.
        let anns = KpaAnnotations {
            target: Some(50.0),
            ..Default::default()
        };
        assert_eq!(resolve_metric_target(&cfg, &anns, 10).1, 10.0);
        // RPS default 200 × 0.7.
        let rps = KpaAnnotations {
            metric: ScalingMetric::Rps,
            ..Default::default()
        };
        assert!((resolve_metric_target(&cfg, &rps, 10).0 - 140.0).abs() < 1e-9);
        // Default panic window: 10% of 60s.
        assert_eq!(panic_window(&cfg, &none), SimDuration::from_secs(6));
    }

    #[test]
    fn annotation_rejections_name_the_annotation_and_range() {
        let cfg = KpaConfig {
            max_scale_limit: 100,
            ..KpaConfig::default()
        };
        let cases: &[(&[(&str, &str)], KpaConfigError)] = &[
            (
                &[(annotation::METRIC, "cpu")],
                out_of_bounds(annotation::METRIC, "cpu", "concurrency or rps"),
            ),
            (
                &[(annotation::TARGET, "0")],
                out_of_bounds(annotation::TARGET, "0", "at least 0.01"),
            ),
            (
                &[(annotation::TARGET_UTILIZATION_PERCENTAGE, "101")],
                out_of_bounds(annotation::TARGET_UTILIZATION_PERCENTAGE, "101", "[1, 100]"),
            ),
            (
                &[(annotation::PANIC_WINDOW_PERCENTAGE, "0.5")],
                out_of_bounds(annotation::PANIC_WINDOW_PERCENTAGE, "0.5", "[1, 100]"),
            ),
            (
                &[(annotation::PANIC_THRESHOLD_PERCENTAGE, "105")],
                out_of_bounds(annotation::PANIC_THRESHOLD_PERCENTAGE, "105", "[110, 1000]"),
            ),
            (
                &[(annotation::WINDOW, "5s")],
                out_of_bounds(annotation::WINDOW, "5s", "[6s, 1h]"),
            ),
            (
                &[(annotation::WINDOW, "6500ms")],
                generic(annotation::WINDOW, "must be specified with at most second precision"),
            ),
            (
                &[(annotation::SCALE_DOWN_DELAY, "2h")],
                out_of_bounds(annotation::SCALE_DOWN_DELAY, "2h", "[0s, 1h]"),
            ),
            (
                &[(annotation::MIN_SCALE, "-1")],
                out_of_bounds(annotation::MIN_SCALE, "-1", "[0, 2147483647]"),
            ),
            (
                &[(annotation::MIN_SCALE, "5"), (annotation::MAX_SCALE, "3")],
                generic(annotation::MAX_SCALE, "max-scale=3 is less than min-scale=5"),
            ),
            (
                &[(annotation::MAX_SCALE, "0")],
                out_of_bounds(annotation::MAX_SCALE, "0", "[1, 100]"),
            ),
            (
                &[(annotation::INITIAL_SCALE, "0")],
                invalid(annotation::INITIAL_SCALE, "0"),
            ),
            (
                &[(annotation::TARGET_BURST_CAPACITY, "-5")],
                out_of_bounds(
                    annotation::TARGET_BURST_CAPACITY,
                    "-5",
                    "non-negative or -1 (for unlimited)",
                ),
            ),
            (
                &[(annotation::ACTIVATION_SCALE, "0")],
                out_of_bounds(annotation::ACTIVATION_SCALE, "0", "[1, 2147483647]"),
            ),
        ];
        for (anns, want) in cases {
            assert_eq!(parse_annotations(&cfg, &map(anns)).unwrap_err(), *want, "{anns:?}");
        }
    }
}
