//! A C program whose 100 forked children read their own mask as their first action
//! (`tests/programs/forks.c`), built dynamic and static: under `per-worker -w 2` each child is on
//! its slot's CPU before it runs an instruction of its own, under `none` on the allowed set.
//! And a thread that execs from a process other than the command's own (no exec stop says that
//! its id vanished) keeps no slot. Placement is read from inside the program, never from
//! pinbench's records.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{exec, skip, skip_missing_tool};
use pinbench::cpuset::CpuSet;

/// Builds `tests/programs/<name>.c` into `dir` (`-static` when `static_link`); none when the C
/// compiler or, for a static build, the static C library is missing.
fn build(dir: &Path, name: &str, static_link: bool) -> Option<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/programs/{name}.c"));
    let bin = dir.join(if static_link {
        format!("{name}-static")
    } else {
        name.to_string()
    });
    let mut cc = Command::new("cc");
    cc.args(["-O2", "-pthread"]);
    if static_link {
        cc.arg("-static");
    }
    let ok = cc
        .arg("-o")
        .arg(&bin)
        .arg(&src)
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(bin)
}

/// Runs the program once under `strategy` with two slots; each child's pair index and mask.
fn children_masks(bin: &Path, strategy: &str, dir: &Path) -> Vec<(usize, CpuSet)> {
    let seen = dir.join(format!("masks-{strategy}.txt"));
    let _ = std::fs::remove_file(&seen);
    let out = dir.join(format!("out-{strategy}"));
    let run = exec(
        &["-s", strategy, "-w", "2", "--reps", "1", "--no-warmup"],
        &out,
        &[&bin.display().to_string(), &seen.display().to_string()],
    );
    assert!(
        run.status.success(),
        "{} under {strategy}: {}",
        bin.display(),
        String::from_utf8_lossy(&run.stderr)
    );
    std::fs::read_to_string(&seen)
        .unwrap()
        .lines()
        .map(|l| {
            let (j, cpus) = l.split_once(' ').expect("`<index> <cpus>`");
            (j.parse().unwrap(), cpus.parse().expect("a CPU list"))
        })
        .collect()
}

fn placed_before_their_first_instruction(static_link: bool) {
    let allowed = pinbench::affinity::current_affinity().unwrap();
    if allowed.len() < 2 {
        skip("needs two allowed CPUs to tell a pinned child from a floating one");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(bin) = build(dir.path(), "forks", static_link) else {
        skip_missing_tool(
            "PINBENCH_REQUIRE_CC",
            "no C compiler (or no static C library) to build tests/programs/forks.c",
        );
        return;
    };
    let cpus: Vec<usize> = allowed.iter().collect();
    let pinned = children_masks(&bin, "per-worker", dir.path());
    assert_eq!(
        pinned.len(),
        100,
        "{}: children that reported",
        bin.display()
    );
    for (j, mask) in &pinned {
        // The two children of a pair hold slots 0 and 1: the first two allowed CPUs.
        let slot: CpuSet = cpus[*j].to_string().parse().unwrap();
        assert_eq!(
            mask,
            &slot,
            "{}: child {j} of a pair started on {mask} under per-worker",
            bin.display()
        );
    }
    let floating = children_masks(&bin, "none", dir.path());
    assert_eq!(floating.len(), 100);
    for (j, mask) in &floating {
        assert_eq!(
            mask,
            &allowed,
            "{}: child {j} of a pair started on {mask} under none",
            bin.display()
        );
    }
}

#[test]
fn forked_children_of_a_dynamic_program_start_on_their_slots() {
    placed_before_their_first_instruction(false);
}

#[test]
fn forked_children_of_a_static_program_start_on_their_slots() {
    placed_before_their_first_instruction(true);
}

#[test]
fn a_thread_that_execs_outside_the_main_process_keeps_no_slot() {
    let allowed = pinbench::affinity::current_affinity().unwrap();
    if allowed.len() < 2 {
        skip("needs two allowed CPUs to tell the two slots apart");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(bin) = build(dir.path(), "thread_exec", false) else {
        skip_missing_tool(
            "PINBENCH_REQUIRE_CC",
            "no C compiler to build tests/programs/thread_exec.c",
        );
        return;
    };
    // Under `sh -c`, the program is a child: its exec stops nothing.
    let line = format!("{}; :", bin.display());
    let run = exec(
        &[
            "-s",
            "per-worker",
            "-w",
            "2",
            "--workers-are",
            "threads",
            "--reps",
            "1",
            "--no-warmup",
            "--show-output",
        ],
        &dir.path().join("out"),
        &["sh", "-c", &line],
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    let cpus: Vec<usize> = allowed.iter().collect();
    let masks: Vec<CpuSet> = err
        .lines()
        .filter_map(|l| l.parse::<CpuSet>().ok())
        .collect();
    // The two live threads hold the two slots; the vanished one holds none.
    let want: Vec<CpuSet> = cpus[..2]
        .iter()
        .map(|c| c.to_string().parse().unwrap())
        .collect();
    assert_eq!(masks, want, "the two threads' masks: {err}");
}
