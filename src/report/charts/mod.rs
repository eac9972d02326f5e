//! The charts of one profile, each drawn from its summary rows alone.

pub mod bars;
pub mod style;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::ProfileResults;
use crate::store::SummaryRow;
use crate::workload::parse_size;
use bars::{Bar, GroupedBars};
use style::{Chart, color_of, frame, ns, si};

const ORDER: [&str; 6] = [
    "none",
    "inherited",
    "per-worker",
    "round-robin",
    "compact",
    "scatter",
];

/// Strategies in a fixed order: the defaults first, then others as they appear.
pub fn strategy_order<'a>(rows: impl Iterator<Item = &'a SummaryRow>) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for r in rows {
        if !seen.contains(&r.strategy) {
            seen.push(r.strategy.clone());
        }
    }
    let mut out: Vec<String> = ORDER
        .iter()
        .filter(|s| seen.iter().any(|x| x == *s))
        .map(|s| s.to_string())
        .collect();
    out.extend(seen.into_iter().filter(|s| !ORDER.contains(&s.as_str())));
    out
}

fn models<'a>(rows: impl Iterator<Item = &'a SummaryRow>) -> Vec<String> {
    let mut m: Vec<String> = Vec::new();
    for r in rows {
        if !m.contains(&r.model) {
            m.push(r.model.clone());
        }
    }
    m.sort_by_key(|x| if x == "threads" { 0 } else { 1 });
    m
}

/// A workload's measured rows without an antagonist.
fn workload_rows<'r>(res: &'r ProfileResults, workload: &str) -> Vec<&'r SummaryRow> {
    res.ok()
        .filter(|r| r.workload == workload && r.antagonist.is_empty())
        .collect()
}

/// The worker counts of some rows, sorted, once each.
fn worker_counts(rows: &[&&SummaryRow]) -> Vec<usize> {
    let mut counts: Vec<usize> = rows.iter().map(|r| r.workers).collect();
    counts.sort_unstable();
    counts.dedup();
    counts
}

fn legend_items(series: &[String]) -> Vec<(String, RGBColor)> {
    series.iter().map(|s| (s.clone(), color_of(s))).collect()
}

fn unit_of(workload: &str) -> &'static str {
    if workload.starts_with("cache") {
        "accesses/s"
    } else if workload.starts_with("ipc:queue") {
        "messages/s"
    } else if workload.starts_with("ipc") {
        "round trips/s"
    } else {
        "ops/s"
    }
}

/// Throughput by strategy and worker count, threads and processes side by side.
pub struct Throughput<'a> {
    pub res: &'a ProfileResults,
    pub workload: String,
}

impl Chart for Throughput<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let rows = workload_rows(self.res, &self.workload);
        let series = strategy_order(rows.iter().copied());
        let plot = frame(
            root,
            &format!(
                "{}: throughput by strategy (median, 95% CI; dashed: none)",
                self.workload
            ),
            &self.res.title(),
            &legend_items(&series),
        )?;
        let ms = models(rows.iter().copied());
        let panels = plot.split_evenly((1, ms.len().max(1)));
        for (panel, model) in panels.iter().zip(&ms) {
            let mine: Vec<&&SummaryRow> = rows.iter().filter(|r| &r.model == model).collect();
            let counts = worker_counts(&mine);
            let gi = |w: usize| counts.iter().position(|c| *c == w).unwrap_or(0);
            GroupedBars {
                caption: model.clone(),
                groups: counts.iter().map(|c| format!("{c} workers")).collect(),
                series: series.clone(),
                bars: mine
                    .iter()
                    .filter_map(|r| {
                        Some(Bar {
                            group: gi(r.workers),
                            series: r.strategy.clone(),
                            value: r.median_throughput_ops_s?,
                            ci: r.ci_low_throughput_ops_s.zip(r.ci_high_throughput_ops_s),
                        })
                    })
                    .collect(),
                y_label: format!("throughput ({})", unit_of(&self.workload)),
                log: false,
                reference: mine
                    .iter()
                    .filter(|r| r.strategy == "none")
                    .filter_map(|r| Some((gi(r.workers), r.median_throughput_ops_s?)))
                    .collect(),
                format: si,
            }
            .draw(panel)?;
        }
        Ok(())
    }
}

