//! `batch/v1` Job, with the simulator's annotations for how long its pods run.

use super::core::PodTemplate;
use super::meta::{duration, ObjectMeta};
use crate::manifest::error::InputError;
use crate::manifest::yaml::Node;
use crate::units::SimDuration;

/// How long each pod of the Job runs once Ready before it exits with success.
pub const RUN_TIME_ANNOTATION: &str = "gpuaas-sim.io/run-time";
/// How often the Job's pods save their progress; a stopped Job resumes from the last
/// checkpoint instead of from the beginning.
pub const CHECKPOINT_ANNOTATION: &str = "gpuaas-sim.io/checkpoint-interval";

#[derive(Debug, Clone, PartialEq)]
pub struct JobSpec {
    /// Pods running at once (default 1).
    pub parallelism: i32,
    /// Successful pods needed (default: parallelism, as for a non-indexed Job whose
    /// completions are unset every pod must succeed here).
    pub completions: i32,
    pub suspend: bool,
    pub template: PodTemplate,
    /// From the annotation; `None`: the Scenario's `jobRunTime`.
    pub run_time: Option<SimDuration>,
    pub checkpoint_interval: Option<SimDuration>,
    /// `kueue.x-k8s.io/job-min-parallelism`: partial admission may run as few pods.
    pub min_parallelism: Option<i32>,
}

/// Kueue's partial-admission annotation on a Job.
pub const MIN_PARALLELISM_ANNOTATION: &str = "kueue.x-k8s.io/job-min-parallelism";

#[derive(Debug, Clone, PartialEq)]
pub struct JobObject {
    pub meta: ObjectMeta,
    pub spec: JobSpec,
}

fn count(spec: &Node, field: &str, default: i32) -> Result<i32, InputError> {
    let Some(n) = spec.get(field) else { return Ok(default) };
    let v = n.as_i64()?;
    if !(0..=100_000).contains(&v) {
        return Err(InputError::at(n.loc.clone(), format!("{field} {v} is out of range")).hint("use 0 to 100000"));
    }
    Ok(v as i32)
}

/// An annotation holding a duration, on the Job or else on its pod template.
pub(crate) fn annotated_duration_of(doc: &Node, spec: &Node, key: &str) -> Result<Option<SimDuration>, InputError> {
    let node = doc
        .path(&["metadata", "annotations", key])
        .or_else(|| spec.path(&["template", "metadata", "annotations", key]));
    let Some(n) = node else { return Ok(None) };
    let d = duration(n).map_err(|e| e.hint(format!("{key} takes a duration such as 45m or 2h")))?;
    if d.0 == 0 {
        return Err(InputError::at(n.loc.clone(), format!("{key} must be positive")).hint("e.g. 45m"));
    }
    Ok(Some(d))
}

/// The partial-admission annotation, as Kueue's webhook validates it: an integer above 0
/// and below the Job's pod count.
fn min_parallelism(doc: &Node, pods: i32) -> Result<Option<i32>, InputError> {
    let Some(n) = doc.path(&["metadata", "annotations", MIN_PARALLELISM_ANNOTATION]) else {
        return Ok(None);
    };
    let text = n.as_str()?;
    let hint = format!("give a whole number above 0 and below {pods}, the pods the Job runs at once");
    match text.trim().parse::<i32>() {
        Ok(v) if v > 0 && v < pods => Ok(Some(v)),
        // Kueue's webhook: "should be between 0 and N-1", both ends excluded.
        Ok(_) => Err(InputError::at(
            n.loc.clone(),
            format!(
                "{MIN_PARALLELISM_ANNOTATION} `{text}` should be between 0 and {}",
                pods - 1
            ),
        )
        .hint(hint)),
        Err(_) => Err(InputError::at(
            n.loc.clone(),
            format!("{MIN_PARALLELISM_ANNOTATION} `{text}` is not a whole number"),
        )
        .hint(hint)),
    }
}

impl JobObject {
    pub fn decode(doc: &Node) -> Result<JobObject, InputError> {
        let meta = ObjectMeta::decode(doc)?;
        let spec = doc
            .get("spec")
            .ok_or_else(|| InputError::at(doc.loc.clone(), "Job has no spec").hint("add spec.template"))?;
        let template_node = spec
            .get("template")
            .ok_or_else(|| InputError::at(spec.loc.clone(), "Job spec has no template"))?;
        let parallelism = count(spec, "parallelism", 1)?;
        let completions = count(spec, "completions", parallelism)?;
        Ok(JobObject {
            spec: JobSpec {
                parallelism,
                completions,
                suspend: spec.get("suspend").map(|s| s.as_bool()).transpose()?.unwrap_or(false),
                template: PodTemplate::decode(template_node)?,
                run_time: annotated_duration_of(doc, spec, RUN_TIME_ANNOTATION)?,
                checkpoint_interval: annotated_duration_of(doc, spec, CHECKPOINT_ANNOTATION)?,
                min_parallelism: min_parallelism(doc, parallelism.min(completions))?,
            },
            meta,
        })
    }
}
