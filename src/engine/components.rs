//! Every component of the simulated control plane, in one place: who they are, which
//! changes each watches (as controller-runtime's `Watches` declare it), the order the
//! engine drains their work queues in, and whose timers are whose. A new component (an
//! autoscaler, say) is a module with its state and a `Component` impl, plus a line in each
//! table here, and its timer in `Timer`.

use super::action::Action;
use super::change::{Change, ChangeKind};
use super::kernel::Kernel;
use crate::cluster::kubelet::{Kubelet, KubeletTimer};
use crate::cluster::scheduler::KubeScheduler;
use crate::controllers::deployment::DeploymentController;
use crate::controllers::garbagecollector::GarbageCollector;
use crate::controllers::inferenceservice::InferenceServiceController;
use crate::controllers::job::JobController;
use crate::controllers::keda::{KedaOperator, KedaPoll};
use crate::controllers::knative::{KnativeAutoscaler, KnativeTimer};
use crate::controllers::leaderworkerset::LeaderWorkerSetController;
use crate::controllers::nodelifecycle::{CloudCheck, CloudNodeLifecycleController, GraceOver, NodeLifecycleController};
use crate::controllers::podautoscaler::{HorizontalPodAutoscalerController, HpaSync};
use crate::controllers::podgc::{GcRound, PodGarbageCollector};
use crate::controllers::replicaset::ReplicaSetController;
use crate::controllers::tainteviction::{EvictionDue, TaintEvictionController};
use crate::faults::injector::{FaultInjector, FaultTimer};
use crate::kueue::{Kueue, KueueTimer};
use crate::store::{DeploymentId, Store};
use crate::units::{SimDuration, SimTime};

/// What a component reads and what it may do besides asking for writes: set timers.
pub(crate) struct Cx<'a> {
    pub(crate) store: &'a Store,
    /// What Prometheus has scraped (the autoscalers' only view of the serving pods).
    pub(crate) metrics: &'a crate::monitoring::tsdb::Tsdb,
    timers: &'a mut Kernel<Event>,
}

impl<'a> Cx<'a> {
    pub(crate) fn new(
        store: &'a Store,
        metrics: &'a crate::monitoring::tsdb::Tsdb,
        timers: &'a mut Kernel<Event>,
    ) -> Cx<'a> {
        Cx { store, metrics, timers }
    }
    pub(crate) fn now(&self) -> SimTime {
        self.timers.now()
    }
    /// Wakes the component again after `d` with `timer`.
    pub(crate) fn after(&mut self, d: SimDuration, timer: Timer) {
        self.timers.schedule_in(d, Event::Component(timer));
    }
    /// Wakes the component again at `t` (now, if `t` is past) with `timer`.
    pub(crate) fn at(&mut self, t: SimTime, timer: Timer) {
        self.timers.schedule_at(t, Event::Component(timer));
    }
}

/// A part of the control plane with its own state. It reads the store, never writes it:
/// what it wants written it returns as actions, applied in order right after it returns.
pub(crate) trait Component {
    /// Reacts to a change it watches, as an informer's event handler does: queues work,
    /// updates its own caches, and may ask for writes at once.
    fn on_change(&mut self, cx: &mut Cx, change: &Change) -> Vec<Action>;

    /// Runs one queued reconcile; `None` when it has nothing to do.
    fn reconcile_next(&mut self, _cx: &mut Cx) -> Option<Vec<Action>> {
        None
    }
}

/// Timed events: the scenario's, and the components' timers.
#[derive(Debug, Clone)]
pub(crate) enum Event {
    /// The scenario's timeline entry with this index.
    Timeline(usize),
    /// A scenario checkpoint (an `at:` expectation): nothing happens but an observation.
    Checkpoint,
    /// Prometheus scrapes the serving pods (the driver's world), every scrape interval.
    Scrape,
    Component(Timer),
}

/// A component's timer, routed back to it when due.
#[derive(Debug, Clone)]
pub(crate) enum Timer {
    Kubelet(KubeletTimer),
    /// A Deployment's pod has now been Ready for minReadySeconds.
    Deployment(DeploymentId),
    Kueue(KueueTimer),
    NodeLifecycle(GraceOver),
    CloudNodeLifecycle(CloudCheck),
    TaintEviction(EvictionDue),
    PodGc(GcRound),
    Faults(FaultTimer),
    /// An HPA's sync period is over.
    Hpa(HpaSync),
    /// A ScaledObject's polling interval is over.
    Keda(KedaPoll),
    /// Knative's autoscaler: its collector's scrape, a decider's tick, a re-enqueued
    /// PodAutoscaler, the activator's poke.
    Knative(KnativeTimer),
}

