//! `--metric REGEX`: the program's own figure, read from its output, instead of its wall time.
//! The last match counts (a program that prints progress ends with its result); the number is
//! the pattern's one capture group. A pattern without one is refused before anything runs: its
//! whole match (`rate: 12`) is rarely a number, and every run would fail on it.

use crate::stats::Better;

#[derive(Debug, Clone)]
pub struct Metric {
    regex: regex::Regex,
    better: Better,
}

impl PartialEq for Metric {
    fn eq(&self, o: &Self) -> bool {
        self.regex.as_str() == o.regex.as_str() && self.better == o.better
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum MetricError {
    #[error("--metric `{pattern}` is not a regular expression: {why}")]
    Syntax { pattern: String, why: String },
    #[error(
        "--metric `{pattern}` has {groups} capture groups: give one, around the number (e.g. 'took ([0-9.]+) s')"
    )]
    Groups { pattern: String, groups: usize },
}

impl Metric {
    pub fn new(pattern: &str, better: Better) -> Result<Self, MetricError> {
        let regex = regex::Regex::new(pattern).map_err(|e| MetricError::Syntax {
            pattern: pattern.into(),
            why: e
                .to_string()
                .lines()
                .last()
                .unwrap_or("")
                .trim()
                .to_string(),
        })?;
        let groups = regex.captures_len() - 1;
        if groups != 1 {
            return Err(MetricError::Groups {
                pattern: pattern.into(),
                groups,
            });
        }
        Ok(Self { regex, better })
    }

    pub fn pattern(&self) -> &str {
        self.regex.as_str()
    }

    pub fn better(&self) -> Better {
        self.better
    }

    /// The figure of the last match that holds a number.
    pub fn find(&self, output: &str) -> Option<f64> {
        self.regex
            .captures_iter(output)
            .filter_map(|c| {
                let m = c.get(1)?;
                m.as_str().trim().parse::<f64>().ok()
            })
            .last()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_match_counts() {
        let m = Metric::new(r"rate: ([0-9.e+]+) items/s", Better::Higher).unwrap();
        let out = "rate: 10 items/s\nwarming\nrate: 12.5 items/s\ndone\n";
        assert_eq!(m.find(out), Some(12.5));
        assert_eq!(m.find("nothing"), None);
        let lower = Metric::new(r"took ([0-9]+\.[0-9]+)", Better::Lower).unwrap();
        assert_eq!(lower.find("took 1.25 s"), Some(1.25));
    }

    #[test]
    fn bad_patterns_are_refused() {
        assert!(matches!(
            Metric::new("(unclosed", Better::Higher),
            Err(MetricError::Syntax { .. })
        ));
        assert!(matches!(
            Metric::new("(a)(b)", Better::Higher),
            Err(MetricError::Groups { groups: 2, .. })
        ));
        // No group: the whole match would hold the label with the number.
        assert!(matches!(
            Metric::new("rate: [0-9.]+", Better::Higher),
            Err(MetricError::Groups { groups: 0, .. })
        ));
        assert!("sideways".parse::<Better>().is_err());
    }
}
