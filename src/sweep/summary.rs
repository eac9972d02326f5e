//! Turns a run's rows into `summary.csv` rows: statistics per scenario, identical placements
//! recognised by their plans (not their names) and never judged against each other, the
//! sweep's noise floor from how far apart those identical placements came out, and the
//! speedup of each strategy over `none` for the same workload, model, worker count and
//! antagonist: paired pass by pass where the two ran side by side (each repetition beside
//! `none`'s of the same interleaved pass) and rose and fell together, so that a machine
//! drifting between passes moves both sides of each pair alike instead of widening the
//! interval.

use std::collections::BTreeMap;

use crate::antagonist::AntagonistSpec;
use crate::cpuset::CpuSet;
use crate::runner::Model;
use crate::stats::{Bands, Summary, Verdict, compare, compare_within};
use crate::store::{RunRow, ScenarioKey, Status, SummaryRow, placement_noted};
use crate::strategy::LabelledStrategy;
use crate::topology::Topology;
use crate::why::{self, Facts, Mechanisms};
use crate::workload::Workload;

/// A run of a user's program under a strategy that pins achieved its placement when at least
/// this share of its workers' CPU time ran in their slots, on their slots' CPUs. A scenario with
/// a run below it is not judged as its plan: the plan is not what ran.
pub const PLACED_SHARE: f64 = 0.95;

fn median_of(values: impl Iterator<Item = f64>) -> Option<f64> {
    let v: Vec<f64> = values.collect();
    crate::stats::median(&v).ok()
}

/// Each worker's planned CPUs; empty when the workers are not pinned (`none`, `inherited`).
fn planned(row: &RunRow) -> Vec<CpuSet> {
    let planned: Vec<CpuSet> = row
        .placement
        .split('/')
        .filter(|p| !p.is_empty())
        .filter_map(|p| CpuSet::parse(p).ok())
        .collect();
    if planned.len() == row.key.workers {
        planned
    } else {
        Vec::new()
    }
}

/// The mask each worker runs under: its planned CPUs, or (unpinned) the allowed set. Two
/// scenarios with equal effective placements are the same placement whatever their names.
fn effective(row: &RunRow, allowed: &CpuSet) -> Vec<CpuSet> {
    let planned = planned(row);
    if planned.is_empty() {
        vec![allowed.clone(); row.key.workers]
    } else {
        planned
    }
}

/// What was measured of a scenario's mechanisms, medians over its successful repetitions:
/// the share of workers x seconds spent waiting for a CPU, events per second, hardware
/// counters per operation and per cycle. A figure no repetition has stays unknown.
fn mechanisms(runs: &[RunRow], rows: &[usize]) -> Mechanisms {
    let ok: Vec<&RunRow> = rows
        .iter()
        .map(|&i| &runs[i])
        .filter(|r| r.status.is_ok())
        .collect();
    let med = |f: &dyn Fn(&RunRow) -> Option<f64>| median_of(ok.iter().filter_map(|r| f(r)));
    let seconds = |r: &RunRow| r.seconds.filter(|s| *s > 0.0);
    let per_s = |v: Option<u64>, r: &RunRow| Some(v? as f64 / seconds(r)?);
    Mechanisms {
        wait_share: med(&|r| Some(r.runq_wait_s? / (seconds(r)? * r.key.workers.max(1) as f64))),
        // A program's main process is no worker: its moves are counted apart.
        migrations_per_s: med(&|r| {
            per_s(
                Some(r.migrations?.saturating_sub(r.main_migrations.unwrap_or(0))),
                r,
            )
        }),
        main_migrations_per_s: med(&|r| per_s(r.main_migrations, r)),
        involuntary_per_s: med(&|r| per_s(r.involuntary_switches, r)),
        throttled_per_s: med(&|r| per_s(r.throttled_periods, r)),
        cache_misses_per_op: med(&|r| {
            Some(r.cache_misses? as f64 / r.ops.filter(|o| *o > 0)? as f64)
        }),
        instructions_per_cycle: med(&|r| {
            Some(r.instructions? as f64 / r.cycles.filter(|c| *c > 0)? as f64)
        }),
    }
}

