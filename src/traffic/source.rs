//! One stream of requests for an InferenceService, as declared under `spec.traffic`: a
//! synthetic process (arrivals × token lengths) or a trace replayed from its start.

use super::arrivals::{next_arrival_s, Interarrival, RateSchedule};
use super::tokens::{LengthDist, LengthSampler};
use super::trace::TraceRequest;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp};

/// A shared prompt prefix (system prompt, few-shot examples): requests fall uniformly into
/// `groups` groups, each starting with the same `tokens` tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrefixSharing {
    pub groups: u32,
    pub tokens: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    Synthetic {
        arrival: Interarrival,
        rates: RateSchedule,
        prompt: LengthDist,
        output: LengthDist,
    },
    /// Requests at `start + offset / speed`, the trace repeating when `repeat` is set.
    Trace {
        requests: Vec<TraceRequest>,
        repeat: bool,
        speed: f64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrafficSpec {
    pub pattern: Pattern,
    /// First moment requests may arrive (seconds).
    pub start_s: f64,
    /// No arrivals from this moment on (seconds).
    pub stop_s: Option<f64>,
    pub prefix: Option<PrefixSharing>,
}

/// A request's shape as drawn from a stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Draw {
    pub at_s: f64,
    pub prompt_tokens: u32,
    pub output_tokens: u32,
    pub prefix: Option<(u32, u32)>,
}

pub struct Source<'a> {
    spec: &'a TrafficSpec,
    rng: ChaCha8Rng,
    now: f64,
    trace_index: usize,
    trace_round: u64,
    /// Gaps of a constant-rate Poisson stream, drawn without thinning.
    constant_gaps: Option<Exp<f64>>,
    lengths: Option<(LengthSampler<'a>, LengthSampler<'a>)>,
}

impl<'a> Source<'a> {
    /// `stream` separates the random streams of a Scenario's traffic entries.
    pub fn new(spec: &'a TrafficSpec, seed: u64, stream: u64) -> Source<'a> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7472_6166_6669_6300);
        rng.set_stream(stream + 1);
        Source {
            spec,
            rng,
            now: spec.start_s,
            trace_index: 0,
            trace_round: 0,
            lengths: match &spec.pattern {
                Pattern::Synthetic { prompt, output, .. } => Some((prompt.sampler(), output.sampler())),
                Pattern::Trace { .. } => None,
            },
            constant_gaps: match &spec.pattern {
                Pattern::Synthetic {
                    arrival: Interarrival::Poisson,
                    rates,
                    ..
                } if rates.steps.len() == 1 && rates.diurnal.is_none() && rates.steps[0].1 > 0.0 => {
                    Exp::new(rates.steps[0].1).ok()
                }
                _ => None,
            },
        }
    }

    /// The next request, in time order; `None` once the stream has ended.
    pub(crate) fn draw(&mut self) -> Option<Draw> {
        let (at_s, prompt_tokens, output_tokens) = match &self.spec.pattern {
            Pattern::Synthetic { arrival, rates, .. } => {
                let t = match &self.constant_gaps {
                    Some(gaps) => self.now + gaps.sample(&mut self.rng),
                    None => next_arrival_s(arrival, rates, self.now, &mut self.rng)?,
                };
                self.now = t;
                // A synthetic stream always has its samplers (made in `new`).
                let (prompt, output) = self.lengths.as_ref()?;
                (t, prompt.sample(&mut self.rng), output.sample(&mut self.rng))
            }
            Pattern::Trace {
                requests,
                repeat,
                speed,
            } => {
                if self.trace_index == requests.len() {
                    if !*repeat || requests.is_empty() {
                        return None;
                    }
                    self.trace_index = 0;
                    self.trace_round += 1;
                }
                let r = &requests[self.trace_index];
                self.trace_index += 1;
                // A repeated trace restarts one mean gap after its last request.
                let span = requests.last().map(|l| l.offset.as_secs_f64()).unwrap_or(0.0);
                let gap = span / requests.len().max(1) as f64;
                let t = self.spec.start_s + (self.trace_round as f64 * (span + gap) + r.offset.as_secs_f64()) / speed;
                (t, r.input_tokens.max(1), r.output_tokens.max(1))
            }
        };
        if self.spec.stop_s.is_some_and(|s| at_s >= s) {
            return None;
        }
        let prefix = self.spec.prefix.map(|p| {
            let group = self.rng.random_range(0..p.groups.max(1));
            (group, p.tokens.min(prompt_tokens.saturating_sub(1)))
        });
        Some(Draw {
            at_s,
            prompt_tokens,
            output_tokens,
            prefix,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::SimDuration;

    fn trace(offsets: &[u64]) -> Vec<TraceRequest> {
        offsets
            .iter()
            .map(|o| TraceRequest {
                offset: SimDuration(*o),
                input_tokens: 100,
                output_tokens: 10,
            })
            .collect()
    }

    #[test]
    fn a_trace_replays_from_the_start_time_and_repeats_when_asked() {
        let spec = TrafficSpec {
            pattern: Pattern::Trace {
                requests: trace(&[0, 1000, 3000]),
                repeat: true,
                speed: 1.0,
            },
            start_s: 60.0,
            stop_s: Some(70.0),
            prefix: None,
        };
        let mut s = Source::new(&spec, 1, 0);
        let times: Vec<f64> = std::iter::from_fn(|| s.draw()).map(|d| d.at_s).collect();
        // One round spans 3 s plus a mean gap of 1 s.
        assert_eq!(times, vec![60.0, 61.0, 63.0, 64.0, 65.0, 67.0, 68.0, 69.0]);
    }

    #[test]
    fn synthetic_streams_are_reproducible_and_independent() {
        let spec = TrafficSpec {
            pattern: Pattern::Synthetic {
                arrival: Interarrival::Poisson,
                rates: RateSchedule::constant(10.0),
                prompt: LengthDist::Uniform { min: 10, max: 20 },
                output: LengthDist::Fixed(5),
            },
            start_s: 0.0,
            stop_s: Some(100.0),
            prefix: Some(PrefixSharing { groups: 4, tokens: 8 }),
        };
        let take = |seed, stream| {
            let mut s = Source::new(&spec, seed, stream);
            std::iter::from_fn(|| s.draw()).collect::<Vec<_>>()
        };
        let a = take(7, 0);
        assert_eq!(a, take(7, 0));
        assert_ne!(a, take(7, 1));
        assert!((a.len() as f64 - 1000.0).abs() < 120.0, "{} arrivals", a.len());
        assert!(a.iter().all(|d| d.prefix.is_some_and(|(g, t)| g < 4 && t == 8)));
    }
}
