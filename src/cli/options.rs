//! `pinbench run`'s options, built and checked once (as hyperfine builds its `Options` and then
//! validates them against the commands): one scenario template, the axes of a sweep, and an
//! explicit choice between one scenario and a sweep. Every check is written here, once.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};

use super::RunArgs;
use crate::cpuset::CpuSet;
use crate::metrics::CountingMode;
use crate::profile::HardwareProfile;
use crate::runner::{Model, PinBy, Recycle, Scenario};
use crate::strategy::{LabelledStrategy, Strategy};
use crate::sweep::{Axes, SweepConfig, default_worker_counts};
use crate::workload::{Workload, default_workloads};

/// What every scenario of a run shares.
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
        antagonist: Option<CpuSet>,
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
        }
    }
}

/// One scenario, measured once and printed.
pub struct Single {
    pub scenario: Scenario,
    pub strategy: Strategy,
    pub json: bool,
}

/// A sweep over axes, stored under `out`.
pub struct Sweep {
    pub template: Template,
    pub axes: Axes,
    pub config: SweepConfig,
    pub out: PathBuf,
    pub json: bool,
}

pub enum RunOptions {
    Single(Single),
    Sweep(Sweep),
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
        if let Some(ant) = &a.antagonist {
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
        let single = is_single(&a);
        if a.recycle.is_some() {
            if !single {
                bail!(
                    "--recycle runs one scenario: give one workload, strategy, worker count and model, without --reps, --quick or --out"
                );
            }
            if a.model.first() != Some(&Model::Processes) {
                bail!("--recycle applies to --model processes only (threads are never recycled)");
            }
        }
        let strategies = a
            .strategy
            .iter()
            .map(|s| s.parse::<LabelledStrategy>())
            .collect::<Result<Vec<_>, _>>()?;
        let template = Template {
            duration: a.duration.unwrap_or(if single {
                Duration::from_secs(1)
            } else if a.quick {
                Duration::from_millis(10)
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
            let scenario = template.scenario(a.workload[0], model, a.workers[0], a.antagonist);
            return Ok(RunOptions::Single(Single {
                scenario,
                strategy: strategies[0].strategy.clone(),
                json: a.json,
            }));
        }
        let reps = a.reps.unwrap_or(if a.quick { 3 } else { 5 });
        if reps == 0 {
            bail!("--reps 0: give at least 1 repetition (5 or more to judge differences)");
        }
        let axes = Axes {
            workloads: if a.workload.is_empty() {
                default_workloads(profile)
            } else {
                a.workload.clone()
            },
            strategies: if strategies.is_empty() {
                Strategy::defaults()
                    .into_iter()
                    .map(LabelledStrategy::plain)
                    .collect()
            } else {
                strategies
            },
            models: if a.model.is_empty() {
                vec![Model::Threads, Model::Processes]
            } else {
                a.model.clone()
            },
            worker_counts: if a.workers.is_empty() {
                default_worker_counts(profile)
            } else {
                a.workers.clone()
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
            axes,
            config: SweepConfig {
                reps,
                warmup: !a.no_warmup,
                threshold: a.threshold,
                seed: a.seed,
            },
            out: a.out.unwrap_or_else(|| PathBuf::from("results")),
            json: a.json,
        }))
    }
}
