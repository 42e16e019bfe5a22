//! Writes a generated GPU fleet scenario (`gpuaas_sim::bench::fleet`):
//! `cargo run --release --example fleet -- --nodes 1000 [--jobs N] [--queues 10] [--hours 24] [--seed 1] --out DIR`,
//! then `gpuaas-sim run DIR/scenario.yaml`. Without `--jobs`, 100 Jobs per node (about 78% of
//! the fleet's GPU-hours over a day).

use gpuaas_sim::bench::fleet::Fleet;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut fleet = Fleet::loaded(10);
    let mut jobs = None;
    let mut out = None;
    while let Some(flag) = args.next() {
        let Some(value) = args.next() else {
            eprintln!("error: {flag} needs a value");
            return ExitCode::from(2);
        };
        let number = || value.parse::<u32>().map_err(|e| format!("{flag} {value}: {e}"));
        let parsed = match flag.as_str() {
            "--nodes" => number().map(|n| fleet.nodes = n),
            "--jobs" => number().map(|n| jobs = Some(n)),
            "--queues" => number().map(|n| fleet.queues = n),
            "--hours" => number().map(|n| fleet.hours = n),
            "--seed" => value
                .parse::<u64>()
                .map(|n| fleet.seed = n)
                .map_err(|e| format!("--seed {value}: {e}")),
            "--out" => {
                out = Some(PathBuf::from(&value));
                Ok(())
            }
            other => Err(format!(
                "unknown flag {other} (expected --nodes, --jobs, --queues, --hours, --seed, --out)"
            )),
        };
        if let Err(e) = parsed {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }
    if fleet.nodes == 0 || fleet.queues == 0 || fleet.hours == 0 {
        eprintln!("error: --nodes, --queues and --hours must be at least 1");
        return ExitCode::from(2);
    }
    fleet.jobs = jobs.unwrap_or(fleet.nodes * 100);
    let Some(out) = out else {
        eprintln!("error: --out DIR is required");
        return ExitCode::from(2);
    };
    match fleet.write(&out) {
        Ok(path) => {
            println!("{}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: writing {}: {e}", out.display());
            ExitCode::from(1)
        }
    }
}
