//! `gpuaas-sim rehearse`: a scenario played in wall-clock time for a demo's author. The
//! run is the very simulation `run` makes (the same instants, the same report); a
//! [`Rehearsal`] only paces it between instants, shows it, and turns what is typed at its
//! prompt into commands at the instant they were typed.

pub(crate) mod clock;
pub(crate) mod console;
mod cues;
pub(crate) mod live;
mod prompt;
pub(crate) mod record;
mod screen;
pub(crate) mod view;

use crate::engine::RunError;
use crate::manifest::error::Loc;
use crate::scenario::command::{parse_command, Command, Verb};
use crate::scenario::document::TimelineEntry;
use crate::scenario::run::{run_paced, Moment, Paced, Pacer, Prepared};
use crate::units::{SimDuration, SimTime};
use crate::Completed;
use clock::PaceClock;
use console::{Input, Until};
pub use cues::cue_sheet;
use live::LiveView;
use screen::Screen;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// How often the panel is redrawn while the clock runs.
const TICK: Duration = Duration::from_millis(200);

/// What `rehearse` was asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// Simulated seconds per wall second.
    pub speed: f64,
    /// Where the paced clock starts: everything before runs at once.
    pub from: SimTime,
    /// Read-only commands shown in the live panel (`oc get pods -n x`).
    pub watch: Vec<String>,
    /// A prompt on stdin for commands and controls.
    pub interactive: bool,
    /// Where `--record` writes what was typed, as a Scenario.
    pub record: Option<PathBuf>,
    /// Where `--serve` serves the live page (`live.rs`), for as long as the rehearsal
    /// runs.
    pub serve: Option<std::net::SocketAddr>,
}

#[derive(Debug, thiserror::Error)]
pub enum RehearseError {
    #[error("--watch \"{command}\": {message}")]
    Watch { command: String, message: String },
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("cannot start the rehearsal's clock: {0}")]
    Runtime(std::io::Error),
    #[error("--record {path}: {error}")]
    Record { path: String, error: std::io::Error },
    /// The live view cannot be served (`live::LiveError`'s message).
    #[error("{0}")]
    Serve(String),
}

/// `--serve`'s address: `IP:PORT`, or `localhost:PORT`.
pub fn parse_serve_addr(given: &str) -> Result<std::net::SocketAddr, String> {
    live::parse_addr(given).map_err(|e| e.to_string())
}

/// How a rehearsal ended.
pub enum Rehearsed {
    /// Played to the scenario's end: the same run, report and expectations as `run`.
    Finished(Box<Completed>),
    /// Stopped (Ctrl-C or `quit`) once the instant `at` was done.
    Stopped { at: SimTime },
}

/// A rehearsal's ending and the commands typed (in the order typed, at their instants).
pub struct Outcome {
    pub ending: Rehearsed,
    pub typed: Vec<TimelineEntry>,
}

