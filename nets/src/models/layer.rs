//! The layers a model is a stack of, and how each one transforms the per-sample shape.

use std::fmt;
use std::str::FromStr;

/// An elementwise activation function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Activation {
    /// `tanh(x)`.
    Tanh,
    /// `x` for `x > 0`, else `exp(x) − 1` (α = 1).
    Elu,
    /// `max(x, 0)`.
    Relu,
    /// `1 / (1 + exp(−x))`.
    Sigmoid,
}

impl Activation {
    /// Every activation, in the order of [`Activation::name`]'s documentation.
    pub const ALL: [Activation; 4] = [
        Activation::Tanh,
        Activation::Elu,
        Activation::Relu,
        Activation::Sigmoid,
    ];

    /// Its name in specs: `tanh`, `elu`, `relu`, `sigmoid`.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Tanh => "tanh",
            Activation::Elu => "elu",
            Activation::Relu => "relu",
            Activation::Sigmoid => "sigmoid",
        }
    }

    /// The initialisation gain σ_w of a net using it: 1 for tanh and sigmoid, √2 for ELU and ReLU.
    pub fn gain(self) -> f64 {
        match self {
            Activation::Tanh | Activation::Sigmoid => 1.0,
            Activation::Elu | Activation::Relu => std::f64::consts::SQRT_2,
        }
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Activation {
    type Err = String;

    /// Parses a name of [`Activation::name`], ignoring ASCII case; the error lists the accepted names.
    fn from_str(s: &str) -> Result<Self, String> {
        Activation::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown activation {s:?} (expected tanh, elu, relu or sigmoid)")
            })
    }
}

/// One layer of a sequential model. Shapes are per sample: `[features]` or `[channels, height, width]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Layer {
    /// `y = x Wᵀ + b` with `W: [out_features, in_features]`, `b: [out_features]`. A `[C, H, W]` input is flattened
    /// first (so `in_features = C·H·W`).
    Linear {
        /// Input features.
        in_features: usize,
        /// Output features.
        out_features: usize,
    },
    /// 2-D cross-correlation with a square kernel, `W: [out_ch, in_ch, kernel, kernel]`, `b: [out_ch]`.
    Conv2d {
        /// Input channels.
        in_ch: usize,
        /// Output channels.
        out_ch: usize,
        /// Kernel height and width.
        kernel: usize,
        /// Stride along both axes.
        stride: usize,
        /// Zero padding on every side.
        padding: usize,
    },
    /// An elementwise activation.
    Act(Activation),
    /// Max pooling over `kernel × kernel` windows, no padding (PyTorch's floor rule for the output size).
    MaxPool2d {
        /// Window height and width.
        kernel: usize,
        /// Stride along both axes.
        stride: usize,
    },
    /// Average pooling over `kernel × kernel` windows, no padding.
    AvgPool2d {
        /// Window height and width.
        kernel: usize,
        /// Stride along both axes.
        stride: usize,
    },
    /// Mean over the spatial axes: `[C, H, W] → [C]`.
    GlobalAvgPool,
    /// `[C, H, W] → [C·H·W]`.
    Flatten,
}

impl Layer {
    /// The shapes of its weight and bias, for layers that have parameters.
    pub fn param_shapes(&self) -> Option<(Vec<usize>, Vec<usize>)> {
        match *self {
            Layer::Linear {
                in_features,
                out_features,
            } => Some((vec![out_features, in_features], vec![out_features])),
            Layer::Conv2d {
                in_ch,
                out_ch,
                kernel,
                ..
            } => Some((vec![out_ch, in_ch, kernel, kernel], vec![out_ch])),
            _ => None,
        }
    }

    /// Fan-in of its weight (`in_features`, or `in_ch·kernel²`), for layers that have parameters.
    pub fn fan_in(&self) -> Option<usize> {
        match *self {
            Layer::Linear { in_features, .. } => Some(in_features),
            Layer::Conv2d { in_ch, kernel, .. } => Some(in_ch * kernel * kernel),
            _ => None,
        }
    }

    /// The per-sample output shape for a per-sample input shape, or why the layer cannot take that input.
    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, String> {
        let numel = checked_numel(input)
            .ok_or_else(|| format!("input {input:?} has more elements than a count can hold"))?;
        match *self {
            Layer::Linear {
                in_features,
                out_features,
            } => {
                if numel != in_features {
                    return Err(format!(
                        "input {input:?} has {numel} features, the layer expects {in_features}"
                    ));
                }
                Ok(vec![out_features])
            }
            Layer::Conv2d {
                in_ch,
                out_ch,
                kernel,
                stride,
                padding,
            } => {
                let [c, h, w] = spatial(input)?;
                if c != in_ch {
                    return Err(format!(
                        "input {input:?} has {c} channels, the layer expects {in_ch}"
                    ));
                }
                let oh = window_out(padded(h, padding, input)?, kernel, stride, input)?;
                let ow = window_out(padded(w, padding, input)?, kernel, stride, input)?;
                Ok(vec![out_ch, oh, ow])
            }
            Layer::MaxPool2d { kernel, stride } | Layer::AvgPool2d { kernel, stride } => {
                let [c, h, w] = spatial(input)?;
                Ok(vec![
                    c,
                    window_out(h, kernel, stride, input)?,
                    window_out(w, kernel, stride, input)?,
                ])
            }
            Layer::GlobalAvgPool => Ok(vec![spatial(input)?[0]]),
            Layer::Flatten => Ok(vec![numel]),
            Layer::Act(_) => Ok(input.to_vec()),
        }
    }
}

