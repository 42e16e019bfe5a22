//! `leaderworkerset.x-k8s.io/v1` LeaderWorkerSet: `replicas` groups of `size` pods, a
//! leader and `size − 1` workers, as multi-node inference (llm-d, vLLM with Ray) deploys.

use super::core::PodTemplate;
use super::meta::ObjectMeta;
use crate::manifest::error::InputError;
use crate::manifest::yaml::Node;

#[derive(Debug, Clone, PartialEq)]
pub struct LeaderWorkerSetObject {
    pub meta: ObjectMeta,
    pub replicas: i32,
    pub size: i32,
    /// The leader's template; the worker template when unset.
    pub leader_template: Option<PodTemplate>,
    pub worker_template: PodTemplate,
}

impl LeaderWorkerSetObject {
    pub fn decode(doc: &Node) -> Result<LeaderWorkerSetObject, InputError> {
        let meta = ObjectMeta::decode(doc)?;
        let spec = doc
            .get("spec")
            .ok_or_else(|| InputError::at(doc.loc.clone(), "LeaderWorkerSet has no spec"))?;
        let lwt = spec.get("leaderWorkerTemplate").ok_or_else(|| {
            InputError::at(spec.loc.clone(), "LeaderWorkerSet spec has no leaderWorkerTemplate")
                .hint("add leaderWorkerTemplate.workerTemplate")
        })?;
        let int = |n: Option<&Node>, field: &str, default: i64, min: i64| -> Result<i32, InputError> {
            let Some(n) = n else { return Ok(default as i32) };
            let v = n.as_i64()?;
            if !(min..=10_000).contains(&v) {
                return Err(InputError::at(n.loc.clone(), format!("{field} {v} is out of range"))
                    .hint(format!("use {min} to 10000")));
            }
            Ok(v as i32)
        };
        let worker = lwt.get("workerTemplate").ok_or_else(|| {
            InputError::at(lwt.loc.clone(), "leaderWorkerTemplate has no workerTemplate")
                .hint("add workerTemplate with the pods' spec")
        })?;
        Ok(LeaderWorkerSetObject {
            replicas: int(spec.get("replicas"), "replicas", 1, 0)?,
            size: int(lwt.get("size"), "size", 1, 1)?,
            leader_template: lwt.get("leaderTemplate").map(PodTemplate::decode).transpose()?,
            worker_template: PodTemplate::decode(worker)?,
            meta,
        })
    }
}
