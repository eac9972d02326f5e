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
