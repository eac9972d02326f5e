//! `pinbench compare`: two hardware profiles side by side, and every profile given in the fleet
//! view of [`fleet`]. Scenarios are joined on workload,
//! strategy, model, workers, pin-by and antagonist (explicit pair placements join on their
//! label, `@same-cpu`, since CPU ids differ between machines; sizes named by their role on the
//! machine, `cache:L2/2`, on the role, whatever its bytes on each); scenarios that only one
//! profile has are listed with the reason, grouped, never dropped.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

mod charts;
pub mod fleet;
mod latency;
mod unjoined;

use crate::report::charts::style::render;
use crate::report::{ProfileResults, ReportError};
use crate::runner::{Model, PinBy};
use crate::stats::Verdict;
use crate::store::SummaryRow;
use crate::strategy::LabelledStrategy;
use crate::workload::{MachineCaches, Workload};
use charts::{Ratio, SpeedupSideBySide};
pub use unjoined::Unjoined;

/// Which profiles measured a scenario.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Presence {
    #[default]
    #[serde(rename = "both")]
    Both,
    #[serde(rename = "a only")]
    AOnly,
    #[serde(rename = "b only")]
    BOnly,
}

impl Presence {
    pub fn as_str(&self) -> &'static str {
        match self {
            Presence::Both => "both",
            Presence::AOnly => "a only",
            Presence::BOnly => "b only",
        }
    }
}

/// One row of `compare.csv`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompareRow {
    pub workload: Workload,
    /// The strategy's join name: its full name, or `@<placement>` for a pair placement (whose
    /// CPU ids differ between machines).
    pub strategy: String,
    pub model: Model,
    pub pin_by: Option<PinBy>,
    pub workers: usize,
    pub antagonist: Option<crate::antagonist::AntagonistSpec>,
    pub present: Presence,
    pub a_median_throughput_ops_s: Option<f64>,
    pub b_median_throughput_ops_s: Option<f64>,
    /// Median throughput of B over A.
    pub ratio_b_over_a: Option<f64>,
    pub a_ns_per_op: Option<f64>,
    pub b_ns_per_op: Option<f64>,
    pub a_speedup_vs_none: Option<f64>,
    pub b_speedup_vs_none: Option<f64>,
    pub a_verdict: Option<Verdict>,
    pub b_verdict: Option<Verdict>,
    /// Each profile's `why` of its verdict (summary.csv's sentence).
    pub a_why: Option<String>,
    pub b_why: Option<String>,
    /// The workload's bytes on each machine (a role's as it resolved there; empty where that
    /// profile did not run it, or for an unsized workload).
    pub a_size_bytes: Option<u64>,
    pub b_size_bytes: Option<u64>,
    /// Why a scenario is in one profile only ([`Unjoined`]); empty where both ran it.
    pub only_because: Option<String>,
    /// The strategy as the profiles name it (A's where both ran it), for colours and order.
    #[serde(skip)]
    pub labelled: LabelledStrategy,
}

/// Scenarios join in the order of their names, so `compare.csv` reads alphabetically.
type JoinKey = (String, String, String, String, usize, String);

fn join_key(r: &SummaryRow) -> JoinKey {
    let k = &r.key;
    let text = |v: Option<String>| v.unwrap_or_default();
    (
        k.workload.to_string(),
        k.strategy.join_name(),
        k.model.to_string(),
        text(k.pin_by.map(|p| p.to_string())),
        k.workers,
        text(k.antagonist.as_ref().map(|a| a.to_string())),
    )
}

/// A profile's results with a role attached to each byte size written before roles where its
/// machine's caches resolve a role to those bytes (`cache:1MiB` on a machine whose L2 is 2 MiB
/// reads as `cache:L2/2`), so results of earlier versions join on the role too.
pub fn with_roles(p: &ProfileResults) -> ProfileResults {
    let caches = MachineCaches::of(&p.profile);
    let key = |k: &crate::store::ScenarioKey| crate::store::ScenarioKey {
        workload: k.workload.with_role_on(&caches),
        ..k.clone()
    };
    ProfileResults {
        dir: p.dir.clone(),
        profile: p.profile.clone(),
        rows: p
            .rows
            .iter()
            .map(|r| SummaryRow {
                key: key(&r.key),
                ..r.clone()
            })
            .collect(),
        excluded: p.excluded.clone(),
        samples: p
            .samples
            .iter()
            .map(|((run, k), v)| ((run.clone(), key(k)), v.clone()))
            .collect(),
    }
}

