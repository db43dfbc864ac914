//! Parameter files: weights and directions.

use std::path::Path;

use jetnewton_engine::{Float, Tensor};

use crate::error::{NetsError, Result};
use crate::models::Model;
use crate::params::Params;
use crate::safetensors_io::file::{
    check_names, floats, parse, read, serialize, view, write_atomic, RawTensor, StoreDtype,
};

/// Reads `model`'s parameters from a safetensors file with exactly its tensors (`{i}.weight`, `{i}.bias`, PyTorch
/// shapes), each `F32` or `F64` (converted to `F`). Returns them in [`Model::param_specs`] order.
///
/// Errors name the file and, where there is one, the tensor: missing file, corrupt or cut-short file, missing or
/// extra tensor, wrong shape (expected and found), unsupported dtype.
pub fn load_params<F: Float>(path: impl AsRef<Path>, model: &Model) -> Result<Params<F>> {
    let path = path.as_ref();
    Params::from_safetensors(&read(path)?, path, model)
}

impl<F: Float> Params<F> {
    /// [`load_params`] on the contents of a safetensors file already in memory: `model`'s parameters, with the
    /// same checks. `origin` is only the name the errors give the file.
    pub fn from_safetensors(bytes: &[u8], origin: &Path, model: &Model) -> Result<Self> {
        let st = parse(origin, bytes)?;
        let specs = model.param_specs();
        let names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
        check_names(origin, &st, &names)?;
        let mut entries = Vec::with_capacity(specs.len());
        for spec in specs {
            let v = view(origin, &st, &spec.name)?;
            if v.shape() != spec.shape.as_slice() {
                return Err(NetsError::TensorShape {
                    path: origin.to_path_buf(),
                    name: spec.name,
                    expected: format!("{:?}", spec.shape),
                    found: v.shape().to_vec(),
                });
            }
            let data = floats::<F>(origin, &spec.name, &v)?;
            entries.push((spec.name, Tensor::from_vec(spec.shape, data)?));
        }
        Params::new(entries)
    }
}

/// Reads a direction `u` for `model`'s parameters: the same format and checks as [`load_params`].
pub fn load_direction<F: Float>(path: impl AsRef<Path>, model: &Model) -> Result<Params<F>> {
    load_params(path, model)
}

/// Writes named tensors (weights, a direction) to a safetensors file in their own precision (`F32` or `F64`),
/// atomically: a temporary file in the same directory, flushed to disk, renamed over `path`.
pub fn save_params<F: Float>(path: impl AsRef<Path>, params: &Params<F>) -> Result<()> {
    let path = path.as_ref();
    let raws: Vec<(String, RawTensor)> = params
        .iter()
        .map(|(n, t)| (n.to_string(), RawTensor::of(t)))
        .collect();
    write_atomic(path, &serialize(path, &raws)?)
}

/// [`save_params`] in a chosen float type (`bf16`, `f16` to exchange with PyTorch in half precision), rounding to
/// nearest; errors naming the tensor, and writing nothing, when a value overflows that type.
pub fn save_params_as<F: Float>(
    path: impl AsRef<Path>,
    params: &Params<F>,
    dtype: StoreDtype,
) -> Result<()> {
    let path = path.as_ref();
    let raws: Vec<(String, RawTensor)> = params
        .iter()
        .map(|(n, t)| Ok((n.to_string(), RawTensor::stored_as(n, t, dtype)?)))
        .collect::<Result<_>>()?;
    write_atomic(path, &serialize(path, &raws)?)
}
