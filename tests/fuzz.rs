//! A mutation fuzzer over the bundled scenarios: each case copies a scenario folder,
//! damages one of its YAML files (keys deleted or duplicated, values swapped for extreme or
//! wrongly typed ones, truncation, stray bytes, deep nesting, alias bombs, odd `oc` lines)
//! and runs the real binary on it under a time and memory limit. Every run must end as the
//! tool promises — exit 0, 1 or 2, never a panic, an abort, a crash or a hang — and an input
//! error must say where it is.
//!
//! `GPUAAS_FUZZ_CASES` sets the number of cases (default 120, what CI runs);
//! `GPUAAS_FUZZ_SEED` the first case's seed. Crashing inputs are kept under
//! `target/fuzz-crashes/`.

mod common;
use common::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The scenarios mutated, each with its folder (copied whole: includes are relative).
const CORPUS: &[(&str, &str)] = &[
    ("scenarios/gpuaas-demo", "handover.yaml"),
    ("scenarios/gpuaas-demo", "rolling-update-deadlock.yaml"),
    ("scenarios/gpuaas-demo", "priority-queue.yaml"),
    ("scenarios/gpuaas-demo", "node-loss.yaml"),
    ("scenarios/multi-team", "fleet.yaml"),
    ("scenarios/llm-d", "scale-out.yaml"),
    ("scenarios/autoscaling", "cpu-vs-keda.yaml"),
    ("scenarios/autoscaling", "scale-to-zero.yaml"),
    ("scenarios/batch-frameworks", "frameworks.yaml"),
];

/// Values a mutation puts where a scalar was.
const EXTREMES: &[&str] = &[
    "-1",
    "0",
    "-0",
    "1e308",
    "-1e308",
    "99999999999999999999",
    "18446744073709551616",
    "NaN",
    ".inf",
    "inf",
    "\"\"",
    "null",
    "~",
    "[]",
    "{}",
    "true",
    "0.0000001",
    "1e9/s",
    "1e12/m",
    "99999999999999999999h",
    "99999999999999999999s",
    "0s",
    "-5m",
    "1e300",
    "4 cores",
    "999999999999Ti",
    "0.5",
    "\"../../escape\"",
    "\"a/../../b\"",
    "{dist: lognormal, mean: 1, sd: 1e300}",
    "{dist: lognormal, mean: 1e300, sd: 1}",
    "{dist: uniform, min: 10, max: 1}",
    "{dist: normal, mean: -5, sd: 0}",
];

/// Command lines a mutation puts in the timeline.
const ODD_COMMANDS: &[&str] = &[
    "",
    "oc",
    "kubectl",
    "oc get",
    "oc get pods -n",
    "oc scale deployment x --replicas=-1",
    "oc scale deployment x --replicas=99999999999",
    "oc delete pod",
    "oc apply -f /dev/null",
    "oc apply -f ../../../../etc/passwd",
    "oc label node x a=b=c",
    "oc annotate pods --all k-",
    "oc patch deployment x --type=json -p '[{\"op\":\"remove\",\"path\":\"/spec\"}]'",
    "oc patch deployment x -p '{'",
    "oc get pods -l 'a in (b'",
    "oc describe",
    "oc rollout restart",
    "oc adm drain",
    "oc get pods -o yaml",
    "oc get pods; rm -rf /",
    "oc get pods $(whoami)",
    "oc get pods \"unterminated",
    "oc   get   pods   -n   private-ai   -A",
    "oc logs",
    "oc logs deployment/x -c nope --tail=-5",
    "oc wait --for=condition=Ready pods --all --timeout=0",
    "oc wait --for=delete pod -l 'a in (b' --timeout=1ms",
    "oc get events -A -w --request-timeout=1ms --field-selector reason!=",
    "oc rollout status deployment/x --timeout=-1s",
];

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        let target = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &target);
        } else {
            std::fs::copy(&p, &target).unwrap();
        }
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
    out.sort();
}

