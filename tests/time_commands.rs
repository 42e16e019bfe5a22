//! The read commands about time and history, in the bundled handover demo: given its
//! manifests and its commands, with these commands added, at this time `oc` says this.
//! `oc get events` and `oc describe`'s Events, `oc logs` of a serving pod, and the commands
//! that follow time (`oc get -w`, `oc wait`, `oc rollout status`), which print lines at
//! later instants without changing the run.

mod common;
use common::*;
use gpuaas_sim::Completed;

/// The handover demo (`scenarios/gpuaas-demo/handover.yaml`) with `extra` timeline
/// entries after its own, run.
fn handover_with(extra: &[&str]) -> Completed {
    let demo = repo().join("scenarios/gpuaas-demo");
    let text = std::fs::read_to_string(demo.join("handover.yaml")).unwrap();
    let mut text = text
        .replace(
            "include: [manifests/]",
            &format!("include: [{}/manifests/]", demo.display()),
        )
        .replace("../traces/", &format!("{}/scenarios/traces/", repo().display()));
    let entries: String = extra.iter().map(|e| format!("    - {e}\n")).collect();
    // After the demo's own entries: at one instant, entries run in the order written.
    text = text.replacen("  expect:\n", &format!("{entries}  expect:\n"), 1);
    let dir = folder(&[("handover.yaml", &text)]);
    simulate(&dir.path().join("handover.yaml"))
}

/// What the command `command` printed, at its instant, and its later lines as
/// `[HH:MM:SS] line`.
fn printed(done: &Completed, at: &str, command: &str) -> (String, Vec<String>) {
    let t = done
        .result
        .transcript
        .iter()
        .find(|t| t.command == command && t.t.to_string() == at)
        .unwrap_or_else(|| panic!("{command} at {at} not in the transcript"));
    (
        t.output.clone(),
        t.follow.iter().map(|l| format!("[{}] {}", l.t, l.line)).collect(),
    )
}

/// The demo's devstral pod, whose name the run draws.
fn devstral_pod(done: &Completed) -> String {
    done.result
        .lives
        .lives
        .iter()
        .find(|l| l.pod.starts_with("devstral-2-predictor-"))
        .map(|l| l.pod.clone())
        .expect("devstral ran")
}

const INT4_LOGS: &str = "oc logs deployment/mistral-3-int4-predictor -n private-ai";

#[test]
fn events_say_what_the_kubelet_kueue_and_the_controllers_did_as_kubectl_lists_it() {
    let cmd = "oc get events -n private-ai --field-selector involvedObject.name=mistral-3-int4-predictor --sort-by=.lastTimestamp";
    let done = handover_with(&[
        &format!("{{at: 9m, run: \"{cmd}\"}}"),
        "{at: 9m, run: \"oc get events -A --field-selector type=Warning\"}",
    ]);
    let (out, _) = printed(&done, "00:09:00", cmd);
    assert_eq!(
        out,
        "LAST SEEN   TYPE      REASON                         OBJECT                                             MESSAGE\n\
         9m          Normal    ScalingReplicaSet              deployment/mistral-3-int4-predictor                Scaled up replica set mistral-3-int4-predictor-5fd7c8c7cc from 0 to 1\n\
         9m          Warning   FailedComputeMetricsReplicas   horizontalpodautoscaler/mistral-3-int4-predictor   invalid metrics (1 invalid out of 1), first error is: did not receive metrics for targeted pods (pods might be unready)"
    );
    let (warnings, _) = printed(&done, "00:09:00", "oc get events -A --field-selector type=Warning");
    assert!(
        warnings.starts_with("NAMESPACE    LAST SEEN   TYPE      REASON"),
        "{warnings}"
    );
    assert!(warnings.lines().skip(1).all(|l| l.contains(" Warning ")), "{warnings}");
}

