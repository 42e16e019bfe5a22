//! The batch frameworks GPU platforms run under Kueue, as users write them: JobSet
//! (`jobset.x-k8s.io/v1alpha2`), Kubeflow's PyTorchJob (`kubeflow.org/v1`) and TrainJob
//! (`trainer.kubeflow.org/v1alpha1`, with its ClusterTrainingRuntime or TrainingRuntime),
//! KubeRay's RayJob and RayCluster (`ray.io/v1`). Each is read into the pod sets Kueue's
//! integration gives its Workload and the child Jobs its own controller runs them as.

use super::batch::{annotated_duration_of, CHECKPOINT_ANNOTATION, RUN_TIME_ANNOTATION};
use super::core::{Container, PodTemplate, ResourceList};
use super::meta::{opt_str, ObjectMeta};
use crate::manifest::error::InputError;
use crate::manifest::yaml::Node;
use crate::units::{Quantity, SimDuration};

/// Which framework an object belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FrameworkKind {
    JobSet,
    PyTorchJob,
    TrainJob,
    RayJob,
    RayCluster,
}

impl FrameworkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FrameworkKind::JobSet => "JobSet",
            FrameworkKind::PyTorchJob => "PyTorchJob",
            FrameworkKind::TrainJob => "TrainJob",
            FrameworkKind::RayJob => "RayJob",
            FrameworkKind::RayCluster => "RayCluster",
        }
    }
    /// The API group, for Kueue's Workload name hash.
    pub fn group(self) -> &'static str {
        match self {
            FrameworkKind::JobSet => "jobset.x-k8s.io",
            FrameworkKind::PyTorchJob => "kubeflow.org",
            FrameworkKind::TrainJob => "trainer.kubeflow.org",
            FrameworkKind::RayJob | FrameworkKind::RayCluster => "ray.io",
        }
    }
}

/// What a group of child Jobs is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Runs to completion; the framework succeeds when all such Jobs have.
    Worker,
    /// Runs until the framework ends (a Ray cluster's head and workers).
    Service,
    /// The RayJob's submitter: started once the cluster is ready; the RayJob ends with it.
    Submitter,
}

/// One pod set of the framework's Workload and the child Jobs that run it: `jobs` Jobs of
/// `parallelism` pods each (`count` = jobs × parallelism).
#[derive(Debug, Clone, PartialEq)]
pub struct ChildGroup {
    /// The pod set's name (lowercase, as Kueue names it).
    pub pod_set: String,
    pub jobs: u32,
    pub parallelism: u32,
    pub template: PodTemplate,
    pub role: Role,
    /// Pods named `<job>-<index>` (the training operator's `<job>-worker-0`) rather than
    /// `<job>-<random>`.
    pub indexed_names: bool,
    /// The child Jobs' names (`<jobset>-<replicatedJob>-<index>`, …); empty until the
    /// framework's own controller names them (a RayJob's cluster gets its name at start).
    pub job_prefix: String,
    /// The child Jobs are objects of their own (a JobSet's Jobs, a RayJob's submitter):
    /// `oc get jobs` lists them; the groups of a PyTorchJob or a RayCluster are pods only.
    pub visible_jobs: bool,
}

impl ChildGroup {
    pub fn count(&self) -> u32 {
        self.jobs.saturating_mul(self.parallelism)
    }
}

/// KubeRay's RayJob settings that change what runs.
#[derive(Debug, Clone, PartialEq)]
pub struct RaySettings {
    /// `shutdownAfterJobFinishes`: the cluster is deleted once the entrypoint finishes;
    /// otherwise it keeps running, its quota already released.
    pub shutdown_after_job_finishes: bool,
}

/// A framework object as written.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameworkObject {
    pub kind: FrameworkKind,
    pub meta: ObjectMeta,
    pub suspend: bool,
    pub groups: Vec<ChildGroup>,
    /// `gpuaas-sim.io/run-time`: how long the work runs once its pods are Ready (a RayJob's
    /// entrypoint); `None`: the Scenario's `jobRunTime`.
    pub run_time: Option<SimDuration>,
    pub checkpoint_interval: Option<SimDuration>,
    pub ray: Option<RaySettings>,
    /// A TrainJob's `runtimeRef`: (kind, name), resolved against the runtimes when applied.
    pub runtime_ref: Option<(String, String)>,
    /// A TrainJob's `trainer`: numNodes and resourcesPerNode, applied to the runtime's
    /// trainer step.
    pub trainer: Option<TrainerOverrides>,
    pub loc: crate::manifest::error::Loc,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrainerOverrides {
    pub num_nodes: Option<u32>,
    pub resources_per_node: Option<(ResourceList, ResourceList)>,
}

