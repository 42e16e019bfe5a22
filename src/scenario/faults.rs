//! `spec.faults` of a Scenario, and the timeline's `fault:` entries: faults at a time,
//! and faults drawn per node from a mean time between failures.

use super::traffic::check_keys;
use crate::api::meta::duration;
use crate::faults::{Fault, FaultKind, FaultsSpec, RandomFaults, RandomKind, XID_ERRORS};
use crate::manifest::error::{did_you_mean, InputError};
use crate::manifest::yaml::Node;
use crate::units::{SimDuration, SimTime};

const TYPES: &[&str] = &[
    "NodeNotReady",
    "NodeLost",
    "SpotInterruption",
    "GPUFailure",
    "StorageSlow",
    "StorageUnavailable",
    "ImagePullFailure",
];
const RANDOM_TYPES: &[&str] = &["NodeNotReady", "NodeLost", "SpotInterruption", "GPUFailure"];

/// The most GPUs one failure may take, and the slowest storage may get.
const MAX_GPUS: i64 = 64;
const MAX_SLOWDOWN: f64 = 1_000.0;
/// The shortest mean time between failures a random entry may ask for.
pub(crate) const MIN_MTBF: SimDuration = SimDuration(3_600_000);

/// The fields each type takes besides `at` and `type`.
fn fields(type_name: &str) -> &'static [&'static str] {
    match type_name {
        "NodeNotReady" => &["node", "for"],
        "NodeLost" | "SpotInterruption" => &["node"],
        "GPUFailure" => &["node", "gpus", "xid"],
        "StorageSlow" => &["factor", "for"],
        "StorageUnavailable" => &["for"],
        _ => &["image", "for"],
    }
}

fn type_of<'n>(n: &'n Node, known: &[&str]) -> Result<&'n str, InputError> {
    let t = n.get("type").ok_or_else(|| {
        InputError::at(n.loc.clone(), "fault has no `type`").hint(format!("one of: {}", known.join(", ")))
    })?;
    let name = t.as_str()?;
    if !known.contains(&name) {
        return Err(InputError::at(
            t.loc.clone(),
            format!(
                "unknown fault type `{name}`{}",
                did_you_mean(name, known.iter().copied())
            ),
        )
        .hint(format!("one of: {}", known.join(", "))));
    }
    Ok(name)
}

fn required<'n>(n: &'n Node, key: &str, type_name: &str, example: &str) -> Result<&'n Node, InputError> {
    n.get(key).ok_or_else(|| {
        InputError::at(n.loc.clone(), format!("a {type_name} fault needs `{key}`"))
            .hint(format!("e.g. {key}: {example}"))
    })
}

/// `for:` — at least a second (a fault may last past the run's end).
fn lasting(n: &Node, type_name: &str) -> Result<SimDuration, InputError> {
    let f = required(n, "for", type_name, "10m")?;
    let d = duration(f)?;
    if d < SimDuration::from_secs(1) {
        return Err(InputError::at(f.loc.clone(), "a fault lasts at least 1s").hint("e.g. for: 5m"));
    }
    Ok(d)
}

fn node_name(n: &Node, type_name: &str) -> Result<String, InputError> {
    Ok(required(n, "node", type_name, "gpu-pool-0")?.as_str()?.to_string())
}

fn gpus(n: &Node) -> Result<u32, InputError> {
    let Some(g) = n.get("gpus") else {
        return Ok(1);
    };
    let v = g.as_i64()?;
    if !(1..=MAX_GPUS).contains(&v) {
        return Err(InputError::at(g.loc.clone(), format!("gpus: {v} is out of range"))
            .hint(format!("1 to {MAX_GPUS} GPUs of the node fail")));
    }
    Ok(v as u32)
}

fn xid(n: &Node) -> Result<u32, InputError> {
    let Some(x) = n.get("xid") else {
        return Ok(79);
    };
    let v = x.as_i64()?;
    if !XID_ERRORS.iter().any(|(id, _)| *id as i64 == v) {
        let known: Vec<String> = XID_ERRORS.iter().map(|(id, d)| format!("{id} ({d})")).collect();
        return Err(
            InputError::at(x.loc.clone(), format!("Xid {v} is not one that takes a GPU out"))
                .hint(format!("one of: {}", known.join(", "))),
        );
    }
    Ok(v as u32)
}

