//! `pinbench exec -- CMD`: the user's own program under the strategies, repeated and judged
//! exactly like the built-in workloads (the same sweep, statistics, files, charts and report).

use std::ffi::OsString;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::Args;

use super::options::{Sweep, SweepArgs, SweepDefaults, Template, or_default_strategies};
use super::run_cmd::parse_duration;
use crate::exec::{Command, DEFAULT_HELPERS, ExecSpec, Metric, Mode, Placer};
use crate::metrics::CountingMode;
use crate::profile::HardwareProfile;
use crate::runner::{Model, PinBy};
use crate::stats::Better;
use crate::sweep::Axes;
use crate::workload::{Workload, family_named};

/// Which tasks of the program are its workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WorkersAre {
    /// Its child processes (Pool, Process, ProcessPoolExecutor, loky).
    Processes,
    /// Its threads (every thread but each process's first).
    Threads,
}

#[derive(Args, Debug)]
pub struct ExecArgs {
    #[command(flatten)]
    pub sweep: SweepArgs,
    /// Which tasks are the workers in tree mode.
    #[arg(long, value_enum, default_value = "processes")]
    pub workers_are: WorkersAre,
    /// Each mode: start one copy of the command per worker, with PINBENCH_WORKER,
    /// PINBENCH_WORKERS and PINBENCH_CPUS in its environment.
    #[arg(long)]
    pub each: bool,
    /// With --each: who pins a copy, the copy itself before exec (`self`) or pinbench by pid
    /// once it has started (`parent`, the `taskset -p` recipe's race).
    #[arg(long, default_value = "self")]
    pub pin_by: PinBy,
    /// Judge the program's own figure instead of its wall time: a regular expression over its
    /// output (stdout and stderr), the number in its one capture group; the last match counts.
    #[arg(long, value_name = "REGEX")]
    pub metric: Option<String>,
    /// With --metric: whether a higher (a rate) or lower (a time) figure is better.
    #[arg(long, value_name = "higher|lower")]
    pub better: Option<Better>,
    /// Kill the program's whole tree after this long and record a failed repetition (e.g. 30s).
    #[arg(long, value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// What the program leaves running when its main process exits gets SIGTERM and this long
    /// to clean up (Python's resource tracker unlinks shared memory then) before SIGKILL.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub grace: Duration,
    /// Processes whose command line matches are helpers, never workers.
    #[arg(long, value_name = "REGEX", default_value = DEFAULT_HELPERS)]
    pub helpers: String,
    /// The workload's name in the results: cmd:<NAME>. Default: the script an interpreter
    /// runs, or the program's name.
    #[arg(long)]
    pub name: Option<String>,
    /// Copy the program's output to stderr after each run (it is captured either way).
    #[arg(long)]
    pub show_output: bool,
    /// How the program's processes are placed in tree mode: `preload` (the default), from
    /// inside through a library every dynamically linked process loads, with processes as
    /// workers (ptrace where it cannot: threads as workers, --each, a static program); a fork
    /// costs no stop (1000 bare forks under per-worker 1.07-1.10x as long as direct, 1.36-1.52x
    /// traced), and a process that ran under 2 ms of CPU reports no migrations. `ptrace`: every
    /// task traced and placed at the stop before its first instruction, every counter of every
    /// task read (docs/exec.md, "What tracing costs").
    #[arg(long, default_value = "preload", value_name = "preload|ptrace")]
    pub placer: Placer,
    /// The program and its arguments, after `--`.
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// Builds the sweep of an `exec`, checking every input before anything runs.
pub fn options(a: ExecArgs, profile: &HardwareProfile) -> Result<Sweep> {
    let command = Command::resolve(a.command)?;
    let name = match &a.name {
        Some(n) => n.clone(),
        None => command.default_name(),
    };
    let cmd = family_named("cmd").expect("the cmd family is registered");
    let workload = Workload::named(cmd, &name).map_err(|_| {
        anyhow::anyhow!(
            "--name `{name}`: use letters, digits, `.`, `_` and `-` only (it names files and CSV cells)"
        )
    })?;
    let metric = match (&a.metric, a.better) {
        (Some(m), Some(b)) => Some(Metric::new(m, b)?),
        (Some(m), None) => bail!(
            "--metric `{m}`: say which way it is better with --better higher (a rate) or --better lower (a time)"
        ),
        (None, Some(_)) => {
            bail!("--better applies to --metric: give the pattern of the figure too")
        }
        (None, None) => None,
    };
    let helpers = regex::Regex::new(&a.helpers).map_err(|e| {
        anyhow::anyhow!(
            "--helpers `{}` is not a regular expression: {}",
            a.helpers,
            e.to_string().lines().last().unwrap_or("").trim()
        )
    })?;
    a.sweep.check()?;
    if a.pin_by == PinBy::Tracer {
        bail!("--pin-by tracer is what tree mode does; with --each give self or parent");
    }
    if a.pin_by == PinBy::Parent && !a.each {
        bail!(
            "--pin-by parent applies to --each copies; in tree mode each worker is pinned at its fork, before it runs"
        );
    }
    if a.each && a.workers_are == WorkersAre::Threads {
        bail!("--each starts copies of the command; --workers-are threads is for tree mode");
    }
    if a.timeout.is_some_and(|t| t.is_zero()) {
        bail!("--timeout 0: give how long one run may take, such as 30s");
    }
    let mode = match (a.each, a.workers_are) {
        (true, _) => Mode::Copies,
        (false, WorkersAre::Processes) => Mode::Processes,
        (false, WorkersAre::Threads) => Mode::Threads,
    };
    let spec = ExecSpec {
        command,
        mode,
        pin_by: a.pin_by,
        metric,
        timeout: a.timeout,
        grace: a.grace,
        helpers,
        show_output: a.show_output,
        placer: a.placer,
    };
    let program = crate::profile::Program {
        command: spec.command.line(),
        metric: spec.metric.as_ref().map(|m| m.pattern().to_string()),
        better: spec.metric.as_ref().map(|m| m.better()),
    };
    let strategies = a.sweep.strategies()?;
    let config = a.sweep.config(SweepDefaults {
        max_reps: 20,
        budget: Duration::from_secs(600),
    })?;
    let model = match mode {
        Mode::Processes => Model::Processes,
        Mode::Threads => Model::Threads,
        Mode::Copies => Model::Copies,
    };
    let template = Template {
        duration: Duration::ZERO,
        pin_by: a.pin_by,
        counting: CountingMode::Procfs,
        recycle: None,
        seed: 1,
        allow_mismatch: true,
    };
    let axes = Axes {
        workloads: vec![workload],
        strategies: or_default_strategies(strategies),
        models: vec![model],
        worker_counts: if a.sweep.workers.is_empty() {
            vec![profile.allowed.len()]
        } else {
            a.sweep.workers.clone()
        },
        antagonists: vec![None],
        pin_by: if mode == Mode::Processes {
            PinBy::Tracer
        } else {
            a.pin_by
        },
        placements: false,
        each_placement_once: false,
    };
    Ok(Sweep {
        template,
        executor: Arc::new(spec),
        program: Some(program),
        axes,
        config,
        out: a.sweep.out(),
        json: a.sweep.json,
    })
}
