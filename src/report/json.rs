//! Building report.json from a finished run.

use super::cost::PodUse;
use super::secs;
use crate::scenario::expect::Outcome;
use crate::scenario::run::RunResult;
use crate::units::Quantity;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub const SCHEMA: &str = "gpuaas-sim/report/v1";

fn qnum(q: Quantity) -> Value {
    let v = q.milli() as f64 / 1000.0;
    if v.fract() == 0.0 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

fn opt_s(t: Option<crate::units::SimTime>) -> Value {
    t.map(|t| json!(secs(t))).unwrap_or(Value::Null)
}

pub fn expectations(outcomes: &[Outcome]) -> Value {
    outcomes
        .iter()
        .map(|o| {
            json!({
                "expect": o.expectation.text,
                "location": o.expectation.loc.to_string(),
                "passed": o.passed,
                "detail": o.detail
            })
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
            gpu_seconds_allocated: (l.gone_s.unwrap_or(end_s) - l.bound_s).max(0.0) * l.gpus as f64,
            gpu_seconds_busy: if l.ready_s.is_some() {
                r.served.busy_s.get(&l.pod).copied().unwrap_or(0.0)
            } else {
                0.0
            },
        })
        .collect()
}

/// The `utilization.gpu_busy` object from each pod life and its use (same order).
fn gpu_busy(r: &RunResult, uses: &[PodUse]) -> Value {
    if uses.is_empty() {
        return Value::Null;
    }
    let busy_total: f64 = uses.iter().map(|u| u.gpu_seconds_busy).sum();
    let alloc_total: f64 = uses.iter().map(|u| u.gpu_seconds_allocated).sum();
    let pods: Vec<Value> = r
        .lives
        .lives
        .iter()
        .zip(uses)
        .map(|(l, u)| {
            let (allocated, busy) = (u.gpu_seconds_allocated, u.gpu_seconds_busy);
            json!({
                "pod": l.pod, "node": l.node, "gpus": l.gpus,
                "gpu_seconds_allocated": (allocated * 1000.0).round() / 1000.0,
                "gpu_seconds_busy": (busy * 1000.0).round() / 1000.0,
                "busy_fraction": if allocated > 0.0 { ((busy / allocated) * 1e4).round() / 1e4 } else { 0.0 },
            })
        })
        .collect();
    json!({
        "gpu_hours_allocated": alloc_total / 3600.0,
        "gpu_hours_busy": busy_total / 3600.0,
        "busy_fraction": if alloc_total > 0.0 { ((busy_total / alloc_total) * 1e4).round() / 1e4 } else { 0.0 },
        "pods": pods,
    })
}

pub fn build(r: &RunResult, outcomes: &[Outcome]) -> Value {
    let w = r.engine.store();
    let end = w.now;
    let events: Vec<Value> = r
        .engine
        .store()
        .events
        .iter()
        .map(|e| json!({"t_s": secs(e.t), "kind": e.kind, "object": e.object, "message": e.message}))
        .collect();
    let timeline: Vec<Value> = r
        .transcript
        .iter()
        .map(|t| json!({"t_s": secs(t.t), "command": t.command, "output": t.output}))
        .collect();
    let workloads: Vec<Value> = w
        .workloads
        .values()
        .map(|wl| {
            let flavors: Map<String, Value> = wl.admission.as_ref().map(|a| a.flavors.iter().map(|(r, f)| (r.clone(), json!(f))).collect()).unwrap_or_default();
            let gpus: i128 = wl.requests.0.iter().filter(|(k, _)| k.ends_with("/gpu")).map(|(_, q)| q.value_ceil()).sum();
            let cq = w.cluster_queue_of(wl).map(str::to_string);
            json!({
                "name": wl.name, "namespace": wl.namespace, "owner": wl.owner, "pod": wl.pod_name,
                "queue": wl.queue_name, "cluster_queue": cq, "priority": wl.priority, "priority_class": wl.priority_class,
                "gpus": gpus,
                "requests": wl.requests.0.iter().map(|(k, q)| (k.clone(), qnum(*q))).collect::<Map<_, _>>(),
                "flavors": if flavors.is_empty() { json!({}) } else { json!({"main": flavors}) },
                "created_s": secs(wl.created), "admitted_s": opt_s(wl.admitted_at), "ready_s": opt_s(wl.ready_at),
                "evicted_s": opt_s(wl.evicted_at), "finished_s": opt_s(wl.finished_at),
                "state": wl.current_state().as_str(),
                "reason": if wl.is_pending() { json!(wl.pending_reason) } else { Value::Null },
                "message": if wl.is_pending() { json!(wl.pending_message) } else { Value::Null },
                "history": wl.history.iter().map(|(t, s)| json!({"t_s": secs(*t), "state": s.as_str()})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let pods: Vec<Value> = w
        .pods
        .values()
        .map(|p| {
            json!({
                "name": p.name, "namespace": p.namespace, "node": p.node, "status": p.status(),
                "owner": w.deployment_of_pod(p).map(|d| d.name.clone()),
                "created_s": secs(p.created), "scheduled_s": opt_s(p.scheduled_at), "ready_s": opt_s(p.ready_at),
                "unschedulable": p.unschedulable,
                "startup": p.startup.iter().map(|s| json!({"step": s.name, "seconds": s.duration.as_secs_f64()})).collect::<Vec<_>>(),
                "restarts": p.crash.restarts,
                "error": p.crash.failure.as_ref().map(|f| f.message.clone()),
                "kv_cache_tokens": p.memory.as_ref().map(|m| m.kv_capacity_tokens),
            })
        })
        .collect();
    let cluster_queues: Vec<Value> = w
        .cluster_queues
        .values()
        .map(|cq| {
            let mut quota = Map::new();
            let mut usage = Map::new();
            let mut borrowed = Map::new();
            let mut limits = Map::new();
            for g in &cq.resource_groups {
                for f in &g.flavors {
                    quota.insert(
                        f.name.clone(),
                        Value::Object(
                            f.resources
                                .iter()
                                .map(|rq| (rq.name.clone(), qnum(rq.nominal)))
                                .collect(),
                        ),
                    );
                    let over: Map<String, Value> = f
                        .resources
                        .iter()
                        .filter_map(|rq| {
                            let o = r.engine.kueue().cache.usage_of(&cq.name, &f.name, &rq.name) - rq.nominal;
                            (o > Quantity::ZERO).then(|| (rq.name.clone(), qnum(o)))
                        })
                        .collect();
                    if !over.is_empty() {
                        borrowed.insert(f.name.clone(), Value::Object(over));
                    }
                    let lim: Map<String, Value> = f
                        .resources
                        .iter()
                        .filter(|rq| rq.borrowing_limit.is_some() || rq.lending_limit.is_some())
                        .map(|rq| {
                            (
                                rq.name.clone(),
                                json!({"borrowing_limit": rq.borrowing_limit.map(qnum), "lending_limit": rq.lending_limit.map(qnum)}),
                            )
                        })
                        .collect();
                    if !lim.is_empty() {
                        limits.insert(f.name.clone(), Value::Object(lim));
                    }
                    usage.insert(
                        f.name.clone(),
                        Value::Object(
                            f.resources
                                .iter()
                                .map(|rq| (rq.name.clone(), qnum(r.engine.kueue().cache.usage_of(&cq.name, &f.name, &rq.name))))
                                .collect(),
                        ),
                    );
                }
            }
            let samples: Vec<Value> = r
                .usage_samples
                .iter()
                .map(|s| {
                    let mut per: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
                    let mut borrowed: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
                    for ((c, f, res), q) in &s.usage {
                        if c == &cq.name {
                            per.entry(f.clone()).or_default().insert(res.clone(), qnum(*q));
                            let over = *q - nominal_of(cq, f, res);
                            if over > Quantity::ZERO {
                                borrowed.entry(f.clone()).or_default().insert(res.clone(), qnum(over));
                            }
                        }
                    }
                    json!({"t_s": secs(s.t), "usage": per, "borrowed": borrowed})
                })
                .collect();
            json!({
                "name": cq.name, "cohort": cq.cohort, "strategy": format!("{:?}", cq.queueing_strategy),
                "quota": quota, "usage": usage, "borrowed": borrowed, "limits": limits,
                "pending_workloads": crate::scenario::printers::pending_in(w, &cq.name),
                "admitted_workloads": crate::scenario::printers::admitted_in(w, &cq.name),
                "usage_over_time": samples,
            })
        })
        .collect();
    let hours = secs(end) / 3600.0;
    let mut bills = Vec::new();
    let mut total_gpu_ms: u128 = 0;
    let mut capacity_gpu_ms: u128 = 0;
    let nodes: Vec<Value> = w
        .nodes
        .values()
        .map(|n| {
            let mut n2 = n.clone();
            n2.account(end);
            total_gpu_ms += n2.gpu_ms_allocated;
            let alive = end.since(n.created).0 as u128;
            capacity_gpu_ms += n.gpu_capacity().max(0) as u128 * alive;
            let price = n.instance_type.as_ref().and_then(|i| w.catalog.instance(i)).map(|i| i.price_per_hour_usd);
            let pool = n
                .labels
                .get(crate::scenario::run::NODE_POOL_LABEL)
                .or(n.instance_type.as_ref())
                .cloned()
                .unwrap_or_else(|| "-".into());
            bills.push(super::cost::NodeBill {
                name: n.name.clone(),
                pool: pool.clone(),
                instance_type: n.instance_type.clone(),
                price_per_hour_usd: price,
                hours: alive as f64 / 3_600_000.0,
                gpus: n.gpu_capacity().max(0) as u32,
                gpu_hours_allocated: n2.gpu_ms_allocated as f64 / 3_600_000.0,
            });
            json!({
                "name": n.name, "pool": pool, "instance_type": n.instance_type, "unschedulable": n.unschedulable,
                "allocatable": n.allocatable.0.iter().map(|(k, q)| (k.clone(), qnum(*q))).collect::<Map<_, _>>(),
                "requested": n.requested.0.iter().filter(|(_, q)| !q.is_zero()).map(|(k, q)| (k.clone(), qnum(*q))).collect::<Map<_, _>>(),
                "pods": n.pods.iter().filter_map(|p| w.pods.get(p)).map(|p| format!("{}/{}", p.namespace, p.name)).collect::<Vec<_>>(),
                "gpu_hours_capacity": n.gpu_capacity().max(0) as f64 * alive as f64 / 3_600_000.0,
                "gpu_hours_allocated": n2.gpu_ms_allocated as f64 / 3_600_000.0,
                "price_per_hour_usd": price,
            })
        })
        .collect();
    let deadlocks: Vec<Value> = r
        .deadlocks
        .iter()
        .map(|d| json!({"detected_s": secs(d.detected), "resolved_s": opt_s(d.resolved), "pods": d.found.pods, "deployments": d.found.deployments, "description": d.found.description, "fix": d.found.fix}))
        .collect();
    let expectations = expectations(outcomes);
    let inference_services: Vec<Value> = r
        .serving
        .iter()
        .map(|((ns, name), h)| {
            // Outages: intervals with no ready replica after the service first served.
            let first_ready = h.iter().find(|(_, n)| *n > 0).map(|(t, _)| *t);
            let mut outages = Vec::new();
            let mut down_since: Option<crate::units::SimTime> = None;
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
            let downtime: f64 = outages.iter().map(|(s, e)| secs(e.unwrap_or(end)) - secs(*s)).sum::<f64>() + 0.0;
            json!({
                "name": name, "namespace": ns,
                "first_ready_s": opt_s(first_ready),
                "downtime_s": downtime,
                "outages": outages.iter().map(|(s, e)| json!({"from_s": secs(*s), "to_s": opt_s(*e)})).collect::<Vec<_>>(),
                "ready_replicas_over_time": h.iter().map(|(t, n)| json!({"t_s": secs(*t), "ready": n})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let p = &r.prepared;
    let pod_use = pod_uses(r, secs(end));
    let busy = gpu_busy(r, &pod_use);
    let output_tokens: u64 = r
        .served
        .models
        .values()
        .filter_map(|m| m["output_tokens"].as_u64())
        .sum();
    json!({
        "schema": SCHEMA,
        "scenario": p.scenario.name,
        "seed": p.scenario.seed,
        "duration_s": secs(end),
        "inputs": {
            "skipped": p.skipped.iter().map(|(k, n, l, note)| json!({"kind": k, "name": n, "location": l, "note": note})).collect::<Vec<_>>(),
            "warnings": r.engine.warnings(),
        },
        "events": events,
        "timeline": timeline,
        "workloads": workloads,
        "pods": pods,
        "cluster_queues": cluster_queues,
        "nodes": nodes,
        "inference_services": inference_services,
        "cold_starts": r.engine.kubelet().cold_starts.iter().map(|c| json!({
            "pod": c.pod, "namespace": c.namespace, "node": c.node, "bound_s": secs(c.bound),
            "steps": c.steps.iter().map(|s| json!({"step": s.name, "seconds": s.duration.as_secs_f64()})).collect::<Vec<_>>(),
            "total_s": c.steps.iter().map(|s| s.duration.as_secs_f64()).sum::<f64>(),
            "failure": c.failure,
        })).collect::<Vec<_>>(),
        "models": r.served.models,
        "utilization": {
            "gpu_hours_capacity": capacity_gpu_ms as f64 / 3_600_000.0,
            "gpu_hours_allocated": total_gpu_ms as f64 / 3_600_000.0,
            "gpu_allocated_fraction": if capacity_gpu_ms == 0 { 0.0 } else { total_gpu_ms as f64 / capacity_gpu_ms as f64 },
            "gpu_busy": busy,
        },
        "cost": super::cost::section(&w.catalog.price_date, hours, &bills, &pod_use, output_tokens),
        "deadlocks": deadlocks,
        "expectations": expectations,
    })
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
