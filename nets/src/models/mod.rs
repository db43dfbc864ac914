//! Models as plain descriptions — a stack of [`Layer`]s, an input shape and a class count — independent of any
//! graph. A [`Model`] is checked when it is made, so every layer is known to fit its input; [`Model::forward`]
//! then builds it on a [`jetnewton_engine::Graph`].
//!
//! Parameters follow PyTorch's naming: the layers that hold parameters are counted from 0 in forward order, and
//! layer `i` owns `{i}.weight` (`[out, in]` or `[out, in, kh, kw]`) and `{i}.bias` (`[out]`).
//!
//! ```
//! use jetnewton_nets::{Activation, Model};
//! let m = Model::from_spec("mlp:784-1024-200-100-10:tanh").unwrap();
//! let names: Vec<String> = m.param_specs().into_iter().map(|p| p.name).collect();
//! assert_eq!(names[..3], ["0.weight", "0.bias", "1.weight"]);
//! assert_eq!(m.to_string(), "mlp:784-1024-200-100-10:tanh");
//! assert_eq!(jetnewton_nets::lenet5(&[3, 32, 32], Activation::Tanh).unwrap().num_params(), 62_006);
//! ```

mod builders;
mod forward;
mod layer;
mod size;

use std::fmt;
use std::str::FromStr;

pub use builders::{
    big_mlp, deep_mlp, lenet5, mlp, paper_mlp, vbig_mlp, vgg11p, VggEntry, VGG11_CONFIG,
};
pub use forward::{Forward, LayerVars, ParamIds};
pub use layer::{Activation, Layer};
pub use size::{ModelSize, MAX_COUNT};

use crate::error::{NetsError, Result};
use crate::params::{ParamKind, ParamSpec};
use crate::spec::ModelSpec;

/// A sequential classifier: layers, the per-sample input shape (`[features]` or `[C, H, W]`) and the number of
/// classes its last layer scores.
///
/// Parameters follow PyTorch's naming: the layers that hold parameters are counted from 0 in forward order, and
/// layer `i` owns `{i}.weight` (`[out, in]` or `[out, in, kh, kw]`) and `{i}.bias` (`[out]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Model {
    layers: Vec<Layer>,
    input_shape: Vec<usize>,
    num_classes: usize,
    /// Per-sample output shape of every layer.
    shapes: Vec<Vec<usize>>,
    /// Its scalar counts, checked when it was made.
    size: ModelSize,
    spec: Option<ModelSpec>,
}

impl Model {
    /// Checks that the layers fit together from `input_shape` and end in `[num_classes]` scores.
    ///
    /// Errors name the first layer that does not fit its input (a wrong channel or feature count, a spatial size
    /// collapsing to zero), a bad input shape, a model without parameters, or a last output of another shape;
    /// [`NetsError::TooLarge`] when a count passes [`MAX_COUNT`] (nothing of the model's size is allocated).
    pub fn new(layers: Vec<Layer>, input_shape: Vec<usize>, num_classes: usize) -> Result<Self> {
        if !(input_shape.len() == 1 || input_shape.len() == 3) || input_shape.contains(&0) {
            return Err(NetsError::InvalidModel {
                reason: format!(
                    "input shape {input_shape:?} must be [features] or [channels, height, width], none zero"
                ),
            });
        }
        size::input_count(&input_shape)?;
        if num_classes == 0 {
            return Err(NetsError::InvalidModel {
                reason: "the number of classes must be at least 1".into(),
            });
        }
        let mut shapes = Vec::with_capacity(layers.len());
        let mut shape = input_shape.clone();
        for (i, layer) in layers.iter().enumerate() {
            shape = layer
                .output_shape(&shape)
                .map_err(|reason| NetsError::Model {
                    layer: i,
                    desc: layer.to_string(),
                    reason,
                })?;
            shapes.push(shape.clone());
        }
        if shape != [num_classes] {
            return Err(NetsError::InvalidModel {
                reason: format!(
                    "the last layer gives per-sample shape {shape:?}, expected [{num_classes}] class scores"
                ),
            });
        }
        if !layers.iter().any(|l| l.param_shapes().is_some()) {
            return Err(NetsError::InvalidModel {
                reason: "no layer has parameters".into(),
            });
        }
        let size = ModelSize::of(&layers, &input_shape, &shapes)?;
        Ok(Self {
            layers,
            input_shape,
            num_classes,
            shapes,
            size,
            spec: None,
        })
    }

    /// Parses a spec (see [`ModelSpec`]) and builds its model: the parser the CLI's `--model` uses.
    ///
    /// A model too large to describe is a [`NetsError::Spec`] error quoting `spec`, so that the message names
    /// what the user wrote.
    pub fn from_spec(spec: &str) -> Result<Self> {
        spec.parse::<ModelSpec>()?.build().map_err(|e| match e {
            NetsError::TooLarge { reason } => NetsError::Spec {
                spec: spec.to_string(),
                reason,
            },
            other => other,
        })
    }

    /// Records the spec this model was built from (shown by `Display`).
    pub(crate) fn with_spec(mut self, spec: ModelSpec) -> Self {
        self.spec = Some(spec);
        self
    }

