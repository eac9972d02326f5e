//! `pinbench exec -- CMD`: the user's own program under a strategy. In tree mode the program's
//! own child processes (or threads) are the workers, each placed in a slot of the plan before it
//! runs (see [`slots`] for which task is a worker and [`tracer`] for how); in each mode pinbench
//! starts one copy per worker. One repetition is one run of the command: its wall time (or the
//! program's own figure, [`metric`]), the tree's counters, and each slot's.

mod account;
pub mod command;
pub mod figure;
pub mod preload;
pub mod slots;
mod task;
pub mod tracer;

use std::collections::HashSet;
use std::ffi::CString;
use std::fmt;
use std::io::{Read, Seek};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

pub use command::{Command, CommandError};
pub use figure::Metric;
pub use slots::Mode;

use crate::cpuset::CpuSet;
use crate::metrics::{Counts, MigrationSource};
use crate::plan::Placement;
use crate::runner::{
    Antagonist, Executor, Measured, PinBy, RunError, Scenario, Total, TreeFacts, WorkerResult,
};
use crate::stats::Better;
use slots::Tid;
use tracer::{Ending, Killed, Launch, PlacedBy, Traced};

/// Python's multiprocessing helpers (also behind `concurrent.futures`) and joblib/loky's
/// resource tracker: they run beside the workers and are not workers. A first guess only: a
/// helper that idles in a slot gives it up to a busy task anyway (rule 6 of [`slots`]).
pub const DEFAULT_HELPERS: &str = r"multiprocessing\.(resource_tracker|semaphore_tracker|forkserver)|multiprocessing\.popen_forkserver|loky\.backend\.resource_tracker";

/// Everything about the user's program that every scenario of an `exec` shares.
#[derive(Debug, Clone)]
pub struct ExecSpec {
    pub command: Command,
    pub mode: Mode,
    /// `--each`: who pins each copy (before exec, or by pid after it started).
    pub pin_by: PinBy,
    pub metric: Option<Metric>,
    pub timeout: Option<Duration>,
    /// What the program leaves running gets SIGTERM and this long to clean up before SIGKILL.
    pub grace: Duration,
    pub helpers: regex::Regex,
    /// Copy the program's output to pinbench's stderr after each run.
    pub show_output: bool,
    pub placer: Placer,
}

/// How a program's processes are placed in tree mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Placer {
    /// Every task traced, and placed at the stop before its first instruction; every task's
    /// final counters read from its zombie, however short it ran.
    Ptrace,
    /// From inside, by the preload library, wherever the command loads it (a dynamically
    /// linked program, or a script whose interpreter is), with processes as workers; by ptrace
    /// elsewhere (threads as workers, `--each`, a statically linked program). The default: a
    /// fork costs no stop (docs/exec.md "What tracing costs"); a process that ran under 2 ms
    /// of CPU reports its run time, mask and last CPU but not its migrations (`unread`).
    #[default]
    Preload,
}

impl std::str::FromStr for Placer {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ptrace" => Ok(Self::Ptrace),
            "preload" => Ok(Self::Preload),
            _ => Err(format!("`{s}`: give ptrace or preload")),
        }
    }
}

impl fmt::Display for Placer {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Self::Ptrace => "ptrace",
            Self::Preload => "preload",
        })
    }
}

impl PartialEq for ExecSpec {
    fn eq(&self, o: &Self) -> bool {
        self.command == o.command
            && self.mode == o.mode
            && self.pin_by == o.pin_by
            && self.metric == o.metric
            && self.timeout == o.timeout
            && self.grace == o.grace
            && self.helpers.as_str() == o.helpers.as_str()
            && self.show_output == o.show_output
            && self.placer == o.placer
    }
}

/// The user's program is the sweep's executor: one repetition is one run of it, under the
/// scenario's placement (and its antagonist, if any).
impl Executor for ExecSpec {
    fn measure(&self, scenario: &Scenario, placement: &Placement) -> Result<Measured, RunError> {
        let _load = match &scenario.antagonist {
            Some(cpus) => Some(Antagonist::start(cpus)?),
            None => None,
        };
        let allowed = crate::affinity::startup_allowed()?;
        run(self, scenario, placement, &allowed)
    }

