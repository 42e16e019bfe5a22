//! `gpuaas-sim compare BASE.json NEW.json`: what moved between two runs' report.json files
//! (admission times, latency percentiles, failures, utilization, cost, expectations), and
//! which of those moves are regressions under the given tolerances.

use super::model::{LatencySummary, ModelReport, Report, WorkloadRecord};
use crate::scenario::printers::table;
use std::collections::BTreeMap;

/// How far a figure may move the wrong way before it counts as a regression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerances {
    /// Latency percentiles: percent rise (and at least 1 ms, so that noise on tiny
    /// values is not a regression).
    pub latency_pct: f64,
    /// Total cost and cost per million output tokens: percent rise.
    pub cost_pct: f64,
    /// Workload admission: seconds later.
    pub admission_s: f64,
    /// An InferenceService's time without a ready replica: seconds more.
    pub downtime_s: f64,
    /// GPU allocated and busy fractions: drop in percentage points.
    pub utilization_points: f64,
    /// Share of requests failed: rise in percentage points.
    pub failure_points: f64,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances {
            latency_pct: 10.0,
            cost_pct: 5.0,
            admission_s: 60.0,
            downtime_s: 60.0,
            utilization_points: 5.0,
            failure_points: 1.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Same,
    Better,
    /// Moved the wrong way, within tolerance.
    Worse,
    Regression,
}

impl Verdict {
    fn as_str(self) -> &'static str {
        match self {
            Verdict::Same => "same",
            Verdict::Better => "better",
            Verdict::Worse => "worse (within tolerance)",
            Verdict::Regression => "REGRESSION",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub metric: String,
    pub base: String,
    pub new: String,
    pub change: String,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub rows: Vec<Row>,
}

impl Comparison {
    pub fn regressions(&self) -> usize {
        self.rows.iter().filter(|r| r.verdict == Verdict::Regression).count()
    }

    /// The table of rows that moved (all rows with `all`), then a one-line verdict.
    pub fn render(&self, all: bool) -> String {
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .filter(|r| all || r.verdict != Verdict::Same)
            .map(|r| {
                vec![
                    r.metric.clone(),
                    r.base.clone(),
                    r.new.clone(),
                    r.change.clone(),
                    r.verdict.as_str().to_string(),
                ]
            })
            .collect();
        let mut o = if rows.is_empty() {
            "Nothing moved.\n".to_string()
        } else {
            table(&["METRIC", "BASE", "NEW", "CHANGE", "VERDICT"], &rows)
        };
        let n = self.regressions();
        o.push_str(&match n {
            0 => format!("\nNo regression ({} figures compared).\n", self.rows.len()),
            n => format!("\n{n} regression(s) ({} figures compared).\n", self.rows.len()),
        });
        o
    }
}

/// Which direction is good for a figure.
#[derive(Clone, Copy)]
enum Good {
    Lower,
    Higher,
}

fn fmt(v: Option<f64>, unit: &str) -> String {
    match v {
        None => "-".into(),
        Some(x) if unit == "$" => format!("${x:.2}"),
        Some(x) if unit == "%" => format!("{:.1}%", x * 100.0),
        Some(x) if x.fract() == 0.0 && x.abs() < 1e12 => format!("{x:.0}{unit}"),
        Some(x) if x.abs() >= 100.0 => format!("{x:.1}{unit}"),
        Some(x) => format!("{x:.3}{unit}"),
    }
}

struct Builder<'t> {
    tol: &'t Tolerances,
    rows: Vec<Row>,
}

impl Builder<'_> {
    /// Adds one figure; `regressed(base, new)` says whether a wrong-way move is beyond
    /// tolerance.
    fn add(
        &mut self,
        metric: String,
        base: Option<f64>,
        new: Option<f64>,
        unit: &str,
        good: Good,
        regressed: impl Fn(f64, f64) -> bool,
    ) {
        let (verdict, change) = match (base, new) {
            (Some(b), Some(n)) if b == n => (Verdict::Same, String::new()),
            (Some(b), Some(n)) => {
                let worse = match good {
                    Good::Lower => n > b,
                    Good::Higher => n < b,
                };
                let verdict = match (worse, regressed(b, n)) {
                    (false, _) => Verdict::Better,
                    (true, false) => Verdict::Worse,
                    (true, true) => Verdict::Regression,
                };
                let d = n - b;
                let change = if unit == "%" {
                    format!("{:+.1} points", d * 100.0)
                } else if b != 0.0 {
                    format!("{:+.1}%", d / b.abs() * 100.0)
                } else {
                    format!("{d:+}")
                };
                (verdict, change)
            }
            (None, None) => return,
            (Some(_), None) => (Verdict::Regression, "gone".into()),
            (None, Some(_)) => (Verdict::Same, "new".into()),
        };
        self.rows.push(Row {
            metric,
            base: fmt(base, unit),
            new: fmt(new, unit),
            change,
            verdict,
        });
    }
}

