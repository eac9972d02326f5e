//! Workload generators. Each family lives in its own file behind [`Family`]; a [`Workload`] is a
//! family with its size, named as on the command line and in every CSV (`cpu`, `cache:24KiB`,
//! `mem:256MiB`, `ipc:pipe`). Adding a workload is a new file and one line in [`FAMILIES`].

pub mod cache;
pub mod clock;
pub mod cmd;
pub mod cpu;
mod family;
pub mod ipc;
pub mod mem;
pub mod role;

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

pub use clock::{Clock, Ran, Stop, timed};
pub use family::{Channel, Family, Job, LatencyChart, Unit, WorkerCtx};
pub use role::{MachineCaches, SizeRole};

use crate::profile::HardwareProfile;
use crate::size::{format_size, parse_size};

/// Every workload family, in the order sweeps, charts and benches list them.
pub static FAMILIES: &[&dyn Family] = &[
    &cpu::Cpu,
    &cache::Cache,
    &mem::Mem,
    &ipc::pipe::PIPE,
    &ipc::socket::SOCKET,
    &ipc::shm::SHM,
    &ipc::queue::QUEUE,
    &ipc::server::SERVER,
    &cmd::Cmd,
];

/// How the built-in workloads are written, for help texts: every family but those that name a
/// program of the user's (`cmd:<name>`, which `exec` makes).
pub fn builtin_usage() -> String {
    FAMILIES
        .iter()
        .filter(|f| !f.takes_name())
        .map(|f| f.usage())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The registered family of this name.
pub fn family_named(name: &str) -> Option<&'static dyn Family> {
    FAMILIES.iter().copied().find(|f| f.name() == name)
}

/// A workload: a family and, for families that take one, a size (`cache:24KiB`), a size named
/// by its role on the machine (`cache:L2/2`, with the bytes it resolved to there) or a name
/// (`cmd:pool`). Workloads of one role are the same workload on every machine: equality, order
/// and hash look at the role, not at its bytes.
#[derive(Clone, Copy)]
pub struct Workload {
    family: &'static dyn Family,
    /// Bytes: as given, or what the role resolved to (`None` until resolved).
    size: Option<u64>,
    role: Option<SizeRole>,
    /// A byte size read from a file written before sizes had roles (no `size_bytes` cell): a
    /// machine's default or the user's size, which [`Workload::with_role_on`] may tell apart.
    unsure: bool,
    name: Option<&'static str>,
}

/// Names of `cmd:<name>` workloads, kept once each for the life of the process so that a
/// workload stays `Copy`: a run names a handful of programs, so this stays small.
fn intern(name: &str) -> &'static str {
    static NAMES: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(n) = names.iter().find(|n| **n == name) {
        return n;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.push(leaked);
    leaked
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum WorkloadError {
    #[error(
        "unknown workload `{0}`{hint}: expected one of {names}",
        hint = crate::suggest::did_you_mean(.0, FAMILIES.iter().map(|f| f.name())),
        names = workload_names()
    )]
    Unknown(String),
    #[error("unknown {prefix} variant `{text}`: expected {names}")]
    UnknownVariant {
        text: String,
        prefix: String,
        names: String,
    },
    #[error(
        "workload `{text}`: bad size; give a number with a binary unit, such as {example} (K, M, G mean KiB, MiB, GiB; KB, MB, GB are refused as ambiguous){roles}",
        example = examples_of(text),
        roles = role_hint(text)
    )]
    BadSize { text: String },
    #[error(
        "workload `{text}`: `{role}` is no role of {family}; give one of {roles}, or a size in bytes"
    )]
    BadRole {
        text: String,
        role: SizeRole,
        family: &'static str,
        roles: String,
    },
    #[error(
        "workload `{text}`: this machine has {lacking} (its caches: {caches}); give another role or a size in bytes"
    )]
    RoleLacking {
        text: String,
        lacking: String,
        caches: String,
    },
    #[error("workload `{text}`: the size must be at least {min} bytes")]
    TooSmall { text: String, min: u64 },
    #[error(
        "workload `{text}` needs {need_mib} MiB for {workers} workers but the machine has {have_mib} MiB available: use a smaller size or fewer workers"
    )]
    TooLarge {
        text: String,
        workers: usize,
        need_mib: u64,
        have_mib: u64,
    },
    #[error(
        "workload `{workload}` runs workers in pairs: give an even number of workers, not {workers}"
    )]
    OddWorkers { workload: String, workers: usize },
    #[error(
        "workload `{workload}` needs at least 2 workers (one {role} and at least one peer), not {workers}"
    )]
    TooFewWorkers {
        workload: String,
        role: &'static str,
        workers: usize,
    },
    #[error(transparent)]
    Ipc(#[from] ipc::IpcError),
    #[error(
        "workload `{0}` is a program of yours: run it with `pinbench exec -- CMD` (its name comes from --name)"
    )]
    NotBuiltIn(String),
    #[error(
        "workload `{0}`: give the program's name after `cmd:`, letters, digits, `.`, `_` and `-` only (e.g. cmd:pool)"
    )]
    BadName(String),
    #[error("worker {worker}: allocating {bytes} bytes failed")]
    Alloc { worker: usize, bytes: u64 },
}

