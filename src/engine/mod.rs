//! The engine: the event kernel, the store, the API server that writes it, and the
//! components of the control plane, run in one loop of integer simulated time.
//!
//! At each instant the due events are handled in the order they were scheduled; every
//! write goes through the API server (`apply`), whose changes go at once to the components
//! that watch them (`react`); then the components' work queues are drained (`settle`) until
//! nothing is left to do. A timeline command sees everything that happened before it at
//! its instant, and what follows it sees its effects.

pub(crate) mod action;
pub(crate) mod change;
pub(crate) mod components;
pub(crate) mod kernel;

use crate::api::kueue::KueueConfig;
use crate::apiserver::ApiServer;
use crate::catalog::Catalog;
use crate::cluster::kubelet::Kubelet;
use crate::cluster::scheduler::KubeScheduler;
use crate::kueue::Kueue;
use crate::store::Store;
use crate::units::{SimDuration, SimTime};
use action::Action;
use change::Change;
use components::{Components, Cx, Event, RECONCILE_ORDER};
use kernel::Kernel;
use std::sync::Arc;

/// Reconciles allowed within one instant before the run is called a livelock: a base, and
/// a share per object in the store, far more than any fleet needs (about ten per pod
/// created). It grows with the cluster so a large fleet applied at one instant is never
/// cut short, and stays small enough that a livelock, which logs an event or two per
/// round, ends with an error long before its event log fills memory.
const SETTLE_BASE: u64 = 500_000;
const SETTLE_PER_OBJECT: u64 = 200;

/// Why a run could not go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// Controllers kept answering each other within one instant.
    #[error(
        "the controllers did not settle at {at}: {reconciles} reconciles within one instant, the last by {component}; \
         two controllers are undoing each other's writes"
    )]
    DidNotSettle {
        at: SimTime,
        reconciles: u64,
        component: &'static str,
    },
    /// A paced run's pacer stopped it (Ctrl-C during a rehearsal).
    #[error("the run was stopped at {at}")]
    Stopped { at: SimTime },
}

/// How a run's control plane is configured.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) seed: u64,
    pub(crate) kueue: KueueConfig,
    /// How long a Job's pods run when it does not say.
    pub(crate) job_run_time: SimDuration,
    /// The instance types and model cards of the run: the bundled catalog with the
    /// user's laid over it, shared with the scenario that prepared it.
    pub(crate) catalog: Arc<Catalog>,
    /// Events the log keeps from the start however many it drops later (the report's
    /// `--report-limit`).
    pub(crate) keep_first_events: usize,
}

/// What drives a run from outside the cluster: the scenario's timeline and observers.
pub(crate) trait Driver {
    /// Called before the events of instant `t` are handled, the clock still at the last
    /// instant: the world outside the control plane (the requests) catches up to `t`.
    fn before_instant(&mut self, _engine: &mut Engine, _t: SimTime) {}
    /// Called with the next instant before anything of it is handled, everything before
    /// it done and the clock still at the last instant. A paced rehearsal waits here for
    /// the wall clock; it may schedule what was typed meanwhile and answer `Again` (the
    /// next instant is picked anew), or stop the run where it stands.
    fn ahead(&mut self, _engine: &mut Engine, _next: SimTime) -> Result<Ahead, RunError> {
        Ok(Ahead::Go)
    }
    fn on_timeline(&mut self, engine: &mut Engine, index: usize) -> Result<(), RunError>;
    /// Called once the instant `engine.now()` has settled.
    fn after_instant(&mut self, engine: &Engine);
    /// Prometheus scrapes what the driver serves, into `engine`'s store of samples.
    fn scrape(&mut self, _engine: &mut Engine) {}
    /// Knative's collector scrapes these Serverless services (by InferenceService): one
    /// stat each, in order. A driver that serves nothing reports nothing in flight.
    fn revision_stats(
        &mut self,
        services: &[crate::store::ObjectKey],
    ) -> Vec<crate::controllers::knative::RevisionStat> {
        vec![Default::default(); services.len()]
    }
    /// When the service's next request arrives (seconds), if one will: the activator's
    /// poke of a revision at zero is scheduled for it.
    fn next_arrival(&mut self, _service: &crate::store::ObjectKey) -> Option<f64> {
        None
    }
}

