//! `gpuaas-sim recommend`: from models, traffic and SLO targets, the GPU configurations
//! that serve them at the least monthly cost, with the evidence.
//!
//! For each model the search covers the model's cards (the asked one and its quantized
//! siblings), every GPU of the catalog's instance types, tensor parallelism 1, 2, 4, 8
//! and the vLLM arguments that matter (KV-cache dtype, max-num-seqs). A variant vLLM
//! would refuse to start (memory, a TP that does not divide the heads) is rejected with
//! vLLM's reason; the others get the single-replica capacity within the SLO from the
//! probes of `capacity`, then the replicas the asked rate needs, verified by a probe of
//! that many replicas at that rate. A plan puts every model on one instance type, its
//! replicas packed onto whole nodes (first fit, largest first), so models share nodes
//! where they fit; plans are ranked by monthly cost.

use super::capacity::{Measured, Probe};
use crate::catalog::{Catalog, Gpu, Instance, ModelCard};
use crate::serving::args::{KvCacheDtype, VllmArgs};
use crate::serving::metrics::SloTerm;
use crate::serving::replica::Fidelity;
use crate::serving::router::RouterPolicy;
use crate::serving::service::ReplicaSpan;
use crate::serving::steptime::StepCost;
use crate::traffic::arrivals::{Interarrival, RateSchedule};
use crate::traffic::source::{Pattern, TrafficSpec};
use crate::traffic::tokens::LengthDist;
use rayon::prelude::*;
use serde::Serialize;

pub const SCHEMA: &str = "gpuaas-sim/recommend/v1";

/// How long the replica count of a variant is verified at the asked rate, and how long the
/// written scenario holds the traffic: an hour.
pub const VERIFY_S: f64 = 3600.0;

/// What the planner asks.
#[derive(Debug, Clone)]
pub struct Ask {
    pub models: Vec<ModelAsk>,
    pub slo: Vec<SloTerm>,
    /// Simulated seconds per probe.
    pub probe_s: f64,
    pub seed: u64,
    /// GPUs the search may use (all of the catalog's when empty).
    pub gpus: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ModelAsk {
    /// The InferenceService that will serve it (its name in plans and written manifests).
    pub service: String,
    /// The card asked for (resolved from a name or a storage URI).
    pub card: String,
    pub rate_rps: f64,
    pub prompt: LengthDist,
    pub output: LengthDist,
}

/// One way to serve one model: card, GPU, parallelism, vLLM arguments.
#[derive(Debug, Clone, Serialize)]
pub struct Variant {
    pub model: String,
    pub card: String,
    pub gpu: String,
    pub tensor_parallel: u32,
    pub kv_cache_dtype: String,
    pub max_num_seqs: u32,
    pub max_model_len: u32,
    pub kv_cache_tokens: u64,
}

impl Variant {
    /// The vLLM arguments to write into the InferenceService.
    pub fn vllm_args(&self) -> Vec<String> {
        let mut a = vec![format!("--max-model-len={}", self.max_model_len)];
        if self.tensor_parallel > 1 {
            a.push(format!("--tensor-parallel-size={}", self.tensor_parallel));
        }
        if self.kv_cache_dtype != "auto" {
            a.push(format!("--kv-cache-dtype={}", self.kv_cache_dtype));
        }
        a.push(format!("--max-num-seqs={}", self.max_num_seqs));
        a
    }
}

/// A variant that cannot serve, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Rejected {
    pub model: String,
    pub card: String,
    pub gpu: String,
    pub tensor_parallel: u32,
    pub why: String,
}

/// A variant that serves, sized for the asked rate.
#[derive(Debug, Clone, Serialize)]
pub struct Sized {
    pub variant: Variant,
    /// Requests/s one replica serves within the SLO.
    pub replica_capacity_rps: f64,
    pub replicas: u32,
    /// The probe of `replicas` replicas at the asked rate.
    pub at_rate: Measured,
}

