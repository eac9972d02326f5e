//! Statistics over repeated measurements, in the manner of criterion and pyperf: robust centre
//! (median) with a seeded bootstrap confidence interval, spread (SD, CV), Tukey outliers that are
//! flagged and never dropped, and speedups between two samples with their own interval and a
//! verdict that only calls a difference the interval supports.

use serde::{Deserialize, Serialize};

/// Resamples drawn for each bootstrap interval.
pub const BOOTSTRAP_RESAMPLES: usize = 2000;

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

fn resample_median(xs: &[f64], rng: &mut Rng, buf: &mut Vec<f64>) -> f64 {
    buf.clear();
    buf.extend((0..xs.len()).map(|_| xs[rng.below(xs.len())]));
    buf.sort_by(|a, b| a.total_cmp(b));
    median_sorted(buf)
}

/// Percentile bootstrap 95 % interval of the median. The samples are sorted first, so the
/// interval does not depend on the order they were taken in.
pub fn bootstrap_median_ci(xs: &[f64], seed: u64) -> Result<(f64, f64), StatsError> {
    check(xs)?;
    let xs = &sorted(xs);
    let mut rng = Rng::new(seed);
    let mut buf = Vec::with_capacity(xs.len());
    let mut meds: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
        .map(|_| resample_median(xs, &mut rng, &mut buf))
        .collect();
    meds.sort_by(|a, b| a.total_cmp(b));
    Ok((quantile_sorted(&meds, 0.025), quantile_sorted(&meds, 0.975)))
}

/// Summary of one scenario's samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub n: usize,
    pub median: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub mean: f64,
    pub sd: f64,
    /// Coefficient of variation, SD / mean.
    pub cv: f64,
    pub min: f64,
    pub max: f64,
    /// Samples beyond Tukey's fences (1.5 IQR), one flag per input sample.
    pub outliers: Vec<bool>,
}

/// CV above which, or sample count below which, a scenario is flagged noisy.
pub const NOISY_CV: f64 = 0.05;
pub const NOISY_MIN_SAMPLES: usize = 5;

impl Summary {
    pub fn of(xs: &[f64], seed: u64) -> Result<Self, StatsError> {
        check(xs)?;
        let v = sorted(xs);
        let n = xs.len();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let sd = if n > 1 {
            (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        let (ci_low, ci_high) = bootstrap_median_ci(xs, seed)?;
        let (q1, q3) = (quantile_sorted(&v, 0.25), quantile_sorted(&v, 0.75));
        let iqr = q3 - q1;
        let (lo, hi) = (q1 - 1.5 * iqr, q3 + 1.5 * iqr);
        Ok(Self {
            n,
            median: median_sorted(&v),
            ci_low,
            ci_high,
            mean,
            sd,
            cv: if mean != 0.0 { sd / mean.abs() } else { 0.0 },
            min: v[0],
            max: v[n - 1],
            outliers: xs.iter().map(|x| *x < lo || *x > hi).collect(),
        })
    }

    pub fn outlier_count(&self) -> usize {
        self.outliers.iter().filter(|o| **o).count()
    }

    pub fn noisy(&self) -> bool {
        self.cv > NOISY_CV || self.n < NOISY_MIN_SAMPLES
    }
}

/// Whether B differs from A, judged on the speedup interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    Faster,
    Slower,
    NoDifference,
}

impl Verdict {
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Faster => "faster",
            Verdict::Slower => "slower",
            Verdict::NoDifference => "no difference",
        }
    }

    pub const ALL: [Verdict; 3] = [Verdict::Faster, Verdict::Slower, Verdict::NoDifference];
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

/// Speedup of B over A (median B / median A, for higher-is-better figures) with a bootstrap
/// 95 % interval from resampling both independently.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Speedup {
    pub ratio: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub verdict: Verdict,
}

/// Default half-width of the "same" band around 1: differences under 2 % are not called.
pub const NOISE_THRESHOLD: f64 = 0.02;