#[test]
fn a_pods_events_are_the_kubelets_steps_with_the_times_the_start_up_plan_gave_them() {
    let done = handover_with(&[
        "{at: 9m, run: \"oc get events -n private-ai --field-selector involvedObject.kind=Pod,reason!=Scheduled\"}",
    ]);
    let (out, _) = printed(
        &done,
        "00:09:00",
        "oc get events -n private-ai --field-selector involvedObject.kind=Pod,reason!=Scheduled",
    );
    // The ModelCar's 15 GB pull took the 150 s the catalog's 100 MB/s gives it.
    let int4: Vec<&str> = out.lines().filter(|l| l.contains("pod/mistral-3-int4")).collect();
    let reasons: Vec<&str> = int4.iter().map(|l| l.split_whitespace().nth(2).unwrap()).collect();
    assert_eq!(
        reasons,
        [
            "CreatedWorkload",
            "Started",
            "Pulling",
            "Pulled",
            "Created",
            "Started",
            "Pulling",
            "Pulled",
            "Created",
            "Started",
            "Pulled",
            "Created",
            "Started"
        ],
        "{out}"
    );
    assert!(
        out.contains("Successfully pulled image \"registry.redhat.io/rhelai1/modelcar-mistral-small-3-1-24b-instruct-2503-quantized-w4a16:1.5\" in 2m30s (2m30s including waiting). Image size: 15000000000 bytes."),
        "{out}"
    );
    // The sidecar runs the image its init container pulled.
    assert!(
        out.contains("Container image \"registry.redhat.io/rhelai1/modelcar-mistral-small-3-1-24b-instruct-2503-quantized-w4a16:1.5\" already present on machine"),
        "{out}"
    );
    let pod = done
        .result
        .engine
        .store()
        .pods
        .values()
        .find(|p| p.name.starts_with("mistral-3-int4-predictor-"))
        .unwrap();
    assert_eq!(pod.startup[0].duration.as_secs_f64(), 150.0);
}

#[test]
fn oc_describe_shows_the_events_oc_get_events_lists() {
    let done = handover_with(&[
        "{at: 25m, run: \"oc describe pods -n private-ai\"}",
        "{at: 25m, run: \"oc get events -n private-ai --sort-by=.lastTimestamp\"}",
    ]);
    let pod = devstral_pod(&done);
    let (all, _) = printed(&done, "00:25:00", "oc describe pods -n private-ai");
    let describe = all
        .split("Name:             ")
        .find(|d| d.starts_with(&pod))
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap()
        .to_string();
    let section: Vec<(String, String)> = describe
        .split("Events:\n")
        .nth(1)
        .unwrap()
        .lines()
        .skip(2)
        .map(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            (cells[1].to_string(), l.split("  ").last().unwrap().trim().to_string())
        })
        .collect();
    let (events, _) = printed(
        &done,
        "00:25:00",
        "oc get events -n private-ai --sort-by=.lastTimestamp",
    );
    let listed: Vec<(String, String)> = events
        .lines()
        .filter(|l| l.contains(&format!("pod/{pod} ")))
        .map(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            (
                cells[2].to_string(),
                l.split(&format!("pod/{pod}")).nth(1).unwrap().trim().to_string(),
            )
        })
        .collect();
    assert_eq!(section, listed, "{describe}\n{events}");
    assert!(section
        .iter()
        .any(|(r, m)| r == "Started" && m == "Admitted by clusterQueue rhoai-main-queue"));
}