/// Damages `text` once; returns what was done, for the report of a crash.
fn mutate(rng: &mut ChaCha8Rng, text: &mut Vec<u8>) -> String {
    let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
    let n = lines.len().max(1);
    let pick = rng.random_range(0..n);
    let joined = |lines: Vec<Vec<u8>>| lines.join(&b'\n');
    let owned: Vec<Vec<u8>> = lines.iter().map(|l| l.to_vec()).collect();
    match rng.random_range(0..14) {
        0 => {
            let mut l = owned;
            l.remove(pick.min(l.len().saturating_sub(1)));
            *text = joined(l);
            format!("deleted line {}", pick + 1)
        }
        1 => {
            let mut l = owned;
            let line = l.get(pick).cloned().unwrap_or_default();
            l.insert(pick, line);
            *text = joined(l);
            format!("duplicated line {}", pick + 1)
        }
        2 | 3 => {
            // Replace the value after a `key:` with an extreme one.
            let mut l = owned;
            let value = EXTREMES[rng.random_range(0..EXTREMES.len())];
            let line = String::from_utf8_lossy(&l[pick.min(l.len() - 1)]).to_string();
            let Some(colon) = line.find(": ") else {
                return "nothing (no key on the line)".into();
            };
            let new = format!("{}: {value}", &line[..colon]);
            let i = pick.min(l.len() - 1);
            l[i] = new.into_bytes();
            *text = joined(l);
            format!("line {}: value {value}", i + 1)
        }
        4 => {
            let cut = rng.random_range(0..=text.len());
            text.truncate(cut);
            format!("truncated at byte {cut}")
        }
        5 => {
            let at = rng.random_range(0..=text.len());
            let bytes: &[&[u8]] = &[
                b"\xff\xfe",
                b"\t",
                b"\0",
                b"\r",
                b":",
                b"- ",
                b"\"",
                b"'",
                b"&a ",
                b"*a",
                b"!!binary ",
                b"{",
                b"]",
            ];
            let b = bytes[rng.random_range(0..bytes.len())];
            text.splice(at..at, b.iter().copied());
            format!("inserted {:?} at byte {at}", String::from_utf8_lossy(b))
        }
        6 => {
            let depth = rng.random_range(1000..40000);
            let nested = if rng.random_bool(0.4) {
                format!("\nnested: {}{}\n", "[".repeat(depth), "]".repeat(depth))
            } else if rng.random_bool(0.5) {
                // Compact block sequences: `- - - … x`, two bytes a level.
                format!("\nnested:\n{}x\n", "- ".repeat(depth))
            } else {
                let mut s = String::from("\nnested:\n");
                for i in 0..depth.min(3000) {
                    s.push_str(&" ".repeat(i + 1));
                    s.push_str("-\n");
                }
                s
            };
            text.extend_from_slice(nested.as_bytes());
            format!("appended {depth} levels of nesting")
        }
        7 => {
            let bomb = "\n---\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n";
            text.extend_from_slice(bomb.as_bytes());
            "appended an alias bomb".into()
        }
        8 => {
            // A key misspelt: two letters swapped.
            let mut l = owned;
            let i = pick.min(l.len() - 1);
            let line = String::from_utf8_lossy(&l[i]).to_string();
            let Some(colon) = line.find(':') else {
                return "nothing (no key on the line)".into();
            };
            let key: Vec<char> = line[..colon].chars().collect();
            let letters: Vec<usize> = (1..key.len())
                .filter(|&j| key[j].is_alphabetic() && key[j - 1].is_alphabetic())
                .collect();
            if letters.is_empty() {
                return "nothing (key too short)".into();
            }
            let j = letters[rng.random_range(0..letters.len())];
            let mut key = key;
            key.swap(j - 1, j);
            l[i] = format!("{}{}", key.iter().collect::<String>(), &line[colon..]).into_bytes();
            *text = joined(l);
            format!("line {}: key misspelt", i + 1)
        }
        9 => {
            let mut l = owned;
            let i = pick.min(l.len() - 1);
            let shift = rng.random_range(1..4);
            let mut line = vec![b' '; shift];
            line.extend_from_slice(&l[i]);
            l[i] = line;
            *text = joined(l);
            format!("line {}: indented by {shift}", i + 1)
        }
        10 => {
            // An odd command in the timeline.
            let cmd = ODD_COMMANDS[rng.random_range(0..ODD_COMMANDS.len())];
            let s = String::from_utf8_lossy(text).to_string();
            let Some(at) = s.find("run: \"") else {
                return "nothing (no timeline)".into();
            };
            let end = s[at + 6..].find('"').map(|e| at + 6 + e).unwrap_or(s.len());
            let escaped = cmd.replace('\\', "\\\\").replace('"', "\\\"");
            *text = format!("{}run: \"{escaped}{}", &s[..at], &s[end..]).into_bytes();
            format!("command `{cmd}`")
        }
        12 | 13 => {
            // A key that sizes the run (durations, rates, counts, distributions) set to an
            // extreme, wherever it appears.
            let keys = [
                "duration",
                "rate",
                "sd",
                "mean",
                "min",
                "max",
                "count",
                "replicas",
                "nominalQuota",
                "at",
                "start",
                "speed",
                "metricsWindow",
                "name",
                "seed",
                "parallelism",
                "completions",
                "size",
                "timeout",
                "jobRunTime",
                "minReplicas",
                "terminationGracePeriodSeconds",
                "nvidia.com/gpu",
                "memory",
                "cpu",
            ];
            let key = keys[rng.random_range(0..keys.len())];
            let value = EXTREMES[rng.random_range(0..EXTREMES.len())];
            let s = String::from_utf8_lossy(text).to_string();
            let needle = format!("{key}: ");
            let found: Vec<usize> = s.match_indices(&needle).map(|(i, _)| i).collect();
            if found.is_empty() {
                return format!("nothing (no {key})");
            }
            let at = found[rng.random_range(0..found.len())] + needle.len();
            let end = s[at..].find([',', '}', '\n']).map(|e| at + e).unwrap_or(s.len());
            *text = format!("{}{value}{}", &s[..at], &s[end..]).into_bytes();
            format!("{key}: {value}")
        }
        _ => {
            // A kind or apiVersion changed.
            let s = String::from_utf8_lossy(text).to_string();
            let kinds = [
                "ClusterQeue",
                "Scenaro",
                "Pod",
                "Job",
                "Workload",
                "Node",
                "Namespace",
                "Secret",
                "Unknown",
            ];
            let new = kinds[rng.random_range(0..kinds.len())];
            let Some(at) = s.find("kind: ") else {
                return "nothing (no kind)".into();
            };
            let end = s[at..].find('\n').map(|e| at + e).unwrap_or(s.len());
            *text = format!("{}kind: {new}{}", &s[..at], &s[end..]).into_bytes();
            format!("kind changed to {new}")
        }
    }
}

