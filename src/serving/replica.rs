//! One vLLM replica driven by events, as the V1 scheduler runs it: each step serves the
//! running requests first (one decode token each, or the next prefill chunk), then admits
//! waiting requests in arrival order while the token budget, `max_num_seqs` and free KV
//! blocks allow; when blocks run out the newest running request is preempted and
//! recomputed later.
//!
//! Decoding sequences are kept lazily: their lengths advance with the replica's step
//! counter, so a run of decode-only steps costs nothing per sequence. In fast fidelity such
//! a run — up to the next finish, the next admissible arrival or the step where KV blocks
//! run out — is one event whose duration is summed in closed form (`StepCost::decode_run`);
//! in step fidelity every step is an event. Both make the same scheduling decisions.

use super::rounding::{ceil_u64, floor_u64};
use super::steptime::{Batch, DecodeRun, StepCost};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Fidelity {
    /// Decode-only runs advance in closed form.
    Fast,
    /// Every engine step is simulated (the reference).
    Step,
}

impl Fidelity {
    pub fn parse(s: &str) -> Option<Fidelity> {
        match s {
            "fast" => Some(Fidelity::Fast),
            "step" => Some(Fidelity::Step),
            _ => None,
        }
    }
}

/// A request as the replica sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Request {
    pub id: u64,
    pub arrival_s: f64,
    pub prompt_tokens: u32,
    pub output_tokens: u32,
    /// Shared prompt prefix (group, tokens) for prefix caching.
    pub prefix: Option<(u32, u32)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Outcome {
    pub queue_s: f64,
    pub ttft_s: f64,
    /// Mean time between output tokens after the first (0 for one-token outputs).
    pub tpot_s: f64,
    pub e2e_s: f64,
    pub preemptions: u32,
    /// Prompt tokens served from the prefix cache at the last admission.
    pub cached_tokens: u32,
}

/// The engine limits of one replica (from its `MemoryPlan` and arguments).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub block_size: u32,
    pub num_blocks: u64,
    pub max_num_seqs: u32,
    pub max_num_batched_tokens: u32,
    pub prefix_caching: bool,
}

#[derive(Debug, Clone)]
struct Seq {
    req: Request,
    /// Tokens whose KV is computed; for a decoder, its value at step `sync`.
    computed: u32,
    /// Prompt + generated tokens; for a decoder, at step `sync`.
    len: u32,
    generated: u32,
    sync: u64,
    first_scheduled: Option<f64>,
    first_token: Option<f64>,
    preemptions: u32,
    cached_tokens: u32,
}

impl Seq {
    fn new(req: Request) -> Seq {
        Seq {
            req,
            computed: 0,
            len: req.prompt_tokens,
            generated: 0,
            sync: 0,
            first_scheduled: None,
            first_token: None,
            preemptions: 0,
            cached_tokens: 0,
        }
    }
    /// The step at whose end a decoder emits its last token.
    fn finish_step(&self) -> u64 {
        self.sync + (self.req.output_tokens - self.generated) as u64
    }
}

/// Division by the block size, with a mask and a shift when it is a power of two (as it is
/// in vLLM): these run several times per event, and a hardware division is slow.
#[derive(Debug, Clone, Copy)]
struct BlockSize {
    m: u64,
    shift: Option<u32>,
}

impl BlockSize {
    fn new(m: u32) -> BlockSize {
        let m = m.max(1) as u64;
        BlockSize {
            m,
            shift: m.is_power_of_two().then(|| m.trailing_zeros()),
        }
    }
    fn rem(self, x: u64) -> u64 {
        match self.shift {
            Some(_) => x & (self.m - 1),
            None => x % self.m,
        }
    }
    fn quot(self, x: u64) -> u64 {
        match self.shift {
            Some(s) => x >> s,
            None => x / self.m,
        }
    }
    /// (a − b) mod m, for a decoder's residue.
    fn rem_diff(self, a: u64, b: u64) -> usize {
        match self.shift {
            // Wrapping subtraction is exact modulo 2^64, hence modulo any power of two.
            Some(_) => (a.wrapping_sub(b) & (self.m - 1)) as usize,
            None => (a as i64 - b as i64).rem_euclid(self.m as i64) as usize,
        }
    }
}

fn blocks_for(tokens: u32, block: u32) -> u64 {
    tokens.div_ceil(block) as u64
}

/// Steps j in [from, from + k) with (r + j) ≡ 0 (mod m).
fn hits(r: u64, from: u64, k: u64, m: u64) -> u64 {
    let first = (m - (r + from) % m) % m;
    if first >= k {
        0
    } else {
        (k - first - 1) / m + 1
    }
}

#[derive(Debug, Clone)]
enum Planned {
    /// One step starting at `at`: decoders advance by a token, prefillers by their chunks
    /// (`Replica::chunks`). It may be planned before `at` (when an arrival cuts a decode
    /// run); arrivals up to `at` still join its admissions.
    Step { at: f64, then: Option<Then> },
    /// `k` decode-only steps, priced by `run`.
    Run { k: u64, run: DecodeRun },
}

