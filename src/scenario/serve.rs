//! The request side of a run: the predictor pods' lives observed as the cluster runs
//! become replicas of each InferenceService with traffic, whose requests are served in
//! the same event loop: before each cluster instant the services catch up to it, and
//! after it settles they hear of the replicas that came and went.

use super::document::Scenario;
use crate::catalog::Catalog;
use crate::controllers::knative::RevisionStat;
use crate::manifest::objects::Object;
use crate::report::model::{ModelReport, ReplicaRecord};
use crate::serving::args::VllmArgs;
use crate::serving::memory::MemoryPlan;
use crate::serving::replica::Limits;
use crate::serving::service::{ReplicaSpan, ServiceResult, ServiceRun, ServiceSpec, MAX_BACKLOG};
use crate::serving::steptime::StepCost;
use crate::store::{ObjectKey, PodId, Store};
use crate::units::SimTime;
use indexmap::IndexMap;
use std::collections::{BTreeMap, BTreeSet};

/// The service whose requests a pod with these labels serves: its InferenceService, or
/// the LLMInferenceService KServe labelled it for.
pub(crate) fn service_of(labels: &crate::api::meta::Labels) -> Option<&str> {
    if let Some(n) = labels.get(crate::controllers::inferenceservice::ISVC_LABEL) {
        return Some(n);
    }
    let part_of_llm =
        labels.get(crate::api::llmisvc::PART_OF_LABEL).map(String::as_str) == Some(crate::api::llmisvc::PART_OF_VALUE);
    labels
        .get(crate::api::llmisvc::NAME_LABEL)
        .map(String::as_str)
        .filter(|_| part_of_llm)
}

/// Services that can take traffic, by (namespace, name): the InferenceServices among the
/// inputs, and the LLMInferenceServices, through the workload KServe makes of each (a
/// service applied again from the timeline's files is the same service).
pub(crate) fn input_targets(all: &[&Object]) -> BTreeSet<(String, String)> {
    all.iter()
        .filter_map(|o| match o {
            Object::InferenceService { namespace, isvc, .. } => Some((namespace.clone(), isvc.meta.name.clone())),
            Object::Deployment {
                namespace, deployment, ..
            } => service_of(&deployment.meta.labels).map(|n| (namespace.clone(), n.to_string())),
            Object::LeaderWorkerSet { namespace, lws } => {
                service_of(&lws.meta.labels).map(|n| (namespace.clone(), n.to_string()))
            }
            _ => None,
        })
        .collect()
}

/// One GPU pod from binding until it is gone (a crash closes it; a restart opens another).
#[derive(Debug, Clone)]
pub struct PodLife {
    pub isvc: Option<(String, String)>,
    pub pod: String,
    pub node: String,
    pub gpu: Option<String>,
    pub gpus: u32,
    pub bound_s: f64,
    pub ready_s: Option<f64>,
    pub stop_s: Option<f64>,
    pub gone_s: Option<f64>,
    /// Its node's instance is gone: it serves nothing from here on.
    pub dead_s: Option<f64>,
    pub model: Option<String>,
    pub args: VllmArgs,
    pub memory: Option<MemoryPlan>,
}

#[derive(Debug, Default)]
pub struct PodLives {
    pub lives: Vec<PodLife>,
    open: BTreeMap<PodId, usize>,
    /// Pods whose container died after serving: a restart opens a life from that moment.
    restarted: std::collections::BTreeSet<PodId>,
    /// What became known since the serving side last took it: (life, what, when).
    edges: Vec<(usize, Edge, f64)>,
}

/// A point in a serving life the request side must hear of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Edge {
    Ready,
    Stop,
    Gone,
    Dead,
}

fn gpus_of(pod: &crate::store::Pod) -> u32 {
    pod.requests.gpus().max(0) as u32
}

impl PodLives {
    /// What became known since the last call: (life, what, when), in the order seen.
    pub(crate) fn take_edges(&mut self) -> Vec<(usize, Edge, f64)> {
        std::mem::take(&mut self.edges)
    }

