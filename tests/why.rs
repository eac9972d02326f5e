//! Every verdict says why: the `why` column of summary.csv names the mechanism that differs
//! most from `none`, with both figures, and the terminal prints it under the verdicts.
//!
//! The verdicts themselves need a quiet machine: where `none`'s own workers waited for a CPU
//! (other work on the machine), two workers on one CPU are no longer slower than `none`, and
//! `none`'s pipe ends share a CPU as the pinned pair does. There the test says it skipped the
//! verdict and still holds the sentence to what was measured.

mod common;

use std::collections::BTreeMap;

type Row = BTreeMap<String, String>;

/// The two sweeps run one at a time: each would otherwise be the other's load.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn first_cpu() -> usize {
    pinbench::affinity::current_affinity()
        .unwrap()
        .first()
        .unwrap()
}

/// Runs a short sweep and returns its summary rows and what it printed.
fn summary(args: &[&str]) -> (Vec<Row>, String) {
    let _one_at_a_time = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let out = tempfile::tempdir().unwrap();
    let mut all = vec!["-d", "200ms", "--reps", "6", "--no-warmup"];
    all.extend_from_slice(args);
    let result = common::sweep(&all, out.path());
    let dir = common::profile_dir(out.path());
    (
        common::csv_rows(&dir.join("summary.csv")),
        String::from_utf8_lossy(&result.stdout).into_owned(),
    )
}

fn row<'a>(rows: &'a [Row], strategy: &str) -> &'a Row {
    rows.iter()
        .find(|r| r["strategy"] == strategy)
        .unwrap_or_else(|| panic!("no {strategy} row: {rows:?}"))
}

/// A verdict that calls a difference has its why under the conclusions in the terminal.
fn assert_printed(r: &Row, stdout: &str) {
    if ["faster", "slower"].contains(&r["verdict"].as_str()) {
        let line = format!("why {}: {}", r["strategy"], r["why"]);
        assert!(
            stdout.contains(&line),
            "the terminal prints {line:?}: {stdout}"
        );
    }
}

/// Whether the run was too noisy for the expected verdict to be owed (said as a skip): identical
/// placements more than 10 % apart (the band, which an interval must clear), or a side in two
/// modes. Seen on a fresh clone under CI: none and none@B 19 % apart, the verdict inconclusive.
///
/// Or an interval whose ends are more than 1.5x apart: the side it is set against ran at very
/// different speeds from run to run without waiting in this guest's run queue (a CPU taken by
/// the host). Seen on a fresh clone under CI at 43dd402: `cpus:0/0` against none
/// [0.50, 1.17], none's workers waiting under 10 % of the run, the verdict inconclusive.
fn noisy(r: &Row) -> bool {
    let band: f64 = r["band"].parse().unwrap_or(0.0);
    let bimodal = r["multimodal"] == "true";
    let ci = |k: &str| r[k].parse::<f64>().ok();
    let spread = ci("speedup_ci_high")
        .zip(ci("speedup_ci_low"))
        .filter(|&(_, low)| low > 0.0)
        .map_or(1.0, |(high, low)| high / low);
    if band > 0.1 || bimodal || spread > 1.5 {
        common::skip(&format!(
            "the verdict: a noisy machine (band {:.0} %, bimodal {bimodal}, interval {spread:.2}x wide): {} is {}",
            band * 100.0,
            r["strategy"],
            r["verdict"]
        ));
        return true;
    }
    false
}

fn share(r: &Row) -> f64 {
    r["runq_wait_share"]
        .parse()
        .expect("a run-queue wait share")
}

