//! What ran where, measured: every task's CPU time (the kernel's own run time,
//! `/proc/<tgid>/task/<tid>/schedstat`, in nanoseconds), split by whether the task ran in a slot
//! and whether the mask the kernel held for it was inside that slot's CPUs. The watchdog adds a
//! sample every tick and the tracer a last one from each task's zombie, so the split covers
//! the tasks' whole lives. From it: the share of the tree's CPU time that ran on the plan
//! (`pinned_cpu_share`), each slot's CPU time, the busy tasks no slot held, and each task's
//! busy share over the last window, which [`super::slots::Slots::observed`] turns into late pins.

use std::collections::{BTreeMap, HashMap};

use crate::affinity::get_affinity;
use crate::cpuset::CpuSet;
use crate::metrics::RunWait;

use super::slots::Tid;

/// One reading of a task: its run time and whether its mask lies inside its slot's CPUs.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    pub tid: Tid,
    pub tgid: Tid,
    /// The task whose slot counts: its process in process modes, itself in thread mode.
    pub key: Tid,
    pub slot: Option<usize>,
    pub run_ns: u64,
    /// Time runnable but waiting for a CPU: on a loaded machine a busy task runs less than
    /// it wants, and run + wait is what it wanted.
    pub wait_ns: u64,
    pub on_plan: bool,
    /// It was a spawner waiting on the children it handed its slot to (make, a compiler
    /// driver): outside the slots by the rules, its time is no worker's.
    pub spawner: bool,
    /// It was a thread-mode main thread the rules do not take for a worker (its own work:
    /// starting up, starting threads, collecting results): the main process's time.
    pub main_thread: bool,
}

impl Reading {
    /// Whether a task's mask `have` lies inside its slot's CPUs `slot`: its time is on the plan.
    pub fn inside(have: &CpuSet, slot: &CpuSet) -> bool {
        have.difference(slot).is_empty()
    }

    /// Reads a task placed in `slot` whose CPUs are `mask` (none: a strategy that pins
    /// nothing, where no CPU time is on a plan).
    pub fn take(
        tid: Tid,
        tgid: Tid,
        key: Tid,
        slot: Option<usize>,
        mask: Option<&CpuSet>,
        spawner: bool,
        main_thread: bool,
    ) -> Option<Self> {
        let RunWait { run_ns, wait_ns } = RunWait::read_task(tgid, tid)?;
        let on_plan = slot.is_some()
            && mask.is_some_and(|m| get_affinity(tid).is_ok_and(|have| Self::inside(&have, m)));
        Some(Self {
            tid,
            tgid,
            key,
            slot,
            run_ns,
            wait_ns,
            on_plan,
            spawner,
            main_thread,
        })
    }
}

/// Run time of one process, split.
#[derive(Debug, Clone, Default)]
struct ProcessTime {
    total_ns: u64,
    wait_ns: u64,
    on_plan_ns: u64,
    /// Run while it was a spawner (rule 3).
    spawner_ns: u64,
    /// Run as a thread-mode main thread that was no worker.
    main_thread_ns: u64,
    /// Run while no slot held it (nor its process).
    unslotted_ns: u64,
}

/// The split of a run's CPU time, built up as readings come.
#[derive(Debug, Default)]
pub struct Accounting {
    /// Each task's run and wait time at its last reading.
    last: HashMap<Tid, (u64, u64)>,
    /// Each process's name (`comm`), read when it is first seen.
    names: HashMap<Tid, String>,
    processes: BTreeMap<Tid, ProcessTime>,
    slot_ns: Vec<u64>,
    slot_wait_ns: Vec<u64>,
    /// Run and wait time per key since the window began: the CPU it wanted.
    window: BTreeMap<Tid, u64>,
    /// Run time of spawners in this window (by key and process), excused or not at its close.
    pending: BTreeMap<(Tid, Tid), u64>,
}

