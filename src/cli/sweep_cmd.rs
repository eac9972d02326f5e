//! `pinbench run` over a matrix: narrows the default axes, checks everything (including that the
//! output folder is writable) before measuring, runs the sweep and prints the verdicts.

use std::time::Duration;

use anyhow::{Result, bail};

use super::options::Sweep;
use crate::profile::HardwareProfile;
use crate::runner::Model;
use crate::store::ResultsDir;
use crate::store::SummaryRow;
use crate::sweep::{build, execute};
use crate::workload::Workload;

pub fn run(sweep: Sweep, mut profile: HardwareProfile) -> Result<i32> {
    let Sweep {
        template,
        axes,
        config: cfg,
        out,
        json,
    } = sweep;
    let (planned, skipped) = build(&axes, &profile, |w, m, n, ant| {
        template.scenario(w, m, n, ant)
    });
    if planned.is_empty() {
        let why = skipped
            .first()
            .map_or("the axes are empty".to_string(), |s| s.reason.clone());
        bail!("nothing to run: every combination of the given axes was skipped ({why})");
    }
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
        cfg.reps,
        if cfg.warmup { " + warm-up" } else { "" },
        template.duration.as_secs_f64() * 1e3,
        profile.id,
        profile.allowed,
        dir.path.display()
    );
    let outcome = execute(&planned, &skipped, &profile, &dir, stored, &cfg)?;
    if let Some(code) = outcome.interrupted {
        eprintln!(
            "pinbench: interrupted; finished runs are kept in {} (run {})",
            dir.path.display(),
            outcome.run_id
        );
        return Ok(code);
    }
    if json {
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
    let ok: Vec<&SummaryRow> = summary.iter().filter(|r| r.status.is_ok()).collect();
    let mut groups: Vec<(Workload, Model)> =
        ok.iter().map(|r| (r.key.workload, r.key.model)).collect();
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
            .filter(|r| r.key.workload == w && r.key.model == m)
            .collect();
        let Some(n) = rows
            .iter()
            .map(|r| r.key.workers)
            .min_by_key(|c| c.abs_diff(allowed))
        else {
            continue;
        };
        let best = rows
            .iter()
            .filter(|r| r.key.workers == n && r.key.antagonist.is_none())
            .max_by(|a, b| {
                a.median_throughput_ops_s
                    .unwrap_or(0.0)
                    .total_cmp(&b.median_throughput_ops_s.unwrap_or(0.0))
            });
        if let Some(b) = best {
            println!(
                "{:<16} {:<10} {:>3} {:<16} {:>14.0} {:<28} {:<14}{}",
                w.to_string(),
                m.to_string(),
                n,
                b.key.strategy.to_string(),
                b.median_throughput_ops_s.unwrap_or(0.0),
                fmt_ci(b),
                b.verdict.map_or("reference", |v| v.as_str()),
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
