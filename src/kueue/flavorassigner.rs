//! Flavor assignment (`pkg/scheduler/flavorassigner`, as of Kueue v0.19): for each pod set
//! and each resource group it needs, try the ClusterQueue's flavors in order; a flavor the
//! pod's labels or taints exclude is skipped, the others are ranked by how the request fits
//! there (fits, reclaims, preempts, preempts with no one to preempt, does not fit) and how
//! far it borrows; `flavorFungibility` says where the search may stop, `preference` which
//! flavor wins when it does not. Where preemption would be needed, the preemption oracle
//! (the real target search) says whether anyone could be preempted, and the borrowing is
//! judged after that preemption. Otherwise Kueue's words say why nothing fits.

use super::cache::{FlavorResource, Snapshot};
use super::tas::TasSnapshot;
use crate::api::core::{PodSpec, ResourceList, TaintEffect};
use crate::api::kueue::{
    BorrowWithinCohort, ClusterQueue, FlavorFungibility, FlavorName, FungibilityPolicy, FungibilityPreference,
    ReclaimWithinCohort, ResourceFlavor,
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
    /// Its topology request (`podset-required-topology`, …), if any.
    pub topology: Option<&'w crate::store::TopologyRequest>,
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
    /// Its pods per node, when a topology-aware flavor placed them.
    pub topology: Option<crate::store::TopologyAssignment>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Assignment {
    /// The pod sets assigned so far: all of them, unless one found no flavor (the search
    /// stops there, as Kueue's does).
    pub pod_sets: Vec<PodSetFlavors>,
    /// The worst of the pod sets' modes.
    pub mode: Mode,
    /// Kueue's `Borrowing`: the highest borrowing level of its flavors (0: within the
    /// nominal quota, else the height of the lowest cohort whose subtree quota holds it).
    /// The scheduler orders a cycle's heads by it, so a head borrowing only from a nearby
    /// cohort goes before one borrowing from higher up.
    pub borrowing: u32,
    /// Kueue's explanation when it does not simply fit (`couldn't assign flavors to pod
    /// set main: …`, one clause per pod set, `; ` between them); empty on Fit.
    pub message: String,
}

impl Assignment {
    /// Some resource would go above its nominal quota, into what the cohort lends.
    pub(crate) fn borrows(&self) -> bool {
        self.borrowing > 0
    }

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
                    topology_assignment: ps.topology.clone(),
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

/// Where a request stands in one flavor, worst to best (Kueue's internal `preemptionMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum PreemptionMode {
    NoFit,
    /// It would fit by preempting, but the oracle finds no one to preempt.
    NoCandidates,
    /// It fits by preempting, some victims in its own ClusterQueue.
    Preempt,
    /// It fits by preempting only workloads of other ClusterQueues that borrow.
    Reclaim,
    Fit,
}

impl PreemptionMode {
    fn public(self) -> Mode {
        match self {
            PreemptionMode::NoFit => Mode::NoFit,
            PreemptionMode::NoCandidates | PreemptionMode::Preempt | PreemptionMode::Reclaim => Mode::Preempt,
            PreemptionMode::Fit => Mode::Fit,
        }
    }
}

/// A fit and how far up the cohort tree the quota comes from (0: its own nominal quota);
/// Kueue's `granularMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Granular {
    pub fit: PreemptionMode,
    pub borrow: u32,
}

impl Granular {
    const BEST: Granular = Granular {
        fit: PreemptionMode::Fit,
        borrow: 0,
    };
    const WORST: Granular = Granular {
        fit: PreemptionMode::NoFit,
        borrow: u32::MAX,
    };
}

