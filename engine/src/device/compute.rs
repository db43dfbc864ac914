//! A device that holds tensors and computes on them: [`ComputeDevice`], the primitives the ops' device rules call,
//! and [`DeviceBuffer`], one allocation in its memory.
//!
//! A [`Tensor`](crate::Tensor) whose storage is on a device (see [`Tensor::to_device`](crate::Tensor::to_device))
//! keeps its elements there: an op whose first input is resident runs its device rule, which calls these
//! primitives and gives a resident result, so a chain of such ops copies nothing between host and device. An op
//! without a device rule reads its inputs through [`Tensor::data`](crate::Tensor::data), which downloads them once
//! (the download is counted, see [`DeviceCounters`]), and gives a host result; the next op with a device rule
//! uploads it again. Results are the same either way; the counters show what still travels.
//!
//! The trait is object-safe and element-type-erased: a buffer carries its [`DType`], and the implementation
//! (the `jetnewton-kernels` crate for CUDA and its host emulation) keeps its own typed buffer in the handle.

use std::any::Any;
use std::fmt;

use super::{GemmCall, MatmulDevice};
use crate::cpu::conv::ConvDims;
use crate::cpu::pool::PoolDims;

/// The element type of a device buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    /// `f32`.
    F32,
    /// `f64`.
    F64,
}

impl DType {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F64 => 8,
        }
    }
}

/// One allocation in a device's memory: `len` elements of `dtype`, behind a handle only the device that made it
/// can read.
pub struct DeviceBuffer {
    dtype: DType,
    len: usize,
    handle: Box<dyn Any + Send + Sync>,
}

impl fmt::Debug for DeviceBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceBuffer({:?} × {})", self.dtype, self.len)
    }
}

impl DeviceBuffer {
    /// A buffer of `len` elements of `dtype` held by `handle` (the implementation's own buffer type).
    pub fn new(dtype: DType, len: usize, handle: Box<dyn Any + Send + Sync>) -> Self {
        Self { dtype, len, handle }
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the buffer holds no element.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The implementation's buffer, if it is a `T`.
    pub fn handle<T: Any>(&self) -> Option<&T> {
        self.handle.downcast_ref()
    }

    /// The implementation's buffer, mutably, if it is a `T`.
    pub fn handle_mut<T: Any>(&mut self) -> Option<&mut T> {
        self.handle.downcast_mut()
    }
}

/// An activation whose jets a device computes (to order [`MAX_JET_ORDER`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DeviceActivation {
    /// Hyperbolic tangent.
    Tanh,
    /// Logistic sigmoid.
    Sigmoid,
    /// ELU with the given `alpha`.
    Elu(f64),
    /// `max(x, 0)`, derivative 0 at 0.
    Relu,
    /// `e^x`.
    Exp,
}

/// A jet of `len` elements stored as `order + 1` coefficient planes `len` apart in one buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackedJet {
    /// Elements per coefficient.
    pub len: usize,
    /// Highest coefficient.
    pub order: usize,
}

impl PackedJet {
    /// Elements the buffer holds.
    pub fn span(&self) -> usize {
        (self.order + 1) * self.len
    }
}

/// Which product of a convolution [`ComputeDevice::conv`] computes, with its operands `(a, b) → out`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvProduct {
    /// `(x, w) → y`: the convolution.
    Forward,
    /// `(g, w) → x̄`: the adjoint in the input.
    InputGrad,
    /// `(x, g) → w̄`: the adjoint in the weight.
    WeightGrad,
}

/// The `[outer, mid, inner]` view of a broadcast and of its adjoint, the sum over the outer and inner axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MidDims {
    /// Product of the axes before the kept ones.
    pub outer: usize,
    /// Product of the kept axes.
    pub mid: usize,
    /// Product of the axes after the kept ones.
    pub inner: usize,
}

/// Host–device traffic and launches of one device since it was opened: the figures the README quotes for a
/// training step and a summaries pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeviceCounters {
    /// Host-to-device copies.
    pub uploads: u64,
    /// Device-to-host copies.
    pub downloads: u64,
    /// Bytes copied either way.
    pub bytes: u64,
    /// Kernel launches.
    pub launches: u64,
}

impl DeviceCounters {
    /// Copies either way.
    pub fn transfers(&self) -> u64 {
        self.uploads + self.downloads
    }

    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &DeviceCounters) -> DeviceCounters {
        DeviceCounters {
            uploads: self.uploads - earlier.uploads,
            downloads: self.downloads - earlier.downloads,
            bytes: self.bytes - earlier.bytes,
            launches: self.launches - earlier.launches,
        }
    }
}

/// The result of a device primitive: an error is a message naming what failed (the op that called it adds its
/// own name, see [`crate::EngineError::Device`]).
pub type DeviceResult<T> = std::result::Result<T, String>;

/// A device that stores tensors and runs the ops' device rules (see the module docs).
///
/// Every buffer argument was made by this device; element counts are checked by the caller (the ops), and an
/// implementation returns an error, never panics, on a buffer it does not recognise. Calls may come from several
/// threads; implementations serialise where their hardware needs it.
pub trait ComputeDevice: MatmulDevice {
    /// A buffer holding `bytes`, which are `bytes.len() / dtype.size()` elements of `dtype` in host order.
    fn upload(&self, dtype: DType, bytes: &[u8]) -> DeviceResult<DeviceBuffer>;

    /// Copies `buffer` into `bytes` (exactly its size), after every launch so far has finished.
    fn download(&self, buffer: &DeviceBuffer, bytes: &mut [u8]) -> DeviceResult<()>;