/// What the run's CPU time did, for runs.csv.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Split {
    /// CPU seconds of every task of the tree.
    pub tree_s: f64,
    /// CPU seconds of the command's own process(es) when they are never workers (process mode),
    /// and of a thread-mode main thread while the rules took it for no worker.
    pub main_s: f64,
    /// CPU seconds of the processes the helpers pattern named (never workers).
    pub helpers_s: f64,
    /// CPU seconds of processes while they waited as spawners (rule 3: make, a compiler
    /// driver, a shell), outside the slots by the rules.
    pub spawners_s: f64,
    /// CPU seconds that ran in a slot, under a mask inside the slot's CPUs.
    pub on_plan_s: f64,
    /// CPU seconds of the tasks each slot held (every holder, and children kept with them).
    pub slot_s: Vec<f64>,
    /// Seconds those tasks waited, runnable, for a CPU.
    pub slot_wait_s: Vec<f64>,
    /// Seconds every task of the tree waited, runnable, for a CPU.
    pub tree_wait_s: f64,
    /// Busy processes that ran outside every slot: pid, name, CPU seconds, busiest first.
    pub unslotted: Vec<(Tid, String, f64)>,
}

impl Split {
    /// The share of the workers' CPU time (the tree's, the main process where it is never a
    /// worker and the named helpers aside) that ran on the plan; none when the workers used no
    /// CPU at all.
    pub fn on_plan_share(&self) -> Option<f64> {
        let work = self.tree_s - self.main_s - self.helpers_s - self.spawners_s;
        (work > 0.0).then(|| (self.on_plan_s / work).clamp(0.0, 1.0))
    }
}

impl Accounting {
    pub fn new(slots: usize) -> Self {
        Self {
            slot_ns: vec![0; slots],
            slot_wait_ns: vec![0; slots],
            ..Self::default()
        }
    }

    /// Starts the totals over, keeping each task's last reading: what ran before (a launch's
    /// helpers: a shell wrapper's, a version manager shim's) is not the program's.
    pub fn restart(&mut self) {
        self.processes.clear();
        self.slot_ns.iter_mut().for_each(|n| *n = 0);
        self.slot_wait_ns.iter_mut().for_each(|n| *n = 0);
        self.window.clear();
        self.pending.clear();
    }

    /// A process that has ended (its exit record read): its name is not looked for in
    /// `/proc`, where it is gone, unless a reading while it lived found it.
    pub fn ended(&mut self, tgid: Tid) {
        self.names.entry(tgid).or_default();
    }

    /// A process exec'd: its name is read again at its next reading.
    pub fn renamed(&mut self, tgid: Tid) {
        self.names.remove(&tgid);
    }

    /// Adds what a task ran since its last reading. A reading older than the last one (the
    /// watchdog's, taken before the tracer's exit reading but added after it) adds nothing.
    pub fn add(&mut self, r: Reading) {
        if self
            .last
            .get(&r.tid)
            .is_some_and(|&(run, _)| r.run_ns < run)
        {
            return;
        }
        let (last_run, last_wait) = self
            .last
            .insert(r.tid, (r.run_ns, r.wait_ns))
            .unwrap_or((0, 0));
        let delta = r.run_ns.saturating_sub(last_run);
        let waited = r.wait_ns.saturating_sub(last_wait);
        let wanted = delta + waited;
        self.names.entry(r.tgid).or_insert_with(|| {
            crate::metrics::procfs::read(format!("/proc/{}/comm", r.tgid))
                .map(|n| n.trim().to_string())
                .unwrap_or_default()
        });
        let p = self.processes.entry(r.tgid).or_default();
        p.total_ns += delta;
        p.wait_ns += waited;
        if r.on_plan {
            p.on_plan_ns += delta;
        }
        match r.slot {
            Some(s) => {
                if let Some(n) = self.slot_ns.get_mut(s) {
                    *n += delta;
                }
                if let Some(n) = self.slot_wait_ns.get_mut(s) {
                    *n += waited;
                }
            }
            // A spawner's time is excused only if it turns out idle over the window (make
            // waiting); one that computes meanwhile is a worker off its slot. Decided when
            // the window closes.
            None if r.main_thread => p.main_thread_ns += delta,
            None if r.spawner => {
                *self.pending.entry((r.key, r.tgid)).or_default() += delta;
            }
            None => p.unslotted_ns += delta,
        }
        *self.window.entry(r.key).or_default() += wanted;
    }

    /// Each key's demand over the window of `window_ns` just ended (run and wait time, as a share
    /// of one CPU: 1 for a task that was runnable throughout, however loaded the machine);
    /// starts the next window.
    pub fn close_window(&mut self, window_ns: u64) -> BTreeMap<Tid, f64> {
        let shares: BTreeMap<Tid, f64> = self
            .window
            .iter()
            .map(|(&k, &ns)| (k, ns as f64 / window_ns.max(1) as f64))
            .collect();
        for ((key, tgid), ns) in std::mem::take(&mut self.pending) {
            let p = self.processes.entry(tgid).or_default();
            if shares.get(&key).copied().unwrap_or(0.0) < super::slots::BUSY {
                p.spawner_ns += ns;
            } else {
                p.unslotted_ns += ns;
            }
        }
        self.window.clear();
        shares
    }

