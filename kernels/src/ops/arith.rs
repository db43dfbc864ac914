//! Elementwise arithmetic (`cu/arith.cu`): the linear combinations and products the engine's device rules are
//! made of.

use super::{grid_stride, int, need};
use crate::backend::{Backend, KernelArgs};
use crate::elem::Real;
use crate::entries;
use crate::error::KernelError;

/// `out[o + i] = a·x[xo + i] + b·out[o + i]` for `i < n`, with `x = (buffer, xo)` and `out = (buffer, o)`; with
/// `b = 0` the old contents of `out` are not read.
pub fn axpby<B: Backend, T: Real>(
    backend: &B,
    n: usize,
    a: T,
    x: (&B::Buffer<T>, usize),
    b: T,
    out: (&mut B::Buffer<T>, usize),
) -> Result<(), KernelError> {
    const OP: &str = "axpby";
    let ((x, xo), (out, o)) = (x, out);
    need(OP, "x", x, xo.saturating_add(n))?;
    need(OP, "out", out, o.saturating_add(n))?;
    let mut args = KernelArgs::new();
    args.input(x, xo)
        .output(out, o)
        .int(int(OP, n)?)
        .real(a)
        .real(b);
    // SAFETY: the arguments follow `axpby(x, out, n, a, b)`; both spans were checked above.
    unsafe { backend.launch(entries::AXPBY.of::<T>(), grid_stride(n), args) }
}

/// `out[i] = x[i]·y[i]`, or `out[i] += x[i]·y[i]` when `accumulate`, for `i < n`.
pub fn mul<B: Backend, T: Real>(
    backend: &B,
    n: usize,
    x: &B::Buffer<T>,
    y: &B::Buffer<T>,
    out: &mut B::Buffer<T>,
    accumulate: bool,
) -> Result<(), KernelError> {
    const OP: &str = "mul";
    need(OP, "x", x, n)?;
    need(OP, "y", y, n)?;
    need(OP, "out", out, n)?;
    let mut args = KernelArgs::new();
    args.input(x, 0)
        .input(y, 0)
        .output(out, 0)
        .int(int(OP, n)?)
        .int(i64::from(accumulate));
    // SAFETY: the arguments follow `mul(x, y, out, n, accumulate)`; every buffer holds n elements.
    unsafe { backend.launch(entries::MUL.of::<T>(), grid_stride(n), args) }
}
