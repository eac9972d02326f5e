//! Pinning strategies, named as on the command line and in every CSV (see DESIGN.md).

use std::fmt;
use std::str::FromStr;

use crate::cpuset::{CpuSet, CpuSetError};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// No affinity call: the OS places workers inside the harness's allowed set.
    None,
    /// The spawner sets its own mask (given, or the first `min(workers, allowed)` allowed CPUs),
    /// spawns, then restores it; workers inherit the mask and float inside it.
    Inherited(Option<CpuSet>),
    /// Worker i gets the i-th allowed CPU alone; more workers than CPUs is an error.
    PerWorker,
    /// Worker i gets `allowed[i % n]`.
    RoundRobin,
    /// One CPU each, filling SMT siblings, then a cache, then a package, before the next.
    Compact,
    /// One CPU each, spread across packages, NUMA nodes, caches, cores; SMT siblings last.
    Scatter,
    /// An explicit set per worker.
    Cpus(Vec<CpuSet>),
}

pub const STRATEGY_NAMES: &str =
    "none, inherited[:LIST], per-worker, round-robin, compact, scatter, cpus:L0/L1/...";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrategyError {
    #[error("unknown strategy `{0}`: expected one of {STRATEGY_NAMES}")]
    Unknown(String),
    #[error("strategy `{text}`: {source}")]
    BadList {
        text: String,
        #[source]
        source: CpuSetError,
    },
}

impl Strategy {
    /// The default set of strategies a sweep compares.
    pub fn defaults() -> Vec<Strategy> {
        vec![
            Strategy::None,
            Strategy::Inherited(None),
            Strategy::PerWorker,
            Strategy::RoundRobin,
            Strategy::Compact,
            Strategy::Scatter,
        ]
    }

    /// The family name without arguments (`inherited`, `cpus`, ...).
    pub fn family(&self) -> &'static str {
        match self {
            Strategy::None => "none",
            Strategy::Inherited(_) => "inherited",
            Strategy::PerWorker => "per-worker",
            Strategy::RoundRobin => "round-robin",
            Strategy::Compact => "compact",
            Strategy::Scatter => "scatter",
            Strategy::Cpus(_) => "cpus",
        }
    }
}

impl FromStr for Strategy {
    type Err = StrategyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let t = text.trim();
        let list = |s: &str| {
            CpuSet::parse(s).map_err(|source| StrategyError::BadList {
                text: t.to_string(),
                source,
            })
        };
        Ok(match t {
            "none" => Strategy::None,
            "inherited" => Strategy::Inherited(None),
            "per-worker" => Strategy::PerWorker,
            "round-robin" => Strategy::RoundRobin,
            "compact" => Strategy::Compact,
            "scatter" => Strategy::Scatter,
            _ => {
                if let Some(rest) = t.strip_prefix("inherited:") {
                    Strategy::Inherited(Some(list(rest)?))
                } else if let Some(rest) = t.strip_prefix("cpus:") {
                    Strategy::Cpus(rest.split('/').map(list).collect::<Result<_, _>>()?)
                } else {
                    return Err(StrategyError::Unknown(t.to_string()));
                }
            }
        })
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Strategy::Inherited(Some(set)) => write!(f, "inherited:{set}"),
            Strategy::Cpus(sets) => {
                f.write_str("cpus:")?;
                for (i, s) in sets.iter().enumerate() {
                    if i > 0 {
                        f.write_str("/")?;
                    }
                    write!(f, "{s}")?;
                }
                Ok(())
            }
            other => f.write_str(other.family()),
        }
    }
}

serde_as_text!(Strategy);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in [
            "none",
            "inherited",
            "inherited:0-1",
            "per-worker",
            "round-robin",
            "compact",
            "scatter",
            "cpus:0/1",
            "cpus:0-1/2,4",
        ] {
            let s: Strategy = name.parse().unwrap();
            assert_eq!(s.to_string(), name);
        }
    }

    #[test]
    fn refuses_unknown_and_malformed() {
        let e = "pinned".parse::<Strategy>().unwrap_err();
        assert!(e.to_string().contains("`pinned`") && e.to_string().contains("per-worker"));
        assert!(matches!(
            "cpus:0//1".parse::<Strategy>(),
            Err(StrategyError::BadList { .. })
        ));
        assert!("inherited:".parse::<Strategy>().is_err());
        assert!("cpus:3-1".parse::<Strategy>().is_err());
    }
}
