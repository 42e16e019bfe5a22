//! Writes to Pods: creation through the admission chain, binding, what the kubelet
//! reports of its start-up, deletion and removal. Owners' pod sets, nodes' requested
//! resources and Kueue pod groups are indexes of the pods and change with them.

use super::kubelet_events::{step_began, step_done};
use super::names::{random_suffix, uid as k8s_uid};
use super::{record, record_routine, ApiServer};
use crate::api::core::PodTemplate;
use crate::engine::action::PodWrite;
use crate::engine::change::{Change, GroupAfter};
use crate::store::{
    JobId, LeaderWorkerSetId, Pod, PodGroup, PodGroupId, PodId, ReplicaSetId, StartMark, StartPhase, Store,
};
use crate::units::SimDuration;

/// The objects a new pod belongs to.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Owners {
    pub rs: Option<ReplicaSetId>,
    pub job: Option<JobId>,
    pub lws: Option<LeaderWorkerSetId>,
}

/// `generateName`: `<prefix>-<5 random characters>`, drawn again on a collision as the
/// API server retries.
pub(super) fn generate_name(api: &mut ApiServer, store: &Store, namespace: &str, prefix: &str) -> String {
    loop {
        let candidate = format!("{prefix}-{}", random_suffix(&mut api.names, 5));
        if !store.pods.name_taken(namespace, &candidate) {
            return candidate;
        }
    }
}

pub(super) fn create_for_replica_set(api: &mut ApiServer, store: &mut Store, rs_id: ReplicaSetId) -> Vec<Change> {
    let Some(rs) = store.replicasets.get(rs_id) else {
        return Vec::new();
    };
    let (ns, prefix) = (rs.namespace.clone(), rs.name.clone());
    let mut template: PodTemplate = rs.template.clone();
    template
        .labels
        .insert("pod-template-hash".into(), rs.template_hash.clone());
    let name = generate_name(api, store, &ns, &prefix);
    create(
        api,
        store,
        ns,
        name,
        template,
        Owners {
            rs: Some(rs_id),
            ..Owners::default()
        },
    )
}

/// Creates a pod through the admission chain (Kueue's webhook gates the pods it queues)
/// and, when it names its node, binds it there.
pub(super) fn create(
    api: &mut ApiServer,
    store: &mut Store,
    ns: String,
    name: String,
    template: PodTemplate,
    owners: Owners,
) -> Vec<Change> {
    let id: PodId = store.alloc();
    let mut pod = Pod::new(id, k8s_uid(&mut api.names), ns, name, template, store.now);
    pod.owner_rs = owners.rs;
    pod.owner_job = owners.job;
    pod.owner_lws = owners.lws;
    crate::kueue::pod::mutate_new_pod(store, &mut pod);
    let mut changes = Vec::new();
    if crate::kueue::pod::is_managed(&pod) {
        if let Some(g) = join_pod_group(api, store, &pod) {
            pod.pod_group = Some(g);
            changes.push(Change::PodGroupJoined(g));
        }
    }
    let pinned = pod.spec.node_name.clone().filter(|_| !pod.is_gated());
    if let Some(rs) = owners.rs.and_then(|r| store.replicasets.get_mut(r)) {
        rs.pods.insert(id);
    }
    if let Some(j) = owners.job.and_then(|j| store.jobs.get_mut(j)) {
        j.pods.insert(id);
    }
    if let Some(l) = owners.lws.and_then(|l| store.leader_worker_sets.get_mut(l)) {
        l.pods.insert(id);
    }
    let (owner, full_name) = (store.owner_of(&pod), format!("{}/{}", pod.namespace, pod.name));
    let created_by = creator(store, &pod);
    let pod_name = pod.name.clone();
    store.pods.insert(id, pod);
    if let Some(object) = created_by {
        record_routine(store, "SuccessfulCreate", object, format!("Created pod: {pod_name}"));
    }
    super::faults::note_created(store, owner, id, &full_name);
    changes.push(Change::PodCreated(id));
    if let Some(node) = pinned {
        changes.extend(bind(store, id, &node));
    }
    changes
}

