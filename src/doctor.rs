//! What limits this machine's results, in the spirit of `pyperf system show` and Google
//! Benchmark's warnings: each check says what it found and what to do about it. `pinbench
//! doctor` prints them; every `run` records them in profile.json.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::cpuset::CpuSet;
use crate::profile::HardwareProfile;
use crate::topology::read_file_trimmed as read;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    Info,
    Warn,
    /// The machine is not fit for measuring until this is fixed.
    Fail,
}

impl Level {
    pub fn as_str(&self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Fail => "FAIL",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub level: Level,
    pub found: String,
    pub advice: String,
}

fn check(name: &str, level: Level, found: impl Into<String>, advice: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        level,
        found: found.into(),
        advice: advice.into(),
    }
}

/// Jiffies of all CPUs: (busy-ish total, steal) from the first line of /proc/stat.
fn stat_totals() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let f: Vec<u64> = text
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    Some((f.iter().sum(), *f.get(7)?))
}

/// CPU time (jiffies) of every process but this one.
fn process_times() -> Vec<(i32, String, u64)> {
    let me = std::process::id() as i32;
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let pid: i32 = e.file_name().to_str()?.parse().ok()?;
            if pid == me {
                return None;
            }
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            let (name, rest) = stat.split_once(") ")?;
            let comm = name.split_once(" (")?.1.to_string();
            let f: Vec<&str> = rest.split_whitespace().collect();
            let t = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
            Some((pid, comm, t))
        })
        .collect()
}