#[test]
fn a_serving_pods_log_is_vllms_start_up_and_stat_lines_at_their_simulated_instants() {
    let done = handover_with(&[&format!("{{at: 9m30s, run: \"{INT4_LOGS}\"}}")]);
    let (out, _) = printed(&done, "00:09:30", INT4_LOGS);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        &lines[..14],
        [
            "Defaulted container \"kserve-container\" out of: kserve-container, modelcar, modelcar-init (init)",
            "INFO 01-01 00:02:35 [gpu_model_runner.py:1770] Starting to load model /mnt/models...",
            "INFO 01-01 00:02:42 [default_loader.py:272] Loading weights took 7.50 seconds",
            "INFO 01-01 00:02:42 [gpu_model_runner.py:1801] Model loading took 13.9698 GiB and 7.500000 seconds",
            "INFO 01-01 00:02:47 [gpu_worker.py:232] Available KV cache memory: 5.22 GiB",
            "INFO 01-01 00:02:47 [kv_cache_utils.py:716] GPU KV cache size: 34,208 tokens",
            "INFO 01-01 00:02:47 [kv_cache_utils.py:720] Maximum concurrency for 8,192 tokens per request: 4.18x",
            "INFO 01-01 00:03:42 [core.py:172] init engine (profile, create kv cache, warmup model) took 60.00 seconds",
            "INFO 01-01 00:03:42 [loggers.py:137] Engine 000: vllm cache_config_info with initialization after num_gpu_blocks is: 2138",
            "INFO 01-01 00:03:42 [api_server.py:1475] Starting vLLM API server 0 on http://0.0.0.0:8080",
            "INFO:     Started server process [1]",
            "INFO:     Waiting for application startup.",
            "INFO:     Application startup complete.",
            "INFO:     Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)",
        ]
    );
    // The numbers are the pod's own: its memory plan and its start-up steps.
    let store = done.result.engine.store();
    let pod = store
        .pods
        .values()
        .find(|p| p.name.starts_with("mistral-3-int4-predictor-"))
        .unwrap();
    let plan = pod.memory.as_ref().unwrap();
    assert_eq!((plan.kv_capacity_tokens, plan.num_blocks), (34_208, 2138));
    let load = pod.startup.iter().find(|s| s.name.starts_with("load weights")).unwrap();
    assert_eq!(load.duration.as_secs_f64(), 7.5);
    // Then a stat line every 10 s from its Ready (00:03:52) while it has work, the first
    // requests arriving at 8m.
    let stats: Vec<&str> = lines[14..].to_vec();
    assert!(!stats.is_empty());
    for l in &stats {
        assert!(
            l.contains("[loggers.py:123] Engine 000: Avg prompt throughput: ")
                && l.contains(", Prefix cache hit rate: "),
            "{l}"
        );
        let secs: u32 = l[17..19].parse().unwrap();
        assert_eq!(secs % 10, 2, "{l}");
    }
    assert!(stats[0].starts_with("INFO 01-01 00:08:"), "{}", stats[0]);
}

#[test]
fn oc_logs_answers_as_the_api_server_for_a_pod_not_started_or_not_there() {
    let done = handover_with(&[
        "{at: 10m30s, run: \"oc logs deployment/devstral-2-predictor -n private-ai\"}",
        "{at: 13m, run: \"oc logs deployment/devstral-2-predictor -n private-ai\"}",
        "{at: 13m, run: \"oc logs deployment/devstral-2-predictor -n private-ai -c storage-initializer\"}",
        "{at: 13m, run: \"oc logs nope -n private-ai\"}",
        "{at: 13m, run: \"oc logs deployment/devstral-2-predictor -n private-ai -c sidecar\"}",
    ]);
    let pod = devstral_pod(&done);
    let logs = "oc logs deployment/devstral-2-predictor -n private-ai";
    // Not scheduled yet (Kueue holds it): no kubelet to ask, nothing printed.
    let (gated, _) = printed(&done, "00:10:30", logs);
    assert_eq!(
        gated,
        "Defaulted container \"kserve-container\" out of: kserve-container, storage-initializer (init)"
    );
    let (initializing, _) = printed(&done, "00:13:00", logs);
    assert_eq!(
        initializing.lines().last().unwrap(),
        format!("Error from server (BadRequest): container \"kserve-container\" in pod \"{pod}\" is waiting to start: PodInitializing")
    );
    let (download, _) = printed(&done, "00:13:00", &format!("{logs} -c storage-initializer"));
    assert_eq!(
        download,
        "2026-01-01 00:12:30.000 1 root INFO [<module>():13] Initializing, args: src_uri [s3://devstral-small-2507/] dest_path[ [/mnt/models]\n\
         2026-01-01 00:12:30.000 1 root INFO [download():63] Copying contents of s3://devstral-small-2507/ to local"
    );
    let (missing, _) = printed(&done, "00:13:00", "oc logs nope -n private-ai");
    assert_eq!(missing, "Error from server (NotFound): pods \"nope\" not found");
    let (wrong, _) = printed(&done, "00:13:00", &format!("{logs} -c sidecar"));
    assert_eq!(
        wrong,
        format!("Error from server (BadRequest): container sidecar is not valid for pod {pod}")
    );
}