/// What a driver wants before the next instant (see [`Driver::ahead`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ahead {
    Go,
    Again,
    Stop,
}

pub struct Engine {
    kernel: Kernel<Event>,
    store: Store,
    /// Prometheus: what has been scraped, for the autoscalers' queries.
    prometheus: crate::monitoring::tsdb::Tsdb,
    /// The scrape interval once scraping started.
    scrape_every: Option<SimDuration>,
    api: ApiServer,
    components: Components,
    /// Reconciles allowed within one instant, when a test sets it lower than the
    /// store's budget (`SETTLE_BASE` + `SETTLE_PER_OBJECT` per object).
    settle_limit: Option<u64>,
}

impl Engine {
    pub(crate) fn new(config: Config) -> Engine {
        let mut store = Store::new(config.catalog);
        store.events = crate::store::EventLog::keeping_first(config.keep_first_events);
        Engine {
            kernel: Kernel::default(),
            store,
            prometheus: crate::monitoring::tsdb::Tsdb::new(),
            scrape_every: None,
            api: ApiServer::new(config.seed, config.job_run_time),
            components: Components {
                kueue: Kueue::new(config.kueue),
                kube_scheduler: KubeScheduler::new(config.seed),
                ..Components::default()
            },
            settle_limit: None,
        }
    }

    pub fn now(&self) -> SimTime {
        self.kernel.now()
    }

    /// The cluster as it stands.
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn kueue(&self) -> &Kueue {
        &self.components.kueue
    }

    pub(crate) fn kubelet(&self) -> &Kubelet {
        &self.components.kubelet
    }

    /// What the simulator noticed about its input while running it.
    pub fn warnings(&self) -> &[String] {
        &self.api.warnings
    }

    pub(crate) fn warn(&mut self, warning: String) {
        self.api.warnings.push(warning);
    }

    /// Hands the run's faults to the injector, each struck at its time.
    /// Those due now strike at once, so that a fault from the start is in force before
    /// the first pod is created.
    pub(crate) fn inject_faults(&mut self, plan: Vec<crate::faults::Fault>) {
        let times: Vec<SimTime> = plan.iter().map(|f| f.at).collect();
        self.components.faults = crate::faults::injector::FaultInjector::new(plan);
        for (i, at) in times.into_iter().enumerate() {
            let begin = components::Timer::Faults(crate::faults::injector::FaultTimer::Begin(i));
            if at <= self.now() {
                let actions = {
                    let mut cx = Cx::new(&self.store, &self.prometheus, &mut self.kernel);
                    self.components.on_timer(&mut cx, begin)
                };
                for a in actions {
                    self.apply(a);
                }
            } else {
                self.kernel.schedule_at(at, Event::Component(begin));
            }
        }
    }

    /// Prometheus' samples, for the scraper to write.
    pub(crate) fn prometheus_mut(&mut self) -> &mut crate::monitoring::tsdb::Tsdb {
        &mut self.prometheus
    }

    /// Scrapes every `interval` from now on (the first scrape one interval from now, as
    /// a target is scraped once it has been discovered).
    pub(crate) fn start_scraping(&mut self, interval: SimDuration) {
        self.scrape_every = Some(interval);
        self.kernel.schedule_in(interval, Event::Scrape);
    }

    pub(crate) fn schedule_at(&mut self, t: SimTime, event: Event) {
        self.kernel.schedule_at(t, event);
    }

    /// Schedules the driver's timeline entry `index` at `t`: ahead of the timers of that
    /// instant, after the entries scheduled there before it.
    pub(crate) fn schedule_command(&mut self, t: SimTime, index: usize) {
        self.kernel.schedule_command_at(t, Event::Timeline(index));
    }

