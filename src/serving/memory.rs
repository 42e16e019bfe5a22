//! GPU memory at vLLM start-up: weights, profiling peak, overheads and the KV cache that
//! fits in what is left, in 16-token blocks; or the error vLLM stops with.

use super::args::VllmArgs;
use crate::catalog::{Architecture, Gpu, ModelCard, VllmConstants};

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// What one tensor-parallel rank holds once the engine is up.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryPlan {
    pub gpu_bytes: f64,
    pub budget_bytes: f64,
    pub weights_bytes: f64,
    pub activation_bytes: f64,
    pub overhead_bytes: f64,
    pub kv_bytes: f64,
    pub kv_bytes_per_token: f64,
    pub num_blocks: u64,
    pub kv_capacity_tokens: u64,
    pub max_model_len: u32,
    pub max_num_seqs: u32,
    pub max_num_batched_tokens: u32,
}

/// Why vLLM refuses to start, with the message it prints.
#[derive(Debug, Clone, PartialEq)]
pub struct StartupFailure {
    pub reason: &'static str,
    pub message: String,
}

fn fail(reason: &'static str, message: String) -> StartupFailure {
    StartupFailure { reason, message }
}

/// vLLM V1's batch defaults for the OpenAI server: larger on GPUs with at least 70 GiB
/// that are not A100s (`EngineArgs.get_batch_defaults`).
pub(crate) fn batch_defaults(gpu: &Gpu) -> (u32, u32) {
    let big = gpu.memory_mib * 1024.0 * 1024.0 >= 70.0 * GIB && !gpu.name.to_lowercase().contains("a100");
    if big {
        (8192, 1024)
    } else {
        (2048, 256)
    }
}

/// KV bytes one token takes on one rank: K and V for every layer; KV heads are split
/// across tensor-parallel ranks (replicated when there are fewer heads than ranks).
pub(crate) fn kv_bytes_per_token(arch: &Architecture, args: &VllmArgs) -> f64 {
    let tp = args.tensor_parallel_size.max(1);
    let heads = (arch.kv_heads as f64 / tp as f64).max(1.0).ceil();
    2.0 * arch.layers as f64 / args.pipeline_parallel_size.max(1) as f64
        * heads
        * arch.head_dim as f64
        * args.kv_cache_dtype.bytes() as f64
}

pub fn plan(
    card: &ModelCard,
    arch: &Architecture,
    gpu: &Gpu,
    gpus_in_pod: u32,
    args: &VllmArgs,
    k: &VllmConstants,
) -> Result<MemoryPlan, StartupFailure> {
    let EngineConfig {
        tp,
        store,
        max_model_len,
        max_num_seqs,
        max_num_batched_tokens,
    } = engine_config(arch, gpu, gpus_in_pod, args)?;
    let gpu_bytes = gpu.memory_mib * 1024.0 * 1024.0;
    let budget = gpu_bytes * args.gpu_memory_utilization;
    let weights = card.weights_gb * 1e9 / store as f64;
    let overhead = if tp > 1 {
        k.non_torch_overhead_tp_gib
    } else {
        k.non_torch_overhead_gib
    } * GIB;
    if weights + overhead > gpu_bytes {
        return Err(fail(
            "OutOfMemory",
            format!(
                "torch.OutOfMemoryError: CUDA out of memory. The model's weights need {:.2} GiB per GPU and the GPU has {:.2} GiB in total. Use more GPUs (--tensor-parallel-size) or a quantized model.",
                weights / GIB,
                gpu_bytes / GIB
            ),
        ));
    }
    let per_token_act = (2.0 * arch.intermediate_size as f64 / tp as f64 + 4.0 * arch.hidden_size as f64) * 2.0;
    let activation = k.activation_factor * per_token_act * max_num_batched_tokens as f64
        + max_num_seqs as f64 * arch.vocab_size as f64 * k.logits_bytes_per_element;
    let kv_bytes = budget - weights - activation - overhead;
    if kv_bytes <= 0.0 {
        return Err(fail(
            "NoKVCacheMemory",
            "ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.".into(),
        ));
    }
    let (per_token, num_blocks, capacity) = kv_blocks(arch, args, kv_bytes, max_model_len)?;
    Ok(MemoryPlan {
        gpu_bytes,
        budget_bytes: budget,
        weights_bytes: weights,
        activation_bytes: activation,
        overhead_bytes: overhead,
        kv_bytes,
        kv_bytes_per_token: per_token,
        num_blocks,
        kv_capacity_tokens: capacity,
        max_model_len,
        max_num_seqs,
        max_num_batched_tokens,
    })
}

