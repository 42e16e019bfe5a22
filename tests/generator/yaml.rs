//! Writes generated objects as YAML a person would write: block style, with small maps
//! and lists of scalars in flow style (`{name: x, namespace: y}`) when the document is
//! compact, and now and then a whole document as JSON, which is YAML too.

use serde_json::Value;

/// How a document is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Every map and list in block style.
    Block,
    /// Small maps and lists of scalars inline, as the bundled scenarios write them.
    Compact,
    /// The document as pretty-printed JSON.
    Json,
}

/// One document (no `---`).
pub fn document(v: &Value, layout: Layout) -> String {
    match layout {
        Layout::Json => {
            let mut s = serde_json::to_string_pretty(v).expect("a JSON value prints");
            s.push('\n');
            s
        }
        Layout::Block | Layout::Compact => {
            let mut out = String::new();
            match v {
                Value::Object(m) if !m.is_empty() => block_map(&mut out, m, 0, layout == Layout::Compact),
                Value::Array(a) if !a.is_empty() => block_list(&mut out, a, 0, layout == Layout::Compact),
                other => {
                    out.push_str(&flow(other));
                    out.push('\n');
                }
            }
            out
        }
    }
}

/// A scalar as YAML reads it back as the same value: strings that would be read as a
/// number, a boolean or null, or that hold flow or comment characters, are quoted.
pub fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Array(_) | Value::Object(_) => flow(v),
    }
}

fn string(s: &str) -> String {
    if plain(s) {
        s.to_string()
    } else {
        // A JSON string is a valid YAML double-quoted scalar with the same escapes.
        serde_json::to_string(s).expect("a string prints")
    }
}

/// Whether `s` can be written unquoted in block and flow context alike.
fn plain(s: &str) -> bool {
    let Some(first) = s.chars().next() else { return false };
    let safe_chars = s.chars().all(|c| c.is_ascii_alphanumeric() || "._/-=+".contains(c));
    let safe_start = first.is_ascii_alphabetic() || first == '/' || (first.is_ascii_digit() && !numeric_looking(s));
    let lower = s.to_ascii_lowercase();
    let reserved = matches!(
        lower.as_str(),
        "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n" | "nan" | "inf"
    );
    safe_chars && safe_start && !reserved
}

/// Strings a YAML resolver might read as a number (`8`, `1e3`, `0x10`, `0.5`).
fn numeric_looking(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_hexdigit() || "xXoO._+-".contains(c))
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

/// Small enough to write on one line: a map or list of scalars (or of such maps), short.
fn flowable(v: &Value) -> bool {
    let shallow = match v {
        Value::Object(m) => m.values().all(|x| is_scalar(x) || (small_leaf(x))),
        Value::Array(a) => a.iter().all(|x| is_scalar(x) || small_leaf(x)),
        _ => true,
    };
    shallow && flow(v).len() <= 110
}

fn small_leaf(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.values().all(is_scalar),
        Value::Array(a) => a.iter().all(is_scalar),
        _ => true,
    }
}

/// Flow style: `{a: 1, b: [x, y]}`.
pub fn flow(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let inner: Vec<String> = m.iter().map(|(k, v)| format!("{}: {}", string(k), flow(v))).collect();
            format!("{{{}}}", inner.join(", "))
        }
        Value::Array(a) => {
            let inner: Vec<String> = a.iter().map(flow).collect();
            format!("[{}]", inner.join(", "))
        }
        other => scalar(other),
    }
}

fn block_map(out: &mut String, m: &serde_json::Map<String, Value>, indent: usize, compact: bool) {
    let pad = " ".repeat(indent);
    for (k, v) in m {
        out.push_str(&pad);
        out.push_str(&string(k));
        out.push(':');
        match v {
            Value::Object(inner) if inner.is_empty() => out.push_str(" {}\n"),
            Value::Array(inner) if inner.is_empty() => out.push_str(" []\n"),
            Value::Object(_) | Value::Array(_) if compact && flowable(v) => {
                out.push(' ');
                out.push_str(&flow(v));
                out.push('\n');
            }
            Value::Object(inner) => {
                out.push('\n');
                block_map(out, inner, indent + 2, compact);
            }
            Value::Array(inner) => {
                out.push('\n');
                block_list(out, inner, indent + 2, compact);
            }
            scalar_value => {
                out.push(' ');
                out.push_str(&scalar(scalar_value));
                out.push('\n');
            }
        }
    }
}

fn block_list(out: &mut String, items: &[Value], indent: usize, compact: bool) {
    let pad = " ".repeat(indent);
    for item in items {
        match item {
            Value::Object(m) if !(m.is_empty() || compact && flowable(item)) => {
                // The first key goes on the dash's line, the others under it.
                let mut inner = String::new();
                block_map(&mut inner, m, indent + 2, compact);
                out.push_str(&pad);
                out.push_str("- ");
                out.push_str(&inner[indent + 2..]);
            }
            _ => {
                out.push_str(&pad);
                out.push_str("- ");
                out.push_str(&flow(item));
                out.push('\n');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_that_would_change_type_are_quoted() {
        assert_eq!(scalar(&json!("8")), "\"8\"");
        assert_eq!(scalar(&json!("1e3")), "\"1e3\"");
        assert_eq!(scalar(&json!("true")), "\"true\"");
        assert_eq!(scalar(&json!("48Gi")), "48Gi");
        assert_eq!(scalar(&json!("--port=8080")), "\"--port=8080\"");
        assert_eq!(scalar(&json!("nvidia.com/gpu")), "nvidia.com/gpu");
        assert_eq!(scalar(&json!("a: b")), "\"a: b\"");
    }

    #[test]
    fn nested_lists_of_maps_are_indented_under_their_dash() {
        let v =
            json!({"spec": {"containers": [{"name": "c", "args": ["--x=1"], "resources": {"limits": {"cpu": "1"}}}]}});
        assert_eq!(
            document(&v, Layout::Block),
            "spec:\n  containers:\n    - name: c\n      args:\n        - \"--x=1\"\n      resources:\n        limits:\n          cpu: \"1\"\n"
        );
        assert_eq!(
            document(&v, Layout::Compact),
            "spec:\n  containers:\n    - name: c\n      args: [\"--x=1\"]\n      resources: {limits: {cpu: \"1\"}}\n"
        );
    }
}
