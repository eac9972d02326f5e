//! Reading a profile's results for reporting: `profile.json` and `summary.csv`, checked row by
//! row. Rows with impossible numbers (NaN, negative) are left out and named, never drawn; the
//! latest run of each scenario is what the charts show.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::profile::HardwareProfile;
use crate::store::{PROFILE_FILE, ResultsDir, SUMMARY_FILE, ScenarioKey, StoreError, SummaryRow};
use crate::workload::Workload;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("`{}` is not a results folder: it has no {PROFILE_FILE} (give a folder written by `pinbench run`, such as results/<profile-id>)", .0.display())]
    NotResults(PathBuf),
    #[error("`{}` holds no measured scenario (the file is empty or has only its header, or every run failed): measure with `pinbench run` or `pinbench exec` first", .0.display())]
    NoRows(PathBuf),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("drawing `{}`: {message}", path.display())]
    Draw { path: PathBuf, message: String },
    #[error("{0}")]
    Other(String),
}

/// Makes the folder charts and comparisons are written into; a failure names it.
pub fn make_dir(path: &Path) -> Result<(), ReportError> {
    std::fs::create_dir_all(path).map_err(|e| ReportError::Draw {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// One profile's results, ready to draw.
pub struct ProfileResults {
    pub dir: PathBuf,
    pub profile: HardwareProfile,
    /// The latest run's row of each scenario (including skipped and failed ones).
    pub rows: Vec<SummaryRow>,
    /// Why rows were left out: file, line and reason.
    pub excluded: Vec<String>,
    /// Every measured repetition's throughput, by run and scenario (from `runs.csv`).
    pub samples: BTreeMap<(String, ScenarioKey), Vec<f64>>,
}

fn bad_number(r: &SummaryRow) -> Option<&'static str> {
    let values = [
        r.median_throughput_ops_s,
        r.ci_low_throughput_ops_s,
        r.ci_high_throughput_ops_s,
        r.median_ns_per_op,
        r.median_migrations,
        r.median_involuntary_switches,
        r.speedup_vs_none,
        r.speedup_ci_low,
        r.speedup_ci_high,
        r.cv,
    ];
    if values.iter().flatten().any(|v| v.is_nan()) {
        return Some("a NaN value");
    }
    if values.iter().flatten().any(|v| *v < 0.0 || v.is_infinite()) {
        return Some("a negative or infinite value");
    }
    None
}

impl ProfileResults {
    pub fn load(dir: &Path) -> Result<Self, ReportError> {
        Self::load_run(dir, None)
    }

    /// As [`ProfileResults::load`], showing one run (`run_id`) instead of each scenario's
    /// latest.
    pub fn load_run(dir: &Path, run: Option<&str>) -> Result<Self, ReportError> {
        if !dir.join(PROFILE_FILE).is_file() {
            return Err(ReportError::NotResults(dir.to_path_buf()));
        }
        let rd = ResultsDir::open(dir);
        let profile = rd.read_profile()?;
        let mut all = rd.read_summary()?;
        if all.is_empty() {
            return Err(ReportError::NoRows(rd.file(SUMMARY_FILE)));
        }
        if let Some(id) = run {
            let mut ids: Vec<String> = all.iter().map(|r| r.run_id.clone()).collect();
            ids.dedup();
            all.retain(|r| r.run_id == id);
            if all.is_empty() {
                return Err(ReportError::Other(format!(
                    "run `{id}` is not in {}: give one of {}",
                    rd.file(SUMMARY_FILE).display(),
                    ids.join(", ")
                )));
            }
        }
        let mut excluded = Vec::new();
        let mut latest: BTreeMap<ScenarioKey, (usize, SummaryRow)> = BTreeMap::new();
        for (i, r) in all.into_iter().enumerate() {
            if let Some(why) = bad_number(&r) {
                excluded.push(format!("{} line {}: {why}, left out", SUMMARY_FILE, i + 2));
                continue;
            }
            let k = r.key.clone();
            match latest.get(&k) {
                Some((_, old)) if old.run_id > r.run_id => {}
                _ => {
                    latest.insert(k, (i, r));
                }
            }
        }
        let mut rows: Vec<(usize, SummaryRow)> = latest.into_values().collect();
        rows.sort_by_key(|(i, _)| *i);
        let rows: Vec<SummaryRow> = rows.into_iter().map(|(_, r)| r).collect();
        if !rows.iter().any(|r| r.status.is_ok()) {
            return Err(ReportError::NoRows(rd.file(SUMMARY_FILE)));
        }
        let mut samples: BTreeMap<(String, ScenarioKey), Vec<f64>> = BTreeMap::new();
        for r in rd.read_runs()? {
            if let (true, Some(t)) = (r.status.is_ok(), r.throughput_ops_s)
                && t.is_finite()
            {
                samples.entry((r.run_id, r.key)).or_default().push(t);
            }
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            profile,
            rows,
            excluded,
            samples,
        })
    }

    /// The runs the rows come from, oldest first.
    pub fn run_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.rows.iter().map(|r| r.run_id.clone()).collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The repetitions behind a summary row (empty where runs.csv has none).
    pub fn samples_of(&self, r: &SummaryRow) -> &[f64] {
        self.samples
            .get(&(r.run_id.clone(), r.key.clone()))
            .map_or(&[], Vec::as_slice)
    }

    /// What a workload's throughput counts, for axis labels: its unit per second, or for a
    /// user's program measured on its own figure, that figure.
    pub fn unit_label(&self, w: Workload) -> &'static str {
        match self.profile.history.programs.get(&w.to_string()) {
            Some(p) => p.throughput_label(),
            None => w.unit().per_second(),
        }
    }

    /// Measured rows only.
    pub fn ok(&self) -> impl Iterator<Item = &SummaryRow> {
        self.rows.iter().filter(|r| r.status.is_ok())
    }

    /// `AMD EPYC, 2 CPUs, allowed 0-1` for chart titles.
    pub fn title(&self) -> String {
        format!(
            "{}, {} CPUs, allowed {}",
            self.profile.cpu_model.as_deref().unwrap_or("unknown CPU"),
            self.profile.summary.cpus,
            self.profile.allowed
        )
    }

    /// Workloads in the order the rows first name them.
    pub fn workloads(&self) -> Vec<Workload> {
        let mut out: Vec<Workload> = Vec::new();
        for r in self.ok() {
            if !out.contains(&r.key.workload) {
                out.push(r.key.workload);
            }
        }
        out
    }

    /// The worker count closest to the allowed CPU count among those run for a workload.
    pub fn main_worker_count(&self, workload: Workload) -> Option<usize> {
        let n = self.profile.allowed.len();
        self.ok()
            .filter(|r| r.key.workload == workload)
            .map(|r| r.key.workers)
            .min_by_key(|c| (c.abs_diff(n), *c))
    }
}
