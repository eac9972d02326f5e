//! Reading the machine a verb works on: this one (allowed set from `sched_getaffinity`) or a
//! recorded sysfs root (allowed set from its cgroup).

use std::path::Path;

use anyhow::Result;

use super::MachineArgs;
use crate::affinity::startup_allowed;
use crate::profile::{AllowedSource, HardwareProfile, read_profile};

pub fn load(args: &MachineArgs) -> Result<HardwareProfile> {
    match &args.sysfs_root {
        Some(root) => Ok(read_profile(root, AllowedSource::Recorded, None)?),
        None => {
            let allowed = startup_allowed()?;
            Ok(read_profile(
                Path::new("/"),
                AllowedSource::Live,
                Some(&allowed),
            )?)
        }
    }
}
