//! The watchdog's side of preload placement (`--placer preload`): each tick, what the library
//! logged (claims, execs, exits) goes to the slot rules in the order it happened, then `/proc`
//! shows what it did not log (threads, processes it could not reach, processes gone without a
//! word). Nothing here runs when every task is traced.

use super::*;

/// A live process as `/proc` shows it in one tick.
struct Listed {
    p: Tid,
    threads: Vec<Tid>,
    /// The child processes its threads created.
    kids: Vec<Tid>,
    zombie: bool,
    mask: Option<CpuSet>,
}

/// One tick of preload placement: what the library logged (claims, execs, exits), then what
/// `/proc` shows that it did not (threads, processes it could not reach, processes gone
/// without a word). Nothing when every task is traced.
pub(super) fn inside(shared: &Shared, m: &Masks, expect: &Expect) {
    let procs = {
        let mut live = shared.live.lock().expect("live");
        if live.table.is_none() {
            return;
        }
        take_log(&mut live, m, expect);
        live.processes()
    };
    // The /proc reads without the lock the tracing thread needs at every event.
    let read_ns = monotonic_ns();
    let listed: Vec<Listed> = procs
        .into_iter()
        .map(|p| {
            let threads = task::threads(p);
            let kids = threads.iter().flat_map(|&t| task::children(p, t)).collect();
            Listed {
                p,
                mask: crate::affinity::get_affinity(p).ok(),
                zombie: task::is_zombie(p, p),
                threads,
                kids,
            }
        })
        .collect();
    let mut live = shared.live.lock().expect("live");
    // Claims made meanwhile come first: a child listed below may be one of them.
    take_log(&mut live, m, expect);
    let mut unreported = std::mem::take(&mut live.unreported);
    let mut fresh = HashSet::new();
    for Listed {
        p,
        threads,
        kids,
        zombie,
        mask,
    } in listed
    {
        if !live.tasks.contains_key(&p) {
            continue;
        }
        // Under a mask that is not where it was put (nothing moved it since the read).
        let moved_since = live
            .moves
            .get(&p)
            .is_some_and(|v| v.iter().any(|&(t, _)| t >= read_ns));
        let forking = live.table.as_ref().is_some_and(|t| t.forking(p));
        // Where the rules have it, or where the table does (the library moved it, and the
        // rules have not read that yet).
        let table_slot = live.table.as_ref().and_then(|t| t.slot_of(p));
        let placed = |m: &CpuSet| {
            m == expect.mask(live.slots.get(&p).copied()) || m == expect.mask(table_slot)
        };
        if !zombie
            && !moved_since
            && !forking
            && live.placed_by.contains_key(&p)
            && mask.as_ref().is_some_and(|m| !placed(m))
        {
            live.repinned_seen.insert(p);
        }
        // The roots are the tracer's: their end is reported to it.
        let root = live.plan.is_root(p);
        if !root && (threads.is_empty() || zombie) {
            gone_process(&mut live, m, expect, p, zombie);
            continue;
        }
        for &t in &threads {
            if let std::collections::hash_map::Entry::Vacant(v) = live.tasks.entry(t) {
                v.insert(p);
                live.born.insert(t, Instant::now());
                // A thread follows its process (process mode): nothing moves.
                let _ = live.plan.spawned(p, t, true);
            }
        }
        // A thread that ended between two ticks: its time up to the last tick was read, its
        // final counters were not.
        threads_ended(&mut live, p, &threads);
        for c in kids {
            // A child that ended (its zombie still listed) is not found again.
            if live.tasks.contains_key(&c) || live.recorded.contains(&c) {
                continue;
            }
            // A child just forked may not have run its fork handler yet: its claim is due. One
            // still unreported a tick later placed nothing itself.
            if unreported.remove(&c) {
                found(&mut live, m, p, c);
            } else {
                fresh.insert(c);
            }
        }
    }
    live.unreported = fresh;
}

