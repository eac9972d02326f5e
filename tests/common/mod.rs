//! Shared helpers for the integration tests: unpacking the recorded machines of
//! `tests/fixtures/sysfs` (hwloc's test inputs) and reading hwloc's expected output.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const FIXTURES: [&str; 9] = [
    "2arm-2c",
    "8em64t-2s4c-asymcaches",
    "16em64t-4s2c2t",
    "16em64t-4s2c2t-offlines",
    "16amd64-8n2c",
    "20em64t-hybrid-1p6c2t+2ca4co1t",
    "32amd64-4s2n4c-cgroup2",
    "32intel64-2p8co2t+8ve",
    "128arm-2pa2n8cluster4co",
];

/// Runs `pinbench run ARGS --out OUT`, asserts it succeeded, and returns its output.
pub fn sweep(args: &[&str], out: &Path) -> std::process::Output {
    let result = Command::new(assert_cmd::cargo::cargo_bin("pinbench"))
        .arg("run")
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    result
}

/// The one profile folder a sweep wrote under `out`.
pub fn profile_dir(out: &Path) -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs.pop().unwrap()
}

/// Machines of our own, each a small recorded tree with exactly one shape that hwloc reads in
/// a particular way (`tests/fixtures/shapes/<name>.tar.bz2`, hwloc 2.9's answer in
/// `<name>.xml` beside it; `scripts/fixtures/shapes.py` writes them).
pub const SHAPES: [&str; 9] = [
    "cgroup1-noprefix",
    "cpuset-fs-nested",
    "cgroup1-nested",
    "amd-15h-compute-units",
    "inconsistent-caches",
    "numa-overlap",
    "numa-missing",
    "cache-list-mask-disagree",
    "sibling-list-mask-disagree",
];

pub fn shapes_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shapes")
}

/// The unpacked root of a shape of our own.
pub fn shape(name: &str) -> PathBuf {
    unpack(&shapes_dir(), name)
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sysfs")
}

/// The unpacked root of a fixture, unpacked once into cargo's target tmp folder. Safe against
/// other test processes doing the same: each unpacks into its own folder, then renames.
pub fn fixture(name: &str) -> PathBuf {
    unpack(&fixtures_dir(), name)
}

/// `DIR/NAME.tar.bz2` unpacked once into cargo's target tmp folder.
fn unpack(dir: &Path, name: &str) -> PathBuf {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sysfs-fixtures");
    let dest = base.join(name);
    if !dest.join(".complete").exists() {
        std::fs::create_dir_all(&base).unwrap();
        let scratch = tempfile::tempdir_in(&base).unwrap();
        let archive = dir.join(format!("{name}.tar.bz2"));
        let status = Command::new("tar")
            .arg("xjf")
            .arg(&archive)
            .arg("-C")
            .arg(scratch.path())
            .status()
            .expect("tar must be installed to unpack the fixtures");
        assert!(status.success(), "unpacking {}", archive.display());
        let top = std::fs::read_dir(scratch.path())
            .unwrap()
            .flatten()
            .find(|e| e.path().is_dir())
            .expect("archive holds one folder")
            .path();
        std::fs::write(top.join(".complete"), "").unwrap();
        let staged = scratch.path().join("staged");
        std::fs::rename(&top, &staged).unwrap();
        let _ = std::fs::rename(&staged, &dest);
    }
    dest
}

/// hwloc's counts from a `.console` file: object type -> count.
pub fn console_counts(name: &str) -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(fixtures_dir().join(format!("{name}.console"))).unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let l = line.trim();
        if !(l.starts_with("depth") || l.starts_with("Special depth")) {
            continue;
        }
        let after = l
            .split_once(':')
            .unwrap()
            .1
            .split_whitespace()
            .collect::<Vec<_>>();
        out.insert(after[1].to_string(), after[0].parse().unwrap());
    }
    out
}

/// SMT sibling groups from a `.console` file: the PU OS indexes under each Core.
pub fn console_cores(name: &str) -> Vec<Vec<usize>> {
    let text = std::fs::read_to_string(fixtures_dir().join(format!("{name}.console"))).unwrap();
    let mut cores: Vec<Vec<usize>> = Vec::new();
    let mut in_core = false;
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with("Core ") {
            cores.push(Vec::new());
            in_core = true;
        } else if l.starts_with("PU ") && in_core {
            let p = l.split("(P#").nth(1).unwrap();
            let id: usize = p
                .trim_end_matches(')')
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap()
                .parse()
                .unwrap();
            cores.last_mut().unwrap().push(id);
        } else {
            in_core = false;
        }
    }
    for c in &mut cores {
        c.sort_unstable();
    }
    cores.sort();
    cores
}

/// hwloc's counts from an XML export, counting only objects that hold allowed CPUs
/// (`cpuset` not `0x0`), as lstopo shows a restricted machine.
pub fn xml_counts(name: &str) -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(fixtures_dir().join(format!("{name}.xml"))).unwrap();
    let mut out = BTreeMap::new();
    for obj in text.split("<object ").skip(1) {
        let attr = |key: &str| {
            obj.split(&format!("{key}=\""))
                .nth(1)
                .map(|r| r.split('"').next().unwrap().to_string())
        };
        let (Some(kind), Some(cpuset)) = (attr("type"), attr("cpuset")) else {
            continue;
        };
        if cpuset.trim_start_matches("0x").trim_matches('0').is_empty() {
            continue;
        }
        *out.entry(kind).or_insert(0) += 1;
    }
    out
}

/// A refused input: non-zero exit, one line on stderr naming `needle`, no panic, nothing on
/// stdout. `what` names the case in failure messages.
pub fn assert_refused(out: &std::process::Output, what: &str, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{what} succeeded");
    assert_eq!(
        out.status.code(),
        Some(2),
        "{what}: bad input exits 2: {err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{what}: {err}");
    assert!(err.contains(needle), "{what}: `{needle}` not in: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
    assert!(out.stdout.is_empty(), "{what} printed on stdout");
}

/// Live worker processes (`__worker`) whose command line names this parent pid.
pub fn workers_of(parent: u32) -> usize {
    let needle = format!("--parent\0{parent}\0");
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            std::fs::read(e.path().join("cmdline"))
                .map(|c| {
                    let s = String::from_utf8_lossy(&c);
                    s.contains("__worker") && s.contains(&needle)
                })
                .unwrap_or(false)
        })
        .count()
}

/// A CSV file of the results as rows of named cells.
pub fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let head: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            head.iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

/// Runs `pinbench exec ARGS --out OUT -- CMD` and returns its output.
pub fn exec(args: &[&str], out: &Path, cmd: &[&str]) -> std::process::Output {
    Command::new(assert_cmd::cargo::cargo_bin("pinbench"))
        .arg("exec")
        .args(args)
        .arg("--out")
        .arg(out)
        .arg("--")
        .args(cmd)
        .output()
        .unwrap()
}

/// Live (not zombie) processes whose command line holds `marker`.
pub fn live_with(marker: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter_map(|e| {
            let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            let state = stat
                .rsplit(')')
                .next()?
                .split_whitespace()
                .next()?
                .to_string();
            (cmd.contains(marker) && state != "Z").then_some(format!("{state} {cmd}"))
        })
        .collect()
}
