//! `oc get`: the objects asked for, of one kind or several (`deployments,pods`), as
//! tables or as the objects themselves (`-o yaml|json|name|jsonpath=…`), laid out as
//! kubectl's `get` command lays them out (`pkg/cmd/get/get.go`).

use super::jsonpath::{go_json_indent, Template};
use super::{not_found, Kind, Resource};
use crate::api::meta::{LabelSelector, Labels};
use crate::scenario::oc_error::OcError;
use crate::scenario::printers::table;
use crate::store::Store;
use serde_json::{json, Value};

/// A table's columns: the kind's own, or `-o wide`'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Columns {
    Default,
    Wide,
}

/// What `oc get` prints: a table, or the objects as `-o yaml`, `-o json`, `-o name` or
/// `-o jsonpath=TEMPLATE` (the template as written, parsed when the command is read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    Table(Columns),
    Yaml,
    Json,
    Name,
    JsonPath(String),
}

impl From<Columns> for Output {
    fn from(c: Columns) -> Output {
        Output::Table(c)
    }
}

impl Output {
    /// `-o FORMAT` as kubectl reads it; the error is kubectl's.
    pub(crate) fn parse(format: &str) -> Result<Output, String> {
        Ok(match format {
            "wide" => Output::Table(Columns::Wide),
            "yaml" => Output::Yaml,
            "json" => Output::Json,
            "name" => Output::Name,
            "jsonpath" | "jsonpath=" => return Err("template format specified but no template given".into()),
            f => match f.strip_prefix("jsonpath=") {
                Some(template) => {
                    Template::parse(template).map_err(|e| format!("error parsing jsonpath {template}, {e}"))?;
                    Output::JsonPath(template.to_string())
                }
                None => return Err(format!("unable to match a printer suitable for the output format \"{f}\", allowed formats are: json,jsonpath,name,wide,yaml")),
            },
        })
    }
}

/// What an `oc get` asks for.
pub(crate) struct Query<'a> {
    /// None: every namespace (`-A`).
    namespace: Option<&'a str>,
    /// None asked for: all.
    names: &'a [String],
    selector: Option<LabelSelector>,
    output: Output,
}

impl<'a> Query<'a> {
    /// Refuses a selector kubectl would not parse.
    pub(crate) fn new(
        namespace: Option<&'a str>,
        names: &'a [String],
        selector: Option<&str>,
        output: impl Into<Output>,
    ) -> Result<Query<'a>, OcError> {
        let selector = selector
            .map(LabelSelector::parse_cli)
            .transpose()
            .map_err(OcError::Client)?;
        Ok(Query {
            namespace,
            names,
            selector,
            output: output.into(),
        })
    }

    /// The namespace asked for; none for every namespace.
    pub(crate) fn namespace(&self) -> Option<&'a str> {
        self.namespace
    }

    pub(crate) fn names(&self) -> &'a [String] {
        self.names
    }

    pub(crate) fn output(&self) -> &Output {
        &self.output
    }

    pub(crate) fn names_match(&self, name: &str) -> bool {
        self.names.is_empty() || self.names.iter().any(|n| n == name)
    }

    pub(crate) fn selects(&self, labels: &Labels) -> bool {
        self.selector.as_ref().is_none_or(|s| s.matches(labels))
    }

    pub(crate) fn in_namespace(&self, ns: &str, cluster_scoped: bool) -> bool {
        self.namespace.is_none_or(|n| n == ns || cluster_scoped)
    }
}

/// One kind's part of a `get`: its objects listed, by namespace and name.
pub(crate) struct Listing {
    resource: &'static str,
    cluster_scoped: bool,
    header: &'static [&'static str],
    /// (namespace, name, row cells or the object's document).
    objects: Vec<(String, String, Found)>,
    /// The names asked for that none of the objects has.
    missing: Vec<String>,
}

pub(crate) enum Found {
    Row(Vec<String>),
    Document(Value),
}

