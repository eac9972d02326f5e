//! The fleet view: any number of profiles at once. `compare/fleet/compare.csv` has one row per
//! profile x scenario (tidy, for pandas or R), and `fleet-speedup` draws a grid of scenarios
//! (rows) by profiles (columns), each cell the speedup over `none` on that machine, coloured by
//! its verdict. Worker counts differ between machines, so scenarios join on the worker count
//! relative to each machine's allowed CPUs (`1`, `n`, `2n`); the grid shows `n` (every allowed
//! CPU busy), the CSV every count. Profiles are ordered by CPU model, then allowed CPUs, so
//! machines of one kind stand side by side.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use crate::report::charts::style::{Chart, render};
use crate::report::{ProfileResults, ReportError};
use crate::runner::Model;
use crate::stats::Verdict;
use crate::workload::Workload;

/// One row of the fleet's `compare.csv`: one scenario on one profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct FleetRow {
    pub profile_id: String,
    pub cpu_model: String,
    pub allowed_cpus: usize,
    pub workload: Workload,
    /// The strategy's join name (`@<placement>` for pair placements).
    pub strategy: String,
    pub model: Model,
    pub workers: usize,
    /// The worker count relative to the allowed CPUs: `1`, `n`, `2n`, or the count.
    pub workers_class: WorkersClass,
    pub median_throughput_ops_s: Option<f64>,
    pub speedup_vs_none: Option<f64>,
    pub speedup_ci_low: Option<f64>,
    pub speedup_ci_high: Option<f64>,
    pub verdict: Option<Verdict>,
    /// The verdict's `why` on this machine (summary.csv's sentence).
    pub why: Option<String>,
    /// The workload's bytes on this machine (a role's, `cache:L2/2`, as it resolved there);
    /// empty for unsized workloads.
    pub size_bytes: Option<u64>,
    /// Whether this is the baseline itself (`none`, unlabelled), which the grid leaves out.
    #[serde(skip)]
    pub baseline: bool,
}

/// A worker count relative to a machine's allowed CPUs, so machines of different sizes join.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WorkersClass {
    /// One worker.
    #[default]
    One,
    /// As many workers as allowed CPUs (every CPU busy): the grid's column.
    N,
    /// Twice as many.
    TwoN,
    /// Any other count.
    Count(usize),
}

impl WorkersClass {
    /// On a one-CPU profile one worker is `n`, so the grid (which shows `n`) has that machine.
    pub fn of(workers: usize, allowed: usize) -> Self {
        match workers {
            w if w == allowed => WorkersClass::N,
            1 => WorkersClass::One,
            w if w == 2 * allowed => WorkersClass::TwoN,
            w => WorkersClass::Count(w),
        }
    }
}

impl std::fmt::Display for WorkersClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WorkersClass::One => f.write_str("1"),
            WorkersClass::N => f.write_str("n"),
            WorkersClass::TwoN => f.write_str("2n"),
            WorkersClass::Count(w) => write!(f, "{w}"),
        }
    }
}

impl std::str::FromStr for WorkersClass {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "1" => Ok(WorkersClass::One),
            "n" => Ok(WorkersClass::N),
            "2n" => Ok(WorkersClass::TwoN),
            w => w
                .parse()
                .map(WorkersClass::Count)
                .map_err(|_| format!("`{s}` is not a worker class: 1, n, 2n or a count")),
        }
    }
}

serde_as_text!(WorkersClass);

/// The profiles in fleet order: CPU model, then allowed CPUs, then id.
fn ordered(profiles: &[ProfileResults]) -> Vec<&ProfileResults> {
    let mut v: Vec<&ProfileResults> = profiles.iter().collect();
    v.sort_by_key(|p| {
        (
            p.profile.cpu_model.clone().unwrap_or_default(),
            p.profile.allowed.len(),
            p.profile.id.clone(),
        )
    });
    v
}