const WATCH: &str = "oc get pods -n private-ai -l serving.kserve.io/inferenceservice=devstral-2 -w";
const WAIT: &str =
    "oc wait --for=condition=Ready pod -l serving.kserve.io/inferenceservice=devstral-2 -n private-ai --timeout=20m";
const SHORT_WAIT: &str =
    "oc wait --for=condition=Ready pod -l serving.kserve.io/inferenceservice=devstral-2 -n private-ai";
const ROLLOUT: &str = "oc rollout status deployment/devstral-2-predictor -n private-ai";

fn followed() -> Completed {
    handover_with(&[
        &format!("{{at: 10m, run: \"{WATCH}\"}}"),
        &format!("{{at: 10m, run: \"{WAIT}\"}}"),
        &format!("{{at: 10m, run: \"{SHORT_WAIT}\"}}"),
        &format!("{{at: 10m, run: \"{ROLLOUT}\"}}"),
        "{at: 29m, run: \"oc wait --for=delete pod -l serving.kserve.io/inferenceservice=devstral-2 -n private-ai --timeout=5m\"}",
    ])
}

#[test]
fn following_commands_print_each_line_at_the_instant_it_appears() {
    let done = followed();
    let pod = devstral_pod(&done);
    let ready = done
        .result
        .lives
        .lives
        .iter()
        .find(|l| l.pod == pod)
        .and_then(|l| l.ready_s)
        .unwrap();
    let ready_at = gpuaas_sim::units::SimTime((ready * 1000.0).round() as u64);
    // The watch: the table, then a row each time the pod's row changed.
    let (table, rows) = printed(&done, "00:10:00", WATCH);
    assert_eq!(
        table,
        format!("NAME                                    READY   STATUS            RESTARTS   AGE\n{pod}   0/1     SchedulingGated   0          0s")
    );
    let statuses: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| {
            let (at, rest) = r.split_once("] ").unwrap();
            (&at[1..], rest.split_whitespace().nth(2).unwrap())
        })
        .collect();
    assert_eq!(
        statuses.iter().map(|(_, s)| *s).collect::<Vec<_>>(),
        [
            "Init:0/1",
            "ContainerCreating",
            "Running",
            "Running",
            "Terminating",
            "Terminating"
        ],
        "{rows:?}"
    );
    // Admitted when BF16's pod was gone (its 30 s grace after 12m), Ready with its plan.
    assert_eq!(statuses[0].0, "00:12:30");
    assert_eq!(statuses[3].0, ready_at.to_string());
    assert!(rows[3].contains(" 1/1 "), "{rows:?}");
    // The wait holds at the pod's Ready; the short one gave up 30 s in.
    let (now, later) = printed(&done, "00:10:00", WAIT);
    assert_eq!(
        (now.as_str(), later),
        ("", vec![format!("[{ready_at}] pod/{pod} condition met")])
    );
    let (now, later) = printed(&done, "00:10:00", SHORT_WAIT);
    assert_eq!(
        (now.as_str(), later),
        (
            "",
            vec![format!(
                "[00:10:30] error: timed out waiting for the condition on pods/{pod}"
            )]
        )
    );
    let (first, later) = printed(&done, "00:10:00", ROLLOUT);
    assert_eq!(
        (first.as_str(), later),
        (
            "Waiting for deployment \"devstral-2-predictor\" rollout to finish: 0 of 1 updated replicas are available...",
            vec![format!("[{ready_at}] deployment \"devstral-2-predictor\" successfully rolled out")]
        )
    );
    // Scaled to 0 at 30m: gone after its 30 s grace period.
    let (_, gone) = printed(
        &done,
        "00:29:00",
        "oc wait --for=delete pod -l serving.kserve.io/inferenceservice=devstral-2 -n private-ai --timeout=5m",
    );
    assert_eq!(gone, vec![format!("[00:30:30] pod/{pod} condition met")]);
    // The documents show the later lines at their instants.
    let md = gpuaas_sim::report::markdown::render(&done.report, &[]);
    assert!(md.contains(&format!("[{ready_at}] pod/{pod} condition met")), "{md}");
}

