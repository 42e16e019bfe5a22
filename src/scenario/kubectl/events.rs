//! Events: what the API server holds of the run's event log (`store::EventLog`, both its
//! streams) as Kubernetes `Event` objects — `oc get events` lists them, `oc describe`
//! shows an object's. The log also holds the simulator's own notes (a timeline command, a
//! fault, a pod's time to Ready); those are not Kubernetes events and are left out here.
//! Identical events are one object with a count, as client-go's event recorder keeps
//! them, and an event not seen for an hour has expired (`--event-ttl`).

use super::get::{Found, Listing, Output};
use super::{Columns, Kubectl, Query};
use crate::scenario::command::Selection;
use crate::scenario::oc_error::OcError;
use crate::scenario::printers::{rfc3339, tabbed};
use crate::store::{LogEvent, Store, EVENT_TTL};
use crate::units::{human_duration, SimDuration, SimTime};
use std::collections::HashMap;

/// One Event object: an event and its repeats.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Event<'s> {
    /// The involved object's kind, namespace (empty when cluster-scoped) and name.
    pub kind: &'s str,
    pub namespace: &'s str,
    pub name: &'s str,
    /// `Normal` or `Warning`.
    pub ty: &'static str,
    pub reason: &'s str,
    /// The component that posted it (`source.component`, describe's `From`).
    pub source: &'static str,
    pub message: &'s str,
    pub first: SimTime,
    pub last: SimTime,
    pub count: u32,
    /// How many events of its object were first posted at the same instant before it:
    /// the nanoseconds that keep their names apart, as real timestamps do.
    pub nth: u32,
}

impl Event<'_> {
    /// The namespace the Event object lives in: its object's, or `default` for a
    /// cluster-scoped object (a Node, a ClusterQueue).
    pub(crate) fn event_namespace(&self) -> &str {
        if self.namespace.is_empty() {
            "default"
        } else {
            self.namespace
        }
    }

    /// The recorder's name for it: `<object>.<first timestamp in hex nanoseconds>`. The
    /// API server lists events in name order, so by object, then by time.
    pub(crate) fn object_name(&self) -> String {
        format!("{}.{:x}", self.name, unix_nanos(self.first) + u128::from(self.nth))
    }

    /// OBJECT: `kind/name`, the kind in lower case.
    pub(crate) fn target(&self) -> String {
        format!("{}/{}", self.kind.to_lowercase(), self.name)
    }
}

/// Nanoseconds since 1970 of a simulated instant (time zero is 2026-01-01T00:00:00Z, as
/// `printers::rfc3339` has it).
fn unix_nanos(t: SimTime) -> u128 {
    (1_767_225_600_000 + t.0 as u128) * 1_000_000
}

