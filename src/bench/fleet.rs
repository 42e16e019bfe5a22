//! A generated GPU fleet for measuring the cluster path at scale: `nodes` p4de.24xlarge
//! nodes (8 A100 each), `queues` ClusterQueues sharing one cohort with the GPUs split
//! evenly, and `jobs` batch/v1 Jobs of 1–8 GPUs running 5–35 minutes that arrive as a
//! Poisson process over `hours`, each in a team's namespace — the teams' shares uneven, so
//! some borrow and others reclaim. With the defaults the
//! offered load is about 78% of the fleet's GPU-hours (a Job asks 4.5 GPUs × 20 min on
//! average; 100 Jobs per node per day). Arrivals are applied a minute at a time (`oc apply
//! -f jobs/MMMM.yaml`), so queue order within a minute is the files' order.
//!
//! `cargo run --release --example fleet -- --nodes 1000 --jobs 100000 --out fleet/` writes
//! one; `benches/fleet.rs` measures it.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What to generate.
#[derive(Clone, Debug)]
pub struct Fleet {
    pub nodes: u32,
    pub jobs: u32,
    pub queues: u32,
    /// The arrival window; the run lasts an hour longer, so the last Jobs finish.
    pub hours: u32,
    pub seed: u64,
}

impl Fleet {
    /// `nodes` nodes with the Jobs that load them to about 78% over a day.
    pub fn loaded(nodes: u32) -> Fleet {
        Fleet {
            nodes,
            jobs: nodes * 100,
            queues: 10,
            hours: 24,
            seed: 1,
        }
    }

    /// Writes the scenario into `dir` (created) and returns the Scenario file's path.
    pub fn write(&self, dir: &Path) -> std::io::Result<PathBuf> {
        let jobs_dir = dir.join("jobs");
        // A fleet written here before leaves none of its minutes behind.
        if jobs_dir.is_dir() {
            std::fs::remove_dir_all(&jobs_dir)?;
        }
        std::fs::create_dir_all(&jobs_dir)?;
        std::fs::write(dir.join("kueue.yaml"), self.kueue())?;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let weights = team_weights(self.queues);
        let window_s = f64::from(self.hours) * 3600.0;
        // Poisson arrivals: exponential gaps at jobs / window.
        let rate = f64::from(self.jobs) / window_s;
        let mut t = 0.0;
        let mut minutes: Vec<(u32, String)> = Vec::new();
        for i in 0..self.jobs {
            let u: f64 = rng.random::<f64>();
            t += -(1.0 - u).ln() / rate;
            // Past the window (the tail of the draw) they come in its last minute.
            let minute = ((t / 60.0) as u32).min(self.hours * 60 - 1);
            if minutes.last().map(|(m, _)| *m) != Some(minute) {
                minutes.push((minute, String::new()));
            }
            let gpus: u32 = rng.random_range(1..=8);
            let run_min: u32 = rng.random_range(5..=35);
            let team = pick_team(&weights, rng.random::<f64>());
            if let Some((_, doc)) = minutes.last_mut() {
                job(doc, i, team, gpus, run_min);
            }
        }
        let mut timeline = String::new();
        for (minute, doc) in &minutes {
            let file = format!("jobs/{minute:04}.yaml");
            std::fs::write(dir.join(&file), doc)?;
            let _ = writeln!(timeline, "    - {{at: {minute}m, run: \"oc apply -f {file}\"}}");
        }
        let scenario = format!(
            "# Generated: {nodes} p4de.24xlarge nodes, {queues} ClusterQueues in one cohort, {jobs} Jobs over {hours} h \
             (seed {seed}).\napiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata:\n  name: fleet-{nodes}-nodes-{jobs}-jobs\n\
             spec:\n  duration: {duration}h\n  seed: {seed}\n  include: [kueue.yaml]\n  nodePools:\n    \
             - {{name: a100, instanceType: p4de.24xlarge, count: {nodes}}}\n  timeline:\n{timeline}",
            nodes = self.nodes,
            queues = self.queues,
            jobs = self.jobs,
            hours = self.hours,
            seed = self.seed,
            duration = self.hours + 1,
        );
        let path = dir.join("scenario.yaml");
        std::fs::write(&path, scenario)?;
        Ok(path)
    }

