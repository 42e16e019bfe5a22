//! The pull-request recipe in `docs/ci/`: the commands its GitHub workflow and GitLab job
//! run (`pr-check.sh`, `compare-runs.sh`), run here with the binary just built on copies
//! of the bundled scenarios and on the bundled reports, and the two CI files read as YAML.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Copies a folder, recursively.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A tree as CI checks it out: the bundled scenarios and the recipe's scripts.
fn tree(root: &Path) -> PathBuf {
    copy_dir(&repo().join("scenarios"), &root.join("scenarios"));
    copy_dir(&repo().join("docs/ci"), &root.join("docs/ci"));
    root.to_path_buf()
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// Runs a script of `docs/ci/` in `dir` with the binary just built.
fn script(dir: &Path, name: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new("bash")
        .arg(format!("docs/ci/{name}"))
        .args(args)
        .env("GPUAAS_SIM", env!("CARGO_BIN_EXE_gpuaas-sim"))
        .env_remove("COMPARE_FLAGS")
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// A JUnit file's test and failure counts, read as XML, and each failure's test case
/// name and message.
fn junit(path: &Path) -> (usize, usize, Vec<(String, String)>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", path.display()));
    let root = doc.root_element();
    let count = |a: &str| root.attribute(a).and_then(|v| v.parse().ok()).unwrap_or(usize::MAX);
    let cases: Vec<_> = root.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), count("tests"), "{text}");
    let failures: Vec<(String, String)> = cases
        .iter()
        .filter_map(|c| {
            let f = c.children().find(|n| n.has_tag_name("failure"))?;
            Some((
                c.attribute("name").unwrap_or_default().to_string(),
                f.attribute("message").unwrap_or_default().to_string(),
            ))
        })
        .collect();
    assert_eq!(failures.len(), count("failures"), "{text}");
    (cases.len(), failures.len(), failures)
}

#[test]
fn a_pull_request_that_tightens_an_slo_fails_on_the_regression() {
    let dir = tempfile::tempdir().unwrap();
    tree(&dir.path().join("base"));
    let pr = tree(&dir.path().join("pr"));
    // The PR halves the TTFT target of the handover demo, adds a scenario and drops one.
    edit(
        &pr.join("scenarios/gpuaas-demo/handover.yaml"),
        "slo: {ttft_p95: 2s,",
        "slo: {ttft_p95: 1s,",
    );
    edit(
        &pr.join("scenarios/gpuaas-demo/efficiency.yaml"),
        "name: efficiency",
        "name: efficiency-2",
    );
    std::fs::remove_file(pr.join("scenarios/gpuaas-demo/priority-queue.yaml")).unwrap();
    let out = dir.path().join("out");
    let (code, stdout, stderr) = script(
        &pr,
        "pr-check.sh",
        &["../base", out.to_str().unwrap(), "scenarios/gpuaas-demo/"],
    );
    assert_eq!(code, Some(1), "{stdout}{stderr}");

    // Every expectation still holds: the failure is the comparison's.
    let (tests, failures, _) = junit(&out.join("check.xml"));
    assert_eq!((failures, tests > 0), (0, true), "{tests} expectations");
    let (_, failures, failed) = junit(&out.join("compare-handover.xml"));
    assert!(failures > 0, "{stdout}");
    for (name, message) in &failed {
        assert!(name.contains("SLO") && name.contains("attainment"), "{name}: {message}");
        assert!(
            message.starts_with("base ")
                && message.contains(", new ")
                && message.ends_with("a drop of more than 1 point"),
            "{message}"
        );
    }
    for unchanged in ["rolling-update-deadlock", "rolling-update-recreate"] {
        assert_eq!(junit(&out.join(format!("compare-{unchanged}.xml"))).1, 0, "{unchanged}");
    }

    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    let lines: Vec<&str> = summary.lines().collect();
    assert_eq!(lines[0], "# gpuaas-sim", "{summary}");
    assert!(
        lines[2].starts_with("Expectations of the pull request's scenarios: ")
            && lines[2].ends_with(" passed, 0 failed.")
    );
    assert!(
        summary.contains(&format!(
            "## gpuaas-sim compare: handover\n\n**{failures} regressions**"
        )),
        "{summary}"
    );
    assert!(
        summary.contains("| mistral-3-int4 SLO ttft\\_p95 attainment | 94.4% |"),
        "{summary}"
    );
    assert!(
        summary
            .contains("## gpuaas-sim compare: efficiency-2\n\nNew in this pull request: nothing to compare it with."),
        "{summary}"
    );
    assert!(
        summary.contains("## gpuaas-sim compare: priority-queue\n\nNo longer run by this pull request"),
        "{summary}"
    );
    assert!(summary.contains("## gpuaas-sim compare: rolling-update-recreate\n\n**No regression**"));
    // What the job summary shows is also in the job's log.
    assert!(stdout.contains(&summary), "{stdout}");
}

