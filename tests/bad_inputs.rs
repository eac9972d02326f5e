//! The bad-input suite (the one table of them): every verb and flag given something wrong. Each
//! case must be refused before anything is measured: exit 2 with one line on stderr that names
//! the input, nothing on stdout, and no new file behind; every verb has at least one case.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

struct Case {
    args: Vec<String>,
    needle: String,
}

fn case(args: &[&str], needle: &str) -> Case {
    Case {
        args: args.iter().map(|s| s.to_string()).collect(),
        needle: needle.to_string(),
    }
}

/// Every path under `dir`, with each file's bytes: a refused input changes none of them.
fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
            out.push((p, Vec::new()));
        } else {
            out.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn every_bad_input_gets_one_clear_line_and_changes_nothing() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let a_file = w.join("a-file.txt");
    std::fs::write(&a_file, "not a folder").unwrap();
    let empty_dir = w.join("empty");
    std::fs::create_dir(&empty_dir).unwrap();
    let not_results = w.join("not-results");
    std::fs::create_dir(&not_results).unwrap();
    std::fs::write(not_results.join("summary.csv"), "a,b\n1,2\n").unwrap();
    let offlines = common::fixture("16em64t-4s2c2t-offlines");
    let (f, e, nr, off) = (
        a_file.to_str().unwrap(),
        empty_dir.to_str().unwrap(),
        not_results.to_str().unwrap(),
        offlines.to_str().unwrap(),
    );
    let out = w.join("out");
    let o = out.to_str().unwrap();
    let cases = vec![
        // topology / profile
        case(
            &["topology", "--sysfs-root", "/nonexistent/root"],
            "/nonexistent/root",
        ),
        case(&["topology", "--sysfs-root", e], "is not a sysfs tree"),
        case(&["topology", "--sysfs-root", f], "is not a sysfs tree"),
        case(&["topology", "--bogus"], "--bogus"),
        case(&["topology", "--json", "extra"], "extra"),
        case(&["profile", "--sysfs-root", e], "is not a sysfs tree"),
        // plan
        case(
            &["plan", "-s", "pinned", "-w", "1"],
            "unknown strategy `pinned`",
        ),
        case(&["plan", "-s", "per-worker", "-w", "99999"], "per-worker"),
        case(&["plan", "-s", "compact", "-w", "0"], "--workers 0"),
        case(
            &["plan", "-s", "compact", "-w", "-3"],
            "`-3` is not a count",
        ),
        case(
            &["plan", "-s", "compact", "-w", "1.5"],
            "`1.5` is not a count",
        ),
        case(
            &["plan", "-s", "compact", "-w", "many"],
            "`many` is not a count",
        ),
        case(
            &["plan", "-s", "compact", "-w", "99999999999999999999999"],
            "is not a count",
        ),
        case(&["plan", "-s", "cpus:3-1", "-w", "1"], "runs backwards"),
        case(&["plan", "-s", "cpus:1,", "-w", "1"], "stray comma"),
        case(&["plan", "-s", "cpus:,1", "-w", "1"], "`,1`"),
        case(&["plan", "-s", "cpus:x", "-w", "1"], "`x`"),
        case(
            &["plan", "-s", "cpus:1023", "-w", "1"],
            "outside the allowed set",
        ),
        case(
            &["plan", "-s", "cpus:1024", "-w", "1"],
            "outside the allowed set",
        ),
        case(
            &["plan", "-s", "cpus:99999", "-w", "1"],
            "beyond any machine",
        ),
        case(
            &["plan", "-s", "cpus:0/0", "-w", "1"],
            "one list per worker",
        ),
        case(
            &["plan", "-s", "inherited:999", "-w", "1"],
            "outside the allowed set",
        ),
        case(&["plan", "-s", "inherited:", "-w", "1"], "empty cpulist"),
        case(&["plan", "-s", "cpus:", "-w", "1"], "empty cpulist"),
        case(&["plan", "-s", "cpus:0//1", "-w", "2"], "cpus:0//1"),
        case(&["plan", "-s", "compact"], "--workers"),
        case(
            &[
                "plan",
                "-s",
                "compact",
                "-w",
                "2",
                "--sysfs-root",
                "/nonexistent/x",
            ],
            "/nonexistent/x",
        ),
        case(
            &["plan", "-s", "cpus:2", "-w", "1", "--sysfs-root", off],
            "CPU(s) 2 outside the allowed set",
        ),
        case(
            &["plan", "-s", "per-worker", "-w", "13", "--sysfs-root", off],
            "has only 12",
        ),
        // run: one scenario
        case(
            &["run", "-W", "gpu", "-s", "none", "-w", "1"],
            "unknown workload `gpu`",
        ),
        case(
            &["run", "-W", "ipc:smoke", "-s", "none", "-w", "2"],
            "ipc:smoke",
        ),
        case(
            &["run", "-W", "cache:0", "-s", "none", "-w", "1"],
            "at least 128 bytes",
        ),
        case(
            &["run", "-W", "cache:12XB", "-s", "none", "-w", "1"],
            "cache:12XB",
        ),
        case(
            &["run", "-W", "cache:100TiB", "-s", "none", "-w", "1"],
            "cache:100TiB",
        ),
        case(
            &["run", "-W", "cache", "-s", "none", "-w", "1"],
            "cache:24KiB",
        ),
        case(
            &["run", "-W", "cache:900GiB", "-s", "none", "-w", "1"],
            "available",
        ),
        case(
            &["run", "-W", "ipc:pipe", "-s", "none", "-w", "3"],
            "even number of workers",
        ),
        case(
            &["run", "-W", "ipc:queue", "-s", "none", "-w", "1"],
            "at least 2 workers",
        ),
        case(
            &["run", "-W", "cpu", "-s", "none", "-w", "1", "-d", "0"],
            "more than zero",
        ),
        case(
            &["run", "-W", "cpu", "-s", "none", "-w", "1", "-d", "-1s"],
            "more than zero",
        ),
        case(
            &["run", "-W", "cpu", "-s", "none", "-w", "1", "-d", "soon"],
            "`soon` is not a duration",
        ),
        case(
            &["run", "-W", "cpu", "-s", "none", "-w", "1", "-d", "25h"],
            "unknown unit",
        ),
        case(
            &["run", "-W", "cpu", "-s", "none", "-w", "1", "-d", "1500m"],
            "over a day",
        ),
        case(
            &["run", "-W", "cpu", "-s", "none", "-w", "1", "-m", "fibers"],
            "unknown model `fibers`",
        ),
        case(
            &[
                "run", "-W", "cpu", "-s", "none", "-w", "1", "--pin-by", "god",
            ],
            "unknown pin-by `god`",
        ),
        case(
            &[
                "run",
                "-W",
                "cpu",
                "-s",
                "none",
                "-w",
                "1",
                "--antagonist",
                "999",
            ],
            "outside the allowed set",
        ),
        case(
            &[
                "run",
                "-W",
                "cpu",
                "-s",
                "none",
                "-w",
                "1",
                "--antagonist",
                "1-",
            ],
            "`1-`",
        ),
        case(
            &[
                "run",
                "-W",
                "cpu",
                "-s",
                "none",
                "-w",
                "1",
                "--recycle",
                "2",
            ],
            "--model processes only",
        ),
        case(
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
            "--recycle",
        ),
        case(
            &[
                "run",
                "-W",
                "cpu",
                "-s",
                "none",
                "-w",
                "1",
                "--task-ms",
                "0",
            ],
            "--task-ms",
        ),
        case(
            &[
                "run",
                "-W",
                "cpu",
                "-s",
                "none",
                "-w",
                "1",
                "--counting",
                "magic",
            ],
            "unknown counting `magic`",
        ),
        case(
            &[
                "run",
                "-W",
                "cpu",
                "-s",
                "none",
                "-w",
                "1",
                "--sysfs-root",
                off,
            ],
            "leave it out",
        ),
        case(
            &["run", "-W", "cpu", "-s", "none", "-w", "0"],
            "--workers 0",
        ),
        // run: sweeps
        case(&["run", "-W", "cpu", "--reps", "0", "--out", o], "--reps 0"),
        case(
            &["run", "-W", "cpu", "-d", "0", "--quick", "--out", o],
            "more than zero",
        ),
        case(
            &["run", "-W", "cpu", "-d", "-5ms", "--quick", "--out", o],
            "more than zero",
        ),
        case(
            &["run", "-W", "cpu", "--reps", "-1", "--out", o],
            "`-1` is not a count",
        ),
        case(
            &["run", "-W", "ipc:pipe", "-w", "1", "--quick", "--out", o],
            "nothing to run",
        ),
        case(
            &["run", "-W", "cpu", "-w", "0,1", "--quick", "--out", o],
            "--workers 0",
        ),
        case(
            &["run", "-W", "cpu", "-s", "none@", "--quick", "--out", o],
            "label",
        ),
        case(
            &[
                "run", "-W", "cpu", "-s", "none", "-s", "bogus", "--quick", "--out", o,
            ],
            "unknown strategy `bogus`",
        ),
        case(
            &[
                "run",
                "-W",
                "cpu",
                "--threshold",
                "2",
                "--quick",
                "--out",
                o,
            ],
            "`2` is not a threshold",
        ),
        case(
            &[
                "run",
                "-W",
                "cpu",
                "--threshold",
                "-0.1",
                "--quick",
                "--out",
                o,
            ],
            "`-0.1` is not a threshold",
        ),
        case(&["run", "-W", "cpu", "--quick", "--out", f], "is a file"),
        case(
            &[
                "run",
                "-W",
                "cpu",
                "--quick",
                "--out",
                "/proc/pinbench-cannot-write",
            ],
            "not writable",
        ),
        // Recycling runs in sweeps (processes only); a sweep with threads is refused.
        case(
            &[
                "run",
                "-W",
                "cpu",
                "--quick",
                "--recycle",
                "2",
                "-m",
                "threads,processes",
                "--out",
                o,
            ],
            "--model processes only",
        ),
        case(
            &[
                "run",
                "-W",
                "cpu",
                "-s",
                "per-worker",
                "-w",
                "1",
                "--pin-by",
                "parent",
            ],
            "--pin-by parent",
        ),
        // exec (its own table of commands is in cli_exec.rs)
        case(&["exec", "--out", o], "no command given"),
        case(
            &["exec", "--out", o, "--", "no-such-program-pinbench"],
            "not found on PATH",
        ),
        // The command after the options without `--`: the hint names the fix.
        case(
            &["exec", "--out", o, "-w", "2", "python3", "x.py"],
            "put the program after `--`",
        ),
        // A --metric without exactly one capture group would fail every run: refused first.
        case(
            &[
                "exec",
                "--out",
                o,
                "--metric",
                "rate: [0-9]+",
                "--better",
                "higher",
                "--",
                "true",
            ],
            "0 capture groups",
        ),
        // report / summarise / compare / doctor
        case(&["report", "/nonexistent/results"], "does not exist"),
        case(&["summarise", e], "is not a results folder"),
        case(&["report", e], "is not a results folder"),
        case(&["report", nr], "is not a results folder"),
        case(&["compare", nr], "required"),
        case(&["compare", nr, e], "is not a results folder"),
        case(&["doctor", "--bogus"], "--bogus"),
        case(&["frobnicate"], "frobnicate"),
    ];
    // Every verb `--help` lists has a case.
    let help = common::pinbench().arg("--help").output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let verbs: BTreeSet<&str> = help
        .split("Commands:")
        .nth(1)
        .expect("a command list")
        .split("Options:")
        .next()
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|v| *v != "help")
        .collect();
    let tried: BTreeSet<&str> = cases.iter().map(|c| c.args[0].as_str()).collect();
    let untried: Vec<_> = verbs.difference(&tried).collect();
    assert!(
        verbs.len() >= 9 && untried.is_empty(),
        "verbs with no bad-input case: {untried:?} (of {verbs:?})"
    );
    let before = files_under(w);
    for c in &cases {
        // A guard against a hang, far above a refusal's time on a loaded machine: what shows
        // that nothing was measured is that nothing was written.
        let o = common::output_within(
            common::pinbench().args(&c.args).current_dir(w),
            Duration::from_secs(60),
        );
        common::assert_refused(&o, &format!("{:?}", c.args), &c.needle);
        assert!(
            files_under(w) == before,
            "{:?} left files behind or changed one",
            c.args
        );
    }
}
