//! The API server's side of every write: the only code that changes the store. Each
//! `Action` is applied whole — objects, their name and owner indexes, the events it
//! records — and answered with the `Change`s watchers react to. What the API server does
//! on its own at a write is here too: generateName, UIDs, the admission webhooks that
//! mutate new pods and Jobs.

mod apps;
mod autoscaling;
mod batch;
mod faults;
mod frameworks;
mod kubelet_events;
mod lws;
pub(crate) mod names;
mod nodes;
mod objects;
pub(crate) use objects::keeps_manifest;
mod pods;
mod workloads;

use crate::engine::action::Action;
use crate::engine::change::Change;
use crate::engine::kernel::{rng_stream, Stream};
use crate::store::{LogEvent, Store};
use crate::units::SimDuration;
use rand_chacha::ChaCha8Rng;

/// The applier and the little state it keeps: its random stream and its notes.
pub(crate) struct ApiServer {
    names: ChaCha8Rng,
    /// How long a Job's pods run when it does not say (the Scenario's `jobRunTime`).
    default_job_run_time: SimDuration,
    /// What the simulator noticed about its input while applying it.
    pub(crate) warnings: Vec<String>,
}

impl ApiServer {
    pub(crate) fn new(seed: u64, default_job_run_time: SimDuration) -> ApiServer {
        ApiServer {
            names: rng_stream(seed, Stream::Names),
            default_job_run_time,
            warnings: Vec::new(),
        }
    }

    /// Applies one action to the store and says what changed.
    pub(crate) fn apply(&mut self, store: &mut Store, action: Action) -> Vec<Change> {
        match action {
            Action::CreateDeployment {
                namespace,
                name,
                owner_isvc,
                labels,
                annotations,
                spec,
            } => apps::create_deployment(store, namespace, name, owner_isvc, labels, annotations, spec),
            Action::Deployment(id, write) => apps::write_deployment(store, id, write),
            Action::MarkIsvcMinReplicasApplied { key, min_replicas } => {
                if let Some(s) = store.isvcs.get_mut(&key) {
                    s.applied_min_replicas = min_replicas;
                }
                Vec::new()
            }
            Action::CreateReplicaSet {
                deployment,
                template,
                hash,
                replicas,
                revision,
            } => apps::create_replica_set(store, deployment, template, hash, replicas, revision),
            Action::ScaleReplicaSet { id, replicas } => apps::scale_replica_set(store, id, replicas, true),
            Action::SetReplicaSetReplicas { id, replicas } => apps::scale_replica_set(store, id, replicas, false),
            Action::ScaleDeployment { id, replicas } => apps::scale_deployment(store, id, replicas),
            Action::CreatePod { replicaset } => pods::create_for_replica_set(self, store, replicaset),
            Action::CreateJobPod { job } => batch::create_pod(self, store, job),
            Action::CreateLwsPod { lws, group, worker } => lws::create_pod(self, store, lws, group, worker),
            Action::Pod(id, write) => pods::write(store, id, write),
            Action::Job(id, write) => batch::write(store, id, write),
            Action::CreateFrameworkJob {
                framework,
                group,
                index,
            } => frameworks::create_child_job(self, store, framework, group, index),
            Action::Framework(id, write) => frameworks::write(store, id, write),
            Action::CreateWorkload(w) => workloads::create(store, *w),
            Action::Workload(id, write) => workloads::write(store, id, write),
            Action::Apply { object, manifest } => objects::apply(self, store, *object, manifest),
            Action::SetMetadata { target, field, values } => objects::set_metadata(store, target, field, values),
            Action::Cordon { node, unschedulable } => objects::cordon(store, &node, unschedulable),
            Action::DeleteReplicaSet { id, grace } => apps::delete_replica_set(store, id, grace),
            Action::DeleteDeployment { id, grace } => apps::delete_deployment(store, id, grace),
            Action::DeleteInferenceService { key, grace } => objects::delete_inference_service(store, key, grace),
            Action::Event(e) => {
                store.events.push(e);
                Vec::new()
            }
            Action::Node(name, write) => nodes::write(store, &name, write),
            Action::Fault(write) => faults::write(store, write),
            Action::Autoscaling(write) => autoscaling::write(store, write),
        }
    }
}

/// Records a Kubernetes event at the store's instant.
pub(crate) fn record(store: &mut Store, kind: &str, object: impl Into<String>, message: impl Into<String>) {
    let t = store.now;
    store.events.push(LogEvent {
        t,
        kind: kind.into(),
        object: object.into(),
        message: message.into(),
    });
}

/// Records a routine Kubernetes event at the store's instant: one `oc` lists and the
/// report does not (see `store::EventLog`).
pub(crate) fn record_routine(store: &mut Store, kind: &str, object: impl Into<String>, message: impl Into<String>) {
    let t = store.now;
    store.events.push_routine(LogEvent {
        t,
        kind: kind.into(),
        object: object.into(),
        message: message.into(),
    });
}