/// Workloads keyed by namespace, owner and their order among the owner's workloads:
/// names carry generated suffixes that differ between what-if variants.
fn workloads(report: &Report) -> BTreeMap<(String, String, usize), &WorkloadRecord> {
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for w in &report.workloads {
        let key = (w.namespace.clone(), w.owner.clone());
        let i = seen.entry(key.clone()).or_default();
        *i += 1;
        out.insert((key.0, key.1, *i), w);
    }
    out
}

/// One latency of a model's, and one percentile of a latency.
type Latency = fn(&ModelReport) -> &LatencySummary;
type Quantile = fn(&LatencySummary) -> Option<f64>;

/// The latencies compared per model, and their percentiles.
const LATENCIES: [(&str, Latency); 4] = [
    ("TTFT", |m| &m.ttft_ms),
    ("TPOT", |m| &m.tpot_ms),
    ("E2E", |m| &m.e2e_ms),
    ("QUEUE", |m| &m.queue_ms),
];
const QUANTILES: [(&str, Quantile); 3] = [("p50", |s| s.p50), ("p95", |s| s.p95), ("p99", |s| s.p99)];

pub fn compare(base: &Report, new: &Report, tol: &Tolerances) -> Comparison {
    let mut b = Builder { tol, rows: Vec::new() };
    b.workloads(base, new);
    b.downtime(base, new);
    b.models(base, new);
    b.utilization(base, new);
    b.cost(base, new);
    b.expectations(base, new);
    Comparison { rows: b.rows }
}

/// The keys of both runs, sorted, each once.
fn union<K: Ord>(base: impl Iterator<Item = K>, new: impl Iterator<Item = K>) -> Vec<K> {
    let mut keys: Vec<K> = base.chain(new).collect();
    keys.sort();
    keys.dedup();
    keys
}

