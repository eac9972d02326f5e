//! `run --dry-run`: what a sweep would run, on this machine or a recorded one, with an estimate
//! of its time and memory, and nothing measured or written.

mod common;

#[test]
fn a_dry_run_says_what_would_run_and_writes_nothing() {
    let out = tempfile::tempdir().unwrap();
    let run = common::sweep(&["--quick", "--dry-run"], out.path());
    let text = String::from_utf8_lossy(&run.stdout);
    for said in [
        "scenarios",
        "runs at first",
        "estimated time",
        "estimated peak memory",
    ] {
        assert!(text.contains(said), "{said}: {text}");
    }
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        0,
        "a dry run writes nothing"
    );
}

#[test]
fn a_dry_run_plans_a_recorded_machine_and_groups_what_it_skips() {
    let root = common::fixture("16em64t-4s2c2t");
    let out = tempfile::tempdir().unwrap();
    let root_arg = root.display().to_string();
    let run = common::sweep(&["--dry-run", "--sysfs-root", &root_arg], out.path());
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(text.contains("allowed 0-15"), "{text}");
    // One count per topology level: a core, a pair, one L3's 4 CPUs, the machine, twice it.
    assert!(text.contains("workers 1, 2, 4, 16, 32"), "{text}");
    // 32 per-worker workers on 16 CPUs: one grouped line, not one per scenario.
    let per_worker: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("`per-worker` gives each of 32 workers"))
        .collect();
    assert_eq!(per_worker.len(), 1, "{text}");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    // Without --dry-run a recording is refused: `run` measures this machine.
    let refused = common::pinbench()
        .args(["run", "--sysfs-root"])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
}

/// The upper end of `estimated time: A to B`, in minutes.
fn upper_estimate_min(text: &str) -> f64 {
    let line = text
        .lines()
        .find(|l| l.starts_with("estimated time:"))
        .unwrap_or_else(|| panic!("no estimate: {text}"));
    let upper = line.split(" to ").nth(1).unwrap();
    let mut words = upper.split_whitespace();
    let figure: f64 = words.next().unwrap().parse().unwrap();
    match words.next().unwrap() {
        "s" => figure / 60.0,
        "min" => figure,
        "h" => figure * 60.0,
        unit => panic!("unit {unit}: {line}"),
    }
}

/// `N scenarios, ...`
fn scenarios(text: &str) -> usize {
    text.lines()
        .find_map(|l| l.split_once(" scenarios,"))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("no scenario count: {text}"))
}

#[test]
fn the_default_matrix_fits_an_hour_on_the_recorded_128_cpu_server() {
    let root = common::fixture("128arm-2pa2n8cluster4co");
    let out = tempfile::tempdir().unwrap();
    let run = common::sweep(
        &["--dry-run", "--sysfs-root", &root.display().to_string()],
        out.path(),
    );
    let text = String::from_utf8_lossy(&run.stdout);
    // Counts per level: a core, a pair, one L3 (a NUMA node's 32 cores), the machine, twice it.
    assert!(text.contains("workers 1, 2, 32, 128, 256"), "{text}");
    let minutes = upper_estimate_min(&text);
    assert!(minutes <= 60.0, "{minutes} min: {text}");
    // The pair placements are planned at 2 workers, one per level the machine has: the same
    // CPU, one L3, two L3s of a package, two packages (no SMT on this part).
    let pair_lines = text.lines().find(|l| l.starts_with("pair placements:"));
    let pairs = pair_lines.unwrap_or_else(|| panic!("{text}"));
    for place in ["same-cpu", "same-cache", "other-cache", "other-package"] {
        assert!(pairs.contains(place), "{place}: {pairs}");
    }
    assert!(!pairs.contains("@smt"), "{pairs}");
    // The recording's own memory decides what fits (503 GiB), not this machine's: 256 workers
    // of the 128 MiB cache set are planned, not skipped.
    assert!(!text.contains("needs 32768 MiB"), "{text}");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

#[test]
fn a_256_cpu_machine_gets_a_count_and_an_estimate_and_nothing_is_written() {
    let shape = common::Shape::EPYC_2P_256;
    let root = common::synthetic_sysfs("256amd64-2p8ccx8c2t", &shape);
    let out = tempfile::tempdir().unwrap();
    let run = common::sweep(
        &["--dry-run", "--sysfs-root", &root.display().to_string()],
        out.path(),
    );
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(text.contains("allowed 0-255"), "{text}");
    // One CCX is 16 CPUs (8 cores x 2 threads).
    assert!(text.contains("workers 1, 2, 16, 256, 512"), "{text}");
    assert!(scenarios(&text) > 0, "{text}");
    let minutes = upper_estimate_min(&text);
    assert!(minutes > 0.0, "{text}");
    let pairs = text
        .lines()
        .find(|l| l.starts_with("pair placements:"))
        .unwrap_or_else(|| panic!("{text}"));
    for place in [
        "same-cpu",
        "smt",
        "same-cache",
        "other-cache",
        "other-package",
    ] {
        assert!(pairs.contains(place), "{place}: {pairs}");
    }
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    // A 64-CPU part: one L3 per 16 CPUs too, one package.
    let root = common::synthetic_sysfs("64amd64-1p4ccx8c2t", &common::Shape::EPYC_1P_64);
    let run = common::sweep(
        &["--dry-run", "--sysfs-root", &root.display().to_string()],
        out.path(),
    );
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(text.contains("workers 1, 2, 16, 64, 128"), "{text}");
    assert!(upper_estimate_min(&text) <= 60.0, "{text}");
}

/// Read through `| head`: the reader has gone before pinbench writes, and pinbench ends
/// quietly (no panic, no backtrace) as `ls | head` does.
#[test]
fn a_dry_run_into_a_closed_pipe_ends_quietly() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let run = common::pinbench()
        .args(["run", "--dry-run"])
        .stdout(writer)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(run.status.code(), Some(101), "{err}");
}

#[test]
fn quick_runs_each_placement_once_and_names_the_strategies_it_stands_for() {
    // On 16 CPUs in 4 sockets of 2 cores x 2 threads, 16 workers: per-worker, round-robin and
    // compact fill the CPUs in one order (the same placement), scatter in another.
    let root = common::fixture("16em64t-4s2c2t");
    let out = tempfile::tempdir().unwrap();
    let root_arg = root.display().to_string();
    let run = common::sweep(
        &["--quick", "--dry-run", "--sysfs-root", &root_arg],
        out.path(),
    );
    let text = String::from_utf8_lossy(&run.stdout);
    let skips: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("--quick runs each placement once"))
        .collect();
    assert!(!skips.is_empty(), "{text}");
    assert!(
        skips.iter().all(|l| l.contains("same placement as ")),
        "{text}"
    );
    // Strategies a user names all run, identical or not (an A/A check needs its twin).
    let named = common::sweep(
        &[
            "--quick",
            "--dry-run",
            "--sysfs-root",
            &root_arg,
            "-s",
            "none,none@B,per-worker,round-robin",
        ],
        out.path(),
    );
    let text = String::from_utf8_lossy(&named.stdout);
    assert!(!text.contains("runs each placement once"), "{text}");
}
