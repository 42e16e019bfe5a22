//! What kubectl's printers share across kinds: the table writer, ages, the `-o wide`
//! template columns, the `Events:` section of `describe`, and queue counts.

use crate::store::Store;
use crate::units::{human_duration, SimTime};

/// kubectl's tabwriter: min width 10, padding 3, last column unpadded.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let cols = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            let n = c.chars().count();
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(n),
                None => widths.push(n),
            }
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        for (i, c) in cells.iter().enumerate() {
            out.push_str(c);
            if i + 1 != cols {
                let w = (widths.get(i).copied().unwrap_or_default() + 3).max(10);
                out.push_str(&" ".repeat(w.saturating_sub(c.chars().count())));
            }
        }
        while out.ends_with(' ') {
            out.pop();
        }
        out.push('\n');
    };
    line(header.to_vec(), &mut out);
    for r in rows {
        line(r.iter().map(String::as_str).collect(), &mut out);
    }
    out
}

pub(crate) fn age(store: &Store, created: SimTime) -> String {
    human_duration(store.now.since(created))
}

/// `-o wide` columns of Deployments and ReplicaSets: containers, images, selector.
pub(crate) fn template_wide(t: &crate::api::core::PodTemplate, selector: &crate::api::meta::Labels) -> [String; 3] {
    let names: Vec<&str> = t.spec.containers.iter().map(|c| c.name.as_str()).collect();
    let images: Vec<&str> = t.spec.containers.iter().map(|c| c.image.as_str()).collect();
    let sel: Vec<String> = selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
    [names.join(","), images.join(","), sel.join(",")]
}

pub(crate) fn admitted_in(store: &Store, cq: &str) -> usize {
    store
        .workloads
        .values()
        .filter(|w| w.finished_at.is_none() && w.admission.as_ref().is_some_and(|a| a.cluster_queue == cq))
        .count()
}

pub(crate) fn pending_in(store: &Store, cq: &str) -> usize {
    store
        .workloads
        .values()
        .filter(|w| w.is_pending() && store.cluster_queue_of(w) == Some(cq))
        .count()
}

pub(crate) fn indent(out: &mut String, depth: usize, key: &str, value: &str) {
    out.push_str(&"  ".repeat(depth));
    out.push_str(&format!("{key}:"));
    if !value.is_empty() {
        out.push_str("  ");
        out.push_str(value);
    }
    out.push('\n');
}

pub(crate) fn events_section(store: &Store, log: &[crate::store::LogEvent], object: &str, from: &str) -> String {
    let rows: Vec<Vec<String>> = log
        .iter()
        .filter(|e| e.object == object)
        .map(|e| {
            let ty = if matches!(e.kind.as_str(), "Pending" | "FailedScheduling" | "Inadmissible") {
                "Warning"
            } else {
                "Normal"
            };
            vec![
                ty.to_string(),
                e.kind.clone(),
                human_duration(store.now.since(e.t)),
                from.to_string(),
                e.message.clone(),
            ]
        })
        .collect();
    if rows.is_empty() {
        return "Events:  <none>\n".into();
    }
    let mut t = table(&["Type", "Reason", "Age", "From", "Message"], &rows);
    let mut lines: Vec<String> = t.lines().map(|l| format!("  {l}")).collect();
    lines.insert(1, "  ----     ------   ----  ----             -------".into());
    t = lines.join("\n");
    format!("Events:\n{t}\n")
}
