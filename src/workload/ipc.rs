//! IPC workloads: the transports through which workers talk, the channels the spawner creates
//! for them (plain file descriptors, so threads and child processes use the very same code), and
//! each role's loop.
//!
//! - `pipe`: one-byte ping-pong over two pipes (`perf bench sched pipe`);
//! - `socket`: the same over a Unix socketpair;
//! - `shm`: cache-line ping-pong through an atomic in a shared mapping (core-to-core-latency);
//! - `queue`: producers send 64-byte messages down one pipe to one consumer
//!   (`multiprocessing.Queue`);
//! - `server`: clients send requests to one server worker over their own sockets and wait for
//!   each reply (`multiprocessing.Manager`).

use std::fmt;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::ptr::NonNull;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::WorkloadError;
use crate::metrics::CpuSampler;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IpcKind {
    Pipe,
    Socket,
    Shm,
    Queue,
    Server,
}

impl IpcKind {
    pub const ALL: [IpcKind; 5] = [
        IpcKind::Pipe,
        IpcKind::Socket,
        IpcKind::Shm,
        IpcKind::Queue,
        IpcKind::Server,
    ];

    pub fn validate(&self, workers: usize, name: &str) -> Result<(), WorkloadError> {
        match self {
            IpcKind::Pipe | IpcKind::Socket | IpcKind::Shm => {
                if !workers.is_multiple_of(2) {
                    return Err(WorkloadError::OddWorkers {
                        workload: name.into(),
                        workers,
                    });
                }
            }
            IpcKind::Queue | IpcKind::Server => {
                if workers < 2 {
                    return Err(WorkloadError::TooFewWorkers {
                        workload: name.into(),
                        role: if *self == IpcKind::Queue {
                            "consumer"
                        } else {
                            "server"
                        },
                        workers,
                    });
                }
            }
        }
        Ok(())
    }

    /// Whether worker `i`'s count is a result of the scenario (initiators, the consumer,
    /// clients), as opposed to a helper's echo count.
    pub fn is_primary(&self, worker: usize) -> bool {
        match self {
            IpcKind::Pipe | IpcKind::Socket | IpcKind::Shm => worker.is_multiple_of(2),
            IpcKind::Queue => worker == 0,
            IpcKind::Server => worker != 0,
        }
    }
}

impl fmt::Display for IpcKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IpcKind::Pipe => "pipe",
            IpcKind::Socket => "socket",
            IpcKind::Shm => "shm",
            IpcKind::Queue => "queue",
            IpcKind::Server => "server",
        })
    }
}

