//! Multimodality: samples that fall into two separated clusters (the scheduler put a pair on
//! one CPU in some repetitions and on two in others). The median of such samples describes
//! neither cluster, so they are flagged with both modes instead of being summarised as one.

/// Two clusters of samples: the median and count of each.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Modes {
    pub low: f64,
    pub low_n: usize,
    pub high: f64,
    pub high_n: usize,
}

/// The smallest relative gap between neighbouring samples that separates clusters: 25 %.
const GAP: f64 = 0.223_143_551; // ln 1.25

/// Clusters sorted positive samples by their gaps (single linkage on a log scale: a gap of 25 %
/// or more between neighbours starts a new cluster). The samples are multimodal when at least
/// 2 of them, and 15 %, lie outside the largest cluster; the modes are that main cluster and
/// the samples outside it, each with its median and count, lower first. A lone straggler is an
/// outlier (Tukey's fences flag it), not a mode.
pub fn modes(sorted: &[f64]) -> Option<Modes> {
    let n = sorted.len();
    if n < 4 || sorted[0] <= 0.0 {
        return None;
    }
    let mut clusters: Vec<std::ops::Range<usize>> = Vec::new();
    let mut start = 0;
    for i in 1..n {
        if sorted[i].ln() - sorted[i - 1].ln() >= GAP {
            clusters.push(start..i);
            start = i;
        }
    }
    clusters.push(start..n);
    // The largest cluster; among equals, the faster one.
    let main = clusters
        .iter()
        .max_by_key(|c| (c.len(), c.start))
        .cloned()?;
    let outside = n - main.len();
    if clusters.len() < 2 || outside < 2.max((0.15 * n as f64).ceil() as usize) {
        return None;
    }
    let rest: Vec<f64> = sorted[..main.start]
        .iter()
        .chain(&sorted[main.end..])
        .copied()
        .collect();
    let med = |s: &[f64]| super::median(s).unwrap_or(f64::NAN);
    let (m, r) = (
        (med(&sorted[main.clone()]), main.len()),
        (med(&rest), rest.len()),
    );
    let ((low, low_n), (high, high_n)) = if m.0 <= r.0 { (m, r) } else { (r, m) };
    Some(Modes {
        low,
        low_n,
        high,
        high_n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_clusters_are_found_with_both_modes() {
        // The ipc:pipe `none` baseline of the issue: two slow repetitions among fast ones.
        let mut xs = vec![7086.0, 51981.0, 111e3, 118e3, 124e3, 131e3, 127e3, 115e3];
        xs.sort_by(f64::total_cmp);
        let m = modes(&xs).unwrap();
        assert_eq!((m.low_n, m.high_n), (2, 6));
        assert!(m.low < 52e3 && m.high > 110e3);
        // shm: two fast repetitions of three... and one that collapsed, among more samples.
        let mut ys = vec![12.5e6, 15.2e6, 39e3, 41e3, 14e6, 13e6];
        ys.sort_by(f64::total_cmp);
        assert_eq!(modes(&ys).map(|m| (m.low_n, m.high_n)), Some((2, 4)));
    }

    #[test]
    fn one_cluster_or_one_straggler_is_not_multimodal() {
        let tight = [100.0, 101.0, 99.0, 102.0, 98.0, 100.5];
        let mut v = tight.to_vec();
        v.sort_by(f64::total_cmp);
        assert_eq!(modes(&v), None);
        let mut straggler = vec![50.0, 100.0, 101.0, 99.0, 102.0, 98.0, 100.5];
        straggler.sort_by(f64::total_cmp);
        assert_eq!(modes(&straggler), None);
        // A wide but even spread has no gap that stands out.
        let spread: Vec<f64> = (0..10).map(|i| 90.0 + i as f64 * 2.0).collect();
        assert_eq!(modes(&spread), None);
    }
}
