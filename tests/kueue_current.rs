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
