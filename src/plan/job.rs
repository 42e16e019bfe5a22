//! `sweep --emit-job`: the sweep as a Kubernetes Indexed Job. Each completion index runs
//! `sweep --shard INDEX/N` on the same inputs (packed into a ConfigMap, laid out as on
//! disk) and writes its `sweep.json` to `shard-INDEX/` on a shared volume; `sweep merge`
//! over those folders gives the single-machine result.

use super::sweep::{Grid, PreparedPoint};
use crate::manifest::yaml::{Node, Value};
use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

/// etcd's limit on one object, which a ConfigMap's data must stay under.
const CONFIGMAP_MAX_BYTES: usize = 1024 * 1024;

use super::yaml_quote as quote;

/// The Job's name: a Kubernetes name of at most 40 characters, leaving room for suffixes.
fn dns_label(s: &str) -> String {
    super::dns_label(s, 40, "sweep")
}

/// The files a run of the scenario reads: the documents loaded, the traces its traffic
/// replays, and the files its timeline applies.
fn files_read(grid: &Grid, points: &[PreparedPoint], scenario: &Path) -> Vec<PathBuf> {
    let mut files: BTreeSet<PathBuf> = grid.inputs.files.iter().cloned().collect();
    let base = scenario.parent().unwrap_or(Path::new(".")).to_path_buf();
    fn traces(n: &Node, base: &Path, out: &mut BTreeSet<PathBuf>) {
        match &n.value {
            Value::Map(entries) => {
                for (k, v) in entries {
                    if matches!(&k.value, Value::Scalar { text, .. } if text == "trace") {
                        if let Ok(t) = v.as_str() {
                            out.insert(base.join(t));
                        }
                    }
                    traces(v, base, out);
                }
            }
            Value::Seq(items) => items.iter().for_each(|i| traces(i, base, out)),
            _ => {}
        }
    }
    for doc in grid.inputs.documents() {
        traces(doc, &base, &mut files);
    }
    if let Some(run) = points.first().and_then(|p| p.runs.first()) {
        for doc in run.apply_files.values().flatten() {
            files.insert(PathBuf::from(doc.file.as_ref()));
        }
    }
    // `--catalog`'s files, which the Job's runs read from the same place.
    if let Some(dir) = &grid.catalog_dir {
        for f in crate::catalog::CatalogFile::ALL {
            let path = dir.join(f.file_name());
            if path.is_file() {
                files.insert(path);
            }
        }
    }
    files.into_iter().collect()
}