impl Listing {
    /// A kind's listing made by its own code rather than from a [`Resource`] (events).
    pub(crate) fn new(
        resource: &'static str,
        header: &'static [&'static str],
        objects: Vec<(String, String, Found)>,
        missing: Vec<String>,
    ) -> Listing {
        Listing {
            resource,
            cluster_scoped: false,
            header,
            objects,
            missing,
        }
    }

    /// The names asked for that none of the objects has.
    pub(crate) fn missing(&self) -> &[String] {
        &self.missing
    }

    /// The header and the rows, for a view that lays the table out itself (a query for
    /// documents gives rows without cells).
    pub(crate) fn into_rows(self) -> (&'static [&'static str], Vec<super::Row>) {
        let rows = self
            .objects
            .into_iter()
            .map(|(namespace, name, found)| super::Row {
                namespace,
                name,
                cells: match found {
                    Found::Row(cells) => cells,
                    Found::Document(_) => Vec::new(),
                },
            })
            .collect();
        (self.header, rows)
    }
}

/// The objects of `R` the query lists, each as a row or, for `-o yaml|json|name|jsonpath`,
/// as its document.
pub(super) fn listing<R: Resource>(store: &Store, q: &Query) -> Listing {
    let mut objects: Vec<(String, String, Found)> = R::objects(store)
        .filter(|o| R::listed(*o, q))
        .map(|o| {
            let found = match q.output {
                Output::Table(columns) => Found::Row(R::row(store, o, columns)),
                _ => Found::Document(sorted(R::MANIFEST(store, o))),
            };
            (R::namespace(o).to_string(), R::name(o).to_string(), found)
        })
        .collect();
    objects.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let mut missing: Vec<String> = Vec::new();
    for n in q.names {
        if !objects.iter().any(|(_, name, _)| name == n) && !missing.contains(n) {
            missing.push(n.clone());
        }
    }
    Listing {
        resource: R::RESOURCE,
        cluster_scoped: R::CLUSTER_SCOPED,
        header: match q.output {
            Output::Table(Columns::Wide) => R::HEADER_WIDE,
            _ => R::HEADER,
        },
        objects,
        missing,
    }
}

/// What `oc get` prints for `kinds`, in the order they were named: each kind's table
/// (its NAME column `kind.group/name` when objects of more than one kind are listed, a
/// blank line between tables), or one document of all their objects; then an error for
/// each name not found.
pub(crate) fn get(store: &Store, kinds: &[Kind], q: &Query) -> Result<String, OcError> {
    let listings: Vec<Listing> = kinds.iter().map(|k| k.kubectl().listing(store, q)).collect();
    print(listings, kinds, q)
}

/// What `oc get` prints of these listings, one per kind of `kinds`.
pub(crate) fn print(listings: Vec<Listing>, kinds: &[Kind], q: &Query) -> Result<String, OcError> {
    let errors: Vec<String> = listings
        .iter()
        .flat_map(|l| l.missing.iter().map(|n| not_found(l.resource, n).to_string()))
        .collect();
    let found: usize = listings.iter().map(|l| l.objects.len()).sum();
    // `kubectl get pod x`: one object, printed as itself, or only the error.
    let single = kinds.len() == 1 && q.names.len() == 1;
    if let (true, 0, Some(l), Some(name)) = (single, found, listings.first(), q.names.first()) {
        return Err(not_found(l.resource, name));
    }
    let mut out: Vec<String> = Vec::new();
    match &q.output {
        Output::Table(_) => {
            let with_kind = listings.iter().filter(|l| !l.objects.is_empty()).count() > 1;
            let tables: Vec<String> = listings
                .iter()
                .filter(|l| !l.objects.is_empty())
                .map(|l| render_table(l, q.namespace.is_none(), with_kind))
                .collect();
            // A blank line between one kind's table and the next.
            if !tables.is_empty() {
                out.push(tables.join("\n\n"));
            }
            // Nothing printed and nothing wrong: kubectl says so.
            if out.is_empty() && errors.is_empty() {
                let namespaced = kinds.iter().all(|k| !k.kubectl().cluster_scoped());
                out.push(match q.namespace {
                    Some(n) if namespaced => format!("No resources found in {n} namespace."),
                    _ => "No resources found".into(),
                });
            }
        }
        output => {
            let mut documents = listings
                .into_iter()
                .flat_map(|l| l.objects)
                .filter_map(|(_, _, f)| match f {
                    Found::Document(d) => Some(d),
                    Found::Row(_) => None,
                });
            let doc = match (single, documents.next()) {
                (true, Some(one)) => one,
                (_, first) => json!({
                    "apiVersion": "v1",
                    "items": first.into_iter().chain(documents).collect::<Vec<_>>(),
                    "kind": "List",
                    "metadata": {"resourceVersion": ""},
                }),
            };
            let printed = print_document(&doc, output)?;
            if !printed.is_empty() {
                out.push(printed);
            }
        }
    }
    out.extend(errors);
    Ok(out.join("\n"))
}

