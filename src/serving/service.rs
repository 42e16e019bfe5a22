//! The requests of one InferenceService over a run: its traffic streams arrive, the router
//! sends each to a ready replica (or holds it until one is ready, failing it with 503 after
//! the timeout), replicas batch them as vLLM does, and a replica whose pod is deleted stops
//! receiving requests and fails what it still holds when the pod is gone.

use super::exporter::{ReplicaScrape, VllmCounters};
use super::metrics::{ModelMetrics, SloTerm};
use super::recent::{Recent, RecentTtft};
use super::replica::{Fidelity, Limits, Outcome, Replica, Request, Sink};
use super::router::{Router, RouterPolicy};
use super::statlog::{StatLine, StatLog};
use super::steptime::StepCost;
use super::timers::Timers;
use crate::engine::kernel::EventQueue;
use crate::progress::{Phase, Progress};
use crate::traffic::source::{Draw, Source, TrafficSpec};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

/// Why a request failed, as the client sees it.
pub const NO_READY_REPLICA: &str = "no_ready_replica_503";
pub const REPLICA_TERMINATED: &str = "replica_terminated";
pub const CONTEXT_TOO_LONG: &str = "context_length_exceeded_400";
/// The replica's node is gone but its endpoint is still listed: what it held, and what
/// is sent to it, fails.
pub const REPLICA_UNREACHABLE: &str = "replica_unreachable";
/// The service already holds `MAX_BACKLOG` waiting requests (a limit of the simulator).
pub const BACKLOG_LIMIT: &str = "backlog_limit_exceeded";

/// Requests a service may hold waiting (in its replicas' queues or for a ready replica).
/// Past it, an overload would only grow memory without changing any reported figure
/// that matters: such a service has long missed every latency target.
pub const MAX_BACKLOG: u64 = 1_000_000;

/// One predictor pod's serving life, from the cluster simulation.
#[derive(Debug, Clone)]
pub struct ReplicaSpan {
    pub pod: String,
    pub node: String,
    pub gpus: u32,
    pub ready_s: f64,
    /// Endpoint removed (deletion started, or the container died).
    pub stop_s: Option<f64>,
    /// Pod gone: what it still holds fails.
    pub gone_s: Option<f64>,
    /// Its node died: it serves nothing more, though the router may still send to it
    /// until `stop_s`.
    pub dead_s: Option<f64>,
    pub cost: StepCost,
    pub limits: Limits,
    pub max_model_len: u32,
}

pub struct ServiceSpec<'a> {
    pub spans: Vec<ReplicaSpan>,
    /// Traffic streams and their stream numbers.
    pub traffic: Vec<(&'a TrafficSpec, u64)>,
    pub router: RouterPolicy,
    pub timeout_s: f64,
    pub slo: Vec<SloTerm>,
    pub window_s: f64,
    pub end_s: f64,
    pub fidelity: Fidelity,
    pub seed: u64,
    /// Intervals (start, end) whose failed requests are counted apart (a fault's impact).
    pub attribution: Vec<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaUse {
    pub pod: String,
    pub node: String,
    pub gpus: u32,
    /// Seconds the engine spent in steps (all its GPUs busy).
    pub busy_s: f64,
    pub completed: u64,
    /// The most of its KV cache in use at once, as a share (0 without an engine).
    pub kv_cache_peak: f64,
}

pub struct ServiceResult {
    pub metrics: ModelMetrics,
    pub replicas: Vec<ReplicaUse>,
    pub in_flight: u64,
    /// Failed requests within each of `ServiceSpec::attribution`'s intervals.
    pub attributed_failures: Vec<u64>,
}

/// A replica's lifecycle change, or the router's timeout for held requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lifecycle {
    Ready(usize),
    Stop(usize),
    Gone(usize),
    Dead(usize),
    Timeout,
}

/// What the loop does next.
#[derive(Debug, Clone, Copy)]
enum Next {
    /// Stream `i`'s next request arrives.
    Arrival(usize),
    Lifecycle(Lifecycle),
    /// Replica `i`'s step ends.
    Step(usize),
}

/// Where an event stands among others at the same instant: a replica's change from the
/// cluster first (what the cluster did at an instant is in place before any request of
/// that instant is routed, however late the cluster reported it), then arrivals and the
/// router's timeouts in the order they were drawn or set.
const CLUSTER: u64 = 0;
const REQUESTS: u64 = 1;

/// An event's time and class in one word: the time's bits shifted up one, the class in
/// the freed bit. A non-negative finite time's bits are below 2^63, so the shift loses
/// nothing, and the words order by time, then class — one integer compare on the hot path.
type LifecycleKey = u64;

fn order_key(t: f64, class: u64) -> LifecycleKey {
    (t.max(0.0).to_bits() << 1) | class
}

fn time_of(key: LifecycleKey) -> f64 {
    f64::from_bits(key >> 1)
}

/// An arrival's order key: its time and class, and an insertion number from the lifecycle
/// queue's count, so arrivals and timeouts at one instant keep their order.
type ArrivalKey = (LifecycleKey, u64);

struct Recorder<'m> {
    metrics: &'m mut ModelMetrics,
    completed: &'m mut u64,
    load: &'m mut u32,
    /// The replica's exported counters, when something scrapes them.
    exported: Option<&'m mut VllmCounters>,
    /// Its stat logger, when something reads its log.
    stat: Option<&'m mut StatLog>,
    /// The service's last minute of TTFTs, when a live view reads them.
    recent: Option<&'m mut Recent>,
}

