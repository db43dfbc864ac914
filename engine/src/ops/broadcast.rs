//! Broadcasting along the outer and inner axes of a `[outer, mid, inner]` view, and its adjoint, the sum back to
//! `[mid]`. One linear pair covers bias addition (`[C]` over `[N, C, H·W]`), row sums (`[B]` from `[B, K]`), sums to
//! a scalar and global average pooling.

use std::sync::Arc;

use rayon::prelude::*;

use crate::device::{rules, MidDims};
use crate::error::{EngineError, Result};
use crate::float::Float;
use crate::graph::Var;
use crate::op::Op;
use crate::ops::linear::LinearMap;
use crate::tensor::{numel, Tensor, PAR_CHUNK, PAR_THRESHOLD};

/// The `[outer, mid, inner]` view shared by [`Broadcast`] and [`SumTo`], with the two concrete shapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MidView {
    /// Product of the axes before the kept ones.
    pub outer: usize,
    /// Product of the kept axes (the small tensor's element count).
    pub mid: usize,
    /// Product of the axes after the kept ones.
    pub inner: usize,
    /// Shape of the small tensor.
    pub small: Vec<usize>,
    /// Shape of the big tensor.
    pub big: Vec<usize>,
}

impl MidView {
    /// The view that keeps axes `keep_from..keep_to` of `big` (the small shape is those axes).
    pub fn keep_axes(big: &[usize], keep_from: usize, keep_to: usize) -> Result<Self> {
        if keep_from > keep_to || keep_to > big.len() {
            return Err(EngineError::InvalidShape {
                op: "broadcast",
                shape: big.to_vec(),
                reason: format!("cannot keep axes {keep_from}..{keep_to}"),
            });
        }
        Ok(Self {
            outer: numel(&big[..keep_from]),
            mid: numel(&big[keep_from..keep_to]),
            inner: numel(&big[keep_to..]),
            small: big[keep_from..keep_to].to_vec(),
            big: big.to_vec(),
        })
    }

    /// The view's sizes, as the device takes them.
    fn dims(&self) -> MidDims {
        MidDims {
            outer: self.outer,
            mid: self.mid,
            inner: self.inner,
        }
    }

    pub(crate) fn broadcast<F: Float>(&self, x: &Tensor<F>) -> Result<Tensor<F>> {
        if x.shape() != self.small.as_slice() {
            return Err(EngineError::ShapeMismatch {
                op: "broadcast",
                lhs: x.shape().to_vec(),
                rhs: self.small.clone(),
            });
        }
        if let Some(device) = rules::device_of(x) {
            return rules::mid_resident(&device, self.dims(), x, &self.big, true);
        }
        let (mid, inner) = (self.mid, self.inner);
        let src = x.data();
        let mut out = vec![F::zero(); numel(&self.big)];
        let fill = |o: &mut [F]| {
            for (m, row) in o.chunks_mut(inner.max(1)).enumerate() {
                row.iter_mut().for_each(|v| *v = src[m]);
            }
        };
        let block = mid * inner;
        if block > 0 {
            if out.len() >= PAR_THRESHOLD {
                out.par_chunks_mut(block).for_each(fill);
            } else {
                out.chunks_mut(block).for_each(fill);
            }
        }
        Tensor::from_vec(self.big.clone(), out)
    }

    pub(crate) fn sum<F: Float>(&self, x: &Tensor<F>) -> Result<Tensor<F>> {
        if x.shape() != self.big.as_slice() {
            return Err(EngineError::ShapeMismatch {
                op: "sum_to",
                lhs: x.shape().to_vec(),
                rhs: self.big.clone(),
            });
        }
        if let Some(device) = rules::device_of(x) {
            return rules::mid_resident(&device, self.dims(), x, &self.small, false);
        }
        let (mid, inner) = (self.mid, self.inner);
        let block = mid * inner;
        let add_block = |mut acc: Vec<F>, b: &[F]| {
            for (m, row) in b.chunks(inner.max(1)).enumerate() {
                acc[m] += row.iter().copied().sum::<F>();
            }
            acc
        };
        let out = if block == 0 {
            vec![F::zero(); mid]
        } else if x.numel() >= PAR_THRESHOLD && self.outer > 1 {
            // Fixed groups of blocks, summed in group order: deterministic whatever the thread count, which
            // rayon's fold/reduce (grouping by work stealing) is not.
            let per_group = (PAR_CHUNK / block).max(1) * block;
            let partials: Vec<Vec<F>> = x
                .data()
                .par_chunks(per_group)
                .map(|g| g.chunks(block).fold(vec![F::zero(); mid], add_block))
                .collect();
            let mut parts = partials.into_iter();
            let mut total = parts.next().unwrap_or_else(|| vec![F::zero(); mid]);
            for p in parts {
                total.iter_mut().zip(p).for_each(|(a, b)| *a += b);
            }
            total
        } else {
            x.data().chunks(block).fold(vec![F::zero(); mid], add_block)
        };
        Tensor::from_vec(self.small.clone(), out)
    }
}

