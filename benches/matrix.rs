//! The harness's own matrix for the machine `cargo bench` runs on: `pinbench run --quick` (which
//! ends by drawing its charts and reports) into `target/pinbench-bench/` (never the repository's committed
//! `results/`). `PINBENCH_BENCH_OUT` names another folder; `PINBENCH_BENCH_ARGS` passes other
//! `run` options (e.g. `--reps 10 -d 100ms`) instead of `--quick`.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    // cargo bench passes `--bench`; when cargo test runs benches in test mode, skip the work.
    if std::env::args().any(|a| a == "--test") || std::env::args().all(|a| a != "--bench") {
        return;
    }
    let out = std::env::var_os("PINBENCH_BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // target/<profile>/deps/matrix-<hash> -> target/pinbench-bench
            let exe = std::env::current_exe().expect("bench path");
            exe.ancestors()
                .nth(3)
                .map(|t| t.join("pinbench-bench"))
                .expect("a target folder")
        });
    let pinbench = env!("CARGO_BIN_EXE_pinbench");
    let mut cmd = Command::new(pinbench);
    cmd.arg("run").arg("--out").arg(&out);
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
    println!("matrix results and charts: {}", out.display());
}
