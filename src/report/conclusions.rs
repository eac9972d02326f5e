//! What a reader should conclude, in words, per workload and model: does pinning help, hurt or
//! not matter, by how much, with the interval; which strategies are the same placement; which
//! scenarios are noisy or bimodal. A strategy is recommended only where a verdict supports it.
//! Pure: summary rows in, sentences out; the terminal summary and `report.md` both print it.

use std::fmt::Write;

use crate::runner::Model;
use crate::stats::Verdict;
use crate::store::SummaryRow;
use crate::workload::Workload;

/// The conclusion for one workload and model at one worker count.
#[derive(Debug, Clone, PartialEq)]
pub struct Conclusion {
    pub workload: Workload,
    pub model: Model,
    pub workers: usize,
    /// One line: helps / hurts / no difference / cannot tell, and by how much.
    pub headline: String,
    /// Supporting facts: recommendation, identical placements, noisy or bimodal scenarios.
    pub details: Vec<String>,
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
pub fn conclude(rows: &[SummaryRow], allowed: usize) -> Vec<Conclusion> {
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
    groups
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
            Some(conclude_group(w, m, n, &at))
        })
        .collect()
}

/// A group's rows sorted by verdict, and the texts its headline and details share.
struct Sorted<'a> {
    baseline: Option<&'a &'a SummaryRow>,
    judged: Vec<&'a &'a SummaryRow>,
    faster: Vec<&'a &'a SummaryRow>,
    slower: Vec<&'a &'a SummaryRow>,
    insufficient: Vec<&'a &'a SummaryRow>,
    not_achieved: Vec<&'a &'a SummaryRow>,
    no_difference: Vec<&'a &'a SummaryRow>,
    inconclusive: Vec<&'a &'a SummaryRow>,
    /// ` (within +-N %, this machine's noise)`: the band the no-difference verdicts were held to.
    band_text: String,
    /// `; identical placements differed by up to N %`.
    floor_text: String,
    /// A user's program that started no workers in any run: nothing was placed anywhere.
    no_workers: bool,
    /// Scenarios judged on their own merits (not none's own placement under another name).
    comparable: usize,
}

