//! Per-worker counters from the kernel: CPU migrations (perf software event, else the scheduler's
//! own count in `/proc/thread-self/sched`), context switches and CPU time (`getrusage` of the
//! thread), and the set of CPUs a worker was seen on (`sched_getcpu` sampling). Every figure says
//! where it came from; one that could not be had is `None`, never 0.

mod perf;
pub mod procfs;
mod rusage;
mod sched;
mod schedstat;
mod seen;

use serde::{Deserialize, Serialize};

pub use perf::{HardwareCounters, HardwareCounts, PerfCounters};
pub use rusage::ThreadUsage;
pub use sched::SchedStats;
pub use schedstat::RunWait;
pub use seen::CpuSampler;

/// Where the migration count came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MigrationSource {
    /// The `cpu-migrations` software perf event of the worker's thread.
    Perf,
    /// `se.nr_migrations` from `/proc/thread-self/sched`.
    Procfs,
}

impl MigrationSource {
    pub fn as_str(&self) -> &'static str {
        match self {
            MigrationSource::Perf => "perf",
            MigrationSource::Procfs => "procfs",
        }
    }
}

/// Which counting sources a run may use.
///
/// A per-thread perf event costs time at every context switch (the kernel switches perf
/// contexts): measured here, pipe ping-pong on one CPU went from 5.0 to 7.9 us per round trip
/// with the `cpu-migrations` event open. The scheduler's own count in procfs gives the same
/// figures for free, so `auto` prefers it and falls back to perf where procfs lacks it
/// (kernels without `CONFIG_SCHED_DEBUG`); `perf` forces the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CountingMode {
    /// procfs where readable, else the perf event.
    #[default]
    Auto,
    /// The perf event where `perf_event_open` allows it, else procfs.
    Perf,
    /// procfs only (what an unprivileged user under `perf_event_paranoid=2` gets).
    Procfs,
    /// No counting: for measuring the counters' own cost.
    Off,
}

/// Counter values at the end of a worker's measured stretch, relative to its start.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    pub migrations: Option<u64>,
    pub migrations_source: Option<MigrationSource>,
    /// With the perf source, the scheduler's own procfs count over the same stretch: two
    /// independent kernel counters that must agree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrations_procfs_check: Option<u64>,
    pub voluntary_switches: Option<u64>,
    pub involuntary_switches: Option<u64>,
    pub switches_source: Option<String>,
    pub user_seconds: Option<f64>,
    pub system_seconds: Option<f64>,
    /// Seconds runnable but waiting for a CPU over the measured stretch (`schedstat`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runq_wait_s: Option<f64>,
    /// Hardware counters of the thread, user space only (`--counting perf`, where the
    /// machine has a PMU perf may use): cycles, instructions, cache misses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycles: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_misses: Option<u64>,
}

impl Counts {
    /// Two stretches' counts as one (a recycled slot's generations): sums where both are
    /// known, unknown otherwise.
    pub fn sum(a: &Counts, b: &Counts) -> Counts {
        let add = |x: Option<u64>, y: Option<u64>| Some(x? + y?);
        let addf = |x: Option<f64>, y: Option<f64>| Some(x? + y?);
        Counts {
            migrations: add(a.migrations, b.migrations),
            migrations_source: a.migrations_source,
            migrations_procfs_check: add(a.migrations_procfs_check, b.migrations_procfs_check),
            voluntary_switches: add(a.voluntary_switches, b.voluntary_switches),
            involuntary_switches: add(a.involuntary_switches, b.involuntary_switches),
            switches_source: a.switches_source.clone(),
            user_seconds: addf(a.user_seconds, b.user_seconds),
            system_seconds: addf(a.system_seconds, b.system_seconds),
            runq_wait_s: addf(a.runq_wait_s, b.runq_wait_s),
            cycles: add(a.cycles, b.cycles),
            instructions: add(a.instructions, b.instructions),
            cache_misses: add(a.cache_misses, b.cache_misses),
        }
    }
}

/// Counters started on the calling thread; [`Meter::finish`] reads them on the same thread.
pub struct Meter {
    mode: CountingMode,
    perf: Option<PerfCounters>,
    sched: Option<SchedStats>,
    usage: Option<ThreadUsage>,
    run_wait: Option<RunWait>,
    hardware: Option<(HardwareCounters, HardwareCounts)>,
}