/// The involved object of a log entry (`Kind ns/name` or `Kind name`), its type and the
/// component that posts it; none for the simulator's own notes.
fn classify(e: &LogEvent) -> Option<(&str, &str, &str, &'static str, &'static str)> {
    let (kind, rest) = e.object.split_once(' ')?;
    let (ns, name) = rest.split_once('/').unwrap_or(("", rest));
    let reason = e.kind.as_str();
    let kubelet_started = reason == "Started" && !e.message.starts_with("Admitted by");
    let source = match (kind, reason) {
        ("Pod", "Scheduled" | "FailedScheduling") => "default-scheduler",
        ("Pod", "Pulling" | "Pulled" | "Created" | "Killing" | "Failed" | "BackOff") => "kubelet",
        ("Pod", "Started") if kubelet_started => "kubelet",
        ("Pod", "Started" | "CreatedWorkload") => "pod-kueue-controller",
        ("Pod", "NodeNotReady") => "node-controller",
        ("Pod", "TaintManagerEviction") => "taint-eviction-controller",
        (
            "Workload",
            "QuotaReserved"
            | "Admitted"
            | "Pending"
            | "Inadmissible"
            | "Preempted"
            | "EvictedDueToPreempted"
            | "EvictedDueToPodsReadyTimeout",
        ) => "kueue-admission",
        ("Job", "SuccessfulCreate" | "Completed") => "job-controller",
        ("Job", "CreatedWorkload" | "Started" | "Stopped") => "batch/job-kueue-controller",
        ("JobSet", "CreatedWorkload" | "Started" | "Stopped") => "jobset.x-k8s.io/jobset-kueue-controller",
        ("PyTorchJob", "CreatedWorkload" | "Started" | "Stopped") => "kubeflow.org/pytorchjob-kueue-controller",
        ("TrainJob", "CreatedWorkload" | "Started" | "Stopped") => "trainer.kubeflow.org/trainjob-kueue-controller",
        ("RayJob", "CreatedWorkload" | "Started" | "Stopped") => "ray.io/rayjob-kueue-controller",
        ("RayCluster", "CreatedWorkload" | "Started" | "Stopped") => "ray.io/raycluster-kueue-controller",
        ("ReplicaSet", "SuccessfulCreate") => "replicaset-controller",
        ("Deployment", "ScalingReplicaSet") => "deployment-controller",
        ("HorizontalPodAutoscaler", _) => "horizontal-pod-autoscaler",
        ("ScaledObject", _) => "keda-operator",
        ("Node", "NodeNotReady" | "NodeReady") => "node-controller",
        ("Node", "DeletingNode") => "cloud-node-lifecycle-controller",
        // The simulator's notes: a pod's time to Ready, a container's exit, a fault's
        // doing, Kueue's requeue and release as the report words them.
        _ => return None,
    };
    // A pod's node stopping is a warning on the pod, a status change on the node.
    let warning = reason.starts_with("Failed")
        || reason.ends_with("Failed")
        || matches!(reason, "BackOff" | "Pending" | "Inadmissible")
        || (kind, reason) == ("Pod", "NodeNotReady");
    let ty = if warning { "Warning" } else { "Normal" };
    Some((kind, ns, name, ty, source))
}

/// Every Event object held at the store's instant, in the order each was first posted.
pub(crate) fn events(store: &Store) -> Vec<Event<'_>> {
    let mut out: Vec<Event> = Vec::new();
    // Identical events (object, type, reason, source, message) are one, counted.
    let mut seen: HashMap<(&str, &str, &str, &str, &str), usize> = HashMap::new();
    let mut at_instant: HashMap<(&str, SimTime), u32> = HashMap::new();
    for e in store.events.all() {
        let Some((kind, namespace, name, ty, source)) = classify(e) else {
            continue;
        };
        let message = e.message.trim();
        let key = (e.object.as_str(), ty, e.kind.as_str(), source, message);
        match seen.get(&key).and_then(|i| out.get_mut(*i)) {
            // Until it expires: then the next one is a new object.
            Some(ev) if e.t.since(ev.last) <= EVENT_TTL => {
                ev.last = e.t;
                ev.count += 1;
            }
            _ => {
                seen.insert(key, out.len());
                let nth = at_instant.entry((e.object.as_str(), e.t)).or_default();
                *nth += 1;
                out.push(Event {
                    nth: *nth - 1,
                    kind,
                    namespace,
                    name,
                    ty,
                    reason: &e.kind,
                    source,
                    message,
                    first: e.t,
                    last: e.t,
                    count: 1,
                });
            }
        }
    }
    out.retain(|ev| store.now.since(ev.last) <= EVENT_TTL);
    out
}

/// The events of one object, as `oc describe` shows them: `Events:` and a line each,
/// oldest last seen first; as lines for [`tabbed`].
pub(crate) fn describe_events(store: &Store, kind: &str, namespace: &str, name: &str) -> String {
    let mut mine: Vec<Event> = events(store)
        .into_iter()
        .filter(|e| e.kind == kind && e.namespace == namespace && e.name == name)
        .collect();
    if mine.is_empty() {
        return "Events:\t<none>\n".into();
    }
    mine.sort_by_key(|e| e.last);
    let mut out = String::from("Events:\n  Type\tReason\tAge\tFrom\tMessage\n  ----\t------\t----\t----\t-------\n");
    for e in mine {
        let first = human_duration(store.now.since(e.first));
        let age = if e.count > 1 {
            format!(
                "{} (x{} over {first})",
                human_duration(store.now.since(e.last)),
                e.count
            )
        } else {
            first
        };
        out.push_str(&format!(
            "  {}\t{}\t{age}\t{}\t{}\n",
            e.ty, e.reason, e.source, e.message
        ));
    }
    out
}

