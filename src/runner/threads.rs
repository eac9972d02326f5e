//! Thread workers: a rayon pool built per scenario, each thread pinned in `start_handler` (which
//! gets the worker index), the work run through `broadcast` so each thread runs exactly one
//! share. `inherited` sets the building thread's mask while the pool's threads are created.

use std::sync::{Arc, Barrier, Mutex};

use super::error::WorkerError;
use super::worker::run_worker;
use super::{RunError, Scenario, WorkerResult, spec_for};
use crate::affinity::{AffinityError, SpawnerMask, pin_current_thread};
use crate::cpuset::CpuSet;
use crate::plan::Placement;
use crate::workload::Channel;

pub fn run(scenario: &Scenario, placement: &Placement) -> Result<Vec<WorkerResult>, RunError> {
    let n = scenario.workers;
    let channels: Vec<Mutex<Channel>> = scenario
        .workload
        .channels(n, true)?
        .into_iter()
        .map(Mutex::new)
        .collect();
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
    let pin_errors: Arc<Vec<Mutex<Option<AffinityError>>>> =
        Arc::new((0..n).map(|_| Mutex::new(None)).collect());
    let errors_in = pin_errors.clone();

    // Threads are created inside build(), so they inherit whatever mask is set around it.
    let spawner = match &placement.spawner_mask {
        Some(mask) => Some(SpawnerMask::set(mask)?),
        None => None,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("pinbench-w{i}"))
        .start_handler(move |i| {
            if let Some(set) = &pins[i]
                && let Err(e) = pin_current_thread(set)
            {
                *errors_in[i].lock().expect("not poisoned") = Some(e);
            }
        })
        .build();
    if let Some(guard) = spawner {
        guard.restore()?;
    }
    let pool = pool?;

    let barrier = Barrier::new(n);
    let results = pool.broadcast(|ctx| {
        let i = ctx.index();
        if let Some(e) = pin_errors[i].lock().expect("not poisoned").take() {
            barrier.wait();
            return Err(WorkerError::Pin(e));
        }
        let spec = spec_for(scenario, placement, i, false);
        let channel = std::mem::take(&mut *channels[i].lock().expect("not poisoned"));
        let mut waited = false;
        let r = run_worker(&spec, channel, || {
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
        .map(|(worker, r)| r.map_err(|source| RunError::Worker { worker, source }))
        .collect()
}
