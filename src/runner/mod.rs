//! Executes one scenario: a workload under a placement, as threads or processes, and returns
//! each worker's measurement. The runner only carries out a plan; it decides nothing.

mod child;
mod error;
mod exe;
#[cfg(feature = "fault-injection")]
mod fault;
mod neighbour;
mod pool;
mod processes;
mod protocol;
mod threads;
pub mod worker;
mod worker_main;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::antagonist::AntagonistAt;
use crate::cpuset::CpuSet;
use crate::metrics::CountingMode;
use crate::plan::Placement;
use crate::workload::Workload;

pub use error::{RunError, Stage, WorkerError};
pub use exe::{WORKER_EXE_ENV, set_cli_exe, worker_exe};
pub use neighbour::Antagonist;
pub use worker::{WorkerResult, WorkerSpec};
pub use worker_main::worker_main;

/// How workers are made.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    /// A rayon pool, pinned in `start_handler`, run with `broadcast`.
    #[default]
    Threads,
    /// Child processes of the pinbench binary (a hidden `__worker` subcommand); for a user's
    /// program (`exec`), its own child processes.
    Processes,
    /// `exec --each`: one copy of the user's program per worker.
    Copies,
}

impl Model {
    /// Every model, in the order help and errors list them: the one list of their names.
    pub const ALL: [Model; 3] = [Model::Threads, Model::Processes, Model::Copies];

    pub fn as_str(&self) -> &'static str {
        match self {
            Model::Threads => "threads",
            Model::Processes => "processes",
            Model::Copies => "copies",
        }
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Model {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Model::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| {
                // `copies` is what `exec --each` runs; `run` takes the other two.
                let names: Vec<&str> = Model::ALL
                    .iter()
                    .filter(|m| **m != Model::Copies)
                    .map(Model::as_str)
                    .collect();
                format!("unknown model `{s}`: expected {}", names.join(" or "))
            })
    }
}

/// Who applies a process worker's pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PinBy {
    /// The worker pins itself first thing (psutil `cpu_affinity([i])` inside the worker).
    #[serde(rename = "self")]
    SelfPin,
    /// The parent pins the child's pid after spawning it (`taskset -p`); racy by nature.
    Parent,
    /// `exec`: pinbench's tracer pins each new task of the program at its fork, before it runs.
    Tracer,
}

impl fmt::Display for PinBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PinBy::SelfPin => "self",
            PinBy::Parent => "parent",
            PinBy::Tracer => "tracer",
        })
    }
}

impl FromStr for PinBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "self" => Ok(PinBy::SelfPin),
            "parent" => Ok(PinBy::Parent),
            "tracer" => Ok(PinBy::Tracer),
            _ => Err(format!("unknown pin-by `{s}`: expected self or parent")),
        }
    }
}

/// A process pool whose workers exit after some tasks and are replaced (Python's
/// `maxtasksperchild`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recycle {
    /// Tasks each worker process runs before it exits.
    pub tasks_per_worker: u32,
    /// Milliseconds one task runs.
    pub task_ms: u64,
    /// Whether the pin is applied again to each replacement (the bug is when it is not).
    pub repin: bool,
}

/// One scenario to execute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    pub workload: Workload,
    pub model: Model,
    pub workers: usize,
    pub duration: Duration,
    pub pin_by: PinBy,
    pub counting: CountingMode,
    /// Busy-looping load on these CPUs during the run.
    pub antagonist: Option<AntagonistAt>,
    pub recycle: Option<Recycle>,
    pub seed: u64,
    /// Measure workers whose mask differs from the plan (flagged) instead of refusing.
    #[serde(default)]
    pub allow_mismatch: bool,
    /// Each primary worker stops after this many operations if that comes before `duration`
    /// (a fixed amount of work, for timing it).
    #[serde(default)]
    pub ops: Option<u64>,
    /// The strategy as named on the command line (`none@index`), which a user's program
    /// reads as PINBENCH_STRATEGY.
    #[serde(skip)]
    pub label: Option<String>,
}

impl Scenario {
    /// `workers` of `workload` as `model` for `duration`, every other choice at the command
    /// line's default (each worker pins itself, counting `auto`, no antagonist, no recycling,
    /// seed 1, no operation limit); a caller sets the rest with `..Scenario::new(...)`.
    pub fn new(workload: Workload, model: Model, workers: usize, duration: Duration) -> Self {
        Self {
            workload,
            model,
            workers,
            duration,
            pin_by: PinBy::SelfPin,
            counting: CountingMode::default(),
            antagonist: None,
            recycle: None,
            seed: 1,
            allow_mismatch: false,
            ops: None,
            label: None,
        }
    }
}

