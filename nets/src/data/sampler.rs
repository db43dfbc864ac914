//! [`MinibatchSampler`]: seeded epoch-wise shuffling without replacement, with a state that resumes exactly.
//!
//! The order of epoch `e` is a fresh shuffle of `0..n` drawn from ChaCha8 stream `e` of the seed, independent of
//! every other epoch. A sampler's whole state is therefore `(seed, epoch, position)` plus its sizes: restoring it
//! rebuilds the same order and continues with the same batches, with nothing else to save.
//!
//! The paper's algorithm 4 draws two minibatches per step: `D_g` of size `B_g` for the gradient and `D_newt` of
//! size `B` for the Newton-type model. They are two independent samplers over the same data set with different
//! seeds (and sizes); nothing couples them.

use super::batch::Batch;
use super::dataset::Dataset;
use super::error::DataError;
use super::shuffle::{rng_for, shuffle};

/// Everything needed to rebuild a [`MinibatchSampler`] exactly where it was. Store it with a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SamplerState {
    /// The seed the sampler was made with.
    pub seed: u64,
    /// The epoch the next batch comes from (0-based; equals the number of finished epochs).
    pub epoch: u64,
    /// Where in the epoch's order the next batch starts.
    pub position: usize,
    /// Samples in the data set the sampler draws from.
    pub dataset_len: usize,
    /// Samples per batch.
    pub batch_size: usize,
}

impl SamplerState {
    /// The state before the last batch was drawn (`None` before the first): a sampler made from it draws that
    /// batch again.
    pub fn previous(&self) -> Option<SamplerState> {
        let (epoch, position) = match (self.epoch, self.position) {
            (0, 0) => return None,
            (e, 0) => (
                e - 1,
                (self.dataset_len / self.batch_size - 1) * self.batch_size,
            ),
            (e, p) => (e, p.checked_sub(self.batch_size)?),
        };
        Some(SamplerState {
            epoch,
            position,
            ..*self
        })
    }
}

/// Draws minibatches of a fixed size from a data set of a fixed length: each epoch visits the samples in a new
/// seeded random order, without replacement.
///
/// Every batch has exactly `batch_size` samples. When `batch_size` does not divide the data set's length, the
/// last `len % batch_size` samples of each epoch's order are skipped — different ones every epoch — so that the
/// noise level of a step and the shapes of every buffer stay constant.
#[derive(Debug, Clone)]
pub struct MinibatchSampler {
    state: SamplerState,
    /// The current epoch's order; rebuilt in place at each new epoch (no allocation after construction).
    order: Vec<usize>,
}

impl MinibatchSampler {
    /// A sampler at the start of epoch 0. Needs `1 ≤ batch_size ≤ dataset_len`.
    pub fn new(dataset_len: usize, batch_size: usize, seed: u64) -> Result<Self, DataError> {
        Self::from_state(SamplerState {
            seed,
            epoch: 0,
            position: 0,
            dataset_len,
            batch_size,
        })
    }

    /// A sampler that continues exactly where the one whose [`MinibatchSampler::state`] this was left off.
    pub fn from_state(state: SamplerState) -> Result<Self, DataError> {
        if state.batch_size == 0 {
            return Err(DataError::ZeroBatchSize);
        }
        if state.batch_size > state.dataset_len {
            return Err(DataError::BatchTooLarge {
                batch_size: state.batch_size,
                len: state.dataset_len,
            });
        }
        let last_start = state.dataset_len - state.batch_size;
        if state.position > last_start {
            return Err(DataError::SamplerMismatch {
                what: "saved position (at most data set length − batch size)",
                expected: last_start,
                found: state.position,
            });
        }
        let mut sampler = Self {
            state,
            order: Vec::with_capacity(state.dataset_len),
        };
        sampler.shuffle_epoch();
        Ok(sampler)
    }

    /// The state to save; [`MinibatchSampler::from_state`] turns it back into this sampler.
    pub fn state(&self) -> SamplerState {
        self.state
    }

    /// Samples per batch.
    pub fn batch_size(&self) -> usize {
        self.state.batch_size
    }

    /// The epoch the next batch comes from, which is also the number of finished epochs.
    pub fn epoch(&self) -> u64 {
        self.state.epoch
    }

    /// Batches per epoch: `dataset_len / batch_size`, rounded down.
    pub fn steps_per_epoch(&self) -> usize {
        self.state.dataset_len / self.state.batch_size
    }

