//! `gpuaas-sim compare` on real reports: a policy change that delays an admission fails
//! the comparison; a report compared with itself moves nothing; what is not a report is a
//! located input error.

mod common;
use common::*;

fn compare(base: &str, new: &str, extra: &[&str]) -> (Option<i32>, String, String) {
    let out = bin()
        .arg("compare")
        .arg(base)
        .arg(new)
        .args(extra)
        .current_dir(repo())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn a_later_admission_is_a_regression_and_the_tolerance_decides() {
    // The Recreate strategy admits the new INT4 pod at 10:30; the deadlocked RollingUpdate
    // only at 15:30, after the operator's fix.
    let (base, new) = (
        "reports/rolling-update-recreate/report.json",
        "reports/rolling-update-deadlock/report.json",
    );
    let (code, out, _) = compare(base, new, &[]);
    assert_eq!(code, Some(1), "{out}");
    let row = out
        .lines()
        .find(|l| l.starts_with("workload private-ai/mistral-3-int4 #2 admitted at"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        row.contains("630 s") && row.contains("930 s") && row.ends_with("REGRESSION"),
        "{row}"
    );
    let (code, out, _) = compare(base, new, &["--admission-tolerance", "600"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("worse (within tolerance)"), "{out}");
}

#[test]
fn a_report_compared_with_itself_moves_nothing() {
    let r = "reports/handover/report.json";
    let (code, out, _) = compare(r, r, &[]);
    assert_eq!(code, Some(0));
    assert!(out.starts_with("Nothing moved."), "{out}");
    let (_, all, _) = compare(r, r, &["--all"]);
    assert!(all.contains("mistral-3-bf16 TTFT p95") && all.contains("same"), "{all}");
}

#[test]
fn what_is_not_a_report_is_a_located_error() {
    let dir = folder(&[
        (
            "broken.json",
            "{\n  \"schema\": \"gpuaas-sim/report/v1\",\n  \"models\": [,]\n}\n",
        ),
        ("other.json", "{\"hello\": 1}\n"),
        (
            "shape.json",
            "{\n  \"schema\": \"gpuaas-sim/report/v1\",\n  \"scenario\": \"s\",\n  \"seed\": \"one\"\n}\n",
        ),
    ]);
    let broken = dir.path().join("broken.json");
    let other = dir.path().join("other.json");
    let good = repo().join("reports/handover/report.json");
    // (base, new, extra flags, what stderr says)
    let cases = [
        (broken.clone(), good.clone(), vec![], "broken.json:3:14: not valid JSON"),
        (
            good.clone(),
            other.clone(),
            vec![],
            "other.json:1:1: not a gpuaas-sim report",
        ),
        (
            good.clone(),
            dir.path().join("shape.json"),
            vec![],
            "shape.json:4:15: not a gpuaas-sim report at `seed`: invalid type",
        ),
        (
            good.clone(),
            dir.path().join("missing.json"),
            vec![],
            "missing.json: cannot read",
        ),
        (
            good.clone(),
            good.clone(),
            vec!["--latency-tolerance=-5"],
            "--latency-tolerance -5: a tolerance is a number of 0 or more",
        ),
    ];
    for (base, new, extra, want) in cases {
        let (code, out, err) = compare(base.to_str().unwrap(), new.to_str().unwrap(), &extra);
        assert_eq!(code, Some(2), "{want}: {out}{err}");
        assert!(err.contains(want), "want {want:?} in {err}");
    }
}
