//! Applying controller actions and user objects to the world, the way the API server
//! and the components' side effects would, and waking the controllers that watch them.

use super::action::Action;
use super::ids::{random_suffix, uid as k8s_uid};
use super::world::{
    Deployment, InferenceServiceState, Pod, ReplicaSet, Source, StartPhase, Uid, Workload, WorkloadState,
};
use super::{Engine, EventKind};
use crate::api::core::PodTemplate;
use crate::kueue::scheduler::REASON_INADMISSIBLE;
use crate::manifest::objects::{Object, PodObject};
use crate::units::SimDuration;

impl Engine {
    pub fn apply_all(&mut self, actions: Vec<Action>) {
        for a in actions {
            self.apply(a);
        }
    }

    pub fn apply(&mut self, action: Action) {
        match action {
            Action::CreateDeployment {
                namespace,
                name,
                owner_isvc,
                labels,
                annotations,
                spec,
            } => {
                let uid = self.world.alloc_uid();
                let d = Deployment {
                    uid,
                    namespace: namespace.clone(),
                    name: name.clone(),
                    labels,
                    annotations,
                    spec,
                    owner_isvc: Some(owner_isvc),
                    created: self.world.now,
                    collision_count: 0,
                    next_revision: 1,
                    loc: None,
                    template_hash: String::new(),
                };
                let mut d = d;
                d.refresh_hash();
                self.world.deployments.insert(uid, d);
                self.world
                    .deployment_index
                    .insert((namespace.clone(), name.clone()), uid);
                self.queues.deployment.insert(uid);
                self.record(
                    "Normal",
                    format!("InferenceService {namespace}/{}", name.trim_end_matches("-predictor")),
                    format!("created Deployment {name}"),
                );
            }
            Action::UpdateDeployment {
                uid,
                labels,
                annotations,
                template,
                strategy,
                replicas,
            } => {
                if let Some(d) = self.world.deployments.get_mut(&uid) {
                    d.labels = labels;
                    d.annotations = annotations;
                    d.spec.template = template;
                    d.spec.strategy = strategy;
                    if let Some(r) = replicas {
                        d.spec.replicas = r;
                    }
                    d.refresh_hash();
                    self.queues.deployment.insert(uid);
                }
            }
            Action::MarkIsvcMinReplicasApplied {
                namespace,
                name,
                min_replicas,
            } => {
                if let Some(s) = self.world.isvcs.get_mut(&(namespace, name)) {
                    s.applied_min_replicas = min_replicas;
                }
            }
            Action::CreateReplicaSet {
                deployment,
                template,
                hash,
                replicas,
                revision,
            } => {
                let Some(d) = self.world.deployments.get(&deployment) else {
                    return;
                };
                let (ns, name) = (d.namespace.clone(), format!("{}-{}", d.name, hash));
                let dep_name = d.name.clone();
                let uid = self.world.alloc_uid();
                self.world.replicasets.insert(
                    uid,
                    ReplicaSet {
                        uid,
                        namespace: ns.clone(),
                        name: name.clone(),
                        deployment: Some(deployment),
                        template,
                        template_hash: hash,
                        replicas,
                        revision,
                        created: self.world.now,
                        pods: Default::default(),
                    },
                );
                self.world.replicaset_index.insert((ns.clone(), name.clone()), uid);
                self.queues.replicaset.insert(uid);
                self.queues.deployment.insert(deployment);
                self.record(
                    "Normal",
                    format!("Deployment {ns}/{dep_name}"),
                    format!("Scaled up replica set {name} from 0 to {replicas}"),
                );
            }
            Action::ScaleReplicaSet { uid, replicas } => {
                let Some(rs) = self.world.replicasets.get_mut(&uid) else {
                    return;
                };
                let from = rs.replicas;
                rs.replicas = replicas;
                let (ns, name, dep) = (rs.namespace.clone(), rs.name.clone(), rs.deployment);
                self.queues.replicaset.insert(uid);
                if let Some(d) = dep {
                    self.queues.deployment.insert(d);
                    let dn = self
                        .world
                        .deployments
                        .get(&d)
                        .map(|d| d.name.clone())
                        .unwrap_or_default();
                    let verb = if replicas > from { "up" } else { "down" };
                    self.record(
                        "Normal",
                        format!("Deployment {ns}/{dn}"),
                        format!("Scaled {verb} replica set {name} from {from} to {replicas}"),
                    );
                }
            }
            Action::CreatePod { replicaset } => self.create_pod_for_rs(replicaset),
            Action::DeletePod { uid, grace } => self.delete_pod(uid, grace),
            Action::CreateWorkload(w) => self.create_workload(*w),
            Action::AdmitWorkload { uid, admission } => {
                let now = self.world.now;
                let Some(w) = self.world.workloads.get_mut(&uid) else {
                    return;
                };
                admission.reserve(&mut self.world.usage);
                let wait = now.since(w.queue_timestamp);
                let msg = format!(
                    "Quota reserved in ClusterQueue {}, wait time since queued was {:.0}s",
                    admission.cluster_queue,
                    wait.as_secs_f64()
                );
                let obj = format!("Workload {}/{}", w.namespace, w.name);
                w.admission = Some(admission);
                w.admitted_at = Some(now);
                w.pending_message = None;
                w.pending_reason = None;
                w.set_state(now, WorkloadState::Admitted);
                let source = w.source;
                self.record("QuotaReserved", obj, msg);
                self.wake_integration(source);
                self.snapshot_admitted(uid);
                self.watch_pods_ready(uid);
            }
            Action::SetWorkloadPending { uid, reason, message } => {
                let Some(w) = self.world.workloads.get_mut(&uid) else {
                    return;
                };
                if w.pending_message.as_deref() == Some(&message) {
                    return;
                }
                w.pending_message = Some(message.clone());
                w.pending_reason = Some(reason.clone());
                let obj = format!("Workload {}/{}", w.namespace, w.name);
                self.record(&reason, obj, message);
            }
            Action::UngatePod {
                uid,
                node_selector,
                tolerations,
            } => {
                let Some(p) = self.world.pods.get_mut(&uid) else { return };
                p.spec.scheduling_gates.retain(|g| g != crate::kueue::ADMISSION_GATE);
                p.spec.node_selector = node_selector;
                p.spec.tolerations = tolerations;
                self.enqueue_schedule(uid);
            }
            Action::FinishWorkload { uid, reason } => self.finish_workload(uid, &reason),
            Action::EvictWorkload { uid, reason, message } => {
                self.evict_workload(uid, super::podsready::Eviction::Preempted { reason, message })
            }
            Action::Bind { pod, node } => self.bind(pod, &node),
            Action::CreateJobPod { job } => self.create_job_pod(job),
            Action::CompleteJob { job } => self.complete_job(job),
            Action::CreateLwsPod { lws, group, worker } => self.create_lws_pod(lws, group, worker),
            Action::StartJob {
                job,
                node_selector,
                tolerations,
            } => self.start_job(job, node_selector, tolerations),
            Action::StopJob { job } => self.stop_job(job),
            Action::RequeueWorkload { uid } => self.requeue_evicted_workload(uid),
            Action::MarkUnschedulable { pod, message } => {
                let Some(p) = self.world.pods.get_mut(&pod) else { return };
                self.queues.unschedulable.insert(pod);
                if p.unschedulable.as_deref() != Some(&message) {
                    p.unschedulable = Some(message.clone());
                    let obj = format!("Pod {}/{}", p.namespace, p.name);
                    self.record("FailedScheduling", obj, message);
                }
            }
        }
    }

