//! 2-D convolution (NCHW input, PyTorch `[O, C, kh, kw]` weight, stride and zero padding, no bias) and its two
//! adjoints. The three products are bilinear and closed under adjoints, like [`MatMul`](crate::ops::matmul::MatMul):
//!
//! | op | value | cotangent of the 1st input | cotangent of the 2nd input |
//! |---|---|---|---|
//! | [`Conv2d`] | `y = Conv(x, w)` | `x̄ = ConvIn(ȳ, w)` | `w̄ = ConvW(x, ȳ)` |
//! | [`Conv2dInputGrad`] | `z = ConvIn(g, w)` | `ḡ = Conv(z̄, w)` | `w̄ = ConvW(z̄, g)` |
//! | [`Conv2dWeightGrad`] | `v = ConvW(x, g)` | `x̄ = ConvIn(g, v̄)` | `ḡ = Conv(x, v̄)` |
//!
//! all from `⟨Conv(x, w), g⟩ = ⟨x, ConvIn(g, w)⟩ = ⟨w, ConvW(x, g)⟩`. Every jet is [`bilinear_jet`] over the
//! product, and every jet-vjp is `bilinear_jet` over the adjoint product. Each op also reports itself bilinear and
//! contracts an input's cotangent with a direction `v` through [`bilinear_contract`] — `⟨w̄_k, v⟩ = Σ ⟨ȳ_i,
//! Conv(x_j, v)⟩` — so the summaries never form a weight gradient. Bias is added with [`Var::add_bias`].
//!
//! [`bilinear_jet`]: crate::jet::bilinear_jet
//! [`bilinear_contract`]: crate::jet::bilinear_contract

mod conv2d;
mod input_grad;
mod weight_grad;

pub use conv2d::Conv2d;
pub use input_grad::Conv2dInputGrad;
pub use weight_grad::Conv2dWeightGrad;

use crate::cpu::conv::ConvDims;
use crate::error::{EngineError, Result};
use crate::float::Float;
use crate::graph::Var;
use crate::tensor::{numel, Tensor};

/// Stride and zero padding of a convolution, `(vertical, horizontal)`; the kernel size is the weight's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvGeom {
    /// `(sh, sw)`, each at least 1.
    pub stride: (usize, usize),
    /// `(ph, pw)` zeros added on both sides.
    pub padding: (usize, usize),
}

impl ConvGeom {
    /// Resolves the sizes of `Conv(x, w)` from the shapes of `x` (`[N, C, H, W]`) and `w` (`[O, C, kh, kw]`),
    /// with a clear error naming `op` when they do not fit.
    pub fn dims(&self, op: &'static str, x: &[usize], w: &[usize]) -> Result<ConvDims> {
        let invalid = |shape: &[usize], reason: String| EngineError::InvalidShape {
            op,
            shape: shape.to_vec(),
            reason,
        };
        let ((sh, sw), (ph, pw)) = (self.stride, self.padding);
        if sh == 0 || sw == 0 {
            return Err(invalid(
                x,
                format!("stride {:?} must be at least 1 on each axis", self.stride),
            ));
        }
        let &[n, c, h, wd] = x else {
            return Err(invalid(x, "expected an input [N, C, H, W]".into()));
        };
        let &[o, c2, kh, kw] = w else {
            return Err(invalid(w, "expected a weight [O, C, kh, kw]".into()));
        };
        if c != c2 {
            return Err(EngineError::ShapeMismatch {
                op,
                lhs: x.to_vec(),
                rhs: w.to_vec(),
            });
        }
        if kh == 0 || kw == 0 {
            return Err(invalid(w, "the kernel must not be empty".into()));
        }
        if kh > h + 2 * ph || kw > wd + 2 * pw {
            let reason = format!(
                "kernel {kh}×{kw} larger than the padded input {}×{}",
                h + 2 * ph,
                wd + 2 * pw
            );
            return Err(invalid(x, reason));
        }
        Ok(ConvDims {
            n,
            c,
            h,
            w: wd,
            o,
            kh,
            kw,
            sh,
            sw,
            ph,
            pw,
            ho: (h + 2 * ph - kh) / sh + 1,
            wo: (wd + 2 * pw - kw) / sw + 1,
        })
    }
}

/// Errors unless `g` is the convolution's output shape `[N, O, Ho, Wo]`.
fn check_out(op: &'static str, d: &ConvDims, g: &[usize]) -> Result<()> {
    if g != d.out_shape().as_slice() {
        return Err(EngineError::ShapeMismatch {
            op,
            lhs: g.to_vec(),
            rhs: d.out_shape(),
        });
    }
    Ok(())
}

/// Runs `kernel(out, accumulate)` into `acc` when given (after checking its shape), or into a fresh zeroed tensor
/// of `shape` otherwise — the `product_into` contract of [`bilinear_jet`](crate::jet::bilinear_jet).
fn write_into<F: Float>(
    op: &'static str,
    shape: Vec<usize>,
    acc: Option<&mut Tensor<F>>,
    kernel: impl FnOnce(&mut [F], bool),
) -> Result<Option<Tensor<F>>> {
    match acc {
        Some(acc) => {
            if acc.shape() != shape.as_slice() {
                return Err(EngineError::ShapeMismatch {
                    op,
                    lhs: acc.shape().to_vec(),
                    rhs: shape,
                });
            }
            kernel(acc.data_mut(), true);
            Ok(None)
        }
        None => {
            let mut out = vec![F::zero(); numel(&shape)];
            kernel(&mut out, false);
            Ok(Some(Tensor::from_vec(shape, out)?))
        }
    }
}

impl<'g, F: Float> Var<'g, F> {
    /// 2-D convolution of `self` (`[N, C, H, W]`) with the weight `w` (`[O, C, kh, kw]`, PyTorch layout), with
    /// `stride` and zero `padding` given as `(vertical, horizontal)`: `[N, O, Ho, Wo]` where
    /// `Ho = (H + 2·ph − kh) / sh + 1` (floored, as PyTorch). No bias: add it with [`Var::add_bias`].
    ///
    /// ```
    /// use jetnewton_engine::{Graph, Tensor};
    /// let g = Graph::<f64>::new();
    /// let x = g.constant(Tensor::full(&[2, 3, 8, 8], 1.0));
    /// let w = g.param("0.weight", Tensor::full(&[4, 3, 3, 3], 0.1));
    /// let y = x.conv2d(w, (2, 2), (1, 1)).unwrap();
    /// assert_eq!(y.shape(), vec![2, 4, 4, 4]);
    /// assert!(x.conv2d(w, (0, 1), (0, 0)).is_err());
    /// ```
    pub fn conv2d(
        self,
        w: Var<'g, F>,
        stride: (usize, usize),
        padding: (usize, usize),
    ) -> Result<Self> {
        self.apply(
            Conv2d {
                geom: ConvGeom { stride, padding },
            },
            &[w],
        )
    }
}
