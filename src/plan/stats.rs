//! The mean of a figure over seeds and its 95% confidence interval.

use serde::{Deserialize, Serialize};

/// Two-sided 95% quantiles of Student's t distribution, t(0.975; df) for df = 1..=30 (the
/// standard table, e.g. NIST/SEMATECH e-Handbook of Statistical Methods, 1.3.6.7.2). Beyond
/// 30 degrees of freedom the normal 1.96 is within 2% of t.
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
    2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
];

fn t975(df: usize) -> f64 {
    T975.get(df.wrapping_sub(1)).copied().unwrap_or(1.96)
}

/// A figure over the seeds of one sweep point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub mean: f64,
    /// The 95% confidence interval of the mean (Student's t over the seeds); absent with a
    /// single seed.
    pub ci95: Option<[f64; 2]>,
    /// Seeds that measured it.
    pub n: usize,
}

impl Estimate {
    /// `None` when no seed measured the figure.
    pub(crate) fn of(values: &[f64]) -> Option<Estimate> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let ci95 = (n > 1).then(|| {
            let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
            let half = t975(n - 1) * (var / n as f64).sqrt();
            [mean - half, mean + half]
        });
        Some(Estimate { mean, ci95, n })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates() {
        type Case<'a> = (&'a [f64], f64, Option<[f64; 2]>);
        let cases: &[Case] = &[
            (&[5.0], 5.0, None),
            (&[1.0, 3.0], 2.0, Some([2.0 - 12.706, 2.0 + 12.706])),
            // variance 2/3, n 4: half-width 3.182 × √(2/3) / 2.
            (
                &[1.0, 2.0, 3.0, 2.0],
                2.0,
                Some([
                    2.0 - 3.182 * (2.0f64 / 3.0).sqrt() / 2.0,
                    2.0 + 3.182 * (2.0f64 / 3.0).sqrt() / 2.0,
                ]),
            ),
            (&[7.0, 7.0, 7.0], 7.0, Some([7.0, 7.0])),
        ];
        for (values, mean, ci) in cases {
            let e = Estimate::of(values).unwrap();
            assert!((e.mean - mean).abs() < 1e-12, "{values:?}");
            match (e.ci95, ci) {
                (None, None) => {}
                (Some(a), Some(b)) => assert!(
                    (a[0] - b[0]).abs() < 1e-9 && (a[1] - b[1]).abs() < 1e-9,
                    "{values:?}: {a:?}"
                ),
                other => panic!("{values:?}: {other:?}"),
            }
        }
        assert!(Estimate::of(&[]).is_none());
        assert_eq!(t975(100), 1.96);
    }
}
