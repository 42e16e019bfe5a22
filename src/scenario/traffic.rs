//! `spec.traffic`, `spec.slo` and timeline rate changes of a Scenario.

use crate::api::meta::duration;
use crate::manifest::error::{did_you_mean, InputError, Loc};
use crate::manifest::yaml::Node;
use crate::serving::metrics::{Metric, SloTerm};
use crate::serving::router::RouterPolicy;
use crate::traffic::arrivals::{Diurnal, Interarrival, RateSchedule};
use crate::traffic::source::{Pattern, PrefixSharing, TrafficSpec};
use crate::traffic::tokens::LengthDist;
use crate::units::{SimDuration, SimTime};
use std::path::Path;

/// The OpenShift router's default server timeout: how long a request may wait for a
/// ready endpoint before the client gets 503.
pub(crate) const DEFAULT_TIMEOUT: SimDuration = SimDuration(30_000);

#[derive(Debug, Clone, PartialEq)]
pub struct TrafficEntry {
    pub target: String,
    pub namespace: Option<String>,
    pub spec: TrafficSpec,
    pub router: RouterPolicy,
    pub timeout: SimDuration,
    /// (from, until, factor), applied over the base rate after timeline changes.
    pub bursts: Vec<(SimTime, SimTime, f64)>,
    pub loc: Loc,
}

impl TrafficEntry {
    /// Lays the bursts over the final rate schedule.
    pub(crate) fn apply_bursts(&mut self) {
        if let Pattern::Synthetic { rates, .. } = &mut self.spec.pattern {
            for (from, until, factor) in &self.bursts {
                rates.burst(*from, *until, *factor);
            }
        }
    }
}

const KEYS: &[&str] = &[
    "target",
    "namespace",
    "rate",
    "arrival",
    "cv",
    "diurnal",
    "bursts",
    "start",
    "stop",
    "prompt_tokens",
    "output_tokens",
    "trace",
    "repeat",
    "speed",
    "prefix",
    "router",
    "timeout",
];

pub(crate) fn check_keys(n: &Node, known: &[&str], what: &str) -> Result<(), InputError> {
    for (k, _) in n.entries()? {
        let key = k.as_str()?;
        if !known.contains(&key) {
            return Err(InputError::at(
                k.loc.clone(),
                format!(
                    "unknown {what} field `{key}`{}",
                    did_you_mean(key, known.iter().copied())
                ),
            )
            .hint(format!("known fields: {}", known.join(", "))));
        }
    }
    Ok(())
}

/// The highest request rate a traffic entry may ask for: far above what one service sees,
/// and low enough that a day of it stays minutes of computing, not a hang.
pub(crate) const MAX_RATE: f64 = 10_000.0;

/// The fastest a trace may be replayed: a ten-minute trace in 0.6 s.
const MAX_SPEED: f64 = 1_000.0;

/// The largest burst factor.
const MAX_BURST: f64 = 100.0;

/// `2/s`, `120/m`, `7200/h` or a plain number of requests per second.
pub(crate) fn rate(n: &Node) -> Result<f64, InputError> {
    let bad = || {
        InputError::at(n.loc.clone(), format!("`{}` is not a request rate", n.to_json()))
            .hint("write requests per second, minute or hour: 2/s, 120/m, 7200/h")
    };
    let v = match n.as_f64() {
        Ok(v) => v,
        Err(_) => {
            let s = n.as_str()?.trim();
            let (num, unit) = s.split_once('/').ok_or_else(bad)?;
            let v: f64 = num.trim().parse().map_err(|_| bad())?;
            match unit.trim() {
                "s" | "sec" => v,
                "m" | "min" => v / 60.0,
                "h" => v / 3600.0,
                _ => return Err(bad()),
            }
        }
    };
    if !(v.is_finite() && v >= 0.0) {
        return Err(bad());
    }
    if v > MAX_RATE {
        return Err(InputError::at(
            n.loc.clone(),
            format!("rate {v}/s is above the simulator's limit of {MAX_RATE}/s for one traffic entry"),
        )
        .hint("split the load over several entries or services"));
    }
    Ok(v)
}