/// One model's part of a plan.
#[derive(Debug, Clone, Serialize)]
pub struct Placement {
    /// The InferenceService serving it.
    pub service: String,
    /// The card asked for.
    pub model: String,
    pub rate_rps: f64,
    pub sized: Sized,
    /// `replicas × replica capacity` over the asked rate, minus one.
    pub headroom: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub instance_type: String,
    pub gpu: String,
    pub nodes: u32,
    pub gpus_used: u32,
    pub gpus_total: u32,
    /// On demand.
    pub monthly_usd: f64,
    /// With the catalog's factors for this instance type (`reserved_1y`, `spot`, …), where it
    /// has them: the on-demand figure times the factor.
    pub monthly_usd_with: indexmap::IndexMap<String, f64>,
    pub placements: Vec<Placement>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    pub schema: String,
    pub hours_per_month: f64,
    pub price_date: String,
    pub models: Vec<String>,
    pub slo: Vec<String>,
    pub plans: Vec<Plan>,
    pub rejected: Vec<Rejected>,
    /// Variants probed (after memory checks).
    pub probed: usize,
}

/// The cards of the same model: the asked one first, then its other precisions.
pub fn family<'c>(catalog: &'c Catalog, card: &ModelCard) -> Vec<&'c ModelCard> {
    let want = stem(&card.name);
    let mut out: Vec<&ModelCard> = catalog.models.iter().filter(|c| c.name == card.name).collect();
    out.extend(
        catalog
            .models
            .iter()
            .filter(|c| c.name != card.name && stem(&c.name) == want && c.architecture.is_some()),
    );
    out
}

/// GPUs some instance type of the catalog has, with the most of them one instance has.
fn gpus<'c>(catalog: &'c Catalog, only: &[String]) -> Vec<(&'c Gpu, u32)> {
    let mut out: Vec<(&Gpu, u32)> = Vec::new();
    for g in catalog
        .gpus
        .iter()
        .filter(|g| only.is_empty() || only.contains(&g.name))
    {
        let most = catalog
            .instances
            .iter()
            .filter(|i| i.gpu == g.name)
            .map(|i| i.gpu_count)
            .max();
        if let Some(m) = most {
            out.push((g, m));
        }
    }
    out
}

fn traffic(ask: &ModelAsk, rate: f64) -> TrafficSpec {
    TrafficSpec {
        pattern: Pattern::Synthetic {
            arrival: Interarrival::Poisson,
            rates: RateSchedule::constant(rate),
            prompt: ask.prompt.clone(),
            output: ask.output.clone(),
        },
        start_s: 0.0,
        stop_s: None,
        prefix: None,
    }
}

/// The longest request the traffic can send: prompt and answer at their most likely
/// maximum (the mean plus four standard deviations for a lognormal).
fn longest(ask: &ModelAsk) -> u32 {
    let most = |d: &LengthDist| match d {
        LengthDist::Fixed(n) => *n as f64,
        LengthDist::Uniform { max, .. } => *max as f64,
        LengthDist::LogNormal { mean, sd } => mean + 4.0 * sd,
        LengthDist::Empirical(v) => v.iter().copied().max().unwrap_or(0) as f64,
    };
    (most(&ask.prompt) + most(&ask.output)).ceil() as u32
}