impl Sink for Recorder<'_> {
    fn finished(&mut self, req: &Request, outcome: &Outcome, at: f64) {
        *self.completed += 1;
        *self.load -= 1;
        self.metrics
            .completed(at, outcome, req.prompt_tokens, req.output_tokens);
        if let Some(c) = self.exported.as_deref_mut() {
            c.finished(
                req.prompt_tokens,
                req.output_tokens,
                outcome.ttft_s,
                outcome.e2e_s,
                outcome.preemptions,
            );
        }
        if let Some(s) = self.stat.as_deref_mut() {
            s.finished(req.prompt_tokens, req.output_tokens, outcome.cached_tokens);
        }
        if let Some(r) = self.recent.as_deref_mut() {
            // The first token came `ttft` after the request arrived, `e2e` before `at`.
            r.record(at - outcome.e2e_s + outcome.ttft_s, outcome.ttft_s);
        }
    }
}

/// The service's event loop. Lifecycle changes and timeouts wait in a queue ordered by
/// time then insertion; each stream's next arrival waits beside them with its own
/// insertion number (one at a time per stream, so a scan beats a heap). Replica step ends
/// live in `Timers` and come after these at the same instant: vLLM's scheduler sees every
/// request queued by a step's start.
struct Loop<'a> {
    spec: &'a ServiceSpec<'a>,
    /// The replicas so far, in the order they were added.
    spans: Vec<ReplicaSpan>,
    /// `MAX_BACKLOG`, lower in tests.
    max_backlog: u64,
    lifecycle: EventQueue<LifecycleKey, Lifecycle>,
    sources: Vec<Source<'a>>,
    /// Each stream's next arrival, drawn ahead.
    draws: Vec<Option<(ArrivalKey, Draw)>>,
    timers: Timers,
    replicas: Vec<Option<Replica>>,
    /// Replicas whose node died (still listed until their endpoint goes).
    dead: Vec<bool>,
    accepting: Vec<usize>,
    /// Requests on each replica (what least-outstanding compares).
    load: Vec<u32>,
    completed: Vec<u64>,
    busy: Vec<f64>,
    /// Per replica gone: the most of its KV cache it had in use.
    kv_peak: Vec<f64>,
    /// Per replica: seconds its engine ran before `engine_since` (Ready until its pod was
    /// gone or its node died), and since when it runs now.
    engine_s: Vec<f64>,
    engine_since: Vec<Option<f64>>,
    /// The metrics window whose busy share is being measured, its end, and the replicas'
    /// GPU-seconds in steps and with a running engine at its start.
    busy_window: u64,
    busy_window_end: f64,
    busy_at_start: (f64, f64),
    pending: VecDeque<(Request, f64)>,
    timer: Option<f64>,
    router: Router,
    metrics: ModelMetrics,
    next_id: u64,
    /// Each replica's waiting queue length when last seen, and their sum.
    waiting: Vec<u32>,
    waiting_sum: u64,
    /// The time of the event being handled.
    now: f64,
    /// Intervals (from, until) whose failed requests are counted apart, and their counts:
    /// `spec.attribution`, then any opened while the run goes (until ∞ while open).
    windows: Vec<(f64, f64)>,
    attributed: Vec<u64>,
    /// Each replica's vLLM counters, kept once `export_metrics` is called.
    exported: Option<Vec<VllmCounters>>,
    /// Each replica's stat logger, kept once `keep_stat_logs` is called, and when the
    /// next line of any is due.
    stats: Option<Vec<StatLog>>,
    next_stat: f64,
    /// The last minute of TTFTs, kept once `keep_recent` is called.
    recent: Option<Recent>,
    /// Why capacity the service asked for is not serving yet, while it is not (an index
    /// the caller gives meaning to), and per index the requests that arrived and failed
    /// meanwhile.
    waiting_for: Option<usize>,
    waits: Vec<[u64; 2]>,
    /// How long a request waits for a ready replica: `spec.timeout_s`, or less when
    /// something in front of the service gives up sooner (`ServiceRun::limit_hold`).
    hold_s: f64,
}

