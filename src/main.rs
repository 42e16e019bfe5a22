use clap::{Parser, Subcommand};
use gpuaas_sim::catalog::Catalog;
use gpuaas_sim::manifest::error::InputErrors;
use gpuaas_sim::progress::{Display, Progress};
use gpuaas_sim::report::compare::Tolerances;
use gpuaas_sim::report::write_atomic;
use gpuaas_sim::report::Report;
use gpuaas_sim::scenario::run::{discover_with, Prepared};
use gpuaas_sim::serving::replica::Fidelity;
use gpuaas_sim::units::SimTime;
use gpuaas_sim::Completed;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// `println!` that goes on when stdout is closed — output piped into `head` — instead of
/// panicking: the reports a run writes after its summary matter more than lines no one
/// reads any more.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// `print!`, going on when stdout is closed, as [`say`].
macro_rules! say_part {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($t)*);
    }};
}

#[derive(Parser)]
#[command(
    name = "gpuaas-sim",
    version = concat!(env!("CARGO_PKG_VERSION"), " (models Kueue v0.19.2, kueue.x-k8s.io/v1beta2 and v1beta1)"),
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
        /// Write report.json, report.md, report.html and plots/ here (one subfolder per
        /// scenario when several).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// How replicas advance: `fast` (closed-form decode runs) or `step` (every engine step).
        #[arg(long, value_enum)]
        fidelity: Option<Fidelity>,
        /// The longest list a report writes: the N workloads that took longest to be Ready,
        /// the first N events, N usage samples per ClusterQueue (each span's peak); `all`
        /// lists everything. The figures and plots always count them all.
        #[arg(long, value_name = "N|all", default_value = "1000", value_parser = parse_report_limit, allow_hyphen_values = true)]
        report_limit: usize,
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
    /// Run a scenario over the cartesian product of `--set` values, each point with
    /// several seeds, on every core; write sweep.json, sweep.csv and sweep.html.
    Sweep(SweepArgs),
    /// The capacity of a scenario's serving configuration: the highest request rate its
    /// replicas serve within the SLO, and where they saturate.
    Capacity {
        scenario: PathBuf,
        /// The InferenceService (`NAME` or `NAMESPACE/NAME`); the only one with traffic when absent.
        #[arg(long)]
        service: Option<String>,
        /// An SLO term replacing the scenario's `slo:` (repeat for several), e.g. ttft_p95=2s.
        #[arg(long, value_name = "TERM=DURATION")]
        slo: Vec<String>,
        /// Simulated time each probe serves.
        #[arg(long, default_value = "20m")]
        probe: String,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The cheapest GPU configurations that serve models at a rate within an SLO, ranked by
    /// monthly cost, with the evidence; `--out` writes the top plans' manifests and scenario.
    Recommend(RecommendArgs),
    /// Play a scenario in wall-clock time for a demo: the timeline's commands as they run,
    /// a live panel, and with --interactive a prompt for oc commands and controls.
    Rehearse(RehearseArgs),
}

#[derive(clap::Args)]
struct RehearseArgs {
    /// One Scenario file (or a manifest folder).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Simulated seconds per wall second: 1 is real time, 60 plays an hour in a minute.
    #[arg(long, default_value = "1", value_parser = parse_speed, allow_hyphen_values = true)]
    speed: f64,
    /// Start the paced clock here (e.g. 9m30s); what comes before runs at once.
    #[arg(long, value_parser = parse_instant, default_value = "0s")]
    from: SimTime,
    /// A read-only command shown live in the panel, like `watch` (repeatable), e.g.
    /// --watch "oc get pods -n private-ai".
    #[arg(long)]
    watch: Vec<String>,
    /// Read oc/kubectl commands and controls (pause, resume, speed X, skip D, until NAME
    /// STATE) from stdin; commands run at the simulated instant they are typed.
    #[arg(long)]
    interactive: bool,
    /// Write the typed commands, at their instants, as a Scenario that extends this one
    /// (replay it with `gpuaas-sim check FILE`).
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Serve a live page of the rehearsal at this address (e.g. 127.0.0.1:8080): the
    /// clock, pods, workloads, quota, requests and timeline as they change.
    #[arg(long, value_name = "ADDR", value_parser = gpuaas_sim::rehearse::parse_serve_addr)]
    serve: Option<std::net::SocketAddr>,
    /// Print the presenter's cue sheet instead of playing: per timeline command, what to
    /// wait for, when it comes and why, and `oc get pods` then (Markdown; with --out,
    /// written to DIR/cues.md). No pacing.
    #[arg(long, conflicts_with_all = ["speed", "from", "watch", "interactive", "record", "serve"])]
    cues: bool,
    /// Write report.json, report.md, report.html and plots here when the rehearsal ends
    /// (a stopped one: the run up to the stop); with --cues, cues.md alone.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
}

