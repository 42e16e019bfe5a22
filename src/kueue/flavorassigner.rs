//! Flavor assignment (`pkg/scheduler/flavorassigner`): for each resource group the pod set
//! needs, try the ClusterQueue's flavors in order and take the first whose labels, taints
//! and quota fit; otherwise explain, in Kueue's words, why none did.

use super::cache::{FlavorResource, Snapshot};
use crate::api::core::{PodSpec, ResourceList, TaintEffect};
use crate::api::kueue::{
    BorrowWithinCohort, ClusterQueue, FlavorFungibility, FlavorName, ReclaimWithinCohort, ResourceFlavor,
    WhenCanBorrow, WhenCanPreempt,
};
use crate::api::meta::Labels;
use crate::units::Quantity;
use std::collections::{BTreeMap, BTreeSet};

/// How a pod set's request can be met, worst to best (Kueue's `FlavorAssignmentMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Mode {
    NoFit,
    /// Fits once some admitted workloads are preempted.
    Preempt,
    Fit,
}

/// One pod set as the scheduler asks for it: its pods' spec and what `count` of them
/// request together (with `pods` when the ClusterQueue has quota for it).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PodSetRequest<'w> {
    pub name: &'w str,
    pub spec: &'w PodSpec,
    pub count: u32,
    pub requests: ResourceList,
}

/// The flavors one pod set got (Kueue's `PodSetAssignment`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PodSetFlavors {
    pub name: String,
    /// Resource → flavor (for every resource when the mode is not NoFit).
    pub flavors: BTreeMap<String, FlavorName>,
    pub requests: ResourceList,
    pub count: u32,
    pub mode: Mode,
    /// Why it does not simply fit (`Status`), empty on Fit.
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Assignment {
    /// The pod sets assigned so far: all of them, unless one found no flavor (the search
    /// stops there, as Kueue's does).
    pub pod_sets: Vec<PodSetFlavors>,
    /// The worst of the pod sets' modes.
    pub mode: Mode,
    /// Some resource would go above its nominal quota, into what the cohort lends.
    pub borrows: bool,
    /// Kueue's explanation when it does not simply fit (`couldn't assign flavors to pod
    /// set main: …`, one clause per pod set, `; ` between them); empty on Fit.
    pub message: String,
}

impl Assignment {
    /// What it would hold, per (flavor, resource), all pod sets together.
    pub(crate) fn usage(&self) -> Vec<(FlavorResource, Quantity)> {
        let mut usage: BTreeMap<FlavorResource, Quantity> = BTreeMap::new();
        for ps in &self.pod_sets {
            for (r, f) in &ps.flavors {
                *usage.entry(FlavorResource::new(f.as_str(), r.as_str())).or_default() += ps.requests.get(r);
            }
        }
        usage.into_iter().collect()
    }

    /// The flavor of `resource` in the first pod set that asks for it.
    #[cfg(test)]
    pub(crate) fn flavor_of(&self, resource: &str) -> Option<&FlavorName> {
        self.pod_sets.iter().find_map(|ps| ps.flavors.get(resource))
    }

    /// The admission it stands for, in `cluster_queue`.
    pub(crate) fn admission(&self, cluster_queue: &str) -> crate::store::Admission {
        crate::store::Admission {
            cluster_queue: cluster_queue.to_string(),
            pod_set_assignments: self
                .pod_sets
                .iter()
                .map(|ps| crate::store::PodSetAssignment {
                    name: ps.name.clone(),
                    flavors: ps.flavors.clone(),
                    resource_usage: ps.requests.clone(),
                    count: ps.count,
                })
                .collect(),
        }
    }
}

