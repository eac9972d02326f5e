//! Grouped bars with optional 95 % CI whiskers and per-group reference lines, on a linear or a
//! log10 value axis (drawn linear in log space, labelled in real units).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::color_of;
use crate::strategy::LabelledStrategy;

pub struct Bar {
    pub group: usize,
    /// The strategy: picks the bar's colour and slot.
    pub series: LabelledStrategy,
    pub value: f64,
    pub ci: Option<(f64, f64)>,
    /// Every repetition behind the bar, drawn as dots across it, so a reader sees the
    /// distribution (two clusters, a straggler) and not only the median.
    pub points: Vec<f64>,
}

pub struct GroupedBars {
    pub caption: String,
    pub groups: Vec<String>,
    /// Slot order within a group.
    pub series: Vec<LabelledStrategy>,
    pub bars: Vec<Bar>,
    pub y_label: String,
    pub log: bool,
    /// A horizontal line across a group at this value (`none`'s median).
    pub reference: Vec<(usize, f64)>,
    pub format: fn(f64) -> String,
    /// Values the axis must cover besides this panel's own: panels side by side share one
    /// scale ([`share_scale`]), so one long whisker cannot squash a panel unnoticed.
    pub span: Vec<f64>,
    /// Counts: label whole numbers only.
    pub integer: bool,
}

/// Gives side-by-side panels one value axis: each covers every panel's bars, dots and
/// reference lines (a whisker that reaches further is cut at the top, not allowed to squash
/// every panel).
pub fn share_scale(panels: &mut [GroupedBars]) {
    let all: Vec<f64> = panels
        .iter()
        .flat_map(|p| {
            p.bars
                .iter()
                .filter(|b| p.series.contains(&b.series))
                .flat_map(|b| std::iter::once(b.value).chain(b.points.iter().copied()))
                .chain(p.reference.iter().map(|r| r.1))
                .filter(|v| v.is_finite() && (!p.log || *v > 0.0))
                .collect::<Vec<f64>>()
        })
        .collect();
    let (lo, hi) = all
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(*v), h.max(*v))
        });
    if lo.is_finite() && hi.is_finite() {
        for p in panels {
            p.span = vec![lo, hi];
        }
    }
}

impl GroupedBars {
    /// Every value the axis has to show: bars, whisker tops, dots, reference lines.
    fn values(&self) -> Vec<f64> {
        let mut values: Vec<f64> = self.bars.iter().map(|b| b.value).collect();
        values.extend(self.bars.iter().filter_map(|b| b.ci.map(|c| c.1)));
        values.extend(self.bars.iter().filter_map(|b| b.ci.map(|c| c.0)));
        values.extend(self.bars.iter().flat_map(|b| b.points.iter().copied()));
        values.extend(self.reference.iter().map(|r| r.1));
        values
            .into_iter()
            .filter(|v| v.is_finite() && (!self.log || *v > 0.0))
            .collect()
    }

    fn t(&self, v: f64) -> f64 {
        if self.log { v.max(1e-12).log10() } else { v }
    }

