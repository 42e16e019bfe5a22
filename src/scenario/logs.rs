//! `oc logs`: what a pod's containers printed up to the command's instant. Nothing here
//! is made up for the occasion: each line is one the real program prints at that point
//! of its life, at the instant the kubelet's start-up plan (`cluster::kubelet::startup`)
//! put that point, with the numbers that plan and the serving model computed — the
//! weights and KV cache of the pod's `MemoryPlan`, the steps' durations, and the
//! throughput, queues and cache usage of its replica's requests (`serving::statlog`).
//!
//! The formats are vLLM's (V1 engine, its `INFO MM-DD HH:MM:SS [file.py:line]` logger;
//! file and line as the release OpenShift AI shipped in 2025 prints them), uvicorn's for
//! the HTTP server, KServe's for the storage initializer and its ModelCar init container.

use super::kubectl::Kind;
use super::oc_error::OcError;
use super::printers::{python_stamp, vllm_stamp};
use crate::cluster::kubelet::StepKind;
use crate::serving::args::VllmArgs;
use crate::serving::statlog::StatLine;
use crate::store::{Pod, StartMark, StartPhase, Store};
use crate::units::{SimDuration, SimTime};

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// What the request side knows of a serving pod: the lines its engine's stat logger
/// printed. The run's `LiveServing` answers; without requests there are none.
pub(crate) trait ServingLogs {
    fn stat_lines(&self, namespace: &str, pod: &str, t: SimTime) -> Vec<StatLine>;
}

impl ServingLogs for super::serve::LiveServing<'_> {
    fn stat_lines(&self, namespace: &str, pod: &str, t: SimTime) -> Vec<StatLine> {
        super::serve::LiveServing::stat_lines(self, namespace, pod, t)
    }
}

/// What `oc logs` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogsRequest {
    /// A pod, or the object whose pod to read (`deployment/NAME`, `job/NAME`).
    pub kind: Kind,
    pub name: String,
    /// `-c`: the container; else the pod's default one.
    pub container: Option<String>,
    /// `--tail`: the last lines only (negative: all).
    pub tail: Option<i64>,
    /// `-f`: the lines the container prints later too, as they come.
    pub follow: bool,
}

/// One line a container printed, with the instant it printed it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LogLine {
    pub t: SimTime,
    pub text: String,
}

/// `oc logs` at the store's instant: kubectl's notices (the container it defaulted to,
/// the pod it picked) and the container's lines, or the API server's refusal.
pub(crate) fn logs(
    store: &Store,
    serving: &dyn ServingLogs,
    namespace: &str,
    req: &LogsRequest,
    follow: Option<&mut Option<LogFollow>>,
) -> Result<Vec<String>, OcError> {
    let mut out = Vec::new();
    let pod = match req.kind {
        Kind::Pod => store
            .pod(namespace, &req.name)
            .ok_or_else(|| not_found("pods", &req.name))?,
        Kind::Deployment => {
            let d = store
                .deployment(namespace, &req.name)
                .ok_or_else(|| not_found("deployments.apps", &req.name))?;
            let pods: Vec<&Pod> = store.pods_of_deployment(d.uid).collect();
            pick(&pods, &mut out).ok_or_else(no_pod)?
        }
        Kind::Job => {
            let j = store
                .jobs
                .named(namespace, &req.name)
                .filter(|j| j.visible)
                .ok_or_else(|| not_found("jobs.batch", &req.name))?;
            let pods: Vec<&Pod> = j.pods.iter().filter_map(|p| store.pods.get(*p)).collect();
            pick(&pods, &mut out).ok_or_else(no_pod)?
        }
        other => {
            return Err(OcError::Client(format!(
                "cannot get the logs from {}",
                other.resource()
            )))
        }
    };
    let container = match &req.container {
        Some(c) => {
            if !all_containers(pod).any(|(n, _)| n == c) {
                return Err(OcError::BadRequest(format!(
                    "container {c} is not valid for pod {}",
                    pod.name
                )));
            }
            c.clone()
        }
        None => {
            let first = pod.spec.containers.first().map(|c| c.name.clone()).unwrap_or_default();
            if pod.spec.containers.len() > 1 || !pod.spec.init_containers.is_empty() {
                let names: Vec<String> = all_containers(pod)
                    .map(|(n, init)| if init { format!("{n} (init)") } else { n.to_string() })
                    .collect();
                out.push(format!("Defaulted container \"{first}\" out of: {}", names.join(", ")));
            }
            first
        }
    };
    let lines = container_log(store, serving, pod, &container)?;
    if let Some(f) = follow {
        *f = Some(LogFollow {
            namespace: namespace.to_string(),
            pod: pod.name.clone(),
            uid: pod.uid,
            container: container.clone(),
            printed: lines.iter().map(|l| (l.t, l.text.clone())).collect(),
        });
    }
    let keep = match req.tail {
        Some(n) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX).min(lines.len()),
        _ => lines.len(),
    };
    out.extend(lines.iter().skip(lines.len() - keep).map(|l| l.text.clone()));
    Ok(out)
}

