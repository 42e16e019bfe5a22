//! The quota arithmetic of the cohort tree: flat cohorts as before, then trees (the
//! worked examples of Kueue's resource nodes, and the SubtreeQuota parts of
//! `TestCohortCycles` and `TestDeleteCohortUpdatesAncestorSubtreeQuota`, as the tree a
//! snapshot builds from the objects left).

use super::*;

fn n(v: i64) -> Quantity {
    Quantity::from_units(v)
}

fn fr() -> FlavorResource {
    FlavorResource::new("default", "nvidia.com/gpu")
}

/// `(nominal, borrowingLimit, lendingLimit)` of one (flavor, resource).
type Q = (i64, Option<i64>, Option<i64>);

fn quota((nominal, borrow, lend): Q) -> Quota {
    Quota {
        nominal: n(nominal),
        borrowing_limit: borrow.map(n),
        lending_limit: lend.map(n),
    }
}

/// A ClusterQueue `(name, cohort, quota of fr, usage of fr)`.
type QueueLine<'a> = (&'a str, Option<&'a str>, Q, i64);
/// A Cohort object `(name, parent, quota of fr)`.
type CohortLine<'a> = (&'a str, Option<&'a str>, Q);

/// The snapshot of ClusterQueues and Cohort objects, each with a quota of `fr` only.
fn tree(cohorts: &[CohortLine], queues: &[QueueLine]) -> Snapshot {
    let mut usage = QuotaUsage::new();
    let queues = queues
        .iter()
        .map(|(name, cohort, q, used)| {
            usage.entry(name.to_string()).or_default().insert(fr(), n(*used));
            let s = QueueSnapshot {
                cohort: cohort.map(str::to_string),
                weight: n(1),
                quotas: [(fr(), quota(*q))].into(),
                usage: BTreeMap::new(),
            };
            (name.to_string(), s)
        })
        .collect();
    let cohorts = cohorts
        .iter()
        .map(|(name, parent, q)| {
            let s = CohortSnapshot {
                parent: parent.map(str::to_string),
                weight: n(1),
                quotas: [(fr(), quota(*q))].into(),
                ..Default::default()
            };
            (name.to_string(), s)
        })
        .collect();
    Snapshot::build(queues, cohorts, &usage)
}

/// A ClusterQueue `(name, nominal, borrowingLimit, lendingLimit, usage)` of cohort "all".
type Member<'a> = (&'a str, i64, Option<i64>, Option<i64>, i64);

/// ClusterQueues in cohort "all".
fn cohort(members: &[Member]) -> Snapshot {
    let lines: Vec<QueueLine> = members
        .iter()
        .map(|(name, nominal, b, l, used)| (*name, Some("all"), (*nominal, *b, *l), *used))
        .collect();
    tree(&[], &lines)
}

#[test]
fn available_quota_follows_borrowing_and_lending_limits() {
    // (case, members, queue asked about, available, potential)
    let cases: Vec<(&str, Vec<Member>, &str, i64, i64)> = vec![
        (
            "idle cohort lends everything",
            vec![("a", 4, None, None, 0), ("b", 4, None, None, 0)],
            "a",
            8,
            8,
        ),
        (
            "own usage first",
            vec![("a", 4, None, None, 3), ("b", 4, None, None, 0)],
            "a",
            5,
            8,
        ),
        (
            "the other member borrowed",
            vec![("a", 4, None, None, 0), ("b", 4, None, None, 6)],
            "a",
            2,
            8,
        ),
        (
            "borrowing limit caps",
            vec![("a", 4, Some(1), None, 0), ("b", 4, None, None, 0)],
            "a",
            5,
            5,
        ),
        (
            "borrowing limit counts what is borrowed",
            vec![("a", 4, Some(2), None, 5), ("b", 4, None, None, 0)],
            "a",
            1,
            6,
        ),
        (
            "lending limit keeps quota back",
            vec![("a", 4, None, None, 0), ("b", 4, None, Some(1), 0)],
            "a",
            5,
            5,
        ),
        (
            "kept-back quota stays the lender's",
            vec![("a", 4, None, None, 0), ("b", 4, None, Some(1), 0)],
            "b",
            8,
            8,
        ),
        (
            "guaranteed usage does not reach the cohort",
            vec![("a", 4, None, None, 0), ("b", 4, None, Some(1), 3)],
            "a",
            5,
            5,
        ),
        (
            "over-borrowed cohort: nothing left",
            vec![("a", 2, None, None, 2), ("b", 2, None, None, 2)],
            "a",
            0,
            4,
        ),
        (
            "an over-used cohort eats into kept-back quota",
            vec![("a", 4, None, Some(2), 0), ("b", 2, None, None, 5)],
            "a",
            1,
            6,
        ),
    ];
    for (case, members, q, want, potential) in cases {
        let s = cohort(&members);
        assert_eq!(s.available(q, &fr()), n(want), "{case}: available");
        assert_eq!(s.potential_available(q, &fr()), n(potential), "{case}: potential");
    }
}