/// Plays `prepared` paced by `options`, printing to stdout (and reading stdin when
/// interactive). With `--record`, the typed commands are written when it ends, stopped
/// or not.
pub fn rehearse(prepared: Prepared, options: &Options) -> Result<Outcome, RehearseError> {
    let watches = options
        .watch
        .iter()
        .map(|w| match parse_command(w) {
            Ok(c) if matches!(c.verb, Verb::Get { .. } | Verb::Describe { .. }) => Ok((w.clone(), c)),
            Ok(_) => Err(RehearseError::Watch {
                command: w.clone(),
                message: "only `get` and `describe` can be watched; they change nothing".into(),
            }),
            Err(e) => Err(RehearseError::Watch {
                command: w.clone(),
                message: format!("{}; {}", e.message.trim_start_matches("error: "), e.hint),
            }),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(RehearseError::Runtime)?;
    let interrupted = Arc::new(AtomicBool::new(false));
    let wake = Arc::new(tokio::sync::Notify::new());
    catch_interrupt(&runtime, interrupted.clone(), wake.clone()).map_err(RehearseError::Runtime)?;
    // Bound before anything runs, so that an address in use stops the rehearsal at once
    // (and before the prompt takes the terminal).
    let live = match options.serve {
        Some(addr) => {
            let _entered = runtime.enter();
            Some(LiveView::bind(addr).map_err(|e| RehearseError::Serve(e.to_string()))?)
        }
        None => None,
    };
    let stdin_tty = std::io::IsTerminal::is_terminal(&std::io::stdin());
    let mut screen = Screen::stdout();
    // At a terminal the prompt reads keys itself, so that the panel never eats the line
    // being typed; a script is read line by line.
    let mut raw_mode = None;
    let inputs = if !options.interactive {
        None
    } else if stdin_tty && screen.is_tty() {
        let (tx, rx) = mpsc::channel();
        let (line, raw) = prompt::start(tx, wake.clone(), interrupted.clone()).map_err(RehearseError::Runtime)?;
        screen.set_prompt(Some(line));
        raw_mode = Some(raw);
        Some(rx)
    } else {
        Some(read_stdin(wake.clone()))
    };
    let base_file = prepared.scenario.file.clone();
    let name = prepared.scenario.name.clone();
    let started = Instant::now();
    let mut rehearsal = Rehearsal {
        clock: PaceClock::new(options.speed, options.from, started),
        runtime,
        inputs,
        script: options.interactive && !stdin_tty,
        interrupted,
        wake,
        until: None,
        quit: false,
        typed: Vec::new(),
        printed: 0,
        watches,
        screen,
        end: SimTime(prepared.scenario.duration.0),
        name: name.clone(),
        last_draw: None,
        stopped_at: None,
        live,
        last_publish: None,
        serving: Vec::new(),
    };
    if let Some(live) = &rehearsal.live {
        rehearsal
            .screen
            .say(&format!("live view: http://{}/", live.local_addr()));
    }
    if rehearsal.script {
        rehearsal.clock.pause(started);
    }
    rehearsal.screen.say(&format!(
        "rehearsing {name}: {} of simulated time at ×{}{}{}",
        SimDuration(prepared.scenario.duration.0),
        options.speed,
        if options.from > SimTime::ZERO {
            format!(", from {}", options.from)
        } else {
            String::new()
        },
        if options.interactive {
            "; type help for the controls"
        } else {
            ""
        }
    ));
    let progress = crate::progress::Progress::default();
    let paced = run_paced(prepared, &progress, Some(&mut rehearsal));
    // The terminal back to normal before anything else is printed.
    rehearsal.screen.set_prompt(None);
    drop(raw_mode);
    let paced = paced?;
    let typed = std::mem::take(&mut rehearsal.typed);
    let ending = match paced {
        Paced::Finished(result) => {
            rehearsal.publish_end(&result);
            rehearsal
                .screen
                .say(&format!("rehearsal of {name} finished at {}", rehearsal.end));
            Rehearsed::Finished(Box::new(crate::complete(*result)))
        }
        Paced::Stopped { at } => {
            let at = rehearsal.stopped_at.map_or(at, |clock| clock.max(at));
            rehearsal.screen.say(&format!("rehearsal of {name} stopped at {at}"));
            Rehearsed::Stopped { at }
        }
    };
    // The pages get the last snapshot, then their streams end.
    if let Some(live) = rehearsal.live.take() {
        rehearsal.runtime.block_on(live.shutdown());
    }
    if let Some(path) = &options.record {
        let text = record::recording(&base_file, path, &name, &typed);
        let written = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|_| std::fs::write(path, text));
        written.map_err(|error| RehearseError::Record {
            path: path.display().to_string(),
            error,
        })?;
        rehearsal.screen.say(&format!(
            "recorded {} typed command(s) in {}; replay with: gpuaas-sim check {}",
            typed.len(),
            path.display(),
            path.display()
        ));
    }
    Ok(Outcome { ending, typed })
}

/// The scenario as it would have run had it ended where a rehearsal stopped, with the
/// commands typed: what a stopped rehearsal's report shows. Expectations after the stop
/// are left out, and said so in the returned notes.
pub fn stopped_run(
    mut prepared: Prepared,
    at: SimTime,
    typed: Vec<TimelineEntry>,
) -> Result<(Completed, Vec<String>), RunError> {
    let scenario = &mut prepared.scenario;
    let before_duration = scenario.duration;
    scenario.duration = SimDuration(at.0);
    let before = scenario.expect.len();
    scenario.expect.retain(|e| e.when.instant() <= at);
    let mut notes = vec![format!(
        "a rehearsal stopped at {at}: this report covers the run up to the stop, not the scenario's {}",
        SimTime(before_duration.0)
    )];
    if scenario.expect.len() < before {
        notes.push(format!(
            "{} expectation(s) after the stop at {at} were not evaluated",
            before - scenario.expect.len()
        ));
    }
    // After the scenario's own entries, as the rehearsal scheduled them (their indices
    // name the timeline's `apply -f` files).
    let base = scenario
        .file
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let first = scenario.timeline.len();
    for (i, entry) in typed.iter().enumerate() {
        if let Verb::Apply { file } = &entry.command.verb {
            // Checked when it was typed; a file changed since is applied as it is now.
            let docs = crate::scenario::run::typed_apply(&prepared, &base.join(file), &entry.loc).unwrap_or_default();
            prepared.apply_files.insert(first + i, docs);
        }
    }
    prepared.scenario.timeline.extend(typed);
    // The report says so too (its inputs' warnings).
    prepared.warnings.extend(notes.iter().cloned());
    crate::simulate(prepared).map(|c| (c, notes))
}

/// `message` said as an error, once: oc's own messages often start with `error: `.
fn with_error(message: &str) -> String {
    format!("error: {}", message.trim_start_matches("error: "))
}

/// Ctrl-C sets `interrupted` (and wakes the rehearsal) instead of ending the process; the
/// handler is in place when this returns.
fn catch_interrupt(
    runtime: &tokio::runtime::Runtime,
    interrupted: Arc<AtomicBool>,
    wake: Arc<tokio::sync::Notify>,
) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut sigint = runtime.block_on(async { signal(SignalKind::interrupt()) })?;
        runtime.spawn(async move {
            if sigint.recv().await.is_some() {
                interrupted.store(true, Ordering::SeqCst);
                wake.notify_one();
            }
        });
    }
    #[cfg(not(unix))]
    runtime.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            interrupted.store(true, Ordering::SeqCst);
            wake.notify_one();
        }
    });
    Ok(())
}

