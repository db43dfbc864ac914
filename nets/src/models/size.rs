//! A model's scalar counts, computed with checked arithmetic when the model is made, so that a spec such as
//! `mlp:784-100000000000-10` or `lenet5:1x4294967296x4294967296` is an error rather than an overflow, and so that
//! callers can estimate memory before allocating anything of the model's size.

use crate::error::{NetsError, Result};
use crate::models::layer::checked_numel;
use crate::models::Layer;

/// The largest count of scalars a model may have in one tensor, in all its parameters, or in one sample's
/// activations: 2⁵³. Every such count is then exact as an `f64` (memory estimates and records compute in floating
/// point), a byte count (× 8 bytes, × a few copies) cannot overflow `u64`, and the bound is far beyond any memory
/// (2⁵³ `f32` are 32 PiB), so no model that could run is refused by it.
pub const MAX_COUNT: usize = 1 << 53;

/// A model's scalar counts, each at most [`MAX_COUNT`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelSize {
    /// Scalars in all parameter tensors.
    pub params: usize,
    /// Scalars of one sample's input and of every layer's output: what one sample's forward pass holds.
    pub activations_per_sample: usize,
    /// Scalars of one sample's input.
    pub input_per_sample: usize,
    /// Scalars of the largest single layer output of one sample.
    pub largest_activation: usize,
}

/// `count`, or a [`NetsError::TooLarge`] naming `what` when it overflowed or passes [`MAX_COUNT`].
fn bounded(count: Option<usize>, what: impl FnOnce() -> String) -> Result<usize> {
    match count {
        Some(n) if n <= MAX_COUNT => Ok(n),
        _ => Err(NetsError::TooLarge {
            reason: format!(
                "{} has more than 2^53 = {MAX_COUNT} scalars, far more than any memory holds",
                what()
            ),
        }),
    }
}

/// The scalar count of one sample of shape `input`, or a [`NetsError::TooLarge`] when it passes [`MAX_COUNT`]:
/// checked before any layer's shape is computed from it.
pub(crate) fn input_count(input: &[usize]) -> Result<usize> {
    bounded(checked_numel(input), || format!("the input {input:?}"))
}

impl ModelSize {
    /// The counts of a stack of `layers` from `input` whose per-sample output shapes are `shapes`.
    pub(crate) fn of(layers: &[Layer], input: &[usize], shapes: &[Vec<usize>]) -> Result<Self> {
        let input_per_sample = input_count(input)?;
        let mut params = 0usize;
        for (i, layer) in layers.iter().enumerate() {
            if let Some((w, b)) = layer.param_shapes() {
                let what = || format!("layer {i} ({layer})");
                let n = checked_numel(&w).and_then(|w| w.checked_add(checked_numel(&b)?));
                let n = bounded(n, what)?;
                params = bounded(params.checked_add(n), || "the model's parameters".into())?;
            }
        }
        let (mut activations, mut largest) = (input_per_sample, input_per_sample);
        for (i, shape) in shapes.iter().enumerate() {
            let n = bounded(checked_numel(shape), || {
                format!("the output {shape:?} of layer {i} ({})", layers[i])
            })?;
            largest = largest.max(n);
            activations = bounded(activations.checked_add(n), || {
                "one sample's activations".into()
            })?;
        }
        Ok(Self {
            params,
            activations_per_sample: activations,
            input_per_sample,
            largest_activation: largest,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Model, ModelSpec};

    #[test]
    fn counts_of_the_paper_models() {
        let m = Model::from_spec("mlp:784-1024-200-100-10:tanh").unwrap();
        let s = m.size();
        assert_eq!(
            s.params,
            784 * 1024 + 1024 + 1024 * 200 + 200 + 200 * 100 + 100 + 1010
        );
        assert_eq!(
            s.params,
            m.param_specs().iter().map(|p| p.numel()).sum::<usize>()
        );
        // The input, then linear and tanh outputs of every hidden layer, then the logits.
        assert_eq!(s.activations_per_sample, 784 + 2 * (1024 + 200 + 100) + 10);
        assert_eq!((s.input_per_sample, s.largest_activation), (784, 1024));
        let lenet = Model::from_spec("lenet5:3x32x32").unwrap();
        assert_eq!(lenet.num_params(), 62_006);
    }

    #[test]
    fn huge_specs_are_typed_errors_naming_the_spec() {
        for (spec, why) in [
            ("mlp:784-100000000000000000-10", "layer 0"),
            ("mlp:18446744073709551615-2-10", "the input"),
            ("lenet5:1x4294967296x4294967296", "the input"),
            ("vgg11p:3x18446744073709551615x1", "the input"),
            ("mlp:4-4294967296-4294967296-10", "layer 2"),
        ] {
            let err = Model::from_spec(spec).unwrap_err();
            let msg = err.to_string();
            assert!(matches!(err, NetsError::Spec { .. }), "{spec}: {msg}");
            assert!(msg.contains(spec) && msg.contains(why), "{spec}: {msg}");
        }
        // Built without a spec, the error is TooLarge.
        let spec: ModelSpec = "mlp:4-4294967296-4294967296-10".parse().unwrap();
        assert!(matches!(spec.build(), Err(NetsError::TooLarge { .. })));
    }

    #[test]
    fn large_but_describable_models_are_counted_exactly() {
        // 10^8 hidden units: 8.9·10^10 parameters; describing it allocates nothing.
        let m = Model::from_spec("mlp:784-100000000-10").unwrap();
        assert_eq!(
            m.num_params(),
            784 * 100_000_000 + 100_000_000 + 10 * 100_000_000 + 10
        );
        let lenet = Model::from_spec("lenet5:3x100000x100000").unwrap();
        assert!(lenet.size().activations_per_sample > 100_000 * 100_000 * 6);
    }
}
