//! The product's main job: run a matrix of scenarios with a warm-up pass and R interleaved
//! repetitions (so slow drift of a shared machine spreads over every scenario instead of
//! masquerading as a strategy effect), store every run and worker, and summarise.

pub mod matrix;
mod summary;
mod time;

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use crate::profile::HardwareProfile;
use crate::runner::{RunError, Total, WorkerResult, run_scenario};
use crate::store::{ResultsDir, RunRow, Status, StoreError, Stored, SummaryRow, WorkerRow};
pub use matrix::{Axes, Planned, Skipped, build, default_worker_counts};
pub use summary::summarise;
pub use time::{run_id_now, utc_timestamp};

/// How a sweep repeats and judges.
#[derive(Debug, Clone)]
pub struct SweepConfig {
    pub reps: usize,
    pub warmup: bool,
    pub threshold: f64,
    pub seed: u64,
}

/// What a finished sweep produced.
pub struct Outcome {
    pub run_id: String,
    pub summary: Vec<SummaryRow>,
    pub failed_runs: usize,
    /// Runs during which the cgroup's CPU quota throttled the workers.
    pub throttled_runs: usize,
    /// The exit status owed to a SIGINT (130) or SIGTERM (143) that stopped the sweep early.
    pub interrupted: Option<i32>,
}

/// Set by SIGINT/SIGTERM to the exit status they call for; the sweep stops between runs.
fn interruption() -> &'static std::sync::Arc<std::sync::atomic::AtomicUsize> {
    static FLAG: std::sync::OnceLock<std::sync::Arc<std::sync::atomic::AtomicUsize>> =
        std::sync::OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let _ = signal_hook::flag::register_usize(signal_hook::consts::SIGINT, flag.clone(), 130);
        let _ = signal_hook::flag::register_usize(signal_hook::consts::SIGTERM, flag.clone(), 143);
        flag
    })
}

fn interrupted() -> Option<i32> {
    match interruption().load(std::sync::atomic::Ordering::SeqCst) {
        0 => None,
        code => Some(code as i32),
    }
}

/// Reports progress: a bar on a terminal, a plain line every few seconds otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: u64,
    done: u64,
    start: Instant,
    last_line: Instant,
}

