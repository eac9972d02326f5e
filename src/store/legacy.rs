//! Results folders an older pinbench named: profile ids without the word `layout` before the
//! hash (`...-allowed-0-21dcf4`, which reads as "allowed 0-21"). Any command that writes into or
//! reports on a results root brings them to today's id once: the id inside the files first,
//! then the folder's name. Nothing measured is lost; a folder whose new name is already taken
//! (runs recorded by both versions) has its rows merged into the new one.

use std::fs;
use std::path::{Path, PathBuf};

use super::{
    DirLock, PROFILE_FILE, RUNS_FILE, ResultsDir, SUMMARY_FILE, StoreError, WORKERS_FILE, io,
    write_atomic,
};
use crate::profile::upgrade_legacy_id;

/// The files that name the profile id; the charts and reports are drawn again from them.
const FILES_WITH_ID: [&str; 4] = [PROFILE_FILE, RUNS_FILE, WORKERS_FILE, SUMMARY_FILE];

/// One folder brought to today's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upgraded {
    pub from: PathBuf,
    pub to: PathBuf,
    /// The new name was taken: this folder's rows were merged into it, and the old folder left
    /// with what was not merged (charts, files of the user's own), if anything.
    pub merged: bool,
}

/// Brings every profile folder directly under `root` that carries an older id to today's id,
/// and the comparisons under `root/compare/` named after such ids (their text files say the new
/// ids; their PNGs keep the old ones until `compare` draws them again). A root that does not
/// exist, or holds no such folder, is left alone.
pub fn upgrade_legacy_folders(root: &Path) -> Result<Vec<Upgraded>, StoreError> {
    let mut done = upgrade_profiles(root)?;
    done.extend(upgrade_comparisons(&root.join("compare"))?);
    Ok(done)
}

fn upgrade_profiles(root: &Path) -> Result<Vec<Upgraded>, StoreError> {
    let mut done = Vec::new();
    for dir in super::profile_dirs(root) {
        let old = ResultsDir::open(&dir);
        let id = old.read_profile()?.id;
        let Some(new_id) = upgrade_legacy_id(&id) else {
            continue;
        };
        done.push(upgrade_one(&old, &id, &root.join(&new_id), &new_id)?);
    }
    Ok(done)
}

/// A comparison's folder is `<id A>--vs--<id B>`.
fn upgrade_comparisons(compare: &Path) -> Result<Vec<Upgraded>, StoreError> {
    let mut done = Vec::new();
    let Ok(entries) = fs::read_dir(compare) else {
        return Ok(done);
    };
    let mut dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    dirs.sort();
    for dir in dirs {
        let Some((a, b)) = dir
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.split_once("--vs--"))
        else {
            continue;
        };
        let (new_a, new_b) = (upgrade_legacy_id(a), upgrade_legacy_id(b));
        if new_a.is_none() && new_b.is_none() {
            continue;
        }
        let to = compare.join(format!(
            "{}--vs--{}",
            new_a.as_deref().unwrap_or(a),
            new_b.as_deref().unwrap_or(b)
        ));
        if to.exists() {
            continue;
        }
        for file in fs::read_dir(&dir).map_err(io(&dir))?.flatten() {
            let path = file.path();
            let Ok(mut text) = fs::read_to_string(&path) else {
                continue;
            };
            let before = text.len();
            for (old, new) in [(a, &new_a), (b, &new_b)] {
                if let Some(new) = new {
                    text = text.replace(old, new);
                }
            }
            if text.len() != before {
                write_atomic(&path, text.as_bytes())?;
            }
        }
        fs::rename(&dir, &to).map_err(io(&dir))?;
        done.push(Upgraded {
            from: dir,
            to,
            merged: false,
        });
    }
    Ok(done)
}

