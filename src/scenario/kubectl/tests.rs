//! Each kind's `oc get` and `oc describe` against one small cluster, ten minutes in: a
//! node, a flavor, a ClusterQueue and its LocalQueue, a Job, and an InferenceService with
//! its runtime (whose predictor makes the Deployment, ReplicaSet, pod and Workload).

use super::{Columns, Kind, Query};
use crate::engine::action::MetadataField;
use crate::engine::Engine;
use crate::scenario::command::Selection;
use crate::scenario::oc_error::OcError;
use crate::scenario::run::RunResult;
use crate::store::Store;
use std::sync::OnceLock;

const SCENARIO: &str = r#"
apiVersion: gpuaas-sim/v1alpha1
kind: Scenario
metadata: {name: kubectl-fixture}
spec:
  duration: 10m
  seed: 1
  include: [cluster.yaml]
  nodePools:
    - {name: l4, instanceType: g6.12xlarge, count: 1,
       taints: [{key: nvidia.com/gpu, value: "true", effect: NoSchedule}]}
"#;

const CLUSTER: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: kueue.x-k8s.io/v1beta1
kind: ResourceFlavor
metadata: {name: l4}
spec:
  nodeLabels: {node.kubernetes.io/instance-type: g6.12xlarge}
  tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
---
apiVersion: kueue.x-k8s.io/v1beta1
kind: ClusterQueue
metadata: {name: main}
spec:
  cohort: all
  namespaceSelector: {}
  resourceGroups:
    - coveredResources: [cpu, memory, nvidia.com/gpu]
      flavors:
        - name: l4
          resources:
            - {name: cpu, nominalQuota: 48}
            - {name: memory, nominalQuota: 192Gi}
            - {name: nvidia.com/gpu, nominalQuota: 4}
---
apiVersion: kueue.x-k8s.io/v1beta1
kind: LocalQueue
metadata: {name: default, namespace: team}
spec: {clusterQueue: main}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: train
  namespace: team
  labels: {app: train}
  annotations: {gpuaas-sim.io/run-time: 30m}
spec:
  parallelism: 1
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: trainer
          image: quay.io/example/trainer:latest
          resources:
            limits: {cpu: "4", memory: 16Gi, nvidia.com/gpu: "1"}
---
apiVersion: serving.kserve.io/v1alpha1
kind: ServingRuntime
metadata:
  name: vllm-runtime
  namespace: team
spec:
  supportedModelFormats: [{name: vLLM, autoSelect: true}]
  containers:
    - name: kserve-container
      image: quay.io/modh/vllm:rhoai-3.0-cuda
      args: [--port=8080, --model=/mnt/models]
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: granite-8b-agent
  namespace: team
  annotations:
    openshift.io/display-name: Granite 3.1 8B Agent (FP8)
    serving.kserve.io/deploymentMode: RawDeployment
  labels:
    opendatahub.io/dashboard: "true"
    kueue.x-k8s.io/queue-name: default
spec:
  predictor:
    minReplicas: 1
    maxReplicas: 1
    deploymentStrategy:
      type: Recreate
    tolerations:
      - key: nvidia.com/gpu
        operator: Exists
        effect: NoSchedule
    model:
      modelFormat:
        name: vLLM
      runtime: vllm-runtime
      storage:
        key: minio-connection
        path: granite-3.1-8b-instruct-fp8-dynamic/
      args:
        - --max-model-len=16384
        - --gpu-memory-utilization=0.9
        - --trust-remote-code
        - --enable-auto-tool-choice
        - --tool-call-parser=granite
      resources:
        requests:
          cpu: "4"
          memory: 24Gi
          nvidia.com/gpu: "1"
        limits:
          cpu: "4"
          memory: 24Gi
          nvidia.com/gpu: "1"
"#;

