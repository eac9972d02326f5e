//! Statistics over repeated measurements, in the manner of criterion and pyperf: a robust
//! centre (median) with a distribution-free interval that is honest at small n, spread (SD, CV),
//! Tukey outliers that are flagged and never dropped, separated clusters flagged with both
//! modes, and speedups between two samples with their own interval and a verdict that only
//! calls a difference the interval supports and the sweep's noise floor does not explain.
//! Below [`MIN_SAMPLES`] there is no interval and no verdict, only "insufficient samples".

mod better;
mod interval;
mod modes;

use serde::{Deserialize, Serialize};

pub use better::Better;
pub use interval::{CONFIDENCE, MIN_SAMPLES, median_ci, paired_ratio, ratio_ci};
pub use modes::{Modes, modes};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    #[error("no samples")]
    Empty,
    #[error("sample {index} is {value}: every sample must be a finite number")]
    NotFinite { index: usize, value: f64 },
}

fn check(xs: &[f64]) -> Result<(), StatsError> {
    if xs.is_empty() {
        return Err(StatsError::Empty);
    }
    match xs.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(StatsError::NotFinite {
            index,
            value: xs[index],
        }),
        None => Ok(()),
    }
}

fn sorted(xs: &[f64]) -> Vec<f64> {
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

/// Median of sorted values.
fn median_sorted(v: &[f64]) -> f64 {
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

pub fn median(xs: &[f64]) -> Result<f64, StatsError> {
    check(xs)?;
    Ok(median_sorted(&sorted(xs)))
}

/// Linear-interpolation quantile (type 7, as R and numpy default) of sorted values.
fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    let pos = q * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

pub use crate::rng::Rng;

/// Summary of one scenario's samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub median: f64,
    /// The median's 95 % interval; `None` below [`MIN_SAMPLES`].
    pub ci: Option<(f64, f64)>,
    pub mean: f64,
    pub sd: f64,
    /// Coefficient of variation, SD / mean.
    pub cv: f64,
    pub min: f64,
    pub max: f64,
    /// Samples beyond Tukey's fences (1.5 IQR), one flag per input sample.
    pub outliers: Vec<bool>,
    /// Two separated clusters, when the samples fall into them.
    pub modes: Option<Modes>,
}

/// CV above which a scenario is flagged noisy.
pub const NOISY_CV: f64 = 0.05;

impl Summary {
    pub fn of(xs: &[f64]) -> Result<Self, StatsError> {
        check(xs)?;
        let v = sorted(xs);
        let n = xs.len();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let sd = if n > 1 {
            (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        let (q1, q3) = (quantile_sorted(&v, 0.25), quantile_sorted(&v, 0.75));
        let iqr = q3 - q1;
        let (lo, hi) = (q1 - 1.5 * iqr, q3 + 1.5 * iqr);
        Ok(Self {
            n,
            median: median_sorted(&v),
            ci: median_ci(&v),
            mean,
            sd,
            cv: if mean != 0.0 { sd / mean.abs() } else { 0.0 },
            min: v[0],
            max: v[n - 1],
            outliers: xs.iter().map(|x| *x < lo || *x > hi).collect(),
            modes: modes(&v),
        })
    }

    pub fn outlier_count(&self) -> usize {
        self.outliers.iter().filter(|o| **o).count()
    }

    /// Half the median interval's width relative to the median: the precision reached.
    pub fn precision(&self) -> Option<f64> {
        let (lo, hi) = self.ci?;
        (self.median > 0.0).then(|| (hi - lo) / 2.0 / self.median)
    }

    /// Too few samples, a CV over 5 %, or two modes.
    pub fn noisy(&self) -> bool {
        self.cv > NOISY_CV || self.n < MIN_SAMPLES || self.modes.is_some()
    }
}

/// What a comparison of a scenario with `none` concludes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// The speedup's interval lies above 1 by more than the threshold and the noise floor.
    Faster,
    /// ... below 1 by as much.
    Slower,
    /// The whole interval lies inside 1 +- the band: an equivalence, as the TOST procedure
    /// states it. Any difference is smaller than the noise or the threshold.
    NoDifference,
    /// Neither: the interval reaches past the band on at least one side without clearing it;
    /// the two could be as far apart as the interval says. More repetitions or a quieter
    /// machine would tell.
    Inconclusive,
    /// Fewer than [`MIN_SAMPLES`] on either side: no interval, no verdict.
    Insufficient,
    /// The placement is `none`'s own: never judged against it (an A/A pair).
    SamePlacement,
    /// A user's program whose work did not run where the plan put it (too little of its CPU
    /// time ran in its slots): the plan is not judged.
    NotAchieved,
}

impl Verdict {
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Faster => "faster",
            Verdict::Slower => "slower",
            Verdict::NoDifference => "no difference",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Insufficient => "insufficient samples",
            Verdict::SamePlacement => "same placement",
            Verdict::NotAchieved => "placement not achieved",
        }
    }

    pub const ALL: [Verdict; 7] = [
        Verdict::Faster,
        Verdict::Slower,
        Verdict::NoDifference,
        Verdict::Inconclusive,
        Verdict::Insufficient,
        Verdict::SamePlacement,
        Verdict::NotAchieved,
    ];

    /// Whether this calls a difference (faster or slower).
    pub fn is_difference(&self) -> bool {
        matches!(self, Verdict::Faster | Verdict::Slower)
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Verdict {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Verdict::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown verdict `{s}`"))
    }
}

serde_as_text!(Verdict);

/// Speedup of B over A (median B / median A, for higher-is-better figures) with the 95 %
/// interval of the ratio, and what it concludes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Speedup {
    pub ratio: f64,
    pub ci: Option<(f64, f64)>,
    pub verdict: Verdict,
}

