//! Why a verdict came out as it did: the mechanism that differs most between a strategy and
//! `none`, as one short sentence with both figures ("workers waited for a CPU 48 % of the run
//! (none: 3 %): both on CPU 0").
//!
//! The inputs are what was measured (each side's [`Mechanisms`]) and what the plan and the
//! topology say ([`Facts`]); the sentence comes from [`RULES`], a table tried in order, where
//! the first rule whose mechanism differs in the direction of the verdict speaks. A rule never
//! speaks for a difference it does not see: where nothing measured accounts for the verdict,
//! the sentence says so, and identical placements are never given a cause.
//! The contract is `docs/ARCHITECTURE.md#judging-a-difference`.

mod place;

use crate::stats::Verdict;
use crate::strategy::PairPlace;

pub use place::{antagonist_shares, crowding, pair_place};

/// What was measured of one scenario, medians over its successful repetitions; `None` where
/// the figure was not measured (an empty cell, never 0).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Mechanisms {
    /// Seconds the workers waited, runnable, for a CPU, over workers x the run's seconds.
    pub wait_share: Option<f64>,
    /// The workers' migrations per second (for a program, its tree's without its main
    /// process's).
    pub migrations_per_s: Option<f64>,
    /// A program's main process (`exec`): its migrations per second.
    pub main_migrations_per_s: Option<f64>,
    pub involuntary_per_s: Option<f64>,
    /// Periods the cgroup's CPU quota throttled, per second.
    pub throttled_per_s: Option<f64>,
    /// Hardware counters (`--counting perf`, where the machine has them).
    pub cache_misses_per_op: Option<f64>,
    pub instructions_per_cycle: Option<f64>,
}

/// What the plan, the topology and the verdict say of the strategy's scenario.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub verdict: Option<Verdict>,
    /// The speedup over `none` (its point estimate): the direction of an inconclusive verdict.
    pub speedup: Option<f64>,
    /// A user's program (`exec`): its wait is its whole tree's, main process included.
    pub program: bool,
    /// The workers talk in pairs (ping-pong): where the two ends sit decides the wake-ups.
    pub pairs: bool,
    /// The first pair's two CPUs and how they relate, when both ends are pinned to one CPU.
    pub pair: Option<(PairPlace, usize, usize)>,
    /// Workers the plan puts on shared CPUs (`both on CPU 0`), from [`crowding`].
    pub crowded: Option<String>,
    /// A worker pinned where the antagonist runs (`worker 0 shares CPU 1 with the
    /// antagonist`), from [`antagonist_shares`].
    pub antagonist: Option<String>,
}

/// Which way the strategy differs from `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Faster,
    Slower,
    /// No difference: a rule may still name what differed without mattering.
    Neither,
}

impl Facts {
    /// Whose figures a sentence gives: a program's whole tree, or the workers.
    fn who(&self) -> &'static str {
        if self.program {
            "the program's tasks"
        } else {
            "workers"
        }
    }

    fn direction(&self) -> Option<Direction> {
        match self.verdict? {
            Verdict::Faster => Some(Direction::Faster),
            Verdict::Slower => Some(Direction::Slower),
            Verdict::Inconclusive => match self.speedup {
                Some(s) if s > 1.0 => Some(Direction::Faster),
                Some(s) if s < 1.0 => Some(Direction::Slower),
                _ => Some(Direction::Neither),
            },
            Verdict::NoDifference => Some(Direction::Neither),
            Verdict::SamePlacement | Verdict::Insufficient | Verdict::NotAchieved => None,
        }
    }
}

/// What a rule reads: the strategy's figures, `none`'s, the facts, and which way to explain.
pub struct Case<'a> {
    pub strategy: &'a Mechanisms,
    pub none: &'a Mechanisms,
    pub facts: &'a Facts,
    pub direction: Direction,
}

/// One rule of the table: its name (for tests and docs) and the sentence it gives, if its
/// mechanism differs in the case's direction.
pub struct Rule {
    pub name: &'static str,
    pub explain: fn(&Case) -> Option<String>,
}

/// A share that counts as a difference: this many percentage points, and 1.5x.
const WAIT_POINTS: f64 = 0.05;
const WAIT_RATIO: f64 = 1.5;
/// A rate that counts as a difference: 2x, and this many events per second apart.
const RATE_RATIO: f64 = 2.0;
const RATE_GAP: f64 = 10.0;
/// Hardware figures: 1.5x cache misses per operation, 10 % instructions per cycle.
const MISS_RATIO: f64 = 1.5;
const IPC_RATIO: f64 = 1.1;