fn positive_u32(n: &Node, what: &str) -> Result<u32, InputError> {
    let v = n.as_i64()?;
    if !(1..=10_000_000).contains(&v) {
        return Err(InputError::at(
            n.loc.clone(),
            format!("{what} must be between 1 and 10000000 (got {v})"),
        ));
    }
    Ok(v as u32)
}

fn lengths(n: &Node, base: &Path, what: &str) -> Result<LengthDist, InputError> {
    let d = if n.as_i64().is_ok() {
        LengthDist::Fixed(positive_u32(n, what)?)
    } else {
        check_keys(
            n,
            &["dist", "value", "min", "max", "mean", "sd", "trace", "column"],
            what,
        )?;
        let dist = n.get("dist").ok_or_else(|| {
            InputError::at(n.loc.clone(), format!("{what} has no `dist`"))
                .hint("e.g. {dist: lognormal, mean: 800, sd: 400} or a fixed number")
        })?;
        let field = |k: &str| {
            n.get(k)
                .ok_or_else(|| InputError::at(n.loc.clone(), format!("{what}: `{}` needs `{k}`", dist.to_json())))
        };
        match dist.as_str()? {
            "fixed" => LengthDist::Fixed(positive_u32(field("value")?, what)?),
            "uniform" => LengthDist::Uniform {
                min: positive_u32(field("min")?, what)?,
                max: positive_u32(field("max")?, what)?,
            },
            "lognormal" => LengthDist::LogNormal {
                mean: field("mean")?.as_f64()?,
                sd: field("sd")?.as_f64()?,
            },
            "empirical" => {
                let (reqs, _) = load_trace(field("trace")?, base)?;
                let output = what.starts_with("output");
                LengthDist::Empirical(
                    reqs.iter()
                        .map(|r| if output { r.output_tokens } else { r.input_tokens }.max(1))
                        .collect(),
                )
            }
            other => {
                return Err(InputError::at(
                    dist.loc.clone(),
                    format!(
                        "unknown length distribution `{other}`{}",
                        did_you_mean(other, ["fixed", "uniform", "lognormal", "empirical"].into_iter())
                    ),
                )
                .hint("fixed, uniform, lognormal or empirical"))
            }
        }
    };
    d.check()
        .map_err(|m| InputError::at(n.loc.clone(), format!("{what}: {m}")))?;
    Ok(d)
}

fn load_trace(n: &Node, base: &Path) -> Result<(Vec<crate::traffic::trace::TraceRequest>, String), InputError> {
    let rel = n.as_str()?;
    let path = base.join(rel);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        InputError::at(
            n.loc.clone(),
            format!("trace `{rel}` cannot be read ({e}; looked for {})", path.display()),
        )
        .hint("trace paths are relative to the Scenario file")
    })?;
    let reqs = crate::traffic::trace::parse(&path.display().to_string(), &text)?;
    Ok((reqs, rel.to_string()))
}

/// A rate burst: (from, until, factor).
type Burst = (SimTime, SimTime, f64);

fn decode_entry(e: &Node, base: &Path, end: SimDuration) -> Result<TrafficEntry, InputError> {
    check_keys(e, KEYS, "traffic")?;
    let target_node = e.get("target").ok_or_else(|| {
        InputError::at(e.loc.clone(), "traffic entry has no `target`").hint("name the InferenceService it sends to")
    })?;
    let start = offset(e, "start", end)?.unwrap_or(SimDuration::ZERO);
    let stop = offset(e, "stop", end)?;
    let (pattern, bursts) = match e.get("trace") {
        Some(t) => (decode_trace(e, t, base)?, Vec::new()),
        None => decode_synthetic(e, base, start)?,
    };
    let prefix = e.get("prefix").map(decode_prefix).transpose()?;
    let router = e.get("router").map(decode_router).transpose()?.unwrap_or_default();
    Ok(TrafficEntry {
        target: target_node.as_str()?.to_string(),
        namespace: e.get("namespace").map(|n| n.as_str().map(str::to_string)).transpose()?,
        spec: TrafficSpec {
            pattern,
            start_s: start.as_secs_f64(),
            stop_s: stop.map(|s| s.as_secs_f64()),
            prefix,
        },
        router,
        timeout: e.get("timeout").map(duration).transpose()?.unwrap_or(DEFAULT_TIMEOUT),
        bursts,
        loc: target_node.loc.clone(),
    })
}

