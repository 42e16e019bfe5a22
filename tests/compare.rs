//! `gpuaas-sim compare` on real reports: a policy change that delays an admission fails
//! the comparison; a report compared with itself moves nothing; an SLO attainment drop
//! beyond its tolerance is a regression; the Markdown summary and the JUnit file say the
//! same as the table; what is not a report is a located input error.

mod common;
use common::*;

fn compare(base: &str, new: &str, extra: &[&str]) -> (Option<i32>, String, String) {
    let out = bin()
        .arg("compare")
        .arg(base)
        .arg(new)
        .args(extra)
        .current_dir(repo())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn a_later_admission_is_a_regression_and_the_tolerance_decides() {
    // The Recreate strategy admits the new INT4 pod at 10:30; the deadlocked RollingUpdate
    // only at 15:30, after the operator's fix.
    let (base, new) = (
        "reports/rolling-update-recreate/report.json",
        "reports/rolling-update-deadlock/report.json",
    );
    let (code, out, _) = compare(base, new, &[]);
    assert_eq!(code, Some(1), "{out}");
    let row = out
        .lines()
        .find(|l| l.starts_with("workload private-ai/mistral-3-int4 #2 admitted at"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        row.contains("630 s") && row.contains("930 s") && row.ends_with("REGRESSION"),
        "{row}"
    );
    let (code, out, _) = compare(base, new, &["--admission-tolerance", "600"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("worse (within tolerance)"), "{out}");
}

#[test]
fn a_report_compared_with_itself_moves_nothing() {
    let r = "reports/handover/report.json";
    let (code, out, _) = compare(r, r, &[]);
    assert_eq!(code, Some(0));
    assert!(out.starts_with("Nothing moved."), "{out}");
    let (_, all, _) = compare(r, r, &["--all"]);
    assert!(all.contains("mistral-3-bf16 TTFT p95") && all.contains("same"), "{all}");
}

#[test]
fn what_is_not_a_report_is_a_located_error() {
    let dir = folder(&[
        (
            "broken.json",
            "{\n  \"schema\": \"gpuaas-sim/report/v1\",\n  \"models\": [,]\n}\n",
        ),
        ("other.json", "{\"hello\": 1}\n"),
        (
            "shape.json",
            "{\n  \"schema\": \"gpuaas-sim/report/v1\",\n  \"scenario\": \"s\",\n  \"seed\": \"one\"\n}\n",
        ),
    ]);
    let broken = dir.path().join("broken.json");
    let other = dir.path().join("other.json");
    let good = repo().join("reports/handover/report.json");
    // (base, new, extra flags, what stderr says)
    let cases = [
        (broken.clone(), good.clone(), vec![], "broken.json:3:14: not valid JSON"),
        (
            good.clone(),
            other.clone(),
            vec![],
            "other.json:1:1: not a gpuaas-sim report",
        ),
        (
            good.clone(),
            dir.path().join("shape.json"),
            vec![],
            "shape.json:4:15: not a gpuaas-sim report at `seed`: invalid type",
        ),
        (
            good.clone(),
            dir.path().join("missing.json"),
            vec![],
            "missing.json: cannot read",
        ),
        (
            good.clone(),
            good.clone(),
            vec!["--latency-tolerance=-5"],
            "--latency-tolerance -5: a tolerance is a number of 0 or more",
        ),
        (
            good.clone(),
            good.clone(),
            vec!["--slo-tolerance=-1"],
            "--slo-tolerance -1: a tolerance is a number of 0 or more",
        ),
        (
            good.clone(),
            good.clone(),
            vec!["--slo-tolerance", "NaN"],
            "--slo-tolerance NaN: a tolerance is a number of 0 or more",
        ),
        (
            good.clone(),
            good.clone(),
            vec!["--slo-tolerance", "inf"],
            "--slo-tolerance inf: a tolerance is a number of 0 or more",
        ),
        (
            good.clone(),
            good.clone(),
            vec!["--format", "html"],
            "invalid value 'html' for '--format <FORMAT>'",
        ),
    ];
    for (base, new, extra, want) in cases {
        let (code, out, err) = compare(base.to_str().unwrap(), new.to_str().unwrap(), &extra);
        assert_eq!(code, Some(2), "{want}: {out}{err}");
        assert!(err.contains(want), "want {want:?} in {err}");
    }
}

/// The table `compare` printed for these two bundled reports before `--format`, the
/// SLO tolerance and `--junit` existed: the text format must not change.
const ROLLING_UPDATE_TEXT: &str = "\
METRIC                                              BASE      NEW       CHANGE    VERDICT
workload private-ai/mistral-3-int4 #2 admitted at   630 s     930 s     +47.6%    REGRESSION
expectations passed                                 5         9         +80.0%    better

1 regression(s) (13 figures compared).
";

const ROLLING_UPDATE_TEXT_ALL: &str = "\
METRIC                                              BASE      NEW       CHANGE    VERDICT
workload private-ai/mistral-3-bf16 #1 admitted at   0 s       0 s                 same
workload private-ai/mistral-3-int4 #1 admitted at   0 s       0 s                 same
workload private-ai/mistral-3-int4 #2 admitted at   630 s     930 s     +47.6%    REGRESSION
private-ai/devstral-2 downtime                      0 s       0 s                 same
private-ai/gpt-oss-20b downtime                     0 s       0 s                 same
private-ai/granite-8b-agent downtime                0 s       0 s                 same
private-ai/mistral-3-bf16 downtime                  0 s       0 s                 same
private-ai/mistral-3-int4 downtime                  112.5 s   112.5 s             same
GPU allocated fraction                              100.0%    100.0%              same
cost total                                          $2.96     $2.96               same
idle GPU spend                                      $0.00     $0.00               same
expectations passed                                 5         9         +80.0%    better
expectations failed                                 0         0                   same

1 regression(s) (13 figures compared).
";

const RECREATE: &str = "reports/rolling-update-recreate/report.json";
const DEADLOCK: &str = "reports/rolling-update-deadlock/report.json";

#[test]
fn the_text_format_is_the_table_it_always_was() {
    for (extra, want) in [
        (vec![], ROLLING_UPDATE_TEXT),
        (vec!["--format", "text"], ROLLING_UPDATE_TEXT),
        (vec!["--all"], ROLLING_UPDATE_TEXT_ALL),
        (vec!["--all", "--format=text"], ROLLING_UPDATE_TEXT_ALL),
    ] {
        let (code, out, err) = compare(RECREATE, DEADLOCK, &extra);
        assert_eq!((code, out.as_str(), err.as_str()), (Some(1), want, ""), "{extra:?}");
    }
}

/// The bundled handover report with its BF16 model's SLO attainment, overall and of the
/// TTFT term, set as given, in a temporary folder.
fn handover_with_slo(overall: f64, ttft: f64) -> (tempfile::TempDir, String) {
    let text = std::fs::read_to_string(repo().join("reports/handover/report.json")).unwrap();
    let mut report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let slo = &mut report["models"]["mistral-3-bf16"]["slo"];
    slo["attainment"] = serde_json::json!(overall);
    slo["terms"]["ttft_p95"]["attainment"] = serde_json::json!(ttft);
    let dir = folder(&[("report.json", &serde_json::to_string_pretty(&report).unwrap())]);
    let path = dir.path().join("report.json").to_string_lossy().to_string();
    (dir, path)
}

#[test]
fn an_slo_attainment_drop_is_a_regression_beyond_its_tolerance() {
    let base = "reports/handover/report.json";
    // Base: 25.5% overall, 91.8% for ttft_p95.
    // (overall, ttft_p95, flags, exit code, the rows' verdicts)
    let cases = [
        (0.255, 0.918, vec![], Some(0), None),
        (0.250, 0.918, vec![], Some(0), Some("worse (within tolerance)")),
        (0.01, 0.918, vec![], Some(1), Some("REGRESSION")),
        (
            0.01,
            0.918,
            vec!["--slo-tolerance", "30"],
            Some(0),
            Some("worse (within tolerance)"),
        ),
        (0.255, 0.80, vec![], Some(1), Some("REGRESSION")),
    ];
    for (overall, ttft, flags, want_code, want_verdict) in cases {
        let (_dir, new) = handover_with_slo(overall, ttft);
        let (code, out, err) = compare(base, &new, &flags);
        assert_eq!(code, want_code, "{overall} {ttft} {flags:?}: {out}{err}");
        let rows: Vec<&str> = out.lines().filter(|l| l.starts_with("mistral-3-bf16 SLO")).collect();
        match want_verdict {
            None => assert!(rows.is_empty(), "{out}"),
            Some(v) => assert!(!rows.is_empty() && rows.iter().all(|r| r.ends_with(v)), "{out}"),
        }
    }
}

/// A Markdown table row's cells, split on the bars that are not escaped.
fn cells(row: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut chars = row.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let last = cells.last_mut().unwrap();
                last.push(c);
                last.extend(chars.next());
            }
            '|' => cells.push(String::new()),
            c => cells.last_mut().unwrap().push(c),
        }
    }
    // The bars at both ends leave an empty piece on either side.
    cells[1..cells.len() - 1].iter().map(|c| c.trim().to_string()).collect()
}

