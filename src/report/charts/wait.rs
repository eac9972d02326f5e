//! `wait-<workload>`: the share of the workers' time spent waiting, runnable, for a CPU (the
//! run-queue wait over workers x seconds, median over repetitions) by strategy and worker count,
//! and, where the runs counted them (`--counting perf` on a machine that has them), cache
//! misses per operation and instructions per cycle. A counter no run has is said in the
//! caption ("not available"), never drawn as 0.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::bars::{Bar, GroupedBars};
use super::style::{Chart, frame, si};
use super::{legend_items, models, strategy_order, worker_counts, workload_rows};
use crate::report::data::ProfileResults;
use crate::store::SummaryRow;
use crate::workload::Workload;

type Pick = fn(&SummaryRow) -> Option<f64>;
/// One figure: its name, how a row gives it, its axis format.
type Figure = (&'static str, Pick, fn(f64) -> String);

/// The figures this chart can draw: name, how a row gives it, its axis format.
const FIGURES: [Figure; 3] = [
    (
        "waiting for a CPU, % of workers x run",
        |r| r.runq_wait_share.map(|s| s * 100.0),
        |v| format!("{v:.0} %"),
    ),
    ("cache misses per operation", |r| r.cache_misses_per_op, si),
    (
        "instructions per cycle",
        |r| r.instructions_per_cycle,
        |v| format!("{v:.2}"),
    ),
];

/// Wait for a CPU (and hardware counters where they exist) by strategy, per model.
pub struct Wait<'a> {
    pub res: &'a ProfileResults,
    pub workload: Workload,
}

impl Wait<'_> {
    /// Whether any of the workload's rows has a run-queue wait to draw.
    pub fn has_data(res: &ProfileResults, workload: Workload) -> bool {
        workload_rows(res, workload)
            .iter()
            .any(|r| r.runq_wait_share.is_some())
    }

    fn figures(&self, rows: &[&SummaryRow]) -> Vec<Figure> {
        FIGURES
            .iter()
            .enumerate()
            .filter(|(i, (_, pick, _))| *i == 0 || rows.iter().any(|r| pick(r).is_some()))
            .map(|(_, f)| *f)
            .collect()
    }
}

impl Chart for Wait<'_> {
    fn size(&self) -> (u32, u32) {
        let rows = workload_rows(self.res, self.workload);
        (1200, 150 + 400 * self.figures(&rows).len() as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let rows = workload_rows(self.res, self.workload);
        let series = strategy_order(rows.iter().copied());
        let figures = self.figures(&rows);
        let counters = if figures.len() > 1 {
            "hardware counters as counted (--counting perf)"
        } else {
            "hardware counters (cache misses, instructions, cycles): not available in these runs"
        };
        let plot = frame(
            root,
            &format!(
                "{}: share of the workers' time waiting for a CPU (median)",
                self.workload
            ),
            &format!("{}; {counters}", self.res.title()),
            &legend_items(&series),
        )?;
        let ms = models(rows.iter().copied());
        let grid = plot.split_evenly((figures.len(), ms.len().max(1)));
        for (fi, (name, pick, format)) in figures.iter().enumerate() {
            for (ci, model) in ms.iter().enumerate() {
                let panel = &grid[fi * ms.len() + ci];
                let mine: Vec<&&SummaryRow> =
                    rows.iter().filter(|r| r.key.model == *model).collect();
                let counts = worker_counts(&mine);
                let gi = |w: usize| counts.iter().position(|c| *c == w).unwrap_or(0);
                GroupedBars {
                    caption: format!("{name}, {model}"),
                    groups: counts.iter().map(|c| format!("{c} workers")).collect(),
                    series: series.clone(),
                    bars: mine
                        .iter()
                        .filter_map(|r| {
                            Some(Bar {
                                group: gi(r.key.workers),
                                series: r.key.strategy.clone(),
                                value: pick(r)?,
                                ci: None,
                                points: Vec::new(),
                            })
                        })
                        .collect(),
                    y_label: name.to_string(),
                    log: false,
                    reference: Vec::new(),
                    format: *format,
                    span: if fi == 0 {
                        vec![0.0, 100.0]
                    } else {
                        Vec::new()
                    },
                    integer: false,
                }
                .draw(panel)?;
            }
        }
        Ok(())
    }
}
