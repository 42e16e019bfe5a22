//! `--set PATH=V1,V2,…`: a path into the Scenario document or into one of the manifests it
//! includes, and the values a sweep gives it.
//!
//! Paths read as the YAML is written:
//!
//! - `nodePools[h100].count`, `traffic[llama].rate`, `slo.ttft_p95`: keys of the Scenario's
//!   `spec` (the `spec.` prefix may be written or not);
//! - `ClusterQueue/team-a:spec.resourceGroups[0].flavors[h100].resources[nvidia.com/gpu].nominalQuota`,
//!   `InferenceService/chat/llama:spec.predictor.model.args[--max-num-seqs]`: `Kind/name:` or
//!   `Kind/namespace/name:` names an included manifest, the rest is a path in it.
//!
//! `[…]` selects a list item by index, by the `name` (`target` for traffic streams,
//! `metadata.name` for objects) it carries, or — in a list of strings such as a container's
//! `args` — the flag `--x` (written `--x=V` or `--x V`; a missing flag is appended as
//! `--x=V`). On a mapping, `[key]` is a key that may hold dots (`labels[app.kubernetes.io/name]`).
//! A missing final key is added, as a merge patch would. Values are separated by commas;
//! `A..B` is every whole number from A to B.

use crate::manifest::error::{did_you_mean, InputError, Loc};
use crate::manifest::load::RawObject;
use crate::manifest::yaml::{Node, Value};
use std::sync::Arc;

