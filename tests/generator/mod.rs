//! A generator of random valid scenarios, deterministic from a seed: node pools from the
//! bundled catalog (L4, A100, H100 and MI300X instance types, idle pools and spare nodes
//! among them), ResourceFlavors matching them, ClusterQueues (in a cohort or not, with
//! borrowing and lending limits, preemption policies, fair sharing), LocalQueues, priority
//! classes, InferenceServices on a vLLM ServingRuntime with a catalog model card,
//! Deployments, plain pods and pod groups, Jobs, LeaderWorkerSets, LLMInferenceServices,
//! traffic, a timeline of `oc` commands and expectations. Each scenario is a folder of
//! YAML files written the way a user writes them.
//!
//! Valid means that `gpuaas-sim` must accept it: every reference resolves, every quantity
//! and duration is well formed, every command parses. What the cluster then does is free:
//! a model that does not fit its GPUs fails to start, a workload without quota stays
//! Pending, a command naming a deleted object is refused as `oc` refuses it. Those are
//! outcomes the simulator must report, not errors.

pub mod yaml;

use gpuaas_sim::catalog::{Catalog, ModelCard};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use yaml::Layout;

/// A generated scenario: its files (path relative to the scenario's folder, content).
pub struct Generated {
    /// The Scenario document's path within the folder.
    pub scenario: String,
    pub files: Vec<(String, String)>,
    /// What it holds, in one line, to make a failure report readable.
    pub about: String,
}

impl Generated {
    /// Writes the files under `dir`.
    pub fn write(&self, dir: &std::path::Path) {
        for (rel, content) in &self.files {
            let p = dir.join(rel);
            std::fs::create_dir_all(p.parent().expect("a file has a folder")).expect("folder created");
            std::fs::write(p, content).expect("file written");
        }
    }
}

/// The GPU types scenarios are built from (the catalog's names).
const GPU_TYPES: &[&str] = &["L4", "A100-40GB", "A100-80GB", "H100-SXM", "MI300X"];

const GPU_TAINT_EFFECT: &str = "NoSchedule";

/// A node pool and what the generator knows of its nodes.
#[derive(Clone)]
struct Pool {
    name: String,
    instance: String,
    gpu: String,
    /// `nvidia.com/gpu` or `amd.com/gpu`.
    resource: String,
    gpus_per_node: u32,
    gpu_memory_mib: f64,
    vcpu: u32,
    memory_gib: u32,
    count: u32,
    tainted: bool,
    /// The ResourceFlavor selecting its nodes, if any (a spare pool has none).
    flavor: Option<String>,
}

struct Flavor {
    name: String,
    /// `None` for the flavor of cpu and memory that selects no nodes.
    pool: Option<usize>,
}

struct Team {
    namespace: String,
    local_queue: String,
    cluster_queue: String,
}

/// What timeline commands and expectations may name.
#[derive(Default)]
struct Names {
    /// (namespace, Deployment name, its pods' `app` label value).
    deployments: Vec<(String, String, String)>,
    isvcs: Vec<(String, String)>,
    jobs: Vec<(String, String)>,
    pods: Vec<(String, String)>,
    /// Workload names an expectation may name: services, Deployments, Jobs, pods.
    workloads: Vec<String>,
    /// Traffic targets with a synthetic rate (their rate may change in the timeline).
    synthetic_targets: Vec<(String, String)>,
    traffic_targets: Vec<String>,
    nodes: Vec<String>,
    /// The InferenceServices and ClusterQueues as written, for `oc apply` of a changed
    /// copy.
    isvc_docs: Vec<Value>,
    cq_docs: Vec<Value>,
}

struct Gen {
    rng: ChaCha8Rng,
    catalog: Catalog,
    duration_s: u64,
    pools: Vec<Pool>,
    flavors: Vec<Flavor>,
    teams: Vec<Team>,
    cluster_queues: Vec<String>,
    workload_classes: Vec<String>,
    pod_classes: Vec<String>,
    /// Namespaces with the ServingRuntime.
    runtime_namespaces: Vec<String>,
    names: Names,
    /// Manifest files under `manifests/`: file name → documents.
    manifests: BTreeMap<String, Vec<Value>>,
    /// Other files of the folder (traces, files for `oc apply`).
    extra: Vec<(String, String)>,
    /// A trace file written for this scenario, if any.
    trace: Option<String>,
    about: Vec<String>,
    counter: u32,
}

/// Generates the scenario of `seed`. `name` is its `metadata.name`; the randomness does
/// not depend on it, so two names give two copies of one scenario.
pub fn generate(seed: u64, name: &str) -> Generated {
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(seed),
        catalog: Catalog::bundled(),
        duration_s: 0,
        pools: Vec::new(),
        flavors: Vec::new(),
        teams: Vec::new(),
        cluster_queues: Vec::new(),
        workload_classes: Vec::new(),
        pod_classes: Vec::new(),
        runtime_namespaces: Vec::new(),
        names: Names::default(),
        manifests: BTreeMap::new(),
        extra: Vec::new(),
        trace: None,
        about: Vec::new(),
        counter: 0,
    };
    g.duration_s = *[600, 900, 1200, 1800, 2700, 3600, 5400, 7200]
        .choose(&mut g.rng)
        .expect("durations");
    if g.rng.random_bool(0.2) {
        // An odd length now and then, not a round number of minutes.
        g.duration_s = g.rng.random_range(300..=5400);
    }
    g.node_pools();
    g.flavors();
    g.teams_and_queues();
    g.priority_classes();
    let kueue = g.kueue_config();
    g.inference_services();
    g.llm_inference_service();
    g.deployments();
    g.plain_pods();
    g.jobs();
    g.leader_worker_set();
    g.workload_objects();
    if g.rng.random_bool(0.3) {
        g.trace_file();
    }
    let traffic = g.traffic();
    let timeline = g.timeline();
    let faults = g.faults();
    let expect = g.expectations();
    g.scenario_document(name, kueue, traffic, timeline, faults, expect)
}