/// Every variant of one model, planned for memory: those vLLM would start, and the rest
/// with vLLM's reason.
fn variants(catalog: &Catalog, ask: &Ask, m: &ModelAsk) -> (Vec<(Variant, ReplicaSpan)>, Vec<Rejected>) {
    let mut ok = Vec::new();
    let mut rejected = Vec::new();
    let Some(card) = catalog.model(&m.card) else {
        return (ok, rejected);
    };
    let longest_request = longest(m);
    // The context the traffic needs, rounded up to a power of two, at least 8192.
    let want_len = longest(m).max(8192).next_power_of_two();
    for c in family(catalog, card) {
        let Some(arch) = c.architecture.as_ref() else { continue };
        if longest_request > arch.max_position_embeddings {
            rejected.push(Rejected {
                model: m.card.clone(),
                card: c.name.clone(),
                gpu: "any".into(),
                tensor_parallel: 0,
                why: format!(
                    "the traffic's requests reach {longest_request} tokens (prompt and answer), beyond the model's context of {} tokens",
                    arch.max_position_embeddings
                ),
            });
            continue;
        }
        for (gpu, most) in gpus(catalog, &ask.gpus) {
            for tp in [1u32, 2, 4, 8].into_iter().filter(|t| *t <= most) {
                let mut first_reason = None;
                let mut any = false;
                let dtypes: &[KvCacheDtype] = if gpu.fp8_tflops.is_some() {
                    &[KvCacheDtype::Auto, KvCacheDtype::Fp8]
                } else {
                    &[KvCacheDtype::Auto]
                };
                for &kv in dtypes {
                    for seqs in [None, Some(64u32)] {
                        let args = VllmArgs {
                            tensor_parallel_size: tp,
                            max_model_len: Some(want_len.min(arch.max_position_embeddings)),
                            max_num_seqs: seqs,
                            kv_cache_dtype: kv,
                            ..Default::default()
                        };
                        match crate::serving::memory::plan(c, arch, gpu, tp, &args, &catalog.vllm) {
                            Ok(mem) => {
                                if seqs.is_some_and(|s| s >= mem.max_num_seqs) {
                                    continue; // the default is already this small
                                }
                                any = true;
                                let v = Variant {
                                    model: m.card.clone(),
                                    card: c.name.clone(),
                                    gpu: gpu.name.clone(),
                                    tensor_parallel: tp,
                                    kv_cache_dtype: match kv {
                                        KvCacheDtype::Auto => "auto".into(),
                                        KvCacheDtype::Fp8 => "fp8".into(),
                                    },
                                    max_num_seqs: mem.max_num_seqs,
                                    max_model_len: mem.max_model_len,
                                    kv_cache_tokens: mem.kv_capacity_tokens,
                                };
                                let span = ReplicaSpan {
                                    pod: format!("{}-{}-tp{tp}", c.name, gpu.name),
                                    node: String::new(),
                                    gpus: tp,
                                    ready_s: 0.0,
                                    stop_s: None,
                                    gone_s: None,
                                    dead_s: None,
                                    cost: StepCost::new(c, arch, gpu, &args, &catalog.vllm),
                                    limits: crate::serving::replica::Limits {
                                        block_size: args.block_size,
                                        num_blocks: mem.num_blocks,
                                        max_num_seqs: mem.max_num_seqs,
                                        max_num_batched_tokens: mem.max_num_batched_tokens,
                                        prefix_caching: args.enable_prefix_caching,
                                    },
                                    max_model_len: mem.max_model_len,
                                };
                                ok.push((v, span));
                            }
                            Err(f) => {
                                first_reason.get_or_insert(format!("{}: {}", f.reason, f.message));
                            }
                        }
                    }
                }
                if !any {
                    rejected.push(Rejected {
                        model: m.card.clone(),
                        card: c.name.clone(),
                        gpu: gpu.name.clone(),
                        tensor_parallel: tp,
                        why: first_reason.unwrap_or_default(),
                    });
                }
            }
        }
    }
    (ok, rejected)
}

fn probe(ask: &Ask, m: &ModelAsk, replicas: Vec<ReplicaSpan>) -> Probe {
    Probe {
        description: String::new(),
        replicas,
        traffic: traffic(m, 1.0),
        router: RouterPolicy::Random,
        timeout_s: 30.0,
        slo: ask.slo.clone(),
        duration_s: ask.probe_s,
        fidelity: Fidelity::Fast,
        seed: ask.seed,
    }
}

