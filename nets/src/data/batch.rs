//! [`Batch`]: a minibatch copied out of a [`Dataset`], in a buffer that is refilled rather than reallocated.

use super::dataset::Dataset;
use super::error::DataError;

/// A minibatch: `len()` samples stacked along a new first axis, with their labels.
///
/// Fill one with [`Dataset::fill_batch`] or [`super::MinibatchSampler::next_batch`] and keep it across steps:
/// after the first step the buffers have their final size and no step allocates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    inputs: Vec<f32>,
    labels: Vec<usize>,
    shape: Vec<usize>,
}

impl Batch {
    /// An empty batch, ready to be filled.
    pub fn new() -> Self {
        Self::default()
    }

    /// The inputs, sample after sample: `shape().iter().product()` values.
    pub fn inputs(&self) -> &[f32] {
        &self.inputs
    }

    /// The labels, one per sample, as class indices.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// `[B, ...sample_shape]`; empty before the first fill.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of samples `B`.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the batch holds no sample.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Takes the buffers out: `(inputs, labels, shape)`.
    pub fn into_parts(self) -> (Vec<f32>, Vec<usize>, Vec<usize>) {
        (self.inputs, self.labels, self.shape)
    }
}

impl Dataset {
    /// The samples at `indices`, in that order, as a new batch (for evaluation, pass consecutive indices).
    pub fn batch_of(&self, indices: &[usize]) -> Result<Batch, DataError> {
        let mut batch = Batch::new();
        self.fill_batch(indices, &mut batch)?;
        Ok(batch)
    }

    /// Overwrites `batch` with the samples at `indices`, reusing its allocations.
    ///
    /// Every index is checked before anything is written, so on error `batch` is unchanged.
    pub fn fill_batch(&self, indices: &[usize], batch: &mut Batch) -> Result<(), DataError> {
        if let Some(&index) = indices.iter().find(|&&i| i >= self.len()) {
            return Err(DataError::IndexOutOfRange {
                dataset: self.name().to_string(),
                index,
                len: self.len(),
            });
        }
        let d = self.sample_len();
        batch.inputs.clear();
        batch.inputs.reserve(indices.len() * d);
        batch.labels.clear();
        batch.labels.reserve(indices.len());
        for &i in indices {
            batch
                .inputs
                .extend_from_slice(&self.inputs()[i * d..(i + 1) * d]);
            batch.labels.push(usize::from(self.labels()[i]));
        }
        batch.shape.clear();
        batch.shape.push(indices.len());
        batch.shape.extend_from_slice(self.sample_shape());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> Dataset {
        let inputs = (0..12).map(|v| v as f32).collect();
        Dataset::new(inputs, vec![0, 1, 2, 1, 0, 2], vec![1, 2], 3, "six").unwrap()
    }

    #[test]
    fn batch_of_gathers_in_order() {
        let batch = data().batch_of(&[4, 1, 4]).unwrap();
        assert_eq!(batch.shape(), &[3, 1, 2]);
        assert_eq!(batch.inputs(), &[8.0, 9.0, 2.0, 3.0, 8.0, 9.0]);
        assert_eq!(batch.labels(), &[0, 1, 0]);
        assert_eq!(batch.len(), 3);
        let empty = data().batch_of(&[]).unwrap();
        assert!(empty.is_empty());
        assert_eq!(empty.shape(), &[0, 1, 2]);
    }

    #[test]
    fn fill_batch_reuses_buffers() {
        let data = data();
        let mut batch = data.batch_of(&[0, 1, 2, 3]).unwrap();
        let ptr = batch.inputs().as_ptr();
        data.fill_batch(&[5, 2], &mut batch).unwrap();
        assert_eq!(
            batch.inputs().as_ptr(),
            ptr,
            "a smaller fill must not reallocate"
        );
        assert_eq!(batch.inputs(), &[10.0, 11.0, 4.0, 5.0]);
        assert_eq!(batch.labels(), &[2, 2]);
        assert_eq!(batch.shape(), &[2, 1, 2]);
    }

    #[test]
    fn bad_index_is_an_error_and_leaves_batch() {
        let data = data();
        let mut batch = data.batch_of(&[1]).unwrap();
        let before = batch.clone();
        let err = data.fill_batch(&[0, 6], &mut batch).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::IndexOutOfRange {
                    index: 6,
                    len: 6,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("six"), "{err}");
        assert_eq!(batch, before);
    }
}
