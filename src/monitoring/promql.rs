//! The PromQL subset the simulated autoscalers query the store with: a parser whose
//! errors carry the byte offset and name what was expected, and an evaluator of instant
//! queries that follows Prometheus 3's engine (`promql/engine.go`, `functions.go`,
//! `quantile.go`) for the constructs it supports.
//!
//! Supported: number literals (decimal, hex, `Inf`, `NaN`); instant selectors
//! `name{l="v", l!="v", l=~"re", l!~"re"}` (regexes fully anchored, RE2 syntax); range
//! selectors `name{...}[5m]` as the argument of `rate`, `irate`, `increase`,
//! `avg_over_time`, `max_over_time`, `min_over_time` and `sum_over_time`; `sum`, `avg`,
//! `max`, `min`, `count` with `by (...)` or `without (...)` before or after the argument;
//! `histogram_quantile`, `clamp_min`, `clamp_max`, `scalar`, `vector`; `+ - * /` and unary
//! minus with the usual precedence and parentheses, between scalars, a scalar and a vector,
//! or two vectors matched one to one on all labels but the metric name.
//!
//! Everything else Prometheus has (`offset`, `@`, subqueries, comparisons, `and`/`or`,
//! `on`/`ignoring`/`group_left`, `topk`, other functions) is a parse error that names the
//! construct and lists what is supported, so a scenario author learns at load time, not
//! from a wrong scaling decision. Types are checked while parsing, as Prometheus does, so
//! evaluating a parsed query can fail only on vector matching that is not one to one
//! (Prometheus' run-time error; the subset's vectors, each of one metric name, never
//! produce it) or on a hand-built `Expr` of the wrong type.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use regex::Regex;
use thiserror::Error;

use super::tsdb::{label_value, Labels, Series, Tsdb, LOOKBACK_DELTA, METRIC_NAME_LABEL};
use crate::units::{SimDuration, SimTime};

/// The hint of every "not supported" error.
const SUPPORTED: &str = "the simulator's PromQL subset has numbers, `metric{label=\"v\"}` selectors \
(with =, !=, =~, !~), rate/irate/increase/avg_over_time/max_over_time/min_over_time/sum_over_time \
over `metric[5m]`, sum/avg/max/min/count with by/without, histogram_quantile, clamp_min, clamp_max, \
scalar, vector, and + - * / with parentheses";

/// The deepest expression tree accepted: far beyond any autoscaling query, and shallow
/// enough that evaluating, printing and dropping a tree never exhausts the stack.
const MAX_DEPTH: usize = 64;

/// The aggregation operators Prometheus has and the subset does not.
const UNSUPPORTED_AGGREGATIONS: [&str; 9] = [
    "group",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "count_values",
    "quantile",
    "limitk",
    "limit_ratio",
];

/// Prometheus' functions (promql/parser/functions.go, v3.5, and v2's `holt_winters`), to
/// tell a function the subset leaves out from a misspelt name.
const PROMETHEUS_FUNCTIONS: [&str; 81] = [
    "abs",
    "absent",
    "absent_over_time",
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "avg_over_time",
    "ceil",
    "changes",
    "clamp",
    "clamp_max",
    "clamp_min",
    "cos",
    "cosh",
    "count_over_time",
    "days_in_month",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "deg",
    "delta",
    "deriv",
    "exp",
    "floor",
    "histogram_avg",
    "histogram_count",
    "histogram_sum",
    "histogram_stddev",
    "histogram_stdvar",
    "histogram_fraction",
    "histogram_quantile",
    "double_exponential_smoothing",
    "hour",
    "idelta",
    "increase",
    "info",
    "irate",
    "label_replace",
    "label_join",
    "last_over_time",
    "ln",
    "log10",
    "log2",
    "mad_over_time",
    "max_over_time",
    "min_over_time",
    "ts_of_max_over_time",
    "ts_of_min_over_time",
    "ts_of_last_over_time",
    "minute",
    "month",
    "pi",
    "predict_linear",
    "present_over_time",
    "quantile_over_time",
    "rad",
    "rate",
    "resets",
    "round",
    "scalar",
    "sgn",
    "sin",
    "sinh",
    "sort",
    "sort_desc",
    "sort_by_label",
    "sort_by_label_desc",
    "sqrt",
    "stddev_over_time",
    "stdvar_over_time",
    "sum_over_time",
    "tan",
    "tanh",
    "time",
    "timestamp",
    "vector",
    "year",
    "holt_winters",
];

// ---------------------------------------------------------------------------------------
// The parsed query.

/// A parsed query. Range selectors appear only inside `Range`, so every other node is a
/// scalar or an instant vector.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Number(f64),
    Selector(Selector),
    /// Kept so that a query prints back as written.
    Paren(Box<Expr>),
    Negate(Box<Expr>),
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Aggregate {
        op: AggOp,
        grouping: Grouping,
        expr: Box<Expr>,
    },
    /// `func(selector[range])`.
    Range {
        func: RangeFunc,
        selector: Selector,
        range: SimDuration,
    },
    HistogramQuantile {
        phi: Box<Expr>,
        buckets: Box<Expr>,
    },
    Clamp {
        side: ClampSide,
        expr: Box<Expr>,
        bound: Box<Expr>,
    },
    /// `scalar(v)`.
    Scalar(Box<Expr>),
    /// `vector(s)`.
    Vector(Box<Expr>),
}

/// What an expression evaluates to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueType {
    Scalar,
    Vector,
}

impl ValueType {
    fn described(self) -> &'static str {
        match self {
            ValueType::Scalar => "a scalar",
            ValueType::Vector => "an instant vector",
        }
    }
}

impl Expr {
    /// The metric names its selectors read (every selector names one).
    pub(crate) fn metric_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_names(&mut out);
        out
    }

    fn collect_names(&self, out: &mut Vec<String>) {
        match self {
            Expr::Number(_) => {}
            Expr::Selector(sel) | Expr::Range { selector: sel, .. } => out.push(sel.name.clone()),
            Expr::Paren(e) | Expr::Negate(e) | Expr::Scalar(e) | Expr::Vector(e) => e.collect_names(out),
            Expr::Aggregate { expr, .. } => expr.collect_names(out),
            Expr::Binary { lhs, rhs, .. } => {
                lhs.collect_names(out);
                rhs.collect_names(out);
            }
            Expr::HistogramQuantile { phi, buckets } => {
                phi.collect_names(out);
                buckets.collect_names(out);
            }
            Expr::Clamp { expr, bound, .. } => {
                expr.collect_names(out);
                bound.collect_names(out);
            }
        }
    }
    pub(crate) fn value_type(&self) -> ValueType {
        match self {
            Expr::Number(_) | Expr::Scalar(_) => ValueType::Scalar,
            Expr::Paren(e) | Expr::Negate(e) => e.value_type(),
            Expr::Binary { lhs, rhs, .. } => {
                if lhs.value_type() == ValueType::Scalar && rhs.value_type() == ValueType::Scalar {
                    ValueType::Scalar
                } else {
                    ValueType::Vector
                }
            }
            Expr::Selector(_)
            | Expr::Aggregate { .. }
            | Expr::Range { .. }
            | Expr::HistogramQuantile { .. }
            | Expr::Clamp { .. }
            | Expr::Vector(_) => ValueType::Vector,
        }
    }
}

impl std::str::FromStr for Expr {
    type Err = PromqlError;
    fn from_str(query: &str) -> Result<Expr, PromqlError> {
        parse(query)
    }
}

/// `name{matchers}`: the series named `name` that every matcher accepts.
#[derive(Debug, Clone)]
pub(crate) struct Selector {
    pub(crate) name: String,
    pub(crate) matchers: Vec<Matcher>,
}

impl Selector {
    fn matches(&self, series: &Series) -> bool {
        self.matchers.iter().all(|m| {
            // `__name__` is not among a series' labels in the store.
            let value = if m.label == METRIC_NAME_LABEL {
                series.name()
            } else {
                series.label(&m.label)
            };
            m.matches(value)
        })
    }
}

/// One label matcher; an absent label has the value `""`, as in Prometheus.
#[derive(Debug, Clone)]
pub(crate) struct Matcher {
    pub(crate) label: String,
    pub(crate) op: MatchOp,
}