/// [`describe_events`] laid out on its own, for a description that is not tab-aligned.
pub(crate) fn events_section(store: &Store, kind: &str, namespace: &str, name: &str) -> String {
    tabbed(&describe_events(store, kind, namespace, name))
}

/// `--field-selector` for events: `key=value`, `key==value` or `key!=value`, comma
/// separated, over the fields the API server indexes events by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldSelector {
    terms: Vec<(Field, bool, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Kind,
    Name,
    Namespace,
    Reason,
    Type,
    Source,
    MetadataName,
    MetadataNamespace,
}

/// The field labels events support (`pkg/registry/core/event/strategy.go`'s
/// `ToSelectableFields`), as written on the command line.
const FIELDS: &[(&str, Field)] = &[
    ("involvedObject.kind", Field::Kind),
    ("involvedObject.name", Field::Name),
    ("involvedObject.namespace", Field::Namespace),
    ("reason", Field::Reason),
    ("type", Field::Type),
    ("source", Field::Source),
    ("reportingComponent", Field::Source),
    ("metadata.name", Field::MetadataName),
    ("metadata.namespace", Field::MetadataNamespace),
];

impl FieldSelector {
    /// A selector as written, or the API server's answer to a field it does not know.
    pub(crate) fn parse(s: &str) -> Result<FieldSelector, OcError> {
        let mut terms = Vec::new();
        for part in s.split(',').filter(|p| !p.is_empty()) {
            let (key, equal, value) = if let Some((k, v)) = part.split_once("!=") {
                (k, false, v)
            } else if let Some((k, v)) = part.split_once("==") {
                (k, true, v)
            } else if let Some((k, v)) = part.split_once('=') {
                (k, true, v)
            } else {
                return Err(OcError::Client(format!(
                    "invalid selector: '{s}'; can't understand '{part}'"
                )));
            };
            let field = FIELDS.iter().find(|(n, _)| *n == key).map(|(_, f)| *f).ok_or_else(|| {
                OcError::BadRequest(format!(
                    "Unable to find {{\"\" \"v1\" \"events\"}} that match label selector \"\", field selector \"{s}\": field label not supported: {key}"
                ))
            })?;
            terms.push((field, equal, value.to_string()));
        }
        Ok(FieldSelector { terms })
    }

    fn matches(&self, e: &Event) -> bool {
        self.terms.iter().all(|(field, equal, value)| {
            let have = match field {
                Field::Kind => e.kind.to_string(),
                Field::Name => e.name.to_string(),
                Field::Namespace => e.namespace.to_string(),
                Field::Reason => e.reason.to_string(),
                Field::Type => e.ty.to_string(),
                Field::Source => e.source.to_string(),
                Field::MetadataName => e.object_name(),
                Field::MetadataNamespace => e.event_namespace().to_string(),
            };
            (have == *value) == *equal
        })
    }
}

/// `--sort-by` for events: the timestamps and the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortBy {
    LastTimestamp,
    FirstTimestamp,
    Count,
}

impl SortBy {
    /// A JSONPath kubectl takes with or without braces (`.lastTimestamp`,
    /// `{.lastTimestamp}`); kubectl's answer for a field events do not have.
    pub(crate) fn parse(s: &str) -> Result<SortBy, OcError> {
        let path = s.trim_start_matches('{').trim_end_matches('}');
        match path {
            ".lastTimestamp" => Ok(SortBy::LastTimestamp),
            ".firstTimestamp" | ".metadata.creationTimestamp" | ".eventTime" => Ok(SortBy::FirstTimestamp),
            ".count" => Ok(SortBy::Count),
            _ => Err(OcError::Client(format!(
                "couldn't find any field with path \"{{{path}}}\" in the list of objects"
            ))),
        }
    }
}

/// What `oc get events` asks for besides the namespace.
#[derive(Debug, Clone)]
pub(crate) struct EventQuery<'a> {
    pub names: &'a [String],
    pub fields: Option<FieldSelector>,
    pub sort_by: Option<SortBy>,
    pub output: Output,
}

