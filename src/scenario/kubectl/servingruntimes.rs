//! KServe ServingRuntimes: listed only.

use super::{Columns, Resource};
use crate::api::kserve::ServingRuntime;
use crate::api::meta::Labels;
use crate::store::{ObjectKey, Store};

pub(crate) struct ServingRuntimes;

impl Resource for ServingRuntimes {
    /// The store's key holds the runtime's namespace, which its manifest may leave out.
    type Object<'s> = (&'s ObjectKey, &'s ServingRuntime);
    const NAMES: &'static [&'static str] = &["servingruntime", "servingruntimes"];
    const RESOURCE: &'static str = "servingruntime.serving.kserve.io";
    const HEADER: &'static [&'static str] = &["NAME", "DISABLED", "MODELTYPE", "CONTAINERS"];

    fn objects(store: &Store) -> impl Iterator<Item = (&ObjectKey, &ServingRuntime)> {
        store.runtimes.iter()
    }
    fn named<'s>(store: &'s Store, ns: &str, name: &str) -> Option<(&'s ObjectKey, &'s ServingRuntime)> {
        store.runtimes.get_key_value(&ObjectKey::new(ns, name))
    }
    fn namespace((key, _): Self::Object<'_>) -> &str {
        &key.namespace
    }
    fn name((_, r): Self::Object<'_>) -> &str {
        &r.meta.name
    }
    fn labels((_, r): Self::Object<'_>) -> &Labels {
        &r.meta.labels
    }
    fn row(_: &Store, (_, r): Self::Object<'_>, _: Columns) -> Vec<String> {
        vec![
            r.meta.name.clone(),
            r.model_formats.first().map(|f| f.0.clone()).unwrap_or_default(),
            r.containers.first().map(|c| c.name.clone()).unwrap_or_default(),
            String::new(),
        ]
    }
    /// A runtime whose manifest names no namespace answers to any `-n`; the writes then
    /// refuse it as not simulated rather than not found.
    fn selectable((_, r): Self::Object<'_>, ns: &str) -> bool {
        r.meta.namespace.as_deref().unwrap_or(ns) == ns
    }
}
