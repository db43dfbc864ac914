//! What an oracle reports for K-FAC: the loss and gradient of a minibatch, and on request each layer's Kronecker
//! factors on that same minibatch ([`KfacLayerStats`]); and the checks of those factors against the parameters.

use jetnewton_engine::{Float, Tensor};

use crate::error::{OptimError, Result};
use crate::layout::ParamLayout;

/// One layer's Kronecker factors on one minibatch, with KFAC-Pytorch's scaling (`batch_averaged = True`).
///
/// The layer has weight `W` (linear `[out, in]`, or convolution `[out, c, k, k]` seen as `[out, c·k·k]`) and an
/// optional bias `b` (`[out]`). With `ã` the layer's input (a convolution's im2col patch) followed by a 1 when
/// there is a bias, and `g` the gradient of the minibatch's mean loss — with labels sampled from the model's
/// predictive distribution — with respect to the layer's output after the bias:
///
/// - linear, batch of `N`: `A = (1/N) Σ_n ã_n ã_nᵀ` and `G = N Σ_n g_n g_nᵀ` (each `N g_n` is a per-sample
///   gradient);
/// - convolution with `P` output positions: `A = 1/(N·P²) Σ_{n,p} ã_{np} ã_{np}ᵀ` and
///   `G = N·P Σ_{n,p} g_{np} g_{np}ᵀ` (KFAC-Pytorch's split of the spatial sums between the factors; only their
///   product enters the preconditioner, up to the damping).
#[derive(Clone, Debug, PartialEq)]
pub struct KfacLayerStats {
    /// Index of the layer's weight in the optimiser's [`ParamLayout`].
    pub weight: usize,
    /// Index of its bias, if it has one.
    pub bias: Option<usize>,
    /// The input factor `A`, `[d_a, d_a]` with `d_a = in (+ 1 with a bias)`.
    pub a: Tensor<f64>,
    /// The output-gradient factor `G`, `[out, out]`.
    pub g: Tensor<f64>,
}

/// An oracle's answer to [`crate::Oracle::loss_gradient_and_kfac`].
#[derive(Clone, Debug)]
pub struct KfacGradient<F: Float> {
    /// The mean loss on the minibatch, with its true labels.
    pub loss: f64,
    /// Its gradient, one tensor per parameter in layout order.
    pub gradient: Vec<Tensor<F>>,
    /// Every K-FAC layer's factors on the same minibatch, when they were asked for.
    pub layers: Option<Vec<KfacLayerStats>>,
}

/// Where a layer's factors sit among the parameters, and their sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct LayerShape {
    /// Index of the weight.
    pub weight: usize,
    /// Index of the bias, if any.
    pub bias: Option<usize>,
    /// Output features (rows of the weight, side of `G`).
    pub out: usize,
    /// Input features of the weight (its other axes flattened).
    pub input: usize,
}

impl LayerShape {
    /// The side of `A`: the input features, plus one for the bias.
    pub fn d_a(&self) -> usize {
        self.input + usize::from(self.bias.is_some())
    }

    /// The layer's shape from its parameters in `layout`; errors when the indices are out of range or the shapes
    /// do not make a layer (a weight of rank below 2, a bias that is not `[out]`).
    pub fn of(layout: &ParamLayout, weight: usize, bias: Option<usize>) -> Result<Self> {
        let shape = |i: usize| {
            layout.shapes().get(i).ok_or_else(|| {
                bad(format!(
                    "parameter index {i}, but there are {}",
                    layout.len()
                ))
            })
        };
        let w = shape(weight)?;
        let name = &layout.names()[weight];
        let (out, input) = match w.as_slice() {
            [out, rest @ ..] if !rest.is_empty() => (*out, rest.iter().product::<usize>()),
            _ => (0, 0),
        };
        if out == 0 || input == 0 {
            return Err(bad(format!(
                "weight `{name}` of shape {w:?} is not a layer's weight"
            )));
        }
        if let Some(b) = bias {
            let bs = shape(b)?;
            if bs.as_slice() != [out] || b == weight {
                return Err(bad(format!(
                    "bias `{}` of shape {bs:?} does not fit weight `{name}` of shape {w:?}",
                    layout.names()[b]
                )));
            }
        }
        Ok(Self {
            weight,
            bias,
            out,
            input,
        })
    }
}

