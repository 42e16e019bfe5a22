//! What a vLLM replica's periodic stat logger prints (vLLM v1's `LoggingStatLogger`):
//! every `VLLM_LOG_STATS_INTERVAL` (10 s) from its server's start, the prompt and
//! generation throughput since the last line, the requests running and waiting, the KV
//! cache in use and the prefix-cache hit rate over the recent requests. A line whose
//! throughputs are all zero, and were zero at the line before, goes to DEBUG (vLLM's
//! "avoid log noise on an idle production system"), so an idle replica prints nothing.
//! Tokens are counted when their request finishes, as the replica's `/metrics` counters
//! are (`exporter.rs`).

use std::collections::VecDeque;

/// vLLM's `VLLM_LOG_STATS_INTERVAL` default, seconds.
pub(crate) const LOG_STATS_INTERVAL_S: f64 = 10.0;

/// `PrefixCachingMetrics`' `max_recent_requests`: the hit rate is over these last requests.
const RECENT_REQUESTS: usize = 1000;

/// One INFO line of the stat logger.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct StatLine {
    /// When it was printed, seconds of the run.
    pub t: f64,
    pub prompt_throughput: f64,
    pub generation_throughput: f64,
    pub running: u32,
    pub waiting: u32,
    /// 0–1.
    pub kv_cache_usage: f64,
    /// 0–1.
    pub prefix_cache_hit_rate: f64,
}

/// The scheduler's state a line reads: (running, waiting, KV cache usage 0–1).
pub(crate) type SchedulerState = (u32, u32, f64);

/// One replica's stat logger.
#[derive(Debug, Clone)]
pub(crate) struct StatLog {
    /// When the next line is due.
    next_at: f64,
    /// Tokens of the requests finished so far, and at the last line.
    prompt_tokens: u64,
    generation_tokens: u64,
    at_last: (u64, u64),
    /// The last line's throughputs (zero while nothing was logged).
    last_throughput: (f64, f64),
    /// The recent requests' (prompt tokens, tokens from the prefix cache), and their sums.
    recent: VecDeque<(u32, u32)>,
    recent_sums: (u64, u64),
    /// The INFO lines so far.
    pub(crate) lines: Vec<StatLine>,
}

impl StatLog {
    /// A logger whose server started at `start_s`.
    pub(crate) fn new(start_s: f64) -> StatLog {
        StatLog {
            next_at: start_s + LOG_STATS_INTERVAL_S,
            prompt_tokens: 0,
            generation_tokens: 0,
            at_last: (0, 0),
            last_throughput: (0.0, 0.0),
            recent: VecDeque::new(),
            recent_sums: (0, 0),
            lines: Vec::new(),
        }
    }

    /// When the next line is due.
    pub(crate) fn next_at(&self) -> f64 {
        self.next_at
    }

    /// A request finished on the replica.
    pub(crate) fn finished(&mut self, prompt_tokens: u32, output_tokens: u32, cached_tokens: u32) {
        self.prompt_tokens += prompt_tokens as u64;
        self.generation_tokens += output_tokens as u64;
        self.recent.push_back((prompt_tokens, cached_tokens));
        self.recent_sums.0 += prompt_tokens as u64;
        self.recent_sums.1 += cached_tokens as u64;
        if self.recent.len() > RECENT_REQUESTS {
            if let Some((q, h)) = self.recent.pop_front() {
                self.recent_sums.0 -= q as u64;
                self.recent_sums.1 -= h as u64;
            }
        }
    }

    /// Prints the lines due before `now` (at or after which something changes), the
    /// scheduler in `state` all along.
    pub(crate) fn catch_up(&mut self, now: f64, state: SchedulerState) {
        let lines = self.due(now, state);
        self.advance(now, lines);
    }

    /// The lines `catch_up(now, state)` would print, without printing them.
    pub(crate) fn pending(&self, now: f64, state: SchedulerState) -> Vec<StatLine> {
        self.clone().due(now, state).0
    }