/// The cluster at the end of its run, run once for all the tests.
fn engine() -> &'static Engine {
    static RUN: OnceLock<Option<RunResult>> = OnceLock::new();
    let run = RUN.get_or_init(|| {
        let dir = tempfile::tempdir().ok()?;
        std::fs::write(dir.path().join("scenario.yaml"), SCENARIO).ok()?;
        std::fs::write(dir.path().join("cluster.yaml"), CLUSTER).ok()?;
        let prepared = crate::scenario::run::discover(&[dir.path().to_path_buf()])
            .ok()?
            .pop()?;
        crate::scenario::run::run(prepared, &crate::progress::Progress::default()).ok()
    });
    match run {
        Some(r) => &r.engine,
        None => panic!("the fixture scenario does not run"),
    }
}

/// An expected output written from its own line: without the newline that opens it.
fn text(want: &str) -> &str {
    want.strip_prefix('\n').unwrap_or(want)
}

/// What `oc get` prints, its error included.
fn get(kind: Kind, ns: Option<&str>, names: &[&str], selector: Option<&str>, columns: Columns) -> String {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let out = Query::new(ns, &names, selector, columns).and_then(|q| kind.kubectl().get(engine().store(), &q));
    out.unwrap_or_else(|e| e.to_string())
}

#[test]
fn every_kind_lists_its_objects() {
    let check = |kind: Kind, ns: Option<&str>, columns: Columns, want: &str| {
        assert_eq!(
            get(kind, ns, &[], None, columns),
            text(want),
            "{kind:?} {ns:?} {columns:?}"
        );
    };
    check(
        Kind::Pod,
        Some("team"),
        Columns::Default,
        r#"
NAME                                          READY     STATUS    RESTARTS   AGE
granite-8b-agent-predictor-5658dc576c-76ngt   1/1       Running   0          10m
train-f5n6t                                   1/1       Running   0          10m"#,
    );
    check(
        Kind::Pod,
        None,
        Columns::Wide,
        r#"
NAMESPACE   NAME                                          READY     STATUS    RESTARTS   AGE       IP           NODE      NOMINATED NODE   READINESS GATES
team        granite-8b-agent-predictor-5658dc576c-76ngt   1/1       Running   0          10m       10.128.0.6   l4-0      <none>           <none>
team        train-f5n6t                                   1/1       Running   0          10m       10.128.0.9   l4-0      <none>           <none>"#,
    );
    check(
        Kind::Deployment,
        Some("team"),
        Columns::Default,
        r#"
NAME                         READY     UP-TO-DATE   AVAILABLE   AGE
granite-8b-agent-predictor   1/1       1            1           10m"#,
    );
    check(
        Kind::Deployment,
        Some("team"),
        Columns::Wide,
        r#"
NAME                         READY     UP-TO-DATE   AVAILABLE   AGE       CONTAINERS         IMAGES                             SELECTOR
granite-8b-agent-predictor   1/1       1            1           10m       kserve-container   quay.io/modh/vllm:rhoai-3.0-cuda   app=isvc.granite-8b-agent-predictor"#,
    );
    check(
        Kind::ReplicaSet,
        Some("team"),
        Columns::Default,
        r#"
NAME                                    DESIRED   CURRENT   READY     AGE
granite-8b-agent-predictor-5658dc576c   1         1         1         10m"#,
    );
    check(
        Kind::ReplicaSet,
        None,
        Columns::Wide,
        r#"
NAMESPACE   NAME                                    DESIRED   CURRENT   READY     AGE       CONTAINERS         IMAGES                             SELECTOR
team        granite-8b-agent-predictor-5658dc576c   1         1         1         10m       kserve-container   quay.io/modh/vllm:rhoai-3.0-cuda   app=isvc.granite-8b-agent-predictor,component=predictor,kueue.x-k8s.io/queue-name=default,opendatahub.io/dashboard=true,pod-template-hash=5658dc576c,serving.kserve.io/inferenceservice=granite-8b-agent"#,
    );
    check(
        Kind::InferenceService,
        Some("team"),
        Columns::Default,
        r#"
NAME               URL                                                        READY     PREV      LATEST    PREVROLLEDOUTREVISION   LATESTREADYREVISION   AGE
granite-8b-agent   http://granite-8b-agent-predictor.team.svc.cluster.local   True                                                                        10m"#,
    );
    check(
        Kind::Workload,
        None,
        Columns::Default,
        r#"
NAMESPACE   NAME                                                    QUEUE     RESERVED IN   ADMITTED   FINISHED   AGE
team        job-train-6e934                                         default   main          True                  10m
team        pod-granite-8b-agent-predictor-5658dc576c-76ngt-a716c   default   main          True                  10m"#,
    );
    check(
        Kind::ClusterQueue,
        Some("team"),
        Columns::Default,
        r#"
NAME      COHORT    PENDING WORKLOADS
main      all       0"#,
    );
    check(
        Kind::ClusterQueue,
        None,
        Columns::Wide,
        r#"
NAME      COHORT    STRATEGY         PENDING WORKLOADS   ADMITTED WORKLOADS
main      all       BestEffortFIFO   0                   2"#,
    );
    check(
        Kind::LocalQueue,
        Some("team"),
        Columns::Default,
        r#"
NAME      CLUSTERQUEUE   PENDING WORKLOADS   ADMITTED WORKLOADS
default   main           0                   2"#,
    );
    check(
        Kind::LocalQueue,
        None,
        Columns::Default,
        r#"
NAMESPACE   NAME      CLUSTERQUEUE   PENDING WORKLOADS   ADMITTED WORKLOADS
team        default   main           0                   2"#,
    );
    check(
        Kind::Node,
        Some("team"),
        Columns::Default,
        r#"
NAME      STATUS    ROLES     AGE       VERSION
l4-0      Ready     worker    10m       v1.33.5"#,
    );
    check(
        Kind::ServingRuntime,
        Some("team"),
        Columns::Default,
        r#"
NAME           DISABLED   MODELTYPE          CONTAINERS
vllm-runtime   vLLM       kserve-container"#,
    );
    check(
        Kind::ResourceFlavor,
        None,
        Columns::Default,
        r#"
NAME      AGE
l4        10m"#,
    );
    check(
        Kind::Job,
        None,
        Columns::Default,
        r#"
NAMESPACE   NAME      STATUS    COMPLETIONS   DURATION   AGE
team        train     Running   0/1           10m        10m"#,
    );
}

