//! `kueue.x-k8s.io/v1beta2` (and v1beta1) Workload objects as input, as `kubectl get workloads -A -o
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
    /// `minCount`, for partial admission.
    pub min_count: Option<u32>,
    pub template: PodTemplate,
}

/// A `topologyAssignment` as written: its levels, and each domain's values with its pods.
pub type WrittenTopology = (Vec<String>, Vec<(Vec<String>, u32)>);

/// One `status.admission.podSetAssignments[]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AssignedPodSet {
    pub name: String,
    /// Resource → flavor.
    pub flavors: BTreeMap<String, FlavorName>,
    /// `resourceUsage`; the pod set's requests times `count` when absent.
    pub resource_usage: ResourceList,
    /// `count`; the pod set's when absent.
    pub count: u32,
    /// `topologyAssignment`.
    pub topology: Option<WrittenTopology>,
}

/// `status.admission`: the quota the Workload holds.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotAdmission {
    pub cluster_queue: String,
    pub pod_set_assignments: Vec<AssignedPodSet>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadObject {
    pub meta: ObjectMeta,
    /// `metadata.creationTimestamp` in seconds, for queue order.
    pub created: Option<f64>,
    /// The `QuotaReserved` condition's `lastTransitionTime` (when it is True), in seconds:
    /// when its quota was reserved, for preemption's candidate order.
    pub quota_reserved: Option<f64>,
    /// The instant the snapshot stands for, in seconds: the latest time written in the
    /// scenario's Workload objects, which the run starts at. Set when the scenario is loaded.
    pub snapshot_at: Option<f64>,
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
            let min_count = match ps.get("minCount") {
                Some(c) => {
                    let v = c.as_i64()?;
                    if v < 1 || v > count as i64 {
                        return Err(InputError::at(c.loc.clone(), format!("minCount {v} is out of range"))
                            .hint(format!("minCount is between 1 and the pod set's count ({count})")));
                    }
                    Some(v as u32)
                }
                None => None,
            };
            let template = ps.get("template").ok_or_else(|| {
                InputError::at(ps.loc.clone(), "pod set has no template").hint("add template.spec.containers")
            })?;
            let name = opt_str(ps, "name")?.unwrap_or_else(|| "main".into());
            if pod_sets.iter().any(|p: &PodSetSpec| p.name == name) {
                return Err(
                    InputError::at(ps.loc.clone(), format!("pod set `{name}` is listed twice"))
                        .hint("give each pod set its own name"),
                );
            }
            pod_sets.push(PodSetSpec {
                name,
                count,
                min_count,
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
            quota_reserved: decode_quota_reserved(doc)?,
            snapshot_at: None,
            queue_name,
            priority,
            priority_class: decode_priority_class(doc, spec)?,
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

/// A v1beta2 `topologyAssignment`: slices of domains, each level's values `universal` or
/// `individual` (`prefix` + each root + `suffix`), pods per domain `universal` or
/// `individual`.
fn decode_topology(t: &Node) -> Result<WrittenTopology, InputError> {
    let levels = super::meta::string_list(t.get("levels"))?;
    let mut domains = Vec::new();
    let bad = |n: &Node, what: &str| {
        InputError::at(n.loc.clone(), what.to_string()).hint("see Kueue's v1beta2 TopologyAssignment")
    };
    for slice in t.get("slices").map(|s| s.items()).transpose()?.unwrap_or(&[]) {
        let n = slice.get("domainCount").map(|c| c.as_i64()).transpose()?.unwrap_or(0);
        let n = usize::try_from(n).map_err(|_| bad(slice, "domainCount is negative"))?;
        let per_level = slice
            .get("valuesPerLevel")
            .map(|v| v.items())
            .transpose()?
            .unwrap_or(&[]);
        if per_level.len() != levels.len() {
            return Err(bad(slice, "valuesPerLevel has not one entry per level"));
        }
        let mut values: Vec<Vec<String>> = vec![Vec::new(); n];
        for lv in per_level {
            if let Some(u) = lv.get("universal") {
                let u = u.as_str()?.to_string();
                values.iter_mut().for_each(|v| v.push(u.clone()));
                continue;
            }
            let ind = lv
                .get("individual")
                .ok_or_else(|| bad(lv, "a level has neither universal nor individual"))?;
            let prefix = opt_str(ind, "prefix")?.unwrap_or_default();
            let suffix = opt_str(ind, "suffix")?.unwrap_or_default();
            let roots = super::meta::string_list(ind.get("roots"))?;
            if roots.len() != n {
                return Err(bad(ind, "roots has not domainCount entries"));
            }
            for (v, r) in values.iter_mut().zip(roots) {
                v.push(format!("{prefix}{r}{suffix}"));
            }
        }
        let counts = slice
            .get("podCounts")
            .ok_or_else(|| bad(slice, "a slice has no podCounts"))?;
        let count_of = |c: &Node| -> Result<u32, InputError> {
            u32::try_from(c.as_i64()?).map_err(|_| bad(c, "a pod count is negative"))
        };
        let counts: Vec<u32> = match (counts.get("universal"), counts.get("individual")) {
            (Some(u), _) => vec![count_of(u)?; n],
            (None, Some(i)) => i.items()?.iter().map(count_of).collect::<Result<_, _>>()?,
            (None, None) => return Err(bad(counts, "podCounts has neither universal nor individual")),
        };
        if counts.len() != n {
            return Err(bad(counts_node(slice), "podCounts has not domainCount entries"));
        }
        domains.extend(values.into_iter().zip(counts));
    }
    Ok((levels, domains))
}

fn counts_node(slice: &Node) -> &Node {
    slice.get("podCounts").unwrap_or(slice)
}

/// The priority class: v1beta2's `priorityClassRef.name`, v1beta1's `priorityClassName`.
fn decode_priority_class(doc: &Node, spec: &Node) -> Result<Option<String>, InputError> {
    let beta1 = super::kueue::is_v1beta1(doc);
    let (field, other) = if beta1 {
        ("priorityClassName", "priorityClassRef")
    } else {
        ("priorityClassRef", "priorityClassName")
    };
    if let Some(n) = spec.get(other) {
        let version = if beta1 { "v1beta1" } else { "v1beta2" };
        return Err(InputError::at(
            n.loc.clone(),
            format!("kueue.x-k8s.io/{version} Workload has no field `{other}`"),
        )
        .hint(format!(
            "write `{field}` (v1beta1: priorityClassName, v1beta2: priorityClassRef {{group, kind, name}})"
        )));
    }
    if beta1 {
        return opt_str(spec, field);
    }
    match spec.get(field) {
        Some(r) => Ok(Some(opt_str(r, "name")?.ok_or_else(|| {
            InputError::at(r.loc.clone(), "priorityClassRef has no name")
                .hint("name the WorkloadPriorityClass or PriorityClass")
        })?)),
        None => Ok(None),
    }
}

/// The `QuotaReserved` condition's transition time, when the condition is True.
fn decode_quota_reserved(doc: &Node) -> Result<Option<f64>, InputError> {
    let conditions = doc
        .path(&["status", "conditions"])
        .map(|c| c.items())
        .transpose()?
        .unwrap_or(&[]);
    for c in conditions {
        let is = |key: &str, want: &str| c.get(key).and_then(|n| n.as_str().ok()) == Some(want);
        if !(is("type", "QuotaReserved") && is("status", "True")) {
            continue;
        }
        let Some(t) = c.get("lastTransitionTime") else {
            return Ok(None);
        };
        let secs = crate::traffic::trace::seconds(t.as_str()?).ok_or_else(|| {
            InputError::at(t.loc.clone(), "lastTransitionTime is not a date-time").hint("e.g. 2026-11-23T10:00:00Z")
        })?;
        return Ok(Some(secs));
    }
    Ok(None)
}

impl WorkloadObject {
    /// Its written times relative to the snapshot's instant, in milliseconds (negative:
    /// before the run): (creation, quota reserved).
    pub fn written_offsets(&self) -> (Option<i64>, Option<i64>) {
        let Some(at) = self.snapshot_at else {
            return (None, None);
        };
        let offset = |t: Option<f64>| t.map(|t| ((t - at) * 1000.0).round() as i64);
        (offset(self.created), offset(self.quota_reserved))
    }
}

fn decode_admission(adm: &Node, w: &WorkloadObject) -> Result<SnapshotAdmission, InputError> {
    let cluster_queue = opt_str(adm, "clusterQueue")?.ok_or_else(|| {
        InputError::at(adm.loc.clone(), "status.admission has no clusterQueue").hint("name the ClusterQueue")
    })?;
    let assignments = adm
        .get("podSetAssignments")
        .map(|a| a.items())
        .transpose()?
        .unwrap_or(&[]);
    let mut out: Vec<AssignedPodSet> = Vec::new();
    for a in assignments {
        let name = opt_str(a, "name")?.unwrap_or_else(|| "main".into());
        let Some(ps) = w.pod_sets.iter().find(|p| p.name == name) else {
            let names: Vec<&str> = w.pod_sets.iter().map(|p| p.name.as_str()).collect();
            return Err(
                InputError::at(a.loc.clone(), format!("no pod set `{name}` in spec.podSets"))
                    .hint(format!("name one of {}", names.join(", "))),
            );
        };
        if out.iter().any(|o| o.name == name) {
            return Err(
                InputError::at(a.loc.clone(), format!("pod set `{name}` is assigned twice"))
                    .hint("give each pod set one entry in podSetAssignments"),
            );
        }
        let mut flavors = BTreeMap::new();
        for (r, f) in a.get("flavors").map(|f| f.entries()).transpose()?.unwrap_or(&[]) {
            flavors.insert(r.as_str()?.to_string(), f.as_str()?.to_string());
        }
        if flavors.is_empty() {
            return Err(
                InputError::at(a.loc.clone(), format!("pod set `{name}` is assigned no flavors"))
                    .hint("add flavors, a flavor per resource"),
            );
        }
        let count = match a.get("count") {
            Some(c) => {
                let v = c.as_i64()?;
                if v < 0 || v > ps.count as i64 {
                    return Err(InputError::at(c.loc.clone(), format!("count {v} is out of range"))
                        .hint(format!("at most the pod set's count ({})", ps.count)));
                }
                v as u32
            }
            None => ps.count,
        };
        // Without resourceUsage, the admitted pods' requests are what it holds.
        let resource_usage = match a.get("resourceUsage") {
            Some(u) => ResourceList::decode(Some(u))?,
            None => ps.template.spec.requests().times(count as i64),
        };
        let topology = a.get("topologyAssignment").map(decode_topology).transpose()?;
        out.push(AssignedPodSet {
            name,
            flavors,
            resource_usage,
            count,
            topology,
        });
    }
    if out.is_empty() {
        return Err(InputError::at(adm.loc.clone(), "status.admission assigns no flavors")
            .hint("add podSetAssignments with flavors per resource"));
    }
    Ok(SnapshotAdmission {
        cluster_queue,
        pod_set_assignments: out,
    })
}