/// The rules, tried in this order; the first that speaks gives the sentence.
pub const RULES: &[Rule] = &[
    Rule {
        name: "pair-on-one-cpu",
        explain: pair_on_one_cpu,
    },
    Rule {
        name: "cpu-wait",
        explain: cpu_wait,
    },
    Rule {
        name: "pair-apart",
        explain: pair_apart,
    },
    Rule {
        name: "main-process-moved",
        explain: main_process_moved,
    },
    Rule {
        name: "woken-together",
        explain: woken_together,
    },
    Rule {
        name: "migrations",
        explain: migrations,
    },
    Rule {
        name: "preemptions",
        explain: preemptions,
    },
    Rule {
        name: "throttling",
        explain: throttling,
    },
    Rule {
        name: "cache-misses",
        explain: cache_misses,
    },
    Rule {
        name: "instructions-per-cycle",
        explain: instructions_per_cycle,
    },
];

/// The sentence for one judged scenario; `None` where there is no verdict to explain (too few
/// samples, a placement not achieved: their reason is said elsewhere) or for `none` itself.
pub fn why(strategy: &Mechanisms, none: &Mechanisms, facts: &Facts) -> Option<String> {
    if facts.verdict == Some(Verdict::SamePlacement) {
        return Some("same placement as none: nothing differs to explain".into());
    }
    let direction = facts.direction()?;
    let case = |direction| Case {
        strategy,
        none,
        facts,
        direction,
    };
    if direction == Direction::Neither {
        // Something may have differed without changing throughput: that is worth knowing.
        return Some(
            [Direction::Faster, Direction::Slower]
                .into_iter()
                .find_map(|d| RULES.iter().find_map(|r| (r.explain)(&case(d))))
                .map_or("nothing measured differs from none".into(), |s| {
                    format!("{s}, without a difference in throughput")
                }),
        );
    }
    let c = case(direction);
    Some(
        RULES
            .iter()
            .find_map(|r| (r.explain)(&c))
            .unwrap_or_else(|| {
                if facts.verdict == Some(Verdict::Inconclusive) {
                    // No difference was shown, so there is no cause to miss.
                    "nothing measured differs from none".into()
                } else {
                    no_cause(strategy, none)
                }
            }),
    )
}

fn no_cause(s: &Mechanisms, n: &Mechanisms) -> String {
    let counted =
        |m: &Mechanisms| m.cache_misses_per_op.is_some() || m.instructions_per_cycle.is_some();
    if counted(s) && counted(n) {
        "no measured cause: CPU wait, migrations, preemptions and cache misses are alike".into()
    } else {
        "no measured cause: cache and memory counters unavailable here".into()
    }
}

/// Whether `s` exceeds `n` by `ratio` and `gap` (both known).
fn above(s: Option<f64>, n: Option<f64>, ratio: f64, gap: f64) -> bool {
    matches!((s, n), (Some(s), Some(n)) if s - n >= gap && s >= n * ratio)
}

/// Whether a figure where more is worse moved the case's way: more of it and slower, or less
/// of it and faster.
fn worse_explains(c: &Case, s: Option<f64>, n: Option<f64>, ratio: f64, gap: f64) -> bool {
    match c.direction {
        Direction::Slower => above(s, n, ratio, gap),
        Direction::Faster => above(n, s, ratio, gap),
        Direction::Neither => false,
    }
}

/// `48 %`, `0.4 %`.
pub fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p > 0.0 && p < 1.0 {
        format!("{p:.1} %")
    } else {
        format!("{p:.0} %")
    }
}

/// `9,800`, `3.2`: a rate as people read it.
pub fn count(v: f64) -> String {
    if v.abs() < 10.0 && v.fract() != 0.0 {
        return format!("{v:.1}");
    }
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if v < 0.0 { format!("-{out}") } else { out }
}