impl Loop<'_> {
    fn fail(&mut self, now: f64, reason: &'static str) {
        self.metrics.failed(now, reason);
        // `set_waiting_for` sizes `waits` to any cause it sets.
        if let Some(c) = self.waiting_for {
            self.waits[c][1] += 1;
        }
        for (i, (from, until)) in self.windows.iter().enumerate() {
            if *from <= now && now <= *until {
                self.attributed[i] += 1;
            }
        }
    }

    fn push(&mut self, t: f64, ev: Lifecycle) {
        let class = if ev == Lifecycle::Timeout { REQUESTS } else { CLUSTER };
        self.lifecycle.push(order_key(t, class), ev);
    }

    /// Draws stream `s`'s next arrival, keyed to order among the lifecycle events.
    fn draw(&mut self, s: usize) {
        let next = self.sources[s].draw();
        let key = next
            .as_ref()
            .map(|d| (order_key(d.at_s, REQUESTS), self.lifecycle.stamp()));
        self.draws[s] = key.zip(next);
    }

    /// The earliest thing due and its time: an arrival or lifecycle event (in their
    /// (time, insertion) order), else a step end at the same time or earlier.
    fn next_event(&self) -> Option<(f64, Next)> {
        let arrival = self
            .draws
            .iter()
            .enumerate()
            .filter_map(|(i, d)| d.as_ref().map(|(key, _)| (*key, i)))
            .min();
        let lifecycle = self.lifecycle.peek().map(|(bits, seq, ev)| ((bits, seq), *ev));
        let first = match (arrival, lifecycle) {
            (Some((a, i)), Some((l, _))) if a < l => Some((a.0, Next::Arrival(i))),
            (Some((a, i)), None) => Some((a.0, Next::Arrival(i))),
            (_, Some((l, ev))) => Some((l.0, Next::Lifecycle(ev))),
            (None, None) => None,
        };
        let other = first.map(|(key, next)| (time_of(key), next));
        match (other, self.timers.peek()) {
            (Some((t, next)), Some((s, _))) if t <= s => Some((t, next)),
            (Some(other), None) => Some(other),
            (_, Some((s, i))) => Some((s, Next::Step(i))),
            (None, None) => None,
        }
    }

    fn handle(&mut self, next: Next, now: f64) {
        if now >= self.busy_window_end {
            self.close_busy_window(now);
        }
        if now > self.next_stat {
            self.log_stats(now);
        }
        self.now = now;
        match next {
            Next::Step(i) => self.step(i),
            Next::Arrival(s) => self.arrive(s, now),
            Next::Lifecycle(ev) => {
                self.lifecycle.pop();
                self.lifecycle_event(ev, now);
            }
        }
    }

    /// The scheduler's state of replica `i` as its stat logger reads it, while its engine
    /// runs.
    fn scheduler_state(&self, i: usize) -> Option<(u32, u32, f64)> {
        let r = self
            .replicas
            .get(i)?
            .as_ref()
            .filter(|_| self.dead.get(i) != Some(&true))?;
        let waiting = r.waiting_len() as u32;
        Some((r.outstanding() as u32 - waiting, waiting, r.kv_cache_usage()))
    }

    /// The stat loggers print the lines due before `now`: nothing has changed since the
    /// last event, so each reads the state as it stands.
    fn log_stats(&mut self, now: f64) {
        let mut next = f64::INFINITY;
        for i in 0..self.spans.len() {
            let state = self.scheduler_state(i);
            let Some(log) = self.stats.as_mut().and_then(|s| s.get_mut(i)) else {
                continue;
            };
            if let Some(state) = state {
                if log.next_at() < now {
                    log.catch_up(now, state);
                }
                next = next.min(log.next_at());
            }
        }
        self.next_stat = next;
    }

    /// The replicas' GPU-seconds in engine steps, and with a running engine, from the
    /// start to `t` (no event between the last handled and `t`: each engine's state holds).
    fn gpu_seconds_at(&self, t: f64) -> (f64, f64) {
        let (mut busy, mut engine) = (0.0, 0.0);
        for (i, span) in self.spans.iter().enumerate() {
            let gpus = span.gpus as f64;
            let b = self.replicas[i].as_ref().map_or(self.busy[i], |r| r.busy_until(t));
            let up = self.engine_s[i] + self.engine_since[i].map_or(0.0, |s| (t - s).max(0.0));
            busy += b * gpus;
            engine += up * gpus;
        }
        (busy, engine)
    }

    /// Hands the metrics window that ended before `now` its busy share, and starts
    /// measuring the window `now` falls in. Windows skipped in between saw no event, so
    /// they hold no request and are not reported.
    fn close_busy_window(&mut self, now: f64) {
        let w = self.spec.window_s;
        let end = self.busy_window_end.min(now);
        let at_end = self.gpu_seconds_at(end);
        let (b0, e0) = self.busy_at_start;
        self.metrics.window_busy(self.busy_window, at_end.0 - b0, at_end.1 - e0);
        // The window of `now` as the metrics count it, never the one just closed (a
        // float's rounding at the boundary must not measure a window twice).
        // Saturating: a window number past u64 is no run, but must not overflow either.
        let index = ((now / w).floor().max(0.0) as u64).max(self.busy_window.saturating_add(1));
        let start = index as f64 * w;
        self.busy_at_start = if start <= end {
            at_end
        } else {
            self.gpu_seconds_at(start)
        };
        self.busy_window = index;
        self.busy_window_end = index.saturating_add(1) as f64 * w;
    }

    fn arrive(&mut self, s: usize, now: f64) {
        let Some((_, d)) = self.draws[s].take() else {
            return;
        };
        self.metrics.arrived(now);
        // `set_waiting_for` sizes `waits` to any cause it sets.
        if let Some(c) = self.waiting_for {
            self.waits[c][0] += 1;
        }
        let req = Request {
            id: self.next_id,
            arrival_s: d.at_s,
            prompt_tokens: d.prompt_tokens,
            output_tokens: d.output_tokens,
            prefix: d.prefix,
        };
        self.next_id += 1;
        self.route(req, now);
        self.draw(s);
    }

    fn lifecycle_event(&mut self, ev: Lifecycle, now: f64) {
        match ev {
            Lifecycle::Ready(i) => {
                let s = &self.spans[i];
                if s.stop_s.is_some_and(|t| t <= now) {
                    return;
                }
                self.replicas[i] = Some(Replica::new(s.cost, s.limits, self.spec.fidelity));
                self.engine_since[i] = Some(now);
                let at = self.accepting.partition_point(|&x| x < i);
                self.accepting.insert(at, i);
                self.router.add(i, self.load[i]);
                for (req, _) in std::mem::take(&mut self.pending) {
                    self.route(req, now);
                }
            }
            Lifecycle::Stop(i) => {
                self.accepting.retain(|&x| x != i);
                self.router.remove(i);
            }
            Lifecycle::Gone(i) => {
                self.accepting.retain(|&x| x != i);
                self.router.remove(i);
                self.fail_all(i, now, REPLICA_TERMINATED);
            }
            Lifecycle::Dead(i) => {
                self.dead[i] = true;
                self.fail_all(i, now, REPLICA_UNREACHABLE);
            }
            Lifecycle::Timeout => {
                self.timer = None;
                while self.pending.front().is_some_and(|(_, d)| *d <= now) {
                    self.pending.pop_front();
                    self.fail(now, NO_READY_REPLICA);
                }
                self.note_waiting();
                if let Some((_, d)) = self.pending.front() {
                    let d = *d;
                    self.timer = Some(d);
                    self.push(d, Lifecycle::Timeout);
                }
            }
        }
    }

    fn sync(&mut self, i: usize) {
        let (next, waiting) = match self.replicas[i].as_ref() {
            Some(r) => (r.next_event(), r.waiting_len() as u32),
            None => (None, 0),
        };
        self.timers.set(i, next);
        // Every change of a replica's load (a request routed, steps finishing some, all
        // failed at once) ends here.
        self.router.set_load(i, self.load[i]);
        self.waiting_sum = self.waiting_sum + waiting as u64 - self.waiting[i] as u64;
        self.waiting[i] = waiting;
        self.note_waiting();
    }

    fn note_waiting(&mut self) {
        self.metrics
            .set_waiting(self.now, self.waiting_sum + self.pending.len() as u64);
    }

    fn route(&mut self, req: Request, now: f64) {
        if self.waiting_sum + self.pending.len() as u64 >= self.max_backlog {
            self.fail(now, BACKLOG_LIMIT);
            return;
        }
        if self.accepting.is_empty() {
            let deadline = req.arrival_s + self.hold_s;
            if deadline <= now {
                self.fail(now, NO_READY_REPLICA);
                return;
            }
            self.pending.push_back((req, deadline));
            self.note_waiting();
            if self.timer.is_none() {
                self.timer = Some(deadline);
                self.push(deadline, Lifecycle::Timeout);
            }
            return;
        }
        let i = self.router.pick(&self.accepting, req.prefix.map(|p| p.0));
        if self.dead[i] {
            self.fail(now, REPLICA_UNREACHABLE);
            return;
        }
        if req.prompt_tokens as u64 + req.output_tokens as u64 > self.spans[i].max_model_len as u64 {
            self.fail(now, CONTEXT_TOO_LONG);
            return;
        }
        // An accepting replica has an engine from its Ready until its Gone or Dead, and a
        // dead one was turned away above; should that ever not hold, the request fails as
        // sent to a replica that cannot answer rather than stopping the run.
        let Some(replica) = self.replicas[i].as_mut() else {
            self.fail(now, REPLICA_UNREACHABLE);
            return;
        };
        replica.submit(req, now);
        self.load[i] += 1;
        self.sync(i);
    }

    fn fail_all(&mut self, i: usize, now: f64, reason: &'static str) {
        let mut lost = 0;
        if let Some(r) = self.replicas[i].as_mut() {
            self.busy[i] = r.busy_until(now);
            self.kv_peak[i] = self.kv_peak[i].max(r.kv_cache_peak());
            lost = r.drain().len();
        }
        if let Some(since) = self.engine_since[i].take() {
            self.engine_s[i] += (now - since).max(0.0);
        }
        for _ in 0..lost {
            self.fail(now, reason);
        }
        self.load[i] = 0;
        self.replicas[i] = None;
        self.sync(i);
    }

    fn step(&mut self, i: usize) {
        let Loop {
            replicas,
            metrics,
            completed,
            load,
            exported,
            stats,
            recent,
            ..
        } = self;
        if let Some(r) = replicas[i].as_mut() {
            r.advance(&mut Recorder {
                metrics,
                completed: &mut completed[i],
                load: &mut load[i],
                exported: exported.as_mut().and_then(|e| e.get_mut(i)),
                stat: stats.as_mut().and_then(|s| s.get_mut(i)),
                recent: recent.as_mut(),
            });
        }
        self.sync(i);
    }
}

