//! The time-series store: what Prometheus' TSDB head block does for float samples, reduced
//! to what a simulated scrape loop and instant queries need.
//!
//! A series is a metric name and a label set (sorted by label name; an empty value is the
//! same as no label, as in Prometheus). Series are interned: an append finds its series
//! through a hash of the name and labels without allocating, and each metric name keeps
//! its series in creation order, which is the order every query answers in. No hash map's
//! iteration order reaches a result.
//!
//! Staleness: when a target disappears, the scrape loop writes a staleness marker (the
//! special NaN Prometheus writes, `value.StaleNaN`) into each of its series; an instant
//! lookup that finds the marker as the newest sample returns nothing, so a gone pod stops
//! counting at once instead of for the 5-minute lookback delta.
//!
//! Retention: samples older than the retention (15 min by default) before the newest
//! appended sample are dropped as appends arrive, and a series left with no samples, or
//! only staleness markers, is removed. A query must not ask further back than that: a
//! range longer than the retention sees only what is retained.

use std::borrow::Cow;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::{Hash, Hasher};

use thiserror::Error;

use crate::units::{SimDuration, SimTime};

/// A label set, sorted by label name, each name once.
pub(crate) type Labels = Vec<(String, String)>;

/// The label that holds a sample's metric name in query results.
pub(crate) const METRIC_NAME_LABEL: &str = "__name__";

/// How far back an instant selector looks for a sample (Prometheus'
/// `--query.lookback-delta`, default 5m).
pub(crate) const LOOKBACK_DELTA: SimDuration = SimDuration(5 * 60 * 1000);

/// How long samples are kept by default: three times the lookback delta, enough for a
/// `rate(x[10m])` and well short of Prometheus' 15 days, since only the autoscalers read
/// the store and they look minutes back.
pub(crate) const DEFAULT_RETENTION: SimDuration = SimDuration(15 * 60 * 1000);

/// Prometheus' staleness marker (`value.StaleNaN`, a NaN with a payload no arithmetic
/// produces). Only `mark_stale*` writes it: `append` turns every NaN into the ordinary one.
const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

#[derive(Debug, Clone, Copy)]
struct Sample {
    /// Simulated milliseconds.
    t: u64,
    v: f64,
}

impl Sample {
    fn is_stale(&self) -> bool {
        self.v.to_bits() == STALE_NAN_BITS
    }
}

/// A series' identity in the store; ids grow with creation, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct SeriesId(u64);

/// One time series: its identity and its retained samples in time order.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    id: SeriesId,
    name: String,
    labels: Labels,
    samples: VecDeque<Sample>,
}

impl Series {
    pub(crate) fn id(&self) -> SeriesId {
        self.id
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The labels without the metric name.
    pub(crate) fn labels(&self) -> &[(String, String)] {
        &self.labels
    }

    /// A label's value, `""` when the series has no such label: label matchers see an
    /// absent label as the empty string.
    pub(crate) fn label(&self, name: &str) -> &str {
        label_value(&self.labels, name).unwrap_or("")
    }

    /// The labels with `__name__` in its sorted place, as a query result carries them.
    pub(crate) fn labels_with_name(&self) -> Labels {
        let mut out = Labels::with_capacity(self.labels.len() + 1);
        let at = self.labels.partition_point(|(k, _)| k.as_str() < METRIC_NAME_LABEL);
        out.extend_from_slice(&self.labels[..at]);
        out.push((METRIC_NAME_LABEL.to_string(), self.name.clone()));
        out.extend_from_slice(&self.labels[at..]);
        out
    }

    /// Prometheus' instant lookup (`vectorSelectorSingle`): the newest sample at or before
    /// `at` and newer than `at - lookback`, unless it is a staleness marker.
    pub(crate) fn instant(&self, at: SimTime, lookback: SimDuration) -> Option<f64> {
        let end = self.samples.partition_point(|s| s.t <= at.0);
        let newest = self.samples.get(end.checked_sub(1)?)?;
        if newest.t.saturating_add(lookback.0) <= at.0 || newest.is_stale() {
            return None;
        }
        Some(newest.v)
    }

    /// The samples of a range selector `[range]` evaluated at `at`: those in the left-open
    /// window `(at - range, at]` (Prometheus 3), staleness markers left out.
    pub(crate) fn range(&self, at: SimTime, range: SimDuration) -> impl Iterator<Item = (SimTime, f64)> + '_ {
        let start = self.samples.partition_point(|s| s.t.saturating_add(range.0) <= at.0);
        let end = self.samples.partition_point(|s| s.t <= at.0).max(start);
        self.samples
            .range(start..end)
            .filter(|s| !s.is_stale())
            .map(|s| (SimTime(s.t), s.v))
    }