/// Every measured scenario of every profile, one row each.
pub fn rows(profiles: &[ProfileResults]) -> Vec<FleetRow> {
    let mut out = Vec::new();
    for p in ordered(profiles) {
        let n = p.profile.allowed.len();
        for r in p.ok() {
            let k = &r.key;
            if k.antagonist.is_some() {
                continue;
            }
            out.push(FleetRow {
                profile_id: p.profile.id.clone(),
                cpu_model: p.profile.cpu_model.clone().unwrap_or_default(),
                allowed_cpus: n,
                workload: k.workload,
                strategy: k.strategy.join_name(),
                model: k.model,
                workers: k.workers,
                workers_class: WorkersClass::of(k.workers, n),
                median_throughput_ops_s: r.median_throughput_ops_s,
                speedup_vs_none: r.speedup_vs_none,
                speedup_ci_low: r.speedup_ci_low,
                speedup_ci_high: r.speedup_ci_high,
                verdict: r.verdict,
                why: r.why.clone(),
                size_bytes: k.workload.size(),
                baseline: k.strategy.is_baseline(),
            });
        }
    }
    out
}

/// A grid row: a scenario at `n` workers.
type GridKey = (Workload, String, Model);

/// The fleet grid chart.
pub struct FleetGrid<'a> {
    /// Columns in fleet order: the profile id and its column head.
    pub profiles: Vec<(&'a str, String)>,
    /// The columns where a CPU model other than the one before starts: the grid draws a rule
    /// before each.
    pub model_starts: Vec<usize>,
    pub scenarios: Vec<GridKey>,
    pub cells: BTreeMap<(GridKey, String), (Option<f64>, Option<Verdict>)>,
    /// Each machine's bytes for a workload named by its role (`cache:L2/2`), shown in a row
    /// above that workload's.
    pub sizes: BTreeMap<(Workload, String), u64>,
}

/// A line of the grid: a workload's bytes per machine, or a scenario.
enum Line<'k> {
    Sizes(Workload),
    Scenario(&'k GridKey),
}

const LEFT: u32 = 300;
const TOP: u32 = 275;
const CELL_W: u32 = 64;
const CELL_H: u32 = 20;

impl<'a> FleetGrid<'a> {
    pub fn new(profiles: &'a [ProfileResults], rows: &[FleetRow]) -> Self {
        let order = ordered(profiles);
        let cols: Vec<(&str, String)> = order
            .iter()
            .map(|p| (p.profile.id.as_str(), column_label(&p.profile.id)))
            .collect();
        let model_starts: Vec<usize> = (1..order.len())
            .filter(|&i| order[i].profile.cpu_model != order[i - 1].profile.cpu_model)
            .collect();
        let mut scenarios: BTreeSet<GridKey> = BTreeSet::new();
        let mut cells = BTreeMap::new();
        let mut sizes = BTreeMap::new();
        for r in rows {
            if let (Some(_), Some(b)) = (r.workload.size_role(), r.size_bytes) {
                sizes.insert((r.workload, r.profile_id.clone()), b);
            }
        }
        for r in rows
            .iter()
            .filter(|r| r.workers_class == WorkersClass::N && !r.baseline)
        {
            let key = (r.workload, r.strategy.clone(), r.model);
            scenarios.insert(key.clone());
            cells.insert((key, r.profile_id.clone()), (r.speedup_vs_none, r.verdict));
        }
        Self {
            profiles: cols,
            model_starts,
            scenarios: scenarios.into_iter().collect(),
            cells,
            sizes,
        }
    }

    /// The grid's lines: each workload's scenarios, a role's preceded by its bytes per machine.
    fn lines(&self) -> Vec<Line<'_>> {
        let mut out = Vec::new();
        let mut last: Option<Workload> = None;
        for key in &self.scenarios {
            if last != Some(key.0) && key.0.size_role().is_some() {
                out.push(Line::Sizes(key.0));
            }
            last = Some(key.0);
            out.push(Line::Scenario(key));
        }
        out
    }
}

/// Longest column head, in characters, that fits above the grid.
const LABEL_CHARS: usize = 48;

