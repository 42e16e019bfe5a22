//! Faults: what goes wrong in a GPU cluster, injected at a time or drawn at random per
//! node from a mean time between failures. A fault only changes the world the control
//! plane watches — a kubelet stops posting status, an instance is gone, a GPU drops off
//! the bus, model storage or the registry misbehaves; the reactions (NotReady, taint
//! eviction, pod garbage collection, crash loops, requeues, cold starts) are the real
//! components' own (`controllers::nodelifecycle`, `tainteviction`, `podgc`, the kubelet,
//! Kueue).

pub(crate) mod injector;

use crate::api::meta::Labels;
use crate::manifest::error::Loc;
use crate::units::{SimDuration, SimTime};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// A fault's index in the run's plan (and in the report's `faults`).
pub type FaultId = usize;

/// What goes wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// The node's kubelet stops posting status for `duration` (its containers keep
    /// running); the node lifecycle controller marks it NotReady after the grace period.
    NodeNotReady { node: String, duration: SimDuration },
    /// The instance is gone at once: its pods die with it.
    NodeLost { node: String },
    /// A spot/preemptible instance is reclaimed: a two-minute notice (the termination
    /// handler cordons and drains the node), then the instance is gone.
    SpotInterruption { node: String },
    /// `gpus` of the node's GPUs fail with NVIDIA Xid `xid`: the device plugin withdraws
    /// them from allocatable and the pods using them crash on every restart.
    GpuFailure { node: String, gpus: u32, xid: u32 },
    /// Model storage (S3, PVC) serves `factor` times slower for `duration`.
    StorageSlow { factor: f64, duration: SimDuration },
    /// Model storage cannot be reached for `duration`: storage initializers fail.
    StorageUnavailable { duration: SimDuration },
    /// Image pulls (of images whose name contains `image`, or all) fail for `duration`.
    ImagePullFailure {
        image: Option<String>,
        duration: SimDuration,
    },
}

/// Two minutes between a spot interruption notice and the instance's end (AWS, and the
/// GCP/Azure equivalents give 30 s to 2 min).
pub const SPOT_NOTICE: SimDuration = SimDuration(120_000);

/// The Xid errors a GPU failure may name, with NVIDIA's description (Xid catalog,
/// docs.nvidia.com/deploy/xid-errors): each leaves the device unusable until a reset.
pub const XID_ERRORS: &[(u32, &str)] = &[
    (48, "Double Bit ECC Error"),
    (74, "NVLINK Error"),
    (79, "GPU has fallen off the bus"),
    (94, "Contained ECC error"),
    (95, "Uncontained ECC error"),
    (119, "GSP RPC Timeout"),
];

pub fn xid_description(xid: u32) -> &'static str {
    XID_ERRORS
        .iter()
        .find(|(x, _)| *x == xid)
        .map(|(_, d)| *d)
        .unwrap_or("GPU error")
}

