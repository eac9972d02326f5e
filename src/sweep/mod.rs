//! The product's main job: run a matrix of scenarios with a warm-up pass and interleaved
//! repetitions (so slow drift of a shared machine spreads over every scenario instead of
//! masquerading as a strategy effect): every scenario gets the minimum, then the repetitions
//! race ([`racing`]): each pass goes to the scenarios whose comparison with `none` is still
//! open, weighted by how close it is to settling, with their `none`, until every comparison is
//! settled, or the run budget or `--budget` is spent. Every run and worker is stored, and the
//! run is summarised.

mod estimate;
pub mod matrix;
pub mod racing;
mod summary;
mod time;

mod progress;

use std::time::{Duration, Instant};

use crate::profile::HardwareProfile;
use crate::runner::{Executor, Measured, RunError, WorkerResult};
use crate::store::{
    MASK_DIFFERS, REPINNED, ResultsDir, RunRow, Status, StoreError, Stored, SummaryRow, WorkerRow,
};
pub use estimate::{Estimate, estimate};
pub use matrix::{Axes, Planned, Skipped, build, default_worker_counts};
pub use summary::{PLACED_SHARE, summarise};
pub use time::{run_id_now, utc_timestamp};

use crate::interrupt::{interrupted, interruption};
use crate::stats::Verdict;
use progress::Progress;
use racing::{Comparison, Judged, Racing, Standing};

/// How a sweep repeats and judges.
#[derive(Debug, Clone)]
pub struct SweepConfig {
    /// Repetitions every scenario gets.
    pub reps: usize,
    /// Repetitions no scenario goes beyond.
    pub max_reps: usize,
    /// Target half-width of the median's interval, relative to the median: what the summary
    /// reports reaching.
    pub precision: f64,
    /// Whether the user asked for `precision` (`--precision`): then a scenario short of it
    /// races on too, as one with an open comparison does.
    pub precision_asked: bool,
    /// Time for the racing passes beyond the first `reps`.
    pub budget: Duration,
    pub warmup: bool,
    pub threshold: f64,
}

