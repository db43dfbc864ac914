//! 2-D pooling on NCHW planes (`cu/pool.cu`): square window, stride, no padding, floor mode, as
//! the CPU engine. Max-pooling returns its argmax (flat indices into the input); higher jet
//! coefficients and cotangents then follow the same argmax through [`gather`] and
//! [`max_pool_adjoint`]. Every function takes `planes`, so the `K + 1` packed coefficient planes
//! of a jet pool in one launch as `(K + 1) N C` planes.

use super::{grid_stride, int, invalid, need};
use crate::backend::{Backend, KernelArgs, KernelRecord};
use crate::elem::Real;
use crate::entries;
use crate::error::KernelError;

/// Sizes of one pooling, checked by [`PoolDims::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolDims {
    /// Number of `h x w` planes (`N C`, times the coefficients of a jet).
    pub planes: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Window side.
    pub kernel: usize,
    /// Step between windows.
    pub stride: usize,
    /// Output height, `(h - kernel) / stride + 1`.
    pub ho: usize,
    /// Output width.
    pub wo: usize,
}

impl PoolDims {
    /// Pooling of `planes` planes of `h x w` with a `kernel x kernel` window every `stride`.
    pub fn new(
        planes: usize,
        h: usize,
        w: usize,
        kernel: usize,
        stride: usize,
    ) -> Result<Self, KernelError> {
        if kernel == 0 || stride == 0 || kernel > h || kernel > w {
            return Err(invalid(
                "pool",
                format!("window {kernel} with stride {stride} does not fit a {h}x{w} plane"),
            ));
        }
        Ok(Self {
            planes,
            h,
            w,
            kernel,
            stride,
            ho: (h - kernel) / stride + 1,
            wo: (w - kernel) / stride + 1,
        })
    }

    /// Elements of the input.
    pub fn in_len(&self) -> usize {
        self.planes * self.h * self.w
    }
    /// Elements of the output.
    pub fn out_len(&self) -> usize {
        self.planes * self.ho * self.wo
    }

    fn record(&self) -> Result<PoolArgs, KernelError> {
        let i = |v: usize| int("pool", v);
        Ok(PoolArgs {
            planes: i(self.planes)?,
            h: i(self.h)?,
            w: i(self.w)?,
            k: i(self.kernel)?,
            s: i(self.stride)?,
            ho: i(self.ho)?,
            wo: i(self.wo)?,
        })
    }
}

/// The kernel's `PoolArgs`, field for field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
struct PoolArgs {
    planes: i64,
    h: i64,
    w: i64,
    k: i64,
    s: i64,
    ho: i64,
    wo: i64,
}
// SAFETY: repr(C), i64 fields only, mirrors `struct PoolArgs` in cu/pool.cu.
unsafe impl KernelRecord for PoolArgs {}

/// `y = MaxPool(x)` and `argmax`, the flat index into `x` of each window's maximum (the first in
/// row-major order on ties; a NaN wins over numbers).
pub fn max_pool<B: Backend, T: Real>(
    backend: &B,
    d: &PoolDims,
    x: &B::Buffer<T>,
    y: &mut B::Buffer<T>,
    argmax: &mut B::Buffer<i64>,
) -> Result<(), KernelError> {
    const OP: &str = "max pool";
    need(OP, "x", x, d.in_len())?;
    need(OP, "y", y, d.out_len())?;
    need(OP, "argmax", argmax, d.out_len())?;
    let mut args = KernelArgs::new();
    args.record(&d.record()?)
        .input(x, 0)
        .output(y, 0)
        .output(argmax, 0);
    // SAFETY: buffers checked above; `max_pool_<T>(PoolArgs, x, y, argmax)`.
    unsafe { backend.launch(entries::MAX_POOL.of::<T>(), grid_stride(d.out_len()), args) }
}