    /// The number of retained samples, staleness markers included.
    pub(crate) fn sample_count(&self) -> usize {
        self.samples.len()
    }

    /// Whether the newest sample is a staleness marker.
    pub(crate) fn is_stale(&self) -> bool {
        self.samples.back().is_some_and(Sample::is_stale)
    }

    fn drop_before(&mut self, cutoff: u64) {
        while self.samples.front().is_some_and(|s| s.t < cutoff) {
            self.samples.pop_front();
        }
    }

    /// Nothing a query could read: no samples, or only staleness markers.
    fn is_dead(&self) -> bool {
        self.samples.iter().all(Sample::is_stale)
    }

    fn same_labels(&self, labels: &[(&str, &str)]) -> bool {
        self.labels.len() == labels.len()
            && self
                .labels
                .iter()
                .zip(labels)
                .all(|((k, v), (k2, v2))| k == k2 && v == v2)
    }

    /// Adds a sample after the newest one; the same value again at the same time is
    /// accepted and ignored, as Prometheus' appender does for a repeated scrape.
    fn push(&mut self, t: u64, v: f64) -> Result<(), AppendError> {
        if let Some(last) = self.samples.back() {
            if t < last.t {
                return Err(AppendError::OutOfOrder {
                    series: self.describe(),
                    t: SimTime(t),
                    newest: SimTime(last.t),
                });
            }
            if t == last.t {
                if last.v.to_bits() == v.to_bits() {
                    return Ok(());
                }
                return Err(AppendError::DuplicateTimestamp {
                    series: self.describe(),
                    t: SimTime(t),
                });
            }
        }
        self.samples.push_back(Sample { t, v });
        Ok(())
    }

    fn describe(&self) -> String {
        let labels: Vec<String> = self.labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
        format!("{}{{{}}}", self.name, labels.join(", "))
    }
}

/// A label's value in a sorted label set.
pub(crate) fn label_value<'a>(labels: &'a [(String, String)], name: &str) -> Option<&'a str> {
    labels
        .binary_search_by(|(k, _)| k.as_str().cmp(name))
        .ok()
        .map(|i| labels[i].1.as_str())
}

/// Why a sample was not stored.
#[derive(Debug, Clone, Error, PartialEq)]
pub(crate) enum AppendError {
    #[error("a sample needs a metric name")]
    EmptyName,
    #[error("label `{0}` is given twice; a series has each label once")]
    DuplicateLabel(String),
    #[error("`__name__` is the metric name, not a label; pass the name as the metric name")]
    NameAsLabel,
    #[error(
        "sample of {series} at {t} is older than its newest sample at {newest}; a series takes samples in time order"
    )]
    OutOfOrder {
        series: String,
        t: SimTime,
        newest: SimTime,
    },
    #[error("{series} already has a different sample at {t}")]
    DuplicateTimestamp { series: String, t: SimTime },
}

/// The store. See the module doc.
#[derive(Debug, Clone)]
pub(crate) struct Tsdb {
    retention: SimDuration,
    series: HashMap<SeriesId, Series>,
    /// Lookup only: a hash of name and labels to the series that have it (collisions are
    /// told apart by comparing).
    by_hash: HashMap<u64, Vec<SeriesId>>,
    /// Each metric name's series in creation order: the order queries answer in.
    by_name: BTreeMap<String, Vec<SeriesId>>,
    next_id: u64,
    /// The newest time appended to any series: retention counts back from it.
    newest: u64,
    next_sweep: u64,
}

impl Default for Tsdb {
    fn default() -> Self {
        Tsdb::with_retention(DEFAULT_RETENTION)
    }
}

