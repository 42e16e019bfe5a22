//! One vLLM replica, step by step, as the V1 scheduler runs it: running requests first
//! (one decode token each, or the next prefill chunk), then waiting requests in arrival
//! order while the token budget, `max_num_seqs` and free KV blocks allow; when blocks run
//! out the newest running request is preempted and recomputed later. This is the
//! reference the fast mode must agree with.

use super::args::VllmArgs;
use super::memory::MemoryPlan;
pub(crate) use super::replica::Outcome;
use super::steptime::{step_time, Batch};
use crate::catalog::{Architecture, Gpu, ModelCard, VllmConstants};
use std::collections::VecDeque;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct StepRequest {
    pub arrival_s: f64,
    pub prompt_tokens: u32,
    pub output_tokens: u32,
}

#[derive(Debug, Clone)]
struct Seq {
    id: usize,
    /// Tokens whose KV is computed (prompt and generated).
    computed: u32,
    /// Prompt + generated tokens so far.
    len: u32,
    generated: u32,
    first_scheduled: Option<f64>,
    first_token: Option<f64>,
    preemptions: u32,
}

pub(crate) struct StepReplica<'a> {
    pub card: &'a ModelCard,
    pub arch: &'a Architecture,
    pub gpu: &'a Gpu,
    pub args: &'a VllmArgs,
    pub constants: &'a VllmConstants,
    pub memory: &'a MemoryPlan,
}

fn blocks_for(tokens: u32, block: u32) -> u64 {
    tokens.div_ceil(block) as u64
}