/// Whether `a` is better than `b` (`isPreferred`): anything beats NoFit, anything viable
/// beats "no candidates"; then the preference orders (fit, borrowing) or (borrowing, fit).
pub(crate) fn is_preferred(a: Granular, b: Granular, preference: Option<FungibilityPreference>) -> bool {
    if a.fit == PreemptionMode::NoFit {
        return false;
    }
    if b.fit == PreemptionMode::NoFit {
        return true;
    }
    if (a.fit == PreemptionMode::NoCandidates) != (b.fit == PreemptionMode::NoCandidates) {
        return a.fit != PreemptionMode::NoCandidates;
    }
    match preference {
        Some(FungibilityPreference::PreemptionOverBorrowing) => {
            if a.borrow != b.borrow {
                a.borrow < b.borrow
            } else {
                a.fit > b.fit
            }
        }
        Some(FungibilityPreference::BorrowingOverPreemption) | None => {
            if a.fit != b.fit {
                a.fit > b.fit
            } else {
                a.borrow < b.borrow
            }
        }
    }
}

/// Whether the search goes on past a flavor reached with `rep` (`shouldTryNextFlavor`).
fn should_try_next_flavor(rep: Granular, f: FlavorFungibility) -> bool {
    match rep.fit {
        PreemptionMode::NoFit | PreemptionMode::NoCandidates => true,
        PreemptionMode::Preempt | PreemptionMode::Reclaim if f.when_can_preempt == FungibilityPolicy::TryNextFlavor => {
            true
        }
        _ => rep.borrow != 0 && f.when_can_borrow == FungibilityPolicy::TryNextFlavor,
    }
}

/// What the preemption oracle says of preempting for `val` of one (flavor, resource)
/// (`PreemptionOracle.SimulatePreemption`): who could go, and how far the ClusterQueue
/// would borrow once they are gone.
pub(crate) trait PreemptionOracle {
    fn simulate(
        &mut self,
        snapshot: &mut Snapshot,
        cq: &ClusterQueue,
        fr: &FlavorResource,
        val: Quantity,
    ) -> (PreemptionMode, u32);
}

/// Whether the ClusterQueue may preempt beyond its nominal quota (`canPreemptWhileBorrowing`).
fn can_preempt_while_borrowing(cq: &ClusterQueue, snapshot: &Snapshot) -> bool {
    cq.preemption.borrow_within_cohort != BorrowWithinCohort::Never
        || (snapshot.fair_sharing.is_some() && cq.preemption.reclaim_within_cohort != ReclaimWithinCohort::Never)
}

/// An amount as Kueue's `ResourceFormatter` writes it in these messages: Kueue holds
/// amounts as int64 (cpu in millicores, the rest in units rounded up), saturating beyond;
/// cpu reads as a DecimalSI milli-quantity (`1k`, `1500m`), memory, ephemeral storage and
/// huge pages as canonical BinarySI (`10Mi`), anything else as a DecimalSI quantity.
pub(crate) fn amount_string(resource: &str, q: Quantity) -> String {
    let saturate = |v: i128| v.clamp(i64::MIN as i128, i64::MAX as i128);
    if resource == "cpu" {
        return decimal_si(saturate(q.milli()), -3);
    }
    let v = saturate(q.value_ceil());
    let binary = matches!(resource, "memory" | "ephemeral-storage") || resource.starts_with("hugepages-");
    // BinarySI writes what is below 1Ki as DecimalSI does.
    if !binary || (-1024 < v && v < 1024) {
        return decimal_si(v, 0);
    }
    for (i, suffix) in ["Ei", "Pi", "Ti", "Gi", "Mi", "Ki"].iter().enumerate() {
        let unit = 1024i128.pow(6 - i as u32);
        if v % unit == 0 {
            return format!("{}{suffix}", v / unit);
        }
    }
    v.to_string()
}

/// `mantissa × 10^exponent` in Kubernetes' canonical DecimalSI form: trailing zeros taken
/// into the exponent, which is then lowered to a multiple of 3 to pick the suffix.
fn decimal_si(mut mantissa: i128, mut exponent: i32) -> String {
    if mantissa == 0 {
        return "0".into();
    }
    while mantissa % 10 == 0 {
        mantissa /= 10;
        exponent += 1;
    }
    let extra = exponent.rem_euclid(3);
    mantissa *= 10i128.pow(extra as u32);
    exponent -= extra;
    let suffix = match exponent {
        -9 => "n",
        -6 => "u",
        -3 => "m",
        0 => "",
        3 => "k",
        6 => "M",
        9 => "G",
        12 => "T",
        15 => "P",
        18 => "E",
        e => return format!("{mantissa}e{e}"),
    };
    format!("{mantissa}{suffix}")
}

