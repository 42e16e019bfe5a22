//! The engine's side of batch/v1 Jobs: what the API server and the kubelet do for the
//! Job controller and Kueue's job integration (creating the Job's pods, running them to
//! success, suspending and resuming, and releasing an evicted Workload's quota).

use super::world::{Job, Source, Uid, WorkloadState};
use super::{Engine, EventKind};
use crate::api::batch::JobObject;
use crate::api::core::{PodTemplate, Toleration};
use crate::api::meta::Labels;
use crate::manifest::error::Loc;
use crate::units::SimDuration;

impl Engine {
    /// Wakes the Kueue integration that owns a Workload's source.
    pub(crate) fn wake_integration(&mut self, source: Source) {
        match source {
            Source::Pod(p) => {
                self.queues.kueue_pod.insert(p);
            }
            Source::Job(j) => {
                self.queues.kueue_job.insert(j);
            }
            Source::PodGroup(g) => {
                let pods = self
                    .world
                    .pod_groups
                    .get(&g)
                    .map(|g| g.pods.clone())
                    .unwrap_or_default();
                self.queues.kueue_pod.extend(pods);
            }
            Source::Snapshot { .. } => {}
        }
    }

    /// Adds a managed pod to its Kueue pod group (creating the group), per its
    /// `kueue.x-k8s.io/pod-group-name` label and total-count annotation.
    pub(crate) fn join_pod_group(&mut self, pod: &crate::engine::world::Pod) -> Option<Uid> {
        use crate::kueue::{POD_GROUP_NAME_LABEL, POD_GROUP_TOTAL_COUNT_ANNOTATION};
        let name = pod.labels.get(POD_GROUP_NAME_LABEL)?.clone();
        let key = (pod.namespace.clone(), name.clone());
        let uid = match self.world.pod_group_index.get(&key) {
            Some(&g) => g,
            None => {
                let total = pod
                    .annotations
                    .get(POD_GROUP_TOTAL_COUNT_ANNOTATION)
                    .and_then(|t| t.parse::<u32>().ok())
                    .filter(|t| *t > 0);
                if total.is_none() {
                    self.warnings.push(format!(
                        "pod {}/{} is in pod group {name} without a positive {POD_GROUP_TOTAL_COUNT_ANNOTATION}; \
                         Kueue's webhook would reject it, the group counts as 1 pod here",
                        pod.namespace, pod.name
                    ));
                }
                let g = self.world.alloc_uid();
                self.world.pod_groups.insert(
                    g,
                    crate::engine::world::PodGroup {
                        uid: g,
                        namespace: pod.namespace.clone(),
                        name,
                        total: total.unwrap_or(1),
                        pods: Default::default(),
                        workload: None,
                    },
                );
                self.world.pod_group_index.insert(key, g);
                g
            }
        };
        let group = self.world.pod_groups.get_mut(&uid).expect("just found");
        group.pods.insert(pod.uid);
        // Every member is reconciled again: the group may now be complete.
        let members: Vec<Uid> = group.pods.iter().copied().collect();
        self.queues.kueue_pod.extend(members);
        Some(uid)
    }

    pub(crate) fn touch_job(&mut self, job: Option<Uid>) {
        if let Some(j) = job {
            self.queues.job.insert(j);
            self.queues.kueue_job.insert(j);
        }
    }

    /// A Job from a manifest or `oc apply`: Kueue's webhook defaults it; a Job that
    /// exists keeps its state (its spec is immutable but for suspend and parallelism).
    pub(crate) fn apply_job(&mut self, namespace: String, mut job: JobObject, loc: Loc) {
        let key = (namespace.clone(), job.meta.name.clone());
        if let Some(uid) = self.world.job_index.get(&key).copied() {
            let j = self.world.jobs.get_mut(&uid).expect("indexed");
            j.spec.parallelism = job.spec.parallelism;
            if !crate::kueue::job::is_managed(j) {
                j.spec.suspend = job.spec.suspend;
            }
            self.touch_job(Some(uid));
            return;
        }
        crate::kueue::job::mutate_new_job(&self.world, &namespace, &mut job);
        let uid = self.world.alloc_uid();
        let run_time = job.spec.run_time.unwrap_or(self.world.default_job_run_time);
        let j = Job {
            uid,
            k8s_uid: super::ids::uid(&mut self.rngs.names),
            namespace: namespace.clone(),
            name: job.meta.name.clone(),
            labels: job.meta.labels,
            spec: job.spec,
            created: self.world.now,
            run_time,
            pods: Default::default(),
            succeeded: 0,
            saved: SimDuration::ZERO,
            completed_at: None,
            started_at: None,
            workload: None,
            loc: Some(loc),
        };
        self.world.jobs.insert(uid, j);
        self.world.job_index.insert(key, uid);
        self.touch_job(Some(uid));
    }

    pub(crate) fn create_job_pod(&mut self, job: Uid) {
        let Some(j) = self.world.jobs.get(&job) else { return };
        let name = loop {
            let candidate = format!("{}-{}", j.name, super::ids::random_suffix(&mut self.rngs.names, 5));
            if !self
                .world
                .pod_index
                .contains_key(&(j.namespace.clone(), candidate.clone()))
            {
                break candidate;
            }
        };
        let mut template: PodTemplate = j.spec.template.clone();
        template
            .labels
            .insert("batch.kubernetes.io/job-name".into(), j.name.clone());
        template.labels.insert("job-name".into(), j.name.clone());
        let ns = j.namespace.clone();
        let pod = self.create_pod(ns, name, template, None, Some(job));
        if let Some(j) = self.world.jobs.get_mut(&job) {
            j.pods.insert(pod);
        }
    }

