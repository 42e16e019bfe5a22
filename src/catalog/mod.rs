//! Hardware and model catalog: GPUs, instance types, model cards and model-load
//! constants, read from the YAML files in `models/` (each number cites its source there),
//! with a user's own catalog laid over them (`overlay.rs`) and the explanation of which
//! card a storage URI resolves to (`matching.rs`).

mod matching;
mod overlay;

pub(crate) use matching::MODEL_ANNOTATION;

use crate::api::core::{ResourceList, INSTANCE_TYPE_LABEL};
use crate::api::meta::Labels;
use crate::manifest::error::{did_you_mean, InputError, InputErrors, Loc};
use crate::manifest::yaml::{parse_documents, Node};
use crate::units::Quantity;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Gpu {
    pub name: String,
    pub vendor: String,
    pub resource: String,
    pub product_label: Option<String>,
    pub memory_gb: f64,
    /// Total memory as the driver reports it, in MiB.
    pub memory_mib: f64,
    pub bandwidth_gb_s: f64,
    pub bf16_tflops: f64,
    pub fp8_tflops: Option<f64>,
    /// `pcie`, `nvlink` or `infinity-fabric`, and the per-GPU bidirectional GB/s.
    pub interconnect: (String, f64),
}

#[derive(Debug, Clone)]
pub struct Instance {
    pub name: String,
    pub provider: String,
    pub gpu: String,
    pub gpu_count: u32,
    pub vcpu: u32,
    pub memory_gib: u32,
    pub price_per_hour_usd: f64,
    /// Factors of this instance type's own, over its provider's (see
    /// [`Catalog::pricing_factors`]).
    pub pricing_factors: PricingFactors,
}

/// What a commitment or a spot market makes of the on-demand price, as a factor on it
/// (0.6: 40% off). The bundled catalog gives none: the providers publish ceilings ("up to
/// 72%") rather than a factor per instance type, and what a company pays is negotiated,
/// so users give their own (`pricing_factors:` per provider or per instance type).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PricingFactors {
    pub reserved_1y: Option<f64>,
    pub reserved_3y: Option<f64>,
    pub savings_plan_1y: Option<f64>,
    pub savings_plan_3y: Option<f64>,
    pub spot: Option<f64>,
}

impl PricingFactors {
    pub(crate) const KEYS: &'static [&'static str] = &[
        "reserved_1y",
        "reserved_3y",
        "savings_plan_1y",
        "savings_plan_3y",
        "spot",
    ];

    fn decode(n: &Node) -> Result<PricingFactors, InputError> {
        known_keys(n, Self::KEYS, "pricing factor")?;
        // A factor multiplies the on-demand price: above 1 it would be a surcharge, and 0
        // would make capacity free.
        let factor = |k: &str| opt_num(n, k, Range::open_closed(0.0, 1.0));
        Ok(PricingFactors {
            reserved_1y: factor("reserved_1y")?,
            reserved_3y: factor("reserved_3y")?,
            savings_plan_1y: factor("savings_plan_1y")?,
            savings_plan_3y: factor("savings_plan_3y")?,
            spot: factor("spot")?,
        })
    }

    /// Each factor this one gives, else `fallback`'s.
    #[cfg_attr(not(test), allow(dead_code))]
    fn or(&self, fallback: &PricingFactors) -> PricingFactors {
        PricingFactors {
            reserved_1y: self.reserved_1y.or(fallback.reserved_1y),
            reserved_3y: self.reserved_3y.or(fallback.reserved_3y),
            savings_plan_1y: self.savings_plan_1y.or(fallback.savings_plan_1y),
            savings_plan_3y: self.savings_plan_3y.or(fallback.savings_plan_3y),
            spot: self.spot.or(fallback.spot),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ModelCard {
    pub name: String,
    pub display: String,
    pub params_b: f64,
    /// Parameters used per token, for mixture-of-experts models.
    pub active_params_b: Option<f64>,
    pub precision: String,
    pub weights_gb: f64,
    pub default_storage: String,
    pub matches: Vec<String>,
    pub architecture: Option<Architecture>,
}

impl ModelCard {
    /// Billions of parameters a token passes through (all of them for dense models).
    pub(crate) fn params_active(&self) -> f64 {
        self.active_params_b.unwrap_or(self.params_b)
    }
}

/// The transformer shape vLLM's memory and step time depend on (from config.json).
#[derive(Debug, Clone, PartialEq)]
pub struct Architecture {
    pub layers: u32,
    pub hidden_size: u32,
    pub attention_heads: u32,
    pub kv_heads: u32,
    pub head_dim: u32,
    pub intermediate_size: u32,
    pub vocab_size: u32,
    pub max_position_embeddings: u32,
    /// (experts, experts per token) for mixture-of-experts models.
    pub experts: Option<(u32, u32)>,
}

/// The keys of one kind of catalog entry: those a new entry must give, and the others.
pub(crate) struct Keys {
    pub what: &'static str,
    pub required: &'static [&'static str],
    pub optional: &'static [&'static str],
}