/// A column head that keeps what tells profiles apart: the CPU count, the allowed set and the
/// hash at the end of the id stay whole, the CPU model is shortened to fit.
fn column_label(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= LABEL_CHARS {
        return id.to_string();
    }
    // The tail starts at `<N>cpu-allowed-`, the part profile_id builds after the model.
    let tail_start = id
        .find("cpu-allowed-")
        .map(|p| id[..p].trim_end_matches(|c: char| c.is_ascii_digit()).len());
    match tail_start {
        Some(t) if id.len() - t < LABEL_CHARS - 4 => {
            let tail = &id[t..];
            let head: String = id[..t]
                .chars()
                .take(LABEL_CHARS - 1 - tail.chars().count())
                .collect();
            format!("{}…{tail}", head.trim_end_matches('-'))
        }
        _ => {
            let tail: String = chars[chars.len() - (LABEL_CHARS - 1)..].iter().collect();
            format!("…{tail}")
        }
    }
}

fn cell_colour(speedup: Option<f64>, verdict: Option<Verdict>) -> RGBColor {
    let strength = |s: f64| (s.ln().abs() / 2f64.ln()).clamp(0.15, 1.0);
    match (verdict, speedup) {
        (Some(Verdict::Faster), Some(s)) => {
            let t = strength(s);
            RGBColor(
                (230.0 - 190.0 * t) as u8,
                (240.0 - 120.0 * t) as u8,
                (255.0 - 75.0 * t) as u8,
            )
        }
        (Some(Verdict::Slower), Some(s)) => {
            let t = strength(s);
            RGBColor(
                (255.0 - 45.0 * t) as u8,
                (230.0 - 190.0 * t) as u8,
                (230.0 - 190.0 * t) as u8,
            )
        }
        (Some(Verdict::SamePlacement), _) => RGBColor(250, 250, 250),
        (Some(Verdict::Inconclusive), _) => crate::report::charts::INCONCLUSIVE,
        (Some(_), _) => RGBColor(225, 225, 225),
        (None, _) => RGBColor(255, 255, 255),
    }
}

impl Chart for FleetGrid<'_> {
    fn size(&self) -> (u32, u32) {
        (
            // Never narrower than the title and its key.
            (LEFT + CELL_W * self.profiles.len().max(1) as u32 + 40).max(820),
            TOP + CELL_H * self.lines().len().max(1) as u32 + 60,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("{e:?}");
        let title = ("sans-serif", 18).into_font();
        let small = ("sans-serif", 11).into_font();
        root.draw(&Text::new(
            "Fleet: speedup over none with every allowed CPU busy (n workers), per machine",
            (10, 8),
            title,
        ))
        .map_err(e)?;
        root.draw(&Text::new(
            "blue: faster, red: slower (deeper: larger), grey: no difference, amber: inconclusive, = : none's own placement, blank: not measured",
            (10, 32),
            small.clone(),
        ))
        .map_err(e)?;
        // Column heads, turned up so twenty machines fit.
        for (i, (_, label)) in self.profiles.iter().enumerate() {
            let x = LEFT as i32 + i as i32 * CELL_W as i32 + CELL_W as i32 / 2;
            let style = small
                .clone()
                .transform(FontTransform::Rotate270)
                .color(&BLACK);
            root.draw(&Text::new(label.clone(), (x - 6, TOP as i32 - 8), style))
                .map_err(e)?;
        }
        // Machines of one CPU model stand together; a rule starts each model after the first.
        let lines = self.lines();
        let bottom = TOP as i32 + CELL_H as i32 * lines.len() as i32;
        for &i in &self.model_starts {
            let x = LEFT as i32 + i as i32 * CELL_W as i32;
            root.draw(&PathElement::new(
                vec![(x, 48), (x, bottom)],
                ShapeStyle::from(&BLACK).stroke_width(2),
            ))
            .map_err(e)?;
        }
        // The line above each workload's rows, across the label column and every profile's.
        let right = LEFT as i32 + CELL_W as i32 * self.profiles.len() as i32;
        let rule = |y: i32| {
            root.draw(&PathElement::new(vec![(10, y), (right, y)], BLACK.mix(0.5)))
                .map_err(e)
        };
        let mut last_workload: Option<Workload> = None;
        for (j, line) in lines.iter().enumerate() {
            let y = TOP as i32 + j as i32 * CELL_H as i32;
            let key = match line {
                Line::Scenario(key) => *key,
                Line::Sizes(w) => {
                    if j > 0 {
                        rule(y)?;
                    }
                    let grey = small.clone().color(&RGBColor(90, 90, 90));
                    root.draw(&Text::new(
                        format!("{w}  working set on each machine"),
                        (10, y + 4),
                        grey.clone(),
                    ))
                    .map_err(e)?;
                    for (i, (id, _)) in self.profiles.iter().enumerate() {
                        if let Some(b) = self.sizes.get(&(*w, id.to_string())) {
                            let x = LEFT as i32 + i as i32 * CELL_W as i32;
                            root.draw(&Text::new(
                                crate::size::format_size(*b),
                                (x + 8, y + 4),
                                grey.clone(),
                            ))
                            .map_err(e)?;
                        }
                    }
                    last_workload = Some(*w);
                    continue;
                }
            };
            let label = format!(
                "{}  {}  {}",
                if last_workload == Some(key.0) {
                    String::new()
                } else {
                    key.0.to_string()
                },
                key.1,
                key.2
            );
            if last_workload != Some(key.0) && j > 0 {
                rule(y)?;
            }
            last_workload = Some(key.0);
            root.draw(&Text::new(label, (10, y + 4), small.clone()))
                .map_err(e)?;
            for (i, (id, _)) in self.profiles.iter().enumerate() {
                let x = LEFT as i32 + i as i32 * CELL_W as i32;
                let (speedup, verdict) = self
                    .cells
                    .get(&(key.clone(), id.to_string()))
                    .cloned()
                    .unwrap_or((None, None));
                root.draw(&Rectangle::new(
                    [
                        (x + 1, y + 1),
                        (x + CELL_W as i32 - 1, y + CELL_H as i32 - 1),
                    ],
                    cell_colour(speedup, verdict).filled(),
                ))
                .map_err(e)?;
                let text = match (verdict, speedup) {
                    (Some(Verdict::SamePlacement), _) => "=".to_string(),
                    (_, Some(s)) => format!("{s:.2}"),
                    _ => String::new(),
                };
                if !text.is_empty() {
                    root.draw(&Text::new(text, (x + 14, y + 4), small.clone()))
                        .map_err(e)?;
                }
            }
        }
        Ok(())
    }
}

