//! Preparing a scenario (loading and validating every input up front, so a run never
//! fails half-way on bad input) and running it.

use super::document::TimelineEntry;
use super::document::{Scenario, DEFAULT_DURATION};
use super::execute::{apply_raw, execute};
use crate::analysis::deadlock::{self, Deadlock};
use crate::api::kserve::InferenceService;
use crate::api::kueue::{ClusterQueue, LocalQueue};
use crate::api::meta::Labels;
use crate::catalog::Catalog;
use crate::engine::action::Action;
use crate::engine::components::Event;
use crate::engine::{Config, Driver, Engine, RunError};
use crate::manifest::error::{did_you_mean, InputError, InputErrors, Loc};
use crate::manifest::load::{load_paths, RawObject};
use crate::manifest::objects::{decode, Object};
use crate::store::{LogEvent, Store};
use crate::units::SimTime;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Prepared {
    pub scenario: Scenario,
    pub objects: Vec<(RawObject, Object)>,
    pub apply_files: BTreeMap<usize, Vec<super::execute::ApplyDoc>>,
    pub skipped: Vec<(String, String, String, &'static str)>,
    pub warnings: Vec<String>,
    /// The services traffic can go to, by (namespace, name): those the inputs define,
    /// the timeline's files included.
    pub(crate) serving_targets: BTreeSet<(String, String)>,
    /// The catalog the scenario runs with: the bundled one, `--catalog`'s files and the
    /// scenario's `spec.catalog` laid over it in that order.
    pub catalog: Arc<Catalog>,
    /// The longest list the report writes (`--report-limit`): events and each
    /// ClusterQueue's usage samples are cut when built, workloads once the expectations,
    /// which may name any of them, are evaluated.
    pub report_limit: usize,
}

/// Finds Scenario documents among the inputs; with none, the manifests themselves form
/// one scenario run with defaults. The bundled catalog.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<Prepared>, InputErrors> {
    load_inputs(paths)?.prepare()
}

/// [`discover`] with `catalog` (the bundled one with `--catalog`'s files laid over it)
/// under each scenario's own `spec.catalog`.
pub fn discover_with(paths: &[PathBuf], catalog: &Arc<Catalog>) -> Result<Vec<Prepared>, InputErrors> {
    load_inputs(paths)?.prepare_with(catalog)
}

/// Every input as read from disk, not yet decoded: the documents of the paths given and,
/// for each Scenario among them, the documents its `include:` names. `sweep` edits these
/// trees (`Inputs::scenarios_mut`) and prepares each variant without reading a file again.
#[derive(Debug, Clone)]
pub struct Inputs {
    paths: Vec<PathBuf>,
    /// Every file read, in order (the paths' and the includes').
    pub(crate) files: Vec<PathBuf>,
    loaded: Vec<RawObject>,
    warnings: Vec<String>,
    /// Per Scenario document (in input order): what its `include:` gave.
    included: Vec<Included>,
}

/// The documents a Scenario includes (Scenarios left out), the loader's warnings, and what
/// could not be read (reported by `prepare` with every other problem).
#[derive(Debug, Clone, Default)]
struct Included {
    objects: Vec<RawObject>,
    warnings: Vec<String>,
    errors: Vec<InputError>,
}

/// A Scenario document and the documents it includes, as an edit sees them.
pub(crate) struct ScenarioInputs<'a> {
    pub scenario: &'a mut RawObject,
    pub included: &'a mut Vec<RawObject>,
}

/// Reads every path, and the files each Scenario includes.
pub fn load_inputs(paths: &[PathBuf]) -> Result<Inputs, InputErrors> {
    let loaded = load_paths(paths)?;
    let mut files = loaded.files.clone();
    let mut included = Vec::new();
    for s in loaded.objects.iter().filter(|o| o.kind == "Scenario") {
        let file = PathBuf::from(s.doc.loc.file.as_ref());
        // A Scenario that does not decode gets its error from `prepare`, with the others.
        let Ok(sc) = Scenario::decode(&s.doc, &file) else {
            included.push(Default::default());
            continue;
        };
        if sc.include.is_empty() {
            included.push(Default::default());
            continue;
        }
        included.push(match load_paths(&sc.include) {
            Ok(inc) => Included {
                objects: {
                    files.extend(inc.files.iter().cloned());
                    inc.objects.into_iter().filter(|o| o.kind != "Scenario").collect()
                },
                warnings: inc.warnings,
                errors: Vec::new(),
            },
            Err(e) => Included {
                errors: e.0,
                ..Default::default()
            },
        });
    }
    Ok(Inputs {
        paths: paths.to_vec(),
        files,
        loaded: loaded.objects,
        warnings: loaded.warnings,
        included,
    })
}

impl Inputs {
    /// Every document read, in input order: the paths' documents, then each Scenario's
    /// included ones.
    pub(crate) fn documents(&self) -> impl Iterator<Item = &crate::manifest::yaml::Node> {
        self.loaded
            .iter()
            .chain(self.included.iter().flat_map(|i| &i.objects))
            .map(|o| &o.doc)
    }

    /// The Scenario documents with their included documents, for editing.
    pub(crate) fn scenarios_mut(&mut self) -> Vec<ScenarioInputs<'_>> {
        self.loaded
            .iter_mut()
            .filter(|o| o.kind == "Scenario")
            .zip(self.included.iter_mut())
            .map(|(scenario, inc)| ScenarioInputs {
                scenario,
                included: &mut inc.objects,
            })
            .collect()
    }

    /// Decodes and validates everything: the scenarios ready to run, or every problem.
    /// The bundled catalog.
    pub fn prepare(&self) -> Result<Vec<Prepared>, InputErrors> {
        self.prepare_with(&Arc::new(Catalog::bundled()))
    }

    /// [`Inputs::prepare`] with `catalog` under each scenario's own `spec.catalog`.
    pub fn prepare_with(&self, catalog: &Arc<Catalog>) -> Result<Vec<Prepared>, InputErrors> {
        let paths = &self.paths;
        let scenarios: Vec<&RawObject> = self.loaded.iter().filter(|o| o.kind == "Scenario").collect();
        let mut errors = Vec::new();
        let mut out = Vec::new();
        if scenarios.is_empty() {
            let name = paths
                .first()
                .and_then(|p| p.file_stem())
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_else(|| "manifests".into());
            let scenario = Scenario {
                name,
                file: paths.first().cloned().unwrap_or_default(),
                duration: DEFAULT_DURATION,
                seed: 1,
                include: paths.to_vec(),
                node_pools: Vec::new(),
                timeline: Vec::new(),
                expect: Vec::new(),
                notes: vec!["no Scenario document found: manifests run with defaults (1h, seed 1)".into()],
                traffic: Vec::new(),
                slo: Vec::new(),
                metrics_window: super::document::DEFAULT_METRICS_WINDOW,
                scrape_interval: super::document::DEFAULT_SCRAPE_INTERVAL,
                fidelity: crate::serving::replica::Fidelity::Fast,
                kueue: Default::default(),
                job_run_time: super::document::DEFAULT_JOB_RUN_TIME,
                faults: Default::default(),
                catalog: None,
            };
            match prepare_scenario(scenario, self.loaded.clone(), self.warnings.clone(), catalog) {
                Ok(p) => out.push(p),
                Err(e) => errors.extend(e.0),
            }
        } else {
            for (s, inc) in scenarios.into_iter().zip(&self.included) {
                if !inc.errors.is_empty() {
                    errors.extend(inc.errors.iter().cloned());
                    continue;
                }
                if !s.api_version.starts_with("gpuaas-sim/") {
                    errors.push(
                        InputError::at(
                            s.doc.loc.clone(),
                            format!("Scenario has apiVersion `{}`", s.api_version),
                        )
                        .hint("use apiVersion: gpuaas-sim/v1alpha1"),
                    );
                    continue;
                }
                let file = PathBuf::from(s.doc.loc.file.as_ref());
                match Scenario::decode(&s.doc, &file)
                    .map_err(InputErrors::from)
                    .and_then(|sc| prepare_scenario(sc, inc.objects.clone(), inc.warnings.clone(), catalog))
                {
                    Ok(p) => out.push(p),
                    Err(e) => errors.extend(e.0),
                }
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(InputErrors(errors))
        }
    }
}