/// Kueue's `Assignment.Message`: a clause per pod set that does not simply fit.
fn explain(pod_sets: &[PodSetFlavors]) -> String {
    pod_sets
        .iter()
        .filter(|ps| ps.mode != Mode::Fit)
        .map(|ps| {
            let mut reasons = ps.reasons.clone();
            reasons.sort();
            format!("couldn't assign flavors to pod set {}: {}", ps.name, reasons.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Go's `%v` of a `corev1.Taint` value, as Kueue's message prints it.
fn taint_text(t: &crate::api::core::Taint) -> String {
    format!("{{{} {} {} <nil>}}", t.key, t.value, t.effect.as_str())
}

fn matches_affinity(spec: &PodSpec, flavor_labels: &Labels, keys: &BTreeSet<&str>) -> bool {
    for (k, v) in &spec.node_selector {
        if keys.contains(k.as_str()) && flavor_labels.get(k) != Some(v) {
            return false;
        }
    }
    if let Some(aff) = &spec.affinity {
        let any_term = aff.terms.iter().any(|term| {
            term.iter()
                .filter(|r| keys.contains(r.key.as_str()))
                .all(|r| r.matches(flavor_labels))
        });
        if !aff.terms.is_empty() && !any_term {
            return false;
        }
    }
    true
}

/// The mode of one resource in one flavor, whether it borrows, and why it does not fit
/// (`fitsResourceQuota`).
fn fits_quota(
    cq: &ClusterQueue,
    snapshot: &Snapshot,
    fr: &FlavorResource,
    request: Quantity,
    assumed: Quantity,
) -> (Mode, bool, Option<String>) {
    let (flavor, resource) = (&fr.flavor, &fr.resource);
    // Earlier pod sets of the same Workload count against the flavor too.
    let val = request + assumed;
    let max = snapshot.potential_available(&cq.name, fr);
    if val > max {
        let why =
            format!("insufficient quota for {resource} in flavor {flavor}, request > maximum capacity ({val} > {max})");
        return (Mode::NoFit, false, Some(why));
    }
    let borrows = cq.cohort.is_some() && snapshot.would_borrow(&cq.name, fr, val);
    let available = snapshot.available(&cq.name, fr);
    if val <= available {
        return (Mode::Fit, borrows, None);
    }
    let why = format!(
        "insufficient unused quota for {resource} in flavor {flavor}, {} more needed",
        val - available
    );
    let nominal = snapshot
        .queue(&cq.name)
        .map(|q| q.quota(fr).nominal)
        .unwrap_or_default();
    // Within its nominal quota a ClusterQueue may preempt (its own workloads, or reclaim
    // what others borrowed); beyond it only when it may preempt while borrowing, which
    // fair sharing allows whenever it may reclaim (`canPreemptWhileBorrowing`).
    let can_borrow_preempt = cq.preemption.borrow_within_cohort != BorrowWithinCohort::Never
        || (snapshot.fair_sharing.is_some() && cq.preemption.reclaim_within_cohort != ReclaimWithinCohort::Never);
    let mode = if val <= nominal || can_borrow_preempt {
        Mode::Preempt
    } else {
        Mode::NoFit
    };
    (mode, borrows, Some(why))
}

/// Whether a flavor reached with `mode` should be passed over for the next one, as
/// `flavorFungibility` says (`shouldTryNextFlavor`).
fn try_next_flavor(mode: Mode, f: FlavorFungibility, borrows: bool) -> bool {
    match mode {
        Mode::Fit => borrows && f.when_can_borrow == WhenCanBorrow::TryNextFlavor,
        Mode::Preempt => {
            !(f.when_can_preempt == WhenCanPreempt::Preempt && (!borrows || f.when_can_borrow == WhenCanBorrow::Borrow))
        }
        Mode::NoFit => true,
    }
}

/// Assigns flavors to each pod set in turn (`FlavorAssigner.Assign`), each on its own
/// but counting what the earlier ones took; the search stops at a pod set that finds no
/// flavor.
pub(crate) fn assign(
    cq: &ClusterQueue,
    flavors: &BTreeMap<String, ResourceFlavor>,
    snapshot: &Snapshot,
    pod_sets: &[PodSetRequest],
) -> Assignment {
    let mut result = Assignment {
        pod_sets: Vec::new(),
        mode: Mode::Fit,
        borrows: false,
        message: String::new(),
    };
    let mut assumed: BTreeMap<FlavorResource, Quantity> = BTreeMap::new();
    for ps in pod_sets {
        let (assigned, borrows) = assign_pod_set(cq, flavors, snapshot, ps, &assumed);
        result.mode = result.mode.min(assigned.mode);
        result.borrows |= borrows;
        let stop = assigned.mode == Mode::NoFit;
        for (r, f) in &assigned.flavors {
            *assumed.entry(FlavorResource::new(f.as_str(), r.as_str())).or_default() += ps.requests.get(r);
        }
        result.pod_sets.push(assigned);
        if stop {
            break;
        }
    }
    if result.mode != Mode::Fit {
        result.message = explain(&result.pod_sets);
    }
    result
}

/// One pod set's flavors, a flavor per resource group it needs, and whether it borrows.
fn assign_pod_set(
    cq: &ClusterQueue,
    flavors: &BTreeMap<String, ResourceFlavor>,
    snapshot: &Snapshot,
    ps: &PodSetRequest,
    assumed: &BTreeMap<FlavorResource, Quantity>,
) -> (PodSetFlavors, bool) {
    let mut out = PodSetFlavors {
        name: ps.name.to_string(),
        flavors: BTreeMap::new(),
        requests: ps.requests.clone(),
        count: ps.count,
        mode: Mode::Fit,
        reasons: Vec::new(),
    };
    let requested: Vec<(&String, Quantity)> = ps
        .requests
        .0
        .iter()
        .filter(|(_, q)| !q.is_zero())
        .map(|(k, q)| (k, *q))
        .collect();
    let no_fit = |mut out: PodSetFlavors, reasons: Vec<String>| {
        out.flavors.clear();
        out.mode = Mode::NoFit;
        out.reasons = reasons;
        (out, false)
    };
    for (r, _) in &requested {
        if cq.group_for(r).is_none() {
            return no_fit(out, vec![format!("resource {r} unavailable in ClusterQueue")]);
        }
    }
    let mut borrows_any = false;
    for group in &cq.resource_groups {
        let needed: Vec<&(&String, Quantity)> = requested.iter().filter(|(r, _)| group.covered.contains(r)).collect();
        if needed.is_empty() {
            continue;
        }
        let (best, reasons) = best_flavor(cq, flavors, snapshot, ps.spec, group, &needed, assumed);
        let Some((f, mode, borrows)) = best else {
            return no_fit(out, reasons);
        };
        for (r, _) in needed {
            out.flavors.insert((*r).clone(), f.clone());
        }
        out.mode = out.mode.min(mode);
        borrows_any |= borrows;
        if mode != Mode::Fit {
            out.reasons.extend(reasons);
        }
    }
    (out, borrows_any)
}

/// The flavor of one resource group for the `needed` resources: (flavor, mode, borrows) of
/// the one taken, if any, and why the others were not.
fn best_flavor(
    cq: &ClusterQueue,
    flavors: &BTreeMap<String, ResourceFlavor>,
    snapshot: &Snapshot,
    spec: &PodSpec,
    group: &crate::api::kueue::ResourceGroup,
    needed: &[&(&String, Quantity)],
    assumed: &BTreeMap<FlavorResource, Quantity>,
) -> (Option<(FlavorName, Mode, bool)>, Vec<String>) {
    let label_keys: BTreeSet<&str> = group
        .flavors
        .iter()
        .filter_map(|f| flavors.get(&f.name))
        .flat_map(|f| f.node_labels.keys().map(String::as_str))
        .collect();
    let mut reasons = Vec::new();
    let mut best: Option<(FlavorName, Mode, bool)> = None;
    for fq in &group.flavors {
        let Some(flavor) = flavors.get(&fq.name) else {
            reasons.push(format!("flavor {} not found", fq.name));
            continue;
        };
        if let Some(why) = excluded(spec, flavor, &fq.name, &label_keys) {
            reasons.push(why);
            continue;
        }
        let (mut mode, mut borrows) = (Mode::Fit, false);
        for (r, q) in needed {
            let fr = FlavorResource::new(fq.name.as_str(), r.as_str());
            let before = assumed.get(&fr).copied().unwrap_or_default();
            let (m, b, why) = fits_quota(cq, snapshot, &fr, *q, before);
            mode = mode.min(m);
            borrows |= b;
            reasons.extend(why);
        }
        // Kueue's `isPreferred`: the better mode, then not borrowing; ties keep the
        // earlier flavor.
        let better = best
            .as_ref()
            .is_none_or(|(_, m, b)| mode > *m || (mode == *m && *b && !borrows));
        if !try_next_flavor(mode, cq.flavor_fungibility, borrows) {
            best = Some((fq.name.clone(), mode, borrows));
            break;
        }
        if better && mode > Mode::NoFit {
            best = Some((fq.name.clone(), mode, borrows));
        }
    }
    (best, reasons)
}

/// Why the flavor cannot take the pod at all: a taint it does not tolerate, or node
/// affinity its labels do not match.
fn excluded(spec: &PodSpec, flavor: &ResourceFlavor, name: &str, label_keys: &BTreeSet<&str>) -> Option<String> {
    let untolerated = flavor.node_taints.iter().find(|t| {
        matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute)
            && !spec
                .tolerations
                .iter()
                .chain(flavor.tolerations.iter())
                .any(|tol| tol.tolerates(t))
    });
    if let Some(t) = untolerated {
        return Some(format!("untolerated taint {} in flavor {name}", taint_text(t)));
    }
    if !matches_affinity(spec, &flavor.node_labels, label_keys) {
        return Some(format!("flavor {name} doesn't match node affinity"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::core::{Taint, Toleration};
    use crate::api::kueue::{FlavorQuotas, QueueingStrategy, ResourceGroup, ResourceQuota};
    use crate::kueue::cache::usage_from;
    use crate::manifest::error::Loc;

    /// Assigns flavors to a single `main` pod set of one pod.
    fn one(
        cq: &ClusterQueue,
        flavors: &BTreeMap<String, ResourceFlavor>,
        snapshot: &Snapshot,
        spec: &PodSpec,
        requests: &ResourceList,
    ) -> Assignment {
        let ps = PodSetRequest {
            name: "main",
            spec,
            count: 1,
            requests: requests.clone(),
        };
        assign(cq, flavors, snapshot, &[ps])
    }

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    fn flavor(name: &str, instance: &str) -> ResourceFlavor {
        ResourceFlavor {
            name: name.into(),
            node_labels: [("node.kubernetes.io/instance-type".to_string(), instance.to_string())].into(),
            node_taints: vec![],
            tolerations: vec![],
        }
    }

    /// The seed's ClusterQueue: 1 GPU of g6.4xlarge, then 4 GPUs of g6.12xlarge.
    fn seed_cq() -> (ClusterQueue, BTreeMap<String, ResourceFlavor>) {
        let fq = |name: &str, gpus: &str| FlavorQuotas {
            name: name.into(),
            resources: vec![
                ResourceQuota {
                    name: "cpu".into(),
                    nominal: q("64"),
                    borrowing_limit: None,
                    lending_limit: None,
                },
                ResourceQuota {
                    name: "nvidia.com/gpu".into(),
                    nominal: q(gpus),
                    borrowing_limit: None,
                    lending_limit: None,
                },
            ],
            loc: Loc::file("t"),
        };
        let cq = ClusterQueue {
            name: "rhoai-main-queue".into(),
            cohort: None,
            namespace_selector: Some(Default::default()),
            queueing_strategy: QueueingStrategy::BestEffortFIFO,
            resource_groups: vec![ResourceGroup {
                covered: vec!["cpu".into(), "nvidia.com/gpu".into()],
                flavors: vec![fq("nvidia-l4-1gpu", "1"), fq("nvidia-l4-4gpu", "4")],
            }],
            preemption: Default::default(),
            flavor_fungibility: Default::default(),
            fair_sharing_weight: Quantity::from_units(1),
            stopped: false,
            loc: Loc::file("t"),
        };
        let flavors = [
            ("nvidia-l4-1gpu".to_string(), flavor("nvidia-l4-1gpu", "g6.4xlarge")),
            ("nvidia-l4-4gpu".to_string(), flavor("nvidia-l4-4gpu", "g6.12xlarge")),
        ]
        .into();
        (cq, flavors)
    }

    fn req(gpus: &str) -> ResourceList {
        ResourceList([("cpu".to_string(), q("4")), ("nvidia.com/gpu".to_string(), q(gpus))].into())
    }

    /// The seed's ClusterQueue with GPUs in use per flavor.
    fn snapshot(cq: &ClusterQueue, one: &str, four: &str) -> Snapshot {
        let usage = usage_from([
            ((cq.name.as_str(), "nvidia-l4-1gpu", "nvidia.com/gpu"), q(one)),
            ((cq.name.as_str(), "nvidia-l4-4gpu", "nvidia.com/gpu"), q(four)),
        ]);
        Snapshot::new([cq], &usage)
    }

    /// (mode, the GPU's flavor, message) of an assignment.
    fn summary(a: &Assignment) -> (Mode, Option<&str>, &str) {
        (
            a.mode,
            a.flavor_of("nvidia.com/gpu").map(String::as_str),
            a.message.as_str(),
        )
    }

    #[test]
    fn flavor_assignment_table() {
        let (cq, flavors) = seed_cq();
        let sel = |instance: &str| PodSpec {
            node_selector: [("node.kubernetes.io/instance-type".to_string(), instance.to_string())].into(),
            ..Default::default()
        };
        let none = PodSpec::default();
        // (case, pod, GPUs asked, GPUs used in the 1-GPU and 4-GPU flavors, mode, flavor, message)
        type Case<'a> = (
            &'a str,
            PodSpec,
            &'a str,
            (&'a str, &'a str),
            Mode,
            Option<&'a str>,
            &'a str,
        );
        let cases: Vec<Case> = vec![
            ("1 GPU fits the first flavor", none.clone(), "1", ("0", "0"), Mode::Fit, Some("nvidia-l4-1gpu"), ""),
            ("4 GPUs skip the 1-GPU flavor", none.clone(), "4", ("0", "0"), Mode::Fit, Some("nvidia-l4-4gpu"), ""),
            ("1 GPU spills to the second flavor", none.clone(), "1", ("1", "0"), Mode::Fit, Some("nvidia-l4-4gpu"), ""),
            (
                "4 GPUs with both flavors full: within nominal quota, only preemption could help",
                none.clone(),
                "4",
                ("1", "4"),
                Mode::Preempt,
                Some("nvidia-l4-4gpu"),
                "couldn't assign flavors to pod set main: insufficient quota for nvidia.com/gpu in flavor nvidia-l4-1gpu, request > maximum capacity (4 > 1), insufficient unused quota for nvidia.com/gpu in flavor nvidia-l4-4gpu, 4 more needed",
            ),
            (
                "5 GPUs exceed every flavor",
                none.clone(),
                "5",
                ("0", "0"),
                Mode::NoFit,
                None,
                "couldn't assign flavors to pod set main: insufficient quota for nvidia.com/gpu in flavor nvidia-l4-1gpu, request > maximum capacity (5 > 1), insufficient quota for nvidia.com/gpu in flavor nvidia-l4-4gpu, request > maximum capacity (5 > 4)",
            ),
            ("nodeSelector pins the flavor", sel("g6.12xlarge"), "1", ("0", "0"), Mode::Fit, Some("nvidia-l4-4gpu"), ""),
            (
                "nodeSelector conflicting with every flavor",
                sel("p5.48xlarge"),
                "1",
                ("0", "0"),
                Mode::NoFit,
                None,
                "couldn't assign flavors to pod set main: flavor nvidia-l4-1gpu doesn't match node affinity, flavor nvidia-l4-4gpu doesn't match node affinity",
            ),
        ];
        for (name, spec, gpus, (used_one, used_four), mode, flavor, message) in cases {
            let a = one(&cq, &flavors, &snapshot(&cq, used_one, used_four), &spec, &req(gpus));
            assert_eq!(summary(&a), (mode, flavor, message), "{name}");
        }
    }

    #[test]
    fn uncovered_resources_and_taints_are_explained() {
        let (cq, mut flavors) = seed_cq();
        let mut r = req("1");
        r.0.insert("memory".into(), q("16Gi"));
        let snap = snapshot(&cq, "0", "0");
        assert_eq!(
            one(&cq, &flavors, &snap, &PodSpec::default(), &r).message,
            "couldn't assign flavors to pod set main: resource memory unavailable in ClusterQueue"
        );
        let taint = Taint {
            key: "spot".into(),
            value: "true".into(),
            effect: TaintEffect::NoSchedule,
        };
        for f in flavors.values_mut() {
            f.node_taints = vec![taint.clone()];
        }
        let msg = one(&cq, &flavors, &snap, &PodSpec::default(), &req("1")).message;
        assert!(
            msg.contains("untolerated taint {spot true NoSchedule <nil>} in flavor nvidia-l4-1gpu"),
            "{msg}"
        );
        let tolerant = PodSpec {
            tolerations: vec![Toleration {
                key: Some("spot".into()),
                exists: true,
                value: String::new(),
                effect: None,
                toleration_seconds: None,
            }],
            ..Default::default()
        };
        assert_eq!(one(&cq, &flavors, &snap, &tolerant, &req("1")).mode, Mode::Fit);
    }

    /// Team "amd" (cohort "all"): cpu/memory in one resource group, MI300X GPUs in another
    /// with a small reserved flavor and a spot flavor; team "lender" lends 8 reserved GPUs.
    fn amd_cohort(
        when_can_borrow: crate::api::kueue::WhenCanBorrow,
    ) -> (ClusterQueue, Snapshot, BTreeMap<String, ResourceFlavor>) {
        let quota = |name: &str, n: &str| ResourceQuota {
            name: name.into(),
            nominal: q(n),
            borrowing_limit: None,
            lending_limit: None,
        };
        let fq = |name: &str, resources: Vec<ResourceQuota>| FlavorQuotas {
            name: name.into(),
            resources,
            loc: Loc::file("t"),
        };
        let cq = |name: &str, groups: Vec<ResourceGroup>| ClusterQueue {
            name: name.into(),
            cohort: Some("all".into()),
            namespace_selector: Some(Default::default()),
            queueing_strategy: QueueingStrategy::BestEffortFIFO,
            resource_groups: groups,
            preemption: Default::default(),
            flavor_fungibility: crate::api::kueue::FlavorFungibility {
                when_can_borrow,
                ..Default::default()
            },
            fair_sharing_weight: Quantity::from_units(1),
            stopped: false,
            loc: Loc::file("t"),
        };
        let amd = cq(
            "amd",
            vec![
                ResourceGroup {
                    covered: vec!["cpu".into(), "memory".into()],
                    flavors: vec![fq("default", vec![quota("cpu", "32"), quota("memory", "128Gi")])],
                },
                ResourceGroup {
                    covered: vec!["amd.com/gpu".into()],
                    flavors: vec![
                        fq("mi300x-reserved", vec![quota("amd.com/gpu", "2")]),
                        fq("mi300x-spot", vec![quota("amd.com/gpu", "8")]),
                    ],
                },
            ],
        );
        let lender = cq(
            "lender",
            vec![ResourceGroup {
                covered: vec!["amd.com/gpu".into()],
                flavors: vec![fq("mi300x-reserved", vec![quota("amd.com/gpu", "8")])],
            }],
        );
        let snapshot = Snapshot::new([&amd, &lender], &Default::default());
        let flavors = ["default", "mi300x-reserved", "mi300x-spot"]
            .into_iter()
            .map(|f| (f.to_string(), flavor(f, "ND96isr-MI300X-v5")))
            .collect();
        (amd, snapshot, flavors)
    }

    #[test]
    fn resource_groups_and_flavor_fungibility() {
        use crate::api::kueue::WhenCanBorrow::{Borrow, TryNextFlavor};
        let gpus = |n: &str| {
            ResourceList(
                [
                    ("cpu".to_string(), q("8")),
                    ("memory".to_string(), q("32Gi")),
                    ("amd.com/gpu".to_string(), q(n)),
                ]
                .into(),
            )
        };
        // (case, whenCanBorrow, GPUs, mode, GPU flavor, borrows)
        let cases = [
            (
                "2 GPUs fit the reserved flavor",
                Borrow,
                "2",
                Mode::Fit,
                Some("mi300x-reserved"),
                false,
            ),
            (
                "4 GPUs borrow the lender's reserved GPUs",
                Borrow,
                "4",
                Mode::Fit,
                Some("mi300x-reserved"),
                true,
            ),
            (
                "TryNextFlavor prefers spot to borrowing",
                TryNextFlavor,
                "4",
                Mode::Fit,
                Some("mi300x-spot"),
                false,
            ),
            (
                "12 GPUs exceed every flavor's capacity",
                Borrow,
                "12",
                Mode::NoFit,
                None,
                false,
            ),
        ];
        for (name, when, n, mode, flavor, borrows) in cases {
            let (cq, snapshot, flavors) = amd_cohort(when);
            let a = one(&cq, &flavors, &snapshot, &PodSpec::default(), &gpus(n));
            assert_eq!(
                (a.mode, a.flavor_of("amd.com/gpu").map(String::as_str), a.borrows),
                (mode, flavor, borrows),
                "{name}: {}",
                a.message
            );
            if mode == Mode::Fit {
                assert_eq!(a.flavor_of("cpu").map(String::as_str), Some("default"), "{name}");
                assert_eq!(a.flavor_of("memory").map(String::as_str), Some("default"), "{name}");
            }
        }
        let (cq, snapshot, flavors) = amd_cohort(Borrow);
        assert_eq!(
            one(&cq, &flavors, &snapshot, &PodSpec::default(), &gpus("12")).message,
            "couldn't assign flavors to pod set main: insufficient quota for amd.com/gpu in flavor mi300x-reserved, request > maximum capacity (12 > 10), insufficient quota for amd.com/gpu in flavor mi300x-spot, request > maximum capacity (12 > 8)"
        );
    }

    /// After `TestAssignFlavors` "preempt before try next flavor" and "preempt try next
    /// flavor": the first flavor could take the pod by preempting, the second has room.
    #[test]
    fn when_can_preempt_decides_between_preempting_and_the_next_flavor() {
        let (mut cq, flavors) = seed_cq();
        let snap = snapshot(&cq, "1", "0");
        let a = one(&cq, &flavors, &snap, &PodSpec::default(), &req("1"));
        assert_eq!(
            summary(&a),
            (Mode::Fit, Some("nvidia-l4-4gpu"), ""),
            "default: TryNextFlavor"
        );
        cq.flavor_fungibility.when_can_preempt = crate::api::kueue::WhenCanPreempt::Preempt;
        let a = one(&cq, &flavors, &snap, &PodSpec::default(), &req("1"));
        assert_eq!(
            summary(&a),
            (
                Mode::Preempt,
                Some("nvidia-l4-1gpu"),
                "couldn't assign flavors to pod set main: insufficient unused quota for nvidia.com/gpu in flavor nvidia-l4-1gpu, 1 more needed"
            ),
            "whenCanPreempt: Preempt"
        );
    }

    /// After `TestAssignFlavors`: a cpu-only ClusterQueue with flavors "one" and "two".
    #[test]
    fn assign_flavors_cases() {
        use crate::api::kueue::WhenCanBorrow;
        let cq_with = |one: &str, two: Option<&str>, cohort: bool, when_can_borrow: WhenCanBorrow| {
            let fq = |name: &str, n: &str| FlavorQuotas {
                name: name.into(),
                resources: vec![ResourceQuota {
                    name: "cpu".into(),
                    nominal: q(n),
                    borrowing_limit: None,
                    lending_limit: None,
                }],
                loc: Loc::file("t"),
            };
            let mut flavors_q = vec![fq("one", one)];
            if let Some(t) = two {
                flavors_q.push(fq("two", t));
            }
            let mut cq = seed_cq().0;
            cq.name = "cq".into();
            cq.cohort = cohort.then(|| "cohort".to_string());
            cq.resource_groups = vec![ResourceGroup {
                covered: vec!["cpu".into()],
                flavors: flavors_q,
            }];
            cq.flavor_fungibility.when_can_borrow = when_can_borrow;
            cq
        };
        let lender = |cpu: &str| {
            let mut l = cq_with(cpu, Some(cpu), true, WhenCanBorrow::Borrow);
            l.name = "lender".into();
            l
        };
        let flavors: BTreeMap<String, ResourceFlavor> = ["one", "two"]
            .into_iter()
            .map(|f| (f.to_string(), flavor(f, f)))
            .collect();
        let cpu = |n: &str| ResourceList([("cpu".to_string(), q(n))].into());
        // (Kueue case, ClusterQueue, lender in the cohort, cpu used in "one", request,
        //  mode, flavor, borrows, message)
        type Case<'a> = (
            &'a str,
            ClusterQueue,
            Option<ClusterQueue>,
            &'a str,
            &'a str,
            Mode,
            Option<&'a str>,
            bool,
            &'a str,
        );
        let cases: Vec<Case> = vec![
            (
                "single flavor, used resources, doesn't fit",
                cq_with("4", None, false, WhenCanBorrow::Borrow),
                None,
                "3",
                "2",
                Mode::Preempt,
                Some("one"),
                false,
                "couldn't assign flavors to pod set main: insufficient unused quota for cpu in flavor one, 1 more needed",
            ),
            (
                "not enough space to borrow",
                cq_with("1", None, false, WhenCanBorrow::Borrow),
                None,
                "0",
                "2",
                Mode::NoFit,
                None,
                false,
                "couldn't assign flavors to pod set main: insufficient quota for cpu in flavor one, request > maximum capacity (2 > 1)",
            ),
            (
                "borrow before try next flavor",
                cq_with("2", Some("4"), true, WhenCanBorrow::Borrow),
                Some(lender("4")),
                "0",
                "3",
                Mode::Fit,
                Some("one"),
                true,
                "",
            ),
            (
                "borrow try next flavor, found the second flavor",
                cq_with("2", Some("4"), true, WhenCanBorrow::TryNextFlavor),
                Some(lender("4")),
                "0",
                "3",
                Mode::Fit,
                Some("two"),
                false,
                "",
            ),
        ];
        for (name, cq, lender, used, request, mode, flavor, borrows, message) in cases {
            let usage = usage_from([((cq.name.as_str(), "one", "cpu"), q(used))]);
            let queues: Vec<&ClusterQueue> = std::iter::once(&cq).chain(lender.as_ref()).collect();
            let snap = Snapshot::new(queues, &usage);
            let a = one(&cq, &flavors, &snap, &PodSpec::default(), &cpu(request));
            assert_eq!(
                (
                    a.mode,
                    a.flavor_of("cpu").map(String::as_str),
                    a.borrows,
                    a.message.as_str()
                ),
                (mode, flavor, borrows, message),
                "{name}"
            );
        }
    }
}
