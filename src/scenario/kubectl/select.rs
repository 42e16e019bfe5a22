//! The objects a write (`scale`, `label`, `delete` …) acts on: by name, `--all` or `-l`.

use super::{not_found, Resource};
use crate::api::meta::LabelSelector;
use crate::scenario::command::Selection;
use crate::scenario::oc_error::OcError;
use crate::store::Store;

/// Names of the objects of `R` in `ns` the selection picks, each once; a name that
/// is not there fails the whole command before anything is written, as with kubectl.
pub(super) fn select<R: Resource>(store: &Store, ns: &str, selection: &Selection) -> Result<Vec<String>, OcError> {
    let candidates = R::objects(store).filter(|o| R::selectable(*o, ns));
    match selection {
        Selection::Names(names) => {
            let known: Vec<&str> = candidates.map(R::name).collect();
            let mut out: Vec<String> = Vec::new();
            for n in names {
                if !known.contains(&n.as_str()) {
                    return Err(not_found(R::RESOURCE, n));
                }
                if !out.contains(n) {
                    out.push(n.clone());
                }
            }
            Ok(out)
        }
        Selection::All => Ok(candidates.map(|o| R::name(o).to_string()).collect()),
        Selection::Labels(l) => {
            let s = LabelSelector::parse_cli(l).map_err(OcError::Client)?;
            Ok(candidates
                .filter(|o| s.matches(&R::label_set(*o)))
                .map(|o| R::name(o).to_string())
                .collect())
        }
    }
}
