//! The command line: argument parsing and one function per verb. Errors reach the user as one
//! line on stderr and a non-zero exit status.

mod doctor_cmd;
mod exec_cmd;
mod machine;
mod options;
mod plan_cmd;
mod report_cmd;
mod run_cmd;
mod sweep_cmd;
mod topology_cmd;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::antagonist::AntagonistSpec;
use crate::metrics::CountingMode;
use crate::runner::{Model, PinBy};
use crate::strategy::Strategy;
use crate::workload::Workload;

#[derive(Parser, Debug)]
#[command(
    name = "pinbench",
    version,
    about = "Benchmark CPU-affinity strategies: does pinning workers to CPUs help on this machine?",
    allow_negative_numbers = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct MachineArgs {
    /// Read the machine from this folder instead of `/` (an unpacked recording of /sys and /proc).
    #[arg(long, value_name = "DIR")]
    pub sysfs_root: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Show the machine's topology: packages, NUMA nodes, caches, cores, SMT siblings, core kinds.
    Topology {
        #[command(flatten)]
        machine: MachineArgs,
        /// Print JSON (with a `summary` object) instead of a tree.
        #[arg(long)]
        json: bool,
    },
    /// Print the hardware profile (`profile.json`) of the machine.
    Profile {
        #[command(flatten)]
        machine: MachineArgs,
    },
    /// Show which CPUs each worker gets under a strategy, without running anything.
    Plan {
        // Help derived from the strategy registry.
        #[arg(long, short, help = plan_strategy_help())]
        strategy: Strategy,
        /// Number of workers.
        #[arg(long, short, allow_negative_numbers = true, value_parser = parse_count)]
        workers: usize,
        #[command(flatten)]
        machine: MachineArgs,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Measure the strategies on this machine, the main job: a sweep of workloads x strategies
    /// x models x worker counts, judged against `none` and stored with charts (`--quick` for a
    /// first answer); or, given one of each, one scenario and what each worker did.
    Run(Box<RunArgs>),
    /// Run your own program under the strategies, its workers pinned as they appear, and
    /// judge each strategy against `none`: `pinbench exec -w 4 -- python3 pool.py`.
    Exec(Box<exec_cmd::ExecArgs>),
    /// Draw charts and report.md from stored results (no measuring): DIR is one profile's
    /// folder or a results root holding several.
    Report {
        #[arg(default_value = "results")]
        dir: std::path::PathBuf,
        /// Show this run (a run_id of summary.csv) instead of each scenario's latest run.
        #[arg(long, value_name = "RUN_ID")]
        run: Option<String>,
    },
    /// Judge the stored runs of a profile folder again with this pinbench's statistics
    /// (summary.csv recomputed from runs.csv; nothing is measured), then redraw its charts.
    Summarise {
        /// A profile's folder, results/<profile-id>.
        dir: std::path::PathBuf,
        /// Differences under this fraction are never called.
        #[arg(long, default_value_t = crate::stats::NOISE_THRESHOLD, value_parser = parse_threshold)]
        threshold: f64,
    },
    /// Compare two or more profiles' results: compare.csv, charts and a table of differences;
    /// and the fleet view of all of them (every profile x scenario) in compare/fleet/.
    Compare {
        /// Profile folders (results/<profile-id>); the first is A, each other is compared with it.
        #[arg(required = true, num_args = 2..)]
        dirs: Vec<std::path::PathBuf>,
        /// Where `compare/<a>--vs--<b>/` goes.
        #[arg(long, default_value = "results")]
        out: std::path::PathBuf,
    },
    /// Check what limits this machine's results (governor, turbo, SMT, VM and steal time,
    /// cgroup quota, perf access, isolated CPUs, load, busy processes, build). Exit status 1
    /// when the machine is not fit for measuring.
    Doctor {
        /// Print JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Internal: one process worker, spawned by `run`.
    #[command(name = "__worker", hide = true)]
    Worker {
        #[arg(long)]
        spec: String,
        #[arg(long)]
        parent: i32,
        #[arg(long, default_value = "")]
        fds: String,
    },
}

#[derive(Args, Debug)]
pub struct RunArgs {
    // Help derived from the workload registry, so a new family is listed without an edit here.
    #[arg(long, short = 'W', value_delimiter = ',', help = workload_help())]
    pub workload: Vec<Workload>,
    /// Models (comma-separated): threads, processes. Default: both in a sweep, threads for
    /// a single scenario.
    #[arg(long, short, value_delimiter = ',')]
    pub model: Vec<Model>,
    /// How long each worker runs per repetition, with a unit: 2s, 500ms, 1.5s. Default: 1s for a single
    /// scenario, 100ms in a sweep, 50ms with --quick.
    #[arg(long, short, allow_hyphen_values = true, value_parser = run_cmd::parse_duration)]
    pub duration: Option<std::time::Duration>,
    /// Fewer scenarios, not fewer samples: cpu, one cache size and pipe ping-pong at the
    /// allowed CPU count, each distinct placement once (strategies that plan the same one are
    /// skipped, named), under a minute on 2 CPUs.
    #[arg(long)]
    pub quick: bool,
    /// Print what the sweep would run (its axes, scenarios, runs, what is skipped and why) with
    /// an estimate of its time and peak memory; measure and write nothing. With --sysfs-root,
    /// for a recorded machine.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub sweep: options::SweepArgs,
    /// Seed of the cache workload's permutations.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Who pins a process worker: the worker itself (`self`) or the parent after spawning (`parent`).
    #[arg(long, default_value = "self")]
    pub pin_by: PinBy,
    /// Counting sources: auto (procfs, else perf events), perf (the cpu-migrations event, and
    /// the cycles, instructions and cache-misses hardware events, where allowed), procfs, or off.
    #[arg(long, default_value = "auto", value_parser = parse_counting)]
    pub counting: CountingMode,
    /// Busy-loop a noisy neighbour (a sweep runs with it off and on): on a cpulist, or placed
    /// against each scenario's plan: `worker0` (worker 0's CPU), `sibling` (its SMT sibling),
    /// `idle` (a CPU no worker is planned on), `floating` (unpinned).
    #[arg(long, value_name = "CPULIST|worker0|sibling|idle|floating")]
    pub antagonist: Option<AntagonistSpec>,
    /// Recycle each process worker after this many tasks (Python's maxtasksperchild).
    #[arg(long, value_name = "TASKS", value_parser = parse_tasks)]
    pub recycle: Option<u32>,
    /// Milliseconds per task when recycling.
    #[arg(long, default_value_t = 20, value_parser = parse_task_ms)]
    pub task_ms: u64,
    /// When recycling, do not pin the replacement workers (the bug of pinning pids once).
    #[arg(long)]
    pub no_repin: bool,
    /// Measure a worker whose CPU mask differs from the plan (and flag it) instead of refusing.
    #[arg(long)]
    pub allow_mismatch: bool,
    #[command(flatten)]
    pub machine: MachineArgs,
}

/// `plan -s`'s help, from the strategy registry.
fn plan_strategy_help() -> String {
    format!("The strategy: {}", Strategy::usage())
}

/// `-W`'s help, from the registry of workload families.
fn workload_help() -> String {
    format!(
        "Workloads (comma-separated or repeated): {}. Default: all, with cache and memory sizes from this machine",
        crate::workload::builtin_usage()
    )
}

pub(crate) fn parse_threshold(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if (0.0..1.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "`{text}` is not a threshold: give a fraction such as 0.02"
        )),
    }
}