impl Keys {
    fn all(&self) -> Vec<&'static str> {
        self.required.iter().chain(self.optional).copied().collect()
    }
}

pub(crate) const GPU_KEYS: Keys = Keys {
    what: "GPU",
    required: &[
        "name",
        "vendor",
        "resource",
        "memory_gb",
        "memory_mib",
        "bandwidth_gb_s",
        "bf16_tflops",
        "interconnect",
    ],
    // int8_tops and tdp_w document the hardware; the simulation reads neither.
    optional: &["product_label", "fp8_tflops", "int8_tops", "tdp_w"],
};

pub(crate) const INSTANCE_KEYS: Keys = Keys {
    what: "instance type",
    required: &[
        "name",
        "provider",
        "gpu",
        "gpu_count",
        "vcpu",
        "memory_gib",
        "price_per_hour_usd",
    ],
    optional: &["pricing_factors"],
};

/// A new card needs its architecture: without it vLLM's memory check and the step time
/// cannot be computed, and its replicas would never serve.
pub(crate) const MODEL_KEYS: Keys = Keys {
    what: "model card",
    required: &[
        "name",
        "params_b",
        "precision",
        "weights_gb",
        "default_storage",
        "architecture",
    ],
    // hf_repo documents where the numbers come from; the simulation does not read it.
    optional: &["display", "hf_repo", "active_params_b", "match"],
};

const ARCHITECTURE_KEYS: &[&str] = &[
    "layers",
    "hidden_size",
    "attention_heads",
    "kv_heads",
    "head_dim",
    "intermediate_size",
    "vocab_size",
    "max_position_embeddings",
    "experts",
    "experts_per_token",
    // Documented where some layers use it (gpt-oss); the memory model does not read it.
    "sliding_window",
];

/// The precisions the step-time and memory models tell apart (`serving/steptime.rs`: FP8
/// and W8A8 checkpoints run on FP8 tensor cores, the others dequantize to BF16).
pub(crate) const PRECISIONS: &[&str] = &["bf16", "fp16", "fp8", "w8a8", "w8a16", "w4a16", "mxfp4"];

const STORAGE_KEYS: &[&str] = &[
    "s3_download_mb_s",
    "oci_pull_mb_s",
    "pvc_read_mb_s",
    "gpu_load_gb_s",
    "engine_startup_s",
    "engine_startup_eager_s",
    "readiness_delay_s",
    "container_start_s",
    "oci_overlay_limit_gb",
    "prepulled_images",
];

const VLLM_KEYS: &[&str] = &[
    "non_torch_overhead_gib",
    "non_torch_overhead_tp_gib",
    "activation_factor",
    "logits_bytes_per_element",
    "profile_run_s",
    "compute_efficiency",
    "bandwidth_efficiency",
    "layer_overhead_us",
    "eager_layer_overhead_us",
    "allreduce_latency_us",
];

impl Architecture {
    fn decode(n: &Node) -> Result<Architecture, InputError> {
        known_keys(n, ARCHITECTURE_KEYS, "architecture")?;
        // Generous bounds: the largest shapes published are far inside them, and beyond
        // them the memory arithmetic would leave the range it was written for.
        let u = |k: &str, max: u32| int(n, k, max);
        let experts = match (n.get("experts"), n.get("experts_per_token")) {
            (Some(_), Some(_)) => {
                let (e, per) = (u("experts", 100_000)?, u("experts_per_token", 100_000)?);
                if per > e {
                    return Err(InputError::at(
                        n.loc.clone(),
                        format!("experts_per_token ({per}) is more than experts ({e})"),
                    ));
                }
                Some((e, per))
            }
            (None, None) => None,
            _ => {
                return Err(InputError::at(
                    n.loc.clone(),
                    "a mixture-of-experts model needs both `experts` and `experts_per_token`",
                ))
            }
        };
        let heads = u("attention_heads", 100_000)?;
        let kv = u("kv_heads", 100_000)?;
        if heads % kv != 0 {
            return Err(InputError::at(
                n.loc.clone(),
                format!("attention_heads ({heads}) is not a multiple of kv_heads ({kv})"),
            ));
        }
        Ok(Architecture {
            layers: u("layers", 10_000)?,
            hidden_size: u("hidden_size", 1_000_000)?,
            attention_heads: heads,
            kv_heads: kv,
            head_dim: u("head_dim", 100_000)?,
            intermediate_size: u("intermediate_size", 10_000_000)?,
            vocab_size: u("vocab_size", 100_000_000)?,
            max_position_embeddings: u("max_position_embeddings", 100_000_000)?,
            experts,
        })
    }
}