/// Broadcast a `small` tensor to `big` (repeat over outer and inner axes).
#[derive(Debug, Clone)]
pub struct Broadcast(pub MidView);

/// Sum a `big` tensor down to `small` (the adjoint of [`Broadcast`]).
#[derive(Debug, Clone)]
pub struct SumTo(pub MidView);

impl<F: Float> LinearMap<F> for Broadcast {
    fn name(&self) -> &'static str {
        "broadcast"
    }
    fn apply(&self, x: &Tensor<F>) -> Result<Tensor<F>> {
        self.0.broadcast(x)
    }
    fn apply_adjoint(&self, g: &Tensor<F>) -> Result<Tensor<F>> {
        self.0.sum(g)
    }
    fn adjoint_op(&self) -> Arc<dyn Op<F>> {
        Arc::new(SumTo(self.0.clone()))
    }
}

impl<F: Float> LinearMap<F> for SumTo {
    fn name(&self) -> &'static str {
        "sum_to"
    }
    fn apply(&self, x: &Tensor<F>) -> Result<Tensor<F>> {
        self.0.sum(x)
    }
    fn apply_adjoint(&self, g: &Tensor<F>) -> Result<Tensor<F>> {
        self.0.broadcast(g)
    }
    fn adjoint_op(&self) -> Arc<dyn Op<F>> {
        Arc::new(Broadcast(self.0.clone()))
    }
}

impl<'g, F: Float> Var<'g, F> {
    /// `self + b` where `b` has the shape of axis 1 of `self` (`[N, C]` or `[N, C, H, W]` with `b: [C]`).
    pub fn add_bias(self, b: Var<'g, F>) -> Result<Self> {
        let shape = self.shape();
        if shape.len() < 2 {
            return Err(EngineError::InvalidShape {
                op: "add_bias",
                shape,
                reason: "expected a batch axis and a channel axis".into(),
            });
        }
        let bb = b.apply(Broadcast(MidView::keep_axes(&shape, 1, 2)?), &[])?;
        self.add(bb)
    }

    /// Sum of all elements, a rank-0 tensor.
    pub fn sum(self) -> Result<Self> {
        let shape = self.shape();
        self.apply(SumTo(MidView::keep_axes(&shape, 0, 0)?), &[])
    }

    /// Sums over every axis outside `keep_from..keep_to`.
    pub fn sum_keep(self, keep_from: usize, keep_to: usize) -> Result<Self> {
        let shape = self.shape();
        self.apply(SumTo(MidView::keep_axes(&shape, keep_from, keep_to)?), &[])
    }

    /// Broadcasts `self` (shape `big[keep_from..keep_to]`) to `big`.
    pub fn broadcast_to(self, big: &[usize], keep_from: usize, keep_to: usize) -> Result<Self> {
        self.apply(Broadcast(MidView::keep_axes(big, keep_from, keep_to)?), &[])
    }

    /// Mean over the trailing spatial axes of `[N, C, H, W]`: `[N, C]`.
    pub fn global_avg_pool(self) -> Result<Self> {
        let shape = self.shape();
        if shape.len() != 4 {
            return Err(EngineError::InvalidShape {
                op: "global_avg_pool",
                shape,
                reason: "expected [N, C, H, W]".into(),
            });
        }
        let hw = (shape[2] * shape[3]).max(1) as f64;
        self.sum_keep(0, 2)?.scale(1.0 / hw)
    }
}
