//! Cases named after the Go tests of `autoscaler_test.go`, with its fixture:
//! `newTestAutoscaler(target, tbc)` is target value `target`, total `target / 0.75`,
//! panic threshold 2, rates 10 both ways, stable window 60s, activator capacity 150,
//! reachable, one ready pod. `expectedEBC` is `ebc` below.
use super::*;
use crate::autoscaling::kpa::config::ScalingMetric;

fn spec(target: f64, tbc: f64) -> DeciderSpec {
    DeciderSpec {
        scaling_metric: ScalingMetric::Concurrency,
        target_value: target,
        total_value: target / 0.75,
        target_burst_capacity: tbc,
        activator_capacity: 150.0,
        panic_threshold: 2.0,
        max_scale_up_rate: 10.0,
        max_scale_down_rate: 10.0,
        stable_window: SimDuration::from_secs(60),
        scale_down_delay: SimDuration::ZERO,
        initial_scale: 1,
        reachable: true,
        activation_scale: 0,
    }
}

fn ebc(tot: f64, tbc: f64, recorded: f64, pods: f64) -> i32 {
    (tot / 0.75 * pods - tbc - recorded).floor() as i32
}

fn s(secs: u64) -> SimTime {
    SimTime(secs * 1000)
}

/// (desired, ebc) of one `Scale`.
fn go(sp: &DeciderSpec, st: &mut AutoscalerState, ready: u32, stable: f64, panic: f64, now: SimTime) -> (i32, i32) {
    let r = scale(sp, st, ready, Some((stable, panic)), now);
    assert!(r.scale_valid);
    (r.desired_pod_count, r.excess_burst_capacity)
}

#[test]
fn test_autoscaler_no_data_no_autoscale() {
    let mut st = AutoscalerState::new(1, s(0));
    let r = scale(&spec(10.0, 100.0), &mut st, 1, None, s(0));
    assert_eq!(
        (r.desired_pod_count, r.excess_burst_capacity, r.scale_valid, r.reason),
        (0, 0, false, ScaleReason::NoData)
    );
}