    fn create_pod_for_rs(&mut self, rs_uid: Uid) {
        let Some(rs) = self.world.replicasets.get(&rs_uid) else {
            return;
        };
        // generateName: the API server retries on a name collision.
        let name = loop {
            let candidate = format!("{}-{}", rs.name, random_suffix(&mut self.rngs.names, 5));
            if !self
                .world
                .pod_index
                .contains_key(&(rs.namespace.clone(), candidate.clone()))
            {
                break candidate;
            }
        };
        let mut template: PodTemplate = rs.template.clone();
        template
            .labels
            .insert("pod-template-hash".into(), rs.template_hash.clone());
        let ns = rs.namespace.clone();
        let pod_uid = self.create_pod(ns, name, template, Some(rs_uid), None);
        if let Some(rs) = self.world.replicasets.get_mut(&rs_uid) {
            rs.pods.insert(pod_uid);
            if let Some(d) = rs.deployment {
                self.queues.deployment.insert(d);
            }
        }
    }

    /// Creates a pod through the admission chain (Kueue's webhook) and queues it.
    pub fn create_pod(
        &mut self,
        ns: String,
        name: String,
        template: PodTemplate,
        owner_rs: Option<Uid>,
        owner_job: Option<Uid>,
    ) -> Uid {
        let uid = self.world.alloc_uid();
        let requests = template.spec.requests();
        let container_count = template.spec.containers.len();
        let mut pod = Pod {
            uid,
            k8s_uid: k8s_uid(&mut self.rngs.names),
            namespace: ns.clone(),
            name: name.clone(),
            labels: template.labels,
            annotations: template.annotations,
            spec: template.spec,
            requests,
            owner_rs,
            owner_job,
            owner_lws: None,
            created: self.world.now,
            node: None,
            scheduled_at: None,
            start_phase: None,
            ready_at: None,
            deletion: None,
            unschedulable: None,
            workload: None,
            pod_group: None,
            startup: Vec::new(),
            memory: None,
            crash: Default::default(),
            container_count,
        };
        crate::kueue::pod::mutate_new_pod(&self.world, &mut pod);
        let managed = crate::kueue::pod::is_managed(&pod);
        let gated = pod.is_gated();
        let pinned = pod.spec.node_name.clone();
        if managed {
            pod.pod_group = self.join_pod_group(&pod);
        }
        self.world.pod_index.insert((ns, name), uid);
        self.world.pods.insert(uid, pod);
        if managed {
            self.queues.kueue_pod.insert(uid);
        }
        match pinned {
            Some(node) if !gated => self.bind(uid, &node),
            _ if !gated => self.enqueue_schedule(uid),
            _ => {}
        }
        uid
    }

