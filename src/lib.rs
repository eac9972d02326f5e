//! pinbench: does pinning workers to CPUs help, hurt, or not matter on this machine, for this
//! kind of work, and by how much? See DESIGN.md for the words and contracts.

pub mod affinity;
pub mod cli;
pub mod compare;
pub mod cpuset;
pub mod doctor;
pub mod metrics;
pub mod plan;
pub mod profile;
pub mod report;
pub mod runner;
pub mod stats;
pub mod store;
pub mod strategy;
pub mod sweep;
pub mod topology;
pub mod workload;
