//! The kubelets of every node: they start bound pods (running each start-up step for its
//! time), restart crashed containers after the back-off, remove terminated pods after
//! their grace period and end a Job's pods when their work is done. What a kubelet meets
//! outside its node — model storage, the image registry, a failing GPU — can hold a step
//! up or fail it, as the faults leave those. A kubelet that is down does nothing: what
//! falls due meanwhile waits until it is back, and is lost with its instance.

mod startup;

pub(crate) use startup::{model_of, plan_startup, Startup};
pub(crate) use startup::{Step, StepKind};

use crate::engine::action::{Action, FaultWrite, PodWrite};
use crate::engine::change::Change;
use crate::engine::components::{Component, Cx, Timer};
use crate::store::{ColdStart, PodId, StartPhase};
use crate::units::SimDuration;
use std::collections::{BTreeMap, BTreeSet};

/// The kubelet's back-off between restarts of a failed container (and between image
/// pulls): 10 s, doubling, at most 5 minutes.
pub(crate) fn crash_backoff(restarts: u32) -> SimDuration {
    SimDuration::from_secs((10u64 << restarts.saturating_sub(1).min(5)).min(300))
}

/// How long KServe's storage initializer tries an unreachable model store before it
/// exits with an error (its S3 client's connect timeout and retries; an estimate).
pub(crate) const STORAGE_TIMEOUT: SimDuration = SimDuration(60_000);

/// What the kubelet waits for. `gen` is the pod's restart count when the timer was set:
/// a crash in between makes it stale.
#[derive(Debug, Clone, Copy)]
pub(crate) enum KubeletTimer {
    /// A pod bound while the kubelet was down starts now.
    Start(PodId),
    /// Start-up step `step` of the pod is done.
    Step { pod: PodId, step: usize, gen: u32 },
    /// Step `step` is tried again after a failed pull or storage initializer.
    Retry { pod: PodId, step: usize, gen: u32 },
    /// The storage initializer gives up on unreachable model storage.
    InitFailed { pod: PodId, gen: u32 },
    /// A crash-looping pod's back-off is over.
    Restart(PodId),
    /// A terminating pod's grace period is over.
    Gone(PodId),
    /// A Job's pod has run its course and exits with success.
    RunDone(PodId),
}