    /// The flavor, the teams' namespaces, queues and the cohort. Each team's nominal quota
    /// is an equal share of the GPUs; all may borrow, and a team reclaims its share by
    /// preempting borrowers.
    fn kueue(&self) -> String {
        let gpus = self.nodes * 8;
        let share = gpus / self.queues.max(1);
        let mut s = String::from(
            "apiVersion: kueue.x-k8s.io/v1beta2\nkind: ResourceFlavor\nmetadata: {name: a100}\n\
             spec: {nodeLabels: {node.kubernetes.io/instance-type: p4de.24xlarge}}\n",
        );
        for q in 0..self.queues {
            let _ = write!(
                s,
                "---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: team-{q}}}\n\
                 ---\napiVersion: kueue.x-k8s.io/v1beta2\nkind: ClusterQueue\nmetadata: {{name: team-{q}}}\n\
                 spec:\n  cohortName: fleet\n  namespaceSelector: {{}}\n  \
                 preemption: {{reclaimWithinCohort: Any, withinClusterQueue: LowerPriority}}\n  \
                 resourceGroups:\n    - coveredResources: [cpu, memory, nvidia.com/gpu]\n      flavors:\n        \
                 - name: a100\n          resources:\n            - {{name: cpu, nominalQuota: {cpu}}}\n            \
                 - {{name: memory, nominalQuota: {mem}Gi}}\n            - {{name: nvidia.com/gpu, nominalQuota: {share}}}\n\
                 ---\napiVersion: kueue.x-k8s.io/v1beta2\nkind: LocalQueue\nmetadata: {{name: jobs, namespace: team-{q}}}\n\
                 spec: {{clusterQueue: team-{q}}}\n",
                cpu = share * 11,
                mem = share * 128,
            );
        }
        s
    }
}

/// A serving fleet: one InferenceService of Llama 3.1 8B (BF16) with `replicas` replicas, one
/// H100 each on p5.48xlarge nodes, under Poisson chat traffic of one request per second per
/// replica for `hours` once they are up (from 30 minutes), routed by `router` — the
/// routers' cost at fleet scale, a whole run with its report.
#[derive(Clone, Debug)]
pub struct ServingFleet {
    pub replicas: u32,
    pub router: String,
    pub hours: u32,
    pub seed: u64,
}

impl ServingFleet {
    /// Writes the scenario into `dir` (created) and returns the Scenario file's path.
    pub fn write(&self, dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let manifests = format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: serving}}\n---\n\
             apiVersion: serving.kserve.io/v1alpha1\nkind: ServingRuntime\nmetadata: {{name: vllm-runtime, namespace: serving}}\n\
             spec:\n  supportedModelFormats: [{{name: vLLM, autoSelect: true}}]\n  containers:\n    \
             - name: kserve-container\n      image: quay.io/modh/vllm:rhoai-3.0-cuda\n      \
             args: [--port=8080, --model=/mnt/models]\n---\n\
             apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: llama\n  namespace: serving\n  \
             annotations: {{serving.kserve.io/deploymentMode: RawDeployment, serving.kserve.io/autoscalerClass: none}}\n\
             spec:\n  predictor:\n    minReplicas: {replicas}\n    maxReplicas: {replicas}\n    \
             nodeSelector: {{node.kubernetes.io/instance-type: p5.48xlarge}}\n    model:\n      modelFormat: {{name: vLLM}}\n      \
             runtime: vllm-runtime\n      storageUri: s3://models/llama-3.1-8b-instruct/\n      args: [--max-model-len=8192]\n      \
             resources:\n        limits: {{cpu: \"8\", memory: 64Gi, nvidia.com/gpu: \"1\"}}\n",
            replicas = self.replicas,
        );
        std::fs::write(dir.join("serving.yaml"), manifests)?;
        let scenario = format!(
            "# Generated: {replicas} replicas of Llama 3.1 8B on H100s, {replicas} requests/s for {hours} h, router {router} \
             (seed {seed}).\napiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata:\n  name: serving-{replicas}-replicas-{router}\n\
             spec:\n  duration: {minutes}m\n  seed: {seed}\n  include: [serving.yaml]\n  nodePools:\n    \
             - {{name: h100, instanceType: p5.48xlarge, count: {nodes}}}\n  traffic:\n    \
             - {{target: llama, start: 30m, rate: {replicas}/s, router: {router}, prefix: {{groups: 64, tokens: 200}},\n       \
             prompt_tokens: {{dist: lognormal, mean: 1000, sd: 600}}, output_tokens: {{dist: lognormal, mean: 200, sd: 150}}}}\n",
            replicas = self.replicas,
            hours = self.hours,
            router = self.router,
            seed = self.seed,
            minutes = 30 + self.hours * 60,
            nodes = self.replicas.div_ceil(8),
        );
        let path = dir.join("scenario.yaml");
        std::fs::write(&path, scenario)?;
        Ok(path)
    }
}

