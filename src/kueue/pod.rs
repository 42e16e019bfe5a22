//! Kueue's pod integration (`pkg/controller/jobs/pod`): the mutating webhook gates
//! queued pods, the reconciler keeps one Workload per pod and ungates admitted ones.

use super::{ADMISSION_GATE, MANAGED_LABEL, POD_SET, PRIORITY_CLASS_LABEL, QUEUE_NAME_LABEL};
use crate::api::core::Toleration;
use crate::apiserver::names::workload_name_for_pod;
use crate::engine::action::{Action, PodWrite};
use crate::store::{Pod, PodGroup, PodId, PodSet, Store, Workload, WorkloadSource};

/// The webhook's mutation of a pod at creation. Pods with a queue (label, or the
/// namespace's `default` LocalQueue) get the label, the managed label and the gate.
pub(crate) fn mutate_new_pod(store: &Store, pod: &mut Pod) {
    // A Job's pods belong to the Job's Workload (the job integration).
    if pod.owner_job.is_some() {
        return;
    }
    let Some(queue) = store.queue_for(&pod.namespace, &pod.labels) else {
        return;
    };
    pod.labels.insert(QUEUE_NAME_LABEL.into(), queue);
    pod.labels.insert(MANAGED_LABEL.into(), "true".into());
    if !pod.spec.scheduling_gates.iter().any(|g| g == ADMISSION_GATE) {
        pod.spec.scheduling_gates.push(ADMISSION_GATE.into());
    }
}

pub(crate) fn is_managed(pod: &Pod) -> bool {
    pod.labels.get(MANAGED_LABEL).is_some_and(|v| v == "true")
}

/// Priority as Kueue resolves it: WorkloadPriorityClass label, else the pod's
/// PriorityClass, else a globalDefault PriorityClass, else 0.
pub(crate) fn priority_of(store: &Store, pod: &Pod) -> (i32, Option<String>) {
    priority_from(store, &pod.labels, pod.spec.priority_class_name.as_ref())
}

/// Priority from a job's labels and its pods' PriorityClass, as `priority_of`.
pub(crate) fn priority_from(
    store: &Store,
    labels: &crate::api::meta::Labels,
    priority_class_name: Option<&String>,
) -> (i32, Option<String>) {
    if let Some(wpc) = labels.get(PRIORITY_CLASS_LABEL) {
        if let Some(c) = store.workload_priority_classes.get(wpc) {
            return (c.value, Some(wpc.clone()));
        }
    }
    if let Some(pc) = priority_class_name {
        if let Some(c) = store.priority_classes.get(pc) {
            return (c.value, Some(pc.clone()));
        }
    }
    if let Some(c) = store.priority_classes.values().find(|c| c.global_default) {
        return (c.value, Some(c.name.clone()));
    }
    (0, None)
}

fn owner_name(store: &Store, pod: &Pod) -> String {
    if let Some(d) = store.deployment_of_pod(pod) {
        return d.owner_isvc.clone().unwrap_or_else(|| d.name.clone());
    }
    pod.name.clone()
}

