//! Process workers: children of the pinbench binary (the hidden `__worker` subcommand), the way
//! Python's multiprocessing spawns them. They say when they are ready, start together on a
//! signal from the parent, and report one result each. A worker that dies, sends garbage or
//! misses its deadline fails the scenario with the reason; the others are killed and every
//! child is reaped.

use std::os::fd::OwnedFd;
use std::sync::mpsc::channel;
use std::time::Instant;

use super::child::{Brood, READY_TIMEOUT, result_grace};
use super::error::Stage;
use super::{PinBy, RunError, Scenario, WorkerResult, WorkerSpec, spec_for};
use crate::cpuset::CpuSet;
use crate::plan::Placement;

pub fn run(scenario: &Scenario, placement: &Placement) -> Result<Vec<WorkerResult>, RunError> {
    let n = scenario.workers;
    let fds: Vec<Vec<OwnedFd>> = scenario
        .workload
        .channels(n, false)?
        .into_iter()
        .map(|c| c.fds)
        .collect();
    let self_pin = scenario.pin_by == PinBy::SelfPin;
    let specs: Vec<WorkerSpec> = (0..n)
        .map(|i| spec_for(scenario, placement, i, self_pin))
        .collect();
    let parent_pins: Vec<Option<CpuSet>> = placement
        .workers
        .iter()
        .map(|w| {
            (!self_pin && placement.pins_workers())
                .then(|| w.cpus.clone())
                .flatten()
        })
        .collect();
    let (tx, rx) = channel();
    let mut brood = Brood::spawn(&specs, &fds, placement.spawner_mask.as_ref(), &tx)?;
    // The children hold their ends now; the parent's copies would keep pipes from closing.
    drop(fds);
    drop(tx);
    let all: Vec<usize> = (0..n).collect();
    brood.collect(&rx, &all, Instant::now() + READY_TIMEOUT, Stage::Ready)?;
    brood.go()?;
    // `--pin-by parent`: the children are already working; pin them as the recipe does.
    let pinned_at = brood.pin(&parent_pins)?;
    let deadline = Instant::now() + scenario.duration + result_grace();
    let mut results = brood.collect(&rx, &all, deadline, Stage::Report)?;
    brood.reap()?;
    results.sort_by_key(|(i, _)| *i);
    Ok(results
        .into_iter()
        .filter_map(|(i, r)| {
            r.map(|mut r| {
                r.pinned_at_ns = pinned_at[i];
                r
            })
        })
        .collect())
}
