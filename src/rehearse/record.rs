//! `--record FILE`: what was typed during a rehearsal, at the instants it ran, as a
//! Scenario that `extends` the rehearsed one — so `gpuaas-sim check FILE` replays it.

use crate::scenario::document::TimelineEntry;
use std::path::{Component, Path, PathBuf};

/// The recorded Scenario's text: `extends` the base (relative to where the recording is
/// written), the base's name, and the typed commands as timeline entries.
pub(crate) fn recording(base: &Path, record: &Path, name: &str, typed: &[TimelineEntry]) -> String {
    let extends = relative_to(base, record.parent().unwrap_or(Path::new(".")));
    let mut out = String::new();
    out += &format!(
        "# Recorded by `gpuaas-sim rehearse --interactive` on {}: the commands typed, at the\n\
         # simulated instants they ran. `gpuaas-sim check` on this file replays them with the\n\
         # base scenario's expectations; add `expect:` entries of your own below.\n",
        base.display()
    );
    out += "apiVersion: gpuaas-sim/v1alpha1\nkind: Scenario\nmetadata:\n";
    out += &format!(
        "  name: {name}\nspec:\n  extends: {}\n",
        quote(&extends.to_string_lossy())
    );
    if typed.is_empty() {
        out += "  timeline: []\n";
    } else {
        out += "  timeline:\n";
        for e in typed {
            out += &format!(
                "    - {{at: {}, run: {}}}\n",
                crate::units::SimDuration(e.at.0),
                quote(&e.text)
            );
        }
    }
    out
}

/// A YAML double-quoted scalar (JSON's string syntax is one).
fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// `path` as seen from the folder `from`: relative when they share more than the root,
/// else absolute.
pub(crate) fn relative_to(path: &Path, from: &Path) -> PathBuf {
    let absolute = |p: &Path| std::path::absolute(p).map(|a| crate::scenario::document::lexically_normal(&a));
    let (Ok(path), Ok(from)) = (absolute(path), absolute(from)) else {
        return path.to_path_buf();
    };
    let (p, f): (Vec<Component>, Vec<Component>) = (path.components().collect(), from.components().collect());
    let common = p.iter().zip(&f).take_while(|(a, b)| a == b).count();
    // Sharing only the root: the absolute path says more than a climb to it.
    if common <= 1 {
        return path;
    }
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in p.iter().skip(common) {
        out.push(c.as_os_str());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_is_named_from_where_the_recording_lies() {
        let cases = [
            (
                "/a/scenarios/demo/handover.yaml",
                "/a/rehearsals",
                "../scenarios/demo/handover.yaml",
            ),
            ("/a/scenarios/demo/handover.yaml", "/a/scenarios/demo", "handover.yaml"),
            ("/a/b/../scenarios/x.yaml", "/a/out/./deep", "../../scenarios/x.yaml"),
            ("/work/scenarios/x.yaml", "/tmp/rec", "/work/scenarios/x.yaml"),
        ];
        for (path, from, want) in cases {
            assert_eq!(
                relative_to(Path::new(path), Path::new(from)),
                PathBuf::from(want),
                "{path} from {from}"
            );
        }
    }

    #[test]
    fn typed_commands_become_timeline_entries_at_their_instants() {
        let entry = |at_ms: u64, text: &str| TimelineEntry {
            at: crate::units::SimTime(at_ms),
            text: text.into(),
            command: crate::scenario::command::parse_command(text).unwrap_or_else(|e| panic!("{e:?}")),
            loc: crate::manifest::error::Loc::file("<typed>"),
        };
        let text = recording(
            Path::new("/a/scenarios/handover.yaml"),
            Path::new("/a/rehearsals/take1.yaml"),
            "handover",
            &[
                entry(604_000, "oc get pods -n private-ai"),
                entry(720_000, r#"oc annotate pod x -n private-ai note="a b""#),
            ],
        );
        assert!(text.contains("  extends: \"../scenarios/handover.yaml\"\n"), "{text}");
        assert!(
            text.contains("    - {at: 10m4s, run: \"oc get pods -n private-ai\"}\n"),
            "{text}"
        );
        assert!(
            text.contains(r#"    - {at: 12m, run: "oc annotate pod x -n private-ai note=\"a b\""}"#),
            "{text}"
        );
    }
}