#[derive(Debug, Clone)]
pub struct LoadConstants {
    pub s3_download_mb_s: f64,
    pub oci_pull_mb_s: f64,
    pub pvc_read_mb_s: f64,
    pub gpu_load_gb_s: f64,
    pub engine_startup_s: f64,
    pub engine_startup_eager_s: f64,
    pub readiness_delay_s: f64,
    pub container_start_s: f64,
    pub oci_overlay_limit_gb: f64,
    /// Images every node already has (a ModelCar or runtime image baked into the node
    /// image or pulled ahead): exact references, or prefixes ending in `*`.
    pub prepulled_images: Vec<String>,
}

impl LoadConstants {
    /// Whether every node already has `image`, so that using it pulls nothing.
    pub(crate) fn prepulled(&self, image: &str) -> bool {
        self.prepulled_images.iter().any(|p| match p.strip_suffix('*') {
            Some(prefix) => image.starts_with(prefix),
            None => image == p,
        })
    }
}

/// Constants of the vLLM memory model (`models/vllm.yaml`).
#[derive(Debug, Clone)]
pub struct VllmConstants {
    pub non_torch_overhead_gib: f64,
    pub non_torch_overhead_tp_gib: f64,
    pub activation_factor: f64,
    pub logits_bytes_per_element: f64,
    pub profile_run_s: f64,
    pub compute_efficiency: f64,
    pub bandwidth_efficiency: f64,
    pub layer_overhead_us: f64,
    pub eager_layer_overhead_us: f64,
    pub allreduce_latency_us: f64,
}

#[derive(Debug, Clone)]
pub struct Catalog {
    pub gpus: Vec<Gpu>,
    pub instances: Vec<Instance>,
    pub models: Vec<ModelCard>,
    pub load: LoadConstants,
    pub vllm: VllmConstants,
    pub price_date: String,
    /// Pricing factors by provider (`pricing_factors:` at the top of instances.yaml).
    pub provider_pricing_factors: BTreeMap<String, PricingFactors>,
    /// The files as YAML trees, which a user's catalog is laid over.
    source: Source,
}

/// The catalog's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CatalogFile {
    Gpus,
    Instances,
    Models,
    Storage,
    Vllm,
}

impl CatalogFile {
    pub(crate) const ALL: [CatalogFile; 5] = [
        CatalogFile::Gpus,
        CatalogFile::Instances,
        CatalogFile::Models,
        CatalogFile::Storage,
        CatalogFile::Vllm,
    ];

