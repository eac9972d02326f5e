//! `pinbench report`: charts and a `report.md` for a profile, from its CSV and profile.json
//! alone (no measuring). Output is deterministic: the same files give the same bytes.

pub mod charts;
pub mod conclusions;
pub mod data;
mod html;

use std::fmt::Write;
use std::path::{Path, PathBuf};

use crate::workload::LatencyChart;
use charts::style::render;
use charts::{CacheLatency, ChartFile, IpcLatency, Migrations, Overview, Throughput, Wait};
pub use data::{ProfileResults, ReportError};

/// What a report wrote.
pub struct Written {
    pub charts_dir: PathBuf,
    /// The conclusions the report opens with, for the terminal to print the same.
    pub conclusions: conclusions::Conclusions,
    pub files: Vec<String>,
    pub excluded: Vec<String>,
}

/// Draws every chart of the profile in `dir` into `dir/charts/` and writes `report.md` and
/// `report.html`.
pub fn generate(dir: &Path) -> Result<Written, ReportError> {
    generate_run(dir, None)
}

/// As [`generate`], for one run of the folder (`run_id`) instead of each scenario's latest.
/// Holds the folder's lock throughout, so runs finishing at once (array tasks of a cluster
/// job) draw one after the other, each from the files as a whole, and the last one's charts
/// show every run.
pub fn generate_run(dir: &Path, run: Option<&str>) -> Result<Written, ReportError> {
    let lock = crate::store::DirLock::acquire(dir)?;
    let res = ProfileResults::load_run(dir, run)?;
    let charts_dir = dir.join("charts");
    crate::report::data::make_dir(&charts_dir)?;
    let mut files = Vec::new();
    let mut draw =
        |chart: &dyn Fn(&Path) -> Result<Vec<String>, ReportError>| -> Result<(), ReportError> {
            files.extend(chart(&charts_dir)?);
            lock.refresh();
            Ok(())
        };
    draw(&|d| render(&Overview { res: &res }, d, &ChartFile::Overview.stem()))?;
    for w in res.workloads() {
        draw(&|d| {
            render(
                &Throughput {
                    res: &res,
                    workload: w,
                },
                d,
                &ChartFile::Throughput(w).stem(),
            )
        })?;
        draw(&|d| {
            render(
                &Migrations {
                    res: &res,
                    workload: w,
                },
                d,
                &ChartFile::Migrations(w).stem(),
            )
        })?;
        if Wait::has_data(&res, w) {
            draw(&|d| {
                render(
                    &Wait {
                        res: &res,
                        workload: w,
                    },
                    d,
                    &ChartFile::Wait(w).stem(),
                )
            })?;
        }
    }
    let charted = |chart| {
        res.ok()
            .any(|r| r.key.workload.family().latency_chart() == Some(chart))
    };
    if charted(LatencyChart::BySize) {
        draw(&|d| {
            render(
                &CacheLatency { res: &res },
                d,
                &ChartFile::CacheLatency.stem(),
            )
        })?;
    }
    if charted(LatencyChart::ByPlacement) {
        draw(&|d| render(&IpcLatency { res: &res }, d, &ChartFile::IpcLatency.stem()))?;
    }
    let conclusions = conclusions::conclude(&res.rows, res.profile.allowed.len());
    let md = report_md(&res, &conclusions, &files);
    crate::store::write_atomic(&charts_dir.join("report.md"), md.as_bytes())?;
    files.push("report.md".into());
    let page = html::page(&res, &conclusions, &charts_dir);
    crate::store::write_atomic(&charts_dir.join("report.html"), page.as_bytes())?;
    files.push("report.html".into());
    Ok(Written {
        charts_dir,
        conclusions,
        files,
        excluded: res.excluded.clone(),
    })
}

/// For each run shown that a batch scheduler started, which job, node and CPUs it had.
pub(crate) fn scheduler_lines(res: &ProfileResults) -> Vec<String> {
    let shown = res.run_ids();
    res.profile
        .history
        .scheduler
        .iter()
        .filter(|s| shown.contains(&s.run_id))
        .map(|s| {
            let warning = s
                .warning()
                .map_or(String::new(), |w| format!(" Warning: {w}."));
            format!("Run {}: {}.{warning}", s.run_id, s.describe())
        })
        .collect()
}

