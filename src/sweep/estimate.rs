//! What a sweep will cost before it runs: runs, time and the workers' peak memory. One place for
//! the figures `run --dry-run` prints and the run budget the sweep's progress line counts down.

use std::time::Duration;

use super::{Planned, SweepConfig};
use crate::runner::Model;

// Measured on the 2-vCPU guest of the committed results, release build, 50 ms runs, by the
// difference between sweeps of 4 and 14 (or 24) repetitions: at load 1 a threads run cost 4 ms
// beyond its 50, at load 9 15 ms; processes x2 8 ms more, x8 79 ms more (oversubscribed on 2
// CPUs). Preparing working sets, from the full default run of 2026-11-30 (quiet, load 0.4
// before; 2,834 runs, each run's cost the gap to the next run's start): 64 MiB per worker cost
// ~50-65 ms a run beyond a small set's, 512 MiB of mem arrays 0.3-0.36 s, 1 GiB of cache cycle
// 0.92 s alone and 2 s for four workers on two CPUs: 1.1-1.3 GB/s per CPU (the 430 MB/s
// measured before at 64 MiB under load overestimated that run's 26-36 min, real 15 min).

/// Time a repetition costs beyond its measured stretch: starting and joining the pool, the
/// barrier, the counters.
const RUN_OVERHEAD: Duration = Duration::from_millis(10);
/// What starting one worker process costs (fork, exec, pin, connect): one after another.
const SPAWN: Duration = Duration::from_millis(5);
/// Bytes one worker prepares (allocates and links into a random cycle, or touches) per second
/// before its start signal; workers prepare side by side on the CPUs.
const PREPARE_BYTES_PER_S: f64 = 1.1e9;

/// A sweep's cost, before it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub scenarios: usize,
    /// The warm-up pass and the minimum repetitions of every scenario.
    pub first_runs: usize,
    /// Runs the racing passes may add: up to `--max-reps` each, as many as `--budget` buys.
    pub budget_runs: usize,
    /// Every scenario at `--max-reps` (what the budget caps).
    pub max_runs: usize,
    /// Time of the first runs, in seconds.
    pub first_s: f64,
    /// Time of the budget's runs, in seconds (at most `--budget`).
    pub budget_s: f64,
    /// The largest working set the workers of one scenario prepare, in bytes.
    pub peak_bytes: u64,
    /// Whether a run's time is known before it runs (a user's program's is not).
    pub timed: bool,
}

impl Estimate {
    /// The most runs the sweep makes: the progress line's total, which does not move.
    pub fn total_runs(&self) -> usize {
        self.first_runs + self.budget_runs
    }
}

/// What a scenario's workers allocate and touch before each run.
fn bytes(p: &Planned) -> u64 {
    p.scenario
        .workload
        .family()
        .footprint(p.scenario.workload.size())
        .saturating_mul(p.scenario.workers as u64)
}

/// One run of a scenario on `cpus` allowed CPUs, in seconds: its measured stretch, the start-up,
/// the worker processes started one by one, and the working sets the workers prepare side by
/// side before the start signal.
pub fn per_run(p: &Planned, cpus: usize) -> f64 {
    let workers = p.scenario.workers.max(1);
    let processes = if p.scenario.model == Model::Threads {
        0.0
    } else {
        workers as f64
    };
    let side_by_side = workers.min(cpus.max(1)) as f64;
    p.scenario.duration.as_secs_f64()
        + RUN_OVERHEAD.as_secs_f64()
        + processes * SPAWN.as_secs_f64()
        + bytes(p) as f64 / PREPARE_BYTES_PER_S / side_by_side
}

