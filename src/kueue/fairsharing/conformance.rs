//! Kueue v0.19.2's `TestFairPreemptions` (pkg/scheduler/preemption/preemption_fair_test.go),
//! each case under its upstream name: fair sharing on (strategies
//! `[LessThanOrEqualToFinalShare, LessThanInitialShare]` unless the case says otherwise),
//! the base ClusterQueues `a`, `b`, `c` (3 cpu each; `withinClusterQueue: LowerPriority`,
//! `reclaimWithinCohort: Any`, `borrowWithinCohort: LowerPriority` below -3) and
//! `preemptible` (0 cpu) in cohort `all`, unless the case brings its own tree. Every
//! workload is admitted at the same instant, with its name as UID (so that ties break by
//! name); the incoming one needs preemption for cpu of the case's flavor.

use super::*;
use crate::api::kueue::{
    BorrowWithinCohort, ClusterQueue, Cohort, FlavorQuotas, Preemption, QueueingStrategy, ReclaimWithinCohort,
    ResourceGroup, ResourceQuota, WithinClusterQueue,
};
use crate::manifest::error::Loc;
use crate::store::WorkloadId;
use crate::units::{Quantity, Stamp};
use FairSharingStrategy::*;

fn q(s: &str) -> Quantity {
    Quantity::parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
}

/// One resource group of cpu quotas, one flavor per `(flavor, nominal)`, in that order.
fn cpu_groups(flavors: &[(&str, &str)]) -> Vec<ResourceGroup> {
    vec![ResourceGroup {
        covered: vec!["cpu".into()],
        flavors: flavors
            .iter()
            .map(|(f, nominal)| FlavorQuotas {
                name: f.to_string(),
                resources: vec![ResourceQuota {
                    name: "cpu".into(),
                    nominal: q(nominal),
                    borrowing_limit: None,
                    lending_limit: None,
                }],
                loc: Loc::file("t"),
            })
            .collect(),
    }]
}

/// A ClusterQueue with `nominal` cpu of flavor `default` (none: no resource group).
fn cq(name: &str, cohort: Option<&str>, nominal: Option<&str>, weight: &str, preemption: Preemption) -> ClusterQueue {
    ClusterQueue {
        name: name.into(),
        cohort: cohort.map(str::to_string),
        namespace_selector: None,
        queueing_strategy: QueueingStrategy::BestEffortFIFO,
        resource_groups: nominal.map(|n| cpu_groups(&[("default", n)])).unwrap_or_default(),
        preemption,
        flavor_fungibility: Default::default(),
        fair_sharing_weight: q(weight),
        stopped: false,
        loc: Loc::file("t"),
    }
}

/// A Cohort object with `nominal` cpu of flavor `default` (none: no resource group).
fn cohort(name: &str, parent: Option<&str>, nominal: Option<&str>, weight: &str) -> Cohort {
    Cohort {
        name: name.into(),
        parent: parent.map(str::to_string),
        resource_groups: nominal.map(|n| cpu_groups(&[("default", n)])).unwrap_or_default(),
        fair_sharing_weight: q(weight),
        loc: Loc::file("t"),
    }
}

fn policy(within: WithinClusterQueue, reclaim: ReclaimWithinCohort) -> Preemption {
    Preemption {
        within_cluster_queue: within,
        reclaim_within_cohort: reclaim,
        ..Default::default()
    }
}

/// `reclaimWithinCohort: Any` alone.
fn reclaim_any() -> Preemption {
    policy(WithinClusterQueue::Never, ReclaimWithinCohort::Any)
}

/// `withinClusterQueue: LowerPriority`, `reclaimWithinCohort: Any`.
fn lower_any() -> Preemption {
    policy(WithinClusterQueue::LowerPriority, ReclaimWithinCohort::Any)
}

/// Kueue's `baseCQs`.
fn base() -> Vec<ClusterQueue> {
    let p = Preemption {
        borrow_within_cohort: BorrowWithinCohort::LowerPriority {
            max_priority_threshold: Some(-3),
        },
        ..lower_any()
    };
    vec![
        cq("a", Some("all"), Some("3"), "1", p),
        cq("b", Some("all"), Some("3"), "1", p),
        cq("c", Some("all"), Some("3"), "1", p),
        cq("preemptible", Some("all"), Some("0"), "1", Preemption::default()),
    ]
}