/// What the plan and the topology say of a scenario, for its `why`.
fn facts(row: &RunRow, topology: Option<&Topology>) -> Facts {
    let planned = planned(row);
    let pairs = row.key.workload.family().pairs();
    let pair = match planned.as_slice() {
        [a, b, ..] if pairs && a.len() == 1 && b.len() == 1 => {
            let (a, b) = (a.first().unwrap_or(0), b.first().unwrap_or(0));
            topology
                .map(|t| why::pair_place(t, a, b))
                .or((a == b).then_some(crate::strategy::PairPlace::SameCpu))
                .map(|p| (p, a, b))
        }
        _ => None,
    };
    Facts {
        program: row.command.is_some(),
        pairs,
        pair,
        crowded: why::crowding(&planned, row.key.workers),
        antagonist: row
            .antagonist_cpus
            .as_deref()
            .and_then(|a| CpuSet::parse(a).ok())
            .and_then(|a| why::antagonist_shares(&planned, &a)),
        ..Default::default()
    }
}

/// What makes two scenarios comparable as placements: everything in the key but the
/// strategy (and who pins), plus the effective masks. A user's program that changed its own
/// masks (`repinned_tasks`) ran where it chose, not where the plan says: its placement is its
/// own, named by its strategy, so it is judged rather than taken for the plan's twin.
type PlacementKey = (
    Workload,
    Model,
    usize,
    Option<AntagonistSpec>,
    Vec<CpuSet>,
    Option<LabelledStrategy>,
);

fn placement_key(rows: &[&RunRow], allowed: &CpuSet) -> PlacementKey {
    let row = rows[0];
    let k = &row.key;
    let self_pinned = rows.iter().any(|r| r.repinned_tasks.is_some_and(|n| n > 0));
    // A program that started no workers placed nothing, whatever the plan: none's placement.
    let mut ok = rows.iter().filter(|r| r.status.is_ok()).peekable();
    let nothing_placed = ok.peek().is_some() && ok.all(|r| r.workers_seen == Some(0));
    (
        k.workload,
        k.model,
        k.workers,
        k.antagonist.clone(),
        if nothing_placed {
            vec![allowed.clone(); k.workers]
        } else {
            effective(row, allowed)
        },
        self_pinned.then(|| k.strategy.clone()),
    )
}

/// Scenario order for naming a placement group: `none` first, then the default strategies,
/// then others as they appear.
fn rank(key: &ScenarioKey, appearance: usize) -> (usize, usize) {
    match (key.strategy.is_baseline(), key.strategy.default_rank()) {
        (true, _) => (0, 0),
        (false, Some(r)) => (1, r),
        (false, None) => (2, appearance),
    }
}

/// One scenario's rows and statistics.
struct Scenario {
    key: ScenarioKey,
    rows: Vec<usize>,
    values: Vec<f64>,
    /// The successful throughputs by the pass they ran in.
    by_pass: BTreeMap<usize, f64>,
    summary: Option<Summary>,
    placement: PlacementKey,
    /// A run of a program's work ran outside its slots: the plan is not what ran, so it is
    /// neither judged nor anyone's identical placement.
    not_achieved: bool,
}

