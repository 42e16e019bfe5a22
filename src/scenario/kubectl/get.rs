//! `oc get`: a table of the objects asked for, whatever their kind.

use super::{not_found, Resource};
use crate::api::meta::{LabelSelector, Labels};
use crate::scenario::oc_error::OcError;
use crate::scenario::printers::table;
use crate::store::Store;

/// What `oc get` prints: the kind's columns, `-o wide`'s, or the objects themselves as
/// The columns `get` prints for the query, NAMESPACE aside.
pub(super) fn header<R: Resource>(q: &Query) -> &'static [&'static str] {
    match q.columns {
        Columns::Wide => R::HEADER_WIDE,
        _ => R::HEADER,
    }
}

/// The objects the query lists, as (namespace, name, cells under `header`), in the order
/// `get` prints them.
pub(super) fn rows<'s, R: Resource>(store: &'s Store, q: &Query) -> Vec<(&'s str, &'s str, Vec<String>)> {
    let mut rows: Vec<(&str, &str, Vec<String>)> = R::objects(store)
        .filter(|o| R::listed(*o, q))
        .map(|o| (R::namespace(o), R::name(o), R::row(store, o, q.columns)))
        .collect();
    rows.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    rows
}

/// `-o yaml` / `-o json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Columns {
    Default,
    Wide,
    Yaml,
    Json,
}

/// What an `oc get` asks for.
pub(crate) struct Query<'a> {
    /// None: every namespace (`-A`).
    namespace: Option<&'a str>,
    /// None asked for: all.
    names: &'a [String],
    selector: Option<LabelSelector>,
    columns: Columns,
}

impl<'a> Query<'a> {
    /// Refuses a selector kubectl would not parse.
    pub(crate) fn new(
        namespace: Option<&'a str>,
        names: &'a [String],
        selector: Option<&str>,
        columns: Columns,
    ) -> Result<Query<'a>, OcError> {
        let selector = selector
            .map(LabelSelector::parse_cli)
            .transpose()
            .map_err(OcError::Client)?;
        Ok(Query {
            namespace,
            names,
            selector,
            columns,
        })
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

/// The table of the objects of `R` the query lists, by namespace and name, with a
/// NAMESPACE column when the query spans namespaces.
pub(super) fn get<R: Resource>(store: &Store, q: &Query) -> Result<String, OcError> {
    if matches!(q.columns, Columns::Yaml | Columns::Json) {
        return manifests::<R>(store, q);
    }
    let rows = rows::<R>(store, q);
    if rows.is_empty() {
        return nothing_found::<R>(q);
    }
    let header = header::<R>(q);
    let (header, rows): (Vec<&str>, Vec<Vec<String>>) = if q.namespace.is_none() && !R::CLUSTER_SCOPED {
        (
            std::iter::once("NAMESPACE").chain(header.iter().copied()).collect(),
            rows.into_iter()
                .map(|(ns, _, cells)| std::iter::once(ns.to_string()).chain(cells).collect())
                .collect(),
        )
    } else {
        (header.to_vec(), rows.into_iter().map(|(_, _, cells)| cells).collect())
    };
    Ok(table(&header, &rows).trim_end().to_string())
}

/// `-o yaml` / `-o json`: the object asked for by name, else a `List` of those listed.
fn manifests<R: Resource>(store: &Store, q: &Query) -> Result<String, OcError> {
    let manifest = R::MANIFEST.ok_or_else(|| {
        OcError::Client(format!(
            "-o yaml and -o json are not available for {} in this version (only for workloads)",
            R::RESOURCE
        ))
    })?;
    let mut objects: Vec<R::Object<'_>> = R::objects(store).filter(|o| R::listed(*o, q)).collect();
    if objects.is_empty() {
        return nothing_found::<R>(q);
    }
    objects.sort_by(|a, b| (R::namespace(*a), R::name(*a)).cmp(&(R::namespace(*b), R::name(*b))));
    let doc = match (q.names.len(), objects.as_slice()) {
        (1, [one]) => manifest(store, *one),
        _ => serde_json::json!({
            "apiVersion": "v1",
            "items": objects.iter().map(|o| manifest(store, *o)).collect::<Vec<_>>(),
            "kind": "List",
            "metadata": {"resourceVersion": ""},
        }),
    };
    Ok(match q.columns {
        Columns::Json => serde_json::to_string_pretty(&doc).unwrap_or_default(),
        _ => crate::manifest::emit::yaml(&doc).trim_end().to_string(),
    })
}

/// kubectl's answer when no object matches: an error for a name asked for, a message
/// otherwise.
fn nothing_found<R: Resource>(q: &Query) -> Result<String, OcError> {
    if let Some(name) = q.names.first() {
        return Err(not_found(R::RESOURCE, name));
    }
    Ok(match q.namespace {
        Some(n) if !R::CLUSTER_SCOPED => format!("No resources found in {n} namespace."),
        _ => "No resources found".into(),
    })
}