    /// The length of the data set this sampler draws from.
    pub fn dataset_len(&self) -> usize {
        self.state.dataset_len
    }

    /// Overwrites `batch` with the next minibatch of `data`, reusing its buffers, and advances; after the last
    /// full batch of an epoch the next epoch starts with a new order.
    ///
    /// `data` must have the length the sampler was made for; on error nothing changes.
    pub fn next_batch(&mut self, data: &Dataset, batch: &mut Batch) -> Result<(), DataError> {
        self.check_len(data.len())?;
        data.fill_batch(self.current(), batch)?;
        self.advance();
        Ok(())
    }

    /// The indices of the next minibatch, and advances (as [`MinibatchSampler::next_batch`] does): for data sets
    /// of any sample type, such as [`crate::data::Samples`].
    pub fn next_indices(&mut self) -> Vec<usize> {
        let indices = self.current().to_vec();
        self.advance();
        indices
    }

    /// Errors unless the sampler was made for a data set of `len` samples.
    pub fn check_len(&self, len: usize) -> Result<(), DataError> {
        if len == self.state.dataset_len {
            return Ok(());
        }
        Err(DataError::SamplerMismatch {
            what: "data set length",
            expected: self.state.dataset_len,
            found: len,
        })
    }

    /// The indices the next minibatch takes.
    fn current(&self) -> &[usize] {
        let start = self.state.position;
        &self.order[start..start + self.state.batch_size]
    }

    /// Moves past the current minibatch; after the last full batch of an epoch the next epoch starts.
    fn advance(&mut self) {
        self.state.position += self.state.batch_size;
        if self.state.position + self.state.batch_size > self.state.dataset_len {
            self.state.epoch += 1;
            self.state.position = 0;
            self.shuffle_epoch();
        }
    }