/// Lines typed on stdin, read on a thread of their own, then `None` at the end of the
/// input; each wakes the rehearsal.
fn read_stdin(wake: Arc<tokio::sync::Notify>) -> mpsc::Receiver<Option<String>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if tx.send(Some(line)).is_err() {
                return;
            }
            wake.notify_one();
        }
        let _ = tx.send(None);
        wake.notify_one();
    });
    rx
}

/// The pacer of a rehearsal.
struct Rehearsal {
    runtime: tokio::runtime::Runtime,
    clock: PaceClock,
    inputs: Option<mpsc::Receiver<Option<String>>>,
    /// Stdin is a script, not a person at a terminal: the clock is held while it has
    /// lines, so that a script gives the same session every time.
    script: bool,
    interrupted: Arc<AtomicBool>,
    wake: Arc<tokio::sync::Notify>,
    until: Option<Until>,
    quit: bool,
    typed: Vec<TimelineEntry>,
    /// Transcript entries already printed.
    printed: usize,
    watches: Vec<(String, Command)>,
    screen: Screen,
    end: SimTime,
    name: String,
    last_draw: Option<Instant>,
    /// The clock when the rehearsal was stopped.
    stopped_at: Option<SimTime>,
    /// The live page's server, with `--serve`.
    live: Option<LiveView>,
    last_publish: Option<Instant>,
    /// The services as last read for the live page (the end's snapshot reuses them: the
    /// request side is gone by then).
    serving: Vec<crate::scenario::serve::ModelLive>,
}

