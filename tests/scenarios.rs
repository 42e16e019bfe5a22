//! Every bundled scenario runs through `check` and its expectations hold; runs are
//! reproducible; the outcomes do not depend on how the manifests are laid out.

mod common;
use common::*;

#[test]
fn bundled_demo_scenarios_pass_check() {
    let out = bin()
        .args(["check", "scenarios/gpuaas-demo/"])
        .current_dir(repo())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    for name in [
        "handover",
        "efficiency",
        "priority-queue",
        "rolling-update-deadlock",
        "rolling-update-recreate",
    ] {
        assert!(
            stdout.contains(&format!("ok     {name}:")),
            "{name} missing from\n{stdout}"
        );
    }
}

#[test]
fn every_bundled_scenario_file_has_expectations_that_hold() {
    let mut count = 0;
    let files = [
        "scenarios/gpuaas-demo",
        "scenarios/capacity",
        "scenarios/multi-team",
        "scenarios/llm-d",
        "scenarios/autoscaling",
        "scenarios/batch-frameworks",
    ]
    .iter()
    .flat_map(|d| std::fs::read_dir(repo().join(d)).unwrap())
    .map(|e| e.unwrap().path());
    for p in files {
        if p.extension().is_some_and(|e| e == "yaml") && !p.ends_with("two-replicas.yaml") {
            let done = simulate(&p);
            assert!(!done.outcomes.is_empty(), "{} has no expectations", p.display());
            for o in &done.outcomes {
                assert!(o.passed, "{}: {} — {}", p.display(), o.expectation.text, o.detail);
            }
            count += 1;
        }
    }
    // llm-d's two-replicas.yaml is an `oc apply` input, not a scenario.
    assert_eq!(count, 14);
}

/// The multi-team fleet: research borrows two of chat's H100s; chat's scale-up reclaims
/// them by preempting the fine-tune, which later resumes from its 5-minute checkpoint.
#[test]
fn multi_team_fleet_borrows_reclaims_and_resumes_from_a_checkpoint() {
    let done = simulate(&repo().join("scenarios/multi-team/fleet.yaml"));
    let research = done
        .report
        .cluster_queues
        .iter()
        .find(|c| c.name == "research")
        .unwrap();
    let borrowed: Vec<f64> = research
        .usage_over_time
        .iter()
        .map(|s| {
            s.borrowed
                .get("nvidia-h100")
                .and_then(|b| b.get("nvidia.com/gpu"))
                .map_or(0.0, |a| a.0)
        })
        .collect();
    assert!(borrowed.contains(&2.0), "{borrowed:?}");
    let log = &done.result.engine.store().events;
    let preempted: Vec<_> = log.iter().filter(|e| e.kind == "Preempted").collect();
    assert_eq!(preempted.len(), 1, "{preempted:?}");
    assert!(preempted[0].object.contains("job-finetune"), "{:?}", preempted[0]);
    assert!(
        preempted[0].message.ends_with("(InCohortReclamation)"),
        "{}",
        preempted[0].message
    );
    assert_eq!(preempted[0].t.as_secs_f64(), 600.0);
    let stopped = log.iter().find(|e| e.kind == "Stopped").unwrap();
    assert!(stopped.message.contains("checkpoint at 5m"), "{}", stopped.message);
    // Resumed at 40m30s (the scaled-down replicas' grace period), it runs the 25 minutes
    // left after its pods are Ready again.
    let ready_again = log
        .iter()
        .filter(|e| e.kind == "Ready" && e.object.contains("research/finetune-") && e.t.as_secs_f64() > 2400.0)
        .map(|e| e.t.as_secs_f64())
        .fold(0.0, f64::max);
    let completed = log
        .iter()
        .find(|e| e.kind == "Completed" && e.object == "Job research/finetune")
        .unwrap();
    assert_eq!(completed.t.as_secs_f64() - ready_again, 25.0 * 60.0);
}

#[test]
fn same_seed_gives_byte_identical_reports() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for d in [&a, &b] {
        let st = bin()
            .args(["run", "scenarios/gpuaas-demo/handover.yaml", "--out"])
            .arg(d.path())
            .current_dir(repo())
            .status()
            .unwrap();
        assert!(st.success());
    }
    let ja = std::fs::read(a.path().join("report.json")).unwrap();
    let jb = std::fs::read(b.path().join("report.json")).unwrap();
    assert_eq!(ja, jb);
    let md = std::fs::read_to_string(a.path().join("report.md")).unwrap();
    assert!(md.contains("# Scenario `handover`"));
}

