//! Sizes named by the role they play on a machine (`cache:L2/2`, `mem:2xLLC`). The default cache
//! and memory workloads are sized from each machine's own caches, so the same question ("a
//! working set that lives in L2") has different bytes on different machines; named by its role,
//! it joins across machines, and the bytes it resolved to stay beside it (`size_bytes`).
//! A size given in bytes (`cache:1MiB`) stays a byte size. See
//! `docs/ARCHITECTURE.md#workloads`.

use std::fmt;

use crate::profile::HardwareProfile;
use crate::size::format_size;

/// What a working set is sized after, on the machine it runs on. The spelling is the text after
/// the family's `:` (`cache:L2/2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SizeRole {
    /// Half the L1 data cache.
    HalfL1d,
    /// Half the L2.
    HalfL2,
    /// Half of one CPU's share of the L3 (its size over the CPUs that share it).
    HalfL3Share,
    /// Four times the last-level cache: every access from memory.
    FourLlc,
    /// Twice the last-level cache: a stream beyond it.
    TwoLlc,
}

impl SizeRole {
    /// Every role, in the order workloads list them.
    pub const ALL: [SizeRole; 5] = [
        SizeRole::HalfL1d,
        SizeRole::HalfL2,
        SizeRole::HalfL3Share,
        SizeRole::FourLlc,
        SizeRole::TwoLlc,
    ];

    /// How the role is written after `family:`.
    pub fn spelling(&self) -> &'static str {
        match self {
            SizeRole::HalfL1d => "L1d/2",
            SizeRole::HalfL2 => "L2/2",
            SizeRole::HalfL3Share => "L3share/2",
            SizeRole::FourLlc => "4xLLC",
            SizeRole::TwoLlc => "2xLLC",
        }
    }

    /// The role written as given (case aside), or `None`.
    pub fn parse(text: &str) -> Option<SizeRole> {
        Self::ALL
            .into_iter()
            .find(|r| r.spelling().eq_ignore_ascii_case(text.trim()))
    }

    /// The bytes before a family rounds them, from the machine's caches; `None` where the
    /// machine does not say (no such cache, or no size for it).
    pub fn raw_bytes(&self, c: &MachineCaches) -> Option<u64> {
        match self {
            SizeRole::HalfL1d => c.l1d.size().map(|b| b / 2),
            SizeRole::HalfL2 => c.l2.size().map(|b| b / 2),
            SizeRole::HalfL3Share => c.l3.size().map(|b| b / c.l3_sharing.max(1) as u64 / 2),
            SizeRole::FourLlc => c.llc.size().map(|b| b * 4),
            SizeRole::TwoLlc => c.llc.size().map(|b| b * 2),
        }
    }

    /// The cache this role is sized after, as the machine holds it.
    fn level<'a>(&self, c: &'a MachineCaches) -> (&'static str, &'a Level) {
        match self {
            SizeRole::HalfL1d => ("L1d", &c.l1d),
            SizeRole::HalfL2 => ("L2", &c.l2),
            SizeRole::HalfL3Share => ("L3", &c.l3),
            SizeRole::FourLlc | SizeRole::TwoLlc => ("last-level cache", &c.llc),
        }
    }

    /// Why the role has no bytes on this machine (`no L3`), or `None` where it has.
    pub fn lacking(&self, c: &MachineCaches) -> Option<String> {
        let (name, level) = self.level(c);
        match level {
            Level::Size(_) => None,
            Level::Unsized => Some(format!("no size for its {name}")),
            Level::Absent => Some(format!("no {name}")),
        }
    }

    /// Whether the machine lists the cache but not its size, or lists no cache at all: a
    /// typical size stands in for it (as bytes, not as the role).
    pub fn unknown(&self, c: &MachineCaches) -> bool {
        matches!(self.level(c).1, Level::Unsized)
    }
}

impl fmt::Display for SizeRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.spelling())
    }
}

/// One cache level as a machine reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Size(u64),
    /// Listed without a size, or the machine lists no cache at all (it may have one).
    Unsized,
    /// The machine lists caches, and not this one.
    Absent,
}

impl Level {
    pub fn size(&self) -> Option<u64> {
        match self {
            Level::Size(b) => Some(*b),
            _ => None,
        }
    }
}

/// The caches a workload's roles are sized from: those of the first allowed CPU, as the
/// default sweep has always read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineCaches {
    pub l1d: Level,
    pub l2: Level,
    pub l3: Level,
    /// CPUs sharing that L3.
    pub l3_sharing: usize,
    pub llc: Level,
}

impl MachineCaches {
    pub fn of(profile: &HardwareProfile) -> Self {
        let t = &profile.topology;
        let cpu = profile.allowed.first().unwrap_or(0);
        let listed = t
            .caches
            .iter()
            .any(|c| c.holds_data() && c.cpus.contains(cpu));
        let level = |c: Option<&crate::topology::Cache>| match c {
            Some(c) => c.size_bytes.map_or(Level::Unsized, Level::Size),
            None if listed => Level::Absent,
            None => Level::Unsized,
        };
        Self {
            l1d: level(t.cache_of(cpu, 1)),
            l2: level(t.cache_of(cpu, 2)),
            l3: level(t.cache_of(cpu, 3)),
            l3_sharing: t.cache_of(cpu, 3).map_or(1, |c| c.cpus.len().max(1)),
            llc: level(t.last_level_cache_of(cpu)),
        }
    }

    /// Typical sizes for a machine that does not say (32 KiB L1d, 512 KiB L2, 8 MiB L3 of one
    /// CPU's): the sizes the defaults stand in with, as bytes.
    pub fn typical() -> Self {
        Self {
            l1d: Level::Size(32 << 10),
            l2: Level::Size(512 << 10),
            l3: Level::Size(8 << 20),
            l3_sharing: 1,
            llc: Level::Size(8 << 20),
        }
    }

    /// `L1d 48KiB, L2 2MiB, L3 260MiB / 2 CPUs`, for comparisons.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (name, l) in [("L1d", self.l1d), ("L2", self.l2), ("L3", self.l3)] {
            match l {
                Level::Size(b) if name == "L3" && self.l3_sharing > 1 => parts.push(format!(
                    "{name} {} / {} CPUs",
                    format_size(b),
                    self.l3_sharing
                )),
                Level::Size(b) => parts.push(format!("{name} {}", format_size(b))),
                Level::Unsized => parts.push(format!("{name} ?")),
                Level::Absent => {}
            }
        }
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_parse_back() {
        for r in SizeRole::ALL {
            assert_eq!(SizeRole::parse(r.spelling()), Some(r));
        }
        assert_eq!(SizeRole::parse("l2/2"), Some(SizeRole::HalfL2));
        assert_eq!(SizeRole::parse("L2"), None);
        assert_eq!(SizeRole::parse("1MiB"), None);
    }

    #[test]
    fn a_missing_cache_is_said() {
        let c = MachineCaches {
            l1d: Level::Size(32 << 10),
            l2: Level::Size(1 << 20),
            l3: Level::Absent,
            l3_sharing: 1,
            llc: Level::Size(1 << 20),
        };
        assert_eq!(SizeRole::HalfL2.raw_bytes(&c), Some(512 << 10));
        assert_eq!(SizeRole::HalfL3Share.raw_bytes(&c), None);
        assert_eq!(SizeRole::HalfL3Share.lacking(&c).as_deref(), Some("no L3"));
        assert_eq!(SizeRole::FourLlc.raw_bytes(&c), Some(4 << 20));
        assert_eq!(c.describe(), "L1d 32KiB, L2 1MiB");
    }
}
