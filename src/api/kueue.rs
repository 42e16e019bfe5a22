//! Kueue's API objects as users write them: `kueue.x-k8s.io/v1beta2` (Kueue v0.19's), and
//! the deprecated v1beta1 with its own field names and values.

use super::core::{ResourceName, Taint, Toleration};
use super::meta::{opt_str, quantity, req_str, string_list, string_map, LabelSelector, Labels, ObjectMeta};
use crate::manifest::error::{InputError, Loc};
use crate::manifest::yaml::Node;
use crate::units::{Quantity, SimDuration};

pub type FlavorName = String;

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceFlavor {
    pub name: FlavorName,
    pub node_labels: Labels,
    pub node_taints: Vec<Taint>,
    pub tolerations: Vec<Toleration>,
    /// `spec.topologyName`: a topology-aware flavor, its nodes grouped by the Topology's
    /// levels.
    pub topology_name: Option<String>,
}

/// A `Topology`: node label keys from the widest domain (a block, a rack) to the narrowest.
#[derive(Debug, Clone, PartialEq)]
pub struct Topology {
    pub name: String,
    pub levels: Vec<String>,
}

/// The pod template annotations that ask Kueue for topology-aware placement: required,
/// preferred, unconstrained.
pub const TOPOLOGY_ANNOTATIONS: [&str; 3] = [
    "kueue.x-k8s.io/podset-required-topology",
    "kueue.x-k8s.io/podset-preferred-topology",
    "kueue.x-k8s.io/podset-unconstrained-topology",
];

/// The node label of the lowest level this simulator places pods at.
pub const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";

impl Topology {
    pub fn decode(doc: &Node) -> Result<Topology, InputError> {
        let meta = ObjectMeta::decode(doc)?;
        let spec = doc
            .get("spec")
            .ok_or_else(|| InputError::at(doc.loc.clone(), "Topology has no spec").hint("add spec.levels"))?;
        let list = items(spec, "levels")?;
        let mut levels: Vec<String> = Vec::new();
        for l in list {
            let label = opt_str(l, "nodeLabel")?.ok_or_else(|| {
                InputError::at(l.loc.clone(), "level has no nodeLabel").hint("e.g. nodeLabel: kubernetes.io/hostname")
            })?;
            if levels.contains(&label) {
                return Err(
                    InputError::at(l.loc.clone(), format!("level `{label}` is listed twice"))
                        .hint("each level is a different node label"),
                );
            }
            levels.push(label);
        }
        if levels.is_empty() || levels.len() > 16 {
            return Err(InputError::at(
                spec.loc.clone(),
                format!("a Topology has 1 to 16 levels, not {}", levels.len()),
            )
            .hint("list node labels from the widest domain to kubernetes.io/hostname"));
        }
        if let Some(i) = levels.iter().position(|l| l == HOSTNAME_LABEL) {
            if i + 1 != levels.len() {
                return Err(
                    InputError::at(spec.loc.clone(), "kubernetes.io/hostname must be the lowest level")
                        .hint("put kubernetes.io/hostname last"),
                );
            }
        } else {
            return Err(InputError::at(
                spec.loc.clone(),
                "only Topologies whose lowest level is kubernetes.io/hostname are simulated",
            )
            .hint("add `- nodeLabel: kubernetes.io/hostname` as the last level"));
        }
        Ok(Topology {
            name: meta.name,
            levels,
        })
    }
}

