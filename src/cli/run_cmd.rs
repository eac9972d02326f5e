//! `pinbench run` for one scenario: runs it and prints a per-worker table and the total.

use anyhow::Result;
use serde::Serialize;

use super::options::{RunOptions, Single};
use crate::plan::{Placement, plan};
use crate::profile::HardwareProfile;
use crate::runner::{Model, PinBy, Scenario, Total, WorkerResult, run_scenario};
use crate::strategy::Strategy;
use crate::workload::{Workload, available_memory};

/// Builds the options once, then runs one scenario or a sweep as they say.
pub fn dispatch(a: super::RunArgs) -> Result<i32> {
    let profile = super::machine::load(&a.machine)?;
    if a.counting == crate::metrics::CountingMode::Perf
        && !crate::metrics::PerfCounters::available()
    {
        eprintln!(
            "pinbench: warning: --counting perf: this user cannot open the cpu-migrations event (perf_event_paranoid={}); migrations come from procfs (migrations_source says so per row)",
            profile
                .perf_event_paranoid
                .map_or("unknown".into(), |p| p.to_string())
        );
    }
    if a.counting == crate::metrics::CountingMode::Perf
        && !crate::metrics::HardwareCounters::available()
    {
        eprintln!(
            "pinbench: warning: --counting perf: the cycles, instructions and cache-misses events cannot be opened here (no PMU perf may use, or perf_event_paranoid={}); their columns stay empty",
            profile
                .perf_event_paranoid
                .map_or("unknown".into(), |p| p.to_string())
        );
    }
    let dry = a.dry_run;
    match RunOptions::from_args(a, &profile)? {
        RunOptions::Single(single) => run(single, &profile).map(|_| 0),
        RunOptions::Sweep(sweep) if dry => super::sweep_cmd::dry_run(&sweep, &profile).map(|_| 0),
        RunOptions::Sweep(sweep) => super::sweep_cmd::run(sweep, profile),
    }
}

#[derive(Serialize)]
struct RunJson<'a> {
    profile_id: &'a str,
    workload: Workload,
    strategy: &'a Strategy,
    model: Model,
    pin_by: Option<PinBy>,
    workers_count: usize,
    duration_s: f64,
    placement: &'a Placement,
    workers: &'a [WorkerResult],
    total: &'a Total,
}

