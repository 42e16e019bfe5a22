//! Core Kubernetes types (k8s.io/api/core/v1 and scheduling/v1) the simulation uses.

use super::meta::{opt_str, quantity, req_str, string_list, string_map, Labels, ObjectMeta, SelectorRequirement};
use crate::manifest::error::InputError;
use crate::manifest::yaml::Node;
use crate::units::Quantity;
use std::collections::BTreeMap;

pub type ResourceName = String;

/// Requests or capacities keyed by resource name (`cpu`, `memory`, `nvidia.com/gpu`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceList(pub BTreeMap<ResourceName, Quantity>);

impl ResourceList {
    /// The list for `n` pods.
    pub(crate) fn times(&self, n: i64) -> ResourceList {
        ResourceList(self.0.iter().map(|(r, q)| (r.clone(), *q * n)).collect())
    }
    pub fn decode(node: Option<&Node>) -> Result<ResourceList, InputError> {
        let mut out = BTreeMap::new();
        if let Some(n) = node {
            for (k, v) in n.entries()? {
                out.insert(k.as_str()?.to_string(), quantity(v)?);
            }
        }
        Ok(ResourceList(out))
    }
    pub fn get(&self, r: &str) -> Quantity {
        self.0.get(r).copied().unwrap_or(Quantity::ZERO)
    }
    pub(crate) fn add(&mut self, other: &ResourceList) {
        for (k, v) in &other.0 {
            *self.0.entry(k.clone()).or_default() += *v;
        }
    }
    pub(crate) fn sub(&mut self, other: &ResourceList) {
        for (k, v) in &other.0 {
            *self.0.entry(k.clone()).or_default() -= *v;
        }
    }
    /// Element-wise maximum (init containers against the sum of app containers).
    pub(crate) fn max_with(&mut self, other: &ResourceList) {
        for (k, v) in &other.0 {
            let e = self.0.entry(k.clone()).or_default();
            if *v > *e {
                *e = *v;
            }
        }
    }
    pub fn is_empty(&self) -> bool {
        self.0.values().all(|q| q.is_zero())
    }
    /// Whole GPUs of every vendor (`nvidia.com/gpu`, `amd.com/gpu`, …), fractions rounded up.
    pub fn gpus(&self) -> i128 {
        self.0
            .iter()
            .filter(|(r, _)| is_gpu(r))
            .map(|(_, q)| q.value_ceil())
            .sum()
    }
}