    /// The lines due before `now` and the logger's state after them.
    fn due(&self, now: f64, (running, waiting, kv): SchedulerState) -> (Vec<StatLine>, (u64, u64), (f64, f64), f64) {
        let mut lines = Vec::new();
        let mut at_last = self.at_last;
        let mut last = self.last_throughput;
        let mut next_at = self.next_at;
        let hit_rate = if self.recent_sums.0 == 0 {
            0.0
        } else {
            self.recent_sums.1 as f64 / self.recent_sums.0 as f64
        };
        while next_at < now {
            let prompt = (self.prompt_tokens - at_last.0) as f64 / LOG_STATS_INTERVAL_S;
            let generation = (self.generation_tokens - at_last.1) as f64 / LOG_STATS_INTERVAL_S;
            if prompt != 0.0 || generation != 0.0 || last.0 != 0.0 || last.1 != 0.0 {
                lines.push(StatLine {
                    t: next_at,
                    prompt_throughput: prompt,
                    generation_throughput: generation,
                    running,
                    waiting,
                    kv_cache_usage: kv,
                    prefix_cache_hit_rate: hit_rate,
                });
            }
            at_last = (self.prompt_tokens, self.generation_tokens);
            last = (prompt, generation);
            next_at += LOG_STATS_INTERVAL_S;
        }
        (lines, at_last, last, next_at)
    }

    fn advance(&mut self, _now: f64, (lines, at_last, last, next_at): (Vec<StatLine>, (u64, u64), (f64, f64), f64)) {
        self.lines.extend(lines);
        self.at_last = at_last;
        self.last_throughput = last;
        self.next_at = next_at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_replica_logs_every_ten_seconds_and_an_idle_one_once_more_then_nothing() {
        let mut log = StatLog::new(100.0);
        // 2,000 prompt and 500 output tokens finish within the first interval.
        log.finished(1500, 300, 0);
        log.finished(500, 200, 500);
        log.catch_up(115.0, (1, 0, 0.25));
        assert_eq!(
            log.lines,
            vec![StatLine {
                t: 110.0,
                prompt_throughput: 200.0,
                generation_throughput: 50.0,
                running: 1,
                waiting: 0,
                kv_cache_usage: 0.25,
                prefix_cache_hit_rate: 0.25,
            }]
        );
        // Nothing more finishes: one line with zero throughput (the last was not zero),
        // then silence however long it stays idle.
        log.catch_up(1000.0, (0, 0, 0.0));
        let times: Vec<f64> = log.lines.iter().map(|l| l.t).collect();
        assert_eq!(times, vec![110.0, 120.0]);
        assert_eq!(log.next_at(), 1000.0);
        log.finished(100, 10, 0);
        log.catch_up(1010.5, (0, 0, 0.0));
        let tail: Vec<(f64, f64)> = log.lines[2..].iter().map(|l| (l.t, l.prompt_throughput)).collect();
        assert_eq!(tail, vec![(1000.0, 10.0), (1010.0, 0.0)]);
    }

    #[test]
    fn pending_lines_are_those_catch_up_would_print() {
        let mut log = StatLog::new(0.0);
        log.finished(1000, 100, 0);
        let pending = log.pending(25.0, (2, 1, 0.5));
        log.catch_up(25.0, (2, 1, 0.5));
        assert_eq!(pending, log.lines);
        assert_eq!(pending.len(), 2);
    }

    #[test]
    fn the_hit_rate_is_over_the_last_thousand_requests() {
        let mut log = StatLog::new(0.0);
        for _ in 0..1000 {
            log.finished(100, 1, 100);
        }
        for _ in 0..1000 {
            log.finished(100, 1, 0);
        }
        let line = log.pending(11.0, (0, 0, 0.0));
        assert_eq!(line.first().map(|l| l.prefix_cache_hit_rate), Some(0.0));
    }
}