/// `oc get events`: the table kubectl prints (LAST SEEN, TYPE, REASON, OBJECT, MESSAGE;
/// NAMESPACE first with `-A`; `-o wide` adds the source, first seen, count and name), in
/// the API server's order unless `--sort-by` says otherwise; or the Event objects as
/// `-o yaml|json|name|jsonpath` prints them.
pub(crate) fn get(store: &Store, namespace: Option<&str>, q: &EventQuery) -> Result<String, OcError> {
    let listing = listing(store, namespace, q);
    let query = Query::new(namespace, q.names, None, q.output.clone())?;
    super::get::print(vec![listing], &[super::Kind::Event], &query)
}

/// The events `oc get events` lists, in its order: each its (namespace, event name) and
/// its row (NAMESPACE aside) or its document.
pub(crate) fn listing(store: &Store, namespace: Option<&str>, q: &EventQuery) -> Listing {
    let mut listed: Vec<Event> = events(store)
        .into_iter()
        .filter(|e| namespace.is_none_or(|n| e.event_namespace() == n))
        .filter(|e| q.fields.as_ref().is_none_or(|f| f.matches(e)))
        .filter(|e| q.names.is_empty() || q.names.contains(&e.object_name()))
        .collect();
    listed.sort_by_cached_key(|e| (e.event_namespace().to_string(), e.object_name()));
    match q.sort_by {
        Some(SortBy::LastTimestamp) => listed.sort_by_key(|e| e.last),
        Some(SortBy::FirstTimestamp) => listed.sort_by_key(|e| e.first),
        Some(SortBy::Count) => listed.sort_by_key(|e| e.count),
        None => {}
    }
    let wide = q.output == Output::Table(Columns::Wide);
    let missing = q
        .names
        .iter()
        .filter(|n| !listed.iter().any(|e| e.object_name() == **n))
        .cloned()
        .collect();
    let objects = listed
        .iter()
        .map(|e| {
            let found = match q.output {
                Output::Table(_) => Found::Row(row(store, e, wide)),
                _ => Found::Document(super::get::sorted(document(e))),
            };
            (e.event_namespace().to_string(), e.object_name(), found)
        })
        .collect();
    Listing::new("event", if wide { &WIDE } else { &DEFAULT }, objects, missing)
}

/// The Event object as the API server returns it (`core/v1`).
fn document(e: &Event) -> serde_json::Value {
    let mut involved = serde_json::json!({"kind": e.kind, "name": e.name});
    if !e.namespace.is_empty() {
        involved["namespace"] = e.namespace.into();
    }
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": e.object_name(),
            "namespace": e.event_namespace(),
            "creationTimestamp": rfc3339(e.first),
        },
        "involvedObject": involved,
        "reason": e.reason,
        "message": e.message,
        "source": {"component": e.source},
        "firstTimestamp": rfc3339(e.first),
        "lastTimestamp": rfc3339(e.last),
        "count": e.count,
        "type": e.ty,
    })
}

/// `printEvent`'s columns, and with `-o wide`.
const DEFAULT: [&str; 5] = ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"];
const WIDE: [&str; 10] = [
    "LAST SEEN",
    "TYPE",
    "REASON",
    "OBJECT",
    "SUBOBJECT",
    "SOURCE",
    "MESSAGE",
    "FIRST SEEN",
    "COUNT",
    "NAME",
];

/// One event's row (`printEvent`).
pub(crate) fn row(store: &Store, e: &Event, wide: bool) -> Vec<String> {
    let since = |t: SimTime| human_duration(store.now.since(t));
    let mut row = vec![since(e.last), e.ty.to_string(), e.reason.to_string(), e.target()];
    if wide {
        row.extend([String::new(), e.source.to_string()]);
    }
    row.push(e.message.to_string());
    if wide {
        row.extend([since(e.first), e.count.to_string(), e.object_name()]);
    }
    row
}

fn query_of<'a>(q: &Query<'a>) -> EventQuery<'a> {
    EventQuery {
        names: q.names(),
        fields: None,
        sort_by: None,
        output: q.output().clone(),
    }
}

/// `oc` for events: `get` only (`oc get events` goes through [`get`] with its own flags;
/// this answers the verbs every kind is asked).
pub(crate) struct Events;

