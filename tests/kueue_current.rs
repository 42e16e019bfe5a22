//! Stories for Kueue as v0.19 has it: Workloads with named pod sets assigned flavors each
//! on its own, Workload objects that keep what they say (pod sets, admissions, times), and
//! `oc get workload -o yaml` printing them back.

mod common;
use common::{folder, simulate};

const FLAVORS_AND_QUEUE: &str = r#"
apiVersion: kueue.x-k8s.io/v1beta2
kind: ResourceFlavor
metadata: {name: on-demand}
spec: {nodeLabels: {pool: on-demand}}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: ResourceFlavor
metadata: {name: spot}
spec: {nodeLabels: {pool: spot}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ml}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: LocalQueue
metadata: {name: main, namespace: ml}
spec: {clusterQueue: team}
"#;

fn cluster_queue(preemption: &str) -> String {
    format!(
        "---\napiVersion: kueue.x-k8s.io/v1beta2\nkind: ClusterQueue\nmetadata: {{name: team}}\nspec:\n  namespaceSelector: {{}}\n{preemption}  resourceGroups:\n    - coveredResources: [cpu, nvidia.com/gpu]\n      flavors:\n        - name: on-demand\n          resources: [{{name: cpu, nominalQuota: 8}}, {{name: nvidia.com/gpu, nominalQuota: 4}}]\n        - name: spot\n          resources: [{{name: cpu, nominalQuota: 64}}, {{name: nvidia.com/gpu, nominalQuota: 8}}]\n"
    )
}

fn scenario(timeline: &str) -> String {
    format!("apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: story}}\nspec:\n  include: [m.yaml]\n  duration: 2m\n  timeline:\n{timeline}")
}

/// A training Workload of two pod sets: a launcher pinned to on-demand and four GPU
/// workers that only spot has room for.
const TRAIN: &str = r#"---
apiVersion: kueue.x-k8s.io/v1beta2
kind: Workload
metadata: {name: train, namespace: ml, creationTimestamp: "2026-11-23T10:00:00Z"}
spec:
  queueName: main
  priority: 10
  podSets:
    - name: launcher
      count: 1
      template:
        spec:
          nodeSelector: {pool: on-demand}
          containers: [{name: launcher, image: i, resources: {requests: {cpu: "2"}}}]
    - name: workers
      count: 4
      template:
        spec:
          containers: [{name: worker, image: i, resources: {requests: {cpu: "4", nvidia.com/gpu: "2"}}}]
"#;

/// Given a pending Workload with a launcher and four workers, Kueue assigns each pod set
/// its flavor: the launcher on-demand (its node selector), the workers on spot (8 GPUs do
/// not fit on-demand's 4); `oc get workload -o yaml` shows both under their names.
#[test]
fn two_pod_sets_of_one_workload_land_in_different_flavors() {
    let m = format!("{FLAVORS_AND_QUEUE}{}{TRAIN}", cluster_queue(""));
    let dir = folder(&[
        ("m.yaml", &m),
        (
            "s.yaml",
            &scenario("    - {at: 1m, run: \"oc get workload train -n ml -o yaml\"}\n"),
        ),
    ]);
    let done = simulate(&dir.path().join("s.yaml"));
    let w = done
        .result
        .engine
        .store()
        .workloads
        .values()
        .find(|w| w.name == "train")
        .unwrap();
    let a = w.admission.as_ref().expect("admitted");
    let flavors: Vec<(&str, Option<&str>)> = a
        .pod_set_assignments
        .iter()
        .map(|ps| (ps.name.as_str(), ps.flavors.get("cpu").map(String::as_str)))
        .collect();
    assert_eq!(flavors, [("launcher", Some("on-demand")), ("workers", Some("spot"))]);
    let yaml = &done.result.transcript[0].output;
    for line in [
        "apiVersion: kueue.x-k8s.io/v1beta2",
        "  clusterQueue: team",
        "      name: launcher",
        "      name: workers",
        "        nvidia.com/gpu: spot",
        "        cpu: on-demand",
        "creationTimestamp: \"2026-11-23T10:00:00Z\"",
    ] {
        assert!(yaml.contains(line), "`{line}` missing from\n{yaml}");
    }
}