/// The measured sign that a pair's ends shared a CPU more (`together`) or less than `none`'s:
/// the ends preempting each other (the woken end takes the CPU from the one that woke it), or
/// `none` moving its ends about (the scheduler pulling them together and apart); `None` when
/// neither differs, so the placement alone is no explanation.
fn pair_evidence(c: &Case, together: bool) -> Option<String> {
    let (s, n) = (c.strategy.involuntary_per_s, c.none.involuntary_per_s);
    let preempted = if together {
        above(s, n, RATE_RATIO, RATE_GAP)
    } else {
        above(n, s, RATE_RATIO, RATE_GAP)
    };
    if preempted {
        return Some(format!(
            "ends preempted each other {} times/s; none: {}/s",
            count(s?),
            count(n?)
        ));
    }
    let (s, n) = (c.strategy.migrations_per_s, c.none.migrations_per_s);
    above(n, s, RATE_RATIO, RATE_GAP).then(|| {
        format!(
            "migrations {}/s; none: {}/s",
            count(s.unwrap_or_default()),
            count(n.unwrap_or_default())
        )
    })
}

/// Both ends of a talking pair on one CPU, faster, where `none`'s ends measurably did not
/// share one: the wake-ups never leave that CPU.
fn pair_on_one_cpu(c: &Case) -> Option<String> {
    let (PairPlace::SameCpu, cpu, _) = c.facts.pair? else {
        return None;
    };
    if !c.facts.pairs || c.direction != Direction::Faster {
        return None;
    }
    let evidence = pair_evidence(c, true)?;
    Some(format!(
        "both ends on CPU {cpu}: no wake-up crosses CPUs ({evidence})"
    ))
}

/// The workers waited for a CPU (shared by the plan, or with the antagonist) more, and were
/// slower; or less, and were faster.
fn cpu_wait(c: &Case) -> Option<String> {
    let (s, n) = (c.strategy.wait_share, c.none.wait_share);
    if !worse_explains(c, s, n, WAIT_RATIO, WAIT_POINTS) {
        return None;
    }
    let who = c.facts.who();
    let mut text = format!(
        "{who} waited for a CPU {} of the run (none: {})",
        percent(s?),
        percent(n?)
    );
    if c.direction == Direction::Slower
        && let Some(where_) = c.facts.crowded.as_ref().or(c.facts.antagonist.as_ref())
    {
        text.push_str(": ");
        text.push_str(where_);
    }
    Some(text)
}

/// The two ends of a talking pair pinned to different CPUs, slower, where `none`'s ends
/// measurably shared one: every round trip wakes the other CPU.
fn pair_apart(c: &Case) -> Option<String> {
    let (place, a, b) = c.facts.pair?;
    if !c.facts.pairs || place == PairPlace::SameCpu || c.direction != Direction::Slower {
        return None;
    }
    let evidence = pair_evidence(c, false)?;
    Some(format!(
        "ends pinned apart ({}, CPUs {a} and {b}): every round trip wakes another CPU ({evidence})",
        place.label()
    ))
}

/// A program's main process (no worker, never pinned) moved more, slower (or less, faster):
/// the workers' pins left it fewer places to run.
fn main_process_moved(c: &Case) -> Option<String> {
    let (s, n) = (
        c.strategy.main_migrations_per_s,
        c.none.main_migrations_per_s,
    );
    worse_explains(c, s, n, RATE_RATIO, RATE_GAP).then(|| {
        format!(
            "the program's main process moved between CPUs {} times/s (none: {}/s)",
            count(s.unwrap_or_default()),
            count(n.unwrap_or_default())
        )
    })
}

/// Faster with the workers preempting each other more and moving less than `none`'s: pinned
/// workers that hand work to each other (a queue's producers and consumer) are woken on the
/// CPU of the one that woke them, where `none` sent the wake-up across. The pair rule's
/// mechanism, for a workload that is not pairs.
fn woken_together(c: &Case) -> Option<String> {
    if c.direction != Direction::Faster {
        return None;
    }
    let (si, ni) = (c.strategy.involuntary_per_s, c.none.involuntary_per_s);
    let (sm, nm) = (c.strategy.migrations_per_s, c.none.migrations_per_s);
    (above(si, ni, RATE_RATIO, RATE_GAP) && above(nm, sm, RATE_RATIO, RATE_GAP)).then(|| {
        format!(
            "{} were woken on the CPU of the one that woke them: preempted each other {} times/s (none: {}/s), moved between CPUs {}/s (none: {}/s)",
            c.facts.who(),
            count(si.unwrap_or_default()),
            count(ni.unwrap_or_default()),
            count(sm.unwrap_or_default()),
            count(nm.unwrap_or_default())
        )
    })
}