impl StepReplica<'_> {
    /// Runs every request to completion (requests sorted by arrival) and returns their
    /// outcomes in input order, with the number of engine steps taken.
    pub(crate) fn run(&self, requests: &[StepRequest]) -> (Vec<Outcome>, u64) {
        let block = self.args.block_size;
        let budget = self.memory.max_num_batched_tokens;
        let max_seqs = self.memory.max_num_seqs as usize;
        let total_blocks = self.memory.num_blocks;
        let mut free_blocks = total_blocks;
        let mut out = vec![Outcome::default(); requests.len()];
        let mut waiting: VecDeque<Seq> = VecDeque::new();
        let mut running: Vec<Seq> = Vec::new();
        let mut next = 0;
        let mut now = 0.0f64;
        let mut steps = 0u64;
        let mut done = 0;
        while done < requests.len() {
            while next < requests.len() && requests[next].arrival_s <= now {
                let r = &requests[next];
                waiting.push_back(Seq {
                    id: next,
                    computed: 0,
                    len: r.prompt_tokens,
                    generated: 0,
                    first_scheduled: None,
                    first_token: None,
                    preemptions: 0,
                });
                next += 1;
            }
            if running.is_empty() && waiting.is_empty() {
                now = requests[next].arrival_s;
                continue;
            }
            let mut left = budget;
            let mut batch = Batch::default();
            // (index in running, tokens scheduled)
            let mut scheduled: Vec<(usize, u32)> = Vec::new();
            let mut i = 0;
            while i < running.len() && left > 0 {
                let s = &running[i];
                let want = (s.len - s.computed).min(left);
                let need = blocks_for(s.computed + want, block) - blocks_for(s.computed, block);
                if need > free_blocks {
                    // Preempt the newest running request (recompute) and retry.
                    let mut victim = running.pop().expect("running is not empty");
                    free_blocks += blocks_for(victim.computed, block);
                    victim.computed = 0;
                    victim.preemptions += 1;
                    waiting.push_front(victim);
                    scheduled.retain(|(j, _)| *j < running.len());
                    continue;
                }
                free_blocks -= need;
                scheduled.push((i, want));
                left -= want;
                i += 1;
            }
            while left > 0 && running.len() < max_seqs {
                let Some(s) = waiting.front() else { break };
                let want = (s.len - s.computed).min(left);
                let need = blocks_for(s.computed + want, block);
                if need > free_blocks {
                    break;
                }
                let mut s = waiting.pop_front().unwrap();
                free_blocks -= need;
                s.first_scheduled.get_or_insert(now);
                running.push(s);
                scheduled.push((running.len() - 1, want));
                left -= want;
            }
            for (j, n) in &scheduled {
                let s = &running[*j];
                // Prompt tokens (or recomputation after preemption) are prefill; the one
                // uncomputed token of a generating sequence is its decode step.
                if s.generated == 0 || s.computed + 1 < s.len {
                    // Prefill chunk: queries attend to earlier context plus half the chunk.
                    batch.prefill_tokens += *n as u64;
                    batch.prefill_attention_pairs += *n as f64 * (s.computed as f64 + *n as f64 / 2.0);
                } else {
                    batch.decode_seqs += 1;
                    batch.decode_context_tokens += s.len as u64;
                }
            }
            let dt = step_time(self.card, self.arch, self.gpu, self.args, self.constants, &batch).total_s();
            now += dt;
            steps += 1;
            // Apply the step: computed tokens advance; a sequence whose whole length is
            // computed emits one token.
            let mut finished = Vec::new();
            for (j, n) in scheduled {
                let s = &mut running[j];
                s.computed += n;
                if s.computed == s.len {
                    s.generated += 1;
                    s.len += 1;
                    s.first_token.get_or_insert(now);
                    if s.generated >= requests[s.id].output_tokens {
                        finished.push(j);
                    }
                }
            }
            finished.sort_unstable_by(|a, b| b.cmp(a));
            for j in finished {
                let s = running.remove(j);
                free_blocks += blocks_for(s.computed, block);
                let r = &requests[s.id];
                let first = s.first_token.unwrap();
                out[s.id] = Outcome {
                    queue_s: s.first_scheduled.unwrap() - r.arrival_s,
                    ttft_s: first - r.arrival_s,
                    tpot_s: if s.generated > 1 {
                        (now - first) / (s.generated - 1) as f64
                    } else {
                        0.0
                    },
                    e2e_s: now - r.arrival_s,
                    preemptions: s.preemptions,
                    cached_tokens: 0,
                };
                done += 1;
            }
        }
        debug_assert_eq!(
            free_blocks, total_blocks,
            "every block returns when all requests finish"
        );
        (out, steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::serving::memory::plan;
    use crate::serving::steptime::llama_8b_shapes;

    fn with_replica<T>(args: VllmArgs, f: impl FnOnce(&StepReplica) -> T) -> T {
        with_blocks(args, None, f)
    }

    /// A Llama-8B replica on one H100, optionally with fewer KV blocks than fit.
    fn with_blocks<T>(args: VllmArgs, blocks: Option<u64>, f: impl FnOnce(&StepReplica) -> T) -> T {
        let c = Catalog::bundled();
        let gpu = c.gpu("H100-SXM").unwrap();
        let (card, arch) = llama_8b_shapes();
        let mut mem = plan(&card, &arch, gpu, 1, &args, &c.vllm).unwrap();
        if let Some(b) = blocks {
            mem.num_blocks = b;
        }
        let r = StepReplica {
            card: &card,
            arch: &arch,
            gpu,
            args: &args,
            constants: &c.vllm,
            memory: &mem,
        };
        f(&r)
    }

    #[test]
    fn a_lone_request_pays_prefill_then_one_step_per_token() {
        let (out, steps) = with_replica(VllmArgs::default(), |r| {
            r.run(&[StepRequest {
                arrival_s: 1.0,
                prompt_tokens: 2048,
                output_tokens: 100,
            }])
        });
        assert_eq!(steps, 100, "one prefill step (2048 < 8192 budget) and 99 decode steps");
        let o = out[0];
        assert_eq!(o.queue_s, 0.0);
        assert!((0.045..0.065).contains(&o.ttft_s), "TTFT {}", o.ttft_s);
        assert!((0.006..0.0075).contains(&o.tpot_s), "TPOT {}", o.tpot_s);
        assert!((o.e2e_s - (o.ttft_s + 99.0 * o.tpot_s)).abs() < 1e-9);
    }

    #[test]
    fn long_prompts_are_chunked_and_batches_share_steps() {
        let args = VllmArgs {
            max_num_batched_tokens: Some(512),
            max_num_seqs: Some(64),
            ..Default::default()
        };
        let (out, steps) = with_replica(args, |r| {
            r.run(&[
                StepRequest {
                    arrival_s: 0.0,
                    prompt_tokens: 2000,
                    output_tokens: 10,
                },
                StepRequest {
                    arrival_s: 0.0,
                    prompt_tokens: 100,
                    output_tokens: 10,
                },
            ])
        });
        // Steps 1-4 prefill the long prompt (512, 512, 512, 464 tokens); the short one
        // gets the 48 tokens left in step 4 and its last 52 in step 5, beside the first
        // decode of the long one. Both then decode together: 4 + 10 steps in all.
        assert!(out[1].queue_s > 0.0);
        assert!(out[0].ttft_s < out[1].ttft_s);
        assert_eq!(steps, 14);
    }

    #[test]
    fn max_num_seqs_one_serializes_requests() {
        let args = VllmArgs {
            max_num_seqs: Some(1),
            ..Default::default()
        };
        let reqs: Vec<StepRequest> = (0..5)
            .map(|_| StepRequest {
                arrival_s: 0.0,
                prompt_tokens: 128,
                output_tokens: 20,
            })
            .collect();
        let (out, _) = with_replica(args, |r| r.run(&reqs));
        for w in out.windows(2) {
            assert!(w[1].queue_s > w[0].queue_s, "each waits for the previous: {:?}", out);
        }
        let service = out[0].e2e_s;
        assert!((out[4].queue_s - 4.0 * service).abs() / service < 0.05);
    }

    #[test]
    fn running_out_of_kv_blocks_preempts_and_recomputes() {
        let reqs: Vec<StepRequest> = (0..4)
            .map(|_| StepRequest {
                arrival_s: 0.0,
                prompt_tokens: 600,
                output_tokens: 400,
            })
            .collect();
        // 200 blocks: 3,200 tokens of KV for four 1,000-token requests.
        let (out, _) = with_blocks(VllmArgs::default(), Some(200), |r| r.run(&reqs));
        assert!(out.iter().any(|o| o.preemptions > 0), "{out:?}");
        assert!(out.iter().all(|o| o.e2e_s > 0.0));
    }
}
