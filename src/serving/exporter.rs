//! What a vLLM replica exports on `/metrics` (vLLM v1's `PrometheusStatLogger`), under the
//! names vLLM uses: the scheduler's gauges, the token and request counters, and the
//! latency histograms with vLLM's own bucket bounds. The serving loop keeps these per
//! replica only when something scrapes them.

/// `vllm:time_to_first_token_seconds` bucket upper bounds (vLLM v1).
pub(crate) const TTFT_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
    160.0, 640.0, 2560.0,
];

/// `vllm:e2e_request_latency_seconds` (and the other request-latency histograms) bucket
/// upper bounds (vLLM v1's `request_latency_buckets`).
pub(crate) const E2E_BUCKETS: &[f64] = &[
    0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0,
    1920.0, 7680.0,
];

/// A Prometheus histogram: a count per bucket (the last is `+Inf`), the sum and the count.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Histogram {
    pub(crate) bounds: &'static [f64],
    /// Observations per bucket, not cumulative; one more than `bounds` (`+Inf`).
    pub(crate) counts: Vec<u64>,
    pub(crate) sum: f64,
    pub(crate) count: u64,
}

impl Histogram {
    pub(crate) fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: vec![0; bounds.len() + 1],
            sum: 0.0,
            count: 0,
        }
    }

    /// Records `v` in the first bucket whose bound is at least `v` (`le` is inclusive).
    pub(crate) fn observe(&mut self, v: f64) {
        // At most `bounds.len()`, the `+Inf` bucket: `counts` has one more than `bounds`.
        let i = self.bounds.partition_point(|b| *b < v);
        self.counts[i] += 1;
        self.sum += v;
        self.count += 1;
    }

    /// `(le, cumulative count)` per bucket as exposed, `+Inf` last.
    pub(crate) fn cumulative(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        let bounds = self.bounds.iter().copied().chain(std::iter::once(f64::INFINITY));
        bounds.zip(self.counts.iter().scan(0u64, |acc, c| {
            *acc += c;
            Some(*acc)
        }))
    }
}

/// A replica's counters and histograms since its engine started.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VllmCounters {
    /// `vllm:request_success_total{finished_reason="stop"}`.
    pub(crate) request_success: u64,
    /// `vllm:prompt_tokens_total`.
    pub(crate) prompt_tokens: u64,
    /// `vllm:generation_tokens_total`.
    pub(crate) generation_tokens: u64,
    /// `vllm:num_preemptions_total`.
    pub(crate) preemptions: u64,
    pub(crate) ttft: Histogram,
    pub(crate) e2e: Histogram,
}

impl Default for VllmCounters {
    fn default() -> Self {
        VllmCounters {
            request_success: 0,
            prompt_tokens: 0,
            generation_tokens: 0,
            preemptions: 0,
            ttft: Histogram::new(TTFT_BUCKETS),
            e2e: Histogram::new(E2E_BUCKETS),
        }
    }
}

impl VllmCounters {
    /// A finished request, counted when it finishes (vLLM counts tokens per step; here
    /// a request's tokens reach the counters at its end).
    pub(crate) fn finished(
        &mut self,
        prompt_tokens: u32,
        output_tokens: u32,
        ttft_s: f64,
        e2e_s: f64,
        preemptions: u32,
    ) {
        self.request_success += 1;
        self.prompt_tokens += prompt_tokens as u64;
        self.generation_tokens += output_tokens as u64;
        self.preemptions += preemptions as u64;
        self.ttft.observe(ttft_s);
        self.e2e.observe(e2e_s);
    }
}

/// What one scrape of a replica reads.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReplicaScrape<'a> {
    pub(crate) pod: &'a str,
    /// When its engine became ready.
    pub(crate) ready_s: f64,
    /// `vllm:num_requests_running`.
    pub(crate) running: u32,
    /// `vllm:num_requests_waiting`.
    pub(crate) waiting: u32,
    /// `vllm:kv_cache_usage_perc` (0–1; `vllm:gpu_cache_usage_perc` in older releases).
    pub(crate) kv_cache_usage: f64,
    /// Seconds its engine has spent in steps.
    pub(crate) busy_s: f64,
    pub(crate) counters: &'a VllmCounters,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_observation_on_a_bound_falls_in_that_bucket_as_le_is_inclusive() {
        /// Observations, and the cumulative counts expected at some bounds.
        type Case<'a> = (&'a [f64], &'a [(f64, u64)]);
        let cases: &[Case] = &[
            (&[0.1], &[(0.08, 0), (0.1, 1), (f64::INFINITY, 1)]),
            (&[0.0005, 3000.0], &[(0.001, 1), (2560.0, 1), (f64::INFINITY, 2)]),
            (&[0.3, 0.31, 9.9], &[(0.25, 0), (0.5, 2), (10.0, 3)]),
        ];
        for (observations, expected) in cases {
            let mut h = Histogram::new(TTFT_BUCKETS);
            for v in *observations {
                h.observe(*v);
            }
            let cumulative: Vec<(f64, u64)> = h.cumulative().collect();
            assert_eq!(cumulative.len(), TTFT_BUCKETS.len() + 1);
            for (le, want) in *expected {
                let got = cumulative.iter().find(|(b, _)| b == le).map(|(_, c)| *c);
                assert_eq!(got, Some(*want), "le={le} after {observations:?}");
            }
            assert_eq!(h.count, observations.len() as u64);
            assert!((h.sum - observations.iter().sum::<f64>()).abs() < 1e-9);
        }
    }

    #[test]
    fn a_finished_request_moves_every_counter() {
        let mut c = VllmCounters::default();
        c.finished(1500, 300, 0.4, 9.0, 1);
        c.finished(500, 100, 3.0, 12.0, 0);
        assert_eq!(
            (c.request_success, c.prompt_tokens, c.generation_tokens, c.preemptions),
            (2, 2000, 400, 1)
        );
        assert_eq!(c.e2e.cumulative().find(|(le, _)| *le == 10.0).map(|x| x.1), Some(1));
        assert_eq!(c.ttft.cumulative().find(|(le, _)| *le == 0.5).map(|x| x.1), Some(1));
    }
}