#[test]
fn get_narrows_by_name_selector_and_namespace() {
    let check = |kind: Kind, ns: Option<&str>, names: &[&str], selector: Option<&str>, want: &str| {
        let got = get(kind, ns, names, selector, Columns::Default);
        assert_eq!(got, text(want), "{kind:?} {ns:?} {names:?} {selector:?}");
    };
    check(
        Kind::Pod,
        Some("team"),
        &["train-f5n6t"],
        None,
        r#"
NAME          READY     STATUS    RESTARTS   AGE
train-f5n6t   1/1       Running   0          10m"#,
    );
    check(
        Kind::Pod,
        Some("team"),
        &["nosuch", "train-f5n6t"],
        None,
        r#"
NAME          READY     STATUS    RESTARTS   AGE
train-f5n6t   1/1       Running   0          10m"#,
    );
    check(
        Kind::Pod,
        Some("other"),
        &[],
        None,
        "No resources found in other namespace.",
    );
    check(
        Kind::Pod,
        Some("team"),
        &[],
        Some("serving.kserve.io/inferenceservice"),
        r#"
NAME                                          READY     STATUS    RESTARTS   AGE
granite-8b-agent-predictor-5658dc576c-76ngt   1/1       Running   0          10m"#,
    );
    check(Kind::Node, Some("other"), &[], Some("foo=bar"), "No resources found");
    check(
        Kind::ClusterQueue,
        None,
        &[],
        Some("foo=bar"),
        r#"
NAME      COHORT    PENDING WORKLOADS
main      all       0"#,
    );
    check(
        Kind::ClusterQueue,
        None,
        &["nosuch"],
        None,
        "Error from server (NotFound): clusterqueues.kueue.x-k8s.io \"nosuch\" not found",
    );
    check(
        Kind::ResourceFlavor,
        None,
        &["nosuch"],
        Some("foo=bar"),
        r#"
NAME      AGE
l4        10m"#,
    );
    check(
        Kind::LocalQueue,
        Some("team"),
        &[],
        Some("foo=bar"),
        r#"
NAME      CLUSTERQUEUE   PENDING WORKLOADS   ADMITTED WORKLOADS
default   main           0                   2"#,
    );
    check(
        Kind::Workload,
        Some("team"),
        &[],
        Some("foo=bar"),
        "No resources found in team namespace.",
    );
    check(
        Kind::Workload,
        Some("team"),
        &[],
        Some("!foo"),
        r#"
NAME                                                    QUEUE     RESERVED IN   ADMITTED   FINISHED   AGE
job-train-6e934                                         default   main          True                  10m
pod-granite-8b-agent-predictor-5658dc576c-76ngt-a716c   default   main          True                  10m"#,
    );
    check(
        Kind::Job,
        None,
        &[],
        Some("app=train"),
        r#"
NAMESPACE   NAME      STATUS    COMPLETIONS   DURATION   AGE
team        train     Running   0/1           10m        10m"#,
    );
    check(
        Kind::ServingRuntime,
        None,
        &["nosuch"],
        None,
        "Error from server (NotFound): servingruntimes.serving.kserve.io \"nosuch\" not found",
    );
}

