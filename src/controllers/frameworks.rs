//! The batch frameworks' own controllers, reduced to what placement and quota see: the
//! JobSet controller (a child Job per replicated job replica, suspended and resumed with the
//! JobSet, the JobSet Completed when all its Jobs are), the training operator (a PyTorchJob's
//! master and worker pods; a TrainJob runs as the JobSet Trainer builds), and KubeRay (a
//! RayCluster's head and worker pods, which run until it is suspended or deleted; a RayJob's
//! cluster, then its submitter once every cluster pod is Ready, the RayJob done when the
//! submitter is, its cluster then deleted or left running per `shutdownAfterJobFinishes`).

use super::WorkQueue;
use crate::api::frameworks::{FrameworkKind, Role};
use crate::engine::action::{Action, FrameworkWrite, JobWrite};
use crate::engine::change::Change;
use crate::engine::components::{Component, Cx};
use crate::store::{Framework, FrameworkId, Job, Store};

/// Whether the child Job still has work running or to do.
fn running(j: &Job) -> bool {
    j.completed_at.is_none() && !j.spec.suspend
}

/// Every pod the Ray cluster's head and worker groups want is Ready.
pub(crate) fn cluster_ready(store: &Store, f: &Framework) -> bool {
    f.groups
        .iter()
        .enumerate()
        .filter(|(_, g)| g.role == Role::Service)
        .all(|(i, g)| {
            let ready = f
                .children_of(i)
                .filter_map(|j| store.jobs.get(j))
                .flat_map(|j| j.pods.iter())
                .filter(|p| {
                    store
                        .pods
                        .get(**p)
                        .is_some_and(|p| p.is_ready() && p.deletion.is_none())
                })
                .count();
            ready >= g.count() as usize
        })
}

/// Whether it has succeeded: every worker Job (a JobSet, PyTorchJob or TrainJob) or the
/// submitter (a RayJob) completed; a RayCluster never does.
fn succeeded(store: &Store, f: &Framework) -> bool {
    let role = match f.kind {
        FrameworkKind::RayCluster => return false,
        FrameworkKind::RayJob => Role::Submitter,
        _ => Role::Worker,
    };
    f.groups
        .iter()
        .enumerate()
        .filter(|(_, g)| g.role == role)
        .all(|(i, g)| {
            let done = f
                .children_of(i)
                .filter(|j| store.jobs.get(*j).is_some_and(|j| j.completed_at.is_some()))
                .count();
            done >= g.jobs as usize
        })
}

pub(crate) fn reconcile(store: &Store, id: FrameworkId) -> Vec<Action> {
    let Some(f) = store.frameworks.get(id) else {
        return Vec::new();
    };
    let children = || {
        f.children
            .iter()
            .filter_map(|(g, j)| store.jobs.get(*j).map(|j| (*g, j)))
    };
    if f.completed_at.is_some() {
        // A finished RayJob's cluster goes when `shutdownAfterJobFinishes` says so.
        let shutdown = f.ray.as_ref().is_some_and(|r| r.shutdown_after_job_finishes);
        if !shutdown {
            return Vec::new();
        }
        return children()
            .filter(|(g, j)| f.groups.get(*g).is_some_and(|g| g.role == Role::Service) && running(j))
            .map(|(_, j)| Action::Job(j.uid, JobWrite::Stop))
            .collect();
    }
    if f.suspend {
        return children()
            .filter(|(_, j)| running(j))
            .map(|(_, j)| Action::Job(j.uid, JobWrite::Stop))
            .collect();
    }
    if succeeded(store, f) {
        return vec![Action::Framework(id, FrameworkWrite::Complete)];
    }
    let mut actions = Vec::new();
    let ready = cluster_ready(store, f);
    for (i, g) in f.groups.iter().enumerate() {
        // KubeRay submits the job once the cluster is up.
        if g.role == Role::Submitter && !ready {
            continue;
        }
        let existing: Vec<&Job> = f.children_of(i).filter_map(|j| store.jobs.get(j)).collect();
        for index in existing.len() as u32..g.jobs {
            actions.push(Action::CreateFrameworkJob {
                framework: id,
                group: i,
                index,
            });
        }
        for j in existing
            .into_iter()
            .filter(|j| j.spec.suspend && j.completed_at.is_none())
        {
            // The JobSet controller's `resumeJob`: the template's placement, then unsuspend.
            actions.push(Action::Job(
                j.uid,
                JobWrite::Start {
                    node_selector: g.template.spec.node_selector.clone(),
                    tolerations: g.template.spec.tolerations.clone(),
                    parallelism: None,
                    topology_pod_set: g
                        .template
                        .spec
                        .scheduling_gates
                        .iter()
                        .any(|x| x == crate::kueue::tas::TOPOLOGY_GATE)
                        .then(|| g.pod_set.clone()),
                },
            ));
        }
    }
    actions
}

/// The frameworks' controllers, woken by their objects and their child Jobs and pods.
#[derive(Default)]
pub(crate) struct FrameworkController {
    queue: WorkQueue<FrameworkId>,
}

impl FrameworkController {
    fn owner(store: &Store, job: Option<crate::store::JobId>) -> Option<FrameworkId> {
        job.and_then(|j| store.jobs.get(j))
            .and_then(|j| j.owner_framework)
            .map(|(f, _)| f)
    }
}

impl Component for FrameworkController {
    fn on_change(&mut self, cx: &mut Cx, change: &Change) -> Vec<Action> {
        let store = cx.store;
        match change {
            Change::Framework(id) => self.queue.add(*id),
            Change::Job(j) | Change::JobCompleted(j) => self.queue.extend(Self::owner(store, Some(*j))),
            Change::PodReady(p) => {
                let job = store.pods.get(*p).and_then(|p| p.owner_job);
                self.queue.extend(Self::owner(store, job));
            }
            _ => {}
        }
        Vec::new()
    }

    fn reconcile_next(&mut self, cx: &mut Cx) -> Option<Vec<Action>> {
        self.queue.pop().map(|id| reconcile(cx.store, id))
    }
}