fn migrations(c: &Case) -> Option<String> {
    let (s, n) = (c.strategy.migrations_per_s, c.none.migrations_per_s);
    worse_explains(c, s, n, RATE_RATIO, RATE_GAP).then(|| {
        format!(
            "workers moved between CPUs {} times/s (none: {}/s)",
            count(s.unwrap_or_default()),
            count(n.unwrap_or_default())
        )
    })
}

fn preemptions(c: &Case) -> Option<String> {
    let (s, n) = (c.strategy.involuntary_per_s, c.none.involuntary_per_s);
    worse_explains(c, s, n, RATE_RATIO, RATE_GAP).then(|| {
        format!(
            "{} were preempted {} times/s (none: {}/s)",
            c.facts.who(),
            count(s.unwrap_or_default()),
            count(n.unwrap_or_default())
        )
    })
}

fn throttling(c: &Case) -> Option<String> {
    let (s, n) = (c.strategy.throttled_per_s, c.none.throttled_per_s);
    worse_explains(c, s, n, RATE_RATIO, 1.0).then(|| {
        format!(
            "the cgroup's CPU quota throttled {} periods/s (none: {}/s)",
            count(s.unwrap_or_default()),
            count(n.unwrap_or_default())
        )
    })
}

fn cache_misses(c: &Case) -> Option<String> {
    let (s, n) = (c.strategy.cache_misses_per_op, c.none.cache_misses_per_op);
    worse_explains(c, s, n, MISS_RATIO, 0.0).then(|| {
        format!(
            "{} cache misses per operation (none: {})",
            count(s.unwrap_or_default()),
            count(n.unwrap_or_default())
        )
    })
}