/// The parallelism and limits the engine runs with, which vLLM checks before it
/// touches GPU memory.
struct EngineConfig {
    tp: u32,
    /// Ranks of the model: tensor-parallel × pipeline-parallel.
    store: u32,
    max_model_len: u32,
    max_num_seqs: u32,
    max_num_batched_tokens: u32,
}

fn engine_config(
    arch: &Architecture,
    gpu: &Gpu,
    gpus_in_pod: u32,
    args: &VllmArgs,
) -> Result<EngineConfig, StartupFailure> {
    let tp = args.tensor_parallel_size.max(1);
    let store = tp * args.pipeline_parallel_size.max(1);
    if store > gpus_in_pod {
        return Err(fail(
            "InsufficientGPUs",
            format!(
                "ValueError: Store size ({store}) is larger than the number of available GPUs ({gpus_in_pod}) in this node. Request more GPUs for the pod or lower --tensor-parallel-size."
            ),
        ));
    }
    if !arch.attention_heads.is_multiple_of(tp) {
        return Err(fail(
            "InvalidTensorParallelSize",
            format!(
                "ValueError: Total number of attention heads ({}) must be divisible by tensor parallel size ({tp}).",
                arch.attention_heads
            ),
        ));
    }
    let max_model_len = args.max_model_len.unwrap_or(arch.max_position_embeddings);
    if max_model_len > arch.max_position_embeddings {
        return Err(fail(
            "MaxModelLenTooLarge",
            format!(
                "ValueError: User-specified max_model_len ({max_model_len}) is greater than the derived max_model_len (max_position_embeddings={}). This may lead to incorrect model outputs or CUDA errors. To allow overriding this maximum, set the env var VLLM_ALLOW_LONG_MAX_MODEL_LEN=1",
                arch.max_position_embeddings
            ),
        ));
    }
    let (default_tokens, default_seqs) = batch_defaults(gpu);
    let max_num_seqs = args.max_num_seqs.unwrap_or(default_seqs);
    let max_num_batched_tokens = args.max_num_batched_tokens.unwrap_or(default_tokens);
    if max_num_batched_tokens < max_num_seqs {
        // Every running sequence needs at least one token of the step's budget.
        return Err(fail(
            "InvalidSchedulerConfig",
            format!(
                "ValueError: max_num_batched_tokens ({max_num_batched_tokens}) must be greater than or equal to max_num_seqs ({max_num_seqs})."
            ),
        ));
    }
    Ok(EngineConfig {
        tp,
        store,
        max_model_len,
        max_num_seqs,
        max_num_batched_tokens,
    })
}

