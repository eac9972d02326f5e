//! Racing: where a sweep spends its repetitions after the minimum (as irace and successive
//! elimination race configurations). Pure: fed with what each scenario's samples concluded so
//! far, it says which scenarios run in the next interleaved pass.
//!
//! - A comparison against `none` is **open** while its verdict is `inconclusive` (or it has too
//!   few samples for one); every other verdict settles it.
//! - An open comparison's weight is how close it is to settling: the share of the repetitions it
//!   would need that it already has. Its interval must shrink to fit on one side of the band
//!   (faster, slower) or inside it (no difference); an interval's half-width shrinks about as
//!   1/sqrt(n), so with half-width `h` now and `h*` the widest that would settle it, it needs
//!   about n (h/h*)^2 repetitions: weight (h*/h)^2.
//! - Both sides of an open comparison run: the scenario, and its `none` at the weight of the
//!   closest open comparison that uses it. A scenario all of whose comparisons are settled runs
//!   no more (a later pass may reopen one: the noise floor moves as A/A twins gather samples).
//! - Identical placements (A/A twins, named or not) measure the noise floor of their comparison
//!   group, which sets the band every comparison of the group is judged against: while one of the
//!   group's comparisons is open, the twins run at its weight too, so the floor is measured as
//!   well as what it judges (a floor from 6 noisy medians is wide, and holds every verdict back).
//! - With a median precision target (`--precision` given), a scenario whose median interval is
//!   wider than the target also runs, weighted the same way.
//! - Weights become passes by stride scheduling: each pass adds a scenario's weight, relative to
//!   the largest, to its credit, and a scenario with a whole credit runs and spends it. The
//!   closest comparison runs every pass, one twice as far every other pass. Scenarios run in
//!   their matrix order within a pass, so passes interleave (A B A B) as the first ones did.
//! - A pass that runs a scenario runs its `none` too (and, with it, the identical placements
//!   measuring the group's floor): every repetition has a `none` beside it in its pass, which
//!   the summary pairs it with.

use crate::stats::Bands;

/// What the sampler knows of one scenario after a pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing {
    /// Runs it may still have: not stopped, short of `--max-reps`, not failing every run.
    pub can_run: bool,
    /// Its comparison with its `none`, if it has one.
    pub comparison: Option<Comparison>,
    /// Half-width of its median's interval relative to the median, once it has one.
    pub precision: Option<f64>,
    /// The `none` (index) of the comparison group whose noise floor it measures: it has an
    /// identical placement in the group.
    pub floor_of: Option<usize>,
}

/// A scenario's comparison with the `none` it is judged against.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The index of the `none` scenario.
    pub baseline: usize,
    pub state: Judged,
}

/// Where a comparison stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Judged {
    /// A verdict the interval supports (faster, slower, no difference), or one that more
    /// samples cannot change (same placement, placement not achieved).
    Settled,
    /// Inconclusive: the speedup's 95 % interval `(low, high)` neither clears the band a
    /// difference must clear nor fits inside the one an equivalence must fit in.
    Open { ci: (f64, f64), bands: Bands },
    /// Too few samples on a side for an interval.
    Insufficient,
    /// No verdict, and none can come: a side may run no more (it failed every run, or reached
    /// its last repetition) with too few successful runs for an interval.
    Unjudged,
}

impl Judged {
    pub fn is_open(&self) -> bool {
        !matches!(self, Judged::Settled | Judged::Unjudged)
    }
}

/// The smallest weight an open question gets: one far from settling still runs now and then
/// (one pass in 20), as the interval may move rather than only shrink.
const MIN_WEIGHT: f64 = 0.05;

/// How close an inconclusive interval is to settling, in (0, 1]: (h*/h)^2 on a log scale, with
/// `h` its half-width and `h*` the widest half-width about the same centre that would settle it.
pub fn closeness((low, high): (f64, f64), bands: Bands) -> f64 {
    if !(low > 0.0 && high >= low) {
        return MIN_WEIGHT;
    }
    let (lo, hi) = (low.ln(), high.ln());
    let edges = |band: f64| ((1.0 + band).ln(), (1.0 - band).max(f64::MIN_POSITIVE).ln());
    let (up, down) = edges(bands.difference);
    let (eq_up, eq_down) = edges(bands.equivalence.min(bands.difference));
    let centre = (lo + hi) / 2.0;
    let half = (hi - lo) / 2.0;
    // Faster: the low end above `up`; slower: the high end below `down`; no difference: both
    // ends inside.
    let settles = (centre - up)
        .max(down - centre)
        .max((centre - eq_down).min(eq_up - centre));
    if half <= 0.0 {
        return 1.0;
    }
    (settles.max(0.0) / half).powi(2).clamp(MIN_WEIGHT, 1.0)
}

