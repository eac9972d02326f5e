//! Criterion benches: one group per workload, one benchmark per strategy, thread workers, as
//! many workers as allowed CPUs (fitted to the workload: pairs for pair workloads). One
//! iteration is one operation of every primary worker; `iter_custom` runs a scenario that stops
//! after `iters` operations per primary worker and returns the wall time of its measured
//! stretch (start barrier to the last worker's end, from the workers' own monotonic clock), so
//! the figures are times criterion measured, not throughputs converted into times.
//! Working sets over 512 MiB per worker are left to `pinbench run`: preparing one takes
//! seconds, and criterion prepares a scenario for every sample.

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pinbench::affinity::startup_allowed;
use pinbench::metrics::CountingMode;
use pinbench::plan::plan;
use pinbench::profile::{AllowedSource, read_profile};
use pinbench::runner::{Model, Scenario, run_scenario};
use pinbench::strategy::Strategy;
use pinbench::workload::default_workloads;

/// The largest working set a bench prepares per worker.
const MAX_BENCH_BYTES: u64 = 512 << 20;

fn benches(c: &mut Criterion) {
    // Criterion's plots use plotters with the text backend this crate turns on: give it the
    // bundled font, or the first plot fails with FontUnavailable.
    pinbench::report::charts::style::register_font();
    let allowed = startup_allowed().expect("affinity readable");
    let profile = read_profile(
        std::path::Path::new("/"),
        AllowedSource::Live,
        Some(&allowed),
    )
    .expect("this machine's topology");
    let n = allowed.len();
    for workload in default_workloads(&profile)
        .into_iter()
        .filter(|w| w.size().is_none_or(|b| b <= MAX_BENCH_BYTES))
    {
        let workers = workload.family().fit_workers(n);
        let mut group = c.benchmark_group(workload.to_string());
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(2))
            .throughput(Throughput::Elements(1));
        for strategy in Strategy::defaults() {
            let Ok(placement) = plan(&strategy, &profile.topology, &profile.allowed, workers)
            else {
                continue;
            };
            let scenario = Scenario {
                counting: CountingMode::Off,
                ..Scenario::new(workload, Model::Threads, workers, Duration::from_secs(60))
            };
            group.bench_function(strategy.to_string(), |b| {
                b.iter_custom(|iters| {
                    let fixed = Scenario {
                        ops: Some(iters.max(1)),
                        ..scenario.clone()
                    };
                    let workers = run_scenario(&fixed, &placement).expect("scenario runs");
                    let primaries = workers.iter().filter(|w| w.primary);
                    let start = primaries.clone().map(|w| w.start_ns).min().unwrap_or(0);
                    let end = primaries.map(|w| w.end_ns).max().unwrap_or(0);
                    Duration::from_nanos(end.saturating_sub(start))
                })
            });
        }
        group.finish();
    }
}

criterion_group!(strategies, benches);
criterion_main!(strategies);