    pub(crate) fn file_name(self) -> &'static str {
        match self {
            CatalogFile::Gpus => "gpus.yaml",
            CatalogFile::Instances => "instances.yaml",
            CatalogFile::Models => "models.yaml",
            CatalogFile::Storage => "storage.yaml",
            CatalogFile::Vllm => "vllm.yaml",
        }
    }

    /// The key of the file's list of named entries, and what one entry must and may hold.
    pub(crate) fn list(self) -> Option<(&'static str, &'static Keys)> {
        match self {
            CatalogFile::Gpus => Some(("gpus", &GPU_KEYS)),
            CatalogFile::Instances => Some(("instances", &INSTANCE_KEYS)),
            CatalogFile::Models => Some(("models", &MODEL_KEYS)),
            CatalogFile::Storage | CatalogFile::Vllm => None,
        }
    }

    /// The keys at the top of the file.
    pub(crate) fn top_keys(self) -> &'static [&'static str] {
        match self {
            CatalogFile::Gpus => &["gpus"],
            CatalogFile::Instances => &["price_date", "pricing_factors", "instances"],
            CatalogFile::Models => &["models"],
            CatalogFile::Storage => STORAGE_KEYS,
            CatalogFile::Vllm => VLLM_KEYS,
        }
    }

    /// What the file's settings are called in a message.
    pub(crate) fn what(self) -> &'static str {
        match self {
            CatalogFile::Storage => "storage",
            CatalogFile::Vllm => "vLLM",
            f => f.file_name(),
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The catalog's five files as YAML trees, in [`CatalogFile::ALL`]'s order: kept so that a
/// user's catalog can be laid over them and the whole decoded again, each value keeping
/// the place it was written.
#[derive(Debug, Clone)]
struct Source {
    files: [Node; 5],
}

/// The bundled catalog, compiled in so the binary works from any directory.
const BUNDLED: [(&str, &str); 5] = [
    ("models/gpus.yaml", include_str!("../../models/gpus.yaml")),
    ("models/instances.yaml", include_str!("../../models/instances.yaml")),
    ("models/models.yaml", include_str!("../../models/models.yaml")),
    ("models/storage.yaml", include_str!("../../models/storage.yaml")),
    ("models/vllm.yaml", include_str!("../../models/vllm.yaml")),
];

/// The one document of a catalog file; an empty file is an empty mapping (it changes
/// nothing when laid over another).
fn root(file: &str, text: &str) -> Result<Node, InputError> {
    let docs = parse_documents(&Arc::from(file), text)?;
    if let Some(second) = docs.get(1) {
        return Err(InputError::at(
            second.root.loc.clone(),
            "a catalog file holds one YAML document, this one holds several",
        )
        .hint("remove the `---` separators and merge the documents"));
    }
    Ok(docs
        .into_iter()
        .next()
        .map(|d| d.root)
        .unwrap_or_else(|| Node::synthetic(Loc::file(file), crate::manifest::yaml::Value::Map(Vec::new()))))
}

/// The first key of `n` not in `known`, as an error with the closest known one.
pub(crate) fn known_keys(n: &Node, known: &[&str], what: &str) -> Result<(), InputError> {
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

/// The interval a catalog number must lie in. Beyond it a value is a typo (a price in
/// cents, a rate of 0) that would stall or overflow a run rather than describe hardware
/// or a model.
#[derive(Debug, Clone, Copy)]
struct Range {
    min: f64,
    /// Whether `min` itself is excluded (a rate must be above 0; a delay may be 0).
    min_open: bool,
    max: f64,
}

impl Range {
    const fn open_closed(min: f64, max: f64) -> Range {
        Range {
            min,
            min_open: true,
            max,
        }
    }
    const fn closed(min: f64, max: f64) -> Range {
        Range {
            min,
            min_open: false,
            max,
        }
    }
    fn holds(&self, v: f64) -> bool {
        // Written so that NaN, which every comparison refuses, is outside.
        let above = if self.min_open { v > self.min } else { v >= self.min };
        above && v <= self.max
    }
    fn describe(&self) -> String {
        let lower = if self.min_open { "above" } else { "at least" };
        format!("{lower} {} and at most {}", self.min, self.max)
    }
}

/// A positive amount (a size, a rate, a throughput) up to `max`.
const fn positive(max: f64) -> Range {
    Range::open_closed(0.0, max)
}

/// A time or an overhead, which may be 0, up to `max`.
const fn non_negative(max: f64) -> Range {
    Range::closed(0.0, max)
}

/// A day: the longest any one start-up step or step cost may be.
const DAY_S: f64 = 86_400.0;

fn missing(node: &Node, key: &str) -> InputError {
    InputError::at(node.loc.clone(), format!("`{key}` is missing"))
}

fn num(node: &Node, key: &str, range: Range) -> Result<f64, InputError> {
    opt_num(node, key, range)?.ok_or_else(|| missing(node, key))
}

fn opt_num(node: &Node, key: &str, range: Range) -> Result<Option<f64>, InputError> {
    let Some(v) = node.get(key) else { return Ok(None) };
    let x = v.as_f64()?;
    if !range.holds(x) {
        return Err(InputError::at(
            v.loc.clone(),
            format!("`{key}` must be {} (found {x})", range.describe()),
        ));
    }
    Ok(Some(x))
}

/// A whole number from 1 to `max`.
fn int(node: &Node, key: &str, max: u32) -> Result<u32, InputError> {
    let v = node.get(key).ok_or_else(|| missing(node, key))?;
    let x = v.as_f64()?;
    if !(x >= 1.0 && x <= max as f64 && x.fract() == 0.0) {
        return Err(InputError::at(
            v.loc.clone(),
            format!("`{key}` must be a whole number from 1 to {max} (found {x})"),
        ));
    }
    Ok(x as u32)
}

fn s(node: &Node, key: &str) -> Result<String, InputError> {
    Ok(node.get(key).ok_or_else(|| missing(node, key))?.as_str()?.to_string())
}

/// A string field that must be one of `allowed`, compared without case; `hint` says how
/// to map another value onto them.
fn one_of(node: &Node, key: &str, allowed: &[&str], hint: Option<&str>) -> Result<String, InputError> {
    let v = node.get(key).ok_or_else(|| missing(node, key))?;
    let text = v.as_str()?.to_lowercase();
    if !allowed.contains(&text.as_str()) {
        let e = InputError::at(
            v.loc.clone(),
            format!(
                "`{key}` `{text}` is not one of {}{}",
                allowed.join(", "),
                did_you_mean(&text, allowed.iter().copied())
            ),
        );
        return Err(match hint {
            Some(h) => e.hint(h),
            None => e,
        });
    }
    Ok(text)
}

/// The items of a catalog file's top-level list.
fn list<'n>(root: &'n Node, key: &str) -> Result<&'n [Node], InputError> {
    root.get(key)
        .ok_or_else(|| InputError::at(root.loc.clone(), format!("`{key}` list missing")))?
        .items()
}