/// The decode run that surely follows a step, planned with it so that the step's end
/// needs no event of its own: the step finishes nobody and completes every prompt in it,
/// and nobody waits. An arrival before the step's end undoes this (it may be admitted
/// there); one after it applies the step and cuts the run as usual.
#[derive(Debug, Clone, Copy)]
struct Then {
    step_end: f64,
    k: u64,
    run: DecodeRun,
}

#[derive(Debug, Clone)]
struct Segment {
    start: f64,
    end: f64,
    planned: Planned,
}

/// Finished requests and KV-cache facts for the caller.
pub trait Sink {
    fn finished(&mut self, req: &Request, outcome: &Outcome, at: f64);
}

/// The sink of a step planned together with the run after it, which finishes nobody.
struct FinishesNobody;

impl Sink for FinishesNobody {
    fn finished(&mut self, req: &Request, _: &Outcome, _: f64) {
        unreachable!("request {} finished in a step planned not to finish any", req.id);
    }
}

pub struct Replica {
    cost: StepCost,
    limits: Limits,
    block: BlockSize,
    fidelity: Fidelity,
    free_blocks: u64,
    /// The fewest blocks free once a step was scheduled, so far: the peak of vLLM's
    /// `kv_cache_usage_perc`.
    min_free_blocks: u64,
    waiting: VecDeque<Seq>,
    /// Running sequences past their prefill, in admission order (all before `prefilling`).
    decoders: Vec<Seq>,
    prefilling: Vec<Seq>,
    /// Engine steps taken; decoders' lengths are relative to it.
    steps: u64,
    /// Σ (len − sync) over decoders: Σ len = this + decoders × steps.
    len_key_sum: i64,
    /// Decoders by (computed − sync) mod block size: who needs a new block at which step.
    residues: Vec<u64>,
    finishes: BinaryHeap<Reverse<(u64, u64)>>,
    segment: Option<Segment>,
    /// Tokens of the planned step's budget not yet handed out.
    budget_left: u32,
    /// Seconds spent in the steps applied so far (see `busy_until`).
    busy_s: f64,
    /// Prefix groups cached, most recent last.
    prefix_cache: VecDeque<u32>,
    prefix_slots: usize,
    /// Tokens each prefilling sequence gets in the planned step.
    chunks: Vec<u32>,
    /// Spare buffer for the prefilling list while a step is applied.
    scratch: Vec<Seq>,
    /// Spare buffer for the decoders' residues after a planned step.
    next_residues: Vec<u64>,
}

impl Replica {
    pub fn new(cost: StepCost, limits: Limits, fidelity: Fidelity) -> Replica {
        Replica {
            cost,
            limits,
            block: BlockSize::new(limits.block_size),
            fidelity,
            free_blocks: limits.num_blocks,
            min_free_blocks: limits.num_blocks,
            waiting: VecDeque::new(),
            decoders: Vec::new(),
            prefilling: Vec::new(),
            steps: 0,
            len_key_sum: 0,
            residues: vec![0; limits.block_size as usize],
            finishes: BinaryHeap::new(),
            segment: None,
            budget_left: 0,
            busy_s: 0.0,
            prefix_cache: VecDeque::new(),
            prefix_slots: 0,
            chunks: Vec::new(),
            scratch: Vec::new(),
            next_residues: vec![0; limits.block_size as usize],
        }
    }

    /// Requests waiting to be admitted into a batch.
    pub(crate) fn waiting_len(&self) -> usize {
        self.waiting.len()
    }

    /// The share of its KV-cache blocks in use (`vllm:kv_cache_usage_perc`).
    pub(crate) fn kv_cache_usage(&self) -> f64 {
        if self.limits.num_blocks == 0 {
            return 0.0;
        }
        1.0 - self.free_blocks as f64 / self.limits.num_blocks as f64
    }

    /// The most of its KV-cache blocks in use at once so far, as a share.
    pub(crate) fn kv_cache_peak(&self) -> f64 {
        if self.limits.num_blocks == 0 {
            return 0.0;
        }
        1.0 - self.min_free_blocks as f64 / self.limits.num_blocks as f64
    }

    /// Blocks were taken for a step (or a run of them): the usage may peak here, before
    /// any finish returns blocks.
    fn note_blocks(&mut self) {
        self.min_free_blocks = self.min_free_blocks.min(self.free_blocks);
    }

    /// Requests on this replica (waiting or running).
    pub(crate) fn outstanding(&self) -> usize {
        self.waiting.len() + self.decoders.len() + self.prefilling.len()
    }

    /// Seconds spent in steps up to `now`, counting the part of the planned segment (a
    /// step, or a run of them: the GPUs are busy throughout) that has elapsed. A segment
    /// starts after `now` only where a decode run was cut for an arrival (`submit`): the
    /// run's steps up to the cut are in `busy_s` already, so the part of them still ahead
    /// of `now` is taken back.
    pub(crate) fn busy_until(&self, now: f64) -> f64 {
        let current = self.segment.as_ref().map_or(0.0, |s| now.min(s.end) - s.start);
        (self.busy_s + current).max(0.0)
    }