impl Matcher {
    pub(crate) fn matches(&self, value: &str) -> bool {
        match &self.op {
            MatchOp::Equal(v) => value == v,
            MatchOp::NotEqual(v) => value != v,
            MatchOp::Regex(re) => re.is_match(value),
            MatchOp::NotRegex(re) => !re.is_match(value),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum MatchOp {
    Equal(String),
    NotEqual(String),
    Regex(AnchoredRegex),
    NotRegex(AnchoredRegex),
}

/// A matcher's regex, anchored at both ends as Prometheus anchors it (`^(?s:re)$`).
#[derive(Debug, Clone)]
pub(crate) struct AnchoredRegex {
    pattern: String,
    re: Regex,
}

impl AnchoredRegex {
    pub(crate) fn new(pattern: &str) -> Result<Self, regex::Error> {
        // Compiled bare first so that `a)|(b` is refused instead of escaping the anchors
        // (Prometheus parses the bare pattern too).
        Regex::new(pattern)?;
        let re = Regex::new(&format!("^(?s:{pattern})$"))?;
        Ok(AnchoredRegex {
            pattern: pattern.to_string(),
            re,
        })
    }

    pub(crate) fn pattern(&self) -> &str {
        &self.pattern
    }

    pub(crate) fn is_match(&self, value: &str) -> bool {
        self.re.is_match(value)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            BinOp::Add => a + b,
            BinOp::Sub => a - b,
            BinOp::Mul => a * b,
            BinOp::Div => a / b,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AggOp {
    Sum,
    Avg,
    Max,
    Min,
    Count,
}

impl AggOp {
    fn from_keyword(word: &str) -> Option<AggOp> {
        Some(match word {
            "sum" => AggOp::Sum,
            "avg" => AggOp::Avg,
            "max" => AggOp::Max,
            "min" => AggOp::Min,
            "count" => AggOp::Count,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            AggOp::Sum => "sum",
            AggOp::Avg => "avg",
            AggOp::Max => "max",
            AggOp::Min => "min",
            AggOp::Count => "count",
        }
    }
}

/// Which labels an aggregation keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Grouping {
    /// One group of everything, with no labels.
    All,
    /// Only these labels.
    By(Vec<String>),
    /// All labels but these and the metric name.
    Without(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeFunc {
    Rate,
    Irate,
    Increase,
    AvgOverTime,
    MaxOverTime,
    MinOverTime,
    SumOverTime,
}

impl RangeFunc {
    fn from_name(name: &str) -> Option<RangeFunc> {
        Some(match name {
            "rate" => RangeFunc::Rate,
            "irate" => RangeFunc::Irate,
            "increase" => RangeFunc::Increase,
            "avg_over_time" => RangeFunc::AvgOverTime,
            "max_over_time" => RangeFunc::MaxOverTime,
            "min_over_time" => RangeFunc::MinOverTime,
            "sum_over_time" => RangeFunc::SumOverTime,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            RangeFunc::Rate => "rate",
            RangeFunc::Irate => "irate",
            RangeFunc::Increase => "increase",
            RangeFunc::AvgOverTime => "avg_over_time",
            RangeFunc::MaxOverTime => "max_over_time",
            RangeFunc::MinOverTime => "min_over_time",
            RangeFunc::SumOverTime => "sum_over_time",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClampSide {
    Min,
    Max,
}

// ---------------------------------------------------------------------------------------
// Errors.

/// A query that does not parse: where, what was expected, and for constructs outside the
/// subset, what is supported instead.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("PromQL error at byte {offset}: {message}{}", hint_suffix(.hint.as_deref()))]
pub(crate) struct PromqlError {
    /// Byte offset into the query.
    pub(crate) offset: usize,
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
}

fn hint_suffix(hint: Option<&str>) -> String {
    hint.map(|h| format!(" (hint: {h})")).unwrap_or_default()
}

impl PromqlError {
    fn new(offset: usize, message: impl Into<String>) -> Self {
        PromqlError {
            offset,
            message: message.into(),
            hint: None,
        }
    }

    /// `what` is outside the subset.
    fn unsupported(offset: usize, what: &str) -> Self {
        PromqlError {
            offset,
            message: format!("{what} is not supported by the simulator's PromQL subset"),
            hint: Some(SUPPORTED.to_string()),
        }
    }

    /// The query on one line and a caret under the offending character, for a person.
    pub(crate) fn pointed(&self, query: &str) -> String {
        let before = query.get(..self.offset).unwrap_or(query);
        let column = before.chars().count();
        format!("{query}\n{}^ {}", " ".repeat(column), self.message)
    }
}

/// A parsed query that cannot be evaluated against this data.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum EvalError {
    /// Only for a hand-built `Expr`: the parser checks types.
    #[error("expected {expected} from `{expr}`, got {got}")]
    TypeMismatch {
        expected: &'static str,
        got: &'static str,
        expr: String,
    },
    #[error(
        "found duplicate series for the match group {group} on the right-hand side of `{op}`: {first} and {second}; \
         many-to-many matching is not allowed: matching labels must be unique on one side"
    )]
    DuplicateRight {
        op: &'static str,
        group: String,
        first: String,
        second: String,
    },
    #[error(
        "multiple series on the left-hand side of `{op}` match {group}; many-to-one matching needs group_left, \
         which the simulator's PromQL subset does not support"
    )]
    ManyToOne { op: &'static str, group: String },
}

/// `query`'s error: the query did not parse, or could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum QueryError {
    #[error(transparent)]
    Parse(#[from] PromqlError),
    #[error(transparent)]
    Eval(#[from] EvalError),
}

// ---------------------------------------------------------------------------------------
// Lexer.

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Colon,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Caret,
    Assign,
    NotEq,
    ReMatch,
    ReNotMatch,
    EqEq,
    Lt,
    Le,
    Gt,
    Ge,
    At,
    Number(f64),
    Duration(SimDuration),
    Str(String),
    Ident(String),
    Eof,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

/// Reads tokens on demand, so that the first error reported is the leftmost one.
struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    peeked: Option<Token>,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Self {
        Lexer {
            src,
            pos: 0,
            peeked: None,
        }
    }

    fn peek(&mut self) -> Result<Token, PromqlError> {
        if let Some(t) = &self.peeked {
            return Ok(t.clone());
        }
        let t = self.lex()?;
        self.peeked = Some(t.clone());
        Ok(t)
    }

    fn next(&mut self) -> Result<Token, PromqlError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lex(),
        }
    }

    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.src.as_bytes().get(at).copied()
    }

    fn skip_blanks(&mut self) {
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start();
            self.pos += rest.len() - trimmed.len();
            if !trimmed.starts_with('#') {
                return;
            }
            // A comment runs to the end of the line.
            self.pos += trimmed.find('\n').unwrap_or(trimmed.len());
        }
    }

    fn lex(&mut self) -> Result<Token, PromqlError> {
        self.skip_blanks();
        let start = self.pos;
        let Some(c) = self.rest().chars().next() else {
            return Ok(Token {
                tok: Tok::Eof,
                start,
                end: start,
            });
        };
        let two = |second: u8| self.byte(start + 1) == Some(second);
        let (tok, len) = match c {
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            '{' => (Tok::LBrace, 1),
            '}' => (Tok::RBrace, 1),
            '[' => (Tok::LBracket, 1),
            ']' => (Tok::RBracket, 1),
            ',' => (Tok::Comma, 1),
            '+' => (Tok::Plus, 1),
            '-' => (Tok::Minus, 1),
            '*' => (Tok::Star, 1),
            '/' => (Tok::Slash, 1),
            '%' => (Tok::Percent, 1),
            '^' => (Tok::Caret, 1),
            '@' => (Tok::At, 1),
            '=' if two(b'~') => (Tok::ReMatch, 2),
            '=' if two(b'=') => (Tok::EqEq, 2),
            '=' => (Tok::Assign, 1),
            '!' if two(b'=') => (Tok::NotEq, 2),
            '!' if two(b'~') => (Tok::ReNotMatch, 2),
            '!' => return Err(PromqlError::new(start, "unexpected `!`; expected `!=` or `!~`")),
            '<' if two(b'=') => (Tok::Le, 2),
            '<' => (Tok::Lt, 1),
            '>' if two(b'=') => (Tok::Ge, 2),
            '>' => (Tok::Gt, 1),
            '"' | '\'' => return self.quoted(c),
            '`' => return self.raw_string(),
            '0'..='9' => return self.number_or_duration(),
            '.' if self.byte(start + 1).is_some_and(|b| b.is_ascii_digit()) => return self.number_or_duration(),
            c if c.is_ascii_alphabetic() || c == '_' => return Ok(self.identifier()),
            // A metric name may start with `:` (recording rules); a `:` before a digit or
            // alone is a subquery's step separator (`[5m:1m]`).
            ':' if self
                .byte(start + 1)
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b':') =>
            {
                return Ok(self.identifier())
            }
            ':' => (Tok::Colon, 1),
            other => return Err(PromqlError::new(start, format!("unexpected character `{other}`"))),
        };
        self.pos += len;
        Ok(Token {
            tok,
            start,
            end: self.pos,
        })
    }

    fn identifier(&mut self) -> Token {
        let start = self.pos;
        let len = self.rest().bytes().take_while(|b| is_ident_byte(*b)).count();
        self.pos += len;
        let word = &self.src[start..self.pos];
        // `Inf` and `NaN` are numbers in any case, as in Prometheus' lexer.
        let tok = if word.eq_ignore_ascii_case("inf") {
            Tok::Number(f64::INFINITY)
        } else if word.eq_ignore_ascii_case("nan") {
            Tok::Number(f64::NAN)
        } else {
            Tok::Ident(word.to_string())
        };
        Token {
            tok,
            start,
            end: self.pos,
        }
    }

    /// A number, or a duration when digits run straight into a unit (`5m`, `1h30m`).
    fn number_or_duration(&mut self) -> Result<Token, PromqlError> {
        let start = self.pos;
        let rest = self.rest();
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && rest.as_bytes().get(digits).is_some_and(|b| b"smhdwy".contains(b)) {
            return self.duration();
        }
        let len = if rest.starts_with("0x") || rest.starts_with("0X") {
            2 + rest[2..].bytes().take_while(u8::is_ascii_hexdigit).count()
        } else {
            decimal_len(rest)
        };
        let text = &rest[..len];
        self.pos += len;
        if self.byte(self.pos).is_some_and(is_word_byte) {
            let bad_end = self.pos + self.rest().bytes().take_while(|b| is_word_byte(*b)).count();
            return Err(PromqlError::new(
                start,
                format!("bad number or duration syntax `{}`", &self.src[start..bad_end]),
            ));
        }
        let value = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            Some(hex) => u64::from_str_radix(hex, 16).ok().map(|v| v as f64),
            None => text.parse::<f64>().ok(),
        };
        let Some(value) = value else {
            return Err(PromqlError::new(start, format!("bad number syntax `{text}`")));
        };
        Ok(Token {
            tok: Tok::Number(value),
            start,
            end: self.pos,
        })
    }

    /// Prometheus' duration syntax (`model.ParseDuration`): integer amounts of y, w, d, h,
    /// m, s, ms, each unit at most once and in that order.
    fn duration(&mut self) -> Result<Token, PromqlError> {
        const UNITS: [(&str, u64); 7] = [
            ("y", 365 * 86_400_000),
            ("w", 7 * 86_400_000),
            ("d", 86_400_000),
            ("h", 3_600_000),
            ("ms", 1),
            ("m", 60_000),
            ("s", 1000),
        ];
        // The order units must come in; "ms" is tried before "m" above only to lex it.
        const ORDER: [&str; 7] = ["y", "w", "d", "h", "m", "s", "ms"];
        let start = self.pos;
        let mut total: u64 = 0;
        let mut last_rank: Option<usize> = None;
        while self.byte(self.pos).is_some_and(|b| b.is_ascii_digit()) {
            let rest = self.rest();
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let amount: u64 = rest[..digits].parse().unwrap_or(u64::MAX);
            let after = &rest[digits..];
            let Some((unit, ms)) = UNITS.iter().find(|(u, _)| after.starts_with(u)) else {
                return Err(PromqlError::new(
                    self.pos + digits,
                    "expected a duration unit (ms, s, m, h, d, w or y) after the number",
                ));
            };
            let rank = ORDER.iter().position(|u| u == unit).unwrap_or(0);
            if last_rank.is_some_and(|r| r >= rank) {
                return Err(PromqlError::new(
                    start,
                    "bad duration: units must go from the largest to the smallest, each once (e.g. `1h30m`)",
                ));
            }
            last_rank = Some(rank);
            total = amount.saturating_mul(*ms).saturating_add(total);
            self.pos += digits + unit.len();
        }
        if self.byte(self.pos).is_some_and(is_word_byte) {
            return Err(PromqlError::new(
                start,
                format!("bad duration syntax `{}`", &self.src[start..self.pos + 1]),
            ));
        }
        if total > SimDuration::MAX.0 {
            return Err(PromqlError::new(
                start,
                "duration is longer than the simulator's limit of 365d",
            ));
        }
        Ok(Token {
            tok: Tok::Duration(SimDuration(total)),
            start,
            end: self.pos,
        })
    }

    /// A `"…"` or `'…'` string with Go's escapes.
    fn quoted(&mut self, quote: char) -> Result<Token, PromqlError> {
        let start = self.pos;
        let mut out = String::new();
        let mut chars = self.src[start + 1..].char_indices();
        loop {
            let Some((i, c)) = chars.next() else {
                return Err(PromqlError::new(
                    start,
                    format!("unterminated string: expected a closing {quote}"),
                ));
            };
            let at = start + 1 + i;
            match c {
                c if c == quote => {
                    self.pos = at + 1;
                    return Ok(Token {
                        tok: Tok::Str(out),
                        start,
                        end: self.pos,
                    });
                }
                '\n' => {
                    return Err(PromqlError::new(
                        start,
                        format!("unterminated string: expected a closing {quote} before the end of the line"),
                    ))
                }
                '\\' => out.push(escape(&mut chars, at, quote)?),
                c => out.push(c),
            }
        }
    }

    fn raw_string(&mut self) -> Result<Token, PromqlError> {
        let start = self.pos;
        let body = &self.src[start + 1..];
        let Some(len) = body.find('`') else {
            return Err(PromqlError::new(start, "unterminated raw string: expected a closing `"));
        };
        self.pos = start + 1 + len + 1;
        Ok(Token {
            tok: Tok::Str(body[..len].to_string()),
            start,
            end: self.pos,
        })
    }
}

fn is_ident_byte(b: u8) -> bool {
    is_word_byte(b) || b == b':'
}

/// What may not directly follow a number or a duration (a `:` may: `[5m:1m]`).
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The length of the decimal number at the start of `s`: digits, a fraction, an exponent.
fn decimal_len(s: &str) -> usize {
    let b = s.as_bytes();
    let digits_from = |i: usize| b[i.min(b.len())..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = digits_from(0);
    if b.get(i) == Some(&b'.') {
        i += 1 + digits_from(i + 1);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
        let exp = digits_from(i + 1 + sign);
        // Without exponent digits the `e` is not part of the number.
        if exp > 0 {
            i += 1 + sign + exp;
        }
    }
    i
}

/// One escape sequence after a backslash at byte `at` (Go's `strconv.Unquote`).
fn escape(chars: &mut std::str::CharIndices<'_>, at: usize, quote: char) -> Result<char, PromqlError> {
    let bad = || PromqlError::new(at, "unknown escape sequence in the string");
    let Some((_, c)) = chars.next() else { return Err(bad()) };
    let mut hex = |n: usize| -> Result<char, PromqlError> {
        let mut v: u32 = 0;
        for _ in 0..n {
            let d = chars.next().and_then(|(_, c)| c.to_digit(16)).ok_or_else(bad)?;
            v = v * 16 + d;
        }
        char::from_u32(v).ok_or_else(|| PromqlError::new(at, "escape sequence is not a valid character"))
    };
    Ok(match c {
        'a' => '\u{7}',
        'b' => '\u{8}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'v' => '\u{b}',
        '\\' => '\\',
        c if c == quote => c,
        'x' => hex(2)?,
        'u' => hex(4)?,
        'U' => hex(8)?,
        '0'..='7' => {
            let mut v = c.to_digit(8).unwrap_or(0);
            for _ in 0..2 {
                let d = chars.next().and_then(|(_, c)| c.to_digit(8)).ok_or_else(bad)?;
                v = v * 8 + d;
            }
            char::from_u32(v).ok_or_else(bad)?
        }
        _ => return Err(bad()),
    })
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Eof => "the end of the query".to_string(),
        Tok::Number(v) => format!("number `{}`", Num(*v)),
        Tok::Duration(d) => format!("duration `{d}`"),
        Tok::Str(s) => format!("string \"{}\"", escaped(s)),
        Tok::Ident(w) => format!("`{w}`"),
        other => format!("`{}`", punctuation(other)),
    }
}

fn punctuation(tok: &Tok) -> &'static str {
    match tok {
        Tok::LParen => "(",
        Tok::RParen => ")",
        Tok::LBrace => "{",
        Tok::RBrace => "}",
        Tok::LBracket => "[",
        Tok::RBracket => "]",
        Tok::Comma => ",",
        Tok::Colon => ":",
        Tok::Plus => "+",
        Tok::Minus => "-",
        Tok::Star => "*",
        Tok::Slash => "/",
        Tok::Percent => "%",
        Tok::Caret => "^",
        Tok::Assign => "=",
        Tok::NotEq => "!=",
        Tok::ReMatch => "=~",
        Tok::ReNotMatch => "!~",
        Tok::EqEq => "==",
        Tok::Lt => "<",
        Tok::Le => "<=",
        Tok::Gt => ">",
        Tok::Ge => ">=",
        Tok::At => "@",
        Tok::Number(_) | Tok::Duration(_) | Tok::Str(_) | Tok::Ident(_) | Tok::Eof => "",
    }
}

// ---------------------------------------------------------------------------------------
// Parser.

/// Parses a query of the subset.
pub(crate) fn parse(query: &str) -> Result<Expr, PromqlError> {
    let mut p = Parser {
        lex: Lexer::new(query),
        nesting: 0,
    };
    let (expr, _) = p.expr()?;
    let tok = p.lex.next()?;
    if tok.tok == Tok::Eof {
        return Ok(expr);
    }
    Err(trailing(&tok))
}

/// An expression and the depth of its tree.
type Parsed = (Expr, usize);

struct Parser<'a> {
    lex: Lexer<'a>,
    /// How deep the parser has recursed, bounded before the tree is built.
    nesting: usize,
}

