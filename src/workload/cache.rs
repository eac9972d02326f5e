//! Pointer chasing through a random cyclic permutation (Sattolo's algorithm) of cache-line
//! sized nodes: every step is a load whose address depends on the previous one, so neither the
//! prefetcher nor out-of-order execution can hide the latency of the level the set lives in.

use std::hint::black_box;

/// One node per cache line.
#[repr(C, align(64))]
#[derive(Clone, Copy)]
struct Node {
    next: usize,
    _pad: [usize; 7],
}

pub struct Chase {
    nodes: Vec<Node>,
    at: usize,
}

/// splitmix64: a small, good, seedable generator.
fn next_random(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e3779b97f4a7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
    z ^ (z >> 31)
}

impl Chase {
    /// A single cycle through `bytes / 64` nodes, shuffled with `seed`.
    ///
    /// Sattolo's shuffle of the identity yields `a` with `i -> a[i]` one cycle through all
    /// indexes; it runs on a compact `u32` array (8 MiB for a 128 MiB set, mostly cache
    /// resident), then the nodes are filled front to back, which also touches every page
    /// and line once so the set starts out as warm as it can be.
    pub fn new(bytes: u64, seed: u64) -> Self {
        let n = ((bytes / 64) as usize).clamp(2, u32::MAX as usize);
        let mut a: Vec<u32> = (0..n as u32).collect();
        let mut rng = seed ^ 0x5851f42d4c957f2d;
        for i in (1..n).rev() {
            let j = (next_random(&mut rng) % i as u64) as usize;
            a.swap(i, j);
        }
        let nodes = a
            .into_iter()
            .map(|next| Node {
                next: next as usize,
                _pad: [0; 7],
            })
            .collect();
        Self { nodes, at: 0 }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Follows `steps` links.
    #[inline]
    pub fn run(&mut self, steps: u64) {
        let nodes = &self.nodes;
        let mut at = self.at;
        for _ in 0..steps {
            at = nodes[at].next;
        }
        self.at = black_box(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_one_cycle_through_every_node() {
        let mut c = Chase::new(64 * 1000, 7);
        let start = c.at;
        let mut seen = vec![false; c.len()];
        for _ in 0..c.len() {
            assert!(!seen[c.at]);
            seen[c.at] = true;
            c.run(1);
        }
        assert!(seen.iter().all(|s| *s));
        assert_eq!(c.at, start);
    }
}