/// Sizes a variant for `rate`: its single-replica capacity, then the replicas that keep
/// the SLO at `rate` (at most 64). `Err` says why it cannot.
fn size(ask: &Ask, m: &ModelAsk, v: &Variant, span: &ReplicaSpan) -> Result<Sized, String> {
    let rate = m.rate_rps;
    // Screening: a single replica to 3%, over half the probe length; the replica count
    // that follows is verified over the whole probe.
    let mut one = probe(ask, m, vec![span.clone()]);
    one.duration_s = ask.probe_s / 2.0;
    let cap = one.search_slo(0.03);
    let Some(cap) = cap else {
        let m = one.measure(super::capacity::MIN_RATE_RPS);
        let worst = m
            .slo
            .iter()
            .filter(|t| !t.2)
            .map(|t| match t.1 {
                Some(v) => format!("{} {v:.0} ms", t.0),
                None => format!("{}: no request completed", t.0),
            })
            .collect::<Vec<_>>()
            .join(", ");
        return Err(format!("misses the SLO even unloaded ({worst})"));
    };
    let mut n = (rate / cap.0).ceil().max(1.0) as u32;
    loop {
        if n > 64 {
            return Err(format!(
                "needs over 64 replicas ({} per replica)",
                super::capacity::rate(cap.0)
            ));
        }
        // Verified as the written scenario will hold it: an hour of traffic, and on two
        // seeds, since a rate near the limit can pass on one draw and miss on another.
        let mut p = probe(ask, m, vec![span.clone(); n as usize]);
        p.duration_s = p.duration_s.max(VERIFY_S);
        let m = p.measure(rate);
        p.seed = p.seed.wrapping_add(1);
        if m.holds() && p.measure(rate).holds() {
            return Ok(Sized {
                variant: v.clone(),
                replica_capacity_rps: cap.0,
                replicas: n,
                at_rate: m,
            });
        }
        n += 1;
    }
}

/// Nodes of `per_node` GPUs that hold replicas of these GPU counts (first fit, largest first).
fn pack(mut sizes: Vec<u32>, per_node: u32) -> u32 {
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    let mut free: Vec<u32> = Vec::new();
    for s in sizes {
        match free.iter_mut().find(|f| **f >= s) {
            Some(f) => *f -= s,
            None => free.push(per_node - s),
        }
    }
    free.len() as u32
}

/// The recommendation for `ask`.
pub fn recommend(catalog: &Catalog, ask: &Ask, hours_per_month: f64) -> Recommendation {
    let mut rejected = Vec::new();
    let mut by_model: Vec<Vec<Sized>> = Vec::new();
    let mut probed = 0;
    for m in &ask.models {
        let (vs, rej) = variants(catalog, ask, m);
        rejected.extend(rej);
        probed += vs.len();
        let sized: Vec<(Variant, Result<Sized, String>)> = vs
            .par_iter()
            .map(|(v, span)| (v.clone(), size(ask, m, v, span)))
            .collect();
        let mut ok = Vec::new();
        // A variant that fails is reported once per card, GPU and TP (its first reason).
        for (v, r) in sized {
            match r {
                Ok(s) => ok.push(s),
                Err(why) => {
                    let seen = rejected.iter().any(|x: &Rejected| {
                        x.model == v.model
                            && x.card == v.card
                            && x.gpu == v.gpu
                            && x.tensor_parallel == v.tensor_parallel
                    });
                    if !seen {
                        rejected.push(Rejected {
                            model: v.model.clone(),
                            card: v.card.clone(),
                            gpu: v.gpu.clone(),
                            tensor_parallel: v.tensor_parallel,
                            why,
                        });
                    }
                }
            }
        }
        by_model.push(ok);
    }
    // A rejection of a card/GPU/TP that some other variant of it serves is not one.
    rejected.retain(|r| {
        !by_model.iter().flatten().any(|s| {
            s.variant.model == r.model
                && s.variant.card == r.card
                && s.variant.gpu == r.gpu
                && s.variant.tensor_parallel == r.tensor_parallel
        })
    });
    let mut plans = Vec::new();
    for inst in &catalog.instances {
        if let Some(mut p) = plan_on(inst, ask, &by_model, hours_per_month) {
            p.monthly_usd_with = commitments(catalog, &p);
            plans.push(p);
        }
    }
    plans.sort_by(|a, b| {
        a.monthly_usd
            .total_cmp(&b.monthly_usd)
            .then(a.gpus_used.cmp(&b.gpus_used))
            .then(a.instance_type.cmp(&b.instance_type))
    });
    Recommendation {
        schema: SCHEMA.into(),
        hours_per_month,
        price_date: catalog.price_date.clone(),
        models: ask
            .models
            .iter()
            .map(|m| format!("{} ({})", m.service, m.card))
            .collect(),
        slo: ask
            .slo
            .iter()
            .map(|t| format!("{} ≤ {} ms", t.key(), t.threshold_s * 1000.0))
            .collect(),
        plans,
        rejected,
        probed,
    }
}

