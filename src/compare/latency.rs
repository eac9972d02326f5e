//! `cache-latency` of a comparison: both machines' nanoseconds per access against the working
//! set on one axis of bytes (A solid, B dashed, one colour per strategy), each machine's cache
//! sizes marked, so a role (`cache:L2/2`) is seen where it sits on each machine.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{CompareRow, Presence};
use crate::report::ProfileResults;
use crate::report::charts::cache_latency::latency_panel;
use crate::report::charts::style::{Chart, color_of, frame};
use crate::report::charts::{legend_items, strategy_order};
use crate::runner::Model;
use crate::store::SummaryRow;
use crate::workload::LatencyChart;

pub struct CacheLatencyPair<'a> {
    a: &'a ProfileResults,
    b: &'a ProfileResults,
    workers: usize,
}

/// A profile's cache rows at `workers` workers without an antagonist, with a size known.
fn cache_rows(p: &ProfileResults, workers: usize) -> Vec<&SummaryRow> {
    p.ok()
        .filter(|r| {
            r.key.workload.family().latency_chart() == Some(LatencyChart::BySize)
                && r.key.antagonist.is_none()
                && r.key.workers == workers
                && r.key.workload.size().is_some()
        })
        .collect()
}

/// Where a profile's caches (of its first allowed CPU) sit on the axis: name and log2 bytes.
fn marks(p: &ProfileResults) -> Vec<(String, f64)> {
    let cpu = p.profile.allowed.first().unwrap_or(0);
    [1u8, 2, 3]
        .iter()
        .filter_map(|l| {
            let c = p.profile.topology.cache_of(cpu, *l)?;
            Some((c.name(), (c.size_bytes? as f64).log2()))
        })
        .collect()
}

impl<'a> CacheLatencyPair<'a> {
    /// The chart, where both profiles measured a cache workload at a common worker count (the
    /// one closest to the larger allowed set, as the other comparison charts choose).
    pub fn new(a: &'a ProfileResults, b: &'a ProfileResults, rows: &[CompareRow]) -> Option<Self> {
        let target = a.profile.allowed.len().max(b.profile.allowed.len());
        let workers = rows
            .iter()
            .filter(|r| {
                r.present == Presence::Both
                    && r.antagonist.is_none()
                    && r.workload.family().latency_chart() == Some(LatencyChart::BySize)
            })
            .map(|r| r.workers)
            .min_by_key(|c| (c.abs_diff(target), usize::MAX - c))?;
        Some(Self { a, b, workers })
    }
}

impl Chart for CacheLatencyPair<'_> {
    fn size(&self) -> (u32, u32) {
        (1400, 760)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("{e:?}");
        let sides = [
            ("A", cache_rows(self.a, self.workers), marks(self.a)),
            ("B", cache_rows(self.b, self.workers), marks(self.b)),
        ];
        let series = strategy_order(sides.iter().flat_map(|s| s.1.iter().copied()));
        let plot = frame(
            root,
            &format!(
                "cache: ns per access against working set, A solid, B dashed ({} workers; vertical lines: each machine's caches)",
                self.workers
            ),
            &format!("A: {}   B: {}", self.a.title(), self.b.title()),
            &legend_items(&series),
        )?;
        let size_of = |r: &SummaryRow| r.key.workload.size().map(|b| (b as f64).log2());
        let xs: Vec<f64> = sides
            .iter()
            .flat_map(|s| s.1.iter().filter_map(|r| size_of(r)))
            .chain(sides.iter().flat_map(|s| s.2.iter().map(|m| m.1)))
            .collect();
        let ys: Vec<f64> = sides
            .iter()
            .flat_map(|s| s.1.iter().filter_map(|r| r.median_ns_per_op))
            .filter(|v| *v > 0.0)
            .collect();
        let x0 = xs.iter().copied().fold(f64::INFINITY, f64::min).floor() - 0.5;
        let x1 = xs.iter().copied().fold(0.0, f64::max).ceil() + 1.5;
        let step = if x1 - x0 > 12.0 { 2 } else { 1 };
        let y0 = ys
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
            .max(0.1)
            .log10()
            .floor();
        let y1 = ys
            .iter()
            .copied()
            .fold(0.0, f64::max)
            .max(1.0)
            .log10()
            .ceil()
            + 0.25;
        let mut models: Vec<Model> = sides
            .iter()
            .flat_map(|s| s.1.iter().map(|r| r.key.model))
            .collect();
        models.sort();
        models.dedup();
        let panels = plot.split_evenly((1, models.len().max(1)));
        for (panel, model) in panels.iter().zip(&models) {
            let mut chart = latency_panel(panel, *model, (x0, x1), (y0, y1), step)?;
            // Each machine's caches: A's dotted grey, labelled at the top; B's dashed brown,
            // labelled below them, so equal sizes on both still read.
            for (i, (side, _, marks)) in sides.iter().enumerate() {
                let colour = if i == 0 {
                    RGBColor(110, 110, 110)
                } else {
                    RGBColor(150, 90, 30)
                };
                let (on, gap) = if i == 0 { (0.04, 0.08) } else { (0.12, 0.18) };
                for (name, x) in marks {
                    let style = ShapeStyle::from(&colour).stroke_width(1);
                    let mut y = y0;
                    let mut segs = Vec::new();
                    while y < y1 {
                        segs.push(PathElement::new(
                            vec![(*x, y), (*x, (y + on).min(y1))],
                            style,
                        ));
                        y += gap;
                    }
                    chart.draw_series(segs).map_err(e)?;
                    let at = y1 - (0.06 + 0.07 * i as f64) * (y1 - y0);
                    chart
                        .draw_series(std::iter::once(Text::new(
                            format!("{side} {name}"),
                            (*x + 0.08, at),
                            ("sans-serif", 13).into_font().color(&colour),
                        )))
                        .map_err(e)?;
                }
            }
            for (i, (_, rows, _)) in sides.iter().enumerate() {
                for s in &series {
                    let mut pts: Vec<(f64, f64)> = rows
                        .iter()
                        .filter(|r| r.key.model == *model && r.key.strategy == *s)
                        .filter_map(|r| {
                            Some((
                                size_of(r)?,
                                r.median_ns_per_op.filter(|v| *v > 0.0)?.log10(),
                            ))
                        })
                        .collect();
                    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                    let c = color_of(s);
                    if i == 0 {
                        chart
                            .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
                            .map_err(e)?;
                        chart
                            .draw_series(pts.into_iter().map(|p| Circle::new(p, 4, c.filled())))
                            .map_err(e)?;
                    } else {
                        chart
                            .draw_series(DashedLineSeries::new(
                                pts.clone(),
                                8,
                                5,
                                c.stroke_width(2),
                            ))
                            .map_err(e)?;
                        chart
                            .draw_series(
                                pts.into_iter()
                                    .map(|p| Circle::new(p, 4, c.stroke_width(2))),
                            )
                            .map_err(e)?;
                    }
                }
            }
        }
        Ok(())
    }
}
