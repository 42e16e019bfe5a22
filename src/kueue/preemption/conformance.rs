//! Kueue v0.19.2's `TestHierarchicalPreemptions`
//! (pkg/scheduler/preemption/preemption_hierarchical_test.go), each case under its
//! upstream name, with its Cohort objects, ClusterQueues (flavor `default`; policies
//! `withinClusterQueue: LowerPriority`, `reclaimWithinCohort: Any` unless the case says
//! otherwise) and admitted workloads, all admitted at the same instant. The incoming
//! workload needs preemption for every resource it requests. Each expected target comes
//! with its reason and the preemptee path of Kueue's message.

mod test_preemption;

use super::*;
use crate::api::kueue::{
    BorrowWithinCohort, Cohort, FlavorQuotas, Preemption, QueueingStrategy, ResourceGroup, ResourceQuota,
};
use crate::manifest::error::Loc;

fn q(s: &str) -> Quantity {
    Quantity::parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
}

/// One resource group of flavor `default` with these `(resource, nominal, lendingLimit)`.
fn groups(quotas: &[(&str, &str, Option<&str>)]) -> Vec<ResourceGroup> {
    vec![ResourceGroup {
        covered: quotas.iter().map(|(r, ..)| r.to_string()).collect(),
        flavors: vec![FlavorQuotas {
            name: "default".into(),
            resources: quotas
                .iter()
                .map(|(r, nominal, lending)| ResourceQuota {
                    name: r.to_string(),
                    nominal: q(nominal),
                    borrowing_limit: None,
                    lending_limit: lending.map(q),
                })
                .collect(),
            loc: Loc::file("t"),
        }],
    }]
}

fn cohort(name: &str, parent: Option<&str>, quotas: &[(&str, &str)]) -> Cohort {
    let quotas: Vec<(&str, &str, Option<&str>)> = quotas.iter().map(|(r, n)| (*r, *n, None)).collect();
    Cohort {
        name: name.into(),
        parent: parent.map(str::to_string),
        resource_groups: groups(&quotas),
        fair_sharing_weight: q("1"),
        loc: Loc::file("t"),
    }
}

/// A ClusterQueue with the cases' usual policies and no quota of its own.
fn cq(name: &str, cohort: &str) -> ClusterQueue {
    ClusterQueue {
        name: name.into(),
        cohort: Some(cohort.into()),
        namespace_selector: None,
        queueing_strategy: QueueingStrategy::BestEffortFIFO,
        resource_groups: groups(&[]),
        preemption: Preemption {
            within_cluster_queue: WithinClusterQueue::LowerPriority,
            reclaim_within_cohort: ReclaimWithinCohort::Any,
            ..Default::default()
        },
        flavor_fungibility: Default::default(),
        fair_sharing_weight: q("1"),
        stopped: false,
        loc: Loc::file("t"),
    }
}

fn with_cpu(mut c: ClusterQueue, nominal: &str, lending: Option<&str>) -> ClusterQueue {
    c.resource_groups = groups(&[("cpu", nominal, lending)]);
    c
}

/// `borrowWithinCohort: LowerPriority` with `maxPriorityThreshold: 0`.
fn bwc(mut c: ClusterQueue) -> ClusterQueue {
    c.preemption.borrow_within_cohort = BorrowWithinCohort::LowerPriority {
        max_priority_threshold: Some(0),
    };
    c
}

fn reclaim_lower(mut c: ClusterQueue) -> ClusterQueue {
    c.preemption.reclaim_within_cohort = ReclaimWithinCohort::LowerPriority;
    c
}

/// An admitted workload: (name, ClusterQueue, priority, usage, already evicted).
type Wl = (&'static str, &'static str, i32, Vec<(&'static str, &'static str)>, bool);

fn wl(name: &'static str, cq: &'static str, priority: i32, cpu: &'static str) -> Wl {
    (name, cq, priority, vec![("cpu", cpu)], false)
}

