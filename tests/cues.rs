//! `rehearse --cues`: the presenter's cue sheet. Its figures are the run's — the same
//! report `run` writes — so each story reads the sheet against the report of the same
//! scenario: when a model is Ready, when quota came back, the kubelet's start-up steps,
//! the deadlock's instant.

mod common;
use common::*;
use gpuaas_sim::report::Report;

/// The cue sheet of a bundled scenario, as printed.
fn cues(scenario: &str) -> String {
    let out = bin()
        .args(["rehearse", scenario, "--cues"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn report(scenario: &str) -> Report {
    simulate(&repo().join(scenario)).report
}

/// The section of the command `text`.
fn section<'s>(sheet: &'s str, text: &str) -> &'s str {
    let fence = format!("```sh\n{text}\n```");
    sheet
        .split("\n## ")
        .find(|s| s.contains(&fence))
        .unwrap_or_else(|| panic!("no section for `{text}` in:\n{sheet}"))
}

/// An instant as the sheet writes it: the clock's whole seconds.
fn clock(s: f64) -> String {
    let s = s as u64;
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// A wait of at least a minute, as the sheet says it.
fn minutes(s: f64) -> String {
    let s = s as u64;
    match s % 60 {
        0 => format!("{} min", s / 60),
        r => format!("{} min {r} s", s / 60),
    }
}

fn workload<'r>(report: &'r Report, owner: &str, nth: usize) -> &'r gpuaas_sim::report::model::WorkloadRecord {
    report
        .workloads
        .iter()
        .filter(|w| w.owner == owner)
        .nth(nth)
        .unwrap_or_else(|| panic!("no workload {nth} of {owner}"))
}

#[test]
fn the_handover_cue_sheet_follows_bf16_out_and_devstral_in_to_ready() {
    let sheet = cues("scenarios/gpuaas-demo/handover.yaml");
    let report = report("scenarios/gpuaas-demo/handover.yaml");
    let bf16 = workload(&report, "mistral-3-bf16", 0);
    let devstral = workload(&report, "devstral-2", 0);
    let ready = devstral.ready_s.expect("devstral-2 Ready");
    let admitted = devstral.admitted_s.expect("devstral-2 admitted");
    let released = bf16.finished_s.expect("BF16 finished");

    // Scaling BF16 down: its pod goes after the grace period, the quota it held comes
    // back, Devstral is admitted on it and starts: the presenter waits for Devstral Ready.
    let handover = section(
        &sheet,
        "oc scale deployment mistral-3-bf16-predictor -n private-ai --replicas=0",
    );
    let wait = format!("**{}**, reached at {}:", minutes(ready - 720.0), clock(ready));
    assert!(handover.contains(&wait), "{wait}\n{handover}");
    assert!(
        handover.contains("then, admitted on the quota that frees: devstral-2 Ready"),
        "{handover}"
    );
    let gone = format!(
        "`{}` pod `{}` gone after 30 s; Workload `{}` Finished: quota released (4 nvidia.com/gpu in flavor nvidia-l4-4gpu of ClusterQueue rhoai-main-queue)",
        clock(released),
        bf16.pod,
        bf16.name
    );
    assert!(handover.contains(&gone), "{gone}\n{handover}");
    let admits = format!(
        "`{}` Kueue admits devstral-2's Workload `{}` after {} Pending",
        clock(admitted),
        devstral.name,
        minutes(admitted - devstral.created_s)
    );
    assert!(handover.contains(&admits), "{admits}\n{handover}");
    // The kubelet's start-up, step by step, is the one the report's cold starts list.
    let cold = report
        .cold_starts
        .iter()
        .find(|c| c.pod == devstral.pod)
        .expect("Devstral's cold start");
    assert_eq!(cold.bound_s, admitted, "scheduled as soon as admitted");
    let steps: Vec<&str> = handover.lines().filter_map(|l| l.strip_prefix("  - ")).collect();
    let names: Vec<String> = cold.steps.iter().map(|s| format!("{}: ", s.step)).collect();
    assert_eq!(steps.len(), names.len(), "{handover}");
    for (line, name) in steps.iter().zip(&names) {
        assert!(line.starts_with(name.as_str()), "{line} / {name}");
    }
    let pods = format!("`oc get pods -n private-ai` at {}, when it is reached:", clock(ready));
    assert!(handover.contains(&pods), "{handover}");
    let table = handover.split(&pods).nth(1).unwrap();
    let devstral_row = table
        .lines()
        .find(|l| l.starts_with(&devstral.pod))
        .expect("Devstral's row");
    assert!(
        devstral_row.contains("1/1") && devstral_row.contains("Running"),
        "{devstral_row}"
    );
    assert!(!table.contains(&bf16.pod), "BF16's pod is gone: {table}");

    // Scaling Devstral up first: it waits on quota until the next command frees it.
    let pending = section(
        &sheet,
        "oc scale deployment devstral-2-predictor -n private-ai --replicas=1",
    );
    assert!(
        pending.contains(&format!(
            "**{}**, reached at {} — not before the next command",
            minutes(ready - 600.0),
            clock(ready)
        )),
        "{pending}"
    );
    assert!(
        pending.contains("SchedulingGated — Kueue: Pending since 00:10:00: couldn't assign flavors to pod set main"),
        "{pending}"
    );
    assert!(
        pending
            .contains("the quota mistral-3-bf16's pod gave back after `oc scale deployment mistral-3-bf16-predictor"),
        "{pending}"
    );
    assert!(
        pending.contains("`oc get pods -n private-ai` before the next command"),
        "{pending}"
    );

    // Back to the baseline at 30:00: BF16 is Ready again once Devstral's quota is back.
    let back = workload(&report, "mistral-3-bf16", 1);
    let back_ready = back.ready_s.expect("BF16 Ready again");
    for text in [
        "oc scale deployment mistral-3-bf16-predictor -n private-ai --replicas=1",
        "oc scale deployment devstral-2-predictor -n private-ai --replicas=0",
    ] {
        let s = section(&sheet, text);
        assert!(
            s.contains(&format!(
                "**{}**, reached at {}:",
                minutes(back_ready - 1800.0),
                clock(back_ready)
            )),
            "{s}"
        );
    }

    // Reads wait for nothing; a command `oc` refuses changes nothing.
    // Each is one line of the sheet, not a section.
    assert!(
        sheet.contains("`00:25:00` `oc get workloads -n private-ai` — nothing to wait for: it only reads.\n"),
        "{sheet}"
    );
    assert!(
        sheet.contains("`00:44:30` `oc scale inferenceservice --all -n private-ai --replicas=0` — nothing to wait for: `oc` refused it, nothing changed: Error from server (NotFound)"),
        "{sheet}"
    );
}

