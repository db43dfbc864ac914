//! The Kronecker factors of one layer on one minibatch, in `f64`, scaled as KFAC-Pytorch scales them.

use jetnewton_engine::stats::{add_col_gram, add_row_gram, conv_patch_gram, ConvDims};
use jetnewton_engine::{Float, Tensor};
use jetnewton_nets::{Layer, LayerVars};
use jetnewton_optim::OptimError;

fn widen<F: Float>(t: &Tensor<F>) -> Vec<f64> {
    t.data().iter().map(|v| v.to_f64_lossless()).collect()
}

/// The input factor `A` of a layer on its minibatch input, with the bias's 1 appended: `(1/N) Σ ã ãᵀ` for a
/// linear layer, `1/(N·P²) Σ_{n,p} ã ãᵀ` over the im2col patches of a convolution with `P` output positions.
pub(super) fn input_factor<F: Float>(l: &LayerVars<'_, F>) -> Result<Tensor<f64>, OptimError> {
    let x = l.input.value();
    let shape = x.shape().to_vec();
    let n = shape.first().copied().unwrap_or(0).max(1);
    match l.layer {
        Layer::Linear { in_features, .. } => {
            let d = in_features + 1;
            let mut rows = vec![1.0; n * d];
            for (row, src) in rows
                .chunks_exact_mut(d)
                .zip(x.data().chunks_exact(in_features))
            {
                row[..in_features]
                    .iter_mut()
                    .zip(src)
                    .for_each(|(r, s)| *r = s.to_f64_lossless());
            }
            let mut a = vec![0.0; d * d];
            add_row_gram(&rows, n, d, &mut a);
            a.iter_mut().for_each(|v| *v /= n as f64);
            Ok(Tensor::from_vec(vec![d, d], a)?)
        }
        Layer::Conv2d {
            in_ch,
            out_ch,
            kernel,
            stride,
            padding,
        } => {
            // The model checked that the layer fits its input; these checks only keep a mismatch from panicking.
            let bad = || OptimError::InvalidLayout {
                reason: format!("convolution {} on an input of shape {shape:?}", l.layer),
            };
            let [_, c, h, w] = shape[..] else {
                return Err(bad());
            };
            if c != in_ch || stride == 0 {
                return Err(bad());
            }
            let out_len = |len: usize| {
                (len + 2 * padding)
                    .checked_sub(kernel)
                    .map(|d| d / stride + 1)
            };
            let (Some(ho), Some(wo)) = (out_len(h), out_len(w)) else {
                return Err(bad());
            };
            let dims = ConvDims {
                n,
                c,
                h,
                w,
                o: out_ch,
                kh: kernel,
                kw: kernel,
                sh: stride,
                sw: stride,
                ph: padding,
                pw: padding,
                ho,
                wo,
            };
            let (p, d) = (dims.pixels(), dims.ckk() + 1);
            let mut a = conv_patch_gram(&dims, &widen(&x));
            let scale = 1.0 / (n as f64 * (p * p) as f64);
            a.iter_mut().for_each(|v| *v *= scale);
            Ok(Tensor::from_vec(vec![d, d], a)?)
        }
        _ => Err(OptimError::InvalidLayout {
            reason: format!("layer {} has no K-FAC factors", l.layer),
        }),
    }
}

/// The output-gradient factor `G` from the gradient `gy` of the mean sampled loss with respect to a layer's
/// output: `N Σ_n g_n g_nᵀ` for `[N, out]`, `N·P Σ_{n,p} g_{np} g_{np}ᵀ` for `[N, O, Ho, Wo]` with `P = Ho·Wo`.
pub(super) fn output_factor<F: Float>(gy: &Tensor<F>) -> Result<Tensor<f64>, OptimError> {
    let shape = gy.shape();
    let (n, o) = match shape {
        [n, o, ..] => (*n, *o),
        _ => {
            return Err(OptimError::InvalidLayout {
                reason: format!("layer output of shape {shape:?}"),
            })
        }
    };
    let p: usize = shape[2..].iter().product();
    let gs = widen(gy);
    let mut g = vec![0.0; o * o];
    if p == 1 {
        add_row_gram(&gs, n, o, &mut g);
    } else {
        for sample in gs.chunks_exact(o * p) {
            add_col_gram(sample, o, p, &mut g);
        }
    }
    let scale = (n * p) as f64;
    g.iter_mut().for_each(|v| *v *= scale);
    Ok(Tensor::from_vec(vec![o, o], g)?)
}
