//! Each environment check as a small pure function of what was read below a root path (`/` live,
//! or a recorded tree), like the topology reader: testable on any machine.

use std::path::Path;
use std::time::Duration;

use crate::check::{Check, Level, check};
use crate::cpuset::CpuSet;
use crate::topology::read_file_trimmed as read;

/// Whether the machine is fit for measuring: no check failed.
pub fn fit(checks: &[Check]) -> bool {
    checks.iter().all(|c| c.level != Level::Fail)
}

/// `/proc/stat`'s totals and every process's CPU time at one moment.
#[derive(Debug, Clone, Default)]
pub struct ProcSnapshot {
    /// Jiffies of all CPUs: (total, steal), from the first line of `proc/stat`.
    pub totals: Option<(u64, u64)>,
    /// (pid, command, user + system jiffies) of every process but this one.
    pub processes: Vec<(i32, String, u64)>,
}

impl ProcSnapshot {
    pub fn read(root: &Path) -> Self {
        let proc = root.join("proc");
        let totals = std::fs::read_to_string(proc.join("stat"))
            .ok()
            .and_then(|text| {
                let f: Vec<u64> = text
                    .lines()
                    .next()?
                    .split_whitespace()
                    .skip(1)
                    .filter_map(|x| x.parse().ok())
                    .collect();
                Some((f.iter().sum(), *f.get(7)?))
            });
        let me = std::process::id() as i32;
        let processes = std::fs::read_dir(&proc)
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
            .collect();
        Self { totals, processes }
    }

    /// Steal time between two snapshots, in percent of all CPU time.
    pub fn steal_percent(a: &Self, b: &Self) -> Option<f64> {
        match (a.totals, b.totals) {
            (Some((ta, sa)), Some((tb, sb))) if tb > ta => {
                Some(sb.saturating_sub(sa) as f64 * 100.0 / (tb - ta) as f64)
            }
            _ => None,
        }
    }
}

pub fn governor(root: &Path, allowed: &CpuSet) -> Check {
    let governors: Vec<String> = allowed
        .iter()
        .filter_map(|c| {
            read(&root.join(format!(
                "sys/devices/system/cpu/cpu{c}/cpufreq/scaling_governor"
            )))
        })
        .collect();
    if governors.is_empty() {
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
    }
}

pub fn turbo(root: &Path) -> Check {
    let boost = read(&root.join("sys/devices/system/cpu/intel_pstate/no_turbo"))
        .map(|v| v == "0")
        .or_else(|| read(&root.join("sys/devices/system/cpu/cpufreq/boost")).map(|v| v == "1"));
    match boost {
        Some(true) => check(
            "turbo",
            Level::Warn,
            "turbo/boost on: clocks depend on how many cores are busy",
            "disable it (intel_pstate/no_turbo=1 or cpufreq/boost=0) to compare worker counts fairly",
        ),
        Some(false) => check("turbo", Level::Ok, "turbo/boost off", ""),
        None => check("turbo", Level::Info, "no turbo/boost control visible", ""),
    }
}

/// `smt` is the profile's SMT state (`smt/control`'s word).
pub fn smt(smt: &str) -> Check {
    match smt {
        "on" => check(
            "smt",
            Level::Info,
            "SMT on: sibling CPUs share a core",
            "compact puts workers on siblings first; compare it with scatter",
        ),
        s => check(
            "smt",
            Level::Info,
            format!("SMT {}: one CPU per core", crate::text::smt_words(s)),
            "",
        ),
    }
}

/// Processes that used at least 5 % of a CPU between two snapshots `sample` apart.
pub fn busy(a: &ProcSnapshot, b: &ProcSnapshot, sample: Duration) -> Check {
    let hz = 100.0;
    let secs = sample.as_secs_f64().max(1e-3);
    let mut busy: Vec<(f64, String, i32)> = b
        .processes
        .iter()
        .filter_map(|(pid, comm, t)| {
            let before = a.processes.iter().find(|(p, _, _)| p == pid)?.2;
            let pct = t.saturating_sub(before) as f64 / hz / secs * 100.0;
            (pct >= 5.0).then(|| (pct, comm.clone(), *pid))
        })
        .collect();
    busy.sort_by(|x, y| y.0.total_cmp(&x.0));
    if busy.is_empty() {
        return check(
            "busy processes",
            Level::Ok,
            "no other process used 5 % of a CPU",
            "",
        );
    }
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
}

pub fn virtualisation(hypervisor: Option<&str>, steal_pct: Option<f64>) -> Check {
    match hypervisor {
        Some(v) => check(
            "virtualisation",
            if steal_pct.is_some_and(|s| s > 1.0) {
                Level::Warn
            } else {
                Level::Info
            },
            format!(
                "running under a hypervisor ({v}); steal time {}",
                steal_pct.map_or("unknown".into(), |s| format!("{s:.1} %"))
            ),
            "vCPUs may share physical cores with other guests: expect a higher CV and no hardware counters",
        ),
        None => check(
            "virtualisation",
            Level::Ok,
            "bare metal (no hypervisor flag)",
            "",
        ),
    }
}

