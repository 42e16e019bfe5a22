//! The metric windows (`pkg/autoscaler/aggregation/bucketing.go`): a ring of buckets, one
//! per `BUCKET_SIZE` of time, each holding the sum of what was recorded in it — the
//! revision-wide concurrency (or RPS) that the scraper and the activators report, already
//! summed over pods — and the average over a window of them. The collector keeps two such
//! rings per revision over the same stats: one as long as the stable window, one as long
//! as the panic window (`pkg/autoscaler/metrics/collector.go`).
//!
//! Two averages, chosen by the `autoscaling.knative.dev/metric-aggregation-algorithm`
//! annotation: `linear` (the default) is the plain mean over the buckets that hold data;
//! `weighted-exponential` weights recent buckets more, with a decay chosen so the weights
//! over the window sum to at least `WEIGHT_PRECISION`.

use super::BUCKET_SIZE;
use crate::units::{SimDuration, SimTime};

/// `precision`: the linear average is floored to this many decimal digits, so a window
/// of identical values averages to exactly that value.
const PRECISION: i32 = 6;
/// `minExponent`: the smallest decay multiplier of the weighted average; without it a
/// very long window would decay so slowly that it is a plain mean.
const MIN_EXPONENT: f64 = 0.2;
/// `weightPrecision`: the weights of the weighted average over a whole window sum to at
/// least this much.
const WEIGHT_PRECISION: f64 = 0.9999;

/// `roundToNDigits`: floors (not rounds) to `n` decimal digits.
fn round_to_n_digits(n: i32, f: f64) -> f64 {
    let p = 10f64.powi(n);
    (f * p).floor() / p
}

/// `TimedFloat64Buckets`. Times are kept as milliseconds in `i64` so that `now` before
/// the last write (a late stat) is an ordinary negative difference, as in Go.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TimedFloat64Buckets {
    /// A ring indexed by `time_to_index(t) % len`.
    buckets: Vec<f64>,
    /// The bucket time of the first write, reset after a whole window without writes:
    /// the average is over the buckets since then, not over the whole ring.
    first_write: Option<i64>,
    /// The bucket time of the newest write; `None` before any (Go's zero `time.Time`).
    last_write: Option<i64>,
    granularity: i64,
    window: i64,
    /// The sum of every bucket in the ring.
    window_total: f64,
}

impl TimedFloat64Buckets {
    /// `NewTimedFloat64Buckets`: `ceil(window / granularity)` buckets.
    pub(crate) fn new(window: SimDuration, granularity: SimDuration) -> Self {
        let granularity = granularity.0.max(1) as i64;
        let window = window.0 as i64;
        let n = ((window + granularity - 1) / granularity).max(1) as usize;
        TimedFloat64Buckets {
            buckets: vec![0.0; n],
            first_write: None,
            last_write: None,
            granularity,
            window,
            window_total: 0.0,
        }
    }

    fn truncate(&self, t: SimTime) -> i64 {
        let t = t.0 as i64;
        t - t % self.granularity
    }

    /// `timeToIndex`: Go divides Unix seconds by the granularity in seconds; with 1s
    /// buckets that is the same as dividing milliseconds by the granularity.
    fn time_to_index(&self, t: i64) -> i64 {
        t / self.granularity
    }

    fn slot(&self, idx: i64) -> usize {
        idx.rem_euclid(self.buckets.len() as i64) as usize
    }

    /// `IsEmpty`: nothing recorded for longer than the window.
    pub(crate) fn is_empty(&self, now: SimTime) -> bool {
        let now = self.truncate(now);
        match self.last_write {
            None => true,
            Some(lw) => now - lw > self.window,
        }
    }

    /// `Record`: adds `value` to the bucket of `now`. Buckets skipped since the last write
    /// are zeroed (a gap is zero load), a whole window without writes starts the ring
    /// over, and a value older than a window before the newest write is dropped.
    pub(crate) fn record(&mut self, now: SimTime, value: f64) {
        let bucket_time = self.truncate(now);
        let write_idx = self.time_to_index(now.0 as i64);
        if self.last_write != Some(bucket_time) {
            match self.last_write {
                Some(lw) if bucket_time + self.window <= lw => return,
                Some(lw) => {
                    if self.first_write.is_none_or(|fw| fw > bucket_time) {
                        self.first_write = Some(bucket_time);
                    }
                    if bucket_time > lw {
                        if bucket_time - lw >= self.window {
                            self.reset(bucket_time);
                        } else {
                            for i in self.time_to_index(lw) + 1..=write_idx {
                                let s = self.slot(i);
                                self.window_total -= self.buckets[s];
                                self.buckets[s] = 0.0;
                            }
                        }
                        self.last_write = Some(bucket_time);
                    }
                }
                None => {
                    self.reset(bucket_time);
                    self.last_write = Some(bucket_time);
                }
            }
        }
        let s = self.slot(write_idx);
        self.buckets[s] += value;
        self.window_total += value;
    }

