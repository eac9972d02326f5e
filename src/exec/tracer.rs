//! Runs a user's command under ptrace and places its workers as they appear. Each copy is
//! attached with `PTRACE_SEIZE` before it execs, and every task it creates is auto-attached
//! (`PTRACE_O_TRACEFORK/VFORK/CLONE`). Three round trips per new process, the fewest ptrace
//! allows: the creator's fork event gives the new task's id while the task has not run an
//! instruction (it starts in a `PTRACE_EVENT_STOP`), so its pin takes effect before it runs,
//! with no unpinned window; the new task's first stop is resumed; its death is reported by
//! `waitpid`, and its counters are read from its zombie (`waitid(WNOWAIT)`) before it is reaped,
//! where they are final. Only the roots stop at an exec (the command past its launch's
//! wrappers); any other process's exec is seen by the watchdog as a changed command line, which
//! decides helpers (rule 4 of [`super::slots`]) within a tick. Between those events the tree
//! runs untouched (no system call is traced). `PTRACE_O_EXITKILL` kills the whole tree if
//! pinbench itself dies, and a watchdog thread kills it on `--timeout`, SIGINT or SIGTERM, so no
//! process of the tree is ever left behind.
//!
//! With `--placer preload` ([`Launch::preload`]) nothing is traced: the processes place
//! themselves through the library of [`super::preload`], and the watchdog reads what they did
//! (`inside.rs`); the wait loop then only reaps the command and what it leaves to pinbench.
//!
//! The fork, the wait loop and every ptrace request happen on the calling thread (ptrace
//! belongs to the thread that forked); the child between fork and exec only makes
//! async-signal-safe calls on memory prepared before the fork.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sched::CpuSet as NixCpuSet;
use nix::sys::ptrace::{self, Event, Options};
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;

mod inside;

use super::account::{Accounting, Reading, Split};
use super::preload::{self, Table};
use super::slots::{Mode, Move, Place, Slots, Tally, Tid};
use super::task::{self, TaskCounts};
use crate::affinity::to_nix;
use crate::clock::monotonic_ns;
use crate::cpuset::CpuSet;
use inside::{forget_process, inside, take_log};

/// How often the watchdog samples the CPU each slot runs on and checks the deadline.
const TICK: Duration = Duration::from_millis(10);

/// How close to one of pinbench's moves a process may read its own mask and see either side
/// of it (the move is timed once its system calls returned).
const MOVE_RACE: Duration = Duration::from_millis(2);

/// The window over which a task's CPU share decides whether it is busy or idle (rule 6 of
/// [`super::slots`]): long enough that a worker between two tasks is not taken for idle.
const WINDOW: Duration = Duration::from_millis(30);

/// What to start and how to place it.
pub struct Launch<'a> {
    /// The resolved program and its arguments (`argv[0]` as the user wrote it).
    pub path: CString,
    pub argv: Vec<CString>,
    /// The environment of each copy (one in tree modes), `KEY=VALUE`.
    pub envs: Vec<Vec<CString>>,
    pub mode: Mode,
    /// Each slot's mask; `None` leaves a slot's tasks where they are (`none`, `inherited`).
    pub slot_masks: Vec<Option<CpuSet>>,
    /// The mask of the main process and of tasks waiting for a slot; `None` for `none`.
    pub main_mask: Option<CpuSet>,
    /// What a task's mask is expected to be when nothing here set it (the allowed set).
    pub default_mask: CpuSet,
    /// Each copy's mask applied in the child before exec (by=self); tree modes: the main mask.
    pub root_masks: Vec<Option<CpuSet>>,
    /// Each copy's mask applied by pinbench once the copy has started (by=parent).
    pub parent_pins: Vec<Option<CpuSet>>,
    /// A process exec'ing a command line that matches is a helper, not a worker.
    pub helpers: &'a regex::Regex,
    /// Where each copy's stdout and stderr go (one in tree modes; none: pinbench's own). Each
    /// copy of `--each` writes a file of its own, so copies never splice each other's lines.
    pub outputs: &'a [OwnedFd],
    pub timeout: Option<Duration>,
    /// How long what the program leaves running gets, after SIGTERM, before SIGKILL.
    pub grace: Duration,
    /// Place the tree's processes from inside with the preload library (nothing traced; the
    /// watchdog reads what it did, `tracer/inside.rs`); `None`: every task is traced and placed at its creation.
    pub preload: Option<&'a Path>,
}

/// Which path placed a task (the runs' `placed_*` counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlacedBy {
    /// At its creation, by pinbench at the ptrace stop before its first instruction.
    Tracer,
    /// By itself, through the preload library, before the program's code ran.
    Library,
    /// By the library, then moved by pinbench, whose slot rules disagreed.
    Corrected,
    /// By pinbench once the watchdog found it in `/proc` (the library was not in its creator:
    /// a statically linked program, a cleared environment): it ran unplaced until then.
    Found,
}

/// How long what outlives the program must sit idle (asleep, no CPU time) before it counts as
/// left over and is asked to stop: while it runs or waits for a CPU it is taken to be ending by
/// itself (Python's resource tracker unlinks what it tracks once its pipe closes, and ignores
/// SIGTERM), for at most [`SETTLE_MAX`].
const SETTLE: Duration = Duration::from_millis(200);

/// The longest what outlives the program may keep busy before it counts as left over.
const SETTLE_MAX: Duration = Duration::from_secs(1);

/// How a copy of the command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
    Signalled(i32),
}

/// Why the tree was killed before it ended on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Killed {
    Timeout,
    Interrupted,
}

/// One task's record, read as it exited.
#[derive(Debug, Clone)]
pub struct TaskRecord {
    pub tid: Tid,
    pub tgid: Tid,
    /// The slot it held as it exited (a thread: its process's), which its counters count for.
    pub slot: Option<usize>,
    pub counts: TaskCounts,
    /// Its mask at the end differed from where pinbench placed it (the program re-pinned it).
    pub repinned: bool,
    /// CLOCK_MONOTONIC nanoseconds of its exit.
    pub exit_ns: u64,
    /// How it was placed (a thread: its process's creation is what counts).
    pub placed_by: Option<PlacedBy>,
}

/// A process that ended too soon for its counters to be read, by its own word: the slot it
/// held, the mask it read and the CPU it was on as it exited.
#[derive(Debug, Clone, PartialEq)]
pub struct ShortEnd {
    pub slot: Option<usize>,
    pub mask: Option<CpuSet>,
    pub last_cpu: Option<usize>,
    /// CLOCK_MONOTONIC nanoseconds of its exit.
    pub exit_ns: u64,
}

/// Where each slot's tasks were seen running.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    pub cpus: CpuSet,
    pub samples: u64,
    pub outside: u64,
}

