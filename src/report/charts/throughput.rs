//! `throughput-<workload>`: grouped bars of median throughput by worker count with 95 % CI
//! whiskers, `none` dashed across each group, threads and processes side by side.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::bars::{Bar, GroupedBars, share_scale};
use super::style::{Chart, frame, si};
use super::{legend_items, models, strategy_order, worker_counts, workload_rows};
use crate::report::data::ProfileResults;
use crate::store::SummaryRow;
use crate::workload::Workload;

/// Throughput by strategy and worker count, threads and processes side by side.
pub struct Throughput<'a> {
    pub res: &'a ProfileResults,
    pub workload: Workload,
}

impl Chart for Throughput<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let rows = workload_rows(self.res, self.workload);
        let series = strategy_order(rows.iter().copied());
        let plot = frame(
            root,
            &format!(
                "{}: throughput by strategy (median, 95% CI, dots: every repetition; dashed: none)",
                self.workload.described()
            ),
            &self.res.title(),
            &legend_items(&series),
        )?;
        let ms = models(rows.iter().copied());
        let panels = plot.split_evenly((1, ms.len().max(1)));
        let mut charts: Vec<GroupedBars> = Vec::new();
        for model in &ms {
            let mine: Vec<&&SummaryRow> = rows.iter().filter(|r| r.key.model == *model).collect();
            let counts = worker_counts(&mine);
            let gi = |w: usize| counts.iter().position(|c| *c == w).unwrap_or(0);
            charts.push(GroupedBars {
                caption: model.to_string(),
                groups: counts.iter().map(|c| format!("{c} workers")).collect(),
                series: series.clone(),
                bars: mine
                    .iter()
                    .filter_map(|r| {
                        Some(Bar {
                            group: gi(r.key.workers),
                            series: r.key.strategy.clone(),
                            value: r.median_throughput_ops_s?,
                            ci: r.ci_low_throughput_ops_s.zip(r.ci_high_throughput_ops_s),
                            points: self.res.samples_of(r).to_vec(),
                        })
                    })
                    .collect(),
                y_label: format!("throughput ({})", self.res.unit_label(self.workload)),
                log: false,
                reference: mine
                    .iter()
                    .filter(|r| r.key.strategy.is_baseline())
                    .filter_map(|r| Some((gi(r.key.workers), r.median_throughput_ops_s?)))
                    .collect(),
                format: si,
                span: Vec::new(),
                integer: false,
            });
        }
        share_scale(&mut charts);
        for (panel, chart) in panels.iter().zip(&charts) {
            chart.draw(panel)?;
        }
        Ok(())
    }
}
