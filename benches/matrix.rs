//! The harness's own matrix for the machine `cargo bench` runs on: `pinbench run --quick`,
//! writing `results/<profile-id>/` (CSV and profile.json) beside criterion's report.
//! Set `PINBENCH_BENCH_ARGS` to pass other `run` options (e.g. `--reps 10 -d 100ms`).

use std::process::Command;

fn main() {
    // cargo bench passes `--bench`; when cargo test runs benches in test mode, skip the work.
    if std::env::args().any(|a| a == "--test") || std::env::args().all(|a| a != "--bench") {
        return;
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pinbench"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "--out", "results"]);
    match std::env::var("PINBENCH_BENCH_ARGS") {
        Ok(extra) => {
            cmd.args(extra.split_whitespace());
        }
        Err(_) => {
            cmd.arg("--quick");
        }
    }
    let status = cmd.status().expect("pinbench runs");
    if !status.success() {
        eprintln!("pinbench run exited with {status}");
        std::process::exit(1);
    }
}
