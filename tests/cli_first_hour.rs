//! A new user's first hour: a closed pipe ends pinbench quietly, a duration needs its unit, the
//! main job ends with charts and a report.

mod common;

use std::os::unix::process::ExitStatusExt;

use common::pinbench;

#[test]
fn a_closed_pipe_ends_quietly() {
    for args in [
        &["profile"][..],
        &["doctor", "--json"],
        &["topology", "--json"],
    ] {
        // The reader is gone before the first write (as `| head -1` leaves a long output): the
        // first write meets the closed pipe, whatever the pipe's buffer holds.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = pinbench().args(args).stdout(writer).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        // Ended by SIGPIPE as `ls` is, saying nothing; not a panic's exit 101.
        assert_eq!(
            out.status.signal(),
            Some(libc::SIGPIPE),
            "{args:?}: {:?}: {err}",
            out.status
        );
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}

#[test]
fn a_duration_without_a_unit_is_refused_with_the_fix() {
    let out = pinbench()
        .args(["run", "-W", "cpu", "-s", "none", "-w", "1", "-d", "200"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("has no unit") && err.contains("200ms"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn a_sweep_ends_with_charts_a_report_and_conclusions() {
    let tmp = tempfile::tempdir().unwrap();
    let out = common::sweep(
        &[
            "-W",
            "cpu",
            "-s",
            "none",
            "-s",
            "per-worker",
            "-w",
            "1",
            "-m",
            "threads",
            "--reps",
            "6",
            "-d",
            "10ms",
        ],
        tmp.path(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("cpu · threads x1:"), "{stdout}");
    assert!(stdout.contains("charts and report:"), "{stdout}");
    assert!(dir_has_no_skipped_lines(&out.stderr));
    let dir = common::profile_dir(tmp.path());
    let md = std::fs::read_to_string(dir.join("charts/report.md")).unwrap();
    assert!(md.contains("## Conclusions"), "{md}");
    assert!(dir.join("charts/throughput-cpu.png").is_file());
}

#[test]
fn mistypes_get_a_hint_and_bad_input_exits_2() {
    for (args, needle) in [
        (
            &["run", "-W", "cpu", "-s", "perworker", "-w", "1"][..],
            "did you mean `per-worker`",
        ),
        (
            &["run", "-W", "cpux", "-s", "none", "-w", "1"],
            "did you mean `cpu`",
        ),
        (
            &["run", "-W", "cpu", "-s", "none", "-w", "cpu"],
            "workloads go to -W",
        ),
        (
            &["plan", "-s", "compakt", "-w", "1"],
            "did you mean `compact`",
        ),
        (
            &["run", "-W", "cache:64MB", "-s", "none", "-w", "1"],
            "KB, MB, GB are refused",
        ),
        (&["plan", "-s", "per-worker", "-w", "999"], "use at most"),
        (
            &[
                "run",
                "-W",
                "cpu",
                "-s",
                "none",
                "-w",
                "1",
                "-m",
                "processes",
                "--recycle",
                "0",
            ],
            "maxtasksperchild",
        ),
    ] {
        let out = pinbench().args(args).output().unwrap();
        common::assert_refused(&out, &format!("{args:?}"), needle);
    }
}

#[test]
fn strategies_take_a_comma_list_like_the_other_axes() {
    let tmp = tempfile::tempdir().unwrap();
    common::sweep(
        &[
            "-W",
            "cpu",
            "-s",
            "none,per-worker",
            "-w",
            "1",
            "-m",
            "threads",
            "--reps",
            "1",
            "-d",
            "10ms",
        ],
        tmp.path(),
    );
    let dir = common::profile_dir(tmp.path());
    let summary = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 3, "{summary}");
}

#[test]
fn counts_read_as_english() {
    let out = pinbench().args(["topology"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("(s)"), "{text}");
    assert!(
        text.contains("1 package,") || text.contains(" packages,"),
        "{text}"
    );
}

#[test]
fn report_says_which_runs_it_shows_and_can_show_one() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = |s: &str| {
        common::sweep(
            &[
                "-W", "cpu", "-s", s, "-w", "1", "-m", "threads", "--reps", "1", "-d", "10ms",
            ],
            tmp.path(),
        );
    };
    sweep("none");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    sweep("per-worker");
    let dir = common::profile_dir(tmp.path());
    let summary = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    let first_run = summary
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_string();
    let md = || std::fs::read_to_string(dir.join("charts/report.md")).unwrap();
    assert!(md().contains("each scenario's latest run"), "{}", md());
    let out = pinbench()
        .args(["report", "--run", &first_run])
        .arg(&dir)
        .output()
        .unwrap();
    common::assert_ok(&out);
    assert!(
        md().contains(&format!("Runs shown: {first_run} (")),
        "{}",
        md()
    );
    let out = pinbench()
        .args(["report", "--run", "nope"])
        .arg(&dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("run `nope` is not in") && err.contains(&first_run),
        "{err}"
    );
}

/// Skipped combinations are one line with the count, never one line each.
fn dir_has_no_skipped_lines(stderr: &[u8]) -> bool {
    let err = String::from_utf8_lossy(stderr);
    !err.lines().any(|l| l.starts_with("skipped:"))
}

#[test]
fn skipped_combinations_are_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    // Pair workloads with 1 and 3 workers, per-worker beyond the allowed CPUs: many skips.
    let out = pinbench()
        .args([
            "run",
            "-W",
            "ipc:pipe",
            "-s",
            "none,per-worker",
            "-w",
            "1,2,3",
            "-m",
            "threads",
            "--reps",
            "1",
            "-d",
            "10ms",
            "--out",
        ])
        .arg(tmp.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.lines().filter(|l| l.contains("skipping")).count() == 1
            && dir_has_no_skipped_lines(&out.stderr),
        "{err}"
    );
}
