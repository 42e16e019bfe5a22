//! Request metrics of one InferenceService: HDR histograms of TTFT, TPOT, end-to-end
//! latency and queueing delay over the run and per time window, token counts, failures by
//! reason and SLO attainment. Memory is fixed by the histograms and the number of windows,
//! never by the number of requests.

use super::replica::Outcome;
use crate::report::model::{LatencySummary, ModelReport, Slo, SloTermRecord, Window};
use hdrhistogram::Histogram;
use indexmap::IndexMap;
use std::collections::BTreeMap;

/// A latency metric a request has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metric {
    Ttft,
    Tpot,
    E2e,
    Queue,
}

impl Metric {
    pub const ALL: [Metric; 4] = [Metric::Ttft, Metric::Tpot, Metric::E2e, Metric::Queue];
    pub fn key(self) -> &'static str {
        match self {
            Metric::Ttft => "ttft",
            Metric::Tpot => "tpot",
            Metric::E2e => "e2e",
            Metric::Queue => "queue",
        }
    }
    pub fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.key() == s)
    }
    fn of(self, o: &Outcome) -> f64 {
        match self {
            Metric::Ttft => o.ttft_s,
            Metric::Tpot => o.tpot_s,
            Metric::E2e => o.e2e_s,
            Metric::Queue => o.queue_s,
        }
    }
}

/// One SLO term: the `percentile` of `metric` at most `threshold_s` (e.g. `ttft_p95: 500ms`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SloTerm {
    pub metric: Metric,
    pub percentile: f64,
    pub threshold_s: f64,
}

impl SloTerm {
    pub fn key(&self) -> String {
        format!("{}_p{}", self.metric.key(), self.percentile)
    }
}

/// Microseconds from 1 µs to one hour at three significant digits (0.05% resolution).
fn histogram() -> Histogram<u32> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds")
}

fn open_until(index: u64, window_s: f64) -> f64 {
    (index + 1) as f64 * window_s * (1.0 - 1e-9)
}

fn micros(s: f64) -> u64 {
    ((s * 1e6 + 0.5) as u64).max(1)
}

#[derive(Clone)]
struct Latencies([Histogram<u32>; 4]);

impl Latencies {
    fn new(make: fn() -> Histogram<u32>) -> Latencies {
        Latencies([make(), make(), make(), make()])
    }
    fn record(&mut self, o: &Outcome, output_tokens: u32) {
        for (i, m) in Metric::ALL.into_iter().enumerate() {
            // TPOT is undefined for single-token answers.
            if m == Metric::Tpot && output_tokens < 2 {
                continue;
            }
            self.0[i].saturating_record(micros(m.of(o)));
        }
    }
    fn get(&self, m: Metric) -> &Histogram<u32> {
        &self.0[Metric::ALL.iter().position(|x| *x == m).expect("listed")]
    }
    /// Moves every count of `other` into these histograms (same bounds and precision).
    fn absorb(&mut self, other: &mut Latencies) {
        for (h, o) in self.0.iter_mut().zip(other.0.iter_mut()) {
            h.add(&*o).expect("histograms of one configuration");
            o.reset();
        }
    }
}

/// A quantile in microseconds: the middle of the HDR bucket it falls in (within 0.05%).
fn quantile_us(h: &Histogram<u32>, q: f64) -> u64 {
    h.median_equivalent(h.value_at_quantile(q))
}

/// Summary of a histogram in milliseconds.
pub fn summary(h: &Histogram<u32>) -> LatencySummary {
    if h.is_empty() {
        return LatencySummary::default();
    }
    let ms = |v: u64| v as f64 / 1000.0;
    LatencySummary {
        count: h.len(),
        mean: Some(h.mean().round() / 1000.0),
        p50: Some(ms(quantile_us(h, 0.50))),
        p90: Some(ms(quantile_us(h, 0.90))),
        p95: Some(ms(quantile_us(h, 0.95))),
        p99: Some(ms(quantile_us(h, 0.99))),
        max: Some(ms(h.median_equivalent(h.max()))),
        cdf: Some(cdf_points().map(|q| (q, ms(quantile_us(h, q)))).collect()),
    }
}

