//! Reading a report.json back (`compare`): what is not one gets a located error that
//! names the line, the column and, for a report of the wrong shape, the field.

use super::model::{Report, SCHEMA};

/// Why a text is not a report this version reads. Each message starts at `line:column: `
/// so that the caller can put the file's name in front.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReadError {
    #[error("{line}:{column}: not valid JSON: {message}; give a report.json written by `gpuaas-sim run --out`")]
    NotJson {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("1:1: not a gpuaas-sim report (no `schema` key); give a report.json written by `gpuaas-sim run --out`")]
    NoSchema,
    #[error("1:1: report schema `{0}` is not `{SCHEMA}`; regenerate it with this version's `gpuaas-sim run --out`")]
    OtherSchema(String),
    #[error("{line}:{column}: not a gpuaas-sim report{at}: {message}; regenerate it with this version's `gpuaas-sim run --out`", at = at_field(.path))]
    Shape {
        line: usize,
        column: usize,
        /// The field, as a dotted path from the top (`models.chat.ttft_ms.p50`); `.` for
        /// the top itself.
        path: String,
        message: String,
    },
}

/// Where a shape error is, unless it is the report as a whole (a missing top-level key,
/// which the message names).
fn at_field(path: &str) -> String {
    if path == "." {
        String::new()
    } else {
        format!(" at `{path}`")
    }
}

impl Report {
    /// Reads report.json's text: JSON first, then the schema, then the shape, so that
    /// each kind of mistake gets its own message.
    pub fn from_json_str(text: &str) -> Result<Report, ReadError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| ReadError::NotJson {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        match value.get("schema").and_then(serde_json::Value::as_str) {
            Some(s) if s == SCHEMA => {}
            Some(s) => return Err(ReadError::OtherSchema(s.to_string())),
            None => return Err(ReadError::NoSchema),
        }
        // From the text rather than the value: serde_json knows the line and column there.
        let mut de = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            ReadError::Shape {
                line: inner.line(),
                column: inner.column(),
                path,
                message: inner.to_string(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_written_before_the_monthly_figures_still_reads() {
        use crate::report::model::{ModelReport, ReplicaRecord, Window};
        let report = Report {
            schema: SCHEMA.into(),
            models: [(
                "chat".to_string(),
                ModelReport {
                    windows: vec![Window::default()],
                    replicas: vec![ReplicaRecord::default()],
                    ..Default::default()
                },
            )]
            .into_iter()
            .collect(),
            ..Default::default()
        };
        let mut value = serde_json::to_value(&report).unwrap_or_default();
        // What a report of this schema held before `monthly`, the windows' `busy_fraction`
        // and the replicas' `kv_cache_usage_max`.
        let removed = value.as_object_mut().and_then(|o| o.remove("monthly"));
        assert_eq!(removed, Some(serde_json::Value::Null), "a default report has no month");
        let chat = &mut value["models"]["chat"];
        for (list, key) in [("windows", "busy_fraction"), ("replicas", "kv_cache_usage_max")] {
            let item = chat[list][0].as_object_mut();
            assert!(
                item.and_then(|i| i.remove(key)).is_some(),
                "{list}[] has no `{key}` to remove"
            );
        }
        let older = value.to_string();
        assert_eq!(Report::from_json_str(&older).map_err(|e| e.to_string()), Ok(report));
    }

    #[test]
    fn what_is_not_a_report_says_where_and_why() {
        let good = serde_json::to_string_pretty(&Report {
            schema: SCHEMA.into(),
            ..Default::default()
        })
        .unwrap_or_default();
        assert!(Report::from_json_str(&good).is_ok(), "{good}");
        let wrong_type = good.replacen("\"seed\": 0", "\"seed\": \"zero\"", 1);
        let missing = good.replacen("\"duration_s\": 0.0,", "", 1);
        // (text, the start of the message)
        let cases = [
            ("{\n  \"schema\": ,\n}", "2:13: not valid JSON"),
            ("{\"hello\": 1}", "1:1: not a gpuaas-sim report (no `schema` key)"),
            (
                "{\"schema\": \"gpuaas-sim/report/v0\"}",
                "1:1: report schema `gpuaas-sim/report/v0` is not",
            ),
            (&wrong_type, "4:16: not a gpuaas-sim report at `seed`: invalid type"),
            (&missing, "not a gpuaas-sim report: missing field `duration_s`"),
        ];
        for (text, want) in cases {
            let got = Report::from_json_str(text).map(|_| ()).map_err(|e| e.to_string());
            assert!(
                got.as_ref().err().is_some_and(|e| e.contains(want)),
                "want {want:?}, got {got:?}"
            );
        }
    }

    #[test]
    fn a_report_written_before_the_eviction_and_name_keys_still_reads() {
        use crate::report::model::{ExpectationRecord, WorkloadRecord};
        let report = Report {
            schema: SCHEMA.into(),
            workloads: vec![WorkloadRecord::default()],
            expectations: vec![ExpectationRecord::default()],
            ..Default::default()
        };
        let mut value = serde_json::to_value(&report).unwrap_or_default();
        // What a report of this schema held before `pending_s`, `evictions` and `name`.
        for (list, keys) in [
            ("workloads", &["pending_s", "evictions"][..]),
            ("expectations", &["name"][..]),
        ] {
            if let Some(items) = value.get_mut(list).and_then(serde_json::Value::as_array_mut) {
                for item in items.iter_mut().filter_map(serde_json::Value::as_object_mut) {
                    for k in keys {
                        assert!(item.remove(*k).is_some(), "{list}[] has no `{k}` to remove");
                    }
                }
            }
        }
        let older = value.to_string();
        assert_eq!(Report::from_json_str(&older).map_err(|e| e.to_string()), Ok(report));
    }
}
