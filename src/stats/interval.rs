//! Distribution-free 95 % intervals that are honest at small n, so a handful of repetitions
//! never pretends to a precision it does not have:
//!
//! - the median's interval from order statistics (the binomial sign-test interval): exact
//!   coverage of at least 95 % for any continuous distribution, and none at all below 6 samples
//!   (with 5, even [min, max] covers the median only 94 % of the time);
//! - the ratio of two scenarios' typical values from the Hodges-Lehmann interval of the shift
//!   between their logarithms, with the exact Mann-Whitney null distribution (a normal
//!   approximation past 2500 pairs): every pair of samples contributes, and the interval widens
//!   as it should when either side is small or noisy.

/// Two-sided level of every interval.
pub const CONFIDENCE: f64 = 0.95;

/// Fewest samples for which the median has a 95 % interval: below it there is no verdict.
pub const MIN_SAMPLES: usize = 6;

/// The median's interval as 0-based indexes into the sorted samples, if one exists: the widest
/// `k` with P(Binomial(n, 1/2) < k) <= 2.5 % gives `[x(k), x(n - 1 - k)]` (0-based).
pub fn median_ci_ranks(n: usize) -> Option<(usize, usize)> {
    let alpha = (1.0 - CONFIDENCE) / 2.0;
    // P(B <= j) for B ~ Binomial(n, 1/2), accumulated in log space to stay finite.
    let mut cdf = 0.0;
    let mut k = None;
    let mut log_choose = 0.0f64; // ln C(n, j)
    for j in 0..n {
        if j > 0 {
            log_choose += ((n - j + 1) as f64).ln() - (j as f64).ln();
        }
        cdf += (log_choose - n as f64 * std::f64::consts::LN_2).exp();
        if cdf <= alpha {
            k = Some(j + 1);
        } else {
            break;
        }
    }
    // `k` samples below the lower end at most: the interval runs from rank k-1... to n-k.
    k.map(|k| (k - 1, n - k))
}

/// The median's 95 % interval of sorted samples, or `None` below [`MIN_SAMPLES`].
pub fn median_ci(sorted: &[f64]) -> Option<(f64, f64)> {
    let (lo, hi) = median_ci_ranks(sorted.len())?;
    Some((sorted[lo], sorted[hi]))
}

/// How many of the `m * n` pairwise differences to cut from each end for a 95 % interval of
/// the shift: the largest `c` with P(U < c) <= 2.5 % under the Mann-Whitney null. `None` when
/// the samples are too few for any 95 % interval. Remembered per (m, n): a sweep asks for the
/// same few sizes thousands of times.
fn mann_whitney_cut(m: usize, n: usize) -> Option<usize> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    type Cuts = Mutex<HashMap<(usize, usize), Option<usize>>>;
    static CUTS: OnceLock<Cuts> = OnceLock::new();
    let key = (m.min(n), m.max(n));
    let cuts = CUTS.get_or_init(Default::default);
    if let Some(c) = cuts.lock().expect("not poisoned").get(&key) {
        return *c;
    }
    let c = mann_whitney_cut_uncached(key.0, key.1);
    cuts.lock().expect("not poisoned").insert(key, c);
    c
}

fn mann_whitney_cut_uncached(m: usize, n: usize) -> Option<usize> {
    let alpha = (1.0 - CONFIDENCE) / 2.0;
    let total = m * n;
    if total == 0 {
        return None;
    }
    if total > 2500 {
        // Normal approximation of U's distribution.
        let mean = total as f64 / 2.0;
        let sd = ((m * n * (m + n + 1)) as f64 / 12.0).sqrt();
        let c = (mean - 1.959_963_985 * sd - 0.5).floor();
        return (c >= 1.0).then_some(c as usize);
    }
    // counts[u]: arrangements of m and n samples with U = u, built one sample at a time:
    // f(i, j, u) = f(i - 1, j, u - j) + f(i, j - 1, u). Counts as f64 (they reach C(m+n, m)).
    let mut f: Vec<Vec<f64>> = vec![vec![0.0; total + 1]; n + 1];
    for row in f.iter_mut() {
        row[0] = 1.0;
    }
    for i in 1..=m {
        let mut next: Vec<Vec<f64>> = vec![vec![0.0; total + 1]; n + 1];
        next[0][0] = 1.0;
        for j in 1..=n {
            for u in 0..=i * j {
                let a = if u >= j { f[j][u - j] } else { 0.0 };
                next[j][u] = a + next[j - 1][u];
            }
        }
        f = next;
    }
    let counts = &f[n];
    let all: f64 = counts.iter().sum();
    let mut below = 0.0;
    let mut cut = 0;
    for (u, c) in counts.iter().enumerate() {
        // P(U < u + 1) = P(U <= u)
        below += c;
        if below / all <= alpha {
            cut = u + 1;
        } else {
            break;
        }
    }
    (cut >= 1).then_some(cut)
}

/// The 95 % interval of `typical(b) / typical(a)` for positive samples: the Hodges-Lehmann
/// interval of the shift between `ln b` and `ln a`, exponentiated. `None` when either side is
/// too small for one.
pub fn ratio_ci(a: &[f64], b: &[f64]) -> Option<(f64, f64)> {
    if a.iter().chain(b).any(|x| *x <= 0.0) {
        return None;
    }
    let cut = mann_whitney_cut(a.len(), b.len())?;
    let mut d: Vec<f64> = a
        .iter()
        .flat_map(|x| b.iter().map(move |y| y.ln() - x.ln()))
        .collect();
    d.sort_by(|x, y| x.total_cmp(y));
    let len = d.len();
    Some((d[cut - 1].exp(), d[len - cut].exp()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_ranks_match_the_tables() {
        // Binomial sign-test intervals (e.g. Conover's table): none below 6 samples.
        assert_eq!(median_ci_ranks(5), None);
        assert_eq!(median_ci_ranks(6), Some((0, 5)));
        assert_eq!(median_ci_ranks(9), Some((1, 7)));
        assert_eq!(median_ci_ranks(20), Some((5, 14)));
    }

    #[test]
    fn mann_whitney_cut_matches_the_tables() {
        // Two-sided 5 % critical values of U (lower tail P(U <= u) <= 2.5 %): 5x5 -> 2,
        // 6x6 -> 5, 10x10 -> 23, so the interval cuts that many plus one.
        assert_eq!(mann_whitney_cut(5, 5), Some(3));
        assert_eq!(mann_whitney_cut(6, 6), Some(6));
        assert_eq!(mann_whitney_cut(10, 10), Some(24));
        assert_eq!(mann_whitney_cut(3, 3), None);
        // The normal approximation agrees closely with the exact count where both apply.
        let m = 50;
        let approx = (m * m) as f64 / 2.0
            - 1.959_963_985 * ((m * m * (2 * m + 1)) as f64 / 12.0).sqrt()
            - 0.5;
        let exact = mann_whitney_cut(m, m).unwrap() as f64;
        assert!((approx.floor() - exact).abs() <= 2.0, "{approx} vs {exact}");
    }

    #[test]
    fn ratio_interval_covers_a_known_shift() {
        let a: Vec<f64> = (0..10).map(|i| 100.0 + i as f64).collect();
        let b: Vec<f64> = a.iter().map(|x| x * 1.5).collect();
        let (lo, hi) = ratio_ci(&a, &b).unwrap();
        assert!(lo < 1.5 && 1.5 < hi && lo > 1.3 && hi < 1.7, "{lo} {hi}");
        assert!(ratio_ci(&a[..3], &b[..3]).is_none());
        assert!(ratio_ci(&[0.0; 8], &b).is_none());
    }
}