/// Totals over a scenario's workers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Total {
    pub ops: u64,
    pub seconds: f64,
    pub throughput_ops_s: f64,
    /// Nanoseconds per operation of one primary worker (per access for cache, per round trip
    /// or message for ipc); absent for cpu.
    pub ns_per_op: Option<f64>,
    /// CPU time (user + system) per operation of the primary workers: the latency while
    /// running, also when workers outnumber CPUs.
    pub cpu_ns_per_op: Option<f64>,
    pub migrations: Option<u64>,
    pub voluntary_switches: Option<u64>,
    pub involuntary_switches: Option<u64>,
    /// CPU time of every worker (of the whole tree, for a user's program).
    #[serde(default)]
    pub user_seconds: Option<f64>,
    #[serde(default)]
    pub system_seconds: Option<f64>,
    pub cpus_seen: CpuSet,
    /// Fraction of CPU samples taken outside the planned masks.
    pub off_plan_fraction: Option<f64>,
    /// Seconds the workers (a program's whole tree) waited, runnable, for a CPU.
    #[serde(default)]
    pub runq_wait_s: Option<f64>,
}

impl Total {
    pub fn of(workload: &Workload, workers: &[WorkerResult]) -> Self {
        let primaries: Vec<&WorkerResult> = workers.iter().filter(|w| w.primary).collect();
        // Ops over the union of the primaries' measured stretches: when workers outnumber CPUs
        // they start and stop at different moments, and summing each one's own rate would count
        // the overlap twice.
        let start = primaries.iter().map(|w| w.start_ns).min().unwrap_or(0);
        let end = primaries.iter().map(|w| w.end_ns).max().unwrap_or(0);
        let ops: u64 = primaries.iter().map(|w| w.ops).sum();
        let throughput: f64 = if end > start && start > 0 {
            ops as f64 / ((end - start) as f64 * 1e-9)
        } else {
            primaries.iter().map(|w| w.throughput_ops_s).sum()
        };
        let sum_opt =
            |f: &dyn Fn(&WorkerResult) -> Option<u64>| workers.iter().map(f).sum::<Option<u64>>();
        let samples: u64 = workers.iter().map(|w| w.cpu_samples).sum();
        let planned = workers.iter().any(|w| w.cpus_planned.is_some());
        Total {
            ops,
            seconds: if end > start && start > 0 {
                (end - start) as f64 * 1e-9
            } else {
                workers.iter().map(|w| w.seconds).fold(0.0, f64::max)
            },
            throughput_ops_s: throughput,
            ns_per_op: (workload.reports_latency() && throughput > 0.0)
                .then(|| primaries.len() as f64 * 1e9 / throughput),
            cpu_ns_per_op: workload
                .reports_latency()
                .then(|| {
                    let cpu: f64 = primaries
                        .iter()
                        .map(|w| Some(w.counts.user_seconds? + w.counts.system_seconds?))
                        .sum::<Option<f64>>()?;
                    (ops > 0).then(|| cpu * 1e9 / ops as f64)
                })
                .flatten(),
            migrations: sum_opt(&|w| w.counts.migrations),
            voluntary_switches: sum_opt(&|w| w.counts.voluntary_switches),
            involuntary_switches: sum_opt(&|w| w.counts.involuntary_switches),
            user_seconds: workers.iter().map(|w| w.counts.user_seconds).sum(),
            system_seconds: workers.iter().map(|w| w.counts.system_seconds).sum(),
            cpus_seen: workers
                .iter()
                .fold(CpuSet::new(), |acc, w| acc.union(&w.cpus_seen)),
            off_plan_fraction: (planned && samples > 0).then(|| {
                workers.iter().map(|w| w.samples_outside_plan).sum::<u64>() as f64 / samples as f64
            }),
            runq_wait_s: workers.iter().map(|w| w.counts.runq_wait_s).sum(),
        }
    }
}

/// One repetition of a scenario, measured: each worker, the totals, and for a program's tree
/// (`exec`) its facts.
#[derive(Debug, Clone)]
pub struct Measured {
    pub workers: Vec<WorkerResult>,
    pub total: Total,
    pub tree: Option<TreeFacts>,
}

