//! Elementwise product: the simplest bilinear op. Its jet is a Cauchy product and its adjoints are products again.

use std::sync::Arc;

use rayon::prelude::*;

use crate::error::Result;
use crate::float::Float;
use crate::graph::{Graph, NodeId, Var};
use crate::jet::{bilinear_jet, Jet};
use crate::op::Op;
use crate::tensor::{Tensor, PAR_CHUNK, PAR_THRESHOLD};

/// `a ⊙ b` for tensors of the same shape.
#[derive(Debug, Clone, Copy)]
pub struct Mul;

/// `acc += a ⊙ b` in place, or a fresh `a ⊙ b` when there is no accumulator.
pub(crate) fn mul_into<F: Float>(
    a: &Tensor<F>,
    b: &Tensor<F>,
    acc: Option<&mut Tensor<F>>,
) -> Result<Option<Tensor<F>>> {
    match acc {
        None => Ok(Some(a.zip_map(b, "mul", |x, y| x * y)?)),
        Some(acc) => {
            a.check_same_shape(b, "mul")?;
            acc.check_same_shape(a, "mul")?;
            let (a, b) = (a.data(), b.data());
            let o = acc.data_mut();
            if o.len() >= PAR_THRESHOLD {
                o.par_chunks_mut(PAR_CHUNK)
                    .zip(a.par_chunks(PAR_CHUNK).zip(b.par_chunks(PAR_CHUNK)))
                    .for_each(|(o, (a, b))| {
                        for ((o, &a), &b) in o.iter_mut().zip(a).zip(b) {
                            *o += a * b;
                        }
                    });
            } else {
                for ((o, &a), &b) in o.iter_mut().zip(a).zip(b) {
                    *o += a * b;
                }
            }
            Ok(None)
        }
    }
}

impl<F: Float> Op<F> for Mul {
    fn name(&self) -> &'static str {
        "mul"
    }
    fn is_bilinear(&self) -> bool {
        true
    }
    fn forward(&self, x: &[&Tensor<F>]) -> Result<Tensor<F>> {
        x[0].zip_map(x[1], "mul", |a, b| a * b)
    }
    fn jet(&self, x: &[&Jet<F>], y0: &Tensor<F>) -> Result<Jet<F>> {
        let mut j = bilinear_jet(x[0], x[1], 1, x[0].order(), mul_into)?;
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
        let ga = if w[0] {
            Some(g.apply(Arc::new(Mul), &[gy, x[1]])?)
        } else {
            None
        };
        let gb = if w[1] {
            Some(g.apply(Arc::new(Mul), &[gy, x[0]])?)
        } else {
            None
        };
        Ok(vec![ga, gb])
    }
    fn jet_vjp(
        &self,
        x: &[&Jet<F>],
        _: &Jet<F>,
        gy: &Jet<F>,
        w: &[bool],
    ) -> Result<Vec<Option<Jet<F>>>> {
        let k = gy.order();
        let ga = w[0]
            .then(|| bilinear_jet(gy, x[1], 1, k, mul_into))
            .transpose()?;
        let gb = w[1]
            .then(|| bilinear_jet(gy, x[0], 1, k, mul_into))
            .transpose()?;
        Ok(vec![ga, gb])
    }
}

impl<'g, F: Float> Var<'g, F> {
    /// `self ⊙ other` (same shapes).
    // Fallible (shapes are checked), so it cannot be the `std::ops` trait.
    #[allow(clippy::should_implement_trait)]
    pub fn mul(self, other: Var<'g, F>) -> Result<Self> {
        self.apply(Mul, &[other])
    }
}
