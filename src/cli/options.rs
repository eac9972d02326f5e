//! The options of `run` and `exec`, built and checked once (as hyperfine builds its `Options` and
//! then validates them against the commands): the options both share ([`SweepArgs`], one
//! declaration flattened into each verb), one scenario template, the axes of a sweep, and an
//! explicit choice between one scenario and a sweep. Every check is written here, once.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};

use clap::Args;

use super::{RunArgs, parse_count, parse_threshold, run_cmd::parse_duration};
use crate::antagonist::{AntagonistAt, AntagonistSpec};
use crate::metrics::CountingMode;
use crate::profile::HardwareProfile;
use crate::runner::{Builtin, Executor, Model, PinBy, Recycle, Scenario};
use crate::stats::MIN_SAMPLES;
use crate::strategy::{LabelledStrategy, Strategy};
use crate::sweep::{Axes, SweepConfig};
use crate::workload::{Workload, default_workloads};

/// The options `run` and `exec` share: what is compared, how often, how it is judged, and where
/// it is stored. Declared once and flattened into both verbs, so a new sweep option is one
/// field here and its use in [`SweepArgs::config`].
#[derive(Args, Debug, Clone)]
pub struct SweepArgs {
    // Help derived from the strategy registry.
    #[arg(long, short, help = strategy_help())]
    pub strategy: Vec<String>,
    /// Worker counts (comma-separated). For `exec`, the slots of the plan: how many workers the
    /// program runs, which it reads as PINBENCH_WORKERS. Default: one count per topology level
    /// (1, 2, one last-level cache's CPUs, the allowed CPU count, twice it; `exec`: the allowed
    /// CPU count).
    #[arg(long, short, value_delimiter = ',', allow_negative_numbers = true, value_parser = parse_count)]
    pub workers: Vec<usize>,
    /// Repetitions of every scenario after the warm-up: exactly this many, unless --max-reps is
    /// given too. Default: 6 (the fewest that give the median a 95 % interval), then more, racing,
    /// for scenarios whose comparison with `none` is still open.
    #[arg(long, allow_negative_numbers = true, value_parser = parse_count)]
    pub reps: Option<usize>,
    /// Also repeat a scenario (interleaved with the others) until its median's 95 % interval is
    /// within this fraction of the median, or --max-reps or --budget is reached. Default: not a
    /// goal (repetitions go to open comparisons); 2 % is the precision the summary reports.
    #[arg(long, value_parser = parse_threshold)]
    pub precision: Option<f64>,
    /// Most repetitions of one scenario. Default: 30 (`--quick`: 100, `exec`: 20).
    #[arg(long, value_parser = parse_count)]
    pub max_reps: Option<usize>,
    /// Time for repetitions beyond --reps, e.g. 5m. Default: 10m, or 40s with --quick.
    #[arg(long, value_parser = parse_duration)]
    pub budget: Option<Duration>,
    /// Skip the uncounted warm-up pass.
    #[arg(long)]
    pub no_warmup: bool,
    /// Differences under this fraction are never called (speedup CI must clear 1 +- it).
    #[arg(long, default_value_t = crate::stats::NOISE_THRESHOLD, allow_negative_numbers = true, value_parser = parse_threshold)]
    pub threshold: f64,
    /// Results folder; files go to OUT/<profile-id>/. Default: results
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// `-s`'s help, from the strategy registry.
fn strategy_help() -> String {
    format!(
        "Strategies (comma-separated or repeated), judged against `none`: {}; add `@label` to run one twice (A/A check). Default: all but cpus",
        Strategy::usage()
    )
}

/// The median precision the summary reports reaching when `--precision` is not given.
const DEFAULT_PRECISION: f64 = 0.02;

/// What a verb does when an option of [`SweepArgs`] is left out.
pub struct SweepDefaults {
    pub max_reps: usize,
    pub budget: Duration,
}

impl SweepArgs {
    /// Checks what does not depend on the verb: at least one worker.
    pub fn check(&self) -> Result<()> {
        if self.workers.contains(&0) {
            bail!("--workers 0: a scenario needs at least one worker");
        }
        Ok(())
    }

    /// The strategies as given, parsed (empty when none was given).
    pub fn strategies(&self) -> Result<Vec<LabelledStrategy>> {
        parse_strategies(&self.strategy)
    }

    /// How the sweep repeats and judges.
    pub fn config(&self, defaults: SweepDefaults) -> Result<SweepConfig> {
        let (reps, max_reps) = repetitions(self.reps, self.max_reps, defaults.max_reps)?;
        Ok(SweepConfig {
            reps,
            max_reps,
            precision: self.precision.unwrap_or(DEFAULT_PRECISION),
            precision_asked: self.precision.is_some(),
            budget: self.budget.unwrap_or(defaults.budget),
            warmup: !self.no_warmup,
            threshold: self.threshold,
        })
    }

