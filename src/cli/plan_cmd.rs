//! `pinbench plan`: which worker gets which CPUs under a strategy.

use anyhow::Result;
use serde::Serialize;

use super::MachineArgs;
use super::machine::load;
use crate::plan::{Placement, plan};
use crate::strategy::Strategy;

#[derive(Serialize)]
struct PlanJson<'a> {
    profile_id: &'a str,
    allowed: String,
    #[serde(flatten)]
    placement: &'a Placement,
}

pub fn run(strategy: &Strategy, workers: usize, args: &MachineArgs, json: bool) -> Result<()> {
    let p = load(args)?;
    let placement = plan(strategy, &p.topology, &p.allowed, workers)?;
    if json {
        let out = PlanJson {
            profile_id: &p.id,
            allowed: p.allowed.to_string(),
            placement: &placement,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "strategy {} for {} worker(s), allowed set {}",
        placement.strategy, workers, p.allowed
    );
    if let Some(mask) = &placement.spawner_mask {
        println!("spawner mask while spawning: {mask} (workers inherit it)");
    }
    println!(
        "{:>6}  {:<16} {:<8} {:<10} {:<8}",
        "worker", "cpus", "kind", "cache", "package"
    );
    for w in &placement.workers {
        let dash = || "-".to_string();
        println!(
            "{:>6}  {:<16} {:<8} {:<10} {:<8}",
            w.worker,
            w.cpus
                .as_ref()
                .map_or_else(|| format!("any of {}", p.allowed), |c| c.to_string()),
            w.core_kind.clone().unwrap_or_else(dash),
            w.cache_domain.clone().unwrap_or_else(dash),
            w.package.clone().unwrap_or_else(dash),
        );
    }
    Ok(())
}
