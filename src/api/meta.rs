//! Object metadata, label selectors and the decoding helpers every kind shares.

use crate::manifest::error::{InputError, Loc};
use crate::manifest::yaml::{Node, Value};
use crate::units::{Quantity, SimDuration};
use std::collections::BTreeMap;

pub type Labels = BTreeMap<String, String>;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectMeta {
    pub name: String,
    pub namespace: Option<String>,
    pub labels: Labels,
    pub annotations: Labels,
}

impl ObjectMeta {
    pub fn decode(doc: &Node) -> Result<ObjectMeta, InputError> {
        let meta = doc.get("metadata").ok_or_else(|| {
            InputError::at(doc.loc.clone(), "object has no metadata").hint("add `metadata: {name: ...}`")
        })?;
        let name = match meta.get("name") {
            Some(n) => n.as_str()?.to_string(),
            None => {
                return Err(InputError::at(meta.loc.clone(), "metadata.name is missing")
                    .hint("every object needs a name; generateName is not supported in manifests"))
            }
        };
        validate_dns_name(&name, &meta.get("name").unwrap().loc)?;
        Ok(ObjectMeta {
            name,
            namespace: meta
                .get("namespace")
                .map(|n| n.as_str().map(str::to_string))
                .transpose()?,
            labels: string_map(meta.get("labels"))?,
            annotations: string_map(meta.get("annotations"))?,
        })
    }
}

/// Kubernetes object names are DNS subdomains: lowercase alphanumerics, '-' and '.'.
pub(crate) fn validate_dns_name(name: &str, loc: &Loc) -> Result<(), InputError> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(InputError::at(loc.clone(), format!("invalid object name `{name}`"))
            .hint("names must consist of lower case alphanumeric characters, '-' or '.', and start and end with an alphanumeric character"))
    }
}

pub(crate) fn string_map(node: Option<&Node>) -> Result<Labels, InputError> {
    let mut out = Labels::new();
    if let Some(n) = node {
        for (k, v) in n.entries()? {
            let value = match &v.value {
                Value::Null => String::new(),
                Value::Scalar { text, .. } => text.clone(),
                _ => return Err(v.type_error("a string value")),
            };
            out.insert(k.as_str()?.to_string(), value);
        }
    }
    Ok(out)
}

pub(crate) fn opt_str(node: &Node, key: &str) -> Result<Option<String>, InputError> {
    node.get(key).map(|n| n.as_str().map(str::to_string)).transpose()
}

pub(crate) fn req_str(node: &Node, key: &str, what: &str) -> Result<String, InputError> {
    match node.get(key) {
        Some(n) => Ok(n.as_str()?.to_string()),
        None => Err(InputError::at(node.loc.clone(), format!("{what}: `{key}` is missing"))),
    }
}

pub(crate) fn string_list(node: Option<&Node>) -> Result<Vec<String>, InputError> {
    match node {
        None => Ok(Vec::new()),
        Some(n) => n.items()?.iter().map(|i| i.as_str().map(str::to_string)).collect(),
    }
}

pub fn quantity(node: &Node) -> Result<Quantity, InputError> {
    let text = node.as_str()?;
    let q = Quantity::parse(text).map_err(|e| InputError::at(node.loc.clone(), e.to_string()))?;
    if q.milli() < 0 {
        return Err(
            InputError::at(node.loc.clone(), format!("quantity `{text}` is negative"))
                .hint("resource quantities must be zero or more"),
        );
    }
    Ok(q)
}

pub fn duration(node: &Node) -> Result<SimDuration, InputError> {
    let text = node.as_str()?;
    SimDuration::parse(text).map_err(|e| InputError::at(node.loc.clone(), e.to_string()))
}

/// `matchLabels` + `matchExpressions`; an empty selector matches everything, a missing
/// one (None where it is optional) matches nothing — callers decide which applies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector {
    pub match_labels: Labels,
    pub match_expressions: Vec<SelectorRequirement>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SelectorRequirement {
    pub key: String,
    pub operator: SelectorOp,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectorOp {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
}

impl SelectorOp {
    pub fn as_str(self) -> &'static str {
        match self {
            SelectorOp::In => "In",
            SelectorOp::NotIn => "NotIn",
            SelectorOp::Exists => "Exists",
            SelectorOp::DoesNotExist => "DoesNotExist",
            SelectorOp::Gt => "Gt",
            SelectorOp::Lt => "Lt",
        }
    }

    pub fn decode(node: &Node, allow_numeric: bool) -> Result<SelectorOp, InputError> {
        let text = node.as_str()?;
        Ok(match text {
            "In" => SelectorOp::In,
            "NotIn" => SelectorOp::NotIn,
            "Exists" => SelectorOp::Exists,
            "DoesNotExist" => SelectorOp::DoesNotExist,
            "Gt" if allow_numeric => SelectorOp::Gt,
            "Lt" if allow_numeric => SelectorOp::Lt,
            other => {
                return Err(
                    InputError::at(node.loc.clone(), format!("unknown operator `{other}`")).hint(if allow_numeric {
                        "expected In, NotIn, Exists, DoesNotExist, Gt or Lt"
                    } else {
                        "expected In, NotIn, Exists or DoesNotExist"
                    }),
                )
            }
        })
    }
}