/// A ClusterTrainingRuntime or TrainingRuntime: the JobSet a TrainJob runs as.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingRuntime {
    pub cluster_scoped: bool,
    pub meta: ObjectMeta,
    /// `mlPolicy.numNodes` (default 1).
    pub num_nodes: u32,
    /// The JobSet template's replicated jobs; the trainer step is marked.
    pub replicated_jobs: Vec<ReplicatedJob>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReplicatedJob {
    pub name: String,
    pub replicas: u32,
    pub parallelism: u32,
    pub template: PodTemplate,
    /// Labelled `trainer.kubeflow.org/trainjob-ancestor-step: trainer`.
    pub trainer_step: bool,
}

const ANCESTOR_STEP_LABEL: &str = "trainer.kubeflow.org/trainjob-ancestor-step";

fn count_field(n: Option<&Node>, field: &str, default: u32) -> Result<u32, InputError> {
    let Some(n) = n else { return Ok(default) };
    let v = n.as_i64()?;
    if !(0..=10_000).contains(&v) {
        return Err(InputError::at(n.loc.clone(), format!("{field} {v} is out of range")).hint("use 0 to 10000"));
    }
    Ok(v as u32)
}

fn required<'n>(n: &'n Node, key: &str, what: &str, hint: &str) -> Result<&'n Node, InputError> {
    n.get(key)
        .ok_or_else(|| InputError::at(n.loc.clone(), format!("{what} has no {key}")).hint(hint.to_string()))
}

/// A JobSet-shaped list of replicated jobs (a JobSet's spec, a training runtime's template).
fn replicated_jobs(spec: &Node) -> Result<Vec<ReplicatedJob>, InputError> {
    let list = required(spec, "replicatedJobs", "the JobSet spec", "add replicatedJobs")?;
    let mut out: Vec<ReplicatedJob> = Vec::new();
    for rj in list.items()? {
        let name = opt_str(rj, "name")?
            .ok_or_else(|| InputError::at(rj.loc.clone(), "replicated job has no name").hint("name it"))?;
        if out.iter().any(|o| o.name == name) {
            return Err(
                InputError::at(rj.loc.clone(), format!("replicated job `{name}` is listed twice"))
                    .hint("give each replicated job its own name"),
            );
        }
        let job_spec = rj.path(&["template", "spec"]).ok_or_else(|| {
            InputError::at(rj.loc.clone(), "replicated job has no template.spec").hint("add the Job template")
        })?;
        let parallelism = count_field(job_spec.get("parallelism"), "parallelism", 1)?;
        let completions = count_field(job_spec.get("completions"), "completions", parallelism)?;
        let template = PodTemplate::decode(required(
            job_spec,
            "template",
            "the Job template",
            "add template.spec.containers",
        )?)?;
        let trainer_step = rj
            .path(&["template", "metadata", "labels", ANCESTOR_STEP_LABEL])
            .or_else(|| template_label(job_spec))
            .and_then(|n| n.as_str().ok())
            == Some("trainer");
        out.push(ReplicatedJob {
            name: name.to_lowercase(),
            replicas: count_field(rj.get("replicas"), "replicas", 1)?,
            parallelism: parallelism.min(completions),
            template,
            trainer_step,
        });
    }
    if out.is_empty() {
        return Err(InputError::at(list.loc.clone(), "no replicated jobs").hint("add at least one"));
    }
    Ok(out)
}

fn template_label(job_spec: &Node) -> Option<&Node> {
    job_spec.path(&["template", "metadata", "labels", ANCESTOR_STEP_LABEL])
}

fn jobset_groups(js_name: &str, rjs: &[ReplicatedJob]) -> Vec<ChildGroup> {
    rjs.iter()
        .map(|rj| ChildGroup {
            pod_set: rj.name.clone(),
            jobs: rj.replicas,
            parallelism: rj.parallelism,
            template: rj.template.clone(),
            role: Role::Worker,
            indexed_names: false,
            job_prefix: format!("{js_name}-{}", rj.name),
            visible_jobs: true,
        })
        .collect()
}

