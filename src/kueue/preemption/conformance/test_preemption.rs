//! Kueue v0.19.2's `TestPreemption` (pkg/scheduler/preemption/preemption_test.go), each
//! case under its upstream name, with the upstream ClusterQueues (`standalone`, `c1`, `c2`,
//! `d1`, `d2`, `l1`, `preventStarvation`, the `with_shared_cq` cohort, `lend1`, `lend2`,
//! and `a`, `b`, `c` of `cohort-three`) and flavors `default`, `alpha`, `beta`. Every
//! workload is admitted at the same instant unless a case says otherwise; the incoming one
//! (UID `wl-in`, job UID `job-in`) needs preemption for the (flavor, resource) pairs its
//! assignment marks `Preempt`. Each expected target comes with its reason and the full
//! message of its `Preempted` condition.

use super::super::*;
use crate::api::kueue::{
    BorrowWithinCohort, Cohort, FlavorQuotas, Preemption, QueueingStrategy, ResourceGroup, ResourceQuota,
};
use crate::manifest::error::Loc;

fn q(s: &str) -> Quantity {
    Quantity::parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
}

/// A resource quota: nominal, and optionally `borrowingLimit` and `lendingLimit`.
fn res(name: &str, nominal: &str, borrowing: Option<&str>, lending: Option<&str>) -> ResourceQuota {
    ResourceQuota {
        name: name.into(),
        nominal: q(nominal),
        borrowing_limit: borrowing.map(q),
        lending_limit: lending.map(q),
    }
}

fn nominal(name: &str, v: &str) -> ResourceQuota {
    res(name, v, None, None)
}

fn flavor(name: &str, resources: Vec<ResourceQuota>) -> FlavorQuotas {
    FlavorQuotas {
        name: name.into(),
        resources,
        loc: Loc::file("t"),
    }
}

/// A resource group covering the resources of its flavors, tried in the order given.
fn group(flavors: Vec<FlavorQuotas>) -> ResourceGroup {
    let mut covered: Vec<String> = Vec::new();
    for r in flavors.iter().flat_map(|f| &f.resources) {
        if !covered.contains(&r.name) {
            covered.push(r.name.clone());
        }
    }
    ResourceGroup { covered, flavors }
}

fn policy(within: WithinClusterQueue, reclaim: ReclaimWithinCohort) -> Preemption {
    Preemption {
        within_cluster_queue: within,
        reclaim_within_cohort: reclaim,
        ..Default::default()
    }
}

/// `borrowWithinCohort: LowerPriority` with `maxPriorityThreshold: 0`.
fn bwc(within: WithinClusterQueue, reclaim: ReclaimWithinCohort) -> Preemption {
    Preemption {
        borrow_within_cohort: BorrowWithinCohort::LowerPriority {
            max_priority_threshold: Some(0),
        },
        ..policy(within, reclaim)
    }
}

fn cq(name: &str, cohort: Option<&str>, groups: Vec<ResourceGroup>, preemption: Preemption) -> ClusterQueue {
    ClusterQueue {
        name: name.into(),
        cohort: cohort.map(str::to_string),
        namespace_selector: None,
        queueing_strategy: QueueingStrategy::BestEffortFIFO,
        resource_groups: groups,
        preemption,
        flavor_fungibility: Default::default(),
        fair_sharing_weight: q("1"),
        stopped: false,
        loc: Loc::file("t"),
    }
}

/// `default` flavor with `cpu` and `memory` quotas (nominal, borrowingLimit).
fn cpu_mem(cpu: (&str, Option<&str>), mem: (&str, Option<&str>)) -> Vec<ResourceGroup> {
    vec![group(vec![flavor(
        "default",
        vec![res("cpu", cpu.0, cpu.1, None), res("memory", mem.0, mem.1, None)],
    )])]
}

fn default_cpu(resources: Vec<ResourceQuota>) -> Vec<ResourceGroup> {
    vec![group(vec![flavor("default", resources)])]
}