    pub fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("{e:?}");
        let s = self.series.len().max(1);
        let width = (s + 1) as f64;
        let g = self.groups.len().max(1);
        let mut values = if self.span.is_empty() {
            self.values()
        } else {
            Vec::new()
        };
        values.extend(
            self.span
                .iter()
                .filter(|v| v.is_finite() && (!self.log || **v > 0.0)),
        );
        let (y0, y1) = if self.log {
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(0.0, f64::max);
            if values.is_empty() {
                (0.0, 1.0)
            } else {
                ((lo.log10() - 0.3).floor(), (hi.log10() + 0.3).ceil())
            }
        } else {
            (
                0.0,
                // Counts that are all zero still get an axis from 0 to 1.
                values
                    .iter()
                    .copied()
                    .fold(0.0, f64::max)
                    .max(if self.integer { 1.0 } else { 1e-9 })
                    * 1.12,
            )
        };
        let groups = self.groups.clone();
        let log = self.log;
        let fmt = self.format;
        let integer = self.integer;
        let mut chart = ChartBuilder::on(area)
            .caption(&self.caption, ("sans-serif", 17))
            .margin(8)
            .x_label_area_size(34)
            .y_label_area_size(72)
            .build_cartesian_2d(0f64..(g as f64 * width), y0..y1)
            .map_err(e)?;
        let centre = move |x: f64| {
            let gi = (x / width).floor();
            let c = gi * width + s as f64 / 2.0;
            ((x - c).abs() <= 0.5 && x <= c, gi as usize)
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(g * (s + 1) * 2)
            .x_label_formatter(&|x| match centre(*x) {
                (true, gi) => groups.get(gi).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .y_desc(&self.y_label)
            .y_label_formatter(&|y| {
                let v = if log { 10f64.powf(*y) } else { *y };
                if integer && (v - v.round()).abs() > 1e-6 {
                    String::new()
                } else {
                    fmt(v)
                }
            })
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 14))
            .draw()
            .map_err(e)?;
        let base = if self.log { y0 } else { 0.0 };
        for b in &self.bars {
            let Some(slot) = self.series.iter().position(|x| *x == b.series) else {
                continue;
            };
            if !b.value.is_finite() || (self.log && b.value <= 0.0) {
                continue;
            }
            let x0 = b.group as f64 * width + slot as f64 + 0.5 - 0.4 + 0.1;
            let x1 = x0 + 0.8;
            let c = color_of(&b.series);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x0, base), (x1, self.t(b.value))],
                    c.filled(),
                )))
                .map_err(e)?;
            // A measured zero is a thick line in the bar's colour on the axis; a scenario not
            // measured has no mark at all.
            if !self.log && b.value == 0.0 {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(x0, base), (x1, base)],
                        c.stroke_width(4),
                    )))
                    .map_err(e)?;
            }
            if let Some((lo, hi)) = b.ci
                && lo.is_finite()
                && hi.is_finite()
                && (!self.log || lo > 0.0)
            {
                let xm = (x0 + x1) / 2.0;
                let (l, h) = (self.t(lo), self.t(hi));
                let cap = 0.18;
                let st = ShapeStyle::from(&BLACK).stroke_width(2);
                chart
                    .draw_series([
                        PathElement::new(vec![(xm, l), (xm, h)], st),
                        PathElement::new(vec![(xm - cap, l), (xm + cap, l)], st),
                        PathElement::new(vec![(xm - cap, h), (xm + cap, h)], st),
                    ])
                    .map_err(e)?;
            }
            // White dots with a dark edge read on every bar colour, the black one included.
            let k = b.points.len().max(1) as f64;
            let at: Vec<(f64, f64)> = b
                .points
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_finite() && (!self.log || **v > 0.0))
                .map(|(i, v)| (x0 + 0.1 + 0.6 * (i as f64 + 0.5) / k, self.t(*v)))
                .collect();
            let fill = at.iter().map(|p| Circle::new(*p, 3, WHITE.filled()));
            chart.draw_series(fill).map_err(e)?;
            let edge = at.iter().map(|p| {
                Circle::new(
                    *p,
                    3,
                    ShapeStyle::from(&RGBColor(40, 40, 40)).stroke_width(1),
                )
            });
            chart.draw_series(edge).map_err(e)?;
        }
        for (gi, v) in &self.reference {
            if !v.is_finite() || (self.log && *v <= 0.0) {
                continue;
            }
            let x0 = *gi as f64 * width + 0.3;
            let x1 = x0 + s as f64 + 0.4;
            let y = self.t(*v);
            let dash = ShapeStyle::from(&RGBColor(40, 40, 40)).stroke_width(1);
            let mut x = x0;
            let mut segs = Vec::new();
            while x < x1 {
                segs.push(PathElement::new(
                    vec![(x, y), ((x + 0.15).min(x1), y)],
                    dash,
                ));
                x += 0.3;
            }
            chart.draw_series(segs).map_err(e)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panel(values: &[f64], whisker: f64) -> GroupedBars {
        let s = LabelledStrategy::baseline();
        GroupedBars {
            caption: String::new(),
            groups: vec!["g".into()],
            series: vec![s.clone()],
            bars: values
                .iter()
                .map(|v| Bar {
                    group: 0,
                    series: s.clone(),
                    value: *v,
                    ci: Some((*v * 0.9, whisker)),
                    points: Vec::new(),
                })
                .collect(),
            y_label: String::new(),
            log: false,
            reference: vec![(0, 1.0)],
            format: |v| format!("{v}"),
            span: Vec::new(),
            integer: false,
        }
    }

    #[test]
    fn side_by_side_panels_share_one_scale_without_whiskers() {
        let mut p = vec![panel(&[2.0], 3.0), panel(&[0.5], 40.0)];
        share_scale(&mut p);
        // Both cover 0.5..2 (bars) and the reference; the long whisker does not set the scale.
        assert_eq!(p[0].span, vec![0.5, 2.0]);
        assert_eq!(p[1].span, p[0].span);
    }
}
