//! `mem:<size>`: streaming memory bandwidth, the STREAM triad `a[i] = b[i] + s * c[i]` over three
//! arrays of `f64` that together take `size` bytes per worker, well beyond the last-level cache.
//! Throughput is bytes moved per second, counted as STREAM counts them (24 bytes per element:
//! two reads and one write). Bandwidth is shared per package and NUMA node, so this is where
//! spreading workers (`scatter`) beats packing them (`compact`) on multi-socket machines.

use super::role::{MachineCaches, SizeRole};
use super::{
    Channel, Family, Job, Ran, Stop, Unit, WorkerCtx, Workload, WorkloadError, role_defaults, timed,
};
use crate::metrics::CpuSampler;
use crate::profile::HardwareProfile;

/// Bytes STREAM counts per triad element: read b, read c, write a.
const BYTES_PER_ELEMENT: u64 = 24;
/// Elements per batch between two looks at the clock: 64 KiB of each array.
const CHUNK: usize = 8192;
/// The smallest footprint: three arrays of one chunk each.
const MIN_BYTES: u64 = 3 * 8 * CHUNK as u64;

struct Triad {
    a: Vec<f64>,
    b: Vec<f64>,
    c: Vec<f64>,
    at: usize,
}

impl Triad {
    /// Three arrays of `bytes / 24` elements (a whole number of chunks), every page written
    /// once so the first timed pass does not pay the page faults.
    fn new(bytes: u64, worker: usize) -> Result<Self, WorkloadError> {
        let chunks = ((bytes / BYTES_PER_ELEMENT) as usize / CHUNK).max(1);
        let n = chunks * CHUNK;
        let alloc = |v: f64| -> Result<Vec<f64>, WorkloadError> {
            let mut x = Vec::new();
            x.try_reserve_exact(n).map_err(|_| WorkloadError::Alloc {
                worker,
                bytes: n as u64 * 8,
            })?;
            x.resize(n, v);
            Ok(x)
        };
        Ok(Self {
            a: alloc(0.0)?,
            b: alloc(1.0)?,
            c: alloc(2.0)?,
            at: 0,
        })
    }

    /// One chunk of the triad; returns the bytes it moved.
    #[inline(never)]
    fn step(&mut self) -> u64 {
        const SCALAR: f64 = 3.0;
        let r = self.at..self.at + CHUNK;
        let (a, b, c) = (&mut self.a[r.clone()], &self.b[r.clone()], &self.c[r]);
        for ((x, y), z) in a.iter_mut().zip(b).zip(c) {
            *x = y + SCALAR * z;
        }
        self.at += CHUNK;
        if self.at >= self.a.len() {
            self.at = 0;
        }
        CHUNK as u64 * BYTES_PER_ELEMENT
    }
}

impl Job for Triad {
    fn run(&mut self, stop: Stop, sampler: &mut CpuSampler) -> Result<Ran, WorkloadError> {
        let ran = timed(stop, sampler, || self.step());
        std::hint::black_box(&self.a);
        Ok(ran)
    }
}

pub struct Mem;

impl Family for Mem {
    fn name(&self) -> &'static str {
        "mem"
    }

    fn min_size(&self) -> Option<u64> {
        Some(MIN_BYTES)
    }

    fn example(&self) -> String {
        "mem:256MiB".into()
    }

    fn unit(&self) -> Unit {
        Unit::Bytes
    }

    fn footprint(&self, size: Option<u64>) -> u64 {
        size.unwrap_or(0)
    }

    /// Twice the last-level cache.
    fn roles(&self) -> &'static [SizeRole] {
        &[SizeRole::TwoLlc]
    }

    /// At least 64 MiB, rounded down to a power of two: one worker alone streams well beyond
    /// the last-level cache.
    fn resolve_role(&self, role: SizeRole, caches: &MachineCaches) -> Option<u64> {
        if !self.roles().contains(&role) {
            return None;
        }
        let bytes = role.raw_bytes(caches)?.max(64 << 20);
        Some(1u64 << (63 - bytes.leading_zeros()))
    }

    fn defaults(&self, profile: &HardwareProfile) -> Vec<Workload> {
        role_defaults(&Mem, profile)
    }

    fn prepare(
        &self,
        w: &Workload,
        ctx: WorkerCtx,
        _channel: Channel,
    ) -> Result<Box<dyn Job>, WorkloadError> {
        Ok(Box::new(Triad::new(
            w.size().unwrap_or(MIN_BYTES),
            ctx.worker,
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triad_computes_and_wraps() {
        let mut t = Triad::new(MIN_BYTES * 2, 0).unwrap();
        assert_eq!(t.a.len(), 2 * CHUNK);
        assert_eq!(t.step(), CHUNK as u64 * 24);
        assert_eq!(t.a[0], 7.0);
        assert_eq!(t.a[CHUNK], 0.0);
        t.step();
        assert_eq!(t.at, 0, "wraps to the start");
        assert!(t.a.iter().all(|x| *x == 7.0));
    }

    #[test]
    fn sizes_parse_and_refuse() {
        let w: Workload = "mem:256MiB".parse().unwrap();
        assert_eq!(w.size(), Some(256 << 20));
        assert!("mem:1KiB".parse::<Workload>().is_err());
        assert!("mem".parse::<Workload>().is_err());
        assert_eq!(w.unit(), Unit::Bytes);
        assert!(!w.reports_latency());
    }
}