impl Kubectl for Events {
    fn names(&self) -> &'static [&'static str] {
        &["event", "events", "ev"]
    }
    fn resource(&self) -> &'static str {
        "event"
    }
    fn describes(&self) -> bool {
        false
    }
    fn scales(&self) -> bool {
        false
    }
    fn not_found(&self, name: &str) -> OcError {
        OcError::NotFound {
            plural: "events".into(),
            name: name.to_string(),
        }
    }
    fn cluster_scoped(&self) -> bool {
        false
    }
    #[cfg(test)]
    fn get(&self, store: &Store, q: &Query) -> Result<String, OcError> {
        get(store, q.namespace(), &query_of(q))
    }
    fn listing(&self, store: &Store, q: &Query) -> Listing {
        listing(store, q.namespace(), &query_of(q))
    }
    fn rows(&self, store: &Store, q: &Query) -> (&'static [&'static str], Vec<super::Row>) {
        self.listing(store, q).into_rows()
    }
    fn select(&self, _: &Store, _: &str, _: &Selection) -> Result<Vec<String>, OcError> {
        Err(OcError::NotSimulated("writing event".into()))
    }
    fn describe(&self, _: &crate::engine::Engine, _: &str, _: &str) -> Result<String, OcError> {
        Err(OcError::Client("describe event is not supported".into()))
    }
    fn scale(&self, _: &Store, _: &str, _: &str, _: i32) -> Result<crate::engine::action::Action, OcError> {
        Err(OcError::NoSuchResource)
    }
    fn metadata(
        &self,
        _: &Store,
        _: &str,
        _: &str,
        _: crate::engine::action::MetadataField,
    ) -> Result<super::Metadata, OcError> {
        Err(OcError::NotSimulated("labeling event".into()))
    }
    fn delete(
        &self,
        _: &Store,
        _: &str,
        _: &str,
        _: Option<SimDuration>,
    ) -> Result<crate::engine::action::Action, OcError> {
        Err(OcError::NotSimulated("deleting event".into()))
    }
    fn patch_base(&self, _: &Store, _: &str, _: &str) -> Result<super::PatchBase, OcError> {
        Err(OcError::NotSimulated("patching event".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(entries: &[(u64, &str, &str, &str)]) -> Store {
        let mut store = Store::new(crate::catalog::Catalog::bundled());
        for (t, reason, object, message) in entries {
            store.events.push(LogEvent {
                t: SimTime(t * 1000),
                kind: reason.to_string(),
                object: object.to_string(),
                message: message.to_string(),
            });
        }
        store
    }

    #[test]
    fn each_reason_has_its_type_and_source_and_notes_are_left_out() {
        let cases = [
            (
                "Scheduled",
                "Pod a/p",
                "Successfully assigned a/p to n",
                Some(("Normal", "default-scheduler")),
            ),
            (
                "FailedScheduling",
                "Pod a/p",
                "0/1 nodes",
                Some(("Warning", "default-scheduler")),
            ),
            (
                "Pulled",
                "Pod a/p",
                "Container image \"x\" already present on machine",
                Some(("Normal", "kubelet")),
            ),
            ("Started", "Pod a/p", "Started container c", Some(("Normal", "kubelet"))),
            (
                "Started",
                "Pod a/p",
                "Admitted by clusterQueue q",
                Some(("Normal", "pod-kueue-controller")),
            ),
            (
                "NodeNotReady",
                "Pod a/p",
                "Node is not ready",
                Some(("Warning", "node-controller")),
            ),
            (
                "NodeNotReady",
                "Node n",
                "Node n status is now: NodeNotReady",
                Some(("Normal", "node-controller")),
            ),
            (
                "Pending",
                "Workload a/w",
                "couldn't assign flavors",
                Some(("Warning", "kueue-admission")),
            ),
            (
                "QuotaReserved",
                "Workload a/w",
                "Quota reserved",
                Some(("Normal", "kueue-admission")),
            ),
            (
                "SuccessfulCreate",
                "ReplicaSet a/r",
                "Created pod: p",
                Some(("Normal", "replicaset-controller")),
            ),
            (
                "SuccessfulCreate",
                "Job a/j",
                "Created pod: p",
                Some(("Normal", "job-controller")),
            ),
            (
                "Stopped",
                "Job a/j",
                "Preempted",
                Some(("Normal", "batch/job-kueue-controller")),
            ),
            (
                "ScalingReplicaSet",
                "Deployment a/d",
                "Scaled up",
                Some(("Normal", "deployment-controller")),
            ),
            (
                "FailedComputeMetricsReplicas",
                "HorizontalPodAutoscaler a/h",
                "x",
                Some(("Warning", "horizontal-pod-autoscaler")),
            ),
            (
                "DeletingNode",
                "Node n",
                "Deleting node n",
                Some(("Normal", "cloud-node-lifecycle-controller")),
            ),
            // The simulator's notes.
            ("Ready", "Pod a/p", "pod is Ready (5s after creation)", None),
            ("Completed", "Pod a/p", "container exited with code 0", None),
            ("Normal", "Workload a/w", "Quota released", None),
            ("Command", "timeline", "$ oc get pods", None),
            ("FaultInjected", "NodeLost", "node n: instance lost", None),
        ];
        for (reason, object, message, want) in cases {
            let e = LogEvent {
                t: SimTime(0),
                kind: reason.into(),
                object: object.into(),
                message: message.into(),
            };
            let got = classify(&e).map(|(_, _, _, ty, source)| (ty, source));
            assert_eq!(got, want, "{reason} on {object}");
        }
    }

    #[test]
    fn identical_events_are_one_counted_until_they_expire() {
        let mut store = log(&[
            (0, "FailedScheduling", "Pod a/p", "0/1 nodes are available"),
            (10, "FailedScheduling", "Pod a/p", "0/1 nodes are available"),
            (20, "FailedScheduling", "Pod a/p", "0/2 nodes are available"),
        ]);
        let summary = |store: &Store| -> Vec<(u64, u64, u32)> {
            events(store)
                .iter()
                .map(|e| (e.first.0 / 1000, e.last.0 / 1000, e.count))
                .collect()
        };
        store.now = SimTime(3_000_000);
        assert_eq!(summary(&store), vec![(0, 10, 2), (20, 20, 1)]);
        // The first expired an hour after its last: the same event again is a new one.
        store.now = SimTime(4_000_000);
        store.events.push(LogEvent {
            t: store.now,
            kind: "FailedScheduling".into(),
            object: "Pod a/p".into(),
            message: "0/1 nodes are available".into(),
        });
        assert_eq!(summary(&store), vec![(4000, 4000, 1)]);
    }

    fn plain() -> EventQuery<'static> {
        EventQuery {
            names: &[],
            fields: None,
            sort_by: None,
            output: Output::Table(Columns::Default),
        }
    }

    #[test]
    fn get_events_lists_by_object_then_time_unless_sorted() {
        let mut store = log(&[
            (0, "Scheduled", "Pod a/zeta", "Successfully assigned a/zeta to n"),
            (5, "Scheduled", "Pod a/alpha", "Successfully assigned a/alpha to n"),
            (7, "NodeNotReady", "Node n", "Node n status is now: NodeNotReady"),
        ]);
        store.now = SimTime(60_000);
        let q = plain();
        assert_eq!(
            get(&store, Some("a"), &q).unwrap(),
            "LAST SEEN   TYPE     REASON      OBJECT      MESSAGE\n\
             55s         Normal   Scheduled   pod/alpha   Successfully assigned a/alpha to n\n\
             60s         Normal   Scheduled   pod/zeta    Successfully assigned a/zeta to n"
        );
        let sorted = EventQuery {
            sort_by: Some(SortBy::LastTimestamp),
            ..plain()
        };
        assert_eq!(
            get(&store, None, &sorted).unwrap(),
            "NAMESPACE   LAST SEEN   TYPE     REASON         OBJECT      MESSAGE\n\
             a           60s         Normal   Scheduled      pod/zeta    Successfully assigned a/zeta to n\n\
             a           55s         Normal   Scheduled      pod/alpha   Successfully assigned a/alpha to n\n\
             default     53s         Normal   NodeNotReady   node/n      Node n status is now: NodeNotReady"
        );
        let by_name = EventQuery {
            fields: Some(FieldSelector::parse("involvedObject.name=zeta").unwrap()),
            ..plain()
        };
        assert_eq!(
            get(&store, Some("a"), &by_name).unwrap(),
            "LAST SEEN   TYPE     REASON      OBJECT     MESSAGE\n\
             60s         Normal   Scheduled   pod/zeta   Successfully assigned a/zeta to n"
        );
        assert_eq!(
            get(&store, Some("b"), &q).unwrap(),
            "No resources found in b namespace."
        );
    }

    #[test]
    fn events_print_as_objects_too() {
        let mut store = log(&[(5, "Scheduled", "Pod a/alpha", "Successfully assigned a/alpha to n")]);
        store.now = SimTime(60_000);
        let as_name = EventQuery {
            output: Output::Name,
            ..plain()
        };
        assert_eq!(
            get(&store, Some("a"), &as_name).unwrap(),
            "event/alpha.1886725317fff200"
        );
        let as_yaml = EventQuery {
            output: Output::Yaml,
            ..plain()
        };
        let yaml = get(&store, Some("a"), &as_yaml).unwrap();
        for part in [
            "kind: List",
            "    involvedObject:\n      kind: Pod\n      name: alpha\n      namespace: a\n",
            "    lastTimestamp: \"2026-01-01T00:00:05Z\"\n",
            "    reason: Scheduled\n",
            "    source:\n      component: default-scheduler\n",
        ] {
            assert!(yaml.contains(part), "{part}\n{yaml}");
        }
    }

    #[test]
    fn selectors_and_sort_keys_kubectl_refuses_are_refused_in_its_words() {
        let cases = [
            (
                FieldSelector::parse("status.phase=Running").map(|_| ()),
                "Error from server (BadRequest): Unable to find {\"\" \"v1\" \"events\"} that match label selector \"\", field selector \"status.phase=Running\": field label not supported: status.phase",
            ),
            (
                FieldSelector::parse("reason").map(|_| ()),
                "error: invalid selector: 'reason'; can't understand 'reason'",
            ),
            (
                SortBy::parse(".metadata.frob").map(|_| ()),
                "error: couldn't find any field with path \"{.metadata.frob}\" in the list of objects",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got.unwrap_err().to_string(), want);
        }
        assert_eq!(SortBy::parse("{.lastTimestamp}"), Ok(SortBy::LastTimestamp));
        let f = FieldSelector::parse("type!=Normal,reason==Pulled").unwrap();
        assert_eq!(f.terms.len(), 2);
    }

    #[test]
    fn describe_counts_repeats_and_leaves_out_what_expired() {
        let mut store = Store::new(crate::catalog::Catalog::bundled());
        let minute = 60_000;
        let ev = |t: u64, kind: &str, message: &str| LogEvent {
            t: SimTime(t * minute),
            kind: kind.into(),
            object: "HorizontalPodAutoscaler team/web".into(),
            message: message.into(),
        };
        store.events = crate::store::EventLog::from(vec![
            ev(0, "SuccessfulRescale", "New size: 2; reason: cpu"),
            ev(5, "FailedGetScale", "gone"),
            ev(70, "FailedGetScale", "gone"),
            ev(80, "FailedGetScale", "gone"),
            ev(85, "SuccessfulRescale", "New size: 3; reason: cpu"),
            LogEvent {
                object: "HorizontalPodAutoscaler team/other".into(),
                ..ev(86, "SuccessfulRescale", "x")
            },
        ]);
        store.now = SimTime(90 * minute);
        assert_eq!(
            events_section(&store, "HorizontalPodAutoscaler", "team", "web"),
            "Events:\n  Type     Reason             Age                From                       Message\n  ----     ------             ----               ----                       -------\n  Warning  FailedGetScale     10m (x2 over 20m)  horizontal-pod-autoscaler  gone\n  Normal   SuccessfulRescale  5m                 horizontal-pod-autoscaler  New size: 3; reason: cpu\n"
        );
        assert_eq!(
            describe_events(&store, "ScaledObject", "team", "web"),
            "Events:\t<none>\n"
        );
    }
}