#[test]
fn a_deadlocked_rollout_is_cued_as_such_and_the_fix_as_its_way_out() {
    let sheet = cues("scenarios/gpuaas-demo/rolling-update-deadlock.yaml");
    let report = report("scenarios/gpuaas-demo/rolling-update-deadlock.yaml");
    let deadlock = &report.deadlocks[0];
    // The new ReplicaSet's pod, gated at the annotation and Ready in the end.
    let ready = report
        .workloads
        .iter()
        .find(|w| w.created_s > 0.0 && deadlock.pods.iter().any(|p| p.ends_with(&format!("/{}", w.pod))))
        .and_then(|w| w.ready_s)
        .expect("the gated pod Ready in the end");
    let annotate = section(&sheet, "oc annotate inferenceservice mistral-3-int4 -n private-ai argocd.argoproj.io/tracking-id=private-ai:serving.kserve.io/InferenceService:private-ai/mistral-3-int4 --overwrite");
    assert!(
        annotate.contains("**Wait for:** mistral-3-int4 rolled out"),
        "{annotate}"
    );
    assert!(
        annotate.contains(&format!(
            "Deadlock detected at {}: {}",
            clock(deadlock.detected_s),
            deadlock.description
        )),
        "{annotate}"
    );
    assert!(annotate.contains(&format!("Fix: {}", deadlock.fix)), "{annotate}");
    assert!(
        annotate.contains("not before the next command (`oc patch inferenceservice"),
        "{annotate}"
    );
    // The patch to Recreate ends the deadlock: the old pod goes, its quota admits the new.
    let patch = section(&sheet, "oc patch inferenceservice mistral-3-int4 -n private-ai --type merge -p '{\"spec\":{\"predictor\":{\"deploymentStrategy\":{\"type\":\"Recreate\"}}}}'");
    let resolved = deadlock.resolved_s.expect("resolved by the patch");
    assert!(patch.contains(&format!("reached at {}:", clock(ready))), "{patch}");
    assert!(
        patch.contains(&format!("`{}` pod `", clock(resolved + 30.0))),
        "{patch}"
    );
    assert!(!patch.contains("Deadlock detected"), "{patch}");
}

#[test]
fn a_model_never_admitted_is_cued_with_kueues_reason_at_the_end() {
    let sheet = cues("scenarios/gpuaas-demo/efficiency.yaml");
    let report = report("scenarios/gpuaas-demo/efficiency.yaml");
    let gpt = workload(&report, "gpt-oss-20b", 0);
    assert_eq!(gpt.state, "Pending");
    let s = section(
        &sheet,
        "oc scale deployment gpt-oss-20b-predictor -n private-ai --replicas=1",
    );
    assert!(s.contains("**Not reached by 00:30:00**, the end of the run."), "{s}");
    let message = gpt.message.as_deref().expect("Kueue's message");
    assert!(
        s.contains(&format!(
            "`{}` SchedulingGated — Kueue: Pending since 00:11:00: {message}",
            gpt.pod
        )),
        "{s}"
    );
    assert!(s.contains("`oc get pods -n private-ai` at 00:30:00, the end:"), "{s}");
    // BF16's scale-down frees quota nobody waits for yet: it is over when the pod is gone.
    let down = section(
        &sheet,
        "oc scale deployment mistral-3-bf16-predictor -n private-ai --replicas=0",
    );
    let bf16 = workload(&report, "mistral-3-bf16", 0);
    let gone = bf16.finished_s.unwrap();
    assert!(
        down.contains(&format!("**30 s**, reached at {}:", clock(gone))),
        "{down}"
    );
    assert!(!down.contains("then, admitted"), "{down}");
}

#[test]
fn the_cue_sheet_goes_to_a_file_with_out_and_refuses_pacing_flags() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["rehearse", "scenarios/gpuaas-demo/handover.yaml", "--cues", "--out"])
        .arg(dir.path())
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let written = std::fs::read_to_string(dir.path().join("cues.md")).unwrap();
    assert_eq!(written, cues("scenarios/gpuaas-demo/handover.yaml"));
    assert!(
        !dir.path().join("report.json").exists(),
        "--cues writes the cue sheet alone"
    );

    for flags in [
        &["--interactive"][..],
        &["--speed", "60"],
        &["--watch", "oc get pods"],
        &["--from", "1m"],
        &["--serve", "127.0.0.1:0"],
    ] {
        let out = bin()
            .args(["rehearse", "scenarios/gpuaas-demo/handover.yaml", "--cues"])
            .args(flags)
            .current_dir(repo())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flags:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("cannot be used with"),
            "{flags:?}"
        );
    }
    let out = bin()
        .args(["rehearse", "scenarios/gpuaas-demo/", "--cues"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rehearse plays one scenario"));
}
