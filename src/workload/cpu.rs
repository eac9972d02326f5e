//! `cpu`: compute-bound work. Four independent lanes of 64-bit mixing (splitmix-style
//! multiply/xor-shift) keep the core's ALUs busy and never touch memory; throughput scales with
//! cores and a migration costs next to nothing.

use std::hint::black_box;

use super::{Family, Job, Ran, Stop, Unit, WorkerCtx, Workload, WorkloadError, timed};
use crate::metrics::CpuSampler;

/// Rounds of mixing per operation: one op is about a microsecond on current cores.
pub const ROUNDS_PER_OP: u32 = 256;
/// Operations between two looks at the clock.
const BATCH: u64 = 32;

/// Runs `ops` operations on a state that the caller keeps alive. Never inlined: the kernel is
/// compiled once, on its own, so its speed does not change with the code around its callers.
#[inline(never)]
pub fn run_ops(state: &mut [u64; 4], ops: u64) {
    let mut s = *state;
    for _ in 0..ops {
        for _ in 0..ROUNDS_PER_OP {
            for lane in &mut s {
                let mut z = lane.wrapping_add(0x9e3779b97f4a7c15);
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
                *lane = z ^ (z >> 31);
            }
        }
        s = black_box(s);
    }
    *state = s;
}

pub struct Cpu;

struct CpuJob([u64; 4]);

impl Job for CpuJob {
    fn run(&mut self, stop: Stop, sampler: &mut CpuSampler) -> Result<Ran, WorkloadError> {
        Ok(timed(stop, sampler, || {
            run_ops(&mut self.0, BATCH);
            BATCH
        }))
    }
}

impl Family for Cpu {
    fn name(&self) -> &'static str {
        "cpu"
    }

    fn unit(&self) -> Unit {
        Unit::Ops
    }

    fn prepare(
        &self,
        _w: &Workload,
        ctx: WorkerCtx,
        _channel: super::Channel,
    ) -> Result<Box<dyn Job>, WorkloadError> {
        Ok(Box::new(CpuJob([ctx.seed, 2, 3, ctx.worker as u64])))
    }
}

#[cfg(test)]
mod tests {
    /// The work of one operation is fixed (its throughput is compared across runs, versions
    /// and machines): 3 operations from a known state give the answer SplitMix64 gives, applied
    /// 3 x 256 times per lane (computed independently, in Python).
    #[test]
    fn an_operation_is_a_known_amount_of_work() {
        let mut a = [1, 2, 3, 4];
        super::run_ops(&mut a, 3);
        assert_eq!(
            a,
            [
                0x10d7fa3f9685d1d3,
                0x9df73c2db5ebe0e0,
                0xa97583691ef96eef,
                0x02c3fe6591058838
            ]
        );
    }
}
