//! The bilinear kind: an op `y = B(a, b)` bilinear in its two inputs (matmul, convolution and its two adjoints,
//! elementwise product) states its product and which products are its adjoints; its five rules follow once, here:
//! the jet is the Cauchy product [`bilinear_jet`], the vjp applies the adjoint ops on the tape (so gradients can
//! be differentiated again), the lifted vjp is `bilinear_jet` over the adjoint products, and a parameter's
//! cotangent is contracted with a direction by [`bilinear_contract`] without ever being formed.

use std::fmt::Debug;
use std::sync::Arc;

use crate::error::{EngineError, Result};
use crate::float::Float;
use crate::graph::{Graph, NodeId};
use crate::jet::{bilinear_contract, bilinear_jet, Jet};
use crate::op::{ContractCache, Op};
use crate::tensor::Tensor;

/// A bilinear map `B(a, b)` and its adjoints.
pub trait BilinearMap<F: Float>: Debug + Send + Sync + 'static {
    /// A short name for errors and debugging.
    fn bilinear_name(&self) -> &'static str;
    /// `acc += B(a, b)` in place, or a fresh `B(a, b)` when there is no accumulator; checks shapes.
    fn product_acc(
        &self,
        a: &Tensor<F>,
        b: &Tensor<F>,
        acc: Option<&mut Tensor<F>>,
    ) -> Result<Option<Tensor<F>>>;
    /// The cotangent of `a` (whose shape is `a_shape`) as a product of the output cotangent and `b`.
    fn adjoint_a(&self, a_shape: &[usize]) -> Adjoint<F>;
    /// The cotangent of `b` (whose shape is `b_shape`) as a product of the output cotangent and `a`.
    fn adjoint_b(&self, b_shape: &[usize]) -> Adjoint<F>;
}

/// An op that is both an [`Op`] and a [`BilinearMap`]: what adjoints are made of.
pub trait BilinearOp<F: Float>: Op<F> + BilinearMap<F> {}
impl<F: Float, T: Op<F> + BilinearMap<F>> BilinearOp<F> for T {}

/// One adjoint of a bilinear op: the cotangent is `op(ȳ, other)` when `gy_first`, else `op(other, ȳ)`.
pub struct Adjoint<F: Float> {
    /// The bilinear op computing it.
    pub op: Arc<dyn BilinearOp<F>>,
    /// Whether the output cotangent is its first operand.
    pub gy_first: bool,
}

impl<F: Float> Adjoint<F> {
    /// An adjoint made of `op`.
    pub fn new(op: impl BilinearOp<F>, gy_first: bool) -> Self {
        Self {
            op: Arc::new(op),
            gy_first,
        }
    }

    /// The cotangent for output cotangent `gy` and the other operand.
    pub fn product(&self, gy: &Tensor<F>, other: &Tensor<F>) -> Result<Tensor<F>> {
        let r = if self.gy_first {
            self.op.product_acc(gy, other, None)?
        } else {
            self.op.product_acc(other, gy, None)?
        };
        r.ok_or_else(|| no_product(self.op.bilinear_name()))
    }

    /// The cotangent as a node of `graph`.
    fn node(&self, graph: &Graph<F>, gy: NodeId, other: NodeId) -> Result<NodeId> {
        let ins = if self.gy_first {
            [gy, other]
        } else {
            [other, gy]
        };
        graph.apply(self.op.clone(), &ins)
    }

    /// The cotangent jet (coefficients `1..=K`).
    fn jet(&self, gy: &Jet<F>, other: &Jet<F>) -> Result<Jet<F>> {
        let (a, b) = if self.gy_first {
            (gy, other)
        } else {
            (other, gy)
        };
        bilinear_jet(a, b, 1, gy.order(), |a, b, acc| {
            self.op.product_acc(a, b, acc)
        })
    }
}

fn no_product(op: &'static str) -> EngineError {
    EngineError::Invalid {
        op,
        reason: "product without accumulator returned nothing".into(),
    }
}

/// The shape of a jet's order-0 coefficient.
fn jet_shape<F: Float>(j: &Jet<F>, op: &'static str) -> Result<Vec<usize>> {
    j.get(0)
        .map(|t| t.shape().to_vec())
        .ok_or_else(|| EngineError::Invalid {
            op,
            reason: "missing order-0 input".into(),
        })
}

