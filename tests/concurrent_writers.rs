//! Several writers adding runs of one profile to one results folder at once (the array tasks of
//! a cluster job on a shared filesystem): every row of every run is there afterwards, every
//! file whole, every writer's Slurm context in profile.json, no lock or temporary file left.

mod common;

use std::collections::BTreeMap;
use std::process::Stdio;

use common::{csv_rows, profile_dir};

#[test]
fn writers_at_once_lose_no_row() {
    let out = tempfile::tempdir().unwrap();
    let writers = 6;
    let children: Vec<_> = (0..writers)
        .map(|i| {
            common::pinbench()
                // As Slurm starts array task i.
                .env("SLURM_JOB_ID", format!("{}", 100 + i))
                .env("SLURM_ARRAY_JOB_ID", "99")
                .env("SLURM_ARRAY_TASK_ID", i.to_string())
                .env("SLURMD_NODENAME", format!("node{i}"))
                .args([
                    "run",
                    "-W",
                    "cpu",
                    "-s",
                    "none,per-worker",
                    "-w",
                    "1",
                    "-m",
                    "threads",
                ])
                .args(["--reps", "3", "-d", "20ms", "--no-warmup", "--out"])
                .arg(out.path())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        common::assert_ok(&o);
    }
    let dir = profile_dir(out.path());
    let runs = csv_rows(&dir.join("runs.csv"));
    let mut per_run: BTreeMap<String, usize> = BTreeMap::new();
    for r in &runs {
        *per_run.entry(r["run_id"].clone()).or_default() += 1;
        assert_eq!(r["status"], "ok");
    }
    assert_eq!(per_run.len(), writers, "one run id per writer: {per_run:?}");
    assert!(
        per_run.values().all(|&n| n == 6),
        "2 strategies x 3 reps each: {per_run:?}"
    );
    assert_eq!(csv_rows(&dir.join("workers.csv")).len(), writers * 6);
    let summary = csv_rows(&dir.join("summary.csv"));
    assert_eq!(
        summary.len(),
        writers * 2,
        "a summary per scenario of every run"
    );
    let profile: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("profile.json")).unwrap()).unwrap();
    let mut traced: Vec<(String, String)> = profile["scheduler"]
        .as_array()
        .expect("scheduler entries")
        .iter()
        .map(|s| {
            (
                s["run_id"].as_str().unwrap().to_string(),
                s["array_task_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    traced.sort();
    assert_eq!(
        traced.iter().map(|t| t.0.clone()).collect::<Vec<_>>(),
        per_run.keys().cloned().collect::<Vec<_>>(),
        "every writer's run traced to its array task"
    );
    let mut tasks: Vec<String> = traced.into_iter().map(|t| t.1).collect();
    tasks.sort();
    assert_eq!(
        tasks,
        (0..writers).map(|i| i.to_string()).collect::<Vec<_>>()
    );
    for d in [dir.clone(), dir.join("charts")] {
        let leftovers: Vec<String> = std::fs::read_dir(&d)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{}: {leftovers:?}", d.display());
    }
}
