//! A lock on one results folder that holds across processes and hosts on a shared filesystem:
//! a lock file created with `O_CREAT | O_EXCL`, which is atomic on local filesystems and on NFS
//! (v3 and later), unlike `flock`. Each writer takes it only for the moment it merges its rows
//! into the files (re-read, replace its own run's rows, write, rename), so array tasks of a
//! cluster job writing into the same `results/<profile-id>/` lose no row.
//!
//! A lock left by a writer that died (its file older than [`STALE`]) is broken; a critical
//! section is a few file rewrites, far shorter than that, or drawing a profile's charts, which
//! [`DirLock::refresh`]es the lock after each chart.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::StoreError;

/// A lock file older than this was left by a writer that died.
pub const STALE: Duration = Duration::from_secs(60);

/// How long a writer waits for the lock before it gives up.
const WAIT: Duration = Duration::from_secs(180);

pub const LOCK_FILE: &str = ".pinbench.lock";

/// Held while it lives; removed on drop.
#[derive(Debug)]
pub struct DirLock {
    path: PathBuf,
}

fn host() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown-host".into())
}

/// A name no other writer, on this host or another, uses at the same time.
pub fn unique_suffix() -> String {
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    format!(
        "{}-{}-{}",
        host(),
        std::process::id(),
        COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

impl DirLock {
    /// Takes the lock of `dir`, waiting for another writer to finish.
    pub fn acquire(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join(LOCK_FILE);
        let me = format!("{} {}\n", host(), std::process::id());
        let start = Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    let _ = f.write_all(me.as_bytes());
                    return Ok(Self { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let age = fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|m| SystemTime::now().duration_since(m).ok());
                    if age.is_some_and(|a| a > STALE) {
                        // Its writer died: move it aside (one breaker wins the rename) and retry.
                        let aside = dir.join(format!("{LOCK_FILE}.stale-{}", unique_suffix()));
                        if fs::rename(&path, &aside).is_ok() {
                            let _ = fs::remove_file(&aside);
                        }
                        continue;
                    }
                    if start.elapsed() > WAIT {
                        let holder = fs::read_to_string(&path).unwrap_or_default();
                        return Err(StoreError::Locked {
                            path,
                            holder: holder.trim().to_string(),
                        });
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(source) => return Err(StoreError::Io { path, source }),
            }
        }
    }
}

impl DirLock {
    /// Tells waiting writers this holder is alive: a long critical section (drawing a large
    /// profile's charts) calls it between steps so its lock is never taken for a dead one's.
    pub fn refresh(&self) {
        if let Ok(f) = fs::File::options().write(true).open(&self.path) {
            let _ = f.set_modified(SystemTime::now());
        }
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_a_dead_writers_lock_is_broken() {
        let dir = tempfile::tempdir().unwrap();
        let held = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (d, held) = (dir.path().to_path_buf(), held.clone());
                std::thread::spawn(move || {
                    for _ in 0..20 {
                        let _l = DirLock::acquire(&d).unwrap();
                        let now = held.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        assert_eq!(now, 0, "two holders at once");
                        std::thread::sleep(Duration::from_micros(200));
                        held.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(!dir.path().join(LOCK_FILE).exists());
        // A lock file from a writer that died long ago does not block.
        let stale = dir.path().join(LOCK_FILE);
        fs::write(&stale, "gone 1\n").unwrap();
        let make_old = || {
            let old = SystemTime::now() - STALE - Duration::from_secs(5);
            let f = fs::File::options().write(true).open(&stale).unwrap();
            f.set_modified(old).unwrap();
        };
        make_old();
        let held = DirLock::acquire(dir.path()).unwrap();
        // A live holder's refresh keeps its lock from looking stale.
        make_old();
        held.refresh();
        let age = SystemTime::now()
            .duration_since(fs::metadata(&stale).unwrap().modified().unwrap())
            .unwrap();
        assert!(age < STALE, "{age:?}");
    }
}
