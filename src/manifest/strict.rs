//! Strict field validation for the manifests whose every field the simulator reads (the
//! autoscalers'): a key the schema does not know is refused, as `kubectl apply`'s strict
//! server-side validation refuses it, instead of being silently dropped.

use serde_json::Value;

/// The shape of a document: which keys a map may hold, what a list holds, or anything.
pub(crate) enum Schema {
    Map(&'static [(&'static str, Schema)]),
    List(&'static Schema),
    /// A scalar, or a subtree not checked (metadata, a trigger's metadata).
    Any,
}

/// The first unknown field of `v` under `schema`: its path (`spec.behavior.scaleDown.x`),
/// the key, and the keys allowed there.
pub(crate) fn unknown_field(v: &Value, schema: &Schema, path: &str) -> Option<(String, String, Vec<&'static str>)> {
    match (schema, v) {
        (Schema::Map(fields), Value::Object(map)) => {
            for (k, child) in map {
                let here = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match fields.iter().find(|(name, _)| name == k) {
                    Some((_, s)) => {
                        if let Some(found) = unknown_field(child, s, &here) {
                            return Some(found);
                        }
                    }
                    None => return Some((here, k.clone(), fields.iter().map(|(n, _)| *n).collect())),
                }
            }
            None
        }
        (Schema::List(item), Value::Array(items)) => items
            .iter()
            .enumerate()
            .find_map(|(i, x)| unknown_field(x, item, &format!("{path}[{i}]"))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const INNER: Schema = Schema::Map(&[("a", Schema::Any), ("b", Schema::Any)]);
    const SCHEMA: Schema = Schema::Map(&[("x", Schema::Any), ("items", Schema::List(&INNER)), ("inner", INNER)]);

    #[test]
    fn the_first_unknown_key_is_named_with_its_path_and_the_keys_allowed_there() {
        let cases = [
            (json!({"x": 1, "inner": {"a": 1}}), None),
            (json!({"y": 1}), Some(("y", "y"))),
            (json!({"inner": {"c": 1}}), Some(("inner.c", "c"))),
            (json!({"items": [{"a": 1}, {"bb": 2}]}), Some(("items[1].bb", "bb"))),
            // A wrong type is the decoder's to report, not an unknown field.
            (json!({"inner": 5}), None),
        ];
        for (v, want) in cases {
            let got = unknown_field(&v, &SCHEMA, "");
            assert_eq!(got.as_ref().map(|(p, k, _)| (p.as_str(), k.as_str())), want, "{v}");
        }
        let (_, _, allowed) = unknown_field(&json!({"inner": {"c": 1}}), &SCHEMA, "").unwrap_or_default();
        assert_eq!(allowed, vec!["a", "b"]);
    }
}
