//! Which way a figure is better: the built-in workloads' throughput and a program's rate are
//! higher-is-better, a program's time or latency lower-is-better. Judging turns a lower-is-better
//! figure into its inverse, so every speedup reads the same way.

use std::fmt;
use std::str::FromStr;

/// Which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// A rate: items/s, requests/s.
    Higher,
    /// A time or a latency.
    Lower,
}

impl FromStr for Better {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "higher" => Ok(Better::Higher),
            "lower" => Ok(Better::Lower),
            _ => Err(format!(
                "`{s}`: say which way the metric is better, higher (a rate) or lower (a time)"
            )),
        }
    }
}

impl fmt::Display for Better {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Better::Higher => "higher",
            Better::Lower => "lower",
        })
    }
}

serde_as_text!(Better);