/// What `oc get workload -o yaml` prints reads back as the same Workload: an admitted
/// Workload of two pod sets in different flavors, written out and given again as input,
/// holds the same pod sets, admission and times.
#[test]
fn an_admitted_workload_with_two_pod_sets_round_trips_through_oc_get_yaml() {
    let m = format!("{FLAVORS_AND_QUEUE}{}{TRAIN}", cluster_queue(""));
    let get = "    - {at: 1m, run: \"oc get workload train -n ml -o yaml\"}\n";
    let first_dir = folder(&[("m.yaml", &m), ("s.yaml", &scenario(get))]);
    let first = simulate(&first_dir.path().join("s.yaml"));
    let printed = first.result.transcript[0].output.clone();
    // The printed Workload replaces the pending one given before.
    let again = format!("{FLAVORS_AND_QUEUE}{}---\n{printed}\n", cluster_queue(""));
    let second_dir = folder(&[("m.yaml", &again), ("s.yaml", &scenario(get))]);
    let second = simulate(&second_dir.path().join("s.yaml"));
    let find = |done: &gpuaas_sim::Completed| {
        let w = done
            .result
            .engine
            .store()
            .workloads
            .values()
            .find(|w| w.name == "train")
            .unwrap()
            .clone();
        (
            w.pod_sets
                .iter()
                .map(|p| (p.name.clone(), p.count, p.per_pod.clone()))
                .collect::<Vec<_>>(),
            w.admission,
            w.priority,
        )
    };
    assert_eq!(find(&first), find(&second));
    assert_eq!(second.result.transcript[0].output, printed, "printed again the same");
}

fn admitted(name: &str, created: &str, reserved: &str, priority: i32) -> String {
    format!(
        "---\napiVersion: kueue.x-k8s.io/v1beta2\nkind: Workload\nmetadata: {{name: {name}, namespace: ml, creationTimestamp: \"{created}\"}}\nspec:\n  queueName: main\n  priority: {priority}\n  podSets:\n    - name: main\n      count: 1\n      template: {{spec: {{containers: [{{name: c, image: i, resources: {{requests: {{nvidia.com/gpu: \"2\"}}}}}}]}}}}\nstatus:\n  admission:\n    clusterQueue: team\n    podSetAssignments:\n      - name: main\n        count: 1\n        flavors: {{nvidia.com/gpu: on-demand}}\n  conditions:\n    - {{type: QuotaReserved, status: \"True\", reason: QuotaReserved, lastTransitionTime: \"{reserved}\"}}\n"
    )
}

fn pending(name: &str, created: &str, priority: i32) -> String {
    format!(
        "---\napiVersion: kueue.x-k8s.io/v1beta2\nkind: Workload\nmetadata: {{name: {name}, namespace: ml, creationTimestamp: \"{created}\"}}\nspec:\n  queueName: main\n  priority: {priority}\n  podSets:\n    - name: main\n      count: 1\n      template: {{spec: {{nodeSelector: {{pool: on-demand}}, containers: [{{name: c, image: i, resources: {{requests: {{nvidia.com/gpu: \"2\"}}}}}}]}}}}\n"
    )
}

fn evicted(done: &gpuaas_sim::Completed) -> Vec<String> {
    let mut names: Vec<String> = done
        .result
        .engine
        .store()
        .workloads
        .values()
        .filter(|w| !w.evictions.is_empty())
        .map(|w| w.name.clone())
        .collect();
    names.sort();
    names
}

/// Time as written: of two admitted Workloads of equal priority, preemption takes the one
/// whose quota was reserved last (Kueue's candidate order), whatever order the file lists
/// them in.
#[test]
fn preemption_takes_the_workload_admitted_last_as_written() {
    let preemption = "  preemption: {withinClusterQueue: LowerPriority}\n";
    for (first, second) in [("earlier", "later"), ("later", "earlier")] {
        let make = |name: &str| match name {
            "earlier" => admitted("earlier", "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z", 0),
            _ => admitted("later", "2026-11-23T09:30:00Z", "2026-11-23T10:05:00Z", 0),
        };
        let m = format!(
            "{FLAVORS_AND_QUEUE}{}{}{}{}",
            cluster_queue(preemption),
            make(first),
            make(second),
            pending("urgent", "2026-11-23T10:06:00Z", 100)
        );
        let dir = folder(&[
            ("m.yaml", &m),
            ("s.yaml", &scenario("    - {at: 1m, run: \"oc get workloads -n ml\"}\n")),
        ]);
        let done = simulate(&dir.path().join("s.yaml"));
        assert_eq!(evicted(&done), ["later"], "listed {first} first");
    }
}