/// Lexically normalized absolute path (no symlinks resolved: the layout as written).
fn absolute(p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn common_root(files: &[PathBuf]) -> PathBuf {
    let mut root = files
        .first()
        .and_then(|f| f.parent())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    for f in files {
        while !f.starts_with(&root) {
            if !root.pop() {
                break;
            }
        }
    }
    root
}

/// The manifests: a ConfigMap with the inputs, a claim for the results, the Indexed Job.
pub fn emit(
    grid: &Grid,
    points: &[PreparedPoint],
    scenario: &Path,
    set_args: &[String],
    image: &str,
    shards: usize,
) -> Result<String, String> {
    if image.trim().is_empty() {
        return Err("--emit-job needs --image IMAGE (build it from the Containerfile)".into());
    }
    if shards == 0 || shards > 100_000 {
        return Err(format!("--shards {shards}: give 1 to 100000"));
    }
    let files: Vec<PathBuf> = files_read(grid, points, scenario).iter().map(|f| absolute(f)).collect();
    let scenario_abs = absolute(scenario);
    let mut all = files.clone();
    all.push(scenario_abs.clone());
    let root = common_root(&all);
    let name = dns_label(&format!(
        "gpuaas-sim-sweep-{}",
        points
            .first()
            .and_then(|p| p.runs.first())
            .map(|r| r.scenario.name.as_str())
            .unwrap_or("sweep")
    ));
    let mut data = String::new();
    let mut items = String::new();
    let mut size = 0;
    let mut seen = BTreeSet::new();
    for (i, f) in files.iter().enumerate() {
        if !seen.insert(f.clone()) {
            continue;
        }
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: cannot read: {e}", f.display()))?;
        size += text.len();
        let rel = f.strip_prefix(&root).unwrap_or(f);
        data.push_str(&format!("  f{i}: {}\n", quote(&text)));
        items.push_str(&format!(
            "            - {{key: f{i}, path: {}}}\n",
            quote(&rel.to_string_lossy())
        ));
    }
    if size > CONFIGMAP_MAX_BYTES * 9 / 10 {
        return Err(format!(
            "the inputs are {size} bytes, too many for a ConfigMap (1 MiB in all); put them in the image instead"
        ));
    }
    let scenario_rel = scenario_abs
        .strip_prefix(&root)
        .unwrap_or(&scenario_abs)
        .to_string_lossy()
        .to_string();
    let mut args: Vec<String> = vec!["sweep".into(), format!("/inputs/{scenario_rel}")];
    for s in set_args {
        args.extend(["--set".into(), s.clone()]);
    }
    if let Some(dir) = &grid.catalog_dir {
        let dir = absolute(dir);
        let rel = dir.strip_prefix(&root).unwrap_or(&dir).to_string_lossy().to_string();
        args.extend(["--catalog".into(), format!("/inputs/{rel}")]);
    }
    if let Some(service) = grid.capacity.as_ref().and_then(|c| c.service.clone()) {
        args.extend(["--capacity".into(), service]);
    }
    args.extend([
        "--seeds".into(),
        grid.seeds.to_string(),
        "--jobs".into(),
        "1".into(),
        "--shard".into(),
        format!("$(JOB_COMPLETION_INDEX)/{shards}"),
        "--out".into(),
        "/results/shard-$(JOB_COMPLETION_INDEX)".into(),
        "--quiet".into(),
    ]);
    let args: Vec<String> = args.iter().map(|a| quote(a)).collect();
    Ok(format!(
        "# A sweep of {points} point(s) x {seeds} seed(s) in {shards} shard(s).\n\
         # kubectl apply -f sweep-job.yaml; when the Job completes, copy the results volume's\n\
         # shard-*/ folders and run: gpuaas-sim sweep merge shard-*/ --out merged/\n\
         apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-inputs\ndata:\n{data}---\n\
         apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: {name}-results\nspec:\n  accessModes: [ReadWriteMany]\n  resources:\n    requests:\n      storage: 1Gi\n---\n\
         apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n  completionMode: Indexed\n  completions: {shards}\n  parallelism: {shards}\n  backoffLimitPerIndex: 2\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: sweep\n          image: {image}\n          args: [{args}]\n          resources:\n            requests: {{cpu: \"1\", memory: 1Gi}}\n          volumeMounts:\n            - {{name: inputs, mountPath: /inputs, readOnly: true}}\n            - {{name: results, mountPath: /results}}\n      volumes:\n        - name: inputs\n          configMap:\n            name: {name}-inputs\n            items:\n{items}        - name: results\n          persistentVolumeClaim:\n            claimName: {name}-results\n",
        points = super::sweep::points_total(&grid.settings),
        seeds = grid.seeds,
        image = quote(image),
        args = args.join(", "),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_dns_labels() {
        for (input, want) in [
            ("gpuaas-sim-sweep-capacity", "gpuaas-sim-sweep-capacity"),
            ("A_b.c", "a-b-c"),
            ("__", "sweep"),
        ] {
            assert_eq!(dns_label(input), want);
        }
    }

    #[test]
    fn the_root_holds_every_file() {
        let files = [
            PathBuf::from("/a/s/x.yaml"),
            PathBuf::from("/a/s/m/y.yaml"),
            PathBuf::from("/a/traces/t.csv"),
        ];
        assert_eq!(common_root(&files), PathBuf::from("/a"));
        assert_eq!(
            absolute(Path::new("/a/s/../traces/./t.csv")),
            PathBuf::from("/a/traces/t.csv")
        );
    }
}
