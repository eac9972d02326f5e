//! The rows of the result files: one struct per CSV, one fact per column, units in the column
//! names, typed from the command line to the writer and back. Empty cells are unknown values
//! (an unavailable counter), never zero. Every row carries one [`ScenarioKey`]; the csv crate
//! cannot flatten it, so [`keyed_row!`] writes its columns after each file's leading columns.

use serde::{Deserialize, Serialize};

use crate::antagonist::AntagonistSpec;
use crate::runner::{Model, PinBy};
use crate::stats::Verdict;
use crate::strategy::LabelledStrategy;
use crate::workload::Workload;

/// The columns that name a scenario, shared by every file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScenarioKey {
    pub workload: Workload,
    /// The strategy, with `@label` when the same strategy runs under several labels.
    pub strategy: LabelledStrategy,
    pub model: Model,
    /// Who pins pinned process workers; empty otherwise.
    pub pin_by: Option<PinBy>,
    pub workers: usize,
    /// The antagonist as given (`1`, `worker0`, `sibling`, `idle`, `floating`); empty when
    /// off.
    pub antagonist: Option<AntagonistSpec>,
}

impl ScenarioKey {
    /// The `none` scenario this one is judged against (same workload, model, workers and
    /// antagonist).
    pub fn baseline(&self) -> ScenarioKey {
        ScenarioKey {
            strategy: LabelledStrategy::baseline(),
            pin_by: None,
            ..self.clone()
        }
    }
}

/// Whether a run or scenario was measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Ok,
    /// Every repetition failed (a summary), or this one did (a run); `reason` says why.
    Failed,
    /// The strategy cannot apply to this combination; `reason` says why.
    Skipped,
}

impl Status {
    pub fn is_ok(&self) -> bool {
        *self == Status::Ok
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
        }
    }
}

/// Writes an optional value as its text, or as an empty string when absent: CSV cells and
/// JSON alike hold the same text (`""`, not `null`, for "no verdict", "no antagonist").
fn blank<T: std::fmt::Display, S: serde::Serializer>(
    v: &&Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(x) => s.collect_str(x),
        None => s.serialize_str(""),
    }
}