/// Runs every check; `sample` is how long to watch steal time and busy processes.
pub fn diagnose(profile: &HardwareProfile, sample: Duration) -> Vec<Check> {
    let root = Path::new("/");
    let mut out = Vec::new();
    let n = profile.allowed.len();

    // Frequency scaling.
    let governors: Vec<String> = profile
        .allowed
        .iter()
        .filter_map(|c| {
            read(&root.join(format!(
                "sys/devices/system/cpu/cpu{c}/cpufreq/scaling_governor"
            )))
        })
        .collect();
    out.push(if governors.is_empty() {
        check(
            "governor",
            Level::Info,
            "no governor information (no cpufreq here: a VM, or no driver)",
            "the host or firmware sets the frequency: repeat runs and read the CV",
        )
    } else if governors.iter().all(|g| g == "performance") {
        check(
            "governor",
            Level::Ok,
            "performance on every allowed CPU",
            "",
        )
    } else {
        check(
            "governor",
            Level::Warn,
            format!("{} (not performance)", governors[0]),
            "run `cpupower frequency-set -g performance` for steady clocks",
        )
    });
    let boost = read(&root.join("sys/devices/system/cpu/intel_pstate/no_turbo"))
        .map(|v| v == "0")
        .or_else(|| read(&root.join("sys/devices/system/cpu/cpufreq/boost")).map(|v| v == "1"));
    out.push(match boost {
        Some(true) => check(
            "turbo",
            Level::Warn,
            "turbo/boost on: clocks depend on how many cores are busy",
            "disable it (intel_pstate/no_turbo=1 or cpufreq/boost=0) to compare worker counts fairly",
        ),
        Some(false) => check("turbo", Level::Ok, "turbo/boost off", ""),
        None => check("turbo", Level::Info, "no turbo/boost control visible", ""),
    });

    // SMT.
    out.push(match profile.smt.as_str() {
        "on" => check(
            "smt",
            Level::Info,
            "SMT on: sibling CPUs share a core",
            "compact puts workers on siblings first; compare it with scatter",
        ),
        s => check("smt", Level::Info, format!("SMT {s}: one CPU per core"), ""),
    });

    // Virtualisation and steal time.
    let steal_pct = {
        let a = stat_totals();
        let pa = process_times();
        std::thread::sleep(sample);
        let b = stat_totals();
        let pb = process_times();
        let steal = match (a, b) {
            (Some((ta, sa)), Some((tb, sb))) if tb > ta => {
                Some((sb - sa) as f64 * 100.0 / (tb - ta) as f64)
            }
            _ => None,
        };
        let hz = 100.0;
        let mut busy: Vec<(f64, String, i32)> = pb
            .iter()
            .filter_map(|(pid, comm, t)| {
                let before = pa.iter().find(|(p, _, _)| p == pid)?.2;
                let pct = t.saturating_sub(before) as f64 / hz / sample.as_secs_f64() * 100.0;
                (pct >= 5.0).then(|| (pct, comm.clone(), *pid))
            })
            .collect();
        busy.sort_by(|x, y| y.0.total_cmp(&x.0));
        out.push(if busy.is_empty() {
            check(
                "busy processes",
                Level::Ok,
                "no other process used 5 % of a CPU",
                "",
            )
        } else {
            let list: Vec<String> = busy
                .iter()
                .take(5)
                .map(|(p, c, pid)| format!("{c}[{pid}] {p:.0}%"))
                .collect();
            check(
                "busy processes",
                Level::Warn,
                list.join(", "),
                "stop them, or pin them away from the allowed set, before measuring",
            )
        });
        steal
    };
    out.push(match &profile.virtualization {
        Some(v) => check(
            "virtualisation",
            if steal_pct.is_some_and(|s| s > 1.0) { Level::Warn } else { Level::Info },
            format!(
                "running under a hypervisor ({v}); steal time {}",
                steal_pct.map_or("unknown".into(), |s| format!("{s:.1} %"))
            ),
            "vCPUs may share physical cores with other guests: expect a higher CV and no hardware counters",
        ),
        None => check("virtualisation", Level::Ok, "bare metal (no hypervisor flag)", ""),
    });

    // cgroup quota.
    out.push(match &profile.cgroup.quota {
        Some(q) if q.cpus() < n as f64 => check(
            "cgroup quota",
            Level::Fail,
            format!("{:.2} CPUs of quota for {n} allowed CPUs", q.cpus()),
            "workers will be throttled: raise cpu.max or measure with fewer workers",
        ),
        Some(q) => check(
            "cgroup quota",
            Level::Ok,
            format!("{:.2} CPUs, not below the allowed set", q.cpus()),
            "",
        ),
        None => check("cgroup quota", Level::Ok, "no CPU quota", ""),
    });

    // perf events.
    let paranoid = profile.perf_event_paranoid;
    let perf_ok = crate::metrics::PerfCounters::available();
    let root_user = nix::unistd::geteuid().is_root();
    let procfs = Path::new("/proc/thread-self/sched").exists();
    out.push(check(
        "perf events",
        if perf_ok || procfs { Level::Ok } else { Level::Warn },
        format!(
            "perf_event_paranoid={}; cpu-migrations events {} for this {} user; /proc/<pid>/task/<tid>/sched {}",
            paranoid.map_or("unknown".into(), |p| p.to_string()),
            if perf_ok { "can be opened" } else { "cannot be opened" },
            if root_user { "root" } else { "non-root" },
            if procfs { "readable" } else { "absent" }
        ),
        if root_user {
            format!(
                "a non-root user {} perf events (paranoid {}) and gets the procfs count (se.nr_migrations), which pinbench uses by default",
                if paranoid.unwrap_or(2) >= 2 { "cannot open kernel-counting" } else { "can open" },
                paranoid.map_or("?".into(), |p| p.to_string())
            )
        } else {
            "pinbench counts migrations from procfs; `--counting perf` needs perf_event_paranoid <= 1".into()
        },
    ));

    // Isolated CPUs.
    let isolated = read(&root.join("sys/devices/system/cpu/isolated")).unwrap_or_default();
    let nohz = read(&root.join("sys/devices/system/cpu/nohz_full")).unwrap_or_default();
    let iso = CpuSet::parse_allow_empty(&isolated).unwrap_or_default();
    out.push(if iso.is_empty() && (nohz.is_empty() || nohz == "(null)") {
        check(
            "isolated CPUs",
            Level::Info,
            "none (isolcpus, nohz_full unset)",
            "for the quietest runs, boot with isolcpus= and nohz_full= and pin into those CPUs",
        )
    } else {
        check(
            "isolated CPUs",
            Level::Ok,
            format!("isolated {iso}, nohz_full {nohz}"),
            "",
        )
    });

    // Load.
    let load: f64 = read(&root.join("proc/loadavg"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    out.push(if load > n as f64 * 0.5 {
        check(
            "load",
            Level::Warn,
            format!("1-minute load {load:.2} on {n} allowed CPUs"),
            "wait for the machine to calm down (`uptime`), results will be noisy",
        )
    } else {
        check(
            "load",
            Level::Ok,
            format!("1-minute load {load:.2} on {n} allowed CPUs"),
            "",
        )
    });

    out.push(if cfg!(debug_assertions) {
        check(
            "build",
            Level::Fail,
            "debug build: workloads run unoptimised",
            "build with `cargo build --release` (or `cargo run --release`)",
        )
    } else {
        check("build", Level::Ok, "release build", "")
    });
    out
}

/// Whether the machine is fit for measuring: no check failed.
pub fn fit(checks: &[Check]) -> bool {
    checks.iter().all(|c| c.level != Level::Fail)
}
