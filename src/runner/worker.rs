//! What one worker does, the same whether it is a pool thread or a child process: pin itself
//! if the plan says so, start its counters, prepare its workload, wait for the start signal,
//! run for the scenario's duration while sampling the CPU it is on, and report.

use std::os::fd::OwnedFd;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::affinity::{current_affinity, current_tid, pin_current_thread};
use crate::cpuset::CpuSet;
use crate::metrics::{CountingMode, Counts, CpuSampler, Meter};
use crate::workload::cache::Chase;
use crate::workload::ipc::{Clock, IpcRole, PaddedLine};
use crate::workload::{Workload, cpu};

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
    pub allow_unpinned: bool,
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

enum Prepared {
    Cpu([u64; 4]),
    Cache(Chase),
    Ipc(IpcRole),
}

/// Runs one worker on the calling thread. `wait_start` blocks until every worker is ready.
pub fn run_worker(
    spec: &WorkerSpec,
    fds: Vec<OwnedFd>,
    heap_line: Option<std::sync::Arc<PaddedLine>>,
    wait_start: impl FnOnce() -> Result<(), String>,
) -> Result<WorkerResult, String> {
    if let Some(set) = &spec.self_pin {
        pin_current_thread(set).map_err(|e| format!("worker {}: {e}", spec.worker))?;
    }
    let meter = Meter::start(spec.counting);
    let mut prepared = match spec.workload {
        Workload::Cpu => Prepared::Cpu([spec.seed, 2, 3, spec.worker as u64]),
        Workload::Cache { bytes } => {
            Prepared::Cache(Chase::new(bytes, spec.seed ^ spec.worker as u64))
        }
        Workload::Ipc(kind) => Prepared::Ipc(
            IpcRole::new(kind, spec.worker, spec.workers, fds, heap_line)
                .map_err(|e| e.to_string())?,
        ),
    };
    wait_start()?;
    let readback = current_affinity().map_err(|e| format!("worker {}: {e}", spec.worker))?;
    // Placement verification: the mask the worker actually runs under must be the plan's.
    if let Some(planned) = &spec.planned
        && &readback != planned
        && !spec.allow_unpinned
    {
        return Err(format!(
            "worker {}: runs under CPUs {readback} but the plan says {planned} (the pin did not take; refusing to measure)",
            spec.worker
        ));
    }
    let mut sampler = CpuSampler::new(spec.planned.as_ref());
    let start_ns = monotonic_ns();
    let duration = Duration::from_millis(spec.duration_ms);
    let (ops, seconds) = match &mut prepared {
        Prepared::Cpu(state) => {
            let clock = Clock::start(duration);
            let mut ops = 0;
            while !clock.done() {
                cpu::run_ops(state, 32);
                ops += 32;
                sampler.sample();
            }
            (ops, clock.seconds())
        }
        Prepared::Cache(chase) => {
            let clock = Clock::start(duration);
            let mut ops = 0;
            while !clock.done() {
                chase.run(4096);
                ops += 4096;
                sampler.sample();
            }
            (ops, clock.seconds())
        }
        Prepared::Ipc(role) => role
            .run(duration, &mut sampler)
            .map_err(|e| e.to_string())?,
    };
    let end_ns = monotonic_ns();
    let counts = meter.finish();
    let primary = match spec.workload {
        Workload::Ipc(kind) => kind.is_primary(spec.worker),
        _ => true,
    };
    Ok(WorkerResult {
        worker: spec.worker,
        pid: std::process::id(),
        tid: current_tid(),
        primary,
        cpus_planned: spec.planned.clone(),
        cpus_readback: readback,
        cpus_seen: sampler.seen(),
        cpu_samples: sampler.samples(),
        samples_outside_plan: sampler.outside(),
        ops,
        seconds,
        throughput_ops_s: if seconds > 0.0 {
            ops as f64 / seconds
        } else {
            0.0
        },
        counts,
        start_ns,
        end_ns,
        generations: None,
    })
}

/// Nanoseconds on the system-wide monotonic clock.
pub fn monotonic_ns() -> u64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC)
        .map(|t| t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64)
        .unwrap_or(0)
}
