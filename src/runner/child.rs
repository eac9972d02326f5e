//! Child worker processes from the parent's side: spawning them with their descriptors and a
//! parent-death signal, reading their messages, waiting for a stage with a deadline, and
//! reaping them. A [`Brood`] kills and reaps every child when dropped, so no error path leaves
//! one behind.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::error::{RunError, Stage, WorkerError};
use super::protocol::Message;
use super::{WorkerResult, WorkerSpec, worker_exe};
use crate::affinity::{SpawnerMask, set_affinity};
use crate::clock::monotonic_ns;
use crate::cpuset::CpuSet;

pub enum Event {
    Line(String),
    Eof,
}

pub struct ChildWorker {
    pub index: usize,
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
        let mut child = cmd.spawn().map_err(|source| RunError::Spawn {
            exe: exe.to_path_buf(),
            source,
        })?;
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

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Sends the start signal.
    pub fn go(&mut self) -> Result<(), RunError> {
        let stdin = self.stdin.as_mut().expect("go is sent once");
        stdin
            .write_all(b"g")
            .and_then(|_| stdin.flush())
            .map_err(|e| RunError::worker(self.index, WorkerError::Go(e)))
    }

    /// Why the child ended, once it has.
    fn exit_reason(&mut self) -> WorkerError {
        let status = match self.child.wait() {
            Ok(s) => s,
            Err(e) => return WorkerError::Ended(format!("could not be reaped: {e}")),
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
        WorkerError::Ended(match (status.code(), status.signal()) {
            (_, Some(sig)) => format!("killed by signal {sig}{last}"),
            (Some(0), _) => format!("exited without a result{last}"),
            (Some(code), _) => format!("exited with status {code}{last}"),
            _ => format!("ended: {status}{last}"),
        })
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Kills and reaps every child when dropped, so no error path leaves one behind.
pub struct Brood(pub Vec<ChildWorker>);

impl Drop for Brood {
    fn drop(&mut self) {
        for c in &mut self.0 {
            c.kill();
        }
    }
}

impl Brood {
    /// Spawns one child per spec (with its descriptors) under an `inherited` spawner mask if
    /// one is given.
    pub fn spawn(
        specs: &[WorkerSpec],
        fds: &[Vec<OwnedFd>],
        spawner_mask: Option<&CpuSet>,
        events: &Sender<(usize, Event)>,
    ) -> Result<Brood, RunError> {
        let exe = worker_exe().map_err(RunError::WorkerExe)?;
        let guard = match spawner_mask {
            Some(mask) => Some(SpawnerMask::set(mask)?),
            None => None,
        };
        let mut brood = Brood(Vec::new());
        for (i, spec) in specs.iter().enumerate() {
            brood
                .0
                .push(ChildWorker::spawn(&exe, spec, &fds[i], events.clone())?);
        }
        if let Some(g) = guard {
            g.restore()?;
        }
        Ok(brood)
    }

    /// The `taskset -p` recipe: the parent pins each running child by pid, in order, as soon as
    /// it gets to it; returns when each pin took effect (CLOCK_MONOTONIC ns).
    pub fn pin(&self, pins: &[Option<CpuSet>]) -> Result<Vec<Option<u64>>, RunError> {
        self.0
            .iter()
            .zip(pins)
            .map(|(c, pin)| {
                let Some(set) = pin else { return Ok(None) };
                let pid = c.pid();
                set_affinity(pid, set).map_err(|source| {
                    RunError::worker(c.index, WorkerError::ParentPin { pid, source })
                })?;
                Ok(Some(monotonic_ns()))
            })
            .collect()
    }

    /// Waits until every listed worker has sent the message of `stage` (ready, or its result).
    pub fn collect(
        &mut self,
        events: &Receiver<(usize, Event)>,
        waiting: &[usize],
        deadline: Instant,
        stage: Stage,
    ) -> Result<Vec<(usize, Option<WorkerResult>)>, RunError> {
        let mut pending: Vec<usize> = waiting.to_vec();
        let mut out = Vec::new();
        while !pending.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            let (index, event) = match events.recv_timeout(left) {
                Ok(e) => e,
                Err(RecvTimeoutError::Timeout) => {
                    return Err(RunError::Timeout {
                        workers: pending,
                        stage,
                    });
                }
                Err(RecvTimeoutError::Disconnected) => return Err(RunError::LostOutput),
            };
            let pos = self
                .0
                .iter()
                .position(|c| c.index == index)
                .expect("known worker");
            let line = match event {
                // A worker that already reported may close its output before the others report.
                Event::Eof if !pending.contains(&index) => continue,
                Event::Eof => return Err(RunError::worker(index, self.0[pos].exit_reason())),
                Event::Line(line) => line,
            };
            match (
                Message::parse(&line).map_err(|e| RunError::worker(index, e))?,
                stage,
            ) {
                (Message::Ready { .. }, Stage::Ready) => {
                    pending.retain(|&p| p != index);
                    out.push((index, None));
                }
                (Message::Result { result, .. }, Stage::Report) => {
                    pending.retain(|&p| p != index);
                    out.push((index, Some(*result)));
                }
                (Message::Error { error, .. }, _) => {
                    return Err(RunError::worker(index, WorkerError::Reported(error)));
                }
                (other, _) => {
                    return Err(RunError::worker(
                        index,
                        WorkerError::OutOfTurn(format!("{other:?}")),
                    ));
                }
            }
        }
        Ok(out)
    }

    /// Sends every child the start signal.
    pub fn go(&mut self) -> Result<(), RunError> {
        self.0.iter_mut().try_for_each(ChildWorker::go)
    }

    /// Waits for every child to exit; one that exits unsuccessfully fails the scenario.
    pub fn reap(mut self) -> Result<(), RunError> {
        for c in &mut self.0 {
            let status = c.child.wait().map_err(RunError::Reap)?;
            if !status.success() {
                let worker = c.index;
                let reason = c.exit_reason();
                return Err(RunError::worker(worker, reason));
            }
        }
        self.0.clear();
        Ok(())
    }
}

/// How long a spawned worker may take to say it is ready.
pub const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// Grace after the scenario's duration before a silent worker is declared hung: 10 s, or
/// `PINBENCH_RESULT_GRACE_MS` (the fault tests shorten it).
pub fn result_grace() -> Duration {
    std::env::var("PINBENCH_RESULT_GRACE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::from_secs(10), Duration::from_millis)
}
