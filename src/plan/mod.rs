//! Capacity planning: sweeps over a scenario's settings, the capacity of a serving
//! configuration, and recommendations.

pub mod capacity;
pub mod job;
pub mod output;
pub mod recommend;
pub mod recommend_out;
pub mod setting;
pub mod stats;
pub mod sweep;

/// A string as a YAML double-quoted scalar (a JSON string is one), for the manifests the
/// planning commands write.
pub(crate) fn yaml_quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// A Kubernetes name (RFC 1123 label) made from `s`: lower case, other characters as `-`,
/// at most `max` characters, `fallback` when nothing is left.
pub(crate) fn dns_label(s: &str, max: usize, fallback: &str) -> String {
    let mut out: String = s
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    out.truncate(max);
    let out = out.trim_matches('-');
    if out.is_empty() {
        fallback.into()
    } else {
        out.into()
    }
}
