//! `overview`: speedup over `none` for every workload and strategy at the allowed CPU count,
//! coloured by verdict and size of the effect: the one picture for a README.

use plotters::coord::Shift;
use plotters::prelude::*;

/// The colour of an open question: neither a difference nor none.
pub const INCONCLUSIVE: RGBColor = RGBColor(240, 210, 130);

use super::strategy_order;
use super::style::{Chart, frame};
use crate::report::data::ProfileResults;
use crate::runner::Model;
use crate::stats::Verdict;
use crate::store::SummaryRow;
use crate::strategy::LabelledStrategy;

/// Speedup over `none` for every workload and strategy at the allowed CPU count: the one
/// picture for a README.
pub struct Overview<'a> {
    pub res: &'a ProfileResults,
}

/// Row labels, column labels, and the (row, column, summary) of each cell.
type Cells<'r> = (
    Vec<String>,
    Vec<LabelledStrategy>,
    Vec<(usize, usize, &'r SummaryRow)>,
);

impl Overview<'_> {
    fn cells(&self) -> Cells<'_> {
        let mut rows_l: Vec<String> = Vec::new();
        let mut picked: Vec<&SummaryRow> = Vec::new();
        for w in self.res.workloads() {
            let Some(n) = self.res.main_worker_count(w) else {
                continue;
            };
            for m in [Model::Threads, Model::Processes] {
                let mine: Vec<&SummaryRow> = self
                    .res
                    .ok()
                    .filter(|r| {
                        let k = &r.key;
                        k.workload == w && k.model == m && k.workers == n && k.antagonist.is_none()
                    })
                    // The strategies, and the pair placements (`@same-cpu`...), which hold the
                    // pair workloads' strongest verdicts; not `none` under another label.
                    .filter(|r| {
                        let s = &r.key.strategy;
                        (s.label.is_none() || s.pair_place().is_some()) && !s.is_none_strategy()
                    })
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
            let label = format!("{} · {} x{}", r.key.workload, r.key.model, r.key.workers);
            if label != last {
                ri = rows_l.iter().position(|l| *l == label).unwrap_or(0);
                last = label;
            }
            if let Some(ci) = cols.iter().position(|c| *c == r.key.strategy) {
                cells.push((ri, ci, *r));
            }
        }
        (rows_l, cols, cells)
    }
}

/// A cell's text: the ratio, `~` when noisy, and the strategy whose placement it shares.
fn cell_text(r: &SummaryRow) -> String {
    match r.speedup_vs_none {
        // A tiny ratio keeps its size visible (0.0037x, not 0.00x).
        Some(v) => format!(
            "{}x{}{}",
            if v >= 0.1 {
                format!("{v:.2}")
            } else {
                format!("{v:.4}")
            },
            if r.noisy { " ~" } else { "" },
            r.same_placement_as
                .as_ref()
                .map_or(String::new(), |s| format!("  = {s}"))
        ),
        None => "-".into(),
    }
}

impl Overview<'_> {
    /// The row labels' width and each column's, in pixels: wide enough for the longest row
    /// label (`cmd:process_pool_executor · processes x2`) at about 7 px a character and for the
    /// longest cell (`1.03x ~  = per-worker`) at about 8.
    fn layout(&self) -> (u32, u32) {
        let (rows, _, cells) = self.cells();
        let labels = rows
            .iter()
            .map(|l| 7 * l.chars().count() as u32 + 16)
            .max()
            .unwrap_or(0)
            .max(230);
        let cell = cells
            .iter()
            .map(|(_, _, r)| 8 * cell_text(r).chars().count() as u32 + 14)
            .max()
            .unwrap_or(0)
            .max(120);
        (labels, cell)
    }
}

impl Chart for Overview<'_> {
    fn size(&self) -> (u32, u32) {
        let (rows, cols, _) = self.cells();
        let (labels, cell) = self.layout();
        let width = (labels + cell * cols.len().max(1) as u32 + 40).max(1200);
        (width, (160 + 30 * rows.len() as u32).max(400))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("{e:?}");
        let (rows, cols, cells) = self.cells();
        let items = vec![
            (
                "faster (CI above 1 + band)".to_string(),
                RGBColor(33, 102, 172),
            ),
            (Verdict::Slower.to_string(), RGBColor(178, 24, 43)),
            (
                "no difference (CI inside 1 +- band)".to_string(),
                RGBColor(200, 200, 200),
            ),
            (Verdict::Inconclusive.to_string(), INCONCLUSIVE),
            (
                "~ noisy: CV > 5%, n < 6 or bimodal;  = X: the same placement as X".to_string(),
                WHITE,
            ),
        ];
        let plot = frame(
            root,
            "Speedup over none (ratio within a pass, or of medians; colour: verdict and size of the effect; identical placements never judged)",
            &self.res.title(),
            &items,
        )?;
        let (nr, nc) = (rows.len().max(1), cols.len().max(1));
        let mut chart = ChartBuilder::on(&plot)
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(self.layout().0)
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
                    cols_c
                        .get(x.floor() as usize)
                        .map(LabelledStrategy::join_name)
                        .unwrap_or_default()
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
            let color = match r.verdict {
                Some(Verdict::Faster) => RGBColor(mix(230, 33), mix(240, 102), mix(250, 172)),
                Some(Verdict::Slower) => RGBColor(mix(250, 178), mix(230, 24), mix(230, 43)),
                Some(Verdict::Inconclusive) => INCONCLUSIVE,
                _ => RGBColor(225, 225, 225),
            };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x + 0.03, y + 0.06), (x + 0.97, y + 0.94)],
                    color.filled(),
                )))
                .map_err(e)?;
            let text = cell_text(r);
            // White text only on the strong blue and red cells; grey cells keep black.
            let fg = if strength > 0.6 && r.verdict.is_some_and(|v| v.is_difference()) {
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