fn opt_s(node: &Node, key: &str) -> Result<Option<String>, InputError> {
    node.get(key).map(|v| v.as_str().map(str::to_string)).transpose()
}

impl Gpu {
    fn decode(n: &Node) -> Result<Gpu, InputError> {
        known_keys(n, &GPU_KEYS.all(), "GPU")?;
        let flops = positive(1_000_000.0);
        // tdp_w and int8_tops are read only to hold them to a sane range.
        opt_num(n, "int8_tops", flops)?;
        opt_num(n, "tdp_w", positive(100_000.0))?;
        let resource = s(n, "resource")?;
        // An extended resource is domain-qualified; `cpu` or `memory` here would overwrite
        // the node's own allocatable.
        if !resource.contains('/') {
            let at = n.get("resource").map_or(n.loc.clone(), |r| r.loc.clone());
            return Err(InputError::at(
                at,
                format!("`resource` `{resource}` is not a device plugin's resource name"),
            )
            .hint("e.g. nvidia.com/gpu or amd.com/gpu"));
        }
        Ok(Gpu {
            name: s(n, "name")?,
            // The node labels GPU feature discovery and the AMD labeller set differ.
            vendor: one_of(n, "vendor", &["nvidia", "amd"], None)?,
            resource,
            product_label: opt_s(n, "product_label")?,
            memory_gb: num(n, "memory_gb", positive(100_000.0))?,
            memory_mib: num(n, "memory_mib", positive(100_000_000.0))?,
            bandwidth_gb_s: num(n, "bandwidth_gb_s", positive(1_000_000.0))?,
            bf16_tflops: num(n, "bf16_tflops", flops)?,
            fp8_tflops: opt_num(n, "fp8_tflops", flops)?,
            interconnect: match n.get("interconnect") {
                Some(i) => {
                    known_keys(i, &["kind", "gb_s"], "interconnect")?;
                    (s(i, "kind")?, num(i, "gb_s", positive(1_000_000.0))?)
                }
                None => return Err(missing(n, "interconnect")),
            },
        })
    }
}

impl Instance {
    /// An instance type, whose GPU must be one of `gpus`.
    fn decode(n: &Node, gpus: &[Gpu]) -> Result<Instance, InputError> {
        known_keys(n, &INSTANCE_KEYS.all(), "instance type")?;
        let gpu = s(n, "gpu")?;
        if !gpus.iter().any(|g| g.name == gpu) {
            return Err(InputError::at(
                n.get("gpu").map_or(n.loc.clone(), |g| g.loc.clone()),
                format!(
                    "unknown GPU `{gpu}`{}",
                    did_you_mean(&gpu, gpus.iter().map(|g| g.name.as_str()))
                ),
            )
            .hint(format!(
                "known GPUs: {}; a new one goes in gpus.yaml (or `catalog: gpus:`)",
                gpus.iter().map(|g| g.name.as_str()).collect::<Vec<_>>().join(", ")
            )));
        }
        Ok(Instance {
            name: s(n, "name")?,
            provider: s(n, "provider")?,
            gpu,
            gpu_count: int(n, "gpu_count", 64)?,
            vcpu: int(n, "vcpu", 100_000)?,
            memory_gib: int(n, "memory_gib", 1_000_000)?,
            // 0 is a price: hardware already paid for.
            price_per_hour_usd: num(n, "price_per_hour_usd", non_negative(1_000_000.0))?,
            pricing_factors: n
                .get("pricing_factors")
                .map(PricingFactors::decode)
                .transpose()?
                .unwrap_or_default(),
        })
    }
}

