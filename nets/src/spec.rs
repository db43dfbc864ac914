//! Model specs: the one text form of a model, used by the CLI's `--model`.
//!
//! See [`ModelSpec`] for the forms.

use std::fmt;
use std::str::FromStr;

use crate::error::{NetsError, Result};
use crate::models::{lenet5, mlp, vgg11p, Activation, Model};

/// A parsed model spec.
///
/// | spec | model |
/// |---|---|
/// | `mlp:784-1024-200-100-10:tanh` | MLP, input width first; `1024x20` repeats a width; activation optional (tanh) |
/// | `lenet5:3x32x32:tanh` | LeNet-5 for a `C×H×W` input; activation optional (tanh) |
/// | `vgg11p:3x32x32` | VGG-11' for a `C×H×W` input (ELU) |
/// | `bigmlp` | alias of `mlp:3072-1024x20-10:elu` |
/// | `vbigmlp` | alias of `mlp:3072-1024x100-10:elu` (appendix H) |
///
/// Names and activations ignore ASCII case. `Display` writes the canonical form (lower case, activation always
/// written, runs of three or more equal widths as `WxN`), which parses back to an equal spec.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ModelSpec {
    /// `mlp:<in>-<w1>-…-<classes>:<act>`.
    Mlp {
        /// Input width, then every layer's width (the last is the class count); at least two entries.
        widths: Vec<usize>,
        /// Activation after every hidden layer.
        activation: Activation,
    },
    /// `lenet5:<C>x<H>x<W>:<act>`.
    LeNet5 {
        /// Input `[C, H, W]`.
        input: [usize; 3],
        /// Activation after every layer but the last.
        activation: Activation,
    },
    /// `vgg11p:<C>x<H>x<W>`.
    Vgg11p {
        /// Input `[C, H, W]`.
        input: [usize; 3],
    },
}

impl ModelSpec {
    /// Builds the model it describes.
    pub fn build(&self) -> Result<Model> {
        match self {
            ModelSpec::Mlp { widths, activation } => match widths.split_first() {
                Some((&input, rest)) if !rest.is_empty() => mlp(&[input], rest, *activation),
                _ => Err(NetsError::InvalidModel {
                    reason: format!(
                        "an MLP spec needs an input width and at least one layer, got {widths:?}"
                    ),
                }),
            },
            ModelSpec::LeNet5 { input, activation } => lenet5(input, *activation),
            ModelSpec::Vgg11p { input } => vgg11p(input),
        }
    }
}

/// An error about `spec`.
fn bad(spec: &str, reason: impl Into<String>) -> NetsError {
    NetsError::Spec {
        spec: spec.to_string(),
        reason: reason.into(),
    }
}

/// A positive integer.
fn positive(spec: &str, what: &str, s: &str) -> Result<usize> {
    match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(bad(spec, format!("{what} {s:?} is not a positive integer"))),
    }
}

/// The most widths an MLP spec may list (its input and every layer), repeats expanded: 100 times the deepest
/// model of the paper (VBigMLP, 102 widths). The bound is checked before the list is made, so a repeat count such
/// as `1024x100000000` costs nothing; deeper nets would also give Method 1 an `S × S` system (S = 2 per layer with
/// the canonical partition) whose eigendecomposition alone takes hours.
pub const MAX_MLP_WIDTHS: usize = 10_000;

/// `1024-200-1024x20-10` → widths; at most [`MAX_MLP_WIDTHS`].
fn parse_widths(spec: &str, s: &str) -> Result<Vec<usize>> {
    let mut widths = Vec::new();
    for token in s.split('-') {
        let (w, n) = match token.split_once(['x', 'X']) {
            Some((w, n)) => (
                positive(spec, "width", w)?,
                positive(spec, "repeat count", n)?,
            ),
            None => (positive(spec, "width", token)?, 1),
        };
        if n > MAX_MLP_WIDTHS - widths.len().min(MAX_MLP_WIDTHS) {
            return Err(bad(
                spec,
                format!(
                    "lists at least {} widths; an MLP may have at most {MAX_MLP_WIDTHS} widths (its input \
                     and every layer)",
                    widths.len().saturating_add(n)
                ),
            ));
        }
        widths.extend(std::iter::repeat_n(w, n));
    }
    if widths.len() < 2 {
        return Err(bad(
            spec,
            "an MLP needs an input width and at least one layer width",
        ));
    }
    Ok(widths)
}

