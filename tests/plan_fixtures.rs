//! Placement planning for every strategy on recorded machines, including the error cases.

mod common;

use common::fixture;
use pinbench::cpuset::CpuSet;
use pinbench::plan::{PlanError, plan};
use pinbench::profile::{AllowedSource, read_profile};
use pinbench::strategy::Strategy;
use pinbench::topology::{Topology, read_topology};

fn topo(name: &str) -> Topology {
    read_topology(&fixture(name)).unwrap()
}

fn cpus(strategy: &str, t: &Topology, allowed: &CpuSet, n: usize) -> Vec<String> {
    let p = plan(&strategy.parse().unwrap(), t, allowed, n).unwrap();
    p.workers
        .iter()
        .map(|w| w.cpus.as_ref().map_or("-".into(), |c| c.to_string()))
        .collect()
}

fn set(s: &str) -> CpuSet {
    CpuSet::parse(s).unwrap()
}

#[test]
fn compact_fills_smt_siblings_first() {
    let t = topo("16em64t-4s2c2t");
    assert_eq!(cpus("compact", &t, &t.online, 2), ["0", "8"]);
    // Then the other core of the same package, then the next package.
    assert_eq!(
        cpus("compact", &t, &t.online, 5),
        ["0", "8", "4", "12", "1"]
    );
}

#[test]
fn scatter_spreads_over_packages_then_cores_siblings_last() {
    let t = topo("16em64t-4s2c2t");
    let four = cpus("scatter", &t, &t.online, 4);
    let packages: std::collections::BTreeSet<usize> = four
        .iter()
        .map(|c| t.package_of(c.parse().unwrap()).unwrap().id)
        .collect();
    assert_eq!(packages.len(), 4, "{four:?}");
    let eight = cpus("scatter", &t, &t.online, 8);
    // No SMT sibling is used while a core is still idle.
    for c in &eight {
        assert!(c.parse::<usize>().unwrap() < 8, "{eight:?}");
    }
}

#[test]
fn scatter_crosses_numa_nodes_on_amd() {
    let t = topo("16amd64-8n2c");
    let four = cpus("scatter", &t, &t.online, 4);
    let nodes: std::collections::BTreeSet<usize> = four
        .iter()
        .map(|c| t.numa_node_of(c.parse().unwrap()).unwrap().id)
        .collect();
    assert_eq!(nodes.len(), 4, "{four:?}");
}

#[test]
fn hybrid_compact_uses_p_cores_first_and_says_so() {
    let t = topo("20em64t-hybrid-1p6c2t+2ca4co1t");
    let p = plan(&Strategy::Compact, &t, &t.online, 14).unwrap();
    for w in &p.workers[..12] {
        assert_eq!(w.core_kind.as_deref(), Some("P"), "{w:?}");
    }
    for w in &p.workers[12..] {
        assert_eq!(w.core_kind.as_deref(), Some("E"), "{w:?}");
    }
    assert_eq!(cpus("compact", &t, &t.online, 2), ["0", "1"]);
    let s = plan(&Strategy::Scatter, &t, &t.online, 6).unwrap();
    // Scatter also keeps to P cores while they last, one per physical core first.
    assert!(
        s.workers
            .iter()
            .all(|w| w.core_kind.as_deref() == Some("P"))
    );
    let cores: std::collections::BTreeSet<usize> = s
        .workers
        .iter()
        .map(|w| {
            t.core_of(w.cpus.as_ref().unwrap().first().unwrap())
                .unwrap()
                .cpus
                .first()
                .unwrap()
        })
        .collect();
    assert_eq!(cores.len(), 6);
}

#[test]
fn per_worker_and_round_robin_stay_inside_the_allowed_set() {
    let t = topo("16em64t-4s2c2t");
    let allowed = set("2,4");
    assert_eq!(cpus("per-worker", &t, &allowed, 2), ["2", "4"]);
    assert_eq!(
        cpus("round-robin", &t, &allowed, 5),
        ["2", "4", "2", "4", "2"]
    );
    for s in ["compact", "scatter"] {
        for c in cpus(s, &t, &allowed, 3) {
            assert!(allowed.contains(c.parse().unwrap()), "{s}: {c}");
        }
    }
    let err = plan(&Strategy::PerWorker, &t, &allowed, 3).unwrap_err();
    assert!(matches!(
        err,
        PlanError::TooManyWorkers {
            workers: 3,
            available: 2,
            ..
        }
    ));
    assert!(err.to_string().contains("round-robin"));
}

#[test]
fn offline_cpus_are_never_planned() {
    let t = topo("16em64t-4s2c2t-offlines");
    let all: Vec<String> = cpus("per-worker", &t, &t.online, 12);
    assert_eq!(all.len(), 12);
    for s in ["compact", "scatter", "round-robin"] {
        for c in cpus(s, &t, &t.online, 12) {
            assert!(
                t.online.contains(c.parse().unwrap()),
                "{s} planned offline CPU {c}"
            );
        }
    }
}