/// The object whose controller posts `SuccessfulCreate` for a new pod: its ReplicaSet,
/// or its Job when users see that Job (a training operator's or KubeRay's internal Jobs
/// stand for pods their operator creates, under its own events).
fn creator(store: &Store, pod: &Pod) -> Option<String> {
    if let Some(rs) = pod.owner_rs.and_then(|r| store.replicasets.get(r)) {
        return Some(format!("ReplicaSet {}/{}", rs.namespace, rs.name));
    }
    let job = pod.owner_job.and_then(|j| store.jobs.get(j)).filter(|j| j.visible)?;
    Some(format!("Job {}/{}", job.namespace, job.name))
}

/// Adds a managed pod to its Kueue pod group (creating the group), per its
/// `kueue.x-k8s.io/pod-group-name` label and total-count annotation.
fn join_pod_group(api: &mut ApiServer, store: &mut Store, pod: &Pod) -> Option<PodGroupId> {
    use crate::kueue::{POD_GROUP_NAME_LABEL, POD_GROUP_TOTAL_COUNT_ANNOTATION};
    let name = pod.labels.get(POD_GROUP_NAME_LABEL)?.clone();
    let id = match store.pod_groups.id_of(&pod.namespace, &name) {
        Some(g) => g,
        None => {
            let total = pod
                .annotations
                .get(POD_GROUP_TOTAL_COUNT_ANNOTATION)
                .and_then(|t| t.parse::<u32>().ok())
                .filter(|t| *t > 0);
            if total.is_none() {
                api.warnings.push(format!(
                    "pod {}/{} is in pod group {name} without a positive {POD_GROUP_TOTAL_COUNT_ANNOTATION}; \
                     Kueue's webhook would reject it, the group counts as 1 pod here",
                    pod.namespace, pod.name
                ));
            }
            let g = store.alloc();
            store.pod_groups.insert(
                g,
                PodGroup {
                    uid: g,
                    namespace: pod.namespace.clone(),
                    name,
                    total: total.unwrap_or(1),
                    pods: Default::default(),
                    workload: None,
                },
            );
            g
        }
    };
    store.pod_groups.get_mut(id)?.pods.insert(pod.uid);
    Some(id)
}

