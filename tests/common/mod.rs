//! Shared helpers for the integration tests, and the suite's rules as code:
//!
//! - one way to start the binary ([`pinbench`]);
//! - a skip is said, never silent ([`skip`], [`skip_missing_tool`]): `.ci/run` counts the
//!   markers into its closing line, and in CI a missing tool is a failure;
//! - "the program saw this mask": a task's own view of its mask and CPU ([`read_seen`],
//!   [`assert_saw`] for a program that reports itself, [`tasks_of`] for one watched from
//!   outside), never pinbench's record of what it planned;
//! - "this process tree is gone": liveness by process state, a zombie being dead
//!   ([`alive`], [`tree_of`], [`assert_gone`], [`assert_none_live`]);
//! - "this file is whole": a CSV with a header, every row complete, the last line ended, and
//!   the expected number of rows ([`csv_whole`]);
//! - no timed assertion: wait for the event ([`wait_for`]), with limits that hold on a loaded
//!   machine, and a hang guard ([`output_within`]) instead of a speed bound.
//!
//! Also: unpacking the recorded machines of `tests/fixtures/sysfs` (hwloc's test inputs) and
//! reading hwloc's expected output.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use pinbench::cpuset::CpuSet;

/// The binary under test, as a command with no arguments yet.
pub fn pinbench() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pinbench"))
}

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
    let result = pinbench()
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

/// The recorded machines on disk: the `<name>` of every `<name>.tar.bz2` in `dir`. A test over
/// [`FIXTURES`] and [`SHAPES`] checks them against this, so that a machine added to the folder
/// and not to the list fails instead of going untested.
pub fn archives_in(dir: &Path) -> std::collections::BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".tar.bz2")
                .map(String::from)
        })
        .collect()
}

/// Fails unless [`FIXTURES`] and [`SHAPES`] name every recorded machine on disk, and only those.
pub fn assert_lists_cover_the_recordings() {
    let listed = |l: &[&str]| l.iter().map(|n| n.to_string()).collect();
    assert_eq!(
        archives_in(&fixtures_dir()),
        listed(&FIXTURES),
        "tests/fixtures/sysfs against FIXTURES"
    );
    assert_eq!(
        archives_in(&shapes_dir()),
        listed(&SHAPES),
        "tests/fixtures/shapes against SHAPES"
    );
}

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

/// The CPUs this test may use.
pub fn allowed() -> CpuSet {
    pinbench::affinity::current_affinity().unwrap()
}

/// The Python of `.tools/venv` when it has `module` (scripts/setup.sh installs joblib and numpy
/// there).
pub fn venv_python(module: &str) -> Option<PathBuf> {
    let py = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/venv/bin/python");
    let ok = Command::new(&py)
        .args(["-c", &format!("import {module}")])
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(py)
}

/// The path of `tests/programs/<name>`, a program the tests run under `exec`.
pub fn program(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/programs")
        .join(name)
        .display()
        .to_string()
}

/// Asserts a command succeeded, showing its stderr when it did not.
#[track_caller]
pub fn assert_ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `pinbench exec ARGS --out OUT -- CMD` and returns its output.
pub fn exec(args: &[&str], out: &Path, cmd: &[&str]) -> std::process::Output {
    pinbench()
        .arg("exec")
        .args(args)
        .arg("--out")
        .arg(out)
        .arg("--")
        .args(cmd)
        .output()
        .unwrap()
}

// ---- Skips: said, counted, and failures in CI when a tool is missing ----

/// `<test binary>::<test>`: libtest runs each test on a thread named after it.
fn test_name() -> String {
    let thread = std::thread::current();
    format!(
        "{}::{}",
        env!("CARGO_CRATE_NAME"),
        thread.name().unwrap_or("unnamed")
    )
}

/// Says that the calling test skips (all of it, or the part `reason` names): the line
/// `SKIPPED: <binary>::<test>: <reason>` on stderr (cargo shows it with `--nocapture`), and
/// appended to the file `PINBENCH_SKIP_LOG` names, which `.ci/run` counts into "N skipped".
/// The caller returns (or leaves the part out) right after.
pub fn skip(reason: &str) {
    let line = format!("SKIPPED: {}: {reason}", test_name());
    eprintln!("{line}");
    if let Some(log) = std::env::var_os("PINBENCH_SKIP_LOG") {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap_or_else(|e| panic!("PINBENCH_SKIP_LOG {}: {e}", Path::new(&log).display()));
        // One write of one short line: whole even with other test processes appending.
        f.write_all(format!("{line}\n").as_bytes()).unwrap();
    }
}