#[test]
fn the_markdown_summary_carries_the_verdict_and_a_table_per_section() {
    let (code, md, _) = compare(RECREATE, DEADLOCK, &["--format", "markdown"]);
    assert_eq!(code, Some(1), "{md}");
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(
        lines[0],
        "## gpuaas-sim compare: rolling-update-recreate → rolling-update-deadlock"
    );
    assert_eq!(lines[2], "**1 regression** (13 figures compared, 2 moved).");
    let headings: Vec<&str> = lines.iter().filter(|l| l.starts_with("### ")).copied().collect();
    assert_eq!(headings, ["### Workload admissions", "### Expectations"]);
    // Every table: a header, its delimiter, then rows of five cells.
    let rows: Vec<Vec<String>> = lines.iter().filter(|l| l.starts_with('|')).map(|l| cells(l)).collect();
    for row in &rows {
        assert_eq!(row.len(), 5, "{row:?}");
    }
    assert_eq!(rows[0], ["figure", "base", "new", "change", "verdict"]);
    assert_eq!(rows[1], ["---", "---", "---", "---", "---"]);
    assert_eq!(
        rows[2],
        [
            "workload private-ai/mistral-3-int4 \\#2 admitted at",
            "630 s",
            "930 s",
            "+47.6%",
            "**REGRESSION**"
        ]
    );
    assert_eq!(rows[5], ["expectations passed", "5", "9", "+80.0%", "better"]);
    assert_eq!(rows.len(), 6, "only what moved: {md}");
    assert!(
        lines.last().unwrap().starts_with("Tolerances: admission 60 s later"),
        "{md}"
    );

    // `--all`: every figure, in the same tables.
    let (_, all, _) = compare(RECREATE, DEADLOCK, &["--format", "markdown", "--all"]);
    let data_rows = all.lines().filter(|l| l.starts_with('|')).count() - 2 * all.matches("\n### ").count();
    assert_eq!(data_rows, 13, "{all}");
    assert!(all.contains("\n### Downtime\n") && all.contains("| cost total | \\$2.96 | \\$2.96 |  | same |"));

    // Nothing moved: the verdict and no table.
    let r = "reports/handover/report.json";
    let (code, same, _) = compare(r, r, &["--format", "markdown"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        same,
        "## gpuaas-sim compare: handover\n\n**No regression** (52 figures compared, 0 moved).\n\nNothing moved.\n"
    );
}

#[test]
fn junit_has_a_test_case_per_figure_and_a_failure_per_regression() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("compare.xml");
    let (code, out, err) = compare(RECREATE, DEADLOCK, &["--junit", path.to_str().unwrap()]);
    assert_eq!((code, err.as_str()), (Some(1), ""), "{out}");
    // The table is printed as without --junit.
    assert_eq!(out, ROLLING_UPDATE_TEXT);
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(
        (root.attribute("tests"), root.attribute("failures")),
        (Some("13"), Some("1"))
    );
    let suites: Vec<_> = root.children().filter(|n| n.has_tag_name("testsuite")).collect();
    let cases: Vec<_> = suites
        .iter()
        .flat_map(|s| s.children().filter(|n| n.has_tag_name("testcase")))
        .collect();
    assert_eq!(cases.len(), 13);
    // Each suite's counts add up.
    for s in &suites {
        let n = s.children().filter(|c| c.has_tag_name("testcase")).count();
        assert_eq!(s.attribute("tests"), Some(n.to_string().as_str()));
    }
    let failed: Vec<_> = cases
        .iter()
        .filter_map(|c| Some((c, c.children().find(|n| n.has_tag_name("failure"))?)))
        .collect();
    assert_eq!(failed.len(), 1);
    let (case, failure) = failed[0];
    assert_eq!(
        case.attribute("name"),
        Some("workload private-ai/mistral-3-int4 #2 admitted at")
    );
    assert_eq!(
        case.attribute("classname"),
        Some("rolling-update-recreate → rolling-update-deadlock: Workload admissions")
    );
    assert_eq!(
        failure.attribute("message"),
        Some("base 630 s, new 930 s (+47.6%); tolerance: a rise of more than 60 s")
    );
    assert_eq!(failure.attribute("type"), Some("regression"));
    // Written whole: no temporary file beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["compare.xml"]);

    // Within the tolerance, no failure, exit 0.
    let (code, _, _) = compare(
        RECREATE,
        DEADLOCK,
        &["--junit", path.to_str().unwrap(), "--admission-tolerance", "600"],
    );
    assert_eq!(code, Some(0));
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    assert_eq!(doc.root_element().attribute("failures"), Some("0"));
    assert_eq!(doc.descendants().filter(|n| n.has_tag_name("failure")).count(), 0);
}