impl FromStr for IpcKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        IpcKind::ALL
            .into_iter()
            .find(|k| k.to_string() == s)
            .ok_or(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IpcError {
    #[error("creating {what}: {source}")]
    Setup {
        what: &'static str,
        #[source]
        source: nix::Error,
    },
    #[error("worker {worker}: expected {expected} channel descriptors, got {got}")]
    Fds {
        worker: usize,
        expected: usize,
        got: usize,
    },
    #[error("worker {worker}: {what}: {source}")]
    Io {
        worker: usize,
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("worker {worker}: the peer closed its end before the run ended")]
    PeerGone { worker: usize },
}

/// The descriptors each worker needs, created by the spawner before any worker starts.
pub fn create_channels(kind: IpcKind, workers: usize) -> Result<Vec<Vec<OwnedFd>>, IpcError> {
    use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};
    let cloexec = nix::fcntl::OFlag::O_CLOEXEC;
    let pipe = || {
        nix::unistd::pipe2(cloexec).map_err(|source| IpcError::Setup {
            what: "a pipe",
            source,
        })
    };
    let sockets = || {
        socketpair(
            AddressFamily::Unix,
            SockType::Stream,
            None,
            SockFlag::SOCK_CLOEXEC,
        )
        .map_err(|source| IpcError::Setup {
            what: "a socketpair",
            source,
        })
    };
    let mut out: Vec<Vec<OwnedFd>> = (0..workers).map(|_| Vec::new()).collect();
    match kind {
        IpcKind::Pipe => {
            for pair in 0..workers / 2 {
                let (a_r, a_w) = pipe()?;
                let (b_r, b_w) = pipe()?;
                out[2 * pair] = vec![a_w, b_r];
                out[2 * pair + 1] = vec![a_r, b_w];
            }
        }
        IpcKind::Socket => {
            for pair in 0..workers / 2 {
                let (a, b) = sockets()?;
                out[2 * pair] = vec![a];
                out[2 * pair + 1] = vec![b];
            }
        }
        IpcKind::Shm => {
            for pair in 0..workers / 2 {
                let fd = nix::sys::memfd::memfd_create(
                    c"pinbench-shm",
                    nix::sys::memfd::MFdFlags::MFD_CLOEXEC,
                )
                .map_err(|source| IpcError::Setup {
                    what: "a memfd",
                    source,
                })?;
                nix::unistd::ftruncate(&fd, 4096).map_err(|source| IpcError::Setup {
                    what: "the shared page",
                    source,
                })?;
                let twin = fd.try_clone().map_err(|e| IpcError::Setup {
                    what: "a memfd twin",
                    source: nix::Error::from_raw(e.raw_os_error().unwrap_or(0)),
                })?;
                out[2 * pair] = vec![fd];
                out[2 * pair + 1] = vec![twin];
            }
        }
        IpcKind::Queue => {
            let (r, w) = pipe()?;
            for slot in out.iter_mut().skip(1) {
                slot.push(w.try_clone().map_err(|e| IpcError::Setup {
                    what: "a queue writer",
                    source: nix::Error::from_raw(e.raw_os_error().unwrap_or(0)),
                })?);
            }
            out[0] = vec![r];
        }
        IpcKind::Server => {
            for client in 1..workers {
                let (server_end, client_end) = sockets()?;
                out[0].push(server_end);
                out[client] = vec![client_end];
            }
        }
    }
    Ok(out)
}

/// Each worker's descriptors for a workload: the IPC channels, or none for solo workloads.
pub fn channels_for(
    workload: &super::Workload,
    workers: usize,
) -> Result<Vec<Vec<OwnedFd>>, IpcError> {
    match workload {
        super::Workload::Ipc(kind) => create_channels(*kind, workers),
        _ => Ok((0..workers).map(|_| Vec::new()).collect()),
    }
}

/// Keeps time for a loop without calling the clock on every iteration.
pub struct Clock {
    start: Instant,
    duration: Duration,
}

impl Clock {
    pub fn start(duration: Duration) -> Self {
        Self {
            start: Instant::now(),
            duration,
        }
    }

    #[inline]
    pub fn done(&self) -> bool {
        self.start.elapsed() >= self.duration
    }

    pub fn seconds(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
}

const STOP: u8 = 0xff;
const MSG: usize = 64;

/// One worker's end of an IPC workload, ready to run.
pub struct IpcRole {
    kind: IpcKind,
    worker: usize,
    files: Vec<File>,
    shm: Option<SharedLine>,
    /// Producers feeding the queue (consumer only).
    producers: usize,
}

/// The ping-pong cache line of a thread pair: an atomic alone on its (padded) line of the
/// process's heap, as core-to-core-latency keeps it.
#[repr(C, align(128))]
#[derive(Default)]
pub struct PaddedLine(pub AtomicU64);

/// Heap lines for thread workers of `workload`: one per `shm` pair, shared by its two ends.
pub fn heap_lines(
    workload: &super::Workload,
    workers: usize,
) -> Vec<Option<std::sync::Arc<PaddedLine>>> {
    match workload {
        super::Workload::Ipc(IpcKind::Shm) => (0..workers / 2)
            .flat_map(|_| {
                let line = std::sync::Arc::new(PaddedLine::default());
                [Some(line.clone()), Some(line)]
            })
            .collect(),
        _ => (0..workers).map(|_| None).collect(),
    }
}

/// Where a pair's cache line lives: a page shared between processes, or the heap of one
/// process whose threads share it.
enum SharedLine {
    Mapped(NonNull<std::ffi::c_void>),
    Heap(std::sync::Arc<PaddedLine>),
}

// SAFETY: the mapping is only accessed through `AtomicU64`, which is Sync.
unsafe impl Send for SharedLine {}

impl SharedLine {
    fn map(fd: &OwnedFd) -> Result<Self, nix::Error> {
        use nix::sys::mman::{MapFlags, ProtFlags, mmap};
        // SAFETY: a fresh 4096-byte shared mapping of a memfd of that size; nothing else in
        // this process aliases it, and it is unmapped on drop.
        let ptr = unsafe {
            mmap(
                None,
                std::num::NonZeroUsize::new(4096).expect("non-zero"),
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_SHARED,
                fd.as_fd(),
                0,
            )?
        };
        Ok(Self::Mapped(ptr))
    }

