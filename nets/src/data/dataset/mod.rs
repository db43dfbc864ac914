//! [`Dataset`]: labelled samples held in one flat buffer, checked once at construction.
//!
//! Inputs live in a single `Vec<f32>` (sample after sample, each in its `sample_shape`, channel first) so that a
//! minibatch is a handful of `memcpy`s and the whole set is one allocation, not 60 000.

use super::error::DataError;

mod normalize;
mod split;

pub(crate) use normalize::byte_lut;

/// A labelled data set for classification: `len()` samples of shape `sample_shape` with labels in
/// `0..num_classes`.
///
/// The first dimension of `sample_shape` is the channel axis: `[1, 28, 28]` for MNIST, `[3, 32, 32]` for
/// CIFAR-10; per-channel operations such as [`Dataset::normalize`] use it.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    inputs: Vec<f32>,
    labels: Vec<u8>,
    sample_shape: Vec<usize>,
    num_classes: usize,
    name: String,
}

impl Dataset {
    /// Builds a data set, checking that `inputs` holds exactly `labels.len()` samples of `sample_shape`, that the
    /// shape has no zero dimension, that `1 ≤ num_classes ≤ 256`, and that every label is `< num_classes`.
    pub fn new(
        inputs: Vec<f32>,
        labels: Vec<u8>,
        sample_shape: Vec<usize>,
        num_classes: usize,
        name: impl Into<String>,
    ) -> Result<Self, DataError> {
        let name = name.into();
        let expected = check_layout(&name, &sample_shape, num_classes, labels.len())?;
        if expected != inputs.len() {
            return Err(DataError::Inconsistent {
                dataset: name,
                what: format!(
                    "input values for {} samples of shape {sample_shape:?}",
                    labels.len()
                ),
                expected,
                found: inputs.len(),
            });
        }
        if let Some((index, label)) = first_bad_label(&labels, num_classes) {
            return Err(DataError::BadLabel {
                dataset: name,
                index,
                label,
                classes: num_classes,
            });
        }
        Ok(Self {
            inputs,
            labels,
            sample_shape,
            num_classes,
            name,
        })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Shape of one sample, channel first (e.g. `[1, 28, 28]`).
    pub fn sample_shape(&self) -> &[usize] {
        &self.sample_shape
    }

    /// Number of values in one sample (the product of [`Dataset::sample_shape`]).
    pub fn sample_len(&self) -> usize {
        self.sample_shape.iter().product()
    }

    /// Number of channels: the first dimension of the sample shape.
    pub fn channels(&self) -> usize {
        self.sample_shape[0]
    }

    /// Number of classes; every label is below it.
    pub fn num_classes(&self) -> usize {
        self.num_classes
    }

    /// A short name for messages and logs (e.g. `"mnist-train"`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// All inputs, sample after sample, `len() * sample_len()` values.
    pub fn inputs(&self) -> &[f32] {
        &self.inputs
    }

    /// All labels, one per sample.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// Sample `i`: its inputs and its label.
    ///
    /// # Panics
    /// If `i >= len()`, like slice indexing.
    pub fn sample(&self, i: usize) -> (&[f32], u8) {
        let d = self.sample_len();
        (&self.inputs[i * d..(i + 1) * d], self.labels[i])
    }

    /// How many samples each class has (index = class).
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.num_classes];
        for &label in &self.labels {
            counts[usize::from(label)] += 1;
        }
        counts
    }
}

/// Checks that `sample_shape` has no zero dimension, that `1 ≤ num_classes ≤ 256` and that `len` samples fit in
/// memory; returns the number of input values `len` samples need.
pub(crate) fn check_layout(
    name: &str,
    sample_shape: &[usize],
    num_classes: usize,
    len: usize,
) -> Result<usize, DataError> {
    if sample_shape.is_empty() || sample_shape.contains(&0) {
        return Err(DataError::BadShape {
            dataset: name.to_string(),
            shape: sample_shape.to_vec(),
        });
    }
    // Labels are bytes: a 257th class could never be labelled.
    if !(1..=256).contains(&num_classes) {
        return Err(DataError::BadClassCount {
            dataset: name.to_string(),
            classes: num_classes,
        });
    }
    let values = sample_shape
        .iter()
        .try_fold(len, |acc, &d| acc.checked_mul(d));
    values.ok_or_else(|| DataError::Inconsistent {
        dataset: name.to_string(),
        what: format!(
            "input values for {len} samples of shape {sample_shape:?} (more than memory can hold)"
        ),
        expected: usize::MAX,
        found: 0,
    })
}

/// The first label that is not below `classes`, with its index. Shared with the file readers, which report it
/// with the file's path instead of the data set's name.
pub(crate) fn first_bad_label(labels: &[u8], classes: usize) -> Option<(usize, u8)> {
    labels
        .iter()
        .copied()
        .enumerate()
        .find(|&(_, label)| usize::from(label) >= classes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::test_support::tagged;

    #[test]
    fn new_checks_everything() {
        let err = Dataset::new(vec![], vec![], vec![], 2, "a").unwrap_err();
        assert!(matches!(err, DataError::BadShape { .. }), "{err}");
        let err = Dataset::new(vec![], vec![], vec![3, 0], 2, "a").unwrap_err();
        assert!(matches!(err, DataError::BadShape { .. }), "{err}");
        let err = Dataset::new(vec![], vec![], vec![1], 0, "a").unwrap_err();
        assert!(
            matches!(err, DataError::BadClassCount { classes: 0, .. }),
            "{err}"
        );
        let err = Dataset::new(vec![], vec![], vec![1], 257, "a").unwrap_err();
        assert!(
            matches!(err, DataError::BadClassCount { classes: 257, .. }),
            "{err}"
        );
        let err = Dataset::new(vec![0.0; 5], vec![0, 1], vec![3], 2, "a").unwrap_err();
        assert!(
            matches!(
                err,
                DataError::Inconsistent {
                    expected: 6,
                    found: 5,
                    ..
                }
            ),
            "{err}"
        );
        let err = Dataset::new(vec![0.0; 6], vec![0, 2], vec![3], 2, "named").unwrap_err();
        assert!(
            matches!(
                err,
                DataError::BadLabel {
                    index: 1,
                    label: 2,
                    classes: 2,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("named"), "{err}");
        // A shape whose size overflows is an inconsistency, not a panic.
        let err = Dataset::new(vec![], vec![0], vec![usize::MAX, 2], 1, "a").unwrap_err();
        assert!(matches!(err, DataError::Inconsistent { .. }), "{err}");
        assert!(Dataset::new(vec![], vec![], vec![1], 256, "empty")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn accessors_agree() {
        let data = tagged(5);
        assert_eq!(
            (
                data.len(),
                data.sample_len(),
                data.channels(),
                data.num_classes()
            ),
            (5, 6, 2, 4)
        );
        assert_eq!(data.sample_shape(), &[2, 3]);
        assert_eq!(data.inputs().len(), 30);
        let (x, y) = data.sample(3);
        assert_eq!(x, &[30.0, 31.0, 32.0, 33.0, 34.0, 35.0]);
        assert_eq!(y, 3);
        assert_eq!(data.class_counts(), vec![2, 1, 1, 1]);
    }
}
