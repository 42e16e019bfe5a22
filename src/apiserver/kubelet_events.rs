//! The kubelet's events about a pod's containers, as it posts them when a start-up step
//! begins or ends: pulling an image (`Pulling`, `Pulled`), creating and starting a
//! container (`Created`, `Started`). Routine events: `oc get events` and `oc describe
//! pod` show them, the report does not list them. Each step kind says which containers it
//! stands for (`cluster::kubelet::StepKind`); the times are the steps' own.

use super::record_routine;
use crate::cluster::kubelet::StepKind;
use crate::store::{PodId, StartMark, StartPhase, Store};
use crate::units::SimDuration;

/// An event to record, as (reason, message).
type Said = (&'static str, String);

/// Step `i` of the pod's start-up began.
pub(super) fn step_began(store: &mut Store, id: PodId, i: usize) {
    let Some(p) = store.pods.get(id) else { return };
    let Some(step) = p.startup.get(i) else { return };
    let mut said: Vec<Said> = Vec::new();
    match &step.kind {
        StepKind::Download => {
            // The initializer's own image is not modelled: it is on the node.
            if let Some(c) = p.spec.init_containers.iter().find(|c| c.name == "storage-initializer") {
                said.extend(present_created_started(&c.image, &c.name));
            }
        }
        StepKind::PullModelCar { image } => said.push(("Pulling", format!("Pulling image \"{image}\""))),
        // A ModelCar the node has: its init container starts at once.
        StepKind::Local if step.phase == StartPhase::Init => {
            if let Some(c) = p.spec.init_containers.iter().find(|c| c.name == "modelcar-init") {
                said.extend(present_created_started(&c.image, &c.name));
            }
        }
        StepKind::ContainerStart { images } => {
            let pulled_before = |image: &str| {
                p.startup
                    .iter()
                    .take(i)
                    .any(|s| matches!(&s.kind, StepKind::PullModelCar { image: pulled } if pulled == image))
            };
            for c in p
                .spec
                .containers
                .iter()
                .filter(|c| images.contains(&c.image) && !pulled_before(&c.image))
            {
                said.push(("Pulling", format!("Pulling image \"{}\"", c.image)));
            }
        }
        StepKind::Local => {}
    }
    post(store, id, said);
}

/// Step `i` of the pod's start-up is done (the next begins, or the pod is Ready).
pub(super) fn step_done(store: &mut Store, id: PodId, i: usize) {
    let now = store.now;
    let Some(p) = store.pods.get(id) else { return };
    let Some(step) = p.startup.get(i) else { return };
    // What the step took since it last began (a pull retried counts from the retry).
    let began = p
        .marks
        .iter()
        .rev()
        .find(|(_, m)| *m == StartMark::Step(i))
        .map_or(now, |(t, _)| *t);
    let took = go_duration(now.since(began));
    let mut said: Vec<Said> = Vec::new();
    match &step.kind {
        StepKind::PullModelCar { image } => {
            let size = crate::cluster::kubelet::model_of(&store.catalog, p)
                .map(|card| format!(" Image size: {:.0} bytes.", card.weights_gb * 1e9))
                .unwrap_or_default();
            said.push((
                "Pulled",
                format!("Successfully pulled image \"{image}\" in {took} ({took} including waiting).{size}"),
            ));
            if let Some(c) = p.spec.init_containers.iter().find(|c| c.name == "modelcar-init") {
                said.push(("Created", format!("Created container: {}", c.name)));
                said.push(("Started", format!("Started container {}", c.name)));
            }
        }
        StepKind::ContainerStart { images } => {
            // An image an init container pulled (a ModelCar's sidecar) is there by now.
            let pulled_before = |image: &str| {
                p.startup
                    .iter()
                    .take(i)
                    .any(|s| matches!(&s.kind, StepKind::PullModelCar { image: pulled } if pulled == image))
            };
            for c in &p.spec.containers {
                if images.contains(&c.image) && !pulled_before(&c.image) {
                    // The catalog sizes ModelCar images only; a runtime image's pull is
                    // part of the container start, and its size is not known.
                    said.push((
                        "Pulled",
                        format!(
                            "Successfully pulled image \"{}\" in {took} ({took} including waiting).",
                            c.image
                        ),
                    ));
                } else {
                    said.push(("Pulled", already_present(&c.image)));
                }
                said.push(("Created", format!("Created container: {}", c.name)));
                said.push(("Started", format!("Started container {}", c.name)));
            }
        }
        StepKind::Download | StepKind::Local => {}
    }
    post(store, id, said);
}

fn already_present(image: &str) -> String {
    format!("Container image \"{image}\" already present on machine")
}

fn present_created_started(image: &str, name: &str) -> [Said; 3] {
    [
        ("Pulled", already_present(image)),
        ("Created", format!("Created container: {name}")),
        ("Started", format!("Started container {name}")),
    ]
}

fn post(store: &mut Store, id: PodId, said: Vec<Said>) {
    let Some(p) = store.pods.get(id) else { return };
    let object = format!("Pod {}/{}", p.namespace, p.name);
    for (reason, message) in said {
        record_routine(store, reason, object.clone(), message);
    }
}

/// A duration as Go's `time.Duration.String()` writes it: `313ms`, `5s`, `1m2.5s`,
/// `2h0m5s`.
pub(crate) fn go_duration(d: SimDuration) -> String {
    let ms = d.0;
    if ms == 0 {
        return "0s".into();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let (h, m) = (ms / 3_600_000, (ms / 60_000) % 60);
    let s = (ms % 60_000) as f64 / 1000.0;
    let secs = format!("{s}s");
    match (h, m) {
        (0, 0) => secs,
        (0, m) => format!("{m}m{secs}"),
        (h, m) => format!("{h}h{m}m{secs}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_go_writes_them() {
        let cases = [
            (0, "0s"),
            (313, "313ms"),
            (5_000, "5s"),
            (1_500, "1.5s"),
            (62_500, "1m2.5s"),
            (480_000, "8m0s"),
            (7_205_000, "2h0m5s"),
        ];
        for (ms, want) in cases {
            assert_eq!(go_duration(SimDuration(ms)), want, "{ms} ms");
        }
    }
}
