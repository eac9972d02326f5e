//! One task of the traced tree as the kernel counts it, read from `/proc/<tgid>/task/<tid>/` of
//! the task's zombie, before the tracer reaps it (the counters are final and need no
//! privilege): the scheduler's migrations and context switches (`sched`), user and system CPU
//! time and the last CPU (`stat`), and the mask it ended under.

use std::path::PathBuf;

use crate::affinity::get_affinity;
use crate::cpuset::CpuSet;
use crate::metrics::SchedStats;

use super::slots::Tid;

/// Clock ticks per second of `stat`'s CPU times.
fn ticks_per_second() -> f64 {
    // SAFETY: sysconf reads a constant of the C library.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as f64 } else { 100.0 }
}

/// A task's final counters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskCounts {
    pub migrations: Option<u64>,
    pub voluntary_switches: Option<u64>,
    pub involuntary_switches: Option<u64>,
    pub user_seconds: Option<f64>,
    pub system_seconds: Option<f64>,
    /// The CPU it last ran on.
    pub last_cpu: Option<usize>,
    /// Its mask at the end.
    pub mask: Option<CpuSet>,
}

fn dir(tgid: Tid, tid: Tid) -> PathBuf {
    PathBuf::from(format!("/proc/{tgid}/task/{tid}"))
}

/// The fields of a `stat` line after the command (which may hold spaces and parentheses).
fn stat_fields(text: &str) -> Option<Vec<&str>> {
    let rest = &text[text.rfind(')')? + 1..];
    Some(rest.split_whitespace().collect())
}

/// A `stat` line's state (field 3): `R` runnable, `S` asleep, `Z` a zombie...
fn state(text: &str) -> Option<char> {
    stat_fields(text)?.first()?.chars().next()
}

/// `(utime, stime, processor)` from a `stat` line: fields 14, 15 and 39 of proc(5), which are
/// 12, 13 and 37 after the command.
pub fn parse_stat(text: &str) -> Option<(u64, u64, usize)> {
    let f = stat_fields(text)?;
    Some((
        f.get(11)?.parse().ok()?,
        f.get(12)?.parse().ok()?,
        f.get(36)?.parse().ok()?,
    ))
}

/// The CPU a task is running (or queued) on now; `None` unless it is runnable. A task that is
/// not is only where it last was: a sleeping one where it ran before it was placed (make's
/// children, placed while asleep, were seen "on" CPUs their masks no longer held), a stopped
/// one held at its creation on its creator's CPU, before it ran any instruction of its own.
pub fn current_cpu(tgid: Tid, tid: Tid) -> Option<usize> {
    let text = crate::metrics::procfs::read(dir(tgid, tid).join("stat")).ok()?;
    running_cpu(&text)
}

/// The `processor` of a `stat` line whose state (field 3) is running or runnable (`R`).
fn running_cpu(text: &str) -> Option<usize> {
    let state = state(text)?;
    if state != 'R' {
        return None;
    }
    parse_stat(text).map(|(_, _, cpu)| cpu)
}

/// Whether a task is getting on with something, and its CPU time so far: runnable (`R`), in
/// the kernel (`D`) or held at a trace stop (`t`, e.g. its exit being reported), and the first
/// field of `schedstat` (nanoseconds on a CPU). `None` once it is gone.
pub fn activity(tgid: Tid, tid: Tid) -> Option<(bool, u64)> {
    let d = dir(tgid, tid);
    let stat = crate::metrics::procfs::read(d.join("stat")).ok()?;
    let state = state(&stat)?;
    let run_ns = crate::metrics::procfs::read(d.join("schedstat"))
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    Some((matches!(state, 'R' | 'D' | 't'), run_ns))
}

/// The thread group (process) a task belongs to.
pub fn tgid_of(tid: Tid) -> Option<Tid> {
    let text = crate::metrics::procfs::read(format!("/proc/{tid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("Tgid:"))
        .and_then(|v| v.trim().parse().ok())
}

/// A process's threads (its own id first if it lives); empty once it is gone.
pub fn threads(tgid: Tid) -> Vec<Tid> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{tgid}/task")) else {
        return Vec::new();
    };
    let mut tids: Vec<Tid> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    tids.sort_unstable_by_key(|&t| (t != tgid, t));
    tids
}

