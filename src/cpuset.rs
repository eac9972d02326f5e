//! Sets of logical CPU ids in the Linux cpulist syntax (`0-3,8,10-11`), the notation of
//! `taskset -c`, `/sys/devices/system/cpu/online` and cgroup `cpuset.cpus`.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Ids at or above this are refused by the parser: no Linux machine has them
/// (`CONFIG_NR_CPUS` tops out at 8192), and it keeps `0-4294967295` from eating memory.
pub const MAX_CPU_ID: usize = 8192;

/// Why a cpulist or CPU mask could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpuSetError {
    #[error("empty cpulist: expected ids and ranges such as `0-3,8`")]
    Empty,
    #[error(
        "bad cpulist `{text}`: `{part}` is not a CPU id or range (expected e.g. `0-3,8,10-11`)"
    )]
    BadPart { text: String, part: String },
    #[error("bad cpulist `{text}`: empty entry (a stray comma?); expected e.g. `0-3,8,10-11`")]
    EmptyPart { text: String },
    #[error("bad cpulist `{text}`: range `{part}` runs backwards (write it low-high)")]
    Backwards { text: String, part: String },
    #[error(
        "bad cpulist `{text}`: CPU id {id} is beyond any machine (ids stop below {MAX_CPU_ID})"
    )]
    TooLarge { text: String, id: usize },
    #[error("bad CPU mask `{0}`: expected comma-separated hex words such as `00000000,00000101`")]
    BadMask(String),
}

/// An ordered set of logical CPU ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CpuSet(BTreeSet<usize>);

impl CpuSet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(cpu: usize) -> Self {
        Self(BTreeSet::from([cpu]))
    }

    /// Parses a cpulist; an empty string is an error (use [`CpuSet::parse_allow_empty`] for
    /// sysfs files such as `offline` that are legitimately empty).
    pub fn parse(text: &str) -> Result<Self, CpuSetError> {
        let set = Self::parse_allow_empty(text)?;
        if set.is_empty() {
            return Err(CpuSetError::Empty);
        }
        Ok(set)
    }

    /// Parses a cpulist that may be empty (blank or only whitespace).
    pub fn parse_allow_empty(text: &str) -> Result<Self, CpuSetError> {
        let trimmed = text.trim();
        let mut set = BTreeSet::new();
        if trimmed.is_empty() {
            return Ok(Self(set));
        }
        let bad = |part: &str| CpuSetError::BadPart {
            text: trimmed.to_string(),
            part: part.to_string(),
        };
        let id = |part: &str, s: &str| -> Result<usize, CpuSetError> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(part));
            }
            let id: usize = s.parse().map_err(|_| CpuSetError::TooLarge {
                text: trimmed.to_string(),
                id: usize::MAX,
            })?;
            if id >= MAX_CPU_ID {
                return Err(CpuSetError::TooLarge {
                    text: trimmed.to_string(),
                    id,
                });
            }
            Ok(id)
        };
        for part in trimmed.split(',') {
            let part = part.trim();
            if part.is_empty() {
                return Err(CpuSetError::EmptyPart {
                    text: trimmed.to_string(),
                });
            }
            match part.split_once('-') {
                None => {
                    set.insert(id(part, part)?);
                }
                Some((lo, hi)) => {
                    let (lo, hi) = (id(part, lo)?, id(part, hi)?);
                    if lo > hi {
                        return Err(CpuSetError::Backwards {
                            text: trimmed.to_string(),
                            part: part.to_string(),
                        });
                    }
                    set.extend(lo..=hi);
                }
            }
        }
        Ok(Self(set))
    }

    /// Parses a sysfs hex mask (`shared_cpu_map`, `thread_siblings`): 32-bit words separated by
    /// commas, most significant first.
    pub fn parse_mask(text: &str) -> Result<Self, CpuSetError> {
        let trimmed = text.trim();
        let mut set = BTreeSet::new();
        let words: Vec<&str> = trimmed.split(',').collect();
        if trimmed.is_empty() {
            return Err(CpuSetError::BadMask(trimmed.to_string()));
        }
        for (i, word) in words.iter().rev().enumerate() {
            let w = word.trim().trim_start_matches("0x");
            let value = u32::from_str_radix(w, 16)
                .map_err(|_| CpuSetError::BadMask(trimmed.to_string()))?;
            for bit in 0..32 {
                if value & (1 << bit) != 0 {
                    let id = i * 32 + bit;
                    if id >= MAX_CPU_ID {
                        return Err(CpuSetError::BadMask(trimmed.to_string()));
                    }
                    set.insert(id);
                }
            }
        }
        Ok(Self(set))
    }

    pub fn insert(&mut self, cpu: usize) -> bool {
        self.0.insert(cpu)
    }

    pub fn contains(&self, cpu: usize) -> bool {
        self.0.contains(&cpu)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The ids in increasing order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = usize> + ExactSizeIterator + '_ {
        self.0.iter().copied()
    }

    pub fn first(&self) -> Option<usize> {
        self.0.first().copied()
    }

    pub fn last(&self) -> Option<usize> {
        self.0.last().copied()
    }

    /// The n-th smallest id.
    pub fn nth(&self, n: usize) -> Option<usize> {
        self.0.iter().nth(n).copied()
    }

    pub fn is_subset(&self, other: &CpuSet) -> bool {
        self.0.is_subset(&other.0)
    }

    pub fn intersection(&self, other: &CpuSet) -> CpuSet {
        Self(self.0.intersection(&other.0).copied().collect())
    }

    pub fn union(&self, other: &CpuSet) -> CpuSet {
        Self(self.0.union(&other.0).copied().collect())
    }

    pub fn difference(&self, other: &CpuSet) -> CpuSet {
        Self(self.0.difference(&other.0).copied().collect())
    }

    pub fn intersects(&self, other: &CpuSet) -> bool {
        !self.0.is_disjoint(&other.0)
    }

    /// The first `n` ids (all of them if there are fewer).
    pub fn take(&self, n: usize) -> CpuSet {
        Self(self.0.iter().take(n).copied().collect())
    }
}