    /// Records what changed at `now`.
    pub(crate) fn observe(&mut self, store: &Store, now: SimTime) {
        let t = now.as_secs_f64();
        let gone: Vec<PodId> = self.open.keys().filter(|u| !store.pods.contains(*u)).copied().collect();
        for i in gone.iter().filter_map(|u| self.open.remove(u)) {
            let l = &mut self.lives[i];
            if l.stop_s.is_none() {
                l.stop_s = Some(t);
                self.edges.push((i, Edge::Stop, t));
            }
            l.gone_s = Some(t);
            self.edges.push((i, Edge::Gone, t));
        }
        for p in store.pods.values() {
            let uid = &p.uid;
            let Some(node) = &p.node else { continue };
            let gpus = gpus_of(p);
            if gpus == 0 {
                continue;
            }
            let i = match self.open.get(uid) {
                Some(i) => *i,
                None => {
                    if p.deletion.is_some() || p.dead_since.is_some() {
                        continue;
                    }
                    let gpu = store
                        .nodes
                        .get(node)
                        .and_then(|n| n.instance_type.as_ref())
                        .and_then(|it| store.catalog.instance(it))
                        .map(|i| i.gpu.clone());
                    self.lives.push(PodLife {
                        isvc: service_of(&p.labels).map(|n| (p.namespace.clone(), n.to_string())),
                        pod: p.name.clone(),
                        node: node.clone(),
                        gpu,
                        gpus,
                        bound_s: if self.restarted.contains(uid) {
                            t
                        } else {
                            p.scheduled_at.unwrap_or(now).as_secs_f64()
                        },
                        ready_s: None,
                        stop_s: None,
                        gone_s: None,
                        dead_s: None,
                        model: None,
                        args: VllmArgs::default(),
                        memory: None,
                    });
                    self.open.insert(*uid, self.lives.len() - 1);
                    self.lives.len() - 1
                }
            };
            let l = &mut self.lives[i];
            if let (Some(dead), None) = (p.dead_since, l.dead_s) {
                l.dead_s = Some(dead.as_secs_f64());
                self.edges.push((i, Edge::Dead, dead.as_secs_f64()));
            }
            if let Some((at, _)) = p.deletion {
                if l.stop_s.is_none() {
                    l.stop_s = Some(at.as_secs_f64());
                    self.edges.push((i, Edge::Stop, at.as_secs_f64()));
                }
            } else if l.ready_s.is_none() && p.is_ready() {
                // Ready again after its node came back counts from then, not its first Ready.
                l.ready_s = p.ready_at.map(|r| r.as_secs_f64().max(l.bound_s));
                l.memory = p.memory.clone();
                l.model = crate::cluster::kubelet::model_of(&store.catalog, p).map(|c| c.name.clone());
                l.args = p
                    .spec
                    .engine_container()
                    .and_then(|c| VllmArgs::parse(&c.args).ok())
                    .unwrap_or_default();
                if let Some(r) = l.ready_s {
                    self.edges.push((i, Edge::Ready, r));
                }
            } else if l.ready_s.is_some() && l.stop_s.is_none() && !p.is_ready() {
                // The endpoint goes. If the container died, so does what it held; if only
                // its node stopped reporting, it finishes what it holds.
                l.stop_s = Some(t);
                self.edges.push((i, Edge::Stop, t));
                if !p.node_not_ready || p.dead_since.is_some() {
                    l.gone_s = Some(t);
                    self.edges.push((i, Edge::Gone, t));
                }
                self.open.remove(uid);
                self.restarted.insert(*uid);
            }
        }
    }
}

/// What serving adds to the report.
#[derive(Debug, Default, Clone)]
pub struct Served {
    /// `models` of the report, by InferenceService name (`namespace/name` when the name
    /// is taken by another namespace's service).
    pub models: IndexMap<String, ModelReport>,
    /// GPU seconds busy per pod name.
    pub busy_s: BTreeMap<String, f64>,
    /// Requests arrived, completed, failed and in flight per service (conservation).
    pub accounts: BTreeMap<(String, String), [u64; 4]>,
    /// What each fault did to each service it struck a replica of.
    pub fault_impact: Vec<FaultImpact>,
    /// Per service: requests that arrived, and failed, while capacity it asked for was
    /// not serving yet, by why (`CapacityWait::as_str`).
    pub(crate) capacity_waits: BTreeMap<(String, String), Vec<CapacityWaitCount>>,
}