/// What a finished sweep produced.
pub struct Outcome {
    pub run_id: String,
    pub summary: Vec<SummaryRow>,
    pub failed_runs: usize,
    /// The first failed run: its scenario and reason (a program's quotes its last output line).
    pub first_failure: Option<String>,
    /// Runs during which the cgroup's CPU quota throttled the workers.
    pub throttled_runs: usize,
    /// The exit status owed to a SIGINT (130) or SIGTERM (143) that stopped the sweep early.
    pub interrupted: Option<i32>,
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
    command: Option<String>,
    result: &Result<Measured, RunError>,
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
        recycle_tasks: p.scenario.recycle.map(|r| r.tasks_per_worker),
        antagonist_cpus: p.scenario.antagonist.as_ref().map(|a| a.to_string()),
        repin: p.scenario.recycle.map(|r| r.repin),
        command,
        ..Default::default()
    };
    match result {
        Ok(Measured {
            workers,
            total: t,
            tree,
        }) => {
            row.status = Status::Ok;
            row.seconds = Some(t.seconds);
            row.ops = Some(t.ops);
            row.throughput_ops_s = Some(t.throughput_ops_s);
            row.ns_per_op = t.ns_per_op;
            row.cpu_ns_per_op = t.cpu_ns_per_op;
            row.generations = workers.iter().map(|w| w.generations).sum();
            row.unpinned_fraction = workers
                .iter()
                .filter_map(|w| w.unpinned_fraction())
                .reduce(f64::max);
            row.migrations = t.migrations;
            row.migrations_source = workers
                .iter()
                .find_map(|w| w.counts.migrations_source)
                .map(|s| s.as_str().to_string())
                .unwrap_or_default();
            row.voluntary_switches = t.voluntary_switches;
            row.involuntary_switches = t.involuntary_switches;
            row.user_seconds = t.user_seconds;
            row.system_seconds = t.system_seconds;
            row.runq_wait_s = t.runq_wait_s;
            // Summed where every worker has the counter (an empty sum is no count, not 0).
            let hardware = |f: fn(&crate::metrics::Counts) -> Option<u64>| {
                (!workers.is_empty())
                    .then(|| workers.iter().map(|w| f(&w.counts)).sum::<Option<u64>>())
                    .flatten()
            };
            row.cycles = hardware(|c| c.cycles);
            row.instructions = hardware(|c| c.instructions);
            row.cache_misses = hardware(|c| c.cache_misses);
            row.cpus_seen = t.cpus_seen.to_string();
            let mismatched: Vec<String> = workers
                .iter()
                // A slot no task ever held has no mask to differ (a program with fewer workers).
                .filter(|w| {
                    !w.cpus_readback.is_empty()
                        && w.cpus_planned
                            .as_ref()
                            .is_some_and(|p| p != &w.cpus_readback)
                })
                .map(|w| format!("worker {} ran under {}", w.worker, w.cpus_readback))
                .collect();
            if !mismatched.is_empty() {
                row.reason = format!("{MASK_DIFFERS}: {}", mismatched.join("; "));
            }
            row.off_plan_fraction = t.off_plan_fraction;
            if let Some(f) = tree {
                tree_columns(&mut row, f);
                // Added to the mask note above, never in its place.
                let mut notes: Vec<String> = Some(std::mem::take(&mut row.reason))
                    .filter(|r| !r.is_empty())
                    .into_iter()
                    .collect();
                if f.repinned > 0 {
                    notes.push(format!("{REPINNED} {} task(s) itself", f.repinned));
                }
                if f.leftovers > 0 {
                    notes.push(format!(
                        "{} process(es) still ran when the program ended: asked to stop (SIGTERM), killed after --grace if they had not",
                        f.leftovers
                    ));
                }
                if f.unread > 0 {
                    notes.push(format!("{} task(s) ended without their counters", f.unread));
                }
                if f.unfinished_records > 0 {
                    notes.push(format!(
                        "{} record(s) of the preload library were left unfinished by a process ended in the middle of one (SIGKILL): what they said is missing",
                        f.unfinished_records
                    ));
                }
                if let Some(note) = placement_note(p, f) {
                    notes.push(note);
                }
                row.reason = notes.join("; ");
            }
        }
        Err(e) => {
            row.status = Status::Failed;
            row.reason = e.to_string();
            // A program that ran and failed still says how it ended and what it left.
            if let RunError::Program { tree: Some(f), .. } = e {
                tree_columns(&mut row, f);
            }
        }
    }
    row
}

/// The columns of a program's tree (`exec`), from its facts.
fn tree_columns(row: &mut RunRow, f: &crate::runner::TreeFacts) {
    row.exit_status = f.exit_status;
    row.metric = f.metric;
    row.tasks = Some(f.tasks);
    row.processes = Some(f.processes);
    row.waited_tasks = Some(f.waited);
    row.helper_tasks = Some(f.helpers);
    row.leftover_processes = Some(f.leftovers);
    row.repinned_tasks = Some(f.repinned);
    row.main_migrations = f.main_migrations;
    row.pinned_cpu_share = f.pinned_cpu_share;
    row.main_cpu_share = f.main_cpu_share;
    row.workers_seen = Some(f.workers_seen);
    row.late_pins = Some(f.late_pins);
    row.late_pin_delay_s = f.late_pin_delay_s;
    row.placed_by_tracer = Some(f.placed_by_tracer);
    row.placed_by_library = Some(f.placed_by_library);
    row.placed_corrected = Some(f.placed_corrected);
    row.placed_found = Some(f.placed_found);
    row.unslotted_busy = Some(
        f.unslotted_busy
            .iter()
            .map(|(pid, name, s)| format!("{pid} {name} {s:.2}"))
            .collect::<Vec<_>>()
            .join("; "),
    );
}

