//! Knative Serving's autoscaler for KServe's Serverless predictors, in knative/serving's
//! parts: the metric collector (`pkg/autoscaler/metrics/collector.go`: every second each
//! revision's stat — the queue-proxies' concurrency and request count, summed over the
//! ready pods, plus what the activator reports — goes into the stable and panic
//! windows), the multiscaler (`pkg/autoscaler/scaling/multiscaler.go`: every 2 s each
//! revision's decider runs `Scale`, and a changed decision enqueues its PodAutoscaler;
//! a stat from the activator for a revision at zero pokes the decider at once), and the
//! KPA reconciler (`pkg/reconciler/autoscaling/kpa`: `kpa.go`'s reconcile, `scaler.go`'s
//! bounds and last-pod rules, the ServerlessService's proxy or serve mode, the
//! PodAutoscaler's `Active` condition). The decisions themselves are
//! `autoscaling::kpa`'s.
//!
//! What stands for what: KServe's Knative Service has one revision, whose Deployment is
//! the predictor Deployment `{name}-predictor`; its PodAutoscaler is named the same and
//! lives here as component state (no object in the store); its annotations are the
//! revision's as KServe computes them (`InferenceService::revision_annotations`), read
//! with `config-autoscaler`'s defaults. The activator is the request side's router: a
//! request with no ready replica waits there (`LiveServing` caps the wait at the
//! revision's `timeoutSeconds`), and the requests it holds are the activator's stat.
//!
//! Simplified: the queue-proxy's concurrency is the count in flight at the scrape, not
//! its average over the second; the activator probe succeeds as soon as the SKS is in
//! proxy mode; a change of the stable or panic window starts the windows over (Knative
//! resizes them); a template change rolls the same Deployment instead of making a new
//! revision; `containerConcurrency` is not read (0: no limit). When a revision is at zero
//! with no pods, no replicas asked for and no data left in its windows, its ticks and
//! scrapes stop until the activator's poke or a reconcile wakes it: Knative's ticks there
//! decide nothing.

use super::inferenceservice::{predictor_name, resolve_runtime, ISVC_LABEL};
use super::WorkQueue;
use crate::api::kserve::{InferenceService, KnativeClass};
use crate::api::meta::Labels;
use crate::autoscaling::kpa::aggregation::MetricWindows;
use crate::autoscaling::kpa::autoscaler::{
    apply_bounds, handle_scale_to_zero, scale, Activity, AutoscalerState, LastPodInputs, LastPodStep, ScaleReason,
};
use crate::autoscaling::kpa::config::{
    last_pod_retention, make_decider_spec, panic_window, parse_annotations, stable_window, DeciderSpec, KpaAnnotations,
    KpaConfig, ScalingMetric,
};
use crate::autoscaling::kpa::TICK_INTERVAL;
use crate::engine::action::{Action, AutoscalingWrite};
use crate::engine::change::Change;
use crate::engine::components::{Component, Cx, Timer};
use crate::store::{Deployment, LogEvent, ObjectKey, ScalingDecision, Store};
use crate::units::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};

/// `scrapeTickInterval`: the collector scrapes each revision every second.
pub(crate) const SCRAPE_INTERVAL: SimDuration = SimDuration(1_000);
/// `reenqueuePeriod`: after the activator probe, the PA is looked at again this soon.
const PROBE_REQUEUE: SimDuration = SimDuration(1_000);
/// Marked inactive while the SKS is already in proxy mode: looked at again this soon.
const PROXY_REQUEUE: SimDuration = SimDuration(3_000);
/// `config-deployment`'s `progress-deadline` default.
const PROGRESS_DEADLINE: SimDuration = SimDuration(600_000);
/// `activationTimeoutBuffer`: a PA may give up activating this long after the progress
/// deadline.
const ACTIVATION_TIMEOUT_BUFFER: SimDuration = SimDuration(30_000);
/// A PA activating this long may scale to zero.
const ACTIVATION_TIMEOUT: SimDuration = SimDuration(PROGRESS_DEADLINE.0 + ACTIVATION_TIMEOUT_BUFFER.0);

/// What the request side tells Knative's collector about one Serverless service at a
/// scrape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RevisionStat {
    /// Requests on the ready replicas (the queue-proxies' count).
    pub on_replicas: u64,
    /// Requests held for want of a ready replica (the activator's count).
    pub held: u64,
    /// Requests that arrived since the run began (for the request rate).
    pub arrived: u64,
}