pub(super) fn write(store: &mut Store, id: PodId, write: PodWrite) -> Vec<Change> {
    match write {
        PodWrite::Bind { node } => bind(store, id, &node),
        PodWrite::Unschedulable { message } => {
            let Some(p) = store.pods.get_mut(id) else {
                return Vec::new();
            };
            if p.unschedulable.as_deref() != Some(&message) {
                p.unschedulable = Some(message.clone());
                let obj = format!("Pod {}/{}", p.namespace, p.name);
                record(store, "FailedScheduling", obj, message);
            }
            Vec::new()
        }
        PodWrite::Ungate {
            node_selector,
            tolerations,
        } => {
            let Some(p) = store.pods.get_mut(id) else {
                return Vec::new();
            };
            p.spec.scheduling_gates.retain(|g| g != crate::kueue::ADMISSION_GATE);
            p.spec.node_selector = node_selector;
            p.spec.tolerations = tolerations;
            // Kueue's pod integration posts `Started` on the pod it ungates.
            let obj = format!("Pod {}/{}", p.namespace, p.name);
            let queue = p
                .workload
                .and_then(|w| store.workloads.get(w))
                .and_then(|w| w.admission.as_ref())
                .map(|a| a.cluster_queue.clone());
            if let Some(cq) = queue {
                record_routine(store, "Started", obj, format!("Admitted by clusterQueue {cq}"));
            }
            vec![Change::PodUngated(id)]
        }
        PodWrite::UngateTopology { node_selector } => {
            let Some(p) = store.pods.get_mut(id) else {
                return Vec::new();
            };
            p.spec
                .scheduling_gates
                .retain(|g| g != crate::kueue::tas::TOPOLOGY_GATE);
            p.spec.node_selector.extend(node_selector);
            vec![Change::PodUngated(id)]
        }
        PodWrite::Start(plan) => {
            let now = store.now;
            let Some(p) = store.pods.get_mut(id) else {
                return Vec::new();
            };
            // The image lands in the node's cache once pulled; a later pod on this node
            // skips the pull even if it starts before this one finishes (approximation).
            let images: Vec<String> = p
                .spec
                .init_containers
                .iter()
                .filter(|c| c.name == "modelcar-init")
                .chain(p.spec.containers.iter())
                .map(|c| c.image.clone())
                .filter(|i| !i.is_empty())
                .collect();
            p.start_phase = plan.steps.first().map(|s| s.phase);
            p.startup = plan.steps;
            p.step = 0;
            p.marks = vec![(now, StartMark::Step(0))];
            p.memory = plan.memory;
            p.crash.failure = plan.failure;
            p.crash.restart_from = plan.restart_from;
            let node = p.node.clone();
            step_began(store, id, 0);
            if let Some(mut n) = node.and_then(|n| store.nodes.get_mut(&n)) {
                n.image_cache.extend(images);
            }
            Vec::new()
        }
        PodWrite::Phase(phase) => {
            // The kubelet reports the phase of the step that follows the one done.
            let now = store.now;
            let Some(p) = store.pods.get_mut(id) else {
                return Vec::new();
            };
            p.start_phase = Some(phase);
            let done = p.step;
            p.step += 1;
            p.marks.push((now, StartMark::Step(done + 1)));
            step_done(store, id, done);
            step_began(store, id, done + 1);
            Vec::new()
        }
        PodWrite::Ready => {
            let now = store.now;
            let Some(p) = store.pods.get_mut(id) else {
                return Vec::new();
            };
            p.start_phase = Some(StartPhase::Ready);
            p.ready_at = Some(now);
            p.waiting = None;
            let done = p.step;
            p.marks.push((now, StartMark::Ready));
            let (obj, took) = (format!("Pod {}/{}", p.namespace, p.name), now.since(p.created));
            step_done(store, id, done);
            record(store, "Ready", obj, format!("pod is Ready ({took} after creation)"));
            super::faults::note_ready(store, id);
            vec![Change::PodReady(id)]
        }
        PodWrite::NodeNotReady => match store.pods.get_mut(id) {
            Some(p) if !p.node_not_ready => {
                p.node_not_ready = true;
                vec![Change::PodNotReady(id)]
            }
            _ => Vec::new(),
        },
        PodWrite::NodeReadyAgain => match store.pods.get_mut(id) {
            Some(p) if p.node_not_ready => {
                p.node_not_ready = false;
                if p.is_ready() {
                    vec![Change::PodReadyAgain(id)]
                } else {
                    Vec::new()
                }
            }
            _ => Vec::new(),
        },
        PodWrite::Waiting {
            status,
            reason,
            message,
        } => {
            let now = store.now;
            let Some(p) = store.pods.get_mut(id) else {
                return Vec::new();
            };
            let held = status.is_some();
            p.waiting = status;
            let step = p.step;
            if held {
                p.marks.push((now, StartMark::Held));
                let obj = format!("Pod {}/{}", p.namespace, p.name);
                record(store, reason, obj, message);
            } else {
                // The step held up goes on: the kubelet begins it again (pulls again).
                p.marks.push((now, StartMark::Step(step)));
                step_began(store, id, step);
            }
            Vec::new()
        }
        PodWrite::DeviceFailed { message } => {
            let Some(p) = store.pods.get_mut(id) else {
                return Vec::new();
            };
            // The container keeps its device across restarts: every start fails at once.
            let from = p.crash.restart_from;
            p.startup.truncate(from + 1);
            p.crash.failure = Some(crate::serving::memory::StartupFailure {
                reason: "Error",
                message,
            });
            p.memory = None;
            let was_ready = p.is_ready();
            p.ready_at = None;
            if was_ready {
                vec![Change::PodNotReady(id)]
            } else {
                Vec::new()
            }
        }
        PodWrite::Crash {
            reason,
            message,
            backoff,
        } => {
            let now = store.now;
            let Some(p) = store.pods.get_mut(id) else {
                return Vec::new();
            };
            p.crash.restarts += 1;
            p.crash.backing_off = true;
            p.waiting = None;
            p.start_phase = Some(StartPhase::Starting);
            p.marks.push((now, StartMark::Crashed));
            let obj = format!("Pod {}/{}", p.namespace, p.name);
            record(store, reason, obj.clone(), message);
            record(
                store,
                "BackOff",
                obj,
                format!("Back-off {backoff} restarting failed container kserve-container"),
            );
            Vec::new()
        }
        PodWrite::Restart { phase } => {
            let now = store.now;
            let Some(p) = store.pods.get_mut(id) else {
                return Vec::new();
            };
            p.crash.backing_off = false;
            p.waiting = None;
            // The container runs its start-up again from the first step after the init
            // containers.
            let from = p.crash.restart_from;
            p.step = from;
            if phase.is_some() {
                p.start_phase = phase;
                p.marks.push((now, StartMark::Step(from)));
                step_began(store, id, from);
            }
            Vec::new()
        }
        PodWrite::Succeeded => {
            let Some(p) = store.pods.get(id) else {
                return Vec::new();
            };
            let (obj, job) = (format!("Pod {}/{}", p.namespace, p.name), p.owner_job);
            record(store, "Completed", obj, "container exited with code 0");
            if let Some(j) = job.and_then(|j| store.jobs.get_mut(j)) {
                j.succeeded += 1;
            }
            remove(store, id)
        }
        PodWrite::Delete { grace } => delete(store, id, grace),
        PodWrite::Remove => remove(store, id),
    }
}

