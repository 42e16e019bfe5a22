//! The closed loop: requests served in the cluster's event loop move it through the
//! autoscalers. Given these manifests, traffic and commands, at this time the predictor
//! asks for this many replicas, for this reason.

mod common;
use common::*;

/// An InferenceService of Llama 3.1 8B on one L4, with these annotations and predictor
/// fields.
fn isvc(name: &str, annotations: &str, predictor: &str) -> String {
    chat_isvc("RawDeployment", name, annotations, predictor)
}

fn run(manifests: &str, spec_tail: &str) -> gpuaas_sim::Completed {
    run_on_l4s(manifests, spec_tail)
}

fn replicas(done: &gpuaas_sim::Completed, deployment: &str) -> i32 {
    done.result
        .engine
        .store()
        .deployment("chat", deployment)
        .map(|d| d.spec.replicas)
        .unwrap_or(-1)
}

fn events<'a>(done: &'a gpuaas_sim::Completed, object: &str) -> Vec<(f64, &'a str, &'a str)> {
    done.report
        .events
        .iter()
        .filter(|e| e.object == object)
        .map(|e| (e.t_s, e.kind.as_str(), e.message.as_str()))
        .collect()
}

#[test]
fn a_predictor_scaled_by_hand_above_max_replicas_is_brought_back_by_kserves_hpa() {
    let manifests = format!("{CHAT_RUNTIME}{}", isvc("chat", "", "    minReplicas: 1\n"));
    let done = run(
        &manifests,
        "  duration: 12m\n  timeline:\n    - {at: 10m, run: \"oc scale deployment chat-predictor -n chat --replicas=2\"}\n",
    );
    // KServe's HPA: min 1, max max(maxReplicas, min) = 1. Its next sync after 10:00
    // (every 15 s from its creation at 0:00) undoes the hand-made change.
    let rescales = events(&done, "HorizontalPodAutoscaler chat/chat-predictor");
    let back = rescales
        .iter()
        .find(|(_, kind, _)| *kind == "SuccessfulRescale")
        .unwrap_or_else(|| panic!("{rescales:?}"));
    assert_eq!(back.0, 600.0);
    assert_eq!(
        back.2,
        "New size: 1; reason: Current number of replicas above Spec.MaxReplicas"
    );
    assert_eq!(replicas(&done, "chat-predictor"), 1);
}

#[test]
fn with_autoscaler_class_none_a_hand_made_scale_sticks() {
    let manifests = format!(
        "{CHAT_RUNTIME}{}",
        isvc(
            "chat",
            ", serving.kserve.io/autoscalerClass: none",
            "    minReplicas: 1\n"
        )
    );
    let done = run(
        &manifests,
        "  duration: 12m\n  timeline:\n    - {at: 10m, run: \"oc scale deployment chat-predictor -n chat --replicas=2\"}\n",
    );
    assert!(done.result.engine.store().hpas.is_empty());
    assert_eq!(replicas(&done, "chat-predictor"), 2);
}

#[test]
fn a_target_scaled_to_zero_by_hand_disables_its_hpa_instead_of_being_brought_back() {
    let manifests = format!("{CHAT_RUNTIME}{}", isvc("chat", "", "    minReplicas: 1\n"));
    let done = run(
        &manifests,
        "  duration: 12m\n  timeline:\n    - {at: 10m, run: \"oc scale deployment chat-predictor -n chat --replicas=0\"}\n",
    );
    assert_eq!(replicas(&done, "chat-predictor"), 0);
    let hpa = done.result.engine.store().hpas.values().next().expect("KServe's HPA");
    assert!(
        hpa.status
            .conditions
            .iter()
            .any(|(kind, status, reason)| kind == "ScalingActive" && !status && reason == "ScalingDisabled"),
        "{:?}",
        hpa.status.conditions
    );
}

