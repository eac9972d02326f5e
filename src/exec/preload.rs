//! Placement from inside the program: the preload library (`preload/pinbench_preload.c`,
//! built by build.rs and embedded here) and the table it shares with pinbench.
//!
//! Every dynamically linked process of the tree loads the library (`LD_PRELOAD`). A forked
//! child claims its slot in its `pthread_atfork` child handler, a process started by `vfork` or
//! `posix_spawn` in its constructor at exec, and sets its own mask before the program's code
//! runs: no ptrace stop, no round trip to pinbench. Each claim, exec and exit (with the exiting
//! thread's final counters, read by the process itself) goes into the table's log, which the
//! watchdog drains every tick into the slot rules ([`super::slots`]), which stay the judge: a
//! claim they disagree with is corrected, and what the library cannot reach (a statically
//! linked program, one that clears its environment) is found in `/proc` and placed there.
//!
//! The table is a file in `/dev/shm` (a path, not a descriptor: programs close descriptors they
//! did not open, Python's `subprocess` among them), mapped by both sides; its layout is the C
//! structs', checked on both sides by the same figures.

use std::ffi::CString;
use std::fs::OpenOptions;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::cpuset::CpuSet;

use super::slots::Tid;
use super::task::TaskCounts;

/// The library, compiled from C by build.rs.
const LIBRARY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/libpinbench_preload.so"));

/// The environment variable naming the table the library opens.
pub const TABLE_ENV: &str = "PINBENCH_PRELOAD_TABLE";

const MAGIC: u32 = 0x4c50_4250;
const VERSION: u32 = 2;
/// The most slots the table holds; a plan with more is placed by ptrace.
pub const MAX_SLOTS: usize = 1024;
const MASK_WORDS: usize = 16;
const FORKING: usize = 256;
/// The most CPUs a mask in the table holds.
pub const MAX_CPUS: usize = MASK_WORDS * 64;
/// Log entries: 216 bytes each, pages touched only as they are written.
const LOG_CAP: u32 = 1 << 17;
const UNKNOWN: u64 = u64::MAX;

#[repr(C)]
struct Mask {
    w: [u64; MASK_WORDS],
}

#[repr(C)]
struct Entry {
    kind: u32,
    pid: i32,
    ppid: i32,
    slot: i32,
    ns: u64,
    run_ns: u64,
    wait_ns: u64,
    user_us: u64,
    system_us: u64,
    migrations: u64,
    voluntary: u64,
    involuntary: u64,
    last_cpu: i32,
    ready: AtomicU32,
    mask: Mask,
}

#[repr(C)]
struct Header {
    magic: u32,
    version: u32,
    nslots: u32,
    log_cap: u32,
    root: AtomicI32,
    has_main: u32,
    log_next: AtomicU64,
    dropped: AtomicU64,
    spare: [u32; 6],
    /// On the first page with the counters: what a new process touches (up to 1,008 slots).
    holder: [AtomicI32; MAX_SLOTS],
    /// Processes inside a fork (one that hands its slot to the child moves to the main mask).
    forking: [AtomicI32; FORKING],
    has_slot_mask: [u32; MAX_SLOTS],
    main_mask: Mask,
    slot_mask: [Mask; MAX_SLOTS],
}

/// The figures the C side checks too (`_Static_assert`).
const ENTRY_SIZE: usize = 216;
const HOLDER_OFFSET: usize = 64;
const FORKING_OFFSET: usize = 4_160;
const MAIN_MASK_OFFSET: usize = 9_280;
const LOG_OFFSET: usize = 140_480;
const _: () = assert!(std::mem::size_of::<Entry>() == ENTRY_SIZE);
const _: () = assert!(std::mem::offset_of!(Header, holder) == HOLDER_OFFSET);
const _: () = assert!(std::mem::offset_of!(Header, forking) == FORKING_OFFSET);
const _: () = assert!(std::mem::offset_of!(Header, main_mask) == MAIN_MASK_OFFSET);
const _: () = assert!(std::mem::size_of::<Header>() == LOG_OFFSET);