impl ModelCard {
    fn decode(n: &Node) -> Result<ModelCard, InputError> {
        known_keys(n, &MODEL_KEYS.all(), "model card")?;
        let matches = match n.get("match") {
            Some(l) => l
                .items()?
                .iter()
                .map(|x| {
                    let p = x.as_str()?.to_lowercase();
                    // An empty pattern is a substring of every URI: the card would
                    // claim every model that no longer key matches.
                    if p.trim().is_empty() {
                        return Err(InputError::at(
                            x.loc.clone(),
                            "an empty `match` pattern matches every storage URI",
                        )
                        .hint("give a substring of the model's storage URI, e.g. its folder or image name"));
                    }
                    Ok(p)
                })
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let params_b = num(n, "params_b", positive(100_000.0))?;
        Ok(ModelCard {
            name: s(n, "name")?,
            display: opt_s(n, "display")?.unwrap_or_default(),
            params_b,
            active_params_b: opt_num(n, "active_params_b", positive(params_b))?,
            precision: one_of(
                n,
                "precision",
                PRECISIONS,
                Some("AWQ and GPTQ 4-bit checkpoints are w4a16, INT8 weights and activations w8a8"),
            )?,
            weights_gb: num(n, "weights_gb", positive(100_000.0))?,
            default_storage: one_of(n, "default_storage", &["s3", "oci", "pvc", "hf"], None)?,
            matches,
            architecture: n.get("architecture").map(Architecture::decode).transpose()?,
        })
    }
}

impl LoadConstants {
    /// `models/storage.yaml`.
    fn decode(st: &Node) -> Result<LoadConstants, InputError> {
        known_keys(st, STORAGE_KEYS, "storage")?;
        // A rate below 1 kB/s would turn a download into years.
        let rate = Range::closed(0.001, 1_000_000.0);
        let delay = non_negative(DAY_S);
        let prepulled_images = match st.get("prepulled_images") {
            Some(l) => l
                .items()?
                .iter()
                .map(|x| {
                    let text = x.as_str()?.trim();
                    // Pods name a ModelCar without its scheme; so does the image cache.
                    let image = text.strip_prefix("oci://").unwrap_or(text);
                    let head = image.strip_suffix('*').unwrap_or(image);
                    if image.is_empty() || head.contains('*') {
                        return Err(InputError::at(
                            x.loc.clone(),
                            format!("`{text}` is not an image reference or a prefix ending in `*`"),
                        )
                        .hint("e.g. registry.redhat.io/rhelai1/modelcar-granite-3-1-8b-instruct:1.5 or quay.io/modh/vllm:*"));
                    }
                    Ok(image.to_string())
                })
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        Ok(LoadConstants {
            s3_download_mb_s: num(st, "s3_download_mb_s", rate)?,
            oci_pull_mb_s: num(st, "oci_pull_mb_s", rate)?,
            pvc_read_mb_s: num(st, "pvc_read_mb_s", rate)?,
            gpu_load_gb_s: num(st, "gpu_load_gb_s", rate)?,
            engine_startup_s: num(st, "engine_startup_s", delay)?,
            engine_startup_eager_s: num(st, "engine_startup_eager_s", delay)?,
            readiness_delay_s: num(st, "readiness_delay_s", delay)?,
            container_start_s: num(st, "container_start_s", delay)?,
            oci_overlay_limit_gb: num(st, "oci_overlay_limit_gb", positive(1_000_000.0))?,
            prepulled_images,
        })
    }
}

impl VllmConstants {
    fn decode(v: &Node) -> Result<VllmConstants, InputError> {
        known_keys(v, VLLM_KEYS, "vLLM")?;
        let fraction = Range::open_closed(0.0, 1.0);
        Ok(VllmConstants {
            non_torch_overhead_gib: num(v, "non_torch_overhead_gib", non_negative(10_000.0))?,
            non_torch_overhead_tp_gib: num(v, "non_torch_overhead_tp_gib", non_negative(10_000.0))?,
            activation_factor: num(v, "activation_factor", non_negative(1_000.0))?,
            logits_bytes_per_element: num(v, "logits_bytes_per_element", positive(64.0))?,
            profile_run_s: num(v, "profile_run_s", non_negative(DAY_S))?,
            compute_efficiency: num(v, "compute_efficiency", fraction)?,
            bandwidth_efficiency: num(v, "bandwidth_efficiency", fraction)?,
            // Per layer per step: a second is far beyond any kernel launch.
            layer_overhead_us: num(v, "layer_overhead_us", non_negative(1e6))?,
            eager_layer_overhead_us: num(v, "eager_layer_overhead_us", non_negative(1e6))?,
            allreduce_latency_us: num(v, "allreduce_latency_us", non_negative(DAY_S * 1e6))?,
        })
    }
}

/// Decodes each entry of a file's list, gathering every entry's error.
fn entries<T>(
    root: &Node,
    key: &str,
    errors: &mut Vec<InputError>,
    decode: impl Fn(&Node) -> Result<T, InputError>,
) -> Vec<T> {
    match list(root, key) {
        Ok(items) => items
            .iter()
            .filter_map(|n| decode(n).map_err(|e| errors.push(e)).ok())
            .collect(),
        Err(e) => {
            errors.push(e);
            Vec::new()
        }
    }
}

impl Catalog {
    pub fn bundled() -> Catalog {
        let files =
            BUNDLED.map(|(file, text)| root(file, text).expect("bundled catalog is valid YAML (checked by tests)"));
        Catalog::decode(Source { files }).expect("bundled catalog is valid (checked by tests)")
    }