impl Parser<'_> {
    fn peek(&mut self) -> Result<Token, PromqlError> {
        self.lex.peek()
    }

    fn next(&mut self) -> Result<Token, PromqlError> {
        self.lex.next()
    }

    /// Consumes the next token if it is `want`, otherwise fails with `expected`.
    fn expect(&mut self, want: &Tok, expected: &str) -> Result<Token, PromqlError> {
        let tok = self.next()?;
        if &tok.tok == want {
            return Ok(tok);
        }
        Err(PromqlError::new(
            tok.start,
            format!("{expected}, found {}", describe(&tok.tok)),
        ))
    }

    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, PromqlError>) -> Result<T, PromqlError> {
        if self.nesting >= MAX_DEPTH {
            let at = self.peek()?.start;
            return Err(too_deep(at));
        }
        self.nesting += 1;
        let out = f(self);
        self.nesting -= 1;
        out
    }

    /// Additive level: `term (('+' | '-') term)*`.
    fn expr(&mut self) -> Result<Parsed, PromqlError> {
        self.nested(|p| {
            let (mut lhs, mut depth) = p.term()?;
            loop {
                let tok = p.peek()?;
                let op = match tok.tok {
                    Tok::Plus => BinOp::Add,
                    Tok::Minus => BinOp::Sub,
                    _ => return Ok((lhs, depth)),
                };
                p.next()?;
                p.reject_matching_modifier()?;
                let (rhs, rhs_depth) = p.term()?;
                depth = deeper(depth.max(rhs_depth), tok.start)?;
                lhs = binary(op, lhs, rhs);
            }
        })
    }

    /// Multiplicative level: `unary (('*' | '/') unary)*`.
    fn term(&mut self) -> Result<Parsed, PromqlError> {
        let (mut lhs, mut depth) = self.unary()?;
        loop {
            let tok = self.peek()?;
            let op = match tok.tok {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                _ => {
                    // Every operand is followed by this check, so an operator outside the
                    // subset is reported where it stands.
                    if let Some(what) = unsupported_operator(&tok.tok) {
                        return Err(PromqlError::unsupported(tok.start, &what));
                    }
                    return Ok((lhs, depth));
                }
            };
            self.next()?;
            self.reject_matching_modifier()?;
            let (rhs, rhs_depth) = self.unary()?;
            depth = deeper(depth.max(rhs_depth), tok.start)?;
            lhs = binary(op, lhs, rhs);
        }
    }

    /// `('-' | '+')* primary`, a minus on a number literal folded into it.
    fn unary(&mut self) -> Result<Parsed, PromqlError> {
        let tok = self.peek()?;
        let negate = match tok.tok {
            Tok::Minus => true,
            Tok::Plus => false,
            _ => {
                let parsed = self.primary()?;
                self.reject_postfix(&parsed.0)?;
                return Ok(parsed);
            }
        };
        self.next()?;
        let (inner, depth) = self.nested(Self::unary)?;
        Ok(match (negate, inner) {
            (true, Expr::Number(v)) => (Expr::Number(-v), depth),
            (true, inner) => (Expr::Negate(Box::new(inner)), deeper(depth, tok.start)?),
            (false, inner) => (inner, depth),
        })
    }

    fn primary(&mut self) -> Result<Parsed, PromqlError> {
        let tok = self.next()?;
        let start = tok.start;
        match tok.tok {
            Tok::Number(v) => Ok((Expr::Number(v), 1)),
            Tok::LParen => {
                let (inner, depth) = self.expr()?;
                self.expect(&Tok::RParen, &format!("expected `)` to close the `(` at byte {start}"))?;
                Ok((Expr::Paren(Box::new(inner)), deeper(depth, start)?))
            }
            Tok::Ident(word) => self.identifier(word, start),
            Tok::Str(_) => Err(PromqlError::new(
                start,
                "a string is only allowed as a label matcher's value, e.g. `metric{pod=\"a\"}`",
            )),
            Tok::Duration(_) => Err(PromqlError::new(
                start,
                "a duration is only allowed as the range of a range selector, e.g. `rate(metric[5m])`",
            )),
            Tok::LBrace => Err(PromqlError {
                offset: start,
                message: "expected a metric name before `{`".to_string(),
                hint: Some("the simulator's PromQL subset selects series by metric name, e.g. `metric{pod=\"a\"}`".into()),
            }),
            Tok::Eof => Err(PromqlError::new(start, "unexpected end of the query; expected an expression")),
            other => Err(PromqlError::new(
                start,
                format!(
                    "unexpected {}; expected an expression (a number, a metric name, a function, an aggregation or `(`)",
                    describe(&other)
                ),
            )),
        }
    }

    fn identifier(&mut self, word: String, start: usize) -> Result<Parsed, PromqlError> {
        let lower = word.to_ascii_lowercase();
        if let Some(op) = AggOp::from_keyword(&lower) {
            return self.aggregation(op, start);
        }
        if UNSUPPORTED_AGGREGATIONS.contains(&lower.as_str()) {
            return Err(PromqlError::unsupported(start, &format!("the `{lower}` aggregation")));
        }
        if let Some(err) = misplaced_keyword(&lower, start) {
            return Err(err);
        }
        if self.peek()?.tok == Tok::LParen {
            return self.call(word, start);
        }
        let selector = self.selector(word)?;
        Ok((Expr::Selector(selector), 1))
    }

    /// `offset`, `@` and a range after an operand (a range selector outside a function, or
    /// a subquery).
    fn reject_postfix(&mut self, operand: &Expr) -> Result<(), PromqlError> {
        let tok = self.peek()?;
        match &tok.tok {
            Tok::LBracket if matches!(operand, Expr::Selector(_)) => Err(PromqlError::new(
                tok.start,
                "a range selector such as `[5m]` is only supported as the argument of rate, irate, increase, \
                 avg_over_time, max_over_time, min_over_time or sum_over_time",
            )),
            Tok::LBracket => Err(PromqlError::unsupported(tok.start, "a subquery (`expr[range:step]`)")),
            _ => self.reject_modifiers(),
        }
    }

    /// `offset` and `@` after a selector.
    fn reject_modifiers(&mut self) -> Result<(), PromqlError> {
        let tok = self.peek()?;
        match &tok.tok {
            Tok::Ident(w) if w.eq_ignore_ascii_case("offset") => {
                Err(PromqlError::unsupported(tok.start, "the `offset` modifier"))
            }
            Tok::At => Err(PromqlError::unsupported(tok.start, "the `@` modifier")),
            _ => Ok(()),
        }
    }

    /// `bool`, `on(...)`, `ignoring(...)`, `group_left`, `group_right` after an operator.
    fn reject_matching_modifier(&mut self) -> Result<(), PromqlError> {
        let tok = self.peek()?;
        let Tok::Ident(w) = &tok.tok else { return Ok(()) };
        let w = w.to_ascii_lowercase();
        match w.as_str() {
            "bool" => Err(PromqlError::unsupported(tok.start, "the `bool` modifier")),
            "on" | "ignoring" | "group_left" | "group_right" => Err(PromqlError::unsupported(
                tok.start,
                &format!("vector matching with `{w}` (vectors are matched one to one on all labels)"),
            )),
            _ => Ok(()),
        }
    }

    /// `name` or `name{matchers}`.
    fn selector(&mut self, name: String) -> Result<Selector, PromqlError> {
        let mut matchers = Vec::new();
        if self.peek()?.tok != Tok::LBrace {
            return Ok(Selector { name, matchers });
        }
        let open = self.next()?;
        loop {
            let tok = self.next()?;
            let label = match tok.tok {
                Tok::RBrace => break,
                Tok::Ident(label) => label_name(label, tok.start)?,
                Tok::Str(_) => {
                    return Err(PromqlError::unsupported(
                        tok.start,
                        "a quoted label name (write the label name bare, e.g. `{pod=\"a\"}`)",
                    ))
                }
                Tok::Eof => {
                    return Err(PromqlError::new(
                        tok.start,
                        format!(
                            "expected `}}` to close the label matchers opened at byte {}",
                            open.start
                        ),
                    ))
                }
                other => {
                    return Err(PromqlError::new(
                        tok.start,
                        format!(
                            "expected a label name in the label matchers, found {}",
                            describe(&other)
                        ),
                    ))
                }
            };
            matchers.push(self.matcher(label)?);
            let sep = self.next()?;
            match sep.tok {
                Tok::Comma => {}
                Tok::RBrace => break,
                other => {
                    return Err(PromqlError::new(
                        sep.start,
                        format!("expected `,` or `}}` after a label matcher, found {}", describe(&other)),
                    ))
                }
            }
        }
        Ok(Selector { name, matchers })
    }

    /// The operator and value of a matcher on `label`.
    fn matcher(&mut self, label: String) -> Result<Matcher, PromqlError> {
        let op_tok = self.next()?;
        let kind = match op_tok.tok {
            Tok::Assign | Tok::NotEq | Tok::ReMatch | Tok::ReNotMatch => op_tok.tok.clone(),
            Tok::EqEq => return Err(PromqlError::new(op_tok.start, "use `=`, not `==`, in a label matcher")),
            other => {
                return Err(PromqlError::new(
                    op_tok.start,
                    format!(
                        "expected a label matching operator (`=`, `!=`, `=~` or `!~`) after `{label}`, found {}",
                        describe(&other)
                    ),
                ))
            }
        };
        let value_tok = self.next()?;
        let Tok::Str(value) = value_tok.tok else {
            return Err(PromqlError::new(
                value_tok.start,
                format!(
                    "expected a quoted string after `{label}{}`, found {}",
                    punctuation(&kind),
                    describe(&value_tok.tok)
                ),
            ));
        };
        let regex = |value: &str| {
            AnchoredRegex::new(value).map_err(|e| {
                PromqlError::new(
                    value_tok.start,
                    format!("invalid regular expression in the label matcher: {e}"),
                )
            })
        };
        let op = match kind {
            Tok::Assign => MatchOp::Equal(value),
            Tok::NotEq => MatchOp::NotEqual(value),
            Tok::ReMatch => MatchOp::Regex(regex(&value)?),
            _ => MatchOp::NotRegex(regex(&value)?),
        };
        Ok(Matcher { label, op })
    }

    /// `op [grouping] (expr) [grouping]`.
    fn aggregation(&mut self, op: AggOp, start: usize) -> Result<Parsed, PromqlError> {
        let name = op.name();
        let mut grouping = self.grouping()?;
        let expected = match grouping {
            Some(_) => "expected `(` and the aggregated expression after the grouping labels".to_string(),
            None => format!("expected `(` after `{name}`"),
        };
        self.expect(&Tok::LParen, &expected)?;
        let arg_start = self.peek()?.start;
        let (inner, depth) = self.expr()?;
        let close = self.next()?;
        match close.tok {
            Tok::RParen => {}
            Tok::Comma => {
                return Err(PromqlError::new(close.start, format!("`{name}` takes one argument")));
            }
            other => {
                return Err(PromqlError::new(
                    close.start,
                    format!(
                        "expected `)` after the argument of `{name}`, found {}",
                        describe(&other)
                    ),
                ))
            }
        }
        let at = self.peek()?.start;
        if let Some(trailing) = self.grouping()? {
            if grouping.is_some() {
                return Err(PromqlError::new(
                    at,
                    "an aggregation takes one `by` or `without` clause",
                ));
            }
            grouping = Some(trailing);
        }
        require(
            &inner,
            ValueType::Vector,
            arg_start,
            &format!("the argument of `{name}`"),
        )?;
        Ok((
            Expr::Aggregate {
                op,
                grouping: grouping.unwrap_or(Grouping::All),
                expr: Box::new(inner),
            },
            deeper(depth, start)?,
        ))
    }

    /// `by (l, ...)` or `without (l, ...)`, if next.
    fn grouping(&mut self) -> Result<Option<Grouping>, PromqlError> {
        let tok = self.peek()?;
        let Tok::Ident(word) = &tok.tok else { return Ok(None) };
        let keyword = word.to_ascii_lowercase();
        if keyword != "by" && keyword != "without" {
            return Ok(None);
        }
        self.next()?;
        self.expect(
            &Tok::LParen,
            &format!("expected `(` and a list of label names after `{keyword}`"),
        )?;
        let mut labels = Vec::new();
        loop {
            let tok = self.next()?;
            match tok.tok {
                Tok::RParen => break,
                Tok::Ident(label) => labels.push(label_name(label, tok.start)?),
                other => {
                    return Err(PromqlError::new(
                        tok.start,
                        format!(
                            "expected a label name or `)` in the `{keyword}` list, found {}",
                            describe(&other)
                        ),
                    ))
                }
            }
            let sep = self.next()?;
            match sep.tok {
                Tok::Comma => {}
                Tok::RParen => break,
                other => {
                    return Err(PromqlError::new(
                        sep.start,
                        format!(
                            "expected `,` or `)` after a label name in the `{keyword}` list, found {}",
                            describe(&other)
                        ),
                    ))
                }
            }
        }
        Ok(Some(if keyword == "by" {
            Grouping::By(labels)
        } else {
            Grouping::Without(labels)
        }))
    }

    /// `name(args)`; the next token is `(`.
    fn call(&mut self, name: String, start: usize) -> Result<Parsed, PromqlError> {
        if let Some(func) = RangeFunc::from_name(&name) {
            self.next()?;
            let (selector, range) = self.range_argument(func)?;
            self.close_call(&name, 1)?;
            return Ok((Expr::Range { func, selector, range }, 2));
        }
        let (expr, depth) = match name.as_str() {
            "histogram_quantile" => {
                self.next()?;
                let (phi, d1) = self.argument(ValueType::Scalar, "the first argument of `histogram_quantile` (φ)")?;
                self.comma(&name, 2)?;
                let (buckets, d2) = self.argument(ValueType::Vector, "the second argument of `histogram_quantile`")?;
                let expr = Expr::HistogramQuantile {
                    phi: Box::new(phi),
                    buckets: Box::new(buckets),
                };
                (expr, d1.max(d2))
            }
            "clamp_min" | "clamp_max" => {
                self.next()?;
                let (expr, d1) = self.argument(ValueType::Vector, &format!("the first argument of `{name}`"))?;
                self.comma(&name, 2)?;
                let (bound, d2) = self.argument(ValueType::Scalar, &format!("the second argument of `{name}`"))?;
                let side = if name == "clamp_min" {
                    ClampSide::Min
                } else {
                    ClampSide::Max
                };
                let expr = Expr::Clamp {
                    side,
                    expr: Box::new(expr),
                    bound: Box::new(bound),
                };
                (expr, d1.max(d2))
            }
            "scalar" => {
                self.next()?;
                let (arg, d) = self.argument(ValueType::Vector, "the argument of `scalar`")?;
                (Expr::Scalar(Box::new(arg)), d)
            }
            "vector" => {
                self.next()?;
                let (arg, d) = self.argument(ValueType::Scalar, "the argument of `vector`")?;
                (Expr::Vector(Box::new(arg)), d)
            }
            _ if PROMETHEUS_FUNCTIONS.contains(&name.as_str()) => {
                return Err(PromqlError::unsupported(start, &format!("the function `{name}`")));
            }
            _ => {
                return Err(PromqlError {
                    offset: start,
                    message: format!("unknown function `{name}`"),
                    hint: Some(SUPPORTED.to_string()),
                })
            }
        };
        let arity = if matches!(expr, Expr::Scalar(_) | Expr::Vector(_)) {
            1
        } else {
            2
        };
        self.close_call(&name, arity)?;
        Ok((expr, deeper(depth, start)?))
    }

    fn argument(&mut self, want: ValueType, what: &str) -> Result<Parsed, PromqlError> {
        let start = self.peek()?.start;
        let parsed = self.expr()?;
        require(&parsed.0, want, start, what)?;
        Ok(parsed)
    }

    fn comma(&mut self, name: &str, arity: usize) -> Result<(), PromqlError> {
        let tok = self.next()?;
        match tok.tok {
            Tok::Comma => Ok(()),
            Tok::RParen => Err(PromqlError::new(tok.start, format!("`{name}` takes {arity} arguments"))),
            other => Err(PromqlError::new(
                tok.start,
                format!(
                    "expected `,` and the next argument of `{name}`, found {}",
                    describe(&other)
                ),
            )),
        }
    }

    fn close_call(&mut self, name: &str, arity: usize) -> Result<(), PromqlError> {
        let tok = self.next()?;
        match tok.tok {
            Tok::RParen => Ok(()),
            Tok::Comma => {
                let n = if arity == 1 {
                    "one argument".to_string()
                } else {
                    format!("{arity} arguments")
                };
                Err(PromqlError::new(tok.start, format!("`{name}` takes {n}")))
            }
            other => Err(PromqlError::new(
                tok.start,
                format!(
                    "expected `)` after the arguments of `{name}`, found {}",
                    describe(&other)
                ),
            )),
        }
    }

    /// `selector[range]`, the argument of a range function.
    fn range_argument(&mut self, func: RangeFunc) -> Result<(Selector, SimDuration), PromqlError> {
        let f = func.name();
        let tok = self.next()?;
        let name = match tok.tok {
            Tok::Ident(word) => {
                let lower = word.to_ascii_lowercase();
                let is_call = self.peek()?.tok == Tok::LParen || AggOp::from_keyword(&lower).is_some();
                if is_call {
                    return Err(PromqlError::unsupported(
                        tok.start,
                        &format!("`{f}` over a function or an aggregation (a subquery)"),
                    ));
                }
                if let Some(err) = misplaced_keyword(&lower, tok.start) {
                    return Err(err);
                }
                word
            }
            other => {
                return Err(PromqlError::new(
                    tok.start,
                    format!(
                        "expected a metric selector with a range as the argument of `{f}`, e.g. `{f}(metric[5m])`, found {}",
                        describe(&other)
                    ),
                ))
            }
        };
        let selector = self.selector(name)?;
        let open = self.next()?;
        if open.tok != Tok::LBracket {
            return Err(PromqlError::new(
                open.start,
                format!(
                    "expected a range such as `[5m]` after the selector: `{f}` takes a range vector, found {}",
                    describe(&open.tok)
                ),
            ));
        }
        let d = self.next()?;
        let range = match d.tok {
            Tok::Duration(range) if range > SimDuration::ZERO => range,
            Tok::Duration(_) => return Err(PromqlError::new(d.start, "a range must be longer than zero")),
            other => {
                return Err(PromqlError::new(
                    d.start,
                    format!(
                        "expected a duration such as `5m` or `1m30s` in the range, found {}",
                        describe(&other)
                    ),
                ))
            }
        };
        let close = self.next()?;
        match close.tok {
            Tok::RBracket => {}
            Tok::Colon => return Err(PromqlError::unsupported(close.start, "a subquery (`expr[range:step]`)")),
            other => {
                return Err(PromqlError::new(
                    close.start,
                    format!("expected `]` after the range's duration, found {}", describe(&other)),
                ))
            }
        }
        self.reject_modifiers()?;
        Ok((selector, range))
    }
}

/// The error for a keyword where an expression should start, if `word` is one.
fn misplaced_keyword(word: &str, at: usize) -> Option<PromqlError> {
    Some(match word {
        "by" | "without" => PromqlError::new(
            at,
            format!("`{word}` must follow an aggregation operator (sum, avg, max, min or count)"),
        ),
        "offset" => PromqlError::unsupported(at, "the `offset` modifier"),
        "bool" | "on" | "ignoring" | "group_left" | "group_right" => {
            PromqlError::unsupported(at, &format!("the `{word}` modifier"))
        }
        "and" | "or" | "unless" | "atan2" => PromqlError::unsupported(at, &format!("the `{word}` operator")),
        _ => return None,
    })
}