/// Knative's timers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KnativeTimer {
    /// The collector scrapes every revision that is awake (every second). The engine
    /// asks the request side for the stats before handing it over.
    Scrape,
    /// A revision's decider ticks (every 2 s).
    Tick(ObjectKey),
    /// The KPA reconciler looks at a PodAutoscaler again (`EnqueueAfter`).
    Requeue(ObjectKey),
    /// A request reached the activator for a revision whose decider wants zero: its
    /// first-request stat pokes the decider.
    Poke(ObjectKey),
}

/// `GetInitialScale`: the revision's `initial-scale`, else `config-autoscaler`'s
/// (1); a 0 only where `allow-zero-initial-scale` is on. Also the replicas Knative
/// creates the revision's Deployment with (`MakeDeployment`).
pub(crate) fn initial_scale(isvc: &InferenceService, runtime: Option<&Labels>) -> i32 {
    let config = KpaConfig::default();
    let anns = isvc.revision_annotations(runtime);
    match parse_annotations(&config, &anns).ok().and_then(|a| a.initial_scale) {
        Some(0) if !config.allow_zero_initial_scale => config.initial_scale,
        Some(i) => i,
        None => config.initial_scale,
    }
}

/// One revision's PodAutoscaler, decider and metric collection.
#[derive(Debug)]
struct Revision {
    /// The revision's annotations as last read, to notice a change.
    annotations: Labels,
    anns: KpaAnnotations,
    spec: DeciderSpec,
    min_scale: i32,
    /// 0: no limit.
    max_scale: i32,
    initial_scale: i32,
    retention: SimDuration,
    /// (stable, panic) window lengths the collections were made for.
    windows_for: (SimDuration, SimDuration),
    concurrency: MetricWindows,
    rps: MetricWindows,
    state: AutoscalerState,
    /// The decider's `DesiredScale` (-1: no decision yet) and excess burst capacity.
    decided: i32,
    ebc: i32,
    /// The last valid tick's (stable, panic) averages and reason.
    observed: Option<(f64, f64, ScaleReason)>,
    /// The PA's status: its desired scale (-1 unknown) and `Active` condition.
    want: i32,
    activity: Activity,
    /// `ScaleTargetInitialized`: the initial scale was reached once.
    initialized: bool,
    /// Since when the ServerlessService has put the activator in the path; `None` in
    /// serve mode.
    proxy_since: Option<SimTime>,
    /// The next tick, while the decider is awake.
    tick_at: Option<SimTime>,
    /// The activator's poke already scheduled for the next arrival.
    poke_at: Option<SimTime>,
    /// The activator already reported a first request this second (`firstRequest`):
    /// its next periodic report takes it off.
    first_adj: f64,
    /// The arrivals count at the last scrape, and when.
    last_arrived: Option<(SimTime, u64)>,
}

impl Revision {
    fn new(config: &KpaConfig, annotations: Labels, anns: KpaAnnotations, now: SimTime) -> Revision {
        let spec = make_decider_spec(config, &anns, 0, true);
        let windows_for = (stable_window(config, &anns), panic_window(config, &anns));
        let tbc = spec.target_burst_capacity;
        // `createScaler`: the first EBC before any decision.
        let ebc = if tbc == -1.0 || tbc == 0.0 {
            tbc as i32
        } else {
            (spec.initial_scale as f64 * spec.total_value - tbc) as i32
        };
        let mut r = Revision {
            annotations,
            min_scale: 0,
            max_scale: 0,
            initial_scale: 1,
            retention: SimDuration::ZERO,
            windows_for,
            concurrency: MetricWindows::new(anns.aggregation_algorithm, windows_for.0, windows_for.1),
            rps: MetricWindows::new(anns.aggregation_algorithm, windows_for.0, windows_for.1),
            anns,
            spec,
            state: AutoscalerState::new(0, now),
            decided: -1,
            ebc,
            observed: None,
            want: -1,
            activity: Activity::Activating { since: now },
            initialized: false,
            proxy_since: None,
            tick_at: None,
            poke_at: None,
            first_adj: 0.0,
            last_arrived: None,
        };
        r.configure(config);
        r
    }

