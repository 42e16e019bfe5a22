//! Rehearsals of the bundled handover demo: paced, scripted at the prompt, recorded and
//! replayed, stopped with Ctrl-C. A rehearsal is the same simulation as `run`.

mod common;
use common::*;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;

fn handover() -> PathBuf {
    repo().join("scenarios/gpuaas-demo/handover.yaml")
}

fn report(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("report.json")).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

#[test]
fn a_paced_rehearsal_gives_the_report_run_gives() {
    let dir = tempfile::tempdir().unwrap();
    let (rehearsed, ran) = (dir.path().join("rehearsed"), dir.path().join("ran"));
    let out = bin()
        .args([
            "rehearse",
            "--speed",
            "20000",
            "--watch",
            "oc get pods -n private-ai",
            "--out",
        ])
        .arg(&rehearsed)
        .arg(handover())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The timeline's commands as they ran, each followed (not a terminal) by the panel.
    assert!(stdout.contains("[00:10:00] $ oc scale deployment devstral-2-predictor -n private-ai --replicas=1\ndeployment.apps/devstral-2-predictor scaled"), "{stdout}");
    assert!(
        stdout.contains("── handover 00:10:00 / 00:45:00 ×20000 ── next 00:10:30"),
        "{stdout}"
    );
    assert!(stdout.contains("── oc get pods -n private-ai\nNAME "), "{stdout}");
    assert!(
        stdout.contains("rehearsal of handover finished at 00:45:00"),
        "{stdout}"
    );
    let ran_out = bin()
        .args(["run", "--quiet", "--out"])
        .arg(&ran)
        .arg(handover())
        .output()
        .unwrap();
    assert_eq!(ran_out.status.code(), Some(0));
    assert!(
        report(&rehearsed) == report(&ran),
        "rehearse and run wrote different report.json"
    );
}

/// What a presenter types: wait for the model, look, move on, scale. From a script the
/// clock is held while lines remain, so the session is the same every time.
const SCRIPT: &str = "\
pause
until devstral-2 Admitted
oc get pods -n private-ai
skip 5m
oc get workloads -n private-ai
speed fast
oc scale deployment granite-8b-agent-predictor -n private-ai --replicas=0
until devstral-2 Ready
oc get pods -n private-ai -o wide
resume
";

#[test]
fn a_scripted_session_recorded_replays_under_check_with_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let (rehearsed, replayed, take) = (
        dir.path().join("rehearsed"),
        dir.path().join("replayed"),
        dir.path().join("takes/take1.yaml"),
    );
    let mut child = bin()
        .args(["rehearse", "--speed", "20000", "--interactive", "--record"])
        .arg(&take)
        .arg("--out")
        .arg(&rehearsed)
        .arg(handover())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(SCRIPT.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Controls answer; a typed command runs at the next whole second and prints there.
    for line in [
        "[00:12:30] devstral-2 is Admitted",
        "[00:12:31] > oc get pods -n private-ai\nNAME",
        "skipping to 00:17:31",
        "error: speed: `fast` is not a positive number; e.g. speed 20",
        "[00:17:31] > oc get workloads -n private-ai",
        "[00:17:32] > oc scale deployment granite-8b-agent-predictor -n private-ai --replicas=0\ndeployment.apps/granite-8b-agent-predictor scaled",
        "devstral-2 is Ready",
        "recorded 4 typed command(s) in",
    ] {
        assert!(stdout.contains(line), "missing `{line}` in:\n{stdout}");
    }
    // At 12:31 the admitted model's pod is downloading its weights (KServe's storage
    // initializer, an init container).
    let at_1231 = stdout
        .split("[00:12:31] > oc get pods -n private-ai\n")
        .nth(1)
        .unwrap_or("");
    let devstral = at_1231
        .lines()
        .find(|l| l.starts_with("devstral-2-predictor-"))
        .unwrap_or("");
    assert!(devstral.contains("0/1     Init:0/1"), "{at_1231}");
    let recorded = std::fs::read_to_string(&take).unwrap();
    assert!(recorded.contains("  extends: "), "{recorded}");
    assert!(
        recorded.contains("    - {at: 12m31s, run: \"oc get pods -n private-ai\"}\n"),
        "{recorded}"
    );
    assert!(
        recorded.contains(
            "    - {at: 17m32s, run: \"oc scale deployment granite-8b-agent-predictor -n private-ai --replicas=0\"}\n"
        ),
        "{recorded}"
    );
    // The recording is a CI check: the base's expectations hold, and its run is the
    // rehearsal's run.
    let check = bin().arg("check").arg(&take).output().unwrap();
    let check_out = String::from_utf8_lossy(&check.stdout);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{check_out}\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(check_out.contains("9 passed, 0 failed"), "{check_out}");
    let run = bin()
        .args(["run", "--quiet", "--out"])
        .arg(&replayed)
        .arg(&take)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    assert!(
        report(&rehearsed) == report(&replayed),
        "the replay's report.json differs from the rehearsal's"
    );
}