impl Progress {
    fn new(total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = indicatif::ProgressBar::new(total);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} runs  {elapsed} elapsed, ETA {eta}  {msg}",
                )
                .expect("valid template"),
            );
            b
        });
        Self {
            bar,
            total,
            done: 0,
            start: Instant::now(),
            last_line: Instant::now(),
        }
    }

    fn tick(&mut self, what: &str) {
        self.done += 1;
        match &self.bar {
            Some(b) => {
                b.set_message(what.to_string());
                b.inc(1);
            }
            None => {
                if self.last_line.elapsed() >= Duration::from_secs(5) || self.done == self.total {
                    let el = self.start.elapsed().as_secs_f64();
                    let eta = el / self.done as f64 * (self.total - self.done) as f64;
                    eprintln!(
                        "progress: {}/{} runs, {el:.0}s elapsed, ETA {eta:.0}s ({what})",
                        self.done, self.total
                    );
                    self.last_line = Instant::now();
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// The cgroup's `nr_throttled` counter, where it has one.
fn throttled(profile: &HardwareProfile) -> Option<u64> {
    let path = profile.cgroup.cpu_stat_path.as_ref()?;
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("nr_throttled "))
        .and_then(|v| v.trim().parse().ok())
}

fn opt_str<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(|x| x.to_string()).unwrap_or_default()
}

fn run_row(
    p: &Planned,
    run_id: &str,
    profile_id: &str,
    rep: usize,
    result: &Result<Vec<WorkerResult>, RunError>,
) -> RunRow {
    let mut row = RunRow {
        run_id: run_id.into(),
        timestamp: utc_timestamp(),
        profile_id: profile_id.into(),
        key: p.key.clone(),
        placement: p
            .placement
            .workers
            .iter()
            .map(|w| opt_str(&w.cpus))
            .collect::<Vec<_>>()
            .join("/")
            .trim_matches('/')
            .to_string(),
        spawner_mask: opt_str(&p.placement.spawner_mask),
        rep,
        duration_s: p.scenario.duration.as_secs_f64(),
        ..Default::default()
    };
    match result {
        Ok(workers) => {
            let t = Total::of(&p.scenario.workload, workers);
            row.status = Status::Ok;
            row.seconds = Some(t.seconds);
            row.ops = Some(t.ops);
            row.throughput_ops_s = Some(t.throughput_ops_s);
            row.ns_per_op = t.ns_per_op;
            row.migrations = t.migrations;
            row.migrations_source = workers
                .iter()
                .find_map(|w| w.counts.migrations_source)
                .map(|s| s.as_str().to_string())
                .unwrap_or_default();
            row.voluntary_switches = t.voluntary_switches;
            row.involuntary_switches = t.involuntary_switches;
            row.user_seconds = workers.iter().map(|w| w.counts.user_seconds).sum();
            row.system_seconds = workers.iter().map(|w| w.counts.system_seconds).sum();
            row.cpus_seen = t.cpus_seen.to_string();
            let mismatched: Vec<String> = workers
                .iter()
                .filter(|w| {
                    w.cpus_planned
                        .as_ref()
                        .is_some_and(|p| p != &w.cpus_readback)
                })
                .map(|w| format!("worker {} ran under {}", w.worker, w.cpus_readback))
                .collect();
            if !mismatched.is_empty() {
                row.reason = format!("mask differs from the plan: {}", mismatched.join("; "));
            }
            row.off_plan_fraction = t.off_plan_fraction;
        }
        Err(e) => {
            row.status = Status::Failed;
            row.reason = e.to_string();
        }
    }
    row
}

fn worker_rows(p: &Planned, base: &RunRow, workers: &[WorkerResult]) -> Vec<WorkerRow> {
    workers
        .iter()
        .map(|w| WorkerRow {
            run_id: base.run_id.clone(),
            timestamp: base.timestamp.clone(),
            profile_id: base.profile_id.clone(),
            key: p.key.clone(),
            rep: base.rep,
            worker: w.worker,
            primary: w.primary,
            cpus_planned: opt_str(&w.cpus_planned),
            cpus_readback: w.cpus_readback.to_string(),
            cpus_seen: w.cpus_seen.to_string(),
            ops: w.ops,
            seconds: w.seconds,
            throughput_ops_s: w.throughput_ops_s,
            migrations: w.counts.migrations,
            migrations_source: w
                .counts
                .migrations_source
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            voluntary_switches: w.counts.voluntary_switches,
            involuntary_switches: w.counts.involuntary_switches,
            switches_source: w.counts.switches_source.clone().unwrap_or_default(),
            user_seconds: w.counts.user_seconds,
            system_seconds: w.counts.system_seconds,
            cpu_samples: w.cpu_samples,
            samples_outside_plan: w.samples_outside_plan,
            generations: w.generations,
        })
        .collect()
}

/// Runs the sweep, rewriting the result files as it goes (at most every 2 s, and at the end)
/// so an interrupted sweep keeps what it finished. Earlier runs' rows are kept as they were.
pub fn execute(
    planned: &[Planned],
    skipped: &[matrix::Skipped],
    profile: &HardwareProfile,
    dir: &ResultsDir,
    stored: Stored,
    cfg: &SweepConfig,
) -> Result<Outcome, StoreError> {
    let Stored {
        mut runs,
        mut workers,
        summary: mut summaries,
    } = stored;
    dir.write_profile(profile)?;
    let run_id = run_id_now();
    let first_new_run = runs.len();
    let keep_summaries = summaries.len();
    let passes = cfg.reps + usize::from(cfg.warmup);
    let mut progress = Progress::new((passes * planned.len()) as u64);
    let mut last_write = Instant::now();
    let mut failed_runs = 0;
    let mut throttled_runs = 0;
    interruption();

    let skipped_rows: Vec<SummaryRow> = skipped
        .iter()
        .map(|s| SummaryRow {
            run_id: run_id.clone(),
            profile_id: profile.id.clone(),
            key: s.key.clone(),
            status: Status::Skipped,
            reason: s.reason.clone(),
            ..Default::default()
        })
        .collect();

    let flush = |runs: &mut Vec<RunRow>, workers: &[WorkerRow], summaries: &mut Vec<SummaryRow>| {
        let fresh = summarise(&mut runs[first_new_run..], cfg.threshold, cfg.seed);
        summaries.truncate(keep_summaries);
        summaries.extend(fresh);
        summaries.extend(skipped_rows.iter().cloned());
        dir.write_all(runs, workers, summaries)
    };

    'passes: for pass in 0..passes {
        let warmup = cfg.warmup && pass == 0;
        let rep = if cfg.warmup {
            pass.wrapping_sub(1)
        } else {
            pass
        };
        for p in planned {
            if interrupted().is_some() {
                break 'passes;
            }
            let throttled_before = throttled(profile);
            let result = run_scenario(&p.scenario, &p.placement);
            let throttled_during = throttled(profile)
                .zip(throttled_before)
                .map(|(after, before)| after.saturating_sub(before));
            if interrupted().is_some() {
                // The signal may have reached the workers too: this run is no measurement.
                break 'passes;
            }
            let label = format!(
                "{} {} {} x{}",
                p.key.workload, p.key.strategy, p.key.model, p.key.workers
            );
            progress.tick(&label);
            if warmup {
                continue;
            }
            let mut row = run_row(p, &run_id, &profile.id, rep, &result);
            row.throttled_periods = throttled_during;
            if throttled_during.is_some_and(|t| t > 0) {
                throttled_runs += 1;
            }
            if let Ok(ws) = &result {
                workers.extend(worker_rows(p, &row, ws));
            } else {
                failed_runs += 1;
            }
            runs.push(row);
            if last_write.elapsed() >= Duration::from_secs(2) {
                flush(&mut runs, &workers, &mut summaries)?;
                last_write = Instant::now();
            }
        }
    }
    flush(&mut runs, &workers, &mut summaries)?;
    progress.finish();
    Ok(Outcome {
        run_id,
        summary: summaries[keep_summaries..].to_vec(),
        failed_runs,
        throttled_runs,
        interrupted: interrupted(),
    })
}