    /// Bounds and decider from the annotations (the decider's `Update`).
    fn configure(&mut self, config: &KpaConfig) {
        let a = &self.anns;
        self.spec = make_decider_spec(config, a, 0, true);
        self.min_scale = a.min_scale;
        self.max_scale = a.max_scale.unwrap_or(config.max_scale);
        self.initial_scale = match a.initial_scale {
            Some(0) if !config.allow_zero_initial_scale => config.initial_scale,
            Some(i) => i,
            None => config.initial_scale,
        };
        self.retention = last_pod_retention(config, a);
        let windows_for = (stable_window(config, a), panic_window(config, a));
        if windows_for != self.windows_for {
            self.windows_for = windows_for;
            self.concurrency = MetricWindows::new(a.aggregation_algorithm, windows_for.0, windows_for.1);
            self.rps = MetricWindows::new(a.aggregation_algorithm, windows_for.0, windows_for.1);
        }
    }

    fn windows(&self) -> &MetricWindows {
        match self.spec.scaling_metric {
            ScalingMetric::Concurrency => &self.concurrency,
            ScalingMetric::Rps => &self.rps,
        }
    }

    fn record(&mut self, now: SimTime, concurrency: f64, rps: f64) {
        self.concurrency.record(now, concurrency);
        self.rps.record(now, rps);
    }

    /// `activeThreshold`: the ready pods that make the PA active.
    fn active_threshold(&self) -> i32 {
        if self.initialized {
            self.min_scale.max(1)
        } else {
            self.min_scale.max(self.initial_scale)
        }
    }

    /// The metric and its averages, for a decision's record.
    fn metric_text(&self) -> String {
        let name = match self.spec.scaling_metric {
            ScalingMetric::Concurrency => "concurrency",
            ScalingMetric::Rps => "rps",
        };
        let target = self.spec.target_value;
        match self.observed {
            Some((stable, panic, _)) => {
                format!("{name} {stable:.2} over the stable window, {panic:.2} over the panic window (target {target:.2} per pod)")
            }
            None => format!("{name}: no data yet (target {target:.2} per pod)"),
        }
    }
}

/// `computeActiveCondition`, with the condition's transition time.
fn compute_active(rev: &mut Revision, want: i32, ready: i32, now: SimTime) {
    let min_ready = rev.active_threshold();
    if ready >= min_ready {
        rev.initialized = true;
    }
    let inactive = matches!(rev.activity, Activity::Inactive { .. });
    #[derive(PartialEq)]
    enum K {
        Activating,
        Active,
        Inactive,
    }
    let next = if want == 0 || min_ready == 0 {
        K::Inactive
    } else if ready < min_ready {
        if want > 0 || !inactive {
            K::Activating
        } else {
            K::Inactive
        }
    } else if want > 0 || !inactive {
        K::Active
    } else {
        K::Inactive
    };
    let current = match rev.activity {
        Activity::Activating { .. } => K::Activating,
        Activity::Active { .. } => K::Active,
        Activity::Inactive { .. } => K::Inactive,
    };
    if next != current {
        rev.activity = match next {
            K::Activating => Activity::Activating { since: now },
            K::Active => Activity::Active { since: now },
            K::Inactive => Activity::Inactive { since: now },
        };
    }
}

/// (ready pods, all pods) of a Deployment; a terminating pod is not ready.
fn pod_counts(store: &Store, d: &Deployment) -> (i32, i32) {
    let (mut ready, mut all) = (0, 0);
    for rs in store.replicasets_of(d.uid) {
        for p in rs.pods.iter().filter_map(|id| store.pods.get(*id)) {
            all += 1;
            if p.is_ready() && p.deletion.is_none() {
                ready += 1;
            }
        }
    }
    (ready, all)
}

/// What `Scale` chose, in words.
fn reason_text(r: ScaleReason) -> &'static str {
    match r {
        ScaleReason::NoData => "no data",
        ScaleReason::Stable => "stable window average",
        ScaleReason::ScaleUpRateLimited => "limited by max-scale-up-rate",
        ScaleReason::ScaleDownRateLimited => "limited by max-scale-down-rate",
        ScaleReason::ActivationScale => "activation-scale",
        ScaleReason::Panic | ScaleReason::PanicHold => "panic mode",
        ScaleReason::ScaleDownDelayed => "held by scale-down-delay",
    }
}

/// What one reconcile of a PodAutoscaler decides (`scaler.scale`), before it is written.
#[derive(Debug, Clone, PartialEq)]
struct Plan {
    /// The PA's desired scale (-1: unknown).
    want: i32,
    /// The scale to write and why, when it differs from the Deployment's.
    write: Option<(i32, String)>,
    /// When to look at the PA again (`EnqueueAfter`).
    requeue: Option<SimDuration>,
}

