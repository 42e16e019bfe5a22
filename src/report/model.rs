//! report.json as a type: [`Report`] and its records are the reference for the schema
//! `gpuaas-sim/report/v1`.
//!
//! `serde_json::to_string_pretty(&report)` writes report.json: keys in the order of the
//! fields below, `null` where a field is an `Option` that is `None` (only `slo` and the
//! figures of an empty latency summary are left out instead), resource amounts as integers
//! when whole ([`Amount`]), seconds and other measures as floats (`30.0`). Reading a
//! report.json back and writing it again gives the same bytes: maps keep the order of the
//! file ([`IndexMap`]).
//!
//! Times are simulated seconds from the start of the run (`*_s`), latencies milliseconds
//! (`*_ms`), money US dollars (`*usd*`).

use crate::units::Quantity;
use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The `schema` of every report this version writes and reads.
pub const SCHEMA: &str = "gpuaas-sim/report/v1";

/// A resource amount in its base unit: GPUs, CPU cores, bytes, pods. Written as an
/// integer when whole (`4`, `68719476736`) and as a float otherwise (`0.5` cores).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Amount(pub f64);

impl From<Quantity> for Amount {
    fn from(q: Quantity) -> Amount {
        Amount(q.milli() as f64 / 1000.0)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // A whole amount is an integer in JSON, as Kubernetes writes it; NaN's fraction is
        // NaN, so it falls through to the float, which JSON writes as null.
        if self.0.fract() == 0.0 {
            s.serialize_i64(self.0 as i64)
        } else {
            s.serialize_f64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Amount, D::Error> {
        f64::deserialize(d).map(Amount)
    }
}

/// Amounts by resource name (`cpu`, `memory`, `nvidia.com/gpu`, `pods`).
pub type Resources = IndexMap<String, Amount>;

/// Amounts by flavor name, then by resource name.
pub type FlavorResources = IndexMap<String, Resources>;

/// One run: what ran, what happened to every object, what requests saw, what it cost,
/// and whether the scenario's expectations held.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`SCHEMA`], `gpuaas-sim/report/v1`.
    pub schema: String,
    /// The Scenario's `metadata.name`.
    pub scenario: String,
    /// The seed of every random choice in the run.
    pub seed: u64,
    /// Simulated length of the run, seconds.
    pub duration_s: f64,
    /// Inputs the simulation did not act on, and notes about them.
    pub inputs: Inputs,
    /// The event log, in the order the events happened (with `--report-limit`, the first
    /// ones; `truncated` says how many there were and counts them by reason).
    pub events: Vec<EventRecord>,
    /// Each timeline command with what `oc` printed.
    pub timeline: Vec<TimelineEntry>,
    /// Every Kueue Workload ever created (with `--report-limit`, the ones that took
    /// longest to be Ready; `truncated` says how many there were).
    pub workloads: Vec<WorkloadRecord>,
    /// The Workloads in figures, all of them counted even when `workloads` is cut.
    #[serde(default)]
    pub workload_summary: WorkloadSummary,
    /// The pods that exist at the end.
    pub pods: Vec<PodRecord>,
    /// Every ClusterQueue, with its quota and usage.
    pub cluster_queues: Vec<ClusterQueueRecord>,
    /// Every node at the end.
    pub nodes: Vec<NodeRecord>,
    /// Every InferenceService: when it first served and when it had no ready replica.
    pub inference_services: Vec<InferenceServiceRecord>,
    /// Every autoscaler decision that changed a target's replicas (absent when none did).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scaling_decisions: Vec<ScalingDecisionRecord>,
    /// Every model-serving pod's start-up as planned at binding, kept after the pod is gone.
    pub cold_starts: Vec<ColdStartRecord>,
    /// Request metrics per service with traffic, by service name (`namespace/name` when
    /// two namespaces hold services of one name).
    pub models: IndexMap<String, ModelReport>,
    /// GPU-hours offered, allocated and busy.
    pub utilization: Utilization,
    /// What the run's nodes cost at on-demand prices.
    pub cost: Cost,
    /// The run's spend rate, GPU use and headroom as a month of this usage; null for a
    /// run of no length (no rate to extrapolate).
    #[serde(default)]
    pub monthly: Option<Monthly>,
    /// Rollout deadlocks found, with their diagnosis and fix.
    pub deadlocks: Vec<DeadlockRecord>,
    /// The scenario's `expect:` entries and whether each held.
    pub expectations: Vec<ExpectationRecord>,
    /// The faults injected and what each one did (absent when there were none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultReport>,
    /// The lists cut to `--report-limit`, and how long they were (absent when none was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<Truncated>,
}

/// Every Workload of the run in figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkloadSummary {
    /// Workloads created.
    pub total: u64,
    /// How many ended the run in each state (`Pending`, `Admitted`, `Ready`, `Evicted`,
    /// `Finished`).
    pub by_state: IndexMap<String, u64>,
    /// Evictions of all of them together.
    pub evictions: u64,
    /// Time spent Pending (report.json's `pending_s`) across the workloads.
    pub pending_s: Spread,
    /// From creation to the pods' first Ready, across the workloads that got there
    /// (Kueue's wait, kube-scheduler's and the start-up together).
    pub to_ready_s: Spread,
    /// The same per ClusterQueue (workloads never routed to one are left out).
    pub by_cluster_queue: IndexMap<String, QueueWorkloads>,
}

