//! The command line: argument parsing and one function per verb. Errors reach the user as one
//! line on stderr and a non-zero exit status.

mod machine;
mod plan_cmd;
mod topology_cmd;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::strategy::Strategy;

#[derive(Parser, Debug)]
#[command(
    name = "pinbench",
    version,
    about = "Benchmark CPU-affinity strategies: does pinning workers to CPUs help on this machine?",
    allow_negative_numbers = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct MachineArgs {
    /// Read the machine from this folder instead of `/` (an unpacked recording of /sys and /proc).
    #[arg(long, value_name = "DIR")]
    pub sysfs_root: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Show the machine's topology: packages, NUMA nodes, caches, cores, SMT siblings, core kinds.
    Topology {
        #[command(flatten)]
        machine: MachineArgs,
        /// Print JSON (with a `summary` object) instead of a tree.
        #[arg(long)]
        json: bool,
    },
    /// Print the hardware profile (`profile.json`) of the machine.
    Profile {
        #[command(flatten)]
        machine: MachineArgs,
    },
    /// Show which CPUs each worker gets under a strategy, without running anything.
    Plan {
        /// none, inherited[:LIST], per-worker, round-robin, compact, scatter, cpus:L0/L1/...
        #[arg(long, short)]
        strategy: Strategy,
        /// Number of workers.
        #[arg(long, short, allow_negative_numbers = true, value_parser = parse_count)]
        workers: usize,
        #[command(flatten)]
        machine: MachineArgs,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// A count given on the command line: a whole number (zero is left to the verb to judge).
pub fn parse_count(text: &str) -> Result<usize, String> {
    text.trim()
        .parse::<usize>()
        .map_err(|_| format!("`{text}` is not a count: give a whole number such as 4"))
}

/// Parses the arguments, runs the verb, and returns the process exit status.
pub fn main() -> i32 {
    // The allowed set must be read before anything pins the main thread.
    let _ = crate::affinity::startup_allowed();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
                || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            {
                let _ = e.print();
                return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    2
                } else {
                    0
                };
            }
            let text = e.to_string();
            let first = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("bad arguments")
                .trim_start_matches("error: ");
            eprintln!("pinbench: {first} (see `pinbench --help`)");
            return 2;
        }
    };
    let result = match cli.command {
        Command::Topology { machine, json } => topology_cmd::run(&machine, json),
        Command::Profile { machine } => topology_cmd::profile(&machine),
        Command::Plan {
            strategy,
            workers,
            machine,
            json,
        } => plan_cmd::run(&strategy, workers, &machine, json),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("pinbench: {}", one_line(&e));
            1
        }
    }
}

/// The error and its causes on one line, without repeating a cause its parent already quotes.
pub fn one_line(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out.replace('\n', " ")
}