/// What one run of the command produced.
#[derive(Debug)]
pub struct Traced {
    pub start_ns: u64,
    pub end_ns: u64,
    /// When the (first) copy last exec'd: tree-mode tasks that were gone by then were the
    /// launch's own helpers (a shell wrapper's, a version manager shim's), not the program's.
    pub main_exec_ns: u64,
    /// The copies' process ids, in copy order.
    pub roots: Vec<Tid>,
    /// Each copy's ending, in copy order.
    pub endings: Vec<Option<Ending>>,
    /// Every task that exited with its counters read (threads included).
    pub tasks: Vec<TaskRecord>,
    /// Tasks that ended without their counters read (gone before their zombie was seen).
    pub unread: usize,
    /// Of those, processes (a short child of a fork-heavy program, say): counted with the
    /// processes the tree ran.
    pub unread_processes: usize,
    /// What the unread ones said of their end themselves (the preload library's exit record,
    /// read without `/proc`): the mask and CPU each ended on, which its slot's readback shows.
    pub short_ends: Vec<ShortEnd>,
    pub seen: Vec<Seen>,
    pub tally: Tally,
    /// Processes still alive when every copy had ended, killed then.
    pub leftovers: usize,
    pub killed: Option<Killed>,
    /// The copy whose program could not be started, with the reason.
    pub exec_failed: Option<String>,
    /// Where the tree's CPU time ran.
    pub split: Split,
    /// Seconds from a task's creation to its late pin, one per late pin (rule 6 of `slots`).
    pub late_pin_delays: Vec<f64>,
    /// Processes by the path that placed them.
    pub placed: BTreeMap<PlacedByKey, usize>,
    /// Processes seen alive under a mask of their own (preload mode), exit records aside.
    pub repinned_seen: Vec<Tid>,
    /// Records of the preload library's log left unfinished by their writer (ended in the
    /// middle of one): what they said is missing.
    pub unfinished_records: usize,
}

/// [`PlacedBy`] as a map key.
pub type PlacedByKey = u8;

impl PlacedBy {
    pub fn key(self) -> PlacedByKey {
        self as u8
    }
}

/// What the watchdog shares with the tracing thread.
struct Shared {
    live: Mutex<Live>,
    done: AtomicBool,
    /// Why the tree was killed, once it was.
    killed: Mutex<Option<Killed>>,
    /// When every copy had ended: from then on what is left is let end, asked to, then killed.
    ended: Mutex<Option<Instant>>,
}

struct Live {
    /// Which task holds which slot: the rules, fed by the tracer's events and the watchdog's
    /// CPU-time windows alike.
    plan: Slots,
    /// Where the CPU time went.
    acct: Accounting,
    /// When each task was created, for the delay of a late pin.
    born: HashMap<Tid, Instant>,
    /// Seconds from a task's creation to its late pin, one per late pin.
    late_pin_delays: Vec<f64>,
    /// tid -> tgid of every live task.
    tasks: HashMap<Tid, Tid>,
    /// The slot of each placed process (process modes) or thread (thread mode).
    slots: HashMap<Tid, usize>,
    seen: Vec<Seen>,
    /// Bumped when `seen` starts over (at the command's exec), so a sample taken before is
    /// not counted after.
    epoch: u64,
    /// Processes still alive [`SETTLE`] after every copy ended, asked to stop then.
    leftovers: Option<usize>,
    /// Each process's command line when last read (a root's at its exec stop, any other's by
    /// the watchdog), a forked child's its creator's: a change is an exec, which stops no task
    /// but a root. A process first seen with none recorded is taken as exec'd.
    cmdlines: HashMap<Tid, String>,
    /// The preload library's table, when it places the tree's processes.
    table: Option<Table>,
    /// How each live process was placed.
    placed_by: HashMap<Tid, PlacedBy>,
    /// Processes by the path that placed them, over the run.
    placed: BTreeMap<PlacedByKey, usize>,
    /// Exit records the watchdog took (the library's, or a zombie it found).
    records: Vec<TaskRecord>,
    /// Tasks whose final counters were taken, by whichever side took them first.
    recorded: HashSet<Tid>,
    /// Tasks that vanished without their final counters (preload mode), and of those the
    /// processes.
    unread: usize,
    unread_processes: usize,
    short_ends: Vec<ShortEnd>,
    /// The roots' process group, killed whole in preload mode (what the watchdog has not
    /// found yet is in it).
    pgid: Option<Tid>,
    /// Children listed in `/proc` at the last tick that the library has not reported yet.
    unreported: HashSet<Tid>,
    /// Preload mode: each move of a process (CLOCK_MONOTONIC ns) with the slot it left. The
    /// library reports an exit as it happens and pinbench reads it a tick later: a move made
    /// in between (a spawner given its slot back once its child ended) did not reach it.
    moves: HashMap<Tid, Vec<(u64, Option<usize>)>>,
    /// Preload mode: processes seen alive under a mask nobody here gave them (the program
    /// re-pinned them; one killed later leaves no exit record to tell).
    repinned_seen: HashSet<Tid>,
    /// When the command's own process last exec'd (the launch's helpers were gone by then).
    main_exec_ns: u64,
}

impl Live {
    fn new(mode: Mode, slots: usize) -> Self {
        Self {
            plan: Slots::new(mode, slots),
            acct: Accounting::new(slots),
            born: HashMap::new(),
            late_pin_delays: Vec::new(),
            tasks: HashMap::new(),
            slots: HashMap::new(),
            seen: vec![Seen::default(); slots],
            epoch: 0,
            leftovers: None,
            cmdlines: HashMap::new(),
            table: None,
            placed_by: HashMap::new(),
            placed: BTreeMap::new(),
            records: Vec::new(),
            recorded: HashSet::new(),
            unread: 0,
            unread_processes: 0,
            short_ends: Vec::new(),
            pgid: None,
            unreported: HashSet::new(),
            moves: HashMap::new(),
            repinned_seen: HashSet::new(),
            main_exec_ns: 0,
        }
    }

    /// The slot `pid` held at `ns`: its slot now, unless a move since took it elsewhere.
    fn slot_at(&self, pid: Tid, ns: u64) -> Option<usize> {
        self.moves
            .get(&pid)
            .and_then(|v| v.iter().find(|&&(t, _)| t > ns))
            .map_or_else(|| self.slots.get(&pid).copied(), |&(_, before)| before)
    }

