//! Why a scenario is in one profile only, and those scenarios grouped by why: a pair placement
//! one machine lacks, a worker count past one machine's CPUs, a role one machine's caches lack
//! (no L3)... one line per reason in `compare.md`, not one per scenario.

use std::collections::BTreeSet;
use std::fmt::{self, Write};

use super::{CompareRow, Presence};
use crate::report::ProfileResults;
use crate::store::{Status, SummaryRow};
use crate::workload::MachineCaches;

/// Why the other profile has no row to join with a measured one. `side` names the other profile
/// (`A`, `B`) in the texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unjoined {
    /// The other machine's caches lack what the role is sized after (`no L3`).
    RoleLacking { side: &'static str, lacking: String },
    /// The other did not measure this workload at all (a program of its own, a byte size, a
    /// family left out).
    Workload { side: &'static str },
    /// A pair placement the other machine does not have (one package, no SMT), or did not run.
    PairPlacement {
        side: &'static str,
        has: Vec<String>,
    },
    /// The other skipped this scenario, and said why (per-worker past its CPUs...).
    Skipped { side: &'static str, reason: String },
    /// The other ran no scenario with this many workers: past its allowed CPUs (`past` is that
    /// count) or none its sweep chose (it ran `ran`).
    WorkerCount {
        side: &'static str,
        past: Option<usize>,
        ran: Vec<usize>,
    },
    /// The other measured the workload, workers and strategy, not this model.
    Model { side: &'static str },
    /// The other did not run this strategy.
    Strategy { side: &'static str },
    /// The other ran every axis of it, not this combination (an antagonist, a pin-by).
    Combination { side: &'static str },
}

impl Unjoined {
    /// Why `row`, measured on one profile, has no partner in `other` (called `side`).
    pub fn of(row: &SummaryRow, other: &ProfileResults, side: &'static str) -> Self {
        let k = &row.key;
        let join = k.strategy.join_name();
        let measured: Vec<&SummaryRow> = other.ok().collect();
        if !measured.iter().any(|r| r.key.workload == k.workload) {
            let caches = MachineCaches::of(&other.profile);
            let lacking = k.workload.size_role().and_then(|role| {
                match k.workload.family().resolve_role(role, &caches) {
                    Some(_) => None,
                    None => role.lacking(&caches),
                }
            });
            return match lacking {
                Some(lacking) => Unjoined::RoleLacking { side, lacking },
                None => Unjoined::Workload { side },
            };
        }
        if k.strategy.pair_place().is_some()
            && !measured.iter().any(|r| r.key.strategy.join_name() == join)
        {
            let has: BTreeSet<String> = measured
                .iter()
                .filter(|r| r.key.strategy.pair_place().is_some())
                .map(|r| r.key.strategy.join_name())
                .collect();
            return Unjoined::PairPlacement {
                side,
                has: has.into_iter().collect(),
            };
        }
        let same = |r: &&SummaryRow| {
            r.key.workload == k.workload
                && r.key.strategy.join_name() == join
                && r.key.model == k.model
                && r.key.workers == k.workers
                && r.key.antagonist == k.antagonist
        };
        if let Some(s) = other
            .rows
            .iter()
            .filter(|r| r.status == Status::Skipped)
            .find(|r| same(r))
        {
            return Unjoined::Skipped {
                side,
                reason: s.reason.clone(),
            };
        }
        if !measured.iter().any(|r| r.key.workers == k.workers) {
            let allowed = other.profile.allowed.len();
            let ran: BTreeSet<usize> = measured.iter().map(|r| r.key.workers).collect();
            return Unjoined::WorkerCount {
                side,
                past: (k.workers > allowed).then_some(allowed),
                ran: ran.into_iter().collect(),
            };
        }
        if !measured.iter().any(|r| r.key.model == k.model) {
            return Unjoined::Model { side };
        }
        if !measured.iter().any(|r| r.key.strategy.join_name() == join) {
            return Unjoined::Strategy { side };
        }
        Unjoined::Combination { side }
    }
}

impl fmt::Display for Unjoined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[usize]| {
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Unjoined::RoleLacking { side, lacking } => {
                write!(f, "a role {side} lacks: {side} has {lacking}")
            }
            Unjoined::Workload { side } => write!(f, "a workload {side} did not measure"),
            Unjoined::PairPlacement { side, has } if has.is_empty() => {
                write!(
                    f,
                    "a pair placement {side} lacks ({side} has none measured)"
                )
            }
            Unjoined::PairPlacement { side, has } => write!(
                f,
                "a pair placement {side} lacks ({side} has {})",
                has.join(", ")
            ),
            Unjoined::Skipped { side, reason } => write!(f, "skipped on {side}: {reason}"),
            Unjoined::WorkerCount {
                side,
                past: Some(n),
                ran,
            } => write!(
                f,
                "a worker count past {side}'s {n} allowed CPU(s) ({side} ran {})",
                list(ran)
            ),
            Unjoined::WorkerCount {
                side,
                past: None,
                ran,
            } => write!(
                f,
                "a worker count {side}'s sweep did not run ({side} ran {})",
                list(ran)
            ),
            Unjoined::Model { side } => write!(f, "a model {side} did not run"),
            Unjoined::Strategy { side } => write!(f, "a strategy {side} did not run"),
            Unjoined::Combination { side } => {
                write!(f, "a combination {side} did not run (antagonist or pin-by)")
            }
        }
    }
}

/// The scenarios in one profile only, one line per side and reason: how many, and which
/// workloads, strategies, models and worker counts they span.
pub fn grouped(rows: &[CompareRow]) -> String {
    let mut groups: Vec<(Presence, &str, Vec<&CompareRow>)> = Vec::new();
    for r in rows.iter().filter(|r| r.present != Presence::Both) {
        let why = r.only_because.as_deref().unwrap_or("");
        match groups
            .iter_mut()
            .find(|(p, w, _)| *p == r.present && *w == why)
        {
            Some(g) => g.2.push(r),
            None => groups.push((r.present, why, vec![r])),
        }
    }
    groups.sort_by_key(|(p, w, g)| (p.as_str(), usize::MAX - g.len(), w.to_string()));
    let mut s = format!(
        "{} scenario(s) could not join, grouped by why:\n\n",
        groups.iter().map(|g| g.2.len()).sum::<usize>()
    );
    for (present, why, g) in groups {
        let distinct = |f: &dyn Fn(&CompareRow) -> String| {
            let mut seen: Vec<String> = Vec::new();
            for r in &g {
                let v = f(r);
                if !seen.contains(&v) {
                    seen.push(v);
                }
            }
            seen.join(", ")
        };
        let mut workloads: Vec<_> = g.iter().map(|r| r.workload).collect();
        workloads.sort();
        workloads.dedup();
        let mut counts: Vec<usize> = g.iter().map(|r| r.workers).collect();
        counts.sort_unstable();
        counts.dedup();
        let _ = writeln!(
            s,
            "- **{}, {}**: {why}. Workloads {}; strategies {}; models {}; workers {}",
            present.as_str(),
            g.len(),
            workloads
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            distinct(&|r| r.strategy.clone()),
            distinct(&|r| r.model.to_string()),
            counts
                .iter()
                .map(|c| format!("x{c}"))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    s
}