/// The fractions at which report.json gives a latency's distribution: every 2% from the
/// minimum, then the tail at 99% and 99.9%, and the maximum.
fn cdf_points() -> impl Iterator<Item = f64> {
    (0..50).map(|i| i as f64 / 50.0).chain([0.99, 0.999, 1.0])
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Counts {
    arrived: u64,
    completed: u64,
    failed: u64,
    output_tokens: u64,
    prompt_tokens: u64,
    good: u64,
}

pub struct ModelMetrics {
    window_s: f64,
    slo: Vec<SloTerm>,
    total: Latencies,
    window: Latencies,
    window_index: u64,
    /// Times before this surely fall in the open window (a margin below its end keeps
    /// the exact window arithmetic in `roll` the only judge near the boundary).
    window_open_until: f64,
    window_counts: Counts,
    counts: Counts,
    pub failed: BTreeMap<&'static str, u64>,
    within: Vec<u64>,
    windows: Vec<Window>,
    pub preemptions: u64,
    pub cached_tokens: u64,
    /// Requests waiting now for a batch slot (engines' waiting queues and the router's
    /// held requests), and the most of them in the open window.
    waiting: u64,
    window_waiting_max: u64,
    /// The open window's GPU-seconds in engine steps and with a running engine, once the
    /// service has measured them (at the window's end).
    window_busy: Option<(f64, f64)>,
}

impl ModelMetrics {
    pub fn new(window_s: f64, slo: Vec<SloTerm>) -> ModelMetrics {
        ModelMetrics {
            window_s,
            within: vec![0; slo.len()],
            slo,
            total: Latencies::new(histogram),
            window: Latencies::new(histogram),
            window_index: 0,
            window_open_until: open_until(0, window_s),
            window_counts: Counts::default(),
            counts: Counts::default(),
            failed: BTreeMap::new(),
            windows: Vec::new(),
            preemptions: 0,
            cached_tokens: 0,
            waiting: 0,
            window_waiting_max: 0,
            window_busy: None,
        }
    }

    /// Window `index` ended with its replicas `busy_gpu_s` GPU-seconds in engine steps of
    /// `engine_gpu_s` with a running engine. Kept only for the open window: a later one has
    /// had no request (events come in time order), so it is not reported.
    pub(crate) fn window_busy(&mut self, index: u64, busy_gpu_s: f64, engine_gpu_s: f64) {
        if index == self.window_index {
            self.window_busy = Some((busy_gpu_s, engine_gpu_s));
        }
    }

    /// The number of requests waiting for a batch slot changed to `n` at `t`.
    pub(crate) fn set_waiting(&mut self, t: f64, n: u64) {
        self.roll(t);
        self.waiting = n;
        self.window_waiting_max = self.window_waiting_max.max(n);
    }

    /// Closes windows that ended before `t` (events arrive in time order).
    fn roll(&mut self, t: f64) {
        if t < self.window_open_until {
            return;
        }
        let idx = (t / self.window_s).floor().max(0.0) as u64;
        if self.window_index >= idx {
            return;
        }
        if self.window_counts != Counts::default() {
            let c = &self.window_counts;
            let at = |m: Metric, q: f64| {
                let h = self.window.get(m);
                (!h.is_empty()).then(|| quantile_us(h, q) as f64 / 1000.0)
            };
            self.windows.push(Window {
                t_s: self.window_index as f64 * self.window_s,
                arrived: c.arrived,
                completed: c.completed,
                failed: c.failed,
                waiting_max: self.window_waiting_max,
                output_tokens_per_s: round3(c.output_tokens as f64 / self.window_s),
                ttft_p50_ms: at(Metric::Ttft, 0.5),
                ttft_p95_ms: at(Metric::Ttft, 0.95),
                tpot_p50_ms: at(Metric::Tpot, 0.5),
                tpot_p95_ms: at(Metric::Tpot, 0.95),
                e2e_p50_ms: at(Metric::E2e, 0.5),
                e2e_p95_ms: at(Metric::E2e, 0.95),
                queue_p50_ms: at(Metric::Queue, 0.5),
                queue_p95_ms: at(Metric::Queue, 0.95),
                busy_fraction: self
                    .window_busy
                    .filter(|(_, engine)| *engine > 0.0)
                    .map(|(busy, engine)| (busy / engine * 1e4).round() / 1e4),
            });
        }
        self.window_busy = None;
        // A request is recorded once, in its window; the run's totals gather each window
        // as it closes.
        self.total.absorb(&mut self.window);
        self.window_counts = Counts::default();
        self.window_waiting_max = self.waiting;
        // Only the open window holds data: empty windows in between are skipped.
        self.window_index = idx;
        self.window_open_until = open_until(idx, self.window_s);
    }

    pub fn arrived(&mut self, t: f64) {
        self.roll(t);
        self.counts.arrived += 1;
        self.window_counts.arrived += 1;
    }

    pub fn completed(&mut self, t: f64, o: &Outcome, prompt_tokens: u32, output_tokens: u32) {
        self.roll(t);
        self.window.record(o, output_tokens);
        let mut good = true;
        for (i, term) in self.slo.iter().enumerate() {
            let v = if term.metric == Metric::Tpot && output_tokens < 2 {
                0.0
            } else {
                term.metric.of(o)
            };
            if v <= term.threshold_s {
                self.within[i] += 1;
            } else {
                good = false;
            }
        }
        for c in [&mut self.counts, &mut self.window_counts] {
            c.completed += 1;
            c.output_tokens += output_tokens as u64;
            c.prompt_tokens += prompt_tokens as u64;
            c.good += good as u64;
        }
        self.preemptions += o.preemptions as u64;
        self.cached_tokens += o.cached_tokens as u64;
    }

    pub fn failed(&mut self, t: f64, reason: &'static str) {
        self.roll(t);
        self.counts.failed += 1;
        self.window_counts.failed += 1;
        *self.failed.entry(reason).or_default() += 1;
    }

    pub fn arrived_count(&self) -> u64 {
        self.counts.arrived
    }
    pub(crate) fn completed_count(&self) -> u64 {
        self.counts.completed
    }
    pub(crate) fn failed_count(&self) -> u64 {
        self.counts.failed
    }
    /// The run's histogram of `m` so far, open window included.
    fn overall(&self, m: Metric) -> std::borrow::Cow<'_, Histogram<u32>> {
        let (total, open) = (self.total.get(m), self.window.get(m));
        if open.is_empty() {
            return std::borrow::Cow::Borrowed(total);
        }
        let mut h = total.clone();
        h.add(open).expect("histograms of one configuration");
        std::borrow::Cow::Owned(h)
    }
    pub(crate) fn quantile_s(&self, m: Metric, q: f64) -> Option<f64> {
        let h = self.overall(m);
        (!h.is_empty()).then(|| quantile_us(&h, q) as f64 / 1e6)
    }
    pub fn mean_s(&self, m: Metric) -> Option<f64> {
        let h = self.overall(m);
        (!h.is_empty()).then(|| h.mean() / 1e6)
    }

    /// The service's entry in the report's `models`; `in_flight` are requests still open
    /// at the end and `duration_s` the run's length. Its `namespace`, `router` and
    /// `replicas` are the service's, which the caller knows: they are left empty here.
    pub fn finish(mut self, end_s: f64, in_flight: u64, duration_s: f64) -> ModelReport {
        self.roll(end_s + self.window_s);
        let c = &self.counts;
        let slo = (!self.slo.is_empty()).then(|| {
            let terms: IndexMap<String, SloTermRecord> = self
                .slo
                .iter()
                .zip(&self.within)
                .map(|(t, within)| {
                    let actual = self.quantile_s(t.metric, t.percentile / 100.0);
                    let record = SloTermRecord {
                        target_ms: t.threshold_s * 1000.0,
                        actual_ms: actual.map(|a| a * 1000.0),
                        met: actual.is_some_and(|a| a <= t.threshold_s),
                        attainment: ratio(*within, c.completed),
                    };
                    (t.key(), record)
                })
                .collect();
            Slo {
                terms,
                good_requests: c.good,
                attainment: ratio(c.good, c.completed + c.failed),
                goodput_rps: round3(c.good as f64 / duration_s),
            }
        });
        ModelReport {
            requests: c.arrived,
            completed: c.completed,
            failed: c.failed,
            failed_by_reason: self.failed.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
            in_flight_at_end: in_flight,
            ttft_ms: summary(self.total.get(Metric::Ttft)),
            tpot_ms: summary(self.total.get(Metric::Tpot)),
            e2e_ms: summary(self.total.get(Metric::E2e)),
            queue_ms: summary(self.total.get(Metric::Queue)),
            prompt_tokens: c.prompt_tokens,
            output_tokens: c.output_tokens,
            output_tokens_per_s: round3(c.output_tokens as f64 / duration_s),
            preemptions: self.preemptions,
            prefix_cached_tokens: self.cached_tokens,
            slo,
            windows: std::mem::take(&mut self.windows),
            namespace: String::new(),
            router: String::new(),
            replicas: Vec::new(),
            capacity_waits: IndexMap::new(),
        }
    }
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b != 0).then(|| round3(a as f64 / b as f64))
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(ttft_ms: f64) -> Outcome {
        Outcome {
            queue_s: 0.0,
            ttft_s: ttft_ms / 1000.0,
            tpot_s: 0.02,
            e2e_s: ttft_ms / 1000.0 + 1.0,
            preemptions: 0,
            cached_tokens: 0,
        }
    }

    #[test]
    fn windows_percentiles_and_slo_attainment() {
        let slo = vec![SloTerm {
            metric: Metric::Ttft,
            percentile: 95.0,
            threshold_s: 0.2,
        }];
        let mut m = ModelMetrics::new(60.0, slo);
        for i in 0..100 {
            let t = i as f64;
            m.arrived(t);
            // The second minute is slow.
            m.completed(t + 0.5, &outcome(if i < 60 { 100.0 } else { 400.0 }), 100, 10);
        }
        m.failed(130.0, "no_ready_replica");
        let v = m.finish(180.0, 0, 180.0);
        assert_eq!(v.completed, 100);
        assert_eq!(v.failed_by_reason.get("no_ready_replica"), Some(&1));
        let w = &v.windows;
        assert_eq!(w.len(), 3, "{w:?}");
        let near = |v: Option<f64>, want: f64| v.is_some_and(|v| (v - want).abs() <= want * 0.01);
        // (window, its p95 TTFT)
        for (i, want) in [(0, 100.0), (1, 400.0)] {
            let p95 = w.get(i).and_then(|w| w.ttft_p95_ms);
            assert!(near(p95, want), "window {i}: {p95:?}");
        }
        let s = v.slo.as_ref().expect("an SLO was set");
        let term = s.terms.get("ttft_p95").expect("the term is reported");
        assert!(!term.met);
        assert_eq!(term.attainment, Some(0.6));
        assert_eq!(s.good_requests, 60);
        assert_eq!(s.attainment, Some(round3(60.0 / 101.0)));
    }
}