/// The cost of running `planned` under `cfg`. The budget is spent on the racing passes as
/// scenarios race (weighted by how close they are to settling), so it buys runs at the
/// matrix's mean cost per run. `cpus`: the allowed CPUs the workers start and prepare on.
pub fn estimate(planned: &[Planned], cfg: &SweepConfig, cpus: usize) -> Estimate {
    let n = planned.len();
    let pass: f64 = planned.iter().map(|p| per_run(p, cpus)).sum();
    let timed = planned.iter().all(|p| !p.scenario.duration.is_zero());
    let warmup = usize::from(cfg.warmup);
    let extra_max = n * cfg.max_reps.saturating_sub(cfg.reps);
    let mean = if n > 0 { pass / n as f64 } else { 0.0 };
    let budget = cfg.budget.as_secs_f64();
    let budget_runs = if timed && mean > 0.0 {
        extra_max.min((budget / mean).floor() as usize)
    } else {
        extra_max
    };
    Estimate {
        scenarios: n,
        first_runs: n * (cfg.reps + warmup),
        budget_runs,
        max_runs: n * (cfg.max_reps + warmup),
        first_s: pass * (cfg.reps + warmup) as f64,
        budget_s: (budget_runs as f64 * mean).min(budget),
        peak_bytes: planned.iter().map(bytes).max().unwrap_or(0),
        timed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::CountingMode;
    use crate::plan::Placement;
    use crate::runner::Scenario;
    use crate::strategy::Strategy;

    fn planned(workload: &str, model: Model, workers: usize, ms: u64) -> Planned {
        Planned {
            key: Default::default(),
            scenario: Scenario {
                counting: CountingMode::Procfs,
                ..Scenario::new(
                    workload.parse().unwrap(),
                    model,
                    workers,
                    Duration::from_millis(ms),
                )
            },
            placement: Placement {
                strategy: Strategy::None,
                spawner_mask: None,
                workers: Vec::new(),
            },
        }
    }

    fn config(reps: usize, max_reps: usize, budget_s: u64) -> SweepConfig {
        SweepConfig {
            reps,
            max_reps,
            precision: 0.02,
            precision_asked: false,
            budget: Duration::from_secs(budget_s),
            warmup: true,
            threshold: 0.02,
        }
    }

    #[test]
    fn the_budget_buys_runs_at_the_mean_cost_and_never_more_than_max_reps() {
        let p: Vec<Planned> = (0..10)
            .map(|_| planned("cpu", Model::Threads, 2, 90))
            .collect();
        // 0.1 s a run: 10 s buy 100 runs of the 10 x 24 that --max-reps allows.
        let e = estimate(&p, &config(6, 30, 10), 2);
        assert_eq!(e.first_runs, 70);
        assert!((99..=100).contains(&e.budget_runs), "{}", e.budget_runs);
        assert_eq!(e.total_runs(), 70 + e.budget_runs);
        assert_eq!(e.max_runs, 310);
        assert!((e.first_s - 7.0).abs() < 1e-9, "{}", e.first_s);
        assert!((e.budget_s - 10.0).abs() < 0.11, "{}", e.budget_s);
        // A long budget: --max-reps caps it.
        let e = estimate(&p, &config(6, 30, 3600), 2);
        assert_eq!(e.budget_runs, 240);
        // A program's runs have no known time: the budget is all of --max-reps.
        let untimed: Vec<Planned> = (0..10)
            .map(|_| planned("cpu", Model::Threads, 2, 0))
            .collect();
        let e = estimate(&untimed, &config(6, 20, 10), 2);
        assert!(!e.timed);
        assert_eq!(e.budget_runs, 140);
    }

    #[test]
    fn processes_and_working_sets_cost_more_and_share_the_cpus() {
        let threads = per_run(&planned("cpu", Model::Threads, 8, 100), 8);
        let processes = per_run(&planned("cpu", Model::Processes, 8, 100), 8);
        assert!(processes > threads);
        // Started one after another: twice the processes, twice their cost.
        let sixteen = per_run(&planned("cpu", Model::Processes, 16, 100), 8);
        assert!((sixteen - threads - 2.0 * (processes - threads)).abs() < 1e-9);
        // 8 workers of 1 GiB each: 8 GiB prepared, 8 at a time on 8 CPUs, 2 at a time on 2.
        let big8 = per_run(&planned("cache:1GiB", Model::Threads, 8, 100), 8);
        let big2 = per_run(&planned("cache:1GiB", Model::Threads, 8, 100), 2);
        assert!(big8 > threads && big2 > 3.0 * (big8 - threads));
        let e = estimate(
            &[planned("cache:1GiB", Model::Threads, 8, 100)],
            &config(6, 6, 0),
            8,
        );
        assert_eq!(e.peak_bytes, 8 << 30);
    }
}