impl Gen {
    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        items.choose(&mut self.rng).expect("a non-empty list")
    }

    fn layout(&mut self) -> Layout {
        match self.rng.random_range(0..20) {
            0 => Layout::Json,
            1..=8 => Layout::Block,
            _ => Layout::Compact,
        }
    }

    /// A name not used before in this scenario.
    fn fresh(&mut self, stem: &str) -> String {
        self.counter += 1;
        format!("{stem}-{}", self.counter)
    }

    fn add(&mut self, file: &str, doc: Value) {
        self.manifests.entry(file.to_string()).or_default().push(doc);
    }

    /// A duration as a person writes it: `90s`, `15m`, `1h30m`.
    fn duration(&mut self, seconds: u64) -> String {
        if seconds == 0 {
            return "0s".into();
        }
        let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
        if self.chance(0.15) {
            return format!("{seconds}s");
        }
        let mut out = String::new();
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if m > 0 {
            out.push_str(&format!("{m}m"));
        }
        if s > 0 {
            out.push_str(&format!("{s}s"));
        }
        out
    }

    /// An instant within the run, as a duration from its start.
    fn instant(&mut self) -> (u64, String) {
        let t = if self.chance(0.7) {
            // Mostly on round minutes, as timelines are written.
            self.rng.random_range(0..=self.duration_s / 60) * 60
        } else {
            self.rng.random_range(0..=self.duration_s)
        };
        let t = t.min(self.duration_s);
        (t, self.duration(t))
    }

    // ---- the cluster -------------------------------------------------------------------

    fn node_pools(&mut self) {
        let instances: Vec<_> = self
            .catalog
            .instances
            .iter()
            .filter(|i| GPU_TYPES.contains(&i.gpu.as_str()))
            .cloned()
            .collect();
        let n = self.rng.random_range(1..=4usize);
        let chosen: Vec<_> = instances.choose_multiple(&mut self.rng, n).cloned().collect();
        for (i, inst) in chosen.into_iter().enumerate() {
            let gpu = self.catalog.gpu(&inst.gpu).expect("catalog GPU").clone();
            let count = *self.pick(&[0, 1, 1, 1, 1, 2, 2, 2, 3]);
            let short = inst.gpu.to_ascii_lowercase().replace("-sxm", "").replace("-", "");
            let pool = Pool {
                name: format!("{short}-{}x-{i}", inst.gpu_count),
                instance: inst.name.clone(),
                gpu: inst.gpu.clone(),
                resource: gpu.resource.clone(),
                gpus_per_node: inst.gpu_count,
                gpu_memory_mib: gpu.memory_mib,
                vcpu: inst.vcpu,
                memory_gib: inst.memory_gib,
                count,
                tainted: self.chance(0.75),
                flavor: None,
            };
            for k in 0..count {
                self.names.nodes.push(format!("{}-{k}", pool.name));
            }
            self.about.push(format!("{}×{}", count, inst.name));
            self.pools.push(pool);
        }
        if self.chance(0.1) {
            self.node_manifest();
        }
    }

    /// A Node written as a manifest, as `oc get node -o yaml` would give it, beside the
    /// pools.
    fn node_manifest(&mut self) {
        let inst = self
            .catalog
            .instance("g6.4xlarge")
            .expect("g6.4xlarge in the catalog")
            .clone();
        let name = "spare-l4-node".to_string();
        let tainted = self.chance(0.5);
        let mut spec = Map::new();
        if tainted {
            spec.insert(
                "taints".into(),
                json!([{"key": "nvidia.com/gpu", "value": "true", "effect": GPU_TAINT_EFFECT}]),
            );
        }
        self.add(
            "nodes.yaml",
            json!({
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": name, "labels": {"node.kubernetes.io/instance-type": inst.name, "kubernetes.io/hostname": name}},
                "spec": spec,
                "status": {"allocatable": {"cpu": inst.vcpu.to_string(), "memory": format!("{}Gi", inst.memory_gib), "nvidia.com/gpu": "1", "pods": "110"}},
            }),
        );
        self.names.nodes.push(name);
        self.pools.push(Pool {
            name: "spare-l4-node".into(),
            instance: inst.name.clone(),
            gpu: inst.gpu.clone(),
            resource: "nvidia.com/gpu".into(),
            gpus_per_node: 1,
            gpu_memory_mib: self.catalog.gpu("L4").expect("L4").memory_mib,
            vcpu: inst.vcpu,
            memory_gib: inst.memory_gib,
            count: 0,
            tainted,
            flavor: None,
        });
    }

    fn flavors(&mut self) {
        let split = self
            .pools
            .iter()
            .map(|p| &p.resource)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            > 1
            || self.chance(0.5);
        if split {
            self.flavors.push(Flavor {
                name: "default-flavor".into(),
                pool: None,
            });
            self.add(
                "kueue.yaml",
                json!({"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "ResourceFlavor", "metadata": {"name": "default-flavor"}}),
            );
        }
        let mut seen_instances = Vec::new();
        for i in 0..self.pools.len() {
            let p = self.pools[i].clone();
            // A spare pool: nodes no ClusterQueue's quota reaches.
            if self.chance(0.12) || seen_instances.contains(&p.instance) {
                continue;
            }
            seen_instances.push(p.instance.clone());
            let vendor = if p.resource.starts_with("amd") { "amd" } else { "nvidia" };
            let name = format!(
                "{vendor}-{}-{}gpu",
                p.gpu.to_ascii_lowercase().replace("-sxm", ""),
                p.gpus_per_node
            );
            let name = if self.flavors.iter().any(|f| f.name == name) {
                format!("{name}-{i}")
            } else {
                name
            };
            let mut spec = Map::new();
            let labels = if self.chance(0.85) {
                json!({"node.kubernetes.io/instance-type": p.instance})
            } else if p.count > 0 {
                json!({"gpuaas-sim.io/node-pool": p.name})
            } else {
                json!({"node.kubernetes.io/instance-type": p.instance})
            };
            spec.insert("nodeLabels".into(), labels);
            // Without the toleration the flavor's pods cannot land on tainted nodes
            // unless they tolerate the taint themselves: a valid, stuck outcome.
            if p.tainted && self.chance(0.9) {
                spec.insert(
                    "tolerations".into(),
                    json!([{"key": p.resource, "operator": "Exists", "effect": GPU_TAINT_EFFECT}]),
                );
            }
            self.add(
                "kueue.yaml",
                json!({"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "ResourceFlavor", "metadata": {"name": name}, "spec": spec}),
            );
            self.pools[i].flavor = Some(name.clone());
            self.flavors.push(Flavor { name, pool: Some(i) });
        }
    }

    fn teams_and_queues(&mut self) {
        let n = self.rng.random_range(1..=3usize);
        let shared = n == 1 || self.chance(0.3);
        let cohort = !shared && self.chance(0.65);
        let labelled_namespaces = self.chance(0.2);
        for t in 0..n {
            let ns = format!("team-{}", (b'a' + t as u8) as char);
            let local_queue = if self.chance(0.7) {
                "default".to_string()
            } else {
                format!("{ns}-queue")
            };
            let cluster_queue = if shared {
                "shared".to_string()
            } else {
                format!("{ns}-cq")
            };
            let mut meta = json!({"name": ns});
            if labelled_namespaces {
                meta["labels"] = json!({"team": ns});
            }
            self.add(
                "namespaces.yaml",
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": meta}),
            );
            self.add(
                "namespaces.yaml",
                json!({"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "LocalQueue",
                       "metadata": {"name": local_queue, "namespace": ns},
                       "spec": {"clusterQueue": cluster_queue}}),
            );
            if !self.cluster_queues.contains(&cluster_queue) {
                self.cluster_queues.push(cluster_queue.clone());
                let cq = self.cluster_queue(&cluster_queue, &ns, cohort, labelled_namespaces);
                self.names.cq_docs.push(cq.clone());
                self.add("kueue.yaml", cq);
            }
            self.teams.push(Team {
                namespace: ns,
                local_queue,
                cluster_queue,
            });
        }
        self.about.push(format!(
            "{} ClusterQueue(s){}",
            self.cluster_queues.len(),
            if cohort { " in a cohort" } else { "" }
        ));
    }

    fn cluster_queue(&mut self, name: &str, team_ns: &str, cohort: bool, labelled: bool) -> Value {
        let split = self.flavors.iter().any(|f| f.pool.is_none());
        let mut groups = Vec::new();
        let generous = self.chance(0.7);
        let cpu_mem = |g: &mut Gen| -> (Value, Value) {
            if generous {
                (json!(1000), json!("8000Gi"))
            } else {
                let c = g.rng.random_range(4..=96);
                (json!(c.to_string()), json!(format!("{}Gi", c * 8)))
            }
        };
        if split {
            let mut covered = vec!["cpu", "memory"];
            let pods = self.chance(0.1);
            if pods {
                covered.push("pods");
            }
            let (cpu, mem) = cpu_mem(self);
            let mut resources = vec![
                json!({"name": "cpu", "nominalQuota": cpu}),
                json!({"name": "memory", "nominalQuota": mem}),
            ];
            if pods {
                resources.push(json!({"name": "pods", "nominalQuota": self.rng.random_range(1..=20)}));
            }
            groups.push(
                json!({"coveredResources": covered, "flavors": [{"name": "default-flavor", "resources": resources}]}),
            );
        }
        for resource in ["nvidia.com/gpu", "amd.com/gpu"] {
            let mut mine: Vec<usize> = self
                .flavors
                .iter()
                .enumerate()
                .filter(|(_, f)| f.pool.is_some_and(|p| self.pools[p].resource == resource))
                .map(|(i, _)| i)
                .collect();
            if mine.is_empty() {
                continue;
            }
            // Each queue reaches a random part of the flavors, in a random order.
            use rand::seq::SliceRandom;
            mine.shuffle(&mut self.rng);
            let keep = self.rng.random_range(1..=mine.len());
            mine.truncate(keep);
            if self.chance(0.08) {
                continue;
            }
            let mut flavors = Vec::new();
            for fi in mine {
                let pool = self.pools[self.flavors[fi].pool.expect("a GPU flavor")].clone();
                let capacity = pool.count * pool.gpus_per_node;
                // Most often what the pool holds; else less, or more than exists.
                let nominal = match self.rng.random_range(0..20) {
                    0..=10 => capacity,
                    11..=16 => self.rng.random_range(0..=capacity.max(1)),
                    _ => self.rng.random_range(0..=capacity + 8),
                };
                let mut gpu = json!({"name": resource, "nominalQuota": nominal});
                if cohort && self.chance(0.3) {
                    gpu["borrowingLimit"] = json!(self.rng.random_range(0..=nominal + 4));
                }
                if cohort && self.chance(0.3) {
                    gpu["lendingLimit"] = json!(self.rng.random_range(0..=nominal));
                }
                let resources = if split {
                    vec![gpu]
                } else {
                    let (cpu, mem) = cpu_mem(self);
                    vec![
                        json!({"name": "cpu", "nominalQuota": cpu}),
                        json!({"name": "memory", "nominalQuota": mem}),
                        gpu,
                    ]
                };
                flavors.push(json!({"name": self.flavors[fi].name, "resources": resources}));
            }
            let covered = if split {
                json!([resource])
            } else {
                json!(["cpu", "memory", resource])
            };
            groups.push(json!({"coveredResources": covered, "flavors": flavors}));
        }
        let mut spec = Map::new();
        if cohort {
            spec.insert("cohort".into(), json!("fleet"));
        }
        let selector = match self.rng.random_range(0..20) {
            // No selector: Kueue matches no namespace, so nothing is admitted.
            0 => None,
            1..=3 if labelled => Some(json!({"matchLabels": {"team": team_ns}})),
            _ => Some(json!({})),
        };
        if let Some(s) = selector {
            spec.insert("namespaceSelector".into(), s);
        }
        if self.chance(0.25) {
            let strategy = *self.pick(&["StrictFIFO", "BestEffortFIFO"]);
            spec.insert("queueingStrategy".into(), json!(strategy));
        }
        if self.chance(0.6) {
            let mut p = Map::new();
            let within = *self.pick(&["Never", "LowerPriority", "LowerOrNewerEqualPriority"]);
            p.insert("withinClusterQueue".into(), json!(within));
            if cohort {
                let reclaim = *self.pick(&["Never", "LowerPriority", "Any"]);
                p.insert("reclaimWithinCohort".into(), json!(reclaim));
                // Kueue's webhook refuses borrowWithinCohort when reclaiming is off.
                if reclaim != "Never" && self.chance(0.25) {
                    let mut b = json!({"policy": "LowerPriority"});
                    if self.chance(0.5) {
                        b["maxPriorityThreshold"] = json!(self.rng.random_range(-10..=1000));
                    }
                    p.insert("borrowWithinCohort".into(), b);
                }
            }
            spec.insert("preemption".into(), Value::Object(p));
        }
        if self.chance(0.3) {
            let borrow = *self.pick(&["Borrow", "TryNextFlavor"]);
            let preempt = *self.pick(&["Preempt", "TryNextFlavor"]);
            spec.insert(
                "flavorFungibility".into(),
                json!({"whenCanBorrow": borrow, "whenCanPreempt": preempt}),
            );
        }
        if cohort && self.chance(0.25) {
            let w = *self.pick(&["1", "2", "0.5", "0", "3"]);
            spec.insert("fairSharing".into(), json!({"weight": w}));
        }
        if self.chance(0.04) {
            spec.insert("stopPolicy".into(), json!("Hold"));
        }
        spec.insert("resourceGroups".into(), Value::Array(groups));
        json!({"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "ClusterQueue", "metadata": {"name": name}, "spec": spec})
    }

    fn priority_classes(&mut self) {
        for (name, value) in [("low", -5), ("batch", 100), ("serving", 1000), ("critical", 100000)] {
            if self.chance(0.4) {
                self.workload_classes.push(name.to_string());
                let value = if self.chance(0.8) {
                    value
                } else {
                    self.rng.random_range(-100..=100_000)
                };
                self.add(
                    "priority.yaml",
                    json!({"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "WorkloadPriorityClass",
                           "metadata": {"name": name}, "value": value, "description": format!("{name} work")}),
                );
            }
        }
        let mut default_given = false;
        for (name, value) in [("research-low", 10), ("production-high", 100000)] {
            if self.chance(0.3) {
                self.pod_classes.push(name.to_string());
                let mut doc = json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                                     "metadata": {"name": name}, "value": value});
                if !default_given && self.chance(0.25) {
                    doc["globalDefault"] = json!(true);
                    default_given = true;
                }
                self.add("priority.yaml", doc);
            }
        }
    }

    fn kueue_config(&mut self) -> Option<Value> {
        let mut k = Map::new();
        if self.chance(0.25) {
            let mut fs = json!({"enable": true});
            if self.chance(0.4) {
                let all = ["LessThanOrEqualToFinalShare", "LessThanInitialShare"];
                let n = self.rng.random_range(1..=2);
                fs["preemptionStrategies"] = json!(all[..n]);
            }
            k.insert("fairSharing".into(), fs);
            self.about.push("fair sharing".into());
        }
        if self.chance(0.2) {
            let timeout = self.rng.random_range(2..=20) * 60;
            let mut w = json!({"enable": true, "timeout": self.duration(timeout)});
            if self.chance(0.4) {
                w["blockAdmission"] = json!(self.chance(0.5));
            }
            if self.chance(0.5) {
                let ts = *self.pick(&["Eviction", "Creation"]);
                let mut rs = json!({"timestamp": ts, "backoffBaseSeconds": self.rng.random_range(5..=120)});
                if self.chance(0.6) {
                    rs["backoffLimitCount"] = json!(self.rng.random_range(0..=4));
                }
                if self.chance(0.3) {
                    rs["backoffMaxSeconds"] = json!(self.rng.random_range(120..=3600));
                }
                w["requeuingStrategy"] = rs;
            }
            k.insert("waitForPodsReady".into(), w);
            self.about.push("waitForPodsReady".into());
        }
        (!k.is_empty()).then_some(Value::Object(k))
    }

    // ---- workloads --------------------------------------------------------------------

    /// A pool for a workload: one with GPUs (most often one a flavor reaches), or none
    /// when the scenario has no pool of that kind.
    fn target_pool(&mut self) -> Pool {
        let reachable: Vec<Pool> = self.pools.iter().filter(|p| p.flavor.is_some()).cloned().collect();
        if !reachable.is_empty() && self.chance(0.9) {
            self.pick(&reachable).clone()
        } else {
            let all = self.pools.clone();
            self.pick(&all).clone()
        }
    }

    fn team(&mut self) -> (String, String) {
        let i = self.rng.random_range(0..self.teams.len());
        (self.teams[i].namespace.clone(), self.teams[i].local_queue.clone())
    }

    /// Labels that put a workload in a queue (most often) and give it a priority class.
    fn kueue_labels(&mut self, queue: &str) -> Map<String, Value> {
        let mut labels = Map::new();
        if self.chance(0.85) {
            labels.insert("kueue.x-k8s.io/queue-name".into(), json!(queue));
        }
        if !self.workload_classes.is_empty() && self.chance(0.35) {
            let classes = self.workload_classes.clone();
            labels.insert("kueue.x-k8s.io/priority-class".into(), json!(self.pick(&classes)));
        }
        labels
    }

    /// GPUs per pod: a count the pool's nodes hold, now and then one they do not.
    fn gpu_count(&mut self, pool: &Pool) -> u32 {
        let options: Vec<u32> = [1, 2, 4, 8].into_iter().filter(|g| *g <= pool.gpus_per_node).collect();
        if self.chance(0.05) {
            pool.gpus_per_node * 2
        } else {
            *self.pick(&options)
        }
    }

    fn tolerations(&mut self, pool: &Pool) -> Option<Value> {
        (pool.tainted && self.chance(0.6)).then(|| {
            if self.chance(0.8) {
                json!([{"key": pool.resource, "operator": "Exists", "effect": GPU_TAINT_EFFECT}])
            } else {
                json!([{"key": pool.resource, "operator": "Equal", "value": "true", "effect": GPU_TAINT_EFFECT}])
            }
        })
    }

    /// A container's resources: requests and limits, or limits alone (requests default
    /// to them), with the GPUs always in both when requested.
    fn resources(&mut self, pool: &Pool, gpus: u32) -> Value {
        let per_gpu_cpu = (pool.vcpu / pool.gpus_per_node).max(1);
        let cpu = self.rng.random_range(1..=per_gpu_cpu.max(2)) * gpus.max(1);
        let per_gpu_mem = (pool.memory_gib / pool.gpus_per_node).max(2);
        let mem = self.rng.random_range(1..=per_gpu_mem) * gpus.max(1);
        let mut list = json!({"cpu": cpu.to_string(), "memory": format!("{mem}Gi")});
        if self.chance(0.15) {
            list["cpu"] = json!(format!("{}m", cpu * 500));
        }
        if gpus > 0 {
            list[pool.resource.as_str()] = json!(gpus.to_string());
        }
        if self.chance(0.5) {
            json!({"requests": list.clone(), "limits": list})
        } else {
            json!({"limits": list})
        }
    }

    /// A model card and GPU count for one replica, with vLLM arguments that (most often)
    /// let the engine start: weights and a KV cache for `--max-model-len` fit the GPUs.
    fn vllm_setup(&mut self, pool: &Pool) -> (ModelCard, u32, Vec<String>) {
        let models = self.catalog.models.clone();
        let mut choice = None;
        for _ in 0..8 {
            let card = self.pick(&models).clone();
            let gpus = self.gpu_count(pool);
            if self.chance(0.15) || kv_budget_tokens(&card, pool, gpus, 0.9) > 2048.0 {
                choice = Some((card, gpus));
                break;
            }
        }
        let (card, gpus) = choice.unwrap_or_else(|| (self.pick(&models).clone(), self.gpu_count(pool)));
        let mut args = Vec::new();
        let tp = if self.chance(0.9) {
            gpus
        } else {
            *self.pick(&[1, 2, 3, 4])
        };
        if tp > 1 || self.chance(0.3) {
            if self.chance(0.8) {
                args.push(format!("--tensor-parallel-size={tp}"));
            } else {
                args.push("--tensor-parallel-size".into());
                args.push(tp.to_string());
            }
        }
        let util = if self.chance(0.5) {
            let u = *self.pick(&[0.8, 0.85, 0.9, 0.92, 0.95]);
            args.push(format!("--gpu-memory-utilization={u}"));
            u
        } else {
            0.9
        };
        let budget = kv_budget_tokens(&card, pool, gpus, util);
        let lens = [2048u32, 4096, 8192, 16384, 32768];
        let fitting: Vec<u32> = lens.into_iter().filter(|l| (*l as f64) < budget * 0.8).collect();
        if self.chance(0.9) {
            let len = if !fitting.is_empty() && self.chance(0.85) {
                *self.pick(&fitting)
            } else {
                *self.pick(&lens)
            };
            if self.chance(0.15) {
                // vLLM's `16k` is 16,000 tokens.
                args.push(format!("--max-model-len={}k", len / 1024));
            } else {
                args.push(format!("--max-model-len={len}"));
            }
        }
        if self.chance(0.3) {
            let seqs = *self.pick(&[1, 8, 32, 64, 128, 256]);
            args.push(format!("--max-num-seqs={seqs}"));
        }
        if self.chance(0.15) {
            let t = *self.pick(&[512, 2048, 4096, 8192]);
            args.push(format!("--max-num-batched-tokens={t}"));
        }
        if self.chance(0.15) {
            args.push("--kv-cache-dtype=fp8".into());
        }
        if self.chance(0.15) {
            args.push("--enforce-eager".into());
        }
        if self.chance(0.1) {
            args.push("--no-enable-prefix-caching".into());
        }
        if self.chance(0.1) {
            let b = *self.pick(&[16, 32]);
            args.push(format!("--block-size={b}"));
        }
        (card, gpus, args)
    }

    /// Where the weights come from, written so that the card's `match` finds it.
    fn model_source(&mut self, card: &ModelCard, name: &str) -> (Value, Map<String, Value>) {
        let mut annotations = Map::new();
        if card.matches.is_empty() || self.chance(0.08) {
            annotations.insert("gpuaas-sim.io/model".into(), json!(card.name));
            return (json!({"storageUri": format!("s3://models/{name}/")}), annotations);
        }
        let m = self.pick(&card.matches).clone();
        let source = if m.ends_with(':') {
            json!({"storageUri": format!("oci://quay.io/example/modelcar-{m}1.5")})
        } else if m.ends_with('/') {
            json!({"storageUri": format!("s3://models/{m}")})
        } else {
            match self.rng.random_range(0..10) {
                0..=3 => json!({"storageUri": format!("s3://models/{m}/")}),
                4..=6 => json!({"storageUri": format!("oci://quay.io/example/modelcar-{m}:1.0")}),
                7 | 8 => json!({"storage": {"key": "minio-connection", "path": format!("{m}/")}}),
                _ => json!({"storageUri": format!("pvc://model-store/{m}")}),
            }
        };
        (source, annotations)
    }

    fn inference_services(&mut self) {
        let n = *self.pick(&[0, 1, 1, 2, 2, 3, 4]);
        for _ in 0..n {
            let team = self.team();
            let ns = team.0.clone();
            if !self.runtime_namespaces.contains(&ns) {
                self.runtime_namespaces.push(ns.clone());
                self.serving_runtime(&ns);
            }
            let doc = self.inference_service(team);
            self.add(&format!("{ns}-serving.yaml"), doc);
        }
    }

    /// An InferenceService of the team `(namespace, LocalQueue)`, whose namespace has the
    /// ServingRuntime; its names are recorded for the timeline and expectations.
    fn inference_service(&mut self, (ns, queue): (String, String)) -> Value {
        let pool = self.target_pool();
        let (card, gpus, args) = self.vllm_setup(&pool);
        let stem = card
            .name
            .split('-')
            .take(2)
            .collect::<Vec<_>>()
            .join("-")
            .replace('.', "-");
        let name = self.fresh(&stem);
        let (source, mut annotations) = self.model_source(&card, &name);
        annotations.insert("serving.kserve.io/deploymentMode".into(), json!("RawDeployment"));
        if self.chance(0.3) {
            annotations.insert("openshift.io/display-name".into(), json!(card.display));
        }
        let mut model = Map::new();
        model.insert("modelFormat".into(), json!({"name": "vLLM"}));
        if self.chance(0.85) {
            model.insert("runtime".into(), json!("vllm-runtime"));
        }
        for (k, v) in source.as_object().expect("a source map") {
            model.insert(k.clone(), v.clone());
        }
        if !args.is_empty() {
            model.insert("args".into(), json!(args));
        }
        model.insert("resources".into(), self.resources(&pool, gpus));
        let mut predictor = Map::new();
        let min = *self.pick(&[0, 1, 1, 1, 1, 1, 1, 2, 2, 3]);
        predictor.insert("minReplicas".into(), json!(min));
        if self.chance(0.5) {
            predictor.insert("maxReplicas".into(), json!(min.max(1) + self.rng.random_range(0..=2)));
        }
        if self.chance(0.6) {
            predictor.insert("deploymentStrategy".into(), self.strategy());
        }
        if let Some(t) = self.tolerations(&pool) {
            predictor.insert("tolerations".into(), t);
        }
        if self.chance(0.15) {
            predictor.insert(
                "nodeSelector".into(),
                json!({"node.kubernetes.io/instance-type": pool.instance}),
            );
        }
        if !self.pod_classes.is_empty() && self.chance(0.25) {
            let classes = self.pod_classes.clone();
            predictor.insert("priorityClassName".into(), json!(self.pick(&classes)));
        }
        if self.chance(0.2) {
            predictor.insert(
                "terminationGracePeriodSeconds".into(),
                json!(self.rng.random_range(0..=90)),
            );
        }
        predictor.insert("model".into(), Value::Object(model));
        let mut labels = self.kueue_labels(&queue);
        if self.chance(0.3) {
            labels.insert("opendatahub.io/dashboard".into(), json!("true"));
        }
        let mut metadata = json!({"name": name, "namespace": ns});
        if !labels.is_empty() {
            metadata["labels"] = Value::Object(labels);
        }
        metadata["annotations"] = Value::Object(annotations);
        let doc = json!({
            "apiVersion": "serving.kserve.io/v1beta1",
            "kind": "InferenceService",
            "metadata": metadata,
            "spec": {"predictor": predictor},
        });
        self.names.isvc_docs.push(doc.clone());
        self.names.isvcs.push((ns.clone(), name.clone()));
        self.names
            .deployments
            .push((ns.clone(), format!("{name}-predictor"), String::new()));
        self.names.workloads.push(name.clone());
        self.about.push(format!("{}×{gpus} {}", card.name, pool.gpu));
        doc
    }

    fn serving_runtime(&mut self, ns: &str) {
        let mut args = vec![
            "--port=8080".to_string(),
            "--model=/mnt/models".to_string(),
            "--served-model-name={{.Name}}".to_string(),
        ];
        if self.chance(0.2) {
            args.push("--max-num-seqs=128".into());
        }
        self.add(
            &format!("{ns}-serving.yaml"),
            json!({
                "apiVersion": "serving.kserve.io/v1alpha1",
                "kind": "ServingRuntime",
                "metadata": {"name": "vllm-runtime", "namespace": ns, "annotations": {"opendatahub.io/recommended-accelerators": "[\"nvidia.com/gpu\"]"}},
                "spec": {
                    "supportedModelFormats": [{"name": "vLLM", "autoSelect": true}],
                    "containers": [{"name": "kserve-container", "image": "quay.io/modh/vllm:rhoai-3.0-cuda", "args": args}],
                },
            }),
        );
    }

    fn strategy(&mut self) -> Value {
        match self.rng.random_range(0..4) {
            0 | 1 => json!({"type": "Recreate"}),
            2 => json!({"type": "RollingUpdate"}),
            _ => {
                let surge = self.pick(&[json!(0), json!(1), json!("25%"), json!("50%")]).clone();
                let unavailable = if surge == json!(0) {
                    json!(1)
                } else {
                    self.pick(&[json!(0), json!(1), json!("25%")]).clone()
                };
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}})
            }
        }
    }

    /// An llm-d LLMInferenceService now and then: a single-node Deployment, or a
    /// LeaderWorkerSet of data-parallel ranks.
    fn llm_inference_service(&mut self) {
        if !self.chance(0.1) {
            return;
        }
        let pool = self.target_pool();
        let (ns, queue) = self.team();
        let (card, gpus, args) = self.vllm_setup(&pool);
        let Some(m) = card.matches.first().cloned() else { return };
        let name = self.fresh("llmd");
        let mut labels = Map::new();
        if self.chance(0.8) {
            labels.insert("kueue.x-k8s.io/queue-name".into(), json!(queue));
        }
        let container = json!({
            "name": "main",
            "image": "registry.redhat.io/rhaiis/vllm-cuda-rhel9:3.0.0",
            "args": args,
            "resources": self.resources(&pool, gpus),
        });
        let mut template = json!({"containers": [container]});
        if let Some(t) = self.tolerations(&pool) {
            template["tolerations"] = t;
        }
        let mut spec = json!({
            "model": {"uri": format!("oci://quay.io/example/modelcar-{}:1.0", m.trim_end_matches([':', '/'])), "name": card.name},
            "replicas": self.rng.random_range(1..=2),
            "template": template.clone(),
        });
        if self.chance(0.5) {
            spec["parallelism"] = json!({"data": 2, "dataLocal": 1, "tensor": 1});
            spec["worker"] = template;
        }
        self.add(
            &format!("{ns}-llmd.yaml"),
            json!({"apiVersion": "serving.kserve.io/v1alpha1", "kind": "LLMInferenceService",
                   "metadata": {"name": name, "namespace": ns, "labels": labels}, "spec": spec}),
        );
        self.names.workloads.push(name.clone());
        self.names.traffic_targets.push(name);
    }

    fn pod_template(&mut self, app: &str, queue: &str, pool: &Pool, gpus: u32, extra: Map<String, Value>) -> Value {
        let mut labels = self.kueue_labels(queue);
        labels.insert("app".into(), json!(app));
        for (k, v) in extra {
            labels.insert(k, v);
        }
        let mut spec = Map::new();
        if let Some(t) = self.tolerations(pool) {
            spec.insert("tolerations".into(), t);
        }
        if self.chance(0.15) {
            spec.insert(
                "nodeSelector".into(),
                json!({"node.kubernetes.io/instance-type": pool.instance}),
            );
        }
        if !self.pod_classes.is_empty() && self.chance(0.25) {
            let classes = self.pod_classes.clone();
            spec.insert("priorityClassName".into(), json!(self.pick(&classes)));
        }
        if self.chance(0.2) {
            spec.insert(
                "terminationGracePeriodSeconds".into(),
                json!(self.rng.random_range(0..=60)),
            );
        }
        spec.insert(
            "containers".into(),
            json!([{"name": "main", "image": "quay.io/example/worker:latest", "resources": self.resources(pool, gpus)}]),
        );
        json!({"metadata": {"labels": labels}, "spec": spec})
    }

    fn deployments(&mut self) {
        let n = *self.pick(&[0, 0, 1, 1, 2, 3]);
        for _ in 0..n {
            let pool = self.target_pool();
            let (ns, queue) = self.team();
            let name = self.fresh("app");
            let gpus = if self.chance(0.15) { 0 } else { self.gpu_count(&pool) };
            let template = self.pod_template(&name, &queue, &pool, gpus, Map::new());
            let mut spec = json!({
                "replicas": *self.pick(&[0, 1, 1, 2, 3]),
                "selector": {"matchLabels": {"app": name}},
                "template": template,
            });
            if self.chance(0.5) {
                spec["strategy"] = self.strategy();
            }
            if self.chance(0.1) {
                spec["minReadySeconds"] = json!(self.rng.random_range(0..=120));
            }
            if self.chance(0.05) {
                spec["paused"] = json!(true);
            }
            self.add(
                &format!("{ns}-apps.yaml"),
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns}, "spec": spec}),
            );
            self.names.deployments.push((ns, name.clone(), name.clone()));
            self.names.workloads.push(name);
        }
    }

    fn plain_pods(&mut self) {
        let n = *self.pick(&[0, 0, 0, 1, 2]);
        for _ in 0..n {
            let pool = self.target_pool();
            let (ns, queue) = self.team();
            let name = self.fresh("pod");
            let gpus = self.gpu_count(&pool);
            let t = self.pod_template(&name, &queue, &pool, gpus, Map::new());
            self.add(
                &format!("{ns}-apps.yaml"),
                json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": t["metadata"]["labels"]}, "spec": t["spec"]}),
            );
            self.names.pods.push((ns, name.clone()));
            self.names.workloads.push(name);
        }
        if self.chance(0.15) {
            // A pod group: Kueue makes one Workload of all its pods once they exist.
            let pool = self.target_pool();
            let (ns, queue) = self.team();
            let group = self.fresh("gang");
            let total = self.rng.random_range(2..=3);
            // Now and then fewer pods than the group's count: it waits, gated, forever.
            let made = if self.chance(0.85) { total } else { total - 1 };
            let gpus = self.gpu_count(&pool);
            for i in 0..made {
                let mut extra = Map::new();
                extra.insert("kueue.x-k8s.io/pod-group-name".into(), json!(group));
                let t = self.pod_template(&group, &queue, &pool, gpus, extra);
                let name = format!("{group}-{i}");
                self.add(
                    &format!("{ns}-apps.yaml"),
                    json!({"apiVersion": "v1", "kind": "Pod",
                           "metadata": {"name": name, "namespace": ns, "labels": t["metadata"]["labels"],
                                        "annotations": {"kueue.x-k8s.io/pod-group-total-count": total.to_string()}},
                           "spec": t["spec"]}),
                );
                self.names.pods.push((ns.clone(), name));
            }
            self.names.workloads.push(group);
        }
    }

    fn jobs(&mut self) {
        let n = *self.pick(&[0, 0, 1, 1, 2, 3]);
        for _ in 0..n {
            let pool = self.target_pool();
            let (ns, queue) = self.team();
            let name = self.fresh("train");
            let gpus = self.gpu_count(&pool);
            let parallelism = self.rng.random_range(1..=3);
            let mut t = self.pod_template(&name, &queue, &pool, gpus, Map::new());
            t["spec"]["restartPolicy"] = json!("Never");
            let labels = t["metadata"]["labels"].clone();
            let mut annotations = Map::new();
            if self.chance(0.75) {
                let run = self.rng.random_range(1..=(self.duration_s / 60).max(2)) * 60;
                annotations.insert("gpuaas-sim.io/run-time".into(), json!(self.duration(run)));
            }
            if self.chance(0.3) {
                let every = self.rng.random_range(1..=15) * 60;
                annotations.insert("gpuaas-sim.io/checkpoint-interval".into(), json!(self.duration(every)));
            }
            let mut spec = json!({"parallelism": parallelism, "template": t});
            if self.chance(0.4) {
                spec["completions"] = json!(parallelism + self.rng.random_range(0..=2));
            }
            self.add(
                &format!("{ns}-jobs.yaml"),
                json!({"apiVersion": "batch/v1", "kind": "Job",
                       "metadata": {"name": name, "namespace": ns, "labels": labels, "annotations": annotations},
                       "spec": spec}),
            );
            self.names.jobs.push((ns, name.clone()));
            self.names.workloads.push(name);
        }
    }

    fn leader_worker_set(&mut self) {
        if !self.chance(0.12) {
            return;
        }
        let pool = self.target_pool();
        let (ns, queue) = self.team();
        let name = self.fresh("lws");
        let gpus = self.gpu_count(&pool);
        let worker = self.pod_template(&name, &queue, &pool, gpus, Map::new());
        let mut lwt = json!({"size": self.rng.random_range(1..=3), "workerTemplate": worker});
        if self.chance(0.3) {
            lwt["leaderTemplate"] = self.pod_template(&name, &queue, &pool, gpus, Map::new());
        }
        let labels = self.kueue_labels(&queue);
        let replicas = self.rng.random_range(1..=2);
        self.add(
            &format!("{ns}-apps.yaml"),
            json!({"apiVersion": "leaderworkerset.x-k8s.io/v1", "kind": "LeaderWorkerSet",
                   "metadata": {"name": name, "namespace": ns, "labels": labels},
                   "spec": {"replicas": replicas, "leaderWorkerTemplate": lwt}}),
        );
        self.names.workloads.push(name);
    }

    /// Kueue Workload objects as `kubectl get workloads -o yaml` prints them, now and
    /// then: pending ones queue, admitted ones hold their quota from the start.
    fn workload_objects(&mut self) {
        if !self.chance(0.15) {
            return;
        }
        for _ in 0..self.rng.random_range(1..=3) {
            let pool = self.target_pool();
            let t = self.rng.random_range(0..self.teams.len());
            let (ns, queue, cq) = (
                self.teams[t].namespace.clone(),
                self.teams[t].local_queue.clone(),
                self.teams[t].cluster_queue.clone(),
            );
            let name = self.fresh("snapshot");
            let gpus = self.gpu_count(&pool);
            let count = self.rng.random_range(1..=2);
            let resources = self.resources(&pool, gpus);
            let mut spec = json!({
                "queueName": queue,
                "podSets": [{"name": "main", "count": count, "template": {"spec": {"containers": [{"name": "main", "image": "quay.io/example/worker:latest", "resources": resources}]}}}],
            });
            if self.chance(0.4) {
                spec["priority"] = json!(self.rng.random_range(-10..=1000));
            }
            let minute = self.rng.random_range(0..60);
            let mut doc = json!({
                "apiVersion": "kueue.x-k8s.io/v1beta1",
                "kind": "Workload",
                "metadata": {"name": name, "namespace": ns, "creationTimestamp": format!("2026-11-23T10:{minute:02}:00Z")},
                "spec": spec,
            });
            if self.chance(0.3) {
                let run = self.rng.random_range(1..=30) * 60;
                doc["metadata"]["annotations"] = json!({"gpuaas-sim.io/run-time": self.duration(run)});
            }
            // Admitted: the flavors its ClusterQueue gives each resource it asks for.
            if self.chance(0.5) {
                let wanted = ["cpu", "memory", pool.resource.as_str()];
                let flavors: Option<Map<String, Value>> = wanted
                    .iter()
                    .map(|r| flavor_for(&self.names.cq_docs, &cq, r).map(|f| (r.to_string(), json!(f))))
                    .collect();
                if let Some(flavors) = flavors {
                    doc["status"] = json!({"admission": {"clusterQueue": cq, "podSetAssignments": [{"name": "main", "flavors": flavors, "count": count}]}});
                }
            }
            self.add(&format!("{ns}-snapshot.yaml"), doc);
            self.names.workloads.push(name);
        }
    }

    // ---- traffic, timeline, expectations ----------------------------------------------

    /// A CSV trace of the `timestamp,input_tokens,output_tokens` form.
    fn trace_file(&mut self) {
        let rows = self.rng.random_range(20..=200);
        let mut t = 0.0f64;
        let mut csv = String::from("timestamp,input_tokens,output_tokens\n");
        for _ in 0..rows {
            t += self.rng.random_range(0.05..3.0);
            let input = self.rng.random_range(1..=4000);
            let output = self.rng.random_range(1..=600);
            csv.push_str(&format!("{t:.3},{input},{output}\n"));
        }
        self.extra.push(("traces/requests.csv".into(), csv));
        self.trace = Some("traces/requests.csv".into());
    }

    fn lengths(&mut self, output: bool) -> Value {
        let scale = if output { 200 } else { 1000 };
        match self.rng.random_range(0..10) {
            0 | 1 => json!(self.rng.random_range(1..=scale * 2)),
            2 => json!({"dist": "fixed", "value": self.rng.random_range(1..=scale * 2)}),
            3 | 4 => {
                let min = self.rng.random_range(1..=scale);
                json!({"dist": "uniform", "min": min, "max": min + self.rng.random_range(0..=scale * 2)})
            }
            5 if self.trace.is_some() => json!({"dist": "empirical", "trace": self.trace.clone()}),
            _ => {
                let mean = self.rng.random_range(1..=scale * 2);
                json!({"dist": "lognormal", "mean": mean, "sd": self.rng.random_range(0..=mean * 2)})
            }
        }
    }

    fn rate(&mut self, per_s: f64) -> Value {
        match self.rng.random_range(0..5) {
            0 => json!(format!("{}/s", round(per_s, 3))),
            1 => json!(format!("{}/m", round(per_s * 60.0, 2))),
            2 => json!(format!("{}/h", round(per_s * 3600.0, 1))),
            3 => json!(round(per_s, 3)),
            _ => json!(format!("{}/s", round(per_s, 2))),
        }
    }

    /// Traffic entries, at modest rates: about a few thousand requests per scenario.
    fn traffic(&mut self) -> Vec<Value> {
        // InferenceServices, then the LLMInferenceService (whose namespace is left out).
        let mut targets: Vec<(String, String)> = self.names.isvcs.clone();
        targets.extend(
            std::mem::take(&mut self.names.traffic_targets)
                .into_iter()
                .map(|t| (String::new(), t)),
        );
        let budget = 6000.0 / self.duration_s as f64;
        let mut out = Vec::new();
        for (ns, target) in targets {
            if !self.chance(0.6) {
                continue;
            }
            let mut e = Map::new();
            e.insert("target".into(), json!(target));
            if !ns.is_empty() && self.chance(0.4) {
                e.insert("namespace".into(), json!(ns));
            }
            let start = self.instant().0.min(self.duration_s / 2);
            if start > 0 && self.chance(0.7) {
                e.insert("start".into(), json!(self.duration(start)));
            }
            if self.chance(0.15) {
                let stop = self.rng.random_range(start..=self.duration_s);
                e.insert("stop".into(), json!(self.duration(stop)));
            }
            let synthetic = !(self.trace.is_some() && self.chance(0.25));
            if synthetic {
                let per_s = self.rng.random_range(0.01..=1.0) * budget.min(4.0);
                e.insert("rate".into(), self.rate(per_s));
                if self.chance(0.3) {
                    e.insert("arrival".into(), json!("gamma"));
                    e.insert("cv".into(), json!(*self.pick(&[0.5, 1.0, 2.0, 4.0])));
                } else if self.chance(0.2) {
                    e.insert("arrival".into(), json!("poisson"));
                }
                if self.chance(0.15) {
                    let period = self.rng.random_range(5..=120) * 60;
                    let peak = self.rng.random_range(0..period);
                    e.insert(
                        "diurnal".into(),
                        json!({"amplitude": round(self.rng.random_range(0.0..=1.0), 2), "period": self.duration(period), "peak": self.duration(peak)}),
                    );
                }
                if self.chance(0.2) {
                    let mut bursts = Vec::new();
                    for _ in 0..self.rng.random_range(1..=2) {
                        let (_, at) = self.instant();
                        let len = self.rng.random_range(10..=600);
                        bursts.push(json!({"at": at, "for": self.duration(len), "factor": round(self.rng.random_range(0.0..=4.0), 1)}));
                    }
                    e.insert("bursts".into(), json!(bursts));
                }
                e.insert("prompt_tokens".into(), self.lengths(false));
                e.insert("output_tokens".into(), self.lengths(true));
                self.names.synthetic_targets.push((ns.clone(), target.clone()));
            } else {
                e.insert("trace".into(), json!(self.trace.clone()));
                e.insert("speed".into(), json!(round(self.rng.random_range(0.05..=2.0), 2)));
                if self.chance(0.5) {
                    e.insert("repeat".into(), json!(true));
                }
            }
            if self.chance(0.15) {
                e.insert(
                    "prefix".into(),
                    json!({"groups": self.rng.random_range(1..=16), "tokens": self.rng.random_range(16..=1024)}),
                );
            }
            if self.chance(0.4) {
                let r = *self.pick(&["random", "round-robin", "least-outstanding", "prefix-aware"]);
                e.insert("router".into(), json!(r));
            }
            if self.chance(0.2) {
                let t = self.rng.random_range(1..=90);
                e.insert("timeout".into(), json!(self.duration(t)));
            }
            self.names.traffic_targets.push(target);
            out.push(Value::Object(e));
        }
        out
    }

    fn timeline(&mut self) -> Vec<Value> {
        let n = self.rng.random_range(0..=12);
        let mut entries = Vec::new();
        for _ in 0..n {
            let (_, at) = self.instant();
            let at = if self.chance(0.05) { "end".to_string() } else { at };
            if !self.names.synthetic_targets.is_empty() && self.chance(0.12) {
                let targets = self.names.synthetic_targets.clone();
                let (ns, target) = self.pick(&targets).clone();
                let budget = 6000.0 / self.duration_s as f64;
                let per_s = self.rng.random_range(0.0..=1.0) * budget.min(4.0);
                let mut change = json!({"target": target, "rate": self.rate(per_s)});
                if !ns.is_empty() && self.chance(0.3) {
                    change["namespace"] = json!(ns);
                }
                entries.push(json!({"at": at, "traffic": change}));
                continue;
            }
            if self.chance(0.06) {
                if let Some(fault) = self.fault() {
                    entries.push(json!({"at": at, "fault": fault}));
                    continue;
                }
            }
            let command = self.command();
            entries.push(json!({"at": at, "run": command}));
        }
        entries
    }

    // ---- faults ------------------------------------------------------------------------

    /// One fault of any kind, on one of the scenario's nodes where it needs one.
    fn fault(&mut self) -> Option<Value> {
        let nodes = self.names.nodes.clone();
        let node = (!nodes.is_empty()).then(|| self.pick(&nodes).clone());
        let lasting = *self.pick(&["30s", "2m", "10m", "1h"]);
        let fault = match self.rng.random_range(0..7) {
            0 => json!({"type": "NodeNotReady", "node": node?, "for": lasting}),
            1 => json!({"type": "NodeLost", "node": node?}),
            2 => json!({"type": "SpotInterruption", "node": node?}),
            3 => {
                let mut f = json!({"type": "GPUFailure", "node": node?});
                if self.chance(0.5) {
                    f["gpus"] = json!(self.rng.random_range(1..=2));
                }
                if self.chance(0.5) {
                    f["xid"] = json!(*self.pick(&[48, 74, 79, 94, 95, 119]));
                }
                f
            }
            4 => json!({"type": "StorageSlow", "factor": *self.pick(&[1.5, 3.0, 10.0]), "for": lasting}),
            5 => json!({"type": "StorageUnavailable", "for": lasting}),
            _ => {
                let mut f = json!({"type": "ImagePullFailure", "for": lasting});
                if self.chance(0.4) {
                    f["image"] = json!(*self.pick(&["vllm", "modelcar", "quay.io"]));
                }
                f
            }
        };
        Some(fault)
    }

    /// `spec.faults`: a few scheduled faults, and sometimes a random stream per node.
    fn faults(&mut self) -> Vec<Value> {
        let mut faults = Vec::new();
        if !self.chance(0.25) {
            return faults;
        }
        for _ in 0..self.rng.random_range(0..=3) {
            let (_, at) = self.instant();
            if let Some(mut f) = self.fault() {
                f["at"] = json!(at);
                faults.push(f);
            }
        }
        if self.chance(0.4) {
            let kind = *self.pick(&["NodeNotReady", "NodeLost", "SpotInterruption", "GPUFailure"]);
            // A short mean time between failures, so a run of an hour or two meets some.
            let mut random = json!({"type": kind, "mtbf": *self.pick(&["1h", "2h", "10h"])});
            if kind == "NodeNotReady" {
                random["for"] = json!(*self.pick(&["1m", "10m"]));
            }
            if kind == "GPUFailure" && self.chance(0.5) {
                random["xid"] = json!(79);
            }
            if let Some(pool) = self.pools.iter().find(|p| p.count > 0).map(|p| p.name.clone()) {
                if self.chance(0.5) {
                    random["nodeSelector"] = json!({"gpuaas-sim.io/node-pool": pool});
                }
            }
            faults.push(json!({"random": random}));
        }
        faults
    }

    fn ns_flag(&mut self, ns: &str) -> String {
        if self.chance(0.8) {
            format!("-n {ns}")
        } else {
            format!("--namespace={ns}")
        }
    }

    fn cli(&mut self) -> &'static str {
        if self.chance(0.8) {
            "oc"
        } else {
            "kubectl"
        }
    }

    /// One `oc` command line about the scenario's objects (now and then one the cluster
    /// refuses: an object already deleted, a name that is not there).
    fn command(&mut self) -> String {
        let oc = self.cli();
        loop {
            match self.rng.random_range(0..16) {
                0 | 1 if !self.names.deployments.is_empty() => {
                    let ds = self.names.deployments.clone();
                    let (ns, d, _) = self.pick(&ds).clone();
                    let n = self.ns_flag(&ns);
                    let r = *self.pick(&[0, 0, 1, 1, 2, 3]);
                    return match self.rng.random_range(0..20) {
                        0 => format!("{oc} scale deployment --all {n} --replicas={r}"),
                        1 | 2 => format!("{oc} scale deployment -l app={d} {n} --replicas={r}"),
                        3..=6 => format!("{oc} scale deploy/{d} {n} --replicas {r}"),
                        _ => format!("{oc} scale deployment {d} {n} --replicas={r}"),
                    };
                }
                2 => {
                    let kinds = [
                        "pods",
                        "workloads",
                        "clusterqueues",
                        "localqueues",
                        "inferenceservices",
                        "deployments",
                        "replicasets",
                        "nodes",
                        "servingruntimes",
                        "resourceflavors",
                        "jobs",
                        "isvc",
                        "wl",
                        "cq",
                        "po",
                    ];
                    let kind = *self.pick(&kinds);
                    let mut line = format!("{oc} get {kind}");
                    match self.rng.random_range(0..3) {
                        0 => line.push_str(" -A"),
                        1 => {
                            let (ns, _) = self.team();
                            line.push_str(&format!(" -n {ns}"));
                        }
                        _ => {}
                    }
                    if self.chance(0.3) {
                        line.push_str(" -o wide");
                    }
                    if self.chance(0.15) {
                        line.push_str(" -l app");
                    }
                    return line;
                }
                3 => {
                    let kind = *self.pick(&["workload", "clusterqueue", "localqueue", "pod", "node"]);
                    let name = match kind {
                        "clusterqueue" => {
                            let cqs = self.cluster_queues.clone();
                            Some(self.pick(&cqs).clone())
                        }
                        "node" if !self.names.nodes.is_empty() => {
                            let nodes = self.names.nodes.clone();
                            Some(self.pick(&nodes).clone())
                        }
                        "localqueue" => Some(self.teams[0].local_queue.clone()),
                        _ => None,
                    };
                    let (ns, _) = self.team();
                    return match name {
                        Some(n) if self.chance(0.7) => format!("{oc} describe {kind} {n} -n {ns}"),
                        _ => format!("{oc} describe {kind} -n {ns}"),
                    };
                }
                4 if !self.names.isvcs.is_empty() => {
                    let isvcs = self.names.isvcs.clone();
                    let (ns, i) = self.pick(&isvcs).clone();
                    let n = self.ns_flag(&ns);
                    let v = self.rng.random_range(0..1000);
                    return format!("{oc} annotate inferenceservice {i} {n} example.com/revision={v} --overwrite");
                }
                5 if !self.names.isvcs.is_empty() => {
                    let isvcs = self.names.isvcs.clone();
                    let (ns, i) = self.pick(&isvcs).clone();
                    let n = self.ns_flag(&ns);
                    let min = *self.pick(&[0, 1, 2]);
                    return match self.rng.random_range(0..3) {
                        0 => format!(
                            "{oc} patch inferenceservice {i} {n} --type merge -p '{{\"spec\":{{\"predictor\":{{\"minReplicas\":{min}}}}}}}'"
                        ),
                        1 => format!(
                            "{oc} patch isvc {i} {n} --type=json -p '[{{\"op\":\"replace\",\"path\":\"/spec/predictor/minReplicas\",\"value\":{min}}}]'"
                        ),
                        _ if self.chance(0.5) => format!(
                            "{oc} patch inferenceservice {i} {n} --type merge -p '{{\"spec\":{{\"predictor\":{{\"deploymentStrategy\":{{\"type\":\"Recreate\"}}}}}}}}'"
                        ),
                        _ => {
                            // New engine arguments: a rollout, maybe to an engine that
                            // cannot start.
                            let len = *self.pick(&[2048, 8192, 32768, 131072]);
                            format!(
                                "{oc} patch inferenceservice {i} {n} --type merge -p '{{\"spec\":{{\"predictor\":{{\"model\":{{\"args\":[\"--max-model-len={len}\"]}}}}}}}}'"
                            )
                        }
                    };
                }
                6 if !self.names.deployments.is_empty() => {
                    let ds = self.names.deployments.clone();
                    let (ns, d, _) = self.pick(&ds).clone();
                    let n = self.ns_flag(&ns);
                    return if self.chance(0.7) {
                        format!("{oc} rollout restart deployment/{d} {n}")
                    } else {
                        format!("{oc} rollout restart deployment {d} {n}")
                    };
                }
                7 if !self.names.nodes.is_empty() => {
                    let nodes = self.names.nodes.clone();
                    let node = self.pick(&nodes).clone();
                    let verb = *self.pick(&["adm cordon", "adm uncordon", "adm drain", "cordon", "uncordon"]);
                    return format!("{oc} {verb} {node}");
                }
                8 if !self.names.nodes.is_empty() => {
                    let nodes = self.names.nodes.clone();
                    let node = self.pick(&nodes).clone();
                    return if self.chance(0.7) {
                        format!("{oc} label node {node} example.com/maintenance=true --overwrite")
                    } else {
                        format!("{oc} label node {node} example.com/maintenance-")
                    };
                }
                9 if !self.names.deployments.iter().all(|d| d.2.is_empty()) => {
                    // A change of priority on running pods (Kueue reads it from the label).
                    let ds: Vec<_> = self
                        .names
                        .deployments
                        .iter()
                        .filter(|d| !d.2.is_empty())
                        .cloned()
                        .collect();
                    let (ns, _, app) = self.pick(&ds).clone();
                    return if !self.workload_classes.is_empty() && self.chance(0.7) {
                        let classes = self.workload_classes.clone();
                        let c = self.pick(&classes).clone();
                        format!("{oc} label pods -n {ns} -l app={app} kueue.x-k8s.io/priority-class={c} --overwrite")
                    } else {
                        format!("{oc} annotate pods -n {ns} -l app={app} example.com/note=checked")
                    };
                }
                10 => {
                    // Deletions: a pod by label, a Deployment, a Job, a service, a workload.
                    let mut options = Vec::new();
                    for (ns, _, app) in &self.names.deployments {
                        if !app.is_empty() {
                            options.push(format!("{oc} delete pod -n {ns} -l app={app}"));
                            options.push(format!(
                                "{oc} delete pods -n {ns} -l app={app} --force --grace-period=0"
                            ));
                        }
                    }
                    for (ns, d, _) in &self.names.deployments {
                        options.push(format!("{oc} delete deployment {d} -n {ns}"));
                    }
                    for (ns, j) in &self.names.jobs {
                        options.push(format!("{oc} delete job {j} -n {ns}"));
                    }
                    for (ns, i) in &self.names.isvcs {
                        options.push(format!("{oc} delete inferenceservice {i} -n {ns}"));
                    }
                    for (ns, p) in &self.names.pods {
                        options.push(format!("{oc} delete pod {p} -n {ns} --grace-period=5"));
                    }
                    // Rarer: the queues and flavors under admitted work, a node, every
                    // Workload of a namespace.
                    if self.rng.random_bool(0.2) {
                        for cq in &self.cluster_queues {
                            options.push(format!("{oc} delete clusterqueue {cq}"));
                        }
                        for t in &self.teams {
                            options.push(format!("{oc} delete localqueue {} -n {}", t.local_queue, t.namespace));
                            options.push(format!("{oc} delete workloads --all -n {}", t.namespace));
                        }
                        for f in &self.flavors {
                            options.push(format!("{oc} delete resourceflavor {}", f.name));
                        }
                        for n in &self.names.nodes {
                            options.push(format!("{oc} delete node {n}"));
                        }
                    }
                    if options.is_empty() {
                        continue;
                    }
                    return self.pick(&options).clone();
                }
                11 => {
                    let cqs = self.cluster_queues.clone();
                    let cq = self.pick(&cqs).clone();
                    let patch = match self.rng.random_range(0..4) {
                        0 => "{\"spec\":{\"stopPolicy\":\"Hold\"}}".to_string(),
                        1 => "{\"spec\":{\"stopPolicy\":\"None\"}}".to_string(),
                        2 => "{\"spec\":{\"queueingStrategy\":\"StrictFIFO\"}}".to_string(),
                        _ => "{\"spec\":{\"queueingStrategy\":\"BestEffortFIFO\"}}".to_string(),
                    };
                    return format!("{oc} patch clusterqueue {cq} --type merge -p '{patch}'");
                }
                12 if !self.names.deployments.iter().all(|d| d.2.is_empty()) => {
                    let ds: Vec<_> = self
                        .names
                        .deployments
                        .iter()
                        .filter(|d| !d.2.is_empty())
                        .cloned()
                        .collect();
                    let (ns, d, _) = self.pick(&ds).clone();
                    let r = self.rng.random_range(0..=3);
                    return if self.chance(0.5) {
                        format!("{oc} patch deployment {d} -n {ns} -p '{{\"spec\":{{\"replicas\":{r}}}}}'")
                    } else {
                        format!("{oc} patch deployment {d} -n {ns} --type=json -p '[{{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":{r}}}]'")
                    };
                }
                13 => return self.apply_file(oc),
                14 if !self.names.jobs.is_empty() => {
                    let (ns, _) = self.team();
                    return format!("{oc} get jobs -n {ns}");
                }
                14 => {
                    // Objects by name, in both spellings.
                    let mut options = Vec::new();
                    for (ns, d, _) in &self.names.deployments {
                        options.push(format!("{oc} get deployment {d} -n {ns}"));
                        options.push(format!("{oc} get deploy/{d} -n {ns} -o wide"));
                    }
                    for cq in &self.cluster_queues {
                        options.push(format!("{oc} get cq/{cq}"));
                    }
                    for n in &self.names.nodes {
                        options.push(format!("{oc} get node {n} -o wide"));
                    }
                    if options.is_empty() {
                        continue;
                    }
                    return self.pick(&options).clone();
                }
                15 if !self.names.deployments.is_empty() => {
                    let ds = self.names.deployments.clone();
                    let (ns, d, _) = self.pick(&ds).clone();
                    return format!("{oc} annotate deployment {d} -n {ns} example.com/owner=platform --overwrite");
                }
                _ => {}
            }
        }
    }

    /// A file for `oc apply -f`: a new Deployment or Job, written beside the Scenario
    /// (outside `manifests/`, which the scenario includes from the start).
    fn apply_file(&mut self, oc: &str) -> String {
        let pool = self.target_pool();
        let (ns, queue) = self.team();
        let gpus = self.gpu_count(&pool);
        let file = format!("apply/{}.yaml", self.fresh("change"));
        let choice = self.rng.random_range(0..5);
        let doc = if choice == 4 && !self.runtime_namespaces.is_empty() {
            // A new InferenceService, in a namespace with the runtime.
            let namespaces = self.runtime_namespaces.clone();
            let ns = self.pick(&namespaces).clone();
            let queue = self
                .teams
                .iter()
                .find(|t| t.namespace == ns)
                .map(|t| t.local_queue.clone())
                .unwrap_or_default();
            self.inference_service((ns, queue))
        } else if choice == 0 && !self.names.isvc_docs.is_empty() {
            // An InferenceService as written, changed: its replicas, its vLLM arguments
            // (a rollout, perhaps to arguments the engine refuses) or an annotation.
            let docs = self.names.isvc_docs.clone();
            let mut doc = self.pick(&docs).clone();
            let predictor = &mut doc["spec"]["predictor"];
            match self.rng.random_range(0..3) {
                0 => {
                    let min = self.rng.random_range(0..=2);
                    predictor["minReplicas"] = json!(min);
                    // KServe's webhook refuses a minimum above the maximum.
                    if predictor["maxReplicas"].as_i64().is_some_and(|max| max < min) {
                        predictor["maxReplicas"] = json!(min);
                    }
                }
                1 => {
                    let len = *self.pick(&[2048, 4096, 8192, 65536]);
                    predictor["model"]["args"] = json!([format!("--max-model-len={len}")]);
                }
                _ => doc["metadata"]["annotations"]["example.com/revision"] = json!("2"),
            }
            doc
        } else if choice == 1 && !self.names.cq_docs.is_empty() {
            // A ClusterQueue with new GPU quotas.
            let docs = self.names.cq_docs.clone();
            let mut doc = self.pick(&docs).clone();
            if let Some(groups) = doc["spec"]["resourceGroups"].as_array_mut() {
                for r in groups
                    .iter_mut()
                    .filter_map(|g| g["flavors"].as_array_mut())
                    .flatten()
                    .filter_map(|f| f["resources"].as_array_mut())
                    .flatten()
                {
                    if r["name"].as_str().is_some_and(|n| n.ends_with("/gpu")) {
                        r["nominalQuota"] = json!(self.rng.random_range(0..=16));
                        if let Some(map) = r.as_object_mut() {
                            // A lending limit above the new quota would be refused.
                            map.remove("lendingLimit");
                        }
                    }
                }
            }
            doc
        } else if self.chance(0.5) {
            let name = self.fresh("late-app");
            let template = self.pod_template(&name, &queue, &pool, gpus, Map::new());
            self.names.workloads.push(name.clone());
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
                   "spec": {"replicas": self.rng.random_range(1..=2), "selector": {"matchLabels": {"app": name}}, "template": template}})
        } else {
            let name = self.fresh("late-job");
            let mut t = self.pod_template(&name, &queue, &pool, gpus, Map::new());
            t["spec"]["restartPolicy"] = json!("Never");
            self.names.workloads.push(name.clone());
            json!({"apiVersion": "batch/v1", "kind": "Job",
                   "metadata": {"name": name, "namespace": ns, "labels": t["metadata"]["labels"], "annotations": {"gpuaas-sim.io/run-time": "10m"}},
                   "spec": {"parallelism": 1, "template": t}})
        };
        let layout = self.layout();
        self.extra.push((file.clone(), yaml::document(&doc, layout)));
        format!("{oc} apply -f {file}")
    }

    fn expectations(&mut self) -> Vec<Value> {
        let mut out = Vec::new();
        let n = self.rng.random_range(1..=5);
        for _ in 0..n {
            let (_, at) = self.instant();
            let e = match self.rng.random_range(0..6) {
                0 => json!({"at": "end", "deadlock": *self.pick(&["none", "detected"])}),
                1 | 2 if !self.names.workloads.is_empty() => {
                    let names = self.names.workloads.clone();
                    let w = self.pick(&names).clone();
                    let state = *self.pick(&["Pending", "Admitted", "Ready", "Evicted", "Finished", "Absent"]);
                    let when = *self.pick(&["at", "by"]);
                    let mut e = json!({when: at, "workload": w, "state": state});
                    if self.chance(0.2) {
                        let (ns, _) = self.team();
                        e["namespace"] = json!(ns);
                    }
                    e
                }
                3 => {
                    let path = *self.pick(&[
                        "cost.total_usd",
                        "cost.idle_usd",
                        "utilization.gpu_allocated_fraction",
                        "utilization.gpu_hours_capacity",
                    ]);
                    let cmp = *self.pick(&["below", "above", "equals"]);
                    json!({"metric": path, cmp: round(self.rng.random_range(0.0..=100.0), 2)})
                }
                4 if !self.names.isvcs.is_empty() => {
                    let isvcs = self.names.isvcs.clone();
                    let (_, i) = self.pick(&isvcs).clone();
                    json!({"metric": format!("inference_services.{i}.downtime_s"), "below": self.rng.random_range(0..=600)})
                }
                5 if !self.names.traffic_targets.is_empty() => {
                    let targets = self.names.traffic_targets.clone();
                    let t = self.pick(&targets).clone();
                    let field = *self.pick(&["completed", "failed", "ttft_ms.p95", "output_tokens_per_s"]);
                    json!({"metric": format!("models.{t}.{field}"), "above": self.rng.random_range(0..=100)})
                }
                _ => json!({"at": at, "deadlock": "none"}),
            };
            out.push(e);
        }
        out
    }

    fn scenario_document(
        mut self,
        name: &str,
        kueue: Option<Value>,
        traffic: Vec<Value>,
        timeline: Vec<Value>,
        faults: Vec<Value>,
        expect: Vec<Value>,
    ) -> Generated {
        let length = self.duration(self.duration_s);
        self.about.push(format!(
            "{} traffic entries, {} timeline entries, {length}",
            traffic.len(),
            timeline.len()
        ));
        let mut spec = Map::new();
        spec.insert("duration".into(), json!(self.duration(self.duration_s)));
        if self.chance(0.9) {
            spec.insert("seed".into(), json!(self.rng.random_range(0..=u32::MAX as u64)));
        }
        let kustomize = self.chance(0.2);
        spec.insert("include".into(), json!(["manifests/"]));
        let mut pools = Vec::new();
        for p in self.pools.iter().filter(|p| p.name != "spare-l4-node") {
            let mut e = json!({"name": p.name, "instanceType": p.instance, "count": p.count});
            if p.tainted {
                e["taints"] = json!([{"key": p.resource, "value": "true", "effect": GPU_TAINT_EFFECT}]);
            }
            pools.push(e);
        }
        for e in pools.iter_mut() {
            if self.chance(0.2) {
                e["labels"] = json!({"example.com/zone": *self.pick(&["a", "b"])});
            }
        }
        spec.insert("nodePools".into(), json!(pools));
        let few_requests = traffic.len() <= 1 && self.duration_s <= 1800;
        if !traffic.is_empty() {
            spec.insert("traffic".into(), json!(traffic));
            if self.chance(0.3) {
                let mut slo = Map::new();
                for (term, values) in [
                    ("ttft_p95", ["500ms", "2s"]),
                    ("tpot_p99", ["50ms", "150ms"]),
                    ("e2e_p50", ["5s", "30s"]),
                    ("queue_p90", ["100ms", "1s"]),
                ] {
                    if self.chance(0.5) {
                        slo.insert(term.into(), json!(*self.pick(&values)));
                    }
                }
                if !slo.is_empty() {
                    spec.insert("slo".into(), Value::Object(slo));
                }
            }
            if self.chance(0.2) {
                let w = *self.pick(&["30s", "1m", "2m", "5m"]);
                spec.insert("metricsWindow".into(), json!(w));
            }
            // Step fidelity simulates every engine step: kept to light scenarios.
            if few_requests && self.chance(0.2) {
                spec.insert("fidelity".into(), json!("step"));
            } else if self.chance(0.1) {
                spec.insert("fidelity".into(), json!("fast"));
            }
        }
        if let Some(k) = kueue {
            spec.insert("kueue".into(), k);
        }
        if self.chance(0.2) {
            let run = self.rng.random_range(5..=120) * 60;
            spec.insert("jobRunTime".into(), json!(self.duration(run)));
        }
        if !timeline.is_empty() {
            spec.insert("timeline".into(), json!(timeline));
        }
        if !faults.is_empty() {
            self.about.push(format!("{} faults", faults.len()));
            spec.insert("faults".into(), json!(faults));
        }
        spec.insert("expect".into(), json!(expect));
        let doc = json!({
            "apiVersion": "gpuaas-sim/v1alpha1",
            "kind": "Scenario",
            "metadata": {"name": name},
            "spec": spec,
        });
        let layout = if self.chance(0.05) {
            Layout::Json
        } else {
            Layout::Compact
        };
        let mut files = vec![(
            "scenario.yaml".to_string(),
            format!(
                "# Generated scenario: {}.\n{}",
                self.about.join(", "),
                yaml::document(&doc, layout)
            ),
        )];
        let manifest_files: Vec<String> = self.manifests.keys().cloned().collect();
        for (file, docs) in std::mem::take(&mut self.manifests) {
            let mut text = String::new();
            for (i, d) in docs.iter().enumerate() {
                if i > 0 {
                    text.push_str("---\n");
                }
                let layout = match self.layout() {
                    // Several JSON documents in one file are not one YAML stream.
                    Layout::Json if docs.len() > 1 => Layout::Block,
                    l => l,
                };
                text.push_str(&yaml::document(d, layout));
            }
            files.push((format!("manifests/{file}"), text));
        }
        if kustomize {
            let k = json!({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": manifest_files});
            files.push(("manifests/kustomization.yaml".into(), yaml::document(&k, Layout::Block)));
        }
        files.append(&mut self.extra);
        Generated {
            scenario: "scenario.yaml".into(),
            files,
            about: self.about.join(", "),
        }
    }
}

/// The first flavor the ClusterQueue `cq` (among `docs`) lists for `resource`.
fn flavor_for(docs: &[Value], cq: &str, resource: &str) -> Option<String> {
    let doc = docs.iter().find(|d| d["metadata"]["name"] == cq)?;
    let group = doc["spec"]["resourceGroups"].as_array()?.iter().find(|g| {
        g["coveredResources"]
            .as_array()
            .is_some_and(|c| c.iter().any(|r| r == resource))
    })?;
    group["flavors"][0]["name"].as_str().map(str::to_string)
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// Roughly how many tokens of KV cache one replica has after the weights, per vLLM's
/// memory arithmetic without the activation term: enough to decide whether a
/// `--max-model-len` is likely to start, which the generator wants most of the time.
fn kv_budget_tokens(card: &ModelCard, pool: &Pool, gpus: u32, util: f64) -> f64 {
    let Some(a) = &card.architecture else { return 0.0 };
    let tp = gpus.max(1) as f64;
    let gib = 1024.0 * 1024.0 * 1024.0;
    let free = util * pool.gpu_memory_mib * 1024.0 * 1024.0 - card.weights_gb * 1e9 / tp - 3.0 * gib;
    let kv_heads = (a.kv_heads as f64 / tp).max(1.0);
    let per_token = 2.0 * a.layers as f64 * kv_heads * a.head_dim as f64 * 2.0;
    (free / per_token).max(0.0)
}