/// How `val` (earlier pod sets' share plus this request) of one resource fits one flavor,
/// and why not when it does not simply fit (`fitsResourceQuota`).
fn fits_quota(
    cq: &ClusterQueue,
    snapshot: &mut Snapshot,
    oracle: &mut dyn PreemptionOracle,
    fr: &FlavorResource,
    request: Quantity,
    assumed: Quantity,
) -> (Granular, Option<String>) {
    let (flavor, resource) = (&fr.flavor, &fr.resource);
    let val = request + assumed;
    let max = snapshot.potential_available(&cq.name, fr);
    if val > max {
        let why = format!(
            "insufficient quota for {resource} in flavor {flavor}, previously considered podsets requests ({}) + current podset request ({}) > maximum capacity ({})",
            amount_string(resource, assumed),
            amount_string(resource, request),
            amount_string(resource, max)
        );
        return (
            Granular {
                fit: PreemptionMode::NoFit,
                borrow: 0,
            },
            Some(why),
        );
    }
    let (borrow, may_reclaim_in_hierarchy) = snapshot.borrowing_height(&cq.name, fr, val);
    let available = snapshot.available(&cq.name, fr);
    if val <= available {
        return (
            Granular {
                fit: PreemptionMode::Fit,
                borrow,
            },
            None,
        );
    }
    let why = format!(
        "insufficient unused quota for {resource} in flavor {flavor}, {} more needed",
        amount_string(resource, val - available)
    );
    let nominal = snapshot
        .queue(&cq.name)
        .map(|q| q.quota(fr).nominal)
        .unwrap_or_default();
    if nominal >= val || may_reclaim_in_hierarchy || can_preempt_while_borrowing(cq, snapshot) {
        let (fit, borrow) = oracle.simulate(snapshot, cq, fr, val);
        return (Granular { fit, borrow }, Some(why));
    }
    (
        Granular {
            fit: PreemptionMode::NoFit,
            borrow,
        },
        Some(why),
    )
}