    pub fn delete_pod(&mut self, uid: Uid, grace: Option<SimDuration>) {
        let Some(p) = self.world.pods.get_mut(&uid) else { return };
        if p.deletion.is_some() && grace != Some(SimDuration::ZERO) {
            return;
        }
        let grace = grace.unwrap_or(SimDuration::from_secs(p.spec.termination_grace_seconds));
        // A pod no kubelet runs (gated or unbound) disappears at once.
        if p.node.is_none() || grace == SimDuration::ZERO {
            self.remove_pod(uid);
            return;
        }
        p.deletion = Some((self.world.now, grace));
        let (obj, owner_rs, wl, job, lws) = (
            format!("Pod {}/{}", p.namespace, p.name),
            p.owner_rs,
            p.workload,
            p.owner_job,
            p.owner_lws,
        );
        self.record(
            "Killing",
            obj,
            format!(
                "Stopping container kserve-container (grace period {}s)",
                grace.as_secs_f64()
            ),
        );
        if let Some(w) = wl.and_then(|w| self.world.workloads.get_mut(&w)) {
            if w.current_state() == WorkloadState::Ready {
                w.set_state(self.world.now, WorkloadState::Admitted);
            }
        }
        self.schedule_in(grace, EventKind::PodGone { pod: uid });
        self.touch_owner(owner_rs);
        self.touch_job(job);
        if let Some(l) = lws {
            self.queues.lws.insert(l);
        }
    }

    fn touch_owner(&mut self, owner_rs: Option<Uid>) {
        if let Some(rs) = owner_rs {
            self.queues.replicaset.insert(rs);
            if let Some(d) = self.world.replicasets.get(&rs).and_then(|r| r.deployment) {
                self.queues.deployment.insert(d);
            }
        }
    }

    /// The pod object is gone: resources return to the node, Kueue finishes its workload
    /// (releasing quota), owners and waiting pods are woken.
    pub fn remove_pod(&mut self, uid: Uid) {
        let Some(p) = self.world.pods.remove(&uid) else { return };
        self.world.pod_index.remove(&(p.namespace.clone(), p.name.clone()));
        if let Some(n) = p.node.as_ref().and_then(|n| self.world.nodes.get_mut(n)) {
            n.account(self.world.now);
            n.requested.sub(&p.requests);
            n.pods.remove(&uid);
        }
        if let Some(rs) = p.owner_rs.and_then(|r| self.world.replicasets.get_mut(&r)) {
            rs.pods.remove(&uid);
        }
        if let Some(j) = p.owner_job.and_then(|j| self.world.jobs.get_mut(&j)) {
            j.pods.remove(&uid);
        }
        self.touch_job(p.owner_job);
        if let Some(l) = p.owner_lws {
            if let Some(lws) = self.world.leader_worker_sets.get_mut(&l) {
                lws.pods.remove(&uid);
            }
            self.queues.lws.insert(l);
        }
        self.queues.unschedulable.remove(&uid);
        self.touch_owner(p.owner_rs);
        match p.pod_group.and_then(|g| self.world.pod_groups.get_mut(&g)) {
            // A group's Workload ends with the last of its pods.
            Some(g) => {
                g.pods.remove(&uid);
                if g.pods.is_empty() {
                    // A group formed again under this name is a new group.
                    let (key, w) = ((g.namespace.clone(), g.name.clone()), g.workload);
                    self.world.pod_group_index.remove(&key);
                    if let Some(w) = w {
                        self.finish_workload(w, "Pods deleted");
                    }
                }
            }
            None => {
                if let Some(w) = p.workload {
                    self.finish_workload(w, "Pod deleted");
                }
            }
        }
        if p.node.is_some() {
            self.retry_unschedulable();
        }
    }

