//! Process workers: children of the pinbench binary (the hidden `__worker` subcommand), the way
//! Python's multiprocessing spawns them. They say when they are ready, start together on a
//! signal from the parent, and report one typed, versioned JSON line each. A worker that dies,
//! sends garbage or misses its deadline fails the scenario with the reason; the others are
//! killed and every child is reaped.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::worker::run_worker;
use super::{PinBy, Recycle, RunError, Scenario, WorkerResult, WorkerSpec, spec_for, worker_exe};
use crate::affinity::{SpawnerMask, set_affinity};
use crate::cpuset::CpuSet;
use crate::plan::Placement;
use crate::workload::Workload;
use crate::workload::ipc::channels_for;

/// Version of the parent-worker protocol.
pub const PROTOCOL_VERSION: u32 = 1;
/// How long a spawned worker may take to say it is ready.
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// Grace after the scenario's duration before a silent worker is declared hung: 10 s, or
/// `PINBENCH_RESULT_GRACE_MS` (the fault tests shorten it).
fn result_grace() -> Duration {
    std::env::var("PINBENCH_RESULT_GRACE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::from_secs(10), Duration::from_millis)
}

/// One line from a worker to its parent.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "msg", rename_all = "lowercase")]
enum Message {
    Ready { v: u32 },
    Result { v: u32, result: Box<WorkerResult> },
    Error { v: u32, error: String },
}

enum Event {
    Line(String),
    Eof,
}

struct ChildWorker {
    index: usize,
    child: Child,
    stdin: Option<ChildStdin>,
    stderr: Arc<Mutex<String>>,
}

impl ChildWorker {
    fn spawn(
        exe: &std::path::Path,
        spec: &WorkerSpec,
        fds: &[OwnedFd],
        events: Sender<(usize, Event)>,
    ) -> Result<Self, RunError> {
        let raw: Vec<RawFd> = fds.iter().map(|f| f.as_raw_fd()).collect();
        let spec_json = serde_json::to_string(spec).expect("spec serialises");
        let mut cmd = Command::new(exe);
        cmd.arg("__worker")
            .arg("--spec")
            .arg(spec_json)
            .arg("--parent")
            .arg(std::process::id().to_string())
            .arg("--fds")
            .arg(
                raw.iter()
                    .map(|f| f.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let keep = raw.clone();
        // SAFETY: runs in the forked child before exec and calls only async-signal-safe
        // functions (fcntl, prctl) on descriptors the parent owns and keeps open until spawn
        // returns.
        unsafe {
            cmd.pre_exec(move || {
                for fd in &keep {
                    if libc::fcntl(*fd, libc::F_SETFD, 0) == -1 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| RunError::Setup(format!("spawning {}: {e}", exe.display())))?;
        let index = spec.worker;
        let stdout = child.stdout.take().expect("piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                match line {
                    Ok(l) => {
                        if events.send((index, Event::Line(l))).is_err() {
                            return;
                        }
                    }
                    Err(_) => break,
                }
            }
            let _ = events.send((index, Event::Eof));
        });
        let stderr_text = Arc::new(Mutex::new(String::new()));
        let sink = stderr_text.clone();
        let mut stderr = child.stderr.take().expect("piped");
        std::thread::spawn(move || {
            let mut buf = String::new();
            let _ = stderr.read_to_string(&mut buf);
            *sink.lock().expect("not poisoned") = buf;
        });
        Ok(Self {
            index,
            stdin: child.stdin.take(),
            child,
            stderr: stderr_text,
        })
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    fn go(&mut self) -> Result<(), RunError> {
        let stdin = self.stdin.as_mut().expect("go is sent once");
        stdin
            .write_all(b"g")
            .and_then(|_| stdin.flush())
            .map_err(|e| RunError::Worker {
                worker: self.index,
                reason: format!("could not send the start signal: {e}"),
            })
    }

    /// Why the child ended, once it has.
    fn exit_reason(&mut self) -> String {
        let status = match self.child.wait() {
            Ok(s) => s,
            Err(e) => return format!("could not be reaped: {e}"),
        };
        // Give the stderr reader a moment to finish.
        std::thread::sleep(Duration::from_millis(20));
        let stderr = self.stderr.lock().expect("not poisoned").clone();
        let lines: Vec<&str> = stderr.lines().map(str::trim).collect();
        // A panic names its message on the line after `panicked at`; otherwise the last line
        // that is not a hint says most.
        let last = match lines.iter().position(|l| l.contains("panicked at")) {
            Some(i) => lines
                .get(i + 1)
                .map(|m| format!(" (panicked: {m})"))
                .unwrap_or_default(),
            None => lines
                .iter()
                .rev()
                .find(|l| !l.is_empty() && !l.starts_with("note:"))
                .map(|l| format!(" ({l})"))
                .unwrap_or_default(),
        };
        match (status.code(), status.signal()) {
            (_, Some(sig)) => format!("killed by signal {sig}{last}"),
            (Some(0), _) => format!("exited without a result{last}"),
            (Some(code), _) => format!("exited with status {code}{last}"),
            _ => format!("ended: {status}{last}"),
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Kills and reaps every child when dropped, so no error path leaves one behind.
struct Brood(Vec<ChildWorker>);

impl Drop for Brood {
    fn drop(&mut self) {
        for c in &mut self.0 {
            c.kill();
        }
    }
}

fn parse(index: usize, line: &str) -> Result<Message, RunError> {
    let msg: Message = serde_json::from_str(line).map_err(|_| RunError::Worker {
        worker: index,
        reason: format!(
            "sent garbage instead of a protocol message: {:?}",
            line.chars().take(80).collect::<String>()
        ),
    })?;
    let v = match &msg {
        Message::Ready { v } | Message::Result { v, .. } | Message::Error { v, .. } => *v,
    };
    if v != PROTOCOL_VERSION {
        return Err(RunError::Worker {
            worker: index,
            reason: format!("speaks protocol {v}, this pinbench speaks {PROTOCOL_VERSION}"),
        });
    }
    Ok(msg)
}

/// Waits until every listed worker has sent a message of the wanted kind.
fn collect(
    brood: &mut Brood,
    events: &Receiver<(usize, Event)>,
    waiting: &[usize],
    deadline: Instant,
    want_ready: bool,
) -> Result<Vec<(usize, Option<WorkerResult>)>, RunError> {
    let mut pending: Vec<usize> = waiting.to_vec();
    let mut out = Vec::new();
    while !pending.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        let (index, event) = match events.recv_timeout(left) {
            Ok(e) => e,
            Err(RecvTimeoutError::Timeout) => {
                return Err(RunError::Timeout(format!(
                    "worker(s) {} did not {} in time; killed",
                    pending
                        .iter()
                        .map(|i| i.to_string())
                        .collect::<Vec<_>>()
                        .join(","),
                    if want_ready { "get ready" } else { "report" }
                )));
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(RunError::Setup("lost every worker's output".into()));
            }
        };
        let pos = brood
            .0
            .iter()
            .position(|c| c.index == index)
            .expect("known worker");
        match event {
            // A worker that already reported may close its output before the others report.
            Event::Eof if !pending.contains(&index) => {}
            Event::Eof => {
                let reason = brood.0[pos].exit_reason();
                return Err(RunError::Worker {
                    worker: index,
                    reason,
                });
            }
            Event::Line(line) => match parse(index, &line)? {
                Message::Ready { .. } if want_ready => {
                    pending.retain(|&p| p != index);
                    out.push((index, None));
                }
                Message::Result { result, .. } if !want_ready => {
                    pending.retain(|&p| p != index);
                    out.push((index, Some(*result)));
                }
                Message::Error { error, .. } => {
                    return Err(RunError::Worker {
                        worker: index,
                        reason: error,
                    });
                }
                other => {
                    return Err(RunError::Worker {
                        worker: index,
                        reason: format!("sent {other:?} out of turn"),
                    });
                }
            },
        }
    }
    Ok(out)
}

/// Spawns workers `indexes` (with their specs and descriptors), applying `by=parent` pins and an
/// `inherited` spawner mask as the placement says.
fn spawn_all(
    specs: &[WorkerSpec],
    fds: &[Vec<OwnedFd>],
    parent_pins: &[Option<CpuSet>],
    spawner_mask: Option<&CpuSet>,
    events: &Sender<(usize, Event)>,
) -> Result<Brood, RunError> {
    let exe = worker_exe().map_err(RunError::Setup)?;
    let guard = match spawner_mask {
        Some(mask) => Some(SpawnerMask::set(mask).map_err(|e| RunError::Setup(e.to_string()))?),
        None => None,
    };
    let mut brood = Brood(Vec::new());
    for (i, spec) in specs.iter().enumerate() {
        let child = ChildWorker::spawn(&exe, spec, &fds[i], events.clone())?;
        let pid = child.pid();
        brood.0.push(child);
        if let Some(set) = &parent_pins[i] {
            set_affinity(pid, set).map_err(|e| RunError::Worker {
                worker: spec.worker,
                reason: format!("pinning pid {pid} from the parent: {e}"),
            })?;
        }
    }
    if let Some(g) = guard {
        g.restore().map_err(|e| RunError::Setup(e.to_string()))?;
    }
    Ok(brood)
}

fn reap(mut brood: Brood) -> Result<(), RunError> {
    for c in &mut brood.0 {
        let status = c
            .child
            .wait()
            .map_err(|e| RunError::Setup(format!("reaping: {e}")))?;
        if !status.success() {
            let worker = c.index;
            let reason = c.exit_reason();
            return Err(RunError::Worker { worker, reason });
        }
    }
    brood.0.clear();
    Ok(())
}

pub fn run(scenario: &Scenario, placement: &Placement) -> Result<Vec<WorkerResult>, RunError> {
    let n = scenario.workers;
    let fds = channels_for(&scenario.workload, n).map_err(|e| RunError::Setup(e.to_string()))?;
    let self_pin = scenario.pin_by == PinBy::SelfPin;
    let specs: Vec<WorkerSpec> = (0..n)
        .map(|i| spec_for(scenario, placement, i, self_pin))
        .collect();
    let parent_pins: Vec<Option<CpuSet>> = placement
        .workers
        .iter()
        .map(|w| {
            (!self_pin && placement.pins_workers())
                .then(|| w.cpus.clone())
                .flatten()
        })
        .collect();
    let (tx, rx) = channel();
    let mut brood = spawn_all(
        &specs,
        &fds,
        &parent_pins,
        placement.spawner_mask.as_ref(),
        &tx,
    )?;
    // The children hold their ends now; the parent's copies would keep pipes from closing.
    drop(fds);
    drop(tx);
    let all: Vec<usize> = (0..n).collect();
    collect(&mut brood, &rx, &all, Instant::now() + READY_TIMEOUT, true)?;
    for c in &mut brood.0 {
        c.go()?;
    }
    let deadline = Instant::now() + scenario.duration + result_grace();
    let mut results = collect(&mut brood, &rx, &all, deadline, false)?;
    reap(brood)?;
    results.sort_by_key(|(i, _)| *i);
    Ok(results.into_iter().filter_map(|(_, r)| r).collect())
}

/// A pool whose worker processes exit after `tasks_per_worker` tasks and are replaced, until
/// the scenario's duration is used up. Each slot's generations are summed into one result.
pub fn run_pool(
    scenario: &Scenario,
    placement: &Placement,
    recycle: Recycle,
) -> Result<Vec<WorkerResult>, RunError> {
    if matches!(scenario.workload, Workload::Ipc(_)) {
        return Err(RunError::Setup(
            "--recycle runs independent tasks: use the cpu or cache workload".into(),
        ));
    }
    if recycle.tasks_per_worker == 0 || recycle.task_ms == 0 {
        return Err(RunError::Setup(
            "--recycle needs at least one task of at least 1 ms".into(),
        ));
    }
    let self_pin = scenario.pin_by == PinBy::SelfPin;
    let generation_ms = recycle.task_ms * u64::from(recycle.tasks_per_worker);
    let end = Instant::now() + scenario.duration;
    let slots: Vec<Result<WorkerResult, RunError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..scenario.workers)
            .map(|i| {
                s.spawn(move || {
                    let mut total: Option<WorkerResult> = None;
                    let mut generation = 0u32;
                    while generation == 0 || Instant::now() < end {
                        let repin = generation == 0 || recycle.repin;
                        let mut spec = spec_for(scenario, placement, i, self_pin && repin);
                        spec.duration_ms = generation_ms;
                        spec.allow_unpinned = !repin || scenario.allow_mismatch;
                        let pin = (!self_pin && repin && placement.pins_workers())
                            .then(|| placement.workers[i].cpus.clone())
                            .flatten();
                        let (tx, rx) = channel();
                        let mut brood = spawn_all(&[spec], &[Vec::new()], &[pin], None, &tx)?;
                        drop(tx);
                        collect(&mut brood, &rx, &[i], Instant::now() + READY_TIMEOUT, true)?;
                        brood.0[0].go()?;
                        let deadline =
                            Instant::now() + Duration::from_millis(generation_ms) + result_grace();
                        let mut r = collect(&mut brood, &rx, &[i], deadline, false)?;
                        reap(brood)?;
                        let r = r.pop().and_then(|(_, r)| r).expect("one result");
                        total = Some(match total {
                            None => r,
                            Some(t) => merge(t, r),
                        });
                        generation += 1;
                    }
                    let mut t = total.expect("at least one generation");
                    t.generations = Some(generation);
                    Ok(t)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(RunError::Setup("a pool slot panicked".into())))
            })
            .collect()
    });
    slots.into_iter().collect()
}

fn merge(a: WorkerResult, b: WorkerResult) -> WorkerResult {
    let add = |x: Option<u64>, y: Option<u64>| Some(x? + y?);
    let addf = |x: Option<f64>, y: Option<f64>| Some(x? + y?);
    let ops = a.ops + b.ops;
    let seconds = a.seconds + b.seconds;
    WorkerResult {
        pid: b.pid,
        tid: b.tid,
        cpus_readback: a.cpus_readback.union(&b.cpus_readback),
        cpus_seen: a.cpus_seen.union(&b.cpus_seen),
        cpu_samples: a.cpu_samples + b.cpu_samples,
        samples_outside_plan: a.samples_outside_plan + b.samples_outside_plan,
        ops,
        seconds,
        throughput_ops_s: if seconds > 0.0 {
            ops as f64 / seconds
        } else {
            0.0
        },
        start_ns: a.start_ns,
        end_ns: b.end_ns,
        counts: crate::metrics::Counts {
            migrations: add(a.counts.migrations, b.counts.migrations),
            migrations_source: a.counts.migrations_source,
            migrations_procfs_check: add(
                a.counts.migrations_procfs_check,
                b.counts.migrations_procfs_check,
            ),
            voluntary_switches: add(a.counts.voluntary_switches, b.counts.voluntary_switches),
            involuntary_switches: add(a.counts.involuntary_switches, b.counts.involuntary_switches),
            switches_source: a.counts.switches_source,
            user_seconds: addf(a.counts.user_seconds, b.counts.user_seconds),
            system_seconds: addf(a.counts.system_seconds, b.counts.system_seconds),
        },
        ..a
    }
}

/// The hidden `__worker` subcommand: runs one worker and reports to the parent on stdout.
/// Returns the process exit status.
pub fn worker_main(spec_json: &str, parent: i32, fds: &str) -> i32 {
    let out = std::io::stdout();
    let send = |msg: &Message| {
        let mut lock = out.lock();
        let _ = writeln!(lock, "{}", serde_json::to_string(msg).expect("serialises"));
        let _ = lock.flush();
    };
    // The parent-death signal was set before exec; if the parent died before that, stop now.
    if nix::unistd::getppid().as_raw() != parent {
        return 3;
    }
    let spec: WorkerSpec = match serde_json::from_str(spec_json) {
        Ok(s) => s,
        Err(e) => {
            send(&Message::Error {
                v: PROTOCOL_VERSION,
                error: format!("bad worker spec: {e}"),
            });
            return 2;
        }
    };
    let mut owned = Vec::new();
    for part in fds.split(',').filter(|p| !p.is_empty()) {
        let Ok(fd) = part.parse::<RawFd>() else {
            send(&Message::Error {
                v: PROTOCOL_VERSION,
                error: format!("bad descriptor list `{fds}`"),
            });
            return 2;
        };
        // SAFETY: the parent opened this descriptor for this worker alone and cleared its
        // close-on-exec flag; nothing else in this process owns it.
        owned.push(unsafe { OwnedFd::from_raw_fd(fd) });
    }
    let result = run_worker(&spec, owned, None, || {
        send(&Message::Ready {
            v: PROTOCOL_VERSION,
        });
        let mut go = [0u8; 1];
        match std::io::stdin().read_exact(&mut go) {
            Ok(()) => {
                fault_injection(&spec);
                Ok(())
            }
            Err(e) => Err(format!("no start signal from the parent: {e}")),
        }
    });
    match result {
        Ok(r) => {
            send(&Message::Result {
                v: PROTOCOL_VERSION,
                result: Box::new(r),
            });
            0
        }
        Err(error) => {
            send(&Message::Error {
                v: PROTOCOL_VERSION,
                error,
            });
            1
        }
    }
}

/// Test-only faults, chosen by `PINBENCH_FAULT=<kind>[:<worker>]`: `exit`, `panic`, `hang`,
/// `garbage`, `abort`, and `unpin` (the worker's mask is widened behind the plan's back, as a
/// stray `taskset -p` would). Used by the fault tests; inert unless the variable is set.
fn fault_injection(spec: &WorkerSpec) {
    let Ok(v) = std::env::var("PINBENCH_FAULT") else {
        return;
    };
    let (kind, who) = v.split_once(':').unwrap_or((v.as_str(), "0"));
    if who.parse::<usize>().ok() != Some(spec.worker) {
        return;
    }
    match kind {
        "exit" => std::process::exit(7),
        "panic" => panic!("injected fault"),
        "hang" => loop {
            std::thread::sleep(Duration::from_secs(1));
        },
        "garbage" => {
            println!("this is not json");
        }
        "abort" => std::process::abort(),
        "unpin" => {
            if let Ok(all) = crate::affinity::startup_allowed() {
                let _ = crate::affinity::pin_current_thread(&all);
            }
        }
        _ => {}
    }
}
