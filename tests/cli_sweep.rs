//! `pinbench run` over a matrix: files written whole, rows added and never lost, a foreign
//! file refused and left as it was (bad inputs: `bad_inputs.rs`).

use std::path::Path;

mod common;

use assert_cmd::prelude::*;
use common::{pinbench, profile_dir};

fn lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_small_sweep_writes_four_files_and_a_second_run_adds_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("results");
    let args = [
        "run",
        "-W",
        "cpu",
        "-s",
        "none",
        "-s",
        "per-worker",
        "-w",
        "1",
        "-m",
        "threads,processes",
        "--reps",
        "2",
        "-d",
        "20ms",
        "--out",
    ];
    pinbench().args(args).arg(&out).assert().success();
    let dir = profile_dir(&out);
    for f in ["profile.json", "runs.csv", "workers.csv", "summary.csv"] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    let runs = lines(&dir.join("runs.csv"));
    assert_eq!(runs.len(), 1 + 4 * 2, "header + 4 scenarios x 2 reps");
    assert!(runs[0].contains("throughput_ops_s") && runs[0].contains("migrations_source"));
    assert_eq!(lines(&dir.join("summary.csv")).len(), 1 + 4);
    assert_eq!(lines(&dir.join("workers.csv")).len(), 1 + 8);
    let profile: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("profile.json")).unwrap()).unwrap();
    assert!(dir.ends_with(profile["id"].as_str().unwrap()));

    pinbench().args(args).arg(&out).assert().success();
    let again = lines(&dir.join("runs.csv"));
    assert_eq!(again.len(), 1 + 16);
    assert_eq!(
        &again[..runs.len()],
        &runs[..],
        "earlier rows kept as they were"
    );
    assert_eq!(lines(&dir.join("summary.csv")).len(), 1 + 8);
    // No temporary files left behind.
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        assert!(
            !e.file_name().to_string_lossy().starts_with('.'),
            "{:?}",
            e.file_name()
        );
    }
}

