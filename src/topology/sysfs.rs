//! Reads a [`Topology`] from `ROOT/sys/devices/system/{cpu,node}` and `ROOT/proc/cpuinfo`.
//! Files that a machine lacks (no cpufreq in a VM, no cache info on some ARM boards) leave the
//! corresponding field unknown; only a root without CPUs at all is an error.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::{Cache, CacheKind, Core, CoreKind, NumaNode, Package, Topology, TopologyError};
use crate::cpuset::CpuSet;

/// The trimmed contents of a file, or `None` if it cannot be read.
pub fn read_trimmed(path: &Path) -> Option<String> {
    // Recordings (hwloc's dumps among them) can carry trailing NUL bytes.
    fs::read_to_string(path).ok().map(|s| {
        s.trim_matches(|c: char| c.is_whitespace() || c == '\0')
            .to_string()
    })
}

fn read_list(path: &Path) -> Result<Option<CpuSet>, TopologyError> {
    match read_trimmed(path) {
        None => Ok(None),
        Some(text) => CpuSet::parse_allow_empty(&text)
            .map(Some)
            .map_err(|source| TopologyError::BadFile {
                path: path.to_path_buf(),
                source,
            }),
    }
}

fn read_mask(path: &Path) -> Result<Option<CpuSet>, TopologyError> {
    match read_trimmed(path) {
        None => Ok(None),
        Some(text) => {
            CpuSet::parse_mask(&text)
                .map(Some)
                .map_err(|source| TopologyError::BadFile {
                    path: path.to_path_buf(),
                    source,
                })
        }
    }
}

/// A cpulist file, else its hex-mask twin (`foo_list` / `foo`).
fn read_list_or_mask(dir: &Path, list: &str, mask: &str) -> Result<Option<CpuSet>, TopologyError> {
    match read_list(&dir.join(list))? {
        Some(set) => Ok(Some(set)),
        None => read_mask(&dir.join(mask)),
    }
}

fn read_num<T: std::str::FromStr>(path: &Path) -> Option<T> {
    read_trimmed(path)?.parse().ok()
}

/// Numbered entries `PREFIXN` of a folder, in numeric order.
fn numbered_entries(dir: &Path, prefix: &str) -> Vec<(usize, PathBuf)> {
    let mut out: Vec<(usize, PathBuf)> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let n = name.strip_prefix(prefix)?.parse().ok()?;
            Some((n, e.path()))
        })
        .collect();
    out.sort();
    out
}

