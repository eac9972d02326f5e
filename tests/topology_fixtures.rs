//! The topology reader against hwloc's own output for real machines' recorded /sys and /proc.

mod common;

use common::{FIXTURES, console_cores, console_counts, fixture, xml_counts};
use pinbench::cpuset::CpuSet;
use pinbench::profile::{AllowedSource, read_profile};
use pinbench::topology::read_topology;

#[test]
fn counts_match_hwloc_console() {
    for name in FIXTURES.iter().filter(|n| !n.contains("cgroup")) {
        let topo = read_topology(&fixture(name)).unwrap();
        let c = topo.counts();
        let hw = console_counts(name);
        let get = |k: &str| hw.get(k).copied().unwrap_or(0);
        assert_eq!(c.packages, get("Package"), "{name}: packages");
        assert_eq!(c.cores, get("Core"), "{name}: cores");
        assert_eq!(c.cpus, get("PU"), "{name}: PUs");
        assert_eq!(c.l3_domains, get("L3Cache"), "{name}: L3");
        assert_eq!(c.l2_domains, get("L2Cache"), "{name}: L2");
        assert_eq!(c.numa_nodes, get("NUMANode"), "{name}: NUMA nodes");
    }
}

#[test]
fn smt_siblings_match_hwloc_console() {
    for name in FIXTURES.iter().filter(|n| !n.contains("cgroup")) {
        let topo = read_topology(&fixture(name)).unwrap();
        let mut ours: Vec<Vec<usize>> =
            topo.cores.iter().map(|c| c.cpus.iter().collect()).collect();
        ours.sort();
        assert_eq!(ours, console_cores(name), "{name}: cores and their PUs");
    }
}

#[test]
fn siblings_numbered_far_apart() {
    let topo = read_topology(&fixture("16em64t-4s2c2t")).unwrap();
    let pairs = topo.smt_sibling_pairs();
    assert_eq!(pairs.len(), 8);
    assert!(pairs.contains(&(0, 8)) && pairs.contains(&(7, 15)));
}

#[test]
fn offline_cpus_leave_sparse_ids() {
    let topo = read_topology(&fixture("16em64t-4s2c2t-offlines")).unwrap();
    assert_eq!(topo.offline.to_string(), "2,5,13-14");
    assert_eq!(topo.online.to_string(), "0-1,3-4,6-12,15");
    // Core of CPU 2 survives through its online sibling 10.
    assert_eq!(topo.core_of(10).unwrap().cpus.to_string(), "10");
}

#[test]
fn cgroup_restricted_machine_matches_hwloc_xml() {
    let root = fixture("32amd64-4s2n4c-cgroup2");
    let p = read_profile(&root, AllowedSource::Recorded, None).unwrap();
    assert_eq!(p.allowed.to_string(), "0-5");
    assert_eq!(
        p.cgroup.cpuset_source.as_deref(),
        Some("/cgroup/unified/uid_2008/job_15389/step_0/cpuset.cpus.effective")
    );
    let hw = xml_counts("32amd64-4s2n4c-cgroup2");
    let c = &p.allowed_summary;
    assert_eq!(c.packages, hw["Package"]);
    assert_eq!(c.cores, hw["Core"]);
    assert_eq!(c.cpus, hw["PU"]);
    assert_eq!(c.l3_domains, hw["L3Cache"]);
    assert_eq!(c.numa_nodes, hw["NUMANode"]);
    // The whole machine is still known: 4 packages of 8 cores, 8 NUMA nodes.
    assert_eq!(
        (p.summary.packages, p.summary.cpus, p.summary.numa_nodes),
        (4, 32, 8)
    );
}

#[test]
fn hybrid_kinds_from_base_frequency() {
    let topo = read_topology(&fixture("20em64t-hybrid-1p6c2t+2ca4co1t")).unwrap();
    assert_eq!(topo.core_kinds.len(), 2);
    assert_eq!(topo.core_kinds[0].name, "P");
    assert_eq!(topo.core_kinds[0].cpus.to_string(), "0-11");
    assert_eq!(topo.core_kinds[1].name, "E");
    assert_eq!(topo.core_kinds[1].cpus.to_string(), "12-19");
    assert_eq!(topo.cache_size(3), Some(24 << 20));
}

#[test]
fn missing_files_are_unknown_not_fatal() {
    // The ARM board has no cache folders and no NUMA folder at all.
    let topo = read_topology(&fixture("2arm-2c")).unwrap();
    assert!(topo.caches.is_empty());
    assert_eq!(topo.numa_nodes.len(), 1);
    assert_eq!(topo.numa_nodes[0].cpus, CpuSet::parse("0-1").unwrap());
    assert_eq!(topo.cache_size(1), None);
}

#[test]
fn profile_ids_are_stable_and_follow_the_allowed_set() {
    let root = fixture("16em64t-4s2c2t");
    let a = read_profile(&root, AllowedSource::Recorded, None).unwrap();
    let b = read_profile(&root, AllowedSource::Recorded, None).unwrap();
    assert_eq!(a.id, b.id);
    let only0 = CpuSet::single(0);
    let c = read_profile(&root, AllowedSource::Live, Some(&only0)).unwrap();
    assert_ne!(a.id, c.id);
    assert!(c.id.contains("allowed-0-"), "{}", c.id);
    let json = serde_json::to_string(&a).unwrap();
    let back: pinbench::profile::HardwareProfile = serde_json::from_str(&json).unwrap();
    assert_eq!(back, a);
}