/// The KV cache in `kv_bytes`: bytes per token, blocks and tokens it holds; one request
/// of `max_model_len` tokens must fit.
fn kv_blocks(
    arch: &Architecture,
    args: &VllmArgs,
    kv_bytes: f64,
    max_model_len: u32,
) -> Result<(f64, u64, u64), StartupFailure> {
    let per_token = kv_bytes_per_token(arch, args);
    let block_bytes = per_token * args.block_size as f64;
    let num_blocks = (kv_bytes / block_bytes).floor() as u64;
    let capacity = num_blocks * args.block_size as u64;
    if (max_model_len as u64) > capacity {
        let needed = max_model_len as f64 * per_token;
        return Err(fail(
            "InsufficientKVCache",
            format!(
                "ValueError: To serve at least one request with the model's max seq len ({max_model_len}), ({:.2} GiB KV cache is needed, which is larger than the available KV cache memory ({:.2} GiB). Based on the available memory, the estimated maximum model length is {capacity}. Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine.",
                needed / GIB,
                kv_bytes / GIB
            ),
        ));
    }
    Ok((per_token, num_blocks, capacity))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn llama_8b() -> Architecture {
        crate::serving::steptime::llama_8b_shapes().1
    }

    fn mistral_24b() -> Architecture {
        Architecture {
            layers: 40,
            hidden_size: 5120,
            attention_heads: 32,
            kv_heads: 8,
            head_dim: 128,
            intermediate_size: 32768,
            vocab_size: 131072,
            max_position_embeddings: 131072,
            experts: None,
        }
    }

    fn card(weights_gb: f64) -> ModelCard {
        ModelCard {
            name: "m".into(),
            display: String::new(),
            params_b: 0.0,
            active_params_b: None,
            precision: "bf16".into(),
            weights_gb,
            default_storage: "s3".into(),
            matches: vec![],
            architecture: None,
        }
    }

    fn args(line: &str) -> VllmArgs {
        VllmArgs::parse(&line.split_whitespace().map(str::to_string).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn kv_bytes_per_token_follow_the_layer_shapes() {
        assert_eq!(kv_bytes_per_token(&llama_8b(), &args("")), 131072.0);
        assert_eq!(kv_bytes_per_token(&llama_8b(), &args("--kv-cache-dtype fp8")), 65536.0);
        // 8 KV heads over 4 ranks: 2 per rank.
        assert_eq!(kv_bytes_per_token(&mistral_24b(), &args("-tp 4")), 40960.0);
    }

    #[test]
    fn startup_outcomes_table() {
        let c = Catalog::bundled();
        let (l4, h100) = (c.gpu("L4").unwrap(), c.gpu("H100-SXM").unwrap());
        // (case, arch, weights GB, gpu, gpus in pod, args, Ok(kv token range) or Err(reason))
        type Case<'a> = (
            &'a str,
            Architecture,
            f64,
            &'a Gpu,
            u32,
            &'a str,
            Result<(u64, u64), &'a str>,
        );
        let cases: Vec<Case> = vec![
            (
                "Llama 8B on one H100",
                llama_8b(),
                16.06,
                h100,
                1,
                "",
                Ok((400_000, 500_000)),
            ),
            (
                "Mistral 24B BF16 on one L4",
                mistral_24b(),
                48.0,
                l4,
                1,
                "",
                Err("OutOfMemory"),
            ),
            (
                "Mistral 24B BF16 over 4 L4",
                mistral_24b(),
                48.0,
                l4,
                4,
                "-tp 4 --max-model-len 16384",
                Ok((150_000, 250_000)),
            ),
            (
                "Mistral 24B W4A16 on one L4, 8k context",
                mistral_24b(),
                15.0,
                l4,
                1,
                "--max-model-len=8192",
                Ok((25_000, 45_000)),
            ),
            (
                "... with the model's full 128k context",
                mistral_24b(),
                15.0,
                l4,
                1,
                "",
                Err("InsufficientKVCache"),
            ),
            (
                "too little memory left",
                mistral_24b(),
                15.0,
                l4,
                1,
                "--gpu-memory-utilization=0.6",
                Err("NoKVCacheMemory"),
            ),
            (
                "TP 3 with 32 heads",
                llama_8b(),
                16.06,
                h100,
                4,
                "-tp 3",
                Err("InvalidTensorParallelSize"),
            ),
            (
                "a token budget below the sequence limit",
                llama_8b(),
                16.06,
                h100,
                1,
                "--max-num-batched-tokens=256 --max-num-seqs=512",
                Err("InvalidSchedulerConfig"),
            ),
            (
                "TP 4 in a 1-GPU pod",
                llama_8b(),
                16.06,
                h100,
                1,
                "-tp 4",
                Err("InsufficientGPUs"),
            ),
            (
                "context beyond the model",
                llama_8b(),
                16.06,
                h100,
                1,
                "--max-model-len 200000",
                Err("MaxModelLenTooLarge"),
            ),
        ];
        for (name, arch, w, gpu, n, a, want) in cases {
            let got = plan(&card(w), &arch, gpu, n, &args(a), &c.vllm);
            match (got, want) {
                (Ok(p), Ok((lo, hi))) => {
                    assert!(
                        (lo..=hi).contains(&p.kv_capacity_tokens),
                        "{name}: {} tokens",
                        p.kv_capacity_tokens
                    );
                    assert_eq!(p.kv_capacity_tokens % 16, 0, "{name}: whole blocks");
                }
                (Err(e), Err(reason)) => assert_eq!(e.reason, reason, "{name}: {}", e.message),
                (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn vllm_batch_defaults_depend_on_the_gpu() {
        let c = Catalog::bundled();
        assert_eq!(batch_defaults(c.gpu("H100-SXM").unwrap()), (8192, 1024));
        assert_eq!(batch_defaults(c.gpu("A100-80GB").unwrap()), (2048, 256));
        assert_eq!(batch_defaults(c.gpu("L4").unwrap()), (2048, 256));
    }
}