#[test]
fn cgroup_allowed_set_bounds_every_strategy() {
    let root = fixture("32amd64-4s2n4c-cgroup2");
    let p =
        pinbench::profile::read_profile(&root, pinbench::profile::AllowedSource::Recorded, None)
            .unwrap();
    for s in [
        "per-worker",
        "round-robin",
        "compact",
        "scatter",
        "inherited",
    ] {
        let placement = plan(&s.parse().unwrap(), &p.topology, &p.allowed, 6).unwrap();
        for w in &placement.workers {
            assert!(w.cpus.as_ref().unwrap().is_subset(&p.allowed), "{s}: {w:?}");
        }
    }
    // Scatter over the two allowed NUMA nodes alternates between them.
    let s = cpus("scatter", &p.topology, &p.allowed, 2);
    assert_ne!(
        p.topology.numa_node_of(s[0].parse().unwrap()).unwrap().id,
        p.topology.numa_node_of(s[1].parse().unwrap()).unwrap().id
    );
}

#[test]
fn none_and_inherited() {
    let t = topo("16em64t-4s2c2t");
    let none = plan(&Strategy::None, &t, &t.online, 3).unwrap();
    assert!(none.workers.iter().all(|w| w.cpus.is_none()));
    assert!(none.spawner_mask.is_none() && !none.pins_workers());
    let inh = plan(&Strategy::Inherited(None), &t, &set("3-9"), 2).unwrap();
    assert_eq!(inh.spawner_mask, Some(set("3-4")));
    assert!(!inh.pins_workers());
    let inh = plan(&Strategy::Inherited(None), &t, &set("3-5"), 8).unwrap();
    assert_eq!(inh.spawner_mask, Some(set("3-5")));
    let listed = plan(&"inherited:0,1".parse().unwrap(), &t, &t.online, 4).unwrap();
    assert_eq!(listed.spawner_mask, Some(set("0-1")));
    assert_eq!(listed.expected_mask(3, &t.online), set("0-1"));
}

#[test]
fn explicit_lists_are_checked() {
    let t = topo("16em64t-4s2c2t");
    assert_eq!(cpus("cpus:0-1/8", &t, &t.online, 2), ["0-1", "8"]);
    let err = plan(&"cpus:0/1".parse().unwrap(), &t, &t.online, 3).unwrap_err();
    assert!(matches!(
        err,
        PlanError::ListCount {
            lists: 2,
            workers: 3,
            ..
        }
    ));
    let err = plan(&"cpus:0/3".parse().unwrap(), &t, &set("0-2"), 2).unwrap_err();
    assert_eq!(
        err.to_string(),
        "strategy `cpus:0/3` names CPU(s) 3 outside the allowed set 0-2: use CPUs of the allowed set"
    );
    let err = plan(&"inherited:7".parse().unwrap(), &t, &set("0-2"), 1).unwrap_err();
    assert!(matches!(err, PlanError::OutsideAllowed { .. }));
}

#[test]
fn zero_workers_is_an_error_for_every_strategy() {
    let t = topo("2arm-2c");
    for s in Strategy::defaults() {
        assert_eq!(
            plan(&s, &t, &t.online, 0).unwrap_err(),
            PlanError::ZeroWorkers
        );
    }
}

#[test]
fn planning_is_deterministic_on_every_fixture() {
    // The same machine gets the same plan in another process, as a later `pinbench plan` or
    // `run` would: its own hash seeds, its own reading of the tree. (Planning twice in this
    // process would only call a function twice with the same inputs.)
    for name in common::FIXTURES {
        let root = fixture(name);
        let p = read_profile(&root, AllowedSource::Recorded, None).unwrap();
        let n = p.allowed.len().min(6);
        for s in Strategy::defaults() {
            let placement = plan(&s, &p.topology, &p.allowed, n).unwrap();
            let ours: Vec<String> = placement
                .workers
                .iter()
                .map(|w| {
                    w.cpus
                        .clone()
                        .or_else(|| placement.spawner_mask.clone())
                        .map_or("-".into(), |c| c.to_string())
                })
                .collect();
            assert_eq!(ours.len(), n, "{name} {s}");
            let out = common::pinbench()
                .args(["plan", "-s", &s.to_string(), "-w", &n.to_string(), "--json"])
                .arg("--sysfs-root")
                .arg(&root)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{name} {s}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let theirs: Vec<String> = v["workers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w["cpus"].as_str().unwrap_or("-").to_string())
                .collect();
            assert_eq!(ours, theirs, "{name} {s}: this process and another");
        }
    }
}
