//! Kueue v0.19.2's `TestSchedule` (pkg/scheduler/scheduler_test.go), each case under its
//! upstream name, stated as Kueue's test states it: the base fixture's ResourceFlavors,
//! Namespaces, ClusterQueues and LocalQueues, the case's own, and Workload objects —
//! admitted ones with `status.admission`, pending ones without — run for one second.
//!
//! Kueue's test runs one scheduling cycle; here Kueue keeps scheduling. So a case's
//! expectations are read from what that first cycle did: a Workload's first decision (its
//! quota reserved, or the message it was left pending with) and the evictions issued. A
//! preemptor is admitted later, once its victims (Workload objects without pods) have
//! released their quota; what the cycles after the first do is not asserted.
//!
//! Names a Kubernetes API server refuses (capitals, underscores: `CQ1`, `cq_a`) and the
//! simulator with it are written in lower case with hyphens (`cq1`, `cq-a`).
//!
//! Quotas are written as the catalogue of these cases writes them: resource groups joined
//! by ` + `, flavors of a group by spaces in their order, `flavor{res=nominal/borrowingLimit/
//! lendingLimit,…}` with empty or missing limits unset.

mod common;
use common::folder;
use std::collections::BTreeSet;

// ---------------------------------------------------------------------------------------
// Manifests
// ---------------------------------------------------------------------------------------

/// Seconds after the cases' `now`, as an RFC 3339 time (within the hour around it).
fn at(offset: i64) -> String {
    let s = 10 * 3600 + offset;
    format!("2026-01-01T{:02}:{:02}:{:02}Z", s / 3600, (s / 60) % 60, s % 60)
}

/// `resourceGroups` from the quota notation.
fn resource_groups(quotas: &str) -> String {
    let mut out = String::from("  resourceGroups:\n");
    for group in quotas.split(" + ") {
        let mut covered: Vec<String> = Vec::new();
        let mut flavors = String::new();
        for flavor in group.split_whitespace() {
            let (name, rest) = flavor.split_once('{').expect("flavor{…}");
            let body = rest.trim_end_matches('}');
            flavors.push_str(&format!("        - name: {name}\n          resources:\n"));
            for res in body.split(',') {
                let (r, q) = res.split_once('=').expect("res=quota");
                if !covered.iter().any(|c| c == r) {
                    covered.push(r.to_string());
                }
                let mut parts = q.split('/');
                let nominal = parts.next().unwrap_or("0");
                let mut line = format!("            - {{name: {r}, nominalQuota: \"{nominal}\"");
                if let Some(b) = parts.next().filter(|b| !b.is_empty()) {
                    line.push_str(&format!(", borrowingLimit: \"{b}\""));
                }
                if let Some(l) = parts.next().filter(|l| !l.is_empty()) {
                    line.push_str(&format!(", lendingLimit: \"{l}\""));
                }
                line.push_str("}\n");
                flavors.push_str(&line);
            }
        }
        out.push_str(&format!(
            "    - coveredResources: [{}]\n      flavors:\n{flavors}",
            covered.join(", ")
        ));
    }
    out
}

/// A ClusterQueue as upstream's `MakeClusterQueue` makes it (any namespace,
/// BestEffortFIFO, Kueue's default fungibility), changed by the builder methods.
struct Cq {
    name: &'static str,
    quotas: &'static str,
    cohort: Option<&'static str>,
    selector: Option<&'static str>,
    strict: bool,
    preemption: Option<&'static str>,
    fungibility: Option<&'static str>,
    weight: Option<&'static str>,
}

fn cq(name: &'static str, quotas: &'static str) -> Cq {
    Cq {
        name,
        quotas,
        cohort: None,
        selector: None,
        strict: false,
        preemption: None,
        fungibility: None,
        weight: None,
    }
}

impl Cq {
    fn cohort(mut self, c: &'static str) -> Cq {
        self.cohort = Some(c);
        self
    }
    /// `namespaceSelector` for namespaces labelled `dep: <dep>`.
    fn dep(mut self, dep: &'static str) -> Cq {
        self.selector = Some(dep);
        self
    }
    fn strict(mut self) -> Cq {
        self.strict = true;
        self
    }
    /// `preemption`, as a YAML flow mapping.
    fn pre(mut self, p: &'static str) -> Cq {
        self.preemption = Some(p);
        self
    }
    /// `flavorFungibility`, as a YAML flow mapping.
    fn fung(mut self, f: &'static str) -> Cq {
        self.fungibility = Some(f);
        self
    }
    fn weight(mut self, w: &'static str) -> Cq {
        self.weight = Some(w);
        self
    }
    fn yaml(&self) -> String {
        let mut s = format!(
            "---\napiVersion: kueue.x-k8s.io/v1beta2\nkind: ClusterQueue\nmetadata: {{name: {}}}\nspec:\n",
            self.name
        );
        if let Some(c) = self.cohort {
            s.push_str(&format!("  cohortName: {c}\n"));
        }
        match self.selector {
            Some(dep) => s.push_str(&format!(
                "  namespaceSelector: {{matchExpressions: [{{key: dep, operator: In, values: [{dep}]}}]}}\n"
            )),
            None => s.push_str("  namespaceSelector: {}\n"),
        }
        if self.strict {
            s.push_str("  queueingStrategy: StrictFIFO\n");
        }
        if let Some(p) = self.preemption {
            s.push_str(&format!("  preemption: {p}\n"));
        }
        if let Some(f) = self.fungibility {
            s.push_str(&format!("  flavorFungibility: {f}\n"));
        }
        if let Some(w) = self.weight {
            s.push_str(&format!("  fairSharing: {{weight: \"{w}\"}}\n"));
        }
        s.push_str(&resource_groups(self.quotas));
        s
    }
}

/// A Cohort object, with its parent and quotas (`""`: none).
fn cohort(name: &str, parent: Option<&str>, quotas: &'static str) -> String {
    let mut s = format!("---\napiVersion: kueue.x-k8s.io/v1beta2\nkind: Cohort\nmetadata: {{name: {name}}}\nspec:\n");
    if let Some(p) = parent {
        s.push_str(&format!("  parentName: {p}\n"));
    }
    if quotas.is_empty() {
        s.push_str("  resourceGroups: []\n");
    } else {
        s.push_str(&resource_groups(quotas));
    }
    s
}

/// A LocalQueue `namespace/name` of `cq`.
fn lq(queue: &str, cq: &str) -> String {
    let (ns, name) = queue.split_once('/').expect("ns/name");
    format!(
        "---\napiVersion: kueue.x-k8s.io/v1beta2\nkind: LocalQueue\nmetadata: {{name: {name}, namespace: {ns}}}\nspec: {{clusterQueue: {cq}}}\n"
    )
}

struct PodSet {
    name: &'static str,
    count: u32,
    min: Option<u32>,
    /// `res=qty,…` of one pod.
    requests: &'static str,
    /// Admitted: its flavor (for every resource) and count.
    flavor: Option<&'static str>,
}

/// A Workload object `namespace/name` in LocalQueue `queue`.
struct Wl {
    ns: &'static str,
    name: &'static str,
    queue: &'static str,
    priority: i32,
    created: i64,
    reserved: i64,
    pod_sets: Vec<PodSet>,
    admitted_in: Option<&'static str>,
    /// The resources its admission assigns a flavor (all it requests when `None`).
    assigned: Option<&'static str>,
}

/// A pending Workload of one pod set `main` of one pod with these requests.
fn wl(id: &'static str, queue: &'static str, requests: &'static str) -> Wl {
    let (ns, name) = id.split_once('/').expect("ns/name");
    Wl {
        ns,
        name,
        queue,
        priority: 0,
        created: 0,
        reserved: 0,
        pod_sets: vec![PodSet {
            name: "main",
            count: 1,
            min: None,
            requests,
            flavor: None,
        }],
        admitted_in: None,
        assigned: None,
    }
}

/// A pending Workload of these pod sets: `(name, count, one pod's requests)`.
fn wl_sets(id: &'static str, queue: &'static str, sets: &[(&'static str, u32, &'static str)]) -> Wl {
    let mut w = wl(id, queue, "");
    w.pod_sets = sets
        .iter()
        .map(|&(name, count, requests)| PodSet {
            name,
            count,
            min: None,
            requests,
            flavor: None,
        })
        .collect();
    w
}

impl Wl {
    fn p(mut self, priority: i32) -> Wl {
        self.priority = priority;
        self
    }
    /// Created this many seconds after `now`.
    fn t(mut self, offset: i64) -> Wl {
        self.created = offset;
        self
    }
    /// Quota reserved this many seconds after `now`.
    fn adm_at(mut self, offset: i64) -> Wl {
        self.reserved = offset;
        self
    }
    /// `minCount` of its last pod set.
    fn min(mut self, m: u32) -> Wl {
        if let Some(ps) = self.pod_sets.last_mut() {
            ps.min = Some(m);
        }
        self
    }
    /// Admitted in `cq`, its pod sets in these flavors (one per pod set, for all its
    /// resources).
    fn admitted(mut self, cq: &'static str, flavors: &[&'static str]) -> Wl {
        self.admitted_in = Some(cq);
        for (ps, f) in self.pod_sets.iter_mut().zip(flavors) {
            ps.flavor = Some(f);
        }
        self
    }
    /// Its admission assigns a flavor to these resources only (`res,…`).
    fn assigning(mut self, resources: &'static str) -> Wl {
        self.assigned = Some(resources);
        self
    }
    /// Another pod set, after those it has.
    fn then(mut self, (name, count, requests): (&'static str, u32, &'static str)) -> Wl {
        self.pod_sets.push(PodSet {
            name,
            count,
            min: None,
            requests,
            flavor: None,
        });
        self
    }
    fn yaml(&self) -> String {
        let mut sets = String::new();
        let mut assignments = String::new();
        for ps in &self.pod_sets {
            let requests: Vec<String> = ps
                .requests
                .split(',')
                .filter(|r| !r.is_empty())
                .map(|r| {
                    let (k, v) = r.split_once('=').expect("res=qty");
                    format!("{k}: \"{v}\"")
                })
                .collect();
            let min = ps.min.map(|m| format!("      minCount: {m}\n")).unwrap_or_default();
            sets.push_str(&format!(
                "    - name: {}\n      count: {}\n{min}      template: {{spec: {{containers: [{{name: c, image: i, resources: {{requests: {{{}}}}}}}]}}}}\n",
                ps.name,
                ps.count,
                requests.join(", ")
            ));
            if let Some(f) = ps.flavor {
                let flavors: Vec<String> = ps
                    .requests
                    .split(',')
                    .filter_map(|r| r.split_once('='))
                    .filter(|(k, _)| self.assigned.is_none_or(|a| a.split(',').any(|x| x == *k)))
                    .map(|(k, _)| format!("{k}: {f}"))
                    .collect();
                assignments.push_str(&format!(
                    "      - {{name: {}, count: {}, flavors: {{{}}}}}\n",
                    ps.name,
                    ps.count,
                    flavors.join(", ")
                ));
            }
        }
        let status = match self.admitted_in {
            Some(cq) => format!(
                "status:\n  admission:\n    clusterQueue: {cq}\n    podSetAssignments:\n{assignments}  conditions:\n    - {{type: QuotaReserved, status: \"True\", reason: QuotaReserved, lastTransitionTime: \"{}\"}}\n",
                at(self.reserved)
            ),
            None => String::new(),
        };
        format!(
            "---\napiVersion: kueue.x-k8s.io/v1beta2\nkind: Workload\nmetadata: {{name: {}, namespace: {}, creationTimestamp: \"{}\"}}\nspec:\n  queueName: {}\n  priority: {}\n  podSets:\n{sets}{status}",
            self.name,
            self.ns,
            at(self.created),
            self.queue,
            self.priority
        )
    }
}

