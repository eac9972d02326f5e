//! pinbench's reading of every recorded machine (hwloc's trees and the shapes of our own)
//! against hwloc 2.9's own answer for the same tree, whole sets and not only counts: the allowed
//! set, the PUs, every package's, core's, L3 domain's and NUMA node's CPU set, and SMT.
//! hwloc's answers: `tests/fixtures/sysfs/<name>.hwloc.xml` and `tests/fixtures/shapes/<name>.xml`
//! (`scripts/fixtures/shapes.py` records them with `HWLOC_FSROOT=<tree> lstopo --of xml`).

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::{FIXTURES, SHAPES, fixture, fixtures_dir, shape, shapes_dir};
use pinbench::cpuset::CpuSet;
use pinbench::profile::{AllowedSource, read_profile};

/// An hwloc bitmap: `0x000000ff` or comma-separated 32-bit words, highest first (an empty
/// word is a zero one: `0xffffffff,,0x0`).
fn bitmap(text: &str) -> CpuSet {
    let words: Vec<&str> = text.split(',').collect();
    let mut set = CpuSet::new();
    for (i, w) in words.iter().rev().enumerate() {
        let digits = w.trim().trim_start_matches("0x");
        let v = if digits.is_empty() {
            0
        } else {
            u64::from_str_radix(digits, 16).unwrap()
        };
        for b in 0..32 {
            if v & (1 << b) != 0 {
                set.insert(i * 32 + b);
            }
        }
    }
    set
}

/// What hwloc answered: each object type's CPU sets, and the root's allowed set.
struct Hwloc {
    objects: Vec<(String, CpuSet)>,
    allowed: CpuSet,
}

fn attr<'a>(obj: &'a str, key: &str) -> Option<&'a str> {
    obj.split(&format!(" {key}=\"")).nth(1)?.split('"').next()
}

fn hwloc(xml: PathBuf) -> Hwloc {
    let text = std::fs::read_to_string(&xml).unwrap_or_else(|_| panic!("{}", xml.display()));
    let mut objects = Vec::new();
    let mut allowed = None;
    for obj in text.split("<object").skip(1) {
        let head = obj.split('>').next().unwrap();
        let (Some(kind), Some(cpus)) = (attr(head, "type"), attr(head, "cpuset")) else {
            continue;
        };
        if kind == "Machine" {
            allowed = attr(head, "allowed_cpuset").map(bitmap);
        }
        objects.push((kind.to_string(), bitmap(cpus)));
    }
    Hwloc {
        objects,
        allowed: allowed.expect("a Machine with an allowed_cpuset"),
    }
}

impl Hwloc {
    fn sets(&self, kind: &str) -> BTreeSet<String> {
        self.objects
            .iter()
            .filter(|(k, s)| k == kind && !s.is_empty())
            .map(|(_, s)| s.to_string())
            .collect()
    }
}

fn ours<'a>(sets: impl Iterator<Item = &'a CpuSet>, allowed: &CpuSet) -> BTreeSet<String> {
    sets.map(|s| s.intersection(allowed))
        .filter(|s| !s.is_empty())
        .map(|s| s.to_string())
        .collect()
}

#[test]
fn every_recorded_machine_reads_as_hwloc_reads_it() {
    // Every machine recorded on disk is in the lists this loop goes over.
    common::assert_lists_cover_the_recordings();
    let machines = FIXTURES
        .iter()
        .map(|n| {
            (
                *n,
                fixture(n),
                fixtures_dir().join(format!("{n}.hwloc.xml")),
            )
        })
        .chain(
            SHAPES
                .iter()
                .map(|n| (*n, shape(n), shapes_dir().join(format!("{n}.xml")))),
        );
    for (name, root, xml) in machines {
        let h = hwloc(xml);
        let p = read_profile(&root, AllowedSource::Recorded, None).unwrap();
        let t = &p.topology;
        let a = &p.allowed;
        assert_eq!(a, &h.allowed, "{name}: the allowed set");
        let pus: BTreeSet<String> = h.sets("PU").into_iter().collect();
        assert_eq!(
            ours(a.iter().map(CpuSet::single).collect::<Vec<_>>().iter(), a),
            pus,
            "{name}: PUs"
        );
        assert_eq!(
            ours(t.packages.iter().map(|x| &x.cpus), a),
            h.sets("Package"),
            "{name}: packages"
        );
        assert_eq!(
            ours(t.cores.iter().map(|x| &x.cpus), a),
            h.sets("Core"),
            "{name}: cores"
        );
        let l3 = t.caches.iter().filter(|c| c.level == 3 && c.holds_data());
        assert_eq!(
            ours(l3.map(|x| &x.cpus), a),
            h.sets("L3Cache"),
            "{name}: L3 domains"
        );
        assert_eq!(
            ours(t.numa_nodes.iter().map(|x| &x.cpus), a),
            h.sets("NUMANode"),
            "{name}: NUMA nodes"
        );
        let hwloc_smt = h
            .objects
            .iter()
            .filter(|(k, _)| k == "Core")
            .any(|(_, s)| s.len() > 1);
        assert_eq!(p.allowed_summary.smt, hwloc_smt, "{name}: SMT");
    }
}

#[test]
fn ambiguous_readings_are_said() {
    for (name, needle) in [
        ("amd-15h-compute-units", "compute unit"),
        ("inconsistent-caches", "does not confirm"),
        ("numa-overlap", "contradicts itself"),
        ("numa-missing", "in no NUMA node"),
        (
            "cache-list-mask-disagree",
            "cpu*/cache/index2/shared_cpu_map and its shared_cpu_list disagree for cpu0 and 7 more (mask 0, list 0-7)",
        ),
        (
            "sibling-list-mask-disagree",
            "cpu*/topology/core_cpus and its core_cpus_list disagree",
        ),
        (
            "sibling-list-mask-disagree",
            "cpu*/topology/package_cpus and its package_cpus_list disagree",
        ),
        (
            "sibling-list-mask-disagree",
            "node*/cpumap and its cpulist disagree for node0 and 1 more (mask 0-3, list 0-7)",
        ),
    ] {
        let p = read_profile(&shape(name), AllowedSource::Recorded, None).unwrap();
        assert!(
            p.topology.warnings.iter().any(|w| w.contains(needle)),
            "{name}: {:?}",
            p.topology.warnings
        );
    }
    let p = read_profile(&fixture("16em64t-4s2c2t"), AllowedSource::Recorded, None).unwrap();
    assert!(p.topology.warnings.is_empty(), "{:?}", p.topology.warnings);
}
