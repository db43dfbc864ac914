//! `v = ConvW(x, g)`: the adjoint of the convolution in its weight (a sum over samples).

use std::sync::Arc;

use super::{
    check_out, fresh, jet_shape, node_shape, write_into, Conv2d, Conv2dInputGrad, ConvGeom,
};
use crate::cpu::conv::conv_weight_grad;
use crate::error::Result;
use crate::float::Float;
use crate::graph::{Graph, NodeId};
use crate::jet::{bilinear_contract, bilinear_jet, Jet};
use crate::op::{ContractCache, Op};
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
        write_into(OP, d.weight_shape(), acc, |v, accumulate| {
            let sum = conv_weight_grad(&d, x.data(), g.data());
            if accumulate {
                v.iter_mut().zip(sum).for_each(|(v, s)| *v += s);
            } else {
                v.copy_from_slice(&sum);
            }
        })
    }

    /// A fresh product (no accumulator).
    pub(crate) fn product<F: Float>(&self, a: &Tensor<F>, b: &Tensor<F>) -> Result<Tensor<F>> {
        fresh("conv2d_weight_grad", self.product_into(a, b, None)?)
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

impl<F: Float> Op<F> for Conv2dWeightGrad {
    fn name(&self) -> &'static str {
        "conv2d_weight_grad"
    }
    fn is_bilinear(&self) -> bool {
        true
    }
    fn forward(&self, x: &[&Tensor<F>]) -> Result<Tensor<F>> {
        self.product(x[0], x[1])
    }
    fn jet(&self, x: &[&Jet<F>], y0: &Tensor<F>) -> Result<Jet<F>> {
        let mut j = bilinear_jet(x[0], x[1], 1, x[0].order(), |a, b, acc| {
            self.product_into(a, b, acc)
        })?;
        j.coeffs[0] = Some(y0.clone());
        Ok(j)
    }
    fn vjp(
        &self,
        g: &Graph<F>,
        x: &[NodeId],
        _: NodeId,
        gv: NodeId,
        w: &[bool],
    ) -> Result<Vec<Option<NodeId>>> {
        // x̄ = ConvIn(g, v̄), ḡ = Conv(x, v̄)
        let gx = if w[0] {
            Some(g.apply(Arc::new(self.input_grad(node_shape(g, x[0])?)), &[x[1], gv])?)
        } else {
            None
        };
        let gg = if w[1] {
            Some(g.apply(Arc::new(self.conv()), &[x[0], gv])?)
        } else {
            None
        };
        Ok(vec![gx, gg])
    }
    fn jet_vjp(
        &self,
        x: &[&Jet<F>],
        _: &Jet<F>,
        gv: &Jet<F>,
        w: &[bool],
    ) -> Result<Vec<Option<Jet<F>>>> {
        let k = gv.order();
        let gx = if w[0] {
            let op = self.input_grad(jet_shape("conv2d_weight_grad", x[0])?);
            Some(bilinear_jet(x[1], gv, 1, k, |a, b, acc| {
                op.product_into(a, b, acc)
            })?)
        } else {
            None
        };
        let gg = if w[1] {
            let op = self.conv();
            Some(bilinear_jet(x[0], gv, 1, k, |a, b, acc| {
                op.product_into(a, b, acc)
            })?)
        } else {
            None
        };
        Ok(vec![gx, gg])
    }
    fn contract_input(
        &self,
        x: &[&Jet<F>],
        _: &Jet<F>,
        gy: &Jet<F>,
        input: usize,
        v: &Tensor<F>,
        cache: &mut ContractCache<F>,
    ) -> Result<Vec<f64>> {
        // <x̄_k, v> = Σ <v̄_i, ConvW(v, g_j)> and <ḡ_k, v> = Σ <v̄_i, ConvW(x_j, v)>.
        if input == 1 {
            let adjoint = self.input_grad(jet_shape("conv2d_weight_grad", x[0])?);
            bilinear_contract(
                x[0],
                gy,
                v,
                cache,
                |a, v| self.product(a, v),
                |g, v| adjoint.product(v, g),
            )
        } else {
            let adjoint = self.conv();
            bilinear_contract(
                x[1],
                gy,
                v,
                cache,
                |b, v| self.product(v, b),
                |g, v| adjoint.product(v, g),
            )
        }
    }
}