/// The fixture every case starts from: its flavors, namespaces, ClusterQueues and
/// LocalQueues. Upstream's also has a ClusterQueue of an undefined flavor and a LocalQueue
/// of an undefined ClusterQueue, which the simulator refuses as input; no case but the two
/// about them (left out) reads them.
fn base() -> String {
    let mut s = String::new();
    for f in ["default", "on-demand", "spot", "model-a"] {
        s.push_str(&format!(
            "---\napiVersion: kueue.x-k8s.io/v1beta2\nkind: ResourceFlavor\nmetadata: {{name: {f}}}\n"
        ));
    }
    for (f, v) in [("spot-tainted", "val"), ("spot-tainted-2", "val2")] {
        s.push_str(&format!("---\napiVersion: kueue.x-k8s.io/v1beta2\nkind: ResourceFlavor\nmetadata: {{name: {f}}}\nspec: {{nodeTaints: [{{key: key, value: {v}, effect: NoSchedule}}]}}\n"));
    }
    for (ns, dep) in [
        ("default", None),
        ("eng-alpha", Some("eng")),
        ("eng-beta", Some("eng")),
        ("eng-gamma", Some("eng")),
        ("sales", Some("sales")),
        ("lend", Some("lend")),
    ] {
        let labels = dep.map(|d| format!(", labels: {{dep: {d}}}")).unwrap_or_default();
        s.push_str(&format!(
            "---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}{labels}}}\n"
        ));
    }
    for c in [
        cq("sales", "default{cpu=50/0}").dep("sales").strict(),
        cq("eng-alpha", "on-demand{cpu=50/50} spot{cpu=100/0}")
            .cohort("eng")
            .dep("eng")
            .strict(),
        cq(
            "eng-beta",
            "on-demand{cpu=50/10} spot{cpu=0/100} + model-a{example.com/gpu=20/0}",
        )
        .cohort("eng")
        .dep("eng")
        .strict()
        .pre("{reclaimWithinCohort: Any, withinClusterQueue: LowerPriority}"),
        cq("lend-a", "default{cpu=3//2}").cohort("lend").dep("lend"),
        cq("lend-b", "default{cpu=2//2}").cohort("lend").dep("lend"),
    ] {
        s.push_str(&c.yaml());
    }
    for (q, c) in [
        ("sales/main", "sales"),
        ("sales/blocked", "eng-alpha"),
        ("eng-alpha/main", "eng-alpha"),
        ("eng-beta/main", "eng-beta"),
        ("lend/lend-a-queue", "lend-a"),
        ("lend/lend-b-queue", "lend-b"),
    ] {
        s.push_str(&lq(q, c));
    }
    s
}

// ---------------------------------------------------------------------------------------
// Cases and their expectations
// ---------------------------------------------------------------------------------------

/// A preemption: the victim, the preemptor, Kueue's reason, and the two paths of its
/// message.
struct Preempted {
    victim: &'static str,
    by: &'static str,
    reason: &'static str,
    preemptor_path: &'static str,
    preemptee_path: &'static str,
}

fn preempted(
    victim: &'static str,
    by: &'static str,
    reason: &'static str,
    paths: (&'static str, &'static str),
) -> Preempted {
    Preempted {
        victim,
        by,
        reason,
        preemptor_path: paths.0,
        preemptee_path: paths.1,
    }
}

/// An admission: the Workload, its ClusterQueue, and per pod set `(name, count,
/// "res=flavor,…")`.
type Admitted = (&'static str, &'static str, Vec<(&'static str, u32, &'static str)>);

#[derive(Default)]
struct Case {
    name: &'static str,
    /// ClusterQueues, LocalQueues and Cohort objects of the case, beyond the base fixture.
    objects: String,
    workloads: Vec<Wl>,
    fair_sharing: bool,
    /// Quota reserved in the first cycle.
    admitted: Vec<Admitted>,
    /// Left pending in the first cycle, with this message.
    pending: Vec<(&'static str, &'static str)>,
    preempted: Vec<Preempted>,
    /// Evicted by a later cycle, after the first decision of the second Workload: what
    /// Kueue's next cycle does once the first one's preemptions no longer overlap.
    later_evicted: Vec<(&'static str, &'static str)>,
    /// Neither admitted nor given a message by the scheduler (the Workload controller may
    /// say its queue is missing).
    untouched: Vec<&'static str>,
}

fn objects(cqs: Vec<Cq>, rest: &[String]) -> String {
    let mut s: String = cqs.iter().map(Cq::yaml).collect();
    for r in rest {
        s.push_str(r);
    }
    s
}

/// Three ClusterQueues `cq1`..`cq3` of cohort `co`, each `default{r1=10/10,r2=10/10}`,
/// with LocalQueues `sales/lq1`..`sales/lq3`.
fn co_queues() -> String {
    let pre = "{reclaimWithinCohort: Any, withinClusterQueue: LowerPriority}";
    objects(
        ["cq1", "cq2", "cq3"]
            .into_iter()
            .map(|n| cq(n, "default{r1=10/10,r2=10/10}").cohort("co").pre(pre))
            .collect(),
        &[lq("sales/lq1", "cq1"), lq("sales/lq2", "cq2"), lq("sales/lq3", "cq3")],
    )
}

/// `other-alpha` and `other-beta` (cohort `other`) with `[on-demand, spot]` of `gpu`:
/// alpha 10 of each and preemption LowerPriority within and across, beta none (with the
/// same preemption when `beta_preempts`).
fn two_gpu_flavor_queues(beta_preempts: bool) -> String {
    let pre = "{withinClusterQueue: LowerPriority, reclaimWithinCohort: LowerPriority}";
    let beta = cq("other-beta", "on-demand{gpu=0} spot{gpu=0}").cohort("other");
    let beta = if beta_preempts { beta.pre(pre) } else { beta };
    objects(
        vec![
            cq("other-alpha", "on-demand{gpu=10} spot{gpu=10}")
                .cohort("other")
                .pre(pre),
            beta,
        ],
        &[lq("eng-alpha/other", "other-alpha"), lq("eng-beta/other", "other-beta")],
    )
}

/// `cluster-queue-a` (2 `gpu` of on-demand, `reclaimWithinCohort` as given) lending to
/// `cluster-queue-b` (none), cohort `root`.
fn lender_and_borrower(reclaim: &'static str) -> String {
    let pre = match reclaim {
        "Any" => "{reclaimWithinCohort: Any}",
        "LowerPriority" => "{reclaimWithinCohort: LowerPriority}",
        _ => "{reclaimWithinCohort: Never}",
    };
    objects(
        vec![
            cq("cluster-queue-a", "on-demand{gpu=2}").cohort("root").pre(pre),
            cq("cluster-queue-b", "on-demand{gpu=0}").cohort("root"),
        ],
        &[
            lq("eng-alpha/lq", "cluster-queue-a"),
            lq("eng-beta/lq", "cluster-queue-b"),
        ],
    )
}

/// One `gpu` admitted in A, 2 pending in A, 1 pending in B (created after the others,
/// which upstream leaves without a creation time).
fn lender_and_borrower_workloads() -> Vec<Wl> {
    vec![
        wl("eng-alpha/a1-admitted", "lq", "gpu=1")
            .t(-1)
            .admitted("cluster-queue-a", &["on-demand"]),
        wl("eng-alpha/a2-pending", "lq", "gpu=2").t(-1),
        wl("eng-beta/b1-pending", "lq", "gpu=1"),
    ]
}

/// `<p>-cq` (cohort `<p>-cohort`, `[on-demand{cpu=5/0}, spot{cpu=0/5}]`, preemption
/// within, fungibility TryNextFlavor both ways with this preference) and `<p>-lender`
/// holding the spot quota; LocalQueue `default/<p>-queue`.
fn preference_queues(p: &'static str, preference: &'static str) -> String {
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let cohort = leak(format!("{p}-cohort"));
    objects(
        vec![
            cq(leak(format!("{p}-cq")), "on-demand{cpu=5/0} spot{cpu=0/5}")
                .cohort(cohort)
                .pre("{withinClusterQueue: LowerPriority}")
                .fung(leak(format!(
                    "{{whenCanBorrow: TryNextFlavor, whenCanPreempt: TryNextFlavor, preference: {preference}}}"
                ))),
            cq(leak(format!("{p}-lender")), "on-demand{cpu=0} spot{cpu=5}").cohort(cohort),
        ],
        &[lq(&format!("default/{p}-queue"), &format!("{p}-cq"))],
    )
}

fn human(reason: &str) -> &'static str {
    match reason {
        "InClusterQueue" => "prioritization in the ClusterQueue",
        "InCohortReclamation" => "reclamation within the cohort",
        "InCohortReclaimWhileBorrowing" => "reclamation within the cohort while borrowing",
        "InCohortFairSharing" => "Fair Sharing within the cohort",
        _ => "?",
    }
}

const DECISIONS: [&str; 3] = ["QuotaReserved", "Pending", "Inadmissible"];

/// Runs the case; the differences from its expectations, if any.
fn check(c: &Case) -> Vec<String> {
    let mut m = base();
    m.push_str(&c.objects);
    for w in &c.workloads {
        m.push_str(&w.yaml());
    }
    let config = if c.fair_sharing {
        "  kueue: {fairSharing: {enable: true}}\n"
    } else {
        ""
    };
    let scenario = format!(
        "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata: {{name: schedule}}\nspec:\n  include: [m.yaml]\n{config}  duration: 1s\n"
    );
    let dir = folder(&[("m.yaml", &m), ("s.yaml", &scenario)]);
    let prepared = match gpuaas_sim::scenario::run::discover(&[dir.path().join("s.yaml")]) {
        Ok(mut p) if p.len() == 1 => p.remove(0),
        Ok(_) => return vec!["not one scenario".into()],
        Err(e) => return vec![format!("refused: {e}")],
    };
    let done = match gpuaas_sim::simulate(prepared) {
        Ok(d) => d,
        Err(e) => return vec![format!("run failed: {e}")],
    };
    let store = done.result.engine.store();
    let mut errors = Vec::new();
    let find = |id: &str| {
        let (ns, name) = id.split_once('/').expect("ns/name");
        store.workloads.values().find(|w| w.namespace == ns && w.name == name)
    };
    // A Workload's first decision: its quota reserved, or a pending message.
    let first_decision = |id: &str| {
        let object = format!("Workload {id}");
        store
            .events
            .iter()
            .find(|e| e.object == object && DECISIONS.contains(&e.kind.as_str()))
            .map(|e| (e.kind.clone(), e.message.clone()))
    };
    for (id, cq, sets) in &c.admitted {
        let Some(w) = find(id) else {
            errors.push(format!("{id}: no such Workload"));
            continue;
        };
        match first_decision(id) {
            Some((kind, _)) if kind == "QuotaReserved" => {}
            other => errors.push(format!("{id}: first decision {other:?}, want its quota reserved")),
        }
        let got = w.admission.as_ref().map(|a| {
            (
                a.cluster_queue.clone(),
                a.pod_set_assignments
                    .iter()
                    .map(|p| {
                        let flavors: Vec<String> = p.flavors.iter().map(|(r, f)| format!("{r}={f}")).collect();
                        (p.name.clone(), p.count, flavors.join(","))
                    })
                    .collect::<Vec<_>>(),
            )
        });
        let want = Some((
            cq.to_string(),
            sets.iter()
                .map(|(n, count, flavors)| {
                    let mut f: Vec<&str> = flavors.split(',').collect();
                    f.sort();
                    (n.to_string(), *count, f.join(","))
                })
                .collect::<Vec<_>>(),
        ));
        if got != want {
            errors.push(format!("{id}: admission {got:?}, want {want:?}"));
        }
    }
    for (id, message) in &c.pending {
        match first_decision(id) {
            Some((kind, got)) if kind != "QuotaReserved" && got == *message => {}
            other => errors.push(format!("{id}: first decision {other:?}, want pending with {message:?}")),
        }
    }
    for id in &c.untouched {
        let decided = first_decision(id).filter(|(kind, _)| kind != "Inadmissible");
        match (find(id), decided) {
            (Some(w), None) if w.admission.is_none() => {}
            (w, d) => errors.push(format!("{id}: {:?} / {d:?}, want untouched", w.map(|w| &w.admission))),
        }
    }
    let evicted: BTreeSet<String> = store
        .workloads
        .values()
        .filter(|w| !w.evictions.is_empty())
        .map(|w| format!("{}/{}", w.namespace, w.name))
        .collect();
    let want_evicted: BTreeSet<String> = c
        .preempted
        .iter()
        .map(|p| p.victim.to_string())
        .chain(c.later_evicted.iter().map(|(v, _)| v.to_string()))
        .collect();
    let position = |object: String, kinds: &[&str]| {
        store
            .events
            .iter()
            .position(|e| e.object == object && kinds.contains(&e.kind.as_str()))
    };
    for (victim, after) in &c.later_evicted {
        let evicted_at = position(format!("Workload {victim}"), &["EvictedDueToPreempted"]);
        let decided_at = position(format!("Workload {after}"), &DECISIONS);
        if !matches!((evicted_at, decided_at), (Some(e), Some(d)) if e > d) {
            errors.push(format!(
                "{victim}: evicted at event {evicted_at:?}, want after {after}'s first decision ({decided_at:?})"
            ));
        }
    }
    if evicted != want_evicted {
        errors.push(format!("evicted {evicted:?}, want {want_evicted:?}"));
    }
    for p in &c.preempted {
        let (Some(v), Some(by)) = (find(p.victim), find(p.by)) else {
            errors.push(format!("{} or {}: no such Workload", p.victim, p.by));
            continue;
        };
        let Some(e) = v.evictions.first() else { continue };
        let message = format!(
            "Preempted to accommodate a workload (UID: {}, JobUID: ) due to {}; preemptor path: {}; preemptee path: {}",
            by.uid,
            human(p.reason),
            p.preemptor_path,
            p.preemptee_path
        );
        let got = (
            e.reason.as_str(),
            e.preemption_reason.as_deref(),
            e.preemptor,
            e.message.as_str(),
        );
        let want = ("Preempted", Some(p.reason), Some(by.uid), message.as_str());
        if got != want {
            errors.push(format!("{}: eviction {got:?}, want {want:?}", p.victim));
        }
    }
    errors
}

