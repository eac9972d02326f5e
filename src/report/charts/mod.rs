//! The charts of one profile, each drawn from its summary rows alone, one file per chart, and
//! the helpers they share: strategy order and colours, models, worker counts.

pub mod bars;
pub(crate) mod cache_latency;
mod ipc_latency;
mod migrations;
mod overview;
pub mod style;
mod throughput;
mod wait;

use plotters::prelude::RGBColor;

use super::data::ProfileResults;
use crate::runner::Model;
use crate::store::SummaryRow;
use crate::strategy::LabelledStrategy;
use crate::workload::Workload;
pub use cache_latency::CacheLatency;
pub use ipc_latency::IpcLatency;
pub use migrations::Migrations;
pub use overview::{INCONCLUSIVE, Overview};
use style::color_of;
pub use throughput::Throughput;
pub use wait::Wait;

/// Every chart file of a profile's report, named once: the drawing code and report.html both
/// ask this for a chart's file stem (`<stem>.svg`, `<stem>.png`).
#[derive(Debug, Clone, Copy)]
pub enum ChartFile {
    Overview,
    Throughput(Workload),
    Migrations(Workload),
    /// The share of time waiting for a CPU (and hardware counters where they exist).
    Wait(Workload),
    CacheLatency,
    IpcLatency,
}

impl ChartFile {
    /// A workload as it appears in file names and anchors: `:` is not welcome in file names on
    /// every system, and the `/` of a role (`cache:L2/2`) would make a folder.
    pub fn workload_stem(w: &Workload) -> String {
        w.to_string().replace(':', "-").replace('/', "_")
    }

    pub fn stem(&self) -> String {
        let of = Self::workload_stem;
        match self {
            ChartFile::Overview => "overview".into(),
            ChartFile::Throughput(w) => format!("throughput-{}", of(w)),
            ChartFile::Migrations(w) => format!("migrations-{}", of(w)),
            ChartFile::Wait(w) => format!("wait-{}", of(w)),
            ChartFile::CacheLatency => "cache-latency".into(),
            ChartFile::IpcLatency => "ipc-latency".into(),
        }
    }

    /// The section title of a chart that has one of its own in report.html.
    pub fn title(&self) -> Option<&'static str> {
        match self {
            ChartFile::CacheLatency => Some("Cache latency"),
            ChartFile::IpcLatency => Some("IPC latency"),
            _ => None,
        }
    }
}

/// Strategies in a fixed order: the defaults first (as `Strategy::defaults` lists them), then
/// others as they appear.
pub fn strategy_order<'a>(rows: impl Iterator<Item = &'a SummaryRow>) -> Vec<LabelledStrategy> {
    let mut seen: Vec<LabelledStrategy> = Vec::new();
    for r in rows {
        if !seen.contains(&r.key.strategy) {
            seen.push(r.key.strategy.clone());
        }
    }
    let (mut defaults, others): (Vec<_>, Vec<_>) =
        seen.into_iter().partition(|s| s.default_rank().is_some());
    defaults.sort_by_key(|s| s.default_rank());
    defaults.extend(others);
    defaults
}

/// The models some rows ran, threads first.
fn models<'a>(rows: impl Iterator<Item = &'a SummaryRow>) -> Vec<Model> {
    let mut m: Vec<Model> = rows.map(|r| r.key.model).collect();
    m.sort();
    m.dedup();
    m
}

/// A workload's measured rows without an antagonist.
fn workload_rows(res: &ProfileResults, workload: Workload) -> Vec<&SummaryRow> {
    res.ok()
        .filter(|r| r.key.workload == workload && r.key.antagonist.is_none())
        .collect()
}

/// The worker counts of some rows, sorted, once each.
fn worker_counts(rows: &[&&SummaryRow]) -> Vec<usize> {
    let mut counts: Vec<usize> = rows.iter().map(|r| r.key.workers).collect();
    counts.sort_unstable();
    counts.dedup();
    counts
}

/// Legend entries for these strategies: name and colour.
pub fn legend_items(series: &[LabelledStrategy]) -> Vec<(String, RGBColor)> {
    series
        .iter()
        .map(|s| (s.to_string(), color_of(s)))
        .collect()
}
