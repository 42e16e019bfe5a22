//! The Job controller (`pkg/controller/job`): keeps `parallelism` pods running (at most
//! what `completions` still needs) while the Job is not suspended, deletes its active pods
//! when it is suspended, and marks it Complete when enough pods succeeded.

use super::WorkQueue;
use crate::engine::action::{Action, JobWrite, PodWrite};
use crate::engine::change::Change;
use crate::engine::components::{Component, Cx};
use crate::store::{JobId, PodId, Store};

pub(crate) fn reconcile(store: &Store, id: JobId) -> Vec<Action> {
    let Some(job) = store.jobs.get(id) else {
        return Vec::new();
    };
    if job.completed_at.is_some() {
        return Vec::new();
    }
    let active: Vec<PodId> = job
        .pods
        .iter()
        .copied()
        .filter(|p| store.pods.get(*p).is_some_and(|p| p.deletion.is_none()))
        .collect();
    let delete = |p: PodId| Action::Pod(p, PodWrite::Delete { grace: None });
    if job.spec.suspend {
        return active.into_iter().map(delete).collect();
    }
    if job.succeeded >= job.spec.completions {
        return vec![Action::Job(id, JobWrite::Complete)];
    }
    let wanted = job.wanted() as usize;
    if active.len() < wanted {
        return (active.len()..wanted)
            .map(|_| Action::CreateJobPod { job: id })
            .collect();
    }
    // Newest first, as the Job controller removes surplus pods.
    active
        .iter()
        .rev()
        .take(active.len() - wanted)
        .map(|&p| delete(p))
        .collect()
}

/// The Job controller: its Jobs, woken by their own changes and their pods' ends.
#[derive(Default)]
pub(crate) struct JobController {
    queue: WorkQueue<JobId>,
}

impl Component for JobController {
    fn on_change(&mut self, cx: &mut Cx, change: &Change) -> Vec<Action> {
        match change {
            Change::Job(id) => self.queue.add(*id),
            Change::PodTerminating(p) => self.queue.extend(cx.store.pods.get(*p).and_then(|p| p.owner_job)),
            Change::PodRemoved { pod, .. } => self.queue.extend(pod.owner_job),
            _ => {}
        }
        Vec::new()
    }

    fn reconcile_next(&mut self, cx: &mut Cx) -> Option<Vec<Action>> {
        self.queue.pop().map(|id| reconcile(cx.store, id))
    }
}