/// A measure across workloads: nearest-rank percentiles and the largest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub p50: f64,
    pub p95: f64,
    pub max: f64,
}

/// One ClusterQueue's workloads in figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QueueWorkloads {
    pub workloads: u64,
    pub finished: u64,
    pub evictions: u64,
    pub pending_s: Spread,
    pub to_ready_s: Spread,
}

/// What `--report-limit` cut.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Truncated {
    /// The limit: no list is longer.
    pub limit: u64,
    /// `events`: the first `limit` kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Cut>,
    /// `workloads`: the `limit` that took longest to be Ready (or never were) kept, in
    /// creation order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workloads: Option<Cut>,
    /// Each ClusterQueue's `usage_over_time`, all queues together: of each of `limit`
    /// equal spans of the run, the sample with the most GPUs in use kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_samples: Option<Cut>,
}

/// A list cut to the limit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cut {
    /// Entries written.
    pub written: u64,
    /// Entries there were.
    pub total: u64,
    /// All entries counted by reason (events only).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub by_reason: IndexMap<String, u64>,
}

/// One injected fault and what it did: the pods it struck, what replaced them, what
/// Kueue did about their Workloads, and what the services' clients saw.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultReport {
    /// Its index in the run's fault plan.
    pub id: usize,
    /// When it struck.
    pub at_s: f64,
    /// `NodeLost`, `NodeNotReady`, `SpotInterruption`, `GPUFailure`, `StorageSlow`,
    /// `StorageUnavailable` or `ImagePullFailure`.
    #[serde(rename = "type")]
    pub fault_type: String,
    /// The node it struck, for the node and GPU faults.
    pub node: Option<String>,
    pub description: String,
    /// Drawn from a `random:` entry.
    pub random: bool,
    /// When it ended on its own, for the faults that last a while.
    pub ended_s: Option<f64>,
    /// Pods it struck (deleted, crashed, held up), as `namespace/name`.
    pub pods_struck: Vec<String>,
    /// Pods their owners created to replace them.
    pub replacement_pods: Vec<String>,
    /// When the last replacement became Ready.
    pub replacements_ready_s: Option<f64>,
    /// Workloads Kueue admitted again because of it.
    pub workloads_readmitted: Vec<String>,
    /// Kueue's evictions of the Workloads it struck.
    pub evictions: u32,
    /// Per service it struck a replica of: the impact window's downtime and failures.
    pub services: Vec<FaultServiceImpact>,
}

/// A fault's impact on a service, from the fault until the service had its ready
/// replicas back (`recovered_s`) or the run ended.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultServiceImpact {
    pub service: String,
    /// When it had as many ready replicas as before the fault; none: not within the run.
    pub recovered_s: Option<f64>,
    /// Seconds within the window with no ready replica.
    pub downtime_s: f64,
    /// Requests that failed within the window (a request failing while two faults'
    /// windows overlap counts for both).
    pub failed_requests: u64,
}

/// Inputs the simulation did not act on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inputs {
    /// Objects of kinds the simulation ignores or does not simulate yet.
    pub skipped: Vec<SkippedInput>,
    /// Notes about the inputs (kustomize features not applied…).
    pub warnings: Vec<String>,
}

/// An object the simulation left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SkippedInput {
    /// Its `kind`, e.g. `Route`.
    pub kind: String,
    /// Its `metadata.name`.
    pub name: String,
    /// Where it was written: `file:line:column`.
    pub location: String,
    /// Why it was left out.
    pub note: String,
}

/// One entry of the event log.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// When, seconds.
    pub t_s: f64,
    /// The reason, e.g. `QuotaReserved`, `Pending`, `FailedScheduling`, `Scheduled`,
    /// `Ready`, `Killing`, `ScalingReplicaSet`, `Command`.
    pub kind: String,
    /// The object it is about: `Kind namespace/name`.
    pub object: String,
    /// What happened, in the controller's words.
    pub message: String,
}

