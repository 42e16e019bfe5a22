//! The kubelet's share: how long a bound pod takes to become Ready (model download or
//! ModelCar pull, container start, weight load, engine start-up, readiness probe).

use crate::catalog::{Catalog, ModelCard};
use crate::engine::world::{Node, Pod, StartPhase};
use crate::serving::args::VllmArgs;
use crate::serving::memory::{plan, MemoryPlan, StartupFailure};
use crate::units::SimDuration;

/// One start-up step and the phase the pod shows while it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub name: String,
    pub phase: StartPhase,
    pub duration: SimDuration,
}

fn secs(s: f64) -> SimDuration {
    SimDuration::from_secs_f64(s)
}

/// A pod's start-up as the kubelet will run it.
#[derive(Debug, Clone, Default)]
pub struct Startup {
    pub steps: Vec<Step>,
    /// Index of the first step after the init containers (where a restart resumes).
    pub restart_from: usize,
    /// The engine's memory when it starts, or why it will not.
    pub memory: Option<MemoryPlan>,
    pub failure: Option<StartupFailure>,
}

/// The model card a pod serves: the `gpuaas-sim.io/model` annotation, else the storage
/// URI of its storage initializer, ModelCar or the KServe source annotation.
pub fn model_of<'a>(catalog: &'a Catalog, pod: &Pod) -> Option<&'a ModelCard> {
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

pub const MODEL_ANNOTATION: &str = "gpuaas-sim.io/model";

/// Plans a pod's start-up on `node`. Pods that serve a known model pay for getting the
/// weights onto the node and into GPU memory, and start only if vLLM's memory check
/// passes; other pods only start their containers.
pub fn plan_startup(catalog: &Catalog, node: &Node, pod: &Pod) -> Startup {
    let c = &catalog.load;
    let mut steps = Vec::new();
    let model = model_of(catalog, pod);
    for ic in &pod.spec.init_containers {
        let Some(card) = model else { break };
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
            });
        } else if ic.name == "modelcar-init" {
            let cached = node.image_cache.contains(&ic.image);
            steps.push(Step {
                name: if cached {
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
            });
        }
    }
    let restart_from = steps.len();
    steps.push(Step {
        name: "container start".into(),
        phase: StartPhase::Creating,
        duration: secs(c.container_start_s),
    });
    let Some(card) = model else {
        return Startup {
            steps,
            restart_from,
            memory: None,
            failure: None,
        };
    };
    let gpus = pod
        .requests
        .0
        .iter()
        .filter(|(r, _)| r.ends_with("/gpu"))
        .map(|(_, q)| q.value_ceil())
        .sum::<i128>()
        .max(1) as u32;
    // Tensor-parallel ranks load their shards in parallel.
    steps.push(Step {
        name: format!("load weights into {gpus} GPU(s)"),
        phase: StartPhase::Starting,
        duration: secs(card.weights_gb / (c.gpu_load_gb_s * gpus as f64)),
    });
    let engine_args = pod
        .spec
        .engine_container()
        .and_then(|ct| VllmArgs::parse(&ct.args).ok())
        .unwrap_or_default();
    let gpu = node
        .instance_type
        .as_ref()
        .and_then(|i| catalog.instance(i))
        .and_then(|i| catalog.gpu(&i.gpu));
    let outcome = match (card.architecture.as_ref(), gpu) {
        (Some(arch), Some(gpu)) => Some(plan(card, arch, gpu, gpus, &engine_args, &catalog.vllm)),
        _ => None,
    };
    let (memory, failure) = match outcome {
        Some(Ok(m)) => (Some(m), None),
        Some(Err(f)) => (None, Some(f)),
        None => (None, None),
    };
    if failure.is_some() {
        steps.push(Step {
            name: "memory profiling (fails)".into(),
            phase: StartPhase::Starting,
            duration: secs(catalog.vllm.profile_run_s),
        });
        return Startup {
            steps,
            restart_from,
            memory,
            failure,
        };
    }
    let eager = engine_args.enforce_eager;
    steps.push(Step {
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
    });
    steps.push(Step {
        name: "readiness probe".into(),
        phase: StartPhase::Starting,
        duration: secs(c.readiness_delay_s),
    });
    Startup {
        steps,
        restart_from,
        memory,
        failure,
    }
}
