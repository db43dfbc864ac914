//! Labels sampled from a model's predictive distribution, for the Fisher's output-gradient factor.

use jetnewton_engine::{Float, Tensor};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One label per row of `logits` (`[N, K]`), drawn from `softmax(row)` by inverting its cumulative sum at a
/// uniform draw; the draws come from ChaCha8 seeded with `seed`, one per row in order.
pub(in crate::oracle) fn sample_labels<F: Float>(logits: &Tensor<F>, seed: u64) -> Vec<usize> {
    let k = logits.shape().last().copied().unwrap_or(1).max(1);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    logits
        .data()
        .chunks_exact(k)
        .map(|row| {
            let max = row
                .iter()
                .map(|v| v.to_f64_lossless())
                .fold(f64::NEG_INFINITY, f64::max);
            let w: Vec<f64> = row
                .iter()
                .map(|v| (v.to_f64_lossless() - max).exp())
                .collect();
            // A uniform in [0, 1) from the top 53 bits, scaled to the unnormalised total.
            let u =
                (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64) * w.iter().sum::<f64>();
            let mut cum = 0.0;
            for (i, &p) in w.iter().enumerate() {
                cum += p;
                if u < cum {
                    return i;
                }
            }
            // Rounding left u at the total: the last class with any mass.
            w.iter().rposition(|&p| p > 0.0).unwrap_or(0)
        })
        .collect()
}
