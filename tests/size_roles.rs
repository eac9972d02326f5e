//! Machines compared on what means the same: the default cache and memory workloads are named
//! by their role on each machine (`cache:L2/2`, `mem:2xLLC`), so a default sweep of one machine
//! joins the committed results of another on every cache and memory scenario both ran, whatever
//! the bytes; what cannot join says why, grouped. Planned on recorded machines (nothing
//! measured), and one short real run here against a committed profile of another CPU model.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pinbench::compare::{Presence, join, with_roles};
use pinbench::profile::{AllowedSource, HardwareProfile, read_profile};
use pinbench::report::ProfileResults;
use pinbench::runner::Scenario;
use pinbench::store::{Status, SummaryRow};
use pinbench::sweep::{Axes, build};

/// The committed profile with the most measured cache scenarios (a full default run of an
/// earlier version: byte names, no `size_bytes` column), found by content, not by folder name.
fn committed_full_run() -> ProfileResults {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("results");
    let mut best: Option<(usize, ProfileResults)> = None;
    for e in std::fs::read_dir(&root).unwrap().flatten() {
        if !e.path().join("summary.csv").is_file() {
            continue;
        }
        let p = ProfileResults::load(&e.path()).unwrap();
        let cache = p
            .ok()
            .filter(|r| !r.key.workload.family().roles().is_empty())
            .count();
        if best.as_ref().is_none_or(|b| cache > b.0) {
            best = Some((cache, p));
        }
    }
    let (n, p) = best.expect("a committed results folder");
    assert!(
        n > 0,
        "a committed profile measured cache and memory workloads"
    );
    p
}

/// What a full default `pinbench run` would leave on `profile`, planned and not measured:
/// every planned scenario as a measured row, every skipped one with its reason.
fn planned_results(profile: HardwareProfile) -> ProfileResults {
    let axes = Axes::defaults(&profile);
    let (planned, skipped) = build(&axes, &profile, |workload, model, workers, antagonist| {
        Scenario {
            antagonist,
            seed: 0,
            ..Scenario::new(workload, model, workers, Duration::from_millis(100))
        }
    });
    let row = |key, status, reason: String| SummaryRow {
        run_id: "planned".into(),
        profile_id: profile.id.clone(),
        key,
        status,
        reason,
        median_throughput_ops_s: Some(1.0),
        ..Default::default()
    };
    let mut rows: Vec<SummaryRow> = planned
        .into_iter()
        .map(|p| row(p.key, Status::Ok, String::new()))
        .collect();
    rows.extend(
        skipped
            .into_iter()
            .map(|s| row(s.key, Status::Skipped, s.reason)),
    );
    ProfileResults {
        dir: PathBuf::from("planned"),
        profile,
        rows,
        excluded: Vec::new(),
        samples: BTreeMap::new(),
    }
}

/// Whether a workload is sized from the machine's caches (cache, mem).
fn sized_by_roles(w: &pinbench::workload::Workload) -> bool {
    !w.family().roles().is_empty()
}

/// Joins a planned default sweep of `b` with the committed full run, and checks that no cache
/// or memory scenario is in one profile only for its size: each unjoined one says why, and
/// the why is a worker count, a skip, a pair placement or a role the machine lacks.
fn joins_every_sized_scenario(b: HardwareProfile) -> Vec<pinbench::compare::CompareRow> {
    let a = with_roles(&committed_full_run());
    let b = with_roles(&planned_results(b));
    let rows = join(&a, &b);
    let sized: Vec<_> = rows
        .iter()
        .filter(|r| sized_by_roles(&r.workload))
        .collect();
    assert!(!sized.is_empty());
    for r in &sized {
        if r.present == Presence::Both {
            assert!(r.workload.size_role().is_some(), "{:?}", r.workload);
            assert!(r.a_size_bytes.is_some() && r.b_size_bytes.is_some());
            continue;
        }
        let why = r.only_because.as_deref().unwrap_or_default();
        assert!(
            !why.is_empty() && !why.starts_with("a workload"),
            "{} {} {} x{} ({}) is in one profile only: {why:?}",
            r.workload,
            r.strategy,
            r.model,
            r.workers,
            r.present.as_str()
        );
    }
    // Every role both machines have joins at one worker, for every strategy and model both ran.
    for w in a.workloads().into_iter().filter(sized_by_roles) {
        if !b.workloads().contains(&w) {
            continue;
        }
        let one: Vec<_> = sized
            .iter()
            .filter(|r| r.workload == w && r.workers == 1)
            .collect();
        assert!(!one.is_empty(), "{w}");
        for r in one {
            assert_eq!(r.present, Presence::Both, "{w} {} {}", r.strategy, r.model);
        }
    }
    rows
}