impl Tsdb {
    pub(crate) fn new() -> Self {
        Tsdb::default()
    }

    /// A store keeping `retention` of samples, at least the lookback delta: less would make
    /// instant queries miss samples Prometheus would find.
    pub(crate) fn with_retention(retention: SimDuration) -> Self {
        Tsdb {
            retention: retention.max(LOOKBACK_DELTA),
            series: HashMap::new(),
            by_hash: HashMap::new(),
            by_name: BTreeMap::new(),
            next_id: 0,
            newest: 0,
            next_sweep: 0,
        }
    }

    pub(crate) fn retention(&self) -> SimDuration {
        self.retention
    }

    /// Stores a sample of the series `name{labels}` (labels in any order; an empty value is
    /// no label), creating the series on its first sample. NaN is stored as an ordinary
    /// NaN, never as a staleness marker.
    pub(crate) fn append(
        &mut self,
        name: &str,
        labels: &[(&str, &str)],
        t: SimTime,
        value: f64,
    ) -> Result<(), AppendError> {
        let labels = normalize(name, labels)?;
        let value = if value.is_nan() { f64::NAN } else { value };
        let id = match self.find(name, &labels) {
            Some(id) => id,
            None => self.create(name, &labels),
        };
        let cutoff = t.0.saturating_sub(self.retention.0);
        if let Some(series) = self.series.get_mut(&id) {
            series.push(t.0, value)?;
            series.drop_before(cutoff);
        }
        self.advance(t.0);
        Ok(())
    }

    /// Writes a staleness marker into `name{labels}` at `t`, as Prometheus' scrape loop
    /// does for each series of a target that went away. Returns whether a marker was
    /// written: not for an unknown series, nor one already stale. Like a sample, the
    /// marker must come after the series' newest sample.
    pub(crate) fn mark_stale(&mut self, name: &str, labels: &[(&str, &str)], t: SimTime) -> Result<bool, AppendError> {
        let labels = normalize(name, labels)?;
        let Some(id) = self.find(name, &labels) else {
            return Ok(false);
        };
        let Some(series) = self.series.get_mut(&id) else {
            return Ok(false);
        };
        if series.is_stale() {
            return Ok(false);
        }
        series.push(t.0, f64::from_bits(STALE_NAN_BITS))?;
        self.advance(t.0);
        Ok(true)
    }

    /// Marks stale, at `t`, every series `pick` chooses (e.g. all series with
    /// `pod="x"`), skipping those already stale or with a sample at or after `t`
    /// (scraped at `t`, they are not gone). Returns how many were marked.
    pub(crate) fn mark_stale_where(&mut self, t: SimTime, mut pick: impl FnMut(&Series) -> bool) -> usize {
        let mut marked = 0;
        for ids in self.by_name.values() {
            for id in ids {
                let Some(series) = self.series.get_mut(id) else {
                    continue;
                };
                let fresh = series.samples.back().is_some_and(|s| s.t >= t.0);
                if series.is_stale() || fresh || !pick(series) {
                    continue;
                }
                if series.push(t.0, f64::from_bits(STALE_NAN_BITS)).is_ok() {
                    marked += 1;
                }
            }
        }
        self.advance(t.0);
        marked
    }