/// `LowerOrNewerEqualPriority` compares creation times as written: a pending Workload
/// created before an admitted one of equal priority may preempt it, one created after
/// may not.
#[test]
fn lower_or_newer_equal_priority_reads_creation_times_as_written() {
    let preemption = "  preemption: {withinClusterQueue: LowerOrNewerEqualPriority}\n";
    let holders = format!(
        "{}{}",
        admitted("a", "2026-11-23T10:05:00Z", "2026-11-23T10:06:00Z", 0),
        admitted("b", "2026-11-23T10:05:00Z", "2026-11-23T10:06:00Z", 0)
    );
    for (created, preempts) in [("2026-11-23T10:00:00Z", true), ("2026-11-23T10:10:00Z", false)] {
        let m = format!(
            "{FLAVORS_AND_QUEUE}{}{holders}{}",
            cluster_queue(preemption),
            pending("waiting", created, 0)
        );
        let dir = folder(&[
            ("m.yaml", &m),
            ("s.yaml", &scenario("    - {at: 1m, run: \"oc get workloads -n ml\"}\n")),
        ]);
        let done = simulate(&dir.path().join("s.yaml"));
        assert_eq!(
            !evicted(&done).is_empty(),
            preempts,
            "created {created}: {:?}",
            evicted(&done)
        );
    }
}

/// A ClusterQueue `q` with one flavor `default` of `cpu` and `example.com/gpu`, and
/// Workload objects in its namespace.
fn partial_cluster(preemption: &str, workloads: &str) -> String {
    format!(
        "apiVersion: kueue.x-k8s.io/v1beta2\nkind: ResourceFlavor\nmetadata: {{name: default}}\n---\napiVersion: kueue.x-k8s.io/v1beta2\nkind: ClusterQueue\nmetadata: {{name: q}}\nspec:\n  namespaceSelector: {{}}\n{preemption}  resourceGroups:\n    - coveredResources: [cpu, example.com/gpu]\n      flavors:\n        - name: default\n          resources: [{{name: cpu, nominalQuota: 50}}, {{name: example.com/gpu, nominalQuota: 20}}]\n---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: sales}}\n---\napiVersion: kueue.x-k8s.io/v1beta2\nkind: LocalQueue\nmetadata: {{name: main, namespace: sales}}\nspec: {{clusterQueue: q}}\n{workloads}"
    )
}

/// A Workload object's pod sets, as (name, count, minCount, one pod's requests).
fn workload_object(name: &str, priority: i32, pod_sets: &[(&str, u32, Option<u32>, &str)], admitted: bool) -> String {
    let mut sets = String::new();
    let mut assignments = String::new();
    for (ps, count, min, requests) in pod_sets {
        let min = min.map(|m| format!("      minCount: {m}\n")).unwrap_or_default();
        sets.push_str(&format!("    - name: {ps}\n      count: {count}\n{min}      template: {{spec: {{containers: [{{name: c, image: i, resources: {{requests: {{{requests}}}}}}}]}}}}\n"));
        assignments.push_str(&format!(
            "      - {{name: {ps}, count: {count}, flavors: {{cpu: default, example.com/gpu: default}}}}\n"
        ));
    }
    let status = if admitted {
        format!("status:\n  admission:\n    clusterQueue: q\n    podSetAssignments:\n{assignments}")
    } else {
        String::new()
    };
    format!("---\napiVersion: kueue.x-k8s.io/v1beta2\nkind: Workload\nmetadata: {{name: {name}, namespace: sales}}\nspec:\n  queueName: main\n  priority: {priority}\n  podSets:\n{sets}{status}")
}

fn run_partial(manifests: &str) -> gpuaas_sim::Completed {
    let s = "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {name: story}\nspec:\n  include: [m.yaml]\n  duration: 1m\n";
    let dir = folder(&[("m.yaml", manifests), ("s.yaml", s)]);
    simulate(&dir.path().join("s.yaml"))
}

fn admitted_counts(done: &gpuaas_sim::Completed, name: &str) -> Option<Vec<(String, u32)>> {
    let w = done.result.engine.store().workloads.values().find(|w| w.name == name)?;
    let a = w.admission.as_ref()?;
    Some(
        a.pod_set_assignments
            .iter()
            .map(|p| (p.name.clone(), p.count))
            .collect(),
    )
}

/// Partial admission (`minCount`), after Kueue's `TestSchedule` cases "partial admission
/// single variable pod set" and "partial admission multiple variable pod sets": the most
/// pods that fit the quota, taken from the pod sets that may shrink in proportion.
#[test]
fn partial_admission_admits_the_most_pods_that_fit() {
    let single = workload_object("new", 0, &[("one", 50, Some(20), "cpu: \"2\"")], false);
    let done = run_partial(&partial_cluster("", &single));
    assert_eq!(admitted_counts(&done, "new"), Some(vec![("one".into(), 25)]));
    let multiple = workload_object(
        "new",
        0,
        &[
            ("one", 20, None, "cpu: \"1\""),
            ("two", 30, Some(10), "cpu: \"1\""),
            ("three", 15, Some(5), "cpu: \"1\""),
        ],
        false,
    );
    let done = run_partial(&partial_cluster("", &multiple));
    assert_eq!(
        admitted_counts(&done, "new"),
        Some(vec![("one".into(), 20), ("two".into(), 20), ("three".into(), 10)])
    );
}

