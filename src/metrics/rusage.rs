//! CPU time and context switches of the calling thread (`getrusage(RUSAGE_THREAD)`).

use nix::sys::resource::{UsageWho, getrusage};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThreadUsage {
    pub user_seconds: f64,
    pub system_seconds: f64,
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
}

impl ThreadUsage {
    pub fn read_self() -> Option<Self> {
        let u = getrusage(UsageWho::RUSAGE_THREAD).ok()?;
        let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 * 1e-6;
        Some(Self {
            user_seconds: secs(u.user_time()),
            system_seconds: secs(u.system_time()),
            voluntary_switches: u.voluntary_context_switches() as u64,
            involuntary_switches: u.involuntary_context_switches() as u64,
        })
    }
}
