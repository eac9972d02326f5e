//! Time for the workers' loops: a deadline clock that is cheap to ask and the timed loop every
//! solo workload runs (the system-wide clock they stamp their stretches with is [`crate::clock`]).

use std::time::{Duration, Instant};

use crate::metrics::CpuSampler;

/// When a worker's timed loop ends: after `duration`, or once it has done `ops` operations
/// if that comes first (the criterion benches run a fixed amount of work and time it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stop {
    pub duration: Duration,
    #[serde(default)]
    pub ops: Option<u64>,
}

impl Stop {
    pub fn after(duration: Duration) -> Self {
        Self {
            duration,
            ops: None,
        }
    }
}

/// Keeps time for a loop without calling the clock on every iteration.
pub struct Clock {
    start: Instant,
    stop: Stop,
}

impl Clock {
    pub fn start(stop: Stop) -> Self {
        Self {
            start: Instant::now(),
            stop,
        }
    }

    /// Whether a loop that has done `ops` operations should end.
    #[inline]
    pub fn done(&self, ops: u64) -> bool {
        self.stop.ops.is_some_and(|max| ops >= max) || self.start.elapsed() >= self.stop.duration
    }

    pub fn seconds(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
}

/// What a worker's timed loop did: operations (in the workload's unit) and the seconds it ran.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ran {
    pub ops: u64,
    pub seconds: f64,
}

/// The loop of every solo workload: `step` runs one batch and returns the operations it did;
/// between batches the CPU is sampled and the clock asked. A batch should take a few
/// microseconds, so the clock costs nothing and the loop ends within a batch of the deadline.
pub fn timed(stop: Stop, sampler: &mut CpuSampler, mut step: impl FnMut() -> u64) -> Ran {
    let clock = Clock::start(stop);
    let mut ops = 0;
    while !clock.done(ops) {
        ops += step();
        sampler.sample();
    }
    Ran {
        ops,
        seconds: clock.seconds(),
    }
}
