//! Token-length distributions for prompts and outputs.

use crate::serving::rounding::round_u64;
use rand::Rng;
use rand_distr::{Distribution, LogNormal};

#[derive(Debug, Clone, PartialEq)]
pub enum LengthDist {
    Fixed(u32),
    Uniform {
        min: u32,
        max: u32,
    },
    /// Parameterised by the mean and standard deviation of the lengths themselves.
    LogNormal {
        mean: f64,
        sd: f64,
    },
    /// Sampled uniformly from observed lengths (e.g. a trace's column).
    Empirical(Vec<u32>),
}

/// The longest prompt or answer a distribution may describe: far beyond any model's
/// context, and small enough that every derived figure stays finite.
pub(crate) const MAX_TOKENS: f64 = 1e7;

impl LengthDist {
    /// Validates the parameters; the message says what a user must change.
    pub fn check(&self) -> Result<(), String> {
        match self {
            LengthDist::Fixed(0) => Err("a fixed length must be at least 1 token".into()),
            LengthDist::Uniform { min, max } if min > max => Err(format!("min ({min}) is greater than max ({max})")),
            LengthDist::Uniform { min: 0, .. } => Err("min must be at least 1 token".into()),
            LengthDist::LogNormal { mean, sd } if !(*mean >= 1.0 && *sd >= 0.0) => Err(format!(
                "lognormal needs mean >= 1 and sd >= 0 (got mean {mean}, sd {sd})"
            )),
            LengthDist::LogNormal { mean, sd } if !(*mean <= MAX_TOKENS && *sd <= MAX_TOKENS) => Err(format!(
                "lognormal mean and sd are at most {MAX_TOKENS:e} tokens (got mean {mean}, sd {sd})"
            )),
            LengthDist::Empirical(v) if v.is_empty() => {
                Err("an empirical distribution needs at least one length".into())
            }
            _ => Ok(()),
        }
    }

    pub fn mean(&self) -> f64 {
        match self {
            LengthDist::Fixed(n) => *n as f64,
            LengthDist::Uniform { min, max } => (*min as f64 + *max as f64) / 2.0,
            LengthDist::LogNormal { mean, .. } => *mean,
            LengthDist::Empirical(v) => v.iter().map(|x| *x as f64).sum::<f64>() / v.len() as f64,
        }
    }

    /// A sampler with the distribution's parameters worked out once (same draws as `sample`).
    pub(crate) fn sampler(&self) -> LengthSampler<'_> {
        match self {
            LengthDist::LogNormal { mean, sd } if *sd > 0.0 => {
                let (mu, sigma) = lognormal_params(*mean, *sd);
                // `check` keeps σ finite; were it not, the lengths fall back to the mean.
                match LogNormal::new(mu, sigma) {
                    Ok(d) => LengthSampler::LogNormal(d),
                    Err(_) => LengthSampler::Other(self),
                }
            }
            other => LengthSampler::Other(other),
        }
    }

    pub fn sample(&self, rng: &mut impl Rng) -> u32 {
        match self {
            LengthDist::Fixed(n) => *n,
            LengthDist::Uniform { min, max } => rng.random_range(*min..=*max),
            LengthDist::LogNormal { mean, sd } => {
                if *sd == 0.0 {
                    return mean.round() as u32;
                }
                let (mu, sigma) = lognormal_params(*mean, *sd);
                match LogNormal::new(mu, sigma) {
                    Ok(d) => length(d.sample(rng)),
                    Err(_) => length(*mean),
                }
            }
            LengthDist::Empirical(v) if v.is_empty() => 1,
            LengthDist::Empirical(v) => v[rng.random_range(0..v.len())],
        }
    }
}

/// A sampled real length as whole tokens, at least one.
fn length(x: f64) -> u32 {
    round_u64(x).clamp(1, u32::MAX as u64) as u32
}

/// Moments of the length → parameters (μ, σ) of the underlying normal.
fn lognormal_params(mean: f64, sd: f64) -> (f64, f64) {
    let sigma2 = (1.0 + (sd / mean).powi(2)).ln();
    (mean.ln() - sigma2 / 2.0, sigma2.sqrt())
}

pub enum LengthSampler<'a> {
    LogNormal(LogNormal<f64>),
    Other(&'a LengthDist),
}

impl LengthSampler<'_> {
    pub fn sample(&self, rng: &mut impl Rng) -> u32 {
        match self {
            LengthSampler::LogNormal(d) => length(d.sample(rng)),
            LengthSampler::Other(d) => d.sample(rng),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn sample_means_match_the_distributions() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let cases = [
            LengthDist::Fixed(512),
            LengthDist::Uniform { min: 64, max: 256 },
            LengthDist::LogNormal { mean: 800.0, sd: 400.0 },
            LengthDist::Empirical(vec![10, 20, 30, 40]),
        ];
        for d in cases {
            d.check().unwrap();
            let n = 200_000;
            let m = (0..n).map(|_| d.sample(&mut rng) as f64).sum::<f64>() / n as f64;
            assert!((m - d.mean()).abs() / d.mean() < 0.01, "{d:?}: sample mean {m}");
        }
    }

    #[test]
    fn bad_parameters_are_explained() {
        assert!(LengthDist::Uniform { min: 9, max: 3 }
            .check()
            .unwrap_err()
            .contains("greater than"));
        assert!(LengthDist::Fixed(0).check().is_err());
        assert!(LengthDist::LogNormal { mean: 0.0, sd: 1.0 }.check().is_err());
        // Past the limit σ would be infinite and the sampler could not be built.
        for (mean, sd) in [
            (1.0, 1e300),
            (1e300, 1.0),
            (f64::INFINITY, 1.0),
            (f64::NAN, 1.0),
            (1.0, f64::NAN),
        ] {
            assert!(LengthDist::LogNormal { mean, sd }.check().is_err(), "{mean} {sd}");
        }
    }
}