/// One kind's table, with a NAMESPACE column for a namespaced kind across namespaces.
fn render_table(l: &Listing, all_namespaces: bool, with_kind: bool) -> String {
    let name_column = l.header.iter().position(|h| *h == "NAME");
    let with_namespace = all_namespaces && !l.cluster_scoped;
    let mut header: Vec<&str> = l.header.to_vec();
    if with_namespace {
        header.insert(0, "NAMESPACE");
    }
    let rows: Vec<Vec<String>> = l
        .objects
        .iter()
        .map(|(ns, _, found)| {
            let mut cells = match found {
                Found::Row(cells) => cells.clone(),
                Found::Document(_) => Vec::new(),
            };
            if let (true, Some(i)) = (with_kind, name_column) {
                if let Some(c) = cells.get_mut(i) {
                    *c = format!("{}/{c}", l.resource);
                }
            }
            if with_namespace {
                cells.insert(0, ns.clone());
            }
            cells
        })
        .collect();
    table(&header, &rows).trim_end().to_string()
}

/// The object, or a `List` of them, in the format asked for.
fn print_document(doc: &Value, output: &Output) -> Result<String, OcError> {
    Ok(match output {
        Output::Json => go_json_indent(doc),
        Output::Name => items(doc)
            .iter()
            .map(|d| {
                format!(
                    "{}/{}",
                    resource_of(d),
                    d.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Output::JsonPath(template) => {
            let t = Template::parse(template)
                .map_err(|e| OcError::Client(format!("error parsing jsonpath {template}, {e}")))?;
            t.execute(doc).map_err(|e| {
                // kubectl goes on to dump the whole object given to the engine; the
                // template and the reason are what tell what went wrong.
                OcError::Client(format!(
                    "error executing jsonpath {}: Error executing template: {e}. Printing more information for debugging the template:\n\ttemplate was:\n\t\t{template}",
                    serde_json::to_string(template).unwrap_or_default()
                ))
            })?
        }
        Output::Yaml | Output::Table(_) => crate::manifest::emit::yaml(doc).trim_end().to_string(),
    })
}

/// A `List`'s items, or the object itself.
fn items(doc: &Value) -> Vec<&Value> {
    match (doc.get("kind").and_then(Value::as_str), doc.get("items")) {
        (Some("List"), Some(Value::Array(items))) => items.iter().collect(),
        _ => vec![doc],
    }
}

/// `-o name`'s `kind.group` of a document: its kind in lower case, with its API group.
fn resource_of(doc: &Value) -> String {
    let kind = doc
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_lowercase();
    match doc
        .get("apiVersion")
        .and_then(Value::as_str)
        .and_then(|v| v.rsplit_once('/'))
    {
        Some((group, _)) => format!("{kind}.{group}"),
        None => kind,
    }
}

/// The document with every map's keys in order, as the API server's JSON (and so
/// kubectl's YAML) writes them.
pub(crate) fn sorted(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        v => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_formats_read_as_kubectl_reads_them() {
        let cases = [
            ("wide", Ok(Output::Table(Columns::Wide))),
            ("yaml", Ok(Output::Yaml)),
            ("json", Ok(Output::Json)),
            ("name", Ok(Output::Name)),
            ("jsonpath={.items[*].metadata.name}", Ok(Output::JsonPath("{.items[*].metadata.name}".into()))),
            ("jsonpath=", Err("template format specified but no template given".to_string())),
            ("jsonpath={.items[}", Err("error parsing jsonpath {.items[}, unterminated array".to_string())),
            ("csv", Err("unable to match a printer suitable for the output format \"csv\", allowed formats are: json,jsonpath,name,wide,yaml".to_string())),
        ];
        for (format, want) in cases {
            assert_eq!(Output::parse(format), want, "{format}");
        }
    }

    #[test]
    fn a_documents_resource_is_its_kind_and_group() {
        let cases = [
            (json!({"apiVersion": "v1", "kind": "Pod"}), "pod"),
            (
                json!({"apiVersion": "apps/v1", "kind": "Deployment"}),
                "deployment.apps",
            ),
            (
                json!({"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService"}),
                "inferenceservice.serving.kserve.io",
            ),
        ];
        for (doc, want) in cases {
            assert_eq!(resource_of(&doc), want);
        }
    }
}
