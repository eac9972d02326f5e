//! `pinbench topology` and `pinbench profile`.

use anyhow::Result;
use serde::Serialize;

use super::MachineArgs;
use super::machine::load;
use crate::cpuset::CpuSet;
use crate::topology::{ObjectCounts, Topology, render_tree};

#[derive(Serialize)]
struct Summary<'a> {
    #[serde(flatten)]
    counts: &'a ObjectCounts,
    allowed: &'a CpuSet,
}

#[derive(Serialize)]
struct TopologyJson<'a> {
    profile_id: &'a str,
    summary: Summary<'a>,
    allowed_summary: &'a ObjectCounts,
    topology: &'a Topology,
}

pub fn run(args: &MachineArgs, json: bool) -> Result<()> {
    let p = load(args)?;
    if json {
        let out = TopologyJson {
            profile_id: &p.id,
            summary: Summary {
                counts: &p.summary,
                allowed: &p.allowed,
            },
            allowed_summary: &p.allowed_summary,
            topology: &p.topology,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    print!("{}", render_tree(&p.topology, &p.allowed));
    let s = &p.summary;
    use crate::text::count;
    println!(
        "{}, {}, {}, {}, {} online, SMT {}, {}",
        count(s.packages, "package"),
        count(s.numa_nodes, "NUMA node"),
        count(s.l3_domains, "L3 domain"),
        count(s.cores, "core"),
        count(s.cpus, "CPU"),
        if s.smt { "on" } else { "off" },
        count(s.core_kinds, "core kind")
    );
    if p.topology.core_kinds.len() > 1 {
        for k in &p.topology.core_kinds {
            println!("  kind {}: CPUs {} (from {})", k.name, k.cpus, k.source);
        }
    }
    println!("allowed set: {} ({} CPUs)", p.allowed, p.allowed.len());
    if let Some(q) = &p.cgroup.quota {
        println!("cgroup CPU quota: {:.2} CPUs", q.cpus());
    }
    println!("profile id: {}", p.id);
    Ok(())
}

pub fn profile(args: &MachineArgs) -> Result<()> {
    let p = load(args)?;
    println!("{}", serde_json::to_string_pretty(&p)?);
    Ok(())
}