/// A run whose placement did not happen as planned, said in words: the program started fewer
/// workers than the plan's slots, or too much of its CPU time ran outside them.
fn placement_note(p: &Planned, f: &crate::runner::TreeFacts) -> Option<String> {
    if f.workers_seen < p.key.workers {
        return Some(format!(
            "{} of {} slot(s) ran a worker: the program started {}",
            f.workers_seen,
            p.key.workers,
            if f.workers_seen == 0 {
                "no workers, so nothing was placed (none's placement)".to_string()
            } else {
                "fewer workers than the plan".to_string()
            }
        ));
    }
    let share = f.pinned_cpu_share?;
    (share < PLACED_SHARE).then(|| {
        let busiest: Vec<String> = f
            .unslotted_busy
            .iter()
            .take(3)
            .map(|(pid, name, s)| format!("{name} (pid {pid}, {s:.2} s)"))
            .collect();
        format!(
            "placement not achieved: {:.0} % of the workers' CPU time ran outside their slots{}",
            (1.0 - share) * 100.0,
            if busiest.is_empty() {
                String::new()
            } else {
                format!(", in {}", busiest.join(", "))
            }
        )
    })
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
            runq_wait_s: w.counts.runq_wait_s,
            cpu_samples: w.cpu_samples,
            samples_outside_plan: w.samples_outside_plan,
            generations: w.generations,
            migrations_procfs_check: w.counts.migrations_procfs_check,
            pin_delay_s: w.pin_delay_s(),
            unpinned_fraction: w.unpinned_fraction(),
            slot_cpu_s: w.slot_cpu_s,
            cycles: w.counts.cycles,
            instructions: w.counts.instructions,
            cache_misses: w.counts.cache_misses,
        })
        .collect()
}

/// Judges the runs stored in `dir` again with this pinbench's statistics, without measuring:
/// every run's summary rows are recomputed from runs.csv (its `skipped` rows kept as they
/// were) and the outlier flags of runs.csv refreshed. Returns how many runs were judged.
pub fn resummarise(dir: &ResultsDir, threshold: f64) -> Result<usize, StoreError> {
    let profile = dir.read_profile()?;
    // Under the folder's lock, so a run added meanwhile is neither lost nor left unjudged.
    dir.update(|stored| Ok(judge_again(stored, threshold, &profile)))
}

/// Every run's summary rows recomputed from its runs, `skipped` rows kept; returns the runs.
fn judge_again(stored: &mut Stored, threshold: f64, profile: &HardwareProfile) -> usize {
    let Stored { runs, summary, .. } = stored;
    let mut run_ids: Vec<String> = Vec::new();
    for r in runs.iter() {
        if !run_ids.contains(&r.run_id) {
            run_ids.push(r.run_id.clone());
        }
    }
    let mut fresh: Vec<SummaryRow> = Vec::new();
    for id in &run_ids {
        let idx: Vec<usize> = (0..runs.len()).filter(|&i| runs[i].run_id == *id).collect();
        let mut mine: Vec<RunRow> = idx.iter().map(|&i| runs[i].clone()).collect();
        fresh.extend(summarise(
            &mut mine,
            threshold,
            &profile.allowed,
            Some(&profile.topology),
        ));
        for (&i, r) in idx.iter().zip(mine) {
            runs[i] = r;
        }
        fresh.extend(
            summary
                .iter()
                .filter(|s| s.run_id == *id && s.status == Status::Skipped)
                .cloned(),
        );
    }
    *summary = fresh;
    run_ids.len()
}

