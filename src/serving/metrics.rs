//! Request metrics of one InferenceService: HDR histograms of TTFT, TPOT, end-to-end
//! latency and queueing delay over the run and per time window, token counts, failures by
//! reason and SLO attainment. Memory is fixed by the histograms and the number of windows,
//! never by the number of requests.

use super::replica::Outcome;
use hdrhistogram::Histogram;
use serde_json::{json, Map, Value};
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
pub fn summary(h: &Histogram<u32>) -> Value {
    if h.is_empty() {
        return json!({"count": 0});
    }
    let ms = |v: u64| v as f64 / 1000.0;
    json!({
        "count": h.len(),
        "mean": h.mean().round() / 1000.0,
        "p50": ms(quantile_us(h, 0.50)),
        "p90": ms(quantile_us(h, 0.90)),
        "p95": ms(quantile_us(h, 0.95)),
        "p99": ms(quantile_us(h, 0.99)),
        "max": ms(h.median_equivalent(h.max())),
        "cdf": cdf_points().map(|q| json!([q, ms(quantile_us(h, q))])).collect::<Vec<_>>(),
    })
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
    windows: Vec<Value>,
    pub preemptions: u64,
    pub cached_tokens: u64,
    /// Requests waiting now for a batch slot (engines' waiting queues and the router's
    /// held requests), and the most of them in the open window.
    waiting: u64,
    window_waiting_max: u64,
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
        }
    }

    /// The number of requests waiting for a batch slot changed to `n` at `t`.
    pub fn set_waiting(&mut self, t: f64, n: u64) {
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
            let mut w = Map::new();
            w.insert("t_s".into(), json!(self.window_index as f64 * self.window_s));
            w.insert("arrived".into(), json!(c.arrived));
            w.insert("completed".into(), json!(c.completed));
            w.insert("failed".into(), json!(c.failed));
            w.insert("waiting_max".into(), json!(self.window_waiting_max));
            w.insert(
                "output_tokens_per_s".into(),
                json!(round3(c.output_tokens as f64 / self.window_s)),
            );
            for m in Metric::ALL {
                let h = self.window.get(m);
                let v = |q: f64| {
                    if h.is_empty() {
                        Value::Null
                    } else {
                        json!(quantile_us(h, q) as f64 / 1000.0)
                    }
                };
                w.insert(format!("{}_p50_ms", m.key()), v(0.5));
                w.insert(format!("{}_p95_ms", m.key()), v(0.95));
            }
            self.windows.push(Value::Object(w));
        }
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
    pub fn completed_count(&self) -> u64 {
        self.counts.completed
    }
    pub fn failed_count(&self) -> u64 {
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
    pub fn quantile_s(&self, m: Metric, q: f64) -> Option<f64> {
        let h = self.overall(m);
        (!h.is_empty()).then(|| quantile_us(&h, q) as f64 / 1e6)
    }
    pub fn mean_s(&self, m: Metric) -> Option<f64> {
        let h = self.overall(m);
        (!h.is_empty()).then(|| h.mean() / 1e6)
    }

    /// The `models.<name>` object of report.json; `in_flight` are requests still open at
    /// the end and `duration_s` the run's length.
    pub fn finish(mut self, end_s: f64, in_flight: u64, duration_s: f64) -> Value {
        self.roll(end_s + self.window_s);
        let c = &self.counts;
        let mut out = Map::new();
        out.insert("requests".into(), json!(c.arrived));
        out.insert("completed".into(), json!(c.completed));
        out.insert("failed".into(), json!(c.failed));
        out.insert("failed_by_reason".into(), json!(self.failed));
        out.insert("in_flight_at_end".into(), json!(in_flight));
        for m in Metric::ALL {
            out.insert(format!("{}_ms", m.key()), summary(self.total.get(m)));
        }
        out.insert("prompt_tokens".into(), json!(c.prompt_tokens));
        out.insert("output_tokens".into(), json!(c.output_tokens));
        out.insert(
            "output_tokens_per_s".into(),
            json!(round3(c.output_tokens as f64 / duration_s)),
        );
        out.insert("preemptions".into(), json!(self.preemptions));
        out.insert("prefix_cached_tokens".into(), json!(self.cached_tokens));
        if !self.slo.is_empty() {
            let mut terms = Map::new();
            for (i, t) in self.slo.iter().enumerate() {
                let actual = self.quantile_s(t.metric, t.percentile / 100.0);
                terms.insert(
                    t.key(),
                    json!({
                        "target_ms": t.threshold_s * 1000.0,
                        "actual_ms": actual.map(|a| a * 1000.0),
                        "met": actual.is_some_and(|a| a <= t.threshold_s),
                        "attainment": ratio(self.within[i], c.completed),
                    }),
                );
            }
            let resolved = c.completed + c.failed;
            out.insert(
                "slo".into(),
                json!({
                    "terms": terms,
                    "good_requests": c.good,
                    "attainment": ratio(c.good, resolved),
                    "goodput_rps": round3(c.good as f64 / duration_s),
                }),
            );
        }
        out.insert("windows".into(), Value::Array(std::mem::take(&mut self.windows)));
        Value::Object(out)
    }
}

fn ratio(a: u64, b: u64) -> Value {
    if b == 0 {
        Value::Null
    } else {
        json!(round3(a as f64 / b as f64))
    }
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
        assert_eq!(v["completed"], 100);
        assert_eq!(v["failed_by_reason"]["no_ready_replica"], 1);
        let w = v["windows"].as_array().unwrap();
        assert_eq!(w.len(), 3, "{w:?}");
        let near = |v: &Value, want: f64| (v.as_f64().unwrap() - want).abs() <= want * 0.01;
        assert!(near(&w[0]["ttft_p95_ms"], 100.0), "{}", w[0]);
        assert!(near(&w[1]["ttft_p95_ms"], 400.0), "{}", w[1]);
        let s = &v["slo"];
        assert_eq!(s["terms"]["ttft_p95"]["met"], false);
        assert_eq!(s["terms"]["ttft_p95"]["attainment"], 0.6);
        assert_eq!(s["good_requests"], 60);
        assert_eq!(s["attainment"], round3(60.0 / 101.0));
    }
}
