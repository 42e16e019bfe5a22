//! The bundled catalog, and a user's catalog laid over it.

use super::*;

#[test]
fn bundled_catalog_loads_and_covers_the_seed() {
    let c = Catalog::bundled();
    for i in [
        "g6.4xlarge",
        "g6.12xlarge",
        "g6.48xlarge",
        "p4d.24xlarge",
        "p5.48xlarge",
    ] {
        assert!(c.instance(i).is_some(), "{i}");
    }
    assert_eq!(c.instance("g6.12xlarge").unwrap().gpu_count, 4);
    for g in ["L4", "A100-80GB", "H100-SXM", "H200", "MI300X"] {
        assert!(c.gpu(g).is_some(), "{g}");
    }
    assert!(c.instances.iter().any(|i| i.gpu == "MI300X"));
}

/// The bundled catalog with `text` (a Scenario's `spec.catalog`, as written in s.yaml)
/// laid over it.
fn with_section(text: &str) -> Result<Catalog, String> {
    let node = root("s.yaml", text).map_err(|e| e.to_string())?;
    Catalog::bundled().with_section(&node).map_err(|e| e.to_string())
}

/// A catalog's own entries of a new instance type and a fine-tuned model card.
const NEW_INSTANCE: &str = "{name: acme.8xh100, provider: acme, gpu: H100-SXM, gpu_count: 8, vcpu: 96, memory_gib: 1024, price_per_hour_usd: 20}";
const FINE_TUNE: &str = "{name: acme-llama-8b-support, params_b: 8.03, precision: bf16, weights_gb: 16.06, default_storage: s3, match: [acme-llama-8b-support], architecture: {layers: 32, hidden_size: 4096, attention_heads: 32, kv_heads: 8, head_dim: 128, intermediate_size: 14336, vocab_size: 128256, max_position_embeddings: 131072}}";

#[test]
fn an_overlay_replaces_the_fields_it_gives_and_adds_new_entries() {
    type Check = fn(&Catalog) -> bool;
    // (section, what must hold of the result)
    let cases: Vec<(String, &str, Check)> = vec![
        (
            "instances: [{name: p5.48xlarge, price_per_hour_usd: 40}]".into(),
            "a negotiated price replaces the list price and nothing else",
            |c| {
                let p5 = c.instance("p5.48xlarge").unwrap();
                p5.price_per_hour_usd == 40.0
                    && p5.gpu_count == 8
                    && p5.gpu == "H100-SXM"
                    && c.price_date == "2026-09 (prices of p5.48xlarge from s.yaml)"
            },
        ),
        (
            "price_date: negotiated 2026-10\ninstances: [{name: p5.48xlarge, price_per_hour_usd: 40}]".into(),
            "a price date given is kept as given",
            |c| c.price_date == "negotiated 2026-10",
        ),
        (
            format!("instances: [{NEW_INSTANCE}]"),
            "a new instance type is added after the bundled ones",
            |c| {
                c.instances.last().is_some_and(|i| i.name == "acme.8xh100")
                    && c.node_capacity("acme.8xh100").1.gpus() == 8
                    && c.instance("p5.48xlarge").is_some()
            },
        ),
        (
            "gpus: [{name: L4, interconnect: {gb_s: 128}}]".into(),
            "a mapping merges field by field",
            |c| c.gpu("L4").unwrap().interconnect == ("pcie".to_string(), 128.0),
        ),
        (
            format!("models: [{FINE_TUNE}]"),
            "a new model card is matched by its own pattern",
            |c| c.match_model("s3://models/acme-llama-8b-support/").is_some_and(|m| m.name == "acme-llama-8b-support"),
        ),
        (
            "models: [{name: llama-3.1-8b-instruct-bf16, match: [my-llama]}]".into(),
            "a list replaces the card's list",
            |c| {
                c.match_model("s3://m/my-llama/").is_some_and(|m| m.name == "llama-3.1-8b-instruct-bf16")
                    && c.match_model("s3://m/llama-3.1-8b-instruct/").is_none()
            },
        ),
        (
            "storage: {s3_download_mb_s: 1000, prepulled_images: [\"quay.io/modh/*\", \"oci://registry.example/modelcar-x:1\"]}".into(),
            "the cluster's storage speed and its pre-pulled images",
            |c| {
                c.load.s3_download_mb_s == 1000.0
                    && c.load.oci_pull_mb_s == 100.0
                    && c.load.prepulled("quay.io/modh/vllm:2.1")
                    && c.load.prepulled("registry.example/modelcar-x:1")
                    && !c.load.prepulled("registry.example/modelcar-x:2")
            },
        ),
        (
            "vllm: {compute_efficiency: 0.5}".into(),
            "a vLLM constant",
            |c| c.vllm.compute_efficiency == 0.5 && c.vllm.bandwidth_efficiency == Catalog::bundled().vllm.bandwidth_efficiency,
        ),
        (
            "pricing_factors: {aws: {reserved_1y: 0.6, spot: 0.4}}\ninstances: [{name: p5.48xlarge, pricing_factors: {spot: 0.3}}]".into(),
            "an instance type's factors over its provider's",
            |c| {
                let p5 = c.pricing_factors("p5.48xlarge").unwrap();
                let g6 = c.pricing_factors("g6.xlarge").unwrap();
                let azure = c.pricing_factors("Standard_ND96isr_H100_v5").unwrap();
                (p5.reserved_1y, p5.spot, p5.reserved_3y) == (Some(0.6), Some(0.3), None)
                    && (g6.reserved_1y, g6.spot) == (Some(0.6), Some(0.4))
                    && azure == PricingFactors::default()
                    && c.pricing_factors("no-such-type").is_none()
            },
        ),
    ];
    for (text, what, holds) in cases {
        let c = with_section(&text).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(holds(&c), "{what}: {text}");
    }
}

