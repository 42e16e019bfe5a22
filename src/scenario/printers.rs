//! What kubectl's printers share across kinds: the table writer, ages, the `-o wide`
//! template columns, and queue counts.

use crate::store::Store;
use crate::units::{human_duration, SimTime};

/// kubectl's tabwriter (`cli-runtime/pkg/printers/tabwriter.go`): a cell is its column's
/// widest text plus a padding of 3, at least 6 wide; the last column is not padded.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    table_at_least(KUBECTL_MIN_WIDTH, header, rows)
}

/// kubectl's `tabwriterMinWidth`: the narrowest a cell is, padding included.
pub(crate) const KUBECTL_MIN_WIDTH: usize = 6;

/// The tool's own tables (the run's summary, `compare`): kubectl's look with cells at
/// least 10 wide, as they have always been printed.
pub(crate) fn report_table(header: &[&str], rows: &[Vec<String>]) -> String {
    table_at_least(10, header, rows)
}

fn table_at_least(min_width: usize, header: &[&str], rows: &[Vec<String>]) -> String {
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
                let w = (widths.get(i).copied().unwrap_or_default() + 3).max(min_width);
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

/// kubectl describe's tabwriter (`tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)`): the
/// tab-terminated cells of consecutive lines form a column as wide as its widest cell
/// plus two; a line's last cell, after its last tab, is not aligned.
pub(crate) fn tabbed(text: &str) -> String {
    let lines: Vec<Vec<&str>> = text.split('\n').map(|l| l.split('\t').collect()).collect();
    let mut out = String::new();
    tab_format(&lines, &mut Vec::new(), 0, lines.len(), &mut out);
    out
}

/// `Writer.format`: the column blocks of `lines[line0..line1]` at the depth of `widths`.
fn tab_format(lines: &[Vec<&str>], widths: &mut Vec<usize>, mut line0: usize, line1: usize, out: &mut String) {
    let column = widths.len();
    let has_cell = |l: &Vec<&str>| column + 1 < l.len();
    let mut this = line0;
    while this < line1 {
        if !has_cell(&lines[this]) {
            this += 1;
            continue;
        }
        tab_write_lines(lines, widths, line0, this, out);
        line0 = this;
        let mut width = 0;
        while this < line1 && has_cell(&lines[this]) {
            width = width.max(lines[this][column].chars().count() + 2);
            this += 1;
        }
        widths.push(width);
        tab_format(lines, widths, line0, this, out);
        widths.pop();
        line0 = this;
    }
    tab_write_lines(lines, widths, line0, line1, out);
}

fn tab_write_lines(lines: &[Vec<&str>], widths: &[usize], line0: usize, line1: usize, out: &mut String) {
    for (i, cells) in lines.iter().enumerate().take(line1).skip(line0) {
        if i > 0 {
            out.push('\n');
        }
        for (j, c) in cells.iter().enumerate() {
            out.push_str(c);
            if let Some(w) = widths.get(j).filter(|_| j + 1 < cells.len()) {
                out.push_str(&" ".repeat(w.saturating_sub(c.chars().count())));
            }
        }
    }
}

/// A quantity in thousandths as `resource.Quantity.String()` writes a DecimalSI one:
/// the mantissa without trailing thousands, the exponent as a suffix (`1500m`, `5`,
/// `10k`).
pub(crate) fn quantity(milli: i64) -> String {
    if milli == 0 {
        return "0".into();
    }
    let (mut mantissa, mut exponent) = (milli, -3i32);
    while mantissa % 10 == 0 {
        mantissa /= 10;
        exponent += 1;
    }
    match exponent.rem_euclid(3) {
        1 => {
            mantissa *= 10;
            exponent -= 1;
        }
        2 => {
            mantissa *= 100;
            exponent -= 2;
        }
        _ => {}
    }
    let suffix = match exponent {
        -3 => "m",
        0 => "",
        3 => "k",
        6 => "M",
        9 => "G",
        12 => "T",
        15 => "P",
        _ => "E",
    };
    format!("{mantissa}{suffix}")
}

/// The simulation's calendar: time zero is 2026-01-01T00:00:00Z. The date of `t` as
/// (year, month, day, weekday with Sunday 0) and its seconds into the day.
fn calendar(t: SimTime) -> (i64, u32, u32, usize, u64) {
    // 2026-01-01 is 1,767,225,600 s after 1970-01-01.
    let secs = 1_767_225_600 + i64::try_from(t.0 / 1000).unwrap_or(i64::MAX / 2);
    civil(secs)
}

/// A Unix time as (year, month, day, weekday with Sunday 0) and its seconds into the day:
/// days since 1970-01-01, then Howard Hinnant's civil_from_days.
fn civil(unix_secs: i64) -> (i64, u32, u32, usize, u64) {
    let days = unix_secs.div_euclid(86_400);
    let secs_of_day = unix_secs.rem_euclid(86_400) as u64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    let weekday = (days + 4).rem_euclid(7) as usize;
    (year, month, day, weekday, secs_of_day)
}

/// vLLM's log time (`%m-%d %H:%M:%S`): `01-01 00:12:34`.
pub(crate) fn vllm_stamp(t: SimTime) -> String {
    let (_, month, day, _, s) = calendar(t);
    format!("{month:02}-{day:02} {:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// Python logging's `asctime` with milliseconds, as KServe's storage initializer writes
/// it: `2026-01-01 00:12:34.500`.
pub(crate) fn python_stamp(t: SimTime) -> String {
    let (year, month, day, _, s) = calendar(t);
    format!(
        "{year}-{month:02}-{day:02} {:02}:{:02}:{:02}.{:03}",
        s / 3600,
        (s / 60) % 60,
        s % 60,
        t.0 % 1000
    )
}

/// A Unix time in seconds as RFC 3339 (`2026-11-23T10:00:00Z`), whole seconds.
pub(crate) fn rfc3339_unix(unix_secs: i64) -> String {
    let (year, month, day, _, s) = civil(unix_secs);
    format!(
        "{year}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// `time.RFC1123Z`, as `describe` prints a creation timestamp: `Thu, 01 Jan 2026 00:00:00 +0000`.
pub(crate) fn rfc1123z(t: SimTime) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (year, month, day, weekday, s) = calendar(t);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} +0000",
        DAYS[weekday],
        MONTHS[month as usize - 1],
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// RFC 3339, as the API server serializes a timestamp: `2026-01-01T00:00:00Z`.
pub(crate) fn rfc3339(t: SimTime) -> String {
    let (year, month, day, _, s) = calendar(t);
    format!(
        "{year}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// `printLabelsMultiline`: `Title:` and one `key=value` a line, sorted, or `<none>`; as
/// lines for [`tabbed`].
pub(crate) fn labels_multiline(title: &str, labels: &crate::api::meta::Labels) -> String {
    if labels.is_empty() {
        return format!("{title}:\t<none>\n");
    }
    let mut out = String::new();
    for (i, (k, v)) in labels.iter().enumerate() {
        if i == 0 {
            out.push_str(&format!("{title}:\t"));
        } else {
            out.push('\t');
        }
        out.push_str(&format!("{k}={v}\n"));
    }
    out
}

/// `printAnnotationsMultiline`: like the labels, `key: value`, without
/// `last-applied-configuration`; a long or multi-line value goes under its key, each
/// line cut at 138 bytes; as lines for [`tabbed`].
pub(crate) fn annotations_multiline(title: &str, annotations: &crate::api::meta::Labels) -> String {
    const MAX: usize = 140;
    let shown: Vec<(&String, &String)> = annotations
        .iter()
        .filter(|(k, _)| k.as_str() != "kubectl.kubernetes.io/last-applied-configuration")
        .collect();
    let mut out = format!("{title}:\t");
    if shown.is_empty() {
        out.push_str("<none>\n");
        return out;
    }
    for (i, (k, v)) in shown.into_iter().enumerate() {
        if i != 0 {
            out.push('\t');
        }
        let value = v.strip_suffix('\n').unwrap_or(v);
        if value.len() + k.len() + 2 > MAX || value.contains('\n') {
            out.push_str(&format!("{k}:\n"));
            for line in value.split('\n') {
                let cut = if line.len() > MAX - 2 {
                    let mut end = MAX - 2;
                    while !line.is_char_boundary(end) {
                        end -= 1;
                    }
                    format!("{}...", &line[..end])
                } else {
                    line.to_string()
                };
                out.push_str(&format!("\t  {cut}\n"));
            }
        } else {
            out.push_str(&format!("{k}: {value}\n"));
        }
    }
    out
}

/// `printUnstructuredContent`, what `describe` prints of a custom resource: each field
/// in name order under its `smartLabelFor` title, maps and lists of maps nested one
/// level deeper, other lists one value a line; `skip` holds the paths left out
/// (`.metadata.name`). As lines for [`tabbed`].
pub(crate) fn unstructured(
    out: &mut String,
    level: usize,
    content: &serde_json::Map<String, serde_json::Value>,
    prefix: &str,
    skip: &[&str],
) {
    use serde_json::Value;
    let indent = "  ".repeat(level);
    let mut fields: Vec<&String> = content.keys().collect();
    fields.sort();
    for field in fields {
        let path = format!("{prefix}.{field}");
        if skip.contains(&path.as_str()) {
            continue;
        }
        let label = smart_label(field);
        match &content[field.as_str()] {
            Value::Object(m) => {
                out.push_str(&format!("{indent}{label}:\n"));
                unstructured(out, level + 1, m, &path, skip);
            }
            Value::Array(items) => {
                out.push_str(&format!("{indent}{label}:\n"));
                for item in items {
                    match item {
                        Value::Object(m) => unstructured(out, level + 1, m, &path, skip),
                        v => out.push_str(&format!("{indent}  {}\n", go_value(v))),
                    }
                }
            }
            v => out.push_str(&format!("{indent}{label}:\t{}\n", go_value(v))),
        }
    }
}

/// A JSON scalar as Go's `%v` prints it once decoded.
fn go_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "<nil>".into(),
        v => v.to_string(),
    }
}

/// `smartLabelFor`: a field name in words (`scaleTargetRef` → `Scale Target Ref`,
/// `apiVersion` → `API Version`); a name with anything but letters and `-` as it is.
fn smart_label(field: &str) -> String {
    if field.chars().any(|c| !c.is_alphabetic() && c != '-') {
        return field.to_string();
    }
    // camelcase.Split: runs of lower, upper and other characters; an upper run's last
    // letter starts the lower run after it (`GVKRs` → `GVK`, `Rs`).
    let class = |c: char| {
        if c.is_lowercase() {
            1
        } else if c.is_uppercase() {
            2
        } else {
            3
        }
    };
    let mut runs: Vec<Vec<char>> = Vec::new();
    let mut last = 0;
    for c in field.chars() {
        let k = class(c);
        match runs.last_mut() {
            Some(run) if k == last => run.push(c),
            _ => runs.push(vec![c]),
        }
        last = k;
    }
    for i in 0..runs.len().saturating_sub(1) {
        if runs[i].first().is_some_and(|c| c.is_uppercase()) && runs[i + 1].first().is_some_and(|c| c.is_lowercase()) {
            if let Some(c) = runs[i].pop() {
                runs[i + 1].insert(0, c);
            }
        }
    }
    let parts: Vec<String> = runs
        .into_iter()
        .filter(|r| !r.is_empty())
        .map(|r| r.into_iter().collect())
        .collect();
    // An acronym run goes with the word after it.
    let mut merged: Vec<String> = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        let part = &parts[i];
        let next_upper = parts
            .get(i + 1)
            .and_then(|n| n.chars().next())
            .is_some_and(|c| c.is_uppercase());
        if part.chars().count() >= 2 && part.chars().all(|c| !c.is_alphabetic() || c.is_uppercase()) && next_upper {
            merged.push(format!("{part}{}", parts[i + 1]));
            i += 2;
        } else {
            merged.push(part.clone());
            i += 1;
        }
    }
    merged
        .into_iter()
        .filter(|p| p != "_")
        .map(|p| {
            let upper = p.to_uppercase();
            if ["API", "URL", "UID", "GUID"].contains(&upper.as_str()) {
                upper
            } else if p.to_lowercase() == p {
                let mut cs = p.chars();
                cs.next()
                    .map(|c| c.to_uppercase().chain(cs).collect())
                    .unwrap_or_default()
            } else {
                p
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabbed_aligns_blocks_as_gos_tabwriter() {
        let cases = [
            // One block: each column as wide as its widest cell plus two.
            ("a:\tb\nlonger:\tc\n", "a:       b\nlonger:  c\n"),
            ("x\ty\tz\nxx\tyyyy\tz\nq\n", "x   y     z\nxx  yyyy  z\nq\n"),
            // A line without a tab ends the block.
            ("a:\t1\nbreak\nlong-name:\t2\n", "a:  1\nbreak\nlong-name:  2\n"),
            // A line with fewer cells ends the inner column's block, not the outer one's.
            (
                "Type\tStatus\tReason\nAble\tTrue\tOK\nEvents:\t<none>\n",
                "Type     Status  Reason\nAble     True    OK\nEvents:  <none>\n",
            ),
            // The last cell is never padded, an empty one neither; an empty cell before
            // a tab is.
            ("k:\t\nkey:\tv\n", "k:    \nkey:  v\n"),
            ("no tabs at all", "no tabs at all"),
        ];
        for (input, want) in cases {
            assert_eq!(tabbed(input), want, "{input:?}");
        }
    }

    #[test]
    fn quantities_read_as_go_writes_them() {
        let cases = [
            (0, "0"),
            (12, "12m"),
            (500, "500m"),
            (1500, "1500m"),
            (5000, "5"),
            (8500, "8500m"),
            (1_000_000, "1k"),
            (1_500_000, "1500"),
            (2_500_000, "2500"),
            (10_000_000, "10k"),
            (15_000_000, "15k"),
            (3_000_000_000, "3M"),
            (-1500, "-1500m"),
        ];
        for (milli, want) in cases {
            assert_eq!(quantity(milli), want, "{milli}");
        }
    }

    #[test]
    fn timestamps_follow_the_simulated_calendar() {
        let day = 86_400_000;
        let cases = [
            (0, "Thu, 01 Jan 2026 00:00:00 +0000", "2026-01-01T00:00:00Z"),
            (
                31 * day + 3_723_000,
                "Sun, 01 Feb 2026 01:02:03 +0000",
                "2026-02-01T01:02:03Z",
            ),
            (365 * day, "Fri, 01 Jan 2027 00:00:00 +0000", "2027-01-01T00:00:00Z"),
            (
                (365 + 31 + 28) * day,
                "Mon, 01 Mar 2027 00:00:00 +0000",
                "2027-03-01T00:00:00Z",
            ),
        ];
        for (ms, rfc1123, rfc3339_want) in cases {
            assert_eq!(rfc1123z(SimTime(ms)), rfc1123, "{ms}");
            assert_eq!(rfc3339(SimTime(ms)), rfc3339_want, "{ms}");
        }
    }

    #[test]
    fn field_names_read_as_describe_titles_them() {
        let cases = [
            ("apiVersion", "API Version"),
            ("uid", "UID"),
            ("hpaName", "Hpa Name"),
            ("scaleTargetGVKR", "Scale Target GVKR"),
            ("numberOfFailures", "Number Of Failures"),
            ("URLPath", "URLPath"),
            ("metadata", "Metadata"),
            ("s0-prometheus", "s0-prometheus"),
            ("keda.sh/name", "keda.sh/name"),
        ];
        for (field, want) in cases {
            assert_eq!(smart_label(field), want, "{field}");
        }
    }

    #[test]
    fn unstructured_content_nests_and_titles_fields() {
        let doc = serde_json::json!({
            "kind": "X",
            "metadata": {"name": "x", "finalizers": ["f"]},
            "spec": {"triggers": [{"type": "prometheus", "metadata": {"query": "up"}}], "on": true, "n": 2},
        });
        let mut out = String::new();
        unstructured(&mut out, 0, doc.as_object().unwrap(), "", &[".metadata.name"]);
        assert_eq!(
            tabbed(&out),
            "Kind:  X\nMetadata:\n  Finalizers:\n    f\nSpec:\n  N:   2\n  On:  true\n  Triggers:\n    Metadata:\n      Query:  up\n    Type:     prometheus\n"
        );
    }

    #[test]
    fn labels_and_annotations_one_a_line() {
        let map = |kv: &[(&str, &str)]| -> crate::api::meta::Labels {
            kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        assert_eq!(
            tabbed(&labels_multiline("Labels", &map(&[("b", "2"), ("a", "1")]))),
            "Labels:  a=1\n         b=2\n"
        );
        assert_eq!(labels_multiline("Labels", &map(&[])), "Labels:\t<none>\n");
        let long = "x".repeat(150);
        assert_eq!(
            tabbed(&annotations_multiline(
                "Annotations",
                &map(&[
                    ("kubectl.kubernetes.io/last-applied-configuration", "{}"),
                    ("owner", "team"),
                    ("note", &long),
                ])
            )),
            format!(
                "Annotations:  note:\n                {}...\n              owner: team\n",
                "x".repeat(138)
            )
        );
    }
}