/// Whether a resource name counts GPUs (`<vendor>/gpu`).
pub(crate) fn is_gpu(resource: &str) -> bool {
    resource.ends_with("/gpu")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TaintEffect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

impl TaintEffect {
    pub fn decode(node: &Node) -> Result<TaintEffect, InputError> {
        match node.as_str()? {
            "NoSchedule" => Ok(TaintEffect::NoSchedule),
            "PreferNoSchedule" => Ok(TaintEffect::PreferNoSchedule),
            "NoExecute" => Ok(TaintEffect::NoExecute),
            other => Err(
                InputError::at(node.loc.clone(), format!("unknown taint effect `{other}`"))
                    .hint("expected NoSchedule, PreferNoSchedule or NoExecute"),
            ),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Taint {
    pub key: String,
    pub value: String,
    pub effect: TaintEffect,
}

impl Taint {
    pub fn decode(node: &Node) -> Result<Taint, InputError> {
        let effect = node
            .get("effect")
            .ok_or_else(|| InputError::at(node.loc.clone(), "taint has no effect").hint("add effect: NoSchedule"))?;
        Ok(Taint {
            key: req_str(node, "key", "taint")?,
            value: opt_str(node, "value")?.unwrap_or_default(),
            effect: TaintEffect::decode(effect)?,
        })
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct Toleration {
    pub key: Option<String>,
    pub exists: bool,
    pub value: String,
    pub effect: Option<TaintEffect>,
    /// How long a pod stays bound to a node with a matching NoExecute taint (none:
    /// for ever).
    pub toleration_seconds: Option<i64>,
}

/// Written as before `tolerationSeconds` was read when it is unset: the pod template
/// hash is computed over this text, and ReplicaSet names must not move.
impl std::fmt::Debug for Toleration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Toleration");
        d.field("key", &self.key)
            .field("exists", &self.exists)
            .field("value", &self.value)
            .field("effect", &self.effect);
        if let Some(s) = self.toleration_seconds {
            d.field("toleration_seconds", &s);
        }
        d.finish()
    }
}

impl Toleration {
    pub fn decode(node: &Node) -> Result<Toleration, InputError> {
        let exists = match node.get("operator") {
            None => false,
            Some(op) => match op.as_str()? {
                "Equal" => false,
                "Exists" => true,
                other => {
                    return Err(
                        InputError::at(op.loc.clone(), format!("unknown toleration operator `{other}`"))
                            .hint("expected Equal or Exists"),
                    )
                }
            },
        };
        Ok(Toleration {
            key: opt_str(node, "key")?.filter(|k| !k.is_empty()),
            exists,
            value: opt_str(node, "value")?.unwrap_or_default(),
            effect: node.get("effect").map(TaintEffect::decode).transpose()?,
            toleration_seconds: node.get("tolerationSeconds").map(|n| n.as_i64()).transpose()?,
        })
    }

    /// `v1.Toleration.ToleratesTaint`.
    pub(crate) fn tolerates(&self, t: &Taint) -> bool {
        if self.effect.is_some_and(|e| e != t.effect) {
            return false;
        }
        match &self.key {
            None => self.exists,
            Some(k) if k != &t.key => false,
            Some(_) => self.exists || self.value == t.value,
        }
    }
}

/// Required node affinity: OR of terms, each an AND of requirements.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeAffinity {
    pub terms: Vec<Vec<SelectorRequirement>>,
}

impl NodeAffinity {
    pub fn decode(spec: &Node) -> Result<Option<NodeAffinity>, InputError> {
        let Some(req) = spec.path(&[
            "affinity",
            "nodeAffinity",
            "requiredDuringSchedulingIgnoredDuringExecution",
            "nodeSelectorTerms",
        ]) else {
            return Ok(None);
        };
        let mut terms = Vec::new();
        for t in req.items()? {
            let mut reqs = Vec::new();
            if let Some(e) = t.get("matchExpressions") {
                for r in e.items()? {
                    reqs.push(SelectorRequirement::decode(r, true)?);
                }
            }
            terms.push(reqs);
        }
        Ok(Some(NodeAffinity { terms }))
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.terms.iter().any(|t| t.iter().all(|r| r.matches(labels)))
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Container {
    pub name: String,
    pub image: String,
    pub args: Vec<String>,
    pub requests: ResourceList,
    pub limits: ResourceList,
}

impl Container {
    pub fn decode(node: &Node) -> Result<Container, InputError> {
        let res = node.get("resources");
        Ok(Container {
            name: opt_str(node, "name")?.unwrap_or_default(),
            image: opt_str(node, "image")?.unwrap_or_default(),
            args: string_list(node.get("args"))?,
            requests: ResourceList::decode(res.and_then(|r| r.get("requests")))?,
            limits: ResourceList::decode(res.and_then(|r| r.get("limits")))?,
        })
    }

    /// Effective requests: a resource with only a limit is requested at the limit, as the
    /// API server defaults it.
    pub(crate) fn effective_requests(&self) -> ResourceList {
        let mut r = self.requests.clone();
        for (k, v) in &self.limits.0 {
            r.0.entry(k.clone()).or_insert(*v);
        }
        r
    }
}

pub const DEFAULT_GRACE_SECONDS: u64 = 30;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodSpec {
    pub containers: Vec<Container>,
    pub init_containers: Vec<Container>,
    pub node_selector: Labels,
    pub affinity: Option<NodeAffinity>,
    pub tolerations: Vec<Toleration>,
    pub priority_class_name: Option<String>,
    pub termination_grace_seconds: u64,
    pub scheduling_gates: Vec<String>,
    pub node_name: Option<String>,
}

impl ResourceList {
    /// As the API server prints it: `{cpu: "4", memory: 16Gi}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.0
                .iter()
                .map(|(k, q)| (k.clone(), serde_json::Value::String(q.to_string())))
                .collect(),
        )
    }
}

impl Container {
    pub fn to_json(&self) -> serde_json::Value {
        let mut c = serde_json::Map::new();
        c.insert("name".into(), self.name.clone().into());
        if !self.image.is_empty() {
            c.insert("image".into(), self.image.clone().into());
        }
        if !self.args.is_empty() {
            c.insert("args".into(), self.args.clone().into());
        }
        let mut resources = serde_json::Map::new();
        if !self.requests.0.is_empty() {
            resources.insert("requests".into(), self.requests.to_json());
        }
        if !self.limits.0.is_empty() {
            resources.insert("limits".into(), self.limits.to_json());
        }
        if !resources.is_empty() {
            c.insert("resources".into(), resources.into());
        }
        c.into()
    }
}

impl Toleration {
    pub fn to_json(&self) -> serde_json::Value {
        let mut t = serde_json::Map::new();
        if let Some(k) = &self.key {
            t.insert("key".into(), k.clone().into());
        }
        t.insert("operator".into(), if self.exists { "Exists" } else { "Equal" }.into());
        if !self.exists {
            t.insert("value".into(), self.value.clone().into());
        }
        if let Some(e) = self.effect {
            t.insert("effect".into(), e.as_str().into());
        }
        if let Some(s) = self.toleration_seconds {
            t.insert("tolerationSeconds".into(), s.into());
        }
        t.into()
    }
}

impl PodSpec {
    /// The spec as `oc get -o yaml` prints it (the fields the simulation reads).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{json, Map, Value};
        let mut s = Map::new();
        s.insert(
            "containers".into(),
            Value::Array(self.containers.iter().map(Container::to_json).collect()),
        );
        if !self.init_containers.is_empty() {
            s.insert(
                "initContainers".into(),
                Value::Array(self.init_containers.iter().map(Container::to_json).collect()),
            );
        }
        if !self.node_selector.is_empty() {
            s.insert("nodeSelector".into(), json!(self.node_selector));
        }
        if let Some(a) = &self.affinity {
            let terms: Vec<Value> = a
                .terms
                .iter()
                .map(|t| {
                    let exprs: Vec<Value> = t
                        .iter()
                        .map(|r| json!({"key": r.key, "operator": r.operator.as_str(), "values": r.values}))
                        .collect();
                    json!({ "matchExpressions": exprs })
                })
                .collect();
            s.insert(
                "affinity".into(),
                json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}}),
            );
        }
        if !self.tolerations.is_empty() {
            s.insert(
                "tolerations".into(),
                Value::Array(self.tolerations.iter().map(Toleration::to_json).collect()),
            );
        }
        if let Some(p) = &self.priority_class_name {
            s.insert("priorityClassName".into(), p.clone().into());
        }
        if self.termination_grace_seconds != DEFAULT_GRACE_SECONDS {
            s.insert(
                "terminationGracePeriodSeconds".into(),
                self.termination_grace_seconds.into(),
            );
        }
        if !self.scheduling_gates.is_empty() {
            let gates: Vec<Value> = self.scheduling_gates.iter().map(|g| json!({ "name": g })).collect();
            s.insert("schedulingGates".into(), gates.into());
        }
        if let Some(n) = &self.node_name {
            s.insert("nodeName".into(), n.clone().into());
        }
        s.into()
    }

    /// The container running the model server: KServe's `kserve-container` of an
    /// InferenceService predictor, or `main` of an LLMInferenceService workload.
    pub(crate) fn engine_container(&self) -> Option<&Container> {
        self.containers
            .iter()
            .find(|c| c.name == "kserve-container")
            .or_else(|| self.containers.iter().find(|c| c.name == "main"))
    }

    pub fn decode(spec: &Node) -> Result<PodSpec, InputError> {
        let containers = match spec.get("containers") {
            Some(c) => c.items()?.iter().map(Container::decode).collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let init_containers = match spec.get("initContainers") {
            Some(c) => c.items()?.iter().map(Container::decode).collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let tolerations = match spec.get("tolerations") {
            Some(t) => t.items()?.iter().map(Toleration::decode).collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let grace = match spec.get("terminationGracePeriodSeconds") {
            Some(g) => {
                let v = g.as_i64()?;
                if v < 0 {
                    return Err(InputError::at(
                        g.loc.clone(),
                        "terminationGracePeriodSeconds is negative",
                    ));
                }
                v as u64
            }
            None => DEFAULT_GRACE_SECONDS,
        };
        let gates = match spec.get("schedulingGates") {
            Some(g) => g
                .items()?
                .iter()
                .map(|i| req_str(i, "name", "scheduling gate"))
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        Ok(PodSpec {
            containers,
            init_containers,
            node_selector: string_map(spec.get("nodeSelector"))?,
            affinity: NodeAffinity::decode(spec)?,
            tolerations,
            priority_class_name: opt_str(spec, "priorityClassName")?,
            termination_grace_seconds: grace,
            scheduling_gates: gates,
            node_name: opt_str(spec, "nodeName")?,
        })
    }

    /// The pod's resource requests as kube-scheduler and Kueue compute them: the sum over
    /// containers, at least the largest init container.
    pub fn requests(&self) -> ResourceList {
        let mut sum = ResourceList::default();
        for c in &self.containers {
            sum.add(&c.effective_requests());
        }
        for c in &self.init_containers {
            sum.max_with(&c.effective_requests());
        }
        sum
    }

    pub(crate) fn matches_node_selection(&self, node_labels: &Labels) -> bool {
        self.node_selector.iter().all(|(k, v)| node_labels.get(k) == Some(v))
            && self.affinity.as_ref().is_none_or(|a| a.matches(node_labels))
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodTemplate {
    pub labels: Labels,
    pub annotations: Labels,
    pub spec: PodSpec,
}

impl PodTemplate {
    pub fn decode(node: &Node) -> Result<PodTemplate, InputError> {
        let meta = node.get("metadata");
        let spec = node.get("spec").ok_or_else(|| {
            InputError::at(node.loc.clone(), "pod template has no spec").hint("add template.spec.containers")
        })?;
        let annotations = string_map(meta.and_then(|m| m.get("annotations")))?;
        let topology = super::kueue::TOPOLOGY_ANNOTATIONS
            .iter()
            .filter(|k| annotations.contains_key(**k))
            .count();
        if topology > 1 {
            let at = meta.map_or(node.loc.clone(), |m| m.loc.clone());
            return Err(InputError::at(
                at,
                "the pod template must not contain more than one topology annotation",
            )
            .hint("keep one of podset-required-topology, podset-preferred-topology, podset-unconstrained-topology"));
        }
        Ok(PodTemplate {
            labels: string_map(meta.and_then(|m| m.get("labels")))?,
            annotations,
            spec: PodSpec::decode(spec)?,
        })
    }
}

/// A Node manifest (or a node pool entry expanded to Nodes).
#[derive(Debug, Clone, PartialEq)]
pub struct NodeObject {
    pub meta: ObjectMeta,
    pub taints: Vec<Taint>,
    pub unschedulable: bool,
    pub allocatable: ResourceList,
    pub instance_type: Option<String>,
}

pub const INSTANCE_TYPE_LABEL: &str = "node.kubernetes.io/instance-type";

impl NodeObject {
    pub fn decode(doc: &Node) -> Result<NodeObject, InputError> {
        let meta = ObjectMeta::decode(doc)?;
        let spec = doc.get("spec");
        let taints = match spec.and_then(|s| s.get("taints")) {
            Some(t) => t.items()?.iter().map(Taint::decode).collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let status = doc.get("status");
        let alloc = status
            .and_then(|s| s.get("allocatable"))
            .or_else(|| status.and_then(|s| s.get("capacity")));
        let instance_type = meta.labels.get(INSTANCE_TYPE_LABEL).cloned();
        Ok(NodeObject {
            taints,
            unschedulable: spec
                .and_then(|s| s.get("unschedulable"))
                .map(|u| u.as_bool())
                .transpose()?
                .unwrap_or(false),
            allocatable: ResourceList::decode(alloc)?,
            instance_type,
            meta,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PriorityClass {
    pub name: String,
    pub value: i32,
    pub global_default: bool,
}

impl PriorityClass {
    pub fn decode(doc: &Node) -> Result<PriorityClass, InputError> {
        let meta = ObjectMeta::decode(doc)?;
        let v = doc
            .get("value")
            .ok_or_else(|| InputError::at(doc.loc.clone(), "priority class has no value").hint("add `value: 1000`"))?;
        let value = v.as_i64()?;
        if !(-2_147_483_648..=1_000_000_000).contains(&value) {
            return Err(
                InputError::at(v.loc.clone(), format!("priority value {value} is out of range"))
                    .hint("user priority classes take values up to 1000000000"),
            );
        }
        Ok(PriorityClass {
            name: meta.name,
            value: value as i32,
            global_default: doc
                .get("globalDefault")
                .map(|g| g.as_bool())
                .transpose()?
                .unwrap_or(false),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taint(key: &str, value: &str) -> Taint {
        Taint {
            key: key.into(),
            value: value.into(),
            effect: TaintEffect::NoSchedule,
        }
    }

    #[test]
    fn tolerations_follow_kubernetes_rules() {
        let gpu = taint("nvidia.com/gpu", "true");
        let cases = [
            (
                Toleration {
                    key: Some("nvidia.com/gpu".into()),
                    exists: true,
                    value: String::new(),
                    effect: None,
                    toleration_seconds: None,
                },
                true,
            ),
            (
                Toleration {
                    key: Some("nvidia.com/gpu".into()),
                    exists: false,
                    value: "true".into(),
                    effect: Some(TaintEffect::NoSchedule),
                    toleration_seconds: None,
                },
                true,
            ),
            (
                Toleration {
                    key: Some("nvidia.com/gpu".into()),
                    exists: false,
                    value: "false".into(),
                    effect: None,
                    toleration_seconds: None,
                },
                false,
            ),
            (
                Toleration {
                    key: Some("nvidia.com/gpu".into()),
                    exists: true,
                    value: String::new(),
                    effect: Some(TaintEffect::NoExecute),
                    toleration_seconds: None,
                },
                false,
            ),
            (
                Toleration {
                    key: None,
                    exists: true,
                    value: String::new(),
                    effect: None,
                    toleration_seconds: None,
                },
                true,
            ),
            (
                Toleration {
                    key: Some("other".into()),
                    exists: true,
                    value: String::new(),
                    effect: None,
                    toleration_seconds: None,
                },
                false,
            ),
        ];
        for (i, (tol, want)) in cases.iter().enumerate() {
            assert_eq!(tol.tolerates(&gpu), *want, "case {i}");
        }
    }

    #[test]
    fn pod_requests_default_to_limits_and_cover_init_containers() {
        let q = |s| Quantity::parse(s).unwrap();
        let c = Container {
            limits: ResourceList([("nvidia.com/gpu".to_string(), q("4"))].into()),
            requests: ResourceList([("cpu".to_string(), q("2"))].into()),
            ..Default::default()
        };
        let init = Container {
            requests: ResourceList([("cpu".to_string(), q("8"))].into()),
            ..Default::default()
        };
        let spec = PodSpec {
            containers: vec![c],
            init_containers: vec![init],
            ..Default::default()
        };
        let r = spec.requests();
        assert_eq!(r.get("nvidia.com/gpu"), q("4"));
        assert_eq!(r.get("cpu"), q("8"));
    }
}
