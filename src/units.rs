//! Domain value types: Kubernetes quantities and simulated time.

use std::fmt;
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum UnitError {
    #[error(
        "`{0}` is not a Kubernetes quantity; expected a number with an optional suffix such as 4, 500m, 64Gi or 1.5"
    )]
    BadQuantity(String),
    #[error("quantity `{0}` is too large to represent")]
    QuantityOverflow(String),
    #[error("`{0}` is not a duration; expected e.g. 90s, 15m, 1h30m, 250ms")]
    BadDuration(String),
    #[error("duration `{0}` is longer than the simulator's limit of 365d")]
    DurationTooLong(String),
}

/// A Kubernetes resource quantity, held exactly in thousandths of the base unit
/// (millicores for cpu, milli-bytes for memory) like the API server's MilliValue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Quantity(i128);

const KI: i128 = 1024;

impl Quantity {
    pub const ZERO: Quantity = Quantity(0);

    pub(crate) fn from_milli(milli: i128) -> Self {
        Quantity(milli)
    }
    pub fn from_units(units: i64) -> Self {
        Quantity(units as i128 * 1000)
    }
    pub(crate) fn milli(self) -> i128 {
        self.0
    }
    /// Whole units rounded up, as Kubernetes' `Value()` does.
    pub fn value_ceil(self) -> i128 {
        (self.0 + 999).div_euclid(1000)
    }
    pub(crate) fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Parses the Kubernetes quantity grammar: sign, decimal number, then a binary
    /// suffix (Ki…Ei), a decimal suffix (n, u, m, k, M, G, T, P, E) or an exponent.
    /// Sub-milli precision is rounded up, as the API server rounds MilliValue.
    pub fn parse(text: &str) -> Result<Self, UnitError> {
        let s = text.trim();
        let bad = || UnitError::BadQuantity(text.to_string());
        if s.is_empty() {
            return Err(bad());
        }
        let (neg, body) = match s.as_bytes()[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let num_end = body
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(body.len());
        let (num, suffix) = body.split_at(num_end);
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return Err(bad());
        }
        let (int_part, frac_part) = num.split_once('.').unwrap_or((num, ""));
        // Exact rational: mantissa / 10^frac_len.
        let digits = format!("{int_part}{frac_part}");
        let mantissa: i128 = digits.parse().map_err(|_| bad())?;
        let frac_len = frac_part.len() as u32;
        // factor as numerator/denominator relative to the base unit.
        let (mul, div): (i128, i128) = match suffix {
            "" => (1, 1),
            "Ki" => (KI, 1),
            "Mi" => (KI.pow(2), 1),
            "Gi" => (KI.pow(3), 1),
            "Ti" => (KI.pow(4), 1),
            "Pi" => (KI.pow(5), 1),
            "Ei" => (KI.pow(6), 1),
            "n" => (1, 1_000_000_000),
            "u" => (1, 1_000_000),
            "m" => (1, 1000),
            "k" => (1000, 1),
            "M" => (1_000_000, 1),
            "G" => (1_000_000_000, 1),
            "T" => (10i128.pow(12), 1),
            "P" => (10i128.pow(15), 1),
            "E" => (10i128.pow(18), 1),
            exp if exp.starts_with(['e', 'E']) => {
                let e: i32 = exp[1..].parse().map_err(|_| bad())?;
                if e.unsigned_abs() > 18 {
                    return Err(UnitError::QuantityOverflow(text.to_string()));
                }
                if e >= 0 {
                    (10i128.pow(e as u32), 1)
                } else {
                    (1, 10i128.pow((-e) as u32))
                }
            }
            _ => return Err(bad()),
        };
        let overflow = || UnitError::QuantityOverflow(text.to_string());
        let numer = mantissa
            .checked_mul(mul)
            .and_then(|v| v.checked_mul(1000))
            .ok_or_else(overflow)?;
        let denom = div
            .checked_mul(10i128.checked_pow(frac_len).ok_or_else(overflow)?)
            .ok_or_else(overflow)?;
        let milli = (numer + denom - 1) / denom;
        if milli > i64::MAX as i128 * 1000 {
            return Err(overflow());
        }
        Ok(Quantity(if neg { -milli } else { milli }))
    }
}

