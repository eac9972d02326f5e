//! Distribution-free 95 % intervals that are honest at small n, so a handful of repetitions
//! never pretends to a precision it does not have:
//!
//! - the median's interval from order statistics (the binomial sign-test interval): exact
//!   coverage of at least 95 % for any continuous distribution, and none at all below 6 samples
//!   (with 5, even [min, max] covers the median only 94 % of the time);
//! - the ratio of two scenarios' typical values from the Hodges-Lehmann interval of the shift
//!   between their logarithms, with the exact Mann-Whitney null distribution (a normal
//!   approximation past 2500 pairs): every pair of samples contributes, and the interval widens
//!   as it should when either side is small or noisy;
//! - the same ratio from *paired* samples, when each repetition of B ran beside one of A in the
//!   same interleaved pass: the Hodges-Lehmann interval of the median log ratio within pairs,
//!   with the exact Wilcoxon signed-rank null distribution (normal past 60 pairs). A machine
//!   whose speed drifts from pass to pass (a shared host, a KVM guest) moves both sides of a pair
//!   alike, so the drift cancels instead of widening the interval. The signed-rank interval
//!   assumes the ratios are symmetric about their centre; where they fall into two clusters
//!   (some passes collapsed), the median ratio and its sign-test interval, which assume
//!   nothing, are used instead.

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
    let total = m * n;
    if total == 0 {
        return None;
    }
    if total > 2500 {
        // Normal approximation of U's distribution.
        return normal_cut(
            total as f64 / 2.0,
            ((m * n * (m + n + 1)) as f64 / 12.0).sqrt(),
        );
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
    exact_cut(counts, counts.iter().sum())
}

/// The cut for a 95 % interval from a statistic's exact null distribution (`counts[s]`
/// arrangements give it the value `s`, of `all`): the largest `c` with P(S < c) <= 2.5 %, none
/// when even the smallest value is likelier.
fn exact_cut(counts: &[f64], all: f64) -> Option<usize> {
    let alpha = (1.0 - CONFIDENCE) / 2.0;
    let mut below = 0.0;
    let mut cut = 0;
    for (s, c) in counts.iter().enumerate() {
        // P(S < s + 1) = P(S <= s)
        below += c;
        if below / all <= alpha {
            cut = s + 1;
        } else {
            break;
        }
    }
    (cut >= 1).then_some(cut)
}

