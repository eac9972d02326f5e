//! The two charts of a comparison: each profile's speedup over `none` side by side, and the
//! throughput of B over A per scenario.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{CompareRow, Presence};
use crate::report::ProfileResults;
use crate::report::charts::bars::{Bar, GroupedBars};
use crate::report::charts::strategy_order;
use crate::report::charts::style::{Chart, color_of, frame};
use crate::runner::Model;
use crate::strategy::LabelledStrategy;
use crate::workload::Workload;

/// The worker count both profiles ran for a workload that is closest to the larger allowed
/// CPU count (where a difference in CPUs shows).
fn common_count(rows: &[CompareRow], workload: Workload, target: usize) -> Option<usize> {
    rows.iter()
        .filter(|r| r.workload == workload && r.present == Presence::Both)
        .map(|r| r.workers)
        .min_by_key(|c| (c.abs_diff(target), usize::MAX - c))
}

/// The (workload, worker count) groups both comparison charts draw: every workload both
/// profiles ran as threads, at the common worker count closest to the larger allowed set.
fn chart_groups(
    a: &ProfileResults,
    b: &ProfileResults,
    rows: &[CompareRow],
) -> Vec<(Workload, usize)> {
    let target = a.profile.allowed.len().max(b.profile.allowed.len());
    let mut workloads: Vec<Workload> = Vec::new();
    for r in rows {
        if r.present == Presence::Both
            && r.model == Model::Threads
            && !workloads.contains(&r.workload)
        {
            workloads.push(r.workload);
        }
    }
    workloads
        .iter()
        .filter_map(|w| Some((*w, common_count(rows, *w, target)?)))
        .collect()
}

pub struct SpeedupSideBySide<'a> {
    pub a: &'a ProfileResults,
    pub b: &'a ProfileResults,
    pub rows: &'a [CompareRow],
}

impl SpeedupSideBySide<'_> {
    fn panel_rows(&self) -> (Vec<LabelledStrategy>, Vec<(Workload, usize)>) {
        let groups = chart_groups(self.a, self.b, self.rows);
        let series = strategy_order(
            self.a
                .ok()
                .chain(self.b.ok())
                .filter(|r| r.key.strategy.label.is_none()),
        )
        .into_iter()
        .filter(|s| !s.is_baseline())
        .collect();
        (series, groups)
    }
}

impl Chart for SpeedupSideBySide<'_> {
    fn size(&self) -> (u32, u32) {
        (1400, 900)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let (series, groups) = self.panel_rows();
        let items: Vec<(String, RGBColor)> = series
            .iter()
            .map(|s| (s.to_string(), color_of(s)))
            .collect();
        let plot = frame(
            root,
            "Speedup over none per profile (threads; median, 95% CI; dashed: 1.0)",
            &format!("A: {}   B: {}", self.a.profile.id, self.b.profile.id),
            &items,
        )?;
        let panels = plot.split_evenly((2, 1));
        for (panel, (name, p)) in panels.iter().zip([("A", self.a), ("B", self.b)]) {
            let bars = groups
                .iter()
                .enumerate()
                .flat_map(|(gi, (w, n))| {
                    p.ok()
                        .filter(move |r| {
                            let k = &r.key;
                            k.workload == *w && k.workers == *n && k.model == Model::Threads
                        })
                        .filter_map(move |r| {
                            Some(Bar {
                                group: gi,
                                series: r.key.strategy.clone(),
                                value: r.speedup_vs_none?,
                                ci: r.speedup_ci_low.zip(r.speedup_ci_high),
                                points: Vec::new(),
                            })
                        })
                })
                .collect();
            GroupedBars {
                caption: format!("{name}: {}", p.title()),
                groups: groups.iter().map(|(w, n)| format!("{w} x{n}")).collect(),
                series: series.clone(),
                bars,
                y_label: "speedup over none".into(),
                log: false,
                reference: (0..groups.len()).map(|g| (g, 1.0)).collect(),
                format: |v| format!("{v:.2}"),
            }
            .draw(panel)?;
        }
        Ok(())
    }
}

pub struct Ratio<'a> {
    pub a: &'a ProfileResults,
    pub b: &'a ProfileResults,
    pub rows: &'a [CompareRow],
}

impl Chart for Ratio<'_> {
    fn size(&self) -> (u32, u32) {
        (1400, 700)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let groups = chart_groups(self.a, self.b, self.rows);
        let mut series: Vec<LabelledStrategy> = strategy_order(
            self.a
                .ok()
                .filter(|r| r.key.strategy.pair_place().is_none()),
        );
        for r in self.rows {
            if r.labelled.pair_place().is_some() && !series.contains(&r.labelled) {
                series.push(r.labelled.clone());
            }
        }
        let items: Vec<(String, RGBColor)> = series
            .iter()
            .map(|s| (s.to_string(), color_of(s)))
            .collect();
        let plot = frame(
            root,
            "Throughput of B over A (threads, same scenario; log scale; dashed: 1.0)",
            &format!("A: {}   B: {}", self.a.profile.id, self.b.profile.id),
            &items,
        )?;
        let bars = groups
            .iter()
            .enumerate()
            .flat_map(|(gi, (w, n))| {
                self.rows
                    .iter()
                    .filter(move |r| {
                        r.workload == *w && r.workers == *n && r.model == Model::Threads
                    })
                    .filter_map(move |r| {
                        Some(Bar {
                            group: gi,
                            series: r.labelled.clone(),
                            value: r.ratio_b_over_a?,
                            ci: None,
                            points: Vec::new(),
                        })
                    })
            })
            .collect();
        GroupedBars {
            caption: String::new(),
            groups: groups.iter().map(|(w, n)| format!("{w} x{n}")).collect(),
            series,
            bars,
            y_label: "B / A median throughput".into(),
            log: true,
            reference: (0..groups.len()).map(|g| (g, 1.0)).collect(),
            format: |v| {
                if v >= 0.1 {
                    format!("{v:.2}")
                } else {
                    format!("{v:.0e}")
                }
            },
        }
        .draw(&plot)
    }
}