    /// Kueue's eviction: for preemption the Evicted condition (reason Preempted) and the
    /// Preempted one (reason `reason`), for a PodsReady timeout the Evicted condition
    /// alone; then the integration stops the pods; the quota is released when they are
    /// gone, and the Workload (a Job's) or its owner's replacement (a pod's) queues anew.
    pub(crate) fn evict_workload(&mut self, uid: Uid, why: super::podsready::Eviction) {
        let now = self.world.now;
        let Some(w) = self.world.workloads.get_mut(&uid) else {
            return;
        };
        if w.evicted_at.is_some() || w.finished_at.is_some() {
            return;
        }
        w.evicted_at = Some(now);
        w.set_state(now, WorkloadState::Evicted);
        let (obj, source) = (format!("Workload {}/{}", w.namespace, w.name), w.source);
        match why {
            super::podsready::Eviction::Preempted { reason, message } => {
                self.record("Preempted", obj.clone(), format!("{message} ({reason})"));
                self.record("EvictedDueToPreempted", obj, message);
            }
            super::podsready::Eviction::PodsReadyTimeout { message } => {
                self.record("EvictedDueToPodsReadyTimeout", obj, message);
            }
        }
        match source {
            Source::Pod(pod) => self.delete_pod(pod, None),
            Source::Job(job) => {
                self.queues.kueue_job.insert(job);
            }
            Source::PodGroup(_) => {
                for pod in self.world.pods_of(&self.world.workloads[&uid].clone()) {
                    self.delete_pod(pod, None);
                }
            }
            // Nothing runs: the quota returns and the Workload queues again at once.
            Source::Snapshot { .. } => self.requeue_evicted_workload(uid),
        }
    }

    pub(crate) fn finish_workload(&mut self, uid: Uid, reason: &str) {
        let now = self.world.now;
        let Some(w) = self.world.workloads.get_mut(&uid) else {
            return;
        };
        if w.finished_at.is_some() {
            return;
        }
        w.finished_at = Some(now);
        w.set_state(now, WorkloadState::Finished);
        let w = w.clone();
        let cq = self.world.cluster_queue_of(&w).map(str::to_string);
        if let Some(adm) = &w.admission {
            adm.release(&mut self.world.usage);
            self.record(
                "Normal",
                format!("Workload {}/{}", w.namespace, w.name),
                format!("{reason}; quota released in ClusterQueue {}", adm.cluster_queue),
            );
            let cq = adm.cluster_queue.clone();
            self.kueue.remove(&cq, &w);
            self.requeue_cluster_queue(&cq);
        } else if let Some(cq) = cq {
            self.kueue.remove(&cq, &w);
            // The workloads behind it (a StrictFIFO queue) may go now.
            self.queues.kueue_scheduler = true;
        } else {
            self.kueue.orphans.remove(&uid);
        }
    }