    fn command_line(&self) -> Option<String> {
        Some(self.command.line())
    }
}

impl From<ExecError> for RunError {
    fn from(e: ExecError) -> Self {
        RunError::Program {
            source: Box::new(e),
            tree: None,
        }
    }
}

/// Why one run of the program is no measurement.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("could not start `{program}`: {reason}")]
    Start { program: String, reason: String },
    #[error("exited with status {code}{tail}")]
    Status { code: i32, tail: Tail },
    #[error("was killed by signal {signal}{tail}")]
    Signal { signal: String, tail: Tail },
    #[error("ran past --timeout {secs} s; its whole tree was killed{tail}")]
    Timeout { secs: f64, tail: Tail },
    #[error("interrupted; its whole tree was killed")]
    Interrupted,
    #[error("--metric `{pattern}` found no number in the output{tail}")]
    NoMetric { pattern: String, tail: Tail },
    #[error("--metric `{pattern}` gave {value}, which cannot be judged (it must be above 0)")]
    BadMetric { pattern: String, value: f64 },
    #[error("tracing the command: {0}")]
    Trace(#[from] std::io::Error),
}

/// The end of a program's output, quoted in its failure.
#[derive(Debug, Default)]
pub struct Tail(String);

impl Tail {
    fn of(output: &str) -> Self {
        let Some(line) = output.lines().map(str::trim).rfind(|l| !l.is_empty()) else {
            return Tail(String::new());
        };
        let line: String = line.chars().take(160).collect();
        Tail(format!(" (last output: {line})"))
    }
}

impl fmt::Display for Tail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A file in memory for the program's output, in append mode: every process of the tree shares
/// this one open file, and each write lands whole at its end. Without `O_APPEND` the writers
/// share one offset that a writer's stale position can move back (a program whose buffered
/// streams seek, or several processes writing at once), and lines are overwritten: measured
/// with four processes printing 20,000 lines each, 40 % of the lines were lost.
fn output_file() -> std::io::Result<std::fs::File> {
    let name = CString::new("pinbench-output").expect("no NUL");
    // SAFETY: memfd_create with a valid name; the fd is owned by the File.
    let fd = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a fresh descriptor nothing else owns.
    let file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    nix::fcntl::fcntl(
        &file,
        nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_APPEND),
    )?;
    Ok(file)
}

fn environment(extra: &[(String, String)]) -> Vec<CString> {
    let skip: Vec<&str> = extra.iter().map(|(k, _)| k.as_str()).collect();
    std::env::vars_os()
        .filter(|(k, _)| !skip.iter().any(|s| k.as_bytes() == s.as_bytes()))
        .map(|(k, v)| {
            let mut b = k.as_bytes().to_vec();
            b.push(b'=');
            b.extend_from_slice(v.as_bytes());
            b
        })
        .chain(extra.iter().map(|(k, v)| format!("{k}={v}").into_bytes()))
        .filter_map(|b| CString::new(b).ok())
        .collect()
}

fn signal_name(sig: i32) -> String {
    nix::sys::signal::Signal::try_from(sig)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| sig.to_string())
}

