//! `kueue.x-k8s.io/v1beta1` Workload objects as input, as `kubectl get workloads -A -o
//! yaml` prints them: a cluster snapshot to start a what-if from, or a scheduling
//! situation stated the way Kueue's own tests state it.

use super::core::{PodTemplate, ResourceList};
use super::kueue::FlavorName;
use super::meta::{opt_str, ObjectMeta};
use crate::manifest::error::{InputError, Loc};
use crate::manifest::yaml::Node;
use crate::units::SimDuration;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct PodSetSpec {
    pub name: String,
    pub count: u32,
    pub template: PodTemplate,
}

/// `status.admission`: the quota the Workload holds.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotAdmission {
    pub cluster_queue: String,
    /// Resource → flavor over all pod sets.
    pub flavors: BTreeMap<String, FlavorName>,
    pub usage: ResourceList,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadObject {
    pub meta: ObjectMeta,
    /// `metadata.creationTimestamp` in seconds, for queue order.
    pub created: Option<f64>,
    pub queue_name: String,
    pub priority: Option<i32>,
    pub priority_class: Option<String>,
    pub pod_sets: Vec<PodSetSpec>,
    pub admission: Option<SnapshotAdmission>,
    /// `gpuaas-sim.io/run-time`: admitted this long, the Workload finishes.
    pub run_time: Option<SimDuration>,
    pub loc: Loc,
}

impl WorkloadObject {
    /// The pod sets' requests, each times its count.
    pub fn requests(&self) -> ResourceList {
        let mut total = ResourceList::default();
        for ps in &self.pod_sets {
            total.add(&ps.template.spec.requests().times(ps.count as i64));
        }
        total
    }

    pub fn decode(doc: &Node) -> Result<WorkloadObject, InputError> {
        let meta = ObjectMeta::decode(doc)?;
        let created = match doc.path(&["metadata", "creationTimestamp"]) {
            Some(n) => Some(crate::traffic::trace::seconds(n.as_str()?).ok_or_else(|| {
                InputError::at(n.loc.clone(), "creationTimestamp is not a date-time").hint("e.g. 2026-11-23T10:00:00Z")
            })?),
            None => None,
        };
        let spec = doc
            .get("spec")
            .ok_or_else(|| InputError::at(doc.loc.clone(), "Workload has no spec").hint("add spec.podSets"))?;
        let mut pod_sets = Vec::new();
        for ps in spec.get("podSets").map(|p| p.items()).transpose()?.unwrap_or(&[]) {
            let count = match ps.get("count") {
                Some(c) => {
                    let v = c.as_i64()?;
                    if !(1..=100_000).contains(&v) {
                        return Err(InputError::at(c.loc.clone(), format!("count {v} is out of range"))
                            .hint("a pod set has 1 to 100000 pods"));
                    }
                    v as u32
                }
                None => 1,
            };
            let template = ps.get("template").ok_or_else(|| {
                InputError::at(ps.loc.clone(), "pod set has no template").hint("add template.spec.containers")
            })?;
            pod_sets.push(PodSetSpec {
                name: opt_str(ps, "name")?.unwrap_or_else(|| "main".into()),
                count,
                template: PodTemplate::decode(template)?,
            });
        }
        if pod_sets.is_empty() {
            return Err(InputError::at(spec.loc.clone(), "Workload has no podSets")
                .hint("add spec.podSets with name, count and template"));
        }
        let queue_name = opt_str(spec, "queueName")?.ok_or_else(|| {
            InputError::at(spec.loc.clone(), "Workload has no spec.queueName").hint("name its LocalQueue")
        })?;
        let priority = match spec.get("priority") {
            Some(p) => Some(
                i32::try_from(p.as_i64()?).map_err(|_| InputError::at(p.loc.clone(), "priority is out of range"))?,
            ),
            None => None,
        };
        let run_time = match doc.path(&["metadata", "annotations", crate::api::batch::RUN_TIME_ANNOTATION]) {
            Some(n) => Some(super::meta::duration(n)?),
            None => None,
        };
        let mut w = WorkloadObject {
            meta,
            created,
            queue_name,
            priority,
            priority_class: opt_str(spec, "priorityClassName")?,
            pod_sets,
            admission: None,
            run_time,
            loc: doc.loc.clone(),
        };
        if let Some(adm) = doc.path(&["status", "admission"]) {
            w.admission = Some(decode_admission(adm, &w)?);
        }
        Ok(w)
    }
}

fn decode_admission(adm: &Node, w: &WorkloadObject) -> Result<SnapshotAdmission, InputError> {
    let cluster_queue = opt_str(adm, "clusterQueue")?.ok_or_else(|| {
        InputError::at(adm.loc.clone(), "status.admission has no clusterQueue").hint("name the ClusterQueue")
    })?;
    let mut flavors: BTreeMap<String, FlavorName> = BTreeMap::new();
    let mut usage = ResourceList::default();
    let assignments = adm
        .get("podSetAssignments")
        .map(|a| a.items())
        .transpose()?
        .unwrap_or(&[]);
    for a in assignments {
        for (r, f) in a.get("flavors").map(|f| f.entries()).transpose()?.unwrap_or(&[]) {
            let (r, f) = (r.as_str()?.to_string(), f.as_str()?.to_string());
            if let Some(other) = flavors.get(&r).filter(|o| **o != f) {
                return Err(InputError::at(
                    a.loc.clone(),
                    format!("pod sets are assigned different flavors ({other}, {f}) for {r}"),
                )
                .hint("give every pod set of a Workload the same flavor per resource"));
            }
            flavors.insert(r, f);
        }
        if let Some(u) = a.get("resourceUsage") {
            usage.add(&ResourceList::decode(Some(u))?);
        }
    }
    if flavors.is_empty() {
        return Err(InputError::at(adm.loc.clone(), "status.admission assigns no flavors")
            .hint("add podSetAssignments with flavors per resource"));
    }
    // Without resourceUsage, the pod sets' requests are what the admission holds.
    if usage.0.is_empty() {
        usage = w.requests();
    }
    Ok(SnapshotAdmission {
        cluster_queue,
        flavors,
        usage,
    })
}