/// A cause of missing capacity, the requests that arrived while it held and those that
/// failed meanwhile.
pub(crate) type CapacityWaitCount = (&'static str, u64, u64);

/// A fault's impact on one service: from the fault until the service has as many ready
/// replicas as just before it (or the run's end).
#[derive(Debug, Clone, PartialEq)]
pub struct FaultImpact {
    pub fault: crate::faults::FaultId,
    pub service: (String, String),
    pub start_s: f64,
    pub end_s: f64,
    /// Whether the service got its replicas back within the run.
    pub recovered: bool,
    /// Time within the window with no ready replica.
    pub downtime_s: f64,
    pub failed_requests: u64,
}

/// The windows of the faults that struck this service's pods.
fn fault_windows(store: &Store, lives: &PodLives, key: &(String, String), end_s: f64) -> Vec<FaultImpact> {
    let mine: Vec<&PodLife> = lives.lives.iter().filter(|l| l.isvc.as_ref() == Some(key)).collect();
    // Serving intervals: Ready until the endpoint goes or the node dies.
    let spans: Vec<(f64, f64)> = mine
        .iter()
        .filter_map(|l| {
            let from = l.ready_s?;
            let until = [l.stop_s, l.dead_s].into_iter().flatten().fold(f64::INFINITY, f64::min);
            (until > from).then_some((from, until))
        })
        .collect();
    let ready_at = |t: f64| spans.iter().filter(|(a, b)| *a <= t && t < *b).count();
    let mut edges: Vec<f64> = spans
        .iter()
        .flat_map(|(a, b)| [*a, *b])
        .filter(|t| t.is_finite())
        .collect();
    edges.sort_by(f64::total_cmp);
    edges.dedup();
    let names: std::collections::BTreeSet<String> = mine.iter().map(|l| format!("{}/{}", key.0, l.pod)).collect();
    let mut out = Vec::new();
    for f in &store.faults {
        if !f.pods.iter().any(|p| names.contains(p)) {
            continue;
        }
        let start = f.at.as_secs_f64();
        // Before the fault: the count just before its instant.
        let before = spans.iter().filter(|(a, b)| *a < start && start <= *b).count();
        let back = edges
            .iter()
            .copied()
            .filter(|t| *t > start && *t <= end_s)
            .find(|t| ready_at(*t) >= before);
        let end = back.unwrap_or(end_s);
        // Downtime: the parts of [start, end) where no replica is ready.
        let mut points: Vec<f64> = edges.iter().copied().filter(|t| *t > start && *t < end).collect();
        points.insert(0, start);
        points.push(end);
        // Folded from 0: `sum` of nothing is -0, which the report would show.
        let downtime_s = points
            .windows(2)
            .filter(|w| ready_at(w[0]) == 0)
            .map(|w| w[1] - w[0])
            .fold(0.0, |a, d| a + d);
        out.push(FaultImpact {
            fault: f.id,
            service: key.clone(),
            start_s: start,
            end_s: end,
            recovered: back.is_some(),
            downtime_s,
            failed_requests: 0,
        });
    }
    out
}

/// The InferenceService a traffic entry targets, or why there is none.
pub(crate) fn resolve<'a>(
    target: &str,
    namespace: Option<&str>,
    isvcs: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<(String, String), String> {
    let matches: Vec<(&str, &str)> = isvcs
        .filter(|(ns, n)| *n == target && namespace.is_none_or(|want| want == *ns))
        .collect();
    match matches.as_slice() {
        [(ns, n)] => Ok((ns.to_string(), n.to_string())),
        [] => Err(format!(
            "no InferenceService `{target}`{}",
            namespace.map(|n| format!(" in namespace {n}")).unwrap_or_default()
        )),
        _ => Err(format!(
            "InferenceService `{target}` exists in several namespaces; add `namespace:`"
        )),
    }
}

/// One service's request side while the cluster runs.
struct LiveService<'s> {
    key: (String, String),
    router: &'static str,
    has_traffic: bool,
    run: ServiceRun<'s>,
    /// Fault windows still open: (window, ready replicas just before the fault, start).
    open: Vec<(usize, usize, f64)>,
    /// Ready replicas after the last settled instant.
    ready: usize,
    /// The hold limit last given to the loop: Knative's activator timeout while the
    /// service is Serverless.
    hold_limit: Option<Option<f64>>,
    /// `key` as the store's key of its InferenceService.
    object_key: ObjectKey,
}

/// The request side of a run, driven from inside the cluster's event loop: each service's
/// loop is advanced to an instant before the instant's events are handled, and hears of
/// its replicas as the cluster settles them (Ready, endpoint removed, pod gone, node dead).
pub(crate) struct LiveServing<'s> {
    services: Vec<LiveService<'s>>,
    by_key: BTreeMap<(String, String), usize>,
    /// Each serving life's (service, replica) once it is a replica.
    replica_of: BTreeMap<usize, (usize, usize)>,
    /// Faults already looked at (`Store::faults` only grows).
    faults_seen: usize,
    end_s: f64,
    /// Pods scraped at the last scrape, by (namespace, pod): one no longer there has its
    /// series marked stale, as Prometheus does when a target disappears.
    scraped: BTreeSet<(String, String)>,
    /// Whether a live view has read `recent`: the services keep their last minute of
    /// TTFTs from the next advance on. A read through `&self` can only ask for it; a
    /// plain run never asks and never pays for the rings.
    recent_wanted: std::cell::Cell<bool>,
    recent_kept: bool,
}

/// One service as a live view shows it at an instant.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ModelLive {
    pub namespace: String,
    /// The InferenceService, the name KServe serves its model under.
    pub name: String,
    /// Requests on its replicas (queued in an engine or being served).
    pub on_replicas: u64,
    /// Requests the router holds for want of a ready replica.
    pub held: u64,
    /// Replicas serving after the last settled instant.
    pub ready_replicas: usize,
    /// TTFT over the last minute, when kept and any request counts.
    pub ttft: Option<crate::serving::recent::RecentTtft>,
}

