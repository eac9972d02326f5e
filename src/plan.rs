//! Placement planning: a pure function of (strategy, topology, allowed set, worker count) that
//! says which CPUs each worker runs on. It never touches the machine, so it is tested on the
//! recorded topologies of machines we do not have.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cpuset::CpuSet;
use crate::strategy::Strategy;
use crate::topology::Topology;

/// Where one worker runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerPlacement {
    pub worker: usize,
    /// The mask the worker runs under; `None` when the OS places it anywhere in the allowed set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<CpuSet>,
    /// Core kinds of those CPUs (`P`, `E`, `uniform`), joined with `+` when mixed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core_kind: Option<String>,
    /// Last-level cache domains of those CPUs, as `L3#i` (index among the machine's caches).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_domain: Option<String>,
    /// Packages of those CPUs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
}

/// How a strategy places a given number of workers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    pub strategy: Strategy,
    /// The mask the spawner gives itself while spawning (`inherited` only); workers then run
    /// under it without pinning themselves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spawner_mask: Option<CpuSet>,
    pub workers: Vec<WorkerPlacement>,
}

impl Placement {
    /// Whether each worker is pinned on its own (as opposed to inheriting or floating).
    pub fn pins_workers(&self) -> bool {
        self.spawner_mask.is_none() && self.workers.iter().any(|w| w.cpus.is_some())
    }

    /// Whether `other` puts every worker where this one does (whatever the strategies' names):
    /// the same placement.
    pub fn same_plan(&self, other: &Placement) -> bool {
        self.spawner_mask == other.spawner_mask && self.workers == other.workers
    }

    /// The mask worker `i` should read back once running: its own, the inherited one, or the
    /// whole allowed set.
    pub fn expected_mask(&self, worker: usize, allowed: &CpuSet) -> CpuSet {
        self.workers
            .get(worker)
            .and_then(|w| w.cpus.clone())
            .unwrap_or_else(|| allowed.clone())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("--workers 0: a scenario needs at least one worker")]
    ZeroWorkers,
    #[error(
        "strategy `per-worker` gives each of {workers} workers a CPU of its own, but the allowed set {allowed} has only {cpus}: use at most {most}, or `round-robin` to oversubscribe",
        cpus = crate::text::count(*available, "CPU"),
        most = crate::text::count(*available, "worker")
    )]
    TooManyWorkers {
        workers: usize,
        allowed: CpuSet,
        available: usize,
    },
    #[error(
        "strategy `{strategy}` names CPU(s) {outside} outside the allowed set {allowed}: use CPUs of the allowed set"
    )]
    OutsideAllowed {
        strategy: String,
        outside: CpuSet,
        allowed: CpuSet,
    },
    #[error(
        "strategy `{strategy}` gives {lists} CPU lists for {workers} workers: give one list per worker (L0/L1/...)"
    )]
    ListCount {
        strategy: String,
        lists: usize,
        workers: usize,
    },
    #[error("the allowed set is empty: nothing can be placed")]
    NothingAllowed,
}

/// Plans `workers` workers under `strategy`, always inside `allowed`.
pub fn plan(
    strategy: &Strategy,
    topo: &Topology,
    allowed: &CpuSet,
    workers: usize,
) -> Result<Placement, PlanError> {
    if workers == 0 {
        return Err(PlanError::ZeroWorkers);
    }
    if allowed.is_empty() {
        return Err(PlanError::NothingAllowed);
    }
    let check_inside = |set: &CpuSet| {
        let outside = set.difference(allowed);
        if outside.is_empty() {
            Ok(())
        } else {
            Err(PlanError::OutsideAllowed {
                strategy: strategy.to_string(),
                outside,
                allowed: allowed.clone(),
            })
        }
    };
    let ids: Vec<usize> = allowed.iter().collect();
    let one_each = |order: &[usize]| -> Vec<Option<CpuSet>> {
        (0..workers)
            .map(|i| Some(CpuSet::single(order[i % order.len()])))
            .collect()
    };
    let (spawner_mask, masks): (Option<CpuSet>, Vec<Option<CpuSet>>) = match strategy {
        Strategy::None => (None, vec![None; workers]),
        Strategy::Inherited(list) => {
            let mask = match list {
                Some(set) => {
                    check_inside(set)?;
                    set.clone()
                }
                None => allowed.take(workers.min(allowed.len())),
            };
            (Some(mask.clone()), vec![Some(mask); workers])
        }
        Strategy::PerWorker => {
            if workers > ids.len() {
                return Err(PlanError::TooManyWorkers {
                    workers,
                    allowed: allowed.clone(),
                    available: ids.len(),
                });
            }
            (None, one_each(&ids))
        }
        Strategy::RoundRobin => (None, one_each(&ids)),
        Strategy::Compact => (None, one_each(&compact_order(topo, allowed))),
        Strategy::Scatter => (None, one_each(&scatter_order(topo, allowed))),
        Strategy::Cpus(lists) => {
            if lists.len() != workers {
                return Err(PlanError::ListCount {
                    strategy: strategy.to_string(),
                    lists: lists.len(),
                    workers,
                });
            }
            for l in lists {
                check_inside(l)?;
            }
            (None, lists.iter().cloned().map(Some).collect())
        }
    };
    // Workers that share one mask (`inherited`: every worker under the spawner's) share its
    // description, worked out once: on 256 CPUs each description walks every CPU of the mask.
    let mut last: Option<WorkerPlacement> = None;
    let workers = masks
        .into_iter()
        .enumerate()
        .map(|(worker, cpus)| {
            let described = match &last {
                Some(l) if l.cpus == cpus => WorkerPlacement {
                    worker,
                    ..l.clone()
                },
                _ => describe(topo, worker, cpus),
            };
            last = Some(described.clone());
            described
        })
        .collect();
    Ok(Placement {
        strategy: strategy.clone(),
        spawner_mask,
        workers,
    })
}

