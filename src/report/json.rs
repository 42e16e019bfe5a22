//! Building the [`Report`] of a finished run. This is the one place that reads the
//! simulation's internals (the store, Kueue's queues, the event log, pod lives, serving)
//! for the report: the writers and readers of report.json only see the typed report.

use super::cost::{NodeBill, PodUse};
use super::model::*;
use super::secs;
use crate::scenario::expect::Outcome;
use crate::scenario::run::RunResult;
use crate::scenario::usage::QueueUsage;
use crate::store::Store;
use crate::units::{Quantity, SimTime};
use indexmap::IndexMap;
use std::collections::BTreeMap;

fn opt_s(t: Option<SimTime>) -> Option<f64> {
    t.map(secs)
}

fn amounts<'a>(list: impl IntoIterator<Item = (&'a String, &'a Quantity)>) -> Resources {
    list.into_iter().map(|(k, q)| (k.clone(), Amount::from(*q))).collect()
}

/// The report of a run, its expectations not yet evaluated (`expectations` is empty: they
/// read the report, and [`expectations`] adds their outcomes).
pub(crate) fn build(r: &RunResult) -> Report {
    let w = r.engine.store();
    let fleet = fleet(r);
    let pod_use = pod_uses(r, secs(w.now));
    let utilization = utilization(r, &fleet, &pod_use);
    let cost = cost(r, &fleet.bills, &pod_use);
    let monthly = super::monthly::section(
        cost.hours,
        &fleet.bills,
        &pod_use,
        &r.served.models,
        w.gpu_allocation_peak.map(allocation_peak),
    );
    let p = &r.prepared;
    let workloads: Vec<WorkloadRecord> = w.workloads.values().map(|wl| workload(w, wl)).collect();
    let workload_summary = super::limit::workload_summary(&workloads);
    let limit = p.report_limit;
    let (events, events_cut) = events(r, limit);
    let mut samples = (0, 0);
    let cluster_queues = w
        .cluster_queues
        .values()
        .map(|cq| {
            let (record, total) = cluster_queue(r, cq, limit);
            samples.0 += record.usage_over_time.len() as u64;
            samples.1 += total as u64;
            record
        })
        .collect();
    let usage_cut = (samples.0 < samples.1).then(|| Cut {
        written: samples.0,
        total: samples.1,
        by_reason: IndexMap::new(),
    });
    let truncated = (events_cut.is_some() || usage_cut.is_some()).then(|| Truncated {
        limit: limit as u64,
        events: events_cut,
        workloads: None,
        usage_samples: usage_cut,
    });
    Report {
        schema: SCHEMA.to_string(),
        scenario: p.scenario.name.clone(),
        seed: p.scenario.seed,
        duration_s: secs(w.now),
        inputs: inputs(r),
        events,
        timeline: timeline(r),
        workloads,
        workload_summary,
        pods: w.pods.values().map(|p| pod(w, p)).collect(),
        cluster_queues,
        nodes: fleet.records,
        inference_services: inference_services(r, &service_gpu_use(r, &fleet.bills, secs(w.now))),
        scaling_decisions: scaling_decisions(r),
        cold_starts: r.engine.kubelet().cold_starts.iter().map(cold_start).collect(),
        models: r.served.models.clone(),
        utilization,
        cost,
        monthly,
        deadlocks: deadlocks(r),
        expectations: Vec::new(),
        faults: super::faults::section(r),
        truncated,
    }
}

/// The autoscalers' decisions, each scale-up of a predictor with the time until as many
/// replicas were ready.
fn scaling_decisions(r: &RunResult) -> Vec<ScalingDecisionRecord> {
    let decisions = &r.engine.store().scaling_decisions;
    decisions
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let ready_after_s = (d.to > d.from)
                .then(|| {
                    let (ns, deployment) = d.target.split_once('/')?;
                    let isvc = deployment.strip_suffix("-predictor")?;
                    let history = r.serving.get(&(ns.to_string(), isvc.to_string()))?;
                    // Until the next decision on this target asks for fewer.
                    let lowered = decisions[i + 1..]
                        .iter()
                        .find(|n| n.target == d.target && n.to < d.to)
                        .map(|n| n.t);
                    history
                        .iter()
                        .find(|(t, n)| *t >= d.t && *n as i32 >= d.to)
                        .map(|(t, _)| *t)
                        .filter(|t| lowered.is_none_or(|l| *t <= l))
                        .map(|t| secs(t) - secs(d.t))
                })
                .flatten();
            ScalingDecisionRecord {
                t_s: secs(d.t),
                autoscaler_kind: d.autoscaler_kind.to_string(),
                autoscaler: d.autoscaler.clone(),
                target: d.target.clone(),
                from: d.from as i64,
                to: d.to as i64,
                metric: d.metric.clone(),
                reason: d.reason.clone(),
                ready_after_s,
            }
        })
        .collect()
}

