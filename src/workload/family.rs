//! The interface every workload implements once ([`Family`]), and what it hands the runner: the
//! channels its workers talk through and each worker's prepared [`Job`]. The runner, the sweep,
//! the charts and the benches ask a family; none of them matches on workload names.

use std::any::Any;
use std::os::fd::OwnedFd;
use std::sync::Arc;

use super::clock::Ran;
use super::role::{MachineCaches, SizeRole};
use super::{Stop, Workload, WorkloadError};
use crate::metrics::CpuSampler;
use crate::profile::HardwareProfile;

/// What one operation of a workload is; throughput is these per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A batch of arithmetic (cpu).
    Ops,
    /// One dependent load (cache).
    Accesses,
    /// One message there and its answer back.
    RoundTrips,
    /// One message one way.
    Messages,
    /// One byte read or written (mem).
    Bytes,
    /// One whole run of a user's program (cmd), or its own figure with `--metric`.
    Runs,
}

impl Unit {
    /// The unit of throughput, for axis labels: `accesses/s`.
    pub fn per_second(&self) -> &'static str {
        match self {
            Unit::Ops => "ops/s",
            Unit::Accesses => "accesses/s",
            Unit::RoundTrips => "round trips/s",
            Unit::Messages => "messages/s",
            Unit::Bytes => "bytes/s",
            Unit::Runs => "runs/s",
        }
    }

    /// What the time per operation means, where it is a latency (`ns per access`); `None`
    /// where the time per operation is no latency anyone measures (a batch of arithmetic, a
    /// byte of a stream).
    pub fn latency(&self) -> Option<&'static str> {
        match self {
            Unit::Accesses => Some("ns per access"),
            Unit::RoundTrips => Some("ns per round trip"),
            Unit::Messages => Some("ns per message"),
            Unit::Ops | Unit::Bytes | Unit::Runs => None,
        }
    }
}

/// Which latency chart a workload's results belong in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatencyChart {
    /// Latency against the working-set size, cache levels marked (cache).
    BySize,
    /// Latency per transport and pair placement (ipc).
    ByPlacement,
}

/// What one worker is given to talk through, made by the spawner before any worker starts:
/// descriptors (which cross into child processes) and, for thread workers, memory shared
/// within the process.
#[derive(Default)]
pub struct Channel {
    pub fds: Vec<OwnedFd>,
    pub shared: Option<Arc<dyn Any + Send + Sync>>,
}

/// Who a worker is, for preparing its job.
#[derive(Debug, Clone, Copy)]
pub struct WorkerCtx {
    pub worker: usize,
    pub workers: usize,
    pub seed: u64,
}

/// One worker's prepared workload: everything allocated and wired, ready for the start signal.
pub trait Job: Send {
    /// The timed loop: runs for `duration` (a workload whose helpers answer others runs until
    /// its peers stop) and reports the operations done, sampling the CPU as it goes.
    fn run(&mut self, stop: Stop, sampler: &mut CpuSampler) -> Result<Ran, WorkloadError>;
}

/// A family of workloads (`cpu`, `cache:<size>`, `ipc:pipe`...), implemented once per file and
/// listed once in [`super::FAMILIES`].
pub trait Family: Sync + Send + 'static {
    /// The name on the command line and in every CSV, without a size: `cpu`, `cache`, `ipc:pipe`.
    fn name(&self) -> &'static str;

    /// A short label for charts that already say which kind of workload they show (`pipe`).
    fn label(&self) -> &'static str {
        self.name()
    }

    /// The smallest size this family takes (`cache:<size>`), or `None` if it takes no size.
    fn min_size(&self) -> Option<u64> {
        None
    }

    /// The roles a size of this family may be named by (`cache:L2/2`), in the order its
    /// defaults list them; none for families without a size.
    fn roles(&self) -> &'static [SizeRole] {
        &[]
    }

    /// The bytes `role` stands for on a machine with these caches, rounded as this family
    /// rounds sizes; `None` where the machine lacks what the role is sized after.
    fn resolve_role(&self, _role: SizeRole, _caches: &MachineCaches) -> Option<u64> {
        None
    }

    /// Whether it takes a free-form name instead of a size (`cmd:<name>`).
    fn takes_name(&self) -> bool {
        false
    }

    /// How the family is written on the command line: `cpu`, `cache:<size>`, `cmd:<name>`.
    fn usage(&self) -> String {
        if self.takes_name() {
            format!("{}:<name>", self.name())
        } else if self.min_size().is_some() {
            format!("{}:<size>", self.name())
        } else {
            self.name().to_string()
        }
    }

    /// An example name for help and errors: `cache:24KiB`.
    fn example(&self) -> String {
        self.name().to_string()
    }

    /// What one operation is.
    fn unit(&self) -> Unit;

    /// Where its latency figures are charted, if anywhere.
    fn latency_chart(&self) -> Option<LatencyChart> {
        None
    }

    /// Bytes each worker allocates, to check a scenario fits in memory.
    fn footprint(&self, _size: Option<u64>) -> u64 {
        0
    }

    /// Whether workers talk to each other (they cannot be recycled as independent tasks).
    fn talks(&self) -> bool {
        false
    }

    /// Whether workers run in pairs (an even count), whose two ends' placement matters.
    fn pairs(&self) -> bool {
        false
    }

    /// Checks the worker count (pairs, a server and its clients...).
    fn check_workers(&self, _w: &Workload, _workers: usize) -> Result<(), WorkloadError> {
        Ok(())
    }

    /// The nearest worker count at or above `n` that [`Family::check_workers`] accepts.
    fn fit_workers(&self, n: usize) -> usize {
        n.max(1)
    }

    /// Whether worker `i`'s count is a result of the scenario (an initiator, the consumer, a
    /// client), as opposed to a helper's echo count.
    fn is_primary(&self, _worker: usize, _workers: usize) -> bool {
        true
    }

    /// The workloads of this family in the default sweep on this machine: the family itself
    /// for families without a size.
    fn defaults(&self, _profile: &HardwareProfile) -> Vec<Workload> {
        super::family_named(self.name())
            .map(Workload::of)
            .into_iter()
            .collect()
    }

    /// Each worker's channel; `within_process` when the workers are threads of one process.
    fn channels(
        &self,
        workers: usize,
        _within_process: bool,
    ) -> Result<Vec<Channel>, WorkloadError> {
        Ok((0..workers).map(|_| Channel::default()).collect())
    }

    /// Prepares one worker's job (allocation, first touch, wiring) before the start signal.
    fn prepare(
        &self,
        w: &Workload,
        ctx: WorkerCtx,
        channel: Channel,
    ) -> Result<Box<dyn Job>, WorkloadError>;
}
