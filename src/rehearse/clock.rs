//! The rehearsal's clock: simulated time as a function of wall-clock time, at a speed,
//! paused or running, moved forward by `skip` and `until`.

use crate::units::{SimDuration, SimTime};
use std::time::{Duration, Instant};

/// Simulated time runs at `speed` simulated seconds per wall second from an anchor.
#[derive(Debug, Clone)]
pub(crate) struct PaceClock {
    speed: f64,
    paused: bool,
    anchor_wall: Instant,
    anchor_sim: SimTime,
}

impl PaceClock {
    pub(crate) fn new(speed: f64, start: SimTime, wall: Instant) -> PaceClock {
        PaceClock {
            speed,
            paused: false,
            anchor_wall: wall,
            anchor_sim: start,
        }
    }

    pub(crate) fn speed(&self) -> f64 {
        self.speed
    }

    pub(crate) fn paused(&self) -> bool {
        self.paused
    }

    /// The simulated instant the wall clock stands for.
    pub(crate) fn sim_at(&self, wall: Instant) -> SimTime {
        if self.paused {
            return self.anchor_sim;
        }
        let elapsed = wall.saturating_duration_since(self.anchor_wall).as_secs_f64();
        SimTime(self.anchor_sim.0 + (elapsed * self.speed * 1000.0) as u64)
    }

    /// When the wall clock reaches simulated instant `t`; `None` while paused.
    pub(crate) fn wall_at(&self, t: SimTime) -> Option<Instant> {
        if self.paused {
            return None;
        }
        let ahead_ms = t.0.saturating_sub(self.anchor_sim.0) as f64;
        Some(self.anchor_wall + Duration::from_secs_f64(ahead_ms / 1000.0 / self.speed))
    }

    /// Re-anchors at `wall` so that what has run so far stays run.
    fn rebase(&mut self, wall: Instant) {
        self.anchor_sim = self.sim_at(wall);
        self.anchor_wall = wall;
    }

    pub(crate) fn set_speed(&mut self, speed: f64, wall: Instant) {
        self.rebase(wall);
        self.speed = speed;
    }

    pub(crate) fn pause(&mut self, wall: Instant) {
        self.rebase(wall);
        self.paused = true;
    }

    pub(crate) fn resume(&mut self, wall: Instant) {
        self.anchor_wall = wall;
        self.paused = false;
    }

    /// Moves simulated time forward by `d` at once.
    pub(crate) fn skip(&mut self, d: SimDuration, wall: Instant) {
        self.rebase(wall);
        self.anchor_sim = self.anchor_sim + d;
    }

    /// Sets simulated time to `t` (never back), e.g. where an `until` was met.
    pub(crate) fn jump_to(&mut self, t: SimTime, wall: Instant) {
        self.rebase(wall);
        self.anchor_sim = self.anchor_sim.max(t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn simulated_time_follows_the_wall_clock_at_its_speed() {
        let w0 = Instant::now();
        // (speed, wall seconds elapsed, simulated ms expected from 10 min)
        let cases = [
            (1.0, 5, 600_000 + 5_000),
            (60.0, 5, 600_000 + 300_000),
            (0.5, 4, 600_000 + 2_000),
        ];
        for (speed, secs, want) in cases {
            let c = PaceClock::new(speed, SimTime(600_000), w0);
            assert_eq!(c.sim_at(w0 + S * secs), SimTime(want), "speed {speed}");
            assert_eq!(c.wall_at(SimTime(want)), Some(w0 + S * secs), "speed {speed}");
        }
    }

    #[test]
    fn pause_holds_simulated_time_and_resume_goes_on_from_it() {
        let w0 = Instant::now();
        let mut c = PaceClock::new(60.0, SimTime::ZERO, w0);
        c.pause(w0 + S);
        assert_eq!(c.sim_at(w0 + S * 100), SimTime(60_000));
        assert_eq!(c.wall_at(SimTime(120_000)), None);
        c.resume(w0 + S * 100);
        assert_eq!(c.sim_at(w0 + S * 101), SimTime(120_000));
    }

    #[test]
    fn speed_skip_and_jump_keep_what_has_run() {
        let w0 = Instant::now();
        let mut c = PaceClock::new(10.0, SimTime::ZERO, w0);
        c.set_speed(100.0, w0 + S * 2);
        assert_eq!(c.sim_at(w0 + S * 3), SimTime(20_000 + 100_000));
        c.skip(SimDuration(300_000), w0 + S * 3);
        assert_eq!(c.sim_at(w0 + S * 3), SimTime(420_000));
        c.jump_to(SimTime(10_000), w0 + S * 3);
        assert_eq!(c.sim_at(w0 + S * 3), SimTime(420_000), "never back");
        c.jump_to(SimTime(500_000), w0 + S * 3);
        assert_eq!(c.sim_at(w0 + S * 3), SimTime(500_000));
    }
}
