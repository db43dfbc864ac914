//! Reshape (flatten included): linear, its adjoint is the reshape back.

use std::sync::Arc;

use crate::error::Result;
use crate::float::Float;
use crate::graph::Var;
use crate::op::Op;
use crate::ops::linear::LinearMap;
use crate::tensor::Tensor;

/// Views the input under another shape with the same element count.
#[derive(Debug, Clone)]
pub struct Reshape {
    /// Input shape (needed for the adjoint).
    pub from: Vec<usize>,
    /// Output shape.
    pub to: Vec<usize>,
}

impl<F: Float> LinearMap<F> for Reshape {
    fn name(&self) -> &'static str {
        "reshape"
    }
    fn apply(&self, x: &Tensor<F>) -> Result<Tensor<F>> {
        x.reshape(&self.to)
    }
    fn apply_adjoint(&self, g: &Tensor<F>) -> Result<Tensor<F>> {
        g.reshape(&self.from)
    }
    fn adjoint_op(&self) -> Arc<dyn Op<F>> {
        Arc::new(Reshape {
            from: self.to.clone(),
            to: self.from.clone(),
        })
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