/// Why capacity a service asked for (its Deployment's replicas) is not serving yet, from
/// the earliest stage any of its missing replicas is held at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum CapacityWait {
    /// Its Workload is Pending in Kueue for want of quota.
    KueueQuota,
    /// Its Workload waits for the workloads it preempted to go.
    KueuePreemption,
    /// Admitted, but kube-scheduler has not placed the pod.
    Scheduling,
    /// On a node, starting: image or model download, weight load, engine start.
    ColdStart,
}

impl CapacityWait {
    pub(crate) const ALL: [CapacityWait; 4] = [
        CapacityWait::KueueQuota,
        CapacityWait::KueuePreemption,
        CapacityWait::Scheduling,
        CapacityWait::ColdStart,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CapacityWait::KueueQuota => "kueue_quota",
            CapacityWait::KueuePreemption => "kueue_preemption",
            CapacityWait::Scheduling => "scheduling",
            CapacityWait::ColdStart => "cold_start",
        }
    }

    fn of(store: &Store, p: &crate::store::Pod) -> Option<CapacityWait> {
        if p.is_ready() || p.deletion.is_some() {
            return None;
        }
        if let Some(w) = p.workload.and_then(|w| store.workloads.get(w)) {
            if w.admission.is_none() {
                // Kueue's own message says when it waits for victims to go.
                let preempting = w
                    .pending_message
                    .as_deref()
                    .is_some_and(|m| m.contains(crate::kueue::scheduler::PENDING_PREEMPTION));
                return Some(if preempting {
                    CapacityWait::KueuePreemption
                } else {
                    CapacityWait::KueueQuota
                });
            }
        }
        Some(if p.node.is_none() {
            CapacityWait::Scheduling
        } else {
            CapacityWait::ColdStart
        })
    }
}

/// Why the service `key`'s predictor has fewer ready replicas than it asks for, if so.
fn capacity_wait(store: &Store, key: &(String, String)) -> Option<CapacityWait> {
    let name = crate::controllers::inferenceservice::predictor_name(&key.1);
    let d = store.deployment(&key.0, &name)?;
    let pods: Vec<&crate::store::Pod> = store.pods_of_deployment(d.uid).collect();
    let ready = pods.iter().filter(|p| p.is_ready()).count() as i32;
    if ready >= d.spec.replicas {
        return None;
    }
    pods.iter().filter_map(|p| CapacityWait::of(store, p)).min()
}

/// CPU a vLLM pod's processes use, in cores: the API server and the engine's idle loop,
/// and one more core while the engine runs steps (its scheduler and kernel launches are
/// one busy thread; the GPU work does not show in CPU). A modelling assumption: it makes
/// an HPA on CPU see what users report, a pod near its idle use however loaded its GPU.
pub(crate) const VLLM_IDLE_CORES: f64 = 0.2;
pub(crate) const VLLM_ENGINE_CORES: f64 = 1.0;

/// The series some autoscaler reads. Prometheus stores whatever it scrapes; the
/// simulation keeps only what a query, a Pods metric or the resource metrics API can reach,
/// which no query can tell apart and which keeps a fleet's scrapes cheap.
#[derive(Debug, Default)]
pub(crate) struct Wanted {
    /// Series names (a histogram's base name covers its `_bucket`, `_sum`, `_count`).
    names: Vec<String>,
    /// Every series (a query too general to narrow down).
    all: bool,
    /// cAdvisor's CPU counter (an HPA has a Resource metric).
    cpu: bool,
}

impl Wanted {
    /// What the HPAs and ScaledObjects in `store` read.
    pub(crate) fn of(store: &Store) -> Wanted {
        use crate::autoscaling::hpa::manifest::MetricSpec;
        let mut w = Wanted::default();
        for h in store.hpas.values() {
            for m in &h.hpa.metrics {
                match m {
                    MetricSpec::Resource { .. } => w.cpu = true,
                    MetricSpec::Pods { metric, .. } | MetricSpec::External { metric, .. } => {
                        w.names.push(metric.replacen("vllm_", "vllm:", 1));
                    }
                }
            }
        }
        for so in store.scaled_objects.values() {
            for t in &so.scaled_object.spec.triggers {
                let crate::autoscaling::keda::scaled_object::Scaler::Prometheus(meta) = &t.scaler;
                match crate::monitoring::promql::parse(&meta.query) {
                    Ok(expr) => w.names.extend(expr.metric_names()),
                    Err(_) => w.all = true,
                }
            }
        }
        w
    }