#[test]
fn test_autoscaler_scale() {
    struct Case {
        label: &'static str,
        target: f64,
        tbc: f64,
        stable: f64,
        panic: f64,
        base: u32,
        prep: fn(&mut DeciderSpec, &mut AutoscalerState),
        want: i32,
        want_ebc: i32,
    }
    fn none(_: &mut DeciderSpec, _: &mut AutoscalerState) {}
    fn in_panic(_: &mut DeciderSpec, st: &mut AutoscalerState) {
        st.panic_time = Some(s(95));
        st.max_panic_pods = 5;
    }
    let cases = [
        Case {
            label: "AutoscalerNoDataAtZeroNoAutoscale",
            target: 10.0,
            tbc: 100.0,
            stable: 0.0,
            panic: 0.0,
            base: 1,
            prep: none,
            want: 0,
            want_ebc: -87,
        },
        Case {
            label: "AutoscalerStableModeUnlimitedTBC",
            target: 181.0,
            tbc: -1.0,
            stable: 21.0,
            panic: 26.0,
            base: 1,
            prep: none,
            want: 1,
            want_ebc: -1,
        },
        Case {
            label: "Autoscaler0TBC",
            target: 10.0,
            tbc: 0.0,
            stable: 50.0,
            panic: 49.0,
            base: 1,
            prep: none,
            want: 5,
            want_ebc: 0,
        },
        Case {
            label: "AutoscalerStableModeNoChange",
            target: 10.0,
            tbc: 100.0,
            stable: 50.0,
            panic: 50.0,
            base: 1,
            prep: none,
            want: 5,
            want_ebc: -137,
        },
        Case {
            label: "AutoscalerPanicStableLargerThanPanic",
            target: 1.0,
            tbc: 100.0,
            stable: 50.0,
            panic: 30.0,
            base: 5,
            prep: in_panic,
            want: 50,
            want_ebc: ebc(1.0, 100.0, 30.0, 5.0),
        },
        Case {
            label: "AutoscalerPanicStableLessThanPanic",
            target: 1.0,
            tbc: 100.0,
            stable: 20.0,
            panic: 30.0,
            base: 5,
            prep: in_panic,
            want: 30,
            want_ebc: ebc(1.0, 100.0, 30.0, 5.0),
        },
        Case {
            label: "AutoscalerStableModeNoChangeAlreadyScaled",
            target: 10.0,
            tbc: 100.0,
            stable: 50.0,
            panic: 50.0,
            base: 5,
            prep: none,
            want: 5,
            want_ebc: ebc(10.0, 100.0, 50.0, 5.0),
        },
        Case {
            label: "AutoscalerStableModeIncreaseWithSmallScaleUpRate",
            target: 1.0,
            tbc: 1982.0,
            stable: 3.0,
            panic: 3.1,
            base: 2,
            prep: |sp, _| sp.max_scale_up_rate = 1.1,
            want: 3,
            want_ebc: ebc(1.0, 1982.0, 3.1, 2.0),
        },
        Case {
            label: "AutoscalerStableModeDecreaseWithSmallScaleDownRate",
            target: 10.0,
            tbc: 1982.0,
            stable: 1.0,
            panic: 1.0,
            base: 100,
            prep: |sp, _| sp.max_scale_down_rate = 1.1,
            want: 90,
            want_ebc: ebc(10.0, 1982.0, 1.0, 100.0),
        },
        Case {
            label: "AutoscalerStableModeDecreaseNonReachable",
            target: 10.0,
            tbc: 1982.0,
            stable: 1.0,
            panic: 1.0,
            base: 100,
            prep: |sp, _| {
                sp.max_scale_down_rate = 1.1;
                sp.reachable = false
            },
            want: 1,
            want_ebc: ebc(10.0, 1982.0, 1.0, 100.0),
        },
        Case {
            label: "AutoscalerPanicModeDoublePodCount",
            target: 10.0,
            tbc: 84.0,
            stable: 50.0,
            panic: 100.0,
            base: 1,
            prep: none,
            want: 10,
            want_ebc: ebc(10.0, 84.0, 100.0, 1.0),
        },
    ];
    for c in cases {
        let mut sp = spec(c.target, c.tbc);
        let mut st = AutoscalerState::new(1, s(0));
        (c.prep)(&mut sp, &mut st);
        assert_eq!(
            go(&sp, &mut st, c.base, c.stable, c.panic, s(100)),
            (c.want, c.want_ebc),
            "{}",
            c.label
        );
    }
}

#[test]
fn test_autoscaler_stable_mode_increase_with_concurrency_default() {
    let sp = spec(10.0, 101.0);
    let mut st = AutoscalerState::new(1, s(0));
    assert_eq!(go(&sp, &mut st, 1, 50.0, 10.0, s(0)), (5, ebc(10.0, 101.0, 10.0, 1.0)));
    let r = scale(&sp, &mut st, 1, Some((100.0, 10.0)), s(0));
    assert_eq!(
        (r.desired_pod_count, r.panicking, r.reason),
        (10, false, ScaleReason::Stable)
    );
}

#[test]
fn test_autoscaler_stable_mode_increase_with_rps() {
    let sp = DeciderSpec {
        scaling_metric: ScalingMetric::Rps,
        ..spec(10.0, 101.0)
    };
    let mut st = AutoscalerState::new(1, s(0));
    assert_eq!(go(&sp, &mut st, 1, 50.0, 50.0, s(0)), (5, ebc(10.0, 101.0, 50.0, 1.0)));
    assert_eq!(
        go(&sp, &mut st, 1, 100.0, 99.0, s(0)),
        (10, ebc(10.0, 101.0, 99.0, 1.0))
    );
}

#[test]
fn test_autoscaler_unpanic_after_slow_increase() {
    let sp = spec(1.0, 98.0);
    let mut st = AutoscalerState::new(1, s(0));
    let start = s(1000);
    assert_eq!(
        go(&sp, &mut st, 10, 11.0, 25.0, start),
        (25, ebc(1.0, 98.0, 25.0, 10.0))
    );
    assert_eq!(st.panic_time, Some(start));
    // Half a window on, 41/40 is under the threshold: still panicking, panic not moved.
    assert_eq!(
        go(&sp, &mut st, 40, 30.0, 41.0, s(1030)),
        (41, ebc(1.0, 98.0, 41.0, 40.0))
    );
    assert_eq!(st.panic_time, Some(start));
    // A window and a tick after: panic ends, stable decides.
    let r = scale(&sp, &mut st, 55, Some((50.0, 56.0)), s(1062));
    assert_eq!(
        (r.desired_pod_count, r.panicking, r.reason),
        (50, false, ScaleReason::Stable)
    );
}