#[test]
fn ctrl_c_stops_cleanly_and_writes_the_report_up_to_the_stop() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("stopped");
    let mut child = bin()
        .args(["rehearse", "--speed", "30", "--out"])
        .arg(&out_dir)
        .arg(handover())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // The handler is in place once the rehearsal says it started.
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    assert!(first.starts_with("rehearsing handover"), "{first}");
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    let text = rest.join("\n");
    assert_eq!(status.code(), Some(130), "{text}");
    assert!(text.contains("rehearsal of handover stopped at"), "{text}");
    assert!(text.contains("expectation(s) after the stop"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&report(&out_dir)).unwrap();
    let duration = json["duration_s"].as_f64().unwrap_or(f64::NAN);
    assert!(duration < 2700.0, "stopped at {duration} s, not before the end");
}

#[test]
fn rehearse_refuses_what_it_cannot_do_with_exit_2() {
    // (arguments, what stderr says)
    let cases: [(Vec<&str>, &str); 4] = [
        (vec!["--speed", "0"], "expected a positive number"),
        (
            vec!["--watch", "oc scale deployment x --replicas=1"],
            "only `get` and `describe` can be watched",
        ),
        (vec!["--from", "2h"], "is after the scenario's end"),
        (vec!["--watch", "oc get pods -n"], "--watch \"oc get pods -n\""),
    ];
    for (args, text) in cases {
        let out = bin().arg("rehearse").args(&args).arg(handover()).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(text), "{args:?}: {stderr}");
    }
    let two = bin()
        .arg("rehearse")
        .arg(handover())
        .arg(repo().join("scenarios/gpuaas-demo/priority-queue.yaml"))
        .output()
        .unwrap();
    assert_eq!(two.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&two.stderr).contains("rehearse plays one scenario"));
}

#[test]
fn a_file_applied_at_the_prompt_runs_and_is_recorded_relative_to_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let (rehearsed, replayed, take) = (
        dir.path().join("rehearsed"),
        dir.path().join("replayed"),
        dir.path().join("take.yaml"),
    );
    // The INT4 model switched back to RollingUpdate, then touched: the seed's deadlock.
    let script = "until 15m\n\
        oc apply -f scenarios/gpuaas-demo/variants/mistral-3-int4-rollingupdate.yaml\n\
        oc apply -f no-such-file.yaml\n\
        oc annotate inferenceservice mistral-3-int4 -n private-ai demo/touch=1\n\
        until 20m\n\
        oc get pods -n private-ai\n";
    let mut child = bin()
        .args(["rehearse", "--speed", "20000", "--interactive", "--record"])
        .arg(&take)
        .arg("--out")
        .arg(&rehearsed)
        .arg(handover())
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    for line in [
        "[00:15:01] > oc apply -f variants/mistral-3-int4-rollingupdate.yaml\ninferenceservice/mistral-3-int4 configured",
        "error: the path \"no-such-file.yaml\" does not exist (at the prompt, paths are relative to the current directory)",
        "[00:15:02] > oc annotate inferenceservice mistral-3-int4 -n private-ai demo/touch=1",
    ] {
        assert!(stdout.contains(line), "missing `{line}` in:\n{stdout}");
    }
    let at_20 = stdout
        .split("[00:20:01] > oc get pods -n private-ai\n")
        .nth(1)
        .unwrap_or("");
    assert!(at_20.lines().any(|l| l.contains("0/2     SchedulingGated")), "{at_20}");
    let recorded = std::fs::read_to_string(&take).unwrap();
    assert!(
        recorded.contains("{at: 15m1s, run: \"oc apply -f variants/mistral-3-int4-rollingupdate.yaml\"}"),
        "{recorded}"
    );
    let run = bin()
        .args(["run", "--quiet", "--out"])
        .arg(&replayed)
        .arg(&take)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(
        report(&rehearsed) == report(&replayed),
        "the replay's report.json differs from the rehearsal's"
    );
}

