//! `pinbench topology`, `profile` and `plan` run as a user runs them (bad inputs:
//! `bad_inputs.rs`).

mod common;

use assert_cmd::prelude::*;
use common::{fixture, pinbench};
use serde_json::Value;

fn json(args: &[&str]) -> Value {
    let out = pinbench()
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}

/// The process's own allowed set, as the kernel reports it.
fn allowed_here() -> pinbench::cpuset::CpuSet {
    pinbench::affinity::current_affinity().unwrap()
}

#[test]
fn topology_json_summary_on_this_machine() {
    let v = json(&["topology", "--json"]);
    let s = &v["summary"];
    for key in [
        "packages",
        "numa_nodes",
        "cores",
        "cpus",
        "l3_domains",
        "core_kinds",
    ] {
        assert!(s[key].as_u64().unwrap() >= 1, "{key}: {s}");
    }
    assert!(s["smt"].is_boolean());
    assert_eq!(s["allowed"].as_str().unwrap(), allowed_here().to_string());
}

#[test]
fn taskset_changes_allowed_set_and_profile_id() {
    let allowed = allowed_here();
    let last = allowed.last().unwrap().to_string();
    let full = json(&["topology", "--json"]);
    // Run under a one-CPU mask the way `taskset -c N` would, through the binary itself.
    let mut cmd = pinbench();
    cmd.args(["topology", "--json"]);
    let one = pinbench::cpuset::CpuSet::parse(&last).unwrap();
    let out = std::thread::spawn(move || {
        pinbench::affinity::pin_current_thread(&one).unwrap();
        cmd.output().unwrap()
    })
    .join()
    .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["allowed"].as_str().unwrap(), last);
    if allowed.len() > 1 {
        assert_ne!(v["profile_id"], full["profile_id"]);
    } else {
        common::skip("a changed profile id: on one CPU the one-CPU mask is the allowed set");
    }
    assert_eq!(v["summary"]["cpus"], full["summary"]["cpus"]);
}

#[test]
fn topology_tree_on_a_fixture() {
    let root = fixture("16em64t-4s2c2t");
    let out = pinbench()
        .args(["topology", "--sysfs-root"])
        .arg(&root)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("Package P#3"));
    assert!(
        text.contains("4 packages, 1 NUMA node, 4 L3 domains, 8 cores, 16 CPUs online, SMT on")
    );
    assert_eq!(text.matches("PU P#").count(), 16);
}

#[test]
fn topology_json_of_the_cgroup_fixture() {
    let root = fixture("32amd64-4s2n4c-cgroup2");
    let v = json(&["topology", "--json", "--sysfs-root", root.to_str().unwrap()]);
    assert_eq!(v["summary"]["allowed"], "0-5");
    assert_eq!(v["summary"]["packages"], 4);
    assert_eq!(v["allowed_summary"]["packages"], 1);
}

#[test]
fn plan_json_lists_workers_and_cpus() {
    let root = fixture("16em64t-4s2c2t");
    let r = root.to_str().unwrap();
    let v = json(&[
        "plan",
        "--strategy",
        "compact",
        "--workers",
        "2",
        "--json",
        "--sysfs-root",
        r,
    ]);
    let w = v["workers"].as_array().unwrap();
    assert_eq!(w.len(), 2);
    assert_eq!(w[0]["worker"], 0);
    assert_eq!(w[0]["cpus"], "0");
    assert_eq!(w[1]["cpus"], "8");
    assert_eq!(w[1]["package"], "0");
    let v = json(&[
        "plan",
        "--strategy",
        "none",
        "--workers",
        "3",
        "--json",
        "--sysfs-root",
        r,
    ]);
    assert!(v["workers"][0].get("cpus").is_none());
    let v = json(&["plan", "-s", "per-worker", "-w", "1", "--json"]);
    assert_eq!(
        v["workers"][0]["cpus"],
        allowed_here().first().unwrap().to_string()
    );
}

#[test]
fn plan_table_names_the_kind_on_hybrid() {
    let root = fixture("20em64t-hybrid-1p6c2t+2ca4co1t");
    pinbench()
        .args(["plan", "-s", "compact", "-w", "14", "--sysfs-root"])
        .arg(&root)
        .assert()
        .success()
        .stdout(predicates::str::contains(" P ").and(predicates::str::contains(" E ")));
}

use predicates::prelude::PredicateBooleanExt;
