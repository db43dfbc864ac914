//! A seeded synthetic classification problem: Gaussian clusters, one per class.
//!
//! It exists for tests and smoke runs of any model shape without a data file: the classes are separable enough
//! that a model visibly learns within a few steps, yet overlap enough that the loss does not reach zero at once.

use rand_distr::{Distribution, StandardNormal};

use super::dataset::{check_layout, Dataset};
use super::error::DataError;
use super::shuffle::{rng_for, SYNTHETIC_STREAM};

/// Expected distance of each class mean from the origin, in units of the per-value noise (standard deviation 1).
/// Two class means then lie about `3√2 ≈ 4.2` apart, so a sample is nearer another class's mean than its own with
/// probability about Φ(−2.1) ≈ 2 % for each other class.
pub const CLASS_SEPARATION: f32 = 3.0;

/// `n` samples of `sample_shape` in `num_classes` classes, reproducible from `seed`.
///
/// Each class `c` has a mean vector with independent `N(0, CLASS_SEPARATION² / d)` entries (`d` values per sample,
/// so its length is about [`CLASS_SEPARATION`] whatever the shape); a sample of class `c` is that mean plus
/// independent `N(0, 1)` noise. Labels cycle `0, 1, …, num_classes − 1, 0, …`, so classes are balanced. The inputs
/// are already roughly centred and scaled; do not normalise them again.
pub fn synthetic(
    n: usize,
    sample_shape: &[usize],
    num_classes: usize,
    seed: u64,
) -> Result<Dataset, DataError> {
    let name = format!("synthetic-{seed}");
    let total = check_layout(&name, sample_shape, num_classes, n)?;
    let d = sample_shape.iter().product::<usize>();
    let mut rng = rng_for(seed, SYNTHETIC_STREAM);
    let mut normal = move || -> f32 { StandardNormal.sample(&mut rng) };

    let mean_scale = CLASS_SEPARATION / (d as f32).sqrt();
    let means: Vec<f32> = (0..num_classes * d)
        .map(|_| normal() * mean_scale)
        .collect();
    let labels: Vec<u8> = (0..n).map(|i| (i % num_classes) as u8).collect();
    let mut inputs = Vec::with_capacity(total);
    for &label in &labels {
        let mean = &means[usize::from(label) * d..(usize::from(label) + 1) * d];
        inputs.extend(mean.iter().map(|m| m + normal()));
    }
    Dataset::new(inputs, labels, sample_shape.to_vec(), num_classes, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproducible_and_seed_dependent() {
        let a = synthetic(50, &[2, 3], 4, 11).unwrap();
        assert_eq!(a, synthetic(50, &[2, 3], 4, 11).unwrap());
        assert_ne!(a.inputs(), synthetic(50, &[2, 3], 4, 12).unwrap().inputs());
        assert_eq!(
            (a.len(), a.sample_shape(), a.num_classes()),
            (50, &[2, 3][..], 4)
        );
        assert_eq!(a.class_counts(), vec![13, 13, 12, 12]);
    }

    #[test]
    fn bad_arguments_are_errors() {
        assert!(matches!(
            synthetic(5, &[], 2, 0),
            Err(DataError::BadShape { .. })
        ));
        assert!(matches!(
            synthetic(5, &[4, 0], 2, 0),
            Err(DataError::BadShape { .. })
        ));
        assert!(matches!(
            synthetic(5, &[4], 0, 0),
            Err(DataError::BadClassCount { .. })
        ));
        assert!(matches!(
            synthetic(usize::MAX, &[4], 2, 0),
            Err(DataError::Inconsistent { .. })
        ));
        assert!(synthetic(0, &[4], 2, 0).unwrap().is_empty());
    }

    #[test]
    fn learnable_by_nearest_class_mean() {
        // Estimate each class's mean on the first 4 000 samples, classify the last 1 000 by the nearest estimate:
        // with separation 3 in 10 classes this is about 85 % right; chance is 10 %.
        let data = synthetic(5_000, &[1, 8, 8], 10, 3).unwrap();
        let (d, classes) = (data.sample_len(), 10);
        let mut sums = vec![0.0f64; classes * d];
        for i in 0..4_000 {
            let (x, y) = data.sample(i);
            for (s, &v) in sums[usize::from(y) * d..][..d].iter_mut().zip(x) {
                *s += f64::from(v) / 400.0;
            }
        }
        let correct = (4_000..5_000)
            .filter(|&i| {
                let (x, y) = data.sample(i);
                let dist = |c: usize| -> f64 {
                    sums[c * d..][..d]
                        .iter()
                        .zip(x)
                        .map(|(m, &v)| (m - f64::from(v)).powi(2))
                        .sum()
                };
                let nearest = (0..classes).min_by(|&a, &b| dist(a).total_cmp(&dist(b)));
                nearest == Some(usize::from(y))
            })
            .count();
        assert!(
            (700..=990).contains(&correct),
            "nearest-mean accuracy {correct}/1000"
        );
        // The inputs are about unit scale, as documented.
        let (mean, std) = data.channel_mean_std();
        assert!(
            mean[0].abs() < 0.2 && (std[0] - 1.0).abs() < 0.3,
            "{mean:?} {std:?}"
        );
    }
}
