//! Reading the small text files of `/proc` in as few system calls as the kernel allows.
//!
//! `std::fs::read_to_string` asks for the file's size first (`statx`), and a `/proc` file says
//! 0, so it then probes with a 32-byte read before reading the rest: six calls for a 200-byte
//! `stat`. pinbench's watchdog reads several such files per task every tick; here a read is
//! `openat`, one `read` into a page-sized buffer, the `read` that returns 0, and `close`
//! (strace of the watchdog beside a two-worker Pool, 67-75 ticks: 134 calls a tick before, 92
//! after; its CPU, 11-17 ms a second either way, did not measurably change).

use std::io::{self, Read};
use std::path::Path;

/// The whole file as bytes, as `std::fs::read` gives it (the error of a task that is gone is
/// ENOENT or ESRCH).
pub fn read_bytes(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let mut file = std::fs::File::open(path)?;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Ok(out),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// The whole file as text, as `std::fs::read_to_string` gives it.
pub fn read(path: impl AsRef<Path>) -> io::Result<String> {
    String::from_utf8(read_bytes(path)?).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_proc_file_whole_and_a_missing_one_as_none() {
        let stat = read("/proc/self/stat").expect("our own stat");
        // The last field of a stat line, past the command's parentheses.
        assert!(stat.trim_end().rsplit(' ').next().is_some());
        assert!(stat.ends_with('\n'), "{stat:?}");
        let missing = read("/proc/self/nonexistent").unwrap_err();
        assert_eq!(missing.raw_os_error(), Some(libc::ENOENT));
        // Longer than one buffer: every byte, in order.
        let dir = tempfile::tempdir().unwrap();
        let big: String = (0..3000).map(|i| format!("{i}\n")).collect();
        std::fs::write(dir.path().join("big"), &big).unwrap();
        assert_eq!(read(dir.path().join("big")).unwrap(), big);
    }
}
