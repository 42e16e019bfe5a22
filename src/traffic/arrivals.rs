//! Request arrival processes: Poisson, Gamma renewal (burstiness by its coefficient of
//! variation), a diurnal rate profile, and rate changes over time.

use crate::units::{SimDuration, SimTime};
use rand::Rng;
use rand_distr::{Distribution, Exp, Gamma};

#[derive(Debug, Clone, PartialEq)]
pub enum Interarrival {
    /// Exponential gaps: a Poisson process.
    Poisson,
    /// Gamma-distributed gaps with this coefficient of variation (1 = Poisson, >1 bursty).
    Gamma { cv: f64 },
}

/// A piecewise-constant base rate (requests per second) changed at given times, times an
/// optional diurnal factor `1 + amplitude × cos(2π (t − peak) / period)`.
#[derive(Debug, Clone, PartialEq)]
pub struct RateSchedule {
    /// (from, rate per second), sorted by time; the first entry starts at 0.
    pub steps: Vec<(SimTime, f64)>,
    pub diurnal: Option<Diurnal>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Diurnal {
    pub amplitude: f64,
    pub period: SimDuration,
    pub peak: SimDuration,
}

impl RateSchedule {
    pub fn constant(rate: f64) -> RateSchedule {
        RateSchedule {
            steps: vec![(SimTime::ZERO, rate)],
            diurnal: None,
        }
    }

    pub(crate) fn rate_at_s(&self, t: f64) -> f64 {
        let base = self
            .steps
            .iter()
            .take_while(|(at, _)| at.as_secs_f64() <= t)
            .last()
            .map(|(_, r)| *r)
            .unwrap_or(0.0);
        match self.diurnal {
            None => base,
            Some(d) => {
                let phase = (t * 1000.0 - d.peak.0 as f64) / d.period.0 as f64 * std::f64::consts::TAU;
                base * (1.0 + d.amplitude * phase.cos())
            }
        }
    }

    /// Multiplies the rate by `factor` over [from, until) (a burst).
    pub(crate) fn burst(&mut self, from: SimTime, until: SimTime, factor: f64) {
        // Both boundaries' rates are read before either is inserted: `rate_at_base` needs
        // the steps in time order, and a burst may start before an existing step.
        let boundaries = [(from, self.rate_at_base(from)), (until, self.rate_at_base(until))];
        for (t, r) in boundaries {
            if !self.steps.iter().any(|(at, _)| *at == t) {
                self.steps.push((t, r));
            }
        }
        self.steps.sort_by_key(|(at, _)| *at);
        for (at, r) in &mut self.steps {
            if *at >= from && *at < until {
                *r *= factor;
            }
        }
    }

    /// Sets the base rate from `at` on (a timeline change), dropping later steps.
    pub fn change(&mut self, at: SimTime, rate: f64) {
        self.steps.retain(|(t, _)| *t < at);
        self.steps.push((at, rate));
    }

    /// An upper bound of the rate from `t` on, for thinning.
    fn max_rate_from(&self, t: SimTime) -> f64 {
        let base = self
            .steps
            .iter()
            .filter(|(at, _)| *at > t)
            .map(|(_, r)| *r)
            .fold(self.rate_at_base(t), f64::max);
        base * (1.0 + self.diurnal.map(|d| d.amplitude.abs()).unwrap_or(0.0))
    }

    /// When the rate becomes zero for good: the last step's time if its rate is zero.
    fn silent_from(&self) -> Option<SimTime> {
        match self.steps.last() {
            Some((at, r)) if *r <= 0.0 => Some(*at),
            _ => None,
        }
    }