impl SelectorRequirement {
    pub fn decode(node: &Node, allow_numeric: bool) -> Result<Self, InputError> {
        let op_node = node
            .get("operator")
            .ok_or_else(|| InputError::at(node.loc.clone(), "selector requirement has no operator"))?;
        Ok(SelectorRequirement {
            key: req_str(node, "key", "selector requirement")?,
            operator: SelectorOp::decode(op_node, allow_numeric)?,
            values: string_list(node.get("values"))?,
        })
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        let v = labels.get(&self.key);
        match self.operator {
            SelectorOp::In => v.is_some_and(|v| self.values.contains(v)),
            SelectorOp::NotIn => !v.is_some_and(|v| self.values.contains(v)),
            SelectorOp::Exists => v.is_some(),
            SelectorOp::DoesNotExist => v.is_none(),
            SelectorOp::Gt | SelectorOp::Lt => {
                let (Some(v), Some(bound)) = (v, self.values.first()) else {
                    return false;
                };
                match (v.parse::<i64>(), bound.parse::<i64>()) {
                    (Ok(a), Ok(b)) => {
                        if self.operator == SelectorOp::Gt {
                            a > b
                        } else {
                            a < b
                        }
                    }
                    _ => false,
                }
            }
        }
    }
}

impl LabelSelector {
    pub fn decode(node: &Node) -> Result<LabelSelector, InputError> {
        let mut exprs = Vec::new();
        if let Some(e) = node.get("matchExpressions") {
            for item in e.items()? {
                exprs.push(SelectorRequirement::decode(item, false)?);
            }
        }
        Ok(LabelSelector {
            match_labels: string_map(node.get("matchLabels"))?,
            match_expressions: exprs,
        })
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| r.matches(labels))
    }

    /// Parses kubectl's `-l` syntax: `a=b,c!=d,e,!f,g in (x,y)`.
    pub(crate) fn parse_cli(text: &str) -> Result<LabelSelector, String> {
        let mut sel = LabelSelector::default();
        for part in split_top_level(text) {
            let p = part.trim();
            if p.is_empty() {
                continue;
            }
            if let Some((k, rest)) = p.split_once(" in ").or_else(|| p.split_once(" notin ")) {
                let op = if p.contains(" notin ") {
                    SelectorOp::NotIn
                } else {
                    SelectorOp::In
                };
                let vals = rest.trim().trim_start_matches('(').trim_end_matches(')');
                sel.match_expressions.push(SelectorRequirement {
                    key: k.trim().to_string(),
                    operator: op,
                    values: vals.split(',').map(|v| v.trim().to_string()).collect(),
                });
            } else if let Some((k, v)) = p.split_once("!=") {
                sel.match_expressions.push(SelectorRequirement {
                    key: k.trim().to_string(),
                    operator: SelectorOp::NotIn,
                    values: vec![v.trim().to_string()],
                });
            } else if let Some((k, v)) = p.split_once("==").or_else(|| p.split_once('=')) {
                sel.match_labels.insert(k.trim().to_string(), v.trim().to_string());
            } else if let Some(k) = p.strip_prefix('!') {
                sel.match_expressions.push(SelectorRequirement {
                    key: k.trim().to_string(),
                    operator: SelectorOp::DoesNotExist,
                    values: vec![],
                });
            } else if p.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)) {
                sel.match_expressions.push(SelectorRequirement {
                    key: p.to_string(),
                    operator: SelectorOp::Exists,
                    values: vec![],
                });
            } else {
                return Err(format!("unable to parse requirement: `{p}`"));
            }
        }
        Ok(sel)
    }
}

fn split_top_level(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    parts.push(cur);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn cli_selectors_match_like_kubectl() {
        let l = labels(&[("app", "x"), ("tier", "gpu"), ("n", "5")]);
        let cases = [
            ("app=x", true),
            ("app==x", true),
            ("app=y", false),
            ("app!=y", true),
            ("tier", true),
            ("!tier", false),
            ("!missing", true),
            ("tier in (gpu,cpu)", true),
            ("tier notin (gpu)", false),
            ("app=x,tier=gpu", true),
            ("serving.kserve.io/inferenceservice", false),
        ];
        for (sel, want) in cases {
            assert_eq!(LabelSelector::parse_cli(sel).unwrap().matches(&l), want, "{sel}");
        }
    }

    #[test]
    fn object_names_follow_dns_rules() {
        let loc = Loc::file("x");
        for ok in ["a", "mistral-3-bf16", "a.b"] {
            assert!(validate_dns_name(ok, &loc).is_ok(), "{ok}");
        }
        for bad in ["", "Upper", "-a", "a-", "a_b"] {
            assert!(validate_dns_name(bad, &loc).is_err(), "{bad}");
        }
    }
}