#[test]
fn summary_has_speedups_skips_and_a_labelled_twin() {
    let tmp = tempfile::tempdir().unwrap();
    let allowed = pinbench::affinity::current_affinity().unwrap().len();
    let too_many = (allowed + 1).to_string();
    let out = pinbench()
        .args([
            "run",
            "-W",
            "cpu",
            "-s",
            "none",
            "-s",
            "none@again",
            "-s",
            "per-worker",
            "-w",
        ])
        .arg(format!("1,{too_many}"))
        .args([
            "-m", "threads", "--reps", "3", "-d", "20ms", "--json", "--out",
        ])
        .arg(tmp.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
    let find = |s: &str, w: usize| {
        rows.iter()
            .find(|r| r["strategy"] == s && r["workers"] == w)
            .unwrap_or_else(|| panic!("{s} x{w} in {rows:?}"))
    };
    // The same strategy under a second label is none's own placement: marked, measured
    // (the A/A ratio), and never judged against it.
    let twin = find("none@again", 1);
    assert!(twin["speedup_vs_none"].as_f64().unwrap() > 0.0);
    assert_eq!(twin["verdict"], "same placement");
    assert_eq!(twin["same_placement_as"], "none");
    assert_eq!(twin["n"], 3);
    // Three samples are too few for any 95 % interval: no interval, no verdict.
    assert!(twin["speedup_ci_low"].is_null() && twin["ci_low_throughput_ops_s"].is_null());
    let pw = find("per-worker", 1);
    assert_eq!(pw["verdict"], "insufficient samples");
    let skipped = find("per-worker", allowed + 1);
    assert_eq!(skipped["status"], "skipped");
    assert!(skipped["reason"].as_str().unwrap().contains("per-worker"));
    assert_eq!(find("none", 1)["verdict"], "");
}

#[test]
fn a_foreign_runs_csv_is_refused_and_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    // Find this machine's profile folder name by a first, tiny run.
    pinbench()
        .args([
            "run",
            "-W",
            "cpu",
            "-s",
            "none",
            "-w",
            "1",
            "-m",
            "threads",
            "--reps",
            "1",
            "-d",
            "10ms",
            "--no-warmup",
            "--out",
        ])
        .arg(tmp.path())
        .assert()
        .success();
    let dir = profile_dir(tmp.path());
    let runs = dir.join("runs.csv");
    std::fs::write(&runs, "name,value\nfoo,1\n").unwrap();
    let before: Vec<(String, Vec<u8>)> = ["runs.csv", "workers.csv", "summary.csv", "profile.json"]
        .iter()
        .map(|f| (f.to_string(), std::fs::read(dir.join(f)).unwrap()))
        .collect();
    let o = pinbench()
        .args([
            "run", "-W", "cpu", "-s", "none", "-w", "1", "-m", "threads", "--reps", "1", "-d",
            "10ms", "--out",
        ])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.contains("runs.csv") && err.contains("line 2"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for (f, bytes) in before {
        assert_eq!(std::fs::read(dir.join(&f)).unwrap(), bytes, "{f} changed");
    }
}

#[test]
fn mem_streams_under_every_strategy_as_threads_and_processes() {
    let tmp = tempfile::tempdir().unwrap();
    let allowed = pinbench::affinity::current_affinity().unwrap().len();
    pinbench()
        .args([
            "run",
            "-W",
            "mem:1MiB",
            "-m",
            "threads,processes",
            "--reps",
            "1",
            "-d",
            "20ms",
            "--no-warmup",
            "--out",
        ])
        .arg(tmp.path())
        .arg("-w")
        .arg(allowed.to_string())
        .assert()
        .success();
    let dir = profile_dir(tmp.path());
    let runs = std::fs::read_to_string(dir.join("runs.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(runs.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        assert_eq!(&rec[col("workload")], "mem:1MiB");
        assert_eq!(&rec[col("status")], "ok", "{rec:?}");
        // Bytes per second: far above anything an op count would give, and finite.
        let bps: f64 = rec[col("throughput_ops_s")].parse().unwrap();
        assert!(bps > 1e8, "{bps} bytes/s");
        assert!(
            rec[col("ns_per_op")].is_empty(),
            "a byte of a stream is no latency"
        );
        seen.insert((
            rec[col("strategy")].to_string(),
            rec[col("model")].to_string(),
        ));
    }
    for s in [
        "none",
        "inherited",
        "per-worker",
        "round-robin",
        "compact",
        "scatter",
    ] {
        for m in ["threads", "processes"] {
            assert!(seen.contains(&(s.to_string(), m.to_string())), "{s} {m}");
        }
    }
}

#[test]
fn summarise_judges_stored_runs_again_without_measuring() {
    let tmp = tempfile::tempdir().unwrap();
    pinbench()
        .args([
            "run", "-W", "cpu", "-s", "none", "-s", "none@B", "-w", "1", "-m", "threads", "--reps",
            "6", "-d", "10ms", "--out",
        ])
        .arg(tmp.path())
        .assert()
        .success();
    let dir = profile_dir(tmp.path());
    let runs_before = std::fs::read_to_string(dir.join("runs.csv")).unwrap();
    let summary_before = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    // Only the runs are left to judge: the summary cut to its header, the charts gone.
    let header = summary_before.lines().next().unwrap();
    std::fs::write(dir.join("summary.csv"), format!("{header}\n")).unwrap();
    std::fs::remove_dir_all(dir.join("charts")).unwrap();
    for _ in 0..2 {
        pinbench().arg("summarise").arg(&dir).assert().success();
        // The same statistics over the same runs: the same verdicts, and no run added or lost.
        assert_eq!(
            std::fs::read_to_string(dir.join("summary.csv")).unwrap(),
            summary_before
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("runs.csv")).unwrap(),
            runs_before
        );
        assert!(dir.join("charts/report.md").is_file());
    }
    pinbench()
        .arg("summarise")
        .arg(tmp.path().join("nope"))
        .assert()
        .failure();
}
