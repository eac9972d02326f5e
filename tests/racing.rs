//! Racing through the real binary: after the minimum, only open comparisons get repetitions, and
//! the progress line counts runs of a total that does not move. The scheduler's own decisions
//! are tested on constructed standings beside it (src/sweep/racing.rs).

mod common;

/// `done: N/T runs in ...`: N and T.
fn done_line(stderr: &str) -> (usize, usize) {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("done: "))
        .unwrap_or_else(|| panic!("no done line: {stderr}"));
    let counts = line["done: ".len()..].split_whitespace().next().unwrap();
    let (n, t) = counts.split_once('/').unwrap();
    (n.parse().unwrap(), t.parse().unwrap())
}

#[test]
fn with_nothing_open_a_sweep_stops_at_the_minimum() {
    // none and its A/A twin: the twin is the same placement, never judged, so no comparison is
    // open and nothing races, however far either median is from 2 % (which used to run them on
    // to --max-reps).
    let out = tempfile::tempdir().unwrap();
    let run = common::sweep(
        &[
            "-W",
            "cpu",
            "-m",
            "threads",
            "-w",
            "1",
            "-s",
            "none,none@B",
            "-d",
            "20ms",
            "--max-reps",
            "30",
        ],
        out.path(),
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    let rows = common::csv_rows(&common::profile_dir(out.path()).join("summary.csv"));
    assert_eq!(rows.len(), 2, "{rows:?}");
    for r in &rows {
        assert_eq!(r["n"], "6", "{}: {stderr}", r["strategy"]);
    }
    // The total: 2 scenarios x (6 + warm-up) first, plus what the budget buys up to --max-reps;
    // 14 ran, and the count never passes the total.
    let (done, total) = done_line(&stderr);
    assert_eq!(done, 14, "{stderr}");
    assert!(total > done, "{stderr}");
    // The twin's comparison is settled as the same placement.
    assert!(
        stderr.contains("1 settled / 0 open comparisons"),
        "{stderr}"
    );
}

#[test]
fn an_explicit_precision_target_still_repeats_the_median() {
    // --precision given: a median short of it races on although no comparison is open. A
    // precision no sample set of 6 can prove (0.01 %) keeps both running to --max-reps 8.
    let out = tempfile::tempdir().unwrap();
    let run = common::sweep(
        &[
            "-W",
            "cpu",
            "-m",
            "threads",
            "-w",
            "1",
            "-s",
            "none,none@B",
            "-d",
            "20ms",
            "--max-reps",
            "8",
            "--precision",
            "0.0001",
        ],
        out.path(),
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    let rows = common::csv_rows(&common::profile_dir(out.path()).join("summary.csv"));
    for r in &rows {
        assert_eq!(r["n"], "8", "{}: {stderr}", r["strategy"]);
    }
    let (done, total) = done_line(&stderr);
    assert!(done <= total, "{stderr}");
    assert_eq!(done, 18, "{stderr}");
}
