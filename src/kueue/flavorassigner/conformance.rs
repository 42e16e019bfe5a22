//! Kueue v0.19.2's `TestAssignFlavors`, `TestReclaimBeforePriorityPreemption` and
//! `TestDeletedFlavors` (pkg/scheduler/flavorassigner/flavorassigner_test.go), each case
//! under its upstream name, with the upstream fixtures: flavors `default`, `one`, `two`,
//! `b_one`, `b_two`, `tainted`, `taint_and_toleration`, `label-x-a`, `label-xy-b`; the test
//! ClusterQueue `cq` and, where a case has one, a second ClusterQueue `sec` in cohort
//! `test-cohort`; an oracle answering "targets in the ClusterQueue, no borrowing after them"
//! unless the case says otherwise. The cases left out (TAS, elastic workload slices,
//! reclaimable pods, allowed-flavor annotations, the scan bookmark) are listed in the README.

use super::*;
use crate::api::core::{Taint, Toleration};
use crate::api::kueue::{
    FlavorQuotas, FungibilityPolicy as P, FungibilityPreference, Preemption, QueueingStrategy, ResourceGroup,
    ResourceQuota, WithinClusterQueue,
};
use crate::kueue::cache::usage_from;
use crate::manifest::error::Loc;
use std::sync::Arc;

/// Kueue's test oracle: the (flavor, resource) answers a case sets, else `(Preempt, 0)`.
struct Oracle(BTreeMap<FlavorResource, (PreemptionMode, u32)>);

impl PreemptionOracle for Oracle {
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

fn q(s: &str) -> Quantity {
    Quantity::parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
}

fn flavors() -> BTreeMap<String, ResourceFlavor> {
    let spot = Taint {
        key: "instance".into(),
        value: "spot".into(),
        effect: TaintEffect::NoSchedule,
    };
    let flavor = |name: &str, labels: &[(&str, &str)], taints: Vec<Taint>, tolerations: Vec<Toleration>| {
        let f = ResourceFlavor {
            name: name.into(),
            node_labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            node_taints: taints,
            tolerations,
            topology_name: None,
        };
        (name.to_string(), f)
    };
    [
        flavor("default", &[], vec![], vec![]),
        flavor("one", &[("type", "one")], vec![], vec![]),
        flavor("two", &[("type", "two")], vec![], vec![]),
        flavor("b_one", &[("b_type", "one")], vec![], vec![]),
        flavor("b_two", &[("b_type", "two")], vec![], vec![]),
        flavor("tainted", &[], vec![spot.clone()], vec![]),
        flavor("taint_and_toleration", &[], vec![spot.clone()], vec![spot_toleration()]),
        flavor("label-x-a", &[("x", "a")], vec![], vec![]),
        flavor("label-xy-b", &[("x", "b"), ("y", "k")], vec![], vec![]),
        flavor("uno", &[], vec![], vec![]),
        flavor("due", &[], vec![], vec![]),
        flavor("tre", &[], vec![], vec![]),
        flavor("flavor", &[], vec![], vec![]),
        flavor("three", &[("type", "three")], vec![], vec![]),
    ]
    .into()
}

fn spot_toleration() -> Toleration {
    Toleration {
        key: Some("instance".into()),
        exists: false,
        value: "spot".into(),
        effect: Some(TaintEffect::NoSchedule),
        toleration_seconds: None,
    }
}

/// Resource groups as `one(cpu=2/bl=8/ll=1, pods=10); two(cpu=4) | b_one(memory=1Gi)`:
/// groups split by `|`, flavors by `;`; a group covers every resource its flavors name.
fn groups(text: &str) -> Vec<ResourceGroup> {
    text.split('|')
        .map(|g| {
            let mut covered: Vec<String> = Vec::new();
            let flavors: Vec<FlavorQuotas> = g
                .split(';')
                .map(|f| {
                    let f = f.trim();
                    let (name, rest) = f.split_once('(').unwrap_or((f, ")"));
                    let resources = rest
                        .trim_end_matches(')')
                        .split(',')
                        .filter(|r| !r.trim().is_empty())
                        .map(|r| {
                            let (res, amounts) = r.trim().split_once('=').unwrap_or((r, "0"));
                            let mut parts = amounts.split('/');
                            let nominal = q(parts.next().unwrap_or("0"));
                            let (mut bl, mut ll) = (None, None);
                            for p in parts {
                                match p.split_once('=') {
                                    Some(("bl", v)) => bl = Some(q(v)),
                                    Some(("ll", v)) => ll = Some(q(v)),
                                    _ => panic!("bad limit {p}"),
                                }
                            }
                            if !covered.iter().any(|c| c == res) {
                                covered.push(res.to_string());
                            }
                            ResourceQuota {
                                name: res.to_string(),
                                nominal,
                                borrowing_limit: bl,
                                lending_limit: ll,
                            }
                        })
                        .collect();
                    FlavorQuotas {
                        name: name.trim().to_string(),
                        resources,
                        loc: Loc::file("t"),
                    }
                })
                .collect();
            ResourceGroup { covered, flavors }
        })
        .collect()
}

fn cluster_queue(name: &str, cohort: bool, text: &str) -> ClusterQueue {
    ClusterQueue {
        name: name.into(),
        cohort: cohort.then(|| "test-cohort".to_string()),
        namespace_selector: Some(Default::default()),
        queueing_strategy: QueueingStrategy::BestEffortFIFO,
        resource_groups: groups(text),
        preemption: Default::default(),
        flavor_fungibility: Default::default(),
        fair_sharing_weight: Quantity::from_units(1),
        stopped: false,
        loc: Loc::file("t"),
    }
}

/// A pod spec from YAML (`nodeSelector`, `affinity`, `tolerations`).
fn spec(yaml: &str) -> PodSpec {
    let file: Arc<str> = Arc::from("t");
    let docs = crate::manifest::yaml::parse_documents(&file, yaml).unwrap_or_else(|e| panic!("{e:?}"));
    match docs.first() {
        Some(d) => PodSpec::decode(&d.root).unwrap_or_else(|e| panic!("{e:?}")),
        None => PodSpec::default(),
    }
}

fn requests(text: &str) -> ResourceList {
    ResourceList(
        text.split(',')
            .filter(|r| !r.trim().is_empty())
            .map(|r| {
                let (k, v) = r.trim().split_once('=').unwrap_or((r, "0"));
                (k.to_string(), q(v))
            })
            .collect(),
    )
}

/// A pod set: name, count, one pod's requests, its spec.
struct Ps(&'static str, u32, &'static str, PodSpec);

fn main_ps(per_pod: &'static str) -> Vec<Ps> {
    vec![Ps("main", 1, per_pod, PodSpec::default())]
}

struct Case {
    name: &'static str,
    cq: &'static str,
    /// The test ClusterQueue is in `test-cohort` (with `sec`, when given).
    cohort: bool,
    sec: Option<&'static str>,
    /// (ClusterQueue, flavor, resource, amount) in use.
    usage: &'static [(&'static str, &'static str, &'static str, &'static str)],
    fungibility: FlavorFungibility,
    preemption: Preemption,
    fair_sharing: bool,
    oracle: &'static [(&'static str, &'static str, PreemptionMode, u32)],
    pod_sets: Vec<Ps>,
    /// The ClusterQueue's `pods` quota counts the pod sets' pods.
    mode: Mode,
    /// (pod set, resource, flavor) assigned.
    flavors: &'static [(&'static str, &'static str, &'static str)],
    borrowing: bool,
    /// (pod set, its reasons) for the pod sets that do not simply fit.
    reasons: &'static [(&'static str, &'static [&'static str])],
    /// A cohort tree: (cohort, parent, its own quota); then `cq` and `sec` belong to the
    /// cohorts `in_cohorts` names.
    tree: &'static [(&'static str, Option<&'static str>, &'static str)],
    in_cohorts: (&'static str, &'static str),
}