/// A tool the test needs is missing: a failure where the variable `require` is `1` (`.ci/run`
/// sets `PINBENCH_REQUIRE_CHROMIUM`, `PINBENCH_REQUIRE_PYTHON` and, as root,
/// `PINBENCH_REQUIRE_SLURM`, after `scripts/setup.sh` installed the tools), else a [`skip`].
pub fn skip_missing_tool(require: &str, reason: &str) {
    assert!(
        std::env::var(require).as_deref() != Ok("1"),
        "{require}=1 but {reason}"
    );
    skip(reason);
}

/// Whether `program` is on PATH.
pub fn on_path(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether python3 runs; when it does not, the test says so ([`skip_missing_tool`]) and the
/// caller returns.
pub fn python_or_skip() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "pass"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        skip_missing_tool(
            "PINBENCH_REQUIRE_PYTHON",
            "no python3 (scripts/setup.sh installs it)",
        );
    }
    ok
}

// ---- Waiting for events, and a hang guard instead of speed bounds ----

/// Polls `check` until it holds or `limit` passes; the last answer.
pub fn wait_for(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    check()
}

/// Runs `cmd` to its end and returns its output, failing the test if it is still running
/// after `limit` (then it is killed): a guard against a hang, not a bound on speed, so give a
/// limit far above what a loaded machine needs.
pub fn output_within(cmd: &mut Command, limit: Duration) -> Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            // SAFETY: signals our own child, not yet reaped (the waiting thread reaps it).
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("{cmd:?} still running after {limit:?}: killed");
        }
    }
}

// ---- Processes: liveness by state, trees, workers ----

/// The fields of a `stat` file after the command name (which may hold spaces and
/// parentheses): `[0]` is the state (field 3 of proc(5)), `[1]` the parent pid (4), `[11]` the
/// user time in ticks (14), `[36]` the CPU it last ran on (39).
fn stat_fields(path: &Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(path).ok()?;
    let after = text.rsplit_once(')')?.1;
    Some(after.split_whitespace().map(String::from).collect())
}

/// Whether `pid` is alive: it exists and is neither a zombie nor dead (`Z`, `X`). A zombie has
/// ended and only waits for its parent (PID 1 here reaps slowly): it is gone for every purpose.
pub fn alive(pid: i32) -> bool {
    stat_fields(&PathBuf::from(format!("/proc/{pid}/stat")))
        .and_then(|f| f.first().cloned())
        .is_some_and(|s| s != "Z" && s != "X")
}

/// Every live process: (pid, parent pid, command line with spaces).
fn processes() -> Vec<(i32, i32, String)> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let pid: i32 = e.file_name().to_string_lossy().parse().ok()?;
            let f = stat_fields(&e.path().join("stat"))?;
            if f[0] == "Z" || f[0] == "X" {
                return None;
            }
            let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            Some((pid, f[1].parse().ok()?, cmd))
        })
        .collect()
}

/// `root` and its live descendants now. Take it while the tree runs: once a parent dies its
/// children belong to PID 1 and can no longer be told apart.
pub fn tree_of(root: i32) -> Vec<i32> {
    let all = processes();
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(all.iter().filter(|p| p.1 == parent).map(|p| p.0));
        i += 1;
    }
    tree.retain(|&p| alive(p));
    tree
}

/// Waits until none of `pids` is [`alive`]; after `limit`, fails naming those left.
pub fn assert_gone(pids: &[i32], limit: Duration, what: &str) {
    let left = || {
        pids.iter()
            .copied()
            .filter(|&p| alive(p))
            .collect::<Vec<_>>()
    };
    assert!(
        wait_for(limit, || left().is_empty()),
        "{what}: still alive after {limit:?}: {:?}",
        left()
            .iter()
            .map(|p| std::fs::read(format!("/proc/{p}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
                .unwrap_or_default())
            .collect::<Vec<_>>()
    );
}

/// Live processes whose command line holds `marker`: "state command" each.
pub fn live_with(marker: &str) -> Vec<String> {
    processes()
        .into_iter()
        .filter(|p| p.2.contains(marker))
        .map(|p| format!("{} {}", p.0, p.2))
        .collect()
}

/// Waits until no live process's command line holds `marker`; after `limit`, fails naming them.
pub fn assert_none_live(marker: &str, limit: Duration, what: &str) {
    assert!(
        wait_for(limit, || live_with(marker).is_empty()),
        "{what}: still alive after {limit:?}: {:?}",
        live_with(marker)
    );
}

/// Live worker processes (`__worker`) whose command line names this parent pid.
pub fn workers_of(parent: u32) -> usize {
    let needle = format!(" --parent {parent} ");
    processes()
        .iter()
        .filter(|p| p.2.contains("__worker") && format!("{} ", p.2).contains(&needle))
        .count()
}

// ---- The program saw this mask ----

/// One task (thread) of a process, as the kernel shows it at this moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub tid: i32,
    /// `R` running or runnable, `S` sleeping, ...
    pub state: String,
    /// Its CPU mask (`Cpus_allowed_list`).
    pub mask: CpuSet,
    /// The CPU it runs or last ran on (stat field 39).
    pub cpu: usize,
}

/// The tasks of process `pid` now (none once it is gone): where each may run and where it is.
pub fn tasks_of(pid: u32) -> Vec<Task> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| {
            let tid = e.file_name().to_string_lossy().parse().ok()?;
            let f = stat_fields(&e.path().join("stat"))?;
            let status = std::fs::read_to_string(e.path().join("status")).ok()?;
            let list = status
                .lines()
                .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))?;
            Some(Task {
                tid,
                state: f[0].clone(),
                mask: CpuSet::parse(list.trim()).ok()?,
                cpu: f.get(36)?.parse().ok()?,
            })
        })
        .collect()
}