impl KubeletTimer {
    fn pod(&self) -> PodId {
        match *self {
            KubeletTimer::Start(p)
            | KubeletTimer::Restart(p)
            | KubeletTimer::Gone(p)
            | KubeletTimer::RunDone(p)
            | KubeletTimer::Step { pod: p, .. }
            | KubeletTimer::Retry { pod: p, .. }
            | KubeletTimer::InitFailed { pod: p, .. } => p,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Kubelet {
    /// Every model-serving pod's start-up plan, kept after the pod is gone, for the report.
    pub(crate) cold_starts: Vec<ColdStart>,
    /// Timers that fell due while their node's kubelet was down, by node.
    frozen: BTreeMap<String, Vec<KubeletTimer>>,
    /// Failed pulls or storage-initializer runs of a pod so far (its back-off).
    attempts: BTreeMap<PodId, u32>,
    /// Pods whose images are on their node now.
    pulled: BTreeSet<PodId>,
}

impl Component for Kubelet {
    fn on_change(&mut self, cx: &mut Cx, change: &Change) -> Vec<Action> {
        match change {
            Change::PodBound(p) => {
                let down = self.node_down(cx, *p);
                match down {
                    Some(node) => {
                        self.frozen.entry(node).or_default().push(KubeletTimer::Start(*p));
                        Vec::new()
                    }
                    None => self.start(cx, *p),
                }
            }
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
            Change::NodeHeartbeat { node, up: true } => self.back(cx, node),
            Change::GpusFailed { pods, message } => self.devices_failed(cx, pods, message),
            _ => Vec::new(),
        }
    }
}

impl Kubelet {
    /// The pod's node, when its kubelet is down but its instance still runs (the timer
    /// waits); `None` when the kubelet runs, or when the pod or its node is gone.
    fn node_down(&self, cx: &Cx, pod: PodId) -> Option<String> {
        let node = cx.store.pods.get(pod)?.node.as_ref()?;
        let n = cx.store.nodes.get(node)?;
        (!n.kubelet_up && n.instance_running).then(|| node.clone())
    }

    /// Whether the pod's containers can act: its kubelet runs and its instance exists.
    fn alive(cx: &Cx, pod: PodId) -> bool {
        let node = cx.store.pods.get(pod).and_then(|p| p.node.as_ref());
        node.and_then(|n| cx.store.nodes.get(n)).is_some_and(|n| n.kubelet_up)
    }

    /// The kubelet posts status again: it reports its pods (Ready again where they
    /// were) and does what fell due while it was down.
    fn back(&mut self, cx: &mut Cx, node: &str) -> Vec<Action> {
        let mut actions: Vec<Action> = cx
            .store
            .nodes
            .get(node)
            .map(|n| {
                n.pods
                    .iter()
                    .filter(|p| cx.store.pods.get(**p).is_some_and(|p| p.node_not_ready))
                    .map(|p| Action::Pod(*p, PodWrite::NodeReadyAgain))
                    .collect()
            })
            .unwrap_or_default();
        for timer in self.frozen.remove(node).unwrap_or_default() {
            actions.extend(self.on_timer(cx, timer));
        }
        actions
    }

    /// A pod was bound here: plan its start-up and run the first step.
    fn start(&mut self, cx: &mut Cx, id: PodId) -> Vec<Action> {
        let store = cx.store;
        let Some(pod) = store.pods.get(id).filter(|p| p.deletion.is_none()) else {
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
        let gen = pod.crash.restarts;
        let steps = plan.steps.clone();
        let mut actions = vec![Action::Pod(id, PodWrite::Start(Box::new(plan)))];
        actions.extend(self.begin(cx, id, &steps, 0, gen));
        actions
    }

    /// Starts step `idx`: it runs for its time, unless the outside world holds it up.
    fn begin(&mut self, cx: &mut Cx, pod: PodId, steps: &[Step], idx: usize, gen: u32) -> Vec<Action> {
        let Some(step) = steps.get(idx) else {
            return Vec::new();
        };
        let env = &cx.store.environment;
        let mut actions = Vec::new();
        let mut duration = step.duration;
        match &step.kind {
            StepKind::Download => {
                if let Some(fault) = env.storage_down {
                    cx.after(STORAGE_TIMEOUT, Timer::Kubelet(KubeletTimer::InitFailed { pod, gen }));
                    return vec![Action::Fault(FaultWrite::Struck { fault, pod })];
                }
                if let Some((factor, fault)) = env.storage_slow {
                    duration = SimDuration::from_secs_f64(duration.as_secs_f64() * factor);
                    actions.push(Action::Fault(FaultWrite::Struck { fault, pod }));
                }
            }
            StepKind::PullModelCar { image } => {
                if let Some(fail) = self.pull(cx, pod, step, idx, gen, std::slice::from_ref(image)) {
                    return fail;
                }
            }
            StepKind::ContainerStart { images } if !self.pulled.contains(&pod) => {
                if let Some(fail) = self.pull(cx, pod, step, idx, gen, images) {
                    return fail;
                }
                self.pulled.insert(pod);
            }
            _ => {}
        }
        if self.attempts.remove(&pod).is_some() {
            actions.push(Action::Pod(
                pod,
                PodWrite::Waiting {
                    status: None,
                    reason: "Started",
                    message: format!("{} goes on after earlier failures", step.name),
                },
            ));
        }
        cx.after(duration, Timer::Kubelet(KubeletTimer::Step { pod, step: idx, gen }));
        actions
    }

    /// Pulls `images`; if the registry fails one, the pod waits in ErrImagePull, then
    /// ImagePullBackOff, and the step is tried again after the back-off.
    fn pull(
        &mut self,
        cx: &mut Cx,
        pod: PodId,
        step: &Step,
        idx: usize,
        gen: u32,
        images: &[String],
    ) -> Option<Vec<Action>> {
        let env = &cx.store.environment;
        let (image, fault) = images.iter().find_map(|i| env.pull_fails(i).map(|f| (i, f)))?;
        let n = self.attempts.entry(pod).or_default();
        *n += 1;
        let backoff = crash_backoff(*n);
        let prefix = if step.phase == StartPhase::Init { "Init:" } else { "" };
        let status = if *n == 1 { "ErrImagePull" } else { "ImagePullBackOff" };
        cx.after(backoff, Timer::Kubelet(KubeletTimer::Retry { pod, step: idx, gen }));
        Some(vec![
            Action::Fault(FaultWrite::Struck { fault, pod }),
            Action::Pod(
                pod,
                PodWrite::Waiting {
                    status: Some(format!("{prefix}{status}")),
                    reason: "Failed",
                    message: format!(
                        "Failed to pull image \"{image}\": unexpected status from HEAD request: 503 Service Unavailable; \
                         back-off {backoff} pulling image"
                    ),
                },
            ),
        ])
    }

    /// GPUs under these pods failed: each container dies now and will fail on every
    /// restart, since it keeps its device.
    fn devices_failed(&mut self, cx: &mut Cx, pods: &[PodId], message: &str) -> Vec<Action> {
        let mut actions = Vec::new();
        for &pod in pods {
            let Some(p) = cx.store.pods.get(pod).filter(|p| p.deletion.is_none()) else {
                continue;
            };
            let backoff = crash_backoff(p.crash.restarts + 1);
            cx.after(backoff, Timer::Kubelet(KubeletTimer::Restart(pod)));
            actions.push(Action::Pod(
                pod,
                PodWrite::DeviceFailed {
                    message: message.to_string(),
                },
            ));
            actions.push(Action::Pod(
                pod,
                PodWrite::Crash {
                    reason: "Error",
                    message: message.to_string(),
                    backoff,
                },
            ));
        }
        actions
    }

    pub(crate) fn on_timer(&mut self, cx: &mut Cx, timer: KubeletTimer) -> Vec<Action> {
        let pod = timer.pod();
        if let Some(node) = self.node_down(cx, pod) {
            self.frozen.entry(node).or_default().push(timer);
            return Vec::new();
        }
        if !Self::alive(cx, pod) {
            // The pod's instance is gone (or the pod is): nothing runs there any more.
            self.forget(pod);
            return Vec::new();
        }
        let store = cx.store;
        let Some(p) = store.pods.get(pod) else {
            self.forget(pod);
            return Vec::new();
        };
        let current = |gen: u32| p.deletion.is_none() && p.crash.restarts == gen;
        match timer {
            KubeletTimer::Start(_) => self.start(cx, pod),
            KubeletTimer::Step { step, gen, .. } if current(gen) => {
                let plan = Startup {
                    steps: p.startup.clone(),
                    restart_from: p.crash.restart_from,
                    memory: None,
                    failure: p.crash.failure.clone(),
                };
                self.step_done(cx, pod, &plan, p.crash.restarts, step)
            }
            KubeletTimer::Retry { step, gen, .. } if current(gen) => {
                let steps = p.startup.clone();
                self.begin(cx, pod, &steps, step, gen)
            }
            KubeletTimer::InitFailed { gen, .. } if current(gen) => {
                let n = self.attempts.entry(pod).or_default();
                *n += 1;
                let backoff = crash_backoff(*n);
                cx.after(backoff, Timer::Kubelet(KubeletTimer::Retry { pod, step: 0, gen }));
                let waiting = |status: &str, reason, message: String| {
                    Action::Pod(
                        pod,
                        PodWrite::Waiting {
                            status: Some(status.into()),
                            reason,
                            message,
                        },
                    )
                };
                vec![
                    waiting(
                        "Init:Error",
                        "Failed",
                        "storage-initializer exited with code 1: could not connect to the model storage endpoint"
                            .into(),
                    ),
                    waiting(
                        "Init:CrashLoopBackOff",
                        "BackOff",
                        format!("Back-off {backoff} restarting failed container storage-initializer"),
                    ),
                ]
            }
            KubeletTimer::Restart(_) => self.restart(cx, pod),
            KubeletTimer::Gone(_) => {
                self.forget(pod);
                match p.deletion {
                    Some(_) => vec![Action::Pod(pod, PodWrite::Remove)],
                    None => Vec::new(),
                }
            }
            KubeletTimer::RunDone(_) if p.deletion.is_none() && p.is_ready() => {
                vec![Action::Pod(pod, PodWrite::Succeeded)]
            }
            _ => Vec::new(),
        }
    }

    fn forget(&mut self, pod: PodId) {
        self.attempts.remove(&pod);
        self.pulled.remove(&pod);
    }

    /// A crash-looping pod's back-off is over: its container runs its start-up again
    /// from the first step after the init containers.
    fn restart(&mut self, cx: &mut Cx, pod: PodId) -> Vec<Action> {
        let Some(p) = cx.store.pods.get(pod) else {
            return Vec::new();
        };
        if p.deletion.is_some() || !p.crash.backing_off {
            return Vec::new();
        }
        let from = p.crash.restart_from;
        let gen = p.crash.restarts;
        let steps = p.startup.clone();
        match steps.get(from) {
            Some(s) => {
                let mut actions = vec![Action::Pod(pod, PodWrite::Restart { phase: Some(s.phase) })];
                actions.extend(self.begin(cx, pod, &steps, from, gen));
                actions
            }
            None => {
                let plan = Startup {
                    steps,
                    restart_from: from,
                    memory: None,
                    failure: p.crash.failure.clone(),
                };
                let mut actions = vec![Action::Pod(pod, PodWrite::Restart { phase: None })];
                actions.extend(self.step_done(cx, pod, &plan, gen, from));
                actions
            }
        }
    }

    /// Start-up step `step` is done: the next one starts, or the engine fails with vLLM's
    /// error (restarted after the back-off), or the pod is Ready.
    fn step_done(&mut self, cx: &mut Cx, pod: PodId, plan: &Startup, restarts: u32, step: usize) -> Vec<Action> {
        let next = step + 1;
        if let Some(s) = plan.steps.get(next) {
            let mut actions = vec![Action::Pod(pod, PodWrite::Phase(s.phase))];
            actions.extend(self.begin(cx, pod, &plan.steps, next, restarts));
            return actions;
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
}
