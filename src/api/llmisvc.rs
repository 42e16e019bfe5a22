//! KServe's `serving.kserve.io/v1alpha1` LLMInferenceService (llm-d), and the workload
//! its controller derives: a LeaderWorkerSet for a multi-node deployment
//! (`pkg/controller/llmisvc/workload_multi_node.go`), else a Deployment
//! (`workload_single_node.go`).

use super::apps::{DeploymentObject, DeploymentSpec, Strategy};
use super::core::{Container, PodSpec, PodTemplate};
use super::lws::LeaderWorkerSetObject;
use super::meta::{LabelSelector, Labels, ObjectMeta};
use crate::manifest::error::InputError;
use crate::manifest::yaml::Node;

/// The labels KServe puts on an LLMInferenceService's workloads and pods that name it.
pub const NAME_LABEL: &str = "app.kubernetes.io/name";
pub const PART_OF_LABEL: &str = "app.kubernetes.io/part-of";
pub const PART_OF_VALUE: &str = "llminferenceservice";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parallelism {
    pub tensor: Option<i32>,
    pub pipeline: Option<i32>,
    pub data: Option<i32>,
    pub data_local: Option<i32>,
}

impl Parallelism {
    /// Pods per LeaderWorkerSet group (`ParallelismSpec.GetSize`): data ÷ dataLocal
    /// for data parallelism, else the pipeline stages; none: LeaderWorkerSet's default 1.
    pub fn size(&self) -> Option<i32> {
        let positive = |v: Option<i32>| v.is_some_and(|v| v > 0);
        if positive(self.data) || positive(self.data_local) {
            return Some((self.data.unwrap_or(1).max(1) / self.data_local.unwrap_or(1).max(1)).max(1));
        }
        if positive(self.pipeline) {
            return self.pipeline;
        }
        None
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LlmInferenceServiceObject {
    pub meta: ObjectMeta,
    /// `spec.model.uri`: where the weights come from (`hf://`, `s3://`, `pvc://`, `oci://`).
    pub model_uri: Option<String>,
    pub replicas: i32,
    pub parallelism: Parallelism,
    /// The main (leader) pod spec.
    pub template: Option<PodSpec>,
    /// Set for a multi-node deployment: the worker pods' spec.
    pub worker: Option<PodSpec>,
    /// `spec.prefill` is set: prefill/decode disaggregation.
    pub disaggregated: bool,
}

/// How the simulator takes an LLMInferenceService.
#[derive(Debug, Clone, PartialEq)]
pub enum Derived {
    MultiNode(LeaderWorkerSetObject),
    SingleNode(DeploymentObject),
    /// Not simulated; the reason.
    Unsupported(&'static str),
}

impl LlmInferenceServiceObject {
    pub fn decode(doc: &Node) -> Result<LlmInferenceServiceObject, InputError> {
        let meta = ObjectMeta::decode(doc)?;
        let spec = doc
            .get("spec")
            .ok_or_else(|| InputError::at(doc.loc.clone(), "LLMInferenceService has no spec"))?;
        let int = |n: Option<&Node>| -> Result<Option<i32>, InputError> {
            let Some(n) = n else { return Ok(None) };
            let v = n.as_i64()?;
            if !(0..=10_000).contains(&v) {
                return Err(InputError::at(n.loc.clone(), format!("{v} is out of range")).hint("use 0 to 10000"));
            }
            Ok(Some(v as i32))
        };
        let p = spec.get("parallelism");
        let model_uri = match spec.path(&["model", "uri"]) {
            Some(u) => Some(u.as_str()?.to_string()),
            None => None,
        };
        Ok(LlmInferenceServiceObject {
            replicas: int(spec.get("replicas"))?.unwrap_or(1),
            parallelism: Parallelism {
                tensor: int(p.and_then(|p| p.get("tensor")))?,
                pipeline: int(p.and_then(|p| p.get("pipeline")))?,
                data: int(p.and_then(|p| p.get("data")))?,
                data_local: int(p.and_then(|p| p.get("dataLocal")))?,
            },
            template: spec.get("template").map(PodSpec::decode).transpose()?,
            worker: spec.get("worker").map(PodSpec::decode).transpose()?,
            disaggregated: spec.get("prefill").is_some(),
            model_uri,
            meta,
        })
    }

    /// What KServe's controller makes of this service.
    pub fn derive(&self) -> Derived {
        if self.disaggregated {
            return Derived::Unsupported(
                "prefill/decode disaggregation (spec.prefill) is not simulated in this version",
            );
        }
        match self.leader_worker_set() {
            Some(lws) => Derived::MultiNode(lws),
            None => match self.main_deployment() {
                Some(d) => Derived::SingleNode(d),
                None => Derived::Unsupported("an LLMInferenceService without spec.template has no pods to simulate"),
            },
        }
    }

    /// The labels KServe gives the workloads of this service.
    fn workload_labels(&self, component: &str) -> Labels {
        [
            ("app.kubernetes.io/component".to_string(), component.to_string()),
            (NAME_LABEL.to_string(), self.meta.name.clone()),
            (PART_OF_LABEL.to_string(), PART_OF_VALUE.to_string()),
        ]
        .into()
    }

    /// The pod spec with the model's weights attached as KServe's `attachModelArtifacts`
    /// does: an OCI image becomes a ModelCar, any other URI a storage initializer that
    /// downloads into `/mnt/models`.
    fn with_model(&self, mut spec: PodSpec) -> PodSpec {
        let Some(uri) = &self.model_uri else { return spec };
        let init = match uri.strip_prefix("oci://") {
            Some(image) => Container {
                name: "modelcar-init".into(),
                image: image.to_string(),
                ..Default::default()
            },
            None => Container {
                name: "storage-initializer".into(),
                image: "kserve/storage-initializer".into(),
                args: vec![uri.clone(), "/mnt/models".into()],
                ..Default::default()
            },
        };
        if !spec.init_containers.iter().any(|c| c.name == init.name) {
            spec.init_containers.insert(0, init);
        }
        spec
    }

    /// The Deployment `<name>-kserve` of a single-node service: `spec.replicas` pods of
    /// `spec.template`, role `both` (no separate prefill).
    pub(crate) fn main_deployment(&self) -> Option<DeploymentObject> {
        if self.worker.is_some() {
            return None;
        }
        let spec = self.with_model(self.template.clone()?);
        let mut selector = self.workload_labels("llminferenceservice-workload");
        selector.insert("kserve.io/component".into(), "workload".into());
        selector.insert("llm-d.ai/role".into(), "both".into());
        let mut labels = selector.clone();
        // The service's own labels (a Kueue queue, a priority class) carry over, as for an
        // InferenceService's predictor.
        labels.extend(self.meta.labels.clone());
        Some(DeploymentObject {
            meta: ObjectMeta {
                name: format!("{}-kserve", self.meta.name),
                namespace: self.meta.namespace.clone(),
                labels: labels.clone(),
                annotations: Labels::new(),
            },
            spec: DeploymentSpec {
                replicas: self.replicas,
                selector: LabelSelector {
                    match_labels: selector,
                    match_expressions: Vec::new(),
                },
                template: PodTemplate {
                    labels,
                    annotations: Labels::new(),
                    spec,
                },
                strategy: Strategy::DEFAULT_ROLLING,
                min_ready_seconds: 0,
                paused: false,
            },
        })
    }

    /// The LeaderWorkerSet `<name>-kserve-mn` of a multi-node deployment; `None` for a
    /// single-node one.
    pub fn leader_worker_set(&self) -> Option<LeaderWorkerSetObject> {
        let worker = self.with_model(self.worker.clone()?);
        let name = &self.meta.name;
        let labels = |component: &str| self.workload_labels(component);
        let mut lws_labels = labels("llminferenceservice-workload-worker");
        // The service's own labels (a Kueue queue, a priority class) carry over.
        lws_labels.extend(self.meta.labels.clone());
        Some(LeaderWorkerSetObject {
            meta: ObjectMeta {
                name: format!("{name}-kserve-mn"),
                namespace: self.meta.namespace.clone(),
                labels: lws_labels,
                annotations: Labels::new(),
            },
            replicas: self.replicas,
            size: self.parallelism.size().unwrap_or(1),
            leader_template: self.template.clone().map(|spec| PodTemplate {
                spec: self.with_model(spec),
                labels: labels("llminferenceservice-workload-leader"),
                annotations: Labels::new(),
            }),
            worker_template: PodTemplate {
                labels: labels("llminferenceservice-workload-worker"),
                annotations: Labels::new(),
                spec: worker,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_size_follows_kserve() {
        // (tensor, pipeline, data, dataLocal) → size
        let cases = [
            ((None, None, None, None), None),
            ((Some(2), None, None, None), None),
            ((None, None, Some(2), Some(1)), Some(2)),
            ((None, None, Some(8), Some(4)), Some(2)),
            ((None, None, Some(2), None), Some(2)),
            ((None, None, Some(1), Some(4)), Some(1)),
            ((None, Some(3), None, None), Some(3)),
            ((None, Some(3), Some(4), Some(2)), Some(2)),
        ];
        for ((tensor, pipeline, data, data_local), want) in cases {
            let p = Parallelism {
                tensor,
                pipeline,
                data,
                data_local,
            };
            assert_eq!(p.size(), want, "{p:?}");
        }
    }

    #[test]
    fn kserve_derives_one_workload_kind_per_shape() {
        let doc = |spec: &str| {
            let text = format!(
                "apiVersion: serving.kserve.io/v1alpha1\nkind: LLMInferenceService\nmetadata: {{name: m, labels: {{kueue.x-k8s.io/queue-name: q}}}}\nspec:\n{spec}"
            );
            let doc = crate::manifest::yaml::parse_documents(&"m.yaml".into(), &text)
                .unwrap()
                .remove(0);
            LlmInferenceServiceObject::decode(&doc.root).unwrap().derive()
        };
        let pod = "{containers: [{name: main, image: i}]}";
        // (spec, kind, name)
        let cases = [
            (format!("  replicas: 2\n  template: {pod}\n"), "Deployment", "m-kserve"),
            (
                format!("  template: {pod}\n  worker: {pod}\n"),
                "LeaderWorkerSet",
                "m-kserve-mn",
            ),
            (
                format!("  template: {pod}\n  prefill: {{template: {pod}}}\n"),
                "skipped",
                "",
            ),
            ("  replicas: 1\n".to_string(), "skipped", ""),
        ];
        for (spec, kind, name) in cases {
            match (doc(&spec), kind) {
                (Derived::SingleNode(d), "Deployment") => {
                    assert_eq!(d.meta.name, name);
                    assert_eq!(d.spec.replicas, 2);
                    let labels = &d.spec.template.labels;
                    assert_eq!(labels.get("llm-d.ai/role").map(String::as_str), Some("both"));
                    assert_eq!(labels.get("kueue.x-k8s.io/queue-name").map(String::as_str), Some("q"));
                    assert!(d.spec.selector.matches(labels));
                }
                (Derived::MultiNode(l), "LeaderWorkerSet") => assert_eq!(l.meta.name, name),
                (Derived::Unsupported(_), "skipped") => {}
                (got, _) => panic!("{spec}: want {kind}, got {got:?}"),
            }
        }
    }
}