/// Migrations and involuntary context switches by strategy, per model.
pub struct Migrations<'a> {
    pub res: &'a ProfileResults,
    pub workload: String,
}

impl Chart for Migrations<'_> {
    fn size(&self) -> (u32, u32) {
        (1200, 900)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let rows = workload_rows(self.res, &self.workload);
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
                let mine: Vec<&&SummaryRow> = rows.iter().filter(|r| &r.model == model).collect();
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
                                group: gi(r.workers),
                                series: r.strategy.clone(),
                                value: if log { v + 1.0 } else { v },
                                ci: None,
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
                }
                .draw(panel)?;
            }
        }
        Ok(())
    }
}

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
            .filter(|r| r.workload.starts_with("cache:") && r.antagonist.is_empty())
            .collect();
        let workers = cache
            .first()
            .and_then(|r| self.res.main_worker_count(&r.workload))
            .unwrap_or(1);
        let rows: Vec<&SummaryRow> = cache.into_iter().filter(|r| r.workers == workers).collect();
        let series = strategy_order(rows.iter().copied());
        let plot = frame(
            root,
            &format!(
                "cache: ns per access against working set ({workers} workers; dotted: cache sizes)"
            ),
            &self.res.title(),
            &legend_items(&series),
        )?;
        let size_of = |r: &SummaryRow| {
            parse_size(r.workload.trim_start_matches("cache:")).map(|b| (b as f64).log2())
        };
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
            let mut chart = ChartBuilder::on(panel)
                .caption(model, ("sans-serif", 17))
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
                    crate::workload::format_size(2f64.powf(*x) as u64)
                })
                .y_label_formatter(&|y| ns(10f64.powf(*y)))
                .label_style(("sans-serif", 12))
                .axis_desc_style(("sans-serif", 14))
                .draw()
                .map_err(e)?;
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
                    .filter(|r| &r.model == model && &r.strategy == s)
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

/// Round-trip latency per transport and placement.
pub struct IpcLatency<'a> {
    pub res: &'a ProfileResults,
}

impl Chart for IpcLatency<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let ipc: Vec<&SummaryRow> = self
            .res
            .ok()
            .filter(|r| r.workload.starts_with("ipc:") && r.antagonist.is_empty())
            .collect();
        // The smallest worker count run per transport: one pair, or one client/producer.
        let mut transports: Vec<String> = Vec::new();
        for r in &ipc {
            if !transports.contains(&r.workload) {
                transports.push(r.workload.clone());
            }
        }
        let min_count = |w: &str| {
            ipc.iter()
                .filter(|r| r.workload == w)
                .map(|r| r.workers)
                .min()
        };
        let rows: Vec<&SummaryRow> = ipc
            .iter()
            .copied()
            .filter(|r| Some(r.workers) == min_count(&r.workload))
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
        for (panel, model) in panels.iter().zip(&ms) {
            let gi = |w: &str| transports.iter().position(|t| t == w).unwrap_or(0);
            GroupedBars {
                caption: model.clone(),
                groups: transports
                    .iter()
                    .map(|t| {
                        format!(
                            "{} x{}",
                            t.trim_start_matches("ipc:"),
                            min_count(t).unwrap_or(0)
                        )
                    })
                    .collect(),
                series: series.clone(),
                bars: rows
                    .iter()
                    .filter(|r| &r.model == model)
                    .filter_map(|r| {
                        Some(Bar {
                            group: gi(&r.workload),
                            series: r.strategy.clone(),
                            value: r.median_ns_per_op?,
                            ci: None,
                        })
                    })
                    .collect(),
                y_label: "time per round trip".into(),
                log: true,
                reference: Vec::new(),
                format: ns,
            }
            .draw(panel)?;
        }
        Ok(())
    }
}

/// Speedup over `none` for every workload and strategy at the allowed CPU count: the one
/// picture for a README.
pub struct Overview<'a> {
    pub res: &'a ProfileResults,
}

/// Row labels, column labels, and the (row, column, summary) of each cell.
type Cells<'r> = (
    Vec<String>,
    Vec<String>,
    Vec<(usize, usize, &'r SummaryRow)>,
);