impl Pacer for Rehearsal {
    fn ahead(&mut self, moment: &Moment<'_>, next: SimTime) -> crate::scenario::run::Pacing {
        use crate::scenario::run::Pacing;
        loop {
            if self.quit || self.interrupted.load(Ordering::SeqCst) {
                self.publish(moment, next, true);
                // Where the clock stood: nothing changes between the last instant and the
                // next, so the run up to the clock is the run up to the last instant.
                let clock = self.clock.sim_at(Instant::now()).min(SimTime(next.0.saturating_sub(1)));
                self.stopped_at = Some(clock.max(moment.engine.now()));
                return Pacing::Stop;
            }
            self.publish(moment, next, false);
            match &self.until {
                Some(Until::Time(t)) if next > *t => {
                    let t = *t;
                    self.clock.jump_to(t, Instant::now());
                    self.until = None;
                    self.screen.say(&format!("[{t}] reached"));
                    continue;
                }
                Some(_) => return Pacing::Go,
                None => {}
            }
            let wall = Instant::now();
            if next <= self.clock.sim_at(wall) {
                self.draw(moment, false);
                return Pacing::Go;
            }
            // The run has caught up with the clock: what was typed is read now. An
            // `until` holds the prompt, as a command that has not returned does.
            let typed = match (&self.until, &self.inputs) {
                (None, Some(rx)) if self.script => match rx.recv_timeout(TICK) {
                    Ok(line) => Some(line),
                    Err(mpsc::RecvTimeoutError::Timeout) => continue,
                    Err(mpsc::RecvTimeoutError::Disconnected) => Some(None),
                },
                (None, Some(rx)) => rx.try_recv().ok(),
                _ => None,
            };
            match typed {
                Some(Some(line)) => {
                    if let Some(pacing) = self.typed_line(&line, moment) {
                        return pacing;
                    }
                    continue;
                }
                Some(None) => {
                    // The end of a script (or Ctrl-D): the rehearsal plays on to its end.
                    self.inputs = None;
                    let at = self.clock.sim_at(Instant::now()).max(moment.engine.now());
                    if self.clock.paused() {
                        self.clock.resume(Instant::now());
                    }
                    self.screen
                        .say(&format!("[{at}] end of input; playing on to {}", self.end));
                    continue;
                }
                None => {}
            }
            self.draw(moment, true);
            let deadline = self.clock.wall_at(next).map_or(wall + TICK, |d| d.min(wall + TICK));
            let wake = self.wake.clone();
            self.runtime.block_on(async move {
                tokio::select! {
                    _ = tokio::time::sleep_until(deadline.into()) => {}
                    _ = wake.notified() => {}
                }
            });
        }
    }

    fn after_instant(&mut self, moment: &Moment<'_>) {
        let fresh = moment.transcript.len() > self.printed;
        for t in moment.transcript.iter().skip(self.printed) {
            let typed = moment.typed.iter().any(|e| e.at == t.t && e.text == t.command);
            let mark = if typed { "> " } else { "$ " };
            self.screen
                .say(&format!("\n[{}] {mark}{}\n{}", t.t, t.command, t.output));
        }
        self.printed = moment.transcript.len();
        // What the commands that follow time printed at this instant, as it appears.
        for l in moment.new_lines {
            self.screen.say(&format!("[{}] {}", l.line.t, l.line.line));
        }
        if fresh && !self.watches.is_empty() {
            let lines = self.panel_lines(moment, false);
            self.screen.panel_in_log(&lines);
        }
        if let Some(Until::State { name, state }) = &self.until {
            let now = moment.engine.now();
            let reached = moment
                .engine
                .store()
                .workloads
                .values()
                .any(|w| crate::scenario::expect::matches(w, name, None) && w.state_at(now) == *state);
            if reached {
                self.screen.say(&format!("[{now}] {name} is {}", state.as_str()));
                self.clock.jump_to(now, Instant::now());
                self.until = None;
            }
        }
    }
}

impl Rehearsal {
    /// Sends the live page the cluster as it stands before the instant `next`: at most
    /// once a tick while the clock runs, and once more, `ended`, when the rehearsal stops.
    fn publish(&mut self, moment: &Moment<'_>, next: SimTime, ended: bool) {
        let Some(live) = &self.live else { return };
        let wall = Instant::now();
        if !ended && self.last_publish.is_some_and(|t| wall.duration_since(t) < TICK) {
            return;
        }
        self.last_publish = Some(wall);
        let done = moment.engine.now();
        self.serving = moment.serving.recent(done);
        // The clock runs on between instants, but never past the one not yet handled.
        let shown = self.clock.sim_at(wall).max(done).min(next).min(self.end);
        let frame = view::Frame {
            engine: moment.engine,
            scenario: &self.name,
            now: if ended { done } else { shown },
            end: self.end,
            timeline: moment.timeline,
            // Sorted by instant; those before `next` have run.
            next: moment.timeline.partition_point(|e| e.at < next),
            transcript: moment.transcript,
            serving: &self.serving,
            speed: self.clock.speed(),
            paused: self.clock.paused(),
            finished: ended,
        };
        live.publish(view::snapshot(&frame));
    }

