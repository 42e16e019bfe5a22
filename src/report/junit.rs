//! `check --junit FILE`: JUnit XML as CI servers read it, one test suite per scenario and
//! one test case per expectation.

use super::html::escape;
use crate::scenario::expect::Outcome;

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
