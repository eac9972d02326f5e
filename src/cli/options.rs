//! `pinbench run`'s options, built and checked once (as hyperfine builds its `Options` and then
//! validates them against the commands): one scenario template, the axes of a sweep, and an
//! explicit choice between one scenario and a sweep. Every check is written here, once.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};

use super::RunArgs;
use crate::antagonist::{AntagonistAt, AntagonistSpec};
use crate::metrics::CountingMode;
use crate::profile::HardwareProfile;
use crate::runner::{Builtin, Executor, Model, PinBy, Recycle, Scenario};
use crate::stats::MIN_SAMPLES;
use crate::strategy::{LabelledStrategy, Strategy};
use crate::sweep::{Axes, SweepConfig, default_worker_counts};
use crate::workload::{Workload, default_workloads};

/// What every scenario of a run shares.
#[cfg(test)]
mod tests {
    #[test]
    fn strategies_split_on_commas_before_names_only() {
        assert_eq!(
            super::split_strategies("none,per-worker"),
            ["none", "per-worker"]
        );
        assert_eq!(
            super::split_strategies("cpus:0,1/2,inherited:0,1"),
            ["cpus:0,1/2", "inherited:0,1"]
        );
        assert_eq!(super::split_strategies("none@B"), ["none@B"]);
    }
}

#[derive(Debug, Clone)]
pub struct Template {
    pub duration: Duration,
    pub pin_by: PinBy,
    pub counting: CountingMode,
    pub recycle: Option<Recycle>,
    pub seed: u64,
    pub allow_mismatch: bool,
}

impl Template {
    /// The one place a scenario is made from the options.
    pub fn scenario(
        &self,
        workload: Workload,
        model: Model,
        workers: usize,
        antagonist: Option<AntagonistAt>,
    ) -> Scenario {
        Scenario {
            workload,
            model,
            workers,
            duration: self.duration,
            pin_by: self.pin_by,
            counting: self.counting,
            antagonist,
            recycle: self.recycle,
            seed: self.seed,
            allow_mismatch: self.allow_mismatch,
            ops: None,
            label: None,
        }
    }
}

/// One scenario, measured once and printed.
pub struct Single {
    /// The scenario, its antagonist not yet placed (that needs the plan).
    pub scenario: Scenario,
    pub strategy: Strategy,
    pub antagonist: Option<AntagonistSpec>,
    pub json: bool,
}

/// A sweep over axes, stored under `out`.
pub struct Sweep {
    pub template: Template,
    /// What measures each repetition: the built-in workloads, or the user's program.
    pub executor: std::sync::Arc<dyn Executor>,
    /// The user's program as profile.json records it (`exec`); none for built-in workloads.
    pub program: Option<crate::profile::Program>,
    pub axes: Axes,
    pub config: SweepConfig,
    pub out: PathBuf,
    pub json: bool,
}

pub enum RunOptions {
    Single(Single),
    Sweep(Sweep),
}

/// `--quick`'s workloads: fewer scenarios, not fewer samples. One of each kind that answers
/// the question fast: cpu, a cache working set half of L2 (where a migration costs a cold
/// cache), and pipe ping-pong (where the pair's placement dominates).
fn quick_workloads(profile: &HardwareProfile) -> Vec<Workload> {
    let all = default_workloads(profile);
    let cache_l2 = crate::workload::cache::default_sizes(profile)
        .get(1)
        .map(|&b| Workload::sized(&crate::workload::cache::Cache, b));
    let solo = all
        .iter()
        .find(|w| !w.family().talks() && w.size().is_none());
    let pair = all.iter().find(|w| w.family().pairs());
    solo.into_iter()
        .copied()
        .chain(cache_l2)
        .chain(pair.copied())
        .collect()
}

/// `-s none,per-worker` is two strategies; a comma inside a cpulist (`cpus:0,2/1`,
/// `inherited:0,1`) is followed by a digit, so only a comma before a letter separates.
pub(crate) fn split_strategies(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c == ','
            && text[i + 1..]
                .chars()
                .next()
                .is_some_and(|n| n.is_ascii_alphabetic())
        {
            out.push(&text[start..i]);
            start = i + 1;
        }
    }
    out.push(&text[start..]);
    out
}

/// `-s` as given (comma-separated or repeated), parsed.
pub(crate) fn parse_strategies(given: &[String]) -> Result<Vec<LabelledStrategy>> {
    Ok(given
        .iter()
        .flat_map(|s| split_strategies(s))
        .map(|s| s.parse::<LabelledStrategy>())
        .collect::<Result<Vec<_>, _>>()?)
}

/// The strategies given, or every default strategy when none was.
pub(crate) fn or_default_strategies(given: Vec<LabelledStrategy>) -> Vec<LabelledStrategy> {
    if given.is_empty() {
        Strategy::defaults()
            .into_iter()
            .map(LabelledStrategy::plain)
            .collect()
    } else {
        given
    }
}

/// The repetitions every scenario gets and the most any gets: `--reps R` alone runs exactly R
/// (as hyperfine's --runs); otherwise repetitions adapt to the precision target between the
/// minimum and `--max-reps` (`default_max` when not given).
pub(crate) fn repetitions(
    reps: Option<usize>,
    max_reps: Option<usize>,
    default_max: usize,
) -> Result<(usize, usize)> {
    let min = reps.unwrap_or(MIN_SAMPLES);
    if min == 0 {
        bail!("--reps 0: give at least 1 repetition ({MIN_SAMPLES} or more to judge differences)");
    }
    let max = match (reps, max_reps) {
        (_, Some(m)) => m,
        (Some(r), None) => r,
        (None, None) => default_max,
    };
    Ok((min, max.max(min)))
}

