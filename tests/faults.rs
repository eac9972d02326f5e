//! A sweep stopped by a signal or killed outright: workers never outlive pinbench by more than
//! a second, files are never torn, and a SIGINT/SIGTERM keeps every finished run.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::workers_of;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use pinbench::store::ResultsDir;

fn start_sweep(out: &Path) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("pinbench"))
        .args([
            "run",
            "-W",
            "cpu,ipc:pipe",
            "-s",
            "none",
            "-s",
            "per-worker",
            "-w",
            "2",
            "-m",
            "processes,threads",
            "--reps",
            "200",
            "-d",
            "20ms",
            "--out",
        ])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Every result file present parses whole, and no temporary file is left.
fn files_whole(out: &Path) -> usize {
    let Some(dir) = std::fs::read_dir(out)
        .ok()
        .and_then(|mut d| d.next())
        .and_then(|e| e.ok())
    else {
        return 0;
    };
    let rd = ResultsDir::open(&dir.path());
    let stored = rd.load().expect("result files parse whole");
    if rd.file("profile.json").exists() {
        rd.read_profile().expect("profile.json whole");
    }
    stored.runs.len()
}

fn wait_with_timeout(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(
            start.elapsed() < limit,
            "pinbench did not stop within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigint_and_sigterm_keep_finished_runs_and_exit_130_143() {
    for (sig, code) in [(Signal::SIGINT, 130), (Signal::SIGTERM, 143)] {
        let tmp = tempfile::tempdir().unwrap();
        let mut child = start_sweep(tmp.path());
        std::thread::sleep(Duration::from_millis(2500));
        kill(Pid::from_raw(child.id() as i32), sig).unwrap();
        let status = wait_with_timeout(&mut child, Duration::from_secs(10));
        assert_eq!(status.code(), Some(code), "{sig:?}");
        assert!(files_whole(tmp.path()) > 0, "{sig:?}: finished runs kept");
        assert_eq!(workers_of(child.id()), 0);
    }
}

#[test]
fn killed_at_random_times_leaves_no_orphan_and_no_torn_file() {
    let rounds: usize = std::env::var("PINBENCH_KILL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let mut rng = pinbench::stats::Rng::new(0x5eed);
    for round in 0..rounds {
        let tmp = tempfile::tempdir().unwrap();
        let mut child = start_sweep(tmp.path());
        let pid = child.id();
        std::thread::sleep(Duration::from_millis(200 + (rng.next_u64() % 2300)));
        child.kill().unwrap();
        child.wait().unwrap();
        let start = Instant::now();
        while workers_of(pid) > 0 {
            assert!(
                start.elapsed() < Duration::from_secs(1),
                "round {round}: workers outlived pinbench by 1 s"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        files_whole(tmp.path());
    }
}