fn upgrade_one(
    old: &ResultsDir,
    id: &str,
    to: &Path,
    new_id: &str,
) -> Result<Upgraded, StoreError> {
    {
        let _lock = DirLock::acquire(&old.path)?;
        for name in FILES_WITH_ID {
            let path = old.file(name);
            let Ok(text) = fs::read_to_string(&path) else {
                continue;
            };
            if text.contains(id) {
                write_atomic(&path, text.replace(id, new_id).as_bytes())?;
            }
        }
    }
    let upgraded = |merged| Upgraded {
        from: old.path.clone(),
        to: to.to_path_buf(),
        merged,
    };
    if !to.exists() {
        fs::rename(&old.path, to).map_err(io(&old.path))?;
        return Ok(upgraded(false));
    }
    // Both versions recorded runs here: the rows join the new folder (a run id is unique, so a
    // row already there is not added twice), the programs and scheduler runs join its profile.
    let new = ResultsDir::open(to);
    let before = old.load()?;
    new.update(|all| {
        let known = |id: &str, rows: &[super::RunRow]| rows.iter().any(|r| r.run_id == id);
        let fresh: Vec<_> = before
            .runs
            .iter()
            .filter(|r| !known(&r.run_id, &all.runs))
            .cloned()
            .collect();
        let fresh_ids: Vec<&str> = fresh.iter().map(|r| r.run_id.as_str()).collect();
        let is_fresh = |run: &str| fresh_ids.contains(&run);
        all.workers.extend(
            before
                .workers
                .iter()
                .filter(|w| is_fresh(&w.run_id))
                .cloned(),
        );
        all.summary.extend(
            before
                .summary
                .iter()
                .filter(|s| is_fresh(&s.run_id))
                .cloned(),
        );
        all.runs.extend(fresh);
        Ok(())
    })?;
    let mut target = new.read_profile()?;
    let mut history = old.read_profile()?.history;
    history.programs.extend(target.history.programs.clone());
    crate::slurm::merge(&mut history.scheduler, &target.history.scheduler);
    target.history = history;
    new.write_profile(&target)?;
    for name in FILES_WITH_ID {
        let _ = fs::remove_file(old.file(name));
    }
    let _ = fs::remove_dir_all(old.path.join("charts"));
    let _ = fs::remove_dir(&old.path);
    Ok(upgraded(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A committed folder copied under `root` as an older pinbench would have named it.
    fn legacy_copy(root: &Path) -> (PathBuf, String, String) {
        let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("results");
        let src = crate::store::profile_dirs(&committed)
            .into_iter()
            .next()
            .expect("a committed profile");
        let id = ResultsDir::open(&src).read_profile().unwrap().id;
        let (head, hash) = id.rsplit_once('-').unwrap();
        let old_id = format!("{}-{hash}", head.trim_end_matches("-layout"));
        let dir = root.join(&old_id);
        fs::create_dir_all(&dir).unwrap();
        for name in FILES_WITH_ID {
            let text = fs::read_to_string(src.join(name)).unwrap();
            fs::write(dir.join(name), text.replace(&id, &old_id)).unwrap();
        }
        (dir, old_id, id)
    }

    #[test]
    fn an_older_folder_is_renamed_and_its_files_say_the_new_id() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, old_id, id) = legacy_copy(tmp.path());
        let runs_before = ResultsDir::open(&dir).read_runs().unwrap().len();
        let done = upgrade_legacy_folders(tmp.path()).unwrap();
        assert_eq!(done.len(), 1);
        assert!(!done[0].merged);
        assert!(!dir.exists());
        let new = ResultsDir::open(&tmp.path().join(&id));
        assert_eq!(new.read_profile().unwrap().id, id);
        let runs = new.read_runs().unwrap();
        assert_eq!(runs.len(), runs_before);
        assert!(runs.iter().all(|r| r.profile_id == id));
        for name in FILES_WITH_ID {
            let text = fs::read_to_string(new.file(name)).unwrap();
            assert!(!text.contains(&old_id), "{name} still names {old_id}");
        }
        // Twice is once.
        assert!(upgrade_legacy_folders(tmp.path()).unwrap().is_empty());
    }

    #[test]
    fn a_taken_name_gets_the_older_rows_merged_not_lost() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, _, id) = legacy_copy(tmp.path());
        let old = ResultsDir::open(&dir);
        let all = old.load().unwrap();
        // The new folder already holds the first run only.
        let first = all.runs[0].run_id.clone();
        let newer = tmp.path().join(&id);
        fs::create_dir_all(&newer).unwrap();
        fs::copy(old.file(PROFILE_FILE), newer.join(PROFILE_FILE)).unwrap();
        let text = fs::read_to_string(newer.join(PROFILE_FILE)).unwrap();
        let old_id = old.read_profile().unwrap().id;
        fs::write(newer.join(PROFILE_FILE), text.replace(&old_id, &id)).unwrap();
        let new = ResultsDir::open(&newer);
        let keep = |r: &str| r == first;
        new.update(|s| {
            s.runs = all
                .runs
                .iter()
                .filter(|r| keep(&r.run_id))
                .cloned()
                .collect();
            for r in &mut s.runs {
                r.profile_id = id.clone();
            }
            s.workers = all
                .workers
                .iter()
                .filter(|r| keep(&r.run_id))
                .cloned()
                .collect();
            s.summary = all
                .summary
                .iter()
                .filter(|r| keep(&r.run_id))
                .cloned()
                .collect();
            Ok(())
        })
        .unwrap();
        let done = upgrade_legacy_folders(tmp.path()).unwrap();
        assert_eq!(done.len(), 1);
        assert!(done[0].merged);
        assert!(!dir.exists(), "the merged folder is gone");
        let merged = new.load().unwrap();
        assert_eq!(merged.runs.len(), all.runs.len());
        assert_eq!(merged.workers.len(), all.workers.len());
        assert_eq!(merged.summary.len(), all.summary.len());
        assert!(merged.runs.iter().all(|r| r.profile_id == id));
    }
}
