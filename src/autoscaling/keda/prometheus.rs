//! The `prometheus` scaler (`pkg/scalers/prometheus_scaler.go`): its metadata, the name of
//! the External metric it serves, and how one instant-query result becomes a value or an
//! error (`ExecutePromQuery`) and an activity (`GetMetricsAndActivity`).
//!
//! The simulator has no HTTP: the caller evaluates the query and hands over what
//! Prometheus would have answered, as a `QueryResult`.

/// `prometheusMetadata`, the fields the simulation reads. Auth, headers, TLS and timeouts
/// do not apply.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PrometheusMetadata {
    pub server_address: String,
    pub query: String,
    /// The External metric's target (`AverageValue` per replica, or `Value`).
    pub threshold: f64,
    /// Optional, default 0: the trigger is active only while the value is above it.
    pub activation_threshold: f64,
    /// Optional, default true: an empty result (or NaN/±Inf) reads 0 instead of failing.
    pub ignore_null_values: bool,
    pub namespace: Option<String>,
}

/// What Prometheus answered to the instant query, reduced to the cases the scaler tells
/// apart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum QueryResult {
    /// The request failed (unreachable, non-2xx status, undecodable body).
    Failed,
    /// `data.result` is empty: the series does not exist (yet).
    Empty,
    /// More than one series: the query must aggregate to one.
    Multiple,
    /// One sample with this value (which may be NaN or ±Inf).
    Sample(f64),
}

/// Why a poll of the scaler failed (the error `GetMetricsAndActivity` returns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScalerError {
    /// The query API could not be read.
    QueryFailed,
    /// "prometheus metrics 'prometheus' target may be lost, the result is empty".
    EmptyResult,
    /// "prometheus query ... returned multiple elements".
    MultipleElements,
    /// "prometheus query returns NaN/+Inf/-Inf".
    NotFinite,
}

impl ScalerError {
    pub(crate) fn message(self) -> &'static str {
        match self {
            ScalerError::QueryFailed => "prometheus query api returned error",
            ScalerError::EmptyResult => "prometheus metrics 'prometheus' target may be lost, the result is empty",
            ScalerError::MultipleElements => "prometheus query returned multiple elements",
            ScalerError::NotFinite => "prometheus query returns a value that is not finite",
        }
    }
}

/// `GenerateMetricNameWithIndex(triggerIndex, "prometheus")`: `s<i>-prometheus`, the
/// External metric's name in the HPA and in the scaler's health status.
pub(crate) fn metric_name(trigger_index: usize) -> String {
    format!("s{trigger_index}-prometheus")
}

/// `ExecutePromQuery`: the value, or the error; an empty result or a non-finite value is
/// 0 when `ignoreNullValues` (the default), an error otherwise.
pub(crate) fn execute_prom_query(meta: &PrometheusMetadata, result: QueryResult) -> Result<f64, ScalerError> {
    match result {
        QueryResult::Failed => Err(ScalerError::QueryFailed),
        QueryResult::Multiple => Err(ScalerError::MultipleElements),
        QueryResult::Empty if meta.ignore_null_values => Ok(0.0),
        QueryResult::Empty => Err(ScalerError::EmptyResult),
        QueryResult::Sample(v) if v.is_finite() => Ok(v),
        QueryResult::Sample(_) if meta.ignore_null_values => Ok(0.0),
        QueryResult::Sample(_) => Err(ScalerError::NotFinite),
    }
}

/// `GetMetricsAndActivity`: the value and whether the trigger is active — strictly above
/// `activationThreshold`, so the default of 0 makes any positive value active.
pub(crate) fn metrics_and_activity(meta: &PrometheusMetadata, result: QueryResult) -> Result<(f64, bool), ScalerError> {
    let value = execute_prom_query(meta, result)?;
    Ok((value, value > meta.activation_threshold))
}

/// `quantityFromFloat64` as milli-units (`GenerateMetricInMili`, `GetMetricTargetMili`):
/// KEDA formats with three decimals, so a value is rounded to the milli; NaN, ±Inf and
/// negatives become 0.
pub(crate) fn to_milli(value: f64) -> i64 {
    if !value.is_finite() || value < 0.0 {
        return 0;
    }
    let milli = (value * 1000.0).round();
    if milli >= i64::MAX as f64 {
        i64::MAX
    } else {
        milli as i64
    }
}

#[cfg(test)]
mod tests {
    //! Cases of `TestPrometheusScalerExecutePromQuery` (the names are its `name`s).
    use super::*;

    fn meta(ignore_null_values: bool) -> PrometheusMetadata {
        PrometheusMetadata {
            server_address: "http://prometheus:9090".into(),
            query: "sum(vllm:num_requests_waiting)".into(),
            threshold: 10.0,
            activation_threshold: 0.0,
            ignore_null_values,
            namespace: None,
        }
    }

    #[test]
    fn prometheus_scaler_execute_prom_query() {
        let nan = f64::NAN;
        let inf = f64::INFINITY;
        let cases: &[(&str, QueryResult, bool, Result<f64, ScalerError>)] = &[
            ("no values", QueryResult::Empty, true, Ok(0.0)),
            (
                "no values but shouldn't ignore",
                QueryResult::Empty,
                false,
                Err(ScalerError::EmptyResult),
            ),
            ("valid value", QueryResult::Sample(2.0), true, Ok(2.0)),
            (
                "multiple results",
                QueryResult::Multiple,
                true,
                Err(ScalerError::MultipleElements),
            ),
            (
                "error status response",
                QueryResult::Failed,
                true,
                Err(ScalerError::QueryFailed),
            ),
            ("+Inf", QueryResult::Sample(inf), true, Ok(0.0)),
            (
                "+Inf but shouldn't ignore",
                QueryResult::Sample(inf),
                false,
                Err(ScalerError::NotFinite),
            ),
            ("-Inf", QueryResult::Sample(-inf), true, Ok(0.0)),
            ("NaN", QueryResult::Sample(nan), true, Ok(0.0)),
            (
                "NaN but shouldn't ignore",
                QueryResult::Sample(nan),
                false,
                Err(ScalerError::NotFinite),
            ),
        ];
        for (name, result, ignore, want) in cases {
            assert_eq!(execute_prom_query(&meta(*ignore), *result), *want, "{name}");
        }
    }

    #[test]
    fn activity_is_strictly_above_activation_threshold() {
        let mut m = meta(true);
        m.activation_threshold = 5.0;
        let cases = [(0.0, false), (5.0, false), (5.001, true), (50.0, true)];
        for (value, active) in cases {
            assert_eq!(
                metrics_and_activity(&m, QueryResult::Sample(value)),
                Ok((value, active)),
                "{value}"
            );
        }
        // The default activationThreshold of 0: an empty result (read as 0) is inactive.
        assert_eq!(metrics_and_activity(&meta(true), QueryResult::Empty), Ok((0.0, false)));
    }

    #[test]
    fn metric_name_and_milli() {
        assert_eq!(metric_name(0), "s0-prometheus");
        assert_eq!(metric_name(2), "s2-prometheus");
        assert_eq!(to_milli(0.5), 500);
        assert_eq!(to_milli(100.0), 100_000);
        assert_eq!(to_milli(-3.0), 0);
        assert_eq!(to_milli(f64::NAN), 0);
    }
}
