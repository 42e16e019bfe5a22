use clap::{Parser, Subcommand};
use gpuaas_sim::catalog::Catalog;
use gpuaas_sim::manifest::error::InputErrors;
use gpuaas_sim::progress::{Display, Progress};
use gpuaas_sim::report::compare::Tolerances;
use gpuaas_sim::report::write_atomic;
use gpuaas_sim::report::Report;
use gpuaas_sim::scenario::run::{discover_with, Prepared};
use gpuaas_sim::serving::replica::Fidelity;
use gpuaas_sim::Completed;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "gpuaas-sim",
    version,
    about = "Discrete-event simulator of GPU-as-a-Service Kubernetes clusters (Kueue, KServe/vLLM)"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
    /// No progress bar; `run` prints nothing but errors, `check` only failures and the count.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Inputs of kinds the simulation skips (a Secret, a Route, a CRD it does not know) are
    /// errors instead of a list of what was left out.
    #[arg(long, global = true)]
    strict: bool,
    /// A folder of catalog files (any of gpus.yaml, instances.yaml, models.yaml,
    /// storage.yaml, vllm.yaml) laid over the bundled catalog: negotiated prices, new
    /// instance types and model cards, the cluster's storage speed, pre-pulled images.
    #[arg(long, global = true, value_name = "DIR")]
    catalog: Option<PathBuf>,
}

/// How `compare` prints its result.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Markdown,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run Scenario files, manifest files or folders and print a summary.
    Run {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Write report.json and report.md here (one subfolder per scenario when several).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// How replicas advance: `fast` (closed-form decode runs) or `step` (every engine step).
        #[arg(long, value_enum)]
        fidelity: Option<Fidelity>,
    },
    /// Run scenarios and evaluate their `expect:` lists. Exit 0: all hold, 1: one failed, 2: input error.
    Check {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Write a JUnit XML file, one test case per expectation.
        #[arg(long)]
        junit: Option<PathBuf>,
        /// How replicas advance: `fast` (closed-form decode runs) or `step` (every engine step).
        #[arg(long, value_enum)]
        fidelity: Option<Fidelity>,
    },
    /// Not available in this version.
    Lint { paths: Vec<PathBuf> },
    /// Compare two runs' report.json: what moved, and exit 1 when something regressed
    /// beyond its tolerance.
    Compare {
        base: PathBuf,
        new: PathBuf,
        /// A latency percentile rising more than this many percent (and over 1 ms).
        #[arg(long, default_value_t = 10.0, value_name = "PERCENT")]
        latency_tolerance: f64,
        /// Total cost or cost per million output tokens rising more than this many percent.
        #[arg(long, default_value_t = 5.0, value_name = "PERCENT")]
        cost_tolerance: f64,
        /// A workload admitted this many seconds later (or no longer admitted).
        #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
        admission_tolerance: f64,
        /// An InferenceService without a ready replica this many seconds longer.
        #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
        downtime_tolerance: f64,
        /// GPU allocated or busy fraction dropping by more than this many points.
        #[arg(long, default_value_t = 5.0, value_name = "POINTS")]
        utilization_tolerance: f64,
        /// The share of failed requests rising by more than this many points.
        #[arg(long, default_value_t = 1.0, value_name = "POINTS")]
        failure_tolerance: f64,
        /// A model's SLO attainment, overall or of one term, dropping by more than this
        /// many points.
        #[arg(long, default_value_t = 1.0, value_name = "POINTS")]
        slo_tolerance: f64,
        /// Show every figure compared, not only those that moved.
        #[arg(long)]
        all: bool,
        /// `text` (a table for the terminal) or `markdown` (a summary for a pull request:
        /// the verdict, then one table per section).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Write a JUnit XML file, one test case per figure compared; a regression is a
        /// failure.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
    },
    /// Not available in this version.
    Sweep { args: Vec<String> },
    /// Not available in this version.
    Recommend { args: Vec<String> },
    /// Not available in this version.
    Rehearse { args: Vec<String> },
}

fn input_error(e: InputErrors) -> ExitCode {
    eprintln!("{e}");
    eprintln!("error: {} input problem(s); nothing was run", e.0.len());
    ExitCode::from(2)
}

/// The catalog the scenarios run with: the bundled one, with `--catalog`'s files laid
/// over it.
fn catalog(dir: Option<&Path>) -> Result<Arc<Catalog>, ExitCode> {
    let bundled = Catalog::bundled();
    match dir {
        Some(d) => bundled.with_dir(d).map(Arc::new).map_err(input_error),
        None => Ok(Arc::new(bundled)),
    }
}

/// The scenarios of the inputs; with `--strict`, what the simulation would skip is an
/// error too.
fn prepare(paths: &[PathBuf], strict: bool, catalog_dir: Option<&Path>) -> Result<Vec<Prepared>, ExitCode> {
    let prepared = discover_with(paths, &catalog(catalog_dir)?).map_err(input_error)?;
    if strict {
        let skipped: Vec<String> = prepared
            .iter()
            .flat_map(|p| &p.skipped)
            .map(|(kind, name, loc, note)| {
                format!("{loc}: {kind} {name} is not simulated ({note}); --strict refuses it")
            })
            .collect();
        if !skipped.is_empty() {
            for s in &skipped {
                eprintln!("{s}");
            }
            eprintln!("error: {} input problem(s); nothing was run", skipped.len());
            return Err(ExitCode::from(2));
        }
    }
    Ok(prepared)
}