#[test]
fn a_default_sweep_of_a_recorded_machine_joins_the_committed_run_on_every_cache_role() {
    for name in [
        "16amd64-8n2c",
        "16em64t-4s2c2t",
        "32intel64-2p8co2t+8ve",
        "20em64t-hybrid-1p6c2t+2ca4co1t",
        "8em64t-2s4c-asymcaches",
    ] {
        let root = common::fixture(name);
        let profile = read_profile(&root, AllowedSource::Recorded, None).unwrap();
        let rows = joins_every_sized_scenario(profile);
        let both = rows
            .iter()
            .filter(|r| r.present == Presence::Both && sized_by_roles(&r.workload))
            .count();
        assert!(both > 0, "{name}: no cache or memory scenario joined");
        if name == "16amd64-8n2c" {
            // An Opteron has no L3: its sweep has no `cache:L3share/2`, and the comparison says
            // so instead of listing the scenarios one by one.
            let why: Vec<_> = rows
                .iter()
                .filter(|r| r.workload.to_string() == "cache:L3share/2")
                .filter_map(|r| r.only_because.clone())
                .collect();
            assert!(!why.is_empty());
            assert!(
                why.iter().all(|w| w == "a role B lacks: B has no L3"),
                "{why:?}"
            );
            // L2/2 is 1 MiB on the committed Xeon, 512 KiB on the Opteron: one row.
            let l2 = rows
                .iter()
                .find(|r| r.workload.to_string() == "cache:L2/2" && r.present == Presence::Both)
                .unwrap();
            assert_ne!(
                l2.a_size_bytes, l2.b_size_bytes,
                "different bytes, one role"
            );
        }
    }
}

#[test]
fn a_default_sweep_here_joins_the_committed_run() {
    let allowed = pinbench::affinity::startup_allowed().unwrap();
    let here = read_profile(Path::new("/"), AllowedSource::Live, Some(&allowed)).unwrap();
    let caches = pinbench::workload::MachineCaches::of(&here);
    if caches.l1d.size().is_none() || caches.llc.size().is_none() {
        // Typical sizes in bytes stand in for caches a machine does not describe: no roles.
        common::skip("this machine's sysfs gives no cache sizes");
        return;
    }
    joins_every_sized_scenario(here);
}

#[test]
fn compare_md_groups_what_cannot_join_by_reason() {
    let root = common::fixture("16em64t-4s2c2t");
    let b = planned_results(read_profile(&root, AllowedSource::Recorded, None).unwrap());
    let out = tempfile::tempdir().unwrap();
    let c = pinbench::compare::compare(&committed_full_run(), &b, out.path()).unwrap();
    assert!(
        c.only_a + c.only_b > 100,
        "worker counts differ: many unjoined"
    );
    let md = std::fs::read_to_string(c.dir.join("compare.md")).unwrap();
    let groups = md.lines().filter(|l| l.starts_with("- **")).count();
    assert!(
        (2..=12).contains(&groups),
        "{} unjoined scenarios in {groups} lines:\n{md}",
        c.only_a + c.only_b
    );
    assert!(md.contains("past A's 2 allowed CPU(s)"), "{md}");
    assert!(
        md.contains("| cache:L2/2 |"),
        "the working sets table: {md}"
    );
    // Both machines' cache curves on one axis.
    assert!(c.dir.join("cache-latency.svg").is_file());
    let svg = std::fs::read_to_string(c.dir.join("cache-latency.svg")).unwrap();
    assert!(
        svg.contains("A L2") && svg.contains("B L2"),
        "each machine's caches marked"
    );
}

#[test]
fn a_dry_run_names_each_role_with_its_bytes_there() {
    let root = common::fixture("16amd64-8n2c");
    let out = tempfile::tempdir().unwrap();
    let root_arg = root.display().to_string();
    let run = common::sweep(&["--dry-run", "--sysfs-root", &root_arg], out.path());
    let text = String::from_utf8_lossy(&run.stdout);
    for said in [
        "cache:L1d/2 (32KiB)",
        "cache:L2/2 (512KiB)",
        "cache:4xLLC (4MiB)",
        "mem:2xLLC (64MiB)",
    ] {
        assert!(text.contains(said), "{said}: {text}");
    }
    assert!(!text.contains("L3share"), "no L3 there: {text}");
}

