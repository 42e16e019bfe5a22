//! KServe's Serverless mode: Knative's Pod Autoscaler scales the predictor in the closed
//! loop, to zero after the grace period and back from zero through the activator.

mod common;
use common::*;

/// A Serverless InferenceService of Llama 3.1 8B on one L4, with these annotations and
/// predictor fields.
fn isvc(name: &str, annotations: &str, predictor: &str) -> String {
    chat_isvc("Serverless", name, annotations, predictor)
}

fn run(manifests: &str, spec_tail: &str) -> gpuaas_sim::Completed {
    run_on_l4s(manifests, spec_tail)
}

fn decisions(done: &gpuaas_sim::Completed) -> Vec<&gpuaas_sim::report::model::ScalingDecisionRecord> {
    done.report
        .scaling_decisions
        .iter()
        .filter(|d| d.autoscaler_kind == "KnativePodAutoscaler")
        .collect()
}

/// Traffic from 5:00 to 8:00, none until 15:00, then three times as much until 25:00. The
/// predictor (minReplicas 0, so KServe writes min-scale 0) goes to zero a stable window
/// and a grace period after the first burst, the first request of the second waits at
/// the activator while a pod cold-starts, and the load then takes more replicas.
#[test]
fn serverless_scales_to_zero_after_the_grace_and_back_from_zero_under_load() {
    let manifests = format!(
        "{CHAT_RUNTIME}{}",
        isvc(
            "chat",
            "",
            "    minReplicas: 0\n    maxReplicas: 3\n    scaleTarget: 4\n"
        )
    );
    let traffic = "  duration: 30m\n  traffic:\n    - {target: chat, start: 5m, stop: 8m, rate: 0.5/s, timeout: 10m, prompt_tokens: 1000, output_tokens: 250}\n    - {target: chat, start: 15m, stop: 25m, rate: 1.5/s, timeout: 10m, prompt_tokens: 1000, output_tokens: 250}\n";
    let done = run(&manifests, traffic);
    let store = done.result.engine.store();
    // Knative scales it: KServe makes no HPA for a Serverless predictor.
    assert!(store.hpas.is_empty() && store.scaled_objects.is_empty());
    let ds = decisions(&done);
    let show = || format!("{ds:#?}");

    // To zero: the stable window (60 s) without a request in flight, then the grace
    // period behind the activator (already in the path: with target-burst-capacity 200
    // the revision never has burst capacity to spare).
    let zero = ds
        .iter()
        .find(|d| d.to == 0)
        .unwrap_or_else(|| panic!("never scaled to zero: {}", show()));
    assert_eq!(zero.reason, "scale to zero after the grace period 30s", "{}", show());
    assert!((540.0..600.0).contains(&zero.t_s), "{}", show());
    assert!(
        zero.metric.starts_with("concurrency 0.00 over the stable window"),
        "{}",
        show()
    );

    // From zero: the activator's poke at the first request after 15:00 (1.5 requests a
    // second: within seconds), not at a later tick.
    let up = ds
        .iter()
        .find(|d| d.from == 0 && d.t_s > zero.t_s)
        .unwrap_or_else(|| panic!("never activated: {}", show()));
    assert!((900.0..905.0).contains(&up.t_s), "{}", show());
    assert_eq!(up.to, 1);
    assert!(up.reason.starts_with("activation from zero"), "{}", show());

    // That request waited while the new pod started: its TTFT includes the cold start.
    let life = done
        .result
        .lives
        .lives
        .iter()
        .find(|l| l.bound_s >= up.t_s)
        .expect("the pod made at activation");
    let cold_start_s = life.ready_s.expect("it became ready") - up.t_s;
    assert!(cold_start_s > 30.0, "{cold_start_s}");
    let m = &done.report.models["chat"];
    assert!(
        m.ttft_ms.max.unwrap_or(0.0) >= cold_start_s * 1000.0,
        "{:?} < {cold_start_s}",
        m.ttft_ms.max
    );
    assert!(m.capacity_waits["cold_start"].arrived > 0, "{:?}", m.capacity_waits);
    assert_eq!(m.failed, 0, "{:?}", m.failed_by_reason);

    // Under load it takes more replicas, within maxReplicas.
    assert!(ds.iter().any(|d| d.t_s > up.t_s && d.to >= 2), "{}", show());
    assert!(ds.iter().all(|d| d.to <= 3), "{}", show());
    let record = done
        .report
        .inference_services
        .iter()
        .find(|i| i.name == "chat")
        .expect("chat");
    assert!(record.max_ready_replicas >= 2);
}

