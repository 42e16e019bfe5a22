//! Time of one vLLM engine step. Its kernels run one after another, so the step costs the
//! sum of three groups of them: the matmuls over every token of the step (the weights read
//! once), the attention of the prefill chunks and the attention of the decoding sequences.
//! Each group is a roofline of its FLOPs and bytes against the GPU's peak compute and memory
//! bandwidth, with efficiency factors, where compute and memory overlap imperfectly; then a
//! fixed cost per layer (kernel boundaries), and tensor-parallel all-reduces over NVLink or
//! PCIe.

use super::args::VllmArgs;
use crate::catalog::{Architecture, Catalog, Gpu, ModelCard, VllmConstants};

/// What one engine step processes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Batch {
    /// New prompt tokens computed this step (chunked prefill).
    pub prefill_tokens: u64,
    /// Query-key pairs of the prefill tokens: Σ tokens × (earlier context + tokens / 2).
    pub prefill_attention_pairs: f64,
    /// Sequences producing one token each.
    pub decode_seqs: u64,
    /// Σ context length of the decoding sequences (KV read once per step).
    pub decode_context_tokens: u64,
}

impl Batch {
    pub fn prefill(tokens: u64) -> Batch {
        Batch {
            prefill_tokens: tokens,
            prefill_attention_pairs: tokens as f64 * tokens as f64 / 2.0,
            ..Default::default()
        }
    }
    pub fn decode(seqs: u64, context: u64) -> Batch {
        Batch {
            decode_seqs: seqs,
            decode_context_tokens: seqs * context,
            ..Default::default()
        }
    }
    /// A prompt chunk of `tokens` (no earlier context) beside `seqs` decodes at `context`.
    pub fn mixed(tokens: u64, seqs: u64, context: u64) -> Batch {
        Batch {
            decode_seqs: seqs,
            decode_context_tokens: seqs * context,
            ..Batch::prefill(tokens)
        }
    }
}

/// The parts of a step's time, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepTime {
    /// Compute time of the step's kernels, summed over the three groups.
    pub compute_s: f64,
    /// Memory time of the step's kernels (weights and KV read), summed over the groups.
    pub memory_s: f64,
    /// What the kernels take: per group, compute and memory combined by `overlap`.
    pub kernels_s: f64,
    pub communication_s: f64,
    pub overhead_s: f64,
}

impl StepTime {
    pub(crate) fn total_s(&self) -> f64 {
        self.kernels_s + self.communication_s + self.overhead_s
    }
}

/// Time of a kernel group that needs `compute` seconds of math and `memory` seconds of
/// loads: the larger when one dominates, up to √2 × it at the ridge point, where a kernel's
/// loads and tensor-core work do not fully hide each other. The quadratic form is what the
/// published rows support (see `models/vllm.yaml`): steps of 128 tokens, near the H200's
/// ridge, take longer than the larger of the two, and long prefills only slightly so.
/// Homogeneous of degree one, so a decode run's attention stays linear in its context.
fn overlap(compute: f64, memory: f64) -> f64 {
    (compute * compute + memory * memory).sqrt()
}

/// Peak dense throughput the model's matmuls run at: FP8 tensor cores for FP8/W8A8
/// checkpoints where the GPU has them, BF16 otherwise (W4A16 and MXFP4 dequantize to
/// BF16 on the GPUs in the catalog).
fn peak_flops(card: &ModelCard, gpu: &Gpu) -> f64 {
    let tflops = match card.precision.as_str() {
        "fp8" | "w8a8" => gpu.fp8_tflops.unwrap_or(gpu.bf16_tflops),
        _ => gpu.bf16_tflops,
    };
    tflops * 1e12
}

/// Seconds of fixed cost per step: every layer's kernels start and drain even inside a CUDA
/// graph, and without one (`--enforce-eager`) the host launches each of them.
fn overhead_s(arch: &Architecture, args: &VllmArgs, k: &VllmConstants) -> f64 {
    let per_layer_us = k.layer_overhead_us
        + if args.enforce_eager {
            k.eager_layer_overhead_us
        } else {
            0.0
        };
    arch.layers as f64 * per_layer_us * 1e-6
}