    /// Whether `have` is a mask `pid` may have read as its own at `ns`: where it was then, or,
    /// for a move of ours within [`MOVE_RACE`] of that moment, where the move took it from or
    /// to (the process read its mask while our system call landed).
    fn placed_around(&self, pid: Tid, ns: u64, expect: &Expect, have: &CpuSet) -> bool {
        expect.mask(self.slot_at(pid, ns)) == have
            || self
                .moves
                .get(&pid)
                .into_iter()
                .flatten()
                .any(|&(t, before)| {
                    t.abs_diff(ns) < MOVE_RACE.as_nanos() as u64
                        && (expect.mask(before) == have
                            || expect.mask(self.slot_at(pid, t)) == have)
                })
    }

    /// Counts a new process's placement.
    fn placed(&mut self, pid: Tid, by: PlacedBy) {
        self.placed_by.insert(pid, by);
        *self.placed.entry(by.key()).or_default() += 1;
    }

    /// The live processes (thread group ids).
    fn processes(&self) -> Vec<Tid> {
        let mut groups: Vec<Tid> = self.tasks.values().copied().collect();
        groups.sort_unstable();
        groups.dedup();
        groups
    }

    fn signal_all(&self, signal: Signal) {
        for g in self.processes() {
            let _ = kill(Pid::from_raw(g), signal);
        }
        if let Some(pg) = self.pgid {
            let _ = kill(Pid::from_raw(-pg), signal);
        }
    }
}

/// The child's side of the fork: everything prepared before, nothing allocated here.
struct ChildPlan {
    path: CString,
    argv: Vec<*const libc::c_char>,
    envp: Vec<*const libc::c_char>,
    mask: Option<NixCpuSet>,
    output: Option<i32>,
    devnull: i32,
    pgid: i32,
    err_fd: i32,
    /// The go-ahead pipe: the child closes its copy of the write end and waits for a byte on
    /// the read end, sent once it is attached (if pinbench dies first it reads nothing, exits).
    go_r: i32,
    go_w: i32,
}

/// Forks one copy, held before exec until the go-ahead.
fn fork_copy(plan: &ChildPlan) -> std::io::Result<Tid> {
    // SAFETY: the child only makes async-signal-safe calls on memory prepared before the
    // fork, then execs or exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if pid > 0 {
        return Ok(pid);
    }
    // SAFETY: see above; every pointer was built before the fork and outlives it.
    unsafe {
        libc::setpgid(0, plan.pgid);
        libc::dup2(plan.devnull, 0);
        if let Some(fd) = plan.output {
            libc::dup2(fd, 1);
            libc::dup2(fd, 2);
        }
        if let Some(m) = &plan.mask {
            let _ = nix::sched::sched_setaffinity(Pid::from_raw(0), m);
        }
        // The program starts with the signal state a shell would give it, not pinbench's:
        // Rust's runtime ignores SIGPIPE (ignored signals survive exec: `yes | head` would
        // print "Broken pipe" and a pipeline's writer would not stop), and no signal blocked.
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut none);
        libc::sigprocmask(libc::SIG_SETMASK, &raw const none, std::ptr::null_mut());
        libc::close(plan.go_w);
        let mut go = 0u8;
        if libc::read(plan.go_r, (&raw mut go).cast(), 1) != 1 {
            libc::_exit(127);
        }
        libc::execve(plan.path.as_ptr(), plan.argv.as_ptr(), plan.envp.as_ptr());
        let errno = *libc::__errno_location();
        let bytes = errno.to_ne_bytes();
        libc::write(plan.err_fd, bytes.as_ptr().cast(), bytes.len());
        libc::_exit(127);
    }
}

/// What a root is traced for: its forks and clones (each new task is auto-attached, stopped
/// before its first instruction), its execs, and the kernel kills the tree if pinbench dies.
fn root_options() -> Options {
    child_options() | Options::PTRACE_O_TRACEEXEC
}

/// What every other task is traced for: no exec event (its command line is read by the
/// watchdog), no exit event (its counters are read from its zombie).
fn child_options() -> Options {
    Options::PTRACE_O_TRACEFORK
        | Options::PTRACE_O_TRACEVFORK
        | Options::PTRACE_O_TRACECLONE
        | Options::PTRACE_O_EXITKILL
}

/// Attaches to a forked copy waiting for its go-ahead (`PTRACE_SEIZE`: its new tasks start in
/// a `PTRACE_EVENT_STOP`, and an exec without the exec event does not stop it).
fn attach(pid: Tid) -> std::io::Result<Tid> {
    ptrace::seize(Pid::from_raw(pid), root_options())?;
    Ok(pid)
}

/// Applies a move: the whole process in process modes, one thread in thread mode.
fn apply(
    mv: Move,
    mode: Mode,
    masks: &[Option<NixCpuSet>],
    main: &Option<NixCpuSet>,
    live: &mut Live,
) {
    let mask = match mv.to {
        Place::Slot(s) => masks.get(s).and_then(Option::as_ref),
        Place::Main => main.as_ref(),
    };
    let key = mv.task;
    let before = match mv.to {
        Place::Slot(s) => live.slots.insert(key, s),
        Place::Main => live.slots.remove(&key),
    };
    // The library's table follows the rules: claims to come see who holds what.
    if let Some(t) = &live.table {
        if let Some(old) = before.filter(|&old| Place::Slot(old) != mv.to) {
            t.release(old, key);
        }
        if let Place::Slot(s) = mv.to {
            t.set_holder(s, key);
        }
    }
    if let Some(mask) = mask {
        set_masks(mv.task, mode, mask, live);
    }
    // When the move had taken effect, and where from (preload mode's exit records need it).
    if live.table.is_some() && Some(mv.to) != before.map(Place::Slot) {
        live.moves
            .entry(key)
            .or_default()
            .push((monotonic_ns(), before));
    }
}

/// Sets the mask of a move's tasks: the whole process in process modes, one thread in thread
/// mode.
fn set_masks(task: Tid, mode: Mode, mask: &NixCpuSet, live: &Live) {
    let targets: Vec<Tid> = if mode == Mode::Threads {
        vec![task]
    } else if live.table.is_some() {
        // Threads the watchdog has not listed yet are the process's too.
        task::threads(task)
    } else {
        live.tasks
            .iter()
            .filter(|&(_, &g)| g == task)
            .map(|(&t, _)| t)
            .collect()
    };
    for t in targets {
        // A task killed meanwhile (ESRCH) has nothing left to place.
        let _ = nix::sched::sched_setaffinity(Pid::from_raw(t), mask);
    }
}

/// The masks moves are applied with.
struct Masks {
    mode: Mode,
    slots: Vec<Option<NixCpuSet>>,
    main: Option<NixCpuSet>,
}