/// One `--set` argument, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// As typed, for reports and messages.
    pub text: String,
    /// The path part as typed (`nodePools[h100].count`).
    pub path: String,
    target: Target,
    steps: Vec<(Step, usize)>,
    pub values: Vec<String>,
    /// Which `--set` this is (1-based), for locating errors.
    index: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Target {
    Scenario,
    Object {
        kind: String,
        namespace: Option<String>,
        name: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
    Select(String),
}

/// Where in the `--set` arguments a problem is: `--set:N:COL` (the N-th `--set`, the column in it).
fn at(index: usize, col: usize) -> Loc {
    Loc::new(Arc::from("--set"), index as u32, col as u32 + 1)
}

fn error(index: usize, col: usize, text: &str, message: impl Into<String>) -> InputError {
    InputError::at(at(index, col), format!("in `{text}`: {}", message.into()))
}

impl Setting {
    /// Parses the `index`-th `--set` argument (1-based).
    pub fn parse(text: &str, index: usize) -> Result<Setting, InputError> {
        let Some(eq) = split_outside_brackets(text, '=') else {
            // An unclosed `[` hides the `=`: say so rather than that there is none.
            let (_, at) = parse_target(text, index, text)?;
            parse_steps(&text[at..], at, index, text)?;
            return Err(
                error(index, text.len(), text, "no `=`").hint("write PATH=V1,V2,… e.g. nodePools[h100].count=1,2,4")
            );
        };
        let (path, values_text) = (&text[..eq], &text[eq + 1..]);
        let (target, steps_at) = parse_target(path, index, text)?;
        let steps = parse_steps(&path[steps_at..], steps_at, index, text)?;
        if steps.is_empty() {
            return Err(error(index, steps_at, text, "an empty path").hint("name a field, e.g. nodePools[h100].count"));
        }
        let values = parse_values(values_text, eq + 1, index, text)?;
        Ok(Setting {
            text: text.to_string(),
            path: path.to_string(),
            target,
            steps,
            values,
            index,
        })
    }

    /// Writes `value` at this path in the Scenario document or the object it names.
    pub(crate) fn apply(
        &self,
        scenario: &mut RawObject,
        included: &mut [RawObject],
        value: &str,
    ) -> Result<(), InputError> {
        match &self.target {
            Target::Scenario => {
                let mut steps: &[(Step, usize)] = &self.steps;
                if matches!(steps.first(), Some((Step::Key(k), _)) if k == "spec") {
                    steps = &steps[1..];
                }
                if let Some((Step::Key(k), col)) = steps.first() {
                    if matches!(k.as_str(), "include" | "apiVersion" | "kind" | "metadata") {
                        return Err(error(self.index, *col, &self.text, format!("`{k}` cannot be swept"))
                            .hint("sweep the fields of spec (nodePools, traffic, slo, duration, …) or of an included object (Kind/name:path)"));
                    }
                }
                let spec = child(&mut scenario.doc, "spec");
                self.walk(spec, steps, value)
            }
            Target::Object { kind, namespace, name } => {
                let matches: Vec<usize> = included
                    .iter()
                    .enumerate()
                    .filter(|(_, o)| {
                        o.kind.eq_ignore_ascii_case(kind)
                            && o.name() == *name
                            && namespace
                                .as_ref()
                                .is_none_or(|ns| object_namespace(o).as_deref() == Some(ns))
                    })
                    .map(|(i, _)| i)
                    .collect();
                match matches.as_slice() {
                    [i] => self.walk(&mut included[*i].doc, &self.steps, value),
                    [] => {
                        let same_kind: Vec<String> = included
                            .iter()
                            .filter(|o| o.kind.eq_ignore_ascii_case(kind))
                            .map(|o| o.name())
                            .collect();
                        let hint = if same_kind.is_empty() {
                            let kinds: std::collections::BTreeSet<&str> =
                                included.iter().map(|o| o.kind.as_str()).collect();
                            format!(
                                "the Scenario includes no {kind}; kinds included: {}",
                                kinds.into_iter().collect::<Vec<_>>().join(", ")
                            )
                        } else {
                            format!(
                                "{kind}s included: {}{}",
                                same_kind.join(", "),
                                did_you_mean(name, same_kind.iter().map(String::as_str))
                            )
                        };
                        Err(error(
                            self.index,
                            0,
                            &self.text,
                            format!("no {kind} `{name}` among the Scenario's inputs"),
                        )
                        .hint(hint))
                    }
                    several => {
                        let nss: Vec<String> = several
                            .iter()
                            .map(|i| object_namespace(&included[*i]).unwrap_or_else(|| "(none)".into()))
                            .collect();
                        Err(error(
                            self.index,
                            0,
                            &self.text,
                            format!("{kind} `{name}` exists in several namespaces: {}", nss.join(", ")),
                        )
                        .hint(format!("name one: {kind}/NAMESPACE/{name}:…")))
                    }
                }
            }
        }
    }

    fn walk(&self, root: &mut Node, steps: &[(Step, usize)], value: &str) -> Result<(), InputError> {
        let mut node = root;
        let mut trail = String::new();
        for (i, (step, col)) in steps.iter().enumerate() {
            let last = i + 1 == steps.len();
            let here = node.loc.clone();
            match step {
                Step::Key(k) => {
                    if !matches!(node.value, Value::Map(_) | Value::Null) {
                        return Err(self.not_a(
                            col,
                            &trail,
                            node.kind_name(),
                            &node.loc,
                            "a mapping",
                            &format!("`.{k}`"),
                        ));
                    }
                    self.may_add(node, k, *col, last, &trail)?;
                    node = child(node, k);
                    trail_push_key(&mut trail, k);
                }
                Step::Index(n) => {
                    let (kind, loc) = (node.kind_name(), node.loc.clone());
                    let Value::Seq(items) = &mut node.value else {
                        return Err(self.not_a(col, &trail, kind, &loc, "a list", &format!("`[{n}]`")));
                    };
                    let len = items.len();
                    let Some(item) = items.get_mut(*n) else {
                        return Err(error(
                            self.index,
                            *col,
                            &self.text,
                            format!("{} has {len} item(s), no [{n}] ({here})", shown(&trail)),
                        )
                        .hint(format!("indexes run from 0 to {}", len.saturating_sub(1))));
                    };
                    node = item;
                    trail.push_str(&format!("[{n}]"));
                }
                Step::Select(sel) => {
                    if matches!(node.value, Value::Map(_) | Value::Null) {
                        self.may_add(node, sel, *col, last, &trail)?;
                        node = child(node, sel);
                        trail.push_str(&format!("[{sel}]"));
                        continue;
                    }
                    let (kind, loc) = (node.kind_name(), node.loc.clone());
                    let Value::Seq(items) = &mut node.value else {
                        return Err(self.not_a(col, &trail, kind, &loc, "a list or mapping", &format!("`[{sel}]`")));
                    };
                    if let Some(pos) = items.iter().position(|n| item_name(n).as_deref() == Some(sel)) {
                        node = &mut items[pos];
                        trail.push_str(&format!("[{sel}]"));
                        continue;
                    }
                    let strings = items.iter().all(|n| matches!(n.value, Value::Scalar { .. }));
                    if strings && sel.starts_with('-') {
                        if !last {
                            return Err(error(
                                self.index,
                                *col,
                                &self.text,
                                format!("the flag `{sel}` is a value, not a mapping"),
                            )
                            .hint("end the path at the flag: …args[--max-num-seqs]=64,128"));
                        }
                        let flags: Vec<String> = items
                            .iter()
                            .filter_map(|n| n.as_str().ok())
                            .filter(|t| t.starts_with("--"))
                            .map(|t| t.split('=').next().unwrap_or(t).to_string())
                            .collect();
                        if !flags.iter().any(|f| f == sel) {
                            if let Some(close) = typo_of(sel, flags.iter().map(String::as_str)) {
                                return Err(error(
                                    self.index,
                                    *col,
                                    &self.text,
                                    format!("`{sel}` is not among the arguments ({here}), but `{close}` is"),
                                )
                                .hint(format!(
                                    "write [{close}]; a flag the list lacks is added, so a misspelt one would be too"
                                )));
                            }
                        }
                        set_flag(items, sel, value, &here);
                        return Ok(());
                    }
                    let names: Vec<String> = items.iter().filter_map(item_name).collect();
                    let hint = if names.is_empty() {
                        format!("select its items by index, [0] to [{}]", items.len().saturating_sub(1))
                    } else {
                        format!(
                            "items: {}{}",
                            names.join(", "),
                            did_you_mean(sel, names.iter().map(String::as_str))
                        )
                    };
                    return Err(error(
                        self.index,
                        *col,
                        &self.text,
                        format!("no item `{sel}` in {} ({here})", shown(&trail)),
                    )
                    .hint(hint));
                }
            }
        }
        if matches!(node.value, Value::Map(_) | Value::Seq(_)) {
            let col = steps.last().map(|s| s.1).unwrap_or(0);
            return Err(error(
                self.index,
                col,
                &self.text,
                format!("{} is {} ({}), not a value", shown(&trail), node.kind_name(), node.loc),
            )
            .hint("set one of its fields: extend the path"));
        }
        node.value = Value::Scalar {
            text: value.to_string(),
            quoted: false,
        };
        Ok(())
    }

    /// A key the mapping lacks may be added only at the end of the path, and not when it
    /// looks like a misspelling of a key the mapping has.
    fn may_add(&self, node: &Node, key: &str, col: usize, last: bool, trail: &str) -> Result<(), InputError> {
        let keys: Vec<&str> = match &node.value {
            Value::Map(entries) => entries.iter().filter_map(|(k, _)| k.as_str().ok()).collect(),
            _ => Vec::new(),
        };
        if keys.contains(&key) {
            return Ok(());
        }
        let listed = if keys.is_empty() {
            "it has no keys".to_string()
        } else {
            format!("keys there: {}", keys.join(", "))
        };
        if let Some(close) = typo_of(key, keys.iter().copied()) {
            return Err(error(
                self.index,
                col,
                &self.text,
                format!("no `{key}` in {} ({}), but `{close}`", shown(trail), node.loc),
            )
            .hint(format!("write `{close}`; {listed}")));
        }
        if !last {
            return Err(error(
                self.index,
                col,
                &self.text,
                format!("no `{key}` in {} ({})", shown(trail), node.loc),
            )
            .hint(format!("{listed}; only the last key of a path is added when missing")));
        }
        Ok(())
    }

    fn not_a(&self, col: &usize, trail: &str, kind: &str, loc: &Loc, want: &str, step: &str) -> InputError {
        error(
            self.index,
            *col,
            &self.text,
            format!("{} is {kind} ({loc}), so {step} does not apply", shown(trail)),
        )
        .hint(format!("{step} needs {want} here"))
    }
}

/// An existing name within two edits of `wanted` (and not equal to it): a likely typo.
fn typo_of<'a>(wanted: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .filter(|k| *k != wanted)
        .map(|k| (crate::manifest::error::edit_distance(wanted, k), k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn shown(trail: &str) -> String {
    if trail.is_empty() {
        "the document".into()
    } else {
        format!("`{trail}`")
    }
}

fn trail_push_key(trail: &mut String, k: &str) {
    if !trail.is_empty() {
        trail.push('.');
    }
    trail.push_str(k);
}

fn object_namespace(o: &RawObject) -> Option<String> {
    o.namespace_override.clone().or_else(|| {
        o.doc
            .path(&["metadata", "namespace"])
            .and_then(|n| n.as_str().ok())
            .map(str::to_string)
    })
}

/// The name a list item goes by: `name`, a traffic stream's `target`, an object's
/// `metadata.name`, or a plain string item itself.
fn item_name(n: &Node) -> Option<String> {
    let s = |n: Option<&Node>| n.and_then(|v| v.as_str().ok()).map(str::to_string);
    match &n.value {
        Value::Map(_) => s(n.get("name"))
            .or_else(|| s(n.get("target")))
            .or_else(|| s(n.path(&["metadata", "name"]))),
        _ => None,
    }
}

/// The value under `key`, added (null) when missing. Callers have checked that `node` is a
/// mapping or null; anything else is replaced by a mapping, so a wrong call cannot panic.
fn child<'n>(node: &'n mut Node, key: &str) -> &'n mut Node {
    let loc = node.loc.clone();
    if !matches!(node.value, Value::Map(_)) {
        node.value = Value::Map(Vec::new());
    }
    let Value::Map(entries) = &mut node.value else {
        // Cannot happen: the value was made a mapping just above.
        unreachable!("a mapping was just put here")
    };
    let pos = entries
        .iter()
        .position(|(k, _)| matches!(&k.value, Value::Scalar { text, .. } if text == key));
    let pos = pos.unwrap_or_else(|| {
        let key = Node::synthetic(
            loc.clone(),
            Value::Scalar {
                text: key.to_string(),
                quoted: false,
            },
        );
        entries.push((key, Node::synthetic(loc, Value::Null)));
        entries.len() - 1
    });
    &mut entries[pos].1
}

/// Sets a command-line flag in a list of arguments: `--x=V` or `--x V` rewritten in place,
/// else `--x=V` appended.
fn set_flag(items: &mut Vec<Node>, flag: &str, value: &str, loc: &Loc) {
    let text_of = |n: &Node| match &n.value {
        Value::Scalar { text, .. } => Some(text.clone()),
        _ => None,
    };
    let scalar = |text: String| Value::Scalar { text, quoted: true };
    let prefix = format!("{flag}=");
    for i in 0..items.len() {
        let Some(t) = text_of(&items[i]) else { continue };
        if t.starts_with(&prefix) {
            items[i].value = scalar(format!("{flag}={value}"));
            return;
        }
        if t == flag {
            let takes_next = items.get(i + 1).and_then(text_of).is_some_and(|n| !n.starts_with('-'));
            if takes_next {
                items[i + 1].value = scalar(value.to_string());
            } else {
                items[i].value = scalar(format!("{flag}={value}"));
            }
            return;
        }
    }
    items.push(Node::synthetic(loc.clone(), scalar(format!("{flag}={value}"))));
}

/// The byte offset of the first `c` outside `[…]` and quotes.
fn split_outside_brackets(text: &str, c: char) -> Option<usize> {
    let mut depth = 0i32;
    let mut quoted = false;
    for (i, ch) in text.char_indices() {
        match ch {
            '"' => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth -= 1,
            _ if ch == c && depth == 0 && !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// `Kind/name:` or `Kind/namespace/name:` before the path, or the Scenario; and where the
/// path's steps start.
fn parse_target(path: &str, index: usize, text: &str) -> Result<(Target, usize), InputError> {
    let Some(colon) = split_outside_brackets(path, ':') else {
        return Ok((Target::Scenario, 0));
    };
    let head = &path[..colon];
    let parts: Vec<&str> = head.split('/').collect();
    let kind_ok = |k: &str| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric());
    let target = match parts.as_slice() {
        [kind, name] if kind_ok(kind) && !name.is_empty() => Target::Object {
            kind: kind.to_string(),
            namespace: None,
            name: name.to_string(),
        },
        [kind, ns, name] if kind_ok(kind) && !ns.is_empty() && !name.is_empty() => Target::Object {
            kind: kind.to_string(),
            namespace: Some(ns.to_string()),
            name: name.to_string(),
        },
        _ => {
            return Err(error(index, 0, text, format!("`{head}` does not name an object"))
                .hint("write Kind/name:path or Kind/namespace/name:path, e.g. ClusterQueue/team-a:spec.cohort"))
        }
    };
    Ok((target, colon + 1))
}

fn parse_steps(path: &str, offset: usize, index: usize, text: &str) -> Result<Vec<(Step, usize)>, InputError> {
    let mut steps = Vec::new();
    let bytes = path.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'.' => {
                if i == 0 || i + 1 == bytes.len() || bytes[i + 1] == b'.' || bytes[i + 1] == b'[' {
                    return Err(error(index, offset + i, text, "a `.` without a key after it")
                        .hint("keys are separated by single dots"));
                }
                i += 1;
            }
            b'[' => {
                let close = path[i..].find(']').map(|c| i + c).ok_or_else(|| {
                    error(index, offset + i, text, "`[` without its `]`")
                        .hint("close the selector: [0], [h100], [--max-num-seqs]")
                })?;
                let inner = &path[i + 1..close];
                let step = if let Some(q) = inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                    Step::Select(q.to_string())
                } else if let Ok(n) = inner.parse::<usize>() {
                    Step::Index(n)
                } else if inner.is_empty() {
                    return Err(error(index, offset + i, text, "an empty `[]`")
                        .hint("select an item by index or name: [0], [h100]"));
                } else {
                    Step::Select(inner.to_string())
                };
                steps.push((step, offset + i));
                i = close + 1;
                if i < bytes.len() && bytes[i] != b'.' && bytes[i] != b'[' {
                    return Err(error(index, offset + i, text, "expected `.` or `[` after `]`")
                        .hint("e.g. nodePools[h100].count"));
                }
            }
            b']' => {
                return Err(error(index, offset + i, text, "a `]` without its `[`").hint("selectors are written [name]"))
            }
            _ => {
                let end = path[i..].find(['.', '[', ']']).map(|e| i + e).unwrap_or(path.len());
                steps.push((Step::Key(path[i..end].to_string()), offset + i));
                i = end;
            }
        }
    }
    Ok(steps)
}

