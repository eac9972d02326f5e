//! `pinbench report` and `pinbench compare`.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use crate::report::{generate_run, profile_dirs};

pub fn report(dir: &Path, run: Option<&str>) -> Result<()> {
    if !dir.exists() {
        bail!(
            "`{}` does not exist: give a results folder written by `pinbench run`",
            dir.display()
        );
    }
    let dir = &upgrade_legacy(dir)?;
    let dirs: Vec<PathBuf> = if dir.join(crate::store::PROFILE_FILE).is_file() {
        vec![dir.to_path_buf()]
    } else {
        profile_dirs(dir)
    };
    if dirs.is_empty() {
        bail!(
            "`{}` is not a results folder: it holds no profile.json, nor folders that do (measure with `pinbench run` or `pinbench exec` first)",
            dir.display()
        );
    }
    for d in dirs {
        let w = generate_run(&d, run)?;
        // The conclusions the report opens with; its per-strategy detail stays in the report.
        print!(
            "{}",
            crate::report::conclusions::render_terminal(&w.conclusions, false)
        );
        println!(
            "{}: {} files (report.html, report.md: the detail per strategy){}",
            w.charts_dir.display(),
            w.files.len(),
            if w.excluded.is_empty() {
                String::new()
            } else {
                format!(", {} row(s) left out (see report.md)", w.excluded.len())
            }
        );
    }
    Ok(())
}

pub fn compare(dirs: &[PathBuf], out: &Path) -> Result<()> {
    // Each folder is read once, for its pair with the first and for the fleet.
    let profiles: Vec<crate::report::ProfileResults> = dirs
        .iter()
        .map(|d| crate::report::ProfileResults::load(d))
        .collect::<Result<_, _>>()?;
    let a = &profiles[0];
    for b in &profiles[1..] {
        let c = crate::compare::compare(a, b, out)?;
        println!(
            "{}: {} scenarios ({} only in A, {} only in B)",
            c.dir.display(),
            c.rows,
            c.only_a,
            c.only_b
        );
    }
    let f = crate::compare::fleet::fleet(&profiles, out)?;
    println!(
        "{}: fleet of {} profiles, {} profile x scenario rows (fleet-speedup.png, compare.csv, compare.md)",
        f.dir.display(),
        f.profiles,
        f.rows
    );
    Ok(())
}

/// `pinbench summarise DIR`: the stored runs judged again, then the charts redrawn.
pub fn resummarise(dir: &std::path::Path, threshold: f64) -> anyhow::Result<()> {
    if !dir.join(crate::store::PROFILE_FILE).is_file() {
        anyhow::bail!(crate::report::ReportError::NotResults(dir.to_path_buf()));
    }
    let dir = &upgrade_legacy(dir)?;
    let rd = crate::store::ResultsDir::open(dir);
    let n = crate::sweep::resummarise(&rd, threshold)?;
    println!(
        "judged {n} run(s) again: {}",
        rd.file(crate::store::SUMMARY_FILE).display()
    );
    report(dir, None)
}

/// Brings the results folders an older pinbench named (no `layout` before the hash) to today's
/// profile id, saying so, and returns where `dir` now is: `dir` is a results root (its folders
/// are upgraded) or one profile's folder (it and its siblings are).
pub fn upgrade_legacy(dir: &Path) -> Result<PathBuf> {
    let is_profile = dir.join(crate::store::PROFILE_FILE).is_file();
    let root = match dir.parent() {
        Some(parent) if is_profile => parent,
        _ => dir,
    };
    let root = if root.as_os_str().is_empty() {
        Path::new(".")
    } else {
        root
    };
    let mut now = dir.to_path_buf();
    for u in crate::store::upgrade_legacy_folders(root)? {
        eprintln!(
            "{} {} as {} (profile ids now say `layout` before the hash)",
            if u.merged { "merged" } else { "renamed" },
            u.from.display(),
            u.to.display()
        );
        if is_profile && same_folder(&u.from, dir) {
            now = u.to;
        }
    }
    Ok(now)
}

fn same_folder(a: &Path, b: &Path) -> bool {
    a.file_name() == b.file_name()
}
