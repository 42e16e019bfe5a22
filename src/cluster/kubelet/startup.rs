//! A bound pod's start-up as the kubelet will run it: model download or ModelCar pull,
//! container start, weight load, engine start-up, readiness probe — each step with its
//! time from the catalog's load constants, and vLLM's memory check on the node's GPU.

use crate::catalog::{Catalog, LoadConstants, ModelCard, MODEL_ANNOTATION};
use crate::serving::args::VllmArgs;
use crate::serving::memory::{plan, MemoryPlan, StartupFailure};
use crate::store::{Node, Pod, StartPhase};
use crate::units::SimDuration;

/// One start-up step and the phase the pod shows while it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub name: String,
    pub phase: StartPhase,
    pub duration: SimDuration,
    pub kind: StepKind,
}

/// What a step needs from outside the node, which faults can deny it.
#[derive(Debug, Clone, PartialEq)]
pub enum StepKind {
    /// The storage initializer downloads the weights from model storage.
    Download,
    /// The ModelCar image is pulled from the registry (`image`), unless cached.
    PullModelCar { image: String },
    /// The containers' images are pulled if the node lacks them, and they start.
    ContainerStart { images: Vec<String> },
    /// Work on the node alone (loading, start-up, the probe).
    Local,
}

fn secs(s: f64) -> SimDuration {
    SimDuration::from_secs_f64(s)
}

/// A pod's start-up as the kubelet will run it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Startup {
    pub steps: Vec<Step>,
    /// Index of the first step after the init containers (where a restart resumes).
    pub restart_from: usize,
    /// The engine's memory when it starts, or why it will not.
    pub memory: Option<MemoryPlan>,
    pub failure: Option<StartupFailure>,
}

/// The model card a pod serves: the `gpuaas-sim.io/model` annotation, else the storage
/// URI of its storage initializer, ModelCar or the KServe source annotation.
pub(crate) fn model_of<'a>(catalog: &'a Catalog, pod: &Pod) -> Option<&'a ModelCard> {
    if let Some(name) = pod.annotations.get(MODEL_ANNOTATION) {
        return catalog.model(name);
    }
    for ic in &pod.spec.init_containers {
        if ic.name == "storage-initializer" {
            return catalog.match_model(ic.args.first().map(String::as_str).unwrap_or(""));
        }
        if ic.name == "modelcar-init" {
            return catalog.match_model(&ic.image);
        }
    }
    pod.annotations
        .get(crate::controllers::inferenceservice::SOURCE_URI_ANNOTATION)
        .and_then(|u| catalog.match_model(u))
}

/// Plans a pod's start-up on `node`. Pods that serve a known model pay for getting the
/// weights onto the node and into GPU memory, and start only if vLLM's memory check
/// passes; other pods only start their containers.
pub(crate) fn plan_startup(catalog: &Catalog, node: &Node, pod: &Pod) -> Startup {
    let c = &catalog.load;
    let model = model_of(catalog, pod);
    let mut steps = model.map(|card| init_steps(c, node, pod, card)).unwrap_or_default();
    let restart_from = steps.len();
    let images = pod
        .spec
        .containers
        .iter()
        .map(|c| c.image.clone())
        .filter(|i| !i.is_empty() && !node.image_cache.contains(i) && !c.prepulled(i))
        .collect();
    steps.push(Step {
        name: "container start".into(),
        phase: StartPhase::Creating,
        duration: secs(c.container_start_s),
        kind: StepKind::ContainerStart { images },
    });
    let Some(card) = model else {
        return Startup {
            steps,
            restart_from,
            memory: None,
            failure: None,
        };
    };
    let gpus = pod.requests.gpus().max(1) as u32;
    // Tensor-parallel ranks load their shards in parallel.
    steps.push(Step {
        name: format!("load weights into {gpus} GPU(s)"),
        phase: StartPhase::Starting,
        duration: secs(card.weights_gb / (c.gpu_load_gb_s * gpus as f64)),
        kind: StepKind::Local,
    });
    let engine_args = pod
        .spec
        .engine_container()
        .and_then(|ct| VllmArgs::parse(&ct.args).ok())
        .unwrap_or_default();
    let (memory, failure) = memory_check(catalog, node, card, gpus, &engine_args);
    if failure.is_some() {
        steps.push(Step {
            name: "memory profiling (fails)".into(),
            phase: StartPhase::Starting,
            duration: secs(catalog.vllm.profile_run_s),
            kind: StepKind::Local,
        });
        return Startup {
            steps,
            restart_from,
            memory,
            failure,
        };
    }
    steps.push(engine_start(c, engine_args.enforce_eager));
    steps.push(Step {
        name: "readiness probe".into(),
        phase: StartPhase::Starting,
        duration: secs(c.readiness_delay_s),
        kind: StepKind::Local,
    });
    Startup {
        steps,
        restart_from,
        memory,
        failure,
    }
}

