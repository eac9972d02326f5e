//! Which task of a user's program is a worker, and which slot of the plan it runs in: a pure
//! state machine fed with the tree's events (a task started, exec'd, exited) that answers with
//! where each affected task must run. The tracer applies the answers; the rules live here alone.
//!
//! The rules (docs/ARCHITECTURE.md#your-own-program), for processes:
//!
//! 1. The command's own process (and whatever it execs into: a shell wrapper, a version
//!    manager's shim) is the main process. It runs under the main mask and is never a worker.
//! 2. A new process takes the lowest free slot the moment it is forked, before it runs. With no
//!    slot free it waits, under the main mask, and takes the next slot that frees (oldest waiter
//!    first): a helper alive at the wrong moment delays a worker, it never starves it.
//! 3. A slot holder that forks hands its slot down to the child and waits itself: the process
//!    that starts workers (a shell running the program, the program's main process under
//!    `sh -c`, a fork server) is a spawner, not a worker, and the work moved to the child. Once
//!    it has no live children again it queues for a slot like any waiter (a worker that ran
//!    `gzip` gets a slot back when `gzip` is done).
//! 4. A process that execs a command matching the helpers pattern (Python's resource tracker and
//!    fork server by default) is a helper: it gives its slot up and never takes one.
//! 5. A slot frees when its holder exits, hands it down, or turns out to be a helper.
//! 6. Slots follow the work. Rules 2-4 are a first guess made before a task runs; its CPU time
//!    corrects them ([`Slots::observed`], every window of the run): a task without a slot that
//!    was busy takes a free slot, or the slot of a holder that stayed idle (loky's resource
//!    tracker, forked first; a server process; a worker waiting on its own child). The idle
//!    holder goes to the main mask, except a child of the task taking the slot (the `gzip` a
//!    Pool worker keeps), which stays on the slot's CPUs with its parent. In thread mode a busy
//!    main thread is a worker too. These late pins are counted. Correctness does not depend on
//!    the helpers pattern: a helper it misses idles in its slot and loses it to a busy task. A
//!    task it names is never given a slot (its start-up, busy for a moment, would otherwise
//!    take a waiting worker's).
//!
//! With `--workers-are threads` every thread except a process's first is a worker, by the same
//! slot rules (2 and 5); processes run under the main mask. In each mode (`--each`) the i-th
//! copy of the command holds slot i for its whole life and its descendants inherit its mask.

use std::collections::{BTreeMap, VecDeque};

/// A kernel task id (a process's pid is its first thread's tid).
pub type Tid = i32;

/// Which tasks are the workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Child processes of the command (tree mode, the default).
    Processes,
    /// Threads of the command's processes (`--workers-are threads`).
    Threads,
    /// N copies of the command, one per slot (`--each`).
    Copies,
}

/// Where a task is to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Slot(usize),
    /// The main mask: the allowed set, or `inherited`'s mask.
    Main,
}

/// One instruction for the tracer: move `task` (a whole process in process modes, one thread
/// in thread mode) to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    pub task: Tid,
    pub to: Place,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Main,
    Candidate,
    Helper,
    /// A thread of a process (process modes), or a process (thread mode): follows its process
    /// or runs under the main mask, never a slot of its own.
    Follower,
}

#[derive(Debug, Clone)]
struct Task {
    parent: Option<Tid>,
    role: Role,
    slot: Option<usize>,
    live_children: usize,
    /// Ever waited with no slot free.
    waited: bool,
    /// Observation windows in a row in which it was busy.
    busy_windows: u32,
    /// Observation windows since it took its slot: a holder placed within the last window has
    /// not had one to show its work, and is never taken for idle.
    held_windows: u32,
}

/// A task's share of one CPU over an observation window under which it counts as busy, and
/// under which a slot holder counts as idle.
pub const BUSY: f64 = 0.5;
pub const IDLE: f64 = 0.1;

/// Windows in a row a main thread must be busy, after it started workers, to be one: starting
/// threads and collecting their results keeps it busy for a moment, computing beside them
/// (numpy's BLAS) for the whole run.
pub const MAIN_BUSY_WINDOWS: u32 = 3;