/// The figures compared, one method per part of the report, in the order they are shown.
impl Builder<'_> {
    fn workloads(&mut self, base: &Report, new: &Report) {
        let (wb, wn) = (workloads(base), workloads(new));
        for key in union(wb.keys().cloned(), wn.keys().cloned()) {
            let label = format!("workload {}/{} #{} admitted at", key.0, key.1, key.2);
            let at = |m: &BTreeMap<_, &WorkloadRecord>| m.get(&key).and_then(|w| w.admitted_s);
            let limit = self.tol.admission_s;
            match (wb.contains_key(&key), at(&wb), at(&wn)) {
                // Admitted before and not now: a regression however the tolerance is set.
                (true, Some(x), None) => self.rows.push(Row {
                    metric: label,
                    base: fmt(Some(x), " s"),
                    new: "not admitted".into(),
                    change: "never admitted".into(),
                    verdict: Verdict::Regression,
                }),
                (_, x, y) => self.add(label, x, y, " s", Good::Lower, move |x, y| y - x > limit),
            }
        }
    }

    fn downtime(&mut self, base: &Report, new: &Report) {
        let services = |r: &Report| -> BTreeMap<String, f64> {
            r.inference_services
                .iter()
                .map(|s| (format!("{}/{}", s.namespace, s.name), s.downtime_s))
                .collect()
        };
        let (sb, sn) = (services(base), services(new));
        for name in union(sb.keys(), sn.keys()) {
            let limit = self.tol.downtime_s;
            self.add(
                format!("{name} downtime"),
                sb.get(name).copied(),
                sn.get(name).copied(),
                " s",
                Good::Lower,
                move |x, y| y - x > limit,
            );
        }
    }

    fn models(&mut self, base: &Report, new: &Report) {
        let (mb, mn) = (&base.models, &new.models);
        for name in union(mb.keys(), mn.keys()) {
            self.model(name, mb.get(name), mn.get(name));
        }
    }

    /// One model's latency percentiles, failures, throughput and SLO attainment.
    fn model(&mut self, name: &str, x: Option<&ModelReport>, y: Option<&ModelReport>) {
        for (metric, summary) in LATENCIES {
            for (q, quantile) in QUANTILES {
                let limit = self.tol.latency_pct;
                self.add(
                    format!("{name} {metric} {q}"),
                    x.map(summary).and_then(quantile),
                    y.map(summary).and_then(quantile),
                    " ms",
                    Good::Lower,
                    move |x, y| y > x * (1.0 + limit / 100.0) && y - x > 1.0,
                );
            }
        }
        let failed_share = |m: &ModelReport| (m.requests > 0).then(|| m.failed as f64 / m.requests as f64);
        let limit = self.tol.failure_points / 100.0;
        self.add(
            format!("{name} requests failed"),
            x.and_then(failed_share),
            y.and_then(failed_share),
            "%",
            Good::Lower,
            move |x, y| y - x > limit,
        );
        self.add(
            format!("{name} output tokens/s"),
            x.map(|m| m.output_tokens_per_s),
            y.map(|m| m.output_tokens_per_s),
            "",
            Good::Higher,
            |_, _| false,
        );
        let attainment = |m: &ModelReport| m.slo.as_ref().and_then(|s| s.attainment);
        self.add(
            format!("{name} SLO attainment"),
            x.and_then(attainment),
            y.and_then(attainment),
            "%",
            Good::Higher,
            |_, _| false,
        );
    }

    fn utilization(&mut self, base: &Report, new: &Report) {
        let limit = self.tol.utilization_points / 100.0;
        self.add(
            "GPU allocated fraction".into(),
            Some(base.utilization.gpu_allocated_fraction),
            Some(new.utilization.gpu_allocated_fraction),
            "%",
            Good::Higher,
            move |x, y| x - y > limit,
        );
        self.add(
            "GPU busy fraction (of allocated)".into(),
            base.utilization.gpu_busy.as_ref().map(|b| b.busy_fraction),
            new.utilization.gpu_busy.as_ref().map(|b| b.busy_fraction),
            "%",
            Good::Higher,
            move |x, y| x - y > limit,
        );
    }

    fn cost(&mut self, base: &Report, new: &Report) {
        let limit = self.tol.cost_pct;
        type CostPick = fn(&Report) -> Option<f64>;
        let costs: [(&str, CostPick); 2] = [
            ("cost total", |r| Some(r.cost.total_usd)),
            ("cost per million output tokens", |r| {
                r.cost.usd_per_million_output_tokens
            }),
        ];
        for (label, pick) in costs {
            self.add(label.into(), pick(base), pick(new), "$", Good::Lower, move |x, y| {
                y > x * (1.0 + limit / 100.0)
            });
        }
        self.add(
            "idle GPU spend".into(),
            Some(base.cost.idle_usd),
            Some(new.cost.idle_usd),
            "$",
            Good::Lower,
            |_, _| false,
        );
    }

    fn expectations(&mut self, base: &Report, new: &Report) {
        // Expectations that passed (`true`) or failed (`false`); none when a report has none.
        let count = |r: &Report, passed: bool| -> Option<f64> {
            let e = Some(&r.expectations).filter(|e| !e.is_empty())?;
            Some(e.iter().filter(|x| x.passed == passed).count() as f64)
        };
        let passed = |r: &Report| count(r, true);
        let failed = |r: &Report| count(r, false);
        self.add(
            "expectations passed".into(),
            passed(base),
            passed(new),
            "",
            Good::Higher,
            |_, _| false,
        );
        self.add(
            "expectations failed".into(),
            failed(base),
            failed(new),
            "",
            Good::Lower,
            |x, y| y > x,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::*;

    fn report(admitted: Option<f64>, p95: f64, failed: u64, usd: f64, busy: f64, passed: bool) -> Report {
        Report {
            workloads: vec![WorkloadRecord {
                namespace: "ai".into(),
                owner: "chat".into(),
                admitted_s: admitted,
                ..Default::default()
            }],
            inference_services: vec![InferenceServiceRecord {
                namespace: "ai".into(),
                name: "chat".into(),
                downtime_s: failed as f64 * 50.0,
                ..Default::default()
            }],
            models: [(
                "chat".to_string(),
                ModelReport {
                    requests: 100,
                    failed,
                    ttft_ms: LatencySummary {
                        p50: Some(50.0),
                        p95: Some(p95),
                        p99: Some(400.0),
                        ..Default::default()
                    },
                    output_tokens_per_s: 10.0,
                    ..Default::default()
                },
            )]
            .into_iter()
            .collect(),
            utilization: Utilization {
                gpu_allocated_fraction: 0.5,
                gpu_busy: Some(GpuBusy {
                    busy_fraction: busy,
                    ..Default::default()
                }),
                ..Default::default()
            },
            cost: Cost {
                total_usd: usd,
                ..Default::default()
            },
            expectations: vec![ExpectationRecord {
                passed,
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn verdict(c: &Comparison, metric: &str) -> Verdict {
        c.rows
            .iter()
            .find(|r| r.metric == metric)
            .unwrap_or_else(|| panic!("no row {metric}: {:#?}", c.rows))
            .verdict
    }

    #[test]
    fn moves_beyond_tolerance_are_regressions() {
        let base = report(Some(0.0), 200.0, 0, 10.0, 0.60, true);
        let t = Tolerances::default();
        // (new report, metric, verdict)
        let cases = [
            (
                report(Some(0.0), 200.0, 0, 10.0, 0.60, true),
                "chat TTFT p95",
                Verdict::Same,
            ),
            (
                report(Some(0.0), 215.0, 0, 10.0, 0.60, true),
                "chat TTFT p95",
                Verdict::Worse,
            ),
            (
                report(Some(0.0), 230.0, 0, 10.0, 0.60, true),
                "chat TTFT p95",
                Verdict::Regression,
            ),
            (
                report(Some(0.0), 150.0, 0, 10.0, 0.60, true),
                "chat TTFT p95",
                Verdict::Better,
            ),
            (
                report(Some(30.0), 200.0, 0, 10.0, 0.60, true),
                "workload ai/chat #1 admitted at",
                Verdict::Worse,
            ),
            (
                report(Some(90.0), 200.0, 0, 10.0, 0.60, true),
                "workload ai/chat #1 admitted at",
                Verdict::Regression,
            ),
            (
                report(None, 200.0, 0, 10.0, 0.60, true),
                "workload ai/chat #1 admitted at",
                Verdict::Regression,
            ),
            (
                report(Some(0.0), 200.0, 2, 10.0, 0.60, true),
                "chat requests failed",
                Verdict::Regression,
            ),
            // Failures stand for an outage here: 50 s of downtime each.
            (
                report(Some(0.0), 200.0, 1, 10.0, 0.60, true),
                "ai/chat downtime",
                Verdict::Worse,
            ),
            (
                report(Some(0.0), 200.0, 2, 10.0, 0.60, true),
                "ai/chat downtime",
                Verdict::Regression,
            ),
            (
                report(Some(0.0), 200.0, 0, 10.4, 0.60, true),
                "cost total",
                Verdict::Worse,
            ),
            (
                report(Some(0.0), 200.0, 0, 10.6, 0.60, true),
                "cost total",
                Verdict::Regression,
            ),
            (
                report(Some(0.0), 200.0, 0, 10.0, 0.54, true),
                "GPU busy fraction (of allocated)",
                Verdict::Regression,
            ),
            (
                report(Some(0.0), 200.0, 0, 10.0, 0.57, true),
                "GPU busy fraction (of allocated)",
                Verdict::Worse,
            ),
            (
                report(Some(0.0), 200.0, 0, 10.0, 0.60, false),
                "expectations failed",
                Verdict::Regression,
            ),
        ];
        for (new, metric, want) in cases {
            assert_eq!(verdict(&compare(&base, &new, &t), metric), want, "{metric}");
        }
    }

    #[test]
    fn tolerances_come_from_the_caller() {
        let base = report(Some(0.0), 200.0, 0, 10.0, 0.6, true);
        let new = report(Some(0.0), 230.0, 0, 10.0, 0.6, true);
        let loose = Tolerances {
            latency_pct: 20.0,
            ..Default::default()
        };
        assert_eq!(compare(&base, &new, &loose).regressions(), 0);
        assert_eq!(compare(&base, &new, &Tolerances::default()).regressions(), 1);
    }

    #[test]
    fn the_table_shows_what_moved() {
        let base = report(Some(0.0), 200.0, 0, 10.0, 0.6, true);
        let new = report(Some(0.0), 230.0, 0, 10.0, 0.6, true);
        let text = compare(&base, &new, &Tolerances::default()).render(false);
        assert!(text.contains("chat TTFT p95"), "{text}");
        assert!(text.contains("+15.0%"), "{text}");
        assert!(!text.contains("chat TTFT p50"), "unchanged rows are left out: {text}");
        assert!(text.contains("1 regression(s)"), "{text}");
        let same = compare(&base, &base, &Tolerances::default()).render(false);
        assert!(same.starts_with("Nothing moved."), "{same}");
    }
}