#[test]
fn report_json_has_the_documented_top_level_keys() {
    let done = simulate(&repo().join("scenarios/gpuaas-demo/handover.yaml"));
    // The documented keys are those report.json is written with.
    let r = serde_json::to_value(&done.report).unwrap();
    for key in [
        "schema",
        "scenario",
        "seed",
        "duration_s",
        "events",
        "workloads",
        "pods",
        "cluster_queues",
        "nodes",
        "models",
        "cold_starts",
        "utilization",
        "cost",
        "deadlocks",
        "expectations",
    ] {
        assert!(r.get(key).is_some(), "missing {key}");
    }
    let r = &done.report;
    assert_eq!(r.schema, "gpuaas-sim/report/v1");
    let devstral = r.workloads.iter().find(|w| w.owner == "devstral-2").unwrap();
    assert_eq!(
        devstral
            .flavors
            .get("main")
            .and_then(|f| f.get("nvidia.com/gpu"))
            .map(String::as_str),
        Some("nvidia-l4-4gpu")
    );
    assert_eq!(
        devstral.admitted_s,
        Some(750.0),
        "admitted when the BF16 pod is gone: 12m + 30s grace"
    );
}

/// The handover told as the seed tells it, but with manifests laid out differently:
/// one multi-document file, node pools instead of Node objects, no kustomization.
#[test]
fn outcomes_do_not_depend_on_manifest_layout() {
    let isvc = |name: &str, gpus: u32, min: u32, storage: &str| {
        format!(
            r#"---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: {name}
  namespace: private-ai
spec:
  predictor:
    minReplicas: {min}
    deploymentStrategy: {{type: Recreate}}
    tolerations: [{{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}}]
    model:
      modelFormat: {{name: vLLM}}
      storageUri: {storage}
      args: ["--tensor-parallel-size={gpus}", "--max-model-len=16384"]
      resources:
        limits: {{cpu: "4", memory: 24Gi, nvidia.com/gpu: "{gpus}"}}
"#
        )
    };
    let runtime = r#"---
apiVersion: serving.kserve.io/v1alpha1
kind: ServingRuntime
metadata: {name: vllm, namespace: private-ai}
spec:
  supportedModelFormats: [{name: vLLM, autoSelect: true}]
  containers: [{name: kserve-container, image: vllm, args: ["--model=/mnt/models"]}]
"#;
    let all = format!(
        "{CLUSTER}{runtime}{}{}{}",
        isvc("mistral-3-bf16", 4, 1, "s3://models/mistral-small-24b/"),
        isvc(
            "mistral-3-int4",
            1,
            1,
            "oci://registry.redhat.io/rhelai1/modelcar-mistral-small-3-1-24b-instruct-2503-quantized-w4a16:1.5"
        ),
        isvc("devstral-2", 4, 0, "s3://models/devstral-small-2507/")
    );
    let scenario = format!(
        r#"apiVersion: gpuaas-sim/v1alpha1
kind: Scenario
metadata: {{name: handover-elsewhere}}
spec:
  duration: 30m
  include: [everything.yaml]
{NODE_POOLS}
  timeline:
    - {{at: 10m, run: "kubectl scale deploy/devstral-2-predictor -n private-ai --replicas=1"}}
    - {{at: 12m, run: "kubectl scale deploy/mistral-3-bf16-predictor -n private-ai --replicas=0"}}
  expect:
    - {{at: 11m, workload: devstral-2, state: Pending}}
    - {{by: 13m, workload: devstral-2, state: Admitted}}
    - {{by: 25m, workload: devstral-2-predictor, state: Ready}}
    - {{at: 25m, workload: mistral-3-bf16, state: Finished}}
"#
    );
    let dir = folder(&[("everything.yaml", &all), ("scenario.yaml", &scenario)]);
    let done = simulate(&dir.path().join("scenario.yaml"));
    for o in &done.outcomes {
        assert!(o.passed, "{} — {}", o.expectation.text, o.detail);
    }
    assert!(done.result.engine.store().pods.values().all(|p| p.crash.restarts == 0));
    let devstral = done
        .result
        .engine
        .store()
        .workloads
        .values()
        .find(|w| w.owner == "devstral-2")
        .unwrap();
    assert_eq!(devstral.admitted_at.map(|t| t.0), Some(750_000));
}

/// The llm-d step: one LeaderWorkerSet group over the two single-L4 nodes, one pod on
/// each; a second replica waits whole.
#[test]
fn llm_d_spreads_one_group_over_two_nodes_and_a_second_waits_whole() {
    let done = simulate(&repo().join("scenarios/llm-d/scale-out.yaml"));
    let world = done.result.engine.store();
    let nodes: std::collections::BTreeSet<_> = ["mistral-3-int4-llmd-kserve-mn-0", "mistral-3-int4-llmd-kserve-mn-0-1"]
        .iter()
        .map(|p| world.pod("private-ai", p).unwrap().node.clone().unwrap())
        .collect();
    assert_eq!(nodes.len(), 2, "{nodes:?}");
    for p in ["mistral-3-int4-llmd-kserve-mn-1", "mistral-3-int4-llmd-kserve-mn-1-1"] {
        assert_eq!(world.pod("private-ai", p).unwrap().status(), "SchedulingGated", "{p}");
    }
    // Both data-parallel ranks of the first group serve the service's requests.
    let replicas = &done.report.models["mistral-3-int4-llmd"].replicas;
    let served: Vec<(&str, u64)> = replicas.iter().map(|r| (r.pod.as_str(), r.completed)).collect();
    assert_eq!(served.len(), 2, "{served:?}");
    assert!(served.iter().all(|(_, n)| *n > 300), "{served:?}");
}
