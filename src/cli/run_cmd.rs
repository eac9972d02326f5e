//! `pinbench run` for one scenario: runs it and prints a per-worker table and the total.

use std::time::Duration;

use anyhow::{Result, bail};
use serde::Serialize;

use super::MachineArgs;
use super::machine::load;
use crate::cpuset::CpuSet;
use crate::metrics::CountingMode;
use crate::plan::{Placement, plan};
use crate::runner::{Model, PinBy, Recycle, Scenario, Total, WorkerResult, run_scenario};
use crate::strategy::Strategy;
use crate::workload::{Workload, available_memory};

/// Chooses between one scenario (one workload, strategy, worker count and model, and no
/// sweep options: measured once, printed, nothing written) and a sweep.
pub fn dispatch(a: super::RunArgs) -> Result<i32> {
    let single = a.workload.len() == 1
        && a.strategy.len() == 1
        && a.workers.len() == 1
        && a.model.len() <= 1
        && a.reps.is_none()
        && !a.quick
        && a.out.is_none();
    if !single {
        return super::sweep_cmd::run(a);
    }
    let strategy: Strategy = a.strategy[0].parse()?;
    run(
        RunRequest {
            workload: a.workload[0],
            strategy,
            workers: a.workers[0],
            model: a.model.first().copied().unwrap_or(Model::Threads),
            duration: a.duration.unwrap_or(Duration::from_secs(1)),
            pin_by: a.pin_by,
            counting: a.counting,
            antagonist: a.antagonist,
            recycle: a.recycle,
            task_ms: a.task_ms,
            no_repin: a.no_repin,
            allow_mismatch: a.allow_mismatch,
            json: a.json,
        },
        &a.machine,
    )?;
    Ok(0)
}

/// What `pinbench run` was asked for, before it is checked.
pub struct RunRequest {
    pub workload: Workload,
    pub strategy: Strategy,
    pub workers: usize,
    pub model: Model,
    pub duration: Duration,
    pub pin_by: PinBy,
    pub counting: CountingMode,
    pub antagonist: Option<CpuSet>,
    pub recycle: Option<u32>,
    pub task_ms: u64,
    pub no_repin: bool,
    pub allow_mismatch: bool,
    pub json: bool,
}

#[derive(Serialize)]
struct RunJson<'a> {
    profile_id: &'a str,
    workload: String,
    strategy: String,
    model: Model,
    pin_by: Option<PinBy>,
    workers_count: usize,
    duration_s: f64,
    placement: &'a Placement,
    workers: &'a [WorkerResult],
    total: &'a Total,
}

/// Parses `2s`, `500ms`, `1.5s`, `1m`, or a bare number of seconds; zero or less is an error.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: give e.g. 2s, 500ms or 1.5s"))?;
    let secs = match unit {
        "" | "s" => value,
        "ms" => value / 1e3,
        "us" => value / 1e6,
        "m" | "min" => value * 60.0,
        _ => return Err(format!("`{text}`: unknown unit `{unit}`; use ms, s or m")),
    };
    if !secs.is_finite() || secs <= 0.0 {
        return Err(format!("duration `{text}` must be more than zero"));
    }
    if secs > 24.0 * 3600.0 {
        return Err(format!("duration `{text}` is over a day; give at most 24h"));
    }
    Ok(Duration::from_secs_f64(secs))
}

pub fn run(req: RunRequest, machine: &MachineArgs) -> Result<()> {
    if machine.sysfs_root.is_some() {
        bail!("--sysfs-root describes a recorded machine; `run` measures this one: leave it out");
    }
    let profile = load(machine)?;
    req.workload.validate(req.workers, available_memory())?;
    let placement = plan(
        &req.strategy,
        &profile.topology,
        &profile.allowed,
        req.workers,
    )?;
    if let Some(a) = &req.antagonist {
        let outside = a.difference(&profile.allowed);
        if !outside.is_empty() {
            bail!(
                "--antagonist {a}: CPU(s) {outside} are outside the allowed set {}",
                profile.allowed
            );
        }
    }
    if req.recycle.is_some() && req.model != Model::Processes {
        bail!("--recycle applies to --model processes only (threads are never recycled)");
    }
    let scenario = Scenario {
        workload: req.workload,
        model: req.model,
        workers: req.workers,
        duration: req.duration,
        pin_by: req.pin_by,
        counting: req.counting,
        antagonist: req.antagonist.clone(),
        recycle: req.recycle.map(|k| Recycle {
            tasks_per_worker: k,
            task_ms: req.task_ms,
            repin: !req.no_repin,
        }),
        seed: 1,
        allow_mismatch: req.allow_mismatch,
    };
    let workers = run_scenario(&scenario, &placement)?;
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
    if req.json {
        let out = RunJson {
            profile_id: &profile.id,
            workload: scenario.workload.to_string(),
            strategy: req.strategy.to_string(),
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
    print_table(&scenario, &req.strategy, &workers, &total);
    Ok(())
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "n/a".into(), |v| v.to_string())
}

fn print_table(s: &Scenario, strategy: &Strategy, workers: &[WorkerResult], total: &Total) {
    let source = workers
        .iter()
        .find_map(|w| w.counts.migrations_source)
        .map_or("unavailable", |m| m.as_str());
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
        "worker", "pinned", "seen", "ops/s", "migr", "vol-cs", "invol-cs"
    );
    for w in workers {
        println!(
            "{:>6} {:>10} {:>10} {:>14.0} {:>10} {:>8} {:>8}{}",
            w.worker,
            w.cpus_planned
                .as_ref()
                .map_or("-".into(), |c| c.to_string()),
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
        .map(|ns| format!(", {ns:.1} ns/op"))
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
