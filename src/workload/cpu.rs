//! The compute-bound kernel: four independent lanes of 64-bit mixing (splitmix-style
//! multiply/xor-shift), so the core's ALUs stay busy and memory is never touched.

use std::hint::black_box;

/// Rounds of mixing per operation: one op is about a microsecond on current cores.
pub const ROUNDS_PER_OP: u32 = 256;

/// Runs `ops` operations on a state that the caller keeps alive. Never inlined: the kernel is
/// compiled once, on its own, so its speed does not change with the code around its callers.
#[inline(never)]
pub fn run_ops(state: &mut [u64; 4], ops: u64) {
    let mut s = *state;
    for _ in 0..ops {
        for _ in 0..ROUNDS_PER_OP {
            for lane in &mut s {
                let mut z = lane.wrapping_add(0x9e3779b97f4a7c15);
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
                *lane = z ^ (z >> 31);
            }
        }
        s = black_box(s);
    }
    *state = s;
}

#[cfg(test)]
mod tests {
    #[test]
    fn deterministic() {
        let mut a = [1, 2, 3, 4];
        let mut b = [1, 2, 3, 4];
        super::run_ops(&mut a, 3);
        super::run_ops(&mut b, 3);
        assert_eq!(a, b);
        assert_ne!(a, [1, 2, 3, 4]);
    }
}
