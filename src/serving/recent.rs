//! The time to first token of one service's requests over the last minute, for a live view
//! while the run goes: a ring of one-second slots, each a log-scale histogram. Memory is
//! fixed (the slots and their bins), never by the number of requests, and recording a
//! request is a bin index and an increment.

/// Seconds the window spans: the last simulated minute.
pub(crate) const WINDOW_S: u64 = 60;
const SLOTS: usize = WINDOW_S as usize;
/// Bins per doubling: each bin spans 4.4%, so a quantile read at its middle is within 2.2%.
const PER_OCTAVE: f64 = 16.0;
/// The lowest bound, 2^-10 s (about 1 ms), and the doublings above it (to 2^14 s, past any
/// timeout): faster answers share the first bin, slower ones the last.
const LOWEST_S: f64 = 1.0 / 1024.0;
const OCTAVES: usize = 24;
const BINS: usize = OCTAVES * PER_OCTAVE as usize + 2;
/// A slot that holds no second yet.
const EMPTY: u64 = u64::MAX;

/// TTFT quantiles of the requests whose first token came within the window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RecentTtft {
    /// Requests counted (those whose first token came in the window and that have finished:
    /// a request is recorded when it completes).
    pub count: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
}

/// The ring: per slot the second it holds and its bins.
#[derive(Debug, Clone)]
pub(crate) struct Recent {
    seconds: [u64; SLOTS],
    bins: Vec<u32>,
}

impl Default for Recent {
    fn default() -> Self {
        Recent {
            seconds: [EMPTY; SLOTS],
            bins: vec![0; SLOTS * BINS],
        }
    }
}

fn bin_of(ttft_s: f64) -> usize {
    if ttft_s.is_nan() || ttft_s < LOWEST_S {
        return 0;
    }
    let i = ((ttft_s / LOWEST_S).log2() * PER_OCTAVE).floor();
    // Finite and non-negative here; the cast saturates at the top.
    (i as usize).saturating_add(1).min(BINS - 1)
}

/// The middle of a bin (geometric), in seconds.
fn middle_of(bin: usize) -> f64 {
    match bin {
        0 => LOWEST_S,
        b if b == BINS - 1 => LOWEST_S * 2f64.powi(OCTAVES as i32),
        b => LOWEST_S * 2f64.powf((b as f64 - 0.5) / PER_OCTAVE),
    }
}

impl Recent {
    /// A request whose first token came at `first_token_s` after `ttft_s`. Requests finish
    /// roughly in time order, so one whose first token came before the oldest second the
    /// ring holds is past the window of any later reading and is dropped.
    pub(crate) fn record(&mut self, first_token_s: f64, ttft_s: f64) {
        if !first_token_s.is_finite() {
            return;
        }
        let second = first_token_s.max(0.0).floor() as u64;
        // Below WINDOW_S, the rings' length (`bins` holds BINS per slot; `bin_of` < BINS).
        let slot = (second % WINDOW_S) as usize;
        let held = self.seconds[slot];
        if held != second {
            if held != EMPTY && held > second {
                return;
            }
            self.seconds[slot] = second;
            self.bins[slot * BINS..(slot + 1) * BINS].fill(0);
        }
        let b = &mut self.bins[slot * BINS + bin_of(ttft_s)];
        *b = b.saturating_add(1);
    }

    /// The quantiles over the first tokens of the last `WINDOW_S` seconds up to `now_s`
    /// (its own second included); none when no request counts.
    pub(crate) fn read(&self, now_s: f64) -> Option<RecentTtft> {
        let now = now_s.max(0.0).floor() as u64;
        let from = now.saturating_sub(WINDOW_S - 1);
        let mut sum = vec![0u64; BINS];
        for (slot, &second) in self.seconds.iter().enumerate() {
            if second == EMPTY || second < from || second > now {
                continue;
            }
            for (s, c) in sum.iter_mut().zip(&self.bins[slot * BINS..(slot + 1) * BINS]) {
                *s += u64::from(*c);
            }
        }
        let count: u64 = sum.iter().sum();
        if count == 0 {
            return None;
        }
        // The value at quantile q: the first bin where at least q of the requests lie.
        let at = |q: f64| {
            let rank = ((q * count as f64).ceil() as u64).max(1);
            let mut seen = 0;
            for (bin, c) in sum.iter().enumerate() {
                seen += c;
                if seen >= rank {
                    return middle_of(bin) * 1000.0;
                }
            }
            middle_of(BINS - 1) * 1000.0
        };
        let ms = |v: f64| (v * 1000.0).round() / 1000.0;
        Some(RecentTtft {
            count,
            p50_ms: ms(at(0.50)),
            p95_ms: ms(at(0.95)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_the_bin_width() {
        let mut r = Recent::default();
        // 100 requests at 10 s, TTFTs 10 ms … 1 s.
        for i in 1..=100 {
            r.record(10.0 + i as f64 * 0.001, i as f64 * 0.01);
        }
        let q = r.read(30.0).expect("requests in the window");
        assert_eq!(q.count, 100);
        assert!((q.p50_ms - 500.0).abs() / 500.0 < 0.025, "{q:?}");
        assert!((q.p95_ms - 950.0).abs() / 950.0 < 0.025, "{q:?}");
    }

    #[test]
    fn the_window_is_the_last_minute_and_slots_are_reused() {
        let mut r = Recent::default();
        r.record(5.2, 0.1);
        r.record(64.0, 2.0);
        // At 64 s the window is 5..=64: both count.
        assert_eq!(r.read(64.9).map(|q| q.count), Some(2));
        // At 65 s the first has left it.
        let q = r.read(65.0).expect("one left");
        assert_eq!(q.count, 1);
        assert!((q.p50_ms - 2000.0).abs() < 50.0, "{q:?}");
        // Second 125 takes the slot of 5 and of 65: what it held is gone.
        r.record(125.5, 0.3);
        assert_eq!(r.read(125.5).map(|q| q.count), Some(1));
        // A first token older than what its slot holds is past every later window.
        r.record(65.0, 0.3);
        assert_eq!(r.read(125.5).map(|q| q.count), Some(1));
        assert_eq!(r.read(400.0), None);
    }

    #[test]
    fn extremes_fall_in_the_end_bins() {
        let mut r = Recent::default();
        r.record(1.0, 0.0);
        r.record(1.0, f64::NAN);
        r.record(1.0, 1e9);
        r.record(f64::INFINITY, 1.0);
        let q = r.read(1.0).expect("three counted");
        assert_eq!(q.count, 3);
        assert!(q.p50_ms < 1.0 && q.p95_ms > 1e6, "{q:?}");
    }
}
