//! The event kernel: a clock, a queue of timed events and seeded random streams. It knows
//! nothing of Kubernetes; the cluster engine and the serving loop both run on it.
//!
//! Events at the same instant come out in the order they were scheduled: every entry
//! carries an insertion number, and the queue orders on (time, insertion number) alone,
//! so the payload needs no ordering of its own and ties never depend on what it holds.

use crate::units::{SimDuration, SimTime};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// A min-queue of `(key, value)` ordered by key, then by insertion.
#[derive(Debug)]
pub(crate) struct EventQueue<K, V> {
    heap: BinaryHeap<Reverse<Entry<K, V>>>,
    seq: u64,
}

#[derive(Debug)]
struct Entry<K, V> {
    key: K,
    seq: u64,
    value: V,
}

impl<K: Ord, V> PartialEq for Entry<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<K: Ord, V> Eq for Entry<K, V> {}
impl<K: Ord, V> PartialOrd for Entry<K, V> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<K: Ord, V> Ord for Entry<K, V> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key).then(self.seq.cmp(&other.seq))
    }
}

impl<K: Ord + Copy, V> Default for EventQueue<K, V> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }
}

impl<K: Ord + Copy, V> EventQueue<K, V> {
    /// Takes the next insertion number, for an event kept outside the queue that must
    /// still tie-break against the ones inside it.
    pub(crate) fn stamp(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub(crate) fn push(&mut self, key: K, value: V) {
        let seq = self.stamp();
        self.heap.push(Reverse(Entry { key, seq, value }));
    }

    /// The earliest entry's key and insertion number.
    pub(crate) fn peek(&self) -> Option<(K, u64, &V)> {
        self.heap.peek().map(|Reverse(e)| (e.key, e.seq, &e.value))
    }

    pub(crate) fn pop(&mut self) -> Option<(K, V)> {
        self.heap.pop().map(|Reverse(e)| (e.key, e.value))
    }
}

/// Simulated time and what is due when: the cluster's clock and timers.
///
/// Within an instant, what people type comes first: a command scheduled with
/// [`Kernel::schedule_command_at`] runs before the timers of its instant, whenever it was
/// scheduled. A timeline known from the start and a command typed during a paced
/// rehearsal therefore run at the same point of their instant, and give the same run.
#[derive(Debug)]
pub(crate) struct Kernel<E> {
    now: SimTime,
    queue: EventQueue<(SimTime, Band), E>,
}

/// The order of kinds of events within one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Band {
    Command,
    Timer,
}

impl<E> Default for Kernel<E> {
    fn default() -> Self {
        Kernel {
            now: SimTime::ZERO,
            queue: EventQueue::default(),
        }
    }
}

impl<E> Kernel<E> {
    pub(crate) fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at `t`, or now if `t` is already past.
    pub(crate) fn schedule_at(&mut self, t: SimTime, event: E) {
        self.queue.push((t.max(self.now), Band::Timer), event);
    }

    /// Schedules a command at `t` (or now if past), ahead of the timers of that instant
    /// and after the commands scheduled there before it.
    pub(crate) fn schedule_command_at(&mut self, t: SimTime, event: E) {
        self.queue.push((t.max(self.now), Band::Command), event);
    }

    pub(crate) fn schedule_in(&mut self, d: SimDuration, event: E) {
        self.queue.push((self.now + d, Band::Timer), event);
    }

    /// The instant of the next event, if any.
    pub(crate) fn next_instant(&self) -> Option<SimTime> {
        self.queue.peek().map(|((t, _), _, _)| t)
    }

    /// Moves the clock to `t`; time never goes back.
    pub(crate) fn advance_to(&mut self, t: SimTime) {
        self.now = self.now.max(t);
    }

    /// The next event due at the current instant: commands, then timers, each in
    /// scheduling order.
    pub(crate) fn pop_due(&mut self) -> Option<E> {
        match self.queue.peek() {
            Some(((t, _), _, _)) if t == self.now => self.queue.pop().map(|(_, v)| v),
            _ => None,
        }
    }
}

/// The control plane's random streams, one per purpose, so that (say) a new pod name
/// never shifts kube-scheduler's tie-breaks. Serving's streams (traffic, routers) are
/// drawn from the seed on their own in `serving` and `traffic`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stream {
    /// generateName suffixes and UIDs (the API server).
    Names = 1,
    /// Ties between equally good nodes (kube-scheduler).
    Scheduler = 2,
    /// Random faults' times, per node (`faults::plan`).
    Faults = 3,
}

/// One of the run's independent random streams: the same seed and stream always give the
/// same sequence, and drawing from one stream never shifts another.
pub(crate) fn rng_stream(seed: u64, stream: Stream) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream as u64);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_come_out_in_scheduling_order_whatever_the_payload() {
        let mut q: EventQueue<u64, &str> = EventQueue::default();
        for (k, v) in [(5, "z"), (1, "b"), (5, "a"), (1, "a"), (3, "m")] {
            q.push(k, v);
        }
        let order: Vec<(u64, &str)> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, [(1, "b"), (1, "a"), (3, "m"), (5, "z"), (5, "a")]);
    }

    #[test]
    fn the_kernel_hands_out_one_instant_at_a_time() {
        let mut k: Kernel<u32> = Kernel::default();
        k.schedule_at(SimTime(20), 2);
        k.schedule_at(SimTime(10), 1);
        k.schedule_at(SimTime(20), 3);
        assert_eq!(k.next_instant(), Some(SimTime(10)));
        k.advance_to(SimTime(10));
        assert_eq!((k.pop_due(), k.pop_due()), (Some(1), None));
        // Scheduling in the past lands now.
        k.schedule_at(SimTime(5), 4);
        assert_eq!(k.pop_due(), Some(4));
        k.advance_to(SimTime(20));
        assert_eq!((k.pop_due(), k.pop_due(), k.pop_due()), (Some(2), Some(3), None));
    }

    #[test]
    fn a_command_runs_first_in_its_instant_whenever_it_was_scheduled() {
        let mut k: Kernel<&str> = Kernel::default();
        k.schedule_at(SimTime(10), "timer");
        k.schedule_command_at(SimTime(10), "typed first");
        k.schedule_at(SimTime(10), "later timer");
        k.schedule_command_at(SimTime(10), "typed second");
        k.advance_to(SimTime(10));
        let order: Vec<&str> = std::iter::from_fn(|| k.pop_due()).collect();
        assert_eq!(order, ["typed first", "typed second", "timer", "later timer"]);
    }

    #[test]
    fn streams_are_independent_and_reproducible() {
        use rand::Rng;
        let a: u64 = rng_stream(7, Stream::Names).random();
        let b: u64 = rng_stream(7, Stream::Scheduler).random();
        assert_ne!(a, b);
        assert_eq!(a, rng_stream(7, Stream::Names).random::<u64>());
    }
}