/// Runs the program once under `placement` and measures it.
pub fn run(
    spec: &ExecSpec,
    scenario: &Scenario,
    placement: &Placement,
    allowed: &CpuSet,
) -> Result<Measured, RunError> {
    let n = scenario.workers;
    let pins = placement.pins_workers();
    let slot_masks: Vec<Option<CpuSet>> = (0..n)
        .map(|i| {
            placement
                .workers
                .get(i)
                .and_then(|w| w.cpus.clone())
                .filter(|_| pins)
        })
        .collect();
    let main_mask = match (&placement.spawner_mask, pins) {
        (Some(m), _) => Some(m.clone()),
        (None, true) => Some(allowed.clone()),
        (None, false) => None,
    };
    let copies = if spec.mode == Mode::Copies { n } else { 1 };
    let mut shared_env = vec![("PINBENCH_WORKERS".to_string(), n.to_string())];
    if let Some(label) = &scenario.label {
        shared_env.push(("PINBENCH_STRATEGY".to_string(), label.clone()));
    }
    let envs: Vec<Vec<CString>> = (0..copies)
        .map(|i| {
            let mut extra = shared_env.clone();
            if spec.mode == Mode::Copies {
                let cpus = slot_masks[i]
                    .clone()
                    .or_else(|| main_mask.clone())
                    .unwrap_or_else(|| allowed.clone());
                extra.push(("PINBENCH_WORKER".into(), i.to_string()));
                extra.push(("PINBENCH_CPUS".into(), cpus.to_string()));
            }
            environment(&extra)
        })
        .collect();
    let (root_masks, parent_pins): (Vec<Option<CpuSet>>, Vec<Option<CpuSet>>) =
        if spec.mode == Mode::Copies {
            (0..n)
                .map(|i| match (&slot_masks[i], spec.pin_by) {
                    (Some(m), PinBy::Parent) => (None, Some(m.clone())),
                    (Some(m), PinBy::SelfPin | PinBy::Tracer) => (Some(m.clone()), None),
                    (None, _) => (main_mask.clone(), None),
                })
                .unzip()
        } else {
            (vec![main_mask.clone()], vec![None])
        };
    let mut outs: Vec<std::fs::File> = (0..copies)
        .map(|_| output_file())
        .collect::<std::io::Result<_>>()
        .map_err(ExecError::from)?;
    let out_fds: Vec<OwnedFd> = outs
        .iter()
        .map(|f| f.try_clone().map(OwnedFd::from))
        .collect::<std::io::Result<_>>()
        .map_err(ExecError::from)?;
    // From inside when asked, where the program loads the library and every mask fits its
    // table.
    let library = match spec.placer {
        Placer::Preload
            if spec.mode == Mode::Processes
                && slot_masks.len() <= preload::MAX_SLOTS
                && allowed.iter().all(|c| c < preload::MAX_CPUS)
                && preload::loads_preload(&spec.command.path) =>
        {
            preload::library().ok()
        }
        _ => None,
    };
    let launch = Launch {
        path: CString::new(spec.command.path.as_os_str().as_bytes())
            .map_err(|e| ExecError::from(std::io::Error::other(e.to_string())))?,
        argv: spec.command.argv_c(),
        envs,
        mode: spec.mode,
        slot_masks: slot_masks.clone(),
        main_mask: main_mask.clone(),
        default_mask: allowed.clone(),
        root_masks,
        parent_pins,
        helpers: &spec.helpers,
        outputs: &out_fds,
        timeout: spec.timeout,
        grace: spec.grace,
        preload: library.as_deref(),
    };
    let traced = tracer::trace(&launch).map_err(ExecError::from)?;
    drop(out_fds);
    // The copies' outputs one after the other, in copy order.
    let mut text = Vec::new();
    for out in &mut outs {
        out.rewind().map_err(ExecError::from)?;
        out.read_to_end(&mut text).map_err(ExecError::from)?;
    }
    let text = String::from_utf8_lossy(&text);
    if spec.show_output {
        eprint!("{text}");
    }
    // A failed run keeps the facts of the tree that ran: how it ended, what it left.
    let failed = |e: ExecError| -> RunError {
        RunError::Program {
            source: Box::new(e),
            tree: measure(spec, &traced, &slot_masks, None).tree.map(Box::new),
        }
    };
    judge(spec, &traced, &text).map_err(failed)?;
    let metric = match &spec.metric {
        Some(m) => {
            let v = m.find(&text).ok_or_else(|| {
                failed(ExecError::NoMetric {
                    pattern: m.pattern().to_string(),
                    tail: Tail::of(&text),
                })
            })?;
            if !(v > 0.0 && v.is_finite()) {
                return Err(failed(ExecError::BadMetric {
                    pattern: m.pattern().to_string(),
                    value: v,
                }));
            }
            Some(v)
        }
        None => None,
    };
    Ok(measure(spec, &traced, &slot_masks, metric))
}