/// How a run ended.
enum Ending {
    /// Exit 0 or 1 (ran; expectations held or not), or 2 with a location.
    Fine(i32),
    Crashed(String),
}

fn run_case(scenario: &Path, out: &Path) -> Ending {
    let started = Instant::now();
    // Two minutes and 2 GiB of address space: a run that needs more is a hang or a
    // memory blow-up, not a verdict on its input.
    let result = Command::new("prlimit")
        .arg("--as=2147483648")
        .arg("--")
        .arg("timeout")
        .arg("120")
        .arg(env!("CARGO_BIN_EXE_gpuaas-sim"))
        .args(["run", "-q"])
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .output()
        .expect("prlimit and timeout run");
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&result.stderr).to_string();
    match result.status.code() {
        Some(code @ (0 | 1)) => Ending::Fine(code),
        Some(2) if stderr.contains(".yaml") || stderr.contains(".csv") || stderr.contains("error:") => Ending::Fine(2),
        Some(2) => Ending::Crashed(format!("exit 2 without saying where: {stderr}")),
        Some(124) => Ending::Crashed(format!("hang: killed after {took:?}")),
        Some(code) => Ending::Crashed(format!(
            "exit {code}: {}",
            stderr.lines().take(5).collect::<Vec<_>>().join(" | ")
        )),
        None => Ending::Crashed(format!(
            "killed by a signal after {took:?}: {}",
            stderr.lines().take(3).collect::<Vec<_>>().join(" | ")
        )),
    }
}

#[test]
fn no_input_crashes_the_simulator() {
    let cases: u64 = std::env::var("GPUAAS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120);
    let first: u64 = std::env::var("GPUAAS_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let crash_dir = repo().join("target").join("fuzz-crashes");
    let mut crashes = Vec::new();
    let mut exits = [0u64; 3];
    let started = Instant::now();
    for seed in first..first + cases {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (folder, file) = CORPUS[rng.random_range(0..CORPUS.len())];
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("s");
        copy_dir(&repo().join(folder), &root);
        // Traces and other shared inputs live beside the scenario folders.
        copy_dir(&repo().join("scenarios/traces"), &dir.path().join("traces"));
        let mut files = Vec::new();
        yaml_files(&root, &mut files);
        let mut done = Vec::new();
        for _ in 0..rng.random_range(1..=3) {
            let target = if rng.random_bool(0.5) {
                root.join(file)
            } else {
                files[rng.random_range(0..files.len())].clone()
            };
            let mut text = std::fs::read(&target).unwrap();
            let what = mutate(&mut rng, &mut text);
            std::fs::write(&target, &text).unwrap();
            done.push(format!("{}: {what}", target.strip_prefix(&root).unwrap().display()));
        }
        let ending = run_case(&root.join(file), &dir.path().join("out"));
        if let Ending::Fine(code) = ending {
            exits[code as usize] += 1;
        } else if let Ending::Crashed(why) = ending {
            let keep = crash_dir.join(format!("seed-{seed}"));
            let _ = std::fs::remove_dir_all(&keep);
            copy_dir(&root, &keep);
            crashes.push(format!("seed {seed} ({folder}/{file}; {}): {why}", done.join("; ")));
        }
    }
    eprintln!(
        "{cases} mutated inputs from seed {first} in {:.1?}: {} ran to a report, {} refused with a location (exit 2), {} crashed",
        started.elapsed(),
        exits[0] + exits[1],
        exits[2],
        crashes.len()
    );
    assert!(
        crashes.is_empty(),
        "{} of {cases} inputs crashed (kept under target/fuzz-crashes/):\n{}",
        crashes.len(),
        crashes.join("\n")
    );
}
