//! `cache:<size>`: pointer chasing through a random cyclic permutation (Sattolo's algorithm) of
//! cache-line sized nodes. Every step is a load whose address depends on the previous one, so
//! neither the prefetcher nor out-of-order execution can hide the latency of the level the set
//! lives in; a migration leaves the set behind in the old core's caches.

use std::hint::black_box;

use super::role::{MachineCaches, SizeRole};
use super::{
    Channel, Family, Job, LatencyChart, Ran, Stop, Unit, WorkerCtx, Workload, WorkloadError,
    role_defaults, timed,
};
use crate::metrics::CpuSampler;
use crate::profile::HardwareProfile;
use crate::rng::Rng;

/// Accesses between two looks at the clock.
const BATCH: u64 = 4096;

/// One node per cache line.
#[repr(C, align(64))]
#[derive(Clone, Copy)]
struct Node {
    next: usize,
    _pad: [usize; 7],
}

pub struct Chase {
    nodes: Vec<Node>,
    at: usize,
}

impl Chase {
    /// A single cycle through `bytes / 64` nodes, shuffled with `seed`.
    ///
    /// Sattolo's shuffle of the identity yields `a` with `i -> a[i]` one cycle through all
    /// indexes; it runs on a compact `u32` array (8 MiB for a 128 MiB set, mostly cache
    /// resident), then the nodes are filled front to back, which also touches every page
    /// and line once so the set starts out as warm as it can be.
    pub fn new(bytes: u64, seed: u64) -> Self {
        let n = ((bytes / 64) as usize).clamp(2, u32::MAX as usize);
        let mut a: Vec<u32> = (0..n as u32).collect();
        let mut rng = Rng::new(seed ^ 0x5851f42d4c957f2d);
        for i in (1..n).rev() {
            let j = (rng.next_u64() % i as u64) as usize;
            a.swap(i, j);
        }
        let nodes = a
            .into_iter()
            .map(|next| Node {
                next: next as usize,
                _pad: [0; 7],
            })
            .collect();
        Self { nodes, at: 0 }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Follows `steps` links.
    #[inline]
    pub fn run(&mut self, steps: u64) {
        let nodes = &self.nodes;
        let mut at = self.at;
        for _ in 0..steps {
            at = nodes[at].next;
        }
        self.at = black_box(at);
    }
}

impl Job for Chase {
    fn run(&mut self, stop: Stop, sampler: &mut CpuSampler) -> Result<Ran, WorkloadError> {
        Ok(timed(stop, sampler, || {
            Chase::run(self, BATCH);
            BATCH
        }))
    }
}

/// Rounds down to a power of two number of KiB, so sizes read well (`24KiB` stays `24KiB`).
fn tidy(bytes: u64) -> u64 {
    let kib = (bytes / 1024).max(1);
    if bytes.is_multiple_of(1024) && kib.is_power_of_two()
        || kib.is_multiple_of(3) && (kib / 3).is_power_of_two()
    {
        return kib * 1024;
    }
    (1u64 << (63 - kib.leading_zeros())) * 1024
}

pub struct Cache;

impl Family for Cache {
    fn name(&self) -> &'static str {
        "cache"
    }

    fn min_size(&self) -> Option<u64> {
        Some(128)
    }

    fn example(&self) -> String {
        "cache:24KiB".into()
    }

    fn unit(&self) -> Unit {
        Unit::Accesses
    }

    fn latency_chart(&self) -> Option<LatencyChart> {
        Some(LatencyChart::BySize)
    }

    fn footprint(&self, size: Option<u64>) -> u64 {
        size.unwrap_or(0)
    }

    /// Half of L1d, half of L2, half of a CPU's share of L3, and four times the last-level
    /// cache (from memory).
    fn roles(&self) -> &'static [SizeRole] {
        &[
            SizeRole::HalfL1d,
            SizeRole::HalfL2,
            SizeRole::HalfL3Share,
            SizeRole::FourLlc,
        ]
    }

    fn resolve_role(&self, role: SizeRole, caches: &MachineCaches) -> Option<u64> {
        if !self.roles().contains(&role) {
            return None;
        }
        role.raw_bytes(caches).map(tidy)
    }

    /// Every role the machine's caches resolve (a cache it lists without a size, or a machine
    /// that lists none, gets a typical size in bytes instead).
    fn defaults(&self, profile: &HardwareProfile) -> Vec<Workload> {
        role_defaults(&Cache, profile)
    }

    fn prepare(
        &self,
        w: &Workload,
        ctx: WorkerCtx,
        _channel: Channel,
    ) -> Result<Box<dyn Job>, WorkloadError> {
        let bytes = w.size().unwrap_or(128);
        Ok(Box::new(Chase::new(bytes, ctx.seed ^ ctx.worker as u64)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_one_cycle_through_every_node() {
        let mut c = Chase::new(64 * 1000, 7);
        let start = c.at;
        let mut seen = vec![false; c.len()];
        for _ in 0..c.len() {
            assert!(!seen[c.at]);
            seen[c.at] = true;
            Chase::run(&mut c, 1);
        }
        assert!(seen.iter().all(|s| *s));
        assert_eq!(c.at, start);
    }

    #[test]
    fn tidy_sizes() {
        assert_eq!(tidy(24 << 10), 24 << 10);
        assert_eq!(tidy(512 << 10), 512 << 10);
        assert_eq!(tidy(640 << 10), 512 << 10);
        assert_eq!(tidy(48 << 20), 48 << 20);
    }
}