/// Reads the machine below `root` (`/` for the live machine).
pub fn read_topology(root: &Path) -> Result<Topology, TopologyError> {
    let cpu_dir = root.join("sys/devices/system/cpu");
    if !cpu_dir.is_dir() {
        return Err(TopologyError::NotSysfs {
            root: root.to_path_buf(),
            missing: "sys/devices/system/cpu".into(),
        });
    }
    let cpu_dirs: BTreeMap<usize, PathBuf> =
        numbered_entries(&cpu_dir, "cpu").into_iter().collect();
    let (online, offline) = online_offline(&cpu_dir, &cpu_dirs)?;
    if online.is_empty() {
        return Err(TopologyError::NoCpus {
            root: root.to_path_buf(),
        });
    }

    let mut warnings: Vec<String> = Vec::new();
    let cpuinfo = fs::read_to_string(root.join("proc/cpuinfo")).unwrap_or_default();
    let amd_compute_units = is_amd_with_compute_units(root, &cpuinfo);
    let mut cu_noted = false;
    let mut inconsistent_caches: Vec<String> = Vec::new();
    let mut package_keys: BTreeMap<(i64, usize), CpuSet> = BTreeMap::new();
    let mut cores: BTreeMap<usize, CpuSet> = BTreeMap::new();
    let mut cpu_package_key: BTreeMap<usize, (i64, usize)> = BTreeMap::new();
    let mut caches: Vec<Cache> = Vec::new();

    let cpu_path = |c: usize| {
        cpu_dirs
            .get(&c)
            .cloned()
            .unwrap_or_else(|| cpu_dir.join(format!("cpu{c}")))
    };
    for cpu in online.iter() {
        let dir = cpu_path(cpu);
        let topo = dir.join("topology");

        let pkg_id: Option<i64> = read_num(&topo.join("physical_package_id"));
        let pkg_cpus = match read_list_or_mask(&topo, "package_cpus_list", "package_cpus")? {
            Some(s) => Some(s),
            None => read_list_or_mask(&topo, "core_siblings_list", "core_siblings")?,
        }
        .map(|s| s.intersection(&online));
        // A negative or missing id falls back to the sibling set's first CPU as the identity.
        let key = match pkg_id {
            Some(id) if id >= 0 => (id, 0),
            _ => (-1, pkg_cpus.as_ref().and_then(|s| s.first()).unwrap_or(cpu)),
        };
        package_keys.entry(key).or_default().insert(cpu);
        cpu_package_key.insert(cpu, key);

        let siblings = match read_list_or_mask(&topo, "core_cpus_list", "core_cpus")? {
            Some(s) => Some(s),
            None => read_list_or_mask(&topo, "thread_siblings_list", "thread_siblings")?,
        }
        .map(|s| s.intersection(&online))
        .filter(|s| s.contains(cpu))
        .unwrap_or_else(|| CpuSet::single(cpu));
        // AMD family 15h/16h list the two cores of a compute unit as thread siblings, but each
        // has its own core_id: hwloc makes each its own core there (and so do we).
        let siblings = if amd_compute_units && siblings.len() > 1 {
            let core_id =
                |c: usize| -> Option<i64> { read_num(&cpu_path(c).join("topology/core_id")) };
            let other = siblings.iter().find(|&c| c != cpu).unwrap_or(cpu);
            if core_id(cpu) != core_id(other) {
                if !cu_noted {
                    warnings.push(
                        "AMD family 15h/16h: the two cores of a compute unit are listed as thread siblings but have their own core_id; read as separate cores, as hwloc does".into(),
                    );
                    cu_noted = true;
                }
                CpuSet::single(cpu)
            } else {
                siblings
            }
        } else {
            siblings
        };
        let core_key = siblings.first().unwrap_or(cpu);
        cores.entry(core_key).or_default().insert(cpu);

        for (_, index) in numbered_entries(&dir.join("cache"), "index") {
            let Some(level) = read_num::<u8>(&index.join("level")) else {
                continue;
            };
            let kind = match read_trimmed(&index.join("type")).as_deref() {
                Some("Data") => CacheKind::Data,
                Some("Instruction") => CacheKind::Instruction,
                _ => CacheKind::Unified,
            };
            // As hwloc: the map within the online CPUs (an empty one is the core's), and a
            // cache is made only by the CPU that comes first in its own map, so CPUs that
            // disagree about who shares a cache never multiply the caches.
            let shared = read_list_or_mask(&index, "shared_cpu_list", "shared_cpu_map")?
                .map(|s| s.intersection(&online))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| siblings.clone());
            if shared.first() != Some(cpu) {
                let owner = shared.first().unwrap_or(cpu);
                let agrees = caches.iter().any(|c| {
                    c.level == level && c.kind == kind && c.cpus == shared && c.cpus.contains(owner)
                });
                if !agrees
                    && !inconsistent_caches
                        .iter()
                        .any(|l| l.starts_with(&format!("L{level} ")))
                {
                    inconsistent_caches.push(format!(
                        "L{level} {}: CPU {cpu} says it shares it with {shared}, which CPU {owner} does not confirm; read as hwloc does (a cache per CPU first in its own map)",
                        kind_name(kind)
                    ));
                }
                continue;
            }
            if caches
                .iter()
                .any(|c| c.level == level && c.kind == kind && c.cpus == shared)
            {
                continue;
            }
            caches.push(Cache {
                level,
                kind,
                size_bytes: read_trimmed(&index.join("size"))
                    .and_then(|s| crate::size::parse_size(&s)),
                cpus: shared,
            });
        }
    }

    let packages: Vec<Package> = package_keys
        .into_iter()
        .enumerate()
        .map(|(pos, ((id, _), cpus))| Package {
            id: if id >= 0 { id as usize } else { pos },
            cpus,
        })
        .collect();
    let cores: Vec<Core> = cores
        .into_values()
        .map(|cpus| {
            let first = cpus.first().unwrap_or(0);
            let package = packages
                .iter()
                .find(|p| p.cpus.contains(first))
                .map_or(0, |p| p.id);
            Core { package, cpus }
        })
        .collect();
    caches.sort_by_key(|c| (c.level, c.kind, c.cpus.first()));
    warnings.extend(inconsistent_caches);
    let numa_nodes = read_numa(root, &online, &mut warnings)?;

    Ok(Topology {
        root: root.to_path_buf(),
        numa_nodes,
        warnings,
        core_kinds: read_core_kinds(root, &cpu_dirs, &online)?,
        cpu_model: read_cpu_model(&cpuinfo),
        online,
        offline,
        packages,
        cores,
        caches,
    })
}

