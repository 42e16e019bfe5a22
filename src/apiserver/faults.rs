//! What faults do to the store, and the account of what each one struck: the pods, the
//! pods and Workloads that replaced them, Kueue's evictions of the Workloads it hit.

use super::record;
use crate::engine::action::FaultWrite;
use crate::engine::change::Change;
use crate::faults::{xid_description, FaultId};
use crate::store::{FaultRecord, PodId, PodOwner, Store, WorkloadId};
use std::collections::BTreeSet;

pub(super) fn write(store: &mut Store, write: FaultWrite) -> Vec<Change> {
    let now = store.now;
    match write {
        FaultWrite::Begin { id, fault } => {
            let description = fault.kind.describe();
            record(store, "FaultInjected", fault.kind.type_name(), description.clone());
            store.faults.push(FaultRecord {
                id,
                at: now,
                type_name: fault.kind.type_name(),
                node: fault.kind.node().map(str::to_string),
                description,
                random: fault.random,
                ended_at: None,
                pods: Vec::new(),
                struck: BTreeSet::new(),
                owed: Default::default(),
                replacements: Vec::new(),
                replacement_ids: BTreeSet::new(),
                replaced_ready_at: None,
                jobs: BTreeSet::new(),
                readmitted: Vec::new(),
                evictions: 0,
                workloads: BTreeSet::new(),
            });
            Vec::new()
        }
        FaultWrite::End { id } => {
            if let Some(f) = store.faults.iter_mut().find(|f| f.id == id) {
                f.ended_at = Some(now);
                let (kind, text) = (f.type_name, format!("over: {}", f.description));
                record(store, "FaultEnded", kind, text);
            }
            Vec::new()
        }
        FaultWrite::KubeletDown { node, fault } => match store.nodes.get_mut(&node) {
            Some(mut n) if n.kubelet_up => {
                n.kubelet_up = false;
                n.down_cause = Some(fault);
                vec![Change::NodeHeartbeat { node, up: false }]
            }
            _ => Vec::new(),
        },
        FaultWrite::KubeletUp { node } => match store.nodes.get_mut(&node) {
            Some(mut n) if !n.kubelet_up && n.instance_running => {
                n.kubelet_up = true;
                n.down_cause = None;
                vec![Change::NodeHeartbeat { node, up: true }]
            }
            _ => Vec::new(),
        },
        FaultWrite::InstanceGone { node, fault } => instance_gone(store, &node, fault),
        FaultWrite::GpusFail { node, gpus, xid, fault } => gpus_fail(store, &node, gpus, xid, fault),
        FaultWrite::Environment(env) => {
            store.environment = env;
            Vec::new()
        }
        FaultWrite::Struck { fault, pod } => {
            struck(store, fault, pod);
            Vec::new()
        }
    }
}

fn instance_gone(store: &mut Store, node: &str, fault: FaultId) -> Vec<Change> {
    let now = store.now;
    let Some(mut n) = store.nodes.get_mut(node) else {
        return Vec::new();
    };
    if !n.instance_running {
        return Vec::new();
    }
    n.instance_running = false;
    let was_up = n.kubelet_up;
    n.kubelet_up = false;
    n.down_cause = Some(fault);
    let pods: Vec<PodId> = n.pods.iter().copied().collect();
    drop(n);
    for p in &pods {
        if let Some(p) = store.pods.get_mut(*p) {
            p.dead_since.get_or_insert(now);
        }
        struck(store, fault, *p);
    }
    if was_up {
        vec![Change::NodeHeartbeat {
            node: node.to_string(),
            up: false,
        }]
    } else {
        Vec::new()
    }
}

