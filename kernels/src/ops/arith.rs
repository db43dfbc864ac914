//! Elementwise arithmetic (`cu/arith.cu`): the linear combinations and products the engine's device rules are
//! made of.

use super::{grid_stride, int, invalid, need, per_row};
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

/// `out[(o·mid + m)·inner + i] = x[m]` (`broadcast`), or its adjoint `out[m] = Σ_{o,i} x[(o·mid + m)·inner + i]`
/// (summed in f64 in a fixed order), for `dims = [outer, mid, inner]`.
pub fn mid<B: Backend, T: Real>(
    backend: &B,
    dims: [usize; 3],
    broadcast: bool,
    x: &B::Buffer<T>,
    out: &mut B::Buffer<T>,
) -> Result<(), KernelError> {
    let op = if broadcast { "broadcast" } else { "sum_to" };
    let [outer, mid, inner] = dims;
    let big = outer
        .checked_mul(mid)
        .and_then(|v| v.checked_mul(inner))
        .ok_or_else(|| invalid(op, format!("{dims:?} overflows")))?;
    let (x_len, out_len) = if broadcast { (mid, big) } else { (big, mid) };
    need(op, "x", x, x_len)?;
    need(op, "out", out, out_len)?;
    if out_len == 0 {
        return Ok(());
    }
    let mut args = KernelArgs::new();
    args.input(x, 0)
        .output(out, 0)
        .int(int(op, outer)?)
        .int(int(op, mid)?)
        .int(int(op, inner)?);
    let (entry, launch) = if broadcast {
        (entries::BROADCAST_MID, grid_stride(big))
    } else {
        (entries::SUM_MID, per_row(mid))
    };
    // SAFETY: the arguments follow `<entry>(x, out, outer, mid, inner)`; x and out hold the spans checked above.
    unsafe { backend.launch(entry.of::<T>(), launch, args) }
}