/// Joins the measured rows of two profiles.
pub fn join(a: &ProfileResults, b: &ProfileResults) -> Vec<CompareRow> {
    let index = |p: &ProfileResults| -> BTreeMap<JoinKey, SummaryRow> {
        p.ok().map(|r| (join_key(r), r.clone())).collect()
    };
    let (ia, ib) = (index(a), index(b));
    let mut keys: Vec<&JoinKey> = ia.keys().chain(ib.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|k| {
            let (ra, rb) = (ia.get(k), ib.get(k));
            let key = &ra.or(rb).expect("a key comes from a row").key;
            let ta = ra.and_then(|r| r.median_throughput_ops_s);
            let tb = rb.and_then(|r| r.median_throughput_ops_s);
            let only_because = match (ra, rb) {
                (Some(r), None) => Some(Unjoined::of(r, b, "B")),
                (None, Some(r)) => Some(Unjoined::of(r, a, "A")),
                _ => None,
            };
            CompareRow {
                workload: key.workload,
                strategy: k.1.clone(),
                model: key.model,
                pin_by: key.pin_by,
                workers: key.workers,
                antagonist: key.antagonist.clone(),
                present: match (ra, rb) {
                    (Some(_), Some(_)) => Presence::Both,
                    (Some(_), None) => Presence::AOnly,
                    _ => Presence::BOnly,
                },
                a_median_throughput_ops_s: ta,
                b_median_throughput_ops_s: tb,
                ratio_b_over_a: ta.zip(tb).filter(|(x, _)| *x > 0.0).map(|(x, y)| y / x),
                a_ns_per_op: ra.and_then(|r| r.median_ns_per_op),
                b_ns_per_op: rb.and_then(|r| r.median_ns_per_op),
                a_speedup_vs_none: ra.and_then(|r| r.speedup_vs_none),
                b_speedup_vs_none: rb.and_then(|r| r.speedup_vs_none),
                a_verdict: ra.and_then(|r| r.verdict),
                b_verdict: rb.and_then(|r| r.verdict),
                a_why: ra.and_then(|r| r.why.clone()),
                b_why: rb.and_then(|r| r.why.clone()),
                a_size_bytes: ra.and_then(|r| r.key.workload.size()),
                b_size_bytes: rb.and_then(|r| r.key.workload.size()),
                only_because: only_because.map(|u| u.to_string()),
                labelled: key.strategy.clone(),
            }
        })
        .collect()
}