    /// A buffer of `len` zeros.
    fn zeros(&self, dtype: DType, len: usize) -> DeviceResult<DeviceBuffer>;

    /// `out[o + i] = a·x[xo + i] + b·out[o + i]` for `i < n`, with `x = (buffer, xo)` and `out = (buffer, o)`:
    /// a copy (`a = 1, b = 0`), a scaling or an accumulation (`b = 1`) into part of a buffer.
    fn axpby(
        &self,
        n: usize,
        a: f64,
        x: (&DeviceBuffer, usize),
        b: f64,
        out: (&mut DeviceBuffer, usize),
    ) -> DeviceResult<()>;

    /// `out[i] = Σ_k coeffs[k]·x[i]^k` for `i < n`, a polynomial of degree at most [`MAX_POLY_DEGREE`].
    fn poly(
        &self,
        n: usize,
        coeffs: &[f64],
        x: &DeviceBuffer,
        out: &mut DeviceBuffer,
    ) -> DeviceResult<()>;

    /// `out[i] (+)= x[i]·y[i]` for `i < n`: overwrite, or add to `out` when `accumulate`.
    fn mul(
        &self,
        n: usize,
        x: &DeviceBuffer,
        y: &DeviceBuffer,
        out: &mut DeviceBuffer,
        accumulate: bool,
    ) -> DeviceResult<()>;

    /// The product of `call` on resident operands.
    fn gemm(
        &self,
        call: &GemmCall,
        a: &DeviceBuffer,
        b: &DeviceBuffer,
        dst: &mut DeviceBuffer,
    ) -> DeviceResult<()>;

    /// One product of a convolution of dimensions `dims` (see [`ConvProduct`]), overwriting `out` or adding to
    /// it when `accumulate`.
    fn conv(
        &self,
        product: ConvProduct,
        dims: &ConvDims,
        a: &DeviceBuffer,
        b: &DeviceBuffer,
        out: &mut DeviceBuffer,
        accumulate: bool,
    ) -> DeviceResult<()>;

    /// `out[(o·mid + m)·inner + i] = x[m]`: a `[mid]` tensor repeated over the outer and inner axes.
    fn broadcast(
        &self,
        dims: MidDims,
        x: &DeviceBuffer,
        out: &mut DeviceBuffer,
    ) -> DeviceResult<()>;

    /// `out[m] = Σ_{o,i} x[(o·mid + m)·inner + i]`: the adjoint of [`ComputeDevice::broadcast`].
    fn sum_to(&self, dims: MidDims, x: &DeviceBuffer, out: &mut DeviceBuffer) -> DeviceResult<()>;

    /// `out[i] = x[indices[i]]`; every index is below `x.len()` (the caller checked).
    fn gather(
        &self,
        indices: &[usize],
        x: &DeviceBuffer,
        out: &mut DeviceBuffer,
    ) -> DeviceResult<()>;

    /// `out[j] = Σ_{i: indices[i] = j} g[i]` over all of `out`: the adjoint of [`ComputeDevice::gather`].
    fn scatter_add(
        &self,
        indices: &[usize],
        g: &DeviceBuffer,
        out: &mut DeviceBuffer,
    ) -> DeviceResult<()>;

    /// Average pooling (`adjoint`: its adjoint, spreading each value evenly over its window) of `dims`.
    fn avg_pool(
        &self,
        dims: &PoolDims,
        adjoint: bool,
        x: &DeviceBuffer,
        out: &mut DeviceBuffer,
    ) -> DeviceResult<()>;

    /// `y = f(x)` on packed jets (order at most 3).
    fn activation_jet(
        &self,
        f: DeviceActivation,
        jet: PackedJet,
        x: &DeviceBuffer,
        y: &mut DeviceBuffer,
    ) -> DeviceResult<()>;

    /// `dx = g · f'(x)` on packed jets: the activation's reverse rule lifted to jets.
    fn activation_jet_vjp(
        &self,
        f: DeviceActivation,
        jet: PackedJet,
        x: &DeviceBuffer,
        g: &DeviceBuffer,
        dx: &mut DeviceBuffer,
    ) -> DeviceResult<()>;

    /// `y = log_softmax(z)` row by row (rows of `cols` elements) on packed jets (order at most 3).
    fn log_softmax_jet(
        &self,
        cols: usize,
        jet: PackedJet,
        z: &DeviceBuffer,
        y: &mut DeviceBuffer,
    ) -> DeviceResult<()>;

    /// `dz = g − softmax(z)·rowsum(g)` lifted to jets, from log-softmax's output jet `y` and the cotangent jet `g`.
    fn log_softmax_jet_vjp(
        &self,
        cols: usize,
        jet: PackedJet,
        y: &DeviceBuffer,
        g: &DeviceBuffer,
        dz: &mut DeviceBuffer,
    ) -> DeviceResult<()>;

    /// `<x, y>` over `n` elements, accumulated in `f64`.
    fn dot(&self, n: usize, x: &DeviceBuffer, y: &DeviceBuffer) -> DeviceResult<f64>;

    /// Traffic and launches so far.
    fn counters(&self) -> DeviceCounters;
}

/// Highest degree of [`ComputeDevice::poly`] (the derivatives of tanh and sigmoid in terms of their outputs are
/// quadratics).
pub const MAX_POLY_DEGREE: usize = 3;

/// Highest jet order the device activations take.
pub const MAX_JET_ORDER: usize = 3;