/// `scaler.scale`: the decider's count within min-scale (raised to the initial scale until
/// it was reached), max-scale and the last-pod rules, against the Deployment's `current`
/// replicas.
fn plan(rev: &Revision, config: &KpaConfig, current: i32, now: SimTime) -> Plan {
    let activating = matches!(rev.activity, Activity::Activating { .. });
    if rev.decided < 0 && !activating {
        // Metrics are not being collected yet: nothing to apply.
        return Plan {
            want: rev.decided,
            write: None,
            requeue: None,
        };
    }
    let mut min = rev.min_scale;
    let initial_applies = rev.initial_scale > 1 && !rev.initialized;
    if initial_applies {
        min = min.max(rev.initial_scale);
    }
    let bounded = apply_bounds(min, rev.max_scale, rev.decided);
    let grace = config.scale_to_zero_grace_period;
    let step = handle_scale_to_zero(
        bounded,
        &LastPodInputs {
            enable_scale_to_zero: config.enable_scale_to_zero,
            stable_window: rev.spec.stable_window,
            grace_period: grace,
            pod_retention: rev.retention,
            activation_timeout: ACTIVATION_TIMEOUT,
            activity: rev.activity,
            proxy_since: rev.proxy_since,
        },
        now,
    );
    let (want, apply, requeue) = match step {
        LastPodStep::Scale(n) => (n, true, None),
        LastPodStep::KeepOne { requeue_after } => (1, true, Some(requeue_after)),
        // Marked inactive below (`computeActiveCondition` on a want of 0); with the
        // activator already in the path nothing else would wake the PA.
        LastPodStep::MarkInactive => (0, false, rev.proxy_since.map(|_| PROXY_REQUEUE)),
        LastPodStep::Wait { requeue_after } => (0, false, Some(requeue_after.unwrap_or(PROBE_REQUEUE))),
        LastPodStep::Hold { requeue_after } => (0, false, Some(requeue_after)),
        LastPodStep::Activating { requeue_after } => (-1, false, Some(requeue_after)),
    };
    if !apply || want == current {
        return Plan {
            want,
            write: None,
            requeue,
        };
    }
    let why = match step {
        LastPodStep::Scale(0) if activating => format!("activation timed out after {ACTIVATION_TIMEOUT}"),
        LastPodStep::Scale(0) if rev.retention > grace => {
            format!("scale to zero after the pod retention period {}", rev.retention)
        }
        LastPodStep::Scale(0) => format!("scale to zero after the grace period {grace}"),
        LastPodStep::Scale(1) if !config.enable_scale_to_zero && bounded == 0 => {
            "enable-scale-to-zero is off: one pod stays".to_string()
        }
        LastPodStep::KeepOne { .. } => {
            "no traffic: the last pod stays until the revision has been active a stable window".to_string()
        }
        _ if bounded != rev.decided && rev.decided < min => {
            if initial_applies && rev.initial_scale >= rev.min_scale {
                format!("initial-scale {}", rev.initial_scale)
            } else {
                format!("min-scale {}", rev.min_scale)
            }
        }
        _ if bounded != rev.decided => format!("max-scale {}", rev.max_scale),
        _ => rev.observed.map_or("no data", |(_, _, r)| reason_text(r)).to_string(),
    };
    let reason = if current == 0 && want > 0 {
        format!("activation from zero: {why}")
    } else {
        why
    };
    Plan {
        want,
        write: Some((want, reason)),
        requeue,
    }
}

/// Knative's autoscaler: the KPA's PodAutoscalers of the Serverless predictors, their
/// deciders and their metric collection.
#[derive(Default)]
pub(crate) struct KnativeAutoscaler {
    config: KpaConfig,
    revisions: BTreeMap<ObjectKey, Revision>,
    /// Revisions whose annotations Knative would refuse (told once).
    refused: BTreeSet<ObjectKey>,
    queue: WorkQueue<ObjectKey>,
    /// The next scrape, while one is scheduled.
    scrape_at: Option<SimTime>,
}

