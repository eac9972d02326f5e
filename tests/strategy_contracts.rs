//! The contracts of `compact` and `scatter` (docs/ARCHITECTURE.md#strategies), checked as properties on every recorded
//! machine and every worker count up to its allowed CPUs: compact never opens a new core, cache
//! or package while one it opened still has free CPUs of the kind it is placing; scatter never
//! doubles up a core while any core is empty, nor a cache or package while another of that kind
//! is empty; both stay inside the allowed set, never reuse a CPU, and prefer the most
//! performant core kind.

mod common;

use std::collections::BTreeSet;

use common::{FIXTURES, SHAPES, fixture, shape};
use pinbench::cpuset::CpuSet;
use pinbench::plan::plan;
use pinbench::profile::{AllowedSource, read_profile};
use pinbench::strategy::Strategy;
use pinbench::topology::Topology;

/// Every recorded machine: hwloc's trees and the shapes of our own.
fn machines() -> Vec<(String, std::path::PathBuf)> {
    FIXTURES
        .iter()
        .map(|n| (n.to_string(), fixture(n)))
        .chain(SHAPES.iter().map(|n| (n.to_string(), shape(n))))
        .collect()
}

/// Each allowed CPU's core, last-level cache, package (by first CPU or id) and kind rank,
/// looked up once.
struct Map {
    cpus: Vec<usize>,
    doms: std::collections::BTreeMap<usize, [usize; 3]>,
    kinds: std::collections::BTreeMap<usize, usize>,
}

const DOMAINS: [&str; 3] = ["core", "cache", "package"];

impl Map {
    fn new(t: &Topology, allowed: &CpuSet) -> Self {
        let first = |s: Option<&CpuSet>| s.and_then(CpuSet::first).unwrap_or(usize::MAX);
        Self {
            cpus: allowed.iter().collect(),
            doms: allowed
                .iter()
                .map(|c| {
                    (
                        c,
                        [
                            first(t.core_of(c).map(|k| &k.cpus)),
                            first(t.last_level_cache_of(c).map(|k| &k.cpus)),
                            t.package_of(c).map_or(usize::MAX, |p| p.id),
                        ],
                    )
                })
                .collect(),
            kinds: allowed
                .iter()
                .map(|c| (c, t.kind_of(c).map_or(0, |k| k.rank)))
                .collect(),
        }
    }
    fn d(&self, c: usize, i: usize) -> usize {
        self.doms[&c][i]
    }
    fn kind(&self, c: usize) -> usize {
        self.kinds[&c]
    }
}

fn picks(s: &Strategy, t: &Topology, allowed: &CpuSet, n: usize) -> Vec<usize> {
    plan(s, t, allowed, n)
        .unwrap()
        .workers
        .iter()
        .map(|w| {
            let c = w.cpus.as_ref().expect("one CPU each");
            assert_eq!(c.len(), 1);
            c.first().unwrap()
        })
        .collect()
}

fn check_common(name: &str, what: &str, allowed: &CpuSet, p: &[usize]) {
    let distinct: BTreeSet<usize> = p.iter().copied().collect();
    assert_eq!(distinct.len(), p.len(), "{name} {what}: a CPU twice: {p:?}");
    assert!(
        p.iter().all(|&c| allowed.contains(c)),
        "{name} {what}: outside {allowed}: {p:?}"
    );
}

/// Checks compact's contract on the order `p`; returns, per domain, how many picks opened a new
/// one (each such pick is where the contract had something to check).
fn check_compact(name: &str, m: &Map, allowed: &CpuSet, p: &[usize]) -> [usize; 3] {
    let mut opened = [0; 3];
    check_common(name, "compact", allowed, p);
    for (i, &c) in p.iter().enumerate() {
        let used = &p[..i];
        let k = m.kind(c);
        // Kind first: every CPU of a better kind is taken before this one.
        let better_free = m.cpus.iter().any(|&x| m.kind(x) < k && !used.contains(&x));
        assert!(
            !better_free,
            "{name} compact: pick {i} (CPU {c}) before a better kind is full: {p:?}"
        );
        for (di, dname) in DOMAINS.iter().enumerate() {
            if used.iter().any(|&u| m.d(u, di) == m.d(c, di)) {
                continue;
            }
            if !used.is_empty() {
                opened[di] += 1;
            }
            // A new domain: none opened before may still hold a free CPU of this kind.
            let free_in_open = m.cpus.iter().any(|&x| {
                m.kind(x) == k
                    && !used.contains(&x)
                    && used.iter().any(|&u| m.d(u, di) == m.d(x, di))
            });
            assert!(
                !free_in_open,
                "{name} compact: pick {i} (CPU {c}) opens a new {dname} while an open one has room: {p:?}"
            );
        }
    }
    opened
}