/// `oc logs -f` after its command: the container it picked, and how many of its lines
/// have been printed. It ends when the pod is gone (a new pod of the same name is
/// another pod) or its container has stopped.
#[derive(Debug, Clone)]
pub(crate) struct LogFollow {
    namespace: String,
    pod: String,
    uid: crate::store::PodId,
    container: String,
    /// The lines printed: a stat line can come after a later line of another kind (the
    /// serving side catches up to an instant after the cluster has moved).
    printed: std::collections::HashSet<(SimTime, String)>,
}

impl LogFollow {
    /// The lines printed since the last step, and whether the log has ended.
    pub(crate) fn step(&mut self, store: &Store, serving: &dyn ServingLogs) -> (Vec<String>, bool) {
        let Some(pod) = store.pod(&self.namespace, &self.pod).filter(|p| p.uid == self.uid) else {
            return (Vec::new(), true);
        };
        let Ok(lines) = container_log(store, serving, pod, &self.container) else {
            return (Vec::new(), true);
        };
        let fresh: Vec<String> = lines
            .into_iter()
            .filter(|l| self.printed.insert((l.t, l.text.clone())))
            .map(|l| l.text)
            .collect();
        (fresh, false)
    }
}

fn not_found(plural: &str, name: &str) -> OcError {
    OcError::NotFound {
        plural: plural.into(),
        name: name.into(),
    }
}

/// kubectl waits `--pod-running-timeout` (20 s) for a pod of the object, then gives up
/// with this; a timeline command answers at its own instant, as if none came meanwhile.
fn no_pod() -> OcError {
    OcError::Client("timed out waiting for the condition".into())
}

/// The pod kubectl reads an object's logs from (`podutils.ByLogging`): scheduled first,
/// then running, ready, ready longer, more restarts, older; "Found N pods" when it had a
/// choice.
fn pick<'s>(pods: &[&'s Pod], notices: &mut Vec<String>) -> Option<&'s Pod> {
    let best = pods.iter().copied().min_by(|a, b| {
        let rank = |p: &Pod| {
            (
                p.node.is_none(),
                p.phase() != "Running",
                !p.is_ready(),
                p.ready_at.map_or(u64::MAX, |t| t.0),
                std::cmp::Reverse(p.crash.restarts),
                p.created,
            )
        };
        rank(a).cmp(&rank(b))
    })?;
    if pods.len() > 1 {
        notices.push(format!("Found {} pods, using pod/{}", pods.len(), best.name));
    }
    Some(best)
}

/// The pod's containers, then its init containers (`true`), as kubectl lists them.
fn all_containers(p: &Pod) -> impl Iterator<Item = (&str, bool)> {
    p.spec
        .containers
        .iter()
        .map(|c| (c.name.as_str(), false))
        .chain(p.spec.init_containers.iter().map(|c| (c.name.as_str(), true)))
}