fn suspend_of(spec: &Node, path: &[&str]) -> Result<bool, InputError> {
    Ok(spec.path(path).map(|s| s.as_bool()).transpose()?.unwrap_or(false))
}

impl FrameworkObject {
    fn new(
        kind: FrameworkKind,
        doc: &Node,
        meta: ObjectMeta,
        suspend: bool,
        groups: Vec<ChildGroup>,
    ) -> Result<FrameworkObject, InputError> {
        let spec = doc.get("spec").unwrap_or(doc);
        Ok(FrameworkObject {
            kind,
            meta,
            suspend,
            groups,
            run_time: annotated_duration_of(doc, spec, RUN_TIME_ANNOTATION)?,
            checkpoint_interval: annotated_duration_of(doc, spec, CHECKPOINT_ANNOTATION)?,
            ray: None,
            runtime_ref: None,
            trainer: None,
            loc: doc.loc.clone(),
        })
    }

    /// `jobset.x-k8s.io/v1alpha2` JobSet: a pod set per replicated job, `replicas` child
    /// Jobs `<jobset>-<replicatedJob>-<index>` of `min(parallelism, completions)` pods.
    pub fn decode_jobset(doc: &Node) -> Result<FrameworkObject, InputError> {
        let meta = ObjectMeta::decode(doc)?;
        let spec = required(doc, "spec", "JobSet", "add spec.replicatedJobs")?;
        let groups = jobset_groups(&meta.name, &replicated_jobs(spec)?);
        let suspend = suspend_of(spec, &["suspend"])?;
        FrameworkObject::new(FrameworkKind::JobSet, doc, meta, suspend, groups)
    }

    /// `kubeflow.org/v1` PyTorchJob: pod sets `master` and `worker`, in that order, of
    /// their replicas; the training operator runs pods `<job>-master-0`, `<job>-worker-N`.
    pub fn decode_pytorchjob(doc: &Node) -> Result<FrameworkObject, InputError> {
        let meta = ObjectMeta::decode(doc)?;
        let spec = required(doc, "spec", "PyTorchJob", "add spec.pytorchReplicaSpecs")?;
        let replicas = required(
            spec,
            "pytorchReplicaSpecs",
            "the PyTorchJob spec",
            "add Master and Worker",
        )?;
        for (k, _) in replicas.entries()? {
            let k = k.as_str()?;
            if !matches!(k, "Master" | "Worker") {
                return Err(
                    InputError::at(replicas.loc.clone(), format!("unknown replica type `{k}`"))
                        .hint("a PyTorchJob has Master and Worker replicas"),
                );
            }
        }
        let mut groups = Vec::new();
        for ty in ["Master", "Worker"] {
            let Some(r) = replicas.get(ty) else { continue };
            let template = PodTemplate::decode(required(
                r,
                "template",
                "the replica spec",
                "add template.spec.containers",
            )?)?;
            let lower = ty.to_lowercase();
            groups.push(ChildGroup {
                pod_set: lower.clone(),
                jobs: 1,
                parallelism: count_field(r.get("replicas"), "replicas", 1)?,
                template,
                role: Role::Worker,
                indexed_names: true,
                job_prefix: format!("{}-{lower}", meta.name),
                visible_jobs: false,
            });
        }
        if groups.is_empty() {
            return Err(InputError::at(replicas.loc.clone(), "no replicas").hint("add Master and/or Worker"));
        }
        let suspend = suspend_of(spec, &["runPolicy", "suspend"])?;
        FrameworkObject::new(FrameworkKind::PyTorchJob, doc, meta, suspend, groups)
    }

    /// `ray.io/v1` RayCluster: `head` (one pod) and a pod set per worker group of
    /// `replicas × numOfHosts` pods; it runs until it is deleted or evicted.
    pub fn decode_raycluster(doc: &Node) -> Result<FrameworkObject, InputError> {
        let meta = ObjectMeta::decode(doc)?;
        let spec = required(doc, "spec", "RayCluster", "add spec.headGroupSpec")?;
        let groups = ray_groups(spec, &meta.name)?;
        let suspend = suspend_of(spec, &["suspend"])?;
        FrameworkObject::new(FrameworkKind::RayCluster, doc, meta, suspend, groups)
    }

