//! IPC workloads: workers that talk. Each transport is a family in its own file; this module
//! holds what they share: their errors, the descriptors the spawner creates for them (plain file
//! descriptors, so threads and child processes run the very same code), and a worker's ends.
//!
//! - `pipe`: one-byte ping-pong over two pipes (`perf bench sched pipe`);
//! - `socket`: the same over a Unix socketpair;
//! - `shm`: cache-line ping-pong through an atomic in shared memory (core-to-core-latency);
//! - `queue`: producers send 64-byte messages down one pipe to one consumer
//!   (`multiprocessing.Queue`);
//! - `server`: clients send requests to one server worker over their own sockets and wait for
//!   each reply (`multiprocessing.Manager`).

mod hub;
mod pair;
mod pingpong;
pub mod pipe;
pub mod queue;
pub mod server;
pub mod shm;
pub mod socket;

use std::fs::File;
use std::os::fd::OwnedFd;

use super::{Workload, WorkloadError};

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

impl PartialEq for IpcError {
    /// Errors compare by their text (the sources are not comparable).
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for IpcError {}

/// The byte (or first byte of a message) that tells a peer to stop.
const STOP: u8 = 0xff;

/// A pipe, both ends close-on-exec (the spawner clears the flag on the ends a child takes).
fn open_pipe() -> Result<(OwnedFd, OwnedFd), IpcError> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|source| IpcError::Setup {
        what: "a pipe",
        source,
    })
}

/// A connected pair of Unix stream sockets, close-on-exec.
fn socketpair() -> Result<(OwnedFd, OwnedFd), IpcError> {
    use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};
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
}

/// A second descriptor for the same open file.
fn twin(fd: &OwnedFd, what: &'static str) -> Result<OwnedFd, IpcError> {
    fd.try_clone().map_err(|e| IpcError::Setup {
        what,
        source: nix::Error::from_raw(e.raw_os_error().unwrap_or(0)),
    })
}

/// One worker's open ends, checked for their number when taken.
struct Ends {
    worker: usize,
    files: Vec<File>,
}

impl Ends {
    fn take(worker: usize, fds: Vec<OwnedFd>, expected: usize) -> Result<Self, IpcError> {
        if fds.len() != expected {
            return Err(IpcError::Fds {
                worker,
                expected,
                got: fds.len(),
            });
        }
        Ok(Self {
            worker,
            files: fds.into_iter().map(File::from).collect(),
        })
    }

    /// Maps an I/O error on this worker's ends: end of file means the peer went away.
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
}

/// Pair workloads need an even number of workers.
fn check_pairs(w: &Workload, workers: usize) -> Result<(), WorkloadError> {
    if workers.is_multiple_of(2) {
        Ok(())
    } else {
        Err(WorkloadError::OddWorkers {
            workload: w.to_string(),
            workers,
        })
    }
}

/// An even count of at least two.
fn fit_pairs(n: usize) -> usize {
    (n + n % 2).max(2)
}