/// `3x32x32` → `[3, 32, 32]`.
fn parse_image(spec: &str, s: Option<&str>) -> Result<[usize; 3]> {
    let s = s.ok_or_else(|| bad(spec, "missing input shape CxHxW (e.g. 3x32x32)"))?;
    let dims: Vec<&str> = s.split(['x', 'X']).collect();
    let [c, h, w] = dims[..] else {
        return Err(bad(
            spec,
            format!("input shape {s:?} is not CxHxW (e.g. 3x32x32)"),
        ));
    };
    Ok([
        positive(spec, "channel count", c)?,
        positive(spec, "height", h)?,
        positive(spec, "width", w)?,
    ])
}

/// The optional activation part; tanh when absent.
fn parse_activation(spec: &str, s: Option<&str>) -> Result<Activation> {
    s.map_or(Ok(Activation::Tanh), |a| {
        a.parse().map_err(|reason: String| bad(spec, reason))
    })
}

impl FromStr for ModelSpec {
    type Err = NetsError;

    fn from_str(spec: &str) -> Result<Self> {
        let s = spec.trim();
        let mut parts = s.split(':');
        let name = parts.next().unwrap_or_default().to_ascii_lowercase();
        let args: Vec<&str> = parts.collect();
        let max_args = match name.as_str() {
            "bigmlp" | "vbigmlp" => 0,
            "vgg11p" => 1,
            _ => 2,
        };
        if args.len() > max_args {
            return Err(bad(
                spec,
                format!("too many ':'-separated parts for {name}"),
            ));
        }
        match name.as_str() {
            "mlp" => {
                let widths = args
                    .first()
                    .ok_or_else(|| bad(spec, "missing widths (e.g. mlp:784-1024-10:tanh)"))?;
                Ok(ModelSpec::Mlp {
                    widths: parse_widths(spec, widths)?,
                    activation: parse_activation(spec, args.get(1).copied())?,
                })
            }
            "lenet5" => Ok(ModelSpec::LeNet5 {
                input: parse_image(spec, args.first().copied())?,
                activation: parse_activation(spec, args.get(1).copied())?,
            }),
            "vgg11p" => Ok(ModelSpec::Vgg11p {
                input: parse_image(spec, args.first().copied())?,
            }),
            "bigmlp" | "vbigmlp" => {
                let depth = if name == "bigmlp" { 20 } else { 100 };
                let mut widths = vec![3072];
                widths.extend(std::iter::repeat_n(1024, depth));
                widths.push(10);
                Ok(ModelSpec::Mlp {
                    widths,
                    activation: Activation::Elu,
                })
            }
            _ => Err(bad(
                spec,
                format!("unknown model {name:?} (expected mlp, lenet5, vgg11p, bigmlp or vbigmlp)"),
            )),
        }
    }
}