/// `quota_cpus`: the cgroup's CPU quota in CPUs; `n`: allowed CPUs.
pub fn quota(quota_cpus: Option<f64>, n: usize) -> Check {
    match quota_cpus {
        Some(q) if q < n as f64 => check(
            "cgroup quota",
            Level::Fail,
            format!("{q:.2} CPUs of quota for {n} allowed CPUs"),
            "workers will be throttled: raise cpu.max or measure with fewer workers",
        ),
        Some(q) => check(
            "cgroup quota",
            Level::Ok,
            format!("{q:.2} CPUs, not below the allowed set"),
            "",
        ),
        None => check("cgroup quota", Level::Ok, "no CPU quota", ""),
    }
}

pub fn perf(paranoid: Option<i32>, perf_ok: bool, root_user: bool, procfs: bool) -> Check {
    check(
        "perf events",
        if perf_ok || procfs {
            Level::Ok
        } else {
            Level::Warn
        },
        format!(
            "perf_event_paranoid={}; cpu-migrations events {} for this {} user; /proc/<pid>/task/<tid>/sched {}",
            paranoid.map_or("unknown".into(), |p| p.to_string()),
            if perf_ok {
                "can be opened"
            } else {
                "cannot be opened"
            },
            if root_user { "root" } else { "non-root" },
            if procfs { "readable" } else { "absent" }
        ),
        if root_user {
            format!(
                "a non-root user {} perf events (paranoid {}) and gets the procfs count (se.nr_migrations), which pinbench uses by default",
                if paranoid.unwrap_or(2) >= 2 {
                    "cannot open kernel-counting"
                } else {
                    "can open"
                },
                paranoid.map_or("?".into(), |p| p.to_string())
            )
        } else {
            "pinbench counts migrations from procfs; `--counting perf` needs perf_event_paranoid <= 1".into()
        },
    )
}

pub fn isolated(root: &Path) -> Check {
    let isolated = read(&root.join("sys/devices/system/cpu/isolated")).unwrap_or_default();
    let nohz = read(&root.join("sys/devices/system/cpu/nohz_full")).unwrap_or_default();
    let iso = CpuSet::parse_allow_empty(&isolated).unwrap_or_default();
    if iso.is_empty() && (nohz.is_empty() || nohz == "(null)") {
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
    }
}

pub fn load(root: &Path, n: usize) -> Check {
    let load: f64 = read(&root.join("proc/loadavg"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    check(
        "load",
        if load > n as f64 * 0.5 {
            Level::Warn
        } else {
            Level::Ok
        },
        format!("1-minute load {load:.2} on {n} allowed CPUs"),
        if load > n as f64 * 0.5 {
            "wait for the machine to calm down (`uptime`), results will be noisy"
        } else {
            ""
        },
    )
}

pub fn build(debug: bool) -> Check {
    if debug {
        check(
            "build",
            Level::Fail,
            "debug build: workloads run unoptimised",
            "build with `cargo build --release` (or `cargo run --release`)",
        )
    } else {
        check("build", Level::Ok, "release build", "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = d.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        d
    }

    #[test]
    fn governor_turbo_isolated_and_load_read_a_tree() {
        let d = tree(&[
            (
                "sys/devices/system/cpu/cpu0/cpufreq/scaling_governor",
                "powersave\n",
            ),
            (
                "sys/devices/system/cpu/cpu1/cpufreq/scaling_governor",
                "performance\n",
            ),
            ("sys/devices/system/cpu/intel_pstate/no_turbo", "0\n"),
            ("sys/devices/system/cpu/isolated", "1\n"),
            ("proc/loadavg", "3.50 1.0 0.5 1/100 42\n"),
        ]);
        let all = CpuSet::parse("0-1").unwrap();
        assert_eq!(governor(d.path(), &all).level, Level::Warn);
        assert_eq!(
            governor(d.path(), &CpuSet::parse("1").unwrap()).level,
            Level::Ok
        );
        assert_eq!(turbo(d.path()).level, Level::Warn);
        assert_eq!(isolated(d.path()).level, Level::Ok);
        assert_eq!(load(d.path(), 2).level, Level::Warn);
        assert_eq!(load(d.path(), 8).level, Level::Ok);
        let empty = tree(&[]);
        assert_eq!(governor(empty.path(), &all).level, Level::Info);
        assert_eq!(turbo(empty.path()).level, Level::Info);
    }

    #[test]
    fn quota_busy_and_build() {
        assert_eq!(quota(Some(0.5), 2).level, Level::Fail);
        assert_eq!(quota(Some(2.0), 2).level, Level::Ok);
        assert!(!fit(&[build(true)]));
        assert!(fit(&[build(false), quota(None, 4)]));
        let a = ProcSnapshot {
            totals: Some((1000, 10)),
            processes: vec![(7, "hog".into(), 100)],
        };
        let b = ProcSnapshot {
            totals: Some((2000, 60)),
            processes: vec![(7, "hog".into(), 150)],
        };
        let c = busy(&a, &b, Duration::from_secs(1));
        assert_eq!(c.level, Level::Warn);
        assert!(c.found.contains("hog[7] 50%"), "{}", c.found);
        assert_eq!(ProcSnapshot::steal_percent(&a, &b), Some(5.0));
        assert_eq!(virtualisation(Some("kvm"), Some(5.0)).level, Level::Warn);
    }
}