/// The `expectations` of a report from their outcomes.
pub(crate) fn expectations(outcomes: &[Outcome]) -> Vec<ExpectationRecord> {
    outcomes
        .iter()
        .map(|o| ExpectationRecord {
            name: o.expectation.name.clone(),
            expect: o.expectation.text.clone(),
            location: o.expectation.loc.to_string(),
            passed: o.passed,
            detail: o.detail.clone(),
        })
        .collect()
}

fn inputs(r: &RunResult) -> Inputs {
    Inputs {
        skipped: r
            .prepared
            .skipped
            .iter()
            .map(|(kind, name, location, note)| SkippedInput {
                kind: kind.clone(),
                name: name.clone(),
                location: location.clone(),
                note: note.to_string(),
            })
            .collect(),
        warnings: r.engine.warnings().to_vec(),
    }
}

/// The first `limit` events, and what was cut (every event counted by reason).
fn events(r: &RunResult, limit: usize) -> (Vec<EventRecord>, Option<Cut>) {
    let all = &r.engine.store().events;
    let records: Vec<EventRecord> = all
        .iter()
        .take(limit)
        .map(|e| EventRecord {
            t_s: secs(e.t),
            kind: e.kind.clone(),
            object: e.object.clone(),
            message: e.message.clone(),
        })
        .collect();
    let cut = (all.total() > records.len() as u64).then(|| Cut {
        written: records.len() as u64,
        total: all.total(),
        by_reason: all.by_reason().iter().map(|(k, n)| (k.clone(), *n)).collect(),
    });
    (records, cut)
}

fn timeline(r: &RunResult) -> Vec<TimelineEntry> {
    r.transcript
        .iter()
        .map(|t| TimelineEntry {
            t_s: secs(t.t),
            command: t.command.clone(),
            output: t.output.clone(),
            follow: t
                .follow
                .iter()
                .map(|l| crate::report::model::FollowRecord {
                    t_s: secs(l.t),
                    line: l.line.clone(),
                })
                .collect(),
        })
        .collect()
}

fn workload(w: &Store, wl: &crate::store::Workload) -> WorkloadRecord {
    let flavors: IndexMap<String, IndexMap<String, String>> = wl
        .admission
        .as_ref()
        .map(|a| {
            a.pod_set_assignments
                .iter()
                .map(|ps| {
                    let per_resource = ps.flavors.iter().map(|(r, f)| (r.clone(), f.clone())).collect();
                    (ps.name.clone(), per_resource)
                })
                .collect()
        })
        .unwrap_or_default();
    let gpus = wl.requests.gpus();
    // Why it is where it ended: Kueue's pending reason and message, or, evicted, the
    // `Evicted` condition's reason (`Preempted`, `PodsReadyTimeout`) and message.
    let (reason, message) = match (wl.current_state(), wl.evictions.last()) {
        (crate::store::WorkloadState::Evicted, Some(e)) => (Some(e.reason.clone()), Some(e.message.clone())),
        _ if wl.is_pending() => (wl.pending_reason.clone(), wl.pending_message.clone()),
        _ => (None, None),
    };
    WorkloadRecord {
        name: wl.name.clone(),
        namespace: wl.namespace.clone(),
        owner: wl.owner.clone(),
        pod: wl.pod_name.clone(),
        queue: wl.queue_name.clone(),
        cluster_queue: w.cluster_queue_of(wl).map(str::to_string),
        priority: wl.priority,
        priority_class: wl.priority_class.clone(),
        // A GPU count beyond i64 is no request a node could hold; saturate rather than wrap.
        gpus: i64::try_from(gpus).unwrap_or(if gpus < 0 { i64::MIN } else { i64::MAX }),
        requests: amounts(&wl.requests.0),
        flavors,
        created_s: secs(wl.created),
        admitted_s: opt_s(wl.admitted_at),
        ready_s: opt_s(wl.ready_at),
        evicted_s: opt_s(wl.evicted_at),
        finished_s: opt_s(wl.finished_at),
        state: wl.current_state().as_str().to_string(),
        reason,
        message,
        history: wl
            .history
            .iter()
            .map(|(t, s)| StateChange {
                t_s: secs(*t),
                state: s.as_str().to_string(),
            })
            .collect(),
        pending_s: wl.pending_time(w.now).as_secs_f64(),
        evictions: wl
            .evictions
            .iter()
            .map(|e| EvictionRecord {
                t_s: secs(e.at),
                reason: e.reason.clone(),
                preemption_reason: e.preemption_reason.clone(),
                preemptor: e
                    .preemptor
                    .and_then(|p| w.workloads.get(p))
                    .map(|p| format!("{}/{}", p.namespace, p.name)),
                message: e.message.clone(),
            })
            .collect(),
    }
}