/// What became of the tasks of one run, for the results.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Tasks that held each slot, in order.
    pub holders: Vec<Vec<Tid>>,
    /// Candidates that had to wait for a free slot.
    pub waited: usize,
    /// Processes recognised as helpers.
    pub helpers: usize,
    /// Their process ids.
    pub helper_pids: Vec<Tid>,
    /// Slots given to a task by its behaviour (rule 6), after it had started elsewhere.
    pub late_pins: usize,
}

/// The slot state of one run.
#[derive(Debug, Clone)]
pub struct Slots {
    mode: Mode,
    holder: Vec<Option<Tid>>,
    tasks: BTreeMap<Tid, Task>,
    /// Candidates waiting for a slot, oldest first.
    queue: VecDeque<Tid>,
    tally: Tally,
}

impl Slots {
    /// `slots` slots and the command's root task(s): one root in tree modes, one per slot in
    /// each mode.
    pub fn new(mode: Mode, slots: usize) -> Self {
        Self {
            mode,
            holder: vec![None; slots],
            tasks: BTreeMap::new(),
            queue: VecDeque::new(),
            tally: Tally {
                holders: vec![Vec::new(); slots],
                ..Tally::default()
            },
        }
    }

    /// A root: the command's process in tree modes, copy `i` (holding slot `i`) in each mode.
    pub fn root(&mut self, tid: Tid, copy: Option<usize>) {
        let mut t = Task {
            parent: None,
            role: Role::Main,
            slot: None,
            live_children: 0,
            waited: false,
            busy_windows: 0,
            held_windows: 0,
        };
        if let Some(i) = copy.filter(|&i| i < self.holder.len()) {
            t.slot = Some(i);
            self.holder[i] = Some(tid);
            self.tally.holders[i].push(tid);
        }
        self.tasks.insert(tid, t);
    }

    /// A task `child` started by `parent` (a process, or a thread when `thread`). Returns where
    /// tasks must run now, the child first: it has not run yet.
    pub fn spawned(&mut self, parent: Tid, child: Tid, thread: bool) -> Vec<Move> {
        self.spawned_claiming(parent, child, thread, None)
    }

    /// A process that placed itself (the preload library): `claimed` is the slot it took (none:
    /// it found none free and waits under the main mask). The rules take the claim where they
    /// allow it: a slot they hold free (rule 2: which of two children forked at once gets the
    /// lower slot is the order their claims reached the table, not the order their reports
    /// reach the rules), or its creator's slot handed down (rule 3). Otherwise they decide as
    /// for any new process, and the moves they return correct the claim.
    pub fn spawned_at(&mut self, parent: Tid, child: Tid, claimed: Option<usize>) -> Vec<Move> {
        self.spawned_claiming(parent, child, false, Some(claimed))
    }

    fn spawned_claiming(
        &mut self,
        parent: Tid,
        child: Tid,
        thread: bool,
        claim: Option<Option<usize>>,
    ) -> Vec<Move> {
        let mut moves = Vec::new();
        let known_parent = self.tasks.contains_key(&parent);
        let role = match (self.mode, thread) {
            (Mode::Copies, _) | (Mode::Processes, true) => Role::Follower,
            (Mode::Processes, false) => Role::Candidate,
            (Mode::Threads, true) => Role::Candidate,
            (Mode::Threads, false) => Role::Follower,
        };
        self.tasks.insert(
            child,
            Task {
                parent: known_parent.then_some(parent),
                role,
                slot: None,
                live_children: 0,
                waited: false,
                busy_windows: 0,
                held_windows: 0,
            },
        );
        if self.mode == Mode::Processes && !thread && known_parent {
            self.tasks.get_mut(&parent).expect("known").live_children += 1;
        }
        match (self.mode, role) {
            (Mode::Processes, Role::Candidate) => {
                let handed = self
                    .tasks
                    .get(&parent)
                    .filter(|p| p.role == Role::Candidate)
                    .and_then(|p| p.slot);
                // A claim of a slot the rules hold free stands (the creator keeps the slot the
                // rules gave it, which the table did not show the child).
                let free_claim = claim
                    .flatten()
                    .filter(|&k| self.holder.get(k) == Some(&None));
                if let Some(k) = free_claim {
                    self.assign(child, k, &mut moves);
                } else if let Some(s) = handed {
                    // Rule 3: the spawner hands its slot down and waits.
                    self.tasks.get_mut(&parent).expect("known").slot = None;
                    self.assign(child, s, &mut moves);
                    moves.push(Move {
                        task: parent,
                        to: Place::Main,
                    });
                } else {
                    self.place_or_wait(child, &mut moves);
                }
            }
            (Mode::Threads, Role::Candidate) => self.place_or_wait(child, &mut moves),
            // A process started by a worker thread inherited that thread's slot mask.
            (Mode::Threads, _) => moves.push(Move {
                task: child,
                to: Place::Main,
            }),
            // Threads of a process follow it; descendants of a copy inherit its mask.
            _ => {}
        }
        moves
    }