fn prepare_scenario(
    scenario: Scenario,
    raws: Vec<RawObject>,
    warnings: Vec<String>,
    base: &Arc<Catalog>,
) -> Result<Prepared, InputErrors> {
    // Everything below is checked against the catalog, so a bad catalog stops here: its
    // errors would otherwise come back as unknown instance types and model cards.
    let catalog = match &scenario.catalog {
        Some(section) => Arc::new(base.with_section(section)?),
        None => base.clone(),
    };
    let mut errors = Vec::new();
    let (objects, skipped) = decode_objects(raws, &mut errors);
    let (apply_files, apply_checks) = load_apply_files(&scenario, &mut errors);
    let applied: Vec<&Object> = apply_files.values().flatten().map(|d| &d.object).collect();
    for p in &scenario.node_pools {
        if catalog.instance(&p.instance_type).is_none() {
            errors.push(
                InputError::at(p.loc.clone(), format!("unknown instance type `{}`", p.instance_type))
                    .hint(catalog.unknown_instance_hint(&p.instance_type)),
            );
        }
    }
    let all: Vec<&Object> = objects.iter().map(|(_, o)| o).chain(applied).collect();
    errors.extend(validate_references(&all, &catalog));
    let serving_targets = super::serve::input_targets(&all);
    check_traffic_targets(&scenario, &serving_targets, &mut errors);
    check_fault_nodes(&scenario, &all, &mut errors);
    let mut warnings = warnings;
    check_autoscalers(&all, &mut errors, &mut warnings);
    check_cohort_cycles(&all, &mut warnings);
    let classes = PriorityClasses::of(&all);
    for (raw, _) in &objects {
        errors.extend(validate_engine_args(raw));
        let mut refs = Vec::new();
        class_refs(&raw.doc, &mut refs);
        classes.check(&refs, &mut errors);
    }
    for (engine_args, refs) in &apply_checks {
        errors.extend(engine_args.iter().cloned());
        classes.check(refs, &mut errors);
    }
    if errors.is_empty() {
        Ok(Prepared {
            report_limit: crate::report::limit::DEFAULT_LIMIT,
            scenario,
            objects,
            apply_files,
            skipped,
            warnings,
            serving_targets,
            catalog,
        })
    } else {
        Err(InputErrors(errors))
    }
}