/// One timeline command.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// When it ran, seconds.
    pub t_s: f64,
    /// The command as written in the scenario.
    pub command: String,
    /// What `oc` printed.
    pub output: String,
    /// What it printed later, each line at its instant (`oc get -w`, `oc wait`, `oc
    /// rollout status`); absent for the other commands.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub follow: Vec<FollowRecord>,
}

/// A line a command printed after its instant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FollowRecord {
    /// When it appeared, seconds.
    pub t_s: f64,
    pub line: String,
}

impl TimelineEntry {
    /// What the command printed, its later lines each after the instant it appeared
    /// (`[00:10:05] …`), as the documents show it.
    pub fn output_with_follow(&self, shown: &str) -> String {
        let mut out = shown.to_string();
        for l in &self.follow {
            if !out.is_empty() {
                out.push('\n');
            }
            let at = crate::units::SimTime((l.t_s * 1000.0).round() as u64);
            out.push_str(&format!("[{at}] {}", l.line));
        }
        out
    }
}

/// One Kueue Workload.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkloadRecord {
    /// The Workload's name.
    pub name: String,
    /// Its namespace, the pod's.
    pub namespace: String,
    /// The InferenceService it serves, else its Deployment, else its pod.
    pub owner: String,
    /// The pod's name, or the Job's.
    pub pod: String,
    /// Its LocalQueue.
    pub queue: String,
    /// The ClusterQueue behind that LocalQueue; null when there is none.
    pub cluster_queue: Option<String>,
    /// Its priority: higher is admitted first and may preempt lower.
    pub priority: i32,
    /// The WorkloadPriorityClass or PriorityClass that set `priority`, if any.
    pub priority_class: Option<String>,
    /// GPUs it requests, all pods together.
    pub gpus: i64,
    /// What it requests, all pods together.
    pub requests: Resources,
    /// Flavors of its admission by pod set (`main`), then by resource; empty when it
    /// is not admitted.
    pub flavors: IndexMap<String, IndexMap<String, String>>,
    /// When it was created, seconds.
    pub created_s: f64,
    /// When it was last admitted, seconds.
    pub admitted_s: Option<f64>,
    /// When its pods were last all ready, seconds.
    pub ready_s: Option<f64>,
    /// When it was last evicted, seconds.
    pub evicted_s: Option<f64>,
    /// When it finished, seconds.
    pub finished_s: Option<f64>,
    /// Its state at the end: `Pending`, `Admitted`, `Ready`, `Evicted`, `Finished` or
    /// `Absent`.
    pub state: String,
    /// Why it is pending (`Pending` or `Inadmissible`), or why it was evicted when it
    /// ended `Evicted` (`Preempted` or `PodsReadyTimeout`); null otherwise.
    pub reason: Option<String>,
    /// Kueue's pending message, or its eviction message when it ended `Evicted`; null
    /// otherwise.
    pub message: Option<String>,
    /// Every state it went through.
    pub history: Vec<StateChange>,
    /// Seconds it spent Pending (not admitted: queued, inadmissible, backing off or
    /// deactivated) over the whole run, every stretch together.
    #[serde(default)]
    pub pending_s: f64,
    /// Each time Kueue evicted it, in order.
    #[serde(default)]
    pub evictions: Vec<EvictionRecord>,
}

/// One eviction of a Workload, with Kueue's reasons as its status conditions carry them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EvictionRecord {
    /// When, seconds.
    pub t_s: f64,
    /// The `Evicted` condition's reason: `Preempted` (to make room for another
    /// Workload) or `PodsReadyTimeout` (its pods were not all Ready in time).
    pub reason: String,
    /// For a preemption, the `Preempted` condition's reason: `InClusterQueue`,
    /// `InCohortReclamation`, `InCohortReclaimWhileBorrowing` or `InCohortFairSharing`;
    /// null otherwise.
    pub preemption_reason: Option<String>,
    /// For a preemption, the Workload it made room for, as `namespace/name` (a
    /// `workloads[]` entry); null otherwise.
    pub preemptor: Option<String>,
    /// Kueue's message.
    pub message: String,
}

/// A Workload entering a state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StateChange {
    /// When, seconds.
    pub t_s: f64,
    /// The state entered (see [`WorkloadRecord::state`]).
    pub state: String,
}