    /// Rebuilds `order` for the current epoch from the identity, so it depends on `(seed, epoch)` alone.
    fn shuffle_epoch(&mut self) {
        self.order.clear();
        self.order.extend(0..self.state.dataset_len);
        shuffle(
            &mut self.order,
            &mut rng_for(self.state.seed, self.state.epoch),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A data set whose sample `i` holds the single value `i`, so batches reveal the indices drawn.
    fn indexed(n: usize) -> Dataset {
        let labels = (0..n).map(|i| (i % 3) as u8).collect();
        Dataset::new(
            (0..n).map(|i| i as f32).collect(),
            labels,
            vec![1],
            3,
            "indexed",
        )
        .unwrap()
    }

    #[test]
    fn previous_state_draws_the_last_batch_again() {
        let data = indexed(23);
        let mut s = MinibatchSampler::new(23, 5, 9).unwrap();
        assert_eq!(s.state().previous(), None);
        let mut batch = Batch::new();
        let mut again = Batch::new();
        // 4 batches per epoch: cross two epoch boundaries.
        for _ in 0..10 {
            s.next_batch(&data, &mut batch).unwrap();
            let prev = s.state().previous().unwrap();
            MinibatchSampler::from_state(prev)
                .unwrap()
                .next_batch(&data, &mut again)
                .unwrap();
            assert_eq!(again.inputs(), batch.inputs());
        }
    }

    /// The indices of the next `steps` batches.
    fn draw(sampler: &mut MinibatchSampler, data: &Dataset, steps: usize) -> Vec<Vec<usize>> {
        let mut batch = Batch::new();
        (0..steps)
            .map(|_| {
                sampler.next_batch(data, &mut batch).unwrap();
                batch.inputs().iter().map(|&v| v as usize).collect()
            })
            .collect()
    }

    #[test]
    fn same_seed_same_batches_other_seed_other() {
        let data = indexed(100);
        let a = draw(&mut MinibatchSampler::new(100, 10, 42).unwrap(), &data, 25);
        let b = draw(&mut MinibatchSampler::new(100, 10, 42).unwrap(), &data, 25);
        let c = draw(&mut MinibatchSampler::new(100, 10, 43).unwrap(), &data, 25);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn every_sample_once_per_epoch_and_epochs_differ() {
        let data = indexed(60);
        let mut sampler = MinibatchSampler::new(60, 12, 7).unwrap();
        assert_eq!(sampler.steps_per_epoch(), 5);
        let mut epochs = Vec::new();
        for e in 0..3 {
            assert_eq!(sampler.epoch(), e);
            let seen: Vec<usize> = draw(&mut sampler, &data, 5).concat();
            let mut sorted = seen.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..60).collect::<Vec<_>>(), "epoch {e}");
            epochs.push(seen);
        }
        assert_eq!(sampler.epoch(), 3);
        assert_ne!(epochs[0], epochs[1]);
    }

    #[test]
    fn remainder_is_skipped_without_repeats() {
        let data = indexed(10);
        let mut sampler = MinibatchSampler::new(10, 3, 1).unwrap();
        assert_eq!(sampler.steps_per_epoch(), 3);
        let seen = draw(&mut sampler, &data, 3).concat();
        let mut distinct = seen.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!((seen.len(), distinct.len(), sampler.epoch()), (9, 9, 1));
    }

    #[test]
    fn labels_and_shape_follow_the_samples() {
        let data = indexed(20);
        let mut sampler = MinibatchSampler::new(20, 4, 5).unwrap();
        let mut batch = Batch::new();
        sampler.next_batch(&data, &mut batch).unwrap();
        let ptr = batch.inputs().as_ptr();
        assert_eq!(batch.shape(), &[4, 1]);
        for (&x, &y) in batch.inputs().iter().zip(batch.labels()) {
            assert_eq!(x as usize % 3, y);
        }
        for _ in 0..20 {
            sampler.next_batch(&data, &mut batch).unwrap();
        }
        assert_eq!(
            batch.inputs().as_ptr(),
            ptr,
            "steady-state steps must reuse the batch buffers"
        );
    }

    #[test]
    fn restored_state_continues_identically() {
        let data = indexed(50);
        let mut original = MinibatchSampler::new(50, 8, 99).unwrap();
        draw(&mut original, &data, 9); // past the first epoch boundary (6 steps per epoch)
        let saved = original.state();
        assert_eq!((saved.epoch, saved.position), (1, 24));
        let mut resumed = MinibatchSampler::from_state(saved).unwrap();
        assert_eq!(
            draw(&mut original, &data, 20),
            draw(&mut resumed, &data, 20)
        );
        assert_eq!(original.state(), resumed.state());
    }

    #[test]
    fn two_samplers_are_independent() {
        // D_g and D_newt of algorithm 4: same data, different seeds and sizes, unrelated orders.
        let data = indexed(40);
        let mut grad = MinibatchSampler::new(40, 8, 1).unwrap();
        let mut newton = MinibatchSampler::new(40, 4, 2).unwrap();
        let g = draw(&mut grad, &data, 1).concat();
        let n = draw(&mut newton, &data, 2).concat();
        assert_ne!(g, n);
        // Drawing from one does not move the other.
        assert_eq!(grad.state().position, 8);
        assert_eq!(newton.state().position, 8);
    }

    #[test]
    fn bad_sizes_are_errors() {
        assert!(matches!(
            MinibatchSampler::new(10, 0, 0),
            Err(DataError::ZeroBatchSize)
        ));
        assert!(matches!(
            MinibatchSampler::new(10, 11, 0),
            Err(DataError::BatchTooLarge { .. })
        ));
        assert!(matches!(
            MinibatchSampler::new(0, 1, 0),
            Err(DataError::BatchTooLarge { .. })
        ));
        let bad = SamplerState {
            seed: 0,
            epoch: 3,
            position: 8,
            dataset_len: 10,
            batch_size: 3,
        };
        assert!(matches!(
            MinibatchSampler::from_state(bad),
            Err(DataError::SamplerMismatch { .. })
        ));
        let mut sampler = MinibatchSampler::new(10, 2, 0).unwrap();
        let mut batch = Batch::new();
        let err = sampler.next_batch(&indexed(11), &mut batch).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::SamplerMismatch {
                    expected: 10,
                    found: 11,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(sampler.state().position, 0);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Restoring the state after any number of steps continues with the same batches.
        #[test]
        fn resume_anywhere(
            n in 1usize..40,
            b_frac in 0.0f64..1.0,
            seed in any::<u64>(),
            k in 0usize..30,
        ) {
            let b = 1 + (b_frac * n as f64) as usize % n;
            let data = indexed(n);
            let mut original = MinibatchSampler::new(n, b, seed).unwrap();
            draw(&mut original, &data, k);
            let mut resumed = MinibatchSampler::from_state(original.state()).unwrap();
            prop_assert_eq!(draw(&mut original, &data, 10), draw(&mut resumed, &data, 10));
        }
    }
}
