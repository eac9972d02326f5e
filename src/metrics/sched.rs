//! The scheduler's per-thread statistics in `/proc/thread-self/sched` (needs
//! `CONFIG_SCHED_DEBUG`, as Debian and most distributions build).

use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchedStats {
    pub migrations: u64,
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
}

impl SchedStats {
    /// Parses the text of a `sched` file.
    pub fn parse(text: &str) -> Option<Self> {
        let field = |name: &str| {
            text.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                (k.trim() == name).then(|| v.trim().parse::<u64>().ok())?
            })
        };
        Some(Self {
            migrations: field("se.nr_migrations")?,
            voluntary_switches: field("nr_voluntary_switches").unwrap_or(0),
            involuntary_switches: field("nr_involuntary_switches").unwrap_or(0),
        })
    }

    pub fn read(path: &Path) -> Option<Self> {
        Self::parse(&super::procfs::read(path).ok()?)
    }

    /// The calling thread's statistics.
    pub fn read_self() -> Option<Self> {
        Self::read(Path::new("/proc/thread-self/sched"))
    }

    /// The statistics of a thread of another process (`/proc/<pid>/task/<tid>/sched`).
    pub fn read_task(pid: i32, tid: i32) -> Option<Self> {
        Self::read(Path::new(&format!("/proc/{pid}/task/{tid}/sched")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_kernel_format() {
        let text = "cat (7307, #threads: 1)\n----\nse.exec_start   :   540008.404716\nse.nr_migrations  :   3\nnr_switches :  1\nnr_voluntary_switches :   5\nnr_involuntary_switches  :  2\n";
        let s = SchedStats::parse(text).unwrap();
        assert_eq!(
            (s.migrations, s.voluntary_switches, s.involuntary_switches),
            (3, 5, 2)
        );
        assert_eq!(SchedStats::parse("nothing here"), None);
    }

    #[test]
    fn reads_this_thread() {
        // Absent only on kernels without CONFIG_SCHED_DEBUG: then there is nothing to read, and
        // the reader must say so (None) rather than give zeros.
        if !std::path::Path::new("/proc/thread-self/sched").exists() {
            eprintln!("SKIPPED: reads_this_thread: this kernel has no /proc/thread-self/sched");
            assert_eq!(SchedStats::read_self(), None);
            return;
        }
        let before = SchedStats::read_self().expect("this thread's counters");
        // A sleep is a voluntary switch: the count this thread reads of itself grows.
        std::thread::sleep(std::time::Duration::from_millis(2));
        let after = SchedStats::read_self().expect("this thread's counters");
        assert!(
            after.voluntary_switches > before.voluntary_switches,
            "{before:?} -> {after:?}"
        );
    }
}