impl Default for Case {
    fn default() -> Case {
        Case {
            name: "",
            cq: "",
            cohort: false,
            sec: None,
            usage: &[],
            fungibility: FlavorFungibility::default(),
            preemption: Preemption::default(),
            fair_sharing: false,
            oracle: &[],
            pod_sets: Vec::new(),
            mode: Mode::NoFit,
            flavors: &[],
            borrowing: false,
            reasons: &[],
            tree: &[],
            in_cohorts: ("", ""),
        }
    }
}

fn fungibility(when_can_borrow: P, when_can_preempt: P) -> FlavorFungibility {
    FlavorFungibility {
        when_can_borrow,
        when_can_preempt,
        preference: None,
    }
}

fn reclaim_and_borrow_lower_priority() -> Preemption {
    Preemption {
        reclaim_within_cohort: crate::api::kueue::ReclaimWithinCohort::LowerPriority,
        borrow_within_cohort: crate::api::kueue::BorrowWithinCohort::LowerPriority {
            max_priority_threshold: None,
        },
        ..Default::default()
    }
}

fn run(case: Case) {
    let mut cq = cluster_queue("cq", case.cohort, case.cq);
    cq.flavor_fungibility = case.fungibility;
    cq.preemption = case.preemption;
    let sec = case.sec.map(|s| cluster_queue("sec", true, s));
    let usage = usage_from(case.usage.iter().map(|(c, f, r, v)| ((*c, *f, *r), q(v))));
    let mut sec = sec;
    if !case.tree.is_empty() {
        cq.cohort = Some(case.in_cohorts.0.to_string());
        if let Some(s) = sec.as_mut() {
            s.cohort = Some(case.in_cohorts.1.to_string());
        }
    }
    let cohorts: Vec<crate::api::kueue::Cohort> = case
        .tree
        .iter()
        .map(|(name, parent, quota)| crate::api::kueue::Cohort {
            name: name.to_string(),
            parent: parent.map(str::to_string),
            resource_groups: groups(quota),
            fair_sharing_weight: Quantity::from_units(1),
            loc: Loc::file("t"),
        })
        .collect();
    let queues: Vec<&ClusterQueue> = std::iter::once(&cq).chain(sec.as_ref()).collect();
    let mut snapshot = Snapshot::with_cohorts(queues, &cohorts, &usage);
    if case.fair_sharing {
        snapshot = snapshot.with_fair_sharing(Some(vec![
            crate::api::kueue::FairSharingStrategy::LessThanOrEqualToFinalShare,
        ]));
    }
    let mut oracle = Oracle(
        case.oracle
            .iter()
            .map(|(f, r, fit, b)| (FlavorResource::new(*f, *r), (*fit, *b)))
            .collect(),
    );
    let counts_pods = cq.group_for("pods").is_some();
    let pod_sets: Vec<PodSetRequest> = case
        .pod_sets
        .iter()
        .map(|Ps(name, count, per_pod, spec)| {
            let mut r = requests(per_pod).times(*count as i64);
            if counts_pods {
                r.0.insert("pods".into(), Quantity::from_units(*count as i64));
            }
            PodSetRequest {
                name,
                spec,
                count: *count,
                requests: r,
                topology: None,
            }
        })
        .collect();
    let a = assign(&cq, &flavors(), &mut snapshot, &mut oracle, None, &pod_sets);
    let got_flavors: BTreeSet<(String, String, String)> = a
        .pod_sets
        .iter()
        .flat_map(|ps| ps.flavors.iter().map(|(r, f)| (ps.name.clone(), r.clone(), f.clone())))
        .collect();
    let want_flavors: BTreeSet<(String, String, String)> = case
        .flavors
        .iter()
        .map(|(p, r, f)| (p.to_string(), r.to_string(), f.to_string()))
        .collect();
    let mut got_reasons: Vec<(String, Vec<String>)> = a
        .pod_sets
        .iter()
        .filter(|ps| !ps.reasons.is_empty())
        .map(|ps| {
            let mut r = ps.reasons.clone();
            r.sort();
            (ps.name.clone(), r)
        })
        .collect();
    got_reasons.sort();
    let mut want_reasons: Vec<(String, Vec<String>)> = case
        .reasons
        .iter()
        .map(|(p, r)| {
            let mut r: Vec<String> = r.iter().map(|s| s.to_string()).collect();
            r.sort();
            (p.to_string(), r)
        })
        .collect();
    want_reasons.sort();
    assert_eq!(
        (a.mode, got_flavors, a.borrows(), got_reasons),
        (case.mode, want_flavors, case.borrowing, want_reasons),
        "TestAssignFlavors/{}",
        case.name
    );
}