fn describe(topo: &Topology, worker: usize, cpus: Option<CpuSet>) -> WorkerPlacement {
    let Some(set) = cpus else {
        return WorkerPlacement {
            worker,
            cpus: None,
            core_kind: None,
            cache_domain: None,
            package: None,
        };
    };
    let join = |mut items: Vec<String>| {
        items.dedup();
        (!items.is_empty()).then(|| items.join("+"))
    };
    let kinds = join(
        set.iter()
            .filter_map(|c| topo.kind_of(c).map(|k| k.name.clone()))
            .collect(),
    );
    let caches = join(
        set.iter()
            .filter_map(|c| {
                let llc = topo.last_level_cache_of(c)?;
                let index = topo
                    .caches
                    .iter()
                    .filter(|o| o.level == llc.level && o.holds_data())
                    .position(|o| o == llc)?;
                Some(format!("{}#{index}", llc.name()))
            })
            .collect(),
    );
    let packages = join(
        set.iter()
            .filter_map(|c| topo.package_of(c).map(|p| p.id.to_string()))
            .collect(),
    );
    WorkerPlacement {
        worker,
        cpus: Some(set),
        core_kind: kinds,
        cache_domain: caches,
        package: packages,
    }
}

/// Position of each CPU in the machine's hierarchy, outermost first: core kind rank, package,
/// NUMA node, last-level cache, core, and the CPU's index among its SMT siblings. Each level is
/// numbered by its position among the objects of the level above.
struct Path {
    kind: usize,
    package: usize,
    numa: usize,
    llc: usize,
    core: usize,
    thread: usize,
    cpu: usize,
}

fn paths(topo: &Topology, allowed: &CpuSet) -> Vec<Path> {
    // Index every object by its first CPU so that numbering follows the machine's own order.
    let rank_in =
        |groups: &mut BTreeMap<Vec<usize>, Vec<usize>>, parent: Vec<usize>, child: usize| {
            let entry = groups.entry(parent).or_default();
            match entry.iter().position(|&c| c == child) {
                Some(i) => i,
                None => {
                    entry.push(child);
                    entry.len() - 1
                }
            }
        };
    let mut groups: BTreeMap<Vec<usize>, Vec<usize>> = BTreeMap::new();
    let mut out = Vec::new();
    for cpu in allowed.iter() {
        let kind = topo.kind_of(cpu).map_or(0, |k| k.rank);
        let first = |s: Option<&CpuSet>| s.and_then(CpuSet::first).unwrap_or(cpu);
        let pkg_first = first(topo.package_of(cpu).map(|p| &p.cpus));
        let numa_first = first(topo.numa_node_of(cpu).map(|n| &n.cpus));
        let llc_first = first(topo.last_level_cache_of(cpu).map(|c| &c.cpus));
        let core = topo.core_of(cpu);
        let core_first = first(core.map(|c| &c.cpus));
        let thread = core.map_or(0, |c| c.cpus.iter().position(|x| x == cpu).unwrap_or(0));
        out.push(Path {
            kind,
            package: rank_in(&mut groups, vec![0, kind], pkg_first),
            numa: rank_in(&mut groups, vec![1, kind, pkg_first], numa_first),
            llc: rank_in(&mut groups, vec![2, kind, pkg_first, numa_first], llc_first),
            core: rank_in(
                &mut groups,
                vec![3, kind, llc_first, numa_first],
                core_first,
            ),
            thread,
            cpu,
        });
    }
    out
}

/// OpenMP `close` / likwid compact: the most performant kind first, then SMT siblings of a core,
/// the cores of a cache, the caches of a NUMA node and package, before moving on.
pub fn compact_order(topo: &Topology, allowed: &CpuSet) -> Vec<usize> {
    let mut p = paths(topo, allowed);
    p.sort_by_key(|p| (p.kind, p.package, p.numa, p.llc, p.core, p.thread, p.cpu));
    p.into_iter().map(|p| p.cpu).collect()
}

/// OpenMP `spread` / likwid scatter: one CPU of every core before any SMT sibling (the most
/// performant kind's cores first, then the next kind's: on a hybrid part the E-cores come before
/// a second thread on a P-core), and consecutive workers on different packages, then NUMA nodes,
/// caches and cores.
pub fn scatter_order(topo: &Topology, allowed: &CpuSet) -> Vec<usize> {
    let mut p = paths(topo, allowed);
    p.sort_by_key(|p| (p.thread, p.kind, p.core, p.llc, p.numa, p.package, p.cpu));
    p.into_iter().map(|p| p.cpu).collect()
}