/// A skipped input: (kind, name, location, why).
type Skipped = (String, String, String, &'static str);

/// The inputs decoded, and those of kinds not simulated; what fails to decode, and an
/// object defined twice, go to `errors` in input order.
fn decode_objects(raws: Vec<RawObject>, errors: &mut Vec<InputError>) -> (Vec<(RawObject, Object)>, Vec<Skipped>) {
    let mut objects = Vec::new();
    let mut skipped = Vec::new();
    let mut seen: BTreeMap<(String, String, String), Loc> = BTreeMap::new();
    for raw in raws.into_iter().filter(|r| r.kind != "Scenario") {
        match decode(&raw) {
            Ok(Object::Skipped { kind, name, loc, note }) => skipped.push((kind, name, loc.to_string(), note)),
            Ok(obj) => {
                let key = identity(&raw, &obj);
                if let Some(first) = seen.get(&key) {
                    errors.push(
                        InputError::at(
                            raw.doc.loc.clone(),
                            format!("{} {} is defined twice (first at {first})", key.0, key.2),
                        )
                        .hint("remove one of the definitions"),
                    );
                    continue;
                }
                seen.insert(key, raw.doc.loc.clone());
                objects.push((raw, obj));
            }
            Err(e) => errors.push(e),
        }
    }
    (objects, skipped)
}

/// What is checked of a document once every input is known: its engine arguments'
/// errors, and the priority classes it refers to.
type LaterChecks = (Vec<InputError>, Vec<ClassRef>);

type LoadedApply = Result<(Vec<super::execute::ApplyDoc>, Vec<InputError>, Vec<LaterChecks>), Vec<InputError>>;

/// One `apply -f` file (`file` as the command names it, at `loc`): its documents decoded,
/// those that do not decode, and each document's checks that need every input.
fn load_apply_file(path: &Path, file: &str, loc: &Loc) -> LoadedApply {
    if !path.exists() {
        let e = InputError::at(
            loc.clone(),
            format!("apply -f {file}: not found (looked for {})", path.display()),
        )
        .hint("paths in timeline commands are relative to the Scenario file (in a scenario that extends another, to the base's)");
        return Err(vec![e]);
    }
    // The parsed YAML goes as soon as each document is decoded.
    match load_paths(&[path.to_path_buf()]) {
        Ok(l) => {
            let (mut docs, mut bad, mut later) = (Vec::new(), Vec::new(), Vec::new());
            for r in &l.objects {
                match decode(r) {
                    Ok(o) => docs.push(super::execute::ApplyDoc::of(r, o)),
                    Err(e) => bad.push(e),
                }
                let mut refs = Vec::new();
                class_refs(&r.doc, &mut refs);
                later.push((validate_engine_args(r), refs));
            }
            Ok((docs, bad, later))
        }
        Err(e) => Err(e.0),
    }
}

/// A file applied from a rehearsal's prompt, checked as a timeline's `apply -f` file is
/// when a scenario is prepared: against the scenario's objects, its catalog and its
/// priority classes. Every problem, located in the file.
pub(crate) fn typed_apply(
    prepared: &Prepared,
    path: &Path,
    loc: &Loc,
) -> Result<Vec<super::execute::ApplyDoc>, Vec<InputError>> {
    let file = path.display().to_string();
    let (docs, mut errors, later) = load_apply_file(path, &file, loc)?;
    let mut all: Vec<&Object> = prepared.objects.iter().map(|(_, o)| o).collect();
    all.extend(docs.iter().map(|d| &d.object));
    let mine = |e: &InputError| e.loc.file.as_ref() == file;
    errors.extend(validate_references(&all, &prepared.catalog).into_iter().filter(mine));
    let classes = PriorityClasses::of(&all);
    for (engine_args, refs) in &later {
        errors.extend(engine_args.iter().cloned());
        classes.check(refs, &mut errors);
    }
    if errors.is_empty() {
        Ok(docs)
    } else {
        Err(errors)
    }
}

/// The files the timeline's `apply -f` commands will apply, by the command's index,
/// loaded and decoded now so that a bad one stops the run before it starts; with each
/// document's checks that need every input. A fleet's timeline applies thousands of
/// files: they are read on every core, each file's parsed YAML dropped once decoded, and
/// the results taken in timeline order, errors included.
fn load_apply_files(
    scenario: &Scenario,
    errors: &mut Vec<InputError>,
) -> (BTreeMap<usize, Vec<super::execute::ApplyDoc>>, Vec<LaterChecks>) {
    use rayon::prelude::*;
    let base = scenario.file.parent().unwrap_or(Path::new(".")).to_path_buf();
    let applies: Vec<(usize, &super::document::TimelineEntry, &String)> = scenario
        .timeline
        .iter()
        .enumerate()
        .filter_map(|(i, entry)| match &entry.command.verb {
            super::command::Verb::Apply { file } => Some((i, entry, file)),
            _ => None,
        })
        .collect();
    let loaded: Vec<(usize, LoadedApply)> = applies
        .par_iter()
        .map(|(i, entry, file)| (*i, load_apply_file(&base.join(file), file, &entry.loc)))
        .collect();
    let mut apply_files = BTreeMap::new();
    let mut checks = Vec::new();
    for (i, result) in loaded {
        match result {
            Ok((docs, bad, later)) => {
                errors.extend(bad);
                apply_files.insert(i, docs);
                checks.extend(later);
            }
            Err(e) => errors.extend(e),
        }
    }
    (apply_files, checks)
}

/// Each traffic entry must reach exactly one service among the inputs.
fn check_traffic_targets(scenario: &Scenario, targets: &BTreeSet<(String, String)>, errors: &mut Vec<InputError>) {
    let services = || targets.iter().map(|(a, b)| (a.as_str(), b.as_str()));
    for t in &scenario.traffic {
        if let Err(m) = super::serve::resolve(&t.target, t.namespace.as_deref(), services()) {
            errors.push(
                InputError::at(
                    t.loc.clone(),
                    format!(
                        "traffic target: {m}{}",
                        did_you_mean(&t.target, services().map(|(_, n)| n))
                    ),
                )
                .hint("traffic goes to an InferenceService or LLMInferenceService defined in the inputs (add `namespace:` to pick one)"),
            );
        }
    }
}

/// What KEDA's webhook refuses across objects — a ScaledObject on a workload an HPA of the
/// inputs already scales — and a ScaledObject that can scale to zero but never back: its
/// triggers read only vLLM's series, which its pods export, so at zero they are gone.
fn check_autoscalers(all: &[&Object], errors: &mut Vec<InputError>, warnings: &mut Vec<String>) {
    let reads_only_vllm = |query: &str| {
        crate::monitoring::promql::parse(query)
            .map(|e| {
                let names = e.metric_names();
                !names.is_empty() && names.iter().all(|n| n.starts_with("vllm:"))
            })
            .unwrap_or(false)
    };
    for o in all {
        if let Object::InferenceService {
            namespace, isvc, loc, ..
        } = o
        {
            let mode = isvc
                .meta
                .annotations
                .get(crate::api::kserve::DEPLOYMENT_MODE_ANNOTATION)
                .map(String::as_str);
            if let Some(m) = mode.filter(|m| !["Serverless", "Knative", "RawDeployment", "Standard"].contains(m)) {
                warnings.push(format!(
                    "{loc}: InferenceService {namespace}/{}: serving.kserve.io/deploymentMode `{m}` is not a mode KServe knows (RawDeployment or Standard, Serverless or Knative; the case matters): it runs as RawDeployment",
                    isvc.meta.name
                ));
            }
            let p = &isvc.predictor;
            let queries: Vec<&str> = p
                .autoscaling_metrics
                .iter()
                .filter_map(|m| match m {
                    crate::api::kserve::IsvcMetric::External { query, .. } => Some(query.as_str()),
                    _ => None,
                })
                .collect();
            if isvc.knative_class().is_none()
                && isvc.autoscaler_class() == Ok(crate::api::kserve::AutoscalerClass::Keda)
                && p.min_replicas == Some(0)
                && !queries.is_empty()
                && queries.iter().all(|q| reads_only_vllm(q))
            {
                warnings.push(format!(
                    "{loc}: InferenceService {namespace}/{} (autoscalerClass keda, minReplicas 0) can scale to zero but its queries read only vLLM's series, which exist only while its pods do: once at zero it is never activated again (requests fail with 503); keep minReplicas at 1 or use Serverless mode",
                    isvc.meta.name
                ));
            }
        }
    }
    for o in all {
        let Object::ScaledObject {
            namespace,
            scaled_object,
            loc,
        } = o
        else {
            continue;
        };
        let so = &scaled_object.0;
        let target = &so.spec.scale_target_ref;
        let hpa = all.iter().find_map(|h| match h {
            Object::HorizontalPodAutoscaler { namespace: ns, hpa, .. }
                if ns == namespace && hpa.0.target.kind == target.kind && hpa.0.target.name == target.name =>
            {
                Some(hpa.0.name.as_str())
            }
            _ => None,
        });
        if let Some(hpa) = hpa {
            errors.push(
                InputError::at(
                    loc.clone(),
                    format!(
                        "admission webhook \"vscaledobject.kb.io\" denied the request: the workload '{}' of type 'apps/v1.Deployment' is already managed by the hpa '{hpa}'",
                        target.name
                    ),
                )
                .hint("scale a workload with one autoscaler: remove the HorizontalPodAutoscaler or the ScaledObject"),
            );
        }
        let to_zero = so.min_replica_count() == 0 || so.spec.idle_replica_count == Some(0);
        let only_vllm = so.spec.triggers.iter().all(|t| {
            let crate::autoscaling::keda::scaled_object::Scaler::Prometheus(meta) = &t.scaler;
            reads_only_vllm(&meta.query)
        });
        if to_zero && only_vllm {
            warnings.push(format!(
                "{loc}: ScaledObject {namespace}/{} can scale {} to zero but its triggers read only vLLM's series, which exist only while its pods do: once at zero it is never activated again (requests fail with 503); keep minReplicaCount at 1 or use KServe's Serverless mode",
                so.name, target.name
            ));
        }
    }
}

/// A cycle of Cohort parents: Kueue leaves every ClusterQueue under it inactive, so
/// nothing queued there is ever admitted.
fn check_cohort_cycles(all: &[&Object], warnings: &mut Vec<String>) {
    let parent: BTreeMap<&str, (&str, &crate::manifest::error::Loc)> = all
        .iter()
        .filter_map(|o| match o {
            Object::Cohort(c) => c.parent.as_deref().map(|p| (c.name.as_str(), (p, &c.loc))),
            _ => None,
        })
        .collect();
    let mut reported: BTreeSet<&str> = BTreeSet::new();
    for (start, (_, loc)) in &parent {
        // Walk up; a cohort seen twice closes a cycle, reported once by its members.
        let mut path: Vec<&str> = vec![start];
        let mut at = *start;
        while let Some((p, _)) = parent.get(at) {
            if let Some(i) = path.iter().position(|c| c == p) {
                // `i` is a position in `path`, so the slice holds at least `path[i]`.
                let cycle = &path[i..];
                if cycle.contains(start) && cycle.iter().all(|c| reported.insert(c)) {
                    let queues: Vec<&str> = all
                        .iter()
                        .filter_map(|o| match o {
                            Object::ClusterQueue(cq)
                                if cq.cohort.as_deref().is_some_and(|c| in_tree_of(&parent, c, cycle)) =>
                            {
                                Some(cq.name.as_str())
                            }
                            _ => None,
                        })
                        .collect();
                    warnings.push(format!(
                        "{loc}: the Cohort parents form a cycle ({} → {}): Kueue leaves every ClusterQueue under it inactive{}",
                        cycle.join(" → "),
                        p,
                        if queues.is_empty() {
                            String::new()
                        } else {
                            format!(" ({}), admitting nothing", queues.join(", "))
                        }
                    ));
                }
                break;
            }
            path.push(p);
            at = p;
        }
    }
}

/// Whether walking up from `cohort` reaches one of `cycle`.
fn in_tree_of(parent: &BTreeMap<&str, (&str, &crate::manifest::error::Loc)>, cohort: &str, cycle: &[&str]) -> bool {
    let mut at = cohort;
    for _ in 0..=parent.len() {
        if cycle.contains(&at) {
            return true;
        }
        match parent.get(at) {
            Some((p, _)) => at = p,
            None => return false,
        }
    }
    false
}

/// Every fault names a node the scenario defines (a node pool's or a Node manifest's).
fn check_fault_nodes(scenario: &Scenario, all: &[&Object], errors: &mut Vec<InputError>) {
    let mut nodes: BTreeSet<String> = scenario
        .node_pools
        .iter()
        .flat_map(|p| (0..p.count).map(move |i| format!("{}-{i}", p.name)))
        .collect();
    nodes.extend(all.iter().filter_map(|o| match o {
        Object::Node(n) => Some(n.meta.name.clone()),
        _ => None,
    }));
    for f in &scenario.faults.faults {
        let Some(node) = f.kind.node() else { continue };
        if !nodes.contains(node) {
            errors.push(
                InputError::at(
                    f.loc.clone(),
                    format!(
                        "{} fault on node `{node}`, which no node pool or Node manifest defines{}",
                        f.kind.type_name(),
                        crate::manifest::error::did_you_mean(node, nodes.iter().map(String::as_str))
                    ),
                )
                .hint("node pools name their nodes <pool>-0, <pool>-1, …"),
            );
        }
    }
}

/// Most faults one run draws at random: beyond it a fleet would fail faster than any
/// report could say something useful.
const MAX_RANDOM_FAULTS: usize = 100_000;

/// The run's fault plan: the scenario's faults and those drawn for its nodes as they
/// stand after the inputs are applied.
fn plan_faults(engine: &mut Engine, scenario: &Scenario) {
    if scenario.faults.is_empty() {
        return;
    }
    let nodes: Vec<(String, Labels)> = engine
        .store()
        .nodes
        .values()
        .map(|n| (n.name.clone(), n.labels.clone()))
        .collect();
    let end = SimTime(scenario.duration.0);
    let mut plan = crate::faults::plan(&scenario.faults, &nodes, scenario.seed, end);
    let random = plan.iter().filter(|f| f.random).count();
    if random > MAX_RANDOM_FAULTS {
        engine.warn(format!(
            "{random} random faults drawn; only the first {MAX_RANDOM_FAULTS} are injected (raise mtbf)"
        ));
        let mut kept = 0;
        plan.retain(|f| {
            kept += f.random as usize;
            !f.random || kept <= MAX_RANDOM_FAULTS
        });
    }
    engine.inject_faults(plan);
}

fn identity(raw: &RawObject, obj: &Object) -> (String, String, String) {
    let ns = obj.namespace().to_string();
    (raw.kind.clone(), ns, raw.name())
}

/// Cross-object checks Kubernetes would answer with an inactive queue or a stuck pod;
/// a simulation input with a dangling reference is almost always a typo.
fn validate_references(objects: &[&Object], catalog: &Catalog) -> Vec<InputError> {
    let defined = Defined::of(objects);
    let mut errors = Vec::new();
    for o in objects {
        match o {
            Object::ClusterQueue(cq) => defined.check_cluster_queue(cq, &mut errors),
            Object::LocalQueue(lq) => defined.check_local_queue(lq, &mut errors),
            Object::Framework { namespace, framework } => {
                defined.check_training_runtime(namespace, framework, &mut errors)
            }
            Object::InferenceService {
                namespace, isvc, loc, ..
            } => defined.check_inference_service(namespace, isvc, loc, catalog, &mut errors),
            _ => {}
        }
    }
    errors
}

/// The names that references may point at, among the inputs.
struct Defined<'o> {
    flavors: BTreeSet<&'o str>,
    cluster_queues: BTreeSet<&'o str>,
    /// ServingRuntimes by (namespace, name).
    runtimes: BTreeSet<(&'o str, &'o str)>,
    /// Each flavor's `topologyName`, and the Topologies.
    flavor_topologies: BTreeMap<&'o str, &'o str>,
    topologies: BTreeSet<&'o str>,
    /// ClusterTrainingRuntimes by name (namespace empty) and TrainingRuntimes.
    training_runtimes: BTreeSet<(&'o str, &'o str)>,
}

