//! The cgroup limits on CPUs: the cpuset (which CPUs the process's cgroup may use) and the CPU
//! quota (how much CPU time it may use). Both cgroup v2 and v1 are read, and hybrid layouts
//! that mount both, by following `/proc/self/cgroup` (or `/proc/self/cpuset`) into the mount
//! points that `/proc/mounts` names, all below a root that may be a recording.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::sysfs::read_trimmed;
use crate::cpuset::CpuSet;

/// A CPU bandwidth limit: `quota_us` of CPU time per `period_us`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CpuQuota {
    pub quota_us: u64,
    pub period_us: u64,
}

impl CpuQuota {
    /// The limit in CPUs' worth of time (`1.5` = one and a half CPUs).
    pub fn cpus(&self) -> f64 {
        self.quota_us as f64 / self.period_us as f64
    }
}

/// What the cgroups say about this process's CPUs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CgroupLimits {
    /// The effective cpuset of the process's cgroup, when one was found.
    pub cpuset: Option<CpuSet>,
    /// The file it came from, relative to the root.
    pub cpuset_source: Option<String>,
    /// The tightest CPU quota on the cgroup's path, when any is set.
    pub quota: Option<CpuQuota>,
    pub quota_source: Option<String>,
    /// The cgroup's own folder where CPU throttling counters live (`cpu.stat`).
    pub cpu_stat_path: Option<PathBuf>,
}

struct Mount {
    point: String,
    fstype: String,
    options: Vec<String>,
}

fn mounts(root: &Path) -> Vec<Mount> {
    read_trimmed(&root.join("proc/mounts"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 4).then(|| Mount {
                point: f[1].to_string(),
                fstype: f[2].to_string(),
                options: f[3].split(',').map(str::to_string).collect(),
            })
        })
        .collect()
}

/// `(controllers, path)` pairs of `/proc/self/cgroup`; `""` controllers is the v2 entry.
fn memberships(root: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = read_trimmed(&root.join("proc/self/cgroup"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut parts = l.splitn(3, ':');
            let _id = parts.next()?;
            Some((parts.next()?.to_string(), parts.next()?.to_string()))
        })
        .collect();
    if out.is_empty() {
        // Old kernels and recordings without /proc/self/cgroup: /proc/self/cpuset gives the path.
        if let Some(path) = read_trimmed(&root.join("proc/self/cpuset")) {
            out.push((String::new(), path.clone()));
            out.push(("cpuset".into(), path));
        }
    }
    out
}

/// The folders, innermost first, from the process's cgroup up to the mount point.
fn ancestry(root: &Path, mount_point: &str, cg_path: &str) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut rel = cg_path.trim_matches('/').to_string();
    loop {
        let display = format!("{}/{}", mount_point.trim_end_matches('/'), rel);
        let dir = root.join(display.trim_start_matches('/'));
        out.push((dir, display.trim_end_matches('/').to_string()));
        if rel.is_empty() {
            break;
        }
        rel = match rel.rfind('/') {
            Some(i) => rel[..i].to_string(),
            None => String::new(),
        };
    }
    out
}

/// How a cpuset hierarchy names its files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CpusetFs {
    /// cgroup v2: `cpuset.cpus.effective`.
    V2,
    /// cgroup v1 with the `cpuset.` prefix: `cpuset.cpus`.
    V1,
    /// The legacy cpuset filesystem, or cgroup v1 mounted with `noprefix`: `cpus`.
    Plain,
}

/// Where the cpuset hierarchy is mounted, found as hwloc's Linux backend finds it: the standard
/// places first (`/sys/fs/cgroup` for v2, `/sys/fs/cgroup/cpuset` for v1, `/dev/cpuset`), then
/// the first mount in `/proc/mounts` that carries cpusets (cgroup2 with the cpuset controller
/// enabled, the `cpuset` filesystem, cgroup v1 with the `cpuset` option, `noprefix` or not).
fn cpuset_mount(root: &Path, mounts: &[Mount]) -> Option<(CpusetFs, String)> {
    let exists = |p: &str| root.join(p.trim_start_matches('/')).is_file();
    if exists("/sys/fs/cgroup/cpuset.cpus.effective") {
        return Some((CpusetFs::V2, "/sys/fs/cgroup".into()));
    }
    if exists("/sys/fs/cgroup/cpuset/cpuset.cpus") {
        return Some((CpusetFs::V1, "/sys/fs/cgroup/cpuset".into()));
    }
    if exists("/dev/cpuset/cpus") {
        return Some((CpusetFs::Plain, "/dev/cpuset".into()));
    }
    mounts.iter().find_map(|m| {
        let has = |o: &str| m.options.iter().any(|x| x == o);
        match m.fstype.as_str() {
            "cgroup2" => {
                let controllers = read_trimmed(
                    &root
                        .join(m.point.trim_start_matches('/'))
                        .join("cgroup.controllers"),
                )?;
                controllers
                    .split_whitespace()
                    .any(|c| c == "cpuset")
                    .then(|| (CpusetFs::V2, m.point.clone()))
            }
            "cpuset" => Some((CpusetFs::Plain, m.point.clone())),
            "cgroup" if has("cpuset") && has("noprefix") => {
                Some((CpusetFs::Plain, m.point.clone()))
            }
            "cgroup" if has("cpuset") => Some((CpusetFs::V1, m.point.clone())),
            _ => None,
        }
    })
}