fn parse_speed(s: &str) -> Result<f64, String> {
    match s.trim_end_matches('x').parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!(
            "expected a positive number of simulated seconds per wall second (e.g. 60); got `{s}`"
        )),
    }
}

fn parse_instant(s: &str) -> Result<SimTime, String> {
    gpuaas_sim::units::SimDuration::parse(s)
        .map(|d| SimTime(d.0))
        .map_err(|e| e.to_string())
}

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
struct SweepArgs {
    #[command(subcommand)]
    merge: Option<SweepCmd>,
    /// The Scenario file to vary.
    #[arg(required = true)]
    scenario: Option<PathBuf>,
    /// PATH=V1,V2,… : a path in the Scenario (`nodePools[h100].count`,
    /// `traffic[llama].rate`) or in an included manifest
    /// (`ClusterQueue/team-a:spec.resourceGroups[0].flavors[h100].resources[nvidia.com/gpu].nominalQuota`,
    /// `InferenceService/llama:spec.predictor.model.args[--max-num-seqs]`), and its values
    /// (`1..4` is 1,2,3,4). Repeat for a grid.
    #[arg(long = "set", value_name = "PATH=V1,V2,…")]
    set: Vec<String>,
    /// Seeds per point: the scenario's seed and the next N-1.
    #[arg(long, default_value_t = 1)]
    seeds: usize,
    /// Threads (0: every core). The results do not depend on it.
    #[arg(long, default_value_t = 0)]
    jobs: usize,
    /// Run only the points whose number is I modulo N (a slice for one machine of many).
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Instead of running, write a Kubernetes Indexed Job (and its ConfigMap and volume
    /// claim) that runs the sweep in `--shards` pieces.
    #[arg(long, requires = "image")]
    emit_job: bool,
    /// The container image for `--emit-job` (built from the Containerfile).
    #[arg(long)]
    image: Option<String>,
    /// Also measure this InferenceService's capacity at every run (`NAME` or `NS/NAME`; as
    /// `gpuaas-sim capacity` does, with the scenario's SLO and 20-minute probes).
    #[arg(long, value_name = "SERVICE")]
    capacity: Option<String>,
    /// Pieces of the Indexed Job (`--emit-job`).
    #[arg(long, default_value_t = 8)]
    shards: usize,
    /// Where sweep.json, sweep.csv and sweep.html (or the Job's manifests) go.
    #[arg(long, required = true)]
    out: Option<PathBuf>,
}

#[derive(clap::Args)]
struct RecommendArgs {
    /// A model card name or storage URI, with its own rate if it has one:
    /// `llama-3.3-70b-instruct=5/s`. Repeat for several models (they may share nodes).
    #[arg(long = "model", required_unless_present = "scenario", value_name = "MODEL[=RATE]")]
    models: Vec<String>,
    /// Take the models, rates, token lengths and SLO from a Scenario's InferenceServices and
    /// traffic (each stream at its peak rate) instead; its node pools are not used.
    #[arg(long, conflicts_with_all = ["models", "rate", "prompt_tokens", "output_tokens"])]
    scenario: Option<PathBuf>,
    /// The total request rate (`20/s`, `1200/m`): the models without a rate of their own share
    /// evenly what those with one leave.
    #[arg(long)]
    rate: Option<String>,
    /// Prompt tokens per request: `1500`, or `lognormal:MEAN:SD`, or `uniform:MIN:MAX`.
    #[arg(long, default_value = "1500")]
    prompt_tokens: String,
    /// Output tokens per request, as --prompt-tokens.
    #[arg(long, default_value = "300")]
    output_tokens: String,
    /// An SLO term (repeat for several): ttft_p95=2s, tpot_p95=100ms, e2e_p99=30s.
    #[arg(long, required_unless_present = "scenario", value_name = "TERM=DURATION")]
    slo: Vec<String>,
    /// Also answer "and if traffic grows by this factor?" (e.g. 2).
    #[arg(long)]
    growth: Option<f64>,
    /// Only these GPUs (catalog names, comma-separated: `H100-SXM,L40S`).
    #[arg(long, value_delimiter = ',')]
    gpus: Vec<String>,
    /// Plans shown (and written with --out: the first three).
    #[arg(long, default_value_t = 5)]
    top: usize,
    /// Simulated time each probe serves.
    #[arg(long, default_value = "10m")]
    probe: String,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print JSON (schema gpuaas-sim/recommend/v1) instead of the table.
    #[arg(long)]
    json: bool,
    /// Write the top plans' manifests and a scenario.yaml each; the first is checked.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Subcommand)]
enum SweepCmd {
    /// Combine shard results (`sweep --shard I/N --out DIR`) into the sweep a single machine
    /// writes, byte for byte.
    Merge {
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        #[arg(long)]
        out: PathBuf,
    },
}

fn input_error(e: InputErrors) -> ExitCode {
    eprintln!("{e}");
    eprintln!("error: {} input problem(s); nothing was run", e.0.len());
    ExitCode::from(2)
}

/// The catalog the scenarios run with: the bundled one, with `--catalog`'s files laid
/// over it.
fn load_catalog(dir: Option<&Path>) -> Result<Arc<Catalog>, ExitCode> {
    let bundled = Catalog::bundled();
    match dir {
        Some(d) => bundled.with_dir(d).map(Arc::new).map_err(input_error),
        None => Ok(Arc::new(bundled)),
    }
}

/// The scenarios of the inputs; with `--strict`, what the simulation would skip is an
/// error too.
fn prepare(paths: &[PathBuf], strict: bool, catalog: &Arc<Catalog>) -> Result<Vec<Prepared>, ExitCode> {
    let prepared = discover_with(paths, catalog).map_err(input_error)?;
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
            report_limit,
        } => cmd_run(
            &paths,
            out.as_deref(),
            seed,
            fidelity,
            report_limit,
            quiet,
            strict,
            catalog,
        ),
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
        Cmd::Sweep(args) => match args.merge {
            Some(SweepCmd::Merge { dirs, out }) => cmd_sweep_merge(&dirs, &out, quiet),
            None => cmd_sweep(args, quiet, catalog),
        },
        Cmd::Capacity {
            scenario,
            service,
            slo,
            probe,
            seed,
            json,
        } => cmd_capacity(&scenario, service, &slo, &probe, seed, json, quiet, strict, catalog),
        Cmd::Recommend(args) => cmd_recommend(args, quiet, catalog),
        Cmd::Rehearse(args) => cmd_rehearse(args, quiet, strict, catalog),
        Cmd::Lint { .. } => {
            eprintln!(
                "error: this command is not available in this version of gpuaas-sim; available: run, check, compare, sweep, capacity, recommend, rehearse"
            );
            Err(ExitCode::from(2))
        }
    };
    let _ = std::io::stdout().flush();
    outcome.unwrap_or_else(|code| code)
}

