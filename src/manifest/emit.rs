//! Objects written back as YAML, as `oc get -o yaml` prints them.

use yaml_rust2::{yaml::Hash, Yaml, YamlEmitter};

/// `value` as a YAML document (no `---` line); keys keep their order.
pub(crate) fn yaml(value: &serde_json::Value) -> String {
    let mut out = String::new();
    let mut emitter = YamlEmitter::new(&mut out);
    // Writing into a String cannot fail; an error would only drop the output.
    if emitter.dump(&to_yaml(value)).is_err() {
        return String::new();
    }
    let body = out.strip_prefix("---\n").unwrap_or(&out);
    format!("{body}\n")
}

fn to_yaml(v: &serde_json::Value) -> Yaml {
    use serde_json::Value;
    match v {
        Value::Null => Yaml::Null,
        Value::Bool(b) => Yaml::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Yaml::Integer(i),
            None => Yaml::Real(n.to_string()),
        },
        Value::String(s) => Yaml::String(s.clone()),
        Value::Array(items) => Yaml::Array(items.iter().map(to_yaml).collect()),
        Value::Object(map) => {
            let mut h = Hash::new();
            for (k, v) in map {
                h.insert(Yaml::String(k.clone()), to_yaml(v));
            }
            Yaml::Hash(h)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What is written reads back as the same document.
    #[test]
    fn emitted_yaml_reads_back() {
        let doc = serde_json::json!({
            "apiVersion": "kueue.x-k8s.io/v1beta2",
            "kind": "Workload",
            "metadata": {"name": "w", "creationTimestamp": "2026-11-23T10:00:00Z"},
            "spec": {"podSets": [{"name": "main", "count": 2, "template": {"spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "4", "nvidia.com/gpu": "1"}}}]}}}], "active": true},
        });
        let text = yaml(&doc);
        assert!(!text.starts_with("---"), "{text}");
        let file: std::sync::Arc<str> = std::sync::Arc::from("t");
        let back = crate::manifest::yaml::parse_documents(&file, &text).expect("parses");
        let root = &back.first().expect("a document").root;
        assert_eq!(root.to_json(), doc, "{text}");
    }
}
