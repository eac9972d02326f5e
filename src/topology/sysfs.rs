//! Reads a [`Topology`] from `ROOT/sys/devices/system/{cpu,node}` and `ROOT/proc/cpuinfo`.
//! Files that a machine lacks (no cpufreq in a VM, no cache info on some ARM boards) leave the
//! corresponding field unknown; only a root without CPUs at all is an error. CPU sets come from
//! the files hwloc's Linux backend reads (the kernel's cpumasks, not their `_list` twins), so a
//! recording whose mask and list disagree reads as hwloc reads it, and the disagreement is said.

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

/// A kernel cpumask file; an empty one is an empty set, as hwloc reads it.
fn read_mask(path: &Path) -> Result<Option<CpuSet>, TopologyError> {
    match read_trimmed(path) {
        None => Ok(None),
        Some(text) if text.is_empty() => Ok(Some(CpuSet::new())),
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

/// A cpumask file and its cpulist twin that said different things for one or more owners.
struct Disagreement {
    list: String,
    first_owner: String,
    mask_cpus: CpuSet,
    list_cpus: CpuSet,
    more: usize,
}

/// Reads the CPU sets of sysfs as hwloc's Linux backend reads them: the kernel cpumask files
/// (`shared_cpu_map`, `core_cpus`, `package_cpus`, node `cpumap`...), their cpulist twins only
/// where a mask is absent. Keeps where both exist and disagree, to say so in the notes.
#[derive(Default)]
struct MaskReader {
    /// By the mask's path with the owner's number starred (`cpu*/cache/index2/shared_cpu_map`).
    disagreements: BTreeMap<String, Disagreement>,
}

impl MaskReader {
    /// `owner_dir/sub/mask`, else `owner_dir/sub/list`; `owner` names the folder (`cpu3`,
    /// `node1`) in the notes. A malformed list beside a readable mask is not an error: hwloc
    /// never reads it.
    fn read(
        &mut self,
        owner_dir: &Path,
        owner: &str,
        sub: &str,
        mask: &str,
        list: &str,
    ) -> Result<Option<CpuSet>, TopologyError> {
        let dir = owner_dir.join(sub);
        let Some(mask_cpus) = read_mask(&dir.join(mask))? else {
            return read_list(&dir.join(list));
        };
        if let Ok(Some(list_cpus)) = read_list(&dir.join(list))
            && list_cpus != mask_cpus
        {
            let kind = owner.trim_end_matches(|c: char| c.is_ascii_digit());
            let key = format!("{kind}*/{}", Path::new(sub).join(mask).display());
            self.disagreements
                .entry(key)
                .and_modify(|d| d.more += 1)
                .or_insert_with(|| Disagreement {
                    list: list.to_string(),
                    first_owner: owner.to_string(),
                    mask_cpus: mask_cpus.clone(),
                    list_cpus,
                    more: 0,
                });
        }
        Ok(Some(mask_cpus))
    }

    /// One note per file that disagreed with its list, in path order.
    fn notes(self) -> impl Iterator<Item = String> {
        self.disagreements.into_iter().map(|(key, d)| {
            let shown = |s: &CpuSet| {
                if s.is_empty() {
                    "none".to_string()
                } else {
                    s.to_string()
                }
            };
            let more = match d.more {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            format!(
                "{key} and its {} disagree for {}{more} (mask {}, list {}): read the mask, as hwloc does",
                d.list,
                d.first_owner,
                shown(&d.mask_cpus),
                shown(&d.list_cpus)
            )
        })
    }
}

/// hwloc's choice of sibling files, made once for the machine: `core_cpus`/`package_cpus`
/// (Linux 5.3 on) when cpu0, else the first online CPU, has either, else the older
/// `thread_siblings`/`core_siblings`. Returns the (core, package) file names.
fn sibling_files(cpu_dir: &Path, online: &CpuSet) -> (&'static str, &'static str) {
    let has = |dir: &Path, name: &str| {
        dir.join(name).exists() || dir.join(format!("{name}_list")).exists()
    };
    let mut firsts = vec![0];
    firsts.extend(online.first().filter(|&c| c != 0));
    for cpu in firsts {
        let topo = cpu_dir.join(format!("cpu{cpu}/topology"));
        if has(&topo, "package_cpus") || has(&topo, "core_cpus") {
            return ("core_cpus", "package_cpus");
        }
        if has(&topo, "core_siblings") || has(&topo, "thread_siblings") {
            return ("thread_siblings", "core_siblings");
        }
    }
    ("core_cpus", "package_cpus")
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
/// The caches found so far, CPU by CPU, and what CPUs said that others did not confirm.
#[derive(Default)]
struct FoundCaches {
    caches: Vec<Cache>,
    inconsistent: Vec<String>,
}

impl FoundCaches {
    /// Adds the caches `cpu` lists (`cpu*/cache/index*`), as hwloc reads them.
    fn add_from(
        &mut self,
        cpu: usize,
        dir: &Path,
        owner: &str,
        core_cpus: Option<&CpuSet>,
        online: &CpuSet,
        masks: &mut MaskReader,
    ) -> Result<(), TopologyError> {
        for (n, index) in numbered_entries(&dir.join("cache"), "index") {
            // As hwloc: no map, no cache; an empty map is the core's (ia64); then the map
            // within the online CPUs, and a cache is made only by the CPU that comes first in
            // its own map, so CPUs that disagree about who shares a cache never multiply the
            // caches.
            let sub = format!("cache/index{n}");
            let Some(map) = masks.read(dir, owner, &sub, "shared_cpu_map", "shared_cpu_list")?
            else {
                continue;
            };
            let shared = if map.is_empty() {
                core_cpus.cloned().unwrap_or_default()
            } else {
                map
            }
            .intersection(online);
            if shared.is_empty() {
                continue;
            }
            let Some(level) = read_num::<u8>(&index.join("level")) else {
                continue;
            };
            let kind = match read_trimmed(&index.join("type")).as_deref() {
                Some("Data") => CacheKind::Data,
                Some("Instruction") => CacheKind::Instruction,
                _ => CacheKind::Unified,
            };
            if shared.first() != Some(cpu) {
                let owner = shared.first().unwrap_or(cpu);
                let agrees = self.caches.iter().any(|c| {
                    c.level == level && c.kind == kind && c.cpus == shared && c.cpus.contains(owner)
                });
                if !agrees
                    && !self
                        .inconsistent
                        .iter()
                        .any(|l| l.starts_with(&format!("L{level} ")))
                {
                    self.inconsistent.push(format!(
                    "L{level} {}: CPU {cpu} says it shares it with {shared}, which CPU {owner} does not confirm; read as hwloc does (a cache per CPU first in its own map)",
                    kind_name(kind)
                ));
                }
                continue;
            }
            if self
                .caches
                .iter()
                .any(|c| c.level == level && c.kind == kind && c.cpus == shared)
            {
                continue;
            }
            self.caches.push(Cache {
                level,
                kind,
                size_bytes: read_trimmed(&index.join("size"))
                    .and_then(|s| crate::size::parse_size(&s)),
                cpus: shared,
            });
        }
        Ok(())
    }
}

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
    let mut package_keys: BTreeMap<(i64, usize), CpuSet> = BTreeMap::new();
    let mut cores: BTreeMap<usize, CpuSet> = BTreeMap::new();
    let mut cpu_package_key: BTreeMap<usize, (i64, usize)> = BTreeMap::new();
    let mut found = FoundCaches::default();

    let cpu_path = |c: usize| {
        cpu_dirs
            .get(&c)
            .cloned()
            .unwrap_or_else(|| cpu_dir.join(format!("cpu{c}")))
    };
    let mut masks = MaskReader::default();
    let (core_file, package_file) = sibling_files(&cpu_dir, &online);
    let (core_list, package_list) = (format!("{core_file}_list"), format!("{package_file}_list"));
    for cpu in online.iter() {
        let dir = cpu_path(cpu);
        let topo = dir.join("topology");
        let owner = format!("cpu{cpu}");

        let pkg_id: Option<i64> = read_num(&topo.join("physical_package_id"));
        let pkg_cpus = masks
            .read(&dir, &owner, "topology", package_file, &package_list)?
            .map(|s| s.intersection(&online));
        // A negative or missing id falls back to the sibling set's first CPU as the identity.
        let key = match pkg_id {
            Some(id) if id >= 0 => (id, 0),
            _ => (-1, pkg_cpus.as_ref().and_then(|s| s.first()).unwrap_or(cpu)),
        };
        package_keys.entry(key).or_default().insert(cpu);
        cpu_package_key.insert(cpu, key);

        // The core's CPUs as the file says them: an empty cache map stands for these.
        let core_cpus = masks.read(&dir, &owner, "topology", core_file, &core_list)?;
        let siblings = core_cpus
            .clone()
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

        found.add_from(cpu, &dir, &owner, core_cpus.as_ref(), &online, &mut masks)?;
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
    let FoundCaches {
        mut caches,
        inconsistent,
    } = found;
    caches.sort_by_key(|c| (c.level, c.kind, c.cpus.first()));
    warnings.extend(inconsistent);
    let numa_nodes = read_numa(root, &online, &mut masks, &mut warnings)?;
    warnings.extend(masks.notes());

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
    masks: &mut MaskReader,
    warnings: &mut Vec<String>,
) -> Result<Vec<NumaNode>, TopologyError> {
    let node_dir = root.join("sys/devices/system/node");
    let mut nodes = Vec::new();
    for (id, dir) in numbered_entries(&node_dir, "node") {
        let cpus = masks
            .read(&dir, &format!("node{id}"), "", "cpumap", "cpulist")?
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

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, format!("{text}\n")).unwrap();
    }

    /// Four online CPUs with a topology folder each, and nothing else.
    fn four_cpus() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "sys/devices/system/cpu/online", "0-3");
        for c in 0..4 {
            write(
                dir.path(),
                &format!("sys/devices/system/cpu/cpu{c}/topology/physical_package_id"),
                "0",
            );
        }
        dir
    }

    fn cpu_file(root: &Path, cpu: usize, rel: &str, text: &str) {
        write(
            root,
            &format!("sys/devices/system/cpu/cpu{cpu}/{rel}"),
            text,
        );
    }

    fn cores(t: &Topology) -> Vec<String> {
        t.cores.iter().map(|c| c.cpus.to_string()).collect()
    }

    #[test]
    fn a_list_is_read_only_where_its_mask_is_absent() {
        let dir = four_cpus();
        let r = dir.path();
        for c in 0..4 {
            let pair = if c < 2 { "0-1" } else { "2-3" };
            cpu_file(r, c, "topology/core_cpus_list", pair);
            cpu_file(r, c, "cache/index0/level", "2");
            cpu_file(r, c, "cache/index0/shared_cpu_list", pair);
            // A list beside its mask is never read, even malformed.
            cpu_file(r, c, "cache/index1/level", "3");
            cpu_file(r, c, "cache/index1/shared_cpu_map", "f");
            cpu_file(r, c, "cache/index1/shared_cpu_list", "not a list");
        }
        let t = read_topology(r).unwrap();
        assert_eq!(cores(&t), ["0-1", "2-3"]);
        let l2: Vec<String> = t
            .caches
            .iter()
            .filter(|c| c.level == 2)
            .map(|c| c.cpus.to_string())
            .collect();
        assert_eq!(l2, ["0-1", "2-3"]);
        assert_eq!(t.cache_of(3, 3).unwrap().cpus.to_string(), "0-3");
        assert!(t.warnings.is_empty(), "{:?}", t.warnings);
    }

    #[test]
    fn sibling_files_are_chosen_once_for_the_machine_as_hwloc_does() {
        // cpu0 has core_cpus: every CPU's core comes from core_cpus, thread_siblings unread.
        let dir = four_cpus();
        let r = dir.path();
        for c in 0..4 {
            cpu_file(r, c, "topology/thread_siblings", "f");
            if c != 3 {
                cpu_file(r, c, "topology/core_cpus", if c < 2 { "3" } else { "c" });
            }
        }
        let t = read_topology(r).unwrap();
        assert_eq!(cores(&t), ["0-1", "2", "3"]);

        // Without core_cpus or package_cpus on cpu0, the older names are read.
        let dir = four_cpus();
        let r = dir.path();
        for c in 0..4 {
            cpu_file(
                r,
                c,
                "topology/thread_siblings",
                if c < 2 { "3" } else { "c" },
            );
            cpu_file(r, c, "topology/core_siblings", "f");
        }
        let t = read_topology(r).unwrap();
        assert_eq!(cores(&t), ["0-1", "2-3"]);
        assert!(t.warnings.is_empty(), "{:?}", t.warnings);
    }

    #[test]
    fn a_cache_without_a_map_is_none_and_an_empty_map_is_the_cores() {
        let dir = four_cpus();
        let r = dir.path();
        for c in 0..4 {
            cpu_file(r, c, "topology/core_cpus", if c < 2 { "3" } else { "c" });
            cpu_file(r, c, "cache/index0/level", "1");
            cpu_file(r, c, "cache/index1/level", "2");
            // An all-zero map and an empty file both stand for the core's CPUs.
            let map = if c < 2 { "00000000" } else { "" };
            cpu_file(r, c, "cache/index1/shared_cpu_map", map);
        }
        let t = read_topology(r).unwrap();
        assert!(t.caches.iter().all(|c| c.level == 2), "{:?}", t.caches);
        let l2: Vec<String> = t.caches.iter().map(|c| c.cpus.to_string()).collect();
        assert_eq!(l2, ["0-1", "2-3"]);
    }

    #[test]
    fn a_mask_and_its_list_that_disagree_are_said_once_per_file() {
        let dir = four_cpus();
        let r = dir.path();
        for c in 0..4 {
            cpu_file(r, c, "cache/index3/level", "3");
            cpu_file(
                r,
                c,
                "cache/index3/shared_cpu_map",
                &format!("{:x}", 1 << c),
            );
            cpu_file(r, c, "cache/index3/shared_cpu_list", "0-3");
        }
        let t = read_topology(r).unwrap();
        assert_eq!(t.caches.len(), 4);
        assert_eq!(
            t.warnings,
            [
                "cpu*/cache/index3/shared_cpu_map and its shared_cpu_list disagree for cpu0 and 3 more (mask 0, list 0-3): read the mask, as hwloc does"
            ]
        );
    }
}