#[test]
fn keda_on_waiting_requests_scales_up_under_load_and_the_hpa_on_cpu_does_not() {
    let keda = isvc(
        "chat-keda",
        ", serving.kserve.io/autoscalerClass: keda",
        r#"    minReplicas: 1
    maxReplicas: 3
    autoScaling:
      metrics:
        - type: External
          external:
            metric: {backend: prometheus, query: 'sum(vllm:num_requests_waiting{model_name="chat-keda"})'}
            target: {type: Value, value: "3"}
"#,
    );
    let cpu = isvc("chat-cpu", "", "    minReplicas: 1\n    maxReplicas: 3\n");
    let traffic = "  duration: 30m\n  traffic:\n    - {target: chat-keda, start: 5m, rate: 3/s, prompt_tokens: 1000, output_tokens: 250}\n    - {target: chat-cpu, start: 5m, rate: 3/s, prompt_tokens: 1000, output_tokens: 250}\n";
    let done = run(&format!("{CHAT_RUNTIME}{keda}{cpu}"), traffic);
    let decisions = &done.report.scaling_decisions;
    let first = decisions
        .iter()
        .find(|d| d.target == "chat/chat-keda-predictor")
        .unwrap_or_else(|| panic!("{decisions:?}"));
    assert!(first.to > first.from, "{first:?}");
    assert_eq!(first.reason, "external metric s0-prometheus above target");
    assert!(first.metric.starts_with("s0-prometheus "), "{}", first.metric);
    // After the queue builds (traffic from 5:00), within the next polls.
    assert!((300.0..=600.0).contains(&first.t_s), "{first:?}");
    assert!(
        decisions.iter().all(|d| d.target != "chat/chat-cpu-predictor"),
        "{decisions:?}"
    );
    let isvc = |n: &str| {
        done.report
            .inference_services
            .iter()
            .find(|i| i.name == n)
            .unwrap_or_else(|| panic!("{n}"))
    };
    assert_eq!(isvc("chat-cpu").max_ready_replicas, 1);
    assert!(isvc("chat-keda").max_ready_replicas >= 2);
    // The CPU HPA read the pods' use and found it far below target.
    let hpa = done
        .result
        .engine
        .store()
        .hpas
        .values()
        .find(|h| h.namespace == "chat" && h.status.targets.iter().any(|t| t.ends_with("/80%")))
        .expect("KServe's CPU HPA");
    let shown = &hpa.status.targets[0];
    let percent: i32 = shown.split('%').next().and_then(|p| p.parse().ok()).unwrap_or(-1);
    assert!((1..50).contains(&percent), "{shown}");
}

#[test]
fn a_query_that_is_not_promql_is_refused_at_its_line_with_the_offset() {
    let manifests = format!(
        "{CHAT_RUNTIME}{}",
        isvc(
            "chat",
            ", serving.kserve.io/autoscalerClass: keda",
            r#"    autoScaling:
      metrics:
        - type: External
          external:
            metric: {backend: prometheus, query: 'sum(vllm:num_requests_waiting) offset 5m'}
            target: {type: Value, value: "3"}
"#,
        )
    );
    let scenario =
        "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {name: loop}\nspec:\n  include: [m.yaml]\n";
    let dir = folder(&[("m.yaml", &manifests), ("s.yaml", scenario)]);
    let out = bin().arg("check").arg(dir.path().join("s.yaml")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("m.yaml:"), "{err}");
    assert!(err.contains("offset"), "{err}");
}

