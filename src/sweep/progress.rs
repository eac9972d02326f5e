//! What a sweep shows while it runs: progress on stderr (a bar on a terminal, a plain line every
//! few seconds otherwise): runs done of the run budget (a total fixed before the first run, never
//! passed), the comparisons settled and still open, and the time budget left. What it hears
//! (SIGINT/SIGTERM) is [`crate::interrupt`].

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use super::racing::Tally;

/// Reports progress: a bar on a terminal, a plain line every few seconds otherwise.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: u64,
    done: u64,
    start: Instant,
    last_line: Instant,
    /// `--budget`, spent from the first racing pass on.
    budget: Duration,
    racing_since: Option<Instant>,
    tally: Option<Tally>,
}

impl Progress {
    /// `total`: the most runs the sweep makes (first repetitions and the run budget).
    pub fn new(total: u64, budget: Duration) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = indicatif::ProgressBar::new(total);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} runs  {elapsed} elapsed  {msg}",
                )
                .expect("valid template"),
            );
            b
        });
        Self {
            bar,
            total,
            done: 0,
            start: Instant::now(),
            last_line: Instant::now(),
            budget,
            racing_since: None,
            tally: None,
        }
    }

    /// The racing passes began: `--budget` is spent from now.
    pub fn racing_from(&mut self, at: Instant) {
        self.racing_since = Some(at);
    }

    /// The comparisons as the latest judgement left them.
    pub fn judged(&mut self, tally: Tally) {
        self.tally = Some(tally);
    }

    /// Time left of `--budget`.
    fn budget_left(&self) -> Duration {
        self.racing_since
            .map_or(self.budget, |t| self.budget.saturating_sub(t.elapsed()))
    }

    /// What follows the runs: comparisons and the budget left.
    fn state(&self) -> String {
        let judged = self.tally.map_or(String::new(), |t| format!("{t}, "));
        format!(
            "{judged}budget left {} runs, {}",
            self.total.saturating_sub(self.done),
            crate::text::duration_words(self.budget_left().as_secs_f64())
        )
    }

    pub fn tick(&mut self, what: &str) {
        // Never past the total: a run the budget did not foresee (it cannot happen, the sweep
        // stops at the total) would not move the count beyond it.
        self.done = (self.done + 1).min(self.total);
        match &self.bar {
            Some(b) => {
                b.set_message(format!("{}  ({what})", self.state()));
                b.set_position(self.done);
            }
            None => {
                if self.last_line.elapsed() >= Duration::from_secs(5) {
                    eprintln!(
                        "progress: {}/{} runs, {:.0}s elapsed, {} ({what})",
                        self.done,
                        self.total,
                        self.start.elapsed().as_secs_f64(),
                        self.state()
                    );
                    self.last_line = Instant::now();
                }
            }
        }
    }

    /// The sweep ended (every comparison settled, the budget spent, or interrupted).
    pub fn finish(&mut self, tally: Tally) {
        self.tally = Some(tally);
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        eprintln!(
            "done: {}/{} runs in {:.0}s, {tally}{}",
            self.done,
            self.total,
            self.start.elapsed().as_secs_f64(),
            if self.done < self.total {
                format!(
                    ", {} runs of the budget left unused",
                    self.total - self.done
                )
            } else {
                String::new()
            }
        );
    }
}