    /// The series named `name`, in creation order.
    pub(crate) fn series_named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Series> + 'a {
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|id| self.series.get(id))
    }

    pub(crate) fn series_count(&self) -> usize {
        self.series.len()
    }

    /// Retained samples over all series, staleness markers included.
    pub(crate) fn sample_count(&self) -> usize {
        self.series.values().map(Series::sample_count).sum()
    }

    /// The newest time anything was appended at.
    pub(crate) fn newest(&self) -> SimTime {
        SimTime(self.newest)
    }

    fn find(&self, name: &str, labels: &[(&str, &str)]) -> Option<SeriesId> {
        let ids = self.by_hash.get(&series_hash(name, labels))?;
        ids.iter().copied().find(|id| {
            self.series
                .get(id)
                .is_some_and(|s| s.name == name && s.same_labels(labels))
        })
    }

    fn create(&mut self, name: &str, labels: &[(&str, &str)]) -> SeriesId {
        let id = SeriesId(self.next_id);
        self.next_id += 1;
        let series = Series {
            id,
            name: name.to_string(),
            labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            samples: VecDeque::new(),
        };
        self.series.insert(id, series);
        self.by_hash.entry(series_hash(name, labels)).or_default().push(id);
        match self.by_name.get_mut(name) {
            Some(ids) => ids.push(id),
            None => {
                self.by_name.insert(name.to_string(), vec![id]);
            }
        }
        id
    }

    /// Moves the store's clock and, every quarter of the retention, drops old samples and
    /// dead series everywhere: series no longer scraped are trimmed only here.
    fn advance(&mut self, t: u64) {
        self.newest = self.newest.max(t);
        if self.newest < self.next_sweep {
            return;
        }
        self.sweep();
        self.next_sweep = self.newest.saturating_add((self.retention.0 / 4).max(1));
    }

    fn sweep(&mut self) {
        let cutoff = self.newest.saturating_sub(self.retention.0);
        let mut dead = Vec::new();
        for ids in self.by_name.values_mut() {
            ids.retain(|id| {
                let Some(series) = self.series.get_mut(id) else {
                    return false;
                };
                series.drop_before(cutoff);
                if series.is_dead() {
                    dead.push(*id);
                    return false;
                }
                true
            });
        }
        self.by_name.retain(|_, ids| !ids.is_empty());
        for id in dead {
            self.remove(id);
        }
    }

    fn remove(&mut self, id: SeriesId) {
        let Some(series) = self.series.remove(&id) else { return };
        let labels: Vec<(&str, &str)> = series.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let hash = series_hash(&series.name, &labels);
        if let Some(ids) = self.by_hash.get_mut(&hash) {
            ids.retain(|other| *other != id);
            if ids.is_empty() {
                self.by_hash.remove(&hash);
            }
        }
    }
}

/// The labels sorted by name with empty values dropped; borrowed as given when they
/// already are (the scraper's usual case), so an append allocates nothing.
fn normalize<'a>(name: &str, labels: &'a [(&'a str, &'a str)]) -> Result<Cow<'a, [(&'a str, &'a str)]>, AppendError> {
    if name.is_empty() {
        return Err(AppendError::EmptyName);
    }
    if labels.iter().any(|(k, _)| *k == METRIC_NAME_LABEL) {
        return Err(AppendError::NameAsLabel);
    }
    let clean = labels.iter().all(|(_, v)| !v.is_empty()) && labels.windows(2).all(|w| w[0].0 < w[1].0);
    if clean {
        return Ok(Cow::Borrowed(labels));
    }
    let mut sorted: Vec<(&str, &str)> = labels.iter().copied().filter(|(_, v)| !v.is_empty()).collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    if let Some(w) = sorted.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(AppendError::DuplicateLabel(w[0].0.to_string()));
    }
    Ok(Cow::Owned(sorted))
}