/// One pod that exists at the end.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PodRecord {
    /// The pod's name.
    pub name: String,
    /// The pod's namespace.
    pub namespace: String,
    /// The node it is bound to.
    pub node: Option<String>,
    /// kubectl's STATUS column, e.g. `Running`, `Pending`, `CrashLoopBackOff`.
    pub status: String,
    /// The Deployment it belongs to.
    pub owner: Option<String>,
    /// When it was created, seconds.
    pub created_s: f64,
    /// When it was bound to a node, seconds.
    pub scheduled_s: Option<f64>,
    /// When it became ready, seconds.
    pub ready_s: Option<f64>,
    /// kube-scheduler's message while it cannot be placed.
    pub unschedulable: Option<String>,
    /// Its start-up steps.
    pub startup: Vec<StartupStep>,
    /// Container restarts.
    pub restarts: u32,
    /// Why vLLM will not start, when it cannot.
    pub error: Option<String>,
    /// The engine's KV-cache capacity, tokens.
    pub kv_cache_tokens: Option<u64>,
}

/// One step of a pod's start-up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StartupStep {
    /// What it does, e.g. `download 47.1 GB (s3)`, `container start`, `readiness probe`.
    pub step: String,
    /// How long it takes, seconds.
    pub seconds: f64,
}

/// One ClusterQueue.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterQueueRecord {
    /// The ClusterQueue's name.
    pub name: String,
    /// The cohort it borrows and lends in.
    pub cohort: Option<String>,
    /// Its queueing strategy: `BestEffortFIFO` or `StrictFIFO`.
    pub strategy: String,
    /// Nominal quota, by flavor and resource.
    pub quota: FlavorResources,
    /// Quota used by admitted Workloads at the end, by flavor and resource.
    pub usage: FlavorResources,
    /// Usage above the nominal quota at the end, only where positive.
    pub borrowed: FlavorResources,
    /// Borrowing and lending limits, by flavor and resource, where set.
    pub limits: IndexMap<String, IndexMap<String, QuotaLimits>>,
    /// Workloads pending in it at the end.
    pub pending_workloads: u64,
    /// Workloads admitted in it at the end.
    pub admitted_workloads: u64,
    /// Its usage at every change.
    pub usage_over_time: Vec<UsageSampleRecord>,
}

/// The limits of one resource of a flavor in a ClusterQueue.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QuotaLimits {
    /// The most it may borrow above its nominal quota.
    pub borrowing_limit: Option<Amount>,
    /// The most of its nominal quota it may lend.
    pub lending_limit: Option<Amount>,
}

/// A ClusterQueue's usage at a moment it changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageSampleRecord {
    /// When, seconds.
    pub t_s: f64,
    /// Usage by flavor and resource.
    pub usage: FlavorResources,
    /// Usage above the nominal quota, only where positive.
    pub borrowed: FlavorResources,
}

/// One node at the end.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeRecord {
    /// The node's name.
    pub name: String,
    /// The Scenario node pool, else the instance type, else `-`.
    pub pool: String,
    /// Its `node.kubernetes.io/instance-type`.
    pub instance_type: Option<String>,
    /// Cordoned.
    pub unschedulable: bool,
    /// What pods may request on it.
    pub allocatable: Resources,
    /// What its pods request, non-zero resources only.
    pub requested: Resources,
    /// Its pods, as `namespace/name`.
    pub pods: Vec<String>,
    /// Its GPUs × its lifetime, GPU-hours.
    pub gpu_hours_capacity: f64,
    /// GPU-hours allocated to its pods.
    pub gpu_hours_allocated: f64,
    /// Its instance type's on-demand price, US dollars per hour.
    pub price_per_hour_usd: Option<f64>,
    /// When the Node was deleted (its instance gone); absent for a node at the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_s: Option<f64>,
    /// GPUs withdrawn from allocatable after Xid errors.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failed_gpus: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One InferenceService's availability.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InferenceServiceRecord {
    /// The InferenceService's name.
    pub name: String,
    /// Its namespace.
    pub namespace: String,
    /// The model card its pods run as (from the bundled catalog or the user's); absent
    /// when none applies (no storage URI, or the InferenceService was gone at the end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_card: Option<String>,
    /// Why that card: the annotation that names it, or the storage URI and the card's
    /// `match` pattern it contains (`storageUri \`s3://models/x-fp8\` matched \`x-fp8\``).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_card_match: Option<String>,
    /// Why the storage URI matched the card only in part (a precision the card does not
    /// have, or a name that goes on past the pattern): the run used the card's weights,
    /// memory and speed for what may be another checkpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_card_warning: Option<String>,
    /// When it first had a ready replica, seconds.
    pub first_ready_s: Option<f64>,
    /// Seconds without a ready replica after it first served.
    pub downtime_s: f64,
    /// Each interval without a ready replica after it first served.
    pub outages: Vec<Outage>,
    /// Its ready replicas at every change.
    pub ready_replicas_over_time: Vec<ReadyReplicas>,
    /// Who scales it: KServe's `autoscalerClass` (`hpa`, `keda`, `external`, `none`), or
    /// `kpa` for Knative's Pod Autoscaler in Serverless mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaler_class: Option<String>,
    /// The most ready replicas it had at once.
    #[serde(default)]
    pub max_ready_replicas: u64,
    /// GPU-hours its pods held (from binding until gone); absent in a run without traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_hours_allocated: Option<f64>,
    /// Those GPU-hours at their nodes' on-demand price per GPU-hour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_cost_usd: Option<f64>,
    /// The replicas its predictor asked for (the Deployment's `spec.replicas`) at every
    /// change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub desired_replicas_over_time: Vec<DesiredReplicas>,
}