    /// `tid` exec'd a new program; `helper` when its command line matches the helpers pattern.
    pub fn exec(&mut self, tid: Tid, helper: bool) -> Vec<Move> {
        let mut moves = Vec::new();
        if self.mode != Mode::Processes || !helper {
            return moves;
        }
        let Some(t) = self.tasks.get_mut(&tid) else {
            return moves;
        };
        if t.role != Role::Candidate {
            return moves;
        }
        t.role = Role::Helper;
        self.tally.helpers += 1;
        self.tally.helper_pids.push(tid);
        self.queue.retain(|&q| q != tid);
        if let Some(s) = t.slot.take() {
            self.holder[s] = None;
            moves.push(Move {
                task: tid,
                to: Place::Main,
            });
            self.promote(&mut moves);
        }
        moves
    }

    /// `tid` exited. Returns the moves of the tasks that take its slot.
    pub fn exited(&mut self, tid: Tid) -> Vec<Move> {
        let mut moves = Vec::new();
        let Some(t) = self.tasks.remove(&tid) else {
            return moves;
        };
        self.queue.retain(|&q| q != tid);
        if let Some(s) = t.slot {
            self.holder[s] = None;
        }
        let is_process = matches!(t.role, Role::Candidate | Role::Helper | Role::Main)
            && self.mode == Mode::Processes;
        if is_process && let Some(p) = t.parent.and_then(|p| self.tasks.get_mut(&p)) {
            p.live_children = p.live_children.saturating_sub(1);
            // Rule 3, the way back: a spawner with no children left queues for a slot.
            if p.live_children == 0 && p.role == Role::Candidate && p.slot.is_none() {
                let parent = t.parent.expect("has a parent");
                if !self.queue.contains(&parent) {
                    self.queue.push_back(parent);
                }
            }
        }
        self.promote(&mut moves);
        moves
    }

    /// Rule 6: each task's CPU share over the last window (`busy[key]`, key as the moves': a
    /// process in process modes, a thread in thread mode; tasks missing count as idle). Returns
    /// the late pins and the holders they displace.
    pub fn observed(&mut self, busy: &BTreeMap<Tid, f64>) -> Vec<Move> {
        let mut moves = Vec::new();
        if self.mode == Mode::Copies {
            return moves;
        }
        let share = |t: Tid| busy.get(&t).copied().unwrap_or(0.0);
        // The main thread computes beside its workers only once it has started some: before
        // that, its work is the program's start-up, not a worker's.
        let workers_started = self.tally.holders.iter().any(|h| !h.is_empty());
        for (&tid, t) in self.tasks.iter_mut() {
            t.busy_windows = if share(tid) >= BUSY && (t.role != Role::Main || workers_started) {
                t.busy_windows + 1
            } else {
                0
            };
        }
        let mut takers: Vec<Tid> = self
            .tasks
            .iter()
            .filter(|&(&tid, t)| {
                t.slot.is_none()
                    && share(tid) >= BUSY
                    && match t.role {
                        Role::Candidate => true,
                        Role::Helper => false,
                        // A busy main thread computes like a worker thread.
                        Role::Main => {
                            self.mode == Mode::Threads && t.busy_windows >= MAIN_BUSY_WINDOWS
                        }
                        Role::Follower => false,
                    }
            })
            .map(|(&tid, _)| tid)
            .collect();
        // The busiest first.
        takers.sort_by(|a, b| share(*b).total_cmp(&share(*a)).then(a.cmp(b)));
        for taker in takers {
            // A holder shows it idles over a whole window; a child the taker keeps need not
            // (it stays on the slot's CPUs: nothing moves back and forth).
            let settled = |h: Tid| {
                self.tasks
                    .get(&h)
                    .is_some_and(|t| t.held_windows > 0 || t.parent == Some(taker))
            };
            let slot = self.lowest_free().or_else(|| {
                self.holder
                    .iter()
                    .position(|h| h.is_some_and(|h| h != taker && settled(h) && share(h) < IDLE))
            });
            let Some(s) = slot else { break };
            if let Some(idle) = self.holder[s].take() {
                let kept_by_taker = self.tasks.get(&idle).and_then(|t| t.parent) == Some(taker);
                if let Some(t) = self.tasks.get_mut(&idle) {
                    t.slot = None;
                }
                if !kept_by_taker {
                    moves.push(Move {
                        task: idle,
                        to: Place::Main,
                    });
                }
            }
            self.queue.retain(|&q| q != taker);
            self.tally.late_pins += 1;
            self.assign(taker, s, &mut moves);
        }
        // Every holder has now had this window (a new one starts from the next).
        for h in self.holder.iter().flatten() {
            if let Some(t) = self.tasks.get_mut(h) {
                t.held_windows += 1;
            }
        }
        moves
    }

