//! JSON merge patch (RFC 7386) and JSON patch (RFC 6902) on object documents.

use serde_json::Value;

pub(crate) fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Default::default());
            }
            let t = target.as_object_mut().unwrap();
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn parent_and_key<'a>(doc: &'a mut Value, path: &str) -> Result<(&'a mut Value, String), String> {
    if !path.starts_with('/') {
        return Err(format!("path `{path}` must start with /"));
    }
    let mut parts: Vec<String> = path[1..].split('/').map(unescape).collect();
    let last = parts.pop().unwrap_or_default();
    let mut cur = doc;
    for p in parts {
        cur = match cur {
            Value::Object(m) => m.get_mut(&p).ok_or_else(|| format!("path `{path}`: `{p}` not found"))?,
            Value::Array(a) => {
                let i: usize = p.parse().map_err(|_| format!("path `{path}`: `{p}` is not an index"))?;
                a.get_mut(i)
                    .ok_or_else(|| format!("path `{path}`: index {i} out of range"))?
            }
            _ => return Err(format!("path `{path}`: cannot descend into a scalar")),
        };
    }
    Ok((cur, last))
}

pub(crate) fn json_patch(doc: &mut Value, ops: &Value) -> Result<(), String> {
    let ops = ops.as_array().ok_or("a JSON patch is a list of operations")?;
    for op in ops {
        let kind = op.get("op").and_then(Value::as_str).ok_or("operation has no `op`")?;
        let path = op
            .get("path")
            .and_then(Value::as_str)
            .ok_or("operation has no `path`")?;
        let value = op.get("value").cloned();
        let (parent, key) = parent_and_key(doc, path)?;
        match (kind, parent) {
            ("add" | "replace", Value::Object(m)) => {
                if kind == "replace" && !m.contains_key(&key) {
                    return Err(format!("replace: `{path}` does not exist"));
                }
                m.insert(key, value.ok_or("add/replace needs `value`")?);
            }
            ("add" | "replace", Value::Array(a)) => {
                let v = value.ok_or("add/replace needs `value`")?;
                if key == "-" {
                    a.push(v);
                } else {
                    let i: usize = key.parse().map_err(|_| format!("`{key}` is not an index"))?;
                    if kind == "add" && i <= a.len() {
                        a.insert(i, v);
                    } else if i < a.len() {
                        a[i] = v;
                    } else {
                        return Err(format!("index {i} out of range"));
                    }
                }
            }
            ("remove", Value::Object(m)) => {
                m.remove(&key).ok_or(format!("remove: `{path}` does not exist"))?;
            }
            ("remove", Value::Array(a)) => {
                let i: usize = key.parse().map_err(|_| format!("`{key}` is not an index"))?;
                if i >= a.len() {
                    return Err(format!("index {i} out of range"));
                }
                a.remove(i);
            }
            ("test", p) => {
                let cur = match p {
                    Value::Object(m) => m.get(&key).cloned(),
                    Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i).cloned()),
                    _ => None,
                };
                if cur != value {
                    return Err(format!("test failed at `{path}`"));
                }
            }
            (other, _) => return Err(format!("unsupported or misplaced operation `{other}` at `{path}`")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "b"}), json!({"b": "c"}), json!({"a": "b", "b": "c"})),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (json!({"a": ["b"]}), json!({"a": ["c"]}), json!({"a": ["c"]})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
        ];
        for (mut t, p, want) in cases {
            merge_patch(&mut t, &p);
            assert_eq!(t, want);
        }
    }

    #[test]
    fn json_patch_ops() {
        let mut d = json!({"spec": {"replicas": 1, "list": [1, 2]}});
        json_patch(
            &mut d,
            &json!([
                {"op": "replace", "path": "/spec/replicas", "value": 0},
                {"op": "add", "path": "/spec/list/-", "value": 3},
                {"op": "remove", "path": "/spec/list/0"},
                {"op": "add", "path": "/spec/strategy", "value": {"type": "Recreate"}}
            ]),
        )
        .unwrap();
        assert_eq!(
            d,
            json!({"spec": {"replicas": 0, "list": [2, 3], "strategy": {"type": "Recreate"}}})
        );
        assert!(json_patch(&mut d, &json!([{"op": "replace", "path": "/nope", "value": 1}])).is_err());
    }
}
