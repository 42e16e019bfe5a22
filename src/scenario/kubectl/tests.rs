//! Each kind's `oc get` and `oc describe` against one small cluster, ten minutes in: a
//! node, a flavor, a ClusterQueue and its LocalQueue, a Job, and an InferenceService with
//! its runtime (whose predictor makes the Deployment, ReplicaSet, pod and Workload). The
//! autoscalers have a cluster of their own (`autoscalers`): HPAs made by KServe, KEDA
//! and a user, ScaledObjects made by KServe and a user.

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
NAME                                          READY   STATUS    RESTARTS   AGE
granite-8b-agent-predictor-5658dc576c-76ngt   1/1     Running   0          10m
train-f5n6t                                   1/1     Running   0          10m"#,
    );
    check(
        Kind::Pod,
        None,
        Columns::Wide,
        r#"
NAMESPACE   NAME                                          READY   STATUS    RESTARTS   AGE   IP           NODE   NOMINATED NODE   READINESS GATES
team        granite-8b-agent-predictor-5658dc576c-76ngt   1/1     Running   0          10m   10.128.0.6   l4-0   <none>           <none>
team        train-f5n6t                                   1/1     Running   0          10m   10.128.0.9   l4-0   <none>           <none>"#,
    );
    check(
        Kind::Deployment,
        Some("team"),
        Columns::Default,
        r#"
NAME                         READY   UP-TO-DATE   AVAILABLE   AGE
granite-8b-agent-predictor   1/1     1            1           10m"#,
    );
    check(
        Kind::Deployment,
        Some("team"),
        Columns::Wide,
        r#"
NAME                         READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS         IMAGES                             SELECTOR
granite-8b-agent-predictor   1/1     1            1           10m   kserve-container   quay.io/modh/vllm:rhoai-3.0-cuda   app=isvc.granite-8b-agent-predictor"#,
    );
    check(
        Kind::ReplicaSet,
        Some("team"),
        Columns::Default,
        r#"
NAME                                    DESIRED   CURRENT   READY   AGE
granite-8b-agent-predictor-5658dc576c   1         1         1       10m"#,
    );
    check(
        Kind::ReplicaSet,
        None,
        Columns::Wide,
        r#"
NAMESPACE   NAME                                    DESIRED   CURRENT   READY   AGE   CONTAINERS         IMAGES                             SELECTOR
team        granite-8b-agent-predictor-5658dc576c   1         1         1       10m   kserve-container   quay.io/modh/vllm:rhoai-3.0-cuda   app=isvc.granite-8b-agent-predictor,component=predictor,kueue.x-k8s.io/queue-name=default,opendatahub.io/dashboard=true,pod-template-hash=5658dc576c,serving.kserve.io/inferenceservice=granite-8b-agent"#,
    );
    check(
        Kind::InferenceService,
        Some("team"),
        Columns::Default,
        r#"
NAME               URL                                                        READY   PREV   LATEST   PREVROLLEDOUTREVISION   LATESTREADYREVISION   AGE
granite-8b-agent   http://granite-8b-agent-predictor.team.svc.cluster.local   True                                                                  10m"#,
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
NAME   COHORT   PENDING WORKLOADS
main   all      0"#,
    );
    check(
        Kind::ClusterQueue,
        None,
        Columns::Wide,
        r#"
NAME   COHORT   STRATEGY         PENDING WORKLOADS   ADMITTED WORKLOADS
main   all      BestEffortFIFO   0                   2"#,
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
NAME   STATUS   ROLES    AGE   VERSION
l4-0   Ready    worker   10m   v1.33.5"#,
    );
    check(
        Kind::ServingRuntime,
        Some("team"),
        Columns::Default,
        r#"
NAME           DISABLED   MODELTYPE   CONTAINERS         AGE
vllm-runtime              vLLM        kserve-container   10m"#,
    );
    check(
        Kind::ResourceFlavor,
        None,
        Columns::Default,
        r#"
NAME   AGE
l4     10m"#,
    );
    check(
        Kind::Job,
        None,
        Columns::Default,
        r#"
NAMESPACE   NAME    STATUS    COMPLETIONS   DURATION   AGE
team        train   Running   0/1           10m        10m"#,
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
NAME          READY   STATUS    RESTARTS   AGE
train-f5n6t   1/1     Running   0          10m"#,
    );
    // kubectl prints what it found, then the error for what it did not.
    check(
        Kind::Pod,
        Some("team"),
        &["nosuch", "train-f5n6t"],
        None,
        r#"
NAME          READY   STATUS    RESTARTS   AGE
train-f5n6t   1/1     Running   0          10m
Error from server (NotFound): pods "nosuch" not found"#,
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
NAME                                          READY   STATUS    RESTARTS   AGE
granite-8b-agent-predictor-5658dc576c-76ngt   1/1     Running   0          10m"#,
    );
    check(Kind::Node, Some("other"), &[], Some("foo=bar"), "No resources found");
    check(
        Kind::ClusterQueue,
        None,
        &[],
        Some("foo=bar"),
        r#"
NAME   COHORT   PENDING WORKLOADS
main   all      0"#,
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
        "Error from server (NotFound): resourceflavors.kueue.x-k8s.io \"nosuch\" not found",
    );
    check(
        Kind::ResourceFlavor,
        None,
        &["l4"],
        Some("foo=bar"),
        r#"
NAME   AGE
l4     10m"#,
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
NAMESPACE   NAME    STATUS    COMPLETIONS   DURATION   AGE
team        train   Running   0/1           10m        10m"#,
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
API Version:  kueue.x-k8s.io/v1beta2
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
API Version:  kueue.x-k8s.io/v1beta2
Kind:         ClusterQueue
Spec:
  Cohort Name:  all
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
  Type    Reason     Age    From               Message
  ----    ------     ----   ----               -------
  Normal  Scheduled  10m    default-scheduler  Successfully assigned team/train-f5n6t to l4-0
  Normal  Pulling    10m    kubelet            Pulling image "quay.io/example/trainer:latest"
  Normal  Pulled     9m55s  kubelet            Successfully pulled image "quay.io/example/trainer:latest" in 5s (5s including waiting).
  Normal  Created    9m55s  kubelet            Created container: trainer
  Normal  Started    9m55s  kubelet            Started container trainer
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
API Version:  kueue.x-k8s.io/v1beta2
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
      Resource Usage:
        cpu:  4
        memory:  16Gi
        nvidia.com/gpu:  1
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
  Type    Reason         Age   From             Message
  ----    ------         ----  ----             -------
  Normal  QuotaReserved  10m   kueue-admission  Quota reserved in ClusterQueue main, wait time since queued was 0s
  Normal  Admitted       10m   kueue-admission  Admitted by ClusterQueue main, wait time since reservation was 0s
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
        ("hpa", Kind::HorizontalPodAutoscaler),
        ("so", Kind::ScaledObject),
        ("scaledobject.keda.sh", Kind::ScaledObject),
        ("horizontalpodautoscalers.autoscaling", Kind::HorizontalPodAutoscaler),
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
        (Kind::Cohort, "cohorts.kueue.x-k8s.io \"x\""),
        (Kind::LocalQueue, "localqueues.kueue.x-k8s.io \"x\""),
        (Kind::Node, "nodes \"x\""),
        (Kind::ServingRuntime, "servingruntimes.serving.kserve.io \"x\""),
        (Kind::ResourceFlavor, "resourceflavors.kueue.x-k8s.io \"x\""),
        (Kind::Job, "jobs.batch \"x\""),
        (
            Kind::HorizontalPodAutoscaler,
            "horizontalpodautoscalers.autoscaling \"x\"",
        ),
        (Kind::ScaledObject, "scaledobjects.keda.sh \"x\""),
        (Kind::JobSet, "jobsets.jobset.x-k8s.io \"x\""),
        (Kind::PyTorchJob, "pytorchjobs.kubeflow.org \"x\""),
        (Kind::TrainJob, "trainjobs.trainer.kubeflow.org \"x\""),
        (Kind::RayJob, "rayjobs.ray.io \"x\""),
        (Kind::RayCluster, "rayclusters.ray.io \"x\""),
        (Kind::Event, "events \"x\""),
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
        (Kind::InferenceService, true, false, true, true, true),
        (Kind::Workload, true, false, false, false, false),
        (Kind::ClusterQueue, true, false, false, false, true),
        (Kind::Cohort, true, false, false, false, true),
        (Kind::LocalQueue, true, false, false, false, true),
        (Kind::Node, true, false, true, false, false),
        (Kind::ServingRuntime, false, false, false, false, false),
        (Kind::ResourceFlavor, false, false, false, false, true),
        (Kind::Job, false, false, false, false, false),
        (Kind::HorizontalPodAutoscaler, true, false, false, true, true),
        (Kind::ScaledObject, true, false, false, true, true),
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

/// The autoscalers' cluster, ten minutes in: two InferenceServices, one with KServe's
/// HPA on cpu and one with a KEDA ScaledObject (and KEDA's HPA), both with traffic; a
/// Deployment with a user's HPA on three metrics no pod reports; and a Deployment with a
/// user's ScaledObject whose query finds nothing, so KEDA scales it to zero.
const AUTOSCALERS_SCENARIO: &str = r#"
apiVersion: gpuaas-sim/v1alpha1
kind: Scenario
metadata: {name: kubectl-autoscalers}
spec:
  duration: 10m
  seed: 1
  include: [autoscalers.yaml]
  nodePools:
    - {name: l4, instanceType: g6.12xlarge, count: 1}
  traffic:
    - {target: granite, start: 1m, rate: 2/s,
       prompt_tokens: {dist: lognormal, mean: 1500, sd: 600}, output_tokens: {dist: lognormal, mean: 300, sd: 150}}
    - {target: mistral, start: 1m, rate: 1/s,
       prompt_tokens: {dist: lognormal, mean: 1500, sd: 600}, output_tokens: {dist: lognormal, mean: 300, sd: 150}}
"#;

const AUTOSCALERS: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: serving.kserve.io/v1alpha1
kind: ServingRuntime
metadata: {name: vllm-runtime, namespace: team}
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
  name: granite
  namespace: team
  annotations: {serving.kserve.io/deploymentMode: RawDeployment}
spec:
  predictor:
    minReplicas: 1
    maxReplicas: 2
    scaleMetric: cpu
    scaleTarget: 60
    model:
      modelFormat: {name: vLLM}
      runtime: vllm-runtime
      storage: {key: minio-connection, path: granite-3.1-8b-instruct-fp8-dynamic/}
      args: [--max-model-len=16384, --gpu-memory-utilization=0.9]
      resources:
        requests: {cpu: "4", memory: 24Gi, nvidia.com/gpu: "1"}
        limits: {cpu: "4", memory: 24Gi, nvidia.com/gpu: "1"}
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: mistral
  namespace: team
  annotations:
    serving.kserve.io/deploymentMode: RawDeployment
    serving.kserve.io/autoscalerClass: keda
spec:
  predictor:
    minReplicas: 1
    maxReplicas: 2
    autoScaling:
      metrics:
        - type: External
          external:
            metric:
              backend: prometheus
              serverAddress: http://prometheus-operated.monitoring.svc:9090
              query: sum(vllm:num_requests_running{namespace="team",model_name="mistral"})
            target: {type: Value, value: "4"}
    model:
      modelFormat: {name: vLLM}
      runtime: vllm-runtime
      storage: {key: minio-connection, path: granite-3.1-8b-instruct-fp8-dynamic/}
      args: [--max-model-len=16384, --gpu-memory-utilization=0.9]
      resources:
        requests: {cpu: "4", memory: 24Gi, nvidia.com/gpu: "1"}
        limits: {cpu: "4", memory: 24Gi, nvidia.com/gpu: "1"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: team}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - {name: web, image: quay.io/example/web:latest, resources: {requests: {cpu: 500m, memory: 1Gi}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
  namespace: team
  labels: {app: web}
  annotations: {example.com/owner: platform}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 5
  metrics:
    - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}}
    - {type: Pods, pods: {metric: {name: http_requests}, target: {type: AverageValue, averageValue: "10"}}}
    - {type: External, external: {metric: {name: queue_depth}, target: {type: Value, value: "30"}}}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 120
      policies: [{type: Pods, value: 1, periodSeconds: 60}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: team}
spec:
  replicas: 1
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers:
        - {name: worker, image: quay.io/example/worker:latest, resources: {requests: {cpu: 500m, memory: 1Gi}}}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: worker
  namespace: team
  labels: {app: worker}
spec:
  scaleTargetRef: {name: worker}
  minReplicaCount: 0
  maxReplicaCount: 3
  pollingInterval: 15
  cooldownPeriod: 60
  triggers:
    - type: prometheus
      metadata:
        serverAddress: http://prometheus-operated.monitoring.svc:9090
        query: sum(queue_depth{queue="jobs"})
        threshold: "5"
"#;

/// The autoscalers' cluster at the end of its run, run once for all the tests.
fn autoscalers() -> &'static Engine {
    static RUN: OnceLock<Option<RunResult>> = OnceLock::new();
    let run = RUN.get_or_init(|| {
        let dir = tempfile::tempdir().ok()?;
        std::fs::write(dir.path().join("scenario.yaml"), AUTOSCALERS_SCENARIO).ok()?;
        std::fs::write(dir.path().join("autoscalers.yaml"), AUTOSCALERS).ok()?;
        let prepared = match crate::scenario::run::discover(&[dir.path().to_path_buf()]) {
            Ok(mut p) => p.pop()?,
            Err(e) => panic!("{e:?}"),
        };
        crate::scenario::run::run(prepared, &crate::progress::Progress::default()).ok()
    });
    match run {
        Some(r) => &r.engine,
        None => panic!("the autoscalers' scenario does not run"),
    }
}

