//! The results folder (`results/<profile-id>/`): `profile.json`, `runs.csv`, `workers.csv`,
//! `summary.csv`. Runs add rows and never lose earlier ones; every file is written to a
//! temporary name in the same folder, synced and renamed, so a reader or a crash sees either
//! the old file or the new one, whole.

mod legacy;
mod lock;
pub mod rows;

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::profile::HardwareProfile;
pub use legacy::{Upgraded, upgrade_legacy_folders};
pub use lock::{DirLock, unique_suffix};
pub use rows::{
    MASK_DIFFERS, REPINNED, RunRow, ScenarioKey, Status, SummaryRow, WorkerRow, placement_noted,
};

pub const PROFILE_FILE: &str = "profile.json";
pub const RUNS_FILE: &str = "runs.csv";
pub const WORKERS_FILE: &str = "workers.csv";
pub const SUMMARY_FILE: &str = "summary.csv";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("output `{}` is a file, not a folder: give a folder for --out", .0.display())]
    NotAFolder(PathBuf),
    #[error("output folder `{}` is not writable ({source}): choose another --out", path.display())]
    NotWritable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` line {line}: {message} (move the file away, or give `run` another --out; nothing was changed)", path.display())]
    BadCsv {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("`{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not a pinbench profile ({message})", path.display())]
    BadProfile { path: PathBuf, message: String },
    #[error("`{}` stayed locked by another writer ({holder}) for minutes: if no pinbench runs there, remove the file", path.display())]
    Locked { path: PathBuf, holder: String },
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to `path` atomically: temporary file in the same folder, fsync, rename,
/// fsync of the folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp-{}", lock::unique_suffix()));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io(path))
}

/// Reads a CSV of typed rows; a missing file is no rows.
pub fn read_rows<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, StoreError> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let mut reader = csv::Reader::from_path(path).map_err(|e| StoreError::BadCsv {
        path: path.to_path_buf(),
        line: 1,
        message: e.to_string(),
    })?;
    let mut rows = Vec::new();
    for (i, rec) in reader.deserialize::<T>().enumerate() {
        let row = rec.map_err(|e| StoreError::BadCsv {
            path: path.to_path_buf(),
            line: e.position().map_or(i as u64 + 2, |p| p.line()),
            message: match e.kind() {
                csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
                _ => e.to_string(),
            },
        })?;
        rows.push(row);
    }
    Ok(rows)
}

/// Renders rows as CSV with a header row, also when there are no rows.
pub fn to_csv<T: Serialize + Default>(rows: &[T]) -> Result<Vec<u8>, StoreError> {
    let csv_err = |e: csv::Error| StoreError::Io {
        path: PathBuf::from("<csv>"),
        source: e.into(),
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    if rows.is_empty() {
        // The header comes from the field names: write a default row and keep the header.
        w.serialize(T::default()).map_err(csv_err)?;
        let bytes = w.into_inner().map_err(|e| StoreError::Io {
            path: PathBuf::from("<csv>"),
            source: e.into_error(),
        })?;
        let end = bytes
            .iter()
            .position(|b| *b == b'\n')
            .map_or(bytes.len(), |i| i + 1);
        return Ok(bytes[..end].to_vec());
    }
    for r in rows {
        w.serialize(r).map_err(csv_err)?;
    }
    w.into_inner().map_err(|e| StoreError::Io {
        path: PathBuf::from("<csv>"),
        source: e.into_error(),
    })
}

/// Every profile folder under a results root (those holding a profile.json), sorted.
pub fn profile_dirs(root: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join(PROFILE_FILE).is_file())
        .collect();
    v.sort();
    v
}

/// The rows a results folder already holds.
#[derive(Debug, Default)]
pub struct Stored {
    pub runs: Vec<RunRow>,
    pub workers: Vec<WorkerRow>,
    pub summary: Vec<SummaryRow>,
}

/// One profile's folder of results.
pub struct ResultsDir {
    pub path: PathBuf,
}

impl ResultsDir {
    /// Checks that `out` can hold results (creating it), before anything is measured.
    pub fn prepare(out: &Path, profile_id: &str) -> Result<Self, StoreError> {
        if out.exists() && !out.is_dir() {
            return Err(StoreError::NotAFolder(out.to_path_buf()));
        }
        let path = out.join(profile_id);
        fs::create_dir_all(&path).map_err(|source| StoreError::NotWritable {
            path: path.clone(),
            source,
        })?;
        let probe = path.join(format!(".probe-{}", std::process::id()));
        File::create(&probe)
            .and_then(|mut f| f.write_all(b"probe"))
            .map_err(|source| StoreError::NotWritable {
                path: path.clone(),
                source,
            })?;
        let _ = fs::remove_file(&probe);
        Ok(Self { path })
    }