/// Online CPUs from `cpu/online`, else every `cpuN` whose `online` file is absent or `1`.
fn online_offline(
    cpu_dir: &Path,
    cpu_dirs: &BTreeMap<usize, PathBuf>,
) -> Result<(CpuSet, CpuSet), TopologyError> {
    let per_dir_online = |dir: &PathBuf| read_trimmed(&dir.join("online")).is_none_or(|s| s != "0");
    let online = match read_list(&cpu_dir.join("online"))? {
        Some(set) => set,
        None => cpu_dirs
            .iter()
            .filter(|(_, d)| per_dir_online(d))
            .map(|(n, _)| *n)
            .collect(),
    };
    // `offline` also lists possible-but-absent CPUs; only present ones are really offline.
    let present: CpuSet = match read_list(&cpu_dir.join("present"))? {
        Some(set) => set.union(&cpu_dirs.keys().copied().collect()),
        None => cpu_dirs.keys().copied().collect(),
    };
    let offline = match read_list(&cpu_dir.join("offline"))? {
        Some(set) => set.difference(&online).intersection(&present),
        None => cpu_dirs
            .keys()
            .copied()
            .filter(|n| !online.contains(*n))
            .collect(),
    };
    Ok((online, offline))
}

fn read_numa(
    root: &Path,
    online: &CpuSet,
    warnings: &mut Vec<String>,
) -> Result<Vec<NumaNode>, TopologyError> {
    let node_dir = root.join("sys/devices/system/node");
    let mut nodes = Vec::new();
    for (id, dir) in numbered_entries(&node_dir, "node") {
        let cpus = read_list_or_mask(&dir, "cpulist", "cpumap")?
            .unwrap_or_default()
            .intersection(online);
        let memory_bytes = read_trimmed(&dir.join("meminfo")).and_then(|text| {
            text.lines()
                .find(|l| l.contains("MemTotal:"))
                .and_then(|l| l.split_whitespace().rev().nth(1)?.parse::<u64>().ok())
                .map(|kib| kib * 1024)
        });
        nodes.push(NumaNode {
            id,
            cpus,
            memory_bytes,
        });
    }
    // Node cpumaps that overlap contradict each other: hwloc cannot insert them and reports
    // one node holding every CPU (with the first node's number); so do we, and say so.
    let overlap = nodes.iter().enumerate().find_map(|(i, a)| {
        nodes[i + 1..]
            .iter()
            .find(|b| a.cpus.intersects(&b.cpus))
            .map(|b| (a.id, b.id, a.cpus.intersection(&b.cpus)))
    });
    if let Some((a, b, both)) = overlap {
        warnings.push(format!(
            "NUMA nodes {a} and {b} both claim CPUs {both}: the node information contradicts itself; read as one node holding every CPU, as hwloc does"
        ));
        let memory_bytes = nodes.iter().map(|n| n.memory_bytes).sum();
        let id = nodes[0].id;
        nodes = vec![NumaNode {
            id,
            cpus: online.clone(),
            memory_bytes,
        }];
    } else if !nodes.is_empty() {
        let covered = nodes
            .iter()
            .fold(CpuSet::new(), |acc, n| acc.union(&n.cpus));
        let left = online.difference(&covered);
        if !left.is_empty() {
            warnings.push(format!(
                "CPUs {left} are in no NUMA node's cpumap: kept outside every node, as hwloc does; their memory locality is unknown"
            ));
        }
    }
    if nodes.is_empty() {
        // No NUMA support in the kernel: one node holds everything, as hwloc assumes.
        nodes.push(NumaNode {
            id: 0,
            cpus: online.clone(),
            memory_bytes: None,
        });
    }
    Ok(nodes)
}

