//! `y = Conv(x, w)`: the convolution itself.

use super::{write_into, Conv2dInputGrad, Conv2dWeightGrad, ConvGeom};
use crate::cpu::conv::conv_forward;
use crate::device::{rules, ConvProduct};
use crate::error::Result;
use crate::float::Float;
use crate::ops::bilinear::{Adjoint, BilinearMap};
use crate::tensor::Tensor;

/// `y = Conv(x, w)`: `[N, C, H, W] × [O, C, kh, kw] → [N, O, Ho, Wo]`. Inputs: `x`, `w`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv2d {
    /// Stride and padding.
    pub geom: ConvGeom,
}

impl Conv2d {
    /// `acc += Conv(x, w)` in place, or a fresh `Conv(x, w)` when there is no accumulator.
    pub(crate) fn product_into<F: Float>(
        &self,
        x: &Tensor<F>,
        w: &Tensor<F>,
        acc: Option<&mut Tensor<F>>,
    ) -> Result<Option<Tensor<F>>> {
        let d = self.geom.dims("conv2d", x.shape(), w.shape())?;
        if let Some(device) = rules::device_of_any(&[x, w]) {
            let product = ConvProduct::Forward;
            return rules::conv_resident(&device, product, &d, (x, w), &d.out_shape(), acc);
        }
        write_into("conv2d", d.out_shape(), acc, |y, accumulate| {
            conv_forward(&d, x.data(), w.data(), y, accumulate)
        })
    }

    /// The adjoint in `x` for an input of `input_shape`.
    fn input_grad(&self, input_shape: Vec<usize>) -> Conv2dInputGrad {
        Conv2dInputGrad {
            geom: self.geom,
            input_shape,
        }
    }

    /// The adjoint in `w` for a weight of `weight_shape`.
    fn weight_grad(&self, weight_shape: Vec<usize>) -> Conv2dWeightGrad {
        Conv2dWeightGrad {
            geom: self.geom,
            weight_shape,
        }
    }
}

impl<F: Float> BilinearMap<F> for Conv2d {
    fn bilinear_name(&self) -> &'static str {
        "conv2d"
    }
    fn product_acc(
        &self,
        a: &Tensor<F>,
        b: &Tensor<F>,
        acc: Option<&mut Tensor<F>>,
    ) -> Result<Option<Tensor<F>>> {
        self.product_into(a, b, acc)
    }
    // x̄ = ConvIn(ȳ, w)
    fn adjoint_a(&self, a_shape: &[usize]) -> Adjoint<F> {
        Adjoint::new(self.input_grad(a_shape.to_vec()), true)
    }
    // w̄ = ConvW(x, ȳ)
    fn adjoint_b(&self, b_shape: &[usize]) -> Adjoint<F> {
        Adjoint::new(self.weight_grad(b_shape.to_vec()), false)
    }
}