/// Summaries of one run's rows (`runs` all share one run_id), in the rows' scenario order;
/// also marks each row's `outlier` flag. `allowed` is the profile's allowed set, `topology`
/// its machine (to say how a pair's two CPUs relate, in each verdict's `why`).
pub fn summarise(
    runs: &mut [RunRow],
    threshold: f64,
    allowed: &CpuSet,
    topology: Option<&Topology>,
) -> Vec<SummaryRow> {
    let scenarios = scenarios(runs, allowed);
    let measured: Vec<Mechanisms> = scenarios
        .iter()
        .map(|s| mechanisms(runs, &s.rows))
        .collect();
    let reference = identical_placements(&scenarios);
    let floors = NoiseFloors::of(&scenarios, &reference);
    let index: BTreeMap<&ScenarioKey, usize> = scenarios
        .iter()
        .enumerate()
        .map(|(i, s)| (&s.key, i))
        .collect();

    scenarios
        .iter()
        .enumerate()
        .map(|(i, sc)| {
            let first = &runs[sc.rows[0]];
            let floor = floors.of_key(&sc.key);
            let mut row = SummaryRow {
                run_id: first.run_id.clone(),
                profile_id: first.profile_id.clone(),
                key: sc.key.clone(),
                placement: first.placement.clone(),
                status: if sc.values.is_empty() {
                    Status::Failed
                } else {
                    Status::Ok
                },
                // The first run's note, but one that says the placement was not the plan's
                // before any other: the verdict is read with it.
                reason: {
                    let notes = || sc.rows.iter().map(|&i| &runs[i].reason);
                    notes()
                        .find(|r| placement_noted(r))
                        .or_else(|| notes().find(|r| !r.is_empty()))
                        .cloned()
                        .unwrap_or_default()
                },
                n: sc.values.len(),
                failed_reps: sc.rows.iter().filter(|&&i| !runs[i].status.is_ok()).count(),
                same_placement_as: reference[i].map(|h| scenarios[h].key.strategy.clone()),
                noise_floor: floor.map(|f| f.spread),
                supported_floor: floor.map(|f| f.supported),
                ..Default::default()
            };
            if let Some(s) = &sc.summary {
                row.median_throughput_ops_s = Some(s.median);
                row.ci_low_throughput_ops_s = s.ci.map(|c| c.0);
                row.ci_high_throughput_ops_s = s.ci.map(|c| c.1);
                row.precision = s.precision();
                row.mean_throughput_ops_s = Some(s.mean);
                row.sd_throughput_ops_s = Some(s.sd);
                row.cv = Some(s.cv);
                row.min_throughput_ops_s = Some(s.min);
                row.max_throughput_ops_s = Some(s.max);
                row.outliers = s.outlier_count();
                row.noisy = s.noisy();
                row.multimodal = Some(s.modes.is_some());
                row.mode_low_ops_s = s.modes.map(|m| m.low);
                row.mode_low_n = s.modes.map(|m| m.low_n);
                row.mode_high_ops_s = s.modes.map(|m| m.high);
                row.mode_high_n = s.modes.map(|m| m.high_n);
                let ok = || sc.rows.iter().filter(|&&i| runs[i].status.is_ok());
                row.median_ns_per_op = median_of(ok().filter_map(|&i| runs[i].ns_per_op));
                row.median_cpu_ns_per_op = median_of(ok().filter_map(|&i| runs[i].cpu_ns_per_op));
                row.median_migrations =
                    median_of(ok().filter_map(|&i| runs[i].migrations.map(|m| m as f64)));
                row.median_involuntary_switches =
                    median_of(ok().filter_map(|&i| runs[i].involuntary_switches.map(|m| m as f64)));
                row.workers_seen = ok().filter_map(|&i| runs[i].workers_seen).min();
                row.pinned_cpu_share = ok()
                    .filter_map(|&i| runs[i].pinned_cpu_share)
                    .reduce(f64::min);
                let m = &measured[i];
                row.runq_wait_share = m.wait_share;
                row.migrations_per_s = m.migrations_per_s;
                row.main_migrations_per_s = m.main_migrations_per_s;
                row.involuntary_switches_per_s = m.involuntary_per_s;
                row.throttled_per_s = m.throttled_per_s;
                row.cache_misses_per_op = m.cache_misses_per_op;
                row.instructions_per_cycle = m.instructions_per_cycle;
            }
            let base = sc.key.baseline();
            if !sc.key.strategy.is_baseline()
                && !sc.values.is_empty()
                && let Some(&b) = index.get(&base)
                && !scenarios[b].values.is_empty()
            {
                let floor = row.noise_floor.unwrap_or(0.0);
                let bands = Bands {
                    difference: threshold.max(floor),
                    equivalence: threshold.max(row.supported_floor.unwrap_or(0.0)),
                };
                row.band = Some(bands.difference);
                row.equivalence_band = Some(bands.equivalence);
                let pairs = pairs(&scenarios[b], sc);
                if let Ok((sp, paired)) =
                    compare_within(&scenarios[b].values, &sc.values, &pairs, bands)
                {
                    row.pairs = paired;
                    row.speedup_vs_none = Some(sp.ratio);
                    row.speedup_ci_low = sp.ci.map(|c| c.0);
                    row.speedup_ci_high = sp.ci.map(|c| c.1);
                    row.verdict = Some(if reference[i] == Some(b) {
                        // `none`'s own placement under another name: an A/A pair, not judged.
                        Verdict::SamePlacement
                    } else if sc.not_achieved {
                        // What ran is not the plan: the plan is not judged.
                        Verdict::NotAchieved
                    } else {
                        sp.verdict
                    });
                    let facts = Facts {
                        verdict: row.verdict,
                        speedup: row.speedup_vs_none,
                        ..facts(first, topology)
                    };
                    row.why = why::why(&measured[i], &measured[b], &facts);
                }
            }
            row
        })
        .collect()
}

