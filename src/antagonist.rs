//! Where the noisy neighbour runs (`--antagonist`): fixed CPUs, or a place relative to the
//! workers, resolved against each scenario's plan, so every strategy meets its neighbour in the
//! same relation: on worker 0's CPU, on that CPU's SMT sibling, on a CPU no worker is planned
//! on, or floating over the allowed set.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::cpuset::CpuSet;
use crate::plan::Placement;
use crate::topology::Topology;

/// An antagonist as the command line and the CSV name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AntagonistSpec {
    /// These CPUs, whatever the plan.
    Cpus(CpuSet),
    /// Worker 0's CPU (for workers the plan does not pin: the first allowed CPU).
    Worker0,
    /// An SMT sibling of worker 0's CPU.
    Sibling,
    /// A CPU of the allowed set that no worker is planned on.
    Idle,
    /// One unpinned busy thread, placed by the OS.
    Floating,
}

/// Where a scenario's antagonist runs, resolved from its spec and plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AntagonistAt {
    Cpus(CpuSet),
    Floating,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AntagonistError {
    #[error(
        "--antagonist `{0}`: give a cpulist, or worker0, sibling, idle or floating (relative to the workers' plan)"
    )]
    Unknown(String),
    #[error("--antagonist sibling: CPU {0} has no SMT sibling in the allowed set")]
    NoSibling(usize),
    #[error("--antagonist idle: every allowed CPU has a worker planned on it")]
    NoIdle,
}

impl AntagonistSpec {
    /// The CPU worker 0 runs on: its planned CPU, or the first allowed one when unpinned.
    fn worker0(placement: &Placement, allowed: &CpuSet) -> Option<usize> {
        placement
            .workers
            .first()
            .and_then(|w| w.cpus.as_ref())
            .filter(|c| c.len() < allowed.len())
            .and_then(|c| c.first())
            .or_else(|| allowed.first())
    }

    /// Where this antagonist runs under `placement`.
    pub fn resolve(
        &self,
        placement: &Placement,
        topology: &Topology,
        allowed: &CpuSet,
    ) -> Result<AntagonistAt, AntagonistError> {
        let w0 = Self::worker0(placement, allowed);
        match self {
            AntagonistSpec::Cpus(c) => Ok(AntagonistAt::Cpus(c.clone())),
            AntagonistSpec::Floating => Ok(AntagonistAt::Floating),
            AntagonistSpec::Worker0 => Ok(AntagonistAt::Cpus(CpuSet::single(w0.unwrap_or(0)))),
            AntagonistSpec::Sibling => {
                let cpu = w0.unwrap_or(0);
                topology
                    .core_of(cpu)
                    .and_then(|core| core.cpus.iter().find(|&c| c != cpu && allowed.contains(c)))
                    .map(|c| AntagonistAt::Cpus(CpuSet::single(c)))
                    .ok_or(AntagonistError::NoSibling(cpu))
            }
            AntagonistSpec::Idle => {
                // Unpinned workers may be anywhere: leave out the CPUs per-worker would use.
                let used: CpuSet = if placement.pins_workers() {
                    placement
                        .workers
                        .iter()
                        .filter_map(|w| w.cpus.clone())
                        .fold(CpuSet::new(), |a, c| a.union(&c))
                } else {
                    allowed.iter().take(placement.workers.len()).collect()
                };
                allowed
                    .difference(&used)
                    .last()
                    .map(|c| AntagonistAt::Cpus(CpuSet::single(c)))
                    .ok_or(AntagonistError::NoIdle)
            }
        }
    }
}

impl FromStr for AntagonistSpec {
    type Err = AntagonistError;
    fn from_str(text: &str) -> Result<Self, AntagonistError> {
        Ok(match text.trim() {
            "worker0" => AntagonistSpec::Worker0,
            "sibling" => AntagonistSpec::Sibling,
            "idle" => AntagonistSpec::Idle,
            "floating" => AntagonistSpec::Floating,
            t => AntagonistSpec::Cpus(
                CpuSet::parse(t).map_err(|_| AntagonistError::Unknown(t.to_string()))?,
            ),
        })
    }
}

impl fmt::Display for AntagonistSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AntagonistSpec::Cpus(c) => write!(f, "{c}"),
            AntagonistSpec::Worker0 => f.write_str("worker0"),
            AntagonistSpec::Sibling => f.write_str("sibling"),
            AntagonistSpec::Idle => f.write_str("idle"),
            AntagonistSpec::Floating => f.write_str("floating"),
        }
    }
}

impl fmt::Display for AntagonistAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AntagonistAt::Cpus(c) => write!(f, "{c}"),
            AntagonistAt::Floating => f.write_str("floating"),
        }
    }
}

serde_as_text!(AntagonistSpec);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in ["worker0", "sibling", "idle", "floating", "1", "0-1"] {
            assert_eq!(t.parse::<AntagonistSpec>().unwrap().to_string(), t);
        }
        assert!("bogus".parse::<AntagonistSpec>().is_err());
    }
}
