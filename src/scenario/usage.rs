//! Kueue's quota usage over a run, kept as changes: each sample holds only the
//! (ClusterQueue, flavor, resource) amounts that moved since the one before, so a day of a
//! fleet costs what changed, not every queue's usage copied at every instant.

use crate::kueue::cache::{FlavorResource, QuotaUsage};
use crate::units::{Quantity, SimTime};
use std::collections::BTreeMap;

/// One ClusterQueue's usage per (flavor, resource).
pub(crate) type QueueUsage = BTreeMap<FlavorResource, Quantity>;

/// A sample's changes: (key number, the new amount or `None` when the pair went).
type Changes = Vec<(u32, Option<Quantity>)>;

/// The (ClusterQueue, pair) keys samples refer to, by number.
#[derive(Debug, Default)]
struct Keys {
    all: Vec<(String, FlavorResource)>,
    number_of: BTreeMap<(String, FlavorResource), u32>,
}

impl Keys {
    fn number(&mut self, cq: &str, fr: &FlavorResource) -> u32 {
        let k = (cq.to_string(), fr.clone());
        if let Some(i) = self.number_of.get(&k) {
            return *i;
        }
        let i = self.all.len() as u32;
        self.all.push(k.clone());
        self.number_of.insert(k, i);
        i
    }
}

#[derive(Debug, Default)]
pub struct UsageHistory {
    /// The usage as of the last sample.
    last: QuotaUsage,
    keys: Keys,
    /// Per sample: its instant and what changed (`None`: the pair went out of the usage).
    samples: Vec<(SimTime, Changes)>,
}

impl UsageHistory {
    /// Notes the usage at `t` if it differs from the last sample's.
    pub(crate) fn observe(&mut self, t: SimTime, usage: &QuotaUsage) {
        if !self.samples.is_empty() && &self.last == usage {
            return;
        }
        let mut changes = Vec::new();
        for (cq, pairs) in usage {
            let before = self.last.get(cq);
            for (fr, q) in pairs {
                if before.and_then(|b| b.get(fr)) != Some(q) {
                    changes.push((self.keys.number(cq, fr), Some(*q)));
                }
            }
        }
        for (cq, pairs) in &self.last {
            let now = usage.get(cq);
            for fr in pairs.keys() {
                if now.is_none_or(|n| !n.contains_key(fr)) {
                    changes.push((self.keys.number(cq, fr), None));
                }
            }
        }
        self.samples.push((t, changes));
        self.last.clone_from(usage);
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// `cq`'s usage at the first sample and at every sample that changed it, in order:
    /// (instant, its usage then; empty when it had none).
    pub(crate) fn of_queue<'a>(&'a self, cq: &'a str) -> impl Iterator<Item = (SimTime, QueueUsage)> + 'a {
        let mut current = QueueUsage::new();
        self.samples.iter().enumerate().filter_map(move |(i, (t, changes))| {
            let mut changed = i == 0;
            for (k, q) in changes {
                let Some((c, fr)) = self.keys.all.get(*k as usize) else {
                    continue;
                };
                if c != cq {
                    continue;
                }
                changed = true;
                match q {
                    Some(q) => {
                        current.insert(fr.clone(), *q);
                    }
                    None => {
                        current.remove(fr);
                    }
                }
            }
            changed.then(|| (*t, current.clone()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kueue::cache::usage_from;

    #[test]
    fn replays_each_queue_as_it_was_sampled() {
        let gpu = |n| Quantity::from_units(n);
        // (instant, usage then): unchanged usage is not a sample; a queue that loses a
        // pair loses it in the replay too.
        let steps = [
            (0, usage_from([(("a", "h100", "gpu"), gpu(1))])),
            (1, usage_from([(("a", "h100", "gpu"), gpu(1))])),
            (
                2,
                usage_from([(("a", "h100", "gpu"), gpu(2)), (("b", "l4", "gpu"), gpu(4))]),
            ),
            (3, usage_from([(("b", "l4", "gpu"), gpu(3))])),
        ];
        let mut h = UsageHistory::default();
        for (t, u) in &steps {
            h.observe(SimTime(*t * 1000), u);
        }
        assert_eq!(h.len(), 3);
        let of = |cq| -> Vec<(u64, Vec<i64>)> {
            h.of_queue(cq)
                .map(|(t, u)| {
                    (
                        t.as_secs_f64() as u64,
                        u.values().map(|q| q.milli() as i64 / 1000).collect(),
                    )
                })
                .collect()
        };
        assert_eq!(of("a"), vec![(0, vec![1]), (2, vec![2]), (3, vec![])]);
        assert_eq!(of("b"), vec![(0, vec![]), (2, vec![4]), (3, vec![3])]);
        // A queue that changes at no sample but the first has that one only.
        let mut quiet = UsageHistory::default();
        quiet.observe(SimTime(0), &usage_from([(("c", "l4", "gpu"), gpu(1))]));
        quiet.observe(
            SimTime(5000),
            &usage_from([(("c", "l4", "gpu"), gpu(1)), (("d", "l4", "gpu"), gpu(2))]),
        );
        assert_eq!(quiet.of_queue("c").count(), 1);
    }
}