/// The description of a binary operator outside the subset.
fn unsupported_operator(tok: &Tok) -> Option<String> {
    match tok {
        Tok::Percent | Tok::Caret => Some(format!("the `{}` operator", punctuation(tok))),
        Tok::EqEq | Tok::NotEq | Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge => {
            Some(format!("the comparison operator `{}`", punctuation(tok)))
        }
        Tok::Ident(w) => {
            let w = w.to_ascii_lowercase();
            matches!(w.as_str(), "and" | "or" | "unless" | "atan2").then(|| format!("the `{w}` operator"))
        }
        _ => None,
    }
}

/// The error for a token after a complete query.
fn trailing(tok: &Token) -> PromqlError {
    if let Some(what) = unsupported_operator(&tok.tok) {
        return PromqlError::unsupported(tok.start, &what);
    }
    match &tok.tok {
        Tok::Ident(w) => {
            if let Some(err) = misplaced_keyword(&w.to_ascii_lowercase(), tok.start) {
                return err;
            }
        }
        Tok::At => return PromqlError::unsupported(tok.start, "the `@` modifier"),
        Tok::RParen => return PromqlError::new(tok.start, "unexpected `)` without a matching `(`"),
        _ => {}
    }
    PromqlError::new(
        tok.start,
        format!(
            "unexpected {} after a complete expression; expected an operator (`+`, `-`, `*`, `/`) or the end of the query",
            describe(&tok.tok)
        ),
    )
}

fn label_name(label: String, at: usize) -> Result<String, PromqlError> {
    if label.contains(':') {
        return Err(PromqlError::new(at, format!("label name `{label}` cannot contain `:`")));
    }
    Ok(label)
}

fn require(expr: &Expr, want: ValueType, at: usize, what: &str) -> Result<(), PromqlError> {
    let got = expr.value_type();
    if got == want {
        return Ok(());
    }
    Err(PromqlError::new(
        at,
        format!("expected {} as {what}, got {}", want.described(), got.described()),
    ))
}

fn deeper(depth: usize, at: usize) -> Result<usize, PromqlError> {
    if depth >= MAX_DEPTH {
        return Err(too_deep(at));
    }
    Ok(depth + 1)
}

fn too_deep(at: usize) -> PromqlError {
    PromqlError::new(at, format!("the query nests more than {MAX_DEPTH} levels deep"))
}

fn binary(op: BinOp, lhs: Expr, rhs: Expr) -> Expr {
    Expr::Binary {
        op,
        lhs: Box::new(lhs),
        rhs: Box::new(rhs),
    }
}

// ---------------------------------------------------------------------------------------
// Printing: a parsed query prints as canonical PromQL that parses back to the same query.

/// A float as PromQL writes it.
struct Num(f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            v if v.is_nan() => f.write_str("NaN"),
            v if v == f64::INFINITY => f.write_str("Inf"),
            v if v == f64::NEG_INFINITY => f.write_str("-Inf"),
            v => write!(f, "{v}"),
        }
    }
}

/// The body of a double-quoted PromQL string.
fn escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if self.matchers.is_empty() {
            return Ok(());
        }
        let parts: Vec<String> = self
            .matchers
            .iter()
            .map(|m| {
                let (op, value) = match &m.op {
                    MatchOp::Equal(v) => ("=", v.as_str()),
                    MatchOp::NotEqual(v) => ("!=", v.as_str()),
                    MatchOp::Regex(re) => ("=~", re.pattern()),
                    MatchOp::NotRegex(re) => ("!~", re.pattern()),
                };
                format!("{}{op}\"{}\"", m.label, escaped(value))
            })
            .collect();
        write!(f, "{{{}}}", parts.join(", "))
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Number(v) => write!(f, "{}", Num(*v)),
            Expr::Selector(s) => write!(f, "{s}"),
            Expr::Paren(e) => write!(f, "({e})"),
            Expr::Negate(e) => write!(f, "-{e}"),
            Expr::Binary { op, lhs, rhs } => write!(f, "{lhs} {} {rhs}", op.symbol()),
            Expr::Aggregate { op, grouping, expr } => {
                f.write_str(op.name())?;
                match grouping {
                    Grouping::All => {}
                    Grouping::By(labels) => write!(f, " by ({}) ", labels.join(", "))?,
                    Grouping::Without(labels) => write!(f, " without ({}) ", labels.join(", "))?,
                }
                write!(f, "({expr})")
            }
            Expr::Range { func, selector, range } => write!(f, "{}({selector}[{range}])", func.name()),
            Expr::HistogramQuantile { phi, buckets } => write!(f, "histogram_quantile({phi}, {buckets})"),
            Expr::Clamp { side, expr, bound } => {
                let name = match side {
                    ClampSide::Min => "clamp_min",
                    ClampSide::Max => "clamp_max",
                };
                write!(f, "{name}({expr}, {bound})")
            }
            Expr::Scalar(e) => write!(f, "scalar({e})"),
            Expr::Vector(e) => write!(f, "vector({e})"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Evaluation.

/// An instant query's answer. A vector's elements come in a deterministic order: a
/// selector's in series creation order, an aggregation's or `histogram_quantile`'s in the
/// order their groups first appear, a binary operation's in its left operand's order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Scalar(f64),
    Vector(Vec<(Labels, f64)>),
}

impl Value {
    /// The elements of a vector; a scalar has none.
    pub(crate) fn samples(&self) -> &[(Labels, f64)] {
        match self {
            Value::Vector(v) => v,
            Value::Scalar(_) => &[],
        }
    }
}

type Vector = Vec<(Labels, f64)>;

/// Parses and evaluates `query` at `at`. An autoscaler that polls should `parse` once and
/// `eval` the `Expr` at each poll.
pub(crate) fn query(query: &str, db: &Tsdb, at: SimTime) -> Result<Value, QueryError> {
    let expr = parse(query)?;
    Ok(eval(&expr, db, at)?)
}

/// Evaluates a parsed query as an instant query at `at`.
pub(crate) fn eval(expr: &Expr, db: &Tsdb, at: SimTime) -> Result<Value, EvalError> {
    Ok(match expr {
        Expr::Number(v) => Value::Scalar(*v),
        Expr::Paren(e) => eval(e, db, at)?,
        Expr::Selector(selector) => Value::Vector(instant_vector(selector, db, at)),
        Expr::Negate(e) => match eval(e, db, at)? {
            Value::Scalar(v) => Value::Scalar(-v),
            Value::Vector(v) => Value::Vector(v.into_iter().map(|(l, x)| (without_name(l), -x)).collect()),
        },
        Expr::Binary { op, lhs, rhs } => binary_op(*op, eval(lhs, db, at)?, eval(rhs, db, at)?)?,
        Expr::Aggregate { op, grouping, expr } => Value::Vector(aggregate(*op, grouping, vector_of(expr, db, at)?)),
        Expr::Range { func, selector, range } => Value::Vector(range_function(*func, selector, *range, db, at)),
        Expr::HistogramQuantile { phi, buckets } => {
            let phi = scalar_of(phi, db, at)?;
            Value::Vector(histogram_quantile(phi, vector_of(buckets, db, at)?))
        }
        Expr::Clamp { side, expr, bound } => {
            let bound = scalar_of(bound, db, at)?;
            let clamp = |v: f64| match side {
                ClampSide::Min => go_max(bound, v),
                ClampSide::Max => go_min(bound, v),
            };
            let v = vector_of(expr, db, at)?;
            Value::Vector(v.into_iter().map(|(l, x)| (without_name(l), clamp(x))).collect())
        }
        Expr::Scalar(e) => match vector_of(e, db, at)?.as_slice() {
            [(_, v)] => Value::Scalar(*v),
            _ => Value::Scalar(f64::NAN),
        },
        Expr::Vector(e) => Value::Vector(vec![(Labels::new(), scalar_of(e, db, at)?)]),
    })
}

fn vector_of(expr: &Expr, db: &Tsdb, at: SimTime) -> Result<Vector, EvalError> {
    match eval(expr, db, at)? {
        Value::Vector(v) => Ok(v),
        Value::Scalar(_) => Err(EvalError::TypeMismatch {
            expected: "an instant vector",
            got: "a scalar",
            expr: expr.to_string(),
        }),
    }
}

fn scalar_of(expr: &Expr, db: &Tsdb, at: SimTime) -> Result<f64, EvalError> {
    match eval(expr, db, at)? {
        Value::Scalar(v) => Ok(v),
        Value::Vector(_) => Err(EvalError::TypeMismatch {
            expected: "a scalar",
            got: "an instant vector",
            expr: expr.to_string(),
        }),
    }
}

fn instant_vector(selector: &Selector, db: &Tsdb, at: SimTime) -> Vector {
    db.series_named(&selector.name)
        .filter(|s| selector.matches(s))
        .filter_map(|s| Some((s.labels_with_name(), s.instant(at, LOOKBACK_DELTA)?)))
        .collect()
}

/// The labels without `__name__`: every operation that changes a value drops the metric
/// name, as Prometheus does.
fn without_name(mut labels: Labels) -> Labels {
    labels.retain(|(k, _)| k != METRIC_NAME_LABEL);
    labels
}

fn format_labels(labels: &[(String, String)]) -> String {
    let parts: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escaped(v))).collect();
    format!("{{{}}}", parts.join(", "))
}

fn binary_op(op: BinOp, lhs: Value, rhs: Value) -> Result<Value, EvalError> {
    Ok(match (lhs, rhs) {
        (Value::Scalar(a), Value::Scalar(b)) => Value::Scalar(op.apply(a, b)),
        (Value::Vector(v), Value::Scalar(b)) => {
            Value::Vector(v.into_iter().map(|(l, a)| (without_name(l), op.apply(a, b))).collect())
        }
        (Value::Scalar(a), Value::Vector(v)) => {
            Value::Vector(v.into_iter().map(|(l, b)| (without_name(l), op.apply(a, b))).collect())
        }
        (Value::Vector(l), Value::Vector(r)) => Value::Vector(one_to_one(op, l, r)?),
    })
}

/// Vector matching on all labels but the metric name (`VectorBinop` without `on`/`ignoring`):
/// elements without a partner are dropped; a match group with two elements on the right,
/// or two left elements for one right, is an error.
fn one_to_one(op: BinOp, lhs: Vector, rhs: Vector) -> Result<Vector, EvalError> {
    let mut right: BTreeMap<Labels, (Labels, f64)> = BTreeMap::new();
    for (labels, v) in rhs {
        let sig = without_name(labels.clone());
        if let Some((first, _)) = right.get(&sig) {
            return Err(EvalError::DuplicateRight {
                op: op.symbol(),
                group: format_labels(&sig),
                first: format_labels(first),
                second: format_labels(&labels),
            });
        }
        right.insert(sig, (labels, v));
    }
    let mut matched = BTreeSet::new();
    let mut out = Vector::new();
    for (labels, a) in lhs {
        let sig = without_name(labels);
        let Some((_, b)) = right.get(&sig) else { continue };
        let b = *b;
        if !matched.insert(sig.clone()) {
            return Err(EvalError::ManyToOne {
                op: op.symbol(),
                group: format_labels(&sig),
            });
        }
        out.push((sig, op.apply(a, b)));
    }
    Ok(out)
}

/// Go's `math.Max`: NaN wins, then +Inf; Rust's `f64::max` ignores NaN instead.
fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    if a == 0.0 && b == 0.0 {
        return if a.is_sign_negative() { b } else { a };
    }
    if a > b {
        a
    } else {
        b
    }
}

/// Go's `math.Min`: NaN wins, then -Inf.
fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    if a == 0.0 && b == 0.0 {
        return if a.is_sign_negative() { a } else { b };
    }
    if a < b {
        a
    } else {
        b
    }
}

// --- Aggregation.

/// One group's running aggregate, as `groupedAggregation` in engine.go keeps it.
struct Group {
    labels: Labels,
    value: f64,
    kahan_c: f64,
    mean: f64,
    count: f64,
    incremental_mean: bool,
}

impl Group {
    fn new(labels: Labels, first: f64) -> Self {
        Group {
            labels,
            value: first,
            kahan_c: 0.0,
            mean: first,
            count: 1.0,
            incremental_mean: false,
        }
    }

    fn add(&mut self, op: AggOp, f: f64) {
        match op {
            AggOp::Sum => (self.value, self.kahan_c) = kahan_sum_inc(f, self.value, self.kahan_c),
            AggOp::Avg => self.add_to_mean(f),
            // `max` takes a value over NaN, and NaN only when nothing else came.
            AggOp::Max => {
                if self.value < f || self.value.is_nan() {
                    self.value = f;
                }
            }
            AggOp::Min => {
                if self.value > f || self.value.is_nan() {
                    self.value = f;
                }
            }
            AggOp::Count => self.count += 1.0,
        }
    }

    /// Prometheus' mean: a Kahan-compensated sum divided at the end, unless the sum would
    /// overflow, from which point an incremental mean.
    fn add_to_mean(&mut self, f: f64) {
        self.count += 1.0;
        if !self.incremental_mean {
            let (sum, c) = kahan_sum_inc(f, self.value, self.kahan_c);
            if !sum.is_infinite() {
                (self.value, self.kahan_c) = (sum, c);
                return;
            }
            self.incremental_mean = true;
            self.mean = self.value / (self.count - 1.0);
            self.kahan_c /= self.count - 1.0;
        }
        let q = (self.count - 1.0) / self.count;
        (self.mean, self.kahan_c) = kahan_sum_inc(f / self.count, q * self.mean, q * self.kahan_c);
    }

    fn finish(self, op: AggOp) -> (Labels, f64) {
        let value = match op {
            AggOp::Sum => self.value + self.kahan_c,
            AggOp::Avg if self.incremental_mean => self.mean + self.kahan_c,
            AggOp::Avg => self.value / self.count + self.kahan_c / self.count,
            AggOp::Count => self.count,
            AggOp::Max | AggOp::Min => self.value,
        };
        (self.labels, value)
    }
}

fn group_labels(labels: &[(String, String)], grouping: &Grouping) -> Labels {
    match grouping {
        Grouping::All => Labels::new(),
        Grouping::By(keep) => labels.iter().filter(|(k, _)| keep.contains(k)).cloned().collect(),
        Grouping::Without(drop) => labels
            .iter()
            .filter(|(k, _)| k != METRIC_NAME_LABEL && !drop.contains(k))
            .cloned()
            .collect(),
    }
}

fn aggregate(op: AggOp, grouping: &Grouping, input: Vector) -> Vector {
    let mut groups: Vec<Group> = Vec::new();
    let mut index: BTreeMap<Labels, usize> = BTreeMap::new();
    for (labels, v) in input {
        let key = group_labels(&labels, grouping);
        match index.get(&key) {
            Some(&i) => {
                if let Some(g) = groups.get_mut(i) {
                    g.add(op, v);
                }
            }
            None => {
                index.insert(key.clone(), groups.len());
                groups.push(Group::new(key, v));
            }
        }
    }
    groups.into_iter().map(|g| g.finish(op)).collect()
}

/// Kahan–Neumaier summation step (`kahanSumInc`).
fn kahan_sum_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if t.is_infinite() {
        0.0
    } else if sum.abs() >= inc.abs() {
        c + ((sum - t) + inc)
    } else {
        c + ((inc - t) + sum)
    };
    (t, c)
}

// --- Range functions.

