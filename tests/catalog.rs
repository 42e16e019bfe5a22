//! A company's own catalog: negotiated prices, a new instance type, the cluster's own
//! storage and images, fine-tuned model cards — given in a folder (`--catalog DIR`) or in
//! the Scenario (`spec.catalog`) — and which model card each InferenceService ran as.

mod common;
use common::*;
use gpuaas_sim::report::Report;
use std::path::Path;

/// A Scenario of `duration` with these node pools and the rest of its spec, over the chat
/// runtime and `manifests`.
fn scenario(pools: &str, spec_tail: &str) -> String {
    format!(
        "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: own-catalog}}\nspec:\n  include: [m.yaml]\n  nodePools:\n{pools}{spec_tail}"
    )
}

const H100_POOL: &str = "    - {name: h100, instanceType: p5.48xlarge, count: 1}\n";

/// Runs the real binary in `dir`; (exit code, stdout, stderr).
fn gpuaas(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = bin().args(args).current_dir(dir).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn report(path: &Path) -> Report {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Report::from_json_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn a_negotiated_h100_price_in_a_catalog_folder_is_what_the_report_costs() {
    let dir = folder(&[
        ("m.yaml", CHAT_RUNTIME),
        ("s.yaml", &scenario(H100_POOL, "  duration: 1h\n")),
        (
            "catalog/instances.yaml",
            "# our negotiated rate\ninstances:\n  - name: p5.48xlarge\n    price_per_hour_usd: 40.0\n",
        ),
        (
            "lower.yaml",
            &scenario(
                H100_POOL,
                "  duration: 1h\n  catalog:\n    instances: [{name: p5.48xlarge, price_per_hour_usd: 30}]\n",
            ),
        ),
    ]);
    let (code, _, err) = gpuaas(dir.path(), &["run", "s.yaml", "--out", "list", "-q"]);
    assert_eq!(code, Some(0), "{err}");
    let list = report(&dir.path().join("list/report.json"));
    assert_eq!(list.cost.total_usd, 55.04);
    assert_eq!(list.cost.price_date, "2026-09");

    let (code, _, err) = gpuaas(
        dir.path(),
        &["run", "s.yaml", "--catalog", "catalog", "--out", "ours", "-q"],
    );
    assert_eq!(code, Some(0), "{err}");
    let ours = report(&dir.path().join("ours/report.json"));
    assert_eq!(ours.cost.total_usd, 40.0);
    assert_eq!(ours.nodes[0].price_per_hour_usd, Some(40.0));
    assert_eq!(
        ours.cost.price_date,
        "2026-09 (prices of p5.48xlarge from catalog/instances.yaml)"
    );
    // The same inputs give the same report.
    let (code, _, _) = gpuaas(
        dir.path(),
        &["run", "s.yaml", "--catalog", "catalog", "--out", "again", "-q"],
    );
    assert_eq!(code, Some(0));
    assert_eq!(
        std::fs::read(dir.path().join("ours/report.json")).unwrap(),
        std::fs::read(dir.path().join("again/report.json")).unwrap()
    );

    // The Scenario's own section is laid over the folder.
    let (code, _, err) = gpuaas(
        dir.path(),
        &["run", "lower.yaml", "--catalog", "catalog", "--out", "lower", "-q"],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(report(&dir.path().join("lower/report.json")).cost.total_usd, 30.0);
}

/// The chat service of Llama 3.1 8B on `pool`'s nodes, one request a second from 1:00.
fn chat_on(pool: &str, catalog: &str) -> String {
    scenario(
        &format!("    - {{name: {pool}, instanceType: {pool}.2xh100, count: 1}}\n"),
        &format!(
            "  duration: 15m\n  traffic:\n    - {{target: chat, start: 1m, rate: 1/s, prompt_tokens: 500, output_tokens: 100}}\n  catalog:\n{catalog}"
        ),
    )
}

#[test]
fn a_new_instance_type_runs_a_model_and_pre_pulled_images_start_it_without_a_pull() {
    let new_type = "    instances:\n      - {name: acme.2xh100, provider: acme, gpu: H100-SXM, gpu_count: 2, vcpu: 48, memory_gib: 512, price_per_hour_usd: 9}\n";
    let prepulled = format!(
        "{new_type}    storage:\n      prepulled_images: [\"oci://registry.redhat.io/rhelai1/modelcar-llama-3-1-8b-instruct:1.5\", \"quay.io/modh/vllm:*\"]\n"
    );
    let isvc = chat_isvc("RawDeployment", "chat", "", "");
    let manifests = format!("{CHAT_RUNTIME}{isvc}");
    let run = |catalog: &str| {
        let dir = folder(&[("m.yaml", &manifests), ("s.yaml", &chat_on("acme", catalog))]);
        simulate(&dir.path().join("s.yaml")).report
    };
    let pulled = run(new_type);
    let node = &pulled.nodes[0];
    assert_eq!(
        (node.instance_type.as_deref(), node.price_per_hour_usd),
        (Some("acme.2xh100"), Some(9.0))
    );
    assert_eq!(pulled.cost.by_instance_type["acme.2xh100"].usd, 9.0 * 0.25);
    let served = &pulled.models["chat"];
    assert!(served.completed > 500, "{} completed", served.completed);
    let steps = |r: &Report| -> Vec<(String, f64)> {
        r.cold_starts[0]
            .steps
            .iter()
            .map(|s| (s.step.clone(), s.seconds))
            .collect()
    };
    // 16.06 GB at the bundled 100 MB/s.
    assert_eq!(steps(&pulled)[0], ("pull modelcar image 16.1 GB".to_string(), 160.6));

    let ready = run(&prepulled);
    assert_eq!(steps(&ready)[0], ("modelcar image pre-pulled on node".to_string(), 0.0));
    assert_eq!(
        ready.cold_starts[0].total_s,
        pulled.cold_starts[0].total_s - 160.6,
        "{:?}",
        steps(&ready)
    );
    let first_ready = |r: &Report| r.inference_services[0].first_ready_s.unwrap_or(f64::NAN);
    assert!(first_ready(&ready) < first_ready(&pulled));
}

/// An InferenceService `chat` of the model at `uri`, on one L4.
fn chat_at(uri: &str) -> String {
    chat_isvc("RawDeployment", "chat", "", "").replace(
        "storageUri: oci://registry.redhat.io/rhelai1/modelcar-llama-3-1-8b-instruct:1.5",
        &format!("storageUri: {uri}"),
    )
}

const L4_POOL: &str = "    - {name: l4, instanceType: g6.12xlarge, count: 1, taints: [{key: nvidia.com/gpu, value: \"true\", effect: NoSchedule}]}\n";

#[test]
fn an_fp8_checkpoint_the_catalog_has_only_as_bf16_runs_with_a_warning_until_it_has_a_card() {
    let uri = "s3://models/llama-3.1-8b-instruct-fp8-dynamic/";
    let manifests = format!("{CHAT_RUNTIME}{}", chat_at(uri));
    let fp8_card = "  catalog:\n    models:\n      - name: llama-3.1-8b-instruct-fp8-dynamic\n        params_b: 8.03\n        precision: fp8\n        weights_gb: 9.1\n        default_storage: s3\n        match: [llama-3.1-8b-instruct-fp8]\n        architecture: {layers: 32, hidden_size: 4096, attention_heads: 32, kv_heads: 8, head_dim: 128, intermediate_size: 14336, vocab_size: 128256, max_position_embeddings: 131072}\n";
    let dir = folder(&[
        ("m.yaml", &manifests),
        ("s.yaml", &scenario(L4_POOL, "  duration: 20m\n")),
        (
            "carded.yaml",
            &scenario(L4_POOL, &format!("  duration: 20m\n{fp8_card}")),
        ),
    ]);
    let (code, out, err) = gpuaas(dir.path(), &["run", "s.yaml", "--out", "bf16"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("WARNING: chat/chat runs as model card llama-3.1-8b-instruct-bf16 but matched it only in part: the name says fp8 but card llama-3.1-8b-instruct-bf16 is bf16, so the run uses that card's weights (16.06 GB), memory and speed; add a card for this checkpoint"),
        "{out}"
    );
    let isvc = &report(&dir.path().join("bf16/report.json")).inference_services[0];
    assert_eq!(isvc.model_card.as_deref(), Some("llama-3.1-8b-instruct-bf16"));
    assert_eq!(
        isvc.model_card_match.as_deref(),
        Some("storageUri `s3://models/llama-3.1-8b-instruct-fp8-dynamic/` matched `llama-3.1-8b-instruct`")
    );
    assert!(isvc
        .model_card_warning
        .as_deref()
        .is_some_and(|w| w.contains("says fp8")));
    let md = std::fs::read_to_string(dir.path().join("bf16/report.md")).unwrap();
    assert!(
        md.contains("| chat/chat | llama-3.1-8b-instruct-bf16 | storageUri `s3://models/llama-3.1-8b-instruct-fp8-dynamic/` matched `llama-3.1-8b-instruct` |"),
        "{md}"
    );
    assert!(md.contains("- **WARNING** chat/chat runs as model card"), "{md}");

    // With a card of its own, the checkpoint runs as it, and nothing is said.
    let (code, out, err) = gpuaas(dir.path(), &["run", "carded.yaml", "--out", "fp8"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!out.contains("WARNING"), "{out}");
    let isvc = &report(&dir.path().join("fp8/report.json")).inference_services[0];
    assert_eq!(isvc.model_card.as_deref(), Some("llama-3.1-8b-instruct-fp8-dynamic"));
    assert_eq!(isvc.model_card_warning, None);
}

#[test]
fn a_bad_catalog_is_refused_where_it_is_written_with_exit_2_and_nothing_run() {
    let new_type = "instances:\n  - {name: acme.8xh100, provider: acme, gpu: H100, gpu_count: 8, vcpu: 96, memory_gib: 1024, price_per_hour_usd: 20}\n";
    let dir = folder(&[
        ("m.yaml", CHAT_RUNTIME),
        ("s.yaml", &scenario(H100_POOL, "  duration: 1h\n")),
        ("typo/instances.yaml", "instances:\n  - name: p5.48xlarge\n    price_per_hour: 40\n"),
        ("gpu/instances.yaml", new_type),
        ("misnamed/instance.yaml", "instances: []\n"),
        (
            "inline.yaml",
            &scenario(
                H100_POOL,
                "  duration: 1h\n  catalog:\n    storage: {s3_download_mb_s: 0}\n    models: [{name: my-ft, params_b: 8}]\n",
            ),
        ),
    ]);
    // (arguments, the lines stderr must hold)
    let cases: [(&[&str], &str); 5] = [
        (
            &["run", "s.yaml", "--catalog", "typo", "--out", "out"],
            "typo/instances.yaml:3:5: unknown instance type field `price_per_hour` (did you mean `price_per_hour_usd`?)",
        ),
        (
            &["check", "s.yaml", "--catalog", "gpu"],
            "gpu/instances.yaml:2:46: unknown GPU `H100`",
        ),
        (
            &["run", "s.yaml", "--catalog", "misnamed", "--out", "out"],
            "misnamed/instance.yaml:1:1: `instance.yaml` is not a catalog file (did you mean `instances.yaml`",
        ),
        (
            &["run", "s.yaml", "--catalog", "nowhere", "--out", "out"],
            "--catalog: cannot read folder nowhere",
        ),
        (
            &["run", "inline.yaml", "--out", "out"],
            "inline.yaml:10:33: `s3_download_mb_s` must be at least 0.001 and at most 1000000 (found 0)\ninline.yaml:11:14: new model card `my-ft` lacks `precision`, `weights_gb`, `default_storage`, `architecture`",
        ),
    ];
    for (args, want) in cases {
        let (code, out, err) = gpuaas(dir.path(), args);
        assert_eq!(code, Some(2), "{args:?}: {out}{err}");
        for w in want.lines() {
            assert!(err.contains(w), "{args:?}: want {w}\n got {err}");
        }
        assert!(err.contains("nothing was run"), "{args:?}: {err}");
        assert!(!dir.path().join("out").exists(), "{args:?}");
    }
}

/// The README's example catalog (`docs/catalog-example/`) under the bundled demo: its
/// prices, its storage speed and its pre-pulled ModelCar are what the run uses.
#[test]
fn the_example_catalog_runs_the_handover_demo() {
    let out = tempfile::tempdir().unwrap();
    let (code, _, err) = gpuaas(
        &repo(),
        &[
            "run",
            "scenarios/gpuaas-demo/handover.yaml",
            "--catalog",
            "docs/catalog-example",
            "--out",
            &out.path().display().to_string(),
            "-q",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    let ours = report(&out.path().join("report.json"));
    let bundled = report(&repo().join("reports/handover/report.json"));
    assert_eq!(ours.cost.price_date, "2026-10 (negotiated)");
    assert!(ours.cost.total_usd < bundled.cost.total_usd);
    let first_step = |r: &Report, pod: &str| {
        let c = r.cold_starts.iter().find(|c| c.pod.starts_with(pod)).expect(pod);
        (c.steps[0].step.clone(), c.steps[0].seconds)
    };
    assert_eq!(
        first_step(&ours, "mistral-3-int4"),
        ("modelcar image pre-pulled on node".to_string(), 0.0)
    );
    // 48 GB at 600 MB/s instead of the bundled 130.
    assert_eq!(
        first_step(&ours, "mistral-3-bf16"),
        ("download 48.0 GB (s3)".to_string(), 80.0)
    );
    assert_eq!(first_step(&bundled, "mistral-3-bf16").1, 369.231);
}

/// `recommend` plans on the catalog's own instance types and model cards, and a sweep's
/// Job carries the catalog folder with the inputs.
#[test]
fn recommend_and_a_sweep_job_use_the_catalog_folder() {
    let (code, out, err) = gpuaas(
        &repo(),
        &[
            "recommend",
            "--model",
            "acme-support-llama-3.1-8b=2/s",
            "--slo",
            "ttft_p95=2s",
            "--gpus",
            "H100-SXM",
            "--probe",
            "2m",
            "--top",
            "1",
            "--catalog",
            "docs/catalog-example",
            "-q",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("prices of 2026-10 (negotiated)"), "{out}");
    assert!(out.contains("1. 1 × acme.2xh100 (2 GPUs, 1 used)"), "{out}");

    let dir = tempfile::tempdir().unwrap();
    let job_dir = dir.path().display().to_string();
    let (code, _, err) = gpuaas(
        &repo(),
        &[
            "sweep",
            "scenarios/gpuaas-demo/handover.yaml",
            "--set",
            "spec.seed=1,2",
            "--out",
            &job_dir,
            "--emit-job",
            "--image",
            "gpuaas-sim:test",
            "--catalog",
            "docs/catalog-example",
            "-q",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    let job = std::fs::read_to_string(dir.path().join("sweep-job.yaml")).unwrap();
    assert!(job.contains(r#""--catalog", "/inputs/docs/catalog-example""#), "{job}");
    for f in ["instances.yaml", "models.yaml", "storage.yaml"] {
        assert!(
            job.contains(&format!("path: \"docs/catalog-example/{f}\"")),
            "{f}: {job}"
        );
    }
}
