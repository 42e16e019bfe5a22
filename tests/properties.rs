//! Properties of the simulator over random valid scenarios (`tests/generator/`), each
//! run by the real binary under a time and memory limit:
//!
//! - every generated scenario runs to exit 0 or 1 and writes every report (report.json,
//!   report.md, report.html, each plot report.md links, and at least one plot when there
//!   are nodes, workloads or requests; never a negative zero); an exit 2 is a bug, of the
//!   generator (an input it should not have written) or of the simulator (a valid input
//!   it refuses or cannot finish);
//! - the run is deterministic: run twice into one folder and once into another, the
//!   reports are byte-identical, and so is what `run` prints; the same scenario given as
//!   two copies in one `run` gives each copy the same reports (up to the copy's name);
//! - `check` on it ends with exit 0 or 1, never a panic.
//!
//! `GPUAAS_PROP_CASES` sets the number of scenarios (default 30, what CI runs),
//! `GPUAAS_PROP_SEED` the first one's seed. Failing scenarios are kept under
//! `target/property-failures/seed-N/`; `GPUAAS_PROP_KEEP=1` keeps every one.

mod common;
mod generator;

use common::repo;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long one run of the binary may take.
const TIMEOUT_S: u64 = 60;

/// Runs the binary in `cwd` with a minute and 4 GiB of address space: a generated
/// scenario takes seconds, so more is a hang or a memory blow-up.
fn gpuaas(cwd: &Path, args: &[&str]) -> Output {
    Command::new("prlimit")
        .arg("--as=4294967296")
        .arg("--")
        .arg("timeout")
        .arg(TIMEOUT_S.to_string())
        .arg(env!("CARGO_BIN_EXE_gpuaas-sim"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("prlimit and timeout run")
}

/// How a run ended, in words, when it did not end as the tool promises.
fn bad_exit(what: &str, out: &Output, allowed: &[i32]) -> Option<String> {
    let code = out.status.code();
    if code.is_some_and(|c| allowed.contains(&c)) {
        return None;
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(12).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Some(match code {
        Some(2) => format!("{what}: exit 2 (the generator wrote an input the simulator refuses, or the simulator failed on a valid one):\n{}", tail.join("\n")),
        Some(124) => format!("{what}: hang, killed after {TIMEOUT_S} s"),
        Some(c) => format!("{what}: exit {c}:\n{}", tail.join("\n")),
        None => format!("{what}: killed by a signal:\n{}", tail.join("\n")),
    })
}

/// Every file under `dir`, by relative path.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).expect("under root").to_string_lossy().to_string();
                out.insert(rel, std::fs::read(&p).expect("report file reads"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The reports `run --out` promises: the three documents, and every plot report.md links.
fn missing_reports(files: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut missing: Vec<String> = ["report.json", "report.md", "report.html"]
        .into_iter()
        .filter(|f| !files.contains_key(*f))
        .map(str::to_string)
        .collect();
    if let Some(md) = files.get("report.md") {
        let md = String::from_utf8_lossy(md);
        for link in md.split("](").skip(1) {
            let target = link.split(')').next().unwrap_or_default();
            if target.starts_with("plots/") && !files.contains_key(target) {
                missing.push(target.to_string());
            }
        }
    }
    // A run with no nodes, workloads or requests has nothing to plot.
    let something_to_plot = files
        .get("report.json")
        .and_then(|j| serde_json::from_slice::<serde_json::Value>(j).ok())
        .is_some_and(|r| {
            ["nodes", "workloads", "models"].iter().any(|k| match &r[*k] {
                serde_json::Value::Array(a) => !a.is_empty(),
                serde_json::Value::Object(o) => !o.is_empty(),
                _ => false,
            })
        });
    if something_to_plot && !files.keys().any(|k| k.starts_with("plots/") && k.ends_with(".svg")) {
        missing.push("plots/*.svg".into());
    }
    missing
}

/// The first difference between two report folders, in words.
fn difference(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) -> Option<String> {
    let names_a: Vec<&String> = a.keys().collect();
    let names_b: Vec<&String> = b.keys().collect();
    if names_a != names_b {
        return Some(format!("different files: {names_a:?} against {names_b:?}"));
    }
    for (name, bytes) in a {
        let other = &b[name];
        if bytes != other {
            let at = bytes
                .iter()
                .zip(other)
                .position(|(x, y)| x != y)
                .unwrap_or(bytes.len().min(other.len()));
            let from = at.saturating_sub(80);
            let show = |v: &[u8]| String::from_utf8_lossy(&v[from..(at + 80).min(v.len())]).to_string();
            return Some(format!(
                "{name} differs at byte {at}:\n  first:  {}\n  second: {}",
                show(bytes),
                show(other)
            ));
        }
    }
    None
}

/// Runs every property on the scenario of `seed`; the failures, in words.
fn check_scenario(seed: u64, work: &Path) -> Vec<String> {
    let name_a = format!("gen-{seed}-a");
    let name_b = format!("gen-{seed}-b");
    let a = generator::generate(seed, &name_a);
    a.write(&work.join(&name_a));
    let scenario_a = format!("{name_a}/{}", a.scenario);
    let mut failures = Vec::new();

    let first = gpuaas(work, &["run", &scenario_a, "--out", "out1"]);
    if let Some(f) = bad_exit("run", &first, &[0, 1]) {
        failures.push(f);
        return failures;
    }
    let reports = snapshot(&work.join("out1"));
    let missing = missing_reports(&reports);
    if !missing.is_empty() {
        failures.push(format!("run --out wrote no {}", missing.join(", ")));
    }
    // A negative zero is an empty float sum showing through: "$-0.00", "-0.0 GPU-hours".
    let printed = String::from_utf8_lossy(&first.stdout);
    let json = reports
        .get("report.json")
        .map(|j| String::from_utf8_lossy(j).into_owned());
    if printed.contains("$-0.00") || json.is_some_and(|j| j.contains(": -0.0")) {
        failures.push("a report shows a negative zero".into());
    }

    // Again into the same folder: the same reports, and the same words on stdout.
    let again = gpuaas(work, &["run", &scenario_a, "--out", "out1"]);
    if let Some(f) = bad_exit("second run", &again, &[0, 1]) {
        failures.push(f);
    } else {
        if let Some(d) = difference(&reports, &snapshot(&work.join("out1"))) {
            failures.push(format!("nondeterministic: a second run into the same folder: {d}"));
        }
        if first.stdout != again.stdout {
            let (x, y) = (
                String::from_utf8_lossy(&first.stdout),
                String::from_utf8_lossy(&again.stdout),
            );
            let line = x.lines().zip(y.lines()).find(|(p, q)| p != q);
            failures.push(format!(
                "nondeterministic: run printed something else the second time: {line:?}"
            ));
        }
    }

    let elsewhere = gpuaas(work, &["run", "-q", &scenario_a, "--out", "out2"]);
    if let Some(f) = bad_exit("run into another folder", &elsewhere, &[0, 1]) {
        failures.push(f);
    } else if let Some(d) = difference(&reports, &snapshot(&work.join("out2"))) {
        failures.push(format!("nondeterministic: a run into another folder: {d}"));
    }

    // Two copies in one invocation: each copy's reports are the single run's, the
    // copy's name aside (it is in the report and in the expectations' locations).
    let b = generator::generate(seed, &name_b);
    b.write(&work.join(&name_b));
    let scenario_b = format!("{name_b}/{}", b.scenario);
    let both = gpuaas(work, &["run", "-q", &scenario_a, &scenario_b, "--out", "out3"]);
    if let Some(f) = bad_exit("run of two copies", &both, &[0, 1]) {
        failures.push(f);
    } else {
        if let Some(d) = difference(&reports, &snapshot(&work.join("out3").join(&name_a))) {
            failures.push(format!("nondeterministic: the first of two copies in one run: {d}"));
        }
        let renamed: BTreeMap<String, Vec<u8>> = snapshot(&work.join("out3").join(&name_b))
            .into_iter()
            .map(|(k, v)| (k, replace(&v, name_b.as_bytes(), name_a.as_bytes())))
            .collect();
        if let Some(d) = difference(&reports, &renamed) {
            failures.push(format!("nondeterministic: the second of two copies in one run: {d}"));
        }
    }

    let check = gpuaas(work, &["check", "-q", &scenario_a]);
    if let Some(f) = bad_exit("check", &check, &[0, 1]) {
        failures.push(f);
    }
    failures
}

fn replace(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

fn env_u64(key: &str, default: u64) -> u64 {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn generated_scenarios_run_deterministically_and_never_crash() {
    let cases = env_u64("GPUAAS_PROP_CASES", 30);
    let first = env_u64("GPUAAS_PROP_SEED", 1);
    let keep_all = std::env::var("GPUAAS_PROP_KEEP").is_ok_and(|v| v == "1");
    let kept = repo().join("target").join("property-failures");
    // The cores this process may use (a `taskset` is respected), up to four.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4) as u64;
    let next = AtomicU64::new(first);
    let failures: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let slowest: Mutex<(Duration, u64)> = Mutex::new((Duration::ZERO, 0));
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::SeqCst);
                if seed >= first + cases {
                    return;
                }
                let t = Instant::now();
                let dir = tempfile::tempdir().expect("temporary folder");
                let found = check_scenario(seed, dir.path());
                let took = t.elapsed();
                {
                    let mut s = slowest.lock().expect("lock");
                    if took > s.0 {
                        *s = (took, seed);
                    }
                }
                if !found.is_empty() || keep_all {
                    let keep = kept.join(format!("seed-{seed}"));
                    let _ = std::fs::remove_dir_all(&keep);
                    copy_dir(&dir.path().join(format!("gen-{seed}-a")), &keep);
                }
                if !found.is_empty() {
                    let about = generator::generate(seed, "x").about;
                    failures
                        .lock()
                        .expect("lock")
                        .push(format!("seed {seed} ({about}):\n  {}", found.join("\n  ")));
                }
            });
        }
    });
    let failures = failures.into_inner().expect("lock");
    let (slow, slow_seed) = slowest.into_inner().expect("lock");
    eprintln!(
        "{cases} generated scenarios from seed {first} in {:.1?} on {threads} thread(s), slowest seed {slow_seed} ({slow:.1?}), {} failing",
        started.elapsed(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} generated scenarios broke a property (kept under {}):\n{}",
        failures.len(),
        kept.display(),
        failures.join("\n")
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("folder created");
    for e in std::fs::read_dir(from).expect("folder reads").flatten() {
        let p: PathBuf = e.path();
        let target = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &target);
        } else {
            std::fs::copy(&p, &target).expect("file copied");
        }
    }
}

/// The generator is a function of its seed: the same seed writes the same files, and
/// the name changes nothing but the name.
#[test]
fn the_generator_is_deterministic() {
    for seed in 0..50 {
        let a = generator::generate(seed, "gen-x");
        let b = generator::generate(seed, "gen-x");
        assert_eq!(a.files, b.files, "seed {seed}");
        let c = generator::generate(seed, "gen-y");
        let renamed: Vec<(String, String)> = c
            .files
            .iter()
            .map(|(p, t)| (p.clone(), t.replace("gen-y", "gen-x")))
            .collect();
        assert_eq!(a.files, renamed, "seed {seed}");
    }
}