/// What `oc get` prints of the autoscalers' cluster, its error included.
fn get_autoscalers(kind: Kind, ns: Option<&str>, names: &[&str], selector: Option<&str>, columns: Columns) -> String {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    Query::new(ns, &names, selector, columns)
        .and_then(|q| kind.kubectl().get(autoscalers().store(), &q))
        .unwrap_or_else(|e| e.to_string())
}

#[test]
fn autoscalers_list_as_kubectl_prints_them() {
    let check = |kind: Kind, ns: Option<&str>, names: &[&str], selector: Option<&str>, columns: Columns, want: &str| {
        let got = get_autoscalers(kind, ns, names, selector, columns);
        assert_eq!(got, text(want), "{kind:?} {ns:?} {names:?} {selector:?} {columns:?}");
    };
    // TARGETS as kubectl 1.30+ writes it: a resource metric named, an External metric's
    // per-pod target marked `(avg)`, `<unknown>` before a value, two and `+ N more...`.
    check(
        Kind::HorizontalPodAutoscaler,
        Some("team"),
        &[],
        None,
        Columns::Default,
        r#"
NAME                         REFERENCE                      TARGETS                                        MINPODS   MAXPODS   REPLICAS   AGE
granite-predictor            Deployment/granite-predictor   cpu: 30%/60%                                   1         2         1          10m
keda-hpa-mistral-predictor   Deployment/mistral-predictor   6500m/4 (avg)                                  1         2         2          10m
keda-hpa-worker              Deployment/worker              <unknown>/5 (avg)                              1         3         0          10m
web                          Deployment/web                 cpu: <unknown>/80%, <unknown>/10 + 1 more...   1         5         1          10m"#,
    );
    // No wide columns; every namespace with NAMESPACE; a name and a label.
    check(
        Kind::HorizontalPodAutoscaler,
        None,
        &["web"],
        Some("app=web"),
        Columns::Wide,
        r#"
NAMESPACE   NAME   REFERENCE        TARGETS                                        MINPODS   MAXPODS   REPLICAS   AGE
team        web    Deployment/web   cpu: <unknown>/80%, <unknown>/10 + 1 more...   1         5         1          10m"#,
    );
    check(
        Kind::HorizontalPodAutoscaler,
        Some("team"),
        &[],
        Some("serving.kserve.io/inferenceservice=granite"),
        Columns::Default,
        r#"
NAME                REFERENCE                      TARGETS        MINPODS   MAXPODS   REPLICAS   AGE
granite-predictor   Deployment/granite-predictor   cpu: 30%/60%   1         2         1          10m"#,
    );
    check(
        Kind::HorizontalPodAutoscaler,
        Some("other"),
        &[],
        None,
        Columns::Default,
        "No resources found in other namespace.",
    );
    check(
        Kind::HorizontalPodAutoscaler,
        Some("team"),
        &["nosuch"],
        None,
        Columns::Default,
        "Error from server (NotFound): horizontalpodautoscalers.autoscaling \"nosuch\" not found",
    );
    // KEDA's printer columns; AUTHENTICATIONS empty without a TriggerAuthentication.
    check(
        Kind::ScaledObject,
        Some("team"),
        &[],
        None,
        Columns::Default,
        r#"
NAME                SCALETARGETKIND      SCALETARGETNAME     MIN   MAX   READY   ACTIVE   FALLBACK   PAUSED   TRIGGERS     AUTHENTICATIONS   AGE
mistral-predictor   apps/v1.Deployment   mistral-predictor   1     2     True    True     False      False    prometheus                     10m
worker              apps/v1.Deployment   worker              0     3     True    False    False      False    prometheus                     10m"#,
    );
    // The labels of an applied ScaledObject are its manifest's.
    check(
        Kind::ScaledObject,
        None,
        &[],
        Some("app=worker"),
        Columns::Wide,
        r#"
NAMESPACE   NAME     SCALETARGETKIND      SCALETARGETNAME   MIN   MAX   READY   ACTIVE   FALLBACK   PAUSED   TRIGGERS     AUTHENTICATIONS   AGE
team        worker   apps/v1.Deployment   worker            0     3     True    False    False      False    prometheus                     10m"#,
    );
    check(
        Kind::ScaledObject,
        Some("team"),
        &["nosuch"],
        None,
        Columns::Default,
        "Error from server (NotFound): scaledobjects.keda.sh \"nosuch\" not found",
    );
}

