//! Thread workers: a rayon pool built per scenario, each thread pinned in `start_handler` (which
//! gets the worker index), the work run through `broadcast` so each thread runs exactly one
//! share. `inherited` sets the building thread's mask while the pool's threads are created.

use std::sync::{Arc, Barrier, Mutex};

use super::worker::run_worker;
use super::{RunError, Scenario, WorkerResult, spec_for};
use crate::affinity::{SpawnerMask, pin_current_thread};
use crate::cpuset::CpuSet;
use crate::plan::Placement;
use crate::workload::ipc::{channels_for, heap_lines};

pub fn run(scenario: &Scenario, placement: &Placement) -> Result<Vec<WorkerResult>, RunError> {
    let n = scenario.workers;
    // Thread pairs of `shm` share a line of the heap; every other transport uses descriptors.
    let heap = heap_lines(&scenario.workload, n);
    let fds = if heap.iter().any(Option::is_some) {
        (0..n).map(|_| Vec::new()).collect()
    } else {
        channels_for(&scenario.workload, n).map_err(|e| RunError::Setup(e.to_string()))?
    };
    let fds: Vec<Mutex<Vec<_>>> = fds.into_iter().map(Mutex::new).collect();
    let pins: Vec<Option<CpuSet>> = placement
        .workers
        .iter()
        .map(|w| {
            if placement.pins_workers() {
                w.cpus.clone()
            } else {
                None
            }
        })
        .collect();
    // Filled by each thread's start handler, read by the same thread once it runs its share.
    let pin_errors: Arc<Vec<Mutex<Option<String>>>> =
        Arc::new((0..n).map(|_| Mutex::new(None)).collect());
    let errors_in = pin_errors.clone();

    // Threads are created inside build(), so they inherit whatever mask is set around it.
    let spawner = match &placement.spawner_mask {
        Some(mask) => Some(SpawnerMask::set(mask).map_err(|e| RunError::Setup(e.to_string()))?),
        None => None,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("pinbench-w{i}"))
        .start_handler(move |i| {
            if let Some(set) = &pins[i]
                && let Err(e) = pin_current_thread(set)
            {
                *errors_in[i].lock().expect("not poisoned") = Some(e.to_string());
            }
        })
        .build()
        .map_err(|e| RunError::Setup(format!("building the thread pool: {e}")));
    if let Some(guard) = spawner {
        guard
            .restore()
            .map_err(|e| RunError::Setup(e.to_string()))?;
    }
    let pool = pool?;

    let barrier = Barrier::new(n);
    let results = pool.broadcast(|ctx| {
        let i = ctx.index();
        if let Some(e) = pin_errors[i].lock().expect("not poisoned").take() {
            barrier.wait();
            return Err(format!("pinning: {e}"));
        }
        let spec = spec_for(scenario, placement, i, false);
        let my_fds = std::mem::take(&mut *fds[i].lock().expect("not poisoned"));
        let mut waited = false;
        let r = run_worker(&spec, my_fds, heap[i].clone(), || {
            waited = true;
            barrier.wait();
            Ok(())
        });
        if !waited {
            barrier.wait();
        }
        r
    });
    results
        .into_iter()
        .enumerate()
        .map(|(worker, r)| r.map_err(|reason| RunError::Worker { worker, reason }))
        .collect()
}