/// The plan's monthly cost under each pricing factor the catalog gives its instance type.
fn commitments(catalog: &Catalog, p: &Plan) -> indexmap::IndexMap<String, f64> {
    let Some(f) = catalog.pricing_factors(&p.instance_type) else {
        return Default::default();
    };
    [
        ("reserved_1y", f.reserved_1y),
        ("reserved_3y", f.reserved_3y),
        ("savings_plan_1y", f.savings_plan_1y),
        ("savings_plan_3y", f.savings_plan_3y),
        ("spot", f.spot),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k.to_string(), p.monthly_usd * v)))
    .collect()
}

/// Every model on instances of one type: per model the sized variant on its GPU with the
/// fewest GPUs (then the most headroom); `None` when a model has none there.
fn plan_on(inst: &Instance, ask: &Ask, by_model: &[Vec<Sized>], hours: f64) -> Option<Plan> {
    let mut placements = Vec::new();
    let mut sizes = Vec::new();
    for (m, sized) in ask.models.iter().zip(by_model) {
        let best = sized
            .iter()
            .filter(|s| s.variant.gpu == inst.gpu && s.variant.tensor_parallel <= inst.gpu_count)
            .min_by(|a, b| {
                let ga = a.replicas * a.variant.tensor_parallel;
                let gb = b.replicas * b.variant.tensor_parallel;
                ga.cmp(&gb)
                    .then(b.replica_capacity_rps.total_cmp(&a.replica_capacity_rps))
                    .then(a.variant.card.cmp(&b.variant.card))
            })?;
        sizes.extend(std::iter::repeat_n(
            best.variant.tensor_parallel,
            best.replicas as usize,
        ));
        placements.push(Placement {
            service: m.service.clone(),
            model: m.card.clone(),
            rate_rps: m.rate_rps,
            headroom: best.replicas as f64 * best.replica_capacity_rps / m.rate_rps - 1.0,
            sized: best.clone(),
        });
    }
    let gpus_used: u32 = sizes.iter().sum();
    let nodes = pack(sizes, inst.gpu_count);
    Some(Plan {
        instance_type: inst.name.clone(),
        gpu: inst.gpu.clone(),
        nodes,
        gpus_used,
        gpus_total: nodes * inst.gpu_count,
        monthly_usd: nodes as f64 * inst.price_per_hour_usd * hours,
        monthly_usd_with: Default::default(),
        placements,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_fills_nodes_first_fit_largest_first() {
        let cases: &[(&[u32], u32, u32)] = &[
            (&[1, 1, 1, 1], 8, 1),
            (&[4, 4, 4], 8, 2),
            (&[4, 2, 2, 1, 1, 1, 1], 8, 2),
            (&[8, 8, 1], 8, 3),
            (&[1], 1, 1),
            (&[], 8, 0),
        ];
        for (sizes, per, want) in cases {
            assert_eq!(pack(sizes.to_vec(), *per), *want, "{sizes:?} on {per}");
        }
    }

    #[test]
    fn a_family_holds_the_other_precisions() {
        let c = Catalog::bundled();
        let card = c.model("llama-3.3-70b-instruct-bf16").unwrap();
        let names: Vec<&str> = family(&c, card).iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names[0], "llama-3.3-70b-instruct-bf16");
        assert!(names.contains(&"llama-3.3-70b-instruct-fp8-dynamic"), "{names:?}");
        assert!(names.contains(&"llama-3.3-70b-instruct-w4a16"), "{names:?}");
        assert!(!names.iter().any(|n| n.contains("8b")), "{names:?}");
    }
}

/// The name of the card without its precision: the model, whichever card serves it.
pub(crate) fn stem(name: &str) -> String {
    let mut s = name.to_string();
    for suffix in ["-bf16", "-fp8-dynamic", "-fp8", "-w4a16", "-w8a8", "-int4", "-mxfp4"] {
        if let Some(x) = s.strip_suffix(suffix) {
            s = x.to_string();
            break;
        }
    }
    s
}

/// An InferenceService name for a model asked by card: the card's name without its
/// precision, as a DNS label.
pub fn service_of(card: &str) -> String {
    super::recommend_out::service_name(&stem(card))
}

/// Why `text` (a storage URI) matches its card only in part, if it does.
pub fn partial_match(catalog: &Catalog, text: &str) -> Option<String> {
    if catalog.model(text).is_some() {
        return None;
    }
    catalog
        .choose_model(None, Some((text, text)), "--model")
        .and_then(|m| m.partial)
}

/// A card from its name or a storage URI.
pub fn resolve_card<'c>(catalog: &'c Catalog, text: &str) -> Result<&'c ModelCard, String> {
    catalog
        .model(text)
        .or_else(|| catalog.match_model(text))
        .ok_or_else(|| format!("`{text}` names no model card; {}", catalog.unknown_model_hint(text)))
}