/// `run`: each scenario's summary and timeline, and its reports with `--out`.
/// `--report-limit`: a count, or `all`.
fn parse_report_limit(s: &str) -> Result<usize, String> {
    match s {
        "all" => Ok(usize::MAX),
        _ => match s.parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => Err(format!(
                "`{s}` is more than any report holds; use `all` to list everything"
            )),
            _ => Err(format!("expected a number of at least 1, or `all`; got `{s}`")),
        },
    }
}

#[allow(clippy::too_many_arguments)]
fn cmd_run(
    paths: &[PathBuf],
    out: Option<&Path>,
    seed: Option<u64>,
    fidelity: Option<Fidelity>,
    report_limit: usize,
    quiet: bool,
    strict: bool,
    catalog: Option<&Path>,
) -> Result<ExitCode, ExitCode> {
    let prepared = prepare(paths, strict, &load_catalog(catalog)?)?;
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
        p.report_limit = report_limit;
        let Completed { result, mut report, .. } = simulate_one(p, i, count, quiet)?;
        // The plots show every workload; the lists are cut after they are drawn.
        let drawn = out.is_some().then(|| gpuaas_sim::report::plots::all(&report));
        gpuaas_sim::report::limit::limit(&mut report, report_limit);
        if !quiet {
            say_part!("{}", gpuaas_sim::report::summary::render(&report));
            for t in &result.transcript {
                say!("\n[{}] $ {}\n{}", t.t, t.command, t.output);
                // What a command printed later, at the instant it appeared.
                for l in &t.follow {
                    say!("[{}] {}", l.t, l.line);
                }
            }
            say!();
        }
        // A fleet's objects take a second or more to free; neither the next scenario nor
        // the exit waits for that.
        std::thread::spawn(move || drop(result));
        if let Some(dir) = out {
            let dir = if many {
                report_folder(dir, &report.scenario)?
            } else {
                dir.to_path_buf()
            };
            reports.push((dir, report, drawn));
        }
    }
    for (dir, report, drawn) in reports {
        write_reports(&dir, &report, drawn, quiet)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `rehearse`: one scenario paced; its report with `--out`, also when stopped (exit 130,
/// as a shell reports an interrupted command).
fn cmd_rehearse(args: RehearseArgs, quiet: bool, strict: bool, catalog: Option<&Path>) -> Result<ExitCode, ExitCode> {
    use gpuaas_sim::rehearse::{rehearse, stopped_run, Options, Rehearsed};
    let catalog = load_catalog(catalog)?;
    let mut prepared = prepare(&args.paths, strict, &catalog)?;
    if prepared.len() != 1 {
        eprintln!(
            "error: rehearse plays one scenario; the inputs hold {}: name one Scenario file",
            prepared.len()
        );
        return Err(ExitCode::from(2));
    }
    let mut p = prepared.remove(0);
    if let Some(s) = args.seed {
        p.scenario.seed = s;
    }
    if args.cues {
        return cmd_cues(p, args.out.as_deref(), quiet);
    }
    if args.from.0 > p.scenario.duration.0 {
        eprintln!(
            "error: --from {} is after the scenario's end ({})",
            args.from,
            SimTime(p.scenario.duration.0)
        );
        return Err(ExitCode::from(2));
    }
    let options = Options {
        speed: args.speed,
        from: args.from,
        watch: args.watch,
        interactive: args.interactive,
        record: args.record,
        serve: args.serve,
    };
    // The same scenario again, for the report of a rehearsal stopped halfway.
    let again = args.out.is_some().then(|| p.clone());
    let outcome = rehearse(p, &options).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })?;
    let (completed, code) = match outcome.ending {
        Rehearsed::Finished(c) => (Some(*c), ExitCode::SUCCESS),
        Rehearsed::Stopped { at } => {
            let completed = match again {
                Some(p) => {
                    let (c, notes) = stopped_run(p, at, outcome.typed).map_err(|e| {
                        eprintln!("error: {e}");
                        ExitCode::from(2)
                    })?;
                    for n in notes {
                        say!("note: {n}");
                    }
                    Some(c)
                }
                None => None,
            };
            (completed, ExitCode::from(130))
        }
    };
    let Some(Completed { mut report, .. }) = completed else {
        return Ok(code);
    };
    if !quiet {
        say_part!("{}", gpuaas_sim::report::summary::render(&report));
    }
    if let Some(dir) = &args.out {
        let drawn = gpuaas_sim::report::plots::all(&report);
        gpuaas_sim::report::limit::limit(&mut report, 1000);
        write_reports(dir, &report, Some(drawn), quiet)?;
    }
    Ok(code)
}