#[test]
fn an_unchanged_pull_request_passes_and_a_base_that_does_not_run_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let base = tree(&dir.path().join("base"));
    let pr = tree(&dir.path().join("pr"));
    let out = dir.path().join("out");
    let args = [
        "../base",
        out.to_str().unwrap(),
        "scenarios/gpuaas-demo/rolling-update-recreate.yaml",
    ];
    let (code, stdout, stderr) = script(&pr, "pr-check.sh", &args);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    // One scenario: its reports still go to a folder of its own, as with several.
    assert!(out.join("pr/rolling-update-recreate/report.json").is_file());
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains("## gpuaas-sim compare: rolling-update-recreate\n\n**No regression** (15 figures compared, 0 moved).\n\nNothing moved.\n"),
        "{summary}"
    );
    assert_eq!(junit(&out.join("compare-rolling-update-recreate.xml")), (15, 0, vec![]));

    // The base's scenario is broken (the PR may be its fix): said, not failed on.
    edit(
        &base.join("scenarios/gpuaas-demo/rolling-update-recreate.yaml"),
        "kind: Scenario",
        "kind: Scenari",
    );
    let (code, stdout, stderr) = script(&pr, "pr-check.sh", &args);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("The base's scenarios did not run"), "{summary}");
    assert!(
        !out.join("compare-rolling-update-recreate.xml").exists(),
        "a stale file of the last run"
    );

    // The PR's own scenario broken: bad input, exit 2.
    edit(
        &pr.join("scenarios/gpuaas-demo/rolling-update-recreate.yaml"),
        "kind: Scenario",
        "kind: Scenari",
    );
    let (code, stdout, stderr) = script(&pr, "pr-check.sh", &args);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains("The pull request's scenarios did not run"),
        "{summary}"
    );
}

#[test]
fn the_bundled_reports_compared_with_a_worse_copy() {
    let dir = tempfile::tempdir().unwrap();
    let root = tree(&dir.path().join("tree"));
    // The new run: the bundled reports, with one model's SLO attainment down from 25.5%
    // to 1%, and one scenario not run.
    let new = dir.path().join("new");
    for entry in std::fs::read_dir(repo().join("reports")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if name == "efficiency" {
            continue;
        }
        let from = repo().join("reports").join(&name).join("report.json");
        std::fs::create_dir_all(new.join(&name)).unwrap();
        std::fs::copy(from, new.join(&name).join("report.json")).unwrap();
    }
    let handover = new.join("handover/report.json");
    let mut report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&handover).unwrap()).unwrap();
    report["models"]["mistral-3-bf16"]["slo"]["attainment"] = serde_json::json!(0.01);
    std::fs::write(&handover, serde_json::to_string_pretty(&report).unwrap()).unwrap();

    let out = dir.path().join("out");
    let base = repo().join("reports");
    let args = [base.to_str().unwrap(), new.to_str().unwrap(), out.to_str().unwrap()];
    let (code, stdout, stderr) = script(&root, "compare-runs.sh", &args);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    let (_, failures, failed) = junit(&out.join("compare-handover.xml"));
    assert_eq!(failures, 1);
    assert_eq!(
        failed[0],
        (
            "mistral-3-bf16 SLO attainment".to_string(),
            "base 25.5%, new 1.0% (-24.5 points); tolerance: a drop of more than 1 point".to_string()
        )
    );
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains("| mistral-3-bf16 SLO attainment | 25.5% | 1.0% | -24.5 points | **REGRESSION** |"),
        "{summary}"
    );
    assert!(
        summary.contains("## gpuaas-sim compare: efficiency\n\nNo longer run"),
        "{summary}"
    );
    // Every other bundled report compared with itself: nothing moved.
    let others = std::fs::read_dir(&base).unwrap().count() - 2;
    assert_eq!(summary.matches("Nothing moved.").count(), others, "{summary}");

    // Compare flags pass through: a tolerance of 30 points lets the drop through.
    std::fs::remove_dir_all(&out).unwrap();
    let mut loose = args.to_vec();
    loose.extend(["--slo-tolerance", "30"]);
    let (code, stdout, stderr) = script(&root, "compare-runs.sh", &loose);
    assert_eq!(code, Some(0), "{stdout}{stderr}");

    // A report that cannot be read is exit 2, said in the summary.
    std::fs::remove_dir_all(&out).unwrap();
    std::fs::write(&handover, "{").unwrap();
    let (code, _, stderr) = script(&root, "compare-runs.sh", &args);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("handover/report.json:"), "{stderr}");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains("## gpuaas-sim compare: handover\n\nNot compared"),
        "{summary}"
    );
}