/// When each start-up step began, and when the container that runs now (or ran last)
/// started: the marks since the container's last start, as (step, began, ended).
fn step_times(p: &Pod, now: SimTime) -> Vec<(usize, SimTime, Option<SimTime>)> {
    let mut out: Vec<(usize, SimTime, Option<SimTime>)> = Vec::new();
    for (t, mark) in p.marks.iter().filter(|(t, _)| *t <= now) {
        match mark {
            StartMark::Step(i) => {
                // A step begun again (a retry, a restart) replaces what it was before,
                // and the steps after it.
                out.retain(|(j, _, _)| j < i);
                if let Some(last) = out.last_mut() {
                    last.2.get_or_insert(*t);
                }
                out.push((*i, *t, None));
            }
            StartMark::Ready | StartMark::Crashed => {
                if let Some(last) = out.last_mut() {
                    last.2.get_or_insert(*t);
                }
            }
            StartMark::Held => {}
        }
    }
    out
}

/// The lines `container` of `p` printed up to the store's instant, or why kubectl gets
/// none.
fn container_log(store: &Store, serving: &dyn ServingLogs, p: &Pod, container: &str) -> Result<Vec<LogLine>, OcError> {
    let now = store.now;
    if p.node.is_none() {
        // Not scheduled: the API server has no kubelet to ask, and kubectl prints nothing.
        return Ok(Vec::new());
    }
    let steps = step_times(p, now);
    let step_of = |kind: &dyn Fn(&StepKind, StartPhase) -> bool| {
        steps
            .iter()
            .find(|(i, _, _)| p.startup.get(*i).is_some_and(|s| kind(&s.kind, s.phase)))
            .copied()
    };
    let waiting = |reason: &str| {
        OcError::BadRequest(format!(
            "container \"{container}\" in pod \"{}\" is waiting to start: {reason}",
            p.name
        ))
    };
    let held = p.waiting.as_deref().map(|w| w.trim_start_matches("Init:"));
    match container {
        "storage-initializer" => {
            let (_, began, ended) =
                step_of(&|k, _| matches!(k, StepKind::Download)).ok_or_else(|| waiting("PodInitializing"))?;
            let uri = p
                .spec
                .init_containers
                .iter()
                .find(|c| c.name == container)
                .and_then(|c| c.args.first().cloned())
                .unwrap_or_default();
            let dest = "/mnt/models";
            let mut lines = vec![
                kserve(
                    began,
                    "<module>():13",
                    &format!("Initializing, args: src_uri [{uri}] dest_path[ [{dest}]"),
                ),
                kserve(began, "download():63", &format!("Copying contents of {uri} to local")),
            ];
            if let Some(done) = ended {
                lines.push(kserve(
                    done,
                    "download():87",
                    &format!("Successfully copied {uri} to {dest}"),
                ));
            }
            Ok(lines)
        }
        "modelcar-init" => {
            let (_, _, ended) = step_of(&|k, phase| {
                matches!(k, StepKind::PullModelCar { .. })
                    || (matches!(k, StepKind::Local) && phase == StartPhase::Init)
            })
            .ok_or_else(|| waiting("PodInitializing"))?;
            // It prints once its image is there, and exits.
            let Some(done) = ended else {
                return Err(waiting(held.unwrap_or("PodInitializing")));
            };
            let image = p
                .spec
                .init_containers
                .iter()
                .find(|c| c.name == container)
                .map(|c| c.image.clone())
                .unwrap_or_default();
            Ok(vec![
                LogLine {
                    t: done,
                    text: format!("Pre-fetching modelcar {image}: "),
                },
                LogLine {
                    t: done,
                    text: "OK ... Prefetched and valid (/models exists)".into(),
                },
            ])
        }
        _ => {
            let start = step_of(&|k, _| matches!(k, StepKind::ContainerStart { .. }));
            let Some((_, _, Some(started))) = start else {
                let initializing = steps
                    .last()
                    .and_then(|(i, _, _)| p.startup.get(*i))
                    .is_some_and(|s| s.phase == StartPhase::Init);
                let reason = match held {
                    _ if initializing => "PodInitializing",
                    Some(h) => h,
                    None => "ContainerCreating",
                };
                return Err(waiting(reason));
            };
            let is_engine = p.spec.engine_container().is_some_and(|c| c.name == container);
            let serving_model = crate::cluster::kubelet::model_of(&store.catalog, p).is_some();
            if !is_engine || !serving_model {
                // The simulation runs no program in it, so there is nothing it printed.
                return Ok(Vec::new());
            }
            Ok(vllm_log(store, serving, p, &steps, started))
        }
    }
}

