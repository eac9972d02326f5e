//! `pinbench report` and `pinbench compare` as a user runs them: every chart written whole and
//! valid, deterministic output, bad result files refused with the file and line.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::prelude::*;
use common::pinbench;

/// A tiny sweep under `mask` (run from a thread pinned to it, as `taskset` would), copied into
/// a fresh folder for each test so tests can damage their copy.
fn sweep(mask: &str) -> PathBuf {
    static CACHE: OnceLock<std::sync::Mutex<Vec<(String, PathBuf)>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut c = cache.lock().unwrap();
    if let Some((_, p)) = c.iter().find(|(m, _)| m == mask) {
        return p.clone();
    }
    let out = tempfile::tempdir().unwrap().keep();
    let set = pinbench::cpuset::CpuSet::parse(mask).unwrap();
    let mut cmd = pinbench();
    cmd.args([
        "run",
        "-W",
        "cpu,cache:32KiB,ipc:pipe",
        "-s",
        "none",
        "-s",
        "per-worker",
        "-w",
        "1,2",
        "--reps",
        "2",
        "-d",
        "10ms",
        "--out",
    ])
    .arg(&out);
    let status = std::thread::spawn(move || {
        pinbench::affinity::pin_current_thread(&set).unwrap();
        cmd.output().unwrap()
    })
    .join()
    .unwrap();
    common::assert_ok(&status);
    let dir = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    c.push((mask.to_string(), dir.clone()));
    dir
}

fn copy_of(dir: &Path) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join(dir.file_name().unwrap());
    std::fs::create_dir_all(&dest).unwrap();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_file() {
            std::fs::copy(e.path(), dest.join(e.file_name())).unwrap();
        }
    }
    (tmp, dest)
}

/// A copy of the profile folder `dir` under another profile id (`<prefix>-<id>`), folder and
/// files: a second profile of the same results.
fn renamed_copy(dir: &Path, prefix: &str, root: &Path) -> PathBuf {
    let profile: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("profile.json")).unwrap()).unwrap();
    let old = profile["id"].as_str().unwrap().to_string();
    let new = format!("{prefix}-{old}");
    let dest = root.join(&new);
    std::fs::create_dir_all(&dest).unwrap();
    for f in ["profile.json", "runs.csv", "workers.csv", "summary.csv"] {
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        std::fs::write(dest.join(f), text.replace(&old, &new)).unwrap();
    }
    dest
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    assert_eq!(
        &bytes[bytes.len() - 8..bytes.len() - 4],
        b"IEND",
        "PNG ends whole"
    );
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (w, h)
}

fn first() -> String {
    pinbench::affinity::current_affinity()
        .unwrap()
        .first()
        .unwrap()
        .to_string()
}

#[test]
fn every_chart_is_written_whole_and_valid() {
    let (_t, dir) = copy_of(&sweep(&first()));
    pinbench().arg("report").arg(&dir).assert().success();
    let charts = dir.join("charts");
    let mut names: Vec<String> = std::fs::read_dir(&charts)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for stem in [
        "overview",
        "throughput-cpu",
        "throughput-ipc-pipe",
        "migrations-cpu",
        "migrations-cache-32KiB",
        "cache-latency",
        "ipc-latency",
    ] {
        for ext in ["svg", "png"] {
            assert!(
                names.contains(&format!("{stem}.{ext}")),
                "{stem}.{ext} in {names:?}"
            );
        }
    }
    assert!(names.contains(&"report.md".to_string()));
    for n in &names {
        assert!(!n.starts_with('.'), "temporary file left: {n}");
        let bytes = std::fs::read(charts.join(n)).unwrap();
        assert!(!bytes.is_empty(), "{n} is empty");
        if n.ends_with(".svg") {
            let text = String::from_utf8(bytes).unwrap();
            assert!(
                text.starts_with("<svg") && text.trim_end().ends_with("</svg>"),
                "{n}"
            );
            assert!(text.contains("<text"), "{n} has text");
        } else if n.ends_with(".png") {
            let (w, h) = png_size(&bytes);
            assert!(w >= 1000 && h >= 400, "{n}: {w}x{h}");
        }
    }
    let md = std::fs::read_to_string(charts.join("report.md")).unwrap();
    assert!(md.contains("overview.png") && md.contains("| workload |"));
}