/// The run's scenarios in the order they first appear, each with its rows, its successful
/// throughputs and their statistics; marks each row's `outlier` flag on the way.
fn scenarios(runs: &mut [RunRow], allowed: &CpuSet) -> Vec<Scenario> {
    let passes = passes(runs);
    let mut order: Vec<ScenarioKey> = Vec::new();
    let mut groups: BTreeMap<ScenarioKey, Vec<usize>> = BTreeMap::new();
    for (i, r) in runs.iter().enumerate() {
        if !groups.contains_key(&r.key) {
            order.push(r.key.clone());
        }
        groups.entry(r.key.clone()).or_default().push(i);
    }
    order
        .iter()
        .map(|key| {
            let rows = groups[key].clone();
            let ok_rows: Vec<usize> = rows
                .iter()
                .copied()
                .filter(|&i| runs[i].status.is_ok() && runs[i].throughput_ops_s.is_some())
                .collect();
            let values: Vec<f64> = ok_rows
                .iter()
                .filter_map(|&i| runs[i].throughput_ops_s)
                .collect();
            let by_pass = ok_rows
                .iter()
                .filter_map(|&i| Some((passes[i], runs[i].throughput_ops_s?)))
                .collect();
            let summary = Summary::of(&values).ok();
            if let Some(s) = &summary {
                for (&i, flag) in ok_rows.iter().zip(&s.outliers) {
                    runs[i].outlier = *flag;
                }
            }
            let not_achieved = ok_rows
                .iter()
                .any(|&i| runs[i].pinned_cpu_share.is_some_and(|s| s < PLACED_SHARE));
            Scenario {
                key: key.clone(),
                placement: placement_key(
                    &rows.iter().map(|&i| &runs[i]).collect::<Vec<_>>(),
                    allowed,
                ),
                not_achieved,
                rows,
                values,
                by_pass,
                summary,
            }
        })
        .collect()
}

/// The pass each row ran in: its `pass` column, or, in files that predate the column, the
/// pass its position implies. A sweep runs each pass's scenarios in matrix order (the order
/// in which they first appear), so a new pass begins wherever that order steps back. (A row
/// without a pass in a file that has the column is a failed warm-up: it has no throughput to
/// pair.)
fn passes(runs: &[RunRow]) -> Vec<usize> {
    if runs.iter().any(|r| r.pass.is_some()) {
        return runs.iter().map(|r| r.pass.unwrap_or(usize::MAX)).collect();
    }
    let mut first: BTreeMap<&ScenarioKey, usize> = BTreeMap::new();
    let mut pass = 0;
    let mut last = None;
    runs.iter()
        .map(|r| {
            let next = first.len();
            let at = *first.entry(&r.key).or_insert(next);
            if last.is_some_and(|l| at <= l) {
                pass += 1;
            }
            last = Some(at);
            pass
        })
        .collect()
}

/// `(a, b)` throughputs of the passes in which both scenarios ran successfully.
fn pairs(a: &Scenario, b: &Scenario) -> Vec<(f64, f64)> {
    a.by_pass
        .iter()
        .filter_map(|(p, x)| Some((*x, *b.by_pass.get(p)?)))
        .collect()
}