impl fmt::Display for ModelSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelSpec::Mlp { widths, activation } => {
                let mut tokens = Vec::new();
                let mut i = 0;
                while i < widths.len() {
                    let run = widths[i..].iter().take_while(|&&w| w == widths[i]).count();
                    if run >= 3 {
                        tokens.push(format!("{}x{run}", widths[i]));
                        i += run;
                    } else {
                        tokens.push(widths[i].to_string());
                        i += 1;
                    }
                }
                write!(f, "mlp:{}:{activation}", tokens.join("-"))
            }
            ModelSpec::LeNet5 {
                input: [c, h, w],
                activation,
            } => write!(f, "lenet5:{c}x{h}x{w}:{activation}"),
            ModelSpec::Vgg11p { input: [c, h, w] } => write!(f, "vgg11p:{c}x{h}x{w}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_documented_forms() {
        let m = Model::from_spec("mlp:784-1024-200-100-10:tanh").unwrap();
        assert_eq!(m.input_shape(), [784]);
        assert_eq!(m.num_classes(), 10);
        assert_eq!(m.param_specs()[0].shape, [1024, 784]);
        assert_eq!(
            Model::from_spec("bigmlp").unwrap(),
            Model::from_spec("mlp:3072-1024x20-10:elu").unwrap()
        );
        assert_eq!(Model::from_spec("bigmlp").unwrap().num_param_layers(), 21);
        assert_eq!(
            "lenet5:3x32x32".parse::<ModelSpec>().unwrap(),
            ModelSpec::LeNet5 {
                input: [3, 32, 32],
                activation: Activation::Tanh
            }
        );
        assert_eq!(
            "MLP:10-7-10:ELU".parse::<ModelSpec>().unwrap().to_string(),
            "mlp:10-7-10:elu"
        );
        assert_eq!(
            "mlp:10-7-10".parse::<ModelSpec>().unwrap().to_string(),
            "mlp:10-7-10:tanh"
        );
        assert_eq!(
            Model::from_spec(" vgg11p:3x32x32 ").unwrap().to_string(),
            "vgg11p:3x32x32"
        );
        assert_eq!(
            "vbigmlp".parse::<ModelSpec>().unwrap().to_string(),
            "mlp:3072-1024x100-10:elu"
        );
    }

    #[test]
    fn errors_quote_the_spec_and_say_why() {
        let cases = [
            ("resnet:3x32x32", "unknown model \"resnet\""),
            ("mlp:784-abc-10", "width \"abc\" is not a positive integer"),
            ("mlp:784-0-10", "width \"0\""),
            ("mlp:784-10x-10", "repeat count \"\""),
            ("mlp:784:tanh", "at least one layer width"),
            ("mlp", "missing widths"),
            ("mlp:784-10:gelu", "unknown activation \"gelu\""),
            ("lenet5:3x32:tanh", "not CxHxW"),
            ("lenet5", "missing input shape"),
            ("vgg11p:3x32x32:elu", "too many"),
            ("bigmlp:elu", "too many"),
            ("", "unknown model \"\""),
        ];
        for (spec, why) in cases {
            let err = Model::from_spec(spec).unwrap_err();
            let msg = err.to_string();
            assert!(matches!(err, NetsError::Spec { .. }), "{spec}: {msg}");
            assert!(
                msg.contains(&format!("{spec:?}")) && msg.contains(why),
                "{spec}: {msg}"
            );
        }
        let err = Model::from_spec("lenet5:3x8x8").unwrap_err();
        assert!(err.to_string().contains("collapses"), "{err}");
    }

    #[test]
    fn repeat_counts_are_bounded_before_the_widths_are_listed() {
        for spec in [
            "mlp:1024x100000000-10",
            "mlp:784-1024x18446744073709551615-10",
            "mlp:784-4x5000-4x5000-10",
        ] {
            let err = spec.parse::<ModelSpec>().unwrap_err();
            let msg = err.to_string();
            assert!(matches!(err, NetsError::Spec { .. }), "{spec}: {msg}");
            assert!(
                msg.contains(spec) && msg.contains("at most 10000 widths"),
                "{spec}: {msg}"
            );
        }
        let widths = |spec: &str| match spec.parse::<ModelSpec>().unwrap() {
            ModelSpec::Mlp { widths, .. } => widths.len(),
            other => panic!("{other:?}"),
        };
        assert_eq!(widths("mlp:4-4x9998-10"), MAX_MLP_WIDTHS);
        assert!("mlp:4-4x9999-10".parse::<ModelSpec>().is_err());
    }

    fn any_spec() -> impl Strategy<Value = ModelSpec> {
        let act = prop::sample::select(Activation::ALL.to_vec());
        let image = (1usize..5, 1usize..70, 1usize..70).prop_map(|(c, h, w)| [c, h, w]);
        prop_oneof![
            (
                prop::collection::vec(prop::sample::select(vec![1usize, 7, 16, 1024]), 2..30),
                act.clone()
            )
                .prop_map(|(widths, activation)| ModelSpec::Mlp { widths, activation }),
            (image.clone(), act)
                .prop_map(|(input, activation)| ModelSpec::LeNet5 { input, activation }),
            image.prop_map(|input| ModelSpec::Vgg11p { input }),
        ]
    }

    proptest! {
        #[test]
        fn display_parses_back(spec in any_spec()) {
            let text = spec.to_string();
            prop_assert_eq!(text.parse::<ModelSpec>().unwrap(), spec.clone());
            prop_assert_eq!(text.parse::<ModelSpec>().unwrap().to_string(), text);
            if let Ok(model) = spec.build() {
                prop_assert_eq!(model.spec(), Some(&spec));
                prop_assert_eq!(model.to_string().parse::<Model>().unwrap(), model);
            }
        }
    }
}