fn startup_steps(steps: &[crate::cluster::kubelet::Step]) -> Vec<StartupStep> {
    steps
        .iter()
        .map(|s| StartupStep {
            step: s.name.clone(),
            seconds: s.duration.as_secs_f64(),
        })
        .collect()
}

fn pod(w: &Store, p: &crate::store::Pod) -> PodRecord {
    PodRecord {
        name: p.name.clone(),
        namespace: p.namespace.clone(),
        node: p.node.clone(),
        status: p.status(),
        owner: w.deployment_of_pod(p).map(|d| d.name.clone()),
        created_s: secs(p.created),
        scheduled_s: opt_s(p.scheduled_at),
        ready_s: opt_s(p.ready_at),
        unschedulable: p.unschedulable.clone(),
        startup: startup_steps(&p.startup),
        restarts: p.crash.restarts,
        error: p.crash.failure.as_ref().map(|f| f.message.clone()),
        kv_cache_tokens: p.memory.as_ref().map(|m| m.kv_capacity_tokens),
    }
}

/// A ClusterQueue's record, its usage samples cut to `limit`; with how many samples there
/// were.
fn cluster_queue(r: &RunResult, cq: &crate::api::kueue::ClusterQueue, limit: usize) -> (ClusterQueueRecord, usize) {
    let w = r.engine.store();
    let mut quota = FlavorResources::new();
    let mut usage = FlavorResources::new();
    let mut borrowed = FlavorResources::new();
    let mut limits = IndexMap::new();
    for f in cq.resource_groups.iter().flat_map(|g| &g.flavors) {
        let used = |res: &str| r.engine.kueue().cache.usage_of(&cq.name, &f.name, res);
        quota.insert(
            f.name.clone(),
            f.resources
                .iter()
                .map(|rq| (rq.name.clone(), rq.nominal.into()))
                .collect(),
        );
        let over: Resources = f
            .resources
            .iter()
            .filter_map(|rq| {
                let o = used(&rq.name) - rq.nominal;
                (o > Quantity::ZERO).then(|| (rq.name.clone(), o.into()))
            })
            .collect();
        if !over.is_empty() {
            borrowed.insert(f.name.clone(), over);
        }
        let lim: IndexMap<String, QuotaLimits> = f
            .resources
            .iter()
            .filter(|rq| rq.borrowing_limit.is_some() || rq.lending_limit.is_some())
            .map(|rq| {
                let limits = QuotaLimits {
                    borrowing_limit: rq.borrowing_limit.map(Amount::from),
                    lending_limit: rq.lending_limit.map(Amount::from),
                };
                (rq.name.clone(), limits)
            })
            .collect();
        if !lim.is_empty() {
            limits.insert(f.name.clone(), lim);
        }
        usage.insert(
            f.name.clone(),
            f.resources
                .iter()
                .map(|rq| (rq.name.clone(), used(&rq.name).into()))
                .collect(),
        );
    }
    let samples: Vec<(SimTime, QueueUsage)> = r.usage.of_queue(&cq.name).collect();
    let total = samples.len();
    let usage_over_time = super::limit::peaks(samples, limit, secs(w.now))
        .into_iter()
        .map(|(t, used)| {
            // A queue's usage is keyed by (flavor, resource) in order, so each flavor's
            // resources come out sorted, as are the flavors.
            let mut per = FlavorResources::new();
            let mut borrowed = FlavorResources::new();
            for (fr, q) in &used {
                let (f, res) = (&fr.flavor, &fr.resource);
                per.entry(f.clone()).or_default().insert(res.clone(), (*q).into());
                let over = *q - nominal_of(cq, f, res);
                if over > Quantity::ZERO {
                    borrowed.entry(f.clone()).or_default().insert(res.clone(), over.into());
                }
            }
            UsageSampleRecord {
                t_s: secs(t),
                usage: per,
                borrowed,
            }
        })
        .collect();
    let record = ClusterQueueRecord {
        name: cq.name.clone(),
        cohort: cq.cohort.clone(),
        strategy: format!("{:?}", cq.queueing_strategy),
        quota,
        usage,
        borrowed,
        limits,
        pending_workloads: crate::scenario::printers::pending_in(w, &cq.name) as u64,
        admitted_workloads: crate::scenario::printers::admitted_in(w, &cq.name) as u64,
        usage_over_time,
    };
    (record, total)
}

