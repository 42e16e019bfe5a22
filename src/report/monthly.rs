//! The run as a month of the same usage: the spend rate the run measured, extrapolated to
//! 730 hours; the GPUs in allocated and busy terms; and headroom, per served model (its
//! busiest metrics window) and for the fleet (GPUs left unallocated at the allocation peak).
//! Everything here follows from figures the run measured; what it did not measure is
//! `None`, never 0.

use super::cost::{NodeBill, PodUse};
use super::model::{AllocationPeak, ModelMonthly, ModelReport, Monthly, MonthlyGpus};
use indexmap::IndexMap;
use std::collections::BTreeMap;

/// Hours in a month: a year's 8,760 hours ÷ 12, the convention cloud price lists use for
/// a monthly figure.
pub(crate) const HOURS_PER_MONTH: f64 = 730.0;

fn round_to(x: f64, scale: f64) -> f64 {
    // `+ 0.0` turns a -0 into 0, so nothing reads "-0".
    (x * scale).round() / scale + 0.0
}

/// `part` of `whole`, 4 decimals; none when `whole` is nothing.
fn fraction(part: f64, whole: f64) -> Option<f64> {
    (whole > 0.0).then(|| round_to(part / whole, 1e4))
}

/// The `monthly` of a report: `hours` is the run's length, `nodes` and `pods` its bill and
/// its GPU pods' use (empty without traffic), `models` the report's served models (their
/// metrics windows already carry busy shares), `peak` the most GPUs allocated at once.
/// None for a run of no length: it has no rate to extrapolate.
pub(crate) fn section(
    hours: f64,
    nodes: &[NodeBill],
    pods: &[PodUse],
    models: &IndexMap<String, ModelReport>,
    peak: Option<AllocationPeak>,
) -> Option<Monthly> {
    if !(hours > 0.0 && hours.is_finite()) {
        return None;
    }
    let month = |usd: f64| round_to(usd / hours * HOURS_PER_MONTH, 100.0);
    let mean_gpus = |gpu_hours: f64| round_to(gpu_hours / hours, 100.0);
    let mut by_type: BTreeMap<&str, f64> = BTreeMap::new();
    let mut by_pool: BTreeMap<&str, f64> = BTreeMap::new();
    for n in nodes {
        if let (Some(it), Some(_)) = (&n.instance_type, n.price_per_hour_usd) {
            *by_type.entry(it).or_default() += n.usd();
        }
        *by_pool.entry(&n.pool).or_default() += n.usd();
    }
    let price_of: BTreeMap<&str, f64> = nodes
        .iter()
        .filter_map(|n| Some((n.name.as_str(), n.usd_per_gpu_hour()?)))
        .collect();
    let gpu_usd = |p: &PodUse| {
        price_of
            .get(p.node.as_str())
            .map_or(0.0, |price| price * p.gpu_seconds_allocated / 3600.0)
    };
    let mut by_service: BTreeMap<(&str, &str), f64> = BTreeMap::new();
    for p in pods {
        if let Some((ns, name)) = &p.service {
            *by_service.entry((ns, name)).or_default() += gpu_usd(p);
        }
    }
    let capacity = super::total(nodes.iter().map(NodeBill::gpu_hours_capacity));
    let allocated = super::total(nodes.iter().map(|n| n.gpu_hours_allocated));
    let pods_allocated = super::total(pods.iter().map(|p| p.gpu_seconds_allocated)) / 3600.0;
    let pods_busy = super::total(pods.iter().map(|p| p.gpu_seconds_busy)) / 3600.0;
    let traffic = !pods.is_empty();
    let not_busy = super::total(pods.iter().map(|p| {
        let price = price_of.get(p.node.as_str()).copied().unwrap_or(0.0);
        price * (p.gpu_seconds_allocated - p.gpu_seconds_busy).max(0.0) / 3600.0
    }));
    Some(Monthly {
        hours_per_month: HOURS_PER_MONTH,
        usd: month(super::total(nodes.iter().map(NodeBill::usd))),
        by_instance_type: by_type.into_iter().map(|(k, v)| (k.to_string(), month(v))).collect(),
        by_node_pool: by_pool.into_iter().map(|(k, v)| (k.to_string(), month(v))).collect(),
        by_inference_service: by_service
            .into_iter()
            .map(|((ns, name), v)| (format!("{ns}/{name}"), month(v)))
            .collect(),
        idle_usd: month(super::total(nodes.iter().map(NodeBill::idle_usd))),
        allocated_not_busy_usd: traffic.then(|| month(not_busy)),
        gpus: MonthlyGpus {
            offered: mean_gpus(capacity),
            allocated: mean_gpus(allocated),
            busy: traffic.then(|| mean_gpus(pods_busy)),
            allocated_fraction: fraction(allocated, capacity).unwrap_or(0.0),
            busy_fraction: if traffic {
                fraction(pods_busy, pods_allocated)
            } else {
                None
            },
        },
        models: models
            .iter()
            .map(|(key, m)| {
                // A model's key is its service's name, or `namespace/name` when another
                // namespace's service has that name.
                let name = key.split_once('/').map_or(key.as_str(), |(_, n)| n);
                let mine: Vec<&PodUse> = pods
                    .iter()
                    .filter(|p| {
                        p.service
                            .as_ref()
                            .is_some_and(|(ns, n)| *ns == m.namespace && n == name)
                    })
                    .collect();
                let allocated_s = super::total(mine.iter().map(|p| p.gpu_seconds_allocated));
                let busy_s = super::total(mine.iter().map(|p| p.gpu_seconds_busy));
                let usd = super::total(mine.iter().map(|p| gpu_usd(p)));
                (key.clone(), model(m, allocated_s, busy_s, hours, month(usd)))
            })
            .collect(),
        allocation_peak: peak,
    })
}