fn range_function(func: RangeFunc, selector: &Selector, range: SimDuration, db: &Tsdb, at: SimTime) -> Vector {
    let mut out = Vector::new();
    for series in db.series_named(&selector.name).filter(|s| selector.matches(s)) {
        let points: Vec<(SimTime, f64)> = series.range(at, range).collect();
        if points.is_empty() {
            continue;
        }
        let value = match func {
            RangeFunc::Rate => extrapolated_rate(&points, at, range, true),
            RangeFunc::Increase => extrapolated_rate(&points, at, range, false),
            RangeFunc::Irate => instant_rate(&points),
            RangeFunc::AvgOverTime => Some(avg_over_time(&points)),
            RangeFunc::SumOverTime => Some(sum_over_time(&points)),
            RangeFunc::MaxOverTime => Some(compare_over_time(&points, |cur, best| cur > best)),
            RangeFunc::MinOverTime => Some(compare_over_time(&points, |cur, best| cur < best)),
        };
        if let Some(v) = value {
            out.push((series.labels().to_vec(), v));
        }
    }
    out
}

/// `extrapolatedRate` for a counter (functions.go, Prometheus 3, float samples without
/// start timestamps): the increase between the first and last sample in the window,
/// counter resets added back, extrapolated towards the window's edges — all the way when
/// the first/last sample is within 1.1 average intervals of its edge, by half an average
/// interval otherwise, and never below a zero counter value on the left. `None` with fewer
/// than two samples.
fn extrapolated_rate(points: &[(SimTime, f64)], at: SimTime, range: SimDuration, is_rate: bool) -> Option<f64> {
    let (&(first_t, first_v), &(last_t, last_v)) = (points.first()?, points.last()?);
    if points.len() < 2 {
        return None;
    }
    let mut result = last_v - first_v;
    for pair in points.windows(2) {
        if let [(_, prev), (_, cur)] = pair {
            if cur < prev {
                result += prev;
            }
        }
    }
    let secs = |ms: f64| ms / 1000.0;
    let range_start = at.0 as f64 - range.0 as f64;
    let mut duration_to_start = secs(first_t.0 as f64 - range_start);
    let mut duration_to_end = secs(at.0 as f64 - last_t.0 as f64);
    let sampled_interval = secs(last_t.0 as f64 - first_t.0 as f64);
    if sampled_interval <= 0.0 {
        return None;
    }
    let average_between_samples = sampled_interval / (points.len() - 1) as f64;
    let threshold = average_between_samples * 1.1;
    if duration_to_start >= threshold {
        duration_to_start = average_between_samples / 2.0;
    }
    if result > 0.0 && first_v >= 0.0 {
        // A counter does not go below zero: start no earlier than where the slope says
        // it was zero.
        let duration_to_zero = sampled_interval * (first_v / result);
        if duration_to_zero < duration_to_start {
            duration_to_start = duration_to_zero;
        }
    }
    if duration_to_end >= threshold {
        duration_to_end = average_between_samples / 2.0;
    }
    let mut factor = (sampled_interval + duration_to_start + duration_to_end) / sampled_interval;
    if is_rate {
        factor /= range.as_secs_f64();
    }
    Some(result * factor)
}

/// `irate` (`instantValue` with isRate): the per-second increase between the last two
/// samples; after a counter reset the last value is the increase.
fn instant_rate(points: &[(SimTime, f64)]) -> Option<f64> {
    let [.., (prev_t, prev), (last_t, last)] = points else {
        return None;
    };
    let interval = last_t.0.checked_sub(prev_t.0).filter(|ms| *ms > 0)?;
    let increase = if last < prev { *last } else { last - prev };
    Some(increase / (interval as f64 / 1000.0))
}

/// `avg_over_time`: the same mean as `avg` uses, over time.
fn avg_over_time(points: &[(SimTime, f64)]) -> f64 {
    let mut values = points.iter().map(|(_, v)| *v);
    let Some(first) = values.next() else { return f64::NAN };
    let mut group = Group::new(Labels::new(), first);
    for v in values {
        group.add_to_mean(v);
    }
    group.finish(AggOp::Avg).1
}

fn sum_over_time(points: &[(SimTime, f64)]) -> f64 {
    let (mut sum, mut c) = (0.0, 0.0);
    for (_, v) in points {
        (sum, c) = kahan_sum_inc(*v, sum, c);
    }
    if sum.is_infinite() {
        sum
    } else {
        sum + c
    }
}

/// `max_over_time`/`min_over_time` (`compareOverTime`): a NaN is replaced by any later value.
fn compare_over_time(points: &[(SimTime, f64)], better: impl Fn(f64, f64) -> bool) -> f64 {
    let mut best = points.first().map_or(f64::NAN, |(_, v)| *v);
    for (_, v) in points {
        if better(*v, best) || best.is_nan() {
            best = *v;
        }
    }
    best
}

// --- histogram_quantile.

/// `histogram_quantile` over classic buckets: the elements grouped by all labels but
/// `le` (metric name included, then dropped from the result), an element whose `le` is not
/// a number skipped.
fn histogram_quantile(phi: f64, input: Vector) -> Vector {
    let mut groups: Vec<(Labels, Vec<(f64, f64)>)> = Vec::new();
    let mut index: BTreeMap<Labels, usize> = BTreeMap::new();
    for (labels, count) in input {
        let Some(upper) = label_value(&labels, "le").and_then(parse_go_float) else {
            continue;
        };
        let mut key = labels;
        key.retain(|(k, _)| k != "le");
        let i = match index.get(&key) {
            Some(&i) => i,
            None => {
                index.insert(key.clone(), groups.len());
                groups.push((without_name(key), Vec::new()));
                groups.len() - 1
            }
        };
        if let Some((_, buckets)) = groups.get_mut(i) {
            buckets.push((upper, count));
        }
    }
    groups
        .into_iter()
        .map(|(labels, buckets)| (labels, bucket_quantile(phi, buckets)))
        .collect()
}

/// Go's `strconv.ParseFloat` for the values `le` takes: decimals, exponents, `+Inf`.
fn parse_go_float(s: &str) -> Option<f64> {
    s.parse::<f64>().ok()
}

/// Relative differences below this between adjacent buckets are float noise
/// (`smallDeltaTolerance` in quantile.go).
const SMALL_DELTA_TOLERANCE: f64 = 1e-12;

