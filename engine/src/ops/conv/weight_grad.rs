//! `v = ConvW(x, g)`: the adjoint of the convolution in its weight (a sum over samples).

use super::{check_out, write_into, Conv2d, Conv2dInputGrad, ConvGeom};
use crate::cpu::conv::conv_weight_grad;
use crate::device::{rules, ConvProduct};
use crate::error::Result;
use crate::float::Float;
use crate::ops::bilinear::{Adjoint, BilinearMap};
use crate::tensor::Tensor;

/// `v = ConvW(x, g)`: `[N, C, H, W] × [N, O, Ho, Wo] → weight_shape = [O, C, kh, kw]`, the `w̄` of `Conv(x, w)`.
/// Inputs: `x`, `g`. The weight shape is kept because the kernel size cannot be read off `x` and `g` alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conv2dWeightGrad {
    /// Stride and padding of the convolution.
    pub geom: ConvGeom,
    /// Shape of the convolution's weight, `[O, C, kh, kw]` (this op's output).
    pub weight_shape: Vec<usize>,
}

impl Conv2dWeightGrad {
    /// `acc += ConvW(x, g)` in place, or a fresh `ConvW(x, g)` when there is no accumulator.
    pub(crate) fn product_into<F: Float>(
        &self,
        x: &Tensor<F>,
        g: &Tensor<F>,
        acc: Option<&mut Tensor<F>>,
    ) -> Result<Option<Tensor<F>>> {
        const OP: &str = "conv2d_weight_grad";
        let d = self.geom.dims(OP, x.shape(), &self.weight_shape)?;
        check_out(OP, &d, g.shape())?;
        if let Some(device) = rules::device_of_any(&[x, g]) {
            let product = ConvProduct::WeightGrad;
            return rules::conv_resident(&device, product, &d, (x, g), &d.weight_shape(), acc);
        }
        write_into(OP, d.weight_shape(), acc, |v, accumulate| {
            let sum = conv_weight_grad(&d, x.data(), g.data());
            if accumulate {
                v.iter_mut().zip(sum).for_each(|(v, s)| *v += s);
            } else {
                v.copy_from_slice(&sum);
            }
        })
    }

    fn conv(&self) -> Conv2d {
        Conv2d { geom: self.geom }
    }

    fn input_grad(&self, input_shape: Vec<usize>) -> Conv2dInputGrad {
        Conv2dInputGrad {
            geom: self.geom,
            input_shape,
        }
    }
}

impl<F: Float> BilinearMap<F> for Conv2dWeightGrad {
    fn bilinear_name(&self) -> &'static str {
        "conv2d_weight_grad"
    }
    fn product_acc(
        &self,
        a: &Tensor<F>,
        b: &Tensor<F>,
        acc: Option<&mut Tensor<F>>,
    ) -> Result<Option<Tensor<F>>> {
        self.product_into(a, b, acc)
    }
    // x̄ = ConvIn(g, v̄)
    fn adjoint_a(&self, a_shape: &[usize]) -> Adjoint<F> {
        Adjoint::new(self.input_grad(a_shape.to_vec()), false)
    }
    // ḡ = Conv(x, v̄)
    fn adjoint_b(&self, _: &[usize]) -> Adjoint<F> {
        Adjoint::new(self.conv(), false)
    }
}