/// After "partial admission single variable pod set, preempt first" and "…, preempt with
/// partial admission": preempting for the whole Workload comes before shrinking it; when
/// even preemption cannot make room for all of it, it shrinks to what fits once the
/// victim is gone.
#[test]
fn partial_admission_prefers_preempting_for_the_whole_workload() {
    let preemption = "  preemption: {withinClusterQueue: LowerPriority}\n";
    let old = workload_object("old", -4, &[("one", 10, None, "example.com/gpu: \"1\"")], true);
    for (count, want_count) in [(20, 20), (30, 20)] {
        let new = workload_object("new", 4, &[("one", count, Some(10), "example.com/gpu: \"1\"")], false);
        let done = run_partial(&partial_cluster(preemption, &format!("{old}{new}")));
        let store = done.result.engine.store();
        let old_w = store.workloads.values().find(|w| w.name == "old").unwrap();
        assert_eq!(old_w.evictions.len(), 1, "new count {count}: old preempted");
        let new_w = store.workloads.values().find(|w| w.name == "new").unwrap();
        let first_message = store
            .events
            .iter()
            .find(|e| e.object == "Workload sales/new" && e.message.contains("Pending the preemption"))
            .map(|e| e.message.clone());
        assert_eq!(
            first_message.as_deref(),
            Some("couldn't assign flavors to pod set one: insufficient unused quota for example.com/gpu in flavor default, 10 more needed. Pending the preemption of 1 workload(s)"),
            "new count {count}"
        );
        // The old Workload has no pods: it releases its quota at once and new is admitted.
        let admitted = new_w.admission.as_ref().map(|a| a.pod_count());
        assert_eq!(admitted, Some(want_count), "new count {count}");
    }
}

/// A batch/v1 Job with `kueue.x-k8s.io/job-min-parallelism` runs as many pods at once as
/// Kueue admitted (its parallelism), and gets its parallelism back when stopped.
#[test]
fn a_partially_admitted_job_runs_the_pods_admitted() {
    let job = |name: &str, parallelism: u32, min: Option<u32>| {
        let annotation = min
            .map(|m| format!(", kueue.x-k8s.io/job-min-parallelism: \"{m}\""))
            .unwrap_or_default();
        format!("---\napiVersion: batch/v1\nkind: Job\nmetadata: {{name: {name}, namespace: sales, labels: {{kueue.x-k8s.io/queue-name: main}}, annotations: {{gpuaas-sim.io/run-time: 1h{annotation}}}}}\nspec:\n  parallelism: {parallelism}\n  completions: {parallelism}\n  template: {{spec: {{containers: [{{name: c, image: i, resources: {{requests: {{example.com/gpu: \"1\"}}}}}}]}}}}\n")
    };
    let m = partial_cluster("", &format!("{}{}", job("first", 14, None), job("wide", 10, Some(2))));
    let done = run_partial(&m);
    let store = done.result.engine.store();
    let w = store.workloads.values().find(|w| w.owner == "wide").unwrap();
    assert_eq!(w.admission.as_ref().map(|a| a.pod_count()), Some(6));
    let j = store.jobs.values().find(|j| j.name == "wide").unwrap();
    assert_eq!(j.spec.parallelism, 6, "the Job runs what was admitted");
}

/// A preempted Workload waiting to be admitted again says so in `oc get workload -o yaml`:
/// `QuotaReserved` False since its eviction, `Evicted` (Preempted) and `Preempted`
/// (InClusterQueue) with Kueue's message.
#[test]
fn a_preempted_workload_shows_its_eviction_in_its_conditions() {
    let preemption = "  preemption: {withinClusterQueue: LowerPriority}\n";
    let old = workload_object("old", -4, &[("one", 10, None, "example.com/gpu: \"1\"")], true);
    let new = workload_object("new", 4, &[("one", 20, None, "example.com/gpu: \"1\"")], false);
    let s = "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {name: story}\nspec:\n  include: [m.yaml]\n  duration: 2m\n  timeline:\n    - {at: 1m, run: \"oc get workload old -n sales -o yaml\"}\n";
    let m = partial_cluster(preemption, &format!("{old}{new}"));
    let dir = folder(&[("m.yaml", &m), ("s.yaml", s)]);
    let done = simulate(&dir.path().join("s.yaml"));
    let yaml = &done.result.transcript[0].output;
    for line in [
        "type: QuotaReserved",
        "status: \"False\"",
        "type: Evicted",
        "reason: Preempted",
        "type: Preempted",
        "reason: InClusterQueue",
        "message: \"Preempted to accommodate a workload",
    ] {
        assert!(yaml.contains(line), "`{line}` missing from\n{yaml}");
    }
}