/// Default half-width of the "same" band around 1: differences under 2 % are not called.
pub const NOISE_THRESHOLD: f64 = 0.02;

/// Compares B with A. A difference is called only when both have [`MIN_SAMPLES`], and the
/// ratio's interval clears 1 by the larger of `threshold` and `floor` (the sweep's noise floor:
/// how far apart identical placements came out).
pub fn speedup(a: &[f64], b: &[f64], threshold: f64, floor: f64) -> Result<Speedup, StatsError> {
    speedup_within(a, b, Bands::both(threshold.max(floor)))
}

/// [`speedup`] against two bands.
fn speedup_within(a: &[f64], b: &[f64], bands: Bands) -> Result<Speedup, StatsError> {
    check(a)?;
    check(b)?;
    let ci = ratio_ci(a, b);
    let enough = a.len() >= MIN_SAMPLES && b.len() >= MIN_SAMPLES;
    Ok(Speedup {
        ratio: median_ratio(a, b)?,
        ci,
        verdict: judge(ci.filter(|_| enough), bands),
    })
}

/// Median B over median A (infinite over a zero median).
fn median_ratio(a: &[f64], b: &[f64]) -> Result<f64, StatsError> {
    let (ma, mb) = (median(a)?, median(b)?);
    Ok(if ma != 0.0 { mb / ma } else { f64::INFINITY })
}

/// Compares B with A from repetitions run side by side: `pairs` holds, per interleaved pass,
/// A's and B's throughput in that pass. The ratio is the typical ratio within a pass and its
/// interval the paired one ([`paired_ratio`]), judged as [`speedup`] judges: what the two sides
/// share (the machine's speed in that pass) cancels.
pub fn paired_speedup(
    pairs: &[(f64, f64)],
    threshold: f64,
    floor: f64,
) -> Result<Speedup, StatsError> {
    paired_within(pairs, Bands::both(threshold.max(floor)))
}

fn paired_within(pairs: &[(f64, f64)], bands: Bands) -> Result<Speedup, StatsError> {
    let (a, b): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
    check(&a)?;
    check(&b)?;
    let (ratio, ci) = match paired_ratio(pairs) {
        Some((r, ci)) => (r, Some(ci)),
        None => (median_ratio(&a, &b)?, None),
    };
    Ok(Speedup {
        ratio,
        ci,
        verdict: judge(ci, bands),
    })
}

/// Compares B with A as the runs allow: paired ([`paired_speedup`]) when at least
/// [`MIN_SAMPLES`] passes hold both and the two rose and fell together across them (a positive
/// rank correlation: a drift of the machine, which pairing cancels); else as independent
/// samples ([`speedup`]), where one-off dips would spoil a pair on either side. Returns the
/// speedup and the number of pairs when paired.
pub fn compare(
    a: &[f64],
    b: &[f64],
    pairs: &[(f64, f64)],
    threshold: f64,
    floor: f64,
) -> Result<(Speedup, Option<usize>), StatsError> {
    compare_within(a, b, pairs, Bands::both(threshold.max(floor)))
}