impl Shared {
    /// Feeds one event to the slot rules and applies their answer, under one lock.
    fn step(&self, m: &Masks, event: impl FnOnce(&mut Slots) -> Vec<Move>) {
        let mut live = self.live.lock().expect("live");
        let moves = event(&mut live.plan);
        for mv in moves {
            apply(mv, m.mode, &m.slots, &m.main, &mut live);
        }
    }
}

/// Forks each copy of the command (one in tree modes), stopped before it runs and attached, and
/// records it as a root of the slot rules. A copy that cannot be started and traced takes the
/// copies before it down too.
fn start_copies(
    l: &Launch,
    shared: &Shared,
    argv: &[*const libc::c_char],
    devnull: &std::fs::File,
    err_w: &OwnedFd,
    go: &(OwnedFd, OwnedFd),
    envs: &[Vec<CString>],
) -> std::io::Result<Vec<Tid>> {
    let copies = envs.len().max(1);
    let mut roots: Vec<Tid> = Vec::new();
    let mut pgid = 0;
    for i in 0..copies {
        let env = envs.get(i).cloned().unwrap_or_default();
        let mut envp: Vec<*const libc::c_char> = env.iter().map(|e| e.as_ptr()).collect();
        envp.push(std::ptr::null());
        let plan = ChildPlan {
            path: l.path.clone(),
            argv: argv.to_vec(),
            envp,
            mask: l
                .root_masks
                .get(i)
                .and_then(Option::as_ref)
                .and_then(|m| to_nix(m).ok()),
            output: l.outputs.get(i).map(|f| f.as_raw_fd()),
            devnull: devnull.as_raw_fd(),
            pgid,
            err_fd: err_w.as_raw_fd(),
            go_r: go.0.as_raw_fd(),
            go_w: go.1.as_raw_fd(),
        };
        // A copy that cannot be started and traced takes the copies before it down too.
        let pid = match fork_copy(&plan).and_then(|pid| {
            roots.push(pid);
            // Preload mode traces nothing: a traced process stops at every signal it gets (a
            // SIGCHLD per child that ends), so not even the root is; its execs are in the log.
            if l.preload.is_some() {
                Ok(pid)
            } else {
                attach(pid)
            }
        }) {
            Ok(p) => p,
            Err(e) => {
                for &r in &roots {
                    let _ = kill(Pid::from_raw(r), Signal::SIGKILL);
                }
                return Err(e);
            }
        };
        drop(env);
        if pgid == 0 {
            pgid = pid;
        }
        let mut live = shared.live.lock().expect("live");
        if let Some(t) = &live.table {
            t.set_root(pid);
            live.pgid = Some(pgid);
        }
        live.plan.root(pid, (l.mode == Mode::Copies).then_some(i));
        live.tasks.insert(pid, pid);
        live.born.insert(pid, Instant::now());
        if let Some(s) = live.plan.slot_of(pid) {
            live.slots.insert(pid, s);
        }
    }
    Ok(roots)
}

/// Whether pinbench adopts the orphans of its descendants (`PR_SET_CHILD_SUBREAPER`).
fn set_subreaper(on: bool) {
    // SAFETY: prctl with integer arguments only.
    unsafe {
        libc::prctl(
            libc::PR_SET_CHILD_SUBREAPER,
            libc::c_ulong::from(on),
            0,
            0,
            0,
        )
    };
}

