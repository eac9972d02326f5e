//! A recycling pool (Python's `maxtasksperchild`): each slot's worker process exits after some
//! tasks and is replaced, until the scenario's duration is used up; each slot's generations are
//! summed into one result. Without re-pinning, the replacements run unpinned, which is the bug
//! of pinning pids once.

use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use super::child::{Brood, READY_TIMEOUT, result_grace};
use super::error::{Stage, WorkerError};
use super::{PinBy, Recycle, RunError, Scenario, WorkerResult, spec_for};
use crate::metrics::Counts;
use crate::plan::Placement;

pub fn run(
    scenario: &Scenario,
    placement: &Placement,
    recycle: Recycle,
) -> Result<Vec<WorkerResult>, RunError> {
    if scenario.workload.family().talks() {
        return Err(RunError::RecycleTalking);
    }
    if recycle.tasks_per_worker == 0 || recycle.task_ms == 0 {
        return Err(RunError::RecycleEmpty);
    }
    let end = Instant::now() + scenario.duration;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..scenario.workers)
            .map(|i| s.spawn(move || slot(scenario, placement, recycle, i, end)))
            .collect();
        handles
            .into_iter()
            .enumerate()
            .map(|(i, h)| {
                h.join()
                    .unwrap_or_else(|_| Err(RunError::worker(i, WorkerError::Panicked)))
            })
            .collect()
    })
}

/// One slot of the pool: generation after generation until `end`.
fn slot(
    scenario: &Scenario,
    placement: &Placement,
    recycle: Recycle,
    i: usize,
    end: Instant,
) -> Result<WorkerResult, RunError> {
    let self_pin = scenario.pin_by == PinBy::SelfPin;
    let generation_ms = recycle.task_ms * u64::from(recycle.tasks_per_worker);
    let mut total: Option<WorkerResult> = None;
    let mut generation = 0u32;
    while generation == 0 || Instant::now() < end {
        let repin = generation == 0 || recycle.repin;
        let mut spec = spec_for(scenario, placement, i, self_pin && repin);
        spec.duration_ms = generation_ms;
        spec.allow_mismatch = !repin || scenario.allow_mismatch;
        let pin = (!self_pin && repin && placement.pins_workers())
            .then(|| placement.workers[i].cpus.clone())
            .flatten();
        let (tx, rx) = channel();
        let mut brood = Brood::spawn(&[spec], &[Vec::new()], None, &tx)?;
        drop(tx);
        brood.collect(&rx, &[i], Instant::now() + READY_TIMEOUT, Stage::Ready)?;
        brood.go()?;
        let pinned_at = brood.pin(&[pin])?[0];
        let deadline = Instant::now() + Duration::from_millis(generation_ms) + result_grace();
        let mut r = brood.collect(&rx, &[i], deadline, Stage::Report)?;
        brood.reap()?;
        let mut r = r.pop().and_then(|(_, r)| r).expect("one result");
        r.pinned_at_ns = pinned_at;
        total = Some(match total {
            None => r,
            Some(t) => merge(t, r),
        });
        generation += 1;
    }
    let mut t = total.expect("at least one generation");
    t.generations = Some(generation);
    Ok(t)
}

/// One slot's two generations as one result: sums, unions, the first start and last end.
fn merge(a: WorkerResult, b: WorkerResult) -> WorkerResult {
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
        counts: Counts::sum(&a.counts, &b.counts),
        ..a
    }
}
