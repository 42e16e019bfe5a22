//! The Job controller (`pkg/controller/job`): keeps `parallelism` pods running (at most
//! what `completions` still needs) while the Job is not suspended, deletes its active pods
//! when it is suspended, and marks it Complete when enough pods succeeded.

use crate::engine::action::Action;
use crate::engine::world::{Uid, World};

pub fn reconcile(world: &World, uid: Uid) -> Vec<Action> {
    let Some(job) = world.jobs.get(&uid) else {
        return Vec::new();
    };
    if job.completed_at.is_some() {
        return Vec::new();
    }
    let active: Vec<Uid> = job
        .pods
        .iter()
        .copied()
        .filter(|p| world.pods.get(p).is_some_and(|p| p.deletion.is_none()))
        .collect();
    if job.spec.suspend {
        return active
            .into_iter()
            .map(|uid| Action::DeletePod { uid, grace: None })
            .collect();
    }
    if job.succeeded >= job.spec.completions {
        return vec![Action::CompleteJob { job: uid }];
    }
    let wanted = job.wanted() as usize;
    if active.len() < wanted {
        return (active.len()..wanted)
            .map(|_| Action::CreateJobPod { job: uid })
            .collect();
    }
    // Newest first, as the Job controller removes surplus pods.
    active
        .iter()
        .rev()
        .take(active.len() - wanted)
        .map(|&uid| Action::DeletePod { uid, grace: None })
        .collect()
}