/// Runs `cmd` to its end, calling `watch(pid)` every few milliseconds while it runs (to look
/// at its tasks and children), and returns its output.
pub fn run_watching(cmd: &mut Command, mut watch: impl FnMut(u32)) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let drain = |r: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(child.stdout.take().map(|s| Box::new(s) as _));
    let err = drain(child.stderr.take().map(|s| Box::new(s) as _));
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        watch(pid);
        std::thread::sleep(Duration::from_millis(2));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// `tests/programs/seen.py`: a program whose every process (and every task of its pool)
/// reports the mask and CPU it saw itself, into the file `PINBENCH_TEST_SEEN` names.
pub fn seen_program() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/programs/seen.py")
        .display()
        .to_string()
}

/// One report of `seen.py`: which process, the mask it read with `sched_getaffinity`, and the
/// CPU it was running on.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// `main` (the program's first process) or `task` (a pool worker running a task).
    pub role: String,
    /// `PINBENCH_WORKER` as the process saw it (`-` when unset).
    pub worker: String,
    pub pid: i32,
    pub mask: CpuSet,
    pub cpu: usize,
}

/// Every report `seen.py` wrote to `file`.
pub fn read_seen(file: &Path) -> Vec<Seen> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            assert_eq!(f.len(), 5, "a torn report: {l:?}");
            Seen {
                role: f[0].to_string(),
                worker: f[1].to_string(),
                pid: f[2].parse().unwrap(),
                mask: CpuSet::parse(f[3]).unwrap(),
                cpu: f[4].parse().unwrap(),
            }
        })
        .collect()
}

/// The program saw this mask: at least one report, and in every one the mask the process read
/// itself is `mask` and the CPU it ran on is inside it.
pub fn assert_saw(seen: &[Seen], mask: &CpuSet, what: &str) {
    assert!(!seen.is_empty(), "{what}: the program reported nothing");
    for s in seen {
        assert_eq!(&s.mask, mask, "{what}: the mask the program saw: {s:?}");
        assert!(mask.contains(s.cpu), "{what}: ran outside {mask}: {s:?}");
    }
}

// ---- This file is whole ----

