//! The linear kind: an op that is a linear map of its single input knows only how to apply itself and its adjoint;
//! its four rules follow once, here, for every such op (broadcast, sum, reshape, gather, scatter, pooling, scaling):
//! jets act per coefficient, the vjp is the adjoint (recorded as an op, so it can be differentiated again), and the
//! lifted vjp is the adjoint per coefficient.

use std::fmt::Debug;
use std::sync::Arc;

use crate::error::Result;
use crate::float::Float;
use crate::graph::{Graph, NodeId};
use crate::jet::{linear_jet, Jet};
use crate::op::Op;
use crate::tensor::Tensor;

/// A linear map `y = L(x)` of one tensor and its adjoint `x̄ = Lᵀ(ȳ)`.
pub trait LinearMap<F: Float>: Debug + Send + Sync + 'static {
    /// A short name for errors and debugging.
    fn name(&self) -> &'static str;
    /// `L(x)`, checking the shape of `x`.
    fn apply(&self, x: &Tensor<F>) -> Result<Tensor<F>>;
    /// `Lᵀ(g)`, checking the shape of `g`.
    fn apply_adjoint(&self, g: &Tensor<F>) -> Result<Tensor<F>>;
    /// `Lᵀ` as an op of the tape: the vjp of `L`, itself differentiable (its own adjoint is `L`).
    fn adjoint_op(&self) -> Arc<dyn Op<F>>;
}

/// Implements [`Op`] for linear maps from their [`LinearMap`] impl (a blanket impl would collide with the other
/// ops' impls under Rust's coherence rules, so each linear op opts in here by name).
macro_rules! linear_ops {
    ($($t:ty),* $(,)?) => {$(
        impl<F: Float> Op<F> for $t {
            fn name(&self) -> &'static str {
                LinearMap::<F>::name(self)
            }
            fn forward(&self, x: &[&Tensor<F>]) -> Result<Tensor<F>> {
                self.apply(x[0])
            }
            fn jet(&self, x: &[&Jet<F>], y0: &Tensor<F>) -> Result<Jet<F>> {
                let mut j = linear_jet(x[0], 1, |t| self.apply(t))?;
                j.coeffs[0] = Some(y0.clone());
                Ok(j)
            }
            fn vjp(&self, g: &Graph<F>, _: &[NodeId], _: NodeId, gy: NodeId, _: &[bool]) -> Result<Vec<Option<NodeId>>> {
                Ok(vec![Some(g.apply(self.adjoint_op(), &[gy])?)])
            }
            fn jet_vjp(&self, _: &[&Jet<F>], _: &Jet<F>, gy: &Jet<F>, _: &[bool]) -> Result<Vec<Option<Jet<F>>>> {
                Ok(vec![Some(linear_jet(gy, 1, |t| self.apply_adjoint(t))?)])
            }
        }
    )*};
}

linear_ops!(
    crate::ops::add::Scale,
    crate::ops::broadcast::Broadcast,
    crate::ops::broadcast::SumTo,
    crate::ops::gather::Gather,
    crate::ops::gather::ScatterAdd,
    crate::ops::pool::AvgPool2d,
    crate::ops::pool::AvgPool2dAdjoint,
    crate::ops::reshape::Reshape,
);