/// The engine's start: eager mode skips compilation and CUDA graph capture.
fn engine_start(c: &LoadConstants, eager: bool) -> Step {
    Step {
        name: if eager {
            "engine start (eager)".into()
        } else {
            "engine start (compile + CUDA graphs)".into()
        },
        phase: StartPhase::Starting,
        duration: secs(if eager {
            c.engine_startup_eager_s
        } else {
            c.engine_startup_s
        }),
        kind: StepKind::Local,
    }
}

/// The init containers' steps for a pod serving `card`: downloading the weights (storage
/// initializer) or pulling the ModelCar image, unless the node has it cached.
fn init_steps(c: &LoadConstants, node: &Node, pod: &Pod, card: &ModelCard) -> Vec<Step> {
    let mut steps = Vec::new();
    for ic in &pod.spec.init_containers {
        if ic.name == "storage-initializer" {
            let uri = ic.args.first().cloned().unwrap_or_default();
            let rate = if uri.starts_with("pvc://") {
                c.pvc_read_mb_s
            } else {
                c.s3_download_mb_s
            };
            steps.push(Step {
                name: format!(
                    "download {:.1} GB ({})",
                    card.weights_gb,
                    uri.split("://").next().unwrap_or("s3")
                ),
                phase: StartPhase::Init,
                duration: secs(card.weights_gb * 1000.0 / rate),
                kind: StepKind::Download,
            });
        } else if ic.name == "modelcar-init" {
            let prepulled = c.prepulled(&ic.image);
            let cached = prepulled || node.image_cache.contains(&ic.image);
            steps.push(Step {
                name: if prepulled {
                    "modelcar image pre-pulled on node".into()
                } else if cached {
                    "modelcar image cached on node".into()
                } else {
                    format!("pull modelcar image {:.1} GB", card.weights_gb)
                },
                phase: StartPhase::Init,
                duration: if cached {
                    SimDuration::ZERO
                } else {
                    secs(card.weights_gb * 1000.0 / c.oci_pull_mb_s)
                },
                kind: if cached {
                    StepKind::Local
                } else {
                    StepKind::PullModelCar {
                        image: ic.image.clone(),
                    }
                },
            });
        }
    }
    steps
}

/// vLLM's memory check on the node's GPU: the plan it starts with, or why it fails;
/// neither when the model's architecture or the node's GPU is unknown.
fn memory_check(
    catalog: &Catalog,
    node: &Node,
    card: &ModelCard,
    gpus: u32,
    engine_args: &VllmArgs,
) -> (Option<MemoryPlan>, Option<StartupFailure>) {
    let gpu = node
        .instance_type
        .as_ref()
        .and_then(|i| catalog.instance(i))
        .and_then(|i| catalog.gpu(&i.gpu));
    let outcome = match (card.architecture.as_ref(), gpu) {
        (Some(arch), Some(gpu)) => Some(plan(card, arch, gpu, gpus, engine_args, &catalog.vllm)),
        _ => None,
    };
    match outcome {
        Some(Ok(m)) => (Some(m), None),
        Some(Err(f)) => (None, Some(f)),
        None => (None, None),
    }
}