/// `BucketQuantile` (quantile.go): sorts the buckets by upper bound, merges equal bounds,
/// forces the cumulative counts to be monotonic, and interpolates linearly inside the
/// bucket holding rank φ·count. The lowest bucket starts at 0 if its bound is positive; a
/// rank in the +Inf bucket answers the highest finite bound. NaN without a +Inf bucket,
/// with fewer than two buckets, or with no observations; ±Inf for φ outside [0, 1].
fn bucket_quantile(phi: f64, mut buckets: Vec<(f64, f64)>) -> f64 {
    if phi.is_nan() {
        return f64::NAN;
    }
    if phi < 0.0 {
        return f64::NEG_INFINITY;
    }
    if phi > 1.0 {
        return f64::INFINITY;
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    if buckets.last().is_none_or(|(upper, _)| *upper != f64::INFINITY) {
        return f64::NAN;
    }
    let mut buckets = coalesce_buckets(buckets);
    ensure_monotonic(&mut buckets);
    if buckets.len() < 2 {
        return f64::NAN;
    }
    let observations = buckets.last().map_or(0.0, |(_, c)| *c);
    if observations == 0.0 {
        return f64::NAN;
    }
    let mut rank = phi * observations;
    // The first bucket whose count reaches the rank, searched among all but +Inf.
    let (_, finite) = buckets.split_last().unwrap_or((&(0.0, 0.0), &[]));
    let b = finite.partition_point(|(_, c)| *c < rank);
    let Some(&(bucket_end, mut count)) = finite.get(b) else {
        // In the +Inf bucket: the highest finite bound.
        return finite.last().map_or(f64::NAN, |(upper, _)| *upper);
    };
    if b == 0 && bucket_end <= 0.0 {
        return bucket_end;
    }
    let mut bucket_start = 0.0;
    if let Some(&(prev_upper, prev_count)) = b.checked_sub(1).and_then(|i| finite.get(i)) {
        bucket_start = prev_upper;
        count -= prev_count;
        rank -= prev_count;
    }
    bucket_start + (bucket_end - bucket_start) * (rank / count)
}

/// Adds up the counts of buckets with the same upper bound (`coalesceBuckets`).
fn coalesce_buckets(buckets: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(buckets.len());
    for (upper, count) in buckets {
        match out.last_mut() {
            Some((last_upper, last_count)) if *last_upper == upper => *last_count += count,
            _ => out.push((upper, count)),
        }
    }
    out
}

/// `ensureMonotonicAndIgnoreSmallDeltas`: a count that differs from the previous by float
/// noise, or is lower, takes the previous count.
fn ensure_monotonic(buckets: &mut [(f64, f64)]) {
    let Some(&(_, mut prev)) = buckets.first() else { return };
    for (_, count) in buckets.iter_mut().skip(1) {
        let curr = *count;
        if curr == prev {
            continue;
        }
        if almost_equal(prev, curr, SMALL_DELTA_TOLERANCE) || curr < prev {
            *count = prev;
            continue;
        }
        prev = curr;
    }
}

/// `almost.Equal` (util/almost), for non-NaN values.
fn almost_equal(a: f64, b: f64, epsilon: f64) -> bool {
    if a.is_nan() && b.is_nan() {
        return true;
    }
    if a == b {
        return true;
    }
    let abs_sum = a.abs() + b.abs();
    let diff = (a - b).abs();
    if a == 0.0 || b == 0.0 || abs_sum < f64::MIN_POSITIVE {
        return diff < epsilon * f64::MIN_POSITIVE;
    }
    diff / abs_sum.min(f64::MAX) < epsilon
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1000;
    const MIN: u64 = 60 * S;

    /// Expands promqltest's series notation: `0+10x3` is `0 10 20 30`, `1 2` is `1 2`.
    fn expand(notation: &str) -> Vec<f64> {
        let mut out = Vec::new();
        for word in notation.split_whitespace() {
            let Some((start_step, times)) = word.split_once('x') else {
                out.push(word.parse().unwrap());
                continue;
            };
            let sign_at = start_step.rfind(['+', '-']).filter(|i| *i > 0).unwrap();
            let start: f64 = start_step[..sign_at].parse().unwrap();
            let step: f64 = start_step[sign_at..].parse().unwrap();
            let times: u32 = times.parse().unwrap();
            out.extend((0..=times).map(|i| start + step * f64::from(i)));
        }
        out
    }

    /// Loads `series` (written as a selector with `=` matchers) with the values of
    /// `notation` at 0, `step`, 2·`step`… as promqltest's `load <step>` does.
    fn load(db: &mut Tsdb, series: &str, step: u64, notation: &str) {
        let Expr::Selector(sel) = parse(series).unwrap() else {
            panic!("{series} is not a selector")
        };
        let labels: Vec<(&str, &str)> = sel
            .matchers
            .iter()
            .map(|m| match &m.op {
                MatchOp::Equal(v) => (m.label.as_str(), v.as_str()),
                _ => panic!("only `=` in {series}"),
            })
            .collect();
        for (i, v) in expand(notation).into_iter().enumerate() {
            db.append(&sel.name, &labels, SimTime(i as u64 * step), v).unwrap();
        }
    }

    fn db() -> Tsdb {
        Tsdb::with_retention(SimDuration(24 * 60 * MIN))
    }

    /// The elements of a vector result as `{labels} value` pairs.
    fn vector(db: &Tsdb, q: &str, at: u64) -> Vec<(String, f64)> {
        match query(q, db, SimTime(at)) {
            Ok(Value::Vector(v)) => v.iter().map(|(l, x)| (format_labels(l), *x)).collect(),
            other => panic!("{q}: expected a vector, got {other:?}"),
        }
    }

    fn scalar(db: &Tsdb, q: &str, at: u64) -> f64 {
        match query(q, db, SimTime(at)) {
            Ok(Value::Scalar(v)) => v,
            other => panic!("{q}: expected a scalar, got {other:?}"),
        }
    }

    /// Equal within `rel` relative error (NaN equals NaN, infinities exactly).
    fn close(got: f64, want: f64, rel: f64) -> bool {
        if want.is_nan() || got.is_nan() {
            return want.is_nan() && got.is_nan();
        }
        if want.is_infinite() || want == 0.0 {
            return got == want || (want == 0.0 && got.abs() < 1e-12);
        }
        ((got - want) / want).abs() <= rel
    }

    /// Checks a vector result against `want`, in order, within `rel`.
    fn assert_vector(db: &Tsdb, q: &str, at: u64, want: &[(&str, f64)], rel: f64) {
        let got = vector(db, q, at);
        let labels: Vec<&str> = got.iter().map(|(l, _)| l.as_str()).collect();
        let want_labels: Vec<&str> = want.iter().map(|(l, _)| *l).collect();
        assert_eq!(labels, want_labels, "{q} at {at}ms");
        for ((l, g), (_, w)) in got.iter().zip(want) {
            assert!(close(*g, *w, rel), "{q} at {at}ms: {l} is {g}, want {w}");
        }
    }

    // --- Parsing.

    #[test]
    fn a_query_names_the_series_it_reads() {
        let cases = [
            (
                "sum(vllm:num_requests_waiting{namespace=\"a\"})",
                vec!["vllm:num_requests_waiting"],
            ),
            (
                "histogram_quantile(0.95, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket[1m])))",
                vec!["vllm:time_to_first_token_seconds_bucket"],
            ),
            (
                "vllm:num_requests_running + vllm:num_requests_waiting * 2",
                vec!["vllm:num_requests_running", "vllm:num_requests_waiting"],
            ),
            ("vector(1)", vec![]),
        ];
        for (q, want) in cases {
            let names = parse(q).map(|e| e.metric_names()).unwrap_or_default();
            assert_eq!(names, want, "{q}");
        }
    }

    #[test]
    fn queries_parse_and_print_canonically() {
        let cases = [
            ("1", "1"),
            ("-1.5", "-1.5"),
            ("0x1F", "31"),
            ("1e3", "1000"),
            ("2.5E-1", "0.25"),
            (".5", "0.5"),
            ("Inf", "Inf"),
            ("-inf", "-Inf"),
            ("NaN", "NaN"),
            ("vllm:num_requests_waiting", "vllm:num_requests_waiting"),
            (
                "vllm:num_requests_waiting{model_name=\"llama\",pod!='a', pod=~\"vllm-.*\", job!~`x|y`}",
                "vllm:num_requests_waiting{model_name=\"llama\", pod!=\"a\", pod=~\"vllm-.*\", job!~\"x|y\"}",
            ),
            ("x{a=\"b\",}", "x{a=\"b\"}"),
            ("x{}", "x"),
            (r#"x{a="\"q\"\n\x41\u00e9"}"#, "x{a=\"\\\"q\\\"\\nAé\"}"),
            (r#"x{a=~"a\\.b"}"#, r#"x{a=~"a\\.b"}"#),
            (
                "rate(vllm:prompt_tokens_total[1m30s])",
                "rate(vllm:prompt_tokens_total[1m30s])",
            ),
            ("increase(x[90s])", "increase(x[1m30s])"),
            ("irate(x{pod=\"a\"}[1d])", "irate(x{pod=\"a\"}[24h])"),
            ("avg_over_time(x[500ms])", "avg_over_time(x[500ms])"),
            ("sum(x) by (le)", "sum by (le) (x)"),
            ("SUM WITHOUT (pod, engine,) (x)", "sum without (pod, engine) (x)"),
            ("avg by () (x)", "avg by () (x)"),
            ("count(x)", "count(x)"),
            (
                "histogram_quantile(0.9, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket[5m])))",
                "histogram_quantile(0.9, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket[5m])))",
            ),
            ("1 + 2 * 3", "1 + 2 * 3"),
            ("(1 + 2) * 3", "(1 + 2) * 3"),
            ("-x", "-x"),
            ("- - 1", "1"),
            ("x - -1", "x - -1"),
            ("+x", "x"),
            ("clamp_min(x, 0)", "clamp_min(x, 0)"),
            ("clamp_max(x, 2 * 3)", "clamp_max(x, 2 * 3)"),
            ("scalar(x) * 2", "scalar(x) * 2"),
            ("vector(1)", "vector(1)"),
            ("x # the queue\n  / 2", "x / 2"),
        ];
        for (query, canonical) in cases {
            let expr = parse(query).unwrap_or_else(|e| panic!("{query}: {e}"));
            assert_eq!(expr.to_string(), canonical, "{query}");
            // The canonical form parses back to itself.
            let again = parse(canonical).unwrap_or_else(|e| panic!("{canonical}: {e}"));
            assert_eq!(again.to_string(), canonical);
        }
    }

    #[test]
    fn parse_errors_name_what_was_expected_where() {
        // (query, byte offset, part of the message, whether it lists the supported subset)
        let cases: &[(&str, usize, &str, bool)] = &[
            ("", 0, "unexpected end of the query; expected an expression", false),
            ("1 +", 3, "unexpected end of the query", false),
            (
                "(x",
                2,
                "expected `)` to close the `(` at byte 0, found the end of the query",
                false,
            ),
            ("x)", 1, "unexpected `)` without a matching `(`", false),
            ("x y", 2, "unexpected `y` after a complete expression", false),
            (
                "sum(x",
                5,
                "expected `)` after the argument of `sum`, found the end of the query",
                false,
            ),
            ("sum(x, y)", 5, "`sum` takes one argument", false),
            ("sum x", 4, "expected `(` after `sum`, found `x`", false),
            (
                "sum by (le) (x) by (pod)",
                16,
                "an aggregation takes one `by` or `without` clause",
                false,
            ),
            (
                "sum by (le (x)",
                11,
                "expected `,` or `)` after a label name in the `by` list, found `(`",
                false,
            ),
            (
                "sum by (1) (x)",
                8,
                "expected a label name or `)` in the `by` list, found number `1`",
                false,
            ),
            (
                "sum(1)",
                4,
                "expected an instant vector as the argument of `sum`, got a scalar",
                false,
            ),
            ("by (x)", 0, "`by` must follow an aggregation operator", false),
            (
                "rate(x[5m]) by (le)",
                12,
                "`by` must follow an aggregation operator",
                false,
            ),
            (
                "x{a=\"b\"",
                7,
                "expected `,` or `}` after a label matcher, found the end of the query",
                false,
            ),
            (
                "x{a=\"b\" c=\"d\"}",
                8,
                "expected `,` or `}` after a label matcher, found `c`",
                false,
            ),
            (
                "x{a}",
                3,
                "expected a label matching operator (`=`, `!=`, `=~` or `!~`) after `a`, found `}`",
                false,
            ),
            ("x{a=b}", 4, "expected a quoted string after `a=`, found `b`", false),
            ("x{a==\"b\"}", 3, "use `=`, not `==`, in a label matcher", false),
            (
                "x{a=~\"(\"}",
                5,
                "invalid regular expression in the label matcher",
                false,
            ),
            (
                "x{a=~\"a)|(b\"}",
                5,
                "invalid regular expression in the label matcher",
                false,
            ),
            ("x{a=\"b", 4, "unterminated string: expected a closing \"", false),
            ("x{a=\"\\q\"}", 5, "unknown escape sequence", false),
            (
                "x{,}",
                2,
                "expected a label name in the label matchers, found `,`",
                false,
            ),
            ("x{ns:a=\"b\"}", 2, "label name `ns:a` cannot contain `:`", false),
            ("x{\"a\"=\"b\"}", 2, "a quoted label name", true),
            ("x{a.b=\"c\"}", 3, "unexpected character `.`", false),
            ("{a=\"b\"}", 0, "expected a metric name before `{`", true),
            ("\"a\"", 0, "a string is only allowed as a label matcher's value", false),
            (
                "5m",
                0,
                "a duration is only allowed as the range of a range selector",
                false,
            ),
            ("5x", 0, "bad number or duration syntax `5x`", false),
            (
                "x[5m]",
                1,
                "a range selector such as `[5m]` is only supported as the argument of rate",
                false,
            ),
            (
                "sum(x[5m])",
                5,
                "a range selector such as `[5m]` is only supported",
                false,
            ),
            (
                "rate(x)",
                6,
                "expected a range such as `[5m]` after the selector: `rate` takes a range vector",
                false,
            ),
            ("rate(x[0s])", 7, "a range must be longer than zero", false),
            (
                "rate(x[5])",
                7,
                "expected a duration such as `5m` or `1m30s` in the range, found number `5`",
                false,
            ),
            (
                "rate(x[5m)",
                9,
                "expected `]` after the range's duration, found `)`",
                false,
            ),
            (
                "rate(x[1m1h])",
                7,
                "units must go from the largest to the smallest",
                false,
            ),
            ("rate(x[400d])", 7, "longer than the simulator's limit of 365d", false),
            (
                "rate(5)",
                5,
                "expected a metric selector with a range as the argument of `rate`",
                false,
            ),
            ("rate(x[5m], 1)", 10, "`rate` takes one argument", false),
            (
                "rate(x[5m:1m])",
                9,
                "a subquery (`expr[range:step]`) is not supported",
                true,
            ),
            (
                "rate(sum(x)[5m:])",
                5,
                "`rate` over a function or an aggregation (a subquery) is not supported",
                true,
            ),
            (
                "sum(x)[5m:1m]",
                6,
                "a subquery (`expr[range:step]`) is not supported",
                true,
            ),
            ("x offset 5m", 2, "the `offset` modifier is not supported", true),
            (
                "rate(x[5m] offset 1m)",
                11,
                "the `offset` modifier is not supported",
                true,
            ),
            ("x @ 100", 2, "the `@` modifier is not supported", true),
            ("topk(3, x)", 0, "the `topk` aggregation is not supported", true),
            (
                "quantile(0.9, x)",
                0,
                "the `quantile` aggregation is not supported",
                true,
            ),
            (
                "label_replace(x, \"a\", \"b\", \"c\", \"d\")",
                0,
                "the function `label_replace` is not supported",
                true,
            ),
            ("delta(x[5m])", 0, "the function `delta` is not supported", true),
            ("rat(x[5m])", 0, "unknown function `rat`", true),
            ("x > 1", 2, "the comparison operator `>` is not supported", true),
            ("x == bool 1", 2, "the comparison operator `==` is not supported", true),
            ("x % 2", 2, "the `%` operator is not supported", true),
            ("2 ^ 2", 2, "the `^` operator is not supported", true),
            ("x and y", 2, "the `and` operator is not supported", true),
            (
                "x + on(pod) y",
                4,
                "vector matching with `on` (vectors are matched one to one on all labels)",
                true,
            ),
            ("x / ignoring(pod) y", 4, "vector matching with `ignoring`", true),
            ("x * group_left y", 4, "vector matching with `group_left`", true),
            ("x + bool y", 4, "the `bool` modifier is not supported", true),
            (
                "histogram_quantile(x, y)",
                19,
                "expected a scalar as the first argument of `histogram_quantile` (φ), got an instant vector",
                false,
            ),
            (
                "histogram_quantile(0.9)",
                22,
                "`histogram_quantile` takes 2 arguments",
                false,
            ),
            (
                "histogram_quantile(0.9, 1)",
                24,
                "expected an instant vector as the second argument of `histogram_quantile`, got a scalar",
                false,
            ),
            (
                "clamp_min(x y)",
                12,
                "expected `,` and the next argument of `clamp_min`, found `y`",
                false,
            ),
            ("scalar(x, y)", 8, "`scalar` takes one argument", false),
            (
                "vector(x)",
                7,
                "expected a scalar as the argument of `vector`, got an instant vector",
                false,
            ),
            ("x ! y", 2, "unexpected `!`; expected `!=` or `!~`", false),
            ("x{é=\"1\"}", 2, "unexpected character `é`", false),
        ];
        let mut wrong = Vec::new();
        for &(query, offset, message, hinted) in cases {
            match parse(query) {
                Ok(expr) => wrong.push(format!("{query:?} parsed as {expr}")),
                Err(err) if !err.message.contains(message) || err.offset != offset || err.hint.is_some() != hinted => {
                    wrong.push(format!(
                        "{query:?}: got {err:?}, want {offset}, {message:?}, hint {hinted}"
                    ));
                }
                Err(_) => {}
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn errors_show_where_and_the_hint() {
        let err = parse("sum(rate(x[5m] offset 1m))").unwrap_err();
        assert_eq!(err.offset, 15);
        let text = err.to_string();
        assert!(
            text.starts_with("PromQL error at byte 15: the `offset` modifier is not supported"),
            "{text}"
        );
        assert!(
            text.contains("(hint: the simulator's PromQL subset has numbers"),
            "{text}"
        );
        assert_eq!(
            err.pointed("sum(rate(x[5m] offset 1m))"),
            "sum(rate(x[5m] offset 1m))\n               ^ the `offset` modifier is not supported by the simulator's PromQL subset"
        );
        // Columns count characters, not bytes.
        let err = parse("x{a=\"é\"} y").unwrap_err();
        assert_eq!(err.offset, 10);
        assert!(err.pointed("x{a=\"é\"} y").ends_with("\n         ^ unexpected `y` after a complete expression; expected an operator (`+`, `-`, `*`, `/`) or the end of the query"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep_parens = format!("{}x{}", "(".repeat(10_000), ")".repeat(10_000));
        let minus_chain = format!("{}x", "-".repeat(10_000));
        let long_sum = vec!["x"; 10_000].join(" + ");
        let nested_sums = format!("{}x{}", "sum(".repeat(10_000), ")".repeat(10_000));
        for query in [deep_parens, minus_chain, long_sum, nested_sums] {
            let err = parse(&query).unwrap_err();
            assert!(err.message.contains("nests more than 64 levels"), "{}", err.message);
        }
        // Sixty levels are fine.
        let ok = format!("{}x{}", "(".repeat(60), ")".repeat(60));
        assert!(parse(&ok).is_ok());
    }

    // --- Selectors, staleness, lookback.

    fn pods() -> Tsdb {
        let mut db = db();
        for (pod, model, zone, v) in [("a", "m1", "", 1.0), ("b", "m1", "z1", 2.0), ("ab", "m2", "z2", 3.0)] {
            let labels = [("model_name", model), ("pod", pod), ("zone", zone)];
            db.append("vllm:num_requests_waiting", &labels, SimTime(0), v).unwrap();
        }
        db.append("other", &[("pod", "a")], SimTime(0), 9.0).unwrap();
        db
    }

    #[test]
    fn matchers_select_series() {
        let db = pods();
        let a = "{__name__=\"vllm:num_requests_waiting\", model_name=\"m1\", pod=\"a\"}";
        let b = "{__name__=\"vllm:num_requests_waiting\", model_name=\"m1\", pod=\"b\", zone=\"z1\"}";
        let ab = "{__name__=\"vllm:num_requests_waiting\", model_name=\"m2\", pod=\"ab\", zone=\"z2\"}";
        let cases: &[(&str, &[&str])] = &[
            ("vllm:num_requests_waiting", &[a, b, ab]),
            ("vllm:num_requests_waiting{pod=\"a\"}", &[a]),
            ("vllm:num_requests_waiting{pod!=\"a\"}", &[b, ab]),
            ("vllm:num_requests_waiting{pod=~\"a|b\"}", &[a, b]),
            // Anchored: `a` does not match `ab`.
            ("vllm:num_requests_waiting{pod=~\"a\"}", &[a]),
            ("vllm:num_requests_waiting{pod=~\"a.*\"}", &[a, ab]),
            ("vllm:num_requests_waiting{pod!~\"a.*\"}", &[b]),
            ("vllm:num_requests_waiting{pod=~\".+\", model_name=\"m1\"}", &[a, b]),
            // An absent label is the empty string.
            ("vllm:num_requests_waiting{zone=\"\"}", &[a]),
            ("vllm:num_requests_waiting{zone!=\"\"}", &[b, ab]),
            ("vllm:num_requests_waiting{zone=~\"z.*|\"}", &[a, b, ab]),
            (
                "vllm:num_requests_waiting{__name__=\"vllm:num_requests_waiting\", pod=\"b\"}",
                &[b],
            ),
            ("vllm:num_requests_waiting{__name__=\"other\"}", &[]),
            ("vllm:num_requests_waiting{pod=\"zz\"}", &[]),
            ("missing", &[]),
        ];
        for (q, want) in cases {
            let got: Vec<String> = vector(&db, q, 0).into_iter().map(|(l, _)| l).collect();
            assert_eq!(got, *want, "{q}");
        }
        assert_vector(&db, "vllm:num_requests_waiting{pod=\"b\"}", 10 * S, &[(b, 2.0)], 0.0);
    }

    #[test]
    fn instant_queries_respect_lookback_and_staleness() {
        let mut db = db();
        for (t, a, b) in [(0, 1.0, 10.0), (15 * S, 2.0, 20.0), (30 * S, 3.0, 30.0)] {
            db.append("q", &[("pod", "a")], SimTime(t), a).unwrap();
            db.append("q", &[("pod", "b")], SimTime(t), b).unwrap();
        }
        // Pod a goes away: the scrape at 45 s finds it gone and marks its series stale.
        db.mark_stale("q", &[("pod", "a")], SimTime(45 * S)).unwrap();
        let a = "{__name__=\"q\", pod=\"a\"}";
        let b = "{__name__=\"q\", pod=\"b\"}";
        let cases: &[(u64, &[(&str, f64)])] = &[
            (30 * S, &[(a, 3.0), (b, 30.0)]),
            (44 * S, &[(a, 3.0), (b, 30.0)]),
            (45 * S, &[(b, 30.0)]),
            // b was last scraped at 30 s: it lingers for the 5-minute lookback (left-open).
            (30 * S + 5 * MIN - 1, &[(b, 30.0)]),
            (30 * S + 5 * MIN, &[]),
        ];
        for (at, want) in cases {
            assert_vector(&db, "q", *at, want, 0.0);
        }
        // sum ignores the stale pod at once.
        assert_vector(&db, "sum(q)", 45 * S, &[("{}", 30.0)], 0.0);
        // The range functions still see the stale pod's samples before the marker.
        assert_vector(
            &db,
            "max_over_time(q[1m])",
            50 * S,
            &[("{pod=\"a\"}", 3.0), ("{pod=\"b\"}", 30.0)],
            0.0,
        );
    }

    // --- Range functions.

    #[test]
    fn increase_and_rate_match_prometheus_test_data() {
        // Cases from Prometheus' promql/promqltest/testdata/functions.test (v3.5),
        // with the expected values written there.
        let mut db = db();
        load(&mut db, "http_requests_total{path=\"/foo\"}", 5 * MIN, "0+10x10");
        load(&mut db, "http_requests_total{path=\"/bar\"}", 5 * MIN, "0+18x5 0+18x5");
        load(&mut db, "http_requests_total{path=\"/dings\"}", 5 * MIN, "10+10x10");
        load(&mut db, "http_requests_total{path=\"/bumms\"}", 5 * MIN, "1+10x10");
        load(&mut db, "reset_total", 5 * MIN, "0 1 2 3 2 3 4");
        load(&mut db, "testcounter_reset_middle_total", 5 * MIN, "0+27x4 0+27x5");
        load(&mut db, "testcounter_reset_end_total", 5 * MIN, "0+10x9 0 10");
        load(&mut db, "calculate_rate_window_total", 5 * MIN, "0+80x10");
        load(&mut db, "irate_requests_total{path=\"/foo\"}", 5 * MIN, "0+10x10");
        load(&mut db, "irate_requests_total{path=\"/bar\"}", 5 * MIN, "0+10x5 0+10x5");
        for start in 0..6u32 {
            let series = format!("testcounter_zero_cutoff_total{{start=\"{start}m\"}}");
            load(&mut db, &series, 4 * MIN, &format!("{}+240x10", 60 * start));
        }
        let paths = |v: [f64; 4]| -> Vec<(String, f64)> {
            ["/foo", "/bar", "/dings", "/bumms"]
                .iter()
                .zip(v)
                .map(|(p, x)| (format!("{{path=\"{p}\"}}"), x))
                .collect()
        };
        let starts = |v: [f64; 6]| -> Vec<(String, f64)> {
            (0..6).zip(v).map(|(s, x)| (format!("{{start=\"{s}m\"}}"), x)).collect()
        };
        // (query, evaluation time, expected elements)
        type Case<'a> = (&'a str, u64, Vec<(String, f64)>);
        let cases: Vec<Case> = vec![
            (
                "increase(http_requests_total[50m])",
                50 * MIN,
                paths([100.0, 160.0, 100.0, 100.0]),
            ),
            // Extrapolation to the left stops where the counter would be zero.
            (
                "increase(http_requests_total[100m])",
                50 * MIN,
                paths([100.0, 162.0, 105.0, 101.0]),
            ),
            ("increase(reset_total[30m])", 30 * MIN, vec![("{}".into(), 7.0)]),
            (
                "rate(testcounter_reset_middle_total[50m])",
                50 * MIN,
                vec![("{}".into(), 0.08)],
            ),
            // One sample in the window: no rate.
            ("rate(testcounter_reset_end_total[5m])", 50 * MIN, vec![]),
            (
                "rate(testcounter_reset_end_total[6m])",
                50 * MIN,
                vec![("{}".into(), 0.0)],
            ),
            (
                "rate(calculate_rate_window_total[50m])",
                50 * MIN,
                vec![("{}".into(), 0.26666666666666666)],
            ),
            (
                "rate(testcounter_zero_cutoff_total[20m])",
                10 * MIN,
                starts([0.5, 0.55, 0.6, 0.6, 0.6, 0.6]),
            ),
            ("rate(testcounter_zero_cutoff_total[20m])", 50 * MIN, starts([0.6; 6])),
            // The irate section loads its own http_requests_total; renamed here.
            (
                "irate(irate_requests_total[50m])",
                50 * MIN,
                vec![
                    ("{path=\"/foo\"}".into(), 1.0 / 30.0),
                    ("{path=\"/bar\"}".into(), 1.0 / 30.0),
                ],
            ),
            // A reset between the last two samples: the last value (0) is the increase.
            (
                "irate(irate_requests_total[50m])",
                30 * MIN,
                vec![("{path=\"/foo\"}".into(), 1.0 / 30.0), ("{path=\"/bar\"}".into(), 0.0)],
            ),
        ];
        for (q, at, want) in cases {
            let want: Vec<(&str, f64)> = want.iter().map(|(l, v)| (l.as_str(), *v)).collect();
            assert_vector(&db, q, at, &want, 1e-9);
        }
    }

    #[test]
    fn rate_extrapolation_by_hand() {
        // Samples every 15 s; the expected values are worked out by hand from
        // extrapolatedRate in Prometheus' promql/functions.go:
        //   result = last - first (+ the value before each reset)
        //   dStart = first_t - (at - range), dEnd = at - last_t, sampled = last_t - first_t,
        //   avg = sampled / (n - 1); a gap >= 1.1 avg is cut to avg / 2;
        //   dStart is cut to sampled * first / result (the counter's zero) if shorter;
        //   increase = result * (sampled + dStart + dEnd) / sampled; rate = increase / range.
        // (name, samples as (seconds, value), evaluation time s, range s, expected increase)
        type Case<'a> = (&'a str, &'a [(u64, f64)], u64, u64, f64);
        let cases: &[Case] = &[
            // 10 20 30 40 at 15..60 s, window (0, 60]: dStart 15 = zero point 15, dEnd 0:
            // 30 * 60/45 = 40.
            (
                "steady",
                &[(15, 10.0), (30, 20.0), (45, 30.0), (60, 40.0)],
                60,
                60,
                40.0,
            ),
            // A reset 20 -> 5: result 15 - 10 + 20 = 25; zero point 45 * 10/25 = 18 > 15:
            // 25 * 60/45.
            (
                "reset",
                &[(15, 10.0), (30, 20.0), (45, 5.0), (60, 15.0)],
                60,
                60,
                25.0 * 60.0 / 45.0,
            ),
            // Starts near zero: zero point 45 * 1/30 = 1.5 s: 30 * 46.5/45 = 31.
            (
                "near zero",
                &[(15, 1.0), (30, 11.0), (45, 21.0), (60, 31.0)],
                60,
                60,
                31.0,
            ),
            // The series starts 60 s into a 2 m window (gap 60 >= 16.5): dStart = 7.5:
            // 40 * 67.5/60 = 45.
            (
                "late start",
                &[(60, 100.0), (75, 110.0), (90, 120.0), (105, 130.0), (120, 140.0)],
                120,
                120,
                45.0,
            ),
            // The series stops 75 s before the end (gap >= 16.5): dEnd = 7.5; dStart 15
            // (zero point 30 * 10/20 = 15, not shorter): 20 * 52.5/30 = 35.
            ("early end", &[(15, 10.0), (30, 20.0), (45, 30.0)], 120, 120, 35.0),
        ];
        for &(name, samples, at, range, increase) in cases {
            let mut db = db();
            for &(t, v) in samples {
                db.append("c_total", &[], SimTime(t * S), v).unwrap();
            }
            for (q, want) in [
                (format!("increase(c_total[{range}s])"), increase),
                (format!("rate(c_total[{range}s])"), increase / range as f64),
            ] {
                let got = vector(&db, &q, at * S);
                let ok = matches!(got.as_slice(), [(l, v)] if l == "{}" && close(*v, want, 1e-12));
                assert!(ok, "{name}: {q} gave {got:?}, want {want}");
            }
        }
        // irate: the last two samples; after a reset, the last value.
        let mut db = db();
        for (t, v) in [(15, 10.0), (30, 20.0), (45, 26.0), (60, 3.0)] {
            db.append("c_total", &[], SimTime(t * S), v).unwrap();
        }
        assert_vector(&db, "irate(c_total[1m])", 45 * S, &[("{}", 6.0 / 15.0)], 1e-12);
        assert_vector(&db, "irate(c_total[1m])", 60 * S, &[("{}", 3.0 / 15.0)], 1e-12);
        // A window with one sample has no irate.
        assert_vector(&db, "irate(c_total[10s])", 60 * S, &[], 0.0);
    }

    #[test]
    fn over_time_functions() {
        let mut db = db();
        load(&mut db, "g{pod=\"a\"}", 15 * S, "1 5 3");
        load(&mut db, "g{pod=\"b\"}", 15 * S, "NaN 2 1");
        load(&mut db, "g{pod=\"c\"}", 15 * S, "1 NaN");
        let a = "{pod=\"a\"}";
        let b = "{pod=\"b\"}";
        let c = "{pod=\"c\"}";
        let cases: &[(&str, &[(&str, f64)])] = &[
            ("avg_over_time(g[1m])", &[(a, 3.0), (b, f64::NAN), (c, f64::NAN)]),
            ("sum_over_time(g[1m])", &[(a, 9.0), (b, f64::NAN), (c, f64::NAN)]),
            // A NaN gives way to any later value, and stays only if nothing follows.
            ("max_over_time(g[1m])", &[(a, 5.0), (b, 2.0), (c, 1.0)]),
            ("min_over_time(g[1m])", &[(a, 1.0), (b, 1.0), (c, 1.0)]),
            // (0, 30]: the samples at 15 s and 30 s.
            ("avg_over_time(g{pod=\"a\"}[30s])", &[(a, 4.0)]),
        ];
        for (q, want) in cases {
            assert_vector(&db, q, 30 * S, want, 1e-12);
        }
        // Precision: Kahan summation keeps the small terms a naive sum loses.
        let mut db = self::db();
        load(&mut db, "big", 15 * S, "1e16 1 1 -1e16");
        assert_vector(&db, "sum_over_time(big[1m])", 45 * S, &[("{}", 2.0)], 0.0);
        assert_vector(&db, "avg_over_time(big[1m])", 45 * S, &[("{}", 0.5)], 0.0);
    }

    // --- Aggregations and arithmetic.

    fn fleet() -> Tsdb {
        let mut db = db();
        for (pod, model, v) in [
            ("p1", "m1", 1.0),
            ("p2", "m1", 4.0),
            ("p3", "m2", 10.0),
            ("p4", "m2", f64::NAN),
        ] {
            db.append("w", &[("model", model), ("pod", pod)], SimTime(0), v)
                .unwrap();
        }
        db
    }

    #[test]
    fn aggregations_group_by_and_without() {
        let db = fleet();
        let m1 = "{model=\"m1\"}";
        let m2 = "{model=\"m2\"}";
        let cases: &[(&str, &[(&str, f64)])] = &[
            ("sum(w{pod!=\"p4\"})", &[("{}", 15.0)]),
            ("sum(w)", &[("{}", f64::NAN)]),
            ("sum by (model) (w)", &[(m1, 5.0), (m2, f64::NAN)]),
            ("sum(w) by (model)", &[(m1, 5.0), (m2, f64::NAN)]),
            ("sum without (pod) (w)", &[(m1, 5.0), (m2, f64::NAN)]),
            ("avg by (model) (w)", &[(m1, 2.5), (m2, f64::NAN)]),
            // max/min pass over NaN: only an all-NaN group is NaN.
            ("max by (model) (w)", &[(m1, 4.0), (m2, 10.0)]),
            ("min by (model) (w)", &[(m1, 1.0), (m2, 10.0)]),
            ("count by (model) (w)", &[(m1, 2.0), (m2, 2.0)]),
            ("count(w)", &[("{}", 4.0)]),
            // `by` a label no element has: one group without labels.
            ("sum by (zone) (w{model=\"m1\"})", &[("{}", 5.0)]),
            // `without` drops the metric name too.
            (
                "max without (model) (w{model=\"m1\"})",
                &[("{pod=\"p1\"}", 1.0), ("{pod=\"p2\"}", 4.0)],
            ),
            ("sum by (__name__) (w{model=\"m1\"})", &[("{__name__=\"w\"}", 5.0)]),
            ("sum(missing)", &[]),
        ];
        for (q, want) in cases {
            assert_vector(&db, q, 0, want, 1e-12);
        }
    }

    #[test]
    fn arithmetic_between_scalars_and_vectors() {
        let mut db = fleet();
        for (pod, v) in [("p1", 2.0), ("p2", 8.0), ("p9", 1.0)] {
            db.append("cap", &[("model", "m1"), ("pod", pod)], SimTime(0), v)
                .unwrap();
        }
        let scalars = [
            ("1 + 2 * 3", 7.0),
            ("(1 + 2) * 3", 9.0),
            ("2 * 3 - 4 / 2", 4.0),
            ("-2 * 3", -6.0),
            ("10 - 2 - 3", 5.0),
            ("8 / 2 / 2", 2.0),
            ("1 / 0", f64::INFINITY),
            ("-(2 + 1)", -3.0),
            ("scalar(w{pod=\"p2\"}) * 2", 8.0),
            // scalar() of anything but one element is NaN.
            ("scalar(w)", f64::NAN),
        ];
        for (q, want) in scalars {
            let got = scalar(&db, q, 0);
            assert!(close(got, want, 1e-12), "{q}: {got}, want {want}");
        }
        let p1 = "{model=\"m1\", pod=\"p1\"}";
        let p2 = "{model=\"m1\", pod=\"p2\"}";
        let cases: &[(&str, &[(&str, f64)])] = &[
            ("w{model=\"m1\"} * 2", &[(p1, 2.0), (p2, 8.0)]),
            ("10 - w{model=\"m1\"}", &[(p1, 9.0), (p2, 6.0)]),
            ("-w{model=\"m1\"}", &[(p1, -1.0), (p2, -4.0)]),
            // One to one on all labels but the name; p3, p4 and p9 have no partner.
            ("w / cap", &[(p1, 0.5), (p2, 0.5)]),
            ("cap - w", &[(p1, 1.0), (p2, 4.0)]),
            (
                "sum by (model) (w) / sum by (model) (cap)",
                &[("{model=\"m1\"}", 5.0 / 11.0)],
            ),
            ("(w{model=\"m1\"} + 1) * 2", &[(p1, 4.0), (p2, 10.0)]),
            ("clamp_min(w{model=\"m1\"}, 2)", &[(p1, 2.0), (p2, 4.0)]),
            ("clamp_max(w{model=\"m1\"}, 2)", &[(p1, 1.0), (p2, 2.0)]),
            // Go's math.Max/Min: NaN stays NaN.
            (
                "clamp_min(w{pod=\"p4\"}, 0)",
                &[("{model=\"m2\", pod=\"p4\"}", f64::NAN)],
            ),
            ("vector(3) + 1", &[("{}", 4.0)]),
            ("vector(scalar(w{pod=\"p3\"}))", &[("{}", 10.0)]),
        ];
        for (q, want) in cases {
            assert_vector(&db, q, 0, want, 1e-12);
        }
    }

    #[test]
    fn vector_matching_must_be_one_to_one() {
        // The subset's vectors never hold two elements with the same labels (a selector
        // has one metric name), so this calls the matcher with vectors such as
        // Prometheus' `{__name__=~"b|c"}` would give.
        let l =
            |pairs: &[(&str, &str)]| -> Labels { pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() };
        let lhs = vec![(l(&[("__name__", "a"), ("g", "1")]), 6.0), (l(&[("g", "2")]), 1.0)];
        let rhs = vec![(l(&[("__name__", "b"), ("g", "1")]), 3.0)];
        assert_eq!(
            one_to_one(BinOp::Div, lhs.clone(), rhs.clone()),
            Ok(vec![(l(&[("g", "1")]), 2.0)])
        );
        let two_right = vec![
            (l(&[("__name__", "b"), ("g", "1")]), 3.0),
            (l(&[("__name__", "c"), ("g", "1")]), 4.0),
        ];
        assert_eq!(
            one_to_one(BinOp::Div, lhs, two_right),
            Err(EvalError::DuplicateRight {
                op: "/",
                group: "{g=\"1\"}".into(),
                first: "{__name__=\"b\", g=\"1\"}".into(),
                second: "{__name__=\"c\", g=\"1\"}".into(),
            })
        );
        let two_left = vec![
            (l(&[("__name__", "a"), ("g", "1")]), 6.0),
            (l(&[("__name__", "c"), ("g", "1")]), 1.0),
        ];
        assert_eq!(
            one_to_one(BinOp::Sub, two_left, rhs),
            Err(EvalError::ManyToOne {
                op: "-",
                group: "{g=\"1\"}".into(),
            })
        );
    }

    #[test]
    fn a_hand_built_expression_of_the_wrong_type_is_an_eval_error() {
        let expr = Expr::Aggregate {
            op: AggOp::Sum,
            grouping: Grouping::All,
            expr: Box::new(Expr::Number(1.0)),
        };
        assert_eq!(
            eval(&expr, &db(), SimTime(0)),
            Err(EvalError::TypeMismatch {
                expected: "an instant vector",
                got: "a scalar",
                expr: "1".into(),
            })
        );
    }

    #[test]
    fn a_parsed_query_is_evaluated_at_each_poll() {
        let mut db = db();
        let expr = parse("sum(rate(c_total[30s]))").unwrap();
        let mut seen = Vec::new();
        for step in 0..8u64 {
            let t = step * 15 * S;
            // Two pods each counting 3 per second.
            for pod in ["a", "b"] {
                db.append("c_total", &[("pod", pod)], SimTime(t), 45.0 * step as f64)
                    .unwrap();
            }
            if let Value::Vector(v) = eval(&expr, &db, SimTime(t)).unwrap() {
                seen.push(v.first().map(|(_, x)| *x));
            }
        }
        // At 0 s one sample: no rate. At 15 s the samples 0 and 45 at 0 s and 15 s: the
        // counter's zero point is the first sample itself, so no extrapolation to the left:
        // 45 / 30 s = 1.5/s per pod. From 30 s on, two samples 15 s apart in (t - 30 s, t],
        // the first 15 s after the window's start (< 1.1 x 15 s, and the zero point is not
        // nearer): 45 x 30/15 = 90 per 30 s, 3/s per pod.
        let want = [
            None,
            Some(3.0),
            Some(6.0),
            Some(6.0),
            Some(6.0),
            Some(6.0),
            Some(6.0),
            Some(6.0),
        ];
        for (i, (got, want)) in seen.iter().zip(want).enumerate() {
            let same = match (got, want) {
                (Some(g), Some(w)) => close(*g, w, 1e-12),
                (g, w) => g.is_none() && w.is_none(),
            };
            assert!(same, "poll {i}: {got:?}, want {want:?}");
        }
        assert_eq!(seen.len(), 8);
    }

    // --- histogram_quantile.

    #[test]
    fn histogram_quantile_matches_prometheus_test_data() {
        // Classic-histogram cases of Prometheus' promql/promqltest/testdata/histograms.test
        // (v3.5), with the series and the expected values written there.
        let mut db = db();
        // (metric name, labels but `le`, buckets as `le:values`)
        type Histogram<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str]);
        let series: &[Histogram] = &[
            (
                "testhistogram_bucket",
                &[("start", "positive")],
                &["0.1:0+5x10", ".2:0+7x10", "1e0:0+11x10", "+Inf:0+12x10"],
            ),
            (
                "testhistogram_bucket",
                &[("start", "negative")],
                &["-.2:0+1x10", "-0.1:0+2x10", "0.3:0+2x10", "+Inf:0+3x10"],
            ),
            (
                "testhistogram2_bucket",
                &[],
                &["0:0+0x10", "2:0+1x10", "4:0+2x10", "6:0+3x10", "+Inf:0+3x10"],
            ),
            (
                "testhistogram3_bucket",
                &[("start", "positive")],
                &["0:0+0x10", "0.1:0+5x10", ".2:0+7x10", "1e0:0+11x10", "+Inf:0+11x10"],
            ),
            (
                "testhistogram3_bucket",
                &[("start", "negative")],
                &["-.25:0+0x10", "-.2:0+1x10", "-0.1:0+2x10", "0.3:0+2x10", "+Inf:0+2x10"],
            ),
            (
                "request_duration_seconds_bucket",
                &[("instance", "ins1"), ("job", "job1")],
                &["0.1:0+1x10", "0.2:0+3x10", "+Inf:0+4x10"],
            ),
            (
                "request_duration_seconds_bucket",
                &[("instance", "ins2"), ("job", "job1")],
                &["0.1:0+2x10", "0.2:0+5x10", "+Inf:0+6x10"],
            ),
            (
                "request_duration_seconds_bucket",
                &[("instance", "ins1"), ("job", "job2")],
                &["0.1:0+3x10", "0.2:0+4x10", "+Inf:0+6x10"],
            ),
            (
                "request_duration_seconds_bucket",
                &[("instance", "ins2"), ("job", "job2")],
                &["0.1:0+4x10", "0.2:0+7x10", "+Inf:0+9x10"],
            ),
            (
                "mixed_bucket",
                &[("instance", "ins1"), ("job", "job1")],
                &[
                    "0.1:0+1x10",
                    "0.2:0+1x10",
                    "2e-1:0+1x10",
                    "2.0e-1:0+1x10",
                    "+Inf:0+4x10",
                ],
            ),
            (
                "mixed_bucket",
                &[("instance", "ins2"), ("job", "job1")],
                &["+inf:0+0x10", "+Inf:0+0x10"],
            ),
            (
                "nonmonotonic_bucket",
                &[],
                &[
                    "0.1:0+2x10",
                    "1:0+1x10",
                    "10:0+5x10",
                    "100:0+4x10",
                    "1000:0+9x10",
                    "+Inf:0+8x10",
                ],
            ),
        ];
        for (name, labels, buckets) in series {
            for bucket in *buckets {
                let (le, notation) = bucket.split_once(':').unwrap();
                let mut all = labels.to_vec();
                all.push(("le", le));
                for (i, v) in expand(notation).into_iter().enumerate() {
                    db.append(name, &all, SimTime(i as u64 * 5 * MIN), v).unwrap();
                }
            }
        }
        let pos_neg = |p: f64, n: f64| vec![("{start=\"positive\"}", p), ("{start=\"negative\"}", n)];
        let one = |v: f64| vec![("{}", v)];
        let (i1j1, i2j1, i1j2, i2j2) = (
            "{instance=\"ins1\", job=\"job1\"}",
            "{instance=\"ins2\", job=\"job1\"}",
            "{instance=\"ins1\", job=\"job2\"}",
            "{instance=\"ins2\", job=\"job2\"}",
        );
        let at50 = 50 * MIN;
        type Case<'a> = (&'a str, u64, Vec<(&'a str, f64)>);
        let cases: Vec<Case> = vec![
            (
                "histogram_quantile(0, testhistogram3_bucket)",
                at50,
                pos_neg(0.0, -0.25),
            ),
            (
                "histogram_quantile(0.25, testhistogram3_bucket)",
                at50,
                pos_neg(0.055, -0.225),
            ),
            (
                "histogram_quantile(0.5, testhistogram3_bucket)",
                at50,
                pos_neg(0.125, -0.2),
            ),
            (
                "histogram_quantile(0.75, testhistogram3_bucket)",
                at50,
                pos_neg(0.45, -0.15),
            ),
            ("histogram_quantile(1, testhistogram3_bucket)", at50, pos_neg(1.0, -0.1)),
            (
                "histogram_quantile(-0.1, testhistogram_bucket)",
                at50,
                pos_neg(f64::NEG_INFINITY, f64::NEG_INFINITY),
            ),
            (
                "histogram_quantile(1.01, testhistogram_bucket)",
                at50,
                pos_neg(f64::INFINITY, f64::INFINITY),
            ),
            (
                "histogram_quantile(NaN, testhistogram_bucket)",
                at50,
                pos_neg(f64::NAN, f64::NAN),
            ),
            ("histogram_quantile(0, testhistogram_bucket)", at50, pos_neg(0.0, -0.2)),
            ("histogram_quantile(1, testhistogram_bucket)", at50, pos_neg(1.0, 0.3)),
            (
                "histogram_quantile(0.2, testhistogram_bucket)",
                at50,
                pos_neg(0.048, -0.2),
            ),
            (
                "histogram_quantile(0.5, testhistogram_bucket)",
                at50,
                pos_neg(0.15, -0.15),
            ),
            (
                "histogram_quantile(0.8, testhistogram_bucket)",
                at50,
                pos_neg(0.72, 0.3),
            ),
            (
                "histogram_quantile(0.2, rate(testhistogram_bucket[10m]))",
                at50,
                pos_neg(0.048, -0.2),
            ),
            (
                "histogram_quantile(0.5, rate(testhistogram_bucket[10m]))",
                at50,
                pos_neg(0.15, -0.15),
            ),
            (
                "histogram_quantile(0.8, rate(testhistogram_bucket[10m]))",
                at50,
                pos_neg(0.72, 0.3),
            ),
            ("histogram_quantile(1./6., testhistogram2_bucket)", 7 * MIN, one(1.0)),
            ("histogram_quantile(0.5, testhistogram2_bucket)", 7 * MIN, one(3.0)),
            ("histogram_quantile(5./6., testhistogram2_bucket)", 7 * MIN, one(5.0)),
            (
                "histogram_quantile(1./6., rate(testhistogram2_bucket[15m]))",
                47 * MIN,
                one(1.0),
            ),
            (
                "histogram_quantile(0.5, rate(testhistogram2_bucket[15m]))",
                47 * MIN,
                one(3.0),
            ),
            (
                "histogram_quantile(5./6., rate(testhistogram2_bucket[15m]))",
                47 * MIN,
                one(5.0),
            ),
            (
                "histogram_quantile(0.3, sum(rate(request_duration_seconds_bucket[10m])) by (le))",
                at50,
                one(0.075),
            ),
            (
                "histogram_quantile(0.5, sum(rate(request_duration_seconds_bucket[10m])) by (le))",
                at50,
                one(0.1277777777777778),
            ),
            (
                "histogram_quantile(0.3, avg(rate(request_duration_seconds_bucket[10m])) by (le))",
                at50,
                one(0.075),
            ),
            (
                "histogram_quantile(0.5, avg(rate(request_duration_seconds_bucket[10m])) by (le))",
                at50,
                one(0.12777777777777778),
            ),
            (
                "histogram_quantile(0.3, sum(rate(request_duration_seconds_bucket[10m])) by (le, instance))",
                at50,
                vec![("{instance=\"ins1\"}", 0.075), ("{instance=\"ins2\"}", 0.075)],
            ),
            (
                "histogram_quantile(0.5, sum(rate(request_duration_seconds_bucket[10m])) by (le, instance))",
                at50,
                vec![("{instance=\"ins1\"}", 0.1333333333), ("{instance=\"ins2\"}", 0.125)],
            ),
            (
                "histogram_quantile(0.3, sum(rate(request_duration_seconds_bucket[10m])) by (le, job))",
                at50,
                vec![("{job=\"job1\"}", 0.1), ("{job=\"job2\"}", 0.0642857142857143)],
            ),
            (
                "histogram_quantile(0.5, sum(rate(request_duration_seconds_bucket[10m])) by (le, job))",
                at50,
                vec![("{job=\"job1\"}", 0.14), ("{job=\"job2\"}", 0.1125)],
            ),
            (
                "histogram_quantile(0.3, sum(rate(request_duration_seconds_bucket[10m])) by (le, job, instance))",
                at50,
                vec![(i1j1, 0.11), (i2j1, 0.09), (i1j2, 0.06), (i2j2, 0.0675)],
            ),
            (
                "histogram_quantile(0.5, sum(rate(request_duration_seconds_bucket[10m])) by (le, job, instance))",
                at50,
                vec![
                    (i1j1, 0.15),
                    (i2j1, 0.1333333333333333),
                    (i1j2, 0.1),
                    (i2j2, 0.1166666666666667),
                ],
            ),
            (
                "histogram_quantile(0.5, rate(request_duration_seconds_bucket[10m]))",
                at50,
                vec![
                    (i1j1, 0.15),
                    (i2j1, 0.13333333333333333),
                    (i1j2, 0.1),
                    (i2j2, 0.11666666666666667),
                ],
            ),
            ("histogram_quantile(0.01, nonmonotonic_bucket)", at50, one(0.0045)),
            ("histogram_quantile(0.5, nonmonotonic_bucket)", at50, one(8.5)),
            ("histogram_quantile(0.99, nonmonotonic_bucket)", at50, one(979.75)),
            // Equal bounds written differently are one bucket; ins2's only bucket is +Inf.
            (
                "histogram_quantile(0.5, rate(mixed_bucket[10m]))",
                at50,
                vec![(i1j1, 0.15), (i2j1, f64::NAN)],
            ),
            (
                "histogram_quantile(0.75, rate(mixed_bucket[10m]))",
                at50,
                vec![(i1j1, 0.2), (i2j1, f64::NAN)],
            ),
            (
                "histogram_quantile(1, rate(mixed_bucket[10m]))",
                at50,
                vec![(i1j1, 0.2), (i2j1, f64::NAN)],
            ),
        ];
        for (q, at, want) in &cases {
            // promqltest compares with a relative tolerance of 1e-6.
            assert_vector(&db, q, *at, want, 1e-6);
        }
    }

    #[test]
    fn histogram_quantile_edge_cases_by_hand() {
        // Values worked out from BucketQuantile in Prometheus' promql/quantile.go.
        // (name, buckets as (le, count), φ, expected quantile)
        type Case<'a> = (&'a str, &'a [(&'a str, f64)], f64, f64);
        let cases: &[Case] = &[
            // rank 0.9 * 100 = 90 falls in (0.5, 1] holding 15: 0.5 + 0.5 * 10/15.
            (
                "typical",
                &[("0.1", 50.0), ("0.5", 80.0), ("1", 95.0), ("+Inf", 100.0)],
                0.9,
                0.5 + 0.5 * 10.0 / 15.0,
            ),
            // rank 50 reaches the first bucket exactly: its upper bound.
            (
                "first",
                &[("0.1", 50.0), ("0.5", 80.0), ("1", 95.0), ("+Inf", 100.0)],
                0.5,
                0.1,
            ),
            // In the +Inf bucket: the highest finite bound.
            (
                "inf bucket",
                &[("0.1", 50.0), ("0.5", 80.0), ("1", 95.0), ("+Inf", 100.0)],
                0.99,
                1.0,
            ),
            // Unsorted input and a count that drops (40 < 50) and is lifted to 50: rank 60
            // lies in (0.5, 1] holding 45: 0.5 + 0.5 * 10/45.
            (
                "unsorted",
                &[("1", 95.0), ("+Inf", 100.0), ("0.5", 40.0), ("0.1", 50.0)],
                0.6,
                0.5 + 0.5 * 10.0 / 45.0,
            ),
            // A difference of float noise is ignored, not a bucket of its own.
            ("noise", &[("1", 10.0), ("2", 10.0 + 1e-14), ("+Inf", 20.0)], 0.5, 1.0),
            ("no observations", &[("1", 0.0), ("+Inf", 0.0)], 0.5, f64::NAN),
            ("no +Inf bucket", &[("1", 5.0), ("2", 10.0)], 0.5, f64::NAN),
            ("only +Inf", &[("+Inf", 10.0)], 0.5, f64::NAN),
        ];
        for &(name, buckets, phi, want) in cases {
            let mut db = db();
            for &(le, count) in buckets {
                db.append("h_bucket", &[("le", le)], SimTime(0), count).unwrap();
            }
            let q = format!("histogram_quantile({phi}, h_bucket)");
            let got = vector(&db, &q, 0);
            assert_eq!(got.len(), 1, "{name}");
            assert!(close(got[0].1, want, 1e-12), "{name}: {}, want {want}", got[0].1);
        }
        // Series without a numeric `le` are left out.
        let mut db = db();
        db.append("h_bucket", &[("le", "fast")], SimTime(0), 1.0).unwrap();
        db.append("h_bucket", &[("pod", "a")], SimTime(0), 1.0).unwrap();
        assert_vector(&db, "histogram_quantile(0.5, h_bucket)", 0, &[], 0.0);
    }
}