pub(crate) fn step_time(
    card: &ModelCard,
    arch: &Architecture,
    gpu: &Gpu,
    args: &VllmArgs,
    k: &VllmConstants,
    b: &Batch,
) -> StepTime {
    let tp = args.tensor_parallel_size.max(1) as f64;
    let flops_per_s = tp * peak_flops(card, gpu) * k.compute_efficiency;
    let bytes_per_s = gpu.bandwidth_gb_s * 1e9 * k.bandwidth_efficiency;
    let tokens = (b.prefill_tokens + b.decode_seqs) as f64;
    let q_dim = (arch.attention_heads * arch.head_dim) as f64;
    let kv_per_token = super::memory::kv_bytes_per_token(arch, args);
    // Matmuls: 2 FLOPs per active parameter per token; this rank's weights read once.
    let matmul = (
        2.0 * card.params_active() * 1e9 * tokens / flops_per_s,
        card.weights_gb * 1e9 / tp / bytes_per_s,
    );
    // Attention: QKᵀ and AV, 2 FLOPs each per query-key pair per query dimension per layer;
    // a prefill chunk reads its earlier context's KV, a decode its whole context's.
    let attention_flops = |pairs: f64| 4.0 * arch.layers as f64 * q_dim * pairs / flops_per_s;
    let prefill = if b.prefill_tokens > 0 {
        let context_read = b.prefill_attention_pairs / b.prefill_tokens as f64;
        (
            attention_flops(b.prefill_attention_pairs),
            kv_per_token * context_read / bytes_per_s,
        )
    } else {
        (0.0, 0.0)
    };
    let context = b.decode_context_tokens as f64;
    let decode = (attention_flops(context), kv_per_token * context / bytes_per_s);
    let communication_s = if tp > 1.0 {
        // Two ring all-reduces of the hidden states per layer.
        let size = tokens * arch.hidden_size as f64 * 2.0;
        let per = k.allreduce_latency_us * 1e-6 + 2.0 * (tp - 1.0) / tp * size / (gpu.interconnect.1 * 1e9 / 2.0);
        2.0 * arch.layers as f64 * per
    } else {
        0.0
    };
    StepTime {
        compute_s: matmul.0 + prefill.0 + decode.0,
        memory_s: matmul.1 + prefill.1 + decode.1,
        kernels_s: overlap(matmul.0, matmul.1) + overlap(prefill.0, prefill.1) + overlap(decode.0, decode.1),
        communication_s,
        overhead_s: overhead_s(arch, args, k),
    }
}

/// `step_time` with its coefficients precomputed for one replica, so the engine can price
/// a step in a few multiplications and sum a run of decode steps in closed form: in a run of
/// decode-only steps the matmuls' time is fixed by the number of sequences, and the
/// attention's is proportional to the context, which grows by one token per sequence per
/// step, so the step time is affine in the step's index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepCost {
    compute_per_token: f64,
    compute_per_pair: f64,
    weights: f64,
    memory_per_context: f64,
    /// Decode attention per context token: `overlap` of its compute and memory.
    decode_per_context: f64,
    fixed: f64,
    per_token: f64,
}

impl StepCost {
    pub fn new(card: &ModelCard, arch: &Architecture, gpu: &Gpu, args: &VllmArgs, k: &VllmConstants) -> StepCost {
        let tp = args.tensor_parallel_size.max(1) as f64;
        let flops_per_s = tp * peak_flops(card, gpu) * k.compute_efficiency;
        let q_dim = (arch.attention_heads * arch.head_dim) as f64;
        let bytes_per_s = gpu.bandwidth_gb_s * 1e9 * k.bandwidth_efficiency;
        let (comm_fixed, comm_per_token) = if tp > 1.0 {
            let link = gpu.interconnect.1 * 1e9 / 2.0;
            (
                2.0 * arch.layers as f64 * k.allreduce_latency_us * 1e-6,
                2.0 * arch.layers as f64 * 2.0 * (tp - 1.0) / tp * arch.hidden_size as f64 * 2.0 / link,
            )
        } else {
            (0.0, 0.0)
        };
        let compute_per_pair = 4.0 * arch.layers as f64 * q_dim / flops_per_s;
        let memory_per_context = super::memory::kv_bytes_per_token(arch, args) / bytes_per_s;
        StepCost {
            compute_per_token: 2.0 * card.params_active() * 1e9 / flops_per_s,
            compute_per_pair,
            weights: card.weights_gb * 1e9 / tp / bytes_per_s,
            memory_per_context,
            decode_per_context: overlap(compute_per_pair, memory_per_context),
            fixed: comm_fixed + overhead_s(arch, args, k),
            per_token: comm_per_token,
        }
    }