    pub(crate) fn create_workload(&mut self, mut w: Workload) {
        if let Source::PodGroup(g) = w.source {
            if self.world.pod_groups.get(&g).is_none_or(|g| g.workload.is_some()) {
                return;
            }
        }
        let uid = self.world.alloc_uid();
        w.uid = uid;
        w.set_state(self.world.now, WorkloadState::Pending);
        match w.source {
            Source::Pod(pod) => {
                if let Some(p) = self.world.pods.get_mut(&pod) {
                    p.workload = Some(uid);
                }
            }
            Source::Job(job) => {
                if let Some(j) = self.world.jobs.get_mut(&job) {
                    j.workload = Some(uid);
                }
            }
            Source::PodGroup(g) => {
                let pods = match self.world.pod_groups.get_mut(&g) {
                    Some(group) => {
                        group.workload = Some(uid);
                        group.pods.clone()
                    }
                    None => Default::default(),
                };
                for p in pods {
                    if let Some(p) = self.world.pods.get_mut(&p) {
                        p.workload = Some(uid);
                    }
                }
            }
            Source::Snapshot { .. } => {}
        }
        self.record(
            "Normal",
            format!("Workload {}/{}", w.namespace, w.name),
            match w.source {
                Source::Pod(_) => format!("Created workload for pod {}", w.pod_name),
                Source::Job(_) | Source::PodGroup(_) | Source::Snapshot { .. } => {
                    format!("Created Workload: {}/{}", w.namespace, w.name)
                }
            },
        );
        self.world.workloads.insert(uid, w);
        self.queue_workload(uid);
    }

    /// Routes a pending workload to its ClusterQueue, or parks it as an orphan with
    /// Kueue's Inadmissible reason when its LocalQueue or ClusterQueue is missing.
    pub fn queue_workload(&mut self, uid: Uid) {
        let Some(w) = self.world.workloads.get(&uid) else {
            return;
        };
        let lq = self
            .world
            .local_queues
            .get(&(w.namespace.clone(), w.queue_name.clone()));
        let problem = match lq {
            None => Some(format!("LocalQueue {} doesn't exist", w.queue_name)),
            Some(l) if !self.world.cluster_queues.contains_key(&l.cluster_queue) => {
                Some(format!("ClusterQueue {} doesn't exist", l.cluster_queue))
            }
            _ => None,
        };
        match problem {
            Some(message) => {
                self.kueue.orphans.insert(uid);
                self.apply(Action::SetWorkloadPending {
                    uid,
                    reason: REASON_INADMISSIBLE.into(),
                    message,
                });
            }
            None => {
                let cq = lq.unwrap().cluster_queue.clone();
                let w = w.clone();
                self.kueue.orphans.remove(&uid);
                self.kueue.push(&cq, &w);
                self.queues.kueue_scheduler = true;
            }
        }
    }

    fn bind(&mut self, pod_uid: Uid, node_name: &str) {
        let now = self.world.now;
        let Some(node) = self.world.nodes.get(node_name) else {
            return;
        };
        let Some(pod) = self.world.pods.get(&pod_uid) else {
            return;
        };
        let plan = crate::cluster::kubelet::plan_startup(&self.world.catalog, node, pod);
        let steps = plan.steps.clone();
        let images: Vec<String> = pod
            .spec
            .init_containers
            .iter()
            .filter(|c| c.name == "modelcar-init")
            .map(|c| c.image.clone())
            .collect();
        let node = self.world.nodes.get_mut(node_name).unwrap();
        node.account(now);
        node.requested.add(&pod.requests);
        node.pods.insert(pod_uid);
        // The image lands in the node's cache once pulled; a later pod on this node
        // skips the pull even if it starts before this one finishes (approximation).
        node.image_cache.extend(images);
        let pod = self.world.pods.get_mut(&pod_uid).unwrap();
        if plan.memory.is_some() || plan.failure.is_some() {
            self.world.cold_starts.push(crate::engine::world::ColdStart {
                pod: pod.name.clone(),
                namespace: pod.namespace.clone(),
                node: node_name.to_string(),
                bound: now,
                steps: plan.steps.clone(),
                failure: plan.failure.as_ref().map(|f| f.message.clone()),
            });
        }
        pod.node = Some(node_name.to_string());
        pod.scheduled_at = Some(now);
        pod.unschedulable = None;
        pod.startup = plan.steps;
        pod.memory = plan.memory;
        pod.crash.failure = plan.failure;
        pod.crash.restart_from = plan.restart_from;
        pod.start_phase = steps.first().map(|s| s.phase);
        let obj = format!("Pod {}/{}", pod.namespace, pod.name);
        self.record(
            "Scheduled",
            obj,
            format!(
                "Successfully assigned {}/{} to {node_name}",
                self.world.pods[&pod_uid].namespace, self.world.pods[&pod_uid].name
            ),
        );
        match steps.first() {
            Some(s) => self.schedule_in(s.duration, EventKind::PodStep { pod: pod_uid, step: 0 }),
            None => self.pod_step_done(pod_uid, 0),
        }
    }

