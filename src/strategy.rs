//! Pinning strategies, named as on the command line and in every CSV; what each one places where
//! is the contract in docs/ARCHITECTURE.md#strategies.

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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrategyError {
    #[error(
        "unknown strategy `{0}`{hint}: expected one of {usage}",
        hint = crate::suggest::did_you_mean(.0, Strategy::kinds().iter().filter(|k| !k.takes_list()).map(Strategy::family)),
        usage = Strategy::usage()
    )]
    Unknown(String),
    #[error("strategy `{text}`: {source}")]
    BadList {
        text: String,
        #[source]
        source: CpuSetError,
    },
}

impl Strategy {
    /// One strategy of each family, in the order help texts list them: the one registry every
    /// list of strategy names (help, errors, suggestions, parsing) is derived from.
    pub fn kinds() -> [Strategy; 7] {
        [
            Strategy::None,
            Strategy::Inherited(None),
            Strategy::PerWorker,
            Strategy::RoundRobin,
            Strategy::Compact,
            Strategy::Scatter,
            Strategy::Cpus(Vec::new()),
        ]
    }

    /// Whether the family needs a cpulist after its name (`cpus:`); `inherited` takes one
    /// optionally.
    fn takes_list(&self) -> bool {
        matches!(self, Strategy::Cpus(_))
    }

    /// How each family is written: `none, inherited[:LIST], ..., cpus:L0/L1/...`.
    pub fn usage() -> String {
        Self::kinds()
            .iter()
            .map(|k| match k {
                Strategy::Inherited(_) => "inherited[:LIST]".to_string(),
                Strategy::Cpus(_) => "cpus:L0/L1/...".to_string(),
                k => k.family().to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

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
        if let Some(bare) = Self::kinds()
            .into_iter()
            .find(|k| !k.takes_list() && k.family() == t)
        {
            return Ok(bare);
        }
        Ok(if let Some(rest) = t.strip_prefix("inherited:") {
            Strategy::Inherited(Some(list(rest)?))
        } else if let Some(rest) = t.strip_prefix("cpus:") {
            Strategy::Cpus(rest.split('/').map(list).collect::<Result<_, _>>()?)
        } else {
            return Err(StrategyError::Unknown(t.to_string()));
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

/// Where the two ends of a pair sit relative to each other: the labels of the pair placements a
/// sweep adds for pair workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PairPlace {
    SameCpu,
    Smt,
    SameCache,
    OtherCache,
    OtherPackage,
}

impl PairPlace {
    pub const ALL: [PairPlace; 5] = [
        PairPlace::SameCpu,
        PairPlace::Smt,
        PairPlace::SameCache,
        PairPlace::OtherCache,
        PairPlace::OtherPackage,
    ];

    pub fn label(&self) -> &'static str {
        match self {
            PairPlace::SameCpu => "same-cpu",
            PairPlace::Smt => "smt",
            PairPlace::SameCache => "same-cache",
            PairPlace::OtherCache => "other-cache",
            PairPlace::OtherPackage => "other-package",
        }
    }
}

/// A strategy as a sweep names it: `per-worker`, or `per-worker@B` for a second label of the
/// same strategy (an A/A check); the pair placements are `cpus:0/1@same-cache` and the like.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LabelledStrategy {
    pub strategy: Strategy,
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("strategy `{0}`: a label after `@` is letters, digits, `-` or `_`")]
    BadLabel(String),
    #[error(transparent)]
    Strategy(#[from] StrategyError),
}

impl LabelledStrategy {
    pub fn plain(strategy: Strategy) -> Self {
        Self {
            strategy,
            label: None,
        }
    }

    /// The baseline every strategy is judged against: `none`, unlabelled.
    pub fn baseline() -> Self {
        Self::plain(Strategy::None)
    }

    pub fn is_baseline(&self) -> bool {
        *self == Self::baseline()
    }

    /// Whether this runs strategy `none`, under any label (the baseline or an A/A partner).
    pub fn is_none_strategy(&self) -> bool {
        self.strategy == Strategy::None
    }

    /// The pair placement this names, if it is one.
    pub fn pair_place(&self) -> Option<PairPlace> {
        let label = self.label.as_deref()?;
        PairPlace::ALL.into_iter().find(|p| p.label() == label)
    }

    /// Position among the default strategies (unlabelled, as `Strategy::defaults` lists them);
    /// charts draw these first, in this order.
    pub fn default_rank(&self) -> Option<usize> {
        if self.label.is_some() {
            return None;
        }
        Strategy::defaults()
            .iter()
            .position(|s| *s == self.strategy)
    }

    /// The name used to join machines whose CPU ids differ: a pair placement by its label
    /// (`@same-cache`), everything else by its full name.
    pub fn join_name(&self) -> String {
        match (&self.strategy, &self.label) {
            (Strategy::Cpus(_), Some(l)) => format!("@{l}"),
            _ => self.to_string(),
        }
    }
}

impl Default for LabelledStrategy {
    fn default() -> Self {
        Self::baseline()
    }
}

impl FromStr for LabelledStrategy {
    type Err = LabelError;
    fn from_str(text: &str) -> Result<Self, LabelError> {
        let (s, label) = match text.rsplit_once('@') {
            Some((s, l))
                if !l.is_empty()
                    && l.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
            {
                (s, Some(l.to_string()))
            }
            Some(_) => return Err(LabelError::BadLabel(text.to_string())),
            None => (text, None),
        };
        Ok(Self {
            strategy: s.parse()?,
            label,
        })
    }
}

impl fmt::Display for LabelledStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.label {
            Some(l) => write!(f, "{}@{l}", self.strategy),
            None => write!(f, "{}", self.strategy),
        }
    }
}

impl Ord for LabelledStrategy {
    /// By name: a stable order for keys; charts order by [`LabelledStrategy::default_rank`].
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.to_string().cmp(&other.to_string())
    }
}

impl PartialOrd for LabelledStrategy {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

serde_as_text!(LabelledStrategy);

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
    fn labels() {
        let l: LabelledStrategy = "none@again".parse().unwrap();
        assert_eq!(l.to_string(), "none@again");
        assert_eq!(l.strategy, Strategy::None);
        assert!(l.is_none_strategy() && !l.is_baseline());
        assert!("none@".parse::<LabelledStrategy>().is_err());
        assert!("bogus".parse::<LabelledStrategy>().is_err());
        let p: LabelledStrategy = "cpus:0/1@same-cache".parse().unwrap();
        assert_eq!(p.pair_place(), Some(PairPlace::SameCache));
        assert_eq!(p.join_name(), "@same-cache");
        assert_eq!(LabelledStrategy::baseline().default_rank(), Some(0));
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