const SPOT_TAINT: &str = "untolerated taint {instance spot NoSchedule <nil>} in flavor tainted";

#[test]
fn test_assign_flavors() {
    use Mode::{Fit as FitMode, NoFit, Preempt};
    let cases = vec![
        Case {
            name: "single flavor, fits",
            cq: "default(cpu=1, memory=2Mi)",
            pod_sets: main_ps("cpu=1,memory=1Mi"),
            mode: FitMode,
            flavors: &[("main", "cpu", "default"), ("main", "memory", "default")],
            ..Case::default()
        },
        Case {
            name: "single flavor, fits tainted flavor",
            cq: "tainted(cpu=4)",
            pod_sets: vec![Ps(
                "main",
                1,
                "cpu=1",
                spec("tolerations: [{key: instance, operator: Equal, value: spot, effect: NoSchedule}]"),
            )],
            mode: FitMode,
            flavors: &[("main", "cpu", "tainted")],
            ..Case::default()
        },
        Case {
            name: "single flavor, fits tainted flavor with toleration",
            cq: "taint_and_toleration(cpu=4)",
            pod_sets: main_ps("cpu=1"),
            mode: FitMode,
            flavors: &[("main", "cpu", "taint_and_toleration")],
            ..Case::default()
        },
        Case {
            name: "single flavor, used resources, doesn't fit",
            cq: "default(cpu=4)",
            usage: &[("cq", "default", "cpu", "3")],
            pod_sets: main_ps("cpu=2"),
            mode: Preempt,
            flavors: &[("main", "cpu", "default")],
            reasons: &[("main", &["insufficient unused quota for cpu in flavor default, 1 more needed"])],
            ..Case::default()
        },
        Case {
            name: "multiple resource groups, fits",
            cq: "one(cpu=2); two(cpu=4) | b_one(memory=1Gi); b_two(memory=5Gi)",
            pod_sets: main_ps("cpu=3,memory=10Mi"),
            mode: FitMode,
            flavors: &[("main", "cpu", "two"), ("main", "memory", "b_one")],
            ..Case::default()
        },
        Case {
            name: "multiple resource groups, one could fit with preemption, other doesn't fit",
            cq: "one(cpu=3) | b_one(memory=1Mi)",
            usage: &[("cq", "one", "cpu", "1")],
            pod_sets: main_ps("cpu=3,memory=10Mi"),
            mode: NoFit,
            reasons: &[(
                "main",
                &["insufficient quota for memory in flavor b_one, previously considered podsets requests (0) + current podset request (10Mi) > maximum capacity (1Mi)"],
            )],
            ..Case::default()
        },
        Case {
            name: "multiple resource groups with multiple resources, fits",
            cq: "one(cpu=2, memory=1Gi); two(cpu=4, memory=15Mi) | b_one(example.com/gpu=4); b_two(example.com/gpu=2)",
            pod_sets: main_ps("cpu=3,memory=10Mi,example.com/gpu=3"),
            mode: FitMode,
            flavors: &[
                ("main", "cpu", "two"),
                ("main", "memory", "two"),
                ("main", "example.com/gpu", "b_one"),
            ],
            ..Case::default()
        },
        Case {
            name: "multiple resource groups with multiple resources, fits with different modes",
            cq: "one(cpu=2, memory=1Gi); two(cpu=4, memory=15Mi) | b_one(example.com/gpu=4)",
            cohort: true,
            sec: Some("b_one(example.com/gpu=0)"),
            usage: &[
                ("cq", "two", "memory", "10Mi"),
                ("sec", "b_one", "example.com/gpu", "2"),
            ],
            oracle: &[("two", "memory", PreemptionMode::Preempt, 1)],
            pod_sets: main_ps("cpu=3,memory=10Mi,example.com/gpu=3"),
            mode: Preempt,
            flavors: &[
                ("main", "cpu", "two"),
                ("main", "memory", "two"),
                ("main", "example.com/gpu", "b_one"),
            ],
            borrowing: true,
            reasons: &[(
                "main",
                &[
                    "insufficient quota for cpu in flavor one, previously considered podsets requests (0) + current podset request (3) > maximum capacity (2)",
                    "insufficient unused quota for memory in flavor two, 5Mi more needed",
                    "insufficient unused quota for example.com/gpu in flavor b_one, 1 more needed",
                ],
            )],
            ..Case::default()
        },
        Case {
            name: "multiple resources in a group, doesn't fit",
            cq: "one(cpu=2, memory=1Gi); two(cpu=4, memory=5Mi)",
            pod_sets: main_ps("cpu=3,memory=10Mi"),
            mode: NoFit,
            reasons: &[(
                "main",
                &[
                    "insufficient quota for cpu in flavor one, previously considered podsets requests (0) + current podset request (3) > maximum capacity (2)",
                    "insufficient quota for memory in flavor two, previously considered podsets requests (0) + current podset request (10Mi) > maximum capacity (5Mi)",
                ],
            )],
            ..Case::default()
        },
        Case {
            name: "multiple flavors, fits while skipping tainted flavor",
            cq: "tainted(cpu=4); two(cpu=4)",
            pod_sets: main_ps("cpu=3"),
            mode: FitMode,
            flavors: &[("main", "cpu", "two")],
            ..Case::default()
        },
        Case {
            name: "multiple flavors, fits a node selector",
            cq: "one(cpu=4); two(cpu=4)",
            pod_sets: vec![Ps(
                "main",
                1,
                "cpu=1",
                spec(
                    "nodeSelector: {type: two, ignored1: foo}\naffinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: ignored2, operator: In, values: [bar]}]}]}}}",
                ),
            )],
            mode: FitMode,
            flavors: &[("main", "cpu", "two")],
            ..Case::default()
        },
        Case {
            name: "multiple flavors, fits with node affinity",
            cq: "one(cpu=4, memory=1Gi); two(cpu=4, memory=1Gi)",
            pod_sets: vec![Ps(
                "main",
                1,
                "cpu=1,memory=1Mi",
                spec(
                    "nodeSelector: {ignored1: foo}\naffinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: type, operator: In, values: [two]}]}]}}}",
                ),
            )],
            mode: FitMode,
            flavors: &[("main", "cpu", "two"), ("main", "memory", "two")],
            ..Case::default()
        },
        Case {
            name: "multiple flavors, node affinity fits any flavor",
            cq: "one(cpu=4); two(cpu=4)",
            pod_sets: vec![Ps(
                "main",
                1,
                "cpu=1",
                spec(
                    "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: ignored2, operator: In, values: [bar]}]}, {matchExpressions: [{key: cpuType, operator: In, values: [two]}]}]}}}",
                ),
            )],
            mode: FitMode,
            flavors: &[("main", "cpu", "one")],
            ..Case::default()
        },
        Case {
            name: "multiple flavors with different label keys, selector only uses flavor's own keys",
            cq: "label-x-a(cpu=4); label-xy-b(cpu=4)",
            pod_sets: vec![Ps("main", 1, "cpu=1", spec("nodeSelector: {x: a, y: g}"))],
            mode: FitMode,
            flavors: &[("main", "cpu", "label-x-a")],
            ..Case::default()
        },
        Case {
            name: "labelless flavor in group with labeled flavor, workload uses labeled selector",
            cq: "default(cpu=4); two(cpu=4)",
            pod_sets: vec![Ps("main", 1, "cpu=1", spec("nodeSelector: {type: two}"))],
            mode: FitMode,
            flavors: &[("main", "cpu", "default")],
            ..Case::default()
        },
        Case {
            name: "multiple flavors, doesn't fit node affinity",
            cq: "one(cpu=4); two(cpu=4)",
            pod_sets: vec![Ps(
                "main",
                1,
                "cpu=1",
                spec(
                    "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: type, operator: In, values: [three]}]}]}}}",
                ),
            )],
            mode: NoFit,
            reasons: &[(
                "main",
                &["flavor one doesn't match node affinity", "flavor two doesn't match node affinity"],
            )],
            ..Case::default()
        },
        Case {
            name: "multiple specs, fit different flavors",
            cq: "one(cpu=4); two(cpu=10)",
            pod_sets: vec![
                Ps("driver", 1, "cpu=5", PodSpec::default()),
                Ps("worker", 1, "cpu=3", PodSpec::default()),
            ],
            mode: FitMode,
            flavors: &[("driver", "cpu", "two"), ("worker", "cpu", "one")],
            ..Case::default()
        },
        Case {
            name: "multiple specs, fits borrowing",
            cq: "default(cpu=2/bl=98, memory=2Gi)",
            cohort: true,
            sec: Some("default(cpu=198, memory=198Gi)"),
            pod_sets: vec![
                Ps("driver", 1, "cpu=4,memory=1Gi", PodSpec::default()),
                Ps("worker", 1, "cpu=6,memory=4Gi", PodSpec::default()),
            ],
            mode: FitMode,
            flavors: &[
                ("driver", "cpu", "default"),
                ("driver", "memory", "default"),
                ("worker", "cpu", "default"),
                ("worker", "memory", "default"),
            ],
            borrowing: true,
            ..Case::default()
        },
        Case {
            name: "not enough space to borrow",
            cq: "one(cpu=1)",
            cohort: true,
            sec: Some("one(cpu=10/ll=0)"),
            usage: &[("sec", "one", "cpu", "9")],
            pod_sets: main_ps("cpu=2"),
            mode: NoFit,
            reasons: &[(
                "main",
                &["insufficient quota for cpu in flavor one, previously considered podsets requests (0) + current podset request (2) > maximum capacity (1)"],
            )],
            ..Case::default()
        },
        Case {
            name: "past max, but can preempt in ClusterQueue",
            cq: "one(cpu=2/bl=8)",
            cohort: true,
            sec: Some("one(cpu=98)"),
            usage: &[("cq", "one", "cpu", "9"), ("sec", "one", "cpu", "9")],
            oracle: &[("one", "cpu", PreemptionMode::Preempt, 1)],
            preemption: Preemption {
                within_cluster_queue: WithinClusterQueue::LowerPriority,
                ..Default::default()
            },
            pod_sets: main_ps("cpu=2"),
            mode: Preempt,
            flavors: &[("main", "cpu", "one")],
            borrowing: true,
            reasons: &[("main", &["insufficient unused quota for cpu in flavor one, 1 more needed"])],
            ..Case::default()
        },
        Case {
            name: "past min, but can preempt in ClusterQueue",
            cq: "one(cpu=2)",
            usage: &[("cq", "one", "cpu", "1")],
            pod_sets: main_ps("cpu=2"),
            mode: Preempt,
            flavors: &[("main", "cpu", "one")],
            reasons: &[("main", &["insufficient unused quota for cpu in flavor one, 1 more needed"])],
            ..Case::default()
        },
        Case {
            name: "past min, but can preempt in cohort and ClusterQueue",
            cq: "one(cpu=3)",
            cohort: true,
            sec: Some("one(cpu=7)"),
            usage: &[("cq", "one", "cpu", "2"), ("sec", "one", "cpu", "8")],
            oracle: &[("one", "cpu", PreemptionMode::Preempt, 1)],
            pod_sets: main_ps("cpu=2"),
            mode: Preempt,
            flavors: &[("main", "cpu", "one")],
            borrowing: true,
            reasons: &[("main", &["insufficient unused quota for cpu in flavor one, 2 more needed"])],
            ..Case::default()
        },
        Case {
            name: "can only preempt flavors that match affinity",
            cq: "one(cpu=4); two(cpu=4)",
            usage: &[("cq", "one", "cpu", "3"), ("cq", "two", "cpu", "3")],
            pod_sets: vec![Ps("main", 1, "cpu=2", spec("nodeSelector: {type: two}"))],
            mode: Preempt,
            flavors: &[("main", "cpu", "two")],
            reasons: &[(
                "main",
                &[
                    "flavor one doesn't match node affinity",
                    "insufficient unused quota for cpu in flavor two, 1 more needed",
                ],
            )],
            ..Case::default()
        },
        Case {
            name: "each podset requires preemption on a different flavor",
            cq: "one(cpu=4); tainted(cpu=10)",
            usage: &[("cq", "one", "cpu", "3"), ("cq", "tainted", "cpu", "3")],
            pod_sets: vec![
                Ps("launcher", 1, "cpu=2", PodSpec::default()),
                Ps(
                    "workers",
                    10,
                    "cpu=1",
                    spec("tolerations: [{key: instance, operator: Equal, value: spot, effect: NoSchedule}]"),
                ),
            ],
            mode: Preempt,
            flavors: &[("launcher", "cpu", "one"), ("workers", "cpu", "tainted")],
            reasons: &[
                (
                    "launcher",
                    &["insufficient unused quota for cpu in flavor one, 1 more needed", SPOT_TAINT],
                ),
                (
                    "workers",
                    &[
                        "insufficient quota for cpu in flavor one, previously considered podsets requests (2) + current podset request (10) > maximum capacity (4)",
                        "insufficient unused quota for cpu in flavor tainted, 3 more needed",
                    ],
                ),
            ],
            ..Case::default()
        },
        Case {
            name: "resource not listed in clusterQueue",
            cq: "one(cpu=4)",
            pod_sets: main_ps("example.com/gpu=2"),
            mode: NoFit,
            reasons: &[("main", &["resource example.com/gpu unavailable in ClusterQueue"])],
            ..Case::default()
        },
        Case {
            name: "zero resource request not in clusterQueue should succeed",
            cq: "default(cpu=4)",
            pod_sets: main_ps("cpu=1,example.com/gpu=0"),
            mode: FitMode,
            flavors: &[("main", "cpu", "default")],
            ..Case::default()
        },
        Case {
            name: "zero resource request defined in clusterQueue should get flavor assigned",
            cq: "default(cpu=4, example.com/gpu=4)",
            pod_sets: main_ps("cpu=1,example.com/gpu=0"),
            mode: FitMode,
            flavors: &[("main", "cpu", "default"), ("main", "example.com/gpu", "default")],
            ..Case::default()
        },
        Case {
            name: "num pods fit",
            cq: "default(pods=3, cpu=10)",
            pod_sets: vec![Ps("main", 3, "cpu=1", PodSpec::default())],
            mode: FitMode,
            flavors: &[("main", "cpu", "default"), ("main", "pods", "default")],
            ..Case::default()
        },
        Case {
            name: "num pods don't fit",
            cq: "default(pods=2, cpu=10)",
            pod_sets: vec![Ps("main", 3, "cpu=1", PodSpec::default())],
            mode: NoFit,
            reasons: &[(
                "main",
                &["insufficient quota for pods in flavor default, previously considered podsets requests (0) + current podset request (3) > maximum capacity (2)"],
            )],
            ..Case::default()
        },
        Case {
            name: "preempt before try next flavor",
            cq: "one(pods=10, cpu=10); two(pods=10, cpu=10)",
            fungibility: fungibility(P::MayStopSearch, P::MayStopSearch),
            usage: &[("cq", "one", "cpu", "2")],
            pod_sets: main_ps("cpu=9"),
            mode: Preempt,
            flavors: &[("main", "cpu", "one"), ("main", "pods", "one")],
            reasons: &[("main", &["insufficient unused quota for cpu in flavor one, 1 more needed"])],
            ..Case::default()
        },
        Case {
            name: "preempt try next flavor",
            cq: "one(pods=10, cpu=10); two(pods=10, cpu=10)",
            usage: &[("cq", "one", "cpu", "2")],
            pod_sets: main_ps("cpu=9"),
            mode: FitMode,
            flavors: &[("main", "cpu", "two"), ("main", "pods", "two")],
            ..Case::default()
        },
        Case {
            name: "borrow try next flavor, found the first flavor",
            cq: "one(pods=10, cpu=10/bl=1); two(pods=10, cpu=1)",
            cohort: true,
            sec: Some("one(cpu=1)"),
            fungibility: fungibility(P::TryNextFlavor, P::TryNextFlavor),
            usage: &[("cq", "one", "cpu", "2")],
            pod_sets: main_ps("cpu=9"),
            mode: FitMode,
            flavors: &[("main", "cpu", "one"), ("main", "pods", "one")],
            borrowing: true,
            ..Case::default()
        },
        Case {
            name: "borrow try next flavor, found the second flavor",
            cq: "one(pods=10, cpu=10/bl=1); two(pods=10, cpu=10)",
            cohort: true,
            sec: Some("one(cpu=1)"),
            fungibility: fungibility(P::TryNextFlavor, P::TryNextFlavor),
            usage: &[("cq", "one", "cpu", "2")],
            pod_sets: main_ps("cpu=9"),
            mode: FitMode,
            flavors: &[("main", "cpu", "two"), ("main", "pods", "two")],
            ..Case::default()
        },
        Case {
            name: "borrow before try next flavor",
            cq: "one(pods=10, cpu=10/bl=1); two(pods=10, cpu=10)",
            cohort: true,
            sec: Some("one(cpu=1)"),
            usage: &[("cq", "one", "cpu", "2")],
            pod_sets: main_ps("cpu=9"),
            mode: FitMode,
            flavors: &[("main", "cpu", "one"), ("main", "pods", "one")],
            borrowing: true,
            ..Case::default()
        },
        Case {
            name: "when borrowing while preemption is needed for flavor one; WhenCanBorrow=MayStopSearch",
            cq: "one(cpu=0/bl=12); two(cpu=12)",
            cohort: true,
            sec: Some("one(cpu=12)"),
            preemption: reclaim_and_borrow_lower_priority(),
            fungibility: fungibility(P::MayStopSearch, P::MayStopSearch),
            usage: &[("sec", "one", "cpu", "10")],
            oracle: &[("one", "cpu", PreemptionMode::Preempt, 1)],
            pod_sets: main_ps("cpu=12"),
            mode: Preempt,
            flavors: &[("main", "cpu", "one")],
            borrowing: true,
            reasons: &[("main", &["insufficient unused quota for cpu in flavor one, 10 more needed"])],
            ..Case::default()
        },
        Case {
            name: "when borrowing while preemption is needed for flavor one, no borrowingLimit; WhenCanBorrow=MayStopSearch",
            cq: "one(cpu=0); two(cpu=12)",
            cohort: true,
            sec: Some("one(cpu=12)"),
            preemption: reclaim_and_borrow_lower_priority(),
            fungibility: fungibility(P::MayStopSearch, P::MayStopSearch),
            usage: &[("sec", "one", "cpu", "10")],
            oracle: &[("one", "cpu", PreemptionMode::Preempt, 1)],
            pod_sets: main_ps("cpu=12"),
            mode: Preempt,
            flavors: &[("main", "cpu", "one")],
            borrowing: true,
            reasons: &[("main", &["insufficient unused quota for cpu in flavor one, 10 more needed"])],
            ..Case::default()
        },
        Case {
            name: "when borrowing while preemption is needed for flavor one; WhenCanBorrow=TryNextFlavor",
            cq: "one(cpu=0/bl=12); two(cpu=12)",
            cohort: true,
            sec: Some("one(cpu=12)"),
            preemption: reclaim_and_borrow_lower_priority(),
            fungibility: fungibility(P::TryNextFlavor, P::MayStopSearch),
            pod_sets: main_ps("cpu=12"),
            mode: FitMode,
            flavors: &[("main", "cpu", "two")],
            ..Case::default()
        },
        Case {
            name: "when borrowing while preemption is needed, but borrowingLimit exceeds the quota available in the cohort",
            cq: "one(cpu=0/bl=12)",
            cohort: true,
            sec: Some("one(cpu=11)"),
            preemption: reclaim_and_borrow_lower_priority(),
            usage: &[("sec", "one", "cpu", "10")],
            pod_sets: main_ps("cpu=12"),
            mode: NoFit,
            reasons: &[(
                "main",
                &["insufficient quota for cpu in flavor one, previously considered podsets requests (0) + current podset request (12) > maximum capacity (11)"],
            )],
            ..Case::default()
        },
        Case {
            name: "lend try next flavor, found the second flavor",
            cq: "one(pods=10, cpu=10/ll=1); two(pods=10, cpu=10/ll=0)",
            cohort: true,
            sec: Some("one(cpu=1)"),
            fungibility: fungibility(P::TryNextFlavor, P::TryNextFlavor),
            usage: &[("cq", "one", "cpu", "2")],
            pod_sets: main_ps("cpu=9"),
            mode: FitMode,
            flavors: &[("main", "cpu", "two"), ("main", "pods", "two")],
            ..Case::default()
        },
        Case {
            name: "lend try next flavor, found the first flavor",
            cq: "one(pods=10, cpu=10/ll=1); two(pods=10, cpu=1/ll=0)",
            cohort: true,
            sec: Some("one(cpu=1)"),
            fungibility: fungibility(P::TryNextFlavor, P::TryNextFlavor),
            usage: &[("cq", "one", "cpu", "2")],
            pod_sets: main_ps("cpu=9"),
            mode: FitMode,
            flavors: &[("main", "cpu", "one"), ("main", "pods", "one")],
            borrowing: true,
            ..Case::default()
        },
        Case {
            name: "cannot preempt in cohort (oracle returns None) for the first flavor, tries the second flavor (which fits)",
            cq: "one(cpu=0/bl=2); two(cpu=0/bl=2)",
            cohort: true,
            sec: Some("one(cpu=2); two(cpu=2)"),
            preemption: reclaim_and_borrow_lower_priority(),
            fungibility: fungibility(P::MayStopSearch, P::MayStopSearch),
            usage: &[("sec", "one", "cpu", "2")],
            oracle: &[("one", "cpu", PreemptionMode::NoCandidates, 0)],
            pod_sets: main_ps("cpu=2"),
            mode: FitMode,
            flavors: &[("main", "cpu", "two")],
            borrowing: true,
            ..Case::default()
        },
        Case {
            name: "quota exhausted, but can preempt in cohort and ClusterQueue",
            cq: "one(pods=10, cpu=10/ll=0)",
            cohort: true,
            sec: Some("one(pods=0, cpu=0)"),
            usage: &[("cq", "one", "cpu", "2")],
            oracle: &[("one", "cpu", PreemptionMode::Preempt, 1)],
            pod_sets: main_ps("cpu=9"),
            mode: Preempt,
            flavors: &[("main", "cpu", "one"), ("main", "pods", "one")],
            borrowing: true,
            reasons: &[("main", &["insufficient unused quota for cpu in flavor one, 1 more needed"])],
            ..Case::default()
        },
        Case {
            name: "when borrowing while preemption is needed for flavor one, fair sharing enabled, reclaimWithinCohort=Any",
            cq: "one(cpu=0); two(cpu=12)",
            cohort: true,
            sec: Some("one(cpu=12)"),
            fair_sharing: true,
            preemption: Preemption {
                reclaim_within_cohort: crate::api::kueue::ReclaimWithinCohort::Any,
                ..Default::default()
            },
            fungibility: fungibility(P::MayStopSearch, P::MayStopSearch),
            usage: &[("sec", "one", "cpu", "10")],
            oracle: &[("one", "cpu", PreemptionMode::Preempt, 1)],
            pod_sets: main_ps("cpu=12"),
            mode: Preempt,
            flavors: &[("main", "cpu", "one")],
            borrowing: true,
            reasons: &[("main", &["insufficient unused quota for cpu in flavor one, 10 more needed"])],
            ..Case::default()
        },
        Case {
            name: "when borrowing while preemption is needed for flavor one, fair sharing enabled, reclaimWithinCohort=Never",
            cq: "one(cpu=0); two(cpu=12)",
            cohort: true,
            sec: Some("one(cpu=12)"),
            fair_sharing: true,
            fungibility: fungibility(P::MayStopSearch, P::MayStopSearch),
            usage: &[("sec", "one", "cpu", "10")],
            oracle: &[("one", "cpu", PreemptionMode::NoCandidates, 0)],
            pod_sets: main_ps("cpu=12"),
            mode: FitMode,
            flavors: &[("main", "cpu", "two")],
            ..Case::default()
        },
        Case {
            name: "multi-podset, one fits and another fails, fitting podset attempts skipped in resolveNoFitReason",
            cq: "one(cpu=2); two(cpu=2)",
            pod_sets: vec![
                Ps("fitting-podset", 1, "cpu=1", spec("nodeSelector: {type: one}")),
                Ps("blocking-podset", 1, "cpu=5", PodSpec::default()),
            ],
            mode: NoFit,
            flavors: &[("fitting-podset", "cpu", "one")],
            reasons: &[(
                "blocking-podset",
                &[
                    "insufficient quota for cpu in flavor one, previously considered podsets requests (1) + current podset request (5) > maximum capacity (2)",
                    "insufficient quota for cpu in flavor two, previously considered podsets requests (0) + current podset request (5) > maximum capacity (2)",
                ],
            )],
            ..Case::default()
        },
    ];
    for case in cases {
        run(case);
    }
}

