//! What can go wrong running a scenario, typed so a caller can tell a pin that did not take from
//! a peer that went away. Errors become text only where they cross the process boundary (a
//! child's report, its exit status) and at the CLI's edge.

use std::path::PathBuf;

use crate::affinity::AffinityError;
use crate::cpuset::CpuSet;
use crate::workload::WorkloadError;

/// Why one worker failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("pinning: {0}")]
    Pin(#[source] AffinityError),
    #[error("pinning pid {pid} from the parent: {source}")]
    ParentPin {
        pid: i32,
        #[source]
        source: AffinityError,
    },
    #[error("reading its mask: {0}")]
    ReadMask(#[source] AffinityError),
    #[error(
        "runs under CPUs {readback} but the plan says {planned} (the pin did not take; refusing to measure)"
    )]
    Mismatch { readback: CpuSet, planned: CpuSet },
    #[error(transparent)]
    Workload(#[from] WorkloadError),
    #[error("no start signal from the parent: {0}")]
    NoStart(#[source] std::io::Error),
    #[error("could not send the start signal: {0}")]
    Go(#[source] std::io::Error),
    /// A child process's own report of its failure (text: it crossed the process boundary).
    #[error("{0}")]
    Reported(String),
    /// How a child process ended without a result: its exit status and last words.
    #[error("{0}")]
    Ended(String),
    #[error("sent garbage instead of a protocol message: {0:?}")]
    Garbage(String),
    #[error("speaks protocol {0}, this pinbench speaks {v}", v = super::protocol::PROTOCOL_VERSION)]
    Protocol(u32),
    #[error("sent {0} out of turn")]
    OutOfTurn(String),
    #[error("a pool slot panicked")]
    Panicked,
}

/// Which stage a worker missed its deadline at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Ready,
    Report,
}

/// Why a scenario failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Creating the workload's channels.
    #[error(transparent)]
    Workload(#[from] WorkloadError),
    /// Setting or restoring the spawner's mask (`inherited`).
    #[error(transparent)]
    SpawnerMask(#[from] AffinityError),
    #[error("building the thread pool: {0}")]
    Pool(#[from] rayon::ThreadPoolBuildError),
    #[error("{0}")]
    WorkerExe(String),
    #[error("spawning {}: {source}", exe.display())]
    Spawn {
        exe: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("reaping: {0}")]
    Reap(#[source] std::io::Error),
    #[error("worker {worker} failed: {source}")]
    Worker {
        worker: usize,
        #[source]
        source: WorkerError,
    },
    #[error(
        "worker(s) {} did not {} in time; killed",
        workers.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(","),
        if *stage == Stage::Ready { "get ready" } else { "report" }
    )]
    Timeout { workers: Vec<usize>, stage: Stage },
    #[error("lost every worker's output")]
    LostOutput,
    #[error("--recycle applies to --model processes only (threads are never recycled)")]
    RecycleThreads,
    #[error(
        "--recycle runs independent tasks: use a workload whose workers do not talk (cpu, cache, mem)"
    )]
    RecycleTalking,
    #[error("--recycle needs at least one task of at least 1 ms")]
    RecycleEmpty,
    #[error(
        "--pin-by parent pins process workers by pid after they start (the taskset -p recipe): use --model processes"
    )]
    ParentPinThreads,
    #[error("the copies model runs a program of yours: use `pinbench exec --each -- CMD`")]
    CopiesNeedACommand,
    /// A run of the user's program (`exec`) that is no measurement; its executor says why, and
    /// keeps what was counted of the tree that ran (its exit status, what it left running).
    #[error("{source}")]
    Program {
        source: Box<dyn std::error::Error + Send + Sync>,
        tree: Option<Box<super::TreeFacts>>,
    },
}

impl RunError {
    pub fn worker(worker: usize, source: impl Into<WorkerError>) -> Self {
        RunError::Worker {
            worker,
            source: source.into(),
        }
    }
}