impl ResourceFlavor {
    pub fn decode(doc: &Node) -> Result<ResourceFlavor, InputError> {
        let meta = ObjectMeta::decode(doc)?;
        let spec = doc.get("spec");
        let list = |key: &str| spec.and_then(|s| s.get(key));
        Ok(ResourceFlavor {
            name: meta.name,
            node_labels: string_map(list("nodeLabels"))?,
            node_taints: match list("nodeTaints") {
                Some(t) => t.items()?.iter().map(Taint::decode).collect::<Result<_, _>>()?,
                None => Vec::new(),
            },
            tolerations: match list("tolerations") {
                Some(t) => t.items()?.iter().map(Toleration::decode).collect::<Result<_, _>>()?,
                None => Vec::new(),
            },
            topology_name: match spec {
                Some(s) => {
                    let name = opt_str(s, "topologyName")?;
                    if let (Some(_), true) = (&name, string_map(list("nodeLabels"))?.is_empty()) {
                        return Err(
                            InputError::at(s.loc.clone(), "a flavor with topologyName needs nodeLabels")
                                .hint("add the nodeLabels its nodes carry (Kueue's validation)"),
                        );
                    }
                    name
                }
                None => None,
            },
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueingStrategy {
    BestEffortFIFO,
    StrictFIFO,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceQuota {
    pub name: ResourceName,
    pub nominal: Quantity,
    pub borrowing_limit: Option<Quantity>,
    pub lending_limit: Option<Quantity>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FlavorQuotas {
    pub name: FlavorName,
    pub resources: Vec<ResourceQuota>,
    pub loc: Loc,
}

impl FlavorQuotas {
    pub fn quota(&self, resource: &str) -> Option<&ResourceQuota> {
        self.resources.iter().find(|r| r.name == resource)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceGroup {
    pub covered: Vec<ResourceName>,
    pub flavors: Vec<FlavorQuotas>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithinClusterQueue {
    Never,
    LowerPriority,
    LowerOrNewerEqualPriority,
}

/// `preemption.reclaimWithinCohort`: taking back nominal quota other members borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReclaimWithinCohort {
    Never,
    LowerPriority,
    Any,
}

/// `preemption.borrowWithinCohort`: preempting in other ClusterQueues while borrowing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BorrowWithinCohort {
    Never,
    /// Only workloads of lower priority, and (when set) at most this priority.
    LowerPriority {
        max_priority_threshold: Option<i32>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preemption {
    pub within_cluster_queue: WithinClusterQueue,
    pub reclaim_within_cohort: ReclaimWithinCohort,
    pub borrow_within_cohort: BorrowWithinCohort,
}

impl Default for Preemption {
    fn default() -> Preemption {
        Preemption {
            within_cluster_queue: WithinClusterQueue::Never,
            reclaim_within_cohort: ReclaimWithinCohort::Never,
            borrow_within_cohort: BorrowWithinCohort::Never,
        }
    }
}

/// A `flavorFungibility` policy: whether reaching this kind of fit in a flavor ends the
/// search (`MayStopSearch`) or the next flavor is tried first (`TryNextFlavor`).
/// v1beta1's deprecated `Borrow` and `Preempt` read as `MayStopSearch`, as Kueue converts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FungibilityPolicy {
    MayStopSearch,
    TryNextFlavor,
}

/// `flavorFungibility.preference`: which flavor wins when every flavor tried needs
/// borrowing, preemption or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FungibilityPreference {
    /// Prefer a flavor that fits by borrowing to one that needs preemption (Kueue's
    /// behaviour when unset).
    BorrowingOverPreemption,
    /// Prefer borrowing less (preempting at home) to a better preemption mode.
    PreemptionOverBorrowing,
}

/// Kueue v0.19's defaults: stop at the first flavor that fits, borrowing or not, but look
/// for a flavor that fits before preempting; no preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlavorFungibility {
    pub when_can_borrow: FungibilityPolicy,
    pub when_can_preempt: FungibilityPolicy,
    pub preference: Option<FungibilityPreference>,
}

impl Default for FlavorFungibility {
    fn default() -> FlavorFungibility {
        FlavorFungibility {
            when_can_borrow: FungibilityPolicy::MayStopSearch,
            when_can_preempt: FungibilityPolicy::TryNextFlavor,
            preference: None,
        }
    }
}

/// A string field that takes one of a few values, with the default when unset.
fn one_of<T: Copy>(node: Option<&Node>, field: &str, options: &[(&str, T)], default: T) -> Result<T, InputError> {
    let Some(n) = node else { return Ok(default) };
    let v = n.as_str()?;
    options.iter().find(|(k, _)| *k == v).map(|(_, t)| *t).ok_or_else(|| {
        let names: Vec<&str> = options.iter().map(|(k, _)| *k).collect();
        InputError::at(n.loc.clone(), format!("unknown {field} `{v}`"))
            .hint(format!("expected one of {}", names.join(", ")))
    })
}

impl Preemption {
    fn decode(spec: &Node) -> Result<Preemption, InputError> {
        let within = one_of(
            spec.path(&["preemption", "withinClusterQueue"]),
            "withinClusterQueue policy",
            &[
                ("Never", WithinClusterQueue::Never),
                ("LowerPriority", WithinClusterQueue::LowerPriority),
                (
                    "LowerOrNewerEqualPriority",
                    WithinClusterQueue::LowerOrNewerEqualPriority,
                ),
            ],
            WithinClusterQueue::Never,
        )?;
        let reclaim = one_of(
            spec.path(&["preemption", "reclaimWithinCohort"]),
            "reclaimWithinCohort policy",
            &[
                ("Never", ReclaimWithinCohort::Never),
                ("LowerPriority", ReclaimWithinCohort::LowerPriority),
                ("Any", ReclaimWithinCohort::Any),
            ],
            ReclaimWithinCohort::Never,
        )?;
        let borrow_policy = one_of(
            spec.path(&["preemption", "borrowWithinCohort", "policy"]),
            "borrowWithinCohort policy",
            &[("Never", false), ("LowerPriority", true)],
            false,
        )?;
        let threshold = match spec.path(&["preemption", "borrowWithinCohort", "maxPriorityThreshold"]) {
            None => None,
            Some(n) => Some(n.as_i64()?.clamp(i32::MIN as i64, i32::MAX as i64) as i32),
        };
        Ok(Preemption {
            within_cluster_queue: within,
            reclaim_within_cohort: reclaim,
            borrow_within_cohort: if borrow_policy {
                BorrowWithinCohort::LowerPriority {
                    max_priority_threshold: threshold,
                }
            } else {
                BorrowWithinCohort::Never
            },
        })
    }
}

impl FlavorFungibility {
    /// `spec.flavorFungibility`; `beta1` accepts v1beta1's deprecated `Borrow`/`Preempt`.
    fn decode(spec: &Node, beta1: bool) -> Result<FlavorFungibility, InputError> {
        use FungibilityPolicy::{MayStopSearch, TryNextFlavor};
        let policy = |field: &str, deprecated: &str, default: FungibilityPolicy| {
            let node = spec.path(&["flavorFungibility", field]);
            if let Some(n) = node.filter(|n| n.as_str().ok() == Some(deprecated)) {
                if !beta1 {
                    return Err(InputError::at(
                        n.loc.clone(),
                        format!("{field} `{deprecated}` is not a kueue.x-k8s.io/v1beta2 value"),
                    )
                    .hint(format!(
                        "write MayStopSearch (v1beta1's `{deprecated}` is its deprecated name)"
                    )));
                }
                return Ok(MayStopSearch);
            }
            one_of(
                node,
                field,
                &[("MayStopSearch", MayStopSearch), ("TryNextFlavor", TryNextFlavor)],
                default,
            )
        };
        let f = FlavorFungibility {
            when_can_borrow: policy("whenCanBorrow", "Borrow", MayStopSearch)?,
            when_can_preempt: policy("whenCanPreempt", "Preempt", TryNextFlavor)?,
            preference: match spec.path(&["flavorFungibility", "preference"]) {
                None => None,
                Some(n) => Some(one_of(
                    Some(n),
                    "preference",
                    &[
                        (
                            "BorrowingOverPreemption",
                            FungibilityPreference::BorrowingOverPreemption,
                        ),
                        (
                            "PreemptionOverBorrowing",
                            FungibilityPreference::PreemptionOverBorrowing,
                        ),
                    ],
                    FungibilityPreference::BorrowingOverPreemption,
                )?),
            },
        };
        // Kueue's validation rule on the field.
        if let Some(n) = spec.path(&["flavorFungibility", "preference"]) {
            if f.when_can_borrow != TryNextFlavor || f.when_can_preempt != TryNextFlavor {
                return Err(InputError::at(
                    n.loc.clone(),
                    "preference can only be set when both whenCanBorrow and whenCanPreempt are TryNextFlavor",
                )
                .hint("set whenCanBorrow and whenCanPreempt to TryNextFlavor, or remove preference"));
            }
        }
        Ok(f)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClusterQueue {
    pub name: String,
    pub cohort: Option<String>,
    pub namespace_selector: Option<LabelSelector>,
    pub queueing_strategy: QueueingStrategy,
    pub resource_groups: Vec<ResourceGroup>,
    pub preemption: Preemption,
    pub flavor_fungibility: FlavorFungibility,
    /// `fairSharing.weight` (1 when unset).
    pub fair_sharing_weight: Quantity,
    pub stopped: bool,
    pub loc: Loc,
}

impl ClusterQueue {
    pub fn decode(doc: &Node) -> Result<ClusterQueue, InputError> {
        let meta = ObjectMeta::decode(doc)?;
        let beta1 = is_v1beta1(doc);
        if let Some(spec) = doc.get("spec") {
            known_keys(spec, "ClusterQueue spec", CLUSTER_QUEUE_KEYS)?;
        }
        let spec = doc
            .get("spec")
            .ok_or_else(|| InputError::at(doc.loc.clone(), "ClusterQueue has no spec"))?;
        let strategy = match spec.get("queueingStrategy") {
            None => QueueingStrategy::BestEffortFIFO,
            Some(n) => match n.as_str()? {
                "BestEffortFIFO" => QueueingStrategy::BestEffortFIFO,
                "StrictFIFO" => QueueingStrategy::StrictFIFO,
                other => {
                    return Err(
                        InputError::at(n.loc.clone(), format!("unknown queueingStrategy `{other}`"))
                            .hint("expected BestEffortFIFO or StrictFIFO"),
                    )
                }
            },
        };
        let groups = decode_resource_groups(spec)?;
        let stopped = match spec.get("stopPolicy") {
            None => false,
            Some(n) => match n.as_str()? {
                "None" => false,
                "Hold" | "HoldAndDrain" => true,
                other => {
                    return Err(InputError::at(n.loc.clone(), format!("unknown stopPolicy `{other}`"))
                        .hint("expected None, Hold or HoldAndDrain"))
                }
            },
        };
        Ok(ClusterQueue {
            name: meta.name,
            cohort: decode_cohort_name(spec, beta1)?,
            // Kueue defaults an unset namespaceSelector to nil, which matches no namespace.
            namespace_selector: spec.get("namespaceSelector").map(LabelSelector::decode).transpose()?,
            queueing_strategy: strategy,
            resource_groups: groups,
            preemption: Preemption::decode(spec)?,
            flavor_fungibility: FlavorFungibility::decode(spec, beta1)?,
            fair_sharing_weight: spec
                .path(&["fairSharing", "weight"])
                .map(quantity)
                .transpose()?
                .unwrap_or(Quantity::from_units(1)),
            stopped,
            loc: doc.loc.clone(),
        })
    }

    pub(crate) fn group_for(&self, resource: &str) -> Option<&ResourceGroup> {
        self.resource_groups
            .iter()
            .find(|g| g.covered.iter().any(|r| r == resource))
    }
}

/// A Kueue `Cohort`: a node of the cohort tree above ClusterQueues, with quota of its own
/// shared by its subtree (v1beta2 and v1beta1 have the same fields).
#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    pub name: String,
    /// `spec.parentName`: none for a root.
    pub parent: Option<String>,
    pub resource_groups: Vec<ResourceGroup>,
    /// `fairSharing.weight` (1 when unset).
    pub fair_sharing_weight: Quantity,
    pub loc: Loc,
}

impl Cohort {
    /// Decodes and validates as Kueue's webhook does: limits only below a parent, and
    /// (unlike a ClusterQueue's) a lendingLimit may exceed the nominal quota, as it limits
    /// what the whole subtree lends.
    pub fn decode(doc: &Node) -> Result<Cohort, InputError> {
        let meta = ObjectMeta::decode(doc)?;
        let spec = doc.get("spec");
        if let Some(s) = spec {
            known_keys(s, "Cohort spec", &["parentName", "resourceGroups", "fairSharing"])?;
        }
        let parent = match spec {
            Some(s) => opt_str(s, "parentName")?.filter(|p| !p.is_empty()),
            None => None,
        };
        let resource_groups = match spec {
            Some(s) => {
                if parent.is_none() {
                    reject_limits_without_parent(s)?;
                }
                decode_resource_groups(s)?
            }
            None => Vec::new(),
        };
        Ok(Cohort {
            name: meta.name,
            parent,
            resource_groups,
            fair_sharing_weight: spec
                .and_then(|s| s.path(&["fairSharing", "weight"]))
                .map(quantity)
                .transpose()?
                .unwrap_or(Quantity::from_units(1)),
            loc: doc.loc.clone(),
        })
    }
}

/// A root cohort has nothing to borrow from or lend to: Kueue refuses its limits.
fn reject_limits_without_parent(spec: &Node) -> Result<(), InputError> {
    for g in items(spec, "resourceGroups")? {
        for f in items(g, "flavors")? {
            for r in items(f, "resources")? {
                for field in ["borrowingLimit", "lendingLimit"] {
                    if let Some(n) = r.get(field) {
                        return Err(InputError::at(
                            n.loc.clone(),
                            format!("{field} must be nil when parentName is empty"),
                        )
                        .hint("set spec.parentName, or remove the limit: a root cohort neither borrows nor lends"));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Whether a Kueue object is written in the deprecated `kueue.x-k8s.io/v1beta1` (else v1beta2).
pub(crate) fn is_v1beta1(doc: &Node) -> bool {
    doc.get("apiVersion").and_then(|n| n.as_str().ok()) == Some("kueue.x-k8s.io/v1beta1")
}

/// The fields of a ClusterQueue's spec in either version (a field of the other version is
/// refused with its right name where it is read).
const CLUSTER_QUEUE_KEYS: &[&str] = &[
    "cohort",
    "cohortName",
    "namespaceSelector",
    "queueingStrategy",
    "resourceGroups",
    "preemption",
    "flavorFungibility",
    "fairSharing",
    "stopPolicy",
    "admissionChecks",
    "admissionChecksStrategy",
    "admissionScope",
    "concurrentAdmissionPolicy",
];

/// The ClusterQueue's cohort: v1beta2's `cohortName`, v1beta1's `cohort`.
fn decode_cohort_name(spec: &Node, beta1: bool) -> Result<Option<String>, InputError> {
    let (field, other, version) = if beta1 {
        ("cohort", "cohortName", "v1beta1")
    } else {
        ("cohortName", "cohort", "v1beta2")
    };
    if let Some(n) = spec.get(other) {
        return Err(InputError::at(
            n.loc.clone(),
            format!("kueue.x-k8s.io/{version} ClusterQueue has no field `{other}`"),
        )
        .hint(format!(
            "write `{field}` (v1beta1 calls it `cohort`, v1beta2 `cohortName`), or change the apiVersion"
        )));
    }
    opt_str(spec, field)
}

/// The items of an optional list field; none when it is absent.
fn items<'n>(n: &'n Node, key: &str) -> Result<&'n [Node], InputError> {
    Ok(n.get(key).map(|l| l.items()).transpose()?.unwrap_or(&[]))
}

/// `spec.resourceGroups`, as Kueue's webhook validates them: a resource and a flavor
/// appear in one group only.
fn decode_resource_groups(spec: &Node) -> Result<Vec<ResourceGroup>, InputError> {
    let mut groups = Vec::new();
    let mut seen_resources: Vec<String> = Vec::new();
    let mut seen_flavors: Vec<String> = Vec::new();
    for g in items(spec, "resourceGroups")? {
        known_keys(g, "resource group", &["coveredResources", "flavors"])?;
        let covered = string_list(g.get("coveredResources"))?;
        for r in &covered {
            if seen_resources.contains(r) {
                return Err(InputError::at(
                    g.loc.clone(),
                    format!("resource `{r}` is covered by more than one resource group"),
                )
                .hint("each resource may appear in one resource group only"));
            }
            seen_resources.push(r.clone());
        }
        let mut flavors = Vec::new();
        for f in items(g, "flavors")? {
            let quotas = decode_flavor_quotas(f, &covered, &seen_flavors)?;
            seen_flavors.push(quotas.name.clone());
            flavors.push(quotas);
        }
        groups.push(ResourceGroup { covered, flavors });
    }
    Ok(groups)
}

/// One flavor of a resource group: a quota for each covered resource, in their order.
fn decode_flavor_quotas(f: &Node, covered: &[String], seen_flavors: &[String]) -> Result<FlavorQuotas, InputError> {
    known_keys(f, "flavor quota", &["name", "resources"])?;
    let fname = req_str(f, "name", "flavor quota")?;
    if seen_flavors.contains(&fname) {
        return Err(InputError::at(
            f.loc.clone(),
            format!("flavor `{fname}` appears twice in the ClusterQueue"),
        )
        .hint("a flavor may be listed in one resource group only"));
    }
    let resources = items(f, "resources")?
        .iter()
        .map(|r| decode_resource_quota(r, covered))
        .collect::<Result<Vec<_>, _>>()?;
    if resources.len() != covered.len() {
        return Err(InputError::at(
            f.loc.clone(),
            format!(
                "flavor `{fname}` sets quotas for {} resources but the group covers {}",
                resources.len(),
                covered.len()
            ),
        )
        .hint("give every flavor a quota for each covered resource"));
    }
    Ok(FlavorQuotas {
        name: fname,
        resources,
        loc: f.loc.clone(),
    })
}

fn decode_resource_quota(r: &Node, covered: &[String]) -> Result<ResourceQuota, InputError> {
    known_keys(
        r,
        "resource quota",
        &["name", "nominalQuota", "borrowingLimit", "lendingLimit"],
    )?;
    let rname = req_str(r, "name", "resource quota")?;
    if !covered.contains(&rname) {
        return Err(InputError::at(
            r.loc.clone(),
            format!("resource `{rname}` is not in coveredResources {covered:?}"),
        )
        .hint("list the same resources, in the same order, as coveredResources"));
    }
    let nominal = r
        .get("nominalQuota")
        .ok_or_else(|| InputError::at(r.loc.clone(), format!("resource `{rname}` has no nominalQuota")))?;
    Ok(ResourceQuota {
        name: rname,
        nominal: quantity(nominal)?,
        borrowing_limit: r.get("borrowingLimit").map(quantity).transpose()?,
        lending_limit: r.get("lendingLimit").map(quantity).transpose()?,
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct LocalQueue {
    pub namespace: String,
    pub name: String,
    pub cluster_queue: String,
    pub loc: Loc,
}

impl LocalQueue {
    pub fn decode(doc: &Node, namespace: String) -> Result<LocalQueue, InputError> {
        let meta = ObjectMeta::decode(doc)?;
        let spec = doc
            .get("spec")
            .ok_or_else(|| InputError::at(doc.loc.clone(), "LocalQueue has no spec").hint("add spec.clusterQueue"))?;
        Ok(LocalQueue {
            namespace,
            name: meta.name,
            cluster_queue: req_str(spec, "clusterQueue", "LocalQueue spec")?,
            loc: spec
                .get("clusterQueue")
                .map(|n| n.loc.clone())
                .unwrap_or(doc.loc.clone()),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadPriorityClass {
    pub name: String,
    pub value: i32,
}

impl WorkloadPriorityClass {
    pub fn decode(doc: &Node) -> Result<WorkloadPriorityClass, InputError> {
        let meta = ObjectMeta::decode(doc)?;
        let v = doc
            .get("value")
            .ok_or_else(|| InputError::at(doc.loc.clone(), "WorkloadPriorityClass has no value"))?;
        let value = v.as_i64()?;
        if value > i32::MAX as i64 || value < i32::MIN as i64 {
            return Err(InputError::at(
                v.loc.clone(),
                format!("priority value {value} is out of range"),
            ));
        }
        Ok(WorkloadPriorityClass {
            name: meta.name,
            value: value as i32,
        })
    }
}

/// One of Kueue's `fairSharing.preemptionStrategies`: when a workload of another
/// ClusterQueue may be preempted, comparing dominant resource shares (DRS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FairSharingStrategy {
    /// Rule S2-a: the preemptor's share with its workload is at most the target's share
    /// after losing the candidate.
    LessThanOrEqualToFinalShare,
    /// Rule S2-b: the preemptor's share with its workload is below the target's share
    /// before losing the candidate.
    LessThanInitialShare,
}

/// The parts of Kueue's Configuration (`config.kueue.x-k8s.io`) the simulator honours,
/// given in the Scenario as `spec.kueue`.
#[derive(Debug, Clone, PartialEq)]
pub struct KueueConfig {
    /// `fairSharing.enable`, with the strategies in the order they are tried.
    pub fair_sharing: Option<Vec<FairSharingStrategy>>,
    /// `waitForPodsReady` when enabled.
    pub wait_for_pods_ready: Option<WaitForPodsReady>,
}

/// Kueue's `waitForPodsReady`: an admitted Workload whose pods are not all Ready within
/// `timeout` is evicted (`PodsReadyTimeout`) and requeued after an exponential back-off;
/// with `blockAdmission` nothing else is admitted meanwhile.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitForPodsReady {
    pub timeout: SimDuration,
    pub block_admission: bool,
    /// `requeuingStrategy.timestamp: Creation` (the default `Eviction` orders a requeued
    /// Workload by its eviction time).
    pub requeue_by_creation: bool,
    /// Requeues allowed before the Workload is deactivated; none: no limit.
    pub backoff_limit_count: Option<u32>,
    pub backoff_base: SimDuration,
    pub backoff_max: SimDuration,
    /// `recoveryTimeout`: how long a running Workload whose pods stopped being all Ready
    /// may wait for them before it is evicted; none (the default): for ever.
    pub recovery_timeout: Option<SimDuration>,
}

impl WaitForPodsReady {
    /// Kueue v0.19's `waitForPodsReady` when a v1beta2 Configuration does not set it.
    pub(crate) fn v1beta2_default() -> WaitForPodsReady {
        let timeout = SimDuration::from_secs(30 * 60);
        WaitForPodsReady {
            timeout,
            block_admission: false,
            requeue_by_creation: false,
            backoff_limit_count: None,
            backoff_base: SimDuration::from_secs(60),
            backoff_max: SimDuration::from_secs(3600),
            recovery_timeout: Some(timeout),
        }
    }

    /// The wait before the `count`-th requeue: base × 2^(count−1), at most the maximum
    /// (Kueue adds a 0.01% jitter, left out to stay deterministic).
    pub(crate) fn backoff(&self, count: u32) -> SimDuration {
        let doublings = count.saturating_sub(1).min(40);
        SimDuration(
            self.backoff_base
                .0
                .saturating_mul(1u64 << doublings)
                .min(self.backoff_max.0),
        )
    }
}

const KUEUE_CONFIG_KEYS: &[&str] = &["fairSharing", "waitForPodsReady"];
const WAIT_FOR_PODS_READY_KEYS: &[&str] = &[
    "enable",
    "timeout",
    "blockAdmission",
    "requeuingStrategy",
    "recoveryTimeout",
];
const REQUEUING_KEYS: &[&str] = &[
    "timestamp",
    "backoffLimitCount",
    "backoffBaseSeconds",
    "backoffMaxSeconds",
];
const FAIR_SHARING_KEYS: &[&str] = &["enable", "preemptionStrategies"];

fn known_keys(node: &Node, what: &str, known: &[&str]) -> Result<(), InputError> {
    for (k, _) in node.entries()? {
        let key = k.as_str()?;
        if !known.contains(&key) {
            return Err(InputError::at(
                k.loc.clone(),
                format!(
                    "unknown {what} field `{key}`{}",
                    crate::manifest::error::did_you_mean(key, known.iter().copied())
                ),
            )
            .hint(format!("known fields: {}", known.join(", "))));
        }
    }
    Ok(())
}

/// Kueue v0.19's defaulting of a `config.kueue.x-k8s.io/v1beta2` Configuration (and of no
/// Configuration at all): fair sharing off, `waitForPodsReady` on with a 30-minute timeout,
/// no blocking of admission, the same recovery timeout.
impl Default for KueueConfig {
    fn default() -> KueueConfig {
        KueueConfig {
            fair_sharing: None,
            wait_for_pods_ready: Some(WaitForPodsReady::v1beta2_default()),
        }
    }
}

impl KueueConfig {
    /// A Scenario's `kueue:` block. Written with v1beta1's `enable` fields
    /// (`waitForPodsReady.enable`, `fairSharing.enable`) it is read as a v1beta1
    /// Configuration, whose `waitForPodsReady` is off unless enabled; otherwise as
    /// v1beta2, whose `waitForPodsReady` is on unless the block says `enable: false`.
    pub fn decode(node: &Node) -> Result<KueueConfig, InputError> {
        known_keys(node, "Kueue configuration", KUEUE_CONFIG_KEYS)?;
        let beta1 = ["waitForPodsReady", "fairSharing"]
            .iter()
            .any(|k| node.path(&[k, "enable"]).is_some());
        let wait_for_pods_ready = match node.get("waitForPodsReady") {
            Some(w) => decode_wait_for_pods_ready(w)?,
            None if beta1 => None,
            None => Some(WaitForPodsReady::v1beta2_default()),
        };
        Ok(KueueConfig {
            fair_sharing: node.get("fairSharing").map(decode_fair_sharing).transpose()?.flatten(),
            wait_for_pods_ready,
        })
    }
}

/// `waitForPodsReady` with Kueue's defaults: timeout 5m, blockAdmission true when
/// enabled, requeue by eviction time, back-off 60 s doubling up to 3600 s, no limit.
/// `waitForPodsReady`: v1beta1's (with `enable`: off unless true; a 5-minute timeout,
/// admission blocked, no recovery timeout by default) or v1beta2's (on; a 30-minute timeout,
/// admission not blocked, the recovery timeout the timeout).
fn decode_wait_for_pods_ready(node: &Node) -> Result<Option<WaitForPodsReady>, InputError> {
    known_keys(node, "waitForPodsReady", WAIT_FOR_PODS_READY_KEYS)?;
    let beta1 = node.get("enable").is_some();
    let enabled = node.get("enable").map(|e| e.as_bool()).transpose()?.unwrap_or(true);
    let seconds = |n: Option<&Node>, default: u64| -> Result<SimDuration, InputError> {
        let Some(n) = n else {
            return Ok(SimDuration::from_secs(default));
        };
        let v = n.as_i64()?;
        if !(1..=86_400 * 365).contains(&v) {
            return Err(InputError::at(n.loc.clone(), format!("{v} seconds is out of range"))
                .hint("give a whole number of seconds, 1 or more"));
        }
        Ok(SimDuration::from_secs(v as u64))
    };
    let timeout = match node.get("timeout") {
        Some(t) => super::meta::duration(t)?,
        None if beta1 => SimDuration::from_secs(300),
        None => WaitForPodsReady::v1beta2_default().timeout,
    };
    let rs = node.get("requeuingStrategy");
    if let Some(rs) = rs {
        known_keys(rs, "requeuingStrategy", REQUEUING_KEYS)?;
    }
    let field = |k: &str| rs.and_then(|r| r.get(k));
    let requeue_by_creation = one_of(
        field("timestamp"),
        "requeuing timestamp",
        &[("Eviction", false), ("Creation", true)],
        false,
    )?;
    let backoff_limit_count = match field("backoffLimitCount") {
        Some(n) => {
            let v = n.as_i64()?;
            if !(0..=1_000_000).contains(&v) {
                return Err(
                    InputError::at(n.loc.clone(), format!("backoffLimitCount {v} is out of range"))
                        .hint("give 0 or more requeues"),
                );
            }
            Some(v as u32)
        }
        None => None,
    };
    let w = WaitForPodsReady {
        timeout,
        block_admission: node
            .get("blockAdmission")
            .map(|b| b.as_bool())
            .transpose()?
            .unwrap_or(beta1),
        requeue_by_creation,
        backoff_limit_count,
        backoff_base: seconds(field("backoffBaseSeconds"), 60)?,
        backoff_max: seconds(field("backoffMaxSeconds"), 3600)?,
        recovery_timeout: match node.get("recoveryTimeout") {
            // "0s" turns recovery off.
            Some(r) => Some(super::meta::duration(r)?).filter(|d| d.0 > 0),
            None if beta1 => None,
            None => Some(timeout),
        },
    };
    Ok(enabled.then_some(w))
}

/// `fairSharing` when enabled: the preemption strategies in the order they are tried.
fn decode_fair_sharing(fs: &Node) -> Result<Option<Vec<FairSharingStrategy>>, InputError> {
    known_keys(fs, "fairSharing", FAIR_SHARING_KEYS)?;
    let enabled = fs.get("enable").map(|e| e.as_bool()).transpose()?.unwrap_or(false);
    let mut strategies = Vec::new();
    let options = [
        (
            "LessThanOrEqualToFinalShare",
            FairSharingStrategy::LessThanOrEqualToFinalShare,
        ),
        ("LessThanInitialShare", FairSharingStrategy::LessThanInitialShare),
    ];
    let listed = fs.get("preemptionStrategies");
    for s in listed.map(|l| l.items()).transpose()?.unwrap_or(&[]) {
        strategies.push(one_of(
            Some(s),
            "fair sharing preemption strategy",
            &options,
            FairSharingStrategy::LessThanOrEqualToFinalShare,
        )?);
    }
    use FairSharingStrategy::*;
    // Kueue's configuration validation admits exactly these lists.
    let valid = matches!(
        strategies.as_slice(),
        [] | [LessThanOrEqualToFinalShare]
            | [LessThanInitialShare]
            | [LessThanOrEqualToFinalShare, LessThanInitialShare]
    );
    if !valid {
        let loc = listed.map(|l| l.loc.clone()).unwrap_or_else(|| fs.loc.clone());
        return Err(
            InputError::at(loc, "unsupported list of fair sharing preemption strategies").hint(
                "use [LessThanOrEqualToFinalShare], [LessThanInitialShare] or \
                 [LessThanOrEqualToFinalShare, LessThanInitialShare]",
            ),
        );
    }
    if strategies.is_empty() {
        strategies = vec![LessThanOrEqualToFinalShare, LessThanInitialShare];
    }
    Ok(enabled.then_some(strategies))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requeuing_backoff_doubles_up_to_its_maximum() {
        let w = WaitForPodsReady {
            timeout: SimDuration::from_secs(300),
            block_admission: true,
            requeue_by_creation: false,
            backoff_limit_count: None,
            backoff_base: SimDuration::from_secs(60),
            backoff_max: SimDuration::from_secs(3600),
            recovery_timeout: None,
        };
        // (requeue count, seconds): Kueue's documented 60, 120, 240, …, 3600, 3600.
        let cases = [(1, 60), (2, 120), (3, 240), (6, 1920), (7, 3600), (50, 3600)];
        for (count, secs) in cases {
            assert_eq!(w.backoff(count), SimDuration::from_secs(secs), "count {count}");
        }
    }

    /// A ClusterQueue's cohort and fungibility as each API version writes them.
    #[test]
    fn cluster_queue_reads_both_api_versions() {
        use FungibilityPolicy::{MayStopSearch, TryNextFlavor};
        let decode = |version: &str, spec: &str| {
            let text = format!(
                "apiVersion: kueue.x-k8s.io/{version}\nkind: ClusterQueue\nmetadata: {{name: q}}\nspec:\n{spec}"
            );
            let file: std::sync::Arc<str> = std::sync::Arc::from("t");
            let docs = crate::manifest::yaml::parse_documents(&file, &text).expect("yaml");
            let root = &docs.first().expect("one document").root;
            ClusterQueue::decode(root).expect("valid")
        };
        // (version, spec, cohort, whenCanBorrow, whenCanPreempt, preference)
        let cases = [
            ("v1beta2", "  cohortName: all\n", Some("all"), MayStopSearch, TryNextFlavor, None),
            ("v1beta1", "  cohort: all\n", Some("all"), MayStopSearch, TryNextFlavor, None),
            (
                "v1beta1",
                "  flavorFungibility: {whenCanBorrow: Borrow, whenCanPreempt: Preempt}\n",
                None,
                MayStopSearch,
                MayStopSearch,
                None,
            ),
            (
                "v1beta2",
                "  flavorFungibility: {whenCanBorrow: TryNextFlavor, whenCanPreempt: TryNextFlavor, preference: PreemptionOverBorrowing}\n",
                None,
                TryNextFlavor,
                TryNextFlavor,
                Some(FungibilityPreference::PreemptionOverBorrowing),
            ),
        ];
        for (version, spec, cohort, borrow, preempt, preference) in cases {
            let cq = decode(version, spec);
            assert_eq!(
                (
                    cq.cohort.as_deref(),
                    cq.flavor_fungibility.when_can_borrow,
                    cq.flavor_fungibility.when_can_preempt,
                    cq.flavor_fungibility.preference
                ),
                (cohort, borrow, preempt, preference),
                "{version}: {spec}"
            );
        }
    }

    /// Cohort objects as Kueue's webhook takes them: both API versions, limits only below
    /// a parent, a lendingLimit above the nominal quota allowed.
    #[test]
    fn cohort_decodes_and_validates_like_kueue() {
        let decode = |version: &str, spec: &str| {
            let text =
                format!("apiVersion: kueue.x-k8s.io/{version}\nkind: Cohort\nmetadata: {{name: dept}}\nspec:\n{spec}");
            let file: std::sync::Arc<str> = std::sync::Arc::from("t");
            let docs = crate::manifest::yaml::parse_documents(&file, &text).expect("yaml");
            Cohort::decode(&docs.first().expect("one document").root)
        };
        let quota = |limits: &str| {
            format!("  resourceGroups:\n    - coveredResources: [cpu]\n      flavors: [{{name: f, resources: [{{name: cpu, nominalQuota: 2{limits}}}]}}]\n")
        };
        // (version, spec, parent, or the error's start and line:column)
        type Want<'a> = Result<Option<&'a str>, (&'a str, &'a str)>;
        let cases: Vec<(&str, String, Want)> = vec![
            ("v1beta2", "  parentName: org\n".into(), Ok(Some("org"))),
            ("v1beta1", "  parentName: org\n".into(), Ok(Some("org"))),
            ("v1beta2", quota(""), Ok(None)),
            (
                "v1beta2",
                format!("  parentName: org\n{}", quota(", lendingLimit: 6, borrowingLimit: 1")),
                Ok(Some("org")),
            ),
            (
                "v1beta2",
                quota(", lendingLimit: 1"),
                Err(("lendingLimit must be nil when parentName is empty", "t:7:82")),
            ),
            (
                "v1beta1",
                quota(", borrowingLimit: 1"),
                Err(("borrowingLimit must be nil when parentName is empty", "t:7:")),
            ),
        ];
        for (version, spec, want) in cases {
            match (decode(version, &spec), want) {
                (Ok(c), Ok(parent)) => assert_eq!(c.parent.as_deref(), parent, "{version}: {spec}"),
                (Err(e), Err((message, at))) => {
                    let shown = e.to_string();
                    assert!(
                        shown.contains(message) && shown.contains(at),
                        "{version}: {spec}: {shown}"
                    );
                }
                (got, want) => panic!("{version}: {spec}: got {got:?}, want {want:?}"),
            }
        }
    }

    /// `waitForPodsReady` as each Configuration version defaults it.
    #[test]
    fn wait_for_pods_ready_follows_each_versions_defaults() {
        let decode = |yaml: &str| {
            let file: std::sync::Arc<str> = std::sync::Arc::from("t");
            let docs = crate::manifest::yaml::parse_documents(&file, yaml).expect("yaml");
            KueueConfig::decode(&docs.first().expect("a document").root).expect("valid")
        };
        let v2 = WaitForPodsReady::v1beta2_default();
        let mins = |m: u64| SimDuration::from_secs(m * 60);
        // (case, kueue block, (on, timeout, blockAdmission, recoveryTimeout))
        let cases = [
            (
                "no block: Kueue v0.19's defaults",
                None,
                Some((mins(30), false, Some(mins(30)))),
            ),
            (
                "v1beta2 block without it",
                Some("fairSharing: {preemptionStrategies: [LessThanOrEqualToFinalShare]}"),
                Some((mins(30), false, Some(mins(30)))),
            ),
            (
                "v1beta2 block with a timeout",
                Some("waitForPodsReady: {timeout: 10m}"),
                Some((mins(10), false, Some(mins(10)))),
            ),
            ("v1beta1 block without it", Some("fairSharing: {enable: true}"), None),
            (
                "v1beta1 enable: true",
                Some("waitForPodsReady: {enable: true}"),
                Some((mins(5), true, None)),
            ),
            (
                "enable: false turns it off",
                Some("waitForPodsReady: {enable: false}"),
                None,
            ),
            (
                "recoveryTimeout 0s turns recovery off",
                Some("waitForPodsReady: {recoveryTimeout: 0s}"),
                Some((mins(30), false, None)),
            ),
        ];
        for (name, block, want) in cases {
            let c = block.map(decode).unwrap_or_default();
            let got = c
                .wait_for_pods_ready
                .map(|w| (w.timeout, w.block_admission, w.recovery_timeout));
            assert_eq!(got, want, "{name}");
        }
        assert_eq!(KueueConfig::default().wait_for_pods_ready, Some(v2));
    }
}