/// The library's log since the last tick, fed to the slot rules in the order it happened.
pub(super) fn take_log(live: &mut Live, m: &Masks, expect: &Expect) {
    let Some(table) = live.table.as_mut() else {
        return;
    };
    for ev in table.drain() {
        match ev {
            preload::Event::Fork { pid, ppid, slot } => claimed(live, m, pid, ppid, slot, false),
            preload::Event::Exec {
                pid,
                ppid,
                slot,
                claimed: true,
                ..
            } => claimed(live, m, pid, ppid, slot, true),
            // The command's own process exec'd (a wrapper became the program): what ran
            // before was the launch's, as at a traced root's exec stop.
            preload::Event::Exec { pid, ns, .. } if live.plan.is_root(pid) => {
                live.main_exec_ns = ns;
                live.seen = vec![Seen::default(); live.seen.len()];
                live.epoch += 1;
                live.acct.restart();
                live.acct.renamed(pid);
                live.cmdlines.insert(pid, task::cmdline(pid));
            }
            // An exec of a placed process: the watchdog reads its new command line.
            preload::Event::Exec { .. } => {}
            preload::Event::Exit {
                pid,
                slot,
                counts,
                run_ns,
                wait_ns,
                ns,
            } => exit_logged(live, m, expect, pid, slot, counts, run_ns, wait_ns, ns),
        }
    }
}

/// A process the library placed (`slot` is what it claimed): the rules take it as a new
/// process of `ppid`, and correct the claim where they decide otherwise.
fn claimed(live: &mut Live, m: &Masks, pid: Tid, ppid: Tid, slot: Option<usize>, execed: bool) {
    if live.tasks.contains_key(&pid) {
        // Found in /proc before its claim was read: the library placed it all the same.
        if live.placed_by.get(&pid) == Some(&PlacedBy::Found) {
            if let Some(n) = live.placed.get_mut(&PlacedBy::Found.key()) {
                *n = n.saturating_sub(1);
            }
            live.placed(pid, PlacedBy::Library);
        }
        return;
    }
    // The holder the library found gone, which the rules still count: it ended first.
    if let Some(h) = slot.and_then(|k| live.plan.holder(k))
        && h != ppid
        && h != pid
        && task::threads(h).is_empty()
    {
        gone_process_unseen(live, m, h);
    }
    live.tasks.insert(pid, pid);
    live.born.insert(pid, Instant::now());
    // A new process under an id an ended one had.
    live.recorded.remove(&pid);
    // A forked child runs its creator's program until it execs; one that exec'd is read anew.
    if !execed && let Some(line) = live.cmdlines.get(&ppid).cloned() {
        live.cmdlines.insert(pid, line);
    }
    // Where the library put it, which a correction moves it from.
    if let Some(k) = slot {
        live.slots.insert(pid, k);
    }
    let moves = live.plan.spawned_at(ppid, pid, slot);
    let agree = live.plan.slot_of(pid) == slot;
    for mv in moves {
        if agree && mv.task == pid {
            // Where it put itself: only the bookkeeping.
            if let Place::Slot(s) = mv.to {
                live.slots.insert(pid, s);
            }
        } else {
            apply(mv, m.mode, &m.slots, &m.main, live);
        }
    }
    live.placed(
        pid,
        if agree {
            PlacedBy::Library
        } else {
            PlacedBy::Corrected
        },
    );
}

/// A child process the watchdog found in `/proc` that the library did not place: the rules
/// place it now.
fn found(live: &mut Live, m: &Masks, parent: Tid, child: Tid) {
    live.tasks.insert(child, child);
    live.born.insert(child, Instant::now());
    if let Some(line) = live.cmdlines.get(&parent).cloned() {
        live.cmdlines.insert(child, line);
    }
    for mv in live.plan.spawned(parent, child, false) {
        apply(mv, m.mode, &m.slots, &m.main, live);
    }
    live.placed(child, PlacedBy::Found);
}