/// A KServe storage-initializer line (`%(asctime)s.%(msecs)03d %(process)s %(name)s
/// %(levelname)s [%(funcName)s():%(lineno)s] %(message)s`).
fn kserve(t: SimTime, at: &str, message: &str) -> LogLine {
    LogLine {
        t,
        text: format!("{} 1 root INFO [{at}] {message}", python_stamp(t)),
    }
}

/// A vLLM line (`%(levelname)s %(asctime)s [%(filename)s:%(lineno)d] %(message)s`).
fn vllm(t: SimTime, level: &str, at: &str, message: &str) -> LogLine {
    LogLine {
        t,
        text: format!("{level} {} [{at}] {message}", vllm_stamp(t)),
    }
}

/// uvicorn's own lines carry no time.
fn uvicorn(t: SimTime, message: &str) -> LogLine {
    LogLine {
        t,
        text: format!("INFO:     {message}"),
    }
}

/// `1234567` as Python's `{:,}` writes it: `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The engine container's log from its start at `started`: the model load, the memory
/// profile and KV cache, the engine's start-up, the API server, then the stat logger's
/// lines while it serves, and the server's shutdown when the pod is deleted; or vLLM's
/// error when its memory check fails.
fn vllm_log(
    store: &Store,
    serving: &dyn ServingLogs,
    p: &Pod,
    steps: &[(usize, SimTime, Option<SimTime>)],
    started: SimTime,
) -> Vec<LogLine> {
    let now = store.now;
    let args = p.spec.engine_container().map(|c| c.args.clone()).unwrap_or_default();
    let flag = |name: &str| {
        args.iter().enumerate().find_map(|(i, a)| {
            a.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('='))
                .map(str::to_string)
                .or_else(|| (a == name).then(|| args.get(i + 1).cloned()).flatten())
        })
    };
    let model_path = flag("--model").unwrap_or_else(|| "/mnt/models".into());
    let port = flag("--port").unwrap_or_else(|| "8000".into());
    let engine_args = VllmArgs::parse(&args).unwrap_or_default();
    let card = crate::cluster::kubelet::model_of(&store.catalog, p);
    let tp = engine_args.tensor_parallel_size.max(1) as f64;
    let mut lines = vec![vllm(
        started,
        "INFO",
        "gpu_model_runner.py:1770",
        &format!("Starting to load model {model_path}..."),
    )];
    // The steps after the container's start: the weights, then the engine (or the memory
    // check that fails), then the readiness probe.
    let after: Vec<&(usize, SimTime, Option<SimTime>)> = steps
        .iter()
        .filter(|(i, _, _)| p.startup.get(*i).is_some_and(|s| s.phase == StartPhase::Starting))
        .collect();
    // The container exited with an error in this attempt: vLLM's last words.
    let crashed = p
        .marks
        .last()
        .filter(|(t, m)| *m == StartMark::Crashed && *t >= started)
        .map(|(t, _)| *t);
    let Some((_, load_began, Some(loaded))) = after.first().copied() else {
        lines.extend(crash_lines(p, crashed, false));
        return lines;
    };
    let load_s = loaded.since(*load_began).as_secs_f64();
    let weights_gib = p
        .memory
        .as_ref()
        .map(|m| m.weights_bytes)
        .or_else(|| card.map(|c| c.weights_gb * 1e9 / tp))
        .unwrap_or(0.0)
        / GIB;
    lines.push(vllm(
        *loaded,
        "INFO",
        "default_loader.py:272",
        &format!("Loading weights took {load_s:.2} seconds"),
    ));
    lines.push(vllm(
        *loaded,
        "INFO",
        "gpu_model_runner.py:1801",
        &format!("Model loading took {weights_gib:.4} GiB and {load_s:.6} seconds"),
    ));
    let Some((_, engine_began, engine_ended)) = after.get(1).copied() else {
        lines.extend(crash_lines(p, crashed, false));
        return lines;
    };
    let profiled = *engine_began + SimDuration::from_secs_f64(store.catalog.vllm.profile_run_s);
    if p.memory.is_none() {
        // The memory check failed: no KV cache, no engine.
        lines.extend(crash_lines(p, crashed, false));
        return lines;
    }
    if let Some(m) = &p.memory {
        let at = engine_ended.map_or(profiled, |e| profiled.min(e));
        if at <= now {
            lines.push(vllm(
                at,
                "INFO",
                "gpu_worker.py:232",
                &format!("Available KV cache memory: {:.2} GiB", m.kv_bytes / GIB),
            ));
            lines.push(vllm(
                at,
                "INFO",
                "kv_cache_utils.py:716",
                &format!("GPU KV cache size: {} tokens", thousands(m.kv_capacity_tokens)),
            ));
            lines.push(vllm(
                at,
                "INFO",
                "kv_cache_utils.py:720",
                &format!(
                    "Maximum concurrency for {} tokens per request: {:.2}x",
                    thousands(u64::from(m.max_model_len)),
                    m.kv_capacity_tokens as f64 / f64::from(m.max_model_len.max(1))
                ),
            ));
        }
    }
    let Some(up) = *engine_ended else {
        return lines;
    };
    lines.push(vllm(
        up,
        "INFO",
        "core.py:172",
        &format!(
            "init engine (profile, create kv cache, warmup model) took {:.2} seconds",
            up.since(*engine_began).as_secs_f64()
        ),
    ));
    if let Some(m) = &p.memory {
        lines.push(vllm(
            up,
            "INFO",
            "loggers.py:137",
            &format!(
                "Engine 000: vllm cache_config_info with initialization after num_gpu_blocks is: {}",
                m.num_blocks
            ),
        ));
    }
    lines.push(vllm(
        up,
        "INFO",
        "api_server.py:1475",
        &format!("Starting vLLM API server 0 on http://0.0.0.0:{port}"),
    ));
    for m in [
        "Started server process [1]",
        "Waiting for application startup.",
        "Application startup complete.",
    ] {
        lines.push(uvicorn(up, m));
    }
    lines.push(uvicorn(
        up,
        &format!("Uvicorn running on http://0.0.0.0:{port} (Press CTRL+C to quit)"),
    ));
    // SIGTERM stops the server and its stat logger with it.
    let stopped = p.deletion.map(|(d, _)| d);
    for s in serving.stat_lines(&p.namespace, &p.name, now) {
        let t = SimTime((s.t * 1000.0).round() as u64);
        if t < up || stopped.is_some_and(|d| t >= d) {
            continue;
        }
        lines.push(vllm(
            t,
            "INFO",
            "loggers.py:123",
            &format!(
                "Engine 000: Avg prompt throughput: {:.1} tokens/s, Avg generation throughput: {:.1} tokens/s, \
                 Running: {} reqs, Waiting: {} reqs, GPU KV cache usage: {:.1}%, Prefix cache hit rate: {:.1}%",
                s.prompt_throughput,
                s.generation_throughput,
                s.running,
                s.waiting,
                s.kv_cache_usage * 100.0,
                s.prefix_cache_hit_rate * 100.0
            ),
        ));
    }
    lines.extend(crash_lines(p, crashed, true));
    // SIGTERM at the deletion: uvicorn shuts the server down.
    if let Some((deleted, _)) = p.deletion.filter(|(d, _)| *d >= up) {
        for m in [
            "Shutting down",
            "Waiting for application shutdown.",
            "Application shutdown complete.",
            "Finished server process [1]",
        ] {
            lines.push(uvicorn(deleted, m));
        }
    }
    lines.sort_by_key(|l| l.t);
    lines
}