/// A YAML file of `docs/ci/`, parsed.
fn yaml(name: &str) -> yaml_rust2::Yaml {
    let text = std::fs::read_to_string(repo().join("docs/ci").join(name)).unwrap();
    let mut docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(docs.len(), 1, "{name}");
    docs.remove(0)
}

/// The scenarios the README's regeneration command and `.ci/run` name.
const BUNDLED: &str =
    "scenarios/gpuaas-demo/ scenarios/capacity/ scenarios/multi-team/ scenarios/llm-d/ scenarios/autoscaling/ scenarios/batch-frameworks/";

#[test]
fn the_github_workflow_runs_the_tested_commands() {
    let w = yaml("github-actions.yml");
    // `on:` is read as the YAML 1.1 boolean by some parsers, and as the string here.
    assert_eq!(w["on"].as_str(), Some("pull_request"));
    assert_eq!(w["env"]["SCENARIOS"].as_str(), Some(BUNDLED));
    let steps = w["jobs"]["simulate"]["steps"].as_vec().expect("steps");
    let checkout = &steps[0];
    assert_eq!(checkout["uses"].as_str(), Some("actions/checkout@v4"));
    assert_eq!(checkout["with"]["fetch-depth"].as_i64(), Some(0));
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    let expected = [
        "cargo build --release --locked",
        "git worktree add \"$RUNNER_TEMP/base\" HEAD^1",
        "bash docs/ci/pr-check.sh \"$RUNNER_TEMP/base\" \"$RUNNER_TEMP/gpuaas-sim\" $SCENARIOS",
    ];
    assert_eq!(&runs[..3], expected);
    let check = steps.iter().find(|s| s["run"].as_str() == Some(expected[2])).unwrap();
    assert_eq!(check["env"]["GPUAAS_SIM"].as_str(), Some("target/release/gpuaas-sim"));
    assert!(runs[3].contains(">> \"$GITHUB_STEP_SUMMARY\""), "{}", runs[3]);
    assert!(runs[4].contains("gh pr comment"), "{}", runs[4]);
    // The summary and the comment come also after a failing check.
    for s in &steps[4..] {
        assert_eq!(s["if"].as_str().map(|c| c.contains("!cancelled()")), Some(true));
    }
}

#[test]
fn the_gitlab_job_runs_the_tested_commands() {
    let j = &yaml("gitlab-ci.yml")["gpuaas-sim"];
    assert_eq!(j["variables"]["SCENARIOS"].as_str(), Some(BUNDLED));
    assert_eq!(j["variables"]["GIT_DEPTH"].as_str(), Some("0"));
    assert_eq!(
        j["rules"][0]["if"].as_str(),
        Some("$CI_PIPELINE_SOURCE == \"merge_request_event\"")
    );
    let script: Vec<&str> = j["script"]
        .as_vec()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert_eq!(
        script,
        [
            "cargo build --release --locked",
            "git worktree add .gpuaas-sim-base \"$CI_MERGE_REQUEST_DIFF_BASE_SHA\"",
            "GPUAAS_SIM=target/release/gpuaas-sim bash docs/ci/pr-check.sh .gpuaas-sim-base gpuaas-sim-out $SCENARIOS",
        ]
    );
    let junit: Vec<&str> = j["artifacts"]["reports"]["junit"]
        .as_vec()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert_eq!(junit, ["gpuaas-sim-out/check.xml", "gpuaas-sim-out/compare-*.xml"]);
    assert_eq!(j["artifacts"]["when"].as_str(), Some("always"));
}
