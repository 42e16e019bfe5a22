//! Hardware and model catalog: GPUs, instance types, model cards and model-load
//! constants, read from the YAML files in `models/` (each number cites its source there).

use crate::api::core::{ResourceList, INSTANCE_TYPE_LABEL};
use crate::api::meta::Labels;
use crate::manifest::error::{did_you_mean, InputError, Loc};
use crate::manifest::yaml::{parse_documents, Node};
use crate::units::Quantity;
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

impl Architecture {
    fn decode(n: &Node) -> Result<Architecture, InputError> {
        let u = |k: &str| -> Result<u32, InputError> {
            let v = f(n, k)?;
            if v < 1.0 || v.fract() != 0.0 || v > u32::MAX as f64 {
                return Err(InputError::at(
                    n.loc.clone(),
                    format!("architecture `{k}` must be a positive integer"),
                ));
            }
            Ok(v as u32)
        };
        let experts = match (n.get("experts"), n.get("experts_per_token")) {
            (Some(_), Some(_)) => Some((u("experts")?, u("experts_per_token")?)),
            (None, None) => None,
            _ => {
                return Err(InputError::at(
                    n.loc.clone(),
                    "a mixture-of-experts model needs both `experts` and `experts_per_token`",
                ))
            }
        };
        let heads = u("attention_heads")?;
        let kv = u("kv_heads")?;
        if heads % kv != 0 {
            return Err(InputError::at(
                n.loc.clone(),
                format!("attention_heads ({heads}) is not a multiple of kv_heads ({kv})"),
            ));
        }
        Ok(Architecture {
            layers: u("layers")?,
            hidden_size: u("hidden_size")?,
            attention_heads: heads,
            kv_heads: kv,
            head_dim: u("head_dim")?,
            intermediate_size: u("intermediate_size")?,
            vocab_size: u("vocab_size")?,
            max_position_embeddings: u("max_position_embeddings")?,
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
}

/// The bundled catalog, compiled in so the binary works from any directory.
const GPUS: &str = include_str!("../../models/gpus.yaml");
const INSTANCES: &str = include_str!("../../models/instances.yaml");
const MODELS: &str = include_str!("../../models/models.yaml");
const STORAGE: &str = include_str!("../../models/storage.yaml");
const VLLM: &str = include_str!("../../models/vllm.yaml");

fn root(file: &str, text: &str) -> Result<Node, InputError> {
    let docs = parse_documents(&Arc::from(file), text)?;
    docs.into_iter()
        .next()
        .map(|d| d.root)
        .ok_or_else(|| InputError::at(Loc::file(file), "empty catalog file"))
}

fn f(node: &Node, key: &str) -> Result<f64, InputError> {
    node.get(key)
        .ok_or_else(|| InputError::at(node.loc.clone(), format!("`{key}` is missing")))?
        .as_f64()
}

fn s(node: &Node, key: &str) -> Result<String, InputError> {
    Ok(node
        .get(key)
        .ok_or_else(|| InputError::at(node.loc.clone(), format!("`{key}` is missing")))?
        .as_str()?
        .to_string())
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
        Ok(Gpu {
            name: s(n, "name")?,
            vendor: s(n, "vendor")?,
            resource: s(n, "resource")?,
            product_label: opt_s(n, "product_label")?,
            memory_gb: f(n, "memory_gb")?,
            memory_mib: f(n, "memory_mib")?,
            bandwidth_gb_s: f(n, "bandwidth_gb_s")?,
            bf16_tflops: f(n, "bf16_tflops")?,
            fp8_tflops: n.get("fp8_tflops").map(|v| v.as_f64()).transpose()?,
            interconnect: match n.get("interconnect") {
                Some(i) => (s(i, "kind")?, f(i, "gb_s")?),
                None => return Err(InputError::at(n.loc.clone(), "`interconnect` is missing")),
            },
        })
    }
}

impl Instance {
    /// An instance type, whose GPU must be one of `gpus`.
    fn decode(n: &Node, gpus: &[Gpu]) -> Result<Instance, InputError> {
        let gpu = s(n, "gpu")?;
        if !gpus.iter().any(|g| g.name == gpu) {
            return Err(InputError::at(
                n.get("gpu").map_or(n.loc.clone(), |g| g.loc.clone()),
                format!("unknown GPU `{gpu}`"),
            ));
        }
        Ok(Instance {
            name: s(n, "name")?,
            provider: s(n, "provider")?,
            gpu,
            gpu_count: f(n, "gpu_count")? as u32,
            vcpu: f(n, "vcpu")? as u32,
            memory_gib: f(n, "memory_gib")? as u32,
            price_per_hour_usd: f(n, "price_per_hour_usd")?,
        })
    }
}

impl ModelCard {
    fn decode(n: &Node) -> Result<ModelCard, InputError> {
        let matches = match n.get("match") {
            Some(l) => l
                .items()?
                .iter()
                .map(|x| x.as_str().map(str::to_lowercase))
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        Ok(ModelCard {
            name: s(n, "name")?,
            display: opt_s(n, "display")?.unwrap_or_default(),
            params_b: f(n, "params_b")?,
            active_params_b: n.get("active_params_b").map(|v| v.as_f64()).transpose()?,
            precision: s(n, "precision")?,
            weights_gb: f(n, "weights_gb")?,
            default_storage: s(n, "default_storage")?,
            matches,
            architecture: n.get("architecture").map(Architecture::decode).transpose()?,
        })
    }
}

impl LoadConstants {
    /// `models/storage.yaml`.
    fn decode(st: &Node) -> Result<LoadConstants, InputError> {
        Ok(LoadConstants {
            s3_download_mb_s: f(st, "s3_download_mb_s")?,
            oci_pull_mb_s: f(st, "oci_pull_mb_s")?,
            pvc_read_mb_s: f(st, "pvc_read_mb_s")?,
            gpu_load_gb_s: f(st, "gpu_load_gb_s")?,
            engine_startup_s: f(st, "engine_startup_s")?,
            engine_startup_eager_s: f(st, "engine_startup_eager_s")?,
            readiness_delay_s: f(st, "readiness_delay_s")?,
            container_start_s: f(st, "container_start_s")?,
            oci_overlay_limit_gb: f(st, "oci_overlay_limit_gb")?,
        })
    }
}

impl VllmConstants {
    fn decode(v: &Node) -> Result<VllmConstants, InputError> {
        Ok(VllmConstants {
            non_torch_overhead_gib: f(v, "non_torch_overhead_gib")?,
            non_torch_overhead_tp_gib: f(v, "non_torch_overhead_tp_gib")?,
            activation_factor: f(v, "activation_factor")?,
            logits_bytes_per_element: f(v, "logits_bytes_per_element")?,
            profile_run_s: f(v, "profile_run_s")?,
            compute_efficiency: f(v, "compute_efficiency")?,
            bandwidth_efficiency: f(v, "bandwidth_efficiency")?,
            layer_overhead_us: f(v, "layer_overhead_us")?,
            eager_layer_overhead_us: f(v, "eager_layer_overhead_us")?,
            allreduce_latency_us: f(v, "allreduce_latency_us")?,
        })
    }
}

impl Catalog {
    pub fn bundled() -> Catalog {
        Self::from_texts(
            ("models/gpus.yaml", GPUS),
            ("models/instances.yaml", INSTANCES),
            ("models/models.yaml", MODELS),
            ("models/storage.yaml", STORAGE),
            ("models/vllm.yaml", VLLM),
        )
        .expect("bundled catalog is valid (checked by tests)")
    }

    fn from_texts(
        gpus: (&str, &str),
        instances: (&str, &str),
        models: (&str, &str),
        storage: (&str, &str),
        vllm: (&str, &str),
    ) -> Result<Catalog, InputError> {
        let g = root(gpus.0, gpus.1)?;
        let gpus = list(&g, "gpus")?
            .iter()
            .map(Gpu::decode)
            .collect::<Result<Vec<_>, _>>()?;
        let i = root(instances.0, instances.1)?;
        let instances = list(&i, "instances")?
            .iter()
            .map(|n| Instance::decode(n, &gpus))
            .collect::<Result<_, _>>()?;
        let price_date = opt_s(&i, "price_date")?.unwrap_or_default();
        let m = root(models.0, models.1)?;
        let models = list(&m, "models")?
            .iter()
            .map(ModelCard::decode)
            .collect::<Result<_, _>>()?;
        let load = LoadConstants::decode(&root(storage.0, storage.1)?)?;
        let vllm = VllmConstants::decode(&root(vllm.0, vllm.1)?)?;
        Ok(Catalog {
            gpus,
            instances,
            models,
            load,
            vllm,
            price_date,
        })
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

    /// The model card whose longest `match` substring occurs in the storage URI/path.
    pub(crate) fn match_model(&self, storage: &str) -> Option<&ModelCard> {
        let s = storage.to_lowercase();
        self.models
            .iter()
            .filter_map(|m| {
                m.matches
                    .iter()
                    .filter(|p| s.contains(p.as_str()))
                    .map(|p| p.len())
                    .max()
                    .map(|l| (l, m))
            })
            .max_by_key(|(l, _)| *l)
            .map(|(_, m)| m)
    }

    pub(crate) fn unknown_instance_hint(&self, name: &str) -> String {
        format!(
            "known instance types: {}{}",
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
            "add annotation `gpuaas-sim.io/model: <card>` to the InferenceService or a `match:` entry to models/models.yaml; known cards: {}{}",
            self.models.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", "),
            did_you_mean(last, self.models.iter().map(|m| m.name.as_str()))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_catalog_loads_and_covers_the_seed() {
        let c = Catalog::bundled();
        for i in [
            "g6.4xlarge",
            "g6.12xlarge",
            "g6.48xlarge",
            "p4d.24xlarge",
            "p5.48xlarge",
        ] {
            assert!(c.instance(i).is_some(), "{i}");
        }
        assert_eq!(c.instance("g6.12xlarge").unwrap().gpu_count, 4);
        for g in ["L4", "A100-80GB", "H100-SXM", "H200", "MI300X"] {
            assert!(c.gpu(g).is_some(), "{g}");
        }
        assert!(c.instances.iter().any(|i| i.gpu == "MI300X"));
    }

    #[test]
    fn storage_uris_resolve_to_the_most_specific_card() {
        let c = Catalog::bundled();
        let int4 = c
            .match_model("registry.redhat.io/rhelai1/modelcar-mistral-small-3-1-24b-instruct-2503-quantized-w4a16:1.5")
            .expect("w4a16 card");
        assert_eq!(int4.precision, "w4a16");
        let g = c
            .match_model("registry.redhat.io/rhelai1/modelcar-granite-3-1-8b-instruct:1.5")
            .expect("granite");
        assert!(g.params_b > 7.0 && g.params_b < 9.0);
    }
}
