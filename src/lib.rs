//! pinbench: does pinning workers to CPUs help, hurt, or not matter on this machine, for this
//! kind of work, and by how much? docs/ARCHITECTURE.md draws the layers and states the contracts.

// Every unsafe block says why it is sound, in a `// SAFETY:` comment the lint checks.
#![deny(clippy::undocumented_unsafe_blocks)]

/// Serialises a type as its `Display` text and deserialises it with `FromStr`, so CSV cells
/// and JSON hold the same names the command line takes.
macro_rules! serde_as_text {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                <String as serde::Deserialize>::deserialize(d)?
                    .parse()
                    .map_err(serde::de::Error::custom)
            }
        }
    };
}

pub mod affinity;
pub mod antagonist;
pub mod check;
pub mod cli;
pub mod clock;
pub mod compare;
pub mod cpuset;
pub mod doctor;
pub mod exec;
pub mod interrupt;
pub mod metrics;
pub mod plan;
pub mod profile;
pub mod report;
pub mod rng;
pub mod runner;
pub mod size;
pub mod slurm;
pub mod stats;
pub mod store;
pub mod strategy;
pub mod suggest;
pub mod sweep;
pub mod text;
pub mod topology;
pub mod why;
pub mod workload;
