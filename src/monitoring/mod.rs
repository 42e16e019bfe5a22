//! A Prometheus-like monitoring stack in miniature: the time-series database the scraper
//! writes vLLM pods' metrics into, and the PromQL subset the autoscalers query it with.
//!
//! `tsdb`: series named by a metric name and a label set, float samples at simulated
//! milliseconds, Prometheus' staleness markers (a target that went away stops answering
//! instant queries at once instead of lingering for the lookback delta), the 5-minute
//! lookback of instant selectors, the left-open `(t - d, t]` windows of range selectors,
//! and a retention (15 min by default) that keeps a day-long run's memory bounded.
//!
//! `promql`: a parser with byte offsets in its errors and an evaluator of instant queries
//! over number literals, selectors with `=`, `!=`, `=~`, `!~` matchers, `rate`, `irate`,
//! `increase` (with `extrapolatedRate`'s extrapolation), `*_over_time`, `sum`, `avg`,
//! `max`, `min`, `count` with `by`/`without`, `histogram_quantile` over classic `_bucket`
//! series, `clamp_min`, `clamp_max`, `scalar`, `vector` and `+ - * /` between scalars and
//! vectors (vectors matched one to one on all labels). A query is parsed once and the
//! parsed `Expr` evaluated at each poll.
//!
//! Left out: native histograms, range queries (an autoscaler asks instant queries only),
//! `offset`, `@`, subqueries, comparison and set operators, `on`/`ignoring`/`group_*`
//! matching, and every function and aggregation not listed above; each is a parse error
//! naming the construct. There is no write-ahead log, no compaction and no out-of-order
//! ingestion: samples of a series must arrive in time order, as a scrape loop writes them.
// Parts of the store's API (series ids, counts, retention) serve only its tests and
// the lookups to come.
#![allow(dead_code)]

// Called only from tests for now: the scraper writes into the store and the autoscalers
// (KEDA's prometheus trigger, HPA external metrics) query it once they are wired in.

pub(crate) mod promql;
pub(crate) mod tsdb;
