//! Each class of bad input gets `file:line:col: what; fix`, exit code 2, and no report.

mod common;
use common::*;

const SCENARIO_HEAD: &str =
    "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {name: t}\nspec:\n  include: [m.yaml]\n";

/// (case, files, the file the error must point into, line, text the message must contain)
/// (case, files, file the error points into, line or 0 for any, text in the message)
type Case = (
    &'static str,
    Vec<(&'static str, String)>,
    &'static str,
    u32,
    &'static str,
);

/// A Scenario whose only `expect:` entry is `entry`, on line 9 (line 10 with an SLO),
/// with one traffic stream to `chat` and an SLO where `slo` says.
fn expect_case(name: &'static str, entry: &str, slo: bool, text: &'static str) -> Case {
    let slo = if slo { "  slo: {ttft_p95: 2s}\n" } else { "" };
    let scenario = format!(
        "{SCENARIO_HEAD}  duration: 1h\n  traffic: [{{target: chat, rate: 1/s, prompt_tokens: 100, output_tokens: 100}}]\n{slo}  expect:\n    - {entry}\n"
    );
    let line = if slo.is_empty() { 9 } else { 10 };
    (
        name,
        vec![("s.yaml", scenario), ("m.yaml", CLUSTER.to_string())],
        "s.yaml",
        line,
        text,
    )
}

/// Every malformed `expect:` entry is refused where it is written, saying what is wrong.
fn expectation_cases() -> Vec<Case> {
    vec![
        expect_case(
            "misspelt expectation key",
            "{workload: nightly, evictoins: {equals: 0}}",
            false,
            "unknown expectation key `evictoins` (did you mean `evictions`?)",
        ),
        expect_case(
            "model instead of service",
            "{model: chat, slo_attainment: {above: 0.9}}",
            true,
            "name the InferenceService with `service:`",
        ),
        expect_case(
            "no comparison",
            "{workload: nightly, pending: {}}",
            false,
            "`pending` needs `below`, `above` or `equals`; e.g. {workload: nightly, pending: {below: 30m}}",
        ),
        expect_case(
            "a bare measure",
            "{workload: nightly, pending: 30m}",
            false,
            "`pending` takes a comparison, not a scalar",
        ),
        expect_case(
            "two comparisons",
            "{workload: nightly, pending: {above: 1m, below: 5m}}",
            false,
            "give one of `below`, `above` or `equals`; for a range, write two entries",
        ),
        expect_case(
            "misspelt comparison",
            "{workload: nightly, pending: {bellow: 5m}}",
            false,
            "unknown key `bellow` in `pending` (did you mean `below`?)",
        ),
        expect_case(
            "both workload and service",
            "{workload: nightly, service: chat, downtime: {below: 5m}}",
            false,
            "an expectation is about one thing: `workload` or `service`, not both",
        ),
        expect_case(
            "a measure of the other subject",
            "{workload: nightly, downtime: {below: 5m}}",
            false,
            "`downtime` is measured on a `service`, not a `workload`",
        ),
        expect_case(
            "a measure without its subject",
            "{pending: {below: 5m}}",
            false,
            "`pending` needs a `workload:` to measure",
        ),
        expect_case(
            "a comparison outside the measure",
            "{workload: nightly, below: 5m}",
            false,
            "`below` goes inside the measure",
        ),
        expect_case(
            "two measures",
            "{workload: nightly, state: Ready, pending: {below: 5m}}",
            false,
            "one measure per expectation: `state` and `pending` are two",
        ),
        expect_case(
            "a duration without its unit",
            "{workload: nightly, pending: {below: 300}}",
            false,
            "`300` is not a duration; `pending` is a time: write it with its unit",
        ),
        expect_case(
            "a count that is not whole",
            "{workload: nightly, evictions: {below: 1.5}}",
            false,
            "`evictions` is a count: `1.5` is not a whole number",
        ),
        expect_case(
            "a bound that could never hold",
            "{workload: nightly, evictions: {below: 0}}",
            false,
            "no `evictions` is below 0: this could never hold; to expect none, write equals: 0",
        ),
        expect_case(
            "a share beyond 1",
            "{service: chat, slo_attainment: {above: 1.5}}",
            true,
            "`slo_attainment` is a share from 0 to 1, not 1.5",
        ),
        expect_case(
            "misspelt eviction reason",
            "{workload: nightly, evictions: {equals: 0, reason: Preemted}}",
            false,
            "unknown `evictions` reason `Preemted` (did you mean `Preempted`",
        ),
        expect_case(
            "an event's name as the eviction reason",
            "{workload: nightly, evictions: {equals: 0, reason: EvictedDueToPodsReadyTimeout}}",
            false,
            "the eviction reason is `PodsReadyTimeout`",
        ),
        expect_case(
            "an eviction reason nothing causes",
            "{workload: nightly, evictions: {equals: 0, reason: ClusterQueueStopped}}",
            false,
            "Kueue's `ClusterQueueStopped` evictions are not simulated",
        ),
        expect_case(
            "a reason where there is none",
            "{workload: nightly, pending: {below: 5m, reason: Preempted}}",
            false,
            "unknown key `reason` in `pending`; `pending` has no reasons to choose from",
        ),
        expect_case(
            "unknown failure reason",
            "{service: chat, failed: {equals: 0, reason: timeout_503}}",
            false,
            "unknown `failed` reason `timeout_503`",
        ),
        expect_case(
            "request counts at an instant",
            "{at: 10m, service: chat, failed: {equals: 0}}",
            false,
            "`failed` is measured over the whole run",
        ),
        expect_case(
            "requests to a service no traffic reaches",
            "{service: chta, failed: {equals: 0}}",
            false,
            "no `traffic:` entry targets `chta` (did you mean `chat`?)",
        ),
        expect_case(
            "SLO attainment without an SLO",
            "{service: chat, slo_attainment: {above: 0.9}}",
            false,
            "`slo_attainment` needs the scenario to state an SLO",
        ),
        expect_case(
            "at and by",
            "{at: 5m, by: 10m, workload: nightly, state: Ready}",
            false,
            "an expectation takes `at:` or `by:`, not both",
        ),
        expect_case(
            "an empty name",
            "{name: \"\", workload: nightly, state: Ready}",
            false,
            "an expectation's name is one line of text",
        ),
        (
            "two expectations of one name",
            vec![
                (
                    "s.yaml",
                    format!("{SCENARIO_HEAD}  expect:\n    - {{name: gate, workload: a, state: Ready}}\n    - {{name: gate, workload: b, state: Ready}}\n"),
                ),
                ("m.yaml", CLUSTER.to_string()),
            ],
            "s.yaml",
            8,
            "two expectations are named `gate` (the first at s.yaml:7:7)",
        ),
    ]
}

/// A Scenario that `extends` the base `b.yaml` with `spec` (its lines from line 5).
fn extends_case(name: &'static str, spec: &str, line: u32, text: &'static str) -> Case {
    let base = format!("{SCENARIO_HEAD}  duration: 10m\n");
    let scenario = format!("apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: t}}\nspec:\n{spec}");
    (
        name,
        vec![("s.yaml", scenario), ("b.yaml", base), ("m.yaml", CLUSTER.to_string())],
        "s.yaml",
        line,
        text,
    )
}

fn extends_cases() -> Vec<Case> {
    vec![
        extends_case(
            "extends a missing file",
            "  extends: nope.yaml\n",
            5,
            "extends: nope.yaml: no such file",
        ),
        extends_case(
            "a field beside extends",
            "  extends: b.yaml\n  duration: 5m\n",
            6,
            "`spec.duration` cannot be set beside `extends`",
        ),
        extends_case(
            "a traffic change added by an extending scenario",
            "  extends: b.yaml\n  timeline:\n    - {at: 1m, traffic: {target: chat, rate: 2/s}}\n",
            7,
            "a `traffic` entry cannot be added",
        ),
        extends_case(
            "a bad command in an extending timeline",
            "  extends: b.yaml\n  timeline:\n    - {at: 1m, run: \"oc frobnicate pods\"}\n",
            7,
            "frobnicate",
        ),
        extends_case(
            "extends itself",
            "  extends: s.yaml\n",
            5,
            "chains more than 8 scenarios deep",
        ),
    ]
}

fn cases() -> Vec<Case> {
    let ok_manifests = CLUSTER.to_string();
    vec![
        ("malformed YAML", vec![("m.yaml", "a: [1, 2\nb: 3\n".into())], "m.yaml", 2, "malformed YAML"),
        (
            "impossible quantity",
            vec![("m.yaml", "apiVersion: v1\nkind: Node\nmetadata: {name: n}\nstatus:\n  allocatable:\n    cpu: 4 cores\n".into())],
            "m.yaml",
            6,
            "not a Kubernetes quantity",
        ),
        (
            "negative quantity",
            vec![("m.yaml", "apiVersion: v1\nkind: Node\nmetadata: {name: n}\nstatus:\n  allocatable:\n    nvidia.com/gpu: \"-1\"\n".into())],
            "m.yaml",
            6,
            "negative",
        ),
        (
            "missing kind",
            vec![("m.yaml", "apiVersion: v1\nmetadata: {name: n}\n".into())],
            "m.yaml",
            1,
            "no `kind`",
        ),
        (
            "wrong apiVersion for kind",
            vec![("m.yaml", "apiVersion: v1\nkind: ClusterQueue\nmetadata: {name: q}\nspec: {}\n".into())],
            "m.yaml",
            1,
            "does not serve kind ClusterQueue",
        ),
        (
            "unknown preemption policy",
            vec![("m.yaml", ok_manifests.replace("  namespaceSelector: {}\n", "  namespaceSelector: {}\n  preemption:\n    reclaimWithinCohort: Sometimes\n"))],
            "m.yaml",
            22,
            "unknown reclaimWithinCohort policy `Sometimes`",
        ),
        (
            "unknown flavor fungibility",
            vec![("m.yaml", ok_manifests.replace("  namespaceSelector: {}\n", "  namespaceSelector: {}\n  flavorFungibility: {whenCanBorrow: Always}\n"))],
            "m.yaml",
            21,
            "unknown whenCanBorrow `Always`",
        ),
        (
            "v1beta2's cohortName written in a v1beta1 ClusterQueue",
            vec![("m.yaml", ok_manifests.replace("  namespaceSelector: {}\n", "  namespaceSelector: {}\n  cohortName: all\n"))],
            "m.yaml",
            21,
            "kueue.x-k8s.io/v1beta1 ClusterQueue has no field `cohortName`",
        ),
        (
            "v1beta1's cohort written in a v1beta2 ClusterQueue",
            vec![(
                "m.yaml",
                ok_manifests
                    .replacen("kueue.x-k8s.io/v1beta1\nkind: ClusterQueue", "kueue.x-k8s.io/v1beta2\nkind: ClusterQueue", 1)
                    .replace("  namespaceSelector: {}\n", "  namespaceSelector: {}\n  cohort: all\n"),
            )],
            "m.yaml",
            21,
            "kueue.x-k8s.io/v1beta2 ClusterQueue has no field `cohort`",
        ),
        (
            "v1beta1's deprecated whenCanPreempt value in v1beta2",
            vec![(
                "m.yaml",
                ok_manifests
                    .replacen("kueue.x-k8s.io/v1beta1\nkind: ClusterQueue", "kueue.x-k8s.io/v1beta2\nkind: ClusterQueue", 1)
                    .replace("  namespaceSelector: {}\n", "  namespaceSelector: {}\n  flavorFungibility: {whenCanPreempt: Preempt}\n"),
            )],
            "m.yaml",
            21,
            "whenCanPreempt `Preempt` is not a kueue.x-k8s.io/v1beta2 value",
        ),
        (
            "preference without TryNextFlavor on both policies",
            vec![("m.yaml", ok_manifests.replace("  namespaceSelector: {}\n", "  namespaceSelector: {}\n  flavorFungibility: {preference: PreemptionOverBorrowing}\n"))],
            "m.yaml",
            21,
            "preference can only be set when both whenCanBorrow and whenCanPreempt are TryNextFlavor",
        ),
        (
            "a Kueue version v0.19 does not serve",
            vec![("m.yaml", ok_manifests.replacen("kueue.x-k8s.io/v1beta1", "kueue.x-k8s.io/v1alpha1", 1))],
            "m.yaml",
            2,
            "Kueue v0.19 does not serve kueue.x-k8s.io/v1alpha1",
        ),
        (
            "a partial-admission minimum not below the Job's pods",
            vec![(
                "m.yaml",
                format!("{ok_manifests}---\napiVersion: batch/v1\nkind: Job\nmetadata: {{name: j, namespace: private-ai, annotations: {{kueue.x-k8s.io/job-min-parallelism: \"4\"}}}}\nspec:\n  parallelism: 4\n  template: {{spec: {{containers: [{{name: c, image: i}}]}}}}\n"),
            )],
            "m.yaml",
            0,
            "kueue.x-k8s.io/job-min-parallelism `4` should be between 0 and 3",
        ),
        (
            "a Topology whose lowest level is not the node",
            vec![(
                "m.yaml",
                format!("{ok_manifests}---\napiVersion: kueue.x-k8s.io/v1beta2\nkind: Topology\nmetadata: {{name: t}}\nspec:\n  levels: [{{nodeLabel: topology.kubernetes.io/rack}}]\n"),
            )],
            "m.yaml",
            0,
            "only Topologies whose lowest level is kubernetes.io/hostname are simulated",
        ),
        (
            "two topology annotations on one pod template",
            vec![(
                "m.yaml",
                format!("{ok_manifests}---\napiVersion: batch/v1\nkind: Job\nmetadata: {{name: j, namespace: private-ai}}\nspec:\n  template:\n    metadata: {{annotations: {{kueue.x-k8s.io/podset-required-topology: r, kueue.x-k8s.io/podset-preferred-topology: r}}}}\n    spec: {{containers: [{{name: c, image: i}}]}}\n"),
            )],
            "m.yaml",
            0,
            "must not contain more than one topology annotation",
        ),
        (
            "a misspelt ClusterQueue field",
            vec![("m.yaml", ok_manifests.replace("  namespaceSelector: {}\n", "  namespaceSelector: {}\n  cohortNme: all\n"))],
            "m.yaml",
            21,
            "unknown ClusterQueue spec field `cohortNme` (did you mean `cohortName`",
        ),
        (
            "a TAS flavor whose Topology does not exist",
            vec![("m.yaml", ok_manifests.replacen("  nodeLabels: {node.kubernetes.io/instance-type: g6.4xlarge}\n", "  nodeLabels: {node.kubernetes.io/instance-type: g6.4xlarge}\n  topologyName: nope\n", 1))],
            "m.yaml",
            0,
            "there is no Topology \"nope\" for TAS flavor \"nvidia-l4-1gpu\"",
        ),
        (
            "LocalQueue to unknown ClusterQueue",
            vec![("m.yaml", ok_manifests.replace("spec: {clusterQueue: rhoai-main-queue}", "spec: {clusterQueue: rhoai-main-queu}"))],
            "m.yaml",
            0,
            "did you mean `rhoai-main-queue`",
        ),
        (
            "ClusterQueue with unknown flavor",
            vec![("m.yaml", ok_manifests.replacen("- name: nvidia-l4-1gpu", "- name: nvidia-l4-2gpu", 1))],
            "m.yaml",
            0,
            "ResourceFlavor `nvidia-l4-2gpu`, which is not defined",
        ),
        (
            "invalid object name",
            vec![("m.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: Private_AI}\n".into())],
            "m.yaml",
            3,
            "invalid object name",
        ),
        (
            "duplicate object",
            vec![("m.yaml", format!("{ok_manifests}---\napiVersion: kueue.x-k8s.io/v1beta1\nkind: ResourceFlavor\nmetadata: {{name: nvidia-l4-1gpu}}\n"))],
            "m.yaml",
            0,
            "defined twice",
        ),
        (
            "unknown Scenario field",
            vec![("s.yaml", format!("{SCENARIO_HEAD}  durration: 10m\n")), ("m.yaml", ok_manifests.clone())],
            "s.yaml",
            6,
            "did you mean `duration`",
        ),
        (
            "unknown fair sharing strategy",
            vec![("s.yaml", format!("{SCENARIO_HEAD}  kueue:\n    fairSharing:\n      enable: true\n      preemptionStrategies: [LessThanFinalShare]\n")), ("m.yaml", ok_manifests.clone())],
            "s.yaml",
            9,
            "unknown fair sharing preemption strategy `LessThanFinalShare`",
        ),
        (
            "unknown Kueue configuration field",
            vec![("s.yaml", format!("{SCENARIO_HEAD}  kueue:\n    fairsharing: {{enable: true}}\n")), ("m.yaml", ok_manifests.clone())],
            "s.yaml",
            7,
            "did you mean `fairSharing`",
        ),
        (
            "misspelled waitForPodsReady field",
            vec![("s.yaml", format!("{SCENARIO_HEAD}  kueue:\n    waitForPodsReady:\n      enable: true\n      recoverTimeout: 3m\n")), ("m.yaml", ok_manifests.clone())],
            "s.yaml",
            9,
            "unknown waitForPodsReady field `recoverTimeout` (did you mean `recoveryTimeout`",
        ),
        (
            "unknown requeuing timestamp",
            vec![("s.yaml", format!("{SCENARIO_HEAD}  kueue:\n    waitForPodsReady:\n      enable: true\n      requeuingStrategy: {{timestamp: Admission}}\n")), ("m.yaml", ok_manifests.clone())],
            "s.yaml",
            9,
            "unknown requeuing timestamp `Admission`",
        ),
        (
            "Job run time that is not a duration",
            vec![("m.yaml", "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n  annotations: {gpuaas-sim.io/run-time: forever}\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: i}]\n".into())],
            "m.yaml",
            5,
            "gpuaas-sim.io/run-time takes a duration",
        ),
        (
            "snapshot Workload without a queue",
            vec![("m.yaml", "apiVersion: kueue.x-k8s.io/v1beta1\nkind: Workload\nmetadata: {name: w, namespace: ns}\nspec:\n  podSets:\n    - name: main\n      count: 1\n      template: {spec: {containers: [{name: c, image: i}]}}\n".into())],
            "m.yaml",
            5,
            "Workload has no spec.queueName",
        ),
        (
            "bad duration",
            vec![("s.yaml", format!("{SCENARIO_HEAD}  duration: ten minutes\n")), ("m.yaml", ok_manifests.clone())],
            "s.yaml",
            6,
            "is not a duration",
        ),
        (
            "timeline entry after the end",
            vec![("s.yaml", format!("{SCENARIO_HEAD}  duration: 10m\n  timeline:\n    - {{at: 20m, run: \"oc get pods\"}}\n")), ("m.yaml", ok_manifests.clone())],
            "s.yaml",
            8,
            "after the end of the scenario",
        ),
        (
            "unsupported command",
            vec![("s.yaml", format!("{SCENARIO_HEAD}  timeline:\n    - {{at: 1m, run: \"oc exec -it pod -- bash\"}}\n")), ("m.yaml", ok_manifests.clone())],
            "s.yaml",
            7,
            "not a supported command",
        ),
        (
            "scale without replicas",
            vec![("s.yaml", format!("{SCENARIO_HEAD}  timeline:\n    - {{at: 1m, run: \"oc scale deployment x\"}}\n")), ("m.yaml", ok_manifests.clone())],
            "s.yaml",
            7,
            "replicas",
        ),
        (
            "unknown instance type",
            vec![("s.yaml", format!("{SCENARIO_HEAD}  nodePools:\n    - {{name: p, instanceType: g7.huge}}\n")), ("m.yaml", ok_manifests.clone())],
            "s.yaml",
            7,
            "unknown instance type `g7.huge`",
        ),
        (
            "missing include",
            vec![("s.yaml", "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {name: t}\nspec:\n  include: [nope/]\n".into())],
            "s.yaml",
            5,
            "not found",
        ),
        (
            "apply of a missing file",
            vec![("s.yaml", format!("{SCENARIO_HEAD}  timeline:\n    - {{at: 1m, run: \"oc apply -f missing.yaml\"}}\n")), ("m.yaml", ok_manifests.clone())],
            "s.yaml",
            7,
            "apply -f missing.yaml: not found",
        ),
        (
            "unknown model",
            vec![("m.yaml", "apiVersion: serving.kserve.io/v1alpha1\nkind: ServingRuntime\nmetadata: {name: rt}\nspec:\n  containers: [{name: kserve-container, image: x}]\n---\napiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: mystery}\nspec:\n  predictor:\n    model:\n      runtime: rt\n      storageUri: s3://bucket/some-unknown-model\n".into())],
            "m.yaml",
            7,
            "no model card matches",
        ),
        (
            "unknown ServingRuntime",
            vec![("m.yaml", "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: g}\nspec:\n  predictor:\n    model:\n      runtime: vllm-runtme\n      storageUri: s3://m/granite-3.1-8b-instruct\n".into())],
            "m.yaml",
            0,
            "ServingRuntime `vllm-runtme`",
        ),
        (
            "malformed vLLM argument",
            vec![(
                "m.yaml",
                "apiVersion: serving.kserve.io/v1alpha1\nkind: ServingRuntime\nmetadata: {name: rt}\nspec:\n  containers: [{name: kserve-container, image: x}]\n---\napiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: g}\nspec:\n  predictor:\n    model:\n      runtime: rt\n      storageUri: s3://m/granite-3.1-8b-instruct\n      args:\n        - --max-model-len=16384\n        - --gpu-memory-utilization=1.5\n"
                    .into(),
            )],
            "m.yaml",
            17,
            "must be within (0, 1]",
        ),
        (
            "both maxSurge and maxUnavailable zero",
            vec![("m.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {a: b}}\n  strategy:\n    type: RollingUpdate\n    rollingUpdate: {maxSurge: 0, maxUnavailable: 0}\n  template:\n    metadata: {labels: {a: b}}\n    spec: {containers: [{name: c, image: i}]}\n".into())],
            "m.yaml",
            7,
            "may not both be 0",
        ),
        (
            "traffic rate that is not a rate",
            vec![("s.yaml", format!("{SCENARIO_HEAD}  traffic:\n    - {{target: x, rate: fast, prompt_tokens: 10, output_tokens: 10}}\n")), ("m.yaml", ok_manifests.clone())],
            "s.yaml",
            7,
            "is not a request rate",
        ),
        (
            "unknown token-length distribution",
            vec![("s.yaml", format!("{SCENARIO_HEAD}  traffic:\n    - {{target: x, rate: 1/s, prompt_tokens: {{dist: normal, mean: 5}}, output_tokens: 10}}\n")), ("m.yaml", ok_manifests.clone())],
            "s.yaml",
            7,
            "unknown length distribution `normal`",
        ),
        (
            "unknown router",
            vec![("s.yaml", format!("{SCENARIO_HEAD}  traffic:\n    - {{target: x, rate: 1/s, prompt_tokens: 10, output_tokens: 10, router: least-loaded}}\n")), ("m.yaml", ok_manifests.clone())],
            "s.yaml",
            7,
            "unknown router `least-loaded`",
        ),
        (
            "trace combined with a rate",
            vec![("s.yaml", format!("{SCENARIO_HEAD}  traffic:\n    - {{target: x, trace: t.csv, rate: 1/s}}\n")), ("m.yaml", ok_manifests.clone()), ("t.csv", "timestamp,input_tokens,output_tokens\n0,10,10\n".into())],
            "s.yaml",
            7,
            "cannot be combined with `trace`",
        ),
        (
            "malformed SLO term",
            vec![("s.yaml", format!("{SCENARIO_HEAD}  slo: {{ttft_95: 1s}}\n")), ("m.yaml", ok_manifests.clone())],
            "s.yaml",
            6,
            "is not an SLO term",
        ),
        (
            "rate change for traffic that does not exist",
            vec![("s.yaml", format!("{SCENARIO_HEAD}  timeline:\n    - {{at: 1m, traffic: {{target: x, rate: 2/s}}}}\n")), ("m.yaml", ok_manifests.clone())],
            "s.yaml",
            7,
            "no spec.traffic entry targets `x`",
        ),
        (
            "a kind its API group does not serve",
            vec![("m.yaml", "apiVersion: kueue.x-k8s.io/v1beta1\nkind: ClusterQeue\nmetadata: {name: q}\nspec: {}\n".into())],
            "m.yaml",
            2,
            "kueue.x-k8s.io has no kind `ClusterQeue` (did you mean `ClusterQueue`",
        ),
        (
            "a misspelt Scenario",
            vec![("s.yaml", SCENARIO_HEAD.replace("kind: Scenario", "kind: Scenaro")), ("m.yaml", ok_manifests.clone())],
            "s.yaml",
            2,
            "gpuaas-sim has no kind `Scenaro` (did you mean `Scenario`",
        ),
        (
            "a near miss of a simulated kind in another group",
            vec![("m.yaml", "apiVersion: example.com/v1\nkind: InferenceServce\nmetadata: {name: x}\n".into())],
            "m.yaml",
            2,
            "kind `InferenceServce` is not known (did you mean `InferenceService`?)",
        ),
        (
            "an undefined WorkloadPriorityClass",
            vec![("m.yaml", format!("{ok_manifests}---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: private-ai\n  labels: {{kueue.x-k8s.io/priority-class: hihg}}\nspec:\n  containers: [{{name: c, image: i}}]\n"))],
            "m.yaml",
            0,
            "WorkloadPriorityClass `hihg` is not defined",
        ),
        (
            "an undefined PriorityClass in a pod template",
            vec![("m.yaml", format!("{ok_manifests}---\napiVersion: batch/v1\nkind: Job\nmetadata: {{name: j, namespace: private-ai}}\nspec:\n  template:\n    spec:\n      priorityClassName: urgent\n      containers: [{{name: c, image: i}}]\n"))],
            "m.yaml",
            0,
            "priorityClassName `urgent` is not defined",
        ),
        (
            "a request rate past the limit",
            vec![("s.yaml", format!("{SCENARIO_HEAD}  traffic:\n    - {{target: x, rate: 1e9/s, prompt_tokens: 10, output_tokens: 10}}\n")), ("m.yaml", ok_manifests.clone())],
            "s.yaml",
            7,
            "above the simulator's limit of 10000/s",
        ),
        (
            "a lognormal that cannot be sampled",
            vec![("s.yaml", format!("{SCENARIO_HEAD}  traffic:\n    - {{target: x, rate: 1/s, prompt_tokens: {{dist: lognormal, mean: 1, sd: 1e300}}, output_tokens: 10}}\n")), ("m.yaml", ok_manifests.clone())],
            "s.yaml",
            7,
            "at most 1e7 tokens",
        ),
        (
            "a duration of twenty digits",
            vec![("s.yaml", SCENARIO_HEAD.replace("spec:\n", "spec:\n  duration: 99999999999999999999s\n")), ("m.yaml", ok_manifests.clone())],
            "s.yaml",
            5,
            "longer than the simulator's limit of 365d",
        ),
        (
            "a scenario name that is a path",
            vec![("s.yaml", SCENARIO_HEAD.replace("name: t", "name: ../../x")), ("m.yaml", ok_manifests.clone())],
            "s.yaml",
            3,
            "invalid object name `../../x`",
        ),
        (
            "a mapping key given twice",
            vec![("m.yaml", "apiVersion: v1\nkind: Node\nmetadata: {name: n, name: m}\n".into())],
            "m.yaml",
            3,
            "mapping key `name` appears twice",
        ),
    ]
    .into_iter()
    .chain(fault_cases())
    .collect()
}

/// A Scenario with node pool `gpu` (nodes gpu-0, gpu-1) and this `faults:` list.
fn fault_case(name: &'static str, faults: &str, line: u32, text: &'static str) -> Case {
    let scenario = format!(
        "{SCENARIO_HEAD}  nodePools:\n    - {{name: gpu, instanceType: g6.4xlarge, count: 2}}\n  faults:\n{faults}"
    );
    (
        name,
        vec![("s.yaml", scenario), ("m.yaml", CLUSTER.to_string())],
        "s.yaml",
        line,
        text,
    )
}

fn fault_cases() -> Vec<Case> {
    vec![
        fault_case(
            "misspelled fault type",
            "    - {at: 1m, type: NodeLoss, node: gpu-0}\n",
            9,
            "unknown fault type `NodeLoss` (did you mean `NodeLost`",
        ),
        fault_case(
            "fault on a node nobody defines",
            "    - {at: 1m, type: NodeLost, node: gpu-3}\n",
            9,
            "NodeLost fault on node `gpu-3`, which no node pool or Node manifest defines (did you mean `gpu-0`",
        ),
        fault_case(
            "NotReady without a duration",
            "    - {at: 1m, type: NodeNotReady, node: gpu-0}\n",
            9,
            "a NodeNotReady fault needs `for`",
        ),
        fault_case(
            "field of another fault type",
            "    - {at: 1m, type: NodeLost, node: gpu-0, gpus: 2}\n",
            9,
            "unknown NodeLost fault field `gpus`",
        ),
        fault_case(
            "an Xid that takes no GPU out",
            "    - {at: 1m, type: GPUFailure, node: gpu-0, xid: 13}\n",
            9,
            "Xid 13 is not one that takes a GPU out",
        ),
        fault_case(
            "more GPUs than any node",
            "    - {at: 1m, type: GPUFailure, node: gpu-0, gpus: 1000}\n",
            9,
            "gpus: 1000 is out of range",
        ),
        fault_case(
            "storage faster, not slower",
            "    - {at: 1m, type: StorageSlow, factor: 0.5, for: 5m}\n",
            9,
            "factor 0.5 is out of range",
        ),
        fault_case(
            "fault after the end",
            "    - {at: 2h, type: NodeLost, node: gpu-0}\n",
            9,
            "after the end of the scenario",
        ),
        fault_case(
            "random faults every minute",
            "    - random: {type: NodeLost, mtbf: 1m}\n",
            9,
            "mtbf 1m is below 1h",
        ),
        fault_case(
            "random storage faults",
            "    - random: {type: StorageSlow, mtbf: 10h}\n",
            9,
            "unknown fault type `StorageSlow`",
        ),
        (
            "timeline fault with a misspelled key",
            vec![
                (
                    "s.yaml",
                    format!(
                        "{SCENARIO_HEAD}  nodePools:\n    - {{name: gpu, instanceType: g6.4xlarge, count: 1}}\n  timeline:\n    - {{at: 1m, fault: {{type: NodeLost, nod: gpu-0}}}}\n"
                    ),
                ),
                ("m.yaml", CLUSTER.to_string()),
            ],
            "s.yaml",
            9,
            "unknown NodeLost fault field `nod` (did you mean `node`",
        ),
    ]
}

#[test]
fn bad_input_is_located_and_exits_2() {
    for (name, files, file, line, text) in cases().into_iter().chain(expectation_cases()).chain(extends_cases()) {
        let owned: Vec<(&str, &str)> = files.iter().map(|(p, c)| (*p, c.as_str())).collect();
        let dir = folder(&owned);
        let out_dir = dir.path().join("out");
        let target = if files.iter().any(|(p, _)| *p == "s.yaml") {
            "s.yaml"
        } else {
            "m.yaml"
        };
        let out = bin()
            .args(["run", target, "--out"])
            .arg(&out_dir)
            .current_dir(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: exit code; stderr:\n{stderr}");
        assert!(
            stderr.contains(text),
            "{name}: message should contain `{text}`:\n{stderr}"
        );
        let first = stderr.lines().next().unwrap_or("");
        let prefix = format!("{file}:");
        assert!(
            first.starts_with(&prefix),
            "{name}: `{first}` should start with {prefix}"
        );
        let parts: Vec<&str> = first.splitn(4, ':').collect();
        let (l, c): (u32, u32) = (parts[1].parse().unwrap_or(0), parts[2].parse().unwrap_or(0));
        assert!(l >= 1 && c >= 1, "{name}: no line:col in `{first}`");
        if line > 0 {
            assert_eq!(l, line, "{name}: line in `{first}`");
        }
        assert!(!out_dir.exists(), "{name}: nothing may be written on bad input");
        assert!(!stderr.contains("panicked"), "{name}: panic");
    }
}

#[test]
fn a_gate_with_nothing_to_check_or_skipped_inputs_under_strict_exits_2() {
    let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: private-ai}\n";
    let dir = folder(&[("m.yaml", &format!("{CLUSTER}---\n{secret}"))]);
    // (args, what stderr says)
    let cases: [(Vec<&str>, &str); 2] = [
        (vec!["check", "m.yaml"], "nothing to check"),
        (vec!["run", "--strict", "m.yaml"], "m.yaml:"),
    ];
    for (args, text) in cases {
        let out = bin().args(&args).current_dir(dir.path()).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(text), "{args:?}: {stderr}");
    }
    // Without --strict the Secret is listed as skipped and the run goes on.
    let out = bin().args(["run", "m.yaml"]).current_dir(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn unsupported_subcommands_exit_2() {
    let out = bin().args(["lint", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not available in this version"));
    // A sweep without its settings or its output folder is a usage error, not a run.
    let out = bin().args(["sweep", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin().args(["sweep", "x", "--out", "never-written"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to sweep"));
    assert!(!std::path::Path::new("never-written").exists());
}

#[test]
fn failing_expectation_exits_1_with_a_readable_reason() {
    let scenario = format!(
        "{SCENARIO_HEAD}  duration: 5m\n{NODE_POOLS}  expect:\n    - {{at: 1m, deadlock: detected}}\n    - {{name: web is up, workload: web, time_to_ready: {{below: 1m}}}}\n"
    );
    let dir = folder(&[("s.yaml", &scenario), ("m.yaml", CLUSTER)]);
    let junit = dir.path().join("junit.xml");
    let out = bin()
        .args(["check", "s.yaml", "--junit"])
        .arg(&junit)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAILED t:") && stdout.contains("s.yaml:12:7") && stdout.contains("no deadlock at 00:01:00"),
        "{stdout}"
    );
    // A named expectation is shown by its name, its entry after it.
    assert!(
        stdout.contains("FAILED t: web is up: {\"name\":\"web is up\",")
            && stdout.contains("no workload matching `web` ever existed"),
        "{stdout}"
    );
    let xml = std::fs::read_to_string(junit).unwrap();
    for want in [
        "<testsuites name=\"gpuaas-sim check\" tests=\"2\" failures=\"2\">",
        "<failure message=\"no deadlock at 00:01:00\" type=\"expectation\">",
        "s.yaml:12:7",
        "<testcase classname=\"t\" name=\"web is up\" file=\"s.yaml:13:7\">",
    ] {
        assert!(xml.contains(want), "{want} missing from {xml}");
    }
}
