//! The `cpu-migrations` software event of the calling thread. It must count kernel-side events
//! (`exclude_kernel(false)`): a migration happens in the kernel, and with the default exclusion
//! perf-event2 reads 0. Under `perf_event_paranoid >= 2` only privileged users may do that; the
//! caller then falls back to procfs.

use perf_event::Builder;
use perf_event::Counter;
use perf_event::events::Software;

pub struct PerfCounters {
    migrations: Counter,
}

impl PerfCounters {
    /// Opens and enables the counter on the calling thread, any CPU.
    pub fn start() -> std::io::Result<Self> {
        let mut migrations = Builder::new(Software::CPU_MIGRATIONS)
            .exclude_kernel(false)
            .exclude_hv(false)
            .build()?;
        migrations.enable()?;
        Ok(Self { migrations })
    }

    pub fn migrations(&mut self) -> std::io::Result<u64> {
        self.migrations.read()
    }

    /// Whether perf software events that count kernel activity can be opened here.
    pub fn available() -> bool {
        Self::start().is_ok()
    }
}

/// Hardware counters of the calling thread, user space only (what `perf_event_paranoid` 2
/// still allows a user to count of their own threads): cycles, instructions and last-level
/// cache misses. A machine without a PMU for perf (most virtual machines) refuses to open
/// them; then there are none, and the cells stay empty.
pub struct HardwareCounters {
    cycles: Counter,
    instructions: Counter,
    cache_misses: Counter,
}

/// What [`HardwareCounters`] counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HardwareCounts {
    pub cycles: u64,
    pub instructions: u64,
    pub cache_misses: u64,
}

impl HardwareCounters {
    /// Opens and enables the three counters on the calling thread, any CPU; an error when any
    /// of them cannot be opened.
    pub fn start() -> std::io::Result<Self> {
        use perf_event::events::Hardware;
        let open = |e: Hardware| -> std::io::Result<Counter> {
            let mut c = Builder::new(e).build()?;
            c.enable()?;
            Ok(c)
        };
        Ok(Self {
            cycles: open(Hardware::CPU_CYCLES)?,
            instructions: open(Hardware::INSTRUCTIONS)?,
            cache_misses: open(Hardware::CACHE_MISSES)?,
        })
    }

    pub fn read(&mut self) -> std::io::Result<HardwareCounts> {
        Ok(HardwareCounts {
            cycles: self.cycles.read()?,
            instructions: self.instructions.read()?,
            cache_misses: self.cache_misses.read()?,
        })
    }

    /// Whether this machine lets this user count them.
    pub fn available() -> bool {
        Self::start().is_ok()
    }
}
