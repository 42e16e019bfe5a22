//! KServe's InferenceService controller: one Deployment `{name}-predictor` whose pod
//! template merges the ServingRuntime with the predictor. In RawDeployment mode it is
//! KServe's Deployment, created with `minReplicas` and scaled by `autoscalerClass`; in
//! Serverless mode it stands for the Deployment of the Knative Service's one revision
//! (kept under the predictor's name, not Knative's `{name}-predictor-00001-deployment`):
//! created with the revision's initial scale, never rescaled by KServe, scaled by
//! Knative's autoscaler (`controllers::knative`).

use super::WorkQueue;
use crate::api::apps::{DeploymentSpec, Strategy};
use crate::api::core::{Container, PodSpec, PodTemplate, ResourceList, DEFAULT_GRACE_SECONDS};
use crate::api::kserve::{DeploymentMode, InferenceService, ModelSource, ServingRuntime};
use crate::api::meta::{LabelSelector, Labels};
use crate::engine::action::{Action, DeploymentUpdate, DeploymentWrite};
use crate::engine::change::Change;
use crate::engine::components::{Component, Cx};
use crate::store::{Deployment, ObjectKey, Store};
use crate::units::Quantity;

pub(crate) const ISVC_LABEL: &str = "serving.kserve.io/inferenceservice";
pub(crate) const SOURCE_URI_ANNOTATION: &str = "internal.serving.kserve.io/storage-initializer-sourceuri";
/// Annotations KServe does not copy from the InferenceService to its Deployment.
const DISALLOWED_ANNOTATIONS: &[&str] = &[
    "autoscaling.knative.dev/min-scale",
    "autoscaling.knative.dev/max-scale",
    SOURCE_URI_ANNOTATION,
    "kubectl.kubernetes.io/last-applied-configuration",
];

pub(crate) fn predictor_name(isvc: &str) -> String {
    format!("{isvc}-predictor")
}

/// The ServingRuntime an InferenceService uses: the named one, or the first runtime in
/// the namespace that auto-selects its model format.
pub(crate) fn resolve_runtime<'a>(store: &'a Store, ns: &str, isvc: &InferenceService) -> Option<&'a ServingRuntime> {
    match &isvc.predictor.runtime {
        Some(r) => store.runtimes.get(&ObjectKey::new(ns, r.as_str())),
        None => {
            let fmt = isvc.predictor.model_format.as_deref()?;
            store
                .runtimes
                .iter()
                .filter(|(k, _)| k.namespace == ns)
                .map(|(_, r)| r)
                .find(|r| {
                    r.model_formats
                        .iter()
                        .any(|(f, auto)| *auto && f.eq_ignore_ascii_case(fmt))
                })
        }
    }
}

fn small(cpu: &str, mem: &str) -> ResourceList {
    ResourceList(
        [
            ("cpu".to_string(), Quantity::parse(cpu).unwrap()),
            ("memory".to_string(), Quantity::parse(mem).unwrap()),
        ]
        .into(),
    )
}

fn source_uri(src: &ModelSource) -> String {
    src.uri()
}

/// Builds the predictor's metadata and pod template as KServe would.
pub(crate) fn desired_template(
    ns: &str,
    name: &str,
    isvc: &InferenceService,
    rt: &ServingRuntime,
) -> (Labels, Labels, PodTemplate) {
    let p = &isvc.predictor;
    let labels = predictor_labels(name, isvc, rt);
    let annotations = predictor_annotations(isvc, rt);
    let mut containers = runtime_containers(ns, name, isvc, rt);
    let (sidecars, init) = model_containers(p.source.as_ref());
    containers.extend(sidecars);
    let mut node_selector = rt.node_selector.clone();
    node_selector.extend(p.node_selector.clone());
    let mut tpl_labels = labels.clone();
    tpl_labels.insert("app".into(), format!("isvc.{}", predictor_name(name)));
    let template = PodTemplate {
        labels: tpl_labels,
        annotations: annotations.clone(),
        spec: PodSpec {
            containers,
            init_containers: init,
            node_selector,
            affinity: p.affinity.clone().or_else(|| rt.affinity.clone()),
            tolerations: if p.tolerations.is_empty() {
                rt.tolerations.clone()
            } else {
                p.tolerations.clone()
            },
            priority_class_name: p.priority_class_name.clone(),
            termination_grace_seconds: p.termination_grace_seconds.unwrap_or(DEFAULT_GRACE_SECONDS),
            scheduling_gates: Vec::new(),
            node_name: None,
        },
    };
    (labels, annotations, template)
}

