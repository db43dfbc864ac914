//! `z = ConvIn(g, w)`: the adjoint of the convolution in its input (a transposed convolution).

use std::sync::Arc;

use super::{
    check_out, fresh, jet_shape, node_shape, write_into, Conv2d, Conv2dWeightGrad, ConvGeom,
};
use crate::cpu::conv::conv_input_grad;
use crate::error::Result;
use crate::float::Float;
use crate::graph::{Graph, NodeId};
use crate::jet::{bilinear_contract, bilinear_jet, Jet};
use crate::op::{ContractCache, Op};
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
        write_into(OP, d.in_shape(), acc, |z, accumulate| {
            conv_input_grad(&d, g.data(), w.data(), z, accumulate)
        })
    }

    /// A fresh product (no accumulator).
    pub(crate) fn product<F: Float>(&self, a: &Tensor<F>, b: &Tensor<F>) -> Result<Tensor<F>> {
        fresh("conv2d_input_grad", self.product_into(a, b, None)?)
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

impl<F: Float> Op<F> for Conv2dInputGrad {
    fn name(&self) -> &'static str {
        "conv2d_input_grad"
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
        gz: NodeId,
        w: &[bool],
    ) -> Result<Vec<Option<NodeId>>> {
        // ḡ = Conv(z̄, w), w̄ = ConvW(z̄, g)
        let gg = if w[0] {
            Some(g.apply(Arc::new(self.conv()), &[gz, x[1]])?)
        } else {
            None
        };
        let gw = if w[1] {
            Some(g.apply(
                Arc::new(self.weight_grad(node_shape(g, x[1])?)),
                &[gz, x[0]],
            )?)
        } else {
            None
        };
        Ok(vec![gg, gw])
    }
    fn jet_vjp(
        &self,
        x: &[&Jet<F>],
        _: &Jet<F>,
        gz: &Jet<F>,
        w: &[bool],
    ) -> Result<Vec<Option<Jet<F>>>> {
        let k = gz.order();
        let gg = if w[0] {
            let op = self.conv();
            Some(bilinear_jet(gz, x[1], 1, k, |a, b, acc| {
                op.product_into(a, b, acc)
            })?)
        } else {
            None
        };
        let gw = if w[1] {
            let op = self.weight_grad(jet_shape("conv2d_input_grad", x[1])?);
            Some(bilinear_jet(gz, x[0], 1, k, |a, b, acc| {
                op.product_into(a, b, acc)
            })?)
        } else {
            None
        };
        Ok(vec![gg, gw])
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
        // <ḡ_k, v> = Σ <z̄_i, ConvIn(v, w_j)> and <w̄_k, v> = Σ <z̄_i, ConvIn(g_j, v)>.
        if input == 1 {
            let adjoint = self.conv();
            bilinear_contract(
                x[0],
                gy,
                v,
                cache,
                |a, v| self.product(a, v),
                |g, v| adjoint.product(g, v),
            )
        } else {
            let adjoint = self.weight_grad(jet_shape("conv2d_input_grad", x[1])?);
            bilinear_contract(
                x[1],
                gy,
                v,
                cache,
                |b, v| self.product(v, b),
                |g, v| adjoint.product(g, v),
            )
        }
    }
}
