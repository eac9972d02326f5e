//! The noisy neighbour: one busy-looping thread pinned to each CPU of a list for as long as the
//! guard lives.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use crate::affinity::{AffinityError, pin_current_thread};
use crate::cpuset::CpuSet;

pub struct Antagonist {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Antagonist {
    pub fn start(cpus: &CpuSet) -> Result<Self, AffinityError> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        let (tx, rx) = std::sync::mpsc::channel();
        for cpu in cpus.iter() {
            let stop = stop.clone();
            let tx = tx.clone();
            threads.push(std::thread::spawn(move || {
                let pinned = pin_current_thread(&CpuSet::single(cpu));
                let ok = pinned.is_ok();
                let _ = tx.send(pinned.map(|_| ()));
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
