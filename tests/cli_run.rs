//! `pinbench run` as a user runs it: pins held, counts sane, failures contained. Short
//! durations; these tests check behaviour, never speed.

mod common;

use common::{allowed, pinbench, workers_of};
use pinbench::cpuset::CpuSet;
use serde_json::Value;

fn run_json(args: &[&str]) -> Value {
    let out = pinbench()
        .arg("run")
        .args(args)
        .args(["--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn set(text: &str) -> CpuSet {
    CpuSet::parse_allow_empty(text).unwrap()
}

fn cpus(v: &Value) -> CpuSet {
    CpuSet::parse_allow_empty(v.as_str().unwrap_or("")).unwrap()
}

#[test]
fn per_worker_pins_hold_for_threads_and_processes() {
    let n = allowed().len().min(4).to_string();
    for (model, by) in [
        ("threads", "self"),
        ("processes", "self"),
        ("processes", "parent"),
    ] {
        let v = run_json(&[
            "-W",
            "cpu",
            "-s",
            "per-worker",
            "-w",
            &n,
            "-m",
            model,
            "--pin-by",
            by,
            "-d",
            "200ms",
        ]);
        let workers = v["workers"].as_array().unwrap();
        assert_eq!(workers.len().to_string(), n);
        for w in workers {
            let planned = cpus(&w["cpus_planned"]);
            assert_eq!(planned.len(), 1, "{model}/{by}: {w}");
            assert_eq!(cpus(&w["cpus_readback"]), planned, "{model}/{by}");
            if by == "self" {
                // Pinned before counting starts: the worker never left its CPU.
                assert_eq!(cpus(&w["cpus_seen"]), planned, "{model}/{by}: {w}");
                assert_eq!(w["migrations"], 0, "{model}/{by}: {w}");
            }
            assert!(w["ops"].as_u64().unwrap() > 0);
            assert!(w["migrations_source"].is_string(), "source named: {w}");
            assert!(w["user_seconds"].as_f64().unwrap() > 0.0);
        }
        assert!(v["total"]["throughput_ops_s"].as_f64().unwrap() > 0.0);
        assert!(v["total"]["ns_per_op"].is_null());
    }
}

#[test]
fn none_floats_and_counts_migrations_with_a_source() {
    let n = (2 * allowed().len()).to_string();
    let v = run_json(&["-W", "cpu", "-s", "none", "-w", &n, "-d", "300ms"]);
    for w in v["workers"].as_array().unwrap() {
        assert!(w["cpus_planned"].is_null());
        assert_eq!(cpus(&w["cpus_readback"]), allowed());
        assert!(cpus(&w["cpus_seen"]).is_subset(&allowed()), "{w}");
        assert!(w["migrations"].is_u64(), "{w}");
        // Counted by the kernel, and which of its counters is said.
        let source = w["migrations_source"].as_str().unwrap_or("");
        assert!(source == "perf" || source == "procfs", "{w}");
    }
    // With counting off there is no count, and no source claimed for one.
    let off = run_json(&[
        "-W",
        "cpu",
        "-s",
        "none",
        "-w",
        "1",
        "-d",
        "50ms",
        "--counting",
        "off",
    ]);
    let w = &off["workers"][0];
    assert!(
        w["migrations"].is_null() && w["migrations_source"].is_null(),
        "{w}"
    );
}

#[test]
fn inherited_workers_run_under_the_spawners_mask() {
    let first = allowed().first().unwrap().to_string();
    for model in ["threads", "processes"] {
        let v = run_json(&[
            "-W",
            "cpu",
            "-s",
            &format!("inherited:{first}"),
            "-w",
            "2",
            "-m",
            model,
            "-d",
            "100ms",
        ]);
        for w in v["workers"].as_array().unwrap() {
            assert_eq!(w["cpus_readback"], first.as_str(), "{model}: {w}");
            assert_eq!(w["cpus_seen"], first.as_str(), "{model}: {w}");
        }
        assert_eq!(v["placement"]["spawner_mask"], first.as_str());
    }
}

#[test]
fn every_ipc_transport_runs_as_threads_and_processes() {
    for w in [
        "ipc:pipe",
        "ipc:socket",
        "ipc:shm",
        "ipc:queue",
        "ipc:server",
    ] {
        for model in ["threads", "processes"] {
            let n = if w.ends_with("queue") || w.ends_with("server") {
                "3"
            } else {
                "2"
            };
            let v = run_json(&[
                "-W",
                w,
                "-s",
                "round-robin",
                "-w",
                n,
                "-m",
                model,
                "-d",
                "150ms",
            ]);
            let total = &v["total"];
            assert!(total["ops"].as_u64().unwrap() > 0, "{w} {model}: {total}");
            assert!(total["ns_per_op"].as_f64().unwrap() > 0.0, "{w} {model}");
            let helpers = v["workers"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|x| x["primary"] == false)
                .count();
            assert!(helpers >= 1, "{w} {model}");
        }
    }
}

#[test]
fn cache_workload_reports_ns_per_access() {
    let v = run_json(&[
        "-W",
        "cache:64KiB",
        "-s",
        "per-worker",
        "-w",
        "1",
        "-d",
        "150ms",
    ]);
    let ns = v["total"]["ns_per_op"].as_f64().unwrap();
    assert!(ns > 0.0 && ns < 1000.0, "{ns}");
}

#[test]
fn recycled_pool_repins_or_shows_the_loss() {
    let v = run_json(&[
        "-W",
        "cpu",
        "-s",
        "per-worker",
        "-w",
        "1",
        "-m",
        "processes",
        "--recycle",
        "2",
        "--task-ms",
        "10",
        "-d",
        "200ms",
    ]);
    let w = &v["workers"][0];
    assert!(w["generations"].as_u64().unwrap() >= 2, "{w}");
    // Every generation read its own mask back: the pin, each time.
    assert_eq!(cpus(&w["cpus_readback"]), cpus(&w["cpus_planned"]));
    assert_eq!(cpus(&w["cpus_seen"]), cpus(&w["cpus_planned"]), "{w}");
    assert_eq!(w["samples_outside_plan"], 0);
    if allowed().len() < 2 {
        common::skip("the --no-repin half: on one CPU a lost pin is the allowed set");
    } else {
        let v = run_json(&[
            "-W",
            "cpu",
            "-s",
            "per-worker",
            "-w",
            "1",
            "-m",
            "processes",
            "--recycle",
            "2",
            "--task-ms",
            "10",
            "-d",
            "200ms",
            "--no-repin",
        ]);
        let w = &v["workers"][0];
        // The loss: the replacements (there were some) read back the whole allowed set
        // instead of the pin, and their samples are counted against the plan (where the
        // scheduler then puts them is its choice, so their share is not asserted).
        assert!(w["generations"].as_u64().unwrap() >= 2, "{w}");
        assert_eq!(cpus(&w["cpus_readback"]), allowed(), "{w}");
        assert_ne!(cpus(&w["cpus_readback"]), cpus(&w["cpus_planned"]), "{w}");
        assert!(
            w["samples_outside_plan"].as_u64().unwrap() <= w["cpu_samples"].as_u64().unwrap(),
            "{w}"
        );
    }
}

#[test]
fn antagonist_runs_beside_the_workers() {
    let allowed = allowed();
    let last = allowed.last().unwrap();
    // Process workers: a thread of pinbench's own process pinned to one CPU is the antagonist.
    // Each look notes whether a worker was alive at that moment.
    let mut seen: Vec<(common::Task, bool)> = Vec::new();
    let out = common::run_watching(
        pinbench().args([
            "run",
            "-W",
            "cpu",
            "-s",
            "per-worker",
            "-w",
            "1",
            "-m",
            "processes",
            "-d",
            "300ms",
            "--antagonist",
            &last.to_string(),
            "--json",
        ]),
        |pid| {
            let working = workers_of(pid) > 0;
            for t in common::tasks_of(pid) {
                let t = (t, working);
                if t.0.tid != pid as i32 && t.0.mask.len() == 1 && !seen.contains(&t) {
                    seen.push(t);
                }
            }
        },
    );
    common::assert_ok(&out);
    assert!(
        seen.iter().any(|(t, working)| *working
            && t.state == "R"
            && t.mask == CpuSet::single(last)
            && t.cpu == last),
        "no antagonist seen running on CPU {last} while the worker worked: {seen:?}"
    );
    // The worker, beside it: on its own CPU the whole time, by its own samples.
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let w = &v["workers"][0];
    let planned = cpus(&w["cpus_planned"]);
    assert_eq!(cpus(&w["cpus_seen"]), planned, "{w}");
    if allowed.len() > 1 {
        assert!(!planned.contains(last), "{w}");
    }
    assert!(w["ops"].as_u64().unwrap() > 0);
}

#[test]
fn a_failing_worker_fails_its_scenario_with_the_reason_and_leaves_no_orphan() {
    for (fault, reason) in [
        ("exit:1", "exited with status 7"),
        ("panic:0", "injected fault"),
        ("abort:1", "killed by signal 6"),
        ("garbage:0", "garbage"),
        ("hang:1", "did not report in time"),
    ] {
        let child = pinbench()
            .args([
                "run",
                "-W",
                "cpu",
                "-s",
                "per-worker",
                "-w",
                "2",
                "-m",
                "processes",
                "-d",
                "100ms",
            ])
            .env("PINBENCH_FAULT", fault)
            // Short for the hang, which has to wait it out; long for the others, so a healthy
            // worker slowed by a loaded machine is not taken for hung before the fault shows.
            .env(
                "PINBENCH_RESULT_GRACE_MS",
                if fault.starts_with("hang") {
                    "500"
                } else {
                    "5000"
                },
            )
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let out = child.wait_with_output().unwrap();
        assert!(!out.status.success(), "{fault}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(reason), "{fault}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{fault}: {err}");
        assert_eq!(workers_of(pid), 0, "{fault}: orphaned workers");
    }
}

#[test]
fn a_mask_that_differs_from_the_plan_is_refused_or_flagged() {
    if allowed().len() < 2 {
        common::skip("one CPU: a widened mask is the plan's own");
        return;
    }
    let run = |extra: &[&str]| {
        pinbench()
            .args([
                "run",
                "-W",
                "cpu",
                "-s",
                "per-worker",
                "-w",
                "1",
                "-m",
                "processes",
                "-d",
                "50ms",
            ])
            .args(extra)
            .env("PINBENCH_FAULT", "unpin:0")
            .output()
            .unwrap()
    };
    let refused = run(&[]);
    assert!(!refused.status.success());
    let err = String::from_utf8(refused.stderr).unwrap();
    assert!(err.contains("refusing to measure"), "{err}");
    let flagged = run(&["--allow-mismatch", "--json"]);
    common::assert_ok(&flagged);
    let err = String::from_utf8(flagged.stderr).unwrap();
    assert!(err.contains("where the plan says"), "{err}");
    let v: Value = serde_json::from_slice(&flagged.stdout).unwrap();
    assert_ne!(
        v["workers"][0]["cpus_readback"],
        v["workers"][0]["cpus_planned"]
    );
}

#[test]
fn counters_cover_the_measured_stretch_only() {
    // Preparing a 64 MiB chase takes a noticeable share of a 100 ms run; none of it may be
    // counted. CPU time <= 1.05 x seconds x workers, plus a few ms of timer granularity.
    for (workload, model) in [
        ("cache:64MiB", "threads"),
        ("cache:64MiB", "processes"),
        ("cpu", "threads"),
        ("mem:64MiB", "processes"),
    ] {
        let v = run_json(&[
            "-W",
            workload,
            "-s",
            "per-worker",
            "-w",
            "1",
            "-m",
            model,
            "-d",
            "100ms",
        ]);
        for w in v["workers"].as_array().unwrap() {
            let cpu = w["user_seconds"].as_f64().unwrap() + w["system_seconds"].as_f64().unwrap();
            let secs = w["seconds"].as_f64().unwrap();
            assert!(
                cpu <= 1.05 * secs + 0.012,
                "{workload} {model}: {cpu} s of CPU in {secs} s measured"
            );
            assert_eq!(
                w["migrations"], 0,
                "{workload} {model}: a pinned worker migrated"
            );
        }
    }
}

#[test]
fn pin_by_parent_pins_after_the_start_and_records_the_delay() {
    let v = run_json(&[
        "-W",
        "cpu",
        "-s",
        "per-worker",
        "-w",
        "1",
        "-m",
        "processes",
        "--pin-by",
        "parent",
        "-d",
        "300ms",
    ]);
    let w = &v["workers"][0];
    let (start, end) = (
        w["start_ns"].as_u64().unwrap(),
        w["end_ns"].as_u64().unwrap(),
    );
    let pinned = w["pinned_at_ns"]
        .as_u64()
        .expect("the parent's pin time is recorded");
    // The parent pins after the start signal, racing the child: the pin lands while the child
    // works, before its measured stretch ends (one clock for both). How long before the child
    // takes its start time depends on when a loaded machine wakes the child: no bound there.
    assert!(start < end && pinned <= end, "{start} {pinned} {end}");
    // It held: the mask the child read back after its loop is the plan's.
    assert_eq!(cpus(&w["cpus_readback"]), cpus(&w["cpus_planned"]));
}

#[test]
fn recycling_runs_in_sweeps_and_reaches_the_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let out = pinbench()
        .args([
            "run",
            "-W",
            "cpu",
            "-s",
            "per-worker",
            "-w",
            "1",
            "-m",
            "processes",
            "--recycle",
            "2",
            "--task-ms",
            "10",
            "--no-repin",
            "--reps",
            "2",
            "-d",
            "300ms",
            "--out",
        ])
        .arg(tmp.path())
        .output()
        .unwrap();
    common::assert_ok(&out);
    let dir = common::profile_dir(tmp.path());
    let runs = common::csv_whole(&dir.join("runs.csv"), 2);
    let workers = common::csv_whole(&dir.join("workers.csv"), 2);
    let many = allowed().len() > 1;
    if !many {
        common::skip("the lost pin in workers.csv: on one CPU a lost pin is the allowed set");
    }
    for w in &workers {
        assert!(w["generations"].parse::<u32>().unwrap() >= 2, "{w:?}");
        // The loss reaches the CSV: the replacements' mask is not the pin.
        if many {
            assert_eq!(set(&w["cpus_readback"]), allowed(), "{w:?}");
            assert_ne!(w["cpus_readback"], w["cpus_planned"], "{w:?}");
        }
    }
    for r in &runs {
        assert_eq!(r["recycle_tasks"], "2");
        assert_eq!(r["repin"], "false");
        assert!(r["generations"].parse::<u32>().unwrap() >= 2, "{r:?}");
        // The share of samples off the plan, a share.
        let off: f64 = r["off_plan_fraction"].parse().unwrap();
        assert!((0.0..=1.0).contains(&off), "{r:?}");
    }
}