pub fn simulate(spec: &ServiceSpec) -> ServiceResult {
    simulate_observed(spec, None)
}

/// `simulate`, reporting how far it has got to `progress`.
pub(crate) fn simulate_observed(spec: &ServiceSpec, progress: Option<&Progress>) -> ServiceResult {
    run(spec, progress, MAX_BACKLOG)
}

fn run(spec: &ServiceSpec, progress: Option<&Progress>, max_backlog: u64) -> ServiceResult {
    let mut run = ServiceRun::new(spec, max_backlog);
    for span in &spec.spans {
        let i = run.add_replica(span.clone());
        if let Some(t) = span.stop_s {
            run.stop(i, t);
        }
        if let Some(t) = span.gone_s {
            run.gone(i, t);
        }
        if let Some(t) = span.dead_s {
            run.dead(i, t);
        }
    }
    run.finish_observed(progress)
}

/// One service's requests, run step by step as the cluster reports its replicas: a
/// replica is added when its pod is Ready and told when its endpoint goes, its pod is
/// gone or its node dies. The serving side never runs ahead of what the cluster has
/// reported: `advance_before(t)` handles what is due before `t`, and a change reported
/// at `t` then still comes first among the events of `t`. Fed this way, it gives the
/// same result as [`simulate`] given every span up front.
pub(crate) struct ServiceRun<'a>(Loop<'a>);