/// [`compare`] against two bands: the one a difference must clear and the one an equivalence
/// must fit inside.
pub fn compare_within(
    a: &[f64],
    b: &[f64],
    pairs: &[(f64, f64)],
    bands: Bands,
) -> Result<(Speedup, Option<usize>), StatsError> {
    if pairs.len() >= MIN_SAMPLES && rank_correlation(pairs) > 0.0 {
        return Ok((paired_within(pairs, bands)?, Some(pairs.len())));
    }
    Ok((speedup_within(a, b, bands)?, None))
}

/// The half-widths around 1 a speedup's interval is judged against: *faster* and *slower* must
/// clear `difference` (the threshold, or how far apart identical placements came out, the
/// larger), *no difference* must fit inside `equivalence` (the threshold, or the part of that
/// spread the identical placements' own interval supports, the larger). The two differ where
/// identical placements came out apart by chance: that spread holds back a claimed difference,
/// but does not make a wide interval an equivalence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bands {
    pub difference: f64,
    pub equivalence: f64,
}

impl Bands {
    /// One band for both.
    pub fn both(band: f64) -> Self {
        Bands {
            difference: band,
            equivalence: band,
        }
    }
}

/// Spearman's rank correlation of the pairs (ties ranked in order of appearance); 0 when a
/// side is constant.
pub fn rank_correlation(pairs: &[(f64, f64)]) -> f64 {
    let ranks = |side: &dyn Fn(&(f64, f64)) -> f64| -> Vec<f64> {
        let mut order: Vec<usize> = (0..pairs.len()).collect();
        order.sort_by(|&i, &j| side(&pairs[i]).total_cmp(&side(&pairs[j])));
        let mut r = vec![0.0; pairs.len()];
        for (rank, i) in order.into_iter().enumerate() {
            r[i] = rank as f64;
        }
        r
    };
    let (ra, rb) = (ranks(&|p| p.0), ranks(&|p| p.1));
    let n = pairs.len() as f64;
    let mean = (n - 1.0) / 2.0;
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        cov += (x - mean) * (y - mean);
        va += (x - mean).powi(2);
        vb += (y - mean).powi(2);
    }
    if va > 0.0 && vb > 0.0 {
        cov / (va * vb).sqrt()
    } else {
        0.0
    }
}

