//! The scenario matrix: workloads x strategies x models x worker counts x antagonist, planned
//! on the profile. Combinations a strategy cannot serve (per-worker with more workers than
//! CPUs, odd worker counts for pair workloads) are listed as skipped with the reason.

use crate::antagonist::{AntagonistAt, AntagonistSpec};
use crate::cpuset::CpuSet;
use crate::plan::{Placement, plan};
use crate::profile::HardwareProfile;
use crate::runner::{Model, PinBy, Scenario};
use crate::store::ScenarioKey;
use crate::strategy::{LabelledStrategy, PairPlace, Strategy};
use crate::workload::{Workload, available_memory, default_workloads};

/// The axes of a sweep.
#[derive(Debug, Clone)]
pub struct Axes {
    pub workloads: Vec<Workload>,
    pub strategies: Vec<LabelledStrategy>,
    pub models: Vec<Model>,
    pub worker_counts: Vec<usize>,
    /// `None` is the antagonist off.
    pub antagonists: Vec<Option<AntagonistSpec>>,
    pub pin_by: PinBy,
    /// Add the pair placements of [`pair_placements`] for pair workloads at 2 workers.
    pub placements: bool,
    /// Run each distinct placement once per workload, model, worker count and antagonist: a
    /// strategy whose plan repeats an earlier one's is skipped, naming that one (`--quick`
    /// with the default strategies: on 2 CPUs per-worker, round-robin, compact and scatter are
    /// one placement, and four runs of it would split the budget of one question).
    pub each_placement_once: bool,
}

impl Axes {
    /// The default sweep on this machine (`pinbench run` with no axis given): every default
    /// workload (cache and memory sized by their roles on its caches), the default strategies,
    /// threads and processes, 1, n and 2n workers, no antagonist, workers pinning themselves,
    /// and the pair placements.
    pub fn defaults(profile: &HardwareProfile) -> Self {
        Axes {
            workloads: default_workloads(profile),
            strategies: Strategy::defaults()
                .into_iter()
                .map(LabelledStrategy::plain)
                .collect(),
            models: vec![Model::Threads, Model::Processes],
            worker_counts: default_worker_counts(profile),
            antagonists: vec![None],
            pin_by: PinBy::SelfPin,
            placements: true,
            each_placement_once: false,
        }
    }
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
    let mut out = vec![(PairPlace::SameCpu, a)];
    let others: Vec<usize> = allowed.iter().filter(|&b| b != a).collect();
    let classes: [(PairPlace, &dyn Fn(usize) -> bool); 4] = [
        (PairPlace::Smt, &|b| core(b) == core(a)),
        (PairPlace::SameCache, &|b| {
            core(b) != core(a) && llc(b) == llc(a) && llc(a).is_some()
        }),
        (PairPlace::OtherCache, &|b| {
            pkg(b) == pkg(a) && llc(b) != llc(a)
        }),
        (PairPlace::OtherPackage, &|b| pkg(b) != pkg(a)),
    ];
    for (place, test) in classes {
        if let Some(b) = others.iter().copied().find(|b| test(*b)) {
            out.push((place, b));
        }
    }
    out.into_iter()
        .map(|(place, b)| LabelledStrategy {
            strategy: Strategy::Cpus(vec![CpuSet::single(a), CpuSet::single(b)]),
            label: Some(place.label().to_string()),
        })
        .collect()
}

/// Whether the scenarios recycle their workers while `workload`'s workers talk (which cannot
/// be recycled as independent tasks).
fn scenario_recycles(
    scenario: &impl Fn(Workload, Model, usize, Option<AntagonistAt>) -> Scenario,
    workload: Workload,
) -> bool {
    workload.family().talks()
        && scenario(workload, Model::Processes, 1, None)
            .recycle
            .is_some()
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

/// One worker count per level of the topology, not per CPU: 1 (one core), 2 (a pair, where
/// the pair workloads' two ends are placed level by level by [`pair_placements`]), the allowed
/// CPUs of one last-level cache domain, every allowed CPU, and twice that (oversubscribed). On
/// 2 CPUs: 1, 2, 4; on a 128-CPU Arm server: 1, 2, 32, 128, 256.
pub fn default_worker_counts(profile: &HardwareProfile) -> Vec<usize> {
    let allowed = &profile.allowed;
    let n = allowed.len();
    let llc = allowed
        .first()
        .and_then(|c| profile.topology.last_level_cache_of(c))
        .map(|c| c.cpus.intersection(allowed).len())
        .unwrap_or(n);
    let mut v = vec![1, 2, llc, n, 2 * n];
    v.retain(|&w| w >= 1 && w <= 2 * n);
    v.sort_unstable();
    v.dedup();
    v
}

/// Expands the axes into scenarios (each made by `scenario` from its workload, model, worker
/// count and antagonist) and the combinations that cannot run.
pub fn build(
    axes: &Axes,
    profile: &HardwareProfile,
    scenario: impl Fn(Workload, Model, usize, Option<AntagonistAt>) -> Scenario,
) -> (Vec<Planned>, Vec<Skipped>) {
    let mut planned = Vec::new();
    let mut skipped = Vec::new();
    let memory = available_memory(&profile.topology.root);
    for workload in &axes.workloads {
        for &workers in &axes.worker_counts {
            for model in &axes.models {
                for antagonist in &axes.antagonists {
                    let pair = workload.family().pairs();
                    let extra = if axes.placements && pair && workers == 2 {
                        pair_placements(profile)
                    } else {
                        Vec::new()
                    };
                    // This cell's plans so far, by strategy, for `each_placement_once`.
                    let mut plans: Vec<(&LabelledStrategy, Placement)> = Vec::new();
                    for s in axes.strategies.iter().chain(&extra) {
                        let placement =
                            plan(&s.strategy, &profile.topology, &profile.allowed, workers);
                        let pin_by = match &placement {
                            Ok(p) if *model != Model::Threads && p.pins_workers() => {
                                Some(axes.pin_by)
                            }
                            _ => None,
                        };
                        let key = ScenarioKey {
                            workload: *workload,
                            strategy: s.clone(),
                            model: *model,
                            pin_by,
                            workers,
                            antagonist: antagonist.clone(),
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
                        // A relative antagonist is placed against this scenario's own plan.
                        let at = match antagonist
                            .as_ref()
                            .map(|a| a.resolve(&placement, &profile.topology, &profile.allowed))
                            .transpose()
                        {
                            Ok(at) => at,
                            Err(e) => {
                                skipped.push(Skipped {
                                    key,
                                    reason: e.to_string(),
                                });
                                continue;
                            }
                        };
                        if axes.each_placement_once
                            && let Some((twin, _)) =
                                plans.iter().find(|(_, p)| p.same_plan(&placement))
                        {
                            skipped.push(Skipped {
                                key,
                                reason: format!(
                                    "same placement as {twin} here: --quick runs each placement once"
                                ),
                            });
                            continue;
                        }
                        plans.push((s, placement.clone()));
                        if scenario_recycles(&scenario, *workload) {
                            skipped.push(Skipped {
                                key,
                                reason: format!(
                                    "--recycle runs independent tasks; `{workload}` workers talk to each other"
                                ),
                            });
                            continue;
                        }
                        let mut scenario = scenario(*workload, *model, workers, at);
                        scenario.label = Some(s.to_string());
                        planned.push(Planned {
                            key,
                            scenario,
                            placement,
                        });
                    }
                }
            }
        }
    }
    (planned, skipped)
}