#[test]
fn describe_prints_each_kind_as_oc_does() {
    let check = |kind: Kind, ns: &str, name: &str, want: &str| {
        let got = kind
            .kubectl()
            .describe(engine(), ns, name)
            .unwrap_or_else(|e| e.to_string());
        assert_eq!(got, text(want), "{kind:?} {ns} {name}");
    };
    check(
        Kind::LocalQueue,
        "team",
        "default",
        r#"
Name:         default
Namespace:    team
API Version:  kueue.x-k8s.io/v1beta1
Kind:         LocalQueue
Spec:
  Cluster Queue:  main
Status:
  Admitted Workloads:  2
  Pending Workloads:   0
"#,
    );
    check(
        Kind::Node,
        "",
        "l4-0",
        r#"
Name:               l4-0
Unschedulable:      false
Allocated resources:
  Resource           Requests    Allocatable
  cpu                8           48
  memory             40Gi        192Gi
  nvidia.com/gpu     2           4
  pods               0           110
"#,
    );
    check(
        Kind::Workload,
        "team",
        "nosuch",
        "Error from server (NotFound): workloads.kueue.x-k8s.io \"nosuch\" not found",
    );
    check(
        Kind::Deployment,
        "team",
        "x",
        "error: describe deployment.apps is not supported",
    );
    check(
        Kind::ClusterQueue,
        "x",
        "main",
        r#"
Name:         main
Namespace:    
Labels:       <none>
Annotations:  <none>
API Version:  kueue.x-k8s.io/v1beta1
Kind:         ClusterQueue
Spec:
  Cohort:  all
  Queueing Strategy:  BestEffortFIFO
  Resource Groups:
    Covered Resources:  cpu, memory, nvidia.com/gpu
    Flavors:
      Name:  l4
      Resources:
        Name:  cpu
        Nominal Quota:  48
        Name:  memory
        Nominal Quota:  192Gi
        Name:  nvidia.com/gpu
        Nominal Quota:  4
Status:
  Admitted Workloads:  2
  Flavors Usage:
    Name:  l4
    Resources:
      Borrowed:  0
      Name:  cpu
      Total:  8
      Borrowed:  0
      Name:  memory
      Total:  40Gi
      Borrowed:  0
      Name:  nvidia.com/gpu
      Total:  2
  Pending Workloads:  0
  Reserving Workloads:  2
Events:  <none>
"#,
    );
    check(
        Kind::Pod,
        "team",
        "train-f5n6t",
        r#"
Name:             train-f5n6t
Namespace:        team
Priority:         0
Node:             l4-0
Labels:           batch.kubernetes.io/job-name=train
                  job-name=train
Status:           Running
Containers:
  trainer:
    Image:  quay.io/example/trainer:latest
    Requests:
      cpu:  4
      memory:  16Gi
      nvidia.com/gpu:  1
Node-Selectors:   node.kubernetes.io/instance-type=g6.12xlarge
Tolerations:      nvidia.com/gpu:NoSchedule
Events:
  Type      Reason      Age       From                Message
  ----     ------   ----  ----             -------
  Normal    Scheduled   10m       default-scheduler   Successfully assigned team/train-f5n6t to l4-0
  Normal    Ready       9m55s     default-scheduler   pod is Ready (5s after creation)
"#,
    );
    check(
        Kind::Workload,
        "team",
        "job-train-6e934",
        r#"
Name:         job-train-6e934
Namespace:    team
Labels:       kueue.x-k8s.io/job-uid=e7550689-a637-47c8-b36e-4cb1710336f3
Annotations:  <none>
API Version:  kueue.x-k8s.io/v1beta1
Kind:         Workload
Spec:
  Active:  true
  Pod Sets:
    Count:  1
    Name:  main
    Resources:
      cpu:  4
      memory:  16Gi
      nvidia.com/gpu:  1
  Priority:  0
  Queue Name:  default
Status:
  Admission:
    Cluster Queue:  main
    Pod Set Assignments:
      Count:  1
      Flavors:
        cpu:  l4
        memory:  l4
        nvidia.com/gpu:  l4
      Name:  main
  Conditions:
    Message:  Quota reserved in ClusterQueue main
    Reason:  QuotaReserved
    Status:  True
    Type:  QuotaReserved
    Message:  The workload is admitted
    Reason:  Admitted
    Status:  True
    Type:  Admitted
Events:
  Type      Reason          Age       From              Message
  ----     ------   ----  ----             -------
  Normal    Normal          10m       kueue-admission   Created Workload: team/job-train-6e934
  Normal    QuotaReserved   10m       kueue-admission   Quota reserved in ClusterQueue main, wait time since queued was 0s
"#,
    );
}