/// The process's cpuset path, as hwloc finds it: `/proc/self/cpuset` first, else the first line
/// of `/proc/self/cgroup` that is the v1 cpuset hierarchy's or the v2 unified one's.
fn cpuset_name(root: &Path) -> Option<String> {
    if let Some(name) = read_trimmed(&root.join("proc/self/cpuset")).filter(|n| !n.is_empty()) {
        return Some(name);
    }
    read_trimmed(&root.join("proc/self/cgroup"))?
        .lines()
        .find_map(|l| {
            let (_, rest) = l.split_once(':')?;
            rest.strip_prefix("cpuset:")
                .or_else(|| rest.strip_prefix(':'))
                .map(str::to_string)
        })
}

/// The cpuset that bounds this process, read exactly where hwloc reads it: the named cgroup's
/// own file (`cpuset.cpus.effective` in v2, `cpuset.cpus` in v1, `cpus` without prefix), no
/// walking up. A file that cannot be read restricts nothing (hwloc then allows every CPU).
fn cpuset_as_hwloc(root: &Path, mounts: &[Mount]) -> Option<(CpuSet, String)> {
    let (fs, point) = cpuset_mount(root, mounts)?;
    let name = cpuset_name(root)?;
    let file = match fs {
        CpusetFs::V2 => "cpuset.cpus.effective",
        CpusetFs::V1 => "cpuset.cpus",
        CpusetFs::Plain => "cpus",
    };
    let shown = format!(
        "{}/{}/{file}",
        point.trim_end_matches('/'),
        name.trim_matches('/')
    )
    .replace("//", "/");
    let set = read_trimmed(&root.join(shown.trim_start_matches('/')))
        .and_then(|t| CpuSet::parse(&t).ok())?;
    Some((set, shown))
}

