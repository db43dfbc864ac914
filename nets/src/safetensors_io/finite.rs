//! Non-finite values in a file's tensors: weights, directions and inputs holding NaN or ±∞ make every summary
//! NaN, so the commands that read them refuse the file instead, naming the tensor and the first bad index.

use std::path::Path;

use jetnewton_engine::{Float, Tensor};

use crate::error::{NetsError, Result};
use crate::params::Params;

/// An error naming `path`, `name` and the first non-finite value of `tensor`, if it has one.
pub fn check_finite_tensor<F: Float>(path: &Path, name: &str, tensor: &Tensor<F>) -> Result<()> {
    match tensor.data().iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(index) => Err(NetsError::TensorValue {
            path: path.to_path_buf(),
            name: name.to_string(),
            reason: format!(
                "holds {} at index {index} (flat, row-major); every value must be finite",
                tensor.data()[index].to_f64_lossless()
            ),
        }),
    }
}

/// [`check_finite_tensor`] of every tensor of `params`, read from `path`, in order.
pub fn check_finite_params<F: Float>(path: &Path, params: &Params<F>) -> Result<()> {
    params
        .iter()
        .try_for_each(|(name, t)| check_finite_tensor(path, name, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_file_the_tensor_and_the_index() {
        let ok = Tensor::from_vec(vec![2], vec![1.0f32, -2.0]).unwrap();
        let nan = Tensor::from_vec(vec![3], vec![1.0f32, 2.0, f32::NAN]).unwrap();
        let inf = Tensor::from_vec(vec![1], vec![f64::NEG_INFINITY]).unwrap();
        let path = Path::new("w.safetensors");
        assert!(check_finite_tensor(path, "0.bias", &ok).is_ok());
        let e = check_finite_tensor(path, "0.weight", &nan).unwrap_err();
        assert_eq!(
            e.to_string(),
            "w.safetensors: tensor `0.weight`: holds NaN at index 2 (flat, row-major); every value must be finite"
        );
        let e = check_finite_tensor(path, "x", &inf)
            .unwrap_err()
            .to_string();
        assert!(e.contains("holds -inf at index 0"), "{e}");
        let params = Params::new(vec![("0.weight".into(), ok), ("0.bias".into(), nan)]).unwrap();
        let e = check_finite_params(path, &params).unwrap_err().to_string();
        assert!(e.contains("`0.bias`") && e.contains("index 2"), "{e}");
    }
}