/// Runs the command to its end and returns what the kernel counted.
pub fn trace(l: &Launch) -> std::io::Result<Traced> {
    let copies = l.envs.len().max(1);
    let masks = Arc::new(Masks {
        mode: l.mode,
        slots: l
            .slot_masks
            .iter()
            .map(|m| m.as_ref().and_then(|m| to_nix(m).ok()))
            .collect(),
        main: l.main_mask.as_ref().and_then(|m| to_nix(m).ok()),
    });
    let devnull = std::fs::File::open("/dev/null")?;
    let (err_r, err_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    let mut argv: Vec<*const libc::c_char> = l.argv.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());

    let mut live = Live::new(l.mode, l.slot_masks.len());
    let mut guardian = None;
    let envs = match l.preload {
        Some(library) => {
            let table = Table::create(&l.slot_masks, l.main_mask.as_ref())?;
            let envs = l.envs.iter().map(|e| table.env(library, e)).collect();
            // Started while pinbench is no subreaper: it must not come back as a child.
            set_subreaper(false);
            guardian = Some(preload::Guardian::start(&table)?);
            live.table = Some(table);
            // What the command's processes leave when they end comes to pinbench, not to init:
            // reaped here, its counters read from its zombie. Until the run ends.
            set_subreaper(true);
            envs
        }
        None => l.envs.clone(),
    };
    let shared = Arc::new(Shared {
        live: Mutex::new(live),
        done: AtomicBool::new(false),
        killed: Mutex::new(None),
        ended: Mutex::new(None),
    });
    let go = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    let roots = start_copies(l, &shared, &argv, &devnull, &err_w, &go, &envs)?;
    // The command's own processes: never workers in process mode, their time no worker's.
    let mains: Vec<Tid> = if l.mode == Mode::Processes {
        roots.clone()
    } else {
        Vec::new()
    };
    drop(err_w);

    let expect = Expect {
        slot_masks: l.slot_masks.clone(),
        main_mask: l.main_mask.clone(),
        default_mask: l.default_mask.clone(),
    };
    let watchdog = {
        let shared = Arc::clone(&shared);
        let apply_masks = Arc::clone(&masks);
        let deadline = l.timeout.map(|t| Instant::now() + t);
        let grace = l.grace;
        let mains = mains.clone();
        let helpers = l.helpers.clone();
        let expect = expect.clone();
        std::thread::spawn(move || {
            watch(
                &shared,
                &apply_masks,
                deadline,
                grace,
                &mains,
                &helpers,
                &expect,
            )
        })
    };

    let start_ns = monotonic_ns();
    // The go-ahead, one byte per copy: each reads one and execs.
    let (go_r, go_w) = go;
    drop(go_r);
    let _ = nix::unistd::write(&go_w, &vec![0u8; roots.len()]);
    drop(go_w);
    let mut tree = Tree {
        l,
        masks: &masks,
        shared: &shared,
        tgids: roots.iter().map(|&r| (r, r)).collect(),
        endings: vec![None; copies],
        roots: &roots,
        end_ns: 0,
        main_exec_ns: start_ns,
        records: Vec::new(),
        exit_read: Default::default(),
        unread: 0,
        unread_processes: 0,
        early: Default::default(),
        expecting: Default::default(),
        expect: &expect,
    };
    loop {
        let (pid, gone) = match next_event() {
            Ok(s) => s,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(nix::errno::Errno::ECHILD) => break,
            Err(e) => return Err(e.into()),
        };
        if gone {
            // A zombie: its counters are final and still readable until it is reaped.
            tree.exited(pid.as_raw());
        }
        let status = loop {
            // WUNTRACED: an orphan handed to pinbench (preload mode) is a child, not a tracee,
            // and its stop by a signal is reported once, not left pending.
            let flags =
                nix::sys::wait::WaitPidFlag::__WALL | nix::sys::wait::WaitPidFlag::WUNTRACED;
            match nix::sys::wait::waitpid(pid, Some(flags)) {
                Err(nix::errno::Errno::EINTR) => continue,
                other => break other,
            }
        };
        let Ok(status) = status else { continue };
        match status {
            WaitStatus::PtraceEvent(pid, _, ev) => tree.on_event(pid, ev),
            WaitStatus::Stopped(pid, sig) => tree.on_signal(pid, sig),
            WaitStatus::Exited(pid, code) => tree.on_gone(pid, Ending::Exited(code)),
            WaitStatus::Signaled(pid, sig, _) => tree.on_gone(pid, Ending::Signalled(sig as i32)),
            _ => {}
        }
    }
    let Tree {
        endings,
        mut end_ns,
        main_exec_ns,
        records,
        unread,
        unread_processes,
        ..
    } = tree;
    if end_ns == 0 {
        end_ns = monotonic_ns();
    }
    shared.done.store(true, Ordering::SeqCst);
    let _ = watchdog.join();
    let killed = *shared.killed.lock().expect("killed");
    let leftovers = shared.live.lock().expect("live").leftovers.unwrap_or(0);
    let mut errno = [0u8; 4];
    let exec_failed = match nix::unistd::read(&err_r, &mut errno) {
        Ok(4) => Some(std::io::Error::from_raw_os_error(i32::from_ne_bytes(errno)).to_string()),
        _ => None,
    };
    let mut live = shared.live.lock().expect("live");
    // What the library logged after the watchdog's last tick (the last exits), every process
    // of the tree reaped now: a record still unfinished never will be.
    if let Some(t) = live.table.as_mut() {
        t.writers_ended();
    }
    take_log(&mut live, &masks, &expect);
    let main_exec_ns = main_exec_ns.max(live.main_exec_ns);
    let mut tasks = records;
    tasks.append(&mut live.records);
    tasks.sort_by_key(|r| r.exit_ns);
    let unread = unread + live.unread + live.table.as_ref().map_or(0, |t| t.dropped() as usize);
    let unfinished_records = live.table.as_ref().map_or(0, |t| t.skipped() as usize);
    let unread_processes = unread_processes + live.unread_processes;
    let short_ends = std::mem::take(&mut live.short_ends);
    let placed = std::mem::take(&mut live.placed);
    let repinned_seen: Vec<Tid> = live.repinned_seen.iter().copied().collect();
    // The tree is gone: the guardian leaves quietly, then the table goes.
    if guardian.is_some() {
        set_subreaper(false);
    }
    drop(guardian);
    live.table = None;
    let seen = std::mem::take(&mut live.seen);
    let tally = live.plan.tally().clone();
    // The last, partial window decides its spawners' time too (a full window's length: a
    // spawner busy in it is not excused).
    live.acct.close_window(WINDOW.as_nanos() as u64);
    let split = live.acct.split(&mains, &tally.helper_pids);
    let late_pin_delays = std::mem::take(&mut live.late_pin_delays);
    drop(live);
    Ok(Traced {
        start_ns,
        end_ns,
        main_exec_ns,
        roots,
        endings,
        tasks,
        unread,
        unread_processes,
        short_ends,
        seen,
        tally,
        split,
        late_pin_delays,
        placed,
        repinned_seen,
        unfinished_records,
        leftovers,
        killed,
        exec_failed,
    })
}

/// The tracing thread's view of the tree while it runs: one handler per kind of event, each
/// feeding the slot rules and resuming the task it stopped.
struct Tree<'a> {
    l: &'a Launch<'a>,
    masks: &'a Masks,
    shared: &'a Shared,
    /// tid -> tgid, this thread's own copy (the watchdog's is behind the lock).
    tgids: BTreeMap<Tid, Tid>,
    roots: &'a [Tid],
    endings: Vec<Option<Ending>>,
    end_ns: u64,
    main_exec_ns: u64,
    records: Vec<TaskRecord>,
    exit_read: std::collections::HashSet<Tid>,
    unread: usize,
    unread_processes: usize,
    /// New tasks whose first stop came before their creator's event, held until placed.
    early: std::collections::HashSet<Tid>,
    /// New tasks placed, whose first stop is still to come.
    expecting: std::collections::HashSet<Tid>,
    /// Where tasks are put, to tell a program's own re-pin from ours.
    expect: &'a Expect,
}

/// Where pinbench puts tasks, to tell a program's own re-pin from its placement.
#[derive(Clone)]
struct Expect {
    slot_masks: Vec<Option<CpuSet>>,
    main_mask: Option<CpuSet>,
    default_mask: CpuSet,
}

impl Expect {
    /// The CPUs of `slot`, where the strategy pins it.
    fn slot_mask(&self, slot: Option<usize>) -> Option<&CpuSet> {
        slot.and_then(|s| self.slot_masks.get(s))
            .and_then(Option::as_ref)
    }

    /// The mask a task in `slot` (none: waiting, or the main process) should have.
    fn mask(&self, slot: Option<usize>) -> &CpuSet {
        self.slot_mask(slot)
            .or(self.main_mask.as_ref())
            .unwrap_or(&self.default_mask)
    }
}

