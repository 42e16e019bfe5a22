//! The event log. Everything is kept until the log holds `CAP` events; beyond that it
//! keeps what kube-apiserver keeps — the last hour (`--event-ttl`, 1 h by default) — plus
//! the run's first events, which the report lists (`--report-limit` of them). So a day of a
//! fleet, a million events, holds an hour's worth, while every bundled scenario keeps all.
//!
//! Two streams share it. The report's events are the decisions a run is read by
//! (scheduling, admission, eviction, scaling) and the simulator's own notes; the routine
//! ones are the Kubernetes events that only follow from those or from a container's steps
//! (a kubelet's `Pulling`, `Created`, `Started`, a ReplicaSet's `SuccessfulCreate`, Kueue's
//! `Admitted` after `QuotaReserved`). `oc get events` and `oc describe` read both; the
//! report lists, counts and cuts only the first, so that its first events stay the
//! decisions however many pods start.

use super::LogEvent;
use crate::units::SimDuration;
use std::collections::BTreeMap;

/// Events held before the log starts to drop those older than the TTL.
const CAP: usize = 100_000;

/// kube-apiserver's `--event-ttl` default.
pub(crate) const EVENT_TTL: SimDuration = SimDuration(3_600_000);

/// An event as held, with the stream it belongs to.
#[derive(Debug, Clone)]
struct Held {
    event: LogEvent,
    routine: bool,
}

#[derive(Debug, Default)]
pub struct EventLog {
    /// The first report events of the run, once the log trims: at most `keep_first`.
    first: Vec<LogEvent>,
    /// The rest of both streams, in order.
    recent: Vec<Held>,
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

    /// A report event.
    pub(crate) fn push(&mut self, e: LogEvent) {
        self.total += 1;
        match self.by_reason.get_mut(&e.kind) {
            Some(n) => *n += 1,
            None => {
                self.by_reason.insert(e.kind.clone(), 1);
            }
        }
        self.hold(e, false);
    }

    /// A routine event: held for `oc` under the same retention, neither listed nor
    /// counted by the report.
    pub(crate) fn push_routine(&mut self, e: LogEvent) {
        self.hold(e, true);
    }

    fn hold(&mut self, event: LogEvent, routine: bool) {
        let now = event.t;
        self.recent.push(Held { event, routine });
        if self.recent.len() > CAP.max(self.trim_at.saturating_mul(2)) {
            let horizon = now.0.saturating_sub(EVENT_TTL.0);
            let expired = self.recent.partition_point(|h| h.event.t.0 < horizon);
            let room = self.keep_first.saturating_sub(self.first.len());
            let gone = self.recent.drain(..expired);
            // Only the report lists the first events; expired routine ones just go.
            self.first
                .extend(gone.filter(|h| !h.routine).map(|h| h.event).take(room));
            self.trim_at = self.recent.len();
        }
    }

    /// The report's events held, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &LogEvent> + Clone + '_ {
        self.first
            .iter()
            .chain(self.recent.iter().filter(|h| !h.routine).map(|h| &h.event))
    }

    /// Every event held, both streams, in the order they were recorded: what the API
    /// server would list.
    pub fn all(&self) -> impl DoubleEndedIterator<Item = &LogEvent> + Clone + '_ {
        self.first.iter().chain(self.recent.iter().map(|h| &h.event))
    }

    /// The report's events held.
    pub fn len(&self) -> usize {
        self.first.len() + self.recent.iter().filter(|h| !h.routine).count()
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Report events recorded in the run, those dropped included.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Report events recorded in the run by reason, those dropped included.
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

    #[test]
    fn routine_events_are_held_for_oc_but_not_listed_or_counted_by_the_report() {
        let mut log = EventLog::keeping_first(3);
        for s in 0..6 {
            log.push(event(s * 1000));
            log.push_routine(LogEvent {
                kind: "Pulled".into(),
                ..event(s * 1000)
            });
        }
        assert_eq!((log.len(), log.total()), (6, 6));
        assert_eq!(log.by_reason().get("Pulled"), None);
        assert!(log.iter().all(|e| e.kind != "Pulled"));
        let all: Vec<&str> = log.all().map(|e| e.kind.as_str()).collect();
        assert_eq!(all.len(), 12);
        assert_eq!(&all[..2], &["Scheduled", "Pulled"], "in the order recorded");
    }

    #[test]
    fn a_trim_keeps_the_first_report_events_whatever_the_routine_ones() {
        // Two days of one report and nine routine events a second: the report still
        // lists its own first ten, as without the routine ones.
        let mut log = EventLog::keeping_first(10);
        let day = 86_400;
        for s in 0..2 * day {
            log.push(event(s * 1000));
            for _ in 0..9 {
                log.push_routine(LogEvent {
                    kind: "Created".into(),
                    ..event(s * 1000)
                });
            }
        }
        let first: Vec<u64> = log.iter().take(10).map(|e| e.t.0 / 1000).collect();
        assert_eq!(first, (0..10).collect::<Vec<_>>());
        assert_eq!(log.total(), 2 * day);
        assert!(log.all().count() <= CAP.max(2 * 36_000) + 10);
    }
}
