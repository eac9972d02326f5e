//! `pinbench run` over a matrix: narrows the default axes, checks everything (including that the
//! output folder is writable) before measuring, runs the sweep and prints the verdicts.

use std::time::Duration;

use anyhow::{Result, bail};

use super::options::Sweep;
use crate::profile::HardwareProfile;
use crate::store::ResultsDir;
use crate::store::SummaryRow;
use crate::sweep::{build, execute};

pub fn run(sweep: Sweep, mut profile: HardwareProfile) -> Result<i32> {
    let Sweep {
        template,
        executor,
        program,
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
    super::report_cmd::upgrade_legacy(&out)?;
    let dir = ResultsDir::prepare(&out, &profile.id)?;
    // Files that do not parse are refused now, before anything is measured.
    dir.load()?;
    if let Some(program) = &program {
        // What was measured here before under the same names, to warn of a name reused; the
        // programs themselves are merged into profile.json under its lock when it is written.
        let before = dir
            .read_profile()
            .map(|p| p.history.programs)
            .unwrap_or_default();
        for w in &axes.workloads {
            let figure = |p: &crate::profile::Program| match (&p.metric, p.better) {
                (Some(m), Some(b)) => format!("--metric '{m}' --better {b}"),
                (Some(m), None) => format!("--metric '{m}'"),
                _ => "its wall time".to_string(),
            };
            // Another figure under the same name would put two units in one series.
            if let Some(before) = before.get(&w.to_string())
                && (before.metric != program.metric || before.better != program.better)
            {
                bail!(
                    "{w} was measured in {} by {}; this run measures {}: give --name to keep the two apart (their figures cannot share a chart or a verdict)",
                    dir.path.display(),
                    figure(before),
                    figure(program)
                );
            }
            if let Some(before) = before.get(&w.to_string())
                && before != program
            {
                eprintln!(
                    "pinbench: warning: {w} was measured here before as `{}`{}; these runs measure `{}`{}: give --name to keep them apart",
                    before.command,
                    before
                        .metric
                        .as_ref()
                        .map_or(String::new(), |m| format!(" (--metric {m})")),
                    program.command,
                    program
                        .metric
                        .as_ref()
                        .map_or(String::new(), |m| format!(" (--metric {m})")),
                );
            }
            profile
                .history
                .programs
                .insert(w.to_string(), program.clone());
        }
    }
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
    if !skipped.is_empty() {
        eprintln!(
            "skipping {} combination(s), each reason in summary.csv (status=skipped):",
            skipped.len()
        );
        for (reason, n) in skip_reasons(&skipped) {
            eprintln!("  {n} x {reason}");
        }
    }
    let each = match &program {
        Some(program) => format!("runs of `{}`", program.command),
        None => format!("of {:.0} ms", template.duration.as_secs_f64() * 1e3),
    };
    // Racing goes on past the first repetitions while a comparison is open: the header says
    // so, as the progress line's total does.
    let more = if cfg.max_reps > cfg.reps {
        format!(
            ", then up to {} each while a comparison is open, within {} s more",
            cfg.max_reps,
            cfg.budget.as_secs()
        )
    } else {
        String::new()
    };
    eprintln!(
        "running {} scenarios x ({} reps{}{more}) {each} on {} (allowed {}) into {}",
        planned.len(),
        cfg.reps,
        if cfg.warmup { " + warm-up" } else { "" },
        profile.id,
        profile.allowed,
        dir.path.display()
    );
    let outcome = execute(&planned, &skipped, &profile, &dir, &cfg, executor.as_ref())?;
    super::quiet_on_closed_pipe();
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
        print_verdicts(&outcome.summary, profile.allowed.len(), cfg.precision);
        println!("results: {} (run {})", dir.path.display(), outcome.run_id);
        match crate::report::generate(&dir.path) {
            Ok(w) => println!(
                "charts and report: {} ({} files; open report.html in a browser, or report.md)",
                w.charts_dir.display(),
                w.files.len()
            ),
            Err(e) => eprintln!("pinbench: warning: the charts could not be drawn: {e}"),
        }
    }
    if outcome.throttled_runs > 0 {
        eprintln!(
            "pinbench: the cgroup CPU quota throttled {} run(s) (throttled_periods in runs.csv): their figures measure the quota, not the strategy",
            outcome.throttled_runs
        );
    }
    if outcome.failed_runs > 0 {
        eprintln!(
            "pinbench: {} run(s) failed; the first: {} (every reason is in runs.csv, status=failed)",
            outcome.failed_runs,
            outcome
                .first_failure
                .as_deref()
                .unwrap_or("no reason recorded")
        );
        return Ok(1);
    }
    Ok(0)
}