/// What `oc describe` prints of the autoscalers' cluster, its error included.
fn describe_autoscaler(kind: Kind, name: &str) -> String {
    kind.kubectl()
        .describe(autoscalers(), "team", name)
        .unwrap_or_else(|e| e.to_string())
}

#[test]
fn hpas_describe_as_kubectl_describes_them() {
    let check = |kind: Kind, name: &str, want: &str| {
        assert_eq!(describe_autoscaler(kind, name), text(want), "{name}");
    };
    // KServe's HPA: behavior defaulted; cpu utilization as a percentage of request.
    // KEDA's: the External metric per pod, the controller naming it with its selector.
    // KEDA's for a target at zero: scaling disabled. A user's: three metrics none of
    // which a pod reports, its own scale-down rules, its annotation.
    check(
        Kind::HorizontalPodAutoscaler,
        "granite-predictor",
        r#"
Name:                                                  granite-predictor
Namespace:                                             team
Labels:                                                serving.kserve.io/inferenceservice=granite
Annotations:                                           <none>
CreationTimestamp:                                     Thu, 01 Jan 2026 00:00:00 +0000
Reference:                                             Deployment/granite-predictor
Metrics:                                               ( current / target )
  resource cpu on pods  (as a percentage of request):  30% (1200m) / 60%
Min replicas:                                          1
Max replicas:                                          2
Behavior:
  Scale Up:
    Stabilization Window: 0 seconds
    Select Policy: Max
    Policies:
      - Type: Pods     Value: 4    Period: 15 seconds
      - Type: Percent  Value: 100  Period: 15 seconds
  Scale Down:
    Select Policy: Max
    Policies:
      - Type: Percent  Value: 100  Period: 15 seconds
Deployment pods:       1 current / 1 desired
Conditions:
  Type            Status  Reason              Message
  ----            ------  ------              -------
  AbleToScale     True    ReadyForNewScale    recommended size matches current size
  ScalingActive   True    ValidMetricFound    the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)
  ScalingLimited  False   DesiredWithinRange  the desired count is within the acceptable range
Events:
  Type     Reason                        Age   From                       Message
  ----     ------                        ----  ----                       -------
  Warning  FailedComputeMetricsReplicas  10m   horizontal-pod-autoscaler  invalid metrics (1 invalid out of 1), first error is: did not receive metrics for targeted pods (pods might be unready)
"#,
    );
    check(
        Kind::HorizontalPodAutoscaler,
        "keda-hpa-mistral-predictor",
        r#"
Name:                                      keda-hpa-mistral-predictor
Namespace:                                 team
Labels:                                    scaledobject.keda.sh/name=mistral-predictor
Annotations:                               <none>
CreationTimestamp:                         Thu, 01 Jan 2026 00:00:00 +0000
Reference:                                 Deployment/mistral-predictor
Metrics:                                   ( current / target )
  "s0-prometheus" (target average value):  6500m / 4
Min replicas:                              1
Max replicas:                              2
Deployment pods:                           2 current / 2 desired
Conditions:
  Type            Status  Reason               Message
  ----            ------  ------               -------
  AbleToScale     True    ScaleDownStabilized  recent recommendations were higher than current one, applying the highest recent recommendation
  ScalingActive   True    ValidMetricFound     the HPA was able to successfully calculate a replica count from external metric s0-prometheus(&LabelSelector{MatchLabels:map[string]string{scaledobject.keda.sh/name: mistral-predictor,},MatchExpressions:[]LabelSelectorRequirement{},})
  ScalingLimited  True    TooManyReplicas      the desired replica count is more than the maximum replica count
Events:
  Type    Reason             Age    From                       Message
  ----    ------             ----   ----                       -------
  Normal  SuccessfulRescale  7m30s  horizontal-pod-autoscaler  New size: 2; reason: external metric s0-prometheus above target
"#,
    );
    check(
        Kind::HorizontalPodAutoscaler,
        "keda-hpa-worker",
        r#"
Name:                                      keda-hpa-worker
Namespace:                                 team
Labels:                                    scaledobject.keda.sh/name=worker
Annotations:                               <none>
CreationTimestamp:                         Thu, 01 Jan 2026 00:00:00 +0000
Reference:                                 Deployment/worker
Metrics:                                   ( current / target )
  "s0-prometheus" (target average value):  <unknown> / 5
Min replicas:                              1
Max replicas:                              3
Deployment pods:                           0 current / 0 desired
Conditions:
  Type           Status  Reason             Message
  ----           ------  ------             -------
  AbleToScale    True    SucceededGetScale  the HPA controller was able to get the target's current scale
  ScalingActive  False   ScalingDisabled    scaling is disabled since the replica count of the target is zero
Events:          <none>
"#,
    );
    check(
        Kind::HorizontalPodAutoscaler,
        "web",
        r#"
Name:                                                  web
Namespace:                                             team
Labels:                                                app=web
Annotations:                                           example.com/owner: platform
CreationTimestamp:                                     Thu, 01 Jan 2026 00:00:00 +0000
Reference:                                             Deployment/web
Metrics:                                               ( current / target )
  resource cpu on pods  (as a percentage of request):  <unknown> / 80%
  "http_requests" on pods:                             <unknown> / 10
  "queue_depth" (target value):                        <unknown> / 30
Min replicas:                                          1
Max replicas:                                          5
Behavior:
  Scale Up:
    Stabilization Window: 0 seconds
    Select Policy: Max
    Policies:
      - Type: Pods     Value: 4    Period: 15 seconds
      - Type: Percent  Value: 100  Period: 15 seconds
  Scale Down:
    Stabilization Window: 120 seconds
    Select Policy: Max
    Policies:
      - Type: Pods  Value: 1  Period: 60 seconds
Deployment pods:    1 current / 1 desired
Conditions:
  Type           Status  Reason                   Message
  ----           ------  ------                   -------
  AbleToScale    True    SucceededGetScale        the HPA controller was able to get the target's current scale
  ScalingActive  False   FailedGetResourceMetric  the HPA was unable to compute the replica count: did not receive metrics for targeted pods (pods might be unready)
Events:
  Type     Reason                        Age   From                       Message
  ----     ------                        ----  ----                       -------
  Warning  FailedComputeMetricsReplicas  10m   horizontal-pod-autoscaler  invalid metrics (3 invalid out of 3), first error is: did not receive metrics for targeted pods (pods might be unready)
"#,
    );
    check(
        Kind::HorizontalPodAutoscaler,
        "nosuch",
        "Error from server (NotFound): horizontalpodautoscalers.autoscaling \"nosuch\" not found",
    );
}

