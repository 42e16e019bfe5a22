//! What the presenter types at the rehearsal's prompt: an `oc`/`kubectl` command, which
//! runs at the current simulated instant, or one of the rehearsal's controls.

use crate::store::WorkloadState;
use crate::units::{SimDuration, SimTime};

/// One line typed at the prompt.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Input {
    /// An `oc` or `kubectl` command line, as typed.
    Oc(String),
    Pause,
    Resume,
    /// Simulated seconds per wall second.
    Speed(f64),
    /// Moves simulated time forward at once.
    Skip(SimDuration),
    /// Runs at full speed until the condition holds, then goes on at the pace.
    Until(Until),
    Help,
    /// Ends the rehearsal here, as Ctrl-C does.
    Quit,
    Empty,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Until {
    /// A workload (by its name, its owner's or its pod's, as `expect:` names them) in a
    /// state.
    State { name: String, state: WorkloadState },
    /// A simulated instant.
    Time(SimTime),
}

pub(crate) const HELP: &str = "\
  oc …/kubectl …        runs at the next whole simulated second (recorded with --record)
  pause | resume        holds or releases the clock
  speed X               X simulated seconds per wall second (e.g. speed 20)
  skip D                moves the clock forward by D (e.g. skip 5m)
  until NAME STATE      full speed until a workload is Pending|Admitted|Ready|Evicted|Finished
  until T               full speed until the simulated instant T (e.g. until 19m30s)
  help | quit";

/// Reads one typed line; the error says what was expected.
pub(crate) fn parse(line: &str) -> Result<Input, String> {
    let line = line.trim();
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some((&first, rest)) = words.split_first() else {
        return Ok(Input::Empty);
    };
    let arity = |n: usize, usage: &str| {
        if rest.len() == n {
            Ok(())
        } else {
            Err(format!("usage: {usage}"))
        }
    };
    match first {
        "oc" | "kubectl" => Ok(Input::Oc(line.to_string())),
        "pause" => arity(0, "pause").map(|_| Input::Pause),
        "resume" => arity(0, "resume").map(|_| Input::Resume),
        "help" | "?" => Ok(Input::Help),
        "quit" | "exit" => Ok(Input::Quit),
        "speed" => match rest {
            [x] => match x.trim_end_matches('x').parse::<f64>() {
                Ok(v) if v.is_finite() && v > 0.0 => Ok(Input::Speed(v)),
                _ => Err(format!("speed: `{x}` is not a positive number; e.g. speed 20")),
            },
            _ => Err("usage: speed X (simulated seconds per wall second, e.g. speed 20)".into()),
        },
        "skip" => match rest {
            [d] => SimDuration::parse(d).map(Input::Skip).map_err(|e| format!("skip: {e}")),
            _ => Err("usage: skip D (e.g. skip 5m)".into()),
        },
        "until" => match rest {
            [t] => SimDuration::parse(t)
                .map(|d| Input::Until(Until::Time(SimTime(d.0))))
                .map_err(|_| format!("until: `{t}` is not a duration; e.g. until 19m30s, or until devstral-2 Ready")),
            [name, state] => match WorkloadState::parse(state) {
                Some(state) => Ok(Input::Until(Until::State {
                    name: name.to_string(),
                    state,
                })),
                None => Err(format!(
                    "until: `{state}` is not a workload state; expected Pending, Admitted, Ready, Evicted or Finished"
                )),
            },
            _ => Err("usage: until NAME STATE (e.g. until devstral-2 Ready), or until T (e.g. until 19m30s)".into()),
        },
        other => Err(format!(
            "`{other}` is not a command here; type an oc or kubectl command, or help"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_lines_read_as_commands_or_controls() {
        let cases: &[(&str, Input)] = &[
            ("", Input::Empty),
            ("   ", Input::Empty),
            (
                "oc get pods -n private-ai",
                Input::Oc("oc get pods -n private-ai".into()),
            ),
            ("  kubectl get nodes ", Input::Oc("kubectl get nodes".into())),
            ("pause", Input::Pause),
            ("resume", Input::Resume),
            ("speed 20", Input::Speed(20.0)),
            ("speed 0.5x", Input::Speed(0.5)),
            ("skip 5m", Input::Skip(SimDuration(300_000))),
            (
                "until devstral-2 Ready",
                Input::Until(Until::State {
                    name: "devstral-2".into(),
                    state: WorkloadState::Ready,
                }),
            ),
            ("until 19m30s", Input::Until(Until::Time(SimTime(1_170_000)))),
            ("help", Input::Help),
            ("quit", Input::Quit),
        ];
        for (line, want) in cases {
            assert_eq!(parse(line).as_ref(), Ok(want), "{line:?}");
        }
    }

    #[test]
    fn a_mistyped_line_says_what_was_expected() {
        let cases = [
            ("speed fast", "is not a positive number"),
            ("speed 0", "is not a positive number"),
            ("speed", "usage: speed X"),
            ("skip soon", "is not a duration"),
            ("until devstral-2 Up", "is not a workload state"),
            ("until later", "is not a duration"),
            ("pause now", "usage: pause"),
            ("get pods", "type an oc or kubectl command"),
        ];
        for (line, want) in cases {
            let e = parse(line).expect_err(line);
            assert!(e.contains(want), "{line:?}: {e}");
        }
    }
}