/// Each scenario's `none`: the index of the scenario its key's baseline names, if the matrix has
/// it and the scenario is not that `none` itself.
fn baselines(planned: &[Planned]) -> Vec<Option<usize>> {
    let index: std::collections::HashMap<&crate::store::ScenarioKey, usize> = planned
        .iter()
        .enumerate()
        .map(|(i, p)| (&p.key, i))
        .collect();
    planned
        .iter()
        .map(|p| {
            if p.key.strategy.is_baseline() {
                None
            } else {
                index.get(&p.key.baseline()).copied()
            }
        })
        .collect()
}

/// Where one comparison stands for racing, from the strategy's summary row and its `none`'s
/// (`None`: not judged yet) and whether both may still run.
fn judged(row: Option<&SummaryRow>, baseline: Option<&SummaryRow>, can_run: bool) -> Judged {
    let bimodal = |r: Option<&SummaryRow>| r.is_some_and(|r| r.multimodal == Some(true));
    match row.and_then(|r| {
        r.verdict
            .map(|v| (v, r.speedup_ci_low, r.speedup_ci_high, r.band))
    }) {
        Some((Verdict::Inconclusive, Some(lo), Some(hi), Some(band))) => Judged::Open {
            ci: (lo, hi),
            bands: crate::stats::Bands {
                difference: band,
                equivalence: row.and_then(|r| r.equivalence_band).unwrap_or(band),
            },
        },
        // Too few successful runs so far (none, or too few for an interval): open while a run
        // may add one, else left without a verdict.
        None | Some((Verdict::Insufficient, ..)) if can_run => Judged::Insufficient,
        None | Some((Verdict::Insufficient, ..)) => Judged::Unjudged,
        // A side in two separated modes: its median describes neither, and more repetitions
        // tell which is typical before a verdict may stop it.
        Some((Verdict::Faster | Verdict::Slower | Verdict::NoDifference, ..))
            if can_run && (bimodal(row) || bimodal(baseline)) =>
        {
            Judged::Insufficient
        }
        _ => Judged::Settled,
    }
}

/// What the racing sampler is fed: each scenario's comparison as the summary judges it now.
fn standings(
    planned: &[Planned],
    baselines: &[Option<usize>],
    summaries: &[SummaryRow],
    can_run: &[bool],
) -> Vec<Standing> {
    let by_key: std::collections::HashMap<&crate::store::ScenarioKey, &SummaryRow> =
        summaries.iter().map(|r| (&r.key, r)).collect();
    // Identical placements measure their group's noise floor: every scenario another names in
    // `same_placement_as` (who pins aside), and every scenario that names one.
    let cell = |k: &crate::store::ScenarioKey| {
        (
            k.workload,
            k.model,
            k.workers,
            k.antagonist.clone(),
            k.strategy.clone(),
        )
    };
    let mut twins = std::collections::HashSet::new();
    for r in summaries {
        if let Some(head) = &r.same_placement_as {
            twins.insert(cell(&r.key));
            let mut k = cell(&r.key);
            k.4 = head.clone();
            twins.insert(k);
        }
    }
    planned
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let row = by_key.get(&p.key);
            let comparison = baselines[i].map(|baseline| {
                let state = judged(
                    row.copied(),
                    by_key.get(&planned[baseline].key).copied(),
                    can_run[i] && can_run[baseline],
                );
                Comparison { baseline, state }
            });
            let group = if p.key.strategy.is_baseline() {
                Some(i)
            } else {
                baselines[i]
            };
            Standing {
                // A repetition without its `none` in the pass pairs with nothing: once the
                // `none` has run its last, so have the scenarios judged against it.
                can_run: can_run[i] && baselines[i].is_none_or(|b| can_run[b]),
                comparison,
                precision: row.and_then(|r| r.precision),
                floor_of: group.filter(|_| twins.contains(&cell(&p.key))),
            }
        })
        .collect()
}