impl std::ops::Add for Quantity {
    type Output = Quantity;
    fn add(self, o: Quantity) -> Quantity {
        Quantity(self.0 + o.0)
    }
}
impl std::ops::AddAssign for Quantity {
    fn add_assign(&mut self, o: Quantity) {
        self.0 += o.0;
    }
}
impl std::ops::Sub for Quantity {
    type Output = Quantity;
    fn sub(self, o: Quantity) -> Quantity {
        Quantity(self.0 - o.0)
    }
}
impl std::iter::Sum for Quantity {
    fn sum<I: Iterator<Item = Quantity>>(iter: I) -> Quantity {
        Quantity(iter.map(|q| q.0).sum())
    }
}

impl std::ops::SubAssign for Quantity {
    fn sub_assign(&mut self, o: Quantity) {
        self.0 -= o.0;
    }
}
impl std::ops::Mul<i64> for Quantity {
    type Output = Quantity;
    fn mul(self, n: i64) -> Quantity {
        Quantity(self.0 * n as i128)
    }
}

impl fmt::Display for Quantity {
    /// Canonical form close to the API server's: whole numbers plainly, binary suffixes
    /// for exact multiples of 1Ki and up, millis otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        if m % 1000 != 0 {
            return write!(f, "{m}m");
        }
        let v = m / 1000;
        if v != 0 && v.abs() >= KI {
            for (i, suf) in ["Ei", "Pi", "Ti", "Gi", "Mi", "Ki"].iter().enumerate() {
                let unit = KI.pow(6 - i as u32);
                if v % unit == 0 {
                    return write!(f, "{}{}", v / unit, suf);
                }
            }
        }
        write!(f, "{v}")
    }
}

/// Simulated time since the start of a run, in milliseconds. Integer so that runs are
/// exactly reproducible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(pub u64);

/// An instant as Kueue's orderings see it (a Workload's queue-order timestamp, when its quota
/// was reserved): milliseconds from the run's start, negative for what a Workload object
/// given as input says happened before the run (its `creationTimestamp`, its
/// `QuotaReserved` transition).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Stamp(pub i64);

impl From<SimTime> for Stamp {
    fn from(t: SimTime) -> Stamp {
        Stamp(i64::try_from(t.0).unwrap_or(i64::MAX))
    }
}

impl Stamp {
    /// The time from `earlier` to this instant, zero when `earlier` is later.
    pub fn since(self, earlier: Stamp) -> SimDuration {
        SimDuration(u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0))
    }
}

/// A span of simulated time in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimDuration(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
    pub(crate) fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl std::ops::Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);
    /// The longest duration an input may give: a year of simulated time is far beyond any
    /// run's horizon, and bounding it keeps every sum of times far from overflowing.
    pub const MAX: SimDuration = SimDuration(365 * 86_400_000);

    pub fn from_secs(s: u64) -> Self {
        SimDuration(s.saturating_mul(1000))
    }
    pub(crate) fn from_secs_f64(s: f64) -> Self {
        SimDuration((s * 1000.0).round().max(0.0) as u64)
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// Parses Go-style durations as the Scenario document writes them: `90s`, `15m`,
    /// `1h30m`, `250ms`, `1.5h`; a bare `0` is zero.
    pub fn parse(text: &str) -> Result<Self, UnitError> {
        let s = text.trim();
        let bad = || UnitError::BadDuration(text.to_string());
        if s == "0" {
            return Ok(SimDuration::ZERO);
        }
        if s.is_empty() {
            return Err(bad());
        }
        let mut rest = s;
        let mut total = 0f64;
        while !rest.is_empty() {
            let n_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(bad)?;
            if n_end == 0 {
                return Err(bad());
            }
            let n: f64 = rest[..n_end].parse().map_err(|_| bad())?;
            rest = &rest[n_end..];
            let u_end = rest
                .find(|c: char| c.is_ascii_digit() || c == '.')
                .unwrap_or(rest.len());
            let ms = match &rest[..u_end] {
                "ms" => 1.0,
                "s" => 1000.0,
                "m" => 60_000.0,
                "h" => 3_600_000.0,
                "d" => 86_400_000.0,
                _ => return Err(bad()),
            };
            total += n * ms;
            rest = &rest[u_end..];
        }
        if total.is_nan() || total > SimDuration::MAX.0 as f64 {
            return Err(UnitError::DurationTooLong(text.to_string()));
        }
        Ok(SimDuration(total.round() as u64))
    }
}

