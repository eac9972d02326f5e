//! What every chart shares: the bundled font, one colour per strategy everywhere, number
//! formatting, and writing SVG and PNG through a temporary file so no chart is ever half
//! written.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::strategy::{LabelledStrategy, PairPlace, Strategy};

use crate::report::data::ReportError;

static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// Registers the bundled font once, so PNG text renders without system font libraries.
pub fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// The colour of a strategy, the same in every chart: by pair placement for the ipc
/// placements, else by strategy; a labelled strategy (`none@B`) has a colour of its own label.
pub fn color_of(s: &LabelledStrategy) -> RGBColor {
    if let Some(place) = s.pair_place() {
        return match place {
            PairPlace::SameCpu => RGBColor(30, 30, 30),
            PairPlace::Smt => RGBColor(227, 119, 194),
            PairPlace::SameCache => RGBColor(188, 189, 34),
            PairPlace::OtherCache => RGBColor(23, 190, 207),
            PairPlace::OtherPackage => RGBColor(140, 86, 75),
        };
    }
    let c = match s.strategy {
        Strategy::None => RGBColor(127, 127, 127),
        Strategy::Inherited(_) => RGBColor(255, 152, 0),
        Strategy::PerWorker => RGBColor(31, 119, 180),
        Strategy::RoundRobin => RGBColor(44, 160, 44),
        Strategy::Compact => RGBColor(148, 103, 189),
        Strategy::Scatter => RGBColor(214, 39, 40),
        Strategy::Cpus(_) => RGBColor(100, 100, 160),
    };
    match &s.label {
        // Each label its own colour (a hue from the label's hash, darker than the plain
        // strategies), so `none@index` and `none@modulo` stay apart in every chart.
        Some(label) => {
            let h = label.bytes().fold(2166136261u32, |h, b| {
                (h ^ u32::from(b)).wrapping_mul(16777619)
            });
            hsl(f64::from(h % 360), 0.55, 0.42)
        }
        None => c,
    }
}

/// An RGB colour from hue (degrees), saturation and lightness (0-1).
fn hsl(h: f64, s: f64, l: f64) -> RGBColor {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let x = c * (1.0 - ((h / 60.0) % 2.0 - 1.0).abs());
    let m = l - c / 2.0;
    let (r, g, b) = match (h / 60.0) as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let to = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    RGBColor(to(r), to(g), to(b))
}

/// 1234567 -> `1.23M`
pub fn si(v: f64) -> String {
    let a = v.abs();
    let (d, s) = if a >= 1e9 {
        (1e9, "G")
    } else if a >= 1e6 {
        (1e6, "M")
    } else if a >= 1e3 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    let x = v / d;
    if x.fract().abs() < 1e-9 || x.abs() >= 100.0 {
        format!("{x:.0}{s}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}{s}")
    } else {
        format!("{x:.2}{s}")
    }
}

/// Nanoseconds in the unit that reads best.
pub fn ns(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.1} ms", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1} us", v / 1e3)
    } else {
        format!("{v:.0} ns")
    }
}

/// A chart that can draw itself on any backend.
pub trait Chart {
    fn size(&self) -> (u32, u32) {
        (1200, 700)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

fn draw_err<E: std::fmt::Debug>(path: &Path) -> impl Fn(E) -> ReportError + '_ {
    move |e| ReportError::Draw {
        path: path.to_path_buf(),
        message: format!("{e:?}"),
    }
}

/// Writes `dir/stem.svg` and `dir/stem.png`, each through a temporary file and a rename.
pub fn render(chart: &impl Chart, dir: &Path, stem: &str) -> Result<Vec<String>, ReportError> {
    register_font();
    let (w, h) = chart.size();
    let unique = crate::store::unique_suffix();
    let svg_tmp = dir.join(format!(".{stem}.tmp-{unique}.svg"));
    let png_tmp = dir.join(format!(".{stem}.tmp-{unique}.png"));
    let drawn = draw_both(chart, (w, h), stem, dir, &svg_tmp, &png_tmp);
    if drawn.is_err() {
        let _ = std::fs::remove_file(&svg_tmp);
        let _ = std::fs::remove_file(&png_tmp);
    }
    drawn
}

fn draw_both(
    chart: &impl Chart,
    (w, h): (u32, u32),
    stem: &str,
    dir: &Path,
    svg_tmp: &Path,
    png_tmp: &Path,
) -> Result<Vec<String>, ReportError> {
    let svg = dir.join(format!("{stem}.svg"));
    paint(
        SVGBackend::new(svg_tmp, (w, h)).into_drawing_area(),
        chart,
        &svg,
    )?;
    std::fs::rename(svg_tmp, &svg).map_err(draw_err(&svg))?;
    let png = dir.join(format!("{stem}.png"));
    paint(
        BitMapBackend::new(png_tmp, (w, h)).into_drawing_area(),
        chart,
        &png,
    )?;
    std::fs::rename(png_tmp, &png).map_err(draw_err(&png))?;
    Ok(vec![format!("{stem}.svg"), format!("{stem}.png")])
}

/// Draws `chart` on a white `root` and writes the backend's file; errors name `path`, the
/// file it becomes.
fn paint<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    chart: &impl Chart,
    path: &Path,
) -> Result<(), ReportError> {
    root.fill(&WHITE).map_err(draw_err(path))?;
    chart.draw(&root).map_err(|m| ReportError::Draw {
        path: path.to_path_buf(),
        message: m,
    })?;
    root.present().map_err(draw_err(path))
}

/// A row of coloured squares and names, drawn in its own strip so it never covers data.
pub fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[(String, RGBColor)],
) -> Result<(), String> {
    let (w, _) = area.dim_in_pixel();
    let style = TextStyle::from(("sans-serif", 15).into_font()).color(&BLACK);
    let mut x = 20i32;
    let mut y = 6i32;
    for (name, c) in items {
        let width = 30 + 8 * name.chars().count() as i32;
        if x + width > w as i32 - 10 {
            x = 20;
            y += 22;
        }
        area.draw(&Rectangle::new([(x, y + 2), (x + 14, y + 16)], c.filled()))
            .map_err(|e| format!("{e:?}"))?;
        area.draw(&Text::new(name.clone(), (x + 20, y + 1), style.clone()))
            .map_err(|e| format!("{e:?}"))?;
        x += width + 12;
    }
    Ok(())
}

/// Splits off a title strip and a legend strip; returns the plotting area.
pub fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    items: &[(String, RGBColor)],
) -> Result<DrawingArea<DB, Shift>, String> {
    let (top, rest) = root.split_vertically(48);
    top.draw(&Text::new(
        title.to_string(),
        (20, 6),
        ("sans-serif", 20).into_font(),
    ))
    .map_err(|e| format!("{e:?}"))?;
    top.draw(&Text::new(
        subtitle.to_string(),
        (20, 28),
        ("sans-serif", 14).into_font().color(&RGBColor(90, 90, 90)),
    ))
    .map_err(|e| format!("{e:?}"))?;
    let rows = 1
        + (items
            .iter()
            .map(|(n, _)| 42 + 8 * n.chars().count())
            .sum::<usize>()
            / (root.dim_in_pixel().0 as usize - 40));
    let (leg, plot) = rest.split_vertically(8 + 22 * rows as u32);
    legend(&leg, items)?;
    Ok(plot)
}
