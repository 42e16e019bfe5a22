//! A user's own catalog laid over the bundled one: a folder of catalog files
//! (`--catalog DIR`) and a Scenario's `spec.catalog`, in that order.
//!
//! The rule, for every file: an entry of `gpus`, `instances` or `models` named like one
//! already there replaces the fields it gives (a mapping such as `interconnect` or
//! `architecture` field by field, anything else whole), an entry with a new name is added
//! and must give every required field; the keys of `storage.yaml`, `vllm.yaml` and the top
//! of `instances.yaml` replace theirs. The merged trees are then decoded as the bundled
//! ones are, so a bad value is refused where the user wrote it.

use super::{known_keys, root, Catalog, CatalogFile, Keys};
use crate::manifest::error::{did_you_mean, InputError, InputErrors, Loc};
use crate::manifest::yaml::{Node, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// The keys of a Scenario's `spec.catalog`: each file's list or settings, inline.
const SECTION_KEYS: &[&str] = &[
    "gpus",
    "instances",
    "models",
    "storage",
    "vllm",
    "price_date",
    "pricing_factors",
];

/// How many instance types a `price_date` note names before it counts the rest.
const NAMED_PRICES: usize = 3;

impl Catalog {
    /// This catalog with a folder of catalog files laid over it (`--catalog DIR`): any of
    /// gpus.yaml, instances.yaml, models.yaml, storage.yaml and vllm.yaml, in the bundled
    /// files' format. Every problem is returned, located.
    pub fn with_dir(&self, dir: &Path) -> Result<Catalog, InputErrors> {
        let shown = dir.display().to_string();
        let here = || Loc::file(&shown);
        let files = CatalogFile::ALL.map(CatalogFile::file_name).join(", ");
        let read = std::fs::read_dir(dir).map_err(|e| {
            InputError::at(here(), format!("--catalog: cannot read folder {shown}: {e}"))
                .hint(format!("give a folder holding any of {files}"))
        })?;
        let mut found: Vec<(String, std::path::PathBuf)> = read
            .filter_map(Result::ok)
            .filter(|e| e.path().is_file())
            .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
            .collect();
        // Directory order is the file system's; the errors' order should not be.
        found.sort();
        let mut errors = Vec::new();
        let mut overlays = Vec::new();
        for (name, path) in &found {
            let file = CatalogFile::ALL.into_iter().find(|f| f.file_name() == name.as_str());
            let path_shown = path.display().to_string();
            match file {
                Some(f) => match std::fs::read_to_string(path)
                    .map_err(|e| InputError::at(Loc::file(&path_shown), format!("cannot read: {e}")))
                    .and_then(|text| root(&path_shown, &text))
                {
                    Ok(node) => overlays.push((f, node)),
                    Err(e) => errors.push(e),
                },
                None if name.ends_with(".yaml") || name.ends_with(".yml") => errors.push(
                    InputError::at(
                        Loc::file(&path_shown),
                        format!(
                            "`{name}` is not a catalog file{}",
                            did_you_mean(name, CatalogFile::ALL.map(CatalogFile::file_name))
                        ),
                    )
                    .hint(format!("a catalog folder holds any of {files}")),
                ),
                // A README or notes beside the files are no concern of the catalog's.
                None => {}
            }
        }
        if found.iter().all(|(n, _)| !n.ends_with(".yaml") && !n.ends_with(".yml")) {
            errors.push(
                InputError::at(here(), format!("--catalog: folder {shown} holds no catalog file"))
                    .hint(format!("give a folder holding any of {files}")),
            );
        }
        if !errors.is_empty() {
            return Err(InputErrors(errors));
        }
        self.with_overlays(overlays)
    }

    /// This catalog with a Scenario's `spec.catalog` laid over it.
    pub(crate) fn with_section(&self, section: &Node) -> Result<Catalog, InputErrors> {
        known_keys(section, SECTION_KEYS, "catalog")?;
        let loc = &section.loc;
        // Each file's part of the section, as that file would hold it.
        let part = |keys: &[&str]| -> Node {
            let entries: Vec<(Node, Node)> = section
                .entries()
                .unwrap_or(&[])
                .iter()
                .filter(|(k, _)| k.as_str().is_ok_and(|k| keys.contains(&k)))
                .cloned()
                .collect();
            Node::synthetic(loc.clone(), Value::Map(entries))
        };
        let whole = |key: &str| section.get(key).cloned();
        let mut overlays = vec![
            (CatalogFile::Gpus, part(&["gpus"])),
            (
                CatalogFile::Instances,
                part(&["instances", "price_date", "pricing_factors"]),
            ),
            (CatalogFile::Models, part(&["models"])),
        ];
        overlays.extend(whole("storage").map(|n| (CatalogFile::Storage, n)));
        overlays.extend(whole("vllm").map(|n| (CatalogFile::Vllm, n)));
        self.with_overlays(overlays)
    }

    fn with_overlays(&self, overlays: Vec<(CatalogFile, Node)>) -> Result<Catalog, InputErrors> {
        let mut source = self.source.clone();
        let mut errors = Vec::new();
        for (file, over) in overlays {
            let base = &source.files[file.index()];
            source.files[file.index()] = overlay_file(file, base, &over, &mut errors);
        }
        // An entry refused above is not in `source`, so decoding finds the other problems
        // without repeating it; all are reported together, in the order they are written.
        match Catalog::decode(source) {
            Ok(c) if errors.is_empty() => Ok(c),
            decoded => {
                errors.extend(decoded.err().map(|e| e.0).unwrap_or_default());
                errors.sort_by(|a, b| a.loc.cmp(&b.loc));
                Err(InputErrors(errors))
            }
        }
    }
}

/// `over` laid on one of the catalog's files.
fn overlay_file(file: CatalogFile, base: &Node, over: &Node, errors: &mut Vec<InputError>) -> Node {
    let Ok(entries) = over.entries() else {
        errors.push(over.type_error("a mapping").hint(format!(
            "{} holds a mapping of {}",
            file.file_name(),
            file.top_keys().join(", ")
        )));
        return base.clone();
    };
    if let Err(e) = known_keys(over, file.top_keys(), file.what()) {
        errors.push(e);
        return base.clone();
    }
    let mut out = base.clone();
    let mut priced = Vec::new();
    for (k, v) in entries.iter().filter(|(_, v)| !v.is_null()) {
        let Ok(key) = k.as_str() else { continue };
        let merged = match (file.list(), base.get(key)) {
            (Some((list, keys)), b) if list == key => merge_list(keys, b, v, &mut priced, errors),
            (_, Some(b)) => merge(b, v),
            (_, None) => v.clone(),
        };
        set(&mut out, k, merged);
    }
    // A report says whose prices it used: the bundled date alone would claim list prices.
    if file == CatalogFile::Instances && !priced.is_empty() && over.get("price_date").is_none() {
        let date = base.get("price_date").and_then(|d| d.as_str().ok()).unwrap_or("");
        let more = priced.len().saturating_sub(NAMED_PRICES);
        let mut names = priced.iter().take(NAMED_PRICES).cloned().collect::<Vec<_>>().join(", ");
        if more > 0 {
            names.push_str(&format!(" and {more} more"));
        }
        let note = format!("{date} (prices of {names} from {})", over.loc.file);
        let key = Node::synthetic(over.loc.clone(), scalar("price_date"));
        set(
            &mut out,
            &key,
            Node::synthetic(over.loc.clone(), scalar(note.trim_start())),
        );
    }
    out
}

fn scalar(text: &str) -> Value {
    Value::Scalar {
        text: text.to_string(),
        quoted: true,
    }
}

/// Sets `key` of a mapping node to `value`, in place when the key is there.
fn set(map: &mut Node, key: &Node, value: Node) {
    if let Value::Map(entries) = &mut map.value {
        match entries.iter_mut().find(|(k, _)| same_key(k, key)) {
            Some((_, v)) => *v = value,
            None => entries.push((key.clone(), value)),
        }
    }
}

fn same_key(a: &Node, b: &Node) -> bool {
    matches!((&a.value, &b.value), (Value::Scalar { text: x, .. }, Value::Scalar { text: y, .. }) if x == y)
}

/// `over` laid on `base`: two mappings merge key by key (so `interconnect: {gb_s: 900}`
/// keeps the GPU's `kind`); anything else is replaced. The result is located where the
/// user wrote it, so an error about the whole (a missing pair) points there.
fn merge(base: &Node, over: &Node) -> Node {
    match (&base.value, &over.value) {
        (Value::Map(b), Value::Map(o)) => {
            let mut out = Node::synthetic(over.loc.clone(), Value::Map(b.clone()));
            for (k, v) in o.iter().filter(|(_, v)| !v.is_null()) {
                let merged = match b.iter().find(|(bk, _)| same_key(bk, k)) {
                    Some((_, bv)) => merge(bv, v),
                    None => v.clone(),
                };
                set(&mut out, k, merged);
            }
            out
        }
        _ => over.clone(),
    }
}

fn name_of(n: &Node) -> Option<&str> {
    n.get("name").and_then(|v| v.as_str().ok())
}

/// A list of named entries laid over the base list: an entry named like a base entry
/// merges into it, a new name is appended once it gives every required field. The names
/// of instance types whose price the overlay sets go to `priced`.
fn merge_list(
    keys: &Keys,
    base: Option<&Node>,
    over: &Node,
    priced: &mut Vec<String>,
    errors: &mut Vec<InputError>,
) -> Node {
    let mut out: Vec<Node> = base.and_then(|b| b.items().ok()).unwrap_or(&[]).to_vec();
    let bundled: Vec<String> = out.iter().filter_map(name_of).map(str::to_string).collect();
    let items = match over.items() {
        Ok(items) => items,
        Err(e) => {
            errors.push(e.hint(format!("give a list of {} entries, each with a `name`", keys.what)));
            return Node::synthetic(over.loc.clone(), Value::Seq(out));
        }
    };
    let mut seen: BTreeMap<String, Loc> = BTreeMap::new();
    for item in items {
        if let Err(e) = item.entries() {
            errors.push(e);
            continue;
        }
        let Some(name) = name_of(item) else {
            errors.push(
                InputError::at(item.loc.clone(), format!("a {} entry has no `name`", keys.what)).hint(format!(
                    "name a {} of the catalog to change it, or give a new name and every field it needs",
                    keys.what
                )),
            );
            continue;
        };
        if let Some(first) = seen.insert(name.to_string(), item.loc.clone()) {
            errors.push(
                InputError::at(
                    item.loc.clone(),
                    format!("{} `{name}` is given twice (first at {first})", keys.what),
                )
                .hint("merge the two entries"),
            );
            continue;
        }
        if item.get("price_per_hour_usd").is_some() {
            priced.push(name.to_string());
        }
        match out.iter().position(|b| name_of(b) == Some(name)) {
            Some(i) => out[i] = merge(&out[i], item),
            None => match new_entry(keys, name, item, &bundled) {
                Ok(()) => out.push(item.clone()),
                Err(e) => errors.push(e),
            },
        }
    }
    Node::synthetic(over.loc.clone(), Value::Seq(out))
}

/// A new entry must give every required field. An entry that gives only some is most
/// likely meant to change a catalog entry whose name is misspelt, which the hint says.
fn new_entry(keys: &Keys, name: &str, item: &Node, known: &[String]) -> Result<(), InputError> {
    known_keys(item, &keys.all(), keys.what)?;
    let absent: Vec<&str> = keys
        .required
        .iter()
        .copied()
        .filter(|k| item.get(k).is_none())
        .collect();
    if absent.is_empty() {
        return Ok(());
    }
    let list = |v: &[&str]| v.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
    Err(InputError::at(
        item.loc.clone(),
        format!(
            "new {} `{name}` lacks {}{}",
            keys.what,
            list(&absent),
            did_you_mean(name, known.iter().map(String::as_str))
        ),
    )
    .hint(format!(
        "an entry named like one of the catalog changes only the fields it gives; a new one gives {}",
        list(keys.required)
    )))
}