/// What the fleet comparison wrote.
pub struct Fleet {
    pub dir: PathBuf,
    pub profiles: usize,
    pub rows: usize,
}

/// The Slurm nodes and jobs that recorded runs of a profile (`-` for runs started by hand),
/// so a fleet row can be traced to the machines behind it.
fn slurm_origin(p: &crate::profile::HardwareProfile) -> String {
    if p.history.scheduler.is_empty() {
        return "-".into();
    }
    let mut nodes = BTreeSet::new();
    let mut jobs = BTreeSet::new();
    for s in &p.history.scheduler {
        nodes.insert(s.node.clone().unwrap_or_else(|| "?".into()));
        jobs.insert(s.job_label());
    }
    let list = |set: BTreeSet<String>| {
        let n = set.len();
        let mut v: Vec<String> = set.into_iter().take(3).collect();
        if n > 3 {
            v.push(format!("and {} more", n - 3));
        }
        v.join(", ")
    };
    format!("{} ({})", list(nodes), list(jobs))
}

/// The bytes each machine gave the workloads named by a role (`cache:L2/2`), one row per
/// profile: the grid joins on the role, this says what it meant on each.
fn sizes_table(profiles: &[ProfileResults], rows: &[FleetRow]) -> String {
    let mut roles: Vec<Workload> = rows
        .iter()
        .filter(|r| r.workload.size_role().is_some())
        .map(|r| r.workload)
        .collect();
    roles.sort();
    roles.dedup();
    if roles.is_empty() {
        return String::new();
    }
    let mut s = format!(
        "\n## Working sets\n\nWorkloads named by their role on the machine join on the role; the bytes are each machine's own.\n\n| profile | {} |\n| --- |{}\n",
        roles
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" | "),
        " --- |".repeat(roles.len())
    );
    for p in ordered(profiles) {
        let cells: Vec<String> = roles
            .iter()
            .map(|w| {
                rows.iter()
                    .find(|r| r.profile_id == p.profile.id && r.workload == *w)
                    .and_then(|r| r.size_bytes)
                    .map_or(String::new(), crate::size::format_size)
            })
            .collect();
        let _ = writeln!(s, "| {} | {} |", p.profile.id, cells.join(" | "));
    }
    s
}

