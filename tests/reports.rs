//! `reports/` holds the reports of the bundled scenarios; they must match what the
//! current code produces, and read back as a typed report that writes the same bytes.
//! Regenerate them after a deliberate change with `UPDATE_REPORTS=1 cargo test --test
//! reports` (and read the diff before committing it).

mod common;
use common::*;

/// The reports are written straight into `reports/` instead of being compared.
fn updating() -> bool {
    std::env::var_os("UPDATE_REPORTS").is_some_and(|v| v == "1")
}

#[test]
fn bundled_reports_are_up_to_date() {
    let out = tempfile::tempdir().unwrap();
    let out_dir = if updating() {
        repo().join("reports")
    } else {
        out.path().to_path_buf()
    };
    let st = bin()
        .args([
            "run",
            "scenarios/gpuaas-demo/",
            "scenarios/capacity/",
            "scenarios/multi-team/",
            "scenarios/llm-d/",
            "scenarios/autoscaling/",
            "scenarios/batch-frameworks/",
            "--out",
        ])
        .arg(&out_dir)
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    if updating() {
        eprintln!("reports/ rewritten; review the diff");
        return;
    }
    let mut compared = 0;
    let regenerate = "if the change is deliberate, regenerate with: UPDATE_REPORTS=1 cargo test --test reports";
    for entry in std::fs::read_dir(out.path()).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let committed_dir = repo().join("reports").join(&name);
        let mut files: Vec<String> = ["report.json", "report.md", "report.html"].map(String::from).to_vec();
        let plots = |d: &std::path::Path| -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(d.join("plots"))
                .map(|r| {
                    r.map(|e| format!("plots/{}", e.unwrap().file_name().to_string_lossy()))
                        .collect()
                })
                .unwrap_or_default();
            v.sort();
            v
        };
        let fresh_plots = plots(&dir);
        assert!(!fresh_plots.is_empty(), "{name} draws no plot");
        assert_eq!(
            fresh_plots,
            plots(&committed_dir),
            "reports/{name}/plots/ differs; {regenerate}"
        );
        files.extend(fresh_plots);
        for file in files {
            let fresh = std::fs::read_to_string(dir.join(&file)).unwrap();
            let committed = std::fs::read_to_string(committed_dir.join(&file)).unwrap_or_default();
            assert!(fresh == committed, "reports/{name}/{file} is out of date; {regenerate}");
            compared += 1;
        }
    }
    // 14 scenarios × (report.json, report.md, report.html) and their plots.
    assert!(compared > 42, "{compared} files compared");
}

/// The handover's cue sheet (`rehearse --cues`) lies beside its report, made from the
/// same run.
#[test]
fn bundled_cue_sheet_is_up_to_date() {
    let out = tempfile::tempdir().unwrap();
    let dir = if updating() {
        repo().join("reports/handover")
    } else {
        out.path().to_path_buf()
    };
    let st = bin()
        .args(["rehearse", "scenarios/gpuaas-demo/handover.yaml", "--cues", "--out"])
        .arg(&dir)
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    if updating() {
        return;
    }
    let fresh = std::fs::read_to_string(out.path().join("cues.md")).unwrap();
    let committed = std::fs::read_to_string(repo().join("reports/handover/cues.md")).unwrap_or_default();
    assert!(
        fresh == committed,
        "reports/handover/cues.md is out of date; if the change is deliberate, regenerate with: UPDATE_REPORTS=1 cargo test --test reports"
    );
}

/// The typed report is report.json's schema: each bundled report reads into it and writes
/// out byte for byte (key order, integers against floats, nulls and absent keys).
#[test]
fn bundled_reports_read_back_byte_for_byte() {
    let (mut read, mut months) = (0, 0);
    for entry in std::fs::read_dir(repo().join("reports")).unwrap() {
        let path = entry.unwrap().path().join("report.json");
        let text = std::fs::read_to_string(&path).unwrap();
        let report =
            gpuaas_sim::report::Report::from_json_str(&text).unwrap_or_else(|e| panic!("{}:{e}", path.display()));
        let written = serde_json::to_string_pretty(&report).unwrap() + "\n";
        assert!(written == text, "{} does not write back the same", path.display());
        read += 1;
        // Every bundled run has a length, so a month, with a figure per served model.
        let month = report
            .monthly
            .as_ref()
            .unwrap_or_else(|| panic!("{} has no monthly figures", path.display()));
        assert!(
            month.models.keys().eq(report.models.keys()),
            "{}: the monthly models are the served ones",
            path.display()
        );
        months += 1;
    }
    assert_eq!(read, 14, "one per bundled scenario");
    assert_eq!(months, read);
}

/// The model card each InferenceService ran as, why, and a partial match's warning come
/// back from report.json; a report written before these keys reads without them.
#[test]
fn model_cards_read_back_from_report_json() {
    use gpuaas_sim::report::model::InferenceServiceRecord;
    use gpuaas_sim::report::Report;
    let text = std::fs::read_to_string(repo().join("reports/handover/report.json")).unwrap();
    let handover = Report::from_json_str(&text).unwrap();
    let int4 = handover
        .inference_services
        .iter()
        .find(|s| s.name == "mistral-3-int4")
        .expect("mistral-3-int4");
    assert_eq!(int4.model_card.as_deref(), Some("mistral-small-3.1-24b-instruct-w4a16"));
    assert_eq!(
        int4.model_card_match.as_deref(),
        Some("storageUri `oci://registry.redhat.io/rhelai1/modelcar-mistral-small-3-1-24b-instruct-2503-quantized-w4a16:1.5` matched `mistral-small-3-1-24b-instruct-2503-quantized-w4a16`")
    );

    let report = Report {
        schema: gpuaas_sim::report::model::SCHEMA.into(),
        inference_services: vec![InferenceServiceRecord {
            name: "chat".into(),
            namespace: "chat".into(),
            model_card: Some("llama-3.1-8b-instruct-bf16".into()),
            model_card_match: Some(
                "storageUri `s3://m/llama-3.1-8b-instruct-fp8/` matched `llama-3.1-8b-instruct`".into(),
            ),
            model_card_warning: Some("the name says fp8 but card llama-3.1-8b-instruct-bf16 is bf16".into()),
            ..Default::default()
        }],
        ..Default::default()
    };
    let written = serde_json::to_string_pretty(&report).unwrap();
    assert_eq!(
        Report::from_json_str(&written).map_err(|e| e.to_string()),
        Ok(report.clone())
    );

    let mut older = serde_json::to_value(&report).unwrap();
    let isvc = older["inference_services"][0].as_object_mut().unwrap();
    for key in ["model_card", "model_card_match", "model_card_warning"] {
        assert!(isvc.remove(key).is_some(), "{key}");
    }
    let read = Report::from_json_str(&older.to_string()).unwrap();
    assert_eq!(read.inference_services[0].model_card, None);
}
