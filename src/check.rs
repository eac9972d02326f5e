//! The result of one environment check: what it found, how much it matters, what to do. The
//! checks themselves live in `doctor`; the profile records their results through this type
//! alone, so neither module imports the other's logic.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    Info,
    Warn,
    /// The machine is not fit for measuring until this is fixed.
    Fail,
}

impl Level {
    pub fn as_str(&self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Fail => "FAIL",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub level: Level,
    pub found: String,
    pub advice: String,
}

pub fn check(
    name: &str,
    level: Level,
    found: impl Into<String>,
    advice: impl Into<String>,
) -> Check {
    Check {
        name: name.into(),
        level,
        found: found.into(),
        advice: advice.into(),
    }
}