/// The optional `start` or `stop` of an entry: a time from the start of the scenario, not
/// after its end.
fn offset(e: &Node, k: &str, end: SimDuration) -> Result<Option<SimDuration>, InputError> {
    e.get(k)
        .map(|n| {
            let d = duration(n)?;
            if d > end {
                return Err(
                    InputError::at(n.loc.clone(), format!("{k} is after the end of the scenario"))
                        .hint("raise spec.duration or move it earlier"),
                );
            }
            Ok(d)
        })
        .transpose()
}

/// A trace replay; the trace alone gives arrivals and token counts, so the fields of a
/// synthetic pattern are refused beside it.
fn decode_trace(e: &Node, t: &Node, base: &Path) -> Result<Pattern, InputError> {
    for k in ["rate", "arrival", "diurnal", "bursts", "prompt_tokens", "output_tokens"] {
        if let Some(n) = e.get(k) {
            return Err(
                InputError::at(n.loc.clone(), format!("`{k}` cannot be combined with `trace`"))
                    .hint("a trace gives arrival times and token counts; remove one of them"),
            );
        }
    }
    let (requests, _) = load_trace(t, base)?;
    Ok(Pattern::Trace {
        requests,
        repeat: e.get("repeat").map(|r| r.as_bool()).transpose()?.unwrap_or(false),
        speed: e.get("speed").map(replay_speed).transpose()?.unwrap_or(1.0),
    })
}

fn replay_speed(n: &Node) -> Result<f64, InputError> {
    let v = n.as_f64()?;
    if !(v > 0.0 && v <= MAX_SPEED) {
        return Err(InputError::at(
            n.loc.clone(),
            format!("speed must be above 0 and at most {MAX_SPEED} (got {v})"),
        )
        .hint("0.5 replays the trace at half its rate, 2 at twice"));
    }
    Ok(v)
}

/// Arrivals at a rate (shaped by the arrival process, a diurnal swing and bursts) with
/// token counts drawn from distributions; the bursts come back apart, to be laid over the
/// rate once timeline changes have been applied.
fn decode_synthetic(e: &Node, base: &Path, start: SimDuration) -> Result<(Pattern, Vec<Burst>), InputError> {
    let r = e.get("rate").ok_or_else(|| {
        InputError::at(e.loc.clone(), "traffic entry has neither `rate` nor `trace`")
            .hint("e.g. rate: 2/s, or trace: traces/azure-conv-10min.csv")
    })?;
    let mut rates = RateSchedule::constant(rate(r)?);
    if start > SimDuration::ZERO {
        // Nothing arrives before the entry starts.
        if let Some(first) = rates.steps.first_mut() {
            first.0 = SimTime(start.0);
        }
        rates.steps.insert(0, (SimTime::ZERO, 0.0));
    }
    let arrival = e
        .get("arrival")
        .map(|a| decode_arrival(e, a))
        .transpose()?
        .unwrap_or(Interarrival::Poisson);
    if let Some(d) = e.get("diurnal") {
        rates.diurnal = Some(decode_diurnal(d)?);
    }
    let bursts = e
        .get("bursts")
        .map(|b| b.items())
        .transpose()?
        .unwrap_or(&[])
        .iter()
        .map(decode_burst)
        .collect::<Result<_, _>>()?;
    let req = |k: &str| {
        e.get(k).ok_or_else(|| {
            InputError::at(e.loc.clone(), format!("traffic entry has no `{k}`"))
                .hint("a fixed number, or {dist: uniform, min: 64, max: 256}")
        })
    };
    let pattern = Pattern::Synthetic {
        arrival,
        rates,
        prompt: lengths(req("prompt_tokens")?, base, "prompt_tokens")?,
        output: lengths(req("output_tokens")?, base, "output_tokens")?,
    };
    Ok((pattern, bursts))
}