    fn atomic(&self) -> &AtomicU64 {
        match self {
            // SAFETY: the mapping is page-aligned, 4096 bytes long and lives as long as
            // `self`; AtomicU64 has the alignment and size of u64.
            SharedLine::Mapped(ptr) => unsafe { &*(ptr.as_ptr() as *const AtomicU64) },
            SharedLine::Heap(line) => &line.0,
        }
    }
}

impl Drop for SharedLine {
    fn drop(&mut self) {
        if let SharedLine::Mapped(ptr) = self {
            // SAFETY: `ptr` came from mmap of 4096 bytes and no reference outlives `self`.
            let _ = unsafe { nix::sys::mman::munmap(*ptr, 4096) };
        }
    }
}

impl IpcRole {
    /// Takes the worker's descriptors (from [`create_channels`]), or for `shm` thread pairs
    /// its heap line (from [`heap_lines`]), and checks them.
    pub fn new(
        kind: IpcKind,
        worker: usize,
        workers: usize,
        fds: Vec<OwnedFd>,
        heap: Option<std::sync::Arc<PaddedLine>>,
    ) -> Result<Self, IpcError> {
        let expected = match kind {
            IpcKind::Pipe => 2,
            IpcKind::Server if worker == 0 => workers - 1,
            IpcKind::Shm if heap.is_some() => 0,
            _ => 1,
        };
        if fds.len() != expected {
            return Err(IpcError::Fds {
                worker,
                expected,
                got: fds.len(),
            });
        }
        let shm = match (kind, heap) {
            (IpcKind::Shm, Some(line)) => Some(SharedLine::Heap(line)),
            (IpcKind::Shm, None) => Some(SharedLine::map(&fds[0]).map_err(|e| IpcError::Io {
                worker,
                what: "mapping the shared line",
                source: e.into(),
            })?),
            _ => None,
        };
        Ok(Self {
            kind,
            worker,
            files: fds.into_iter().map(File::from).collect(),
            shm,
            producers: workers.saturating_sub(1),
        })
    }