impl Tree<'_> {
    /// A ptrace event stop: a task was created, exec'd, or is exiting.
    fn on_event(&mut self, pid: Pid, ev: i32) {
        let tid = pid.as_raw();
        let tgid = *self.tgids.get(&tid).unwrap_or(&tid);
        if ev == Event::PTRACE_EVENT_FORK as i32
            || ev == Event::PTRACE_EVENT_VFORK as i32
            || ev == Event::PTRACE_EVENT_CLONE as i32
        {
            self.created(pid, tid, tgid, ev == Event::PTRACE_EVENT_CLONE as i32);
        } else if ev == Event::PTRACE_EVENT_EXEC as i32 {
            // It resumes the task itself (a `--pin-by parent` copy is pinned after).
            return self.execed(pid, tid);
        } else if ev == Event::PTRACE_EVENT_STOP as i32 {
            // A new task's first stop, or a group-stop; it resumes the task itself.
            return self.stopped(pid);
        }
        let _ = ptrace::cont(pid, None);
    }

    /// `tid` created a task: it is placed before it runs its first instruction.
    fn created(&mut self, pid: Pid, tid: Tid, tgid: Tid, clone: bool) {
        let child = ptrace::getevent(pid).map(|c| c as Tid).unwrap_or(0);
        if child <= 0 {
            return;
        }
        let thread = clone && task::tgid_of(child).is_some_and(|g| g != child);
        let child_tgid = if thread { tgid } else { child };
        self.tgids.insert(child, child_tgid);
        {
            let mut live = self.shared.live.lock().expect("live");
            if live.tasks.contains_key(&child) {
                // Found in /proc by the watchdog first (preload mode) and placed there; it has
                // not run yet (a new tracee starts stopped).
                drop(live);
                if self.early.remove(&child) {
                    let _ = ptrace::setoptions(Pid::from_raw(child), self.options_for(child));
                    let _ = ptrace::cont(Pid::from_raw(child), None);
                } else {
                    self.expecting.insert(child);
                }
                return;
            }
            live.tasks.insert(child, child_tgid);
            live.born.insert(child, Instant::now());
            if !thread {
                live.placed(child, PlacedBy::Tracer);
            }
            // A forked child runs its creator's program until it execs: the watchdog tells
            // its exec by a command line other than this one.
            if !thread && let Some(line) = live.cmdlines.get(&tgid).cloned() {
                live.cmdlines.insert(child, line);
            }
            // A copy's descendants inherit its mask: they run in its slot (`--each`).
            if self.l.mode == Mode::Copies
                && !thread
                && let Some(&s) = live.slots.get(&tgid)
            {
                live.slots.insert(child, s);
            }
        }
        let creator = if self.l.mode == Mode::Threads {
            tid
        } else {
            tgid
        };
        self.shared
            .step(self.masks, |s| s.spawned(creator, child, thread));
        if self.early.remove(&child) {
            let _ = ptrace::setoptions(Pid::from_raw(child), self.options_for(child));
            let _ = ptrace::cont(Pid::from_raw(child), None);
        } else {
            self.expecting.insert(child);
        }
    }

    /// A root (or a thread of one) exec'd: the command itself, past its launch's wrappers. Only
    /// roots stop at an exec ([`root_options`]); the watchdog sees every other process's.
    fn execed(&mut self, pid: Pid, tid: Tid) {
        let l = self.l;
        let former = ptrace::getevent(pid).map(|c| c as Tid).unwrap_or(tid);
        if former != tid {
            // A thread other than the leader exec'd and took the leader's pid.
            self.tgids.remove(&former);
            self.shared.live.lock().expect("live").tasks.remove(&former);
            self.shared.step(self.masks, |s| s.exited(former));
        }
        // It is another program now: its name is read again, and the command line its
        // children start with is this one.
        let line = task::cmdline(tid);
        {
            let mut live = self.shared.live.lock().expect("live");
            live.acct.renamed(tid);
            live.cmdlines.insert(tid, line);
        }
        let copy = self.roots.iter().position(|&r| r == tid);
        if copy == Some(0) && l.mode != Mode::Copies {
            self.main_exec_ns = monotonic_ns();
            // Where the launch's helpers ran is not where the program's workers did.
            let mut live = self.shared.live.lock().expect("live");
            live.seen = vec![Seen::default(); l.slot_masks.len()];
            live.epoch += 1;
            live.acct.restart();
            live.main_exec_ns = self.main_exec_ns;
        }
        let _ = ptrace::cont(pid, None);
        // by=parent: the copy runs unpinned until now, as after `taskset -p`.
        if let Some(mask) = copy
            .and_then(|i| l.parent_pins.get(i))
            .and_then(Option::as_ref)
            .and_then(|m| to_nix(m).ok())
        {
            let _ = nix::sched::sched_setaffinity(pid, &mask);
        }
    }

    /// `tid` has exited and is a zombie, not yet reaped: its counters are final and read now
    /// (no exit stop: the death is reported by `waitpid` anyway).
    fn exited(&mut self, tid: Tid) {
        let tgid = match self.tgids.get(&tid) {
            Some(&g) => g,
            None => {
                // An orphan of a preload-placed tree, handed to pinbench: read like a tracee
                // unless the library logged its exit first.
                let mut live = self.shared.live.lock().expect("live");
                let known = live.tasks.get(&tid).copied();
                match known {
                    Some(g) if live.table.is_some() && live.recorded.insert(tid) => g,
                    _ => return,
                }
            }
        };
        let l = self.l;
        let counts = TaskCounts::read(tgid, tid);
        let key = if l.mode == Mode::Threads { tid } else { tgid };
        // Where the task was placed last (a child kept on its parent's slot too) is what its
        // counters count for and what its mask should still be.
        let (slot, spawner, main_thread, placed_by) = {
            let mut live = self.shared.live.lock().expect("live");
            live.recorded.insert(tid);
            (
                live.slots.get(&key).copied(),
                live.plan.not_a_worker_now(key),
                live.plan.is_main_thread_not_a_worker(key),
                live.placed_by.get(&tgid).copied(),
            )
        };
        // The task's last run time, read from its zombie where it is final.
        let mask = self.expect.slot_mask(slot);
        if let Some(r) = Reading::take(tid, tgid, key, slot, mask, spawner, main_thread) {
            self.shared.live.lock().expect("live").acct.add(r);
        }
        // A copy's descendants inherit its mask, wherever it was when they started.
        let judged = l.mode != Mode::Copies || slot.is_some();
        let repinned = judged
            && counts
                .mask
                .as_ref()
                .is_some_and(|m| m != self.expect.mask(slot));
        self.records.push(TaskRecord {
            tid,
            tgid,
            slot,
            counts,
            repinned,
            exit_ns: monotonic_ns(),
            placed_by,
        });
        self.exit_read.insert(tid);
        if l.mode == Mode::Threads || tid == tgid {
            self.shared.step(self.masks, |s| s.exited(tid));
            self.shared.live.lock().expect("live").slots.remove(&tid);
        }
    }

    /// A new task's options: a root's threads stop at an exec like their root (the exec'ing
    /// thread takes the root's pid), every other task does not.
    fn options_for(&self, tid: Tid) -> Options {
        match self.tgids.get(&tid) {
            Some(g) if self.roots.contains(g) => root_options(),
            _ => child_options(),
        }
    }

    /// A new task's first stop (it has run no instruction yet), or a group-stop.
    fn stopped(&mut self, pid: Pid) {
        let tid = pid.as_raw();
        if !self.tgids.contains_key(&tid) {
            // Its creator's event is still to come: hold it until it is placed.
            self.early.insert(tid);
        } else if self.expecting.remove(&tid) {
            let _ = ptrace::setoptions(pid, self.options_for(tid));
            let _ = ptrace::cont(pid, None);
        } else {
            // A group-stop (SIGSTOP, SIGTSTP...): let it run on, as before.
            let _ = ptrace::cont(pid, None);
        }
    }

    /// A signal is about to be delivered: it is delivered.
    fn on_signal(&mut self, pid: Pid, sig: Signal) {
        let _ = ptrace::cont(pid, Some(sig));
    }

    /// A task is gone (reaped). When the last copy of the command has ended, what the program
    /// left running is let end as it would without us: the watchdog keeps the time.
    fn on_gone(&mut self, pid: Pid, ending: Ending) {
        let tid = pid.as_raw();
        if !self.exit_read.remove(&tid) && self.tgids.contains_key(&tid) {
            self.unread += 1;
            if self.tgids.get(&tid) == Some(&tid) {
                self.unread_processes += 1;
            }
        }
        self.tgids.remove(&tid);
        self.shared.step(self.masks, |s| s.exited(tid));
        {
            let mut live = self.shared.live.lock().expect("live");
            if live.table.is_some() {
                // Its threads, which no event reports in preload mode, ended with it.
                forget_process(&mut live, self.masks, tid);
            }
            live.tasks.remove(&tid);
            live.slots.remove(&tid);
            live.cmdlines.remove(&tid);
        }
        if let Some(i) = self.roots.iter().position(|&r| r == tid) {
            self.endings[i] = Some(ending);
            if self.endings.iter().all(Option::is_some) {
                self.end_ns = monotonic_ns();
                *self.shared.ended.lock().expect("ended") = Some(Instant::now());
            }
        }
    }
}

