//! How far a run has got, for a progress display. Each run reports into its own
//! `Progress` (so several runs at once never mix); the simulation only stores numbers there
//! (relaxed atomics, never read back by it), so whether anyone watches has no effect on
//! results.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;

/// What the run is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Idle = 0,
    /// The cluster: controllers, Kueue, kube-scheduler, the timeline.
    Cluster = 1,
    /// One InferenceService's requests.
    Requests = 2,
}

/// One run's progress: its phase and how many of its simulated seconds are done.
#[derive(Debug, Default)]
pub struct Progress {
    phase: AtomicU8,
    done_ms: AtomicU64,
    total_ms: AtomicU64,
}

impl Progress {
    /// Records that `phase` has reached simulated second `done_s` of `total_s`.
    pub(crate) fn set(&self, phase: Phase, done_s: f64, total_s: f64) {
        self.phase.store(phase as u8, Ordering::Relaxed);
        self.done_ms.store((done_s.max(0.0) * 1000.0) as u64, Ordering::Relaxed);
        self.total_ms
            .store((total_s.max(0.0) * 1000.0) as u64, Ordering::Relaxed);
    }

    /// The phase and its simulated seconds done and in all.
    pub fn get(&self) -> (Phase, f64, f64) {
        let phase = match self.phase.load(Ordering::Relaxed) {
            1 => Phase::Cluster,
            2 => Phase::Requests,
            _ => Phase::Idle,
        };
        (
            phase,
            self.done_ms.load(Ordering::Relaxed) as f64 / 1000.0,
            self.total_ms.load(Ordering::Relaxed) as f64 / 1000.0,
        )
    }
}

/// A progress bar on stderr for one scenario's run: shown only when stderr is a terminal
/// and the run has lasted a second, cleared when dropped.
pub struct Display {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Display {
    /// Starts watching `progress`; `label` names the scenario (and its place among several).
    pub fn start(label: String, progress: Arc<Progress>, enabled: bool) -> Display {
        use std::io::IsTerminal;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        if !enabled || !std::io::stderr().is_terminal() {
            return Display { stop, thread: None };
        }
        let watching = stop.clone();
        let thread = std::thread::spawn(move || watch(&label, &progress, &watching));
        Display {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn clock(s: f64) -> String {
    let s = s as u64;
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

fn watch(label: &str, progress: &Progress, stop: &std::sync::atomic::AtomicBool) {
    use std::time::{Duration, Instant};
    let started = Instant::now();
    let tick = Duration::from_millis(50);
    while started.elapsed() < Duration::from_secs(1) {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        std::thread::sleep(tick);
    }
    let bar = indicatif::ProgressBar::new(1000);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {msg} ({elapsed})")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix(label.to_string());
    while !stop.load(Ordering::Relaxed) {
        let (phase, done, total) = progress.get();
        let what = match phase {
            Phase::Idle => "reading inputs",
            Phase::Cluster => "cluster",
            Phase::Requests => "requests",
        };
        if total > 0.0 {
            bar.set_position((done / total * 1000.0).min(1000.0) as u64);
        }
        bar.set_message(format!("{what} {} of {}", clock(done), clock(total)));
        std::thread::sleep(tick * 2);
    }
    bar.finish_and_clear();
}

/// A progress bar over a count of runs (a sweep's): shown only when stderr is a terminal,
/// cleared when dropped. The runs only add to the count; nothing reads it back.
pub struct Counter {
    count: Arc<std::sync::atomic::AtomicUsize>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Counter {
    pub fn start(label: String, total: usize, enabled: bool) -> Counter {
        use std::io::IsTerminal;
        let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let thread = (enabled && std::io::stderr().is_terminal()).then(|| {
            let (count, stop) = (count.clone(), stop.clone());
            std::thread::spawn(move || {
                let bar = indicatif::ProgressBar::new(total as u64);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{prefix} [{bar:30}] {pos}/{len} runs ({elapsed}, {eta} left)",
                    )
                    .expect("a valid template")
                    .progress_chars("=> "),
                );
                bar.set_prefix(label);
                while !stop.load(Ordering::Relaxed) {
                    bar.set_position(count.load(Ordering::Relaxed) as u64);
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                bar.finish_and_clear();
            })
        });
        Counter { count, stop, thread }
    }

    /// What the runs add to as they finish.
    pub fn count(&self) -> &std::sync::atomic::AtomicUsize {
        &self.count
    }
}

impl Drop for Counter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
