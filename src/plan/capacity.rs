//! The capacity of a serving configuration: the highest request rate its replicas serve
//! within the SLO, and the rate at which they saturate.
//!
//! A configuration is what a run's replicas of one service were — model card, GPU,
//! tensor parallelism, vLLM's arguments and the KV cache their memory left, the router —
//! and its traffic's token lengths. A probe serves a constant Poisson rate to those
//! replicas, all ready from the start, for a fixed stretch of simulated time (the cluster
//! is not run again: only the service's loop). The same seed draws the same requests at
//! every rate, stretched in time, so the search compares like with like.

use crate::serving::metrics::SloTerm;
use crate::serving::router::RouterPolicy;
use crate::serving::service::{simulate, ReplicaSpan, ServiceSpec};
use crate::traffic::arrivals::RateSchedule;
use crate::traffic::source::{Pattern, TrafficSpec};
use serde::{Deserialize, Serialize};

/// A configuration to probe.
#[derive(Debug, Clone)]
pub struct Probe {
    /// What is probed, for people: model card, GPUs, vLLM limits, replicas.
    pub description: String,
    pub replicas: Vec<ReplicaSpan>,
    /// The stream whose rate the probe sets (its lengths, prefixes and arrival process kept).
    pub traffic: TrafficSpec,
    pub router: RouterPolicy,
    pub timeout_s: f64,
    pub slo: Vec<SloTerm>,
    pub duration_s: f64,
    pub fidelity: crate::serving::replica::Fidelity,
    pub seed: u64,
}

/// What one probe measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    pub rate_rps: f64,
    pub arrived: u64,
    pub completed: u64,
    pub failed: u64,
    /// Of `failed`, those refused for their own length (`context_length_exceeded_400`),
    /// which no capacity would serve.
    pub too_long: u64,
    pub ttft_p95_ms: Option<f64>,
    pub tpot_p95_ms: Option<f64>,
    pub e2e_p95_ms: Option<f64>,
    pub output_tokens_per_s: f64,
    /// Sequences the replicas can run at once (Σ max-num-seqs).
    pub batch_slots: u64,
    /// Each SLO term's measured value (ms) and whether it held.
    pub slo: Vec<(String, Option<f64>, bool)>,
}

impl Measured {
    /// Every SLO term held and no request failed for want of capacity.
    pub(crate) fn holds(&self) -> bool {
        self.slo_holds()
    }
    /// The latency terms are measured on the requests that finished; one that keeps falling
    /// behind has its misses in the queue, so keeping up is part of holding the SLO.
    fn slo_holds(&self) -> bool {
        self.failed == self.too_long && self.keeps_up() && self.slo.iter().all(|t| t.2)
    }
    /// Completes what arrives: what is left at the end is no more than a steady state holds
    /// in flight (Little's law: the rate times the 95th-percentile time a request takes, at
    /// most the replicas' batch slots) plus 3% of the arrivals. Overload leaves a backlog that grows with the probe instead.
    fn keeps_up(&self) -> bool {
        if self.arrived == 0 {
            return false;
        }
        let left = self.arrived.saturating_sub(self.completed + self.failed) as f64;
        // Capped by what the replicas can run at once: in overload the time a request takes
        // grows without bound, but the batches do not.
        let in_flight = (self.rate_rps * self.e2e_p95_ms.unwrap_or(0.0) / 1000.0).min(self.batch_slots as f64);
        left <= 0.03 * self.arrived as f64 + in_flight
    }
}

/// The answer for one configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capacity {
    /// The highest rate (requests/s) within every SLO term; absent without an SLO, or when
    /// even the lowest rate tried misses it.
    pub slo_rps: Option<f64>,
    /// The SLO term that fails first above `slo_rps`.
    pub limited_by: Option<String>,
    /// The probe at `slo_rps`.
    pub at_slo: Option<Measured>,
    /// The highest rate the replicas keep up with (complete ≥ 97% of arrivals over the probe).
    pub saturation_rps: f64,
    /// Output tokens/s they produce at saturation.
    pub saturation_output_tokens_per_s: f64,
    /// Probes run.
    pub probes: u32,
}

/// Rates are searched to this relative precision.
const PRECISION: f64 = 0.01;
/// The search gives up above this rate (requests/s per replica): far beyond any GPU.
const MAX_RATE_PER_REPLICA: f64 = 10_000.0;
/// Below this rate a configuration is said to hold nothing.
pub(crate) const MIN_RATE_RPS: f64 = 0.01;

