//! `gpuaas-sim compare BASE.json NEW.json`: what moved between two runs' report.json files
//! (admission times, downtime, latency percentiles, failures, SLO attainment, utilization,
//! cost, expectations), and which of those moves are regressions under the given
//! tolerances. The comparison renders as a terminal table, as Markdown for a pull request,
//! and as JUnit XML (`report::junit::render_comparison`).

use super::model::{LatencySummary, ModelMonthly, ModelReport, Monthly, Report, SloTermRecord, WorkloadRecord};
use crate::scenario::printers::report_table as table;
use indexmap::IndexMap;
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
    /// SLO attainment, overall and per term: drop in percentage points.
    pub slo_points: f64,
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
            // One point: attainment is a share of a few hundred to a few thousand requests
            // in the bundled scenarios, and reruns with the same seed give identical
            // figures, so a drop of more than one request in a hundred is a real change.
            slo_points: 1.0,
        }
    }
}

impl Tolerances {
    /// The tolerances in words, for the Markdown summary's closing line.
    pub fn describe(&self) -> String {
        format!(
            "admission {} s later, downtime {} s more, latency percentiles +{}% (and over 1 ms), \
             failed requests +{} {}, SLO attainment −{} {}, GPU utilization −{} {}, cost +{}%; \
             a workload no longer admitted, a figure missing from the new run and an expectation \
             that newly fails are always regressions",
            self.admission_s,
            self.downtime_s,
            self.latency_pct,
            self.failure_points,
            points(self.failure_points),
            self.slo_points,
            points(self.slo_points),
            self.utilization_points,
            points(self.utilization_points),
            self.cost_pct,
        )
    }
}

fn points(n: f64) -> &'static str {
    if n == 1.0 {
        "point"
    } else {
        "points"
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
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Same => "same",
            Verdict::Better => "better",
            Verdict::Worse => "worse (within tolerance)",
            Verdict::Regression => "REGRESSION",
        }
    }
}

/// The part of the report a figure comes from; the Markdown summary has one table each,
/// in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    Admissions,
    Downtime,
    Autoscaling,
    Latency,
    Failures,
    Throughput,
    Slo,
    Utilization,
    Cost,
    Expectations,
}