impl fmt::Display for SimTime {
    /// `HH:MM:SS` (with `.mmm` when not whole seconds) for logs and reports.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0 % 1000;
        let s = self.0 / 1000;
        write!(f, "{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)?;
        if ms != 0 {
            write!(f, ".{ms:03}")?;
        }
        Ok(())
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0 % 1000;
        let s = self.0 / 1000;
        let (h, m, sec) = (s / 3600, (s / 60) % 60, s % 60);
        let mut out = String::new();
        if h > 0 {
            out += &format!("{h}h");
        }
        if m > 0 {
            out += &format!("{m}m");
        }
        if sec > 0 || (ms == 0 && out.is_empty()) {
            out += &format!("{sec}s");
        }
        if ms > 0 {
            out += &format!("{ms}ms");
        }
        f.write_str(&out)
    }
}

/// kubectl's AGE column (`k8s.io/apimachinery/pkg/util/duration.HumanDuration`).
pub(crate) fn human_duration(d: SimDuration) -> String {
    let secs = d.0 / 1000;
    let minutes = secs / 60;
    let hours = minutes / 60;
    if secs < 60 * 2 {
        format!("{secs}s")
    } else if minutes < 10 {
        let s = secs % 60;
        if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        }
    } else if minutes < 60 * 3 {
        format!("{minutes}m")
    } else if hours < 8 {
        let m = minutes % 60;
        if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        }
    } else if hours < 48 {
        format!("{hours}h")
    } else if hours < 24 * 8 {
        let h = hours % 24;
        if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{}h", hours / 24, h)
        }
    } else if hours < 24 * 365 * 2 {
        format!("{}d", hours / 24)
    } else if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{}d", hours / 24 / 365, dy)
        }
    } else {
        format!("{}y", hours / 24 / 365)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_parse_like_kubernetes() {
        let cases: &[(&str, i128)] = &[
            ("4", 4000),
            ("500m", 500),
            ("64Gi", 64 * 1024 * 1024 * 1024 * 1000),
            ("1Ki", 1_024_000),
            ("1.5", 1500),
            ("0.5Gi", 512 * 1024 * 1024 * 1000),
            ("2k", 2_000_000),
            ("1M", 1_000_000_000),
            ("100n", 1), // sub-milli rounds up
            ("1e3", 1_000_000),
            ("-2", -2000),
            ("0", 0),
        ];
        for (text, milli) in cases {
            assert_eq!(Quantity::parse(text).unwrap().milli(), *milli, "{text}");
        }
    }

    #[test]
    fn malformed_quantities_are_rejected() {
        for text in ["", "Gi", "4 Gi", "4GB", "1.2.3", "abc", "4x", "."] {
            assert!(Quantity::parse(text).is_err(), "{text} should fail");
        }
        assert!(matches!(
            Quantity::parse("99999999999Ei"),
            Err(UnitError::QuantityOverflow(_))
        ));
    }

    #[test]
    fn quantities_print_canonically() {
        for (text, shown) in [
            ("4", "4"),
            ("500m", "500m"),
            ("64Gi", "64Gi"),
            ("1536Mi", "1536Mi"),
            ("1000", "1000"),
        ] {
            assert_eq!(Quantity::parse(text).unwrap().to_string(), shown);
        }
    }

    #[test]
    fn durations_parse_go_style() {
        for (text, ms) in [
            ("90s", 90_000),
            ("15m", 900_000),
            ("1h30m", 5_400_000),
            ("250ms", 250),
            ("1.5h", 5_400_000),
            ("0", 0),
            ("2m30s", 150_000),
            ("365d", 365 * 86_400_000),
        ] {
            assert_eq!(SimDuration::parse(text).unwrap().0, ms, "{text}");
        }
        for text in ["", "10", "m", "5x", "1h30"] {
            assert!(
                matches!(SimDuration::parse(text), Err(UnitError::BadDuration(_))),
                "{text}"
            );
        }
        // Past the limit, and 20 digits that would saturate to forever.
        for text in ["366d", "8761h", "99999999999999999999s"] {
            assert!(
                matches!(SimDuration::parse(text), Err(UnitError::DurationTooLong(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn age_column_matches_kubectl() {
        for (secs, shown) in [
            (5, "5s"),
            (119, "119s"),
            (120, "2m"),
            (150, "2m30s"),
            (600, "10m"),
            (3 * 3600 + 5 * 60, "3h5m"),
            (10 * 3600, "10h"),
            (3 * 86400 + 3600, "3d1h"),
        ] {
            assert_eq!(human_duration(SimDuration::from_secs(secs)), shown);
        }
    }
}