/// The runtime's labels, then the InferenceService's and the predictor's over them, and
/// KServe's own.
fn predictor_labels(name: &str, isvc: &InferenceService, rt: &ServingRuntime) -> Labels {
    let mut labels = Labels::new();
    labels.extend(rt.meta.labels.clone());
    labels.extend(isvc.meta.labels.clone());
    labels.extend(isvc.predictor.labels.clone());
    labels.insert(ISVC_LABEL.into(), name.into());
    labels.insert("component".into(), "predictor".into());
    labels
}

/// The annotations KServe copies, in the same layers as the labels, and the model's
/// storage URI for the storage initializer.
fn predictor_annotations(isvc: &InferenceService, rt: &ServingRuntime) -> Labels {
    let p = &isvc.predictor;
    let mut annotations = Labels::new();
    for src in [&rt.meta.annotations, &isvc.meta.annotations, &p.annotations] {
        for (k, v) in src {
            if !DISALLOWED_ANNOTATIONS.contains(&k.as_str()) {
                annotations.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some(src) = &p.source {
        annotations.insert(SOURCE_URI_ANNOTATION.into(), source_uri(src));
    }
    annotations
}

/// The runtime's containers; its `kserve-container` (else its first) merged with the
/// predictor's model container, with the runtime's placeholders filled in.
fn runtime_containers(ns: &str, name: &str, isvc: &InferenceService, rt: &ServingRuntime) -> Vec<Container> {
    let p = &isvc.predictor;
    let base_idx = rt
        .containers
        .iter()
        .position(|c| c.name == "kserve-container")
        .unwrap_or(0);
    let mut containers: Vec<Container> = Vec::new();
    for (i, c) in rt.containers.iter().enumerate() {
        let mut c = c.clone();
        if i == base_idx {
            c.name = "kserve-container".into();
            c.args.extend(p.args.iter().cloned());
            c.requests.0.extend(p.requests.0.clone());
            c.limits.0.extend(p.limits.0.clone());
            c.args = c
                .args
                .iter()
                .map(|a| a.replace("{{.Name}}", name).replace("{{.Namespace}}", ns))
                .collect();
        }
        containers.push(c);
    }
    containers
}

/// The containers that bring the model: (sidecars, init containers). A ModelCar image
/// runs as a sidecar with an init container that pulls it; s3:// and other URIs are
/// downloaded by the storage initializer; pvc:// is mounted directly
/// (enableDirectPvcVolumeMount).
fn model_containers(source: Option<&ModelSource>) -> (Vec<Container>, Vec<Container>) {
    match source {
        Some(ModelSource::Oci(image)) => {
            let modelcar = |name: &str| Container {
                name: name.into(),
                image: image.clone(),
                requests: small("10m", "15Mi"),
                limits: small("10m", "15Mi"),
                ..Default::default()
            };
            (vec![modelcar("modelcar")], vec![modelcar("modelcar-init")])
        }
        Some(src @ (ModelSource::S3(_) | ModelSource::Other(_))) => (
            Vec::new(),
            vec![Container {
                name: "storage-initializer".into(),
                image: "kserve/storage-initializer".into(),
                args: vec![source_uri(src), "/mnt/models".into()],
                requests: small("100m", "100Mi"),
                limits: small("1", "1Gi"),
            }],
        ),
        Some(ModelSource::Pvc(_)) | None => (Vec::new(), Vec::new()),
    }
}

/// Reconciles one InferenceService into its predictor Deployment.
pub(crate) fn reconcile(store: &Store, key: &ObjectKey) -> Vec<Action> {
    let Some(state) = store.isvcs.get(key) else {
        return Vec::new();
    };
    let (ns, name) = (&key.namespace, &key.name);
    let Some(rt) = resolve_runtime(store, ns, &state.isvc) else {
        return Vec::new();
    };
    let (labels, annotations, template) = desired_template(ns, name, &state.isvc, rt);
    let desired = Desired {
        labels,
        annotations,
        template,
        strategy: state.isvc.predictor.strategy.unwrap_or(Strategy::DEFAULT_ROLLING),
    };
    let min = state.isvc.predictor.min_replicas;
    let dep_name = predictor_name(name);
    let autoscaler = super::kserve_autoscaler::reconcile(store, key, &state.isvc, &dep_name);
    let serverless = state.isvc.deployment_mode() == DeploymentMode::Serverless;
    let mut out = match (store.deployment(ns, &dep_name), serverless) {
        (None, false) => create_predictor(key, dep_name, desired, min.unwrap_or(1), Some(min)),
        (None, true) => {
            let initial = super::knative::initial_scale(&state.isvc, Some(&rt.meta.annotations));
            create_predictor(key, dep_name, desired, initial, None)
        }
        (Some(d), false) => patch_predictor(key, d, desired, min, state.applied_min_replicas),
        // Knative's revision reconciler keeps the replicas it finds: the KPA owns them.
        (Some(d), true) => patch_predictor(key, d, desired, None, None),
    };
    out.extend(autoscaler);
    out
}

/// The predictor Deployment's metadata, template and strategy as KServe wants them.
struct Desired {
    labels: Labels,
    annotations: Labels,
    template: PodTemplate,
    strategy: Strategy,
}

/// Creates the predictor Deployment with `replicas` (RawDeployment: `minReplicas`, 1 when
/// unset, then remembered as applied; Serverless: the revision's initial scale).
fn create_predictor(
    key: &ObjectKey,
    dep_name: String,
    desired: Desired,
    replicas: i32,
    applied_min: Option<Option<i32>>,
) -> Vec<Action> {
    let mut selector = LabelSelector::default();
    selector.match_labels.insert("app".into(), format!("isvc.{dep_name}"));
    let mut out = vec![Action::CreateDeployment {
        namespace: key.namespace.clone(),
        name: dep_name,
        owner_isvc: key.name.clone(),
        labels: desired.labels,
        annotations: desired.annotations,
        spec: DeploymentSpec {
            replicas,
            selector,
            template: desired.template,
            strategy: desired.strategy,
            min_ready_seconds: 0,
            paused: false,
        },
    }];
    if let Some(min) = applied_min {
        out.push(Action::MarkIsvcMinReplicasApplied {
            key: key.clone(),
            min_replicas: min,
        });
    }
    out
}

/// KServe patches the live Deployment with what it wants: its keys win, keys it does not
/// set (a `rollout restart` stamp, a user's label) stay.
fn patch_predictor(
    key: &ObjectKey,
    d: &Deployment,
    desired: Desired,
    min: Option<i32>,
    applied_min: Option<i32>,
) -> Vec<Action> {
    let Desired {
        mut labels,
        mut annotations,
        mut template,
        strategy,
    } = desired;
    keep_unset(&mut template.annotations, &d.spec.template.annotations);
    keep_unset(&mut template.labels, &d.spec.template.labels);
    keep_unset(&mut labels, &d.labels);
    keep_unset(&mut annotations, &d.annotations);
    // Replicas are left alone (KServe ignores them when diffing), except when the user
    // changes minReplicas, which the autoscaler then enforces.
    let replicas = (min != applied_min).then(|| min.unwrap_or(1));
    let changed = d.spec.template != template
        || d.spec.strategy != strategy
        || d.labels != labels
        || d.annotations != annotations;
    let mut out = Vec::new();
    if changed || replicas.is_some() {
        out.push(Action::Deployment(
            d.uid,
            DeploymentWrite::Update(Box::new(DeploymentUpdate {
                labels,
                annotations,
                template,
                strategy,
                replicas,
            })),
        ));
    }
    if replicas.is_some() {
        out.push(Action::MarkIsvcMinReplicasApplied {
            key: key.clone(),
            min_replicas: min,
        });
    }
    out
}

/// Adds the live object's keys that `ours` does not set.
fn keep_unset(ours: &mut Labels, live: &Labels) {
    for (k, v) in live {
        ours.entry(k.clone()).or_insert_with(|| v.clone());
    }
}

/// KServe's InferenceService controller: its services, woken by their own changes, their
/// runtimes' and their predictor Deployments'.
#[derive(Default)]
pub(crate) struct InferenceServiceController {
    queue: WorkQueue<ObjectKey>,
}

impl Component for InferenceServiceController {
    fn on_change(&mut self, cx: &mut Cx, change: &Change) -> Vec<Action> {
        match change {
            Change::ServingRuntime { namespace } => self
                .queue
                .extend(cx.store.isvcs.keys().filter(|k| &k.namespace == namespace).cloned()),
            Change::InferenceService(key) | Change::PredictorChanged { isvc: key } => self.queue.add(key.clone()),
            _ => {}
        }
        Vec::new()
    }

    fn reconcile_next(&mut self, cx: &mut Cx) -> Option<Vec<Action>> {
        self.queue.pop().map(|key| reconcile(cx.store, &key))
    }
}