#[test]
fn select_picks_by_name_all_or_labels() {
    let names = |n: &[&str]| Selection::Names(n.iter().map(|s| s.to_string()).collect());
    let cases = [
        (
            Kind::Pod,
            "team",
            names(&["train-f5n6t", "train-f5n6t"]),
            Ok(vec!["train-f5n6t"]),
        ),
        (
            Kind::Pod,
            "team",
            names(&["train-f5n6t", "nosuch"]),
            Err("Error from server (NotFound): pods \"nosuch\" not found"),
        ),
        (
            Kind::Pod,
            "other",
            names(&["train-f5n6t"]),
            Err("Error from server (NotFound): pods \"train-f5n6t\" not found"),
        ),
        (Kind::Node, "any", Selection::All, Ok(vec!["l4-0"])),
        (Kind::ClusterQueue, "any", names(&["main"]), Ok(vec!["main"])),
        (
            Kind::Pod,
            "team",
            Selection::Labels("serving.kserve.io/inferenceservice".into()),
            Ok(vec!["granite-8b-agent-predictor-5658dc576c-76ngt"]),
        ),
        (
            Kind::Job,
            "team",
            Selection::Labels("app=train".into()),
            Ok(vec!["train"]),
        ),
        // Workloads carry no labels: only a selector an empty map matches picks them.
        (
            Kind::Workload,
            "team",
            Selection::Labels("app=train".into()),
            Ok(vec![]),
        ),
        (
            Kind::LocalQueue,
            "team",
            Selection::Labels("!app".into()),
            Ok(vec!["default"]),
        ),
        (Kind::Deployment, "other", Selection::All, Ok(vec![])),
    ];
    for (kind, ns, selection, want) in cases {
        let got = kind
            .kubectl()
            .select(engine().store(), ns, &selection)
            .map_err(|e| e.to_string());
        let want = want
            .map(|v| v.into_iter().map(String::from).collect())
            .map_err(String::from);
        assert_eq!(got, want, "{kind:?} {ns} {selection:?}");
    }
}

