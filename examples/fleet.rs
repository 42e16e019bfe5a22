//! Writes a generated fleet scenario (`gpuaas_sim::bench::fleet`), then
//! `gpuaas-sim run DIR/scenario.yaml`:
//!
//! - batch: `cargo run --release --example fleet -- --nodes 1000 [--jobs N] [--queues 10]
//!   [--hours 24] [--seed 1] --out DIR` — without `--jobs`, 100 Jobs per node per day of
//!   `--hours` (about 78% of the fleet's GPU-hours);
//! - serving: `cargo run --release --example fleet -- --replicas 1000 [--router random]
//!   [--hours 8] [--seed 1] --out DIR` — one InferenceService, one request per second per
//!   replica.

use gpuaas_sim::bench::fleet::{Fleet, ServingFleet};
use std::path::PathBuf;
use std::process::ExitCode;

const ROUTERS: [&str; 4] = ["random", "round-robin", "least-outstanding", "prefix-aware"];

fn main() -> ExitCode {
    match run() {
        Ok(path) => {
            println!("{}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

const USAGE: &str = "usage: fleet --nodes N [--jobs N] [--queues 10] [--hours 24] [--seed 1] --out DIR
       fleet --replicas N [--router random|round-robin|least-outstanding|prefix-aware] [--hours 8] [--seed 1] --out DIR
Writes DIR/scenario.yaml: a batch fleet of N p4de.24xlarge nodes and (by default) 100 Jobs per
node per day, or a serving fleet of N Llama 3.1 8B replicas on H100s.";

fn run() -> Result<PathBuf, String> {
    let mut args = std::env::args().skip(1);
    let mut fleet = Fleet::loaded(10);
    let (mut jobs, mut hours, mut replicas, mut router, mut out) = (None, None, None, None, None);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = || value.parse::<u32>().map_err(|e| format!("{flag} {value}: {e}"));
        match flag.as_str() {
            "--nodes" => fleet.nodes = number()?,
            "--jobs" => jobs = Some(number()?),
            "--queues" => fleet.queues = number()?,
            "--hours" => hours = Some(number()?),
            "--seed" => fleet.seed = value.parse().map_err(|e| format!("--seed {value}: {e}"))?,
            "--replicas" => replicas = Some(number()?),
            "--router" if ROUTERS.contains(&value.as_str()) => router = Some(value),
            "--router" => return Err(format!("--router {value}: expected one of {}", ROUTERS.join(", "))),
            "--out" => out = Some(PathBuf::from(&value)),
            other => return Err(format!("unknown flag {other}\n{USAGE}")),
        }
    }
    let out = out.ok_or_else(|| format!("--out DIR is required\n{USAGE}"))?;
    let written = match replicas {
        Some(replicas) => {
            if replicas == 0 || hours == Some(0) {
                return Err("--replicas and --hours must be at least 1".into());
            }
            let serving = ServingFleet {
                replicas,
                router: router.unwrap_or_else(|| "random".into()),
                hours: hours.unwrap_or(8),
                seed: fleet.seed,
            };
            serving.write(&out)
        }
        None => {
            fleet.hours = hours.unwrap_or(fleet.hours);
            if fleet.nodes == 0 || fleet.queues == 0 || fleet.hours == 0 {
                return Err("--nodes, --queues and --hours must be at least 1".into());
            }
            if router.is_some() {
                return Err("--router goes with --replicas (a serving fleet)".into());
            }
            if fleet.queues > fleet.nodes * 8 {
                return Err(format!(
                    "--queues {} for {} GPUs leaves some queue no quota; give at most one queue per GPU",
                    fleet.queues,
                    fleet.nodes * 8
                ));
            }
            // 100 Jobs per node per day keeps the load at about 78% whatever the window.
            let per_window = u64::from(fleet.nodes) * 100 * u64::from(fleet.hours) / 24;
            fleet.jobs = match jobs {
                Some(j) => j,
                None => u32::try_from(per_window.max(1)).map_err(|_| "too many Jobs: give --jobs".to_string())?,
            };
            fleet.write(&out)
        }
    };
    written.map_err(|e| format!("writing {}: {e}", out.display()))
}