/// `TestReclaimBeforePriorityPreemption`: flavors `uno`, `due`, `tre` of 10 `gpu` and 10
/// `compute` each; `other` (here `sec`) has no quota.
#[test]
fn test_reclaim_before_priority_preemption() {
    let cq = "uno(compute=10, gpu=10); due(compute=10, gpu=10); tre(compute=10, gpu=10)";
    let sec = Some("uno(compute=0, gpu=0); due(compute=0, gpu=0); tre(compute=0, gpu=0)");
    let preemption = Preemption {
        within_cluster_queue: WithinClusterQueue::LowerPriority,
        reclaim_within_cohort: crate::api::kueue::ReclaimWithinCohort::LowerPriority,
        ..Default::default()
    };
    let cases = vec![
        Case {
            name: "Select first flavor which fits",
            usage: &[("cq", "uno", "gpu", "1"), ("sec", "due", "gpu", "1")],
            pod_sets: main_ps("gpu=10"),
            mode: Mode::Fit,
            flavors: &[("main", "gpu", "tre")],
            ..Case::default()
        },
        Case {
            name: "Select first flavor where gpu reclamation is possible",
            usage: &[
                ("cq", "uno", "gpu", "1"),
                ("sec", "due", "gpu", "1"),
                ("sec", "tre", "gpu", "1"),
            ],
            oracle: &[
                ("uno", "gpu", PreemptionMode::Preempt, 0),
                ("due", "gpu", PreemptionMode::Reclaim, 0),
            ],
            pod_sets: main_ps("gpu=10"),
            mode: Mode::Preempt,
            flavors: &[("main", "gpu", "due")],
            reasons: &[(
                "main",
                &[
                    "insufficient unused quota for gpu in flavor due, 1 more needed",
                    "insufficient unused quota for gpu in flavor tre, 1 more needed",
                    "insufficient unused quota for gpu in flavor uno, 1 more needed",
                ],
            )],
            ..Case::default()
        },
        Case {
            name: "Select first flavor when flavor fungibility is disabled",
            fungibility: fungibility(P::MayStopSearch, P::MayStopSearch),
            usage: &[
                ("cq", "uno", "gpu", "1"),
                ("sec", "due", "gpu", "1"),
                ("sec", "tre", "gpu", "1"),
            ],
            pod_sets: main_ps("gpu=10"),
            mode: Mode::Preempt,
            flavors: &[("main", "gpu", "uno")],
            reasons: &[(
                "main",
                &["insufficient unused quota for gpu in flavor uno, 1 more needed"],
            )],
            ..Case::default()
        },
        Case {
            name: "Select first flavor where priority based preemption is possible",
            usage: &[
                ("cq", "uno", "gpu", "1"),
                ("cq", "due", "gpu", "1"),
                ("cq", "tre", "gpu", "1"),
            ],
            pod_sets: main_ps("gpu=10"),
            mode: Mode::Preempt,
            flavors: &[("main", "gpu", "uno")],
            reasons: &[(
                "main",
                &[
                    "insufficient unused quota for gpu in flavor due, 1 more needed",
                    "insufficient unused quota for gpu in flavor tre, 1 more needed",
                    "insufficient unused quota for gpu in flavor uno, 1 more needed",
                ],
            )],
            ..Case::default()
        },
        Case {
            name: "Select second flavor where gpu reclamation is possible, as compute Fits",
            usage: &[
                ("cq", "uno", "gpu", "1"),
                ("cq", "uno", "compute", "1"),
                ("cq", "due", "compute", "1"),
                ("sec", "due", "gpu", "1"),
                ("sec", "tre", "gpu", "1"),
            ],
            oracle: &[
                ("uno", "gpu", PreemptionMode::Preempt, 0),
                ("due", "gpu", PreemptionMode::Reclaim, 0),
                ("tre", "gpu", PreemptionMode::Reclaim, 0),
            ],
            pod_sets: main_ps("gpu=10,compute=10"),
            mode: Mode::Preempt,
            flavors: &[("main", "gpu", "tre"), ("main", "compute", "tre")],
            reasons: &[(
                "main",
                &[
                    "insufficient unused quota for compute in flavor due, 1 more needed",
                    "insufficient unused quota for compute in flavor uno, 1 more needed",
                    "insufficient unused quota for gpu in flavor due, 1 more needed",
                    "insufficient unused quota for gpu in flavor tre, 1 more needed",
                    "insufficient unused quota for gpu in flavor uno, 1 more needed",
                ],
            )],
            ..Case::default()
        },
    ];
    for case in cases {
        run(Case {
            cq,
            cohort: true,
            sec,
            preemption,
            ..case
        });
    }
}