    pub(crate) fn pod_step_done(&mut self, pod_uid: Uid, step: usize) {
        let now = self.world.now;
        let Some(pod) = self.world.pods.get_mut(&pod_uid) else {
            return;
        };
        if pod.deletion.is_some() {
            return;
        }
        let next = step + 1;
        if next < pod.startup.len() {
            let d = pod.startup[next].duration;
            pod.start_phase = Some(pod.startup[next].phase);
            self.schedule_in(
                d,
                EventKind::PodStep {
                    pod: pod_uid,
                    step: next,
                },
            );
            return;
        }
        if let Some(failure) = pod.crash.failure.clone() {
            // The engine exits with vLLM's error; the kubelet restarts it after a back-off.
            pod.crash.restarts += 1;
            pod.crash.backing_off = true;
            pod.start_phase = Some(StartPhase::Starting);
            let wait = super::world::crash_backoff(pod.crash.restarts);
            let obj = format!("Pod {}/{}", pod.namespace, pod.name);
            self.record(failure.reason, obj.clone(), failure.message.clone());
            self.record(
                "BackOff",
                obj,
                format!("Back-off {wait} restarting failed container kserve-container"),
            );
            self.schedule_in(wait, EventKind::PodRestart { pod: pod_uid });
            return;
        }
        pod.start_phase = Some(StartPhase::Ready);
        pod.ready_at = Some(now);
        let (obj, wl, owner) = (
            format!("Pod {}/{}", pod.namespace, pod.name),
            pod.workload,
            pod.owner_rs,
        );
        let took = now.since(pod.created);
        let job = pod.owner_job;
        self.record("Ready", obj, format!("pod is Ready ({took} after creation)"));
        if let Some(j) = job {
            self.job_pod_ready(j, pod_uid);
        }
        let all_ready = self.world.pods_of_workload_ready(wl);
        if let (true, Some(w)) = (all_ready, wl.and_then(|w| self.world.workloads.get_mut(&w))) {
            w.ready_at.get_or_insert(now);
            w.set_state(now, WorkloadState::Ready);
            self.pods_ready_changed();
        }
        self.touch_owner(owner);
        let dep = owner
            .and_then(|rs| self.world.replicasets.get(&rs))
            .and_then(|rs| rs.deployment);
        if let Some(d) = dep.and_then(|d| self.world.deployments.get(&d)) {
            if d.spec.min_ready_seconds > 0 {
                let (uid, wait) = (d.uid, SimDuration::from_secs(d.spec.min_ready_seconds));
                self.schedule_in(wait, EventKind::ResyncDeployment { deployment: uid });
            }
        }
    }

    /// The back-off is over: the container runs its start-up again from the first step
    /// after the init containers.
    pub(crate) fn restart_pod(&mut self, pod_uid: Uid) {
        let Some(pod) = self.world.pods.get_mut(&pod_uid) else {
            return;
        };
        if pod.deletion.is_some() || !pod.crash.backing_off {
            return;
        }
        pod.crash.backing_off = false;
        let from = pod.crash.restart_from;
        match pod.startup.get(from) {
            Some(s) => {
                pod.start_phase = Some(s.phase);
                let d = s.duration;
                self.schedule_in(
                    d,
                    EventKind::PodStep {
                        pod: pod_uid,
                        step: from,
                    },
                );
            }
            None => self.pod_step_done(pod_uid, from),
        }
    }