/// `x = MaxPoolᵀ(g)` at a fixed `argmax` (from [`max_pool`]): each cotangent goes to its window's
/// maximum, overlapping windows adding up; `x` is overwritten.
///
/// Every `argmax` entry must index `x` (as [`max_pool`] makes them); others are ignored.
pub fn max_pool_adjoint<B: Backend, T: Real>(
    backend: &B,
    d: &PoolDims,
    argmax: &B::Buffer<i64>,
    g: &B::Buffer<T>,
    x: &mut B::Buffer<T>,
) -> Result<(), KernelError> {
    const OP: &str = "max pool adjoint";
    need(OP, "argmax", argmax, d.out_len())?;
    need(OP, "g", g, d.out_len())?;
    need(OP, "x", x, d.in_len())?;
    let mut args = KernelArgs::new();
    args.record(&d.record()?)
        .input(argmax, 0)
        .input(g, 0)
        .output(x, 0);
    // SAFETY: buffers checked above; the kernel only compares argmax values, never follows them.
    unsafe {
        backend.launch(
            entries::MAX_POOL_ADJOINT.of::<T>(),
            grid_stride(d.in_len()),
            args,
        )
    }
}

/// `y = AvgPool(x)`, the mean of every window.
pub fn avg_pool<B: Backend, T: Real>(
    backend: &B,
    d: &PoolDims,
    x: &B::Buffer<T>,
    y: &mut B::Buffer<T>,
) -> Result<(), KernelError> {
    const OP: &str = "avg pool";
    need(OP, "x", x, d.in_len())?;
    need(OP, "y", y, d.out_len())?;
    let mut args = KernelArgs::new();
    args.record(&d.record()?).input(x, 0).output(y, 0);
    // SAFETY: buffers checked above; `avg_pool_<T>(PoolArgs, x, y)`.
    unsafe { backend.launch(entries::AVG_POOL.of::<T>(), grid_stride(d.out_len()), args) }
}

/// `x = AvgPoolᵀ(g)`: every cotangent spread evenly over its window; `x` is overwritten.
pub fn avg_pool_adjoint<B: Backend, T: Real>(
    backend: &B,
    d: &PoolDims,
    g: &B::Buffer<T>,
    x: &mut B::Buffer<T>,
) -> Result<(), KernelError> {
    const OP: &str = "avg pool adjoint";
    need(OP, "g", g, d.out_len())?;
    need(OP, "x", x, d.in_len())?;
    let mut args = KernelArgs::new();
    args.record(&d.record()?).input(g, 0).output(x, 0);
    // SAFETY: buffers checked above; `avg_pool_adjoint_<T>(PoolArgs, g, x)`.
    unsafe {
        backend.launch(
            entries::AVG_POOL_ADJOINT.of::<T>(),
            grid_stride(d.in_len()),
            args,
        )
    }
}

/// `y[i] = x[x_offset + index[i]]` for `i < index.len()`, e.g. a max-pooled jet coefficient.
///
/// The indices are read on the device, so they cannot be checked here: every one must be below
/// `x.len() - x_offset` (true of [`max_pool`]'s argmax for an `x` of the same shape).
///
/// # Safety
/// An index outside `x` reads out of bounds on the device.
pub unsafe fn gather<B: Backend, T: Real>(
    backend: &B,
    x: &B::Buffer<T>,
    x_offset: usize,
    index: &B::Buffer<i64>,
    y: &mut B::Buffer<T>,
) -> Result<(), KernelError> {
    const OP: &str = "gather";
    let n = crate::backend::Buffer::len(index);
    need(OP, "y", y, n)?;
    need(OP, "x", x, x_offset)?;
    let mut args = KernelArgs::new();
    args.input(x, x_offset)
        .input(index, 0)
        .output(y, 0)
        .int(int(OP, n)?);
    // SAFETY: y holds n elements; the caller vouches for the indices.
    unsafe { backend.launch(entries::GATHER.of::<T>(), grid_stride(n), args) }
}