    /// Who holds slot `s`.
    pub fn holder(&self, s: usize) -> Option<Tid> {
        self.holder.get(s).copied().flatten()
    }

    /// The slot `tid` holds now (a thread of a process answers for its process).
    pub fn slot_of(&self, tid: Tid) -> Option<usize> {
        self.tasks.get(&tid).and_then(|t| t.slot)
    }

    /// Whether `tid` is the main process (or one of the copies in each mode).
    pub fn is_root(&self, tid: Tid) -> bool {
        self.tasks
            .get(&tid)
            .is_some_and(|t| t.role == Role::Main && t.parent.is_none())
    }

    /// Whether `tid` waits on children it handed its slot to (rule 3): a spawner (make, a
    /// compiler driver, a shell), placed under the main mask on purpose. One that stays busy
    /// (a worker computing while its child works) is no spawner: its time is a worker's.
    pub fn is_spawner(&self, tid: Tid) -> bool {
        self.tasks.get(&tid).is_some_and(|t| {
            t.role == Role::Candidate
                && t.slot.is_none()
                && t.live_children > 0
                && t.busy_windows == 0
        })
    }

    /// Whether the time `tid` runs now is no worker's: a spawner waiting on its children, or a
    /// thread-mode main thread without a slot. The accounting asks this of every reading.
    pub fn not_a_worker_now(&self, tid: Tid) -> bool {
        self.is_spawner(tid) || self.is_idle_main_thread(tid)
    }

    /// Whether `tid` is a thread-mode main thread that holds no slot: its time, until it is a
    /// worker, is the program's start-up or its waiting, not a worker's.
    pub fn is_idle_main_thread(&self, tid: Tid) -> bool {
        self.mode == Mode::Threads
            && self
                .tasks
                .get(&tid)
                .is_some_and(|t| t.role == Role::Main && t.slot.is_none())
    }

    /// Whether `tid` is a thread-mode main thread the rules do not take for a worker: no slot,
    /// and not yet busy [`MAIN_BUSY_WINDOWS`] windows in a row beside started workers. Its time
    /// is the program's own (the interpreter starting, its imports and data, starting threads,
    /// collecting results), the main process's as in process mode. Once it has computed that
    /// long beside its workers it is one, and its time off a slot counts against the plan (at
    /// most those windows, 90 ms, go unseen first).
    pub fn is_main_thread_not_a_worker(&self, tid: Tid) -> bool {
        self.is_idle_main_thread(tid)
            && self
                .tasks
                .get(&tid)
                .is_some_and(|t| t.busy_windows < MAIN_BUSY_WINDOWS)
    }

    pub fn tally(&self) -> &Tally {
        &self.tally
    }

    fn lowest_free(&self) -> Option<usize> {
        self.holder.iter().position(Option::is_none)
    }

    fn assign(&mut self, tid: Tid, slot: usize, moves: &mut Vec<Move>) {
        self.holder[slot] = Some(tid);
        self.tally.holders[slot].push(tid);
        let t = self.tasks.get_mut(&tid).expect("known task");
        t.slot = Some(slot);
        t.held_windows = 0;
        moves.push(Move {
            task: tid,
            to: Place::Slot(slot),
        });
    }