#[test]
fn a_role_this_machine_lacks_is_refused_and_a_byte_size_stays_bytes() {
    let root = common::fixture("16amd64-8n2c");
    let lacking = common::pinbench()
        .args(["run", "--dry-run", "-W", "cache:L3share/2", "--sysfs-root"])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(lacking.status.code(), Some(2));
    let err = String::from_utf8_lossy(&lacking.stderr);
    assert!(err.contains("no L3") && err.lines().count() == 1, "{err}");
    let bytes = common::pinbench()
        .args([
            "run",
            "--dry-run",
            "-W",
            "cache:1MiB,mem:L2/2",
            "--sysfs-root",
        ])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(bytes.status.code(), Some(2), "mem has no L2/2 role");
    let ok = common::pinbench()
        .args([
            "run",
            "--dry-run",
            "-W",
            "cache:1MiB,cache:L2/2",
            "--sysfs-root",
        ])
        .arg(&root)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&ok.stdout);
    assert!(
        text.contains("workloads cache:1MiB, cache:L2/2 (512KiB);"),
        "{text}"
    );
}

/// A short run here of `--quick`'s cache scenario (`cache:L2/2`), compared with the committed
/// profile of another CPU model: the cache scenario joins on its role.
#[test]
fn a_quick_cache_run_here_joins_a_committed_profile_of_another_model() {
    let committed = committed_full_run();
    let out = tempfile::tempdir().unwrap();
    let run = common::pinbench()
        .args([
            "run",
            "--quick",
            "-W",
            "cache:L2/2",
            "-s",
            "none,per-worker",
            "-m",
            "threads",
            "--reps",
            "1",
            "-d",
            "10ms",
            "--json",
            "--out",
        ])
        .arg(out.path())
        .output()
        .unwrap();
    common::assert_ok(&run);
    let here = common::profile_dir(out.path());
    let summary = common::csv_rows(&here.join("summary.csv"));
    assert!(summary.iter().all(|r| r["workload"] == "cache:L2/2"));
    assert!(summary.iter().all(|r| !r["size_bytes"].is_empty()));
    let here_profile = ProfileResults::load(&here).unwrap();
    if here_profile.profile.id == committed.profile.id {
        common::skip("this machine made the committed profile: nothing to compare with");
        return;
    }
    let cmp = common::pinbench()
        .arg("compare")
        .arg(&committed.dir)
        .arg(&here)
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    common::assert_ok(&cmp);
    let dir = std::fs::read_dir(out.path().join("compare"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains("--vs--"))
        .unwrap();
    let rows = common::csv_rows(&dir.join("compare.csv"));
    let joined: Vec<_> = rows
        .iter()
        .filter(|r| r["workload"] == "cache:L2/2" && r["present"] == "both")
        .collect();
    assert!(!joined.is_empty(), "the cache scenario joins on its role");
    for r in joined {
        assert!(!r["a_size_bytes"].is_empty() && !r["b_size_bytes"].is_empty());
    }
}

/// A role's bytes reach process workers too: the `__worker` child gets the workload by name
/// (`cache:L3share/2`) and must chase the working set its parent resolved, not a default. Seen
/// wrong in a full run: every processes-model cache row at ~2.2 ns per access, 1 GiB included,
/// while threads read 9-350 ns. Same working set, same latency class: within 3x of each other.
#[test]
fn process_workers_chase_the_bytes_their_role_resolved_to() {
    let out = tempfile::tempdir().unwrap();
    let ns = |model: &str| -> Option<f64> {
        let run = common::pinbench()
            .args([
                "run",
                "-W",
                "cache:L3share/2",
                "-s",
                "none",
                "-w",
                "1",
                "-m",
                model,
            ])
            .args(["-d", "100ms", "--reps", "3", "--no-warmup", "--out"])
            .arg(out.path())
            .output()
            .unwrap();
        if run.status.code() == Some(2) {
            return None; // no L3 here: the role is refused, said on stderr
        }
        common::assert_ok(&run);
        let rows = common::csv_rows(&common::profile_dir(out.path()).join("summary.csv"));
        let r = rows
            .iter()
            .rev()
            .find(|r| r["model"] == model && r["strategy"] == "none")
            .expect("a summary row");
        Some(r["median_ns_per_op"].parse().unwrap())
    };
    let (Some(threads), Some(processes)) = (ns("threads"), ns("processes")) else {
        common::skip("this machine has no L3: cache:L3share/2 does not resolve");
        return;
    };
    let ratio = threads / processes;
    assert!(
        (1.0 / 3.0..=3.0).contains(&ratio),
        "threads {threads:.1} ns, processes {processes:.1} ns per access"
    );
}