/// What the progress bar calls a scenario: its name, and its place when there are several.
fn progress_label(p: &Prepared, i: usize, count: usize) -> String {
    if count > 1 {
        format!("{} ({}/{count})", p.scenario.name, i + 1)
    } else {
        p.scenario.name.clone()
    }
}

/// Runs one prepared scenario with a progress bar; a run that could not finish is said
/// with the scenario it was, exit 2.
fn simulate_one(p: Prepared, i: usize, count: usize, quiet: bool) -> Result<Completed, ExitCode> {
    let file = p.scenario.file.display().to_string();
    let progress = Arc::new(Progress::default());
    let _bar = Display::start(progress_label(&p, i, count), progress.clone(), !quiet);
    gpuaas_sim::simulate_with(p, &progress).map_err(|e| {
        eprintln!("{file}: error: {e}");
        ExitCode::from(2)
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let quiet = cli.quiet;
    let strict = cli.strict;
    let catalog = cli.catalog.as_deref();
    let outcome = match cli.command {
        Cmd::Run {
            paths,
            out,
            seed,
            fidelity,
        } => cmd_run(&paths, out.as_deref(), seed, fidelity, quiet, strict, catalog),
        Cmd::Check { paths, junit, fidelity } => cmd_check(&paths, junit.as_deref(), fidelity, quiet, strict, catalog),
        Cmd::Compare {
            base,
            new,
            latency_tolerance,
            cost_tolerance,
            admission_tolerance,
            downtime_tolerance,
            utilization_tolerance,
            failure_tolerance,
            slo_tolerance,
            all,
            format,
            junit,
        } => {
            let tolerances = Tolerances {
                latency_pct: latency_tolerance,
                cost_pct: cost_tolerance,
                admission_s: admission_tolerance,
                downtime_s: downtime_tolerance,
                utilization_points: utilization_tolerance,
                failure_points: failure_tolerance,
                slo_points: slo_tolerance,
            };
            cmd_compare(&base, &new, &tolerances, all, format, junit.as_deref())
        }
        Cmd::Lint { .. } | Cmd::Sweep { .. } | Cmd::Recommend { .. } | Cmd::Rehearse { .. } => {
            eprintln!(
                "error: this command is not available in this version of gpuaas-sim; available: run, check, compare"
            );
            Err(ExitCode::from(2))
        }
    };
    let _ = std::io::stdout().flush();
    outcome.unwrap_or_else(|code| code)
}

/// `run`: each scenario's summary and timeline, and its reports with `--out`.
fn cmd_run(
    paths: &[PathBuf],
    out: Option<&Path>,
    seed: Option<u64>,
    fidelity: Option<Fidelity>,
    quiet: bool,
    strict: bool,
    catalog: Option<&Path>,
) -> Result<ExitCode, ExitCode> {
    let prepared = prepare(paths, strict, catalog)?;
    let many = prepared.len() > 1;
    let count = prepared.len();
    // Every scenario runs before any report is written: a run that fails leaves no
    // reports of the others behind, half of a set.
    let mut reports = Vec::new();
    for (i, mut p) in prepared.into_iter().enumerate() {
        if let Some(s) = seed {
            p.scenario.seed = s;
        }
        if let Some(f) = fidelity {
            p.scenario.fidelity = f;
        }
        let done = simulate_one(p, i, count, quiet)?;
        if !quiet {
            print!("{}", gpuaas_sim::report::summary::render(&done.report));
            for t in &done.result.transcript {
                println!("\n[{}] $ {}\n{}", t.t, t.command, t.output);
            }
            println!();
        }
        if let Some(dir) = out {
            let dir = if many {
                report_folder(dir, &done.report.scenario)?
            } else {
                dir.to_path_buf()
            };
            reports.push((dir, done.report));
        }
    }
    for (dir, report) in &reports {
        write_reports(dir, report, quiet)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A scenario's own folder under `--out`: its name as one path component, never a path
/// that leads out of `out`.
fn report_folder(out: &Path, scenario: &str) -> Result<PathBuf, ExitCode> {
    let mut parts = Path::new(scenario).components();
    match (parts.next(), parts.next()) {
        (Some(std::path::Component::Normal(name)), None) => Ok(out.join(name)),
        _ => {
            eprintln!(
                "error: scenario `{scenario}` cannot name a report folder under {}; nothing was written",
                out.display()
            );
            Err(ExitCode::from(2))
        }
    }
}

fn write_reports(dir: &Path, report: &Report, quiet: bool) -> Result<(), ExitCode> {
    let written = std::fs::create_dir_all(dir).and_then(|_| gpuaas_sim::report::write_all(dir, report));
    let plots = match written {
        Ok(w) => {
            for e in w.not_drawn {
                eprintln!("warning: {e}");
            }
            w.plots
        }
        Err(e) => {
            eprintln!("{}: cannot write report: {e}", dir.display());
            return Err(ExitCode::from(2));
        }
    };
    if !quiet {
        match plots {
            0 => println!(
                "wrote {}/report.json, report.md and report.html (nothing to plot: no nodes, workloads or requests)",
                dir.display()
            ),
            _ => println!("wrote {}/report.json, report.md, report.html and plots/", dir.display()),
        }
    }
    Ok(())
}

/// `check`: every expectation's outcome; exit 1 when one failed.
fn cmd_check(
    paths: &[PathBuf],
    junit: Option<&Path>,
    fidelity: Option<Fidelity>,
    quiet: bool,
    strict: bool,
    catalog: Option<&Path>,
) -> Result<ExitCode, ExitCode> {
    let prepared = prepare(paths, strict, catalog)?;
    // A gate with nothing to check would pass by accident.
    if prepared.iter().all(|p| p.scenario.expect.is_empty()) {
        let names: Vec<String> = prepared.iter().map(|p| p.scenario.file.display().to_string()).collect();
        eprintln!(
            "error: nothing to check: no scenario in {} has an `expect:` list",
            if names.is_empty() {
                "the inputs".to_string()
            } else {
                names.join(", ")
            }
        );
        return Err(ExitCode::from(2));
    }
    let mut failed = 0;
    let mut total = 0;
    let mut suites = Vec::new();
    let count = prepared.len();
    for (i, mut p) in prepared.into_iter().enumerate() {
        if let Some(f) = fidelity {
            p.scenario.fidelity = f;
        }
        let file = p.scenario.file.display().to_string();
        let done = simulate_one(p, i, count, quiet)?;
        let name = done.report.scenario.clone();
        for o in &done.outcomes {
            total += 1;
            // A named expectation is shown by its name, then the entry as written.
            let label = match &o.expectation.name {
                Some(n) => format!("{n}: {}", o.expectation.text),
                None => o.expectation.text.clone(),
            };
            if o.passed {
                if !quiet {
                    println!("ok     {name}: {label} ({})", o.detail);
                }
            } else {
                failed += 1;
                println!("FAILED {name}: {label} at {} — {}", o.expectation.loc, o.detail);
            }
        }
        if done.outcomes.is_empty() && !quiet {
            println!("note   {name} ({file}) has no expectations");
        }
        suites.push((name, done.outcomes));
    }
    println!("{} passed, {} failed", total - failed, failed);
    if let Some(path) = junit {
        if let Err(e) = write_atomic(path, &gpuaas_sim::report::junit::render(&suites)) {
            eprintln!("{}: cannot write JUnit file: {e}", path.display());
            return Err(ExitCode::from(2));
        }
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `compare`: what moved between two reports; exit 1 on a regression.
fn cmd_compare(
    base: &Path,
    new: &Path,
    tolerances: &Tolerances,
    all: bool,
    format: Format,
    junit: Option<&Path>,
) -> Result<ExitCode, ExitCode> {
    let bad = [
        ("--latency-tolerance", tolerances.latency_pct),
        ("--cost-tolerance", tolerances.cost_pct),
        ("--admission-tolerance", tolerances.admission_s),
        ("--downtime-tolerance", tolerances.downtime_s),
        ("--utilization-tolerance", tolerances.utilization_points),
        ("--failure-tolerance", tolerances.failure_points),
        ("--slo-tolerance", tolerances.slo_points),
    ]
    .into_iter()
    .find(|(_, v)| !v.is_finite() || *v < 0.0);
    if let Some((flag, v)) = bad {
        eprintln!("error: {flag} {v}: a tolerance is a number of 0 or more");
        return Err(ExitCode::from(2));
    }
    let (b, n) = match (read_report(base), read_report(new)) {
        (Ok(b), Ok(n)) => (b, n),
        (b, n) => {
            for e in [b.err(), n.err()].into_iter().flatten() {
                eprintln!("{e}");
            }
            eprintln!("error: nothing was compared");
            return Err(ExitCode::from(2));
        }
    };
    let c = gpuaas_sim::report::compare::compare(&b, &n, tolerances);
    let shown = match format {
        Format::Text => c.render(all),
        Format::Markdown => c.render_markdown(all),
    };
    // A reader that stops early (`| head`) is no error, and must not hide the verdict in
    // the exit code; anything else that loses the output is.
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(shown.as_bytes()).and_then(|_| stdout.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write the comparison to standard output: {e}");
            return Err(ExitCode::from(2));
        }
    }
    if let Some(path) = junit {
        let xml = gpuaas_sim::report::junit::render_comparison(&c);
        if let Err(e) = write_atomic(path, &xml) {
            eprintln!("{}: cannot write JUnit file: {e}", path.display());
            return Err(ExitCode::from(2));
        }
    }
    Ok(if c.regressions() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Reads a report.json, or says where and why it is not one.
fn read_report(path: &std::path::Path) -> Result<gpuaas_sim::report::Report, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: cannot read: {e}"))?;
    gpuaas_sim::report::Report::from_json_str(&text).map_err(|e| format!("{shown}:{e}"))
}