    fn reset(&mut self, first_write: i64) {
        self.first_write = Some(first_write);
        self.buckets.iter_mut().for_each(|b| *b = 0.0);
        self.window_total = 0.0;
    }

    /// The number of buckets from the first write to the last, both included.
    fn written_buckets(&self, lw: i64) -> i64 {
        (lw - self.first_write.unwrap_or(lw)) / self.granularity + 1
    }

    /// `WindowAverage` (linear): the mean over the buckets since the first write (a young
    /// window averages over what it has, not over zeros before it); when the newest data
    /// is older than `now`, the buckets that have scrolled out are dropped and the mean is
    /// over the rest; a window with nothing newer than a window ago averages 0. Gaps
    /// between writes count as zeros.
    pub(crate) fn window_average(&self, now: SimTime) -> f64 {
        let now = self.truncate(now);
        let Some(lw) = self.last_write else {
            return 0.0;
        };
        let len = self.buckets.len() as i64;
        let d = now - lw;
        if d <= 0 {
            let n = self.written_buckets(lw).min(len);
            round_to_n_digits(PRECISION, self.window_total / n as f64)
        } else if d < self.window {
            let (st, end) = (self.time_to_index(lw), self.time_to_index(now));
            let mut total = self.window_total;
            for i in st + 1..=end {
                total -= self.buckets[self.slot(i)];
            }
            let n = self.written_buckets(lw).min(len - (end - st));
            round_to_n_digits(PRECISION, total / n as f64)
        } else {
            0.0
        }
    }
}

/// `computeSmoothingCoeff`: the decay that makes `nb` buckets' weights sum to
/// `WEIGHT_PRECISION`, but never below `MIN_EXPONENT`.
fn compute_smoothing_coeff(nb: f64) -> f64 {
    (1.0 - (1.0 - WEIGHT_PRECISION).powf(1.0 / nb)).max(MIN_EXPONENT)
}

/// `WeightedFloat64Buckets`: the same ring, averaged with exponentially decaying weights,
/// newest first.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WeightedFloat64Buckets {
    inner: TimedFloat64Buckets,
    smoothing_coeff: f64,
}

impl WeightedFloat64Buckets {
    pub(crate) fn new(window: SimDuration, granularity: SimDuration) -> Self {
        let inner = TimedFloat64Buckets::new(window, granularity);
        let smoothing_coeff = compute_smoothing_coeff(inner.buckets.len() as f64);
        WeightedFloat64Buckets { inner, smoothing_coeff }
    }

    pub(crate) fn record(&mut self, now: SimTime, value: f64) {
        self.inner.record(now, value);
    }

    pub(crate) fn is_empty(&self, now: SimTime) -> bool {
        self.inner.is_empty(now)
    }

    /// `WeightedFloat64Buckets.WindowAverage`: Σ bucket × c(1−c)^age, age in buckets from
    /// `now`; the buckets between the last write and `now` are zeros that only shift the
    /// weights.
    pub(crate) fn window_average(&self, now: SimTime) -> f64 {
        if self.is_empty(now) {
            return 0.0;
        }
        let b = &self.inner;
        let now = b.truncate(now);
        let lw = b.last_write.unwrap_or(now);
        let total = b.buckets.len() as i64;
        let mut n = total;
        let mut multiplier = self.smoothing_coeff;
        if now > lw {
            let zeros = (now - lw) / b.granularity;
            multiplier *= (1.0 - self.smoothing_coeff).powi(zeros as i32);
            n -= zeros;
        }
        let start = b.time_to_index(lw);
        let mut ret = 0.0;
        for i in 0..n.max(0) {
            ret += b.buckets[b.slot(start - i)] * multiplier;
            multiplier *= 1.0 - self.smoothing_coeff;
        }
        ret
    }
}

/// `autoscaling.knative.dev/metric-aggregation-algorithm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum AggregationAlgorithm {
    /// `linear`.
    #[default]
    Linear,
    /// `weightedExponential` (also spelled `weighted-exponential`).
    WeightedExponential,
}