#[test]
fn junit_is_not_written_from_bad_input_and_an_unwritable_file_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("compare.xml");
    let missing = dir.path().join("missing.json");
    let (code, _, err) = compare(
        RECREATE,
        missing.to_str().unwrap(),
        &["--junit", junit.to_str().unwrap()],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("missing.json: cannot read"), "{err}");
    assert!(!junit.exists());

    // A folder where the file should go; then a folder that does not exist.
    for target in [dir.path().to_path_buf(), dir.path().join("no/such/compare.xml")] {
        let (code, _, err) = compare(RECREATE, DEADLOCK, &["--junit", target.to_str().unwrap()]);
        assert_eq!(code, Some(2), "{err}");
        assert!(
            err.starts_with(&format!("{}: cannot write JUnit file: ", target.display())),
            "{err}"
        );
    }
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "nothing half-written is left: {left:?}");
}

/// Every number of a report replaced, in document order: an integer by the next of
/// `integers`, any other number by the next of `floats`, so that the report keeps its shape.
fn renumber(v: &mut serde_json::Value, i: &mut usize, integers: &[u64], floats: &[f64]) {
    match v {
        serde_json::Value::Number(n) => {
            *v = if n.is_u64() {
                serde_json::json!(integers[*i % integers.len()])
            } else {
                serde_json::json!(floats[*i % floats.len()])
            };
            *i += 1;
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| renumber(x, i, integers, floats)),
        serde_json::Value::Object(o) => o.values_mut().for_each(|x| renumber(x, i, integers, floats)),
        _ => {}
    }
}