    fn place_or_wait(&mut self, tid: Tid, moves: &mut Vec<Move>) {
        match self.lowest_free() {
            Some(s) => self.assign(tid, s, moves),
            None => {
                let t = self.tasks.get_mut(&tid).expect("known task");
                if !t.waited {
                    t.waited = true;
                    self.tally.waited += 1;
                }
                self.queue.push_back(tid);
                moves.push(Move {
                    task: tid,
                    to: Place::Main,
                });
            }
        }
    }

    /// Free slots go to the oldest eligible waiters.
    fn promote(&mut self, moves: &mut Vec<Move>) {
        while let Some(s) = self.lowest_free() {
            let eligible = self.queue.iter().position(|q| {
                self.tasks.get(q).is_some_and(|t| {
                    t.role == Role::Candidate && t.slot.is_none() && t.live_children == 0
                })
            });
            let Some(i) = eligible else { break };
            let tid = self.queue.remove(i).expect("in the queue");
            self.assign(tid, s, moves);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(task: Tid, s: usize) -> Move {
        Move {
            task,
            to: Place::Slot(s),
        }
    }
    fn main(task: Tid) -> Move {
        Move {
            task,
            to: Place::Main,
        }
    }

    fn busy(shares: &[(Tid, f64)]) -> BTreeMap<Tid, f64> {
        shares.iter().copied().collect()
    }

    #[test]
    fn an_idle_first_child_gives_its_slot_to_a_busy_waiting_worker() {
        // loky: the resource tracker is forked first and takes slot 0; two workers follow, one
        // placed, one waiting under the main mask.
        let mut s = Slots::new(Mode::Processes, 2);
        s.root(1, None);
        assert_eq!(s.spawned(1, 5, false), [slot(5, 0)]);
        assert_eq!(s.spawned(1, 10, false), [slot(10, 1)]);
        assert_eq!(s.spawned(1, 11, false), [main(11)]);
        // Nothing moves while everyone is busy or nobody waits busy.
        assert_eq!(s.observed(&busy(&[(5, 0.9), (10, 1.0), (11, 1.0)])), []);
        // The tracker idles while worker 11 computes unplaced: it takes slot 0.
        assert_eq!(
            s.observed(&busy(&[(5, 0.0), (10, 1.0), (11, 0.97)])),
            [main(5), slot(11, 0)]
        );
        assert_eq!((s.slot_of(5), s.slot_of(11)), (None, Some(0)));
        assert_eq!(s.tally().late_pins, 1);
        // Settled: the same shares move nothing again.
        assert_eq!(s.observed(&busy(&[(5, 0.0), (10, 1.0), (11, 1.0)])), []);
        // The main process computing is never a worker in process mode.
        assert_eq!(s.observed(&busy(&[(1, 1.0), (5, 0.0)])), []);
    }

    #[test]
    fn a_claim_the_rules_allow_stands_and_one_they_do_not_is_corrected() {
        // Two children forked at once: the second's claim (slot 0) reached the table first, its
        // report the rules second. Both claims stand.
        let mut s = Slots::new(Mode::Processes, 2);
        s.root(1, None);
        assert_eq!(s.spawned_at(1, 11, Some(1)), [slot(11, 1)]);
        assert_eq!(s.spawned_at(1, 10, Some(0)), [slot(10, 0)]);
        // Nothing free: a third waits, as it found.
        assert_eq!(s.spawned_at(1, 12, None), [main(12)]);
        assert_eq!(s.tally().waited, 1);
        // A claim of a slot the rules hold for a live task is corrected: it waits.
        assert_eq!(s.spawned_at(1, 13, Some(0)), [main(13)]);
        // A holder's child takes its slot (rule 3), claimed or not.
        assert_eq!(s.spawned_at(10, 20, Some(0)), [slot(20, 0), main(10)]);
        // A claim of a free slot while the creator holds another (the table did not show the
        // child its creator's): the claim stands, the creator keeps its slot.
        s.exited(11);
        assert_eq!(
            s.slot_of(12),
            Some(1),
            "the oldest waiter took the freed slot"
        );
        s.exited(12);
        assert_eq!(s.slot_of(13), Some(1), "the next waiter took it");
        s.exited(13);
        assert_eq!(s.spawned_at(20, 30, Some(1)), [slot(30, 1)]);
        assert_eq!(s.slot_of(20), Some(0));
    }

    #[test]
    fn a_worker_that_keeps_a_child_takes_its_slot_back_and_the_child_stays_with_it() {
        // A Pool worker's initializer opens `gzip -c` as a pipe: rule 3 hands the slot down.
        let mut s = Slots::new(Mode::Processes, 1);
        s.root(1, None);
        assert_eq!(s.spawned(1, 10, false), [slot(10, 0)]);
        assert_eq!(s.spawned(10, 20, false), [slot(20, 0), main(10)]);
        // Waiting on gzip, the worker is a spawner (its time no worker's).
        assert!(s.is_spawner(10));
        // gzip idles while the worker computes: the worker takes its slot back at the first
        // window (gzip, its own child, stays on the slot's CPU: no move), no longer a spawner.
        assert_eq!(s.observed(&busy(&[(10, 1.0), (20, 0.01)])), [slot(10, 0)]);
        assert!(!s.is_spawner(10));
        assert_eq!((s.slot_of(10), s.slot_of(20)), (Some(0), None));
        // gzip's exit frees nothing the worker holds.
        assert_eq!(s.exited(20), []);
        assert_eq!(s.slot_of(10), Some(0));
    }

    #[test]
    fn a_busy_main_thread_is_a_worker_in_thread_mode() {
        // numpy with two BLAS threads: the main thread and one helper thread.
        let mut s = Slots::new(Mode::Threads, 2);
        s.root(1, None);
        assert_eq!(s.spawned(1, 2, true), [slot(2, 0)]);
        // Busy for a window or two: starting threads, collecting results.
        assert_eq!(s.observed(&busy(&[(1, 0.99), (2, 0.98)])), []);
        assert_eq!(s.observed(&busy(&[(1, 0.99), (2, 0.98)])), []);
        assert_eq!(s.observed(&busy(&[(1, 0.99), (2, 0.98)])), [slot(1, 1)]);
        // Busy before it started any thread: its start-up, not a worker's work.
        let mut u = Slots::new(Mode::Threads, 2);
        u.root(1, None);
        for _ in 0..5 {
            assert_eq!(u.observed(&busy(&[(1, 1.0)])), []);
        }
        // Its time then is the main process's; and beside a worker until it has been busy
        // three windows, when the rule takes it for a worker (here with no slot left for it).
        assert!(u.is_main_thread_not_a_worker(1));
        u.spawned(1, 2, true);
        u.spawned(1, 3, true);
        for w in 0..3 {
            assert!(u.is_main_thread_not_a_worker(1), "window {w}");
            assert_eq!(u.observed(&busy(&[(1, 1.0), (2, 1.0), (3, 1.0)])), []);
        }
        assert!(!u.is_main_thread_not_a_worker(1) && u.is_idle_main_thread(1));
        // An idle busy-threshold miss moves nothing.
        let mut t = Slots::new(Mode::Threads, 2);
        t.root(1, None);
        t.spawned(1, 2, true);
        assert_eq!(t.observed(&busy(&[(1, 0.3), (2, 0.98)])), []);
    }

    #[test]
    fn an_unnamed_helper_loses_its_slot_and_a_named_one_never_takes_one() {
        let mut s = Slots::new(Mode::Processes, 1);
        s.root(1, None);
        // A tracker the pattern misses takes the slot at its fork, then idles.
        assert_eq!(s.spawned(1, 10, false), [slot(10, 0)]);
        assert_eq!(s.spawned(1, 11, false), [main(11)]);
        assert_eq!(s.observed(&busy(&[(10, 0.0), (11, 1.0)])), []);
        assert_eq!(
            s.observed(&busy(&[(10, 0.0), (11, 1.0)])),
            [main(10), slot(11, 0)]
        );
        // A named helper starting up (busy for a moment) takes no idle slot.
        let mut t = Slots::new(Mode::Processes, 1);
        t.root(1, None);
        assert_eq!(t.spawned(1, 10, false), [slot(10, 0)]);
        assert_eq!(t.spawned(1, 12, false), [main(12)]);
        assert_eq!(t.exec(12, true), []);
        assert_eq!(t.observed(&busy(&[(10, 0.0), (12, 1.0)])), []);
    }

    #[test]
    fn a_pool_fills_the_slots_and_a_recycled_worker_takes_the_freed_one() {
        let mut s = Slots::new(Mode::Processes, 2);
        s.root(1, None);
        assert_eq!(s.spawned(1, 10, false), [slot(10, 0)]);
        assert_eq!(s.spawned(1, 11, false), [slot(11, 1)]);
        // The pool's own threads in the main process follow it.
        assert_eq!(s.spawned(1, 2, true), []);
        // maxtasksperchild: worker 10 exits, its replacement takes slot 0.
        assert_eq!(s.exited(10), []);
        assert_eq!(s.spawned(1, 12, false), [slot(12, 0)]);
        assert_eq!(s.tally().holders, [vec![10, 12], vec![11]]);
        assert_eq!(s.tally().waited, 0);
    }

    #[test]
    fn a_wrapper_shell_hands_its_slot_to_the_program_it_runs() {
        // sh -c 'python3 pool.py': sh is the root, python takes slot 0, then starts workers.
        let mut s = Slots::new(Mode::Processes, 2);
        s.root(1, None);
        assert_eq!(s.spawned(1, 5, false), [slot(5, 0)]);
        assert_eq!(s.spawned(5, 10, false), [slot(10, 0), main(5)]);
        assert!(s.is_spawner(5) && !s.is_spawner(10));
        assert_eq!(s.spawned(5, 11, false), [slot(11, 1)]);
        // Both workers placed, python's main process under the main mask.
        assert_eq!(s.slot_of(5), None);
        assert_eq!((s.slot_of(10), s.slot_of(11)), (Some(0), Some(1)));
    }

    #[test]
    fn a_short_helper_delays_a_worker_but_never_starves_it() {
        let mut s = Slots::new(Mode::Processes, 1);
        s.root(1, None);
        // A shim's helper holds the only slot when the worker starts.
        assert_eq!(s.spawned(1, 7, false), [slot(7, 0)]);
        assert_eq!(s.spawned(1, 8, false), [main(8)]);
        assert_eq!(s.tally().waited, 1);
        // The helper exits: the waiting worker takes the slot.
        assert_eq!(s.exited(7), [slot(8, 0)]);
    }

    #[test]
    fn a_worker_that_runs_a_subprocess_gets_its_slot_back() {
        let mut s = Slots::new(Mode::Processes, 1);
        s.root(1, None);
        s.spawned(1, 10, false);
        assert_eq!(s.spawned(10, 20, false), [slot(20, 0), main(10)]);
        assert_eq!(s.exited(20), [slot(10, 0)]);
    }

    #[test]
    fn helpers_give_their_slot_up_for_good() {
        let mut s = Slots::new(Mode::Processes, 2);
        s.root(1, None);
        s.spawned(1, 3, false); // resource tracker, forked: slot 0
        s.spawned(1, 10, false); // a worker: slot 1
        s.spawned(1, 11, false); // a worker: waits
        assert_eq!(s.exec(3, true), [main(3), slot(11, 0)]);
        assert_eq!(s.tally().helpers, 1);
        // The helper never comes back for a slot.
        s.exited(10);
        assert_eq!(s.slot_of(3), None);
    }

    #[test]
    fn a_fork_server_is_a_spawner_even_unrecognised() {
        let mut s = Slots::new(Mode::Processes, 2);
        s.root(1, None);
        s.spawned(1, 4, false); // fork server
        s.spawned(4, 10, false);
        s.spawned(4, 11, false);
        assert_eq!(
            (s.slot_of(10), s.slot_of(11), s.slot_of(4)),
            (Some(0), Some(1), None)
        );
    }

    #[test]
    fn thread_mode_places_threads_and_keeps_processes_on_the_main_mask() {
        let mut s = Slots::new(Mode::Threads, 2);
        s.root(1, None);
        assert_eq!(s.spawned(1, 2, true), [slot(2, 0)]);
        assert_eq!(s.spawned(1, 3, true), [slot(3, 1)]);
        assert_eq!(s.spawned(2, 9, false), [main(9)]);
        assert_eq!(s.spawned(1, 4, true), [main(4)]);
        assert_eq!(s.exited(2), [slot(4, 0)]);
    }

    #[test]
    fn copies_hold_their_slot_and_their_children_inherit() {
        let mut s = Slots::new(Mode::Copies, 2);
        s.root(1, Some(0));
        s.root(2, Some(1));
        assert_eq!(s.spawned(1, 5, false), []);
        assert_eq!(s.slot_of(1), Some(0));
        assert_eq!(s.slot_of(2), Some(1));
        assert!(s.is_root(2));
    }
}