#[test]
fn scaled_objects_describe_as_kubectl_describes_them() {
    let check = |kind: Kind, name: &str, want: &str| {
        assert_eq!(describe_autoscaler(kind, name), text(want), "{name}");
    };
    // KServe's, its spec as KServe writes it; a user's, its spec as applied and its
    // labels, scaled to zero when its trigger found nothing.
    check(
        Kind::ScaledObject,
        "mistral-predictor",
        r#"
Name:         mistral-predictor
Namespace:    team
Labels:       <none>
Annotations:  <none>
API Version:  keda.sh/v1alpha1
Kind:         ScaledObject
Metadata:
  Creation Timestamp:  2026-01-01T00:00:00Z
  Finalizers:
    finalizer.keda.sh
Spec:
  Max Replica Count:  2
  Min Replica Count:  1
  Scale Target Ref:
    Name:  mistral-predictor
  Triggers:
    Metadata:
      Query:           sum(vllm:num_requests_running{namespace="team",model_name="mistral"})
      Server Address:  http://prometheus-operated.monitoring.svc:9090
      Threshold:       4
    Type:              prometheus
Status:
  Authentications Types:  
  Conditions:
    Message:  ScaledObject is defined correctly and is ready for scaling
    Reason:   ScaledObjectReady
    Status:   True
    Type:     Ready
    Message:  Scaling is performed because triggers are active
    Reason:   ScalerActive
    Status:   True
    Type:     Active
    Message:  No fallbacks are active on this scaled object
    Reason:   NoFallbackFound
    Status:   False
    Type:     Fallback
    Status:   False
    Type:     Paused
  External Metric Names:
    s0-prometheus
  Hpa Name:          keda-hpa-mistral-predictor
  Last Active Time:  2026-01-01T00:10:00Z
  Scale Target GVKR:
    Group:            apps
    Kind:             Deployment
    Resource:         deployments
    Version:          v1
  Scale Target Kind:  apps/v1.Deployment
  Triggers Types:     prometheus
Events:               <none>
"#,
    );
    check(
        Kind::ScaledObject,
        "worker",
        r#"
Name:         worker
Namespace:    team
Labels:       app=worker
Annotations:  <none>
API Version:  keda.sh/v1alpha1
Kind:         ScaledObject
Metadata:
  Creation Timestamp:  2026-01-01T00:00:00Z
  Finalizers:
    finalizer.keda.sh
Spec:
  Cooldown Period:    60
  Max Replica Count:  3
  Min Replica Count:  0
  Polling Interval:   15
  Scale Target Ref:
    Name:  worker
  Triggers:
    Metadata:
      Query:           sum(queue_depth{queue="jobs"})
      Server Address:  http://prometheus-operated.monitoring.svc:9090
      Threshold:       5
    Type:              prometheus
Status:
  Authentications Types:  
  Conditions:
    Message:  ScaledObject is defined correctly and is ready for scaling
    Reason:   ScaledObjectReady
    Status:   True
    Type:     Ready
    Message:  Scaling is not performed because triggers are not active
    Reason:   ScalerNotActive
    Status:   False
    Type:     Active
    Message:  No fallbacks are active on this scaled object
    Reason:   NoFallbackFound
    Status:   False
    Type:     Fallback
    Status:   False
    Type:     Paused
  External Metric Names:
    s0-prometheus
  Hpa Name:  keda-hpa-worker
  Scale Target GVKR:
    Group:            apps
    Kind:             Deployment
    Resource:         deployments
    Version:          v1
  Scale Target Kind:  apps/v1.Deployment
  Triggers Types:     prometheus
Events:
  Type    Reason                      Age    From           Message
  ----    ------                      ----   ----           -------
  Normal  KEDAScaleTargetDeactivated  9m45s  keda-operator  Deactivated Deployment team/worker from 1 to 0
"#,
    );
}