    /// Applies a user object (initial manifests or `oc apply -f`): create or replace.
    pub fn apply_object(&mut self, obj: Object) {
        let now = self.world.now;
        match obj {
            Object::Namespace { name, labels } => {
                self.world.namespaces.insert(name, labels);
                self.requeue_all_cluster_queues();
            }
            Object::Node(mut n) => {
                self.world.catalog.complete_node(&mut n);
                match self.world.nodes.get_mut(&n.meta.name) {
                    // An apply changes the node's spec and labels; its pods and accounting stay.
                    Some(existing) => {
                        existing.account(now);
                        existing.labels = n.meta.labels;
                        existing.taints = n.taints;
                        existing.unschedulable = n.unschedulable;
                        existing.allocatable = n.allocatable;
                        existing.instance_type = n.instance_type;
                    }
                    None => {
                        let node = super::world::Node::from_object(n, now);
                        self.world.nodes.insert(node.name.clone(), node);
                    }
                }
                self.retry_unschedulable();
            }
            Object::ResourceFlavor(f) => {
                self.world.flavors.insert(f.name.clone(), f);
                self.requeue_all_cluster_queues();
            }
            Object::ClusterQueue(cq) => {
                let name = cq.name.clone();
                self.world.cluster_queues.insert(name.clone(), cq);
                self.kueue.queues.entry(name.clone()).or_default();
                self.requeue_orphans();
                self.requeue_cluster_queue(&name);
            }
            Object::LocalQueue(lq) => {
                self.world
                    .local_queues
                    .insert((lq.namespace.clone(), lq.name.clone()), lq);
                self.requeue_orphans();
            }
            Object::WorkloadPriorityClass(c) => {
                self.world.workload_priority_classes.insert(c.name.clone(), c);
            }
            Object::PriorityClass(c) => {
                self.world.priority_classes.insert(c.name.clone(), c);
            }
            Object::ServingRuntime { namespace, runtime } => {
                self.world
                    .runtimes
                    .insert((namespace.clone(), runtime.meta.name.clone()), runtime);
                let keys: Vec<_> = self
                    .world
                    .isvcs
                    .keys()
                    .filter(|(n, _)| *n == namespace)
                    .cloned()
                    .collect();
                self.queues.isvc.extend(keys);
            }
            Object::InferenceService {
                namespace,
                isvc,
                raw,
                loc,
            } => {
                let key = (namespace.clone(), isvc.meta.name.clone());
                let (created, applied) = self
                    .world
                    .isvcs
                    .get(&key)
                    .map(|s| (s.created, s.applied_min_replicas))
                    .unwrap_or((now, None));
                self.world.isvcs.insert(
                    key.clone(),
                    InferenceServiceState {
                        namespace,
                        isvc,
                        raw,
                        loc,
                        created,
                        applied_min_replicas: applied,
                    },
                );
                self.queues.isvc.insert(key);
            }
            Object::Deployment {
                namespace,
                deployment,
                loc,
            } => {
                let key = (namespace.clone(), deployment.meta.name.clone());
                match self.world.deployment_index.get(&key).copied() {
                    Some(uid) => {
                        let d = self.world.deployments.get_mut(&uid).unwrap();
                        d.labels = deployment.meta.labels;
                        d.annotations = deployment.meta.annotations;
                        d.spec = deployment.spec;
                        d.refresh_hash();
                        // KServe owns its predictor Deployments and reconciles them back.
                        if let Some(o) = d.owner_isvc.clone() {
                            self.queues.isvc.insert((namespace.clone(), o));
                        }
                        self.queues.deployment.insert(uid);
                    }
                    None => {
                        let uid = self.world.alloc_uid();
                        let mut d = Deployment {
                            uid,
                            namespace: namespace.clone(),
                            name: deployment.meta.name.clone(),
                            labels: deployment.meta.labels,
                            annotations: deployment.meta.annotations,
                            spec: deployment.spec,
                            owner_isvc: None,
                            created: now,
                            collision_count: 0,
                            next_revision: 1,
                            loc: Some(loc),
                            template_hash: String::new(),
                        };
                        d.refresh_hash();
                        self.world.deployments.insert(uid, d);
                        self.world.deployment_index.insert(key, uid);
                        self.queues.deployment.insert(uid);
                    }
                }
            }
            Object::Pod {
                namespace,
                pod: PodObject { meta, spec },
                ..
            } => {
                if self.world.pod(&namespace, &meta.name).is_some() {
                    self.warnings.push(format!(
                        "pod {namespace}/{} exists; pods are immutable, apply ignored",
                        meta.name
                    ));
                    return;
                }
                let template = PodTemplate {
                    labels: meta.labels,
                    annotations: meta.annotations,
                    spec,
                };
                self.create_pod(namespace, meta.name, template, None, None);
            }
            Object::Job { namespace, job, loc } => self.apply_job(namespace, job, loc),
            Object::LeaderWorkerSet { namespace, lws } => self.apply_lws(namespace, lws),
            Object::Workload { namespace, workload } => self.apply_snapshot_workload(namespace, *workload),
            Object::Skipped { .. } | Object::Scenario(_) => {}
        }
    }

    fn requeue_orphans(&mut self) {
        let orphans: Vec<Uid> = self.kueue.orphans.iter().copied().collect();
        for o in orphans {
            if let Some(w) = self.world.workloads.get_mut(&o) {
                w.pending_message = None;
            }
            self.queue_workload(o);
        }
    }
}