/// The components, each owning its state.
#[derive(Default)]
pub(crate) struct Components {
    pub(crate) inference_services: InferenceServiceController,
    pub(crate) deployments: DeploymentController,
    pub(crate) replica_sets: ReplicaSetController,
    pub(crate) jobs: JobController,
    pub(crate) frameworks: crate::controllers::frameworks::FrameworkController,
    pub(crate) leader_worker_sets: LeaderWorkerSetController,
    pub(crate) kueue: Kueue,
    pub(crate) kube_scheduler: KubeScheduler,
    pub(crate) kubelet: Kubelet,
    pub(crate) garbage_collector: GarbageCollector,
    pub(crate) node_lifecycle: NodeLifecycleController,
    pub(crate) cloud_node_lifecycle: CloudNodeLifecycleController,
    pub(crate) taint_eviction: TaintEvictionController,
    pub(crate) pod_gc: PodGarbageCollector,
    pub(crate) horizontal_pod_autoscaler: HorizontalPodAutoscalerController,
    pub(crate) keda: KedaOperator,
    pub(crate) knative: KnativeAutoscaler,
    /// Not a controller: the world outside the cluster failing on schedule.
    pub(crate) faults: FaultInjector,
}

/// A component's name in the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Name {
    InferenceServices,
    Deployments,
    ReplicaSets,
    Jobs,
    Frameworks,
    LeaderWorkerSets,
    Kueue,
    KubeScheduler,
    Kubelet,
    GarbageCollector,
    NodeLifecycle,
    CloudNodeLifecycle,
    TaintEviction,
    PodGc,
    HorizontalPodAutoscaler,
    Keda,
    Knative,
}

/// Who watches which changes. A change goes to its watchers in this table's order, each
/// one's writes applied before the next sees it, so the kubelet's and Kueue's immediate
/// reactions come before the controllers merely queue work.
pub(crate) const WATCHES: &[(Name, &[ChangeKind])] = {
    use ChangeKind as K;
    &[
        (
            Name::Kubelet,
            &[
                K::PodBound,
                K::PodTerminating,
                K::PodReady,
                K::NodeHeartbeat,
                K::GpusFailed,
            ],
        ),
        (Name::NodeLifecycle, &[K::NodeHeartbeat]),
        (Name::CloudNodeLifecycle, &[K::NodeHeartbeat, K::NodeCondition]),
        (Name::TaintEviction, &[K::NodeTainted, K::PodBound, K::NodeDeleted]),
        (Name::PodGc, &[K::NodeDeleted]),
        (Name::Keda, &[K::ScaledObject]),
        (Name::HorizontalPodAutoscaler, &[K::Hpa]),
        (
            Name::Knative,
            &[
                K::InferenceService,
                K::InferenceServiceDeleted,
                K::PredictorChanged,
                K::Deployment,
                K::PodReady,
                K::PodReadyAgain,
                K::PodNotReady,
                K::PodTerminating,
                K::PodRemoved,
            ],
        ),
        (
            Name::Kueue,
            &[
                K::Namespace,
                K::Flavor,
                K::ClusterQueue,
                K::Cohort,
                K::LocalQueue,
                K::PodCreated,
                K::PodGroupJoined,
                K::PodReady,
                K::PodReadyAgain,
                K::PodNotReady,
                K::PodTerminating,
                K::PodRemoved,
                K::PodLabels,
                K::Job,
                K::JobCompleted,
                K::Framework,
                K::WorkloadCreated,
                K::WorkloadAdmitted,
                K::WorkloadEvicted,
                K::WorkloadFinished,
                K::WorkloadRequeued,
                K::WorkloadPodsReady,
            ],
        ),
        (
            Name::KubeScheduler,
            &[K::Node, K::Cordon, K::PodCreated, K::PodUngated, K::PodRemoved],
        ),
        (
            Name::GarbageCollector,
            &[K::InferenceServiceDeleted, K::DeploymentDeleted, K::ReplicaSetDeleted],
        ),
        (
            Name::InferenceServices,
            &[K::ServingRuntime, K::InferenceService, K::PredictorChanged],
        ),
        (
            Name::Deployments,
            &[
                K::Deployment,
                K::ReplicaSet,
                K::ReplicaSetDeleted,
                K::PodCreated,
                K::PodReady,
                K::PodReadyAgain,
                K::PodNotReady,
                K::PodTerminating,
                K::PodRemoved,
            ],
        ),
        (
            Name::ReplicaSets,
            &[
                K::ReplicaSet,
                K::PodReady,
                K::PodReadyAgain,
                K::PodNotReady,
                K::PodTerminating,
                K::PodRemoved,
            ],
        ),
        (Name::Jobs, &[K::Job, K::PodTerminating, K::PodRemoved]),
        (Name::Frameworks, &[K::Framework, K::Job, K::JobCompleted, K::PodReady]),
        (
            Name::LeaderWorkerSets,
            &[K::LeaderWorkerSet, K::PodTerminating, K::PodRemoved],
        ),
    ]
};