#[test]
fn autoscalers_are_picked_by_name_all_or_labels() {
    let names = |n: &[&str]| Selection::Names(n.iter().map(|s| s.to_string()).collect());
    let cases = [
        (
            Kind::HorizontalPodAutoscaler,
            "team",
            Selection::All,
            Ok(vec![
                "granite-predictor",
                "keda-hpa-mistral-predictor",
                "keda-hpa-worker",
                "web",
            ]),
        ),
        (
            Kind::HorizontalPodAutoscaler,
            "team",
            Selection::Labels("scaledobject.keda.sh/name".into()),
            Ok(vec!["keda-hpa-mistral-predictor", "keda-hpa-worker"]),
        ),
        (
            Kind::ScaledObject,
            "team",
            Selection::Labels("app=worker".into()),
            Ok(vec!["worker"]),
        ),
        (
            Kind::ScaledObject,
            "team",
            Selection::Labels("!app".into()),
            Ok(vec!["mistral-predictor"]),
        ),
        (Kind::ScaledObject, "other", Selection::All, Ok(vec![])),
        (
            Kind::ScaledObject,
            "team",
            names(&["worker", "nosuch"]),
            Err("Error from server (NotFound): scaledobjects.keda.sh \"nosuch\" not found"),
        ),
    ];
    for (kind, ns, selection, want) in cases {
        let got = kind
            .kubectl()
            .select(autoscalers().store(), ns, &selection)
            .map_err(|e| e.to_string());
        let want = want
            .map(|v| v.into_iter().map(String::from).collect())
            .map_err(String::from);
        assert_eq!(got, want, "{kind:?} {ns} {selection:?}");
    }
}

