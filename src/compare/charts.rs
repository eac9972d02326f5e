//! The two charts of a comparison: each profile's speedup over `none` side by side, and the
//! throughput of B over A per scenario.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{CompareRow, Presence};
use crate::report::ProfileResults;
use crate::report::charts::bars::{Bar, GroupedBars, share_scale};
use crate::report::charts::style::{Chart, frame};
use crate::report::charts::{legend_items, strategy_order};
use crate::runner::Model;
use crate::strategy::LabelledStrategy;
use crate::workload::Workload;

/// The worker count both profiles ran for a workload and model that is closest to the larger
/// allowed CPU count (where a difference in CPUs shows).
fn common_count(
    rows: &[CompareRow],
    workload: Workload,
    model: Model,
    target: usize,
) -> Option<usize> {
    rows.iter()
        .filter(|r| r.workload == workload && r.model == model && r.present == Presence::Both)
        .map(|r| r.workers)
        .min_by_key(|c| (c.abs_diff(target), usize::MAX - c))
}

/// A group of bars: a workload and model at one worker count.
type Group = (Workload, Model, usize);

/// The groups both comparison charts draw: every workload and model both profiles ran, at the
/// common worker count closest to the larger allowed set, in the workloads' order (cpu, the
/// cache roles from L1d up, mem, ipc...).
fn chart_groups(a: &ProfileResults, b: &ProfileResults, rows: &[CompareRow]) -> Vec<Group> {
    let target = a.profile.allowed.len().max(b.profile.allowed.len());
    let mut seen: Vec<(Workload, Model)> = Vec::new();
    for r in rows {
        if r.present == Presence::Both && !seen.contains(&(r.workload, r.model)) {
            seen.push((r.workload, r.model));
        }
    }
    seen.sort();
    seen.iter()
        .filter_map(|&(w, m)| Some((w, m, common_count(rows, w, m, target)?)))
        .collect()
}

fn group_label(&(w, m, n): &Group) -> String {
    let model = match m {
        Model::Threads => "thr",
        Model::Processes => "proc",
        Model::Copies => "copies",
    };
    format!("{w} {model} x{n}")
}

/// The series that have at least one bar, in their order: a legend lists nothing it does not
/// draw.
fn drawn(series: Vec<LabelledStrategy>, bars: &[Vec<Bar>]) -> Vec<LabelledStrategy> {
    series
        .into_iter()
        .filter(|s| bars.iter().flatten().any(|b| b.series == *s))
        .collect()
}

pub struct SpeedupSideBySide<'a> {
    pub a: &'a ProfileResults,
    pub b: &'a ProfileResults,
    pub rows: &'a [CompareRow],
}

impl SpeedupSideBySide<'_> {
    fn panel_rows(&self) -> (Vec<LabelledStrategy>, Vec<Group>) {
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

/// Wide enough for every group's label.
fn width(groups: usize) -> u32 {
    (groups as u32 * 150).max(1400)
}

impl Chart for SpeedupSideBySide<'_> {
    fn size(&self) -> (u32, u32) {
        (width(chart_groups(self.a, self.b, self.rows).len()), 900)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let (series, groups) = self.panel_rows();
        let profiles = [("A", self.a), ("B", self.b)];
        let bars: Vec<Vec<Bar>> = profiles
            .iter()
            .map(|(_, p)| {
                groups
                    .iter()
                    .enumerate()
                    .flat_map(|(gi, (w, m, n))| {
                        p.ok()
                            .filter(move |r| {
                                let k = &r.key;
                                k.workload == *w && k.workers == *n && k.model == *m
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
                    .collect()
            })
            .collect();
        let series = drawn(series, &bars);
        let items = legend_items(&series);
        let plot = frame(
            root,
            "Speedup over none per profile (median, 95% CI; dashed: 1.0; both panels on one scale)",
            &format!(
                "A: {}   B: {}{}",
                self.a.profile.id,
                self.b.profile.id,
                super::sizes_line(self.rows)
            ),
            &items,
        )?;
        let mut charts: Vec<GroupedBars> = profiles
            .iter()
            .zip(bars)
            .map(|((name, p), bars)| GroupedBars {
                caption: format!("{name}: {}", p.title()),
                groups: groups.iter().map(group_label).collect(),
                series: series.clone(),
                bars,
                y_label: "speedup over none".into(),
                log: false,
                reference: (0..groups.len()).map(|g| (g, 1.0)).collect(),
                format: |v| format!("{v:.2}"),
                span: Vec::new(),
                integer: false,
            })
            .collect();
        share_scale(&mut charts);
        for (panel, chart) in plot.split_evenly((2, 1)).iter().zip(&charts) {
            chart.draw(panel)?;
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
        (width(chart_groups(self.a, self.b, self.rows).len()), 700)
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
        let bars: Vec<Bar> = groups
            .iter()
            .enumerate()
            .flat_map(|(gi, (w, m, n))| {
                self.rows
                    .iter()
                    .filter(move |r| r.workload == *w && r.workers == *n && r.model == *m)
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
        let bars = vec![bars];
        let series = drawn(series, &bars);
        let items = legend_items(&series);
        let plot = frame(
            root,
            "Throughput of B over A (same scenario; log scale; dashed: 1.0)",
            &format!(
                "A: {}   B: {}{}",
                self.a.profile.id,
                self.b.profile.id,
                super::sizes_line(self.rows)
            ),
            &items,
        )?;
        let bars = bars.into_iter().flatten().collect();
        GroupedBars {
            caption: String::new(),
            groups: groups.iter().map(group_label).collect(),
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
            span: Vec::new(),
            integer: false,
        }
        .draw(&plot)
    }
}