/// What the library logged.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A forked child placed itself: `slot` is what it claimed (none: the main mask).
    Fork {
        pid: Tid,
        ppid: Tid,
        slot: Option<usize>,
    },
    /// A process exec'd; `claimed` when it was not placed before (vfork, posix_spawn) and
    /// placed itself now, with `slot` what it claimed.
    Exec {
        pid: Tid,
        ppid: Tid,
        slot: Option<usize>,
        claimed: bool,
        /// CLOCK_MONOTONIC nanoseconds of the exec (its constructor's start).
        ns: u64,
    },
    /// A process is exiting: its exiting thread's final counters, run and wait time.
    Exit {
        pid: Tid,
        slot: Option<usize>,
        counts: TaskCounts,
        run_ns: Option<u64>,
        wait_ns: Option<u64>,
        ns: u64,
    },
}

/// Writes the embedded library out once per content (a file per user, named by its hash) and
/// returns its path.
pub fn library() -> std::io::Result<PathBuf> {
    // FNV-1a: a name that changes when the library does.
    let hash = LIBRARY.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    let dir = std::env::temp_dir().join(format!("pinbench-{uid}"));
    std::fs::create_dir_all(&dir)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    let path = dir.join(format!("preload-{hash:016x}.so"));
    if std::fs::read(&path).is_ok_and(|b| b == LIBRARY) {
        return Ok(path);
    }
    let tmp = dir.join(format!("preload-{hash:016x}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, LIBRARY)?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// Whether an executable loads a preload library: an ELF file with a program interpreter
/// (dynamically linked), or a script whose interpreter does. A statically linked program never
/// reads `LD_PRELOAD`.
pub fn loads_preload(path: &Path) -> bool {
    let Ok(bytes) = read_head(path, 4096) else {
        return false;
    };
    if let Some(rest) = bytes.strip_prefix(b"#!") {
        let line = rest.split(|&b| b == b'\n').next().unwrap_or_default();
        let text = String::from_utf8_lossy(line);
        let Some(interp) = text.split_whitespace().next() else {
            return false;
        };
        return interp != path.to_string_lossy() && loads_preload(Path::new(interp));
    }
    has_interp(&bytes, path)
}

fn read_head(path: &Path, n: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0; n];
    let got = f.read(&mut buf)?;
    buf.truncate(got);
    Ok(buf)
}

/// An ELF64 little-endian file with a `PT_INTERP` program header.
fn has_interp(head: &[u8], path: &Path) -> bool {
    let Some((phoff, phentsize, phnum)) = program_headers(head) else {
        return false;
    };
    let end = phoff + phentsize * phnum;
    let table = if end <= head.len() {
        head.to_vec()
    } else {
        match read_head(path, end) {
            Ok(b) if b.len() >= end => b,
            _ => return false,
        }
    };
    segment_types(&table, (phoff, phentsize, phnum)).contains(&PT_INTERP)
}

const PT_INTERP: u32 = 3;

/// Where an ELF64 little-endian file's program headers are: offset, entry size, count.
fn program_headers(head: &[u8]) -> Option<(usize, usize, usize)> {
    if head.len() < 64 || &head[..4] != b"\x7fELF" || head[4] != 2 || head[5] != 1 {
        return None;
    }
    let u16_at = |o: usize| u16::from_le_bytes([head[o], head[o + 1]]) as usize;
    let phoff = u64::from_le_bytes(head[0x20..0x28].try_into().expect("8 bytes")) as usize;
    Some((phoff, u16_at(0x36), u16_at(0x38)))
}

/// The type of each program header, from bytes that hold the whole table.
fn segment_types(elf: &[u8], (phoff, phentsize, phnum): (usize, usize, usize)) -> Vec<u32> {
    (0..phnum)
        .map(|i| phoff + i * phentsize)
        .filter(|&o| o + 4 <= elf.len())
        .map(|o| u32::from_le_bytes(elf[o..o + 4].try_into().expect("4 bytes")))
        .collect()
}

/// The table pinbench shares with the library: created before the command starts, removed
/// when it is dropped.
pub struct Table {
    path: PathBuf,
    base: *mut u8,
    len: usize,
    /// The next log entry to read.
    cursor: u64,
    /// The entry at the cursor found unfinished, and since when.
    stalled: Option<(u64, Instant)>,
    /// Entries given up on unfinished (their writer ended before finishing them).
    skipped: u64,
    /// Entries passed over unfinished while their writer lived (stopped, or starved of CPU for
    /// STALL_LIMIT): read out of order if they are finished later.
    late: Vec<u64>,
    /// How long an unfinished entry holds back the ones after it ([`STALL_LIMIT`]).
    stall_limit: Duration,
    /// Every process that could write here has ended: nothing unfinished will be finished.
    writers_ended: bool,
}

/// How long an unfinished entry holds back the ones after it while its writer lives (a
/// writer descheduled in the middle of an entry finishes it within this, one stopped or
/// killed does not).
const STALL_LIMIT: Duration = Duration::from_secs(1);

// SAFETY: the mapping is shared memory the library writes with atomics; pinbench reads and
// writes it only through atomics or fields no other process writes after it started.
unsafe impl Send for Table {}

impl Table {
    /// A table for `slot_masks` (none: the slot is kept, nothing pinned) and `main_mask`.
    pub fn create(
        slot_masks: &[Option<CpuSet>],
        main_mask: Option<&CpuSet>,
    ) -> std::io::Result<Self> {
        if slot_masks.len() > MAX_SLOTS {
            return Err(std::io::Error::other(
                "more slots than the preload table holds",
            ));
        }
        let dir = Path::new("/dev/shm");
        let dir = if dir.is_dir() {
            dir.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        static N: AtomicU32 = AtomicU32::new(0);
        let path = dir.join(format!(
            "pinbench-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let len = LOG_OFFSET + LOG_CAP as usize * ENTRY_SIZE;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        file.set_len(len as u64)?;
        // SAFETY: a shared mapping of a file of `len` bytes, unmapped in Drop.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                std::os::fd::AsRawFd::as_raw_fd(&file),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            let e = std::io::Error::last_os_error();
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        let t = Self {
            path,
            base: base.cast(),
            len,
            cursor: 0,
            stalled: None,
            skipped: 0,
            late: Vec::new(),
            stall_limit: STALL_LIMIT,
            writers_ended: false,
        };
        // SAFETY: the mapping is zeroed, `len` bytes, and no other process has it yet.
        let h = unsafe { &mut *t.base.cast::<Header>() };
        h.nslots = slot_masks.len() as u32;
        h.log_cap = LOG_CAP;
        if let Some(m) = main_mask {
            h.has_main = 1;
            write_mask(&mut h.main_mask, m);
        }
        for (i, m) in slot_masks.iter().enumerate() {
            if let Some(m) = m {
                h.has_slot_mask[i] = 1;
                write_mask(&mut h.slot_mask[i], m);
            }
        }
        h.version = VERSION;
        h.magic = MAGIC;
        Ok(t)
    }

    /// The path the library opens (`PINBENCH_PRELOAD_TABLE`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The environment entries that load the library with this table, `LD_PRELOAD` appended to
    /// one the command already has.
    pub fn env(&self, library: &Path, base: &[CString]) -> Vec<CString> {
        let mut out: Vec<CString> = Vec::with_capacity(base.len() + 2);
        let mut preload = library.display().to_string();
        for e in base {
            let b = e.as_bytes();
            if let Some(v) = b.strip_prefix(b"LD_PRELOAD=") {
                if !v.is_empty() {
                    preload = format!("{preload}:{}", String::from_utf8_lossy(v));
                }
            } else if !b.starts_with(format!("{TABLE_ENV}=").as_bytes()) {
                out.push(e.clone());
            }
        }
        out.push(CString::new(format!("LD_PRELOAD={preload}")).expect("no NUL in a path"));
        out.push(
            CString::new(format!("{TABLE_ENV}={}", self.path.display())).expect("no NUL in a path"),
        );
        out
    }

    fn header(&self) -> &Header {
        // SAFETY: the mapping starts with a Header and lives as long as self.
        unsafe { &*self.base.cast::<Header>() }
    }

    /// The command's own process: it is the main process, never a slot's.
    pub fn set_root(&self, pid: Tid) {
        self.header().root.store(pid, Ordering::Release);
    }

    /// The slot rules gave slot `s` to `pid` (0: to none): claims to come see it.
    pub fn set_holder(&self, s: usize, pid: Tid) {
        if let Some(h) = self.header().holder.get(s) {
            h.store(pid, Ordering::Release);
        }
    }

    /// `pid` no longer holds slot `s` (unless a claim took it meanwhile).
    pub fn release(&self, s: usize, pid: Tid) {
        if let Some(h) = self.header().holder.get(s) {
            let _ = h.compare_exchange(pid, 0, Ordering::AcqRel, Ordering::Acquire);
        }
    }

    /// The slot the table says `pid` holds.
    pub fn slot_of(&self, pid: Tid) -> Option<usize> {
        let h = self.header();
        h.holder[..(h.nslots as usize).min(MAX_SLOTS)]
            .iter()
            .position(|x| x.load(Ordering::Acquire) == pid)
    }

    /// Whether `pid` is inside a fork: a process handing its slot down to the child it forks
    /// moves to the main mask meanwhile, which is no re-pin of its own.
    pub fn forking(&self, pid: Tid) -> bool {
        self.header()
            .forking
            .iter()
            .any(|f| f.load(Ordering::Acquire) == pid)
    }

    /// Entries dropped because the log was full.
    pub fn dropped(&self) -> u64 {
        self.header().dropped.load(Ordering::Acquire)
    }

    /// Entries given up on unfinished: their writer ended in the middle of one (or, the tree
    /// ended, never finished it).
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// The tree has ended (every process reaped): the last read passes over what is unfinished.
    pub fn writers_ended(&mut self) {
        self.writers_ended = true;
    }

    /// The entry at log index `i`.
    fn entry(&self, i: u64) -> &Entry {
        // SAFETY: callers pass i < LOG_CAP: the entry lies inside the mapping.
        unsafe {
            &*self
                .base
                .add(LOG_OFFSET + i as usize * ENTRY_SIZE)
                .cast::<Entry>()
        }
    }

    /// Whether entry `i` is finished (published by its writer).
    fn ready(&self, i: u64) -> bool {
        self.entry(i).ready.load(Ordering::Acquire) != 0
    }

    /// Whether the writer of unfinished entry `i` will never finish it.
    fn abandoned(&self, i: u64) -> bool {
        // SAFETY: a plain field another process may be writing: read once.
        let pid = unsafe { std::ptr::read_volatile(&raw const self.entry(i).pid) };
        self.writers_ended || writer_gone(pid)
    }

    /// The entries logged since the last call, in order. One still being written holds back
    /// the ones after it, unless its writer is gone (then it is given up on) or it has waited
    /// [`STALL_LIMIT`] (then it is read whenever it is finished, out of order).
    pub fn drain(&mut self) -> Vec<Event> {
        let next = self
            .header()
            .log_next
            .load(Ordering::Acquire)
            .min(u64::from(LOG_CAP));
        let mut out = Vec::new();
        // Entries passed over earlier and finished since.
        let late = std::mem::take(&mut self.late);
        for i in late {
            if self.ready(i) {
                out.extend(decode(self.entry(i)));
            } else if self.abandoned(i) && !self.ready(i) {
                self.skipped += 1;
            } else {
                self.late.push(i);
            }
        }
        while self.cursor < next {
            let i = self.cursor;
            if !self.ready(i) {
                // Unfinished: being written, or never to be (its writer was killed in the
                // middle). The log is read in order, so such an entry holds back every entry
                // after it, while it may still be finished.
                let now = Instant::now();
                let waited = match self.stalled {
                    Some((at, since)) if at == i => now.duration_since(since),
                    _ => {
                        self.stalled = Some((i, now));
                        Duration::ZERO
                    }
                };
                if self.abandoned(i) {
                    // Finished after all (published just before its writer ended): read.
                    if !self.ready(i) {
                        self.skipped += 1;
                        self.cursor += 1;
                        self.stalled = None;
                        continue;
                    }
                } else if waited >= self.stall_limit {
                    self.late.push(i);
                    self.cursor += 1;
                    self.stalled = None;
                    continue;
                } else {
                    break;
                }
            }
            self.stalled = None;
            self.cursor += 1;
            out.extend(decode(self.entry(i)));
        }
        out
    }
}

/// What kills the tree if pinbench itself is killed (SIGKILL leaves it no say). Traced tasks
/// die with their tracer (`PTRACE_O_EXITKILL`), but the processes the library placed are not
/// traced: a process outside the tree, holding the read end of a pipe only pinbench writes,
/// kills the roots' process group and every process the log names once the pipe closes without
/// pinbench's word that the run ended, then removes the table (which `Drop` would have).
pub struct Guardian {
    word: Option<std::os::fd::OwnedFd>,
}

impl Guardian {
    /// Starts the guardian of `table`'s tree: a grandchild, handed to init at once, so that it
    /// is nobody's child in pinbench (whose tracer waits for every child of its own).
    pub fn start(table: &Table) -> std::io::Result<Self> {
        let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
        let (rfd, wfd) = (
            std::os::fd::AsRawFd::as_raw_fd(&r),
            std::os::fd::AsRawFd::as_raw_fd(&w),
        );
        let base = table.base;
        let path = CString::new(table.path.as_os_str().as_encoded_bytes())
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        // SAFETY: between fork and _exit the children only make async-signal-safe calls
        // (fork, close_range, read, kill, unlink, _exit) and read the shared mapping.
        let first = unsafe { libc::fork() };
        if first < 0 {
            return Err(std::io::Error::last_os_error());
        }
        if first == 0 {
            // SAFETY: as above: the forked children stay within async-signal-safe calls and
            // reads of the mapping, which outlives them (it is never unmapped in them).
            unsafe {
                if libc::fork() != 0 {
                    libc::_exit(0);
                }
                libc::close(wfd);
                // Nothing of pinbench's stays open in it but the pipe.
                libc::dup2(rfd, 3);
                libc::syscall(libc::SYS_close_range, 4u32, u32::MAX, 0u32);
                let mut b = 0u8;
                let n = loop {
                    let n = libc::read(3, (&raw mut b).cast(), 1);
                    if n >= 0 || *libc::__errno_location() != libc::EINTR {
                        break n;
                    }
                };
                if n == 1 {
                    libc::_exit(0);
                }
                let h = &*base.cast::<Header>();
                let root = h.root.load(Ordering::Acquire);
                if root > 0 {
                    libc::kill(-root, libc::SIGKILL);
                    libc::kill(root, libc::SIGKILL);
                }
                let n = h.log_next.load(Ordering::Acquire).min(u64::from(h.log_cap));
                for i in 0..n as usize {
                    let e = &*base.add(LOG_OFFSET + i * ENTRY_SIZE).cast::<Entry>();
                    if e.kind != 3 && e.pid > 0 {
                        libc::kill(e.pid, libc::SIGKILL);
                    }
                }
                // Nothing outlives the run: not its table either (28 MB of /dev/shm's name
                // space, the pages the log used).
                libc::unlink(path.as_ptr());
                libc::_exit(0);
            }
        }
        drop(r);
        // The first child exits at once: reaped here, the guardian goes to init.
        let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(first), None);
        Ok(Self { word: Some(w) })
    }
}

impl Drop for Guardian {
    /// The run ended with pinbench alive: the guardian leaves without killing.
    fn drop(&mut self) {
        if let Some(w) = self.word.take() {
            let _ = nix::unistd::write(&w, &[1u8]);
        }
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        // SAFETY: unmaps what create mapped.
        unsafe { libc::munmap(self.base.cast(), self.len) };
        let _ = std::fs::remove_file(&self.path);
    }
}

fn write_mask(dst: &mut Mask, m: &CpuSet) {
    for cpu in m.iter().filter(|&c| c < MAX_CPUS) {
        dst.w[cpu / 64] |= 1 << (cpu % 64);
    }
}

/// The CPUs of a mask, found word by word (an exit record's mask is read for every process
/// that ends: a bit-by-bit scan of 1,024 CPUs cost the watchdog more than the rest of the
/// record).
fn read_mask(m: &Mask) -> CpuSet {
    let mut s = CpuSet::new();
    for (i, &word) in m.w.iter().enumerate() {
        let mut w = word;
        while w != 0 {
            s.insert(i * 64 + w.trailing_zeros() as usize);
            w &= w - 1;
        }
    }
    s
}

/// Whether the process that took an unfinished entry has ended ([`super::task::process_ended`]).
/// Unknown (the entry's pid not written yet): not ended.
fn writer_gone(pid: Tid) -> bool {
    pid > 0 && super::task::process_ended(pid)
}

fn known(v: u64) -> Option<u64> {
    (v != UNKNOWN).then_some(v)
}

fn decode(e: &Entry) -> Option<Event> {
    let slot = usize::try_from(e.slot).ok();
    match e.kind {
        1 => Some(Event::Fork {
            pid: e.pid,
            ppid: e.ppid,
            slot,
        }),
        2 | 4 => Some(Event::Exec {
            pid: e.pid,
            ppid: e.ppid,
            slot,
            claimed: e.kind == 4,
            ns: e.ns,
        }),
        3 => {
            let mask = read_mask(&e.mask);
            Some(Event::Exit {
                pid: e.pid,
                slot,
                counts: TaskCounts {
                    migrations: known(e.migrations),
                    voluntary_switches: known(e.voluntary),
                    involuntary_switches: known(e.involuntary),
                    user_seconds: known(e.user_us).map(|u| u as f64 * 1e-6),
                    system_seconds: known(e.system_us).map(|u| u as f64 * 1e-6),
                    last_cpu: usize::try_from(e.last_cpu).ok(),
                    mask: (!mask.is_empty()).then_some(mask),
                },
                run_ns: known(e.run_ns),
                wait_ns: known(e.wait_ns),
                ns: e.ns,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_programs_and_scripts_load_a_preload_library_static_ones_do_not() {
        assert!(loads_preload(Path::new("/bin/sh")));
        let me = std::env::current_exe().unwrap();
        assert!(
            loads_preload(&me),
            "a Rust test binary is dynamically linked"
        );
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("s.sh");
        std::fs::write(&script, "#!/bin/sh\ntrue\n").unwrap();
        assert!(loads_preload(&script));
        let text = dir.path().join("t.txt");
        std::fs::write(&text, "hello").unwrap();
        assert!(!loads_preload(&text));
        assert!(!loads_preload(Path::new("/nonexistent/program")));
    }

    /// Writes log entry `i` as a fork record of `pid` (finished or not) and counts it logged.
    fn put(t: &Table, i: usize, pid: Tid, ready: bool) {
        // SAFETY: entry i lies inside the mapping; nothing else writes this table.
        let e = unsafe { &mut *t.base.add(LOG_OFFSET + i * ENTRY_SIZE).cast::<Entry>() };
        e.kind = 1;
        e.pid = pid;
        e.slot = -1;
        e.ready.store(u32::from(ready), Ordering::Release);
        t.header()
            .log_next
            .fetch_max(i as u64 + 1, Ordering::AcqRel);
    }

    #[test]
    fn an_entry_its_writer_never_finished_holds_back_the_log_only_while_it_may_be() {
        let mut t = Table::create(&[None], None).unwrap();
        let me = std::process::id() as Tid;
        // Being written by a live process: the entries after it wait.
        put(&t, 0, me, true);
        put(&t, 1, me, false);
        put(&t, 2, me, true);
        assert_eq!(t.drain().len(), 1);
        assert!(t.drain().is_empty(), "held back while its writer lives");
        put(&t, 1, me, true);
        assert_eq!(t.drain().len(), 2);
        // Its writer ended in the middle (a reaped child): passed over at once.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let gone = child.id() as Tid;
        child.wait().unwrap();
        put(&t, 3, gone, false);
        put(&t, 4, me, true);
        let after = t.drain();
        assert_eq!(after.len(), 1, "{after:?}");
        assert!(matches!(after[0], Event::Fork { pid, .. } if pid == me));
        assert_eq!(t.skipped(), 1);
        assert_eq!(t.dropped(), 0);
    }

    #[test]
    fn an_entry_whose_writer_stalls_is_passed_over_and_read_when_it_is_finished() {
        let mut t = Table::create(&[None], None).unwrap();
        t.stall_limit = Duration::ZERO;
        let me = std::process::id() as Tid;
        put(&t, 0, me, false);
        put(&t, 1, me, true);
        // Passed over once it has waited the limit (none here): the entry after it is read.
        assert_eq!(t.drain().len(), 1);
        assert!(t.drain().is_empty(), "still unfinished");
        put(&t, 0, me, true);
        let late = t.drain();
        assert_eq!(late.len(), 1, "read out of order once finished: {late:?}");
        assert_eq!(t.skipped(), 0);
    }

    #[test]
    fn a_mask_reads_back_every_cpu_it_holds_up_to_the_last() {
        for cpus in [
            vec![],
            vec![0],
            vec![0, 1, 63, 64, 65, 127, 128, 511, 1000, MAX_CPUS - 1],
            (0..MAX_CPUS).collect(),
        ] {
            let set = CpuSet::from_iter(cpus.iter().copied());
            let mut m = Mask { w: [0; MASK_WORDS] };
            write_mask(&mut m, &set);
            assert_eq!(read_mask(&m), set, "{cpus:?}");
        }
    }

    /// What a process pays to load the library is mostly its mappings and the pages it copies:
    /// code on the headers' pages (one segment, not four) and no read-only-after-relocation
    /// page (relocations and data on one writable page), as build.rs links it.
    const PT_LOAD: u32 = 1;
    /// The segment a linker with RELRO makes read-only once relocated.
    const PT_GNU_RELRO: u32 = 0x6474_e552;

    #[test]
    fn the_library_maps_one_code_and_one_data_segment_and_no_relro_page() {
        let ph = program_headers(LIBRARY).expect("an ELF64 little-endian library");
        let types = segment_types(LIBRARY, ph);
        assert_eq!(
            types.iter().filter(|&&t| t == PT_LOAD).count(),
            2,
            "{types:x?}"
        );
        assert!(!types.contains(&PT_GNU_RELRO), "{types:x?}");
        assert!(!types.contains(&PT_INTERP), "a library, not a program");
    }

    #[test]
    fn the_table_holds_masks_and_the_library_path_is_written_once() {
        let slots = vec![Some(CpuSet::from_iter([0])), None];
        let t = Table::create(&slots, Some(&CpuSet::from_iter([0, 1]))).unwrap();
        assert!(t.path().exists());
        let h = t.header();
        assert_eq!(
            (h.magic, h.nslots, h.has_slot_mask[0], h.has_slot_mask[1]),
            (MAGIC, 2, 1, 0)
        );
        assert_eq!(read_mask(&h.slot_mask[0]), CpuSet::from_iter([0]));
        let path = t.path().to_path_buf();
        drop(t);
        assert!(!path.exists(), "the table is removed with its owner");
        let a = library().unwrap();
        let b = library().unwrap();
        assert_eq!(a, b);
        assert_eq!(std::fs::read(&a).unwrap(), LIBRARY);
    }

    #[test]
    fn the_environment_loads_the_library_beside_a_preload_the_command_had() {
        let t = Table::create(&[None], None).unwrap();
        let env = t.env(
            Path::new("/x/lib.so"),
            &[
                CString::new("A=1").unwrap(),
                CString::new("LD_PRELOAD=/y/other.so").unwrap(),
            ],
        );
        let env: Vec<String> = env.iter().map(|e| e.to_string_lossy().into()).collect();
        assert!(env.contains(&"A=1".to_string()));
        assert!(env.contains(&"LD_PRELOAD=/x/lib.so:/y/other.so".to_string()));
        assert!(
            env.iter()
                .any(|e| e.starts_with("PINBENCH_PRELOAD_TABLE=/"))
        );
    }
}
