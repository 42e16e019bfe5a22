//! A YAML tree that remembers where every node came from, so that any later check
//! (an unknown reference, an impossible quantity) can point at `file:line:col`.

use super::error::{InputError, Loc};
use std::collections::HashMap;
use std::sync::Arc;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    /// A scalar, kept as written; `quoted` tells `"4"` from `4` and `"true"` from `true`.
    Scalar {
        text: String,
        quoted: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub loc: Loc,
}

/// One YAML document of a file.
#[derive(Debug, Clone)]
pub(crate) struct Document {
    pub root: Node,
}

pub(crate) fn parse_documents(file: &Arc<str>, text: &str) -> Result<Vec<Document>, InputError> {
    let mut builder = Builder {
        file: file.clone(),
        stack: Vec::new(),
        docs: Vec::new(),
        anchors: HashMap::new(),
        pending_key: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, true).map_err(|e| {
        let m = e.marker();
        InputError::at(
            Loc::new(file.clone(), m.line() as u32, m.col() as u32 + 1),
            format!("malformed YAML: {}", e.info()),
        )
        .hint("check indentation, colons and quoting around this position")
    })?;
    Ok(builder
        .docs
        .into_iter()
        .filter(|d| !matches!(d.root.value, Value::Null))
        .collect())
}

struct Builder {
    file: Arc<str>,
    stack: Vec<(Node, usize)>,
    docs: Vec<Document>,
    anchors: HashMap<usize, Node>,
    /// For maps under construction: the key waiting for its value.
    pending_key: Vec<Option<Node>>,
}

impl Builder {
    fn loc(&self, m: Marker) -> Loc {
        Loc::new(self.file.clone(), m.line() as u32, m.col() as u32 + 1)
    }

    fn push_value(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.docs.push(Document { root: node }),
            Some((parent, _)) => match &mut parent.value {
                Value::Seq(items) => items.push(node),
                Value::Map(entries) => {
                    let slot = self.pending_key.last_mut().expect("map has key slot");
                    match slot.take() {
                        None => *slot = Some(node),
                        Some(key) => entries.push((key, node)),
                    }
                }
                _ => unreachable!("only collections are on the stack"),
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let quoted = !matches!(style, TScalarStyle::Plain) || tag.as_ref().is_some_and(|t| t.suffix == "str");
                let is_null = !quoted && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL");
                let value = if is_null {
                    Value::Null
                } else {
                    Value::Scalar { text, quoted }
                };
                let node = Node {
                    value,
                    loc: self.loc(mark),
                };
                self.push_value(node, anchor);
            }
            Event::SequenceStart(anchor, _) => {
                let node = Node {
                    value: Value::Seq(Vec::new()),
                    loc: self.loc(mark),
                };
                self.stack.push((node, anchor));
            }
            Event::MappingStart(anchor, _) => {
                let node = Node {
                    value: Value::Map(Vec::new()),
                    loc: self.loc(mark),
                };
                self.stack.push((node, anchor));
                self.pending_key.push(None);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if matches!(ev, Event::MappingEnd) {
                    self.pending_key.pop();
                }
                if let Some((node, anchor)) = self.stack.pop() {
                    self.push_value(node, anchor);
                }
            }
            Event::Alias(id) => {
                let node = self.anchors.get(&id).cloned().unwrap_or(Node {
                    value: Value::Null,
                    loc: self.loc(mark),
                });
                self.push_value(node, 0);
            }
            Event::DocumentEnd => {
                // An empty document (`---` followed by nothing) yields no scalar event.
            }
            _ => {}
        }
    }
}

impl Node {
    pub(crate) fn synthetic(loc: Loc, value: Value) -> Node {
        Node { value, loc }
    }

