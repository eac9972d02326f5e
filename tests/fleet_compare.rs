//! `pinbench compare` of a fleet: twenty profiles made from the committed results (each copy
//! under its own profile id), drawn as one fleet chart with a tidy `compare.csv` of one row per
//! profile x scenario, beside the pairwise comparisons.

mod common;

use std::path::Path;

use common::csv_rows;

const COMMITTED: &str = "results/intel-xeon-2-10ghz-2cpu-allowed-0-1-layout-40d60a";

/// A copy of the committed profile under the id `<prefix>-<id>`.
fn copy_as(prefix: &str, to: &Path) -> String {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join(COMMITTED);
    std::fs::create_dir_all(to).unwrap();
    let profile = std::fs::read_to_string(from.join("profile.json")).unwrap();
    let old: serde_json::Value = serde_json::from_str(&profile).unwrap();
    let old = old["id"].as_str().unwrap().to_string();
    let new = format!("{prefix}-{old}");
    for f in ["profile.json", "runs.csv", "workers.csv", "summary.csv"] {
        let text = std::fs::read_to_string(from.join(f)).unwrap();
        std::fs::write(to.join(f), text.replace(&old, &new)).unwrap();
    }
    new
}

#[test]
fn twenty_profiles_make_one_fleet_chart_and_a_tidy_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs: Vec<_> = (1..=20)
        .map(|i| {
            let d = tmp.path().join(format!("node{i:02}"));
            copy_as(&format!("node{i:02}"), &d);
            d
        })
        .collect();
    let out = tmp.path().join("out");
    let run = common::pinbench()
        .arg("compare")
        .args(&dirs)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    common::assert_ok(&run);
    let fleet = out.join("compare/fleet");
    for f in [
        "fleet-speedup.svg",
        "fleet-speedup.png",
        "compare.csv",
        "compare.md",
    ] {
        let len = std::fs::metadata(fleet.join(f)).unwrap().len();
        assert!(len > 1000, "{f}: {len} bytes");
    }
    let rows = csv_rows(&fleet.join("compare.csv"));
    let one: Vec<_> = rows
        .iter()
        .filter(|r| r["profile_id"].starts_with("node01-"))
        .collect();
    assert!(!one.is_empty());
    assert_eq!(rows.len(), 20 * one.len(), "one row per profile x scenario");
    assert!(rows.iter().all(|r| r["allowed_cpus"] == "2"));
    assert!(rows.iter().any(|r| r["workers_class"] == "n"));
    let svg = std::fs::read_to_string(fleet.join("fleet-speedup.svg")).unwrap();
    assert!(svg.contains("node20-"), "every profile is a column");
    // The pairwise comparisons are still there.
    let pairs = std::fs::read_dir(out.join("compare")).unwrap().count();
    assert_eq!(pairs, 20, "19 pairs and the fleet");
    // The same profile twice is refused.
    let twice = common::pinbench()
        .arg("compare")
        .args([&dirs[0], &dirs[1], &dirs[0]])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        twice.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&twice.stderr)
    );
}
