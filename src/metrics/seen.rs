//! Which CPUs a worker ran on, sampled with `sched_getcpu` (a vDSO call of a few ns) every so
//! often from the worker's own loop, and how many samples fell outside the planned mask.

use crate::affinity::current_cpu;
use crate::cpuset::CpuSet;

const WORDS: usize = crate::cpuset::MAX_CPU_ID / 64;

pub struct CpuSampler {
    bits: Box<[u64; WORDS]>,
    samples: u64,
    outside: u64,
    planned: Option<Box<[u64; WORDS]>>,
}

fn to_bits(set: &CpuSet) -> Box<[u64; WORDS]> {
    let mut bits = Box::new([0u64; WORDS]);
    for c in set.iter() {
        bits[c / 64] |= 1 << (c % 64);
    }
    bits
}

impl CpuSampler {
    /// `planned`: the mask the worker should stay inside, to count samples outside it.
    pub fn new(planned: Option<&CpuSet>) -> Self {
        Self {
            bits: Box::new([0; WORDS]),
            samples: 0,
            outside: 0,
            planned: planned.map(to_bits),
        }
    }

    #[inline]
    pub fn sample(&mut self) {
        if let Some(cpu) = current_cpu()
            && cpu < crate::cpuset::MAX_CPU_ID
        {
            let (w, b) = (cpu / 64, 1u64 << (cpu % 64));
            self.bits[w] |= b;
            self.samples += 1;
            if let Some(p) = &self.planned
                && p[w] & b == 0
            {
                self.outside += 1;
            }
        }
    }

    pub fn seen(&self) -> CpuSet {
        (0..WORDS * 64)
            .filter(|&c| self.bits[c / 64] & (1 << (c % 64)) != 0)
            .collect()
    }

    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// Samples taken on a CPU outside the planned mask.
    pub fn outside(&self) -> u64 {
        self.outside
    }
}