/// The replicas a predictor asks for from a moment on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DesiredReplicas {
    /// When it changed, seconds.
    pub t_s: f64,
    /// Replicas asked for from then on.
    pub desired: i64,
}

/// An autoscaler's decision that changed its target's replicas.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScalingDecisionRecord {
    /// When, seconds.
    pub t_s: f64,
    /// `HorizontalPodAutoscaler`, `ScaledObject` or `KnativePodAutoscaler`.
    pub autoscaler_kind: String,
    /// `namespace/name` of the autoscaler.
    pub autoscaler: String,
    /// `namespace/name` of the Deployment it scaled.
    pub target: String,
    /// Replicas before and after.
    pub from: i64,
    pub to: i64,
    /// The metric's value as the autoscaler read it, and its target.
    pub metric: String,
    /// The autoscaler's reason.
    pub reason: String,
    /// For a scale-up of an InferenceService's predictor: seconds until as many replicas
    /// were ready (null: not within the run, or asked for fewer again before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_after_s: Option<f64>,
}

/// An interval without a ready replica.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Outage {
    /// Start, seconds.
    pub from_s: f64,
    /// End, seconds; null when it lasted to the end of the run.
    pub to_s: Option<f64>,
}

/// The number of ready replicas from a moment on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadyReplicas {
    /// When it changed, seconds.
    pub t_s: f64,
    /// Ready replicas from then on.
    pub ready: u64,
}

/// A model-serving pod's start-up as planned when it was bound.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ColdStartRecord {
    /// The pod's name.
    pub pod: String,
    /// The pod's namespace.
    pub namespace: String,
    /// The node it was bound to.
    pub node: String,
    /// When it was bound, seconds.
    pub bound_s: f64,
    /// Its start-up steps: model download or cache hit, container start, weight load,
    /// engine start, readiness probe.
    pub steps: Vec<StartupStep>,
    /// All steps together, seconds.
    pub total_s: f64,
    /// vLLM's error when the engine cannot start.
    pub failure: Option<String>,
}

/// Request metrics of one service over the run. Latencies come from HDR histograms at 3
/// significant digits; each request is recorded once, in its window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelReport {
    /// Requests arrived.
    pub requests: u64,
    /// Requests answered.
    pub completed: u64,
    /// Requests failed.
    pub failed: u64,
    /// Failed requests by reason: `no_ready_replica_503`, `replica_terminated`,
    /// `replica_unreachable`, `context_length_exceeded_400`, `backlog_limit_exceeded`.
    pub failed_by_reason: IndexMap<String, u64>,
    /// Requests still open at the end.
    pub in_flight_at_end: u64,
    /// Time to first token, milliseconds.
    pub ttft_ms: LatencySummary,
    /// Mean time between output tokens after the first, per request, milliseconds.
    pub tpot_ms: LatencySummary,
    /// Arrival to last token, milliseconds.
    pub e2e_ms: LatencySummary,
    /// Arrival to first scheduled engine step, milliseconds.
    pub queue_ms: LatencySummary,
    /// Prompt tokens of completed requests.
    pub prompt_tokens: u64,
    /// Output tokens of completed requests.
    pub output_tokens: u64,
    /// Output tokens per second of the run.
    pub output_tokens_per_s: f64,
    /// Recomputations after running out of KV-cache blocks.
    pub preemptions: u64,
    /// Prompt tokens served from the prefix cache.
    pub prefix_cached_tokens: u64,
    /// SLO attainment; absent when the scenario states no SLO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo: Option<Slo>,
    /// Per metrics window that had any request; empty windows are left out.
    pub windows: Vec<Window>,
    /// The service's namespace.
    pub namespace: String,
    /// How requests were spread over replicas, e.g. `round-robin`.
    pub router: String,
    /// Each replica that served.
    pub replicas: Vec<ReplicaRecord>,
    /// Requests that arrived while capacity the service asked for was not serving yet,
    /// and those of them (or any request) that failed meanwhile, by why: `kueue_quota`,
    /// `kueue_preemption`, `scheduling`, `cold_start`. Only causes that occurred.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub capacity_waits: IndexMap<String, CapacityWaitRecord>,
}