/// Declares a CSV row: its leading columns, then the scenario key's columns, then its own,
/// then its optional text columns (written empty when absent), then `size_bytes`: the bytes of
/// the key's sized workload (a role's as resolved on the machine, `cache:L2/2`), last so files
/// written before it still load (their byte sizes read as [`Workload::unsure`]).
macro_rules! keyed_row {
    (
        $(#[$m:meta])*
        pub struct $name:ident {
            head { $($(#[$hm:meta])* pub $h:ident: $ht:ty,)* }
            $($(#[$fm:meta])* pub $f:ident: $ft:ty,)*
            text { $($(#[$tm:meta])* pub $t:ident: Option<$tt:ty>,)* }
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct $name {
            $($(#[$hm])* pub $h: $ht,)*
            pub key: ScenarioKey,
            $($(#[$fm])* pub $f: $ft,)*
            $($(#[$tm])* pub $t: Option<$tt>,)*
        }

        const _: () = {
            #[derive(Serialize)]
            struct Out<'a> {
                $($h: &'a $ht,)*
                workload: &'a Workload,
                strategy: &'a LabelledStrategy,
                model: &'a Model,
                #[serde(serialize_with = "blank")]
                pin_by: &'a Option<PinBy>,
                workers: usize,
                #[serde(serialize_with = "blank")]
                antagonist: &'a Option<AntagonistSpec>,
                $($f: &'a $ft,)*
                $(#[serde(serialize_with = "blank")] $t: &'a Option<$tt>,)*
                size_bytes: Option<u64>,
            }

            #[derive(Deserialize)]
            struct In {
                $($(#[$hm])* $h: $ht,)*
                workload: Workload,
                strategy: LabelledStrategy,
                model: Model,
                pin_by: Option<PinBy>,
                workers: usize,
                antagonist: Option<AntagonistSpec>,
                $($(#[$fm])* $f: $ft,)*
                $($(#[$tm])* $t: Option<$tt>,)*
                #[serde(default)]
                size_bytes: Option<u64>,
            }

            impl Serialize for $name {
                fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    let k = &self.key;
                    Out {
                        $($h: &self.$h,)*
                        workload: &k.workload,
                        strategy: &k.strategy,
                        model: &k.model,
                        pin_by: &k.pin_by,
                        workers: k.workers,
                        antagonist: &k.antagonist,
                        $($f: &self.$f,)*
                        $($t: &self.$t,)*
                        size_bytes: k.workload.size_cell(),
                    }
                    .serialize(s)
                }
            }

            impl<'de> Deserialize<'de> for $name {
                fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    let r = In::deserialize(d)?;
                    Ok($name {
                        $($h: r.$h,)*
                        key: ScenarioKey {
                            workload: r.workload.with_size_cell(r.size_bytes),
                            strategy: r.strategy,
                            model: r.model,
                            pin_by: r.pin_by,
                            workers: r.workers,
                            antagonist: r.antagonist,
                        },
                        $($f: r.$f,)*
                        $($t: r.$t,)*
                    })
                }
            }
        };
    };
}

keyed_row! {
    /// `runs.csv`: one row per scenario x repetition, totals over the workers.
    pub struct RunRow {
        head {
            pub run_id: String,
            pub timestamp: String,
            pub profile_id: String,
        }
        /// Per-worker CPU sets as planned, `/`-separated; empty for `none`.
        pub placement: String,
        pub spawner_mask: String,
        pub rep: usize,
        /// The sweep's interleaved pass this repetition ran in (0 = the first counted one):
        /// repetitions of one pass ran side by side, so a scenario is compared with its
        /// `none` pass by pass. Empty in files that predate the column (the summary infers it
        /// from the rows' order).
        pub pass: Option<usize>,
        pub status: Status,
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
        /// Seconds the workers (a program's whole tree) waited, runnable, for a CPU over the
        /// measured stretch (`schedstat`): with `seconds` and the CPU time beside it, the share
        /// of the run spent waiting is one division.
        pub runq_wait_s: Option<f64>,
        pub cpus_seen: String,
        pub off_plan_fraction: Option<f64>,
        /// Beyond Tukey's fences among this scenario's repetitions of this run.
        pub outlier: bool,
        /// Periods the cgroup's CPU quota throttled during the run (`cpu.stat` `nr_throttled`
        /// after minus before); empty where the cgroup has no such counter (or the file
        /// predates the column).
        pub throttled_periods: Option<u64>,
        /// CPU time (user + system) per operation of the primary workers, in ns: the latency
        /// while running, also when workers outnumber CPUs (where `ns_per_op`, wall time per
        /// operation of one worker, includes the time spent waiting for a CPU).
        pub cpu_ns_per_op: Option<f64>,
        /// Recycling pools: tasks per worker process before it is replaced, whether the
        /// replacement is pinned again, and how many processes served all slots together.
        pub recycle_tasks: Option<u32>,
        pub repin: Option<bool>,
        pub generations: Option<u32>,
        /// `--pin-by parent`: the largest share of a worker's measured stretch that ran before
        /// the parent's pin took effect.
        pub unpinned_fraction: Option<f64>,
        /// Where the antagonist ran in this scenario (its spec placed against the plan).
        pub antagonist_cpus: Option<String>,
        /// `pinbench exec`: the command line, its exit status, its own `--metric` figure,
        /// the tasks (processes and threads) its tree ran, the workers that waited for a free
        /// slot, the helpers told apart from workers, the processes it left running (killed
        /// then), and the tasks it re-pinned itself.
        pub command: Option<String>,
        pub exit_status: Option<i32>,
        pub metric: Option<f64>,
        pub tasks: Option<usize>,
        pub processes: Option<usize>,
        pub waited_tasks: Option<usize>,
        pub helper_tasks: Option<usize>,
        pub leftover_processes: Option<usize>,
        pub repinned_tasks: Option<usize>,
        /// Of `migrations`, those of the command's own process (its threads included).
        pub main_migrations: Option<u64>,
        /// `pinbench exec`, what ran where, measured as the tasks ran: the share of the
        /// workers' CPU time that ran in a slot under a mask inside its CPUs (under a strategy
        /// that pins), the main process's share of the tree's CPU time, the slots whose tasks
        /// used the CPU, the slots given by behaviour after a task started elsewhere (and the
        /// longest such delay), and the busy processes no slot held (`pid name seconds`).
        pub pinned_cpu_share: Option<f64>,
        pub main_cpu_share: Option<f64>,
        pub workers_seen: Option<usize>,
        pub late_pins: Option<usize>,
        pub late_pin_delay_s: Option<f64>,
        pub unslotted_busy: Option<String>,
        /// `pinbench exec`, processes by how they were placed: at a ptrace stop before their
        /// first instruction, by themselves through the preload library before the program's
        /// code ran, by the library and then moved because the slot rules decided otherwise,
        /// and found in `/proc` (the library could not reach them) and placed then.
        pub placed_by_tracer: Option<usize>,
        pub placed_by_library: Option<usize>,
        pub placed_corrected: Option<usize>,
        pub placed_found: Option<usize>,
        /// Hardware counters summed over the workers (`--counting perf`, where the machine
        /// has them; empty elsewhere, never 0): cycles, instructions, cache misses.
        pub cycles: Option<u64>,
        pub instructions: Option<u64>,
        pub cache_misses: Option<u64>,
        text {}
    }
}

keyed_row! {
    /// `workers.csv`: one row per worker x repetition.
    pub struct WorkerRow {
        head {
            pub run_id: String,
            pub timestamp: String,
            pub profile_id: String,
        }
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
        /// Seconds this worker (slot) waited, runnable, for a CPU over the measured stretch.
        pub runq_wait_s: Option<f64>,
        pub cpu_samples: u64,
        pub samples_outside_plan: u64,
        pub generations: Option<u32>,
        /// With `--counting perf`, the scheduler's own procfs count over the same stretch.
        pub migrations_procfs_check: Option<u64>,
        /// `--pin-by parent`: seconds from the start signal until the parent's pin took
        /// effect, and that time as a share of the worker's measured stretch.
        pub pin_delay_s: Option<f64>,
        pub unpinned_fraction: Option<f64>,
        /// `pinbench exec`: CPU seconds of the tasks this slot held, measured as they ran.
        pub slot_cpu_s: Option<f64>,
        /// Hardware counters of this worker (`--counting perf`, where the machine has them).
        pub cycles: Option<u64>,
        pub instructions: Option<u64>,
        pub cache_misses: Option<u64>,
        text {}
    }
}

keyed_row! {
    /// `summary.csv`: one row per scenario of each run.
    pub struct SummaryRow {
        head {
            pub run_id: String,
            pub profile_id: String,
        }
        pub placement: String,
        /// `ok`, `failed` (every repetition failed) or `skipped` (the strategy cannot apply).
        pub status: Status,
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
        /// CV above 5 %, fewer than 6 samples, or two modes.
        pub noisy: bool,
        pub speedup_vs_none: Option<f64>,
        pub speedup_ci_low: Option<f64>,
        pub speedup_ci_high: Option<f64>,
        /// How many passes the speedup paired (this scenario's repetition and `none`'s of the
        /// same interleaved pass: the ratio is the typical one within a pass, and its interval
        /// the paired signed-rank one); empty where the two were compared as independent
        /// samples: fewer than 6 passes held both, or they did not rise and fall together
        /// (one-off dips rather than a drift of the machine).
        pub pairs: Option<usize>,
        /// Half the median interval's width relative to the median (the precision reached);
        /// empty below 6 samples, where the median has no 95 % interval.
        pub precision: Option<f64>,
        /// Whether the samples fell into two separated clusters, and each cluster's median and
        /// size (lower first).
        pub multimodal: Option<bool>,
        pub mode_low_ops_s: Option<f64>,
        pub mode_low_n: Option<usize>,
        pub mode_high_ops_s: Option<f64>,
        pub mode_high_n: Option<usize>,
        pub median_cpu_ns_per_op: Option<f64>,
        /// This workload's noise floor in the run: the largest relative difference between
        /// the medians of identical placements. Differences below it are no verdict.
        pub noise_floor: Option<f64>,
        /// The half-width of the band around 1 the speedup's interval must clear to be faster
        /// or slower: the larger of the threshold and the noise floor.
        pub band: Option<f64>,
        /// Of the noise floor, the part the identical placements' own interval supports (how
        /// far its nearer end lies from 1; 0 when it holds 1), and the band a no-difference
        /// interval must fit inside: the larger of the threshold and that part. A spread that
        /// chance alone explains holds back a difference but makes no equivalence.
        pub supported_floor: Option<f64>,
        pub equivalence_band: Option<f64>,
        /// `pinbench exec`: the fewest slots whose tasks used the CPU in a run (0: the program
        /// started no workers), and the smallest share of the workers' CPU time that ran on
        /// the plan in a run.
        pub workers_seen: Option<usize>,
        pub pinned_cpu_share: Option<f64>,
        text {
            /// The first scenario (by strategy order, `none` first) whose plan is identical to
            /// this one's: the same placement under another name.
            pub same_placement_as: Option<LabelledStrategy>,
            /// Against `none`: `faster` / `slower` (the interval clears 1 +- band), `no
            /// difference` (the whole interval inside 1 +- band), `inconclusive` (neither),
            /// `insufficient samples` (fewer than 6 on either side), `same placement` (none's
            /// own plan, not judged) or
            /// `placement not achieved` (a program's work ran outside its slots: not judged);
            /// empty for `none` itself.
            pub verdict: Option<Verdict>,
            /// What was measured of the mechanisms behind a verdict (medians over the
            /// successful repetitions): the share of workers x seconds spent waiting for a CPU,
            /// the workers' migrations per second (a program's tree without its main process)
            /// and its main process's, involuntary switches per second, cgroup-throttled
            /// periods per second, and (`--counting perf`, where the machine has them) cache
            /// misses per operation and instructions per cycle.
            pub runq_wait_share: Option<f64>,
            pub migrations_per_s: Option<f64>,
            pub main_migrations_per_s: Option<f64>,
            pub involuntary_switches_per_s: Option<f64>,
            pub throttled_per_s: Option<f64>,
            pub cache_misses_per_op: Option<f64>,
            pub instructions_per_cycle: Option<f64>,
            /// One sentence: the mechanism that differs most from `none`, with both figures
            /// (`why::why`); empty where there is no verdict to explain.
            pub why: Option<String>,
        }
    }
}

/// How a run's reason begins when a worker's mask read back is not its slot's: the verdict
/// is read with it (the report says it beside the verdict).
pub const MASK_DIFFERS: &str = "mask differs from the plan";
/// How a run's reason says that the program changed masks itself.
pub const REPINNED: &str = "the program changed the CPU mask of";

/// Whether a run's (or a scenario's) reason says its placement was not quite the plan's.
pub fn placement_noted(reason: &str) -> bool {
    reason.contains(MASK_DIFFERS) || reason.contains(REPINNED)
}
