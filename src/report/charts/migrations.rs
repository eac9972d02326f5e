//! `migrations-<workload>`: median CPU migrations and involuntary context switches per run by
//! strategy and worker count (log scale when the range needs it).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::bars::{Bar, GroupedBars};
use super::style::{Chart, frame, si};
use super::{legend_items, models, strategy_order, worker_counts, workload_rows};
use crate::report::data::ProfileResults;
use crate::store::SummaryRow;
use crate::workload::Workload;

/// Migrations and involuntary context switches by strategy, per model.
pub struct Migrations<'a> {
    pub res: &'a ProfileResults,
    pub workload: Workload,
}

impl Chart for Migrations<'_> {
    fn size(&self) -> (u32, u32) {
        (1200, 900)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let rows = workload_rows(self.res, self.workload);
        let series = strategy_order(rows.iter().copied());
        let plot = frame(
            root,
            &format!(
                "{}: CPU migrations and involuntary context switches per run (median)",
                self.workload
            ),
            &self.res.title(),
            &legend_items(&series),
        )?;
        let ms = models(rows.iter().copied());
        let grid = plot.split_evenly((2, ms.len().max(1)));
        type Pick = fn(&SummaryRow) -> Option<f64>;
        let metrics: [(&str, Pick); 2] = [
            ("migrations", |r| r.median_migrations),
            ("involuntary switches", |r| r.median_involuntary_switches),
        ];
        for (mi, (name, pick)) in metrics.iter().enumerate() {
            for (ci, model) in ms.iter().enumerate() {
                let panel = &grid[mi * ms.len() + ci];
                let mine: Vec<&&SummaryRow> =
                    rows.iter().filter(|r| r.key.model == *model).collect();
                let counts = worker_counts(&mine);
                let vals: Vec<f64> = mine.iter().filter_map(|r| pick(r)).collect();
                let max = vals.iter().copied().fold(0.0, f64::max);
                let min_pos = vals
                    .iter()
                    .copied()
                    .filter(|v| *v > 0.0)
                    .fold(f64::INFINITY, f64::min);
                let log = max > 100.0 * min_pos.max(1.0) || max > 1000.0;
                let gi = |w: usize| counts.iter().position(|c| *c == w).unwrap_or(0);
                GroupedBars {
                    caption: format!("{name}, {model}"),
                    groups: counts.iter().map(|c| format!("{c} workers")).collect(),
                    series: series.clone(),
                    bars: mine
                        .iter()
                        .filter_map(|r| {
                            let v = pick(r)?;
                            Some(Bar {
                                group: gi(r.key.workers),
                                series: r.key.strategy.clone(),
                                value: if log { v + 1.0 } else { v },
                                ci: None,
                                points: Vec::new(),
                            })
                        })
                        .collect(),
                    y_label: if log {
                        format!("{name} + 1 (log)")
                    } else {
                        name.to_string()
                    },
                    log,
                    reference: Vec::new(),
                    format: si,
                    span: Vec::new(),
                    integer: true,
                }
                .draw(panel)?;
            }
        }
        Ok(())
    }
}