fn profile_table(a: &ProfileResults, b: &ProfileResults) -> String {
    let caches = |p: &ProfileResults| {
        let cpu = p.profile.allowed.first().unwrap_or(0);
        [1u8, 2, 3]
            .iter()
            .filter_map(|l| {
                let c = p.profile.topology.cache_of(cpu, *l)?;
                Some(format!(
                    "{} {}",
                    c.name(),
                    crate::size::format_size(c.size_bytes?)
                ))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let facts = |p: &ProfileResults| -> Vec<(&'static str, String)> {
        let pr = &p.profile;
        vec![
            ("profile id", pr.id.clone()),
            ("CPU model", pr.cpu_model.clone().unwrap_or_default()),
            ("CPUs online", pr.summary.cpus.to_string()),
            (
                "packages / cores",
                format!("{} / {}", pr.summary.packages, pr.summary.cores),
            ),
            ("SMT", crate::text::smt_words(&pr.smt).to_string()),
            ("caches", caches(p)),
            ("NUMA nodes", pr.summary.numa_nodes.to_string()),
            ("allowed set", pr.allowed.to_string()),
            (
                "cgroup quota",
                pr.cgroup
                    .quota
                    .map_or("none".into(), |q| format!("{:.2} CPUs", q.cpus())),
            ),
            ("kernel", pr.kernel.clone().unwrap_or_default()),
            (
                "virtualisation",
                pr.virtualization.clone().unwrap_or("none".into()),
            ),
            ("governor", pr.governor.clone().unwrap_or("unknown".into())),
        ]
    };
    let (fa, fb) = (facts(a), facts(b));
    let mut s = String::from("| | A | B | differs |\n| --- | --- | --- | --- |\n");
    for ((name, va), (_, vb)) in fa.iter().zip(&fb) {
        let _ = writeln!(
            s,
            "| {name} | {va} | {vb} | {} |",
            if va != vb { "yes" } else { "" }
        );
    }
    s
}

/// Scenarios whose verdicts differ between the profiles where at least one machine called a
/// difference (faster or slower), each with both `why`s: what each machine measured behind its
/// verdict. An inconclusive verdict against a same placement says nothing worth a line.
fn why_differs(rows: &[CompareRow]) -> String {
    let called = |v: Option<Verdict>| matches!(v, Some(Verdict::Faster | Verdict::Slower));
    let differ: Vec<&CompareRow> = rows
        .iter()
        .filter(|r| r.present == Presence::Both && r.a_verdict != r.b_verdict)
        .filter(|r| called(r.a_verdict) || called(r.b_verdict))
        .filter(|r| r.a_why.is_some() || r.b_why.is_some())
        .collect();
    if differ.is_empty() {
        return String::new();
    }
    let mut md = String::from("\n## Why the verdicts differ\n\n");
    let verdict = |v: Option<Verdict>| v.map_or("-", |v| v.as_str());
    for r in differ {
        let _ = writeln!(
            md,
            "- {} {} {} x{}: A {} ({}); B {} ({})",
            r.workload,
            r.strategy,
            r.model,
            r.workers,
            verdict(r.a_verdict),
            r.a_why.as_deref().unwrap_or("no why"),
            verdict(r.b_verdict),
            r.b_why.as_deref().unwrap_or("no why"),
        );
    }
    md
}

/// The sizes each machine gave the workloads named by a role: `cache:L2/2`: 1MiB on A,
/// 256KiB on B. Empty where no workload has a role.
fn sizes_table(rows: &[CompareRow]) -> String {
    let mut seen: Vec<(Workload, Option<u64>, Option<u64>)> = Vec::new();
    for r in rows.iter().filter(|r| r.workload.size_role().is_some()) {
        match seen.iter_mut().find(|s| s.0 == r.workload) {
            Some(s) => {
                s.1 = s.1.or(r.a_size_bytes);
                s.2 = s.2.or(r.b_size_bytes);
            }
            None => seen.push((r.workload, r.a_size_bytes, r.b_size_bytes)),
        }
    }
    if seen.is_empty() {
        return String::new();
    }
    seen.sort_by_key(|s| s.0);
    let bytes = |b: Option<u64>| b.map_or("not run".to_string(), crate::size::format_size);
    let mut s = String::from(
        "\n## Working sets\n\nSizes named by their role on each machine join on the role; the bytes are each machine's own.\n\n| workload | A | B |\n| --- | --- | --- |\n",
    );
    for (w, a, b) in seen {
        let _ = writeln!(s, "| {w} | {} | {} |", bytes(a), bytes(b));
    }
    s
}

/// `working sets A | B: cache:L1d/2 24KiB | 16KiB, ...` for the charts' subtitles: the bytes
/// behind each role both profiles ran.
fn sizes_line(rows: &[CompareRow]) -> String {
    let mut seen: Vec<(Workload, u64, u64)> = Vec::new();
    for r in rows.iter().filter(|r| r.workload.size_role().is_some()) {
        if let (Some(a), Some(b)) = (r.a_size_bytes, r.b_size_bytes)
            && !seen.iter().any(|s| s.0 == r.workload)
        {
            seen.push((r.workload, a, b));
        }
    }
    seen.sort_by_key(|s| s.0);
    if seen.is_empty() {
        return String::new();
    }
    let f = crate::size::format_size;
    format!(
        "   working sets A | B: {}",
        seen.iter()
            .map(|(w, a, b)| format!("{w} {} | {}", f(*a), f(*b)))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// What a comparison wrote.
pub struct Compared {
    pub dir: PathBuf,
    pub rows: usize,
    pub only_a: usize,
    pub only_b: usize,
}

/// Compares two loaded profiles into `out_root/compare/<a>--vs--<b>/`.
pub fn compare(
    a: &ProfileResults,
    b: &ProfileResults,
    out_root: &Path,
) -> Result<Compared, ReportError> {
    // One folder given twice has one profile id too.
    if a.profile.id == b.profile.id {
        return Err(ReportError::Other(format!(
            "`{}` and `{}` are the same profile ({}): compare two different machines or allowed sets",
            a.dir.display(),
            b.dir.display(),
            a.profile.id
        )));
    }
    let (a, b) = (&with_roles(a), &with_roles(b));
    let rows = join(a, b);
    let dir = out_root
        .join("compare")
        .join(format!("{}--vs--{}", a.profile.id, b.profile.id));
    crate::report::data::make_dir(&dir)?;
    crate::store::write_atomic(&dir.join("compare.csv"), &crate::store::to_csv(&rows)?)?;
    render(
        &SpeedupSideBySide { a, b, rows: &rows },
        &dir,
        "speedup-side-by-side",
    )?;
    render(&Ratio { a, b, rows: &rows }, &dir, "throughput-ratio")?;
    let latency = latency::CacheLatencyPair::new(a, b, &rows);
    if let Some(l) = &latency {
        render(l, &dir, "cache-latency")?;
    }
    let only_a = rows.iter().filter(|r| r.present == Presence::AOnly).count();
    let only_b = rows.iter().filter(|r| r.present == Presence::BOnly).count();
    let mut md = format!(
        "# {} vs {}\n\n## How the profiles differ\n\n",
        a.profile.id, b.profile.id
    );
    md.push_str(&profile_table(a, b));
    md.push_str(&sizes_table(&rows));
    md.push_str("\n![speedup side by side](speedup-side-by-side.png)\n\n![throughput ratio](throughput-ratio.png)\n");
    if latency.is_some() {
        md.push_str("\n![cache latency](cache-latency.png)\n");
    }
    let _ = writeln!(md, "\n## Scenarios in one profile only\n");
    if only_a + only_b == 0 {
        md.push_str("None: every scenario was measured on both.\n");
    } else {
        md.push_str(&unjoined::grouped(&rows));
    }
    md.push_str(&why_differs(&rows));
    crate::store::write_atomic(&dir.join("compare.md"), md.as_bytes())?;
    Ok(Compared {
        dir,
        rows: rows.len(),
        only_a,
        only_b,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(a: Option<Verdict>, b: Option<Verdict>) -> CompareRow {
        CompareRow {
            workload: "ipc:pipe".parse().unwrap(),
            strategy: "@same-cpu".into(),
            present: Presence::Both,
            a_verdict: a,
            b_verdict: b,
            a_why: Some("a's why".into()),
            b_why: Some("b's why".into()),
            workers: 2,
            ..Default::default()
        }
    }

    /// Only verdicts that differ where a machine called a difference get a line: an
    /// inconclusive one against a same placement, or two open ones, say nothing worth reading.
    #[test]
    fn why_the_verdicts_differ_lists_called_differences_only() {
        use Verdict::*;
        let rows = [
            row(Some(Faster), Some(SamePlacement)),
            row(Some(Inconclusive), Some(SamePlacement)),
            row(Some(Inconclusive), Some(NoDifference)),
            row(Some(Slower), Some(Slower)),
            row(Some(NoDifference), Some(Slower)),
        ];
        let md = why_differs(&rows);
        let lines: Vec<&str> = md.lines().filter(|l| l.starts_with("- ")).collect();
        assert_eq!(lines.len(), 2, "{md}");
        assert!(
            lines[0].contains("A faster (a's why); B same placement (b's why)"),
            "{md}"
        );
        assert!(lines[1].contains("A no difference"), "{md}");
        assert_eq!(why_differs(&rows[1..3]), "");
    }
}