/// The failed GPUs are the node's highest-numbered devices; the device plugin handed out
/// devices lowest first in binding order, so the pods holding them are the last bound
/// that still fit below the node's GPU count.
fn gpus_fail(store: &mut Store, node: &str, gpus: u32, xid: u32, fault: FaultId) -> Vec<Change> {
    let Some(mut n) = store.nodes.get_mut(node) else {
        return Vec::new();
    };
    let healthy = n.gpu_capacity().max(0) as u32;
    let failing = gpus.min(healthy);
    if failing == 0 {
        return Vec::new();
    }
    let first_failed = healthy - failing;
    let resource = n.allocatable.0.keys().find(|r| crate::api::core::is_gpu(r)).cloned();
    if let Some(r) = resource {
        let left = crate::units::Quantity::from_units((healthy - failing) as i64);
        n.allocatable.0.insert(r, left);
    }
    n.failed_gpus += failing;
    let mut bound: Vec<(crate::units::SimTime, PodId)> = n
        .pods
        .iter()
        .filter_map(|p| store.pods.get(*p))
        .filter(|p| p.deletion.is_none() && p.requests.gpus() > 0)
        .map(|p| (p.scheduled_at.unwrap_or_default(), p.uid))
        .collect();
    drop(n);
    bound.sort();
    let mut next_device = 0u32;
    let mut victims = Vec::new();
    for (_, p) in bound {
        let want = store.pods.get(p).map_or(0, |p| p.requests.gpus().max(0) as u32);
        let devices = next_device..next_device + want;
        next_device += want;
        if devices.end > first_failed {
            victims.push(p);
        }
    }
    for p in &victims {
        struck(store, fault, *p);
    }
    let message = format!(
        "NVRM: Xid (PCI:0000:{:02x}:00): {xid}, {}; CUDA error: unspecified launch failure",
        0x18 + first_failed,
        xid_description(xid)
    );
    record(
        store,
        "GPUUnhealthy",
        format!("Node {node}"),
        format!("{failing} GPU(s) marked unhealthy by the device plugin after Xid {xid}"),
    );
    vec![Change::Node, Change::GpusFailed { pods: victims, message }]
}

/// Credits `fault` with striking `pod`: its owner now owes a replacement.
pub(super) fn struck(store: &mut Store, fault: FaultId, pod: PodId) {
    let Some(p) = store.pods.get(pod) else {
        return;
    };
    let owner = store.owner_of(p);
    let (name, job, workload) = (format!("{}/{}", p.namespace, p.name), p.owner_job, p.workload);
    let job_workload = job.and_then(|j| store.jobs.get(j)).and_then(|j| j.workload);
    let Some(f) = store.faults.iter_mut().find(|f| f.id == fault) else {
        return;
    };
    if !f.struck.insert(pod) {
        return;
    }
    f.pods.push(name);
    if let Some(o) = owner {
        *f.owed.entry(o).or_default() += 1;
    }
    f.jobs.extend(job);
    f.workloads.extend(workload.into_iter().chain(job_workload));
}

/// A new pod of `owner`: the replacement of a struck pod if a fault still owes one
/// (the earliest such fault).
pub(super) fn note_created(store: &mut Store, owner: Option<PodOwner>, pod: PodId, name: &str) {
    let Some(owner) = owner else {
        return;
    };
    for f in store.faults.iter_mut() {
        if let Some(n) = f.owed.get_mut(&owner).filter(|n| **n > 0) {
            *n -= 1;
            f.replacements.push(name.to_string());
            f.replacement_ids.insert(pod);
            return;
        }
    }
}

/// A pod became Ready: if it replaced a struck pod, its fault's recovery moves on.
pub(super) fn note_ready(store: &mut Store, pod: PodId) {
    let now = store.now;
    for f in store.faults.iter_mut() {
        if f.replacement_ids.contains(&pod) {
            f.replaced_ready_at = Some(now);
        }
    }
}

/// A Workload was admitted: a re-admission if it runs a replacement pod, or is a struck
/// Job's admitted again.
pub(super) fn note_admitted(store: &mut Store, w: WorkloadId) {
    let Some(wl) = store.workloads.get(w) else {
        return;
    };
    let pods: BTreeSet<PodId> = store.pods_of(wl).into_iter().collect();
    let job = match wl.source {
        crate::store::WorkloadSource::Job(j) => Some(j),
        _ => None,
    };
    for f in store.faults.iter_mut() {
        let replaces = pods.iter().any(|p| f.replacement_ids.contains(p));
        let struck_job = job.is_some_and(|j| f.jobs.contains(&j)) && f.workloads.contains(&w);
        if (replaces || struck_job) && !f.readmitted.contains(&w) {
            f.readmitted.push(w);
            f.workloads.insert(w);
        }
    }
}

/// A Workload was evicted: counted for the faults that struck it.
pub(super) fn note_evicted(store: &mut Store, w: WorkloadId) {
    for f in store.faults.iter_mut() {
        if f.workloads.contains(&w) {
            f.evictions += 1;
        }
    }
}