    /// Decodes the files, gathering the errors of every entry.
    fn decode(source: Source) -> Result<Catalog, InputErrors> {
        let mut errors = Vec::new();
        let file = |f: CatalogFile| &source.files[f.index()];
        for f in CatalogFile::ALL {
            if let Err(e) = known_keys(file(f), f.top_keys(), f.what()) {
                errors.push(e);
            }
        }
        let g = file(CatalogFile::Gpus);
        let gpus = entries(g, "gpus", &mut errors, Gpu::decode);
        // A GPU refused above is reported once, not again by every instance type of it.
        let refused: Vec<&str> = list(g, "gpus")
            .unwrap_or(&[])
            .iter()
            .filter_map(|n| n.get("name").and_then(|v| v.as_str().ok()))
            .filter(|name| !gpus.iter().any(|g| g.name == *name))
            .collect();
        let i = file(CatalogFile::Instances);
        let instances: Vec<Instance> = entries(i, "instances", &mut errors, |n| {
            match n.get("gpu").and_then(|v| v.as_str().ok()) {
                Some(gpu) if refused.contains(&gpu) => Ok(None),
                _ => Instance::decode(n, &gpus).map(Some),
            }
        })
        .into_iter()
        .flatten()
        .collect();
        let price_date = opt_s(i, "price_date").unwrap_or_else(|e| {
            errors.push(e);
            None
        });
        let provider_pricing_factors = provider_factors(i, &instances).unwrap_or_else(|e| {
            errors.push(e);
            BTreeMap::new()
        });
        let models = entries(file(CatalogFile::Models), "models", &mut errors, ModelCard::decode);
        let load = LoadConstants::decode(file(CatalogFile::Storage)).map_err(|e| errors.push(e));
        let vllm = VllmConstants::decode(file(CatalogFile::Vllm)).map_err(|e| errors.push(e));
        match (load, vllm) {
            (Ok(load), Ok(vllm)) if errors.is_empty() => Ok(Catalog {
                gpus,
                instances,
                models,
                load,
                vllm,
                price_date: price_date.unwrap_or_default(),
                provider_pricing_factors,
                source,
            }),
            _ => Err(InputErrors(errors)),
        }
    }

    /// The discount factors on an instance type's on-demand price: its own, else its
    /// provider's; none for an unknown instance type. Each factor is absent where neither
    /// gives it.
    pub(crate) fn pricing_factors(&self, instance: &str) -> Option<PricingFactors> {
        let i = self.instance(instance)?;
        let provider = self
            .provider_pricing_factors
            .get(&i.provider)
            .cloned()
            .unwrap_or_default();
        Some(i.pricing_factors.or(&provider))
    }