    pub(crate) fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Scalar { .. } => "a scalar",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(&k.value, Value::Scalar { text, .. } if text == key))
                .map(|(_, v)| v)
                .filter(|v| !v.is_null()),
            _ => None,
        }
    }

    /// Follows a path of keys; missing steps give `None`.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |n, k| n.get(k))
    }

    pub(crate) fn entries(&self) -> Result<&[(Node, Node)], InputError> {
        match &self.value {
            Value::Map(e) => Ok(e),
            Value::Null => Ok(&[]),
            _ => Err(self.type_error("a mapping")),
        }
    }

    pub(crate) fn items(&self) -> Result<&[Node], InputError> {
        match &self.value {
            Value::Seq(items) => Ok(items),
            Value::Null => Ok(&[]),
            _ => Err(self.type_error("a list")),
        }
    }

    pub fn as_str(&self) -> Result<&str, InputError> {
        match &self.value {
            Value::Scalar { text, .. } => Ok(text),
            _ => Err(self.type_error("a string")),
        }
    }

    pub(crate) fn as_bool(&self) -> Result<bool, InputError> {
        match &self.value {
            Value::Scalar { text, .. } if text == "true" => Ok(true),
            Value::Scalar { text, .. } if text == "false" => Ok(false),
            _ => Err(self.type_error("true or false")),
        }
    }

    pub(crate) fn as_i64(&self) -> Result<i64, InputError> {
        match &self.value {
            Value::Scalar { text, .. } => text.trim().parse::<i64>().map_err(|_| {
                InputError::at(self.loc.clone(), format!("`{text}` is not an integer"))
                    .hint("write a whole number such as 0, 1 or 30")
            }),
            _ => Err(self.type_error("an integer")),
        }
    }

    pub(crate) fn as_f64(&self) -> Result<f64, InputError> {
        match &self.value {
            Value::Scalar { text, .. } => text
                .trim()
                .parse::<f64>()
                .map_err(|_| InputError::at(self.loc.clone(), format!("`{text}` is not a number"))),
            _ => Err(self.type_error("a number")),
        }
    }

    pub(crate) fn type_error(&self, expected: &str) -> InputError {
        InputError::at(
            self.loc.clone(),
            format!("expected {expected}, found {}", self.kind_name()),
        )
    }

    /// Converts to JSON (scalars typed the way YAML 1.2 core schema would).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Scalar { text, quoted: true } => J::String(text.clone()),
            Value::Scalar { text, quoted: false } => {
                if text == "true" {
                    J::Bool(true)
                } else if text == "false" {
                    J::Bool(false)
                } else if let Ok(i) = text.parse::<i64>() {
                    J::from(i)
                } else if let Some(f) = text
                    .parse::<f64>()
                    .ok()
                    .filter(|_| text.chars().any(|c| c.is_ascii_digit()) && !text.contains("inf"))
                {
                    serde_json::Number::from_f64(f)
                        .map(J::Number)
                        .unwrap_or(J::String(text.clone()))
                } else {
                    J::String(text.clone())
                }
            }
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => {
                let mut m = serde_json::Map::new();
                for (k, v) in entries {
                    let key = match &k.value {
                        Value::Scalar { text, .. } => text.clone(),
                        _ => continue,
                    };
                    m.insert(key, v.to_json());
                }
                J::Object(m)
            }
        }
    }

    /// Builds a tree from JSON; every node carries `loc` (e.g. the timeline command that
    /// produced it), so errors in patched objects still point somewhere useful.
    pub(crate) fn from_json(v: &serde_json::Value, loc: &Loc) -> Node {
        use serde_json::Value as J;
        let value = match v {
            J::Null => Value::Null,
            J::Bool(b) => Value::Scalar {
                text: b.to_string(),
                quoted: false,
            },
            J::Number(n) => Value::Scalar {
                text: n.to_string(),
                quoted: false,
            },
            J::String(s) => Value::Scalar {
                text: s.clone(),
                quoted: true,
            },
            J::Array(a) => Value::Seq(a.iter().map(|x| Node::from_json(x, loc)).collect()),
            J::Object(o) => Value::Map(
                o.iter()
                    .map(|(k, x)| {
                        (
                            Node {
                                value: Value::Scalar {
                                    text: k.clone(),
                                    quoted: true,
                                },
                                loc: loc.clone(),
                            },
                            Node::from_json(x, loc),
                        )
                    })
                    .collect(),
            ),
        };
        Node {
            value,
            loc: loc.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<Document> {
        parse_documents(&Arc::from("t.yaml"), text).unwrap()
    }

    #[test]
    fn locations_are_one_based_line_and_column() {
        let docs = parse("a: 1\nb:\n  c: \"x\"\n");
        let c = docs[0].root.path(&["b", "c"]).unwrap();
        assert_eq!((c.loc.line, c.loc.col), (3, 6));
        assert_eq!(c.as_str().unwrap(), "x");
    }

    #[test]
    fn multi_document_files_skip_empty_documents() {
        let docs = parse("---\nkind: A\n---\n---\nkind: B\n");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].root.get("kind").unwrap().as_str().unwrap(), "B");
    }

    #[test]
    fn malformed_yaml_is_located() {
        let err = parse_documents(&Arc::from("bad.yaml"), "a: [1, 2\nb: 3\n").unwrap_err();
        let shown = err.to_string();
        assert!(shown.starts_with("bad.yaml:"), "{shown}");
        assert!(shown.contains("malformed YAML"), "{shown}");
    }

    #[test]
    fn anchors_and_aliases_resolve() {
        let docs = parse("x: &a {k: v}\ny: *a\n");
        assert_eq!(docs[0].root.path(&["y", "k"]).unwrap().as_str().unwrap(), "v");
    }

    #[test]
    fn json_round_trip_keeps_scalar_types() {
        let docs = parse("n: 4\ns: \"4\"\nb: true\nl: [a, 1]\n");
        let j = docs[0].root.to_json();
        assert_eq!(j, serde_json::json!({"n": 4, "s": "4", "b": true, "l": ["a", 1]}));
    }
}