    /// Opens an existing results folder for reading.
    pub fn open(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
        }
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Writes `profile.json`, under the folder's lock, keeping what other runs recorded in the
    /// one on disk: the programs measured here (this profile's win on a name both have) and
    /// the scheduler context of every run.
    pub fn write_profile(&self, profile: &HardwareProfile) -> Result<(), StoreError> {
        let _lock = DirLock::acquire(&self.path)?;
        let mut merged = profile.clone();
        if self.file(PROFILE_FILE).exists() {
            let before = self.read_profile()?;
            merged.history.programs = before.history.programs;
            merged
                .history
                .programs
                .extend(profile.history.programs.clone());
            merged.history.scheduler = before.history.scheduler;
            crate::slurm::merge(&mut merged.history.scheduler, &profile.history.scheduler);
        }
        let json = serde_json::to_vec_pretty(&merged).expect("profile serialises");
        write_atomic(&self.file(PROFILE_FILE), &json)
    }

    /// Merges one run's rows into the files, safe against other writers adding runs of the
    /// same profile at the same time (other processes, other hosts on a shared filesystem):
    /// under the folder's lock, the files are read again, this run's earlier rows replaced by
    /// `runs`, `workers` and `summary`, and every file rewritten atomically.
    pub fn merge_run(
        &self,
        run_id: &str,
        runs: &[RunRow],
        workers: &[WorkerRow],
        summary: &[SummaryRow],
    ) -> Result<(), StoreError> {
        self.update(|all| {
            all.runs.retain(|r| r.run_id != run_id);
            all.workers.retain(|r| r.run_id != run_id);
            all.summary.retain(|r| r.run_id != run_id);
            all.runs.extend_from_slice(runs);
            all.workers.extend_from_slice(workers);
            all.summary.extend_from_slice(summary);
            Ok(())
        })
    }

    /// Reads the files, lets `change` edit every row, and writes them back, all under the
    /// folder's lock: the one read-modify-write of the results, safe against other writers.
    pub fn update<T>(
        &self,
        change: impl FnOnce(&mut Stored) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _lock = DirLock::acquire(&self.path)?;
        let mut stored = self.load()?;
        let out = change(&mut stored)?;
        self.write_unlocked(&stored.runs, &stored.workers, &stored.summary)?;
        Ok(out)
    }

    pub fn read_profile(&self) -> Result<HardwareProfile, StoreError> {
        let path = self.file(PROFILE_FILE);
        let text = fs::read(&path).map_err(io(&path))?;
        serde_json::from_slice(&text).map_err(|e| StoreError::BadProfile {
            path,
            message: e.to_string(),
        })
    }

    pub fn read_runs(&self) -> Result<Vec<RunRow>, StoreError> {
        read_rows(&self.file(RUNS_FILE))
    }

    pub fn read_workers(&self) -> Result<Vec<WorkerRow>, StoreError> {
        read_rows(&self.file(WORKERS_FILE))
    }

    pub fn read_summary(&self) -> Result<Vec<SummaryRow>, StoreError> {
        read_rows(&self.file(SUMMARY_FILE))
    }

    /// Everything already stored here, checked before a run measures anything.
    pub fn load(&self) -> Result<Stored, StoreError> {
        Ok(Stored {
            runs: self.read_runs()?,
            workers: self.read_workers()?,
            summary: self.read_summary()?,
        })
    }

