//! `pinbench exec` with two more kinds of programs we did not write: numpy's threads
//! (OpenBLAS's pool, as `--workers-are threads`) and `make -j2`'s jobs. Placement is read from
//! inside the program (each thread's mask from the program's own /proc; each recipe's command
//! reading its own), never from pinbench's records. A binary of their own: a numpy product and
//! make's jobs beside the Pool tests of `exec_real_programs` loaded the machine enough to delay
//! the late pins those tests count (92 % of a Pool's task executions pinned where they want 95).

mod common;

use common::{
    Seen, allowed, assert_saw, exec, program, read_seen, skip, skip_missing_tool, venv_python,
};

/// Where each report of `strategy` (its role `<strategy>:<what>`) ran, as the program read it:
/// under `none` the whole allowed set ([`common::assert_saw`]); under a strategy that pins, one
/// CPU of it each, and running there. A failure shows the run's runs.csv (`out`): which path
/// placed its processes, what the rules corrected, the late pins.
fn assert_placed(strategy: &str, seen: &[Seen], out: &std::path::Path) {
    let here = allowed();
    if strategy == "none" {
        assert_saw(seen, &here, strategy);
        return;
    }
    let runs =
        || std::fs::read_to_string(common::profile_dir(out).join("runs.csv")).unwrap_or_default();
    for s in seen {
        assert!(
            here.contains(s.cpu),
            "{strategy}: ran outside the allowed set: {s:?}\nruns.csv:\n{}",
            runs()
        );
        assert_eq!(s.mask.len(), 1, "{strategy}: {s:?}\nruns.csv:\n{}", runs());
        assert!(
            s.mask.contains(s.cpu),
            "{strategy}: off its CPU: {s:?}\nruns.csv:\n{}",
            runs()
        );
    }
}

/// numpy's threads (OpenBLAS's pool) as the workers (`--workers-are threads`): under
/// per-worker each of them runs with one CPU of the allowed set, read by the program from its
/// own /proc; under none every thread has the whole allowed set.
#[test]
fn numpy_threads_run_on_their_slots() {
    let Some(py) = venv_python("numpy") else {
        skip_missing_tool(
            "PINBENCH_REQUIRE_NUMPY",
            "numpy is not in .tools/venv (scripts/setup.sh installs it)",
        );
        return;
    };
    let here = allowed();
    if here.len() < 2 {
        skip("needs two allowed CPUs to tell a pinned thread from a floating one");
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let seen = out.path().join("seen.txt");
    let run = common::pinbench()
        .env("OPENBLAS_NUM_THREADS", "2")
        .args(["exec", "--workers-are", "threads", "-s", "none,per-worker"])
        .args(["-w", "2", "--reps", "2", "--no-warmup", "--out"])
        .arg(out.path().join("out"))
        .arg("--")
        .arg(&py)
        .arg(program("numpy_threads.py"))
        .arg(&seen)
        .output()
        .unwrap();
    common::assert_ok(&run);
    let all = read_seen(&seen);
    for strategy in ["none", "per-worker"] {
        let threads: Vec<Seen> = all
            .iter()
            .filter(|r| r.role == format!("{strategy}:other"))
            .cloned()
            .collect();
        // Two runs, each with OpenBLAS's thread beside the main one.
        assert!(threads.len() >= 2, "{strategy}: {all:?}");
        assert_placed(strategy, &threads, &out.path().join("out"));
    }
}

/// `make -j2` running six recipes: each recipe's command reads its own mask and CPU (awk, the
/// one child of the recipe's shell, which make started by posix_spawn or vfork: placed at its
/// exec, the shell's slot handed down to it). Two recipes at a time, two slots: no job waits
/// for one. Under per-worker every reading is one CPU of the allowed set; under none, the
/// whole set.
#[test]
fn make_jobs_run_on_their_slots() {
    if !common::on_path("make") {
        skip_missing_tool("PINBENCH_REQUIRE_MAKE", "make is not installed");
        return;
    }
    let here = allowed();
    if here.len() < 2 {
        skip("needs two allowed CPUs to tell a pinned job from a floating one");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let seen = dir.path().join("seen.txt");
    let targets: Vec<String> = (0..6).map(|i| format!("t{i}")).collect();
    // Each recipe's shell spins a little (a worker that works), then its one child reports
    // itself in seen.py's form: its pid, mask (/proc/self/status) and CPU (field 39 of
    // /proc/self/stat, the 37th after the command name).
    let recipe = "@i=0; while [ $$i -lt 20000 ]; do i=$$((i+1)); done; \
awk '/^Cpus_allowed_list/ { m = $$2 } END { getline s < \"/proc/self/stat\"; \
split(s, p, \" \"); sub(/.*\\) /, \"\", s); split(s, f, \" \"); \
print ENVIRON[\"PINBENCH_STRATEGY\"] \":job\", \"-\", p[1], m, f[37] }' /proc/self/status >> $(SEEN)";
    std::fs::write(
        dir.path().join("Makefile"),
        format!(
            ".PHONY: all {t}\nall: {t}\n{rules}",
            t = targets.join(" "),
            rules = targets
                .iter()
                .map(|t| format!("{t}:\n\t{recipe}\n"))
                .collect::<String>()
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = exec(
        &[
            "-s",
            "none,per-worker",
            "-w",
            "2",
            "--reps",
            "2",
            "--no-warmup",
        ],
        &out,
        &[
            "make",
            "-s",
            "-j2",
            "-C",
            dir.path().to_str().unwrap(),
            &format!("SEEN={}", seen.display()),
        ],
    );
    common::assert_ok(&run);
    let all = read_seen(&seen);
    for strategy in ["none", "per-worker"] {
        let jobs: Vec<Seen> = all
            .iter()
            .filter(|r| r.role == format!("{strategy}:job"))
            .cloned()
            .collect();
        assert_eq!(jobs.len(), 12, "{strategy}: six jobs, two runs: {all:?}");
        assert_placed(strategy, &jobs, &out);
    }
}