pub(crate) fn money(v: f64) -> String {
    let n = v.round() as i64;
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("${}{out}", if n < 0 { "-" } else { "" })
}

fn ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.0} ms"))
}

/// The terminal's ranked table: the `top` cheapest plans, then why the rest were rejected.
pub fn render(r: &Recommendation, top: usize) -> String {
    let mut s = format!(
        "recommendation for {} — SLO {}; monthly = {} h on-demand (prices of {})\n\n",
        r.models.join(", "),
        r.slo.join(", "),
        r.hours_per_month,
        r.price_date
    );
    if r.plans.is_empty() {
        s.push_str("no instance type of the catalog serves every model within the SLO (see the rejections below)\n");
    }
    for (i, p) in r.plans.iter().take(top).enumerate() {
        let with: Vec<String> = p
            .monthly_usd_with
            .iter()
            .map(|(k, v)| format!("{k} {}", money(*v)))
            .collect();
        s.push_str(&format!(
            "{}. {} × {} ({} GPUs, {} used): {}/month{}\n",
            i + 1,
            p.nodes,
            p.instance_type,
            p.gpus_total,
            p.gpus_used,
            money(p.monthly_usd),
            if with.is_empty() {
                String::new()
            } else {
                format!(" on demand; {}", with.join(", "))
            }
        ));
        for pl in &p.placements {
            let v = &pl.sized.variant;
            s.push_str(&format!(
                "     {} ({}) at {}: {} × {} on {} × {} [{}]; {} per replica, headroom {:+.0}%; at {}: TTFT p95 {}, TPOT p95 {}\n",
                pl.service,
                pl.model,
                super::capacity::rate(pl.rate_rps),
                pl.sized.replicas,
                v.card,
                v.tensor_parallel,
                v.gpu,
                v.vllm_args().join(" "),
                super::capacity::rate(pl.sized.replica_capacity_rps),
                pl.headroom * 100.0,
                super::capacity::rate(pl.rate_rps),
                ms(pl.sized.at_rate.ttft_p95_ms),
                ms(pl.sized.at_rate.tpot_p95_ms),
            ));
        }
    }
    if r.plans.len() > top {
        s.push_str(&format!("… {} more plan(s) in --json\n", r.plans.len() - top));
    }
    if !r.rejected.is_empty() {
        s.push_str(&format!("\nrejected ({}):\n", r.rejected.len()));
        for x in &r.rejected {
            // vLLM's first sentence names the error, its second the figures behind it.
            let why = match x.why.split_once("CUDA out of memory. ") {
                Some((_, rest)) => format!("does not fit memory: {}", rest.split(". ").next().unwrap_or(rest)),
                // The sentence that says what is wrong, not vLLM's advice after it.
                None => match x.why.find(". Based on").or_else(|| x.why.find(". Try ")) {
                    Some(end) => x.why[..end].to_string(),
                    None => x.why.clone(),
                },
            };
            s.push_str(&format!("  {} on {} × {}: {why}\n", x.card, x.tensor_parallel, x.gpu));
        }
    }
    s.push_str(&format!(
        "\n{} variants probed (Poisson arrivals at constant rates; capacity per replica within the SLO, then the replicas verified at the asked rate)\n",
        r.probed
    ));
    s
}