/// Requests met by one cause of missing capacity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CapacityWaitRecord {
    /// Requests that arrived while it held.
    pub arrived: u64,
    /// Requests that failed while it held.
    pub failed: u64,
}

/// One latency's distribution over completed requests, milliseconds. Only `count` is
/// written when there is none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Requests measured.
    pub count: u64,
    /// Mean, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// Median, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50: Option<f64>,
    /// 90th percentile, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p90: Option<f64>,
    /// 95th percentile, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95: Option<f64>,
    /// 99th percentile, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99: Option<f64>,
    /// Largest, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// `[fraction, ms]` pairs: every 2% from the minimum, then 99%, 99.9% and the maximum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cdf: Option<Vec<(f64, f64)>>,
}

/// SLO attainment of one service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Slo {
    /// Per SLO term, by key (`ttft_p95`).
    pub terms: IndexMap<String, SloTermRecord>,
    /// Completed requests within every term.
    pub good_requests: u64,
    /// Good requests ÷ (completed + failed); null when none were.
    pub attainment: Option<f64>,
    /// Good requests per second of the run.
    pub goodput_rps: f64,
}

/// One SLO term's outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SloTermRecord {
    /// The threshold, milliseconds.
    pub target_ms: f64,
    /// The percentile over the run, milliseconds; null without completed requests.
    pub actual_ms: Option<f64>,
    /// Whether `actual_ms` is within `target_ms`.
    pub met: bool,
    /// Share of completed requests within the threshold; null without any.
    pub attainment: Option<f64>,
}

/// One metrics window (`metricsWindow` wide). Latency percentiles are null when no
/// request completed in it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// Its start, seconds.
    pub t_s: f64,
    /// Requests arrived in it.
    pub arrived: u64,
    /// Requests completed in it.
    pub completed: u64,
    /// Requests failed in it.
    pub failed: u64,
    /// The most requests waiting for a batch slot at once: engines' waiting queues plus
    /// requests the router holds for want of a ready replica.
    pub waiting_max: u64,
    /// Output tokens of its completed requests per second of the window.
    pub output_tokens_per_s: f64,
    /// Median time to first token of the requests completed in it, milliseconds.
    pub ttft_p50_ms: Option<f64>,
    /// 95th percentile time to first token of the requests completed in it, milliseconds.
    pub ttft_p95_ms: Option<f64>,
    /// Median time per output token of the requests completed in it, milliseconds.
    pub tpot_p50_ms: Option<f64>,
    /// 95th percentile time per output token of the requests completed in it, milliseconds.
    pub tpot_p95_ms: Option<f64>,
    /// Median end-to-end latency of the requests completed in it, milliseconds.
    pub e2e_p50_ms: Option<f64>,
    /// 95th percentile end-to-end latency of the requests completed in it, milliseconds.
    pub e2e_p95_ms: Option<f64>,
    /// Median queueing delay of the requests completed in it, milliseconds.
    pub queue_p50_ms: Option<f64>,
    /// 95th percentile queueing delay of the requests completed in it, milliseconds.
    pub queue_p95_ms: Option<f64>,
    /// The service's replicas' GPU-seconds in engine steps within the window ÷ their
    /// GPU-seconds with a running engine (Ready until the pod is gone or its node dead)
    /// within it, 4 decimals; null when no engine ran in it.
    #[serde(default)]
    pub busy_fraction: Option<f64>,
}

/// One replica's part in serving.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReplicaRecord {
    /// The engine pod.
    pub pod: String,
    /// Its node.
    pub node: String,
    /// GPUs it holds.
    pub gpus: u32,
    /// Requests it completed.
    pub completed: u64,
    /// Seconds its engine spent in steps.
    pub busy_s: f64,
    /// The most of its KV cache in use at once once a step was scheduled (vLLM's
    /// `kv_cache_usage_perc` at its peak), as a share, 4 decimals; 0 when it never ran.
    #[serde(default)]
    pub kv_cache_usage_max: f64,
}

/// GPU-hours offered, allocated and busy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Utilization {
    /// Every node's GPUs × its lifetime.
    pub gpu_hours_capacity: f64,
    /// GPU-hours allocated to pods.
    pub gpu_hours_allocated: f64,
    /// Allocated ÷ capacity (0 without GPUs).
    pub gpu_allocated_fraction: f64,
    /// With traffic: the GPU pods' time busy in engine steps; null without traffic.
    pub gpu_busy: Option<GpuBusy>,
}

/// The GPU pods' allocated and busy time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GpuBusy {
    /// GPU-hours allocated to GPU pods.
    pub gpu_hours_allocated: f64,
    /// GPU-hours in engine steps.
    pub gpu_hours_busy: f64,
    /// Busy ÷ allocated, 4 decimals.
    pub busy_fraction: f64,
    /// Per GPU pod life (a restart opens another).
    pub pods: Vec<PodBusy>,
}