impl FaultKind {
    /// The type's name as the Scenario spells it.
    pub fn type_name(&self) -> &'static str {
        match self {
            FaultKind::NodeNotReady { .. } => "NodeNotReady",
            FaultKind::NodeLost { .. } => "NodeLost",
            FaultKind::SpotInterruption { .. } => "SpotInterruption",
            FaultKind::GpuFailure { .. } => "GPUFailure",
            FaultKind::StorageSlow { .. } => "StorageSlow",
            FaultKind::StorageUnavailable { .. } => "StorageUnavailable",
            FaultKind::ImagePullFailure { .. } => "ImagePullFailure",
        }
    }

    /// The node it strikes, if it strikes one.
    pub fn node(&self) -> Option<&str> {
        match self {
            FaultKind::NodeNotReady { node, .. }
            | FaultKind::NodeLost { node }
            | FaultKind::SpotInterruption { node }
            | FaultKind::GpuFailure { node, .. } => Some(node),
            _ => None,
        }
    }

    /// How long it lasts, for the faults that end on their own.
    pub fn duration(&self) -> Option<SimDuration> {
        match self {
            FaultKind::NodeNotReady { duration, .. }
            | FaultKind::StorageSlow { duration, .. }
            | FaultKind::StorageUnavailable { duration }
            | FaultKind::ImagePullFailure { duration, .. } => Some(*duration),
            _ => None,
        }
    }

    /// What it is, in a sentence for the event log and the report.
    pub fn describe(&self) -> String {
        match self {
            FaultKind::NodeNotReady { node, duration } => {
                format!("node {node}: kubelet stops posting status for {duration}")
            }
            FaultKind::NodeLost { node } => format!("node {node}: instance lost"),
            FaultKind::SpotInterruption { node } => {
                format!("node {node}: spot interruption notice, instance reclaimed in {SPOT_NOTICE}")
            }
            FaultKind::GpuFailure { node, gpus, xid } => {
                format!(
                    "node {node}: {gpus} GPU(s) fail with Xid {xid} ({})",
                    xid_description(*xid)
                )
            }
            FaultKind::StorageSlow { factor, duration } => {
                format!("model storage {factor}x slower for {duration}")
            }
            FaultKind::StorageUnavailable { duration } => format!("model storage unreachable for {duration}"),
            FaultKind::ImagePullFailure { image, duration } => match image {
                Some(i) => format!("pulls of images matching `{i}` fail for {duration}"),
                None => format!("image pulls fail for {duration}"),
            },
        }
    }
}

/// One fault of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub at: SimTime,
    pub kind: FaultKind,
    /// Drawn from a `random` entry rather than written out.
    pub random: bool,
    pub loc: Loc,
}

/// Which faults a `random` entry draws.
#[derive(Debug, Clone, PartialEq)]
pub enum RandomKind {
    NodeNotReady { duration: SimDuration },
    NodeLost,
    SpotInterruption,
    GpuFailure { xid: u32 },
}

/// Faults drawn per node: each node matching `node_selector` fails after exponentially
/// distributed times with mean `mtbf` (a node that is lost fails no more).
#[derive(Debug, Clone, PartialEq)]
pub struct RandomFaults {
    pub kind: RandomKind,
    pub mtbf: SimDuration,
    pub node_selector: Labels,
    pub loc: Loc,
}

/// A Scenario's faults as written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultsSpec {
    pub faults: Vec<Fault>,
    pub random: Vec<RandomFaults>,
}

impl FaultsSpec {
    pub fn is_empty(&self) -> bool {
        self.faults.is_empty() && self.random.is_empty()
    }
}

/// The run's faults: the written ones and those drawn for `nodes` (name and labels, in
/// name order) before `end`, in time order (ties keep the written order first). Each
/// random entry draws from its own stream of the seed, each node from its own
/// substream, so adding a node or an entry never moves another node's faults.
pub(crate) fn plan(spec: &FaultsSpec, nodes: &[(String, Labels)], seed: u64, end: SimTime) -> Vec<Fault> {
    let mut out = spec.faults.clone();
    for (e, r) in spec.random.iter().enumerate() {
        for (name, labels) in nodes {
            let matches = r.node_selector.iter().all(|(k, v)| labels.get(k) == Some(v));
            if !matches {
                continue;
            }
            let mut rng = node_stream(seed, e, name);
            let mut t = 0.0f64;
            let mean_s = r.mtbf.as_secs_f64().max(1.0);
            loop {
                // Exponential inter-failure time by inversion; 1 - u is in (0, 1].
                let u: f64 = rng.random();
                t += -mean_s * (1.0 - u).ln();
                let at = SimTime((t * 1000.0) as u64);
                if at > end {
                    break;
                }
                let (kind, last) = match &r.kind {
                    RandomKind::NodeNotReady { duration } => (
                        FaultKind::NodeNotReady {
                            node: name.clone(),
                            duration: *duration,
                        },
                        false,
                    ),
                    RandomKind::NodeLost => (FaultKind::NodeLost { node: name.clone() }, true),
                    RandomKind::SpotInterruption => (FaultKind::SpotInterruption { node: name.clone() }, true),
                    RandomKind::GpuFailure { xid } => (
                        FaultKind::GpuFailure {
                            node: name.clone(),
                            gpus: 1,
                            xid: *xid,
                        },
                        false,
                    ),
                };
                out.push(Fault {
                    at,
                    kind,
                    random: true,
                    loc: r.loc.clone(),
                });
                if last {
                    break;
                }
                if let RandomKind::NodeNotReady { duration } = r.kind {
                    // The next failure can only come once the node is back.
                    t += duration.as_secs_f64();
                }
            }
        }
    }
    out.sort_by_key(|f| f.at);
    out
}