/// A fresh `B(a, b)`.
pub fn product<F: Float>(
    b: &(impl BilinearMap<F> + ?Sized),
    x: &Tensor<F>,
    y: &Tensor<F>,
) -> Result<Tensor<F>> {
    b.product_acc(x, y, None)?
        .ok_or_else(|| no_product(b.bilinear_name()))
}

/// The [`Op`] rules of a bilinear map (used by [`bilinear_ops!`]).
pub(crate) mod rules {
    use super::*;

    pub fn vjp<F: Float, B: BilinearMap<F>>(
        b: &B,
        g: &Graph<F>,
        x: &[NodeId],
        gy: NodeId,
        w: &[bool],
    ) -> Result<Vec<Option<NodeId>>> {
        let ga = if w[0] {
            Some(b.adjoint_a(g.value(x[0]).shape()).node(g, gy, x[1])?)
        } else {
            None
        };
        let gb = if w[1] {
            Some(b.adjoint_b(g.value(x[1]).shape()).node(g, gy, x[0])?)
        } else {
            None
        };
        Ok(vec![ga, gb])
    }

    pub fn jet_vjp<F: Float, B: BilinearMap<F>>(
        b: &B,
        x: &[&Jet<F>],
        gy: &Jet<F>,
        w: &[bool],
    ) -> Result<Vec<Option<Jet<F>>>> {
        let name = b.bilinear_name();
        let ga = if w[0] {
            Some(b.adjoint_a(&jet_shape(x[0], name)?).jet(gy, x[1])?)
        } else {
            None
        };
        let gb = if w[1] {
            Some(b.adjoint_b(&jet_shape(x[1], name)?).jet(gy, x[0])?)
        } else {
            None
        };
        Ok(vec![ga, gb])
    }

    pub fn contract<F: Float, B: BilinearMap<F>>(
        b: &B,
        x: &[&Jet<F>],
        gy: &Jet<F>,
        input: usize,
        v: &Tensor<F>,
        cache: &mut ContractCache<F>,
    ) -> Result<Vec<f64>> {
        let name = b.bilinear_name();
        if input == 1 {
            // <b̄_k, v> = Σ <ȳ_i, B(a_j, v)>
            let adj = b.adjoint_a(&jet_shape(x[0], name)?);
            bilinear_contract(
                x[0],
                gy,
                v,
                cache,
                |a, v| product(b, a, v),
                |g, v| adj.product(g, v),
            )
        } else {
            // <ā_k, v> = Σ <ȳ_i, B(v, b_j)>
            let adj = b.adjoint_b(&jet_shape(x[1], name)?);
            bilinear_contract(
                x[1],
                gy,
                v,
                cache,
                |bb, v| product(b, v, bb),
                |g, v| adj.product(g, v),
            )
        }
    }
}

/// Implements [`Op`] for bilinear maps from their [`BilinearMap`] impl (each opts in by name: a blanket impl would
/// collide with the other ops' impls under Rust's coherence rules).
macro_rules! bilinear_ops {
    ($($t:ty),* $(,)?) => {$(
        impl<F: Float> Op<F> for $t {
            fn name(&self) -> &'static str {
                BilinearMap::<F>::bilinear_name(self)
            }
            fn is_bilinear(&self) -> bool {
                true
            }
            fn forward(&self, x: &[&Tensor<F>]) -> Result<Tensor<F>> {
                product(self, x[0], x[1])
            }
            fn jet(&self, x: &[&Jet<F>], y0: &Tensor<F>) -> Result<Jet<F>> {
                let mut j = bilinear_jet(x[0], x[1], 1, x[0].order(), |a, b, acc| self.product_acc(a, b, acc))?;
                j.coeffs[0] = Some(y0.clone());
                Ok(j)
            }
            fn vjp(&self, g: &Graph<F>, x: &[NodeId], _: NodeId, gy: NodeId, w: &[bool]) -> Result<Vec<Option<NodeId>>> {
                rules::vjp(self, g, x, gy, w)
            }
            fn jet_vjp(&self, x: &[&Jet<F>], _: &Jet<F>, gy: &Jet<F>, w: &[bool]) -> Result<Vec<Option<Jet<F>>>> {
                rules::jet_vjp(self, x, gy, w)
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
                rules::contract(self, x, gy, input, v, cache)
            }
        }
    )*};
}

bilinear_ops!(
    crate::ops::matmul::MatMul,
    crate::ops::mul::Mul,
    crate::ops::conv::Conv2d,
    crate::ops::conv::Conv2dInputGrad,
    crate::ops::conv::Conv2dWeightGrad,
);
