//! The rows of the result files: one struct per CSV, one fact per column, units in the column
//! names. Empty cells are unknown values (an unavailable counter), never zero. (The csv crate
//! cannot flatten, so each row spells out the scenario columns; `key()` gathers them.)

use serde::{Deserialize, Serialize};

/// The columns that name a scenario, shared by every file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScenarioKey {
    pub workload: String,
    /// The strategy, with `@label` when the same strategy runs under several labels.
    pub strategy: String,
    pub model: String,
    /// `self` or `parent` for pinned process workers, empty otherwise.
    pub pin_by: String,
    pub workers: usize,
    /// The antagonist's cpulist, empty when off.
    pub antagonist: String,
}

/// `runs.csv`: one row per scenario x repetition, totals over the workers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunRow {
    pub run_id: String,
    pub timestamp: String,
    pub profile_id: String,
    pub workload: String,
    /// The strategy, with `@label` when the same strategy runs under several labels.
    pub strategy: String,
    pub model: String,
    /// `self` or `parent` for pinned process workers, empty otherwise.
    pub pin_by: String,
    pub workers: usize,
    /// The antagonist's cpulist, empty when off.
    pub antagonist: String,
    /// Per-worker CPU sets as planned, `/`-separated; empty for `none`.
    pub placement: String,
    pub spawner_mask: String,
    pub rep: usize,
    /// `ok` or `failed`.
    pub status: String,
    pub reason: String,
    pub duration_s: f64,
    pub seconds: Option<f64>,
    pub ops: Option<u64>,
    pub throughput_ops_s: Option<f64>,
    pub ns_per_op: Option<f64>,
    pub migrations: Option<u64>,
    pub migrations_source: String,
    pub voluntary_switches: Option<u64>,
    pub involuntary_switches: Option<u64>,
    pub user_seconds: Option<f64>,
    pub system_seconds: Option<f64>,
    pub cpus_seen: String,
    pub off_plan_fraction: Option<f64>,
    /// Beyond Tukey's fences among this scenario's repetitions of this run.
    pub outlier: bool,
    /// Periods the cgroup's CPU quota throttled during the run (`cpu.stat` `nr_throttled`
    /// after minus before); empty where the cgroup has no such counter.
    #[serde(default)]
    pub throttled_periods: Option<u64>,
}

/// `workers.csv`: one row per worker x repetition.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkerRow {
    pub run_id: String,
    pub timestamp: String,
    pub profile_id: String,
    pub workload: String,
    /// The strategy, with `@label` when the same strategy runs under several labels.
    pub strategy: String,
    pub model: String,
    /// `self` or `parent` for pinned process workers, empty otherwise.
    pub pin_by: String,
    pub workers: usize,
    /// The antagonist's cpulist, empty when off.
    pub antagonist: String,
    pub rep: usize,
    pub worker: usize,
    pub primary: bool,
    pub cpus_planned: String,
    pub cpus_readback: String,
    pub cpus_seen: String,
    pub ops: u64,
    pub seconds: f64,
    pub throughput_ops_s: f64,
    pub migrations: Option<u64>,
    pub migrations_source: String,
    pub voluntary_switches: Option<u64>,
    pub involuntary_switches: Option<u64>,
    pub switches_source: String,
    pub user_seconds: Option<f64>,
    pub system_seconds: Option<f64>,
    pub cpu_samples: u64,
    pub samples_outside_plan: u64,
    pub generations: Option<u32>,
}

/// `summary.csv`: one row per scenario of each run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    pub run_id: String,
    pub profile_id: String,
    pub workload: String,
    /// The strategy, with `@label` when the same strategy runs under several labels.
    pub strategy: String,
    pub model: String,
    /// `self` or `parent` for pinned process workers, empty otherwise.
    pub pin_by: String,
    pub workers: usize,
    /// The antagonist's cpulist, empty when off.
    pub antagonist: String,
    pub placement: String,
    /// `ok`, `failed` (every repetition failed) or `skipped` (the strategy cannot apply).
    pub status: String,
    pub reason: String,
    pub n: usize,
    pub failed_reps: usize,
    pub median_throughput_ops_s: Option<f64>,
    pub ci_low_throughput_ops_s: Option<f64>,
    pub ci_high_throughput_ops_s: Option<f64>,
    pub mean_throughput_ops_s: Option<f64>,
    pub sd_throughput_ops_s: Option<f64>,
    pub cv: Option<f64>,
    pub min_throughput_ops_s: Option<f64>,
    pub max_throughput_ops_s: Option<f64>,
    pub median_ns_per_op: Option<f64>,
    pub median_migrations: Option<f64>,
    pub median_involuntary_switches: Option<f64>,
    pub outliers: usize,
    /// CV above 5 % or fewer than 5 samples.
    pub noisy: bool,
    pub speedup_vs_none: Option<f64>,
    pub speedup_ci_low: Option<f64>,
    pub speedup_ci_high: Option<f64>,
    /// `faster`, `slower` or `no difference` (vs `none`); empty where there is no comparison.
    pub verdict: String,
}

macro_rules! keyed {
    ($($t:ty),*) => {$(
        impl $t {
            pub fn key(&self) -> ScenarioKey {
                ScenarioKey {
                    workload: self.workload.clone(),
                    strategy: self.strategy.clone(),
                    model: self.model.clone(),
                    pin_by: self.pin_by.clone(),
                    workers: self.workers,
                    antagonist: self.antagonist.clone(),
                }
            }
        }
    )*};
}

keyed!(RunRow, WorkerRow, SummaryRow);
