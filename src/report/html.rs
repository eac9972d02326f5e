//! `report.html`: one self-contained page (the SVG charts inline, no script, no network, no
//! server) that opens in any browser: the conclusions first, the overview, then one section per
//! workload with its charts and verdicts.

use std::fmt::Write;
use std::path::Path;

use super::ProfileResults;
use super::charts::ChartFile;
use super::conclusions;
use crate::store::SummaryRow;

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An SVG chart written beside the page, inline (without its XML declaration), or a note.
fn inline_svg(dir: &Path, stem: &str) -> String {
    match std::fs::read_to_string(dir.join(format!("{stem}.svg"))) {
        Ok(svg) => {
            let body = match svg.find("<svg") {
                Some(i) => &svg[i..],
                None => svg.as_str(),
            };
            format!("<figure>{body}</figure>\n")
        }
        Err(_) => format!("<p class=\"note\">({stem} was not drawn)</p>\n"),
    }
}

fn verdict_table(rows: &[&SummaryRow]) -> String {
    let mut s = String::from(
        "<table><tr><th>model</th><th>workers</th><th>strategy</th><th>speedup vs none [95% CI]</th><th>verdict</th><th>same placement as</th><th>n</th><th>why</th></tr>\n",
    );
    for r in rows {
        let sp = match (r.speedup_vs_none, r.speedup_ci_low, r.speedup_ci_high) {
            (Some(v), Some(lo), Some(hi)) => format!("{v:.3}x [{lo:.3}, {hi:.3}]"),
            (Some(v), _, _) => format!("{v:.3}x"),
            _ => "-".into(),
        };
        let verdict = r.verdict.map_or("", |v| v.as_str());
        let _ = writeln!(
            s,
            "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            verdict.replace(' ', "-"),
            r.key.model,
            r.key.workers,
            esc(&r.key.strategy.to_string()),
            sp,
            verdict,
            if r.noisy { " ~" } else { "" },
            r.same_placement_as
                .as_ref()
                .map_or(String::new(), |s| esc(&s.to_string())),
            r.n,
            esc(r.why.as_deref().unwrap_or_default())
        );
    }
    s.push_str("</table>\n");
    s
}

/// The advice's class, for its colour: pin (blue), leave (grey), open (amber), none.
fn advice_class(a: &conclusions::Advice) -> &'static str {
    match a {
        conclusions::Advice::Pin(_) => "pin",
        conclusions::Advice::LeaveToOs { .. } | conclusions::Advice::NothingToChoose => "leave",
        conclusions::Advice::LeaveToOsForNow { .. } => "open",
        conclusions::Advice::NoVerdict(_) => "none",
    }
}

/// The conclusions: one line per workload and model, each folding its per-strategy detail
/// (`<details>`), then the legend and the notes said once.
fn conclusions_html(c: &conclusions::Conclusions) -> String {
    let mut s = String::from("<h2>Conclusions</h2>\n");
    if let Some(short) = c.in_short() {
        let _ = writeln!(s, "<p><b>{}</b></p>", esc(&short));
    }
    s.push_str("<ul class=\"conclusions\">\n");
    for l in &c.lines {
        let line = format!("<b>{}</b>: {}", esc(&l.group()), esc(&l.headline()));
        let class = advice_class(&l.advice);
        if l.details.is_empty() {
            let _ = writeln!(s, "<li class=\"{class}\">{line}</li>");
        } else {
            let _ = write!(
                s,
                "<li class=\"{class}\"><details><summary>{line}</summary><ul>"
            );
            for d in &l.details {
                let _ = write!(s, "<li>{}</li>", esc(d));
            }
            s.push_str("</ul></details></li>\n");
        }
    }
    s.push_str("</ul>\n");
    let _ = writeln!(
        s,
        "<p class=\"note\">{} Click a line for every strategy's verdict, identical placements, noisy and bimodal scenarios.</p>",
        esc(conclusions::LEGEND)
    );
    for note in &c.common {
        let _ = writeln!(s, "<p class=\"note\">{}.</p>", esc(note));
    }
    s
}

