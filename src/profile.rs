//! The hardware profile: the topology plus everything else that changes results (CPU model,
//! kernel, SMT, governor, virtualisation, allowed set, cgroup quota, perf access), with a stable
//! readable id, saved as `profile.json` beside the results it produced.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::cpuset::CpuSet;
use crate::topology::{CgroupLimits, ObjectCounts, Topology, TopologyError, read_topology};

/// Version of the `profile.json` layout.
pub const PROFILE_FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HardwareProfile {
    pub format: u32,
    /// Stable and readable: `<model>-<N>cpu-allowed-<list>-layout-<hash>`.
    pub id: String,
    pub cpu_model: Option<String>,
    pub kernel: Option<String>,
    /// `on`, `off`, `notsupported`... from `smt/control`, else whether any core has siblings.
    pub smt: String,
    /// cpufreq `scaling_governor` of the first allowed CPU; `None` where there is no cpufreq.
    pub governor: Option<String>,
    /// Hypervisor name, `unknown` when the CPU flags say there is one but not which, `None`
    /// on bare metal.
    pub virtualization: Option<String>,
    pub allowed: CpuSet,
    pub cgroup: CgroupLimits,
    pub perf_event_paranoid: Option<i32>,
    pub summary: ObjectCounts,
    /// Counts within the allowed set, what a run here can actually use.
    pub allowed_summary: ObjectCounts,
    /// The environment checks taken when results were recorded (empty when not taken).
    #[serde(default)]
    pub doctor: Vec<crate::check::Check>,
    /// Not the machine: what was measured on it, kept beside it in the same profile.json (its
    /// keys stand at the top level of the file, as they always have).
    #[serde(flatten)]
    pub history: History,
    pub topology: Topology,
}

/// What a results folder records of the runs on its machine, beside the machine itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// The programs measured here with `pinbench exec`, by workload (`cmd:<name>`; the latest
    /// one given that name).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub programs: std::collections::BTreeMap<String, Program>,
    /// The runs here a batch scheduler started (Slurm job, array task, node, partition,
    /// allocation, `--cpu-bind`), one entry per run; empty for runs started by hand.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scheduler: Vec<crate::slurm::SchedulerRun>,
}

/// A user's program measured with `pinbench exec`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Program {
    /// The full command line.
    pub command: String,
    /// `--metric`: the pattern of its own figure, and which way is better; without one its
    /// throughput is runs per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub better: Option<crate::stats::Better>,
}

impl Program {
    /// What its throughput column holds, for axis labels.
    pub fn throughput_label(&self) -> &'static str {
        match self.better {
            Some(crate::stats::Better::Higher) => "its own figure, --metric",
            Some(crate::stats::Better::Lower) => "1 / its own figure, --metric, lower is better",
            None => "runs/s",
        }
    }
}

/// Where the allowed set comes from: the live process, or a recording's cgroup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowedSource {
    /// `sched_getaffinity` of this process, read at start.
    Live,
    /// The recorded root's cgroup cpuset, else all its online CPUs.
    Recorded,
}

/// Reads everything about the machine below `root`.
pub fn read_profile(
    root: &Path,
    source: AllowedSource,
    live_allowed: Option<&CpuSet>,
) -> Result<HardwareProfile, TopologyError> {
    let topology = read_topology(root)?;
    let cgroup = CgroupLimits::read(root);
    let allowed = match (source, live_allowed) {
        (AllowedSource::Live, Some(set)) => set.clone(),
        _ => cgroup
            .cpuset
            .as_ref()
            .map(|s| s.intersection(&topology.online))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| topology.online.clone()),
    };
    let read = |rel: &str| crate::topology::read_file_trimmed(&root.join(rel));
    let kernel = read("proc/sys/kernel/osrelease").or_else(|| {
        read("proc/version").and_then(|v| v.split_whitespace().nth(2).map(str::to_string))
    });
    let summary = topology.counts();
    let allowed_summary = topology.counts_within(&allowed);
    let smt = read("sys/devices/system/cpu/smt/control")
        .unwrap_or_else(|| if summary.smt { "on" } else { "off" }.to_string());
    let governor = allowed.first().and_then(|c| {
        read(&format!(
            "sys/devices/system/cpu/cpu{c}/cpufreq/scaling_governor"
        ))
    });
    let cpuinfo = read("proc/cpuinfo").unwrap_or_default();
    let hypervisor_flag = cpuinfo
        .lines()
        .any(|l| l.starts_with("flags") && l.split_whitespace().any(|f| f == "hypervisor"));
    // A guest's paravirtual clock names its hypervisor where neither file above exists (a KVM
    // guest without DMI tables, as this project's CI machines are).
    let paravirt_clock = || {
        let clocks = read("sys/devices/system/clocksource/clocksource0/available_clocksource")?;
        clocks.split_whitespace().find_map(|c| match c {
            "kvm-clock" => Some("kvm".to_string()),
            "hyperv_clocksource_tsc_page" | "hyperv_clocksource_msr" => Some("hyperv".to_string()),
            "xen" => Some("xen".to_string()),
            _ => None,
        })
    };
    let virtualization = read("sys/hypervisor/type")
        .or_else(|| read("sys/class/dmi/id/sys_vendor").filter(|_| hypervisor_flag))
        .or_else(|| paravirt_clock().filter(|_| hypervisor_flag))
        .or_else(|| hypervisor_flag.then(|| "unknown".to_string()));
    let perf_event_paranoid =
        read("proc/sys/kernel/perf_event_paranoid").and_then(|s| s.parse().ok());
    let id = profile_id(&topology, &allowed, &cgroup);
    Ok(HardwareProfile {
        format: PROFILE_FORMAT,
        id,
        cpu_model: topology.cpu_model.clone(),
        kernel,
        smt,
        governor,
        virtualization,
        allowed,
        cgroup,
        perf_event_paranoid,
        summary,
        allowed_summary,
        doctor: Vec::new(),
        history: History::default(),
        topology,
    })
}