/// The verdict an interval supports against the bands; no interval, no verdict.
fn judge(ci: Option<(f64, f64)>, bands: Bands) -> Verdict {
    let (d, e) = (bands.difference, bands.equivalence.min(bands.difference));
    match ci {
        None => Verdict::Insufficient,
        Some((lo, _)) if lo > 1.0 + d => Verdict::Faster,
        Some((_, hi)) if hi < 1.0 - d => Verdict::Slower,
        Some((lo, hi)) if lo >= 1.0 - e && hi <= 1.0 + e => Verdict::NoDifference,
        Some(_) => Verdict::Inconclusive,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_medians_and_spread() {
        assert_eq!(median(&[3.0, 1.0, 2.0]).unwrap(), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]).unwrap(), 2.5);
        let s = Summary::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!(s.mean, 5.0);
        assert!((s.sd - 2.138089935).abs() < 1e-6);
        assert_eq!((s.min, s.max, s.median), (2.0, 9.0, 4.5));
        assert!((s.cv - s.sd / 5.0).abs() < 1e-12);
    }

    #[test]
    fn interval_contains_the_estimate_and_shrinks_with_n() {
        let mut rng = Rng::new(42);
        let mut noise = |n: usize| -> Vec<f64> {
            (0..n)
                .map(|_| 100.0 + (rng.next_u64() % 1000) as f64 / 100.0)
                .collect()
        };
        let small = noise(8);
        let large = noise(200);
        let s = Summary::of(&small).unwrap();
        let l = Summary::of(&large).unwrap();
        let (slo, shi) = s.ci.unwrap();
        let (llo, lhi) = l.ci.unwrap();
        assert!(slo <= s.median && s.median <= shi);
        assert!(llo <= l.median && l.median <= lhi);
        assert!(lhi - llo < shi - slo);
        assert!(l.precision().unwrap() < s.precision().unwrap());
    }

    #[test]
    fn too_few_samples_have_no_interval_and_no_verdict() {
        // One sample used to give a point interval and a verdict; now neither.
        let one = Summary::of(&[1.0]).unwrap();
        assert_eq!(one.ci, None);
        assert!(one.noisy());
        let five = [100.0, 101.0, 99.0, 100.5, 99.5];
        assert_eq!(Summary::of(&five).unwrap().ci, None);
        let b: Vec<f64> = five.iter().map(|x| x * 1.5).collect();
        assert_eq!(
            speedup(&five, &b, 0.02, 0.0).unwrap().verdict,
            Verdict::Insufficient
        );
        assert_eq!(
            speedup(&[1.0], &[1.092], 0.02, 0.0).unwrap().verdict,
            Verdict::Insufficient
        );
    }

    #[test]
    fn permutation_invariant() {
        let xs = [5.0, 1.0, 9.0, 3.0, 7.0, 2.0];
        let mut ys = xs;
        ys.reverse();
        let a = Summary::of(&xs).unwrap();
        let b = Summary::of(&ys).unwrap();
        assert_eq!(
            (a.median, a.mean, a.sd, a.min, a.max, a.ci),
            (b.median, b.mean, b.sd, b.min, b.max, b.ci)
        );
        assert_eq!(speedup(&xs, &ys, 0.02, 0.0), speedup(&ys, &xs, 0.02, 0.0));
    }

    #[test]
    fn nan_and_empty_are_refused() {
        assert_eq!(median(&[]), Err(StatsError::Empty));
        assert!(matches!(
            Summary::of(&[1.0, f64::NAN]),
            Err(StatsError::NotFinite { index: 1, .. })
        ));
        assert!(speedup(&[1.0], &[f64::INFINITY], 0.02, 0.0).is_err());
    }

    #[test]
    fn outliers_flagged_not_dropped() {
        let s = Summary::of(&[10.0, 10.1, 9.9, 10.0, 10.2, 50.0]).unwrap();
        assert_eq!(s.outliers, vec![false, false, false, false, false, true]);
        assert_eq!(s.n, 6);
        assert_eq!(s.max, 50.0);
    }

    #[test]
    fn paired_verdicts_see_through_a_drifting_machine() {
        // Every pass runs at its own speed; B is 5 % slower than A within each one.
        let speed = [1.0, 1.3, 0.7, 1.1, 0.9, 1.25, 0.8, 1.05];
        let pairs: Vec<(f64, f64)> = speed
            .iter()
            .enumerate()
            .map(|(i, s)| (100.0 * s, 95.0 * s * (1.0 + 0.002 * (i % 3) as f64)))
            .collect();
        let sp = paired_speedup(&pairs, 0.02, 0.0).unwrap();
        assert_eq!(sp.verdict, Verdict::Slower, "{sp:?}");
        assert!((sp.ratio - 0.952).abs() < 0.005, "{sp:?}");
        let (a, b): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
        assert_eq!(
            speedup(&a, &b, 0.02, 0.0).unwrap().verdict,
            Verdict::Inconclusive
        );
        // Identical within every pass: no difference, however much the passes differ.
        let same: Vec<(f64, f64)> = speed.iter().map(|s| (100.0 * s, 100.2 * s)).collect();
        assert_eq!(
            paired_speedup(&same, 0.02, 0.0).unwrap().verdict,
            Verdict::NoDifference
        );
        assert_eq!(
            paired_speedup(&same[..5], 0.02, 0.0).unwrap().verdict,
            Verdict::Insufficient
        );
    }

    #[test]
    fn pairs_that_do_not_move_together_are_compared_as_independent_samples() {
        // A drift shared by both sides: paired.
        let drift: Vec<(f64, f64)> = (0..8)
            .map(|i| {
                let s = 1.0 + 0.1 * (i % 4) as f64;
                (100.0 * s, 104.0 * s)
            })
            .collect();
        let (a, b): (Vec<f64>, Vec<f64>) = drift.iter().copied().unzip();
        let (sp, paired) = compare(&a, &b, &drift, 0.02, 0.0).unwrap();
        assert_eq!(paired, Some(8));
        assert_eq!(sp.verdict, Verdict::Faster);
        // One-off dips on either side, nothing shared: independent samples.
        let a = [100.0, 70.0, 100.5, 99.5, 100.2, 99.8, 100.1, 99.9];
        let b = [103.9, 104.3, 73.0, 104.2, 103.7, 104.1, 103.8, 104.0];
        let dips: Vec<(f64, f64)> = a.iter().copied().zip(b).collect();
        assert!(rank_correlation(&dips) <= 0.0);
        let (sp, paired) = compare(&a, &b, &dips, 0.02, 0.0).unwrap();
        assert_eq!(paired, None);
        assert_eq!(sp, speedup(&a, &b, 0.02, 0.0).unwrap());
        assert!((rank_correlation(&drift) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_chance_spread_holds_back_a_difference_but_makes_no_equivalence() {
        let a = [100.0, 101.0, 99.0, 100.5, 99.5, 100.2, 100.1, 99.9];
        let b: Vec<f64> = a.iter().map(|x| x * 1.05).collect();
        let near: Vec<f64> = a.iter().map(|x| x * 1.001).collect();
        let wide = Bands {
            difference: 0.10,
            equivalence: 0.02,
        };
        // 5 % faster, but identical placements came out 10 % apart: not called.
        let (sp, _) = compare_within(&a, &b, &[], wide).unwrap();
        assert_eq!(sp.verdict, Verdict::Inconclusive);
        // The same interval judged with one band of 10 % would be an equivalence.
        assert_eq!(
            compare_within(&a, &b, &[], Bands::both(0.10))
                .unwrap()
                .0
                .verdict,
            Verdict::NoDifference
        );
        // A tight interval inside the threshold is an equivalence under either.
        assert_eq!(
            compare_within(&a, &near, &[], wide).unwrap().0.verdict,
            Verdict::NoDifference
        );
    }

    #[test]
    fn verdicts_need_the_interval_and_clear_the_noise_floor() {
        let a = [100.0, 101.0, 99.0, 100.5, 99.5, 100.2];
        let b: Vec<f64> = a.iter().map(|x| x * 1.5).collect();
        let c: Vec<f64> = a.iter().map(|x| x * 0.5).collect();
        assert_eq!(speedup(&a, &b, 0.02, 0.0).unwrap().verdict, Verdict::Faster);
        assert_eq!(speedup(&a, &c, 0.02, 0.0).unwrap().verdict, Verdict::Slower);
        let same = speedup(&a, &[100.1, 99.8, 100.3, 99.9, 100.0, 100.4], 0.02, 0.0).unwrap();
        assert_eq!(same.verdict, Verdict::NoDifference);
        // A 0.5 % difference with tight samples: the whole interval sits inside the 2 % band.
        let tight: Vec<f64> = a.iter().map(|x| x * 1.005).collect();
        assert_eq!(
            speedup(&a, &tight, 0.02, 0.0).unwrap().verdict,
            Verdict::NoDifference
        );
        // 1 %: the interval [1.000, 1.020] reaches just past the band: not shown to be within.
        let one: Vec<f64> = a.iter().map(|x| x * 1.01).collect();
        assert_eq!(
            speedup(&a, &one, 0.02, 0.0).unwrap().verdict,
            Verdict::Inconclusive
        );
        // 10 % faster is a verdict, unless identical placements already differed by 20 %.
        let ten: Vec<f64> = a.iter().map(|x| x * 1.1).collect();
        assert_eq!(
            speedup(&a, &ten, 0.02, 0.0).unwrap().verdict,
            Verdict::Faster
        );
        assert_eq!(
            speedup(&a, &ten, 0.02, 0.2).unwrap().verdict,
            Verdict::NoDifference
        );
        let s = speedup(&a, &b, 0.02, 0.0).unwrap();
        let (lo, hi) = s.ci.unwrap();
        assert!(lo <= s.ratio && s.ratio <= hi);
    }

    #[test]
    fn an_interval_that_crosses_the_band_is_inconclusive_not_no_difference() {
        let a = [100.0, 101.0, 99.0, 100.5, 99.5, 100.2];
        // Medians about equal, but one side spread over 30 %: the interval reaches far past the
        // 2 % band on both sides. "No difference" would claim what the data do not show.
        let wide = [70.0, 130.0, 100.0, 85.0, 115.0, 101.0];
        let s = speedup(&a, &wide, 0.02, 0.0).unwrap();
        let (lo, hi) = s.ci.unwrap();
        assert!(lo < 0.98 && hi > 1.02, "{lo} {hi}");
        assert_eq!(s.verdict, Verdict::Inconclusive);
        // 3 % faster with the interval straddling the band's edge: neither faster (it does not
        // clear 1.02) nor no difference (it is not inside it).
        let three = [102.0, 104.0, 103.0, 103.5, 102.5, 103.2];
        let s = speedup(&a, &three, 0.02, 0.0).unwrap();
        let (lo, hi) = s.ci.unwrap();
        assert!(lo <= 1.02 && hi > 1.02, "{lo} {hi}");
        assert_eq!(s.verdict, Verdict::Inconclusive);
    }

    #[test]
    fn verdict_text_round_trips() {
        for v in Verdict::ALL {
            assert_eq!(v.as_str().parse::<Verdict>().unwrap(), v);
        }
    }
}