/// `arrival: poisson` or `arrival: gamma` with the entry's `cv`.
fn decode_arrival(e: &Node, a: &Node) -> Result<Interarrival, InputError> {
    match a.as_str()? {
        "poisson" => Ok(Interarrival::Poisson),
        "gamma" => {
            let cv = e.get("cv").ok_or_else(|| {
                InputError::at(a.loc.clone(), "gamma arrivals need `cv` (coefficient of variation)")
                    .hint("cv: 1 is Poisson, 2 or more is bursty")
            })?;
            let v = cv.as_f64()?;
            if !(v > 0.0 && v <= 20.0) {
                return Err(InputError::at(
                    cv.loc.clone(),
                    format!("cv must be in (0, 20] (got {v})"),
                ));
            }
            Ok(Interarrival::Gamma { cv: v })
        }
        other => {
            Err(InputError::at(a.loc.clone(), format!("unknown arrival process `{other}`")).hint("poisson or gamma"))
        }
    }
}

fn decode_diurnal(d: &Node) -> Result<Diurnal, InputError> {
    check_keys(d, &["amplitude", "period", "peak"], "diurnal")?;
    let amplitude = d.get("amplitude").map(|a| a.as_f64()).transpose()?.unwrap_or(0.5);
    if !(0.0..=1.0).contains(&amplitude) {
        return Err(
            InputError::at(d.loc.clone(), format!("diurnal amplitude {amplitude} is outside 0..1"))
                .hint("the rate swings between base × (1 − amplitude) and base × (1 + amplitude)"),
        );
    }
    Ok(Diurnal {
        amplitude,
        period: d
            .get("period")
            .map(duration)
            .transpose()?
            .unwrap_or(SimDuration::from_secs(86_400)),
        peak: d
            .get("peak")
            .map(duration)
            .transpose()?
            .unwrap_or(SimDuration::from_secs(14 * 3600)),
    })
}

/// `{at: 10m, for: 2m, factor: 4}`.
fn decode_burst(b: &Node) -> Result<Burst, InputError> {
    check_keys(b, &["at", "for", "factor"], "burst")?;
    let field = |k: &str| {
        b.get(k).ok_or_else(|| {
            InputError::at(b.loc.clone(), format!("burst needs `{k}`")).hint("e.g. {at: 10m, for: 2m, factor: 4}")
        })
    };
    let from = duration(field("at")?)?;
    let len = duration(field("for")?)?;
    let factor = field("factor")?.as_f64()?;
    if !(0.0..=MAX_BURST).contains(&factor) {
        return Err(InputError::at(
            b.loc.clone(),
            format!("burst factor must be 0 to {MAX_BURST} (got {factor})"),
        ));
    }
    Ok((SimTime(from.0), SimTime(from.0 + len.0), factor))
}

/// `{groups: 4, tokens: 512}`: requests share one of `groups` prompt prefixes.
fn decode_prefix(p: &Node) -> Result<PrefixSharing, InputError> {
    check_keys(p, &["groups", "tokens"], "prefix")?;
    Ok(PrefixSharing {
        groups: p
            .get("groups")
            .map(|g| positive_u32(g, "prefix groups"))
            .transpose()?
            .unwrap_or(1),
        tokens: positive_u32(
            p.get("tokens")
                .ok_or_else(|| InputError::at(p.loc.clone(), "prefix needs `tokens` (shared prompt length)"))?,
            "prefix tokens",
        )?,
    })
}