/// Assigns flavors to each pod set in turn (`FlavorAssigner.Assign`), each on its own
/// but counting what the earlier ones took; the search stops at a pod set that finds no
/// flavor.
pub(crate) fn assign(
    cq: &ClusterQueue,
    flavors: &BTreeMap<String, ResourceFlavor>,
    snapshot: &mut Snapshot,
    oracle: &mut dyn PreemptionOracle,
    tas: Option<&TasSnapshot>,
    pod_sets: &[PodSetRequest],
) -> Assignment {
    let mut result = Assignment {
        pod_sets: Vec::new(),
        mode: Mode::Fit,
        borrowing: 0,
        message: String::new(),
    };
    let mut assumed: BTreeMap<FlavorResource, Quantity> = BTreeMap::new();
    let mut placed: BTreeMap<String, ResourceList> = BTreeMap::new();
    for ps in pod_sets {
        let (mut assigned, borrowing) = assign_pod_set(cq, flavors, snapshot, oracle, ps, &assumed);
        if assigned.mode != Mode::NoFit {
            place_by_topology(cq, flavors, tas, ps, &mut assigned, &mut placed);
        }
        result.mode = result.mode.min(assigned.mode);
        result.borrowing = result.borrowing.max(borrowing);
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

/// One pod set's flavors, a flavor per resource group it needs, and the highest borrowing
/// level among them.
fn assign_pod_set(
    cq: &ClusterQueue,
    flavors: &BTreeMap<String, ResourceFlavor>,
    snapshot: &mut Snapshot,
    oracle: &mut dyn PreemptionOracle,
    ps: &PodSetRequest,
    assumed: &BTreeMap<FlavorResource, Quantity>,
) -> (PodSetFlavors, u32) {
    let mut out = PodSetFlavors {
        name: ps.name.to_string(),
        flavors: BTreeMap::new(),
        requests: ps.requests.clone(),
        count: ps.count,
        mode: Mode::Fit,
        reasons: Vec::new(),
        topology: None,
    };
    let no_fit = |mut out: PodSetFlavors, reasons: Vec<String>| {
        out.flavors.clear();
        out.mode = Mode::NoFit;
        out.reasons = reasons;
        (out, 0)
    };
    // A zero request for a resource the ClusterQueue does not list needs no flavor; one it
    // lists gets the flavor of its group.
    for (r, q) in &ps.requests.0 {
        if cq.group_for(r).is_none() && !q.is_zero() {
            return no_fit(out, vec![format!("resource {r} unavailable in ClusterQueue")]);
        }
    }
    let mut borrowing = 0;
    for group in &cq.resource_groups {
        let needed: Vec<(&String, Quantity)> = ps
            .requests
            .0
            .iter()
            .filter(|(r, _)| group.covered.contains(r))
            .map(|(r, q)| (r, *q))
            .collect();
        if needed.is_empty() {
            continue;
        }
        let wants = topology_wanted(cq, flavors, ps.topology);
        let (best, reasons) = best_flavor(
            cq,
            flavors,
            snapshot,
            oracle,
            (ps.spec, wants.as_ref()),
            group,
            &needed,
            assumed,
        );
        let Some((f, rep)) = best else {
            return no_fit(out, reasons);
        };
        for (r, _) in needed {
            out.flavors.insert(r.clone(), f.clone());
        }
        let mode = rep.fit.public();
        out.mode = out.mode.min(mode);
        borrowing = borrowing.max(rep.borrow);
        if mode != Mode::Fit {
            out.reasons.extend(reasons);
        }
    }
    (out, borrowing)
}

/// The flavor of one resource group for the `needed` resources (`findFlavorForPodSets`):
/// the one taken with how it fits, if any, and why the flavors visited did not simply fit.
#[allow(clippy::too_many_arguments)]
fn best_flavor(
    cq: &ClusterQueue,
    flavors: &BTreeMap<String, ResourceFlavor>,
    snapshot: &mut Snapshot,
    oracle: &mut dyn PreemptionOracle,
    (spec, topology): (&PodSpec, Option<&crate::store::TopologyRequest>),
    group: &crate::api::kueue::ResourceGroup,
    needed: &[(&String, Quantity)],
    assumed: &BTreeMap<FlavorResource, Quantity>,
) -> (Option<(FlavorName, Granular)>, Vec<String>) {
    let fungibility = cq.flavor_fungibility;
    let mut reasons = Vec::new();
    let mut best: Option<(FlavorName, Granular)> = None;
    let mut best_mode = Granular::WORST;
    for fq in &group.flavors {
        let Some(flavor) = flavors.get(&fq.name) else {
            reasons.push(format!("flavor {} not found", fq.name));
            continue;
        };
        if let Some(why) = excluded(spec, flavor, &fq.name).or_else(|| topology_mismatch(flavor, topology)) {
            reasons.push(why);
            continue;
        }
        // The flavor stands as well as its worst resource; every resource is weighed, so
        // every reason is told.
        let mut rep = Granular::BEST;
        for (r, q) in needed {
            let fr = FlavorResource::new(fq.name.as_str(), r.as_str());
            let before = assumed.get(&fr).copied().unwrap_or_default();
            let (m, why) = fits_quota(cq, snapshot, oracle, &fr, *q, before);
            reasons.extend(why);
            if is_preferred(rep, m, fungibility.preference) {
                rep = m;
            }
        }
        if !should_try_next_flavor(rep, fungibility) {
            best = Some((fq.name.clone(), rep));
            best_mode = rep;
            break;
        }
        if is_preferred(rep, best_mode, fungibility.preference) {
            best = Some((fq.name.clone(), rep));
            best_mode = rep;
        }
    }
    if best_mode.fit == PreemptionMode::Fit {
        reasons.clear();
    }
    (best, reasons)
}

/// The pod set's topology request: its own, or, in a ClusterQueue whose flavors are all
/// topology-aware, an implied unconstrained one (Kueue's implicit TAS).
fn topology_wanted(
    cq: &ClusterQueue,
    flavors: &BTreeMap<String, ResourceFlavor>,
    own: Option<&crate::store::TopologyRequest>,
) -> Option<crate::store::TopologyRequest> {
    if let Some(r) = own {
        return Some(r.clone());
    }
    let mut all = cq.resource_groups.iter().flat_map(|g| &g.flavors).peekable();
    let tas_only = all.peek().is_some() && all.all(|f| flavors.get(&f.name).is_some_and(|f| f.topology_name.is_some()));
    tas_only.then_some(crate::store::TopologyRequest::Unconstrained)
}

/// Why a flavor does not suit the pod set's topology request (`checkPodSetAndFlavorMatchForTAS`).
fn topology_mismatch(flavor: &ResourceFlavor, request: Option<&crate::store::TopologyRequest>) -> Option<String> {
    match (request, &flavor.topology_name) {
        (Some(_), None) => Some(format!(
            "Flavor \"{}\" does not support TopologyAwareScheduling",
            flavor.name
        )),
        (None, Some(_)) => Some(format!(
            "Flavor \"{}\" supports only TopologyAwareScheduling",
            flavor.name
        )),
        _ => None,
    }
}

/// Kueue's TAS step after quota: a pod set whose flavor is topology-aware is placed on its
/// nodes. Fitting quota but not the nodes, it may fit by preempting; needing preemption, it
/// must at least fit the nodes with every topology-aware Workload gone, else it does not
/// fit at all.
fn place_by_topology(
    cq: &ClusterQueue,
    flavors: &BTreeMap<String, ResourceFlavor>,
    tas: Option<&TasSnapshot>,
    ps: &PodSetRequest,
    out: &mut PodSetFlavors,
    placed: &mut BTreeMap<String, ResourceList>,
) {
    let tas_flavors: BTreeSet<&String> = out
        .flavors
        .values()
        .filter(|f| flavors.get(*f).is_some_and(|f| f.topology_name.is_some()))
        .collect();
    if tas_flavors.is_empty() {
        return;
    }
    let fail = |out: &mut PodSetFlavors, why: String| {
        out.mode = Mode::NoFit;
        out.flavors.clear();
        out.reasons = vec![why];
    };
    if tas_flavors.len() > 1 {
        let names: Vec<&str> = tas_flavors.iter().map(|s| s.as_str()).collect();
        return fail(out, format!("more than one TAS flavor assigned: {}", names.join(", ")));
    }
    let Some(name) = tas_flavors.into_iter().next().cloned() else {
        return;
    };
    let Some(tf) = tas.and_then(|t| t.flavor(&name)) else {
        return fail(
            out,
            "workload requires Topology, but there is no TAS cache information".into(),
        );
    };
    let Some(request) = topology_wanted(cq, flavors, ps.topology) else {
        return;
    };
    let tolerations = flavors.get(&name).map(|f| f.tolerations.as_slice()).unwrap_or(&[]);
    let per_pod = ps.spec.requests();
    let placement = |simulate_empty: bool, placed: &BTreeMap<String, ResourceList>| {
        tf.place(&crate::kueue::tas::Placement {
            request: &request,
            spec: ps.spec,
            flavor_tolerations: tolerations,
            per_pod: &per_pod,
            count: ps.count,
            assumed: placed,
            simulate_empty,
        })
    };
    match out.mode {
        Mode::Fit => match placement(false, placed) {
            Ok(a) => {
                for (values, count) in &a.domains {
                    if let Some(node) = values.last() {
                        placed
                            .entry(node.clone())
                            .or_default()
                            .add(&per_pod.times(i64::from(*count)));
                    }
                }
                out.topology = Some(a);
            }
            Err(why) => {
                out.mode = Mode::Preempt;
                out.reasons.push(why);
            }
        },
        Mode::Preempt => {
            if let Err(why) = placement(true, placed) {
                fail(out, why);
            }
        }
        Mode::NoFit => {}
    }
}

/// Why the flavor cannot take the pod at all: a taint it does not tolerate, or a node
/// selector or required affinity its labels do not match, judged on the flavor's own
/// label keys only (Kueue v0.19).
fn excluded(spec: &PodSpec, flavor: &ResourceFlavor, name: &str) -> Option<String> {
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
    let keys: BTreeSet<&str> = flavor.node_labels.keys().map(String::as_str).collect();
    if !matches_affinity(spec, &flavor.node_labels, &keys) {
        return Some(format!("flavor {name} doesn't match node affinity"));
    }
    None
}

#[cfg(test)]
mod conformance;
pub(crate) mod podset_reducer;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::core::{Taint, Toleration};
    use crate::api::kueue::{FlavorQuotas, QueueingStrategy, ResourceGroup, ResourceQuota};
    use crate::kueue::cache::usage_from;
    use crate::manifest::error::Loc;

    /// Kueue's test oracle: what each (flavor, resource) is set to, else "targets found in
    /// the ClusterQueue, no borrowing after them".
    #[derive(Default)]
    pub(super) struct TestOracle(pub BTreeMap<FlavorResource, (PreemptionMode, u32)>);

    impl PreemptionOracle for TestOracle {
        fn simulate(
            &mut self,
            _: &mut Snapshot,
            _: &ClusterQueue,
            fr: &FlavorResource,
            _: Quantity,
        ) -> (PreemptionMode, u32) {
            self.0.get(fr).copied().unwrap_or((PreemptionMode::Preempt, 0))
        }
    }

    /// Amounts in messages as Kueue's ResourceFormatter writes them.
    #[test]
    fn amounts_read_as_kueues_resource_formatter_writes_them() {
        let q = |s: &str| Quantity::parse(s).unwrap();
        for (resource, amount, want) in [
            ("cpu", "0", "0"),
            ("cpu", "2", "2"),
            ("cpu", "1500m", "1500m"),
            ("cpu", "1000", "1k"),
            ("cpu", "10000", "10k"),
            ("cpu", "1200000", "1200k"),
            ("cpu", "9223372036854775000m", "9223372036854775"),
            // Beyond int64 millicores Kueue saturates.
            ("cpu", "9223372036854776", "9223372036854775807m"),
            ("memory", "10Mi", "10Mi"),
            ("memory", "1500", "1500"),
            ("memory", "1000", "1k"),
            ("example.com/gpu", "20", "20"),
            ("example.com/gpu", "3000", "3k"),
        ] {
            assert_eq!(amount_string(resource, q(amount)), want, "{resource} {amount}");
        }
    }

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
            topology: None,
        };
        assign(
            cq,
            flavors,
            &mut snapshot.clone(),
            &mut TestOracle::default(),
            None,
            &[ps],
        )
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
            topology_name: None,
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
                "couldn't assign flavors to pod set main: insufficient quota for nvidia.com/gpu in flavor nvidia-l4-1gpu, previously considered podsets requests (0) + current podset request (4) > maximum capacity (1), insufficient unused quota for nvidia.com/gpu in flavor nvidia-l4-4gpu, 4 more needed",
            ),
            (
                "5 GPUs exceed every flavor",
                none.clone(),
                "5",
                ("0", "0"),
                Mode::NoFit,
                None,
                "couldn't assign flavors to pod set main: insufficient quota for nvidia.com/gpu in flavor nvidia-l4-1gpu, previously considered podsets requests (0) + current podset request (5) > maximum capacity (1), insufficient quota for nvidia.com/gpu in flavor nvidia-l4-4gpu, previously considered podsets requests (0) + current podset request (5) > maximum capacity (4)",
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
        when_can_borrow: crate::api::kueue::FungibilityPolicy,
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
        use crate::api::kueue::FungibilityPolicy::{MayStopSearch as Borrow, TryNextFlavor};
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
                (a.mode, a.flavor_of("amd.com/gpu").map(String::as_str), a.borrows()),
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
            "couldn't assign flavors to pod set main: insufficient quota for amd.com/gpu in flavor mi300x-reserved, previously considered podsets requests (0) + current podset request (12) > maximum capacity (10), insufficient quota for amd.com/gpu in flavor mi300x-spot, previously considered podsets requests (0) + current podset request (12) > maximum capacity (8)"
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
        cq.flavor_fungibility.when_can_preempt = crate::api::kueue::FungibilityPolicy::MayStopSearch;
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
}
