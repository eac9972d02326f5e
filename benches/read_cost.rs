//! What pinbench's own counter reads cost a workload: the same scenario with the counters read
//! (`--counting procfs`: migrations and switches from `/proc/thread-self/sched`, CPU time from
//! `getrusage`, run-queue wait from `/proc/thread-self/schedstat`, at the start and the end of
//! each worker's measured stretch) and with none read (`--counting off`), interleaved
//! A B A' round after round in one run, so a shared machine's drift falls on all three. Prints
//! every round, the medians, B over A (reads off over reads on) with its 95 % interval and
//! verdict against the A/A floor (A' over A), per scenario. The reads cost nothing measurable
//! when every B-over-A verdict is `no difference` or `inconclusive` inside the A/A noise.
//!
//! `cargo bench --bench read_cost`; `PINBENCH_READ_COST_ROUNDS` sets the rounds (default 10),
//! `PINBENCH_READ_COST_MS` each run's duration (default 200).

use std::path::Path;
use std::time::Duration;

use pinbench::metrics::CountingMode;
use pinbench::plan::plan;
use pinbench::profile::{AllowedSource, read_profile};
use pinbench::runner::{Model, Scenario, Total, run_scenario};
use pinbench::stats::{NOISE_THRESHOLD, median, speedup};
use pinbench::strategy::Strategy;

fn main() {
    if std::env::args().any(|a| a == "--test") || std::env::args().all(|a| a != "--bench") {
        return;
    }
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    // Process workers run the pinbench binary built beside this bench.
    if std::env::var_os(pinbench::runner::WORKER_EXE_ENV).is_none() {
        // SAFETY: set before any thread is started.
        unsafe {
            std::env::set_var(
                pinbench::runner::WORKER_EXE_ENV,
                env!("CARGO_BIN_EXE_pinbench"),
            )
        };
    }
    let rounds = env("PINBENCH_READ_COST_ROUNDS", 10) as usize;
    let duration = Duration::from_millis(env("PINBENCH_READ_COST_MS", 200));
    let allowed = pinbench::affinity::startup_allowed().expect("allowed set");
    let profile =
        read_profile(Path::new("/"), AllowedSource::Live, Some(&allowed)).expect("profile");
    let workers = 2.min(allowed.len()).max(1);
    // A compute loop (two reads per worker per run against a few hundred million operations),
    // a cache-resident chase, and the shortest operation pinbench measures: a pipe round trip,
    // pinned and not, in both models.
    let cases: Vec<(&str, Model, Strategy)> = vec![
        ("cpu", Model::Threads, Strategy::None),
        ("cpu", Model::Processes, Strategy::PerWorker),
        ("cache:L2/2", Model::Threads, Strategy::PerWorker),
        ("ipc:pipe", Model::Threads, Strategy::None),
        ("ipc:pipe", Model::Processes, Strategy::PerWorker),
    ];
    println!(
        "reads on (A, counting procfs) / reads off (B, counting off) / reads on (A'), {rounds} rounds of {} ms, {workers} workers",
        duration.as_millis()
    );
    for (workload, model, strategy) in cases {
        let Ok(workload) = workload
            .parse::<pinbench::workload::Workload>()
            .map_err(|e| e.to_string())
            .and_then(|w| w.resolve(&profile).map_err(|e| e.to_string()))
        else {
            println!("\n{workload}: not on this machine, skipped");
            continue;
        };
        let Ok(placement) = plan(&strategy, &profile.topology, &allowed, workers) else {
            continue;
        };
        let scenario = |counting| Scenario {
            counting,
            ..Scenario::new(workload, model, workers, duration)
        };
        let on = scenario(CountingMode::Procfs);
        let off = scenario(CountingMode::Off);
        let run = |s: &Scenario| {
            let w = run_scenario(s, &placement).expect("scenario runs");
            Total::of(&s.workload, &w).throughput_ops_s
        };
        // One of each first, uncounted: the first run pays for page faults and a cold cache.
        run(&on);
        run(&off);
        let (mut a, mut b, mut a2) = (Vec::new(), Vec::new(), Vec::new());
        let label = format!("{workload} {strategy} {model} x{workers}");
        println!("\n{label}: operations/s, reads on A / reads off B / reads on A'");
        for r in 0..rounds {
            a.push(run(&on));
            b.push(run(&off));
            a2.push(run(&on));
            println!("  round {r:2}: {:.4e} / {:.4e} / {:.4e}", a[r], b[r], a2[r]);
        }
        let aa = speedup(&a, &a2, NOISE_THRESHOLD, 0.0).expect("A/A");
        let floor = (aa.ratio - 1.0).abs();
        let ab = speedup(&a, &b, NOISE_THRESHOLD, floor).expect("A/B");
        let (lo, hi) = ab.ci.unwrap_or((f64::NAN, f64::NAN));
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let load: Vec<&str> = load.split_whitespace().take(3).collect();
        println!(
            "  medians: on {:.4e}, off {:.4e}: off/on {:.3}x (95 % interval {lo:.3}-{hi:.3}), verdict {} (band {:.1} %)",
            median(&a).unwrap(),
            median(&b).unwrap(),
            ab.ratio,
            ab.verdict.as_str(),
            NOISE_THRESHOLD.max(floor) * 100.0
        );
        println!(
            "  A/A: on' over on {:.3}x, verdict {}; load average {}",
            aa.ratio,
            aa.verdict.as_str(),
            load.join(" ")
        );
    }
}