#[test]
fn the_bundled_catalog_gives_no_pricing_factors() {
    let c = Catalog::bundled();
    assert!(c.provider_pricing_factors.is_empty());
    assert!(c
        .instances
        .iter()
        .all(|i| i.pricing_factors == PricingFactors::default()));
}

#[test]
fn every_problem_of_an_overlay_is_located_and_says_how_to_fix_it() {
    // (section as written in s.yaml, the error's location, text of the message)
    let cases: Vec<(String, &str, &str)> = vec![
        (
            "instances: [{name: p5.48xlarge, price_per_hour: 40}]".into(),
            "s.yaml:1:33",
            "unknown instance type field `price_per_hour` (did you mean `price_per_hour_usd`?)",
        ),
        (
            "instances: [{name: p5.48xlarg, price_per_hour_usd: 40}]".into(),
            "s.yaml:1:13",
            "new instance type `p5.48xlarg` lacks `provider`, `gpu`, `gpu_count`, `vcpu`, `memory_gib` (did you mean `p5.48xlarge`, `g6.48xlarge`, `p5en.48xlarge`?); an entry named like one of the catalog changes only the fields it gives",
        ),
        (
            format!("instances: [{}]", NEW_INSTANCE.replace("H100-SXM", "H100")),
            "s.yaml:1:54",
            "unknown GPU `H100` (did you mean `H200`, `A10G`, `L40S`?); known GPUs: L4, A10G, L40S, A100-40GB, A100-80GB, H100-SXM, H200, MI300X",
        ),
        (
            "models:\n  - {name: my-ft, params_b: 8, precision: bf16, weights_gb: 16}".into(),
            "s.yaml:2:5",
            "new model card `my-ft` lacks `default_storage`, `architecture`",
        ),
        (
            "instance: []".into(),
            "s.yaml:1:1",
            "unknown catalog field `instance` (did you mean `instances`?)",
        ),
        (
            "instances: [{name: p5.48xlarge, price_per_hour_usd: -1}]".into(),
            "s.yaml:1:53",
            "`price_per_hour_usd` must be at least 0 and at most 1000000 (found -1)",
        ),
        (
            "instances: [{name: p5.48xlarge, price_per_hour_usd: nan}]".into(),
            "s.yaml:1:53",
            "(found NaN)",
        ),
        (
            "instances: [{name: p5.48xlarge, gpu_count: 0}]".into(),
            "s.yaml:1:44",
            "`gpu_count` must be a whole number from 1 to 64",
        ),
        (
            "storage: {s3_download_mb_s: 0}".into(),
            "s.yaml:1:29",
            "`s3_download_mb_s` must be at least 0.001",
        ),
        (
            "storage: {s3_download_mbs: 10}".into(),
            "s.yaml:1:11",
            "unknown storage field `s3_download_mbs` (did you mean `s3_download_mb_s`?)",
        ),
        (
            "storage: {prepulled_images: [\"quay.io/*/vllm\"]}".into(),
            "s.yaml:1:30",
            "is not an image reference or a prefix ending in `*`",
        ),
        (
            "models: [{name: gpt-oss-20b, match: [\"\"]}]".into(),
            "s.yaml:1:38",
            "an empty `match` pattern matches every storage URI",
        ),
        (
            "models: [{name: gpt-oss-20b, precision: fp4}]".into(),
            "s.yaml:1:41",
            "`precision` `fp4` is not one of bf16, fp16, fp8, w8a8, w8a16, w4a16, mxfp4",
        ),
        (
            "instances: [{name: p5.48xlarge, price_per_hour_usd: 40}, {name: p5.48xlarge, vcpu: 8}]".into(),
            "s.yaml:1:58",
            "instance type `p5.48xlarge` is given twice (first at s.yaml:1:13)",
        ),
        (
            "gpus: [{memory_gb: 80}]".into(),
            "s.yaml:1:8",
            "a GPU entry has no `name`",
        ),
        (
            "gpus: [{name: L4, resource: cpu}]".into(),
            "s.yaml:1:29",
            "`resource` `cpu` is not a device plugin's resource name; e.g. nvidia.com/gpu",
        ),
        (
            "gpus: {name: L4}".into(),
            "s.yaml:1:7",
            "expected a list, found a mapping",
        ),
        (
            "pricing_factors: {aws: {spot: 1.5}}".into(),
            "s.yaml:1:31",
            "`spot` must be above 0 and at most 1 (found 1.5)",
        ),
        (
            "pricing_factors: {asw: {spot: 0.5}}".into(),
            "s.yaml:1:19",
            "no instance type has provider `asw` (did you mean `aws`?)",
        ),
        (
            "pricing_factors: {aws: {reserved_1yr: 0.5}}".into(),
            "s.yaml:1:25",
            "unknown pricing factor field `reserved_1yr` (did you mean `reserved_1y`, `reserved_3y`?)",
        ),
        (
            "models: [{name: llama-3.1-8b-instruct-bf16, architecture: {experts: 64}}]".into(),
            "s.yaml:1:59",
            "a mixture-of-experts model needs both `experts` and `experts_per_token`",
        ),
    ];
    let wrong: Vec<String> = cases
        .iter()
        .filter_map(|(text, loc, want)| {
            let got = with_section(text)
                .map(|_| ())
                .err()
                .unwrap_or_else(|| "accepted".into());
            (!(got.starts_with(&format!("{loc}: ")) && got.contains(want)))
                .then(|| format!("{text}\n want {loc}: …{want}…\n got {got}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_catalog_folder_holds_any_of_the_five_files_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write(
        "instances.yaml",
        "instances:\n  - {name: p5.48xlarge, price_per_hour_usd: 40}\n",
    );
    write("storage.yaml", "oci_pull_mb_s: 400\n");
    write("README.md", "our negotiated prices\n");
    let c = Catalog::bundled().with_dir(dir.path()).unwrap();
    assert_eq!(c.instance("p5.48xlarge").unwrap().price_per_hour_usd, 40.0);
    assert_eq!(c.load.oci_pull_mb_s, 400.0);
    assert!(c.price_date.contains("instances.yaml"), "{}", c.price_date);
    // A scenario's section applies after the folder.
    let node = root("s.yaml", "instances: [{name: p5.48xlarge, price_per_hour_usd: 30}]").unwrap();
    assert_eq!(
        c.with_section(&node)
            .unwrap()
            .instance("p5.48xlarge")
            .unwrap()
            .price_per_hour_usd,
        30.0
    );

    let shown = dir.path().display().to_string();
    write("gpu.yaml", "gpus: []\n");
    write("vllm.yaml", "a: 1\n---\nb: 2\n");
    let err = Catalog::bundled()
        .with_dir(dir.path())
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!(
            "{shown}/gpu.yaml:1:1: `gpu.yaml` is not a catalog file (did you mean `gpus.yaml`"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{shown}/vllm.yaml:3:2: a catalog file holds one YAML document"
        )),
        "{err}"
    );

    let empty = tempfile::tempdir().unwrap();
    let err = Catalog::bundled()
        .with_dir(empty.path())
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(err.contains("holds no catalog file"), "{err}");
    let err = Catalog::bundled()
        .with_dir(&empty.path().join("missing"))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(err.contains("--catalog: cannot read folder"), "{err}");
}

#[test]
fn the_example_catalog_gives_its_providers_pricing_factors() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/catalog-example");
    let c = Catalog::bundled().with_dir(&dir).unwrap();
    let g6 = c.pricing_factors("g6.12xlarge").unwrap();
    assert_eq!(
        (g6.reserved_1y, g6.reserved_3y, g6.spot),
        (Some(0.62), Some(0.45), Some(0.35))
    );
    assert_eq!(c.pricing_factors("acme.2xh100"), Some(PricingFactors::default()));
    assert!(c
        .match_model("s3://models/acme-support-llama/")
        .is_some_and(|m| m.name == "acme-support-llama-3.1-8b"));
}