impl Overview<'_> {
    fn cells(&self) -> Cells<'_> {
        let mut rows_l: Vec<String> = Vec::new();
        let mut picked: Vec<&SummaryRow> = Vec::new();
        for w in self.res.workloads() {
            let Some(n) = self.res.main_worker_count(&w) else {
                continue;
            };
            for m in ["threads", "processes"] {
                let mine: Vec<&SummaryRow> = self
                    .res
                    .ok()
                    .filter(|r| {
                        r.workload == w && r.model == m && r.workers == n && r.antagonist.is_empty()
                    })
                    .filter(|r| !r.strategy.contains('@') && r.strategy != "none")
                    .collect();
                if mine.is_empty() {
                    continue;
                }
                rows_l.push(format!("{w} · {m} x{n}"));
                picked.extend(mine);
            }
        }
        let cols = strategy_order(picked.iter().copied());
        let mut cells = Vec::new();
        let mut ri = 0;
        let mut last = String::new();
        for r in &picked {
            let label = format!("{} · {} x{}", r.workload, r.model, r.workers);
            if label != last {
                ri = rows_l.iter().position(|l| *l == label).unwrap_or(0);
                last = label;
            }
            if let Some(ci) = cols.iter().position(|c| *c == r.strategy) {
                cells.push((ri, ci, *r));
            }
        }
        (rows_l, cols, cells)
    }
}

impl Chart for Overview<'_> {
    fn size(&self) -> (u32, u32) {
        let (rows, _, _) = self.cells();
        (1200, (160 + 30 * rows.len() as u32).max(400))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("{e:?}");
        let (rows, cols, cells) = self.cells();
        let items = vec![
            (
                "faster (CI above 1 + threshold)".to_string(),
                RGBColor(33, 102, 172),
            ),
            ("slower".to_string(), RGBColor(178, 24, 43)),
            ("no difference".to_string(), RGBColor(200, 200, 200)),
            ("~ noisy: CV > 5% or n < 5".to_string(), WHITE),
        ];
        let plot = frame(
            root,
            "Speedup over none (median ratio; colour: verdict and size of the effect)",
            &self.res.title(),
            &items,
        )?;
        let (nr, nc) = (rows.len().max(1), cols.len().max(1));
        let mut chart = ChartBuilder::on(&plot)
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(230)
            .build_cartesian_2d(0f64..nc as f64, 0f64..nr as f64)
            .map_err(e)?;
        let cols_c = cols.clone();
        let rows_c = rows.clone();
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(nc * 2 + 1)
            .y_labels(nr * 2 + 1)
            .x_label_formatter(&|x| {
                if (x.fract() - 0.5).abs() < 1e-6 {
                    cols_c.get(x.floor() as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| {
                if (y.fract() - 0.5).abs() < 1e-6 {
                    // Row 0 at the top.
                    rows_c
                        .get(nr - 1 - y.floor() as usize)
                        .cloned()
                        .unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(e)?;
        for (ri, ci, r) in cells {
            let y = (nr - 1 - ri) as f64;
            let x = ci as f64;
            let s = r.speedup_vs_none.unwrap_or(1.0);
            let strength = (s.max(1e-3).log2().abs() / 1.0).min(1.0);
            let mix = |a: u8, b: u8| {
                (f64::from(a) + (f64::from(b) - f64::from(a)) * (0.35 + 0.65 * strength)) as u8
            };
            let color = match r.verdict.as_str() {
                "faster" => RGBColor(mix(230, 33), mix(240, 102), mix(250, 172)),
                "slower" => RGBColor(mix(250, 178), mix(230, 24), mix(230, 43)),
                _ => RGBColor(225, 225, 225),
            };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x + 0.03, y + 0.06), (x + 0.97, y + 0.94)],
                    color.filled(),
                )))
                .map_err(e)?;
            let text = match r.speedup_vs_none {
                Some(v) => format!("{v:.2}x{}", if r.noisy { " ~" } else { "" }),
                None => "-".into(),
            };
            let fg = if strength > 0.6 && r.verdict != "no difference" {
                WHITE
            } else {
                BLACK
            };
            chart
                .draw_series(std::iter::once(Text::new(
                    text,
                    (x + 0.5, y + 0.5),
                    TextStyle::from(("sans-serif", 14).into_font())
                        .color(&fg)
                        .pos(plotters::style::text_anchor::Pos::new(
                            plotters::style::text_anchor::HPos::Center,
                            plotters::style::text_anchor::VPos::Center,
                        )),
                )))
                .map_err(e)?;
        }
        Ok(())
    }
}
