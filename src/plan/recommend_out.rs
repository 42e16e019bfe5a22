//! `recommend --out DIR`: each top plan as manifests ready to commit and a Scenario that
//! `gpuaas-sim check` passes with the SLO as expectations.

use super::recommend::{Ask, Plan};
use crate::catalog::Catalog;
use crate::traffic::tokens::LengthDist;
use std::path::{Path, PathBuf};

/// The namespace the generated services run in.
const NAMESPACE: &str = "serving";
const LOCAL_QUEUE: &str = "serving-queue";

use super::yaml_quote as q;

/// A DNS-1123 name for a model's InferenceService.
pub(crate) fn service_name(card: &str) -> String {
    super::dns_label(card, 45, "model")
}

fn lengths(d: &LengthDist) -> String {
    match d {
        LengthDist::Fixed(n) => n.to_string(),
        LengthDist::Uniform { min, max } => format!("{{dist: uniform, min: {min}, max: {max}}}"),
        LengthDist::LogNormal { mean, sd } => format!("{{dist: lognormal, mean: {mean}, sd: {sd}}}"),
        // A trace's lengths, summarized by their mean and spread: the written scenario
        // stands on its own, without the trace file.
        LengthDist::Empirical(v) if !v.is_empty() => {
            let n = v.len() as f64;
            let mean = v.iter().map(|x| *x as f64).sum::<f64>() / n;
            let sd = (v.iter().map(|x| (*x as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
            if sd < 1.0 {
                format!("{}", mean.round().max(1.0))
            } else {
                format!("{{dist: lognormal, mean: {:.0}, sd: {:.0}}}", mean.max(1.0), sd)
            }
        }
        LengthDist::Empirical(_) => "1".into(),
    }
}

/// A duration as the Scenario writes it, in whole milliseconds.
fn dur(s: f64) -> String {
    let ms = (s * 1000.0).round() as u64;
    match ms {
        _ if ms.is_multiple_of(60_000) => format!("{}m", ms / 60_000),
        _ if ms.is_multiple_of(1000) => format!("{}s", ms / 1000),
        _ => format!("{ms}ms"),
    }
}

/// The files of one plan: (relative path, content). `traffic_start_s` is when requests start
/// (after the replicas' cold start), `hold_s` how long they are measured.
pub fn files(
    catalog: &Catalog,
    ask: &Ask,
    plan: &Plan,
    name: &str,
    traffic_start_s: f64,
    hold_s: f64,
) -> Vec<(PathBuf, String)> {
    let inst = catalog.instances.iter().find(|i| i.name == plan.instance_type);
    let (vcpu_per_gpu, mem_per_gpu) = inst.map_or((4.0, 16.0), |i| {
        (
            i.vcpu as f64 / i.gpu_count.max(1) as f64,
            i.memory_gib as f64 / i.gpu_count.max(1) as f64,
        )
    });
    let resource = catalog
        .gpu(&plan.gpu)
        .map(|g| g.resource.clone())
        .unwrap_or_else(|| "nvidia.com/gpu".into());
    // AMD GPUs run vLLM's ROCm build, NVIDIA ones its CUDA build.
    let amd = resource.starts_with("amd.com/");
    let mut out = Vec::new();
    out.push((
        PathBuf::from("manifests/namespace.yaml"),
        format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NAMESPACE}\n"),
    ));
    out.push((
        PathBuf::from("manifests/serving-runtime.yaml"),
        format!(
            "# vLLM ({build} build); each InferenceService carries its own engine arguments.\napiVersion: serving.kserve.io/v1alpha1\nkind: ServingRuntime\nmetadata:\n  name: vllm-runtime\n  namespace: {NAMESPACE}\nspec:\n  supportedModelFormats:\n    - name: vLLM\n      autoSelect: true\n  containers:\n    - name: kserve-container\n      image: {image}\n      args: [\"--port=8080\", \"--model=/mnt/models\", \"--served-model-name={{{{.Name}}}}\"]\n",
            build = if amd { "ROCm" } else { "CUDA" },
            image = if amd { "quay.io/modh/vllm:rhoai-3.0-rocm" } else { "quay.io/modh/vllm:rhoai-3.0-cuda" },
        ),
    ));
    let mut cpu_total = 0.0;
    let mut mem_total = 0.0;
    let mut profiles = String::new();
    let mut traffic = String::new();
    let mut expect = String::new();
    let mut isvcs = String::new();
    for pl in &plan.placements {
        let v = &pl.sized.variant;
        let m = ask.models.iter().find(|m| m.service == pl.service);
        // A service named in a scenario keeps its name; one asked by flags is named after its model.
        let svc = service_name(pl.service.rsplit('/').next().unwrap_or(&pl.service));
        let tp = v.tensor_parallel as f64;
        // Three quarters of the instance's CPU and memory per GPU: room for the system's
        // reservations and the node's daemons.
        let cpu = (vcpu_per_gpu * tp * 0.75).floor().max(1.0);
        let mem = (mem_per_gpu * tp * 0.75).floor().max(4.0);
        cpu_total += cpu * pl.sized.replicas as f64;
        mem_total += mem * pl.sized.replicas as f64;
        let card = catalog.model(&v.card);
        let path = card
            .and_then(|c| c.matches.iter().find(|m| !m.contains(':')))
            .cloned()
            .unwrap_or_else(|| v.card.clone());
        let args: Vec<String> = v.vllm_args().iter().map(|a| q(a)).collect();
        isvcs.push_str(&format!(
            "---\n# {} at {}: {} replica(s) of {} on {} × {} ({} per replica within the SLO).\napiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: {svc}\n  namespace: {NAMESPACE}\n  labels:\n    kueue.x-k8s.io/queue-name: {LOCAL_QUEUE}\n  annotations:\n    serving.kserve.io/deploymentMode: RawDeployment\n    opendatahub.io/hardware-profile-name: {svc}-profile\nspec:\n  predictor:\n    minReplicas: {n}\n    maxReplicas: {n}\n    nodeSelector:\n      node.kubernetes.io/instance-type: {inst}\n    model:\n      modelFormat:\n        name: vLLM\n      runtime: vllm-runtime\n      storageUri: s3://models/{path}/\n      args: [{args}]\n      resources:\n        requests: {{cpu: \"{cpu}\", memory: {mem}Gi, {resource}: \"{tpn}\"}}\n        limits: {{cpu: \"{cpu}\", memory: {mem}Gi, {resource}: \"{tpn}\"}}\n",
            pl.model,
            super::capacity::rate(pl.rate_rps),
            pl.sized.replicas,
            v.card,
            v.tensor_parallel,
            v.gpu,
            super::capacity::rate(pl.sized.replica_capacity_rps),
            n = pl.sized.replicas,
            inst = plan.instance_type,
            args = args.join(", "),
            tpn = v.tensor_parallel,
        ));
        profiles.push_str(&format!(
            "---\n# OpenShift AI hardware profile sized for {card} (tensor parallel {tpn}).\napiVersion: infrastructure.opendatahub.io/v1alpha1\nkind: HardwareProfile\nmetadata:\n  name: {svc}-profile\n  namespace: redhat-ods-applications\n  annotations:\n    opendatahub.io/display-name: {display}\nspec:\n  identifiers:\n    - {{displayName: CPU, identifier: cpu, resourceType: CPU, minCount: \"{cpu}\", maxCount: \"{cpu}\", defaultCount: \"{cpu}\"}}\n    - {{displayName: Memory, identifier: memory, resourceType: Memory, minCount: {mem}Gi, maxCount: {mem}Gi, defaultCount: {mem}Gi}}\n    - {{displayName: GPU, identifier: {resource}, resourceType: Accelerator, minCount: {tpn}, maxCount: {tpn}, defaultCount: {tpn}}}\n  scheduling:\n    type: Queue\n    kueue:\n      localQueueName: {LOCAL_QUEUE}\n",
            card = v.card,
            tpn = v.tensor_parallel,
            display = q(&format!("{} on {} × {}", v.card, v.tensor_parallel, v.gpu)),
        ));
        traffic.push_str(&format!(
            "    - {{target: {svc}, namespace: {NAMESPACE}, start: {start}, rate: {rate}/s, prompt_tokens: {p}, output_tokens: {o}}}\n",
            start = dur(traffic_start_s),
            rate = pl.rate_rps,
            p = m.map_or("1".into(), |m| lengths(&m.prompt)),
            o = m.map_or("1".into(), |m| lengths(&m.output)),
        ));
        for t in &ask.slo {
            expect.push_str(&format!(
                "    - {{name: {n}, metric: models.{svc}.{m}_ms.p{p}, below: {ms}}}\n",
                n = q(&format!("{svc} {} within {} ms", t.key(), t.threshold_s * 1000.0)),
                m = t.metric.key(),
                p = t.percentile,
                ms = t.threshold_s * 1000.0,
            ));
        }
        expect.push_str(&format!(
            "    - {{name: {n}, metric: models.{svc}.failed, equals: 0}}\n",
            n = q(&format!("{svc} fails no request"))
        ));
    }
    out.push((
        PathBuf::from("manifests/inference-services.yaml"),
        isvcs.trim_start_matches("---\n").to_string(),
    ));
    out.push((
        PathBuf::from("manifests/hardware-profiles.yaml"),
        profiles.trim_start_matches("---\n").to_string(),
    ));
    out.push((
        PathBuf::from("manifests/kueue.yaml"),
        format!(
            "apiVersion: kueue.x-k8s.io/v1beta2\nkind: ResourceFlavor\nmetadata:\n  name: {flavor}\nspec:\n  nodeLabels:\n    node.kubernetes.io/instance-type: {inst}\n---\n# Quota for exactly what the plan runs: {gpus} GPUs.\napiVersion: kueue.x-k8s.io/v1beta2\nkind: ClusterQueue\nmetadata:\n  name: serving\nspec:\n  namespaceSelector: {{}}\n  resourceGroups:\n    - coveredResources: [cpu, memory, {resource}]\n      flavors:\n        - name: {flavor}\n          resources:\n            - {{name: cpu, nominalQuota: \"{cpu}\"}}\n            - {{name: memory, nominalQuota: {mem}Gi}}\n            - {{name: {resource}, nominalQuota: \"{gpus}\"}}\n---\napiVersion: kueue.x-k8s.io/v1beta2\nkind: LocalQueue\nmetadata:\n  name: {LOCAL_QUEUE}\n  namespace: {NAMESPACE}\nspec:\n  clusterQueue: serving\n",
            inst = plan.instance_type,
            flavor = service_name(&plan.instance_type),
            gpus = plan.gpus_used,
            cpu = cpu_total,
            mem = mem_total,
        ),
    ));
    let slo: Vec<String> = ask
        .slo
        .iter()
        .map(|t| format!("{}: {}", t.key(), dur(t.threshold_s)))
        .collect();
    out.push((
        PathBuf::from("scenario.yaml"),
        format!(
            "# {name}: {nodes} × {inst}, {money}/month on demand ({hours} h). {WRITTEN_BY}\n# traffic starts once every replica is Ready and is held for {hold}.\napiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata:\n  name: {name}\nspec:\n  duration: {duration}\n  seed: {seed}\n  include: [manifests/]\n  nodePools:\n    - {{name: gpu, instanceType: {inst}, count: {nodes}}}\n  traffic:\n{traffic}  slo: {{{slo}}}\n  expect:\n{expect}",
            nodes = plan.nodes,
            inst = plan.instance_type,
            money = super::recommend::money(plan.monthly_usd),
            hours = super::sweep::HOURS_PER_MONTH,
            hold = dur(hold_s),
            duration = dur(traffic_start_s + hold_s),
            seed = ask.seed,
            slo = slo.join(", "),
        ),
    ));
    out
}

/// The first line of every scenario.yaml this module writes ends so.
const WRITTEN_BY: &str = "Written by `gpuaas-sim recommend`;";

/// Removes the `plan-*` folders an earlier `recommend --out` wrote into `dir` (recognized by
/// their scenario.yaml's first line); nothing else is touched.
pub fn remove_previous(dir: &Path) -> std::io::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for e in entries.flatten() {
        let path = e.path();
        let named = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("plan-"));
        let ours = std::fs::read_to_string(path.join("scenario.yaml"))
            .is_ok_and(|t| t.lines().next().is_some_and(|l| l.ends_with(WRITTEN_BY)));
        if named && ours {
            std::fs::remove_dir_all(&path)?;
        }
    }
    Ok(())
}

/// Writes the files under `dir`.
pub fn write(dir: &Path, files: &[(PathBuf, String)]) -> std::io::Result<()> {
    for (rel, text) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        crate::report::write_atomic(&path, text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names_are_dns_labels() {
        for (card, want) in [
            ("llama-3.1-8b-instruct-bf16", "llama-3-1-8b-instruct-bf16"),
            ("Mistral_Small", "mistral-small"),
        ] {
            assert_eq!(service_name(card), want);
        }
    }
}
