//! `pinbench doctor`.

use std::time::Duration;

use anyhow::Result;

use super::MachineArgs;
use super::machine::load;
use crate::doctor::{diagnose, fit};

pub fn run(json: bool) -> Result<i32> {
    let profile = load(&MachineArgs { sysfs_root: None })?;
    let checks = diagnose(&profile, Duration::from_millis(500));
    if json {
        println!("{}", serde_json::to_string_pretty(&checks)?);
    } else {
        println!("{} (allowed {})", profile.id, profile.allowed);
        for c in &checks {
            println!("{:>4}  {:<16} {}", c.level.as_str(), c.name, c.found);
            if !c.advice.is_empty() {
                println!("      {:<16} -> {}", "", c.advice);
            }
        }
        println!(
            "{}",
            if fit(&checks) {
                "fit for measuring (read the warnings)"
            } else {
                "NOT fit for measuring: fix the FAIL lines first"
            }
        );
    }
    Ok(if fit(&checks) { 0 } else { 1 })
}