/// `rehearse --cues`: the cue sheet on stdout, or in `out`/cues.md.
fn cmd_cues(p: Prepared, out: Option<&Path>, quiet: bool) -> Result<ExitCode, ExitCode> {
    let sheet = gpuaas_sim::rehearse::cue_sheet(p).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })?;
    let Some(dir) = out else {
        say_part!("{sheet}");
        return Ok(ExitCode::SUCCESS);
    };
    let path = dir.join("cues.md");
    std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::write(&path, sheet))
        .map_err(|e| {
            eprintln!("error: cannot write {}: {e}", path.display());
            ExitCode::from(2)
        })?;
    if !quiet {
        say!("wrote {}", path.display());
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

fn write_reports(
    dir: &Path,
    report: &Report,
    drawn: Option<(
        Vec<gpuaas_sim::report::plots::Plot>,
        Vec<gpuaas_sim::report::plots::PlotError>,
    )>,
    quiet: bool,
) -> Result<(), ExitCode> {
    let drawn = drawn.unwrap_or_else(|| gpuaas_sim::report::plots::all(report));
    let written = std::fs::create_dir_all(dir).and_then(|_| gpuaas_sim::report::write_all_with(dir, report, drawn));
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
            0 => say!(
                "wrote {}/report.json, report.md and report.html (nothing to plot: no nodes, workloads or requests)",
                dir.display()
            ),
            _ => say!("wrote {}/report.json, report.md, report.html and plots/", dir.display()),
        }
    }
    Ok(())
}