    /// Seconds of the matmuls over `tokens` tokens.
    fn matmuls(&self, tokens: f64) -> f64 {
        overlap(self.compute_per_token * tokens, self.weights)
    }

    /// Seconds one step takes.
    pub fn time(&self, b: &Batch) -> f64 {
        let tokens = (b.prefill_tokens + b.decode_seqs) as f64;
        let prefill = if b.prefill_tokens > 0 {
            let context_read = b.prefill_attention_pairs / b.prefill_tokens as f64;
            overlap(
                self.compute_per_pair * b.prefill_attention_pairs,
                self.memory_per_context * context_read,
            )
        } else {
            0.0
        };
        self.matmuls(tokens)
            + prefill
            + self.decode_per_context * b.decode_context_tokens as f64
            + self.fixed
            + self.per_token * tokens
    }

    /// Seconds of `k` decode-only steps of `seqs` sequences whose context sum starts at
    /// `context` and grows by `seqs` each step, summed in closed form.
    pub fn decode_run(&self, seqs: u64, context: u64, k: u64) -> f64 {
        self.run(seqs, context).total(k)
    }

    /// The run of decode-only steps starting from `seqs` sequences with `context` tokens,
    /// priced once so that any prefix of it sums in a few multiplications.
    pub fn run(&self, seqs: u64, context: u64) -> DecodeRun {
        let n = seqs as f64;
        DecodeRun {
            first: self.matmuls(n) + self.decode_per_context * context as f64 + self.fixed + self.per_token * n,
            growth: self.decode_per_context * n,
        }
    }
}

/// A run of decode-only steps whose cost grows linearly: step `j` (from 0) takes
/// `first + growth × j` seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecodeRun {
    first: f64,
    growth: f64,
}

impl DecodeRun {
    /// Seconds of the first `k` steps.
    pub fn total(&self, k: u64) -> f64 {
        let k = k as f64;
        k * self.first + self.growth * k * (k - 1.0) / 2.0
    }

    /// Seconds of step `j` alone (from 0).
    pub fn step(&self, j: u64) -> f64 {
        self.first + self.growth * j as f64
    }
}

