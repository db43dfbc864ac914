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

/// `out[i] = c₀ + c₁ x[i] + c₂ x[i]² + c₃ x[i]³` for `i < n`.
pub fn poly<B: Backend, T: Real>(
    backend: &B,
    n: usize,
    coeffs: [T; 4],
    x: &B::Buffer<T>,
    out: &mut B::Buffer<T>,
) -> Result<(), KernelError> {
    const OP: &str = "poly";
    need(OP, "x", x, n)?;
    need(OP, "out", out, n)?;
    let mut args = KernelArgs::new();
    args.input(x, 0).output(out, 0).int(int(OP, n)?);
    for c in coeffs {
        args.real(c);
    }
    // SAFETY: the arguments follow `poly(x, out, n, c0, c1, c2, c3)`; both buffers hold n elements.
    unsafe { backend.launch(entries::POLY.of::<T>(), grid_stride(n), args) }
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

/// The inverse of an index map `y[i] = x[index[i]]` over an `x` of `n_out` elements, in CSR form: the sources of
/// output `j` are `sources[offsets[j]..offsets[j + 1]]`, in increasing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InverseIndex {
    /// `n_out + 1` offsets into `sources`.
    pub offsets: Vec<i64>,
    /// Every `i`, grouped by `index[i]`.
    pub sources: Vec<i64>,
}

impl InverseIndex {
    /// The inverse of `index` over `n_out` outputs; an index at or past `n_out` is an error.
    pub fn new(index: &[usize], n_out: usize) -> Result<Self, KernelError> {
        const OP: &str = "scatter-add";
        let mut counts = vec![0usize; n_out + 1];
        for &j in index {
            if j >= n_out {
                return Err(invalid(OP, format!("index {j} past {n_out} outputs")));
            }
            counts[j + 1] += 1;
        }
        for j in 0..n_out {
            counts[j + 1] += counts[j];
        }
        let mut next = counts.clone();
        let mut sources = vec![0i64; index.len()];
        for (i, &j) in index.iter().enumerate() {
            sources[next[j]] = int(OP, i)?;
            next[j] += 1;
        }
        let offsets = counts
            .into_iter()
            .map(|c| int(OP, c))
            .collect::<Result<_, _>>()?;
        Ok(Self { offsets, sources })
    }
}

/// `out[j] = Σ g[i]` over the `i` with `index[i] = j` (the adjoint of a gather), given the inverse map uploaded
/// as `offsets` and `sources` (see [`InverseIndex`]); every output is written.
///
/// # Safety
/// `offsets` must be non-decreasing from 0 to `sources.len()`, and every source below `g.len()`, as
/// [`InverseIndex::new`] makes them: they are read on the device.
pub unsafe fn scatter_csr<B: Backend, T: Real>(
    backend: &B,
    g: &B::Buffer<T>,
    offsets: &B::Buffer<i64>,
    sources: &B::Buffer<i64>,
    out: &mut B::Buffer<T>,
) -> Result<(), KernelError> {
    const OP: &str = "scatter-add";
    let n_out = crate::backend::Buffer::len(offsets).saturating_sub(1);
    need(OP, "out", out, n_out)?;
    let mut args = KernelArgs::new();
    args.input(g, 0)
        .input(offsets, 0)
        .input(sources, 0)
        .output(out, 0)
        .int(int(OP, n_out)?);
    // SAFETY: out holds n_out elements; the caller vouches for the inverse map.
    unsafe { backend.launch(entries::SCATTER_CSR.of::<T>(), grid_stride(n_out), args) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_index_groups_sources_by_target_in_order() {
        let inv = InverseIndex::new(&[2, 0, 2, 1, 2], 4).unwrap();
        assert_eq!(inv.offsets, vec![0, 1, 2, 5, 5]);
        assert_eq!(inv.sources, vec![1, 3, 0, 2, 4]);
        assert!(InverseIndex::new(&[4], 4).is_err());
    }
}