    /// When this replica next needs `advance`.
    pub(crate) fn next_event(&self) -> Option<f64> {
        self.segment.as_ref().map(|s| s.end)
    }

    /// A request arrives at `t`. Callers deliver arrivals before step ends at the same
    /// instant, as vLLM's scheduler sees every request queued by a step's start.
    pub(crate) fn submit(&mut self, req: Request, t: f64) {
        self.waiting.push_back(Seq::new(req));
        let Some(seg) = self.segment.clone() else {
            self.plan(t);
            return;
        };
        let (start, k, run) = match seg.planned {
            // A step that has not started admits the newcomer too, unless someone ahead
            // of it in the queue is already left out (admission is first come, first
            // served): the admission loop simply goes on where it stopped.
            Planned::Step { at, .. } if t <= at && self.waiting.len() == 1 => {
                let start = seg.start;
                self.admit_waiting(at);
                self.note_blocks();
                self.set_step(start, at);
                return;
            }
            Planned::Step { then: None, .. } => return,
            Planned::Step { at, then: Some(then) } => {
                if t <= then.step_end {
                    // The newcomer may be admitted at the step's end: plan that end alone.
                    self.segment = Some(Segment {
                        start: seg.start,
                        end: then.step_end,
                        planned: Planned::Step { at, then: None },
                    });
                    return;
                }
                self.busy_s += then.step_end - seg.start;
                self.apply_step(then.step_end, &mut FinishesNobody);
                self.segment = Some(Segment {
                    start: then.step_end,
                    end: seg.end,
                    planned: Planned::Run {
                        k: then.k,
                        run: then.run,
                    },
                });
                (then.step_end, then.k, then.run)
            }
            Planned::Run { k, run } => (seg.start, k, run),
        };
        // A decode run is cut at the first step boundary at or after `t` when the new
        // request could be admitted there; otherwise it waits for a finish anyway.
        if self.waiting.len() > 1 || self.running() >= self.limits.max_num_seqs as usize || k <= 1 {
            return;
        }
        let due = t - start;
        // Step times never shrink along a run, so ⌈due / first step⌉ steps surely reach
        // `due`; the answer is usually that bound itself, else a short search below it,
        // bounded from below by the step time at the bound.
        let mut hi = k.min(ceil_u64(due / run.total(1)).max(1));
        if hi > 1 && run.total(hi - 1) >= due {
            let mut lo = floor_u64(due / run.step(hi - 1)).clamp(1, hi - 1);
            hi -= 1;
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if run.total(mid) >= due {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
        }
        if hi < k {
            // The steps before the cut hold no finish and nothing observable, so they are
            // applied now and the admitting step is planned at once: one event, not two.
            let at = start + run.total(hi);
            self.free_blocks -= self.decode_blocks(hi);
            self.steps += hi;
            self.busy_s += at - start;
            self.plan_step(at);
        }
    }

    fn running(&self) -> usize {
        self.decoders.len() + self.prefilling.len()
    }

    fn context_sum(&self) -> u64 {
        (self.len_key_sum + self.decoders.len() as i64 * self.steps as i64) as u64
    }

    fn residue_of(&self, s: &Seq) -> usize {
        self.block.rem_diff(s.computed as u64, s.sync)
    }

    /// Blocks decoders allocate over the next `k` steps: a decoder whose computed length
    /// sits at residue r takes a block at each step j with (r + steps + j) ≡ 0 (mod block),
    /// that is ⌊k / block⌋ times plus once more if its first such step falls in the rest.
    fn decode_blocks(&self, k: u64) -> u64 {
        self.decoders_blocks(&self.residues, self.steps, self.decoders.len() as u64, k)
    }

    /// `decode_blocks` for `n` decoders with `residues` at step `steps`.
    fn decoders_blocks(&self, residues: &[u64], steps: u64, n: u64, k: u64) -> u64 {
        if k == 0 || n == 0 {
            return 0;
        }
        let b = self.block;
        let m = b.m;
        let f = b.rem(steps);
        if k == 1 {
            // Only the residue that reaches a block boundary this step.
            return residues[b.rem(m - f) as usize];
        }
        let (q, rest) = (b.quot(k), b.rem(k));
        let mut total = q * n;
        if rest > 0 {
            if m.is_power_of_two() {
                // Branch-free over all residues (block sizes are powers of two in vLLM).
                let mask = m - 1;
                for (r, c) in residues.iter().enumerate() {
                    let first = (m - ((r as u64 + f) & mask)) & mask;
                    total += c * (first < rest) as u64;
                }
            } else {
                for (r, c) in residues.iter().enumerate() {
                    let x = (r as u64 + f) % m;
                    let first = if x == 0 { 0 } else { m - x };
                    total += c * (first < rest) as u64;
                }
            }
        }
        total
    }

    fn add_decoder(&mut self, mut s: Seq) {
        s.sync = self.steps;
        self.len_key_sum += s.len as i64 - s.sync as i64;
        let r = self.residue_of(&s);
        self.residues[r] += 1;
        self.finishes.push(Reverse((s.finish_step(), s.req.id)));
        self.decoders.push(s);
    }

    /// Removes decoder `i`, bringing its counters up to the current step.
    fn take_decoder(&mut self, i: usize) -> Seq {
        let mut s = self.decoders.remove(i);
        self.len_key_sum -= s.len as i64 - s.sync as i64;
        let r = self.residue_of(&s);
        self.residues[r] -= 1;
        let d = (self.steps - s.sync) as u32;
        s.computed += d;
        s.len += d;
        s.generated += d;
        s.sync = self.steps;
        s
    }

    fn preempt(&mut self, mut s: Seq) {
        self.free_blocks += blocks_for(s.computed, self.limits.block_size);
        s.computed = 0;
        s.preemptions += 1;
        self.waiting.push_front(s);
    }

    /// Pops the newest running sequence for preemption.
    fn preempt_newest(&mut self) {
        if let Some(s) = self.prefilling.pop() {
            self.preempt(s);
        } else if !self.decoders.is_empty() {
            let s = self.take_decoder(self.decoders.len() - 1);
            self.preempt(s);
            self.rebuild_finishes();
        }
    }

    fn rebuild_finishes(&mut self) {
        self.finishes = self
            .decoders
            .iter()
            .map(|s| Reverse((s.finish_step(), s.req.id)))
            .collect();
    }

    fn admit_from_cache(&mut self, s: &mut Seq) {
        if !self.limits.prefix_caching || s.computed > 0 {
            return;
        }
        let Some((group, tokens)) = s.req.prefix else { return };
        if let Some(i) = self.prefix_cache.iter().position(|g| *g == group) {
            let g = self.prefix_cache.remove(i).expect("found");
            self.prefix_cache.push_back(g);
            // Whole blocks only, and vLLM always computes at least the last prompt token.
            let b = self.limits.block_size;
            let hit = (tokens.min(s.req.prompt_tokens.saturating_sub(1)) / b) * b;
            s.computed = hit;
            s.cached_tokens = hit;
        }
    }

    fn remember_prefix(&mut self, req: &Request) {
        if !self.limits.prefix_caching {
            return;
        }
        let Some((group, tokens)) = req.prefix else { return };
        if self.prefix_cache.contains(&group) {
            return;
        }
        if self.prefix_slots == 0 {
            // Half the KV cache may hold cached prefixes before they are evicted.
            let per = blocks_for(tokens.max(1), self.limits.block_size);
            self.prefix_slots = ((self.limits.num_blocks / 2) / per).max(1) as usize;
        }
        if self.prefix_cache.len() >= self.prefix_slots {
            self.prefix_cache.pop_front();
        }
        self.prefix_cache.push_back(group);
    }

    /// Plans the segment starting at `now` (the state is exact at `now`).
    fn plan(&mut self, now: f64) {
        self.segment = None;
        if self.running() == 0 && self.waiting.is_empty() {
            return;
        }
        if self.fidelity == Fidelity::Fast
            && self.prefilling.is_empty()
            && !self.decoders.is_empty()
            && !self.can_admit_head()
        {
            let n = self.decoders.len() as u64;
            let to_finish = self
                .finishes
                .peek()
                .map(|Reverse((f, _))| f - self.steps)
                .expect("decoders have finish steps");
            let k = self.steps_with_blocks(to_finish);
            if k >= 1 {
                let run = self.cost.run(n, self.context_sum());
                self.segment = Some(Segment {
                    start: now,
                    end: now + run.total(k),
                    planned: Planned::Run { k, run },
                });
                return;
            }
        }
        self.plan_step(now);
    }

    /// Whether the head of the waiting queue would be admitted after the decoders took
    /// their tokens and blocks this step.
    fn can_admit_head(&self) -> bool {
        let Some(s) = self.waiting.front() else { return false };
        if self.running() >= self.limits.max_num_seqs as usize {
            return false;
        }
        let left = self.limits.max_num_batched_tokens as u64 - self.decoders.len() as u64;
        if left == 0 {
            return false;
        }
        // A prefix hit could only lower the need; without one this is what admission asks.
        let want = ((s.len - s.computed) as u64).min(left) as u32;
        let need = blocks_for(s.computed + want, self.limits.block_size);
        need + self.decode_blocks(1) <= self.free_blocks
    }

    /// The number of decode steps, up to `limit`, whose block allocations fit.
    fn steps_with_blocks(&self, limit: u64) -> u64 {
        self.decoders_steps_with_blocks(&self.residues, self.steps, self.decoders.len() as u64, limit)
    }

    /// `steps_with_blocks` for `n` decoders with `residues` at step `steps`.
    fn decoders_steps_with_blocks(&self, residues: &[u64], steps: u64, n: u64, limit: u64) -> u64 {
        let m = self.limits.block_size as u64;
        if n * limit.div_ceil(m) <= self.free_blocks {
            return limit;
        }
        let (mut lo, mut hi) = (0u64, limit);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if self.decoders_blocks(residues, steps, n, mid) <= self.free_blocks {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    }

    /// Plans the step starting at `now`: decoders first (one token and maybe a block
    /// each, preempting the newest when blocks run out), then the prefill chunks of
    /// running prefillers, then admissions from the waiting queue.
    fn plan_step(&mut self, now: f64) {
        let block = self.limits.block_size;
        let mut left = self.limits.max_num_batched_tokens;
        let need = self.decode_blocks(1);
        if need <= self.free_blocks {
            self.free_blocks -= need;
        } else {
            // Walk decoders in order as the scheduler does, preempting the newest.
            let m = block as u64;
            let mut i = 0;
            while i < self.decoders.len() {
                let r = self.residue_of(&self.decoders[i]) as u64;
                let need = hits(r, self.steps, 1, m);
                if need > self.free_blocks {
                    self.preempt_newest();
                    continue;
                }
                self.free_blocks -= need;
                i += 1;
            }
        }
        left -= self.decoders.len() as u32;
        let mut chunks = std::mem::take(&mut self.chunks);
        chunks.clear();
        let mut i = 0;
        while i < self.prefilling.len() && left > 0 {
            let s = &self.prefilling[i];
            let want = (s.len - s.computed).min(left);
            let need = blocks_for(s.computed + want, block) - blocks_for(s.computed, block);
            if need > self.free_blocks {
                self.preempt_newest();
                continue;
            }
            self.free_blocks -= need;
            chunks.push(want);
            left -= want;
            i += 1;
        }
        // A prefiller left without budget keeps its place but gets no tokens.
        chunks.resize(self.prefilling.len(), 0);
        self.chunks = chunks;
        self.budget_left = left;
        self.admit_waiting(now);
        self.note_blocks();
        self.set_step(now, now);
    }

    /// Admits waiting requests in arrival order into the step starting at `at` while
    /// token budget, `max_num_seqs` and free blocks allow.
    fn admit_waiting(&mut self, at: f64) {
        let block = self.limits.block_size;
        while self.budget_left > 0 && self.running() < self.limits.max_num_seqs as usize {
            let Some(mut s) = self.waiting.pop_front() else { break };
            self.admit_from_cache(&mut s);
            let want = (s.len - s.computed).min(self.budget_left);
            let need = blocks_for(s.computed + want, block);
            if need > self.free_blocks {
                if s.cached_tokens > 0 && s.computed == s.cached_tokens {
                    s.computed = 0;
                    s.cached_tokens = 0;
                }
                self.waiting.push_front(s);
                break;
            }
            self.free_blocks -= need;
            s.first_scheduled.get_or_insert(at);
            self.prefilling.push(s);
            self.chunks.push(want);
            self.budget_left -= want;
        }
    }

    /// Sets the planned step starting at `at` as the segment (busy from `start`).
    fn set_step(&mut self, start: f64, at: f64) {
        let mut batch = Batch {
            decode_seqs: self.decoders.len() as u64,
            decode_context_tokens: self.context_sum(),
            ..Default::default()
        };
        for (s, n) in self.prefilling.iter().zip(&self.chunks) {
            // The one uncomputed token of a sequence that already generated is a decode.
            if s.generated > 0 && s.computed + 1 == s.len && *n == 1 {
                batch.decode_seqs += 1;
                batch.decode_context_tokens += s.len as u64;
            } else if *n > 0 {
                batch.prefill_tokens += *n as u64;
                batch.prefill_attention_pairs += *n as f64 * (s.computed as f64 + *n as f64 / 2.0);
            }
        }
        if batch.decode_seqs == 0 && batch.prefill_tokens == 0 {
            // Nothing fits this step (every block is taken by waiting work): idle until a
            // new event; this cannot happen with the admission checks above.
            self.segment = None;
            return;
        }
        let step_end = at + self.cost.time(&batch);
        let then = self.run_after_step(step_end);
        self.segment = Some(Segment {
            start,
            end: then.map_or(step_end, |t| step_end + t.run.total(t.k)),
            planned: Planned::Step { at, then },
        });
    }

    /// The decode run `plan` would choose at the end of the planned step, when that is
    /// already certain: the step finishes nobody, completes every prompt it holds, and
    /// nobody waits (arrivals during the step undo it in `submit`).
    fn run_after_step(&mut self, step_end: f64) -> Option<Then> {
        if self.fidelity != Fidelity::Fast || !self.waiting.is_empty() {
            return None;
        }
        let steps = self.steps + 1;
        let mut finish = self.finishes.peek().map_or(u64::MAX, |Reverse((f, _))| *f);
        if finish <= steps {
            return None;
        }
        let mut residues = std::mem::take(&mut self.next_residues);
        residues.copy_from_slice(&self.residues);
        let mut n = self.decoders.len() as u64;
        let mut context = self.context_sum() + n;
        let mut composable = true;
        for (s, &c) in self.prefilling.iter().zip(&self.chunks) {
            let generated = s.generated + 1;
            if s.computed + c != s.len || generated >= s.req.output_tokens {
                composable = false;
                break;
            }
            // As a decoder synced at the step's end: computed = the old len, len one more.
            residues[self.block.rem_diff(s.len as u64, steps)] += 1;
            context += s.len as u64 + 1;
            n += 1;
            finish = finish.min(steps + (s.req.output_tokens - generated) as u64);
        }
        let k = if composable && n > 0 {
            self.decoders_steps_with_blocks(&residues, steps, n, finish - steps)
        } else {
            0
        };
        self.next_residues = residues;
        (k >= 1).then(|| Then {
            step_end,
            k,
            run: self.cost.run(n, context),
        })
    }

    /// Applies the segment ending now, reporting finished requests, and plans the next.
    pub fn advance(&mut self, sink: &mut impl Sink) {
        let Some(seg) = self.segment.take() else { return };
        let now = seg.end;
        match seg.planned {
            Planned::Run { k, .. } => {
                self.busy_s += seg.end - seg.start;
                self.free_blocks -= self.decode_blocks(k);
                self.note_blocks();
                self.steps += k;
            }
            Planned::Step { then: None, .. } => {
                self.busy_s += seg.end - seg.start;
                self.apply_step(now, sink);
            }
            Planned::Step { then: Some(then), .. } => {
                self.busy_s += then.step_end - seg.start;
                self.apply_step(then.step_end, &mut FinishesNobody);
                self.busy_s += seg.end - then.step_end;
                self.free_blocks -= self.decode_blocks(then.k);
                self.note_blocks();
                self.steps += then.k;
            }
        }
        while let Some(Reverse((f, id))) = self.finishes.peek().copied() {
            if f > self.steps {
                break;
            }
            self.finishes.pop();
            let i = self
                .decoders
                .iter()
                .position(|s| s.req.id == id)
                .expect("a finish entry belongs to a decoder");
            let s = self.take_decoder(i);
            self.finish(s, now, sink);
        }
        self.plan(now);
    }

    /// Applies the planned step ending at `now`: prompts advance by their chunks, and
    /// every sequence that computed its whole context emits a token.
    fn apply_step(&mut self, now: f64, sink: &mut impl Sink) {
        self.steps += 1;
        // Decoders' blocks were taken when the step was planned.
        let mut stepped = std::mem::take(&mut self.scratch);
        std::mem::swap(&mut stepped, &mut self.prefilling);
        let chunks = std::mem::take(&mut self.chunks);
        debug_assert_eq!(stepped.len(), chunks.len(), "a chunk per prefilling sequence");
        for (mut s, &n) in stepped.drain(..).zip(&chunks) {
            s.computed += n;
            if let Some((_, tokens)) = s.req.prefix {
                if s.computed >= tokens {
                    self.remember_prefix(&s.req);
                }
            }
            if s.computed == s.len {
                s.generated += 1;
                s.len += 1;
                s.first_token.get_or_insert(now);
                if s.generated >= s.req.output_tokens {
                    self.finish(s, now, sink);
                } else {
                    // Steps already counts this one: the sequence joins decoding
                    // with its counters exact at the current step.
                    self.add_decoder(s);
                }
            } else {
                self.prefilling.push(s);
            }
        }
        self.scratch = stepped;
        self.chunks = chunks;
    }

    fn finish(&mut self, s: Seq, now: f64, sink: &mut impl Sink) {
        self.free_blocks += blocks_for(s.computed, self.limits.block_size);
        let first = s.first_token.expect("a finished request has its first token");
        let outcome = Outcome {
            queue_s: s.first_scheduled.expect("scheduled") - s.req.arrival_s,
            ttft_s: first - s.req.arrival_s,
            tpot_s: if s.generated > 1 {
                (now - first) / (s.generated - 1) as f64
            } else {
                0.0
            },
            e2e_s: now - s.req.arrival_s,
            preemptions: s.preemptions,
            cached_tokens: s.cached_tokens,
        };
        sink.finished(&s.req, &outcome, now);
    }

    /// Stops the replica: every request on it is returned (the pod is gone).
    pub(crate) fn drain(&mut self) -> Vec<Request> {
        self.segment = None;
        let mut out: Vec<Request> = self.decoders.drain(..).map(|s| s.req).collect();
        out.extend(self.prefilling.drain(..).map(|s| s.req));
        out.extend(self.waiting.drain(..).map(|s| s.req));
        self.finishes.clear();
        self.residues.iter_mut().for_each(|r| *r = 0);
        self.len_key_sum = 0;
        self.free_blocks = self.limits.num_blocks;
        out
    }

    /// Whether every KV block is free (nothing running).
    #[cfg(test)]
    pub(crate) fn is_quiescent(&self) -> bool {
        self.running() == 0 && self.free_blocks == self.limits.num_blocks
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::serving::args::VllmArgs;
    use crate::serving::memory::plan;
    use crate::serving::reference;
    use crate::serving::steptime::llama_8b_shapes;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    struct Collect(Vec<(u64, Outcome)>);
    impl Sink for Collect {
        fn finished(&mut self, req: &Request, o: &Outcome, _at: f64) {
            self.0.push((req.id, *o));
        }
    }

    fn replica(
        args: &VllmArgs,
        blocks: Option<u64>,
        fidelity: Fidelity,
    ) -> (Replica, crate::serving::memory::MemoryPlan) {
        let c = Catalog::bundled();
        let gpu = c.gpu("H100-SXM").unwrap();
        let (card, arch) = llama_8b_shapes();
        let mut mem = plan(&card, &arch, gpu, 1, args, &c.vllm).unwrap();
        if let Some(b) = blocks {
            mem.num_blocks = b;
        }
        let limits = Limits {
            block_size: args.block_size,
            num_blocks: mem.num_blocks,
            max_num_seqs: mem.max_num_seqs,
            max_num_batched_tokens: mem.max_num_batched_tokens,
            prefix_caching: args.enable_prefix_caching,
        };
        (
            Replica::new(StepCost::new(&card, &arch, gpu, args, &c.vllm), limits, fidelity),
            mem,
        )
    }

    /// Feeds sorted requests through the replica as a driver would (arrivals before step
    /// ends at the same instant); returns outcomes in request order and the step events.
    fn drive_counting(r: &mut Replica, reqs: &[Request]) -> (Vec<Outcome>, u64) {
        let mut sink = Collect(Vec::new());
        let mut next = 0;
        let mut events = 0;
        loop {
            match (reqs.get(next), r.next_event()) {
                (Some(q), Some(t)) if q.arrival_s <= t => {
                    r.submit(*q, q.arrival_s);
                    next += 1;
                }
                (Some(q), None) => {
                    r.submit(*q, q.arrival_s);
                    next += 1;
                }
                (_, Some(_)) => {
                    r.advance(&mut sink);
                    events += 1;
                }
                (None, None) => break,
            }
        }
        let mut out = vec![Outcome::default(); reqs.len()];
        for (id, o) in sink.0 {
            out[id as usize] = o;
        }
        (out, events)
    }

    fn drive(r: &mut Replica, reqs: &[Request]) -> Vec<Outcome> {
        drive_counting(r, reqs).0
    }

    fn random_requests(seed: u64, n: usize, rate: f64, prompt: u32, output: u32) -> Vec<Request> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut t = 0.0;
        (0..n)
            .map(|i| {
                t += -(1.0 - rng.random::<f64>()).ln() / rate;
                Request {
                    id: i as u64,
                    arrival_s: t,
                    prompt_tokens: rng.random_range(1..=prompt),
                    output_tokens: rng.random_range(1..=output),
                    prefix: None,
                }
            })
            .collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn the_kv_cache_peak_is_the_same_whether_runs_are_stepped_or_composed() {
        // (label, blocks, requests): a roomy cache, and one small enough to preempt.
        let cases = [
            ("roomy", None, random_requests(7, 300, 20.0, 2000, 300)),
            ("tight", Some(200), random_requests(8, 200, 20.0, 1500, 300)),
        ];
        for (label, blocks, reqs) in cases {
            let peaks: Vec<f64> = [Fidelity::Step, Fidelity::Fast]
                .into_iter()
                .map(|f| {
                    let (mut r, _) = replica(&VllmArgs::default(), blocks, f);
                    let mut seen: f64 = 0.0;
                    let mut sink = Collect(Vec::new());
                    for q in &reqs {
                        while r.next_event().is_some_and(|t| t < q.arrival_s) {
                            r.advance(&mut sink);
                            seen = seen.max(r.kv_cache_usage());
                        }
                        r.submit(*q, q.arrival_s);
                        seen = seen.max(r.kv_cache_usage());
                    }
                    while r.next_event().is_some() {
                        r.advance(&mut sink);
                    }
                    let peak = r.kv_cache_peak();
                    assert!(peak >= seen && peak <= 1.0, "{label} {f:?}: peak {peak}, seen {seen}");
                    assert_eq!(r.kv_cache_usage(), 0.0, "{label} {f:?}: all done, all free");
                    peak
                })
                .collect();
            assert!(peaks[0] > 0.0, "{label}: the requests used the cache");
            assert_eq!(peaks[0], peaks[1], "{label}: stepped and composed runs");
        }
    }

    #[test]
    fn both_fidelities_reproduce_the_reference_engine() {
        // (label, args, blocks, requests): light load, heavy load with chunking, and a
        // KV cache small enough to force preemptions.
        let cases: Vec<(&str, VllmArgs, Option<u64>, Vec<Request>)> = vec![
            (
                "light",
                VllmArgs::default(),
                None,
                random_requests(1, 300, 2.0, 2000, 300),
            ),
            (
                "chunked",
                VllmArgs {
                    max_num_batched_tokens: Some(512),
                    max_num_seqs: Some(32),
                    ..Default::default()
                },
                None,
                random_requests(2, 400, 40.0, 3000, 200),
            ),
            (
                "preempting",
                VllmArgs::default(),
                Some(300),
                random_requests(3, 200, 30.0, 800, 600),
            ),
            (
                // Arrivals on a 10 ms grid: several at one instant, some exactly at a
                // step's end, many inside a step planned together with its decode run.
                "ties",
                VllmArgs::default(),
                None,
                random_requests(5, 300, 8.0, 1500, 100)
                    .into_iter()
                    .map(|q| Request {
                        arrival_s: (q.arrival_s * 100.0).round() / 100.0,
                        ..q
                    })
                    .collect(),
            ),
        ];
        for (label, args, blocks, reqs) in cases {
            let (_, mem) = replica(&args, blocks, Fidelity::Step);
            let c = Catalog::bundled();
            let (card, arch) = llama_8b_shapes();
            let old: Vec<reference::StepRequest> = reqs
                .iter()
                .map(|q| reference::StepRequest {
                    arrival_s: q.arrival_s,
                    prompt_tokens: q.prompt_tokens,
                    output_tokens: q.output_tokens,
                })
                .collect();
            let (want, _) = reference::StepReplica {
                card: &card,
                arch: &arch,
                gpu: c.gpu("H100-SXM").unwrap(),
                args: &args,
                constants: &c.vllm,
                memory: &mem,
            }
            .run(&old);
            for fidelity in [Fidelity::Step, Fidelity::Fast] {
                let (mut r, _) = replica(&args, blocks, fidelity);
                let got = drive(&mut r, &reqs);
                assert!(r.is_quiescent(), "{label} {fidelity:?}: blocks leaked");
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert!(
                        close(g.ttft_s, w.ttft_s)
                            && close(g.e2e_s, w.e2e_s)
                            && close(g.tpot_s, w.tpot_s)
                            && close(g.queue_s, w.queue_s)
                            && g.preemptions == w.preemptions,
                        "{label} {fidelity:?} request {i}: {g:?} vs reference {w:?}"
                    );
                }
            }
            if label == "preempting" {
                assert!(want.iter().any(|o| o.preemptions > 0), "the case must preempt");
            }
        }
    }

    #[test]
    fn fast_mode_takes_far_fewer_events() {
        let reqs = random_requests(4, 200, 5.0, 500, 400);
        let count = |f| {
            let (mut r, _) = replica(&VllmArgs::default(), None, f);
            drive_counting(&mut r, &reqs).1
        };
        let (step, fast) = (count(Fidelity::Step), count(Fidelity::Fast));
        assert!(fast * 10 < step, "fast {fast} events vs step {step}");
        // A prompt's step is planned with the decode run after it, so a request alone
        // on the replica costs one event, its finish.
        assert!(fast < 2 * reqs.len() as u64, "O(1) events per request: {fast}");
    }

    #[test]
    fn a_cached_prefix_skips_its_prefill() {
        let args = VllmArgs {
            enable_prefix_caching: true,
            ..Default::default()
        };
        let reqs: Vec<Request> = (0..2)
            .map(|i| Request {
                id: i,
                arrival_s: i as f64 * 10.0,
                prompt_tokens: 4000,
                output_tokens: 10,
                prefix: Some((7, 3000)),
            })
            .collect();
        let (mut r, _) = replica(&args, None, Fidelity::Fast);
        let out = drive(&mut r, &reqs);
        assert_eq!(out[0].cached_tokens, 0);
        assert_eq!(
            out[1].cached_tokens, 2992,
            "whole 16-token blocks of the 3000-token prefix"
        );
        assert!(out[1].ttft_s < out[0].ttft_s * 0.5, "{out:?}");
    }

    #[test]
    fn decode_blocks_counts_each_decoders_boundaries() {
        let (mut r, _) = replica(&VllmArgs::default(), None, Fidelity::Fast);
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        for round in 0..200 {
            r.steps = rng.random_range(0..1000);
            r.decoders = vec![Seq::new(Request {
                id: 0,
                arrival_s: 0.0,
                prompt_tokens: 1,
                output_tokens: 1,
                prefix: None,
            })];
            for c in r.residues.iter_mut() {
                *c = rng.random_range(0..4);
            }
            let k = rng.random_range(0..100);
            let want: u64 = r
                .residues
                .iter()
                .enumerate()
                .map(|(res, c)| c * hits(res as u64, r.steps, k, 16))
                .sum();
            // `decoders` only gates the empty case; the counts live in `residues`.
            let n: u64 = r.residues.iter().sum();
            if n == 0 {
                continue;
            }
            r.decoders = (0..n).map(|_| r.decoders[0].clone()).collect();
            assert_eq!(r.decode_blocks(k), want, "round {round}: k={k}");
        }
    }

    #[test]
    fn block_hits_count_boundaries() {
        // (residue, from, k, m, expected)
        for (r, from, k, m, want) in [
            (0, 0, 1, 16, 1),
            (0, 1, 15, 16, 0),
            (0, 1, 16, 16, 1),
            (5, 11, 1, 16, 1),
            (5, 0, 100, 16, 6),
            (3, 7, 0, 16, 0),
        ] {
            assert_eq!(hits(r, from, k, m), want, "r={r} from={from} k={k}");
        }
    }
}