/// Kueue's `defaultClusterQueues`.
fn default_queues() -> Vec<ClusterQueue> {
    use ReclaimWithinCohort as R;
    use WithinClusterQueue as W;
    let shared = Some("with_shared_cq");
    let lender = |name: &str, lending: &str| {
        cq(
            name,
            Some("cohort-lend"),
            default_cpu(vec![res("cpu", "6", None, Some(lending))]),
            policy(W::LowerPriority, R::LowerPriority),
        )
    };
    let three = |name: &str, preemption: Preemption| {
        cq(
            name,
            Some("cohort-three"),
            default_cpu(vec![nominal("cpu", "2"), nominal("memory", "2")]),
            preemption,
        )
    };
    vec![
        cq(
            "standalone",
            None,
            vec![
                group(vec![flavor("default", vec![nominal("cpu", "6")])]),
                group(vec![
                    flavor("alpha", vec![nominal("memory", "3Gi")]),
                    flavor("beta", vec![nominal("memory", "3Gi")]),
                ]),
            ],
            policy(W::LowerPriority, R::Never),
        ),
        cq(
            "c1",
            Some("cohort"),
            cpu_mem(("6", Some("6")), ("3Gi", Some("3Gi"))),
            policy(W::LowerPriority, R::LowerPriority),
        ),
        cq(
            "c2",
            Some("cohort"),
            cpu_mem(("6", Some("6")), ("3Gi", Some("3Gi"))),
            policy(W::Never, R::Any),
        ),
        cq(
            "d1",
            Some("cohort-no-limits"),
            cpu_mem(("6", None), ("3Gi", None)),
            policy(W::LowerPriority, R::LowerPriority),
        ),
        cq(
            "d2",
            Some("cohort-no-limits"),
            cpu_mem(("6", None), ("3Gi", None)),
            policy(W::Never, R::Any),
        ),
        cq(
            "l1",
            Some("legion"),
            cpu_mem(("6", Some("12")), ("3Gi", Some("6Gi"))),
            policy(W::LowerPriority, R::LowerPriority),
        ),
        cq(
            "preventStarvation",
            None,
            default_cpu(vec![nominal("cpu", "6")]),
            policy(W::LowerOrNewerEqualPriority, R::Never),
        ),
        cq(
            "a_standard",
            shared,
            default_cpu(vec![res("cpu", "1", Some("12"), None)]),
            bwc(W::Never, R::LowerPriority),
        ),
        cq(
            "b_standard",
            shared,
            default_cpu(vec![res("cpu", "1", Some("12"), None)]),
            bwc(W::LowerPriority, R::Any),
        ),
        cq(
            "a_best_effort",
            shared,
            default_cpu(vec![res("cpu", "1", Some("12"), None)]),
            bwc(W::Never, R::LowerPriority),
        ),
        cq(
            "b_best_effort",
            shared,
            default_cpu(vec![res("cpu", "0", Some("13"), None)]),
            bwc(W::Never, R::LowerPriority),
        ),
        cq(
            "shared",
            shared,
            default_cpu(vec![nominal("cpu", "10")]),
            Preemption::default(),
        ),
        lender("lend1", "4"),
        lender("lend2", "2"),
        three("a", policy(W::LowerPriority, R::Any)),
        three("b", Preemption::default()),
        three("c", Preemption::default()),
    ]
}

