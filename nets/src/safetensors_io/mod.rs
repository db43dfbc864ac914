//! Exchange with PyTorch through safetensors files: weights and directions (names `{i}.weight`, `{i}.bias`,
//! PyTorch layouts, `F32` or `F64`), and batches (`x` float `[B, …]`, `y` int64 labels).
//!
//! Readers check rather than trust: a missing, extra or mis-shaped tensor, an unsupported dtype, a label outside
//! the classes, or a cut-short or corrupt file is an error that names the file and the tensor. Writers replace
//! the file atomically.

mod batch;
mod file;
mod finite;
#[cfg(test)]
mod tests;
mod weights;

pub use batch::{load_batch, save_batch, BatchData};
pub use file::{RawTensor, StoreDtype};
pub use finite::{check_finite_params, check_finite_tensor};
pub use weights::{load_direction, load_params, save_params, save_params_as};