impl Probe {
    /// Serves `rate` requests/s for the probe's duration.
    pub fn measure(&self, rate: f64) -> Measured {
        let mut traffic = self.traffic.clone();
        traffic.start_s = 0.0;
        traffic.stop_s = None;
        if let Pattern::Synthetic { rates, .. } = &mut traffic.pattern {
            *rates = RateSchedule::constant(rate);
        }
        let spec = ServiceSpec {
            spans: self.replicas.clone(),
            traffic: vec![(&traffic, 0)],
            router: self.router,
            timeout_s: self.timeout_s,
            slo: self.slo.clone(),
            window_s: self.duration_s,
            end_s: self.duration_s,
            fidelity: self.fidelity,
            seed: self.seed,
            attribution: Vec::new(),
        };
        let result = simulate(&spec);
        let arrived = result.metrics.arrived_count();
        let report = result
            .metrics
            .finish(self.duration_s, result.in_flight, self.duration_s);
        let slo = report
            .slo
            .as_ref()
            .map(|s| s.terms.iter().map(|(k, t)| (k.clone(), t.actual_ms, t.met)).collect())
            .unwrap_or_default();
        Measured {
            rate_rps: rate,
            arrived,
            completed: report.completed,
            failed: report.failed,
            too_long: report
                .failed_by_reason
                .get("context_length_exceeded_400")
                .copied()
                .unwrap_or(0),
            ttft_p95_ms: report.ttft_ms.p95,
            tpot_p95_ms: report.tpot_ms.p95,
            e2e_p95_ms: report.e2e_ms.p95,
            output_tokens_per_s: report.output_tokens_per_s,
            batch_slots: self.replicas.iter().map(|r| r.limits.max_num_seqs as u64).sum(),
            slo,
        }
    }

    /// The highest rate for which `ok` holds, assuming it holds below some rate and not
    /// above (doubling to bracket it, then bisecting): (rate, its probe, the first probe
    /// above it that failed).
    fn highest(&self, ok: impl Fn(&Measured) -> bool, probes: &mut u32) -> Option<(Measured, Option<Measured>)> {
        self.highest_within(ok, PRECISION, probes)
    }

    fn highest_within(
        &self,
        ok: impl Fn(&Measured) -> bool,
        precision: f64,
        probes: &mut u32,
    ) -> Option<(Measured, Option<Measured>)> {
        let max = MAX_RATE_PER_REPLICA * self.replicas.len().max(1) as f64;
        let mut lo: Option<Measured> = None;
        let mut hi: Option<Measured> = None;
        let mut rate = 1.0;
        // Bracket: halve down while failing, double up while holding.
        loop {
            *probes += 1;
            let m = self.measure(rate);
            if ok(&m) {
                lo = Some(m);
                if hi.is_some() || rate >= max {
                    break;
                }
                rate *= 2.0;
            } else {
                hi = Some(m);
                if lo.is_some() {
                    break;
                }
                rate /= 2.0;
                if rate < MIN_RATE_RPS {
                    return None;
                }
            }
        }
        let (mut lo, mut hi) = (lo?, hi);
        while let Some(h) = &hi {
            if (h.rate_rps - lo.rate_rps) <= precision * lo.rate_rps {
                break;
            }
            let mid = (lo.rate_rps + h.rate_rps) / 2.0;
            *probes += 1;
            let m = self.measure(mid);
            if ok(&m) {
                lo = m;
            } else {
                hi = Some(m);
            }
        }
        Some((lo, hi))
    }

    /// The highest rate within the SLO and its probe; `None` when even the lowest misses.
    pub(crate) fn search_slo(&self, precision: f64) -> Option<(f64, Measured)> {
        let mut probes = 0;
        self.highest_within(Measured::slo_holds, precision, &mut probes)
            .map(|(lo, _)| (lo.rate_rps, lo))
    }

    /// The SLO capacity and the saturation point.
    pub fn search(&self) -> Capacity {
        let mut probes = 0;
        let (slo_rps, limited_by, at_slo) = if self.slo.is_empty() {
            (None, None, None)
        } else {
            match self.highest(Measured::slo_holds, &mut probes) {
                Some((lo, hi)) => {
                    let limited = hi.and_then(|h| {
                        if h.failed > h.too_long {
                            return Some("failed requests".to_string());
                        }
                        h.slo.iter().find(|t| !t.2).map(|t| t.0.clone())
                    });
                    (Some(lo.rate_rps), limited, Some(lo))
                }
                None => (None, None, None),
            }
        };
        let (saturation_rps, saturation_output_tokens_per_s) = match self.highest(Measured::keeps_up, &mut probes) {
            Some((lo, _)) => (lo.rate_rps, lo.output_tokens_per_s),
            None => (0.0, 0.0),
        };
        Capacity {
            slo_rps,
            limited_by,
            at_slo,
            saturation_rps,
            saturation_output_tokens_per_s,
            probes,
        }
    }
}