/// Weight of a median precision short of its target, as [`closeness`]: (target/reached)^2.
fn precision_weight(reached: Option<f64>, target: f64) -> Option<f64> {
    match reached {
        None => Some(1.0),
        Some(p) if p > target => Some((target / p).powi(2).clamp(MIN_WEIGHT, 1.0)),
        Some(_) => None,
    }
}

/// How many comparisons are settled, how many open, and how many can have no verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub settled: usize,
    pub open: usize,
    pub unjudged: usize,
}

impl std::fmt::Display for Tally {
    /// `3 settled / 1 open comparisons`, and those left without a verdict where there are any.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} settled / {} open comparisons",
            self.settled, self.open
        )?;
        if self.unjudged > 0 {
            write!(
                f,
                ", {} without a verdict (too few successful runs)",
                self.unjudged
            )?;
        }
        Ok(())
    }
}

/// The racing sampler: one credit per scenario, carried from pass to pass.
#[derive(Debug, Clone)]
pub struct Racing {
    credit: Vec<f64>,
    /// The median precision target a user asked for (`--precision`), if one.
    precision: Option<f64>,
}

impl Racing {
    pub fn new(scenarios: usize, precision: Option<f64>) -> Self {
        Self {
            credit: vec![0.0; scenarios],
            precision,
        }
    }

    /// Each scenario's weight: 0 when it has nothing left to settle or cannot run.
    pub fn weights(&self, standings: &[Standing]) -> Vec<f64> {
        let mut w = vec![0.0f64; standings.len()];
        // The closest open comparison of each group, by its `none`.
        let mut group = vec![0.0f64; standings.len()];
        for (i, s) in standings.iter().enumerate() {
            // A scenario that cannot run narrows nothing by running its `none`.
            let Some(c) = s.comparison.as_ref().filter(|_| s.can_run) else {
                continue;
            };
            let weight = match c.state {
                Judged::Settled | Judged::Unjudged => continue,
                Judged::Insufficient => 1.0,
                Judged::Open { ci, bands } => closeness(ci, bands),
            };
            w[i] = w[i].max(weight);
            if let Some(g) = group.get_mut(c.baseline) {
                *g = g.max(weight);
            }
        }
        for (i, s) in standings.iter().enumerate() {
            // The baseline, and the identical placements measuring the group's noise floor.
            let g = group[i].max(
                s.floor_of
                    .and_then(|b| group.get(b))
                    .copied()
                    .unwrap_or(0.0),
            );
            w[i] = w[i].max(g);
        }
        if let Some(target) = self.precision {
            for (i, s) in standings.iter().enumerate() {
                if let Some(p) = precision_weight(s.precision, target) {
                    w[i] = w[i].max(p);
                }
            }
        }
        for (wi, s) in w.iter_mut().zip(standings) {
            if !s.can_run {
                *wi = 0.0;
            }
        }
        w
    }

    /// The scenarios of the next pass, in matrix order; empty when nothing is left to settle.
    pub fn next_pass(&mut self, standings: &[Standing]) -> Vec<usize> {
        let w = self.weights(standings);
        let top = w.iter().copied().fold(0.0f64, f64::max);
        if top <= 0.0 {
            return Vec::new();
        }
        let mut due = Vec::new();
        for (i, wi) in w.iter().enumerate() {
            if *wi <= 0.0 {
                // Settled: its credit does not carry over into a reopened question.
                self.credit[i] = 0.0;
                continue;
            }
            self.credit[i] += wi / top;
            // A little slack so that rounding never skips the top scenario's pass.
            if self.credit[i] >= 1.0 - 1e-9 {
                self.credit[i] -= 1.0;
                due.push(i);
            }
        }
        // Each due scenario whose comparison is open has its `none` beside it, and with that
        // `none` the group's twins. (One that runs only for a precision target does not.)
        let mut on_credit = vec![false; standings.len()];
        for &i in &due {
            on_credit[i] = true;
        }
        let mut is_due = on_credit.clone();
        for &i in &due {
            if let Some(c) = &standings[i].comparison
                && c.state.is_open()
                && w.get(c.baseline).is_some_and(|wb| *wb > 0.0)
            {
                is_due[c.baseline] = true;
            }
        }
        for (i, s) in standings.iter().enumerate() {
            if w[i] > 0.0 && s.floor_of.is_some_and(|b| is_due[b]) {
                is_due[i] = true;
            }
        }
        for (i, d) in is_due.iter().enumerate() {
            if *d && !on_credit[i] {
                // Run ahead of its turn: the turn is spent (no further than one pass behind).
                self.credit[i] = (self.credit[i] - 1.0).max(-1.0);
            }
        }
        (0..standings.len()).filter(|&i| is_due[i]).collect()
    }

