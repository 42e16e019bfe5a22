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

/// How deep mappings and lists may nest. Kubernetes objects stay far below it; beyond it a
/// document is more likely a mistake or an attack than a manifest.
pub(crate) const MAX_DEPTH: usize = 200;

/// How many nodes aliases may add to a file by repeating what their anchors hold: enough
/// for any reuse of a block of labels or resources, too few for an alias bomb to exhaust
/// memory.
pub(crate) const MAX_ALIAS_NODES: usize = 100_000;

pub(crate) fn parse_documents(file: &Arc<str>, text: &str) -> Result<Vec<Document>, InputError> {
    let mut builder = Builder {
        file: file.clone(),
        stack: Vec::new(),
        docs: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        error: None,
    };
    // Events are pulled one at a time rather than through `Parser::load`, which recurses once
    // per nesting level and would overflow the stack on a deeply nested (or hostile) file
    // before the depth limit could stop it.
    let mut parser = Parser::new_from_str(text);
    let parsed = loop {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) => break Ok(()),
            Ok((ev, mark)) => builder.on_event(ev, mark),
            Err(e) => break Err(e),
        }
        if builder.error.is_some() {
            break Ok(());
        }
    };
    if let Some(e) = builder.error {
        return Err(e);
    }
    parsed.map_err(|e| {
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

/// A mapping or list being built.
struct Open {
    node: Node,
    anchor: usize,
    /// Nodes in it so far, itself included.
    size: usize,
    /// For a mapping: the key waiting for its value, and the keys seen.
    key: Option<Node>,
    keys: HashMap<String, Loc>,
}

struct Builder {
    file: Arc<str>,
    stack: Vec<Open>,
    docs: Vec<Document>,
    /// Anchored nodes and their sizes.
    anchors: HashMap<usize, (Node, usize)>,
    /// Nodes added by aliases so far.
    alias_nodes: usize,
    /// The first problem: the rest of the file is not built.
    error: Option<InputError>,
}

impl Builder {
    fn loc(&self, m: Marker) -> Loc {
        Loc::new(self.file.clone(), m.line() as u32, m.col() as u32 + 1)
    }

    fn fail(&mut self, e: InputError) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    fn open(&mut self, node: Node, anchor: usize) {
        if self.stack.len() >= MAX_DEPTH {
            let e = InputError::at(
                node.loc,
                format!("mappings and lists nest deeper than {MAX_DEPTH} levels"),
            )
            .hint("a Kubernetes manifest is never this deep: check the indentation and brackets");
            self.fail(e);
            return;
        }
        self.stack.push(Open {
            node,
            anchor,
            size: 1,
            key: None,
            keys: HashMap::new(),
        });
    }

    fn push_value(&mut self, node: Node, anchor: usize, size: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
        let Some(parent) = self.stack.last_mut() else {
            self.docs.push(Document { root: node });
            return;
        };
        parent.size += size;
        match &mut parent.node.value {
            Value::Seq(items) => items.push(node),
            Value::Map(entries) => match parent.key.take() {
                None => {
                    // kubectl decodes strictly: a key given twice is an error, not a choice.
                    if let Value::Scalar { text, .. } = &node.value {
                        if let Some(first) = parent.keys.get(text) {
                            let e = InputError::at(
                                node.loc.clone(),
                                format!(
                                    "mapping key `{text}` appears twice (first at line {}:{})",
                                    first.line, first.col
                                ),
                            )
                            .hint("remove one of them: Kubernetes rejects duplicate keys (strict decoding)");
                            self.fail(e);
                            return;
                        }
                        parent.keys.insert(text.clone(), node.loc.clone());
                    }
                    parent.key = Some(node);
                }
                Some(key) => entries.push((key, node)),
            },
            // Only collections are ever opened.
            Value::Null | Value::Scalar { .. } => {}
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
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
                self.push_value(node, anchor, 1);
            }
            Event::SequenceStart(anchor, _) => {
                let node = Node {
                    value: Value::Seq(Vec::new()),
                    loc: self.loc(mark),
                };
                self.open(node, anchor);
            }
            Event::MappingStart(anchor, _) => {
                let node = Node {
                    value: Value::Map(Vec::new()),
                    loc: self.loc(mark),
                };
                self.open(node, anchor);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(open) = self.stack.pop() {
                    self.push_value(open.node, open.anchor, open.size);
                }
            }
            Event::Alias(id) => {
                let (node, size) = self.anchors.get(&id).cloned().unwrap_or((
                    Node {
                        value: Value::Null,
                        loc: self.loc(mark),
                    },
                    1,
                ));
                self.alias_nodes += size;
                if self.alias_nodes > MAX_ALIAS_NODES {
                    let e = InputError::at(
                        self.loc(mark),
                        format!("aliases expand this file by more than {MAX_ALIAS_NODES} nodes"),
                    )
                    .hint("write the repeated part out, or repeat less: nested aliases multiply (an alias bomb)");
                    self.fail(e);
                    return;
                }
                self.push_value(node, 0, size);
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

    /// Where a field path such as `spec.triggers[0].metadata.query` lies: the deepest
    /// node of it that exists (the document itself when none does).
    pub(crate) fn locate(&self, path: &str) -> Loc {
        let mut node = self;
        for part in path.split('.').filter(|p| !p.is_empty()) {
            let (key, indexes) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            let Some(next) = (if key.is_empty() { Some(node) } else { node.get(key) }) else {
                break;
            };
            node = next;
            for index in indexes.split('[').filter_map(|x| x.strip_suffix(']')) {
                let item = index
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| node.items().ok().and_then(|items| items.get(i)));
                match item {
                    Some(n) => node = n,
                    None => return node.loc.clone(),
                }
            }
        }
        node.loc.clone()
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
    fn what_kubectl_or_memory_would_not_take_is_a_located_error() {
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
        let deep = format!("a: {}{}\n", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        // (input, where, what)
        let cases: Vec<(&str, &str, &str)> = vec![
            (
                "metadata:\n  name: a\n  name: b\n",
                "t.yaml:3:3",
                "mapping key `name` appears twice (first at line 2:3)",
            ),
            (bomb, "t.yaml:5:", "aliases expand this file by more than 100000 nodes"),
            (&deep, "t.yaml:1:", "nest deeper than 200 levels"),
        ];
        for (input, at, what) in cases {
            let e = parse_documents(&Arc::from("t.yaml"), input).unwrap_err().to_string();
            assert!(e.starts_with(at) && e.contains(what), "{e}");
        }
        // The same key in two mappings, and an alias reused a little, are fine.
        assert!(parse_documents(
            &Arc::from("t.yaml"),
            "a: {name: x}\nb: {name: y}\nc: &c [1, 2]\nd: [*c, *c]\n"
        )
        .is_ok());
    }

    #[test]
    fn json_round_trip_keeps_scalar_types() {
        let docs = parse("n: 4\ns: \"4\"\nb: true\nl: [a, 1]\n");
        let j = docs[0].root.to_json();
        assert_eq!(j, serde_json::json!({"n": 4, "s": "4", "b": true, "l": ["a", 1]}));
    }
}