    /// Nothing reads any series: a scrape would store nothing.
    pub(crate) fn is_empty(&self) -> bool {
        !self.all && !self.cpu && self.names.is_empty()
    }

    fn wants(&self, series: &str) -> bool {
        self.all
            || self.names.iter().any(|n| {
                series == n
                    || series
                        .strip_prefix(n.as_str())
                        .is_some_and(|rest| ["_bucket", "_sum", "_count"].contains(&rest))
                    || n.strip_prefix(series)
                        .is_some_and(|rest| ["_bucket", "_sum", "_count"].contains(&rest))
            })
    }
}

/// A histogram bound as Prometheus' Python client writes `le` (`1.0`, `0.25`, `+Inf`).
fn le_label(bound: f64) -> String {
    if bound.is_infinite() {
        "+Inf".to_string()
    } else if bound.fract() == 0.0 {
        format!("{bound:.1}")
    } else {
        format!("{bound}")
    }
}

/// What a service's loop is built from; kept by the caller for the run's length, as the
/// loops borrow it.
pub(crate) struct ServicePlan<'s> {
    key: (String, String),
    router: &'static str,
    /// Whether any traffic entry reaches it (only those are reported).
    has_traffic: bool,
    spec: ServiceSpec<'s>,
}

/// Each service with traffic and the spec of its loop, from the scenario's traffic entries
/// resolved against the services the inputs define.
pub(crate) fn plan_services<'s>(scenario: &'s Scenario, targets: &BTreeSet<(String, String)>) -> Vec<ServicePlan<'s>> {
    let mut out = Vec::new();
    let mut by_service = traffic_by_service(scenario, targets);
    // A service without traffic is served nothing, but its pods are still there to
    // scrape (their CPU, their idle engines) for the autoscalers.
    for key in targets {
        by_service.entry(key.clone()).or_default();
    }
    for (key, entries) in by_service {
        // The service's entries share its router and timeout: those of its first entry.
        let first = entries.first().and_then(|i| scenario.traffic.get(*i));
        // Without traffic these are never used.
        let router = first.map(|f| f.router).unwrap_or_default();
        let timeout_s = first.map_or(0.0, |f| f.timeout.as_secs_f64());
        let spec = ServiceSpec {
            spans: Vec::new(),
            traffic: entries
                .iter()
                .filter_map(|i| Some((&scenario.traffic.get(*i)?.spec, *i as u64)))
                .collect(),
            router,
            timeout_s,
            slo: scenario.slo.clone(),
            window_s: scenario.metrics_window.as_secs_f64(),
            end_s: scenario.duration.as_secs_f64(),
            fidelity: scenario.fidelity,
            seed: scenario.seed,
            attribution: Vec::new(),
        };
        out.push(ServicePlan {
            key,
            router: router.name(),
            has_traffic: !entries.is_empty(),
            spec,
        });
    }
    out
}