    /// The layers, in forward order.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The per-sample input shape, `[features]` or `[C, H, W]`.
    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }

    /// The number of classes.
    pub fn num_classes(&self) -> usize {
        self.num_classes
    }

    /// The spec it was built from, when it was built from one (builders and [`Model::from_spec`]).
    pub fn spec(&self) -> Option<&ModelSpec> {
        self.spec.as_ref()
    }

    /// Per-sample output shape of every layer, in forward order.
    pub fn layer_shapes(&self) -> &[Vec<usize>] {
        &self.shapes
    }

    /// Every parameter tensor, `{i}.weight` then `{i}.bias` for each parameterised layer `i` in forward order.
    pub fn param_specs(&self) -> Vec<ParamSpec> {
        self.layers
            .iter()
            .filter_map(Layer::param_shapes)
            .enumerate()
            .flat_map(|(i, (w, b))| {
                [
                    ParamSpec::new(i, ParamKind::Weight, w),
                    ParamSpec::new(i, ParamKind::Bias, b),
                ]
            })
            .collect()
    }

    /// The parameter names, in [`Model::param_specs`] order.
    pub fn param_names(&self) -> Vec<String> {
        self.param_specs().into_iter().map(|p| p.name).collect()
    }

    /// Number of parameterised layers.
    pub fn num_param_layers(&self) -> usize {
        self.layers
            .iter()
            .filter(|l| l.param_shapes().is_some())
            .count()
    }

    /// Total number of scalar parameters (at most [`MAX_COUNT`]: checked when the model was made, so this
    /// cannot overflow).
    pub fn num_params(&self) -> usize {
        self.size.params
    }

    /// Its scalar counts, for estimating memory before allocating anything of its size.
    pub fn size(&self) -> ModelSize {
        self.size
    }

    /// The initialisation gain σ_w: that of the model's first activation (1 for tanh/sigmoid, √2 for ELU/ReLU),
    /// or 1 when it has none.
    pub fn init_gain(&self) -> f64 {
        self.layers
            .iter()
            .find_map(|l| match l {
                Layer::Act(a) => Some(a.gain()),
                _ => None,
            })
            .unwrap_or(1.0)
    }
}

impl fmt::Display for Model {
    /// The spec it was built from (which parses back to an equal model), or else a description of its layers
    /// (`layers[3x32x32: conv5x5 3→6 …]`) that is not meant to be parsed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(spec) = &self.spec {
            return write!(f, "{spec}");
        }
        let dims: Vec<String> = self.input_shape.iter().map(ToString::to_string).collect();
        let layers: Vec<String> = self.layers.iter().map(ToString::to_string).collect();
        write!(f, "layers[{}: {}]", dims.join("x"), layers.join(", "))
    }
}

impl FromStr for Model {
    type Err = NetsError;

    /// Same as [`Model::from_spec`].
    fn from_str(s: &str) -> Result<Self> {
        Model::from_spec(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lin(i: usize, o: usize) -> Layer {
        Layer::Linear {
            in_features: i,
            out_features: o,
        }
    }

    #[test]
    fn param_specs_follow_pytorch_names_and_layouts() {
        let m = Model::new(
            vec![
                Layer::Conv2d {
                    in_ch: 2,
                    out_ch: 4,
                    kernel: 3,
                    stride: 1,
                    padding: 1,
                },
                Layer::Act(Activation::Relu),
                Layer::MaxPool2d {
                    kernel: 2,
                    stride: 2,
                },
                lin(4 * 3 * 3, 5),
            ],
            vec![2, 6, 6],
            5,
        )
        .unwrap();
        let specs = m.param_specs();
        let got: Vec<(&str, &[usize])> = specs
            .iter()
            .map(|p| (p.name.as_str(), &p.shape[..]))
            .collect();
        assert_eq!(
            got,
            [
                ("0.weight", &[4, 2, 3, 3][..]),
                ("0.bias", &[4][..]),
                ("1.weight", &[5, 36][..]),
                ("1.bias", &[5][..]),
            ]
        );
        assert_eq!(m.num_params(), 72 + 4 + 180 + 5);
        assert_eq!(m.layer_shapes()[2], [4, 3, 3]);
        assert_eq!(m.init_gain(), 2f64.sqrt());
        assert!(
            m.to_string().starts_with("layers[2x6x6: conv3x3 2→4"),
            "{m}"
        );
    }

    #[test]
    fn rejects_stacks_that_do_not_fit() {
        let err = Model::new(vec![lin(10, 5), lin(6, 3)], vec![10], 3).unwrap_err();
        assert!(
            matches!(&err, NetsError::Model { layer: 1, .. })
                && err.to_string().contains("5 features"),
            "{err}"
        );
        let err = Model::new(vec![lin(10, 5)], vec![10], 3).unwrap_err();
        assert!(
            err.to_string().contains("expected [3] class scores"),
            "{err}"
        );
        let err = Model::new(vec![Layer::Act(Activation::Tanh)], vec![3], 3).unwrap_err();
        assert!(err.to_string().contains("no layer has parameters"), "{err}");
        let err = Model::new(vec![lin(10, 5)], vec![2, 5], 5).unwrap_err();
        assert!(err.to_string().contains("input shape [2, 5]"), "{err}");
        assert!(Model::new(vec![lin(10, 5)], vec![10], 0).is_err());
    }
}