/// The product of `dims`, or `None` when it overflows.
pub(crate) fn checked_numel(dims: &[usize]) -> Option<usize> {
    dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d))
}

/// `len + 2·padding`, or an error when it overflows (a spatial size near `usize::MAX`).
fn padded(len: usize, padding: usize, input: &[usize]) -> Result<usize, String> {
    padding
        .checked_mul(2)
        .and_then(|p| len.checked_add(p))
        .ok_or_else(|| format!("input {input:?} with padding {padding} overflows a count"))
}

/// `[C, H, W]` of a rank-3 shape.
fn spatial(input: &[usize]) -> Result<[usize; 3], String> {
    match *input {
        [c, h, w] => Ok([c, h, w]),
        _ => Err(format!("input {input:?} is not [channels, height, width]")),
    }
}

/// Output length of a sliding window over `len` (padding included); an error when it would be zero.
fn window_out(len: usize, kernel: usize, stride: usize, input: &[usize]) -> Result<usize, String> {
    if kernel == 0 || stride == 0 {
        return Err(format!(
            "kernel {kernel} and stride {stride} must be at least 1"
        ));
    }
    if len < kernel {
        return Err(format!(
            "spatial size collapses to zero: input {input:?} is smaller than the {kernel}×{kernel} window"
        ));
    }
    Ok((len - kernel) / stride + 1)
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Layer::Linear {
                in_features,
                out_features,
            } => write!(f, "linear {in_features}→{out_features}"),
            Layer::Conv2d {
                in_ch,
                out_ch,
                kernel,
                stride,
                padding,
            } => write!(
                f,
                "conv{kernel}x{kernel} {in_ch}→{out_ch} stride {stride} padding {padding}"
            ),
            Layer::Act(a) => write!(f, "{a}"),
            Layer::MaxPool2d { kernel, stride } => write!(f, "maxpool{kernel} stride {stride}"),
            Layer::AvgPool2d { kernel, stride } => write!(f, "avgpool{kernel} stride {stride}"),
            Layer::GlobalAvgPool => write!(f, "global average pool"),
            Layer::Flatten => write!(f, "flatten"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activation_names_round_trip_and_reject_unknown() {
        for a in Activation::ALL {
            assert_eq!(a.name().parse::<Activation>(), Ok(a));
            assert_eq!(a.name().to_uppercase().parse::<Activation>(), Ok(a));
        }
        let err = "gelu".parse::<Activation>().unwrap_err();
        assert!(err.contains("\"gelu\"") && err.contains("sigmoid"), "{err}");
        assert_eq!(Activation::Tanh.gain(), 1.0);
        assert_eq!(Activation::Relu.gain(), 2f64.sqrt());
    }

    #[test]
    fn conv_and_pool_shapes_follow_pytorch() {
        let conv = Layer::Conv2d {
            in_ch: 3,
            out_ch: 6,
            kernel: 5,
            stride: 1,
            padding: 0,
        };
        assert_eq!(conv.output_shape(&[3, 32, 32]), Ok(vec![6, 28, 28]));
        assert_eq!(conv.param_shapes(), Some((vec![6, 3, 5, 5], vec![6])));
        assert_eq!(conv.fan_in(), Some(75));
        let same = Layer::Conv2d {
            in_ch: 3,
            out_ch: 8,
            kernel: 3,
            stride: 2,
            padding: 1,
        };
        assert_eq!(same.output_shape(&[3, 7, 8]), Ok(vec![8, 4, 4]));
        let pool = Layer::MaxPool2d {
            kernel: 2,
            stride: 2,
        };
        assert_eq!(pool.output_shape(&[6, 5, 4]), Ok(vec![6, 2, 2]));
        assert!(pool
            .output_shape(&[6, 1, 4])
            .unwrap_err()
            .contains("collapses"));
        assert!(conv
            .output_shape(&[1, 32, 32])
            .unwrap_err()
            .contains("1 channels"));
        assert!(conv
            .output_shape(&[3, 4, 32])
            .unwrap_err()
            .contains("collapses"));
        assert!(conv
            .output_shape(&[75])
            .unwrap_err()
            .contains("not [channels"));
    }

    #[test]
    fn linear_flattens_and_checks_features() {
        let lin = Layer::Linear {
            in_features: 12,
            out_features: 5,
        };
        assert_eq!(lin.output_shape(&[3, 2, 2]), Ok(vec![5]));
        assert!(lin.output_shape(&[13]).unwrap_err().contains("13 features"));
        assert_eq!(Layer::GlobalAvgPool.output_shape(&[7, 3, 3]), Ok(vec![7]));
        assert_eq!(Layer::Flatten.output_shape(&[7, 3, 3]), Ok(vec![63]));
    }

    #[test]
    fn counts_that_overflow_are_errors_not_panics() {
        let huge = [usize::MAX, 2, 2];
        assert!(Layer::Flatten
            .output_shape(&huge)
            .unwrap_err()
            .contains("more elements"));
        let conv = Layer::Conv2d {
            in_ch: 1,
            out_ch: 1,
            kernel: 3,
            stride: 1,
            padding: 1,
        };
        assert!(conv
            .output_shape(&[1, usize::MAX, 1])
            .unwrap_err()
            .contains("overflows"));
    }
}