/// The collector's `windowAverager`: one of the two bucket kinds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum WindowAverager {
    Linear(TimedFloat64Buckets),
    Weighted(WeightedFloat64Buckets),
}

impl WindowAverager {
    pub(crate) fn new(algorithm: AggregationAlgorithm, window: SimDuration) -> Self {
        match algorithm {
            AggregationAlgorithm::Linear => WindowAverager::Linear(TimedFloat64Buckets::new(window, BUCKET_SIZE)),
            AggregationAlgorithm::WeightedExponential => {
                WindowAverager::Weighted(WeightedFloat64Buckets::new(window, BUCKET_SIZE))
            }
        }
    }
    pub(crate) fn record(&mut self, now: SimTime, value: f64) {
        match self {
            WindowAverager::Linear(b) => b.record(now, value),
            WindowAverager::Weighted(b) => b.record(now, value),
        }
    }
    pub(crate) fn is_empty(&self, now: SimTime) -> bool {
        match self {
            WindowAverager::Linear(b) => b.is_empty(now),
            WindowAverager::Weighted(b) => b.is_empty(now),
        }
    }
    pub(crate) fn window_average(&self, now: SimTime) -> f64 {
        match self {
            WindowAverager::Linear(b) => b.window_average(now),
            WindowAverager::Weighted(b) => b.window_average(now),
        }
    }
}

/// A revision's `collection` for one scaling metric: every stat goes into both windows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MetricWindows {
    pub stable: WindowAverager,
    pub panic: WindowAverager,
}

impl MetricWindows {
    pub(crate) fn new(algorithm: AggregationAlgorithm, stable_window: SimDuration, panic_window: SimDuration) -> Self {
        MetricWindows {
            stable: WindowAverager::new(algorithm, stable_window),
            panic: WindowAverager::new(algorithm, panic_window),
        }
    }

    /// Records one stat (the revision-wide value the scraper or an activator reported).
    pub(crate) fn record(&mut self, now: SimTime, value: f64) {
        self.stable.record(now, value);
        self.panic.record(now, value);
    }

    /// `StableAndPanicConcurrency` / `StableAndPanicRPS`: the two averages, or `None`
    /// (`ErrNoData`) when nothing was recorded within the stable window, in which case
    /// `Scale` makes no decision.
    pub(crate) fn stable_and_panic(&self, now: SimTime) -> Option<(f64, f64)> {
        if self.stable.is_empty(now) {
            return None;
        }
        Some((self.stable.window_average(now), self.panic.window_average(now)))
    }
}

#[cfg(test)]
mod tests {
    //! Cases after `bucketing_test.go` (`TestTimedFloat64BucketsSimple`,
    //! `TestTimedFloat64BucketsWindowAverage`, `TestWeightedFloat64Buckets`), worked by
    //! hand from the Go arithmetic.
    use super::*;

    fn s(secs: u64) -> SimTime {
        SimTime(secs * 1000)
    }

    #[test]
    fn linear_average_over_partial_window_and_gaps() {
        struct Case {
            name: &'static str,
            records: &'static [(u64, f64)],
            now_ms: u64,
            want: f64,
        }
        let cases = [
            Case {
                name: "empty",
                records: &[],
                now_ms: 5_000,
                want: 0.0,
            },
            // Two writes in one second add up in one bucket; one bucket written.
            Case {
                name: "same bucket sums",
                records: &[(1_000, 1.0), (1_500, 2.0)],
                now_ms: 1_900,
                want: 3.0,
            },
            // 3 buckets from first to last write: (1 + 0 + 5) / 3.
            Case {
                name: "gap counts as zero",
                records: &[(0, 1.0), (2_000, 5.0)],
                now_ms: 2_000,
                want: 2.0,
            },
            // Young window: mean over the 2 written buckets, not over all 10.
            Case {
                name: "young window",
                records: &[(0, 4.0), (1_000, 6.0)],
                now_ms: 1_000,
                want: 5.0,
            },
            // Last write at 4s, now 6s: the empty buckets 5 and 6 are dropped, the ring is 10
            // long so none of the written ones has scrolled out; the mean is over those 5.
            Case {
                name: "recent past keeps written buckets",
                records: &[(0, 1.0), (1_000, 1.0), (2_000, 1.0), (3_000, 1.0), (4_000, 1.0)],
                now_ms: 6_000,
                want: 1.0,
            },
            // Data 10s old in a 10s window: nothing left.
            Case {
                name: "stale window",
                records: &[(0, 7.0)],
                now_ms: 10_000,
                want: 0.0,
            },
            // 1/3 floored to six digits.
            Case {
                name: "six digits floored",
                records: &[(0, 1.0), (2_000, 0.0)],
                now_ms: 2_000,
                want: 0.333333,
            },
        ];
        for c in cases {
            let mut b = TimedFloat64Buckets::new(SimDuration::from_secs(10), BUCKET_SIZE);
            for &(t, v) in c.records {
                b.record(SimTime(t), v);
            }
            assert_eq!(b.window_average(SimTime(c.now_ms)), c.want, "{}", c.name);
        }
    }