    /// The live page's last snapshot of a rehearsal played to its end: the cluster at the
    /// end, every entry run (typed ones among them, in the finished timeline).
    fn publish_end(&mut self, result: &crate::scenario::run::RunResult) {
        let Some(live) = &self.live else { return };
        let timeline = &result.prepared.scenario.timeline;
        let frame = view::Frame {
            engine: &result.engine,
            scenario: &self.name,
            now: result.engine.now(),
            end: self.end,
            timeline,
            next: timeline.len(),
            transcript: &result.transcript,
            serving: &self.serving,
            speed: self.clock.speed(),
            paused: self.clock.paused(),
            finished: true,
        };
        live.publish(view::snapshot(&frame));
    }

    /// Acts on one typed line; a command to run comes back as the pacing to return.
    fn typed_line(&mut self, line: &str, moment: &Moment<'_>) -> Option<crate::scenario::run::Pacing> {
        let wall = Instant::now();
        // To the second, as the prompt's clock shows it.
        let now = self.clock.sim_at(wall).max(moment.engine.now());
        let now = SimTime(now.0 / 1000 * 1000);
        // A command's own line comes with its output, at the instant it ran.
        let command = line.trim_start().starts_with("oc ") || line.trim_start().starts_with("kubectl ");
        if !command {
            self.screen.say(&format!("[{now}] > {line}"));
        }
        let input = match console::parse(line) {
            Ok(i) => i,
            Err(e) => {
                self.screen.say(&format!("error: {e}"));
                return None;
            }
        };
        match input {
            Input::Empty => {}
            Input::Help => self.screen.say(console::HELP),
            Input::Quit => self.quit = true,
            Input::Pause | Input::Resume if self.script => {
                self.screen.say(&format!(
                    "[{now}] (a script holds the clock while it has lines; skip and until move it, and it plays on at its end)"
                ));
            }
            Input::Pause => {
                self.clock.pause(wall);
                self.screen.say(&format!("[{now}] paused; type resume to go on"));
            }
            Input::Resume => {
                self.clock.resume(wall);
                self.screen.say(&format!("[{now}] resumed at ×{}", self.clock.speed()));
            }
            Input::Speed(x) => {
                self.clock.set_speed(x, wall);
                self.screen.say(&format!("[{now}] speed ×{x}"));
            }
            Input::Skip(d) => {
                self.clock.skip(d, wall);
                self.screen
                    .say(&format!("[{now}] skipping to {}", self.clock.sim_at(wall)));
            }
            Input::Until(u) => {
                let what = match &u {
                    Until::State { name, state } => format!("{name} is {}", state.as_str()),
                    Until::Time(t) => t.to_string(),
                };
                self.screen.say(&format!("[{now}] full speed until {what}"));
                self.until = Some(u);
            }
            Input::Oc(text) => {
                let echo = format!("[{now}] > {text}");
                match self.typed_command(text, moment) {
                    Ok(pacing) => return Some(pacing),
                    // What was typed, then why it did not run, as a shell shows it.
                    Err(why) => self.screen.say(&format!("{echo}\n{why}")),
                }
            }
        }
        None
    }