/// The word before the hash in a profile id (see [`profile_id`]).
const LAYOUT_MARK: &str = "layout";

/// The id this version gives a profile that an older pinbench named without the word `layout`
/// (`...-allowed-0-21dcf4` becomes `...-allowed-0-layout-21dcf4`); `None` for an id already in
/// today's form or one that is not a profile id at all. The hash is always the last six hex
/// digits, so the old form is read without ambiguity.
pub fn upgrade_legacy_id(id: &str) -> Option<String> {
    let (head, hash) = id.rsplit_once('-')?;
    let is_hash = hash.len() == 6 && hash.bytes().all(|b| b.is_ascii_hexdigit());
    let marked = head.ends_with(&format!("-{LAYOUT_MARK}"));
    (is_hash && !marked && head.contains("cpu-allowed-"))
        .then(|| format!("{head}-{LAYOUT_MARK}-{hash}"))
}

/// FNV-1a: stable across Rust versions and platforms, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let noise = ["-r-", "-tm-", "-cpu-", "-processor-"];
    let mut s = format!("-{out}-");
    for n in noise {
        while s.contains(n) {
            s = s.replace(n, "-");
        }
    }
    s.trim_matches('-')
        .chars()
        .take(40)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

/// `amd-epyc-2cpu-allowed-0-1-layout-1a2b3c`: same hardware and allowed set give the same id;
/// the hash covers the layout (caches, packages, SMT, NUMA) and the quota. The word `layout`
/// stands between the allowed list and the hash because the list spells ranges with `-`:
/// without it, allowed set `0` with hash `1776b7` read as "allowed 0-1".
pub fn profile_id(topo: &Topology, allowed: &CpuSet, cgroup: &CgroupLimits) -> String {
    let model = slug(topo.cpu_model.as_deref().unwrap_or("unknown"));
    let mut fingerprint = format!(
        "{model}|{}|{allowed}|{}|{}|",
        topo.online,
        topo.packages.len(),
        topo.numa_nodes.len()
    );
    for c in &topo.cores {
        fingerprint.push_str(&format!("c{};", c.cpus));
    }
    for c in &topo.caches {
        fingerprint.push_str(&format!("{}:{:?}:{};", c.name(), c.size_bytes, c.cpus));
    }
    if let Some(q) = &cgroup.quota {
        fingerprint.push_str(&format!("q{}/{}", q.quota_us, q.period_us));
    }
    let hash = fnv1a(fingerprint.as_bytes()) & 0xff_ffff;
    let allowed_text = allowed.to_string().replace(',', "_");
    let allowed_text = if allowed_text.len() > 24 {
        format!("{}cpus", allowed.len())
    } else {
        allowed_text
    };
    format!(
        "{model}-{}cpu-allowed-{allowed_text}-{LAYOUT_MARK}-{hash:06x}",
        topo.online.len()
    )
}

#[cfg(test)]
mod tests {

    /// profile.json keeps its layout byte for byte through a read and a write: the programs and
    /// the Slurm runs (`History`, flattened) stand where they always stood, before `topology`.
    #[test]
    fn committed_profiles_round_trip_byte_for_byte() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("results");
        let mut checked = 0;
        for entry in std::fs::read_dir(root).unwrap().flatten() {
            let file = entry.path().join("profile.json");
            let Ok(text) = std::fs::read(&file) else {
                continue;
            };
            let profile: super::HardwareProfile = serde_json::from_slice(&text).unwrap();
            assert_eq!(
                serde_json::to_vec_pretty(&profile).unwrap(),
                text,
                "{}",
                file.display()
            );
            checked += 1;
        }
        assert!(checked >= 2, "committed profiles read: {checked}");
    }
    use super::*;

    #[test]
    fn older_ids_gain_the_word_before_the_hash_once() {
        let up = |id: &str| upgrade_legacy_id(id);
        assert_eq!(
            up("intel-xeon-2-10ghz-2cpu-allowed-0-21dcf4").as_deref(),
            Some("intel-xeon-2-10ghz-2cpu-allowed-0-layout-21dcf4")
        );
        assert_eq!(
            up("amd-epyc-384cpu-allowed-0-15_192-207-abc123").as_deref(),
            Some("amd-epyc-384cpu-allowed-0-15_192-207-layout-abc123")
        );
        assert_eq!(up("intel-xeon-2cpu-allowed-0-1-layout-e85a8b"), None);
        assert_eq!(up("my-results"), None);
        assert_eq!(up("x-2cpu-allowed-0-1"), None, "no hash at the end");
    }

    #[test]
    fn slugs_are_readable() {
        assert_eq!(slug("AMD EPYC"), "amd-epyc");
        assert_eq!(
            slug("Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz"),
            "intel-xeon-e5-2680-v4-2-40ghz"
        );
        assert_eq!(
            slug("13th Gen Intel(R) Core(TM) i7-1370P"),
            "13th-gen-intel-core-i7-1370p"
        );
    }
}