fn instructions_per_cycle(c: &Case) -> Option<String> {
    // Fewer instructions per cycle is worse: compare the inverse (cycles per instruction).
    let inv = |v: Option<f64>| v.filter(|v| *v > 0.0).map(|v| 1.0 / v);
    let (s, n) = (
        c.strategy.instructions_per_cycle,
        c.none.instructions_per_cycle,
    );
    worse_explains(c, inv(s), inv(n), IPC_RATIO, 0.0).then(|| {
        format!(
            "{:.2} instructions per cycle (none: {:.2})",
            s.unwrap_or_default(),
            n.unwrap_or_default()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(verdict: Verdict) -> Facts {
        Facts {
            verdict: Some(verdict),
            speedup: Some(match verdict {
                Verdict::Faster => 1.5,
                Verdict::Slower => 0.5,
                _ => 1.0,
            }),
            ..Default::default()
        }
    }

    fn m(wait: f64, migrations: f64) -> Mechanisms {
        Mechanisms {
            wait_share: Some(wait),
            migrations_per_s: Some(migrations),
            involuntary_per_s: Some(5.0),
            throttled_per_s: None,
            ..Default::default()
        }
    }

    /// The rule that speaks for a case, by name.
    fn rule_for(s: &Mechanisms, n: &Mechanisms, f: &Facts) -> Option<&'static str> {
        let c = Case {
            strategy: s,
            none: n,
            facts: f,
            direction: f.direction()?,
        };
        RULES
            .iter()
            .find(|r| (r.explain)(&c).is_some())
            .map(|r| r.name)
    }

    #[test]
    fn workers_that_hand_work_to_each_other_are_woken_together() {
        // ipc:queue x4 pinned on two CPUs, 1.5x faster: preempted 3,873/s (none 366/s), no
        // migrations (none 62/s), waiting a little less.
        let f = facts(Verdict::Faster);
        let s = Mechanisms {
            involuntary_per_s: Some(3873.0),
            ..m(0.41, 0.0)
        };
        let n = Mechanisms {
            involuntary_per_s: Some(366.0),
            ..m(0.47, 62.0)
        };
        assert_eq!(rule_for(&s, &n, &f), Some("woken-together"));
        // Fewer migrations alone, preemptions alike: the migrations rule, as before.
        let s = m(0.41, 0.0);
        let n = m(0.47, 62.0);
        assert_eq!(rule_for(&s, &n, &f), Some("migrations"));
        // Slower with more preemptions is not this (more preemptions hurt there).
        let f = facts(Verdict::Slower);
        let s = Mechanisms {
            involuntary_per_s: Some(3873.0),
            ..m(0.47, 62.0)
        };
        let n = Mechanisms {
            involuntary_per_s: Some(366.0),
            ..m(0.47, 62.0)
        };
        assert_ne!(rule_for(&s, &n, &f), Some("woken-together"));
    }

    #[test]
    fn two_workers_on_one_cpu_waited_for_it() {
        let mut f = facts(Verdict::Slower);
        f.crowded = Some("both on CPU 0".into());
        let w = why(&m(0.48, 0.0), &m(0.03, 40.0), &f).unwrap();
        assert_eq!(
            w,
            "workers waited for a CPU 48 % of the run (none: 3 %): both on CPU 0"
        );
        assert_eq!(
            rule_for(&m(0.48, 0.0), &m(0.03, 40.0), &f),
            Some("cpu-wait")
        );
    }

    #[test]
    fn a_pair_on_one_cpu_keeps_its_wake_ups_there() {
        let mut f = facts(Verdict::Faster);
        f.pairs = true;
        f.pair = Some((PairPlace::SameCpu, 0, 0));
        let w = why(&m(0.2, 0.0), &m(0.01, 9800.0), &f).unwrap();
        assert_eq!(
            w,
            "both ends on CPU 0: no wake-up crosses CPUs (migrations 0/s; none: 9,800/s)"
        );
        // The ends preempting each other is the other sign of a shared CPU.
        let mut s = m(0.2, 0.0);
        s.involuntary_per_s = Some(90_000.0);
        assert_eq!(
            why(&s, &m(0.01, 1.0), &f).unwrap(),
            "both ends on CPU 0: no wake-up crosses CPUs (ends preempted each other 90,000 times/s; none: 5/s)"
        );
        // None's ends shared a CPU as much (as many preemptions, no migrations): the
        // placement is no difference, and this rule stays silent.
        let mut n = s;
        n.wait_share = Some(0.2);
        assert_eq!(rule_for(&s, &n, &f), None);
        // The same pair, slower (a spinning pair that needs two CPUs): the wait speaks instead.
        let mut f = facts(Verdict::Slower);
        f.pairs = true;
        f.pair = Some((PairPlace::SameCpu, 0, 0));
        assert_eq!(
            rule_for(&m(0.45, 0.0), &m(0.01, 50.0), &f),
            Some("cpu-wait")
        );
    }

    #[test]
    fn a_pair_pinned_apart_wakes_another_cpu() {
        let mut f = facts(Verdict::Slower);
        f.pairs = true;
        f.pair = Some((PairPlace::OtherCache, 0, 4));
        let mut n = m(0.3, 2.0);
        n.involuntary_per_s = Some(136_000.0);
        let s = m(0.0, 0.0);
        assert_eq!(rule_for(&s, &n, &f), Some("pair-apart"));
        assert_eq!(
            why(&s, &n, &f).unwrap(),
            "ends pinned apart (other-cache, CPUs 0 and 4): every round trip wakes another CPU (ends preempted each other 5 times/s; none: 136,000/s)"
        );
        // Not a talking pair: no such sentence.
        f.pairs = false;
        assert_ne!(rule_for(&s, &n, &f), Some("pair-apart"));
    }

    #[test]
    fn fewer_migrations_explain_faster_only() {
        let f = facts(Verdict::Faster);
        assert_eq!(
            rule_for(&m(0.01, 0.0), &m(0.01, 500.0), &f),
            Some("migrations")
        );
        assert_eq!(
            why(&m(0.01, 0.0), &m(0.01, 500.0), &f).unwrap(),
            "workers moved between CPUs 0 times/s (none: 500/s)"
        );
        // Fewer migrations cannot explain a slower verdict.
        let f = facts(Verdict::Slower);
        assert_eq!(rule_for(&m(0.01, 0.0), &m(0.01, 500.0), &f), None);
        // Nor do a few per second.
        let f = facts(Verdict::Faster);
        assert_eq!(rule_for(&m(0.01, 0.0), &m(0.01, 5.0), &f), None);
    }

    #[test]
    fn a_programs_main_process_pushed_about_is_named_apart_from_its_workers() {
        let f = facts(Verdict::Slower);
        // Pinned workers moved less than none's, but the main process far more.
        let mut s = m(0.01, 20.0);
        let mut n = m(0.01, 100.0);
        s.main_migrations_per_s = Some(250.0);
        n.main_migrations_per_s = Some(30.0);
        assert_eq!(rule_for(&s, &n, &f), Some("main-process-moved"));
        assert_eq!(
            why(&s, &n, &f).unwrap(),
            "the program's main process moved between CPUs 250 times/s (none: 30/s)"
        );
        // Built-in workloads have no main process: the rule never speaks for them.
        s.main_migrations_per_s = None;
        assert_eq!(rule_for(&s, &n, &f), None);
    }

    #[test]
    fn preemptions_throttling_and_hardware_counters_each_speak() {
        let f = facts(Verdict::Slower);
        let mut s = m(0.01, 1.0);
        let n = m(0.01, 1.0);
        s.involuntary_per_s = Some(400.0);
        assert_eq!(rule_for(&s, &n, &f), Some("preemptions"));
        let mut s = m(0.01, 1.0);
        let mut n = m(0.01, 1.0);
        s.throttled_per_s = Some(9.0);
        n.throttled_per_s = Some(0.0);
        assert_eq!(rule_for(&s, &n, &f), Some("throttling"));
        let mut s = m(0.01, 1.0);
        let mut n = m(0.01, 1.0);
        s.cache_misses_per_op = Some(0.9);
        n.cache_misses_per_op = Some(0.1);
        assert_eq!(rule_for(&s, &n, &f), Some("cache-misses"));
        let mut s = m(0.01, 1.0);
        let mut n = m(0.01, 1.0);
        s.instructions_per_cycle = Some(1.0);
        n.instructions_per_cycle = Some(2.0);
        assert_eq!(rule_for(&s, &n, &f), Some("instructions-per-cycle"));
        assert_eq!(
            why(&s, &n, &f).unwrap(),
            "1.00 instructions per cycle (none: 2.00)"
        );
    }

    #[test]
    fn nothing_measured_says_so_and_names_what_was_missing() {
        let f = facts(Verdict::Slower);
        assert_eq!(
            why(&m(0.01, 1.0), &m(0.01, 1.0), &f).unwrap(),
            "no measured cause: cache and memory counters unavailable here"
        );
        let mut s = m(0.01, 1.0);
        s.cache_misses_per_op = Some(0.1);
        s.instructions_per_cycle = Some(2.0);
        assert!(
            why(&s, &s, &f)
                .unwrap()
                .starts_with("no measured cause: CPU wait")
        );
        // A counter that was not measured is no difference, never a 0.
        let f = facts(Verdict::Faster);
        let mut s = m(0.01, 1.0);
        s.migrations_per_s = None;
        assert_eq!(rule_for(&s, &m(0.01, 900.0), &f), None);
    }

    #[test]
    fn identical_placements_are_given_no_cause() {
        let f = facts(Verdict::SamePlacement);
        // Even when their figures happened to differ.
        assert_eq!(
            why(&m(0.4, 0.0), &m(0.01, 900.0), &f).unwrap(),
            "same placement as none: nothing differs to explain"
        );
        assert_eq!(
            why(&m(0.4, 0.0), &m(0.01, 900.0), &facts(Verdict::Insufficient)),
            None
        );
    }

    #[test]
    fn no_difference_names_what_differed_without_mattering() {
        let f = facts(Verdict::NoDifference);
        assert_eq!(
            why(&m(0.01, 0.0), &m(0.01, 300.0), &f).unwrap(),
            "workers moved between CPUs 0 times/s (none: 300/s), without a difference in throughput"
        );
        assert_eq!(
            why(&m(0.01, 1.0), &m(0.01, 1.0), &f).unwrap(),
            "nothing measured differs from none"
        );
    }

    #[test]
    fn inconclusive_verdicts_are_explained_by_their_point_estimate() {
        let mut f = facts(Verdict::Inconclusive);
        f.speedup = Some(0.8);
        f.crowded = Some("both on CPU 0".into());
        assert_eq!(rule_for(&m(0.3, 0.0), &m(0.02, 0.0), &f), Some("cpu-wait"));
        f.speedup = Some(1.2);
        assert_eq!(rule_for(&m(0.3, 0.0), &m(0.02, 0.0), &f), None);
        assert_eq!(
            why(&m(0.3, 0.0), &m(0.02, 0.0), &f).unwrap(),
            "nothing measured differs from none"
        );
    }

    #[test]
    fn figures_read_as_people_write_them() {
        assert_eq!(count(9800.4), "9,800");
        assert_eq!(count(1234567.0), "1,234,567");
        assert_eq!(count(3.25), "3.2");
        assert_eq!(count(0.0), "0");
        assert_eq!(percent(0.004), "0.4 %");
        assert_eq!(percent(0.48), "48 %");
    }
}