/// Parses `2s`, `500ms`, `1.5s`, `1m`; zero or less is an error, and so is a number without
/// a unit (a bare `200` is ambiguous: 200 s or 200 ms?).
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: give e.g. 2s, 500ms or 1.5s"))?;
    if !value.is_finite() || value <= 0.0 {
        return Err(format!("duration `{text}` must be more than zero"));
    }
    let secs = match unit {
        "" => {
            return Err(format!(
                "duration `{text}` has no unit: give {num}s, {num}ms or {num}m"
            ));
        }
        "s" => value,
        "ms" => value / 1e3,
        "us" => value / 1e6,
        "m" | "min" => value * 60.0,
        _ => return Err(format!("`{text}`: unknown unit `{unit}`; use ms, s or m")),
    };
    if secs > 24.0 * 3600.0 {
        return Err(format!("duration `{text}` is over a day; give at most 24h"));
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

fn run(single: Single, profile: &HardwareProfile) -> Result<()> {
    let Single {
        mut scenario,
        strategy,
        antagonist,
        json,
    } = single;
    scenario
        .workload
        .validate(scenario.workers, available_memory(&profile.topology.root))?;
    let placement = plan(
        &strategy,
        &profile.topology,
        &profile.allowed,
        scenario.workers,
    )?;
    scenario.antagonist = antagonist
        .map(|a| a.resolve(&placement, &profile.topology, &profile.allowed))
        .transpose()?;
    let workers = with_progress(scenario.duration, || run_scenario(&scenario, &placement))?;
    for w in &workers {
        if let Some(planned) = &w.cpus_planned
            && planned != &w.cpus_readback
        {
            eprintln!(
                "pinbench: warning: worker {} ran under CPUs {} where the plan says {planned}",
                w.worker, w.cpus_readback
            );
        }
    }
    let total = Total::of(&scenario.workload, &workers);
    super::quiet_on_closed_pipe();
    if json {
        let out = RunJson {
            profile_id: &profile.id,
            workload: scenario.workload,
            strategy: &strategy,
            model: scenario.model,
            pin_by: (scenario.model == Model::Processes && placement.pins_workers())
                .then_some(scenario.pin_by),
            workers_count: scenario.workers,
            duration_s: scenario.duration.as_secs_f64(),
            placement: &placement,
            workers: &workers,
            total: &total,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    print_table(&scenario, &strategy, &workers, &total);
    Ok(())
}

/// Runs `f`, showing progress on stderr when it will take more than a few seconds: a bar on a
/// terminal, a line every 5 s otherwise.
fn with_progress<T>(duration: std::time::Duration, f: impl FnOnce() -> T) -> T {
    use std::io::IsTerminal;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};
    if duration < Duration::from_secs(3) {
        return f();
    }
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let start = Instant::now();
            let total = duration.as_secs();
            let bar = std::io::stderr().is_terminal().then(|| {
                let b = indicatif::ProgressBar::new(total);
                b.set_style(
                    indicatif::ProgressStyle::with_template("measuring {bar:30} {pos}/{len} s")
                        .expect("valid template"),
                );
                b
            });
            let mut last_line = Instant::now();
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let el = start.elapsed().as_secs().min(total);
                match &bar {
                    Some(b) => b.set_position(el),
                    None if last_line.elapsed() >= Duration::from_secs(5) => {
                        eprintln!("progress: {el} of {total} s measured");
                        last_line = Instant::now();
                    }
                    None => {}
                }
            }
            if let Some(b) = bar {
                b.finish_and_clear();
            }
        });
        let out = f();
        done.store(true, Ordering::Relaxed);
        out
    })
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "n/a".into(), |v| v.to_string())
}

fn print_table(s: &Scenario, strategy: &Strategy, workers: &[WorkerResult], total: &Total) {
    let source = workers
        .iter()
        .find_map(|w| w.counts.migrations_source)
        .map_or("not counted (no source available)", |m| m.as_str());
    println!(
        "{} | strategy {} | {} x{} | {:.2}s | migrations from {}",
        s.workload,
        strategy,
        s.model,
        s.workers,
        s.duration.as_secs_f64(),
        source
    );
    println!(
        "{:>6} {:>10} {:>10} {:>14} {:>10} {:>8} {:>8}",
        "worker",
        "mask",
        "seen",
        s.workload.unit().per_second(),
        "migr",
        "vol-cs",
        "invol-cs"
    );
    for w in workers {
        println!(
            "{:>6} {:>10} {:>10} {:>14.0} {:>10} {:>8} {:>8}{}",
            w.worker,
            w.cpus_readback.to_string(),
            w.cpus_seen.to_string(),
            w.throughput_ops_s,
            opt(w.counts.migrations),
            opt(w.counts.voluntary_switches),
            opt(w.counts.involuntary_switches),
            if w.primary { "" } else { "  (helper)" }
        );
    }
    let latency = total
        .ns_per_op
        .zip(s.workload.unit().latency())
        .map(|(ns, what)| format!(", {ns:.1} {what}"))
        .unwrap_or_default();
    let off = total
        .off_plan_fraction
        .filter(|f| *f > 0.0)
        .map(|f| format!(", {:.1}% of samples off the planned CPUs", f * 100.0))
        .unwrap_or_default();
    println!(
        "{:>6} {:>10} {:>10} {:>14.0} {:>10} {:>8} {:>8}{latency}{off}",
        "total",
        "",
        total.cpus_seen.to_string(),
        total.throughput_ops_s,
        opt(total.migrations),
        opt(total.voluntary_switches),
        opt(total.involuntary_switches),
    );
}
