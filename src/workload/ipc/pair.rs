//! The family of every pair workload (`pipe`, `socket`, `shm`): workers `2k` and `2k + 1` form a
//! pair, the even one initiates and counts round trips, the odd one answers. A transport says
//! how one pair is connected and what each end runs.

use super::{check_pairs, fit_pairs};
use crate::workload::{
    Channel, Family, Job, LatencyChart, Unit, WorkerCtx, Workload, WorkloadError,
};

/// Connects one pair; `within_process` when both ends are threads of one process.
pub type Connect = fn(within_process: bool) -> Result<(Channel, Channel), WorkloadError>;
/// Prepares one end's job from its channel; `initiator` for the even worker.
pub type Start =
    fn(ctx: WorkerCtx, channel: Channel, initiator: bool) -> Result<Box<dyn Job>, WorkloadError>;

pub struct PairTransport {
    pub name: &'static str,
    pub label: &'static str,
    pub connect: Connect,
    pub start: Start,
}

impl Family for PairTransport {
    fn name(&self) -> &'static str {
        self.name
    }

    fn label(&self) -> &'static str {
        self.label
    }

    fn unit(&self) -> Unit {
        Unit::RoundTrips
    }

    fn latency_chart(&self) -> Option<LatencyChart> {
        Some(LatencyChart::ByPlacement)
    }

    fn talks(&self) -> bool {
        true
    }

    fn pairs(&self) -> bool {
        true
    }

    fn check_workers(&self, w: &Workload, workers: usize) -> Result<(), WorkloadError> {
        check_pairs(w, workers)
    }

    fn fit_workers(&self, n: usize) -> usize {
        fit_pairs(n)
    }

    fn is_primary(&self, worker: usize, _workers: usize) -> bool {
        worker.is_multiple_of(2)
    }

    fn channels(&self, workers: usize, within: bool) -> Result<Vec<Channel>, WorkloadError> {
        let mut out = Vec::with_capacity(workers);
        for _ in 0..workers / 2 {
            let (a, b) = (self.connect)(within)?;
            out.push(a);
            out.push(b);
        }
        out.resize_with(workers, Channel::default);
        Ok(out)
    }

    fn prepare(
        &self,
        _w: &Workload,
        ctx: WorkerCtx,
        channel: Channel,
    ) -> Result<Box<dyn Job>, WorkloadError> {
        (self.start)(ctx, channel, self.is_primary(ctx.worker, ctx.workers))
    }
}