impl<'o> Defined<'o> {
    fn of(objects: &[&'o Object]) -> Defined<'o> {
        fn names<'o, T: Ord>(objects: &[&'o Object], name: impl Fn(&'o Object) -> Option<T>) -> BTreeSet<T> {
            objects.iter().filter_map(|o| name(o)).collect()
        }
        Defined {
            flavors: names(objects, |o| match o {
                Object::ResourceFlavor(f) => Some(f.name.as_str()),
                _ => None,
            }),
            cluster_queues: names(objects, |o| match o {
                Object::ClusterQueue(c) => Some(c.name.as_str()),
                _ => None,
            }),
            runtimes: names(objects, |o| match o {
                Object::ServingRuntime { namespace, runtime } => Some((namespace.as_str(), runtime.meta.name.as_str())),
                _ => None,
            }),
            flavor_topologies: objects
                .iter()
                .filter_map(|o| match o {
                    Object::ResourceFlavor(f) => f.topology_name.as_deref().map(|t| (f.name.as_str(), t)),
                    _ => None,
                })
                .collect(),
            topologies: names(objects, |o| match o {
                Object::Topology(t) => Some(t.name.as_str()),
                _ => None,
            }),
            training_runtimes: names(objects, |o| match o {
                Object::TrainingRuntime { namespace, runtime } => {
                    Some((namespace.as_str(), runtime.meta.name.as_str()))
                }
                _ => None,
            }),
        }
    }

    /// Trainer's webhook refuses a TrainJob whose runtime does not exist.
    fn check_training_runtime(
        &self,
        namespace: &str,
        f: &crate::api::frameworks::FrameworkObject,
        errors: &mut Vec<InputError>,
    ) {
        let Some((kind, name)) = &f.runtime_ref else { return };
        let ns = if kind == "ClusterTrainingRuntime" {
            ""
        } else {
            namespace
        };
        if self.training_runtimes.contains(&(ns, name.as_str())) {
            return;
        }
        let known = self.training_runtimes.iter().filter(|(n, _)| *n == ns).map(|(_, r)| *r);
        errors.push(
            InputError::at(
                f.loc.clone(),
                format!(
                    "TrainJob {namespace}/{} refers to {kind} `{name}`, which is not defined{}",
                    f.meta.name,
                    did_you_mean(name, known)
                ),
            )
            .hint(format!(
                "add the {kind} manifest or fix spec.runtimeRef (it must exist before the TrainJob)"
            )),
        );
    }

    /// Kueue leaves a ClusterQueue with an undefined flavor inactive.
    fn check_cluster_queue(&self, cq: &ClusterQueue, errors: &mut Vec<InputError>) {
        for g in &cq.resource_groups {
            for f in &g.flavors {
                if let Some(t) = self
                    .flavor_topologies
                    .get(f.name.as_str())
                    .filter(|t| !self.topologies.contains(**t))
                {
                    errors.push(
                        InputError::at(
                            f.loc.clone(),
                            format!("there is no Topology \"{t}\" for TAS flavor \"{}\" of ClusterQueue {}", f.name, cq.name),
                        )
                        .hint("add the Topology manifest or fix the flavor's topologyName (Kueue would leave the ClusterQueue inactive: TopologyNotFound)"),
                    );
                }
                if !self.flavors.contains(f.name.as_str()) {
                    errors.push(InputError::at(f.loc.clone(), format!("ClusterQueue {} uses ResourceFlavor `{}`, which is not defined{}", cq.name, f.name, did_you_mean(&f.name, self.flavors.iter().copied())))
                        .hint("add the ResourceFlavor manifest or fix the name (Kueue would leave the ClusterQueue inactive)"));
                }
            }
        }
    }

    fn check_local_queue(&self, lq: &LocalQueue, errors: &mut Vec<InputError>) {
        if self.cluster_queues.contains(lq.cluster_queue.as_str()) {
            return;
        }
        errors.push(
            InputError::at(
                lq.loc.clone(),
                format!(
                    "LocalQueue {}/{} points at ClusterQueue `{}`, which is not defined{}",
                    lq.namespace,
                    lq.name,
                    lq.cluster_queue,
                    did_you_mean(&lq.cluster_queue, self.cluster_queues.iter().copied())
                ),
            )
            .hint("add the ClusterQueue or fix spec.clusterQueue"),
        );
    }

    /// Checks the predictor's runtime, model and priority class, in that order.
    fn check_inference_service(
        &self,
        namespace: &str,
        isvc: &InferenceService,
        loc: &Loc,
        catalog: &Catalog,
        errors: &mut Vec<InputError>,
    ) {
        let p = &isvc.predictor;
        match &p.runtime {
            Some(r) if !self.runtimes.contains(&(namespace, r.as_str())) => {
                let known: Vec<&str> = self
                    .runtimes
                    .iter()
                    .filter(|(n, _)| *n == namespace)
                    .map(|(_, r)| *r)
                    .collect();
                errors.push(InputError::at(p.loc.clone(), format!("InferenceService {namespace}/{} uses ServingRuntime `{r}`, which is not defined in namespace {namespace}{}", isvc.meta.name, did_you_mean(r, known.iter().copied())))
                    .hint("include the ServingRuntime manifest (same namespace) or fix spec.predictor.model.runtime"));
            }
            None if p.model_format.is_some() && !self.runtimes.iter().any(|(n, _)| *n == namespace) => {
                errors.push(InputError::at(p.loc.clone(), format!("InferenceService {namespace}/{} names no runtime and namespace {namespace} has no ServingRuntime", isvc.meta.name)).hint("add a ServingRuntime with supportedModelFormats autoSelect: true"));
            }
            _ => {}
        }
        if let Some(src) = &p.source {
            if catalog.inference_service_model(isvc).is_none() {
                errors.push(
                    InputError::at(
                        loc.clone(),
                        format!(
                            "InferenceService {namespace}/{}: no model card matches storage `{}`",
                            isvc.meta.name,
                            src.path()
                        ),
                    )
                    .hint(catalog.unknown_model_hint(src.path())),
                );
            }
        }
    }
}

/// The priority classes the inputs define, against which every `priorityClassName` and
/// every `kueue.x-k8s.io/priority-class` label is checked: the API server's Priority
/// admission plugin refuses a pod with an unknown PriorityClass, and Kueue admits nothing
/// whose WorkloadPriorityClass does not exist.
struct PriorityClasses<'o> {
    pod: BTreeSet<&'o str>,
    workload: BTreeSet<&'o str>,
}