/// How long the tracer polls for the next event before it sleeps in `waitpid`.
///
/// Events come in bursts (a fork stops the parent, then the child; an exec follows), and a
/// sleeping tracer is woken on whichever CPU it last ran: measured on a 2-vCPU KVM guest, a
/// program starting 500 children ran 1.55x slower traced when the tracer slept between events,
/// because this host wakes an idle vCPU slowly. Polling a moment keeps the next event of the
/// burst cheap; a compute-bound program has no bursts and never sees the polling.
///
/// The poll yields its CPU between looks rather than spinning: a spinning tracer held the very
/// CPU a just-placed child is pinned to, and the child waited for the spin to end (1000 forks,
/// 2 CPUs: 5.0x as long as direct with a spin, 1.9x yielding, 2.1x sleeping at once; a shell
/// starting 200 `/bin/true`: 1.40x, 0.94x, 1.34x). With nothing else to run, the yield returns
/// at once and the vCPU stays awake as with a spin.
const POLL: Duration = Duration::from_micros(500);

fn next_event() -> nix::Result<(Pid, bool)> {
    let until = Instant::now() + POLL;
    while Instant::now() < until {
        if let Some(e) = peek(libc::WNOHANG)? {
            return Ok(e);
        }
        std::thread::yield_now();
    }
    loop {
        if let Some(e) = peek(0)? {
            return Ok(e);
        }
    }
}

/// The next task with something to report, left to report it (`WNOWAIT`): its id, and whether
/// it is gone (a zombie, whose `/proc` files stay readable until it is reaped).
fn peek(flags: libc::c_int) -> nix::Result<Option<(Pid, bool)>> {
    // SAFETY: an all-zero siginfo_t is a valid value (si_pid 0 says nothing was reported).
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: waitid writes only into `info`, which outlives the call.
    let r = unsafe {
        libc::waitid(
            libc::P_ALL,
            0,
            &mut info,
            libc::WEXITED | libc::WSTOPPED | libc::WNOWAIT | libc::__WALL | flags,
        )
    };
    if r < 0 {
        return Err(nix::errno::Errno::last());
    }
    // SAFETY: waitid filled a SIGCHLD siginfo (or left it zeroed), where si_pid is valid.
    let pid = unsafe { info.si_pid() };
    if pid == 0 {
        return Ok(None);
    }
    let gone = matches!(
        info.si_code,
        libc::CLD_EXITED | libc::CLD_KILLED | libc::CLD_DUMPED
    );
    Ok(Some((Pid::from_raw(pid), gone)))
}

/// What outlives the program, watched after it ended: whether it still gets on with ending.
#[derive(Default)]
struct Settling {
    /// Each task's CPU time at the last look (schedstat, ns).
    run_ns: HashMap<Tid, u64>,
    /// Since when no task has run or waited for a CPU.
    quiet_since: Option<Instant>,
    /// When what was left was asked to stop (SIGTERM).
    asked_at: Option<Instant>,
}

impl Settling {
    /// True once what is left has sat idle for [`SETTLE`], or kept busy [`SETTLE_MAX`] past the
    /// program's end (`since`).
    fn idle(&mut self, live: &Live, since: Duration) -> bool {
        let mut busy = false;
        for (&tid, &tgid) in &live.tasks {
            if let Some((active, run)) = task::activity(tgid, tid) {
                let ran = self
                    .run_ns
                    .insert(tid, run)
                    .is_some_and(|before| run > before);
                busy |= active || ran;
            }
        }
        let now = Instant::now();
        if busy {
            self.quiet_since = None;
        }
        let quiet = now - *self.quiet_since.get_or_insert(now);
        quiet >= SETTLE || since >= SETTLE_MAX
    }
}