/// A results CSV, read strictly: a header, every row with as many cells as the header, the
/// last line ended (a write torn mid-row ends without one). Each row as named cells.
pub fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.ends_with(b"\n"),
        "{}: the last line is not ended (torn?)",
        path.display()
    );
    let mut rdr = csv::Reader::from_reader(bytes.as_slice());
    let head: Vec<String> = rdr
        .headers()
        .unwrap_or_else(|e| panic!("{}: header: {e}", path.display()))
        .iter()
        .map(String::from)
        .collect();
    assert!(
        head.len() > 1 && head.iter().all(|h| !h.is_empty()),
        "{}: no header: {head:?}",
        path.display()
    );
    rdr.records()
        .enumerate()
        .map(|(i, r)| {
            let r = r.unwrap_or_else(|e| panic!("{} row {}: {e}", path.display(), i + 1));
            head.iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

/// This file is whole: [`csv_rows`], and exactly `rows` rows (an empty or cut file fails).
pub fn csv_whole(path: &Path, rows: usize) -> Vec<BTreeMap<String, String>> {
    let all = csv_rows(path);
    assert_eq!(all.len(), rows, "{}: rows", path.display());
    all
}

/// Files in `dir` (not below) whose names start with a dot: a temporary file of an atomic
/// write, or a lock, left behind.
pub fn hidden_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

/// The shape of a machine to write as a sysfs tree: `packages` x `llcs` (last-level cache
/// domains per package) x `cores` (per domain) x `threads` (SMT siblings, numbered as Linux
/// numbers them on x86: the second thread of every core after all the first threads).
pub struct Shape {
    pub packages: usize,
    pub llcs: usize,
    pub cores: usize,
    pub threads: usize,
    /// MemAvailable of the machine, in KiB.
    pub mem_kib: u64,
}

impl Shape {
    /// A two-socket AMD EPYC 7763 (Milan): 2 x 8 CCX x 8 cores x 2 threads, 256 CPUs, 32 MiB of
    /// L3 per CCX, 512 KiB L2 and 32 KiB L1d per core, one NUMA node per socket, 512 GiB.
    pub const EPYC_2P_256: Shape = Shape {
        packages: 2,
        llcs: 8,
        cores: 8,
        threads: 2,
        mem_kib: 512 * 1024 * 1024,
    };
    /// A one-socket AMD EPYC 7543: 4 CCX x 8 cores x 2 threads, 64 CPUs, 256 GiB.
    pub const EPYC_1P_64: Shape = Shape {
        packages: 1,
        llcs: 4,
        cores: 8,
        threads: 2,
        mem_kib: 256 * 1024 * 1024,
    };

    pub fn cpus(&self) -> usize {
        self.packages * self.llcs * self.cores * self.threads
    }
}

/// A machine of `shape` written as a sysfs root (the files the topology reader and the profile
/// read: cpu topology lists, caches, NUMA nodes, cpuinfo, meminfo) once into cargo's target tmp
/// folder under `name`; built rather than recorded, for sizes no recording of hwloc's has.
pub fn synthetic_sysfs(name: &str, shape: &Shape) -> PathBuf {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sysfs-synthetic");
    let dest = base.join(name);
    if dest.join(".complete").exists() {
        return dest;
    }
    std::fs::create_dir_all(&base).unwrap();
    let scratch = tempfile::tempdir_in(&base).unwrap();
    let root = scratch.path().join("staged");
    let write = |rel: String, text: String| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text + "\n").unwrap();
    };
    let n = shape.cpus();
    let cores_total = n / shape.threads;
    let cores_per_pkg = shape.llcs * shape.cores;
    let list = |v: &[usize]| CpuSet::from_iter(v.iter().copied()).to_string();
    // CPU c is thread c / cores_total of core c % cores_total.
    let siblings = |core: usize| -> Vec<usize> {
        (0..shape.threads).map(|t| core + t * cores_total).collect()
    };
    let cores_of = |range: std::ops::Range<usize>| -> Vec<usize> {
        let mut v: Vec<usize> = range.flat_map(siblings).collect();
        v.sort();
        v
    };
    let cpu = "sys/devices/system/cpu";
    write(format!("{cpu}/online"), format!("0-{}", n - 1));
    write(format!("{cpu}/present"), format!("0-{}", n - 1));
    write(format!("{cpu}/possible"), format!("0-{}", n - 1));
    let mut cpuinfo = String::new();
    for c in 0..n {
        let core = c % cores_total;
        let pkg = core / cores_per_pkg;
        let llc = core / shape.cores;
        let d = format!("{cpu}/cpu{c}");
        write(format!("{d}/topology/physical_package_id"), pkg.to_string());
        write(
            format!("{d}/topology/core_id"),
            (core % cores_per_pkg).to_string(),
        );
        write(
            format!("{d}/topology/core_cpus_list"),
            list(&siblings(core)),
        );
        write(
            format!("{d}/topology/package_cpus_list"),
            list(&cores_of(pkg * cores_per_pkg..(pkg + 1) * cores_per_pkg)),
        );
        for (i, (level, kind, size, shared)) in [
            (1, "Data", "32K", siblings(core)),
            (1, "Instruction", "32K", siblings(core)),
            (2, "Unified", "512K", siblings(core)),
            (
                3,
                "Unified",
                "32768K",
                cores_of(llc * shape.cores..(llc + 1) * shape.cores),
            ),
        ]
        .into_iter()
        .enumerate()
        {
            let x = format!("{d}/cache/index{i}");
            write(format!("{x}/level"), level.to_string());
            write(format!("{x}/type"), kind.into());
            write(format!("{x}/size"), size.into());
            write(format!("{x}/shared_cpu_list"), list(&shared));
        }
        cpuinfo.push_str(&format!(
            "processor\t: {c}\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC (synthetic {n}-CPU shape)\nphysical id\t: {pkg}\n\n"
        ));
    }
    for pkg in 0..shape.packages {
        let d = format!("sys/devices/system/node/node{pkg}");
        write(
            format!("{d}/cpulist"),
            list(&cores_of(pkg * cores_per_pkg..(pkg + 1) * cores_per_pkg)),
        );
        write(
            format!("{d}/meminfo"),
            format!(
                "Node {pkg} MemTotal:       {} kB",
                shape.mem_kib / shape.packages as u64
            ),
        );
    }
    write("proc/cpuinfo".into(), cpuinfo);
    write(
        "proc/meminfo".into(),
        format!(
            "MemTotal:       {} kB\nMemAvailable:   {} kB",
            shape.mem_kib, shape.mem_kib
        ),
    );
    std::fs::write(root.join(".complete"), "").unwrap();
    let _ = std::fs::rename(&root, &dest);
    dest
}
