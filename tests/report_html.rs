//! `report.html` opens in a real browser: headless Chromium renders it to a screenshot. Where no
//! Chromium is installed the browser half is skipped and says so (`common::skip`), unless
//! `PINBENCH_REQUIRE_CHROMIUM=1` (set by `.ci/run`, after `scripts/setup.sh` installed it), where
//! it fails.

mod common;

use std::process::Command;

fn browser() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| common::on_path(b))
}

#[test]
fn report_html_is_one_page_a_browser_renders() {
    let tmp = tempfile::tempdir().unwrap();
    common::sweep(
        &[
            "-W",
            "cpu,ipc:pipe",
            "-s",
            "none,per-worker",
            "-w",
            "2",
            "-m",
            "threads",
            "--reps",
            "2",
            "-d",
            "10ms",
        ],
        tmp.path(),
    );
    let page = common::profile_dir(tmp.path()).join("charts/report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    // Conclusions first, charts inline, nothing fetched from anywhere.
    let conclusions = html.find("<h2>Conclusions</h2>").expect("conclusions");
    let first_chart = html.find("<svg").expect("an inline chart");
    assert!(conclusions < first_chart);
    // One line per workload and model, each folding its per-strategy detail.
    let line = html
        .find("<details><summary><b>cpu · threads x2</b>: no verdict: too few samples")
        .expect("the cpu line, folding its detail");
    assert!(conclusions < line && line < first_chart);
    assert!(html.contains("<li>too few samples to judge: per-worker</li>"));
    assert!(html.contains("<h2 id=\"ipc-pipe\">ipc:pipe</h2>"));
    for fetch in ["src=\"http", "href=\"http", "<script", "<link"] {
        assert!(!html.contains(fetch), "{fetch}");
    }
    let Some(b) = browser() else {
        common::skip_missing_tool(
            "PINBENCH_REQUIRE_CHROMIUM",
            "the browser check: no Chromium here (scripts/setup.sh installs it)",
        );
        return;
    };
    let shot = tmp.path().join("shot.png");
    let status = Command::new(b)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--window-size=1300,1800",
        ])
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    common::assert_ok(&status);
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(
        png.len() > 20_000,
        "a blank page is smaller: {} bytes",
        png.len()
    );
}