/// One model's figures: `allocated_s` and `busy_s` are its pods' GPU-seconds, `usd` their
/// cost a month.
fn model(m: &ModelReport, allocated_s: f64, busy_s: f64, hours: f64, usd: f64) -> ModelMonthly {
    // The busiest window: the first of the highest share (a later tie is not busier).
    let peak = m.windows.iter().filter_map(|w| Some((w.busy_fraction?, w.t_s))).fold(
        None,
        |best: Option<(f64, f64)>, (f, t)| match best {
            Some((b, _)) if b >= f => best,
            _ => Some((f, t)),
        },
    );
    let kv_peak = m.replicas.iter().map(|r| r.kv_cache_usage_max).reduce(f64::max);
    ModelMonthly {
        gpus_allocated: round_to(allocated_s / 3600.0 / hours, 100.0),
        usd,
        busy_fraction: fraction(busy_s, allocated_s),
        peak_busy_fraction: peak.map(|p| p.0),
        peak_busy_window_s: peak.map(|p| p.1),
        // A window's busy time never exceeds its engine time, so this is within [0, 1]; the
        // clamp only keeps a rounding at 1 from reading as a negative headroom.
        busy_headroom: peak.map(|p| round_to((1.0 - p.0).clamp(0.0, 1.0), 1e4)),
        peak_kv_cache_usage: kv_peak,
        kv_cache_headroom: kv_peak.map(|k| round_to((1.0 - k).clamp(0.0, 1.0), 1e4)),
        peak_waiting: m.windows.iter().map(|w| w.waiting_max).max().unwrap_or(0),
        kv_cache_preemptions: m.preemptions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{ReplicaRecord, Window};

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

    fn pod(node: &str, service: &str, allocated_h: f64, busy_h: f64) -> PodUse {
        PodUse {
            node: node.into(),
            service: Some(("ai".into(), service.into())),
            gpu_seconds_allocated: allocated_h * 3600.0,
            gpu_seconds_busy: busy_h * 3600.0,
        }
    }

    fn window(t_s: f64, busy: Option<f64>, waiting: u64) -> Window {
        Window {
            t_s,
            busy_fraction: busy,
            waiting_max: waiting,
            ..Default::default()
        }
    }

    /// Two 4-GPU nodes at $4/h for 2 h ($16, $1 a GPU-hour), 16 GPU-hours of which chat's
    /// pods hold 8 (3 busy) and a training job 2: the month is 365 such stretches.
    fn fleet() -> (Vec<NodeBill>, Vec<PodUse>, IndexMap<String, ModelReport>) {
        let nodes = vec![node("a", "big", 4.0, 2.0, 4, 8.0), node("b", "big", 4.0, 2.0, 4, 2.0)];
        let pods = vec![pod("a", "chat", 8.0, 3.0)];
        let replica = |kv: f64| ReplicaRecord {
            kv_cache_usage_max: kv,
            ..Default::default()
        };
        let chat = ModelReport {
            namespace: "ai".into(),
            preemptions: 7,
            replicas: vec![replica(0.5), replica(0.9)],
            windows: vec![
                window(0.0, Some(0.25), 1),
                window(60.0, Some(0.8), 5),
                window(120.0, None, 0),
                window(180.0, Some(0.8), 2),
            ],
            ..Default::default()
        };
        (nodes, pods, [("chat".to_string(), chat)].into_iter().collect())
    }

    #[test]
    fn a_month_is_the_run_at_its_rate_for_730_hours() {
        let (nodes, pods, models) = fleet();
        let m = section(2.0, &nodes, &pods, &models, None).expect("a run of two hours");
        let chat = m.models.get("chat");
        // (figure, got, want): $16 in 2 h is $8/h, $5,840 in 730 h.
        let cases = [
            ("usd", Some(m.usd), 5840.0),
            ("by_node_pool.big", m.by_node_pool.get("big").copied(), 5840.0),
            (
                "by_instance_type.big-type",
                m.by_instance_type.get("big-type").copied(),
                5840.0,
            ),
            // 8 GPU-hours at $1 in 2 h.
            (
                "by_inference_service.ai/chat",
                m.by_inference_service.get("ai/chat").copied(),
                2920.0,
            ),
            // 6 unallocated GPU-hours at $1.
            ("idle_usd", Some(m.idle_usd), 2190.0),
            // 5 allocated GPU-hours not busy at $1.
            ("allocated_not_busy_usd", m.allocated_not_busy_usd, 1825.0),
            ("gpus.offered", Some(m.gpus.offered), 8.0),
            ("gpus.allocated", Some(m.gpus.allocated), 5.0),
            ("gpus.busy", m.gpus.busy, 1.5),
            ("gpus.allocated_fraction", Some(m.gpus.allocated_fraction), 0.625),
            ("gpus.busy_fraction", m.gpus.busy_fraction, 0.375),
            ("chat.gpus_allocated", chat.map(|c| c.gpus_allocated), 4.0),
            ("chat.usd", chat.map(|c| c.usd), 2920.0),
            ("chat.busy_fraction", chat.and_then(|c| c.busy_fraction), 0.375),
            // The busiest window is the first at 80%.
            ("chat.peak_busy_fraction", chat.and_then(|c| c.peak_busy_fraction), 0.8),
            ("chat.peak_busy_window_s", chat.and_then(|c| c.peak_busy_window_s), 60.0),
            ("chat.busy_headroom", chat.and_then(|c| c.busy_headroom), 0.2),
            ("chat.peak_waiting", chat.map(|c| c.peak_waiting as f64), 5.0),
            (
                "chat.peak_kv_cache_usage",
                chat.and_then(|c| c.peak_kv_cache_usage),
                0.9,
            ),
            ("chat.kv_cache_headroom", chat.and_then(|c| c.kv_cache_headroom), 0.1),
            (
                "chat.kv_cache_preemptions",
                chat.map(|c| c.kv_cache_preemptions as f64),
                7.0,
            ),
        ];
        for (figure, got, want) in cases {
            assert_eq!(got, Some(want), "{figure} in {m:#?}");
        }
        assert_eq!(m.hours_per_month, 730.0);
    }

    #[test]
    fn what_the_run_did_not_measure_is_absent() {
        let (nodes, _, models) = fleet();
        let idle = ModelReport {
            windows: vec![window(0.0, None, 0)],
            ..Default::default()
        };
        let idle_models: IndexMap<String, ModelReport> = [("idle".to_string(), idle)].into_iter().collect();
        let none = IndexMap::new();
        // (hours, models, whether there is a month); no pod use: a run without traffic.
        let cases = [
            (0.0, &models, false),
            (f64::NAN, &models, false),
            (-1.0, &models, false),
            (2.0, &none, true),
            (2.0, &idle_models, true),
        ];
        for (hours, models, month) in cases {
            let m = section(hours, &nodes, &[], models, None);
            assert_eq!(m.is_some(), month, "{hours} h");
            let Some(m) = m else { continue };
            assert_eq!(m.gpus.busy, None);
            assert_eq!(m.gpus.busy_fraction, None);
            assert_eq!(m.allocated_not_busy_usd, None);
            for (name, x) in &m.models {
                // No pod, no window with an engine: nothing measured, nothing claimed.
                assert_eq!(
                    (x.busy_fraction, x.peak_busy_fraction, x.busy_headroom),
                    (None, None, None),
                    "{name}"
                );
                assert_eq!(
                    (x.peak_kv_cache_usage, x.kv_cache_headroom),
                    (None, None),
                    "{name}: no replica"
                );
                assert_eq!((x.gpus_allocated, x.usd), (0.0, 0.0), "{name}");
            }
        }
    }

    #[test]
    fn a_month_without_gpus_or_prices_costs_what_the_run_did() {
        // A CPU node of an unpriced type: nothing to pay, nothing offered.
        let mut cpu = node("c", "cpu", 0.0, 1.0, 0, 0.0);
        cpu.price_per_hour_usd = None;
        let m = section(1.0, &[cpu], &[], &IndexMap::new(), None).expect("a month");
        assert_eq!(
            (m.usd, m.idle_usd, m.gpus.offered, m.gpus.allocated_fraction),
            (0.0, 0.0, 0.0, 0.0)
        );
        assert!(m.by_instance_type.is_empty(), "an unpriced type is not listed");
        assert_eq!(m.by_node_pool.get("cpu"), Some(&0.0));
    }

    #[test]
    fn busy_headroom_is_one_minus_the_busiest_window() {
        // (busy shares of the windows, peak, headroom)
        let cases = [
            (vec![Some(0.0)], Some(0.0), Some(1.0)),
            (vec![Some(1.0), Some(0.5)], Some(1.0), Some(0.0)),
            (vec![None, Some(0.31)], Some(0.31), Some(0.69)),
            (vec![None], None, None),
            (vec![], None, None),
        ];
        for (shares, peak, headroom) in cases {
            let m = ModelReport {
                windows: shares
                    .iter()
                    .enumerate()
                    .map(|(i, b)| window(60.0 * i as f64, *b, 0))
                    .collect(),
                ..Default::default()
            };
            let got = model(&m, 3600.0, 1800.0, 1.0, 0.0);
            assert_eq!(
                (got.peak_busy_fraction, got.busy_headroom),
                (peak, headroom),
                "{shares:?}"
            );
        }
    }
}
