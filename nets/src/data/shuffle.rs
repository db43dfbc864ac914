//! Seeded random permutations whose values depend only on the seed, never on the `rand` version.
//!
//! `rand`'s own `shuffle` and `random_range` may change their algorithm between releases, which would silently
//! change which batches a resumed run draws from a saved sampler state. ChaCha8's output stream is fixed by its
//! specification, so a Fisher–Yates shuffle written here on top of raw `next_u64` draws is stable for good.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// ChaCha stream used by [`super::Dataset::split_holdout`]. The sampler uses streams `0, 1, 2, …` (one per
/// epoch), so the hold-out split takes the other end of the range: the same seed never yields correlated draws.
pub(crate) const HOLDOUT_STREAM: u64 = u64::MAX;

/// ChaCha stream used by [`super::synthetic`], for the same reason.
pub(crate) const SYNTHETIC_STREAM: u64 = u64::MAX - 1;

/// A generator for `(seed, stream)`: independent streams of one seed without hashing seeds together.
pub(crate) fn rng_for(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// A uniform integer in `0..bound` (`bound ≥ 1`), by Lemire's multiply-and-reject method: unbiased, and almost
/// always one draw.
fn below(rng: &mut impl RngCore, bound: u64) -> u64 {
    debug_assert!(bound >= 1);
    let mut wide = u128::from(rng.next_u64()) * u128::from(bound);
    if (wide as u64) < bound {
        // Draws whose low half falls under 2^64 mod bound would make small results slightly more likely.
        let threshold = bound.wrapping_neg() % bound;
        while (wide as u64) < threshold {
            wide = u128::from(rng.next_u64()) * u128::from(bound);
        }
    }
    (wide >> 64) as u64
}

/// Shuffles `items` in place (Fisher–Yates): every order equally likely.
pub(crate) fn shuffle<T>(items: &mut [T], rng: &mut impl RngCore) {
    for i in (1..items.len()).rev() {
        let j = below(rng, i as u64 + 1) as usize;
        items.swap(i, j);
    }
}

/// A random permutation of `0..n`.
pub(crate) fn permutation(n: usize, rng: &mut impl RngCore) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    shuffle(&mut order, rng);
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_is_a_permutation_and_reproducible() {
        let a = permutation(1000, &mut rng_for(7, 0));
        let b = permutation(1000, &mut rng_for(7, 0));
        let c = permutation(1000, &mut rng_for(7, 1));
        assert_eq!(a, b);
        assert_ne!(a, c, "another stream must give another order");
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..1000).collect::<Vec<_>>());
        assert_ne!(
            a, sorted,
            "1000 items left in order is astronomically unlikely"
        );
    }

    #[test]
    fn below_is_roughly_uniform() {
        // 60 000 draws over 6 bins: each count should be 10 000 ± a few hundred (σ ≈ 91).
        let mut rng = rng_for(1, 0);
        let mut counts = [0usize; 6];
        for _ in 0..60_000 {
            counts[below(&mut rng, 6) as usize] += 1;
        }
        for c in counts {
            assert!((9_500..10_500).contains(&c), "{counts:?}");
        }
    }

    #[test]
    fn every_position_is_reached() {
        // With 3 items, all 6 orders must occur over many shuffles (a classic off-by-one in Fisher–Yates misses
        // some).
        let mut rng = rng_for(3, 0);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            seen.insert(permutation(3, &mut rng));
        }
        assert_eq!(seen.len(), 6);
    }
}
