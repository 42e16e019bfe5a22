//! KServe's `serving.kserve.io/v1alpha1` LLMInferenceService (llm-d), and the
//! LeaderWorkerSet its controller derives for a multi-node deployment
//! (`pkg/controller/v1alpha1/llmisvc/workload_multi_node.go`).

use super::core::{PodSpec, PodTemplate};
use super::lws::LeaderWorkerSetObject;
use super::meta::{Labels, ObjectMeta};
use crate::manifest::error::InputError;
use crate::manifest::yaml::Node;

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
    pub replicas: i32,
    pub parallelism: Parallelism,
    /// The main (leader) pod spec.
    pub template: Option<PodSpec>,
    /// Set for a multi-node deployment: the worker pods' spec.
    pub worker: Option<PodSpec>,
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
            meta,
        })
    }

    /// The LeaderWorkerSet `<name>-kserve-mn` of a multi-node deployment; `None` for a
    /// single-node one (a Deployment, not simulated yet).
    pub fn leader_worker_set(&self) -> Option<LeaderWorkerSetObject> {
        let worker = self.worker.clone()?;
        let name = &self.meta.name;
        let labels = |component: &str| -> Labels {
            [
                ("app.kubernetes.io/component".to_string(), component.to_string()),
                ("app.kubernetes.io/name".to_string(), name.clone()),
                (
                    "app.kubernetes.io/part-of".to_string(),
                    "llminferenceservice".to_string(),
                ),
            ]
            .into()
        };
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
                labels: labels("llminferenceservice-workload-leader"),
                annotations: Labels::new(),
                spec,
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
}