/// `run --dry-run`: what the sweep would run, and an estimate of its time and peak memory.
/// Nothing is measured and nothing is written.
pub fn dry_run(sweep: &Sweep, profile: &HardwareProfile) -> Result<()> {
    // Read through `| head` as often as whole: nothing runs, so a closed pipe just ends it.
    super::quiet_on_closed_pipe();
    let Sweep {
        template,
        axes,
        config: cfg,
        ..
    } = sweep;
    let (planned, skipped) = build(axes, profile, |w, m, n, ant| {
        template.scenario(w, m, n, ant)
    });
    let list = |v: Vec<String>| v.join(", ");
    println!("machine: {} (allowed {})", profile.id, profile.allowed);
    println!(
        "axes: workloads {}; strategies {}; models {}; workers {}; antagonist {}",
        list(axes.workloads.iter().map(|w| w.described()).collect()),
        list(axes.strategies.iter().map(ToString::to_string).collect()),
        list(axes.models.iter().map(ToString::to_string).collect()),
        list(axes.worker_counts.iter().map(ToString::to_string).collect()),
        if axes.antagonists.iter().any(Option::is_some) {
            "off and on"
        } else {
            "off"
        },
    );
    // The pair placements, one per topology level, where a pair workload runs 2 workers.
    let pairs: Vec<String> = planned
        .iter()
        .filter(|p| p.key.strategy.pair_place().is_some())
        .map(|p| p.key.strategy.to_string())
        .fold(Vec::new(), |mut v, s| {
            if !v.contains(&s) {
                v.push(s);
            }
            v
        });
    if !pairs.is_empty() {
        println!("pair placements: {}", pairs.join(", "));
    }
    let e = crate::sweep::estimate(&planned, cfg, profile.allowed.len());
    let words = crate::text::duration_words;
    println!(
        "{} scenarios, {} runs at first ({} reps{}), then at most {} more racing for open comparisons (--max-reps {} caps them at {})",
        e.scenarios,
        e.first_runs,
        cfg.reps,
        if cfg.warmup { " + warm-up" } else { "" },
        e.budget_runs,
        cfg.max_reps,
        e.max_runs,
    );
    println!(
        "estimated time: {} to {} (the first repetitions, then at most {} of --budget {} racing){}",
        words(e.first_s),
        words(e.first_s + e.budget_s),
        words(e.budget_s),
        words(cfg.budget.as_secs_f64()),
        if e.timed {
            ""
        } else {
            " plus the program's own run time"
        }
    );
    println!(
        "estimated peak memory of the workers: {}",
        crate::size::human_size(e.peak_bytes)
    );
    if !skipped.is_empty() {
        println!("skipped: {} combination(s)", skipped.len());
        for (reason, n) in skip_reasons(&skipped) {
            println!("  {n} x {reason}");
        }
    }
    println!("nothing was measured or written (--dry-run)");
    Ok(())
}

/// Skipped combinations grouped by reason (in first-seen order), not one line per scenario.
fn skip_reasons(skipped: &[crate::sweep::matrix::Skipped]) -> Vec<(String, usize)> {
    let mut reasons: Vec<(String, usize)> = Vec::new();
    for s in skipped {
        match reasons.iter_mut().find(|(r, _)| *r == s.reason) {
            Some((_, n)) => *n += 1,
            None => reasons.push((s.reason.clone(), 1)),
        }
    }
    reasons
}

/// Conclusions first, then one line on the precision reached and the noise.
fn print_verdicts(summary: &[SummaryRow], allowed: usize, precision: f64) {
    let c = crate::report::conclusions::conclude(summary, allowed);
    print!("{}", crate::report::conclusions::render_terminal(&c, true));
    let measured: Vec<&SummaryRow> = summary.iter().filter(|r| r.status.is_ok()).collect();
    let precise = measured
        .iter()
        .filter(|r| r.precision.is_some_and(|p| p <= precision))
        .count();
    let noisy = measured.iter().filter(|r| r.noisy).count();
    let bimodal = measured
        .iter()
        .filter(|r| r.multimodal == Some(true))
        .count();
    println!(
        "{precise} of {} scenarios reached the precision target ({:.0} %); {noisy} noisy, {bimodal} bimodal (summary.csv has every figure)",
        measured.len(),
        precision * 100.0
    );
}