impl CgroupLimits {
    /// Reads the limits below `root`; nothing found is not an error, only unknown.
    pub fn read(root: &Path) -> Self {
        let mounts = mounts(root);
        let members = memberships(root);
        let mut limits = CgroupLimits::default();

        let v2_mount = mounts.iter().find(|m| m.fstype == "cgroup2");
        let v2_path = members.iter().find(|(c, _)| c.is_empty()).map(|(_, p)| p);
        let v1 = |controller: &str| -> Option<(&Mount, &String)> {
            let mount = mounts
                .iter()
                .find(|m| m.fstype == "cgroup" && m.options.iter().any(|o| o == controller))?;
            let path = members
                .iter()
                .find(|(c, _)| c.split(',').any(|c| c == controller))
                .map(|(_, p)| p)?;
            Some((mount, path))
        };

        let mut dirs: Vec<(PathBuf, String, bool)> = Vec::new();
        if let (Some(m), Some(p)) = (v2_mount, v2_path) {
            dirs.extend(
                ancestry(root, &m.point, p)
                    .into_iter()
                    .map(|(d, s)| (d, s, true)),
            );
        }

        // cpuset: as hwloc reads it (see `cpuset_as_hwloc`).
        if let Some((set, source)) = cpuset_as_hwloc(root, &mounts) {
            limits.cpuset = Some(set);
            limits.cpuset_source = Some(source);
        }

        // quota: the tightest along the path, v2 `cpu.max` or v1 `cpu.cfs_quota_us`.
        let mut consider = |q: CpuQuota, source: String| {
            if limits.quota.is_none_or(|old| q.cpus() < old.cpus()) {
                limits.quota = Some(q);
                limits.quota_source = Some(source);
            }
        };
        for (dir, shown, _) in &dirs {
            if let Some(text) = read_trimmed(&dir.join("cpu.max")) {
                let mut f = text.split_whitespace();
                if let (Some(q), Some(p)) = (f.next(), f.next())
                    && let (Ok(quota_us), Ok(period_us)) = (q.parse::<u64>(), p.parse::<u64>())
                    && period_us > 0
                {
                    consider(
                        CpuQuota {
                            quota_us,
                            period_us,
                        },
                        format!("{shown}/cpu.max"),
                    );
                }
            }
        }
        let v1_cpu = v1("cpu");
        if let Some((m, p)) = v1_cpu {
            for (dir, shown) in ancestry(root, &m.point, p) {
                let quota =
                    read_trimmed(&dir.join("cpu.cfs_quota_us")).and_then(|t| t.parse::<i64>().ok());
                let period = read_trimmed(&dir.join("cpu.cfs_period_us"))
                    .and_then(|t| t.parse::<u64>().ok());
                if let (Some(q), Some(period_us)) = (quota, period)
                    && q > 0
                    && period_us > 0
                {
                    consider(
                        CpuQuota {
                            quota_us: q as u64,
                            period_us,
                        },
                        format!("{shown}/cpu.cfs_quota_us"),
                    );
                }
            }
        }
        // The cgroup's own cpu.stat that counts throttling (v2 has it only where the cpu
        // controller is enabled; hybrid layouts keep it in the v1 cpu hierarchy).
        let counts_throttling = |p: &PathBuf| {
            read_trimmed(p).is_some_and(|t| t.lines().any(|l| l.starts_with("nr_throttled ")))
        };
        limits.cpu_stat_path = dirs
            .first()
            .map(|(d, _, _)| d.join("cpu.stat"))
            .filter(counts_throttling)
            .or_else(|| {
                v1_cpu
                    .map(|(m, p)| ancestry(root, &m.point, p)[0].0.join("cpu.stat"))
                    .filter(counts_throttling)
            });
        limits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    #[test]
    fn reads_v2_cpuset_and_tightest_quota() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        write(r, "proc/mounts", "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n");
        write(r, "proc/self/cgroup", "0::/job/step\n");
        write(
            r,
            "sys/fs/cgroup/cgroup.controllers",
            "cpuset cpu io memory\n",
        );
        write(r, "sys/fs/cgroup/job/step/cpuset.cpus.effective", "2,4\n");
        write(r, "sys/fs/cgroup/job/step/cpu.max", "max 100000\n");
        write(r, "sys/fs/cgroup/job/cpu.max", "150000 100000\n");
        let l = CgroupLimits::read(r);
        assert_eq!(l.cpuset.unwrap().to_string(), "2,4");
        let q = l.quota.unwrap();
        assert_eq!(q.cpus(), 1.5);
        assert_eq!(l.quota_source.unwrap(), "/sys/fs/cgroup/job/cpu.max");
    }

    #[test]
    fn reads_v1_hybrid_layout() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        write(
            r,
            "proc/mounts",
            "cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\ncgroup /sys/fs/cgroup/cpuset cgroup rw,cpuset 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n",
        );
        write(r, "proc/self/cgroup", "3:cpuset:/\n1:cpu:/box\n0::/\n");
        write(r, "sys/fs/cgroup/cpuset/cpuset.cpus", "0-1\n");
        write(r, "sys/fs/cgroup/cpu/box/cpu.cfs_quota_us", "50000\n");
        write(r, "sys/fs/cgroup/cpu/box/cpu.cfs_period_us", "100000\n");
        write(r, "sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1\n");
        write(r, "sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
        write(r, "sys/fs/cgroup/unified/cpu.stat", "usage_usec 5\n");
        write(
            r,
            "sys/fs/cgroup/cpu/box/cpu.stat",
            "nr_periods 4\nnr_throttled 2\n",
        );
        let l = CgroupLimits::read(r);
        assert_eq!(l.cpuset.unwrap().to_string(), "0-1");
        assert_eq!(l.quota.unwrap().cpus(), 0.5);
        // The v2 file does not count throttling here; the v1 cpu hierarchy's does.
        assert_eq!(
            l.cpu_stat_path.unwrap(),
            r.join("sys/fs/cgroup/cpu/box/cpu.stat")
        );
    }

    #[test]
    fn a_v2_mount_without_the_cpuset_controller_restricts_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        write(r, "proc/mounts", "cgroup2 /mnt/cg cgroup2 rw 0 0\n");
        write(r, "proc/self/cgroup", "0::/job\n");
        write(r, "mnt/cg/cgroup.controllers", "cpu io memory\n");
        write(r, "mnt/cg/job/cpuset.cpus.effective", "1\n");
        assert_eq!(CgroupLimits::read(r).cpuset, None);
        // With the controller enabled, the job's own file counts.
        write(r, "mnt/cg/cgroup.controllers", "cpuset cpu\n");
        assert_eq!(CgroupLimits::read(r).cpuset.unwrap().to_string(), "1");
    }

    #[test]
    fn nothing_found_is_unknown() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(CgroupLimits::read(dir.path()), CgroupLimits::default());
    }
}
