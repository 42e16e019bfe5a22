//! One pending time per replica, earliest first: an indexed four-ary heap whose entries
//! are moved in place when a replica's next step end changes, so no stale events pile up.
//! Four children per node halve the depth of a binary heap, and comparing times by their
//! bits with non-short-circuit operators lets the compiler pick the earliest child without
//! branches (which a random event order would mispredict half the time).

const NONE: u32 = u32::MAX;
const ARITY: usize = 4;

#[derive(Debug, Default)]
pub(crate) struct Timers {
    /// (time's bits, replica): times are never negative, so their bits order as they do;
    /// ties go to the lower replica index.
    heap: Vec<(u64, u32)>,
    /// Position of each replica in `heap`, or NONE.
    pos: Vec<u32>,
}

fn key(t: f64, i: usize) -> (u64, u32) {
    debug_assert!(t >= 0.0, "times are never negative");
    (t.to_bits(), i as u32)
}

fn replica(k: (u64, u32)) -> usize {
    k.1 as usize
}

fn less(a: (u64, u32), b: (u64, u32)) -> bool {
    (a.0 < b.0) | ((a.0 == b.0) & (a.1 < b.1))
}

impl Timers {
    pub(crate) fn new(n: usize) -> Timers {
        Timers {
            heap: Vec::with_capacity(n),
            pos: vec![NONE; n],
        }
    }

    /// Makes room for one more replica, with no time yet; returns its index.
    pub(crate) fn add(&mut self) -> usize {
        self.pos.push(NONE);
        self.pos.len() - 1
    }

    pub(crate) fn peek(&self) -> Option<(f64, usize)> {
        self.heap.first().map(|k| (f64::from_bits(k.0), replica(*k)))
    }

    /// Sets (or clears) replica `i`'s time.
    pub(crate) fn set(&mut self, i: usize, t: Option<f64>) {
        let p = self.pos[i];
        match (p == NONE, t) {
            (true, None) => {}
            (true, Some(t)) => {
                self.heap.push(key(t, i));
                self.up(self.heap.len() - 1);
            }
            (false, Some(t)) => {
                let p = p as usize;
                let (old, new) = (self.heap[p], key(t, i));
                self.heap[p] = new;
                if less(new, old) {
                    self.up(p);
                } else if less(old, new) {
                    self.down(p);
                }
            }
            (false, None) => {
                let p = p as usize;
                self.pos[i] = NONE;
                // `i` has a position, so the heap holds at least its entry.
                let last = self.heap.pop().expect("non-empty");
                if p < self.heap.len() {
                    self.heap[p] = last;
                    self.pos[replica(last)] = p as u32;
                    self.up(p);
                    let q = self.pos[replica(last)] as usize;
                    self.down(q);
                }
            }
        }
    }

    /// Moves the entry at `i` towards the root, shifting parents down into the hole.
    fn up(&mut self, mut i: usize) {
        let e = self.heap[i];
        while i > 0 {
            let parent = (i - 1) / ARITY;
            let pe = self.heap[parent];
            if !less(e, pe) {
                break;
            }
            self.heap[i] = pe;
            self.pos[replica(pe)] = i as u32;
            i = parent;
        }
        self.heap[i] = e;
        self.pos[replica(e)] = i as u32;
    }

    fn down(&mut self, mut i: usize) {
        let e = self.heap[i];
        let n = self.heap.len();
        loop {
            let first = ARITY * i + 1;
            if first >= n {
                break;
            }
            let kids = &self.heap[first..(first + ARITY).min(n)];
            let mut c = 0;
            for (j, k) in kids.iter().enumerate().skip(1) {
                c = if less(*k, kids[c]) { j } else { c };
            }
            let ce = kids[c];
            let c = first + c;
            if !less(ce, e) {
                break;
            }
            self.heap[i] = ce;
            self.pos[replica(ce)] = i as u32;
            i = c;
        }
        self.heap[i] = e;
        self.pos[replica(e)] = i as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn always_yields_the_earliest_time_as_times_move() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let n = 50;
        let mut timers = Timers::new(n);
        let mut truth: Vec<Option<f64>> = vec![None; n];
        for _ in 0..20_000 {
            let i = rng.random_range(0..n);
            let t = if rng.random_bool(0.2) {
                None
            } else {
                Some(rng.random_range(0..100) as f64)
            };
            timers.set(i, t);
            truth[i] = t;
            let want = truth
                .iter()
                .enumerate()
                .filter_map(|(i, t)| t.map(|t| (t, i)))
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            assert_eq!(timers.peek(), want);
        }
    }
}