/// The watchdog: samples where each placed task runs, kills the tree at the deadline or on
/// SIGINT/SIGTERM, and ends what outlives the program: time to end by itself (until it has sat
/// idle for [`SETTLE`], at most [`SETTLE_MAX`]), then SIGTERM and `grace` to clean up, then
/// SIGKILL.
fn watch(
    shared: &Shared,
    apply_masks: &Masks,
    deadline: Option<Instant>,
    grace: Duration,
    mains: &[Tid],
    helpers: &regex::Regex,
    expect: &Expect,
) {
    let masks = &expect.slot_masks[..];
    let mode = apply_masks.mode;
    let mut window_start = Instant::now();
    let mut settling = Settling::default();
    while !shared.done.load(Ordering::SeqCst) {
        std::thread::sleep(TICK);
        inside(shared, apply_masks, expect);
        execs(shared, apply_masks, helpers);
        account(shared, masks, apply_masks, &mut window_start, mains);
        let mut live = shared.live.lock().expect("live");
        let ended = *shared.ended.lock().expect("ended");
        // The deadline is the program's: once it has ended, what it left has its grace.
        let reason = if ended.is_none() && deadline.is_some_and(|d| Instant::now() >= d) {
            Some(Killed::Timeout)
        } else if crate::interrupt::interrupted().is_some() {
            Some(Killed::Interrupted)
        } else {
            None
        };
        if let Some(reason) = reason {
            shared.killed.lock().expect("killed").get_or_insert(reason);
            live.signal_all(Signal::SIGKILL);
            continue;
        }
        if let Some(ended) = ended {
            match settling.asked_at {
                None => {
                    if settling.idle(&live, ended.elapsed()) {
                        live.leftovers = Some(live.processes().len());
                        live.signal_all(Signal::SIGTERM);
                        settling.asked_at = Some(Instant::now());
                    }
                }
                Some(at) if at.elapsed() >= grace => live.signal_all(Signal::SIGKILL),
                Some(_) => {}
            }
            continue;
        }
        let placed: Vec<(Tid, Tid, usize)> = live
            .tasks
            .iter()
            .filter_map(|(&tid, &tgid)| {
                let key = if mode == Mode::Threads { tid } else { tgid };
                live.slots.get(&key).map(|&s| (tid, tgid, s))
            })
            .collect();
        // The /proc reads happen without the lock, which the tracing thread needs at every
        // event.
        let epoch = live.epoch;
        drop(live);
        let cpus: Vec<(Tid, usize, usize)> = placed
            .into_iter()
            .filter_map(|(tid, tgid, s)| {
                let key = if mode == Mode::Threads { tid } else { tgid };
                Some((key, s, task::current_cpu(tgid, tid)?))
            })
            .collect();
        let mut live = shared.live.lock().expect("live");
        if live.epoch != epoch {
            continue;
        }
        // A task moved meanwhile may have been read where its new place put it: not counted.
        let still = |key: Tid, s: usize| live.slots.get(&key) == Some(&s);
        let cpus: Vec<(usize, usize)> = cpus
            .into_iter()
            .filter(|&(key, s, _)| still(key, s))
            .map(|(_, s, cpu)| (s, cpu))
            .collect();
        for (s, cpu) in cpus {
            let outside = masks
                .get(s)
                .and_then(Option::as_ref)
                .is_some_and(|p| !p.contains(cpu));
            if let Some(seen) = live.seen.get_mut(s) {
                seen.cpus.insert(cpu);
                seen.samples += 1;
                if outside {
                    seen.outside += 1;
                }
            }
        }
    }
}

/// One tick of exec watching. Only a root stops at its exec; every other process's command line
/// is read each tick, and one that differs from the last read (or, the first time, from its
/// creator's when it was forked) is an exec: its name is
/// read again, and in process mode a candidate now running a command that matches the helpers
/// pattern gives its slot up (rule 4 of [`super::slots`]), within a tick of its exec.
fn execs(shared: &Shared, m: &Masks, helpers: &regex::Regex) {
    let procs: Vec<Tid> = {
        let live = shared.live.lock().expect("live");
        if shared.ended.lock().expect("ended").is_some() {
            return;
        }
        live.processes()
            .into_iter()
            .filter(|&p| !live.plan.is_root(p))
            .collect()
    };
    // The /proc reads without the lock the tracing thread needs at every event.
    let lines: Vec<(Tid, String)> = procs
        .into_iter()
        .map(|p| (p, task::cmdline(p)))
        .filter(|(_, line)| !line.is_empty())
        .collect();
    let mut live = shared.live.lock().expect("live");
    for (p, line) in lines {
        // Gone meanwhile (its pid may even be another task's by now).
        if !live.tasks.contains_key(&p) || live.cmdlines.get(&p) == Some(&line) {
            continue;
        }
        let helper = helpers.is_match(&line);
        live.cmdlines.insert(p, line);
        live.acct.renamed(p);
        if m.mode == Mode::Processes {
            for mv in live.plan.exec(p, helper) {
                apply(mv, m.mode, &m.slots, &m.main, &mut live);
            }
        }
    }
}

/// One tick of the accounting: reads every live task's run time (the /proc reads without the
/// lock the tracing thread needs at every event), adds it where the task was placed, and at the
/// end of each window lets the slot rules move busy tasks into idle slots (late pins).
fn account(
    shared: &Shared,
    masks: &[Option<CpuSet>],
    apply_masks: &Masks,
    window_start: &mut Instant,
    mains: &[Tid],
) {
    let mode = apply_masks.mode;
    let tasks: Vec<(Tid, Tid, Tid, Option<usize>, bool, bool)> = {
        let live = shared.live.lock().expect("live");
        if shared.ended.lock().expect("ended").is_some() {
            return;
        }
        live.tasks
            .iter()
            .map(|(&tid, &tgid)| {
                let key = if mode == Mode::Threads { tid } else { tgid };
                let spawner = live.plan.not_a_worker_now(key);
                let main_thread = live.plan.is_main_thread_not_a_worker(key);
                (
                    tid,
                    tgid,
                    key,
                    live.slots.get(&key).copied(),
                    spawner,
                    main_thread,
                )
            })
            .collect()
    };
    let mut unreadable = Vec::new();
    let readings: Vec<Reading> = tasks
        .into_iter()
        .filter_map(|(tid, tgid, key, slot, spawner, main_thread)| {
            let mask = slot.and_then(|s| masks.get(s)).and_then(Option::as_ref);
            let r = Reading::take(tid, tgid, key, slot, mask, spawner, main_thread);
            if r.is_none() {
                unreadable.push((tid, tgid));
            }
            r
        })
        .collect();
    let mut live = shared.live.lock().expect("live");
    for r in readings {
        live.acct.add(r);
    }
    // A task gone without a death report: a thread other than the leader that exec'd took the
    // leader's id, and its own vanished (only a root stops at an exec to say so). Checked under
    // the lock: a task the tracer reaped meanwhile is gone from `tasks` or about to be, and its
    // id is no other task's while it is still listed.
    for (tid, tgid) in unreadable {
        let vanished = tid != tgid
            && live.tasks.get(&tid) == Some(&tgid)
            && !std::path::Path::new(&format!("/proc/{tgid}/task/{tid}")).exists();
        if vanished {
            live.tasks.remove(&tid);
            for mv in live.plan.exited(tid) {
                apply(mv, mode, &apply_masks.slots, &apply_masks.main, &mut live);
            }
            live.slots.remove(&tid);
        }
    }
    let elapsed = window_start.elapsed();
    if elapsed < WINDOW {
        return;
    }
    *window_start = Instant::now();
    let mut busy = live.acct.close_window(elapsed.as_nanos() as u64);
    // The main process is never a worker in process mode; its share is not a candidate's.
    busy.retain(|k, _| !mains.contains(k));
    let moves = live.plan.observed(&busy);
    for mv in moves {
        if let Place::Slot(_) = mv.to
            && let Some(born) = live.born.get(&mv.task)
        {
            let delay = born.elapsed().as_secs_f64();
            live.late_pin_delays.push(delay);
        }
        apply(mv, mode, &apply_masks.slots, &apply_masks.main, &mut live);
    }
}
