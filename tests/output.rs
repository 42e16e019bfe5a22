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