#[test]
fn following_commands_change_nothing_in_the_run() {
    let plain = handover_with(&[]);
    let followed = followed();
    let figures = |done: &Completed| {
        let mut json: serde_json::Value = serde_json::to_value(&done.report).unwrap();
        let o = json.as_object_mut().unwrap();
        // The timeline lists the commands, and the event log each one run; the
        // expectations are where they were written.
        o.remove("timeline");
        for e in o["expectations"].as_array_mut().unwrap() {
            e.as_object_mut().unwrap().remove("location");
        }
        let events = o.remove("events").unwrap();
        let kept: Vec<&serde_json::Value> = events
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] != "Command")
            .collect();
        (
            serde_json::to_string(&json).unwrap(),
            serde_json::to_string(&kept).unwrap(),
        )
    };
    assert_eq!(figures(&plain), figures(&followed));
}

#[test]
fn a_followed_log_prints_vllms_stat_lines_as_they_come_until_its_pod_is_gone() {
    let follow = "oc logs -f deployment/mistral-3-bf16-predictor -n private-ai --tail=1";
    let events = "oc get events -n private-ai -w --field-selector involvedObject.kind=Pod --request-timeout=3m";
    let done = handover_with(&[
        &format!("{{at: 11m, run: \"{follow}\"}}"),
        &format!("{{at: 9m, run: \"{events}\"}}"),
        "{at: 9m, run: \"oc describe pods -n private-ai -l serving.kserve.io/inferenceservice=nosuch\"}",
    ]);
    let (now, later) = printed(&done, "00:11:00", follow);
    assert_eq!(
        now.lines()
            .filter(|l| l.contains("Engine 000: Avg prompt throughput"))
            .count(),
        1,
        "{now}"
    );
    // The stat lines of vLLM's 10-second logger, each once, in order, by the instant it
    // appeared; then BF16's pod is scaled down at 12:00: uvicorn shuts down on SIGTERM
    // and the log ends.
    let (stats, shutdown) = later.split_at(later.len().saturating_sub(4));
    assert!(stats.len() >= 3, "{later:?}");
    assert!(
        stats.iter().all(|l| l.contains("[loggers.py:123] Engine 000:")),
        "{later:?}"
    );
    let stamps: Vec<&str> = stats
        .iter()
        .filter_map(|l| l.split("INFO 01-01 ").nth(1)?.get(..8))
        .collect();
    assert!(
        stamps.windows(2).all(|w| w[0] < w[1]) && stamps.iter().all(|s| *s < "00:12:00"),
        "{stamps:?}"
    );
    assert_eq!(
        shutdown,
        [
            "[00:12:00] INFO:     Shutting down",
            "[00:12:00] INFO:     Waiting for application shutdown.",
            "[00:12:00] INFO:     Application shutdown complete.",
            "[00:12:00] INFO:     Finished server process [1]",
        ]
    );
    // A watch of events prints each event once, not again as LAST SEEN moves.
    let (_, events_later) = printed(&done, "00:09:00", events);
    assert!(
        events_later.iter().all(|l| !l.starts_with("[00:09:00]")),
        "{events_later:?}"
    );
    assert!(events_later.len() < 20, "{}", events_later.join("\n"));
    let (described, _) = printed(
        &done,
        "00:09:00",
        "oc describe pods -n private-ai -l serving.kserve.io/inferenceservice=nosuch",
    );
    assert_eq!(described, "No resources found in private-ai namespace.");
}
