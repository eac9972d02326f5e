//! UTC timestamps and run ids without a date library: the civil-from-days algorithm of Howard
//! Hinnant, exact for the proleptic Gregorian calendar.

use std::time::{SystemTime, UNIX_EPOCH};

fn civil(secs: u64) -> (i64, u32, u32, u32, u32, u32) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
    )
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `2026-11-22T04:15:00Z`
pub fn utc_timestamp() -> String {
    let (y, m, d, h, mi, s) = civil(now_secs());
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `20261122T041500Z-1a2b`: sortable, unique per process.
pub fn run_id_now() -> String {
    let (y, m, d, h, mi, s) = civil(now_secs());
    // The process id alone repeats across the nodes of a cluster job started in one second:
    // the host's name goes into the id too.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let h32 = host.trim().bytes().fold(2166136261u32, |a, b| {
        (a ^ u32::from(b)).wrapping_mul(16777619)
    });
    format!(
        "{y:04}{m:02}{d:02}T{h:02}{mi:02}{s:02}Z-{:04x}{:04x}",
        std::process::id() & 0xffff,
        h32 & 0xffff
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_dates() {
        assert_eq!(super::civil(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(super::civil(951_782_400), (2000, 2, 29, 0, 0, 0));
        assert_eq!(super::civil(1_795_317_300), (2026, 11, 22, 3, 15, 0));
    }
}