/// `check` on these manifests: its exit code and what it printed.
fn check(manifests: &str) -> (Option<i32>, String) {
    let scenario =
        "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {name: loop}\nspec:\n  include: [m.yaml]\n";
    let dir = folder(&[("m.yaml", manifests), ("s.yaml", scenario)]);
    let out = bin().arg("check").arg(dir.path().join("s.yaml")).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[test]
fn autoscaler_manifests_a_user_gets_wrong_are_refused_at_their_line() {
    let hpa = |spec: &str| {
        format!(
            "{CHAT_RUNTIME}---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: h, namespace: chat}}\nspec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: d}}\n{spec}"
        )
    };
    let cases = [
        // A misspelt field is refused, as kubectl's strict validation refuses it.
        (hpa("  maxReplicas: 3\n  minReplica: 2\n"), "m.yaml:", "did you mean `minReplicas`"),
        (
            hpa("  maxReplicas: 3\n  behavior: {scaleDown: {stabilizationWindowSecond: 60}}\n"),
            "spec.behavior.scaleDown.stabilizationWindowSecond",
            "stabilizationWindowSeconds",
        ),
        (
            format!("{CHAT_RUNTIME}{}", isvc("chat", ", serving.kserve.io/autoscalerClass: kedaa", "    minReplicas: 1\n")),
            "unknown autoscaler class type: kedaa",
            "hpa (the default), keda, external and none",
        ),
        (
            format!("{CHAT_RUNTIME}{}", isvc("chat", ", serving.kserve.io/autoscalerClass: keda", "    minReplicas: 1\n")),
            "needs an External metric",
            "autoScaling",
        ),
        (
            format!(
                "{}---\napiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {{name: so, namespace: chat}}\nspec:\n  scaleTargetRef: {{name: d}}\n  triggers:\n    - type: prometheus\n      metadata: {{serverAddress: http://p:9090, query: 'sum(vllm:num_requests_waiting)', threshold: '3'}}\n",
                hpa("  maxReplicas: 3\n")
            ),
            "is already managed by the hpa 'h'",
            "one autoscaler",
        ),
    ];
    for (manifests, at, says) in cases {
        let (code, text) = check(&manifests);
        assert_eq!(code, Some(2), "{text}");
        assert!(text.contains(at) && text.contains(says), "{at} / {says}:\n{text}");
    }
}

#[test]
fn a_scaled_object_that_could_never_come_back_from_zero_is_warned_about() {
    let manifests = format!(
        "{CHAT_RUNTIME}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d, namespace: chat}}\nspec:\n  replicas: 1\n  selector: {{matchLabels: {{app: d}}}}\n  template:\n    metadata: {{labels: {{app: d}}}}\n    spec:\n      containers: [{{name: c, image: x}}]\n---\napiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {{name: so, namespace: chat}}\nspec:\n  scaleTargetRef: {{name: d}}\n  minReplicaCount: 0\n  triggers:\n    - type: prometheus\n      metadata: {{serverAddress: http://p:9090, query: 'sum(vllm:num_requests_waiting)', threshold: '3'}}\n"
    );
    let dir = folder(&[
        ("m.yaml", &manifests),
        (
            "s.yaml",
            "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {name: loop}\nspec:\n  include: [m.yaml]\n  duration: 5m\n",
        ),
    ]);
    let done = simulate(&dir.path().join("s.yaml"));
    let warned = done
        .report
        .inputs
        .warnings
        .iter()
        .any(|w| w.contains("never activated again"));
    assert!(warned, "{:?}", done.report.inputs.warnings);
}

#[test]
fn two_hpas_over_one_deployment_refuse_to_scale_as_the_controller_does() {
    let manifests = format!(
        "{CHAT_RUNTIME}{}---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: mine, namespace: chat}}\nspec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: chat-predictor}}\n  minReplicas: 2\n  maxReplicas: 3\n",
        isvc("chat", "", "    minReplicas: 1\n")
    );
    let done = run(&manifests, "  duration: 5m\n");
    assert!(
        done.report.scaling_decisions.is_empty(),
        "{:?}",
        done.report.scaling_decisions
    );
    let ambiguous = events(&done, "HorizontalPodAutoscaler chat/mine");
    assert!(
        ambiguous.iter().any(|(_, kind, msg)| *kind == "AmbiguousSelector"
            && msg.contains("controlled by multiple HPAs: [chat-predictor mine]")),
        "{ambiguous:?}"
    );
}

#[test]
fn a_patched_hpa_acts_on_its_new_spec_at_its_next_sync() {
    let manifests = format!(
        "{CHAT_RUNTIME}{}---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: mine, namespace: chat}}\nspec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: chat-predictor}}\n  minReplicas: 1\n  maxReplicas: 3\n",
        isvc("chat", ", serving.kserve.io/autoscalerClass: external", "    minReplicas: 1\n")
    );
    let done = run(
        &manifests,
        "  duration: 12m\n  timeline:\n    - {at: 10m, run: \"oc patch hpa mine -n chat --type merge -p '{\\\"spec\\\":{\\\"minReplicas\\\":2}}'\"}\n",
    );
    let rescale = done
        .report
        .scaling_decisions
        .iter()
        .find(|d| d.autoscaler == "chat/mine")
        .unwrap_or_else(|| panic!("{:?}", done.report.scaling_decisions));
    assert_eq!((rescale.t_s, rescale.from, rescale.to), (600.0, 1, 2));
    assert_eq!(rescale.reason, "Current number of replicas below Spec.MinReplicas");
    assert_eq!(
        done.report.timeline[0].output,
        "horizontalpodautoscaler.autoscaling/mine patched"
    );
}

#[test]
fn a_deployment_mode_kserve_does_not_know_is_warned_about() {
    let manifests = format!("{CHAT_RUNTIME}{}", isvc("chat", "", "    minReplicas: 1\n")).replace(
        "serving.kserve.io/deploymentMode: RawDeployment",
        "serving.kserve.io/deploymentMode: serverless",
    );
    let done = run(&manifests, "  duration: 2m\n");
    assert!(
        done.report
            .inputs
            .warnings
            .iter()
            .any(|w| w.contains("deploymentMode `serverless` is not a mode KServe knows")),
        "{:?}",
        done.report.inputs.warnings
    );
}