/// The same cut from a normal approximation of the statistic (mean, standard deviation), with
/// a continuity correction.
fn normal_cut(mean: f64, sd: f64) -> Option<usize> {
    let c = (mean - 1.959_963_985 * sd - 0.5).floor();
    (c >= 1.0).then_some(c as usize)
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

/// How many of the `n (n + 1) / 2` Walsh averages to cut from each end for a 95 % interval of
/// the median of `n` paired differences: the largest `c` with P(W < c) <= 2.5 % under the
/// signed-rank null. `None` when `n` is too small for any 95 % interval (below 6).
fn signed_rank_cut(n: usize) -> Option<usize> {
    let total = n * (n + 1) / 2;
    if n == 0 {
        return None;
    }
    if n > 60 {
        return normal_cut(
            total as f64 / 2.0,
            ((n * (n + 1) * (2 * n + 1)) as f64 / 24.0).sqrt(),
        );
    }
    // counts[w]: subsets of the ranks 1..=n summing to w (each rank's sign is a fair coin).
    let mut counts = vec![0.0f64; total + 1];
    counts[0] = 1.0;
    for rank in 1..=n {
        for w in (rank..=total).rev() {
            counts[w] += counts[w - rank];
        }
    }
    exact_cut(&counts, 2f64.powi(n as i32))
}

/// The typical ratio B / A of paired positive samples `(a, b)` and its 95 % interval: the
/// Hodges-Lehmann estimate (median of the Walsh averages of `ln b - ln a`) and the signed-rank
/// interval about it, exponentiated; for ratios in two clusters, their median and its
/// sign-test interval. `None` when a sample is not positive or the pairs are too few for an
/// interval.
pub fn paired_ratio(pairs: &[(f64, f64)]) -> Option<(f64, (f64, f64))> {
    if pairs.iter().any(|(a, b)| *a <= 0.0 || *b <= 0.0) {
        return None;
    }
    let cut = signed_rank_cut(pairs.len())?;
    let mut ratios: Vec<f64> = pairs.iter().map(|(a, b)| b / a).collect();
    ratios.sort_by(|x, y| x.total_cmp(y));
    if super::modes(&ratios).is_some() {
        let n = ratios.len();
        let centre = (ratios[(n - 1) / 2] * ratios[n / 2]).sqrt();
        return Some((centre, median_ci(&ratios)?));
    }
    let d: Vec<f64> = pairs.iter().map(|(a, b)| b.ln() - a.ln()).collect();
    let mut walsh: Vec<f64> = Vec::with_capacity(d.len() * (d.len() + 1) / 2);
    for (i, x) in d.iter().enumerate() {
        for y in &d[i..] {
            walsh.push((x + y) / 2.0);
        }
    }
    walsh.sort_by(|x, y| x.total_cmp(y));
    let len = walsh.len();
    let centre = super::median_sorted(&walsh);
    Some((centre.exp(), (walsh[cut - 1].exp(), walsh[len - cut].exp())))
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

    #[test]
    fn signed_rank_cut_matches_the_tables() {
        // Two-sided 5 % critical values of Wilcoxon's T (P(T <= t) <= 2.5 %): n=6 -> 0, n=8 -> 3,
        // n=10 -> 8, n=20 -> 52, n=30 -> 137; the interval cuts that many plus one.
        assert_eq!(signed_rank_cut(5), None);
        assert_eq!(signed_rank_cut(6), Some(1));
        assert_eq!(signed_rank_cut(8), Some(4));
        assert_eq!(signed_rank_cut(10), Some(9));
        assert_eq!(signed_rank_cut(20), Some(53));
        assert_eq!(signed_rank_cut(30), Some(138));
        // The normal approximation agrees with the exact count where both could apply.
        let n = 60usize;
        let exact = signed_rank_cut(n).unwrap() as f64;
        let total = (n * (n + 1) / 2) as f64;
        let approx = (total / 2.0
            - 1.959_963_985 * ((n * (n + 1) * (2 * n + 1)) as f64 / 24.0).sqrt()
            - 0.5)
            .floor();
        assert!((approx - exact).abs() <= 3.0, "{approx} vs {exact}");
    }

    #[test]
    fn pairing_cancels_a_drift_that_the_unpaired_interval_cannot() {
        // Ten passes whose speed drifts by +-20 %, B 3 % faster than A within each pass (with
        // a little noise of its own): paired, the interval is about 1.03 and clears 1; unpaired,
        // the drift swamps it.
        let drift = [1.0, 1.2, 0.8, 1.1, 0.9, 1.15, 0.85, 1.05, 0.95, 1.0];
        let wobble = [
            0.0, 0.004, -0.003, 0.002, -0.001, 0.003, -0.004, 0.001, 0.0, -0.002,
        ];
        let pairs: Vec<(f64, f64)> = drift
            .iter()
            .zip(wobble)
            .map(|(d, w)| (100.0 * d, 103.0 * d * (1.0 + w)))
            .collect();
        let (r, (lo, hi)) = paired_ratio(&pairs).unwrap();
        assert!((r - 1.03).abs() < 0.002, "{r}");
        assert!(lo > 1.02 && hi < 1.04, "{lo} {hi}");
        let (a, b): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
        let (ulo, uhi) = ratio_ci(&a, &b).unwrap();
        assert!(ulo < 1.0 && uhi > 1.06, "{ulo} {uhi}");
        assert!(paired_ratio(&pairs[..5]).is_none());
        assert!(paired_ratio(&[(0.0, 1.0); 8]).is_none());
    }

    #[test]
    fn ratios_in_two_clusters_are_judged_by_their_median() {
        // Nine passes alike, three in which B collapsed to half: the Hodges-Lehmann centre of
        // such ratios would be pulled to ~0.8, a speed no pass ran at; the median is ~1.
        let ratios = [
            1.0, 0.99, 1.01, 0.5, 1.02, 0.98, 0.52, 1.0, 1.01, 0.55, 0.99, 1.0,
        ];
        let pairs: Vec<(f64, f64)> = ratios.iter().map(|r| (100.0, 100.0 * r)).collect();
        let (r, (lo, hi)) = paired_ratio(&pairs).unwrap();
        assert!((r - 0.995).abs() < 0.01, "{r}");
        assert!(lo <= r && r <= hi && lo >= 0.5 && hi <= 1.02, "{lo} {hi}");
    }
}