#[test]
fn a_timeline_gets_describes_and_deletes_autoscalers() {
    let scenario = AUTOSCALERS_SCENARIO.replace("duration: 10m", "duration: 5m")
        + r#"  timeline:
    - {at: 4m, run: "oc get scaledobject.keda.sh worker -n team"}
    - {at: 4m, run: "kubectl describe hpa/keda-hpa-worker -n team"}
    - {at: 4m, run: "oc delete so worker -n team"}
    - {at: 4m, run: "oc get hpa -n team"}
    - {at: 4m, run: "oc delete hpa web -n team"}
    - {at: 5m, run: "oc get horizontalpodautoscalers -A"}
"#;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let write = |name: &str, text: &str| {
        std::fs::write(dir.path().join(name), text).unwrap_or_else(|e| panic!("{e}"));
    };
    write("scenario.yaml", &scenario);
    write("autoscalers.yaml", AUTOSCALERS);
    let prepared = crate::scenario::run::discover(&[dir.path().to_path_buf()])
        .unwrap_or_else(|e| panic!("{e:?}"))
        .pop()
        .unwrap_or_else(|| panic!("no scenario"));
    let run =
        crate::scenario::run::run(prepared, &crate::progress::Progress::default()).unwrap_or_else(|e| panic!("{e:?}"));
    let outputs: Vec<&str> = run.transcript.iter().map(|t| t.output.as_str()).collect();
    let want = [
        r#"
NAME     SCALETARGETKIND      SCALETARGETNAME   MIN   MAX   READY   ACTIVE   FALLBACK   PAUSED   TRIGGERS     AUTHENTICATIONS   AGE
worker   apps/v1.Deployment   worker            0     3     True    False    False      False    prometheus                     4m"#,
        r#"
Name:                                      keda-hpa-worker
Namespace:                                 team
Labels:                                    scaledobject.keda.sh/name=worker
Annotations:                               <none>
CreationTimestamp:                         Thu, 01 Jan 2026 00:00:00 +0000
Reference:                                 Deployment/worker
Metrics:                                   ( current / target )
  "s0-prometheus" (target average value):  <unknown> / 5
Min replicas:                              1
Max replicas:                              3
Deployment pods:                           0 current / 0 desired
Conditions:
  Type           Status  Reason             Message
  ----           ------  ------             -------
  AbleToScale    True    SucceededGetScale  the HPA controller was able to get the target's current scale
  ScalingActive  False   ScalingDisabled    scaling is disabled since the replica count of the target is zero
Events:          <none>
"#,
        "scaledobject \"worker\" deleted",
        r#"
NAME                         REFERENCE                      TARGETS                                        MINPODS   MAXPODS   REPLICAS   AGE
granite-predictor            Deployment/granite-predictor   cpu: 30%/60%                                   1         2         1          4m
keda-hpa-mistral-predictor   Deployment/mistral-predictor   7500m/4 (avg)                                  1         2         2          4m
web                          Deployment/web                 cpu: <unknown>/80%, <unknown>/10 + 1 more...   1         5         1          4m"#,
        "horizontalpodautoscaler \"web\" deleted",
        r#"
NAMESPACE   NAME                         REFERENCE                      TARGETS         MINPODS   MAXPODS   REPLICAS   AGE
team        granite-predictor            Deployment/granite-predictor   cpu: 30%/60%    1         2         1          5m
team        keda-hpa-mistral-predictor   Deployment/mistral-predictor   5500m/4 (avg)   1         2         2          5m"#,
    ];
    assert_eq!(outputs.len(), want.len(), "{outputs:#?}");
    for (got, want) in outputs.iter().zip(want) {
        assert_eq!(*got, text(want));
    }
}

