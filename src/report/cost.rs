//! What the run cost: node-pool hours at on-demand prices, and how much of that bought
//! GPUs nobody was allocated (idle) or GPUs allocated to engines that had nothing to do.

use super::model::{Cost, GpuHours, InstanceTypeCost, PoolCost};
use std::collections::BTreeMap;

/// One node's part in the bill.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NodeBill {
    pub name: String,
    pub pool: String,
    pub instance_type: Option<String>,
    pub price_per_hour_usd: Option<f64>,
    pub hours: f64,
    pub gpus: u32,
    pub gpu_hours_allocated: f64,
}

impl NodeBill {
    pub(crate) fn usd(&self) -> f64 {
        self.price_per_hour_usd.unwrap_or(0.0) * self.hours
    }
    /// What one GPU-hour of this node costs (its price shared by its GPUs).
    pub(crate) fn usd_per_gpu_hour(&self) -> Option<f64> {
        (self.gpus > 0).then(|| self.price_per_hour_usd.unwrap_or(0.0) / self.gpus as f64)
    }
    pub(crate) fn gpu_hours_capacity(&self) -> f64 {
        self.gpus as f64 * self.hours
    }
    /// What its GPUs allocated to no pod cost.
    pub(crate) fn idle_usd(&self) -> f64 {
        self.usd_per_gpu_hour().map_or(0.0, |p| {
            p * (self.gpu_hours_capacity() - self.gpu_hours_allocated).max(0.0)
        })
    }
}

/// An engine pod's allocated and busy GPU time, as in `utilization.gpu_busy.pods`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PodUse {
    pub node: String,
    /// The InferenceService it serves, `(namespace, name)`; none for other GPU pods.
    pub service: Option<(String, String)>,
    pub gpu_seconds_allocated: f64,
    pub gpu_seconds_busy: f64,
}

fn cents(x: f64) -> f64 {
    // `+ 0.0` turns the -0 of an empty float sum into 0, so nothing reads "$-0.00".
    (x * 100.0).round() / 100.0 + 0.0
}

/// The `cost` of a report. `pods` is empty and `output_tokens` zero for a run without
/// traffic; the figures that need them are then `None`.
pub(crate) fn section(price_date: &str, hours: f64, nodes: &[NodeBill], pods: &[PodUse], output_tokens: u64) -> Cost {
    let total: f64 = nodes.iter().map(NodeBill::usd).sum();
    let mut by_type: BTreeMap<&str, (u32, f64)> = BTreeMap::new();
    let mut by_pool: BTreeMap<&str, Vec<&NodeBill>> = BTreeMap::new();
    for n in nodes {
        if let (Some(it), Some(_)) = (&n.instance_type, n.price_per_hour_usd) {
            let e = by_type.entry(it).or_default();
            e.0 += 1;
            e.1 += n.usd();
        }
        by_pool.entry(&n.pool).or_default().push(n);
    }
    let pools = by_pool
        .iter()
        .map(|(pool, ns)| {
            let mut types: Vec<&str> = ns.iter().filter_map(|n| n.instance_type.as_deref()).collect();
            types.dedup();
            let c = PoolCost {
                instance_type: types.join(", "),
                nodes: ns.len() as u64,
                node_hours: super::total(ns.iter().map(|n| n.hours)),
                usd: cents(ns.iter().map(|n| n.usd()).sum()),
                gpu_hours_capacity: super::total(ns.iter().map(|n| n.gpu_hours_capacity())),
                gpu_hours_allocated: super::total(ns.iter().map(|n| n.gpu_hours_allocated)),
                idle_usd: cents(ns.iter().map(|n| n.idle_usd()).sum()),
            };
            (pool.to_string(), c)
        })
        .collect();
    let node_of: BTreeMap<&str, &NodeBill> = nodes.iter().map(|n| (n.name.as_str(), n)).collect();
    let (not_busy_usd, busy_hours) = if pods.is_empty() {
        (None, None)
    } else {
        let usd: f64 = pods
            .iter()
            .filter_map(|p| {
                let price = node_of.get(p.node.as_str())?.usd_per_gpu_hour()?;
                Some(price * (p.gpu_seconds_allocated - p.gpu_seconds_busy).max(0.0) / 3600.0)
            })
            .sum();
        let busy: f64 = super::total(pods.iter().map(|p| p.gpu_seconds_busy)) / 3600.0;
        (Some(cents(usd)), Some(busy))
    };
    Cost {
        price_date: price_date.to_string(),
        hours,
        total_usd: cents(total),
        by_instance_type: by_type
            .iter()
            .map(|(k, (n, c))| {
                (
                    k.to_string(),
                    InstanceTypeCost {
                        nodes: *n,
                        usd: cents(*c),
                    },
                )
            })
            .collect(),
        by_node_pool: pools,
        gpu_hours: GpuHours {
            capacity: super::total(nodes.iter().map(|n| n.gpu_hours_capacity())),
            allocated: super::total(nodes.iter().map(|n| n.gpu_hours_allocated)),
            busy: busy_hours,
        },
        idle_usd: cents(nodes.iter().map(NodeBill::idle_usd).sum()),
        allocated_not_busy_usd: not_busy_usd,
        usd_per_million_output_tokens: (output_tokens > 0).then(|| cents(total / (output_tokens as f64 / 1e6))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, pool: &str, price: f64, hours: f64, gpus: u32, allocated: f64) -> NodeBill {
        NodeBill {
            name: name.into(),
            pool: pool.into(),
            instance_type: Some(format!("{pool}-type")),
            price_per_hour_usd: Some(price),
            hours,
            gpus,
            gpu_hours_allocated: allocated,
        }
    }

    #[test]
    fn spend_splits_into_allocated_busy_and_idle() {
        // Two 4-GPU nodes at $4/h for 2 h: $16; 16 GPU-hours, 10 allocated → 6 idle at $1.
        let nodes = [node("a", "big", 4.0, 2.0, 4, 8.0), node("b", "big", 4.0, 2.0, 4, 2.0)];
        let pods = [PodUse {
            node: "a".into(),
            service: None,
            gpu_seconds_allocated: 8.0 * 3600.0,
            gpu_seconds_busy: 3.0 * 3600.0,
        }];
        let c = section("2026-09", 2.0, &nodes, &pods, 4_000_000);
        let pool = c.by_node_pool.get("big");
        // (field, got, want)
        let cases = [
            ("total_usd", Some(c.total_usd), 16.0),
            ("idle_usd", Some(c.idle_usd), 6.0),
            ("allocated_not_busy_usd", c.allocated_not_busy_usd, 5.0),
            ("gpu_hours.busy", c.gpu_hours.busy, 3.0),
            ("usd_per_million_output_tokens", c.usd_per_million_output_tokens, 4.0),
            ("by_node_pool.big.nodes", pool.map(|p| p.nodes as f64), 2.0),
            ("by_node_pool.big.idle_usd", pool.map(|p| p.idle_usd), 6.0),
            (
                "by_instance_type.big-type.usd",
                c.by_instance_type.get("big-type").map(|t| t.usd),
                16.0,
            ),
        ];
        for (field, got, want) in cases {
            assert_eq!(got, Some(want), "{field} in {c:#?}");
        }
    }

    #[test]
    fn without_traffic_the_traffic_figures_are_null() {
        let c = section("2026-09", 1.0, &[node("a", "p", 1.0, 1.0, 1, 0.5)], &[], 0);
        assert_eq!(c.allocated_not_busy_usd, None);
        assert_eq!(c.usd_per_million_output_tokens, None);
        assert_eq!(c.idle_usd, 0.5);
    }
}
