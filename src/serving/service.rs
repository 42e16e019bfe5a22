//! The requests of one InferenceService over a run: its traffic streams arrive, the router
//! sends each to a ready replica (or holds it until one is ready, failing it with 503 after
//! the timeout), replicas batch them as vLLM does, and a replica whose pod is deleted stops
//! receiving requests and fails what it still holds when the pod is gone.

use super::metrics::{ModelMetrics, SloTerm};
use super::replica::{Fidelity, Limits, Outcome, Replica, Request, Sink};
use super::router::{Candidate, Router, RouterPolicy};
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

/// An arrival's order key: its time's bits and an insertion number from the lifecycle
/// queue's count, so arrivals and lifecycle events at one instant keep their order.
type ArrivalKey = (u64, u64);

struct Recorder<'m> {
    metrics: &'m mut ModelMetrics,
    completed: &'m mut u64,
    load: &'m mut u32,
}

impl Sink for Recorder<'_> {
    fn finished(&mut self, req: &Request, outcome: &Outcome, at: f64) {
        *self.completed += 1;
        *self.load -= 1;
        self.metrics
            .completed(at, outcome, req.prompt_tokens, req.output_tokens);
    }
}

/// The service's event loop. Lifecycle changes and timeouts wait in a queue ordered by
/// time then insertion; each stream's next arrival waits beside them with its own
/// insertion number (one at a time per stream, so a scan beats a heap). Replica step ends
/// live in `Timers` and come after these at the same instant: vLLM's scheduler sees every
/// request queued by a step's start.
struct Loop<'a> {
    spec: &'a ServiceSpec<'a>,
    /// `MAX_BACKLOG`, lower in tests.
    max_backlog: u64,
    lifecycle: EventQueue<u64, Lifecycle>,
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
    pending: VecDeque<(Request, f64)>,
    timer: Option<f64>,
    router: Router,
    metrics: ModelMetrics,
    next_id: u64,
    candidates: Vec<Candidate>,
    /// Each replica's waiting queue length when last seen, and their sum.
    waiting: Vec<u32>,
    waiting_sum: u64,
    /// The time of the event being handled.
    now: f64,
    attributed: Vec<u64>,
}