#[test]
fn charts_are_byte_identical_on_a_second_run() {
    // Rust formats numbers the same in every locale and the chart font is built in, so no
    // environment variable takes part in the output and none is varied here: what can differ
    // between two processes is hash order, iteration over folders, and the clock.
    let (_t, dir) = copy_of(&sweep(&first()));
    pinbench().arg("report").arg(&dir).assert().success();
    let read = |d: &Path| -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<_> = std::fs::read_dir(d.join("charts"))
            .unwrap()
            .flatten()
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let once = read(&dir);
    assert!(
        once.len() > 10,
        "{:?}",
        once.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    std::fs::remove_dir_all(dir.join("charts")).unwrap();
    pinbench().arg("report").arg(&dir).assert().success();
    assert_eq!(once, read(&dir));
}

#[test]
fn report_of_a_results_root_covers_every_profile() {
    let (t, a) = copy_of(&sweep(&first()));
    let b = renamed_copy(&a, "second", t.path());
    let out = pinbench().arg("report").arg(t.path()).output().unwrap();
    assert!(out.status.success());
    // Each profile's conclusions first (their count, one line per workload and model), then its
    // files.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let blocks: Vec<&str> = stdout
        .split_inclusive("report.md: the detail per strategy)\n")
        .collect();
    assert_eq!(blocks.len(), 2, "{stdout}");
    for block in blocks {
        assert!(block.starts_with("In short, of 6 lines: "), "{stdout}");
        assert!(
            block
                .lines()
                .nth(1)
                .unwrap()
                .starts_with("cpu · threads x1: "),
            "{stdout}"
        );
        for group in [
            "cpu · threads",
            "cpu · processes",
            "cache:32KiB · threads",
            "cache:32KiB · processes",
            "ipc:pipe · threads",
            "ipc:pipe · processes",
        ] {
            let n = block
                .lines()
                .filter(|l| l.starts_with(&format!("{group} x")))
                .count();
            assert_eq!(n, 1, "{group}: {stdout}");
        }
    }
    for d in [&a, &b] {
        for f in ["overview.png", "report.md", "report.html"] {
            assert!(d.join("charts").join(f).is_file(), "{}: {f}", d.display());
        }
    }
    let md = std::fs::read_to_string(b.join("charts/report.md")).unwrap();
    assert!(
        md.contains("second-"),
        "the second profile's own report: {md}"
    );
}

#[test]
fn compare_joins_two_profiles_and_lists_the_unmatched() {
    let all = pinbench::affinity::current_affinity().unwrap();
    if all.len() < 2 {
        common::skip("one CPU: no second allowed set to compare with");
        return;
    }
    let a = sweep(&all.to_string());
    let b = sweep(&first());
    let tmp = tempfile::tempdir().unwrap();
    pinbench()
        .arg("compare")
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(tmp.path())
        .assert()
        .success();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(tmp.path().join("compare"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    // The pair, and the fleet view of the two.
    assert_eq!(dirs.len(), 2, "{dirs:?}");
    let fleet = tmp.path().join("compare/fleet");
    assert!(fleet.join("fleet-speedup.png").is_file(), "{dirs:?}");
    dirs.retain(|d| *d != fleet);
    let d = &dirs[0];
    assert!(d.file_name().unwrap().to_string_lossy().contains("--vs--"));
    let csv = std::fs::read_to_string(d.join("compare.csv")).unwrap();
    assert!(csv.starts_with("workload,strategy,model,pin_by,workers"));
    assert!(csv.contains(",both,"));
    for f in [
        "speedup-side-by-side.png",
        "throughput-ratio.png",
        "speedup-side-by-side.svg",
        "compare.md",
    ] {
        assert!(d.join(f).is_file(), "{f}");
    }
    let md = std::fs::read_to_string(d.join("compare.md")).unwrap();
    assert!(md.contains("| allowed set |") && md.contains("yes"));
}

#[test]
fn bad_results_get_a_clear_error_naming_file_and_line() {
    let good = sweep(&first());
    type Damage = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, Damage, &str)> = vec![
        (
            "empty summary",
            Box::new(|d: &Path| std::fs::write(d.join("summary.csv"), "").unwrap()),
            "summary.csv",
        ),
        (
            "header only",
            Box::new(|d: &Path| {
                let t = std::fs::read_to_string(d.join("summary.csv")).unwrap();
                std::fs::write(d.join("summary.csv"), t.lines().next().unwrap()).unwrap()
            }),
            "no measured scenario",
        ),
        (
            "truncated",
            Box::new(|d: &Path| {
                let t = std::fs::read_to_string(d.join("summary.csv")).unwrap();
                let lines: Vec<&str> = t.lines().collect();
                let half = &lines[3][..lines[3].len() / 2];
                std::fs::write(
                    d.join("summary.csv"),
                    format!("{}\n{half}", lines[..3].join("\n")),
                )
                .unwrap()
            }),
            "summary.csv` line",
        ),
        (
            "foreign",
            Box::new(|d: &Path| std::fs::write(d.join("summary.csv"), "a,b\n1,2\n").unwrap()),
            "line 2",
        ),
        (
            "no profile",
            Box::new(|d: &Path| std::fs::remove_file(d.join("profile.json")).unwrap()),
            "profile.json",
        ),
        (
            "bad profile",
            Box::new(|d: &Path| std::fs::write(d.join("profile.json"), "{").unwrap()),
            "profile.json",
        ),
    ];
    for (what, damage, needle) in cases {
        let (_t, dir) = copy_of(&good);
        damage(&dir);
        let o = pinbench().arg("report").arg(&dir).output().unwrap();
        assert!(!o.status.success(), "{what}");
        let err = String::from_utf8(o.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "{what}: {err}");
        assert!(err.contains(needle), "{what}: {err}");
        assert!(!dir.join("charts").exists(), "{what}: charts written");
    }
    let o = pinbench()
        .args(["report", "/nonexistent/results"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8(o.stderr)
            .unwrap()
            .contains("does not exist")
    );
    let empty = tempfile::tempdir().unwrap();
    let o = pinbench().arg("report").arg(empty.path()).output().unwrap();
    assert!(
        String::from_utf8(o.stderr)
            .unwrap()
            .contains("is not a results folder")
    );
    let o = pinbench()
        .arg("compare")
        .arg(&good)
        .arg(&good)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        String::from_utf8(o.stderr)
            .unwrap()
            .contains("same profile")
    );
}

#[test]
fn nan_and_negative_rows_are_left_out_and_named() {
    let (_t, dir) = copy_of(&sweep(&first()));
    let path = dir.join("summary.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "median_throughput_ops_s")
        .unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let damage = |line: &mut String, value: &str| {
        let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
        cells[col] = value.into();
        *line = cells.join(",");
    };
    damage(&mut lines[1], "NaN");
    damage(&mut lines[2], "-5");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let o = pinbench().arg("report").arg(&dir).output().unwrap();
    common::assert_ok(&o);
    assert!(
        String::from_utf8(o.stdout)
            .unwrap()
            .contains("2 row(s) left out")
    );
    let md = std::fs::read_to_string(dir.join("charts/report.md")).unwrap();
    assert!(md.contains("summary.csv line 2: a NaN value"), "{md}");
    assert!(
        md.contains("summary.csv line 3: a negative or infinite value"),
        "{md}"
    );
}
