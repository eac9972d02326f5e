//! `pip install` of a clean checkout, as a Python user would do it: pip builds the wheel from the
//! tracked files through pyproject.toml (maturin, `bindings = "bin"`), the wheel installs into a
//! fresh venv, and the venv's `pinbench` runs `topology` and `exec`s of the venv's own Python
//! (a small program, then the checkout's ProcessPoolExecutor recipe) whose workers report from
//! inside that each ran alone on its slot's CPU.
//!
//! Cost: pinbench is built once more, in its own target folder (`<target>/tmp/wheel/target`), so
//! that the build neither waits for nor overwrites the test build's `target/debug/pinbench`. It
//! builds with the `dev` profile, dependencies unoptimised and without debug info: a few minutes
//! cold (CI), seconds when only the tests changed; a release build would take twice as long and
//! this test checks the packaging, not the speed.
//!
//! Needs `python3 -m venv` (Debian: python3-venv, which scripts/setup.sh installs) and PyPI (pip
//! fetches maturin, the build backend). Without either it skips with the reason, unless CI=true,
//! where it fails.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

use common::{csv_rows, profile_dir};
use pinbench::cpuset::CpuSet;

/// What the wheel's build needs from outside is missing: a skip here, a failure in CI.
fn missing(reason: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true and the wheel test cannot run: {reason}");
    }
    eprintln!("skipped: {reason}");
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("could not start {cmd:?}: {e}"))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `dest` holds the files git tracks in the work tree as they are now (edits not yet committed
/// included, untracked files and target/ not): a clean checkout of what would be committed.
fn clean_checkout(root: &Path, dest: &Path) -> Result<(), String> {
    let listed = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-files", "-z"])
        .output()
        .map_err(|e| format!("git is not here ({e}): install git"))?;
    if !listed.status.success() {
        return Err(format!(
            "{} is not a git checkout: {}",
            root.display(),
            text(&listed).trim()
        ));
    }
    if dest.exists() {
        std::fs::remove_dir_all(dest).unwrap();
    }
    for name in listed.stdout.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let name = std::str::from_utf8(name).unwrap();
        let from = root.join(name);
        if !from.exists() {
            continue; // deleted in the work tree, not yet in git
        }
        let to = dest.join(name);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
    }
    Ok(())
}

/// A fresh venv at `dir` (its `bin/`), or why python3 cannot make one.
fn venv(dir: &Path) -> Result<PathBuf, String> {
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(dir)
        .output()
        .map_err(|e| format!("no python3 ({e}): install python3 and python3-venv"))?;
    if !made.status.success() {
        return Err(format!(
            "`python3 -m venv` failed (Debian: install python3-venv): {}",
            text(&made).trim()
        ));
    }
    Ok(dir.join("bin"))
}

/// A program for the venv's own Python: `workers` processes, each printing the venv it runs
/// from and the CPUs its mask allows, read inside itself.
const INSIDE: &str = r#"
import multiprocessing as mp, os, sys

def show(i, all_started):
    # Alive together, as a pool's workers are: one that ended first would free its slot for the
    # next (a worker that replaces one that exited takes its slot).
    all_started.wait()
    print(f"worker {i} prefix {sys.prefix} mask {','.join(map(str, sorted(os.sched_getaffinity(0))))}", flush=True)