/// A fixed-key hash of a series' identity; only ever used to look a series up.
fn series_hash(name: &str, labels: &[(&str, &str)]) -> u64 {
    let mut h = DefaultHasher::new();
    name.hash(&mut h);
    for (k, v) in labels {
        k.hash(&mut h);
        v.hash(&mut h);
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1000;
    const MIN: u64 = 60 * S;

    fn at(ms: u64) -> SimTime {
        SimTime(ms)
    }

    fn only(db: &Tsdb, name: &str) -> Vec<Option<f64>> {
        db.series_named(name)
            .map(|s| s.instant(db.newest(), LOOKBACK_DELTA))
            .collect()
    }

    #[test]
    fn series_are_interned_whatever_the_label_order() {
        let mut db = Tsdb::new();
        db.append("up", &[("pod", "a"), ("job", "vllm")], at(0), 1.0).unwrap();
        db.append("up", &[("job", "vllm"), ("pod", "a")], at(15 * S), 2.0)
            .unwrap();
        // An empty value is no label: the same series as without it.
        db.append("up", &[("job", "vllm"), ("pod", "a"), ("zone", "")], at(30 * S), 3.0)
            .unwrap();
        db.append("up", &[("job", "vllm"), ("pod", "b")], at(30 * S), 4.0)
            .unwrap();
        assert_eq!(db.series_count(), 2);
        let first = db.series_named("up").next().unwrap();
        assert_eq!(
            first.labels(),
            &[
                ("job".to_string(), "vllm".to_string()),
                ("pod".to_string(), "a".to_string())
            ]
        );
        assert_eq!(first.sample_count(), 3);
        assert_eq!(first.label("zone"), "");
        assert_eq!(
            first.labels_with_name(),
            vec![
                ("__name__".to_string(), "up".to_string()),
                ("job".to_string(), "vllm".to_string()),
                ("pod".to_string(), "a".to_string())
            ]
        );
        // Creation order, not hash order.
        let pods: Vec<&str> = db.series_named("up").map(|s| s.label("pod")).collect();
        assert_eq!(pods, ["a", "b"]);
    }

    #[test]
    fn bad_appends_are_refused() {
        let mut db = Tsdb::new();
        db.append("x", &[], at(10 * S), 1.0).unwrap();
        // (name, labels, time, value, the error)
        type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, u64, f64, AppendError);
        let cases: Vec<Case> = vec![
            ("", vec![], 20 * S, 1.0, AppendError::EmptyName),
            (
                "x",
                vec![("a", "1"), ("a", "2")],
                20 * S,
                1.0,
                AppendError::DuplicateLabel("a".into()),
            ),
            ("x", vec![("__name__", "y")], 20 * S, 1.0, AppendError::NameAsLabel),
            (
                "x",
                vec![],
                5 * S,
                1.0,
                AppendError::OutOfOrder {
                    series: "x{}".into(),
                    t: at(5 * S),
                    newest: at(10 * S),
                },
            ),
            (
                "x",
                vec![],
                10 * S,
                2.0,
                AppendError::DuplicateTimestamp {
                    series: "x{}".into(),
                    t: at(10 * S),
                },
            ),
        ];
        for (name, labels, t, v, want) in cases {
            assert_eq!(db.append(name, &labels, at(t), v), Err(want.clone()), "{want}");
        }
        // The same sample again is a repeated scrape, not an error.
        assert_eq!(db.append("x", &[], at(10 * S), 1.0), Ok(()));
        assert_eq!(db.sample_count(), 1);
    }

    #[test]
    fn instant_lookups_follow_the_lookback_delta() {
        let mut db = Tsdb::new();
        db.append("g", &[], at(100 * S), 7.0).unwrap();
        db.append("g", &[], at(115 * S), 8.0).unwrap();
        let s = db.series_named("g").next().unwrap();
        // (query time, expected): before the first sample nothing; then the newest at or
        // before the time; 5 min after the last sample it is gone (the window is left-open).
        let cases = [
            (99 * S, None),
            (100 * S, Some(7.0)),
            (114 * S, Some(7.0)),
            (115 * S, Some(8.0)),
            (115 * S + 5 * MIN - 1, Some(8.0)),
            (115 * S + 5 * MIN, None),
        ];
        for (t, want) in cases {
            assert_eq!(s.instant(at(t), LOOKBACK_DELTA), want, "at {t}ms");
        }
    }

    #[test]
    fn a_staleness_marker_ends_the_series_at_once() {
        let mut db = Tsdb::new();
        db.append("g", &[("pod", "a")], at(0), 1.0).unwrap();
        db.append("g", &[("pod", "b")], at(0), 2.0).unwrap();
        db.append("g", &[("pod", "a")], at(15 * S), 3.0).unwrap();
        assert_eq!(db.mark_stale("g", &[("pod", "a")], at(30 * S)), Ok(true));
        // Already stale, or unknown: nothing written.
        assert_eq!(db.mark_stale("g", &[("pod", "a")], at(45 * S)), Ok(false));
        assert_eq!(db.mark_stale("g", &[("pod", "zz")], at(45 * S)), Ok(false));
        let a = db.series_named("g").next().unwrap();
        assert!(a.is_stale());
        assert_eq!(a.instant(at(29 * S), LOOKBACK_DELTA), Some(3.0));
        assert_eq!(a.instant(at(30 * S), LOOKBACK_DELTA), None);
        // A range still sees the samples before the marker, never the marker.
        let seen: Vec<f64> = a.range(at(31 * S), SimDuration(MIN)).map(|(_, v)| v).collect();
        assert_eq!(seen, [1.0, 3.0]);
        // A new sample revives the series (b, last scraped at 0 s, is within the lookback).
        db.append("g", &[("pod", "a")], at(60 * S), 4.0).unwrap();
        assert_eq!(only(&db, "g"), [Some(4.0), Some(2.0)]);
    }

    #[test]
    fn mark_stale_where_picks_a_targets_series() {
        let mut db = Tsdb::new();
        for (name, pod) in [("a", "p1"), ("b", "p1"), ("a", "p2")] {
            db.append(name, &[("pod", pod)], at(0), 1.0).unwrap();
        }
        db.append("b", &[("pod", "p1")], at(20 * S), 1.0).unwrap();
        // b{pod="p1"} has a sample at 20s: it was scraped then, so it is not marked.
        let n = db.mark_stale_where(at(20 * S), |s| s.label("pod") == "p1");
        assert_eq!(n, 1);
        assert_eq!(only(&db, "a"), [None, Some(1.0)]);
        assert_eq!(only(&db, "b"), [Some(1.0)]);
    }

    #[test]
    fn range_windows_are_left_open() {
        let mut db = Tsdb::new();
        for i in 0..5 {
            db.append("c", &[], at(i * 15 * S), i as f64).unwrap();
        }
        let s = db.series_named("c").next().unwrap();
        // (at, range, expected values): (at - range, at].
        let cases: [(u64, u64, &[f64]); 4] = [
            (60 * S, 60 * S, &[1.0, 2.0, 3.0, 4.0]),
            (60 * S, 45 * S, &[2.0, 3.0, 4.0]),
            (59 * S, 45 * S, &[1.0, 2.0, 3.0]),
            (10 * S, 5 * S, &[]),
        ];
        for (t, r, want) in cases {
            let got: Vec<f64> = s.range(at(t), SimDuration(r)).map(|(_, v)| v).collect();
            assert_eq!(got, want, "at {t} range {r}");
        }
    }

    #[test]
    fn retention_bounds_memory_over_a_day() {
        // 10 pods x 30 series every 15 s for 24 h, and every hour the pods are replaced
        // (new pod names, the old ones marked stale), as an autoscaled deployment churns.
        let mut db = Tsdb::new();
        let names: Vec<String> = (0..30).map(|i| format!("vllm:metric_{i}")).collect();
        let mut peak_samples = 0;
        let mut peak_series = 0;
        for step in 0..(24 * 3600 / 15) {
            let t = at(step * 15 * S);
            let generation = step / 240;
            if step % 240 == 0 && generation > 0 {
                let old = format!("g{}-", generation - 1);
                db.mark_stale_where(t, |s| s.label("pod").starts_with(&old));
            }
            for pod in 0..10 {
                let pod = format!("g{generation}-{pod}");
                for name in &names {
                    db.append(name, &[("pod", &pod)], t, step as f64).unwrap();
                }
            }
            peak_samples = peak_samples.max(db.sample_count());
            peak_series = peak_series.max(db.series_count());
        }
        // At most 15 min of samples (61 per series, plus a marker) for at most two
        // generations of pods, with the sweep lagging by a quarter of the retention.
        assert!(peak_series <= 2 * 300, "peak series {peak_series}");
        assert!(peak_samples <= 300 * 62 + 300 * 20, "peak samples {peak_samples}");
        assert_eq!(db.series_count(), 300);
        assert!(db
            .series_named("vllm:metric_0")
            .all(|s| s.label("pod").starts_with("g23-")));
        let s = db.series_named("vllm:metric_0").next().unwrap();
        assert_eq!(s.sample_count(), 61);
    }

    #[test]
    fn nan_values_are_not_staleness_markers() {
        let mut db = Tsdb::new();
        db.append("g", &[], at(0), f64::from_bits(STALE_NAN_BITS)).unwrap();
        let s = db.series_named("g").next().unwrap();
        assert!(!s.is_stale());
        assert!(s.instant(at(0), LOOKBACK_DELTA).is_some_and(f64::is_nan));
    }
}
