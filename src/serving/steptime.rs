//! Time of one vLLM engine step: a roofline of the FLOPs and bytes the batch needs
//! against the GPU's peak compute and memory bandwidth, with efficiency factors, a fixed
//! per-step cost, and tensor-parallel all-reduces over NVLink or PCIe.

use super::args::VllmArgs;
use super::rounding::ceil_u64;
use crate::catalog::{Architecture, Gpu, ModelCard, VllmConstants};

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
}

/// The parts of a step's time, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepTime {
    pub compute_s: f64,
    pub memory_s: f64,
    pub communication_s: f64,
    pub overhead_s: f64,
}

impl StepTime {
    pub(crate) fn total_s(&self) -> f64 {
        self.compute_s.max(self.memory_s) + self.communication_s + self.overhead_s
    }
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

pub(crate) fn step_time(
    card: &ModelCard,
    arch: &Architecture,
    gpu: &Gpu,
    args: &VllmArgs,
    k: &VllmConstants,
    b: &Batch,
) -> StepTime {
    let tp = args.tensor_parallel_size.max(1) as f64;
    let tokens = (b.prefill_tokens + b.decode_seqs) as f64;
    let q_dim = (arch.attention_heads * arch.head_dim) as f64;
    let pairs = b.prefill_attention_pairs + b.decode_context_tokens as f64;
    // 2 FLOPs per active parameter per token; attention: QKᵀ and AV, 2 FLOPs each per
    // query-key pair per query dimension per layer.
    let flops = 2.0 * card.params_active() * 1e9 * tokens + 4.0 * arch.layers as f64 * q_dim * pairs;
    let compute_s = flops / tp / (peak_flops(card, gpu) * k.compute_efficiency);
    let kv_per_token = super::memory::kv_bytes_per_token(arch, args);
    let context_read = b.decode_context_tokens as f64 + b.prefill_attention_pairs / b.prefill_tokens.max(1) as f64;
    let bytes = card.weights_gb * 1e9 / tp + kv_per_token * context_read;
    let memory_s = bytes / (gpu.bandwidth_gb_s * 1e9 * k.bandwidth_efficiency);
    let communication_s = if tp > 1.0 {
        // Two ring all-reduces of the hidden states per layer.
        let size = tokens * arch.hidden_size as f64 * 2.0;
        let per = k.allreduce_latency_us * 1e-6 + 2.0 * (tp - 1.0) / tp * size / (gpu.interconnect.1 * 1e9 / 2.0);
        2.0 * arch.layers as f64 * per
    } else {
        0.0
    };
    let overhead_ms = k.step_overhead_ms + if args.enforce_eager { k.eager_overhead_ms } else { 0.0 };
    StepTime {
        compute_s,
        memory_s,
        communication_s,
        overhead_s: overhead_ms / 1000.0,
    }
}

/// `step_time` with its coefficients precomputed for one replica, so the engine can price
/// a step in a few multiplications and sum a run of decode steps in closed form: every part
/// is affine in the token count and the context read, and a step costs the larger of the
/// compute and memory lines plus communication and overhead.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepCost {
    compute_per_token: f64,
    compute_per_pair: f64,
    memory_fixed: f64,
    memory_per_context: f64,
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
        let overhead_ms = k.step_overhead_ms + if args.enforce_eager { k.eager_overhead_ms } else { 0.0 };
        StepCost {
            compute_per_token: 2.0 * card.params_active() * 1e9 / flops_per_s,
            compute_per_pair: 4.0 * arch.layers as f64 * q_dim / flops_per_s,
            memory_fixed: card.weights_gb * 1e9 / tp / bytes_per_s,
            memory_per_context: super::memory::kv_bytes_per_token(arch, args) / bytes_per_s,
            fixed: comm_fixed + overhead_ms / 1000.0,
            per_token: comm_per_token,
        }
    }

    /// Seconds one step takes.
    pub fn time(&self, b: &Batch) -> f64 {
        let tokens = (b.prefill_tokens + b.decode_seqs) as f64;
        let pairs = b.prefill_attention_pairs + b.decode_context_tokens as f64;
        let context_read = b.decode_context_tokens as f64 + b.prefill_attention_pairs / b.prefill_tokens.max(1) as f64;
        let compute = self.compute_per_token * tokens + self.compute_per_pair * pairs;
        let memory = self.memory_fixed + self.memory_per_context * context_read;
        compute.max(memory) + self.fixed + self.per_token * tokens
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
        let c0 = context as f64;
        // Step j costs max(a1 + b1·j, a2 + b2·j) + g: compute line 1, memory line 2.
        let compute = (
            self.compute_per_token * n + self.compute_per_pair * c0,
            self.compute_per_pair * n,
        );
        let memory = (
            self.memory_fixed + self.memory_per_context * c0,
            self.memory_per_context * n,
        );
        let ((a1, b1), (a2, b2)) = (compute, memory);
        // The steeper line wins from step `split` on; with equal slopes one wins throughout.
        // (A split at or below 0 counts as 0 in `total`, so only its positive ceiling matters.)
        let split = || ceil_u64((a2 - a1) / (b1 - b2)) as f64;
        let (first, second, split) = if b1 > b2 {
            (memory, compute, split())
        } else if b1 < b2 {
            (compute, memory, split())
        } else if a1 >= a2 {
            (compute, compute, 0.0)
        } else {
            (memory, memory, 0.0)
        };
        DecodeRun {
            first,
            second,
            split,
            overhead: self.fixed + self.per_token * n,
        }
    }
}

