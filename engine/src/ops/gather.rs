//! Gather by fixed indices and its adjoint, scatter-add. Max-pooling and picking the label's log-probability are
//! both gathers whose indices come from the order-0 values: piecewise linear, so their jets act per coefficient.

use std::sync::Arc;

use crate::device::{rules, DeviceBuffer};
use crate::error::{EngineError, Result};
use crate::float::Float;
use crate::graph::Var;
use crate::op::Op;
use crate::ops::linear::LinearMap;
use crate::tensor::{numel, Tensor};

/// Fixed index map shared by [`Gather`] and [`ScatterAdd`]: `out[i] = in[indices[i]]`.
#[derive(Debug, Clone)]
pub struct IndexMap {
    /// Source index of every output element.
    pub indices: Arc<Vec<usize>>,
    /// Shape of the source.
    pub in_shape: Vec<usize>,
    /// Shape of the output (`numel = indices.len()`).
    pub out_shape: Vec<usize>,
}

impl IndexMap {
    /// Checks the indices against the shapes.
    pub fn new(indices: Vec<usize>, in_shape: Vec<usize>, out_shape: Vec<usize>) -> Result<Self> {
        if numel(&out_shape) != indices.len() {
            return Err(EngineError::DataLength {
                shape: out_shape,
                expected: indices.len(),
                len: indices.len(),
            });
        }
        let bound = numel(&in_shape);
        if let Some(&bad) = indices.iter().find(|&&i| i >= bound) {
            return Err(EngineError::IndexOutOfRange {
                op: "gather",
                index: bad,
                bound,
            });
        }
        Ok(Self {
            indices: Arc::new(indices),
            in_shape,
            out_shape,
        })
    }

    fn gather<F: Float>(&self, x: &Tensor<F>) -> Result<Tensor<F>> {
        if x.shape() != self.in_shape.as_slice() {
            return Err(EngineError::ShapeMismatch {
                op: "gather",
                lhs: x.shape().to_vec(),
                rhs: self.in_shape.clone(),
            });
        }
        if let Some(device) = rules::device_of(x) {
            let run =
                |xb: &DeviceBuffer, out: &mut DeviceBuffer| device.gather(&self.indices, xb, out);
            return rules::map_resident(&device, "gather", x, &self.out_shape, run);
        }
        let d = x.data();
        Tensor::from_vec(
            self.out_shape.clone(),
            self.indices.iter().map(|&i| d[i]).collect(),
        )
    }

    fn scatter<F: Float>(&self, g: &Tensor<F>) -> Result<Tensor<F>> {
        if g.shape() != self.out_shape.as_slice() {
            return Err(EngineError::ShapeMismatch {
                op: "scatter_add",
                lhs: g.shape().to_vec(),
                rhs: self.out_shape.clone(),
            });
        }
        if let Some(device) = rules::device_of(g) {
            let run = |gb: &DeviceBuffer, out: &mut DeviceBuffer| {
                device.scatter_add(&self.indices, gb, out)
            };
            return rules::map_resident(&device, "scatter_add", g, &self.in_shape, run);
        }
        let mut out = vec![F::zero(); numel(&self.in_shape)];
        for (&i, &v) in self.indices.iter().zip(g.data()) {
            out[i] += v;
        }
        Tensor::from_vec(self.in_shape.clone(), out)
    }
}

/// `out[i] = x[indices[i]]`.
#[derive(Debug, Clone)]
pub struct Gather(pub IndexMap);

/// `out[indices[i]] += g[i]`: the adjoint of [`Gather`].
#[derive(Debug, Clone)]
pub struct ScatterAdd(pub IndexMap);

impl<F: Float> LinearMap<F> for Gather {
    fn name(&self) -> &'static str {
        "gather"
    }
    fn apply(&self, x: &Tensor<F>) -> Result<Tensor<F>> {
        self.0.gather(x)
    }
    fn apply_adjoint(&self, g: &Tensor<F>) -> Result<Tensor<F>> {
        self.0.scatter(g)
    }
    fn adjoint_op(&self) -> Arc<dyn Op<F>> {
        Arc::new(ScatterAdd(self.0.clone()))
    }
}

impl<F: Float> LinearMap<F> for ScatterAdd {
    fn name(&self) -> &'static str {
        "scatter_add"
    }
    fn apply(&self, x: &Tensor<F>) -> Result<Tensor<F>> {
        self.0.scatter(x)
    }
    fn apply_adjoint(&self, g: &Tensor<F>) -> Result<Tensor<F>> {
        self.0.gather(g)
    }
    fn adjoint_op(&self) -> Arc<dyn Op<F>> {
        Arc::new(Gather(self.0.clone()))
    }
}

impl<'g, F: Float> Var<'g, F> {
    /// `out[i] = self[indices[i]]` (flat indices), shaped `out_shape`.
    pub fn gather(self, indices: Vec<usize>, out_shape: Vec<usize>) -> Result<Self> {
        let map = IndexMap::new(indices, self.shape(), out_shape)?;
        self.apply(Gather(map), &[])
    }

    /// Picks `self[i, labels[i]]` from a `[B, K]` tensor: `[B]`.
    pub fn pick(self, labels: &[usize]) -> Result<Self> {
        let s = self.shape();
        let (b, k) = match s.as_slice() {
            &[b, k] => (b, k),
            _ => {
                return Err(EngineError::InvalidShape {
                    op: "pick",
                    shape: s,
                    reason: "expected [batch, classes]".into(),
                })
            }
        };
        if labels.len() != b {
            return Err(EngineError::ShapeMismatch {
                op: "pick (labels)",
                lhs: s,
                rhs: vec![labels.len()],
            });
        }
        if let Some(&bad) = labels.iter().find(|&&l| l >= k) {
            return Err(EngineError::IndexOutOfRange {
                op: "pick (label)",
                index: bad,
                bound: k,
            });
        }
        let idx = labels.iter().enumerate().map(|(i, &l)| i * k + l).collect();
        self.gather(idx, vec![b])
    }
}
