//! Byte sizes as people and sysfs write them: one parser and two formatters for the whole crate
//! (workload names such as `cache:24KiB`, sysfs cache sizes such as `32K`, topology trees).

/// Parses `24KiB`, `64MiB`, `1GiB`, `32K`, `24M`, `512` (bytes). Units are binary: `K` and
/// `KiB` mean 1024 bytes, as sysfs and the kernel write them. `KB`, `MB`, `GB` are refused
/// rather than guessed: SI or binary, a user who wrote them meant one of the two.
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult: u64 = match unit.trim() {
        "" | "B" => 1,
        "K" | "KiB" | "k" => 1 << 10,
        "M" | "MiB" | "m" => 1 << 20,
        "G" | "GiB" | "g" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// Writes a size in the largest binary unit that divides it exactly (`1536KiB`, `64MiB`):
/// the form workload names take, so a name parses back to the same size.
pub fn format_size(bytes: u64) -> String {
    for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{}{unit}", bytes >> shift);
        }
    }
    format!("{bytes}B")
}

/// Writes a size for reading, to one decimal in the largest unit below it (`1.5MiB`).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 {
        format!("{value:.0}{}", UNITS[unit])
    } else {
        format!("{value:.1}{}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_sysfs_sizes() {
        assert_eq!(parse_size("24KiB"), Some(24 << 10));
        assert_eq!(parse_size("32K"), Some(32 << 10));
        assert_eq!(parse_size("24M"), Some(24 << 20));
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("K"), None);
        assert_eq!(parse_size("12XB"), None);
        assert_eq!(
            parse_size("64MB"),
            None,
            "SI or binary? refused, not guessed"
        );
        assert_eq!(parse_size("99999999999999999999G"), None);
    }

    #[test]
    fn formats_round_trip() {
        for b in [128, 24 << 10, 1536 << 10, 64 << 20, 1 << 30] {
            assert_eq!(parse_size(&format_size(b)), Some(b));
        }
        assert_eq!(human_size(1536 << 10), "1.5MiB");
        assert_eq!(human_size(32 << 10), "32KiB");
    }
}