fn factor(n: &Node) -> Result<f64, InputError> {
    let f = required(n, "factor", "StorageSlow", "4")?;
    let v = f.as_f64()?;
    if !(v > 1.0 && v <= MAX_SLOWDOWN) {
        return Err(
            InputError::at(f.loc.clone(), format!("factor {v} is out of range")).hint(format!(
                "storage gets more than 1 and at most {MAX_SLOWDOWN} times slower"
            )),
        );
    }
    Ok(v)
}

/// One fault at a time `at` (an entry of `spec.faults`, or a timeline's `fault:`).
pub(crate) fn decode_fault(n: &Node, at: SimTime, extra: &[&str]) -> Result<Fault, InputError> {
    let type_name = type_of(n, TYPES)?;
    let mut known = vec!["type"];
    known.extend_from_slice(extra);
    known.extend_from_slice(fields(type_name));
    check_keys(n, &known, &format!("{type_name} fault"))?;
    let kind = match type_name {
        "NodeNotReady" => FaultKind::NodeNotReady {
            node: node_name(n, type_name)?,
            duration: lasting(n, type_name)?,
        },
        "NodeLost" => FaultKind::NodeLost {
            node: node_name(n, type_name)?,
        },
        "SpotInterruption" => FaultKind::SpotInterruption {
            node: node_name(n, type_name)?,
        },
        "GPUFailure" => FaultKind::GpuFailure {
            node: node_name(n, type_name)?,
            gpus: gpus(n)?,
            xid: xid(n)?,
        },
        "StorageSlow" => FaultKind::StorageSlow {
            factor: factor(n)?,
            duration: lasting(n, type_name)?,
        },
        "StorageUnavailable" => FaultKind::StorageUnavailable {
            duration: lasting(n, type_name)?,
        },
        _ => FaultKind::ImagePullFailure {
            image: n.get("image").map(|i| i.as_str().map(str::to_string)).transpose()?,
            duration: lasting(n, type_name)?,
        },
    };
    Ok(Fault {
        at,
        kind,
        random: false,
        loc: n.loc.clone(),
    })
}

fn decode_random(n: &Node) -> Result<RandomFaults, InputError> {
    let type_name = type_of(n, RANDOM_TYPES)?;
    let mut known = vec!["type", "mtbf", "nodeSelector"];
    known.extend(match type_name {
        "NodeNotReady" => &["for"][..],
        "GPUFailure" => &["xid"][..],
        _ => &[][..],
    });
    check_keys(n, &known, &format!("random {type_name} faults"))?;
    let m = required(n, "mtbf", type_name, "500h")?;
    let mtbf = duration(m)?;
    if mtbf < MIN_MTBF {
        return Err(
            InputError::at(m.loc.clone(), format!("mtbf {mtbf} is below {MIN_MTBF}"))
                .hint("a mean time between failures per node of an hour or more"),
        );
    }
    let kind = match type_name {
        "NodeNotReady" => RandomKind::NodeNotReady {
            duration: lasting(n, type_name)?,
        },
        "NodeLost" => RandomKind::NodeLost,
        "SpotInterruption" => RandomKind::SpotInterruption,
        _ => RandomKind::GpuFailure { xid: xid(n)? },
    };
    let mut node_selector = crate::api::meta::Labels::new();
    if let Some(sel) = n.get("nodeSelector") {
        for (k, v) in sel.entries()? {
            node_selector.insert(k.as_str()?.to_string(), v.as_str()?.to_string());
        }
    }
    Ok(RandomFaults {
        kind,
        mtbf,
        node_selector,
        loc: n.loc.clone(),
    })
}

/// `spec.faults`: `{at, type, …}` entries and `{random: {type, mtbf, …}}` entries.
pub(crate) fn decode_faults(
    list: Option<&Node>,
    time_of: impl Fn(&Node) -> Result<SimTime, InputError>,
) -> Result<FaultsSpec, InputError> {
    let mut spec = FaultsSpec::default();
    for e in list.map(|l| l.items()).transpose()?.unwrap_or(&[]) {
        if let Some(r) = e.get("random") {
            check_keys(e, &["random"], "fault")?;
            spec.random.push(decode_random(r)?);
            continue;
        }
        let at_node = e.get("at").ok_or_else(|| {
            InputError::at(e.loc.clone(), "fault has no `at`")
                .hint("e.g. {at: 20m, type: NodeLost, node: gpu-0}, or {random: {type: NodeLost, mtbf: 500h}}")
        })?;
        let at = time_of(at_node)?;
        spec.faults.push(decode_fault(e, at, &["at"])?);
    }
    Ok(spec)
}