/// A run that ended badly is a failed repetition with its reason.
fn judge(spec: &ExecSpec, t: &Traced, text: &str) -> Result<(), ExecError> {
    match t.killed {
        Some(Killed::Timeout) => {
            return Err(ExecError::Timeout {
                secs: spec.timeout.map_or(0.0, |d| d.as_secs_f64()),
                tail: Tail::of(text),
            });
        }
        Some(Killed::Interrupted) => return Err(ExecError::Interrupted),
        None => {}
    }
    if let Some(reason) = &t.exec_failed {
        return Err(ExecError::Start {
            program: spec.command.program(),
            reason: reason.clone(),
        });
    }
    for e in t.endings.iter().flatten() {
        match *e {
            Ending::Exited(0) => {}
            Ending::Exited(code) => {
                return Err(ExecError::Status {
                    code,
                    tail: Tail::of(text),
                });
            }
            Ending::Signalled(sig) => {
                return Err(ExecError::Signal {
                    signal: signal_name(sig),
                    tail: Tail::of(text),
                });
            }
        }
    }
    Ok(())
}

fn to_counts(c: &task::TaskCounts) -> Counts {
    Counts {
        migrations: c.migrations,
        migrations_source: c.migrations.map(|_| MigrationSource::Procfs),
        migrations_procfs_check: None,
        voluntary_switches: c.voluntary_switches,
        involuntary_switches: c.involuntary_switches,
        switches_source: c.voluntary_switches.map(|_| "procfs".to_string()),
        user_seconds: c.user_seconds,
        system_seconds: c.system_seconds,
        // Per slot and for the tree from the accounting, which reads it as the tasks run.
        runq_wait_s: None,
        // Not counted for a program's tasks (it would take a perf event inherited by the tree).
        cycles: None,
        instructions: None,
        cache_misses: None,
    }
}

/// Tasks' counters summed (a counter unknown for one task is unknown for the sum).
fn sum<'a>(records: impl Iterator<Item = &'a tracer::TaskRecord>) -> Counts {
    records.fold(to_counts(&task::TaskCounts::zero()), |acc, r| {
        Counts::sum(&acc, &to_counts(&r.counts))
    })
}