/// The child processes a thread created that still live (or are zombies): its `children` file.
pub fn children(tgid: Tid, tid: Tid) -> Vec<Tid> {
    crate::metrics::procfs::read(dir(tgid, tid).join("children"))
        .ok()
        .map(|t| {
            t.split_whitespace()
                .filter_map(|c| c.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a task has exited and waits to be reaped (state `Z`): its counters are final.
pub fn is_zombie(tgid: Tid, tid: Tid) -> bool {
    crate::metrics::procfs::read(dir(tgid, tid).join("stat"))
        .ok()
        .and_then(|t| state(&t))
        == Some('Z')
}

/// Whether process `pid` has ended: gone, or a zombie with no thread left (a main thread that
/// called `pthread_exit` shows `Z` while the others run; `num_threads`, field 20 of `stat`,
/// counts them). Unreadable for another reason (EMFILE, hidepid): not ended.
pub fn process_ended(pid: Tid) -> bool {
    match crate::metrics::procfs::read(format!("/proc/{pid}/stat")) {
        Ok(text) => stat_fields(&text).is_some_and(|f| {
            f.first().is_some_and(|s| s.starts_with(['Z', 'X']))
                && f.get(17)
                    .and_then(|n| n.parse::<u32>().ok())
                    .is_some_and(|n| n <= 1)
        }),
        Err(e) => matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ESRCH)),
    }
}

/// The command line a process runs, arguments joined by spaces.
pub fn cmdline(pid: Tid) -> String {
    crate::metrics::procfs::read_bytes(format!("/proc/{pid}/cmdline"))
        .ok()
        .map(|b| {
            b.split(|&c| c == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

impl TaskCounts {
    /// Reads a task's counters (a zombie's are final).
    pub fn read(tgid: Tid, tid: Tid) -> Self {
        let d = dir(tgid, tid);
        let sched = SchedStats::read(&d.join("sched"));
        let stat = crate::metrics::procfs::read(d.join("stat"))
            .ok()
            .and_then(|t| parse_stat(&t));
        let hz = ticks_per_second();
        Self {
            migrations: sched.map(|s| s.migrations),
            voluntary_switches: sched.map(|s| s.voluntary_switches),
            involuntary_switches: sched.map(|s| s.involuntary_switches),
            user_seconds: stat.map(|s| s.0 as f64 / hz),
            system_seconds: stat.map(|s| s.1 as f64 / hz),
            last_cpu: stat.map(|s| s.2),
            mask: get_affinity(tid).ok(),
        }
    }

    /// Zero counts, to sum into.
    pub fn zero() -> Self {
        Self {
            migrations: Some(0),
            voluntary_switches: Some(0),
            involuntary_switches: Some(0),
            user_seconds: Some(0.0),
            system_seconds: Some(0.0),
            last_cpu: None,
            mask: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_a_command_holding_spaces_and_parentheses() {
        let line = "4242 (my (odd) prog) S 1 4242 4242 0 -1 4194560 100 0 0 0 17 5 0 0 20 0 1 0 123 456 78 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0";
        assert_eq!(parse_stat(line), Some((17, 5, 3)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn only_a_runnable_task_is_on_a_cpu() {
        let line = |state: &str| {
            format!(
                "4242 (sh) {state} 1 4242 4242 0 -1 4194560 100 0 0 0 17 5 0 0 20 0 1 0 123 456 78 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0"
            )
        };
        assert_eq!(running_cpu(&line("R")), Some(3));
        // Asleep, stopped or dead: `processor` is only where it last ran, a stale sample.
        for not_running in ["S", "D", "I", "t", "T", "Z", "X"] {
            assert_eq!(running_cpu(&line(not_running)), None, "{not_running}");
        }
    }

    #[test]
    fn reads_this_thread() {
        let pid = std::process::id() as Tid;
        let tid = crate::affinity::current_tid();
        let c = TaskCounts::read(pid, tid);
        assert!(c.last_cpu.is_some());
        assert!(c.mask.is_some_and(|m| !m.is_empty()));
        assert_eq!(tgid_of(tid), Some(pid));
        assert!(!cmdline(pid).is_empty());
        assert_eq!(threads(pid).first(), Some(&pid));
        assert!(threads(pid).contains(&tid));
        assert!(!is_zombie(pid, tid));
    }
}