/// A GET over a fresh connection, as a browser's first request: (status line, body).
fn http_get(addr: &str, path: &str) -> std::io::Result<(String, String)> {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    Ok((head.lines().next().unwrap_or_default().to_string(), body.to_string()))
}

#[test]
fn serve_shows_the_cluster_while_the_rehearsal_plays_and_stops_with_it() {
    // Port 0: the system picks one, and the rehearsal prints it first.
    let mut child = bin()
        .args(["rehearse", "--speed", "600", "--serve", "127.0.0.1:0"])
        .arg(handover())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    let addr = first
        .strip_prefix("live view: http://")
        .and_then(|a| a.strip_suffix('/'))
        .unwrap_or_else(|| panic!("{first}"))
        .to_string();
    let (status, page) = http_get(&addr, "/").unwrap();
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(page.contains("<body data-updates=\"0\">") && !page.contains("src=\"http"));
    let (status, state) = http_get(&addr, "/state").unwrap();
    assert_eq!(status, "HTTP/1.1 200 OK");
    let state: serde_json::Value = serde_json::from_str(&state).unwrap_or_else(|e| panic!("{e}: {state}"));
    assert_eq!(state["scenario"], "handover");
    assert_eq!(state["clock"]["end"], "00:45:00");
    assert_eq!(state["clock"]["speed"], 600.0);
    let pods = state["pods"].as_array().cloned().unwrap_or_default();
    assert!(
        pods.iter().any(|p| p["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("mistral-3-int4-predictor-"))),
        "{state}"
    );
    let quota = state["quota"].as_array().cloned().unwrap_or_default();
    assert!(
        quota
            .iter()
            .any(|q| q["flavor"] == "nvidia-l4-4gpu" && q["resource"] == "nvidia.com/gpu" && q["nominal_value"] == 4.0),
        "{state}"
    );
    assert_eq!(state["timeline"]["total"], 14);
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let exit = child.wait().unwrap();
    assert_eq!(exit.code(), Some(0), "{}", rest.join("\n"));
    assert!(rest.iter().any(|l| l == "rehearsal of handover finished at 00:45:00"));
    // The page is served only while the rehearsal runs.
    assert!(std::net::TcpStream::connect(&addr).is_err(), "{addr} still listening");
}

#[test]
fn serve_refuses_a_bad_or_busy_address_with_exit_2() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = busy.local_addr().unwrap().to_string();
    let cases = [
        (
            "8080",
            "`8080` is not an address to listen on; give IP:PORT, e.g. 127.0.0.1:8080",
        ),
        ("localhost", "`localhost` is not an address to listen on"),
        (busy.as_str(), "cannot listen there"),
    ];
    for (addr, text) in cases {
        let out = bin()
            .args(["rehearse", "--speed", "600", "--serve", addr])
            .arg(handover())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{addr}: {stderr}");
        assert!(stderr.contains(text), "{addr}: {stderr}");
        // Refused before it starts: nothing was played.
        assert!(!String::from_utf8_lossy(&out.stdout).contains("rehearsing"), "{addr}");
    }
}