/// Compares every loaded profile into `out_root/compare/fleet/`.
pub fn fleet(profiles: &[ProfileResults], out_root: &Path) -> Result<Fleet, ReportError> {
    let mut ids = BTreeSet::new();
    for p in profiles {
        if !ids.insert(p.profile.id.clone()) {
            return Err(ReportError::Other(format!(
                "profile {} is given twice: give each machine's folder once",
                p.profile.id
            )));
        }
    }
    let profiles: Vec<ProfileResults> = profiles.iter().map(super::with_roles).collect();
    let profiles = profiles.as_slice();
    let rows = rows(profiles);
    let dir = out_root.join("compare").join("fleet");
    crate::report::data::make_dir(&dir)?;
    crate::store::write_atomic(&dir.join("compare.csv"), &crate::store::to_csv(&rows)?)?;
    let grid = FleetGrid::new(profiles, &rows);
    render(&grid, &dir, "fleet-speedup")?;
    let mut md = format!(
        "# Fleet: {} profiles\n\n| profile | CPU model | allowed CPUs | SMT | faster | slower | no difference | inconclusive | Slurm nodes (jobs) |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
        profiles.len()
    );
    for p in ordered(profiles) {
        let mine = rows.iter().filter(|r| r.profile_id == p.profile.id);
        let count = |v: Verdict| mine.clone().filter(|r| r.verdict == Some(v)).count();
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            p.profile.id,
            p.profile.cpu_model.clone().unwrap_or_default(),
            p.profile.allowed.len(),
            p.profile.smt,
            count(Verdict::Faster),
            count(Verdict::Slower),
            count(Verdict::NoDifference),
            count(Verdict::Inconclusive),
            slurm_origin(&p.profile)
        );
    }
    md.push_str(&sizes_table(profiles, &rows));
    md.push_str("\n![fleet](fleet-speedup.png)\n\nEvery profile x scenario, every worker count: `compare.csv`.\n");
    crate::store::write_atomic(&dir.join("compare.md"), md.as_bytes())?;
    Ok(Fleet {
        dir,
        profiles: profiles.len(),
        rows: rows.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_heads_keep_what_tells_profiles_apart() {
        let a = column_label("intel-xeon-2-10ghz-2cpu-allowed-0-1-layout-40d60a");
        let b = column_label("intel-xeon-2-10ghz-2cpu-allowed-0-layout-21dcf4");
        assert_eq!(b, "intel-xeon-2-10ghz-2cpu-allowed-0-layout-21dcf4");
        assert!(a.chars().count() <= LABEL_CHARS, "{a}");
        assert!(a.ends_with("2cpu-allowed-0-1-layout-40d60a"), "{a}");
        assert!(a.starts_with("intel-xeon"), "{a}");
        let long = column_label(
            "amd-epyc-9654-96-core-processor-384cpu-allowed-0-15_192-207-layout-abc123",
        );
        assert!(
            long.ends_with("384cpu-allowed-0-15_192-207-layout-abc123"),
            "{long}"
        );
        assert!(long.chars().count() <= LABEL_CHARS, "{long}");
        // Not an id pinbench made: its end is kept.
        let odd = column_label(&"x".repeat(60));
        assert_eq!(odd.chars().count(), LABEL_CHARS);
    }

    #[test]
    fn one_worker_on_one_cpu_is_the_n_column() {
        assert_eq!(WorkersClass::of(1, 1).to_string(), "n");
        assert_eq!(WorkersClass::of(2, 1).to_string(), "2n");
        assert_eq!(WorkersClass::of(1, 4).to_string(), "1");
        assert_eq!(WorkersClass::of(4, 4).to_string(), "n");
        assert_eq!(WorkersClass::of(8, 4).to_string(), "2n");
        assert_eq!(WorkersClass::of(3, 4).to_string(), "3");
    }
}
