//! What one worker does, the same whether it is a pool thread or a child process: pin itself
//! if the plan says so, prepare its workload, wait for the start signal, then over the measured
//! stretch alone count, run the timed loop while sampling the CPU it is on, and report.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::WorkerError;
use crate::affinity::{current_affinity, current_tid, pin_current_thread};
use crate::cpuset::CpuSet;
use crate::metrics::{CountingMode, Counts, CpuSampler, Meter};
use crate::workload::{Channel, WorkerCtx, Workload, monotonic_ns};

/// Everything a worker needs to know, sent to child processes as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerSpec {
    pub worker: usize,
    pub workers: usize,
    pub workload: Workload,
    pub duration_ms: u64,
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
    let mut job = spec.workload.prepare(ctx, channel)?;
    wait_start()?;
    let readback = current_affinity().map_err(WorkerError::ReadMask)?;
    // Placement verification: the mask the worker actually runs under must be the plan's.
    if let Some(planned) = &spec.planned
        && &readback != planned
        && !spec.allow_mismatch
    {
        return Err(WorkerError::Mismatch {
            readback,
            planned: planned.clone(),
        });
    }
    let mut sampler = CpuSampler::new(spec.planned.as_ref());
    // The measured stretch: counters, the clock and the loop, nothing else.
    let meter = Meter::start(spec.counting);
    let start_ns = monotonic_ns();
    let ran = job.run(Duration::from_millis(spec.duration_ms), &mut sampler)?;
    let end_ns = monotonic_ns();
    let counts = meter.finish();
    drop(job);
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
    })
}
