//! The KPA reconciler's decisions: `plan` (`scaler.scale` with the bounds and the last-pod
//! rules), `computeActiveCondition`'s table, and the revision's settings from KServe's
//! annotations. The collector, the ticks and the activator's poke run in the closed loop
//! of `tests/autoscaling.rs`.
use super::*;

fn s(secs: u64) -> SimTime {
    SimTime(secs * 1000)
}

/// A revision with these annotations (as KServe writes them), created at 0.
fn revision(kv: &[(&str, &str)]) -> Revision {
    let config = KpaConfig::default();
    let annotations: Labels = kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let anns = parse_annotations(&config, &annotations).unwrap();
    Revision::new(&config, annotations, anns, s(0))
}

fn min0() -> Revision {
    revision(&[("autoscaling.knative.dev/min-scale", "0")])
}

#[test]
fn plan_bounds_the_decision_and_applies_the_last_pod_rules() {
    let config = KpaConfig::default();
    struct Case {
        name: &'static str,
        rev: Revision,
        current: i32,
        now: u64,
        want: Plan,
    }
    let with = |mut r: Revision, f: &dyn Fn(&mut Revision)| {
        f(&mut r);
        r
    };
    let write = |n: i32, why: &str| Some((n, why.to_string()));
    let cases = [
        Case {
            name: "a new revision without data waits, activating",
            rev: min0(),
            current: 1,
            now: 10,
            want: Plan {
                want: -1,
                write: None,
                requeue: Some(SimDuration::from_secs(630)),
            },
        },
        Case {
            name: "min-scale lifts an unknown decision while activating",
            rev: revision(&[("autoscaling.knative.dev/min-scale", "2")]),
            current: 1,
            now: 0,
            want: Plan {
                want: 2,
                write: write(2, "min-scale 2"),
                requeue: None,
            },
        },
        Case {
            name: "initial-scale until it was reached",
            rev: revision(&[
                ("autoscaling.knative.dev/min-scale", "0"),
                ("autoscaling.knative.dev/initial-scale", "3"),
            ]),
            current: 3,
            now: 0,
            want: Plan {
                want: 3,
                write: None,
                requeue: None,
            },
        },
        Case {
            name: "no traffic, active under a stable window: one pod stays",
            rev: with(min0(), &|r| {
                r.decided = 0;
                r.initialized = true;
                r.activity = Activity::Active { since: s(100) };
            }),
            current: 2,
            now: 120,
            want: Plan {
                want: 1,
                write: write(
                    1,
                    "no traffic: the last pod stays until the revision has been active a stable window",
                ),
                requeue: Some(SimDuration::from_secs(40)),
            },
        },
        Case {
            name: "active a stable window behind the activator: inactive, looked at in 3s",
            rev: with(min0(), &|r| {
                r.decided = 0;
                r.initialized = true;
                r.activity = Activity::Active { since: s(100) };
                r.proxy_since = Some(s(0));
            }),
            current: 1,
            now: 160,
            want: Plan {
                want: 0,
                write: None,
                requeue: Some(PROXY_REQUEUE),
            },
        },
        Case {
            name: "inactive, behind the activator for the grace period: scale to zero",
            rev: with(min0(), &|r| {
                r.decided = 0;
                r.initialized = true;
                r.activity = Activity::Inactive { since: s(160) };
                r.proxy_since = Some(s(0));
            }),
            current: 1,
            now: 163,
            want: Plan {
                want: 0,
                write: write(0, "scale to zero after the grace period 30s"),
                requeue: None,
            },
        },
        Case {
            name: "inactive, the activator in the path only now: wait out the grace",
            rev: with(min0(), &|r| {
                r.decided = 0;
                r.initialized = true;
                r.activity = Activity::Inactive { since: s(160) };
                r.proxy_since = Some(s(161));
            }),
            current: 1,
            now: 163,
            want: Plan {
                want: 0,
                write: None,
                requeue: Some(SimDuration::from_secs(28)),
            },
        },
        Case {
            name: "the pod retention holds the last pod",
            rev: with(
                revision(&[
                    ("autoscaling.knative.dev/min-scale", "0"),
                    ("autoscaling.knative.dev/scale-to-zero-pod-retention-period", "5m"),
                ]),
                &|r| {
                    r.decided = 0;
                    r.initialized = true;
                    r.activity = Activity::Inactive { since: s(160) };
                    r.proxy_since = Some(s(0));
                },
            ),
            current: 1,
            now: 200,
            want: Plan {
                want: 0,
                write: None,
                requeue: Some(SimDuration::from_secs(260)),
            },
        },
        Case {
            name: "a decision from zero is an activation",
            rev: with(min0(), &|r| {
                r.decided = 1;
                r.initialized = true;
                r.activity = Activity::Inactive { since: s(160) };
                r.observed = Some((1.0, 1.0, ScaleReason::Stable));
            }),
            current: 0,
            now: 900,
            want: Plan {
                want: 1,
                write: write(1, "activation from zero: stable window average"),
                requeue: None,
            },
        },
        Case {
            name: "panic mode, capped by max-scale",
            rev: with(
                revision(&[
                    ("autoscaling.knative.dev/min-scale", "0"),
                    ("autoscaling.knative.dev/max-scale", "3"),
                ]),
                &|r| {
                    r.decided = 5;
                    r.initialized = true;
                    r.activity = Activity::Active { since: s(10) };
                    r.observed = Some((2.0, 30.0, ScaleReason::Panic));
                },
            ),
            current: 1,
            now: 100,
            want: Plan {
                want: 3,
                write: write(3, "max-scale 3"),
                requeue: None,
            },
        },
        Case {
            name: "panic mode within the bounds",
            rev: with(min0(), &|r| {
                r.decided = 4;
                r.initialized = true;
                r.activity = Activity::Active { since: s(10) };
                r.observed = Some((2.0, 30.0, ScaleReason::Panic));
            }),
            current: 1,
            now: 100,
            want: Plan {
                want: 4,
                write: write(4, "panic mode"),
                requeue: None,
            },
        },
        Case {
            name: "activating past the progress deadline and its buffer: give up",
            rev: with(min0(), &|r| {
                r.decided = 0;
                r.initialized = true;
                r.activity = Activity::Activating { since: s(100) };
            }),
            current: 1,
            now: 730,
            want: Plan {
                want: 0,
                write: write(0, "activation timed out after 10m30s"),
                requeue: None,
            },
        },
        Case {
            name: "an unknown decision outside activation changes nothing",
            rev: with(min0(), &|r| {
                r.activity = Activity::Inactive { since: s(100) };
            }),
            current: 0,
            now: 730,
            want: Plan {
                want: -1,
                write: None,
                requeue: None,
            },
        },
    ];
    for c in cases {
        assert_eq!(plan(&c.rev, &config, c.current, s(c.now)), c.want, "{}", c.name);
    }
}

