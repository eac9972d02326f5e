//! `cmd:<name>`: the user's own program, run by `pinbench exec -- CMD`. Its workers are the
//! program's own processes or threads, so pinbench prepares no job for it: the family exists so
//! that its results are named, united and charted like every other workload's.

use super::{Family, Job, Unit, WorkerCtx, Workload, WorkloadError};
use crate::profile::HardwareProfile;

pub struct Cmd;

impl Family for Cmd {
    fn name(&self) -> &'static str {
        "cmd"
    }

    fn example(&self) -> String {
        "cmd:pool".into()
    }

    fn takes_name(&self) -> bool {
        true
    }

    fn unit(&self) -> Unit {
        Unit::Runs
    }

    fn defaults(&self, _profile: &HardwareProfile) -> Vec<Workload> {
        Vec::new()
    }

    fn prepare(
        &self,
        w: &Workload,
        _ctx: WorkerCtx,
        _channel: super::Channel,
    ) -> Result<Box<dyn Job>, WorkloadError> {
        Err(WorkloadError::NotBuiltIn(w.to_string()))
    }
}