/// The library logged a process's exit with its exiting thread's final counters.
#[allow(clippy::too_many_arguments)]
fn exit_logged(
    live: &mut Live,
    m: &Masks,
    expect: &Expect,
    pid: Tid,
    table_slot: Option<usize>,
    counts: TaskCounts,
    run_ns: Option<u64>,
    wait_ns: Option<u64>,
    ns: u64,
) {
    if !live.recorded.insert(pid) {
        return;
    }
    // Where it was when it exited, which a move made since did not reach.
    let slot = live.slot_at(pid, ns);
    // A launch helper that ended before the command's exec: its time is not the program's
    // (the accounting started over at the exec; read a tick late, its end would count after).
    let launch = ns < live.main_exec_ns;
    if let Some(run_ns) = run_ns.filter(|_| !launch) {
        live.acct.ended(pid);
        let on_plan = slot.is_some()
            && expect
                .slot_mask(slot)
                .zip(counts.mask.as_ref())
                .is_some_and(|(m, have)| Reading::inside(have, m));
        live.acct.add(Reading {
            tid: pid,
            tgid: pid,
            key: pid,
            slot,
            run_ns,
            wait_ns: wait_ns.unwrap_or(0),
            on_plan,
            spawner: live.plan.not_a_worker_now(pid),
            main_thread: false,
        });
    }
    // Where the rules had it then, or where the table said it was as it exited.
    let repinned = counts.mask.as_ref().is_some_and(|have| {
        have != expect.mask(table_slot) && !live.placed_around(pid, ns, expect, have)
    });
    if counts.migrations.is_none() {
        // A short process reads no /proc at its exit (the library's rule): its run time is
        // accounted above, its counters are unread.
        live.unread += 1;
        live.unread_processes += 1;
        if repinned {
            live.repinned_seen.insert(pid);
        }
        // A launch helper's too: `measure` keeps those from the command's exec on.
        live.short_ends.push(ShortEnd {
            slot,
            mask: counts.mask,
            last_cpu: counts.last_cpu,
            exit_ns: ns,
        });
    } else {
        live.records.push(TaskRecord {
            tid: pid,
            tgid: pid,
            slot,
            counts,
            repinned,
            exit_ns: ns,
            placed_by: live.placed_by.get(&pid).copied(),
        });
    }
    forget_process(live, m, pid);
}

/// A process gone without the library's word (killed, a static program, an exit through a
/// raw system call): a zombie's counters are final and read; one already reaped is unread.
fn gone_process(live: &mut Live, m: &Masks, expect: &Expect, p: Tid, zombie: bool) {
    if zombie && live.recorded.insert(p) {
        let counts = TaskCounts::read(p, p);
        let slot = live.slots.get(&p).copied();
        let spawner = live.plan.not_a_worker_now(p);
        if let Some(r) = Reading::take(p, p, p, slot, expect.slot_mask(slot), spawner, false) {
            live.acct.add(r);
        }
        let repinned = counts
            .mask
            .as_ref()
            .is_some_and(|have| have != expect.mask(slot));
        live.records.push(TaskRecord {
            tid: p,
            tgid: p,
            slot,
            counts,
            repinned,
            exit_ns: monotonic_ns(),
            placed_by: live.placed_by.get(&p).copied(),
        });
        forget_process(live, m, p);
    } else {
        gone_process_unseen(live, m, p);
    }
}

/// A process already reaped with nothing read at its end.
fn gone_process_unseen(live: &mut Live, m: &Masks, p: Tid) {
    if live.recorded.insert(p) {
        live.unread += 1;
        live.unread_processes += 1;
    }
    forget_process(live, m, p);
}

/// The threads of `p` (its first one aside) not among `alive` have ended, their final
/// counters unread: they leave the slot rules.
fn threads_ended(live: &mut Live, p: Tid, alive: &[Tid]) {
    let ended: Vec<Tid> = live
        .tasks
        .iter()
        .filter(|&(&t, &g)| g == p && t != p && !alive.contains(&t))
        .map(|(&t, _)| t)
        .collect();
    for t in ended {
        live.tasks.remove(&t);
        let _ = live.plan.exited(t);
        if live.recorded.insert(t) {
            live.unread += 1;
        }
    }
}

/// A process has ended: its threads with it, and its slot frees (rule 5).
pub(super) fn forget_process(live: &mut Live, m: &Masks, p: Tid) {
    threads_ended(live, p, &[]);
    live.tasks.remove(&p);
    live.slots.remove(&p);
    live.cmdlines.remove(&p);
    live.placed_by.remove(&p);
    live.moves.remove(&p);
    for mv in live.plan.exited(p) {
        apply(mv, m.mode, &m.slots, &m.main, live);
    }
}