/// `oc get` of several kinds, or with `-o yaml|json|name|jsonpath`, over the fixture.
fn get_as(kinds: &[Kind], ns: Option<&str>, names: &[&str], output: super::Output) -> String {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    Query::new(ns, &names, None, output)
        .and_then(|q| super::get(engine().store(), kinds, &q))
        .unwrap_or_else(|e| e.to_string())
}

fn jsonpath(template: &str) -> super::Output {
    super::Output::JsonPath(template.to_string())
}

#[test]
fn several_kinds_print_one_table_each_named_by_kind() {
    assert_eq!(
        get_as(
            &[Kind::Deployment, Kind::Pod],
            Some("team"),
            &[],
            Columns::Default.into()
        ),
        text(
            r#"
NAME                                         READY   UP-TO-DATE   AVAILABLE   AGE
deployment.apps/granite-8b-agent-predictor   1/1     1            1           10m

NAME                                              READY   STATUS    RESTARTS   AGE
pod/granite-8b-agent-predictor-5658dc576c-76ngt   1/1     Running   0          10m
pod/train-f5n6t                                   1/1     Running   0          10m"#
        )
    );
    // Only one kind has objects: its table as if it were asked for alone.
    assert_eq!(
        get_as(&[Kind::Cohort, Kind::Job], None, &[], Columns::Default.into()),
        text(
            r#"
NAMESPACE   NAME    STATUS    COMPLETIONS   DURATION   AGE
team        train   Running   0/1           10m        10m"#
        )
    );
    assert_eq!(
        get_as(
            &[Kind::Cohort, Kind::ScaledObject],
            Some("team"),
            &[],
            Columns::Default.into()
        ),
        "No resources found"
    );
    assert_eq!(
        get_as(&[Kind::Deployment, Kind::Pod], Some("team"), &[], super::Output::Name),
        "deployment.apps/granite-8b-agent-predictor\npod/granite-8b-agent-predictor-5658dc576c-76ngt\npod/train-f5n6t"
    );
}