/// A request held at the activator fails after the revision's `timeoutSeconds`
/// (`spec.predictor.timeout`) even when the client would wait longer; without it the
/// activator holds a request up to Knative's default 300 s, longer than this cold start.
#[test]
fn the_activator_holds_requests_at_zero_until_the_revision_timeout() {
    let short = isvc("short", "", "    minReplicas: 0\n    timeout: 20\n");
    let default = isvc("default", "", "    minReplicas: 0\n");
    // Both go to zero about a minute after their first pods are ready (before 6:00); the
    // traffic from 10:00 finds them at zero and waits for a cold start (over 20 s).
    let traffic = "  duration: 14m\n  traffic:\n    - {target: short, start: 10m, stop: 11m, rate: 0.5/s, timeout: 10m, prompt_tokens: 500, output_tokens: 50}\n    - {target: default, start: 10m, stop: 11m, rate: 0.5/s, timeout: 10m, prompt_tokens: 500, output_tokens: 50}\n";
    let done = run(&format!("{CHAT_RUNTIME}{short}{default}"), traffic);
    for name in ["short", "default"] {
        let ds: Vec<_> = decisions(&done)
            .into_iter()
            .filter(|d| d.target == format!("chat/{name}-predictor"))
            .collect();
        assert!(
            ds.iter().any(|d| d.to == 0 && d.t_s < 600.0) && ds.iter().any(|d| d.from == 0 && d.t_s >= 600.0),
            "{name}: {ds:#?}"
        );
    }
    let short = &done.report.models["short"];
    assert!(
        short.failed_by_reason.get("no_ready_replica_503").copied().unwrap_or(0) > 0,
        "{:?}",
        short.failed_by_reason
    );
    let default = &done.report.models["default"];
    assert_eq!(default.failed, 0, "{:?}", default.failed_by_reason);
}

/// KServe writes `min-scale` from `minReplicas` (1 when unset) and drops the
/// InferenceService's own `min-scale`: without `minReplicas` the predictor never goes to
/// zero, whatever the annotation says.
#[test]
fn without_min_replicas_kserve_keeps_one_pod() {
    let manifests = format!(
        "{CHAT_RUNTIME}{}",
        isvc("chat", ", autoscaling.knative.dev/min-scale: \"0\"", "")
    );
    let done = run(&manifests, "  duration: 10m\n");
    assert!(decisions(&done).iter().all(|d| d.to != 0), "{:#?}", decisions(&done));
    assert_eq!(
        done.result
            .engine
            .store()
            .deployment("chat", "chat-predictor")
            .unwrap()
            .spec
            .replicas,
        1
    );
}

/// Knative's HPA class runs as an HPA (no upper bound without `maxReplicas`), not the
/// KPA.
#[test]
fn knatives_hpa_class_makes_an_hpa_instead_of_the_kpa() {
    let manifests = format!(
        "{CHAT_RUNTIME}{}",
        isvc(
            "chat",
            ", autoscaling.knative.dev/class: hpa.autoscaling.knative.dev",
            ""
        )
    );
    let done = run(&manifests, "  duration: 2m\n");
    let store = done.result.engine.store();
    let (key, hpa) = store.hpas.iter().next().expect("an HPA");
    assert_eq!(key.name, "chat-predictor");
    assert_eq!(
        hpa.owner,
        gpuaas_sim::store::AutoscalerOwner::InferenceService("chat".into())
    );
    assert!(decisions(&done).is_empty());
}

/// What Knative's or KServe's webhook refuses stops the run before it starts, at the line
/// of the annotation or field.
#[test]
fn bad_knative_annotations_are_refused_at_their_line() {
    let cases = [
        (
            ", autoscaling.knative.dev/window: \"5s\"",
            "",
            "autoscaling.knative.dev/window",
            "expected [6s, 1h] for autoscaling.knative.dev/window",
        ),
        (
            ", autoscaling.knative.dev/panic-threshold-percentage: \"50\"",
            "",
            "autoscaling.knative.dev/panic-threshold-percentage",
            "[110, 1000]",
        ),
        (
            "",
            "    scaleMetric: cpu\n",
            "scaleMetric",
            "[cpu] is not a supported metric",
        ),
        (
            "",
            "    annotations: {autoscaling.knative.dev/target: \"0\"}\n",
            "autoscaling.knative.dev/target",
            "at least 0.01",
        ),
        (
            "",
            "    deploymentStrategy: {type: Recreate}\n",
            "deploymentStrategy",
            "raw deployment mode",
        ),
        ("", "    timeout: 900\n", "timeout", "outside [0, 600]"),
        (
            ", autoscaling.knative.dev/class: custom.example.com",
            "",
            "autoscaling.knative.dev/class",
            "is not simulated",
        ),
    ];
    for (annotations, predictor, at, says) in cases {
        let manifests = format!("{CHAT_RUNTIME}{}", isvc("chat", annotations, predictor));
        // The line of the first mention of the field after the InferenceService starts.
        let start = manifests.find("kind: InferenceService").unwrap();
        let line = manifests[..start + manifests[start..].find(at).unwrap()]
            .lines()
            .count();
        let scenario =
            "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {name: kpa}\nspec:\n  include: [m.yaml]\n";
        let dir = folder(&[("m.yaml", &manifests), ("s.yaml", scenario)]);
        let out = bin().arg("check").arg(dir.path().join("s.yaml")).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{at}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("m.yaml:{line}:")), "{at}: line {line}: {err}");
        assert!(err.contains(says), "{at}: {err}");
    }
}
