//! Reading manifests from files, folders and kustomizations into located documents.

use super::error::{InputError, InputErrors, Loc};
use super::yaml::{parse_documents, Node};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One document with the namespace a kustomization imposes on it, if any.
#[derive(Debug, Clone)]
pub struct RawObject {
    pub api_version: String,
    pub kind: String,
    pub doc: Node,
    pub namespace_override: Option<String>,
}

impl RawObject {
    pub fn name(&self) -> String {
        self.doc
            .path(&["metadata", "name"])
            .and_then(|n| n.as_str().ok())
            .unwrap_or("?")
            .to_string()
    }
}

#[derive(Debug, Default)]
pub(crate) struct Loaded {
    pub objects: Vec<RawObject>,
    /// Files read, in order, for reporting.
    pub files: Vec<PathBuf>,
    pub warnings: Vec<String>,
}

pub(crate) fn is_yaml(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}

fn display(p: &Path) -> Arc<str> {
    Arc::from(p.to_string_lossy().as_ref())
}

/// Loads every path (file or folder); errors from all inputs are collected.
pub(crate) fn load_paths(paths: &[PathBuf]) -> Result<Loaded, InputErrors> {
    let mut loaded = Loaded::default();
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    for p in paths {
        if let Err(e) = load_path(p, None, &mut loaded, &mut seen) {
            errors.extend(e.0);
        }
    }
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(InputErrors(errors))
    }
}

pub(crate) fn load_path(
    path: &Path,
    ns: Option<&str>,
    out: &mut Loaded,
    seen: &mut BTreeSet<PathBuf>,
) -> Result<(), InputErrors> {
    let meta = std::fs::metadata(path).map_err(|e| {
        InputError::at(Loc::file(&path.to_string_lossy()), format!("cannot read: {e}"))
            .hint("check the path; give Scenario files, manifest files or folders")
    })?;
    if meta.is_dir() {
        let kust = ["kustomization.yaml", "kustomization.yml", "Kustomization"]
            .iter()
            .map(|f| path.join(f))
            .find(|p| p.is_file());
        if let Some(k) = kust {
            return load_kustomization(&k, ns, out, seen);
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| InputError::at(Loc::file(&path.to_string_lossy()), format!("cannot list folder: {e}")))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        let mut errors = Vec::new();
        for e in entries {
            let hidden = e
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if hidden {
                continue;
            }
            if e.is_dir() || is_yaml(&e) {
                if let Err(err) = load_path(&e, ns, out, seen) {
                    errors.extend(err.0);
                }
            }
        }
        return if errors.is_empty() {
            Ok(())
        } else {
            Err(InputErrors(errors))
        };
    }
    load_file(path, ns, out, seen)
}

fn load_file(path: &Path, ns: Option<&str>, out: &mut Loaded, seen: &mut BTreeSet<PathBuf>) -> Result<(), InputErrors> {
    let canon = path.canonicalize().unwrap_or(path.to_path_buf());
    if !seen.insert(canon) {
        return Ok(());
    }
    let file = display(path);
    let text =
        std::fs::read_to_string(path).map_err(|e| InputError::at(Loc::file(&file), format!("cannot read: {e}")))?;
    let docs = parse_documents(&file, &text)?;
    out.files.push(path.to_path_buf());
    let mut errors = Vec::new();
    for d in docs {
        let root = d.root;
        if root.entries().is_err() {
            errors.push(
                InputError::at(
                    root.loc.clone(),
                    format!("a manifest must be a mapping, found {}", root.kind_name()),
                )
                .hint("each YAML document should be one Kubernetes object with apiVersion, kind and metadata"),
            );
            continue;
        }
        let kind = match root.get("kind").map(|k| k.as_str()) {
            Some(Ok(k)) => k.to_string(),
            Some(Err(e)) => {
                errors.push(e);
                continue;
            }
            None => {
                errors.push(
                    InputError::at(root.loc.clone(), "document has no `kind`")
                        .hint("add `kind:` (e.g. ClusterQueue, InferenceService, Scenario) and `apiVersion:`"),
                );
                continue;
            }
        };
        let api_version = match root.get("apiVersion").map(|k| k.as_str()) {
            Some(Ok(v)) => v.to_string(),
            _ => {
                errors.push(
                    InputError::at(root.loc.clone(), format!("{kind} has no `apiVersion`"))
                        .hint("add the apiVersion the kind belongs to, e.g. kueue.x-k8s.io/v1beta2"),
                );
                continue;
            }
        };
        if kind == "Kustomization"
            && path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("kustomization"))
        {
            continue;
        }
        out.objects.push(RawObject {
            api_version,
            kind,
            doc: root,
            namespace_override: ns.map(str::to_string),
        });
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(InputErrors(errors))
    }
}

fn load_kustomization(
    path: &Path,
    outer_ns: Option<&str>,
    out: &mut Loaded,
    seen: &mut BTreeSet<PathBuf>,
) -> Result<(), InputErrors> {
    let file = display(path);
    let text =
        std::fs::read_to_string(path).map_err(|e| InputError::at(Loc::file(&file), format!("cannot read: {e}")))?;
    let docs = parse_documents(&file, &text)?;
    let Some(doc) = docs.into_iter().next() else {
        return Ok(());
    };
    let root = doc.root;
    out.files.push(path.to_path_buf());
    let base = path.parent().unwrap_or(Path::new("."));
    // An outer kustomization's namespace wins over an inner one, as kustomize applies
    // the outermost transformer last.
    let own_ns = root
        .get("namespace")
        .map(|n| n.as_str().map(str::to_string))
        .transpose()?;
    let ns = outer_ns.map(str::to_string).or(own_ns);
    for key in [
        "patches",
        "patchesStrategicMerge",
        "patchesJson6902",
        "images",
        "configMapGenerator",
        "secretGenerator",
        "replicas",
        "components",
        "helmCharts",
    ] {
        if let Some(n) = root.get(key) {
            out.warnings.push(format!(
                "{}: kustomization `{key}` is not applied by the simulator; resources are read as written",
                n.loc
            ));
        }
    }
    let mut errors = Vec::new();
    for key in ["resources", "bases"] {
        let Some(list) = root.get(key) else { continue };
        for item in list.items()? {
            let rel = item.as_str()?;
            if rel.contains("://") || rel.starts_with("github.com/") {
                out.warnings.push(format!(
                    "{}: remote resource `{rel}` skipped (no network in a simulation)",
                    item.loc
                ));
                continue;
            }
            let target = base.join(rel);
            if !target.exists() {
                errors.push(
                    InputError::at(
                        item.loc.clone(),
                        format!("resource `{rel}` not found (looked for {})", target.display()),
                    )
                    .hint("paths in kustomization resources are relative to the kustomization file"),
                );
                continue;
            }
            if let Err(e) = load_path(&target, ns.as_deref(), out, seen) {
                errors.extend(e.0);
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(InputErrors(errors))
    }
}