fn decode_router(r: &Node) -> Result<RouterPolicy, InputError> {
    let s = r.as_str()?;
    RouterPolicy::parse(s).ok_or_else(|| {
        InputError::at(
            r.loc.clone(),
            format!(
                "unknown router `{s}`{}",
                did_you_mean(s, RouterPolicy::NAMES.iter().copied())
            ),
        )
        .hint(format!("one of {}", RouterPolicy::NAMES.join(", ")))
    })
}

pub(crate) fn decode_traffic(
    list: Option<&Node>,
    base: &Path,
    end: SimDuration,
) -> Result<Vec<TrafficEntry>, InputError> {
    list.map(|l| l.items())
        .transpose()?
        .unwrap_or(&[])
        .iter()
        .map(|e| decode_entry(e, base, end))
        .collect()
}

/// `{ttft_p95: 500ms, tpot_p99: 80ms}`.
pub(crate) fn decode_slo(n: Option<&Node>) -> Result<Vec<SloTerm>, InputError> {
    let Some(n) = n else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for (k, v) in n.entries()? {
        let key = k.as_str()?;
        let parsed = key.split_once("_p").and_then(|(m, p)| {
            let metric = Metric::parse(m)?;
            let pct: f64 = p.parse().ok()?;
            (pct > 0.0 && pct < 100.0).then_some((metric, pct))
        });
        let Some((metric, percentile)) = parsed else {
            return Err(InputError::at(k.loc.clone(), format!("`{key}` is not an SLO term"))
                .hint("write <metric>_p<percentile>: <duration> with metric ttft, tpot, e2e or queue, e.g. ttft_p95: 500ms"));
        };
        out.push(SloTerm {
            metric,
            percentile,
            threshold_s: duration(v)?.as_secs_f64(),
        });
    }
    Ok(out)
}

/// A timeline entry `{at: 20m, traffic: {target: x, rate: 6/s}}` changes the base rate
/// of the matching traffic entries from then on.
pub(crate) fn apply_rate_change(entries: &mut [TrafficEntry], at: SimTime, change: &Node) -> Result<(), InputError> {
    check_keys(change, &["target", "namespace", "rate"], "traffic change")?;
    let target = crate::api::meta::req_str(change, "target", "traffic change")?;
    let namespace = change
        .get("namespace")
        .map(|n| n.as_str().map(str::to_string))
        .transpose()?;
    let r =
        rate(change.get("rate").ok_or_else(|| {
            InputError::at(change.loc.clone(), "traffic change has no `rate`").hint("e.g. rate: 6/s")
        })?)?;
    let mut found = false;
    for e in entries.iter_mut() {
        // An entry without a namespace targets the only service of its name, wherever it
        // is: a change that names the namespace is about it too, and says where it is
        // (checked against the inputs with the entry's own target).
        let same_namespace = namespace.is_none() || e.namespace.is_none() || e.namespace == namespace;
        if e.target == target && same_namespace {
            if e.namespace.is_none() {
                e.namespace.clone_from(&namespace);
            }
            match &mut e.spec.pattern {
                Pattern::Synthetic { rates, .. } => {
                    rates.change(at, r);
                    found = true;
                }
                Pattern::Trace { .. } => {
                    return Err(InputError::at(
                        change.loc.clone(),
                        format!("traffic to `{target}` replays a trace; its rate cannot change"),
                    )
                    .hint("change a synthetic (rate:) traffic entry instead"))
                }
            }
        }
    }
    if !found {
        let known: Vec<&str> = entries.iter().map(|e| e.target.as_str()).collect();
        // The name may be right and the namespace not: say so rather than suggest the
        // very name that was written.
        let hint = match &namespace {
            Some(ns) if known.contains(&target.as_str()) => format!(" in namespace {ns}"),
            _ => did_you_mean(&target, known),
        };
        return Err(InputError::at(
            change.loc.clone(),
            format!("no spec.traffic entry targets `{target}`{hint}"),
        )
        .hint("declare the traffic under spec.traffic first"));
    }
    Ok(())
}
