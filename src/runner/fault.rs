//! Test-only faults, compiled only with the `fault-injection` feature (the tests turn it on; a
//! release build has none). Chosen by `PINBENCH_FAULT=<kind>[:<worker>]`: `exit`, `panic`,
//! `hang`, `garbage`, `abort`, and `unpin` (the worker's mask is widened behind the plan's back,
//! as a stray `taskset -p` would).

use std::time::Duration;

use super::worker::WorkerSpec;

/// Injects the fault the environment asks for into this worker, right after its start signal.
pub fn inject(spec: &WorkerSpec) {
    let Ok(v) = std::env::var("PINBENCH_FAULT") else {
        return;
    };
    let (kind, who) = v.split_once(':').unwrap_or((v.as_str(), "0"));
    if who.parse::<usize>().ok() != Some(spec.worker) {
        return;
    }
    match kind {
        "exit" => std::process::exit(7),
        "panic" => panic!("injected fault"),
        "hang" => loop {
            std::thread::sleep(Duration::from_secs(1));
        },
        "garbage" => {
            println!("this is not json");
        }
        "abort" => std::process::abort(),
        "unpin" => {
            if let Ok(all) = crate::affinity::startup_allowed() {
                let _ = crate::affinity::pin_current_thread(&all);
            }
        }
        _ => {}
    }
}