/// `sweep`: every point prepared (a bad value stops it before anything runs), then run on
/// the thread pool with a progress bar.
fn cmd_sweep(args: SweepArgs, quiet: bool, catalog_dir: Option<&Path>) -> Result<ExitCode, ExitCode> {
    use gpuaas_sim::plan::{setting::Setting, sweep};
    let (Some(scenario), Some(out)) = (args.scenario, args.out) else {
        return Err(ExitCode::from(2));
    };
    let usage = |msg: String| {
        eprintln!("error: {msg}");
        ExitCode::from(2)
    };
    if args.seeds == 0 {
        return Err(usage("--seeds must be at least 1".into()));
    }
    let shard = args
        .shard
        .as_deref()
        .map(sweep::Shard::parse)
        .transpose()
        .map_err(|e| usage(format!("--shard {e}")))?;
    let mut errors = Vec::new();
    let settings: Vec<Setting> = args
        .set
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Setting::parse(s, i + 1).map_err(|e| errors.push(e)).ok())
        .collect();
    for (i, st) in settings.iter().enumerate() {
        if let Some(first) = settings[..i].iter().position(|o| o.path == st.path) {
            errors.push(gpuaas_sim::manifest::error::InputError::at(
                gpuaas_sim::manifest::error::Loc::new(std::sync::Arc::from("--set"), i as u32 + 1, 1),
                format!("`{}` is set twice (also by --set {})", st.path, first + 1),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(input_error(InputErrors(errors)));
    }
    if settings.is_empty() {
        return Err(usage("nothing to sweep: give at least one --set PATH=V1,V2,…".into()));
    }
    let inputs = gpuaas_sim::scenario::run::load_inputs(std::slice::from_ref(&scenario)).map_err(input_error)?;
    let grid = sweep::Grid {
        inputs,
        settings,
        seeds: args.seeds,
        shard,
        catalog: load_catalog(catalog_dir)?,
        catalog_dir: catalog_dir.map(Path::to_path_buf),
        capacity: args
            .capacity
            .clone()
            .map(|service| gpuaas_sim::plan::capacity::ProbeOptions {
                service: Some(service),
                slo: Vec::new(),
                duration_s: gpuaas_sim::plan::capacity::DEFAULT_PROBE_S,
            }),
    };
    let total = sweep::points_total(&grid.settings);
    if total > 1_000_000 {
        return Err(usage(format!(
            "the grid has {total} points; a sweep takes at most 1,000,000"
        )));
    }
    let points = sweep::prepare(&grid).map_err(input_error)?;
    if args.emit_job {
        let image = args.image.unwrap_or_default();
        let job =
            gpuaas_sim::plan::job::emit(&grid, &points, &scenario, &args.set, &image, args.shards).map_err(usage)?;
        std::fs::create_dir_all(&out)
            .and_then(|_| write_atomic(&out.join("sweep-job.yaml"), &job))
            .map_err(|e| usage(format!("{}: cannot write: {e}", out.display())))?;
        if !quiet {
            say!("wrote {}/sweep-job.yaml ({} shards); kubectl apply -f it, then `gpuaas-sim sweep merge` the results volume's shard-*/ folders", out.display(), args.shards);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let runs: usize = points.iter().map(|p| p.runs.len()).sum();
    let bar = gpuaas_sim::progress::Counter::start(format!("sweep {}", scenario.display()), runs, !quiet);
    let result = sweep::run(&grid, points, args.jobs, bar.count()).map_err(usage)?;
    drop(bar);
    gpuaas_sim::plan::output::write(&out, &result)
        .map_err(|e| usage(format!("{}: cannot write: {e}", out.display())))?;
    if !quiet {
        say_part!("{}", gpuaas_sim::plan::output::summary(&result));
        say!("wrote {}/sweep.json, sweep.csv and sweep.html", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `sweep merge`: the shards' sweep.json files combined.
fn cmd_sweep_merge(dirs: &[PathBuf], out: &Path, quiet: bool) -> Result<ExitCode, ExitCode> {
    use gpuaas_sim::plan::sweep;
    let mut shards = Vec::new();
    for d in dirs {
        let file = if d.is_dir() { d.join("sweep.json") } else { d.clone() };
        let text = std::fs::read_to_string(&file).map_err(|e| {
            eprintln!("{}: cannot read: {e}", file.display());
            ExitCode::from(2)
        })?;
        let r: sweep::SweepResult = serde_json::from_str(&text).map_err(|e| {
            eprintln!(
                "{}:{}:{}: not a sweep result: {e}",
                file.display(),
                e.line(),
                e.column()
            );
            ExitCode::from(2)
        })?;
        if r.schema != sweep::SCHEMA {
            eprintln!(
                "{}: schema `{}`, expected `{}`",
                file.display(),
                r.schema,
                sweep::SCHEMA
            );
            return Err(ExitCode::from(2));
        }
        shards.push((file.display().to_string(), r));
    }
    let merged = sweep::merge(shards).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })?;
    gpuaas_sim::plan::output::write(out, &merged).map_err(|e| {
        eprintln!("{}: cannot write: {e}", out.display());
        ExitCode::from(2)
    })?;
    if !quiet {
        say!(
            "merged {} shards: wrote {}/sweep.json, sweep.csv and sweep.html",
            dirs.len(),
            out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `capacity`: the scenario run once for its replicas, then the probes.
#[allow(clippy::too_many_arguments)]
fn cmd_capacity(
    scenario: &Path,
    service: Option<String>,
    slo: &[String],
    probe: &str,
    seed: Option<u64>,
    json: bool,
    quiet: bool,
    strict: bool,
    catalog: Option<&Path>,
) -> Result<ExitCode, ExitCode> {
    use gpuaas_sim::plan::capacity;
    let usage = |msg: String| {
        eprintln!("error: {msg}");
        ExitCode::from(2)
    };
    let slo = slo
        .iter()
        .map(|t| capacity::parse_slo(t).map_err(|e| usage(format!("--slo {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let duration_s = parse_probe(probe).map_err(usage)?;
    let mut prepared = prepare(&[scenario.to_path_buf()], strict, &load_catalog(catalog)?)?;
    if prepared.len() != 1 {
        return Err(usage(format!(
            "{} holds {} scenarios; capacity takes one",
            scenario.display(),
            prepared.len()
        )));
    }
    let mut p = prepared.remove(0);
    if let Some(s) = seed {
        p.scenario.seed = s;
    }
    let done = simulate_one(p, 0, 1, quiet)?;
    let opts = capacity::ProbeOptions {
        service,
        slo,
        duration_s,
    };
    let (name, probe) = capacity::probe_of(&done, &opts).map_err(|e| usage(format!("{}: {e}", scenario.display())))?;
    let found = probe.search();
    if json {
        let out = serde_json::json!({
            "schema": "gpuaas-sim/capacity/v1",
            "service": name,
            "configuration": probe.description,
            "capacity": found,
        });
        say!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        say_part!("{}", capacity::render(&name, &probe, &found));
    }
    Ok(ExitCode::SUCCESS)
}

/// `--probe`: a duration from one minute to six hours of simulated time per probe.
fn parse_probe(text: &str) -> Result<f64, String> {
    let d = gpuaas_sim::units::SimDuration::parse(text)
        .map_err(|_| format!("--probe `{text}` is not a duration (20m, 1h, 90s)"))?
        .as_secs_f64();
    if !(60.0..=6.0 * 3600.0).contains(&d) {
        return Err(format!(
            "--probe {text}: give 1m to 6h (each probe serves this much simulated time)"
        ));
    }
    Ok(d)
}

fn parse_rate(text: &str) -> Result<f64, String> {
    let (n, unit) = text.split_once('/').unwrap_or((text, "s"));
    let v: f64 = n
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a rate (20/s, 1200/m)"))?;
    let per = match unit.trim() {
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        u => return Err(format!("`{u}` is not a unit of time (s, m, h)")),
    };
    if !(v.is_finite() && v > 0.0) {
        return Err(format!("`{text}`: give a positive rate"));
    }
    Ok(v / per)
}

fn parse_lengths(text: &str) -> Result<gpuaas_sim::traffic::tokens::LengthDist, String> {
    use gpuaas_sim::traffic::tokens::LengthDist;
    let parts: Vec<&str> = text.split(':').collect();
    let num = |s: &str| s.trim().parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 1.0);
    let bad = || format!("`{text}`: write a number of tokens (1500), lognormal:MEAN:SD or uniform:MIN:MAX");
    match parts.as_slice() {
        [n] => num(n).map(|n| LengthDist::Fixed(n as u32)).ok_or_else(bad),
        ["lognormal", m, sd] => match (num(m), num(sd)) {
            (Some(mean), Some(sd)) => Ok(LengthDist::LogNormal { mean, sd }),
            _ => Err(bad()),
        },
        ["uniform", a, b] => match (num(a), num(b)) {
            (Some(min), Some(max)) if min <= max => Ok(LengthDist::Uniform {
                min: min as u32,
                max: max as u32,
            }),
            (Some(min), Some(max)) => Err(format!("`{text}`: the minimum {min} is above the maximum {max}")),
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

/// `recommend`: the search, the table, the growth question, and with `--out` the plans'
/// files, the first checked by running its scenario.
fn cmd_recommend(a: RecommendArgs, quiet: bool, catalog_dir: Option<&Path>) -> Result<ExitCode, ExitCode> {
    use gpuaas_sim::plan::{capacity, recommend, recommend_out, sweep::HOURS_PER_MONTH};
    let usage = |msg: String| {
        eprintln!("error: {msg}");
        ExitCode::from(2)
    };
    let catalog = load_catalog(catalog_dir)?;
    let total = a
        .rate
        .as_deref()
        .map(parse_rate)
        .transpose()
        .map_err(|e| usage(format!("--rate {e}")))?;
    let mut models = Vec::new();
    let mut without = 0;
    for m in &a.models {
        let (name, rate) = match m.split_once('=') {
            Some((n, r)) => (n, Some(parse_rate(r).map_err(|e| usage(format!("--model {m}: {e}")))?)),
            None => (m.as_str(), None),
        };
        let card = recommend::resolve_card(&catalog, name).map_err(|e| usage(format!("--model {e}")))?;
        if let Some(w) = recommend::partial_match(&catalog, name) {
            eprintln!("warning: --model {name}: {w}");
        }
        if models.iter().any(|(c, _): &(String, Option<f64>)| *c == card.name) {
            return Err(usage(format!(
                "--model {name}: model card {} is given twice; give each model once, with its whole rate",
                card.name
            )));
        }
        without += usize::from(rate.is_none());
        models.push((card.name.clone(), rate));
    }
    // --rate is the total: the models without a rate of their own share what the others leave.
    let explicit: f64 = models.iter().filter_map(|m| m.1).sum();
    let rest = match (total, without) {
        (None, 0) => 0.0,
        (None, _) => return Err(usage("give --rate (the total), or a rate with each model (--model NAME=5/s)".into())),
        (Some(t), 0) if (t - explicit).abs() > 1e-9 * t.max(1.0) => {
            return Err(usage(format!(
                "--rate {t} req/s is the total, but the models' own rates add up to {explicit} req/s; give one or the other"
            )))
        }
        (Some(_), 0) => 0.0,
        (Some(t), n) if t - explicit <= 0.0 => {
            return Err(usage(format!(
                "--rate {t} req/s is the total, and the models' own rates already take {explicit} req/s: nothing is left for the {n} without one"
            )))
        }
        (Some(t), n) => (t - explicit) / n as f64,
    };
    let models: Vec<recommend::ModelAsk> = models
        .into_iter()
        .map(|(card, r)| {
            Ok(recommend::ModelAsk {
                service: recommend::service_of(&card),
                card,
                rate_rps: r.unwrap_or(rest),
                prompt: parse_lengths(&a.prompt_tokens).map_err(|e| usage(format!("--prompt-tokens {e}")))?,
                output: parse_lengths(&a.output_tokens).map_err(|e| usage(format!("--output-tokens {e}")))?,
            })
        })
        .collect::<Result<_, ExitCode>>()?;
    if a.top == 0 {
        return Err(usage("--top 0 shows nothing; give 1 or more".into()));
    }
    let mut slo = a
        .slo
        .iter()
        .map(|t| capacity::parse_slo(t).map_err(|e| usage(format!("--slo {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, t) in slo.iter().enumerate() {
        if slo[..i].iter().any(|u| u.key() == t.key()) {
            return Err(usage(format!("--slo {} is given twice", t.key())));
        }
    }
    let mut models = models;
    if let Some(path) = &a.scenario {
        let mut prepared = prepare(std::slice::from_ref(path), false, &catalog)?;
        if prepared.len() != 1 {
            return Err(usage(format!(
                "{} holds {} scenarios; give one",
                path.display(),
                prepared.len()
            )));
        }
        let p = prepared.remove(0);
        let (asked, scenario_slo) = recommend::asks_from(&p).map_err(usage)?;
        models = asked;
        if slo.is_empty() {
            slo = scenario_slo;
        }
        if slo.is_empty() {
            return Err(usage(format!(
                "{} has no `slo:`; give --slo ttft_p95=2s",
                path.display()
            )));
        }
    }
    let probe_s = parse_probe(&a.probe).map_err(usage)?;
    if let Some(g) = a.growth {
        if !(g.is_finite() && g > 1.0 && g <= 1000.0) {
            return Err(usage(format!(
                "--growth {g}: give the factor traffic grows by, above 1 (2: it doubles)"
            )));
        }
    }
    let ask = recommend::Ask {
        models,
        slo,
        probe_s,
        seed: a.seed,
        gpus: a.gpus.clone(),
    };
    for g in &ask.gpus {
        if catalog.gpu(g).is_none() {
            let known: Vec<&str> = catalog.gpus.iter().map(|g| g.name.as_str()).collect();
            return Err(usage(format!(
                "--gpus: `{g}` is not a GPU of the catalog ({})",
                known.join(", ")
            )));
        }
    }
    let r = recommend::recommend(&catalog, &ask, HOURS_PER_MONTH);
    let growth = match (a.growth, r.plans.first()) {
        (Some(g), Some(best)) => Some(recommend::growth(&catalog, &ask, best, g, HOURS_PER_MONTH)),
        _ => None,
    };
    if a.json {
        let out = serde_json::json!({"recommendation": r, "growth": growth});
        say!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        say_part!("{}", recommend::render(&r, a.top));
        if let (Some(g), Some(best)) = (&growth, r.plans.first()) {
            say_part!("{}", recommend::render_growth(g, best));
        }
    }
    let mut outcome = ExitCode::SUCCESS;
    if let Some(dir) = &a.out {
        // Plans a previous run wrote here would mix with these (plan-1-* matching two).
        recommend_out::remove_previous(dir).map_err(|e| usage(format!("{}: {e}", dir.display())))?;
        for (i, plan) in r.plans.iter().take(3).enumerate() {
            let name = format!(
                "plan-{}-{}",
                i + 1,
                plan.instance_type.to_ascii_lowercase().replace(['.', '_'], "-")
            );
            let folder = dir.join(&name);
            let hold = recommend::VERIFY_S;
            // First with traffic late, to learn when every replica is Ready; then with
            // traffic from the next minute after that.
            let write = |start: f64| {
                recommend_out::write(&folder, &recommend_out::files(&catalog, &ask, plan, &name, start, hold))
                    .map_err(|e| usage(format!("{}: cannot write: {e}", folder.display())))
            };
            write(3600.0)?;
            let scenario = folder.join("scenario.yaml");
            let run = |quiet_run: bool| -> Result<Completed, ExitCode> {
                let mut p = prepare(std::slice::from_ref(&scenario), false, &catalog)?;
                simulate_one(p.remove(0), 0, 1, quiet_run)
            };
            let first = run(true)?;
            let never: Vec<&str> = first
                .report
                .inference_services
                .iter()
                .filter(|s| s.first_ready_s.is_none())
                .map(|s| s.name.as_str())
                .collect();
            if !never.is_empty() {
                eprintln!(
                    "warning: {}: {} never became Ready within the hour the scenario allows (see `gpuaas-sim run {}`)",
                    folder.display(),
                    never.join(", "),
                    scenario.display()
                );
                outcome = ExitCode::from(1);
            }
            let ready = first
                .report
                .inference_services
                .iter()
                .map(|s| s.first_ready_s.unwrap_or(3600.0))
                .fold(0.0, f64::max);
            let start = ((ready + 60.0) / 60.0).ceil() * 60.0;
            write(start)?;
            if i == 0 {
                let done = run(quiet)?;
                let held = done.outcomes.iter().filter(|o| o.passed).count();
                if held < done.outcomes.len() {
                    eprintln!(
                        "warning: the first plan's scenario does not pass check ({held} of {} expectations hold): `gpuaas-sim check {}` says why",
                        done.outcomes.len(),
                        scenario.display()
                    );
                    outcome = ExitCode::from(1);
                }
                if !a.json {
                    say!(
                        "
wrote {}/ (manifests/ and scenario.yaml); checked: {held} of {} expectations hold (replicas Ready at {:.0} s, traffic from {start:.0} s){}",
                        folder.display(),
                        done.outcomes.len(),
                        ready,
                        catalog_dir
                            .map(|d| format!("; its prices and types are --catalog {}'s: check it with the same flag", d.display()))
                            .unwrap_or_default()
                    );
                }
            } else if !a.json {
                say!("wrote {}/", folder.display());
            }
        }
    }
    Ok(outcome)
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
    let prepared = prepare(paths, strict, &load_catalog(catalog)?)?;
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
                    say!("ok     {name}: {label} ({})", o.detail);
                }
            } else {
                failed += 1;
                say!("FAILED {name}: {label} at {} — {}", o.expectation.loc, o.detail);
            }
        }
        if done.outcomes.is_empty() && !quiet {
            say!("note   {name} ({file}) has no expectations");
        }
        suites.push((name, done.outcomes));
    }
    say!("{} passed, {} failed", total - failed, failed);
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

// The run allocates and frees millions of small objects (events, records, strings); this
// allocator does that faster than the system's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