/// `computeActiveCondition`'s table in `kpa.go`: want, ready, min-scale, status before,
/// status after.
#[test]
fn the_active_condition_follows_knatives_table() {
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum A {
        Activating,
        Active,
        Inactive,
    }
    let cases = [
        (0, 1, 0, A::Active, A::Inactive),
        (0, 0, 0, A::Activating, A::Inactive),
        (1, 0, 0, A::Inactive, A::Activating),
        (2, 1, 2, A::Active, A::Activating),
        (1, 1, 0, A::Activating, A::Active),
        (1, 1, 0, A::Inactive, A::Active),
        (-1, 0, 0, A::Inactive, A::Inactive),
        (-1, 0, 0, A::Activating, A::Activating),
        (-1, 0, 0, A::Active, A::Activating),
        (-1, 1, 0, A::Inactive, A::Inactive),
        (-1, 1, 0, A::Activating, A::Active),
        (-1, 1, 0, A::Active, A::Active),
    ];
    for (want, ready, min, before, after) in cases {
        let mut r = revision(&[("autoscaling.knative.dev/min-scale", &min.to_string())]);
        r.initialized = true;
        r.activity = match before {
            A::Activating => Activity::Activating { since: s(1) },
            A::Active => Activity::Active { since: s(1) },
            A::Inactive => Activity::Inactive { since: s(1) },
        };
        compute_active(&mut r, want, ready, s(5));
        let got = match r.activity {
            Activity::Activating { since } => (A::Activating, since),
            Activity::Active { since } => (A::Active, since),
            Activity::Inactive { since } => (A::Inactive, since),
        };
        // The transition time moves only when the status does.
        let since = if after == before { s(1) } else { s(5) };
        assert_eq!(
            got,
            (after, since),
            "want {want} ready {ready} min {min} from {before:?}"
        );
    }
}

#[test]
fn a_revision_is_initialized_once_its_initial_scale_is_ready() {
    let mut r = revision(&[
        ("autoscaling.knative.dev/min-scale", "0"),
        ("autoscaling.knative.dev/initial-scale", "2"),
    ]);
    assert_eq!(r.active_threshold(), 2);
    compute_active(&mut r, -1, 1, s(1));
    assert!(!r.initialized);
    assert!(matches!(r.activity, Activity::Activating { .. }));
    compute_active(&mut r, -1, 2, s(2));
    assert!(r.initialized);
    assert_eq!(r.activity, Activity::Active { since: s(2) });
    // From then on one ready pod is enough to be active.
    assert_eq!(r.active_threshold(), 1);
}

#[test]
fn the_revision_reads_kserves_annotations_with_config_autoscalers_defaults() {
    let r = revision(&[
        ("autoscaling.knative.dev/class", "kpa.autoscaling.knative.dev"),
        ("autoscaling.knative.dev/min-scale", "1"),
        ("autoscaling.knative.dev/max-scale", "4"),
        ("autoscaling.knative.dev/target", "8"),
        ("autoscaling.knative.dev/metric", "rps"),
        ("autoscaling.knative.dev/window", "2m"),
        ("autoscaling.knative.dev/panic-window-percentage", "20"),
        ("autoscaling.knative.dev/panic-threshold-percentage", "300"),
    ]);
    assert_eq!((r.min_scale, r.max_scale, r.initial_scale), (1, 4, 1));
    assert_eq!(r.spec.scaling_metric, ScalingMetric::Rps);
    // rps: target × 0.7.
    assert!((r.spec.target_value - 5.6).abs() < 1e-9);
    assert_eq!(r.spec.panic_threshold, 3.0);
    assert_eq!(r.windows_for, (SimDuration::from_secs(120), SimDuration::from_secs(24)));
    // The first excess burst capacity: 1 pod × 8 − 200.
    assert_eq!(r.ebc, -192);
    assert_eq!(r.decided, -1);
    assert!(matches!(r.activity, Activity::Activating { .. }));
}