fn report_md(res: &ProfileResults, c: &conclusions::Conclusions, files: &[String]) -> String {
    let p = &res.profile;
    let mut s = String::new();
    let _ = writeln!(s, "# pinbench report: {}\n", p.id);
    let _ = writeln!(
        s,
        "{}; {} online ({}, {}, SMT {}), allowed {}; kernel {}; virtualisation {}; governor {}.\n",
        p.cpu_model.as_deref().unwrap_or("unknown CPU"),
        crate::text::count(p.summary.cpus, "CPU"),
        crate::text::count(p.summary.packages, "package"),
        crate::text::count(p.summary.cores, "core"),
        crate::text::smt_words(&p.smt),
        p.allowed,
        p.kernel.as_deref().unwrap_or("unknown"),
        p.virtualization.as_deref().unwrap_or("none detected"),
        p.governor.as_deref().unwrap_or("unknown"),
    );
    // The conclusions first: one line per workload and model.
    let _ = writeln!(s, "## Conclusions\n");
    let _ = writeln!(s, "{}", conclusions::render_markdown(c));
    let _ = writeln!(s, "![speedup over none](overview.png)\n");
    let runs = res.run_ids();
    let _ = writeln!(
        s,
        "Runs shown: {} ({}; `pinbench report --run ID` shows one).\n",
        runs.join(", "),
        if runs.len() > 1 {
            "each scenario's latest run"
        } else {
            "the only run here, or the one asked for"
        }
    );
    let jobs = scheduler_lines(res);
    for line in &jobs {
        let _ = writeln!(s, "- {line}");
    }
    if !jobs.is_empty() {
        s.push('\n');
    }
    let detail = conclusions::render_markdown_detail(c);
    if !detail.is_empty() {
        let _ = writeln!(s, "## Detail per strategy\n\n{detail}");
    }
    let _ = writeln!(s, "## Verdicts against `none`\n");
    let _ = writeln!(
        s,
        "A verdict calls a difference only when the 95 % interval of the speedup (Hodges-Lehmann, distribution-free) clears 1 by the larger of the threshold and the noise floor (how far apart identical placements came out), and no difference only when the whole interval lies inside that band; an interval that crosses the band is inconclusive; below 6 samples there is no verdict. `~` marks noisy scenarios (CV over 5 %, fewer than 6 samples, or bimodal). Where a folder holds several runs, each scenario shows its latest run.\n"
    );
    let _ = writeln!(
        s,
        "| workload | model | workers | strategy | speedup [95% CI] | verdict | n | why |"
    );
    let _ = writeln!(s, "| --- | --- | ---: | --- | --- | --- | ---: | --- |");
    for r in res.ok().filter(|r| r.verdict.is_some()) {
        let sp = match (r.speedup_vs_none, r.speedup_ci_low, r.speedup_ci_high) {
            (Some(v), Some(lo), Some(hi)) => format!("{v:.3}x [{lo:.3}, {hi:.3}]"),
            _ => "-".into(),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {}{} | {} | {} |",
            r.key.workload,
            r.key.model,
            r.key.workers,
            r.key.strategy,
            sp,
            r.verdict.map(|v| v.as_str()).unwrap_or_default(),
            if r.noisy { " ~" } else { "" },
            r.n,
            r.why.as_deref().unwrap_or_default()
        );
    }
    let _ = writeln!(s, "\n{}", why_note(res));
    let others: Vec<_> = res.rows.iter().filter(|r| !r.status.is_ok()).collect();
    if !others.is_empty() {
        let _ = writeln!(s, "\n## Not measured\n");
        for r in others {
            let _ = writeln!(
                s,
                "- {} {} {} x{}: {} ({})",
                r.key.workload,
                r.key.strategy,
                r.key.model,
                r.key.workers,
                r.status.as_str(),
                r.reason
            );
        }
    }
    if !res.excluded.is_empty() {
        let _ = writeln!(s, "\n## Left out of the charts\n");
        for e in &res.excluded {
            let _ = writeln!(s, "- {e}");
        }
    }
    let _ = writeln!(s, "\n## Charts\n");
    for f in files.iter().filter(|f| f.ends_with(".png")) {
        let _ = writeln!(s, "- [{f}]({f}) ([svg]({}))", f.replace(".png", ".svg"));
    }
    s
}

/// How to read the `why` column, and whether hardware counters were there to explain with.
fn why_note(res: &ProfileResults) -> String {
    let counted = res
        .ok()
        .any(|r| r.cache_misses_per_op.is_some() || r.instructions_per_cycle.is_some());
    let counters = if counted {
        "Hardware counters (cache misses per operation, instructions per cycle) were counted (`--counting perf`) and are in summary.csv.".to_string()
    } else {
        format!(
            "Hardware counters (cycles, instructions, cache misses) were not available in these runs (perf_event_paranoid {}; they need `--counting perf` and a PMU perf may use, which virtual machines rarely have): no `why` names a cache or memory cause, and those cells are empty, not 0.",
            res.profile
                .perf_event_paranoid
                .map_or("unknown".into(), |p| p.to_string())
        )
    };
    format!(
        "`why` names the measured mechanism that differs most from `none` in the verdict's direction, with both figures: the share of the run the workers waited for a CPU, a talking pair's ends on one CPU or apart, migrations, preemptions, cgroup throttling. {counters}"
    )
}

/// Every profile folder under a results root (the store lists them).
pub use crate::store::profile_dirs;