/// Identical placements: each scenario's group reference, the first of its group by rank
/// (`none` first); `None` for the reference itself and for scenarios without statistics.
fn identical_placements(scenarios: &[Scenario]) -> Vec<Option<usize>> {
    let mut reference: Vec<Option<usize>> = vec![None; scenarios.len()];
    let mut by_placement: BTreeMap<&PlacementKey, Vec<usize>> = BTreeMap::new();
    for (i, s) in scenarios.iter().enumerate() {
        if s.summary.is_some() && !s.not_achieved {
            by_placement.entry(&s.placement).or_default().push(i);
        }
    }
    for members in by_placement.values() {
        let head = *members
            .iter()
            .min_by_key(|&&i| rank(&scenarios[i].key, i))
            .expect("a group has members");
        for &m in members.iter().filter(|&&m| m != head) {
            reference[m] = Some(head);
        }
    }
    reference
}

/// How far apart identical placements came out, two ways: `spread`, the largest relative
/// difference between their typical values (measured as the comparisons are, `stats::compare`:
/// the ratio within a pass where paired, else of the medians), which any difference claimed in
/// the group must clear; and `supported`, the part of it their own interval supports (how far
/// its nearer end lies from 1: twins at 1.10x [0.95, 1.25] support nothing, at 1.10x [1.06,
/// 1.16] 6 %), which an equivalence may be granted within. Chance alone spreads a few noisy
/// repetitions apart; that holds back a difference without making a wide interval "no
/// difference".
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Floor {
    spread: f64,
    supported: f64,
}

impl Floor {
    fn max(self, other: Floor) -> Floor {
        Floor {
            spread: self.spread.max(other.spread),
            supported: self.supported.max(other.supported),
        }
    }
}

/// The noise floor of each comparison group (the scenarios judged against one `none`), and of
/// each workload and model for groups without a pair of identical placements.
struct NoiseFloors {
    floor: BTreeMap<(Workload, Model), Floor>,
    group_floor: BTreeMap<ScenarioKey, Floor>,
}

impl NoiseFloors {
    fn of(scenarios: &[Scenario], reference: &[Option<usize>]) -> Self {
        let floor_key = |k: &ScenarioKey| (k.workload, k.model);
        let mut floor: BTreeMap<(Workload, Model), Floor> = BTreeMap::new();
        let mut group_floor: BTreeMap<ScenarioKey, Floor> = BTreeMap::new();
        for (i, r) in reference.iter().enumerate() {
            let Some(h) = r else { continue };
            let (a, b) = (&scenarios[*h], &scenarios[i]);
            if a.values.is_empty() || b.values.is_empty() {
                continue;
            }
            let Ok((sp, _)) = compare(&a.values, &b.values, &pairs(a, b), 0.0, 0.0) else {
                continue;
            };
            if !(sp.ratio > 0.0 && sp.ratio.is_finite()) {
                continue;
            }
            let supported = sp
                .ci
                .filter(|(lo, hi)| *lo > 0.0 && hi.is_finite())
                .map_or(0.0, |(lo, hi)| lo.ln().max(-hi.ln()).max(0.0).exp() - 1.0);
            let f = Floor {
                spread: sp.ratio.ln().abs().exp() - 1.0,
                supported,
            };
            let e = floor.entry(floor_key(&b.key)).or_default();
            *e = e.max(f);
            let g = group_floor.entry(b.key.baseline()).or_default();
            *g = g.max(f);
        }
        NoiseFloors { floor, group_floor }
    }