/// A ClusterQueue's nominal quota of one resource in one flavor (zero when it has none).
fn nominal_of(cq: &crate::api::kueue::ClusterQueue, flavor: &str, resource: &str) -> Quantity {
    cq.resource_groups
        .iter()
        .flat_map(|g| &g.flavors)
        .find(|f| f.name == flavor)
        .and_then(|f| f.quota(resource))
        .map(|q| q.nominal)
        .unwrap_or_default()
}

/// The nodes' records, their parts in the bill, and the fleet's GPU time.
struct Fleet {
    records: Vec<NodeRecord>,
    bills: Vec<NodeBill>,
    /// GPU-milliseconds allocated to pods, all nodes.
    gpu_ms_allocated: u128,
    /// GPU-milliseconds offered (GPUs × lifetime), all nodes.
    gpu_ms_capacity: u128,
}

fn fleet(r: &RunResult) -> Fleet {
    let w = r.engine.store();
    let end = w.now;
    let mut fleet = Fleet {
        records: Vec::new(),
        bills: Vec::new(),
        gpu_ms_allocated: 0,
        gpu_ms_capacity: 0,
    };
    let departed = w.departed_nodes.iter().map(|d| (&d.node, Some(d.deleted_at)));
    for (n, deleted) in w.nodes.values().map(|n| (n, None)).chain(departed) {
        // Accounting to the end (or the deletion) on a copy: the store stays as the run
        // left it.
        let until = deleted.unwrap_or(end);
        let mut n2 = n.clone();
        n2.account(until);
        fleet.gpu_ms_allocated += n2.gpu_ms_allocated;
        let alive = until.since(n.created).0 as u128;
        // A failed GPU is still paid for.
        let gpus = n.gpu_capacity().max(0) + n.failed_gpus as i128;
        fleet.gpu_ms_capacity += gpus as u128 * alive;
        let price = n
            .instance_type
            .as_ref()
            .and_then(|i| w.catalog.instance(i))
            .map(|i| i.price_per_hour_usd);
        let pool = n
            .labels
            .get(crate::scenario::run::NODE_POOL_LABEL)
            .or(n.instance_type.as_ref())
            .cloned()
            .unwrap_or_else(|| "-".into());
        let gpu_hours_allocated = n2.gpu_ms_allocated as f64 / 3_600_000.0;
        fleet.bills.push(NodeBill {
            name: n.name.clone(),
            pool: pool.clone(),
            instance_type: n.instance_type.clone(),
            price_per_hour_usd: price,
            hours: alive as f64 / 3_600_000.0,
            gpus: gpus as u32,
            gpu_hours_allocated,
        });
        fleet.records.push(NodeRecord {
            name: n.name.clone(),
            pool,
            instance_type: n.instance_type.clone(),
            unschedulable: n.unschedulable,
            allocatable: amounts(&n.allocatable.0),
            requested: amounts(n.requested.0.iter().filter(|(_, q)| !q.is_zero())),
            pods: n
                .pods
                .iter()
                .filter_map(|p| w.pods.get(p))
                .map(|p| format!("{}/{}", p.namespace, p.name))
                .collect(),
            gpu_hours_capacity: gpus as f64 * alive as f64 / 3_600_000.0,
            gpu_hours_allocated,
            price_per_hour_usd: price,
            deleted_s: opt_s(deleted),
            failed_gpus: n.failed_gpus,
        });
    }
    fleet
}