/// How a probe is taken from a run.
#[derive(Debug, Clone, Default)]
pub struct ProbeOptions {
    /// `NAME` or `NAMESPACE/NAME` of the InferenceService; the only one with traffic when absent.
    pub service: Option<String>,
    /// Replaces the scenario's `slo:` when not empty.
    pub slo: Vec<SloTerm>,
    /// Simulated seconds each probe serves.
    pub duration_s: f64,
}

/// The default probe length: long enough for p95 figures over thousands of requests at a
/// few requests per second, short enough for a search of some thirty probes to take a
/// fraction of a second.
pub const DEFAULT_PROBE_S: f64 = 1200.0;

/// The configuration one service ran with in `done`: its replicas as they were last
/// ready (all ready from the probe's start), its first traffic stream's shape.
/// The service with traffic that `service` names (`NAME` or `NAMESPACE/NAME`), or the only
/// one when it is absent.
pub fn service_key(
    prepared: &crate::scenario::run::Prepared,
    service: Option<&str>,
) -> Result<(String, String), String> {
    let scenario = &prepared.scenario;
    let with_traffic: Vec<(String, String)> = {
        let mut v: Vec<(String, String)> = scenario
            .traffic
            .iter()
            .filter_map(|t| {
                crate::scenario::serve::resolve(
                    &t.target,
                    t.namespace.as_deref(),
                    prepared.serving_targets.iter().map(|(a, b)| (a.as_str(), b.as_str())),
                )
                .ok()
            })
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let names = || {
        with_traffic
            .iter()
            .map(|(ns, n)| format!("{ns}/{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match service {
        Some(s) => {
            let (ns, name) = match s.split_once('/') {
                Some((ns, n)) => (Some(ns), n),
                None => (None, s),
            };
            crate::scenario::serve::resolve(name, ns, with_traffic.iter().map(|(a, b)| (a.as_str(), b.as_str())))
                .map_err(|e| format!("{e} with traffic; services with traffic: {}", names()))
        }
        None => match with_traffic.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err("the scenario sends no traffic: add a `traffic:` stream to the service".into()),
            _ => Err(format!(
                "several services have traffic ({}): name one with --service",
                names()
            )),
        },
    }
}

pub fn probe_of(done: &crate::Completed, opts: &ProbeOptions) -> Result<(String, Probe), String> {
    let prepared = &done.result.prepared;
    let scenario = &prepared.scenario;
    let key = service_key(prepared, opts.service.as_deref())?;
    let entry = scenario
        .traffic
        .iter()
        .find(|t| {
            crate::scenario::serve::resolve(
                &t.target,
                t.namespace.as_deref(),
                std::iter::once((key.0.as_str(), key.1.as_str())),
            )
            .is_ok()
        })
        .ok_or_else(|| format!("{}/{} has no traffic stream", key.0, key.1))?;
    if matches!(entry.spec.pattern, Pattern::Trace { .. }) {
        return Err(format!(
            "{}/{}'s traffic replays a trace, whose times are fixed; give it a `rate:` stream (token lengths may come from the trace: prompt_tokens: {{dist: empirical, trace: FILE}})",
            key.0, key.1
        ));
    }
    // The catalog the scenario ran with: its replicas' cards and GPUs are described there.
    let catalog = done.result.prepared.catalog.clone();
    let lives: Vec<&crate::scenario::serve::PodLife> = done
        .result
        .lives
        .lives
        .iter()
        .filter(|l| l.isvc.as_ref() == Some(&key) && l.ready_s.is_some())
        .collect();
    // The replicas serving at the end; if none is left, every one that served.
    let alive: Vec<&&crate::scenario::serve::PodLife> = lives.iter().filter(|l| l.stop_s.is_none()).collect();
    let chosen: Vec<&crate::scenario::serve::PodLife> = if alive.is_empty() {
        lives.clone()
    } else {
        alive.into_iter().copied().collect()
    };
    let replicas: Vec<ReplicaSpan> = chosen
        .iter()
        .filter_map(|l| crate::scenario::serve::replica_span(&catalog, l))
        .map(|mut s| {
            s.ready_s = 0.0;
            s
        })
        .collect();
    if replicas.is_empty() {
        return Err(format!(
            "{}/{} never had a ready replica in this run (see the run's report: pods, cold starts); nothing to measure",
            key.0, key.1
        ));
    }
    let slo = if opts.slo.is_empty() {
        scenario.slo.clone()
    } else {
        opts.slo.clone()
    };
    let Some(first) = chosen.first().copied() else {
        return Err(format!("{}/{} has no replica to measure", key.0, key.1));
    };
    let description = format!(
        "{} replica(s) of {}, each on {} × {} (tensor parallel {}); vLLM max-num-seqs {}, max-model-len {}, KV cache {} tokens per replica; router {}",
        replicas.len(),
        first.model.as_deref().unwrap_or("?"),
        first.gpus,
        first.gpu.as_deref().unwrap_or("?"),
        first.args.tensor_parallel_size,
        first.memory.as_ref().map_or(0, |m| m.max_num_seqs),
        first.memory.as_ref().map_or(0, |m| m.max_model_len),
        first.memory.as_ref().map_or(0, |m| m.kv_capacity_tokens),
        entry.router.name(),
    );
    Ok((
        format!("{}/{}", key.0, key.1),
        Probe {
            description,
            replicas,
            traffic: entry.spec.clone(),
            router: entry.router,
            timeout_s: entry.timeout.as_secs_f64(),
            slo,
            duration_s: if opts.duration_s > 0.0 {
                opts.duration_s
            } else {
                DEFAULT_PROBE_S
            },
            fidelity: scenario.fidelity,
            seed: scenario.seed,
        },
    ))
}

/// Parses `ttft_p95=2s` (a `--slo` flag) into an SLO term.
pub fn parse_slo(text: &str) -> Result<SloTerm, String> {
    let hint = "write METRIC_pPERCENTILE=DURATION with metric ttft, tpot, e2e or queue, e.g. ttft_p95=2s";
    let (k, v) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: no `=`; {hint}"))?;
    let (m, p) = k
        .split_once("_p")
        .ok_or_else(|| format!("`{k}` is not an SLO term; {hint}"))?;
    let metric = crate::serving::metrics::Metric::parse(m)
        .ok_or_else(|| format!("`{m}` is not ttft, tpot, e2e or queue; {hint}"))?;
    let percentile: f64 = p
        .parse()
        .ok()
        .filter(|p: &f64| *p > 0.0 && *p < 100.0)
        .ok_or_else(|| format!("`{p}` is not a percentile between 0 and 100; {hint}"))?;
    let d = crate::units::SimDuration::parse(v).map_err(|_| format!("`{v}` is not a duration (2s, 500ms); {hint}"))?;
    if d.as_secs_f64() <= 0.0 {
        return Err(format!("`{text}`: a target of zero can never hold"));
    }
    Ok(SloTerm {
        metric,
        percentile,
        threshold_s: d.as_secs_f64(),
    })
}

/// A rate for people: `11.3 req/s`.
pub fn rate(r: f64) -> String {
    if r >= 100.0 {
        format!("{r:.0} req/s")
    } else if r >= 10.0 {
        format!("{r:.1} req/s")
    } else if r >= 0.1 {
        format!("{r:.2} req/s")
    } else {
        // A few an hour: three significant digits, and per hour beside.
        format!("{r:.4} req/s ({:.0}/h)", r * 3600.0)
    }
}

/// The terminal's answer.
pub fn render(service: &str, probe: &Probe, c: &Capacity) -> String {
    let replicas = probe.replicas.len().max(1) as f64;
    let gpus: f64 = probe.replicas.iter().map(|r| r.gpus.max(1) as f64).sum();
    let mut s = format!(
        "capacity of {service}: {}
",
        probe.description
    );
    let slo: Vec<String> = probe
        .slo
        .iter()
        .map(|t| format!("{} ≤ {} ms", t.key(), t.threshold_s * 1000.0))
        .collect();
    match (&c.slo_rps, &c.at_slo) {
        (Some(r), Some(m)) => {
            s.push_str(&format!(
                "  within the SLO ({}): up to {} — {} per replica, {} per GPU
",
                slo.join(", "),
                rate(*r),
                rate(r / replicas),
                rate(r / gpus)
            ));
            let terms: Vec<String> = m
                .slo
                .iter()
                .map(|(k, v, _)| format!("{k} {}", v.map_or("-".into(), |v| format!("{v:.0} ms"))))
                .collect();
            s.push_str(&format!(
                "    at that rate: {}
",
                terms.join(", ")
            ));
            if let Some(l) = &c.limited_by {
                s.push_str(&format!(
                    "    limited by: {l} (the first to fail above it)
"
                ));
            }
        }
        _ if probe.slo.is_empty() => s.push_str(
            "  no SLO (give the scenario an `slo:` or --slo ttft_p95=2s): saturation only
",
        ),
        _ => s.push_str(&format!(
            "  within the SLO ({}): not even at {} — the configuration misses it at any load
",
            slo.join(", "),
            rate(MIN_RATE_RPS)
        )),
    }
    s.push_str(&format!(
        "  saturation: {} ({} output tokens/s) — beyond it the queue grows without bound
",
        rate(c.saturation_rps),
        c.saturation_output_tokens_per_s.round()
    ));
    s.push_str(&format!(
        "  ({} probes of {} s of Poisson traffic with the stream's token lengths, seed {})\n",
        c.probes, probe.duration_s, probe.seed
    ));
    s
}