#[test]
fn test_autoscaler_extend_panic_window() {
    let sp = spec(1.0, 98.0);
    let mut st = AutoscalerState::new(1, s(0));
    assert_eq!(go(&sp, &mut st, 10, 11.0, 25.0, s(1000)).0, 25);
    assert_eq!(
        go(&sp, &mut st, 40, 30.0, 80.0, s(1030)),
        (80, ebc(1.0, 98.0, 80.0, 40.0))
    );
    assert_eq!(st.panic_time, Some(s(1030)));
}

#[test]
fn test_autoscaler_stable_mode_decrease() {
    let sp = spec(10.0, 98.0);
    let mut st = AutoscalerState::new(1, s(0));
    assert_eq!(go(&sp, &mut st, 8, 100.0, 100.0, s(0)).0, 10);
    assert_eq!(go(&sp, &mut st, 8, 50.0, 50.0, s(0)), (5, ebc(10.0, 98.0, 50.0, 8.0)));
}

#[test]
fn test_autoscaler_stable_mode_no_traffic_scale_to_zero() {
    let sp = spec(10.0, 75.0);
    let mut st = AutoscalerState::new(1, s(0));
    assert_eq!(go(&sp, &mut st, 1, 1.0, 0.0, s(0)), (1, ebc(10.0, 75.0, 0.0, 1.0)));
    assert_eq!(go(&sp, &mut st, 1, 0.0, 0.0, s(0)), (0, -62));
}

#[test]
fn test_autoscaler_activation_scale() {
    let sp = DeciderSpec {
        activation_scale: 2,
        ..spec(10.0, 75.0)
    };
    let mut st = AutoscalerState::new(1, s(0));
    assert_eq!(go(&sp, &mut st, 1, 0.0, 0.0, s(0)).0, 0);
    let r = scale(&sp, &mut st, 1, Some((1.0, 0.0)), s(0));
    assert_eq!((r.desired_pod_count, r.reason), (2, ScaleReason::ActivationScale));
}

#[test]
fn test_autoscaler_panic_mode_exponential_track_and_stabilize() {
    let sp = spec(1.0, 101.0);
    let mut st = AutoscalerState::new(1, s(0));
    assert_eq!(go(&sp, &mut st, 1, 6.0, 6.0, s(10)).0, 6);
    assert_eq!(go(&sp, &mut st, 6, 36.0, 36.0, s(10)).0, 36);
    assert_eq!(go(&sp, &mut st, 36, 216.0, 216.0, s(11)).0, 216);
    assert_eq!(go(&sp, &mut st, 216, 1296.0, 1296.0, s(11)).0, 1296);
    assert_eq!(st.panic_time, Some(s(11)));
    assert_eq!(
        go(&sp, &mut st, 1296, 1296.0, 1296.0, s(12)),
        (1296, ebc(1.0, 101.0, 1296.0, 1296.0))
    );
}

#[test]
fn test_autoscaler_panic_then_unpanic_scale_down() {
    let sp = spec(10.0, 93.0);
    let mut st = AutoscalerState::new(1, s(0));
    assert_eq!(go(&sp, &mut st, 1, 100.0, 100.0, s(100)).0, 10);
    assert_eq!(
        go(&sp, &mut st, 10, 100.0, 1000.0, s(100)),
        (100, ebc(10.0, 93.0, 1000.0, 10.0))
    );
    // Traffic gone, still panicking: no scale-down.
    let r = scale(&sp, &mut st, 10, Some((1.0, 1.0)), s(130));
    assert_eq!(
        (r.desired_pod_count, r.panicking, r.reason),
        (100, true, ScaleReason::PanicHold)
    );
    assert_eq!(go(&sp, &mut st, 10, 1.0, 1.0, s(161)), (1, ebc(10.0, 93.0, 1.0, 10.0)));
}