    fn rate_at_base(&self, t: SimTime) -> f64 {
        self.steps
            .iter()
            .take_while(|(at, _)| *at <= t)
            .last()
            .map(|(_, r)| *r)
            .unwrap_or(0.0)
    }
}

/// Draws the next arrival (seconds) strictly after `now`, or `None` when the rate is zero
/// from here on. Time-varying rates use thinning (Lewis–Shedler) over the renewal process.
pub(crate) fn next_arrival_s(kind: &Interarrival, rates: &RateSchedule, now: f64, rng: &mut impl Rng) -> Option<f64> {
    let bound = rates.max_rate_from(SimTime((now * 1000.0) as u64));
    if bound <= 0.0 {
        return None;
    }
    let constant = rates.steps.len() == 1 && rates.diurnal.is_none();
    // Past the step where the rate falls to zero for good no candidate is ever accepted:
    // the stream has ended, though the bound (a rate before that step) is positive.
    let silent_from = rates.silent_from().map(|at| at.as_secs_f64());
    let mut t = now;
    loop {
        // The Scenario's checks keep rates and cv positive and finite; were they not, the
        // stream simply ends.
        let gap = match kind {
            Interarrival::Poisson => Exp::new(bound).ok()?.sample(rng),
            Interarrival::Gamma { cv } => {
                // Shape k = 1/cv², mean 1/bound.
                let k = 1.0 / (cv * cv);
                Gamma::new(k, 1.0 / (bound * k)).ok()?.sample(rng)
            }
        };
        t += gap;
        if t > 1e9 || silent_from.is_some_and(|s| t >= s) {
            return None;
        }
        if constant {
            return Some(t);
        }
        let accept = rates.rate_at_s(t) / bound;
        if accept >= 1.0 || rng.random::<f64>() < accept {
            return Some(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn count(kind: &Interarrival, rates: &RateSchedule, until: f64, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut t = 0.0;
        let mut out = Vec::new();
        while let Some(n) = next_arrival_s(kind, rates, t, &mut rng) {
            if n > until {
                break;
            }
            out.push(n);
            t = n;
        }
        out
    }

    #[test]
    fn poisson_and_gamma_hit_the_rate() {
        for kind in [
            Interarrival::Poisson,
            Interarrival::Gamma { cv: 2.0 },
            Interarrival::Gamma { cv: 0.5 },
        ] {
            let n = count(&kind, &RateSchedule::constant(5.0), 20_000.0, 1).len() as f64;
            assert!(
                (n / 20_000.0 - 5.0).abs() < 0.15,
                "{kind:?}: {} per second",
                n / 20_000.0
            );
        }
    }

    #[test]
    fn bursty_gaps_have_the_requested_variation() {
        let arrivals = count(
            &Interarrival::Gamma { cv: 2.0 },
            &RateSchedule::constant(10.0),
            20_000.0,
            3,
        );
        let gaps: Vec<f64> = arrivals.windows(2).map(|w| w[1] - w[0]).collect();
        let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
        let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / gaps.len() as f64;
        let cv = var.sqrt() / mean;
        assert!((cv - 2.0).abs() < 0.15, "cv {cv}");
    }

    #[test]
    fn rate_changes_and_diurnal_profile_shape_the_counts() {
        let steps = RateSchedule {
            steps: vec![(SimTime::ZERO, 2.0), (SimTime(5_000_000), 8.0)],
            diurnal: None,
        };
        let a = count(&Interarrival::Poisson, &steps, 10_000.0, 5);
        let first = a.iter().filter(|t| **t < 5000.0).count() as f64 / 5000.0;
        let second = a.iter().filter(|t| **t >= 5000.0).count() as f64 / 5000.0;
        assert!(
            (first - 2.0).abs() < 0.15 && (second - 8.0).abs() < 0.3,
            "{first} {second}"
        );

        let day = SimDuration::from_secs(86_400);
        let diurnal = RateSchedule {
            steps: vec![(SimTime::ZERO, 4.0)],
            diurnal: Some(Diurnal {
                amplitude: 0.5,
                period: day,
                peak: SimDuration::from_secs(43_200),
            }),
        };
        let a = count(&Interarrival::Poisson, &diurnal, 86_400.0, 9);
        let around = |h: f64| a.iter().filter(|t| (**t / 3600.0 - h).abs() < 1.0).count() as f64 / 7200.0;
        assert!((around(12.0) - 6.0).abs() < 0.4, "peak {}", around(12.0));
        assert!((around(1.0) - 2.0).abs() < 0.3, "trough {}", around(1.0));
    }

    /// A burst that starts before a later step (here the stream's start, written as a
    /// zero-rate step) multiplies the rate inside it and leaves the rate after it as it
    /// was; the rate after it once came out zero, from the burst's own start step.
    #[test]
    fn a_burst_before_a_rate_step_leaves_the_rate_after_it() {
        let mut rates = RateSchedule {
            steps: vec![(SimTime::ZERO, 0.0), (SimTime(300_000), 2.0)],
            diurnal: None,
        };
        rates.burst(SimTime(234_000), SimTime(472_000), 0.5);
        assert_eq!(
            rates.steps,
            vec![
                (SimTime::ZERO, 0.0),
                (SimTime(234_000), 0.0),
                (SimTime(300_000), 1.0),
                (SimTime(472_000), 2.0)
            ]
        );
        let a = count(&Interarrival::Poisson, &rates, 2_472.0, 4);
        let after = a.iter().filter(|t| **t >= 472.0).count() as f64 / 2000.0;
        assert!((after - 2.0).abs() < 0.2, "{after} per second after the burst");
    }

    /// A rate that falls to zero for good ends the stream at once, though the thinning
    /// bound (the rate before) is positive: the draw used to run on to 1e9 seconds, over
    /// a billion candidates, which left a run hanging.
    #[test]
    fn a_rate_that_drops_to_zero_for_good_ends_the_stream() {
        let rates = RateSchedule {
            steps: vec![(SimTime::ZERO, 2.0), (SimTime(60_000), 0.0)],
            diurnal: None,
        };
        for kind in [Interarrival::Poisson, Interarrival::Gamma { cv: 2.0 }] {
            let started = std::time::Instant::now();
            let a = count(&kind, &rates, 1e12, 6);
            assert!(
                a.iter().all(|t| *t < 60.0),
                "{kind:?}: an arrival after the rate fell to zero"
            );
            assert!(
                (60..=200).contains(&a.len()),
                "{kind:?}: {} arrivals in the first minute",
                a.len()
            );
            assert!(
                started.elapsed().as_secs() < 5,
                "{kind:?}: took {:?}",
                started.elapsed()
            );
        }
    }
}
