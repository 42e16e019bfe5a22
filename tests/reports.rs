//! `reports/` holds the reports of the bundled scenarios; they must match what the
//! current code produces. Regenerate with:
//!     cargo run --release -- run scenarios/gpuaas-demo/ scenarios/capacity/ scenarios/multi-team/ scenarios/llm-d/ --out reports/

mod common;
use common::*;

#[test]
fn bundled_reports_are_up_to_date() {
    let out = tempfile::tempdir().unwrap();
    let st = bin()
        .args([
            "run",
            "scenarios/gpuaas-demo/",
            "scenarios/capacity/",
            "scenarios/multi-team/",
            "scenarios/llm-d/",
            "--out",
        ])
        .arg(out.path())
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    let mut compared = 0;
    for entry in std::fs::read_dir(out.path()).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        for file in ["report.json", "report.md"] {
            let fresh = std::fs::read_to_string(dir.join(file)).unwrap();
            let committed = std::fs::read_to_string(repo().join("reports").join(&name).join(file)).unwrap_or_default();
            assert!(
                fresh == committed,
                "reports/{name}/{file} is out of date; regenerate with: cargo run --release -- run scenarios/gpuaas-demo/ scenarios/capacity/ scenarios/multi-team/ scenarios/llm-d/ --out reports/"
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 16);
}
