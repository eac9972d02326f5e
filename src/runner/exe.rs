//! Finding the pinbench binary that process workers run. Under `cargo test` and `cargo bench`
//! the current executable is the test or bench harness, so the binary is found through
//! `PINBENCH_WORKER_EXE` (set it from `env!("CARGO_BIN_EXE_pinbench")`) or next to it.

use std::path::PathBuf;

pub const WORKER_EXE_ENV: &str = "PINBENCH_WORKER_EXE";

static CLI_EXE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Called by the pinbench command line itself: its own executable runs the workers, whatever
/// the file is named.
pub fn set_cli_exe() {
    if let Ok(me) = std::env::current_exe() {
        let _ = CLI_EXE.set(me);
    }
}

pub fn worker_exe() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os(WORKER_EXE_ENV) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("{WORKER_EXE_ENV}={} is not a file", p.display()))
        };
    }
    if let Some(me) = CLI_EXE.get() {
        return Ok(me.clone());
    }
    let me =
        std::env::current_exe().map_err(|e| format!("cannot locate the running binary: {e}"))?;
    if me.file_stem().is_some_and(|s| s == "pinbench") {
        return Ok(me);
    }
    // target/<profile>/deps/<test>-<hash> -> target/<profile>/pinbench
    for dir in me.ancestors().skip(1).take(2) {
        let candidate = dir.join("pinbench");
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    Err(format!(
        "cannot find the pinbench binary for process workers; set {WORKER_EXE_ENV} to its path"
    ))
}