struct Case {
    name: &'static str,
    cohorts: Vec<Cohort>,
    queues: Vec<ClusterQueue>,
    admitted: Vec<Wl>,
    /// The incoming workload: ClusterQueue, priority, requests.
    incoming: (&'static str, i32, Vec<(&'static str, &'static str)>),
    preemptor_path: &'static str,
    /// (target, reason, preemptee path), in name order.
    want: Vec<(&'static str, Reason, &'static str)>,
}

impl Default for Case {
    fn default() -> Case {
        Case {
            name: "",
            cohorts: vec![],
            queues: vec![],
            admitted: vec![],
            incoming: ("q", 0, vec![]),
            preemptor_path: "/r/c/q",
            want: vec![],
        }
    }
}

fn fr(resource: &str) -> FlavorResource {
    FlavorResource::new("default", resource)
}

fn run(case: &Case) -> Vec<(String, Reason, String)> {
    let mut used = crate::kueue::cache::QuotaUsage::new();
    let mut candidates = Vec::new();
    for (i, (_, cq, priority, usage, evicted)) in case.admitted.iter().enumerate() {
        let usage: Vec<(FlavorResource, Quantity)> = usage.iter().map(|(r, v)| (fr(r), q(v))).collect();
        for (f, v) in &usage {
            *used.entry(cq.to_string()).or_default().entry(f.clone()).or_default() += *v;
        }
        candidates.push(Candidate {
            uid: WorkloadId::from_raw(i as u64 + 1),
            cluster_queue: cq.to_string(),
            priority: *priority,
            queued: Stamp(0),
            admitted: Stamp(0),
            usage,
            evicted: *evicted,
        });
    }
    let mut snapshot = Snapshot::with_cohorts(case.queues.iter(), case.cohorts.iter(), &used);
    let before = snapshot.clone();
    let (cq_name, priority, requests) = &case.incoming;
    let cq = case
        .queues
        .iter()
        .find(|c| c.name == *cq_name)
        .unwrap_or_else(|| panic!("{}: no ClusterQueue {cq_name}", case.name));
    let requests: Vec<(FlavorResource, Quantity)> = requests.iter().map(|(r, v)| (fr(r), q(v))).collect();
    let p = Preemptor {
        cluster_queue: cq,
        priority: *priority,
        queued: Stamp(1_000_000),
        needs: requests.iter().map(|(f, _)| f.clone()).collect(),
        requests,
    };
    assert_eq!(
        path(&snapshot, cq_name),
        case.preemptor_path,
        "{}: preemptor path",
        case.name
    );
    let t = targets(&p, &mut snapshot, &Admitted::new(candidates));
    assert_eq!(snapshot, before, "{}: the snapshot is left as it was", case.name);
    let mut out: Vec<(String, Reason, String)> = t
        .into_iter()
        .map(|t| {
            let (name, cq, ..) = &case.admitted[(t.uid.raw() - 1) as usize];
            (name.to_string(), t.reason, path(&snapshot, cq))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// r → {c (2 cpu) → q; q_borrowing}: the tree of several cases.
fn advantage_tree() -> (Vec<Cohort>, Vec<ClusterQueue>) {
    (
        vec![cohort("r", None, &[]), cohort("c", Some("r"), &[("cpu", "2")])],
        vec![cq("q", "c"), cq("q_borrowing", "r")],
    )
}

#[test]
fn hierarchical_preemptions() {
    use Reason::{ClusterQueue as IC, CohortReclaimWhileBorrowing as CRB, CohortReclamation as CR};
    let cpu = |v: &'static str| vec![("cpu", v)];
    let cases = vec![
        {
            let (cohorts, queues) = advantage_tree();
            Case {
                name: "preempt with hierarchical advantage",
                cohorts,
                queues,
                admitted: vec![wl("admitted2", "q_borrowing", 0, "2")],
                incoming: ("q", 0, cpu("2")),
                want: vec![("admitted2", CR, "/r/q_borrowing")],
                ..Case::default()
            }
        },
        Case {
            name: "avoid queues within nominal quota",
            cohorts: vec![cohort("r", None, &[]), cohort("c", Some("r"), &[("cpu", "2")])],
            queues: vec![
                with_cpu(cq("q_nominal", "r"), "2", None),
                cq("q", "c"),
                cq("q_borrowing", "r"),
            ],
            admitted: vec![
                wl("admitted1", "q_nominal", -10, "2"),
                wl("admitted2", "q_borrowing", 0, "2"),
            ],
            incoming: ("q", 0, cpu("2")),
            want: vec![("admitted2", CR, "/r/q_borrowing")],
            ..Case::default()
        },
        {
            let (cohorts, queues) = advantage_tree();
            Case {
                name: "preempt multiple with hierarchical advantage",
                cohorts,
                queues,
                admitted: vec![
                    wl("admitted1", "q_borrowing", 1, "1"),
                    wl("admitted2", "q_borrowing", 2, "1"),
                ],
                incoming: ("q", 0, cpu("2")),
                want: vec![("admitted1", CR, "/r/q_borrowing"), ("admitted2", CR, "/r/q_borrowing")],
                ..Case::default()
            }
        },
        Case {
            name: "preempt in cohort and own CQ",
            cohorts: vec![cohort("r", None, &[]), cohort("c", Some("r"), &[("cpu", "3")])],
            queues: vec![bwc(cq("q", "c")), cq("q_same_cohort", "c")],
            admitted: vec![
                wl("admitted_not_preemptible", "q_same_cohort", 1, "1"),
                wl("admitted_preemptible", "q_same_cohort", 0, "2"),
                wl("admitted_own_queue", "q", -1, "1"),
            ],
            incoming: ("q", 1, cpu("2")),
            want: vec![
                ("admitted_own_queue", IC, "/r/c/q"),
                ("admitted_preemptible", CRB, "/r/c/q_same_cohort"),
            ],
            ..Case::default()
        },
        {
            let (cohorts, queues) = advantage_tree();
            Case {
                name: "prefer to preempt hierarchical candidate",
                cohorts,
                queues,
                admitted: vec![
                    wl("admitted_borrowing", "q_borrowing", 1, "1"),
                    wl("admitted_same_queue", "q", -2, "1"),
                ],
                incoming: ("q", 0, cpu("1")),
                want: vec![("admitted_borrowing", CR, "/r/q_borrowing")],
                ..Case::default()
            }
        },
        Case {
            name: "forced to preempt priority candidate",
            cohorts: vec![cohort("r", None, &[]), cohort("c", Some("r"), &[("cpu", "2")])],
            queues: vec![
                bwc(cq("q", "c")),
                cq("q_same_cohort", "c"),
                with_cpu(cq("q_nominal", "r"), "2", None),
            ],
            admitted: vec![
                wl("admitted_nominal", "q_nominal", -10, "2"),
                wl("admitted_same_cohort", "q_same_cohort", -1, "2"),
            ],
            incoming: ("q", 0, cpu("2")),
            want: vec![("admitted_same_cohort", CRB, "/r/c/q_same_cohort")],
            ..Case::default()
        },
        Case {
            name: "incoming workload fits in CQ nominal quota",
            cohorts: vec![cohort("r", None, &[]), cohort("c", Some("r"), &[("cpu", "2")])],
            queues: vec![
                with_cpu(cq("q", "c"), "4", None),
                cq("q_same_cohort", "c"),
                cq("q_borrowing", "r"),
            ],
            admitted: vec![
                wl("admitted_borrowing", "q_borrowing", 10, "3"),
                wl("admitted_same_cohort", "q_same_cohort", 10, "3"),
            ],
            incoming: ("q", 0, cpu("4")),
            want: vec![
                ("admitted_borrowing", CR, "/r/q_borrowing"),
                ("admitted_same_cohort", CR, "/r/c/q_same_cohort"),
            ],
            ..Case::default()
        },
        Case {
            name: "preempt hierarchical and priority candidates",
            cohorts: vec![
                cohort("r", None, &[("cpu", "1")]),
                cohort("c", Some("r"), &[("cpu", "4")]),
            ],
            queues: vec![
                bwc(reclaim_lower(cq("q", "c"))),
                cq("q_same_cohort", "c"),
                cq("q_borrowing", "r"),
            ],
            admitted: vec![
                wl("admitted_borrowing", "q_borrowing", -1, "2"),
                wl("admitted_same_cohort_preemptible", "q_same_cohort", -1, "1"),
                wl("admitted_borrowing_not_preemptible", "q_borrowing", 1, "2"),
            ],
            incoming: ("q", 0, cpu("3")),
            want: vec![
                ("admitted_borrowing", CR, "/r/q_borrowing"),
                ("admitted_same_cohort_preemptible", CRB, "/r/c/q_same_cohort"),
            ],
            ..Case::default()
        },
        Case {
            name: "preempt hierarchical candidates and inside CQ",
            cohorts: vec![
                cohort("r", None, &[("cpu", "1")]),
                cohort("c", Some("r"), &[("cpu", "4")]),
            ],
            queues: vec![
                bwc(reclaim_lower(cq("q", "c"))),
                cq("q_same_cohort", "c"),
                cq("q_borrowing", "r"),
            ],
            admitted: vec![
                wl("admitted_borrowing", "q_borrowing", -1, "2"),
                wl("admitted_same_queue_preemptible", "q", -1, "1"),
                wl("admitted_borrowing_not_preemptible", "q_borrowing", 1, "2"),
            ],
            incoming: ("q", 0, cpu("3")),
            want: vec![
                ("admitted_borrowing", CR, "/r/q_borrowing"),
                ("admitted_same_queue_preemptible", IC, "/r/c/q"),
            ],
            ..Case::default()
        },
        Case {
            name: "reclaim nominal quota from lowest priority workload, excluding non-borrowing",
            cohorts: vec![cohort("r", None, &[]), cohort("c", Some("r"), &[("cpu", "3")])],
            queues: vec![
                cq("q", "c"),
                cq("q_borrowing", "r"),
                with_cpu(cq("q_nominal", "r"), "2", None),
            ],
            admitted: vec![
                wl("admitted_borrowing_prio_8", "q_borrowing", 8, "1"),
                wl("admitted_borrowing_prio_9", "q_borrowing", 9, "1"),
                // Upstream gives this one priority 9 too.
                wl("admitted_borrowing_prio_10", "q_borrowing", 9, "1"),
                wl("admitted_nominal", "q_nominal", -2, "2"),
            ],
            incoming: ("q", 0, cpu("1")),
            want: vec![("admitted_borrowing_prio_8", CR, "/r/q_borrowing")],
            ..Case::default()
        },
        Case {
            name: "infeasible preemption all available workloads in pruned subtrees",
            cohorts: vec![
                cohort("r", None, &[]),
                cohort("c", Some("r"), &[("cpu", "2")]),
                cohort("c_other", Some("r"), &[("cpu", "2")]),
            ],
            queues: vec![cq("q_other", "c_other"), cq("q", "c"), cq("q_same_cohort", "c")],
            admitted: vec![
                wl("admitted_other_1", "q_other", -10, "1"),
                wl("admitted_other_2", "q_other", -10, "1"),
                wl("admitted_same_cohort", "q_same_cohort", 0, "2"),
            ],
            incoming: ("q", 0, cpu("2")),
            want: vec![],
            ..Case::default()
        },
        Case {
            name: "hiearchical preemption with multiple resources",
            cohorts: vec![
                cohort("r", None, &[("cpu", "3")]),
                cohort("c", Some("r"), &[("cpu", "4"), ("memory", "4Gi")]),
            ],
            queues: vec![cq("q", "c"), cq("q_same_cohort", "c"), cq("q_borrowing", "r")],
            admitted: vec![
                (
                    "admitted_borrowing",
                    "q_borrowing",
                    0,
                    vec![("cpu", "3"), ("memory", "1Gi")],
                    false,
                ),
                (
                    "admitted_same_cohort",
                    "q_same_cohort",
                    -2,
                    vec![("cpu", "1"), ("memory", "3Gi")],
                    false,
                ),
            ],
            incoming: ("q", -2, vec![("cpu", "2"), ("memory", "1Gi")]),
            want: vec![("admitted_borrowing", CR, "/r/q_borrowing")],
            ..Case::default()
        },
        Case {
            name: "prefer to preempt evicted workloads",
            cohorts: vec![cohort("r", None, &[]), cohort("c", Some("r"), &[("cpu", "2")])],
            queues: vec![bwc(cq("q", "c")), cq("q_same_cohort", "c"), cq("q_borrowing", "r")],
            admitted: vec![
                wl("admitted_borrowing", "q_borrowing", -10, "1"),
                ("evicted_same_cohort", "q_same_cohort", -1, vec![("cpu", "1")], true),
            ],
            incoming: ("q", 0, cpu("1")),
            want: vec![("evicted_same_cohort", CRB, "/r/c/q_same_cohort")],
            ..Case::default()
        },
        Case {
            name: "respect lending limits",
            cohorts: vec![cohort("r", None, &[]), cohort("c", Some("r"), &[("cpu", "2")])],
            queues: vec![with_cpu(cq("q", "c"), "3", Some("2")), cq("q_borrowing", "r")],
            admitted: vec![wl("admitted_borrowing", "q_borrowing", 0, "4")],
            incoming: ("q", -2, cpu("5")),
            want: vec![("admitted_borrowing", CR, "/r/q_borrowing")],
            ..Case::default()
        },
        Case {
            name: "reclaim in complex hierarchy",
            cohorts: vec![
                cohort("r", None, &[]),
                cohort("c11", Some("r"), &[("cpu", "4")]),
                cohort("c12", Some("r"), &[("cpu", "4")]),
                cohort("c21", Some("c11"), &[("cpu", "4")]),
                cohort("c22", Some("c11"), &[("cpu", "4")]),
                cohort("c23", Some("c11"), &[("cpu", "4")]),
                cohort("c31", Some("c21"), &[("cpu", "4")]),
                cohort("c32", Some("c21"), &[("cpu", "4")]),
            ],
            queues: ["q1", "q2", "q3", "q4", "q5"]
                .into_iter()
                .zip(["c12", "c23", "c22", "c32", "c31"])
                .map(|(name, parent)| {
                    let mut c = cq(name, parent);
                    c.resource_groups = vec![];
                    c
                })
                .collect(),
            admitted: vec![
                wl("admitted_borrowing_1", "q1", -6, "4"),
                wl("admitted_borrowing_2", "q1", -5, "4"),
                wl("admitted_borrowing_3", "q2", -9, "4"),
                wl("admitted_borrowing_4", "q2", -10, "4"),
                wl("admitted_borrowing_5", "q3", -4, "4"),
                wl("admitted_borrowing_6", "q3", -3, "3"),
                wl("admitted_borrowing_7", "q4", 4, "2"),
                wl("admitted_borrowing_8", "q4", 2, "3"),
            ],
            incoming: ("q5", -2, cpu("7")),
            preemptor_path: "/r/c11/c21/c31/q5",
            want: vec![
                ("admitted_borrowing_1", CR, "/r/c12/q1"),
                ("admitted_borrowing_4", CR, "/r/c11/c23/q2"),
            ],
        },
    ];
    assert_eq!(cases.len(), 15, "every upstream case");
    for case in &cases {
        let want: Vec<(String, Reason, String)> = case
            .want
            .iter()
            .map(|(n, r, p)| (n.to_string(), *r, p.to_string()))
            .collect();
        assert_eq!(run(case), want, "TestHierarchicalPreemptions/{}", case.name);
    }
}
