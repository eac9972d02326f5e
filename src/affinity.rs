//! Pinning primitives: set and read CPU affinity masks of the calling thread, of other threads
//! and processes, and of a spawner that children inherit from. Every setter reads the mask back:
//! the kernel silently drops CPUs that do not exist (`{1,7}` becomes `{1}` on a 2-CPU machine),
//! and a pin that did not take is an error, never a quiet success.

use std::sync::OnceLock;

use nix::sched::{CpuSet as NixCpuSet, sched_getaffinity, sched_setaffinity};
use nix::unistd::Pid;

use crate::cpuset::CpuSet;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AffinityError {
    #[error(
        "CPU {cpu} cannot be named in an affinity mask here (masks hold ids below {limit}); use CPUs of the allowed set"
    )]
    OutOfRange { cpu: usize, limit: usize },
    #[error("cannot pin an empty CPU set: give at least one CPU")]
    Empty,
    #[error("sched_setaffinity({target}, {requested}) failed: {errno}")]
    Set {
        target: String,
        requested: CpuSet,
        errno: nix::errno::Errno,
    },
    #[error("sched_getaffinity({target}) failed: {errno}")]
    Get {
        target: String,
        errno: nix::errno::Errno,
    },
    #[error(
        "the kernel applied {applied} to {target} where {requested} was asked for (CPUs offline, outside the cgroup, or nonexistent)"
    )]
    Mismatch {
        target: String,
        requested: CpuSet,
        applied: CpuSet,
    },
}

/// The kernel's mask type for a set, built once where the same mask is applied many times.
pub fn to_nix(set: &CpuSet) -> Result<NixCpuSet, AffinityError> {
    if set.is_empty() {
        return Err(AffinityError::Empty);
    }
    let mut mask = NixCpuSet::new();
    for cpu in set.iter() {
        mask.set(cpu).map_err(|_| AffinityError::OutOfRange {
            cpu,
            limit: NixCpuSet::count(),
        })?;
    }
    Ok(mask)
}

fn from_nix(mask: &NixCpuSet) -> CpuSet {
    (0..NixCpuSet::count())
        .filter(|&c| mask.is_set(c).unwrap_or(false))
        .collect()
}

fn target_name(pid: Pid) -> String {
    if pid.as_raw() == 0 {
        "this thread".into()
    } else {
        format!("tid {pid}")
    }
}

/// The affinity mask of a thread or process (`0` = the calling thread).
pub fn get_affinity(pid: i32) -> Result<CpuSet, AffinityError> {
    let pid = Pid::from_raw(pid);
    sched_getaffinity(pid)
        .map(|m| from_nix(&m))
        .map_err(|errno| AffinityError::Get {
            target: target_name(pid),
            errno,
        })
}

/// Sets the mask of a thread or process (`0` = the calling thread) and returns what the kernel
/// applied, refusing any difference from the request.
pub fn set_affinity(pid: i32, set: &CpuSet) -> Result<CpuSet, AffinityError> {
    let mask = to_nix(set)?;
    let nix_pid = Pid::from_raw(pid);
    sched_setaffinity(nix_pid, &mask).map_err(|errno| AffinityError::Set {
        target: target_name(nix_pid),
        requested: set.clone(),
        errno,
    })?;
    let applied = get_affinity(pid)?;
    if &applied != set {
        return Err(AffinityError::Mismatch {
            target: target_name(nix_pid),
            requested: set.clone(),
            applied,
        });
    }
    Ok(applied)
}

/// Pins the calling thread to `set`.
pub fn pin_current_thread(set: &CpuSet) -> Result<CpuSet, AffinityError> {
    set_affinity(0, set)
}

/// The calling thread's current mask.
pub fn current_affinity() -> Result<CpuSet, AffinityError> {
    get_affinity(0)
}

/// The CPU the calling thread runs on now (`sched_getcpu`, a vDSO call of a few ns).
pub fn current_cpu() -> Option<usize> {
    nix::sched::sched_getcpu().ok()
}

/// The kernel thread id of the calling thread.
pub fn current_tid() -> i32 {
    nix::unistd::gettid().as_raw()
}

/// The process's allowed set, read once, the first time this is called: call it at start,
/// before anything is pinned, since pinning the calling thread would shrink what it reads.
pub fn startup_allowed() -> Result<CpuSet, AffinityError> {
    static ALLOWED: OnceLock<Result<CpuSet, AffinityError>> = OnceLock::new();
    ALLOWED.get_or_init(current_affinity).clone()
}

/// The spawner's own mask, changed for as long as the guard lives so that threads and
/// processes created meanwhile inherit it (the `taskset -p` on the parent recipe), then
/// restored.
#[must_use = "the mask is restored when the guard is dropped"]
pub struct SpawnerMask {
    saved: CpuSet,
}

impl SpawnerMask {
    pub fn set(set: &CpuSet) -> Result<Self, AffinityError> {
        let saved = current_affinity()?;
        pin_current_thread(set)?;
        Ok(Self { saved })
    }

    /// Restores the saved mask now, reporting failure (dropping restores too, silently).
    pub fn restore(self) -> Result<(), AffinityError> {
        let saved = self.saved.clone();
        std::mem::forget(self);
        pin_current_thread(&saved).map(|_| ())
    }
}

impl Drop for SpawnerMask {
    fn drop(&mut self) {
        let _ = pin_current_thread(&self.saved);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_and_read_back_in_a_thread() {
        let allowed = current_affinity().unwrap();
        let last = allowed.last().unwrap();
        std::thread::spawn(move || {
            let applied = pin_current_thread(&CpuSet::single(last)).unwrap();
            assert_eq!(applied, CpuSet::single(last));
            assert_eq!(current_cpu(), Some(last));
        })
        .join()
        .unwrap();
    }

    #[test]
    fn refuses_masks_the_kernel_would_shrink_or_cannot_hold() {
        std::thread::spawn(|| {
            let allowed = current_affinity().unwrap();
            let mut with_ghost = allowed.clone();
            with_ghost.insert(1023);
            if !allowed.contains(1023) {
                let err = pin_current_thread(&with_ghost).unwrap_err();
                assert!(matches!(err, AffinityError::Mismatch { .. }), "{err}");
            }
            let err = pin_current_thread(&CpuSet::single(5000)).unwrap_err();
            assert!(matches!(err, AffinityError::OutOfRange { cpu: 5000, .. }));
            assert_eq!(
                pin_current_thread(&CpuSet::new()).unwrap_err(),
                AffinityError::Empty
            );
            // Nothing was changed by the refused calls beyond what read-back reported.
            assert!(current_affinity().unwrap().is_subset(&allowed));
        })
        .join()
        .unwrap();
    }

    #[test]
    fn spawner_mask_is_inherited_and_restored() {
        std::thread::spawn(|| {
            let before = current_affinity().unwrap();
            let first = CpuSet::single(before.first().unwrap());
            let guard = SpawnerMask::set(&first).unwrap();
            let child = std::thread::spawn(|| current_affinity().unwrap())
                .join()
                .unwrap();
            assert_eq!(child, first);
            guard.restore().unwrap();
            assert_eq!(current_affinity().unwrap(), before);
        })
        .join()
        .unwrap();
    }
}