/// Checks scatter's contract on the order `p`; returns, per domain, how many picks doubled one
/// up (each such pick is where the contract had something to check).
fn check_scatter(name: &str, m: &Map, allowed: &CpuSet, p: &[usize]) -> [usize; 3] {
    let mut doubled = [0; 3];
    check_common(name, "scatter", allowed, p);
    for (i, &c) in p.iter().enumerate() {
        let used = &p[..i];
        let k = m.kind(c);
        let opened = |di: usize, x: usize| used.iter().any(|&u| m.d(u, di) == m.d(x, di));
        // Kind first: no core of a better kind is still empty.
        let better_empty = m.cpus.iter().any(|&x| m.kind(x) < k && !opened(0, x));
        assert!(
            !better_empty,
            "{name} scatter: pick {i} (CPU {c}) while a better core is empty: {p:?}"
        );
        for (di, dname) in DOMAINS.iter().enumerate() {
            if !opened(di, c) {
                continue;
            }
            doubled[di] += 1;
            // Doubling up: no domain holding CPUs of this kind may be empty, and no core of
            // any kind (SMT siblings last: an idle E-core before a P-core's second thread).
            let empty = m
                .cpus
                .iter()
                .any(|&x| (di == 0 || m.kind(x) == k) && !opened(di, x));
            assert!(
                !empty,
                "{name} scatter: pick {i} (CPU {c}) doubles up a {dname} while another is empty: {p:?}"
            );
        }
    }
    doubled
}

#[test]
fn compact_and_scatter_keep_their_contract_on_every_recorded_machine() {
    common::assert_lists_cover_the_recordings();
    // Per strategy and domain (core, cache, package): picks where the contract had a choice
    // to judge. Each must occur on some machine, or the checks passed without checking.
    let mut judged = [[0usize; 3]; 2];
    for (name, root) in machines() {
        let profile = read_profile(&root, AllowedSource::Recorded, None).unwrap();
        let t = &profile.topology;
        let allowed = &profile.allowed;
        let m = Map::new(t, allowed);
        let n = allowed.len();
        for s in [Strategy::Compact, Strategy::Scatter] {
            // The plan for fewer workers is the start of the plan for all: the contract is a
            // property of every prefix, checked once on the whole order.
            let all = picks(&s, t, allowed, n);
            for k in [1, 2.min(n), n / 2, n.saturating_sub(1)]
                .into_iter()
                .filter(|&k| k > 0)
            {
                assert_eq!(
                    picks(&s, t, allowed, k),
                    all[..k],
                    "{name} {s}: {k} workers"
                );
            }
            let (k, counts) = match s {
                Strategy::Compact => (0, check_compact(&name, &m, allowed, &all)),
                _ => (1, check_scatter(&name, &m, allowed, &all)),
            };
            for (d, c) in counts.iter().enumerate() {
                judged[k][d] += c;
            }
        }
    }
    for (k, s) in ["compact opening", "scatter doubling up"]
        .iter()
        .enumerate()
    {
        for (d, dname) in DOMAINS.iter().enumerate() {
            assert!(
                judged[k][d] > 0,
                "no {s} a {dname} was ever judged: {judged:?}"
            );
        }
    }
}

#[test]
fn hybrid_scatter_uses_the_e_cores_before_a_second_p_thread() {
    let root = fixture("20em64t-hybrid-1p6c2t+2ca4co1t");
    let profile = read_profile(&root, AllowedSource::Recorded, None).unwrap();
    let p = picks(&Strategy::Scatter, &profile.topology, &profile.allowed, 8);
    let m = Map::new(&profile.topology, &profile.allowed);
    let cores: BTreeSet<usize> = p.iter().map(|&c| m.d(c, 0)).collect();
    assert_eq!(cores.len(), 8, "8 workers on 8 distinct cores: {p:?}");
    assert_eq!(&p[..6], &[0, 2, 4, 6, 8, 10], "the six P-cores first");
    assert!(
        p[6..].iter().all(|&c| m.kind(c) == 1),
        "then E-cores: {p:?}"
    );
}