    /// A Job's pod became Ready: it exits with success once it has run what is left of
    /// the Job's run time; the Workload is Ready (Kueue's PodsReady) once all its pods are.
    pub(crate) fn job_pod_ready(&mut self, job: Uid, pod: Uid) {
        let Some(j) = self.world.jobs.get(&job) else { return };
        let left = SimDuration(j.run_time.0.saturating_sub(j.saved.0));
        let ready = j
            .pods
            .iter()
            .filter(|p| self.world.pods.get(p).is_some_and(|p| p.is_ready()))
            .count();
        let workload = j.workload;
        self.schedule_in(left, EventKind::PodRunDone { pod });
        let now = self.world.now;
        if let Some(w) = workload.and_then(|w| self.world.workloads.get_mut(&w)) {
            if ready >= w.pod_count as usize && w.evicted_at.is_none() {
                w.ready_at.get_or_insert(now);
                w.set_state(now, WorkloadState::Ready);
                self.pods_ready_changed();
            }
        }
    }

    /// The pod's container exited 0: the Job counts a success. Completed pods hold no
    /// resources; they are removed rather than kept as `Completed` objects.
    pub(crate) fn pod_succeeded(&mut self, pod: Uid) {
        let Some(p) = self.world.pods.get(&pod) else { return };
        if p.deletion.is_some() || !p.is_ready() {
            return;
        }
        let (obj, job) = (format!("Pod {}/{}", p.namespace, p.name), p.owner_job);
        self.record("Completed", obj, "container exited with code 0");
        if let Some(j) = job.and_then(|j| self.world.jobs.get_mut(&j)) {
            j.succeeded += 1;
        }
        self.remove_pod(pod);
    }

    pub(crate) fn complete_job(&mut self, job: Uid) {
        let now = self.world.now;
        let Some(j) = self.world.jobs.get_mut(&job) else { return };
        if j.completed_at.is_some() {
            return;
        }
        j.completed_at = Some(now);
        let obj = format!("Job {}/{}", j.namespace, j.name);
        let took = now.since(j.created);
        self.record("Completed", obj, format!("Job completed ({took} after creation)"));
        self.queues.kueue_job.insert(job);
    }

    pub(crate) fn start_job(&mut self, job: Uid, node_selector: Labels, tolerations: Vec<Toleration>) {
        let Some(j) = self.world.jobs.get_mut(&job) else { return };
        j.spec.suspend = false;
        // Resuming resets `status.startTime`.
        j.started_at = Some(self.world.now);
        j.spec.template.spec.node_selector = node_selector;
        j.spec.template.spec.tolerations = tolerations;
        let obj = format!("Job {}/{}", j.namespace, j.name);
        self.record("Started", obj, "Admitted by clusterQueue; resumed");
        self.touch_job(Some(job));
    }

    /// Suspends the Job; its running pods lose their progress back to the last checkpoint.
    pub(crate) fn stop_job(&mut self, job: Uid) {
        let now = self.world.now;
        let Some(j) = self.world.jobs.get(&job) else { return };
        let ran = j
            .pods
            .iter()
            .filter_map(|p| self.world.pods.get(p))
            .filter(|p| p.deletion.is_none())
            .filter_map(|p| p.ready_at)
            .map(|r| now.since(r))
            .min();
        let Some(j) = self.world.jobs.get_mut(&job) else { return };
        if let (Some(ran), Some(every)) = (ran, j.spec.checkpoint_interval) {
            let done = j.saved.0 + ran.0;
            j.saved = SimDuration((done / every.0 * every.0).min(j.run_time.0));
        }
        j.spec.suspend = true;
        let obj = format!("Job {}/{}", j.namespace, j.name);
        let msg = match j.spec.checkpoint_interval {
            Some(_) => format!("Suspended; resumes from its checkpoint at {}", j.saved),
            None => "Suspended; its pods restart from the beginning".to_string(),
        };
        self.record("Stopped", obj, msg);
        self.touch_job(Some(job));
    }

    /// The evicted Workload's Job is stopped: the quota reservation is cleared (Kueue's
    /// `UnsetQuotaReservation`) and the Workload queues again.
    pub(crate) fn requeue_evicted_workload(&mut self, uid: Uid) {
        let now = self.world.now;
        let Some(w) = self.world.workloads.get_mut(&uid) else {
            return;
        };
        let Some(adm) = w.admission.take() else { return };
        w.admitted_at = None;
        w.evicted_at = None;
        w.ready_at = None;
        w.set_state(now, WorkloadState::Pending);
        let obj = format!("Workload {}/{}", w.namespace, w.name);
        adm.release(&mut self.world.usage);
        self.record(
            "Normal",
            obj,
            format!("Quota released in ClusterQueue {}; requeued", adm.cluster_queue),
        );
        self.requeue_after_backoff(uid);
        self.requeue_cluster_queue(&adm.cluster_queue);
    }
}
