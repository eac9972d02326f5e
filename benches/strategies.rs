//! Criterion benches: one group per workload, one benchmark per strategy, thread workers, as
//! many workers as allowed CPUs (rounded up to pairs for pair workloads). Each measurement is a
//! short pinbench scenario; `iter_custom` converts its summed throughput into the time
//! `iters` operations take, so criterion reports operations per second per strategy.

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pinbench::affinity::startup_allowed;
use pinbench::metrics::CountingMode;
use pinbench::plan::plan;
use pinbench::profile::{AllowedSource, read_profile};
use pinbench::runner::{Model, PinBy, Scenario, Total, run_scenario};
use pinbench::strategy::Strategy;
use pinbench::workload::default_workloads;

fn benches(c: &mut Criterion) {
    let allowed = startup_allowed().expect("affinity readable");
    let profile = read_profile(
        std::path::Path::new("/"),
        AllowedSource::Live,
        Some(&allowed),
    )
    .expect("this machine's topology");
    let n = allowed.len();
    for workload in default_workloads(&profile) {
        let workers = workload.family().fit_workers(n);
        let mut group = c.benchmark_group(workload.to_string());
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_secs(1))
            .throughput(Throughput::Elements(1));
        for strategy in Strategy::defaults() {
            let Ok(placement) = plan(&strategy, &profile.topology, &profile.allowed, workers)
            else {
                continue;
            };
            let scenario = Scenario {
                workload,
                model: Model::Threads,
                workers,
                duration: Duration::from_millis(20),
                pin_by: PinBy::SelfPin,
                counting: CountingMode::Off,
                antagonist: None,
                recycle: None,
                seed: 1,
                allow_mismatch: false,
            };
            group.bench_function(strategy.to_string(), |b| {
                b.iter_custom(|iters| {
                    let workers = run_scenario(&scenario, &placement).expect("scenario runs");
                    let total = Total::of(&scenario.workload, &workers);
                    Duration::from_secs_f64(iters as f64 / total.throughput_ops_s.max(1e-9))
                })
            });
        }
        group.finish();
    }
}

criterion_group!(strategies, benches);
criterion_main!(strategies);
