//! `exec` on a busy machine, where the preload library's moves and pinbench's own interleave:
//! a program that changes no mask must never be reported as having changed one. Its own test
//! binary, so the load it makes does not slow the other tests (cargo runs binaries one by one).

mod common;

use std::process::{Child, Command, Stdio};

use common::{csv_rows, exec, profile_dir};

/// Busy loops on every allowed CPU, killed when dropped.
struct Load(Vec<Child>);

impl Load {
    fn start() -> Self {
        let n = pinbench::affinity::current_affinity()
            .map(|a| a.len())
            .unwrap_or(1);
        Self(
            (0..n)
                .map(|_| {
                    Command::new("sh")
                        .args(["-c", "while :; do :; done"])
                        .stdin(Stdio::null())
                        .spawn()
                        .expect("sh starts")
                })
                .collect(),
        )
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A bash subshell holds a slot and starts 30 programs one after the other: at each it hands
/// its slot down and waits under the main mask, and gets the slot back when the program ends.
/// The library moves it one way (after its fork) and pinbench's rules the other (when they read
/// the child's end), on a loaded machine often in the same millisecond. Before the library
/// looked at the table on both sides of its own move, 2 of 40 per-worker runs of this command
/// here read "the program changed the CPU mask of 1 task(s) itself" (and 15 of 96 runs of a
/// pyenv `python3` shim, 0 under ptrace), and the summary then judged those runs as the
/// program's own placement; with 25 per-worker runs this test caught that about 3 times in 4.
/// (bash: dash starts its commands with vfork, which runs no fork handler.)
#[test]
fn a_program_that_sets_no_mask_is_never_said_to_have_set_one_under_load() {
    if !common::on_path("bash") {
        common::skip("no bash on PATH");
        return;
    }
    let _load = Load::start();
    let out = tempfile::tempdir().unwrap();
    let run = exec(
        &[
            "-s",
            "none,per-worker",
            "-w",
            "2",
            "--reps",
            "25",
            "--no-warmup",
        ],
        out.path(),
        &["bash", "-c", "( for i in $(seq 30); do /bin/true; done )"],
    );
    common::assert_ok(&run);
    let runs = csv_rows(&profile_dir(out.path()).join("runs.csv"));
    assert_eq!(runs.len(), 50, "{runs:?}");
    for r in &runs {
        assert_eq!(r["status"], "ok", "{r:?}");
        assert_eq!(r["repinned_tasks"], "0", "{r:?}");
    }
}