    /// A write from outside the control plane (the scenario's objects, a timeline
    /// command), applied with everything it sets off at once.
    pub(crate) fn submit(&mut self, action: Action) {
        self.apply(action);
    }

    /// The one write path: the API server applies the action, and each change goes to
    /// its watchers, whose own writes are applied before the next watcher sees it.
    fn apply(&mut self, action: Action) {
        for change in self.api.apply(&mut self.store, action) {
            self.react(change);
        }
    }

    fn react(&mut self, change: Change) {
        for name in components::watchers(change.kind()) {
            let actions = {
                let mut cx = Cx::new(&self.store, &self.prometheus, &mut self.kernel);
                self.components.get(name).on_change(&mut cx, &change)
            };
            for a in actions {
                self.apply(a);
            }
        }
    }

    /// Drains every component's work queue until nothing is left to do.
    pub(crate) fn settle(&mut self) -> Result<(), RunError> {
        let mut reconciles: u64 = 0;
        let limit = self.settle_limit.unwrap_or_else(|| {
            let s = &self.store;
            let objects = s.nodes.len() + s.pods.len() + s.workloads.len() + s.jobs.len() + s.deployments.len();
            SETTLE_BASE + SETTLE_PER_OBJECT * objects as u64
        });
        'drain: loop {
            for &name in RECONCILE_ORDER {
                let work = {
                    let mut cx = Cx::new(&self.store, &self.prometheus, &mut self.kernel);
                    self.components.get(name).reconcile_next(&mut cx)
                };
                let Some(actions) = work else { continue };
                reconciles += 1;
                if reconciles > limit {
                    return Err(RunError::DidNotSettle {
                        at: self.now(),
                        reconciles,
                        component: name.label(),
                    });
                }
                for a in actions {
                    self.apply(a);
                }
                continue 'drain;
            }
            return Ok(());
        }
    }

    /// Runs until the event queue is empty or the next event is past `until`; the clock
    /// then stands at `until`. When the driver stops it, the clock stays at the last
    /// instant handled.
    pub(crate) fn run(&mut self, until: SimTime, driver: &mut dyn Driver) -> Result<(), RunError> {
        self.settle()?;
        driver.after_instant(self);
        while let Some(t) = self.kernel.next_instant() {
            if t > until {
                break;
            }
            match driver.ahead(self, t)? {
                Ahead::Go => {}
                Ahead::Again => continue,
                Ahead::Stop => return Ok(()),
            }
            driver.before_instant(self, t);
            self.advance_to(t);
            while let Some(event) = self.kernel.pop_due() {
                let is_command = matches!(event, Event::Timeline(_));
                if is_command {
                    // A command sees everything that happened before it at this instant.
                    self.settle()?;
                }
                self.handle(event, driver)?;
                if is_command {
                    self.settle()?;
                }
            }
            // Other events of one instant (pods becoming ready together) are reconciled
            // as one batch, as controllers' work queues coalesce them.
            self.settle()?;
            driver.after_instant(self);
            self.schedule_pokes(driver);
        }
        self.advance_to(until);
        Ok(())
    }

    /// Knative's activator pokes a revision whose decider wants zero as soon as a request
    /// for it arrives: the engine wakes at that request's arrival (not at every request,
    /// and only for such revisions).
    fn schedule_pokes(&mut self, driver: &mut dyn Driver) {
        for key in self.components.knative.awaiting_poke() {
            let Some(t) = driver.next_arrival(&key) else { continue };
            let at = SimTime((t * 1000.0).ceil().max(0.0) as u64).max(self.now() + SimDuration(1));
            self.components.knative.poke_scheduled(&key, at);
            self.kernel.schedule_at(
                at,
                Event::Component(components::Timer::Knative(
                    crate::controllers::knative::KnativeTimer::Poke(key),
                )),
            );
        }
    }

    fn advance_to(&mut self, t: SimTime) {
        self.kernel.advance_to(t);
        self.store.now = self.kernel.now();
    }

    fn handle(&mut self, event: Event, driver: &mut dyn Driver) -> Result<(), RunError> {
        use crate::controllers::knative::KnativeTimer;
        if let Event::Component(components::Timer::Knative(KnativeTimer::Scrape)) = event {
            // Knative's collector reads the serving side (the queue-proxies, the
            // activator) through the driver.
            let targets = self.components.knative.scrape_targets(self.now());
            let stats = if targets.is_empty() {
                Vec::new()
            } else {
                driver.revision_stats(&targets)
            };
            let actions = {
                let mut cx = Cx::new(&self.store, &self.prometheus, &mut self.kernel);
                self.components.knative.on_scrape(&mut cx, &targets, &stats)
            };
            for a in actions {
                self.apply(a);
            }
            return Ok(());
        }
        let actions = {
            let mut cx = Cx::new(&self.store, &self.prometheus, &mut self.kernel);
            match event {
                Event::Timeline(i) => return driver.on_timeline(self, i),
                Event::Checkpoint => Vec::new(),
                Event::Scrape => {
                    driver.scrape(self);
                    if let Some(every) = self.scrape_every {
                        self.kernel.schedule_in(every, Event::Scrape);
                    }
                    return Ok(());
                }
                Event::Component(timer) => self.components.on_timer(&mut cx, timer),
            }
        };
        for a in actions {
            self.apply(a);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::apps::{DeploymentSpec, Strategy};
    use crate::api::core::PodTemplate;
    use crate::api::meta::ObjectMeta;
    use crate::manifest::error::Loc;
    use crate::manifest::objects::Object;

    struct Idle;
    impl Driver for Idle {
        fn on_timeline(&mut self, _: &mut Engine, _: usize) -> Result<(), RunError> {
            Ok(())
        }
        fn after_instant(&mut self, _: &Engine) {}
    }

    fn deployment(replicas: i32) -> Object {
        Object::Deployment {
            namespace: "ns".into(),
            deployment: crate::api::apps::DeploymentObject {
                meta: ObjectMeta {
                    name: "web".into(),
                    ..Default::default()
                },
                spec: DeploymentSpec {
                    replicas,
                    selector: Default::default(),
                    template: PodTemplate::default(),
                    strategy: Strategy::DEFAULT_ROLLING,
                    min_ready_seconds: 0,
                    paused: false,
                },
            },
            loc: Loc::new("test.yaml".into(), 1, 1),
        }
    }

    fn engine() -> Engine {
        Engine::new(Config {
            seed: 1,
            kueue: KueueConfig::default(),
            job_run_time: SimDuration::from_secs(60),
            catalog: Arc::new(Catalog::bundled()),
            keep_first_events: 1000,
        })
    }

    #[test]
    fn a_run_that_does_not_settle_is_an_error_naming_the_instant_and_the_component() {
        let mut e = engine();
        e.settle_limit = Some(3);
        e.submit(Action::Apply {
            object: Box::new(deployment(5)),
            manifest: None,
        });
        let err = e.run(SimTime(1000), &mut Idle).unwrap_err();
        let RunError::DidNotSettle { at, reconciles, .. } = &err else {
            panic!("expected DidNotSettle, got {err}");
        };
        assert_eq!((*at, *reconciles), (SimTime::ZERO, 4));
        assert!(
            err.to_string()
                .starts_with("the controllers did not settle at 00:00:00: 4 reconciles"),
            "{err}"
        );
    }

    #[test]
    fn a_settled_instant_leaves_every_queue_empty() {
        let mut e = engine();
        e.submit(Action::Apply {
            object: Box::new(deployment(3)),
            manifest: None,
        });
        e.run(SimTime(1000), &mut Idle).unwrap();
        // Three pods, created by the ReplicaSet the Deployment controller made.
        assert_eq!(e.store().pods.len(), 3);
        assert_eq!(e.store().replicasets.len(), 1);
        assert_eq!(e.now(), SimTime(1000));
    }
}