    /// The split, with `mains` the processes whose time is the main process's and `helpers`
    /// the named helpers.
    pub fn split(&self, mains: &[Tid], helpers: &[Tid]) -> Split {
        let time_of = |pids: &[Tid]| -> u64 {
            pids.iter()
                .filter_map(|m| self.processes.get(m))
                .map(|p| p.total_ns)
                .sum()
        };
        let s = |ns: u64| ns as f64 / 1e9;
        let mut unslotted: Vec<(Tid, String, f64)> = self
            .processes
            .iter()
            .filter(|(pid, _)| !mains.contains(pid) && !helpers.contains(pid))
            .map(|(&pid, p)| {
                let name = self.names.get(&pid).cloned().unwrap_or_default();
                (pid, name, s(p.unslotted_ns))
            })
            .filter(|(_, _, secs)| *secs >= 0.01)
            .collect();
        unslotted.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
        Split {
            tree_s: s(self.processes.values().map(|p| p.total_ns).sum()),
            main_s: s(time_of(mains)
                + self
                    .processes
                    .iter()
                    .filter(|(pid, _)| !mains.contains(pid))
                    .map(|(_, p)| p.main_thread_ns)
                    .sum::<u64>()),
            helpers_s: s(time_of(helpers)),
            spawners_s: s(self
                .processes
                .iter()
                .filter(|(pid, _)| !mains.contains(pid) && !helpers.contains(pid))
                .map(|(_, p)| p.spawner_ns)
                .sum()),
            on_plan_s: s(self.processes.values().map(|p| p.on_plan_ns).sum()),
            slot_s: self.slot_ns.iter().map(|&n| s(n)).collect(),
            slot_wait_s: self.slot_wait_ns.iter().map(|&n| s(n)).collect(),
            tree_wait_s: s(self.processes.values().map(|p| p.wait_ns).sum()),
            unslotted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(tid: Tid, slot: Option<usize>, run_ns: u64, on_plan: bool) -> Reading {
        Reading {
            tid,
            tgid: tid,
            key: tid,
            slot,
            run_ns,
            wait_ns: 0,
            on_plan,
            spawner: false,
            main_thread: false,
        }
    }

    /// A thread-mode main thread that is no worker (starting up, starting threads) is the main
    /// process's time, however busy: the interpreter starting is no worker off its slot.
    #[test]
    fn a_main_thread_starting_up_is_no_worker_off_its_slot() {
        let mut a = Accounting::new(1);
        a.add(Reading {
            main_thread: true,
            tgid: 1,
            ..reading(1, None, 60_000_000, false)
        });
        a.add(Reading {
            tgid: 1,
            ..reading(2, Some(0), 60_000_000, true)
        });
        a.close_window(30_000_000);
        let sp = a.split(&[], &[]);
        assert!((sp.main_s - 0.06).abs() < 1e-9, "{sp:?}");
        assert_eq!(sp.on_plan_share(), Some(1.0));
        assert!(sp.unslotted.is_empty(), "{sp:?}");
        // Once the rules take it for a worker, its time off a slot counts against the plan.
        let mut a = Accounting::new(1);
        a.add(Reading {
            tgid: 1,
            ..reading(1, None, 60_000_000, false)
        });
        a.add(Reading {
            tgid: 1,
            ..reading(2, Some(0), 60_000_000, true)
        });
        assert_eq!(a.split(&[], &[]).on_plan_share(), Some(0.5));
    }

    #[test]
    fn time_is_split_by_where_it_ran_between_readings() {
        let mut a = Accounting::new(2);
        // Main process 1 (never a worker), worker 10 in slot 0 on plan, worker 11 unslotted.
        a.add(reading(1, None, 100_000_000, false));
        a.add(reading(10, Some(0), 600_000_000, true));
        a.add(reading(11, None, 300_000_000, false));
        // Worker 11 then gets slot 1: only what it ran since counts there.
        a.add(reading(11, Some(1), 400_000_000, true));
        let sp = a.split(&[1], &[]);
        assert!((sp.tree_s - 1.1).abs() < 1e-9);
        assert!((sp.main_s - 0.1).abs() < 1e-9);
        assert!((sp.on_plan_s - 0.7).abs() < 1e-9);
        assert_eq!(sp.slot_s, vec![0.6, 0.1]);
        assert_eq!(sp.unslotted.len(), 1);
        assert_eq!((sp.unslotted[0].0, sp.unslotted[0].2), (11, 0.3));
        // 0.7 of the workers' 1.0 s ran on the plan.
        assert!((sp.on_plan_share().unwrap() - 0.7).abs() < 1e-9);
    }

    #[test]
    fn a_stale_reading_adds_nothing() {
        let mut a = Accounting::new(1);
        a.add(reading(10, Some(0), 50_000_000, true));
        // The exit reading first, then a watchdog reading taken before it.
        a.add(reading(10, Some(0), 80_000_000, true));
        a.add(reading(10, Some(0), 70_000_000, true));
        a.add(reading(10, Some(0), 80_000_000, true));
        assert_eq!(a.split(&[], &[]).slot_s, vec![0.08]);
    }

    #[test]
    fn a_restart_forgets_the_launch_but_not_where_each_task_was() {
        let mut a = Accounting::new(1);
        a.add(reading(5, Some(0), 40_000_000, true));
        a.restart();
        a.add(reading(5, Some(0), 50_000_000, true));
        // Only the 10 ms since the restart count.
        assert_eq!(a.split(&[], &[]).slot_s, vec![0.01]);
    }

    #[test]
    fn a_spawner_waiting_on_its_children_is_no_worker_off_its_slot() {
        let mut a = Accounting::new(1);
        // make (20) runs 50 ms as a spawner, its compiler (21) 500 ms on its slot.
        a.add(Reading {
            spawner: true,
            ..reading(20, None, 5_000_000, false)
        });
        a.add(reading(21, Some(0), 500_000_000, true));
        // make ran 5 ms of a 100 ms window: idle, excused.
        a.close_window(100_000_000);
        let sp = a.split(&[], &[]);
        assert!((sp.spawners_s - 0.005).abs() < 1e-9);
        assert_eq!(sp.on_plan_share(), Some(1.0));
        assert!(sp.unslotted.is_empty());
    }

    #[test]
    fn a_spawner_that_computes_is_a_worker_off_its_slot() {
        let mut a = Accounting::new(1);
        // A Pool worker handed its slot to gzip and computes 90 ms of a 100 ms window.
        a.add(Reading {
            spawner: true,
            ..reading(10, None, 90_000_000, false)
        });
        a.close_window(100_000_000);
        let sp = a.split(&[], &[]);
        assert_eq!(sp.spawners_s, 0.0);
        assert_eq!(sp.on_plan_share(), Some(0.0));
        assert_eq!(sp.unslotted.len(), 1);
    }

    #[test]
    fn a_program_whose_workers_never_ran_has_no_share() {
        let mut a = Accounting::new(2);
        a.add(reading(1, None, 900_000_000, false));
        assert_eq!(a.split(&[1], &[]).on_plan_share(), None);
    }

    #[test]
    fn a_busy_task_on_a_loaded_machine_counts_its_wait_as_demand() {
        let mut a = Accounting::new(1);
        // Ran 30 ms and waited 60 ms of a 100 ms window: it wanted 90 % of a CPU.
        a.add(Reading {
            wait_ns: 60_000_000,
            ..reading(11, None, 30_000_000, false)
        });
        assert!((a.close_window(100_000_000)[&11] - 0.9).abs() < 1e-9);
        // Only the run time is CPU time.
        assert!((a.split(&[], &[]).tree_s - 0.03).abs() < 1e-9);
    }

    #[test]
    fn windows_give_each_key_its_share_and_start_over() {
        let mut a = Accounting::new(1);
        a.add(reading(10, Some(0), 50_000_000, true));
        a.add(reading(11, None, 100_000_000, false));
        let w = a.close_window(100_000_000);
        assert_eq!((w[&10], w[&11]), (0.5, 1.0));
        a.add(reading(10, Some(0), 60_000_000, true));
        let w = a.close_window(100_000_000);
        assert_eq!(w.len(), 1);
        assert!((w[&10] - 0.1).abs() < 1e-9);
    }
}
