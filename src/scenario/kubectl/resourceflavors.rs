//! Kueue ResourceFlavors: listed and patched.

use super::{stored_manifest, Columns, Patch, PatchBase, Query, Resource};
use crate::api::kueue::ResourceFlavor;
use crate::scenario::oc_error::OcError;
use crate::scenario::printers::age;
use crate::store::Store;
use crate::units::SimTime;

pub(crate) struct ResourceFlavors;

impl Resource for ResourceFlavors {
    type Object<'s> = &'s ResourceFlavor;
    const NAMES: &'static [&'static str] = &["resourceflavor", "resourceflavors", "rf"];
    const RESOURCE: &'static str = "resourceflavor.kueue.x-k8s.io";
    const CLUSTER_SCOPED: bool = true;
    const HEADER: &'static [&'static str] = &["NAME", "AGE"];
    const PATCH: Option<Patch<Self>> = Some(patch);

    fn objects(store: &Store) -> impl Iterator<Item = &ResourceFlavor> {
        store.flavors.values()
    }
    fn named<'s>(store: &'s Store, _: &str, name: &str) -> Option<&'s ResourceFlavor> {
        store.flavors.get(name)
    }
    fn namespace(_: Self::Object<'_>) -> &str {
        ""
    }
    fn name(f: Self::Object<'_>) -> &str {
        &f.name
    }
    /// The store keeps no creation time for flavors: their age is the run's.
    fn row(store: &Store, f: &ResourceFlavor, _: Columns) -> Vec<String> {
        vec![f.name.clone(), age(store, SimTime::ZERO)]
    }
    /// Every flavor: `get` has always listed them all, whatever the names and selector
    /// (a name none has still finds nothing when there is no flavor at all).
    fn listed(_: &ResourceFlavor, _: &Query) -> bool {
        true
    }
}

/// The document the flavor was applied with.
fn patch(store: &Store, f: &ResourceFlavor) -> Result<PatchBase, OcError> {
    stored_manifest(store, "ResourceFlavor", "", &f.name)
}