impl<'a> ServiceRun<'a> {
    /// The service with its traffic drawn and no replicas (`spec.spans` is not read).
    pub(crate) fn new(spec: &'a ServiceSpec<'a>, max_backlog: u64) -> ServiceRun<'a> {
        let mut lp = Loop {
            spec,
            spans: Vec::new(),
            max_backlog,
            lifecycle: EventQueue::default(),
            sources: spec
                .traffic
                .iter()
                .map(|(t, stream)| Source::new(t, spec.seed, *stream))
                .collect(),
            draws: Vec::new(),
            timers: Timers::new(0),
            replicas: Vec::new(),
            dead: Vec::new(),
            accepting: Vec::new(),
            load: Vec::new(),
            completed: Vec::new(),
            busy: Vec::new(),
            kv_peak: Vec::new(),
            engine_s: Vec::new(),
            engine_since: Vec::new(),
            busy_window: 0,
            // No window to measure when it has no width (the scenario requires one).
            busy_window_end: if spec.window_s > 0.0 && spec.window_s.is_finite() {
                spec.window_s
            } else {
                f64::INFINITY
            },
            busy_at_start: (0.0, 0.0),
            pending: VecDeque::new(),
            timer: None,
            router: Router::new(spec.router, {
                let mut r = ChaCha8Rng::seed_from_u64(spec.seed ^ 0x726f_7574_6572);
                r.set_stream(spec.traffic.first().map(|t| t.1).unwrap_or(0));
                r
            }),
            metrics: ModelMetrics::new(spec.window_s, spec.slo.clone()),
            next_id: 0,
            waiting: Vec::new(),
            waiting_sum: 0,
            now: 0.0,
            windows: spec.attribution.clone(),
            attributed: vec![0; spec.attribution.len()],
            exported: None,
            stats: None,
            next_stat: f64::INFINITY,
            recent: None,
            waiting_for: None,
            waits: Vec::new(),
            hold_s: spec.timeout_s,
        };
        lp.draws = (0..lp.sources.len()).map(|_| None).collect();
        for s in 0..lp.sources.len() {
            lp.draw(s);
        }
        ServiceRun(lp)
    }

    /// A replica whose pod became Ready at `span.ready_s` (not before what has been
    /// handled). Its end is told apart, when it happens: `stop`, `gone`, `dead`.
    pub(crate) fn add_replica(&mut self, span: ReplicaSpan) -> usize {
        let lp = &mut self.0;
        let i = lp.timers.add();
        lp.replicas.push(None);
        lp.dead.push(false);
        lp.load.push(0);
        lp.completed.push(0);
        lp.busy.push(0.0);
        lp.kv_peak.push(0.0);
        lp.engine_s.push(0.0);
        lp.engine_since.push(None);
        lp.waiting.push(0);
        if let Some(e) = lp.exported.as_mut() {
            e.push(VllmCounters::default());
        }
        if let Some(s) = lp.stats.as_mut() {
            let log = StatLog::new(span.ready_s);
            lp.next_stat = lp.next_stat.min(log.next_at());
            s.push(log);
        }
        let ready = span.ready_s;
        lp.spans.push(ReplicaSpan {
            stop_s: None,
            gone_s: None,
            dead_s: None,
            ..span
        });
        lp.push(ready, Lifecycle::Ready(i));
        i
    }

    /// Replica `i`'s endpoint is removed at `t`.
    pub(crate) fn stop(&mut self, i: usize, t: f64) {
        self.0.spans[i].stop_s = Some(t);
        self.0.push(t, Lifecycle::Stop(i));
    }

    /// Replica `i`'s pod is gone at `t`: what it still holds fails.
    pub(crate) fn gone(&mut self, i: usize, t: f64) {
        self.0.spans[i].gone_s = Some(t);
        self.0.push(t, Lifecycle::Gone(i));
    }

    /// Replica `i`'s node dies at `t`.
    pub(crate) fn dead(&mut self, i: usize, t: f64) {
        self.0.spans[i].dead_s = Some(t);
        self.0.push(t, Lifecycle::Dead(i));
    }

    /// Keeps each replica's vLLM counters from now on, for `scrape`.
    pub(crate) fn export_metrics(&mut self) {
        let lp = &mut self.0;
        if lp.exported.is_none() {
            lp.exported = Some(vec![VllmCounters::default(); lp.spans.len()]);
        }
    }

    /// Keeps each replica's stat logger from now on, for `stat_lines`.
    pub(crate) fn keep_stat_logs(&mut self) {
        let lp = &mut self.0;
        if lp.stats.is_none() {
            let logs: Vec<StatLog> = lp.spans.iter().map(|s| StatLog::new(s.ready_s)).collect();
            lp.next_stat = logs.iter().map(StatLog::next_at).fold(f64::INFINITY, f64::min);
            lp.stats = Some(logs);
        }
    }

    /// The stat logger's lines of replica `i` printed before `t` (the loop advanced to
    /// `t`), oldest first; none without `keep_stat_logs`.
    pub(crate) fn stat_lines(&self, i: usize, t: f64) -> Vec<StatLine> {
        let lp = &self.0;
        let Some(log) = lp.stats.as_ref().and_then(|s| s.get(i)) else {
            return Vec::new();
        };
        let mut lines = log.lines.clone();
        if let Some(state) = lp.scheduler_state(i) {
            lines.extend(log.pending(t, state));
        }
        lines
    }

    /// Keeps the TTFTs of the last minute from now on, for `recent_ttft`.
    pub(crate) fn keep_recent(&mut self) {
        let lp = &mut self.0;
        if lp.recent.is_none() {
            lp.recent = Some(Recent::default());
        }
    }

    /// TTFT quantiles of the requests whose first token came in the last minute up to
    /// `t` (the loop advanced to `t`); none when `keep_recent` was not called or no
    /// request counts.
    pub(crate) fn recent_ttft(&self, t: f64) -> Option<RecentTtft> {
        self.0.recent.as_ref()?.read(t)
    }

    /// What replica `i` exports at `t` (the loop advanced to `t`): none once its pod is
    /// gone, its node dead or before its engine started.
    pub(crate) fn scrape(&self, i: usize, t: f64) -> Option<ReplicaScrape<'_>> {
        let lp = &self.0;
        let r = lp.replicas.get(i)?.as_ref()?;
        if lp.dead[i] {
            return None;
        }
        let waiting = r.waiting_len() as u32;
        Some(ReplicaScrape {
            pod: &lp.spans[i].pod,
            ready_s: lp.spans[i].ready_s,
            running: r.outstanding() as u32 - waiting,
            waiting,
            kv_cache_usage: r.kv_cache_usage(),
            busy_s: r.busy_until(t),
            counters: lp.exported.as_ref()?.get(i)?,
        })
    }

    /// The pod replica `i` runs in.
    pub(crate) fn replica_pod(&self, i: usize) -> &str {
        self.0.spans.get(i).map_or("", |s| s.pod.as_str())
    }

    /// The replicas added so far.
    pub(crate) fn replica_count(&self) -> usize {
        self.0.spans.len()
    }

    /// (requests on the replicas that take requests, requests the router holds for want
    /// of one) now: what the replicas' queue-proxies and Knative's activator would count.
    pub(crate) fn in_flight(&self) -> (u64, u64) {
        let lp = &self.0;
        let on: u64 = lp.accepting.iter().map(|&i| lp.load[i] as u64).sum();
        (on, lp.pending.len() as u64)
    }

    /// Requests that have arrived so far.
    pub(crate) fn arrived(&self) -> u64 {
        self.0.metrics.arrived_count()
    }

    /// When the next request arrives (drawn ahead, not yet handled), if one will.
    pub(crate) fn next_arrival(&self) -> Option<f64> {
        self.0
            .draws
            .iter()
            .filter_map(|d| d.as_ref().map(|(key, _)| time_of(key.0)))
            .min_by(f64::total_cmp)
    }

    /// From now on a request waits for a ready replica at most `limit_s` (never longer
    /// than the traffic's own timeout); `None` lifts the limit. Requests already held keep
    /// their deadline.
    pub(crate) fn limit_hold(&mut self, limit_s: Option<f64>) {
        let lp = &mut self.0;
        lp.hold_s = limit_s.map_or(lp.spec.timeout_s, |l| l.min(lp.spec.timeout_s));
    }

    /// From the next request on, arrivals and failures are counted under `cause` (or
    /// under none): capacity was asked for and is not serving yet, for this reason.
    pub(crate) fn set_waiting_for(&mut self, cause: Option<usize>) {
        let lp = &mut self.0;
        if let Some(c) = cause {
            if lp.waits.len() <= c {
                lp.waits.resize(c + 1, [0, 0]);
            }
        }
        lp.waiting_for = cause;
    }

    /// Per cause index: requests that arrived, and that failed, while it held.
    pub(crate) fn waits(&self) -> &[[u64; 2]] {
        &self.0.waits
    }

    /// Starts counting failed requests apart from `from` on (a fault struck); what fails
    /// at `from` itself counts. Returns the window's number for `close_window`.
    pub(crate) fn open_window(&mut self, from: f64) -> usize {
        self.0.windows.push((from, f64::INFINITY));
        self.0.attributed.push(0);
        self.0.windows.len() - 1
    }

    /// Ends window `w` at `until`; what fails at `until` itself still counts.
    pub(crate) fn close_window(&mut self, w: usize, until: f64) {
        if let Some(window) = self.0.windows.get_mut(w) {
            window.1 = until;
        }
    }

    /// Handles everything due before `t` (and not after the run's end).
    pub(crate) fn advance_before(&mut self, t: f64) {
        let lp = &mut self.0;
        while let Some((now, next)) = lp.next_event() {
            if now >= t || now > lp.spec.end_s {
                break;
            }
            lp.handle(next, now);
        }
    }

    /// Handles what is left up to the run's end, and closes the accounts, reporting how
    /// far it has got to `progress`.
    pub(crate) fn finish_observed(mut self, progress: Option<&Progress>) -> ServiceResult {
        let end = self.0.spec.end_s;
        let lp = &mut self.0;
        let mut turns: u32 = 0;
        while let Some((now, next)) = lp.next_event() {
            if now > end {
                break;
            }
            turns = turns.wrapping_add(1);
            if let (Some(p), true) = (progress, turns.is_multiple_of(65_536)) {
                p.set(Phase::Requests, now, end);
            }
            lp.handle(next, now);
        }
        // The last window, cut at the run's end.
        if lp.busy_window_end.is_finite() {
            lp.busy_window_end = lp.busy_window_end.min(end);
            lp.close_busy_window(end);
        }
        let lp = self.0;
        let mut in_flight = lp.pending.len() as u64;
        let mut busy = lp.busy;
        let mut kv_peak = lp.kv_peak;
        for (i, r) in lp.replicas.iter().enumerate() {
            if let Some(r) = r {
                in_flight += r.outstanding() as u64;
                busy[i] = r.busy_until(end);
                kv_peak[i] = kv_peak[i].max(r.kv_cache_peak());
            }
        }
        let replicas = lp
            .spans
            .iter()
            .enumerate()
            .map(|(i, s)| ReplicaUse {
                pod: s.pod.clone(),
                node: s.node.clone(),
                gpus: s.gpus,
                busy_s: busy[i],
                completed: lp.completed[i],
                kv_cache_peak: kv_peak[i],
            })
            .collect();
        ServiceResult {
            metrics: lp.metrics,
            replicas,
            in_flight,
            attributed_failures: lp.attributed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serving::replica::Limits;
    use crate::traffic::arrivals::{Interarrival, RateSchedule};
    use crate::traffic::source::Pattern;
    use crate::traffic::tokens::LengthDist;

    fn replica(pod: &str, ready_s: f64, ends: (Option<f64>, Option<f64>, Option<f64>)) -> ReplicaSpan {
        let catalog = crate::catalog::Catalog::bundled();
        let (card, arch) = crate::serving::steptime::llama_8b_shapes();
        let Some(gpu) = catalog.gpu("H100-SXM") else {
            panic!("the bundled catalog has the H100");
        };
        let args = crate::serving::args::VllmArgs::default();
        ReplicaSpan {
            pod: pod.into(),
            node: "node".into(),
            gpus: 1,
            ready_s,
            stop_s: ends.0,
            gone_s: ends.1,
            dead_s: ends.2,
            cost: StepCost::new(&card, &arch, gpu, &args, &catalog.vllm),
            limits: Limits {
                block_size: 16,
                num_blocks: 20_000,
                max_num_seqs: 64,
                max_num_batched_tokens: 8192,
                prefix_caching: false,
            },
            max_model_len: 32_768,
        }
    }

    /// What a run produced, in a form two runs can be compared by.
    fn fingerprint(r: ServiceResult, end_s: f64) -> String {
        let report = r.metrics.finish(end_s, r.in_flight, end_s);
        format!(
            "{}\n{:?}\n{}\n{:?}",
            serde_json::to_string(&report).unwrap_or_default(),
            r.replicas,
            r.in_flight,
            r.attributed_failures
        )
    }

    #[test]
    fn replicas_reported_as_the_cluster_goes_give_the_run_of_all_spans_known_up_front() {
        let traffic = TrafficSpec {
            pattern: Pattern::Synthetic {
                arrival: Interarrival::Poisson,
                rates: RateSchedule::constant(20.0),
                prompt: LengthDist::Fixed(1000),
                output: LengthDist::Fixed(200),
            },
            // Traffic starts on the instant the first replica is Ready.
            start_s: 30.0,
            stop_s: Some(500.0),
            prefix: None,
        };
        // A trace whose requests arrive on the very instants the replicas change: the
        // change must come first whether it was known up front or reported at the instant.
        let on_the_instants = TrafficSpec {
            pattern: Pattern::Trace {
                requests: [30, 120, 190, 200, 230, 300, 400, 430]
                    .iter()
                    .map(|s| crate::traffic::trace::TraceRequest {
                        offset: crate::units::SimDuration(s * 1000),
                        input_tokens: 500,
                        output_tokens: 50,
                    })
                    .collect(),
                repeat: false,
                speed: 1.0,
            },
            start_s: 0.0,
            stop_s: None,
            prefix: None,
        };
        // A rolling replacement, a deletion while serving, a node that dies.
        let spans = vec![
            replica("a", 30.0, (Some(200.0), Some(230.0), None)),
            replica("b", 120.0, (None, None, Some(300.0))),
            replica("c", 190.0, (Some(400.0), Some(400.0), None)),
            replica("d", 430.0, (None, None, None)),
        ];
        let spec = ServiceSpec {
            spans: spans.clone(),
            traffic: vec![(&traffic, 0), (&on_the_instants, 1)],
            router: RouterPolicy::LeastOutstanding,
            timeout_s: 30.0,
            slo: vec![],
            window_s: 60.0,
            end_s: 600.0,
            fidelity: Fidelity::Fast,
            seed: 7,
            attribution: vec![(300.0, 320.0)],
        };
        let batch = fingerprint(run(&spec, None, MAX_BACKLOG), spec.end_s);

        // The cluster reports each change at its instant, and serving is advanced to it
        // first: a Ready adds the replica, a later end is told when it happens.
        let mut changes: Vec<(f64, usize, &str)> = Vec::new();
        for (i, s) in spans.iter().enumerate() {
            changes.push((s.ready_s, i, "ready"));
            for (t, what) in [(s.stop_s, "stop"), (s.gone_s, "gone"), (s.dead_s, "dead")] {
                if let Some(t) = t {
                    changes.push((t, i, what));
                }
            }
        }
        changes.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let unfed = ServiceSpec {
            spans: Vec::new(),
            ..spec
        };
        let mut live = ServiceRun::new(&unfed, MAX_BACKLOG);
        let mut index = vec![usize::MAX; spans.len()];
        for (t, i, what) in changes {
            live.advance_before(t);
            match what {
                "ready" => index[i] = live.add_replica(spans[i].clone()),
                "stop" => live.stop(index[i], t),
                "gone" => live.gone(index[i], t),
                _ => live.dead(index[i], t),
            }
        }
        let incremental = fingerprint(live.finish_observed(None), spec.end_s);
        assert!(batch.contains("\"completed\""), "{batch}");
        assert_eq!(batch, incremental);
    }

    #[test]
    fn the_last_minute_of_ttfts_is_kept_on_request_and_changes_nothing() {
        let traffic = TrafficSpec {
            pattern: Pattern::Synthetic {
                arrival: Interarrival::Poisson,
                rates: RateSchedule::constant(2.0),
                prompt: LengthDist::Fixed(1000),
                output: LengthDist::Fixed(100),
            },
            start_s: 0.0,
            stop_s: Some(300.0),
            prefix: None,
        };
        let spec = ServiceSpec {
            spans: Vec::new(),
            traffic: vec![(&traffic, 0)],
            router: RouterPolicy::RoundRobin,
            timeout_s: 30.0,
            slo: vec![],
            window_s: 60.0,
            end_s: 600.0,
            fidelity: Fidelity::Fast,
            seed: 5,
            attribution: vec![],
        };
        let feed = |keep: bool| {
            let mut live = ServiceRun::new(&spec, MAX_BACKLOG);
            if keep {
                live.keep_recent();
            }
            live.add_replica(replica("a", 0.0, (None, None, None)));
            live.advance_before(120.0);
            let at_120 = live.recent_ttft(120.0);
            live.advance_before(400.0);
            let at_400 = live.recent_ttft(400.0);
            (at_120, at_400, live.finish_observed(None))
        };
        let (none, _, plain) = feed(false);
        assert_eq!(none, None);
        let (at_120, at_400, kept) = feed(true);
        assert_eq!(fingerprint(plain, spec.end_s), fingerprint(kept, spec.end_s));
        // About two requests a second over the minute, each alone on an idle H100: a
        // prefill of a thousand tokens, tens of milliseconds.
        let q = at_120.unwrap_or_else(|| panic!("requests in the minute before 120 s"));
        assert!((60..=200).contains(&q.count), "{q:?}");
        assert!(q.p50_ms > 1.0 && q.p50_ms <= q.p95_ms && q.p95_ms < 1000.0, "{q:?}");
        // The traffic stopped at 300 s: nothing in the minute before 400 s.
        assert_eq!(at_400, None);
    }

    #[test]
    fn each_window_busy_share_is_of_the_engine_time_within_it() {
        let traffic = TrafficSpec {
            pattern: Pattern::Synthetic {
                arrival: Interarrival::Poisson,
                rates: RateSchedule::constant(5.0),
                prompt: LengthDist::Fixed(1000),
                output: LengthDist::Fixed(200),
            },
            start_s: 30.0,
            stop_s: Some(500.0),
            prefix: None,
        };
        // Ready half-way through the first window; a second replica from 200 s to 320 s.
        let spec = ServiceSpec {
            spans: vec![
                replica("a", 30.0, (None, None, None)),
                replica("b", 200.0, (Some(320.0), Some(320.0), None)),
            ],
            traffic: vec![(&traffic, 0)],
            router: RouterPolicy::RoundRobin,
            timeout_s: 30.0,
            slo: vec![],
            window_s: 60.0,
            end_s: 600.0,
            fidelity: Fidelity::Fast,
            seed: 3,
            attribution: vec![],
        };
        let result = run(&spec, None, MAX_BACKLOG);
        let busy: f64 = result.replicas.iter().map(|r| r.busy_s).sum();
        let report = result.metrics.finish(spec.end_s, result.in_flight, spec.end_s);
        // Engine seconds in the window starting at `t`: a from 30 s, b from 200 s to 320 s.
        let engine = |t: f64| {
            let span = |from: f64, to: f64| (to.min(t + 60.0) - from.max(t)).max(0.0);
            span(30.0, 600.0) + span(200.0, 320.0)
        };
        let mut measured = 0.0;
        for w in &report.windows {
            let share = w
                .busy_fraction
                .unwrap_or_else(|| panic!("window {} ran engines", w.t_s));
            assert!((0.0..=1.0).contains(&share), "window {}: {share}", w.t_s);
            measured += share * engine(w.t_s);
        }
        // Every second of engine time in steps falls in a reported window (the traffic
        // ends at 500 s and its last answers within seconds), each share to 4 decimals.
        assert!(busy > 0.0);
        assert!(
            (measured - busy).abs() <= 1e-4 * 60.0 * report.windows.len() as f64,
            "{measured} against {busy}"
        );
    }

    #[test]
    fn an_overload_past_the_backlog_limit_fails_requests_instead_of_growing_memory() {
        // 100 requests/s at a Llama-3.1-8B replica on an H100 that serves one at a time,
        // each for seconds.
        let catalog = crate::catalog::Catalog::bundled();
        let (card, arch) = crate::serving::steptime::llama_8b_shapes();
        let Some(gpu) = catalog.gpu("H100-SXM") else {
            panic!("the bundled catalog has the H100");
        };
        let args = crate::serving::args::VllmArgs::default();
        let cost = StepCost::new(&card, &arch, gpu, &args, &catalog.vllm);
        let traffic = TrafficSpec {
            pattern: Pattern::Synthetic {
                arrival: Interarrival::Poisson,
                rates: RateSchedule::constant(100.0),
                prompt: LengthDist::Fixed(2000),
                output: LengthDist::Fixed(500),
            },
            start_s: 0.0,
            stop_s: Some(10.0),
            prefix: None,
        };
        let spec = ServiceSpec {
            spans: vec![ReplicaSpan {
                pod: "replica".into(),
                node: "node".into(),
                gpus: 1,
                ready_s: 0.0,
                stop_s: None,
                gone_s: None,
                dead_s: None,
                cost,
                limits: Limits {
                    block_size: 16,
                    num_blocks: 100_000,
                    max_num_seqs: 1,
                    max_num_batched_tokens: 8192,
                    prefix_caching: false,
                },
                max_model_len: 131_072,
            }],
            traffic: vec![(&traffic, 0)],
            router: RouterPolicy::Random,
            timeout_s: 30.0,
            slo: vec![],
            window_s: 60.0,
            end_s: 20.0,
            fidelity: Fidelity::Fast,
            seed: 1,
            attribution: Vec::new(),
        };
        let limited = run(&spec, None, 50);
        let turned_away = limited.metrics.failed.get(BACKLOG_LIMIT).copied().unwrap_or(0);
        assert!(turned_away > 800, "{turned_away} requests turned away");
        // Never more than the limit waiting, plus the one running.
        assert!(limited.in_flight <= 51, "{}", limited.in_flight);
        let unlimited = run(&spec, None, MAX_BACKLOG);
        assert_eq!(unlimited.metrics.failed.get(BACKLOG_LIMIT), None);
        assert!(unlimited.in_flight > 900, "{}", unlimited.in_flight);
    }
}
