//! pinbench through a real Slurm: `scripts/slurm/local-cluster.sh` starts a one-node cluster
//! (munged, slurmctld, slurmd from Debian's packages), `scripts/slurm/submit-fleet.sh` submits
//! `pinbench.sbatch` as an array of two tasks with different CPU allocations (one CPU, and every
//! CPU of the node: two profiles) and the fleet-view job after them; the test waits for all,
//! reads what they wrote, stops the cluster and checks nothing of it is left running.
//!
//! Needs root and the Slurm packages (`scripts/setup.sh` installs them); elsewhere it skips and
//! says why (`common::skip`), unless `PINBENCH_REQUIRE_SLURM=1` (set by `.ci/run` as root),
//! where it fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{csv_rows, live_with};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Why this machine cannot run a cluster, if it cannot.
fn unavailable() -> Option<String> {
    if !nix::unistd::Uid::effective().is_root() {
        return Some("not root (slurmd starts jobs as their users)".into());
    }
    for bin in ["munged", "slurmctld", "slurmd", "sbatch", "squeue"] {
        if !common::on_path(bin) {
            return Some(format!(
                "{bin} not installed (scripts/setup.sh installs Slurm)"
            ));
        }
    }
    None
}

/// The running cluster; stopped on drop, so a failed assertion leaves no daemons behind.
struct Cluster {
    dir: PathBuf,
    conf: PathBuf,
    stopped: bool,
}