    /// Labels (instance type, GPU product and count) and allocatable resources of a node
    /// of this instance type, as the cloud provider and GPU feature discovery set them.
    pub(crate) fn node_capacity(&self, instance: &str) -> (Labels, ResourceList) {
        let mut labels = Labels::new();
        let mut alloc = ResourceList::default();
        if let Some(i) = self.instance(instance) {
            labels.insert(INSTANCE_TYPE_LABEL.into(), instance.into());
            alloc.0.insert("cpu".into(), Quantity::from_units(i.vcpu as i64));
            alloc.0.insert(
                "memory".into(),
                Quantity::parse(&format!("{}Gi", i.memory_gib)).unwrap(),
            );
            alloc.0.insert("pods".into(), Quantity::from_units(110));
            if let Some(g) = self.gpu(&i.gpu) {
                alloc
                    .0
                    .insert(g.resource.clone(), Quantity::from_units(i.gpu_count as i64));
                if let Some(p) = &g.product_label {
                    let key = if g.vendor == "amd" {
                        "amd.com/gpu.product-name"
                    } else {
                        "nvidia.com/gpu.product"
                    };
                    labels.insert(key.into(), p.clone());
                }
                labels.insert(format!("{}.count", g.resource), i.gpu_count.to_string());
            }
        }
        (labels, alloc)
    }

    /// Fills what a Node manifest leaves out (capacity, GPU labels) from its instance type.
    pub(crate) fn complete_node(&self, n: &mut crate::api::core::NodeObject) {
        if let Some(it) = n.instance_type.clone() {
            let (labels, alloc) = self.node_capacity(&it);
            for (k, v) in labels {
                n.meta.labels.entry(k).or_insert(v);
            }
            for (k, v) in alloc.0 {
                n.allocatable.0.entry(k).or_insert(v);
            }
        }
    }

    pub fn instance(&self, name: &str) -> Option<&Instance> {
        self.instances.iter().find(|i| i.name == name)
    }

    pub fn gpu(&self, name: &str) -> Option<&Gpu> {
        self.gpus.iter().find(|g| g.name == name)
    }

    pub fn model(&self, name: &str) -> Option<&ModelCard> {
        self.models.iter().find(|m| m.name == name)
    }

    pub(crate) fn unknown_instance_hint(&self, name: &str) -> String {
        format!(
            "known instance types: {}{}; a new one goes in instances.yaml of --catalog DIR or the Scenario's `catalog: instances:`",
            self.instances
                .iter()
                .map(|i| i.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            did_you_mean(name, self.instances.iter().map(|i| i.name.as_str()))
        )
    }

    pub(crate) fn unknown_model_hint(&self, storage: &str) -> String {
        let last = storage.rsplit('/').next().unwrap_or(storage);
        format!(
            "add annotation `gpuaas-sim.io/model: <card>` to the InferenceService, or a card (or a `match:` entry) in models.yaml of --catalog DIR or the Scenario's `catalog: models:`; known cards: {}{}",
            self.models.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", "),
            did_you_mean(last, self.models.iter().map(|m| m.name.as_str()))
        )
    }
}

/// `pricing_factors:` at the top of instances.yaml: factors by provider, each provider
/// one that some instance type has (a misspelt provider would otherwise apply to nothing).
fn provider_factors(root: &Node, instances: &[Instance]) -> Result<BTreeMap<String, PricingFactors>, InputError> {
    let mut out = BTreeMap::new();
    let Some(map) = root.get("pricing_factors") else {
        return Ok(out);
    };
    let providers: std::collections::BTreeSet<&str> = instances.iter().map(|i| i.provider.as_str()).collect();
    for (k, v) in map.entries()? {
        let provider = k.as_str()?;
        if !providers.contains(provider) {
            return Err(InputError::at(
                k.loc.clone(),
                format!(
                    "no instance type has provider `{provider}`{}",
                    did_you_mean(provider, providers.iter().copied())
                ),
            )
            .hint(format!(
                "pricing_factors are given per provider ({}) or in an instance type's own entry",
                providers.iter().copied().collect::<Vec<_>>().join(", ")
            )));
        }
        out.insert(provider.to_string(), PricingFactors::decode(v)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
