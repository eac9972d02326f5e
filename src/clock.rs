//! The one system-wide monotonic clock every thread and process of a run stamps its measured
//! stretch with, so a scenario's total can cover the union of its workers' stretches. Below
//! every other module: the workers, the runner and the tracer all read it.

/// Nanoseconds on the system-wide monotonic clock: one clock for every thread and process, so
/// a scenario's total can cover the union of its workers' stretches.
pub fn monotonic_ns() -> u64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC)
        .map(|t| t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64)
        .unwrap_or(0)
}