/// A [`OptimError::KfacStats`].
pub(super) fn bad(reason: String) -> OptimError {
    OptimError::KfacStats { reason }
}

/// Checks an oracle's statistics against `layout`: every layer fits its parameters, no parameter is in two
/// layers, the factors are square of the right sides and finite. Returns the layers sorted by weight index.
pub(super) fn check_stats(
    layout: &ParamLayout,
    mut stats: Vec<KfacLayerStats>,
) -> Result<Vec<(LayerShape, KfacLayerStats)>> {
    stats.sort_by_key(|s| s.weight);
    let mut owner = vec![false; layout.len()];
    let mut out = Vec::with_capacity(stats.len());
    for s in stats {
        let shape = LayerShape::of(layout, s.weight, s.bias)?;
        let name = &layout.names()[s.weight];
        for p in std::iter::once(s.weight).chain(s.bias) {
            if std::mem::replace(&mut owner[p], true) {
                return Err(bad(format!("`{}` is in two layers", layout.names()[p])));
            }
        }
        for (what, t, n) in [("A", &s.a, shape.d_a()), ("G", &s.g, shape.out)] {
            if t.shape() != [n, n] {
                return Err(bad(format!(
                    "factor {what} of `{name}` has shape {:?}, expected [{n}, {n}]",
                    t.shape()
                )));
            }
            if !t.data().iter().all(|v| v.is_finite()) {
                return Err(OptimError::NonFinite {
                    what: "K-FAC factor",
                    name: name.clone(),
                });
            }
        }
        out.push((shape, s));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> ParamLayout {
        ParamLayout::new(
            vec!["w".into(), "b".into(), "c".into(), "s".into()],
            vec![vec![2, 3], vec![2], vec![4, 1, 2, 2], vec![]],
        )
        .unwrap()
    }

    fn stats(weight: usize, bias: Option<usize>, da: usize, dg: usize) -> KfacLayerStats {
        KfacLayerStats {
            weight,
            bias,
            a: Tensor::zeros(&[da, da]),
            g: Tensor::zeros(&[dg, dg]),
        }
    }

    #[test]
    fn layers_are_checked_against_the_layout() {
        let l = layout();
        let ok = check_stats(&l, vec![stats(2, None, 4, 4), stats(0, Some(1), 4, 2)]).unwrap();
        let shapes: Vec<LayerShape> = ok.iter().map(|(s, _)| *s).collect();
        assert_eq!(shapes[0].d_a(), 4);
        assert_eq!((shapes[1].out, shapes[1].input, shapes[1].d_a()), (4, 4, 4));
        for (bad_stats, why) in [
            (vec![stats(0, None, 4, 2)], "expected [3, 3]"),
            (vec![stats(0, Some(1), 4, 3)], "expected [2, 2]"),
            (vec![stats(3, None, 1, 1)], "is not a layer's weight"),
            (vec![stats(0, Some(2), 4, 2)], "does not fit"),
            (vec![stats(7, None, 1, 1)], "parameter index 7"),
            (
                vec![stats(0, Some(1), 4, 2), stats(0, None, 3, 2)],
                "in two layers",
            ),
        ] {
            let err = check_stats(&l, bad_stats).unwrap_err();
            assert!(
                matches!(err, OptimError::KfacStats { .. }) && err.to_string().contains(why),
                "{err}"
            );
        }
        let mut nan = stats(0, Some(1), 4, 2);
        nan.g.data_mut()[1] = f64::NAN;
        let err = check_stats(&l, vec![nan]).unwrap_err();
        assert!(matches!(err, OptimError::NonFinite { .. }), "{err}");
    }
}