/// The order work queues are drained in at an instant: after each reconcile the engine
/// starts again from the top, so KServe and the workload controllers settle before Kueue
/// admits, and Kueue before kube-scheduler places pods.
pub(crate) const RECONCILE_ORDER: &[Name] = &[
    Name::InferenceServices,
    Name::Knative,
    Name::Deployments,
    Name::ReplicaSets,
    Name::Jobs,
    Name::Frameworks,
    Name::LeaderWorkerSets,
    Name::Kueue,
    Name::KubeScheduler,
];

impl Name {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Name::InferenceServices => "KServe's InferenceService controller",
            Name::Deployments => "the Deployment controller",
            Name::ReplicaSets => "the ReplicaSet controller",
            Name::Jobs => "the Job controller",
            Name::Frameworks => "the JobSet, training and KubeRay operators",
            Name::LeaderWorkerSets => "the LeaderWorkerSet controller",
            Name::Kueue => "Kueue",
            Name::KubeScheduler => "kube-scheduler",
            Name::Kubelet => "the kubelet",
            Name::GarbageCollector => "the garbage collector",
            Name::NodeLifecycle => "the node lifecycle controller",
            Name::CloudNodeLifecycle => "the cloud node lifecycle controller",
            Name::TaintEviction => "the taint eviction controller",
            Name::PodGc => "the pod garbage collector",
            Name::HorizontalPodAutoscaler => "the horizontal pod autoscaler",
            Name::Keda => "KEDA",
            Name::Knative => "Knative's autoscaler",
        }
    }
}

impl Components {
    /// Hands a due timer to the component that set it.
    pub(crate) fn on_timer(&mut self, cx: &mut Cx, timer: Timer) -> Vec<Action> {
        match timer {
            Timer::Kubelet(t) => self.kubelet.on_timer(cx, t),
            Timer::Deployment(d) => {
                self.deployments.resync(d);
                Vec::new()
            }
            Timer::Kueue(t) => self.kueue.on_timer(cx, t),
            Timer::NodeLifecycle(t) => self.node_lifecycle.on_timer(cx, t),
            Timer::CloudNodeLifecycle(t) => self.cloud_node_lifecycle.on_timer(cx, t),
            Timer::TaintEviction(t) => self.taint_eviction.on_timer(cx, t),
            Timer::PodGc(t) => self.pod_gc.on_timer(cx, t),
            Timer::Faults(t) => self.faults.on_timer(cx, t),
            Timer::Hpa(t) => self.horizontal_pod_autoscaler.on_timer(cx, t),
            Timer::Keda(t) => self.keda.on_timer(cx, t),
            Timer::Knative(t) => self.knative.on_timer(cx, t),
        }
    }

    pub(crate) fn get(&mut self, name: Name) -> &mut dyn Component {
        match name {
            Name::InferenceServices => &mut self.inference_services,
            Name::Deployments => &mut self.deployments,
            Name::ReplicaSets => &mut self.replica_sets,
            Name::Jobs => &mut self.jobs,
            Name::Frameworks => &mut self.frameworks,
            Name::LeaderWorkerSets => &mut self.leader_worker_sets,
            Name::Kueue => &mut self.kueue,
            Name::KubeScheduler => &mut self.kube_scheduler,
            Name::Kubelet => &mut self.kubelet,
            Name::GarbageCollector => &mut self.garbage_collector,
            Name::NodeLifecycle => &mut self.node_lifecycle,
            Name::CloudNodeLifecycle => &mut self.cloud_node_lifecycle,
            Name::TaintEviction => &mut self.taint_eviction,
            Name::PodGc => &mut self.pod_gc,
            Name::HorizontalPodAutoscaler => &mut self.horizontal_pod_autoscaler,
            Name::Keda => &mut self.keda,
            Name::Knative => &mut self.knative,
        }
    }
}

/// The watchers of a change kind, in table order.
pub(crate) fn watchers(kind: ChangeKind) -> impl Iterator<Item = Name> {
    WATCHES
        .iter()
        .filter(move |(_, kinds)| kinds.contains(&kind))
        .map(|(name, _)| *name)
}