    /// The results folder.
    pub fn out(&self) -> PathBuf {
        self.out.clone().unwrap_or_else(|| PathBuf::from("results"))
    }
}

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
/// the question fast: cpu, a cache working set half of L2 (`cache:L2/2`, where a migration
/// costs a cold cache), and pipe ping-pong (where the pair's placement dominates).
fn quick_workloads(profile: &HardwareProfile) -> Vec<Workload> {
    let all = default_workloads(profile);
    let half_l2 = crate::workload::SizeRole::HalfL2;
    let caches: Vec<&Workload> = all
        .iter()
        .filter(|w| w.family().roles().contains(&half_l2))
        .collect();
    // The L2 role, or the second default where the machine does not say its L2's size.
    let cache_l2 = caches
        .iter()
        .find(|w| w.size_role() == Some(half_l2))
        .or_else(|| caches.get(1))
        .map(|w| **w);
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
        && a.sweep.strategy.len() == 1
        && a.sweep.workers.len() == 1
        && a.model.len() <= 1
        && a.sweep.reps.is_none()
        && !a.quick
        && !a.dry_run
        && a.sweep.out.is_none()
}

impl RunOptions {
    /// Builds the options from the command line and checks them against this machine, before
    /// anything is measured.
    pub fn from_args(a: RunArgs, profile: &HardwareProfile) -> Result<Self> {
        if a.machine.sysfs_root.is_some() && !a.dry_run {
            bail!(
                "--sysfs-root describes a recorded machine; `run` measures this one: leave it out, or add --dry-run to see what a sweep there would run"
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
        a.sweep.check()?;
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
        // Threads are the default model of one scenario and one of a sweep's.
        if a.pin_by == PinBy::Parent && (a.model.is_empty() || a.model.contains(&Model::Threads)) {
            bail!(
                "--pin-by parent pins process workers by pid after they start: add --model processes"
            );
        }
        let single = is_single(&a)
            && a.sweep
                .strategy
                .iter()
                .map(|s| split_strategies(s).len())
                .sum::<usize>()
                == 1;
        if a.recycle.is_some() && (a.model.is_empty() || a.model.contains(&Model::Threads)) {
            bail!(
                "--recycle applies to --model processes only (threads are never recycled): add -m processes"
            );
        }
        let strategies = a.sweep.strategies()?;
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
        // A role (`cache:L2/2`) becomes this machine's bytes; a role it lacks is refused.
        let workloads: Vec<Workload> = a
            .workload
            .iter()
            .map(|w| w.resolve(profile))
            .collect::<Result<_, _>>()?;
        if single {
            let model = a.model.first().copied().unwrap_or(Model::Threads);
            let scenario = template.scenario(workloads[0], model, a.sweep.workers[0], None);
            return Ok(RunOptions::Single(Single {
                scenario,
                strategy: strategies[0].strategy.clone(),
                antagonist: a.antagonist,
                json: a.sweep.json,
            }));
        }
        let config = a.sweep.config(SweepDefaults {
            // A quick sweep asks a few questions of 50 ms runs: its budget may go to them.
            max_reps: if a.quick { 100 } else { 30 },
            budget: Duration::from_secs(if a.quick { 40 } else { 600 }),
        })?;
        let defaults = Axes::defaults(profile);
        let axes = Axes {
            workloads: match (workloads.is_empty(), a.quick) {
                (false, _) => workloads,
                (true, false) => defaults.workloads,
                (true, true) => quick_workloads(profile),
            },
            strategies: if strategies.is_empty() {
                defaults.strategies
            } else {
                strategies
            },
            models: if a.model.is_empty() {
                defaults.models
            } else {
                a.model.clone()
            },
            worker_counts: match (a.sweep.workers.is_empty(), a.quick) {
                (false, _) => a.sweep.workers.clone(),
                (true, false) => defaults.worker_counts,
                // The allowed CPU count; on one CPU also a pair, for the pair workloads (which
                // skip the odd count), so every workload is measured at the allowed count.
                (true, true) => {
                    let n = profile.allowed.len();
                    if n >= 2 { vec![n] } else { vec![n, 2] }
                }
            },
            antagonists: match &a.antagonist {
                Some(c) => vec![None, Some(c.clone())],
                None => defaults.antagonists,
            },
            pin_by: a.pin_by,
            placements: a.sweep.strategy.is_empty(),
            // A first answer asks each question once; strategies a user names all run.
            each_placement_once: a.quick && a.sweep.strategy.is_empty(),
        };
        Ok(RunOptions::Sweep(Sweep {
            template,
            executor: std::sync::Arc::new(Builtin),
            program: None,
            axes,
            config,
            out: a.sweep.out(),
            json: a.sweep.json,
        }))
    }
}
