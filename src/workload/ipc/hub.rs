//! The family of every hub workload (`queue`, `server`): worker 0 is the hub (the queue's
//! consumer, the server) and every other worker talks to it alone. A transport says what the
//! hub is called, whose counts are the result, how the workers are connected and what each
//! runs.

use crate::workload::{
    Channel, Family, Job, LatencyChart, Unit, WorkerCtx, Workload, WorkloadError,
};

/// Connects a hub (worker 0) with `workers - 1` peers: one channel per worker.
pub type Connect = fn(workers: usize) -> Result<Vec<Channel>, WorkloadError>;
/// Prepares worker `ctx.worker`'s job (the hub's when it is 0).
pub type Start = fn(ctx: WorkerCtx, channel: Channel) -> Result<Box<dyn Job>, WorkloadError>;

pub struct HubTransport {
    pub name: &'static str,
    pub label: &'static str,
    pub unit: Unit,
    /// What the hub is, for errors: `consumer`, `server`.
    pub hub: &'static str,
    /// Whether the hub's count is the result (a queue's consumer) or the peers' (clients).
    pub hub_counts: bool,
    pub connect: Connect,
    pub start: Start,
}

impl Family for HubTransport {
    fn name(&self) -> &'static str {
        self.name
    }

    fn label(&self) -> &'static str {
        self.label
    }

    fn unit(&self) -> Unit {
        self.unit
    }

    fn latency_chart(&self) -> Option<LatencyChart> {
        Some(LatencyChart::ByPlacement)
    }

    fn talks(&self) -> bool {
        true
    }

    fn check_workers(&self, w: &Workload, workers: usize) -> Result<(), WorkloadError> {
        if workers >= 2 {
            Ok(())
        } else {
            Err(WorkloadError::TooFewWorkers {
                workload: w.to_string(),
                role: self.hub,
                workers,
            })
        }
    }

    fn fit_workers(&self, n: usize) -> usize {
        n.max(2)
    }

    fn is_primary(&self, worker: usize, _workers: usize) -> bool {
        (worker == 0) == self.hub_counts
    }

    fn channels(&self, workers: usize, _within: bool) -> Result<Vec<Channel>, WorkloadError> {
        (self.connect)(workers)
    }

    fn prepare(
        &self,
        _w: &Workload,
        ctx: WorkerCtx,
        channel: Channel,
    ) -> Result<Box<dyn Job>, WorkloadError> {
        (self.start)(ctx, channel)
    }
}
