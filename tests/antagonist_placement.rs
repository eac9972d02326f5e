//! `--antagonist` relative to the workers, placed against each plan on recorded machines and
//! run on this one.

mod common;

use pinbench::antagonist::{AntagonistAt, AntagonistSpec};
use pinbench::cpuset::CpuSet;
use pinbench::plan::plan;
use pinbench::strategy::Strategy;
use pinbench::topology::read_topology;

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
fn a_sweep_places_the_antagonist_for_each_strategy_and_records_where() {
    let allowed = pinbench::affinity::current_affinity().unwrap();
    if allowed.len() < 2 {
        return; // one CPU: no idle CPU beside the worker
    }
    let tmp = tempfile::tempdir().unwrap();
    common::sweep(
        &[
            "-W",
            "cpu",
            "-s",
            "none,per-worker,scatter",
            "-w",
            "1",
            "-m",
            "threads",
            "--antagonist",
            "idle",
            "--reps",
            "1",
            "-d",
            "10ms",
        ],
        tmp.path(),
    );
    let dir = common::profile_dir(tmp.path());
    let runs = std::fs::read_to_string(dir.join("runs.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(runs.as_bytes());
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let mut with = 0;
    for r in rdr.records().map(Result::unwrap) {
        if &r[col("antagonist")] == "idle" {
            with += 1;
            let placed = CpuSet::parse(&r[col("antagonist_cpus")]).unwrap();
            let worker = CpuSet::parse_allow_empty(&r[col("placement")]).unwrap();
            // The antagonist never shares the pinned worker's CPU.
            assert!(
                worker.is_empty() || placed.intersection(&worker).is_empty(),
                "{r:?}"
            );
        } else {
            assert_eq!(&r[col("antagonist_cpus")], "");
        }
    }
    assert_eq!(with, 3, "one run per strategy with the antagonist");
}
