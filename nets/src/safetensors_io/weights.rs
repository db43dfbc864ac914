//! Parameter files: weights and directions.

use std::path::Path;

use jetnewton_engine::{Float, Tensor};

use crate::error::{NetsError, Result};
use crate::models::Model;
use crate::params::Params;
use crate::safetensors_io::file::{
    check_names, floats, serialize, view, write_atomic, Raw, TensorFile,
};

/// Reads `model`'s parameters from a safetensors file with exactly its tensors (`{i}.weight`, `{i}.bias`, PyTorch
/// shapes), each `F32` or `F64` (converted to `F`). Returns them in [`Model::param_specs`] order.
///
/// Errors name the file and, where there is one, the tensor: missing file, corrupt or cut-short file, missing or
/// extra tensor, wrong shape (expected and found), unsupported dtype.
pub fn load_params<F: Float>(path: impl AsRef<Path>, model: &Model) -> Result<Params<F>> {
    let path = path.as_ref();
    let file = TensorFile::read(path)?;
    let st = file.parse()?;
    let specs = model.param_specs();
    let names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
    check_names(path, &st, &names)?;
    let mut entries = Vec::with_capacity(specs.len());
    for spec in specs {
        let v = view(path, &st, &spec.name)?;
        if v.shape() != spec.shape.as_slice() {
            return Err(NetsError::TensorShape {
                path: path.to_path_buf(),
                name: spec.name,
                expected: format!("{:?}", spec.shape),
                found: v.shape().to_vec(),
            });
        }
        let data = floats::<F>(path, &spec.name, &v)?;
        entries.push((spec.name, Tensor::from_vec(spec.shape, data)?));
    }
    Params::new(entries)
}

/// Reads a direction `u` for `model`'s parameters: the same format and checks as [`load_params`].
pub fn load_direction<F: Float>(path: impl AsRef<Path>, model: &Model) -> Result<Params<F>> {
    load_params(path, model)
}

/// Writes named tensors (weights, a direction) to a safetensors file in their own precision (`F32` or `F64`),
/// atomically: a temporary file in the same directory, flushed to disk, renamed over `path`.
pub fn save_params<F: Float>(path: impl AsRef<Path>, params: &Params<F>) -> Result<()> {
    let path = path.as_ref();
    let raws: Vec<(String, Raw)> = params
        .iter()
        .map(|(n, t)| (n.to_string(), Raw::of(t)))
        .collect();
    write_atomic(path, &serialize(path, &raws)?)
}