/// `TestDeletedFlavors`: a ResourceFlavor the ClusterQueue names no longer exists.
#[test]
fn test_deleted_flavors() {
    run(Case {
        name: "multiple flavors, skip missing ResourceFlavor",
        cq: "deleted-flavor(cpu=4); flavor(cpu=4)",
        pod_sets: main_ps("cpu=3"),
        mode: Mode::Fit,
        flavors: &[("main", "cpu", "flavor")],
        ..Case::default()
    });
    run(Case {
        name: "flavor not found",
        cq: "deleted-flavor(cpu=4)",
        pod_sets: main_ps("cpu=1"),
        mode: Mode::NoFit,
        reasons: &[("main", &["flavor deleted-flavor not found"])],
        ..Case::default()
    });
}

/// `TestIsPreferred`, all ten cases.
#[test]
fn test_is_preferred() {
    use FungibilityPreference::{BorrowingOverPreemption as Bop, PreemptionOverBorrowing as Pob};
    let g = |fit, borrow| Granular { fit, borrow };
    let cases = [
        (
            "feature gate disabled prioritises preemption",
            g(PreemptionMode::Fit, 0),
            g(PreemptionMode::Preempt, 0),
            None,
            true,
        ),
        (
            "explicit BorrowingOverPreemption prioritises borrowing distance",
            g(PreemptionMode::Preempt, 1),
            g(PreemptionMode::Fit, 2),
            Some(Bop),
            false,
        ),
        (
            "explicit PreemptionOverBorrowing prioritises lower preemption",
            g(PreemptionMode::Preempt, 1),
            g(PreemptionMode::Fit, 2),
            Some(Pob),
            true,
        ),
        (
            "explicit PreemptionOverBorrowing breaks borrowing ties with preemption",
            g(PreemptionMode::Preempt, 1),
            g(PreemptionMode::Fit, 1),
            Some(Pob),
            false,
        ),
        (
            "explicit PreemptionOverBorrowing rejects no-candidate flavor before borrowing comparison",
            g(PreemptionMode::NoCandidates, 1),
            g(PreemptionMode::Fit, 2),
            Some(Pob),
            false,
        ),
        (
            "explicit PreemptionOverBorrowing prefers fit over shallower-borrowing no-candidate flavor",
            g(PreemptionMode::Fit, 2),
            g(PreemptionMode::NoCandidates, 1),
            Some(Pob),
            true,
        ),
        (
            "no-candidate flavor remains preferable to no-fit flavor",
            g(PreemptionMode::NoCandidates, 1),
            g(PreemptionMode::NoFit, 0),
            None,
            true,
        ),
        (
            "no-fit flavor remains worse than no-candidate flavor",
            g(PreemptionMode::NoFit, 0),
            g(PreemptionMode::NoCandidates, 1),
            None,
            false,
        ),
        (
            "no-candidate flavors retain borrowing preference",
            g(PreemptionMode::NoCandidates, 1),
            g(PreemptionMode::NoCandidates, 2),
            Some(Pob),
            true,
        ),
        (
            "no-candidate flavors retain borrowing preference in reverse",
            g(PreemptionMode::NoCandidates, 2),
            g(PreemptionMode::NoCandidates, 1),
            Some(Pob),
            false,
        ),
    ];
    for (name, a, b, preference, want) in cases {
        assert_eq!(is_preferred(a, b, preference), want, "TestIsPreferred/{name}");
    }
}