#[test]
fn a_queue_without_cohort_has_its_nominal_quota() {
    let s = tree(&[], &[("a", None, (4, Some(10), None), 1)]);
    assert_eq!(s.available("a", &fr()), n(3));
    assert_eq!(s.potential_available("a", &fr()), n(4));
    assert_eq!(s.borrowing_height("a", &fr(), n(9)), (0, false));
}

#[test]
fn usage_moves_and_borrowing_shows() {
    let mut s = cohort(&[("a", 4, None, None, 3), ("b", 4, None, None, 0)]);
    assert!(!s.would_borrow("a", &fr(), n(1)));
    assert!(s.would_borrow("a", &fr(), n(2)));
    s.add_usage("a", &fr(), n(3));
    assert_eq!(s.borrowed("a", &fr()), n(2));
    assert_eq!(s.usage_of(Node::Cohort("all"), &fr()), n(6));
    assert_eq!(s.available("b", &fr()), n(2));
    s.remove_usage("a", &fr(), n(6));
    assert_eq!(s.available("b", &fr()), n(8));
    assert_eq!(s.usage_of(Node::Cohort("all"), &fr()), n(0));
}

/// The worked example of Kueue's resource nodes: root R (no quota) over A (10, lending 4)
/// using 8, and B (5).
#[test]
fn lending_limits_in_a_tree() {
    let s = tree(
        &[],
        &[
            ("A", Some("R"), (10, None, Some(4)), 8),
            ("B", Some("R"), (5, None, None), 0),
        ],
    );
    assert_eq!(s.subtree_quota(Node::Cohort("R"), &fr()), n(9));
    assert_eq!(s.usage_of(Node::Cohort("R"), &fr()), n(2));
    assert_eq!(s.available("B", &fr()), n(7));
    assert_eq!(s.available("A", &fr()), n(7));
    let s = tree(
        &[],
        &[
            ("A", Some("R"), (10, Some(1), Some(4)), 8),
            ("B", Some("R"), (5, None, None), 0),
        ],
    );
    assert_eq!(s.available("A", &fr()), n(3), "nominal plus borrowing limit");
}

