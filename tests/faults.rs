//! A sweep stopped by a signal or killed outright: its workers end with it, killed by their
//! parent-death signal (no orphan finishes its run), files are never torn, and a SIGINT/SIGTERM
//! keeps every finished run and leaves no temporary file. Every wait is for the event itself,
//! with limits only a hang reaches.

mod common;

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use common::{assert_gone, csv_rows, hidden_files, pinbench, tree_of, wait_for, workers_of};
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use pinbench::store::ResultsDir;

/// Far above anything a loaded machine needs: only a hang reaches it.
const LIMIT: Duration = Duration::from_secs(120);

/// A long sweep of process and thread workers, each run `duration` long; its stderr to `log`.
fn start_sweep(out: &Path, log: &Path, duration: &str) -> Child {
    pinbench()
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
            duration,
            "--out",
        ])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap()
}

/// The profile folder under `out`, once the sweep made it.
fn results(out: &Path) -> Option<std::path::PathBuf> {
    std::fs::read_dir(out)
        .ok()?
        .flatten()
        .next()
        .map(|e| e.path())
}

/// Runs stored under `out` so far (0 before the first merge).
fn runs_stored(out: &Path) -> usize {
    results(out)
        .map(|d| d.join("runs.csv"))
        .filter(|f| f.exists())
        .map_or(0, |f| csv_rows(&f).len())
}

/// This folder's files are whole: each CSV by the strict reader (header, complete rows, last
/// line ended) and by pinbench's own, profile.json parsed. With `settled` (a clean stop) no
/// temporary file or lock is left either; after a SIGKILL one may be, mid-write, which tears
/// nothing. The number of runs kept.
fn files_whole(out: &Path, settled: bool) -> usize {
    let Some(dir) = results(out) else {
        return 0;
    };
    let rd = ResultsDir::open(&dir);
    let mut runs = 0;
    for f in ["runs.csv", "workers.csv", "summary.csv"] {
        if rd.file(f).exists() {
            let rows = csv_rows(&rd.file(f)).len();
            if f == "runs.csv" {
                runs = rows;
            }
        }
    }
    if rd.file("runs.csv").exists() {
        assert_eq!(
            rd.load().expect("result files parse whole").runs.len(),
            runs
        );
    }
    if rd.file("profile.json").exists() {
        rd.read_profile().expect("profile.json whole");
    }
    if settled {
        assert!(
            hidden_files(&dir).is_empty(),
            "left behind: {:?}",
            hidden_files(&dir)
        );
    }
    runs
}

fn wait_with_timeout(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let mut status = None;
    wait_for(limit, || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    status.unwrap_or_else(|| panic!("pinbench did not stop within {limit:?}"))
}

#[test]
fn sigint_and_sigterm_keep_finished_runs_and_exit_130_143() {
    for (sig, code) in [(Signal::SIGINT, 130), (Signal::SIGTERM, 143)] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("results");
        let log = tmp.path().join("stderr");
        let mut child = start_sweep(&out, &log, "20ms");
        // Finished runs are on disk (merged at most every 2 s): wait for the first ones.
        assert!(
            wait_for(LIMIT, || runs_stored(&out) > 0),
            "{sig:?}: no run stored: {}",
            std::fs::read_to_string(&log).unwrap()
        );
        let stored = runs_stored(&out);
        let tree = tree_of(child.id() as i32);
        kill(Pid::from_raw(child.id() as i32), sig).unwrap();
        let status = wait_with_timeout(&mut child, LIMIT);
        assert_eq!(
            status.code(),
            Some(code),
            "{sig:?}: {}",
            std::fs::read_to_string(&log).unwrap()
        );
        // Every run stored before the signal is kept, the files whole and settled.
        assert!(
            files_whole(&out, true) >= stored,
            "{sig:?}: finished runs kept"
        );
        assert_gone(&tree, LIMIT, &format!("{sig:?}: pinbench's tree"));
        assert_eq!(workers_of(child.id()), 0);
    }
}

/// How a worker of pinbench's ended.
#[derive(Debug, PartialEq)]
enum Ending {
    /// Killed by this signal.
    Killed(Signal),
    /// Exited with this code.
    Exited(i32),
    /// Not ours to wait for: pinbench reaped it, so it ended before pinbench did.
    ReapedByPinbench,
}

/// How process `pid` ended, once it has; an orphan comes to this process (a subreaper) to be
/// waited for. Waits up to `limit`.
fn ending(pid: i32, limit: Duration) -> Ending {
    let mut end = None;
    wait_for(limit, || {
        end = match waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Signaled(_, s, _)) => Some(Ending::Killed(s)),
            Ok(WaitStatus::Exited(_, c)) => Some(Ending::Exited(c)),
            Ok(_) => None,
            Err(nix::errno::Errno::ECHILD) => Some(Ending::ReapedByPinbench),
            Err(e) => panic!("waitpid {pid}: {e}"),
        };
        end.is_some()
    });
    end.unwrap_or_else(|| panic!("process {pid} still running after {limit:?}"))
}

#[test]
fn killed_at_random_times_leaves_no_orphan_and_no_torn_file() {
    // Orphans come to this process instead of PID 1, so their ending can be read: a worker
    // killed with pinbench by its parent-death signal ends by SIGKILL; an orphan that went on
    // ends its own way (it finishes its run and cannot report it).
    // SAFETY: sets a flag of this process; no memory is involved.
    assert_eq!(unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1) }, 0);
    let rounds: usize = std::env::var("PINBENCH_KILL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let mut rng = pinbench::stats::Rng::new(0x5eed);
    for round in 0..rounds {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("results");
        let mut child = start_sweep(&out, &tmp.path().join("stderr"), "300ms");
        let pid = child.id();
        std::thread::sleep(Duration::from_millis(rng.next_u64() % 1500));
        // Then the first moment worker processes run: the kill finds them alive.
        let mut tree = Vec::new();
        assert!(
            wait_for(LIMIT, || {
                tree = tree_of(pid as i32);
                tree.len() > 1 && workers_of(pid) > 0
            }),
            "round {round}: no worker process ever ran"
        );
        child.kill().unwrap();
        child.wait().unwrap();
        // Every worker ended, killed with pinbench; one that finished its run in the moment
        // before the kill exited 0 (and pinbench may have reaped it).
        let endings: Vec<_> = tree[1..].iter().map(|&w| ending(w, LIMIT)).collect();
        assert!(
            endings.iter().all(|e| matches!(
                e,
                Ending::Killed(Signal::SIGKILL) | Ending::Exited(0) | Ending::ReapedByPinbench
            )),
            "round {round}: {endings:?}"
        );
        assert!(
            endings.contains(&Ending::Killed(Signal::SIGKILL)),
            "round {round}: {endings:?}"
        );
        assert_gone(&tree, LIMIT, &format!("round {round}: pinbench's workers"));
        assert_eq!(workers_of(pid), 0, "round {round}");
        files_whole(&out, false);
    }
}