fn parse_counting(text: &str) -> Result<CountingMode, String> {
    match text {
        "auto" => Ok(CountingMode::Auto),
        "perf" => Ok(CountingMode::Perf),
        "procfs" => Ok(CountingMode::Procfs),
        "off" => Ok(CountingMode::Off),
        _ => Err(format!(
            "unknown counting `{text}`: expected auto, perf, procfs or off"
        )),
    }
}

/// `--recycle`: tasks per worker process, at least 1.
fn parse_tasks(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "`{text}` tasks: give how many tasks each worker process runs before it is replaced, 1 or more (Python's maxtasksperchild)"
        )),
    }
}

/// `--task-ms`: milliseconds per task, at least 1.
fn parse_task_ms(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "`{text}` ms: give how long one task runs, a whole number of milliseconds, 1 or more"
        )),
    }
}

/// A count given on the command line: a whole number (zero is left to the verb to judge).
pub fn parse_count(text: &str) -> Result<usize, String> {
    text.trim().parse::<usize>().map_err(|_| {
        let hint = if text.parse::<Workload>().is_ok() {
            " (workloads go to -W, --workload)"
        } else {
            ""
        };
        format!("`{text}` is not a count: give a whole number such as 4{hint}")
    })
}

/// From here on a closed pipe (`pinbench profile | head -1`) ends the process quietly, as it
/// does `ls`: Rust ignores SIGPIPE and println! would panic on the broken pipe instead. Verbs
/// that start workers call this only once the workers are gone, so a worker that dies before
/// its start signal fails its scenario instead of taking pinbench down with the signal.
pub fn quiet_on_closed_pipe() {
    // SAFETY: sets the default disposition of one signal; no handler runs Rust code.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Parses the arguments, runs the verb, and returns the process exit status.
pub fn main() -> i32 {
    // The allowed set must be read before anything pins the main thread.
    let _ = crate::affinity::startup_allowed();
    crate::runner::set_cli_exe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
                || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            {
                let _ = e.print();
                return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    2
                } else {
                    0
                };
            }
            // clap's message up to its usage block, on one line.
            let text = e.to_string();
            let message: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
                .filter(|l| !l.is_empty() && !l.starts_with("tip:"))
                .collect();
            let message = message.join(" ");
            let message = message.trim_start_matches("error: ");
            // `pinbench exec -w 2 python3 x.py`: the command needs `--` before it.
            let args: Vec<String> = std::env::args().skip(1).collect();
            let stray = match e.get(clap::error::ContextKind::InvalidArg) {
                Some(clap::error::ContextValue::String(a)) if !a.starts_with('-') => Some(a),
                _ => None,
            };
            if args.first().is_some_and(|v| v == "exec")
                && e.kind() == ErrorKind::UnknownArgument
                && !args.iter().any(|a| a == "--")
                && let Some(stray) = stray
            {
                eprintln!(
                    "pinbench: unexpected argument '{stray}': put the program after `--`, as in `pinbench exec -w 2 -- {stray} ...`"
                );
                return 2;
            }
            eprintln!("pinbench: {message} (see `pinbench --help`)");
            return 2;
        }
    };
    if !matches!(
        cli.command,
        Command::Run(_) | Command::Exec(_) | Command::Worker { .. }
    ) {
        quiet_on_closed_pipe();
    }
    let result: anyhow::Result<i32> = match cli.command {
        Command::Topology { machine, json } => topology_cmd::run(&machine, json).map(|_| 0),
        Command::Profile { machine } => topology_cmd::profile(&machine).map(|_| 0),
        Command::Plan {
            strategy,
            workers,
            machine,
            json,
        } => plan_cmd::run(&strategy, workers, &machine, json).map(|_| 0),
        Command::Run(a) => run_cmd::dispatch(*a),
        Command::Exec(a) => machine::load(&MachineArgs { sysfs_root: None }).and_then(|profile| {
            let sweep = exec_cmd::options(*a, &profile)?;
            sweep_cmd::run(sweep, profile)
        }),
        Command::Doctor { json } => doctor_cmd::run(json),
        Command::Report { dir, run } => report_cmd::report(&dir, run.as_deref()).map(|_| 0),
        Command::Summarise { dir, threshold } => {
            report_cmd::resummarise(&dir, threshold).map(|_| 0)
        }
        Command::Compare { dirs, out } => report_cmd::compare(&dirs, &out).map(|_| 0),
        Command::Worker { spec, parent, fds } => {
            return crate::runner::worker_main(&spec, parent, &fds);
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pinbench: {}", one_line(&e));
            exit_status(&e)
        }
    }
}

/// The exit status an error owes (docs/ARCHITECTURE.md#errors-and-exit-status): 1 when
/// something measured or written failed (a worker died, a scenario failed, a file could not be
/// written or drawn), 2 for bad input, refused before anything ran, as the argument parser's own
/// errors are.
fn exit_status(e: &anyhow::Error) -> i32 {
    use crate::report::ReportError;
    use crate::store::StoreError;
    let failed = e.chain().any(|c| {
        c.is::<crate::runner::RunError>()
            || matches!(c.downcast_ref::<StoreError>(), Some(StoreError::Io { .. }))
            || matches!(
                c.downcast_ref::<ReportError>(),
                Some(ReportError::Draw { .. }) | Some(ReportError::Store(StoreError::Io { .. }))
            )
    });
    if failed { 1 } else { 2 }
}

/// The error and its causes on one line, without repeating a cause its parent already quotes.
pub fn one_line(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out.replace('\n', " ")
}
