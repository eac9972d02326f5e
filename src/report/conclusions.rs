//! What a reader should conclude, per workload and model, in one line each: pin with the best
//! *faster* strategy, or leave placement to the OS (for now, while comparisons are open), with
//! the effect against `none`, its 95 % interval and its verdict. The per-strategy detail (every
//! verdict with its figure, identical placements, noisy and bimodal scenarios) follows; what is
//! true of every group is said once ([`Conclusions::common`]).
//!
//! One builder, [`conclude`], feeds the terminal ([`render_terminal`]), `report.md`
//! ([`render_markdown`]) and `report.html`. Pure: summary rows in, sentences out. The rule for
//! "best" is `docs/statistics.md#reading-the-conclusions` (the contract:
//! `docs/ARCHITECTURE.md#report`).

use std::fmt::Write;

use crate::runner::Model;
use crate::stats::Verdict;
use crate::store::{SummaryRow, placement_noted};
use crate::strategy::LabelledStrategy;
use crate::workload::Workload;

/// One strategy's effect against `none`: its verdict and the speedup with its interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    pub strategy: LabelledStrategy,
    pub verdict: Verdict,
    pub speedup: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// The band a no-difference verdict was held to (half-width, relative).
    pub band: Option<f64>,
}

impl Effect {
    /// A judged row with a speedup; `None` for `none` itself and rows without a figure.
    fn of(r: &SummaryRow) -> Option<Effect> {
        Some(Effect {
            strategy: r.key.strategy.clone(),
            verdict: r.verdict?,
            speedup: r.speedup_vs_none?,
            low: r.speedup_ci_low,
            high: r.speedup_ci_high,
            band: r.equivalence_band.or(r.band),
        })
    }

    /// `compact 1.01x [0.99, 1.03]`.
    fn text(&self) -> String {
        format!("{} {}", self.strategy, self.figure())
    }

    /// `1.01x [0.99, 1.03]`, or the ratio alone where there is no interval.
    fn figure(&self) -> String {
        match (self.low, self.high) {
            (Some(lo), Some(hi)) => {
                format!("{}x [{}, {}]", ratio(self.speedup), ratio(lo), ratio(hi))
            }
            _ => format!("{}x (no interval)", ratio(self.speedup)),
        }
    }

    /// The verdict as the headline gives it: `no difference, within +-9 %`, `inconclusive`.
    fn verdict_words(&self) -> String {
        match (self.verdict, self.band) {
            (Verdict::NoDifference, Some(b)) => {
                format!("no difference, within +-{:.0} %", (b * 100.0).max(1.0))
            }
            (v, _) => v.to_string(),
        }
    }
}

/// Comparisons still open in a group: no verdict of faster, slower or no difference yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Open {
    pub inconclusive: usize,
    pub insufficient: usize,
    pub not_achieved: usize,
}

impl Open {
    fn total(&self) -> usize {
        self.inconclusive + self.insufficient + self.not_achieved
    }