/// `TestHierarchical`: cohorts `three` (the root) ⊃ `two` ⊃ `one`, each with 4 cpu of its
/// own flavor; the test ClusterQueue, in `one`, lists flavors one, two, three with no quota;
/// `sec` (here, Kueue's "other") is in `two`.
#[test]
fn test_hierarchical() {
    let tree: &[(&str, Option<&str>, &str)] = &[
        ("three", None, "three(cpu=4)"),
        ("two", Some("three"), "two(cpu=4)"),
        ("one", Some("two"), "one(cpu=4)"),
    ];
    let preemption = Preemption {
        within_cluster_queue: WithinClusterQueue::LowerPriority,
        reclaim_within_cohort: crate::api::kueue::ReclaimWithinCohort::LowerPriority,
        ..Default::default()
    };
    let cases = vec![
        Case {
            name: "Select the top flavor",
            cq: "one(cpu=0); two(cpu=0); three(cpu=0)",
            usage: &[("cq", "one", "cpu", "4"), ("sec", "two", "cpu", "4")],
            flavors: &[("main", "cpu", "three")],
            borrowing: true,
            ..Case::default()
        },
        Case {
            name: "Select the first flavor which fits",
            cq: "one(cpu=0); two(cpu=0); three(cpu=0)",
            usage: &[("cq", "one", "cpu", "4")],
            flavors: &[("main", "cpu", "two")],
            borrowing: true,
            ..Case::default()
        },
        Case {
            name:
                "Select deeper-borrowing flavor that fits when shallower-borrowing flavor has no preemption candidates",
            cq: "one(cpu=4/bl=0); two(cpu=0); three(cpu=0)",
            usage: &[("cq", "one", "cpu", "4")],
            fungibility: FlavorFungibility {
                when_can_borrow: P::TryNextFlavor,
                when_can_preempt: P::TryNextFlavor,
                preference: Some(FungibilityPreference::PreemptionOverBorrowing),
            },
            oracle: &[("one", "cpu", PreemptionMode::NoCandidates, 1)],
            flavors: &[("main", "cpu", "two")],
            borrowing: true,
            ..Case::default()
        },
    ];
    for case in cases {
        run(Case {
            cohort: true,
            sec: Some("one(cpu=0); two(cpu=0); three(cpu=0)"),
            tree,
            in_cohorts: ("one", "two"),
            preemption,
            pod_sets: main_ps("cpu=4"),
            mode: Mode::Fit,
            ..case
        });
    }
}