impl Component for KnativeAutoscaler {
    fn on_change(&mut self, cx: &mut Cx, change: &Change) -> Vec<Action> {
        let store = cx.store;
        let pod_change = matches!(
            change,
            Change::PodReady(_)
                | Change::PodReadyAgain(_)
                | Change::PodNotReady(_)
                | Change::PodTerminating(_)
                | Change::PodRemoved { .. }
        );
        if pod_change && self.revisions.is_empty() {
            // A fleet without Serverless predictors pays nothing per pod change.
            return Vec::new();
        }
        let key = match change {
            Change::InferenceService(key)
            | Change::PredictorChanged { isvc: key }
            | Change::InferenceServiceDeleted { key, .. } => key.clone(),
            // A predictor Deployment appearing starts its PodAutoscaler; later changes of
            // the Deployment are not watched (Knative watches the revision's pods).
            Change::Deployment(id) => match store.deployments.get(*id).and_then(|d| {
                d.owner_isvc
                    .as_ref()
                    .map(|o| ObjectKey::new(d.namespace.as_str(), o.as_str()))
            }) {
                Some(k) if !self.revisions.contains_key(&k) => k,
                _ => return Vec::new(),
            },
            Change::PodReady(id) | Change::PodReadyAgain(id) | Change::PodNotReady(id) | Change::PodTerminating(id) => {
                if let Some(k) = store.pods.get(*id).and_then(|p| {
                    p.labels
                        .get(ISVC_LABEL)
                        .map(|n| ObjectKey::new(p.namespace.as_str(), n.as_str()))
                }) {
                    if self.revisions.contains_key(&k) {
                        self.queue.add(k);
                    }
                }
                return Vec::new();
            }
            Change::PodRemoved { pod, .. } => {
                if let Some(n) = pod.labels.get(ISVC_LABEL) {
                    let k = ObjectKey::new(pod.namespace.as_str(), n.as_str());
                    if self.revisions.contains_key(&k) {
                        self.queue.add(k);
                    }
                }
                return Vec::new();
            }
            _ => return Vec::new(),
        };
        self.sync(cx, key)
    }

    fn reconcile_next(&mut self, cx: &mut Cx) -> Option<Vec<Action>> {
        let key = self.queue.pop()?;
        Some(self.reconcile(cx, &key))
    }
}

impl KnativeAutoscaler {
    /// Starts, updates or ends the PodAutoscaler of an InferenceService's predictor: one
    /// exists while the InferenceService is Serverless with the KPA class and its
    /// predictor Deployment exists.
    fn sync(&mut self, cx: &mut Cx, key: ObjectKey) -> Vec<Action> {
        let store = cx.store;
        let found = store
            .isvcs
            .get(&key)
            .filter(|s| s.isvc.knative_class() == Some(KnativeClass::Kpa))
            .filter(|_| store.deployment(&key.namespace, &predictor_name(&key.name)).is_some());
        let Some(state) = found else {
            self.revisions.remove(&key);
            self.refused.remove(&key);
            return Vec::new();
        };
        let runtime = resolve_runtime(store, &key.namespace, &state.isvc).map(|r| &r.meta.annotations);
        let annotations = state.isvc.revision_annotations(runtime);
        let now = cx.now();
        if self.revisions.get(&key).is_some_and(|r| r.annotations == annotations) {
            self.queue.add(key);
            return Vec::new();
        }
        let anns = match parse_annotations(&self.config, &annotations) {
            Ok(a) => a,
            Err(e) => {
                // Only the runtime's annotations can get here: the InferenceService's are
                // checked at load.
                if self.refused.insert(key.clone()) {
                    return vec![Action::Event(LogEvent {
                        t: now,
                        kind: "InternalError".into(),
                        object: format!("PodAutoscaler {}/{}", key.namespace, predictor_name(&key.name)),
                        message: format!("the revision's annotations are refused: {e}"),
                    })];
                }
                return Vec::new();
            }
        };
        self.refused.remove(&key);
        match self.revisions.get_mut(&key) {
            Some(rev) => {
                rev.annotations = annotations;
                rev.anns = anns;
                rev.configure(&self.config);
            }
            None => {
                self.revisions
                    .insert(key.clone(), Revision::new(&self.config, annotations, anns, now));
            }
        }
        self.wake(cx, &key);
        self.queue.add(key);
        Vec::new()
    }

