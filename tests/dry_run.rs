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
    assert!(text.contains("workers 1, 16, 32"), "{text}");
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