#[test]
fn test_autoscaler_rate_limit_scale_up() {
    let sp = spec(10.0, 61.0);
    let mut st = AutoscalerState::new(1, s(0));
    assert_eq!(
        go(&sp, &mut st, 1, 1000.0, 1001.0, s(0)),
        (10, ebc(10.0, 61.0, 1001.0, 1.0))
    );
    assert_eq!(go(&sp, &mut st, 10, 1000.0, 1001.0, s(0)).0, 100);
}

#[test]
fn test_autoscaler_rate_limit_scale_down() {
    let sp = spec(10.0, 61.0);
    let mut st = AutoscalerState::new(1, s(0));
    let r = scale(&sp, &mut st, 100, Some((1.0, 1.0)), s(0));
    assert_eq!((r.desired_pod_count, r.reason), (10, ScaleReason::ScaleDownRateLimited));
    assert_eq!(go(&sp, &mut st, 10, 1.0, 1.0, s(0)), (1, ebc(10.0, 61.0, 1.0, 10.0)));
}

#[test]
fn test_autoscaler_use_one_pod_as_minimum_if_endpoints_not_found() {
    let sp = spec(10.0, 81.0);
    let mut st = AutoscalerState::new(1, s(0));
    assert_eq!(go(&sp, &mut st, 0, 1000.0, 888.0, s(0)), (10, -969));
}

fn delay_spec() -> DeciderSpec {
    DeciderSpec {
        panic_threshold: 100.0,
        scale_down_delay: SimDuration::from_secs(300),
        ..spec(10.0, 0.0)
    }
}

#[test]
fn test_autoscaler_scale_down_delay() {
    let sp = delay_spec();
    let mut st = AutoscalerState::new(0, s(0));
    // simple
    assert_eq!(go(&sp, &mut st, 0, 40.0, 40.0, s(2)).0, 4);
    let r = scale(&sp, &mut st, 0, Some((0.0, 0.0)), s(300));
    assert_eq!((r.desired_pod_count, r.reason), (4, ScaleReason::ScaleDownDelayed));
    assert_eq!(go(&sp, &mut st, 0, 0.0, 0.0, s(302)).0, 0);
    // gradual
    assert_eq!(go(&sp, &mut st, 0, 40.0, 40.0, s(540)).0, 4);
    assert_eq!(go(&sp, &mut st, 0, 30.0, 30.0, s(600)).0, 4);
    assert_eq!(go(&sp, &mut st, 0, 0.0, 0.0, s(660)).0, 4);
    assert_eq!(go(&sp, &mut st, 0, 0.0, 0.0, s(840)).0, 3);
    assert_eq!(go(&sp, &mut st, 0, 0.0, 0.0, s(900)).0, 0);
}

#[test]
fn test_autoscaler_scale_down_delay_not_reachable() {
    let mut sp = delay_spec();
    let mut st = AutoscalerState::new(0, s(0));
    assert_eq!(go(&sp, &mut st, 0, 40.0, 40.0, s(2)).0, 4);
    assert_eq!(go(&sp, &mut st, 0, 0.0, 0.0, s(60)).0, 4);
    sp.reachable = false;
    assert_eq!(go(&sp, &mut st, 0, 0.0, 0.0, s(2)).0, 0);
}

#[test]
fn test_autoscaler_scale_down_delay_zero() {
    let sp = DeciderSpec {
        scale_down_delay: SimDuration::ZERO,
        ..delay_spec()
    };
    let mut st = AutoscalerState::new(0, s(0));
    assert_eq!(go(&sp, &mut st, 0, 40.0, 40.0, s(0)).0, 4);
    assert_eq!(go(&sp, &mut st, 0, 20.0, 20.0, SimTime(500)).0, 2);
}

#[test]
fn test_start_in_panic_mode() {
    for i in 0..2 {
        let st = AutoscalerState::new(i, s(0));
        assert!(!st.panicking());
        assert_eq!(st.max_panic_pods, i as i32);
    }
    let st = AutoscalerState::new(2, s(0));
    assert!(st.panicking());
    assert_eq!(st.max_panic_pods, 2);
}