/// Each service's GPU-hours allocated (its pods' lives) and what they cost at their
/// nodes' price per GPU-hour.
fn service_gpu_use(r: &RunResult, bills: &[NodeBill], end_s: f64) -> BTreeMap<(String, String), (f64, f64)> {
    let mut out: BTreeMap<(String, String), (f64, f64)> = BTreeMap::new();
    for l in &r.lives.lives {
        let Some(key) = &l.isvc else { continue };
        let hours = (l.gone_s.unwrap_or(end_s) - l.bound_s).max(0.0) * l.gpus as f64 / 3600.0;
        let price = bills
            .iter()
            .find(|b| b.name == l.node)
            .and_then(|b| b.usd_per_gpu_hour())
            .unwrap_or(0.0);
        let e = out.entry(key.clone()).or_default();
        e.0 += hours;
        e.1 += hours * price;
    }
    out
}

fn inference_services(r: &RunResult, gpu_use: &BTreeMap<(String, String), (f64, f64)>) -> Vec<InferenceServiceRecord> {
    let store = r.engine.store();
    let end = store.now;
    r.serving
        .iter()
        .map(|((ns, name), h)| {
            // Outages: intervals with no ready replica after the service first served.
            let first_ready = h.iter().find(|(_, n)| *n > 0).map(|(t, _)| *t);
            let mut outages = Vec::new();
            let mut down_since: Option<SimTime> = None;
            for (t, n) in h.iter().filter(|(t, _)| first_ready.is_some_and(|f| *t >= f)) {
                match (n, down_since) {
                    (0, None) => down_since = Some(*t),
                    (n, Some(s)) if *n > 0 => {
                        outages.push((s, Some(*t)));
                        down_since = None;
                    }
                    _ => {}
                }
            }
            if let Some(s) = down_since {
                outages.push((s, None));
            }
            // Adding 0.0 turns the empty sum's -0.0 into 0.
            let downtime: f64 = outages
                .iter()
                .map(|(s, e)| secs(e.unwrap_or(end)) - secs(*s))
                .sum::<f64>()
                + 0.0;
            let state = store
                .isvcs
                .get(&crate::store::ObjectKey::new(ns.as_str(), name.as_str()));
            let card = state.and_then(|s| store.catalog.inference_service_model(&s.isvc));
            InferenceServiceRecord {
                name: name.clone(),
                namespace: ns.clone(),
                model_card: card.as_ref().map(|c| c.card.name.clone()),
                model_card_match: card.as_ref().map(|c| c.reason.clone()),
                model_card_warning: card.and_then(|c| c.partial),
                first_ready_s: opt_s(first_ready),
                downtime_s: downtime,
                outages: outages
                    .iter()
                    .map(|(s, e)| Outage {
                        from_s: secs(*s),
                        to_s: opt_s(*e),
                    })
                    .collect(),
                ready_replicas_over_time: h
                    .iter()
                    .map(|(t, n)| ReadyReplicas {
                        t_s: secs(*t),
                        ready: *n as u64,
                    })
                    .collect(),
                autoscaler_class: state.and_then(|s| match s.isvc.knative_class() {
                    Some(crate::api::kserve::KnativeClass::Kpa) => Some("kpa".to_string()),
                    Some(crate::api::kserve::KnativeClass::Hpa) => Some("hpa".to_string()),
                    None => s.isvc.autoscaler_class().ok().map(|c| c.name().to_string()),
                }),
                max_ready_replicas: h.iter().map(|(_, n)| *n as u64).max().unwrap_or(0),
                gpu_hours_allocated: gpu_use.get(&(ns.clone(), name.clone())).map(|u| round_to(u.0, 1e3)),
                gpu_cost_usd: gpu_use.get(&(ns.clone(), name.clone())).map(|u| round_to(u.1, 1e2)),
                desired_replicas_over_time: r
                    .desired
                    .get(&(ns.clone(), name.clone()))
                    .map(|d| {
                        d.iter()
                            .map(|(t, n)| DesiredReplicas {
                                t_s: secs(*t),
                                desired: *n as i64,
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect()
}

fn cold_start(c: &crate::store::ColdStart) -> ColdStartRecord {
    ColdStartRecord {
        pod: c.pod.clone(),
        namespace: c.namespace.clone(),
        node: c.node.clone(),
        bound_s: secs(c.bound),
        steps: startup_steps(&c.steps),
        total_s: super::total(c.steps.iter().map(|s| s.duration.as_secs_f64())),
        failure: c.failure.clone(),
    }
}

fn deadlocks(r: &RunResult) -> Vec<DeadlockRecord> {
    r.deadlocks
        .iter()
        .map(|d| DeadlockRecord {
            detected_s: secs(d.detected),
            resolved_s: opt_s(d.resolved),
            pods: d.found.pods.iter().cloned().collect(),
            deployments: d.found.deployments.iter().cloned().collect(),
            description: d.found.description.clone(),
            fix: d.found.fix.clone(),
        })
        .collect()
}

/// GPU time busy in engine steps against GPU time allocated, per GPU pod (runs with
/// traffic only: without requests there is nothing to be busy with).
fn pod_uses(r: &RunResult, end_s: f64) -> Vec<PodUse> {
    r.lives
        .lives
        .iter()
        .map(|l| PodUse {
            node: l.node.clone(),
            service: l.isvc.clone(),
            gpu_seconds_allocated: (l.gone_s.unwrap_or(end_s) - l.bound_s).max(0.0) * l.gpus as f64,
            gpu_seconds_busy: if l.ready_s.is_some() {
                r.served.busy_s.get(&l.pod).copied().unwrap_or(0.0)
            } else {
                0.0
            },
        })
        .collect()
}

/// The report's allocation peak; a GPU count beyond i64 is no fleet, so it saturates.
fn allocation_peak(p: crate::store::GpuAllocationPeak) -> AllocationPeak {
    let count = |n: i128| i64::try_from(n).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX });
    AllocationPeak {
        t_s: secs(p.at),
        gpus_allocated: count(p.allocated),
        gpus_allocatable: count(p.allocatable),
        gpus_unallocated: count(p.unallocated),
    }
}

fn round_to(x: f64, scale: f64) -> f64 {
    // `+ 0.0` turns the -0 of an empty float sum into 0.
    (x * scale).round() / scale + 0.0
}

/// `busy` of `allocated`, to 4 decimals (0 when nothing was allocated).
fn busy_fraction(busy: f64, allocated: f64) -> f64 {
    if allocated > 0.0 {
        round_to(busy / allocated, 1e4)
    } else {
        0.0
    }
}

/// `utilization.gpu_busy` from each pod life and its use (same order); none without
/// GPU pods.
fn gpu_busy(r: &RunResult, uses: &[PodUse]) -> Option<GpuBusy> {
    if uses.is_empty() {
        return None;
    }
    let busy_total = super::total(uses.iter().map(|u| u.gpu_seconds_busy));
    let alloc_total = super::total(uses.iter().map(|u| u.gpu_seconds_allocated));
    let pods = r
        .lives
        .lives
        .iter()
        .zip(uses)
        .map(|(l, u)| {
            let (allocated, busy) = (u.gpu_seconds_allocated, u.gpu_seconds_busy);
            PodBusy {
                pod: l.pod.clone(),
                node: l.node.clone(),
                gpus: l.gpus,
                gpu_seconds_allocated: round_to(allocated, 1000.0),
                gpu_seconds_busy: round_to(busy, 1000.0),
                busy_fraction: busy_fraction(busy, allocated),
            }
        })
        .collect();
    Some(GpuBusy {
        gpu_hours_allocated: alloc_total / 3600.0,
        gpu_hours_busy: busy_total / 3600.0,
        busy_fraction: busy_fraction(busy_total, alloc_total),
        pods,
    })
}

fn utilization(r: &RunResult, fleet: &Fleet, uses: &[PodUse]) -> Utilization {
    let (allocated, capacity) = (fleet.gpu_ms_allocated, fleet.gpu_ms_capacity);
    Utilization {
        gpu_hours_capacity: capacity as f64 / 3_600_000.0,
        gpu_hours_allocated: allocated as f64 / 3_600_000.0,
        gpu_allocated_fraction: if capacity == 0 {
            0.0
        } else {
            allocated as f64 / capacity as f64
        },
        gpu_busy: gpu_busy(r, uses),
    }
}

fn cost(r: &RunResult, bills: &[NodeBill], uses: &[PodUse]) -> Cost {
    let w = r.engine.store();
    let output_tokens: u64 = r.served.models.values().map(|m| m.output_tokens).sum();
    super::cost::section(&w.catalog.price_date, secs(w.now) / 3600.0, bills, uses, output_tokens)
}