/// `a`, `b`, `c` of 3 cpu in `all`, LowerPriority / Any, with these weights.
fn weighted(weights: &[(&str, &str)]) -> Vec<ClusterQueue> {
    weights
        .iter()
        .map(|(n, w)| cq(n, Some("all"), Some("3"), w, lower_any()))
        .collect()
}

/// An admitted workload: name, ClusterQueue, flavor, cpu, priority.
type Wl = (&'static str, &'static str, &'static str, &'static str, i32);

fn wl(name: &'static str, cq: &'static str, cpu: &'static str) -> Wl {
    (name, cq, "default", cpu, 0)
}

/// `unitWl` (1 cpu, priority 0) under each name, in ClusterQueue `cq`.
fn units(cq: &'static str, names: &[&'static str]) -> Vec<Wl> {
    names.iter().map(|n| wl(n, cq, "1")).collect()
}

fn prio(mut w: Wl, priority: i32) -> Wl {
    w.4 = priority;
    w
}

struct Case {
    name: &'static str,
    queues: Vec<ClusterQueue>,
    cohorts: Vec<Cohort>,
    strategies: Vec<FairSharingStrategy>,
    admitted: Vec<Wl>,
    /// ClusterQueue, cpu, priority.
    incoming: (&'static str, &'static str, i32),
    /// The flavor assigned to the incoming workload's cpu.
    flavor: &'static str,
    want: Vec<(&'static str, Reason)>,
}

impl Case {
    fn new(
        name: &'static str,
        queues: Vec<ClusterQueue>,
        admitted: Vec<Vec<Wl>>,
        incoming: (&'static str, &'static str),
    ) -> Case {
        Case {
            name,
            queues,
            cohorts: vec![],
            strategies: vec![LessThanOrEqualToFinalShare, LessThanInitialShare],
            admitted: admitted.concat(),
            incoming: (incoming.0, incoming.1, 0),
            flavor: "default",
            want: vec![],
        }
    }