/// Every workload name, for help and errors.
pub fn workload_names() -> String {
    FAMILIES
        .iter()
        .map(|f| match (f.min_size(), f.takes_name()) {
            (Some(_), _) if !f.roles().is_empty() => format!(
                "{}:<size> (e.g. {}) or {}:<role> ({})",
                f.name(),
                f.example(),
                f.name(),
                roles_of(*f)
            ),
            (Some(_), _) => format!("{}:<size> (e.g. {})", f.name(), f.example()),
            (None, true) => format!("{}:<name> (pinbench exec)", f.name()),
            (None, false) => f.name().to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A family's roles as written: `L1d/2, L2/2, L3share/2, 4xLLC`.
fn roles_of(f: &dyn Family) -> String {
    f.roles()
        .iter()
        .map(|r| r.spelling())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The workloads of a sized family's default sweep on this machine: each of its roles the
/// machine's caches resolve; where the machine lists a cache without a size, or no cache at
/// all, a typical size in bytes stands in (it did not come from the machine, so it is no role);
/// a role sized after a cache the machine lacks (an L3) is left out.
pub fn role_defaults(family: &'static dyn Family, profile: &HardwareProfile) -> Vec<Workload> {
    let caches = MachineCaches::of(profile);
    family
        .roles()
        .iter()
        .filter_map(|&r| match family.resolve_role(r, &caches) {
            Some(bytes) => Some(Workload::role(family, r).with_bytes(bytes)),
            None if r.unknown(&caches) => family
                .resolve_role(r, &MachineCaches::typical())
                .map(|b| Workload::sized(family, b)),
            None => None,
        })
        .collect()
}

/// `, or a role of this machine's caches: L1d/2, L2/2...` for a family that has roles.
fn role_hint(text: &str) -> String {
    let name = text.split(':').next().unwrap_or(text);
    match family_named(name).map(roles_of) {
        Some(roles) if !roles.is_empty() => {
            format!(", or a role sized from this machine's caches: {roles}")
        }
        _ => String::new(),
    }
}

fn examples_of(text: &str) -> String {
    let name = text.split(':').next().unwrap_or(text);
    FAMILIES
        .iter()
        .find(|f| f.name() == name)
        .map_or_else(|| "cache:24KiB".into(), |f| f.example())
}

impl Workload {
    /// An unsized workload of `family` (cpu, ipc:*).
    pub fn of(family: &'static dyn Family) -> Self {
        Self {
            family,
            size: None,
            role: None,
            unsure: false,
            name: None,
        }
    }

    /// A named workload (`cmd:<name>`); the name must be a valid one (see [`valid_name`]).
    pub fn named(family: &'static dyn Family, name: &str) -> Result<Self, WorkloadError> {
        if !valid_name(name) {
            return Err(WorkloadError::BadName(format!("{}:{name}", family.name())));
        }
        Ok(Self {
            name: Some(intern(name)),
            ..Self::of(family)
        })
    }

    /// The program's name of a `cmd:<name>` workload.
    pub fn name(&self) -> Option<&'static str> {
        self.name
    }

    /// A sized workload (`cache:<bytes>`, `mem:<bytes>`).
    pub fn sized(family: &'static dyn Family, bytes: u64) -> Self {
        Self {
            size: Some(bytes),
            ..Self::of(family)
        }
    }

    /// A workload sized by its role on the machine (`cache:L2/2`), its bytes not yet resolved
    /// ([`Workload::resolve`]).
    pub fn role(family: &'static dyn Family, role: SizeRole) -> Self {
        Self {
            role: Some(role),
            ..Self::of(family)
        }
    }

    /// The name with a role's bytes on its machine, `cache:L2/2 (1MiB)`; other workloads by
    /// their name alone.
    pub fn described(&self) -> String {
        match (self.role, self.size) {
            (Some(_), Some(b)) => format!("{self} ({})", format_size(b)),
            _ => self.to_string(),
        }
    }

    /// The role its size is named by, if any.
    pub fn size_role(&self) -> Option<SizeRole> {
        self.role
    }

    /// The same workload with these bytes (a role's, as resolved on a machine).
    pub fn with_bytes(mut self, bytes: u64) -> Self {
        self.size = Some(bytes);
        self
    }

    /// A role resolved to its bytes on this machine; other workloads as they are. A role the
    /// machine lacks (no L3) is an error naming the machine's caches.
    pub fn resolve(self, profile: &HardwareProfile) -> Result<Self, WorkloadError> {
        let Some(role) = self.role else {
            return Ok(self);
        };
        let caches = MachineCaches::of(profile);
        match self.family.resolve_role(role, &caches) {
            Some(b) => Ok(self.with_bytes(b)),
            None => Err(WorkloadError::RoleLacking {
                text: self.to_string(),
                lacking: role
                    .lacking(&caches)
                    .unwrap_or_else(|| "no such cache".into()),
                caches: caches.describe(),
            }),
        }
    }

    /// The workload as a CSV row read it, with its `size_bytes` cell: a role gets its bytes; a
    /// byte size without the cell comes from a file written before roles ([`Workload::unsure`]).
    pub fn with_size_cell(mut self, cell: Option<u64>) -> Self {
        match (self.role, self.size, cell) {
            (Some(_), _, Some(b)) => self.size = Some(b),
            (None, Some(_), None) => self.unsure = true,
            _ => {}
        }
        self
    }

    /// What the `size_bytes` cell holds: the bytes of a sized workload, empty for an unsized
    /// one and for a byte size read from a file written before roles (which stays as it was).
    pub fn size_cell(&self) -> Option<u64> {
        if self.unsure { None } else { self.size }
    }

    /// Whether this is a byte size from a file written before roles: it may be a default of its
    /// machine, which [`Workload::with_role_on`] can name.
    pub fn unsure(&self) -> bool {
        self.unsure
    }

    /// A byte size from before roles, named by the first role of its family that resolves to
    /// these bytes on a machine with these caches (the default sweep made it); otherwise as it
    /// is. A size the user gave in a newer file is never renamed.
    pub fn with_role_on(self, caches: &MachineCaches) -> Self {
        let (true, Some(bytes)) = (self.unsure, self.size) else {
            return self;
        };
        match self
            .family
            .roles()
            .iter()
            .find(|r| self.family.resolve_role(**r, caches) == Some(bytes))
        {
            Some(&r) => Self {
                role: Some(r),
                unsure: false,
                ..self
            },
            None => self,
        }
    }

    pub fn family(&self) -> &'static dyn Family {
        self.family
    }

    /// The working-set or array size in bytes, for families that take one (a role's once
    /// resolved).
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    pub fn unit(&self) -> Unit {
        self.family.unit()
    }

    /// Whether the time per operation is a latency (`ns_per_op` is meaningful).
    pub fn reports_latency(&self) -> bool {
        self.unit().latency().is_some()
    }

    fn index(&self) -> usize {
        FAMILIES
            .iter()
            .position(|f| f.name() == self.family.name())
            .unwrap_or(usize::MAX)
    }

    /// Checks that `workers` workers can run this workload on a machine with `available_bytes`
    /// of memory.
    pub fn validate(
        &self,
        workers: usize,
        available_bytes: Option<u64>,
    ) -> Result<(), WorkloadError> {
        if let (Some(min), Some(size)) = (self.family.min_size(), self.size)
            && size < min
        {
            return Err(WorkloadError::TooSmall {
                text: self.to_string(),
                min,
            });
        }
        self.family.check_workers(self, workers)?;
        let need = self
            .family
            .footprint(self.size)
            .saturating_mul(workers as u64);
        // Leave a quarter of what is free to everything else.
        if let Some(have) = available_bytes
            && need > have / 4 * 3
        {
            return Err(WorkloadError::TooLarge {
                text: self.to_string(),
                workers,
                need_mib: need >> 20,
                have_mib: have >> 20,
            });
        }
        Ok(())
    }

    /// Each worker's channel (see [`Family::channels`]).
    pub fn channels(
        &self,
        workers: usize,
        within_process: bool,
    ) -> Result<Vec<Channel>, WorkloadError> {
        self.family.channels(workers, within_process)
    }

    /// Prepares one worker's job.
    pub fn prepare(&self, ctx: WorkerCtx, channel: Channel) -> Result<Box<dyn Job>, WorkloadError> {
        self.family.prepare(self, ctx, channel)
    }

    pub fn is_primary(&self, worker: usize, workers: usize) -> bool {
        self.family.is_primary(worker, workers)
    }
}

/// Whether `name` can name a program's workload (`cmd:<name>`): it goes into file names and
/// CSV cells, so letters, digits, `.`, `_` and `-` only, at most 64 of them.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Every workload of the default sweep on this machine, family by family.
pub fn default_workloads(profile: &HardwareProfile) -> Vec<Workload> {
    FAMILIES.iter().flat_map(|f| f.defaults(profile)).collect()
}

/// Available memory from `ROOT/proc/meminfo`: this machine's under `/`, a recorded one's under its
/// sysfs root.
pub fn available_memory(root: &std::path::Path) -> Option<u64> {
    let text = std::fs::read_to_string(root.join("proc/meminfo")).ok()?;
    text.lines()
        .find(|l| l.starts_with("MemAvailable:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map(|kib| kib * 1024)
}

impl FromStr for Workload {
    type Err = WorkloadError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let t = text.trim();
        for f in FAMILIES {
            if f.takes_name() {
                if t == f.name() {
                    return Err(WorkloadError::BadName(t.into()));
                }
                if let Some(name) = t.strip_prefix(f.name()).and_then(|r| r.strip_prefix(':')) {
                    return Workload::named(*f, name);
                }
                continue;
            }
            match f.min_size() {
                None if t == f.name() => return Ok(Workload::of(*f)),
                Some(min) => {
                    if t == f.name() {
                        return Err(WorkloadError::BadSize { text: t.into() });
                    }
                    if let Some(size) = t.strip_prefix(f.name()).and_then(|r| r.strip_prefix(':')) {
                        if let Some(role) = SizeRole::parse(size) {
                            if !f.roles().contains(&role) {
                                return Err(WorkloadError::BadRole {
                                    text: t.into(),
                                    role,
                                    family: f.name(),
                                    roles: roles_of(*f),
                                });
                            }
                            return Ok(Workload::role(*f, role));
                        }
                        let bytes =
                            parse_size(size).ok_or(WorkloadError::BadSize { text: t.into() })?;
                        if bytes < min {
                            return Err(WorkloadError::TooSmall {
                                text: t.into(),
                                min,
                            });
                        }
                        return Ok(Workload::sized(*f, bytes));
                    }
                }
                None => {}
            }
        }
        // `ipc:carrier-pigeon` or `ipc`: name the variants of that prefix.
        let prefix = t.split(':').next().unwrap_or(t);
        let variants: Vec<&str> = FAMILIES
            .iter()
            .map(|f| f.name())
            .filter(|n| n.split_once(':').is_some_and(|(p, _)| p == prefix))
            .collect();
        if !variants.is_empty() {
            return Err(WorkloadError::UnknownVariant {
                text: t.into(),
                prefix: prefix.into(),
                names: variants.join(", "),
            });
        }
        Err(WorkloadError::Unknown(t.into()))
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.role, self.size, self.name) {
            (Some(role), _, _) => write!(f, "{}:{role}", self.family.name()),
            (None, Some(bytes), _) => write!(f, "{}:{}", self.family.name(), format_size(bytes)),
            (None, None, Some(name)) => write!(f, "{}:{name}", self.family.name()),
            (None, None, None) => f.write_str(self.family.name()),
        }
    }
}

impl fmt::Debug for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Default for Workload {
    /// The first registered family (for empty rows, such as a CSV header's template).
    fn default() -> Self {
        Workload::of(FAMILIES[0])
    }
}

impl Workload {
    /// What identifies a workload: its family, its role or else its bytes, its name. A role's
    /// bytes differ between machines and are no part of it.
    #[allow(clippy::type_complexity)]
    fn identity(
        &self,
    ) -> (
        usize,
        &'static str,
        bool,
        Option<SizeRole>,
        Option<u64>,
        Option<&'static str>,
    ) {
        (
            self.index(),
            self.family.name(),
            self.role.is_none(),
            self.role,
            if self.role.is_some() { None } else { self.size },
            self.name,
        )
    }
}

impl PartialEq for Workload {
    fn eq(&self, other: &Self) -> bool {
        self.identity() == other.identity()
    }
}

impl Eq for Workload {}

impl Hash for Workload {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.identity().hash(state);
    }
}

impl Ord for Workload {
    /// Registry order, then roles (in their order), then sizes in bytes.
    fn cmp(&self, other: &Self) -> Ordering {
        self.identity().cmp(&other.identity())
    }
}

impl PartialOrd for Workload {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

serde_as_text!(Workload);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in [
            "cpu",
            "cache:24KiB",
            "cache:64MiB",
            "cache:1536KiB",
            "mem:256MiB",
            "ipc:pipe",
            "ipc:socket",
            "ipc:shm",
            "ipc:queue",
            "ipc:server",
            "cmd:pool",
            "cmd:my-prog_2.py",
        ] {
            assert_eq!(name.parse::<Workload>().unwrap().to_string(), name);
        }
        assert_eq!(
            "cache:32K".parse::<Workload>().unwrap().to_string(),
            "cache:32KiB"
        );
    }

    #[test]
    fn bad_names_and_sizes() {
        assert!(matches!(
            "gpu".parse::<Workload>(),
            Err(WorkloadError::Unknown(_))
        ));
        assert!(matches!(
            "ipc:carrier-pigeon".parse::<Workload>(),
            Err(WorkloadError::UnknownVariant { .. })
        ));
        assert!(matches!(
            "cache:0".parse::<Workload>(),
            Err(WorkloadError::TooSmall { .. })
        ));
        assert!(matches!(
            "cache:12XB".parse::<Workload>(),
            Err(WorkloadError::BadSize { .. })
        ));
        assert!(matches!(
            "cache:99999999999999999999G".parse::<Workload>(),
            Err(WorkloadError::BadSize { .. })
        ));
        let big: Workload = "cache:1024GiB".parse().unwrap();
        assert!(matches!(
            big.validate(2, Some(8 << 30)),
            Err(WorkloadError::TooLarge { .. })
        ));
        let w = |s: &str| s.parse::<Workload>().unwrap();
        assert!(w("ipc:pipe").validate(3, None).is_err());
        assert!(w("ipc:queue").validate(1, None).is_err());
        assert!(w("ipc:queue").validate(3, None).is_ok());
    }

    #[test]
    fn typed_order_and_equality() {
        let w = |s: &str| s.parse::<Workload>().unwrap();
        assert!(w("cpu") < w("cache:24KiB"));
        assert!(w("cache:24KiB") < w("cache:1MiB"));
        assert!(w("cache:1MiB") < w("ipc:pipe"));
        assert_eq!(w("cache:32K"), w("cache:32KiB"));
        assert_ne!(w("ipc:pipe"), w("ipc:socket"));
    }

    #[test]
    fn roles_parse_join_and_resolve() {
        let w = |s: &str| s.parse::<Workload>().unwrap();
        for name in [
            "cache:L1d/2",
            "cache:L2/2",
            "cache:L3share/2",
            "cache:4xLLC",
            "mem:2xLLC",
        ] {
            assert_eq!(w(name).to_string(), name);
            assert!(w(name).size_role().is_some());
            assert_eq!(
                w(name).size(),
                None,
                "resolved on a machine, not in the name"
            );
        }
        assert_eq!(w("cache:l2/2").to_string(), "cache:L2/2");
        assert!(matches!(
            "mem:L2/2".parse::<Workload>(),
            Err(WorkloadError::BadRole { .. })
        ));
        assert!(matches!(
            "cache:2xLLC".parse::<Workload>(),
            Err(WorkloadError::BadRole { .. })
        ));
        // One role is one workload whatever its bytes; a byte size of the same bytes is another.
        let small = w("cache:L2/2").with_size_cell(Some(256 << 10));
        let big = w("cache:L2/2").with_size_cell(Some(1 << 20));
        assert_eq!(small, big);
        assert_eq!(big.described(), "cache:L2/2 (1MiB)");
        assert_ne!(big, w("cache:1MiB"));
        assert!(w("cache:L1d/2") < w("cache:L2/2") && w("cache:4xLLC") < w("cache:24KiB"));
        // A byte size from a file before roles takes the role its machine gives those bytes;
        // the same size from a newer file (with its cell) is the user's and stays bytes.
        let typical = MachineCaches::typical();
        let old = w("cache:256KiB").with_size_cell(None);
        assert_eq!(old.with_role_on(&typical).to_string(), "cache:L2/2");
        assert_eq!(old.with_role_on(&typical).size(), Some(256 << 10));
        let given = w("cache:256KiB").with_size_cell(Some(256 << 10));
        assert_eq!(given.with_role_on(&typical).to_string(), "cache:256KiB");
        assert_eq!(
            w("cache:100KiB")
                .with_size_cell(None)
                .with_role_on(&typical)
                .to_string(),
            "cache:100KiB"
        );
        assert_eq!(
            w("mem:64MiB")
                .with_size_cell(None)
                .with_role_on(&typical)
                .to_string(),
            "mem:2xLLC"
        );
    }

    #[test]
    fn every_family_registered_once() {
        let mut names: Vec<&str> = FAMILIES.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FAMILIES.len());
    }
}