impl Cluster {
    fn start(dir: &Path) -> Cluster {
        let out = Command::new(repo().join("scripts/slurm/local-cluster.sh"))
            .arg("start")
            .arg(dir)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "local-cluster.sh start: {}{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        let conf = stdout
            .trim()
            .strip_prefix("export SLURM_CONF=")
            .unwrap_or_else(|| panic!("start printed {stdout:?}"));
        Cluster {
            dir: dir.to_path_buf(),
            conf: PathBuf::from(conf),
            stopped: false,
        }
    }

    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env("SLURM_CONF", &self.conf);
        c
    }

    fn queue(&self) -> String {
        let out = self
            .command("squeue")
            .args(["-h", "-o", "%i %T %r"])
            .output()
            .unwrap();
        assert!(out.status.success(), "squeue failed");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn stop(&mut self) -> std::process::Output {
        self.stopped = true;
        Command::new(repo().join("scripts/slurm/local-cluster.sh"))
            .arg("stop")
            .arg(&self.dir)
            .output()
            .unwrap()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if !self.stopped {
            let _ = self.stop();
        }
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn an_array_job_measures_two_allocations_and_draws_the_fleet() {
    if let Some(why) = unavailable() {
        common::skip_missing_tool("PINBENCH_REQUIRE_SLURM", &why);
        return;
    }
    let tmp = tempfile::Builder::new()
        .prefix("pbslurm")
        .tempdir()
        .unwrap();
    let cluster_dir = tmp.path().join("cluster");
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    // Bad settings are refused before anything is submitted: one line, exit 2.
    for (shapes, bind, needle) in [
        ("all x", "cores", "shape 'x'"),
        ("all 1", "none", "PINBENCH_BIND=none with shape 1"),
    ] {
        let out = Command::new(repo().join("scripts/slurm/submit-fleet.sh"))
            .current_dir(&work)
            .env("PINBENCH", env!("CARGO_BIN_EXE_pinbench"))
            .env("PINBENCH_SHAPES", shapes)
            .env("PINBENCH_BIND", bind)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{shapes} {bind}: {err}");
        assert!(err.contains(needle), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(!work.join("slurm-logs").exists() && !work.join("results").exists());
    }
    let mut cluster = Cluster::start(&cluster_dir);

    let results = work.join("results");
    std::fs::write(
        work.join("node-types"),
        "# one node type\nlocal --partition=local\n",
    )
    .unwrap();
    let submitted = cluster
        .command(repo().join("scripts/slurm/submit-fleet.sh"))
        .arg("node-types")
        .current_dir(&work)
        .env("PINBENCH", env!("CARGO_BIN_EXE_pinbench"))
        .env("PINBENCH_SHAPES", "1 all")
        .env("PINBENCH_FLEET_OPTS", "--partition=local --time=10")
        .env(
            "PINBENCH_ARGS",
            "-W cpu -s none,per-worker,round-robin -m threads -d 30ms --reps 6 --max-reps 6 --no-warmup",
        )
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&submitted.stdout).to_string();
    assert!(
        submitted.status.success(),
        "submit-fleet.sh: {}{said}",
        String::from_utf8_lossy(&submitted.stderr)
    );
    assert!(said.contains("job array"), "{said}");
    assert!(said.contains("submitted fleet view"), "{said}");

    // Both array tasks and the fleet job: on one node, one after the other.
    let started = Instant::now();
    loop {
        let queue = cluster.queue();
        if queue.is_empty() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "jobs still queued after 240 s: {queue}\n{}",
            read(&cluster_dir.join("slurmctld.log"))
        );
        std::thread::sleep(Duration::from_millis(300));
    }

    let logs: Vec<PathBuf> = std::fs::read_dir(work.join("slurm-logs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    let all_logs: String = logs.iter().map(|p| read(p)).collect();
    assert_eq!(
        logs.len(),
        3,
        "two array tasks and the fleet job: {all_logs}"
    );

    // Two profiles: the one-CPU step and the whole node, each traced to its array task.
    let mut profiles: Vec<PathBuf> = std::fs::read_dir(&results)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("profile.json").is_file())
        .collect();
    profiles.sort();
    assert_eq!(profiles.len(), 2, "{profiles:?}\n{all_logs}");
    let mut tasks = Vec::new();
    for dir in &profiles {
        let profile: serde_json::Value =
            serde_json::from_str(&read(&dir.join("profile.json"))).unwrap();
        let allowed = profile["allowed"].as_str().unwrap().to_string();
        let jobs = profile["scheduler"].as_array().expect("a scheduler entry");
        assert_eq!(jobs.len(), 1, "{jobs:?}");
        let job = &jobs[0];
        assert_eq!(job["scheduler"], "slurm");
        assert_eq!(job["partition"], "local");
        assert_eq!(job["bound"], true, "--cpu-bind=cores binds the step: {job}");
        assert_eq!(job["allowed"].as_str(), Some(allowed.as_str()));
        assert!(job["node"].as_str().is_some_and(|n| !n.is_empty()));
        assert!(
            job["cpu_bind_list"]
                .as_str()
                .is_some_and(|l| l.starts_with("0x"))
        );
        let task = job["array_task_id"].as_str().unwrap().to_string();
        let run_id = job["run_id"].as_str().unwrap();
        // Every row of this folder is the run the entry names.
        let runs = csv_rows(&dir.join("runs.csv"));
        assert!(!runs.is_empty());
        assert!(runs.iter().all(|r| r["run_id"] == run_id), "{run_id}");
        let n_allowed = profile["allowed_summary"]["cpus"].as_u64().unwrap();
        tasks.push((task, n_allowed));
        // The report names the job.
        let md = read(&dir.join("charts/report.md"));
        assert!(md.contains("Slurm job"), "{md}");
    }
    tasks.sort();
    let online = std::fs::read_to_string("/sys/devices/system/cpu/online").unwrap();
    let node_cpus = online
        .trim()
        .parse::<pinbench::cpuset::CpuSet>()
        .unwrap()
        .len() as u64;
    assert_eq!(tasks[0], ("0".to_string(), 1), "task 0 had one CPU");
    assert_eq!(tasks[1].0, "1");
    assert_eq!(tasks[1].1, node_cpus, "task 1 had the whole node");

    // The fleet job after them drew both profiles.
    let fleet = results.join("compare/fleet");
    for f in [
        "compare.csv",
        "compare.md",
        "fleet-speedup.png",
        "fleet-speedup.svg",
    ] {
        assert!(fleet.join(f).is_file(), "{f} missing: {all_logs}");
    }
    let rows = csv_rows(&fleet.join("compare.csv"));
    let mut ids: Vec<&str> = rows.iter().map(|r| r["profile_id"].as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let md = read(&fleet.join("compare.md"));
    assert!(
        md.contains("_0)") && md.contains("_1)"),
        "array tasks named: {md}"
    );

    // Stopped: no daemon, step or measurement of this cluster is left.
    let stopped = cluster.stop();
    assert!(
        stopped.status.success(),
        "local-cluster.sh stop: {}",
        String::from_utf8_lossy(&stopped.stderr)
    );
    let marker = cluster_dir.to_string_lossy().to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut left = live_with(&marker);
        left.extend(live_with("slurmstepd"));
        left.extend(live_with(&results.to_string_lossy()));
        if left.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "still running: {left:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}