/// Core kinds, tried in hwloc's order: the PMU folders of Intel hybrid parts, then distinct
/// `cpu_capacity`, then groups of cpufreq `base_frequency` (not `cpuinfo_max_freq`, which
/// Turbo Boost Max 3.0 makes differ between cores of one kind).
fn read_core_kinds(
    root: &Path,
    cpu_dirs: &BTreeMap<usize, PathBuf>,
    online: &CpuSet,
) -> Result<Vec<CoreKind>, TopologyError> {
    let devices = root.join("sys/devices");
    let p = read_list(&devices.join("cpu_core/cpus"))?;
    let e = read_list(&devices.join("cpu_atom/cpus"))?;
    if let (Some(p), Some(e)) = (p, e) {
        let kinds = vec![
            (u64::MAX, p.intersection(online)),
            (0, e.intersection(online)),
        ];
        return Ok(name_kinds(kinds, "sys/devices/cpu_core,cpu_atom"));
    }
    for (file, source) in [
        ("cpu_capacity", "cpu_capacity"),
        ("cpufreq/base_frequency", "cpufreq/base_frequency"),
    ] {
        let mut groups: BTreeMap<u64, CpuSet> = BTreeMap::new();
        let mut complete = true;
        for cpu in online.iter() {
            match cpu_dirs
                .get(&cpu)
                .and_then(|d| read_num::<u64>(&d.join(file)))
            {
                Some(v) => {
                    groups.entry(v).or_default().insert(cpu);
                }
                None => complete = false,
            }
        }
        if complete && groups.len() > 1 {
            return Ok(name_kinds(groups.into_iter().collect(), source));
        }
    }
    Ok(vec![CoreKind {
        name: "uniform".into(),
        rank: 0,
        cpus: online.clone(),
        source: "no hybrid information".into(),
    }])
}

/// Ranks kinds by their value, highest first, and names them.
fn name_kinds(mut groups: Vec<(u64, CpuSet)>, source: &str) -> Vec<CoreKind> {
    groups.retain(|(_, cpus)| !cpus.is_empty());
    groups.sort_by_key(|g| std::cmp::Reverse(g.0));
    let two = groups.len() == 2;
    groups
        .into_iter()
        .enumerate()
        .map(|(rank, (_, cpus))| CoreKind {
            name: match (two, rank) {
                (true, 0) => "P".into(),
                (true, _) => "E".into(),
                _ => format!("kind{rank}"),
            },
            rank,
            cpus,
            source: source.into(),
        })
        .collect()
}

/// `Unified`, `Data`, `Instruction`.
fn kind_name(k: CacheKind) -> &'static str {
    match k {
        CacheKind::Data => "data",
        CacheKind::Instruction => "instruction",
        CacheKind::Unified => "unified",
    }
}

/// hwloc's rule for AMD compute units: an x86 machine (by `uname`, or the architecture
/// hwloc-gather-topology recorded in `/proc/hwloc-nofile-info`) whose `/proc/cpuinfo` says
/// AuthenticAMD, family 0x15 or 0x16.
fn is_amd_with_compute_units(root: &Path, cpuinfo: &str) -> bool {
    let arch = read_trimmed(&root.join("proc/hwloc-nofile-info"))
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("Architecture:")
                    .map(|a| a.trim().to_string())
            })
        })
        .unwrap_or_else(|| {
            if root == Path::new("/") {
                std::env::consts::ARCH.to_string()
            } else {
                String::new()
            }
        });
    if !matches!(arch.as_str(), "x86_64" | "x86" | "i686" | "i386") {
        return false;
    }
    cpuinfo_field(cpuinfo, "vendor_id") == Some("AuthenticAMD")
        && matches!(
            cpuinfo_field(cpuinfo, "cpu family"),
            Some("21") | Some("22")
        )
}

/// The first non-empty value of a `/proc/cpuinfo` field.
fn cpuinfo_field<'a>(cpuinfo: &'a str, name: &str) -> Option<&'a str> {
    cpuinfo.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == name && !v.trim().is_empty()).then(|| v.trim())
    })
}

fn read_cpu_model(cpuinfo: &str) -> Option<String> {
    let field = |name: &str| cpuinfo_field(cpuinfo, name).map(str::to_string);
    field("model name")
        .or_else(|| field("Processor"))
        .or_else(|| field("Hardware"))
        .or_else(|| field("cpu model"))
        .or_else(|| field("cpu"))
}