impl<'o> PriorityClasses<'o> {
    fn of(objects: &[&'o Object]) -> PriorityClasses<'o> {
        let mut classes = PriorityClasses {
            pod: BTreeSet::new(),
            workload: BTreeSet::new(),
        };
        for o in objects {
            match o {
                Object::PriorityClass(c) => {
                    classes.pod.insert(c.name.as_str());
                }
                Object::WorkloadPriorityClass(c) => {
                    classes.workload.insert(c.name.as_str());
                }
                _ => {}
            }
        }
        classes
    }

    /// The errors of the references `refs` makes to classes that do not exist.
    fn check(&self, refs: &[ClassRef], errors: &mut Vec<InputError>) {
        for r in refs {
            let (known, what, hint) = match r.kind {
                ClassKind::Pod => (
                    &self.pod,
                    "priorityClassName",
                    "add the PriorityClass manifest or remove priorityClassName",
                ),
                ClassKind::Workload => (
                    &self.workload,
                    "WorkloadPriorityClass",
                    "add the WorkloadPriorityClass manifest or fix the label: Kueue would not admit the workload",
                ),
            };
            if !known.contains(r.name.as_str()) {
                errors.push(
                    InputError::at(
                        r.loc.clone(),
                        format!(
                            "{what} `{}` is not defined{}",
                            r.name,
                            did_you_mean(&r.name, known.iter().copied())
                        ),
                    )
                    .hint(hint),
                );
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum ClassKind {
    Pod,
    Workload,
}

/// A reference a manifest makes to a priority class: a pod's `priorityClassName`, or
/// Kueue's priority-class label.
#[derive(Debug, Clone)]
struct ClassRef {
    kind: ClassKind,
    name: String,
    loc: Loc,
}

/// Every class reference in a manifest, in document order: the fields sit at different
/// depths in each kind (a pod's spec, a template's, a predictor's), and a reference
/// anywhere is a reference.
fn class_refs(node: &crate::manifest::yaml::Node, out: &mut Vec<ClassRef>) {
    use crate::manifest::yaml::Value;
    match &node.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                let key = match &k.value {
                    Value::Scalar { text, .. } => text.as_str(),
                    _ => "",
                };
                match (key, &v.value) {
                    ("priorityClassName", Value::Scalar { text, .. }) => out.push(ClassRef {
                        kind: ClassKind::Pod,
                        name: text.clone(),
                        loc: v.loc.clone(),
                    }),
                    ("labels", Value::Map(labels)) => {
                        for (k, v) in labels {
                            if let (Value::Scalar { text: key, .. }, Value::Scalar { text: class, .. }) =
                                (&k.value, &v.value)
                            {
                                if key == crate::kueue::PRIORITY_CLASS_LABEL {
                                    out.push(ClassRef {
                                        kind: ClassKind::Workload,
                                        name: class.clone(),
                                        loc: v.loc.clone(),
                                    });
                                }
                            }
                        }
                    }
                    _ => class_refs(v, out),
                }
            }
        }
        Value::Seq(items) => {
            for i in items {
                class_refs(i, out);
            }
        }
        Value::Null | Value::Scalar { .. } => {}
    }
}

/// vLLM rejects malformed engine arguments at start-up; so does the simulator, before
/// the run, pointing at the argument.
fn validate_engine_args(raw: &RawObject) -> Vec<InputError> {
    let lists: Vec<&crate::manifest::yaml::Node> = match raw.kind.as_str() {
        "InferenceService" => raw
            .doc
            .path(&["spec", "predictor", "model", "args"])
            .into_iter()
            .collect(),
        "ServingRuntime" => raw
            .doc
            .path(&["spec", "containers"])
            .and_then(|c| c.items().ok())
            .unwrap_or(&[])
            .iter()
            .filter(|c| c.get("name").and_then(|n| n.as_str().ok()) == Some("kserve-container"))
            .filter_map(|c| c.get("args"))
            .collect(),
        _ => Vec::new(),
    };
    let mut errors = Vec::new();
    for list in lists {
        let Ok(items) = list.items() else { continue };
        let args: Vec<String> = items
            .iter()
            .filter_map(|a| a.as_str().ok().map(str::to_string))
            .collect();
        if let Err(e) = crate::serving::args::VllmArgs::parse(&args) {
            let loc = items.get(e.index).map(|n| n.loc.clone()).unwrap_or(list.loc.clone());
            errors.push(
                InputError::at(loc, format!("vLLM argument `{}`: {}", e.arg, e.message))
                    .hint("vLLM would exit at start-up with this error; fix the argument"),
            );
        }
    }
    errors
}

/// One timeline command and what `oc` printed.
#[derive(Debug, Clone)]
pub struct Transcript {
    pub t: SimTime,
    pub command: String,
    pub output: String,
    /// What it printed later, each line at its instant (`oc get -w`, `oc wait`, `oc
    /// rollout status`).
    pub follow: Vec<super::follow::FollowLine>,
}

pub struct RunResult {
    pub prepared: Prepared,
    pub engine: Engine,
    pub transcript: Vec<Transcript>,
    pub deadlocks: Vec<Deadlock>,
    /// Kueue's usage per ClusterQueue whenever it changed.
    pub usage: super::usage::UsageHistory,
    pub serving: ServingHistory,
    pub desired: DesiredHistory,
    pub lives: super::serve::PodLives,
    pub served: super::serve::Served,
}

/// Ready replicas of each InferenceService whenever the count changed.
pub type ServingHistory = BTreeMap<(String, String), Vec<(SimTime, usize)>>;

/// The replicas each InferenceService's predictor asked for whenever that changed.
pub type DesiredHistory = BTreeMap<(String, String), Vec<(SimTime, i32)>>;

/// A paced rehearsal's view of the run between instants (see [`Pacer`]).
pub(crate) struct Moment<'m> {
    pub(crate) engine: &'m Engine,
    /// The scenario as prepared (its objects, catalog), for checking what is typed.
    pub(crate) prepared: &'m Prepared,
    /// The scenario's timeline, sorted by instant.
    pub(crate) timeline: &'m [TimelineEntry],
    /// The commands typed so far, in the order they were typed.
    pub(crate) typed: &'m [TimelineEntry],
    /// What the commands run so far printed.
    pub(crate) transcript: &'m [Transcript],
    pub(crate) serving: &'m super::serve::LiveServing<'m>,
    /// The lines commands printed since the pacer last looked (`oc get -w`, `oc wait`,
    /// `oc rollout status`), each with its command's place in `transcript`.
    pub(crate) new_lines: &'m [super::follow::NewLine],
}

/// What a pacer wants before the next instant.
pub(crate) enum Pacing {
    Go,
    /// A command typed at the given instant (never before the next one is handled: the
    /// instants before it are done), with the documents of its `apply -f` file. It runs
    /// first in its instant, as a timeline entry.
    Command(TimelineEntry, Vec<super::execute::ApplyDoc>),
    /// Stop where the run stands (Ctrl-C).
    Stop,
}

/// Paces a run from outside: a rehearsal waits for the wall clock, reads what is typed
/// and shows the cluster. It only reads the run; what it changes goes in as commands.
pub(crate) trait Pacer {
    /// Before the instant `next` is handled, everything before it done.
    fn ahead(&mut self, moment: &Moment<'_>, next: SimTime) -> Pacing;
    /// Once an instant has settled.
    fn after_instant(&mut self, _moment: &Moment<'_>) {}
}

/// How a paced run ended.
pub(crate) enum Paced {
    Finished(Box<RunResult>),
    /// Stopped by its pacer once the instant `at` was done.
    Stopped {
        at: SimTime,
    },
}

struct ScenarioDriver<'a, 'p> {
    prepared: &'a Prepared,
    pacer: Option<&'p mut (dyn Pacer + 'p)>,
    /// Commands typed during a paced run: timeline entries numbered after the scenario's.
    typed: Vec<TimelineEntry>,
    progress: &'a crate::progress::Progress,
    transcript: Vec<Transcript>,
    deadlocks: Vec<Deadlock>,
    usage: super::usage::UsageHistory,
    serving: ServingHistory,
    desired: DesiredHistory,
    lives: Option<super::serve::PodLives>,
    /// The timeline's `apply -f` files, each dropped once applied.
    apply_files: BTreeMap<usize, Vec<super::execute::ApplyDoc>>,
    /// The requests, served in the cluster's loop.
    requests: super::serve::LiveServing<'a>,
    /// The commands that still print as time passes, and what they printed at the last
    /// instant.
    follow: super::follow::Followers,
    new_lines: Vec<super::follow::NewLine>,
}

fn ready_replicas(store: &Store) -> BTreeMap<(String, String), usize> {
    let mut out: BTreeMap<(String, String), usize> = store
        .isvcs
        .keys()
        .map(|k| ((k.namespace.clone(), k.name.clone()), 0))
        .collect();
    let isvc_label = crate::controllers::inferenceservice::ISVC_LABEL;
    // Through the label index: a fleet's batch pods are not looked at every instant.
    for p in store.pods.with_label_key(isvc_label).filter(|p| p.is_ready()) {
        if let Some(i) = p.labels.get(isvc_label) {
            *out.entry((p.namespace.clone(), i.clone())).or_default() += 1;
        }
    }
    out
}

impl ScenarioDriver<'_, '_> {
    fn moment<'m>(&'m self, engine: &'m Engine) -> Moment<'m> {
        Moment {
            engine,
            prepared: self.prepared,
            timeline: &self.prepared.scenario.timeline,
            typed: &self.typed,
            transcript: &self.transcript,
            serving: &self.requests,
            new_lines: &self.new_lines,
        }
    }

    fn entry(&self, index: usize) -> Option<&TimelineEntry> {
        let base = &self.prepared.scenario.timeline;
        base.get(index)
            .or_else(|| self.typed.get(index.checked_sub(base.len())?))
    }
}

impl Driver for ScenarioDriver<'_, '_> {
    fn ahead(&mut self, engine: &mut Engine, next: SimTime) -> Result<crate::engine::Ahead, RunError> {
        use crate::engine::Ahead;
        let Some(pacer) = self.pacer.take() else {
            return Ok(Ahead::Go);
        };
        let pacing = pacer.ahead(&self.moment(engine), next);
        self.pacer = Some(pacer);
        Ok(match pacing {
            Pacing::Go => Ahead::Go,
            Pacing::Stop => Ahead::Stop,
            Pacing::Command(entry, apply) => {
                let index = self.prepared.scenario.timeline.len() + self.typed.len();
                if !apply.is_empty() {
                    self.apply_files.insert(index, apply);
                }
                engine.schedule_command(entry.at.max(engine.now()), index);
                self.typed.push(entry);
                Ahead::Again
            }
        })
    }

    fn before_instant(&mut self, _engine: &mut Engine, t: SimTime) {
        self.requests.advance_before(t);
    }

    fn scrape(&mut self, engine: &mut Engine) {
        let now = engine.now();
        let wanted = super::serve::Wanted::of(engine.store());
        self.requests.scrape(now, engine.prometheus_mut(), &wanted);
    }

    fn revision_stats(
        &mut self,
        services: &[crate::store::ObjectKey],
    ) -> Vec<crate::controllers::knative::RevisionStat> {
        self.requests.revision_stats(services)
    }

    fn next_arrival(&mut self, service: &crate::store::ObjectKey) -> Option<f64> {
        self.requests.next_arrival(service)
    }

    fn on_timeline(&mut self, engine: &mut Engine, index: usize) -> Result<(), RunError> {
        let files = self.apply_files.remove(&index).unwrap_or_default();
        let Some(entry) = self.entry(index).cloned() else {
            return Ok(());
        };
        engine.settle()?;
        let done = execute(engine, &self.requests, &entry.command, &files, &entry.loc);
        if let Some(f) = done.follower {
            self.follow.add(self.transcript.len(), f);
        }
        let output = done.output;
        engine.submit(Action::Event(LogEvent {
            t: engine.now(),
            kind: "Command".into(),
            object: "timeline".into(),
            message: format!("$ {}", entry.text),
        }));
        self.transcript.push(Transcript {
            t: engine.now(),
            command: entry.text.clone(),
            output,
            follow: Vec::new(),
        });
        Ok(())
    }

    fn after_instant(&mut self, engine: &Engine) {
        let now = engine.now();
        let end = self.prepared.scenario.duration.as_secs_f64();
        self.progress
            .set(crate::progress::Phase::Cluster, now.as_secs_f64(), end);
        self.usage.observe(now, &engine.kueue().cache.usage);
        let store = engine.store();
        if let Some(l) = &mut self.lives {
            l.observe(store, now);
            self.requests.observe(store, l, now);
        }
        let transcript = &mut self.transcript;
        let serving: &dyn super::logs::ServingLogs = &self.requests;
        self.follow.after_instant(store, serving, &mut |i, line| {
            if let Some(t) = transcript.get_mut(i) {
                t.follow.push(line);
            }
        });
        self.new_lines = self.follow.drain_new_lines();
        let found = deadlock::detect(store);
        deadlock::track(&mut self.deadlocks, found, now);
        for (k, n) in ready_replicas(store) {
            let h = self.serving.entry(k).or_default();
            if h.last().is_none_or(|(_, last)| *last != n) {
                h.push((now, n));
            }
        }
        for k in store.isvcs.keys() {
            let name = crate::controllers::inferenceservice::predictor_name(&k.name);
            let Some(d) = store.deployment(&k.namespace, &name) else {
                continue;
            };
            let h = self.desired.entry((k.namespace.clone(), k.name.clone())).or_default();
            if h.last().is_none_or(|(_, last)| *last != d.spec.replicas) {
                h.push((now, d.spec.replicas));
            }
        }
        if let Some(pacer) = self.pacer.take() {
            pacer.after_instant(&self.moment(engine));
            self.pacer = Some(pacer);
        }
    }
}

/// The label a Scenario's node pool puts on its nodes, as cloud node groups label theirs.
pub const NODE_POOL_LABEL: &str = "gpuaas-sim.io/node-pool";

pub fn run(prepared: Prepared, progress: &crate::progress::Progress) -> Result<RunResult, RunError> {
    match run_paced(prepared, progress, None)? {
        Paced::Finished(result) => Ok(*result),
        // Nothing stops a run without a pacer.
        Paced::Stopped { at } => Err(RunError::Stopped { at }),
    }
}

/// [`run`] with a pacer between instants. The commands it types join the timeline, in
/// the finished run's scenario as in its report.
pub(crate) fn run_paced<'p>(
    mut prepared: Prepared,
    progress: &crate::progress::Progress,
    pacer: Option<&'p mut (dyn Pacer + 'p)>,
) -> Result<Paced, RunError> {
    let apply_files = std::mem::take(&mut prepared.apply_files);
    let catalog = prepared.catalog.clone();
    let mut engine = Engine::new(Config {
        seed: prepared.scenario.seed,
        kueue: prepared.scenario.kueue.clone(),
        job_run_time: prepared.scenario.job_run_time,
        catalog: catalog.clone(),
        keep_first_events: prepared.report_limit,
    });
    for w in prepared.warnings.iter().chain(&prepared.scenario.notes) {
        engine.warn(w.clone());
    }
    add_node_pools(&mut engine, &catalog, &prepared.scenario.node_pools);
    // The cluster first (nodes included), then the faults from the start, then what runs.
    apply_inputs(&mut engine, &prepared.objects, |order| order <= 1);
    plan_faults(&mut engine, &prepared.scenario);
    apply_inputs(&mut engine, &prepared.objects, |order| order > 1);
    let end = schedule(&mut engine, &prepared.scenario);
    let plans = super::serve::plan_services(&prepared.scenario, &prepared.serving_targets);
    // vLLM's stat lines are kept for `oc logs`: when the timeline reads logs, or a
    // rehearsal may type it.
    let keep_logs = pacer.is_some()
        || prepared
            .scenario
            .timeline
            .iter()
            .any(|e| matches!(e.command.verb, super::command::Verb::Logs(_)));
    let mut driver = ScenarioDriver {
        prepared: &prepared,
        pacer,
        typed: Vec::new(),
        progress,
        transcript: Vec::new(),
        deadlocks: Vec::new(),
        usage: Default::default(),
        serving: BTreeMap::new(),
        desired: BTreeMap::new(),
        lives: (!prepared.scenario.traffic.is_empty()).then(Default::default),
        requests: super::serve::LiveServing::new(&plans, prepared.scenario.duration.as_secs_f64(), keep_logs),
        apply_files,
        follow: Default::default(),
        new_lines: Vec::new(),
    };
    if !driver.requests.is_empty() {
        driver.requests.export_metrics();
        engine.start_scraping(prepared.scenario.scrape_interval);
    }
    engine.run(end, &mut driver)?;
    if engine.now() < end {
        return Ok(Paced::Stopped { at: engine.now() });
    }
    // What waits past the last instant ends with the run.
    let transcript = &mut driver.transcript;
    driver.follow.until(end, &mut |i, line| {
        if let Some(t) = transcript.get_mut(i) {
            t.follow.push(line);
        }
    });
    let ScenarioDriver {
        typed,
        transcript,
        deadlocks,
        usage,
        serving,
        desired,
        lives,
        requests,
        ..
    } = driver;
    let lives = lives.unwrap_or_default();
    let served = requests.finish(engine.store(), &lives, progress);
    drop(plans);
    // As the recorded scenario lists them: the scenario's entries, then the typed ones,
    // in time order.
    prepared.scenario.timeline.extend(typed);
    prepared.scenario.timeline.sort_by_key(|e| e.at);
    Ok(Paced::Finished(Box::new(RunResult {
        prepared,
        engine,
        transcript,
        deadlocks,
        usage,
        serving,
        desired,
        lives,
        served,
    })))
}

/// The node pools' nodes, labelled as the cloud provider and GPU feature discovery
/// label them.
fn add_node_pools(engine: &mut Engine, catalog: &Catalog, pools: &[super::document::NodePool]) {
    for pool in pools {
        for i in 0..pool.count {
            let name = format!("{}-{i}", pool.name);
            let (mut labels, alloc) = catalog.node_capacity(&pool.instance_type);
            labels.insert("kubernetes.io/hostname".into(), name.clone());
            labels.insert("node-role.kubernetes.io/worker".into(), String::new());
            labels.insert(NODE_POOL_LABEL.into(), pool.name.clone());
            labels.extend(pool.labels.clone());
            let node = crate::api::core::NodeObject {
                meta: crate::api::meta::ObjectMeta {
                    name,
                    namespace: None,
                    labels,
                    annotations: Labels::new(),
                },
                taints: pool.taints.clone(),
                unschedulable: false,
                allocatable: alloc,
                instance_type: Some(pool.instance_type.clone()),
            };
            engine.submit(Action::Apply {
                object: Box::new(Object::Node(node)),
                manifest: None,
            });
        }
    }
}

/// Applies the inputs of the stages `stage` admits (0: namespaces and priority classes,
/// 1: nodes and flavors, 2: ClusterQueues, 3: LocalQueues and runtimes, 4: workloads,
/// 5: snapshot Workloads): cluster configuration first, workloads after, as an operator
/// would apply them.
fn apply_inputs(engine: &mut Engine, objects: &[(RawObject, Object)], stage: impl Fn(u8) -> bool) {
    let order = |o: &Object| -> u8 {
        match o {
            Object::Namespace { .. } | Object::PriorityClass(_) | Object::WorkloadPriorityClass(_) => 0,
            Object::Node(_) | Object::ResourceFlavor(_) | Object::Topology(_) => 1,
            Object::ClusterQueue(_) | Object::Cohort(_) => 2,
            Object::LocalQueue(_) | Object::ServingRuntime { .. } | Object::TrainingRuntime { .. } => 3,
            // Snapshot Workloads after the workload-creating kinds, oldest first.
            Object::Workload { .. } => 5,
            _ => 4,
        }
    };
    let created = |o: &Object| match o {
        Object::Workload { workload, .. } => workload.created.unwrap_or(f64::INFINITY),
        _ => 0.0,
    };
    let mut objs: Vec<&(RawObject, Object)> = objects.iter().filter(|(_, o)| stage(order(o))).collect();
    objs.sort_by(|(_, a), (_, b)| order(a).cmp(&order(b)).then(created(a).total_cmp(&created(b))));
    // The snapshot stands for the latest instant its Workload objects record; the run
    // starts there, and their times as written come before it.
    let snapshot_at = objects
        .iter()
        .filter_map(|(_, o)| match o {
            Object::Workload { workload, .. } => workload
                .created
                .into_iter()
                .chain(workload.quota_reserved)
                .reduce(f64::max),
            _ => None,
        })
        .reduce(f64::max);
    for (raw, obj) in objs {
        let mut obj = obj.clone();
        if let Object::Workload { workload, .. } = &mut obj {
            workload.snapshot_at = snapshot_at;
        }
        apply_raw(engine, raw, obj);
    }
}

/// Schedules the timeline's commands and a checkpoint at each expectation's time and at
/// the end, which it returns.
fn schedule(engine: &mut Engine, scenario: &Scenario) -> SimTime {
    for (i, e) in scenario.timeline.iter().enumerate() {
        engine.schedule_command(e.at, i);
    }
    for e in &scenario.expect {
        engine.schedule_at(e.when.instant(), Event::Checkpoint);
    }
    let end = SimTime(scenario.duration.0);
    engine.schedule_at(end, Event::Checkpoint);
    end
}