#[test]
fn subtree_quota_sums_what_children_lend() {
    // (case, cohorts, queues, cohort asked about, subtree quota, usage)
    type Case<'a> = (&'a str, Vec<CohortLine<'a>>, Vec<QueueLine<'a>>, &'a str, i64, i64);
    let cases: Vec<Case> = vec![
        (
            // TestCohortCycles "clusterqueue leaving cohort with cycle successfully updates new cohort"
            "a cohort's quota and its ClusterQueue's",
            vec![("cohort", None, (10, None, None))],
            vec![("cq", Some("cohort"), (5, None, None), 0)],
            "cohort",
            15,
            0,
        ),
        (
            // TestCohortCycles "cohort switching cohorts updates both cohort trees"
            "a child cohort counts in its parent",
            vec![
                ("root1", None, (0, None, None)),
                ("cohort", Some("root1"), (10, None, None)),
            ],
            vec![],
            "root1",
            10,
            0,
        ),
        (
            "the other root does not see it",
            vec![
                ("root1", None, (0, None, None)),
                ("root2", None, (0, None, None)),
                ("cohort", Some("root1"), (10, None, None)),
            ],
            vec![],
            "root2",
            0,
            0,
        ),
        (
            // TestDeleteCohortUpdatesAncestorSubtreeQuota, before the deletions
            "grandchild counts in every ancestor: mid",
            vec![
                ("root", None, (10, None, None)),
                ("mid", Some("root"), (5, None, None)),
                ("leaf", Some("mid"), (3, None, None)),
            ],
            vec![],
            "mid",
            8,
            0,
        ),
        (
            "grandchild counts in every ancestor: root",
            vec![
                ("root", None, (10, None, None)),
                ("mid", Some("root"), (5, None, None)),
                ("leaf", Some("mid"), (3, None, None)),
            ],
            vec![],
            "root",
            18,
            0,
        ),
        (
            // TestDeleteCohortUpdatesAncestorSubtreeQuota "deleting cohort with children
            // updates parent SubtreeQuota", before the deletion
            "a ClusterQueue under a child cohort",
            vec![("root", None, (10, None, None)), ("mid", Some("root"), (5, None, None))],
            vec![("cq", Some("mid"), (7, None, None), 0)],
            "root",
            22,
            0,
        ),
        (
            // … and after it: an implicit `mid` without parent holds the ClusterQueue.
            "the deleted cohort's ClusterQueue under an implicit cohort",
            vec![("root", None, (10, None, None))],
            vec![("cq", Some("mid"), (7, None, None), 0)],
            "root",
            10,
            0,
        ),
        (
            "a cohort's lending limit may exceed its nominal quota",
            vec![
                ("root", None, (0, None, None)),
                ("dept", Some("root"), (2, None, Some(6))),
            ],
            vec![("team", Some("dept"), (4, None, None), 5)],
            "root",
            6,
            5,
        ),
        (
            "a cohort lends only up to its lending limit",
            vec![
                ("root", None, (0, None, None)),
                ("dept", Some("root"), (2, None, Some(1))),
            ],
            vec![("team", Some("dept"), (4, None, None), 6)],
            "root",
            1,
            1,
        ),
        (
            "usage beyond a cohort's local quota reaches its parent",
            vec![("root", None, (4, None, None)), ("dept", Some("root"), (2, None, None))],
            vec![("team", Some("dept"), (1, None, None), 5)],
            "root",
            7,
            5,
        ),
    ];
    for (case, cohorts, queues, asked, subtree, usage) in cases {
        let s = tree(&cohorts, &queues);
        assert_eq!(
            s.subtree_quota(Node::Cohort(asked), &fr()),
            n(subtree),
            "{case}: subtree quota"
        );
        assert_eq!(s.usage_of(Node::Cohort(asked), &fr()), n(usage), "{case}: usage");
    }
}

#[test]
fn available_through_the_tree() {
    // root (4) → {dept-a (2, borrowingLimit 1) → {a1 (1), a2 (1)}, dept-b (0) → b (3)}
    let cohorts = [
        ("root", None, (4, None, None)),
        ("dept-a", Some("root"), (2, Some(1), None)),
        ("dept-b", Some("root"), (0, None, None)),
    ];
    // (case, usage of a1, a2, b; queue asked; available; potential)
    let cases = [
        ("idle: the department and its borrowing limit", (0, 0, 0), "a1", 5, 5),
        ("the other department borrows from the root", (0, 0, 8), "a1", 3, 5),
        ("its sibling took the department's quota", (0, 3, 0), "a1", 2, 5),
        (
            "the other department may take all of the root's",
            (0, 0, 0),
            "b",
            11,
            11,
        ),
        ("over the department's borrowing limit: nothing", (4, 2, 0), "a1", 0, 5),
    ];
    for (case, (a1, a2, b), asked, available, potential) in cases {
        let s = tree(
            &cohorts,
            &[
                ("a1", Some("dept-a"), (1, None, None), a1),
                ("a2", Some("dept-a"), (1, None, None), a2),
                ("b", Some("dept-b"), (3, None, None), b),
            ],
        );
        assert_eq!(s.available(asked, &fr()), n(available), "{case}: available");
        assert_eq!(s.potential_available(asked, &fr()), n(potential), "{case}: potential");
    }
}