/// Whether the arguments ask for one scenario: one workload, strategy, worker count and at
/// most one model, and none of the options that only a sweep has.
fn is_single(a: &RunArgs) -> bool {
    a.workload.len() == 1
        && a.strategy.len() == 1
        && a.workers.len() == 1
        && a.model.len() <= 1
        && a.reps.is_none()
        && !a.quick
        && a.out.is_none()
}

impl RunOptions {
    /// Builds the options from the command line and checks them against this machine, before
    /// anything is measured.
    pub fn from_args(a: RunArgs, profile: &HardwareProfile) -> Result<Self> {
        if a.machine.sysfs_root.is_some() {
            bail!(
                "--sysfs-root describes a recorded machine; `run` measures this one: leave it out"
            );
        }
        if let Some(AntagonistSpec::Cpus(ant)) = &a.antagonist {
            let outside = ant.difference(&profile.allowed);
            if !outside.is_empty() {
                bail!(
                    "--antagonist {ant}: CPU(s) {outside} are outside the allowed set {}",
                    profile.allowed
                );
            }
        }
        if a.workers.contains(&0) {
            bail!("--workers 0: a scenario needs at least one worker");
        }
        if a.pin_by == PinBy::Tracer {
            bail!(
                "--pin-by tracer is how `pinbench exec` places a program's workers: give self or parent"
            );
        }
        if let Some(w) = a.workload.iter().find(|w| w.family().takes_name()) {
            bail!(
                "{}",
                crate::workload::WorkloadError::NotBuiltIn(w.to_string())
            );
        }
        if a.model.contains(&Model::Copies) {
            bail!("--model copies runs a program of yours: use `pinbench exec --each -- CMD`");
        }
        let single = is_single(&a)
            && a.strategy
                .iter()
                .map(|s| split_strategies(s).len())
                .sum::<usize>()
                == 1;
        if a.recycle.is_some() && (a.model.is_empty() || a.model.contains(&Model::Threads)) {
            bail!(
                "--recycle applies to --model processes only (threads are never recycled): add -m processes"
            );
        }
        let strategies = parse_strategies(&a.strategy)?;
        let template = Template {
            duration: a.duration.unwrap_or(if single {
                Duration::from_secs(1)
            } else if a.quick {
                Duration::from_millis(50)
            } else {
                Duration::from_millis(100)
            }),
            pin_by: a.pin_by,
            counting: a.counting,
            recycle: a.recycle.map(|k| Recycle {
                tasks_per_worker: k,
                task_ms: a.task_ms,
                repin: !a.no_repin,
            }),
            seed: a.seed,
            allow_mismatch: a.allow_mismatch,
        };
        if single {
            let model = a.model.first().copied().unwrap_or(Model::Threads);
            if a.pin_by == PinBy::Parent && model == Model::Threads {
                bail!(
                    "--pin-by parent pins process workers by pid after they start: add --model processes"
                );
            }
            let scenario = template.scenario(a.workload[0], model, a.workers[0], None);
            return Ok(RunOptions::Single(Single {
                scenario,
                strategy: strategies[0].strategy.clone(),
                antagonist: a.antagonist,
                json: a.json,
            }));
        }
        let (reps, max_reps) = repetitions(a.reps, a.max_reps, if a.quick { 20 } else { 30 })?;
        if a.pin_by == PinBy::Parent && (a.model.is_empty() || a.model.contains(&Model::Threads)) {
            bail!(
                "--pin-by parent pins process workers by pid after they start: add --model processes"
            );
        }
        let axes = Axes {
            workloads: match (a.workload.is_empty(), a.quick) {
                (false, _) => a.workload.clone(),
                (true, false) => default_workloads(profile),
                (true, true) => quick_workloads(profile),
            },
            strategies: or_default_strategies(strategies),
            models: if a.model.is_empty() {
                vec![Model::Threads, Model::Processes]
            } else {
                a.model.clone()
            },
            worker_counts: match (a.workers.is_empty(), a.quick) {
                (false, _) => a.workers.clone(),
                (true, false) => default_worker_counts(profile),
                // The allowed CPU count (at least a pair, for the pair workloads).
                (true, true) => vec![profile.allowed.len().max(2)],
            },
            antagonists: match &a.antagonist {
                Some(c) => vec![None, Some(c.clone())],
                None => vec![None],
            },
            pin_by: a.pin_by,
            placements: a.strategy.is_empty(),
        };
        Ok(RunOptions::Sweep(Sweep {
            template,
            executor: std::sync::Arc::new(Builtin),
            program: None,
            axes,
            config: SweepConfig {
                reps,
                max_reps,
                precision: a.precision,
                budget: a.budget.unwrap_or(if a.quick {
                    Duration::from_secs(30)
                } else {
                    Duration::from_secs(600)
                }),
                warmup: !a.no_warmup,
                threshold: a.threshold,
            },
            out: a.out.unwrap_or_else(|| PathBuf::from("results")),
            json: a.json,
        }))
    }
}