    /// Keeps a revision's decider ticking and the collector scraping.
    fn wake(&mut self, cx: &mut Cx, key: &ObjectKey) {
        let now = cx.now();
        let Some(rev) = self.revisions.get_mut(key) else {
            return;
        };
        if rev.tick_at.is_none() {
            let at = now + TICK_INTERVAL;
            rev.tick_at = Some(at);
            cx.at(at, Timer::Knative(KnativeTimer::Tick(key.clone())));
        }
        if self.scrape_at.is_none() {
            // On the next whole second, so revisions share their scrapes.
            let at = SimTime((now.0 / SCRAPE_INTERVAL.0 + 1) * SCRAPE_INTERVAL.0);
            self.scrape_at = Some(at);
            cx.at(at, Timer::Knative(KnativeTimer::Scrape));
        }
    }

    /// Whether a revision has nothing to decide: at zero, no pod, no data left (then its
    /// ticks and scrapes stop until a poke or a reconcile).
    fn idle(rev: &Revision, d: &Deployment, pods: i32, now: SimTime) -> bool {
        rev.decided == 0
            && d.spec.replicas == 0
            && pods == 0
            && rev.concurrency.stable_and_panic(now).is_none()
            && rev.rps.stable_and_panic(now).is_none()
    }

    pub(crate) fn on_timer(&mut self, cx: &mut Cx, timer: KnativeTimer) -> Vec<Action> {
        match timer {
            // Reaches here only without stats (a driver that serves nothing).
            KnativeTimer::Scrape => self.on_scrape(cx, &[], &[]),
            KnativeTimer::Tick(key) => {
                let now = cx.now();
                if self.revisions.get(&key).and_then(|r| r.tick_at) != Some(now) {
                    return Vec::new();
                }
                self.tick(cx.store, &key, now);
                let Some(rev) = self.revisions.get_mut(&key) else {
                    return Vec::new();
                };
                rev.tick_at = None;
                let asleep = cx
                    .store
                    .deployment(&key.namespace, &predictor_name(&key.name))
                    .is_none_or(|d| Self::idle(rev, d, pod_counts(cx.store, d).1, now));
                if !asleep {
                    self.wake(cx, &key);
                }
                Vec::new()
            }
            KnativeTimer::Requeue(key) => {
                if self.revisions.contains_key(&key) {
                    self.queue.add(key);
                }
                Vec::new()
            }
            KnativeTimer::Poke(key) => {
                let now = cx.now();
                let Some(rev) = self.revisions.get_mut(&key) else {
                    return Vec::new();
                };
                rev.poke_at = None;
                if rev.decided != 0 {
                    return Vec::new();
                }
                // The activator's first-request stat: concurrency 1, one request.
                rev.record(now, 1.0, 1.0);
                rev.first_adj = 1.0;
                self.tick(cx.store, &key, now);
                self.wake(cx, &key);
                Vec::new()
            }
        }
    }