/// Team i's share of the Jobs, ∝ 1/(i + 1) (Zipf): team-0 asks for about a third of the
/// fleet against a tenth's quota and borrows the rest, the last teams use less than their
/// share and reclaim it when they need it — so borrowing and reclaim preemption happen.
fn team_weights(queues: u32) -> Vec<f64> {
    let raw: Vec<f64> = (0..queues).map(|i| 1.0 / f64::from(i + 1)).collect();
    let sum: f64 = raw.iter().sum();
    raw.iter().map(|w| w / sum).collect()
}

/// The team a uniform draw `u` in [0, 1) falls to.
fn pick_team(weights: &[f64], u: f64) -> u32 {
    let mut acc = 0.0;
    for (i, w) in weights.iter().enumerate() {
        acc += w;
        if u < acc {
            return i as u32;
        }
    }
    weights.len().saturating_sub(1) as u32
}

/// One Job: one pod of `gpus` A100s, 11 CPUs and 128 GiB per GPU (a p4de.24xlarge has 96
/// vCPUs and 1,152 GiB for its 8 GPUs, so a node's CPU and memory never bind first).
fn job(doc: &mut String, i: u32, team: u32, gpus: u32, run_min: u32) {
    let _ = write!(
        doc,
        "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: job-{i:06}\n  namespace: team-{team}\n  \
         labels: {{kueue.x-k8s.io/queue-name: jobs}}\n  annotations: {{gpuaas-sim.io/run-time: {run_min}m}}\n\
         spec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        \
         - name: train\n          image: quay.io/example/trainer:latest\n          \
         resources:\n            limits: {{cpu: \"{cpu}\", memory: {mem}Gi, nvidia.com/gpu: \"{gpus}\"}}\n",
        cpu = gpus * 11,
        mem = gpus * 128,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teams_are_picked_by_their_shares() {
        let w = team_weights(4);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // 1 : 1/2 : 1/3 : 1/4 of 25/12.
        let cases = [
            (0.0, 0),
            (0.47, 0),
            (0.49, 1),
            (0.71, 1),
            (0.73, 2),
            (0.87, 2),
            (0.89, 3),
            (0.999_999, 3),
        ];
        for (u, team) in cases {
            assert_eq!(pick_team(&w, u), team, "u = {u}");
        }
    }

    #[test]
    fn a_serving_fleet_is_a_scenario_that_serves() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fleet = ServingFleet {
            replicas: 3,
            router: "least-outstanding".into(),
            hours: 1,
            seed: 2,
        };
        let path = fleet.write(dir.path()).expect("written");
        let prepared = crate::scenario::run::discover(&[path]).expect("valid").remove(0);
        let done = crate::simulate(prepared).expect("runs");
        let model = done.report.models.get("llama").expect("served");
        assert_eq!(model.router, "least-outstanding");
        // Three replicas at one request per second each, for an hour.
        assert!((9_000..12_600).contains(&model.requests), "{}", model.requests);
        assert!(model.completed > 9_000, "{}", model.completed);
    }

    #[test]
    fn a_fleet_is_a_scenario_that_runs() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fleet = Fleet {
            nodes: 2,
            jobs: 40,
            queues: 3,
            hours: 1,
            seed: 3,
        };
        let path = fleet.write(dir.path()).expect("written");
        let prepared = crate::scenario::run::discover(&[path]).expect("valid").remove(0);
        let done = crate::simulate(prepared).expect("runs");
        assert_eq!(done.report.workload_summary.total, 40);
        assert_eq!(done.report.nodes.len(), 2);
    }
}