impl Loop<'_> {
    fn fail(&mut self, now: f64, reason: &'static str) {
        self.metrics.failed(now, reason);
        for (i, (from, until)) in self.spec.attribution.iter().enumerate() {
            if *from <= now && now <= *until {
                self.attributed[i] += 1;
            }
        }
    }

    fn push(&mut self, t: f64, ev: Lifecycle) {
        self.lifecycle.push(t.max(0.0).to_bits(), ev);
    }

    /// Draws stream `s`'s next arrival, keyed to order among the lifecycle events.
    fn draw(&mut self, s: usize) {
        let next = self.sources[s].draw();
        let key = next
            .as_ref()
            .map(|d| (d.at_s.max(0.0).to_bits(), self.lifecycle.stamp()));
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
        let other = first.map(|(bits, next)| (f64::from_bits(bits), next));
        match (other, self.timers.peek()) {
            (Some((t, next)), Some((s, _))) if t <= s => Some((t, next)),
            (Some(other), None) => Some(other),
            (_, Some((s, i))) => Some((s, Next::Step(i))),
            (None, None) => None,
        }
    }

    fn handle(&mut self, next: Next, now: f64) {
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

    fn arrive(&mut self, s: usize, now: f64) {
        let Some((_, d)) = self.draws[s].take() else {
            return;
        };
        self.metrics.arrived(now);
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
                let s = &self.spec.spans[i];
                if s.stop_s.is_some_and(|t| t <= now) {
                    return;
                }
                self.replicas[i] = Some(Replica::new(s.cost, s.limits, self.spec.fidelity));
                let at = self.accepting.partition_point(|&x| x < i);
                self.accepting.insert(at, i);
                for (req, _) in std::mem::take(&mut self.pending) {
                    self.route(req, now);
                }
            }
            Lifecycle::Stop(i) => self.accepting.retain(|&x| x != i),
            Lifecycle::Gone(i) => {
                self.accepting.retain(|&x| x != i);
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
            let deadline = req.arrival_s + self.spec.timeout_s;
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
        let i = if self.router.needs_load() {
            self.candidates.clear();
            for &i in &self.accepting {
                self.candidates.push(Candidate {
                    replica: i,
                    outstanding: self.load[i] as usize,
                });
            }
            self.router.pick(&self.candidates, req.prefix.map(|p| p.0))
        } else {
            self.accepting[self.router.pick_index(self.accepting.len())]
        };
        if self.dead[i] {
            self.fail(now, REPLICA_UNREACHABLE);
            return;
        }
        if req.prompt_tokens as u64 + req.output_tokens as u64 > self.spec.spans[i].max_model_len as u64 {
            self.fail(now, CONTEXT_TOO_LONG);
            return;
        }
        self.replicas[i]
            .as_mut()
            .expect("accepting replicas exist")
            .submit(req, now);
        self.load[i] += 1;
        self.sync(i);
    }

    fn fail_all(&mut self, i: usize, now: f64, reason: &'static str) {
        let mut lost = 0;
        if let Some(r) = self.replicas[i].as_mut() {
            self.busy[i] = r.busy_until(now);
            lost = r.drain().len();
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
            ..
        } = self;
        if let Some(r) = replicas[i].as_mut() {
            r.advance(&mut Recorder {
                metrics,
                completed: &mut completed[i],
                load: &mut load[i],
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
    let n = spec.spans.len();
    let mut lp = Loop {
        spec,
        max_backlog,
        lifecycle: EventQueue::default(),
        sources: spec
            .traffic
            .iter()
            .map(|(t, stream)| Source::new(t, spec.seed, *stream))
            .collect(),
        draws: Vec::new(),
        timers: Timers::new(n),
        replicas: (0..n).map(|_| None).collect(),
        dead: vec![false; n],
        accepting: Vec::new(),
        load: vec![0; n],
        completed: vec![0; n],
        busy: vec![0.0; n],
        pending: VecDeque::new(),
        timer: None,
        router: Router::new(spec.router, {
            let mut r = ChaCha8Rng::seed_from_u64(spec.seed ^ 0x726f_7574_6572);
            r.set_stream(spec.traffic.first().map(|t| t.1).unwrap_or(0));
            r
        }),
        metrics: ModelMetrics::new(spec.window_s, spec.slo.clone()),
        next_id: 0,
        candidates: Vec::new(),
        waiting: vec![0; n],
        waiting_sum: 0,
        now: 0.0,
        attributed: vec![0; spec.attribution.len()],
    };
    for (i, s) in spec.spans.iter().enumerate() {
        lp.push(s.ready_s, Lifecycle::Ready(i));
        if let Some(t) = s.stop_s {
            lp.push(t, Lifecycle::Stop(i));
        }
        if let Some(t) = s.gone_s {
            lp.push(t, Lifecycle::Gone(i));
        }
        if let Some(t) = s.dead_s {
            lp.push(t, Lifecycle::Dead(i));
        }
    }
    lp.draws = (0..lp.sources.len()).map(|_| None).collect();
    for s in 0..lp.sources.len() {
        lp.draw(s);
    }
    let mut turns: u32 = 0;
    while let Some((now, next)) = lp.next_event() {
        if now > spec.end_s {
            break;
        }
        turns = turns.wrapping_add(1);
        if let (Some(p), true) = (progress, turns.is_multiple_of(65_536)) {
            p.set(Phase::Requests, now, spec.end_s);
        }
        lp.handle(next, now);
    }
    let mut in_flight = lp.pending.len() as u64;
    for (i, r) in lp.replicas.iter().enumerate() {
        if let Some(r) = r {
            in_flight += r.outstanding() as u64;
            lp.busy[i] = r.busy_until(spec.end_s);
        }
    }
    let replicas = spec
        .spans
        .iter()
        .enumerate()
        .map(|(i, s)| ReplicaUse {
            pod: s.pod.clone(),
            node: s.node.clone(),
            gpus: s.gpus,
            busy_s: lp.busy[i],
            completed: lp.completed[i],
        })
        .collect();
    ServiceResult {
        metrics: lp.metrics,
        replicas,
        in_flight,
        attributed_failures: lp.attributed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serving::replica::Limits;
    use crate::traffic::arrivals::{Interarrival, RateSchedule};
    use crate::traffic::source::Pattern;
    use crate::traffic::tokens::LengthDist;

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