/// Runs every case (or those whose name contains `KUEUE_CASE`), reporting all failures.
fn run(cases: Vec<Case>) {
    let filter = std::env::var("KUEUE_CASE").ok();
    let mut failures = Vec::new();
    let mut names = BTreeSet::new();
    for c in &cases {
        assert!(names.insert(c.name), "case `{}` listed twice", c.name);
        if filter.as_deref().is_some_and(|f| !c.name.contains(f)) {
            continue;
        }
        let errors = check(c);
        if !errors.is_empty() {
            failures.push(format!("{}:\n  {}", c.name, errors.join("\n  ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

const IC: &str = "InClusterQueue";
const CR: &str = "InCohortReclamation";
const FS: &str = "InCohortFairSharing";
const NO_LONGER_FITS: &str = "Workload no longer fits after processing another workload";

#[test]
fn test_schedule() {
    run(schedule_cases());
}

fn schedule_cases() -> Vec<Case> {
    vec![
        Case {
            name: "use second flavor when the first has no preemption candidates; WhenCanPreempt: MayStopSearch",
            objects: objects(
                vec![cq("other-alpha", "on-demand{cpu=50/50} spot{cpu=100/0}")
                    .pre("{withinClusterQueue: LowerPriority}")
                    .fung("{whenCanBorrow: MayStopSearch, whenCanPreempt: MayStopSearch}")],
                &[lq("eng-alpha/other", "other-alpha")],
            ),
            workloads: vec![
                wl("eng-alpha/admitted", "other", "cpu=50").admitted("other-alpha", &["on-demand"]),
                wl("eng-alpha/new", "other", "cpu=20"),
            ],
            admitted: vec![("eng-alpha/new", "other-alpha", vec![("main", 1, "cpu=spot")])],
            ..Case::default()
        },
        Case {
            name: "skip workload with missing or deleted ClusterQueue (NoFit)",
            workloads: vec![wl_sets("sales/missing-cq-workload", "non-existent-queue", &[("set", 1, "cpu=1")])],
            untouched: vec!["sales/missing-cq-workload"],
            ..Case::default()
        },
        Case {
            name: "flavors with mixed misconfiguration and insufficient quota",
            objects: objects(
                vec![cq("custom-cq", "spot-tainted{cpu=20/20} on-demand{cpu=15/15}").strict()],
                &[lq("sales/custom-q", "custom-cq")],
            ),
            workloads: vec![
                wl("sales/existing-on-demand-job", "custom-q", "cpu=10").admitted("custom-cq", &["on-demand"]),
                wl("sales/new-job", "custom-q", "cpu=10"),
            ],
            pending: vec![("sales/new-job", "couldn't assign flavors to pod set main: insufficient unused quota for cpu in flavor on-demand, 5 more needed, untolerated taint {key val NoSchedule <nil>} in flavor spot-tainted")],
            ..Case::default()
        },
        Case {
            name: "flavors with mixed taint mismatch and exceeding limits",
            objects: objects(
                vec![cq("custom-cq2", "spot-tainted{cpu=20/20} on-demand{cpu=5/5}").strict()],
                &[lq("sales/custom-q2", "custom-cq2")],
            ),
            workloads: vec![wl("sales/new-job2", "custom-q2", "cpu=10")],
            pending: vec![("sales/new-job2", "couldn't assign flavors to pod set main: insufficient quota for cpu in flavor on-demand, previously considered podsets requests (0) + current podset request (10) > maximum capacity (5), untolerated taint {key val NoSchedule <nil>} in flavor spot-tainted")],
            ..Case::default()
        },
        Case {
            name: "flavors are structurally incompatible",
            objects: objects(
                vec![cq("custom-cq3", "spot-tainted{cpu=20/20} spot-tainted-2{cpu=5/5}").strict()],
                &[lq("sales/custom-q3", "custom-cq3")],
            ),
            workloads: vec![wl("sales/new-job3", "custom-q3", "cpu=1")],
            pending: vec![("sales/new-job3", "couldn't assign flavors to pod set main: untolerated taint {key val NoSchedule <nil>} in flavor spot-tainted, untolerated taint {key val2 NoSchedule <nil>} in flavor spot-tainted-2")],
            ..Case::default()
        },
        Case {
            name: "single clusterQueue full",
            workloads: vec![
                wl_sets("sales/assigned", "main", &[("one", 40, "cpu=1")]).admitted("sales", &["default"]),
                wl_sets("sales/new", "main", &[("one", 11, "cpu=1")]),
            ],
            pending: vec![("sales/new", "couldn't assign flavors to pod set one: insufficient unused quota for cpu in flavor default, 1 more needed")],
            ..Case::default()
        },
        Case {
            name: "failed to match clusterQueue selector",
            workloads: vec![wl_sets("sales/new", "blocked", &[("one", 1, "cpu=1")])],
            pending: vec![("sales/new", "workload namespace doesn't match ClusterQueue selector")],
            ..Case::default()
        },
        Case {
            name: "admit in different cohorts",
            workloads: vec![
                wl_sets("sales/new", "main", &[("one", 1, "cpu=1")]),
                wl_sets("eng-alpha/new", "main", &[("one", 51, "cpu=1")]),
            ],
            admitted: vec![
                ("sales/new", "sales", vec![("one", 1, "cpu=default")]),
                ("eng-alpha/new", "eng-alpha", vec![("one", 51, "cpu=on-demand")]),
            ],
            ..Case::default()
        },
        Case {
            name: "admit in same cohort with no borrowing",
            workloads: vec![
                wl_sets("eng-alpha/new", "main", &[("one", 40, "cpu=1")]),
                wl_sets("eng-beta/new", "main", &[("one", 40, "cpu=1")]),
            ],
            admitted: vec![
                ("eng-alpha/new", "eng-alpha", vec![("one", 40, "cpu=on-demand")]),
                ("eng-beta/new", "eng-beta", vec![("one", 40, "cpu=on-demand")]),
            ],
            ..Case::default()
        },
        Case {
            name: "assign multiple resources and flavors",
            workloads: vec![wl_sets(
                "eng-beta/new",
                "main",
                &[("one", 10, "cpu=6,example.com/gpu=1"), ("two", 40, "cpu=1")],
            )],
            admitted: vec![(
                "eng-beta/new",
                "eng-beta",
                vec![("one", 10, "cpu=on-demand,example.com/gpu=model-a"), ("two", 40, "cpu=spot")],
            )],
            ..Case::default()
        },
        Case {
            name: "cannot borrow if cohort was assigned and would result in overadmission",
            workloads: vec![
                wl_sets("eng-alpha/new", "main", &[("one", 45, "cpu=1")]),
                wl_sets("eng-beta/new", "main", &[("one", 56, "cpu=1")]),
            ],
            admitted: vec![("eng-alpha/new", "eng-alpha", vec![("one", 45, "cpu=on-demand")])],
            pending: vec![("eng-beta/new", NO_LONGER_FITS)],
            ..Case::default()
        },
        Case {
            name: "can borrow if cohort was assigned and will not result in overadmission",
            workloads: vec![
                wl_sets("eng-alpha/new", "main", &[("one", 45, "cpu=1")]),
                wl_sets("eng-beta/new", "main", &[("one", 55, "cpu=1")]),
            ],
            admitted: vec![
                ("eng-alpha/new", "eng-alpha", vec![("one", 45, "cpu=on-demand")]),
                ("eng-beta/new", "eng-beta", vec![("one", 55, "cpu=on-demand")]),
            ],
            ..Case::default()
        },
        Case {
            name: "can borrow if needs reclaim from cohort in different flavor",
            workloads: vec![
                wl("eng-alpha/can-reclaim", "main", "cpu=100"),
                wl("eng-beta/needs-to-borrow", "main", "cpu=1"),
                wl("eng-beta/user-on-demand", "main", "cpu=50").admitted("eng-beta", &["on-demand"]),
                wl("eng-beta/user-spot", "main", "cpu=1").admitted("eng-beta", &["spot"]),
            ],
            admitted: vec![("eng-beta/needs-to-borrow", "eng-beta", vec![("main", 1, "cpu=on-demand")])],
            pending: vec![("eng-alpha/can-reclaim", "couldn't assign flavors to pod set main: insufficient unused quota for cpu in flavor on-demand, 50 more needed, insufficient unused quota for cpu in flavor spot, 1 more needed")],
            ..Case::default()
        },
        Case {
            name: "workload exceeds lending limit when borrow in cohort",
            workloads: vec![
                wl("lend/a", "lend-b-queue", "cpu=2").admitted("lend-b", &["default"]),
                wl("lend/b", "lend-b-queue", "cpu=3"),
            ],
            pending: vec![("lend/b", "couldn't assign flavors to pod set main: insufficient unused quota for cpu in flavor default, 1 more needed")],
            ..Case::default()
        },
        Case {
            name: "hierarchical cohort respects lending limit when borrowing",
            objects: objects(
                vec![
                    cq("cq-lender", "on-demand{cpu=10//3}").cohort("child").dep("eng"),
                    cq("cq-borrower", "on-demand{cpu=5/10}").cohort("child").dep("eng"),
                ],
                &[
                    cohort("root", None, ""),
                    cohort("child", Some("root"), ""),
                    lq("eng-alpha/lq-lender", "cq-lender"),
                    lq("eng-alpha/lq-borrower", "cq-borrower"),
                ],
            ),
            workloads: vec![
                wl("eng-alpha/wl-existing", "lq-borrower", "cpu=5").admitted("cq-borrower", &["on-demand"]),
                wl("eng-alpha/wl-pending", "lq-borrower", "cpu=4"),
            ],
            pending: vec![("eng-alpha/wl-pending", "couldn't assign flavors to pod set main: insufficient unused quota for cpu in flavor on-demand, 1 more needed")],
            ..Case::default()
        },
        Case {
            name: "hierarchical cohort allows borrowing up to lending limit",
            objects: objects(
                vec![
                    cq("cq-lender", "on-demand{cpu=10//5}").cohort("child").dep("eng"),
                    cq("cq-borrower", "on-demand{cpu=5/10}").cohort("child").dep("eng"),
                ],
                &[
                    cohort("root", None, ""),
                    cohort("child", Some("root"), ""),
                    lq("eng-alpha/lq-lender", "cq-lender"),
                    lq("eng-alpha/lq-borrower", "cq-borrower"),
                ],
            ),
            workloads: vec![
                wl("eng-alpha/wl-existing", "lq-borrower", "cpu=5").admitted("cq-borrower", &["on-demand"]),
                wl("eng-alpha/wl-borrowing", "lq-borrower", "cpu=5"),
            ],
            admitted: vec![("eng-alpha/wl-borrowing", "cq-borrower", vec![("main", 1, "cpu=on-demand")])],
            ..Case::default()
        },
        Case {
            name: "preempt workloads in ClusterQueue and cohort",
            workloads: vec![
                wl("eng-beta/preemptor", "main", "cpu=20"),
                wl("eng-alpha/use-all-spot", "main", "cpu=100").admitted("eng-alpha", &["spot"]),
                wl("eng-beta/low-1", "main", "cpu=30").p(-1).admitted("eng-beta", &["on-demand"]),
                wl("eng-beta/low-2", "main", "cpu=10").p(-2).admitted("eng-beta", &["on-demand"]),
                wl("eng-alpha/borrower", "main", "cpu=60").admitted("eng-alpha", &["on-demand"]),
            ],
            pending: vec![("eng-beta/preemptor", "couldn't assign flavors to pod set main: insufficient unused quota for cpu in flavor on-demand, 20 more needed, insufficient unused quota for cpu in flavor spot, 20 more needed. Pending the preemption of 2 workload(s)")],
            preempted: vec![
                preempted("eng-alpha/borrower", "eng-beta/preemptor", CR, ("/eng/eng-beta", "/eng/eng-alpha")),
                preempted("eng-beta/low-2", "eng-beta/preemptor", IC, ("/eng/eng-beta", "/eng/eng-beta")),
            ],
            ..Case::default()
        },
        Case {
            name: "multiple CQs need preemption",
            objects: objects(
                vec![
                    cq("other-alpha", "on-demand{cpu=50/50}").cohort("other"),
                    cq("other-beta", "on-demand{cpu=50/10}")
                        .cohort("other")
                        .pre("{reclaimWithinCohort: Any, withinClusterQueue: LowerPriority}"),
                ],
                &[lq("eng-alpha/other", "other-alpha"), lq("eng-beta/other", "other-beta")],
            ),
            workloads: vec![
                wl("eng-beta/preemptor", "other", "cpu=1").p(-1),
                wl("eng-alpha/pending", "other", "cpu=1").p(1),
                wl("eng-alpha/use-all", "other", "cpu=100").admitted("other-alpha", &["on-demand"]),
            ],
            pending: vec![
                ("eng-beta/preemptor", "couldn't assign flavors to pod set main: insufficient unused quota for cpu in flavor on-demand, 1 more needed. Pending the preemption of 1 workload(s)"),
                ("eng-alpha/pending", "couldn't assign flavors to pod set main: insufficient unused quota for cpu in flavor on-demand, 1 more needed"),
            ],
            preempted: vec![preempted("eng-alpha/use-all", "eng-beta/preemptor", CR, ("/other/other-beta", "/other/other-alpha"))],
            ..Case::default()
        },
        Case {
            name: "cannot borrow resource not listed in clusterQueue",
            workloads: vec![wl("eng-alpha/new", "main", "example.com/gpu=1")],
            pending: vec![("eng-alpha/new", "couldn't assign flavors to pod set main: resource example.com/gpu unavailable in ClusterQueue")],
            ..Case::default()
        },
        Case {
            name: "not enough resources to borrow, fallback to next flavor; WhenCanPreempt: TryNextFlavor",
            workloads: vec![
                wl_sets("eng-alpha/new", "main", &[("one", 60, "cpu=1")]),
                wl_sets("eng-beta/existing", "main", &[("one", 45, "cpu=1")]).admitted("eng-beta", &["on-demand"]),
            ],
            admitted: vec![("eng-alpha/new", "eng-alpha", vec![("one", 60, "cpu=spot")])],
            ..Case::default()
        },
        Case {
            name: "no overadmission while borrowing",
            objects: objects(
                vec![cq("eng-gamma", "on-demand{cpu=50/10} spot{cpu=0/100}")
                    .cohort("eng")
                    .pre("{reclaimWithinCohort: Any, withinClusterQueue: LowerPriority}")],
                &[lq("eng-gamma/main", "eng-gamma")],
            ),
            workloads: vec![
                wl_sets("eng-beta/new", "main", &[("one", 50, "cpu=1")]).t(-2),
                wl_sets("eng-alpha/new-alpha", "main", &[("one", 1, "cpu=1")]).t(-1),
                wl_sets("eng-gamma/new-gamma", "main", &[("one", 50, "cpu=1")]),
                wl_sets(
                    "eng-gamma/existing",
                    "main",
                    &[("borrow-on-demand", 51, "cpu=1"), ("use-all-spot", 100, "cpu=1")],
                )
                .admitted("eng-gamma", &["on-demand", "spot"]),
            ],
            admitted: vec![
                ("eng-beta/new", "eng-beta", vec![("one", 50, "cpu=on-demand")]),
                ("eng-alpha/new-alpha", "eng-alpha", vec![("one", 1, "cpu=on-demand")]),
            ],
            pending: vec![("eng-gamma/new-gamma", "couldn't assign flavors to pod set one: insufficient unused quota for cpu in flavor on-demand, 41 more needed, insufficient unused quota for cpu in flavor spot, 50 more needed")],
            ..Case::default()
        },
        Case {
            name: "partial admission single variable pod set",
            workloads: vec![wl_sets("sales/new", "main", &[("one", 50, "cpu=2")]).min(20)],
            admitted: vec![("sales/new", "sales", vec![("one", 25, "cpu=default")])],
            ..Case::default()
        },
        Case {
            name: "partial admission single variable pod set, preempt first",
            workloads: vec![
                wl_sets("eng-beta/new", "main", &[("one", 20, "example.com/gpu=1")]).p(4).min(10),
                wl_sets("eng-beta/old", "main", &[("one", 10, "example.com/gpu=1")])
                    .p(-4)
                    .admitted("eng-beta", &["model-a"]),
            ],
            pending: vec![("eng-beta/new", "couldn't assign flavors to pod set one: insufficient unused quota for example.com/gpu in flavor model-a, 10 more needed. Pending the preemption of 1 workload(s)")],
            preempted: vec![preempted("eng-beta/old", "eng-beta/new", IC, ("/eng/eng-beta", "/eng/eng-beta"))],
            ..Case::default()
        },
        Case {
            name: "partial admission single variable pod set, preempt with partial admission",
            workloads: vec![
                wl_sets("eng-beta/new", "main", &[("one", 30, "example.com/gpu=1")]).p(4).min(10),
                wl_sets("eng-beta/old", "main", &[("one", 10, "example.com/gpu=1")])
                    .p(-4)
                    .admitted("eng-beta", &["model-a"]),
            ],
            pending: vec![("eng-beta/new", "couldn't assign flavors to pod set one: insufficient unused quota for example.com/gpu in flavor model-a, 10 more needed. Pending the preemption of 1 workload(s)")],
            preempted: vec![preempted("eng-beta/old", "eng-beta/new", IC, ("/eng/eng-beta", "/eng/eng-beta"))],
            ..Case::default()
        },
        Case {
            name: "partial admission multiple variable pod sets",
            workloads: vec![wl_sets("sales/new", "main", &[("one", 20, "cpu=1"), ("two", 30, "cpu=1")])
                .min(10)
                .then(("three", 15, "cpu=1"))
                .min(5)],
            admitted: vec![(
                "sales/new",
                "sales",
                vec![("one", 20, "cpu=default"), ("two", 20, "cpu=default"), ("three", 10, "cpu=default")],
            )],
            ..Case::default()
        },
        Case {
            name: "two workloads can borrow different resources from the same flavor in the same cycle",
            objects: co_queues(),
            workloads: vec![wl("sales/wl1", "lq1", "r1=16").p(-1), wl("sales/wl2", "lq2", "r2=16").p(-2)],
            admitted: vec![
                ("sales/wl1", "cq1", vec![("main", 1, "r1=default")]),
                ("sales/wl2", "cq2", vec![("main", 1, "r2=default")]),
            ],
            ..Case::default()
        },
        Case {
            name: "two workloads can borrow the same resources from the same flavor in the same cycle if fits in the cohort quota",
            objects: co_queues(),
            workloads: vec![wl("sales/wl1", "lq1", "r1=16").p(-1), wl("sales/wl2", "lq2", "r1=14").p(-2)],
            admitted: vec![
                ("sales/wl1", "cq1", vec![("main", 1, "r1=default")]),
                ("sales/wl2", "cq2", vec![("main", 1, "r1=default")]),
            ],
            ..Case::default()
        },
        Case {
            name: "only one workload can borrow one resources from the same flavor in the same cycle if cohort quota cannot fit",
            objects: co_queues(),
            workloads: vec![wl("sales/wl1", "lq1", "r1=16").p(-1), wl("sales/wl2", "lq2", "r1=16").p(-2)],
            admitted: vec![("sales/wl1", "cq1", vec![("main", 1, "r1=default")])],
            pending: vec![("sales/wl2", NO_LONGER_FITS)],
            ..Case::default()
        },
        Case {
            name: "preemption while borrowing, workload waiting for preemption should not block a borrowing workload in another CQ",
            objects: objects(
                vec![
                    cq("cq-shared", "default{cpu=4/0}").cohort("preemption-while-borrowing"),
                    cq("cq-a", "default{cpu=0/3}")
                        .cohort("preemption-while-borrowing")
                        .pre("{reclaimWithinCohort: LowerPriority, borrowWithinCohort: {policy: LowerPriority}}"),
                    cq("cq-b", "default{cpu=0}")
                        .cohort("preemption-while-borrowing")
                        .pre("{reclaimWithinCohort: LowerPriority, borrowWithinCohort: {policy: LowerPriority}}"),
                ],
                &[lq("eng-alpha/lq-a", "cq-a"), lq("eng-beta/lq-b", "cq-b")],
            ),
            workloads: vec![
                wl("eng-alpha/admitted-a", "lq-a", "cpu=2").admitted("cq-a", &["default"]),
                wl("eng-alpha/a", "lq-a", "cpu=3").t(1),
                wl("eng-beta/b", "lq-b", "cpu=1").t(2),
            ],
            admitted: vec![("eng-beta/b", "cq-b", vec![("main", 1, "cpu=default")])],
            pending: vec![("eng-alpha/a", "couldn't assign flavors to pod set main: insufficient unused quota for cpu in flavor default, 2 more needed")],
            ..Case::default()
        },
        Case {
            name: "minimal preemptions when target queue is exhausted",
            objects: objects(
                vec![
                    cq("other-alpha", "on-demand{cpu=2}")
                        .cohort("other")
                        .pre("{reclaimWithinCohort: Any, withinClusterQueue: LowerPriority}"),
                    cq("other-beta", "on-demand{cpu=2}").cohort("other"),
                    cq("other-gamma", "on-demand{cpu=2}").cohort("other"),
                ],
                &[
                    lq("eng-alpha/other", "other-alpha"),
                    lq("eng-beta/other", "other-beta"),
                    lq("eng-gamma/other", "other-gamma"),
                ],
            ),
            workloads: vec![
                wl("eng-alpha/a1", "other", "cpu=1").p(-2).admitted("other-alpha", &["on-demand"]),
                wl("eng-alpha/a2", "other", "cpu=1").p(-2).admitted("other-alpha", &["on-demand"]),
                wl("eng-alpha/a3", "other", "cpu=1").p(-1).admitted("other-alpha", &["on-demand"]),
                wl("eng-beta/b1", "other", "cpu=1").admitted("other-beta", &["on-demand"]),
                wl("eng-beta/b2", "other", "cpu=1").admitted("other-beta", &["on-demand"]),
                wl("eng-beta/b3", "other", "cpu=1").admitted("other-beta", &["on-demand"]),
                wl("eng-alpha/incoming", "other", "cpu=2"),
            ],
            pending: vec![("eng-alpha/incoming", "couldn't assign flavors to pod set main: insufficient unused quota for cpu in flavor on-demand, 2 more needed. Pending the preemption of 2 workload(s)")],
            preempted: vec![
                preempted("eng-alpha/a1", "eng-alpha/incoming", IC, ("/other/other-alpha", "/other/other-alpha")),
                preempted("eng-alpha/a2", "eng-alpha/incoming", IC, ("/other/other-alpha", "/other/other-alpha")),
            ],
            ..Case::default()
        },
        Case {
            name: "A workload is only eligible to do preemptions if it fits fully within nominal quota",
            objects: objects(
                vec![
                    cq("other-alpha", "on-demand{cpu=2}")
                        .cohort("other")
                        .pre("{reclaimWithinCohort: Any, withinClusterQueue: LowerPriority}"),
                    cq("other-beta", "on-demand{cpu=2}").cohort("other"),
                ],
                &[lq("eng-alpha/other", "other-alpha"), lq("eng-beta/other", "other-beta")],
            ),
            workloads: vec![
                wl("eng-alpha/a1", "other", "cpu=1").p(-1).admitted("other-alpha", &["on-demand"]),
                wl("eng-beta/b1", "other", "cpu=1").p(-1).admitted("other-beta", &["on-demand"]),
                wl("eng-alpha/incoming", "other", "cpu=3").p(1),
            ],
            pending: vec![("eng-alpha/incoming", "couldn't assign flavors to pod set main: insufficient unused quota for cpu in flavor on-demand, 1 more needed")],
            ..Case::default()
        },
        Case {
            name: "multiple preemptions without borrowing",
            objects: objects(
                vec![
                    cq("other-alpha", "default{cpu=2}").cohort("other").pre("{withinClusterQueue: LowerPriority}"),
                    cq("other-beta", "default{cpu=2}").cohort("other").pre("{withinClusterQueue: LowerPriority}"),
                ],
                &[lq("eng-alpha/other", "other-alpha"), lq("eng-beta/other", "other-beta")],
            ),
            workloads: vec![
                wl("eng-alpha/a1", "other", "cpu=2").admitted("other-alpha", &["default"]),
                wl("eng-beta/b1", "other", "cpu=2").admitted("other-beta", &["default"]),
                wl("eng-alpha/preemptor", "other", "cpu=2").p(100),
                wl("eng-beta/preemptor", "other", "cpu=2").p(100),
            ],
            pending: vec![
                ("eng-alpha/preemptor", "couldn't assign flavors to pod set main: insufficient unused quota for cpu in flavor default, 2 more needed. Pending the preemption of 1 workload(s)"),
                ("eng-beta/preemptor", "couldn't assign flavors to pod set main: insufficient unused quota for cpu in flavor default, 2 more needed. Pending the preemption of 1 workload(s)"),
            ],
            preempted: vec![
                preempted("eng-alpha/a1", "eng-alpha/preemptor", IC, ("/other/other-alpha", "/other/other-alpha")),
                preempted("eng-beta/b1", "eng-beta/preemptor", IC, ("/other/other-beta", "/other/other-beta")),
            ],
            ..Case::default()
        },
        Case {
            name: "multiple preemptions preemption possible after earlier workload fits",
            objects: objects(
                vec![
                    cq("other-alpha", "default{cpu=1}").cohort("other").pre("{withinClusterQueue: LowerPriority}"),
                    cq("other-beta", "default{cpu=2}").cohort("other").pre("{withinClusterQueue: LowerPriority}"),
                ],
                &[lq("eng-alpha/other", "other-alpha"), lq("eng-beta/other", "other-beta")],
            ),
            workloads: vec![
                wl("eng-beta/b1", "other", "cpu=2").admitted("other-beta", &["default"]),
                wl("eng-alpha/fit", "other", "cpu=1").p(100),
                wl("eng-beta/preemptor", "other", "cpu=2").p(99),
            ],
            admitted: vec![("eng-alpha/fit", "other-alpha", vec![("main", 1, "cpu=default")])],
            pending: vec![("eng-beta/preemptor", "couldn't assign flavors to pod set main: insufficient unused quota for cpu in flavor default, 1 more needed. Pending the preemption of 1 workload(s)")],
            preempted: vec![preempted("eng-beta/b1", "eng-beta/preemptor", IC, ("/other/other-beta", "/other/other-beta"))],
            ..Case::default()
        },
        Case {
            name: "multiple preemptions skip preemption when shared limited resource",
            objects: objects(
                vec![
                    cq("other-alpha", "default{cpu=2}")
                        .cohort("other")
                        .pre("{withinClusterQueue: LowerPriority, borrowWithinCohort: {policy: LowerPriority}}"),
                    cq("other-beta", "default{cpu=2}")
                        .cohort("other")
                        .pre("{withinClusterQueue: LowerPriority, borrowWithinCohort: {policy: LowerPriority}}"),
                    cq("resource-bank", "default{cpu=1}").cohort("other"),
                ],
                &[lq("eng-alpha/other", "other-alpha"), lq("eng-beta/other", "other-beta")],
            ),
            workloads: vec![
                wl("eng-alpha/a1", "other", "cpu=2").admitted("other-alpha", &["default"]),
                wl("eng-beta/b1", "other", "cpu=2").admitted("other-beta", &["default"]),
                wl("eng-alpha/preemptor", "other", "cpu=3").p(100),
                wl("eng-beta/pretending-preemptor", "other", "cpu=3").p(99),
            ],
            pending: vec![
                ("eng-alpha/preemptor", "couldn't assign flavors to pod set main: insufficient unused quota for cpu in flavor default, 2 more needed. Pending the preemption of 1 workload(s)"),
                ("eng-beta/pretending-preemptor", NO_LONGER_FITS),
            ],
            preempted: vec![preempted("eng-alpha/a1", "eng-alpha/preemptor", IC, ("/other/other-alpha", "/other/other-alpha"))],
            ..Case::default()
        },
        Case {
            name: "not enough resources",
            workloads: vec![wl_sets("sales/new", "main", &[("one", 1, "cpu=100")])],
            pending: vec![("sales/new", "couldn't assign flavors to pod set one: insufficient quota for cpu in flavor default, previously considered podsets requests (0) + current podset request (100) > maximum capacity (50)")],
            ..Case::default()
        },
        Case {
            name: "prefer reclamation over cq priority based preemption",
            objects: two_gpu_flavor_queues(true),
            workloads: vec![
                wl("eng-alpha/a1", "other", "gpu=5").p(50).admitted("other-alpha", &["on-demand"]),
                wl("eng-beta/b1", "other", "gpu=5").p(50).admitted("other-beta", &["spot"]),
                wl("eng-alpha/preemptor", "other", "gpu=6").p(100),
            ],
            pending: vec![("eng-alpha/preemptor", "couldn't assign flavors to pod set main: insufficient unused quota for gpu in flavor on-demand, 1 more needed, insufficient unused quota for gpu in flavor spot, 1 more needed. Pending the preemption of 1 workload(s)")],
            preempted: vec![preempted("eng-beta/b1", "eng-alpha/preemptor", CR, ("/other/other-alpha", "/other/other-beta"))],
            ..Case::default()
        },
        Case {
            name: "prefer first preemption flavor when second flavor requires both reclaim and cq priority preemption",
            objects: two_gpu_flavor_queues(false),
            workloads: vec![
                wl("eng-alpha/a1", "other", "gpu=5").p(50).admitted("other-alpha", &["on-demand"]),
                wl("eng-alpha/a2", "other", "gpu=5").p(50).admitted("other-alpha", &["spot"]),
                wl("eng-beta/b1", "other", "gpu=5").p(50).admitted("other-beta", &["spot"]),
                wl("eng-alpha/preemptor", "other", "gpu=6").p(100),
            ],
            pending: vec![("eng-alpha/preemptor", "couldn't assign flavors to pod set main: insufficient unused quota for gpu in flavor on-demand, 1 more needed, insufficient unused quota for gpu in flavor spot, 6 more needed. Pending the preemption of 1 workload(s)")],
            preempted: vec![preempted("eng-alpha/a1", "eng-alpha/preemptor", IC, ("/other/other-alpha", "/other/other-alpha"))],
            ..Case::default()
        },
        Case {
            name: "prefer first preemption flavor when second flavor also requires cq preemption",
            objects: two_gpu_flavor_queues(false),
            workloads: vec![
                wl("eng-alpha/a1", "other", "gpu=6").p(50).admitted("other-alpha", &["on-demand"]),
                wl("eng-alpha/a2", "other", "gpu=5").p(50).admitted("other-alpha", &["spot"]),
                wl("eng-beta/b1", "other", "gpu=5").p(9001).admitted("other-beta", &["spot"]),
                wl("eng-alpha/preemptor", "other", "gpu=5").p(100),
            ],
            pending: vec![("eng-alpha/preemptor", "couldn't assign flavors to pod set main: insufficient unused quota for gpu in flavor on-demand, 1 more needed, insufficient unused quota for gpu in flavor spot, 5 more needed. Pending the preemption of 1 workload(s)")],
            preempted: vec![preempted("eng-alpha/a1", "eng-alpha/preemptor", IC, ("/other/other-alpha", "/other/other-alpha"))],
            ..Case::default()
        },
        Case {
            name: "workload requiring reclaimation prioritized over wl in another full cq",
            objects: objects(
                vec![
                    cq("cq1", "on-demand{gpu=10}").cohort("other"),
                    cq("cq2", "on-demand{gpu=10}").cohort("other").pre("{reclaimWithinCohort: Any}"),
                    cq("cq3", "on-demand{gpu=0}").cohort("other"),
                ],
                &[lq("eng-alpha/lq", "cq1"), lq("eng-beta/lq", "cq2"), lq("eng-gamma/lq", "cq3")],
            ),
            workloads: vec![
                wl("eng-alpha/admitted-workload-1", "lq", "gpu=5").admitted("cq1", &["on-demand"]),
                wl("eng-gamma/admitted-workload-2", "lq", "gpu=5").admitted("cq3", &["on-demand"]),
                wl("eng-gamma/admitted-workload-3", "lq", "gpu=5").p(1).admitted("cq3", &["on-demand"]),
                wl("eng-alpha/wl1", "lq", "gpu=10"),
                wl("eng-beta/wl2", "lq", "gpu=10").t(1),
            ],
            pending: vec![
                ("eng-beta/wl2", "couldn't assign flavors to pod set main: insufficient unused quota for gpu in flavor on-demand, 5 more needed. Pending the preemption of 1 workload(s)"),
                ("eng-alpha/wl1", "couldn't assign flavors to pod set main: insufficient unused quota for gpu in flavor on-demand, 5 more needed"),
            ],
            preempted: vec![preempted("eng-gamma/admitted-workload-2", "eng-beta/wl2", CR, ("/other/cq2", "/other/cq3"))],
            ..Case::default()
        },
        Case {
            name: "capacity not blocked when lending clusterqueue can reclaim (ReclaimWithinCohort=Any)",
            objects: lender_and_borrower("Any"),
            workloads: lender_and_borrower_workloads(),
            admitted: vec![("eng-beta/b1-pending", "cluster-queue-b", vec![("main", 1, "gpu=on-demand")])],
            pending: vec![("eng-alpha/a2-pending", "couldn't assign flavors to pod set main: insufficient unused quota for gpu in flavor on-demand, 1 more needed")],
            ..Case::default()
        },
        Case {
            name: "capacity blocked when lending clusterqueue not guaranteed to reclaim (ReclaimWithinCohort=LowerPriority)",
            objects: lender_and_borrower("LowerPriority"),
            workloads: lender_and_borrower_workloads(),
            pending: vec![
                ("eng-alpha/a2-pending", "couldn't assign flavors to pod set main: insufficient unused quota for gpu in flavor on-demand, 1 more needed"),
                ("eng-beta/b1-pending", NO_LONGER_FITS),
            ],
            ..Case::default()
        },
        Case {
            name: "capacity blocked when lending clusterqueue not guaranteed to reclaim (ReclaimWithinCohort=Never)",
            objects: lender_and_borrower("Never"),
            workloads: lender_and_borrower_workloads(),
            pending: vec![
                ("eng-alpha/a2-pending", "couldn't assign flavors to pod set main: insufficient unused quota for gpu in flavor on-demand, 1 more needed"),
                ("eng-beta/b1-pending", NO_LONGER_FITS),
            ],
            ..Case::default()
        },
        Case {
            name: "in a hierarchical cohort, workload borrowing less is scheduled first",
            objects: objects(
                vec![
                    cq("guaranteed", "default{cpu=0}").cohort("guaranteed"),
                    cq("best-effort", "default{cpu=0}").cohort("root"),
                ],
                &[
                    cohort("root", None, ""),
                    cohort("guaranteed", Some("root"), "default{cpu=4}"),
                    lq("eng-alpha/lq-guaranteed", "guaranteed"),
                    lq("eng-alpha/lq-best-effort", "best-effort"),
                ],
            ),
            workloads: vec![
                wl_sets("eng-alpha/guaranteed", "lq-guaranteed", &[("one", 1, "cpu=4")]),
                wl_sets("eng-alpha/best-effort", "lq-best-effort", &[("one", 1, "cpu=4")]).p(3),
            ],
            admitted: vec![("eng-alpha/guaranteed", "guaranteed", vec![("one", 1, "cpu=default")])],
            pending: vec![("eng-alpha/best-effort", NO_LONGER_FITS)],
            ..Case::default()
        },
        Case {
            name: "don't assign flavor if there are no candidates for preemption",
            objects: objects(
                vec![
                    cq("cq1", "on-demand{cpu=0/1} spot{cpu=0/1}")
                        .cohort("cohort")
                        .pre("{withinClusterQueue: LowerPriority, reclaimWithinCohort: Any, borrowWithinCohort: {policy: LowerPriority}}")
                        .fung("{whenCanBorrow: MayStopSearch, whenCanPreempt: MayStopSearch}"),
                    cq("cq2", "on-demand{cpu=1} spot{cpu=1}").cohort("cohort"),
                ],
                &[lq("eng-alpha/lq1", "cq1"), lq("eng-alpha/lq2", "cq2")],
            ),
            workloads: vec![
                wl("eng-alpha/admitted", "lq2", "cpu=1").adm_at(-1).admitted("cq2", &["on-demand"]),
                wl("eng-alpha/new", "lq1", "cpu=1").p(100),
            ],
            admitted: vec![("eng-alpha/new", "cq1", vec![("main", 1, "cpu=spot")])],
            ..Case::default()
        },
        Case {
            name: "admit to second flavor when first needs preemption; WhenCanPreempt: TryNextFlavor",
            objects: objects(
                vec![cq("preempt-attempts-cq", "on-demand{cpu=1} spot{cpu=1}")
                    .pre("{withinClusterQueue: LowerPriority}")
                    .fung("{whenCanPreempt: TryNextFlavor}")],
                &[lq("eng-alpha/preempt-attempts-lq", "preempt-attempts-cq")],
            ),
            workloads: vec![
                wl("eng-alpha/blocker", "preempt-attempts-lq", "cpu=1")
                    .p(50)
                    .admitted("preempt-attempts-cq", &["on-demand"]),
                wl("eng-alpha/test-wl", "preempt-attempts-lq", "cpu=1").p(100),
            ],
            admitted: vec![("eng-alpha/test-wl", "preempt-attempts-cq", vec![("main", 1, "cpu=spot")])],
            ..Case::default()
        },
        Case {
            name: "admit workload with zero-quantity request for resource not in ClusterQueue",
            workloads: vec![wl("sales/zero-resource-wl", "main", "cpu=1,example.com/gpu=0")],
            admitted: vec![("sales/zero-resource-wl", "sales", vec![("main", 1, "cpu=default")])],
            ..Case::default()
        },
        Case {
            name: "preempt when workload requests zero of a resource not defined in ClusterQueue",
            objects: objects(
                vec![cq("preempt-zero-gpu-cq", "default{cpu=4}").pre("{withinClusterQueue: LowerPriority}")],
                &[lq("sales/preempt-zero-gpu-lq", "preempt-zero-gpu-cq")],
            ),
            workloads: vec![
                wl("sales/low-priority", "preempt-zero-gpu-lq", "cpu=4")
                    .p(-1)
                    .admitted("preempt-zero-gpu-cq", &["default"]),
                wl("sales/preemptor", "preempt-zero-gpu-lq", "cpu=2,example.com/gpu=0"),
            ],
            pending: vec![("sales/preemptor", "couldn't assign flavors to pod set main: insufficient unused quota for cpu in flavor default, 2 more needed. Pending the preemption of 1 workload(s)")],
            preempted: vec![preempted("sales/low-priority", "sales/preemptor", IC, ("/preempt-zero-gpu-cq", "/preempt-zero-gpu-cq"))],
            ..Case::default()
        },
        Case {
            name: "PreemptionOverBorrowing preference: preempt in first flavor instead of borrowing in second",
            objects: preference_queues("pob", "PreemptionOverBorrowing"),
            workloads: vec![
                wl("default/low-pob", "pob-queue", "cpu=5").p(-1).admitted("pob-cq", &["on-demand"]),
                wl("default/high-pob", "pob-queue", "cpu=5"),
            ],
            pending: vec![("default/high-pob", "couldn't assign flavors to pod set main: insufficient unused quota for cpu in flavor on-demand, 5 more needed. Pending the preemption of 1 workload(s)")],
            preempted: vec![preempted("default/low-pob", "default/high-pob", IC, ("/pob-cohort/pob-cq", "/pob-cohort/pob-cq"))],
            ..Case::default()
        },
        Case {
            name: "PreemptionOverBorrowing preference: select fitting second flavor over first flavor with no preemption candidates",
            objects: objects(
                vec![
                    cq("nopc-cq", "on-demand{cpu=5/0} spot{cpu=0}")
                        .cohort("nopc-mid")
                        .pre("{withinClusterQueue: LowerPriority}")
                        .fung("{whenCanBorrow: TryNextFlavor, whenCanPreempt: TryNextFlavor, preference: PreemptionOverBorrowing}"),
                    cq("nopc-sibling", "on-demand{cpu=5} spot{cpu=0}").cohort("nopc-mid"),
                ],
                &[
                    cohort("nopc-root", None, "on-demand{cpu=0} spot{cpu=5}"),
                    cohort("nopc-mid", Some("nopc-root"), ""),
                    lq("default/nopc-queue", "nopc-cq"),
                ],
            ),
            workloads: vec![
                wl("default/admitted-nopc", "nopc-queue", "cpu=5").admitted("nopc-cq", &["on-demand"]),
                wl("default/pending-nopc", "nopc-queue", "cpu=5"),
            ],
            admitted: vec![("default/pending-nopc", "nopc-cq", vec![("main", 1, "cpu=spot")])],
            ..Case::default()
        },
        Case {
            name: "BorrowingOverPreemption preference: borrow in second flavor instead of preempting in first",
            objects: preference_queues("bop", "BorrowingOverPreemption"),
            workloads: vec![
                wl("default/low-bop", "bop-queue", "cpu=5").p(-1).admitted("bop-cq", &["on-demand"]),
                wl("default/high-bop", "bop-queue", "cpu=5"),
            ],
            admitted: vec![("default/high-bop", "bop-cq", vec![("main", 1, "cpu=spot")])],
            ..Case::default()
        },
        Case {
            name: "prevent integer overflow when sum of requests over podsets exceeds MaxInt64",
            objects: objects(
                vec![cq("overflow-cq", "default{cpu=10000}")],
                &[lq("default/overflow-queue", "overflow-cq")],
            ),
            workloads: vec![wl_sets(
                "default/vuln-wl",
                "overflow-queue",
                &[("ps1", 1, "cpu=1000000m"), ("ps2", 1, "cpu=9223372036854775000m")],
            )],
            pending: vec![("default/vuln-wl", "couldn't assign flavors to pod set ps2: insufficient quota for cpu in flavor default, previously considered podsets requests (1k) + current podset request (9223372036854775) > maximum capacity (10k)")],
            ..Case::default()
        },
        Case {
            name: "prevent integer overflow in ResourceValue conversion to MilliValue",
            objects: objects(
                vec![cq("overflow-cq", "default{cpu=10}")],
                &[lq("default/overflow-queue", "overflow-cq")],
            ),
            workloads: vec![wl_sets(
                "default/vuln-wl",
                "overflow-queue",
                &[("ps1", 1, "cpu=9223372036854776")],
            )],
            pending: vec![("default/vuln-wl", "couldn't assign flavors to pod set ps1: insufficient quota for cpu in flavor default, previously considered podsets requests (0) + current podset request (9223372036854775807m) > maximum capacity (10)")],
            ..Case::default()
        },
    ]
}

/// One pod set `one` of one pod requesting this much cpu.
fn one(id: &'static str, queue: &'static str, cpu: &'static str) -> Wl {
    wl_sets(id, queue, &[("one", 1, cpu)])
}

#[test]
fn test_schedule_for_fair_sharing() {
    run(fair_sharing_cases());
}

/// `TestScheduleForFairSharing` (pkg/scheduler/scheduler_fs_test.go): the same fixture,
/// fair sharing on unless the case says otherwise.
fn fair_sharing_cases() -> Vec<Case> {
    let cohorts_ab =
        |a_quota: &'static str| -> Vec<String> { vec![cohort("co-a", None, a_quota), cohort("co-b", None, "")] };
    let lqs = |names: &[&str]| -> Vec<String> { names.iter().map(|n| lq(&format!("eng-alpha/lq-{n}"), n)).collect() };
    vec![
        Case {
            name: "with fair sharing: schedule workload with lowest share first",
            fair_sharing: true,
            objects: objects(vec![cq("eng-shared", "on-demand{cpu=10/0}").cohort("eng")], &[]),
            workloads: vec![
                wl_sets("eng-alpha/all-nominal", "main", &[("one", 50, "cpu=1")]).admitted("eng-alpha", &["on-demand"]),
                wl_sets("eng-beta/borrowing", "main", &[("one", 55, "cpu=1")]).admitted("eng-beta", &["on-demand"]),
                wl_sets("eng-beta/older-new", "main", &[("one", 1, "cpu=1")]).t(-60),
                wl_sets("eng-alpha/new", "main", &[("one", 5, "cpu=1")]),
            ],
            admitted: vec![("eng-alpha/new", "eng-alpha", vec![("one", 5, "cpu=on-demand")])],
            pending: vec![("eng-beta/older-new", NO_LONGER_FITS)],
            ..Case::default()
        },
        Case {
            name: "with fair sharing: nominal-first ordering admits workload fitting within nominal despite higher CQ DRS",
            fair_sharing: true,
            objects: objects(
                vec![
                    cq("fs-nom-a", "on-demand{cpu=50/0} spot{cpu=50/50}").cohort("fs-nom"),
                    cq("fs-nom-b", "on-demand{cpu=10/50} spot{cpu=50/0}").cohort("fs-nom"),
                ],
                &[lq("eng-alpha/fs-nom", "fs-nom-a"), lq("eng-beta/fs-nom", "fs-nom-b")],
            ),
            workloads: vec![
                wl_sets("eng-alpha/spot-heavy", "fs-nom", &[("one", 80, "cpu=1")]).admitted("fs-nom-a", &["spot"]),
                wl_sets("eng-beta/light-usage", "fs-nom", &[("one", 5, "cpu=1")]).admitted("fs-nom-b", &["on-demand"]),
                wl_sets("eng-beta/borrow-wl", "fs-nom", &[("one", 15, "cpu=1")]).t(-60),
                wl_sets("eng-alpha/nom-wl", "fs-nom", &[("one", 45, "cpu=1")]),
            ],
            admitted: vec![("eng-alpha/nom-wl", "fs-nom-a", vec![("one", 45, "cpu=on-demand")])],
            pending: vec![("eng-beta/borrow-wl", NO_LONGER_FITS)],
            ..Case::default()
        },
        Case {
            name: "with fair sharing: hierarchical nominal-first prefers non-borrowing subtree",
            fair_sharing: true,
            objects: objects(
                vec![
                    cq("cq-a", "on-demand{cpu=0}").cohort("cohort-a"),
                    cq("cq-b", "on-demand{cpu=5}").cohort("cohort-b"),
                    cq("cq-c", "on-demand{cpu=0}").cohort("cohort-b"),
                ],
                &[
                    vec![
                        cohort("root", None, ""),
                        cohort("cohort-a", Some("root"), "on-demand{cpu=10}"),
                        cohort("cohort-b", Some("root"), ""),
                    ],
                    lqs(&["cq-a", "cq-b", "cq-c"]),
                ]
                .concat(),
            ),
            workloads: vec![
                one("eng-alpha/c0", "lq-cq-c", "cpu=10").admitted("cq-c", &["on-demand"]),
                one("eng-alpha/wl-a", "lq-cq-a", "cpu=5"),
                one("eng-alpha/wl-b", "lq-cq-b", "cpu=5"),
            ],
            admitted: vec![("eng-alpha/wl-a", "cq-a", vec![("one", 1, "cpu=on-demand")])],
            pending: vec![("eng-alpha/wl-b", NO_LONGER_FITS)],
            ..Case::default()
        },
        Case {
            name: "with fair sharing: hierarchical nominal-first with deeper nesting",
            fair_sharing: true,
            objects: objects(
                vec![
                    cq("cq-a", "on-demand{cpu=0}").cohort("sub-a"),
                    cq("cq-b", "on-demand{cpu=5}").cohort("cohort-b"),
                    cq("cq-c", "on-demand{cpu=0}").cohort("cohort-b"),
                ],
                &[
                    vec![
                        cohort("root", None, ""),
                        cohort("cohort-a", Some("root"), ""),
                        cohort("sub-a", Some("cohort-a"), "on-demand{cpu=10}"),
                        cohort("cohort-b", Some("root"), ""),
                    ],
                    lqs(&["cq-a", "cq-b", "cq-c"]),
                ]
                .concat(),
            ),
            workloads: vec![
                one("eng-alpha/c0", "lq-cq-c", "cpu=10").admitted("cq-c", &["on-demand"]),
                one("eng-alpha/wl-a", "lq-cq-a", "cpu=5"),
                one("eng-alpha/wl-b", "lq-cq-b", "cpu=5"),
            ],
            admitted: vec![("eng-alpha/wl-a", "cq-a", vec![("one", 1, "cpu=on-demand")])],
            pending: vec![("eng-alpha/wl-b", NO_LONGER_FITS)],
            ..Case::default()
        },
        Case {
            name: "with fair sharing: hierarchical nominal-first with mixed CQ and cohort quotas",
            fair_sharing: true,
            objects: objects(
                vec![
                    cq("cq-a1", "on-demand{cpu=5}").cohort("cohort-a"),
                    cq("cq-a2", "on-demand{cpu=3}").cohort("cohort-a"),
                    cq("cq-b", "on-demand{cpu=5}").cohort("cohort-b"),
                    cq("cq-c", "on-demand{cpu=3}").cohort("cohort-b"),
                ],
                &[
                    vec![
                        cohort("root", None, ""),
                        cohort("cohort-a", Some("root"), "on-demand{cpu=10}"),
                        cohort("cohort-b", Some("root"), "on-demand{cpu=10}"),
                    ],
                    lqs(&["cq-a1", "cq-a2", "cq-b", "cq-c"]),
                ]
                .concat(),
            ),
            workloads: vec![
                one("eng-alpha/a2-admitted", "lq-cq-a2", "cpu=6").admitted("cq-a2", &["on-demand"]),
                one("eng-alpha/c-admitted", "lq-cq-c", "cpu=20").admitted("cq-c", &["on-demand"]),
                one("eng-alpha/wl-a1", "lq-cq-a1", "cpu=7"),
                one("eng-alpha/wl-b", "lq-cq-b", "cpu=4"),
            ],
            admitted: vec![("eng-alpha/wl-a1", "cq-a1", vec![("one", 1, "cpu=on-demand")])],
            pending: vec![("eng-alpha/wl-b", NO_LONGER_FITS)],
            ..Case::default()
        },
        Case {
            name: "with fair sharing: hierarchical nominal-first per-flavor ignores cross-flavor borrowing",
            fair_sharing: true,
            objects: objects(
                vec![
                    cq("cq-a", "on-demand{cpu=0} spot{cpu=0}").cohort("cohort-a"),
                    cq("cq-b", "on-demand{cpu=5} spot{cpu=0}").cohort("cohort-b"),
                ],
                &[
                    vec![
                        cohort("root", None, ""),
                        cohort("cohort-a", Some("root"), "on-demand{cpu=10}"),
                        cohort("cohort-b", Some("root"), "spot{cpu=10}"),
                    ],
                    lqs(&["cq-a", "cq-b"]),
                ]
                .concat(),
            ),
            workloads: vec![
                one("eng-alpha/spot-admitted", "lq-cq-a", "cpu=5").admitted("cq-a", &["spot"]),
                one("eng-alpha/od-admitted", "lq-cq-b", "cpu=8").admitted("cq-b", &["on-demand"]),
                one("eng-alpha/wl-a", "lq-cq-a", "cpu=4"),
                one("eng-alpha/wl-b", "lq-cq-b", "cpu=4"),
            ],
            admitted: vec![("eng-alpha/wl-a", "cq-a", vec![("one", 1, "cpu=on-demand")])],
            pending: vec![("eng-alpha/wl-b", NO_LONGER_FITS)],
            ..Case::default()
        },
        Case {
            name: "hierarchical fair sharing schedule workload which wins tournament",
            fair_sharing: true,
            objects: objects(
                vec![
                    cq("d", "on-demand{cpu=0}").cohort("co-b"),
                    cq("e", "on-demand{cpu=0}").cohort("co-b"),
                    cq("f", "on-demand{cpu=0}").cohort("co-c"),
                    cq("g", "on-demand{cpu=0}").cohort("co-c"),
                ],
                &[
                    vec![
                        cohort("co-a", None, "on-demand{cpu=200}"),
                        cohort("co-b", Some("co-a"), ""),
                        cohort("co-c", Some("co-a"), ""),
                    ],
                    lqs(&["d", "e", "f", "g"]),
                ]
                .concat(),
            ),
            workloads: vec![
                one("eng-alpha/d0", "lq-d", "cpu=10").admitted("d", &["on-demand"]),
                one("eng-alpha/e0", "lq-e", "cpu=20").admitted("e", &["on-demand"]),
                one("eng-alpha/g0", "lq-g", "cpu=100").admitted("g", &["on-demand"]),
                one("eng-alpha/d1", "lq-d", "cpu=70"),
                one("eng-alpha/e1", "lq-e", "cpu=61"),
                one("eng-alpha/f1", "lq-f", "cpu=1"),
                one("eng-alpha/g1", "lq-g", "cpu=1"),
            ],
            admitted: vec![("eng-alpha/d1", "d", vec![("one", 1, "cpu=on-demand")])],
            pending: vec![
                ("eng-alpha/e1", NO_LONGER_FITS),
                ("eng-alpha/f1", NO_LONGER_FITS),
                ("eng-alpha/g1", NO_LONGER_FITS),
            ],
            ..Case::default()
        },
        Case {
            name: "fair sharing schedule workload with lowest drf after admission",
            fair_sharing: true,
            objects: objects(
                vec![cq("b", "on-demand{cpu=0}").cohort("co-a"), cq("c", "on-demand{cpu=0}").cohort("co-a")],
                &[vec![cohort("co-a", None, "on-demand{cpu=100}")], lqs(&["b", "c"])].concat(),
            ),
            workloads: vec![
                one("eng-alpha/b0", "lq-b", "cpu=10").admitted("b", &["on-demand"]),
                one("eng-alpha/b1", "lq-b", "cpu=50"),
                one("eng-alpha/c1", "lq-c", "cpu=75"),
            ],
            admitted: vec![("eng-alpha/b1", "b", vec![("one", 1, "cpu=on-demand")])],
            pending: vec![("eng-alpha/c1", NO_LONGER_FITS)],
            ..Case::default()
        },
        Case {
            name: "fair sharing two queues with weight 0 schedules workload which borrows less",
            fair_sharing: true,
            objects: weighted_pair("0"),
            workloads: weighted_pair_workloads(),
            admitted: vec![("eng-alpha/c1", "c", vec![("one", 1, "cpu=on-demand")])],
            pending: vec![("eng-alpha/b1", NO_LONGER_FITS)],
            ..Case::default()
        },
        Case {
            name: "fair sharing two queues with high weight schedules workload which borrows less",
            fair_sharing: true,
            objects: weighted_pair("123456789"),
            workloads: weighted_pair_workloads(),
            admitted: vec![("eng-alpha/c1", "c", vec![("one", 1, "cpu=on-demand")])],
            pending: vec![("eng-alpha/b1", NO_LONGER_FITS)],
            ..Case::default()
        },
        Case {
            name: "fair sharing schedule singleton cqs and cq without cohort",
            fair_sharing: true,
            objects: objects(
                vec![
                    cq("a", "on-demand{cpu=0}").cohort("co-a"),
                    cq("b", "on-demand{cpu=10}").cohort("co-b"),
                    cq("c", "on-demand{cpu=10}"),
                ],
                &[cohorts_ab("on-demand{cpu=10}"), lqs(&["a", "b", "c"])].concat(),
            ),
            workloads: vec![
                one("eng-alpha/a1", "lq-a", "cpu=10"),
                one("eng-alpha/b1", "lq-b", "cpu=10"),
                one("eng-alpha/c1", "lq-c", "cpu=10"),
            ],
            admitted: vec![
                ("eng-alpha/a1", "a", vec![("one", 1, "cpu=on-demand")]),
                ("eng-alpha/b1", "b", vec![("one", 1, "cpu=on-demand")]),
                ("eng-alpha/c1", "c", vec![("one", 1, "cpu=on-demand")]),
            ],
            ..Case::default()
        },
        Case {
            name: "fair sharing schedule highest priority first",
            fair_sharing: true,
            objects: objects(
                vec![cq("b", "on-demand{cpu=0}").cohort("co-a"), cq("c", "on-demand{cpu=0}").cohort("co-a")],
                &[cohorts_ab("on-demand{cpu=10}"), lqs(&["b", "c"])].concat(),
            ),
            workloads: vec![
                one("eng-alpha/b1", "lq-b", "cpu=10").p(99),
                one("eng-alpha/c1", "lq-c", "cpu=10").p(101),
            ],
            admitted: vec![("eng-alpha/c1", "c", vec![("one", 1, "cpu=on-demand")])],
            pending: vec![("eng-alpha/b1", NO_LONGER_FITS)],
            ..Case::default()
        },
        Case {
            name: "fair sharing schedule earliest timestamp first",
            fair_sharing: true,
            objects: objects(
                vec![cq("b", "on-demand{cpu=0}").cohort("co-a"), cq("c", "on-demand{cpu=0}").cohort("co-a")],
                &[cohorts_ab("on-demand{cpu=10}"), lqs(&["b", "c"])].concat(),
            ),
            workloads: vec![
                one("eng-alpha/b1", "lq-b", "cpu=10").p(101).t(1),
                one("eng-alpha/c1", "lq-c", "cpu=10").p(101),
            ],
            admitted: vec![("eng-alpha/c1", "c", vec![("one", 1, "cpu=on-demand")])],
            pending: vec![("eng-alpha/b1", NO_LONGER_FITS)],
            ..Case::default()
        },
        Case {
            name: "with fair sharing: preempt workload from CQ with the highest share",
            fair_sharing: true,
            objects: objects(
                vec![cq("eng-gamma", "on-demand{cpu=50/0}").cohort("eng")],
                &[lq("eng-gamma/main", "eng-gamma")],
            ),
            workloads: vec![
                wl("eng-alpha/all-spot", "main", "cpu=100").admitted("eng-alpha", &["spot"]),
                wl("eng-alpha/alpha1", "main", "cpu=20").admitted("eng-alpha", &["on-demand"]),
                wl("eng-alpha/alpha2", "main", "cpu=20").admitted("eng-alpha", &["on-demand"]),
                wl("eng-alpha/alpha3", "main", "cpu=20").admitted("eng-alpha", &["on-demand"]),
                wl("eng-alpha/alpha4", "main", "cpu=20").admitted("eng-alpha", &["on-demand"]),
                wl("eng-gamma/gamma1", "main", "cpu=10").admitted("eng-gamma", &["on-demand"]),
                wl("eng-gamma/gamma2", "main", "cpu=20").admitted("eng-gamma", &["on-demand"]),
                wl("eng-gamma/gamma3", "main", "cpu=20").admitted("eng-gamma", &["on-demand"]),
                wl("eng-gamma/gamma4", "main", "cpu=20").admitted("eng-gamma", &["on-demand"]),
                wl("eng-beta/preemptor", "main", "cpu=30"),
            ],
            pending: vec![("eng-beta/preemptor", "couldn't assign flavors to pod set main: insufficient unused quota for cpu in flavor on-demand, 30 more needed, insufficient unused quota for cpu in flavor spot, 30 more needed. Pending the preemption of 2 workload(s)")],
            preempted: vec![
                preempted("eng-alpha/alpha1", "eng-beta/preemptor", CR, ("/eng/eng-beta", "/eng/eng-alpha")),
                preempted("eng-gamma/gamma1", "eng-beta/preemptor", CR, ("/eng/eng-beta", "/eng/eng-gamma")),
            ],
            ..Case::default()
        },
        Case {
            name: "multiple preemptions skip overlapping preemption targets",
            fair_sharing: true,
            objects: objects(
                vec![
                    cq("other-alpha", "default{cpu=0,alpha-resource=1}")
                        .cohort("other")
                        .pre("{withinClusterQueue: LowerPriority, reclaimWithinCohort: Any}"),
                    cq("other-beta", "default{cpu=0,beta-resource=1}")
                        .cohort("other")
                        .pre("{withinClusterQueue: LowerPriority, reclaimWithinCohort: Any}"),
                    cq("other-gamma", "default{cpu=0,gamma-resource=1}")
                        .cohort("other")
                        .pre("{withinClusterQueue: LowerPriority, reclaimWithinCohort: Any}"),
                    cq("resource-bank", "default{cpu=9}").cohort("other"),
                ],
                &[
                    lq("eng-alpha/other", "other-alpha"),
                    lq("eng-beta/other", "other-beta"),
                    lq("eng-gamma/other", "other-gamma"),
                ],
            ),
            workloads: vec![
                wl("eng-alpha/a1", "other", "alpha-resource=1").admitted("other-alpha", &["default"]),
                wl("eng-beta/b1", "other", "beta-resource=1").admitted("other-beta", &["default"]),
                wl("eng-gamma/c1", "other", "cpu=9,gamma-resource=1")
                    .admitted("other-gamma", &["default"])
                    .assigning("cpu"),
                wl("eng-alpha/preemptor", "other", "cpu=3,alpha-resource=1").p(100),
                wl("eng-beta/pretending-preemptor", "other", "cpu=3,beta-resource=1").p(99),
            ],
            pending: vec![
                ("eng-alpha/preemptor", "couldn't assign flavors to pod set main: insufficient unused quota for alpha-resource in flavor default, 1 more needed, insufficient unused quota for cpu in flavor default, 3 more needed. Pending the preemption of 2 workload(s)"),
                ("eng-beta/pretending-preemptor", "Workload has overlapping preemption targets with another workload"),
            ],
            later_evicted: vec![("eng-beta/b1", "eng-beta/pretending-preemptor")],
            preempted: vec![
                preempted("eng-alpha/a1", "eng-alpha/preemptor", IC, ("/other/other-alpha", "/other/other-alpha")),
                preempted("eng-gamma/c1", "eng-alpha/preemptor", FS, ("/other/other-alpha", "/other/other-gamma")),
            ],
            ..Case::default()
        },
        Case {
            name: "not enough resources with fair sharing enabled",
            fair_sharing: true,
            workloads: vec![wl_sets("sales/new", "main", &[("one", 1, "cpu=100")])],
            pending: vec![("sales/new", "couldn't assign flavors to pod set one: insufficient quota for cpu in flavor default, previously considered podsets requests (0) + current podset request (100) > maximum capacity (50)")],
            ..Case::default()
        },
        Case {
            name: "with fair sharing: prefer reclamation over cq priority based preemption; with preemption while borrowing",
            fair_sharing: true,
            objects: objects(
                vec![
                    cq("other-alpha", "on-demand{gpu=7} spot{gpu=7}")
                        .cohort("other")
                        .pre("{withinClusterQueue: LowerPriority, reclaimWithinCohort: LowerPriority}"),
                    cq("other-beta", "on-demand{gpu=3} spot{gpu=3}").cohort("other"),
                ],
                &[lq("eng-alpha/other", "other-alpha"), lq("eng-beta/other", "other-beta")],
            ),
            workloads: vec![
                wl("eng-alpha/a1", "other", "gpu=5").p(50).admitted("other-alpha", &["on-demand"]),
                wl("eng-beta/b1", "other", "gpu=5").p(50).admitted("other-beta", &["spot"]),
                wl("eng-alpha/preemptor", "other", "gpu=8").p(100),
            ],
            pending: vec![("eng-alpha/preemptor", "couldn't assign flavors to pod set main: insufficient unused quota for gpu in flavor on-demand, 3 more needed, insufficient unused quota for gpu in flavor spot, 3 more needed. Pending the preemption of 1 workload(s)")],
            preempted: vec![preempted("eng-beta/b1", "eng-alpha/preemptor", FS, ("/other/other-alpha", "/other/other-beta"))],
            ..Case::default()
        },
        most_local_capacity("prefer flavor with most local capacity", true),
        most_local_capacity("prefer flavor with most local capacity (FS=false)", false),
        Case {
            name: "fair sharing: in-CQ preemption for CQ without cohort; repro for nil pointer panic",
            fair_sharing: true,
            objects: objects(
                vec![cq("no-cohort-cq", "default{cpu=4}").pre("{withinClusterQueue: LowerPriority}")],
                &[lq("default/no-cohort-queue", "no-cohort-cq")],
            ),
            workloads: vec![
                wl("default/nc-low", "no-cohort-queue", "cpu=4").p(-1).admitted("no-cohort-cq", &["default"]),
                wl("default/nc-high", "no-cohort-queue", "cpu=4").p(100),
            ],
            pending: vec![("default/nc-high", "couldn't assign flavors to pod set main: insufficient unused quota for cpu in flavor default, 4 more needed. Pending the preemption of 1 workload(s)")],
            preempted: vec![preempted("default/nc-low", "default/nc-high", IC, ("/no-cohort-cq", "/no-cohort-cq"))],
            ..Case::default()
        },
        Case {
            name: "PreemptionOverBorrowing with fair sharing: preempt in first flavor instead of borrowing in second",
            fair_sharing: true,
            objects: objects(
                vec![
                    cq("fs-pob-cq", "on-demand{cpu=5/0} spot{cpu=0/5}")
                        .cohort("fs-pob-cohort")
                        .weight("1")
                        .pre("{withinClusterQueue: LowerPriority}")
                        .fung("{whenCanBorrow: TryNextFlavor, whenCanPreempt: TryNextFlavor, preference: PreemptionOverBorrowing}"),
                    cq("fs-pob-lender", "on-demand{cpu=0} spot{cpu=5}").cohort("fs-pob-cohort").weight("1"),
                ],
                &[lq("default/fs-pob-queue", "fs-pob-cq")],
            ),
            workloads: vec![
                wl("default/fs-low-pob", "fs-pob-queue", "cpu=5").p(-1).admitted("fs-pob-cq", &["on-demand"]),
                wl("default/fs-high-pob", "fs-pob-queue", "cpu=5"),
            ],
            pending: vec![("default/fs-high-pob", "couldn't assign flavors to pod set main: insufficient unused quota for cpu in flavor on-demand, 5 more needed. Pending the preemption of 1 workload(s)")],
            preempted: vec![preempted("default/fs-low-pob", "default/fs-high-pob", IC, ("/fs-pob-cohort/fs-pob-cq", "/fs-pob-cohort/fs-pob-cq"))],
            ..Case::default()
        },
    ]
}

/// Cohort `co-a` of 8 cpu with ClusterQueues `b` and `c` of none, of this fair-sharing
/// weight, reclaiming from any and never preempting within.
fn weighted_pair(weight: &'static str) -> String {
    let pre = "{reclaimWithinCohort: Any, withinClusterQueue: Never}";
    objects(
        vec![
            cq("b", "on-demand{cpu=0}").cohort("co-a").weight(weight).pre(pre),
            cq("c", "on-demand{cpu=0}").cohort("co-a").weight(weight).pre(pre),
        ],
        &[
            cohort("co-a", None, "on-demand{cpu=8}"),
            lq("eng-alpha/lq-b", "b"),
            lq("eng-alpha/lq-c", "c"),
        ],
    )
}

fn weighted_pair_workloads() -> Vec<Wl> {
    vec![
        one("eng-alpha/b0", "lq-b", "cpu=4").admitted("b", &["on-demand"]),
        one("eng-alpha/b1", "lq-b", "cpu=4").p(9001),
        one("eng-alpha/c1", "lq-c", "cpu=4"),
    ]
}

/// "prefer flavor with most local capacity": on-demand exhausted up to the child cohort,
/// spot only in the ClusterQueue; the next Workload borrows spot from the child cohort
/// rather than on-demand from the root.
fn most_local_capacity(name: &'static str, fair_sharing: bool) -> Case {
    Case {
        name,
        fair_sharing,
        objects: objects(
            vec![cq("queue1", "on-demand{gpu=3} spot{gpu=3}")
                .cohort("child-cohort")
                .pre("{withinClusterQueue: LowerPriority, reclaimWithinCohort: Any}")
                .fung("{whenCanBorrow: TryNextFlavor, whenCanPreempt: TryNextFlavor}")],
            &[
                cohort("root-cohort", None, "on-demand{gpu=2} spot{gpu=0}"),
                cohort("child-cohort", Some("root-cohort"), "on-demand{gpu=5} spot{gpu=7}"),
                lq("default/queue1", "queue1"),
            ],
        ),
        workloads: vec![
            wl("default/a1", "queue1", "gpu=8").admitted("queue1", &["on-demand"]),
            wl("default/a2", "queue1", "gpu=3").admitted("queue1", &["spot"]),
            wl("default/a3", "queue1", "gpu=1"),
        ],
        admitted: vec![("default/a3", "queue1", vec![("main", 1, "gpu=spot")])],
        ..Case::default()
    }
}
