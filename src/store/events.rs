//! The event log. Everything is kept until the log holds `CAP` events; beyond that it
//! keeps what kube-apiserver keeps — the last hour (`--event-ttl`, 1 h by default) — plus
//! the run's first events, which the report lists (`--report-limit` of them). So a day of a
//! fleet, a million events, holds an hour's worth, while every bundled scenario keeps all.

use super::LogEvent;
use crate::units::SimDuration;
use std::collections::BTreeMap;

/// Events held before the log starts to drop those older than the TTL.
const CAP: usize = 100_000;

/// kube-apiserver's `--event-ttl` default.
pub(crate) const EVENT_TTL: SimDuration = SimDuration(3_600_000);

#[derive(Debug, Default)]
pub struct EventLog {
    /// The first events of the run, once the log trims: at most `keep_first`.
    first: Vec<LogEvent>,
    /// The rest, in order.
    recent: Vec<LogEvent>,
    keep_first: usize,
    /// `recent`'s length after the last trim: the next trim waits until it has doubled,
    /// so trimming costs O(1) per event however busy the last hour is.
    trim_at: usize,
    total: u64,
    by_reason: BTreeMap<String, u64>,
}

impl EventLog {
    /// A log that keeps the first `keep_first` events whatever it drops later.
    pub(crate) fn keeping_first(keep_first: usize) -> EventLog {
        EventLog {
            keep_first,
            ..EventLog::default()
        }
    }

    pub(crate) fn push(&mut self, e: LogEvent) {
        self.total += 1;
        match self.by_reason.get_mut(&e.kind) {
            Some(n) => *n += 1,
            None => {
                self.by_reason.insert(e.kind.clone(), 1);
            }
        }
        let now = e.t;
        self.recent.push(e);
        if self.recent.len() > CAP.max(self.trim_at.saturating_mul(2)) {
            let horizon = now.0.saturating_sub(EVENT_TTL.0);
            let expired = self.recent.partition_point(|e| e.t.0 < horizon);
            let room = self.keep_first.saturating_sub(self.first.len());
            let mut gone = self.recent.drain(..expired);
            self.first.extend(gone.by_ref().take(room));
            drop(gone);
            self.trim_at = self.recent.len();
        }
    }

    /// The events held, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &LogEvent> + Clone + '_ {
        self.first.iter().chain(self.recent.iter())
    }

    /// Events held.
    pub fn len(&self) -> usize {
        self.first.len() + self.recent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Events recorded in the run, those dropped included.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Events recorded in the run by reason, those dropped included.
    pub fn by_reason(&self) -> &BTreeMap<String, u64> {
        &self.by_reason
    }
}

impl From<Vec<LogEvent>> for EventLog {
    fn from(events: Vec<LogEvent>) -> EventLog {
        let mut log = EventLog::default();
        for e in events {
            log.push(e);
        }
        log
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::SimTime;

    fn event(t_ms: u64) -> LogEvent {
        LogEvent {
            t: SimTime(t_ms),
            kind: if t_ms.is_multiple_of(2) { "Scheduled" } else { "Started" }.into(),
            object: "Pod a/b".into(),
            message: String::new(),
        }
    }

    #[test]
    fn a_small_log_keeps_everything() {
        let log = EventLog::from((0..1000).map(event).collect::<Vec<_>>());
        assert_eq!((log.len(), log.total()), (1000, 1000));
        assert_eq!(log.by_reason().get("Started"), Some(&500));
    }

    #[test]
    fn a_busy_log_keeps_the_first_events_and_the_last_hour() {
        // One event a second for two days: more than the cap.
        let mut log = EventLog::keeping_first(10);
        let day = 86_400;
        for s in 0..2 * day {
            log.push(event(s * 1000));
        }
        assert_eq!(log.total(), 2 * day);
        let held: Vec<u64> = log.iter().map(|e| e.t.0 / 1000).collect();
        assert_eq!(&held[..10], &(0..10).collect::<Vec<_>>()[..], "the first ten");
        assert!(held.windows(2).all(|w| w[0] < w[1]), "in order");
        // Everything of the last hour is there, and the log is bounded.
        let last = 2 * day - 1;
        assert!(held.contains(&(last - 3599)));
        assert!(log.len() <= CAP.max(2 * 3600) + 10, "{}", log.len());
    }
}