/// Runs the sweep, merging its rows into the result files as it goes (at most every 2 s, and
/// at the end) so an interrupted sweep keeps what it finished. Earlier runs' rows, and those
/// other writers add meanwhile, are kept as they are.
pub fn execute(
    planned: &[Planned],
    skipped: &[matrix::Skipped],
    profile: &HardwareProfile,
    dir: &ResultsDir,
    cfg: &SweepConfig,
    executor: &dyn Executor,
) -> Result<Outcome, StoreError> {
    let mut runs: Vec<RunRow> = Vec::new();
    let mut workers: Vec<WorkerRow> = Vec::new();
    let mut summaries: Vec<SummaryRow> = Vec::new();
    let run_id = run_id_now();
    let mut recorded = profile.clone();
    recorded.history.scheduler = crate::slurm::SchedulerRun::from_env(
        &run_id,
        &profile.allowed,
        &profile.topology.online,
        |k| std::env::var(k).ok(),
    )
    .into_iter()
    .collect();
    if let Some(s) = recorded.history.scheduler.first() {
        eprintln!("{}", s.describe());
        if let Some(w) = s.warning() {
            eprintln!("pinbench: warning: {w}");
        }
    }
    dir.write_profile(&recorded)?;
    let cost = estimate(planned, cfg, profile.allowed.len());
    let mut progress = Progress::new(cost.total_runs() as u64, cfg.budget);
    let mut last_write = Instant::now();
    let mut failed_runs = 0;
    let mut first_failure: Option<String> = None;
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

    // Only this run's rows are written, merged into the files as they are on disk then: other
    // writers (array tasks of a cluster job) may be adding runs of this profile meanwhile.
    let flush = |runs: &mut Vec<RunRow>, workers: &[WorkerRow], summaries: &mut Vec<SummaryRow>| {
        *summaries = summarise(
            runs,
            cfg.threshold,
            &profile.allowed,
            Some(&profile.topology),
        );
        summaries.extend(skipped_rows.iter().cloned());
        dir.merge_run(&run_id, runs, workers, summaries)
    };

    // Each scenario's measured throughputs so far, and its runs.
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); planned.len()];
    let mut reps_done: Vec<usize> = vec![0; planned.len()];
    // Scenarios whose warm-up failed: their runs would fail alike (a program that cannot
    // start, a missing file), so the failure is recorded once and the scenario not run again.
    let mut stopped: Vec<bool> = vec![false; planned.len()];
    let mut racing = Racing::new(planned.len(), cfg.precision_asked.then_some(cfg.precision));
    let baselines = baselines(planned);
    let mut measuring_since: Option<Instant> = None;
    let mut racing_runs = 0usize;
    let mut pass = 0usize;
    'passes: loop {
        let warmup = cfg.warmup && pass == 0;
        let rep = pass.saturating_sub(usize::from(cfg.warmup));
        let due: Vec<usize> = if warmup || rep < cfg.reps {
            (0..planned.len()).filter(|&i| !stopped[i]).collect()
        } else {
            let over = measuring_since.is_some_and(|t| t.elapsed() >= cfg.budget);
            if over || racing_runs >= cost.budget_runs {
                break;
            }
            // Judged as the summary will judge them: the same verdicts, bands and noise floors.
            summaries = summarise(&mut runs, cfg.threshold, &profile.allowed, None);
            let can_run: Vec<bool> = (0..planned.len())
                .map(|i| !stopped[i] && reps_done[i] < cfg.max_reps && !values[i].is_empty())
                .collect();
            let standings = standings(planned, &baselines, &summaries, &can_run);
            progress.judged(Racing::tally(&standings));
            racing.next_pass(&standings)
        };
        if due.is_empty() {
            break;
        }
        if !warmup && rep >= cfg.reps && measuring_since.is_none() {
            measuring_since = Some(Instant::now());
            progress.racing_from(Instant::now());
        }
        for i in due {
            let p = &planned[i];
            if interrupted().is_some() {
                break 'passes;
            }
            // The budget ends a racing pass between runs, not only between passes.
            if measuring_since.is_some_and(|t| t.elapsed() >= cfg.budget)
                || (measuring_since.is_some() && racing_runs >= cost.budget_runs)
            {
                break 'passes;
            }
            if measuring_since.is_some() {
                racing_runs += 1;
            }
            let throttled_before = throttled(profile);
            let result = executor.measure(&p.scenario, &p.placement);
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
            if warmup && result.is_ok() {
                continue;
            }
            if warmup {
                stopped[i] = true;
            }
            let mut row = run_row(
                p,
                &run_id,
                &profile.id,
                reps_done[i],
                executor.command_line(),
                &result,
            );
            reps_done[i] += 1;
            // Counted passes from 0, as `rep` counts a scenario's repetitions.
            row.pass = (!warmup).then_some(rep);
            if warmup {
                row.reason = format!("warm-up failed, scenario not run again: {}", row.reason);
            }
            row.throttled_periods = throttled_during;
            if throttled_during.is_some_and(|t| t > 0) {
                throttled_runs += 1;
            }
            if let Ok(m) = &result {
                workers.extend(worker_rows(p, &row, &m.workers));
            } else {
                failed_runs += 1;
                first_failure.get_or_insert_with(|| format!("{label}: {}", row.reason));
            }
            if let Some(t) = row.throughput_ops_s.filter(|_| row.status.is_ok()) {
                values[i].push(t);
            }
            runs.push(row);
            if last_write.elapsed() >= Duration::from_secs(2) {
                flush(&mut runs, &workers, &mut summaries)?;
                last_write = Instant::now();
            }
        }
        pass += 1;
    }
    flush(&mut runs, &workers, &mut summaries)?;
    let can_run = vec![false; planned.len()];
    progress.finish(Racing::tally(&standings(
        planned, &baselines, &summaries, &can_run,
    )));
    Ok(Outcome {
        run_id,
        summary: summaries,
        failed_runs,
        first_failure,
        throttled_runs,
        interrupted: interrupted(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged_row(verdict: Verdict, multimodal: bool) -> SummaryRow {
        SummaryRow {
            verdict: Some(verdict),
            speedup_ci_low: Some(1.10),
            speedup_ci_high: Some(1.90),
            band: Some(0.05),
            multimodal: Some(multimodal),
            ..Default::default()
        }
    }

    /// A verdict settles its comparison, unless a side ran in two separated modes: then more
    /// repetitions tell which mode is typical (the manager example stopped at 6 repetitions,
    /// "faster" against a `none` of 2 + 4 in two clusters).
    #[test]
    fn a_bimodal_side_keeps_its_comparison_open() {
        let faster = judged_row(Verdict::Faster, false);
        let none = SummaryRow {
            multimodal: Some(false),
            ..Default::default()
        };
        let two_modes = SummaryRow {
            multimodal: Some(true),
            ..Default::default()
        };
        assert_eq!(judged(Some(&faster), Some(&none), true), Judged::Settled);
        assert_eq!(
            judged(Some(&faster), Some(&two_modes), true),
            Judged::Insufficient
        );
        assert_eq!(
            judged(Some(&judged_row(Verdict::Slower, true)), Some(&none), true),
            Judged::Insufficient
        );
        // Nothing left to run: it stays as it is.
        assert_eq!(
            judged(Some(&faster), Some(&two_modes), false),
            Judged::Settled
        );
        assert_eq!(
            judged(Some(&judged_row(Verdict::Inconclusive, false)), None, true),
            Judged::Open {
                ci: (1.10, 1.90),
                bands: crate::stats::Bands::both(0.05)
            }
        );
        assert_eq!(judged(None, None, true), Judged::Insufficient);
        // Every run failed, or too few succeeded, and none is left: no verdict, not settled.
        assert_eq!(judged(None, None, false), Judged::Unjudged);
        assert_eq!(
            judged(Some(&judged_row(Verdict::Insufficient, false)), None, false),
            Judged::Unjudged
        );
        assert!(!Judged::Unjudged.is_open());
    }
}