fn bind(store: &mut Store, id: PodId, node_name: &str) -> Vec<Change> {
    let now = store.now;
    let (Some(mut node), Some(pod)) = (store.nodes.get_mut(node_name), store.pods.get_mut(id)) else {
        return Vec::new();
    };
    node.account(now);
    node.requested.add(&pod.requests);
    node.pods.insert(id);
    drop(node);
    pod.node = Some(node_name.to_string());
    pod.scheduled_at = Some(now);
    pod.unschedulable = None;
    let obj = format!("Pod {}/{}", pod.namespace, pod.name);
    let message = format!("Successfully assigned {}/{} to {node_name}", pod.namespace, pod.name);
    // Only a binding raises the GPUs allocated, so the peak is found here.
    if pod.requests.gpus() > 0 {
        let now_held = store.nodes.gpus_at(now);
        debug_assert_eq!(now_held, crate::store::GpuAllocationPeak::of(store.nodes.values(), now));
        if now_held.exceeds(store.gpu_allocation_peak.as_ref()) {
            store.gpu_allocation_peak = Some(now_held);
        }
    }
    record(store, "Scheduled", obj, message);
    vec![Change::PodBound(id)]
}

/// Starts the deletion: a pod a kubelet runs terminates within its grace period (the
/// kubelet then removes it); an unbound or gated one, or a forced deletion, is gone at
/// once.
fn delete(store: &mut Store, id: PodId, grace: Option<SimDuration>) -> Vec<Change> {
    let now = store.now;
    let Some(p) = store.pods.get_mut(id) else {
        return Vec::new();
    };
    if p.deletion.is_some() && grace != Some(SimDuration::ZERO) {
        return Vec::new();
    }
    let grace = grace.unwrap_or(SimDuration::from_secs(p.spec.termination_grace_seconds));
    if p.node.is_none() || grace == SimDuration::ZERO {
        return remove(store, id);
    }
    p.deletion = Some((now, grace));
    let obj = format!("Pod {}/{}", p.namespace, p.name);
    let container = p
        .spec
        .engine_container()
        .or(p.spec.containers.first())
        .map(|c| c.name.clone())
        .unwrap_or_default();
    record(store, "Killing", obj, format!("Stopping container {container}"));
    vec![Change::PodTerminating(id)]
}

/// The pod object is gone: its resources return to the node, and it leaves its owners'
/// and its pod group's sets.
fn remove(store: &mut Store, id: PodId) -> Vec<Change> {
    let now = store.now;
    let Some(p) = store.pods.remove(id) else {
        return Vec::new();
    };
    if let Some(mut n) = p.node.as_ref().and_then(|n| store.nodes.get_mut(n)) {
        n.account(now);
        n.requested.sub(&p.requests);
        n.pods.remove(&id);
    }
    if let Some(rs) = p.owner_rs.and_then(|r| store.replicasets.get_mut(r)) {
        rs.pods.remove(&id);
    }
    if let Some(j) = p.owner_job.and_then(|j| store.jobs.get_mut(j)) {
        j.pods.remove(&id);
    }
    if let Some(l) = p.owner_lws.and_then(|l| store.leader_worker_sets.get_mut(l)) {
        l.pods.remove(&id);
    }
    let mut group = GroupAfter::NoGroup;
    if let Some(g) = p.pod_group.and_then(|g| store.pod_groups.get_mut(g)) {
        g.pods.remove(&id);
        group = GroupAfter::Remaining;
        if g.pods.is_empty() {
            group = GroupAfter::Emptied(g.workload);
            // A group formed again under this name is a new group.
            let gid = g.uid;
            store.pod_groups.release_name(gid);
        }
    }
    vec![Change::PodRemoved {
        pod: Box::new(p),
        group,
    }]
}