impl<'s> LiveServing<'s> {
    /// `keep_logs`: each replica's stat log is kept for `oc logs` (a few lines a minute
    /// per busy replica, which a long run without `oc logs` need not hold).
    pub(crate) fn new(plans: &'s [ServicePlan<'s>], end_s: f64, keep_logs: bool) -> LiveServing<'s> {
        let services: Vec<LiveService<'s>> = plans
            .iter()
            .map(|p| LiveService {
                key: p.key.clone(),
                router: p.router,
                has_traffic: p.has_traffic,
                run: {
                    let mut run = ServiceRun::new(&p.spec, MAX_BACKLOG);
                    if keep_logs {
                        run.keep_stat_logs();
                    }
                    run
                },
                open: Vec::new(),
                ready: 0,
                hold_limit: None,
                object_key: ObjectKey::new(p.key.0.as_str(), p.key.1.as_str()),
            })
            .collect();
        let by_key = services.iter().enumerate().map(|(i, s)| (s.key.clone(), i)).collect();
        LiveServing {
            services,
            by_key,
            replica_of: BTreeMap::new(),
            faults_seen: 0,
            end_s,
            scraped: BTreeSet::new(),
            recent_wanted: std::cell::Cell::new(false),
            recent_kept: false,
        }
    }

    /// What vLLM's stat logger printed in pod `namespace/pod` before `t` (the loops
    /// advanced to `t`): its current container's lines, none for a pod that serves no
    /// requests.
    pub(crate) fn stat_lines(&self, namespace: &str, pod: &str, t: SimTime) -> Vec<crate::serving::statlog::StatLine> {
        let mut latest = None;
        for s in self.services.iter().filter(|s| s.key.0 == namespace) {
            for i in 0..s.run.replica_count() {
                if s.run.replica_pod(i) == pod {
                    latest = Some((&s.run, i));
                }
            }
        }
        latest.map_or_else(Vec::new, |(run, i)| run.stat_lines(i, t.as_secs_f64()))
    }

    /// Whether any service has traffic (and so pods worth scraping).
    pub(crate) fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// Keeps each replica's vLLM counters from now on, for `scrape`.
    pub(crate) fn export_metrics(&mut self) {
        for s in &mut self.services {
            s.run.export_metrics();
        }
    }

    /// Keeps each service's TTFTs of the last minute from now on, for `recent`.
    fn keep_recent(&mut self) {
        for s in self.services.iter_mut().filter(|s| s.has_traffic) {
            s.run.keep_recent();
        }
        self.recent_kept = true;
    }

    /// Each service with traffic at `now` (the loops advanced up to it): the requests in
    /// flight and the TTFT of those whose first token came in the last minute. The first
    /// call starts the TTFT rings (from the next instant on: until then `ttft` is none);
    /// a live view calls it from the start of a rehearsal, before any traffic. Costs the
    /// services and their rings, not the requests.
    pub(crate) fn recent(&self, now: SimTime) -> Vec<ModelLive> {
        self.recent_wanted.set(true);
        self.services
            .iter()
            .filter(|s| s.has_traffic)
            .map(|s| {
                let (on_replicas, held) = s.run.in_flight();
                ModelLive {
                    namespace: s.key.0.clone(),
                    name: s.key.1.clone(),
                    on_replicas,
                    held,
                    ready_replicas: s.ready,
                    ttft: s.run.recent_ttft(now.as_secs_f64()),
                }
            })
            .collect()
    }

    /// Prometheus scrapes every serving replica at `now` (the loops advanced to it): the
    /// metrics vLLM exports, labelled `namespace`, `pod`, `model_name` (KServe serves a
    /// model under its InferenceService's name) and `engine`, and the pod's CPU as
    /// cAdvisor counts it.
    pub(crate) fn scrape(&mut self, now: SimTime, db: &mut crate::monitoring::tsdb::Tsdb, wanted: &Wanted) {
        if wanted.is_empty() && self.scraped.is_empty() {
            return;
        }
        let t = now.as_secs_f64();
        let mut seen = BTreeSet::new();
        for s in &self.services {
            let (ns, model) = (s.key.0.as_str(), s.key.1.as_str());
            for i in 0..s.run.replica_count() {
                let Some(r) = s.run.scrape(i, t) else { continue };
                let pod = r.pod;
                let base = [("namespace", ns), ("pod", pod), ("model_name", model), ("engine", "0")];
                let mut put = |name: &str, extra: Option<(&str, &str)>, v: f64| {
                    if !wanted.wants(name) {
                        return;
                    }
                    let mut labels: Vec<(&str, &str)> = base.to_vec();
                    labels.extend(extra);
                    // Names and labels are fixed here and well formed; a refusal would
                    // only lose a sample.
                    let _ = db.append(name, &labels, now, v);
                };
                put("vllm:num_requests_running", None, r.running as f64);
                put("vllm:num_requests_waiting", None, r.waiting as f64);
                put("vllm:kv_cache_usage_perc", None, r.kv_cache_usage);
                put("vllm:gpu_cache_usage_perc", None, r.kv_cache_usage);
                let c = r.counters;
                put(
                    "vllm:request_success_total",
                    Some(("finished_reason", "stop")),
                    c.request_success as f64,
                );
                put("vllm:prompt_tokens_total", None, c.prompt_tokens as f64);
                put("vllm:generation_tokens_total", None, c.generation_tokens as f64);
                put("vllm:num_preemptions_total", None, c.preemptions as f64);
                for (name, h) in [
                    ("vllm:time_to_first_token_seconds", &c.ttft),
                    ("vllm:e2e_request_latency_seconds", &c.e2e),
                ] {
                    // A histogram no query reads costs nothing to leave out.
                    if !wanted.wants(name) {
                        continue;
                    }
                    for (le, n) in h.cumulative() {
                        put(&format!("{name}_bucket"), Some(("le", &le_label(le))), n as f64);
                    }
                    put(&format!("{name}_sum"), None, h.sum);
                    put(&format!("{name}_count"), None, h.count as f64);
                }
                let up_s = (t - r.ready_s).max(0.0);
                let cpu_s = VLLM_IDLE_CORES * up_s + VLLM_ENGINE_CORES * r.busy_s;
                let _ = wanted.cpu
                    && db
                        .append(
                            "container_cpu_usage_seconds_total",
                            &[("namespace", ns), ("pod", pod), ("container", "kserve-container")],
                            now,
                            cpu_s,
                        )
                        .is_ok();
                seen.insert((ns.to_string(), pod.to_string()));
            }
        }
        for (ns, pod) in self.scraped.difference(&seen) {
            db.mark_stale_where(now, |series| {
                series.label("namespace") == ns && series.label("pod") == pod
            });
        }
        self.scraped = seen;
    }

    /// What Knative's collector gathers each second for these Serverless services: per
    /// service the requests on its ready replicas, those held for want of one (the
    /// activator's), and the arrivals so far. A service the request side does not run
    /// reports nothing in flight.
    pub(crate) fn revision_stats(&self, services: &[ObjectKey]) -> Vec<RevisionStat> {
        services
            .iter()
            .map(|k| {
                let Some(&i) = self.by_key.get(&(k.namespace.clone(), k.name.clone())) else {
                    return RevisionStat::default();
                };
                let run = &self.services[i].run;
                let (on_replicas, held) = run.in_flight();
                RevisionStat {
                    on_replicas,
                    held,
                    arrived: run.arrived(),
                }
            })
            .collect()
    }

    /// When the service's next request arrives, in seconds, if one will.
    pub(crate) fn next_arrival(&self, service: &ObjectKey) -> Option<f64> {
        let i = *self.by_key.get(&(service.namespace.clone(), service.name.clone()))?;
        self.services[i].run.next_arrival()
    }

    /// Serves every request due before `t`.
    pub(crate) fn advance_before(&mut self, t: SimTime) {
        if self.recent_wanted.get() && !self.recent_kept {
            self.keep_recent();
        }
        let t = t.as_secs_f64();
        for s in &mut self.services {
            s.run.advance_before(t);
        }
    }

    /// Hears what the cluster settled at `now`: replicas that came and went, and faults
    /// that struck a service's pods (their failed requests are counted apart until the
    /// service has back as many ready replicas as just before the fault).
    pub(crate) fn observe(&mut self, store: &Store, lives: &mut PodLives, now: SimTime) {
        self.limit_holds(store);
        let mut edges = lives.take_edges();
        // At one instant, lives in their order and each life's edges in its order: the
        // order a run given every span up front sees them in.
        edges.sort_by(|a, b| a.2.total_cmp(&b.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
        for (life, edge, t) in edges {
            let Some(l) = lives.lives.get(life) else { continue };
            let Some(svc) = l.isvc.as_ref().and_then(|k| self.by_key.get(k)).copied() else {
                continue;
            };
            // `by_key` indexes `services`, built together and never changed.
            let run = &mut self.services[svc].run;
            match (edge, self.replica_of.get(&life).copied()) {
                (Edge::Ready, None) => {
                    if let Some(span) = replica_span(&store.catalog, l) {
                        let i = run.add_replica(span);
                        self.replica_of.insert(life, (svc, i));
                    }
                }
                (Edge::Stop, Some((_, i))) => run.stop(i, t),
                (Edge::Gone, Some((_, i))) => run.gone(i, t),
                (Edge::Dead, Some((_, i))) => run.dead(i, t),
                _ => {}
            }
        }
        self.track_fault_windows(store, lives, now);
        for s in self.services.iter_mut().filter(|s| s.has_traffic) {
            let cause = capacity_wait(store, &s.key);
            s.run.set_waiting_for(cause.map(|c| c as usize));
        }
    }

    /// A Serverless service's requests go through Knative's activator, which gives up on
    /// one after the revision's `timeoutSeconds`: the wait for a ready replica is at most
    /// that, and at most the traffic's own `timeout`.
    fn limit_holds(&mut self, store: &Store) {
        for s in &mut self.services {
            let limit = store
                .isvcs
                .get(&s.object_key)
                .filter(|i| i.isvc.deployment_mode() == crate::api::kserve::DeploymentMode::Serverless)
                .and_then(|i| i.isvc.activator_timeout_s());
            if s.hold_limit != Some(limit) {
                s.run.limit_hold(limit);
                s.hold_limit = Some(limit);
            }
        }
    }

    fn track_fault_windows(&mut self, store: &Store, lives: &PodLives, now: SimTime) {
        let t = now.as_secs_f64();
        let new_faults = store.faults.get(self.faults_seen..).unwrap_or_default();
        self.faults_seen = store.faults.len();
        for s in &mut self.services {
            let mine = || lives.lives.iter().filter(|l| l.isvc.as_ref() == Some(&s.key));
            for f in new_faults {
                let struck = mine().any(|l| f.pods.contains(&format!("{}/{}", s.key.0, l.pod)));
                if struck {
                    let w = s.run.open_window(f.at.as_secs_f64());
                    s.open.push((w, s.ready, f.at.as_secs_f64()));
                }
            }
            // Serving now: Ready, and neither its endpoint gone nor its node dead.
            let ready = mine()
                .filter(|l| l.ready_s.is_some() && l.stop_s.is_none() && l.dead_s.is_none())
                .count();
            let run = &mut s.run;
            s.open.retain(|&(w, before, start)| {
                let back = t > start && ready >= before;
                if back {
                    run.close_window(w, t);
                }
                !back
            });
            s.ready = ready;
        }
    }

    /// Serves what is left up to the run's end and adds each service's results.
    pub(crate) fn finish(self, store: &Store, lives: &PodLives, progress: &crate::progress::Progress) -> Served {
        let mut served = Served::default();
        let end_s = self.end_s;
        for s in self.services.into_iter().filter(|s| s.has_traffic) {
            let windows = fault_windows(store, lives, &s.key, end_s);
            let waits = s.run.waits().to_vec();
            let result = s.run.finish_observed(Some(progress));
            served.capacity_waits.insert(
                s.key.clone(),
                waits
                    .iter()
                    .enumerate()
                    .filter_map(|(i, w)| Some((CapacityWait::ALL.get(i)?.as_str(), w[0], w[1])))
                    .collect(),
            );
            for (mut w, failed) in windows.into_iter().zip(&result.attributed_failures) {
                w.failed_requests = *failed;
                served.fault_impact.push(w);
            }
            served.record(s.key, s.router, result, end_s);
        }
        served
    }
}

/// The indices of the traffic entries that reach each service; entries that reach none
/// send nothing.
fn traffic_by_service(
    scenario: &Scenario,
    targets: &BTreeSet<(String, String)>,
) -> BTreeMap<(String, String), Vec<usize>> {
    let mut by_service: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, t) in scenario.traffic.iter().enumerate() {
        if let Ok(k) = resolve(
            &t.target,
            t.namespace.as_deref(),
            targets.iter().map(|(a, b)| (a.as_str(), b.as_str())),
        ) {
            by_service.entry(k).or_default().push(i);
        }
    }
    by_service
}