#[test]
fn hand_edited_extremes_are_compared_without_a_crash() {
    let text = std::fs::read_to_string(repo().join("reports/handover/report.json")).unwrap();
    let original: serde_json::Value = serde_json::from_str(&text).unwrap();
    // Numbers JSON can hold that no run writes: shares far beyond 1, negative times and
    // costs, the largest and smallest doubles, more failures than requests. Integers stay
    // within what every integer field holds (a priority is an i32), or the report would
    // not read at all, a located error tested above.
    let integers = [0, i32::MAX as u64, 1, 7];
    let floats = [1e308, -1e308, 0.0, 5e-324, -0.5, 123456789.125, 2.0];
    for shift in 0..floats.len() {
        let mut report = original.clone();
        renumber(&mut report, &mut shift.clone(), &integers, &floats);
        let dir = folder(&[("r.json", &serde_json::to_string_pretty(&report).unwrap())]);
        let new = dir.path().join("r.json");
        let junit = dir.path().join("j.xml");
        for (format, base, new) in [
            ("text", repo().join("reports/handover/report.json"), new.clone()),
            ("markdown", new.clone(), repo().join("reports/handover/report.json")),
        ] {
            let (code, out, err) = compare(
                base.to_str().unwrap(),
                new.to_str().unwrap(),
                &["--format", format, "--all", "--junit", junit.to_str().unwrap()],
            );
            assert!(matches!(code, Some(0 | 1)), "{code:?} {out}{err}");
            assert!(out.contains("figures compared"), "{out}");
            let xml = std::fs::read_to_string(&junit).unwrap();
            roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        }
    }
}