/// One GPU pod's allocated and busy time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PodBusy {
    /// The GPU pod.
    pub pod: String,
    /// Its node.
    pub node: String,
    /// GPUs it holds.
    pub gpus: u32,
    /// From binding until gone, × GPUs, GPU-seconds (3 decimals).
    pub gpu_seconds_allocated: f64,
    /// Engine steps × GPUs, GPU-seconds (3 decimals).
    pub gpu_seconds_busy: f64,
    /// Busy ÷ allocated, 4 decimals.
    pub busy_fraction: f64,
}

/// What the run cost at on-demand prices, US dollars rounded to cents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    /// When the catalog's prices were taken.
    pub price_date: String,
    /// Length of the run, hours.
    pub hours: f64,
    /// Node-hours × on-demand price.
    pub total_usd: f64,
    /// Per priced instance type.
    pub by_instance_type: IndexMap<String, InstanceTypeCost>,
    /// Per node pool.
    pub by_node_pool: IndexMap<String, PoolCost>,
    /// GPU-hours of all nodes.
    pub gpu_hours: GpuHours,
    /// GPU-hours allocated to no pod, at each node's price per GPU-hour (instance price ÷
    /// its GPUs).
    pub idle_usd: f64,
    /// Engine pods' allocated GPU-hours outside engine steps, at the same price; null
    /// without traffic.
    pub allocated_not_busy_usd: Option<f64>,
    /// Total ÷ output tokens served, per million; null without output tokens.
    pub usd_per_million_output_tokens: Option<f64>,
}

/// The spend on one instance type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InstanceTypeCost {
    /// Nodes of that type.
    pub nodes: u32,
    /// Their node-hours × the type's price, US dollars.
    pub usd: f64,
}

/// The spend on one node pool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PoolCost {
    /// Its instance types, comma-separated.
    pub instance_type: String,
    /// Its nodes.
    pub nodes: u64,
    /// Its nodes' lifetimes, hours.
    pub node_hours: f64,
    /// Its node-hours × their prices, US dollars.
    pub usd: f64,
    /// Its GPUs × their lifetimes, GPU-hours.
    pub gpu_hours_capacity: f64,
    /// GPU-hours allocated to pods.
    pub gpu_hours_allocated: f64,
    /// The part of `usd` on GPUs allocated to no pod.
    pub idle_usd: f64,
}

/// GPU-hours of all nodes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GpuHours {
    /// Offered: GPUs × lifetimes.
    pub capacity: f64,
    /// Allocated to pods.
    pub allocated: f64,
    /// Busy in engine steps; null without traffic.
    pub busy: Option<f64>,
}

/// The run as a month of the same usage: what the nodes would cost over
/// [`Monthly::hours_per_month`] hours at the rate the run spent (its spend ÷ its hours, at
/// the catalog's on-demand prices), the GPUs in allocated and busy terms, and how much more
/// the served models and the fleet could take. Money is US dollars a month, rounded to
/// cents, extrapolated from the unrounded spend (so `usd` matches `cost.total_usd ÷
/// cost.hours × 730` up to the rounding of `total_usd` to cents).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Monthly {
    /// Hours in a month: 730 (8,760 hours a year ÷ 12).
    pub hours_per_month: f64,
    /// The nodes' spend a month.
    pub usd: f64,
    /// Per priced instance type.
    pub by_instance_type: IndexMap<String, f64>,
    /// Per node pool.
    pub by_node_pool: IndexMap<String, f64>,
    /// Per InferenceService (`namespace/name`): its pods' GPU-hours at their nodes' price
    /// per GPU-hour (`inference_services[].gpu_cost_usd`) a month; empty without traffic.
    pub by_inference_service: IndexMap<String, f64>,
    /// The part of `usd` on GPUs allocated to no pod.
    pub idle_usd: f64,
    /// The part of `usd` on GPUs allocated to engine pods outside engine steps; null
    /// without traffic.
    pub allocated_not_busy_usd: Option<f64>,
    /// The fleet's GPUs on average over the run.
    pub gpus: MonthlyGpus,
    /// Per service with traffic, by its `models` key: its GPUs, how busy, and headroom.
    pub models: IndexMap<String, ModelMonthly>,
    /// The most GPUs allocated at once and the GPUs left unallocated then; null when no
    /// pod held a GPU.
    pub allocation_peak: Option<AllocationPeak>,
}

