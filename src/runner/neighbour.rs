//! The noisy neighbour: one busy-looping thread pinned to each CPU of a list (or one unpinned
//! thread, floating) for as long as the guard lives.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use crate::affinity::{AffinityError, pin_current_thread};
use crate::antagonist::AntagonistAt;
use crate::cpuset::CpuSet;

pub struct Antagonist {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Antagonist {
    pub fn start(at: &AntagonistAt) -> Result<Self, AffinityError> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        let (tx, rx) = std::sync::mpsc::channel();
        let cpus: Vec<Option<usize>> = match at {
            AntagonistAt::Cpus(c) => c.iter().map(Some).collect(),
            AntagonistAt::Floating => vec![None],
        };
        for cpu in cpus.iter().copied() {
            let stop = stop.clone();
            let tx = tx.clone();
            threads.push(std::thread::spawn(move || {
                let pinned = match cpu {
                    Some(c) => pin_current_thread(&CpuSet::single(c)).map(|_| ()),
                    None => Ok(()),
                };
                let ok = pinned.is_ok();
                let _ = tx.send(pinned);
                if !ok {
                    return;
                }
                let mut x = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    for _ in 0..1000 {
                        x = std::hint::black_box(
                            x.wrapping_mul(6364136223846793005).wrapping_add(1),
                        );
                    }
                }
            }));
        }
        let guard = Self { stop, threads };
        for _ in cpus.iter() {
            if let Ok(Err(e)) = rx.recv() {
                return Err(e);
            }
        }
        Ok(guard)
    }
}

impl Drop for Antagonist {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