#[test]
fn every_name_of_every_kind_parses_to_it() {
    for kind in Kind::ALL {
        for name in kind.kubectl().names() {
            assert_eq!(Kind::parse(name), Some(kind), "{name}");
            assert_eq!(Kind::parse(&name.to_uppercase()), Some(kind), "{name}");
            let group = kind.resource().split_once('.').map_or("", |(_, g)| g);
            assert_eq!(Kind::parse(&format!("{name}.{group}")), Some(kind), "{name}.{group}");
        }
    }
    assert_eq!(Kind::parse("frobs"), None);
    assert_eq!(Kind::parse(""), None);
}

#[test]
fn the_short_names_are_kubectls() {
    let cases = [
        ("po", Kind::Pod),
        ("deploy", Kind::Deployment),
        ("rs", Kind::ReplicaSet),
        ("isvc", Kind::InferenceService),
        ("wl", Kind::Workload),
        ("cq", Kind::ClusterQueue),
        ("lq", Kind::LocalQueue),
        ("queues", Kind::LocalQueue),
        ("no", Kind::Node),
        ("rf", Kind::ResourceFlavor),
        ("jobs", Kind::Job),
    ];
    for (name, kind) in cases {
        assert_eq!(Kind::parse(name), Some(kind), "{name}");
    }
}

#[test]
fn not_found_reads_as_ocs() {
    let cases = [
        (Kind::Pod, "pods \"x\""),
        (Kind::Deployment, "deployments.apps \"x\""),
        (Kind::ReplicaSet, "replicasets.apps \"x\""),
        (Kind::InferenceService, "inferenceservices.serving.kserve.io \"x\""),
        (Kind::Workload, "workloads.kueue.x-k8s.io \"x\""),
        (Kind::ClusterQueue, "clusterqueues.kueue.x-k8s.io \"x\""),
        (Kind::LocalQueue, "localqueues.kueue.x-k8s.io \"x\""),
        (Kind::Node, "nodes \"x\""),
        (Kind::ServingRuntime, "servingruntimes.serving.kserve.io \"x\""),
        (Kind::ResourceFlavor, "resourceflavors.kueue.x-k8s.io \"x\""),
        (Kind::Job, "jobs.batch \"x\""),
    ];
    assert_eq!(cases.len(), Kind::ALL.len());
    for (kind, what) in cases {
        assert_eq!(
            kind.kubectl().not_found("x").to_string(),
            format!("Error from server (NotFound): {what} not found")
        );
    }
}

#[test]
fn what_each_kind_supports() {
    // (kind, describe, scale, label, delete, patch), as the simulation carries them out.
    let cases = [
        (Kind::Pod, true, false, true, true, false),
        (Kind::Deployment, false, true, true, true, true),
        (Kind::ReplicaSet, false, true, true, true, false),
        (Kind::InferenceService, false, false, true, true, true),
        (Kind::Workload, true, false, false, false, false),
        (Kind::ClusterQueue, true, false, false, false, true),
        (Kind::LocalQueue, true, false, false, false, true),
        (Kind::Node, true, false, true, false, false),
        (Kind::ServingRuntime, false, false, false, false, false),
        (Kind::ResourceFlavor, false, false, false, false, true),
        (Kind::Job, false, false, false, false, false),
    ];
    let store = Store::new(crate::catalog::Catalog::bundled());
    for (kind, describe, scale, label, delete, patch) in cases {
        let k = kind.kubectl();
        assert_eq!(k.describes(), describe, "{kind:?}");
        assert_eq!(k.scales(), scale, "{kind:?}");
        // A supported write looks the object up and finds none; an unsupported one is
        // refused before.
        let refused = |r: Result<(), OcError>| !matches!(r, Err(OcError::NotFound { .. }));
        let m = k.metadata(&store, "ns", "x", MetadataField::Labels).map(|_| ());
        assert_eq!(refused(m), !label, "{kind:?}");
        assert_eq!(
            refused(k.delete(&store, "ns", "x", None).map(|_| ())),
            !delete,
            "{kind:?}"
        );
        assert_eq!(refused(k.patch_base(&store, "ns", "x").map(|_| ())), !patch, "{kind:?}");
    }
}
