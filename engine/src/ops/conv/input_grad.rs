//! `z = ConvIn(g, w)`: the adjoint of the convolution in its input (a transposed convolution).

use super::{check_out, write_into, Conv2d, Conv2dWeightGrad, ConvGeom};
use crate::cpu::conv::conv_input_grad;
use crate::device::{rules, ConvProduct};
use crate::error::Result;
use crate::float::Float;
use crate::ops::bilinear::{Adjoint, BilinearMap};
use crate::tensor::Tensor;

/// `z = ConvIn(g, w)`: `[N, O, Ho, Wo] × [O, C, kh, kw] → input_shape = [N, C, H, W]`, the `x̄` of `Conv(x, w)`.
/// Inputs: `g`, `w`. The input shape is kept because a strided convolution maps several heights to one `Ho`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conv2dInputGrad {
    /// Stride and padding of the convolution.
    pub geom: ConvGeom,
    /// Shape of the convolution's input, `[N, C, H, W]` (this op's output).
    pub input_shape: Vec<usize>,
}

impl Conv2dInputGrad {
    /// `acc += ConvIn(g, w)` in place, or a fresh `ConvIn(g, w)` when there is no accumulator.
    pub(crate) fn product_into<F: Float>(
        &self,
        g: &Tensor<F>,
        w: &Tensor<F>,
        acc: Option<&mut Tensor<F>>,
    ) -> Result<Option<Tensor<F>>> {
        const OP: &str = "conv2d_input_grad";
        let d = self.geom.dims(OP, &self.input_shape, w.shape())?;
        check_out(OP, &d, g.shape())?;
        if let Some(device) = rules::device_of_any(&[g, w]) {
            let product = ConvProduct::InputGrad;
            return rules::conv_resident(&device, product, &d, (g, w), &d.in_shape(), acc);
        }
        write_into(OP, d.in_shape(), acc, |z, accumulate| {
            conv_input_grad(&d, g.data(), w.data(), z, accumulate)
        })
    }

    fn conv(&self) -> Conv2d {
        Conv2d { geom: self.geom }
    }

    fn weight_grad(&self, weight_shape: Vec<usize>) -> Conv2dWeightGrad {
        Conv2dWeightGrad {
            geom: self.geom,
            weight_shape,
        }
    }
}

impl<F: Float> BilinearMap<F> for Conv2dInputGrad {
    fn bilinear_name(&self) -> &'static str {
        "conv2d_input_grad"
    }
    fn product_acc(
        &self,
        a: &Tensor<F>,
        b: &Tensor<F>,
        acc: Option<&mut Tensor<F>>,
    ) -> Result<Option<Tensor<F>>> {
        self.product_into(a, b, acc)
    }
    // ḡ = Conv(z̄, w)
    fn adjoint_a(&self, _: &[usize]) -> Adjoint<F> {
        Adjoint::new(self.conv(), true)
    }
    // w̄ = ConvW(z̄, g)
    fn adjoint_b(&self, b_shape: &[usize]) -> Adjoint<F> {
        Adjoint::new(self.weight_grad(b_shape.to_vec()), true)
    }
}