impl Meter {
    /// Starts counting for the calling thread.
    pub fn start(mode: CountingMode) -> Self {
        if mode == CountingMode::Off {
            return Self {
                mode,
                perf: None,
                sched: None,
                usage: None,
                run_wait: None,
                hardware: None,
            };
        }
        let sched = SchedStats::read_self();
        let perf = match mode {
            CountingMode::Perf => PerfCounters::start().ok(),
            CountingMode::Auto if sched.is_none() => PerfCounters::start().ok(),
            _ => None,
        };
        // Hardware counters only when asked for perf: an open perf event costs time at every
        // context switch (see `CountingMode`).
        let hardware = (mode == CountingMode::Perf)
            .then(|| {
                let mut h = HardwareCounters::start().ok()?;
                let at = h.read().ok()?;
                Some((h, at))
            })
            .flatten();
        Self {
            mode,
            perf,
            sched,
            usage: ThreadUsage::read_self(),
            run_wait: RunWait::read_self(),
            hardware,
        }
    }

    /// Reads the counters (on the thread that started them) as differences since `start`.
    pub fn finish(self) -> Counts {
        if self.mode == CountingMode::Off {
            return Counts::default();
        }
        let mut c = Counts::default();
        let sched_now = SchedStats::read_self();
        if let Some(mut perf) = self.perf
            && let Ok(m) = perf.migrations()
        {
            c.migrations = Some(m);
            c.migrations_source = Some(MigrationSource::Perf);
            if let (Some(a), Some(b)) = (&self.sched, &sched_now) {
                c.migrations_procfs_check = Some(b.migrations.saturating_sub(a.migrations));
            }
        } else if let (Some(a), Some(b)) = (&self.sched, &sched_now) {
            c.migrations = Some(b.migrations.saturating_sub(a.migrations));
            c.migrations_source = Some(MigrationSource::Procfs);
        }
        if let (Some(a), Some(b)) = (self.usage, ThreadUsage::read_self()) {
            c.voluntary_switches = Some(b.voluntary_switches.saturating_sub(a.voluntary_switches));
            c.involuntary_switches = Some(
                b.involuntary_switches
                    .saturating_sub(a.involuntary_switches),
            );
            c.switches_source = Some("getrusage".into());
            c.user_seconds = Some((b.user_seconds - a.user_seconds).max(0.0));
            c.system_seconds = Some((b.system_seconds - a.system_seconds).max(0.0));
        }
        if let (Some(a), Some(b)) = (self.run_wait, RunWait::read_self()) {
            c.runq_wait_s = Some(b.wait_ns.saturating_sub(a.wait_ns) as f64 / 1e9);
        }
        if let Some((mut h, a)) = self.hardware
            && let Ok(b) = h.read()
        {
            c.cycles = Some(b.cycles.saturating_sub(a.cycles));
            c.instructions = Some(b.instructions.saturating_sub(a.instructions));
            c.cache_misses = Some(b.cache_misses.saturating_sub(a.cache_misses));
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hardware_counters_are_counted_where_the_machine_has_them_and_unknown_elsewhere() {
        let meter = Meter::start(CountingMode::Perf);
        let mut x = 0u64;
        for i in 0..2_000_000u64 {
            x = std::hint::black_box(x.wrapping_add(i * i));
        }
        let c = meter.finish();
        if HardwareCounters::available() {
            assert!(c.cycles.is_some_and(|v| v > 0), "{c:?} ({x})");
            assert!(c.instructions.is_some_and(|v| v > 0), "{c:?}");
        } else {
            // No PMU for perf (a virtual machine) or no permission: unknown, never 0.
            assert_eq!(
                (c.cycles, c.instructions, c.cache_misses),
                (None, None, None)
            );
        }
        // The default mode never opens them (a perf event costs at every context switch).
        let c = Meter::start(CountingMode::Auto).finish();
        assert_eq!(
            (c.cycles, c.instructions, c.cache_misses),
            (None, None, None)
        );
    }
}
