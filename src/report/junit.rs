//! JUnit XML as CI servers read it: `check --junit FILE` writes one test suite per
//! scenario and one test case per expectation; `compare --junit FILE` one test suite per
//! section of the comparison and one test case per figure compared.

use super::compare::{Comparison, Section, Verdict};
use super::html::escape as html_escape;
use crate::scenario::expect::Outcome;

/// `s` as XML text or attribute value. Beyond HTML's escapes, characters XML 1.0 does not
/// allow at all (control characters other than tab and line breaks) are replaced, so that
/// a name from a hand-edited report cannot make the file unreadable to the CI server.
fn escape(s: &str) -> String {
    let allowed = |c: char| !c.is_control() || matches!(c, '\t' | '\n' | '\r');
    let clean: String = s
        .chars()
        .map(|c| if allowed(c) { c } else { char::REPLACEMENT_CHARACTER })
        .collect();
    html_escape(&clean)
}

/// `suites`: each scenario's name and its expectations' outcomes.
pub fn render(suites: &[(String, Vec<Outcome>)]) -> String {
    let tests: usize = suites.iter().map(|s| s.1.len()).sum();
    let failures: usize = suites.iter().map(|s| s.1.iter().filter(|o| !o.passed).count()).sum();
    let mut o = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"gpuaas-sim check\" tests=\"{tests}\" failures=\"{failures}\">\n"
    );
    for (name, outcomes) in suites {
        let failures = outcomes.iter().filter(|x| !x.passed).count();
        o.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\">\n",
            escape(name),
            outcomes.len()
        ));
        for x in outcomes {
            o.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\">",
                escape(name),
                escape(x.expectation.label()),
                escape(&x.expectation.loc.to_string())
            ));
            if x.passed {
                o.push_str(&format!("<system-out>{}</system-out>", escape(&x.detail)));
            } else {
                // The message is what a CI page shows first; the body says where and what.
                o.push_str(&format!(
                    "<failure message=\"{}\" type=\"expectation\">expected {} ({}): {}</failure>",
                    escape(&x.detail),
                    escape(&x.expectation.text),
                    escape(&x.expectation.loc.to_string()),
                    escape(&x.detail)
                ));
            }
            o.push_str("</testcase>\n");
        }
        o.push_str("  </testsuite>\n");
    }
    o.push_str("</testsuites>\n");
    o
}

/// A comparison as JUnit: every figure compared is a test case (whether it moved or not,
/// so that a CI server's counts stay comparable from run to run), grouped in one suite
/// per section; a regression is a failure whose message says base, new and the tolerance.
pub fn render_comparison(c: &Comparison) -> String {
    let failures = c.regressions();
    let mut o = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"gpuaas-sim compare\" tests=\"{}\" failures=\"{failures}\">\n",
        c.rows.len()
    );
    for section in Section::ALL {
        let rows: Vec<_> = c.rows.iter().filter(|r| r.section == section).collect();
        if rows.is_empty() {
            continue;
        }
        let suite = format!("{}: {}", c.scenario, section.title());
        let failures = rows.iter().filter(|r| r.verdict == Verdict::Regression).count();
        o.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\">\n",
            escape(&suite),
            rows.len()
        ));
        for r in rows {
            o.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\">",
                escape(&suite),
                escape(&r.metric)
            ));
            let change = if r.change.is_empty() {
                String::new()
            } else {
                format!(" ({})", r.change)
            };
            let moved = format!("base {}, new {}{change}", r.base, r.new);
            if r.verdict == Verdict::Regression {
                let message = format!("{moved}; tolerance: {}", r.tolerance);
                o.push_str(&format!(
                    "<failure message=\"{}\" type=\"regression\">{}: {}</failure>",
                    escape(&message),
                    escape(&r.metric),
                    escape(&message)
                ));
            } else {
                o.push_str(&format!(
                    "<system-out>{}: {}; tolerance: {}</system-out>",
                    escape(&moved),
                    r.verdict.as_str(),
                    escape(&r.tolerance)
                ));
            }
            o.push_str("</testcase>\n");
        }
        o.push_str("  </testsuite>\n");
    }
    o.push_str("</testsuites>\n");
    o
}
