//! The scenario matrix: workloads x strategies x models x worker counts x antagonist, planned
//! on the profile. Combinations a strategy cannot serve (per-worker with more workers than
//! CPUs, odd worker counts for pair workloads) are listed as skipped with the reason.

use std::time::Duration;

use crate::cpuset::CpuSet;
use crate::metrics::CountingMode;
use crate::plan::{Placement, plan};
use crate::profile::HardwareProfile;
use crate::runner::{Model, PinBy, Scenario};
use crate::store::ScenarioKey;
use crate::strategy::Strategy;
use crate::workload::{IpcKind, Workload, available_memory};

/// A strategy as a sweep names it: `per-worker`, or `per-worker@B` for a second label of the
/// same strategy (an A/A check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledStrategy {
    pub strategy: Strategy,
    pub label: Option<String>,
}

impl LabelledStrategy {
    pub fn parse(text: &str) -> Result<Self, String> {
        let (s, label) = match text.rsplit_once('@') {
            Some((s, l))
                if !l.is_empty()
                    && l.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
            {
                (s, Some(l.to_string()))
            }
            Some(_) => {
                return Err(format!(
                    "strategy `{text}`: a label after `@` is letters, digits, `-` or `_`"
                ));
            }
            None => (text, None),
        };
        Ok(Self {
            strategy: s
                .parse()
                .map_err(|e: crate::strategy::StrategyError| e.to_string())?,
            label,
        })
    }

    pub fn name(&self) -> String {
        match &self.label {
            Some(l) => format!("{}@{l}", self.strategy),
            None => self.strategy.to_string(),
        }
    }
}

/// The axes of a sweep.
#[derive(Debug, Clone)]
pub struct Axes {
    pub workloads: Vec<Workload>,
    pub strategies: Vec<LabelledStrategy>,
    pub models: Vec<Model>,
    pub worker_counts: Vec<usize>,
    /// `None` is the antagonist off.
    pub antagonists: Vec<Option<CpuSet>>,
    pub pin_by: PinBy,
    /// Add the pair placements of [`pair_placements`] for pair workloads at 2 workers.
    pub placements: bool,
}

/// Where the two ends of a pair can sit on this machine, as labelled explicit strategies:
/// `same-cpu`, `smt` (siblings of one core), `same-cache` (two cores under one last-level
/// cache), `other-cache` (one package, different last-level caches), `other-package`.
pub fn pair_placements(profile: &HardwareProfile) -> Vec<LabelledStrategy> {
    let t = &profile.topology;
    let allowed = &profile.allowed;
    let Some(a) = allowed.first() else {
        return Vec::new();
    };
    let core = |c: usize| t.core_of(c).and_then(|k| k.cpus.first());
    let llc = |c: usize| t.last_level_cache_of(c).and_then(|k| k.cpus.first());
    let pkg = |c: usize| t.package_of(c).map(|p| p.id);
    let mut out = vec![("same-cpu", a)];
    let others: Vec<usize> = allowed.iter().filter(|&b| b != a).collect();
    let classes: [(&str, &dyn Fn(usize) -> bool); 4] = [
        ("smt", &|b| core(b) == core(a)),
        ("same-cache", &|b| {
            core(b) != core(a) && llc(b) == llc(a) && llc(a).is_some()
        }),
        ("other-cache", &|b| pkg(b) == pkg(a) && llc(b) != llc(a)),
        ("other-package", &|b| pkg(b) != pkg(a)),
    ];
    for (label, test) in classes {
        if let Some(b) = others.iter().copied().find(|b| test(*b)) {
            out.push((label, b));
        }
    }
    out.into_iter()
        .map(|(label, b)| LabelledStrategy {
            strategy: Strategy::Cpus(vec![CpuSet::single(a), CpuSet::single(b)]),
            label: Some(label.to_string()),
        })
        .collect()
}

/// A scenario ready to run.
#[derive(Debug, Clone)]
pub struct Planned {
    pub key: ScenarioKey,
    pub scenario: Scenario,
    pub placement: Placement,
}

#[derive(Debug, Clone)]
pub struct Skipped {
    pub key: ScenarioKey,
    pub reason: String,
}

/// Rounds down to a power of two number of KiB, so sizes read well (`24KiB` stays `24KiB`).
fn tidy(bytes: u64) -> u64 {
    let kib = (bytes / 1024).max(1);
    if bytes.is_multiple_of(1024) && kib.is_power_of_two()
        || kib.is_multiple_of(3) && (kib / 3).is_power_of_two()
    {
        return kib * 1024;
    }
    (1u64 << (63 - kib.leading_zeros())) * 1024
}