#[test]
fn apply_bounds_min_max() {
    assert_eq!(apply_bounds(2, 10, 0), 2);
    assert_eq!(apply_bounds(2, 10, 12), 10);
    assert_eq!(apply_bounds(0, 0, 1000), 1000);
}

#[test]
fn scale_to_zero_last_pod_rules() {
    let base = LastPodInputs {
        enable_scale_to_zero: true,
        stable_window: SimDuration::from_secs(60),
        grace_period: SimDuration::from_secs(30),
        pod_retention: SimDuration::ZERO,
        activation_timeout: SimDuration::from_secs(630),
        activity: Activity::Active { since: s(0) },
        proxy_since: None,
    };
    let cases: [(&str, LastPodInputs, i32, u64, LastPodStep); 10] = [
        ("non-zero passes", base, 3, 10, LastPodStep::Scale(3)),
        (
            "disabled keeps one",
            LastPodInputs {
                enable_scale_to_zero: false,
                ..base
            },
            0,
            100,
            LastPodStep::Scale(1),
        ),
        (
            "active under a stable window",
            base,
            0,
            20,
            LastPodStep::KeepOne {
                requeue_after: SimDuration::from_secs(40),
            },
        ),
        ("active a whole window", base, 0, 60, LastPodStep::MarkInactive),
        (
            "inactive, activator not in path",
            LastPodInputs {
                activity: Activity::Inactive { since: s(60) },
                ..base
            },
            0,
            200,
            LastPodStep::Wait { requeue_after: None },
        ),
        (
            "inactive under grace",
            LastPodInputs {
                activity: Activity::Inactive { since: s(60) },
                proxy_since: Some(s(60)),
                ..base
            },
            0,
            70,
            LastPodStep::Wait {
                requeue_after: Some(SimDuration::from_secs(20)),
            },
        ),
        (
            "inactive past grace",
            LastPodInputs {
                activity: Activity::Inactive { since: s(60) },
                proxy_since: Some(s(60)),
                ..base
            },
            0,
            90,
            LastPodStep::Scale(0),
        ),
        (
            "retention holds",
            LastPodInputs {
                activity: Activity::Inactive { since: s(60) },
                proxy_since: Some(s(60)),
                pod_retention: SimDuration::from_secs(120),
                ..base
            },
            0,
            100,
            LastPodStep::Hold {
                requeue_after: SimDuration::from_secs(80),
            },
        ),
        (
            "activating within the activation timeout",
            LastPodInputs {
                activity: Activity::Activating { since: s(0) },
                ..base
            },
            0,
            300,
            LastPodStep::Activating {
                requeue_after: SimDuration::from_secs(630),
            },
        ),
        (
            "activation timed out",
            LastPodInputs {
                activity: Activity::Activating { since: s(0) },
                ..base
            },
            0,
            630,
            LastPodStep::Scale(0),
        ),
    ];
    for (name, inp, desired, now, want) in cases {
        assert_eq!(handle_scale_to_zero(desired, &inp, s(now)), want, "{name}");
    }
}

#[test]
fn zero_only_after_a_stable_window_without_traffic() {
    use crate::autoscaling::kpa::aggregation::{AggregationAlgorithm, MetricWindows};
    let sp = spec(10.0, 0.0);
    let mut st = AutoscalerState::new(1, s(0));
    let mut w = MetricWindows::new(
        AggregationAlgorithm::Linear,
        SimDuration::from_secs(60),
        SimDuration::from_secs(6),
    );
    for t in 0..=100 {
        w.record(s(t), if t < 10 { 5.0 } else { 0.0 });
    }
    // Traffic last seen in second 9: at 68 the window still holds it.
    let mut w68 = MetricWindows::new(
        AggregationAlgorithm::Linear,
        SimDuration::from_secs(60),
        SimDuration::from_secs(6),
    );
    for t in 0..=68 {
        w68.record(s(t), if t < 10 { 5.0 } else { 0.0 });
    }
    assert_eq!(
        scale(&sp, &mut st, 1, w68.stable_and_panic(s(68)), s(68)).desired_pod_count,
        1
    );
    assert_eq!(
        scale(&sp, &mut st, 1, w.stable_and_panic(s(100)), s(100)).desired_pod_count,
        0
    );
}
