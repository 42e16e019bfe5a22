//! The kubelet's share: how long a bound pod takes to become Ready (model download or
//! ModelCar pull, container start, weight load, engine start-up, readiness probe).

use crate::catalog::{Catalog, LoadConstants, ModelCard};
use crate::engine::action::{Action, PodWrite};
use crate::engine::change::Change;
use crate::engine::components::{Component, Cx, Timer};
use crate::serving::args::VllmArgs;
use crate::serving::memory::{plan, MemoryPlan, StartupFailure};
use crate::store::{ColdStart, Node, Pod, PodId, StartPhase};
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

pub(crate) const MODEL_ANNOTATION: &str = "gpuaas-sim.io/model";

/// Plans a pod's start-up on `node`. Pods that serve a known model pay for getting the
/// weights onto the node and into GPU memory, and start only if vLLM's memory check
/// passes; other pods only start their containers.
pub(crate) fn plan_startup(catalog: &Catalog, node: &Node, pod: &Pod) -> Startup {
    let c = &catalog.load;
    let model = model_of(catalog, pod);
    let mut steps = model.map(|card| init_steps(c, node, pod, card)).unwrap_or_default();
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
    let gpus = pod.requests.gpus().max(1) as u32;
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
    let (memory, failure) = memory_check(catalog, node, card, gpus, &engine_args);
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
    steps.push(engine_start(c, engine_args.enforce_eager));
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

/// The kubelet's crash-loop back-off: 10 s, doubling, at most 5 minutes.
pub(crate) fn crash_backoff(restarts: u32) -> SimDuration {
    SimDuration::from_secs((10u64 << restarts.saturating_sub(1).min(5)).min(300))
}

/// What the kubelet waits for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum KubeletTimer {
    /// Start-up step `step` of the pod is done.
    Step { pod: PodId, step: usize },
    /// A crash-looping pod's back-off is over.
    Restart(PodId),
    /// A terminating pod's grace period is over.
    Gone(PodId),
    /// A Job's pod has run its course and exits with success.
    RunDone(PodId),
}

/// The kubelets of every node: they start bound pods (running each start-up step for its
/// time), restart crashed engines after the back-off, remove terminated pods after their
/// grace period and end a Job's pods when their work is done.
#[derive(Debug, Default)]
pub(crate) struct Kubelet {
    /// Every model-serving pod's start-up plan, kept after the pod is gone, for the report.
    pub(crate) cold_starts: Vec<ColdStart>,
}

