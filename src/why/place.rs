//! What a plan says about sharing: workers the plan puts on one CPU, a worker pinned where the
//! antagonist runs, and how the two ends of a pair relate in the machine (the pair placements'
//! own classes: same CPU, SMT siblings, one last-level cache, one package, two packages).

use crate::cpuset::CpuSet;
use crate::strategy::PairPlace;
use crate::topology::Topology;

/// Workers the plan crowds onto fewer CPUs than there are workers (`both on CPU 0`, `4
/// workers on 2 CPUs (0-1)`), or single-CPU workers sharing one CPU (`workers 0 and 2 on CPU
/// 1`). `planned` is each worker's CPU set; anything else (unpinned workers) is `None`.
pub fn crowding(planned: &[CpuSet], workers: usize) -> Option<String> {
    if planned.len() != workers || workers < 2 {
        return None;
    }
    let union = planned.iter().fold(CpuSet::new(), |a, s| a.union(s));
    if union.len() == 1 {
        let cpu = union.first()?;
        return Some(if workers == 2 {
            format!("both on CPU {cpu}")
        } else {
            format!("all {workers} on CPU {cpu}")
        });
    }
    if union.len() < workers {
        return Some(format!(
            "{workers} workers on {} CPUs ({union})",
            union.len()
        ));
    }
    for cpu in union.iter() {
        let on: Vec<String> = planned
            .iter()
            .enumerate()
            .filter(|(_, s)| s.len() == 1 && s.contains(cpu))
            .map(|(i, _)| i.to_string())
            .collect();
        if on.len() >= 2 {
            let last = on.last().cloned().unwrap_or_default();
            return Some(format!(
                "workers {} and {last} on CPU {cpu}",
                on[..on.len() - 1].join(", ")
            ));
        }
    }
    None
}

/// The first worker pinned inside the antagonist's CPUs (`worker 0 shares CPU 1 with the
/// antagonist`).
pub fn antagonist_shares(planned: &[CpuSet], antagonist: &CpuSet) -> Option<String> {
    planned
        .iter()
        .enumerate()
        .find(|(_, s)| !s.is_empty() && s.is_subset(antagonist))
        .map(|(i, s)| {
            let cpus = if s.len() == 1 { "CPU" } else { "CPUs" };
            format!("worker {i} shares {cpus} {s} with the antagonist")
        })
}

/// How CPUs `a` and `b` relate, in the classes of the pair placements.
pub fn pair_place(t: &Topology, a: usize, b: usize) -> PairPlace {
    let core = |c: usize| t.core_of(c).and_then(|k| k.cpus.first());
    let llc = |c: usize| t.last_level_cache_of(c).and_then(|k| k.cpus.first());
    let pkg = |c: usize| t.package_of(c).map(|p| p.id);
    if a == b {
        PairPlace::SameCpu
    } else if core(a).is_some() && core(a) == core(b) {
        PairPlace::Smt
    } else if llc(a).is_some() && llc(a) == llc(b) {
        PairPlace::SameCache
    } else if pkg(a) == pkg(b) {
        PairPlace::OtherCache
    } else {
        PairPlace::OtherPackage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets(text: &str) -> Vec<CpuSet> {
        text.split('/').map(|p| CpuSet::parse(p).unwrap()).collect()
    }

    #[test]
    fn crowded_plans_are_named() {
        assert_eq!(crowding(&sets("0/0"), 2).as_deref(), Some("both on CPU 0"));
        assert_eq!(
            crowding(&sets("1/1/1"), 3).as_deref(),
            Some("all 3 on CPU 1")
        );
        assert_eq!(
            crowding(&sets("0/1/0/1"), 4).as_deref(),
            Some("4 workers on 2 CPUs (0-1)")
        );
        assert_eq!(
            crowding(&sets("0/1/0"), 3).as_deref(),
            Some("3 workers on 2 CPUs (0-1)")
        );
        assert_eq!(
            crowding(&sets("1/0-2/1"), 3).as_deref(),
            Some("workers 0 and 2 on CPU 1")
        );
        assert_eq!(crowding(&sets("0/1"), 2), None);
        assert_eq!(crowding(&sets("0-1/0-1"), 2), None);
        // Unpinned workers (none's plan is empty): nothing the plan crowds.
        assert_eq!(crowding(&[], 2), None);
    }

    #[test]
    fn a_worker_on_the_antagonists_cpu_is_named() {
        let a = CpuSet::parse("1").unwrap();
        assert_eq!(
            antagonist_shares(&sets("0/1"), &a).as_deref(),
            Some("worker 1 shares CPU 1 with the antagonist")
        );
        assert_eq!(antagonist_shares(&sets("0/0-1"), &a), None);
    }
}
