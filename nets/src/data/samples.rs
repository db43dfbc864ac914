//! [`Samples`]: an in-memory data set of inputs and targets of any type (class indices, regression targets,
//! sequences, …), for models written on the graph API rather than as a spec; and [`SampleBatch`], one minibatch of
//! it, with helpers that stack rows into tensors.

use jetnewton_engine::{EngineError, Float, Tensor};

use crate::data::DataError;

/// An in-memory data set: `inputs[i]` goes with `targets[i]`. The types are free: the loss closure of a
/// [`crate::GraphOracle`] turns a [`SampleBatch`] into graph constants.
#[derive(Clone, Debug)]
pub struct Samples<X, Y> {
    inputs: Vec<X>,
    targets: Vec<Y>,
}

/// One minibatch of a [`Samples`], in the order the sampler drew it.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleBatch<X, Y> {
    /// The inputs.
    pub inputs: Vec<X>,
    /// Their targets.
    pub targets: Vec<Y>,
}

impl<X: Clone, Y: Clone> Samples<X, Y> {
    /// A data set of `inputs` and `targets`; errors when their lengths differ or they are empty.
    pub fn new(inputs: Vec<X>, targets: Vec<Y>) -> Result<Self, DataError> {
        if inputs.len() != targets.len() || inputs.is_empty() {
            return Err(DataError::Inconsistent {
                dataset: "samples".into(),
                what: "targets (one per input, at least one)".into(),
                expected: inputs.len().max(1),
                found: targets.len(),
            });
        }
        Ok(Self { inputs, targets })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.inputs.len()
    }

    /// Always false: a data set has at least one sample.
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }

    /// The samples at `indices`, copied, in that order; errors on an index past the end.
    pub fn batch_of(&self, indices: &[usize]) -> Result<SampleBatch<X, Y>, DataError> {
        if let Some(&index) = indices.iter().find(|&&i| i >= self.len()) {
            return Err(DataError::IndexOutOfRange {
                dataset: "samples".into(),
                index,
                len: self.len(),
            });
        }
        Ok(SampleBatch {
            inputs: indices.iter().map(|&i| self.inputs[i].clone()).collect(),
            targets: indices.iter().map(|&i| self.targets[i].clone()).collect(),
        })
    }
}

impl<X, Y> SampleBatch<X, Y> {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.inputs.len()
    }

    /// True for an empty batch.
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }

    /// The inputs stacked as a `[batch, row length]` tensor (each input a row of numbers).
    pub fn input_rows<F: Float, T: Copy + Into<f64>>(&self) -> Result<Tensor<F>, EngineError>
    where
        X: AsRef<[T]>,
    {
        rows_tensor(&self.inputs)
    }

    /// The targets stacked as a `[batch, row length]` tensor (each target a row of numbers).
    pub fn target_rows<F: Float, T: Copy + Into<f64>>(&self) -> Result<Tensor<F>, EngineError>
    where
        Y: AsRef<[T]>,
    {
        rows_tensor(&self.targets)
    }
}

/// Rows of equal length stacked into a `[rows, length]` tensor; errors (naming the row) when a length differs.
pub fn rows_tensor<F: Float, T: Copy + Into<f64>, R: AsRef<[T]>>(
    rows: &[R],
) -> Result<Tensor<F>, EngineError> {
    let width = rows.first().map_or(0, |r| r.as_ref().len());
    let mut data = Vec::with_capacity(rows.len() * width);
    for (i, row) in rows.iter().enumerate() {
        let row = row.as_ref();
        if row.len() != width {
            return Err(EngineError::Invalid {
                op: "rows_tensor",
                reason: format!("row {i} has {} values, row 0 has {width}", row.len()),
            });
        }
        data.extend(row.iter().map(|&v| F::of(v.into())));
    }
    Tensor::from_vec(vec![rows.len(), width], data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_copy_the_drawn_samples_and_stack_rows() {
        let data = Samples::new(vec![vec![1.0f32, 2.0], vec![3.0, 4.0]], vec![0usize, 1]).unwrap();
        let b = data.batch_of(&[1, 0, 1]).unwrap();
        assert_eq!(b.targets, vec![1, 0, 1]);
        let x = b.input_rows::<f64, f32>().unwrap();
        assert_eq!(x.shape(), &[3, 2]);
        assert_eq!(x.data(), &[3.0, 4.0, 1.0, 2.0, 3.0, 4.0]);
        assert!(data.batch_of(&[2]).is_err());
    }

    #[test]
    fn mismatched_or_ragged_data_is_refused() {
        assert!(Samples::new(vec![1.0, 2.0], vec![0usize]).is_err());
        assert!(Samples::<f64, f64>::new(vec![], vec![]).is_err());
        let ragged = rows_tensor::<f64, f64, _>(&[vec![1.0, 2.0], vec![3.0]]).unwrap_err();
        assert!(
            ragged.to_string().contains("row 1 has 1 values"),
            "{ragged}"
        );
    }
}
