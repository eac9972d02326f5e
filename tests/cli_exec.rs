//! `pinbench exec -- CMD`, run as a user would: the seeds' Python recipes under the strategies,
//! with every worker process (the replacements of a recycling pool included) checked against its
//! slot, and every way a program can go wrong leaving its results and no process behind.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::{
    allowed, assert_gone, assert_none_live, assert_refused, assert_saw, csv_rows, csv_whole, exec,
    live_with, pinbench, profile_dir, python_or_skip, read_seen, seen_program, tree_of,
};
use pinbench::cpuset::CpuSet;

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/python")
        .join(name)
        .display()
        .to_string()
}

fn set(text: &str) -> CpuSet {
    CpuSet::parse(text).unwrap()
}

/// `-s none --reps 1 --no-warmup --name NAME` and `extra`: one run of a program.
fn once<'a>(name: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["-s", "none", "--reps", "1", "--no-warmup", "--name", name];
    v.extend_from_slice(extra);
    v
}

fn by_strategy<'a>(
    rows: &'a [BTreeMap<String, String>],
    strategy: &str,
) -> Vec<&'a BTreeMap<String, String>> {
    rows.iter().filter(|r| r["strategy"] == strategy).collect()
}

#[test]
fn a_recycling_pool_runs_every_worker_on_its_slot_and_is_judged_against_none() {
    if !python_or_skip() {
        return;
    }
    let n = allowed().len().max(1).to_string();
    let out = tempfile::tempdir().unwrap();
    let pool = example("pool.py");
    let run = exec(
        &[
            "-s",
            "none",
            "-s",
            "per-worker",
            "-w",
            &n,
            "--reps",
            "6",
            "--no-warmup",
        ],
        out.path(),
        &[
            "python3",
            &pool,
            "--maxtasksperchild",
            "2",
            "--tasks",
            "8",
            "--size",
            "20000",
        ],
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    let dir = profile_dir(out.path());
    let runs = csv_whole(&dir.join("runs.csv"), 2 * 6);
    for r in &runs {
        assert_eq!(r["status"], "ok", "{r:?}");
        assert_eq!(r["workload"], "cmd:pool");
        assert_eq!(r["exit_status"], "0");
        assert!(
            r["command"].contains("pool.py --maxtasksperchild 2"),
            "{r:?}"
        );
        assert_eq!(r["repinned_tasks"], "0", "{r:?}");
        assert!(r["migrations"].parse::<u64>().is_ok(), "{r:?}");
        // The default placer: Python loads the preload library, so its workers placed
        // themselves (no ptrace stop).
        if r["strategy"] == "per-worker" {
            let by_library: u64 = r["placed_by_library"].parse().unwrap();
            assert!(by_library >= 2, "{r:?}");
            assert_eq!(r["placed_by_tracer"], "0", "{r:?}");
        }
    }
    let workers = csv_rows(&dir.join("workers.csv"));
    // per-worker: every process of every slot, replacements included, ran only on its CPU (as
    // the tracer read each task's mask and CPU from the kernel; `pinned_pool_tasks_see_...`
    // checks it from the program's side).
    let pinned = by_strategy(&workers, "per-worker");
    assert_eq!(pinned.len(), 6 * allowed().len());
    let mut recycled = 0;
    for w in &pinned {
        let planned = set(&w["cpus_planned"]);
        assert_eq!(planned.len(), 1, "{w:?}");
        assert_eq!(
            set(&w["cpus_readback"]),
            planned,
            "every holder's mask: {w:?}"
        );
        assert!(set(&w["cpus_seen"]).is_subset(&planned), "{w:?}");
        assert_eq!(w["pin_by"], "tracer");
        if w["generations"].parse::<u32>().unwrap() >= 2 {
            recycled += 1;
        }
    }
    assert!(
        recycled > 0,
        "maxtasksperchild=2 replaces workers: {pinned:?}"
    );
    // The summary judges each strategy against none, as for every workload.
    let summary = csv_rows(&dir.join("summary.csv"));
    let per_worker = by_strategy(&summary, "per-worker")[0];
    assert_eq!(per_worker["n"], "6");
    assert!(!per_worker["verdict"].is_empty(), "{per_worker:?}");
    assert!(per_worker["speedup_vs_none"].parse::<f64>().is_ok());
    let profile = std::fs::read_to_string(dir.join("profile.json")).unwrap();
    assert!(
        profile.contains("\"cmd:pool\""),
        "the command is in the profile"
    );
    assert!(dir.join("charts").read_dir().unwrap().count() > 0);
}

/// Runs `tests/programs/seen.py` (a pool of `n` processes recycled every 2 tasks) once under
/// `strategy`; what each of its processes saw itself.
fn seen_pool(strategy: &str, n: usize) -> Vec<common::Seen> {
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("seen.txt");
    let n = n.to_string();
    let run = pinbench()
        .env("PINBENCH_TEST_SEEN", &file)
        .args([
            "exec",
            "-s",
            strategy,
            "-w",
            &n,
            "--reps",
            "1",
            "--no-warmup",
        ])
        .arg("--out")
        .arg(out.path())
        .args(["--", "python3", &seen_program(), "--pool", &n])
        .args(["--tasks", "8", "--maxtasksperchild", "2"])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{strategy}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    read_seen(&file)
}

#[test]
fn pool_processes_see_the_mask_of_their_strategy() {
    if !python_or_skip() {
        return;
    }
    let all = allowed();
    let n = all.len();
    // inherited: the program and every pool process, replacements included, under the
    // spawner's mask (here one CPU, so it differs from the allowed set).
    let first = CpuSet::single(all.first().unwrap());
    let seen = seen_pool(&format!("inherited:{first}"), n);
    assert_eq!(
        seen.iter().filter(|s| s.role == "task").count(),
        8,
        "{seen:?}"
    );
    assert_saw(&seen, &first, "inherited");
    // per-worker: each pool process on one CPU of its own slot, every slot used; the program's
    // first process is no worker and keeps the allowed set.
    let seen = seen_pool("per-worker", n);
    let (main, tasks): (Vec<_>, Vec<_>) = seen.into_iter().partition(|s| s.role == "main");
    assert_saw(&main, &all, "per-worker: the main process");
    assert_eq!(tasks.len(), 8, "{tasks:?}");
    let mut slots = CpuSet::new();
    for t in &tasks {
        assert_eq!(t.mask.len(), 1, "one CPU per pool process: {t:?}");
        assert_saw(std::slice::from_ref(t), &t.mask, "per-worker");
        slots = slots.union(&t.mask);
    }
    assert_eq!(slots, all, "every slot's CPU: {tasks:?}");
}

#[test]
fn threads_and_copies_are_workers_too() {
    if !python_or_skip() {
        return;
    }
    let cpus = allowed();
    let n = cpus.len().to_string();
    let out = tempfile::tempdir().unwrap();
    let run = exec(
        &[
            "--workers-are",
            "threads",
            "-s",
            "per-worker",
            "-w",
            &n,
            "--reps",
            "2",
            "--no-warmup",
        ],
        out.path(),
        // Rounds enough that each thread still works when the last one starts: a thread that
        // ended before another started would hand that one its slot (a second generation).
        &["python3", &example("threads.py"), "--rounds", "150"],
    );
    common::assert_ok(&run);
    let dir = profile_dir(out.path());
    // One row per slot and run: an empty or cut file fails here.
    for w in csv_whole(&dir.join("workers.csv"), 2 * cpus.len()) {
        assert_eq!(w["model"], "threads");
        assert_eq!(w["cpus_readback"], w["cpus_planned"], "{w:?}");
        assert_eq!(w["generations"], "1", "one thread per slot: {w:?}");
    }
    // The main thread's share of the CPU time is measured in thread mode too: it starts the
    // workers and waits for them, a small share.
    for r in csv_rows(&dir.join("runs.csv")) {
        let share: f64 = r["main_cpu_share"].parse().expect("a main_cpu_share");
        assert!((0.0..0.5).contains(&share), "{r:?}");
    }
    // Each mode: one copy per worker, told who it is and where it runs, and running there by
    // its own reading.
    let file = out.path().join("seen.txt");
    let script = format!(
        "echo copy=$PINBENCH_WORKER/$PINBENCH_WORKERS cpus=$PINBENCH_CPUS; exec python3 {}",
        seen_program()
    );
    let run = pinbench()
        .env("PINBENCH_TEST_SEEN", &file)
        .args([
            "exec",
            "--each",
            "--show-output",
            "-s",
            "per-worker",
            "-w",
            &n,
        ])
        .args(["--reps", "1", "--no-warmup", "--name", "env", "--out"])
        .arg(out.path())
        .args(["--", "sh", "-c", &script])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    let seen = read_seen(&file);
    assert_eq!(seen.len(), cpus.len(), "one report per copy: {seen:?}");
    for (i, cpu) in cpus.iter().enumerate() {
        assert!(err.contains(&format!("copy={i}/{n} cpus={cpu}")), "{err}");
        let copy: Vec<_> = seen
            .iter()
            .filter(|s| s.worker == i.to_string())
            .cloned()
            .collect();
        assert_saw(&copy, &CpuSet::single(cpu), &format!("copy {i}"));
    }
}

#[test]
fn a_program_that_pins_itself_is_flagged_not_hidden() {
    if !python_or_skip() {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let run = exec(
        &["-s", "none", "-w", "1", "--reps", "1", "--no-warmup"],
        out.path(),
        &[
            "python3",
            &example("pool.py"),
            "--pin",
            "index",
            "--tasks",
            "2",
            "--size",
            "1000",
        ],
    );
    common::assert_ok(&run);
    let runs = csv_rows(&profile_dir(out.path()).join("runs.csv"));
    assert!(
        runs[0]["repinned_tasks"].parse::<u32>().unwrap() >= 1,
        "{runs:?}"
    );
    assert!(
        runs[0]["reason"].contains("changed the CPU mask"),
        "{runs:?}"
    );
}

#[test]
fn bad_commands_are_refused_with_one_line() {
    let out = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("job.sh");
    std::fs::write(&script, "#!/bin/sh\n").unwrap();
    let script = script.display().to_string();
    for (cmd, needle) in [
        (vec!["no-such-program-pinbench"], "not found on PATH"),
        (vec![script.as_str()], "is not executable"),
        (vec![], "no command given"),
        (vec!["/nonexistent/prog"], "does not exist"),
    ] {
        assert_refused(&exec(&[], out.path(), &cmd), &format!("{cmd:?}"), needle);
    }
    assert_refused(
        &exec(&["--metric", "took ([0-9.]+)"], out.path(), &["true"]),
        "metric without direction",
        "--better higher",
    );
    assert_refused(
        &exec(
            &["--metric", "(a)(b)", "--better", "lower"],
            out.path(),
            &["true"],
        ),
        "two groups",
        "capture groups",
    );
    assert_refused(
        &exec(&["--pin-by", "parent"], out.path(), &["true"]),
        "parent pin in tree mode",
        "--each",
    );
    assert_refused(
        &exec(&["--name", "a/b"], out.path(), &["true"]),
        "bad name",
        "--name",
    );
    assert!(!out.path().join("results").exists());
}

#[test]
fn failed_runs_keep_their_reason_and_the_earlier_results() {
    let out = tempfile::tempdir().unwrap();
    let ok = exec(
        &["-s", "none", "--reps", "2", "--no-warmup", "--name", "job"],
        out.path(),
        &["true"],
    );
    common::assert_ok(&ok);
    let cases: [(&[&str], &[&str], &str); 4] = [
        (
            &[],
            &["sh", "-c", "echo boom; exit 3"],
            "exited with status 3 (last output: boom)",
        ),
        (
            &[],
            &["sh", "-c", "kill -SEGV $$"],
            "killed by signal SIGSEGV",
        ),
        (
            &["--timeout", "200ms"],
            &["sleep", "5"],
            "ran past --timeout 0.2 s",
        ),
        (
            &["--metric", "rate=([0-9]+)", "--better", "higher"],
            &["echo", "no figure here"],
            "found no number in the output",
        ),
    ];
    for (args, cmd, reason) in cases {
        // A figure of its own is another unit: another name (the same one is refused below).
        let name = if args.contains(&"--metric") {
            "job-rate"
        } else {
            "job"
        };
        let run = exec(&once(name, args), out.path(), cmd);
        assert_eq!(
            run.status.code(),
            Some(1),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let runs = csv_rows(&profile_dir(out.path()).join("runs.csv"));
        let last = runs.last().unwrap();
        assert_eq!(last["status"], "failed");
        assert!(last["reason"].contains(reason), "{cmd:?}: {last:?}");
        // The tree that ran is still described: how many tasks, what it left running.
        assert!(!last["tasks"].is_empty(), "{cmd:?}: {last:?}");
        assert!(!last["leftover_processes"].is_empty(), "{cmd:?}: {last:?}");
        if reason.starts_with("exited with status 3") {
            assert_eq!(last["exit_status"], "3", "{last:?}");
        }
        assert_eq!(
            runs.iter().filter(|r| r["status"] == "ok").count(),
            2,
            "the first runs stay"
        );
    }
    // The name measured by its wall time cannot take a figure of the program's: two units in
    // one series. Refused before anything runs, and the stored rows stay as they were.
    let before = std::fs::read(profile_dir(out.path()).join("runs.csv")).unwrap();
    let mixed = exec(
        &once("job", &["--metric", "rate=([0-9]+)", "--better", "higher"]),
        out.path(),
        &["echo", "rate=5"],
    );
    assert_eq!(mixed.status.code(), Some(2));
    let said = String::from_utf8_lossy(&mixed.stderr);
    assert!(
        said.contains("cmd:job was measured") && said.contains("give --name"),
        "{said}"
    );
    assert_eq!(
        std::fs::read(profile_dir(out.path()).join("runs.csv")).unwrap(),
        before
    );
    // A figure the program prints is what gets judged.
    let run = exec(
        &once("fig", &["--metric", "rate=([0-9.]+)", "--better", "lower"]),
        out.path(),
        &["sh", "-c", "echo rate=9; echo rate=4"],
    );
    assert!(run.status.success());
    let runs = csv_rows(&profile_dir(out.path()).join("runs.csv"));
    let last = runs.last().unwrap();
    assert_eq!(last["metric"], "4.0");
    assert_eq!(
        last["throughput_ops_s"], "0.25",
        "lower is better: judged as 1/4"
    );
}

/// The pids a script wrote to `file` (`echo $! $$ > file`): proof that it ran that far.
fn pids_in(file: &Path) -> Vec<i32> {
    std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("{}: the program never got there: {e}", file.display()))
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect()
}

#[test]
fn no_process_of_the_tree_outlives_a_timeout_an_interrupt_or_pinbench() {
    let out = tempfile::tempdir().unwrap();
    let notes = tempfile::tempdir().unwrap();
    // Limits for "gone": far above what a kill takes on a loaded machine.
    let limit = Duration::from_secs(20);
    // A timeout, with a grandchild left in the background. Each process carries a marker the
    // shell puts together (so that only the program's own processes carry it, not pinbench's
    // command line nor bash's), and the script writes both pids once both run.
    let id = std::process::id();
    let marker = format!("pinbench-test-{id}-a");
    let started = notes.path().join("started-a");
    let script = format!(
        "m=pinbench-test-{id}; (exec -a $m-a0 sleep 300) & echo $! $$ > {}; exec -a $m-a sleep 301",
        started.display()
    );
    let run = exec(
        &once("hang", &["--timeout", "300ms"]),
        out.path(),
        &["bash", "-c", &script],
    );
    assert_eq!(
        run.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let pids = pids_in(&started);
    assert_eq!(pids.len(), 2, "{pids:?}");
    assert_gone(&pids, limit, "after the timeout");
    assert_none_live(&marker, limit, "after the timeout");
    // A program that leaves a daemon behind when it ends: killed, and said.
    let marker = format!("pinbench-test-{id}-b");
    let started = notes.path().join("started-b");
    let script = format!(
        "m=pinbench-test-{id}; (exec -a $m-b sleep 302 & echo $! > {}); true",
        started.display()
    );
    let run = exec(&once("daemon", &[]), out.path(), &["bash", "-c", &script]);
    common::assert_ok(&run);
    assert_gone(&pids_in(&started), limit, "the daemon");
    assert_none_live(&marker, limit, "the daemon");
    let runs = csv_rows(&profile_dir(out.path()).join("runs.csv"));
    assert_eq!(runs.last().unwrap()["leftover_processes"], "1", "{runs:?}");
    // One that keeps busy half a second after the program ends, deaf to SIGTERM as Python's
    // resource tracker is, and then ends by itself: it was ending, not left over.
    let script = "(trap '' TERM; t=$(( $(date +%s%N) + 500000000 )); \
        while [ \"$(date +%s%N)\" -lt $t ]; do :; done) & true";
    let run = exec(&once("ending", &[]), out.path(), &["bash", "-c", script]);
    common::assert_ok(&run);
    let runs = csv_rows(&profile_dir(out.path()).join("runs.csv"));
    assert_eq!(runs.last().unwrap()["leftover_processes"], "0", "{runs:?}");
    // SIGINT to pinbench, then SIGKILL to pinbench: the tree goes with it.
    for (signal, code) in [(libc::SIGINT, Some(130)), (libc::SIGKILL, None)] {
        let marker = format!("pinbench-test-{id}-{signal}");
        let script = format!("m=pinbench-test-{id}; exec -a $m-{signal} sleep 303");
        let mut child = pinbench()
            .args([
                "exec",
                "-s",
                "none",
                "--reps",
                "3",
                "--no-warmup",
                "--name",
                "sig",
                "--out",
            ])
            .arg(out.path())
            .args(["--", "bash", "-c", &script])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        assert!(
            common::wait_for(Duration::from_secs(60), || !live_with(&marker).is_empty()),
            "the program started"
        );
        // The whole tree as it runs: pinbench, bash's exec'd sleep, anything between.
        let tree = tree_of(child.id() as i32);
        assert!(tree.len() >= 2, "{tree:?}");
        // SAFETY: signals our own child.
        unsafe { libc::kill(child.id() as i32, signal) };
        let status = child.wait().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status).is_some(),
            code.is_none()
        );
        if let Some(c) = code {
            assert_eq!(status.code(), Some(c));
        }
        assert_gone(&tree, limit, &format!("the tree after signal {signal}"));
        assert_none_live(&marker, limit, &format!("after signal {signal}"));
        // Nor the preload library's table that pinbench shared with the tree.
        let tables = || {
            let prefix = format!("pinbench-{}-", child.id());
            [std::path::PathBuf::from("/dev/shm"), std::env::temp_dir()]
                .iter()
                .filter_map(|d| std::fs::read_dir(d).ok())
                .flat_map(|d| d.flatten())
                .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                .map(|e| e.path())
                .collect::<Vec<_>>()
        };
        assert!(
            common::wait_for(limit, || tables().is_empty()),
            "a table outlived the run after signal {signal}: {:?}",
            tables()
        );
    }
}

#[test]
fn a_scenario_whose_warm_up_fails_is_not_run_again_and_the_first_reason_is_shown() {
    let out = tempfile::tempdir().unwrap();
    // Every run would time out alike: the warm-up's failure is recorded once per scenario.
    let run = exec(
        &[
            "-s",
            "none,per-worker",
            "-w",
            "1",
            "--reps",
            "4",
            "--timeout",
            "300ms",
        ],
        out.path(),
        &["sh", "-c", "echo started; sleep 5"],
    );
    assert_eq!(run.status.code(), Some(1));
    let said = String::from_utf8_lossy(&run.stderr);
    assert!(
        said.contains("2 run(s) failed; the first: cmd:sh none")
            && said.contains("ran past --timeout 0.3 s")
            && said.contains("last output: started"),
        "{said}"
    );
    // Its comparison is left without a verdict, said as such: not "settled" (a newcomer read
    // "1 settled" for a program that failed every run as a verdict reached).
    assert!(
        said.contains("0 settled / 0 open comparisons, 1 without a verdict"),
        "{said}"
    );
    let runs = csv_rows(&profile_dir(out.path()).join("runs.csv"));
    assert_eq!(runs.len(), 2, "one failed row per scenario: {runs:?}");
    for r in &runs {
        assert_eq!(r["status"], "failed");
        assert!(
            r["reason"].starts_with("warm-up failed, scenario not run again"),
            "{r:?}"
        );
    }
}