/// A life's replica, once it is Ready with a known model, GPU and memory plan.
pub(crate) fn replica_span(catalog: &Catalog, l: &PodLife) -> Option<ReplicaSpan> {
    let ready_s = l.ready_s?;
    let memory = l.memory.as_ref()?;
    let card = catalog.model(l.model.as_ref()?)?;
    let arch = card.architecture.as_ref()?;
    let gpu = catalog.gpu(l.gpu.as_ref()?)?;
    Some(ReplicaSpan {
        pod: l.pod.clone(),
        node: l.node.clone(),
        gpus: l.gpus,
        ready_s,
        stop_s: None,
        gone_s: None,
        dead_s: None,
        cost: StepCost::new(card, arch, gpu, &l.args, &catalog.vllm),
        limits: Limits {
            block_size: l.args.block_size,
            num_blocks: memory.num_blocks,
            max_num_seqs: memory.max_num_seqs,
            max_num_batched_tokens: memory.max_num_batched_tokens,
            prefix_caching: l.args.enable_prefix_caching,
        },
        max_model_len: memory.max_model_len,
    })
}

impl Served {
    /// Adds one service's results: its model report, its requests' accounts and its
    /// replicas' busy time.
    fn record(&mut self, key: (String, String), router: &str, result: ServiceResult, end_s: f64) {
        let ServiceResult {
            metrics,
            replicas,
            in_flight,
            ..
        } = result;
        let (arrived, completed, failed) = (
            metrics.arrived_count(),
            metrics.completed_count(),
            metrics.failed_count(),
        );
        self.accounts
            .insert(key.clone(), [arrived, completed, failed, in_flight]);
        let mut model = metrics.finish(end_s, in_flight, end_s);
        model.replicas = replicas
            .iter()
            .map(|r| ReplicaRecord {
                pod: r.pod.clone(),
                node: r.node.clone(),
                gpus: r.gpus,
                completed: r.completed,
                busy_s: (r.busy_s * 1000.0).round() / 1000.0,
                kv_cache_usage_max: (r.kv_cache_peak * 1e4).round() / 1e4,
            })
            .collect();
        for r in &replicas {
            *self.busy_s.entry(r.pod.clone()).or_default() += r.busy_s * r.gpus as f64;
        }
        model.namespace = key.0.clone();
        model.router = router.to_string();
        if let Some(waits) = self.capacity_waits.get(&key) {
            model.capacity_waits = waits
                .iter()
                .filter(|(_, arrived, failed)| arrived + failed > 0)
                .map(|(cause, arrived, failed)| {
                    (
                        cause.to_string(),
                        crate::report::model::CapacityWaitRecord {
                            arrived: *arrived,
                            failed: *failed,
                        },
                    )
                })
                .collect();
        }
        let name = if self.models.contains_key(&key.1) {
            format!("{}/{}", key.0, key.1)
        } else {
            key.1.clone()
        };
        self.models.insert(name, model);
    }
}