    /// `4 of 4 inconclusive`, `2 of 5 unsettled (1 inconclusive, 1 with too few samples)`.
    fn text(&self, of: usize) -> String {
        let kinds: Vec<(usize, &str)> = [
            (self.inconclusive, "inconclusive"),
            (self.insufficient, "with too few samples"),
            (self.not_achieved, "placement not achieved"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .collect();
        match kinds.as_slice() {
            [(n, what)] => format!("{n} of {of} {what}"),
            _ => {
                let each: Vec<String> = kinds.iter().map(|(n, w)| format!("{n} {w}")).collect();
                format!("{} of {of} unsettled ({})", self.total(), each.join(", "))
            }
        }
    }
}

/// What to do with a workload and model: the first word of its line.
#[derive(Debug, Clone, PartialEq)]
pub enum Advice {
    /// At least one strategy is *faster*; pin with the best of them (highest speedup).
    Pin(Effect),
    /// Every strategy is settled and none is faster. `best`: the highest speedup among them,
    /// with its own verdict (no difference or slower).
    LeaveToOs { best: Effect },
    /// None is shown faster, but some comparisons are open. `best`: the highest speedup among
    /// those with an interval, with its own verdict (possibly inconclusive: never a win).
    LeaveToOsForNow { best: Option<Effect> },
    /// Every strategy places the workers exactly as `none` does.
    NothingToChoose,
    /// Nothing can be judged; why.
    NoVerdict(String),
}

/// The conclusion for one workload and model at one worker count.
#[derive(Debug, Clone, PartialEq)]
pub struct Conclusion {
    pub workload: Workload,
    pub model: Model,
    pub workers: usize,
    pub advice: Advice,
    /// With [`Advice::Pin`]: the other *faster* strategies, by speedup.
    pub also_faster: Vec<LabelledStrategy>,
    /// The slowest *slower* strategy, and how many are slower.
    pub slowest: Option<Effect>,
    pub slower: usize,
    /// Strategies compared with `none` (every one with a verdict but `same placement`).
    pub compared: usize,
    pub open: Open,
    /// The per-strategy detail, one sentence each (the fold of report.html).
    pub details: Vec<String>,
}

impl Conclusion {
    /// `cpu · threads x2`.
    pub fn group(&self) -> String {
        format!("{} · {} x{}", self.workload, self.model, self.workers)
    }

    /// The one line: what to do, the effect with its interval, the verdict.
    pub fn headline(&self) -> String {
        // Issue 22: the cause of the named strategy's verdict (`why`, one short sentence) is
        // appended to this line, after the effect: `...; why: ...`.
        match &self.advice {
            Advice::Pin(best) => {
                let mut s = format!("pin {}: {} faster", best.strategy, best.figure());
                if !self.also_faster.is_empty() {
                    let names: Vec<String> =
                        self.also_faster.iter().map(ToString::to_string).collect();
                    let _ = write!(s, " (also faster: {})", names.join(", "));
                }
                s
            }
            Advice::LeaveToOs { best } if best.verdict == Verdict::Slower => {
                format!(
                    "leave it to the OS: every strategy is slower (closest: {})",
                    best.text()
                )
            }
            Advice::LeaveToOs { best } => format!(
                "leave it to the OS: no strategy faster (best: {}: {}){}",
                best.text(),
                best.verdict_words(),
                self.slower_text(best)
            ),
            Advice::LeaveToOsForNow { best } => {
                let mut s = format!(
                    "leave it to the OS for now: nothing shown faster, {}",
                    self.open.text(self.compared)
                );
                if let Some(best) = best {
                    let _ = write!(
                        s,
                        " (best: {}: {}){}",
                        best.text(),
                        best.verdict_words(),
                        self.slower_text(best)
                    );
                }
                s
            }
            Advice::NothingToChoose => {
                "nothing to choose: every strategy places the workers exactly as none does".into()
            }
            Advice::NoVerdict(why) => format!("no verdict: {why}"),
        }
    }

    /// `; slower: X 0.0037x [0.0032, 0.0041] and 1 more`, unless the best is the slowest.
    fn slower_text(&self, best: &Effect) -> String {
        match &self.slowest {
            Some(w) if w.strategy != best.strategy => format!(
                "; slower: {}{}",
                w.text(),
                if self.slower > 1 {
                    format!(" and {} more", self.slower - 1)
                } else {
                    String::new()
                }
            ),
            _ => String::new(),
        }
    }
}

/// Every group's conclusion, and the notes true of all of them, said once.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Conclusions {
    pub lines: Vec<Conclusion>,
    /// Identical placements that hold in every group where the strategy was measured.
    pub common: Vec<String>,
}

impl Conclusions {
    /// The lines counted by what they advise, the workloads to pin named: `In short, of 27
    /// lines: pin in 6 (ipc:pipe, ipc:socket, ...), leave it to the OS in 2, ...`. `None` for a
    /// single line, which says it itself.
    pub fn in_short(&self) -> Option<String> {
        if self.lines.len() < 2 {
            return None;
        }
        let count =
            |f: &dyn Fn(&Advice) -> bool| self.lines.iter().filter(|l| f(&l.advice)).count();
        let mut pinned: Vec<String> = Vec::new();
        for l in self
            .lines
            .iter()
            .filter(|l| matches!(l.advice, Advice::Pin(_)))
        {
            let w = l.workload.to_string();
            if !pinned.contains(&w) {
                pinned.push(w);
            }
        }
        let parts: Vec<String> = [
            (count(&|a| matches!(a, Advice::Pin(_))), "pin"),
            (
                count(&|a| matches!(a, Advice::LeaveToOs { .. })),
                "leave it to the OS",
            ),
            (
                count(&|a| matches!(a, Advice::LeaveToOsForNow { .. })),
                "leave it to the OS for now",
            ),
            (
                count(&|a| *a == Advice::NothingToChoose),
                "nothing to choose",
            ),
            (count(&|a| matches!(a, Advice::NoVerdict(_))), "no verdict"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| {
            if what == "pin" {
                format!("{what} in {n} ({})", pinned.join(", "))
            } else {
                format!("{what} in {n}")
            }
        })
        .collect();
        Some(format!(
            "In short, of {} lines: {}.",
            self.lines.len(),
            parts.join(", ")
        ))
    }
}

/// A ratio with two decimals, or enough to show its size when it is tiny (`0.0031`).
fn ratio(v: f64) -> String {
    if v >= 0.1 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

/// An inconclusive verdict's interval: how far apart the two could be, `0.98x-1.30x`.
fn range_text(r: &SummaryRow) -> String {
    match (r.speedup_ci_low, r.speedup_ci_high) {
        (Some(lo), Some(hi)) => format!("{}x-{}x", ratio(lo), ratio(hi)),
        _ => speedup_text(r),
    }
}

fn speedup_text(r: &SummaryRow) -> String {
    match (r.speedup_vs_none, r.speedup_ci_low, r.speedup_ci_high) {
        (Some(s), Some(lo), Some(hi)) => {
            format!("{}x [{}, {}]", ratio(s), ratio(lo), ratio(hi))
        }
        (Some(s), _, _) => format!("{}x (no interval)", ratio(s)),
        _ => "-".into(),
    }
}

/// Conclusions for every workload and model, at the worker count closest to `allowed` CPUs,
/// without an antagonist.
pub fn conclude(rows: &[SummaryRow], allowed: usize) -> Conclusions {
    let ok: Vec<&SummaryRow> = rows
        .iter()
        .filter(|r| r.status.is_ok() && r.key.antagonist.is_none())
        .collect();
    let mut groups: Vec<(Workload, Model)> = Vec::new();
    for r in &ok {
        if !groups.contains(&(r.key.workload, r.key.model)) {
            groups.push((r.key.workload, r.key.model));
        }
    }
    let chosen: Vec<(Workload, Model, usize, Vec<&SummaryRow>)> = groups
        .into_iter()
        .filter_map(|(w, m)| {
            let mine: Vec<&SummaryRow> = ok
                .iter()
                .copied()
                .filter(|r| r.key.workload == w && r.key.model == m)
                .collect();
            let n = mine
                .iter()
                .map(|r| r.key.workers)
                .min_by_key(|c| (c.abs_diff(allowed), *c))?;
            let at: Vec<&SummaryRow> = mine.into_iter().filter(|r| r.key.workers == n).collect();
            Some((w, m, n, at))
        })
        .collect();
    let universal = universal_twins(chosen.iter().map(|(.., rows)| rows.as_slice()));
    let lines = chosen
        .iter()
        .map(|(w, m, n, at)| conclude_group(*w, *m, *n, at, &universal))
        .collect();
    let common = if universal.is_empty() {
        Vec::new()
    } else {
        vec![format!(
            "Identical placements in every workload and model where measured: {}",
            same_placement_text(&universal)
        )]
    };
    Conclusions { lines, common }
}

/// `(strategy, the scenario it repeats)` for every strategy whose twin is the same in every
/// group where it was measured; empty below two groups (nothing to say once instead of twice).
fn universal_twins<'a>(
    groups: impl Iterator<Item = &'a [&'a SummaryRow]>,
) -> Vec<(LabelledStrategy, LabelledStrategy)> {
    let groups: Vec<&[&SummaryRow]> = groups.collect();
    if groups.len() < 2 {
        return Vec::new();
    }
    let mut out: Vec<(LabelledStrategy, LabelledStrategy)> = Vec::new();
    for rows in &groups {
        for r in rows.iter() {
            let Some(of) = &r.same_placement_as else {
                continue;
            };
            let s = &r.key.strategy;
            if out.iter().any(|(k, _)| k == s) {
                continue;
            }
            let everywhere = groups.iter().all(|g| {
                g.iter()
                    .filter(|x| x.key.strategy == *s)
                    .all(|x| x.same_placement_as.as_ref() == Some(of))
            });
            if everywhere {
                out.push((s.clone(), of.clone()));
            }
        }
    }
    out
}

/// `same placement as none (not judged against it): inherited; same placement as per-worker: ...`
fn same_placement_text(twins: &[(LabelledStrategy, LabelledStrategy)]) -> String {
    let mut by: Vec<(&LabelledStrategy, Vec<String>)> = Vec::new();
    for (s, of) in twins {
        match by.iter_mut().find(|(k, _)| *k == of) {
            Some((_, v)) => v.push(s.to_string()),
            None => by.push((of, vec![s.to_string()])),
        }
    }
    by.iter()
        .enumerate()
        .map(|(i, (of, names))| {
            format!(
                "same placement as {of}{}: {}",
                if i == 0 {
                    " (not judged against each other)"
                } else {
                    ""
                },
                names.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A group's rows by verdict, each list by speedup (highest first, matrix order on ties).
struct Sorted<'a> {
    faster: Vec<&'a SummaryRow>,
    slower: Vec<&'a SummaryRow>,
    no_difference: Vec<&'a SummaryRow>,
    inconclusive: Vec<&'a SummaryRow>,
    insufficient: Vec<&'a SummaryRow>,
    not_achieved: Vec<&'a SummaryRow>,
}

impl<'a> Sorted<'a> {
    fn of(rows: &[&'a SummaryRow]) -> Self {
        let with = |v: Verdict| -> Vec<&'a SummaryRow> {
            let mut x: Vec<&SummaryRow> = rows
                .iter()
                .copied()
                .filter(|r| r.verdict == Some(v))
                .collect();
            x.sort_by(|a, b| by_speedup(b).total_cmp(&by_speedup(a)));
            x
        };
        Sorted {
            faster: with(Verdict::Faster),
            slower: with(Verdict::Slower),
            no_difference: with(Verdict::NoDifference),
            inconclusive: with(Verdict::Inconclusive),
            insufficient: with(Verdict::Insufficient),
            not_achieved: with(Verdict::NotAchieved),
        }
    }

    fn open(&self) -> Open {
        Open {
            inconclusive: self.inconclusive.len(),
            insufficient: self.insufficient.len(),
            not_achieved: self.not_achieved.len(),
        }
    }

    /// The highest speedup among the strategies with an interval (faster, slower, no
    /// difference, inconclusive); the interval's lower end breaks ties.
    fn best_judged(&self) -> Option<Effect> {
        let mut all: Vec<&SummaryRow> = [
            &self.faster,
            &self.no_difference,
            &self.inconclusive,
            &self.slower,
        ]
        .into_iter()
        .flatten()
        .copied()
        .collect();
        all.sort_by(|a, b| best_first(a, b));
        all.first().and_then(|r| Effect::of(r))
    }
}

fn by_speedup(r: &SummaryRow) -> f64 {
    r.speedup_vs_none.unwrap_or(1.0)
}

/// Highest speedup first, then the higher lower end of its interval.
fn best_first(a: &SummaryRow, b: &SummaryRow) -> std::cmp::Ordering {
    by_speedup(b).total_cmp(&by_speedup(a)).then(
        b.speedup_ci_low
            .unwrap_or(0.0)
            .total_cmp(&a.speedup_ci_low.unwrap_or(0.0)),
    )
}

/// What to do, from the verdicts alone: only a *faster* verdict recommends pinning.
fn advise(rows: &[&SummaryRow], sorted: &Sorted, compared: usize) -> Advice {
    let judged = rows.iter().any(|r| r.verdict.is_some());
    if !rows.iter().any(|r| r.key.strategy.is_baseline()) {
        return Advice::NoVerdict("`none` was not measured here, so nothing is judged".into());
    }
    if !rows.is_empty() && rows.iter().all(|r| r.workers_seen == Some(0)) {
        return Advice::NoVerdict(
            "the program started no workers, so no strategy placed anything (every run was none's placement)"
                .into(),
        );
    }
    if compared == 0 {
        return if judged {
            Advice::NothingToChoose
        } else {
            Advice::NoVerdict("nothing to compare with none".into())
        };
    }
    if let Some(best) = sorted.faster.first().and_then(|r| Effect::of(r)) {
        return Advice::Pin(best);
    }
    let open = sorted.open();
    match (sorted.best_judged(), open.total()) {
        (None, _) if open.not_achieved == compared => Advice::NoVerdict(format!(
            "the program's work did not run where {} put it (placement not achieved)",
            names(&sorted.not_achieved)
        )),
        (None, _) if open.insufficient == compared => {
            Advice::NoVerdict("too few samples (fewer than 6 repetitions)".into())
        }
        (best, 1..) => Advice::LeaveToOsForNow { best },
        (Some(best), 0) => Advice::LeaveToOs { best },
        // Verdicts without a speedup: nothing to name.
        (None, 0) => Advice::NoVerdict("nothing to compare with none".into()),
    }
}

fn names(rows: &[&SummaryRow]) -> String {
    rows.iter()
        .map(|r| r.key.strategy.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn with_figures(rows: &[&SummaryRow]) -> String {
    rows.iter()
        .map(|r| format!("{} {}", r.key.strategy, speedup_text(r)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every verdict with its figure, then the noise floor.
fn verdict_details(rows: &[&SummaryRow], s: &Sorted) -> Vec<String> {
    let mut details = Vec::new();
    if !s.faster.is_empty() {
        details.push(format!("faster: {}", with_figures(&s.faster)));
    }
    if !s.slower.is_empty() {
        details.push(format!("slower: {}", with_figures(&s.slower)));
    }
    if !s.no_difference.is_empty() {
        // The widest band a no-difference verdict was held to, and whether the noise set it.
        let band = s
            .no_difference
            .iter()
            .filter_map(|r| r.equivalence_band.or(r.band))
            .reduce(f64::max);
        let band_text = band.map_or(String::new(), |b| {
            let noise = rows
                .iter()
                .filter_map(|r| r.supported_floor.or(r.noise_floor))
                .any(|f| f >= b);
            format!(
                " (within +-{:.0} %, {})",
                (b * 100.0).max(1.0),
                if noise {
                    "this machine's noise"
                } else {
                    "the threshold"
                }
            )
        });
        details.push(format!(
            "no difference{band_text}: {}",
            with_figures(&s.no_difference)
        ));
    }
    if !s.inconclusive.is_empty() {
        let v: Vec<String> = s
            .inconclusive
            .iter()
            .map(|r| format!("{} {}", r.key.strategy, range_text(r)))
            .collect();
        details.push(format!(
            "inconclusive (more repetitions or a quieter machine would tell): {}",
            v.join(", ")
        ));
    }
    if !s.insufficient.is_empty() {
        details.push(format!(
            "too few samples to judge: {}",
            names(&s.insufficient)
        ));
    }
    for r in &s.not_achieved {
        details.push(format!(
            "not judged, {}: {}",
            r.key.strategy,
            if r.reason.is_empty() {
                "placement not achieved"
            } else {
                &r.reason
            }
        ));
    }
    // A judged scenario whose runs say its placement was not quite the plan's (a worker's mask
    // read back otherwise, a program that changed its own masks): its verdict is read with it.
    for r in rows.iter().filter(|r| {
        r.status.is_ok() && placement_noted(&r.reason) && r.verdict != Some(Verdict::NotAchieved)
    }) {
        details.push(format!(
            "{} ran with a note (runs.csv has each run's): {}",
            r.key.strategy, r.reason
        ));
    }
    if let Some(f) = rows.iter().find_map(|r| r.noise_floor) {
        details.push(format!(
            "identical placements differed by up to {:.1} % (this machine's noise floor)",
            f * 100.0
        ));
    }
    details
}

/// Identical placements (but those said once for every group), bimodal and noisy scenarios:
/// what to read the verdicts with.
fn placement_notes(
    rows: &[&SummaryRow],
    universal: &[(LabelledStrategy, LabelledStrategy)],
) -> Vec<String> {
    let mut details = Vec::new();
    let twins: Vec<(LabelledStrategy, LabelledStrategy)> = rows
        .iter()
        .filter_map(|r| Some((r.key.strategy.clone(), r.same_placement_as.clone()?)))
        .filter(|t| !universal.contains(t))
        .collect();
    if !twins.is_empty() {
        details.push(same_placement_text(&twins));
    }
    let bimodal: Vec<String> = rows
        .iter()
        .filter(|r| r.multimodal == Some(true))
        .map(|r| {
            format!(
                "{} ({:.3e} x{} and {:.3e} x{})",
                r.key.strategy,
                r.mode_low_ops_s.unwrap_or(0.0),
                r.mode_low_n.unwrap_or(0),
                r.mode_high_ops_s.unwrap_or(0.0),
                r.mode_high_n.unwrap_or(0)
            )
        })
        .collect();
    if !bimodal.is_empty() {
        details.push(format!(
            "bimodal (two separated clusters of repetitions; the median describes neither): {}",
            bimodal.join(", ")
        ));
    }
    let noisy: Vec<String> = rows
        .iter()
        .filter(|r| r.noisy && r.multimodal != Some(true))
        .map(|r| {
            format!(
                "{} (CV {:.0} %, n {})",
                r.key.strategy,
                r.cv.unwrap_or(0.0) * 100.0,
                r.n
            )
        })
        .collect();
    if !noisy.is_empty() {
        details.push(format!("noisy: {}", noisy.join(", ")));
    }
    details
}

/// The `why` of the verdicts that call a difference (faster, slower), as detail lines: one
/// per sentence, the strategies that share it named together (`why round-robin, compact:
/// workers moved between CPUs 0 times/s (none: 110/s)`). Every verdict's own is in summary.csv
/// and the report's verdict table.
pub fn why_lines(rows: &[&SummaryRow]) -> Vec<String> {
    let mut lines: Vec<(Vec<String>, &str)> = Vec::new();
    for r in rows {
        let Some(why) = r.why.as_deref() else {
            continue;
        };
        match lines.iter_mut().find(|(_, w)| *w == why) {
            Some((names, _)) => names.push(r.key.strategy.to_string()),
            None => lines.push((vec![r.key.strategy.to_string()], why)),
        }
    }
    lines
        .into_iter()
        .map(|(names, why)| format!("why {}: {why}", names.join(", ")))
        .collect()
}

fn conclude_group(
    w: Workload,
    m: Model,
    n: usize,
    rows: &[&SummaryRow],
    universal: &[(LabelledStrategy, LabelledStrategy)],
) -> Conclusion {
    let sorted = Sorted::of(rows);
    let compared = rows
        .iter()
        .filter(|r| r.verdict.is_some_and(|v| v != Verdict::SamePlacement))
        .count();
    let advice = advise(rows, &sorted, compared);
    let also_faster = match &advice {
        Advice::Pin(best) => sorted
            .faster
            .iter()
            .map(|r| r.key.strategy.clone())
            .filter(|s| *s != best.strategy)
            .collect(),
        _ => Vec::new(),
    };
    let mut details = verdict_details(rows, &sorted);
    let called: Vec<&SummaryRow> = sorted
        .faster
        .iter()
        .chain(&sorted.slower)
        .copied()
        .collect();
    details.extend(why_lines(&called));
    details.extend(placement_notes(rows, universal));
    Conclusion {
        workload: w,
        model: m,
        workers: n,
        advice,
        also_faster,
        slowest: sorted.slower.last().and_then(|r| Effect::of(r)),
        slower: sorted.slower.len(),
        compared,
        open: sorted.open(),
        details,
    }
}

/// How to read a line, said once under the lines.
pub const LEGEND: &str = "Each line: what to do at the allowed CPU count, the speedup over none (ratio of median throughputs) with its 95 % interval, and the verdict. Only a faster verdict recommends pinning; best names the highest speedup, whatever its verdict; inconclusive means the interval reaches past the band without clearing it, so more repetitions or a quieter machine would tell.";

/// The terminal's conclusions: the count in short, one line per workload and model, the notes
/// said once, then
/// (with `detail`) every group's per-strategy detail, indented.
pub fn render_terminal(c: &Conclusions, detail: bool) -> String {
    let mut s = String::new();
    if let Some(short) = c.in_short() {
        let _ = writeln!(s, "{short}");
    }
    for l in &c.lines {
        let _ = writeln!(s, "{}: {}", l.group(), l.headline());
    }
    for note in &c.common {
        let _ = writeln!(s, "{note}");
    }
    if detail && c.lines.iter().any(|l| !l.details.is_empty()) {
        let _ = writeln!(s, "detail per strategy:");
        for l in c.lines.iter().filter(|l| !l.details.is_empty()) {
            let _ = writeln!(s, "  {}", l.group());
            for d in &l.details {
                let _ = writeln!(s, "    {d}");
            }
        }
    }
    s
}

/// `report.md`'s conclusions: the count in short, the lines as a list, then the legend and the
/// notes said once.
pub fn render_markdown(c: &Conclusions) -> String {
    let mut s = String::new();
    if let Some(short) = c.in_short() {
        let _ = writeln!(s, "{short}\n");
    }
    for l in &c.lines {
        let _ = writeln!(s, "- **{}**: {}", l.group(), l.headline());
    }
    let _ = writeln!(s, "\n{LEGEND}");
    for note in &c.common {
        let _ = writeln!(s, "\n{note}.");
    }
    s
}

/// `report.md`'s per-strategy detail, one list per workload and model (empty when none has any).
pub fn render_markdown_detail(c: &Conclusions) -> String {
    let mut s = String::new();
    for l in c.lines.iter().filter(|l| !l.details.is_empty()) {
        let _ = writeln!(s, "- **{}**", l.group());
        for d in &l.details {
            let _ = writeln!(s, "  - {d}");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ScenarioKey;
    use crate::strategy::LabelledStrategy;

    fn row(strategy: &str, verdict: Option<Verdict>, speedup: f64) -> SummaryRow {
        SummaryRow {
            key: ScenarioKey {
                strategy: strategy.parse::<LabelledStrategy>().unwrap(),
                workers: 2,
                ..Default::default()
            },
            n: 6,
            verdict,
            speedup_vs_none: Some(speedup),
            speedup_ci_low: Some(speedup * 0.95),
            speedup_ci_high: Some(speedup * 1.05),
            band: Some(0.09),
            ..Default::default()
        }
    }

    fn one(rows: &[SummaryRow]) -> Conclusion {
        let c = conclude(rows, 2);
        assert_eq!(c.lines.len(), 1);
        c.lines[0].clone()
    }

    fn s(name: &str) -> LabelledStrategy {
        name.parse().unwrap()
    }

    #[test]
    fn only_a_faster_verdict_recommends_pinning() {
        // The highest speedup is inconclusive; the faster one is recommended, not it.
        let c = one(&[
            row("none", None, 1.0),
            row("per-worker", Some(Verdict::Faster), 1.08),
            row("compact", Some(Verdict::Inconclusive), 1.30),
            row("scatter", Some(Verdict::Faster), 1.05),
            row("round-robin", Some(Verdict::Slower), 0.8),
        ]);
        let Advice::Pin(best) = &c.advice else {
            panic!("{:?}", c.advice)
        };
        assert_eq!(best.strategy, s("per-worker"));
        assert_eq!(c.also_faster, vec![s("scatter")]);
        assert_eq!(
            c.headline(),
            "pin per-worker: 1.08x [1.03, 1.13] faster (also faster: scatter)"
        );
        // Every verdict is in the detail with its figure.
        assert!(
            c.details
                .iter()
                .any(|d| d.starts_with("inconclusive") && d.contains("compact 1.2")),
            "{:?}",
            c.details
        );
        assert!(
            c.details
                .iter()
                .any(|d| d.starts_with("slower: round-robin 0.80x"))
        );
    }

    #[test]
    fn settled_and_none_faster_leaves_it_to_the_os_with_the_best_figure() {
        let c = one(&[
            row("none", None, 1.0),
            row("per-worker", Some(Verdict::NoDifference), 1.0),
            row("compact", Some(Verdict::NoDifference), 1.01),
            row("cpus:0/0@same-cpu", Some(Verdict::Slower), 0.004),
            row("inherited", Some(Verdict::SamePlacement), 0.99),
        ]);
        let Advice::LeaveToOs { best } = &c.advice else {
            panic!("{:?}", c.advice)
        };
        assert_eq!(best.strategy, s("compact"));
        assert_eq!(
            c.headline(),
            "leave it to the OS: no strategy faster (best: compact 1.01x [0.96, 1.06]: no difference, within +-9 %); slower: cpus:0/0@same-cpu 0.0040x [0.0038, 0.0042]"
        );
        assert_eq!(c.compared, 3, "same placement is not compared");
        // Every strategy slower: the closest is named, not called best.
        let c = one(&[
            row("none", None, 1.0),
            row("per-worker", Some(Verdict::Slower), 0.7),
            row("compact", Some(Verdict::Slower), 0.8),
        ]);
        assert!(
            c.headline().starts_with(
                "leave it to the OS: every strategy is slower (closest: compact 0.80x"
            ),
            "{}",
            c.headline()
        );
    }

    #[test]
    fn open_comparisons_are_said_as_such_never_as_a_win() {
        let c = one(&[
            row("none", None, 1.0),
            row("per-worker", Some(Verdict::Inconclusive), 1.04),
            row("compact", Some(Verdict::NoDifference), 1.01),
            row("scatter", Some(Verdict::Insufficient), 1.5),
        ]);
        let Advice::LeaveToOsForNow { best: Some(best) } = &c.advice else {
            panic!("{:?}", c.advice)
        };
        // Too few samples has no interval: it cannot be the best figure, however high.
        assert_eq!(best.strategy, s("per-worker"));
        let h = c.headline();
        assert!(h.starts_with("leave it to the OS for now: nothing shown faster, 2 of 3 unsettled (1 inconclusive, 1 with too few samples) (best: per-worker 1.04x [0.99, 1.09]: inconclusive)"), "{h}");
        assert!(!h.contains("pin"), "{h}");
        let c = one(&[
            row("none", None, 1.0),
            row("per-worker", Some(Verdict::Inconclusive), 1.04),
            row("compact", Some(Verdict::Inconclusive), 0.99),
        ]);
        assert!(
            c.headline()
                .starts_with("leave it to the OS for now: nothing shown faster, 2 of 2 inconclusive (best: per-worker"),
            "{}",
            c.headline()
        );
    }

    #[test]
    fn no_verdict_says_why() {
        let c = one(&[
            row("none", None, 1.0),
            row("none@B", Some(Verdict::SamePlacement), 0.87),
            row("per-worker", Some(Verdict::Insufficient), 1.09),
        ]);
        assert_eq!(
            c.headline(),
            "no verdict: too few samples (fewer than 6 repetitions)"
        );
        let c = one(&[row("per-worker", Some(Verdict::Faster), 1.5)]);
        assert!(c.headline().contains("`none` was not measured"));
        let c = one(&[
            row("none", None, 1.0),
            row("inherited", Some(Verdict::SamePlacement), 1.0),
        ]);
        assert_eq!(c.advice, Advice::NothingToChoose);
        let mut a = row("per-worker", Some(Verdict::NotAchieved), 1.0);
        a.reason = "42 % of the CPU time ran in its slots".into();
        let c = one(&[row("none", None, 1.0), a]);
        assert!(c.headline().contains("placement not achieved"));
        assert!(c.details.iter().any(|d| d.contains("42 %")));
    }

    /// A verdict reached on runs that carried a note (a worker's mask not the plan's) says the
    /// note beside it, where it was in runs.csv alone.
    #[test]
    fn a_verdict_on_runs_with_a_note_says_the_note() {
        let mut a = row("per-worker", Some(Verdict::Faster), 1.2);
        a.reason = "mask differs from the plan: worker 1 ran under 0-1".into();
        let c = one(&[row("none", None, 1.0), a]);
        assert!(
            c.details.iter().any(|d| d
                == "per-worker ran with a note (runs.csv has each run's): mask differs from the plan: worker 1 ran under 0-1"),
            "{:?}",
            c.details
        );
        // No note on the placement, no line.
        let mut b = row("per-worker", Some(Verdict::Faster), 1.2);
        b.reason = "2 task(s) ended without their counters".into();
        let c = one(&[row("none", None, 1.0), b]);
        assert!(
            !c.details.iter().any(|d| d.contains("with a note")),
            "{:?}",
            c.details
        );
    }

    #[test]
    fn identical_placements_true_everywhere_are_said_once() {
        let mut rows = Vec::new();
        for w in ["cpu", "ipc:pipe"] {
            let w: Workload = w.parse().unwrap();
            let mut group = vec![
                row("none", None, 1.0),
                row("inherited", Some(Verdict::SamePlacement), 1.0),
                row("per-worker", Some(Verdict::Inconclusive), 1.0),
                row("compact", Some(Verdict::Inconclusive), 1.0),
            ];
            group[1].same_placement_as = Some(s("none"));
            if w.to_string() == "ipc:pipe" {
                // A pair placement, measured here only: its twin holds wherever measured.
                let mut p = row("cpus:0/1@same-cache", Some(Verdict::Inconclusive), 1.0);
                p.same_placement_as = Some(s("per-worker"));
                group.push(p);
            } else {
                // compact repeats per-worker here only: said in this group.
                group[3].same_placement_as = Some(s("per-worker"));
            }
            for r in &mut group {
                r.key.workload = w;
            }
            rows.extend(group);
        }
        let c = conclude(&rows, 2);
        assert_eq!(c.lines.len(), 2);
        assert_eq!(
            c.common,
            vec!["Identical placements in every workload and model where measured: same placement as none (not judged against each other): inherited; same placement as per-worker: cpus:0/1@same-cache".to_string()]
        );
        assert!(
            c.lines[0].details.contains(
                &"same placement as per-worker (not judged against each other): compact"
                    .to_string()
            ),
            "{:?}",
            c.lines[0].details
        );
        assert!(
            !c.lines[1]
                .details
                .iter()
                .any(|d| d.contains("same placement"))
        );
        // One group alone: nothing is hoisted.
        let c = conclude(&rows[..4], 2);
        assert!(c.common.is_empty());
        assert!(
            c.lines[0]
                .details
                .iter()
                .any(|d| d.contains("same placement as none"))
        );
    }

    #[test]
    fn in_short_counts_the_lines_by_advice_and_names_what_to_pin() {
        let mut rows = Vec::new();
        for (w, m, second) in [
            ("ipc:pipe", Model::Threads, Verdict::Faster),
            ("ipc:pipe", Model::Processes, Verdict::Faster),
            ("cpu", Model::Threads, Verdict::NoDifference),
            ("cache:24KiB", Model::Threads, Verdict::Inconclusive),
        ] {
            for mut r in [row("none", None, 1.0), row("per-worker", Some(second), 1.2)] {
                r.key.workload = w.parse().unwrap();
                r.key.model = m;
                rows.push(r);
            }
        }
        let c = conclude(&rows, 2);
        assert_eq!(
            c.in_short().as_deref(),
            Some(
                "In short, of 4 lines: pin in 2 (ipc:pipe), leave it to the OS in 1, leave it to the OS for now in 1."
            )
        );
        let t = render_terminal(&c, false);
        assert!(t.starts_with("In short, of 4 lines"), "{t}");
        assert_eq!(t.lines().nth(1).unwrap().split(':').next(), Some("ipc"));
        // One line says it itself.
        assert_eq!(conclude(&rows[..2], 2).in_short(), None);
    }

    #[test]
    fn renderers_open_with_one_line_per_group() {
        let rows = vec![
            row("none", None, 1.0),
            row("per-worker", Some(Verdict::Faster), 1.5),
            row("compact", Some(Verdict::NoDifference), 1.0),
        ];
        let c = conclude(&rows, 2);
        let t = render_terminal(&c, true);
        let first = t.lines().next().unwrap();
        assert!(
            first.starts_with("cpu · threads x2: pin per-worker: 1.50x"),
            "{t}"
        );
        assert!(
            t.contains("detail per strategy:\n  cpu · threads x2\n    faster: per-worker"),
            "{t}"
        );
        assert!(!render_terminal(&c, false).contains("detail"));
        let md = render_markdown(&c);
        assert!(
            md.starts_with("- **cpu · threads x2**: pin per-worker"),
            "{md}"
        );
        assert!(!md.contains("faster: per-worker"), "{md}");
        let detail = render_markdown_detail(&c);
        assert!(
            detail.starts_with("- **cpu · threads x2**\n  - faster: per-worker 1.50x"),
            "{detail}"
        );
    }

    /// On every committed profile: a pin only where that strategy's verdict is faster and no
    /// higher faster one exists; "leave it to the OS" only where nothing is faster (and, without
    /// "for now", nothing is open); one line per workload and model; and the committed
    /// report.md opens with exactly these lines (regenerate them when this builder changes:
    /// scripts/regenerate-charts.sh).
    #[test]
    fn committed_results_read_as_their_verdicts_say() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("results");
        let dirs = crate::report::profile_dirs(&root);
        assert!(
            !dirs.is_empty(),
            "no committed profile under {}",
            root.display()
        );
        for dir in dirs {
            let res = crate::report::ProfileResults::load(&dir).unwrap();
            let c = conclude(&res.rows, res.profile.allowed.len());
            let at = |l: &Conclusion| -> Vec<&SummaryRow> {
                res.ok()
                    .filter(|r| {
                        r.key.workload == l.workload
                            && r.key.model == l.model
                            && r.key.workers == l.workers
                            && r.key.antagonist.is_none()
                    })
                    .collect()
            };
            let mut groups: Vec<(Workload, Model)> = res
                .ok()
                .filter(|r| r.key.antagonist.is_none())
                .map(|r| (r.key.workload, r.key.model))
                .collect();
            groups.dedup();
            groups.sort_by_key(|g| format!("{g:?}"));
            groups.dedup();
            assert_eq!(c.lines.len(), groups.len(), "{}", dir.display());
            for l in &c.lines {
                let rows = at(l);
                let faster: Vec<&&SummaryRow> = rows
                    .iter()
                    .filter(|r| r.verdict == Some(Verdict::Faster))
                    .collect();
                let open = rows.iter().any(|r| {
                    matches!(
                        r.verdict,
                        Some(Verdict::Inconclusive | Verdict::Insufficient | Verdict::NotAchieved)
                    )
                });
                match &l.advice {
                    Advice::Pin(best) => {
                        let top = faster
                            .iter()
                            .map(|r| r.speedup_vs_none.unwrap())
                            .fold(f64::MIN, f64::max);
                        assert_eq!(best.verdict, Verdict::Faster, "{}", l.headline());
                        assert_eq!(best.speedup, top, "{}", l.headline());
                    }
                    Advice::LeaveToOs { best } => {
                        assert!(faster.is_empty() && !open, "{}", l.headline());
                        assert_ne!(best.verdict, Verdict::Inconclusive);
                    }
                    Advice::LeaveToOsForNow { .. } => {
                        assert!(faster.is_empty() && open, "{}", l.headline())
                    }
                    _ => assert!(faster.is_empty(), "{}", l.headline()),
                }
                // The named strategy's figure is on the line, interval included.
                if let Advice::Pin(e)
                | Advice::LeaveToOs { best: e }
                | Advice::LeaveToOsForNow { best: Some(e) } = &l.advice
                {
                    let h = l.headline();
                    assert!(h.contains(&e.strategy.to_string()), "{h}");
                    assert!(h.contains(&e.figure()), "{h}");
                    assert!(e.low.is_some() && e.high.is_some(), "{}", l.headline());
                }
            }
            let md = std::fs::read_to_string(dir.join("charts/report.md")).unwrap();
            let opening = md
                .split("## Conclusions\n\n")
                .nth(1)
                .unwrap_or_default()
                .lines()
                .take(c.lines.len() + 2)
                .collect::<Vec<_>>()
                .join("\n");
            let ours = render_markdown(&c);
            let ours: Vec<&str> = ours.lines().take(c.lines.len() + 2).collect();
            assert_eq!(
                opening,
                ours.join("\n"),
                "{}: report.md is stale; run scripts/regenerate-charts.sh",
                dir.display()
            );
        }
    }

    #[test]
    fn the_differences_called_say_why_one_line_per_sentence() {
        let mut slow = row("cpus:0/0", Some(Verdict::Slower), 0.5);
        slow.why =
            Some("workers waited for a CPU 48 % of the run (none: 3 %): both on CPU 0".into());
        let mut twin = row("none@B", Some(Verdict::SamePlacement), 1.0);
        twin.why = Some("same placement as none: nothing differs to explain".into());
        let mut also = row("cpus:1/1", Some(Verdict::Slower), 0.5);
        also.why = slow.why.clone();
        let mut unsure = row("per-worker", Some(Verdict::Inconclusive), 1.1);
        unsure.why = Some("nothing measured differs from none".into());
        let rows = vec![row("none", None, 1.0), slow, twin, also, unsure];
        let all = conclude(&rows, 2);
        let c = &all.lines[0];
        let whys: Vec<&String> = c.details.iter().filter(|d| d.starts_with("why ")).collect();
        // One line for the two slower placements that share a sentence; the twin and the
        // inconclusive verdict keep theirs to summary.csv and the verdict table.
        assert_eq!(
            whys,
            [&"why cpus:0/0, cpus:1/1: workers waited for a CPU 48 % of the run (none: 3 %): both on CPU 0".to_string()]
        );
    }
}