impl<'a> Sorted<'a> {
    fn of(rows: &'a [&'a SummaryRow]) -> Self {
        let baseline = rows.iter().find(|r| r.key.strategy.is_baseline());
        let judged: Vec<&&SummaryRow> = rows.iter().filter(|r| r.verdict.is_some()).collect();
        let with = |v: Verdict| -> Vec<&&SummaryRow> {
            let mut x: Vec<&&SummaryRow> = judged
                .iter()
                .copied()
                .filter(|r| r.verdict == Some(v))
                .collect();
            x.sort_by(|a, b| {
                b.speedup_vs_none
                    .unwrap_or(1.0)
                    .total_cmp(&a.speedup_vs_none.unwrap_or(1.0))
            });
            x
        };
        let (faster, slower) = (with(Verdict::Faster), with(Verdict::Slower));
        let insufficient = with(Verdict::Insufficient);
        let not_achieved = with(Verdict::NotAchieved);
        let (no_difference, inconclusive) =
            (with(Verdict::NoDifference), with(Verdict::Inconclusive));
        // The widest band a no-difference verdict was held to, and whether the noise set it.
        let band = no_difference.iter().filter_map(|r| r.band).reduce(f64::max);
        let band_text = band.map_or(String::new(), |b| {
            let noise = rows.iter().filter_map(|r| r.noise_floor).any(|f| f >= b);
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
        // A user's program that started no workers in any run: nothing was placed anywhere.
        let no_workers = !rows.is_empty() && rows.iter().all(|r| r.workers_seen == Some(0));
        let floor = rows.iter().find_map(|r| r.noise_floor);
        let floor_text = floor.map_or(String::new(), |f| {
            format!(
                "; identical placements differed by up to {:.1} %",
                f * 100.0
            )
        });
        // Scenarios judged on their own merits (not none's own placement under another name).
        let comparable = judged
            .iter()
            .filter(|r| {
                !matches!(
                    r.verdict,
                    Some(Verdict::SamePlacement | Verdict::NotAchieved)
                )
            })
            .count();
        Sorted {
            baseline,
            judged,
            faster,
            slower,
            insufficient,
            not_achieved,
            no_difference,
            inconclusive,
            band_text,
            floor_text,
            no_workers,
            comparable,
        }
    }

    /// One line: helps, hurts, no difference, or why there is no verdict (yet).
    fn headline(&self) -> String {
        let Sorted {
            baseline,
            judged,
            faster,
            slower,
            insufficient,
            not_achieved,
            inconclusive,
            band_text,
            floor_text,
            no_workers,
            comparable,
            ..
        } = self;
        let (no_workers, comparable) = (*no_workers, *comparable);
        match (baseline, faster.first(), slower.last()) {
            (None, _, _) => "no verdict: `none` was not measured here, so nothing is judged".into(),
            (Some(_), _, _) if no_workers => {
                "no verdict: the program started no workers, so no strategy placed anything (every run was none's placement)".into()
            }
            (Some(_), _, _) if comparable == 0 && !not_achieved.is_empty() => format!(
                "no verdict: the program's work did not run where {} put it (placement not achieved)",
                not_achieved
                    .iter()
                    .map(|r| r.key.strategy.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            (Some(_), _, _) if comparable == 0 && !judged.is_empty() => {
                "nothing to choose: every strategy places the workers exactly as none does".into()
            }
            (Some(_), _, _) if comparable == 0 => "no verdict: nothing to compare with none".into(),
            (Some(_), _, _) if insufficient.len() == comparable => {
                "no verdict: too few samples (fewer than 6 repetitions)".into()
            }
            (Some(_), Some(best), _) => format!(
                "pinning helps: {} is faster than none, {}",
                best.key.strategy,
                speedup_text(best)
            ),
            // "No strategy beats none" only when every other one is settled.
            (Some(_), None, Some(worst)) if inconclusive.is_empty() && not_achieved.is_empty() => {
                format!(
                    "pinning hurts: no strategy beats none; {} is slower, {}",
                    worst.key.strategy,
                    speedup_text(worst)
                )
            }
            (Some(_), None, Some(worst)) => format!(
                "pinning hurts with {}, slower than none, {}; not settled: {}",
                worst.key.strategy,
                speedup_text(worst),
                self.unsettled()
            ),
            (Some(_), None, None)
                if inconclusive.is_empty() && not_achieved.is_empty() && insufficient.is_empty() =>
            {
                format!(
                    "no difference: every strategy is within the noise of none{band_text}{floor_text}"
                )
            }
            (Some(_), None, None) => format!(
                "no verdict yet: {}: more repetitions or a quieter machine would tell",
                self.unsettled()
            ),
        }
    }

    /// The strategies without a verdict yet, each with why: its interval, too few samples, or
    /// a placement that was not achieved.
    fn unsettled(&self) -> String {
        let group = |what: &str, rows: &[&&SummaryRow], each: &dyn Fn(&SummaryRow) -> String| {
            (!rows.is_empty()).then(|| {
                let v: Vec<String> = rows.iter().map(|r| each(r)).collect();
                format!("{what} {}", v.join(", "))
            })
        };
        [
            group("inconclusive", &self.inconclusive, &|r| {
                format!("{} {}", r.key.strategy, range_text(r))
            }),
            group("too few samples:", &self.insufficient, &|r| {
                r.key.strategy.to_string()
            }),
            group("placement not achieved:", &self.not_achieved, &|r| {
                r.key.strategy.to_string()
            }),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("; ")
    }

    /// The recommendation, then every verdict with its figure.
    fn details(&self) -> Vec<String> {
        let Sorted {
            baseline,
            faster,
            slower,
            insufficient,
            not_achieved,
            no_difference,
            inconclusive,
            band_text,
            comparable,
            ..
        } = self;
        let comparable = *comparable;
        let mut details = Vec::new();
        if let Some(best) = faster.first() {
            let mut d = format!(
                "recommended: {} ({}x the throughput of none",
                best.key.strategy,
                best.speedup_vs_none
                    .map_or("?".into(), |s| format!("{s:.2}"))
            );
            if faster.len() > 1 {
                let others: Vec<String> = faster[1..]
                    .iter()
                    .map(|r| format!("{} {}", r.key.strategy, speedup_text(r)))
                    .collect();
                let _ = write!(d, "; also faster: {}", others.join(", "));
            }
            d.push(')');
            details.push(d);
        } else if baseline.is_some() && comparable > insufficient.len() && inconclusive.is_empty() {
            details.push(
                "recommended: leave placement to the OS (none); no strategy is reliably faster"
                    .into(),
            );
        } else if baseline.is_some() && !inconclusive.is_empty() {
            details.push(
                "recommended: leave placement to the OS (none) for now; nothing is shown faster, but not every strategy is settled".into(),
            );
        }
        // Every verdict with its figure.
        if !no_difference.is_empty() {
            let s: Vec<String> = no_difference
                .iter()
                .map(|r| format!("{} {}", r.key.strategy, speedup_text(r)))
                .collect();
            details.push(format!("no difference{band_text}: {}", s.join(", ")));
        }
        if !inconclusive.is_empty() && (!faster.is_empty() || !slower.is_empty()) {
            let s: Vec<String> = inconclusive
                .iter()
                .map(|r| format!("{} {}", r.key.strategy, range_text(r)))
                .collect();
            details.push(format!(
                "inconclusive (more repetitions or a quieter machine would tell): {}",
                s.join(", ")
            ));
        }
        if !insufficient.is_empty() && insufficient.len() < comparable {
            let names: Vec<String> = insufficient
                .iter()
                .map(|r| r.key.strategy.to_string())
                .collect();
            details.push(format!("too few samples to judge: {}", names.join(", ")));
        }
        for r in not_achieved.iter() {
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
        if !slower.is_empty() && !faster.is_empty() {
            let s: Vec<String> = slower
                .iter()
                .map(|r| format!("{} {}", r.key.strategy, speedup_text(r)))
                .collect();
            details.push(format!("slower than none: {}", s.join(", ")));
        }
        details
    }
}

/// Identical placements, bimodal and noisy scenarios: what to read the verdicts with.
fn placement_notes(rows: &[&SummaryRow]) -> Vec<String> {
    let mut details = Vec::new();
    // Identical placements, by the scenario they repeat.
    let mut same: Vec<(String, Vec<String>)> = Vec::new();
    for r in rows {
        if let Some(of) = &r.same_placement_as {
            let name = of.to_string();
            match same.iter_mut().find(|(k, _)| *k == name) {
                Some((_, v)) => v.push(r.key.strategy.to_string()),
                None => same.push((name, vec![r.key.strategy.to_string()])),
            }
        }
    }
    for (of, names) in same {
        details.push(format!(
            "same placement as {of} (not judged against each other): {}",
            names.join(", ")
        ));
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
pub fn why_lines(rows: &[&&SummaryRow]) -> Vec<String> {
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

fn conclude_group(w: Workload, m: Model, n: usize, rows: &[&SummaryRow]) -> Conclusion {
    let sorted = Sorted::of(rows);
    let mut details = sorted.details();
    let called: Vec<&&SummaryRow> = sorted
        .faster
        .iter()
        .chain(&sorted.slower)
        .copied()
        .collect();
    details.extend(why_lines(&called));
    details.extend(placement_notes(rows));
    Conclusion {
        workload: w,
        model: m,
        workers: n,
        headline: sorted.headline(),
        details,
    }
}

/// The conclusions as text: one headline per workload and model, details indented.
pub fn render(conclusions: &[Conclusion], markdown: bool) -> String {
    let mut s = String::new();
    for c in conclusions {
        if markdown {
            let _ = writeln!(
                s,
                "- **{} · {} x{}**: {}",
                c.workload, c.model, c.workers, c.headline
            );
            for d in &c.details {
                let _ = writeln!(s, "  - {d}");
            }
        } else {
            let _ = writeln!(
                s,
                "{} · {} x{}: {}",
                c.workload, c.model, c.workers, c.headline
            );
            for d in &c.details {
                let _ = writeln!(s, "    {d}");
            }
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
            ..Default::default()
        }
    }

    #[test]
    fn recommends_only_what_a_verdict_supports() {
        let rows = vec![
            row("none", None, 1.0),
            row("per-worker", Some(Verdict::NoDifference), 1.01),
            row("compact", Some(Verdict::NoDifference), 1.03),
        ];
        let c = &conclude(&rows, 2)[0];
        assert!(c.headline.starts_with("no difference"), "{}", c.headline);
        assert!(c.details[0].contains("leave placement to the OS"));
        let rows = vec![
            row("none", None, 1.0),
            row("per-worker", Some(Verdict::Faster), 1.5),
            row("compact", Some(Verdict::Slower), 0.8),
        ];
        let c = &conclude(&rows, 2)[0];
        assert!(c.headline.contains("helps: per-worker"), "{}", c.headline);
        assert!(c.details[0].starts_with("recommended: per-worker"));
        let rows = vec![
            row("none", None, 1.0),
            row("none@B", Some(Verdict::SamePlacement), 0.87),
            row("per-worker", Some(Verdict::Insufficient), 1.09),
        ];
        let c = &conclude(&rows, 2)[0];
        assert!(c.headline.contains("too few samples"), "{}", c.headline);
        assert!(!c.details.iter().any(|d| d.starts_with("recommended")));
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
        let c = &conclude(&rows, 2)[0];
        let whys: Vec<&String> = c.details.iter().filter(|d| d.starts_with("why ")).collect();
        // One line for the two slower placements that share a sentence; the twin and the
        // inconclusive verdict keep theirs to summary.csv and the verdict table.
        assert_eq!(
            whys,
            [&"why cpus:0/0, cpus:1/1: workers waited for a CPU 48 % of the run (none: 3 %): both on CPU 0".to_string()]
        );
    }
}
