//! `y = Conv(x, w)`: the convolution itself.

use std::sync::Arc;

use super::{
    fresh, jet_shape, node_shape, write_into, Conv2dInputGrad, Conv2dWeightGrad, ConvGeom,
};
use crate::cpu::conv::conv_forward;
use crate::error::Result;
use crate::float::Float;
use crate::graph::{Graph, NodeId};
use crate::jet::{bilinear_contract, bilinear_jet, Jet};
use crate::op::{ContractCache, Op};
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
        write_into("conv2d", d.out_shape(), acc, |y, accumulate| {
            conv_forward(&d, x.data(), w.data(), y, accumulate)
        })
    }

    /// A fresh product (no accumulator).
    pub(crate) fn product<F: Float>(&self, a: &Tensor<F>, b: &Tensor<F>) -> Result<Tensor<F>> {
        fresh("conv2d", self.product_into(a, b, None)?)
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

impl<F: Float> Op<F> for Conv2d {
    fn name(&self) -> &'static str {
        "conv2d"
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
        gy: NodeId,
        w: &[bool],
    ) -> Result<Vec<Option<NodeId>>> {
        // x̄ = ConvIn(ȳ, w), w̄ = ConvW(x, ȳ)
        let gx = if w[0] {
            Some(g.apply(Arc::new(self.input_grad(node_shape(g, x[0])?)), &[gy, x[1]])?)
        } else {
            None
        };
        let gw = if w[1] {
            Some(g.apply(
                Arc::new(self.weight_grad(node_shape(g, x[1])?)),
                &[x[0], gy],
            )?)
        } else {
            None
        };
        Ok(vec![gx, gw])
    }
    fn jet_vjp(
        &self,
        x: &[&Jet<F>],
        _: &Jet<F>,
        gy: &Jet<F>,
        w: &[bool],
    ) -> Result<Vec<Option<Jet<F>>>> {
        let k = gy.order();
        let gx = if w[0] {
            let op = self.input_grad(jet_shape("conv2d", x[0])?);
            Some(bilinear_jet(gy, x[1], 1, k, |a, b, acc| {
                op.product_into(a, b, acc)
            })?)
        } else {
            None
        };
        let gw = if w[1] {
            let op = self.weight_grad(jet_shape("conv2d", x[1])?);
            Some(bilinear_jet(x[0], gy, 1, k, |a, b, acc| {
                op.product_into(a, b, acc)
            })?)
        } else {
            None
        };
        Ok(vec![gx, gw])
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
        // <x̄_k, v> = Σ <ȳ_i, Conv(v, w_j)> and <w̄_k, v> = Σ <ȳ_i, Conv(x_j, v)>: no weight gradient is formed.
        if input == 1 {
            let adjoint = self.input_grad(jet_shape("conv2d", x[0])?);
            bilinear_contract(
                x[0],
                gy,
                v,
                cache,
                |a, v| self.product(a, v),
                |g, v| adjoint.product(g, v),
            )
        } else {
            let adjoint = self.weight_grad(jet_shape("conv2d", x[1])?);
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