impl FromIterator<usize> for CpuSet {
    fn from_iter<I: IntoIterator<Item = usize>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl FromStr for CpuSet {
    type Err = CpuSetError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for CpuSet {
    /// Writes the canonical cpulist: every run of consecutive ids becomes `a-b`, as the kernel
    /// writes `/sys/devices/system/cpu/online`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut iter = self.0.iter().copied().peekable();
        while let Some(start) = iter.next() {
            let mut end = start;
            while iter.peek() == Some(&(end + 1)) {
                end = iter.next().unwrap_or(end);
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            if start == end {
                write!(f, "{start}")?;
            } else {
                write!(f, "{start}-{end}")?;
            }
        }
        Ok(())
    }
}

impl Serialize for CpuSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CpuSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        CpuSet::parse_allow_empty(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_ranges_and_singles() {
        let s = CpuSet::parse("0-3,8,10-11").unwrap();
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![0, 1, 2, 3, 8, 10, 11]);
        assert_eq!(s.to_string(), "0-3,8,10-11");
        assert_eq!(CpuSet::parse(" 5\n").unwrap().to_string(), "5");
        assert_eq!(CpuSet::parse("1,0,1").unwrap().to_string(), "0-1");
        assert_eq!(CpuSet::parse("2,4").unwrap().to_string(), "2,4");
    }

    #[test]
    fn refuses_malformed_lists_naming_the_text() {
        for bad in [
            "1,", "3-1", "x", "", "  ", "-1", "1-", "1--2", "0x3", "1 2", ",1",
        ] {
            let err = CpuSet::parse(bad).unwrap_err();
            let msg = err.to_string();
            if !bad.trim().is_empty() {
                assert!(msg.contains(bad.trim()), "{bad:?}: {msg}");
            }
        }
        assert!(matches!(
            CpuSet::parse("3-1"),
            Err(CpuSetError::Backwards { .. })
        ));
        assert!(matches!(
            CpuSet::parse("0-99999999999999999999999"),
            Err(CpuSetError::TooLarge { .. })
        ));
        assert!(matches!(
            CpuSet::parse("8192"),
            Err(CpuSetError::TooLarge { id: 8192, .. })
        ));
    }

    #[test]
    fn empty_allowed_only_where_asked() {
        assert!(CpuSet::parse_allow_empty("\n").unwrap().is_empty());
        assert_eq!(CpuSet::parse(""), Err(CpuSetError::Empty));
    }

    #[test]
    fn parses_hex_masks() {
        assert_eq!(
            CpuSet::parse_mask("00000000,00000101").unwrap().to_string(),
            "0,8"
        );
        assert_eq!(
            CpuSet::parse_mask("00000001,00000000\n")
                .unwrap()
                .to_string(),
            "32"
        );
        assert_eq!(CpuSet::parse_mask("ff").unwrap().to_string(), "0-7");
        assert!(CpuSet::parse_mask("zz").is_err());
    }

    #[test]
    fn set_operations() {
        let a = CpuSet::parse("0-3").unwrap();
        let b = CpuSet::parse("2-5").unwrap();
        assert_eq!(a.intersection(&b).to_string(), "2-3");
        assert_eq!(a.union(&b).to_string(), "0-5");
        assert_eq!(a.difference(&b).to_string(), "0-1");
        assert_eq!(a.take(2).to_string(), "0-1");
        assert_eq!(a.nth(3), Some(3));
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(ids in proptest::collection::btree_set(0usize..2048, 1..64)) {
            let set: CpuSet = ids.into_iter().collect();
            let text = set.to_string();
            prop_assert_eq!(CpuSet::parse(&text).unwrap(), set);
        }

        #[test]
        fn parse_never_panics(text in "[0-9,\\- x]{0,20}") {
            let _ = CpuSet::parse(&text);
        }
    }
}