/// What vLLM prints when its container exits with an error at `crashed`: the engine
/// core's error (its memory check, or the device it lost while serving), then the API
/// server's.
fn crash_lines(p: &Pod, crashed: Option<SimTime>, serving: bool) -> Vec<LogLine> {
    let (Some(t), Some(failure)) = (crashed, &p.crash.failure) else {
        return Vec::new();
    };
    let mut lines = vec![vllm(
        t,
        "ERROR",
        "core.py:700",
        if serving {
            "EngineCore encountered a fatal error."
        } else {
            "EngineCore failed to start."
        },
    )];
    lines.extend(failure.message.lines().map(|l| vllm(t, "ERROR", "core.py:700", l)));
    if !serving {
        lines.push(LogLine {
            t,
            text: "RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}"
                .into(),
        });
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u64) -> SimTime {
        SimTime(s * 1000)
    }

    #[test]
    fn a_containers_steps_are_those_since_it_last_began() {
        use StartMark::*;
        // (marks, now) → (step, began, ended) in seconds.
        type Case = (Vec<(u64, StartMark)>, u64, Vec<(usize, u64, Option<u64>)>);
        let cases: Vec<Case> = vec![
            // A start-up in progress: each step ends where the next begins.
            (
                vec![(0, Step(0)), (360, Step(1)), (365, Step(2))],
                400,
                vec![(0, 0, Some(360)), (1, 360, Some(365)), (2, 365, None)],
            ),
            // Ready ends the last step.
            (vec![(0, Step(0)), (5, Ready)], 10, vec![(0, 0, Some(5))]),
            // A pull held up and begun again counts from the retry.
            (
                vec![(0, Step(0)), (0, Held), (10, Held), (30, Step(0)), (180, Step(1))],
                200,
                vec![(0, 30, Some(180)), (1, 180, None)],
            ),
            // A crash, then the restart from the container's step: the init step stays,
            // the crashed attempt's steps go.
            (
                vec![
                    (0, Step(0)),
                    (60, Step(1)),
                    (65, Step(2)),
                    (70, Step(3)),
                    (75, Crashed),
                    (85, Step(1)),
                ],
                90,
                vec![(0, 0, Some(60)), (1, 85, None)],
            ),
            // What has not happened by `now` is not there.
            (vec![(0, Step(0)), (50, Step(1))], 40, vec![(0, 0, None)]),
        ];
        for (marks, now, want) in cases {
            let mut p = Pod::new(
                crate::store::PodId::from_raw(1),
                "uid".into(),
                "ns".into(),
                "p".into(),
                Default::default(),
                SimTime::ZERO,
            );
            p.marks = marks.iter().map(|(t, m)| (at(*t), *m)).collect();
            let got: Vec<(usize, u64, Option<u64>)> = step_times(&p, at(now))
                .into_iter()
                .map(|(i, b, e)| (i, b.0 / 1000, e.map(|e| e.0 / 1000)))
                .collect();
            assert_eq!(got, want, "{marks:?} at {now}");
        }
    }

    #[test]
    fn counts_read_as_python_groups_them() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (33_824, "33,824"),
            (1_131_008, "1,131,008"),
        ];
        for (n, want) in cases {
            assert_eq!(thousands(n), want);
        }
    }
}
