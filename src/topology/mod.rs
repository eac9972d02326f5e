//! The machine's CPU topology: packages, NUMA nodes, caches, cores, SMT siblings and core kinds,
//! read from a sysfs root (`/` or an unpacked recording such as the hwloc test fixtures).

mod cgroup;
mod render;
mod sysfs;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::cpuset::CpuSet;

pub use cgroup::{CgroupLimits, CpuQuota};
pub use render::render_tree;
pub use sysfs::{read_topology, read_trimmed as read_file_trimmed};

/// What a cache holds, as sysfs `type` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheKind {
    Data,
    Instruction,
    Unified,
}

/// One cache instance and the CPUs that share it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cache {
    pub level: u8,
    pub kind: CacheKind,
    /// Bytes; `None` when sysfs does not say.
    pub size_bytes: Option<u64>,
    pub cpus: CpuSet,
}

impl Cache {
    /// Whether data lives here (L1d and unified caches; not L1i).
    pub fn holds_data(&self) -> bool {
        self.kind != CacheKind::Instruction
    }

    /// `L1d`, `L1i`, `L2`, `L3`...
    pub fn name(&self) -> String {
        match self.kind {
            CacheKind::Data => format!("L{}d", self.level),
            CacheKind::Instruction => format!("L{}i", self.level),
            CacheKind::Unified => format!("L{}", self.level),
        }
    }
}

/// A physical package (socket).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// `physical_package_id`, or the package's position when the kernel gives none.
    pub id: usize,
    pub cpus: CpuSet,
}

/// A physical core: its CPUs are SMT siblings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Core {
    pub package: usize,
    pub cpus: CpuSet,
}

/// A NUMA node and its local CPUs (memory-only nodes have none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumaNode {
    pub id: usize,
    pub cpus: CpuSet,
    pub memory_bytes: Option<u64>,
}

/// A class of cores on a hybrid part; rank 0 is the most performant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoreKind {
    /// `P`/`E` on two-kind parts, `kind<rank>` beyond that, `uniform` on homogeneous ones.
    pub name: String,
    pub rank: usize,
    pub cpus: CpuSet,
    /// Which sysfs files told the kinds apart.
    pub source: String,
}

/// The whole machine as sysfs describes it. Only online CPUs appear in the objects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Topology {
    /// The sysfs root this was read from.
    pub root: PathBuf,
    pub online: CpuSet,
    pub offline: CpuSet,
    pub packages: Vec<Package>,
    pub cores: Vec<Core>,
    pub caches: Vec<Cache>,
    pub numa_nodes: Vec<NumaNode>,
    pub core_kinds: Vec<CoreKind>,
    /// `model name` (x86) or `Processor`/`Hardware` (ARM) from `/proc/cpuinfo`.
    pub cpu_model: Option<String>,
    /// Readings that were ambiguous (files that contradict each other) and how they were read,
    /// as hwloc reads them; shown by `topology` and kept in the profile.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Counts of the objects that hold at least one CPU of a set, the numbers `lstopo` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectCounts {
    pub packages: usize,
    pub numa_nodes: usize,
    pub cores: usize,
    pub cpus: usize,
    pub l3_domains: usize,
    pub l2_domains: usize,
    pub core_kinds: usize,
    pub smt: bool,
}

impl Topology {
    /// Counts over every online CPU.
    pub fn counts(&self) -> ObjectCounts {
        let mut c = self.counts_within(&self.online);
        // Memory-only NUMA nodes count for the machine as a whole, as hwloc reports them.
        c.numa_nodes = self.numa_nodes.len();
        c
    }

    /// Counts of the objects that hold at least one CPU of `cpus` (hwloc's view of a machine
    /// restricted to an allowed set).
    pub fn counts_within(&self, cpus: &CpuSet) -> ObjectCounts {
        let caches = |level| {
            self.caches
                .iter()
                .filter(|c| c.level == level && c.holds_data() && c.cpus.intersects(cpus))
                .count()
        };
        ObjectCounts {
            packages: self
                .packages
                .iter()
                .filter(|p| p.cpus.intersects(cpus))
                .count(),
            numa_nodes: self
                .numa_nodes
                .iter()
                .filter(|n| n.cpus.intersects(cpus))
                .count(),
            cores: self
                .cores
                .iter()
                .filter(|c| c.cpus.intersects(cpus))
                .count(),
            cpus: self.online.intersection(cpus).len(),
            l3_domains: caches(3),
            l2_domains: caches(2),
            core_kinds: self
                .core_kinds
                .iter()
                .filter(|k| k.cpus.intersects(cpus))
                .count(),
            smt: self
                .cores
                .iter()
                .any(|c| c.cpus.intersection(cpus).len() > 1),
        }
    }

    pub fn core_of(&self, cpu: usize) -> Option<&Core> {
        self.cores.iter().find(|c| c.cpus.contains(cpu))
    }

    pub fn package_of(&self, cpu: usize) -> Option<&Package> {
        self.packages.iter().find(|p| p.cpus.contains(cpu))
    }

    pub fn numa_node_of(&self, cpu: usize) -> Option<&NumaNode> {
        self.numa_nodes.iter().find(|n| n.cpus.contains(cpu))
    }

    pub fn kind_of(&self, cpu: usize) -> Option<&CoreKind> {
        self.core_kinds.iter().find(|k| k.cpus.contains(cpu))
    }

    /// The data cache of `level` that `cpu` uses.
    pub fn cache_of(&self, cpu: usize, level: u8) -> Option<&Cache> {
        self.caches
            .iter()
            .find(|c| c.level == level && c.holds_data() && c.cpus.contains(cpu))
    }

    /// The outermost data cache `cpu` uses (its last-level cache).
    pub fn last_level_cache_of(&self, cpu: usize) -> Option<&Cache> {
        self.caches
            .iter()
            .filter(|c| c.holds_data() && c.cpus.contains(cpu))
            .max_by_key(|c| c.level)
    }

    /// Size of the data cache of `level` seen by the first online CPU.
    pub fn cache_size(&self, level: u8) -> Option<u64> {
        let cpu = self.online.first()?;
        self.cache_of(cpu, level).and_then(|c| c.size_bytes)
    }

    /// Pairs of SMT siblings (every pair within a core).
    pub fn smt_sibling_pairs(&self) -> Vec<(usize, usize)> {
        let mut pairs = Vec::new();
        for core in &self.cores {
            let ids: Vec<usize> = core.cpus.iter().collect();
            for (i, a) in ids.iter().enumerate() {
                for b in &ids[i + 1..] {
                    pairs.push((*a, *b));
                }
            }
        }
        pairs.sort_unstable();
        pairs
    }
}

/// Why a sysfs root could not be read as a machine.
#[derive(Debug, thiserror::Error)]
pub enum TopologyError {
    #[error(
        "`{}` is not a sysfs tree: {} is missing (point --sysfs-root at a folder holding sys/devices/system/cpu, or leave it out for this machine)",
        root.display(), missing
    )]
    NotSysfs { root: PathBuf, missing: String },
    #[error("`{}`: no online CPU found under sys/devices/system/cpu", root.display())]
    NoCpus { root: PathBuf },
    #[error("`{}`: {source}", path.display())]
    BadFile {
        path: PathBuf,
        #[source]
        source: crate::cpuset::CpuSetError,
    },
}