    fn io(&self, what: &'static str) -> impl Fn(std::io::Error) -> IpcError + '_ {
        move |source| {
            if source.kind() == std::io::ErrorKind::UnexpectedEof {
                IpcError::PeerGone {
                    worker: self.worker,
                }
            } else {
                IpcError::Io {
                    worker: self.worker,
                    what,
                    source,
                }
            }
        }
    }

    /// Runs the role for `duration` (primaries decide when to stop; helpers follow) and
    /// returns the operations it counted and the seconds it ran.
    pub fn run(
        &mut self,
        duration: Duration,
        sampler: &mut CpuSampler,
    ) -> Result<(u64, f64), IpcError> {
        let primary = self.kind.is_primary(self.worker);
        match (self.kind, primary) {
            (IpcKind::Pipe, true) => self.ping(duration, sampler, 0, 1),
            (IpcKind::Socket, true) => self.ping(duration, sampler, 0, 0),
            (IpcKind::Pipe, false) => self.echo(sampler, 0, 1),
            (IpcKind::Socket, false) => self.echo(sampler, 0, 0),
            (IpcKind::Shm, true) => Ok(self.shm_ping(duration, sampler)),
            (IpcKind::Shm, false) => Ok(self.shm_echo(sampler)),
            (IpcKind::Queue, true) => self.consume(sampler),
            (IpcKind::Queue, false) => self.produce(duration, sampler),
            (IpcKind::Server, true) => self.request(duration, sampler),
            (IpcKind::Server, false) => self.serve(sampler),
        }
    }

    fn ping(
        &mut self,
        duration: Duration,
        sampler: &mut CpuSampler,
        tx: usize,
        rx: usize,
    ) -> Result<(u64, f64), IpcError> {
        let clock = Clock::start(duration);
        let mut ops = 0u64;
        let mut byte = [0u8; 1];
        loop {
            if ops.is_multiple_of(16) {
                sampler.sample();
                if clock.done() {
                    break;
                }
            }
            self.files[tx].write_all(&[1]).map_err(self.io("writing"))?;
            self.files[rx]
                .read_exact(&mut byte)
                .map_err(self.io("reading"))?;
            ops += 1;
        }
        let seconds = clock.seconds();
        self.files[tx]
            .write_all(&[STOP])
            .map_err(self.io("writing"))?;
        self.files[rx]
            .read_exact(&mut byte)
            .map_err(self.io("reading"))?;
        Ok((ops, seconds))
    }

    fn echo(
        &mut self,
        sampler: &mut CpuSampler,
        rx: usize,
        tx: usize,
    ) -> Result<(u64, f64), IpcError> {
        let clock = Clock::start(Duration::ZERO);
        let mut ops = 0u64;
        let mut byte = [0u8; 1];
        loop {
            self.files[rx]
                .read_exact(&mut byte)
                .map_err(self.io("reading"))?;
            self.files[tx]
                .write_all(&byte)
                .map_err(self.io("writing"))?;
            if byte[0] == STOP {
                break;
            }
            ops += 1;
            if ops.is_multiple_of(16) {
                sampler.sample();
            }
        }
        Ok((ops, clock.seconds()))
    }

    /// The core-to-core-latency CAS pattern: the initiator moves the line from `2k` to
    /// `2k + 1`, the responder from `2k + 1` to `2k + 2`; each side spins on
    /// `compare_exchange` until the other has moved, so every step transfers the cache line.
    fn shm_ping(&mut self, duration: Duration, sampler: &mut CpuSampler) -> (u64, f64) {
        let line = self.shm.as_ref().expect("shm role has its line").atomic();
        let clock = Clock::start(duration);
        let mut ops = 0u64;
        loop {
            if ops.is_multiple_of(64) {
                sampler.sample();
                if clock.done() {
                    break;
                }
            }
            cas_spin(line, 2 * ops, 2 * ops + 1);
            ops += 1;
        }
        // The last round trip completes when the responder hands the line back; then stop it.
        cas_spin(line, 2 * ops, u64::MAX);
        (ops, clock.seconds())
    }

    fn shm_echo(&mut self, sampler: &mut CpuSampler) -> (u64, f64) {
        let line = self.shm.as_ref().expect("shm role has its line").atomic();
        let clock = Clock::start(Duration::ZERO);
        let mut ops = 0u64;
        loop {
            let want = 2 * ops + 1;
            if cas_spin_or_stop(line, want, want + 1).is_none() {
                break;
            }
            ops += 1;
            if ops.is_multiple_of(64) {
                sampler.sample();
            }
        }
        (ops, clock.seconds())
    }

    fn produce(
        &mut self,
        duration: Duration,
        sampler: &mut CpuSampler,
    ) -> Result<(u64, f64), IpcError> {
        let clock = Clock::start(duration);
        let mut ops = 0u64;
        let mut msg = [0u8; MSG];
        msg[1..9].copy_from_slice(&(self.worker as u64).to_le_bytes());
        loop {
            if ops.is_multiple_of(16) {
                sampler.sample();
                if clock.done() {
                    break;
                }
            }
            // Writes of at most PIPE_BUF bytes are atomic: messages never interleave.
            self.files[0].write_all(&msg).map_err(self.io("sending"))?;
            ops += 1;
        }
        let seconds = clock.seconds();
        msg[0] = STOP;
        self.files[0].write_all(&msg).map_err(self.io("sending"))?;
        Ok((ops, seconds))
    }

    fn consume(&mut self, sampler: &mut CpuSampler) -> Result<(u64, f64), IpcError> {
        let clock = Clock::start(Duration::ZERO);
        let mut ops = 0u64;
        let mut stops = 0usize;
        let mut buf = vec![0u8; MSG * 256];
        let mut pending = 0usize; // bytes of a partial message at the start of buf
        let producers = self.producers;
        while stops < producers {
            let n = self.files[0]
                .read(&mut buf[pending..])
                .map_err(self.io("receiving"))?;
            if n == 0 {
                return Err(IpcError::PeerGone {
                    worker: self.worker,
                });
            }
            let total = pending + n;
            let whole = total / MSG;
            for m in 0..whole {
                if buf[m * MSG] == STOP {
                    stops += 1;
                } else {
                    ops += 1;
                }
            }
            pending = total % MSG;
            buf.copy_within(whole * MSG..total, 0);
            sampler.sample();
        }
        Ok((ops, clock.seconds()))
    }

    fn request(
        &mut self,
        duration: Duration,
        sampler: &mut CpuSampler,
    ) -> Result<(u64, f64), IpcError> {
        let clock = Clock::start(duration);
        let mut ops = 0u64;
        let mut reply = [0u8; 8];
        loop {
            if ops.is_multiple_of(16) {
                sampler.sample();
                if clock.done() {
                    break;
                }
            }
            self.files[0]
                .write_all(&ops.to_le_bytes())
                .map_err(self.io("requesting"))?;
            self.files[0]
                .read_exact(&mut reply)
                .map_err(self.io("awaiting a reply"))?;
            ops += 1;
        }
        let seconds = clock.seconds();
        self.files[0]
            .write_all(&u64::MAX.to_le_bytes())
            .map_err(self.io("requesting"))?;
        Ok((ops, seconds))
    }

    fn serve(&mut self, sampler: &mut CpuSampler) -> Result<(u64, f64), IpcError> {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        let clock = Clock::start(Duration::ZERO);
        let mut ops = 0u64;
        let mut open: Vec<bool> = vec![true; self.files.len()];
        let mut request = [0u8; 8];
        while open.iter().any(|o| *o) {
            let ready: Vec<usize> = {
                let mut fds: Vec<PollFd> = self
                    .files
                    .iter()
                    .map(|f| PollFd::new(f.as_fd(), PollFlags::POLLIN))
                    .collect();
                poll(&mut fds, PollTimeout::NONE).map_err(|e| IpcError::Io {
                    worker: self.worker,
                    what: "polling clients",
                    source: e.into(),
                })?;
                fds.iter()
                    .enumerate()
                    .filter(|(i, f)| open[*i] && f.any().unwrap_or(false))
                    .map(|(i, _)| i)
                    .collect()
            };
            for i in ready {
                self.files[i]
                    .read_exact(&mut request)
                    .map_err(self.io("reading a request"))?;
                let value = u64::from_le_bytes(request);
                if value == u64::MAX {
                    open[i] = false;
                    continue;
                }
                self.files[i]
                    .write_all(&value.wrapping_add(1).to_le_bytes())
                    .map_err(self.io("replying"))?;
                ops += 1;
            }
            sampler.sample();
        }
        Ok((ops, clock.seconds()))
    }
}

/// Spins on `compare_exchange(from, to)` until it succeeds.
#[inline]
fn cas_spin(line: &AtomicU64, from: u64, to: u64) {
    let mut spins = 0u32;
    while line
        .compare_exchange(from, to, Ordering::AcqRel, Ordering::Relaxed)
        .is_err()
    {
        // Hammer the line as core-to-core-latency does (no pause between attempts), but
        // yield now and then so two ends sharing one CPU still make progress.
        spins += 1;
        if spins.is_multiple_of(4096) {
            std::thread::yield_now();
        }
    }
}

/// As [`cas_spin`], but gives up (`None`) when the line holds the stop value.
#[inline]
fn cas_spin_or_stop(line: &AtomicU64, from: u64, to: u64) -> Option<()> {
    let mut spins = 0u32;
    loop {
        match line.compare_exchange(from, to, Ordering::AcqRel, Ordering::Relaxed) {
            Ok(_) => return Some(()),
            Err(u64::MAX) => return None,
            Err(_) => {}
        }
        spins += 1;
        if spins.is_multiple_of(4096) {
            std::thread::yield_now();
        }
    }
}