/// The random stream of entry `entry` for node `name`: the seed's faults stream, keyed
/// by a stable hash of the node's name (FNV-1a, not std's randomized hasher).
fn node_stream(seed: u64, entry: usize, name: &str) -> ChaCha8Rng {
    use rand::SeedableRng;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes().chain((entry as u64).to_le_bytes()) {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut r = ChaCha8Rng::seed_from_u64(seed ^ h);
    r.set_stream(crate::engine::kernel::Stream::Faults as u64);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random(kind: RandomKind, mtbf_h: u64, selector: &[(&str, &str)]) -> RandomFaults {
        RandomFaults {
            kind,
            mtbf: SimDuration(mtbf_h * 3_600_000),
            node_selector: selector.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            loc: Loc::default(),
        }
    }

    fn nodes(n: usize, pool: &str) -> Vec<(String, Labels)> {
        (0..n)
            .map(|i| {
                let mut l = Labels::new();
                l.insert("pool".into(), pool.into());
                (format!("{pool}-{i}"), l)
            })
            .collect()
    }

    #[test]
    fn random_faults_follow_the_mean_time_between_failures() {
        // 200 nodes over 1,000 h with an MTBF of 100 h: about 2,000 failures.
        let spec = FaultsSpec {
            faults: vec![],
            random: vec![random(RandomKind::GpuFailure { xid: 79 }, 100, &[])],
        };
        let end = SimTime(1_000 * 3_600_000);
        let faults = plan(&spec, &nodes(200, "a"), 7, end);
        let n = faults.len() as f64;
        assert!((1_800.0..2_200.0).contains(&n), "{n} failures, expected about 2,000");
        assert!(faults.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(faults.iter().all(|f| f.random && f.at <= end));
    }

    #[test]
    fn a_lost_node_fails_once_and_selectors_pick_nodes() {
        let mut all = nodes(3, "a");
        all.extend(nodes(3, "b"));
        let spec = FaultsSpec {
            faults: vec![],
            random: vec![random(RandomKind::NodeLost, 1, &[("pool", "b")])],
        };
        let faults = plan(&spec, &all, 1, SimTime(100 * 3_600_000));
        let struck: Vec<&str> = faults.iter().filter_map(|f| f.kind.node()).collect();
        assert_eq!(struck.len(), 3, "{struck:?}");
        assert!(struck.iter().all(|n| n.starts_with("b-")));
    }

    #[test]
    fn a_node_draws_the_same_faults_whatever_else_is_in_the_fleet() {
        let spec = FaultsSpec {
            faults: vec![],
            random: vec![random(RandomKind::NodeLost, 10, &[])],
        };
        let end = SimTime(1_000 * 3_600_000);
        let alone = plan(&spec, &nodes(1, "a"), 3, end);
        let crowded = plan(&spec, &nodes(50, "a"), 3, end);
        let mine: Vec<&Fault> = crowded.iter().filter(|f| f.kind.node() == Some("a-0")).collect();
        assert_eq!(alone.iter().collect::<Vec<_>>(), mine);
    }

    #[test]
    fn node_not_ready_faults_never_overlap_on_a_node() {
        let spec = FaultsSpec {
            faults: vec![],
            random: vec![random(
                RandomKind::NodeNotReady {
                    duration: SimDuration(7_200_000),
                },
                1,
                &[],
            )],
        };
        let faults = plan(&spec, &nodes(1, "a"), 5, SimTime(500 * 3_600_000));
        assert!(faults.len() > 10);
        for w in faults.windows(2) {
            assert!(w[1].at.0 >= w[0].at.0 + 7_200_000);
        }
    }
}