    #[test]
    fn linear_full_window_scrolls_out_old_buckets() {
        // 60 one-second buckets; 1.0 in seconds 0..=9, nothing after.
        let mut b = TimedFloat64Buckets::new(SimDuration::from_secs(60), BUCKET_SIZE);
        for t in 0..10 {
            b.record(s(t), 1.0);
        }
        assert_eq!(b.window_average(s(9)), 1.0);
        // 59s after the last write, the buckets of seconds 0..=8 have scrolled out (their
        // slots are those of 60..=68); one valid bucket remains: second 9.
        assert_eq!(b.window_average(s(68)), 1.0);
        // A whole stable window after the last traffic: no data in the window.
        assert_eq!(b.window_average(s(69)), 0.0);
        assert!(!b.is_empty(s(69)));
        assert!(b.is_empty(s(70)));
    }

    #[test]
    fn linear_zeros_recorded_after_traffic_average_it_out() {
        let mut b = TimedFloat64Buckets::new(SimDuration::from_secs(60), BUCKET_SIZE);
        b.record(s(0), 60.0);
        for t in 1..=59 {
            b.record(s(t), 0.0);
        }
        assert_eq!(b.window_average(s(59)), 1.0);
        // Second 60 writes slot 0 and clears the traffic.
        b.record(s(60), 0.0);
        assert_eq!(b.window_average(s(60)), 0.0);
    }

    #[test]
    fn late_and_too_old_records() {
        let mut b = TimedFloat64Buckets::new(SimDuration::from_secs(10), BUCKET_SIZE);
        b.record(s(20), 10.0);
        // Within a window before the last write: counted, and first_write moves back.
        b.record(s(15), 2.0);
        assert_eq!(b.window_average(s(20)), 2.0); // 12 over seconds 15..=20
                                                  // A window or more before it: dropped.
        b.record(s(10), 100.0);
        assert_eq!(b.window_average(s(20)), 2.0);
        // A write a whole window after the last one starts over.
        b.record(s(30), 3.0);
        assert_eq!(b.window_average(s(30)), 3.0);
    }

    #[test]
    fn weighted_average_favours_recent_buckets() {
        // 4 buckets: c = max(1 - 0.0001^(1/4), 0.2) = 0.9.
        let mut b = WeightedFloat64Buckets::new(SimDuration::from_secs(4), BUCKET_SIZE);
        assert!((b.smoothing_coeff - 0.9).abs() < 1e-12);
        for (t, v) in [(0, 10.0), (1, 10.0), (2, 5.0), (3, 5.0)] {
            b.record(s(t), v);
        }
        // 5·0.9 + 5·0.09 + 10·0.009 + 10·0.0009 = 5.049
        assert!((b.window_average(s(3)) - 5.049).abs() < 1e-9);
        // One second later the newest bucket is a zero: 5·0.09 + 5·0.009 + 10·0.0009.
        assert!((b.window_average(s(4)) - 0.504).abs() < 1e-9);
        // A long window falls back on the minimum exponent.
        assert_eq!(compute_smoothing_coeff(3600.0), MIN_EXPONENT);
    }

    #[test]
    fn metric_windows_no_data_and_panic_reacts_first() {
        let mut w = MetricWindows::new(
            AggregationAlgorithm::Linear,
            SimDuration::from_secs(60),
            SimDuration::from_secs(6),
        );
        assert_eq!(w.stable_and_panic(s(0)), None);
        for t in 0..60 {
            w.record(s(t), if t < 54 { 10.0 } else { 100.0 });
        }
        // Stable: (54·10 + 6·100) / 60 = 19; panic: the last 6 seconds, all 100.
        assert_eq!(w.stable_and_panic(s(59)), Some((19.0, 100.0)));
        assert_eq!(w.stable_and_panic(s(200)), None);
    }
}
