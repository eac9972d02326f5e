//! What one worker does, the same whether it is a pool thread or a child process: pin itself
//! if the plan says so, prepare its workload, wait for the start signal, then over the measured
//! stretch alone count, run the timed loop while sampling the CPU it is on, and report.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::WorkerError;
use crate::affinity::{current_affinity, current_tid, pin_current_thread};
use crate::clock::monotonic_ns;
use crate::cpuset::CpuSet;
use crate::metrics::{CountingMode, Counts, CpuSampler, Meter};
use crate::workload::{Channel, Stop, WorkerCtx, Workload};

/// Everything a worker needs to know, sent to child processes as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerSpec {
    pub worker: usize,
    pub workers: usize,
    pub workload: Workload,
    /// The workload's bytes: a role's (`cache:L2/2`) are resolved on the parent's machine and
    /// travel here, as the workload's name carries the role only.
    #[serde(default)]
    pub size_bytes: Option<u64>,
    pub duration_ms: u64,
    /// Stop after this many operations if that comes before the duration.
    #[serde(default)]
    pub ops: Option<u64>,
    /// Pin this mask first thing (`by=self`).
    pub self_pin: Option<CpuSet>,
    /// The mask the worker should end up under (to count samples outside it).
    pub planned: Option<CpuSet>,
    pub counting: CountingMode,
    /// Seed of the cache workload's permutation.
    pub seed: u64,
    /// Measure even when the mask differs from `planned` (a recycled worker that was
    /// deliberately not re-pinned); otherwise such a worker refuses to run.
    #[serde(default)]
    pub allow_mismatch: bool,
    /// The parent pins this worker after the start signal (`--pin-by parent`, the
    /// `taskset -p` recipe): it starts unpinned, so its mask is checked at the end instead.
    #[serde(default)]
    pub pinned_by_parent: bool,
}

/// One worker's measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerResult {
    pub worker: usize,
    pub pid: u32,
    pub tid: i32,
    /// Whether its ops are a result of the scenario (not an IPC helper's echo count).
    pub primary: bool,
    pub cpus_planned: Option<CpuSet>,
    /// The mask read back once running.
    pub cpus_readback: CpuSet,
    pub cpus_seen: CpuSet,
    pub cpu_samples: u64,
    /// Samples taken on CPUs outside the planned mask.
    pub samples_outside_plan: u64,
    pub ops: u64,
    pub seconds: f64,
    pub throughput_ops_s: f64,
    #[serde(flatten)]
    pub counts: Counts,
    /// CLOCK_MONOTONIC nanoseconds when the measured stretch began and ended: one clock for
    /// every thread and process, so a scenario's total covers the union of its workers' time.
    #[serde(default)]
    pub start_ns: u64,
    #[serde(default)]
    pub end_ns: u64,
    /// Worker processes that served this slot (recycling pools only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generations: Option<u32>,
    /// CLOCK_MONOTONIC nanoseconds when the parent's pin took effect (`--pin-by parent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned_at_ns: Option<u64>,
    /// `exec`: CPU seconds of the tasks this slot held (every holder, and the children kept
    /// with one), measured as they ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_cpu_s: Option<f64>,
}

impl WorkerResult {
    /// Seconds from the start of the measured stretch until the parent's pin took effect.
    pub fn pin_delay_s(&self) -> Option<f64> {
        self.pinned_at_ns
            .map(|p| p.saturating_sub(self.start_ns) as f64 * 1e-9)
    }

    /// The share of the measured stretch that ran before the parent's pin took effect.
    pub fn unpinned_fraction(&self) -> Option<f64> {
        let stretch = self.end_ns.saturating_sub(self.start_ns) as f64 * 1e-9;
        self.pin_delay_s()
            .filter(|_| stretch > 0.0)
            .map(|d| (d / stretch).min(1.0))
    }
}

/// Runs one worker on the calling thread. `wait_start` blocks until every worker is ready.
pub fn run_worker(
    spec: &WorkerSpec,
    channel: Channel,
    wait_start: impl FnOnce() -> Result<(), WorkerError>,
) -> Result<WorkerResult, WorkerError> {
    if let Some(set) = &spec.self_pin {
        pin_current_thread(set).map_err(WorkerError::Pin)?;
    }
    let ctx = WorkerCtx {
        worker: spec.worker,
        workers: spec.workers,
        seed: spec.seed,
    };
    let workload = match spec.size_bytes {
        Some(bytes) => spec.workload.with_bytes(bytes),
        None => spec.workload,
    };
    let mut job = workload.prepare(ctx, channel)?;
    wait_start()?;
    // Placement verification: the mask the worker runs under must be the plan's; one the
    // parent pins after the start is checked once the loop is done.
    let verify = |readback: CpuSet| match &spec.planned {
        Some(planned) if &readback != planned && !spec.allow_mismatch => {
            Err(WorkerError::Mismatch {
                readback,
                planned: planned.clone(),
            })
        }
        _ => Ok(readback),
    };
    let mut readback = current_affinity().map_err(WorkerError::ReadMask)?;
    if !spec.pinned_by_parent {
        readback = verify(readback)?;
    }
    let mut sampler = CpuSampler::new(spec.planned.as_ref());
    // The measured stretch: counters, the clock and the loop, nothing else.
    let meter = Meter::start(spec.counting);
    let start_ns = monotonic_ns();
    let stop = Stop {
        duration: Duration::from_millis(spec.duration_ms),
        ops: spec.ops,
    };
    let ran = job.run(stop, &mut sampler)?;
    let end_ns = monotonic_ns();
    let counts = meter.finish();
    drop(job);
    if spec.pinned_by_parent {
        readback = verify(current_affinity().map_err(WorkerError::ReadMask)?)?;
    }
    Ok(WorkerResult {
        worker: spec.worker,
        pid: std::process::id(),
        tid: current_tid(),
        primary: spec.workload.is_primary(spec.worker, spec.workers),
        cpus_planned: spec.planned.clone(),
        cpus_readback: readback,
        cpus_seen: sampler.seen(),
        cpu_samples: sampler.samples(),
        samples_outside_plan: sampler.outside(),
        ops: ran.ops,
        seconds: ran.seconds,
        throughput_ops_s: if ran.seconds > 0.0 {
            ran.ops as f64 / ran.seconds
        } else {
            0.0
        },
        counts,
        start_ns,
        end_ns,
        generations: None,
        pinned_at_ns: None,
        slot_cpu_s: None,
    })
}