#[test]
fn borrowing_height_is_the_lowest_subtree_that_fits() {
    // three → two → one → cq (1), each cohort with 1 of its own: heights 3, 2, 1.
    let cohorts = [
        ("three", None, (1, None, None)),
        ("two", Some("three"), (1, None, None)),
        ("one", Some("two"), (1, None, None)),
    ];
    let s = tree(&cohorts, &[("cq", Some("one"), (1, None, None), 0)]);
    assert_eq!(s.cohort("three").map(|c| c.height), Some(3));
    // (request, height, a subtree below the root holds it)
    let cases = [
        (1, (0, true)),
        (2, (1, true)),
        (3, (2, true)),
        (4, (3, false)),
        (9, (3, false)),
    ];
    for (val, want) in cases {
        assert_eq!(s.borrowing_height("cq", &fr(), n(val)), want, "request {val}");
    }
}

#[test]
fn incremental_usage_matches_a_rebuild() {
    let cohorts = [
        ("root", None, (2, None, None)),
        ("dept", Some("root"), (1, Some(3), Some(1))),
    ];
    let queues = |a: i64, b: i64| {
        vec![
            ("a", Some("dept"), (2, None, Some(1)), a),
            ("b", Some("root"), (1, None, None), b),
        ]
    };
    let mut s = tree(&cohorts, &queues(0, 0));
    let steps: [(&str, i64); 8] = [
        ("a", 3),
        ("b", 2),
        ("a", 1),
        ("a", -2),
        ("b", 1),
        ("b", -3),
        ("a", 4),
        ("a", -6),
    ];
    let (mut a, mut b) = (0, 0);
    for (cq, delta) in steps {
        if delta > 0 {
            s.add_usage(cq, &fr(), n(delta));
        } else {
            s.remove_usage(cq, &fr(), n(-delta));
        }
        match cq {
            "a" => a += delta,
            _ => b += delta,
        }
        assert_eq!(s, tree(&cohorts, &queues(a, b)), "after {cq} {delta:+}");
    }
}

#[test]
fn cycles_leave_their_cluster_queues_inactive() {
    // TestCohortCycles: a self cycle, a cycle of three, and a cohort hanging below one.
    let cohorts = [
        ("self", Some("self"), (1, None, None)),
        ("a", Some("b"), (1, None, None)),
        ("b", Some("c"), (1, None, None)),
        ("c", Some("a"), (1, None, None)),
        ("below", Some("a"), (1, None, None)),
        ("fine", None, (1, None, None)),
    ];
    let s = tree(
        &cohorts,
        &[
            ("in-self", Some("self"), (1, None, None), 0),
            ("in-a", Some("a"), (1, None, None), 0),
            ("in-below", Some("below"), (1, None, None), 0),
            ("in-fine", Some("fine"), (1, None, None), 0),
        ],
    );
    let inactive: Vec<&str> = s.cyclic.iter().map(String::as_str).collect();
    assert_eq!(inactive, ["in-a", "in-below", "in-self"]);
    // Every walk up ends.
    assert!(s.ancestors(Node::Queue("in-a")).len() <= 1);
    assert_eq!(s.available("in-fine", &fr()), n(2));
}