/// Every kind's object has the fields its controllers write, as JSONPath reads them.
#[test]
fn every_kind_prints_its_object_with_the_status_its_controller_writes() {
    let isvc = "granite-8b-agent";
    let pod = "granite-8b-agent-predictor-5658dc576c-76ngt";
    let cases: [(Kind, &str, &str, &str); 17] = [
        (Kind::Pod, pod, "{.status.phase} {.spec.nodeName} {.metadata.ownerReferences[0].kind}", "Running l4-0 ReplicaSet"),
        (Kind::Pod, pod, "{.status.conditions[?(@.type==\"Ready\")].status}", "True"),
        (Kind::Pod, pod, "{.status.containerStatuses[0].state.running.startedAt} {.status.initContainerStatuses[0].state.terminated.reason}", "2026-01-01T00:01:10Z Completed"),
        (Kind::Deployment, "granite-8b-agent-predictor", "{.spec.replicas} {.status.readyReplicas} {.status.availableReplicas} {.status.updatedReplicas}", "1 1 1 1"),
        (Kind::Deployment, "granite-8b-agent-predictor", "{.status.conditions[?(@.type==\"Available\")].reason}", "MinimumReplicasAvailable"),
        (Kind::ReplicaSet, "granite-8b-agent-predictor-5658dc576c", "{.metadata.annotations.deployment\\.kubernetes\\.io/revision} {.status.readyReplicas}", "1 1"),
        (Kind::InferenceService, isvc, "{.status.url} {.status.conditions[?(@.type==\"Ready\")].status}", "http://granite-8b-agent-predictor.team.svc.cluster.local True"),
        (Kind::InferenceService, isvc, "{.status.modelStatus.states.activeModelState} {.status.modelStatus.transitionStatus}", "Loaded UpToDate"),
        (Kind::Workload, "job-train-6e934", "{.status.conditions[?(@.type==\"Admitted\")].status} {.status.admission.clusterQueue}", "True main"),
        (Kind::ClusterQueue, "main", "{.status.flavorsReservation[0].resources[?(@.name==\"nvidia.com/gpu\")].total} {.status.admittedWorkloads} {.status.pendingWorkloads}", "2 2 0"),
        (Kind::LocalQueue, "default", "{.spec.clusterQueue} {.status.reservingWorkloads}", "main 2"),
        (Kind::ResourceFlavor, "l4", "{.spec.nodeLabels.node\\.kubernetes\\.io/instance-type}", "g6.12xlarge"),
        (Kind::Node, "l4-0", "{.status.allocatable.nvidia\\.com/gpu} {.spec.taints[0].key} {.status.conditions[?(@.type==\"Ready\")].reason}", "4 nvidia.com/gpu KubeletReady"),
        (Kind::ServingRuntime, "vllm-runtime", "{.spec.supportedModelFormats[0].name} {.spec.containers[0].name}", "vLLM kserve-container"),
        (Kind::Job, "train", "{.spec.suspend} {.status.active} {.status.startTime}", "false 1 2026-01-01T00:00:00Z"),
        (Kind::HorizontalPodAutoscaler, "granite-8b-agent-predictor", "{.spec.scaleTargetRef.name} {.metadata.ownerReferences[0].kind} {.status.currentReplicas}", "granite-8b-agent-predictor InferenceService 1"),
        (Kind::Pod, pod, "{.kind}/{.metadata.name}", "Pod/granite-8b-agent-predictor-5658dc576c-76ngt"),
    ];
    for (kind, name, template, want) in cases {
        assert_eq!(
            get_as(&[kind], Some("team"), &[name], jsonpath(template)),
            want,
            "{kind:?} {template}"
        );
    }
}

#[test]
fn lists_and_objects_print_as_kubectl_prints_them() {
    // A list without items, not a message.
    assert_eq!(
        get_as(&[Kind::Cohort], None, &[], super::Output::Yaml),
        "apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: \"\""
    );
    assert_eq!(
        get_as(
            &[Kind::Pod],
            Some("team"),
            &[],
            jsonpath("{range .items[*]}{.metadata.name}{\"\\n\"}{end}")
        ),
        "granite-8b-agent-predictor-5658dc576c-76ngt\ntrain-f5n6t\n"
    );
    let json = get_as(&[Kind::LocalQueue], Some("team"), &["default"], super::Output::Json);
    assert!(
        json.starts_with("{\n    \"apiVersion\": \"kueue.x-k8s.io/v1beta2\",\n    \"kind\": \"LocalQueue\","),
        "{json}"
    );
    assert_eq!(
        get_as(&[Kind::Pod], Some("team"), &["nosuch"], super::Output::Yaml),
        "Error from server (NotFound): pods \"nosuch\" not found"
    );
    assert_eq!(
        get_as(&[Kind::Pod], Some("team"), &[], jsonpath("{.items[7].metadata.name}")),
        "error: error executing jsonpath \"{.items[7].metadata.name}\": Error executing template: array index out of bounds: index 7, length 2. Printing more information for debugging the template:\n\ttemplate was:\n\t\t{.items[7].metadata.name}"
    );
    // Every kind's objects read back as YAML.
    for kind in Kind::ALL {
        let yaml = get_as(&[kind], None, &[], super::Output::Yaml);
        let file: std::sync::Arc<str> = std::sync::Arc::from("t");
        crate::manifest::yaml::parse_documents(&file, &yaml).unwrap_or_else(|e| panic!("{kind:?}: {e:?}\n{yaml}"));
    }
}

#[test]
fn an_inference_service_describes_as_a_custom_resource() {
    let out = Kind::InferenceService
        .kubectl()
        .describe(engine(), "team", "granite-8b-agent")
        .unwrap_or_else(|e| e.to_string());
    let head = text(
        r#"
Name:         granite-8b-agent
Namespace:    team
Labels:       kueue.x-k8s.io/queue-name=default
              opendatahub.io/dashboard=true
Annotations:  openshift.io/display-name: Granite 3.1 8B Agent (FP8)
              serving.kserve.io/deploymentMode: RawDeployment
API Version:  serving.kserve.io/v1beta1
Kind:         InferenceService
Metadata:
"#,
    );
    assert!(out.starts_with(head), "{out}");
    for part in [
        "Status:\n  Address:\n    URL:  http://granite-8b-agent-predictor.team.svc.cluster.local\n",
        "    Last Transition Time:  2026-01-01T00:02:24Z\n    Status:                True\n    Type:                  PredictorReady\n",
        "    States:\n      Active Model State:  Loaded\n      Target Model State:  Loaded\n",
        // KServe posts no event for what the simulation does of it.
        "Events:                    <none>\n",
    ] {
        assert!(out.contains(part), "{part}\n---\n{out}");
    }
}