/// An admitted workload.
struct Wl {
    name: &'static str,
    cq: &'static str,
    priority: i32,
    /// (flavor, resource, quantity) it holds.
    usage: Vec<(&'static str, &'static str, &'static str)>,
    /// Creation and quota reservation, in seconds from the test's `now`.
    created: i64,
    admitted: i64,
}

fn wl(name: &'static str, cq: &'static str, priority: i32, usage: &[(&'static str, &'static str, &'static str)]) -> Wl {
    Wl {
        name,
        cq,
        priority,
        usage: usage.to_vec(),
        created: 0,
        admitted: 0,
    }
}

fn cpu(v: &'static str) -> Vec<(&'static str, &'static str, &'static str)> {
    vec![("default", "cpu", v)]
}

/// How the incoming workload's assignment reaches a (flavor, resource).
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Fit,
    Preempt,
}
use Mode::{Fit, Preempt};

/// The incoming workload: its ClusterQueue, priority, creation (seconds from `now`), and
/// per pod set its assigned (flavor, resource, total quantity, mode).
struct Incoming {
    cq: &'static str,
    priority: i32,
    created: i64,
    requests: Vec<(&'static str, &'static str, &'static str, Mode)>,
}

fn incoming(
    cq: &'static str,
    priority: i32,
    requests: &[(&'static str, &'static str, &'static str, Mode)],
) -> Incoming {
    Incoming {
        cq,
        priority,
        created: 0,
        requests: requests.to_vec(),
    }
}

struct Case {
    name: &'static str,
    /// None: `defaultClusterQueues`.
    queues: Option<Vec<ClusterQueue>>,
    cohorts: Vec<Cohort>,
    admitted: Vec<Wl>,
    incoming: Incoming,
    preemptor_path: &'static str,
    /// (target, reason, preemptee path), in name order.
    want: Vec<(&'static str, Reason, &'static str)>,
}

impl Case {
    fn new(name: &'static str, admitted: Vec<Wl>, incoming: Incoming) -> Case {
        Case {
            name,
            queues: None,
            cohorts: vec![],
            admitted,
            incoming,
            preemptor_path: "",
            want: vec![],
        }
    }

    /// The targets expected, with the preemptor's path in their messages.
    fn want(mut self, preemptor_path: &'static str, want: Vec<(&'static str, Reason, &'static str)>) -> Case {
        self.preemptor_path = preemptor_path;
        self.want = want;
        self
    }
}

const NOW: i64 = 1_000_000_000;

fn at(seconds: i64) -> Stamp {
    Stamp(NOW + seconds * 1000)
}

/// (target, reason, message), in name order.
fn run(case: &Case) -> Vec<(String, Reason, String)> {
    let queues = case.queues.clone().unwrap_or_else(default_queues);
    let mut used = crate::kueue::cache::QuotaUsage::new();
    let mut candidates = Vec::new();
    for (i, w) in case.admitted.iter().enumerate() {
        let usage: Vec<(FlavorResource, Quantity)> = w
            .usage
            .iter()
            .map(|(f, r, v)| (FlavorResource::new(*f, *r), q(v)))
            .collect();
        for (fr, v) in &usage {
            *used.entry(w.cq.to_string()).or_default().entry(fr.clone()).or_default() += *v;
        }
        candidates.push(Candidate {
            uid: WorkloadId::from_raw(i as u64 + 1),
            cluster_queue: w.cq.to_string(),
            priority: w.priority,
            queued: at(w.created),
            admitted: at(w.admitted),
            usage,
            evicted: false,
        });
    }
    let mut snapshot = Snapshot::with_cohorts(queues.iter(), case.cohorts.iter(), &used);
    let before = snapshot.clone();
    let inc = &case.incoming;
    let cq = queues
        .iter()
        .find(|c| c.name == inc.cq)
        .unwrap_or_else(|| panic!("{}: no ClusterQueue {}", case.name, inc.cq));
    // `TotalRequestsFor`: the pod sets' requests summed per (flavor, resource).
    let mut requests: Vec<(FlavorResource, Quantity)> = Vec::new();
    for (f, r, v, _) in &inc.requests {
        let fr = FlavorResource::new(*f, *r);
        match requests.iter_mut().find(|(x, _)| *x == fr) {
            Some((_, total)) => *total += q(v),
            None => requests.push((fr, q(v))),
        }
    }
    let p = Preemptor {
        cluster_queue: cq,
        priority: inc.priority,
        queued: at(inc.created),
        requests,
        needs: inc
            .requests
            .iter()
            .filter(|(.., m)| *m == Preempt)
            .map(|(f, r, ..)| FlavorResource::new(*f, *r))
            .collect(),
    };
    let preemptor_path = path(&snapshot, inc.cq);
    let t = targets(&p, &mut snapshot, &Admitted::new(candidates));
    assert_eq!(snapshot, before, "{}: the snapshot is left as it was", case.name);
    let mut out: Vec<(String, Reason, String)> = t
        .into_iter()
        .map(|t| {
            let w = &case.admitted[(t.uid.raw() - 1) as usize];
            let m = message("wl-in", "job-in", t.reason, &preemptor_path, &path(&snapshot, w.cq));
            (w.name.to_string(), t.reason, m)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Kueue's message for a target, as its test writes it.
fn upstream_message(reason: Reason, preemptor_path: &str, preemptee_path: &str) -> String {
    let why = match reason {
        Reason::ClusterQueue => "prioritization in the ClusterQueue",
        Reason::CohortReclamation => "reclamation within the cohort",
        Reason::CohortReclaimWhileBorrowing => "reclamation within the cohort while borrowing",
        Reason::CohortFairSharing => "Fair Sharing within the cohort",
    };
    format!(
        "Preempted to accommodate a workload (UID: wl-in, JobUID: job-in) due to {why}; preemptor path: {preemptor_path}; preemptee path: {preemptee_path}"
    )
}

#[test]
fn test_preemption() {
    let cases = cases();
    assert_eq!(cases.len(), 36, "every upstream case");
    for case in &cases {
        let want: Vec<(String, Reason, String)> = case
            .want
            .iter()
            .map(|(n, r, p)| (n.to_string(), *r, upstream_message(*r, case.preemptor_path, p)))
            .collect();
        assert_eq!(run(case), want, "TestPreemption/{}", case.name);
    }
}

fn cases() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend(within_queue_cases());
    all.extend(cohort_cases());
    all.extend(borrow_within_cohort_cases());
    all.extend(lending_and_exhaustion_cases());
    all
}

/// Three workloads of 2 cpu in `standalone`, priorities -1, 0 and 1.
fn low_mid_high() -> Vec<Wl> {
    vec![
        wl("low", "standalone", -1, &cpu("2")),
        wl("mid", "standalone", 0, &cpu("2")),
        wl("high", "standalone", 1, &cpu("2")),
    ]
}

fn within_queue_cases() -> Vec<Case> {
    use Reason::ClusterQueue as IC;
    let s = "/standalone";
    let def_cpu = |v| ("default", "cpu", v, Preempt);
    vec![
        Case::new(
            "preempt lowest priority",
            low_mid_high(),
            incoming("standalone", 1, &[def_cpu("2")]),
        )
        .want(s, vec![("low", IC, s)]),
        Case::new(
            "preempt multiple",
            low_mid_high(),
            incoming("standalone", 1, &[def_cpu("3")]),
        )
        .want(s, vec![("low", IC, s), ("mid", IC, s)]),
        Case::new(
            "no preemption for low priority",
            vec![
                wl("low", "standalone", -1, &cpu("3")),
                wl("mid", "standalone", 0, &cpu("3")),
            ],
            incoming("standalone", -1, &[def_cpu("1")]),
        ),
        Case::new(
            "not enough low priority workloads",
            vec![
                wl("low", "standalone", -1, &cpu("3")),
                wl("mid", "standalone", 0, &cpu("3")),
            ],
            incoming("standalone", 0, &[def_cpu("4")]),
        ),
        Case::new(
            "some free quota, preempt low priority",
            vec![
                wl("low", "standalone", -1, &cpu("1")),
                wl("mid", "standalone", 0, &cpu("1")),
                wl("high", "standalone", 1, &cpu("3")),
            ],
            incoming("standalone", 1, &[def_cpu("2")]),
        )
        .want(s, vec![("low", IC, s)]),
        Case::new(
            "minimal set excludes low priority",
            vec![
                wl("low", "standalone", -1, &cpu("1")),
                wl("mid", "standalone", 0, &cpu("2")),
                wl("high", "standalone", 1, &cpu("3")),
            ],
            incoming("standalone", 1, &[def_cpu("2")]),
        )
        .want(s, vec![("mid", IC, s)]),
        Case::new(
            "only preempt workloads using the chosen flavor",
            vec![
                wl("low", "standalone", -1, &[("alpha", "memory", "2Gi")]),
                wl("mid", "standalone", 0, &[("beta", "memory", "1Gi")]),
                wl("high", "standalone", 1, &[("beta", "memory", "1Gi")]),
            ],
            incoming(
                "standalone",
                1,
                &[("default", "cpu", "1", Fit), ("beta", "memory", "2Gi", Preempt)],
            ),
        )
        .want(s, vec![("mid", IC, s)]),
        Case::new(
            "each podset preempts a different flavor",
            vec![
                wl("low-alpha", "standalone", -1, &[("alpha", "memory", "2Gi")]),
                wl("low-beta", "standalone", -1, &[("beta", "memory", "2Gi")]),
            ],
            // launcher: 1 pod of 2Gi on alpha; workers: 2 pods of 1Gi on beta.
            incoming(
                "standalone",
                0,
                &[("alpha", "memory", "2Gi", Preempt), ("beta", "memory", "2Gi", Preempt)],
            ),
        )
        .want(s, vec![("low-alpha", IC, s), ("low-beta", IC, s)]),
        {
            let mut wl2 = wl("wl2", "preventStarvation", 1, &cpu("2"));
            wl2.admitted = 1;
            let mut case = Case::new(
                "preempt newer workloads with the same priority",
                vec![
                    wl("wl1", "preventStarvation", 2, &cpu("2")),
                    wl2,
                    wl("wl3", "preventStarvation", 1, &cpu("2")),
                ],
                incoming("preventStarvation", 1, &[def_cpu("2")]),
            )
            .want("/preventStarvation", vec![("wl2", IC, "/preventStarvation")]);
            case.incoming.created = -15;
            case
        },
    ]
}

fn cohort_cases() -> Vec<Case> {
    use Reason::{ClusterQueue as IC, CohortReclamation as CR};
    let (c1, c2) = ("/cohort/c1", "/cohort/c2");
    let def = |r, v| ("default", r, v, Preempt);
    vec![
        Case::new(
            "reclaim quota from borrower",
            vec![
                wl("c1-low", "c1", -1, &cpu("3")),
                wl("c2-mid", "c2", 0, &cpu("3")),
                wl("c2-high", "c2", 1, &cpu("6")),
            ],
            incoming("c1", 1, &[def("cpu", "3")]),
        )
        .want(c1, vec![("c2-mid", CR, c2)]),
        Case::new(
            "reclaim quota if workload requests 0 resources for a resource at nominal quota",
            vec![
                wl(
                    "c1-low",
                    "c1",
                    -1,
                    &[("default", "cpu", "3"), ("default", "memory", "3Gi")],
                ),
                wl("c2-mid", "c2", 0, &cpu("3")),
                wl("c2-high", "c2", 1, &cpu("6")),
            ],
            incoming("c1", 1, &[def("cpu", "3"), ("default", "memory", "0", Fit)]),
        )
        .want(c1, vec![("c2-mid", CR, c2)]),
        Case::new(
            "no workloads borrowing",
            vec![wl("c1-high", "c1", 1, &cpu("4")), wl("c2-low-1", "c2", -1, &cpu("4"))],
            incoming("c1", 1, &[def("cpu", "4")]),
        ),
        Case::new(
            "not enough workloads borrowing",
            vec![
                wl("c1-high", "c1", 1, &cpu("4")),
                wl("c2-low-1", "c2", -1, &cpu("4")),
                wl("c2-low-2", "c2", -1, &cpu("4")),
            ],
            incoming("c1", 1, &[def("cpu", "4")]),
        ),
        Case::new(
            "preempting locally and borrowing other resources in cohort, without cohort candidates",
            vec![
                wl("c1-low", "c1", -1, &cpu("4")),
                wl("c2-low-1", "c2", -1, &cpu("4")),
                wl("c2-high-2", "c2", 1, &cpu("4")),
            ],
            incoming("c1", 1, &[def("cpu", "4"), def("memory", "5Gi")]),
        )
        .want(c1, vec![("c1-low", IC, c1)]),
        Case::new(
            "preempting locally and borrowing same resource in cohort",
            vec![
                wl("c1-med", "c1", 0, &cpu("4")),
                wl("c1-low", "c1", -1, &cpu("4")),
                wl("c2-low-1", "c2", -1, &cpu("4")),
            ],
            incoming("c1", 1, &[def("cpu", "4")]),
        )
        .want(c1, vec![("c1-low", IC, c1)]),
        Case::new(
            "preempting locally and borrowing same resource in cohort; no borrowing limit in the cohort",
            vec![
                wl("d1-med", "d1", 0, &cpu("4")),
                wl("d1-low", "d1", -1, &cpu("4")),
                wl("d2-low-1", "d2", -1, &cpu("4")),
            ],
            incoming("d1", 1, &[def("cpu", "4")]),
        )
        .want("/cohort-no-limits/d1", vec![("d1-low", IC, "/cohort-no-limits/d1")]),
        Case::new(
            "preempting locally and borrowing other resources in cohort, with cohort candidates",
            vec![
                wl("c1-med", "c1", 0, &cpu("4")),
                wl("c2-low-1", "c2", -1, &cpu("5")),
                wl("c2-low-2", "c2", -1, &cpu("1")),
                wl("c2-low-3", "c2", -1, &cpu("1")),
            ],
            incoming("c1", 1, &[def("cpu", "2"), def("memory", "5Gi")]),
        )
        .want(c1, vec![("c1-med", IC, c1)]),
        Case::new(
            "preempting locally and not borrowing same resource in 1-queue cohort",
            vec![wl("l1-med", "l1", 0, &cpu("4")), wl("l1-low", "l1", -1, &cpu("2"))],
            incoming("l1", 1, &[def("cpu", "4")]),
        )
        .want("/legion/l1", vec![("l1-med", IC, "/legion/l1")]),
        Case::new(
            "do not reclaim borrowed quota from same priority for withinCohort=ReclaimFromLowerPriority",
            vec![
                wl("c1", "c1", 0, &cpu("2")),
                wl("c2-1", "c2", 0, &cpu("4")),
                wl("c2-2", "c2", 0, &cpu("4")),
            ],
            incoming("c1", 0, &[def("cpu", "4")]),
        ),
        Case::new(
            "reclaim borrowed quota from same priority for withinCohort=ReclaimFromAny",
            vec![
                wl("c1-1", "c1", 0, &cpu("4")),
                wl("c1-2", "c1", 1, &cpu("4")),
                wl("c2", "c2", 0, &cpu("2")),
            ],
            incoming("c2", 0, &[def("cpu", "4")]),
        )
        .want(c2, vec![("c1-1", CR, c1)]),
        Case::new(
            "preempt from all ClusterQueues in cohort",
            vec![
                wl("c1-low", "c1", -1, &cpu("3")),
                wl("c1-mid", "c1", 0, &cpu("2")),
                wl("c2-low", "c2", -1, &cpu("3")),
                wl("c2-mid", "c2", 0, &cpu("4")),
            ],
            incoming("c1", 0, &[def("cpu", "4")]),
        )
        .want(c1, vec![("c1-low", IC, c1), ("c2-low", CR, c2)]),
        Case::new(
            "can't preempt workloads in ClusterQueue for withinClusterQueue=Never",
            vec![wl("c2-low", "c2", -1, &cpu("3"))],
            incoming("c2", 1, &[def("cpu", "4")]),
        ),
        long_range_preemption(),
    ]
}

fn long_range_preemption() -> Case {
    let cohort = |name: &str| Cohort {
        name: name.into(),
        parent: Some("root".into()),
        resource_groups: vec![],
        fair_sharing_weight: q("1"),
        loc: Loc::file("t"),
    };
    let mut case = Case::new(
        "long range preemption",
        vec![wl("to-be-preempted", "cq-right", 0, &cpu("5"))],
        incoming("cq-left", 0, &[("default", "cpu", "8", Preempt)]),
    )
    .want(
        "/root/cohort-left/cq-left",
        vec![(
            "to-be-preempted",
            Reason::CohortReclamation,
            "/root/cohort-right/cq-right",
        )],
    );
    case.queues = Some(vec![
        cq(
            "cq-left",
            Some("cohort-left"),
            default_cpu(vec![nominal("cpu", "10")]),
            policy(WithinClusterQueue::Never, ReclaimWithinCohort::Any),
        ),
        cq(
            "cq-right",
            Some("cohort-right"),
            default_cpu(vec![nominal("cpu", "0")]),
            Preemption::default(),
        ),
    ]);
    case.cohorts = vec![cohort("cohort-left"), cohort("cohort-right")];
    case
}

fn borrow_within_cohort_cases() -> Vec<Case> {
    use Reason::{ClusterQueue as IC, CohortReclaimWhileBorrowing as CRB, CohortReclamation as CR};
    let path = |cq: &str| -> &'static str {
        match cq {
            "a_standard" => "/with_shared_cq/a_standard",
            "b_standard" => "/with_shared_cq/b_standard",
            _ => "/with_shared_cq/a_best_effort",
        }
    };
    let def = |v| ("default", "cpu", v, Preempt);
    vec![
        Case::new(
            "use BorrowWithinCohort; allow preempting a lower-priority workload from another ClusterQueue while borrowing",
            vec![
                wl("a_best_effort_low", "a_best_effort", -1, &cpu("10")),
                wl("b_best_effort_low", "b_best_effort", -1, &cpu("1")),
            ],
            incoming("a_standard", 0, &[def("10")]),
        )
        .want(path("a_standard"), vec![("a_best_effort_low", CRB, path("a_best_effort"))]),
        Case::new(
            "use BorrowWithinCohort; don't allow preempting a lower-priority workload with priority above MaxPriorityThreshold, if borrowing is required even after the preemption",
            vec![wl("b_standard", "b_standard", 1, &cpu("10"))],
            incoming("a_standard", 2, &[def("10")]),
        ),
        Case::new(
            "use BorrowWithinCohort; allow preempting a lower-priority workload with priority above MaxPriorityThreshold, if borrowing is not required after the preemption",
            vec![wl("b_standard", "b_standard", 1, &cpu("13"))],
            incoming("a_standard", 2, &[def("1")]),
        )
        .want(path("a_standard"), vec![("b_standard", CR, path("b_standard"))]),
        Case::new(
            "use BorrowWithinCohort; don't allow for preemption of lower-priority workload from the same ClusterQueue",
            vec![wl("a_standard", "a_standard", 1, &cpu("13"))],
            incoming("a_standard", 2, &[def("1")]),
        ),
        Case::new(
            "use BorrowWithinCohort; only preempt from CQ if no workloads below threshold and already above nominal",
            vec![
                wl("a_standard_1", "a_standard", 1, &cpu("10")),
                wl("a_standard_2", "a_standard", 1, &cpu("1")),
                wl("b_standard_1", "b_standard", 1, &cpu("1")),
                wl("b_standard_2", "b_standard", 2, &cpu("1")),
            ],
            incoming("b_standard", 3, &[def("1")]),
        )
        .want(path("b_standard"), vec![("b_standard_1", IC, path("b_standard"))]),
        Case::new(
            "use BorrowWithinCohort; preempt from CQ and from other CQs with workloads below threshold",
            vec![
                wl("b_standard_high", "b_standard", 2, &cpu("10")),
                wl("b_standard_mid", "b_standard", 1, &cpu("1")),
                wl("a_best_effort_low", "a_best_effort", -1, &cpu("1")),
                wl("a_best_effort_lower", "a_best_effort", -2, &cpu("1")),
            ],
            incoming("b_standard", 2, &[def("2")]),
        )
        .want(
            path("b_standard"),
            vec![
                ("a_best_effort_lower", CRB, path("a_best_effort")),
                ("b_standard_mid", IC, path("b_standard")),
            ],
        ),
    ]
}

fn lending_and_exhaustion_cases() -> Vec<Case> {
    use Reason::{ClusterQueue as IC, CohortReclamation as CR};
    let (l1, l2) = ("/cohort-lend/lend1", "/cohort-lend/lend2");
    let (a, b) = ("/cohort-three/a", "/cohort-three/b");
    let def = |r, v| ("default", r, v, Preempt);
    let three = |with_mem: bool| -> Vec<Wl> {
        let usage = |v| {
            let mut u = cpu(v);
            if with_mem {
                u.push(("default", "memory", v));
            }
            u
        };
        vec![
            wl("a1", "a", -2, &usage("1")),
            wl("a2", "a", -2, &usage("1")),
            wl("a3", "a", -1, &usage("1")),
            wl("b1", "b", 0, &usage("1")),
            wl("b2", "b", 0, &usage("1")),
            wl("b3", "b", 0, &usage("1")),
        ]
    };
    vec![
        Case::new(
            "reclaim quota from lender",
            vec![
                wl("lend1-low", "lend1", -1, &cpu("3")),
                wl("lend2-mid", "lend2", 0, &cpu("3")),
                wl("lend2-high", "lend2", 1, &cpu("4")),
            ],
            incoming("lend1", 1, &[def("cpu", "3")]),
        )
        .want(l1, vec![("lend2-mid", CR, l2)]),
        Case::new(
            "preempt from all ClusterQueues in cohort-lend",
            vec![
                wl("lend1-low", "lend1", -1, &cpu("3")),
                wl("lend1-mid", "lend1", 0, &cpu("2")),
                wl("lend2-low", "lend2", -1, &cpu("3")),
                wl("lend2-mid", "lend2", 0, &cpu("4")),
            ],
            incoming("lend1", 0, &[def("cpu", "4")]),
        )
        .want(l1, vec![("lend1-low", IC, l1), ("lend2-low", CR, l2)]),
        Case::new(
            "cannot preempt from other ClusterQueues if exceeds requestable quota including lending limit",
            vec![wl("lend2-low", "lend2", -1, &cpu("10"))],
            incoming("lend1", 0, &[def("cpu", "9")]),
        ),
        Case::new(
            "preemptions from cq when target queue is exhausted for the single requested resource",
            three(false),
            incoming("a", 0, &[def("cpu", "2")]),
        )
        .want(a, vec![("a1", IC, a), ("a2", IC, a)]),
        Case::new(
            "preemptions from cq when target queue is exhausted for two requested resources",
            three(true),
            incoming("a", 0, &[def("cpu", "2"), def("memory", "2")]),
        )
        .want(a, vec![("a1", IC, a), ("a2", IC, a)]),
        Case::new(
            "preemptions from cq when target queue is exhausted for one requested resource, but not the other",
            three(false),
            incoming("a", 0, &[def("cpu", "2"), def("memory", "2")]),
        )
        .want(a, vec![("a1", IC, a), ("a2", IC, a)]),
        Case::new(
            "allow preemption from other cluster queues if target cq is not exhausted for the requested resource",
            vec![
                wl("a1", "a", -1, &cpu("1")),
                wl("b1", "b", 0, &cpu("1")),
                wl("b2", "b", 0, &cpu("1")),
                wl("b3", "b", 0, &cpu("1")),
                wl("b4", "b", 0, &cpu("1")),
                wl("b5", "b", -1, &cpu("1")),
            ],
            incoming("a", 0, &[def("cpu", "2")]),
        )
        .want(a, vec![("a1", IC, a), ("b5", CR, b)]),
    ]
}
