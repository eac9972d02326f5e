//! `ipc:shm`: cache-line ping-pong through an atomic in shared memory, the core-to-core-latency
//! pattern. Thread pairs share a padded atomic on the heap; process pairs a memfd page each maps.

use std::os::fd::{AsFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::pair::PairTransport;
use super::{IpcError, twin};
use crate::metrics::CpuSampler;
use crate::workload::{Channel, Clock, Job, Ran, Stop, WorkerCtx, WorkloadError};

/// Round trips between two looks at the clock.
const BATCH: u64 = 64;

/// The ping-pong cache line of a thread pair: an atomic alone on its (padded) line of the
/// process's heap, as core-to-core-latency keeps it.
#[repr(C, align(128))]
#[derive(Default)]
pub struct PaddedLine(pub AtomicU64);

/// Where a pair's cache line lives: a page shared between processes, or the heap of one
/// process whose threads share it.
enum SharedLine {
    Mapped(NonNull<std::ffi::c_void>),
    Heap(Arc<PaddedLine>),
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

/// A memfd of one page for a process pair, and its twin for the other end.
fn shared_page() -> Result<(OwnedFd, OwnedFd), IpcError> {
    let fd = nix::sys::memfd::memfd_create(c"pinbench-shm", nix::sys::memfd::MFdFlags::MFD_CLOEXEC)
        .map_err(|source| IpcError::Setup {
            what: "a memfd",
            source,
        })?;
    nix::unistd::ftruncate(&fd, 4096).map_err(|source| IpcError::Setup {
        what: "the shared page",
        source,
    })?;
    let other = twin(&fd, "a memfd twin")?;
    Ok((fd, other))
}

struct ShmRole {
    line: SharedLine,
    initiator: bool,
}

impl ShmRole {
    /// The initiator moves the line from `2k` to `2k + 1`, the responder from `2k + 1` to
    /// `2k + 2`; each side spins on `compare_exchange` until the other has moved, so every
    /// step transfers the cache line.
    fn ping(&self, stop: Stop, sampler: &mut CpuSampler) -> Ran {
        let line = self.line.atomic();
        let clock = Clock::start(stop);
        let mut ops = 0u64;
        loop {
            if ops.is_multiple_of(BATCH) {
                sampler.sample();
                if clock.done(ops) {
                    break;
                }
            }
            cas_spin(line, 2 * ops, 2 * ops + 1);
            ops += 1;
        }
        // The last round trip completes when the responder hands the line back; then stop it.
        cas_spin(line, 2 * ops, u64::MAX);
        Ran {
            ops,
            seconds: clock.seconds(),
        }
    }

    fn echo(&self, sampler: &mut CpuSampler) -> Ran {
        let line = self.line.atomic();
        let clock = Clock::start(Stop::default());
        let mut ops = 0u64;
        loop {
            let want = 2 * ops + 1;
            if cas_spin_or_stop(line, want, want + 1).is_none() {
                break;
            }
            ops += 1;
            if ops.is_multiple_of(BATCH) {
                sampler.sample();
            }
        }
        Ran {
            ops,
            seconds: clock.seconds(),
        }
    }
}

impl Job for ShmRole {
    fn run(&mut self, stop: Stop, sampler: &mut CpuSampler) -> Result<Ran, WorkloadError> {
        Ok(if self.initiator {
            self.ping(stop, sampler)
        } else {
            self.echo(sampler)
        })
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

pub static SHM: PairTransport = PairTransport {
    name: "ipc:shm",
    label: "shm",
    connect,
    start,
};

/// Thread pairs share one padded line of the heap; process pairs a memfd page each maps.
fn connect(within_process: bool) -> Result<(Channel, Channel), WorkloadError> {
    if within_process {
        let line: Arc<PaddedLine> = Arc::new(PaddedLine::default());
        let end = |line: Arc<PaddedLine>| Channel {
            fds: Vec::new(),
            shared: Some(line),
        };
        return Ok((end(line.clone()), end(line)));
    }
    let (a, b) = shared_page()?;
    let end = |fd| Channel {
        fds: vec![fd],
        shared: None,
    };
    Ok((end(a), end(b)))
}

fn start(ctx: WorkerCtx, channel: Channel, initiator: bool) -> Result<Box<dyn Job>, WorkloadError> {
    let worker = ctx.worker;
    let wrong = |got| IpcError::Fds {
        worker,
        expected: 1,
        got,
    };
    let line = match (channel.shared, channel.fds.as_slice()) {
        (Some(shared), []) => {
            SharedLine::Heap(shared.downcast::<PaddedLine>().map_err(|_| wrong(0))?)
        }
        (None, [fd]) => SharedLine::map(fd).map_err(|e| IpcError::Io {
            worker,
            what: "mapping the shared line",
            source: e.into(),
        })?,
        (_, fds) => return Err(wrong(fds.len()).into()),
    };
    Ok(Box::new(ShmRole { line, initiator }))
}
