//! `oc get`: a table of the objects asked for, whatever their kind.

use super::{not_found, Resource};
use crate::api::meta::{LabelSelector, Labels};
use crate::scenario::oc_error::OcError;
use crate::scenario::printers::table;
use crate::store::Store;

/// The columns `oc get` prints: the kind's own, or `-o wide`'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Columns {
    Default,
    Wide,
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
    let mut rows: Vec<(&str, &str, Vec<String>)> = R::objects(store)
        .filter(|o| R::listed(*o, q))
        .map(|o| (R::namespace(o), R::name(o), R::row(store, o, q.columns)))
        .collect();
    if rows.is_empty() {
        return nothing_found::<R>(q);
    }
    rows.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let header = match q.columns {
        Columns::Default => R::HEADER,
        Columns::Wide => R::HEADER_WIDE,
    };
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