if __name__ == "__main__":
    ctx = mp.get_context("fork")
    n = int(sys.argv[1])
    all_started = ctx.Barrier(n)
    ps = [ctx.Process(target=show, args=(i, all_started)) for i in range(n)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
"#;

#[test]
fn pip_builds_the_wheel_from_a_clean_checkout_and_its_pinbench_pins_the_venvs_python() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let version = env!("CARGO_PKG_VERSION");
    // The checkout keeps one path from run to run, so cargo rebuilds only what changed.
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wheel");
    let src = work.join("src");
    if let Err(why) = clean_checkout(root, &src) {
        return missing(&why);
    }
    let tmp = tempfile::tempdir().unwrap();
    let build = match venv(&tmp.path().join("build")) {
        Ok(bin) => bin,
        Err(why) => return missing(&why),
    };
    // pip's isolated build fetches maturin from PyPI: a fetch here first tells "no PyPI" apart
    // from a build that fails.
    let probe = run(Command::new(build.join("pip"))
        .args(["download", "--no-deps", "--quiet", "--dest"])
        .arg(tmp.path().join("probe"))
        .arg("maturin>=1.5,<2"));
    if !probe.status.success() {
        return missing(&format!(
            "pip cannot fetch maturin from PyPI: {}",
            text(&probe).trim()
        ));
    }

    // The wheel, as `pip install <checkout>` builds it: pyproject.toml's backend, isolated.
    let dist = tmp.path().join("dist");
    let built = run(Command::new(build.join("pip"))
        .args(["wheel", "--no-deps", "--wheel-dir"])
        .arg(&dist)
        .arg(&src)
        .env("CARGO_TARGET_DIR", work.join("target"))
        .env(
            "MATURIN_PEP517_ARGS",
            r#"--profile dev '--config=profile.dev.package."*".opt-level=0'"#,
        )
        .env("CARGO_PROFILE_DEV_DEBUG", "0"));
    assert!(built.status.success(), "pip wheel: {}", text(&built));
    let wheels: Vec<PathBuf> = std::fs::read_dir(&dist)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(wheels.len(), 1, "one wheel: {wheels:?}");
    let wheel = &wheels[0];
    let name = wheel.file_name().unwrap().to_str().unwrap();
    // The version is Cargo.toml's; a binary wheel serves every Python 3 (py3-none).
    assert!(
        name.starts_with(&format!("pinbench-{version}-py3-none-linux_")),
        "{name}"
    );
    eprintln!(
        "built {name}: {} bytes (dev profile)",
        std::fs::metadata(wheel).unwrap().len()
    );

    // A fresh venv gets the wheel, offline: nothing but the wheel is needed.
    let venv_dir = tmp.path().join("venv");
    let bin = venv(&venv_dir).unwrap();
    let installed = run(Command::new(bin.join("pip"))
        .args(["install", "--no-index", "--quiet"])
        .arg(wheel));
    assert!(installed.status.success(), "{}", text(&installed));
    let pinbench = bin.join("pinbench");
    let said = run(Command::new(&pinbench).arg("--version"));
    assert_eq!(
        String::from_utf8_lossy(&said.stdout).trim(),
        format!("pinbench {version}")
    );

    let topology = run(Command::new(&pinbench).arg("topology"));
    assert!(topology.status.success(), "{}", text(&topology));
    let allowed = pinbench::affinity::current_affinity().unwrap();
    assert!(
        String::from_utf8_lossy(&topology.stdout)
            .contains(&format!("allowed set: {allowed} ({} CPU", allowed.len())),
        "{}",
        text(&topology)
    );

    // One exec of the venv's own Python, one worker per allowed CPU, pinned per worker.
    let program = tmp.path().join("inside.py");
    std::fs::write(&program, INSIDE).unwrap();
    let n = allowed.len().to_string();
    let out = tmp.path().join("results");
    let ran = run(Command::new(&pinbench)
        .args(["exec", "-s", "per-worker", "-w", &n, "--reps", "1"])
        .args(["--no-warmup", "--show-output", "--out"])
        .arg(&out)
        .arg("--")
        .arg(bin.join("python"))
        .arg(&program)
        .arg(&n));
    let err = String::from_utf8_lossy(&ran.stderr);
    assert!(ran.status.success(), "{}", text(&ran));
    // From inside: each worker ran the venv's Python with a mask of one CPU, its own.
    let prefix = format!("prefix {} mask ", venv_dir.display());
    let masks: Vec<CpuSet> = err
        .lines()
        .filter(|l| l.starts_with("worker "))
        .map(|l| {
            let (_, mask) = l
                .split_once(&prefix)
                .unwrap_or_else(|| panic!("not the venv's Python: {l}"));
            CpuSet::parse(mask).unwrap()
        })
        .collect();
    assert_eq!(masks.len(), allowed.len(), "{err}");
    let cpus: BTreeSet<String> = masks.iter().map(|m| m.to_string()).collect();
    assert_eq!(cpus.len(), masks.len(), "one CPU each, none shared: {err}");
    for m in &masks {
        assert_eq!(m.len(), 1, "{err}");
        assert!(m.is_subset(&allowed), "{err}");
    }
    // And pinbench's own record agrees.
    for w in csv_rows(&profile_dir(&out).join("workers.csv")) {
        assert_eq!(w["cpus_readback"], w["cpus_planned"], "{w:?}");
    }

    // The ProcessPoolExecutor recipe of the checkout, on the venv's Python: every task reads a
    // one-CPU mask from inside, and no two worker processes share a CPU. (Which workers get
    // tasks is the executor's business: only the ones that did are checked.)
    let recipe = src.join("examples/python/process_pool_executor.py");
    let ran = run(Command::new(&pinbench)
        .args(["exec", "-s", "per-worker", "-w", &n, "--reps", "1"])
        .args(["--no-warmup", "--show-output", "--out"])
        .arg(tmp.path().join("recipe"))
        .arg("--")
        .arg(bin.join("python"))
        .arg(&recipe)
        .args(["--tasks", "8", "--size", "20000"]));
    let err = String::from_utf8_lossy(&ran.stderr);
    assert!(ran.status.success(), "{}", text(&ran));
    let mut cpu_of = std::collections::BTreeMap::new();
    let mut tasks = 0;
    for line in err.lines().filter(|l| l.starts_with("task ")) {
        // task I: pid P cpu C mask M
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(f.len(), 8, "{line}");
        let mask = CpuSet::parse(f[7]).unwrap();
        assert_eq!(
            mask.len(),
            1,
            "a task that could run on more than one CPU: {line}"
        );
        assert_eq!(mask.to_string(), f[5], "it ran on its one CPU: {line}");
        let first = cpu_of
            .entry(f[3].to_string())
            .or_insert_with(|| f[7].to_string());
        assert_eq!(
            *first, f[7],
            "a process whose mask changed between tasks: {line}"
        );
        tasks += 1;
    }
    assert_eq!(tasks, 8, "{err}");
    let cpus: BTreeSet<&String> = cpu_of.values().collect();
    assert_eq!(cpus.len(), cpu_of.len(), "two workers on one CPU: {err}");
    assert!(err.contains("single-cpu masks: 8/8 tasks"), "{err}");
}
