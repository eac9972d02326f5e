//! What a sweep shows while it runs: progress on stderr (a bar on a terminal, a plain line every
//! few seconds otherwise). What it hears (SIGINT/SIGTERM) is [`crate::interrupt`].

use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Reports progress: a bar on a terminal, a plain line every few seconds otherwise.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: u64,
    done: u64,
    start: Instant,
    last_line: Instant,
}

impl Progress {
    pub fn new(total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = indicatif::ProgressBar::new(total);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} runs  {elapsed} elapsed, ETA {eta}  {msg}",
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
        }
    }

    pub fn tick(&mut self, what: &str) {
        self.done += 1;
        match &self.bar {
            Some(b) => {
                b.set_message(what.to_string());
                b.inc(1);
            }
            None => {
                if self.last_line.elapsed() >= Duration::from_secs(5) || self.done == self.total {
                    let el = self.start.elapsed().as_secs_f64();
                    let eta = el / self.done as f64 * (self.total - self.done) as f64;
                    eprintln!(
                        "progress: {}/{} runs, {el:.0}s elapsed, ETA {eta:.0}s ({what})",
                        self.done, self.total
                    );
                    self.last_line = Instant::now();
                }
            }
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Progress {
    /// More runs than first planned (adaptive passes).
    pub fn grow(&mut self, more: u64) {
        self.total += more;
        if let Some(b) = &self.bar {
            b.set_length(self.total);
        }
    }
}