impl Section {
    pub const ALL: [Section; 10] = [
        Section::Admissions,
        Section::Downtime,
        Section::Autoscaling,
        Section::Latency,
        Section::Failures,
        Section::Throughput,
        Section::Slo,
        Section::Utilization,
        Section::Cost,
        Section::Expectations,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Section::Admissions => "Workload admissions",
            Section::Downtime => "Downtime",
            Section::Autoscaling => "Autoscaling",
            Section::Latency => "Latency percentiles",
            Section::Failures => "Failed requests",
            Section::Throughput => "Throughput",
            Section::Slo => "SLO attainment",
            Section::Utilization => "GPU utilization",
            Section::Cost => "Cost",
            Section::Expectations => "Expectations",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub section: Section,
    pub metric: String,
    pub base: String,
    pub new: String,
    pub change: String,
    pub verdict: Verdict,
    /// What would make this figure a regression, in words (`a rise of more than 60 s`).
    pub tolerance: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The scenario compared: its name, or `base → new` when the names differ.
    pub scenario: String,
    pub rows: Vec<Row>,
    pub tolerances: Tolerances,
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

    /// A Markdown summary for a pull request: a heading naming the scenario, the verdict,
    /// one table per section of the rows that moved (all rows with `all`), and the
    /// tolerances. Several comparisons concatenated read as one document.
    pub fn render_markdown(&self, all: bool) -> String {
        let moved = self.rows.iter().filter(|r| r.verdict != Verdict::Same).count();
        let mut o = match self.scenario.as_str() {
            "" => "## gpuaas-sim compare\n\n".to_string(),
            name => format!("## gpuaas-sim compare: {}\n\n", markdown_escape(name)),
        };
        let verdict = match self.regressions() {
            0 => "**No regression**".to_string(),
            1 => "**1 regression**".to_string(),
            n => format!("**{n} regressions**"),
        };
        o.push_str(&format!(
            "{verdict} ({} figures compared, {moved} moved).\n",
            self.rows.len()
        ));
        let shown = |r: &&Row| all || r.verdict != Verdict::Same;
        if !self.rows.iter().any(|r| shown(&r)) {
            o.push_str("\nNothing moved.\n");
        }
        for section in Section::ALL {
            let rows: Vec<&Row> = self
                .rows
                .iter()
                .filter(|r| r.section == section)
                .filter(shown)
                .collect();
            if rows.is_empty() {
                continue;
            }
            o.push_str(&format!(
                "\n### {}\n\n| figure | base | new | change | verdict |\n|---|---|---|---|---|\n",
                section.title()
            ));
            for r in rows {
                let verdict = match r.verdict {
                    Verdict::Regression => "**REGRESSION**",
                    v => v.as_str(),
                };
                o.push_str(&format!(
                    "| {} | {} | {} | {} | {verdict} |\n",
                    markdown_escape(&r.metric),
                    markdown_escape(&r.base),
                    markdown_escape(&r.new),
                    markdown_escape(&r.change),
                ));
            }
        }
        // What "within tolerance" means matters only where something moved; several
        // scenarios' summaries in one comment would otherwise repeat it for nothing.
        if moved > 0 {
            o.push_str(&format!("\nTolerances: {}.\n", self.tolerances.describe()));
        }
        o
    }
}

/// Text as Markdown shows it literally, on one line: the characters that start emphasis,
/// code, links, HTML, entities, strikethrough, math, mentions, issue references, emoji
/// codes or table cells are backslash-escaped (CommonMark allows a backslash before any
/// ASCII punctuation), and line breaks and other control characters become spaces, since a
/// line break would end the table row. Names come from report.json, which a person may
/// have edited.
pub fn markdown_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '!' | '&' | '$' | '@' | '#' | ':' => {
                o.push('\\');
                o.push(c);
            }
            c if c.is_control() => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// Which direction is good for a figure.
#[derive(Clone, Copy)]
enum Good {
    Lower,
    Higher,
}

/// When a wrong-way move is a regression.
#[derive(Clone, Copy)]
enum Limit {
    /// Never: the figure is shown for information.
    Informational,
    /// A move of more than this much, in the figure's shown unit (points for shares).
    Absolute(f64),
    /// A rise of more than this many percent, and of more than `floor` in the unit.
    Relative { pct: f64, floor: f64 },
    /// Any wrong-way move.
    Any,
}

/// Reports round shares to three decimals, so a drop of exactly the tolerance computes as
/// a hair more than it (0.437 − 0.427 = 0.010000000000000009); a move counts as beyond
/// the tolerance only when it exceeds it by more than this.
const SLACK: f64 = 1e-9;

impl Limit {
    fn regressed(self, good: Good, unit: &str, base: f64, new: f64) -> bool {
        let scale = if unit == "%" { 100.0 } else { 1.0 };
        let moved = match good {
            Good::Lower => new - base,
            Good::Higher => base - new,
        } * scale;
        match self {
            Limit::Informational => false,
            Limit::Absolute(limit) => moved - limit > SLACK,
            Limit::Relative { pct, floor } => new > base * (1.0 + pct / 100.0) && moved > floor,
            Limit::Any => moved > 0.0,
        }
    }