/// A run of decode-only steps whose cost grows linearly along two lines (compute and
/// memory), the larger one counting: `first` up to step `split`, `second` from it on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecodeRun {
    first: (f64, f64),
    second: (f64, f64),
    split: f64,
    overhead: f64,
}

impl DecodeRun {
    /// Seconds of the first `k` steps.
    pub fn total(&self, k: u64) -> f64 {
        if k == 0 {
            return 0.0;
        }
        let affine = |(a, b): (f64, f64), lo: f64, hi: f64| (hi - lo) * a + b * (hi - lo) * (lo + hi - 1.0) / 2.0;
        let kf = k as f64;
        let split = self.split.clamp(0.0, kf);
        affine(self.first, 0.0, split) + affine(self.second, split, kf) + self.overhead * kf
    }

    /// Seconds of step `j` alone (from 0).
    pub fn step(&self, j: u64) -> f64 {
        let j = j as f64;
        let line = |(a, b): (f64, f64)| a + b * j;
        line(self.first).max(line(self.second)) + self.overhead
    }
}

/// Step times measured in November 2026 on one H100 80GB HBM3 with PyTorch 2.11: random
/// BF16 weights in Llama-3.1-8B's exact shapes, decode replayed as a CUDA graph (the last
/// row eager), prefill of one prompt, medians of 10–20 CUDA-event timings: (label, batch,
/// eager, measured ms).
pub(crate) fn published_h100_rows() -> Vec<(&'static str, Batch, bool, f64)> {
    vec![
        ("prefill 128 tokens", Batch::prefill(128), false, 7.9),
        ("prefill 512 tokens", Batch::prefill(512), false, 14.0),
        ("prefill 2048 tokens", Batch::prefill(2048), false, 51.6),
        ("prefill 8192 tokens", Batch::prefill(8192), false, 232.2),
        ("decode 1 x 1024", Batch::decode(1, 1024), false, 6.54),
        ("decode 8 x 1024", Batch::decode(8, 1024), false, 7.04),
        ("decode 32 x 1024", Batch::decode(32, 1024), false, 8.06),
        ("decode 128 x 1024", Batch::decode(128, 1024), false, 13.12),
        ("decode 32 x 4096", Batch::decode(32, 4096), false, 12.21),
        ("decode 1 x 1024, eager", Batch::decode(1, 1024), true, 7.33),
    ]
}

/// Llama-3.1-8B's shapes, as in the measurements of `published_h100_rows`.
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

/// Predicted vs measured for each published row, and the median absolute error (%).
pub fn calibration(gpu: &Gpu, k: &VllmConstants) -> (Vec<(&'static str, f64, f64)>, f64) {
    let (card, arch) = llama_8b_shapes();
    let rows: Vec<(&str, f64, f64)> = published_h100_rows()
        .into_iter()
        .map(|(label, batch, eager, measured)| {
            let args = VllmArgs {
                enforce_eager: eager,
                ..Default::default()
            };
            (
                label,
                step_time(&card, &arch, gpu, &args, k, &batch).total_s() * 1000.0,
                measured,
            )
        })
        .collect();
    let mut errors: Vec<f64> = rows.iter().map(|(_, p, m)| ((p - m) / m).abs() * 100.0).collect();
    errors.sort_by(|a, b| a.total_cmp(b));
    let n = errors.len();
    let median = if n % 2 == 1 {
        errors[n / 2]
    } else {
        (errors[n / 2 - 1] + errors[n / 2]) / 2.0
    };
    (rows, median)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    #[test]
    fn calibration_against_published_h100_steps() {
        let c = Catalog::bundled();
        let (rows, median) = calibration(c.gpu("H100-SXM").unwrap(), &c.vllm);
        for (label, predicted, measured) in &rows {
            let err = (predicted - measured).abs() / measured;
            assert!(
                err < 0.35,
                "{label}: predicted {predicted:.2} ms, measured {measured} ms"
            );
        }
        assert!(median < 8.0, "median absolute error {median:.1}%");
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
        ];
        for (gpu, tp, eager) in [("H100-SXM", 1, false), ("L4", 4, true), ("MI300X", 2, false)] {
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
        // Runs that stay memory-bound, stay compute-bound, and cross over midway.
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