/// The cache working sets for this machine: half of L1d, half of L2, half of a CPU's share of
/// L3, and four times L3 (from memory). Unknown caches fall back to typical sizes.
pub fn default_cache_sizes(profile: &HardwareProfile) -> Vec<u64> {
    let t = &profile.topology;
    let cpu = profile.allowed.first().unwrap_or(0);
    let l1 = t
        .cache_of(cpu, 1)
        .and_then(|c| c.size_bytes)
        .unwrap_or(32 << 10);
    let l2 = t
        .cache_of(cpu, 2)
        .and_then(|c| c.size_bytes)
        .unwrap_or(512 << 10);
    let (l3, sharing) = t
        .cache_of(cpu, 3)
        .map(|c| (c.size_bytes.unwrap_or(8 << 20), c.cpus.len().max(1) as u64))
        .unwrap_or((8 << 20, 1));
    let mut sizes = vec![
        tidy(l1 / 2),
        tidy(l2 / 2),
        tidy(l3 / sharing / 2),
        tidy(l3 * 4),
    ];
    sizes.dedup();
    sizes
}

/// Every workload of the default matrix.
pub fn default_workloads(profile: &HardwareProfile) -> Vec<Workload> {
    let mut w = vec![Workload::Cpu];
    w.extend(
        default_cache_sizes(profile)
            .into_iter()
            .map(|bytes| Workload::Cache { bytes }),
    );
    w.extend(IpcKind::ALL.into_iter().map(Workload::Ipc));
    w
}

/// 1, the allowed CPU count, and twice it (oversubscribed).
pub fn default_worker_counts(profile: &HardwareProfile) -> Vec<usize> {
    let n = profile.allowed.len();
    let mut v = vec![1, n, 2 * n];
    v.dedup();
    v
}

/// Expands the axes into scenarios and the combinations that cannot run.
pub fn build(
    axes: &Axes,
    profile: &HardwareProfile,
    duration: Duration,
    counting: CountingMode,
    seed: u64,
    allow_mismatch: bool,
) -> (Vec<Planned>, Vec<Skipped>) {
    let mut planned = Vec::new();
    let mut skipped = Vec::new();
    let memory = available_memory();
    for workload in &axes.workloads {
        for &workers in &axes.worker_counts {
            for model in &axes.models {
                for antagonist in &axes.antagonists {
                    let pair = matches!(
                        workload,
                        Workload::Ipc(IpcKind::Pipe | IpcKind::Socket | IpcKind::Shm)
                    );
                    let extra = if axes.placements && pair && workers == 2 {
                        pair_placements(profile)
                    } else {
                        Vec::new()
                    };
                    for s in axes.strategies.iter().chain(&extra) {
                        let placement =
                            plan(&s.strategy, &profile.topology, &profile.allowed, workers);
                        let pin_by = match &placement {
                            Ok(p) if *model == Model::Processes && p.pins_workers() => {
                                axes.pin_by.to_string()
                            }
                            _ => String::new(),
                        };
                        let key = ScenarioKey {
                            workload: workload.to_string(),
                            strategy: s.name(),
                            model: model.to_string(),
                            pin_by,
                            workers,
                            antagonist: antagonist
                                .as_ref()
                                .map(|a| a.to_string())
                                .unwrap_or_default(),
                        };
                        if let Err(e) = workload.validate(workers, memory) {
                            skipped.push(Skipped {
                                key,
                                reason: e.to_string(),
                            });
                            continue;
                        }
                        let placement = match placement {
                            Ok(p) => p,
                            Err(e) => {
                                skipped.push(Skipped {
                                    key,
                                    reason: e.to_string(),
                                });
                                continue;
                            }
                        };
                        planned.push(Planned {
                            key,
                            scenario: Scenario {
                                workload: *workload,
                                model: *model,
                                workers,
                                duration,
                                pin_by: axes.pin_by,
                                counting,
                                antagonist: antagonist.clone(),
                                recycle: None,
                                seed,
                                allow_mismatch,
                            },
                            placement,
                        });
                    }
                }
            }
        }
    }
    (planned, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_sizes() {
        assert_eq!(tidy(24 << 10), 24 << 10);
        assert_eq!(tidy(512 << 10), 512 << 10);
        assert_eq!(tidy(640 << 10), 512 << 10);
        assert_eq!(tidy(48 << 20), 48 << 20);
    }

    #[test]
    fn labels() {
        let l = LabelledStrategy::parse("none@again").unwrap();
        assert_eq!(l.name(), "none@again");
        assert_eq!(l.strategy, Strategy::None);
        assert!(LabelledStrategy::parse("none@").is_err());
        assert!(LabelledStrategy::parse("bogus").is_err());
    }
}