impl Component for Kubelet {
    fn on_change(&mut self, cx: &mut Cx, change: &Change) -> Vec<Action> {
        match change {
            Change::PodBound(p) => self.start(cx, *p),
            Change::PodTerminating(p) => {
                if let Some((_, grace)) = cx.store.pods.get(*p).and_then(|p| p.deletion) {
                    cx.after(grace, Timer::Kubelet(KubeletTimer::Gone(*p)));
                }
                Vec::new()
            }
            Change::PodReady(p) => {
                // A Job's pod exits once it has run what is left of the Job's run time.
                let job = cx.store.pods.get(*p).and_then(|p| p.owner_job);
                if let Some(j) = job.and_then(|j| cx.store.jobs.get(j)) {
                    let left = SimDuration(j.run_time.0.saturating_sub(j.saved.0));
                    cx.after(left, Timer::Kubelet(KubeletTimer::RunDone(*p)));
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }
}

impl Kubelet {
    /// A pod was bound here: plan its start-up and run the first step.
    fn start(&mut self, cx: &mut Cx, id: PodId) -> Vec<Action> {
        let store = cx.store;
        let Some(pod) = store.pods.get(id) else {
            return Vec::new();
        };
        let Some(node) = pod.node.as_ref().and_then(|n| store.nodes.get(n)) else {
            return Vec::new();
        };
        let plan = plan_startup(&store.catalog, node, pod);
        if plan.memory.is_some() || plan.failure.is_some() {
            self.cold_starts.push(ColdStart {
                pod: pod.name.clone(),
                namespace: pod.namespace.clone(),
                node: node.name.clone(),
                bound: cx.now(),
                steps: plan.steps.clone(),
                failure: plan.failure.as_ref().map(|f| f.message.clone()),
            });
        }
        let restarts = pod.crash.restarts;
        let first = plan.steps.first().map(|s| s.duration);
        let mut actions = Vec::new();
        match first {
            Some(d) => cx.after(d, Timer::Kubelet(KubeletTimer::Step { pod: id, step: 0 })),
            None => actions = step_done(cx, id, &plan, restarts, 0),
        }
        actions.insert(0, Action::Pod(id, PodWrite::Start(Box::new(plan))));
        actions
    }

    pub(crate) fn on_timer(&mut self, cx: &mut Cx, timer: KubeletTimer) -> Vec<Action> {
        let store = cx.store;
        match timer {
            KubeletTimer::Step { pod, step } => {
                let Some(p) = store.pods.get(pod).filter(|p| p.deletion.is_none()) else {
                    return Vec::new();
                };
                let plan = Startup {
                    steps: p.startup.clone(),
                    restart_from: p.crash.restart_from,
                    memory: None,
                    failure: p.crash.failure.clone(),
                };
                step_done(cx, pod, &plan, p.crash.restarts, step)
            }
            KubeletTimer::Restart(pod) => {
                let Some(p) = store.pods.get(pod) else {
                    return Vec::new();
                };
                if p.deletion.is_some() || !p.crash.backing_off {
                    return Vec::new();
                }
                // The container runs its start-up again from the first step after the
                // init containers.
                let from = p.crash.restart_from;
                match p.startup.get(from) {
                    Some(s) => {
                        cx.after(s.duration, Timer::Kubelet(KubeletTimer::Step { pod, step: from }));
                        vec![Action::Pod(pod, PodWrite::Restart { phase: Some(s.phase) })]
                    }
                    None => {
                        let plan = Startup {
                            steps: p.startup.clone(),
                            restart_from: from,
                            memory: None,
                            failure: p.crash.failure.clone(),
                        };
                        let restarts = p.crash.restarts;
                        let mut actions = vec![Action::Pod(pod, PodWrite::Restart { phase: None })];
                        actions.extend(step_done(cx, pod, &plan, restarts, from));
                        actions
                    }
                }
            }
            KubeletTimer::Gone(pod) => match store.pods.get(pod) {
                Some(p) if p.deletion.is_some() => vec![Action::Pod(pod, PodWrite::Remove)],
                _ => Vec::new(),
            },
            KubeletTimer::RunDone(pod) => match store.pods.get(pod) {
                Some(p) if p.deletion.is_none() && p.is_ready() => vec![Action::Pod(pod, PodWrite::Succeeded)],
                _ => Vec::new(),
            },
        }
    }
}

/// Start-up step `step` is done: the next one starts, or the engine fails with vLLM's
/// error (restarted after the back-off), or the pod is Ready.
fn step_done(cx: &mut Cx, pod: PodId, plan: &Startup, restarts: u32, step: usize) -> Vec<Action> {
    let next = step + 1;
    if let Some(s) = plan.steps.get(next) {
        cx.after(s.duration, Timer::Kubelet(KubeletTimer::Step { pod, step: next }));
        return vec![Action::Pod(pod, PodWrite::Phase(s.phase))];
    }
    if let Some(failure) = &plan.failure {
        let backoff = crash_backoff(restarts + 1);
        cx.after(backoff, Timer::Kubelet(KubeletTimer::Restart(pod)));
        return vec![Action::Pod(
            pod,
            PodWrite::Crash {
                reason: failure.reason,
                message: failure.message.clone(),
                backoff,
            },
        )];
    }
    vec![Action::Pod(pod, PodWrite::Ready)]
}