    /// `ray.io/v1` RayJob: its cluster's pod sets and, in KubeRay's default `K8sJobMode`,
    /// the `submitter`; the RayJob ends when the entrypoint does (its run time).
    pub fn decode_rayjob(doc: &Node) -> Result<FrameworkObject, InputError> {
        let meta = ObjectMeta::decode(doc)?;
        let spec = required(doc, "spec", "RayJob", "add spec.rayClusterSpec and spec.entrypoint")?;
        if let Some(n) = spec.get("clusterSelector") {
            return Err(InputError::at(
                n.loc.clone(),
                "a RayJob on an existing cluster (clusterSelector) is not simulated",
            )
            .hint("give spec.rayClusterSpec instead"));
        }
        let cluster = required(spec, "rayClusterSpec", "the RayJob spec", "add rayClusterSpec")?;
        // The cluster's name is KubeRay's `<rayjob>-<random>`, made when it starts.
        let mut groups = ray_groups(cluster, "")?;
        let mode = opt_str(spec, "submissionMode")?.unwrap_or_else(|| "K8sJobMode".into());
        let head_image = groups
            .first()
            .and_then(|g| g.template.spec.containers.first())
            .map(|c| c.image.clone())
            .unwrap_or_default();
        match mode.as_str() {
            "K8sJobMode" => {
                let template = match spec.get("submitterPodTemplate") {
                    Some(t) => PodTemplate::decode(t)?,
                    None => default_submitter(&head_image),
                };
                groups.push(ChildGroup {
                    pod_set: "submitter".into(),
                    jobs: 1,
                    parallelism: 1,
                    template,
                    role: Role::Submitter,
                    indexed_names: false,
                    job_prefix: meta.name.clone(),
                    visible_jobs: true,
                });
            }
            "HTTPMode" | "InteractiveMode" | "SidecarMode" => {
                return Err(
                    InputError::at(spec.loc.clone(), format!("submissionMode {mode} is not simulated"))
                        .hint("use K8sJobMode (KubeRay's default)"),
                )
            }
            other => {
                return Err(
                    InputError::at(spec.loc.clone(), format!("unknown submissionMode `{other}`"))
                        .hint("K8sJobMode, HTTPMode, InteractiveMode or SidecarMode"),
                )
            }
        }
        let suspend = suspend_of(spec, &["suspend"])?;
        let mut o = FrameworkObject::new(FrameworkKind::RayJob, doc, meta, suspend, groups)?;
        o.ray = Some(RaySettings {
            shutdown_after_job_finishes: suspend_of(spec, &["shutdownAfterJobFinishes"])?,
        });
        Ok(o)
    }

    /// `trainer.kubeflow.org/v1alpha1` TrainJob: its runtime's JobSet, the trainer step
    /// run on `numNodes` nodes with `resourcesPerNode`; resolved when it is applied.
    pub fn decode_trainjob(doc: &Node) -> Result<FrameworkObject, InputError> {
        let meta = ObjectMeta::decode(doc)?;
        let spec = required(doc, "spec", "TrainJob", "add spec.runtimeRef")?;
        let r = required(spec, "runtimeRef", "the TrainJob spec", "name a ClusterTrainingRuntime")?;
        let name = opt_str(r, "name")?
            .ok_or_else(|| InputError::at(r.loc.clone(), "runtimeRef has no name").hint("name the runtime"))?;
        let kind = opt_str(r, "kind")?.unwrap_or_else(|| "ClusterTrainingRuntime".into());
        if !matches!(kind.as_str(), "ClusterTrainingRuntime" | "TrainingRuntime") {
            return Err(InputError::at(r.loc.clone(), format!("unknown runtime kind `{kind}`"))
                .hint("ClusterTrainingRuntime or TrainingRuntime"));
        }
        let mut trainer = TrainerOverrides::default();
        if let Some(t) = spec.get("trainer") {
            if let Some(n) = t.get("numNodes") {
                trainer.num_nodes = Some(count_field(Some(n), "numNodes", 1)?.max(1));
            }
            if let Some(res) = t.get("resourcesPerNode") {
                trainer.resources_per_node = Some((
                    ResourceList::decode(res.get("requests"))?,
                    ResourceList::decode(res.get("limits"))?,
                ));
            }
        }
        let suspend = suspend_of(spec, &["suspend"])?;
        let mut o = FrameworkObject::new(FrameworkKind::TrainJob, doc, meta, suspend, Vec::new())?;
        o.runtime_ref = Some((kind, name));
        o.trainer = Some(trainer);
        Ok(o)
    }

