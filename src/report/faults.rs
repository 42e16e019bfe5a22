//! The report's `faults`: each fault with the pods it struck, their replacements, the
//! Workloads Kueue admitted again, and each struck service's downtime and failed
//! requests within the fault's impact window.

use super::model::{FaultReport, FaultServiceImpact};
use crate::scenario::run::RunResult;

pub(crate) fn section(r: &RunResult) -> Vec<FaultReport> {
    let store = r.engine.store();
    let service_name = |(ns, name): &(String, String)| {
        // Models are keyed by name, or namespace/name when the name is taken twice.
        if r.served.models.contains_key(name.as_str()) {
            name.clone()
        } else {
            format!("{ns}/{name}")
        }
    };
    store
        .faults
        .iter()
        .map(|f| FaultReport {
            id: f.id,
            at_s: f.at.as_secs_f64(),
            fault_type: f.type_name.to_string(),
            node: f.node.clone(),
            description: f.description.clone(),
            random: f.random,
            ended_s: f.ended_at.map(|t| t.as_secs_f64()),
            pods_struck: f.pods.clone(),
            replacement_pods: f.replacements.clone(),
            replacements_ready_s: f.replaced_ready_at.map(|t| t.as_secs_f64()),
            workloads_readmitted: f
                .readmitted
                .iter()
                .filter_map(|w| store.workloads.get(*w))
                .map(|w| format!("{}/{}", w.namespace, w.name))
                .collect(),
            evictions: f.evictions,
            services: r
                .served
                .fault_impact
                .iter()
                .filter(|i| i.fault == f.id)
                .map(|i| FaultServiceImpact {
                    service: service_name(&i.service),
                    recovered_s: i.recovered.then_some(i.end_s),
                    downtime_s: i.downtime_s,
                    failed_requests: i.failed_requests,
                })
                .collect(),
        })
        .collect()
}
