//! Seeded hold-out splits of a [`Dataset`] into training and validation parts.

use super::Dataset;
use crate::data::error::DataError;
use crate::data::shuffle::{permutation, rng_for, HOLDOUT_STREAM};

impl Dataset {
    /// Splits off `n_holdout` samples chosen uniformly at random (seeded) and returns `(train, validation)`.
    ///
    /// The paper holds out 6 000 of the 60 000 MNIST training images and 5 000 of the 50 000 CIFAR-10 ones for
    /// validation. Both parts keep the original relative order of their samples; only membership is random, so
    /// the same `(data, n_holdout, seed)` always gives the same split. Both parts must be non-empty.
    pub fn split_holdout(
        self,
        n_holdout: usize,
        seed: u64,
    ) -> Result<(Dataset, Dataset), DataError> {
        let len = self.len();
        if n_holdout == 0 || n_holdout >= len {
            return Err(DataError::EmptySplit {
                dataset: self.name,
                n_holdout,
                len,
            });
        }
        let mut held_out = vec![false; len];
        let order = permutation(len, &mut rng_for(seed, HOLDOUT_STREAM));
        for &i in &order[..n_holdout] {
            held_out[i] = true;
        }
        let d = self.sample_len();
        let mut parts = [len - n_holdout, n_holdout]
            .map(|n| (Vec::with_capacity(n * d), Vec::with_capacity(n)));
        for (i, (x, &y)) in self.inputs.chunks_exact(d).zip(&self.labels).enumerate() {
            let part = &mut parts[usize::from(held_out[i])];
            part.0.extend_from_slice(x);
            part.1.push(y);
        }
        let [(train_x, train_y), (val_x, val_y)] = parts;
        let make = |inputs, labels, suffix: &str| Dataset {
            inputs,
            labels,
            sample_shape: self.sample_shape.clone(),
            num_classes: self.num_classes,
            name: format!("{}/{suffix}", self.name),
        };
        Ok((
            make(train_x, train_y, "train"),
            make(val_x, val_y, "validation"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::test_support::tagged;

    #[test]
    fn split_holdout_partitions_reproducibly() {
        let (train, val) = tagged(100).split_holdout(30, 5).unwrap();
        assert_eq!((train.len(), val.len()), (70, 30));
        assert_eq!(
            (train.name(), val.name()),
            ("tagged/train", "tagged/validation")
        );
        let ids = |d: &Dataset| {
            (0..d.len())
                .map(|i| d.sample(i).0[0] as usize / 10)
                .collect::<Vec<_>>()
        };
        let (a, b) = (ids(&train), ids(&val));
        // Labels travel with their inputs, each part keeps the original order, and together they are everything.
        for d in [&train, &val] {
            for i in 0..d.len() {
                let (x, y) = d.sample(i);
                assert_eq!(usize::from(y), (x[0] as usize / 10) % 4);
            }
        }
        assert!(a.windows(2).all(|w| w[0] < w[1]) && b.windows(2).all(|w| w[0] < w[1]));
        let mut all: Vec<usize> = a.iter().chain(&b).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
        let (_, again) = tagged(100).split_holdout(30, 5).unwrap();
        let (_, other) = tagged(100).split_holdout(30, 6).unwrap();
        assert_eq!(ids(&again), b);
        assert_ne!(ids(&other), b);
    }

    #[test]
    fn split_holdout_refuses_empty_parts() {
        for n in [0, 10, 11] {
            let err = tagged(10).split_holdout(n, 0).unwrap_err();
            assert!(
                matches!(err, DataError::EmptySplit { len: 10, .. }),
                "{err}"
            );
        }
    }
}
