//! Capacity planning as a planner meets it: `sweep` over a scenario's settings, `capacity`
//! of a configuration, `recommend` from a model, traffic and an SLO.

mod common;
use common::*;
use std::path::Path;

/// Llama 3.1 8B on one L4 of a g6.12xlarge, 2 requests/s of chat traffic for 20 minutes.
fn chat_scenario() -> tempfile::TempDir {
    let manifests = format!(
        "{CHAT_RUNTIME}{}",
        chat_isvc(
            "RawDeployment",
            "assistant",
            "",
            "    minReplicas: 1\n    maxReplicas: 1\n"
        )
    );
    let scenario = "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {name: chat}\nspec:\n  duration: 20m\n  seed: 3\n  include: [m.yaml]\n  nodePools:\n    - {name: l4, instanceType: g6.12xlarge, count: 1, taints: [{key: nvidia.com/gpu, value: \"true\", effect: NoSchedule}]}\n  traffic:\n    - {target: assistant, start: 8m, rate: 2/s, prompt_tokens: 800, output_tokens: {dist: uniform, min: 50, max: 250}}\n  slo: {ttft_p95: 2s}\n";
    folder(&[("m.yaml", &manifests), ("s.yaml", scenario)])
}

fn sweep(dir: &Path, extra: &[&str], out: &Path) -> std::process::Output {
    bin()
        .args(["sweep", "-q"])
        .arg(dir.join("s.yaml"))
        .args([
            "--set",
            "traffic[assistant].rate=1/s,3/s",
            "--set",
            "InferenceService/assistant:spec.predictor.model.args[--max-num-seqs]=16,128",
            "--seeds",
            "2",
        ])
        .args(extra)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn a_sweep_is_the_same_whatever_the_threads_and_merged_from_shards() {
    let dir = chat_scenario();
    let out = tempfile::tempdir().unwrap();
    let one = out.path().join("one");
    let two = out.path().join("two");
    for (d, jobs) in [(&one, "1"), (&two, "2")] {
        let o = sweep(dir.path(), &["--jobs", jobs], d);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let read = |p: &Path, f: &str| std::fs::read_to_string(p.join(f)).unwrap();
    for f in ["sweep.json", "sweep.csv", "sweep.html"] {
        assert_eq!(read(&one, f), read(&two, f), "{f} depends on --jobs");
    }
    // Given these settings, the grid is 2 × 2 points of 2 seeds each, and more load means
    // a slower first token at the same max-num-seqs.
    let r: serde_json::Value = serde_json::from_str(&read(&one, "sweep.json")).unwrap();
    assert_eq!(r["schema"], "gpuaas-sim/sweep/v1");
    let points = r["points"].as_array().unwrap();
    assert_eq!(points.len(), 4);
    assert_eq!(r["seeds"], serde_json::json!([3, 4]));
    let ttft = |i: usize| {
        points[i]["metrics"]["models.assistant.ttft_p95_ms"]["mean"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(points[0]["settings"]["traffic[assistant].rate"], "1/s");
    assert_eq!(points[2]["settings"]["traffic[assistant].rate"], "3/s");
    assert!(ttft(2) > ttft(0), "3/s {} vs 1/s {}", ttft(2), ttft(0));
    let ci = &points[0]["metrics"]["models.assistant.ttft_p95_ms"]["ci95"];
    assert!(ci[0].as_f64().unwrap() <= ttft(0) && ttft(0) <= ci[1].as_f64().unwrap());

    // Two processes, one shard each, merged: the very bytes of the single machine.
    let shards: Vec<_> = (0..2).map(|i| out.path().join(format!("shard-{i}"))).collect();
    for (i, d) in shards.iter().enumerate() {
        let o = sweep(dir.path(), &["--shard", &format!("{i}/2")], d);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let merged = out.path().join("merged");
    let o = bin()
        .args(["sweep", "merge", "-q"])
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in ["sweep.json", "sweep.csv", "sweep.html"] {
        assert_eq!(read(&one, f), read(&merged, f), "merged {f} differs");
    }
    // A shard missing is refused.
    let o = bin()
        .args(["sweep", "merge", "-q"])
        .arg(&shards[0])
        .arg("--out")
        .arg(out.path().join("half"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("shards missing: 1/2"));
}

#[test]
fn a_sweep_measures_the_capacity_of_each_configuration() {
    let dir = chat_scenario();
    let out = tempfile::tempdir().unwrap();
    let o = bin()
        .args(["sweep", "-q"])
        .arg(dir.path().join("s.yaml"))
        .args([
            "--set",
            "InferenceService/assistant:spec.predictor.model.args[--max-num-seqs]=2,64",
            "--capacity",
            "assistant",
            "--out",
        ])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("sweep.json")).unwrap()).unwrap();
    let sat = |i: usize| {
        r["points"][i]["metrics"]["capacity.saturation_rps"]["mean"]
            .as_f64()
            .unwrap()
    };
    // Two sequences at a time saturate one L4 far sooner than sixty-four.
    assert!(sat(0) < sat(1), "{} vs {}", sat(0), sat(1));
    let per_gpu = r["points"][1]["metrics"]["capacity.slo_rps_per_gpu"]["mean"]
        .as_f64()
        .unwrap();
    assert!(per_gpu > 0.0 && per_gpu <= sat(1));
}

#[test]
fn a_bad_setting_is_located_and_nothing_is_written() {
    let dir = chat_scenario();
    let out = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str)] = &[
        (
            "traffic[assistent].rate=1/s",
            "--set:1:8: in `traffic[assistent].rate=1/s`: no item `assistent`",
        ),
        (
            "InferenceService/nope:spec.x=1",
            "--set:1:1: in `InferenceService/nope:spec.x=1`: no InferenceService `nope`",
        ),
        // A value the scenario refuses is reported where the field is, with the setting.
        (
            "nodePools[l4].instanceType=g9.huge",
            "unknown instance type `g9.huge` (with nodePools[l4].instanceType=g9.huge)",
        ),
    ];
    for (setting, want) in cases {
        let target = out.path().join("x");
        let o = bin()
            .args(["sweep", "-q"])
            .arg(dir.path().join("s.yaml"))
            .args(["--set", setting])
            .arg("--out")
            .arg(&target)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{setting}: {err}");
        assert!(err.contains(want), "{setting}: {err}");
        assert!(!target.exists(), "{setting}: something was written");
    }
}

#[test]
fn the_job_runs_the_shards_on_a_cluster() {
    let dir = chat_scenario();
    let out = tempfile::tempdir().unwrap();
    let o = sweep(
        dir.path(),
        &["--emit-job", "--image", "quay.io/example/gpuaas-sim:1", "--shards", "4"],
        out.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(out.path().join("sweep-job.yaml")).unwrap();
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["ConfigMap", "PersistentVolumeClaim", "Job"]);
    let job = &docs[2]["spec"];
    assert_eq!(job["completionMode"].as_str(), Some("Indexed"));
    assert_eq!(job["completions"].as_i64(), Some(4));
    let args: Vec<&str> = job["template"]["spec"]["containers"][0]["args"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        args.windows(2).any(|w| w == ["--shard", "$(JOB_COMPLETION_INDEX)/4"]),
        "{args:?}"
    );
    assert!(args.contains(&"traffic[assistant].rate=1/s,3/s"), "{args:?}");
    // The inputs travel in the ConfigMap, laid out as on disk.
    let items = docs[2]["spec"]["template"]["spec"]["volumes"][0]["configMap"]["items"]
        .as_vec()
        .unwrap();
    let paths: Vec<&str> = items.iter().map(|i| i["path"].as_str().unwrap()).collect();
    assert!(paths.contains(&"s.yaml") && paths.contains(&"m.yaml"), "{paths:?}");
    assert!(args[1] == "/inputs/s.yaml", "{args:?}");
}

#[test]
fn capacity_finds_the_rate_within_the_slo_and_the_saturation_point() {
    let dir = chat_scenario();
    let o = bin()
        .args(["capacity", "-q", "--json", "--probe", "10m"])
        .arg(dir.path().join("s.yaml"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let c = &r["capacity"];
    let slo = c["slo_rps"].as_f64().unwrap();
    let sat = c["saturation_rps"].as_f64().unwrap();
    // Within the SLO means below saturation, and the probe at that rate met the target.
    assert!(slo > 0.0 && slo <= sat * 1.02, "slo {slo} saturation {sat}");
    assert!(c["at_slo"]["ttft_p95_ms"].as_f64().unwrap() <= 2000.0);
    // A tighter SLO holds less.
    let o = bin()
        .args(["capacity", "-q", "--json", "--probe", "10m", "--slo", "ttft_p95=300ms"])
        .arg(dir.path().join("s.yaml"))
        .output()
        .unwrap();
    let tight: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(tight["capacity"]["slo_rps"].as_f64().unwrap_or(0.0) < slo);
    // A service that does not exist is named with those that do.
    let o = bin()
        .args(["capacity", "-q", "--service", "nope"])
        .arg(dir.path().join("s.yaml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("chat/assistant"));
}

#[test]
fn recommend_answers_with_a_plan_whose_scenario_passes_check() {
    let out = tempfile::tempdir().unwrap();
    let o = bin()
        .args([
            "recommend",
            "-q",
            "--model",
            "llama-3.1-8b-instruct=5/s",
            "--gpus",
            "H100-SXM,L4",
            "--slo",
            "ttft_p95=2s",
            "--json",
            "--out",
        ])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rec = &r["recommendation"];
    assert_eq!(rec["schema"], "gpuaas-sim/recommend/v1");
    let plans = rec["plans"].as_array().unwrap();
    assert!(!plans.is_empty());
    // Ranked by monthly cost; each plan's figures agree with its nodes and the catalog.
    let costs: Vec<f64> = plans.iter().map(|p| p["monthly_usd"].as_f64().unwrap()).collect();
    assert!(costs.windows(2).all(|w| w[0] <= w[1]), "{costs:?}");
    let placement = &plans[0]["placements"][0];
    assert!(placement["sized"]["at_rate"]["ttft_p95_ms"].as_f64().unwrap() <= 2000.0);
    // An L4 holds the 8B model only with its KV cache, or not at all: the rejections say why.
    for x in rec["rejected"].as_array().unwrap() {
        assert!(!x["why"].as_str().unwrap().is_empty(), "{x}");
    }
    let plan_dir = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("plan-1-"))
        .expect("the top plan's folder");
    let o = bin()
        .args(["check", "-q"])
        .arg(plan_dir.join("scenario.yaml"))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn recommend_reads_the_models_and_traffic_of_a_scenario() {
    let dir = chat_scenario();
    let o = bin()
        .args([
            "recommend",
            "-q",
            "--json",
            "--gpus",
            "L4",
            "--probe",
            "2m",
            "--scenario",
        ])
        .arg(dir.path().join("s.yaml"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // The scenario's InferenceService runs the Llama 3.1 8B ModelCar at 2 requests/s, with
    // its SLO of a 2 s TTFT p95.
    let rec = &r["recommendation"];
    assert_eq!(
        rec["models"],
        serde_json::json!(["chat/assistant (llama-3.1-8b-instruct-bf16)"])
    );
    assert_eq!(rec["slo"], serde_json::json!(["ttft_p95 ≤ 2000 ms"]));
    assert_eq!(rec["plans"][0]["placements"][0]["rate_rps"].as_f64(), Some(2.0));
}
