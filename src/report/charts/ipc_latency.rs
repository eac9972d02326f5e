//! `ipc-latency`: time per round trip (per message for queue) per transport and pair
//! placement, log scale.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::bars::{Bar, GroupedBars, share_scale};
use super::style::{Chart, frame, ns};
use super::{legend_items, models, strategy_order};
use crate::report::data::ProfileResults;
use crate::store::SummaryRow;
use crate::workload::{LatencyChart, Workload};

/// Round-trip latency per transport and placement.
pub struct IpcLatency<'a> {
    pub res: &'a ProfileResults,
}

impl Chart for IpcLatency<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let ipc: Vec<&SummaryRow> = self
            .res
            .ok()
            .filter(|r| {
                r.key.workload.family().latency_chart() == Some(LatencyChart::ByPlacement)
                    && r.key.antagonist.is_none()
            })
            .collect();
        // The smallest worker count run per transport: one pair, or one client/producer.
        let mut transports: Vec<Workload> = Vec::new();
        for r in &ipc {
            if !transports.contains(&r.key.workload) {
                transports.push(r.key.workload);
            }
        }
        let min_count = |w: Workload| {
            ipc.iter()
                .filter(|r| r.key.workload == w)
                .map(|r| r.key.workers)
                .min()
        };
        let rows: Vec<&SummaryRow> = ipc
            .iter()
            .copied()
            .filter(|r| Some(r.key.workers) == min_count(r.key.workload))
            .collect();
        let series = strategy_order(rows.iter().copied());
        let plot = frame(
            root,
            "ipc: time per round trip (per message for queue) by transport and placement (log scale)",
            &self.res.title(),
            &legend_items(&series),
        )?;
        let ms = models(rows.iter().copied());
        let panels = plot.split_evenly((1, ms.len().max(1)));
        let mut charts: Vec<GroupedBars> = Vec::new();
        for model in &ms {
            let gi = |w: Workload| transports.iter().position(|t| *t == w).unwrap_or(0);
            charts.push(GroupedBars {
                caption: model.to_string(),
                groups: transports
                    .iter()
                    .map(|t| format!("{} x{}", t.family().label(), min_count(*t).unwrap_or(0)))
                    .collect(),
                series: series.clone(),
                bars: rows
                    .iter()
                    .filter(|r| r.key.model == *model)
                    .filter_map(|r| {
                        Some(Bar {
                            group: gi(r.key.workload),
                            series: r.key.strategy.clone(),
                            value: r.median_ns_per_op?,
                            ci: None,
                            points: Vec::new(),
                        })
                    })
                    .collect(),
                y_label: "time per round trip".into(),
                log: true,
                reference: Vec::new(),
                format: ns,
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