#[test]
fn two_workers_on_one_cpu_are_slower_because_they_wait_for_it() {
    let cpu = first_cpu();
    let both = format!("cpus:{cpu}/{cpu}");
    let strategies = format!("none,{both},none@B");
    let (rows, stdout) = summary(&["-W", "cpu", "-m", "processes", "-w", "2", "-s", &strategies]);
    let pinned = row(&rows, &both);
    let none = row(&rows, "none");
    // Two busy workers on one CPU wait for it at least a third of the run (half, on a quiet
    // machine).
    assert!(share(pinned) >= 1.0 / 3.0, "{pinned:?}");
    // The A/A twin is given no cause, whatever its figures.
    let twin = row(&rows, "none@B");
    assert_eq!(twin["verdict"], "same placement");
    assert_eq!(
        twin["why"],
        "same placement as none: nothing differs to explain"
    );
    let why = &pinned["why"];
    assert!(!why.is_empty(), "a verdict without a why: {pinned:?}");
    assert_printed(pinned, &stdout);
    if share(none) >= 0.1 {
        common::skip(&format!(
            "the verdict: none's own workers waited {:.0} % of the run for a CPU (a busy machine)",
            share(none) * 100.0
        ));
        return;
    }
    if pinned["verdict"] != "slower" && noisy(pinned) {
        return;
    }
    assert_eq!(pinned["verdict"], "slower", "{pinned:?}");
    assert!(
        why.starts_with("workers waited for a CPU") && why.ends_with(&format!("both on CPU {cpu}")),
        "{why}"
    );
}

#[test]
fn a_pipe_pair_on_one_cpu_is_faster_because_its_wake_ups_stay_there() {
    let cpu = first_cpu();
    let both = format!("cpus:{cpu}/{cpu}");
    let strategies = format!("none,{both}");
    let (rows, stdout) = summary(&[
        "-W",
        "ipc:pipe",
        "-m",
        "threads",
        "-w",
        "2",
        "-s",
        &strategies,
    ]);
    let pinned = row(&rows, &both);
    let none = row(&rows, "none");
    let why = &pinned["why"];
    assert!(!why.is_empty(), "a verdict without a why: {pinned:?}");
    assert_printed(pinned, &stdout);
    // Whatever the verdict, a why about the pair's wake-ups needs none's ends measurably apart.
    let pinned_pre: f64 = pinned["involuntary_switches_per_s"].parse().unwrap();
    let none_pre: f64 = none["involuntary_switches_per_s"].parse().unwrap();
    if why.starts_with("both ends on CPU") {
        // The sentence of a pair that gained (faster, or the interval still open).
        assert!(
            ["faster", "inconclusive"].contains(&pinned["verdict"].as_str()),
            "{pinned:?}"
        );
        // Its evidence, whichever the sentence gives: the ends preempted each other more, or
        // none's moved more.
        let moved =
            |r: &BTreeMap<String, String>| -> f64 { r["migrations_per_s"].parse().unwrap_or(0.0) };
        assert!(
            pinned_pre >= 2.0 * none_pre || moved(none) >= 2.0 * moved(pinned),
            "{pinned:?} {none:?}"
        );
    }
    if share(none) >= 0.1 || none_pre * 2.0 > pinned_pre {
        common::skip(&format!(
            "the verdict: none's pipe ends shared a CPU too ({none_pre:.0} preemptions/s, {:.0} % waiting; a busy machine)",
            share(none) * 100.0
        ));
        return;
    }
    if pinned["verdict"] != "faster" && noisy(pinned) {
        return;
    }
    assert_eq!(pinned["verdict"], "faster", "{pinned:?}");
    assert!(
        why.starts_with(&format!("both ends on CPU {cpu}: no wake-up crosses CPUs")),
        "{why}"
    );
}

/// A pair's relation, as `why` names it, is the one the sweep's pair placements were chosen
/// for, on every recorded machine.
#[test]
fn pair_relations_agree_with_the_pair_placements_on_every_recording() {
    for name in common::FIXTURES {
        let root = common::fixture(name);
        let profile = pinbench::profile::read_profile(
            &root,
            pinbench::profile::AllowedSource::Recorded,
            None,
        )
        .unwrap();
        let placements = pinbench::sweep::matrix::pair_placements(&profile);
        assert!(!placements.is_empty(), "{name}");
        for p in placements {
            let pinbench::strategy::Strategy::Cpus(sets) = &p.strategy else {
                panic!("{name}: {p}");
            };
            let (a, b) = (sets[0].first().unwrap(), sets[1].first().unwrap());
            assert_eq!(
                Some(pinbench::why::pair_place(&profile.topology, a, b).label()),
                p.label.as_deref(),
                "{name}: {p}"
            );
        }
    }
}