/// The page for a profile whose charts are already in `charts_dir`.
pub fn page(res: &ProfileResults, c: &conclusions::Conclusions, charts_dir: &Path) -> String {
    let p = &res.profile;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>pinbench report: {}</title>\n<style>body{{font-family:sans-serif;max-width:1260px;margin:1em auto;padding:0 1em;color:#222}}figure{{margin:1em 0}}figure svg{{max-width:100%;height:auto}}table{{border-collapse:collapse;font-size:14px}}td,th{{border:1px solid #ccc;padding:2px 6px;text-align:left}}tr.faster{{background:#dde8f6}}tr.slower{{background:#f6dddd}}tr.inconclusive{{background:#f8edcf}}.conclusions{{list-style:none;padding-left:0}}.conclusions>li{{margin:.2em 0;padding:2px 6px;border-left:4px solid #bbb}}.conclusions>li.pin{{border-color:#3b6fb6}}.conclusions>li.open{{border-color:#d9a520}}.conclusions summary{{cursor:pointer}}.conclusions details ul{{margin:.2em 0 .4em 0;font-size:14px}}.note{{color:#666}}</style></head><body>",
        esc(&p.id)
    );
    let _ = writeln!(s, "<h1>pinbench report: {}</h1>", esc(&p.id));
    let _ = writeln!(
        s,
        "<p>{}; {} online, allowed {}; kernel {}; virtualisation {}. Runs shown: {}.</p>",
        esc(p.cpu_model.as_deref().unwrap_or("unknown CPU")),
        crate::text::count(p.summary.cpus, "CPU"),
        p.allowed,
        esc(p.kernel.as_deref().unwrap_or("unknown")),
        esc(p.virtualization.as_deref().unwrap_or("none detected")),
        esc(&res.run_ids().join(", "))
    );
    for line in super::scheduler_lines(res) {
        let _ = writeln!(s, "<p class=\"note\">{}</p>", esc(&line));
    }
    s.push_str(&conclusions_html(c));
    s.push_str("<h2>Speedup over none</h2>\n");
    s.push_str(&inline_svg(charts_dir, &ChartFile::Overview.stem()));
    for w in res.workloads() {
        let stem = ChartFile::workload_stem(&w);
        let _ = writeln!(s, "<h2 id=\"{stem}\">{}</h2>", esc(&w.to_string()));
        s.push_str(&inline_svg(charts_dir, &ChartFile::Throughput(w).stem()));
        let rows: Vec<&SummaryRow> = res
            .ok()
            .filter(|r| r.key.workload == w && r.verdict.is_some())
            .collect();
        if !rows.is_empty() {
            s.push_str(&verdict_table(&rows));
        }
        s.push_str(&inline_svg(charts_dir, &ChartFile::Migrations(w).stem()));
        if crate::report::charts::Wait::has_data(res, w) {
            s.push_str(&inline_svg(charts_dir, &ChartFile::Wait(w).stem()));
        }
    }
    for chart in [ChartFile::CacheLatency, ChartFile::IpcLatency] {
        let stem = chart.stem();
        if let (true, Some(title)) = (
            charts_dir.join(format!("{stem}.svg")).is_file(),
            chart.title(),
        ) {
            let _ = writeln!(s, "<h2>{title}</h2>");
            s.push_str(&inline_svg(charts_dir, &stem));
        }
    }
    let others: Vec<&SummaryRow> = res.rows.iter().filter(|r| !r.status.is_ok()).collect();
    if !others.is_empty() {
        s.push_str("<h2>Not measured</h2>\n<ul>");
        for r in others {
            let _ = write!(
                s,
                "<li>{} {} {} x{}: {} ({})</li>",
                esc(&r.key.workload.to_string()),
                esc(&r.key.strategy.to_string()),
                r.key.model,
                r.key.workers,
                r.status.as_str(),
                esc(&r.reason)
            );
        }
        s.push_str("</ul>\n");
    }
    s.push_str("</body></html>\n");
    s
}
