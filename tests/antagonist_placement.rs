//! `--antagonist` relative to the workers, placed against each plan on recorded machines and
//! run on this one.

mod common;

use pinbench::antagonist::{AntagonistAt, AntagonistSpec};
use pinbench::cpuset::CpuSet;
use pinbench::plan::plan;
use pinbench::strategy::Strategy;
use pinbench::topology::read_topology;

use common::Task;

fn at(spec: &str, strategy: Strategy, workers: usize) -> Result<AntagonistAt, String> {
    // 4 packages x 2 cores x 2 SMT threads: core siblings are `n` and `n + 8`.
    let root = common::fixture("16em64t-4s2c2t");
    let topo = read_topology(&root).unwrap();
    let allowed = topo.online.clone();
    let placement = plan(&strategy, &topo, &allowed, workers).unwrap();
    spec.parse::<AntagonistSpec>()
        .unwrap()
        .resolve(&placement, &topo, &allowed)
        .map_err(|e| e.to_string())
}

fn cpus(list: &str) -> AntagonistAt {
    AntagonistAt::Cpus(CpuSet::parse(list).unwrap())
}

#[test]
fn relative_antagonists_follow_the_plan() {
    // per-worker x2 runs on CPUs 0 and 1.
    assert_eq!(at("worker0", Strategy::PerWorker, 2), Ok(cpus("0")));
    let sibling = at("sibling", Strategy::PerWorker, 2).unwrap();
    assert_eq!(sibling, cpus("8"), "CPU 0's SMT sibling");
    let idle = at("idle", Strategy::PerWorker, 2).unwrap();
    assert!(matches!(&idle, AntagonistAt::Cpus(c) if !c.contains(0) && !c.contains(1)));
    // scatter x2 puts worker 0 elsewhere: worker0 follows it.
    let scatter = plan(
        &Strategy::Scatter,
        &read_topology(&common::fixture("16em64t-4s2c2t")).unwrap(),
        &CpuSet::parse("0-15").unwrap(),
        2,
    )
    .unwrap();
    let w0 = scatter.workers[0].cpus.as_ref().unwrap().first().unwrap();
    assert_eq!(
        at("worker0", Strategy::Scatter, 2),
        Ok(cpus(&w0.to_string()))
    );
    // Unpinned workers: worker 0 stands for the first allowed CPU; idle avoids the CPUs
    // per-worker would use.
    assert_eq!(at("worker0", Strategy::None, 2), Ok(cpus("0")));
    assert_eq!(
        at("floating", Strategy::None, 2),
        Ok(AntagonistAt::Floating)
    );
    assert_eq!(at("3", Strategy::None, 2), Ok(cpus("3")));
    // Every CPU taken: no idle one, said plainly.
    let err = at("idle", Strategy::PerWorker, 16).unwrap_err();
    assert!(err.contains("every allowed CPU"), "{err}");
}

#[test]
fn a_sweep_places_the_antagonist_for_each_strategy_and_it_runs_there() {
    let allowed = pinbench::affinity::current_affinity().unwrap();
    if allowed.len() < 2 {
        common::skip("one CPU: no idle CPU beside the worker");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // Process workers: a thread of pinbench's own process pinned to one CPU is an antagonist
    // (nothing else in it pins itself). Each scenario starts its own antagonist thread.
    let mut pinned_threads: Vec<Task> = Vec::new();
    let out = common::run_watching(
        common::pinbench()
            .args([
                "run",
                "-W",
                "cpu",
                "-s",
                "none,per-worker,scatter",
                "-w",
                "1",
                "-m",
                "processes",
                "--antagonist",
                "idle",
                "--reps",
                "1",
                "--no-warmup",
                "-d",
                "200ms",
                "--out",
            ])
            .arg(tmp.path()),
        |pid| {
            for t in common::tasks_of(pid) {
                if t.tid != pid as i32 && t.mask.len() == 1 && !pinned_threads.contains(&t) {
                    pinned_threads.push(t);
                }
            }
        },
    );
    common::assert_ok(&out);
    let dir = common::profile_dir(tmp.path());
    // Each strategy without and with the antagonist.
    let runs = common::csv_whole(&dir.join("runs.csv"), 6);
    let workers = common::csv_whole(&dir.join("workers.csv"), 6);
    let with: Vec<_> = runs.iter().filter(|r| r["antagonist"] == "idle").collect();
    assert_eq!(with.len(), 3, "one run per strategy with the antagonist");
    let mut places = CpuSet::new();
    for r in &with {
        let at = CpuSet::parse(&r["antagonist_cpus"]).unwrap();
        assert_eq!(at.len(), 1, "{r:?}");
        places = places.union(&at);
        // Where the worker itself found it ran: never on the antagonist's CPU when pinned.
        let w = workers
            .iter()
            .find(|w| w["strategy"] == r["strategy"] && w["antagonist"] == "idle")
            .unwrap();
        let seen = CpuSet::parse_allow_empty(&w["cpus_seen"]).unwrap();
        assert!(!seen.is_empty(), "{w:?}");
        if !r["placement"].is_empty() {
            assert!(seen.intersection(&at).is_empty(), "{r:?} {w:?}");
        }
    }
    for r in runs.iter().filter(|r| r["antagonist"].is_empty()) {
        assert_eq!(r["antagonist_cpus"], "", "{r:?}");
    }
    // The antagonist ran where runs.csv says: a thread pinned there, seen running there, one
    // for each run with it, and none anywhere else.
    for cpu in places.iter() {
        let threads: std::collections::BTreeSet<i32> = pinned_threads
            .iter()
            .filter(|t| t.mask == CpuSet::single(cpu) && t.state == "R" && t.cpu == cpu)
            .map(|t| t.tid)
            .collect();
        let runs_there = with
            .iter()
            .filter(|r| r["antagonist_cpus"] == cpu.to_string())
            .count();
        assert_eq!(
            threads.len(),
            runs_there,
            "antagonist threads seen running on CPU {cpu}: {pinned_threads:?}"
        );
    }
    for t in &pinned_threads {
        assert!(
            t.mask.is_subset(&places),
            "a pinned thread elsewhere: {t:?}"
        );
    }
}