    /// Rewrites the three CSV files whole, each atomically; [`ResultsDir::update`] holds the
    /// lock around it.
    fn write_unlocked(
        &self,
        runs: &[RunRow],
        workers: &[WorkerRow],
        summary: &[SummaryRow],
    ) -> Result<(), StoreError> {
        write_atomic(&self.file(RUNS_FILE), &to_csv(runs)?)?;
        write_atomic(&self.file(WORKERS_FILE), &to_csv(workers)?)?;
        write_atomic(&self.file(SUMMARY_FILE), &to_csv(summary)?)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(rep: usize, tp: Option<f64>) -> RunRow {
        RunRow {
            run_id: "r1".into(),
            timestamp: "2026-01-01T00:00:00Z".into(),
            profile_id: "p".into(),
            key: ScenarioKey {
                workers: 2,
                ..Default::default()
            },
            placement: "0/1".into(),
            spawner_mask: String::new(),
            rep,
            pass: Some(rep),
            status: Status::Ok,
            reason: String::new(),
            duration_s: 0.1,
            seconds: Some(0.1),
            ops: Some(10),
            throughput_ops_s: tp,
            ns_per_op: None,
            migrations: None,
            migrations_source: String::new(),
            voluntary_switches: Some(1),
            involuntary_switches: Some(2),
            user_seconds: Some(0.1),
            system_seconds: Some(0.0),
            cpus_seen: "0-1".into(),
            off_plan_fraction: None,
            outlier: false,
            throttled_periods: None,
            cpu_ns_per_op: None,
            recycle_tasks: None,
            repin: None,
            generations: None,
            unpinned_fraction: None,
            antagonist_cpus: None,
            command: Some("python3 'my pool.py'".into()),
            exit_status: Some(0),
            metric: None,
            tasks: Some(5),
            processes: Some(3),
            waited_tasks: Some(0),
            helper_tasks: Some(1),
            leftover_processes: Some(0),
            repinned_tasks: Some(0),
            main_migrations: Some(3),
            pinned_cpu_share: Some(0.99),
            runq_wait_s: Some(0.25),
            main_cpu_share: Some(0.01),
            workers_seen: Some(2),
            late_pins: Some(1),
            late_pin_delay_s: Some(0.05),
            unslotted_busy: Some("12 python3 0.20".into()),
            placed_by_tracer: Some(1),
            placed_by_library: Some(40),
            placed_corrected: Some(0),
            placed_found: None,
            cycles: Some(1_000_000),
            instructions: Some(2_500_000),
            cache_misses: None,
        }
    }

    #[test]
    fn rows_round_trip_with_unknowns_as_empty_cells() {
        let dir = tempfile::tempdir().unwrap();
        let rd = ResultsDir::prepare(dir.path(), "p").unwrap();
        let runs = vec![row(0, Some(1.5)), row(1, None)];
        rd.update(|stored| {
            stored.runs = runs.clone();
            Ok(())
        })
        .unwrap();
        assert_eq!(rd.read_runs().unwrap(), runs);
        let text = fs::read_to_string(rd.file(RUNS_FILE)).unwrap();
        assert!(text.starts_with("run_id,timestamp,profile_id,workload,strategy,model"));
        // An unknown migration count is an empty cell, not 0.
        assert!(text.lines().nth(1).unwrap().contains(",,"));
        assert!(rd.read_workers().unwrap().is_empty());
        let header = fs::read_to_string(rd.file(WORKERS_FILE)).unwrap();
        assert_eq!(header.lines().count(), 1);
        assert!(header.starts_with("run_id,timestamp,profile_id,workload"));
    }

    #[test]
    fn a_role_keeps_its_bytes_in_the_last_column_and_old_files_still_load() {
        use crate::workload::{SizeRole, Workload};
        let dir = tempfile::tempdir().unwrap();
        let rd = ResultsDir::prepare(dir.path(), "p").unwrap();
        let sized = |w: &str| -> Workload { w.parse().unwrap() };
        let mut a = row(0, Some(1.0));
        a.key.workload = sized("cache:L2/2");
        assert_eq!(a.key.workload.size_role(), Some(SizeRole::HalfL2));
        // Rows reach the store with the role resolved; here by a round trip of its cell.
        a.key.workload = a.key.workload.with_size_cell(Some(1 << 20));
        let mut b = row(0, Some(1.0));
        b.key.workload = sized("cache:1MiB");
        rd.update(|stored| {
            stored.runs = vec![a.clone(), b.clone()];
            Ok(())
        })
        .unwrap();
        let text = fs::read_to_string(rd.file(RUNS_FILE)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].ends_with(",size_bytes"), "{}", lines[0]);
        assert!(lines[1].ends_with(",1048576") && lines[1].contains(",cache:L2/2,"));
        assert!(lines[2].ends_with(",1048576") && lines[2].contains(",cache:1MiB,"));
        let back = rd.read_runs().unwrap();
        assert_eq!(back[0].key.workload.size(), Some(1 << 20));
        assert!(
            !back[1].key.workload.unsure(),
            "a byte size with its cell is the user's"
        );
        // A file written before the column: the byte size loads, marked as unsure, and stays
        // without a cell when written again.
        let old: Vec<String> = lines
            .iter()
            .map(|l| l.rsplit_once(',').unwrap().0.to_string())
            .collect();
        fs::write(rd.file(RUNS_FILE), old.join("\n") + "\n").unwrap();
        let back = rd.read_runs().unwrap();
        assert!(back[1].key.workload.unsure());
        assert_eq!(back[1].key.workload.size(), Some(1 << 20));
        assert_eq!(back[0].key.workload.size(), None, "a role without its cell");
        rd.update(|_| Ok(())).unwrap();
        let again = fs::read_to_string(rd.file(RUNS_FILE)).unwrap();
        assert!(again.lines().nth(2).unwrap().ends_with(','), "{again}");
    }

    #[test]
    fn foreign_csv_is_refused_with_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let rd = ResultsDir::prepare(dir.path(), "p").unwrap();
        fs::write(rd.file(RUNS_FILE), "a,b\n1,2\n").unwrap();
        let e = rd.read_runs().unwrap_err().to_string();
        assert!(e.contains("runs.csv") && e.contains("line 2"), "{e}");
    }

    #[test]
    fn out_that_is_a_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        fs::write(&f, "x").unwrap();
        assert!(matches!(
            ResultsDir::prepare(&f, "p"),
            Err(StoreError::NotAFolder(_))
        ));
    }
}