    /// A typed `oc` command at the next whole second after the clock and the instant
    /// done last (that instant has run; a recording names whole seconds).
    fn typed_command(&mut self, text: String, moment: &Moment<'_>) -> Result<crate::scenario::run::Pacing, String> {
        let command = match parse_command(&text) {
            Ok(c) => c,
            Err(e) => {
                return Err(format!("{}\n  hint: {}", with_error(&e.message), e.hint));
            }
        };
        // A file applied from the prompt is named as the scenario names its files,
        // relative to the scenario's folder, so that the recording applies it too.
        let (text, command, apply) = match &command.verb {
            Verb::Apply { file } => {
                let path = PathBuf::from(file);
                if !path.is_file() {
                    return Err(format!(
                        "error: the path \"{file}\" does not exist (at the prompt, paths are relative to the current directory)"
                    ));
                }
                let base = moment
                    .prepared
                    .scenario
                    .file
                    .parent()
                    .unwrap_or(std::path::Path::new("."));
                let rel = record::relative_to(&path, base);
                let program = text.split_whitespace().next().unwrap_or("oc");
                let ns = command
                    .namespace
                    .as_ref()
                    .map(|n| format!(" -n {n}"))
                    .unwrap_or_default();
                let text = format!("{program} apply -f {}{ns}", rel.display());
                let loc = Loc::new(Arc::from("<typed>"), self.typed.len() as u32 + 1, 1);
                match (
                    parse_command(&text),
                    crate::scenario::run::typed_apply(moment.prepared, &path, &loc),
                ) {
                    (Ok(command), Ok(docs)) => (text, command, docs),
                    (Err(e), _) => {
                        return Err(format!("{}\n  hint: {}", with_error(&e.message), e.hint));
                    }
                    (_, Err(errors)) => {
                        let lines: Vec<String> = errors.iter().map(|e| format!("error: {e}")).collect();
                        return Err(lines.join("\n"));
                    }
                }
            }
            _ => (text, command, Vec::new()),
        };
        let wall = Instant::now();
        let after = self.clock.sim_at(wall).max(moment.engine.now() + SimDuration(1));
        let at = SimTime(after.0.div_ceil(1000) * 1000);
        if at > self.end {
            return Err(format!("error: the rehearsal ends at {}", self.end));
        }
        // The clock goes to the command's instant (at most a second on), so that it runs
        // now, paused or not.
        self.clock.jump_to(at, wall);
        let entry = TimelineEntry {
            at,
            text,
            command,
            loc: Loc::new(Arc::from("<typed>"), self.typed.len() as u32 + 1, 1),
        };
        self.typed.push(entry.clone());
        Ok(crate::scenario::run::Pacing::Command(entry, apply))
    }

    /// The panel: the clock, the countdown to the next entry, each watch's output; `live`
    /// on a terminal, else for a log.
    fn panel_lines(&self, moment: &Moment<'_>, live: bool) -> Vec<String> {
        // Live, the clock as it runs; in a log, the instant the panel shows.
        let shown = if live {
            let wall = Instant::now();
            let t = self.clock.sim_at(wall).max(moment.engine.now()).min(self.end);
            SimTime(t.0 / 1000 * 1000)
        } else {
            moment.engine.now()
        };
        let mut state = format!("×{}", self.clock.speed());
        if self.clock.paused() {
            state += " paused";
        }
        if let Some(u) = &self.until {
            state += &match u {
                Until::State { name, state } => format!(" until {name} {}", state.as_str()),
                Until::Time(t) => format!(" until {t}"),
            };
        }
        let done = moment.engine.now();
        let next = moment
            .timeline
            .iter()
            .chain(moment.typed)
            .filter(|e| e.at > done)
            .min_by_key(|e| e.at);
        let next = match next {
            Some(e) => {
                let left = SimDuration(e.at.0.saturating_sub(shown.0).div_ceil(1000) * 1000);
                let speed = self.clock.speed();
                let wall = left.as_secs_f64() / speed;
                if self.clock.paused() || speed == 1.0 {
                    format!("next {} in {left}: {}", e.at, e.text)
                } else {
                    format!("next {} in {left} ({wall:.0} s at ×{speed}): {}", e.at, e.text)
                }
            }
            None => "no more timeline entries".into(),
        };
        let mut lines = vec![format!("── {} {shown} / {} {state} ── {next}", self.name, self.end)];
        for (text, cmd) in &self.watches {
            lines.push(format!("── {text}"));
            let out = crate::scenario::execute::read(moment.engine, cmd).unwrap_or_default();
            lines.extend(out.lines().map(str::to_string));
        }
        lines
    }

    /// Redraws the panel, at most once a tick unless `force`d.
    fn draw(&mut self, moment: &Moment<'_>, force: bool) {
        if !self.screen.is_tty() {
            return;
        }
        let now = Instant::now();
        if !force && self.last_draw.is_some_and(|t| now.duration_since(t) < TICK) {
            return;
        }
        if force && self.last_draw.is_some_and(|t| now.duration_since(t) < TICK / 4) {
            return;
        }
        self.last_draw = Some(now);
        let lines = self.panel_lines(moment, true);
        self.screen.panel(&lines);
    }
}