    fn want(mut self, want: Vec<(&'static str, Reason)>) -> Case {
        self.want = want;
        self
    }

    fn cohorts(mut self, cohorts: Vec<Cohort>) -> Case {
        self.cohorts = cohorts;
        self
    }
}

/// The targets with their reasons, in name order.
fn run(case: &Case) -> Vec<(String, Reason)> {
    // Kueue's UIDs are the names: ids in name order break ties the same way.
    let mut by_name: Vec<&Wl> = case.admitted.iter().collect();
    by_name.sort_by_key(|w| w.0);
    let mut used = crate::kueue::cache::QuotaUsage::new();
    let mut candidates = Vec::new();
    for (i, (_, cq, flavor, cpu, priority)) in by_name.iter().enumerate() {
        let fr = FlavorResource::new(*flavor, "cpu");
        *used.entry(cq.to_string()).or_default().entry(fr.clone()).or_default() += q(cpu);
        candidates.push(Candidate {
            uid: WorkloadId::from_raw(i as u64 + 1),
            cluster_queue: cq.to_string(),
            priority: *priority,
            queued: Stamp(0),
            admitted: Stamp(0),
            usage: vec![(fr, q(cpu))],
            evicted: false,
        });
    }
    let mut snapshot = Snapshot::with_cohorts(case.queues.iter(), case.cohorts.iter(), &used)
        .with_fair_sharing(Some(case.strategies.clone()));
    let before = snapshot.clone();
    let (cq_name, cpu, priority) = case.incoming;
    let cq = case
        .queues
        .iter()
        .find(|c| c.name == cq_name)
        .unwrap_or_else(|| panic!("{}: no ClusterQueue {cq_name}", case.name));
    let fr = FlavorResource::new(case.flavor, "cpu");
    let p = Preemptor {
        cluster_queue: cq,
        priority,
        queued: Stamp(0),
        requests: vec![(fr.clone(), q(cpu))],
        needs: [fr].into(),
    };
    let t = targets(&p, &mut snapshot, &Admitted::new(candidates), &case.strategies);
    assert_eq!(snapshot, before, "{}: the snapshot is left as it was", case.name);
    let mut out: Vec<(String, Reason)> = t
        .into_iter()
        .map(|t| (by_name[(t.uid.raw() - 1) as usize].0.to_string(), t.reason))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn test_fair_preemptions() {
    let cases: Vec<Case> = [flat_cases(), share_cases(), weight_cases(), tree_cases()]
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(cases.len(), 35, "every upstream case");
    for case in &cases {
        let mut want: Vec<(String, Reason)> = case.want.iter().map(|(n, r)| (n.to_string(), *r)).collect();
        want.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(run(case), want, "TestFairPreemptions/{}", case.name);
    }
}

fn flat_cases() -> Vec<Case> {
    use Reason::{ClusterQueue as IC, CohortFairSharing as FS, CohortReclamation as CR};
    let abc = || {
        vec![
            units("a", &["a1", "a2", "a3"]),
            units("b", &["b1", "b2", "b3", "b4", "b5"]),
            units("c", &["c1"]),
        ]
    };
    vec![
        Case::new("reclaim nominal from user using the most", base(), abc(), ("c", "1")).want(vec![("b1", CR)]),
        Case::new(
            "can reclaim from queue using less, if taking the latest workload from user using the most isn't enough",
            base(),
            vec![vec![
                wl("a1", "a", "3"),
                wl("a2", "a", "1"),
                wl("b1", "b", "2"),
                wl("b2", "b", "3"),
            ]],
            ("c", "3"),
        )
        .want(vec![("a1", CR)]),
        Case::new(
            "reclaim borrowable quota from user using the most",
            base(),
            abc(),
            ("a", "1"),
        )
        .want(vec![("b1", FS)]),
        Case::new(
            "preempt one from each CQ borrowing",
            base(),
            vec![vec![
                wl("a1", "a", "0.5"),
                wl("a2", "a", "0.5"),
                wl("a3", "a", "3"),
                wl("b1", "b", "0.5"),
                wl("b2", "b", "0.5"),
                wl("b3", "b", "3"),
            ]],
            ("c", "2"),
        )
        .want(vec![("a1", CR), ("b1", CR)]),
        Case::new(
            "can't preempt when everyone under nominal",
            base(),
            vec![
                units("a", &["a1", "a2", "a3"]),
                units("b", &["b1", "b2", "b3"]),
                units("c", &["c1", "c2", "c3"]),
            ],
            ("c", "1"),
        ),
        Case::new(
            "can't preempt when it would switch the imbalance",
            base(),
            vec![
                units("a", &["a1", "a2", "a3"]),
                units("b", &["b1", "b2", "b3", "b4", "b5"]),
            ],
            ("a", "2"),
        ),
        Case::new(
            "can preempt lower priority workloads from same CQ",
            base(),
            vec![
                vec![prio(wl("a1_low", "a", "1"), -1), prio(wl("a2_low", "a", "1"), -1)],
                units("a", &["a3", "a4"]),
                units("b", &["b1", "b2", "b3", "b4", "b5"]),
            ],
            ("a", "2"),
        )
        .want(vec![("a1_low", IC), ("a2_low", IC)]),
        Case::new(
            "can preempt a combination of same CQ and highest user",
            base(),
            vec![
                vec![prio(wl("a_low", "a", "1"), -1)],
                units("a", &["a2", "a3"]),
                units("b", &["b1", "b2", "b3", "b4", "b5", "b6"]),
            ],
            ("a", "2"),
        )
        .want(vec![("a_low", IC), ("b1", FS)]),
        Case::new(
            "preempt huge workload if there is no other option, as long as the target CQ gets a lower share",
            base(),
            vec![vec![wl("b1", "b", "9")]],
            ("a", "2"),
        )
        .want(vec![("b1", CR)]),
        Case::new(
            "can't preempt huge workload if the incoming is also huge",
            base(),
            vec![vec![wl("a1", "a", "2"), wl("b1", "b", "7")]],
            ("a", "5"),
        ),
        Case::new(
            "can't preempt 2 smaller workloads if the incoming is huge",
            base(),
            vec![vec![wl("b1", "b", "2"), wl("b2", "b", "2"), wl("b3", "b", "3")]],
            ("a", "6"),
        ),
        Case::new(
            "preempt from target and others even if over nominal",
            base(),
            vec![vec![
                prio(wl("a1_low", "a", "2"), -1),
                prio(wl("a2_low", "a", "1"), -1),
                wl("b1", "b", "3"),
                wl("b2", "b", "3"),
            ]],
            ("a", "4"),
        )
        .want(vec![("a1_low", IC), ("b1", FS)]),
    ]
}

fn share_cases() -> Vec<Case> {
    use Reason::CohortFairSharing as FS;
    let big_and_high = || {
        vec![vec![
            wl("a1", "a", "3"),
            wl("b_low", "b", "5"),
            prio(wl("b_high", "b", "1"), 1),
        ]]
    };
    let mut lower_first = Case::new(
        "preempt lower priority first, even if big",
        base(),
        big_and_high(),
        ("a", "1"),
    )
    .want(vec![("b_low", FS)]);
    lower_first.strategies = vec![LessThanInitialShare];
    let mut no_transfer = Case::new(
        "preempt workload that doesn't transfer the imbalance, even if high priority",
        base(),
        big_and_high(),
        ("a", "1"),
    )
    .want(vec![("b_high", FS)]);
    no_transfer.strategies = vec![LessThanOrEqualToFinalShare];
    vec![
        Case::new(
            "prefer to preempt workloads that don't make the target CQ have the biggest share",
            base(),
            vec![vec![
                wl("b1", "b", "2"),
                wl("b2", "b", "1"),
                wl("b3", "b", "2"),
                wl("c1", "c", "1"),
            ]],
            ("a", "3.5"),
        )
        .want(vec![("b2", FS)]),
        Case::new(
            "preempt from different cluster queues if the end result has a smaller max share",
            base(),
            vec![vec![
                wl("b1", "b", "2"),
                wl("b2", "b", "2.5"),
                wl("c1", "c", "2"),
                wl("c2", "c", "2.5"),
            ]],
            ("a", "3.5"),
        )
        .want(vec![("b1", FS), ("c1", FS)]),
        Case::new(
            "scenario above does not flap",
            base(),
            vec![vec![wl("a1", "a", "3.5"), wl("b2", "b", "2.5"), wl("c2", "c", "2.5")]],
            ("b", "2"),
        ),
        Case::new(
            "cannot preempt if it would make the candidate CQ go under nominal after preempting one element",
            base(),
            vec![vec![wl("b1", "b", "3"), wl("b2", "b", "3"), wl("c1", "c", "3")]],
            ("a", "4"),
        ),
        Case::new(
            "workloads under priority threshold not capriciously preempted",
            base(),
            vec![
                units("a", &["a1", "a2", "a3"]),
                units("b", &["b1", "b2", "b3"]),
                units("preemptible", &["preemptible1", "preemptible2", "preemptible3"])
                    .into_iter()
                    .map(|w| prio(w, -3))
                    .collect(),
            ],
            ("a", "2"),
        ),
        lower_first,
        no_transfer,
    ]
}

fn weight_cases() -> Vec<Case> {
    use Reason::{ClusterQueue as IC, CohortFairSharing as FS, CohortReclamation as CR};
    let six_b = || {
        vec![
            units("a", &["a1", "a2", "a3"]),
            units("b", &["b1", "b2", "b3", "b4", "b5", "b6"]),
        ]
    };
    vec![
        Case::new(
            "CQ with higher weight can preempt more",
            weighted(&[("a", "2"), ("b", "1"), ("c", "1")]),
            six_b(),
            ("a", "2"),
        )
        .want(vec![("b1", FS), ("b2", FS)]),
        Case::new(
            "can preempt anything borrowing from CQ with 0 weight",
            weighted(&[("a", "1"), ("b", "0"), ("c", "1")]),
            six_b(),
            ("a", "3"),
        )
        .want(vec![("b1", FS), ("b2", FS), ("b3", FS)]),
        Case::new(
            "can't preempt nominal from CQ with 0 weight",
            weighted(&[("a", "1"), ("b", "0")]),
            vec![units("a", &["a1", "a2", "a3"]), units("b", &["b1", "b2", "b3"])],
            ("a", "1"),
        ),
        Case::new(
            "can't preempt nominal from Cohort with 0 weight",
            vec![
                cq("left-cq", Some("root"), Some("0"), "1", reclaim_any()),
                cq("right-cq", Some("right-cohort"), Some("0"), "0", reclaim_any()),
            ],
            vec![units("right-cq", &["right-1"])],
            ("left-cq", "1"),
        )
        .cohorts(vec![cohort("right-cohort", Some("root"), Some("1"), "0")]),
        {
            let mut case = Case::new(
                "can preempt within cluster queue when no cohort",
                vec![cq(
                    "a",
                    None,
                    Some("1"),
                    "1",
                    policy(WithinClusterQueue::LowerPriority, ReclaimWithinCohort::Never),
                )],
                vec![units("a", &["a1"])],
                ("a", "1"),
            )
            .want(vec![("a1", IC)]);
            case.incoming.2 = 1000;
            case
        },
        Case::new(
            "cq with zero weight can reclaim nominal quota",
            vec![
                cq("a", Some("ROOT"), Some("1"), "0", reclaim_any()),
                cq("b", Some("ROOT"), Some("0"), "1", Preemption::default()),
            ],
            vec![units("b", &["b1"])],
            ("a", "1"),
        )
        .want(vec![("b1", CR)]),
        Case::new(
            "cohort with zero weight can reclaim nominal quota",
            vec![
                cq("a", Some("A"), Some("0"), "0", reclaim_any()),
                cq("b", Some("ROOT"), Some("0"), "1", Preemption::default()),
            ],
            vec![units("b", &["b1"])],
            ("a", "1"),
        )
        .cohorts(vec![cohort("A", Some("ROOT"), Some("1"), "0")])
        .want(vec![("b1", FS)]),
        Case::new(
            "zero weight borrowing preemptor cannot preempt from a borrowing CQ with a non-zero weight",
            vec![
                cq("a", Some("all"), Some("1"), "0", reclaim_any()),
                cq("b", Some("all"), Some("1"), "1", Preemption::default()),
            ],
            vec![units("a", &["a1"]), units("b", &["b1", "b2"])],
            ("a", "1"),
        ),
        Case::new(
            "zero weight borrowing preemptor can preempt from a borrowing CQ which also has zero weight",
            vec![
                cq("a", Some("all"), Some("1"), "0", reclaim_any()),
                cq("b", Some("all"), Some("0"), "0", Preemption::default()),
            ],
            vec![units("b", &["b1", "b2", "b3"])],
            ("a", "2"),
        )
        .cohorts(vec![cohort("all", None, Some("3"), "1")])
        .want(vec![("b1", FS)]),
        Case::new(
            "non-zero weight borrowing preemptor preempts from a borrowing CQ",
            vec![
                cq("a", Some("all"), Some("1"), "1", reclaim_any()),
                cq("b", Some("all"), Some("0"), "1", Preemption::default()),
            ],
            vec![units("b", &["b1", "b2", "b3"])],
            ("a", "2"),
        )
        .cohorts(vec![cohort("all", None, Some("3"), "1")])
        .want(vec![("b1", FS)]),
    ]
}

fn tree_cases() -> Vec<Case> {
    use Reason::{ClusterQueue as IC, CohortFairSharing as FS};
    vec![
        hierarchical_preemption(),
        Case::new(
            "borrowing cq in non-borrowing cohort is protected",
            vec![
                cq("a", Some("ROOT"), Some("5"), "10", lower_any()),
                cq("b", Some("RIGHT"), None, "0.1", Preemption::default()),
            ],
            vec![
                units("a", &["a1", "a2", "a3"])
                    .into_iter()
                    .map(|w| prio(w, -1))
                    .collect(),
                vec![prio(wl("b1", "b", "1"), -1)],
            ],
            ("a", "5"),
        )
        .cohorts(vec![
            cohort("ROOT", None, None, "1"),
            cohort("RIGHT", Some("ROOT"), Some("1"), "0.1"),
        ])
        .want(vec![("a1", IC), ("a2", IC), ("a3", IC)]),
        Case::new(
            "forced to preempt within clusterqueue because borrowing workload too important",
            vec![
                cq(
                    "a",
                    Some("ROOT"),
                    Some("5"),
                    "10",
                    policy(WithinClusterQueue::LowerPriority, ReclaimWithinCohort::LowerPriority),
                ),
                cq("b", Some("RIGHT"), None, "0.1", Preemption::default()),
            ],
            vec![
                units("a", &["a1", "a2", "a3"])
                    .into_iter()
                    .map(|w| prio(w, -1))
                    .collect(),
                vec![prio(wl("b1", "b", "4"), 100)],
            ],
            ("a", "4"),
        )
        .cohorts(vec![
            cohort("ROOT", None, None, "1"),
            cohort("RIGHT", Some("ROOT"), Some("3"), "0.1"),
        ])
        .want(vec![("a1", IC), ("a2", IC), ("a3", IC)]),
        Case::new(
            "deep preemption",
            vec![
                cq("a", Some("AAA"), Some("0"), "1", reclaim_any()),
                cq("b", Some("BBB"), Some("0"), "1", Preemption::default()),
            ],
            vec![units("b", &["b1"])],
            ("a", "1"),
        )
        .cohorts(vec![
            cohort("ROOT", None, None, "1"),
            cohort("A", Some("ROOT"), None, "1.01"),
            cohort("AA", Some("A"), None, "1"),
            cohort("AAA", Some("AA"), None, "1"),
            cohort("B", Some("ROOT"), None, "0.99"),
            cohort("BB", Some("B"), None, "1"),
            cohort("BBB", Some("BB"), None, "1"),
            cohort("C", Some("ROOT"), None, "1"),
            cohort("CC", Some("C"), None, "1"),
            cohort("CCC", Some("CC"), None, "1"),
            cohort("CCCC", Some("CCC"), Some("1"), "1"),
        ])
        .want(vec![("b1", FS)]),
        nominal_first(),
        Case::new(
            "candidates skipped by the first strategy are still available to the second strategy",
            vec![
                cq("p", Some("A"), Some("2"), "1", reclaim_any()),
                cq("y", Some("A"), Some("2"), "1", Preemption::default()),
                cq("x", Some("ROOT"), Some("1"), "1", Preemption::default()),
            ],
            vec![
                vec![wl("p1", "p", "2"), wl("y1", "y", "2"), wl("y2", "y", "2")],
                units("x", &["x1", "x2"]),
            ],
            ("p", "1"),
        )
        .cohorts(vec![cohort("A", Some("ROOT"), Some("1"), "0")])
        .want(vec![("x1", FS), ("y1", FS)]),
    ]
}

/// ROOT (5) → {LEFT (5, weight 2) → {a (weight 2), b}, c, RIGHT (5) → {d, e (weight
/// 0.99)}}, every ClusterQueue of 1 cpu, five unit workloads of priorities 1 to 5 in each
/// of b, c, d and e.
fn hierarchical_preemption() -> Case {
    use Reason::CohortFairSharing as FS;
    let five = |cq: &'static str, names: [&'static str; 5]| -> Vec<Wl> {
        names
            .into_iter()
            .zip(1..)
            .map(|(n, p)| prio(wl(n, cq, "1"), p))
            .collect()
    };
    Case::new(
        "hierarchical preemption",
        vec![
            cq("a", Some("LEFT"), Some("1"), "2", reclaim_any()),
            cq("b", Some("LEFT"), Some("1"), "1", Preemption::default()),
            cq("c", Some("ROOT"), Some("1"), "1", Preemption::default()),
            cq("d", Some("RIGHT"), Some("1"), "1", Preemption::default()),
            cq("e", Some("RIGHT"), Some("1"), "0.99", Preemption::default()),
        ],
        vec![
            five("b", ["b1", "b2", "b3", "b4", "b5"]),
            five("c", ["c1", "c2", "c3", "c4", "c5"]),
            five("d", ["d1", "d2", "d3", "d4", "d5"]),
            five("e", ["e1", "e2", "e3", "e4", "e5"]),
        ],
        ("a", "5"),
    )
    .cohorts(vec![
        cohort("ROOT", None, Some("5"), "1"),
        cohort("LEFT", Some("ROOT"), Some("5"), "2"),
        cohort("RIGHT", Some("ROOT"), Some("5"), "1"),
    ])
    .want(vec![("b1", FS), ("b2", FS), ("c1", FS), ("c2", FS), ("e1", FS)])
}

/// Flavors premium and cheap: `a` has 3 premium cpu and borrows cheap, `b` borrows one
/// premium; `a` asks for premium within its nominal quota.
fn nominal_first() -> Case {
    let mut a = cq("a", Some("all"), None, "1", reclaim_any());
    a.resource_groups = cpu_groups(&[("premium", "3"), ("cheap", "0")]);
    let mut b = cq("b", Some("all"), None, "1", Preemption::default());
    b.resource_groups = cpu_groups(&[("premium", "0"), ("cheap", "6")]);
    let on = |name: &'static str, cq: &'static str, flavor: &'static str| -> Wl { (name, cq, flavor, "1", 0) };
    let mut case = Case::new(
        "nominal first: workload fitting within nominal can preempt despite high aggregate DRS",
        vec![a, b],
        vec![vec![
            on("a_prem1", "a", "premium"),
            on("a_prem2", "a", "premium"),
            on("a_cheap1", "a", "cheap"),
            on("a_cheap2", "a", "cheap"),
            on("a_cheap3", "a", "cheap"),
            on("a_cheap4", "a", "cheap"),
            on("a_cheap5", "a", "cheap"),
            on("b_prem1", "b", "premium"),
        ]],
        ("a", "1"),
    )
    .want(vec![("b_prem1", Reason::CohortReclamation)]);
    case.flavor = "premium";
    case
}
