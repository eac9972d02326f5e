//! What limits this machine's results, in the spirit of `pyperf system show` and Google
//! Benchmark's warnings: each check says what it found and what to do about it. `pinbench
//! doctor` prints them; every `run` records them in profile.json.

use std::path::Path;
use std::time::Duration;

mod checks;

pub use crate::check::{Check, Level};
use crate::profile::HardwareProfile;
pub use checks::{ProcSnapshot, fit};

/// Runs every check on this machine; `sample` is how long to watch steal time and busy
/// processes. Each check is a pure function of what is read here (see `checks`), so they are
/// tested on recorded trees.
pub fn diagnose(profile: &HardwareProfile, sample: Duration) -> Vec<Check> {
    diagnose_at(Path::new("/"), profile, sample)
}

/// The checks over the machine below `root` (`/` live, or a recorded tree).
pub fn diagnose_at(root: &Path, profile: &HardwareProfile, sample: Duration) -> Vec<Check> {
    let n = profile.allowed.len();
    let before = ProcSnapshot::read(root);
    if !sample.is_zero() {
        std::thread::sleep(sample);
    }
    let after = ProcSnapshot::read(root);
    let steal = ProcSnapshot::steal_percent(&before, &after);
    vec![
        checks::governor(root, &profile.allowed),
        checks::turbo(root),
        checks::smt(&profile.smt),
        checks::busy(&before, &after, sample),
        checks::virtualisation(profile.virtualization.as_deref(), steal),
        checks::quota(profile.cgroup.quota.map(|q| q.cpus()), n),
        checks::perf(
            profile.perf_event_paranoid,
            crate::metrics::PerfCounters::available(),
            nix::unistd::geteuid().is_root(),
            root.join("proc/thread-self/sched").exists(),
        ),
        checks::isolated(root),
        checks::load(root, n),
        checks::build(cfg!(debug_assertions)),
    ]
}