/// One measured step: (label, batch, run eagerly, measured ms).
pub(crate) type MeasuredStep = (&'static str, Batch, bool, f64);

/// Step times measured in November 2026 with PyTorch 2.11 on random BF16 weights in
/// Llama-3.1-8B's exact shapes (reference/published-serving.md), per GPU of the catalog:
/// medians of 10–20 CUDA-event timings, decode replayed as a CUDA graph (as vLLM does) but
/// for the rows marked eager; a prefill of one prompt and the mixed steps (a prompt chunk
/// beside decodes, GEMMs over all their tokens, attention split) run eagerly, since only
/// decode was captured as a graph.
pub(crate) fn published_rows() -> Vec<(&'static str, Vec<MeasuredStep>)> {
    vec![
        (
            "H100-SXM",
            vec![
                ("prefill 128 tokens", Batch::prefill(128), true, 7.9),
                ("prefill 512 tokens", Batch::prefill(512), true, 14.0),
                ("prefill 2048 tokens", Batch::prefill(2048), true, 51.6),
                ("prefill 8192 tokens", Batch::prefill(8192), true, 232.2),
                ("decode 1 × 1024", Batch::decode(1, 1024), false, 6.54),
                ("decode 8 × 1024", Batch::decode(8, 1024), false, 7.04),
                ("decode 32 × 1024", Batch::decode(32, 1024), false, 8.06),
                ("decode 128 × 1024", Batch::decode(128, 1024), false, 13.12),
                ("decode 32 × 4096", Batch::decode(32, 4096), false, 12.21),
                ("decode 1 × 1024, eager", Batch::decode(1, 1024), true, 7.33),
            ],
        ),
        (
            // Measured 2026-11-29 on an H200 141GB (nvidia-smi: 143,771 MiB).
            "H200",
            vec![
                ("prefill 128 tokens", Batch::prefill(128), true, 7.58),
                ("prefill 512 tokens", Batch::prefill(512), true, 14.21),
                ("prefill 2048 tokens", Batch::prefill(2048), true, 53.59),
                ("prefill 8192 tokens", Batch::prefill(8192), true, 233.00),
                ("decode 1 × 1024", Batch::decode(1, 1024), false, 5.08),
                ("decode 8 × 1024", Batch::decode(8, 1024), false, 5.54),
                ("decode 32 × 1024", Batch::decode(32, 1024), false, 6.19),
                ("decode 64 × 1024", Batch::decode(64, 1024), false, 7.29),
                ("decode 128 × 1024", Batch::decode(128, 1024), false, 10.76),
                ("decode 32 × 4096", Batch::decode(32, 4096), false, 9.04),
                ("decode 1 × 8192", Batch::decode(1, 8192), false, 5.38),
                ("decode 1 × 1024, eager", Batch::decode(1, 1024), true, 6.32),
                ("mixed 512 prompt + 32 × 1024", Batch::mixed(512, 32, 1024), true, 17.19),
                (
                    "mixed 2048 prompt + 32 × 1024",
                    Batch::mixed(2048, 32, 1024),
                    true,
                    56.59,
                ),
                ("mixed 256 prompt + 64 × 2048", Batch::mixed(256, 64, 2048), true, 15.54),
                (
                    "mixed 1024 prompt + 16 × 4096",
                    Batch::mixed(1024, 16, 4096),
                    true,
                    29.37,
                ),
            ],
        ),
    ]
}

/// Llama-3.1-8B's shapes, as in the measurements of `published_rows`.
pub(crate) fn llama_8b_shapes() -> (ModelCard, Architecture) {
    let arch = Architecture {
        layers: 32,
        hidden_size: 4096,
        attention_heads: 32,
        kv_heads: 8,
        head_dim: 128,
        intermediate_size: 14336,
        vocab_size: 128256,
        max_position_embeddings: 131072,
        experts: None,
    };
    let card = ModelCard {
        name: "llama-3.1-8b-shapes".into(),
        display: String::new(),
        params_b: 8.03,
        active_params_b: None,
        precision: "bf16".into(),
        weights_gb: 16.06,
        default_storage: "s3".into(),
        matches: vec![],
        architecture: Some(arch.clone()),
    };
    (card, arch)
}

/// The step-time model against one GPU's published rows.
#[derive(Debug, Clone)]
pub struct Calibration {
    /// The GPU's name in the catalog.
    pub gpu: &'static str,
    /// (label, predicted ms, measured ms) per row.
    pub rows: Vec<(&'static str, f64, f64)>,
    /// Median absolute error over the rows, in percent.
    pub median_error_pct: f64,
}

/// Predicted vs measured for each published row of each GPU.
pub fn calibration(catalog: &Catalog) -> Vec<Calibration> {
    let (card, arch) = llama_8b_shapes();
    published_rows()
        .into_iter()
        .map(|(name, measured)| {
            let gpu = catalog.gpu(name).expect("the published rows name GPUs of the catalog");
            let rows: Vec<(&str, f64, f64)> = measured
                .into_iter()
                .map(|(label, batch, eager, ms)| {
                    let args = VllmArgs {
                        enforce_eager: eager,
                        ..Default::default()
                    };
                    let predicted = step_time(&card, &arch, gpu, &args, &catalog.vllm, &batch).total_s() * 1000.0;
                    (label, predicted, ms)
                })
                .collect();
            let mut errors: Vec<f64> = rows.iter().map(|(_, p, m)| ((p - m) / m).abs() * 100.0).collect();
            errors.sort_by(|a, b| a.total_cmp(b));
            let n = errors.len();
            let median_error_pct = if n % 2 == 1 {
                errors[n / 2]
            } else {
                (errors[n / 2 - 1] + errors[n / 2]) / 2.0
            };
            Calibration {
                gpu: name,
                rows,
                median_error_pct,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    #[test]
    fn calibration_against_published_steps() {
        let calibrations = calibration(&Catalog::bundled());
        assert_eq!(calibrations.len(), published_rows().len());
        for c in &calibrations {
            for (label, predicted, measured) in &c.rows {
                let err = (predicted - measured).abs() / measured;
                assert!(
                    err < 0.15,
                    "{} {label}: predicted {predicted:.2} ms, measured {measured} ms",
                    c.gpu
                );
            }
            assert!(
                c.median_error_pct < 8.0,
                "{}: median absolute error {:.1}%",
                c.gpu,
                c.median_error_pct
            );
        }
    }

    #[test]
    fn a_mixed_step_costs_more_than_its_parts_overlapped() {
        // The measured 256 + 64 × 2048 step is nearer the sum of its prefill and its
        // decodes run apart than their larger; the weights are read once, not twice.
        let c = Catalog::bundled();
        let (card, arch) = llama_8b_shapes();
        let gpu = c.gpu("H200").unwrap();
        let cost = StepCost::new(&card, &arch, gpu, &VllmArgs::default(), &c.vllm);
        let (prefill, decode) = (cost.time(&Batch::prefill(256)), cost.time(&Batch::decode(64, 2048)));
        let mixed = cost.time(&Batch::mixed(256, 64, 2048));
        assert!(
            mixed > prefill.max(decode) + 0.5 * prefill.min(decode),
            "{mixed} vs {prefill} + {decode}"
        );
        assert!(mixed < prefill + decode);
    }

    #[test]
    fn step_cost_prices_steps_as_step_time_does() {
        let c = Catalog::bundled();
        let (card, arch) = llama_8b_shapes();
        let batches = [
            Batch::prefill(128),
            Batch::prefill(8192),
            Batch::decode(1, 1024),
            Batch::decode(200, 3000),
            Batch {
                prefill_tokens: 700,
                prefill_attention_pairs: 700.0 * 1500.0,
                decode_seqs: 40,
                decode_context_tokens: 40 * 900,
            },
            Batch::mixed(256, 64, 2048),
        ];
        for (gpu, tp, eager) in [
            ("H100-SXM", 1, false),
            ("H200", 1, true),
            ("L4", 4, true),
            ("MI300X", 2, false),
        ] {
            let args = VllmArgs {
                tensor_parallel_size: tp,
                enforce_eager: eager,
                ..Default::default()
            };
            let g = c.gpu(gpu).unwrap();
            let cost = StepCost::new(&card, &arch, g, &args, &c.vllm);
            for b in &batches {
                let want = step_time(&card, &arch, g, &args, &c.vllm, b).total_s();
                assert!((cost.time(b) - want).abs() <= want * 1e-12, "{gpu} {b:?}");
            }
        }
    }

    #[test]
    fn a_decode_run_sums_its_steps_in_closed_form() {
        let c = Catalog::bundled();
        let (card, arch) = llama_8b_shapes();
        // Runs of memory-bound and of compute-bound matmuls, long and short.
        for (gpu, seqs, context, k) in [
            ("H100-SXM", 8u64, 8 * 1024u64, 500u64),
            ("L4", 256, 256 * 200, 3000),
            ("H100-SXM", 512, 512 * 10, 20_000),
            ("A100-80GB", 1, 5, 1),
        ] {
            let cost = StepCost::new(&card, &arch, c.gpu(gpu).unwrap(), &VllmArgs::default(), &c.vllm);
            let stepwise: f64 = (0..k)
                .map(|j| {
                    cost.time(&Batch {
                        decode_seqs: seqs,
                        decode_context_tokens: context + seqs * j,
                        ..Default::default()
                    })
                })
                .sum();
            let closed = cost.decode_run(seqs, context, k);
            assert!(
                (closed - stepwise).abs() <= stepwise * 1e-9,
                "{gpu} {seqs}: {closed} vs {stepwise}"
            );
        }
    }

    #[test]
    fn decode_is_memory_bound_and_long_prefill_compute_bound() {
        let c = Catalog::bundled();
        let gpu = c.gpu("H100-SXM").unwrap();
        let (card, arch) = llama_8b_shapes();
        let a = VllmArgs::default();
        let d = step_time(&card, &arch, gpu, &a, &c.vllm, &Batch::decode(1, 1024));
        assert!(d.memory_s > d.compute_s);
        let p = step_time(&card, &arch, gpu, &a, &c.vllm, &Batch::prefill(8192));
        assert!(p.compute_s > p.memory_s);
    }

    #[test]
    fn tensor_parallelism_pays_more_for_communication_over_pcie() {
        let c = Catalog::bundled();
        let (card, arch) = llama_8b_shapes();
        let a = VllmArgs {
            tensor_parallel_size: 4,
            ..Default::default()
        };
        let b = Batch::decode(64, 2048);
        let l4 = step_time(&card, &arch, c.gpu("L4").unwrap(), &a, &c.vllm, &b);
        let h100 = step_time(&card, &arch, c.gpu("H100-SXM").unwrap(), &a, &c.vllm, &b);
        assert!(l4.communication_s > h100.communication_s);
        assert!(l4.total_s() > h100.total_s());
    }
}
