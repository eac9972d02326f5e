//! `cache-latency`: nanoseconds per access against working-set size, one line per strategy,
//! the cache sizes of this machine marked.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{Chart, color_of, frame, ns};
use super::{legend_items, models, strategy_order};
use crate::report::data::ProfileResults;
use crate::size::format_size;
use crate::store::SummaryRow;
use crate::workload::LatencyChart;

/// Nanoseconds per access against working-set size, one line per strategy, caches marked.
pub struct CacheLatency<'a> {
    pub res: &'a ProfileResults,
}

impl Chart for CacheLatency<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("{e:?}");
        let cache: Vec<&SummaryRow> = self
            .res
            .ok()
            .filter(|r| {
                r.key.workload.family().latency_chart() == Some(LatencyChart::BySize)
                    && r.key.antagonist.is_none()
            })
            .collect();
        let workers = cache
            .first()
            .and_then(|r| self.res.main_worker_count(r.key.workload))
            .unwrap_or(1);
        let rows: Vec<&SummaryRow> = cache
            .into_iter()
            .filter(|r| r.key.workers == workers)
            .collect();
        let series = strategy_order(rows.iter().copied());
        let plot = frame(
            root,
            &format!(
                "cache: ns per access against working set ({workers} workers; dotted: cache sizes)"
            ),
            &self.res.title(),
            &legend_items(&series),
        )?;
        let size_of = |r: &SummaryRow| r.key.workload.size().map(|b| (b as f64).log2());
        let xs: Vec<f64> = rows.iter().filter_map(|r| size_of(r)).collect();
        let ys: Vec<f64> = rows
            .iter()
            .filter_map(|r| r.median_ns_per_op)
            .filter(|v| *v > 0.0)
            .collect();
        let topo = &self.res.profile.topology;
        let cpu = self.res.profile.allowed.first().unwrap_or(0);
        let marks: Vec<(String, f64)> = [1u8, 2, 3]
            .iter()
            .filter_map(|l| {
                let c = topo.cache_of(cpu, *l)?;
                Some((c.name(), (c.size_bytes? as f64).log2()))
            })
            .collect();
        let all_x = xs.iter().chain(marks.iter().map(|m| &m.1));
        let (x0, x1) = (
            all_x.clone().copied().fold(f64::INFINITY, f64::min).floor() - 0.5,
            all_x.copied().fold(0.0, f64::max).ceil() + 1.5,
        );
        let step = if x1 - x0 > 12.0 { 2 } else { 1 };
        let (y0, y1) = (
            ys.iter()
                .copied()
                .fold(f64::INFINITY, f64::min)
                .max(0.1)
                .log10()
                .floor(),
            ys.iter()
                .copied()
                .fold(0.0, f64::max)
                .max(1.0)
                .log10()
                .ceil()
                + 0.1,
        );
        let ms = models(rows.iter().copied());
        let panels = plot.split_evenly((1, ms.len().max(1)));
        for (panel, model) in panels.iter().zip(&ms) {
            let mut chart = latency_panel(panel, *model, (x0, x1), (y0, y1), step)?;
            for (name, x) in &marks {
                let dotted = ShapeStyle::from(&RGBColor(120, 120, 120)).stroke_width(1);
                let mut y = y0;
                let mut segs = Vec::new();
                while y < y1 {
                    segs.push(PathElement::new(
                        vec![(*x, y), (*x, (y + 0.04).min(y1))],
                        dotted,
                    ));
                    y += 0.08;
                }
                chart.draw_series(segs).map_err(e)?;
                chart
                    .draw_series(std::iter::once(Text::new(
                        name.clone(),
                        (*x + 0.08, y1 - 0.08 * (y1 - y0)),
                        ("sans-serif", 13).into_font(),
                    )))
                    .map_err(e)?;
            }
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
                chart
                    .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
                    .map_err(e)?;
                chart
                    .draw_series(pts.into_iter().map(|p| Circle::new(p, 4, c.filled())))
                    .map_err(e)?;
            }
        }
        Ok(())
    }
}

/// One model's panel of a latency chart: log2 bytes across (a label every `step` powers of
/// two), log10 ns per access up; the report's chart and a comparison's draw on it alike.
pub(crate) fn latency_panel<'a, DB: DrawingBackend>(
    panel: &'a DrawingArea<DB, Shift>,
    model: crate::runner::Model,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
    step: i64,
) -> Result<
    ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    String,
> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("{e:?}");
    let mut chart = ChartBuilder::on(panel)
        .caption(model.to_string(), ("sans-serif", 17))
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(72)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("working set (log2 scale)")
        .y_desc("ns per access (log scale)")
        .x_labels(((x1 - x0) as usize).max(2))
        .x_label_formatter(&|x| {
            if x.fract().abs() > 1e-6 || (x.round() as i64) % step != 0 {
                return String::new();
            }
            format_size(2f64.powf(*x) as u64)
        })
        .y_label_formatter(&|y| ns(10f64.powf(*y)))
        .label_style(("sans-serif", 12))
        .axis_desc_style(("sans-serif", 14))
        .draw()
        .map_err(e)?;
    Ok(chart)
}