    /// Settled and open comparisons.
    pub fn tally(standings: &[Standing]) -> Tally {
        let mut t = Tally::default();
        for c in standings.iter().filter_map(|s| s.comparison.as_ref()) {
            match c.state {
                Judged::Settled => t.settled += 1,
                Judged::Unjudged => t.unjudged += 1,
                Judged::Open { .. } | Judged::Insufficient => t.open += 1,
            }
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> Standing {
        Standing {
            can_run: true,
            comparison: None,
            precision: Some(0.05),
            floor_of: None,
        }
    }

    fn judged(state: Judged) -> Standing {
        Standing {
            can_run: true,
            comparison: Some(Comparison { baseline: 0, state }),
            precision: Some(0.05),
            floor_of: None,
        }
    }

    fn open(low: f64, high: f64) -> Standing {
        judged(Judged::Open {
            ci: (low, high),
            bands: Bands::both(0.02),
        })
    }

    #[test]
    fn settled_comparisons_stop_and_so_does_their_baseline() {
        let mut r = Racing::new(3, None);
        let s = [none(), judged(Judged::Settled), judged(Judged::Settled)];
        assert_eq!(r.next_pass(&s), Vec::<usize>::new());
        assert_eq!(
            Racing::tally(&s),
            Tally {
                settled: 2,
                open: 0,
                unjudged: 0
            }
        );
    }

    /// A comparison whose side failed every run is neither settled nor open: said apart.
    #[test]
    fn a_comparison_without_a_successful_run_is_not_counted_settled() {
        let mut r = Racing::new(3, None);
        let s = [none(), judged(Judged::Unjudged), judged(Judged::Settled)];
        assert_eq!(r.next_pass(&s), Vec::<usize>::new());
        let t = Racing::tally(&s);
        assert_eq!(
            t,
            Tally {
                settled: 1,
                open: 0,
                unjudged: 1
            }
        );
        assert_eq!(
            t.to_string(),
            "1 settled / 0 open comparisons, 1 without a verdict (too few successful runs)"
        );
        assert_eq!(
            Tally {
                settled: 2,
                open: 1,
                unjudged: 0
            }
            .to_string(),
            "2 settled / 1 open comparisons"
        );
    }

    #[test]
    fn an_open_comparison_runs_both_sides_and_a_settled_one_does_not() {
        let mut r = Racing::new(3, None);
        let s = [none(), judged(Judged::Settled), open(0.99, 1.05)];
        for _ in 0..5 {
            assert_eq!(r.next_pass(&s), vec![0, 2]);
        }
        assert_eq!(
            Racing::tally(&s),
            Tally {
                settled: 1,
                open: 1,
                unjudged: 0
            }
        );
    }

    #[test]
    fn the_closer_a_comparison_is_to_settling_the_more_often_it_runs() {
        // Near: [0.975, 1.021] with a 2 % band needs a little narrowing to sit inside it. Far:
        // [0.9, 1.4] is centred past the band and must shrink a lot to clear it.
        let near = closeness((0.975, 1.021), Bands::both(0.02));
        let far = closeness((0.9, 1.4), Bands::both(0.02));
        assert!(
            near > 0.5 && (MIN_WEIGHT..0.5).contains(&far),
            "{near} {far}"
        );
        let mut r = Racing::new(3, None);
        let s = [none(), open(0.975, 1.021), open(0.9, 1.4)];
        let mut runs = [0usize; 3];
        for _ in 0..20 {
            for i in r.next_pass(&s) {
                runs[i] += 1;
            }
        }
        // The baseline runs as often as its closest open comparison.
        assert_eq!(runs[0], 20);
        assert_eq!(runs[1], 20);
        assert!(runs[2] >= 1 && runs[2] < 10, "{runs:?}");
    }

    #[test]
    fn closeness_follows_the_shrink_an_interval_needs() {
        // Centred at 1.10, half-width about 0.045 (log): settles as faster once the low end
        // clears 1.02, i.e. at a half-width of about 0.076: already narrow enough up to rounding.
        assert_eq!(closeness((1.05, 1.15), Bands::both(0.02)), 1.0);
        // Centred on the band's edge: no narrowing settles it, the floor weight.
        assert_eq!(closeness((0.98, 1.0609), Bands::both(0.02)), MIN_WEIGHT);
        // Twice as wide as the band allows, centred on 1: a quarter of the way.
        let c = closeness((0.96, 1.0 / 0.96), Bands::both(0.02));
        assert!((c - 0.25).abs() < 0.02, "{c}");
        // Garbage in: the floor weight, never a panic.
        assert_eq!(closeness((f64::NAN, 1.0), Bands::both(0.02)), MIN_WEIGHT);
        assert_eq!(closeness((0.0, 1.0), Bands::both(0.02)), MIN_WEIGHT);
    }

    #[test]
    fn too_few_samples_and_a_precision_target_keep_a_scenario_running() {
        let mut r = Racing::new(3, None);
        let s = [
            none(),
            judged(Judged::Insufficient),
            judged(Judged::Settled),
        ];
        assert_eq!(r.next_pass(&s), vec![0, 1]);
        // Asked for: medians to 2 %; the settled scenario (5 %) runs on, at a quarter weight of
        // the one with no interval at all.
        let mut r = Racing::new(3, Some(0.02));
        let mut s = [none(), judged(Judged::Settled), judged(Judged::Settled)];
        s[2].precision = Some(0.01);
        s[1].precision = None;
        let mut runs = [0usize; 3];
        for _ in 0..100 {
            for i in r.next_pass(&s) {
                runs[i] += 1;
            }
        }
        assert_eq!(runs, [16, 100, 0]);
    }

    #[test]
    fn identical_placements_run_while_their_group_has_an_open_comparison() {
        // 0 none, 1 none@B (none's twin), 2 per-worker, 3 round-robin (per-worker's twin); the
        // twins measure the group's noise floor.
        let mut twin = judged(Judged::Settled);
        twin.floor_of = Some(0);
        let mut rr = judged(Judged::Settled);
        rr.floor_of = Some(0);
        let mut pw = open(0.97, 1.03);
        pw.floor_of = Some(0);
        let mut r = Racing::new(4, None);
        let s = [none(), twin.clone(), pw, rr.clone()];
        assert_eq!(r.next_pass(&s), vec![0, 1, 2, 3]);
        // Once the group is settled, nobody runs.
        let mut r = Racing::new(4, None);
        let s = [none(), twin, judged(Judged::Settled), rr];
        assert_eq!(r.next_pass(&s), Vec::<usize>::new());
    }

    #[test]
    fn a_due_scenario_brings_its_none_and_the_floor_twins() {
        // The comparison of 2 is open; 1 measures the floor of 0's group. However the credits
        // stand, whenever 2 runs, 0 and 1 run in the same pass.
        let mut twin = open(0.95, 1.1);
        twin.comparison = None;
        twin.floor_of = Some(0);
        let s = vec![none(), twin, open(0.9, 1.2)];
        let mut r = Racing::new(3, None);
        r.credit = vec![-0.9, -0.9, 0.5];
        for _ in 0..5 {
            let due = r.next_pass(&s);
            if due.contains(&2) {
                assert_eq!(due, vec![0, 1, 2]);
            }
        }
    }

    #[test]
    fn a_scenario_that_cannot_run_is_never_due() {
        let mut r = Racing::new(2, None);
        let mut s = [none(), open(0.9, 1.2)];
        s[0].can_run = false;
        assert_eq!(r.next_pass(&s), vec![1]);
        s[1].can_run = false;
        assert_eq!(r.next_pass(&s), Vec::<usize>::new());
    }
}