/// The fleet's GPUs on average over the run (GPU-hours ÷ the run's hours), 2 decimals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MonthlyGpus {
    /// On the nodes (failed GPUs included: they are paid for).
    pub offered: f64,
    /// Allocated to pods.
    pub allocated: f64,
    /// Busy in engine steps; null without traffic.
    pub busy: Option<f64>,
    /// Allocated ÷ offered GPU-hours, 4 decimals (0 without GPUs).
    pub allocated_fraction: f64,
    /// Busy ÷ allocated GPU-hours of the GPU pods (`utilization.gpu_busy.busy_fraction`);
    /// null without traffic.
    pub busy_fraction: Option<f64>,
}

/// One served model's GPUs, how busy its replicas were, and how much more they could take.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelMonthly {
    /// Its pods' GPUs on average over the run, 2 decimals.
    pub gpus_allocated: f64,
    /// Its pods' GPU cost a month.
    pub usd: f64,
    /// Its replicas' GPU-seconds in engine steps ÷ its pods' allocated GPU-seconds,
    /// 4 decimals; null when its pods held no GPU.
    pub busy_fraction: Option<f64>,
    /// The largest `busy_fraction` of its metrics windows; null when none has one.
    pub peak_busy_fraction: Option<f64>,
    /// The start of that window, seconds (the first, on a tie).
    pub peak_busy_window_s: Option<f64>,
    /// 1 − `peak_busy_fraction`: the share of its engines' time in its busiest window
    /// spent outside steps, 4 decimals; null with it. An engine steps whenever a request
    /// is in flight, however few, so steady traffic reads 0 here while the batch could
    /// still grow: `kv_cache_headroom` and `peak_waiting` say whether it could.
    pub busy_headroom: Option<f64>,
    /// The most of a replica's KV cache in use at once (`replicas[].kv_cache_usage_max`);
    /// null when it had no replica.
    pub peak_kv_cache_usage: Option<f64>,
    /// 1 − `peak_kv_cache_usage`: the share of the KV cache no request held even at the
    /// peak, 4 decimals; null with it.
    pub kv_cache_headroom: Option<f64>,
    /// The most requests waiting for a batch slot at once (`windows[].waiting_max`).
    pub peak_waiting: u64,
    /// Recomputations after running out of KV-cache blocks (`models.*.preemptions`).
    pub kv_cache_preemptions: u64,
}

/// The instant the most GPUs were allocated to pods at once (the first with the fewest
/// unallocated GPUs, when it recurs).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AllocationPeak {
    /// When, seconds.
    pub t_s: f64,
    /// GPUs allocated to pods then.
    pub gpus_allocated: i64,
    /// GPUs the nodes offered pods then (allocatable: a failed GPU is not).
    pub gpus_allocatable: i64,
    /// GPUs allocatable and not allocated then, per node, summed: the fleet's headroom.
    pub gpus_unallocated: i64,
}

/// A rollout deadlock.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeadlockRecord {
    /// When it was found, seconds.
    pub detected_s: f64,
    /// When it ended, seconds; null when it lasted to the end.
    pub resolved_s: Option<f64>,
    /// The pods waiting on each other.
    pub pods: Vec<String>,
    /// Their Deployments.
    pub deployments: Vec<String>,
    /// What happened, in plain words with the rollout arithmetic.
    pub description: String,
    /// How to get out of it.
    pub fix: String,
}

/// One `expect:` entry's outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExpectationRecord {
    /// Its `name:`, the JUnit test case's name; null when it has none.
    #[serde(default)]
    pub name: Option<String>,
    /// The entry as written.
    pub expect: String,
    /// Where it was written: `file:line:column`.
    pub location: String,
    /// Whether it held.
    pub passed: bool,
    /// What was found.
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_integers_when_whole() {
        // (amount, JSON)
        let cases = [
            (Amount(4.0), "4"),
            (Amount(0.5), "0.5"),
            (Amount(68719476736.0), "68719476736"),
            (Amount(-0.0), "0"),
            (Amount(f64::NAN), "null"),
        ];
        for (a, want) in cases {
            assert_eq!(serde_json::to_string(&a).ok().as_deref(), Some(want), "{a:?}");
        }
        assert_eq!(Amount::from(Quantity::from_milli(1500)), Amount(1.5));
        assert_eq!(serde_json::from_str::<Amount>("4").ok(), Some(Amount(4.0)));
    }

    #[test]
    fn an_empty_latency_summary_writes_only_its_count() {
        let s = LatencySummary::default();
        assert_eq!(serde_json::to_string(&s).ok().as_deref(), Some("{\"count\":0}"));
        let m = ModelReport::default();
        let text = serde_json::to_string(&m).unwrap_or_default();
        assert!(!text.contains("\"slo\""), "no SLO, no key: {text}");
    }
}