/// Facts of one run of a program's process tree beyond the totals, for runs.csv (`exec`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TreeFacts {
    pub exit_status: Option<i32>,
    pub metric: Option<f64>,
    /// Tasks (processes and threads) that ran, the main process included.
    pub tasks: usize,
    pub processes: usize,
    /// Workers that had to wait for a free slot.
    pub waited: usize,
    pub helpers: usize,
    /// Processes still running when the program ended, killed then.
    pub leftovers: usize,
    /// Tasks whose mask at the end was not where pinbench put them: the program re-pinned them.
    pub repinned: usize,
    /// Tasks that ended without their counters read (killed at once).
    pub unread: usize,
    /// Records the preload library's log lost: their writer ended in the middle of one.
    pub unfinished_records: usize,
    /// Migrations of the command's own process(es) (their threads included), the rest of the
    /// tree's being its children's.
    pub main_migrations: Option<u64>,
    /// Under a strategy that pins: the share of the workers' CPU time (the main process
    /// aside where it is never a worker) that ran in a slot under a mask inside the slot's
    /// CPUs, measured as the tasks ran. None where nothing was planned or no worker ran.
    pub pinned_cpu_share: Option<f64>,
    /// The main process's share of the tree's CPU time where it is never a worker.
    pub main_cpu_share: Option<f64>,
    /// Slots whose tasks used the CPU (10 ms or more): how many workers the program really ran.
    pub workers_seen: usize,
    /// Slots given to busy tasks by their behaviour, and the longest delay from a task's start
    /// to its late pin.
    pub late_pins: usize,
    pub late_pin_delay_s: Option<f64>,
    /// Busy processes no slot held: pid, name, CPU seconds, busiest first.
    pub unslotted_busy: Vec<(i32, String, f64)>,
    /// Processes by the path that placed them: ptrace, the preload library, the library
    /// corrected by the slot rules, found in `/proc` and placed then.
    pub placed_by_tracer: usize,
    pub placed_by_library: usize,
    pub placed_corrected: usize,
    pub placed_found: usize,
}

/// A way of measuring one repetition of a scenario: the built-in workloads ([`Builtin`]) or a
/// user's program (`exec`). The sweep asks an executor and knows nothing of which it is.
pub trait Executor: Send + Sync {
    /// Runs one repetition of the scenario under the placement.
    fn measure(&self, scenario: &Scenario, placement: &Placement) -> Result<Measured, RunError>;

    /// The command line each repetition runs (runs.csv's `command`); none for built-in workloads.
    fn command_line(&self) -> Option<String> {
        None
    }
}

/// The built-in workloads, as threads or as processes of the pinbench binary.
#[derive(Debug, Clone, Copy, Default)]
pub struct Builtin;

impl Executor for Builtin {
    fn measure(&self, scenario: &Scenario, placement: &Placement) -> Result<Measured, RunError> {
        let workers = run_scenario(scenario, placement)?;
        let total = Total::of(&scenario.workload, &workers);
        Ok(Measured {
            workers,
            total,
            tree: None,
        })
    }
}

/// Runs a scenario under a placement. Process workers are spawned from the calling thread,
/// which must outlive them (their parent-death signal is tied to it).
pub fn run_scenario(
    scenario: &Scenario,
    placement: &Placement,
) -> Result<Vec<WorkerResult>, RunError> {
    let _load = match &scenario.antagonist {
        Some(cpus) => Some(Antagonist::start(cpus)?),
        None => None,
    };
    if scenario.model == Model::Threads && scenario.pin_by == PinBy::Parent {
        return Err(RunError::ParentPinThreads);
    }
    match (scenario.model, scenario.recycle) {
        (Model::Threads, None) => threads::run(scenario, placement),
        (Model::Processes, None) => processes::run(scenario, placement),
        (Model::Processes, Some(r)) => pool::run(scenario, placement, r),
        (Model::Threads, Some(_)) => Err(RunError::RecycleThreads),
        (Model::Copies, _) => Err(RunError::CopiesNeedACommand),
    }
}

/// The spec of worker `i` under a placement.
pub(crate) fn spec_for(
    scenario: &Scenario,
    placement: &Placement,
    i: usize,
    self_pin: bool,
) -> WorkerSpec {
    let planned = placement.workers[i].cpus.clone();
    WorkerSpec {
        worker: i,
        workers: scenario.workers,
        workload: scenario.workload,
        size_bytes: scenario.workload.size(),
        duration_ms: scenario.duration.as_millis() as u64,
        ops: scenario.ops,
        self_pin: if self_pin && placement.pins_workers() {
            planned.clone()
        } else {
            None
        },
        pinned_by_parent: !self_pin
            && scenario.model == Model::Processes
            && scenario.pin_by == PinBy::Parent
            && placement.pins_workers(),
        planned,
        counting: scenario.counting,
        seed: scenario.seed,
        allow_mismatch: scenario.allow_mismatch,
    }
}