    /// The floor of a scenario's comparison group, else of its workload and model.
    fn of_key(&self, key: &ScenarioKey) -> Option<Floor> {
        self.group_floor
            .get(&key.baseline())
            .or(self.floor.get(&(key.workload, key.model)))
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::LabelledStrategy;

    fn rows(strategy: &str, placement: &str, values: &[f64]) -> Vec<RunRow> {
        values
            .iter()
            .enumerate()
            .map(|(rep, v)| RunRow {
                run_id: "r".into(),
                key: ScenarioKey {
                    strategy: strategy.parse::<LabelledStrategy>().unwrap(),
                    workers: 2,
                    ..Default::default()
                },
                placement: placement.into(),
                rep,
                throughput_ops_s: Some(*v),
                ..Default::default()
            })
            .collect()
    }

    fn find<'a>(s: &'a [SummaryRow], name: &str) -> &'a SummaryRow {
        s.iter()
            .find(|r| r.key.strategy.to_string() == name)
            .unwrap()
    }

    #[test]
    fn identical_placements_are_marked_and_never_judged() {
        let allowed = CpuSet::parse("0-1").unwrap();
        let base = [100.0, 101.0, 99.0, 100.5, 99.5, 100.2];
        let fast: Vec<f64> = base.iter().map(|x| x * 2.0).collect();
        let mut runs = rows("none", "", &base);
        runs.extend(rows("inherited", "0-1/0-1", &base.map(|x| x * 1.3)));
        runs.extend(rows("per-worker", "0/1", &fast));
        runs.extend(rows("round-robin", "0/1", &fast));
        let s = summarise(&mut runs, 0.02, &allowed, None);
        let inh = find(&s, "inherited");
        assert_eq!(inh.same_placement_as, Some(LabelledStrategy::baseline()));
        assert_eq!(inh.verdict, Some(Verdict::SamePlacement));
        let rr = find(&s, "round-robin");
        assert_eq!(
            rr.same_placement_as.as_ref().unwrap().to_string(),
            "per-worker"
        );
        // The identical placements differed by 30 %: this workload's noise floor is what of
        // that their interval supports (its lower end), and per-worker's 2x still clears it.
        assert!((inh.noise_floor.unwrap() - 0.3).abs() < 1e-9);
        // Of which their interval supports nearly all (its lower end): an equivalence in this
        // workload may be granted within that.
        let supported = inh.supported_floor.unwrap();
        assert!(supported > 0.25 && supported <= 0.3, "{supported}");
        assert_eq!(find(&s, "per-worker").verdict, Some(Verdict::Faster));
    }

    #[test]
    fn each_verdict_says_why_from_its_runs_and_plan() {
        let allowed = CpuSet::parse("0-1").unwrap();
        let base = [100.0, 101.0, 99.0, 100.5, 99.5, 100.2];
        // Each run of 1 s: none's two workers waited 0.04 s in all, the pair on CPU 0 1 s.
        let timed = |mut rows: Vec<RunRow>, wait: f64| {
            for r in &mut rows {
                r.seconds = Some(1.0);
                r.runq_wait_s = Some(wait);
                r.migrations = Some(3);
            }
            rows
        };
        let mut runs = timed(rows("none", "", &base), 0.04);
        runs.extend(timed(rows("none@B", "", &base), 0.9));
        runs.extend(timed(rows("cpus:0/0", "0/0", &base.map(|x| x * 0.5)), 1.0));
        let s = summarise(&mut runs, 0.02, &allowed, None);
        let pinned = find(&s, "cpus:0/0");
        assert_eq!(pinned.verdict, Some(Verdict::Slower));
        assert_eq!(pinned.runq_wait_share, Some(0.5));
        assert_eq!(pinned.migrations_per_s, Some(3.0));
        assert_eq!(
            pinned.why.as_deref(),
            Some("workers waited for a CPU 50 % of the run (none: 2 %): both on CPU 0")
        );
        // The A/A twin waited far longer, by chance: still no cause.
        assert_eq!(
            find(&s, "none@B").why.as_deref(),
            Some("same placement as none: nothing differs to explain")
        );
        assert_eq!(find(&s, "none").why, None);
    }

    #[test]
    fn repetitions_of_one_pass_are_paired_and_the_drift_cancels() {
        // Eight passes at the machine's speed of the moment (+-25 %); in each, per-worker ran
        // 4 % faster than none and none@B as fast as none. Unpaired, the drift hides both.
        let allowed = CpuSet::parse("0-1").unwrap();
        let speed = [1.0, 1.25, 0.8, 1.1, 0.9, 1.2, 0.75, 1.05];
        let wobble = [0.0, 0.003, -0.002, 0.001, -0.003, 0.002, 0.0, -0.001];
        let mut runs = Vec::new();
        for (pass, (sp, w)) in speed.iter().zip(wobble).enumerate() {
            for (name, placement, gain) in [
                ("none", "", 1.0),
                ("none@B", "", 1.0 + w),
                ("per-worker", "0/1", 1.04 + w),
            ] {
                let mut r = rows(name, placement, &[100.0 * sp * gain]).remove(0);
                r.rep = pass;
                runs.push(r);
            }
        }
        // Without the `pass` column (an older file), the order of the rows gives the passes.
        let mut inferred = runs.clone();
        let s = summarise(&mut inferred, 0.02, &allowed, None);
        let pw = find(&s, "per-worker");
        assert_eq!(pw.pairs, Some(8));
        assert_eq!(pw.verdict, Some(Verdict::Faster), "{pw:?}");
        assert!((pw.speedup_vs_none.unwrap() - 1.04).abs() < 0.005);
        assert!(find(&s, "none@B").noise_floor.unwrap() < 0.005);
        for r in &mut runs {
            r.pass = Some(r.rep);
        }
        let s2 = summarise(&mut runs, 0.02, &allowed, None);
        assert_eq!(find(&s2, "per-worker"), pw);
        // Passes that do not line up are not paired: compared as independent samples.
        for r in runs.iter_mut().filter(|r| r.key.strategy.is_baseline()) {
            r.pass = Some(r.rep + 100);
        }
        let s3 = summarise(&mut runs, 0.02, &allowed, None);
        let pw = find(&s3, "per-worker");
        assert_eq!(pw.pairs, None);
        assert_eq!(pw.verdict, Some(Verdict::Inconclusive));
    }

    #[test]
    fn twins_apart_by_chance_support_no_floor() {
        // none@B is none's twin, 4 % apart in one pass, 4 % the other way in the next: its
        // interval holds 1, so nothing of its spread is supported, and an equivalence in the
        // group is held to the threshold alone.
        let allowed = CpuSet::parse("0-1").unwrap();
        let mut runs = Vec::new();
        for pass in 0..8 {
            let twin = if pass % 2 == 0 { 1.04 } else { 0.96 };
            for (name, placement, gain) in [
                ("none", "", 1.0),
                ("none@B", "", twin),
                ("per-worker", "0/1", 1.03 + 0.001 * (pass % 3) as f64),
            ] {
                let mut r = rows(name, placement, &[100.0 * gain]).remove(0);
                r.rep = pass;
                r.pass = Some(pass);
                runs.push(r);
            }
        }
        let s = summarise(&mut runs, 0.02, &allowed, None);
        let twin = find(&s, "none@B");
        assert_eq!(twin.supported_floor, Some(0.0));
        let pw = find(&s, "per-worker");
        assert_eq!(pw.equivalence_band, Some(0.02));
        assert!(pw.band.unwrap() >= 0.02, "{pw:?}");
    }

    #[test]
    fn one_repetition_gives_no_verdict() {
        let allowed = CpuSet::parse("0-1").unwrap();
        let mut runs = rows("none", "", &[100.0]);
        runs.extend(rows("per-worker", "0/1", &[109.2]));
        let s = summarise(&mut runs, 0.02, &allowed, None);
        let pw = find(&s, "per-worker");
        assert_eq!(pw.verdict, Some(Verdict::Insufficient));
        assert_eq!(pw.speedup_ci_low, None);
        assert_eq!(pw.ci_low_throughput_ops_s, None);
        assert!(pw.noisy);
    }

    #[test]
    fn a_program_that_pinned_itself_is_judged_not_taken_for_the_plan() {
        let allowed = CpuSet::parse("0-1").unwrap();
        let base = [100.0, 101.0, 99.0, 100.5, 99.5, 100.2];
        let mut runs = rows("none", "", &base);
        // The same plan as none, but the program re-pinned its workers itself.
        let mut recipe = rows("none@index", "", &base.map(|x| x * 1.5));
        for r in &mut recipe {
            r.repinned_tasks = Some(2);
        }
        runs.extend(recipe);
        let s = summarise(&mut runs, 0.02, &allowed, None);
        let r = find(&s, "none@index");
        assert_eq!(r.same_placement_as, None);
        assert_eq!(r.verdict, Some(Verdict::Faster));
        // Without the re-pin it is none's twin, as before.
        let mut runs = rows("none", "", &base);
        runs.extend(rows("none@index", "", &base.map(|x| x * 1.5)));
        let s = summarise(&mut runs, 0.02, &allowed, None);
        assert_eq!(find(&s, "none@index").verdict, Some(Verdict::SamePlacement));
    }
}