/// The run's totals and each slot's figures from the traced tasks.
fn measure(
    spec: &ExecSpec,
    t: &Traced,
    slot_masks: &[Option<CpuSet>],
    metric: Option<f64>,
) -> Measured {
    let seconds = t.end_ns.saturating_sub(t.start_ns) as f64 * 1e-9;
    let tree = sum(t.tasks.iter());
    // The launch's helpers (gone before the program itself started) held slots for a moment:
    // they count in the tree, not in any slot.
    let launch_helpers: HashSet<Tid> = if spec.mode == Mode::Copies {
        HashSet::new()
    } else {
        t.tasks
            .iter()
            .filter(|r| r.exit_ns < t.main_exec_ns)
            .map(|r| r.tid)
            .collect()
    };
    let launch_helper = |tid: Tid| launch_helpers.contains(&tid);
    let launch_helper_processes = t
        .tasks
        .iter()
        .filter(|r| r.tid == r.tgid && launch_helper(r.tid))
        .count();
    let workers: Vec<WorkerResult> = (0..slot_masks.len())
        .map(|s| {
            // The slot's tasks: every generation, every thread.
            let mine: Vec<&tracer::TaskRecord> = t
                .tasks
                .iter()
                .filter(|r| r.slot == Some(s) && !launch_helper(r.tgid))
                .collect();
            let holders: Vec<Tid> = t.tally.holders[s]
                .iter()
                .copied()
                .filter(|&h| !launch_helper(h))
                .collect();
            let last = holders.last().copied().unwrap_or(0);
            // The processes too short to read, by their own word (the library's exit record):
            // where they ended counts as much as where a read one did.
            let short: Vec<&tracer::ShortEnd> = t
                .short_ends
                .iter()
                .filter(|e| e.slot == Some(s) && e.exit_ns >= t.main_exec_ns)
                .collect();
            // Every mask the slot's tasks ended under, and every CPU they were seen on: one
            // task off its slot shows here.
            let readback = mine
                .iter()
                .filter_map(|r| r.counts.mask.as_ref())
                .chain(short.iter().filter_map(|e| e.mask.as_ref()))
                .fold(CpuSet::new(), |acc, m| acc.union(m));
            let mut seen = t.seen.get(s).cloned().unwrap_or_default();
            for cpu in mine
                .iter()
                .filter_map(|r| r.counts.last_cpu)
                .chain(short.iter().filter_map(|e| e.last_cpu))
            {
                seen.cpus.insert(cpu);
            }
            WorkerResult {
                worker: s,
                pid: last.max(0) as u32,
                tid: last,
                primary: !holders.is_empty(),
                cpus_planned: slot_masks[s].clone(),
                cpus_readback: readback,
                cpus_seen: seen.cpus,
                cpu_samples: seen.samples,
                samples_outside_plan: seen.outside,
                ops: 0,
                seconds,
                throughput_ops_s: 0.0,
                counts: Counts {
                    runq_wait_s: t.split.slot_wait_s.get(s).copied(),
                    ..sum(mine.iter().copied())
                },
                start_ns: t.start_ns,
                end_ns: t.end_ns,
                generations: Some(holders.len() as u32),
                pinned_at_ns: None,
                slot_cpu_s: t.split.slot_s.get(s).copied(),
            }
        })
        .collect();
    let throughput = match (metric, spec.metric.as_ref().map(Metric::better)) {
        (Some(v), Some(Better::Higher)) => v,
        (Some(v), Some(Better::Lower)) => 1.0 / v,
        _ if seconds > 0.0 => 1.0 / seconds,
        _ => 0.0,
    };
    let samples: u64 = workers.iter().map(|w| w.cpu_samples).sum();
    let planned = slot_masks.iter().any(Option::is_some);
    let placed = |by: PlacedBy| t.placed.get(&by.key()).copied().unwrap_or(0);
    let total = Total {
        ops: 1,
        seconds,
        throughput_ops_s: throughput,
        ns_per_op: None,
        cpu_ns_per_op: None,
        migrations: tree.migrations,
        voluntary_switches: tree.voluntary_switches,
        involuntary_switches: tree.involuntary_switches,
        user_seconds: tree.user_seconds,
        system_seconds: tree.system_seconds,
        cpus_seen: workers
            .iter()
            .fold(CpuSet::new(), |acc, w| acc.union(&w.cpus_seen)),
        off_plan_fraction: (planned && samples > 0).then(|| {
            workers.iter().map(|w| w.samples_outside_plan).sum::<u64>() as f64 / samples as f64
        }),
        runq_wait_s: Some(t.split.tree_wait_s),
    };
    let facts = TreeFacts {
        exit_status: t.endings.iter().flatten().find_map(|e| match e {
            Ending::Exited(c) => Some(*c),
            Ending::Signalled(_) => None,
        }),
        metric,
        tasks: t.tasks.len() + t.unread,
        processes: t.tasks.iter().filter(|r| r.tid == r.tgid).count() + t.unread_processes,
        waited: t.tally.waited,
        helpers: t.tally.helpers + launch_helper_processes,
        leftovers: t.leftovers,
        repinned: t
            .tasks
            .iter()
            .filter(|r| r.repinned)
            .map(|r| r.tid)
            .chain(t.repinned_seen.iter().copied())
            .collect::<HashSet<Tid>>()
            .len(),
        unread: t.unread,
        unfinished_records: t.unfinished_records,
        main_migrations: t
            .tasks
            .iter()
            .filter(|r| t.roots.contains(&r.tgid))
            .map(|r| r.counts.migrations)
            .sum(),
        pinned_cpu_share: t.split.on_plan_share().filter(|_| planned),
        // The command's own process(es) in process mode; in thread mode each process's first
        // thread while it was no worker.
        main_cpu_share: (t.split.tree_s > 0.0).then(|| t.split.main_s / t.split.tree_s),
        workers_seen: t.split.slot_s.iter().filter(|&&s| s >= 0.01).count(),
        late_pins: t.tally.late_pins,
        late_pin_delay_s: t.late_pin_delays.iter().copied().reduce(f64::max),
        unslotted_busy: t.split.unslotted.clone(),
        placed_by_tracer: placed(PlacedBy::Tracer),
        placed_by_library: placed(PlacedBy::Library),
        placed_corrected: placed(PlacedBy::Corrected),
        placed_found: placed(PlacedBy::Found),
    };
    Measured {
        workers,
        total,
        tree: Some(facts),
    }
}