/// "And if traffic grows by `factor`?": today's best plan with more replicas of the same
/// variants, against the best plan at the new rate; the cheaper is the change to make.
#[derive(Debug, Clone, Serialize)]
pub struct Growth {
    pub factor: f64,
    /// The best plan's variants, resized; absent when one of them cannot reach the new rate.
    pub same_variants: Option<Plan>,
    /// The best plan at the new rate.
    pub best: Option<Plan>,
}

pub fn growth(catalog: &Catalog, ask: &Ask, today: &Plan, factor: f64, hours: f64) -> Growth {
    let mut grown = ask.clone();
    for m in &mut grown.models {
        m.rate_rps *= factor;
    }
    let best = recommend(catalog, &grown, hours).plans.into_iter().next();
    let same_variants = catalog
        .instances
        .iter()
        .find(|i| i.name == today.instance_type)
        .and_then(|inst| {
            let mut by_model = Vec::new();
            for (m, pl) in grown.models.iter().zip(&today.placements) {
                let v = &pl.sized.variant;
                let (vs, _) = variants(catalog, &grown, m);
                let span = vs.into_iter().find(|(x, _)| {
                    x.card == v.card
                        && x.gpu == v.gpu
                        && x.tensor_parallel == v.tensor_parallel
                        && x.kv_cache_dtype == v.kv_cache_dtype
                        && x.max_num_seqs == v.max_num_seqs
                })?;
                by_model.push(vec![size(&grown, m, &span.0, &span.1).ok()?]);
            }
            plan_on(inst, &grown, &by_model, hours)
        });
    Growth {
        factor,
        same_variants,
        best,
    }
}