/// Reconciles one managed pod: create its workload, ungate it once admitted.
pub(crate) fn reconcile(store: &Store, pod_id: PodId) -> Vec<Action> {
    let Some(pod) = store.pods.get(pod_id) else {
        return Vec::new();
    };
    if !is_managed(pod) {
        return Vec::new();
    }
    match pod.workload.and_then(|w| store.workloads.get(w)) {
        None if pod.deletion.is_none() && pod.is_gated() => {
            if let Some(g) = pod.pod_group.and_then(|g| store.pod_groups.get(g)) {
                return group_workload(store, g).into_iter().collect();
            }
            let (priority, priority_class) = priority_of(store, pod);
            let mut w = Workload {
                namespace: pod.namespace.clone(),
                name: workload_name_for_pod(&pod.name, &pod.k8s_uid),
                queue_name: pod.labels.get(QUEUE_NAME_LABEL).cloned().unwrap_or_default(),
                pod_name: pod.name.clone(),
                owner: owner_name(store, pod),
                priority,
                priority_class,
                ..Workload::queued(WorkloadSource::Pod(pod.uid), store.now)
            };
            w.set_pod_sets(vec![PodSet {
                topology_request: super::tas::topology_request(&pod.annotations),
                ..PodSet::new(POD_SET, 1, pod.spec.clone())
            }]);
            vec![Action::CreateWorkload(Box::new(w))]
        }
        Some(w) if pod.is_gated() && pod.deletion.is_none() => match &w.admission {
            Some(admission) => {
                let pod_set = pod_set_of(store, pod);
                let (mut node_selector, tolerations) = placement(store, admission, &pod_set, &pod.spec);
                // A pod set placed by topology: the ungater's node for this pod.
                if let Some(node) = super::tas::next_node(store, w, &pod_set) {
                    node_selector.insert(crate::api::kueue::HOSTNAME_LABEL.into(), node);
                }
                vec![Action::Pod(
                    pod.uid,
                    PodWrite::Ungate {
                        node_selector,
                        tolerations,
                    },
                )]
            }
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Its pod set's admitted flavors' node labels and tolerations added to a pod spec's own,
/// as Kueue injects them when it starts a workload's pods (`RunWithPodSetsInfo`).
pub(crate) fn placement(
    store: &Store,
    adm: &crate::store::Admission,
    pod_set: &str,
    spec: &crate::api::core::PodSpec,
) -> (crate::api::meta::Labels, Vec<Toleration>) {
    let mut node_selector = spec.node_selector.clone();
    let mut tolerations: Vec<Toleration> = spec.tolerations.clone();
    let flavors: std::collections::BTreeSet<&String> = adm
        .pod_set_assignments
        .iter()
        .filter(|ps| ps.name == pod_set)
        .flat_map(|ps| ps.flavors.values())
        .collect();
    for flavor in flavors {
        if let Some(f) = store.flavors.get(flavor) {
            node_selector.extend(f.node_labels.clone());
            for t in &f.tolerations {
                if !tolerations.contains(t) {
                    tolerations.push(t.clone());
                }
            }
        }
    }
    (node_selector, tolerations)
}

/// The Workload of a complete pod group: all `total` pods exist, gated and not being
/// deleted. It is named after the group and asks for all their resources at once.
fn group_workload(store: &Store, g: &PodGroup) -> Option<Action> {
    if g.workload.is_some() || (g.pods.len() as u32) < g.total {
        return None;
    }
    let pods: Vec<&Pod> = g.pods.iter().filter_map(|p| store.pods.get(*p)).collect();
    if pods.len() != g.pods.len() || pods.iter().any(|p| p.deletion.is_some() || !p.is_gated()) {
        return None;
    }
    let first = *pods.first()?;
    // One pod set per role, in the order the roles first appear.
    let mut pod_sets: Vec<PodSet> = Vec::new();
    for p in &pods {
        let name = pod_set_of(store, p);
        match pod_sets.iter_mut().find(|ps| ps.name == name) {
            Some(ps) => ps.count += 1,
            None => pod_sets.push(PodSet {
                topology_request: super::tas::topology_request(&p.annotations),
                ..PodSet::new(name, 1, p.spec.clone())
            }),
        }
    }
    let (priority, priority_class) = priority_of(store, first);
    let mut w = Workload {
        namespace: g.namespace.clone(),
        name: g.name.clone(),
        queue_name: first.labels.get(QUEUE_NAME_LABEL).cloned().unwrap_or_default(),
        pod_name: g.name.clone(),
        owner: group_owner(first).unwrap_or_else(|| g.name.clone()),
        priority,
        priority_class,
        ..Workload::queued(WorkloadSource::PodGroup(g.uid), store.now)
    };
    w.set_pod_sets(pod_sets);
    Some(Action::CreateWorkload(Box::new(w)))
}

/// The pod set a pod belongs to. A LeaderWorkerSet with a leader template has `leader`
/// (worker index 0) and `worker` (Kueue's LeaderWorkerSet integration); without one, all
/// its pods are `main`. Other pods of a group are split by role: pods of one shape share a
/// pod set named after a hash of that shape (Kueue's `kueue.x-k8s.io/role-hash`); a lone
/// pod is `main`.
pub(crate) fn pod_set_of(store: &Store, pod: &Pod) -> String {
    use crate::controllers::leaderworkerset::WORKER_INDEX_LABEL;
    if let Some(lws) = pod.owner_lws.and_then(|l| store.leader_worker_sets.get(l)) {
        if lws.spec.leader_template.is_none() {
            return POD_SET.into();
        }
        let leader = pod.labels.get(WORKER_INDEX_LABEL).is_some_and(|i| i == "0");
        return if leader { "leader" } else { "worker" }.into();
    }
    if pod.pod_group.is_none() {
        return POD_SET.into();
    }
    role_hash(&pod.spec)
}

/// A short stable hash of a pod's shape (FNV-1a over its spec's debug form), as Kueue names
/// a pod group's roles.
fn role_hash(spec: &crate::api::core::PodSpec) -> String {
    let text = format!("{spec:?}");
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", h as u32)
}

/// A LeaderWorkerSet group's report name: its leader pod's, `<lws>-<group>`.
fn group_owner(pod: &Pod) -> Option<String> {
    use crate::controllers::leaderworkerset::{GROUP_INDEX_LABEL, NAME_LABEL};
    Some(format!(
        "{}-{}",
        pod.labels.get(NAME_LABEL)?,
        pod.labels.get(GROUP_INDEX_LABEL)?
    ))
}
