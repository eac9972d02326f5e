//! Small pieces of English for messages: "1 package", "2 packages".

/// `n` and the noun, plural when `n` is not 1 (`1 worker`, `4 workers`, `1 NUMA node`).
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Seconds as a person reads them: `45 s`, `12 min`, `3.2 h`.
pub fn duration_words(secs: f64) -> String {
    if secs < 90.0 {
        format!("{secs:.0} s")
    } else if secs < 5400.0 {
        format!("{:.0} min", secs / 60.0)
    } else {
        format!("{:.1} h", secs / 3600.0)
    }
}

/// SMT as sysfs's `smt/control` word says it, in words (`notsupported` -> `not supported`).
pub fn smt_words(control: &str) -> &str {
    match control {
        "notsupported" => "not supported",
        "notimplemented" => "not implemented",
        "forceoff" => "forced off",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn plurals() {
        assert_eq!(super::count(1, "package"), "1 package");
        assert_eq!(super::count(4, "CPU"), "4 CPUs");
        assert_eq!(super::count(0, "worker"), "0 workers");
        assert_eq!(super::smt_words("notsupported"), "not supported");
    }
}
