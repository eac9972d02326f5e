//! `pinbench run` over a matrix: narrows the default axes, checks everything (including that the
//! output folder is writable) before measuring, runs the sweep and prints the verdicts.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};

use super::RunArgs;
use super::machine::load;
use crate::runner::Model;
use crate::store::{ResultsDir, SummaryRow};
use crate::strategy::Strategy;
use crate::sweep::{
    Axes, LabelledStrategy, SweepConfig, build, default_worker_counts, default_workloads, execute,
};

pub fn run(a: RunArgs) -> Result<i32> {
    if a.machine.sysfs_root.is_some() {
        bail!("--sysfs-root describes a recorded machine; `run` measures this one: leave it out");
    }
    if a.recycle.is_some() {
        bail!(
            "--recycle runs one scenario: give one workload, strategy, worker count and model, without --reps, --quick or --out"
        );
    }
    let reps = a.reps.unwrap_or(if a.quick { 3 } else { 5 });
    if reps == 0 {
        bail!("--reps 0: give at least 1 repetition (5 or more to judge differences)");
    }
    let duration = a.duration.unwrap_or(if a.quick {
        Duration::from_millis(10)
    } else {
        Duration::from_millis(100)
    });
    let mut profile = load(&a.machine)?;
    let strategies = if a.strategy.is_empty() {
        Strategy::defaults()
            .into_iter()
            .map(|strategy| LabelledStrategy {
                strategy,
                label: None,
            })
            .collect()
    } else {
        a.strategy
            .iter()
            .map(|s| LabelledStrategy::parse(s).map_err(anyhow::Error::msg))
            .collect::<Result<Vec<_>>>()?
    };
    if let Some(ant) = &a.antagonist {
        let outside = ant.difference(&profile.allowed);
        if !outside.is_empty() {
            bail!(
                "--antagonist {ant}: CPU(s) {outside} are outside the allowed set {}",
                profile.allowed
            );
        }
    }
    let axes = Axes {
        workloads: if a.workload.is_empty() {
            default_workloads(&profile)
        } else {
            a.workload.clone()
        },
        strategies,
        models: if a.model.is_empty() {
            vec![Model::Threads, Model::Processes]
        } else {
            a.model.clone()
        },
        worker_counts: if a.workers.is_empty() {
            default_worker_counts(&profile)
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
    if axes.worker_counts.contains(&0) {
        bail!("--workers 0: a scenario needs at least one worker");
    }
    let (planned, skipped) = build(
        &axes,
        &profile,
        duration,
        a.counting,
        a.seed,
        a.allow_mismatch,
    );
    if planned.is_empty() {
        let why = skipped
            .first()
            .map_or("the axes are empty".to_string(), |s| s.reason.clone());
        bail!("nothing to run: every combination of the given axes was skipped ({why})");
    }
    let out = a.out.clone().unwrap_or_else(|| PathBuf::from("results"));
    let dir = ResultsDir::prepare(&out, &profile.id)?;
    let stored = dir.load()?;
    profile.doctor = crate::doctor::diagnose(&profile, Duration::from_millis(200));
    for c in profile
        .doctor
        .iter()
        .filter(|c| c.level >= crate::doctor::Level::Warn)
    {
        eprintln!(
            "doctor: {} {}: {} ({})",
            c.level.as_str(),
            c.name,
            c.found,
            c.advice
        );
    }
    for s in &skipped {
        eprintln!(
            "skipped: {} {} {} x{}: {}",
            s.key.workload, s.key.strategy, s.key.model, s.key.workers, s.reason
        );
    }
    eprintln!(
        "running {} scenarios x ({} reps{}) of {:.0} ms on {} (allowed {}) into {}",
        planned.len(),
        reps,
        if a.no_warmup { "" } else { " + warm-up" },
        duration.as_secs_f64() * 1e3,
        profile.id,
        profile.allowed,
        dir.path.display()
    );
    let cfg = SweepConfig {
        reps,
        warmup: !a.no_warmup,
        threshold: a.threshold,
        seed: a.seed,
    };
    let outcome = execute(&planned, &skipped, &profile, &dir, stored, &cfg)?;
    if let Some(code) = outcome.interrupted {
        eprintln!(
            "pinbench: interrupted; finished runs are kept in {} (run {})",
            dir.path.display(),
            outcome.run_id
        );
        return Ok(code);
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&outcome.summary)?);
    } else {
        print_verdicts(&outcome.summary, profile.allowed.len());
        println!("results: {} (run {})", dir.path.display(), outcome.run_id);
    }
    if outcome.throttled_runs > 0 {
        eprintln!(
            "pinbench: the cgroup CPU quota throttled {} run(s) (throttled_periods in runs.csv): their figures measure the quota, not the strategy",
            outcome.throttled_runs
        );
    }
    if outcome.failed_runs > 0 {
        eprintln!(
            "pinbench: {} run(s) failed; their reasons are in runs.csv (status=failed)",
            outcome.failed_runs
        );
        return Ok(1);
    }
    Ok(0)
}

fn fmt_ci(r: &SummaryRow) -> String {
    match (r.speedup_vs_none, r.speedup_ci_low, r.speedup_ci_high) {
        (Some(s), Some(lo), Some(hi)) => format!("{s:.3}x [{lo:.3}, {hi:.3}]"),
        _ => "-".into(),
    }
}

/// Per workload and model, at the allowed CPU count (or the closest count run), the best
/// strategy by median throughput and its speedup over `none`.
fn print_verdicts(summary: &[SummaryRow], allowed: usize) {
    let ok: Vec<&SummaryRow> = summary.iter().filter(|r| r.status == "ok").collect();
    let mut groups: Vec<(String, String)> = ok
        .iter()
        .map(|r| (r.workload.clone(), r.model.clone()))
        .collect();
    groups.dedup();
    groups.sort();
    groups.dedup();
    println!(
        "{:<16} {:<10} {:>3} {:<16} {:>14} {:<28} {:<14}",
        "workload",
        "model",
        "n",
        "best strategy",
        "median ops/s",
        "speedup vs none [95% CI]",
        "verdict"
    );
    for (w, m) in groups {
        let rows: Vec<&&SummaryRow> = ok
            .iter()
            .filter(|r| r.workload == w && r.model == m)
            .collect();
        let Some(n) = rows
            .iter()
            .map(|r| r.workers)
            .min_by_key(|c| c.abs_diff(allowed))
        else {
            continue;
        };
        let best = rows
            .iter()
            .filter(|r| r.workers == n && r.antagonist.is_empty())
            .max_by(|a, b| {
                a.median_throughput_ops_s
                    .unwrap_or(0.0)
                    .total_cmp(&b.median_throughput_ops_s.unwrap_or(0.0))
            });
        if let Some(b) = best {
            println!(
                "{:<16} {:<10} {:>3} {:<16} {:>14.0} {:<28} {:<14}{}",
                w,
                m,
                n,
                b.strategy,
                b.median_throughput_ops_s.unwrap_or(0.0),
                fmt_ci(b),
                if b.verdict.is_empty() {
                    "reference"
                } else {
                    b.verdict.as_str()
                },
                if b.noisy { "  (noisy)" } else { "" }
            );
        }
    }
    let noisy = summary.iter().filter(|r| r.noisy).count();
    if noisy > 0 {
        println!(
            "{noisy} scenario(s) are noisy (CV > 5 % or fewer than 5 samples): see summary.csv"
        );
    }
}
