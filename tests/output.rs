//! What the command line prints: nothing on stderr when it is not a terminal (no progress
//! bar in logs), nothing but failures with `--quiet`.

mod common;
use common::*;

#[test]
fn runs_are_silent_on_a_non_terminal_stderr_and_quiet_when_asked() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    // (args, stdout empty, what stdout holds)
    let cases: [(Vec<&str>, bool, &str); 4] = [
        (
            vec!["run", "scenarios/gpuaas-demo/handover.yaml"],
            false,
            "Expectations: 9/9 hold",
        ),
        (
            vec!["run", "scenarios/gpuaas-demo/handover.yaml", "--quiet", "--out", dir],
            true,
            "",
        ),
        (
            vec!["check", "scenarios/gpuaas-demo/handover.yaml"],
            false,
            "ok     handover",
        ),
        (
            vec!["check", "-q", "scenarios/gpuaas-demo/handover.yaml"],
            false,
            "9 passed, 0 failed",
        ),
    ];
    for (args, empty, holds) in cases {
        let o = bin().args(&args).current_dir(repo()).output().unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        assert!(
            o.stderr.is_empty(),
            "{args:?} wrote to stderr: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(stdout.is_empty(), empty, "{args:?}: {stdout}");
        assert!(stdout.contains(holds), "{args:?}: {stdout}");
        if args.contains(&"-q") {
            assert!(
                !stdout.contains("ok     "),
                "--quiet hides passing expectations: {stdout}"
            );
        }
    }
    assert!(
        out.path().join("report.html").exists(),
        "--quiet still writes the reports"
    );
}

#[test]
fn a_scenario_name_never_writes_outside_the_out_folder() {
    let scenario = |name: &str| {
        format!("apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: \"{name}\"}}\nspec:\n  duration: 1m\n  include: [m.yaml]\n")
    };
    let node =
        "apiVersion: v1\nkind: Node\nmetadata: {name: n, labels: {node.kubernetes.io/instance-type: g6.xlarge}}\n";
    let dir = folder(&[
        ("m.yaml", node),
        ("a.yaml", &scenario("fine")),
        ("b.yaml", &scenario("../../escape")),
    ]);
    let out = dir.path().join("out/deeper");
    let st = bin()
        .args(["run", "-q"])
        .arg(dir.path().join("a.yaml"))
        .arg(dir.path().join("b.yaml"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(2), "{}", String::from_utf8_lossy(&st.stderr));
    assert!(!dir.path().join("escape").exists());
    // All or nothing: the first scenario's reports are not left behind either.
    assert!(!out.join("fine").exists());
}

#[test]
fn the_summary_says_why_an_admitted_workload_never_became_ready() {
    // The flavors inject no toleration, so the admitted pod fits no tainted node.
    let cluster = CLUSTER.replace(
        "  tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]\n",
        "",
    );
    let pod = "---\napiVersion: v1\nkind: Pod\nmetadata: {name: stuck, namespace: private-ai}\nspec:\n  containers: [{name: c, image: i, resources: {limits: {cpu: \"1\", memory: 1Gi, nvidia.com/gpu: \"1\"}}}]\n";
    let scenario = format!(
        "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: t}}\nspec:\n  duration: 2m\n  include: [m.yaml]\n{NODE_POOLS}"
    );
    let dir = folder(&[("m.yaml", &format!("{cluster}{pod}")), ("s.yaml", &scenario)]);
    let out = bin().args(["run", "s.yaml"]).current_dir(dir.path()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let row = stdout.lines().find(|l| l.starts_with("stuck")).unwrap_or_default();
    assert!(row.contains("Admitted"), "{stdout}");
    assert!(
        row.contains(
            "FailedScheduling: 0/2 nodes are available: 2 node(s) had untolerated taint {nvidia.com/gpu: true}"
        ),
        "{row}"
    );
}