pub fn speedup(a: &[f64], b: &[f64], threshold: f64, seed: u64) -> Result<Speedup, StatsError> {
    check(a)?;
    check(b)?;
    let (a, b) = (&sorted(a), &sorted(b));
    let ma = median(a)?;
    let mb = median(b)?;
    let mut rng = Rng::new(seed);
    let (mut ba, mut bb) = (Vec::new(), Vec::new());
    let mut ratios: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
        .map(|_| {
            let ra = resample_median(a, &mut rng, &mut ba);
            let rb = resample_median(b, &mut rng, &mut bb);
            if ra != 0.0 { rb / ra } else { f64::INFINITY }
        })
        .collect();
    ratios.sort_by(|x, y| x.total_cmp(y));
    let (lo, hi) = (
        quantile_sorted(&ratios, 0.025),
        quantile_sorted(&ratios, 0.975),
    );
    let verdict = if lo > 1.0 + threshold {
        Verdict::Faster
    } else if hi < 1.0 - threshold {
        Verdict::Slower
    } else {
        Verdict::NoDifference
    };
    Ok(Speedup {
        ratio: if ma != 0.0 { mb / ma } else { f64::INFINITY },
        ci_low: lo,
        ci_high: hi,
        verdict,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_medians_and_spread() {
        assert_eq!(median(&[3.0, 1.0, 2.0]).unwrap(), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]).unwrap(), 2.5);
        let s = Summary::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], 1).unwrap();
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
        let s = Summary::of(&small, 7).unwrap();
        let l = Summary::of(&large, 7).unwrap();
        assert!(s.ci_low <= s.median && s.median <= s.ci_high);
        assert!(l.ci_low <= l.median && l.median <= l.ci_high);
        assert!(l.ci_high - l.ci_low < s.ci_high - s.ci_low);
    }

    #[test]
    fn permutation_invariant_and_seeded() {
        let xs = [5.0, 1.0, 9.0, 3.0, 7.0, 2.0];
        let mut ys = xs;
        ys.reverse();
        let a = Summary::of(&xs, 3).unwrap();
        let b = Summary::of(&ys, 3).unwrap();
        assert_eq!(
            (a.median, a.mean, a.sd, a.min, a.max, a.ci_low, a.ci_high),
            (b.median, b.mean, b.sd, b.min, b.max, b.ci_low, b.ci_high)
        );
        assert_eq!(Summary::of(&xs, 3).unwrap(), a, "same seed, same answer");
        assert_eq!(speedup(&xs, &ys, 0.02, 5), speedup(&ys, &xs, 0.02, 5));
    }

    #[test]
    fn nan_and_empty_are_refused() {
        assert_eq!(median(&[]), Err(StatsError::Empty));
        assert!(matches!(
            Summary::of(&[1.0, f64::NAN], 1),
            Err(StatsError::NotFinite { index: 1, .. })
        ));
        assert!(speedup(&[1.0], &[f64::INFINITY], 0.02, 1).is_err());
    }

    #[test]
    fn outliers_flagged_not_dropped() {
        let s = Summary::of(&[10.0, 10.1, 9.9, 10.0, 10.2, 50.0], 1).unwrap();
        assert_eq!(s.outliers, vec![false, false, false, false, false, true]);
        assert_eq!(s.n, 6);
        assert_eq!(s.max, 50.0);
    }

    #[test]
    fn verdicts_need_the_interval() {
        let a = [100.0, 101.0, 99.0, 100.5, 99.5, 100.2];
        let b: Vec<f64> = a.iter().map(|x| x * 1.5).collect();
        let c: Vec<f64> = a.iter().map(|x| x * 0.5).collect();
        assert_eq!(speedup(&a, &b, 0.02, 1).unwrap().verdict, Verdict::Faster);
        assert_eq!(speedup(&a, &c, 0.02, 1).unwrap().verdict, Verdict::Slower);
        let same = speedup(&a, &[100.1, 99.8, 100.3, 99.9, 100.0, 100.4], 0.02, 1).unwrap();
        assert_eq!(same.verdict, Verdict::NoDifference);
        // A 1 % difference sits inside the noise band even when the samples are tight.
        let tight: Vec<f64> = a.iter().map(|x| x * 1.01).collect();
        assert_eq!(
            speedup(&a, &tight, 0.02, 1).unwrap().verdict,
            Verdict::NoDifference
        );
        let s = speedup(&a, &b, 0.02, 1).unwrap();
        assert!(s.ci_low <= s.ratio && s.ratio <= s.ci_high);
    }
}
