//! How long a thread ran and how long it waited, runnable, for a CPU: the first two fields of
//! `/proc/<pid>/task/<tid>/schedstat` (nanoseconds; readable without privilege, needs
//! `CONFIG_SCHEDSTATS`, as Debian and most distributions build). The wait is the run-queue
//! wait: the time a worker wanted a CPU and had none, which is what oversubscribing a CPU costs.

use std::path::Path;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunWait {
    /// Nanoseconds on a CPU.
    pub run_ns: u64,
    /// Nanoseconds runnable but waiting for a CPU.
    pub wait_ns: u64,
}

impl RunWait {
    /// Parses the text of a `schedstat` file.
    pub fn parse(text: &str) -> Option<Self> {
        let mut f = text.split_whitespace().map(|v| v.parse::<u64>().ok());
        Some(Self {
            run_ns: f.next()??,
            wait_ns: f.next()??,
        })
    }

    fn read(path: &Path) -> Option<Self> {
        Self::parse(&super::procfs::read(path).ok()?)
    }

    /// The calling thread's.
    pub fn read_self() -> Option<Self> {
        Self::read(Path::new("/proc/thread-self/schedstat"))
    }

    /// A thread of any process (`None` once it is gone).
    pub fn read_task(pid: i32, tid: i32) -> Option<Self> {
        Self::read(Path::new(&format!("/proc/{pid}/task/{tid}/schedstat")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_kernel_format() {
        assert_eq!(
            RunWait::parse("1234567 89012 34\n"),
            Some(RunWait {
                run_ns: 1234567,
                wait_ns: 89012
            })
        );
        assert_eq!(RunWait::parse("garbage"), None);
    }

    #[test]
    fn a_thread_that_computes_gains_run_time() {
        let Some(before) = RunWait::read_self() else {
            eprintln!("SKIPPED: a_thread_that_computes_gains_run_time: no schedstat here");
            return;
        };
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = std::hint::black_box(x.wrapping_add(i * i));
        }
        let after = RunWait::read_self().expect("still readable");
        assert!(
            after.run_ns > before.run_ns,
            "{before:?} -> {after:?} ({x})"
        );
    }
}
