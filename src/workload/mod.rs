//! Workload generators. Each worker runs its share for a given duration and reports the
//! operations it completed; `cpu` and `cache` run alone, `ipc:*` workers talk to each other.

pub mod cache;
pub mod cpu;
pub mod ipc;

use std::fmt;
use std::str::FromStr;

pub use ipc::IpcKind;

/// A workload as named on the command line and in every CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Workload {
    /// Compute-bound: integer mixing with no memory traffic to speak of.
    Cpu,
    /// Pointer chasing through a private random cycle of this many bytes.
    Cache { bytes: u64 },
    /// Workers talking through a transport.
    Ipc(IpcKind),
}

pub const WORKLOAD_NAMES: &str = "cpu, cache:<size> (e.g. cache:24KiB, cache:64MiB), ipc:pipe, ipc:socket, ipc:shm, ipc:queue, ipc:server";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkloadError {
    #[error("unknown workload `{0}`: expected one of {WORKLOAD_NAMES}")]
    Unknown(String),
    #[error(
        "unknown ipc variant `{0}`: expected ipc:pipe, ipc:socket, ipc:shm, ipc:queue or ipc:server"
    )]
    UnknownIpc(String),
    #[error(
        "workload `{0}`: bad size; give a number with a unit, such as cache:24KiB or cache:64MiB"
    )]
    BadSize(String),
    #[error("workload `{0}`: a working set must hold at least 128 bytes (two cache lines)")]
    TooSmall(String),
    #[error(
        "workload `{text}` needs {need_mib} MiB for {workers} workers but the machine has {have_mib} MiB available: use a smaller size or fewer workers"
    )]
    TooLarge {
        text: String,
        workers: usize,
        need_mib: u64,
        have_mib: u64,
    },
    #[error(
        "workload `{workload}` runs workers in pairs: give an even number of workers, not {workers}"
    )]
    OddWorkers { workload: String, workers: usize },
    #[error(
        "workload `{workload}` needs at least 2 workers (one {role} and at least one peer), not {workers}"
    )]
    TooFewWorkers {
        workload: String,
        role: &'static str,
        workers: usize,
    },
}

/// Parses `24KiB`, `64MiB`, `1GiB`, `32K`, `512` (bytes).
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult: u64 = match unit.trim() {
        "" | "B" => 1,
        "K" | "KiB" | "k" | "KB" => 1 << 10,
        "M" | "MiB" | "MB" => 1 << 20,
        "G" | "GiB" | "GB" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// Writes a size in the largest binary unit that divides it exactly.
pub fn format_size(bytes: u64) -> String {
    for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{}{unit}", bytes >> shift);
        }
    }
    format!("{bytes}B")
}

impl Workload {
    /// Checks that `workers` workers can run this workload on a machine with `available_bytes`
    /// of memory.
    pub fn validate(
        &self,
        workers: usize,
        available_bytes: Option<u64>,
    ) -> Result<(), WorkloadError> {
        match self {
            Workload::Cpu => Ok(()),
            Workload::Cache { bytes } => {
                if *bytes < 128 {
                    return Err(WorkloadError::TooSmall(self.to_string()));
                }
                if let Some(have) = available_bytes {
                    let need = bytes.saturating_mul(workers as u64);
                    // Leave a quarter of what is free to everything else.
                    if need > have / 4 * 3 {
                        return Err(WorkloadError::TooLarge {
                            text: self.to_string(),
                            workers,
                            need_mib: need >> 20,
                            have_mib: have >> 20,
                        });
                    }
                }
                Ok(())
            }
            Workload::Ipc(kind) => kind.validate(workers, &self.to_string()),
        }
    }

    /// Whether results are latencies of round trips or accesses (`ns_per_op` is meaningful).
    pub fn reports_latency(&self) -> bool {
        !matches!(self, Workload::Cpu)
    }
}

/// Available memory from `/proc/meminfo`.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    text.lines()
        .find(|l| l.starts_with("MemAvailable:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map(|kib| kib * 1024)
}

impl FromStr for Workload {
    type Err = WorkloadError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let t = text.trim();
        if t == "cpu" {
            return Ok(Workload::Cpu);
        }
        if let Some(size) = t.strip_prefix("cache:") {
            let bytes = parse_size(size).ok_or_else(|| WorkloadError::BadSize(t.to_string()))?;
            if bytes < 128 {
                return Err(WorkloadError::TooSmall(t.to_string()));
            }
            return Ok(Workload::Cache { bytes });
        }
        if t == "cache" {
            return Err(WorkloadError::BadSize(t.to_string()));
        }
        if let Some(kind) = t.strip_prefix("ipc:") {
            return kind
                .parse()
                .map(Workload::Ipc)
                .map_err(|_| WorkloadError::UnknownIpc(t.to_string()));
        }
        if t == "ipc" {
            return Err(WorkloadError::UnknownIpc(t.to_string()));
        }
        Err(WorkloadError::Unknown(t.to_string()))
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Workload::Cpu => f.write_str("cpu"),
            Workload::Cache { bytes } => write!(f, "cache:{}", format_size(*bytes)),
            Workload::Ipc(kind) => write!(f, "ipc:{kind}"),
        }
    }
}

serde_as_text!(Workload);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in [
            "cpu",
            "cache:24KiB",
            "cache:64MiB",
            "cache:1536KiB",
            "ipc:pipe",
            "ipc:socket",
            "ipc:shm",
            "ipc:queue",
            "ipc:server",
        ] {
            assert_eq!(name.parse::<Workload>().unwrap().to_string(), name);
        }
        assert_eq!(
            "cache:32K".parse::<Workload>().unwrap().to_string(),
            "cache:32KiB"
        );
    }

    #[test]
    fn bad_names_and_sizes() {
        assert!(matches!(
            "gpu".parse::<Workload>(),
            Err(WorkloadError::Unknown(_))
        ));
        assert!(matches!(
            "ipc:carrier-pigeon".parse::<Workload>(),
            Err(WorkloadError::UnknownIpc(_))
        ));
        assert!(matches!(
            "cache:0".parse::<Workload>(),
            Err(WorkloadError::TooSmall(_))
        ));
        assert!(matches!(
            "cache:12XB".parse::<Workload>(),
            Err(WorkloadError::BadSize(_))
        ));
        assert!(matches!(
            "cache:99999999999999999999G".parse::<Workload>(),
            Err(WorkloadError::BadSize(_))
        ));
        let big = Workload::Cache { bytes: 1 << 40 };
        assert!(matches!(
            big.validate(2, Some(8 << 30)),
            Err(WorkloadError::TooLarge { .. })
        ));
        assert!(Workload::Ipc(IpcKind::Pipe).validate(3, None).is_err());
        assert!(Workload::Ipc(IpcKind::Queue).validate(1, None).is_err());
        assert!(Workload::Ipc(IpcKind::Queue).validate(3, None).is_ok());
    }
}
