//! Reshape (flatten included): linear, its adjoint is the reshape back.

use std::sync::Arc;

use crate::error::Result;
use crate::float::Float;
use crate::graph::{Graph, NodeId, Var};
use crate::jet::{linear_jet, Jet};
use crate::op::Op;
use crate::tensor::Tensor;

/// Views the input under another shape with the same element count.
#[derive(Debug, Clone)]
pub struct Reshape {
    /// Input shape (needed for the adjoint).
    pub from: Vec<usize>,
    /// Output shape.
    pub to: Vec<usize>,
}

impl<F: Float> Op<F> for Reshape {
    fn name(&self) -> &'static str {
        "reshape"
    }
    fn forward(&self, x: &[&Tensor<F>]) -> Result<Tensor<F>> {
        x[0].reshape(&self.to)
    }
    fn jet(&self, x: &[&Jet<F>], y0: &Tensor<F>) -> Result<Jet<F>> {
        let mut j = linear_jet(x[0], 1, |t| t.reshape(&self.to))?;
        j.coeffs[0] = Some(y0.clone());
        Ok(j)
    }
    fn vjp(
        &self,
        g: &Graph<F>,
        _: &[NodeId],
        _: NodeId,
        gy: NodeId,
        _: &[bool],
    ) -> Result<Vec<Option<NodeId>>> {
        let back = Reshape {
            from: self.to.clone(),
            to: self.from.clone(),
        };
        Ok(vec![Some(g.apply(Arc::new(back), &[gy])?)])
    }
    fn jet_vjp(
        &self,
        _: &[&Jet<F>],
        _: &Jet<F>,
        gy: &Jet<F>,
        _: &[bool],
    ) -> Result<Vec<Option<Jet<F>>>> {
        Ok(vec![Some(linear_jet(gy, 1, |t| t.reshape(&self.from))?)])
    }
}

impl<'g, F: Float> Var<'g, F> {
    /// The same values under `shape`.
    pub fn reshape(self, shape: &[usize]) -> Result<Self> {
        let from = self.shape();
        self.apply(
            Reshape {
                from,
                to: shape.to_vec(),
            },
            &[],
        )
    }

    /// `[N, …] → [N, prod(…)]`.
    pub fn flatten(self) -> Result<Self> {
        let s = self.shape();
        let n = s.first().copied().unwrap_or(1);
        let rest: usize = s.iter().skip(1).product();
        self.reshape(&[n, rest])
    }
}