    /// The revisions the collector scrapes now (none if this is not the scheduled scrape).
    pub(crate) fn scrape_targets(&self, now: SimTime) -> Vec<ObjectKey> {
        if self.scrape_at != Some(now) {
            return Vec::new();
        }
        self.revisions
            .iter()
            .filter(|(_, r)| r.tick_at.is_some())
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// A scrape's stats, one per target of `scrape_targets`, recorded as the collector
    /// does: the ready pods' count (when there are any to scrape) and the activator's.
    pub(crate) fn on_scrape(&mut self, cx: &mut Cx, targets: &[ObjectKey], stats: &[RevisionStat]) -> Vec<Action> {
        let now = cx.now();
        if self.scrape_at != Some(now) {
            return Vec::new();
        }
        self.scrape_at = None;
        for (key, stat) in targets.iter().zip(stats) {
            let Some(rev) = self.revisions.get_mut(key) else {
                continue;
            };
            let Some(d) = cx.store.deployment(&key.namespace, &predictor_name(&key.name)) else {
                continue;
            };
            let (ready, _) = pod_counts(cx.store, d);
            let rps = match rev.last_arrived {
                Some((t, n)) if now > t => stat.arrived.saturating_sub(n) as f64 / now.since(t).as_secs_f64(),
                _ => 0.0,
            };
            rev.last_arrived = Some((now, stat.arrived));
            // The activator's report takes off the first request it already reported.
            let held = (stat.held as f64 - rev.first_adj).max(0.0);
            let rps = (rps - rev.first_adj).max(0.0);
            rev.first_adj = 0.0;
            let on_replicas = if ready > 0 { stat.on_replicas as f64 } else { 0.0 };
            if ready > 0 || held > 0.0 {
                rev.record(now, on_replicas + held, rps);
            }
        }
        if self.revisions.values().any(|r| r.tick_at.is_some()) {
            let at = now + SCRAPE_INTERVAL;
            self.scrape_at = Some(at);
            cx.at(at, Timer::Knative(KnativeTimer::Scrape));
        }
        Vec::new()
    }

    /// The revisions whose decider wants zero and that wait for the activator's poke at
    /// their next request.
    pub(crate) fn awaiting_poke(&self) -> Vec<ObjectKey> {
        self.revisions
            .iter()
            .filter(|(_, r)| r.decided == 0 && r.poke_at.is_none())
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The poke for `key` is scheduled at `at`.
    pub(crate) fn poke_scheduled(&mut self, key: &ObjectKey, at: SimTime) {
        if let Some(r) = self.revisions.get_mut(key) {
            r.poke_at = Some(at);
        }
    }

    /// The multiscaler's tick: `Scale` over the windows; a changed decision (or a change
    /// of the excess burst capacity's sign) enqueues the PodAutoscaler.
    fn tick(&mut self, store: &Store, key: &ObjectKey, now: SimTime) {
        let Some(rev) = self.revisions.get_mut(key) else {
            return;
        };
        let Some(d) = store.deployment(&key.namespace, &predictor_name(&key.name)) else {
            return;
        };
        let (ready, _) = pod_counts(store, d);
        let observed = rev.windows().stable_and_panic(now);
        let r = scale(&rev.spec, &mut rev.state, ready.max(0) as u32, observed, now);
        if !r.scale_valid {
            return;
        }
        if let Some((stable, panic)) = observed {
            rev.observed = Some((stable, panic, r.reason));
        }
        let changed = rev.decided != r.desired_pod_count || (rev.ebc < 0) != (r.excess_burst_capacity < 0);
        rev.decided = r.desired_pod_count;
        rev.ebc = r.excess_burst_capacity;
        if changed {
            self.queue.add(key.clone());
        }
    }

    /// The KPA reconciler: the decision within the bounds and the last-pod rules, the
    /// scale written when it differs, the SKS mode, the `Active` condition.
    fn reconcile(&mut self, cx: &mut Cx, key: &ObjectKey) -> Vec<Action> {
        let store = cx.store;
        let now = cx.now();
        let config = &self.config;
        let Some(rev) = self.revisions.get_mut(key) else {
            return Vec::new();
        };
        let name = predictor_name(&key.name);
        let Some(d) = store.deployment(&key.namespace, &name) else {
            return Vec::new();
        };
        let (ready, pods) = pod_counts(store, d);
        let current = d.spec.replicas;
        let Plan {
            want,
            write,
            mut requeue,
        } = plan(rev, config, current, now);
        let mut out = Vec::new();
        if let Some((scale_to, reason)) = write {
            out.push(Action::ScaleDeployment {
                id: d.uid,
                replicas: scale_to,
            });
            out.push(Action::Autoscaling(AutoscalingWrite::Decision(ScalingDecision {
                t: now,
                autoscaler_kind: "KnativePodAutoscaler",
                autoscaler: format!("{}/{}", key.namespace, name),
                target: format!("{}/{}", key.namespace, name),
                from: current,
                to: scale_to,
                metric: rev.metric_text(),
                reason,
            })));
        }
        // The ServerlessService: the activator leaves the path only for a revision that
        // wants pods and has burst capacity to spare.
        let proxy = !(want > 0 && rev.ebc >= 0);
        match (proxy, rev.proxy_since) {
            (true, None) => {
                rev.proxy_since = Some(now);
                // The SKS's change enqueues the PA again once networking has it.
                requeue = Some(requeue.map_or(PROBE_REQUEUE, |r| r.min(PROBE_REQUEUE)));
            }
            (false, Some(_)) => rev.proxy_since = None,
            _ => {}
        }
        // `computeStatus`: an unknown scale keeps the last known desired scale.
        if !(want == -1 && rev.want >= 0) {
            rev.want = want;
        }
        compute_active(rev, want, ready, now);
        if let Some(after) = requeue {
            cx.after(after, Timer::Knative(KnativeTimer::Requeue(key.clone())));
        }
        let scaled_to = out.iter().find_map(|a| match a {
            Action::ScaleDeployment { replicas, .. } => Some(*replicas),
            _ => None,
        });
        if scaled_to.unwrap_or(current) != 0 || !Self::idle(rev, d, pods, now) {
            self.wake(cx, key);
        }
        out
    }
}

#[cfg(test)]
mod tests;
