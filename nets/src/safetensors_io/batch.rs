//! Batch files: `x` (float `[B, …input_shape]`, or `[B, features]` flattened) and `y` (integer labels `[B]`).

use std::path::Path;

use jetnewton_engine::{Float, Tensor};

use crate::error::{NetsError, Result};
use crate::models::Model;
use crate::safetensors_io::file::{
    check_names, floats, ints, parse, read, serialize, view, write_atomic, RawTensor,
};

/// A batch read from a file: inputs and labels.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchData<F: Float> {
    /// Inputs `[B, …]`, as stored (any shape [`Model::batch_size`] accepts).
    pub x: Tensor<F>,
    /// One class index per sample.
    pub y: Vec<usize>,
}

/// Reads a batch for `model` from a safetensors file holding exactly `x` (`F32` or `F64`, `[B, …input_shape]` or
/// `[B, features]`) and `y` (`I64`, or `I32`/`U8`, shape `[B]`, each in `0..num_classes`).
///
/// Errors name the file and the tensor: missing file, corrupt file, missing or extra tensor, a shape that does
/// not fit the model, batch sizes of `x` and `y` that disagree, a label outside the classes, an unsupported
/// dtype.
pub fn load_batch<F: Float>(path: impl AsRef<Path>, model: &Model) -> Result<BatchData<F>> {
    let path = path.as_ref();
    BatchData::from_safetensors(&read(path)?, path, model)
}

impl<F: Float> BatchData<F> {
    /// [`load_batch`] on the contents of a safetensors file already in memory: a batch for `model`, with the
    /// same checks. `origin` is only the name the errors give the file.
    pub fn from_safetensors(bytes: &[u8], origin: &Path, model: &Model) -> Result<Self> {
        let st = parse(origin, bytes)?;
        check_names(origin, &st, &["x".to_string(), "y".to_string()])?;
        let (xv, yv) = (view(origin, &st, "x")?, view(origin, &st, "y")?);
        let dims: Vec<String> = model
            .input_shape()
            .iter()
            .map(ToString::to_string)
            .collect();
        let batch = model
            .batch_size(xv.shape())
            .map_err(|_| NetsError::TensorShape {
                path: origin.to_path_buf(),
                name: "x".into(),
                expected: format!("[B, {}] with B ≥ 1", dims.join(", ")),
                found: xv.shape().to_vec(),
            })?;
        if yv.shape() != [batch] {
            return Err(NetsError::TensorShape {
                path: origin.to_path_buf(),
                name: "y".into(),
                expected: format!("[{batch}] (one label per sample of x)"),
                found: yv.shape().to_vec(),
            });
        }
        let x = Tensor::from_vec(xv.shape().to_vec(), floats::<F>(origin, "x", &xv)?)?;
        let classes = model.num_classes();
        let y = ints(origin, "y", &yv)?
            .into_iter()
            .enumerate()
            .map(|(i, label)| match usize::try_from(label) {
                Ok(l) if l < classes => Ok(l),
                _ => Err(NetsError::TensorValue {
                    path: origin.to_path_buf(),
                    name: "y".into(),
                    reason: format!(
                        "sample {i} has label {label}, but the model has {classes} classes"
                    ),
                }),
            })
            .collect::<Result<Vec<usize>>>()?;
        Ok(BatchData { x, y })
    }
}

/// Writes a batch as [`load_batch`] reads it: `x` in its own precision and `y` as `I64` labels, atomically.
pub fn save_batch<F: Float>(path: impl AsRef<Path>, x: &Tensor<F>, labels: &[usize]) -> Result<()> {
    let path = path.as_ref();
    let y = RawTensor {
        dtype: safetensors::Dtype::I64,
        shape: vec![labels.len()],
        bytes: labels
            .iter()
            .flat_map(|&l| (l as i64).to_le_bytes())
            .collect(),
    };
    let raws = vec![("x".to_string(), RawTensor::of(x)), ("y".to_string(), y)];
    write_atomic(path, &serialize(path, &raws)?)
}
