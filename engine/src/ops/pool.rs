//! 2-D pooling over `[N, C, H, W]` with a square window, a stride, no padding and floor mode (PyTorch's
//! defaults apart from the stride). Max-pooling is a [`Gather`](crate::ops::gather::Gather) whose indices come
//! from the order-0 values — piecewise linear, so no op of its own. Average pooling is a linear pair,
//! [`AvgPool2d`] and [`AvgPool2dAdjoint`], each the other's vjp, with jets per coefficient.

use std::sync::Arc;

use crate::cpu::pool::{avg_pool, avg_pool_adjoint, max_pool_argmax, PoolDims};
use crate::device::{rules, DeviceBuffer};
use crate::error::{EngineError, Result};
use crate::float::Float;
use crate::graph::Var;
use crate::op::Op;
use crate::ops::linear::LinearMap;
use crate::tensor::{numel, Tensor};

/// The window geometry of a pooling and the shape it applies to; built by [`Pool2d::new`], which checks that they
/// fit, so the fields are private.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool2d {
    kernel: usize,
    stride: usize,
    in_shape: Vec<usize>,
}

impl Pool2d {
    /// Checks the geometry against `in_shape`, with errors naming `op`.
    pub fn new(op: &'static str, in_shape: &[usize], kernel: usize, stride: usize) -> Result<Self> {
        let invalid = |reason: String| EngineError::InvalidShape {
            op,
            shape: in_shape.to_vec(),
            reason,
        };
        let &[_, _, h, w] = in_shape else {
            return Err(invalid("expected an input [N, C, H, W]".into()));
        };
        if kernel == 0 || stride == 0 {
            return Err(invalid(format!(
                "kernel {kernel} and stride {stride} must be at least 1"
            )));
        }
        if kernel > h || kernel > w {
            return Err(invalid(format!(
                "kernel {kernel}×{kernel} larger than the input {h}×{w}"
            )));
        }
        Ok(Self {
            kernel,
            stride,
            in_shape: in_shape.to_vec(),
        })
    }

    /// Window side.
    pub fn kernel(&self) -> usize {
        self.kernel
    }

    /// Step between windows.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Input shape `[N, C, H, W]`.
    pub fn in_shape(&self) -> &[usize] {
        &self.in_shape
    }

    /// The resolved sizes.
    pub fn dims(&self) -> PoolDims {
        let (h, w, k, s) = (self.in_shape[2], self.in_shape[3], self.kernel, self.stride);
        PoolDims {
            planes: self.in_shape[0] * self.in_shape[1],
            h,
            w,
            k,
            s,
            ho: (h - k) / s + 1,
            wo: (w - k) / s + 1,
        }
    }

    /// Output shape `[N, C, Ho, Wo]`.
    pub fn out_shape(&self) -> Vec<usize> {
        let d = self.dims();
        vec![self.in_shape[0], self.in_shape[1], d.ho, d.wo]
    }

    fn check(&self, op: &'static str, t: &Tensor<impl Float>, want: &[usize]) -> Result<()> {
        if t.shape() != want {
            return Err(EngineError::ShapeMismatch {
                op,
                lhs: t.shape().to_vec(),
                rhs: want.to_vec(),
            });
        }
        Ok(())
    }

    fn pool<F: Float>(&self, x: &Tensor<F>) -> Result<Tensor<F>> {
        self.check("avg_pool2d", x, &self.in_shape)?;
        let shape = self.out_shape();
        if let Some(device) = rules::device_of(x) {
            let run = |xb: &DeviceBuffer, out: &mut DeviceBuffer| {
                device.avg_pool(&self.dims(), false, xb, out)
            };
            return rules::map_resident(&device, "avg_pool2d", x, &shape, run);
        }
        let mut y = vec![F::zero(); numel(&shape)];
        avg_pool(&self.dims(), x.data(), &mut y);
        Tensor::from_vec(shape, y)
    }

    fn adjoint<F: Float>(&self, g: &Tensor<F>) -> Result<Tensor<F>> {
        self.check("avg_pool2d_adjoint", g, &self.out_shape())?;
        if let Some(device) = rules::device_of(g) {
            let run = |gb: &DeviceBuffer, out: &mut DeviceBuffer| {
                device.avg_pool(&self.dims(), true, gb, out)
            };
            return rules::map_resident(&device, "avg_pool2d_adjoint", g, &self.in_shape, run);
        }
        let mut x = vec![F::zero(); numel(&self.in_shape)];
        avg_pool_adjoint(&self.dims(), g.data(), &mut x);
        Tensor::from_vec(self.in_shape.clone(), x)
    }
}

/// Mean over every `k × k` window: `[N, C, H, W] → [N, C, Ho, Wo]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvgPool2d(pub Pool2d);

/// The adjoint of [`AvgPool2d`]: `[N, C, Ho, Wo] → [N, C, H, W]`, each value spread evenly over its window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvgPool2dAdjoint(pub Pool2d);

impl<F: Float> LinearMap<F> for AvgPool2d {
    fn name(&self) -> &'static str {
        "avg_pool2d"
    }
    fn apply(&self, x: &Tensor<F>) -> Result<Tensor<F>> {
        self.0.pool(x)
    }
    fn apply_adjoint(&self, g: &Tensor<F>) -> Result<Tensor<F>> {
        self.0.adjoint(g)
    }
    fn adjoint_op(&self) -> Arc<dyn Op<F>> {
        Arc::new(AvgPool2dAdjoint(self.0.clone()))
    }
}

impl<F: Float> LinearMap<F> for AvgPool2dAdjoint {
    fn name(&self) -> &'static str {
        "avg_pool2d_adjoint"
    }
    fn apply(&self, x: &Tensor<F>) -> Result<Tensor<F>> {
        self.0.adjoint(x)
    }
    fn apply_adjoint(&self, g: &Tensor<F>) -> Result<Tensor<F>> {
        self.0.pool(g)
    }
    fn adjoint_op(&self) -> Arc<dyn Op<F>> {
        Arc::new(AvgPool2d(self.0.clone()))
    }
}

impl<'g, F: Float> Var<'g, F> {
    /// Max over every `kernel × kernel` window of `[N, C, H, W]`, windows `stride` apart, no padding, floor mode:
    /// `[N, C, Ho, Wo]` with `Ho = (H − kernel) / stride + 1`. The winners are picked from the order-0 values
    /// (the first maximum wins ties, as in PyTorch) and gathered, so gradients and jets flow to them alone.
    ///
    /// ```
    /// use jetnewton_engine::{Graph, Tensor};
    /// let g = Graph::<f64>::new();
    /// let x = g.param("x", Tensor::from_vec(vec![1, 1, 2, 2], vec![1.0, 4.0, 3.0, 2.0]).unwrap());
    /// let y = x.max_pool2d(2, 2).unwrap();
    /// assert_eq!(y.value().data(), &[4.0]);
    /// ```
    pub fn max_pool2d(self, kernel: usize, stride: usize) -> Result<Self> {
        let geom = Pool2d::new("max_pool2d", &self.shape(), kernel, stride)?;
        let idx = max_pool_argmax(&geom.dims(), self.value().data());
        self.gather(idx, geom.out_shape())
    }

    /// Mean over every `kernel × kernel` window of `[N, C, H, W]`, windows `stride` apart, no padding, floor mode.
    pub fn avg_pool2d(self, kernel: usize, stride: usize) -> Result<Self> {
        let geom = Pool2d::new("avg_pool2d", &self.shape(), kernel, stride)?;
        self.apply(AvgPool2d(geom), &[])
    }
}