    /// A TrainJob's groups from its runtime, as Trainer builds the JobSet (named after the
    /// TrainJob) and Kueue derives the pod sets from it.
    pub fn resolve_runtime(&mut self, runtime: &TrainingRuntime) {
        let trainer = self.trainer.clone().unwrap_or_default();
        let num_nodes = trainer.num_nodes.unwrap_or(runtime.num_nodes).max(1);
        let rjs: Vec<ReplicatedJob> = runtime
            .replicated_jobs
            .iter()
            .map(|rj| {
                let mut rj = rj.clone();
                if rj.trainer_step {
                    rj.parallelism = num_nodes;
                    if let Some((requests, limits)) = &trainer.resources_per_node {
                        for c in rj.template.spec.containers.iter_mut().filter(|c| c.name == "node") {
                            c.requests = requests.clone();
                            c.limits = limits.clone();
                        }
                    }
                }
                rj
            })
            .collect();
        self.groups = jobset_groups(&self.meta.name, &rjs);
    }
}

/// KubeRay's default submitter pod: one `ray-job-submitter` container on the head's image,
/// 500m CPU / 200Mi requested, 1 CPU / 1Gi limits.
fn default_submitter(image: &str) -> PodTemplate {
    let q = |s: &str| Quantity::parse(s).unwrap_or_default();
    PodTemplate {
        spec: super::core::PodSpec {
            containers: vec![Container {
                name: "ray-job-submitter".into(),
                image: image.to_string(),
                args: Vec::new(),
                requests: ResourceList([("cpu".to_string(), q("500m")), ("memory".to_string(), q("200Mi"))].into()),
                limits: ResourceList([("cpu".to_string(), q("1")), ("memory".to_string(), q("1Gi"))].into()),
            }],
            termination_grace_seconds: super::core::DEFAULT_GRACE_SECONDS,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// A Ray cluster spec's groups: `head`, then each worker group.
fn ray_groups(spec: &Node, cluster: &str) -> Result<Vec<ChildGroup>, InputError> {
    let head = required(
        spec,
        "headGroupSpec",
        "the Ray cluster spec",
        "add headGroupSpec.template",
    )?;
    let head_template = PodTemplate::decode(required(
        head,
        "template",
        "headGroupSpec",
        "add template.spec.containers",
    )?)?;
    let mut groups = vec![ChildGroup {
        pod_set: "head".into(),
        jobs: 1,
        parallelism: 1,
        template: head_template,
        role: Role::Service,
        indexed_names: false,
        job_prefix: format!("{cluster}-head"),
        visible_jobs: false,
    }];
    for g in spec
        .get("workerGroupSpecs")
        .map(|w| w.items())
        .transpose()?
        .unwrap_or(&[])
    {
        let name = opt_str(g, "groupName")?
            .ok_or_else(|| InputError::at(g.loc.clone(), "worker group has no groupName").hint("name it"))?;
        let lower = name.to_lowercase();
        if lower == "head" || groups.iter().any(|x| x.pod_set == lower) {
            return Err(
                InputError::at(g.loc.clone(), format!("worker group name `{name}` is taken"))
                    .hint("give each worker group its own name, not head"),
            );
        }
        let replicas = count_field(g.get("replicas"), "replicas", 1)?;
        let hosts = count_field(g.get("numOfHosts"), "numOfHosts", 1)?.max(1);
        groups.push(ChildGroup {
            pod_set: lower.clone(),
            jobs: 1,
            parallelism: replicas.saturating_mul(hosts),
            template: PodTemplate::decode(required(
                g,
                "template",
                "the worker group",
                "add template.spec.containers",
            )?)?,
            role: Role::Service,
            indexed_names: false,
            job_prefix: format!("{cluster}-{lower}-worker"),
            visible_jobs: false,
        });
    }
    Ok(groups)
}

impl TrainingRuntime {
    pub fn decode(doc: &Node, cluster_scoped: bool) -> Result<TrainingRuntime, InputError> {
        let meta = ObjectMeta::decode(doc)?;
        let spec = required(
            doc,
            "spec",
            "the training runtime",
            "add spec.template.spec.replicatedJobs",
        )?;
        let js = spec.path(&["template", "spec"]).ok_or_else(|| {
            InputError::at(spec.loc.clone(), "the training runtime has no template.spec")
                .hint("add the JobSet template")
        })?;
        Ok(TrainingRuntime {
            cluster_scoped,
            num_nodes: count_field(spec.path(&["mlPolicy", "numNodes"]), "numNodes", 1)?.max(1),
            replicated_jobs: replicated_jobs(js)?,
            meta,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Node {
        let file: std::sync::Arc<str> = std::sync::Arc::from("t");
        let docs = crate::manifest::yaml::parse_documents(&file, text).expect("yaml");
        docs.into_iter().next().expect("a document").root
    }

    /// Each framework's pod sets as Kueue's integration names and counts them.
    #[test]
    fn pod_sets_as_kueue_derives_them() {
        let c = "{spec: {containers: [{name: c, image: i}]}}";
        let cases = [
            (
                FrameworkObject::decode_jobset(&doc(&format!(
                    "kind: JobSet\nmetadata: {{name: js}}\nspec:\n  replicatedJobs:\n    - {{name: Driver, template: {{spec: {{template: {c}}}}}}}\n    - {{name: workers, replicas: 2, template: {{spec: {{parallelism: 4, completions: 4, template: {c}}}}}}}\n"
                ))),
                vec![("driver", 1), ("workers", 8)],
            ),
            (
                FrameworkObject::decode_pytorchjob(&doc(&format!(
                    "kind: PyTorchJob\nmetadata: {{name: pt}}\nspec:\n  pytorchReplicaSpecs:\n    Worker: {{replicas: 3, template: {c}}}\n    Master: {{replicas: 1, template: {c}}}\n"
                ))),
                vec![("master", 1), ("worker", 3)],
            ),
            (
                FrameworkObject::decode_raycluster(&doc(&format!(
                    "kind: RayCluster\nmetadata: {{name: rc}}\nspec:\n  headGroupSpec: {{template: {c}}}\n  workerGroupSpecs:\n    - {{groupName: GPU, replicas: 2, numOfHosts: 2, template: {c}}}\n"
                ))),
                vec![("head", 1), ("gpu", 4)],
            ),
            (
                FrameworkObject::decode_rayjob(&doc(&format!(
                    "kind: RayJob\nmetadata: {{name: rj}}\nspec:\n  entrypoint: python tune.py\n  rayClusterSpec:\n    headGroupSpec: {{template: {c}}}\n    workerGroupSpecs: [{{groupName: gpu, replicas: 2, template: {c}}}]\n"
                ))),
                vec![("head", 1), ("gpu", 2), ("submitter", 1)],
            ),
        ];
        for (decoded, want) in cases {
            let o = decoded.expect("valid");
            let got: Vec<(String, u32)> = o.groups.iter().map(|g| (g.pod_set.clone(), g.count())).collect();
            let want: Vec<(String, u32)> = want.into_iter().map(|(n, c)| (n.to_string(), c)).collect();
            assert_eq!(got, want, "{}", o.kind.as_str());
        }
    }

    /// A TrainJob runs its runtime's JobSet with the trainer step on `numNodes` nodes.
    #[test]
    fn a_trainjob_takes_its_runtimes_jobset_with_num_nodes() {
        let runtime = TrainingRuntime::decode(
            &doc("kind: ClusterTrainingRuntime\nmetadata: {name: torch-distributed}\nspec:\n  mlPolicy: {numNodes: 1}\n  template:\n    spec:\n      replicatedJobs:\n        - name: node\n          template:\n            metadata: {labels: {trainer.kubeflow.org/trainjob-ancestor-step: trainer}}\n            spec: {template: {spec: {containers: [{name: node, image: i}]}}}\n"),
            true,
        )
        .expect("valid");
        let mut tj = FrameworkObject::decode_trainjob(&doc(
            "kind: TrainJob\nmetadata: {name: tj}\nspec:\n  runtimeRef: {name: torch-distributed}\n  trainer: {numNodes: 4, resourcesPerNode: {requests: {nvidia.com/gpu: \"8\"}}}\n",
        ))
        .expect("valid");
        tj.resolve_runtime(&runtime);
        let g = &tj.groups[0];
        assert_eq!(
            (g.pod_set.as_str(), g.count(), g.job_prefix.as_str()),
            ("node", 4, "tj-node")
        );
        assert_eq!(g.template.spec.requests().gpus(), 8);
    }
}