    /// The limit in words, for a JUnit failure message.
    fn describe(self, good: Good, unit: &str) -> String {
        let way = match good {
            Good::Lower => "rise",
            Good::Higher => "drop",
        };
        let amount = |x: f64| match unit {
            "%" => format!("{x} {}", points(x)),
            "$" => format!("${x}"),
            "" => format!("{x}"),
            unit => format!("{x}{unit}"),
        };
        match self {
            Limit::Informational => "none (shown for information)".into(),
            Limit::Absolute(x) => format!("a {way} of more than {}", amount(x)),
            Limit::Relative { pct, floor } if floor > 0.0 => {
                format!("a {way} of more than {pct}% and of more than {}", amount(floor))
            }
            Limit::Relative { pct, .. } => format!("a {way} of more than {pct}%"),
            Limit::Any => format!("any {way}"),
        }
    }
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
    /// The section the figures being added belong to.
    section: Section,
    rows: Vec<Row>,
}

impl Builder<'_> {
    /// Adds one figure; `limit` says when a wrong-way move is beyond tolerance.
    fn add(&mut self, metric: String, base: Option<f64>, new: Option<f64>, unit: &str, good: Good, limit: Limit) {
        let mut tolerance = limit.describe(good, unit);
        let (verdict, change) = match (base, new) {
            (Some(b), Some(n)) if b == n => (Verdict::Same, String::new()),
            (Some(b), Some(n)) => {
                let worse = match good {
                    Good::Lower => n > b,
                    Good::Higher => n < b,
                };
                let verdict = match (worse, limit.regressed(good, unit, b, n)) {
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
            (Some(_), None) => {
                tolerance = "a figure of the base run missing from the new run is always a regression".into();
                (Verdict::Regression, "gone".into())
            }
            (None, Some(_)) => (Verdict::Same, "new".into()),
        };
        self.rows.push(Row {
            section: self.section,
            metric,
            base: fmt(base, unit),
            new: fmt(new, unit),
            change,
            verdict,
            tolerance,
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
    let mut b = Builder {
        tol,
        section: Section::Admissions,
        rows: Vec::new(),
    };
    b.workloads(base, new);
    b.downtime(base, new);
    b.autoscaling(base, new);
    b.models(base, new);
    b.utilization(base, new);
    b.cost(base, new);
    b.expectations(base, new);
    let scenario = if base.scenario == new.scenario {
        base.scenario.clone()
    } else {
        format!("{} → {}", base.scenario, new.scenario)
    };
    Comparison {
        scenario,
        rows: b.rows,
        tolerances: *tol,
    }
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
        self.section = Section::Admissions;
        let (wb, wn) = (workloads(base), workloads(new));
        for key in union(wb.keys().cloned(), wn.keys().cloned()) {
            let label = format!("workload {}/{} #{} admitted at", key.0, key.1, key.2);
            let at = |m: &BTreeMap<_, &WorkloadRecord>| m.get(&key).and_then(|w| w.admitted_s);
            let limit = Limit::Absolute(self.tol.admission_s);
            match (wb.contains_key(&key), at(&wb), at(&wn)) {
                // Admitted before and not now: a regression however the tolerance is set.
                (true, Some(x), None) => self.rows.push(Row {
                    section: self.section,
                    metric: label,
                    base: fmt(Some(x), " s"),
                    new: "not admitted".into(),
                    change: "never admitted".into(),
                    verdict: Verdict::Regression,
                    tolerance: "a workload admitted in the base run and not in the new run is always a regression"
                        .into(),
                }),
                (_, x, y) => self.add(label, x, y, " s", Good::Lower, limit),
            }
        }
    }

    fn downtime(&mut self, base: &Report, new: &Report) {
        self.section = Section::Downtime;
        let services = |r: &Report| -> BTreeMap<String, f64> {
            r.inference_services
                .iter()
                .map(|s| (format!("{}/{}", s.namespace, s.name), s.downtime_s))
                .collect()
        };
        let (sb, sn) = (services(base), services(new));
        for name in union(sb.keys(), sn.keys()) {
            self.add(
                format!("{name} downtime"),
                sb.get(name).copied(),
                sn.get(name).copied(),
                " s",
                Good::Lower,
                Limit::Absolute(self.tol.downtime_s),
            );
        }
    }

    /// Per service: the most replicas it had ready, how often its autoscaler changed them,
    /// what its GPUs cost, and the requests that met capacity still coming.
    fn autoscaling(&mut self, base: &Report, new: &Report) {
        self.section = Section::Autoscaling;
        type Figures = (f64, f64, Option<f64>);
        let services = |r: &Report| -> BTreeMap<String, Figures> {
            r.inference_services
                .iter()
                .map(|s| {
                    let target = format!("{}/{}-predictor", s.namespace, s.name);
                    let decisions = r.scaling_decisions.iter().filter(|d| d.target == target).count();
                    (
                        format!("{}/{}", s.namespace, s.name),
                        (s.max_ready_replicas as f64, decisions as f64, s.gpu_cost_usd),
                    )
                })
                .collect()
        };
        let (sb, sn) = (services(base), services(new));
        for name in union(sb.keys(), sn.keys()) {
            let (x, y) = (sb.get(name), sn.get(name));
            // Nothing to say of a service no autoscaler touched in either run.
            if x.is_none_or(|f| f.1 == 0.0) && y.is_none_or(|f| f.1 == 0.0) {
                continue;
            }
            self.add(
                format!("{name} most ready replicas"),
                x.map(|f| f.0),
                y.map(|f| f.0),
                "",
                Good::Higher,
                Limit::Informational,
            );
            self.add(
                format!("{name} scaling decisions"),
                x.map(|f| f.1),
                y.map(|f| f.1),
                "",
                Good::Lower,
                Limit::Informational,
            );
            self.add(
                format!("{name} GPU cost"),
                x.and_then(|f| f.2),
                y.and_then(|f| f.2),
                "$",
                Good::Lower,
                Limit::Relative {
                    pct: self.tol.cost_pct,
                    floor: 0.01,
                },
            );
        }
        let waits = |r: &Report| -> BTreeMap<String, f64> {
            r.models
                .iter()
                .flat_map(|(m, mr)| {
                    mr.capacity_waits
                        .iter()
                        .map(move |(cause, w)| (format!("{m} requests that met {cause}"), w.arrived as f64))
                })
                .collect()
        };
        let (wb, wn) = (waits(base), waits(new));
        for name in union(wb.keys(), wn.keys()) {
            self.add(
                name.clone(),
                Some(wb.get(name).copied().unwrap_or(0.0)),
                Some(wn.get(name).copied().unwrap_or(0.0)),
                "",
                Good::Lower,
                Limit::Informational,
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
        self.section = Section::Latency;
        for (metric, summary) in LATENCIES {
            for (q, quantile) in QUANTILES {
                self.add(
                    format!("{name} {metric} {q}"),
                    x.map(summary).and_then(quantile),
                    y.map(summary).and_then(quantile),
                    " ms",
                    Good::Lower,
                    Limit::Relative {
                        pct: self.tol.latency_pct,
                        floor: 1.0,
                    },
                );
            }
        }
        self.section = Section::Failures;
        let failed_share = |m: &ModelReport| (m.requests > 0).then(|| m.failed as f64 / m.requests as f64);
        self.add(
            format!("{name} requests failed"),
            x.and_then(failed_share),
            y.and_then(failed_share),
            "%",
            Good::Lower,
            Limit::Absolute(self.tol.failure_points),
        );
        self.section = Section::Throughput;
        self.add(
            format!("{name} output tokens/s"),
            x.map(|m| m.output_tokens_per_s),
            y.map(|m| m.output_tokens_per_s),
            "",
            Good::Higher,
            Limit::Informational,
        );
        self.section = Section::Slo;
        let slo = Limit::Absolute(self.tol.slo_points);
        let attainment = |m: &ModelReport| m.slo.as_ref().and_then(|s| s.attainment);
        self.add(
            format!("{name} SLO attainment"),
            x.and_then(attainment),
            y.and_then(attainment),
            "%",
            Good::Higher,
            slo,
        );
        // Each term's own attainment: a term can sink while the overall share, bounded by
        // the worst term and by failures, barely moves.
        let tx = x.and_then(|m| m.slo.as_ref()).map(|s| &s.terms);
        let ty = y.and_then(|m| m.slo.as_ref()).map(|s| &s.terms);
        // In the order the scenario wrote them (base first, then terms new in the new run),
        // as report.json keeps them.
        let mut keys: Vec<&String> = tx.into_iter().flat_map(|t| t.keys()).collect();
        for k in ty.into_iter().flat_map(|t| t.keys()) {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        for term in keys {
            let of =
                |t: Option<&IndexMap<String, SloTermRecord>>| t.and_then(|t| t.get(term)).and_then(|r| r.attainment);
            self.add(
                format!("{name} SLO {term} attainment"),
                of(tx),
                of(ty),
                "%",
                Good::Higher,
                slo,
            );
        }
    }

    fn utilization(&mut self, base: &Report, new: &Report) {
        self.section = Section::Utilization;
        let limit = Limit::Absolute(self.tol.utilization_points);
        self.add(
            "GPU allocated fraction".into(),
            Some(base.utilization.gpu_allocated_fraction),
            Some(new.utilization.gpu_allocated_fraction),
            "%",
            Good::Higher,
            limit,
        );
        self.add(
            "GPU busy fraction (of allocated)".into(),
            base.utilization.gpu_busy.as_ref().map(|b| b.busy_fraction),
            new.utilization.gpu_busy.as_ref().map(|b| b.busy_fraction),
            "%",
            Good::Higher,
            limit,
        );
        let (mb, mn) = (base.monthly.as_ref(), new.monthly.as_ref());
        let unallocated = |m: Option<&Monthly>| {
            m.and_then(|m| m.allocation_peak.as_ref())
                .map(|p| p.gpus_unallocated as f64)
        };
        // Shown, never a regression: fewer spare GPUs is a fuller fleet as often as a
        // worse one.
        self.add(
            "GPUs unallocated at the allocation peak".into(),
            unallocated(mb),
            unallocated(mn),
            "",
            Good::Higher,
            Limit::Informational,
        );
        for name in union(
            mb.into_iter().flat_map(|m| m.models.keys()),
            mn.into_iter().flat_map(|m| m.models.keys()),
        ) {
            fn of<'m>(m: Option<&'m Monthly>, name: &str) -> Option<&'m ModelMonthly> {
                m.and_then(|m| m.models.get(name))
            }
            self.add(
                format!("{name} GPU busy fraction (of allocated)"),
                of(mb, name).and_then(|x| x.busy_fraction),
                of(mn, name).and_then(|x| x.busy_fraction),
                "%",
                Good::Higher,
                limit,
            );
            // Shown, never a regression: less headroom under more load is the point of a
            // smaller fleet.
            self.add(
                format!("{name} busy headroom"),
                of(mb, name).and_then(|x| x.busy_headroom),
                of(mn, name).and_then(|x| x.busy_headroom),
                "%",
                Good::Higher,
                Limit::Informational,
            );
            self.add(
                format!("{name} KV-cache headroom"),
                of(mb, name).and_then(|x| x.kv_cache_headroom),
                of(mn, name).and_then(|x| x.kv_cache_headroom),
                "%",
                Good::Higher,
                Limit::Informational,
            );
        }
    }

    fn cost(&mut self, base: &Report, new: &Report) {
        self.section = Section::Cost;
        let limit = Limit::Relative {
            pct: self.tol.cost_pct,
            floor: 0.0,
        };
        type CostPick = fn(&Report) -> Option<f64>;
        let costs: [(&str, CostPick); 2] = [
            ("cost total", |r| Some(r.cost.total_usd)),
            ("cost per million output tokens", |r| {
                r.cost.usd_per_million_output_tokens
            }),
        ];
        for (label, pick) in costs {
            self.add(label.into(), pick(base), pick(new), "$", Good::Lower, limit);
        }
        // Runs of different lengths compare fairly as a month.
        self.add(
            "cost per month (730 h)".into(),
            base.monthly.as_ref().map(|m| m.usd),
            new.monthly.as_ref().map(|m| m.usd),
            "$",
            Good::Lower,
            limit,
        );
        self.add(
            "idle GPU spend".into(),
            Some(base.cost.idle_usd),
            Some(new.cost.idle_usd),
            "$",
            Good::Lower,
            Limit::Informational,
        );
    }

    fn expectations(&mut self, base: &Report, new: &Report) {
        self.section = Section::Expectations;
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
            Limit::Informational,
        );
        self.add(
            "expectations failed".into(),
            failed(base),
            failed(new),
            "",
            Good::Lower,
            Limit::Any,
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

    /// The base report with an autoscaled chat: `decisions` scale-ups, `ready` replicas at
    /// most, `usd` of GPU time and `quota_waits` requests that met a replica Pending.
    fn autoscaled(decisions: usize, ready: u64, usd: f64, quota_waits: u64) -> Report {
        let mut r = report(Some(0.0), 200.0, 0, 10.0, 0.60, true);
        r.inference_services[0].max_ready_replicas = ready;
        r.inference_services[0].gpu_cost_usd = Some(usd);
        r.scaling_decisions = (0..decisions)
            .map(|i| ScalingDecisionRecord {
                t_s: 60.0 * i as f64,
                target: "ai/chat-predictor".into(),
                from: i as i64 + 1,
                to: i as i64 + 2,
                ..Default::default()
            })
            .collect();
        if let Some(m) = r.models.get_mut("chat") {
            m.capacity_waits.insert(
                "kueue_quota".into(),
                CapacityWaitRecord {
                    arrived: quota_waits,
                    failed: 0,
                },
            );
        }
        r
    }

    #[test]
    fn autoscaling_figures_are_compared_and_only_their_cost_can_regress() {
        let base = autoscaled(2, 3, 10.0, 100);
        let t = Tolerances::default();
        // (new report, metric, verdict)
        let cases = [
            (autoscaled(2, 3, 10.0, 100), "ai/chat GPU cost", Verdict::Same),
            (autoscaled(2, 3, 10.4, 100), "ai/chat GPU cost", Verdict::Worse),
            (autoscaled(2, 3, 11.0, 100), "ai/chat GPU cost", Verdict::Regression),
            (autoscaled(9, 3, 10.0, 100), "ai/chat scaling decisions", Verdict::Worse),
            (
                autoscaled(2, 2, 10.0, 100),
                "ai/chat most ready replicas",
                Verdict::Worse,
            ),
            (
                autoscaled(2, 4, 10.0, 100),
                "ai/chat most ready replicas",
                Verdict::Better,
            ),
            (
                autoscaled(2, 3, 10.0, 900),
                "chat requests that met kueue_quota",
                Verdict::Worse,
            ),
        ];
        for (new, metric, want) in cases {
            assert_eq!(verdict(&compare(&base, &new, &t), metric), want, "{metric}");
        }
        // A service no autoscaler touched shows no autoscaling rows.
        let plain = report(Some(0.0), 200.0, 0, 10.0, 0.60, true);
        let c = compare(&plain, &plain, &t);
        assert!(
            c.rows.iter().all(|r| r.section != Section::Autoscaling),
            "{:#?}",
            c.rows
        );
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

    /// The base report with a month: `usd` a month, chat `busy` of its GPUs with
    /// `headroom` in its busiest window, `spare` GPUs unallocated at the allocation peak.
    fn monthly(usd: f64, busy: f64, headroom: f64, spare: i64) -> Report {
        let mut r = report(Some(0.0), 200.0, 0, 10.0, 0.6, true);
        r.monthly = Some(Monthly {
            usd,
            models: [(
                "chat".to_string(),
                ModelMonthly {
                    busy_fraction: Some(busy),
                    busy_headroom: Some(headroom),
                    ..Default::default()
                },
            )]
            .into_iter()
            .collect(),
            allocation_peak: Some(AllocationPeak {
                gpus_unallocated: spare,
                ..Default::default()
            }),
            ..Default::default()
        });
        r
    }

    #[test]
    fn monthly_cost_and_busy_fractions_regress_under_their_tolerances() {
        let base = monthly(1000.0, 0.6, 0.3, 4);
        let t = Tolerances::default();
        let (cost, busy, headroom, spare) = (
            "cost per month (730 h)",
            "chat GPU busy fraction (of allocated)",
            "chat busy headroom",
            "GPUs unallocated at the allocation peak",
        );
        // (new report, metric, verdict)
        let cases = [
            (monthly(1000.0, 0.6, 0.3, 4), cost, Verdict::Same),
            (monthly(1050.0, 0.6, 0.3, 4), cost, Verdict::Worse),
            (monthly(1051.0, 0.6, 0.3, 4), cost, Verdict::Regression),
            (monthly(900.0, 0.6, 0.3, 4), cost, Verdict::Better),
            (monthly(1000.0, 0.55, 0.3, 4), busy, Verdict::Worse),
            (monthly(1000.0, 0.54, 0.3, 4), busy, Verdict::Regression),
            (monthly(1000.0, 0.7, 0.3, 4), busy, Verdict::Better),
            (monthly(1000.0, 0.6, 0.0, 4), headroom, Verdict::Worse),
            (monthly(1000.0, 0.6, 0.3, 0), spare, Verdict::Worse),
        ];
        for (new, metric, want) in cases {
            assert_eq!(verdict(&compare(&base, &new, &t), metric), want, "{metric}");
        }
        // A report written before the month had none: its figures are new, not a move.
        let older = report(Some(0.0), 200.0, 0, 10.0, 0.6, true);
        let c = compare(&older, &base, &t);
        assert_eq!(c.regressions(), 0, "{:#?}", c.rows);
        assert_eq!(verdict(&compare(&base, &older, &t), cost), Verdict::Regression, "gone");
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

    /// A report whose one model has an SLO: `overall` attainment and the attainment of
    /// each term given.
    fn with_slo(overall: Option<f64>, terms: &[(&str, f64)]) -> Report {
        let mut r = report(Some(0.0), 200.0, 0, 10.0, 0.6, true);
        let m = r.models.get_mut("chat").expect("the report has the model chat");
        m.slo = Some(Slo {
            terms: terms
                .iter()
                .map(|(k, a)| {
                    let term = SloTermRecord {
                        attainment: Some(*a),
                        ..Default::default()
                    };
                    (k.to_string(), term)
                })
                .collect(),
            attainment: overall,
            ..Default::default()
        });
        r
    }

    #[test]
    fn an_slo_attainment_drop_beyond_its_tolerance_is_a_regression() {
        let base = with_slo(Some(1.0), &[("ttft_p95", 1.0), ("tpot_p95", 0.95)]);
        let (overall, ttft, tpot) = (
            "chat SLO attainment",
            "chat SLO ttft_p95 attainment",
            "chat SLO tpot_p95 attainment",
        );
        let default = Tolerances::default();
        let five = Tolerances {
            slo_points: 5.0,
            ..Default::default()
        };
        // (overall, ttft_p95, tpot_p95 of the new run; tolerances; the row; its verdict)
        let cases = [
            // What users saw reported as within tolerance.
            (Some(0.01), 1.0, 0.95, default, overall, Verdict::Regression),
            (Some(1.0), 1.0, 0.95, default, overall, Verdict::Same),
            (Some(0.995), 1.0, 0.95, default, overall, Verdict::Worse),
            // Exactly the tolerance is within it, although 1.0 − 0.99 computes as a hair
            // over 0.01.
            (Some(0.99), 1.0, 0.95, default, overall, Verdict::Worse),
            (Some(0.989), 1.0, 0.95, default, overall, Verdict::Regression),
            (Some(0.96), 1.0, 0.95, five, overall, Verdict::Worse),
            (Some(0.94), 1.0, 0.95, five, overall, Verdict::Regression),
            // No attainment any more (no request completed or failed): gone.
            (None, 1.0, 0.95, default, overall, Verdict::Regression),
            // A term sinks while the overall share holds.
            (Some(1.0), 0.98, 0.95, default, ttft, Verdict::Regression),
            (Some(1.0), 0.98, 0.95, default, overall, Verdict::Same),
            (Some(1.0), 0.98, 0.95, five, ttft, Verdict::Worse),
            (Some(1.0), 1.0, 0.945, default, tpot, Verdict::Worse),
            // 0.95 − 0.94: one point exactly, within.
            (Some(1.0), 1.0, 0.94, default, tpot, Verdict::Worse),
            (Some(1.0), 1.0, 0.939, default, tpot, Verdict::Regression),
            (Some(1.0), 1.0, 0.99, default, tpot, Verdict::Better),
        ];
        for (o, a, b, tol, metric, want) in cases {
            let new = with_slo(o, &[("ttft_p95", a), ("tpot_p95", b)]);
            let got = verdict(&compare(&base, &new, &tol), metric);
            assert_eq!(got, want, "{metric} with {o:?}, {a}, {b} and {} points", tol.slo_points);
        }
        // A term the new run no longer has is gone, a regression; one only the new run
        // has is shown as new.
        let fewer = with_slo(Some(1.0), &[("ttft_p95", 1.0)]);
        assert_eq!(verdict(&compare(&base, &fewer, &default), tpot), Verdict::Regression);
        let c = compare(&fewer, &base, &default);
        let row = c
            .rows
            .iter()
            .find(|r| r.metric == tpot)
            .expect("a row for the new term");
        assert_eq!((row.verdict, row.change.as_str()), (Verdict::Same, "new"));
    }

    #[test]
    fn an_slo_regression_says_its_section_and_tolerance() {
        let base = with_slo(Some(1.0), &[("ttft_p95", 1.0)]);
        let new = with_slo(Some(0.5), &[("ttft_p95", 0.5)]);
        let c = compare(&base, &new, &Tolerances::default());
        let row = c
            .rows
            .iter()
            .find(|r| r.metric == "chat SLO attainment")
            .expect("an SLO row");
        assert_eq!(row.section, Section::Slo);
        assert_eq!(
            (row.base.as_str(), row.new.as_str(), row.change.as_str()),
            ("100.0%", "50.0%", "-50.0 points")
        );
        assert_eq!(row.tolerance, "a drop of more than 1 point");
    }

    #[test]
    fn a_share_moving_by_exactly_its_tolerance_is_within_it() {
        // 0.65 − 0.60 computes as 0.05000000000000004: five points, not more.
        let base = report(Some(0.0), 200.0, 0, 10.0, 0.65, true);
        let new = report(Some(0.0), 200.0, 0, 10.0, 0.60, true);
        let c = compare(&base, &new, &Tolerances::default());
        assert_eq!(verdict(&c, "GPU busy fraction (of allocated)"), Verdict::Worse);
    }

    #[test]
    fn the_markdown_summary_has_the_verdict_then_a_table_per_section() {
        let base = with_slo(Some(1.0), &[("ttft_p95", 1.0)]);
        let mut new = with_slo(Some(0.01), &[("ttft_p95", 0.01)]);
        new.cost.total_usd = 10.2;
        let c = compare(&base, &new, &Tolerances::default());
        let md = c.render_markdown(false);
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(lines[0], "## gpuaas-sim compare", "{md}");
        assert_eq!(lines[2], "**2 regressions** (15 figures compared, 3 moved).", "{md}");
        let headings: Vec<&str> = lines.iter().filter(|l| l.starts_with("### ")).copied().collect();
        assert_eq!(headings, ["### SLO attainment", "### Cost"], "{md}");
        assert!(
            md.contains("| chat SLO ttft\\_p95 attainment | 100.0% | 1.0% | -99.0 points | **REGRESSION** |"),
            "{md}"
        );
        assert!(
            md.contains("| cost total | \\$10.00 | \\$10.20 | +2.0% | worse (within tolerance) |"),
            "{md}"
        );
        assert!(!md.contains("TTFT p50"), "unmoved figures are left out: {md}");
        assert!(md.trim_end().ends_with("always regressions."), "{md}");
        let all = c.render_markdown(true);
        assert!(all.contains("| chat TTFT p50 | 50 ms | 50 ms |  | same |"), "{all}");
        let same = compare(&base, &base, &Tolerances::default()).render_markdown(false);
        assert!(
            same.ends_with("**No regression** (15 figures compared, 0 moved).\n\nNothing moved.\n"),
            "{same}"
        );
    }

    #[test]
    fn markdown_shows_names_literally() {
        // (name in report.json, as the Markdown source writes it)
        let cases = [
            ("chat", "chat"),
            ("a|b", "a\\|b"),
            ("*bold* _em_ `code`", "\\*bold\\* \\_em\\_ \\`code\\`"),
            ("<script>&amp;", "\\<script\\>\\&amp;"),
            ("[x](http://e)", "\\[x\\](http\\://e)"),
            (
                "@team #12 ~~x~~ $x$ :x: !",
                "\\@team \\#12 \\~\\~x\\~\\~ \\$x\\$ \\:x\\: \\!",
            ),
            ("two\nlines\r\tand\u{7}bell", "two lines  and bell"),
            ("back\\slash", "back\\\\slash"),
        ];
        for (name, want) in cases {
            assert_eq!(markdown_escape(name), want, "{name:?}");
        }
        // In a table, an escaped name leaves every row with its five cells.
        let mut base = report(Some(0.0), 200.0, 0, 10.0, 0.6, true);
        base.scenario = "demo | #1".into();
        base.workloads[0].owner = "a|b\nc".into();
        let mut new = base.clone();
        new.workloads[0].admitted_s = Some(500.0);
        let md = compare(&base, &new, &Tolerances::default()).render_markdown(false);
        assert!(md.starts_with("## gpuaas-sim compare: demo \\| \\#1\n"), "{md}");
        for row in md.lines().filter(|l| l.starts_with('|')) {
            let cells = row.replace("\\|", "").matches('|').count() - 1;
            assert_eq!(cells, 5, "{row}");
        }
        assert!(
            md.contains("| workload ai/a\\|b c \\#1 admitted at | 0 s | 500 s |"),
            "{md}"
        );
    }
}
