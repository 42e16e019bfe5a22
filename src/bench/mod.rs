//! Hooks for the criterion benchmarks in `benches/`, which measure parts of a run that the
//! library's API does not expose on their own. Not an API: hidden from the docs and free
//! to change with the benchmarks.

use crate::api::kueue::ClusterQueue;
use crate::engine::action::{Action, Eviction, WorkloadWrite};
use crate::engine::Engine;
use crate::kueue::queue::QueueManager;
use crate::manifest::objects::Object;
use crate::Completed;
use std::collections::BTreeMap;

pub mod fleet;

/// One Kueue scheduling pass, set up after a finished run and repeatable from the same
/// state.
pub struct KueuePass {
    engine: Engine,
}

/// The queues a pass starts from (each run takes its own copy).
pub struct Queues(QueueManager);

/// What one pass decided.
#[derive(Debug, Default)]
pub struct PassOutcome {
    /// Heads admitted or found not to fit.
    pub decisions: u64,
    pub admitted: usize,
    pub evictions: usize,
    /// Pending messages by their first clause.
    pub pending: BTreeMap<String, usize>,
}

impl KueuePass {
    /// After `done`, every ClusterQueue as `edit` changes it, applied as `oc apply` would
    /// (so Kueue requeues what waits in them), before Kueue's next pass.
    pub fn after(done: Completed, edit: impl Fn(&mut ClusterQueue)) -> KueuePass {
        let mut engine = done.result.engine;
        let queues: Vec<ClusterQueue> = engine.store().cluster_queues.values().cloned().collect();
        for mut cq in queues {
            edit(&mut cq);
            engine.submit(Action::Apply {
                object: Box::new(Object::ClusterQueue(cq)),
                manifest: None,
            });
        }
        KueuePass { engine }
    }

    /// Workloads waiting in the ClusterQueues' queues.
    pub fn pending(&self) -> usize {
        self.engine
            .kueue()
            .queues
            .queues
            .values()
            .map(|q| q.active.len() + q.inadmissible.len())
            .sum()
    }

    pub fn queues(&self) -> Queues {
        let mut q = self.engine.kueue().queues.clone();
        q.decisions = 0;
        Queues(q)
    }

    /// One pass over `queues`.
    pub fn run(&self, queues: Queues) -> PassOutcome {
        let Queues(mut qm) = queues;
        let kueue = self.engine.kueue();
        let mut cache = kueue.cache.clone();
        let actions = crate::kueue::scheduler::schedule(self.engine.store(), &mut cache, &kueue.config, &mut qm);
        let mut out = PassOutcome {
            decisions: qm.decisions,
            ..PassOutcome::default()
        };
        for a in &actions {
            match a {
                Action::Workload(_, WorkloadWrite::Admit(_)) => out.admitted += 1,
                Action::Workload(_, WorkloadWrite::Evict(Eviction::Preempted { .. })) => out.evictions += 1,
                Action::Workload(_, WorkloadWrite::Pending { message, .. }) => {
                    *out.pending
                        .entry(message.split(':').next().unwrap_or("").to_string())
                        .or_default() += 1;
                }
                _ => {}
            }
        }
        out
    }
}

/// Kueue's admission decisions in a run.
pub fn kueue_decisions(done: &Completed) -> u64 {
    done.result.engine.kueue().queues.decisions
}