pub fn render_growth(g: &Growth, today: &Plan) -> String {
    let mut s = format!("\nand if traffic grows {}×?\n", g.factor);
    let line = |p: &Plan| {
        let parts: Vec<String> = p
            .placements
            .iter()
            .map(|pl| {
                format!(
                    "{} × {} on {} × {}",
                    pl.sized.replicas,
                    pl.sized.variant.card,
                    pl.sized.variant.tensor_parallel,
                    pl.gpu_name()
                )
            })
            .collect();
        format!(
            "{} × {}: {}/month ({})",
            p.nodes,
            p.instance_type,
            money(p.monthly_usd),
            parts.join("; ")
        )
    };
    match &g.same_variants {
        Some(p) => s.push_str(&format!(
            "  the same configuration, more replicas: {} — {} more per month\n",
            line(p),
            money(p.monthly_usd - today.monthly_usd)
        )),
        None => s.push_str("  the same configuration cannot reach the new rate within the SLO\n"),
    }
    match &g.best {
        Some(p) => s.push_str(&format!("  the best plan at the new rate: {}\n", line(p))),
        None => s.push_str("  no plan of the catalog serves the new rate within the SLO\n"),
    }
    let cheapest = [g.same_variants.as_ref(), g.best.as_ref()]
        .into_iter()
        .flatten()
        .min_by(|a, b| a.monthly_usd.total_cmp(&b.monthly_usd));
    if let Some(c) = cheapest {
        let same = g.same_variants.as_ref().is_some_and(|p| std::ptr::eq(p, c));
        s.push_str(&format!(
            "  cheapest change: {} ({}/month, {} more)\n",
            if same {
                "add replicas to today's configuration"
            } else {
                "move to the best plan at the new rate"
            },
            money(c.monthly_usd),
            money(c.monthly_usd - today.monthly_usd)
        ));
    }
    s
}

impl Placement {
    fn gpu_name(&self) -> &str {
        &self.sized.variant.gpu
    }
}

/// The models, rates and token lengths a Scenario's traffic asks of its InferenceServices
/// (each stream's peak rate; a trace's mean rate at its speed, its own lengths), and its SLO.
pub fn asks_from(p: &crate::scenario::run::Prepared) -> Result<(Vec<ModelAsk>, Vec<SloTerm>), String> {
    use crate::manifest::objects::Object;
    let mut out: Vec<ModelAsk> = Vec::new();
    for t in &p.scenario.traffic {
        let key = crate::scenario::serve::resolve(
            &t.target,
            t.namespace.as_deref(),
            p.serving_targets.iter().map(|(a, b)| (a.as_str(), b.as_str())),
        )
        .map_err(|e| format!("{}: {e}", t.loc))?;
        let isvc = p
            .objects
            .iter()
            .find_map(|(_, o)| match o {
                Object::InferenceService { namespace, isvc, .. } if *namespace == key.0 && isvc.meta.name == key.1 => {
                    Some(isvc)
                }
                _ => None,
            })
            .ok_or_else(|| {
                format!(
                    "{}: `{}` is not an InferenceService of the inputs (recommend sizes InferenceServices)",
                    t.loc, t.target
                )
            })?;
        let card = p
            .catalog
            .inference_service_model(isvc)
            .ok_or_else(|| format!("{}: InferenceService {}/{} matches no model card", t.loc, key.0, key.1))?
            .card
            .name
            .clone();
        let (rate, prompt, output) = match &t.spec.pattern {
            Pattern::Synthetic {
                rates, prompt, output, ..
            } => {
                let peak = rates.steps.iter().map(|s| s.1).fold(0.0, f64::max);
                let peak = peak * (1.0 + rates.diurnal.map_or(0.0, |d| d.amplitude));
                (peak, prompt.clone(), output.clone())
            }
            Pattern::Trace { requests, speed, .. } => {
                let span = requests.last().map_or(0.0, |r| r.offset.as_secs_f64()).max(1.0);
                (
                    requests.len() as f64 / span * speed,
                    LengthDist::Empirical(requests.iter().map(|r| r.input_tokens).collect()),
                    LengthDist::Empirical(requests.iter().map(|r| r.output_tokens).collect()),
                )
            }
        };
        let service = format!("{}/{}", key.0, key.1);
        match out.iter_mut().find(|m| m.service == service) {
            Some(m) => m.rate_rps += rate,
            None => out.push(ModelAsk {
                service,
                card,
                rate_rps: rate,
                prompt,
                output,
            }),
        }
    }
    out.retain(|m| m.rate_rps > 0.0);
    if out.is_empty() {
        return Err("the scenario sends no traffic to an InferenceService: nothing to size".into());
    }
    Ok((out, p.scenario.slo.clone()))
}