fn parse_values(text: &str, offset: usize, index: usize, whole: &str) -> Result<Vec<String>, InputError> {
    let mut values = Vec::new();
    let mut at = offset;
    for part in text.split(',') {
        let v = part.trim();
        if v.is_empty() {
            return Err(error(index, at, whole, "an empty value").hint("values are separated by single commas: 1,2,4"));
        }
        match v.split_once("..") {
            Some((a, b)) if a.parse::<i64>().is_ok() && b.parse::<i64>().is_ok() => {
                let (a, b) = (a.parse::<i64>().unwrap_or(0), b.parse::<i64>().unwrap_or(0));
                if b < a || b - a >= 10_000 {
                    return Err(error(
                        index,
                        at,
                        whole,
                        format!("the range {v} is empty or over 10,000 values"),
                    )
                    .hint("write A..B with A ≤ B, e.g. 1..8"));
                }
                values.extend((a..=b).map(|n| n.to_string()));
            }
            _ => values.push(v.to_string()),
        }
        at += part.len() + 1;
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::yaml::parse_documents;

    fn raw(text: &str) -> RawObject {
        let doc = parse_documents(&Arc::from("s.yaml"), text).unwrap().remove(0).root;
        let kind = doc.get("kind").and_then(|k| k.as_str().ok()).unwrap_or("").to_string();
        RawObject {
            api_version: "v1".into(),
            kind,
            doc,
            namespace_override: None,
        }
    }

    const SCENARIO: &str = "kind: Scenario\nmetadata: {name: s}\nspec:\n  nodePools:\n    - {name: l4, instanceType: g6.xlarge, count: 1}\n    - {name: h100, instanceType: p5.48xlarge, count: 1}\n  traffic:\n    - {target: llama, rate: 1/s}\n";
    const ISVC: &str = "kind: InferenceService\nmetadata: {name: llama, namespace: chat}\nspec:\n  predictor:\n    model:\n      args: [\"--max-model-len=8192\", \"--max-num-seqs\", \"64\"]\n";
    const CQ: &str = "kind: ClusterQueue\nmetadata: {name: team}\nspec:\n  resourceGroups:\n  - flavors:\n    - name: h100\n      resources:\n      - {name: nvidia.com/gpu, nominalQuota: 8}\n";

    fn set(text: &str, value: &str) -> Result<(RawObject, Vec<RawObject>), InputError> {
        let s = Setting::parse(text, 1)?;
        let mut sc = raw(SCENARIO);
        let mut inc = vec![raw(ISVC), raw(CQ)];
        s.apply(&mut sc, &mut inc, value)?;
        Ok((sc, inc))
    }

    fn text_at(n: &Node, path: &str) -> String {
        let mut node = n;
        for part in path.split('/') {
            node = match part.parse::<usize>() {
                Ok(i) => &node.items().unwrap()[i],
                Err(_) => node.get(part).unwrap(),
            };
        }
        node.as_str().unwrap().to_string()
    }

    #[test]
    fn paths_reach_what_they_name() {
        let cases: &[(&str, &str, usize, &str, &str)] = &[
            // (setting, value, document: 0 scenario / 1 isvc / 2 cq, path to read, expected)
            ("nodePools[h100].count=2", "2", 0, "spec/nodePools/1/count", "2"),
            (
                "spec.nodePools[1].instanceType=p4d.24xlarge",
                "p4d.24xlarge",
                0,
                "spec/nodePools/1/instanceType",
                "p4d.24xlarge",
            ),
            ("traffic[llama].rate=8/s", "8/s", 0, "spec/traffic/0/rate", "8/s"),
            ("duration=2h", "2h", 0, "spec/duration", "2h"),
            (
                "InferenceService/llama:spec.predictor.model.args[--max-model-len]=4096",
                "4096",
                1,
                "spec/predictor/model/args/0",
                "--max-model-len=4096",
            ),
            (
                "InferenceService/chat/llama:spec.predictor.model.args[--max-num-seqs]=128",
                "128",
                1,
                "spec/predictor/model/args/2",
                "128",
            ),
            (
                "InferenceService/llama:spec.predictor.model.args[--kv-cache-dtype]=fp8",
                "fp8",
                1,
                "spec/predictor/model/args/3",
                "--kv-cache-dtype=fp8",
            ),
            (
                "InferenceService/llama:spec.predictor.minReplicas=2",
                "2",
                1,
                "spec/predictor/minReplicas",
                "2",
            ),
            (
                "clusterqueue/team:spec.resourceGroups[0].flavors[h100].resources[nvidia.com/gpu].nominalQuota=16",
                "16",
                2,
                "spec/resourceGroups/0/flavors/0/resources/0/nominalQuota",
                "16",
            ),
        ];
        for (setting, value, doc, path, want) in cases {
            let (sc, inc) = set(setting, value).unwrap_or_else(|e| panic!("{setting}: {e}"));
            let d = if *doc == 0 { &sc.doc } else { &inc[doc - 1].doc };
            assert_eq!(text_at(d, path), *want, "{setting}");
        }
    }

    #[test]
    fn bad_paths_say_where_and_what_exists() {
        let cases: &[(&str, &str, &str)] = &[
            // (setting, location, part of the message or hint)
            (
                "nodePools[h10].count=1",
                "--set:1:10",
                "items: l4, h100 (did you mean `h100`",
            ),
            ("nodePools[5].count=1", "--set:1:10", "has 2 item(s), no [5]"),
            ("nodePools.count=1", "--set:1:11", "is a list"),
            ("nodePools=1", "--set:1:1", "not a value"),
            ("nodePools[h100.count=1", "--set:1:10", "`[` without its `]`"),
            ("nodePools[h100].count", "--set:1:22", "no `=`"),
            ("nodePools[h100].count=1,,2", "--set:1:25", "an empty value"),
            ("nodePools[h100].count=9..2", "--set:1:23", "empty or over"),
            ("include=x", "--set:1:1", "cannot be swept"),
            (
                "Deployment/llama:spec.replicas=1",
                "--set:1:1",
                "kinds included: ClusterQueue, InferenceService",
            ),
            ("InferenceService/lama:spec.x=1", "--set:1:1", "did you mean `llama`"),
            ("a b/c/d/e:x=1", "--set:1:1", "does not name an object"),
            (
                "nodePools[h100].cont=1",
                "--set:1:17",
                "no `cont` in `nodePools[h100]` (s.yaml:6:7), but `count`",
            ),
            (
                "InferenceService/llama:spec.predictor.modl.args[--x]=1",
                "--set:1:39",
                "no `modl` in `spec.predictor` (s.yaml:5:10), but `model`",
            ),
            (
                "InferenceService/llama:spec.predictor.foo.args[--x]=1",
                "--set:1:39",
                "only the last key of a path is added",
            ),
            (
                "InferenceService/llama:spec.predictor.model.args[--max-num-seq]=1",
                "--set:1:49",
                "but `--max-num-seqs` is",
            ),
        ];
        for (setting, loc, part) in cases {
            let e = set(setting, "1").expect_err(setting);
            let shown = e.to_string();
            assert!(shown.starts_with(loc), "{setting}: {shown}");
            assert!(shown.contains(part), "{setting}: {shown}");
        }
    }

    #[test]
    fn values_and_ranges() {
        let s = Setting::parse("nodePools[h100].count=1..3, 8", 2).unwrap();
        assert_eq!(s.values, ["1", "2", "3", "8"]);
        let s = Setting::parse("InferenceService/x:spec.predictor.model.args[--max-num-seqs]=64,128", 1).unwrap();
        assert_eq!(s.values, ["64", "128"]);
        assert_eq!(s.path, "InferenceService/x:spec.predictor.model.args[--max-num-seqs]");
    }
}
