//! Run-queue wait (`runq_wait_s`): the time a worker was runnable but had no CPU, from the
//! kernel's schedstat, over the measured stretch only.

mod common;

#[test]
fn two_workers_forced_onto_one_cpu_wait_for_it_about_half_the_run() {
    let cpu = pinbench::affinity::current_affinity()
        .unwrap()
        .first()
        .unwrap();
    let both = format!("cpus:{cpu}/{cpu}");
    let out = tempfile::tempdir().unwrap();
    common::sweep(
        &[
            "-W",
            "cpu",
            "-m",
            "processes",
            "-w",
            "2",
            "-d",
            "300ms",
            "--reps",
            "1",
            "--no-warmup",
            "-s",
            &both,
        ],
        out.path(),
    );
    let dir = common::profile_dir(out.path());
    let workers = common::csv_whole(&dir.join("workers.csv"), 2);
    for w in &workers {
        let wait: f64 = w["runq_wait_s"].parse().expect("a run-queue wait");
        let secs: f64 = w["seconds"].parse().unwrap();
        // Two busy workers on one CPU: each runs about half the time and waits the rest (more
        // on a loaded machine, never much less).
        assert!(wait >= secs / 3.0, "waited {wait} s of {secs} s: {w:?}");
    }
    let runs = common::csv_rows(&dir.join("runs.csv"));
    let total: f64 = runs[0]["runq_wait_s"].parse().unwrap();
    let sum: f64 = workers
        .iter()
        .map(|w| w["runq_wait_s"].parse::<f64>().unwrap())
        .sum();
    assert!(
        (total - sum).abs() < 1e-6,
        "the run's total is its workers' sum"
    );
}
